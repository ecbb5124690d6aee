//! The "what is due" engine: the one place where dated obligations are computed from records.
//!
//! Every kind with dates that someone must act on has a rule here: a countermeasure's review, an
//! exception's review and expiry (and its approval while requested or re-opened), a treatment
//! action's due date, a risk assessment's review, a requirement planned for a target date.
//! The store gathers the records with the facts only it knows (approval states from
//! signatures) and the pages, the CLI and the JSON feed show the result. New kinds with dates
//! add a rule to [`obligations`], nowhere else.

use crate::value::Record;
use jiff::civil::Date;
use serde::Serialize;

/// Facts about a record's approval that come from its e-signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Approval<'a> {
    /// `requested`, `approved`, `rejected`, `expired`, `revoked`, `reopened` (exceptions);
    /// `approved`, `past_review`, `rejected`, `stale`, `awaiting` (countermeasures).
    pub state: &'a str,
    /// When the current approval was signed (a timestamp or date), if approved.
    pub approved_at: Option<&'a str>,
}

/// One dated obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    #[serde(serialize_with = "date_text")]
    pub due: Date,
    /// What must be done, e.g. "review the exception".
    pub what: String,
    /// Record kind (singular name) and id.
    pub kind: &'static str,
    pub record_id: i64,
    pub site_id: Option<i64>,
    pub title: String,
    /// Who is expected to act (the record's owner or requester).
    pub owner: String,
}

fn date_text<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// How soon an obligation falls due, relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Overdue,
    /// Today and the next 6 days.
    ThisWeek,
    /// Within 30 days.
    ThisMonth,
    Later,
}

impl Bucket {
    pub fn of(due: Date, today: Date) -> Bucket {
        let days = (due - today).get_days();
        if due < today {
            Bucket::Overdue
        } else if days < 7 {
            Bucket::ThisWeek
        } else if days <= 30 {
            Bucket::ThisMonth
        } else {
            Bucket::Later
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Bucket::Overdue => "Overdue",
            Bucket::ThisWeek => "This week",
            Bucket::ThisMonth => "This month",
            Bucket::Later => "Later",
        }
    }
}

fn date(record: &Record, field: &str) -> Option<Date> {
    let text = record.get(field).to_text();
    crate::value::parse_date(&text).ok()
}

fn text(record: &Record, field: &str) -> String {
    record.get(field).to_text()
}

/// The obligations one record gives rise to, as of `today`.
pub fn obligations(record: &Record, approval: Approval<'_>, today: Date) -> Vec<Obligation> {
    let make = |due: Date, what: &str, owner: String| Obligation {
        due,
        what: what.to_string(),
        kind: record.kind.name,
        record_id: record.id,
        site_id: record.site_id(),
        title: record.title(),
        owner,
    };
    let mut out = Vec::new();
    match record.kind.name {
        "countermeasure" => {
            if approval.state != "rejected"
                && let Some(d) = date(record, "review_date")
            {
                out.push(make(d, "review the countermeasure", text(record, "owner")));
            }
            if matches!(approval.state, "stale" | "awaiting") {
                out.push(make(
                    today,
                    "approve the countermeasure (it does not count until then)",
                    text(record, "owner"),
                ));
            }
        }
        "exception" => {
            let owner = text(record, "requested_by");
            match approval.state {
                "approved" => {
                    let interval = record.get("review_interval_days").as_int().unwrap_or(365);
                    let approved = approval
                        .approved_at
                        .and_then(|a| crate::value::parse_date(a).ok());
                    if let Some(review) =
                        approved.and_then(|a| a.checked_add(jiff::Span::new().days(interval)).ok())
                    {
                        out.push(make(review, "review the exception", owner.clone()));
                    }
                    if let Some(expiry) = date(record, "expiry_date") {
                        out.push(make(expiry, "exception expires: renew or close it", owner));
                    }
                }
                "requested" | "reopened" => {
                    out.push(make(
                        today,
                        if approval.state == "reopened" {
                            "re-approve the exception (its inputs changed)"
                        } else {
                            "decide on the requested exception"
                        },
                        owner,
                    ));
                }
                "expired" => {
                    if let Some(expiry) = date(record, "expiry_date") {
                        out.push(make(expiry, "exception expired: renew or close it", owner));
                    }
                }
                _ => {}
            }
        }
        "treatment" => {
            let open = !matches!(text(record, "status").as_str(), "done" | "cancelled");
            if open && let Some(d) = date(record, "due_date") {
                out.push(make(
                    d,
                    "complete the treatment action",
                    text(record, "owner"),
                ));
            }
        }
        "risk_assessment" => {
            if text(record, "status") != "superseded"
                && let Some(d) = date(record, "review_date")
            {
                out.push(make(d, "review the risk assessment", text(record, "owner")));
            }
        }
        "change" => {
            let status = text(record, "status");
            let owner = text(record, "requested_by");
            let emergency = record.get("emergency").as_bool();
            if emergency
                && approval.state != "approved"
                && matches!(
                    status.as_str(),
                    "implemented" | "verified" | "closed" | "rolled_back"
                )
                && let Some(d) = date(record, "implemented_on").and_then(|d| {
                    d.checked_add(
                        jiff::Span::new().days(crate::config_kinds::EMERGENCY_APPROVAL_DAYS),
                    )
                    .ok()
                })
            {
                out.push(make(
                    d,
                    "approve the emergency change (retrospectively)",
                    owner.clone(),
                ));
            }
            if status == "approved"
                && let Some(d) = date(record, "planned_start")
            {
                out.push(make(d, "implement the approved change", owner.clone()));
            }
            if status == "implemented"
                && let Some(d) = date(record, "planned_end")
            {
                out.push(make(d, "verify the implemented change", owner));
            }
        }
        "certificate" => {
            let owner = text(record, "owner");
            if let Some(d) = date(record, "valid_to") {
                out.push(make(
                    d,
                    "certificate or key expires: renew it",
                    owner.clone(),
                ));
            }
            if let Some(d) = date(record, "rotate_by") {
                out.push(make(d, "rotate the key", owner));
            }
        }
        "assessment" => {
            if text(record, "status") == "planned"
                && let Some(d) = date(record, "target_date")
            {
                out.push(make(
                    d,
                    "implement the planned requirement",
                    text(record, "owner"),
                ));
            }
        }
        "revocation" => {
            let requested = crate::value::parse_datetime(&text(record, "requested_at")).ok();
            if text(record, "completed_at").is_empty()
                && let Some(due) = requested.and_then(|r| {
                    r.checked_add(
                        jiff::Span::new().hours(crate::account_kinds::REVOKE_TARGET_HOURS),
                    )
                    .ok()
                })
            {
                out.push(make(
                    due.date(),
                    "revoke the access",
                    text(record, "requested_by"),
                ));
            }
        }
        "remote_session" => {
            let status = text(record, "status");
            let owner = text(record, "requester");
            if status == "requested"
                && let Some(d) = date(record, "window_start")
            {
                out.push(make(d, "decide on the remote access request", owner));
            } else if crate::remote_kinds::OPEN_STATES.contains(&status.as_str())
                && let Some(d) = date(record, "window_end")
            {
                out.push(make(
                    d,
                    "close the remote session and remove the temporary access",
                    owner,
                ));
            }
        }
        "incident" => {
            if text(record, "status") == "recovered"
                && let Some(d) = date(record, "recovered_at").and_then(|d| {
                    d.checked_add(jiff::Span::new().days(crate::incident_kinds::LESSONS_DAYS))
                        .ok()
                })
            {
                out.push(make(
                    d,
                    "close the incident with its root cause and lessons learned",
                    text(record, "owner"),
                ));
            }
        }
        "support_agreement" => {
            if let Some(d) = date(record, "expires_on") {
                out.push(make(
                    d,
                    "remote-support agreement expires: renew or end it",
                    text(record, "owner"),
                ));
            }
        }
        "capability_declaration" => {
            if let Some(d) = date(record, "valid_until") {
                out.push(make(
                    d,
                    "capability declaration expires: obtain a current one",
                    String::new(),
                ));
            }
        }
        _ => {}
    }
    out
}

/// The next review of each type on each site: the `next_review` date of the latest completed
/// review of that type (earlier ones were followed by it).
pub fn review_obligations(reviews: &[Record]) -> Vec<Obligation> {
    let mut latest: Vec<&Record> = Vec::new();
    for r in reviews.iter().filter(|r| text(r, "status") == "completed") {
        let same = |o: &&Record| {
            o.site_id() == r.site_id() && text(o, "review_type") == text(r, "review_type")
        };
        match latest.iter().position(same) {
            Some(i) if text(latest[i], "reviewed_on") < text(r, "reviewed_on") => latest[i] = r,
            Some(_) => {}
            None => latest.push(r),
        }
    }
    latest
        .into_iter()
        .filter_map(|r| {
            Some(Obligation {
                due: date(r, "next_review")?,
                what: "hold the next review".to_string(),
                kind: r.kind.name,
                record_id: r.id,
                site_id: r.site_id(),
                title: r.title(),
                owner: text(r, "reviewer"),
            })
        })
        .collect()
}

/// The next check of an asset against a baseline: `interval_days` after its latest
/// conformance check (`latest`), for the asset named `asset`.
pub fn baseline_check(latest: &Record, interval_days: i64, asset: &str) -> Option<Obligation> {
    let checked = date(latest, "checked_on")?;
    let due = checked
        .checked_add(jiff::Span::new().days(interval_days))
        .ok()?;
    Some(Obligation {
        due,
        what: format!("check {asset} against its baseline again"),
        kind: latest.kind.name,
        record_id: latest.id,
        site_id: latest.site_id(),
        title: latest.title(),
        owner: text(latest, "checked_by"),
    })
}

/// The next backup and restore test of a backup plan: `frequency_days` after its last
/// successful backup (today when there is none) and `restore_test_days` after its last
/// successful restore test (today when there is none).
pub fn backup_obligations(
    plan: &Record,
    last_backup: Option<Date>,
    last_restore: Option<Date>,
    today: Date,
) -> Vec<Obligation> {
    vec![
        periodic(
            plan,
            last_backup,
            "frequency_days",
            "take the backup",
            today,
        ),
        periodic(
            plan,
            last_restore,
            "restore_test_days",
            "test restoring the backup",
            today,
        ),
    ]
}

/// A periodic task of `record`: `interval_field` days after it was last done (`last`), or
/// today when it never was.
pub fn periodic(
    record: &Record,
    last: Option<Date>,
    interval_field: &str,
    what: &str,
    today: Date,
) -> Obligation {
    let days = record.get(interval_field).as_int().unwrap_or(1);
    let due = last
        .and_then(|d| d.checked_add(jiff::Span::new().days(days)).ok())
        .unwrap_or(today);
    Obligation {
        due,
        what: what.to_string(),
        kind: record.kind.name,
        record_id: record.id,
        site_id: record.site_id(),
        title: record.title(),
        owner: text(record, "owner"),
    }
}

/// What a patch on an asset asks for: deployment by the end of its target window (from the
/// patch's release, by severity) while it is in progress, or a decision when its deferral ends.
pub fn patch_obligation(deployment: &Record, patch: &Record) -> Option<Obligation> {
    let state = text(deployment, "state");
    let (due, what) = match state.as_str() {
        "deferred" => (
            date(deployment, "deferred_until")?,
            "deferral ends: deploy the patch or renew the exception",
        ),
        "evaluated" | "vendor_approved" | "tested" | "scheduled" => {
            let window = crate::patch_kinds::target_window_days(&text(patch, "severity"))?;
            (
                date(patch, "released_on")?
                    .checked_add(jiff::Span::new().days(window))
                    .ok()?,
                "deploy the patch (end of its target window)",
            )
        }
        _ => return None,
    };
    Some(Obligation {
        due,
        what: what.to_string(),
        kind: deployment.kind.name,
        record_id: deployment.id,
        site_id: deployment.site_id(),
        title: deployment.title(),
        owner: String::new(),
    })
}

/// The next review of an active OT account (see [`crate::ops_kpi::next_review`]).
pub fn account_review(
    account: &Record,
    reviewed: &std::collections::HashMap<i64, Date>,
    today: Date,
) -> Option<Obligation> {
    Some(Obligation {
        due: crate::ops_kpi::next_review(account, reviewed, today)?,
        what: "review the account".to_string(),
        kind: account.kind.name,
        record_id: account.id,
        site_id: account.site_id(),
        title: account.title(),
        owner: String::new(),
    })
}

/// Days a new holder of a program role has to complete its trainings.
pub const TRAINING_GRACE_DAYS: i64 = 30;

/// Where one current holder of a program role stands with one training of their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingState {
    /// Never completed: due [`TRAINING_GRACE_DAYS`] after the person took the role (today
    /// when that is not known).
    Missing { due: Date },
    /// Completed; valid until the date (`None`: for good).
    Done { until: Option<Date> },
}

impl TrainingState {
    /// Whether it counts as current on `today`.
    pub fn current(self, today: Date) -> bool {
        matches!(self, TrainingState::Done { until } if until.is_none_or(|u| u >= today))
    }
}

/// For each current holder of a program role (`assignments`: `until` not passed) and each
/// training of their site and role, the state of that training: the latest completion by the
/// person (names compared without case) is valid until its `expires_on`, else its completion
/// plus the training's refresh interval, else for good.
pub fn training_states<'a>(
    assignments: &'a [Record],
    trainings: &'a [Record],
    completions: &[Record],
    today: Date,
) -> Vec<(&'a Record, &'a Record, TrainingState)> {
    use std::collections::HashMap;
    let key = |person: &str| person.trim().to_lowercase();
    let mut latest: HashMap<(i64, String), &Record> = HashMap::new();
    for c in completions {
        let (Some(training), Some(done)) = (c.get("training_id").as_int(), date(c, "completed_on"))
        else {
            continue;
        };
        let e = latest
            .entry((training, key(&text(c, "person"))))
            .or_insert(c);
        if date(e, "completed_on").is_none_or(|d| d < done) {
            *e = c;
        }
    }
    let mut out = Vec::new();
    for a in assignments {
        if date(a, "until").is_some_and(|u| u < today) {
            continue;
        }
        let (person, role) = (text(a, "person"), text(a, "role"));
        for t in trainings
            .iter()
            .filter(|t| t.site_id() == a.site_id() && text(t, "role") == role)
        {
            let state = match latest.get(&(t.id, key(&person))) {
                None => TrainingState::Missing {
                    due: date(a, "since")
                        .and_then(|s| {
                            s.checked_add(jiff::Span::new().days(TRAINING_GRACE_DAYS))
                                .ok()
                        })
                        .unwrap_or(today),
                },
                Some(c) => {
                    let refresh = t.get("refresh_days").as_int().and_then(|days| {
                        date(c, "completed_on")?
                            .checked_add(jiff::Span::new().days(days))
                            .ok()
                    });
                    TrainingState::Done {
                        until: date(c, "expires_on").or(refresh),
                    }
                }
            };
            out.push((a, t, state));
        }
    }
    out
}

/// The trainings current role holders lack or must refresh (see [`training_states`]).
pub fn training_obligations(
    assignments: &[Record],
    trainings: &[Record],
    completions: &[Record],
    today: Date,
) -> Vec<Obligation> {
    training_states(assignments, trainings, completions, today)
        .into_iter()
        .filter_map(|(a, t, state)| {
            let (due, what) = match state {
                TrainingState::Missing { due } => {
                    (due, format!("complete the training '{}'", t.title()))
                }
                TrainingState::Done { until: Some(u) } => {
                    (u, format!("refresh the training '{}'", t.title()))
                }
                TrainingState::Done { until: None } => return None,
            };
            let person = text(a, "person");
            Some(Obligation {
                due,
                what,
                kind: a.kind.name,
                record_id: a.id,
                site_id: a.site_id(),
                title: person.clone(),
                owner: person,
            })
        })
        .collect()
}

/// The kinds [`obligations`] has rules for.
pub const KINDS_WITH_DATES: &[&str] = &[
    "countermeasure",
    "exception",
    "treatment",
    "risk_assessment",
    "assessment",
    "certificate",
    "change",
    "revocation",
    "remote_session",
    "incident",
    "support_agreement",
    "capability_declaration",
];

/// Sorts obligations by date, then kind and title, so every view lists them alike.
pub fn sort(obligations: &mut [Obligation]) {
    obligations.sort_by(|a, b| {
        (a.due, a.kind, &a.title, a.record_id).cmp(&(b.due, b.kind, &b.title, b.record_id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::values_from_json;
    use serde_json::json;

    fn record(kind: &'static crate::KindDef, v: serde_json::Value) -> Record {
        Record {
            kind,
            id: 7,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            values: values_from_json(kind, &v).unwrap(),
        }
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn buckets() {
        let today = d("2026-11-28");
        assert_eq!(Bucket::of(d("2026-11-27"), today), Bucket::Overdue);
        assert_eq!(Bucket::of(today, today), Bucket::ThisWeek);
        assert_eq!(Bucket::of(d("2026-12-04"), today), Bucket::ThisWeek);
        assert_eq!(Bucket::of(d("2026-12-05"), today), Bucket::ThisMonth);
        assert_eq!(Bucket::of(d("2026-12-28"), today), Bucket::ThisMonth);
        assert_eq!(Bucket::of(d("2026-12-29"), today), Bucket::Later);
    }

    #[test]
    fn exceptions_are_reviewed_at_their_interval_and_expire() {
        let e = record(
            &crate::risk_kinds::EXCEPTION_KIND,
            json!({"site_id": 1, "name": "Legacy HMI", "assets": [3], "justification": "j",
                   "compensating_controls": "c", "residual_risk": "medium", "requested_by": "Ana",
                   "expiry_date": "2027-12-31", "review_interval_days": 90}),
        );
        let today = d("2026-11-28");
        let approved = Approval {
            state: "approved",
            approved_at: Some("2026-10-01T09:00:00.000000Z"),
        };
        let o = obligations(&e, approved, today);
        let dates: Vec<(Date, &str)> = o.iter().map(|o| (o.due, o.what.as_str())).collect();
        assert_eq!(
            dates,
            [
                (d("2026-12-30"), "review the exception"),
                (d("2027-12-31"), "exception expires: renew or close it")
            ]
        );
        assert_eq!(o[0].owner, "Ana");
        let reopened = obligations(
            &e,
            Approval {
                state: "reopened",
                approved_at: None,
            },
            today,
        );
        assert_eq!(reopened.len(), 1);
        assert_eq!(reopened[0].due, today);
        assert!(
            obligations(
                &e,
                Approval {
                    state: "rejected",
                    approved_at: None
                },
                today
            )
            .is_empty()
        );
    }

    #[test]
    fn finished_actions_are_not_due() {
        let t = |status: &str| {
            record(
                &crate::risk_kinds::TREATMENT_KIND,
                json!({"site_id": 1, "name": "MFA", "owner": "o", "due_date": "2026-12-01", "status": status}),
            )
        };
        let today = d("2026-11-28");
        assert_eq!(
            obligations(&t("planned"), Approval::default(), today).len(),
            1
        );
        assert!(obligations(&t("done"), Approval::default(), today).is_empty());
        assert!(obligations(&t("cancelled"), Approval::default(), today).is_empty());
    }
}
