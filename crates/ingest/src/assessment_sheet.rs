//! Import of a filled-in assessment sheet (the site's requirement list exported as CSV, see
//! `Store::assessment_sheet`): each row sets the status, target date, owner, notes, reason and
//! evidence of one requirement of one zone or conduit. Rows are matched by kind, zone or
//! conduit name and requirement; every row is checked first (each problem named by line and
//! column), then all changes are written in one transaction, or none.

use crate::csv_import::{ImportError, RowError, detect_delimiter};
use otkeep_core::access::Scope;
use otkeep_core::catalog::Target;
use otkeep_core::kinds::{ASSESSMENT_KIND, CONDUIT_KIND, ZONE_KIND};
use otkeep_core::value::values_from_text;
use otkeep_core::{Record, SlVector, Value};
use otkeep_store::{ListQuery, Store};
use std::collections::{BTreeMap, HashMap};

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SheetReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// The sheet's editable columns and the assessment fields they set.
const EDITABLE: &[(&str, &str)] = &[
    ("Status", "status"),
    ("Target date", "target_date"),
    ("Owner", "owner"),
    ("Notes", "notes"),
    ("Reason", "reason"),
    ("Evidence", "evidence_url"),
    ("Evidence SHA-256", "evidence_sha256"),
];

/// Reads a CSV sheet into (line, cells) rows, the header first.
pub fn read_csv_sheet(bytes: &[u8], file: &str) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(bytes))
        // CRLF read as LF, so that line numbers match the file.
        .from_reader(crate::csv_import::CrlfToLf::new(std::io::Cursor::new(
            bytes,
        )));
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Unreadable {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        rows.push((line, record.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(rows)
}

/// Reads the sheet named "Requirements" (else the first) of an XLSX workbook into (line,
/// cells) rows, the header first. Dates become `YYYY-MM-DD`, whole numbers lose their `.0`.
pub fn read_xlsx_sheet(bytes: &[u8], file: &str) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    read_xlsx_rows(bytes, file, &["Requirements"])
}

/// Reads the first sheet named in `prefer` (case-insensitive; else the first sheet) of an XLSX workbook
/// into (row number, cells) rows, as [`read_xlsx_sheet`] does.
///
/// A panic inside the XLSX reader (calamine 0.38 overflows a `u32` on a cell reference of seven
/// or more letters, which panics in debug builds) is an error naming the file, not a crash.
pub fn read_xlsx_rows(
    bytes: &[u8],
    file: &str,
    prefer: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    let read = std::panic::AssertUnwindSafe(|| xlsx_rows(bytes, file, prefer));
    std::panic::catch_unwind(read).unwrap_or_else(|_| {
        Err(ImportError::Unreadable {
            file: file.to_string(),
            message: "not a readable XLSX workbook (the XLSX reader failed on it)".to_string(),
        })
    })
}

/// Excel's number of rows and columns (A to XFD).
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;
/// The most cells (including the empty ones left of a value) a sheet may have: 10 million.
const MAX_CELLS: usize = 10_000_000;

fn xlsx_rows(
    bytes: &[u8],
    file: &str,
    prefer: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = |message: String| ImportError::Unreadable {
        file: file.to_string(),
        message,
    };
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(format!("not an XLSX workbook: {e}")))?;
    let names = workbook.sheet_names();
    let name = names
        .iter()
        .find(|n| prefer.iter().any(|p| n.eq_ignore_ascii_case(p)))
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| unreadable("the workbook has no sheet".into()))?;
    // The cells are read one by one, not as calamine's dense range, whose size is the span of
    // the cell references: two cells at A1 and ZZZZZZ1 would take 10 GB.
    let sheet_error = |e: calamine::XlsxError| unreadable(format!("sheet '{name}': {e}"));
    let mut reader = match workbook.worksheet_cells_reader(&name) {
        Ok(reader) => reader,
        // A chart sheet or the like holds no rows.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(sheet_error(e)),
    };
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(sheet_error)? {
        let (row, col) = cell.get_position();
        let text = match Data::from(cell.get_value().clone()) {
            Data::Empty => continue,
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
            Data::Int(n) => n.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            Data::Float(f) => f.to_string(),
            Data::Bool(b) => if b { "yes" } else { "no" }.to_string(),
            Data::DateTime(dt) => excel_date(dt.as_f64()),
            Data::Error(e) => format!("#{e:?}"),
        };
        if row >= MAX_ROWS || col >= MAX_COLUMNS {
            return Err(unreadable(format!(
                "sheet '{name}': a cell beyond Excel's last row or column (XFD1048576); the workbook is damaged"
            )));
        }
        cells.push((row, col, text));
    }
    // Rows in order, each as wide as its last cell; a later cell at the same place wins.
    cells.sort_by_key(|&(row, col, _)| (row, col));
    let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
    let mut total = 0usize;
    for (row, col, text) in cells {
        let line = u64::from(row) + 1;
        if rows.last().is_none_or(|(l, _)| *l != line) {
            rows.push((line, Vec::new()));
        }
        let Some((_, row_cells)) = rows.last_mut() else {
            continue;
        };
        let col = col as usize;
        if row_cells.len() <= col {
            total += col + 1 - row_cells.len();
            if total > MAX_CELLS {
                return Err(unreadable(format!(
                    "sheet '{name}': more than {MAX_CELLS} cells (counting the empty ones left of a value)"
                )));
            }
            row_cells.resize(col + 1, String::new());
        }
        row_cells[col] = text;
    }
    Ok(rows)
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    let days = serial.floor() as i64;
    // A serial beyond jiff's range of days (±7.3 million) stays a number; `Span::days` panics.
    jiff::Span::new()
        .try_days(days)
        .and_then(|span| jiff::civil::date(1899, 12, 30).checked_add(span))
        .map_or_else(|_| serial.to_string(), |d| d.to_string())
}

/// Imports `rows` (header first) into the assessments of `site` as `actor`; changed rows are
/// marked as assessed on `today` (`YYYY-MM-DD`).
pub async fn import_assessment_sheet(
    store: &Store,
    site: i64,
    rows: &[(u64, Vec<String>)],
    file: &str,
    actor: &str,
    today: &str,
) -> Result<SheetReport, ImportError> {
    let rejected = |mut errors: Vec<RowError>| {
        errors.sort_by_key(|e| e.line);
        ImportError::Rejected {
            file: file.to_string(),
            errors,
        }
    };
    let err = |line: u64, field: &str, message: String| RowError {
        line,
        field: field.to_string(),
        message,
    };
    let Some((header_line, header)) = rows.first() else {
        return Err(rejected(vec![err(1, "", "the file is empty".into())]));
    };
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut errors = Vec::new();
    let (Some(kind_col), Some(name_col), Some(req_col)) =
        (col("Kind"), col("Zone or conduit"), col("Requirement"))
    else {
        return Err(rejected(vec![err(
            *header_line,
            "header",
            "the sheet needs the columns Kind, Zone or conduit and Requirement (export it from otkeep first)".into(),
        )]));
    };
    let scope = Scope::Limited {
        sites: vec![site],
        records: Vec::new(),
    };
    let q = ListQuery {
        scope,
        ..ListQuery::default()
    };
    let zones = store.list_all(&ZONE_KIND, &q).await?;
    let conduits = store.list_all(&CONDUIT_KIND, &q).await?;
    let existing = store.list_all(&ASSESSMENT_KIND, &q).await?;
    let catalog = store.catalog().await?;
    let find = |list: &'_ [Record], name: &str| -> Option<Record> {
        list.iter()
            .find(|r| r.title().eq_ignore_ascii_case(name))
            .cloned()
    };
    let mut by_key: HashMap<(&str, i64, String), &Record> = HashMap::new();
    for a in &existing {
        let key = match (a.get("zone_id").as_int(), a.get("conduit_id").as_int()) {
            (Some(z), _) => ("zone", z),
            (None, Some(c)) => ("conduit", c),
            _ => continue,
        };
        by_key.insert((key.0, key.1, a.get("requirement").to_text()), a);
    }
    // (existing record, values) to write.
    let mut plan: Vec<(Option<(i64, i64)>, otkeep_core::Values)> = Vec::new();
    let mut report = SheetReport::default();
    let mut seen: HashMap<(String, i64, String), u64> = HashMap::new();
    for (line, cells) in rows.iter().skip(1) {
        let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        report.rows += 1;
        let (kind_name, target, list) = match cell(kind_col).to_ascii_lowercase().as_str() {
            "zone" => ("zone", Target::Zone, &zones),
            "conduit" => ("conduit", Target::Conduit, &conduits),
            other => {
                errors.push(err(
                    *line,
                    "Kind",
                    format!("'{other}' is neither Zone nor Conduit"),
                ));
                continue;
            }
        };
        let Some(target_record) = find(list, cell(name_col)) else {
            errors.push(err(
                *line,
                "Zone or conduit",
                format!("this site has no {kind_name} named '{}'", cell(name_col)),
            ));
            continue;
        };
        let requirement = cell(req_col).to_string();
        let sl_t = match target_record.get("sl_t") {
            Value::Sl(v) => *v,
            _ => SlVector::uniform(0),
        };
        if !catalog.in_force(&sl_t, target).any(|r| r.id == requirement) {
            errors.push(err(
                *line,
                "Requirement",
                format!(
                    "'{requirement}' is not in force for {kind_name} '{}' (SL-T {sl_t})",
                    target_record.title()
                ),
            ));
            continue;
        }
        let key = (kind_name.to_string(), target_record.id, requirement.clone());
        if let Some(first) = seen.insert(key, *line) {
            errors.push(err(
                *line,
                "Requirement",
                format!(
                    "{requirement} of '{}' is already on line {first}",
                    target_record.title()
                ),
            ));
            continue;
        }
        let stored = by_key.get(&(kind_name, target_record.id, requirement.clone()));
        let mut text: BTreeMap<String, String> = BTreeMap::new();
        text.insert("site_id".into(), site.to_string());
        text.insert(format!("{kind_name}_id"), target_record.id.to_string());
        text.insert("requirement".into(), requirement.clone());
        let mut changed = stored.is_none();
        for (column, field) in EDITABLE {
            let given = col(column).map(|i| cell(i).to_string());
            let before = stored.map(|a| a.get(field).to_text()).unwrap_or_default();
            let value = given.unwrap_or_else(|| before.clone());
            if value != before {
                changed = true;
            }
            text.insert(field.to_string(), value);
        }
        if text.get("status").is_none_or(|s| s.is_empty()) {
            text.insert("status".into(), "not_assessed".into());
        }
        if stored.is_none()
            && text.get("status").is_some_and(|s| s == "not_assessed")
            && EDITABLE
                .iter()
                .skip(1)
                .all(|(_, f)| text.get(*f).is_none_or(|v| v.is_empty()))
        {
            report.unchanged += 1;
            continue;
        }
        if !changed {
            report.unchanged += 1;
            continue;
        }
        text.insert("last_assessed".into(), today.to_string());
        match values_from_text(&ASSESSMENT_KIND, &text) {
            Ok(values) => plan.push((stored.map(|a| (a.id, a.version)), values)),
            Err(field_errors) => {
                for e in field_errors {
                    let column = EDITABLE
                        .iter()
                        .find(|(_, f)| *f == e.field)
                        .map_or(e.field.as_str(), |(c, _)| c);
                    errors.push(err(*line, column, e.message.clone()));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    let mut tx = store
        .begin_write(actor, Some(&format!("assessment sheet {file}")))
        .await?;
    for (existing, values) in plan {
        match existing {
            Some((id, version)) => {
                tx.update(&ASSESSMENT_KIND, id, version, values).await?;
                report.updated += 1;
            }
            None => {
                tx.create(&ASSESSMENT_KIND, values).await?;
                report.created += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}
