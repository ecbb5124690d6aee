//! Laws of firmware version ordering and range checks, on random ICS-style version strings.

use otkeep_core::firmware::{FirmwareVersion, Verdict, VersionSpec};
use proptest::prelude::*;
use std::cmp::Ordering;

/// Version-like strings: prefixes, numbers with padding, separators, qualifiers.
fn version() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        (0u32..30).prop_map(|n| n.to_string()),
        (0u32..30).prop_map(|n| format!("{n:02}")),
        Just("SP".to_string()),
        Just("HF".to_string()),
        Just("Update".to_string()),
        Just("beta".to_string()),
        Just("rc".to_string()),
        Just("a".to_string()),
        Just("L".to_string()),
    ];
    let sep = prop_oneof![Just("."), Just("_"), Just(" "), Just("-"), Just("")];
    (
        prop_oneof![Just(""), Just("V"), Just("v"), Just("FW "), Just("R")],
        (0u32..30),
        proptest::collection::vec((sep, part), 0..6),
    )
        .prop_map(|(prefix, first, rest)| {
            let mut s = format!("{prefix}{first}");
            for (sep, p) in rest {
                s.push_str(sep);
                s.push_str(&p);
            }
            s
        })
}

proptest! {
    #[test]
    fn ordering_is_a_total_order(a in version(), b in version(), c in version()) {
        let (x, y, z) = (FirmwareVersion::parse(&a), FirmwareVersion::parse(&b), FirmwareVersion::parse(&c));
        // Antisymmetry and consistency with equality.
        prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
        prop_assert_eq!(x == y, x.cmp(&y) == Ordering::Equal);
        // Transitivity.
        if x <= y && y <= z {
            prop_assert!(x <= z, "{} <= {} <= {} but not {} <= {}", a, b, c, a, c);
        }
    }

    #[test]
    fn a_bound_excludes_or_includes_itself(a in version()) {
        let x = FirmwareVersion::parse(&a);
        prop_assert_eq!(VersionSpec::parse(&format!("<{a}")).check(&x), Verdict::NotAffected);
        prop_assert_eq!(VersionSpec::parse(&format!("<={a}")).check(&x), Verdict::Affected);
        prop_assert_eq!(VersionSpec::parse(&format!("vers:all/>={a}|<{a}")).check(&x), Verdict::NotAffected);
        prop_assert_eq!(VersionSpec::parse(&a).check(&x), Verdict::Affected);
    }

    #[test]
    fn a_range_holds_what_lies_between(a in version(), b in version(), c in version()) {
        let mut v = [FirmwareVersion::parse(&a), FirmwareVersion::parse(&b), FirmwareVersion::parse(&c)];
        v.sort();
        let spec = VersionSpec::parse(&format!(">= {} | <= {}", v[0], v[2]));
        prop_assert_eq!(spec.check(&v[1]), Verdict::Affected);
    }

    #[test]
    fn parsing_anything_is_total(s in "\\PC{0,40}") {
        let v = FirmwareVersion::parse(&s);
        let spec = VersionSpec::parse(&s);
        let _ = spec.check(&v);
        let _ = spec.describe();
    }
}
