//! Patch and update management (issue 8, item 1): a patch or firmware update as the vendor
//! released it, and its applicability and progress on each asset, from evaluation to
//! deployment or a deferral under an exception.
//!
//! The target windows per severity ([`target_window_days`]) are the one source for the due
//! engine ("deploy by") and the KPI "deployed within the window".

use crate::config_kinds::text;
use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule, no_check};
use crate::kinds::SITE;
use crate::value::{FieldError, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const PATCH_TYPES: &[Choice] = &[
    c("firmware", "Firmware update"),
    c("os_patch", "Operating system patch"),
    c("application", "Application update"),
    c("signatures", "Signatures / definitions"),
    c("other", "Other"),
];

pub const PATCH_SEVERITIES: &[Choice] = &[
    c("critical", "Critical"),
    c("high", "High"),
    c("medium", "Medium"),
    c("low", "Low"),
];

pub const QUALIFICATION: &[Choice] = &[
    c("pending", "Vendor qualification pending"),
    c("qualified", "Qualified by the vendor"),
    c("not_qualified", "Not qualified by the vendor"),
];

/// The states of a patch on one asset, in workflow order (deferred and not applicable aside).
pub const PATCH_STATES: &[Choice] = &[
    c("evaluated", "Evaluated, applicable"),
    c("vendor_approved", "Vendor-approved"),
    c("tested", "Tested"),
    c("scheduled", "Scheduled"),
    c("deployed", "Deployed"),
    c("deferred", "Deferred"),
    c("not_applicable", "Not applicable"),
];

/// Days from release within which a patch of `severity` should be deployed on the assets it
/// applies to; `None`: no target window.
pub fn target_window_days(severity: &str) -> Option<i64> {
    match severity {
        "critical" => Some(30),
        "high" => Some(90),
        _ => None,
    }
}

pub static PATCH_KIND: KindDef = KindDef {
    name: "patch",
    plural: "patches",
    label: "Patch",
    label_plural: "Patches",
    group: "Operations",
    about: "A patch or firmware update as released by its vendor: products, version, the advisories and CVEs it fixes, and whether the vendor qualified it for the control system.",
    table: "patch",
    fields: &[
        SITE,
        Field::new("name", "Name", T::Text { max: 200 })
            .required()
            .help("e.g. 'S7-1500 CPU firmware V3.1.2' or 'Windows 2025-11 cumulative update'.")
            .search()
            .sort()
            .list(),
        Field::new("vendor", "Vendor", T::Text { max: 120 })
            .required()
            .search()
            .sort()
            .list(),
        Field::new("products", "Products", T::Text { max: 500 })
            .required()
            .search(),
        Field::new("patch_version", "Version", T::Text { max: 80 }).list(),
        Field::new("patch_type", "Type", T::Choice(PATCH_TYPES))
            .required()
            .filter(),
        Field::new("severity", "Severity", T::Choice(PATCH_SEVERITIES))
            .required()
            .help("Critical: deploy within 30 days of release; high: within 90.")
            .filter()
            .list(),
        Field::new("advisories", "Advisories and CVEs", T::Text { max: 1000 })
            .help("Advisory ids and CVEs it fixes, comma-separated (e.g. 'SSA-123456, CVE-2025-1234').")
            .search(),
        Field::new("qualification", "Vendor qualification", T::Choice(QUALIFICATION))
            .required()
            .filter()
            .list(),
        Field::new("released_on", "Released on", T::Date)
            .required()
            .sort()
            .list(),
        Field::new("notes", "Notes", T::LongText).search(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "released_on",
    check: no_check,
    transition: None,
};

pub static PATCH_DEPLOYMENT_KIND: KindDef = KindDef {
    name: "patch_deployment",
    plural: "patch-deployments",
    label: "Patch on an asset",
    label_plural: "Patches on assets",
    group: "Operations",
    about: "A patch's applicability and progress on one asset: evaluated, vendor-approved, tested, scheduled under a change, deployed — or deferred under an exception until a date.",
    table: "patch_deployment",
    fields: &[
        SITE,
        Field::new("name", "Title", T::Text { max: 300 })
            .help("Filled in as '<patch> on <asset>' when left empty.")
            .search()
            .list(),
        Field::new("patch_id", "Patch", T::Ref("patch"))
            .required()
            .filter()
            .sort()
            .site_rule(SiteRule::SameSite),
        Field::new("asset_id", "Asset", T::Ref("asset"))
            .required()
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("state", "State", T::Choice(PATCH_STATES))
            .required()
            .filter()
            .list(),
        Field::new("evaluated_on", "Evaluated on", T::Date).sort(),
        Field::new("test_evidence", "Test evidence", T::LongText)
            .help("How and where it was tested, e.g. on the test system, with the result.")
            .search(),
        Field::new("change_id", "Change request", T::Ref("change"))
            .help("The change under which it is deployed (needed once scheduled).")
            .site_rule(SiteRule::SameSite),
        Field::new("deployed_on", "Deployed on", T::Date)
            .sort()
            .list(),
        Field::new("deployed_by", "Deployed by", T::Text { max: 120 }),
        Field::new("exception_id", "Exception", T::Ref("exception"))
            .help("The approved exception that covers a deferral.")
            .site_rule(SiteRule::SameSite),
        Field::new("deferred_until", "Deferred until", T::Date)
            .sort()
            .list(),
        Field::new("notes", "Notes", T::LongText).search(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["patch_id", "asset_id"]],
    default_sort: "name",
    check: check_deployment,
    transition: Some(check_deployment_step),
};

/// What each state needs: evidence when tested, a change when scheduled, date and person once
/// deployed, an exception and an end date when deferred.
fn check_deployment(values: &Values) -> Vec<FieldError> {
    let state = text(values, "state");
    let mut errors = Vec::new();
    let mut need = |cond: bool, f: &str, why: &str| {
        if cond && text(values, f).is_empty() {
            errors.push(FieldError::new(f, why));
        }
    };
    // Only the state itself asks: history imported as "deployed" need not name a change
    // request that predates the tool.
    need(
        state == "tested",
        "test_evidence",
        "a tested patch names its test evidence",
    );
    need(
        state == "scheduled",
        "change_id",
        "a scheduled patch names the change request that deploys it",
    );
    need(
        state == "deployed",
        "deployed_on",
        "a deployed patch has its deployment date",
    );
    need(
        state == "deployed",
        "deployed_by",
        "a deployed patch names who deployed it",
    );
    need(
        state == "deferred",
        "exception_id",
        "a deferral is covered by an exception",
    );
    need(
        state == "deferred",
        "deferred_until",
        "a deferral has an end date",
    );
    errors
}

/// Patches move forward (steps may be skipped), may be deferred or found not applicable from
/// any open state, and leave a deferral to any state; a deployed patch stays deployed.
fn check_deployment_step(before: &Values, after: &Values) -> Vec<FieldError> {
    let (from, to) = (text(before, "state"), text(after, "state"));
    if from == to {
        return Vec::new();
    }
    let pos = |x: &str| PATCH_STATES.iter().take(5).position(|c| c.key == x);
    let ok = match (from.as_str(), to.as_str()) {
        ("deployed", _) => false,
        ("deferred" | "not_applicable", _) => true,
        (_, "deferred" | "not_applicable") => true,
        (f, t) => matches!((pos(f), pos(t)), (Some(a), Some(b)) if b > a),
    };
    if ok {
        Vec::new()
    } else {
        let label = |k: &str| {
            PATCH_STATES
                .iter()
                .find(|c| c.key == k)
                .map_or(k.to_string(), |c| c.label.to_lowercase())
        };
        vec![FieldError::new(
            "state",
            format!(
                "a patch that is {} on an asset cannot become {}",
                label(&from),
                label(&to)
            ),
        )]
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
    fn each_state_asks_for_its_evidence() {
        let fields = |v: &Values| -> Vec<String> {
            check_deployment(v)
                .into_iter()
                .map(|e| e.field.to_string())
                .collect()
        };
        assert!(fields(&values(&[("state", "evaluated")])).is_empty());
        assert_eq!(fields(&values(&[("state", "tested")])), ["test_evidence"]);
        assert_eq!(fields(&values(&[("state", "scheduled")])), ["change_id"]);
        assert_eq!(
            fields(&values(&[("state", "deployed")])),
            ["deployed_on", "deployed_by"]
        );
        assert_eq!(
            fields(&values(&[("state", "deferred")])),
            ["exception_id", "deferred_until"]
        );
    }

    #[test]
    fn patches_move_forward_and_stay_deployed() {
        let step = |a: &str, b: &str| {
            check_deployment_step(&values(&[("state", a)]), &values(&[("state", b)])).is_empty()
        };
        assert!(step("evaluated", "tested"));
        assert!(step("tested", "deferred"));
        assert!(step("deferred", "scheduled"));
        assert!(!step("scheduled", "evaluated"));
        assert!(!step("deployed", "deferred"));
        assert!(step("evaluated", "not_applicable"));
    }
}
