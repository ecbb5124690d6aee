//! The PDF renderer against a real text extractor: the file is a PDF, it holds the cover, the
//! tables and page numbers, and record text that looks like typst markup is printed as text.

use otkeep_report::document::{Cover, Document, Section, SignatureLine, Source};

fn document(rows: usize) -> Document {
    Document {
        cover: Cover {
            title: "Gap analysis".into(),
            covers: "Requirements in force per zone and conduit.".into(),
            organization: "Acme Manufacturing".into(),
            scope: "PLT1 Plant One".into(),
            as_of: "2026-11-28".into(),
            point_in_time: true,
            generated_at: "2026-11-28T10:00:00Z".into(),
            generated_by: "alice".into(),
            audit_seq: 4242,
            audit_hash: "ab".repeat(32),
            sources: vec![Source::of("Zones", [(7, 3, "2026-11-01T00:00:00Z".into())])],
            signatures: vec![SignatureLine {
                record: "Exceptions #4 v2".into(),
                signer: "Petra Owner (petra)".into(),
                meaning: "approved".into(),
                signed_at: "2026-11-02T09:00:00Z".into(),
                on_version_shown: true,
            }],
        },
        sections: vec![
            Section::new("Summary")
                .paragraph("Plain text with #set page(paper: \"a5\") and [brackets] and $math$ and <labels> and @refs.")
                .facts(vec![("Zones".into(), "1".into())]),
            Section::new("Open requirements").table(
                "Gaps",
                &["Zone", "Requirement", "Status"],
                (0..rows)
                    .map(|i| vec![format!("Zone {i}"), "SR 1.1".into(), "not implemented".into()])
                    .collect(),
            ),
        ],
    }
}

fn text_of(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).expect("a PDF the extractor reads")
}

#[test]
fn renders_cover_sections_and_page_numbers() {
    let pdf = otkeep_pdf::render(&document(3)).expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF header");
    let text = text_of(&pdf);
    for expected in [
        "Gap analysis",
        "PLT1 Plant One",
        "Acme Manufacturing",
        "reconstructed from the audit trail",
        "event 4242",
        "7 v3",
        "Exceptions #4 v2",
        "Petra Owner (petra)",
        "Open requirements",
        "SR 1.1",
        "Zone 2",
        "Page 1 of 2",
        "Page 2 of 2",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn record_text_is_never_markup() {
    let text = text_of(&otkeep_pdf::render(&document(1)).expect("pdf"));
    assert!(
        text.contains("#set page(paper: \"a5\")"),
        "markup was evaluated:\n{text}"
    );
    assert!(text.contains("$math$"), "{text}");
}

#[test]
fn long_tables_break_across_pages() {
    let pdf = otkeep_pdf::render(&document(400)).expect("pdf");
    let text = text_of(&pdf);
    assert!(text.contains("Zone 399"));
    assert!(!text.contains("Page 1 of 2"), "400 rows on one page?");
}

#[test]
fn very_long_reports_are_untagged_to_stay_small() {
    assert!(otkeep_pdf::tagged(&document(10)));
    assert!(!otkeep_pdf::tagged(&document(
        otkeep_pdf::TAGGED_MAX_ROWS + 1
    )));
    let small = otkeep_pdf::render(&document(10)).expect("pdf");
    let text = String::from_utf8_lossy(&small);
    assert!(text.contains("/StructTreeRoot"), "a short report is tagged");
}
