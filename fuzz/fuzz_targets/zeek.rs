//! Zeek conn.log (TSV with #fields, or JSON lines) through the observer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_ingest::observe::{Observer, zeek};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut observer = Observer::new();
    let _ = zeek::read_into(&mut observer, &text, "conn.log");
    let _ = observer.finish();
});
