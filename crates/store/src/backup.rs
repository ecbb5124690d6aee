//! Backups in the store: the last successful backup and restore test of each plan (for the
//! due engine), and the KPI "critical assets with a successful restore test within the
//! interval".

use crate::{ListQuery, Store, StoreError};
use jiff::civil::Date;
use otkeep_core::access::Scope;
use otkeep_core::kinds::ASSET_KIND;
use otkeep_core::ops_kinds::{BACKUP_PLAN_KIND, BACKUP_RECORD_KIND, RESTORE_TEST_KIND};
use otkeep_core::{KindDef, Record};
use std::collections::HashMap;

/// The restore-test KPI of a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreKpi {
    /// Assets of criticality high or critical (not decommissioned).
    pub critical_assets: usize,
    /// Of those, covered by a plan whose last successful restore test is within its interval.
    pub restore_tested: usize,
    /// Of those, in no backup plan at all.
    pub without_plan: usize,
    pub percent: u32,
}

impl Store {
    /// The latest date of `field` per parent (`parent` reference) among records of `kind`,
    /// only of successful ones when `successful`.
    pub(crate) async fn latest_dates(
        &self,
        kind: &'static KindDef,
        parent: &str,
        field: &str,
        successful: bool,
        scope: &Scope,
    ) -> Result<HashMap<i64, Date>, StoreError> {
        let mut q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        if successful {
            q.filters
                .insert("result", otkeep_core::Value::Text("success".into()));
        }
        let mut out: HashMap<i64, Date> = HashMap::new();
        for r in self.list_all(kind, &q).await? {
            let (Some(plan), Ok(d)) = (
                r.get(parent).as_int(),
                otkeep_core::value::parse_date(&r.get(field).to_text()),
            ) else {
                continue;
            };
            let e = out.entry(plan).or_insert(d);
            if d > *e {
                *e = d;
            }
        }
        Ok(out)
    }

    /// The backup plans of `scope` with their last successful backup and restore test.
    pub async fn backup_status(
        &self,
        scope: &Scope,
    ) -> Result<Vec<(Record, Option<Date>, Option<Date>)>, StoreError> {
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let backups = self
            .latest_dates(&BACKUP_RECORD_KIND, "plan_id", "taken_on", true, scope)
            .await?;
        let restores = self
            .latest_dates(&RESTORE_TEST_KIND, "plan_id", "tested_on", true, scope)
            .await?;
        Ok(self
            .list_all(&BACKUP_PLAN_KIND, &q)
            .await?
            .into_iter()
            .map(|p| {
                let (b, r) = (backups.get(&p.id).copied(), restores.get(&p.id).copied());
                (p, b, r)
            })
            .collect())
    }

    /// The restore-test KPI of `scope` as of `today`.
    pub async fn restore_kpi(&self, scope: &Scope, today: Date) -> Result<RestoreKpi, StoreError> {
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let assets = self.list_all(&ASSET_KIND, &q).await?;
        self.restore_kpi_of(&assets, scope, today).await
    }

    /// The restore-test KPI of `scope` over its `assets` (already read).
    pub(crate) async fn restore_kpi_of(
        &self,
        assets: &[Record],
        scope: &Scope,
        today: Date,
    ) -> Result<RestoreKpi, StoreError> {
        let critical: Vec<&Record> = assets
            .iter()
            .filter(|a| otkeep_core::ops_kpi::is_critical_asset(a))
            .collect();
        let mut planned: HashMap<i64, bool> = HashMap::new();
        for (plan, _, restore) in self.backup_status(scope).await? {
            let interval = plan.get("restore_test_days").as_int().unwrap_or(365);
            let current = restore.is_some_and(|r| {
                r.checked_add(jiff::Span::new().days(interval))
                    .is_ok_and(|until| until >= today)
            });
            for a in plan.get("assets").ids() {
                let e = planned.entry(*a).or_insert(false);
                *e |= current;
            }
        }
        let tested = critical
            .iter()
            .filter(|a| planned.get(&a.id).copied().unwrap_or(false))
            .count();
        let without = critical
            .iter()
            .filter(|a| !planned.contains_key(&a.id))
            .count();
        Ok(RestoreKpi {
            critical_assets: critical.len(),
            restore_tested: tested,
            without_plan: without,
            percent: (tested * 100)
                .checked_div(critical.len())
                .map_or(100, |p| p as u32),
        })
    }
}
