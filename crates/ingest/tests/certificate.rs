//! X.509 certificates read into certificate records. The fixtures were made for these tests
//! with openssl (a 1024-bit RSA certificate signed with SHA-1, PEM; a P-256 certificate, DER);
//! the expected values are openssl's own (`openssl x509 -noout -dates -fingerprint -sha256`).

use otkeep_ingest::read_certificate;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn pem_and_der_certificates_fill_the_fields() {
    let (v, cn) = read_certificate(&fixture("old-hmi-rsa1024.pem"), "old-hmi-rsa1024.pem").unwrap();
    assert_eq!(cn, "hmi-7.example.local");
    assert_eq!(v["algorithm"], "rsa");
    assert_eq!(v["key_bits"], 1024);
    assert_eq!(v["signature_algorithm"], "sha1WithRSAEncryption");
    assert_eq!(v["valid_from"], "2026-11-28");
    assert_eq!(v["valid_to"], "2027-11-28");
    assert_eq!(v["serial"], "12:34");
    assert_eq!(
        v["fingerprint"],
        "69:BD:AF:A8:FD:B9:02:D6:69:26:AE:AD:FD:1A:9D:9F:B6:EC:DF:04:57:48:2D:C9:03:18:99:F9:5E:0F:64:17"
    );
    assert!(
        v["subject"]
            .as_str()
            .unwrap()
            .contains("CN=hmi-7.example.local")
    );

    let (v, cn) = read_certificate(&fixture("remote-gateway-ec256.der"), "gw.der").unwrap();
    assert_eq!(cn, "remote-gateway.example.local");
    assert_eq!(
        (v["algorithm"].as_str(), v["key_bits"].as_i64()),
        (Some("ec"), Some(256))
    );
    assert_eq!(v["signature_algorithm"], "ecdsa-with-SHA256");
}

#[test]
fn other_input_is_refused_with_the_file_named() {
    let e = read_certificate(b"hello", "x.crt").unwrap_err();
    assert!(
        e.to_string().starts_with("x.crt: not an X.509 certificate"),
        "{e}"
    );
    let key = b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
    let e = read_certificate(key, "k.pem").unwrap_err();
    assert!(
        e.to_string().contains("PRIVATE KEY, not a CERTIFICATE"),
        "{e}"
    );
}
