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
