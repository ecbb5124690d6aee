//! CSAF 2.0 advisories, then what matching does with them: compiled products, a model match
//! and a firmware check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_core::advisory::{ModelFacts, compile};
use otkeep_core::firmware::FirmwareVersion;

fuzz_target!(|data: &[u8]| {
    let Ok(advisory) = otkeep_ingest::parse_csaf(data, "fuzz.json") else {
        return;
    };
    let _ = (
        advisory.max_score(),
        advisory.severity(),
        advisory.known_exploited(),
    );
    let _ = advisory.affected_product_ids();
    let model = ModelFacts::new("SIMATIC S7-1500 CPU 1516-3 PN/DP");
    let firmware = FirmwareVersion::parse("V2.8.3");
    for product in compile(&advisory, &[]) {
        if let Some(how) = product.model_match(&model) {
            let _ = product.check(&how, &firmware);
        }
        let _ = product.component_match("openssl", "pkg:generic/openssl@1.1.1", "siemens");
    }
});
