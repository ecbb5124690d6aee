//! Inputs found by fuzzing (fuzz/, see fuzz/README.md) that once made a parser panic. Each
//! must now return (Ok or an error) without panicking.

use otkeep_core::firmware::{FirmwareVersion, Verdict, VersionSpec};
use otkeep_core::value::checklist_items;

/// `VersionSpec::parse` took the offset of the constraints after `vers:<scheme>/` in the
/// Unicode lower-cased text and used it in the original: `İ` lower-cases to three bytes from
/// two, so the offset ran past the start (fuzz target version_range).
#[test]
fn a_version_range_with_letters_that_grow_in_lower_case() {
    let spec = VersionSpec::parse("vers:x/İİİİİİİİ");
    assert!(matches!(spec, VersionSpec::Unreadable(_)), "{spec:?}");
    let _ = VersionSpec::parse("vers:İ/<İ2.0").check(&FirmwareVersion::parse("1.0"));
    // The constraints after a non-ASCII scheme are still read.
    let spec = VersionSpec::parse("vers:İ/<2.0");
    assert_eq!(
        spec.check(&FirmwareVersion::parse("1.0")),
        Verdict::Affected
    );
}

/// The month of a date written `April/20/2023` was found in the lower-cased text and its
/// position used in the original (fuzz target version_range).
#[test]
fn a_month_after_letters_that_grow_in_lower_case() {
    let spec = VersionSpec::parse("İİİİ may/é");
    assert!(matches!(spec, VersionSpec::Unreadable(_)), "{spec:?}");
    // Dates are still repaired after non-ASCII text.
    assert_eq!(
        VersionSpec::parse("<=İ April/20/2023").describe(),
        VersionSpec::parse("<=İ 2023.04.20").describe()
    );
}

/// A done checklist item `[x]` followed by text that grows in lower case (fuzz target
/// field_values).
#[test]
fn a_checklist_item_with_letters_that_grow_in_lower_case() {
    assert_eq!(
        checklist_items("[x]İİİİ\n[X] Done\n[ ] open"),
        vec![
            (true, "İİİİ".to_string()),
            (true, "Done".to_string()),
            (false, "open".to_string())
        ]
    );
}
