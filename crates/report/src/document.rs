//! The generated documents (issue 10): one neutral model, [`Document`], rendered three ways.
//!
//! A report builder (in `otkeep-web`, where the store is) turns records into a `Document`: a
//! [`Cover`] (organization, site, date, who generated it, the audit trail position and the record
//! versions it was made from) and [`Section`]s of paragraphs, key facts, tables and SVG figures.
//! The renderers never see a record, so every report looks and exports the same way:
//!
//! - [`html_body`]: the report as HTML (escaped; the UI wraps it in its layout),
//! - [`xlsx`]: a workbook with a cover sheet and one sheet per table,
//! - `otkeep-pdf` renders the same model to PDF (typst, fonts embedded) with page numbers.
//!
//! The model serialises to JSON ([`Document::to_json`]); that JSON is what the PDF template reads,
//! so record text reaches typst as data and can never be interpreted as markup.

use crate::{Sheet, write_xlsx};
use serde::Serialize;
use std::fmt::Write as _;

/// One generated document.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub cover: Cover,
    pub sections: Vec<Section>,
}

/// What the cover page says.
#[derive(Debug, Clone, Serialize)]
pub struct Cover {
    /// The report's title, e.g. "Gap analysis".
    pub title: String,
    /// What the report covers, one sentence.
    pub covers: String,
    pub organization: String,
    /// The site's code and name, or "All sites".
    pub scope: String,
    /// The date the records are shown as of (`YYYY-MM-DD` for current records, the instant
    /// for a point-in-time report), and whether it is a past instant.
    pub as_of: String,
    pub point_in_time: bool,
    /// When the document was generated (UTC, RFC 3339) and by whom.
    pub generated_at: String,
    pub generated_by: String,
    /// The last audit event the records reflect: its sequence number and hash, so a reader can
    /// check the document against the audit trail.
    pub audit_seq: i64,
    pub audit_hash: String,
    /// The records the document was made from, per kind.
    pub sources: Vec<Source>,
    /// The signatures on those records.
    pub signatures: Vec<SignatureLine>,
}

/// One signature on a record the document used.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureLine {
    /// `Exceptions #12 v3`: the record and the version signed.
    pub record: String,
    pub signer: String,
    /// What the signature means (approved, reviewed, …).
    pub meaning: String,
    pub signed_at: String,
    /// Whether the version signed is the version the document shows.
    pub on_version_shown: bool,
}

/// The records of one kind a document used.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// The kind's plural label, e.g. "Assets".
    pub kind: String,
    pub count: usize,
    /// The records' ids and versions, `12 v3, 13 v1, …` (in id order; long lists are cut, the
    /// tables carry each row's version).
    pub versions: String,
    /// The latest change among them (RFC 3339), empty when none.
    pub last_changed: String,
}

impl Source {
    /// Summarises `records` (id, version, updated_at) of one kind.
    pub fn of(kind: &str, records: impl IntoIterator<Item = (i64, i64, String)>) -> Source {
        const SHOWN: usize = 40;
        let mut all: Vec<(i64, i64, String)> = records.into_iter().collect();
        all.sort_by_key(|r| r.0);
        all.dedup_by_key(|r| r.0);
        let mut versions: Vec<String> = all
            .iter()
            .take(SHOWN)
            .map(|(id, v, _)| format!("{id} v{v}"))
            .collect();
        if all.len() > SHOWN {
            versions.push(format!("… and {} more", all.len() - SHOWN));
        }
        Source {
            kind: kind.to_string(),
            count: all.len(),
            versions: versions.join(", "),
            last_changed: all.iter().map(|r| r.2.clone()).max().unwrap_or_default(),
        }
    }
}

/// A numbered section of the document.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// A piece of a section.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Plain text (no markup).
    Paragraph {
        text: String,
    },
    /// Label/value pairs, e.g. "Zones: 12".
    Facts {
        items: Vec<(String, String)>,
    },
    Table(Table),
    /// An SVG drawing made by otkeep (diagram, heat map, trend), with a caption.
    Figure {
        svg: String,
        caption: String,
    },
}

/// A table: also one sheet of the XLSX export.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// The sheet name (≤ 31 characters, no `[]:*?/\`).
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    pub fn paragraph(mut self, text: impl Into<String>) -> Section {
        self.blocks.push(Block::Paragraph { text: text.into() });
        self
    }

    pub fn facts(mut self, items: Vec<(String, String)>) -> Section {
        self.blocks.push(Block::Facts { items });
        self
    }

    pub fn table(mut self, name: &str, columns: &[&str], rows: Vec<Vec<String>>) -> Section {
        self.blocks.push(Block::Table(Table {
            name: sheet_name(name),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }));
        self
    }

    pub fn figure(mut self, svg: String, caption: impl Into<String>) -> Section {
        self.blocks.push(Block::Figure {
            svg,
            caption: caption.into(),
        });
        self
    }
}

/// A valid, unique-enough worksheet name from a table name.
fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .take(31)
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').to_string();
    if cleaned.is_empty() {
        "Table".into()
    } else {
        cleaned
    }
}

impl Document {
    /// The model as JSON: what the PDF template reads.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Every table of the document, in order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.sections.iter().flat_map(|s| {
            s.blocks.iter().filter_map(|b| match b {
                Block::Table(t) => Some(t),
                _ => None,
            })
        })
    }

    /// The cover as label/value lines (shared by the HTML and XLSX renderers).
    pub fn cover_lines(&self) -> Vec<(&'static str, String)> {
        let c = &self.cover;
        vec![
            ("Report", c.title.clone()),
            ("Covers", c.covers.clone()),
            ("Organization", c.organization.clone()),
            ("Scope", c.scope.clone()),
            (
                "Records as of",
                if c.point_in_time {
                    format!("{} (reconstructed from the audit trail)", c.as_of)
                } else {
                    format!("{} (current records)", c.as_of)
                },
            ),
            (
                "Generated",
                format!("{} by {}", c.generated_at, c.generated_by),
            ),
            (
                "Audit trail position",
                format!("event {} · {}", c.audit_seq, c.audit_hash),
            ),
        ]
    }
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The document as an HTML fragment (cover, then numbered sections). Every text is escaped; the
/// figures are otkeep's own SVG, whose text is escaped when it is drawn.
pub fn html_body(doc: &Document) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"report-cover\"><h1>{}</h1><dl>",
        esc(&doc.cover.title)
    );
    for (label, value) in doc.cover_lines().into_iter().skip(1) {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(&value));
    }
    out.push_str("</dl><h2>Records used</h2><table class=\"list\"><thead><tr><th>Kind</th><th>Records</th><th>Last changed</th><th>Versions (id v)</th></tr></thead><tbody>");
    for s in &doc.cover.sources {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.kind),
            s.count,
            esc(&s.last_changed),
            esc(&s.versions)
        );
    }
    out.push_str("</tbody></table>");
    if !doc.cover.signatures.is_empty() {
        out.push_str("<h2>Signatures on these records</h2><table class=\"list\"><thead><tr><th>Record (version signed)</th><th>Signer</th><th>Meaning</th><th>Signed</th><th>On the version shown</th></tr></thead><tbody>");
        for s in &doc.cover.signatures {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&s.record),
                esc(&s.signer),
                esc(&s.meaning),
                esc(&s.signed_at),
                if s.on_version_shown {
                    "yes"
                } else {
                    "no (an earlier version)"
                }
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
    for (n, section) in doc.sections.iter().enumerate() {
        let _ = write!(out, "<section><h2>{} {}</h2>", n + 1, esc(&section.heading));
        for block in &section.blocks {
            match block {
                Block::Paragraph { text } => {
                    let _ = write!(out, "<p>{}</p>", esc(text));
                }
                Block::Facts { items } => {
                    out.push_str("<dl class=\"facts\">");
                    for (k, v) in items {
                        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
                    }
                    out.push_str("</dl>");
                }
                Block::Table(t) => {
                    out.push_str("<table class=\"list\"><thead><tr>");
                    for c in &t.columns {
                        let _ = write!(out, "<th>{}</th>", esc(c));
                    }
                    out.push_str("</tr></thead><tbody>");
                    if t.rows.is_empty() {
                        let _ = write!(
                            out,
                            "<tr><td colspan=\"{}\">None.</td></tr>",
                            t.columns.len().max(1)
                        );
                    }
                    for row in &t.rows {
                        out.push_str("<tr>");
                        for cell in row {
                            let _ = write!(out, "<td>{}</td>", esc(cell));
                        }
                        out.push_str("</tr>");
                    }
                    out.push_str("</tbody></table>");
                }
                Block::Figure { svg, caption } => {
                    let _ = write!(
                        out,
                        "<figure>{svg}<figcaption>{}</figcaption></figure>",
                        esc(caption)
                    );
                }
            }
        }
        out.push_str("</section>");
    }
    out
}

/// The document as a standalone HTML file (for the CLI and for mailing): [`html_body`] with a
/// small embedded print stylesheet.
pub fn html_page(doc: &Document) -> String {
    const STYLE: &str = "body{font-family:system-ui,sans-serif;font-size:14px;margin:2em;color:#111}\
        table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}\
        th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}\
        th{background:#eee}dl{display:grid;grid-template-columns:14em 1fr;gap:2px 1em}\
        dt{font-weight:600}figure svg{max-width:100%;height:auto}\
        @media print{section{break-before:page}section.report-cover{break-before:auto}}";
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · {}</title><style>{STYLE}</style></head><body>{}</body></html>",
        esc(&doc.cover.title),
        esc(&doc.cover.scope),
        html_body(doc)
    )
}

/// The document as an XLSX workbook: a "Cover" sheet (cover lines and records used), then one
/// sheet per table. Sheet names are made unique by a number suffix.
pub fn xlsx(doc: &Document) -> Result<Vec<u8>, String> {
    let mut cover: Vec<Vec<String>> = doc
        .cover_lines()
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
    cover.push(Vec::new());
    for s in &doc.cover.sources {
        cover.push(vec![
            format!("Records used: {}", s.kind),
            format!(
                "{} (last changed {}): {}",
                s.count, s.last_changed, s.versions
            ),
        ]);
    }
    for s in &doc.cover.signatures {
        cover.push(vec![
            format!("Signature: {}", s.record),
            format!(
                "{} by {} at {}{}",
                s.meaning,
                s.signer,
                s.signed_at,
                if s.on_version_shown {
                    ""
                } else {
                    " (an earlier version than shown)"
                }
            ),
        ]);
    }
    let mut names: Vec<String> = vec!["Cover".into()];
    for t in doc.tables() {
        let mut name = t.name.clone();
        let mut n = 2;
        while names.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
            let suffix = format!(" {n}");
            name = format!(
                "{}{suffix}",
                t.name
                    .chars()
                    .take(31 - suffix.len())
                    .collect::<String>()
                    .trim_end()
            );
            n += 1;
        }
        names.push(name);
    }
    let columns: Vec<Vec<&str>> = doc
        .tables()
        .map(|t| t.columns.iter().map(String::as_str).collect())
        .collect();
    let mut sheets = vec![Sheet {
        name: &names[0],
        headers: &["Item", "Value"],
        rows: &cover,
    }];
    for ((t, name), headers) in doc.tables().zip(names.iter().skip(1)).zip(columns.iter()) {
        sheets.push(Sheet {
            name,
            headers,
            rows: &t.rows,
        });
    }
    write_xlsx(&sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        Document {
            cover: Cover {
                title: "Gap analysis".into(),
                covers: "Requirements in force".into(),
                organization: "Acme".into(),
                scope: "S1 <Plant>".into(),
                as_of: "2026-11-28".into(),
                point_in_time: false,
                generated_at: "2026-11-28T10:00:00Z".into(),
                generated_by: "alice".into(),
                audit_seq: 42,
                audit_hash: "ab".repeat(32),
                sources: vec![Source::of(
                    "Zones",
                    [(2, 3, "t2".into()), (1, 1, "t1".into())],
                )],
                signatures: vec![SignatureLine {
                    record: "Zones #2 v2".into(),
                    signer: "Bob (bob)".into(),
                    meaning: "approved".into(),
                    signed_at: "t".into(),
                    on_version_shown: false,
                }],
            },
            sections: vec![
                Section::new("Summary")
                    .paragraph("a < b")
                    .table(
                        "Gaps",
                        &["Zone", "FR"],
                        vec![vec!["Z1".into(), "FR1".into()]],
                    )
                    .table("Gaps", &["A"], vec![]),
            ],
        }
    }

    #[test]
    fn sources_list_versions_in_id_order_and_the_latest_change() {
        let s = &sample().cover.sources[0];
        assert_eq!(s.count, 2);
        assert_eq!(s.versions, "1 v1, 2 v3");
        assert_eq!(s.last_changed, "t2");
        let many = Source::of("Assets", (1..=50).map(|i| (i, 1, String::new())));
        assert!(
            many.versions.ends_with("… and 10 more"),
            "{}",
            many.versions
        );
    }

    #[test]
    fn html_escapes_record_text() {
        let html = html_body(&sample());
        assert!(html.contains("S1 &lt;Plant&gt;"));
        assert!(html.contains("<p>a &lt; b</p>"));
        assert!(html.contains("<h2>1 Summary</h2>"));
        assert!(html.contains("<td colspan=\"1\">None.</td>"));
        assert!(html.contains("<td>Zones #2 v2</td><td>Bob (bob)</td><td>approved</td>"));
        assert!(html.contains("no (an earlier version)"));
    }

    #[test]
    fn xlsx_has_a_cover_and_unique_sheet_names() {
        use calamine::Reader;
        let bytes = xlsx(&sample()).expect("workbook");
        let mut book =
            calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook calamine reads");
        assert_eq!(book.sheet_names(), vec!["Cover", "Gaps", "Gaps 2"]);
        let cover = book.worksheet_range("Cover").expect("cover sheet");
        assert_eq!(
            cover.get_value((5, 1)).map(|c| c.to_string()),
            Some("2026-11-28 (current records)".to_string())
        );
        let gaps = book.worksheet_range("Gaps").expect("table sheet");
        assert_eq!(
            gaps.get_value((1, 0)).map(|c| c.to_string()),
            Some("Z1".to_string())
        );
    }

    #[test]
    fn sheet_names_are_valid() {
        assert_eq!(sheet_name("a/b:c"), "a b c");
        assert_eq!(sheet_name(""), "Table");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }
}
