//! The CSV import of records (any kind) without a database: `check_csv` reads the file and
//! checks every row as `import_csv` does. The first byte picks the kind and whether a
//! `--site` is given; the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_core::KINDS;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(pick >> 1) % KINDS.len()];
    let site = (pick & 1 == 1).then_some("fra1");
    let _ = otkeep_ingest::check_csv(kind, file, "fuzz.csv", site);
});
