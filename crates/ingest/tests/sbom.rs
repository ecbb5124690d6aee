//! SBOM parsing on the public samples of `../shared/data/sbom` (counts taken independently
//! with a short Python script: CycloneDX components flattened, SPDX packages other than the
//! one the document describes) and on small fixtures of our own (CycloneDX XML, SPDX
//! tag-value).

use otkeep_core::sbom::diff;
use otkeep_ingest::parse_sbom;
use std::path::PathBuf;

fn sample(path: &str) -> otkeep_core::sbom::Sbom {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sbom")
        .join(path);
    parse_sbom(&std::fs::read(&p).unwrap(), path).unwrap_or_else(|e| panic!("{e}"))
}

fn fixture(name: &str) -> otkeep_core::sbom::Sbom {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    parse_sbom(&std::fs::read(&p).unwrap(), name).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn public_samples_parse_with_their_component_counts() {
    for (file, spec, components) in [
        ("cyclonedx/hbom-pcie-sata-adapter-board.cdx.json", "1.4", 6),
        (
            "cyclonedx/sbom-cern-lhc-vdm-editor-e564943.cdx.json",
            "1.2",
            43,
        ),
        ("cyclonedx/sbom-dropwizard-1.3.15.cdx.json", "1.2", 167),
        ("cyclonedx/sbom-laravel-7.12.0.cdx-1.4.json", "1.4", 62),
        ("cyclonedx/sbom-proton-bridge-v1.6.3.cdx.json", "1.2", 201),
        ("cyclonedx/vex-example-bom.cdx.json", "1.3", 3),
        (
            "spdx/bom-shelter-balena-armv7hf-supervisor.bom-tool.spdx.json",
            "SPDX-2.3",
            19,
        ),
        (
            "spdx/bom-shelter-balena-armv7hf-supervisor.trivy.spdx.json",
            "SPDX-2.2",
            619,
        ),
        (
            "spdx/spdx-examples-example11-rust-hello-server.spdx.json",
            "SPDX-2.3",
            3,
        ),
        (
            "spdx/spdx-examples-example14-maven-enriched.spdx.json",
            "SPDX-2.3",
            6,
        ),
    ] {
        let s = sample(file);
        assert_eq!(s.spec_version, spec, "{file}");
        assert_eq!(s.components.len(), components, "{file}");
    }
    let hbom = sample("cyclonedx/hbom-pcie-sata-adapter-board.cdx.json");
    assert_eq!(hbom.name, "pcie-sata-adaptor-board");
    assert_eq!(hbom.components[0].supplier, "Samtec");
    assert_eq!(hbom.components[0].kind, "device");
    let rust = sample("spdx/spdx-examples-example11-rust-hello-server.spdx.json");
    let hyper = rust.components.iter().find(|c| c.name == "hyper").unwrap();
    assert_eq!(hyper.purl, "pkg:cargo/hyper@0.14");
    assert_eq!(hyper.hashes[0].0, "SHA256");
    let trivy = sample("spdx/bom-shelter-balena-armv7hf-supervisor.trivy.spdx.json");
    assert_eq!(
        trivy
            .components
            .iter()
            .filter(|c| !c.purl.is_empty())
            .count(),
        617
    );
}

#[test]
fn own_fixtures_in_xml_and_tag_value() {
    let xml = fixture("plc-firmware.cdx.xml");
    assert_eq!(
        (
            xml.format.as_str(),
            xml.spec_version.as_str(),
            xml.encoding.as_str()
        ),
        ("CycloneDX", "1.5", "xml")
    );
    assert_eq!(xml.name, "Example PLC firmware");
    assert_eq!(xml.version, "V2.9.7");
    let names: Vec<&str> = xml.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["rtos", "lwip", "org.openssl/openssl"],
        "nested components flattened"
    );
    assert_eq!(xml.components[0].supplier, "Example RTOS Ltd");
    assert_eq!(
        xml.components[2].hashes,
        [("SHA-256".to_string(), "ab12cd".to_string())]
    );
    let tv = fixture("gateway.spdx");
    assert_eq!(
        (tv.spec_version.as_str(), tv.encoding.as_str()),
        ("SPDX-2.3", "tag-value")
    );
    assert_eq!(tv.components.len(), 2);
    assert_eq!(tv.components[0].purl, "pkg:generic/busybox@1.36.1");
    assert_eq!(tv.components[0].supplier, "BusyBox project");
    assert_eq!(tv.components[1].version, "2022.83");
}

#[test]
fn two_versions_of_a_product_differ_component_by_component() {
    let old = sample("cyclonedx/sbom-proton-bridge-v1.6.3.cdx.json");
    let new = sample("cyclonedx/sbom-proton-bridge-v1.8.0.cdx.json");
    let d = diff(&old, &new);
    assert_eq!(
        d.added.len() + d.changed.len() + d.unchanged,
        new.components.len() - dupes(&new),
        "every component of the new SBOM is accounted for"
    );
    assert!(!d.changed.is_empty());
    assert!(
        d.changed
            .iter()
            .all(|(a, b)| a.key() == b.key() && a.version != b.version)
    );
    let same = diff(&old, &old);
    assert!(same.added.is_empty() && same.removed.is_empty() && same.changed.is_empty());
}

/// Components listed twice with the same key and version count once.
fn dupes(s: &otkeep_core::sbom::Sbom) -> usize {
    let mut seen = std::collections::HashSet::new();
    s.components
        .iter()
        .filter(|c| !seen.insert(format!("{}@{}", c.key(), c.version)))
        .count()
}

#[test]
fn bad_documents_name_the_place() {
    let e = parse_sbom(
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": 7}]}"#,
        "a.json",
    )
    .unwrap_err();
    assert_eq!(
        (e.file.as_str(), e.at.as_str()),
        ("a.json", "components[0].name")
    );
    let e = parse_sbom(b"<bom><components><component>", "b.xml").unwrap_err();
    assert!(e.at.starts_with("line 1"), "{e}");
    let e = parse_sbom(b"SPDXVersion: SPDX-2.3\nPackageVersion: 1\n", "c.spdx").unwrap_err();
    assert_eq!(e.at, "line 2");
    assert!(parse_sbom(b"{\"x\": 1}", "d.json").is_err());
    assert!(parse_sbom(b"hello", "e.txt").is_err());
    assert!(parse_sbom(&[0xff, 0xfe], "f.bin").is_err());
}
