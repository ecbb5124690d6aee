//! PDF rendering of otkeep's generated documents (issue 10).
//!
//! [`render`] lays out an [`otkeep_report::document::Document`] with typst, in process: the
//! template (`report.typ`) is compiled in, the fonts are typst's own embedded set, so a PDF is
//! made on a fresh machine with nothing installed. The document reaches the template as JSON in
//! `sys.inputs.doc`: record text is data, never typst markup. Every page after the cover has a
//! running header; every page has "Page n of m".
//!
//! PDFs are tagged (a structure tree for screen readers) unless their tables hold more than
//! [`TAGGED_MAX_ROWS`] rows, where the tags would multiply the file size by more than ten.
//!
//! This crate is separate so that only the binary and the web crate pay typst's build time.

use otkeep_report::document::Document;
use std::sync::OnceLock;
use typst::foundations::{Dict, IntoValue};
use typst_as_lib::TypstEngine;
use typst_as_lib::TypstTemplateMainFile;
use typst_layout::PagedDocument;

static TEMPLATE: &str = include_str!("report.typ");

/// Why a PDF could not be made.
#[derive(Debug)]
pub struct PdfError(pub String);

impl std::fmt::Display for PdfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot render the PDF: {}", self.0)
    }
}

impl std::error::Error for PdfError {}

/// The engine with the template and fonts loaded, built once per process (font parsing is the
/// slow part of a small report).
fn engine() -> &'static TypstEngine<TypstTemplateMainFile> {
    static ENGINE: OnceLock<TypstEngine<TypstTemplateMainFile>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        TypstEngine::builder()
            .main_file(TEMPLATE)
            .fonts(typst_assets::fonts())
            .build()
    })
}

/// Table rows above which the PDF is written without the accessibility structure tree: tagging
/// every cell makes a 5,000-asset inventory 11.7 MB instead of 0.9 MB (same layout time).
pub const TAGGED_MAX_ROWS: usize = 2000;

/// Whether `doc` is written as a tagged (accessible) PDF: yes unless its tables are very long.
pub fn tagged(doc: &Document) -> bool {
    doc.tables().map(|t| t.rows.len()).sum::<usize>() <= TAGGED_MAX_ROWS
}

/// Renders `doc` as a PDF (cover page, numbered sections, page numbers).
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let mut inputs = Dict::new();
    inputs.insert("doc".into(), doc.to_json().into_value());
    let compiled: PagedDocument = engine()
        .compile_with_input(inputs)
        .output
        .map_err(|e| PdfError(e.to_string()))?;
    let options = typst_pdf::PdfOptions {
        creator: typst::foundations::Smart::Custom(Some("otkeep".into())),
        tagged: tagged(doc),
        ..Default::default()
    };
    typst_pdf::pdf(&compiled, &options).map_err(|errors| {
        PdfError(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}
