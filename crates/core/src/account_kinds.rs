//! OT accounts and access (issue 8, item 3): the account inventory per system, periodic access
//! reviews that confirm each account or mark it for revocation, and revocation requests with
//! the time they took.

use crate::config_kinds::text;
use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule, no_check};
use crate::kinds::SITE;
use crate::value::{FieldError, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const ACCOUNT_TYPES: &[Choice] = &[
    c("personal", "Personal"),
    c("shared", "Shared"),
    c("service", "Service"),
    c("vendor", "Vendor"),
    c("emergency", "Emergency (break-glass)"),
];

pub const ACCOUNT_STATES: &[Choice] = &[
    c("active", "Active"),
    c("disabled", "Disabled"),
    c("removed", "Removed"),
];

pub const REVOCATION_REASONS: &[Choice] = &[
    c("leaver", "Left the company"),
    c("contract_ended", "Contract or vendor work ended"),
    c("role_change", "Changed role"),
    c("review", "Access review"),
    c("other", "Other"),
];

/// How often an account is reviewed when its record names no interval.
pub const DEFAULT_REVIEW_DAYS: i64 = 365;

/// Hours within which a revocation request should be completed (the due engine's target).
pub const REVOKE_TARGET_HOURS: i64 = 24;

pub static OT_ACCOUNT_KIND: KindDef = KindDef {
    name: "ot_account",
    plural: "ot-accounts",
    label: "OT account",
    label_plural: "OT accounts",
    group: "Operations",
    about: "An account on a control system or asset: who holds it, what it may do, and when it was last reviewed.",
    table: "ot_account",
    fields: &[
        SITE,
        Field::new("name", "Account", T::Text { max: 200 })
            .required()
            .help(
                "The user name as the system shows it, e.g. 'engineer1' or 'CORP\\svc-historian'.",
            )
            .search()
            .sort()
            .list(),
        Field::new("asset_id", "System", T::Ref("asset"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("account_type", "Type", T::Choice(ACCOUNT_TYPES))
            .required()
            .filter()
            .list(),
        Field::new("holders", "Holders", T::Text { max: 500 })
            .help("Who uses it, comma-separated (for a shared account: every person).")
            .search()
            .list(),
        Field::new("privileges", "Privileges", T::Text { max: 300 })
            .help("e.g. administrator, engineer (download), operator, read-only.")
            .search(),
        Field::new("status", "Status", T::Choice(ACCOUNT_STATES))
            .required()
            .filter()
            .list(),
        Field::new("created_on", "Created on", T::Date),
        Field::new("last_reviewed", "Last reviewed", T::Date)
            .help("A review recorded in otkeep counts too; fill this for reviews made before.")
            .sort(),
        Field::new(
            "review_days",
            "Review every (days)",
            T::Int { min: 1, max: 3650 },
        )
        .help("Leave empty for once a year."),
        Field::new("notes", "Notes", T::LongText),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["asset_id", "name"]],
    default_sort: "name",
    check: no_check,
    transition: None,
};

pub static ACCESS_REVIEW_KIND: KindDef = KindDef {
    name: "access_review",
    plural: "access-reviews",
    label: "Access review",
    label_plural: "Access reviews",
    group: "Operations",
    about: "A periodic review of the accounts of one system: who reviewed, which accounts were confirmed and which are to be revoked.",
    table: "access_review",
    fields: &[
        SITE,
        Field::new("asset_id", "System", T::Ref("asset"))
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
        Field::new("confirmed", "Accounts confirmed", T::Refs("ot_account"))
            .site_rule(SiteRule::SameSite),
        Field::new("to_revoke", "Accounts to revoke", T::Refs("ot_account"))
            .site_rule(SiteRule::SameSite),
        Field::new("notes", "Notes", T::LongText).search(),
    ],
    title_field: "reviewed_on",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "reviewed_on",
    check: check_review,
    transition: None,
};

fn check_review(values: &Values) -> Vec<FieldError> {
    let ids = |f: &str| values.get(f).map(|v| v.ids().to_vec()).unwrap_or_default();
    let confirmed = ids("confirmed");
    if ids("to_revoke").iter().any(|id| confirmed.contains(id)) {
        return vec![FieldError::new(
            "to_revoke",
            "an account is either confirmed or to be revoked, not both",
        )];
    }
    Vec::new()
}

pub static REVOCATION_KIND: KindDef = KindDef {
    name: "revocation",
    plural: "revocations",
    label: "Access revocation",
    label_plural: "Access revocations",
    group: "Operations",
    about: "A request to remove someone's access (a leaver, the end of a contractor's work, a review finding), when it was requested and when it was done.",
    table: "revocation",
    fields: &[
        SITE,
        Field::new("person", "Whose access", T::Text { max: 200 })
            .required()
            .search()
            .sort()
            .list(),
        Field::new("reason", "Reason", T::Choice(REVOCATION_REASONS))
            .required()
            .filter()
            .list(),
        Field::new("accounts", "Accounts", T::Refs("ot_account"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("requested_at", "Requested at", T::DateTime)
            .required()
            .sort()
            .list(),
        Field::new("requested_by", "Requested by", T::Text { max: 120 }).required(),
        Field::new("completed_at", "Completed at", T::DateTime)
            .sort()
            .list(),
        Field::new("completed_by", "Completed by", T::Text { max: 120 }),
        Field::new("notes", "Notes", T::LongText),
    ],
    title_field: "person",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "requested_at",
    check: check_revocation,
    transition: None,
};

fn check_revocation(values: &Values) -> Vec<FieldError> {
    let (requested, completed) = (text(values, "requested_at"), text(values, "completed_at"));
    let mut errors = Vec::new();
    if !completed.is_empty() && completed < requested {
        errors.push(FieldError::new(
            "completed_at",
            "completed before it was requested",
        ));
    }
    if !completed.is_empty() && text(values, "completed_by").is_empty() {
        errors.push(FieldError::new(
            "completed_by",
            "a completed revocation names who removed the access",
        ));
    }
    errors
}
