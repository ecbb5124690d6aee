//! Import of catalog text from a customer's licensed copy of IEC 62443-3-3.
//!
//! The file is a CSV with a header naming `id` (or `requirement`), and `text` (or `body`)
//! and/or `level`: one row per requirement, e.g. `SR 1.1,"<the requirement text>",1`. Every
//! problem is reported with its line and column; nothing is stored unless the whole file is
//! valid. otkeep ships no normative text: this is how it gets into an installation.

use crate::csv_import::{ImportError, RowError, detect_delimiter};
use otkeep_core::catalog::Catalog;
use otkeep_store::CatalogEntry;

/// Parses the file into entries (checked against the built-in catalog's identifiers).
pub fn parse_catalog_csv(bytes: &[u8], file: &str) -> Result<Vec<CatalogEntry>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let unreadable = |message: String| ImportError::Unreadable {
        file: file.to_string(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(detect_delimiter(bytes))
        // CRLF read as LF, so that line numbers match the file.
        .from_reader(crate::csv_import::CrlfToLf::new(std::io::Cursor::new(
            bytes,
        )));
    let headers = reader
        .headers()
        .map_err(|e| unreadable(e.to_string()))?
        .clone();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let mut errors = Vec::new();
    let id_col = find(&["id", "requirement"]);
    let text_col = find(&["text", "body"]);
    let level_col = find(&["level", "sl"]);
    if id_col.is_none() {
        errors.push(row_error(
            1,
            "id",
            "the header needs an 'id' column (e.g. SR 1.1)",
        ));
    }
    if text_col.is_none() && level_col.is_none() {
        errors.push(row_error(
            1,
            "text",
            "the header needs a 'text' or a 'level' column",
        ));
    }
    if !errors.is_empty() {
        return Err(ImportError::Rejected {
            file: file.to_string(),
            errors,
        });
    }
    let catalog = Catalog::iec62443_3_3();
    let mut entries: Vec<CatalogEntry> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| unreadable(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |c: Option<usize>| {
            c.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(id) = cell(id_col) else {
            if record.iter().any(|c| !c.trim().is_empty()) {
                errors.push(row_error(line, "id", "is empty"));
            }
            continue;
        };
        let id = normalise_id(id);
        if catalog.get(&id).is_none() {
            errors.push(row_error(
                line,
                "id",
                &format!("'{id}' is not an IEC 62443-3-3 requirement (e.g. SR 1.1, SR 1.1 RE 1)"),
            ));
            continue;
        }
        if entries.iter().any(|e| e.requirement == id) {
            errors.push(row_error(line, "id", &format!("'{id}' appears twice")));
            continue;
        }
        let level = match cell(level_col) {
            None => None,
            Some(l) => match l.parse::<u8>() {
                Ok(v @ 1..=4) => Some(v),
                _ => {
                    errors.push(row_error(line, "level", &format!("'{l}' is not 1 to 4")));
                    continue;
                }
            },
        };
        entries.push(CatalogEntry {
            requirement: id,
            body: cell(text_col).map(str::to_string),
            level,
        });
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(ImportError::Rejected {
            file: file.to_string(),
            errors,
        })
    }
}

fn row_error(line: u64, field: &str, message: &str) -> RowError {
    RowError {
        line,
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// `SR1.1`, `sr 1.1 re1` and `SR 1.1 RE(1)` all name `SR 1.1 RE 1`.
fn normalise_id(id: &str) -> String {
    let upper = id.to_ascii_uppercase().replace(['(', ')'], " ");
    let mut out = String::new();
    let mut prev_alpha = false;
    for ch in upper.chars() {
        let alpha = ch.is_ascii_alphabetic();
        if ch.is_whitespace() {
            continue;
        }
        if !out.is_empty() && alpha != prev_alpha {
            out.push(' ');
        }
        out.push(ch);
        prev_alpha = alpha;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_normalised() {
        assert_eq!(normalise_id("sr1.1"), "SR 1.1");
        assert_eq!(normalise_id("SR 1.1 RE(1)"), "SR 1.1 RE 1");
        assert_eq!(normalise_id(" SR 5.2  RE 3 "), "SR 5.2 RE 3");
    }

    #[test]
    fn entries_and_errors() {
        let ok = "\u{feff}id;text;level\nSR 1.1;\"Text, with comma\";\nSR 3.4;;1\n";
        let e = parse_catalog_csv(ok.as_bytes(), "c.csv").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].body.as_deref(), Some("Text, with comma"));
        assert_eq!((e[1].body.as_deref(), e[1].level), (None, Some(1)));
        let bad = "id,text,level\nSR 9.9,x,\nSR 1.1,x,7\nSR 1.1,y,\nSR 1.2,z,\n";
        let Err(ImportError::Rejected { errors, .. }) = parse_catalog_csv(bad.as_bytes(), "c.csv")
        else {
            panic!("rejected expected");
        };
        let at: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(at, [(2, "id"), (3, "level")]);
        let Err(ImportError::Rejected { errors, .. }) =
            parse_catalog_csv(b"name,comment\nx,y\n", "c.csv")
        else {
            panic!("rejected expected");
        };
        assert_eq!(errors.len(), 2);
    }
}
