//! Documents rendered by otkeep: CSV exports of any kind of record and of report tables, and
//! the zone and conduit diagram of a site as SVG ([`diagram`]).
//!
//! [`write_csv`] writes a list of records as a CSV file that spreadsheet programs open directly:
//! UTF-8 with a byte order mark (so Excel detects the encoding), comma-separated, CRLF line ends
//! (RFC 4180), a header row of field labels and one row per record. The export is driven
//! entirely by the kind's descriptor ([`KindDef`]), so every kind exports the same way.
//!
//! Cells are the values' text form ([`Value::to_text`]), with references written as the title
//! of the referenced record (a site's code, a zone's name) rather than its id. The result is
//! what `otkeep-ingest`'s CSV import reads back, so an export of one site's assets can be
//! imported into another site with the same zone names.
//!
//! For large exports, [`CsvWriter`] writes page after page to the same output, so a caller can
//! stream a list through the store's pagination without holding every record in memory.
//!
//! Cells that a spreadsheet would evaluate as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) get a leading `'` (`otkeep_core::value::formula_guarded`), so opening an
//! export cannot run a formula planted in a record; the CSV import removes it again.

pub mod diagram;
pub mod document;
pub mod heatmap;
pub mod markdown;
pub mod oscal;
pub mod trend;

use otkeep_core::kind::{FieldType, KindDef};
use otkeep_core::value::formula_guarded;
use otkeep_core::{Record, Value};
use std::collections::HashMap;
use std::io::{self, Write};

/// The UTF-8 byte order mark written before the header.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Header of the first column, which holds the record id.
pub const ID_HEADER: &str = "ID";

/// Titles of referenced records keyed by (target kind name, id); the same type as
/// `otkeep_store::RefTitles`, as returned by `Store::ref_titles`.
pub type Titles = HashMap<(&'static str, i64), String>;

/// Writes `records` of `kind` as CSV to `out`: a UTF-8 BOM, a header row of field labels
/// (`Field::label`) after a first column "ID", and one row per record.
///
/// Values are written as [`Value::to_text`], except that references are written as the
/// referenced record's title from `titles` (keyed by (target kind name, id); `#id` when the
/// title is missing), booleans as yes/no and choice fields as their key.
pub fn write_csv<W: Write>(
    kind: &KindDef,
    records: &[Record],
    titles: &HashMap<(&'static str, i64), String>,
    out: W,
) -> io::Result<()> {
    let mut writer = CsvWriter::new(kind, out)?;
    writer.write(records, titles)?;
    writer.finish()?;
    Ok(())
}

/// Writes a table (a report rather than records of one kind) as CSV in the same form as
/// [`write_csv`]: BOM, header row, CRLF, cells that would run as formulas defused.
pub fn write_table<W: Write>(headers: &[&str], rows: &[Vec<String>], mut out: W) -> io::Result<W> {
    out.write_all(UTF8_BOM)?;
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    csv.write_record(headers)?;
    for row in rows {
        csv.write_record(row.iter().map(|c| formula_guarded(c).into_owned()))?;
    }
    csv.into_inner().map_err(|e| e.into_error())
}

/// One worksheet of an XLSX report: name, header row, rows of text.
pub struct Sheet<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: &'a [Vec<String>],
}

/// Writes report sheets as an XLSX workbook: bold frozen header, autofilter, column widths
/// from the content. Cells are written as text, never as formulas, so no cell runs.
pub fn write_xlsx(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| format!("cannot write the workbook: {e}");
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet.name).map_err(fail)?;
        let mut widths: Vec<usize> = sheet.headers.iter().map(|h| h.chars().count()).collect();
        for (c, h) in sheet.headers.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| "too many columns".to_string())?;
            ws.write_string_with_format(0, col, *h, &bold)
                .map_err(fail)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let rn = u32::try_from(r + 1).map_err(|_| "too many rows".to_string())?;
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).map_err(|_| "too many columns".to_string())?;
                if !cell.is_empty() {
                    ws.write_string(rn, col, cell).map_err(fail)?;
                }
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(cell.chars().count().min(60));
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| "too many columns".to_string())?;
            ws.set_column_width(col, (*w as f64 + 2.0).min(62.0))
                .map_err(fail)?;
        }
        ws.set_freeze_panes(1, 0).map_err(fail)?;
        if !sheet.headers.is_empty() {
            let last_row = u32::try_from(sheet.rows.len()).unwrap_or(u32::MAX);
            let last_col = u16::try_from(sheet.headers.len() - 1).unwrap_or(0);
            ws.autofilter(0, 0, last_row, last_col).map_err(fail)?;
        }
    }
    workbook.save_to_buffer().map_err(fail)
}

/// A CSV export written in parts: [`CsvWriter::new`] writes the BOM and the header,
/// [`CsvWriter::write`] appends records (call it once per page), [`CsvWriter::finish`] flushes.
pub struct CsvWriter<'k, W: Write> {
    kind: &'k KindDef,
    csv: csv::Writer<W>,
    row: Vec<String>,
}

impl<'k, W: Write> CsvWriter<'k, W> {
    /// Starts an export of `kind` to `out`, writing the BOM and the header row.
    pub fn new(kind: &'k KindDef, mut out: W) -> io::Result<Self> {
        out.write_all(UTF8_BOM)?;
        let mut csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        let header = std::iter::once(ID_HEADER).chain(kind.fields.iter().map(|f| f.label));
        csv.write_record(header)?;
        Ok(CsvWriter {
            kind,
            csv,
            row: Vec::with_capacity(kind.fields.len() + 1),
        })
    }

    /// Appends one row per record; references are shown by their title from `titles`.
    pub fn write(
        &mut self,
        records: &[Record],
        titles: &HashMap<(&'static str, i64), String>,
    ) -> io::Result<()> {
        for record in records {
            self.row.clear();
            self.row.push(record.id.to_string());
            for field in self.kind.fields {
                let value = record.get(field.name);
                let cell = match (field.ty, value) {
                    (FieldType::Ref(target), Value::Int(id)) => titles
                        .get(&(target, *id))
                        .cloned()
                        .unwrap_or_else(|| format!("#{id}")),
                    // Titles may hold commas, so a reference list is written `a; b`, which the
                    // importer reads back.
                    (FieldType::Refs(target), Value::Ids(ids)) => ids
                        .iter()
                        .map(|id| {
                            titles
                                .get(&(target, *id))
                                .cloned()
                                .unwrap_or_else(|| format!("#{id}"))
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    (FieldType::Bool, v) => if v.as_bool() { "yes" } else { "no" }.to_string(),
                    // Choice values are stored as their key; `to_text` writes it as is.
                    (_, v) => v.to_text(),
                };
                self.row.push(formula_guarded(&cell).into_owned());
            }
            self.csv.write_record(&self.row)?;
        }
        Ok(())
    }

    /// Flushes everything written and returns the output.
    pub fn finish(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otkeep_core::kinds::{ASSET_KIND, ZONE_KIND};
    use otkeep_core::value::values_from_json;
    use serde_json::json;

    fn asset(id: i64, json: serde_json::Value) -> Record {
        let values = values_from_json(&ASSET_KIND, &json).expect("valid fixture");
        Record {
            kind: &ASSET_KIND,
            id,
            version: 1,
            created_at: "2025-01-01T00:00:00.000000Z".into(),
            updated_at: "2025-01-01T00:00:00.000000Z".into(),
            values,
        }
    }

    fn plc(id: i64, name: &str, description: &str) -> Record {
        asset(
            id,
            json!({
                "site_id": 1, "zone_id": 7, "name": name, "asset_type": "plc",
                "ip_addresses": "10.1.2.3, 10.1.2.4", "criticality": "high",
                "owner": "M. Keller", "lifecycle": "operational", "legacy": true,
                "compensating_controls": "Isolated cell", "description": description
            }),
        )
    }

    fn titles() -> Titles {
        [
            (("site", 1), "FRA1".to_string()),
            (("zone", 7), "Control".to_string()),
        ]
        .into_iter()
        .collect()
    }

    fn export(records: &[Record]) -> Vec<u8> {
        let mut out = Vec::new();
        write_csv(&ASSET_KIND, records, &titles(), &mut out).expect("write to memory");
        out
    }

    fn read_back(bytes: &[u8]) -> Vec<Vec<String>> {
        let body = bytes.strip_prefix(UTF8_BOM).expect("BOM");
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(body)
            .records()
            .map(|r| r.expect("valid CSV").iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn starts_with_a_bom_and_a_header_of_labels() {
        let out = export(&[]);
        assert!(out.starts_with(UTF8_BOM));
        let rows = read_back(&out);
        assert_eq!(rows.len(), 1);
        let expected: Vec<String> = std::iter::once("ID")
            .chain(ASSET_KIND.fields.iter().map(|f| f.label))
            .map(str::to_string)
            .collect();
        assert_eq!(rows[0], expected);
        assert_eq!(rows[0][1], "Site");
        assert_eq!(rows[0][2], "Zone");
    }

    #[test]
    fn references_are_titles_and_values_are_text() {
        let rows = read_back(&export(&[plc(42, "PLC-01", "")]));
        let header = &rows[0];
        let row = &rows[1];
        let cell = |label: &str| {
            let i = header.iter().position(|h| h == label).expect(label);
            row[i].as_str()
        };
        assert_eq!(cell("ID"), "42");
        assert_eq!(cell("Site"), "FRA1");
        assert_eq!(cell("Zone"), "Control");
        assert_eq!(cell("Type"), "plc", "choices are written as their key");
        assert_eq!(cell("Legacy"), "yes");
        assert_eq!(cell("IP addresses"), "10.1.2.3, 10.1.2.4");
        assert_eq!(cell("Vendor"), "", "empty values are empty cells");
    }

    #[test]
    fn a_reference_without_a_title_is_written_as_its_id() {
        let mut out = Vec::new();
        write_csv(
            &ASSET_KIND,
            &[plc(1, "PLC-01", "")],
            &Titles::new(),
            &mut out,
        )
        .unwrap();
        let rows = read_back(&out);
        assert_eq!(rows[1][1], "#1");
        assert_eq!(rows[1][2], "#7");
    }

    #[test]
    fn commas_quotes_and_newlines_are_quoted_and_read_back() {
        let tricky = "Line one, with comma\n\"quoted\" line two; end";
        let out = export(&[plc(1, "PLC, \"main\"", tricky)]);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains("\"PLC, \"\"main\"\"\""), "{text}");
        let rows = read_back(&out);
        assert_eq!(rows.len(), 2, "the newline stays inside one cell");
        let description = rows[0].iter().position(|h| h == "Description").unwrap();
        assert_eq!(rows[1][description], tricky);
        assert_eq!(rows[1][3], "PLC, \"main\"");
    }

    #[test]
    fn cells_that_would_run_as_formulas_are_defused() {
        let planted = "=HYPERLINK(\"http://evil.example\",\"click\")";
        let out = export(&[plc(1, "PLC-01", planted)]);
        let rows = read_back(&out);
        let description = rows[0].iter().position(|h| h == "Description").unwrap();
        assert_eq!(rows[1][description], format!("'{planted}"));
        assert_eq!(rows[1][3], "PLC-01", "ordinary cells are untouched");
    }

    #[test]
    fn a_writer_appends_pages_and_sl_vectors_stay_one_cell() {
        let zone = |id: i64, name: &str| Record {
            kind: &ZONE_KIND,
            id,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            values: values_from_json(
                &ZONE_KIND,
                &json!({"site_id": 1, "name": name, "sl_t": [2,2,3,1,2,1,2], "owner": "OT"}),
            )
            .unwrap(),
        };
        let mut writer = CsvWriter::new(&ZONE_KIND, Vec::new()).unwrap();
        writer.write(&[zone(1, "Control")], &titles()).unwrap();
        writer.write(&[zone(2, "DMZ")], &titles()).unwrap();
        let out = writer.finish().unwrap();
        let rows = read_back(&out);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2][0], "2");
        assert_eq!(rows[2][2], "DMZ");
        let sl = rows[0]
            .iter()
            .position(|h| h == "Target SL (SL-T)")
            .unwrap();
        assert_eq!(rows[1][sl], "2,2,3,1,2,1,2");
        assert!(String::from_utf8(out).unwrap().ends_with("\r\n"));
    }
}
