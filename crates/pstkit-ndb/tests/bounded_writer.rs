//! The writer's memory does not grow with the file: B-tree entries and
//! block references beyond a fixed count go to spill files, and the file
//! comes out byte for byte as when everything stays in memory.

use pstkit_ndb as ndb;

use ndb::check::check;
use ndb::spill::SpillLimits;
use ndb::write::NdbWriter;
use ndb::{Bid, CryptMethod, FileKind, Format, NdbFile, Nid, NidType};

const MESSAGES: u32 = 1500;

/// Writes a file of several thousand blocks: data trees, subnode trees,
/// nodes in scrambled id order, one node added twice, and a block written
/// first and named by nodes to the end. Returns the bytes, the most entries
/// held in memory at any point, and the block count.
fn write(f: Format, limits: Option<SpillLimits>) -> (Vec<u8>, usize, usize) {
    let mut w = NdbWriter::in_memory(f, CryptMethod::Permute, FileKind::Pst);
    if let Some(l) = limits {
        w.set_spill_limits(l);
    }
    let mut most = 0;
    let mut blocks = 0;
    let shared = w.add_block(b"named by many nodes").unwrap();
    blocks += 1;
    let first_twice = w.add_block(b"the first of two entries").unwrap();
    let again = w.add_block(b"the second, dropped").unwrap();
    blocks += 2;
    let twice = Nid::new(NidType::NormalMessage, 0x9000);
    w.add_node(twice, first_twice, Bid(0), Nid(0x122));
    for i in 0..MESSAGES {
        let len = 200 + (i as usize * 37) % 3000;
        let body: Vec<u8> = (0..len).map(|k| (k * 13 % 251) as u8).collect();
        let data = if i % 5 == 0 {
            let mut big = body.clone();
            big.resize(f.max_block_data() * 2 + 100, 7);
            blocks += 4;
            w.add_stream(&big).unwrap()
        } else {
            blocks += 1;
            w.add_block(&body).unwrap()
        };
        let att = w.add_block(&body[..100]).unwrap();
        let sub = w
            .add_subnode_tree(&[(Nid::new(NidType::Attachment, 1), att, Bid(0))])
            .unwrap();
        blocks += 2;
        // Ids scrambled, so that the node entries must be sorted.
        let idx = 0x400 + (i * 7919) % MESSAGES;
        w.add_node(Nid::new(NidType::NormalMessage, idx), data, sub, Nid(0x122));
        if i % 100 == 0 {
            let folder = Nid::new(NidType::NormalFolder, 0x400 + (MESSAGES - i));
            w.add_node(folder, shared, Bid(0), Nid(0x122));
        }
        most = most.max(w.entries_in_memory());
    }
    w.add_node(twice, again, Bid(0), Nid(0x122));
    (w.finish_bytes(), most, blocks)
}

#[test]
fn entries_in_memory_stay_bounded_and_the_bytes_do_not_change() {
    let small = SpillLimits {
        chunk: 16,
        fan_in: 3,
    };
    for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
        let (all_in_memory, _, _) = write(f, None);
        let (spilled, most, blocks) = write(f, Some(small));
        assert!(blocks > 100 * small.chunk, "{blocks} blocks");
        assert!(most <= 3 * small.chunk, "{most} entries held");
        assert!(all_in_memory == spilled, "{:?}: bytes differ", f.variant);

        let file = NdbFile::new(&spilled[..]).unwrap();
        let r = check(file.ndb());
        assert!(r.is_clean(), "{:?}", r.problems);
        assert_eq!(r.findings, [], "{:?}", f.variant);
        let ndb = file.ndb();
        let shared = ndb.node_entry(Nid::new(NidType::NormalFolder, 0x400 + MESSAGES));
        let shared = shared.unwrap().data;
        assert_eq!(ndb.block_entry(shared).unwrap().refs, 1 + 15);
        let twice = ndb.node_entry(Nid::new(NidType::NormalMessage, 0x9000));
        assert_eq!(twice.unwrap().data, Bid(8), "the first entry added is kept");
    }
}
