//! X.509 certificates (PEM or DER) → the fields of a certificate record: subject, issuer,
//! serial, SHA-256 fingerprint, key algorithm and length, signature algorithm, validity.

use serde_json::{Value, json};
use x509_parser::prelude::*;

/// A certificate that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct CertificateError {
    pub file: String,
    pub message: String,
}

/// What a certificate says, as the JSON fields of a `certificate` record (without site,
/// owner and name, which the caller gives), and its common name for a default record name.
pub fn read_certificate(bytes: &[u8], file: &str) -> Result<(Value, String), CertificateError> {
    let err = |message: String| CertificateError {
        file: file.to_string(),
        message,
    };
    let der: Vec<u8> =
        if bytes.starts_with(b"-----BEGIN") || bytes.windows(10).any(|w| w == b"-----BEGIN") {
            let start = bytes
                .windows(10)
                .position(|w| w == b"-----BEGIN")
                .unwrap_or(0);
            let (_, pem) = parse_x509_pem(&bytes[start..])
                .map_err(|e| err(format!("not a PEM certificate: {e}")))?;
            if pem.label != "CERTIFICATE" {
                return Err(err(format!(
                    "the PEM block is a {}, not a CERTIFICATE",
                    pem.label
                )));
            }
            pem.contents
        } else {
            bytes.to_vec()
        };
    let (_, cert) =
        parse_x509_certificate(&der).map_err(|e| err(format!("not an X.509 certificate: {e}")))?;
    let registry = oid_registry();
    let name_of = |oid: &x509_parser::der_parser::oid::Oid| {
        x509_parser::objects::oid2sn(oid, registry)
            .map(str::to_string)
            .unwrap_or_else(|_| oid.to_id_string())
    };
    let key_oid = name_of(&cert.public_key().algorithm.algorithm);
    let algorithm = match key_oid.as_str() {
        "rsaEncryption" => "rsa",
        "id-ecPublicKey" => "ec",
        "ED25519" | "1.3.101.112" => "ed25519",
        "dsa" | "1.2.840.10040.4.1" => "dsa",
        _ => "other",
    };
    let bits = match cert.public_key().parsed() {
        Ok(k) => k.key_size(),
        Err(_) => 0,
    };
    let bits = if algorithm == "ed25519" { 256 } else { bits };
    let date = |t: &ASN1Time| {
        jiff::Timestamp::from_second(t.timestamp())
            .map(|ts| ts.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
            .unwrap_or_default()
    };
    let fingerprint: String = {
        use std::fmt::Write;
        let digest = otkeep_store::sha256_bytes(&der);
        let mut out = String::new();
        for (i, pair) in digest.as_bytes().chunks(2).enumerate() {
            if i > 0 {
                out.push(':');
            }
            let _ = write!(out, "{}", String::from_utf8_lossy(pair).to_uppercase());
        }
        out
    };
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|c| c.as_str().ok())
        .unwrap_or("")
        .to_string();
    Ok((
        json!({
            "key_kind": "certificate",
            "subject": cert.subject().to_string(),
            "issuer": cert.issuer().to_string(),
            "serial": cert.raw_serial_as_string(),
            "fingerprint": fingerprint,
            "algorithm": algorithm,
            "key_bits": if bits > 0 { Some(bits as i64) } else { None },
            "signature_algorithm": name_of(&cert.signature_algorithm.algorithm),
            "valid_from": date(&cert.validity().not_before),
            "valid_to": date(&cert.validity().not_after),
        }),
        cn,
    ))
}
