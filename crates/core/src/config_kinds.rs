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

fn flag(values: &Values, f: &str) -> bool {
    values.get(f).is_some_and(|v| v.as_bool())
}

fn text(values: &Values, f: &str) -> String {
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
