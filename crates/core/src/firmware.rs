//! Firmware versions and the version expressions of ICS advisories.
//!
//! ICS firmware versions are not semver: `V2.8.3`, `V01L001`, `R14B`, `V7.5 SP2 Update 15`,
//! `03.0.02`, `2020_U2`. [`FirmwareVersion`] tokenises them (digits and letters apart, `.`, `_`,
//! `-`, `/` and spaces as separators, a `V`/`FW`/`R` prefix dropped) and orders them by a
//! canonical key, so the order is total and consistent with equality:
//! - numbers compare as numbers (`03` = `3`, `10` > `9`);
//! - zeros before the end or before a word do not count (`1.0` = `1`, `5.7.0 SP2` = `5.7 SP2`);
//! - pre-release words (alpha, beta, rc, pre, dev) sort before the plain version, other words
//!   (SP, HF, Update, a letter revision) after it, and before a further number
//!   (`5.7` < `5.7 SP2` < `5.7.1`).
//!
//! [`VersionSpec`] reads what advisories write: `vers:` ranges (also CISA's `vers:all/…`, and
//! missing `|` as in `vers:all/>=V2.0<V2.1`), free-text comparisons (`<= 03.0.02`,
//! `>= V01L001 | < V02L061`), `A - B` ranges, exact versions and "all versions". An expression
//! it cannot evaluate is kept as [`VersionSpec::Unreadable`] ("needs review"), never dropped.

use std::cmp::Ordering;

/// One token of a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Token {
    /// Digits without leading zeros ("" for zero).
    Num(String),
    /// A pre-release word: alpha, beta, rc, pre, dev, preview.
    Pre(String),
    /// Any other word (SP, HF, update, a revision letter).
    Word(String),
}

impl Token {
    fn class(&self) -> u8 {
        match self {
            Token::Pre(_) => 0,
            Token::Word(_) => 2,
            Token::Num(_) => 3,
        }
    }
}

/// The end of a version sorts between pre-release words (before) and anything else (after).
const END_CLASS: u8 = 1;

fn cmp_token(a: &Token, b: &Token) -> Ordering {
    match (a, b) {
        (Token::Num(x), Token::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Token::Pre(x), Token::Pre(y)) | (Token::Word(x), Token::Word(y)) => x.cmp(y),
        _ => a.class().cmp(&b.class()),
    }
}

const PRE_WORDS: &[&str] = &["alpha", "beta", "rc", "pre", "preview", "dev"];

/// A firmware or software version, ordered as described in the module documentation.
#[derive(Debug, Clone)]
pub struct FirmwareVersion {
    text: String,
    key: Vec<Token>,
    /// Whether the first token (after the prefix) is a number.
    numeric: bool,
}

impl FirmwareVersion {
    /// Reads any text; the result is empty (and equal to "0") when it holds no token.
    pub fn parse(text: &str) -> FirmwareVersion {
        let lower = text.trim().to_lowercase();
        let body = strip_prefix(&lower);
        let mut raw = Vec::new();
        let mut current = String::new();
        let mut digits = false;
        let flush = |current: &mut String, digits: bool, raw: &mut Vec<Token>| {
            if current.is_empty() {
                return;
            }
            let t = std::mem::take(current);
            raw.push(if digits {
                Token::Num(t.trim_start_matches('0').to_string())
            } else if PRE_WORDS.contains(&t.as_str()) {
                Token::Pre(t)
            } else {
                Token::Word(t)
            });
        };
        for c in body.chars() {
            if c.is_ascii_digit() {
                if !digits {
                    flush(&mut current, digits, &mut raw);
                    digits = true;
                }
                current.push(c);
            } else if c.is_alphanumeric() {
                if digits {
                    flush(&mut current, digits, &mut raw);
                    digits = false;
                }
                current.push(c);
            } else {
                flush(&mut current, digits, &mut raw);
            }
        }
        flush(&mut current, digits, &mut raw);
        // Zeros that only precede the end or a word do not count.
        let mut key: Vec<Token> = Vec::with_capacity(raw.len());
        for (i, t) in raw.iter().enumerate() {
            let zero = matches!(t, Token::Num(n) if n.is_empty());
            if zero {
                let rest_is_zeros_then_boundary = raw[i..]
                    .iter()
                    .find(|t| !matches!(t, Token::Num(n) if n.is_empty()))
                    .is_none_or(|t| !matches!(t, Token::Num(_)));
                if rest_is_zeros_then_boundary {
                    continue;
                }
            }
            key.push(t.clone());
        }
        FirmwareVersion {
            text: text.trim().to_string(),
            numeric: matches!(raw.first(), Some(Token::Num(_))),
            key,
        }
    }

    /// The text it was read from.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it starts with a number once the prefix is dropped, or with one or two letters
    /// and a number (`M2.1.6.05`, `SV2.6`): the mark of a version as opposed to a product name
    /// or a sentence.
    pub fn looks_like_version(&self) -> bool {
        self.numeric
            || matches!(
                (self.key.first(), self.key.get(1)),
                (Some(Token::Word(w)), Some(Token::Num(_))) if w.len() <= 2
            )
    }
}

/// Drops the words written before a version (`V`, `FW`, `R`, `Version`, `Firmware`, `BIOS`,
/// `Web firmware v`), as long as a digit follows.
fn strip_prefix(s: &str) -> &str {
    const PREFIXES: &[&str] = &[
        "version", "firmware", "software", "web", "bios", "fw", "sw", "v", "r",
    ];
    let mut current = s;
    loop {
        let next = PREFIXES.iter().find_map(|p| {
            let rest = current.strip_prefix(p)?;
            let rest = rest.trim_start_matches([' ', '.', ':', '_', '-']);
            let leads_to_digit = strip_words(rest).starts_with(|c: char| c.is_ascii_digit());
            (leads_to_digit && rest.len() < current.len()).then_some(rest)
        });
        match next {
            Some(rest) => current = rest,
            None => return current,
        }
    }
}

/// `rest` without further prefix words, to see whether a digit follows them.
fn strip_words(rest: &str) -> &str {
    let mut r = rest;
    for p in ["firmware", "version", "v"] {
        if let Some(x) = r.strip_prefix(p) {
            r = x.trim_start_matches([' ', '.', ':', '_', '-']);
        }
    }
    r
}

impl PartialEq for FirmwareVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for FirmwareVersion {}

impl PartialOrd for FirmwareVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FirmwareVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0.. {
            match (self.key.get(i), other.key.get(i)) {
                (None, None) => return Ordering::Equal,
                (Some(a), None) => return a.class().cmp(&END_CLASS),
                (None, Some(b)) => return END_CLASS.cmp(&b.class()),
                (Some(a), Some(b)) => match cmp_token(a, b) {
                    Ordering::Equal => continue,
                    o => return o,
                },
            }
        }
        Ordering::Equal
    }
}

impl std::fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A comparison of a version range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }

    fn holds(self, o: Ordering) -> bool {
        match self {
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
            Op::Ge => o != Ordering::Less,
            Op::Gt => o == Ordering::Greater,
        }
    }
}

/// One constraint: an operator and a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub op: Op,
    pub version: FirmwareVersion,
}

/// What an advisory says about versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// Every version ("all versions", `vers:all/*`).
    All,
    /// Constraints joined as a `vers:` range: the version is in one of the intervals they
    /// bound, or equals an `=` constraint.
    Range(Vec<Constraint>),
    /// Text that cannot be evaluated: kept, and every match on it needs review.
    Unreadable(String),
}

/// The answer of a version check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Affected,
    NotAffected,
    /// The range cannot be evaluated, or the installed version is not known.
    Unknown,
}

impl VersionSpec {
    /// Reads a `product_version_range` or `product_version` text.
    pub fn parse(text: &str) -> VersionSpec {
        let original = text.trim();
        let cleaned = clean(original);
        let t = cleaned.as_str();
        // ASCII lower case keeps every byte offset, so positions found in `lower` are positions
        // in `t` (`İ` lower-cased is one byte longer).
        let lower = t.to_ascii_lowercase();
        if lower.is_empty() {
            return VersionSpec::Unreadable(original.to_string());
        }
        if matches!(
            lower.as_str(),
            "*" | "all" | "all versions" | "vers:all/*" | "vers:generic/*" | "all_versions"
        ) {
            return VersionSpec::All;
        }
        // `vers:<scheme>/<constraints>`; CISA writes `vers:all/…`.
        let body = match lower.strip_prefix("vers:") {
            Some(rest) => match rest.split_once('/') {
                Some((_, c)) => &t[t.len() - c.len()..],
                None => return VersionSpec::Unreadable(original.to_string()),
            },
            None => t,
        };
        if body.trim() == "*" {
            return VersionSpec::All;
        }
        // `A - B`: an inclusive range.
        if let Some((a, b)) = body.split_once(" - ") {
            let (a, b) = (FirmwareVersion::parse(a), FirmwareVersion::parse(b));
            if a.looks_like_version() && b.looks_like_version() {
                return VersionSpec::Range(vec![
                    Constraint {
                        op: Op::Ge,
                        version: a,
                    },
                    Constraint {
                        op: Op::Le,
                        version: b,
                    },
                ]);
            }
        }
        let mut constraints = Vec::new();
        for part in split_constraints(body) {
            match parse_constraint(&part) {
                Some(c) => constraints.push(c),
                None => return VersionSpec::Unreadable(original.to_string()),
            }
        }
        if constraints.is_empty() {
            return VersionSpec::Unreadable(original.to_string());
        }
        VersionSpec::Range(constraints)
    }

    /// Whether `installed` is in the range.
    pub fn check(&self, installed: &FirmwareVersion) -> Verdict {
        let range = match self {
            VersionSpec::All => return Verdict::Affected,
            VersionSpec::Unreadable(_) => return Verdict::Unknown,
            VersionSpec::Range(r) => r,
        };
        if !installed.looks_like_version() {
            return Verdict::Unknown;
        }
        let holds = |c: &Constraint| c.op.holds(installed.cmp(&c.version));
        if range.iter().any(|c| c.op == Op::Eq && holds(c)) {
            return Verdict::Affected;
        }
        if range.iter().any(|c| c.op == Op::Ne && !holds(c)) {
            return Verdict::NotAffected;
        }
        // The remaining comparators, sorted by version, bound intervals: a lower bound
        // (> or >=) opens one, an upper bound (< or <=) closes it.
        let mut bounds: Vec<&Constraint> = range
            .iter()
            .filter(|c| !matches!(c.op, Op::Eq | Op::Ne))
            .collect();
        bounds.sort_by(|a, b| a.version.cmp(&b.version));
        let mut i = 0;
        while i < bounds.len() {
            let c = bounds[i];
            match c.op {
                Op::Lt | Op::Le => {
                    // An upper bound with nothing open before it: everything below.
                    if holds(c) {
                        return Verdict::Affected;
                    }
                    i += 1;
                }
                _ => {
                    let upper = bounds
                        .get(i + 1)
                        .filter(|n| matches!(n.op, Op::Lt | Op::Le));
                    let inside = holds(c) && upper.is_none_or(|u| holds(u));
                    if inside {
                        return Verdict::Affected;
                    }
                    i += if upper.is_some() { 2 } else { 1 };
                }
            }
        }
        Verdict::NotAffected
    }

    /// The expression as a reader would write it (`>= 2.0, < 2.6`; "all versions").
    pub fn describe(&self) -> String {
        match self {
            VersionSpec::All => "all versions".into(),
            VersionSpec::Unreadable(t) => format!("'{t}' (needs review)"),
            VersionSpec::Range(r) => r
                .iter()
                .map(|c| format!("{} {}", c.op.symbol(), c.version))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// Repairs the malformed forms found in real advisories: a `vers:/_` stuck inside the text
/// (`>=vers:/_V5.4<V5.5_SP1`), dates written `April/20/2023` (read as `2023.04.20`).
fn clean(text: &str) -> String {
    let mut t = text.replace("vers:/_", "").replace("vers:/", "");
    const MONTHS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    // ASCII lower case keeps the byte offsets of `t` (see `VersionSpec::parse`).
    let lower = t.to_ascii_lowercase();
    for (i, m) in MONTHS.iter().enumerate() {
        if let Some(at) = lower.find(&format!("{m}/")) {
            let rest = &t[at + m.len() + 1..];
            let mut parts = rest.splitn(2, '/');
            let day = parts.next().unwrap_or("");
            let year: String = parts
                .next()
                .unwrap_or("")
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let (Ok(d), 4) = (day.parse::<u8>(), year.len()) {
                let end = at + m.len() + 1 + day.len() + 1 + year.len();
                t = format!("{}{year}.{:02}.{d:02}{}", &t[..at], i + 1, &t[end..]);
                break;
            }
        }
    }
    t
}

/// Splits `>=1.0|<2.0`, `>= V01 | < V02` and the `|`-less `>=V2.0<V2.1` into constraints.
fn split_constraints(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in body.split('|') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        // A second operator inside one part starts another constraint.
        let mut current = String::new();
        let chars: Vec<char> = part.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let is_op = matches!(c, '<' | '>' | '=' | '!');
            let starts_new = is_op
                && !current.trim().is_empty()
                && !current.trim_end().ends_with(['<', '>', '=', '!']);
            if starts_new {
                out.push(std::mem::take(&mut current).trim().to_string());
            }
            current.push(c);
            i += 1;
        }
        if !current.trim().is_empty() {
            out.push(current.trim().to_string());
        }
    }
    out
}

fn parse_constraint(part: &str) -> Option<Constraint> {
    let p = part.trim();
    let (op, rest) = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("!=", Op::Ne),
        ("==", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
        ("=", Op::Eq),
    ]
    .iter()
    .find_map(|(s, op)| p.strip_prefix(s).map(|r| (*op, r)))
    .unwrap_or((Op::Eq, p));
    let version = FirmwareVersion::parse(rest);
    version
        .looks_like_version()
        .then_some(Constraint { op, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> FirmwareVersion {
        FirmwareVersion::parse(s)
    }

    #[test]
    fn ics_versions_order() {
        let ascending = [
            "V1.0 beta",
            "1.0",
            "V1.0 SP1",
            "V1.0.1",
            "V1.2",
            "V1.10",
            "V2.8.3",
            "V2.9.7",
            "V7.5",
            "V7.5 SP2",
            "V7.5_SP2_Update_15",
            "V7.5 SP10",
            "V7.6",
        ];
        for pair in ascending.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("03.0.02"), v("3.0.2"));
        assert_eq!(v("V1.0"), v("1"));
        assert_eq!(v("FW 2.1"), v("2.1"));
        assert_eq!(v("V5.7.0 SP2"), v("V5.7 SP2"));
        assert!(v("V01L001") < v("V02L061"));
        assert!(v("R14A") < v("R14B"));
    }

    fn affected(spec: &str, installed: &str) -> Verdict {
        VersionSpec::parse(spec).check(&v(installed))
    }

    #[test]
    fn expressions_from_real_advisories() {
        use Verdict::*;
        let cases = [
            ("vers:all/<V5.0.0.0", "V4.9", Affected),
            ("vers:all/<V5.0.0.0", "V5.0", NotAffected),
            ("vers:all/>=V2.0<V2.1", "V2.0.5", Affected),
            ("vers:all/>=V2.0<V2.1", "V2.1", NotAffected),
            ("vers:all/*", "anything", Affected),
            ("<= 03.0.02", "3.0.2", Affected),
            ("<= 03.0.02", "3.0.3", NotAffected),
            (">= V01L001 | < V02L061", "V01L100", Affected),
            (">= V01L001 | < V02L061", "V02L061", NotAffected),
            ("<V7.5_SP2_Update_15", "V7.5 SP2 Update 14", Affected),
            ("<V7.5_SP2_Update_15", "V7.5 SP2 Update 15", NotAffected),
            ("<V5.7_SP2_HF1", "V5.7 SP2", Affected),
            (">=5.0|<7.17.0.0", "6.1", Affected),
            (">=5.0|<7.17.0.0", "4.9", NotAffected),
            (">=V0|<=V4", "V4", Affected),
            ("2.2.0", "2.2", Affected),
            ("2.2.0", "2.2.1", NotAffected),
            ("31  - 32", "31.5", Affected),
            ("<=2020_U2", "2020 U1", Affected),
            ("All versions", "1.0", Affected),
            ("<V223.0Update2", "V223.0 Update 1", Affected),
            (
                "<with_Nozomi_Guardian_/_CMC_V22.6.3_or_23.1.0",
                "22.0",
                Unknown,
            ),
            ("<vers:/_V21.1_HotfixRev12", "21.0", Affected),
            ("Advanced Edition for PRIMEFLEX V2.8.0.060", "2.8", Unknown),
            ("<V4.1", "", Unknown),
            (">=vers:/_V5.4<V5.5_SP1", "V5.5", Affected),
            (">=vers:/_V5.4<V5.5_SP1", "V5.5 SP1", NotAffected),
            ("<vers:/_V21.1_HotfixRev12", "V21.1 HotfixRev11", Affected),
            ("<BIOS_V1.0.212N", "BIOS V1.0.211", Affected),
            ("M2.1.6.05", "M2.1.6.5", Affected),
            ("<April/20/2023", "2023.04.19", Affected),
            ("<April/20/2023", "2023.05.01", NotAffected),
            ("Version v1.0", "1.0", Affected),
            ("<= 3.3-006 (with <= bacnetstac 4.2.1)", "3.3", Unknown),
        ];
        for (spec, installed, expected) in cases {
            assert_eq!(
                affected(spec, installed),
                expected,
                "{spec} with {installed}: {}",
                VersionSpec::parse(spec).describe()
            );
        }
    }
}
