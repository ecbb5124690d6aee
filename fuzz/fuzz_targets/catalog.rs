//! Requirement catalogs: a customer's licensed IEC 62443-3-3 text (`parse_catalog_csv`) and the
//! catalog file format of the core (`Catalog::parse`), then levels applied.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_core::SlVector;
use otkeep_core::catalog::{Catalog, Target};
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let _ = otkeep_ingest::parse_catalog_csv(data, "fuzz.csv");
    let text = String::from_utf8_lossy(data);
    if let Ok(catalog) = Catalog::parse("IEC 62443-3-3", &text, "fuzz.csv") {
        let levels: HashMap<String, u8> = HashMap::new();
        let catalog = catalog.with_levels(&levels);
        let sl = SlVector::parse("2").unwrap_or_default();
        let _ = catalog.in_force(&sl, Target::Zone).count();
    }
});
