//! The deep check's messaging-layer audit (`pstkit_store::audit`) on any
//! input that opens: every folder, table, item and attachment it reaches,
//! every finding formatted. It reads what a damaged file holds by design,
//! so it must end, without a panic, on whatever the bytes say.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_fuzz::prepared;
use pstkit_ndb::NdbFile;
use pstkit_store::audit::{audit, rule, MAX_FINDINGS};

fuzz_target!(|input: &[u8]| {
    let data = prepared(input);
    let Ok(file) = NdbFile::new_lenient(&data[..]) else {
        return;
    };
    let r = audit(file.ndb());
    assert!(r.findings.len() <= MAX_FINDINGS);
    for f in &r.findings {
        // Every finding names a rule of the catalogue, with its severity.
        let known = rule(f.rule).expect("a rule of the catalogue");
        assert_eq!(known.severity, f.severity);
        let _ = format!("{} {} {} {}", f.nid, f.path, f.expected, f.found);
    }
});
