//! SBOMs → [`otkeep_core::sbom::Sbom`]: CycloneDX JSON (1.2–1.6) and XML, SPDX JSON (2.2,
//! 2.3) and SPDX tag-value. The format is recognised from the content. Components nested in
//! components are flattened. A document that does not fit gets an error naming the file and
//! the JSON path, the XML line, or the tag-value line.

use otkeep_core::sbom::{Component, Sbom};
use serde::Deserialize;

/// An SBOM that could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {at}: {message}")]
pub struct SbomError {
    pub file: String,
    /// JSON path, `line N`, or `.` for the document.
    pub at: String,
    pub message: String,
}

fn error(file: &str, at: impl Into<String>, message: impl Into<String>) -> SbomError {
    SbomError {
        file: file.to_string(),
        at: at.into(),
        message: message.into(),
    }
}

/// Reads an SBOM in any supported format.
pub fn parse_sbom(bytes: &[u8], file: &str) -> Result<Sbom, SbomError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| error(file, ".", format!("not UTF-8 text: {e}")))?;
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') {
        let probe: serde_json::Value = serde_json::from_str(t).map_err(|e| {
            error(
                file,
                format!("line {}, column {}", e.line(), e.column()),
                e.to_string(),
            )
        })?;
        if probe.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
            return cyclonedx_json(t, file);
        }
        if probe.get("spdxVersion").is_some() {
            return spdx_json(t, file);
        }
        return Err(error(
            file,
            ".",
            "a JSON document, but neither CycloneDX (bomFormat) nor SPDX (spdxVersion)",
        ));
    }
    if t.starts_with('<') {
        return cyclonedx_xml(t, file);
    }
    if t.lines()
        .any(|l| l.trim_start().starts_with("SPDXVersion:"))
    {
        return spdx_tag_value(t, file);
    }
    Err(error(
        file,
        ".",
        "not an SBOM otkeep reads (CycloneDX JSON or XML, SPDX JSON or tag-value)",
    ))
}

fn from_json<'a, T: Deserialize<'a>>(text: &'a str, file: &str) -> Result<T, SbomError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| error(file, e.path().to_string(), e.into_inner().to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxBom {
    spec_version: String,
    #[serde(default)]
    metadata: Option<CdxMetadata>,
    #[serde(default)]
    components: Vec<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxMetadata {
    #[serde(default)]
    component: Option<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxComponent {
    #[serde(default, rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    purl: String,
    #[serde(default)]
    supplier: Option<CdxOrg>,
    #[serde(default)]
    publisher: String,
    #[serde(default)]
    hashes: Vec<CdxHash>,
    #[serde(default)]
    components: Vec<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxOrg {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct CdxHash {
    alg: String,
    content: String,
}

fn flatten_cdx(list: &[CdxComponent], out: &mut Vec<Component>) {
    for c in list {
        out.push(Component {
            name: if c.group.is_empty() {
                c.name.clone()
            } else {
                format!("{}/{}", c.group, c.name)
            },
            version: c.version.clone(),
            purl: c.purl.clone(),
            supplier: c
                .supplier
                .as_ref()
                .map(|s| s.name.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| c.publisher.clone()),
            kind: c.kind.clone(),
            hashes: c
                .hashes
                .iter()
                .map(|h| (h.alg.clone(), h.content.to_lowercase()))
                .collect(),
        });
        flatten_cdx(&c.components, out);
    }
}

fn cyclonedx_json(text: &str, file: &str) -> Result<Sbom, SbomError> {
    let bom: CdxBom = from_json(text, file)?;
    let mut components = Vec::new();
    flatten_cdx(&bom.components, &mut components);
    let main = bom.metadata.and_then(|m| m.component);
    Ok(Sbom {
        format: "CycloneDX".into(),
        spec_version: bom.spec_version,
        encoding: "json".into(),
        name: main.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        version: main.map(|c| c.version).unwrap_or_default(),
        components,
    })
}

fn cyclonedx_xml(text: &str, file: &str) -> Result<Sbom, SbomError> {
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        let p = e.pos();
        error(
            file,
            format!("line {}, column {}", p.row, p.col),
            e.to_string(),
        )
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "bom" {
        return Err(error(
            file,
            "line 1",
            format!("<{}> is not a CycloneDX <bom>", root.tag_name().name()),
        ));
    }
    let spec_version = root
        .tag_name()
        .namespace()
        .and_then(|ns| ns.rsplit('/').next())
        .unwrap_or("")
        .to_string();
    let child_text = |n: roxmltree::Node<'_, '_>, name: &str| -> String {
        n.children()
            .find(|c| c.is_element() && c.tag_name().name() == name)
            .and_then(|c| c.text())
            .unwrap_or("")
            .trim()
            .to_string()
    };
    fn walk(
        n: roxmltree::Node<'_, '_>,
        out: &mut Vec<Component>,
        child_text: &dyn Fn(roxmltree::Node<'_, '_>, &str) -> String,
    ) {
        for c in n
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "component")
        {
            let group = child_text(c, "group");
            let name = child_text(c, "name");
            let supplier = c
                .children()
                .find(|s| s.is_element() && s.tag_name().name() == "supplier")
                .map(|s| child_text(s, "name"))
                .unwrap_or_default();
            let hashes = c
                .children()
                .filter(|h| h.is_element() && h.tag_name().name() == "hashes")
                .flat_map(|hs| hs.children().filter(|h| h.is_element()))
                .map(|h| {
                    (
                        h.attribute("alg").unwrap_or("").to_string(),
                        h.text().unwrap_or("").trim().to_lowercase(),
                    )
                })
                .collect();
            out.push(Component {
                name: if group.is_empty() {
                    name
                } else {
                    format!("{group}/{name}")
                },
                version: child_text(c, "version"),
                purl: child_text(c, "purl"),
                supplier: if supplier.is_empty() {
                    child_text(c, "publisher")
                } else {
                    supplier
                },
                kind: c.attribute("type").unwrap_or("").to_string(),
                hashes,
            });
            if let Some(nested) = c
                .children()
                .find(|x| x.is_element() && x.tag_name().name() == "components")
            {
                walk(nested, out, child_text);
            }
        }
    }
    let mut components = Vec::new();
    if let Some(list) = root
        .children()
        .find(|c| c.is_element() && c.tag_name().name() == "components")
    {
        walk(list, &mut components, &child_text);
    }
    let main = root
        .children()
        .find(|c| c.is_element() && c.tag_name().name() == "metadata")
        .and_then(|m| {
            m.children()
                .find(|c| c.is_element() && c.tag_name().name() == "component")
        });
    Ok(Sbom {
        format: "CycloneDX".into(),
        spec_version,
        encoding: "xml".into(),
        name: main.map(|m| child_text(m, "name")).unwrap_or_default(),
        version: main.map(|m| child_text(m, "version")).unwrap_or_default(),
        components,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDoc {
    spdx_version: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_describes: Vec<String>,
    #[serde(default)]
    packages: Vec<SpdxPackage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID", default)]
    spdx_id: String,
    name: String,
    #[serde(default)]
    version_info: String,
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    primary_package_purpose: String,
    #[serde(default)]
    checksums: Vec<SpdxChecksum>,
    #[serde(default)]
    external_refs: Vec<SpdxRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxChecksum {
    algorithm: String,
    checksum_value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRef {
    reference_type: String,
    reference_locator: String,
}

/// `Organization: Foo` → `Foo`; `NOASSERTION` → empty.
fn spdx_supplier(s: &str) -> String {
    let s = s.trim();
    if s.eq_ignore_ascii_case("NOASSERTION") {
        return String::new();
    }
    s.split_once(':')
        .map_or(s, |(kind, rest)| {
            if matches!(kind.trim(), "Organization" | "Person" | "Tool") {
                rest
            } else {
                s
            }
        })
        .trim()
        .to_string()
}

fn spdx_json(text: &str, file: &str) -> Result<Sbom, SbomError> {
    let doc: SpdxDoc = from_json(text, file)?;
    let described = doc.document_describes.first().cloned().unwrap_or_default();
    let main = doc.packages.iter().find(|p| p.spdx_id == described);
    let components = doc
        .packages
        .iter()
        .filter(|p| p.spdx_id != described || doc.packages.len() == 1)
        .map(|p| Component {
            name: p.name.clone(),
            version: p.version_info.clone(),
            purl: p
                .external_refs
                .iter()
                .find(|r| r.reference_type == "purl")
                .map(|r| r.reference_locator.clone())
                .unwrap_or_default(),
            supplier: spdx_supplier(&p.supplier),
            kind: p.primary_package_purpose.to_lowercase(),
            hashes: p
                .checksums
                .iter()
                .map(|c| (c.algorithm.clone(), c.checksum_value.to_lowercase()))
                .collect(),
        })
        .collect();
    Ok(Sbom {
        format: "SPDX".into(),
        spec_version: doc.spdx_version,
        encoding: "json".into(),
        name: main.map_or(doc.name.clone(), |m| m.name.clone()),
        version: main.map(|m| m.version_info.clone()).unwrap_or_default(),
        components,
    })
}

fn spdx_tag_value(text: &str, file: &str) -> Result<Sbom, SbomError> {
    let mut spec_version = String::new();
    let mut name = String::new();
    let mut components: Vec<Component> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            // Continuation of a multi-line <text> value.
            continue;
        };
        let value = value.trim();
        let current = components.last_mut();
        match (tag.trim(), current) {
            ("SPDXVersion", _) => spec_version = value.to_string(),
            ("DocumentName", _) => name = value.to_string(),
            ("PackageName", _) => components.push(Component {
                name: value.to_string(),
                version: String::new(),
                purl: String::new(),
                supplier: String::new(),
                kind: String::new(),
                hashes: Vec::new(),
            }),
            ("PackageVersion", Some(c)) => c.version = value.to_string(),
            ("PackageSupplier", Some(c)) => c.supplier = spdx_supplier(value),
            ("PrimaryPackagePurpose", Some(c)) => c.kind = value.to_lowercase(),
            ("PackageChecksum", Some(c)) => {
                let (alg, v) = value.split_once(':').ok_or_else(|| {
                    error(
                        file,
                        format!("line {}", i + 1),
                        "PackageChecksum should be ALG: value",
                    )
                })?;
                c.hashes
                    .push((alg.trim().to_string(), v.trim().to_lowercase()));
            }
            ("ExternalRef", Some(c)) => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                if parts.len() >= 3 && parts[1] == "purl" {
                    c.purl = parts[2].to_string();
                }
            }
            ("PackageVersion" | "PackageSupplier" | "PackageChecksum" | "ExternalRef", None) => {
                return Err(error(
                    file,
                    format!("line {}", i + 1),
                    format!("{} before any PackageName", tag.trim()),
                ));
            }
            _ => {}
        }
    }
    if spec_version.is_empty() {
        return Err(error(file, ".", "no SPDXVersion"));
    }
    Ok(Sbom {
        format: "SPDX".into(),
        spec_version,
        encoding: "tag-value".into(),
        name,
        version: String::new(),
        components,
    })
}
