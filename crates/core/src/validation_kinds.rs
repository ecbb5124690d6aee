//! Validation and periodic reviews (issue 9, item 6).
//!
//! A security test ([`VALIDATION_TEST_KIND`]: a test plan, FAT or SAT) of a system records the
//! standard security checks every acceptance test makes (accounts, logging, patch level, remote
//! access disabled by default, alignment with the zone design), each passed, failed or not
//! applicable, plus the items of a checklist template (purpose "acceptance test") copied in
//! when it is saved, and its result with evidence. Periodic reviews and self-assessments
//! ([`PERIODIC_REVIEW_KIND`]) have a scope, a reviewer and a date; their findings
//! ([`REVIEW_FINDING_KIND`]) link to the treatment actions that address them. The next
//! review and open findings' target dates are in the due engine.

use crate::config_kinds::text;
use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule};
use crate::kinds::{NAME, OWNER, SITE, check_requirement_list};
use crate::value::{FieldError, Values, checklist_items};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const TEST_TYPES: &[Choice] = &[
    c("test_plan", "Test plan"),
    c("fat", "FAT: factory acceptance test"),
    c("sat", "SAT: site acceptance test"),
    c("periodic", "Periodic security test"),
];

pub const TEST_STATES: &[Choice] = &[
    c("planned", "Planned"),
    c("in_progress", "In progress"),
    c("executed", "Executed"),
];

pub const TEST_RESULTS: &[Choice] = &[
    c("passed", "Passed"),
    c("passed_with_findings", "Passed with findings"),
    c("failed", "Failed"),
];

pub const CHECK_RESULTS: &[Choice] = &[
    c("not_tested", "Not tested yet"),
    c("pass", "Pass"),
    c("fail", "Fail"),
    c("not_applicable", "Not applicable"),
];

/// The security checks of every acceptance test: (field, label).
pub const SECURITY_CHECKS: &[(&str, &str)] = &[
    (
        "check_accounts",
        "Accounts: no default or unused accounts, least privilege",
    ),
    (
        "check_logging",
        "Security logging enabled and reaching the log collector",
    ),
    (
        "check_patch_level",
        "Patch and firmware level as agreed, no known unpatched vulnerability",
    ),
    ("check_remote_access", "Remote access disabled by default"),
    (
        "check_zone_design",
        "Connections and services match the zone and conduit design",
    ),
];

const fn check(name: &'static str, label: &'static str) -> Field {
    Field::new(name, label, T::Choice(CHECK_RESULTS)).required()
}

pub static VALIDATION_TEST_KIND: KindDef = KindDef {
    name: "validation_test",
    plural: "validation-tests",
    label: "Security test (FAT/SAT)",
    label_plural: "Security tests (FAT/SAT)",
    group: "Governance",
    about: "A test plan, FAT or SAT of a system with the standard security checks (accounts, logging, patch level, remote access, zone design) and the items of its checklist template, each with its result and evidence.",
    table: "validation_test",
    fields: &[
        SITE,
        NAME,
        Field::new("test_type", "Type", T::Choice(TEST_TYPES))
            .required()
            .filter()
            .list(),
        Field::new("zone_id", "Zone", T::Ref("zone"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("assets", "Systems under test", T::Refs("asset")).site_rule(SiteRule::SameSite),
        Field::new("supplier_id", "Supplier or integrator", T::Ref("supplier"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("status", "State", T::Choice(TEST_STATES))
            .required()
            .filter()
            .list(),
        check(SECURITY_CHECKS[0].0, "Accounts"),
        check(SECURITY_CHECKS[1].0, "Logging"),
        check(SECURITY_CHECKS[2].0, "Patch level"),
        check(SECURITY_CHECKS[3].0, "Remote access disabled by default"),
        check(SECURITY_CHECKS[4].0, "Alignment with the zone design"),
        Field::new(
            "template_id",
            "Checklist template",
            T::Ref("checklist_template"),
        )
        .help("Further test items (a template for acceptance tests); copied in when saved.")
        .filter()
        .site_rule(SiteRule::SameSite),
        Field::new("template_items", "Template items", T::Checklist)
            .help("Tick the items that passed."),
        Field::new("result", "Result", T::Choice(TEST_RESULTS))
            .filter()
            .list(),
        Field::new("findings", "Findings", T::LongText).search(),
        Field::new("evidence", "Evidence", T::LongText).search(),
        Field::new("executed_by", "Executed by", T::Text { max: 120 }),
        Field::new("witness", "Witness", T::Text { max: 120 })
            .help("The plant's witness of a FAT or SAT."),
        Field::new("executed_on", "Executed on", T::Date)
            .sort()
            .list(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "executed_on",
    check: check_test,
    transition: None,
};

/// An executed test has its result, evidence, who and when, and every check decided; a passed
/// test has no failed check or item, a failed one names what failed.
pub fn check_test(values: &Values) -> Vec<FieldError> {
    if text(values, "status") != "executed" {
        return Vec::new();
    }
    let mut errors = Vec::new();
    for (f, label) in SECURITY_CHECKS {
        if matches!(text(values, f).as_str(), "" | "not_tested") {
            errors.push(FieldError::new(f, format!("not tested yet: {label}")));
        }
    }
    for (f, why) in [
        ("result", "give the result"),
        ("evidence", "record the evidence"),
        ("executed_by", "say who executed it"),
        ("executed_on", "give the date it was executed"),
    ] {
        if text(values, f).trim().is_empty() {
            errors.push(FieldError::new(f, why));
        }
    }
    let failed_checks = SECURITY_CHECKS
        .iter()
        .any(|(f, _)| text(values, f) == "fail");
    let failed_items: Vec<String> = checklist_items(&text(values, "template_items"))
        .into_iter()
        .filter(|(done, _)| !done)
        .map(|(_, item)| item)
        .collect();
    match text(values, "result").as_str() {
        "passed" if failed_checks || !failed_items.is_empty() => errors.push(FieldError::new(
            "result",
            format!(
                "a check or item did not pass{}: the result is 'failed' or 'passed with findings'",
                if failed_items.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", failed_items.join("; "))
                }
            ),
        )),
        "passed_with_findings" | "failed" if text(values, "findings").trim().is_empty() => {
            errors.push(FieldError::new("findings", "describe the findings"))
        }
        _ => {}
    }
    errors
}

pub const REVIEW_TYPES: &[Choice] = &[
    c("periodic_review", "Periodic program review"),
    c("self_assessment", "Self-assessment"),
    c("internal_audit", "Internal audit"),
    c("management_review", "Management review"),
];

pub const REVIEW_STATES: &[Choice] = &[c("planned", "Planned"), c("completed", "Completed")];

pub static PERIODIC_REVIEW_KIND: KindDef = KindDef {
    name: "periodic_review",
    plural: "periodic-reviews",
    label: "Periodic review",
    label_plural: "Periodic reviews and self-assessments",
    group: "Governance",
    about: "A periodic review, self-assessment or internal audit of the program on a site: scope, reviewer, date, its findings and when the next one is due.",
    table: "periodic_review",
    fields: &[
        SITE,
        NAME,
        Field::new("review_type", "Type", T::Choice(REVIEW_TYPES))
            .required()
            .filter()
            .list(),
        Field::new("scope", "Scope", T::LongText)
            .required()
            .search(),
        Field::new("reviewer", "Reviewer", T::Text { max: 120 })
            .required()
            .list()
            .search(),
        Field::new("status", "State", T::Choice(REVIEW_STATES))
            .required()
            .filter()
            .list(),
        Field::new("reviewed_on", "Held on", T::Date).sort().list(),
        Field::new("summary", "Summary", T::LongText).search(),
        Field::new("next_review", "Next review by", T::Date)
            .help("When the next review of this scope is due.")
            .sort()
            .list(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "reviewed_on",
    check: check_review,
    transition: None,
};

fn check_review(values: &Values) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if text(values, "status") == "completed" && text(values, "reviewed_on").is_empty() {
        errors.push(FieldError::new(
            "reviewed_on",
            "a completed review has the date it was held",
        ));
    }
    let (held, next) = (text(values, "reviewed_on"), text(values, "next_review"));
    if !held.is_empty() && !next.is_empty() && next <= held {
        errors.push(FieldError::new(
            "next_review",
            "the next review comes after this one",
        ));
    }
    errors
}

pub const FINDING_SEVERITIES: &[Choice] = &[
    c("observation", "Observation"),
    c("minor", "Minor nonconformity"),
    c("major", "Major nonconformity"),
];

pub const FINDING_STATES: &[Choice] = &[c("open", "Open"), c("closed", "Closed")];

pub static REVIEW_FINDING_KIND: KindDef = KindDef {
    name: "review_finding",
    plural: "review-findings",
    label: "Review finding",
    label_plural: "Review findings",
    group: "Governance",
    about: "A finding of a periodic review or self-assessment, the requirement it concerns and the treatment action that addresses it.",
    table: "review_finding",
    fields: &[
        SITE,
        Field::new("review_id", "Review", T::Ref("periodic_review"))
            .required()
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("finding", "Finding", T::Text { max: 300 })
            .required()
            .sort()
            .list()
            .search(),
        Field::new("severity", "Severity", T::Choice(FINDING_SEVERITIES))
            .required()
            .filter()
            .list(),
        Field::new("requirements", "Requirements", T::Text { max: 500 })
            .help("IEC 62443-3-3 identifiers concerned, comma-separated.")
            .search(),
        Field::new("treatment_id", "Treatment action", T::Ref("treatment"))
            .help("The action that addresses it; required for nonconformities.")
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("status", "State", T::Choice(FINDING_STATES))
            .required()
            .filter()
            .list(),
        OWNER,
    ],
    title_field: "finding",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "finding",
    check: check_finding,
    transition: None,
};

fn check_finding(values: &Values) -> Vec<FieldError> {
    let mut errors = check_requirement_list(values);
    if text(values, "severity") != "observation" && text(values, "treatment_id").is_empty() {
        errors.push(FieldError::new(
            "treatment_id",
            "a nonconformity is addressed by a treatment action: link one",
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn v(pairs: &[(&'static str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, x)| (*k, Value::Text((*x).to_string())))
            .collect()
    }

    fn executed(result: &str, accounts: &str, items: &str) -> Values {
        let mut values = v(&[
            ("status", "executed"),
            ("result", result),
            ("evidence", "protocol FAT-7"),
            ("executed_by", "Integrator"),
            ("executed_on", "2026-05-01"),
            ("template_items", items),
        ]);
        for (f, _) in SECURITY_CHECKS {
            values.insert(f, Value::Text("pass".into()));
        }
        values.insert("check_accounts", Value::Text(accounts.into()));
        values
    }

    #[test]
    fn a_passed_test_has_nothing_failed() {
        assert!(check_test(&executed("passed", "pass", "[x] Web server off")).is_empty());
        let e = check_test(&executed("passed", "fail", ""));
        assert_eq!(e[0].field, "result");
        let e = check_test(&executed("passed", "pass", "[ ] Web server off"));
        assert!(e[0].message.contains("Web server off"), "{e:?}");
        let e = check_test(&executed("failed", "fail", ""));
        assert_eq!(e[0].field, "findings");
        let e = check_test(&executed("passed", "not_tested", ""));
        assert_eq!(e[0].field, "check_accounts");
    }

    #[test]
    fn nonconformities_need_a_treatment() {
        let e = check_finding(&v(&[("severity", "major"), ("status", "open")]));
        assert_eq!(e[0].field, "treatment_id");
        assert!(check_finding(&v(&[("severity", "observation")])).is_empty());
    }
}
