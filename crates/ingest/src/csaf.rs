//! CSAF 2.0 advisories → [`otkeep_core::advisory::Advisory`].
//!
//! The serde structs below hold the part of CSAF otkeep uses: tracking (id, version, dates,
//! revision history), the product tree (nested branches vendor → product name → version or
//! version range, product ids, model numbers, relationships, full product names) and the
//! vulnerabilities (CVE, CWE, CVSS v2/v3/v4, product status, remediations, exploit status).
//! They are lenient where real advisories vary (missing optional parts, extra fields) and
//! strict where a value is needed; a document that does not fit gets an error naming the file
//! and the JSON path (`vulnerabilities[3].scores[0].cvss_v3.baseScore: invalid type …`).

use otkeep_core::advisory::{Advisory, Cvss, Product, Remediation, Revision, Vulnerability};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A document that could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {path}: {message}")]
pub struct CsafError {
    pub file: String,
    /// JSON path of the problem (`.` for the document).
    pub path: String,
    pub message: String,
}

#[derive(Deserialize)]
struct Doc {
    document: Document,
    #[serde(default)]
    product_tree: ProductTree,
    #[serde(default)]
    vulnerabilities: Vec<Vuln>,
}

#[derive(Deserialize)]
struct Document {
    category: String,
    csaf_version: String,
    title: String,
    publisher: Publisher,
    tracking: Tracking,
}

#[derive(Deserialize)]
struct Publisher {
    name: String,
}

#[derive(Deserialize)]
struct Tracking {
    id: String,
    version: String,
    initial_release_date: String,
    current_release_date: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    revision_history: Vec<Rev>,
}

#[derive(Deserialize)]
struct Rev {
    number: String,
    date: String,
    #[serde(default)]
    summary: String,
}

#[derive(Deserialize, Default)]
struct ProductTree {
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    full_product_names: Vec<FullProductName>,
    #[serde(default)]
    relationships: Vec<Relationship>,
}

#[derive(Deserialize)]
struct Branch {
    category: String,
    name: String,
    #[serde(default)]
    branches: Vec<Branch>,
    product: Option<FullProductName>,
}

#[derive(Deserialize, Clone)]
struct FullProductName {
    name: String,
    product_id: String,
    #[serde(default)]
    product_identification_helper: Option<Helper>,
}

#[derive(Deserialize, Clone, Default)]
struct Helper {
    #[serde(default)]
    model_numbers: Vec<String>,
    #[serde(default)]
    purl: String,
}

#[derive(Deserialize)]
struct Relationship {
    product_reference: String,
    full_product_name: FullProductName,
}

#[derive(Deserialize)]
struct Vuln {
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    cwe: Option<Cwe>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    product_status: Option<ProductStatus>,
    #[serde(default)]
    scores: Vec<Score>,
    #[serde(default)]
    remediations: Vec<Remed>,
    #[serde(default)]
    threats: Vec<Threat>,
}

#[derive(Deserialize)]
struct Cwe {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
struct ProductStatus {
    #[serde(default)]
    known_affected: Vec<String>,
    #[serde(default)]
    first_affected: Vec<String>,
    #[serde(default)]
    last_affected: Vec<String>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    first_fixed: Vec<String>,
    #[serde(default)]
    known_not_affected: Vec<String>,
}

#[derive(Deserialize)]
struct Score {
    #[serde(default)]
    cvss_v2: Option<CvssJson>,
    #[serde(default)]
    cvss_v3: Option<CvssJson>,
    #[serde(default)]
    cvss_v4: Option<CvssJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssJson {
    version: String,
    vector_string: String,
    base_score: f64,
    #[serde(default)]
    base_severity: String,
}

#[derive(Deserialize)]
struct Remed {
    category: String,
    details: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    product_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Threat {
    category: String,
    #[serde(default)]
    details: String,
}

fn helper(p: &FullProductName) -> Helper {
    p.product_identification_helper.clone().unwrap_or_default()
}

/// Reads one CSAF document. `file` names it in errors.
pub fn parse_csaf(bytes: &[u8], file: &str) -> Result<Advisory, CsafError> {
    let err = |path: String, message: String| CsafError {
        file: file.to_string(),
        path,
        message,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc: Doc = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if inner.line() > 0 {
            format!(" (line {}, column {})", inner.line(), inner.column())
        } else {
            String::new()
        };
        err(path, format!("{inner}{at}"))
    })?;
    let d = &doc.document;
    if !d.csaf_version.starts_with("2.") {
        return Err(err(
            "document.csaf_version".into(),
            format!("CSAF {} is not supported (2.0 is)", d.csaf_version),
        ));
    }
    if d.tracking.id.trim().is_empty() {
        return Err(err("document.tracking.id".into(), "is empty".into()));
    }
    let _ = &d.category;

    // Products: walk the branches keeping the vendor, product name and version seen above.
    let mut products: Vec<Product> = Vec::new();
    fn walk(branches: &[Branch], vendor: &str, name: &str, version: &str, out: &mut Vec<Product>) {
        for b in branches {
            let (mut v, mut n, mut ver) = (vendor, name, version);
            match b.category.as_str() {
                "vendor" => v = &b.name,
                "product_name" | "product_family" => n = &b.name,
                "product_version" | "product_version_range" => ver = &b.name,
                _ => {}
            }
            if let Some(p) = &b.product {
                out.push(Product {
                    id: p.product_id.clone(),
                    vendor: v.trim().to_string(),
                    name: if n.is_empty() {
                        p.name.clone()
                    } else {
                        n.trim().to_string()
                    },
                    version: ver.trim().to_string(),
                    full_name: p.name.clone(),
                    model_numbers: helper(p).model_numbers,
                    purl: helper(p).purl,
                });
            }
            walk(&b.branches, v, n, ver, out);
        }
    }
    walk(&doc.product_tree.branches, "", "", "", &mut products);
    for p in &doc.product_tree.full_product_names {
        products.push(Product {
            id: p.product_id.clone(),
            vendor: String::new(),
            name: p.name.clone(),
            version: String::new(),
            full_name: p.name.clone(),
            model_numbers: helper(p).model_numbers,
            purl: helper(p).purl,
        });
    }
    // A relationship ("component X installed on Y") is a product of its own: the component's
    // vendor, name and version under the relationship's id and full name.
    let by_id: HashMap<String, Product> =
        products.iter().map(|p| (p.id.clone(), p.clone())).collect();
    for r in &doc.product_tree.relationships {
        let base = by_id.get(&r.product_reference);
        products.push(Product {
            id: r.full_product_name.product_id.clone(),
            vendor: base.map(|b| b.vendor.clone()).unwrap_or_default(),
            name: base.map_or(r.full_product_name.name.clone(), |b| b.name.clone()),
            version: base.map(|b| b.version.clone()).unwrap_or_default(),
            full_name: r.full_product_name.name.clone(),
            model_numbers: base.map(|b| b.model_numbers.clone()).unwrap_or_default(),
            purl: base.map(|b| b.purl.clone()).unwrap_or_default(),
        });
    }

    let vulnerabilities = doc
        .vulnerabilities
        .iter()
        .map(|v| {
            let status = v.product_status.as_ref();
            let list = |f: fn(&ProductStatus) -> Vec<&String>| -> Vec<String> {
                let mut out: Vec<String> = status
                    .map(f)
                    .unwrap_or_default()
                    .into_iter()
                    .cloned()
                    .collect();
                out.sort();
                out.dedup();
                out
            };
            Vulnerability {
                cve: v.cve.clone().unwrap_or_default(),
                cwe: v
                    .cwe
                    .as_ref()
                    .map(|c| format!("{} {}", c.id, c.name).trim().to_string())
                    .unwrap_or_default(),
                title: v.title.clone().unwrap_or_default(),
                cvss: v
                    .scores
                    .iter()
                    .flat_map(|s| [&s.cvss_v4, &s.cvss_v3, &s.cvss_v2])
                    .flatten()
                    .map(|c| Cvss {
                        version: c.version.clone(),
                        vector: c.vector_string.clone(),
                        base_score: c.base_score,
                        severity: c.base_severity.to_lowercase(),
                    })
                    .collect(),
                known_affected: list(|s| {
                    s.known_affected
                        .iter()
                        .chain(&s.first_affected)
                        .chain(&s.last_affected)
                        .collect()
                }),
                fixed: list(|s| s.fixed.iter().chain(&s.first_fixed).collect()),
                known_not_affected: list(|s| s.known_not_affected.iter().collect()),
                remediations: v
                    .remediations
                    .iter()
                    .map(|r| Remediation {
                        category: r.category.clone(),
                        details: r.details.clone(),
                        url: r.url.clone(),
                        product_ids: r.product_ids.clone(),
                    })
                    .collect(),
                known_exploited: v.threats.iter().any(|t| {
                    t.category == "exploit_status" && {
                        let d = t.details.to_lowercase();
                        d.contains("exploited")
                            && !d.contains("not known")
                            && !d.contains("no known")
                    }
                }),
            }
        })
        .collect();

    Ok(Advisory {
        id: d.tracking.id.trim().to_string(),
        title: d.title.clone(),
        publisher: d.publisher.name.clone(),
        version: d.tracking.version.clone(),
        initial_release: d.tracking.initial_release_date.clone(),
        current_release: d.tracking.current_release_date.clone(),
        status: d.tracking.status.clone(),
        revisions: d
            .tracking
            .revision_history
            .iter()
            .map(|r| Revision {
                number: r.number.clone(),
                date: r.date.clone(),
                summary: r.summary.clone(),
            })
            .collect(),
        products,
        vulnerabilities,
    })
}

/// The `.json` files of `path` (a file, or a folder searched recursively), sorted.
pub fn csaf_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What a batch import of CSAF files did.
#[derive(Debug, Default)]
pub struct CsafReport {
    pub created: usize,
    pub updated: usize,
    /// Files not stored because the stored version is the same or newer: (file, why).
    pub ignored: Vec<(String, String)>,
    /// Files that could not be read.
    pub failed: Vec<CsafError>,
    /// (advisory, asset) matches of the stored advisories.
    pub matches: usize,
}

/// Imports CSAF files in one transaction: each file is parsed on its own (a bad one is listed
/// in [`CsafReport::failed`] and the rest go on), newer versions replace stored ones, older
/// ones are ignored with the reason, and every stored advisory is matched against the assets.
/// `progress` is called after each file with the number done.
pub async fn import_csaf_files(
    store: &otkeep_store::Store,
    files: &[PathBuf],
    actor: &str,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<CsafReport, otkeep_store::StoreError> {
    let mut report = CsafReport::default();
    let mut tx = store.begin_write(actor, Some("CSAF import")).await?;
    let mut index = tx.match_index().await?;
    // Oldest first, so that several versions of one advisory in a batch end at the newest.
    let mut parsed: Vec<(String, Advisory)> = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let name = f.display().to_string();
        match std::fs::read(f) {
            Err(e) => report.failed.push(CsafError {
                file: name,
                path: ".".into(),
                message: format!("cannot read: {e}"),
            }),
            Ok(bytes) => match parse_csaf(&bytes, &name) {
                Ok(a) => parsed.push((name, a)),
                Err(e) => report.failed.push(e),
            },
        }
        progress(i as u64 + 1);
    }
    parsed.sort_by(|a, b| a.1.current_release.cmp(&b.1.current_release));
    for (name, advisory) in &parsed {
        match tx.import_advisory(advisory, name, &mut index).await? {
            otkeep_store::AdvisoryOutcome::Created { matches, .. } => {
                report.created += 1;
                report.matches += matches;
            }
            otkeep_store::AdvisoryOutcome::Updated { matches, .. } => {
                report.updated += 1;
                report.matches += matches;
            }
            otkeep_store::AdvisoryOutcome::Ignored { reason } => {
                report.ignored.push((name.clone(), reason));
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}
