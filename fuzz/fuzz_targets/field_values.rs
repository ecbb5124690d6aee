//! The total parsers of `otkeep_core::value` from form and CSV text, and from JSON (the API),
//! for every field of every kind, plus the parsers of field types' texts (channels, subnets,
//! SL vectors, impacts, checklists, dates) and the risk method document.
//!
//! First byte: the kind; second: the field (or, past the fields, one of the other parsers);
//! the rest is the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_core::value::{
    Subnet, checklist_items, parse_date, parse_datetime, parse_json, parse_text, values_from_json,
    values_from_text,
};
use otkeep_core::{Channel, KINDS, SlVector};
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let [k, f, rest @ ..] = data else {
        return;
    };
    let kind = KINDS[usize::from(*k) % KINDS.len()];
    let text = String::from_utf8_lossy(rest);
    let extra = usize::from(*f) % (kind.fields.len() + 9);
    match extra.checked_sub(kind.fields.len()) {
        None => {
            let field = &kind.fields[extra];
            if let Ok(value) = parse_text(field, &text) {
                // What was parsed reads back as itself.
                let again = parse_text(field, &value.to_text());
                assert!(
                    again.is_ok(),
                    "{}.{}: {:?} parsed from {text:?} does not read back: {again:?}",
                    kind.name,
                    field.name,
                    value
                );
                let _ = value.to_json();
            }
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
                let _ = parse_json(field, &json);
            }
        }
        Some(0) => {
            // Every field from one line each.
            let mut lines = text.lines();
            let input: BTreeMap<String, String> = kind
                .fields
                .iter()
                .map(|f| (f.name.to_string(), lines.next().unwrap_or("").to_string()))
                .collect();
            let _ = values_from_text(kind, &input);
        }
        Some(1) => {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
                let _ = values_from_json(kind, &json);
            }
        }
        Some(2) => {
            if let Ok(c) = Channel::parse(&text) {
                let _ = Channel::parse(&c.to_string());
            }
        }
        Some(3) => {
            if let Ok(s) = Subnet::parse(&text) {
                let _ = s.contains("10.0.0.1".parse().unwrap());
                let _ = s.contains("fe80::1".parse().unwrap());
            }
        }
        Some(4) => {
            let _ = SlVector::parse(&text);
        }
        Some(5) => {
            let _ = otkeep_core::risk::parse_impacts(&text);
        }
        Some(6) => {
            let _ = checklist_items(&text);
        }
        Some(7) => {
            let _ = parse_date(&text);
            let _ = parse_datetime(&text);
        }
        _ => {
            let _ = otkeep_core::risk::RiskMethod::parse(&text);
        }
    }
});
