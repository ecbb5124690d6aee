//! The ICS protocol recognisers over one payload: the first byte picks the protocol the flow
//! is thought to speak, the rest is the payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_ingest::observe::protocols::{is_write, operation, refine, role, vendor};

/// Every protocol name the observer uses (by port, by EtherType, refined), and "other".
const PROTOCOLS: &[&str] = &[
    "modbus",
    "iso-tsap",
    "s7comm",
    "s7comm-plus",
    "mms",
    "enip",
    "enip-io",
    "dnp3",
    "iec104",
    "opcua",
    "bacnet",
    "profinet",
    "c37.118",
    "melsec",
    "hart-ip",
    "ads",
    "omron-fins",
    "ge-srtp",
    "codesys",
    "niagara-fox",
    "goose",
    "sv",
    "profinet-rt",
    "lldp",
    "arp",
    "other",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    let protocol = PROTOCOLS[usize::from(pick) % PROTOCOLS.len()];
    let refined = refine(protocol, payload);
    for p in [protocol, refined] {
        if let Some(op) = operation(p, payload) {
            let _ = is_write(op);
        }
        let _ = role(p, pick & 1 == 0);
    }
    let _ = vendor(&String::from_utf8_lossy(payload));
});
