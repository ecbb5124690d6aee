//! Packet captures (pcap and pcapng, every link type) through the observer, as an upload does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_ingest::observe::{Observer, pcap};

fuzz_target!(|data: &[u8]| {
    let mut observer = Observer::new();
    let _ = pcap::read_into(&mut observer, data, "fuzz.pcap", &mut |_| {});
    let _ = observer.finish();
});
