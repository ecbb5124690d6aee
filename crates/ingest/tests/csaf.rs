//! CSAF 2.0 parsing on the real 2023 CISA corpus (`../shared/data/csaf/2023`, 380 files).
//! The expected counts were taken independently with a short Python script over the same files
//! (json.load; products = branch nodes with a `product`; vulnerabilities = entries of
//! `vulnerabilities`; model numbers = products with a `model_numbers` helper).

use otkeep_core::firmware::VersionSpec;
use otkeep_ingest::{csaf_files, parse_csaf};
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf/2023")
}

#[test]
fn the_2023_corpus_parses_completely_with_exact_counts() {
    let files = csaf_files(&corpus()).expect("the corpus folder is readable");
    assert_eq!(files.len(), 380);
    let mut advisories = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        match parse_csaf(&bytes, &f.display().to_string()) {
            Ok(a) => advisories.push(a),
            Err(e) => panic!("{e}"),
        }
    }
    let vulnerabilities: usize = advisories.iter().map(|a| a.vulnerabilities.len()).sum();
    let products: usize = advisories.iter().map(|a| a.products.len()).sum();
    let with_models = advisories
        .iter()
        .flat_map(|a| &a.products)
        .filter(|p| !p.model_numbers.is_empty())
        .count();
    let scores: usize = advisories
        .iter()
        .flat_map(|a| &a.vulnerabilities)
        .map(|v| v.cvss.len())
        .sum();
    assert_eq!(advisories.len(), 380);
    assert_eq!(vulnerabilities, 1905);
    assert_eq!(products, 3326);
    assert_eq!(with_models, 1214);
    assert_eq!(scores, 1906);
    let first = advisories
        .iter()
        .find(|a| a.id == "ICSA-23-005-01")
        .expect("ICSA-23-005-01");
    assert_eq!(first.version, "1");
    assert_eq!(first.products[0].vendor, "Hitachi Energy");
    assert_eq!(first.products[0].name, "UNEM");
    assert_eq!(first.products[0].version, "R16A");
    assert_eq!(first.vulnerabilities[0].cve, "CVE-2021-40341");
    assert_eq!(
        first.vulnerabilities[0].cwe,
        "CWE-326 Inadequate Encryption Strength"
    );
    assert_eq!(first.vulnerabilities[0].cvss[0].base_score, 7.1);

    // Every version expression is read; those that cannot be evaluated are kept for review.
    let mut unreadable = Vec::new();
    let mut total = 0;
    for p in advisories.iter().flat_map(|a| &a.products) {
        if p.version.is_empty() {
            continue;
        }
        total += 1;
        if let VersionSpec::Unreadable(t) = VersionSpec::parse(&p.version) {
            unreadable.push(t);
        }
    }
    assert_eq!(total, 3326);
    eprintln!(
        "{} of {total} version expressions need review",
        unreadable.len()
    );
    // 67 (2%): conditions in words ("with switch chip …", "(with <= bacnetstac 4.2.1)"),
    // product names in the version ("FPGA_10.19_CPU_2.0.6", "IR302 3.5.56"), bare revision
    // letters ("<=LF"), an empty "<=". The test prints the list when the count moves.
    assert_eq!(unreadable.len(), 67, "{unreadable:#?}");
    assert!(
        unreadable
            .iter()
            .any(|t| t == "<= 3.3-006 (with <= bacnetstac 4.2.1)")
    );
}

#[test]
fn a_malformed_document_names_the_file_and_json_path() {
    let bad = br#"{"document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "t",
        "publisher": {"name": "p"}, "tracking": {"id": "X-1", "version": "1",
        "initial_release_date": "2023-01-01", "current_release_date": "2023-01-01"}},
        "vulnerabilities": [{"cve": "CVE-1", "scores": [{"cvss_v3": {"version": "3.1",
        "vectorString": "x", "baseScore": "high"}}]}]}"#;
    let e = parse_csaf(bad, "bad.json").unwrap_err();
    assert_eq!(e.file, "bad.json");
    assert_eq!(e.path, "vulnerabilities[0].scores[0].cvss_v3.baseScore");
    assert!(
        e.to_string()
            .starts_with("bad.json: vulnerabilities[0].scores[0].cvss_v3.baseScore: invalid type"),
        "{e}"
    );
    let e = parse_csaf(b"{\"document\": ", "cut.json").unwrap_err();
    assert!(e.to_string().contains("cut.json"), "{e}");
    let e = parse_csaf(b"[]", "array.json").unwrap_err();
    assert_eq!(e.path, ".");
    let mut old = String::from_utf8(bad.to_vec()).unwrap();
    old = old.replace("\"2.0\"", "\"1.2\"").replace("\"high\"", "7.5");
    let e = parse_csaf(old.as_bytes(), "old.json").unwrap_err();
    assert_eq!(e.path, "document.csaf_version");
}
