//! Document control (issue 9, item 1): the program's documents (policies, procedures, plans,
//! playbooks, diagrams, …) with their key, category, scope (a corporate document or a site
//! annex completing one), owner, review interval and the IEC 62443-3-3 requirements they
//! satisfy; their versions (a Markdown body or an uploaded file, by SHA-256) moving draft → in
//! review → approved (by e-signature, like changes) → effective → superseded or obsolete; and
//! the IT policies an OT document refers to, with the deviations it makes from them.
//!
//! A version becoming effective supersedes the document's previous effective version in the
//! same transaction (`otkeep_store`'s write path). The document's next review falls due
//! `review_interval_days` after its last review or its effective version's date
//! ([`crate::due`]).

use crate::config_kinds::text;
use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule, step_refused};
use crate::kinds::{OWNER, SITE, check_requirement_list};
use crate::value::{FieldError, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const DOCUMENT_CATEGORIES: &[Choice] = &[
    c("policy", "Policy"),
    c("management_system", "Management system description"),
    c("procedure", "Procedure"),
    c("work_instruction", "Work instruction"),
    c("plan", "Plan"),
    c("playbook", "Playbook"),
    c("specification", "Specification"),
    c("interface_control", "Interface control document"),
    c("diagram_logical", "Diagram: logical connectivity"),
    c("diagram_physical", "Diagram: physical connectivity"),
    c("drawing_panel", "Panel drawing"),
    c("drawing_fieldbus", "Fieldbus drawing"),
    c("template", "Template"),
    c("report", "Report"),
];

/// Which body of documents a document belongs to: the OT security program's own, or the IT and
/// process documents it refers to.
pub const DOCUMENT_DOMAINS: &[Choice] = &[
    c("ot_security", "OT security"),
    c("it", "IT"),
    c("process", "Process and operations"),
];

pub const DOCUMENT_SCOPES: &[Choice] = &[
    c("corporate", "Corporate (all sites)"),
    c("site", "Site (or site annex)"),
];

pub static DOCUMENT_KIND: KindDef = KindDef {
    name: "document",
    plural: "documents",
    label: "Document",
    label_plural: "Documents",
    group: "Governance",
    about: "A controlled document of the program (policy, procedure, plan, playbook, diagram …): its key, owner, review interval and the requirements it satisfies. Its text or file lives in its versions.",
    table: "document",
    fields: &[
        SITE,
        Field::new("key", "Key", T::Code { max: 40 })
            .required()
            .help("The document number, e.g. OT-POL-001.")
            .sort()
            .list()
            .search(),
        Field::new("title", "Title", T::Text { max: 200 })
            .required()
            .sort()
            .list()
            .search(),
        Field::new("category", "Category", T::Choice(DOCUMENT_CATEGORIES))
            .required()
            .filter()
            .list(),
        Field::new("domain", "Domain", T::Choice(DOCUMENT_DOMAINS))
            .required()
            .help("OT security documents are the program's own; IT and process documents are listed so OT documents can refer to them.")
            .filter()
            .list(),
        Field::new("tags", "Tags", T::Text { max: 300 })
            .help("Comma-separated.")
            .search(),
        Field::new("scope", "Scope", T::Choice(DOCUMENT_SCOPES))
            .required()
            .help("Corporate documents apply to every site; they are kept at the site that issues them.")
            .filter()
            .list(),
        Field::new("template_id", "Corporate document", T::Ref("document"))
            .help("For a site annex: the corporate document it completes for this site.")
            .filter(),
        OWNER,
        Field::new("requirements", "Requirements satisfied", T::Text { max: 1000 })
            .help("IEC 62443-3-3 identifiers, comma-separated, e.g. 'SR 1.1, SR 2.8, SR 7.3'.")
            .search(),
        Field::new(
            "review_interval_days",
            "Review every (days)",
            T::Int { min: 30, max: 3650 },
        )
        .help("Leave empty for documents without periodic review."),
        Field::new("last_reviewed", "Last reviewed", T::Date)
            .help("Leave empty to count from the effective version's date.")
            .sort(),
        Field::new("zones", "Zones shown", T::Refs("zone"))
            .help("For diagrams and drawings: the zones they show.")
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("conduits", "Conduits shown", T::Refs("conduit"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("assets", "Assets shown", T::Refs("asset"))
            .filter()
            .site_rule(SiteRule::SameSite),
    ],
    title_field: "key",
    site_field: Some("site_id"),
    unique: &[&["site_id", "key"]],
    default_sort: "key",
    check: check_document,
    transition: None,
};

fn check_document(values: &Values) -> Vec<FieldError> {
    let mut errors = check_requirement_list(values);
    if text(values, "scope") == "corporate" && !text(values, "template_id").is_empty() {
        errors.push(FieldError::new(
            "template_id",
            "a corporate document is not an annex of another; choose scope 'site' or clear this",
        ));
    }
    errors
}

pub const VERSION_STATES: &[Choice] = &[
    c("draft", "Draft"),
    c("in_review", "In review"),
    c("approved", "Approved"),
    c("effective", "Effective"),
    c("superseded", "Superseded"),
    c("obsolete", "Obsolete"),
];

/// The fields an approval of a document version does not cover: moving it on to effective
/// keeps the approval; changing its text, file or number voids it.
pub const VERSION_WORKFLOW_FIELDS: &[&str] = &["status", "effective_on"];

/// Who may approve a document version on its site.
pub const DOCUMENT_APPROVER_ROLES: &[&str] = &["program_owner", "site_engineer", "admin"];

pub static DOCUMENT_VERSION_KIND: KindDef = KindDef {
    name: "document_version",
    plural: "document-versions",
    label: "Document version",
    label_plural: "Document versions",
    group: "Governance",
    about: "One version of a document: its Markdown text or uploaded file, moving from draft through review and approval (e-signature) to effective.",
    table: "document_version",
    fields: &[
        SITE,
        Field::new("document_id", "Document", T::Ref("document"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("number", "Version", T::Text { max: 20 })
            .required()
            .help("e.g. 1.0, 2.1")
            .sort()
            .list(),
        Field::new("status", "State", T::Choice(VERSION_STATES))
            .required()
            .filter()
            .list(),
        Field::new("author", "Author", T::Text { max: 120 }).list(),
        Field::new("change_summary", "What changed", T::LongText).search(),
        Field::new("body", "Text (Markdown)", T::LongText)
            .help("The document's text in Markdown, or upload its file from the version's page.")
            .search(),
        Field::new("file_name", "File", T::Text { max: 200 }),
        Field::new("file_sha256", "File SHA-256", T::Text { max: 64 }).help("Set by the upload."),
        Field::new("effective_on", "Effective from", T::Date)
            .sort()
            .list(),
    ],
    title_field: "number",
    site_field: Some("site_id"),
    unique: &[&["document_id", "number"]],
    default_sort: "document_id",
    check: check_version,
    transition: Some(check_version_step),
};

fn check_version(values: &Values) -> Vec<FieldError> {
    let status = text(values, "status");
    let mut errors = Vec::new();
    if status != "draft"
        && text(values, "body").trim().is_empty()
        && text(values, "file_sha256").is_empty()
    {
        errors.push(FieldError::new(
            "body",
            "a version under review or later needs its text or an uploaded file",
        ));
    }
    if matches!(status.as_str(), "effective" | "superseded")
        && text(values, "effective_on").is_empty()
    {
        errors.push(FieldError::new(
            "effective_on",
            "an effective version needs the date it takes effect",
        ));
    }
    let sha = text(values, "file_sha256");
    if !sha.is_empty() && (sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit())) {
        errors.push(FieldError::new(
            "file_sha256",
            "not a SHA-256 (64 hexadecimal digits); upload the file instead",
        ));
    }
    errors
}

fn check_version_step(before: &Values, after: &Values) -> Vec<FieldError> {
    let (from, to) = (text(before, "status"), text(after, "status"));
    if from == to {
        return Vec::new();
    }
    let allowed: &[&str] = match from.as_str() {
        "draft" => &["in_review", "obsolete"],
        "in_review" => &["draft", "approved", "obsolete"],
        "approved" => &["effective", "obsolete"],
        "effective" => &["superseded", "obsolete"],
        _ => &[],
    };
    if allowed.contains(&to.as_str()) {
        return Vec::new();
    }
    step_refused(
        "status",
        VERSION_STATES,
        "version",
        &from,
        &to,
        "; write a new version instead",
    )
}

pub static IT_REFERENCE_KIND: KindDef = KindDef {
    name: "it_reference",
    plural: "it-references",
    label: "IT policy reference",
    label_plural: "IT policy references",
    group: "Governance",
    about: "An IT policy or standard an OT document refers to, and where the OT document deviates from it and why.",
    table: "document_it_reference",
    fields: &[
        SITE,
        Field::new("document_id", "OT document", T::Ref("document"))
            .required()
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("reference", "IT policy", T::Text { max: 200 })
            .required()
            .help("Its number and title, e.g. 'IT-SEC-004 Password policy'.")
            .sort()
            .list()
            .search(),
        Field::new("clause", "Clause", T::Text { max: 100 }).list(),
        Field::new("deviation", "Deviation in OT", T::LongText)
            .help("What the OT document does differently; leave empty when it adopts the IT policy as is.")
            .search(),
        Field::new("reason", "Why", T::LongText),
    ],
    title_field: "reference",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "reference",
    check: crate::kind::no_check,
    transition: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn v(pairs: &[(&'static str, &str)]) -> Values {
        let mut values = Values::new();
        for (k, x) in pairs {
            values.insert(*k, Value::Text((*x).to_string()));
        }
        values
    }

    #[test]
    fn versions_move_forward_only() {
        let draft = v(&[("status", "draft")]);
        let effective = v(&[("status", "effective")]);
        assert!(!check_version_step(&draft, &effective).is_empty());
        assert!(check_version_step(&effective, &v(&[("status", "superseded")])).is_empty());
        assert!(!check_version_step(&v(&[("status", "superseded")]), &effective).is_empty());
    }

    #[test]
    fn a_version_in_review_needs_text_or_file_and_effective_needs_a_date() {
        let e = check_version(&v(&[("status", "in_review")]));
        assert_eq!(e[0].field, "body");
        let e = check_version(&v(&[("status", "effective"), ("body", "x")]));
        assert_eq!(e[0].field, "effective_on");
        assert!(check_version(&v(&[("status", "draft")])).is_empty());
    }

    #[test]
    fn documents_name_real_requirements() {
        let e = check_document(&v(&[("requirements", "SR 1.1, SR 9.9"), ("scope", "site")]));
        assert_eq!(e.len(), 1);
        assert!(e[0].message.contains("SR 9.9"));
    }
}
