//! Certificates as uploaded to a certificate record: PEM or DER X.509.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = otkeep_ingest::read_certificate(data, "fuzz.pem");
});
