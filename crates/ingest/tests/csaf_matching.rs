//! Matching real advisories against a hand-made inventory. Each expectation was derived by
//! reading the advisory's product tree by hand (product, version range, model number).

use otkeep_core::advisory::{Advisory, AssetFacts, Confidence, match_asset};
use otkeep_ingest::parse_csaf;
use std::path::PathBuf;

fn advisory(file: &str) -> Advisory {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/csaf/2023")
        .join(file);
    parse_csaf(&std::fs::read(&path).unwrap(), file).unwrap()
}

fn matches(
    a: &Advisory,
    vendor: &str,
    model: &str,
    firmware: &str,
) -> Vec<(String, Confidence, String)> {
    match_asset(
        a,
        AssetFacts {
            vendor,
            model,
            firmware,
        },
        &[],
    )
    .into_iter()
    .map(|m| (m.product_id, m.confidence, m.reason))
    .collect()
}

#[test]
fn hitachi_unem_by_exact_version() {
    // ICSA-23-005-01 lists UNEM R16A, R15B, R15A, R14B, R14A, … each as its own product.
    let a = advisory("icsa-23-005-01.json");
    let m = matches(&a, "Hitachi Energy Ltd.", "UNEM", "R15B");
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].0, "CSAFPID-0002");
    assert_eq!(m[0].1, Confidence::FamilyAndVersion);
    assert_eq!(
        m[0].2,
        "vendor Hitachi Energy, product family UNEM, firmware R15B in = R15B"
    );
    assert!(matches(&a, "Hitachi Energy", "UNEM", "R17A").is_empty());
    assert!(
        matches(&a, "Schneider Electric", "UNEM", "R15B").is_empty(),
        "other vendor"
    );
}

#[test]
fn siemens_scalance_by_order_number() {
    // ICSA-23-348-12: SCALANCE M804PB (6GK5804-0AP00-2AA2), affected below V7.2.2.
    let a = advisory("icsa-23-348-12.json");
    let m = matches(&a, "Siemens AG", "6GK5804-0AP00-2AA2", "V7.1.0");
    assert!(!m.is_empty());
    assert!(
        m.iter().all(|x| x.1 == Confidence::ExactModelAndVersion),
        "{m:?}"
    );
    assert!(
        m[0].2
            .contains("model 6GK5804-0AP00-2AA2, firmware V7.1.0 in < V7.2.2"),
        "{m:?}"
    );
    assert!(
        matches(&a, "Siemens", "6GK5804-0AP00-2AA2", "V7.2.2").is_empty(),
        "fixed version"
    );
    // Firmware not recorded: still listed, for review.
    let unknown = matches(&a, "Siemens", "6GK5804-0AP00-2AA2", "");
    assert!(!unknown.is_empty());
    assert!(
        unknown
            .iter()
            .all(|x| x.1 == Confidence::FamilyVersionUnknown)
    );
    assert!(unknown[0].2.contains("firmware not recorded"));
}

#[test]
fn all_versions_affected() {
    // ICSA-23-222-07: SIPLUS ET 200SP CPU 1512SP F-1 PN (6AG1512-1SK00-2AB0), vers:all/*.
    let a = advisory("icsa-23-222-07.json");
    let m = matches(
        &a,
        "Siemens",
        "SIPLUS ET 200SP CPU 1512SP F-1 PN (6AG1512-1SK00-2AB0)",
        "",
    );
    assert!(!m.is_empty(), "every version is affected");
    assert!(
        m.iter().any(|x| x.2.ends_with("all versions affected")),
        "{m:?}"
    );
}

#[test]
fn rockwell_series_and_vendor_aliases() {
    // ICSA-23-193-01: 1756-EN2T Series D <= 11.003 is CSAFPID-0007 (vendor written with a
    // trailing space); Series A/B/C and the EN2TK/EN2TR variants must not match.
    let a = advisory("icsa-23-193-01.json");
    let m = matches(&a, "Allen-Bradley", "1756-EN2T Series D", "11.002");
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].0, "CSAFPID-0007");
    assert!(matches(&a, "Rockwell Automation", "1756-EN2T Series D", "11.004").is_empty());
    // ICSA-23-264-04 fixes it one release earlier (<= 11.002).
    let b = advisory("icsa-23-264-04.json");
    assert_eq!(
        matches(
            &b,
            "Rockwell Automation, Inc.",
            "1756-EN2T Series D",
            "11.002"
        )[0]
        .0,
        "CSAFPID-0007"
    );
    assert!(matches(&b, "Rockwell Automation", "1756-EN2T Series D", "11.003").is_empty());
}
