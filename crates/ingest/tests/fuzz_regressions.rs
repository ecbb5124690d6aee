//! Inputs found by fuzzing (fuzz/, see fuzz/README.md) that once made a parser panic, and the
//! database-free CSV check the `csv_import` fuzz target runs. Each input must now give an
//! error (or Ok) without panicking.

use otkeep_core::kinds::{ASSET_KIND, SITE_KIND};
use otkeep_ingest::{ImportError, check_csv, read_xlsx_sheet, xlsx_as_csv};

/// A cell whose reference is `inlineStr` (a repeated `r` attribute, fuzz target xlsx_import):
/// calamine 0.38 multiplies the column past `u32::MAX`, which panics in debug builds.
#[test]
fn a_cell_reference_of_many_letters_is_an_error() {
    const XLSX: &[u8] = include_bytes!("fixtures/calamine-long-cell-ref.xlsx");
    let err = xlsx_as_csv(XLSX, "long-ref.xlsx", &ASSET_KIND).unwrap_err();
    assert!(err.to_string().starts_with("long-ref.xlsx"), "{err}");
    assert!(read_xlsx_sheet(XLSX, "long-ref.xlsx").is_err());
}

#[test]
fn check_csv_reads_rows_as_the_import_does() {
    let rows = check_csv(
        &ASSET_KIND,
        &include_bytes!("fixtures/good_assets.csv")[..],
        "good.csv",
        None,
    )
    .unwrap();
    // Line numbers are the file's (empty lines skipped, a quoted cell spans two lines).
    let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [2, 3, 6, 8]);
    // References get made-up ids: one per title, the site code in any case.
    let (plc, hmi) = (&rows[0].1, &rows[2].1);
    assert_eq!(plc["site_id"], hmi["site_id"]);
    assert_eq!(plc["zone_id"], hmi["zone_id"]);
    assert_ne!(plc["zone_id"], rows[1].1["zone_id"]);
}

#[test]
fn check_csv_reports_every_problem_by_line_and_field() {
    let err = check_csv(
        &ASSET_KIND,
        &include_bytes!("fixtures/bad_assets.csv")[..],
        "bad.csv",
        None,
    )
    .unwrap_err();
    let ImportError::Rejected { file, errors } = err else {
        panic!("not rejected: {err}");
    };
    assert_eq!(file, "bad.csv");
    assert!(!errors.is_empty());
    assert!(errors.windows(2).all(|w| w[0].line <= w[1].line));
    assert!(errors.iter().any(|e| e.field == "owner"), "{errors:?}");
}

#[test]
fn check_csv_is_total_on_malformed_input() {
    for input in [
        &b""[..],
        b"\xEF\xBB\xBF",
        b";;;\n , \n",
        b"Site,Name\n\"unterminated",
        b"Name\n\xFF\xFE",
        b"Code,Name,Time zone\nfra1,Frankfurt,Europe/Berlin,extra\n",
        b"\r\r\r\n\r",
    ] {
        for kind in [&ASSET_KIND, &SITE_KIND] {
            let _ = check_csv(kind, input, "x.csv", None);
            let _ = check_csv(kind, input, "x.csv", Some("FRA1"));
        }
    }
}

/// Two cells far apart (A1 and ZZZZZZ1): calamine's dense range of the span took 10 GB (fuzz
/// target xlsx_import, out of memory). Cells are now read one by one and a reference beyond
/// Excel's last column is an error.
#[test]
fn cells_far_apart_do_not_fill_the_memory() {
    for fixture in [
        &include_bytes!("fixtures/xlsx-wide-span.xlsx")[..],
        include_bytes!("fixtures/xlsx-tall-span.xlsx"),
    ] {
        let err = read_xlsx_sheet(fixture, "far.xlsx").unwrap_err();
        assert!(
            err.to_string()
                .contains("beyond Excel's last row or column"),
            "{err}"
        );
    }
}

/// A date-formatted cell holding 1e12 days: `jiff::Span::days` panics beyond ±7.3 million
/// days; the serial now stays a number.
#[test]
fn a_date_beyond_the_calendar_stays_a_number() {
    let rows = read_xlsx_sheet(include_bytes!("fixtures/xlsx-far-date.xlsx"), "far.xlsx").unwrap();
    assert_eq!(
        rows[1],
        (
            2,
            vec!["1000000000000".to_string(), "2023-03-15".to_string()]
        )
    );
}
