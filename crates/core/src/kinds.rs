//! The kinds of record otkeep keeps, and the registry through which everything finds them.
//!
//! To add a kind: write its `KindDef` here (or in a module beside it), add it to [`KINDS`], and
//! add a migration creating its table in `otkeep-store`. List, detail, form, API, CSV export,
//! history and audit then come from the shared machinery.

use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule, no_check};
use crate::value::{FieldError, Value, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

/// OT asset types (our own list, informed by the NetBox device roles published with CISA's
/// Malcolm and by common ICS inventories).
pub const ASSET_TYPES: &[Choice] = &[
    c("plc", "PLC"),
    c("dcs_controller", "DCS controller"),
    c("safety_controller", "Safety controller (SIS)"),
    c("rtu", "RTU"),
    c("io_module", "Remote I/O module"),
    c("drive", "Drive / VFD"),
    c("robot_controller", "Robot controller"),
    c("hmi", "HMI panel"),
    c("scada_server", "SCADA server"),
    c("engineering_workstation", "Engineering workstation"),
    c("operator_workstation", "Operator workstation"),
    c("historian", "Historian"),
    c("mes_server", "MES / batch server"),
    c("application_server", "Application server"),
    c("domain_controller", "Domain controller"),
    c("jump_host", "Jump host / remote access gateway"),
    c("network_switch", "Network switch"),
    c("router", "Router"),
    c("firewall", "Firewall"),
    c("data_diode", "Data diode"),
    c("wireless_ap", "Wireless access point"),
    c("protocol_gateway", "Protocol gateway"),
    c("instrument", "Field instrument / analyser"),
    c("camera", "Camera / vision system"),
    c("printer", "Printer / labeller"),
    c("other", "Other"),
];

pub const CRITICALITY: &[Choice] = &[
    c("low", "Low"),
    c("medium", "Medium"),
    c("high", "High"),
    c("critical", "Critical"),
];

pub const LIFECYCLE: &[Choice] = &[
    c("planned", "Planned"),
    c("commissioning", "Commissioning"),
    c("operational", "Operational"),
    c("standby", "Standby / spare"),
    c("end_of_support", "End of support"),
    c("decommissioned", "Decommissioned"),
];

pub const PURDUE_LEVELS: &[Choice] = &[
    c("l0", "Level 0 – process"),
    c("l1", "Level 1 – basic control"),
    c("l2", "Level 2 – supervisory control"),
    c("l3", "Level 3 – site operations"),
    c("l3_5", "Level 3.5 – industrial DMZ"),
    c("l4", "Level 4 – enterprise"),
    c("safety", "Safety (SIS)"),
    c("external", "External / vendor"),
];

pub(crate) const NAME: Field = Field::new("name", "Name", T::Text { max: 120 })
    .required()
    .sort()
    .list()
    .search();
pub(crate) const SITE: Field = Field::new("site_id", "Site", T::Ref("site"))
    .required()
    .filter()
    .sort()
    .list();
pub(crate) const OWNER: Field = Field::new("owner", "Owner", T::Text { max: 120 })
    .required()
    .help("Person or role accountable for this record.")
    .sort()
    .list()
    .search();
const DESCRIPTION: Field = Field::new("description", "Description", T::LongText).search();
const SL_T: Field = Field::new("sl_t", "Target SL (SL-T)", T::SlVector)
    .help("Target security level per foundational requirement FR1–FR7, 0–4.")
    .list();

pub static SITE_KIND: KindDef = KindDef {
    name: "site",
    plural: "sites",
    label: "Site",
    label_plural: "Sites",
    group: "Organization",
    about: "A plant or location. Every zone, conduit and asset belongs to one site.",
    table: "site",
    fields: &[
        Field::new("code", "Code", T::Code { max: 16 })
            .required()
            .help("Short unique code used in imports and links, e.g. FRA1.")
            .sort()
            .list()
            .search(),
        NAME,
        Field::new("time_zone", "Time zone", T::TimeZone)
            .required()
            .help("IANA time zone name; times are shown in it, e.g. Europe/Berlin.")
            .list(),
        DESCRIPTION,
    ],
    title_field: "code",
    site_field: None,
    unique: &[&["code"]],
    default_sort: "code",
    check: no_check,
    transition: None,
};

pub static ZONE_KIND: KindDef = KindDef {
    name: "zone",
    plural: "zones",
    label: "Zone",
    label_plural: "Zones",
    group: "Assets and zones",
    about: "A group of assets that share security requirements, with a target security level vector (IEC 62443-3-2).",
    table: "zone",
    fields: &[
        SITE,
        NAME,
        Field::new("purdue_level", "Purdue level", T::Choice(PURDUE_LEVELS))
            .filter()
            .sort()
            .list(),
        SL_T,
        Field::new("sl_t_justification", "SL-T justification", T::LongText)
            .help("Why this target: the risk assessment it comes from and its reasoning. A change of SL-T needs a new justification.")
            .search(),
        OWNER,
        Field::new("subnets", "Subnets", T::SubnetList)
            .help("IP networks of the zone, e.g. '10.10.20.0/24, 10.10.21.0/24'; assets outside them are reported.")
            .search(),
        DESCRIPTION,
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: no_check,
    transition: Some(check_zone_change),
};

/// A zone's SL-T changes only together with a new, non-empty justification (IEC 62443-3-2:
/// the target comes from the risk assessment, and the record says why).
fn check_zone_change(before: &Values, after: &Values) -> Vec<FieldError> {
    let get = |v: &Values, f: &str| v.get(f).cloned().unwrap_or(Value::Null);
    let changed = get(before, "sl_t") != get(after, "sl_t");
    let text = |v: &Values| get(v, "sl_t_justification").to_text().trim().to_string();
    if changed && (text(after).is_empty() || text(after) == text(before)) {
        vec![FieldError::new(
            "sl_t_justification",
            "the target SL changed: say why in the SL-T justification (e.g. the risk assessment it follows)",
        )]
    } else {
        Vec::new()
    }
}

pub static CONDUIT_KIND: KindDef = KindDef {
    name: "conduit",
    plural: "conduits",
    label: "Conduit",
    label_plural: "Conduits",
    group: "Assets and zones",
    about: "A communication path between two zones, with its channels and target security level.",
    table: "conduit",
    fields: &[
        SITE,
        NAME,
        Field::new("zone_a_id", "Zone A", T::Ref("zone"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("zone_b_id", "Zone B", T::Ref("zone"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSiteUnless("cross_site")),
        Field::new("cross_site", "Cross-site link", T::Bool)
            .help("Tick when zone B belongs to another site (e.g. a corporate data centre).")
            .filter(),
        Field::new("channels", "Channels", T::Channels)
            .help("One per line: protocol port/transport direction, e.g. 'Modbus/TCP 502/tcp a_to_b'.")
            .list(),
        SL_T,
        OWNER,
        DESCRIPTION,
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: check_conduit,
    transition: None,
};

fn check_conduit(values: &Values) -> Vec<FieldError> {
    let a = values.get("zone_a_id").and_then(Value::as_int);
    let b = values.get("zone_b_id").and_then(Value::as_int);
    if a.is_some() && a == b {
        return vec![FieldError::new(
            "zone_b_id",
            "a conduit joins two different zones",
        )];
    }
    Vec::new()
}

pub static ASSET_KIND: KindDef = KindDef {
    name: "asset",
    plural: "assets",
    label: "Asset",
    label_plural: "Assets",
    group: "Assets and zones",
    about: "A device or system of the plant: controllers, HMIs, servers, network devices.",
    table: "asset",
    fields: &[
        SITE,
        Field::new("zone_id", "Zone", T::Ref("zone"))
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        NAME,
        Field::new("asset_type", "Type", T::Choice(ASSET_TYPES))
            .required()
            .filter()
            .sort()
            .list(),
        Field::new("vendor", "Vendor", T::Text { max: 120 })
            .sort()
            .list()
            .search(),
        Field::new("model", "Model", T::Text { max: 120 })
            .sort()
            .list()
            .search(),
        Field::new(
            "firmware_version",
            "Firmware / software version",
            T::Text { max: 80 },
        )
        .sort()
        .list()
        .search(),
        Field::new("serial_number", "Serial number", T::Text { max: 120 }).search(),
        Field::new("ip_addresses", "IP addresses", T::IpList)
            .help("Comma-separated IPv4/IPv6 addresses.")
            .list()
            .search(),
        Field::new("mac_addresses", "MAC addresses", T::MacList).search(),
        Field::new("location", "Location", T::Text { max: 200 }).search(),
        Field::new("criticality", "Criticality", T::Choice(CRITICALITY))
            .required()
            .filter()
            .sort()
            .list(),
        OWNER,
        Field::new("lifecycle", "Lifecycle state", T::Choice(LIFECYCLE))
            .required()
            .filter()
            .sort()
            .list(),
        Field::new("legacy", "Legacy", T::Bool)
            .help("Beyond vendor support or unable to meet current requirements.")
            .filter(),
        Field::new(
            "compensating_controls",
            "Compensating controls",
            T::LongText,
        )
        .help("Required for legacy assets: what protects this asset instead."),
        Field::new("sl_c", "Capability SL (SL-C)", T::SlVector).help(
            "Security level the component can reach per FR1–FR7 (from its IEC 62443-4-2 certificate or vendor statement); 0 where it has none.",
        ),
        DESCRIPTION,
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: check_asset,
    transition: None,
};

fn check_asset(values: &Values) -> Vec<FieldError> {
    let legacy = values.get("legacy").is_some_and(Value::as_bool);
    let controls = values
        .get("compensating_controls")
        .is_some_and(|v| !v.is_null());
    if legacy && !controls {
        return vec![FieldError::new(
            "compensating_controls",
            "a legacy asset needs its compensating controls described",
        )];
    }
    Vec::new()
}

/// Every kind, in navigation order.
/// Assessment statuses, in the order of [`crate::gap::STATUSES`] (a unit test keeps them equal).
pub const ASSESSMENT_STATUSES: &[Choice] = &[
    c("not_assessed", "Not assessed"),
    c("not_implemented", "Not implemented"),
    c("planned", "Planned"),
    c("partial", "Partial"),
    c("implemented", "Implemented"),
    c("not_applicable", "Not applicable"),
    c("compensated", "Compensating countermeasure"),
];

pub static ASSESSMENT_KIND: KindDef = KindDef {
    name: "assessment",
    plural: "assessments",
    label: "Requirement assessment",
    label_plural: "Requirement assessments",
    group: "IEC 62443",
    about: "How a zone or conduit meets one IEC 62443-3-3 requirement in force. Open a zone's Requirements page to assess a whole FR at once.",
    table: "requirement_assessment",
    fields: &[
        SITE,
        Field::new("zone_id", "Zone", T::Ref("zone"))
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("conduit_id", "Conduit", T::Ref("conduit"))
            .help("For boundary and communication requirements assessed on a conduit instead of a zone.")
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("requirement", "Requirement", T::Text { max: 40 })
            .required()
            .help("Identifier from the IEC 62443-3-3 catalog, e.g. 'SR 5.2' or 'SR 5.2 RE 1'.")
            .filter()
            .sort()
            .list()
            .search(),
        Field::new("status", "Status", T::Choice(ASSESSMENT_STATUSES))
            .required()
            .filter()
            .sort()
            .list(),
        Field::new("target_date", "Target date", T::Date)
            .help("When a planned measure will be in place.")
            .sort()
            .list(),
        Field::new("reason", "Reason", T::LongText)
            .help("Why the requirement does not apply (required for 'Not applicable')."),
        Field::new("notes", "Notes", T::LongText).search(),
        Field::new("owner", "Owner", T::Text { max: 120 })
            .sort()
            .list()
            .search(),
        Field::new("last_assessed", "Last assessed", T::Date).sort().list(),
        Field::new("evidence_url", "Evidence", T::Text { max: 500 })
            .help("Link to the evidence (document, ticket, screenshot)."),
        Field::new("evidence_sha256", "Evidence SHA-256", T::Text { max: 64 })
            .help("SHA-256 of the evidence file, so that a later change of the file shows."),
    ],
    title_field: "requirement",
    site_field: Some("site_id"),
    unique: &[&["zone_id", "requirement"], &["conduit_id", "requirement"]],
    default_sort: "requirement",
    check: check_assessment,
    transition: None,
};

fn check_assessment(values: &Values) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let zone = values.get("zone_id").and_then(Value::as_int);
    let conduit = values.get("conduit_id").and_then(Value::as_int);
    if zone.is_some() == conduit.is_some() {
        errors.push(FieldError::new(
            "zone_id",
            "assess either a zone or a conduit (one of the two)",
        ));
    }
    let text = |k: &str| values.get(k).map(Value::to_text).unwrap_or_default();
    let requirement = text("requirement");
    match crate::catalog::Catalog::iec62443_3_3().get(requirement.trim()) {
        None if !requirement.is_empty() => errors.push(FieldError::new(
            "requirement",
            format!(
                "'{requirement}' is not an IEC 62443-3-3 requirement (e.g. SR 1.1, SR 5.2 RE 1)"
            ),
        )),
        Some(r) if conduit.is_some() && !r.conduit => errors.push(FieldError::new(
            "requirement",
            format!("{} is assessed on zones, not on conduits", r.id),
        )),
        _ => {}
    }
    match text("status").as_str() {
        "planned" if text("target_date").is_empty() => errors.push(FieldError::new(
            "target_date",
            "a planned measure needs its target date",
        )),
        "not_applicable" if text("reason").trim().is_empty() => errors.push(FieldError::new(
            "reason",
            "say why the requirement does not apply",
        )),
        _ => {}
    }
    let hash = text("evidence_sha256");
    if !hash.is_empty() && (hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit())) {
        errors.push(FieldError::new(
            "evidence_sha256",
            "a SHA-256 is 64 hexadecimal characters",
        ));
    }
    errors
}

pub const RESIDUAL_RISK: &[Choice] = &[c("low", "Low"), c("medium", "Medium"), c("high", "High")];

pub static COUNTERMEASURE_KIND: KindDef = KindDef {
    name: "countermeasure",
    plural: "countermeasures",
    label: "Compensating countermeasure",
    label_plural: "Compensating countermeasures",
    group: "IEC 62443",
    about: "A measure that meets requirements a zone cannot meet directly. It counts only once signed as approved, and only until its review date.",
    table: "countermeasure",
    fields: &[
        SITE,
        NAME,
        Field::new("zones", "Zones", T::Refs("zone"))
            .required()
            .help("Every zone where it meets the requirements it covers (one measure, such as a shared jump host, can serve several).")
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("assets", "Components", T::Refs("asset"))
            .help("The components whose missing capability (SL-C below the zone's SL-T) it makes up for, when it is about particular components.")
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("requirements", "Requirements covered", T::Text { max: 500 })
            .required()
            .help("IEC 62443-3-3 identifiers, comma-separated, e.g. 'SR 1.1 RE 2, SR 1.13'.")
            .list()
            .search(),
        Field::new("reasoning", "Reasoning", T::LongText)
            .required()
            .help("How the measure achieves what the requirements ask, and why they cannot be met directly.")
            .search(),
        Field::new("residual_risk", "Residual risk", T::Choice(RESIDUAL_RISK))
            .required()
            .filter()
            .list(),
        OWNER,
        Field::new("review_date", "Review by", T::Date)
            .required()
            .help("After this date the measure no longer counts until it is reviewed and approved again.")
            .sort()
            .list(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: check_requirement_list,
    transition: None,
};

/// The requirement ids a countermeasure names (as written; see [`check_countermeasure`]).
pub fn covered_requirements(values: &Values) -> Vec<String> {
    values
        .get("requirements")
        .map(Value::to_text)
        .unwrap_or_default()
        .split([',', ';', '\n'])
        .map(|s| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

pub(crate) fn check_requirement_list(values: &Values) -> Vec<FieldError> {
    let catalog = crate::catalog::Catalog::iec62443_3_3();
    let unknown: Vec<String> = covered_requirements(values)
        .into_iter()
        .filter(|r| catalog.get(r).is_none())
        .collect();
    if unknown.is_empty() {
        Vec::new()
    } else {
        vec![FieldError::new(
            "requirements",
            format!(
                "not IEC 62443-3-3 requirements: {} (write e.g. SR 1.1, SR 5.2 RE 1)",
                unknown.join(", ")
            ),
        )]
    }
}

pub static KINDS: &[&KindDef] = &[
    &SITE_KIND,
    &ZONE_KIND,
    &CONDUIT_KIND,
    &ASSET_KIND,
    &ASSESSMENT_KIND,
    &COUNTERMEASURE_KIND,
    &crate::risk_kinds::RISK_ASSESSMENT_KIND,
    &crate::risk_kinds::RISK_KIND,
    &crate::risk_kinds::TREATMENT_KIND,
    &crate::risk_kinds::EXCEPTION_KIND,
    &crate::config_kinds::CERTIFICATE_KIND,
    &crate::config_kinds::CHANGE_KIND,
    &crate::config_kinds::BASELINE_KIND,
    &crate::config_kinds::BASELINE_ITEM_KIND,
    &crate::config_kinds::CONFORMANCE_KIND,
    &crate::config_kinds::CHECKLIST_TEMPLATE_KIND,
    &crate::config_kinds::COMMISSIONING_KIND,
    &crate::config_kinds::DECOMMISSIONING_KIND,
    &crate::ops_kinds::BACKUP_PLAN_KIND,
    &crate::ops_kinds::BACKUP_RECORD_KIND,
    &crate::ops_kinds::RESTORE_TEST_KIND,
    &crate::ops_kinds::LOG_SOURCE_KIND,
    &crate::ops_kinds::LOG_REVIEW_KIND,
    &crate::patch_kinds::PATCH_KIND,
    &crate::patch_kinds::PATCH_DEPLOYMENT_KIND,
    &crate::account_kinds::OT_ACCOUNT_KIND,
    &crate::account_kinds::ACCESS_REVIEW_KIND,
    &crate::account_kinds::REVOCATION_KIND,
    &crate::remote_kinds::REMOTE_SESSION_KIND,
    &crate::gov_kinds::ROLE_ASSIGNMENT_KIND,
    &crate::gov_kinds::RACI_KIND,
    &crate::gov_kinds::TRAINING_KIND,
    &crate::gov_kinds::TRAINING_RECORD_KIND,
    &crate::doc_kinds::DOCUMENT_KIND,
    &crate::doc_kinds::DOCUMENT_VERSION_KIND,
    &crate::doc_kinds::IT_REFERENCE_KIND,
    &crate::supplier_kinds::SUPPLIER_KIND,
    &crate::supplier_kinds::REQUIREMENT_SET_KIND,
    &crate::supplier_kinds::CLAUSE_KIND,
    &crate::supplier_kinds::CAPABILITY_DECLARATION_KIND,
    &crate::supplier_kinds::SUPPORT_AGREEMENT_KIND,
    &crate::incident_kinds::INCIDENT_KIND,
    &crate::incident_kinds::INCIDENT_ENTRY_KIND,
    &crate::validation_kinds::VALIDATION_TEST_KIND,
    &crate::validation_kinds::PERIODIC_REVIEW_KIND,
    &crate::validation_kinds::REVIEW_FINDING_KIND,
];

/// Finds a kind by its singular name (`asset`).
pub fn kind(name: &str) -> Option<&'static KindDef> {
    KINDS.iter().copied().find(|k| k.name == name)
}

/// Finds a kind by its plural URL name (`assets`).
pub fn kind_by_plural(plural: &str) -> Option<&'static KindDef> {
    KINDS.iter().copied().find(|k| k.plural == plural)
}

/// The (kind, field) pairs that refer to records of `target`, used to refuse deleting a record
/// that others still depend on and to show "referenced by" lists.
pub fn referrers(target: &str) -> Vec<(&'static KindDef, &'static crate::kind::Field)> {
    KINDS
        .iter()
        .flat_map(|k| k.fields.iter().map(move |f| (*k, f)))
        .filter(|(_, f)| f.ref_kind() == Some(target))
        .collect()
}

#[cfg(test)]
mod assessment_tests {
    use super::*;

    #[test]
    fn statuses_match_the_gap_engine() {
        let keys: Vec<&str> = ASSESSMENT_STATUSES.iter().map(|c| c.key).collect();
        let engine: Vec<&str> = crate::gap::STATUSES.iter().map(|s| s.key()).collect();
        assert_eq!(keys, engine);
    }

    #[test]
    fn assessments_are_checked() {
        let text: std::collections::BTreeMap<String, String> = [
            ("site_id", "1"),
            ("zone_id", "2"),
            ("requirement", "SR 9.9"),
            ("status", "planned"),
            ("evidence_sha256", "abc"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let errors = crate::value::values_from_text(&ASSESSMENT_KIND, &text).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["requirement", "target_date", "evidence_sha256"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::values_from_text;
    use std::collections::BTreeMap;

    fn input(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn descriptors_are_consistent() {
        for k in KINDS {
            assert!(k.field(k.title_field).is_some(), "{}: title field", k.name);
            assert!(
                k.field(k.default_sort).is_some(),
                "{}: default sort",
                k.name
            );
            if let Some(sf) = k.site_field {
                assert_eq!(k.field(sf).and_then(|f| f.ref_kind()), Some("site"));
            }
            for f in k.fields {
                if let Some(target) = f.ref_kind() {
                    assert!(
                        kind(target).is_some(),
                        "{}.{} refers to unknown kind",
                        k.name,
                        f.name
                    );
                }
                if let SiteRule::SameSiteUnless(flag) = f.site_rule {
                    assert!(k.field(flag).is_some());
                }
            }
            for set in k.unique {
                for f in *set {
                    assert!(k.field(f).is_some());
                }
            }
            assert_eq!(kind_by_plural(k.plural).map(|x| x.name), Some(k.name));
        }
    }

    #[test]
    fn an_asset_without_owner_is_rejected() {
        let errors = values_from_text(
            &ASSET_KIND,
            &input(&[
                ("site_id", "1"),
                ("name", "PLC-01"),
                ("asset_type", "plc"),
                ("criticality", "high"),
                ("lifecycle", "operational"),
            ]),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "owner");
        assert_eq!(errors[0].message, "Owner is required");
    }

    #[test]
    fn legacy_assets_need_compensating_controls() {
        let errors = values_from_text(
            &ASSET_KIND,
            &input(&[
                ("site_id", "1"),
                ("name", "PLC-01"),
                ("asset_type", "plc"),
                ("criticality", "high"),
                ("lifecycle", "operational"),
                ("owner", "J. Doe"),
                ("legacy", "yes"),
            ]),
        )
        .unwrap_err();
        assert_eq!(errors[0].field, "compensating_controls");
    }

    #[test]
    fn a_conduit_joins_two_different_zones() {
        let errors = values_from_text(
            &CONDUIT_KIND,
            &input(&[
                ("site_id", "1"),
                ("name", "C1"),
                ("zone_a_id", "4"),
                ("zone_b_id", "4"),
                ("owner", "x"),
            ]),
        )
        .unwrap_err();
        assert_eq!(errors[0].field, "zone_b_id");
    }
}
