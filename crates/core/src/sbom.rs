//! Software bills of materials, normalised from CycloneDX and SPDX (`otkeep_ingest::sbom`):
//! the components (name, version, purl, supplier, hashes), a key that recognises the same
//! component across versions, and the difference of two SBOMs of one product.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One component of an SBOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    pub version: String,
    pub purl: String,
    pub supplier: String,
    /// `library`, `firmware`, `device`, `operating-system`, … (CycloneDX `type`; SPDX
    /// `primaryPackagePurpose`), empty when not given.
    pub kind: String,
    /// (algorithm, hex value).
    pub hashes: Vec<(String, String)>,
}

/// A package URL without version, qualifiers and subpath, lower case (`pkg:npm/foo`).
pub fn purl_key(purl: &str) -> String {
    let p = purl.trim();
    let rest = p.strip_prefix("pkg:").unwrap_or(p);
    let no_extras = rest.split(['?', '#']).next().unwrap_or(rest);
    let base = no_extras.rsplit_once('@').map_or(no_extras, |(b, _)| b);
    format!("pkg:{}", base.to_lowercase())
}

impl Component {
    /// What identifies the component across versions: its purl without version, qualifiers
    /// and subpath, else its lower-case name.
    pub fn key(&self) -> String {
        if self.purl.trim().starts_with("pkg:") {
            return purl_key(&self.purl);
        }
        self.name.trim().to_lowercase()
    }
}

/// A normalised SBOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sbom {
    /// `CycloneDX` or `SPDX`.
    pub format: String,
    /// `1.4`, `SPDX-2.3`, …
    pub spec_version: String,
    /// `json`, `xml` or `tag-value`.
    pub encoding: String,
    /// The product it describes (CycloneDX metadata component, SPDX document name).
    pub name: String,
    pub version: String,
    pub components: Vec<Component>,
}

/// How two SBOMs of one product differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbomDiff {
    pub added: Vec<Component>,
    pub removed: Vec<Component>,
    /// (before, after) with another version.
    pub changed: Vec<(Component, Component)>,
    pub unchanged: usize,
}

/// Compares `before` and `after` component by component (by [`Component::key`]).
pub fn diff(before: &Sbom, after: &Sbom) -> SbomDiff {
    let index = |s: &Sbom| -> BTreeMap<String, Component> {
        s.components
            .iter()
            .map(|c| (format!("{}@{}", c.key(), c.version), c.clone()))
            .collect()
    };
    let (a, b) = (index(before), index(after));
    let by_key = |m: &BTreeMap<String, Component>| -> BTreeMap<String, Vec<Component>> {
        let mut out: BTreeMap<String, Vec<Component>> = BTreeMap::new();
        for c in m.values() {
            out.entry(c.key()).or_default().push(c.clone());
        }
        out
    };
    let (ka, kb) = (by_key(&a), by_key(&b));
    let mut d = SbomDiff::default();
    for (key, olds) in &ka {
        match kb.get(key) {
            None => d.removed.extend(olds.iter().cloned()),
            Some(news) => {
                let old_versions: Vec<&str> = olds.iter().map(|c| c.version.as_str()).collect();
                let new_versions: Vec<&str> = news.iter().map(|c| c.version.as_str()).collect();
                if old_versions == new_versions {
                    d.unchanged += olds.len();
                } else if olds.len() == 1 && news.len() == 1 {
                    d.changed.push((olds[0].clone(), news[0].clone()));
                } else {
                    // Several versions side by side: compare them as sets.
                    for o in olds
                        .iter()
                        .filter(|o| !new_versions.contains(&o.version.as_str()))
                    {
                        d.removed.push(o.clone());
                    }
                    for n in news
                        .iter()
                        .filter(|n| !old_versions.contains(&n.version.as_str()))
                    {
                        d.added.push(n.clone());
                    }
                    d.unchanged += olds
                        .iter()
                        .filter(|o| new_versions.contains(&o.version.as_str()))
                        .count();
                }
            }
        }
    }
    for (key, news) in &kb {
        if !ka.contains_key(key) {
            d.added.extend(news.iter().cloned());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, version: &str, purl: &str) -> Component {
        Component {
            name: name.into(),
            version: version.into(),
            purl: purl.into(),
            supplier: String::new(),
            kind: String::new(),
            hashes: Vec::new(),
        }
    }

    #[test]
    fn keys_ignore_versions_and_qualifiers() {
        assert_eq!(
            c("x", "1", "pkg:golang/github.com/Foo/bar@v1.2.3?type=module").key(),
            "pkg:golang/github.com/foo/bar"
        );
        assert_eq!(c("BusyBox", "1.36.1", "").key(), "busybox");
    }

    #[test]
    fn diff_finds_added_removed_and_changed() {
        let sbom = |cs: Vec<Component>| Sbom {
            format: "CycloneDX".into(),
            spec_version: "1.4".into(),
            encoding: "json".into(),
            name: "fw".into(),
            version: "1".into(),
            components: cs,
        };
        let a = sbom(vec![
            c("busybox", "1.29.3", ""),
            c("openssl", "1.1.1k", "pkg:generic/openssl@1.1.1k"),
            c("zlib", "1.2.11", ""),
        ]);
        let b = sbom(vec![
            c("busybox", "1.36.1", ""),
            c("openssl", "1.1.1k", "pkg:generic/openssl@1.1.1k"),
            c("curl", "8.0.1", ""),
        ]);
        let d = diff(&a, &b);
        assert_eq!(
            d.added.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["curl"]
        );
        assert_eq!(
            d.removed
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["zlib"]
        );
        assert_eq!(d.changed.len(), 1);
        assert_eq!(
            (
                d.changed[0].0.version.as_str(),
                d.changed[0].1.version.as_str()
            ),
            ("1.29.3", "1.36.1")
        );
        assert_eq!(d.unchanged, 1);
    }
}
