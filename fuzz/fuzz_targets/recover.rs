//! Index recovery: the scan of every page and block position (dropping and,
//! for deleted items, keeping what lies in free space), then every node and
//! block the rebuilt index holds, read through it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_fuzz::{prepared, walk_node, Walk};
use pstkit_ndb::NdbFile;

/// Entries visited per index: a 1 MB input holds far fewer.
const MAX_ENTRIES: usize = 50_000;

fuzz_target!(|input: &[u8]| {
    let data = prepared(input);
    let data = &data[..];
    let Ok(file) = NdbFile::new_lenient(data) else {
        return;
    };
    // Keeping free space adds entries, never drops one the first kept.
    let (kept, kept_report) = NdbFile::new_lenient(data)
        .expect("opened once")
        .recover_deleted();
    let (file, report) = file.recover();
    let _ = kept_report.to_string();
    if let (Some(all), Some(live)) = (kept.recovered_index(), file.recovered_index()) {
        for d in all.deleted() {
            assert!(live.node(*d).is_none(), "a deleted node {d:?} is live");
        }
    }
    let _ = (report.to_string(), report.trees_intact());
    let ndb = file.ndb();
    let mut w = Walk::default();
    for e in ndb.nodes().take(MAX_ENTRIES) {
        let Ok(e) = e else { break };
        match ndb.node(e.nid) {
            Ok(node) => walk_node(ndb, &node, 2, &mut w),
            Err(err) => {
                let _ = err.to_string();
            }
        }
    }
    for e in ndb.blocks().take(MAX_ENTRIES) {
        let Ok(e) = e else { break };
        let _ = ndb.block_entry(e.bref.bid);
        let _ = ndb.read_block_at(&e);
        let _ = ndb.data_tree(e.bref.bid);
    }
});
