//! The operations KPIs (issue 8): patch latency and deployment within the target window,
//! time to revoke access, accounts past their review, shared accounts without a holder and
//! remote sessions needing attention. Pure functions over records; the store gathers the
//! records of a scope and the pages, the API and the CLI show the result.
//!
//! Definitions (also in the user documentation):
//! - *Critical assets* are assets of criticality high or critical that are not decommissioned.
//! - *Patch latency* is the days from a patch's release to its deployment, over the patches
//!   deployed on critical assets.
//! - *Deployed within the target window* counts the applicable patches of severity critical
//!   (every state but "not applicable") on critical assets whose window (30 days from release)
//!   has passed or that are deployed; of those, the ones deployed within the window.
//! - *Open deferrals* are patches deferred under an exception; *past their date* when the
//!   deferral's end has passed.
//! - *Time to revoke* is from a revocation's request to its completion, in hours.
//! - An active account is *not reviewed* when its last review (recorded in otkeep, or the
//!   date entered on the account, or its creation) is older than its review interval.

use crate::account_kinds::{DEFAULT_REVIEW_DAYS, REVOKE_TARGET_HOURS};
use crate::patch_kinds::target_window_days;
use crate::value::{Record, parse_date, parse_datetime};
use jiff::civil::{Date, DateTime};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Whether an asset record counts as critical for the KPIs.
pub fn is_critical_asset(asset: &Record) -> bool {
    matches!(
        asset.get("criticality").to_text().as_str(),
        "high" | "critical"
    ) && asset.get("lifecycle").to_text() != "decommissioned"
}

/// The patch KPIs of a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PatchKpi {
    /// Patches deployed on critical assets (the latency sample).
    pub deployed_on_critical: usize,
    pub latency_median_days: Option<i64>,
    pub latency_worst_days: Option<i64>,
    /// Applicable critical patches on critical assets that are deployed or past their window.
    pub critical_due: usize,
    /// Of those, deployed within the window.
    pub critical_in_window: usize,
    /// `critical_in_window` of `critical_due`, in percent (100 when nothing is due).
    pub percent_in_window: u32,
    pub open_deferrals: usize,
    pub deferrals_past_until: usize,
}

fn date_of(r: &Record, field: &str) -> Option<Date> {
    parse_date(&r.get(field).to_text()).ok()
}

fn datetime_of(r: &Record, field: &str) -> Option<DateTime> {
    let text = r.get(field).to_text();
    if text.is_empty() {
        return None;
    }
    parse_datetime(&text).ok()
}

/// The median of `values` (the lower middle one of an even count); `None` when empty.
fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    values.get(values.len().saturating_sub(1) / 2).copied()
}

fn percent(part: usize, whole: usize) -> u32 {
    (part * 100).checked_div(whole).map_or(100, |p| p as u32)
}

/// The patch KPIs over `deployments` (patch-on-asset records), their `patches` by id and the
/// ids of the critical assets, as of `today`.
pub fn patch_kpi(
    deployments: &[Record],
    patches: &HashMap<i64, Record>,
    critical: &HashSet<i64>,
    today: Date,
) -> PatchKpi {
    let mut kpi = PatchKpi::default();
    let mut latencies = Vec::new();
    for d in deployments {
        let state = d.get("state").to_text();
        if state == "deferred" {
            kpi.open_deferrals += 1;
            if date_of(d, "deferred_until").is_some_and(|u| u < today) {
                kpi.deferrals_past_until += 1;
            }
        }
        let on_critical = d
            .get("asset_id")
            .as_int()
            .is_some_and(|a| critical.contains(&a));
        let patch = d.get("patch_id").as_int().and_then(|p| patches.get(&p));
        let (Some(patch), true) = (patch, on_critical) else {
            continue;
        };
        let released = date_of(patch, "released_on");
        let deployed = (state == "deployed")
            .then(|| date_of(d, "deployed_on"))
            .flatten();
        if let (Some(r), Some(dep)) = (released, deployed) {
            kpi.deployed_on_critical += 1;
            latencies.push((dep - r).get_days().into());
        }
        let severity = patch.get("severity").to_text();
        if severity != "critical" || state == "not_applicable" {
            continue;
        }
        let (Some(released), Some(window)) = (released, target_window_days(&severity)) else {
            continue;
        };
        let Ok(deadline) = released.checked_add(jiff::Span::new().days(window)) else {
            continue;
        };
        if deployed.is_some() || deadline < today {
            kpi.critical_due += 1;
            if deployed.is_some_and(|d| d <= deadline) {
                kpi.critical_in_window += 1;
            }
        }
    }
    kpi.latency_worst_days = latencies.iter().copied().max();
    kpi.latency_median_days = median(&mut latencies);
    kpi.percent_in_window = percent(kpi.critical_in_window, kpi.critical_due);
    kpi
}

/// The account and access KPIs of a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessKpi {
    pub revocations_completed: usize,
    pub revoke_median_hours: Option<i64>,
    pub revoke_worst_hours: Option<i64>,
    /// Completed later than the target (24 hours).
    pub revoked_late: usize,
    pub revocations_open: usize,
    /// Open for longer than the target.
    pub revocations_open_late: usize,
    pub active_accounts: usize,
    pub not_reviewed: usize,
    pub shared_without_holder: usize,
}

/// When an account was last reviewed: the latest of the date on the account, the access
/// reviews that name it (`reviewed`) and, failing both, its creation.
pub fn last_review(account: &Record, reviewed: &HashMap<i64, Date>) -> Option<Date> {
    let recorded = reviewed.get(&account.id).copied();
    let entered = date_of(account, "last_reviewed");
    recorded
        .max(entered)
        .or_else(|| date_of(account, "created_on"))
}

/// The day an active account's next review is due (its last review plus its interval, or
/// `today` when it was never reviewed nor has a creation date); `None` when not active.
pub fn next_review(account: &Record, reviewed: &HashMap<i64, Date>, today: Date) -> Option<Date> {
    if account.get("status").to_text() != "active" {
        return None;
    }
    let days = account
        .get("review_days")
        .as_int()
        .unwrap_or(DEFAULT_REVIEW_DAYS);
    Some(
        last_review(account, reviewed)
            .and_then(|d| d.checked_add(jiff::Span::new().days(days)).ok())
            .unwrap_or(today),
    )
}

/// The access KPIs over `accounts` (with the dates of the access reviews naming them) and
/// `revocations`, as of `now`.
pub fn access_kpi(
    accounts: &[Record],
    reviewed: &HashMap<i64, Date>,
    revocations: &[Record],
    now: DateTime,
) -> AccessKpi {
    let today = now.date();
    let mut kpi = AccessKpi::default();
    for a in accounts {
        let Some(next) = next_review(a, reviewed, today) else {
            continue;
        };
        kpi.active_accounts += 1;
        if next < today {
            kpi.not_reviewed += 1;
        }
        if a.get("account_type").to_text() == "shared" && a.get("holders").to_text().is_empty() {
            kpi.shared_without_holder += 1;
        }
    }
    let mut hours = Vec::new();
    for r in revocations {
        let Some(requested) = datetime_of(r, "requested_at") else {
            continue;
        };
        let end = datetime_of(r, "completed_at");
        // Whole hours; civil times, as entered in the plant's local time.
        let took = |until: DateTime| until.duration_since(requested).as_hours();
        match end {
            Some(done) => {
                let h = took(done);
                kpi.revocations_completed += 1;
                if h > REVOKE_TARGET_HOURS {
                    kpi.revoked_late += 1;
                }
                hours.push(h);
            }
            None => {
                kpi.revocations_open += 1;
                if took(now) > REVOKE_TARGET_HOURS {
                    kpi.revocations_open_late += 1;
                }
            }
        }
    }
    kpi.revoke_worst_hours = hours.iter().copied().max();
    kpi.revoke_median_hours = median(&mut hours);
    kpi
}

/// The remote-access KPIs of a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemoteKpi {
    pub sessions: usize,
    pub awaiting_approval: usize,
    /// Approved and not closed yet.
    pub open: usize,
    /// Past their window with access possibly still open, or never closed.
    pub flagged: usize,
}

/// The remote-access KPIs over `sessions` at local time `now`.
pub fn remote_kpi(sessions: &[Record], now: DateTime) -> RemoteKpi {
    let now = crate::value::datetime_text(now);
    let mut kpi = RemoteKpi {
        sessions: sessions.len(),
        ..RemoteKpi::default()
    };
    for s in sessions {
        let status = s.get("status").to_text();
        if status == "requested" {
            kpi.awaiting_approval += 1;
        }
        if crate::remote_kinds::OPEN_STATES.contains(&status.as_str()) {
            kpi.open += 1;
        }
        if crate::remote_kinds::flag_reason(&s.values, &now).is_some() {
            kpi.flagged += 1;
        }
    }
    kpi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account_kinds::{OT_ACCOUNT_KIND, REVOCATION_KIND};
    use crate::patch_kinds::{PATCH_DEPLOYMENT_KIND, PATCH_KIND};
    use crate::remote_kinds::REMOTE_SESSION_KIND;
    use serde_json::json;

    use crate::value::fixture as record;

    fn day(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn patch_latency_and_window_count_only_critical_assets() {
        let patch = |id, severity, released| {
            record(
                &PATCH_KIND,
                id,
                json!({"site_id": 1, "name": format!("P{id}"), "vendor": "v", "products": "p",
                       "patch_type": "firmware", "severity": severity, "qualification": "qualified",
                       "released_on": released}),
            )
        };
        let patches: HashMap<i64, Record> = [
            (1, patch(1, "critical", "2026-01-01")),
            (2, patch(2, "critical", "2026-10-20")),
            (3, patch(3, "low", "2026-01-01")),
        ]
        .into_iter()
        .collect();
        let dep = |id, p, asset, v: serde_json::Value| {
            let mut base = json!({"site_id": 1, "patch_id": p, "asset_id": asset});
            for (k, val) in v.as_object().expect("object") {
                base[k] = val.clone();
            }
            record(&PATCH_DEPLOYMENT_KIND, id, base)
        };
        let deployed = |on: &str| {
            json!({"state": "deployed", "deployed_on": on, "deployed_by": "x",
                   "test_evidence": "t", "change_id": 1})
        };
        let deployments = vec![
            // Critical patch on a critical asset: deployed in 20 days, then in 60.
            dep(1, 1, 10, deployed("2026-01-21")),
            dep(2, 1, 11, deployed("2026-03-02")),
            // Still open and past its window.
            dep(3, 1, 12, json!({"state": "tested", "test_evidence": "t"})),
            // Open but its window has not passed.
            dep(4, 2, 10, json!({"state": "evaluated"})),
            // Not applicable: not counted.
            dep(5, 1, 13, json!({"state": "not_applicable"})),
            // A low patch: latency only.
            dep(6, 3, 10, deployed("2026-01-11")),
            // Deferred, past its end; on a non-critical asset (deferrals count everywhere).
            dep(
                7,
                1,
                99,
                json!({"state": "deferred", "exception_id": 1, "deferred_until": "2026-06-01"}),
            ),
        ];
        let critical: HashSet<i64> = [10, 11, 12, 13].into_iter().collect();
        let kpi = patch_kpi(&deployments, &patches, &critical, day("2026-11-01"));
        assert_eq!(kpi.deployed_on_critical, 3);
        assert_eq!(kpi.latency_median_days, Some(20));
        assert_eq!(kpi.latency_worst_days, Some(60));
        assert_eq!((kpi.critical_in_window, kpi.critical_due), (1, 3));
        assert_eq!(kpi.percent_in_window, 33);
        assert_eq!((kpi.open_deferrals, kpi.deferrals_past_until), (1, 1));
    }

    #[test]
    fn revocation_times_and_account_reviews() {
        let now: DateTime = "2026-11-10T12:00".parse().expect("time");
        let rev = |id, requested: &str, completed: Option<&str>| {
            record(
                &REVOCATION_KIND,
                id,
                json!({"site_id": 1, "person": "p", "reason": "leaver", "accounts": [1],
                       "requested_at": requested, "requested_by": "hr",
                       "completed_at": completed, "completed_by": completed.map(|_| "it")}),
            )
        };
        let revocations = vec![
            rev(1, "2026-11-01T08:00", Some("2026-11-01T10:30")),
            rev(2, "2026-11-02T08:00", Some("2026-11-05T08:00")),
            rev(3, "2026-11-03T08:00", Some("2026-11-03T20:00")),
            rev(4, "2026-11-10T09:00", None),
            rev(5, "2026-11-08T09:00", None),
        ];
        let account = |id, ty: &str, holders: &str, status: &str, last: &str| {
            record(
                &OT_ACCOUNT_KIND,
                id,
                json!({"site_id": 1, "name": format!("a{id}"), "asset_id": 1, "account_type": ty,
                       "holders": holders, "status": status, "last_reviewed": last}),
            )
        };
        let accounts = vec![
            account(1, "personal", "Ann", "active", "2025-01-01"),
            account(2, "shared", "", "active", "2026-06-01"),
            account(3, "shared", "", "disabled", "2020-01-01"),
            account(4, "service", "", "active", "2024-01-01"),
        ];
        // Account 4 was confirmed in a review recorded in otkeep.
        let reviewed: HashMap<i64, Date> = [(4, day("2026-02-01"))].into_iter().collect();
        let kpi = access_kpi(&accounts, &reviewed, &revocations, now);
        assert_eq!(kpi.revocations_completed, 3);
        assert_eq!(kpi.revoke_median_hours, Some(12));
        assert_eq!(kpi.revoke_worst_hours, Some(72));
        assert_eq!(kpi.revoked_late, 1);
        assert_eq!((kpi.revocations_open, kpi.revocations_open_late), (2, 1));
        assert_eq!(kpi.active_accounts, 3);
        assert_eq!(kpi.not_reviewed, 1, "only account 1 is past its year");
        assert_eq!(
            kpi.shared_without_holder, 1,
            "disabled accounts do not count"
        );
    }

    #[test]
    fn sessions_past_their_window_are_flagged() {
        let now: DateTime = "2026-11-10T12:00".parse().expect("time");
        let session = |id, status: &str, end: &str| {
            record(
                &REMOTE_SESSION_KIND,
                id,
                json!({"site_id": 1, "name": "s", "requester": "v", "zones": [1], "purpose": "p",
                       "window_start": "2026-11-01T08:00", "window_end": end, "status": status,
                       "access_path": "fw rule 12", "started_at": "2026-11-01T08:10",
                       "performed_by": "v", "ended_at": "2026-11-01T09:00", "summary": "s",
                       "access_removed": true}),
            )
        };
        let sessions = vec![
            session(1, "requested", "2026-11-20T08:00"),
            session(2, "access_granted", "2026-11-01T12:00"),
            session(3, "ended", "2026-11-01T12:00"),
            session(4, "closed", "2026-11-01T12:00"),
            session(5, "approved", "2026-11-30T12:00"),
        ];
        let kpi = remote_kpi(&sessions, now);
        assert_eq!(kpi.sessions, 5);
        assert_eq!(kpi.awaiting_approval, 1);
        assert_eq!(kpi.open, 3);
        assert_eq!(kpi.flagged, 2);
    }
}
