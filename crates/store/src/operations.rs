//! Operations records in the store: the KPIs of a scope (`otkeep_core::ops_kpi`, with the
//! restore-test KPI of [`crate::backup`]) and the due obligations of patches on assets and OT
//! accounts, which need facts from other records (the patch's release and severity, the
//! access reviews naming an account).

use crate::{ListQuery, RestoreKpi, Store, StoreError};
use jiff::civil::{Date, DateTime};
use otkeep_core::access::Scope;
use otkeep_core::account_kinds::{ACCESS_REVIEW_KIND, OT_ACCOUNT_KIND, REVOCATION_KIND};
use otkeep_core::due::Obligation;
use otkeep_core::kinds::ASSET_KIND;
use otkeep_core::ops_kpi::{AccessKpi, PatchKpi, RemoteKpi, is_critical_asset};
use otkeep_core::patch_kinds::{PATCH_DEPLOYMENT_KIND, PATCH_KIND};
use otkeep_core::remote_kinds::REMOTE_SESSION_KIND;
use otkeep_core::{KindDef, Record};
use std::collections::{HashMap, HashSet};

/// Every operations KPI of a scope at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationsKpis {
    pub now: DateTime,
    pub critical_assets: usize,
    pub patches: PatchKpi,
    pub access: AccessKpi,
    pub remote: RemoteKpi,
    pub restore: RestoreKpi,
}

impl Store {
    async fn all_in(
        &self,
        kind: &'static KindDef,
        scope: &Scope,
    ) -> Result<Vec<Record>, StoreError> {
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        self.list_all(kind, &q).await
    }

    /// The patches of `scope` by id.
    async fn patches_by_id(&self, scope: &Scope) -> Result<HashMap<i64, Record>, StoreError> {
        Ok(self
            .all_in(&PATCH_KIND, scope)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect())
    }

    /// The latest access review naming each account (confirmed or to be revoked) in `scope`.
    pub async fn account_reviews(&self, scope: &Scope) -> Result<HashMap<i64, Date>, StoreError> {
        let mut out: HashMap<i64, Date> = HashMap::new();
        for r in self.all_in(&ACCESS_REVIEW_KIND, scope).await? {
            let Ok(day) = otkeep_core::value::parse_date(&r.get("reviewed_on").to_text()) else {
                continue;
            };
            let named = r
                .get("confirmed")
                .ids()
                .iter()
                .chain(r.get("to_revoke").ids());
            for account in named {
                let e = out.entry(*account).or_insert(day);
                *e = (*e).max(day);
            }
        }
        Ok(out)
    }

    /// The operations KPIs of `scope` at local time `now`.
    pub async fn operations_kpis(
        &self,
        scope: &Scope,
        now: DateTime,
    ) -> Result<OperationsKpis, StoreError> {
        let today = now.date();
        // The assets are the largest read: once, for both the patch and the restore KPIs.
        let assets = self.all_in(&ASSET_KIND, scope).await?;
        let critical: HashSet<i64> = assets
            .iter()
            .filter(|a| is_critical_asset(a))
            .map(|a| a.id)
            .collect();
        let patches = otkeep_core::ops_kpi::patch_kpi(
            &self.all_in(&PATCH_DEPLOYMENT_KIND, scope).await?,
            &self.patches_by_id(scope).await?,
            &critical,
            today,
        );
        let access = otkeep_core::ops_kpi::access_kpi(
            &self.all_in(&OT_ACCOUNT_KIND, scope).await?,
            &self.account_reviews(scope).await?,
            &self.all_in(&REVOCATION_KIND, scope).await?,
            now,
        );
        let remote =
            otkeep_core::ops_kpi::remote_kpi(&self.all_in(&REMOTE_SESSION_KIND, scope).await?, now);
        let restore = self.restore_kpi_of(&assets, scope, today).await?;
        Ok(OperationsKpis {
            now,
            critical_assets: critical.len(),
            patches,
            access,
            remote,
            restore,
        })
    }

    /// The records of `kind` that `actor` created (by the audit trail) and that still exist,
    /// newest first: a requester's own requests, whichever sites they are on.
    pub async fn created_by(
        &self,
        kind: &'static KindDef,
        actor: &str,
    ) -> Result<Vec<Record>, StoreError> {
        let rows = sqlx::query(
            "SELECT record_id FROM audit_event WHERE kind = $1 AND action = 'create' AND actor = $2 AND record_id IS NOT NULL",
        )
        .bind(kind.name)
        .bind(actor.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            ids.push(sqlx::Row::try_get::<i64, _>(r, 0)?);
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let scope = Scope::Limited {
            sites: Vec::new(),
            records: ids,
        };
        let mut out = self.all_in(kind, &scope).await?;
        out.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(out)
    }

    /// The due obligations of the patches on assets and the OT accounts of `scope`.
    pub(crate) async fn operations_obligations(
        &self,
        scope: &Scope,
        today: Date,
    ) -> Result<Vec<Obligation>, StoreError> {
        let mut out = Vec::new();
        let patches = self.patches_by_id(scope).await?;
        for d in self.all_in(&PATCH_DEPLOYMENT_KIND, scope).await? {
            let patch = d.get("patch_id").as_int().and_then(|p| patches.get(&p));
            if let Some(o) = patch.and_then(|p| otkeep_core::due::patch_obligation(&d, p)) {
                out.push(o);
            }
        }
        let reviewed = self.account_reviews(scope).await?;
        for a in self.all_in(&OT_ACCOUNT_KIND, scope).await? {
            out.extend(otkeep_core::due::account_review(&a, &reviewed, today));
        }
        Ok(out)
    }
}

/// One KPI as the page and the command line show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiLine {
    pub group: &'static str,
    pub label: &'static str,
    pub value: String,
    /// How it is computed or what it counts.
    pub note: String,
    /// Whether the figure asks for attention (non-zero backlog, below target).
    pub attention: bool,
}

fn days(d: Option<i64>) -> String {
    d.map_or("–".into(), |d| format!("{d} d"))
}

fn hours(h: Option<i64>) -> String {
    h.map_or("–".into(), |h| format!("{h} h"))
}

impl OperationsKpis {
    /// The KPIs in display order, grouped.
    pub fn lines(&self) -> Vec<KpiLine> {
        let line = |group, label, value: String, note: String, attention| KpiLine {
            group,
            label,
            value,
            note,
            attention,
        };
        let (p, a, r, b) = (&self.patches, &self.access, &self.remote, &self.restore);
        vec![
            line(
                "Patches",
                "Patch latency on critical assets (median / worst)",
                format!(
                    "{} / {}",
                    days(p.latency_median_days),
                    days(p.latency_worst_days)
                ),
                format!(
                    "release to deployment, over {} deployments",
                    p.deployed_on_critical
                ),
                false,
            ),
            line(
                "Patches",
                "Critical patches deployed within 30 days",
                format!("{} %", p.percent_in_window),
                format!(
                    "{} of {} applicable on critical assets, deployed or past their window",
                    p.critical_in_window, p.critical_due
                ),
                p.critical_in_window < p.critical_due,
            ),
            line(
                "Patches",
                "Open deferrals",
                p.open_deferrals.to_string(),
                format!("{} past their end date", p.deferrals_past_until),
                p.deferrals_past_until > 0,
            ),
            line(
                "Accounts and access",
                "Time to revoke access (median / worst)",
                format!(
                    "{} / {}",
                    hours(a.revoke_median_hours),
                    hours(a.revoke_worst_hours)
                ),
                format!(
                    "{} completed, {} later than 24 h",
                    a.revocations_completed, a.revoked_late
                ),
                a.revoked_late > 0,
            ),
            line(
                "Accounts and access",
                "Open revocations",
                a.revocations_open.to_string(),
                format!("{} open for more than 24 h", a.revocations_open_late),
                a.revocations_open_late > 0,
            ),
            line(
                "Accounts and access",
                "Accounts not reviewed within their interval",
                a.not_reviewed.to_string(),
                format!("of {} active accounts", a.active_accounts),
                a.not_reviewed > 0,
            ),
            line(
                "Accounts and access",
                "Shared accounts without a named holder",
                a.shared_without_holder.to_string(),
                "active shared accounts".into(),
                a.shared_without_holder > 0,
            ),
            line(
                "Remote access",
                "Sessions flagged",
                r.flagged.to_string(),
                "past their window with access possibly open, or never closed".into(),
                r.flagged > 0,
            ),
            line(
                "Remote access",
                "Requests awaiting approval / sessions open",
                format!("{} / {}", r.awaiting_approval, r.open),
                format!("of {} sessions recorded", r.sessions),
                false,
            ),
            line(
                "Backup and recovery",
                "Critical assets with a successful restore test within the interval",
                format!("{} %", b.percent),
                format!(
                    "{} of {}; {} in no backup plan",
                    b.restore_tested, b.critical_assets, b.without_plan
                ),
                b.restore_tested < b.critical_assets,
            ),
        ]
    }
}
