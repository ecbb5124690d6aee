//! Configuration baselines in the store: which assets a baseline covers, their latest
//! conformance checks, and the KPI "share of assets in scope checked within the interval".

use crate::{ListQuery, Store, StoreError};
use otkeep_core::Record;
use otkeep_core::access::Scope;
use otkeep_core::config_kinds::{BASELINE_KIND, CONFORMANCE_KIND, baseline_asset_types};
use otkeep_core::kinds::ASSET_KIND;
use std::collections::HashMap;

/// How far the assets in a baseline's scope are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineKpi {
    /// Assets of the baseline's site whose type it covers (not decommissioned).
    pub in_scope: usize,
    /// Of those, checked against it within its interval.
    pub current: usize,
    /// Of those, never checked.
    pub never: usize,
}

impl BaselineKpi {
    pub fn percent(&self) -> u32 {
        // Nothing in scope: nothing left to check.
        (self.current * 100)
            .checked_div(self.in_scope)
            .map_or(100, |p| p as u32)
    }
}

impl Store {
    /// The latest conformance check per (asset, baseline) within `scope`.
    pub async fn latest_checks(
        &self,
        scope: &Scope,
    ) -> Result<HashMap<(i64, i64), Record>, StoreError> {
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let mut out: HashMap<(i64, i64), Record> = HashMap::new();
        for c in self.list_all(&CONFORMANCE_KIND, &q).await? {
            let (Some(asset), Some(baseline)) =
                (c.get("asset_id").as_int(), c.get("baseline_id").as_int())
            else {
                continue;
            };
            let newer = out
                .get(&(asset, baseline))
                .is_none_or(|o| c.get("checked_on").to_text() > o.get("checked_on").to_text());
            if newer {
                out.insert((asset, baseline), c);
            }
        }
        Ok(out)
    }

    /// The KPI of `baseline` as of `today`.
    pub async fn baseline_kpi(
        &self,
        baseline: &Record,
        today: &str,
    ) -> Result<BaselineKpi, StoreError> {
        let scope = Scope::Limited {
            sites: baseline.site_id().into_iter().collect(),
            records: Vec::new(),
        };
        let types = baseline_asset_types(&baseline.values);
        let assets: Vec<Record> = self
            .list_all(
                &ASSET_KIND,
                &ListQuery {
                    scope: scope.clone(),
                    ..ListQuery::default()
                },
            )
            .await?
            .into_iter()
            .filter(|a| {
                types.contains(&a.get("asset_type").to_text())
                    && a.get("lifecycle").to_text() != "decommissioned"
            })
            .collect();
        let latest = self.latest_checks(&scope).await?;
        let interval = baseline.get("review_interval_days").as_int().unwrap_or(365);
        let since = otkeep_core::value::parse_date(today)
            .ok()
            .and_then(|d| d.checked_sub(jiff::Span::new().days(interval)).ok())
            .map(|d| d.to_string())
            .unwrap_or_default();
        let mut kpi = BaselineKpi {
            in_scope: assets.len(),
            current: 0,
            never: 0,
        };
        for a in &assets {
            match latest.get(&(a.id, baseline.id)) {
                None => kpi.never += 1,
                Some(c) if c.get("checked_on").to_text() >= since => kpi.current += 1,
                Some(_) => {}
            }
        }
        Ok(kpi)
    }

    /// The next baseline check of every (asset, baseline) checked before, within `scope`.
    pub(crate) async fn baseline_obligations(
        &self,
        scope: &Scope,
    ) -> Result<Vec<otkeep_core::due::Obligation>, StoreError> {
        let q = ListQuery {
            scope: scope.clone(),
            ..ListQuery::default()
        };
        let intervals: HashMap<i64, i64> = self
            .list_all(&BASELINE_KIND, &q)
            .await?
            .iter()
            .map(|b| (b.id, b.get("review_interval_days").as_int().unwrap_or(365)))
            .collect();
        let latest = self.latest_checks(scope).await?;
        let titles = self
            .titles(&ASSET_KIND, latest.keys().map(|(a, _)| *a))
            .await?;
        let mut out = Vec::new();
        for ((asset, baseline), check) in &latest {
            let Some(interval) = intervals.get(baseline) else {
                continue;
            };
            let name = titles
                .get(asset)
                .cloned()
                .unwrap_or_else(|| format!("asset #{asset}"));
            if let Some(o) = otkeep_core::due::baseline_check(check, *interval, &name) {
                out.push(o);
            }
        }
        Ok(out)
    }
}
