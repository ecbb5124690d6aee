//! Remote access sessions (issue 8, item 4): a request for a time window on named assets or
//! zones, approved by e-signature, the temporary access path opened for it, the session itself
//! and its closure with the confirmation that the temporary access was removed.
//!
//! The approval binds to the request without its workflow fields ([`REMOTE_WORKFLOW_FIELDS`]),
//! so recording the session afterwards keeps it; changing the window, the assets or the
//! purpose voids it.

use crate::config_kinds::{flag, text};
use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule};
use crate::kinds::SITE;
use crate::value::{FieldError, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const REMOTE_STATES: &[Choice] = &[
    c("requested", "Requested"),
    c("approved", "Approved"),
    c("access_granted", "Temporary access in place"),
    c("in_progress", "Session in progress"),
    c("ended", "Session ended"),
    c("closed", "Closed, access removed"),
    c("rejected", "Rejected"),
    c("cancelled", "Cancelled"),
];

/// The fields an approval does not cover.
pub const REMOTE_WORKFLOW_FIELDS: &[&str] = &[
    "status",
    "access_path",
    "started_at",
    "ended_at",
    "performed_by",
    "recording_ref",
    "summary",
    "access_removed",
];

/// The roles whose "approved" signature approves a remote session (on its site, or globally).
pub const REMOTE_APPROVER_ROLES: &[&str] = &["site_engineer", "program_owner", "admin"];

/// States in which the temporary access may still be open.
pub const OPEN_STATES: &[&str] = &["approved", "access_granted", "in_progress", "ended"];

pub static REMOTE_SESSION_KIND: KindDef = KindDef {
    name: "remote_session",
    plural: "remote-sessions",
    label: "Remote access session",
    label_plural: "Remote access sessions",
    group: "Operations",
    about: "Remote access by a vendor or an employee: the request and its approval, the temporary access path, the session and the confirmation that the access was removed.",
    table: "remote_session",
    fields: &[
        SITE,
        Field::new("name", "Title", T::Text { max: 200 })
            .required()
            .help("e.g. 'Vendor diagnosis of the line 2 drives'.")
            .search()
            .list(),
        Field::new("requester", "Requested by", T::Text { max: 200 })
            .required()
            .help("The person who will connect.")
            .search()
            .list(),
        Field::new("company", "Company", T::Text { max: 200 })
            .help("The vendor or integrator, if any.")
            .filter()
            .search(),
        Field::new("assets", "Target assets", T::Refs("asset"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("zones", "Target zones", T::Refs("zone"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("purpose", "Purpose", T::LongText)
            .required()
            .search(),
        Field::new("window_start", "Window from", T::DateTime)
            .required()
            .sort()
            .list(),
        Field::new("window_end", "Window until", T::DateTime)
            .required()
            .sort()
            .list(),
        Field::new("change_id", "Change request", T::Ref("change")).site_rule(SiteRule::SameSite),
        Field::new("status", "Status", T::Choice(REMOTE_STATES))
            .required()
            .filter()
            .list(),
        Field::new("access_path", "Temporary access", T::Text { max: 500 })
            .help("The temporary firewall rule or access path opened, e.g. 'FW-DMZ rule 4711 via jump host JH-01'.")
            .search(),
        Field::new("started_at", "Started at", T::DateTime).sort(),
        Field::new("ended_at", "Ended at", T::DateTime),
        Field::new("performed_by", "Performed by", T::Text { max: 200 }),
        Field::new("recording_ref", "Recording", T::Text { max: 300 })
            .help("Reference to the session recording, if recorded."),
        Field::new("summary", "Summary", T::LongText).search(),
        Field::new(
            "access_removed",
            "Temporary access removed",
            T::Bool,
        ),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "window_start",
    check: check_session,
    transition: Some(check_session_step),
};

fn at_least(status: &str, s: &str) -> bool {
    let pos = |x: &str| REMOTE_STATES.iter().take(6).position(|c| c.key == x);
    matches!((pos(status), pos(s)), (Some(a), Some(b)) if a >= b)
}

fn check_session(values: &Values) -> Vec<FieldError> {
    let status = text(values, "status");
    let mut errors = Vec::new();
    if text(values, "assets").is_empty() && text(values, "zones").is_empty() {
        errors.push(FieldError::new("assets", "name the target assets or zones"));
    }
    if !text(values, "window_start").is_empty()
        && text(values, "window_end") <= text(values, "window_start")
    {
        errors.push(FieldError::new(
            "window_end",
            "the window ends before it begins",
        ));
    }
    let mut need = |cond: bool, f: &str, why: &str| {
        if cond && text(values, f).is_empty() {
            errors.push(FieldError::new(f, why));
        }
    };
    need(
        at_least(&status, "access_granted"),
        "access_path",
        "record the temporary access path opened for the session",
    );
    need(
        at_least(&status, "in_progress"),
        "started_at",
        "record when the session started",
    );
    need(
        at_least(&status, "in_progress"),
        "performed_by",
        "record who connected",
    );
    need(
        at_least(&status, "ended"),
        "ended_at",
        "record when the session ended",
    );
    need(
        status == "closed",
        "summary",
        "a closed session has a summary of what was done",
    );
    if status == "closed" && !flag(values, "access_removed") {
        errors.push(FieldError::new(
            "access_removed",
            "confirm that the temporary access was removed before closing",
        ));
    }
    let (start, end) = (text(values, "started_at"), text(values, "ended_at"));
    if !start.is_empty() && !end.is_empty() && end < start {
        errors.push(FieldError::new("ended_at", "ends before it started"));
    }
    errors
}

fn check_session_step(before: &Values, after: &Values) -> Vec<FieldError> {
    let (from, to) = (text(before, "status"), text(after, "status"));
    if from == to {
        return Vec::new();
    }
    let allowed: &[&str] = match from.as_str() {
        "requested" => &["approved", "rejected", "cancelled"],
        "approved" => &["access_granted", "cancelled"],
        "access_granted" => &["in_progress", "closed"],
        "in_progress" => &["ended"],
        "ended" => &["closed"],
        _ => &[],
    };
    if allowed.contains(&to.as_str()) {
        return Vec::new();
    }
    crate::kind::step_refused("status", REMOTE_STATES, "session", &from, &to, "")
}

/// Whether a session needs attention at local time `now` (`YYYY-MM-DDTHH:MM`): its window has
/// passed while access may still be open, or it ended but was never closed.
pub fn flag_reason(values: &Values, now: &str) -> Option<&'static str> {
    let status = text(values, "status");
    if !OPEN_STATES.contains(&status.as_str()) {
        return None;
    }
    let end = text(values, "window_end");
    if end.as_str() < now {
        Some(match status.as_str() {
            "approved" | "access_granted" => "window passed: close it or remove the access",
            "in_progress" => "still in progress after its window",
            _ => "ended but never closed: confirm the access was removed",
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn values(pairs: &[(&'static str, &str)]) -> Values {
        let mut v = Values::new();
        for (k, t) in pairs {
            v.insert(k, Value::Text(t.to_string()));
        }
        v
    }

    #[test]
    fn closing_needs_the_removal_confirmed() {
        let base = [
            ("status", "closed"),
            ("zones", "1"),
            ("window_start", "2026-01-01T08:00"),
            ("window_end", "2026-01-01T12:00"),
            ("access_path", "rule 1"),
            ("started_at", "2026-01-01T08:10"),
            ("performed_by", "V. Endor"),
            ("ended_at", "2026-01-01T09:00"),
            ("summary", "Drive parameters read"),
        ];
        let errors = check_session(&values(&base));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "access_removed");
        let mut ok = values(&base);
        ok.insert("access_removed", Value::Bool(true));
        assert!(check_session(&ok).is_empty());
    }

    #[test]
    fn sessions_past_their_window_are_flagged_until_closed() {
        let v = |s: &str| values(&[("status", s), ("window_end", "2026-01-01T12:00")]);
        assert_eq!(flag_reason(&v("approved"), "2026-01-01T11:00"), None);
        assert!(flag_reason(&v("approved"), "2026-01-01T12:01").is_some());
        assert!(flag_reason(&v("ended"), "2026-01-02T00:00").is_some());
        assert_eq!(flag_reason(&v("closed"), "2026-01-02T00:00"), None);
        assert_eq!(flag_reason(&v("requested"), "2026-01-02T00:00"), None);
    }
}
