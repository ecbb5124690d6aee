//! Typed field values, records, and the total parsers that turn user input (form text, CSV
//! cells, JSON) into values, with an error naming the field.

use crate::kind::{Field, FieldType, KindDef};
use crate::sl::SlVector;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Longest accepted long text (characters).
pub const LONG_TEXT_MAX: usize = 20_000;

/// One communication channel of a conduit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Application protocol, e.g. `Modbus/TCP`, `S7comm`, `OPC UA`, `HTTPS`.
    pub protocol: String,
    /// Port number, absent for protocols without one (PROFINET RT, GOOSE).
    #[serde(default)]
    pub port: Option<u16>,
    /// `tcp`, `udp` or `l2`.
    #[serde(default = "default_transport")]
    pub transport: String,
    /// `a_to_b`, `b_to_a` or `both`.
    #[serde(default = "default_direction")]
    pub direction: String,
}

fn default_transport() -> String {
    "tcp".into()
}
fn default_direction() -> String {
    "a_to_b".into()
}

pub const TRANSPORTS: [&str; 3] = ["tcp", "udp", "l2"];
pub const DIRECTIONS: [(&str, &str); 3] =
    [("a_to_b", "A → B"), ("b_to_a", "B → A"), ("both", "A ↔ B")];

impl Channel {
    /// Checks protocol, transport and direction; normalises case.
    pub fn validated(mut self) -> Result<Channel, String> {
        self.protocol = self.protocol.trim().to_string();
        if self.protocol.is_empty() {
            return Err("a channel needs a protocol".into());
        }
        if self.protocol.chars().count() > 60 {
            return Err("a channel protocol is at most 60 characters".into());
        }
        self.transport = self.transport.trim().to_ascii_lowercase();
        if !TRANSPORTS.contains(&self.transport.as_str()) {
            return Err(format!(
                "transport '{}' is not one of tcp, udp, l2",
                self.transport
            ));
        }
        self.direction = self.direction.trim().to_ascii_lowercase();
        if !DIRECTIONS.iter().any(|(k, _)| *k == self.direction) {
            return Err(format!(
                "direction '{}' is not one of a_to_b, b_to_a, both",
                self.direction
            ));
        }
        if self.transport == "l2" && self.port.is_some() {
            return Err("a layer-2 channel has no port".into());
        }
        if self.port == Some(0) {
            return Err("port 0 is not a valid port".into());
        }
        Ok(self)
    }

    /// Parses the text form `protocol port/transport direction`, e.g. `Modbus/TCP 502/tcp a_to_b`
    /// or `PROFINET RT l2 both`.
    pub fn parse(text: &str) -> Result<Channel, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() < 2 {
            return Err(format!(
                "channel '{text}' should read 'protocol port/transport direction', e.g. 'Modbus/TCP 502/tcp a_to_b'"
            ));
        }
        let direction = parts[parts.len() - 1];
        let endpoint = parts[parts.len() - 2];
        let protocol = parts[..parts.len() - 2].join(" ");
        let (port, transport) = if endpoint.eq_ignore_ascii_case("l2") {
            (None, "l2".to_string())
        } else {
            let (port, transport) = endpoint.split_once('/').unwrap_or((endpoint, "tcp"));
            let port: u16 = port
                .parse()
                .map_err(|_| format!("'{port}' is not a port number (1–65535)"))?;
            (Some(port), transport.to_string())
        };
        Channel {
            protocol,
            port,
            transport,
            direction: direction.to_string(),
        }
        .validated()
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.port {
            Some(p) => write!(
                f,
                "{} {}/{} {}",
                self.protocol, p, self.transport, self.direction
            ),
            None => write!(f, "{} l2 {}", self.protocol, self.direction),
        }
    }
}

/// A typed field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Sl(SlVector),
    Channels(Vec<Channel>),
    /// Ids of referenced records (a reference list), in order, without repeats.
    Ids(Vec<i64>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// The record ids a reference (one id) or a reference list (any number) holds.
    pub fn ids(&self) -> &[i64] {
        match self {
            Value::Int(i) => std::slice::from_ref(i),
            Value::Ids(ids) => ids,
            _ => &[],
        }
    }

    /// The value as JSON (the API and the audit trail use this form).
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Text(s) => Json::String(s.clone()),
            Value::Int(i) => json!(i),
            Value::Bool(b) => json!(b),
            Value::Sl(v) => json!(v.levels()),
            Value::Channels(c) => json!(c),
            Value::Ids(ids) => json!(ids),
        }
    }

    /// The value as one line of text (CSV cells, form inputs).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            Value::Sl(v) => v.to_string(),
            Value::Channels(c) => c
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            Value::Ids(ids) => ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// Field values of one record, keyed by field name.
pub type Values = BTreeMap<&'static str, Value>;

/// A problem with one field (or with the record as a whole when `field` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// A stored record: its kind, id, version (for optimistic concurrency) and values.
#[derive(Debug, Clone)]
pub struct Record {
    pub kind: &'static KindDef,
    pub id: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub values: Values,
}

impl Record {
    pub fn get(&self, field: &str) -> &Value {
        self.values.get(field).unwrap_or(&Value::Null)
    }

    /// The record's title (its name, or `kind #id` when the title is empty).
    pub fn title(&self) -> String {
        match self.get(self.kind.title_field) {
            Value::Null => format!("{} #{}", self.kind.label, self.id),
            v => v.to_text(),
        }
    }

    /// The id of the site the record belongs to (its own id for a site).
    pub fn site_id(&self) -> Option<i64> {
        match self.kind.site_field {
            Some(f) => self.get(f).as_int(),
            None if self.kind.name == "site" => Some(self.id),
            None => None,
        }
    }

    /// The record as a JSON object: `id`, `version`, timestamps and every field.
    pub fn to_json(&self) -> Json {
        let mut map = Map::new();
        map.insert("id".into(), json!(self.id));
        map.insert("version".into(), json!(self.version));
        map.insert("created_at".into(), json!(self.created_at));
        map.insert("updated_at".into(), json!(self.updated_at));
        for f in self.kind.fields {
            map.insert(f.name.into(), self.get(f.name).to_json());
        }
        Json::Object(map)
    }
}

/// Parses one field from text (a form input or a CSV cell). Empty text is `Null`.
pub fn parse_text(field: &Field, raw: &str) -> Result<Value, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(match field.ty {
            FieldType::Bool => Value::Bool(false),
            FieldType::Channels => Value::Channels(Vec::new()),
            FieldType::Refs(_) => Value::Ids(Vec::new()),
            _ => Value::Null,
        });
    }
    match field.ty {
        FieldType::Text { max } => {
            if text.contains(['\n', '\r']) {
                return Err("must be a single line".into());
            }
            check_len(text, max)?;
            Ok(Value::Text(text.to_string()))
        }
        FieldType::LongText => {
            check_len(text, LONG_TEXT_MAX)?;
            Ok(Value::Text(raw.trim_end().replace("\r\n", "\n")))
        }
        FieldType::Code { max } => {
            check_len(text, max)?;
            if !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err("may contain only letters, digits, '-' and '_'".into());
            }
            Ok(Value::Text(text.to_ascii_uppercase()))
        }
        FieldType::Int { min, max } => {
            let i: i64 = text
                .parse()
                .map_err(|_| format!("'{text}' is not a whole number"))?;
            if i < min || i > max {
                return Err(format!("must be between {min} and {max}"));
            }
            Ok(Value::Int(i))
        }
        FieldType::Ref(_) => {
            let i: i64 = text
                .parse()
                .map_err(|_| format!("'{text}' is not a record id"))?;
            Ok(Value::Int(i))
        }
        FieldType::Refs(_) => {
            let mut ids = Vec::new();
            for part in split_list(text) {
                let id: i64 = part
                    .strip_prefix('#')
                    .unwrap_or(part)
                    .parse()
                    .map_err(|_| format!("'{part}' is not a record id"))?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Ok(Value::Ids(ids))
        }
        FieldType::Bool => match text.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "y" | "on" | "x" => Ok(Value::Bool(true)),
            "0" | "false" | "no" | "n" | "off" => Ok(Value::Bool(false)),
            _ => Err(format!("'{text}' is not yes or no")),
        },
        FieldType::Choice(choices) => choices
            .iter()
            .find(|c| c.key.eq_ignore_ascii_case(text) || c.label.eq_ignore_ascii_case(text))
            .map(|c| Value::Text(c.key.to_string()))
            .ok_or_else(|| {
                let keys: Vec<&str> = choices.iter().map(|c| c.key).collect();
                format!("'{text}' is not one of: {}", keys.join(", "))
            }),
        FieldType::Date => parse_date(text).map(|d| Value::Text(d.to_string())),
        FieldType::DateTime => parse_datetime(text).map(|d| Value::Text(datetime_text(d))),
        FieldType::TimeZone => jiff::tz::TimeZone::get(text)
            .map(|_| Value::Text(text.to_string()))
            .map_err(|_| format!("'{text}' is not a known time zone (e.g. Europe/Berlin, UTC)")),
        FieldType::IpList => {
            let mut out = Vec::new();
            for part in split_list(text) {
                let ip: IpAddr = part
                    .parse()
                    .map_err(|_| format!("'{part}' is not an IP address"))?;
                out.push(ip.to_string());
            }
            Ok(Value::Text(out.join(", ")))
        }
        FieldType::SubnetList => {
            let mut out = Vec::new();
            for part in split_list(text) {
                out.push(Subnet::parse(part)?.to_string());
            }
            Ok(Value::Text(out.join(", ")))
        }
        FieldType::MacList => {
            let mut out = Vec::new();
            for part in split_list(text) {
                out.push(normalise_mac(part)?);
            }
            Ok(Value::Text(out.join(", ")))
        }
        FieldType::SlVector => SlVector::parse(text).map(Value::Sl),
        FieldType::Checklist => {
            let items = checklist_items(text);
            Ok(Value::Text(
                items
                    .iter()
                    .map(|(done, item)| format!("[{}] {item}", if *done { "x" } else { " " }))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ))
        }
        FieldType::Impacts => crate::risk::parse_impacts(text).map(|i| {
            if i.is_empty() {
                Value::Null
            } else {
                Value::Text(crate::risk::impacts_text(&i))
            }
        }),
        FieldType::Channels => {
            let channels = text
                .split([';', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Channel::parse)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Channels(channels))
        }
    }
}

/// Parses one field from JSON (the API). Strings go through [`parse_text`].
pub fn parse_json(field: &Field, json: &Json) -> Result<Value, String> {
    match (field.ty, json) {
        (_, Json::Null) => parse_text(field, ""),
        (_, Json::String(s)) => parse_text(field, s),
        (FieldType::Int { .. } | FieldType::Ref(_), Json::Number(n)) => match n.as_i64() {
            Some(i) => parse_text(field, &i.to_string()),
            None => Err(format!("{n} is not a whole number")),
        },
        (FieldType::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (FieldType::SlVector, Json::Array(_)) => serde_json::from_value::<SlVector>(json.clone())
            .map(Value::Sl)
            .map_err(|e| e.to_string()),
        (FieldType::SlVector, Json::Number(_)) => parse_text(field, &json.to_string()),
        (FieldType::Channels, Json::Array(items)) => items
            .iter()
            .map(|item| {
                serde_json::from_value::<Channel>(item.clone())
                    .map_err(|e| format!("channel {item}: {e}"))
                    .and_then(Channel::validated)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Channels),
        (FieldType::Refs(_), Json::Array(items)) => {
            let mut ids = Vec::new();
            for item in items {
                let id = match item {
                    Json::Number(n) => n.as_i64(),
                    Json::String(s) => s.trim().trim_start_matches('#').parse().ok(),
                    _ => None,
                }
                .ok_or_else(|| format!("{item} is not a record id"))?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Ok(Value::Ids(ids))
        }
        (FieldType::Refs(_), Json::Number(_)) => parse_text(field, &json.to_string()),
        _ => Err(format!("unexpected JSON value {json}")),
    }
}

/// Parses all fields of a kind from text inputs, then runs the kind's own checks.
/// Missing keys are treated as empty. Every problem is reported, not just the first.
pub fn values_from_text(
    kind: &KindDef,
    input: &BTreeMap<String, String>,
) -> Result<Values, Vec<FieldError>> {
    collect(kind, |f| {
        parse_text(f, input.get(f.name).map(String::as_str).unwrap_or(""))
    })
}

/// Parses all fields of a kind from a JSON object. Unknown keys are refused so that typos are
/// not silently dropped; `id`, `version` and the timestamps are ignored.
pub fn values_from_json(kind: &KindDef, input: &Json) -> Result<Values, Vec<FieldError>> {
    let Some(obj) = input.as_object() else {
        return Err(vec![FieldError::new("", "expected a JSON object")]);
    };
    let mut errors: Vec<FieldError> = obj
        .keys()
        .filter(|k| {
            !matches!(k.as_str(), "id" | "version" | "created_at" | "updated_at")
                && kind.field(k).is_none()
        })
        .map(|k| FieldError::new(k, format!("{} has no field '{k}'", kind.label)))
        .collect();
    match collect(kind, |f| {
        parse_json(f, obj.get(f.name).unwrap_or(&Json::Null))
    }) {
        Ok(values) if errors.is_empty() => Ok(values),
        Ok(_) => Err(errors),
        Err(mut more) => {
            errors.append(&mut more);
            Err(errors)
        }
    }
}

fn collect(
    kind: &KindDef,
    mut parse: impl FnMut(&Field) -> Result<Value, String>,
) -> Result<Values, Vec<FieldError>> {
    let mut values = Values::new();
    let mut errors = Vec::new();
    for field in kind.fields {
        match parse(field) {
            Ok(Value::Null) if field.required => errors.push(FieldError::new(
                field.name,
                format!("{} is required", field.label),
            )),
            Ok(Value::Ids(ids)) if field.required && ids.is_empty() => errors.push(
                FieldError::new(field.name, format!("name at least one: {}", field.label)),
            ),
            Ok(v) => {
                values.insert(field.name, v);
            }
            Err(message) => errors.push(FieldError::new(field.name, message)),
        }
    }
    if errors.is_empty() {
        errors = (kind.check)(&values);
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// First characters that make a spreadsheet evaluate a cell as a formula ("CSV injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written to a spreadsheet file: text that a spreadsheet would run as a formula gets
/// a leading `'`, which Excel and LibreOffice show as plain text. [`formula_unguarded`] undoes it.
pub fn formula_guarded(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A cell as read from a spreadsheet file: removes the `'` that [`formula_guarded`] added.
pub fn formula_unguarded(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

fn check_len(text: &str, max: usize) -> Result<(), String> {
    let n = text.chars().count();
    if n > max {
        Err(format!("is {n} characters long; at most {max} are allowed"))
    } else {
        Ok(())
    }
}

/// The items of a checklist text: `(done, item)` per non-empty line; a line starting with
/// `[x]` (or `[X]`) is done, `[ ]` or nothing is not.
pub fn checklist_items(text: &str) -> Vec<(bool, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            if let Some(rest) = l.strip_prefix("[x]").or_else(|| l.strip_prefix("[X]")) {
                (true, rest.trim().to_string())
            } else if let Some(rest) = l.strip_prefix("[ ]").or_else(|| l.strip_prefix("[]")) {
                (false, rest.trim().to_string())
            } else {
                (false, l.to_string())
            }
        })
        .filter(|(_, item)| !item.is_empty())
        .collect()
}

/// A date in ISO form, `2026-11-27` (what date inputs send; a date-time keeps its date part).
/// Local forms such as `27.11.2026` or `11/27/2026` are refused: their order is ambiguous.
pub fn parse_date(text: &str) -> Result<jiff::civil::Date, String> {
    let t = text.trim();
    // A date-time (from an export or an API client) keeps its date part.
    let day = t.split(['T', ' ']).next().unwrap_or(t);
    day.parse::<jiff::civil::Date>()
        .map_err(|_| format!("'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"))
}

/// Parses a local date and time: `YYYY-MM-DDTHH:MM`, with a space instead of the `T`, with
/// seconds (dropped), or a date alone (midnight).
pub fn parse_datetime(text: &str) -> Result<jiff::civil::DateTime, String> {
    let t = text.trim();
    let err = || {
        format!(
            "'{text}' is not a date and time; write it as YYYY-MM-DD HH:MM, e.g. 2026-03-31 14:30"
        )
    };
    if t.len() == 10 {
        return parse_date(t).map(|d| d.at(0, 0, 0, 0)).map_err(|_| err());
    }
    let normal = t.replacen(' ', "T", 1);
    normal
        .parse::<jiff::civil::DateTime>()
        .map(|d| d.with().second(0).subsec_nanosecond(0).build().unwrap_or(d))
        .map_err(|_| err())
}

/// A local date and time as stored: `YYYY-MM-DDTHH:MM`.
pub fn datetime_text(d: jiff::civil::DateTime) -> String {
    d.strftime("%Y-%m-%dT%H:%M").to_string()
}

/// An IP network: address and prefix length, host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub network: IpAddr,
    pub prefix: u8,
}

impl Subnet {
    pub fn parse(text: &str) -> Result<Subnet, String> {
        let (addr, prefix) = text.trim().split_once('/').ok_or_else(|| {
            format!("'{text}' is not a network; write it as address/prefix, e.g. 10.10.20.0/24")
        })?;
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("'{addr}' is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .trim()
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| format!("'{prefix}' is not a prefix length 0 to {max}"))?;
        let network = match addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4((u32::from(a) & mask).into())
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6((u128::from(a) & mask).into())
            }
        };
        Ok(Subnet { network, prefix })
    }

    /// Whether `ip` lies in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(a) & mask == u32::from(n)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(a) & mask == u128::from(n)
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ';', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn normalise_mac(text: &str) -> Result<String, String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("'{text}' is not a MAC address"));
    }
    let lower = hex.to_ascii_lowercase();
    let pairs: Vec<&str> = (0..6).map(|i| &lower[i * 2..i * 2 + 2]).collect();
    Ok(pairs.join(":"))
}

#[cfg(test)]
mod subnet_tests {
    use super::*;

    #[test]
    fn subnets_parse_normalise_and_contain() {
        let s = Subnet::parse("10.10.20.7/24").unwrap();
        assert_eq!(s.to_string(), "10.10.20.0/24");
        assert!(s.contains("10.10.20.200".parse().unwrap()));
        assert!(!s.contains("10.10.21.1".parse().unwrap()));
        assert!(!s.contains("::1".parse().unwrap()));
        assert!(
            Subnet::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Subnet::parse("fd00::1/64")
                .unwrap()
                .contains("fd00::ff".parse().unwrap())
        );
        assert!(Subnet::parse("10.0.0.0/33").is_err());
        assert!(Subnet::parse("10.0.0.0").is_err());
        assert!(Subnet::parse("ten/8").is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::{Choice, Field};

    const CHOICES: &[Choice] = &[Choice {
        key: "high",
        label: "High",
    }];

    #[test]
    fn text_parsers_normalise_and_refuse_with_reasons() {
        let ip = Field::new("ip", "IP", FieldType::IpList);
        assert_eq!(
            parse_text(&ip, "10.0.0.1; 10.0.0.2").unwrap(),
            Value::Text("10.0.0.1, 10.0.0.2".into())
        );
        assert!(
            parse_text(&ip, "10.0.0.300")
                .unwrap_err()
                .contains("not an IP")
        );
        let mac = Field::new("mac", "MAC", FieldType::MacList);
        assert_eq!(
            parse_text(&mac, "00-1B-1B-AA-BB-CC").unwrap(),
            Value::Text("00:1b:1b:aa:bb:cc".into())
        );
        let choice = Field::new("c", "C", FieldType::Choice(CHOICES));
        assert_eq!(
            parse_text(&choice, "HIGH").unwrap(),
            Value::Text("high".into())
        );
        assert!(parse_text(&choice, "urgent").unwrap_err().contains("high"));
        let tz = Field::new("tz", "TZ", FieldType::TimeZone);
        assert!(parse_text(&tz, "Europe/Berlin").is_ok());
        assert!(parse_text(&tz, "Mars/Olympus").is_err());
        let code = Field::new("code", "Code", FieldType::Code { max: 5 });
        assert_eq!(
            parse_text(&code, "ab-1").unwrap(),
            Value::Text("AB-1".into())
        );
        assert!(parse_text(&code, "toolong").is_err());
        assert!(parse_text(&code, "a b").is_err());
    }

    #[test]
    fn formula_guard_round_trips() {
        for cell in [
            "=HYPERLINK(\"http://x\")",
            "+49 69 123",
            "-",
            "@SUM(A1)",
            "\tx",
        ] {
            let guarded = formula_guarded(cell);
            assert!(guarded.starts_with('\''), "{cell}");
            assert_eq!(formula_unguarded(&guarded), cell);
        }
        for cell in ["PLC-01", "'quoted", "10.0.0.1", ""] {
            assert_eq!(formula_guarded(cell), cell);
            assert_eq!(formula_unguarded(cell), cell);
        }
    }

    #[test]
    fn reference_lists_parse_from_text_and_json() {
        let f = Field::new("zones", "Zones", FieldType::Refs("zone"));
        assert_eq!(parse_text(&f, "3, 7;#9 3"), Ok(Value::Ids(vec![3, 7, 9])));
        assert_eq!(parse_text(&f, ""), Ok(Value::Ids(Vec::new())));
        assert_eq!(
            parse_text(&f, "3, Cell 2"),
            Err("'Cell' is not a record id".to_string())
        );
        assert_eq!(
            parse_json(&f, &json!([4, "5", 4])),
            Ok(Value::Ids(vec![4, 5]))
        );
        assert_eq!(parse_json(&f, &json!(6)), Ok(Value::Ids(vec![6])));
        assert!(parse_json(&f, &json!([true])).is_err());
        assert_eq!(Value::Ids(vec![4, 5]).to_text(), "4, 5");
        assert_eq!(Value::Ids(vec![4, 5]).to_json(), json!([4, 5]));
        assert_eq!(Value::Ids(vec![4, 5]).ids(), &[4, 5]);
        assert_eq!(Value::Int(4).ids(), &[4]);
    }

    #[test]
    fn channels_parse_from_text_and_json() {
        let c = Channel::parse("Modbus/TCP 502/tcp a_to_b").unwrap();
        assert_eq!(c.port, Some(502));
        assert_eq!(c.protocol, "Modbus/TCP");
        let l2 = Channel::parse("PROFINET RT l2 both").unwrap();
        assert_eq!(l2.port, None);
        assert_eq!(l2.protocol, "PROFINET RT");
        assert_eq!(Channel::parse(&l2.to_string()).unwrap(), l2);
        assert!(Channel::parse("Modbus 99999/tcp a_to_b").is_err());
        assert!(Channel::parse("Modbus 502/tcp sideways").is_err());
        let f = Field::new("channels", "Channels", FieldType::Channels);
        let v = parse_json(
            &f,
            &json!([{"protocol": "S7comm", "port": 102, "direction": "both"}]),
        )
        .unwrap();
        assert_eq!(v.to_text(), "S7comm 102/tcp both");
        assert!(parse_json(&f, &json!([{"port": 1}])).is_err());
    }
}

/// A record of `kind` from JSON, for tests (panics on an invalid fixture).
#[cfg(test)]
pub(crate) fn fixture(kind: &'static crate::KindDef, id: i64, body: serde_json::Value) -> Record {
    Record {
        kind,
        id,
        version: 1,
        created_at: String::new(),
        updated_at: String::new(),
        values: values_from_json(kind, &body).expect("valid fixture"),
    }
}
