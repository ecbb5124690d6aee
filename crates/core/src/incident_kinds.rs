//! Incidents (issue 9, item 5): what happened, where (site, zone, assets), how bad (category,
//! severity, safety/quality/production impact), what was done, the root cause and the lessons
//! learned, with the playbook followed and the changes and treatment actions that came out of
//! it; states open → contained → eradicated → recovered → closed. A timeline of entries
//! (observations, actions, decisions, communications) belongs to each incident. A recovered
//! incident must be closed with its lessons learned within [`LESSONS_DAYS`] ([`crate::due`]).

use crate::config_kinds::text;
use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule, step_refused};
use crate::kinds::{NAME, OWNER, SITE};
use crate::value::{FieldError, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

/// Days after recovery within which an incident is closed with its lessons learned.
pub const LESSONS_DAYS: i64 = 30;

pub const INCIDENT_CATEGORIES: &[Choice] = &[
    c("malware", "Malware"),
    c("unauthorized_access", "Unauthorized access"),
    c("denial_of_service", "Denial of service"),
    c("misconfiguration", "Misconfiguration or faulty change"),
    c("data_loss", "Loss or theft of data or equipment"),
    c("phishing", "Phishing or social engineering"),
    c("supply_chain", "Supplier or supply chain"),
    c("physical", "Physical security"),
    c("other", "Other"),
];

pub const INCIDENT_SEVERITIES: &[Choice] = &[
    c("low", "Low"),
    c("medium", "Medium"),
    c("high", "High"),
    c("critical", "Critical"),
];

pub const IMPACTS: &[Choice] = &[c("none", "None"), c("minor", "Minor"), c("major", "Major")];

pub const INCIDENT_STATES: &[Choice] = &[
    c("open", "Open"),
    c("contained", "Contained"),
    c("eradicated", "Eradicated"),
    c("recovered", "Recovered"),
    c("closed", "Closed"),
];

const fn impact(name: &'static str, label: &'static str) -> Field {
    Field::new(name, label, T::Choice(IMPACTS))
        .required()
        .filter()
}

pub static INCIDENT_KIND: KindDef = KindDef {
    name: "incident",
    plural: "incidents",
    label: "Incident",
    label_plural: "Incidents",
    group: "Governance",
    about: "A security incident in the plant: where and how bad, the timeline of what was seen and done, root cause and lessons learned, from open to closed.",
    table: "incident",
    fields: &[
        SITE,
        NAME,
        Field::new("detected_at", "Detected at", T::DateTime)
            .required()
            .sort()
            .list(),
        Field::new("reported_by", "Reported by", T::Text { max: 120 })
            .required()
            .search(),
        Field::new("zone_id", "Zone", T::Ref("zone"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("assets", "Assets", T::Refs("asset"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("category", "Category", T::Choice(INCIDENT_CATEGORIES))
            .required()
            .filter()
            .list(),
        Field::new("severity", "Severity", T::Choice(INCIDENT_SEVERITIES))
            .required()
            .filter()
            .sort()
            .list(),
        impact("safety_impact", "Safety impact"),
        impact("quality_impact", "Quality impact"),
        impact("production_impact", "Production impact"),
        Field::new("status", "State", T::Choice(INCIDENT_STATES))
            .required()
            .filter()
            .list(),
        OWNER,
        Field::new("description", "What happened", T::LongText)
            .required()
            .search(),
        Field::new("contained_at", "Contained at", T::DateTime),
        Field::new("recovered_at", "Recovered at", T::DateTime).sort(),
        Field::new("closed_at", "Closed at", T::DateTime),
        Field::new("actions_taken", "Actions taken", T::LongText).search(),
        Field::new("root_cause", "Root cause", T::LongText).search(),
        Field::new("lessons_learned", "Lessons learned", T::LongText).search(),
        Field::new("playbook_id", "Playbook followed", T::Ref("document"))
            .help("The response playbook (a document), corporate or of this site.")
            .filter(),
        Field::new("changes", "Changes", T::Refs("change")).site_rule(SiteRule::SameSite),
        Field::new("treatments", "Treatment actions", T::Refs("treatment"))
            .site_rule(SiteRule::SameSite),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "detected_at",
    check: check_incident,
    transition: Some(check_incident_step),
};

fn reached(status: &str, state: &str) -> bool {
    let pos = |x: &str| INCIDENT_STATES.iter().position(|c| c.key == x);
    matches!((pos(status), pos(state)), (Some(a), Some(b)) if a >= b)
}

fn check_incident(values: &Values) -> Vec<FieldError> {
    let status = text(values, "status");
    let mut errors = Vec::new();
    let mut need = |state: &str, field: &str, why: &str| {
        if reached(&status, state) && text(values, field).trim().is_empty() {
            errors.push(FieldError::new(field, why));
        }
    };
    need("contained", "contained_at", "record when it was contained");
    need(
        "contained",
        "actions_taken",
        "record the actions taken to contain it",
    );
    need(
        "recovered",
        "recovered_at",
        "record when operations recovered",
    );
    need("closed", "closed_at", "record when it was closed");
    need(
        "closed",
        "root_cause",
        "a closed incident names its root cause",
    );
    need(
        "closed",
        "lessons_learned",
        "a closed incident records its lessons learned",
    );
    let detected = text(values, "detected_at");
    for f in ["contained_at", "recovered_at", "closed_at"] {
        let at = text(values, f);
        if !at.is_empty() && !detected.is_empty() && at < detected {
            errors.push(FieldError::new(f, "before the incident was detected"));
        }
    }
    errors
}

/// Incidents move forward only (steps may be skipped: a contained incident may recover without
/// separate eradication); a closed incident stays closed.
fn check_incident_step(before: &Values, after: &Values) -> Vec<FieldError> {
    let (from, to) = (text(before, "status"), text(after, "status"));
    if from == to || (reached(&to, &from) && from != "closed") {
        return Vec::new();
    }
    step_refused("status", INCIDENT_STATES, "incident", &from, &to, "")
}

pub const ENTRY_TYPES: &[Choice] = &[
    c("observation", "Observation"),
    c("action", "Action"),
    c("decision", "Decision"),
    c("communication", "Communication"),
];

pub static INCIDENT_ENTRY_KIND: KindDef = KindDef {
    name: "incident_entry",
    plural: "incident-entries",
    label: "Incident timeline entry",
    label_plural: "Incident timeline",
    group: "Governance",
    about: "One entry of an incident's timeline: what was observed, done, decided or communicated, when and by whom.",
    table: "incident_entry",
    fields: &[
        SITE,
        Field::new("incident_id", "Incident", T::Ref("incident"))
            .required()
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("at", "At", T::DateTime).required().sort().list(),
        Field::new("entry_type", "Type", T::Choice(ENTRY_TYPES))
            .required()
            .filter()
            .list(),
        Field::new("author", "By", T::Text { max: 120 })
            .required()
            .list(),
        Field::new("entry", "Entry", T::LongText)
            .required()
            .list()
            .search(),
    ],
    title_field: "at",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "at",
    check: crate::kind::no_check,
    transition: None,
};

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

    #[test]
    fn each_state_asks_for_its_facts() {
        let e = check_incident(&v(&[
            ("status", "closed"),
            ("detected_at", "2026-01-01T10:00"),
        ]));
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "contained_at",
            "actions_taken",
            "recovered_at",
            "closed_at",
            "root_cause",
            "lessons_learned",
        ] {
            assert!(fields.contains(&f), "{f}: {fields:?}");
        }
        let e = check_incident(&v(&[
            ("status", "open"),
            ("detected_at", "2026-01-01T10:00"),
            ("contained_at", "2025-12-31T10:00"),
        ]));
        assert_eq!(e[0].field, "contained_at");
    }

    #[test]
    fn incidents_move_forward_and_stay_closed() {
        let s = |x: &str| v(&[("status", x)]);
        assert!(check_incident_step(&s("open"), &s("recovered")).is_empty());
        assert!(!check_incident_step(&s("recovered"), &s("open")).is_empty());
        assert!(!check_incident_step(&s("closed"), &s("recovered")).is_empty());
    }
}
