//! Operations records (issue 8). So far: backup plans, backup records and restore tests, with
//! the due rules and the restore-test KPI.

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
