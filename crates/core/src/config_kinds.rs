//! Record kinds of change and configuration control (issue 7). So far: the inventory of the
//! certificates and keys OT systems rely on, with the checks that flag weak ones.

use crate::kind::{Choice, Field, FieldType as T, KindDef, SiteRule};
use crate::kinds::{NAME, OWNER, SITE};
use crate::value::{FieldError, Values};

const fn c(key: &'static str, label: &'static str) -> Choice {
    Choice { key, label }
}

pub const KEY_KINDS: &[Choice] = &[
    c("certificate", "X.509 certificate"),
    c("private_key", "Private key"),
    c("ssh_key", "SSH key"),
    c("symmetric_key", "Symmetric key"),
    c("code_signing_key", "Firmware / code signing key"),
];

pub const KEY_ALGORITHMS: &[Choice] = &[
    c("rsa", "RSA"),
    c("ec", "Elliptic curve (ECDSA)"),
    c("ed25519", "Ed25519"),
    c("dsa", "DSA"),
    c("aes", "AES"),
    c("other", "Other"),
];

pub static CERTIFICATE_KIND: KindDef = KindDef {
    name: "certificate",
    plural: "certificates",
    label: "Certificate or key",
    label_plural: "Certificates and keys",
    group: "Change and configuration",
    about: "The certificates and keys the OT systems rely on (remote access gateways, HMI/SCADA web servers, OPC UA applications, firmware signing, backup encryption): where used, strength, validity, storage and rotation. Import a PEM or DER certificate to fill the fields.",
    table: "certificate",
    fields: &[
        SITE,
        NAME,
        Field::new("key_kind", "Kind", T::Choice(KEY_KINDS))
            .required()
            .filter()
            .list(),
        Field::new("subject", "Subject", T::Text { max: 500 }).search(),
        Field::new("issuer", "Issuer", T::Text { max: 500 }).search(),
        Field::new("serial", "Serial number", T::Text { max: 200 }).search(),
        Field::new("fingerprint", "SHA-256 fingerprint", T::Text { max: 100 }).search(),
        Field::new("algorithm", "Key algorithm", T::Choice(KEY_ALGORITHMS))
            .filter()
            .list(),
        Field::new(
            "key_bits",
            "Key length (bits)",
            T::Int { min: 1, max: 65536 },
        )
        .list(),
        Field::new(
            "signature_algorithm",
            "Signature algorithm",
            T::Text { max: 100 },
        )
        .help("e.g. sha256WithRSAEncryption; MD5 and SHA-1 are flagged."),
        Field::new("valid_from", "Valid from", T::Date),
        Field::new("valid_to", "Valid until", T::Date)
            .help("Shown under Due before it expires.")
            .sort()
            .list(),
        Field::new("assets", "Used by assets", T::Refs("asset"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("conduits", "Used on conduits", T::Refs("conduit"))
            .filter()
            .site_rule(SiteRule::SameSite),
        OWNER,
        Field::new("storage", "Storage", T::LongText)
            .help("Where the private key lives (HSM, gateway, vault, …) and who can reach it."),
        Field::new("rotation", "Rotation procedure", T::LongText),
        Field::new("rotate_by", "Rotate by", T::Date)
            .help("The next planned rotation; shown under Due.")
            .sort()
            .list(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: check_certificate,
    transition: None,
};

fn check_certificate(values: &Values) -> Vec<FieldError> {
    let date = |f: &str| values.get(f).map(|v| v.to_text()).unwrap_or_default();
    let (from, to) = (date("valid_from"), date("valid_to"));
    if !from.is_empty() && !to.is_empty() && to < from {
        vec![FieldError::new("valid_to", "ends before it begins")]
    } else {
        Vec::new()
    }
}

/// Why a certificate or key is weak, or expired as of `today` (`YYYY-MM-DD`): RSA below 2048
/// bits, EC below 256, any DSA, an MD5 or SHA-1 signature.
pub fn weaknesses(values: &Values, today: &str) -> Vec<String> {
    let text = |f: &str| values.get(f).map(|v| v.to_text()).unwrap_or_default();
    let bits = values.get("key_bits").and_then(|v| v.as_int()).unwrap_or(0);
    let mut out = Vec::new();
    match text("algorithm").as_str() {
        "rsa" if bits > 0 && bits < 2048 => {
            out.push(format!("RSA key of {bits} bits (use 2048 or more)"))
        }
        "ec" if bits > 0 && bits < 256 => {
            out.push(format!("EC key of {bits} bits (use 256 or more)"))
        }
        "dsa" => out.push("DSA keys are deprecated".to_string()),
        _ => {}
    }
    let sig = text("signature_algorithm").to_lowercase();
    if sig.contains("md5") || sig.contains("md2") {
        out.push(format!(
            "signed with {} (broken)",
            text("signature_algorithm")
        ));
    } else if sig.contains("sha1") || sig.contains("sha-1") {
        out.push(format!(
            "signed with {} (SHA-1 is deprecated)",
            text("signature_algorithm")
        ));
    }
    let to = text("valid_to");
    if !to.is_empty() && to.as_str() < today {
        out.push(format!("expired on {to}"));
    }
    out
}

pub const CHANGE_TYPES: &[Choice] = &[
    c("plc_logic", "PLC / controller logic"),
    c("recipe", "Recipe"),
    c("network_rule", "Network / firewall rule"),
    c("server_os", "Server / OS"),
    c("application", "Application"),
    c("account_access", "Account / access"),
    c("firmware", "Firmware"),
    c("other", "Other"),
];

pub const CHANGE_STATES: &[Choice] = &[
    c("draft", "Draft"),
    c("submitted", "Submitted"),
    c("assessed", "Impact assessed"),
    c("approved", "Approved"),
    c("implemented", "Implemented"),
    c("verified", "Verified"),
    c("closed", "Closed"),
    c("rejected", "Rejected"),
    c("cancelled", "Cancelled"),
    c("rolled_back", "Rolled back"),
];

/// Days within which an emergency change must be approved after it was implemented.
pub const EMERGENCY_APPROVAL_DAYS: i64 = 7;

pub static CHANGE_KIND: KindDef = KindDef {
    name: "change",
    plural: "changes",
    label: "Change request",
    label_plural: "Change requests",
    group: "Change and configuration",
    about: "A cybersecurity-relevant change (management of change): impact on security, safety, quality and validation, approval by e-signature of the roles it needs, implementation with test evidence, verification. Edits of records made under a change name it (CR-id) in their reason and show on the change.",
    table: "change_request",
    fields: &[
        SITE,
        NAME,
        Field::new("change_type", "Type", T::Choice(CHANGE_TYPES))
            .required()
            .filter()
            .list(),
        Field::new("status", "Status", T::Choice(CHANGE_STATES))
            .required()
            .filter()
            .list(),
        Field::new("description", "Description", T::LongText)
            .required()
            .search(),
        Field::new(
            "external_ref",
            "External change reference",
            T::Text { max: 120 },
        )
        .help("The number of the plant's own change control, when it runs there.")
        .search()
        .list(),
        Field::new("requested_by", "Requested by", T::Text { max: 120 }).required(),
        Field::new("emergency", "Emergency change", T::Bool)
            .help("Implemented first; approval follows within 7 days (shown under Due).")
            .filter(),
        Field::new("assets", "Affected assets", T::Refs("asset"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("zones", "Affected zones", T::Refs("zone"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("conduits", "Affected conduits", T::Refs("conduit"))
            .filter()
            .site_rule(SiteRule::SameSite),
        Field::new("planned_start", "Planned from", T::Date)
            .sort()
            .list(),
        Field::new("planned_end", "Planned until", T::Date),
        Field::new("cyber_impact", "Cybersecurity impact", T::LongText)
            .help("Does it change a zone or conduit, SL-T or SL-A, add a data flow, open a port?"),
        Field::new(
            "changes_model",
            "Changes the zone and conduit model",
            T::Bool,
        )
        .help("Zones, conduits, data flows, open ports or security levels change."),
        Field::new("safety_impact", "Safety impact", T::LongText),
        Field::new("safety_systems", "Touches safety systems", T::Bool),
        Field::new("quality_impact", "Product quality impact", T::LongText),
        Field::new("validated_systems", "Touches validated systems", T::Bool)
            .help("Computerised systems under validation (GxP): re-qualification may be needed."),
        Field::new(
            "validation_impact",
            "Validation status and re-qualification",
            T::LongText,
        ),
        Field::new("implemented_on", "Implemented on", T::Date).sort(),
        Field::new("test_evidence", "Test evidence", T::LongText)
            .help("What was tested after implementation, and where the evidence is."),
        Field::new("verification", "Verification", T::LongText),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: check_change,
    transition: Some(check_change_step),
};

pub(crate) fn flag(values: &Values, f: &str) -> bool {
    values.get(f).is_some_and(|v| v.as_bool())
}

pub(crate) fn text(values: &Values, f: &str) -> String {
    values
        .get(f)
        .map(|v| v.to_text())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// What each state needs filled in: an assessed change its impacts, an implemented one its
/// date and test evidence, a verified one its verification.
fn check_change(values: &Values) -> Vec<FieldError> {
    let status = text(values, "status");
    let at_least = |s: &str| {
        let order = [
            "draft",
            "submitted",
            "assessed",
            "approved",
            "implemented",
            "verified",
            "closed",
        ];
        let pos = |x: &str| order.iter().position(|o| *o == x);
        matches!((pos(&status), pos(s)), (Some(a), Some(b)) if a >= b)
    };
    let mut errors = Vec::new();
    let mut need = |cond: bool, f: &str, why: &str| {
        if cond && text(values, f).is_empty() {
            errors.push(FieldError::new(f, why));
        }
    };
    let emergency = flag(values, "emergency");
    // An emergency change may be implemented before it is assessed.
    let assessed = at_least("assessed") && !(emergency && matches!(status.as_str(), "implemented"));
    need(
        assessed,
        "cyber_impact",
        "an assessed change states its cybersecurity impact",
    );
    need(
        assessed && flag(values, "safety_systems"),
        "safety_impact",
        "it touches safety systems: state the safety impact",
    );
    need(
        assessed && flag(values, "validated_systems"),
        "validation_impact",
        "it touches validated systems: state the validation impact and re-qualification",
    );
    need(
        at_least("implemented"),
        "implemented_on",
        "give the date it was implemented",
    );
    need(
        at_least("implemented"),
        "test_evidence",
        "record the test evidence",
    );
    need(
        at_least("verified"),
        "verification",
        "record how it was verified",
    );
    let (a, b) = (text(values, "planned_start"), text(values, "planned_end"));
    if !a.is_empty() && !b.is_empty() && b < a {
        errors.push(FieldError::new("planned_end", "ends before it starts"));
    }
    errors
}

/// The workflow: draft → submitted → assessed → approved → implemented → verified → closed;
/// rejected or cancelled from any open state; rolled back once implemented. An emergency
/// change may go to implemented before approval. Approval itself is checked against the
/// e-signatures by the store.
fn check_change_step(before: &Values, after: &Values) -> Vec<FieldError> {
    let (from, to) = (text(before, "status"), text(after, "status"));
    if from == to {
        return Vec::new();
    }
    let emergency = flag(after, "emergency");
    let allowed: &[&str] = match from.as_str() {
        "draft" => &["submitted", "cancelled", "implemented"],
        "submitted" => &["assessed", "rejected", "cancelled", "draft", "implemented"],
        "assessed" => &[
            "approved",
            "rejected",
            "cancelled",
            "submitted",
            "implemented",
        ],
        "approved" => &["implemented", "cancelled"],
        "implemented" => &["verified", "rolled_back", "approved"],
        "verified" => &["closed", "rolled_back"],
        _ => &[],
    };
    let needs_emergency = to == "implemented" && from != "approved";
    let retrospective = from == "implemented" && to == "approved";
    if !allowed.contains(&to.as_str()) || (needs_emergency || retrospective) && !emergency {
        let label = |k: &str| {
            CHANGE_STATES
                .iter()
                .find(|c| c.key == k)
                .map_or(k.to_string(), |c| c.label.to_lowercase())
        };
        return vec![FieldError::new(
            "status",
            format!(
                "a change that is {} cannot become {}{}",
                label(&from),
                label(&to),
                if needs_emergency {
                    " before it is approved (unless it is an emergency change)"
                } else {
                    ""
                }
            ),
        )];
    }
    Vec::new()
}

/// The roles whose approval a change needs, as groups of which one role must sign: always a
/// technical approval (site engineer or above); the program owner (or an administrator) as
/// well when it touches safety or validated systems, changes the zone model, or is a network
/// rule, firmware or access change.
pub fn required_approvals(values: &Values) -> Vec<(&'static str, &'static [&'static str])> {
    let mut out: Vec<(&'static str, &'static [&'static str])> = vec![(
        "technical approval",
        &["site_engineer", "program_owner", "admin"],
    )];
    let kind = text(values, "change_type");
    if flag(values, "safety_systems")
        || flag(values, "validated_systems")
        || flag(values, "changes_model")
        || matches!(
            kind.as_str(),
            "network_rule" | "firmware" | "account_access"
        )
    {
        out.push(("program owner approval", &["program_owner", "admin"]));
    }
    out
}

/// The fields an approval does not cover: moving through the workflow after approval does
/// not invalidate it.
pub const CHANGE_WORKFLOW_FIELDS: &[&str] =
    &["status", "implemented_on", "test_evidence", "verification"];

pub static BASELINE_KIND: KindDef = KindDef {
    name: "baseline",
    plural: "baselines",
    label: "Configuration baseline",
    label_plural: "Configuration baselines",
    group: "Change and configuration",
    about: "The expected secure configuration of a platform or asset type (e.g. Windows engineering workstation, S7-1500 CPU, managed switch): its configuration items, and how often assets are checked against it.",
    table: "baseline",
    fields: &[
        SITE,
        NAME,
        Field::new("platform", "Platform", T::Text { max: 200 })
            .help("What it applies to, e.g. 'Siemens S7-1500 CPU'.")
            .search()
            .list(),
        Field::new("asset_types", "Asset types in scope", T::Text { max: 500 })
            .help("Asset type keys, comma-separated (e.g. 'plc, safety_controller'): the assets that should conform.")
            .list(),
        Field::new("review_interval_days", "Check every (days)", T::Int { min: 1, max: 3650 })
            .required(),
        OWNER,
        Field::new("description", "Description", T::LongText).search(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: check_baseline,
    transition: None,
};

/// The asset type keys a baseline names (`plc, hmi`).
pub fn baseline_asset_types(values: &Values) -> Vec<String> {
    text(values, "asset_types")
        .split([',', ';', ' '])
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn check_baseline(values: &Values) -> Vec<FieldError> {
    let unknown: Vec<String> = baseline_asset_types(values)
        .into_iter()
        .filter(|t| !crate::kinds::ASSET_TYPES.iter().any(|c| c.key == t))
        .collect();
    if unknown.is_empty() {
        Vec::new()
    } else {
        vec![FieldError::new(
            "asset_types",
            format!(
                "not asset types: {} (e.g. plc, hmi, network_switch)",
                unknown.join(", ")
            ),
        )]
    }
}

pub static BASELINE_ITEM_KIND: KindDef = KindDef {
    name: "baseline_item",
    plural: "baseline-items",
    label: "Baseline item",
    label_plural: "Baseline items",
    group: "Change and configuration",
    about: "One configuration item of a baseline: the setting, its expected value or rule, why, and the requirements it supports.",
    table: "baseline_item",
    fields: &[
        SITE,
        Field::new("baseline_id", "Baseline", T::Ref("baseline"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        NAME,
        Field::new("expected", "Expected value or rule", T::Text { max: 500 })
            .required()
            .search()
            .list(),
        Field::new("rationale", "Rationale", T::LongText).search(),
        Field::new(
            "requirements",
            "Requirements supported",
            T::Text { max: 500 },
        )
        .help("IEC 62443-3-3 identifiers, e.g. 'SR 7.7, SR 1.1'.")
        .search()
        .list(),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["baseline_id", "name"]],
    default_sort: "name",
    check: crate::kinds::check_requirement_list,
    transition: None,
};

pub static CONFORMANCE_KIND: KindDef = KindDef {
    name: "conformance",
    plural: "conformance-checks",
    label: "Conformance check",
    label_plural: "Conformance checks",
    group: "Change and configuration",
    about: "An asset checked against a baseline: when, by whom, how many items passed, failed or did not apply, the evidence, and the exception or change that covers each deviation.",
    table: "conformance",
    fields: &[
        SITE,
        Field::new("asset_id", "Asset", T::Ref("asset"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("baseline_id", "Baseline", T::Ref("baseline"))
            .required()
            .filter()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("checked_on", "Checked on", T::Date)
            .required()
            .sort()
            .list(),
        Field::new("checked_by", "Checked by", T::Text { max: 120 })
            .required()
            .list(),
        Field::new(
            "passed",
            "Items passed",
            T::Int {
                min: 0,
                max: 100000,
            },
        )
        .required()
        .list(),
        Field::new(
            "failed",
            "Items failed",
            T::Int {
                min: 0,
                max: 100000,
            },
        )
        .required()
        .list(),
        Field::new(
            "not_applicable",
            "Items not applicable",
            T::Int {
                min: 0,
                max: 100000,
            },
        ),
        Field::new("deviations", "Deviations", T::LongText)
            .help("Which items failed and why.")
            .search(),
        Field::new("exceptions", "Covered by exceptions", T::Refs("exception"))
            .site_rule(SiteRule::SameSite),
        Field::new("changes", "Corrected by changes", T::Refs("change"))
            .site_rule(SiteRule::SameSite),
        Field::new("evidence", "Evidence", T::LongText)
            .help("Where the evidence is: report file, screenshot, tool output."),
    ],
    title_field: "checked_on",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "checked_on",
    check: check_conformance,
    transition: None,
};

fn check_conformance(values: &Values) -> Vec<FieldError> {
    let failed = values.get("failed").and_then(|v| v.as_int()).unwrap_or(0);
    let covered = ["exceptions", "changes"]
        .iter()
        .any(|f| values.get(f).is_some_and(|v| !v.ids().is_empty()));
    if failed > 0 && text(values, "deviations").is_empty() && !covered {
        vec![FieldError::new(
            "deviations",
            "items failed: name the deviations, or link the exception or change that covers them",
        )]
    } else {
        Vec::new()
    }
}

/// The commissioning checklist (our own wording): each item must be done, with evidence,
/// before an asset is put into operation.
pub const COMMISSIONING_ITEMS: &[(&str, &str)] = &[
    ("services_disabled", "Unused services and ports disabled"),
    (
        "default_accounts_changed",
        "Default accounts changed or disabled",
    ),
    ("baseline_applied", "Configuration baseline applied"),
    ("logging_enabled", "Security logging enabled and collected"),
    ("time_synced", "Time synchronisation configured"),
    (
        "parameters_recorded",
        "Security-relevant parameters recorded",
    ),
    ("backup_planned", "Added to the backup plan"),
    ("zone_assigned", "Assigned to its zone"),
];

/// The decommissioning checklist.
pub const DECOMMISSIONING_ITEMS: &[(&str, &str)] = &[
    ("data_wiped", "Data wiped (method and evidence recorded)"),
    ("keys_revoked", "Keys and certificates revoked"),
    ("accounts_removed", "Accounts removed"),
    ("backup_decided", "Backup retention decided"),
    (
        "removed_from_model",
        "Removed from zones, conduits and firewall rules",
    ),
];

pub const CHECKLIST_STATES: &[Choice] = &[c("open", "Open"), c("completed", "Completed")];

pub const CHECKLIST_PURPOSES: &[Choice] = &[
    c("commissioning", "Commissioning"),
    c("decommissioning", "Decommissioning"),
    c("acceptance_test", "Security test (FAT/SAT)"),
];

pub static CHECKLIST_TEMPLATE_KIND: KindDef = KindDef {
    name: "checklist_template",
    plural: "checklist-templates",
    label: "Checklist template",
    label_plural: "Checklist templates",
    group: "Change and configuration",
    about: "Further items a commissioning or decommissioning must complete for some asset types (e.g. 'Disable the PLC web server', 'Set the CPU protection level'), on top of otkeep's standard checklist.",
    table: "checklist_template",
    fields: &[
        SITE,
        NAME,
        Field::new("purpose", "For", T::Choice(CHECKLIST_PURPOSES))
            .required()
            .filter()
            .list(),
        Field::new("asset_types", "Asset types", T::Text { max: 500 })
            .help("Asset type keys, comma-separated (e.g. 'plc, hmi').")
            .list(),
        Field::new("items", "Items", T::LongText)
            .required()
            .help("One item per line."),
    ],
    title_field: "name",
    site_field: Some("site_id"),
    unique: &[&["site_id", "name"]],
    default_sort: "name",
    check: check_baseline,
    transition: None,
};

/// The items of a template as an open checklist (`[ ] item` per line).
pub fn template_checklist(template: &Values) -> String {
    text(template, "items")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("[ ] {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

const TEMPLATE: Field = Field::new(
    "template_id",
    "Checklist template",
    T::Ref("checklist_template"),
)
.help("Further items for this kind of asset; they are copied into the record when it is saved.")
.filter()
.site_rule(SiteRule::SameSite);
const TEMPLATE_ITEMS: Field = Field::new("template_items", "Template items", T::Checklist);

const fn check_field(name: &'static str, label: &'static str) -> Field {
    Field::new(name, label, T::Bool)
}

pub static COMMISSIONING_KIND: KindDef = KindDef {
    name: "commissioning",
    plural: "commissionings",
    label: "Commissioning record",
    label_plural: "Commissioning records",
    group: "Change and configuration",
    about: "The hardening checklist of a new asset, completed with evidence; completing it puts the asset into operation.",
    table: "commissioning",
    fields: &[
        SITE,
        Field::new("asset_id", "Asset", T::Ref("asset"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("status", "Status", T::Choice(CHECKLIST_STATES))
            .required()
            .filter()
            .list(),
        check_field("services_disabled", "Unused services and ports disabled"),
        check_field(
            "default_accounts_changed",
            "Default accounts changed or disabled",
        ),
        check_field("baseline_applied", "Configuration baseline applied"),
        check_field("logging_enabled", "Security logging enabled and collected"),
        check_field("time_synced", "Time synchronisation configured"),
        check_field(
            "parameters_recorded",
            "Security-relevant parameters recorded",
        ),
        check_field("backup_planned", "Added to the backup plan"),
        check_field("zone_assigned", "Assigned to its zone"),
        TEMPLATE,
        TEMPLATE_ITEMS,
        Field::new("evidence", "Evidence", T::LongText).search(),
        Field::new("completed_by", "Completed by", T::Text { max: 120 }),
        Field::new("completed_on", "Completed on", T::Date)
            .sort()
            .list(),
    ],
    title_field: "completed_on",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "completed_on",
    check: check_commissioning,
    transition: None,
};

pub static DECOMMISSIONING_KIND: KindDef = KindDef {
    name: "decommissioning",
    plural: "decommissionings",
    label: "Decommissioning record",
    label_plural: "Decommissioning records",
    group: "Change and configuration",
    about: "Taking an asset out of service: data wiped, keys revoked, accounts removed, backups decided, removed from the model; completing it marks the asset decommissioned and keeps its history.",
    table: "decommissioning",
    fields: &[
        SITE,
        Field::new("asset_id", "Asset", T::Ref("asset"))
            .required()
            .filter()
            .sort()
            .list()
            .site_rule(SiteRule::SameSite),
        Field::new("status", "Status", T::Choice(CHECKLIST_STATES))
            .required()
            .filter()
            .list(),
        check_field("data_wiped", "Data wiped"),
        Field::new("wipe_method", "Wiping method", T::Text { max: 300 })
            .help("e.g. NIST SP 800-88 purge, physical destruction."),
        check_field("keys_revoked", "Keys and certificates revoked"),
        check_field("accounts_removed", "Accounts removed"),
        check_field("backup_decided", "Backup retention decided"),
        Field::new("backup_retention", "Backup retention", T::Text { max: 300 }),
        check_field(
            "removed_from_model",
            "Removed from zones, conduits and firewall rules",
        ),
        TEMPLATE,
        TEMPLATE_ITEMS,
        Field::new("evidence", "Evidence", T::LongText).search(),
        Field::new("completed_by", "Completed by", T::Text { max: 120 }),
        Field::new("completed_on", "Completed on", T::Date)
            .sort()
            .list(),
    ],
    title_field: "completed_on",
    site_field: Some("site_id"),
    unique: &[],
    default_sort: "completed_on",
    check: check_decommissioning,
    transition: None,
};

/// A completed checklist has every item ticked, evidence, who and when.
fn check_checklist(
    values: &Values,
    items: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> Vec<FieldError> {
    if text(values, "status") != "completed" {
        return Vec::new();
    }
    let mut errors: Vec<FieldError> = items
        .iter()
        .filter(|(f, _)| !flag(values, f))
        .map(|(f, label)| FieldError::new(f, format!("not done yet: {label}")))
        .collect();
    for (_, item) in crate::value::checklist_items(&text(values, "template_items"))
        .into_iter()
        .filter(|(done, _)| !done)
    {
        errors.push(FieldError::new(
            "template_items",
            format!("not done yet: {item}"),
        ));
    }
    for (f, why) in [
        ("evidence", "record the evidence"),
        ("completed_by", "say who completed it"),
        ("completed_on", "give the date it was completed"),
    ]
    .iter()
    .chain(extra)
    {
        if text(values, f).is_empty() {
            errors.push(FieldError::new(f, *why));
        }
    }
    errors
}

fn check_commissioning(values: &Values) -> Vec<FieldError> {
    check_checklist(values, COMMISSIONING_ITEMS, &[])
}

fn check_decommissioning(values: &Values) -> Vec<FieldError> {
    check_checklist(
        values,
        DECOMMISSIONING_ITEMS,
        &[("wipe_method", "record how the data was wiped")],
    )
}

#[cfg(test)]
mod change_tests {
    use super::*;
    use crate::value::values_from_json;
    use serde_json::json;

    fn change(extra: serde_json::Value) -> Result<Values, Vec<FieldError>> {
        let mut base = json!({"site_id": 1, "name": "New firewall rule", "change_type": "network_rule",
            "status": "draft", "description": "Allow OPC UA from the DMZ historian", "requested_by": "Ana"});
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        values_from_json(&CHANGE_KIND, &base)
    }

    #[test]
    fn states_need_their_fields_and_follow_the_workflow() {
        let draft = change(json!({})).unwrap();
        assert_eq!(
            change(json!({"status": "assessed"})).unwrap_err()[0].field,
            "cyber_impact"
        );
        let assessed =
            change(json!({"status": "assessed", "cyber_impact": "new conduit channel 4840/tcp"}))
                .unwrap();
        assert!(
            check_change_step(&draft, &assessed)
                .iter()
                .any(|e| e.field == "status"),
            "skips submitted"
        );
        let submitted = change(json!({"status": "submitted"})).unwrap();
        assert!(check_change_step(&draft, &submitted).is_empty());
        assert!(check_change_step(&submitted, &assessed).is_empty());
        let implemented = change(json!({"status": "implemented", "cyber_impact": "x",
            "implemented_on": "2026-11-20", "test_evidence": "FAT protocol 12"}))
        .unwrap();
        let e = check_change_step(&assessed, &implemented);
        assert!(e[0].message.contains("before it is approved"), "{e:?}");
        let emergency = change(json!({"status": "implemented", "emergency": true,
            "implemented_on": "2026-11-20", "test_evidence": "smoke test"}))
        .unwrap();
        assert!(
            check_change_step(&draft, &emergency).is_empty(),
            "emergency: implement first"
        );
        assert_eq!(
            change(json!({"status": "implemented", "cyber_impact": "x"}))
                .unwrap_err()
                .len(),
            2
        );
        let safety =
            change(json!({"status": "assessed", "cyber_impact": "x", "safety_systems": true}))
                .unwrap_err();
        assert_eq!(safety[0].field, "safety_impact");
    }

    #[test]
    fn approvers_depend_on_type_and_systems() {
        let recipe = change(json!({"change_type": "recipe"})).unwrap();
        assert_eq!(required_approvals(&recipe).len(), 1);
        let validated =
            change(json!({"change_type": "recipe", "validated_systems": true})).unwrap();
        assert_eq!(required_approvals(&validated).len(), 2);
        assert_eq!(
            required_approvals(&change(json!({})).unwrap()).len(),
            2,
            "network rule"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::values_from_json;
    use serde_json::json;

    #[test]
    fn weak_keys_and_algorithms_are_flagged() {
        let v = |j| values_from_json(&CERTIFICATE_KIND, &j).unwrap();
        let weak = v(
            json!({"site_id": 1, "name": "old HMI", "key_kind": "certificate", "algorithm": "rsa",
                            "key_bits": 1024, "signature_algorithm": "sha1WithRSAEncryption",
                            "valid_to": "2020-01-01", "owner": "o"}),
        );
        assert_eq!(weaknesses(&weak, "2026-11-28").len(), 3);
        let good = v(
            json!({"site_id": 1, "name": "gw", "key_kind": "certificate", "algorithm": "ec",
                            "key_bits": 256, "signature_algorithm": "ecdsa-with-SHA256",
                            "valid_to": "2030-01-01", "owner": "o"}),
        );
        assert!(weaknesses(&good, "2026-11-28").is_empty());
        assert!(
            values_from_json(
                &CERTIFICATE_KIND,
                &json!({"site_id": 1, "name": "x", "key_kind": "certificate",
            "valid_from": "2030-01-01", "valid_to": "2020-01-01", "owner": "o"})
            )
            .is_err()
        );
    }
}
