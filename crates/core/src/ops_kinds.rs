//! Operations records (issue 8): backup plans, backup records and restore tests, log sources
//! and log reviews, and the form defaults of every operations kind. Patches, accounts and
//! remote sessions have modules of their own.

use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule, no_check};
use crate::kinds::{NAME, OWNER, SITE};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const BACKUP_CONTENTS: &[Choice] = &[
    c("controller_program", "Controller program"),
    c("configuration", "Device configuration"),
    c("recipes", "Recipes"),
    c("server_image", "Server image"),
    c("engineering_project", "Engineering project"),
    c("other", "Other"),
];

pub const RESULTS: &[Choice] = &[
    c("success", "Successful"),
    c("partial", "Partly successful"),
    c("failed", "Failed"),
];

pub static BACKUP_PLAN_KIND: KindDef = KindDef {
    name: "backup_plan",
    plural: "backup-plans",
    label: "Backup plan",
    label_plural: "Backup plans",
    group: "Operations",
    about: "What is backed up for which assets, how often, where it is kept and for how long, and how often a restore is tested.",
    table: "backup_plan",
    fields: &[
        SITE,
        NAME,
        Field::new("assets", "Assets", T::Refs("asset"))
            .required()
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("contents", "What", T::Choice(BACKUP_CONTENTS))
            .required()
            .filter()
            .list(),
        Field::new(
            "frequency_days",
            "Back up every (days)",
            T::Int { min: 1, max: 3650 },
        )
        .required()
        .list(),
        Field::new(
            "restore_test_days",
            "Test a restore every (days)",
            T::Int { min: 1, max: 3650 },
        )
        .required()
        .list(),
        Field::new("storage", "Storage location", T::Text { max: 300 }).search(),
        Field::new("retention", "Retention", T::Text { max: 200 }),
        OWNER,
        Field::new("notes", "Notes", T::LongText).search(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: no_check,
    transition: None,
};

pub static BACKUP_RECORD_KIND: KindDef = KindDef {
    name: "backup_record",
    plural: "backups",
    label: "Backup",
    label_plural: "Backups",
    group: "Operations",
    about: "One backup taken under a plan: when, the result, its size and checksum.",
    table: "backup_record",
    fields: &[
        SITE,
        Field::new("plan_id", "Backup plan", T::Ref("backup_plan"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("taken_on", "Taken on", T::Date)
            .required()
            .sort()
            .list(),
        Field::new("result", "Result", T::Choice(RESULTS))
            .required()
            .filter()
            .list(),
        Field::new(
            "size_bytes",
            "Size (bytes)",
            T::Int {
                min: 0,
                max: i64::MAX,
            },
        ),
        Field::new("checksum", "Checksum", T::Text { max: 200 }).search(),
        Field::new("taken_by", "Taken by", T::Text { max: 120 }).list(),
        Field::new("notes", "Notes", T::LongText),
    ],
    title_field: "taken_on",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "taken_on",
    check: no_check,
    transition: None,
};

pub static RESTORE_TEST_KIND: KindDef = KindDef {
    name: "restore_test",
    plural: "restore-tests",
    label: "Restore test",
    label_plural: "Restore tests",
    group: "Operations",
    about: "A test that a plan's backup can be restored: scope, result, time to restore, evidence.",
    table: "restore_test",
    fields: &[
        SITE,
        Field::new("plan_id", "Backup plan", T::Ref("backup_plan"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("tested_on", "Tested on", T::Date)
            .required()
            .sort()
            .list(),
        Field::new("scope", "Scope", T::Text { max: 300 }).search(),
        Field::new("result", "Result", T::Choice(RESULTS))
            .required()
            .filter()
            .list(),
        Field::new(
            "minutes_to_restore",
            "Time to restore (minutes)",
            T::Int {
                min: 0,
                max: 100000,
            },
        )
        .list(),
        Field::new("evidence", "Evidence", T::LongText).search(),
        Field::new("tested_by", "Tested by", T::Text { max: 120 }).required(),
    ],
    title_field: "tested_on",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "tested_on",
    check: no_check,
    transition: None,
};

pub static LOG_SOURCE_KIND: KindDef = KindDef {
    name: "log_source",
    plural: "log-sources",
    label: "Log source",
    label_plural: "Log sources",
    group: "Operations",
    about: "Which logs are collected from which zones and systems, where they go, and how often they are reviewed.",
    table: "log_source",
    fields: &[
        SITE,
        NAME,
        Field::new("zones", "Zones", T::Refs("zone"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("assets", "Systems", T::Refs("asset"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("collected", "What is collected", T::LongText)
            .required()
            .help("e.g. firewall denies, Windows security events, PLC mode changes.")
            .search(),
        Field::new("destination", "Collected to", T::Text { max: 200 })
            .help("e.g. the site SIEM, a syslog server.")
            .list(),
        Field::new(
            "review_days",
            "Review every (days)",
            T::Int { min: 1, max: 3650 },
        )
        .required()
        .list(),
        OWNER,
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: no_check,
    transition: None,
};

pub static LOG_REVIEW_KIND: KindDef = KindDef {
    name: "log_review",
    plural: "log-reviews",
    label: "Log review",
    label_plural: "Log reviews",
    group: "Operations",
    about: "A review of a log source: the period covered, who reviewed, anomalies found and whether they were escalated to an incident.",
    table: "log_review",
    fields: &[
        SITE,
        Field::new("source_id", "Log source", T::Ref("log_source"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("reviewed_on", "Reviewed on", T::Date)
            .required()
            .sort()
            .list(),
        Field::new("reviewer", "Reviewer", T::Text { max: 120 })
            .required()
            .list(),
        Field::new("period_from", "Period from", T::Date).required(),
        Field::new("period_to", "Period to", T::Date).required(),
        Field::new("anomalies", "Anomalies found", T::LongText).search(),
        Field::new("escalated", "Escalated to an incident", T::Bool)
            .filter()
            .list(),
        Field::new("incident_ref", "Incident reference", T::Text { max: 120 }).search(),
    ],
    title_field: "reviewed_on",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "reviewed_on",
    check: check_log_review,
    transition: None,
};

fn check_log_review(values: &crate::value::Values) -> Vec<crate::value::FieldError> {
    let text = |f: &str| values.get(f).map(|v| v.to_text()).unwrap_or_default();
    let mut errors = Vec::new();
    if !text("period_from").is_empty() && text("period_to") < text("period_from") {
        errors.push(crate::value::FieldError::new(
            "period_to",
            "ends before it begins",
        ));
    }
    if values.get("escalated").is_some_and(|v| v.as_bool())
        && text("incident_ref").trim().is_empty()
    {
        errors.push(crate::value::FieldError::new(
            "incident_ref",
            "escalated: name the incident",
        ));
    }
    errors
}

/// What a new record of an operations kind starts with on its form, so that an entry on a busy
/// shift needs only what is particular to it: today's date, the usual result or first state,
/// the current time for a revocation request. Query parameters of the form override these.
pub fn form_defaults(kind: &str, now: jiff::civil::DateTime) -> Vec<(&'static str, String)> {
    let today = now.date().to_string();
    let time = crate::value::datetime_text(now);
    match kind {
        "backup_record" => vec![("taken_on", today), ("result", "success".into())],
        "restore_test" => vec![("tested_on", today), ("result", "success".into())],
        "log_review" => vec![("reviewed_on", today)],
        "patch_deployment" => vec![("state", "evaluated".into()), ("evaluated_on", today)],
        "ot_account" => vec![("status", "active".into()), ("created_on", today)],
        "access_review" => vec![("reviewed_on", today)],
        "revocation" => vec![("requested_at", time)],
        "remote_session" => vec![("status", "requested".into())],
        "document" => vec![
            ("domain", "ot_security".into()),
            ("scope", "site".into()),
            ("review_interval_days", "365".into()),
        ],
        "document_version" => vec![("status", "draft".into()), ("number", "1.0".into())],
        "supplier" => vec![("status", "under_review".into())],
        "incident" => vec![
            ("detected_at", time),
            ("status", "open".into()),
            ("safety_impact", "none".into()),
            ("quality_impact", "none".into()),
            ("production_impact", "none".into()),
        ],
        "incident_entry" => vec![("at", time), ("entry_type", "observation".into())],
        "validation_test" => {
            let mut v = vec![("status", "planned".to_string())];
            v.extend(
                crate::validation_kinds::SECURITY_CHECKS
                    .iter()
                    .map(|(f, _)| (*f, "not_tested".to_string())),
            );
            v
        }
        "periodic_review" => vec![("status", "planned".into())],
        "review_finding" => vec![("status", "open".into())],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod default_tests {
    use super::form_defaults;

    #[test]
    fn form_defaults_name_real_fields_with_valid_values() {
        let now: jiff::civil::DateTime = "2026-11-28T09:30".parse().expect("time");
        let mut seen = 0;
        for kind in crate::KINDS {
            for (field, value) in form_defaults(kind.name, now) {
                let f = kind
                    .field(field)
                    .unwrap_or_else(|| panic!("{}.{field} is not a field", kind.name));
                assert!(
                    crate::value::parse_text(f, &value).is_ok(),
                    "{}.{field} = {value}",
                    kind.name
                );
                seen += 1;
            }
        }
        assert!(seen >= 12);
        assert!(
            form_defaults("revocation", now).contains(&("requested_at", "2026-11-28T09:30".into()))
        );
    }
}
