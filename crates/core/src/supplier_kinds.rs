//! Suppliers (issue 9, item 4): supplier and integrator records, the security requirement sets
//! they are held to (clauses mapped to IEC 62443-3-3 requirements), security capability
//! declarations per product (the SL-C claimed per FR, the IEC 62443-4-2 component requirements
//! named, the evidence document), which give the SL-C of assets of that vendor and model that
//! have none of their own, and remote-support agreements (access windows, minimum controls,
//! logging duties, expiry, in the due engine).

use crate::config_kinds::text;
use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule, no_check};
use crate::kinds::{NAME, OWNER, SITE, check_requirement_list};
use crate::value::{FieldError, Value, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const SUPPLIER_TYPES: &[Choice] = &[
    c("vendor", "Product vendor"),
    c("integrator", "System integrator"),
    c("service_provider", "Service provider"),
];

pub const SUPPLIER_STATES: &[Choice] = &[
    c("approved", "Approved"),
    c("conditional", "Approved with conditions"),
    c("under_review", "Under review"),
    c("not_approved", "Not approved"),
];

pub static SUPPLIER_KIND: KindDef = KindDef {
    name: "supplier",
    plural: "suppliers",
    label: "Supplier",
    label_plural: "Suppliers and integrators",
    group: "Suppliers",
    about: "A vendor, integrator or service provider of the site: the requirement set it is held to and whether it meets it.",
    table: "supplier",
    fields: &[
        SITE,
        NAME,
        Field::new("supplier_type", "Type", T::Choice(SUPPLIER_TYPES))
            .required()
            .filter()
            .list(),
        Field::new("contact", "Security contact", T::Text { max: 200 })
            .help("Who to call about vulnerabilities and incidents (PSIRT, e-mail, phone)."),
        Field::new("products", "Products and services", T::Text { max: 500 }).search(),
        Field::new(
            "requirement_set_id",
            "Requirement set",
            T::Ref("supplier_requirement_set"),
        )
        .filter()
        .site_rule(SiteRule::SameSite),
        Field::new("status", "State", T::Choice(SUPPLIER_STATES))
            .required()
            .filter()
            .list(),
        Field::new("assessed_on", "Last assessed", T::Date)
            .sort()
            .list(),
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

pub const SET_AUDIENCES: &[Choice] = &[
    c("vendors", "Product vendors"),
    c("integrators", "Integrators"),
    c("service_providers", "Service providers"),
    c("all", "All suppliers"),
];

pub static REQUIREMENT_SET_KIND: KindDef = KindDef {
    name: "supplier_requirement_set",
    plural: "supplier-requirement-sets",
    label: "Supplier requirement set",
    label_plural: "Supplier requirement sets",
    group: "Suppliers",
    about: "The security requirements suppliers or integrators must meet (e.g. for purchase orders and contracts); its clauses are mapped to IEC 62443 requirements.",
    table: "supplier_requirement_set",
    fields: &[
        SITE,
        NAME,
        Field::new("audience", "For", T::Choice(SET_AUDIENCES))
            .required()
            .filter()
            .list(),
        Field::new("document_id", "Document", T::Ref("document"))
            .help("The controlled document holding the full text, if any."),
        OWNER,
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: no_check,
    transition: None,
};

pub static CLAUSE_KIND: KindDef = KindDef {
    name: "supplier_clause",
    plural: "supplier-clauses",
    label: "Supplier requirement clause",
    label_plural: "Supplier requirement clauses",
    group: "Suppliers",
    about: "One clause of a supplier requirement set, in our words, and the IEC 62443-3-3 requirements it serves.",
    table: "supplier_clause",
    fields: &[
        SITE,
        Field::new(
            "set_id",
            "Requirement set",
            T::Ref("supplier_requirement_set"),
        )
        .required()
        .filter()
        .list()
        .site_rule(SiteRule::SameSite),
        Field::new("number", "Clause", T::Text { max: 20 })
            .required()
            .sort()
            .list(),
        Field::new("text", "Requirement", T::LongText)
            .required()
            .list()
            .search(),
        Field::new("requirements", "IEC 62443-3-3", T::Text { max: 500 })
            .help("Identifiers, comma-separated, e.g. 'SR 1.1, SR 2.1'.")
            .list()
            .search(),
    ],
    title_field: "number",
    site_field: Some("site_id"),
    unique: &[&["set_id", "number"]],
    default_sort: "number",
    check: check_requirement_list,
    transition: None,
};

pub static CAPABILITY_DECLARATION_KIND: KindDef = KindDef {
    name: "capability_declaration",
    plural: "capability-declarations",
    label: "Security capability declaration",
    label_plural: "Security capability declarations",
    group: "Suppliers",
    about: "What a product claims to achieve: its SL-C per FR, the IEC 62443-4-2 component requirements met and the evidence (certificate, vendor statement). Assets of this vendor and model without an SL-C of their own take this one.",
    table: "capability_declaration",
    fields: &[
        SITE,
        Field::new("supplier_id", "Supplier", T::Ref("supplier"))
            .required()
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("vendor", "Vendor", T::Text { max: 120 })
            .required()
            .help("As written on the assets.")
            .sort()
            .list()
            .search(),
        Field::new("model", "Model", T::Text { max: 200 })
            .required()
            .help("The model, or the start of the models it covers (e.g. 'SIMATIC S7-1500').")
            .sort()
            .list()
            .search(),
        Field::new("firmware", "Firmware versions", T::Text { max: 200 })
            .help("The versions the declaration holds for."),
        Field::new("sl_c", "Declared SL-C", T::SlVector).help("Per FR1–FR7, 0–4."),
        Field::new(
            "component_requirements",
            "IEC 62443-4-2 requirements",
            T::Text { max: 1000 },
        )
        .help("Component requirements met, e.g. 'CR 1.1, CR 2.1, EDR 3.2'.")
        .search(),
        Field::new("certification", "Certification", T::Text { max: 200 })
            .help("e.g. an IEC 62443-4-2 certificate and its number, or 'vendor statement'."),
        Field::new(
            "evidence_document_id",
            "Evidence document",
            T::Ref("document"),
        )
        .help("The certificate or statement, kept as a controlled document."),
        Field::new("valid_until", "Valid until", T::Date)
            .sort()
            .list(),
    ],
    title_field: "model",
    site_field: Some("site_id"),
    unique: &[&["site_id", "vendor", "model"]],
    default_sort: "vendor",
    check: check_declaration,
    transition: None,
};

/// Whether a component requirement identifier is well formed: `CR`, `SAR`, `EDR`, `HDR` or
/// `NDR` with a number `n.m`, optionally `RE k`.
fn component_requirement(id: &str) -> bool {
    let words: Vec<&str> = id.split_whitespace().collect();
    let numbered = |w: &str| {
        let mut parts = w.split('.');
        let ok = |p: Option<&str>| {
            p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        };
        ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
    };
    let prefix = |w: &str| matches!(w, "CR" | "SAR" | "EDR" | "HDR" | "NDR");
    match words.as_slice() {
        [p, n] => prefix(p) && numbered(n),
        [p, n, re, k] => {
            prefix(p) && numbered(n) && *re == "RE" && k.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

fn check_declaration(values: &Values) -> Vec<FieldError> {
    let list = text(values, "component_requirements").to_uppercase();
    let wrong: Vec<&str> = list
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty() && !component_requirement(s))
        .collect();
    let mut errors = Vec::new();
    if !wrong.is_empty() {
        errors.push(FieldError::new(
            "component_requirements",
            format!(
                "not IEC 62443-4-2 identifiers: {} (write e.g. CR 1.1, EDR 3.2 RE 1)",
                wrong.join(", ")
            ),
        ));
    }
    if !matches!(values.get("sl_c"), Some(Value::Sl(_))) {
        errors.push(FieldError::new(
            "sl_c",
            "give the SL-C the product claims per FR (0 where it claims none)",
        ));
    }
    errors
}

/// Whether a declaration for (`vendor`, `model`) covers an asset: same vendor, and the asset's
/// model is the declared one or starts with it (a product family), ignoring case and spacing.
pub fn declaration_covers(
    vendor: &str,
    model: &str,
    asset_vendor: &str,
    asset_model: &str,
) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let (model, asset_model) = (norm(model), norm(asset_model));
    !model.is_empty()
        && norm(vendor) == norm(asset_vendor)
        && (asset_model == model || asset_model.starts_with(&format!("{model} ")))
}

pub static SUPPORT_AGREEMENT_KIND: KindDef = KindDef {
    name: "support_agreement",
    plural: "support-agreements",
    label: "Remote-support agreement",
    label_plural: "Remote-support agreements",
    group: "Suppliers",
    about: "The terms under which a supplier may support the site remotely: when, on which assets, with which minimum controls and logging duties, until when.",
    table: "support_agreement",
    fields: &[
        SITE,
        NAME,
        Field::new("supplier_id", "Supplier", T::Ref("supplier"))
            .required()
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("assets", "Assets covered", T::Refs("asset")).site_rule(SiteRule::SameSite),
        Field::new(
            "access_windows",
            "Allowed access windows",
            T::Text { max: 300 },
        )
        .required()
        .help("e.g. 'weekdays 07:00–18:00 site time, on request'."),
        Field::new("minimum_controls", "Minimum controls", T::LongText)
            .required()
            .help("e.g. named accounts, MFA, via the site's jump host, session recording."),
        Field::new("logging_duties", "Logging duties", T::LongText)
            .help("What the supplier logs and reports after each session."),
        Field::new("valid_from", "Valid from", T::Date),
        Field::new("expires_on", "Expires on", T::Date)
            .required()
            .sort()
            .list(),
        Field::new("document_id", "Signed agreement", T::Ref("document")),
        OWNER,
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "expires_on",
    check: check_agreement,
    transition: None,
};

fn check_agreement(values: &Values) -> Vec<FieldError> {
    let (from, to) = (text(values, "valid_from"), text(values, "expires_on"));
    if !from.is_empty() && !to.is_empty() && to <= from {
        vec![FieldError::new(
            "expires_on",
            "the agreement expires before it begins",
        )]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_cover_the_model_and_its_family() {
        assert!(declaration_covers(
            "Siemens",
            "SIMATIC S7-1500",
            "siemens",
            "SIMATIC  S7-1500 CPU 1516-3"
        ));
        assert!(!declaration_covers(
            "Siemens",
            "SIMATIC S7-15",
            "Siemens",
            "SIMATIC S7-1500"
        ));
        assert!(!declaration_covers("ABB", "AC800M", "Siemens", "AC800M"));
    }

    #[test]
    fn component_requirements_are_checked() {
        assert!(component_requirement("CR 1.1"));
        assert!(component_requirement("EDR 3.2 RE 1"));
        assert!(!component_requirement("SR 1.1"));
        assert!(!component_requirement("CR 1"));
    }
}
