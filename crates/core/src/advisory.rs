//! Security advisories (normalised from CSAF 2.0 by `otkeep_ingest::csaf`) and how they match
//! installed assets.
//!
//! Matching compares an advisory's products with an asset's vendor, model and firmware:
//! - vendors are compared after [`vendor_key`] (case, punctuation, legal suffixes such as
//!   "Inc." or "GmbH", and aliases such as "Allen-Bradley" → Rockwell Automation);
//! - a product matches by model number (the advisory's `model_numbers`, or an order number in
//!   parentheses in its name, against the asset's model) or by product family (the product
//!   name within the asset's model, on word boundaries);
//! - the version expression ([`crate::firmware::VersionSpec`]) is checked against the firmware.
//!
//! Every match carries its reason and a [`Confidence`].

use crate::firmware::{FirmwareVersion, Verdict, VersionSpec};
use serde::{Deserialize, Serialize};

/// One revision of an advisory's tracking history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub number: String,
    pub date: String,
    pub summary: String,
}

/// A product an advisory names, flattened from the CSAF product tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// The advisory's product id (`CSAFPID-0001`).
    pub id: String,
    pub vendor: String,
    /// The product (family) name of the `product_name` branch.
    pub name: String,
    /// The version or version range text (`vers:all/<V2.9.7`, `R15B`); empty when none.
    pub version: String,
    /// The full product name.
    pub full_name: String,
    pub model_numbers: Vec<String>,
    /// The package URL of the identification helper, when given.
    #[serde(default)]
    pub purl: String,
}

/// A CVSS score as the advisory gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `3.1`, `3.0`, `4.0`, `2.0`.
    pub version: String,
    pub vector: String,
    pub base_score: f64,
    pub severity: String,
}

/// A remediation (vendor fix, mitigation, workaround, …) for some products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    pub category: String,
    pub details: String,
    pub url: String,
    pub product_ids: Vec<String>,
}

/// One vulnerability of an advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    pub cve: String,
    pub cwe: String,
    pub title: String,
    pub cvss: Vec<Cvss>,
    pub known_affected: Vec<String>,
    pub fixed: Vec<String>,
    pub known_not_affected: Vec<String>,
    pub remediations: Vec<Remediation>,
    /// An exploit status threat says it is exploited.
    pub known_exploited: bool,
}

/// A normalised advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// `document.tracking.id` (`ICSA-23-005-01`).
    pub id: String,
    pub title: String,
    pub publisher: String,
    /// `document.tracking.version`.
    pub version: String,
    pub initial_release: String,
    pub current_release: String,
    pub status: String,
    pub revisions: Vec<Revision>,
    pub products: Vec<Product>,
    pub vulnerabilities: Vec<Vulnerability>,
}

impl Advisory {
    /// The highest base score of any vulnerability.
    pub fn max_score(&self) -> Option<f64> {
        self.vulnerabilities
            .iter()
            .flat_map(|v| v.cvss.iter().map(|c| c.base_score))
            .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))))
    }

    /// Severity of the highest score (CVSS qualitative scale).
    pub fn severity(&self) -> &'static str {
        severity_of(self.max_score())
    }

    pub fn known_exploited(&self) -> bool {
        self.vulnerabilities.iter().any(|v| v.known_exploited)
    }

    /// Whether version `other` of the same advisory is newer than this one: by tracking
    /// version, then by current release date.
    pub fn is_newer(&self, other: &Advisory) -> bool {
        let a = FirmwareVersion::parse(&self.version);
        let b = FirmwareVersion::parse(&other.version);
        a > b || a == b && self.current_release > other.current_release
    }

    /// The ids of products some vulnerability lists as known affected.
    pub fn affected_product_ids(&self) -> std::collections::BTreeSet<&str> {
        self.vulnerabilities
            .iter()
            .flat_map(|v| v.known_affected.iter().map(String::as_str))
            .collect()
    }
}

/// CVSS v3 qualitative severity of a score.
pub fn severity_of(score: Option<f64>) -> &'static str {
    match score {
        None => "none",
        Some(s) if s >= 9.0 => "critical",
        Some(s) if s >= 7.0 => "high",
        Some(s) if s >= 4.0 => "medium",
        Some(s) if s > 0.0 => "low",
        Some(_) => "none",
    }
}

const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "se",
    "sa",
    "spa",
    "srl",
    "bv",
    "nv",
    "kg",
    "ab",
    "as",
    "oy",
    "kk",
    "pty",
    "group",
];

/// The version of the matching rules (vendor keys, model and firmware comparison). Raise it
/// whenever a change makes stored matches differ from what matching now computes: each database
/// is then re-matched once, by one instance, in the background (`store::jobs`).
pub const MATCHER_VERSION: u32 = 1;

/// Built-in vendor aliases (normalised alias → normalised vendor). Users add their own.
pub const VENDOR_ALIASES: &[(&str, &str)] = &[
    ("allen bradley", "rockwell automation"),
    ("rockwell", "rockwell automation"),
    ("schneider", "schneider electric"),
    ("modicon", "schneider electric"),
    ("telemecanique", "schneider electric"),
    ("ge", "general electric"),
    ("ge vernova", "general electric"),
    ("ge digital", "general electric"),
    ("mitsubishi", "mitsubishi electric"),
    ("hitachi energy", "hitachi energy"),
    ("abb", "abb"),
    ("phoenix contact", "phoenix contact"),
    ("wago", "wago"),
    ("b r", "b r industrial automation"),
    ("b r automation", "b r industrial automation"),
    ("emerson process management", "emerson"),
    ("honeywell process solutions", "honeywell"),
    ("yokogawa electric", "yokogawa"),
];

/// A vendor name for comparison: lower case, punctuation and legal suffixes dropped, spaces
/// collapsed, then mapped through the aliases (built-in, then `extra`).
pub fn vendor_key(name: &str, extra: &[(String, String)]) -> String {
    let cleaned: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    let key = words.join(" ");
    for (alias, vendor) in extra {
        if vendor_key_plain(alias) == key {
            return vendor_key_plain(vendor);
        }
    }
    VENDOR_ALIASES
        .iter()
        .find(|(a, _)| *a == key)
        .map_or(key, |(_, v)| v.to_string())
}

fn vendor_key_plain(name: &str) -> String {
    vendor_key(name, &[])
}

/// A model or order number for comparison: upper case, without spaces, dots and dashes.
pub fn model_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || *c == '?' || *c == '*')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Whether model key `pattern` (with `?` for one character, `*` for any run, `x` never a
/// wildcard) matches `model`.
fn model_matches(pattern: &str, model: &str) -> bool {
    fn go(p: &[char], m: &[char]) -> bool {
        match (p.first(), m.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], m) || (!m.is_empty() && go(p, &m[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &m[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &m[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let m: Vec<char> = model.chars().collect();
    go(&p, &m)
}

/// The model numbers of a product: its helper's, else order numbers in parentheses in its
/// name (`SCALANCE X204-2TS (6GK5204-2BB10-2CA2)`).
pub fn model_numbers(p: &Product) -> Vec<String> {
    if !p.model_numbers.is_empty() {
        return p.model_numbers.clone();
    }
    let mut out = Vec::new();
    for text in [&p.name, &p.full_name] {
        let mut rest = text.as_str();
        while let Some(open) = rest.find('(') {
            let Some(close) = rest[open..].find(')') else {
                break;
            };
            let inner = &rest[open + 1..open + close];
            // An order number has digits and letters and no spaces.
            if inner.len() >= 6
                && !inner.contains(' ')
                && inner.chars().any(|c| c.is_ascii_digit())
                && !out.iter().any(|o: &String| o == inner)
            {
                out.push(inner.to_string());
            }
            rest = &rest[open + close..];
        }
    }
    out
}

/// Words of a text for family matching: lower case alphanumeric runs.
fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words of a product family (the name without a parenthesised order number), or `None`
/// when too short to mean anything (at least 3 characters, so that "X" does not match
/// everything).
fn family_words(name: &str) -> Option<Vec<String>> {
    let family = name.split('(').next().unwrap_or(name);
    let f = words(family);
    (!f.is_empty() && f.concat().len() >= 3).then_some(f)
}

#[cfg(test)]
fn family_matches(name: &str, model: &str) -> bool {
    family_words(name).is_some_and(|f| ModelFacts::new(model).has_run(&f))
}

/// How sure a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Product family matches, but the version cannot be checked (unknown firmware or an
    /// expression that needs review).
    FamilyVersionUnknown,
    /// Product family and version match.
    FamilyAndVersion,
    /// Model number and version match.
    ExactModelAndVersion,
}

impl Confidence {
    pub fn key(self) -> &'static str {
        match self {
            Confidence::FamilyVersionUnknown => "family_version_unknown",
            Confidence::FamilyAndVersion => "family_and_version",
            Confidence::ExactModelAndVersion => "exact_model_and_version",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Confidence::FamilyVersionUnknown => "product family, version unknown",
            Confidence::FamilyAndVersion => "product family and version",
            Confidence::ExactModelAndVersion => "exact model and version",
        }
    }
}

/// What an asset offers for matching.
#[derive(Debug, Clone, Copy)]
pub struct AssetFacts<'a> {
    pub vendor: &'a str,
    pub model: &'a str,
    pub firmware: &'a str,
}

/// A product of an advisory that affects an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub product_id: String,
    pub confidence: Confidence,
    pub reason: String,
}

/// An asset model prepared for matching (many assets share one model: prepare it once).
#[derive(Debug, Clone)]
pub struct ModelFacts {
    pub key: String,
    words: Vec<String>,
}

impl ModelFacts {
    pub fn new(model: &str) -> ModelFacts {
        ModelFacts {
            key: model_key(model),
            words: words(model),
        }
    }

    fn has_run(&self, run: &[String]) -> bool {
        self.words.windows(run.len()).any(|w| w == run)
    }
}

/// An affected product prepared for matching: vendor key, model keys, family words and the
/// version expression, computed once per advisory.
#[derive(Debug, Clone)]
pub struct CompiledProduct {
    pub id: String,
    pub vendor_key: String,
    vendor: String,
    name: String,
    models: Vec<(String, String)>,
    families: Vec<Vec<String>>,
    /// The product's purl without version (see `crate::sbom::Component::key`).
    purl_key: String,
    spec: VersionSpec,
}

/// The products of `advisory` that some vulnerability lists as known affected, prepared.
pub fn compile(advisory: &Advisory, aliases: &[(String, String)]) -> Vec<CompiledProduct> {
    let affected = advisory.affected_product_ids();
    advisory
        .products
        .iter()
        .filter(|p| affected.contains(p.id.as_str()))
        .map(|p| CompiledProduct {
            id: p.id.clone(),
            vendor_key: vendor_key(&p.vendor, aliases),
            vendor: p.vendor.trim().to_string(),
            name: p.name.clone(),
            models: model_numbers(p)
                .into_iter()
                .map(|n| (model_key(&n), n))
                .filter(|(k, _)| k.len() >= 4)
                .collect(),
            families: [&p.name, &p.full_name]
                .into_iter()
                .filter_map(|n| family_words(n))
                .collect(),
            purl_key: if p.purl.trim().is_empty() {
                String::new()
            } else {
                crate::sbom::purl_key(&p.purl)
            },
            spec: if p.version.trim().is_empty() {
                VersionSpec::All
            } else {
                VersionSpec::parse(&p.version)
            },
        })
        .collect()
}

/// How a product matched a model: by a model number (which), or by family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelMatch {
    Number(String),
    Family,
}

impl CompiledProduct {
    /// Whether the product is this model (by model number or product family).
    pub fn model_match(&self, model: &ModelFacts) -> Option<ModelMatch> {
        if let Some((_, n)) = self
            .models
            .iter()
            .find(|(k, _)| model_matches(k, &model.key) || model.key.contains(k.as_str()))
        {
            return Some(ModelMatch::Number(n.clone()));
        }
        self.families
            .iter()
            .any(|f| model.has_run(f))
            .then_some(ModelMatch::Family)
    }

    /// The match of an asset of a matching model, given its firmware; `None` when its version
    /// is not affected.
    pub fn check(&self, how: &ModelMatch, firmware: &FirmwareVersion) -> Option<Match> {
        let verdict = self.spec.check(firmware);
        if verdict == Verdict::NotAffected {
            return None;
        }
        let what = match how {
            ModelMatch::Number(n) => format!("model {n}"),
            ModelMatch::Family => format!("product family {}", self.name),
        };
        let fw = firmware.as_str();
        let version = match (verdict, fw) {
            (Verdict::Unknown, "") => {
                format!("firmware not recorded (affected: {})", self.spec.describe())
            }
            (Verdict::Unknown, fw) => {
                format!(
                    "firmware {fw} against {} needs review",
                    self.spec.describe()
                )
            }
            (_, "") if self.spec == VersionSpec::All => "all versions affected".to_string(),
            (_, fw) if self.spec == VersionSpec::All => {
                format!("firmware {fw}, all versions affected")
            }
            (_, fw) => format!("firmware {fw} in {}", self.spec.describe()),
        };
        let confidence = match (verdict, how) {
            (Verdict::Unknown, _) => Confidence::FamilyVersionUnknown,
            (_, ModelMatch::Number(_)) => Confidence::ExactModelAndVersion,
            (_, ModelMatch::Family) => Confidence::FamilyAndVersion,
        };
        Some(Match {
            product_id: self.id.clone(),
            confidence,
            reason: format!("vendor {}, {what}, {version}", self.vendor),
        })
    }
}

impl CompiledProduct {
    /// Whether an SBOM component is this product: the same package URL (without version),
    /// or the component's name (its last path segment) is the product family and its
    /// supplier, when given, is the vendor.
    pub fn component_match(&self, name: &str, purl: &str, supplier_key: &str) -> bool {
        if !self.purl_key.is_empty() && !purl.trim().is_empty() {
            return crate::sbom::purl_key(purl) == self.purl_key;
        }
        let base = name.rsplit('/').next().unwrap_or(name);
        let w = words(base);
        (supplier_key.is_empty() || supplier_key == self.vendor_key)
            && !w.is_empty()
            && self.families.contains(&w)
    }
}

/// Orders matches best first (confidence, then product id).
pub fn best_first(matches: &mut [Match]) {
    matches.sort_by(|a, b| {
        b.confidence
            .cmp(&a.confidence)
            .then(a.product_id.cmp(&b.product_id))
    });
}

/// The affected products of `advisory` that match `asset` (at most one per product, the best
/// first). Products the advisory does not list as known affected are not matched.
pub fn match_asset(
    advisory: &Advisory,
    asset: AssetFacts<'_>,
    aliases: &[(String, String)],
) -> Vec<Match> {
    let vendor = vendor_key(asset.vendor, aliases);
    if vendor.is_empty() || asset.model.trim().is_empty() {
        return Vec::new();
    }
    let model = ModelFacts::new(asset.model);
    let firmware = FirmwareVersion::parse(asset.firmware);
    let mut out: Vec<Match> = compile(advisory, aliases)
        .iter()
        .filter(|p| p.vendor_key == vendor)
        .filter_map(|p| {
            p.model_match(&model)
                .and_then(|how| p.check(&how, &firmware))
        })
        .collect();
    best_first(&mut out);
    out
}

/// Where the triage of one (advisory, asset) match stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Triage {
    New,
    UnderReview,
    Affected,
    NotAffected,
    RemediationPlanned,
    RiskAccepted,
    Resolved,
}

pub const TRIAGE_STATES: &[Triage] = &[
    Triage::New,
    Triage::UnderReview,
    Triage::Affected,
    Triage::NotAffected,
    Triage::RemediationPlanned,
    Triage::RiskAccepted,
    Triage::Resolved,
];

impl Triage {
    pub fn key(self) -> &'static str {
        match self {
            Triage::New => "new",
            Triage::UnderReview => "under_review",
            Triage::Affected => "affected",
            Triage::NotAffected => "not_affected",
            Triage::RemediationPlanned => "remediation_planned",
            Triage::RiskAccepted => "risk_accepted",
            Triage::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Triage::New => "New",
            Triage::UnderReview => "Under review",
            Triage::Affected => "Affected",
            Triage::NotAffected => "Not affected",
            Triage::RemediationPlanned => "Remediation planned",
            Triage::RiskAccepted => "Risk accepted",
            Triage::Resolved => "Resolved",
        }
    }

    pub fn from_key(key: &str) -> Option<Triage> {
        TRIAGE_STATES.iter().copied().find(|t| t.key() == key)
    }

    /// The states a match may move to from this one.
    pub fn next(self) -> &'static [Triage] {
        use Triage::*;
        match self {
            New => &[UnderReview, Affected, NotAffected],
            UnderReview => &[Affected, NotAffected],
            Affected => &[RemediationPlanned, RiskAccepted, NotAffected],
            NotAffected => &[UnderReview],
            RemediationPlanned => &[Resolved, RiskAccepted],
            RiskAccepted => &[RemediationPlanned, Resolved],
            Resolved => &[UnderReview],
        }
    }

    /// Whether the match still needs someone to act (for counts of open matches).
    pub fn is_open(self) -> bool {
        !matches!(self, Triage::NotAffected | Triage::Resolved)
    }
}

/// A requested triage step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageStep {
    pub to: Triage,
    pub justification: String,
    /// The record it links to: a treatment action (remediation planned) or an exception (risk
    /// accepted), as (kind name, id).
    pub link: Option<(String, i64)>,
}

/// Checks a triage step from `from`: allowed next state, a justification for "not affected", a
/// treatment action for "remediation planned", an exception for "risk accepted". Errors name
/// the field at fault.
pub fn check_triage(from: Triage, step: &TriageStep) -> Result<(), (&'static str, String)> {
    if !from.next().contains(&step.to) {
        let allowed: Vec<&str> = from.next().iter().map(|t| t.label()).collect();
        return Err((
            "status",
            format!(
                "a match that is {} can become: {}",
                from.label().to_lowercase(),
                allowed.join(", ").to_lowercase()
            ),
        ));
    }
    let link_kind = step.link.as_ref().map(|(k, _)| k.as_str());
    match step.to {
        Triage::NotAffected if step.justification.trim().is_empty() => Err((
            "justification",
            "say why the asset is not affected (e.g. the vulnerable service is disabled)".into(),
        )),
        Triage::RemediationPlanned if !matches!(link_kind, Some("treatment" | "change")) => Err((
            "link",
            "link the treatment action or change request that plans the remediation".into(),
        )),
        Triage::RiskAccepted if link_kind != Some("exception") => {
            Err(("link", "link the exception that accepts the risk".into()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triage_follows_its_workflow() {
        let step = |to, j: &str, link: Option<(&str, i64)>| TriageStep {
            to,
            justification: j.into(),
            link: link.map(|(k, i)| (k.to_string(), i)),
        };
        assert!(check_triage(Triage::New, &step(Triage::UnderReview, "", None)).is_ok());
        assert_eq!(
            check_triage(Triage::New, &step(Triage::Resolved, "", None))
                .unwrap_err()
                .0,
            "status"
        );
        assert_eq!(
            check_triage(Triage::UnderReview, &step(Triage::NotAffected, " ", None))
                .unwrap_err()
                .0,
            "justification"
        );
        assert!(
            check_triage(
                Triage::UnderReview,
                &step(Triage::NotAffected, "service off", None)
            )
            .is_ok()
        );
        assert_eq!(
            check_triage(
                Triage::Affected,
                &step(Triage::RiskAccepted, "", Some(("treatment", 1)))
            )
            .unwrap_err()
            .0,
            "link"
        );
        assert!(
            check_triage(
                Triage::Affected,
                &step(Triage::RiskAccepted, "", Some(("exception", 1)))
            )
            .is_ok()
        );
        assert!(
            check_triage(
                Triage::Affected,
                &step(Triage::RemediationPlanned, "", Some(("treatment", 1)))
            )
            .is_ok()
        );
        assert!(
            check_triage(
                Triage::RemediationPlanned,
                &step(Triage::Resolved, "", None)
            )
            .is_ok()
        );
        assert!(
            check_triage(
                Triage::Affected,
                &step(Triage::RemediationPlanned, "", Some(("change", 4)))
            )
            .is_ok(),
            "a change request may plan the remediation"
        );
        for t in TRIAGE_STATES {
            assert_eq!(Triage::from_key(t.key()), Some(*t));
        }
    }

    #[test]
    fn sbom_components_match_by_purl_or_name() {
        let product = |purl: &str| Product {
            id: "P1".into(),
            vendor: "OpenSSL Project".into(),
            name: "OpenSSL".into(),
            version: "<1.1.1l".into(),
            full_name: String::new(),
            model_numbers: Vec::new(),
            purl: purl.into(),
        };
        let advisory = |p: Product| Advisory {
            id: "X".into(),
            title: String::new(),
            publisher: String::new(),
            version: "1".into(),
            initial_release: String::new(),
            current_release: String::new(),
            status: String::new(),
            revisions: Vec::new(),
            products: vec![p],
            vulnerabilities: vec![Vulnerability {
                cve: "CVE-1".into(),
                cwe: String::new(),
                title: String::new(),
                cvss: Vec::new(),
                known_affected: vec!["P1".into()],
                fixed: Vec::new(),
                known_not_affected: Vec::new(),
                remediations: Vec::new(),
                known_exploited: false,
            }],
        };
        let by_purl = compile(&advisory(product("pkg:generic/openssl@1.1.1k")), &[]);
        assert!(by_purl[0].component_match("libssl", "pkg:generic/openssl@1.1.1j", ""));
        assert!(!by_purl[0].component_match("openssl", "pkg:npm/openssl@1.0", ""));
        let by_name = compile(&advisory(product("")), &[]);
        assert!(by_name[0].component_match("org.openssl/openssl", "", ""));
        assert!(by_name[0].component_match("OpenSSL", "", "openssl project"));
        assert!(!by_name[0].component_match("OpenSSL", "", "someone else"));
        let v = FirmwareVersion::parse("1.1.1k");
        assert!(by_name[0].check(&ModelMatch::Family, &v).is_some());
        assert!(
            by_name[0]
                .check(&ModelMatch::Family, &FirmwareVersion::parse("1.1.1l"))
                .is_none()
        );
    }

    #[test]
    fn vendors_normalise() {
        let none: &[(String, String)] = &[];
        assert_eq!(
            vendor_key("Rockwell Automation ", none),
            "rockwell automation"
        );
        assert_eq!(vendor_key("Allen-Bradley", none), "rockwell automation");
        assert_eq!(
            vendor_key("Mitsubishi Electric Corporation", none),
            "mitsubishi electric"
        );
        assert_eq!(vendor_key("Siemens AG", none), "siemens");
        assert_eq!(
            vendor_key("Schneider Electric SE", none),
            "schneider electric"
        );
        let mine = vec![("Acme Controls".to_string(), "Siemens".to_string())];
        assert_eq!(vendor_key("ACME controls, Inc.", &mine), "siemens");
    }

    #[test]
    fn order_numbers_in_names_and_wildcards() {
        let p = Product {
            id: "1".into(),
            vendor: "Siemens".into(),
            name: "SCALANCE X204-2TS (6GK5204-2BB10-2CA2)".into(),
            version: "<V5.2.6".into(),
            full_name: String::new(),
            model_numbers: Vec::new(),
            purl: String::new(),
        };
        assert_eq!(model_numbers(&p), ["6GK5204-2BB10-2CA2"]);
        assert!(model_matches(
            &model_key("6ES7 515-2AM0?-0AB0"),
            &model_key("6ES7515-2AM02-0AB0")
        ));
        assert!(!model_matches(
            &model_key("6ES7515-2AM0?-0AB0"),
            &model_key("6ES7515-2AN02-0AB0")
        ));
        assert!(family_matches(
            "SCALANCE X204-2TS (6GK5204-2BB10-2CA2)",
            "Siemens SCALANCE X204-2TS switch"
        ));
        assert!(!family_matches("X", "SCALANCE X204"));
        assert!(!family_matches("UNEM", "UNEMPLOYED"));
    }
}
