//! The risk method: how likelihood and consequences become a risk level, and who may accept
//! which level.
//!
//! An organization configures one method (a JSON document, see [`RiskMethod::parse`]); a site may
//! have its own when the organization's method allows site overrides. Methods are versioned in
//! the store and every risk assessment records the version it used, so that changing the
//! method never silently re-rates past assessments.
//!
//! Scoring: each consequence category is rated on the impact scale, the ratings combine into
//! one impact ([`Combine`]), and likelihood × impact is looked up in the matrix. The matrix is
//! derived from the levels' score thresholds (`score = likelihood × impact`) unless it is given
//! cell by cell.

use crate::access::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One step of a scale (likelihood or impact). Steps are numbered from 1 in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub label: String,
    #[serde(default)]
    pub description: String,
}

/// A consequence category (safety, production, …) rated on the impact scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Short stable key used in records (`safety`).
    pub key: String,
    pub label: String,
    /// What each impact step means for this category, in scale order (optional).
    #[serde(default)]
    pub steps: Vec<String>,
}

/// How the ratings of several categories combine into one impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The worst category decides (the usual choice).
    Maximum,
    /// The mean of the rated categories, rounded up.
    Average,
}

/// A risk level: from a score upwards, and the roles that may accept a risk at this level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub key: String,
    pub label: String,
    /// Lowest likelihood × impact score at this level (the first level starts at 1).
    pub from_score: u32,
    /// Roles that may accept (approve an exception at) this level; empty: nobody may accept.
    #[serde(default)]
    pub accepted_by: Vec<String>,
    /// Display colour (`#rrggbb`).
    #[serde(default)]
    pub colour: String,
}

/// A complete risk method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskMethod {
    pub name: String,
    pub likelihood: Vec<Step>,
    pub impact: Vec<Step>,
    pub categories: Vec<Category>,
    pub combine: Combine,
    /// Ordered from lowest to highest risk.
    pub levels: Vec<Level>,
    /// Optional explicit matrix: `matrix[likelihood - 1][impact - 1]` is a level key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matrix: Vec<Vec<String>>,
    /// Whether sites may configure their own method.
    #[serde(default)]
    pub allow_site_overrides: bool,
}

/// A problem in a method document, naming where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodError {
    /// A JSON path such as `levels[2].from_score`, or empty for the document.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for MethodError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A rated risk: the combined impact, the score and the level (index into `levels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    pub likelihood: u8,
    pub impact: u8,
    pub level: usize,
}

/// Consequence ratings per category key.
pub type Impacts = BTreeMap<String, u8>;

impl RiskMethod {
    /// The method otkeep starts with: 5 × 5, six categories, worst category decides, four
    /// levels (our own wording; replace it with your program's).
    pub fn default_method() -> RiskMethod {
        let step = |label: &str, description: &str| Step {
            label: label.into(),
            description: description.into(),
        };
        let category = |key: &str, label: &str| Category {
            key: key.into(),
            label: label.into(),
            steps: Vec::new(),
        };
        let level = |key: &str, label: &str, from: u32, by: &[&str], colour: &str| Level {
            key: key.into(),
            label: label.into(),
            from_score: from,
            accepted_by: by.iter().map(|s| s.to_string()).collect(),
            colour: colour.into(),
        };
        RiskMethod {
            name: "otkeep default 5×5".into(),
            likelihood: vec![
                step("Rare", "Not expected within the life of the system"),
                step(
                    "Unlikely",
                    "Could happen, no known attempts against similar plants",
                ),
                step("Possible", "Attempts against similar plants are known"),
                step("Likely", "Expected within a few years"),
                step("Almost certain", "Expected within a year"),
            ],
            impact: vec![
                step("Negligible", "No lasting effect"),
                step(
                    "Minor",
                    "Contained within the site, recovered within a shift",
                ),
                step("Moderate", "Lost batches or production days; reportable"),
                step(
                    "Major",
                    "Injury, environmental release or regulatory action",
                ),
                step(
                    "Severe",
                    "Fatality, major release, loss of licence to operate",
                ),
            ],
            categories: vec![
                category("safety", "Health and safety"),
                category("quality", "Quality / product"),
                category("production", "Production"),
                category("environment", "Environment"),
                category("financial", "Financial"),
                category("regulatory", "Regulatory"),
            ],
            combine: Combine::Maximum,
            levels: vec![
                level(
                    "low",
                    "Low",
                    1,
                    &["site_engineer", "program_owner", "admin"],
                    "#2e7d32",
                ),
                level(
                    "medium",
                    "Medium",
                    5,
                    &["program_owner", "admin"],
                    "#f9a825",
                ),
                level("high", "High", 10, &["program_owner"], "#ef6c00"),
                level("critical", "Critical", 17, &[], "#c62828"),
            ],
            matrix: Vec::new(),
            allow_site_overrides: false,
        }
    }

    /// Parses and checks a method document (JSON). Every problem is reported with its path.
    pub fn parse(json: &str) -> Result<RiskMethod, Vec<MethodError>> {
        let method: RiskMethod = serde_json::from_str(json).map_err(|e| {
            vec![MethodError {
                path: format!("line {}, column {}", e.line(), e.column()),
                message: e.to_string(),
            }]
        })?;
        method.validate()?;
        Ok(method)
    }

    /// Checks the method's consistency: scale sizes, unique keys, ascending thresholds, known
    /// roles, a matrix of the right shape naming known levels.
    pub fn validate(&self) -> Result<(), Vec<MethodError>> {
        let mut errors = Vec::new();
        let mut err = |path: String, message: String| errors.push(MethodError { path, message });
        if self.name.trim().is_empty() {
            err("name".into(), "give the method a name".into());
        }
        for (name, scale) in [("likelihood", &self.likelihood), ("impact", &self.impact)] {
            if !(2..=10).contains(&scale.len()) {
                err(
                    name.into(),
                    format!("needs 2 to 10 steps, has {}", scale.len()),
                );
            }
            for (i, s) in scale.iter().enumerate() {
                if s.label.trim().is_empty() {
                    err(format!("{name}[{i}].label"), "is empty".into());
                }
            }
        }
        if self.categories.is_empty() {
            err(
                "categories".into(),
                "name at least one consequence category".into(),
            );
        }
        let mut keys = Vec::new();
        for (i, c) in self.categories.iter().enumerate() {
            if !is_key(&c.key) {
                err(
                    format!("categories[{i}].key"),
                    format!("'{}' must be lower-case letters, digits or '_'", c.key),
                );
            }
            if keys.contains(&c.key.as_str()) {
                err(
                    format!("categories[{i}].key"),
                    format!("'{}' repeats", c.key),
                );
            }
            keys.push(&c.key);
            if !c.steps.is_empty() && c.steps.len() != self.impact.len() {
                err(
                    format!("categories[{i}].steps"),
                    format!(
                        "describes {} steps, the impact scale has {}",
                        c.steps.len(),
                        self.impact.len()
                    ),
                );
            }
        }
        if self.levels.is_empty() {
            err("levels".into(), "name at least one risk level".into());
        }
        let mut level_keys = Vec::new();
        for (i, l) in self.levels.iter().enumerate() {
            if !is_key(&l.key) {
                err(
                    format!("levels[{i}].key"),
                    format!("'{}' must be lower-case letters, digits or '_'", l.key),
                );
            }
            if level_keys.contains(&l.key.as_str()) {
                err(format!("levels[{i}].key"), format!("'{}' repeats", l.key));
            }
            level_keys.push(&l.key);
            if i == 0 && l.from_score != 1 {
                err(
                    "levels[0].from_score".into(),
                    "the lowest level must start at score 1".into(),
                );
            }
            if i > 0 && l.from_score <= self.levels[i - 1].from_score {
                err(
                    format!("levels[{i}].from_score"),
                    "must be above the previous level's".into(),
                );
            }
            for (j, r) in l.accepted_by.iter().enumerate() {
                if Role::from_key(r).is_none() {
                    err(
                        format!("levels[{i}].accepted_by[{j}]"),
                        format!(
                            "'{r}' is not a role (admin, program_owner, site_engineer, operator, auditor, vendor)"
                        ),
                    );
                }
            }
        }
        if !self.matrix.is_empty() {
            if self.matrix.len() != self.likelihood.len() {
                err(
                    "matrix".into(),
                    format!(
                        "has {} rows, the likelihood scale has {} steps",
                        self.matrix.len(),
                        self.likelihood.len()
                    ),
                );
            }
            for (i, row) in self.matrix.iter().enumerate() {
                if row.len() != self.impact.len() {
                    err(
                        format!("matrix[{i}]"),
                        format!(
                            "has {} cells, the impact scale has {} steps",
                            row.len(),
                            self.impact.len()
                        ),
                    );
                }
                for (j, key) in row.iter().enumerate() {
                    if !level_keys.contains(&key.as_str()) {
                        err(
                            format!("matrix[{i}][{j}]"),
                            format!("'{key}' is not a level"),
                        );
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The level (index) of likelihood `l` and impact `i`, both from 1; out-of-range values are
    /// clamped to the scales.
    pub fn level_of(&self, likelihood: u8, impact: u8) -> usize {
        let l = usize::from(likelihood.clamp(1, self.likelihood.len().max(1) as u8));
        let i = usize::from(impact.clamp(1, self.impact.len().max(1) as u8));
        if let Some(key) = self.matrix.get(l - 1).and_then(|row| row.get(i - 1))
            && let Some(found) = self.levels.iter().position(|lv| &lv.key == key)
        {
            return found;
        }
        let score = (l * i) as u32;
        self.levels
            .iter()
            .rposition(|lv| lv.from_score <= score)
            .unwrap_or(0)
    }

    /// The combined impact of ratings per category (unknown categories are ignored; none rated
    /// is impact 0).
    pub fn combined_impact(&self, impacts: &Impacts) -> u8 {
        let rated: Vec<u8> = self
            .categories
            .iter()
            .filter_map(|c| impacts.get(&c.key).copied())
            .filter(|v| *v > 0)
            .collect();
        if rated.is_empty() {
            return 0;
        }
        match self.combine {
            Combine::Maximum => rated.iter().copied().max().unwrap_or(0),
            Combine::Average => {
                let sum: u32 = rated.iter().map(|v| u32::from(*v)).sum();
                sum.div_ceil(rated.len() as u32) as u8
            }
        }
    }

    /// Rates a risk; `None` when likelihood or every impact is missing (0).
    pub fn rate(&self, likelihood: u8, impacts: &Impacts) -> Option<Rating> {
        let impact = self.combined_impact(impacts);
        if likelihood == 0 || impact == 0 {
            return None;
        }
        let likelihood = likelihood.min(self.likelihood.len() as u8);
        let impact = impact.min(self.impact.len() as u8);
        Some(Rating {
            likelihood,
            impact,
            level: self.level_of(likelihood, impact),
        })
    }

    /// The level whose key is `key`.
    pub fn level(&self, key: &str) -> Option<usize> {
        self.levels.iter().position(|l| l.key == key)
    }

    /// Whether a holder of `role` may accept a risk at level `level`.
    pub fn may_accept(&self, role: Role, level: usize) -> bool {
        self.levels
            .get(level)
            .is_some_and(|l| l.accepted_by.iter().any(|r| r == role.key()))
    }

    /// The whole matrix as level indexes, `[likelihood - 1][impact - 1]`.
    pub fn grid(&self) -> Vec<Vec<usize>> {
        (1..=self.likelihood.len() as u8)
            .map(|l| {
                (1..=self.impact.len() as u8)
                    .map(|i| self.level_of(l, i))
                    .collect()
            })
            .collect()
    }
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Parses consequence ratings written `safety=4, production=3` (the form of the `impacts`
/// field). Keys are checked against a method when rating, not here.
pub fn parse_impacts(text: &str) -> Result<Impacts, String> {
    let mut out = Impacts::new();
    for part in text
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (key, value) = part
            .split_once(['=', ':'])
            .ok_or_else(|| format!("'{part}' should be written category=level, e.g. safety=3"))?;
        let key = key.trim().to_lowercase();
        if !is_key(&key) {
            return Err(format!("'{key}' is not a category key"));
        }
        let value: u8 = value
            .trim()
            .parse()
            .ok()
            .filter(|v| (1..=10).contains(v))
            .ok_or_else(|| format!("'{}' is not a level from 1 to 10", value.trim()))?;
        if out.insert(key.clone(), value).is_some() {
            return Err(format!("category '{key}' is rated twice"));
        }
    }
    Ok(out)
}

/// The text form of ratings (`production=3, safety=4`), as [`parse_impacts`] reads it.
pub fn impacts_text(impacts: &Impacts) -> String {
    impacts
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impacts(pairs: &[(&str, u8)]) -> Impacts {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn the_default_method_is_valid_and_rates_by_threshold() {
        let m = RiskMethod::default_method();
        m.validate().unwrap();
        assert_eq!(m.levels[m.level_of(1, 1)].key, "low");
        assert_eq!(m.levels[m.level_of(1, 4)].key, "low");
        assert_eq!(m.levels[m.level_of(5, 1)].key, "medium");
        assert_eq!(m.levels[m.level_of(2, 5)].key, "high");
        assert_eq!(m.levels[m.level_of(4, 5)].key, "critical");
        let r = m
            .rate(3, &impacts(&[("safety", 4), ("production", 2)]))
            .unwrap();
        assert_eq!(
            (r.likelihood, r.impact),
            (3, 4),
            "the worst category decides"
        );
        assert_eq!(m.levels[r.level].key, "high");
        assert_eq!(m.rate(0, &impacts(&[("safety", 4)])), None);
        assert_eq!(m.rate(3, &Impacts::new()), None);
    }

    #[test]
    fn average_and_explicit_matrix() {
        let mut m = RiskMethod::default_method();
        m.combine = Combine::Average;
        assert_eq!(
            m.combined_impact(&impacts(&[("safety", 4), ("quality", 1)])),
            3
        );
        m.matrix = vec![vec!["low".to_string(); 5]; 5];
        m.matrix[4][4] = "critical".into();
        m.validate().unwrap();
        assert_eq!(m.levels[m.level_of(5, 4)].key, "low");
        assert_eq!(m.levels[m.level_of(5, 5)].key, "critical");
    }

    #[test]
    fn acceptance_authority_follows_the_level() {
        let m = RiskMethod::default_method();
        let high = m.level("high").unwrap();
        assert!(m.may_accept(Role::ProgramOwner, high));
        assert!(!m.may_accept(Role::SiteEngineer, high));
        assert!(!m.may_accept(Role::Admin, m.level("critical").unwrap()));
    }

    #[test]
    fn bad_documents_name_the_place() {
        let mut m = RiskMethod::default_method();
        m.levels[2].from_score = 3;
        m.levels[1].accepted_by.push("boss".into());
        m.categories[1].key = "safety".into();
        m.matrix = vec![vec!["low".into(); 5]; 4];
        let errors = m.validate().unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "categories[1].key",
                "levels[1].accepted_by[2]",
                "levels[2].from_score",
                "matrix"
            ]
        );
        let json = serde_json::to_string(&RiskMethod::default_method()).unwrap();
        assert_eq!(
            RiskMethod::parse(&json).unwrap(),
            RiskMethod::default_method()
        );
        let e = RiskMethod::parse("{\"name\": 3}").unwrap_err();
        assert!(e[0].path.starts_with("line 1"), "{e:?}");
        assert!(RiskMethod::parse("{").is_err());
    }

    #[test]
    fn impacts_parse_and_print() {
        let i = parse_impacts("Safety=4; production: 2").unwrap();
        assert_eq!(i, impacts(&[("safety", 4), ("production", 2)]));
        assert_eq!(impacts_text(&i), "production=2, safety=4");
        assert!(parse_impacts("safety").is_err());
        assert!(parse_impacts("safety=11").is_err());
        assert!(parse_impacts("safety=1, safety=2").is_err());
        assert_eq!(parse_impacts("").unwrap(), Impacts::new());
    }
}
