//! The record kinds of risk management (IEC 62443-3-2 style): risk assessments of a zone or of a
//! system under consideration spanning zones, the risks (threat scenarios) they find, the
//! treatment actions that address risks and gaps, and exceptions (risk acceptance).
//!
//! Ratings are step numbers on the scales of the risk method the assessment records
//! (`method_version`); the levels are computed, never stored, so the register always shows
//! what the recorded method says (see `crate::risk`).

use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule};
use crate::kinds::{NAME, OWNER, SITE, check_requirement_list};
use crate::value::{FieldError, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const ASSESSMENT_STATES: &[Choice] = &[
    c("draft", "Draft"),
    c("complete", "Complete"),
    c("superseded", "Superseded"),
];

/// Threat sources (our own grouping).
pub const THREAT_SOURCES: &[Choice] = &[
    c("untargeted_malware", "Untargeted malware"),
    c("criminal", "Criminal group (ransomware, extortion)"),
    c("hacktivist", "Hacktivist"),
    c("nation_state", "Nation-state actor"),
    c("insider_malicious", "Malicious insider"),
    c("insider_error", "Insider error"),
    c("supplier", "Supplier / integrator access"),
    c("other", "Other"),
];

pub const TREATMENTS: &[Choice] = &[
    c("mitigate", "Mitigate"),
    c("accept", "Accept (exception)"),
    c("transfer", "Transfer"),
    c("avoid", "Avoid"),
];

pub const ACTION_STATES: &[Choice] = &[
    c("planned", "Planned"),
    c("in_progress", "In progress"),
    c("done", "Done"),
    c("cancelled", "Cancelled"),
];

const LEVEL_HELP: &str = "Step on the likelihood scale of the risk method (1 = lowest).";
const IMPACTS_HELP: &str = "Consequence per category on the impact scale, e.g. 'safety=4, production=3, quality=2' (categories of the risk method).";

const fn rating(name: &'static str, label: &'static str) -> Field {
    Field::new(name, label, T::Int { min: 1, max: 10 }).help(LEVEL_HELP)
}

const fn impacts(name: &'static str, label: &'static str) -> Field {
    Field::new(name, label, T::Impacts).help(IMPACTS_HELP)
}

pub static RISK_ASSESSMENT_KIND: KindDef = KindDef {
    name: "risk_assessment",
    plural: "risk-assessments",
    label: "Risk assessment",
    label_plural: "Risk assessments",
    group: "Risk",
    about: "A risk assessment of a zone, or of a system under consideration spanning zones: its initial risk, the threat scenarios (risks) it finds and the SL-T it recommends (IEC 62443-3-2).",
    table: "risk_assessment",
    fields: &[
        SITE,
        NAME,
        Field::new("zones", "Zones", T::Refs("zone"))
            .required()
            .help("The zone, or the zones of the system under consideration.")
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("scope", "System under consideration", T::LongText)
            .help("What is assessed: boundaries, functions, entry points.")
            .search(),
        rating("initial_likelihood", "Initial likelihood")
            .help("Unmitigated likelihood of a successful attack (step of the likelihood scale)."),
        impacts("initial_impacts", "Initial consequences"),
        Field::new("method_version", "Risk method version", T::Int { min: 1, max: 1_000_000 })
            .help("The version of the risk method the ratings use; set to the current one when left empty."),
        Field::new("sl_t_recommended", "Recommended SL-T", T::SlVector)
            .help("The target security level per FR this assessment arrives at."),
        Field::new("sl_t_justification", "SL-T justification", T::LongText)
            .help("Why this target; applied to the zones as their SL-T justification.")
            .search(),
        OWNER,
        Field::new("status", "Status", T::Choice(ASSESSMENT_STATES))
            .required()
            .filter()
            .list(),
        Field::new("assessed_on", "Assessed on", T::Date).sort().list(),
        Field::new("review_date", "Review by", T::Date)
            .help("When the assessment must be reviewed (shown under Due).")
            .sort()
            .list(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: check_risk_assessment,
    transition: None,
};

fn check_risk_assessment(values: &Values) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let has = |f: &str| values.get(f).is_some_and(|v| !v.is_null());
    if has("sl_t_recommended") && !has("sl_t_justification") {
        errors.push(FieldError::new(
            "sl_t_justification",
            "a recommended SL-T needs its justification",
        ));
    }
    errors
}

pub static RISK_KIND: KindDef = KindDef {
    name: "risk",
    plural: "risks",
    label: "Risk",
    label_plural: "Risks",
    group: "Risk",
    about: "A threat scenario found by a risk assessment: who could do what through which weakness, to which assets, with which consequences; rated before and after countermeasures.",
    table: "risk",
    fields: &[
        SITE,
        NAME,
        Field::new(
            "risk_assessment_id",
            "Risk assessment",
            T::Ref("risk_assessment"),
        )
        .required()
        .filter()
        .sort()
        .list()
        .site_rule(SiteRule::SameSite),
        Field::new("threat_source", "Threat source", T::Choice(THREAT_SOURCES))
            .required()
            .filter()
            .list(),
        Field::new("vector", "Threat vector", T::Text { max: 200 })
            .help("The way in, e.g. vendor remote access, removable media, IT/OT firewall.")
            .search(),
        Field::new("vulnerability", "Vulnerability", T::LongText)
            .help("The weakness exploited.")
            .search(),
        Field::new("assets", "Affected assets", T::Refs("asset"))
            .filter()
            .site_rule(SiteRule::SameSite),
        impacts("impacts", "Consequences").required(),
        Field::new(
            "existing_countermeasures",
            "Existing countermeasures",
            T::LongText,
        )
        .search(),
        rating("likelihood", "Likelihood (inherent)").required(),
        rating("residual_likelihood", "Residual likelihood")
            .help("Likelihood with the existing countermeasures and the treatment in place."),
        impacts("residual_impacts", "Residual consequences"),
        Field::new("treatment", "Treatment", T::Choice(TREATMENTS))
            .filter()
            .list(),
        OWNER,
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: crate::kind::no_check,
    transition: None,
};

pub static TREATMENT_KIND: KindDef = KindDef {
    name: "treatment",
    plural: "treatments",
    label: "Treatment action",
    label_plural: "Treatment actions",
    group: "Risk",
    about: "An action that reduces a risk or closes a gap: owner, due date, milestone, status and the risks and requirements it addresses.",
    table: "treatment",
    fields: &[
        SITE,
        NAME,
        Field::new("risks", "Risks addressed", T::Refs("risk"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("zones", "Zones", T::Refs("zone"))
            .help("Zones whose gaps (the requirements below) it closes.")
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("requirements", "Requirements (gaps)", T::Text { max: 500 })
            .help("IEC 62443-3-3 identifiers it implements, e.g. 'SR 1.1 RE 1, SR 5.2'.")
            .search(),
        Field::new("changes", "Change requests", T::Refs("change"))
            .help("The change requests that carry it out.")
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("addresses", "Vulnerabilities", T::Text { max: 500 })
            .help("Advisory or CVE identifiers it addresses (the advisory's triage links back to it).")
            .search(),
        OWNER,
        Field::new("due_date", "Due", T::Date)
            .required()
            .sort()
            .list(),
        Field::new("milestone", "Milestone", T::Text { max: 120 })
            .filter()
            .list(),
        Field::new("status", "Status", T::Choice(ACTION_STATES))
            .required()
            .filter()
            .list(),
        Field::new(
            "expected_residual",
            "Expected residual risk",
            T::Text { max: 40 },
        )
        .help("The risk level (key of the risk method, e.g. 'low') expected once done."),
        Field::new("notes", "Notes", T::LongText).search(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "due_date",
    check: check_requirement_list,
    transition: None,
};

pub static EXCEPTION_KIND: KindDef = KindDef {
    name: "exception",
    plural: "exceptions",
    label: "Exception",
    label_plural: "Exceptions",
    group: "Risk",
    about: "An accepted deviation: what it covers, why, the compensating controls and the residual risk, approved by e-signature within the approver's authority, until it expires; reviewed at its interval.",
    table: "exception",
    fields: &[
        SITE,
        NAME,
        Field::new("assets", "Assets", T::Refs("asset"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("zones", "Zones", T::Refs("zone"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("requirements", "Requirements", T::Text { max: 500 })
            .help("IEC 62443-3-3 identifiers not met, e.g. 'SR 1.1, SR 2.8'.")
            .search(),
        Field::new("constraints", "Constraints", T::LongText)
            .help("Why it cannot be met: e.g. legacy or unsupported system, vendor qualification, validated state.")
            .search(),
        Field::new("justification", "Justification", T::LongText)
            .required()
            .search(),
        Field::new("compensating_controls", "Compensating controls", T::LongText)
            .required()
            .search(),
        Field::new("residual_risk", "Residual risk level", T::Text { max: 40 })
            .required()
            .help("Key of a level of the risk method (e.g. 'medium'); decides who may approve.")
            .filter()
            .list(),
        Field::new("requested_by", "Requested by", T::Text { max: 120 })
            .required()
            .list(),
        Field::new("expiry_date", "Expires", T::Date).required().sort().list(),
        Field::new("review_interval_days", "Review every (days)", T::Int { min: 1, max: 3650 })
            .required()
            .help("Reviewed this often after approval while it lasts."),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "expiry_date",
    check: check_exception,
    transition: None,
};

fn check_exception(values: &Values) -> Vec<FieldError> {
    let mut errors = check_requirement_list(values);
    let none = |f: &str| values.get(f).is_none_or(|v| v.ids().is_empty());
    if none("assets") && none("zones") {
        errors.push(FieldError::new(
            "assets",
            "name the assets or zones the exception covers",
        ));
    }
    let level = values
        .get("residual_risk")
        .map(|v| v.to_text())
        .unwrap_or_default();
    if !level.is_empty()
        && !level
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        errors.push(FieldError::new(
            "residual_risk",
            format!("'{level}' is not a level key (e.g. low, medium, high)"),
        ));
    }
    errors
}
