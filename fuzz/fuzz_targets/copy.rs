//! Stream copy: `pstkit_copy::convert` with salvage on, from any input
//! that opens as a store, into a temporary file. With salvage on, every
//! damaged item is skipped, so the conversion must succeed; its output
//! must then check clean, list exactly the items the summary counts, and
//! read back without a single error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_copy::{convert, ConvertOptions, CopyError};
use pstkit_fuzz::{fix_checksums, tempdir, walk_store, wants_fixup, Walk};
use pstkit_ndb::{check, NdbFile};
use pstkit_store::write::WriterOptions;
use pstkit_store::Store;

fuzz_target!(|input: &[u8]| {
    let fixed;
    let data = if wants_fixup(input) {
        fixed = fix_checksums(input);
        &fixed[..]
    } else {
        input
    };
    let Ok(file) = NdbFile::new_lenient(data) else {
        return;
    };
    let Ok(store) = Store::open(file.ndb()) else {
        return;
    };
    let dir = tempdir();
    let dest = dir.path().join("out.pst");
    let opts = ConvertOptions {
        writer: WriterOptions {
            record_key: Some([0x5A; 16]),
            timestamp: pstkit_ltp::FileTime(133_000_000_000_000_000),
            ..WriterOptions::default()
        },
        binding: None,
        salvage: true,
        rebuild: false,
    };
    let summary = match convert(&store, &dest, &opts, &mut |_| {}) {
        Ok(s) => s,
        Err(CopyError::Io { .. }) => return,
        Err(CopyError::Store(pstkit_store::StoreError::Io { .. })) => return,
        Err(e) => panic!("salvage conversion failed: {e}"),
    };

    let out = NdbFile::open(&summary.path).expect("output opens");
    let report = check::check(out.ndb());
    assert!(
        report.is_clean(),
        "output fails its check: {:?}",
        report.problems.first()
    );
    let copied = Store::open(out.ndb()).expect("output store opens");
    let mut items = 0u64;
    let mut associated = 0u64;
    for f in copied.walk() {
        let f = f.unwrap_or_else(|(nid, _, e)| panic!("output folder {nid}: {e}"));
        items += f.folder.message_ids().expect("output contents table").len() as u64;
        associated += f.folder.associated_ids().expect("output FAI table").len() as u64;
    }
    assert_eq!(items, summary.items, "normal items in the output");
    assert_eq!(
        associated, summary.associated,
        "associated items in the output"
    );
    assert_eq!(summary.verified, summary.items + summary.associated);

    // Everything pstkit wrote reads back without an error (contents copied
    // as they were, a damaged RTF body say, may still fail to decode).
    // Items moved as stored keep their own structures byte for byte, damage
    // inside them included: an error reading one is allowed when reading
    // the source gives the same kind of error.
    let mut w = Walk::default();
    walk_store(&copied, &mut w);
    let structural: Vec<String> = w
        .errors
        .iter()
        .filter(|e| !["rtf:", "eml:", "ics:"].iter().any(|p| e.starts_with(p)))
        .cloned()
        .collect();
    if summary.moved {
        let mut src = Walk::default();
        walk_store(&store, &mut src);
        if src.is_complete() {
            let known: std::collections::HashSet<String> =
                src.errors.iter().map(|e| error_kind(e)).collect();
            let new: Vec<&String> = structural
                .iter()
                .filter(|e| !known.contains(&error_kind(e)))
                .collect();
            assert!(
                new.is_empty(),
                "moved output reads with new errors: {new:?}"
            );
        }
    } else {
        assert!(
            structural.is_empty(),
            "output reads with errors: {structural:?}"
        );
    }
});

/// An error message without its numbers (node ids, offsets, rows), which
/// differ between a source and its copy.
fn error_kind(e: &str) -> String {
    let mut out = String::with_capacity(e.len());
    let mut in_number = false;
    for c in e.chars() {
        if c.is_ascii_digit() || (in_number && (c.is_ascii_hexdigit() || c == 'x')) {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}
