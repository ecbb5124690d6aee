//! Firmware versions and advisory version ranges. The input is up to three lines: a range and
//! two installed versions. Checks that the range parses and evaluates without a panic and that
//! the version order is a total order (antisymmetric, transitive), which sorting relies on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otkeep_core::firmware::{FirmwareVersion, VersionSpec};
use std::cmp::Ordering;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let spec = VersionSpec::parse(lines.next().unwrap_or(""));
    let a = FirmwareVersion::parse(lines.next().unwrap_or(""));
    let b = FirmwareVersion::parse(lines.next().unwrap_or(""));
    let _ = spec.describe();
    let _ = (spec.check(&a), spec.check(&b));
    let _ = (a.to_string(), a.as_str(), a.looks_like_version());
    let vs = [
        FirmwareVersion::parse(&spec.describe()),
        a.clone(),
        b.clone(),
    ];
    for x in &vs {
        assert_eq!(x.cmp(x), Ordering::Equal, "{x:?} is not equal to itself");
        for y in &vs {
            assert_eq!(
                x.cmp(y),
                y.cmp(x).reverse(),
                "{x:?} vs {y:?} not antisymmetric"
            );
            assert_eq!(
                x.cmp(y) == Ordering::Equal,
                x == y,
                "{x:?} vs {y:?}: cmp and eq differ"
            );
            for z in &vs {
                if x <= y && y <= z {
                    assert!(x <= z, "{x:?} <= {y:?} <= {z:?} but not {x:?} <= {z:?}");
                }
            }
        }
    }
});
