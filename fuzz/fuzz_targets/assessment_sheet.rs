//! A filled-in assessment sheet read back: CSV (`read_csv_sheet`), or XLSX (`read_xlsx_sheet`)
//! when the input is a zip archive.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"PK") {
        let _ = otkeep_ingest::read_xlsx_sheet(data, "fuzz.xlsx");
    } else {
        let _ = otkeep_ingest::read_csv_sheet(data, "fuzz.csv");
    }
});
