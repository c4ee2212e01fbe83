//! Stream copy: `pstkit_copy::convert` with salvage on, from any input
//! that opens as a store, into a temporary file. With salvage on, every
//! damaged item is skipped, so the conversion must succeed; its output
//! must then check clean, list exactly the items the summary counts, and
//! read back without a single error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_copy::{convert, ConvertOptions};
use std::collections::{BTreeSet, HashMap};

use pstkit_fuzz::{prepared, read_pc, tempdir, walk_message, walk_store, Walk};
use pstkit_ndb::{check, NdbFile, Nid, NidType};
use pstkit_store::Store;

#[path = "../../crates/pstkit-copy/tests/support/error_text.rs"]
mod error_text;

fuzz_target!(|input: &[u8]| {
    let data = prepared(input);
    let data = &data[..];
    let Ok(file) = NdbFile::new_lenient(data) else {
        return;
    };
    let Ok(store) = Store::open(file.ndb()) else {
        return;
    };
    let dir = tempdir();
    let dest = dir.path().join("out.pst");
    let mut opts = ConvertOptions::default();
    opts.writer.record_key = Some([0x5A; 16]);
    opts.writer.timestamp = pstkit_ltp::FileTime(133_000_000_000_000_000);
    opts.salvage = true;
    // One thread: the fuzzer runs many inputs a second.
    opts.threads = Some(1);
    let summary = match convert(&store, &dest, &opts, &mut |_| {}) {
        Ok(s) => s,
        // The output's failure (a full disk), not the copy's.
        Err(e) if e.is_output() => return,
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
    // inside them included: reading a moved item must give the errors (by
    // kind) that reading the source item with the same blocks gives.
    let structural = |errors: &[String]| -> Vec<String> {
        errors
            .iter()
            .filter(|e| !["rtf:", "eml:", "ics:"].iter().any(|p| e.starts_with(p)))
            .cloned()
            .collect()
    };
    if !summary.moved {
        let mut w = Walk::default();
        walk_store(&copied, &mut w);
        let errors = structural(&w.errors);
        assert!(errors.is_empty(), "output reads with errors: {errors:?}");
        return;
    }
    // Source items by the digest of their blocks.
    let src_ndb = store.ndb();
    let mut by_digest: HashMap<u64, Vec<Nid>> = HashMap::new();
    for e in src_ndb.nodes().take(20_000).flatten() {
        if matches!(e.nid.kind(), NidType::NormalMessage | NidType::AssocMessage) {
            if let Ok(n) = src_ndb.stored_node(e.data, e.sub) {
                by_digest.entry(n.digest()).or_default().push(e.nid);
            }
        }
    }
    let kinds = |errors: &[String]| -> BTreeSet<String> {
        structural(errors)
            .iter()
            .map(|e| error_text::without_numbers(e))
            .collect()
    };
    let out_ndb = out.ndb();
    for f in copied.walk() {
        let f = f.unwrap_or_else(|(nid, _, e)| panic!("output folder {nid}: {e}"));
        let mut fw = Walk::default();
        read_pc(f.folder.properties(), &mut fw);
        assert!(
            fw.errors.is_empty(),
            "output folder reads with errors: {:?}",
            fw.errors
        );
        let ids = f
            .folder
            .message_ids()
            .into_iter()
            .chain(f.folder.associated_ids());
        for nid in ids.flatten() {
            let mut mw = Walk::default();
            match copied.message(nid) {
                Ok(m) => walk_message(&copied, &m, 0, &mut mw),
                Err(e) => panic!("output item {nid}: {e}"),
            }
            let got = kinds(&mw.errors);
            if got.is_empty() {
                continue;
            }
            let e = out_ndb.node_entry(nid).expect("output item's node");
            let digest = out_ndb
                .stored_node(e.data, e.sub)
                .expect("output item's blocks")
                .digest();
            let sources = by_digest.get(&digest).cloned().unwrap_or_default();
            let theirs: Vec<BTreeSet<String>> = sources
                .iter()
                .map(|&src| {
                    let mut sw = Walk::default();
                    if let Ok(m) = store.message(src) {
                        walk_message(&store, &m, 0, &mut sw);
                    }
                    kinds(&sw.errors)
                })
                .collect();
            assert!(
                theirs.contains(&got),
                "moved item {nid} reads with errors its source ({sources:?}: {theirs:?}) does not give: {got:?}"
            );
        }
    }
});
