//! Governance records (issue 9), started with program roles, the RACI matrix and training: who
//! holds which program role on a site, which role is responsible, accountable, consulted or
//! informed for each program activity, the trainings each role needs (with their refresh
//! interval) and the completion records. The due engine asks for every training a role holder lacks or
//! whose refresh has fallen due ([`crate::due::training_obligations`]).

use crate::config_kinds::text;
use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule, no_check};
use crate::kinds::{NAME, OWNER, SITE};
use crate::value::{FieldError, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

/// The program roles (our own short titles), used for people and the trainings they need.
pub const PROGRAM_ROLES: &[Choice] = &[
    c("engineering", "Engineering"),
    c("operations", "Operations (operators)"),
    c("maintenance", "Maintenance"),
    c("it", "IT"),
    c("security", "OT security"),
    c("quality", "Quality and validation"),
    c("system_owner", "System owner"),
    c("administrator", "System administrator"),
    c("vendor", "Vendor"),
    c("integrator", "Integrator"),
];

pub static ROLE_ASSIGNMENT_KIND: KindDef = KindDef {
    name: "role_assignment",
    plural: "role-assignments",
    label: "Program role of a person",
    label_plural: "Program roles",
    group: "Governance",
    about: "Who holds which role of the OT security program on a site, since and until when.",
    table: "role_assignment",
    fields: &[
        SITE,
        Field::new("person", "Person", T::Text { max: 200 })
            .required()
            .search()
            .sort()
            .list(),
        Field::new("role", "Role", T::Choice(PROGRAM_ROLES))
            .required()
            .filter()
            .list(),
        Field::new("since", "Since", T::Date).sort(),
        Field::new("until", "Until", T::Date)
            .help("Leave empty while the person holds the role.")
            .list(),
        Field::new("notes", "Notes", T::LongText),
    ],
    title_field: "person",
    site_field: Some("site_id"),
    unique: &[&["site_id", "person", "role"]],
    default_sort: "person",
    check: no_check,
    transition: None,
};

pub static TRAINING_KIND: KindDef = KindDef {
    name: "training",
    plural: "trainings",
    label: "Required training",
    label_plural: "Required trainings",
    group: "Governance",
    about: "A training that every holder of a program role on the site must have, and how often it is refreshed.",
    table: "training",
    fields: &[
        SITE,
        NAME,
        Field::new("role", "Required for", T::Choice(PROGRAM_ROLES))
            .required()
            .filter()
            .list(),
        Field::new(
            "refresh_days",
            "Refresh every (days)",
            T::Int { min: 1, max: 3650 },
        )
        .help("Leave empty for a training taken once.")
        .list(),
        Field::new("content", "Content", T::LongText).search(),
        OWNER,
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name", "role"]],
    default_sort: "name",
    check: no_check,
    transition: None,
};

pub static TRAINING_RECORD_KIND: KindDef = KindDef {
    name: "training_record",
    plural: "training-records",
    label: "Training completed",
    label_plural: "Training records",
    group: "Governance",
    about: "A person completed a training: when, with whom, the evidence, and until when it is valid.",
    table: "training_record",
    fields: &[
        SITE,
        Field::new("training_id", "Training", T::Ref("training"))
            .required()
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("person", "Person", T::Text { max: 200 })
            .required()
            .search()
            .sort()
            .list(),
        Field::new("completed_on", "Completed on", T::Date)
            .required()
            .sort()
            .list(),
        Field::new("trainer", "Trainer", T::Text { max: 200 }),
        Field::new("evidence", "Evidence", T::Text { max: 500 })
            .help("Certificate, attendance list or e-learning record."),
        Field::new("expires_on", "Valid until", T::Date)
            .help("Leave empty to count from the training's refresh interval.")
            .list(),
    ],
    title_field: "person",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "completed_on",
    check: check_record,
    transition: None,
};

fn check_record(values: &Values) -> Vec<FieldError> {
    let (done, until) = (text(values, "completed_on"), text(values, "expires_on"));
    if !done.is_empty() && !until.is_empty() && until < done {
        vec![FieldError::new(
            "expires_on",
            "a training cannot expire before it was completed",
        )]
    } else {
        Vec::new()
    }
}

/// Program activities of the RACI matrix (our own short titles).
pub const PROGRAM_ACTIVITIES: &[Choice] = &[
    c("risk_assessment", "Risk assessment"),
    c("change_approval", "Change approval"),
    c("exception_approval", "Exception approval"),
    c("patch_deployment", "Patch deployment"),
    c("backup_restore_test", "Backup and restore test"),
    c("access_review", "Access review"),
    c("remote_access_approval", "Remote access approval"),
    c("log_review", "Log review"),
    c("advisory_triage", "Advisory triage"),
    c("incident_response", "Incident response"),
    c("training", "Training"),
    c("document_review", "Document review"),
];

pub const RACI: &[Choice] = &[
    c("responsible", "R: responsible"),
    c("accountable", "A: accountable"),
    c("consulted", "C: consulted"),
    c("informed", "I: informed"),
];

pub static RACI_KIND: KindDef = KindDef {
    name: "raci",
    plural: "raci",
    label: "RACI entry",
    label_plural: "RACI matrix entries",
    group: "Governance",
    about: "Which program role is responsible, accountable, consulted or informed for a program activity on a site.",
    table: "raci_entry",
    fields: &[
        SITE,
        Field::new("activity", "Activity", T::Choice(PROGRAM_ACTIVITIES))
            .required()
            .filter()
            .sort()
            .list(),
        Field::new("role", "Role", T::Choice(PROGRAM_ROLES))
            .required()
            .filter()
            .list(),
        Field::new("responsibility", "Responsibility", T::Choice(RACI))
            .required()
            .filter()
            .list(),
        Field::new("notes", "Notes", T::LongText),
    ],
    title_field: "activity",
    site_field: Some("site_id"),
    unique: &[&["site_id", "activity", "role"]],
    default_sort: "activity",
    check: no_check,
    transition: None,
};

/// Fields a new record's form fills from the RACI matrix of its site: (kind, field, activity,
/// responsibility). The current holders of that role are suggested; the user may change it.
pub const RACI_SUGGESTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "restore_test",
        "tested_by",
        "backup_restore_test",
        "responsible",
    ),
    ("access_review", "reviewer", "access_review", "responsible"),
    ("log_review", "reviewer", "log_review", "responsible"),
    ("risk_assessment", "owner", "risk_assessment", "accountable"),
    ("treatment", "owner", "risk_assessment", "responsible"),
    ("change", "requested_by", "change_approval", "responsible"),
];

/// The RACI activity whose accountable people are suggested as signers of a record of a kind:
/// (kind, activity).
pub const APPROVAL_ACTIVITIES: &[(&str, &str)] = &[
    ("change", "change_approval"),
    ("remote_session", "remote_access_approval"),
    ("exception", "exception_approval"),
    ("document_version", "document_review"),
    ("risk_assessment", "risk_assessment"),
    ("incident", "incident_response"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn approval_activities_name_real_kinds_and_activities() {
        for (kind, activity) in super::APPROVAL_ACTIVITIES {
            assert!(crate::kind(kind).is_some(), "{kind}");
            assert!(super::PROGRAM_ACTIVITIES.iter().any(|a| a.key == *activity));
        }
    }

    #[test]
    fn raci_suggestions_name_real_fields_and_activities() {
        for (kind, field, activity, r) in super::RACI_SUGGESTIONS {
            let k = crate::kind(kind).unwrap_or_else(|| panic!("{kind} is not a kind"));
            assert!(k.field(field).is_some(), "{kind}.{field}");
            assert!(super::PROGRAM_ACTIVITIES.iter().any(|a| a.key == *activity));
            assert!(super::RACI.iter().any(|c| c.key == *r));
        }
    }
}
