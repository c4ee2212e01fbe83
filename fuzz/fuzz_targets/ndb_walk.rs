//! Node database: header, `check`, both B-trees, every block, every node's
//! data and subnode tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_fuzz::{prepared, walk_node, Walk};
use pstkit_ndb::{check, NdbFile};

/// B-tree entries visited per tree: a 1 MB input holds far fewer.
const MAX_ENTRIES: usize = 50_000;

fuzz_target!(|input: &[u8]| {
    let data = prepared(input);
    let data = &data[..];
    // The strict constructor verifies the header CRCs too.
    let _ = NdbFile::new(data);
    let Ok(file) = NdbFile::new_lenient(data) else {
        return;
    };
    let ndb = file.ndb();
    let h = ndb.header();
    let _ = (h.verify(), h.variant_name(), ndb.format(), ndb.crypt());

    let report = check::check(ndb);
    let _ = report.is_clean();
    for p in &report.problems {
        let _ = p.to_string();
    }

    let mut w = Walk::default();
    for e in ndb.nodes().take(MAX_ENTRIES) {
        let Ok(e) = e else { break };
        let _ = ndb.node_entry(e.nid);
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
        let _ = ndb.subnode_tree(e.bref.bid).entries();
    }
});
