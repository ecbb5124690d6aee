//! Firewall rulesets: iptables-save output and pfSense config.xml (told apart by content).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = otkeep_ingest::firewall::parse(&text, "fuzz.rules");
});
