//! Security level vectors: one level 0–4 for each IEC 62443 foundational requirement FR1–FR7.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Identifiers and our own short titles of the seven foundational requirements.
pub const FOUNDATIONAL_REQUIREMENTS: [(&str, &str); 7] = [
    ("FR1", "Identification and authentication control"),
    ("FR2", "Use control"),
    ("FR3", "System integrity"),
    ("FR4", "Data confidentiality"),
    ("FR5", "Restricted data flow"),
    ("FR6", "Timely response to events"),
    ("FR7", "Resource availability"),
];

/// Highest security level defined by IEC 62443.
pub const MAX_LEVEL: u8 = 4;

/// A security level vector: `levels[0]` is FR1, `levels[6]` is FR7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<u8>", into = "Vec<u8>")]
pub struct SlVector(pub [u8; 7]);

impl SlVector {
    pub fn uniform(level: u8) -> Self {
        SlVector([level.min(MAX_LEVEL); 7])
    }

    /// Builds a vector, refusing levels above 4.
    pub fn new(levels: [u8; 7]) -> Result<Self, String> {
        match levels.iter().position(|l| *l > MAX_LEVEL) {
            Some(i) => Err(format!(
                "FR{} level {} is out of range 0–4",
                i + 1,
                levels[i]
            )),
            None => Ok(SlVector(levels)),
        }
    }

    /// Parses "2,2,3,1,1,2,0", "2 2 3 1 1 2 0", "SL 2-2-3-1-1-2-0" or a single level "2".
    pub fn parse(text: &str) -> Result<Self, String> {
        let cleaned = text
            .trim()
            .trim_start_matches("SL-T")
            .trim_start_matches("SL");
        let parts: Vec<&str> = cleaned
            .split([',', ' ', '-', '/', ';'])
            .filter(|p| !p.is_empty())
            .collect();
        let levels: Vec<u8> = parts
            .iter()
            .map(|p| {
                p.parse::<u8>()
                    .map_err(|_| format!("'{p}' is not a security level (0–4)"))
            })
            .collect::<Result<_, _>>()?;
        match levels.len() {
            1 => {
                let l = levels[0];
                SlVector::new([l; 7])
            }
            7 => {
                let mut arr = [0u8; 7];
                arr.copy_from_slice(&levels);
                SlVector::new(arr)
            }
            n => Err(format!(
                "expected 7 levels (FR1–FR7) or a single level, found {n}"
            )),
        }
    }

    pub fn levels(&self) -> [u8; 7] {
        self.0
    }

    /// The highest level over all FRs.
    pub fn max_level(&self) -> u8 {
        self.0.iter().copied().max().unwrap_or(0)
    }
}

impl fmt::Display for SlVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|l| l.to_string()).collect();
        write!(f, "{}", parts.join(","))
    }
}

impl TryFrom<Vec<u8>> for SlVector {
    type Error = String;
    fn try_from(v: Vec<u8>) -> Result<Self, String> {
        if v.len() != 7 {
            return Err(format!("expected 7 levels (FR1–FR7), found {}", v.len()));
        }
        let mut arr = [0u8; 7];
        arr.copy_from_slice(&v);
        SlVector::new(arr)
    }
}

impl From<SlVector> for Vec<u8> {
    fn from(v: SlVector) -> Vec<u8> {
        v.0.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        assert_eq!(
            SlVector::parse("2,2,3,1,1,2,0").unwrap().levels(),
            [2, 2, 3, 1, 1, 2, 0]
        );
        assert_eq!(
            SlVector::parse("SL 2-2-3-1-1-2-0").unwrap().levels(),
            [2, 2, 3, 1, 1, 2, 0]
        );
        assert_eq!(SlVector::parse("3").unwrap(), SlVector::uniform(3));
    }

    #[test]
    fn refuses_bad_vectors_with_a_reason() {
        assert!(SlVector::parse("5").unwrap_err().contains("out of range"));
        assert!(SlVector::parse("1,2").unwrap_err().contains("expected 7"));
        assert!(
            SlVector::parse("a")
                .unwrap_err()
                .contains("not a security level")
        );
        assert!(serde_json::from_str::<SlVector>("[1,2,3]").is_err());
    }

    #[test]
    fn round_trips_through_json_and_text() {
        let v = SlVector([1, 2, 3, 4, 0, 1, 2]);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "[1,2,3,4,0,1,2]");
        assert_eq!(serde_json::from_str::<SlVector>(&json).unwrap(), v);
        assert_eq!(SlVector::parse(&v.to_string()).unwrap(), v);
    }
}
