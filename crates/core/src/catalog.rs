//! Requirement catalogs: IEC 62443-3-3 system requirements (SR) and requirement enhancements
//! (RE) with the lowest security level at which each applies.
//!
//! A catalog is a CSV file (`id,fr,parent,level,scope,title`; `#` lines are comments) so that a
//! reviewer can read it and other parts of the series (62443-2-1 program requirements, 62443-4-2
//! component requirements) load the same way. The built-in 3-3 catalog
//! (`catalog/iec62443-3-3.csv`) carries identifiers, levels and otkeep's own short titles, never
//! the standard's text; customers import the text from their licensed copy (see
//! `otkeep catalog import`), which may also correct a level.

use crate::sl::SlVector;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The identifier of the built-in catalog.
pub const IEC_62443_3_3: &str = "iec62443-3-3";

const BUILTIN_3_3: &str = include_str!("../catalog/iec62443-3-3.csv");

/// Where a requirement is assessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Zone,
    Conduit,
}

/// One requirement (an SR, or an RE of an SR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// `SR 1.1`, `SR 1.1 RE 1`.
    pub id: String,
    /// Foundational requirement, 1–7.
    pub fr: u8,
    /// For an enhancement, the SR it enhances.
    pub parent: Option<String>,
    /// The lowest security level (1–4) at which it applies.
    pub level: u8,
    /// Assessed for conduits too (boundary and communication requirements).
    pub conduit: bool,
    /// A short title in otkeep's words.
    pub title: String,
}

impl Requirement {
    pub fn applies_to(&self, target: Target) -> bool {
        match target {
            Target::Zone => true,
            Target::Conduit => self.conduit,
        }
    }
}

/// A catalog file that cannot be read, with the line and column at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}, {field}: {message}")]
pub struct CatalogError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// A set of requirements, in file order.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub standard: String,
    pub requirements: Vec<Requirement>,
    index: HashMap<String, usize>,
}

impl Catalog {
    /// The built-in IEC 62443-3-3 catalog (its validity is a unit test).
    pub fn iec62443_3_3() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            Catalog::parse(IEC_62443_3_3, BUILTIN_3_3, "iec62443-3-3.csv").unwrap_or_else(|e| {
                // Only reachable if the file shipped in the binary is broken, which the unit
                // test `builtin_catalog_is_complete` rules out.
                panic!("built-in catalog is invalid: {e}")
            })
        })
    }

    /// Parses a catalog file. Every error names the line and the column.
    pub fn parse(standard: &str, text: &str, file: &str) -> Result<Catalog, CatalogError> {
        let err = |line: usize, field: &str, message: String| CatalogError {
            file: file.to_string(),
            line,
            field: field.to_string(),
            message,
        };
        let mut requirements: Vec<Requirement> = Vec::new();
        let mut index = HashMap::new();
        let mut header_seen = false;
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = trimmed.splitn(6, ',').map(str::trim).collect();
            if !header_seen {
                if cells != ["id", "fr", "parent", "level", "scope", "title"] {
                    return Err(err(
                        line,
                        "header",
                        "expected the header id,fr,parent,level,scope,title".into(),
                    ));
                }
                header_seen = true;
                continue;
            }
            let [id, fr, parent, level, scope, title] = cells[..] else {
                return Err(err(
                    line,
                    "row",
                    format!("expected 6 columns, found {}", cells.len()),
                ));
            };
            if id.is_empty() {
                return Err(err(line, "id", "is empty".into()));
            }
            if index.contains_key(id) {
                return Err(err(line, "id", format!("'{id}' appears twice")));
            }
            let fr: u8 = fr
                .parse()
                .ok()
                .filter(|f| (1..=7).contains(f))
                .ok_or_else(|| err(line, "fr", format!("'{fr}' is not 1 to 7")))?;
            let level: u8 = level
                .parse()
                .ok()
                .filter(|l| (1..=4).contains(l))
                .ok_or_else(|| err(line, "level", format!("'{level}' is not 1 to 4")))?;
            let conduit = match scope {
                "zone" => false,
                "zone+conduit" => true,
                other => {
                    return Err(err(
                        line,
                        "scope",
                        format!("'{other}' is neither 'zone' nor 'zone+conduit'"),
                    ));
                }
            };
            let parent = match parent {
                "" => None,
                p => {
                    let Some(&i) = index.get(p) else {
                        return Err(err(
                            line,
                            "parent",
                            format!("'{p}' is not an earlier requirement of this file"),
                        ));
                    };
                    let parent_req: &Requirement = &requirements[i];
                    if parent_req.fr != fr {
                        return Err(err(
                            line,
                            "parent",
                            format!("'{p}' belongs to FR {}, not FR {fr}", parent_req.fr),
                        ));
                    }
                    if parent_req.level > level {
                        return Err(err(
                            line,
                            "level",
                            format!(
                                "an enhancement cannot apply below its requirement '{p}' (level {})",
                                parent_req.level
                            ),
                        ));
                    }
                    Some(p.to_string())
                }
            };
            index.insert(id.to_string(), requirements.len());
            requirements.push(Requirement {
                id: id.to_string(),
                fr,
                parent,
                level,
                conduit,
                title: title.to_string(),
            });
        }
        if !header_seen {
            return Err(err(0, "header", "the file has no header line".into()));
        }
        Ok(Catalog {
            standard: standard.to_string(),
            requirements,
            index,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.index.get(id).map(|&i| &self.requirements[i])
    }

    /// The catalog with some applicability levels corrected (from a customer's licensed copy).
    pub fn with_levels(&self, levels: &HashMap<String, u8>) -> Catalog {
        let mut c = self.clone();
        for r in &mut c.requirements {
            if let Some(&l) = levels.get(&r.id) {
                r.level = l.clamp(1, 4);
            }
        }
        c
    }

    /// The requirements in force for a target with SL-T `sl_t`: those whose level is at most
    /// the target level of their FR.
    pub fn in_force(&self, sl_t: &SlVector, target: Target) -> impl Iterator<Item = &Requirement> {
        let t = sl_t.levels();
        self.requirements
            .iter()
            .filter(move |r| r.applies_to(target) && r.level <= t[usize::from(r.fr - 1)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_complete() {
        let c = Catalog::iec62443_3_3();
        let srs: Vec<&Requirement> = c
            .requirements
            .iter()
            .filter(|r| r.parent.is_none())
            .collect();
        assert_eq!(srs.len(), 51, "51 system requirements");
        let per_fr: Vec<usize> = (1..=7)
            .map(|f| srs.iter().filter(|r| r.fr == f).count())
            .collect();
        assert_eq!(per_fr, [13, 12, 9, 3, 4, 2, 8]);
        assert_eq!(c.requirements.len(), 100, "51 SRs and 49 REs");
        assert_eq!(
            c.get("SR 3.4").map(|r| r.level),
            Some(2),
            "2014 corrigendum"
        );
        assert_eq!(c.get("SR 1.1 RE 3").map(|r| r.level), Some(4));
        assert!(c.get("SR 5.2").is_some_and(|r| r.conduit));
        assert!(c.requirements.iter().all(|r| !r.title.is_empty()));
    }

    #[test]
    fn in_force_follows_the_target_vector() {
        let c = Catalog::iec62443_3_3();
        let none = SlVector::uniform(0);
        assert_eq!(c.in_force(&none, Target::Zone).count(), 0);
        let sl1 = SlVector::uniform(1);
        let at1: Vec<&str> = c
            .in_force(&sl1, Target::Zone)
            .map(|r| r.id.as_str())
            .collect();
        assert!(at1.contains(&"SR 1.1") && !at1.contains(&"SR 1.1 RE 1"));
        assert!(!at1.contains(&"SR 3.4"));
        let all = SlVector::uniform(4);
        assert_eq!(c.in_force(&all, Target::Zone).count(), 100);
        let conduit = c.in_force(&all, Target::Conduit).count();
        assert!(conduit > 10 && conduit < 100);
        // Only FR5 raised: only FR5 requirements join.
        let mut v = [1; 7];
        v[4] = 3;
        let fr5 = SlVector::new(v).expect("valid");
        let extra: Vec<&str> = c
            .in_force(&fr5, Target::Zone)
            .filter(|r| r.level > 1)
            .map(|r| r.id.as_str())
            .collect();
        assert!(extra.iter().all(|id| id.starts_with("SR 5.")), "{extra:?}");
        assert!(extra.contains(&"SR 5.2 RE 2"));
    }

    #[test]
    fn bad_files_name_line_and_field() {
        let e = Catalog::parse("x", "id,fr\n", "a.csv").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (1, "header"));
        let head = "id,fr,parent,level,scope,title\n";
        let e = Catalog::parse("x", &format!("{head}SR 1,9,,1,zone,t\n"), "a.csv").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (2, "fr"));
        let e = Catalog::parse("x", &format!("{head}SR 1,1,,5,zone,t\n"), "a.csv").unwrap_err();
        assert_eq!(e.field, "level");
        let e = Catalog::parse("x", &format!("{head}R 1,1,SR 9,1,zone,t\n"), "a.csv").unwrap_err();
        assert_eq!(e.field, "parent");
        let e = Catalog::parse(
            "x",
            &format!("{head}SR 1,1,,2,zone,t\nSR 1 RE 1,1,SR 1,1,zone,t\n"),
            "a.csv",
        )
        .unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (3, "level"));
        let e = Catalog::parse("x", &format!("{head}SR 1,1,,1,anywhere,t\n"), "a.csv").unwrap_err();
        assert_eq!(e.field, "scope");
        assert!(e.to_string().starts_with("a.csv, line 2, scope:"));
        let e = Catalog::parse("x", &format!("{head}SR 1,1,,1\n"), "a.csv").unwrap_err();
        assert_eq!(e.field, "row");
    }
}
