//! The XLSX import of records: the workbook's sheet as CSV (`xlsx_as_csv`), then checked as
//! the CSV import does. The first byte picks the kind; the rest is the workbook.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_core::KINDS;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(pick) % KINDS.len()];
    if let Ok(csv) = otkeep_ingest::xlsx_as_csv(file, "fuzz.xlsx", kind) {
        let _ = otkeep_ingest::check_csv(kind, &csv[..], "fuzz.xlsx", None);
    }
});
