//! Program KPIs in the store (`otkeep_core::kpi::KPIS`): their values for a scope (a site or the
//! organization), their targets and owners (`kpi_target`, defaults from the definitions), and
//! daily snapshots (`kpi_snapshot`) so that trends exist. Snapshots and target changes go
//! through the write path with an audit event.

use crate::{ListQuery, Store, StoreError};
use jiff::civil::{Date, DateTime};
use otkeep_core::access::Scope;
use otkeep_core::catalog::Target;
use otkeep_core::config_kinds::{BASELINE_KIND, baseline_asset_types};
use otkeep_core::gap::{Status, assess, effective_status};
use otkeep_core::kinds::{ASSET_KIND, SITE_KIND, ZONE_KIND};
use otkeep_core::kpi::{KPIS, KpiDef, UNTRIAGED_DAYS, kpi_def};
use otkeep_core::risk_kinds::TREATMENT_KIND;
use otkeep_core::{FieldError, SlVector, Value};
use serde_json::json;
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// The site id under which organization-wide values are snapshotted.
pub const ORGANIZATION: i64 = 0;

/// Snapshot keys beside the KPIs: obligations overdue and due within the week (the due engine
/// once over every site), read by the organization dashboard.
pub const DUE_OVERDUE: &str = "due_overdue";
pub const DUE_THIS_WEEK: &str = "due_this_week";

/// A KPI's target and owner as set for the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiTarget {
    pub target: i64,
    pub owner: String,
}

/// One snapshotted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiPoint {
    pub day: String,
    /// A site id, or [`ORGANIZATION`].
    pub site_id: i64,
    pub kpi: String,
    pub value: Option<i64>,
}

impl Store {
    /// The value of every KPI over `scope` as of `now`, in [`KPIS`] order (`None` where
    /// nothing is there to measure, e.g. no revocation completed yet).
    pub async fn program_kpis(
        &self,
        scope: &Scope,
        now: DateTime,
    ) -> Result<Vec<(&'static KpiDef, Option<i64>)>, StoreError> {
        let today = now.date();
        let day = today.to_string();
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let ops = self.operations_kpis(scope, now).await?;
        let mut values: HashMap<&str, Option<i64>> = HashMap::new();
        values.insert("time_to_revoke", ops.access.revoke_median_hours);
        values.insert("patch_latency_critical", ops.patches.latency_median_days);
        values.insert(
            "restore_tested_critical",
            (ops.restore.critical_assets > 0).then_some(i64::from(ops.restore.percent)),
        );
        // Assets whose type a baseline of their site covers.
        let mut covered_types: HashMap<Option<i64>, HashSet<String>> = HashMap::new();
        for b in self.list_all(&BASELINE_KIND, &q).await? {
            covered_types
                .entry(b.site_id())
                .or_default()
                .extend(baseline_asset_types(&b.values));
        }
        let assets: Vec<_> = self
            .list_all(&ASSET_KIND, &q)
            .await?
            .into_iter()
            .filter(|a| a.get("lifecycle").to_text() != "decommissioned")
            .collect();
        let with_baseline = assets
            .iter()
            .filter(|a| {
                covered_types
                    .get(&a.site_id())
                    .is_some_and(|t| t.contains(&a.get("asset_type").to_text()))
            })
            .count();
        values.insert(
            "assets_with_baseline",
            (with_baseline * 100)
                .checked_div(assets.len())
                .map(|p| p as i64),
        );
        let past_review = self
            .exceptions(scope, &day)
            .await?
            .iter()
            .filter(|e| match &e.state {
                crate::risk::ExceptionState::Approved { review, .. } => {
                    !review.is_empty() && review.as_str() < day.as_str()
                }
                _ => false,
            })
            .count();
        values.insert("exceptions_past_review", Some(past_review as i64));
        let overdue = self
            .list_all(&TREATMENT_KIND, &q)
            .await?
            .iter()
            .filter(|t| {
                matches!(
                    t.get("status").to_text().as_str(),
                    "planned" | "in_progress"
                ) && {
                    let due = t.get("due_date").to_text();
                    !due.is_empty() && due < day
                }
            })
            .count();
        values.insert("overdue_actions", Some(overdue as i64));
        let met = self.requirements_met(scope, &q, &day).await?;
        for (i, m) in met.iter().enumerate() {
            if let Some(k) = kpi_def(&format!("requirements_met_fr{}", i + 1)) {
                values.insert(k.key, *m);
            }
        }
        let cutoff = today
            .checked_sub(jiff::Span::new().days(UNTRIAGED_DAYS))
            .unwrap_or(today)
            .to_string();
        let filter = crate::read::site_filter(scope, "site_id");
        let sql = format!(
            "SELECT COUNT(*) FROM advisory_match WHERE status = 'new' AND matched_at < $1{filter}"
        );
        let untriaged: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(cutoff)
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        values.insert("advisories_untriaged", Some(untriaged));
        Ok(KPIS
            .iter()
            .map(|k| (k, values.get(k.key).copied().flatten()))
            .collect())
    }

    /// Per FR, the share of requirements in force that count as met over the zones of `scope`.
    async fn requirements_met(
        &self,
        scope: &Scope,
        q: &ListQuery,
        today: &str,
    ) -> Result<[Option<i64>; 7], StoreError> {
        let catalog = self.catalog().await?;
        let statuses = self.assessment_statuses(scope, false).await?;
        let (_, cover) = self.coverage(scope, today).await?;
        let mut in_force = [0usize; 7];
        let mut met = [0usize; 7];
        for z in self.list_all(&ZONE_KIND, q).await? {
            let sl_t = match z.get("sl_t") {
                Value::Sl(v) => *v,
                _ => SlVector::uniform(0),
            };
            let own = statuses.get(&z.id);
            let covered = cover.get(&z.id);
            let gap = assess(&catalog, &sl_t, Target::Zone, &|r| {
                let assessed = own
                    .and_then(|m| m.get(&r.id))
                    .copied()
                    .unwrap_or(Status::NotAssessed);
                effective_status(assessed, covered.is_some_and(|c| c.contains(&r.id)))
            });
            for (i, fr) in gap.by_fr.iter().enumerate() {
                in_force[i] += fr.in_force;
                met[i] += fr.met;
            }
        }
        let mut out = [None; 7];
        for i in 0..7 {
            out[i] = (met[i] * 100).checked_div(in_force[i]).map(|p| p as i64);
        }
        Ok(out)
    }

    /// Computes every KPI for the organization and for each site, and what is overdue and due
    /// this week, and stores them as the snapshot of `now`'s day (replacing one taken earlier
    /// that day), in one audited transaction. Returns the number of values stored.
    pub async fn snapshot_kpis(&self, actor: &str, now: DateTime) -> Result<usize, StoreError> {
        let day = now.date().to_string();
        let mut rows: Vec<(i64, &'static str, Option<i64>)> = Vec::new();
        for (k, v) in self.program_kpis(&Scope::All, now).await? {
            rows.push((ORGANIZATION, k.key, v));
        }
        let sites = self.list_all(&SITE_KIND, &ListQuery::default()).await?;
        for s in &sites {
            let scope = Scope::Limited {
                sites: vec![s.id],
                records: Vec::new(),
            };
            for (k, v) in self.program_kpis(&scope, now).await? {
                rows.push((s.id, k.key, v));
            }
        }
        // What is due, once for every site.
        let mut due: HashMap<i64, (i64, i64)> = HashMap::new();
        for o in self.due(&Scope::All, &day).await? {
            let (overdue, week) = match otkeep_core::due::Bucket::of(o.due, now.date()) {
                otkeep_core::due::Bucket::Overdue => (1, 0),
                otkeep_core::due::Bucket::ThisWeek => (0, 1),
                _ => continue,
            };
            // Counted for its site and for the organization.
            for site in o.site_id.into_iter().chain([ORGANIZATION]) {
                let e = due.entry(site).or_default();
                e.0 += overdue;
                e.1 += week;
            }
        }
        for site in std::iter::once(ORGANIZATION).chain(sites.iter().map(|s| s.id)) {
            let (overdue, week) = due.get(&site).copied().unwrap_or_default();
            rows.push((site, DUE_OVERDUE, Some(overdue)));
            rows.push((site, DUE_THIS_WEEK, Some(week)));
        }
        let mut tx = self.begin_write(actor, Some("daily KPI snapshot")).await?;
        sqlx::query("DELETE FROM kpi_snapshot WHERE day = $1")
            .bind(day.clone())
            .execute(tx.conn())
            .await?;
        for (site, kpi, value) in &rows {
            sqlx::query(
                "INSERT INTO kpi_snapshot (day, site_id, kpi, value, taken_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(day.clone())
            .bind(*site)
            .bind(*kpi)
            .bind(*value)
            .bind(crate::now())
            .execute(tx.conn())
            .await?;
        }
        let organization: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .filter(|(s, _, _)| *s == ORGANIZATION)
            .map(|(_, k, v)| ((*k).to_string(), json!(v)))
            .collect();
        tx.append_event(
            "kpi_snapshot",
            "kpi",
            None,
            None,
            Some(json!({"day": day, "sites": sites.len(), "values": rows.len(), "organization": organization}).to_string()),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// The snapshotted values of the sites in `sites` (and [`ORGANIZATION`] when included)
    /// from `since` on, by day.
    pub async fn kpi_history(
        &self,
        sites: &[i64],
        since: Date,
    ) -> Result<Vec<KpiPoint>, StoreError> {
        if sites.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = sites.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT day, site_id, kpi, value FROM kpi_snapshot WHERE day >= $1 AND site_id IN ({}) ORDER BY day, site_id, kpi",
            list.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(KpiPoint {
                    day: r.try_get(0)?,
                    site_id: r.try_get(1)?,
                    kpi: r.try_get(2)?,
                    value: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// The target and owner of every KPI: as set, else the definition's default target.
    pub async fn kpi_targets(&self) -> Result<HashMap<&'static str, KpiTarget>, StoreError> {
        let rows = sqlx::query("SELECT kpi, target, owner FROM kpi_target")
            .fetch_all(self.pool())
            .await?;
        let mut set: HashMap<String, KpiTarget> = HashMap::new();
        for r in &rows {
            set.insert(
                r.try_get(0)?,
                KpiTarget {
                    target: r.try_get(1)?,
                    owner: r.try_get(2)?,
                },
            );
        }
        Ok(KPIS
            .iter()
            .map(|k| {
                (
                    k.key,
                    set.remove(k.key).unwrap_or(KpiTarget {
                        target: k.default_target,
                        owner: String::new(),
                    }),
                )
            })
            .collect())
    }

    /// Sets the target and owner of KPI `key` for the organization (audited).
    pub async fn set_kpi_target(
        &self,
        actor: &str,
        key: &str,
        target: i64,
        owner: &str,
    ) -> Result<(), StoreError> {
        let Some(def) = kpi_def(key) else {
            let keys: Vec<&str> = KPIS.iter().map(|k| k.key).collect();
            return Err(StoreError::Invalid(vec![FieldError::new(
                "kpi",
                format!("'{key}' is not a KPI; use one of {}", keys.join(", ")),
            )]));
        };
        if def.unit == "%" && !(0..=100).contains(&target) || target < 0 {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "target",
                format!("{target} is not a target for {} ({})", def.label, def.unit),
            )]));
        }
        let before = self.kpi_targets().await?.get(def.key).cloned();
        let mut tx = self.begin_write(actor, Some("KPI target")).await?;
        sqlx::query("DELETE FROM kpi_target WHERE kpi = $1")
            .bind(def.key)
            .execute(tx.conn())
            .await?;
        sqlx::query("INSERT INTO kpi_target (kpi, target, owner) VALUES ($1, $2, $3)")
            .bind(def.key)
            .bind(target)
            .bind(owner.trim().to_string())
            .execute(tx.conn())
            .await?;
        tx.append_event(
            "kpi_target",
            "kpi",
            None,
            before
                .map(|b| json!({"kpi": def.key, "target": b.target, "owner": b.owner}).to_string()),
            Some(json!({"kpi": def.key, "target": target, "owner": owner.trim()}).to_string()),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
