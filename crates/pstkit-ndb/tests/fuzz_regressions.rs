//! Regression tests for findings of the `ndb_walk` fuzz target (fuzz/).
//!
//! Each input is the finding as the target saw it (after its checksum
//! fix-up), kept as a test after its fix.

use pstkit_ndb::{check, NdbFile};

/// A B-tree page entry points at an offset near 2^64: noting the read of
/// that page overflowed before the page's bounds were checked.
#[test]
fn a_page_offset_near_the_end_of_the_address_space() {
    let data = include_bytes!("fuzz/ndb_walk-page-offset-overflow.bin");
    let file = NdbFile::new_lenient(&data[..]).expect("the header parses");
    let report = check::check(file.ndb());
    assert!(!report.is_clean());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.to_string().contains("truncated") || p.to_string().contains("beyond")),
        "{:?}",
        report
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
    );
}
