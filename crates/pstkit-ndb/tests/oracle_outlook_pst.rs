//! Our B-tree reading against Microsoft's `outlook-pst` crate, an independent
//! reader: on every real PST both must list the same node and block entries.
//! (`outlook-pst` refuses OST files, so the OST sample is compared against
//! `pffinfo` and `pffexport` elsewhere.)

use outlook_pst::ndb::block_id::BlockId;
use outlook_pst::ndb::block_ref::BlockRef;
use outlook_pst::ndb::byte_index::ByteIndex;
use outlook_pst::ndb::header::Header;
use outlook_pst::ndb::page::{
    AnsiBlockBTree, AnsiNodeBTree, BTreePage, BTreePageEntry, BlockBTreeEntry, NodeBTreeEntry,
    RootBTreePage, UnicodeBlockBTree, UnicodeNodeBTree,
};
use outlook_pst::ndb::root::Root;
use outlook_pst::{AnsiPstFile, PstFile, UnicodePstFile};
use pstkit_fixtures::real;
use pstkit_ndb::{NdbFile, Variant};

/// (nid, data bid, subnode bid, parent nid)
type Node = (u32, u64, u64, u32);
/// (bid, offset, stored size, references)
type Block = (u64, u64, u16, u16);

/// Collects every leaf entry of one of outlook-pst's B-trees, depth first.
macro_rules! leaves {
    ($tree:ty, $pst:ty, $reader:expr, $root:expr, $map:expr) => {{
        fn walk(
            r: &mut Box<dyn outlook_pst::PstReader>,
            page: <$pst as PstFile>::PageRef,
            out: &mut Vec<<$tree as outlook_pst::ndb::page::RootBTree>::Entry>,
        ) {
            match <$tree>::read(r, page).expect("outlook-pst reads the page") {
                RootBTreePage::Intermediate(p, ..) => {
                    for e in p.entries() {
                        walk(r, e.block(), out);
                    }
                }
                RootBTreePage::Leaf(p) => out.extend_from_slice(p.entries()),
            }
        }
        let mut out = Vec::new();
        walk($reader, $root, &mut out);
        out.into_iter().map($map).collect::<Vec<_>>()
    }};
}

macro_rules! oracle {
    ($path:expr, $pst:ty, $nbt:ty, $bbt:ty) => {{
        let pst = <$pst>::open($path).expect("outlook-pst opens the file");
        let root = pst.header().root();
        let (nbt, bbt) = (*root.node_btree(), *root.block_btree());
        let mut r = pst.reader().lock().unwrap();
        let nodes: Vec<Node> = leaves!($nbt, $pst, &mut *r, nbt, |e| (
            u32::from(e.node()),
            e.data().into_u64(),
            e.sub_node().map_or(0, |b| b.into_u64()),
            e.parent().map_or(0, u32::from),
        ));
        let blocks: Vec<Block> = leaves!($bbt, $pst, &mut *r, bbt, |e| (
            e.block().block().into_u64(),
            e.block().index().index().into(),
            e.size(),
            e.ref_count(),
        ));
        (nodes, blocks)
    }};
}

#[test]
fn node_and_block_entries_match_outlook_pst() {
    let mut compared = 0;
    for (name, path) in real::all() {
        if !name.ends_with(".pst") || name.contains("AddingBulkMessages") {
            continue;
        }
        let file = NdbFile::open(&path).unwrap();
        let ndb = file.ndb();
        let ours_nodes: Vec<Node> = ndb
            .nodes()
            .map(|e| {
                let e = e.unwrap();
                (e.nid.0, e.data.0, e.sub.0, e.parent.0)
            })
            .collect();
        let ours_blocks: Vec<Block> = ndb
            .blocks()
            .map(|e| {
                let e = e.unwrap();
                (e.bref.bid.0, e.bref.ib.0, e.cb, e.refs)
            })
            .collect();
        let (nodes, blocks) = match ndb.format().variant {
            Variant::Ansi => oracle!(&path, AnsiPstFile, AnsiNodeBTree, AnsiBlockBTree),
            _ => oracle!(&path, UnicodePstFile, UnicodeNodeBTree, UnicodeBlockBTree),
        };
        assert_eq!(ours_nodes.len(), nodes.len(), "{name}: node count");
        assert_eq!(ours_blocks.len(), blocks.len(), "{name}: block count");
        assert_eq!(ours_nodes, nodes, "{name}: node entries");
        assert_eq!(ours_blocks, blocks, "{name}: block entries");
        compared += 1;
    }
    assert!(
        compared >= real::min_count(16, 26),
        "only {compared} readable PST samples compared"
    );
}
