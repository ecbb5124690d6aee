//! SBOMs: CycloneDX JSON and XML, SPDX JSON and tag-value (told apart by content), and the
//! diff of one against itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sbom) = otkeep_ingest::parse_sbom(data, "fuzz.sbom") {
        let _ = otkeep_core::sbom::diff(&sbom, &sbom);
        for c in &sbom.components {
            let _ = c.key();
        }
    }
});
