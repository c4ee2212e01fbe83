//! Recovery of files whose node or block B-tree is damaged: the index
//! rebuilt by scanning pages and blocks reaches every node and block whose
//! own bytes are intact, in every variant, and agrees with the file's
//! B-trees on an intact file.

mod damage;
use pstkit_ndb as ndb;

use std::collections::BTreeMap;

use damage::{Damage, INDEX_KINDS};
use pstkit_fixtures::real;
use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{
    Bid, CryptMethod, FileKind, Format, NbtEntry, NdbError, NdbFile, Nid, NidType, Problem,
};

/// A file written by the workspace's writer: enough nodes for two-level
/// trees, data trees and subnode trees.
fn written(f: Format, nodes: u32) -> Vec<u8> {
    let mut w = NdbWriter::in_memory(f, CryptMethod::Permute, FileKind::Pst);
    for i in 1..=nodes {
        let body: Vec<u8> = (0..(i as usize % 23) * 900 + 40)
            .map(|k| (k * 31 + i as usize) as u8)
            .collect();
        let data = w.add_stream(&body).unwrap();
        let sub = if i % 3 == 0 {
            let att = w.add_block(&body[..body.len().min(500)]).unwrap();
            w.add_subnode_tree(&[(Nid::new(NidType::Attachment, 1), att, Bid(0))])
                .unwrap()
        } else {
            Bid(0)
        };
        w.add_node(Nid::new(NidType::NormalMessage, i), data, sub, Nid(0x122));
    }
    w.finish_bytes()
}

/// The files every damage is tried on: written ones of each variant, the
/// committed generated fixtures (Unicode, 4K) and ANSI samples from other tools.
fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("written ANSI".to_string(), written(Format::ANSI, 900)),
        ("written Unicode".to_string(), written(Format::UNICODE, 900)),
        ("written 4K".to_string(), written(Format::UNICODE_4K, 900)),
    ];
    let fixtures = real::repo_dir().join("..");
    for name in ["mailbox.pst", "mailbox-4k.ost"] {
        out.push((
            name.to_string(),
            std::fs::read(fixtures.join(name)).unwrap(),
        ));
    }
    for (name, path) in real::samples(&[
        "emk-pstsdk--test_ansi.pst",
        "markb-trustifi-pst-extractor--contacts97-2002.pst",
        "apache-tika--testPST.pst",
    ]) {
        out.push((name.to_string(), std::fs::read(path).unwrap()));
    }
    out
}

/// What a node reads as: its data and every subnode's data (`None` where
/// reading fails).
type Contents = (Option<Vec<u8>>, Vec<(Nid, Option<Vec<u8>>)>);

fn contents(ndb: pstkit_ndb::Ndb<'_>, e: &NbtEntry) -> Result<Contents, NdbError> {
    let node = ndb.node(e.nid)?;
    let data = node.read_all().ok();
    let subs = node
        .subnodes()
        .entries()?
        .into_iter()
        .map(|s| {
            let d = ndb
                .node_from_parts(s.nid, s.data, s.sub)
                .and_then(|n| n.read_all())
                .ok();
            (s.nid, d)
        })
        .collect();
    Ok((data, subs))
}

/// Whether an error is explained by bytes the damage destroyed: a block
/// or node gone from the index, or a structure inside the destroyed range.
fn explained(e: &NdbError, lost: &[(u64, u64)]) -> bool {
    match e {
        NdbError::NodeNotFound(_) => !lost.is_empty(),
        NdbError::Corrupt(c) => {
            matches!(c.problem, Problem::MissingBlock(_)) && !lost.is_empty()
                || c.offset.is_some_and(|o| damage::hits(lost, o, 1))
        }
        _ => false,
    }
}

#[test]
fn recovery_reaches_every_intact_node_and_block() {
    let mut table = Vec::new();
    for (name, original) in inputs() {
        let orig_file = NdbFile::new(&original[..]).unwrap();
        let orig = orig_file.ndb();
        let nodes: Vec<NbtEntry> = orig.nodes().map(|e| e.unwrap()).collect();
        let blocks: Vec<_> = orig.blocks().map(|e| e.unwrap()).collect();
        let f = orig.format();
        let leaves = damage::nbt_leaves(&original, f, orig.header().root.nbt);
        for d in INDEX_KINDS {
            let mut bytes = original.clone();
            let lost = damage::apply(&mut bytes, d);

            // The damage defeats the normal path.
            let plain = NdbFile::new(&bytes[..]).expect("the header still reads");
            let normal_ok = nodes
                .iter()
                .filter(|e| plain.ndb().node_entry(e.nid).is_ok_and(|x| x == **e))
                .count();
            let normal_blocks_ok = blocks
                .iter()
                .filter(|e| plain.ndb().block_entry(e.bref.bid).is_ok())
                .count();
            assert!(
                normal_ok < nodes.len() || normal_blocks_ok < blocks.len(),
                "{name} {d:?}: the damage did not break the normal path"
            );

            let (file, report) = NdbFile::new(&bytes[..]).unwrap().recover();
            let ndb = file.ndb();
            assert!(ndb.is_recovered());

            // Every block whose bytes are intact has its entry back.
            let mut blocks_back = 0;
            for e in &blocks {
                let size = f.block_size(usize::from(e.cb)) as u64;
                let got = ndb.block_entry(e.bref.bid);
                if damage::hits(&lost, e.bref.ib.0, size) {
                    continue;
                }
                let got = got.unwrap_or_else(|x| panic!("{name} {d:?}: block {}: {x}", e.bref.bid));
                assert_eq!(
                    (got.bref, got.cb, got.inflated),
                    (e.bref, e.cb, e.inflated),
                    "{name} {d:?}"
                );
                blocks_back += 1;
            }
            // Every node whose leaf entry is intact has its entry back, and
            // reads as it did unless its blocks lay in the destroyed range.
            let mut nodes_back = 0;
            let mut nodes_read = 0;
            let nodes_present = nodes
                .iter()
                .filter(|e| ndb.node_entry(e.nid).is_ok_and(|x| x == **e))
                .count();
            for e in &nodes {
                let leaf = leaves.iter().find(|(_, n)| n.contains(&e.nid.0)).unwrap();
                if damage::hits(&lost, leaf.0.ib.0, f.page_size as u64) {
                    assert!(
                        ndb.node_entry(e.nid).map_or(true, |x| x == *e),
                        "{name} {d:?}: node {} differs",
                        e.nid
                    );
                    continue;
                }
                let got = ndb
                    .node_entry(e.nid)
                    .unwrap_or_else(|x| panic!("{name} {d:?}: node {}: {x}", e.nid));
                assert_eq!(got, *e, "{name} {d:?}");
                nodes_back += 1;
                let want = contents(orig, e).unwrap();
                match contents(ndb, e) {
                    Ok(have) if have == want => nodes_read += 1,
                    Ok(have) => {
                        // Only a stream whose bytes were destroyed may differ,
                        // and then it fails rather than reads otherwise.
                        assert!(!lost.is_empty(), "{name} {d:?}: node {} differs", e.nid);
                        assert!(have.0.is_none() || have.0 == want.0, "{name} {d:?}");
                        for (h, w) in have.1.iter().zip(&want.1) {
                            assert!(h.1.is_none() || h == w, "{name} {d:?}");
                        }
                    }
                    Err(x) => assert!(explained(&x, &lost), "{name} {d:?}: node {}: {x}", e.nid),
                }
            }
            if lost.is_empty() {
                assert_eq!(nodes_back, nodes.len(), "{name} {d:?}");
                assert_eq!(nodes_read, nodes.len(), "{name} {d:?}");
                assert_eq!(blocks_back, blocks.len(), "{name} {d:?}");
            }
            table.push(format!(
                "{name:<52} {d:<13?} nodes: normal {normal_ok:>4}, recovered {:>4} (read alike {nodes_read:>4}) of {:>4}; \
                 blocks: normal {normal_blocks_ok:>4}, recovered {blocks_back:>4} of {:>4}; scan-only blocks {}",
                nodes_present,
                nodes.len(),
                blocks.len(),
                report.blocks_only_scanned
            ));
        }
    }
    println!("{}", table.join("\n"));
}

#[test]
fn an_intact_file_gives_the_same_index_either_way() {
    for (name, original) in inputs() {
        let normal = NdbFile::new(&original[..]).unwrap();
        let (rebuilt, report) = NdbFile::new(&original[..]).unwrap().recover();
        assert!(report.trees_intact(), "{name}: {report}");
        let n: Vec<_> = normal.ndb().nodes().map(|e| e.unwrap()).collect();
        let r: Vec<_> = rebuilt.ndb().nodes().map(|e| e.unwrap()).collect();
        assert_eq!(n, r, "{name}: nodes");
        assert_eq!(report.nodes_unreached, 0, "{name}");
        if name.starts_with("written") || name.starts_with("mailbox") {
            // Outlook leaves superseded leaves behind (resolved by the rule
            // in favour of the reached ones); the workspace's writer does not.
            assert_eq!(report.node_duplicates, 0, "{name}");
        }
        let n: BTreeMap<u64, _> = normal
            .ndb()
            .blocks()
            .map(|e| e.unwrap())
            .map(|e| (e.bref.bid.key().0, e))
            .collect();
        let r: BTreeMap<u64, _> = rebuilt
            .ndb()
            .blocks()
            .map(|e| e.unwrap())
            .map(|e| (e.bref.bid.key().0, e))
            .collect();
        // Blocks the B-tree lists come back as listed; the scan may add
        // sound blocks the reached leaves do not list (orphans left by
        // their writer), never replace a listed one.
        for (k, e) in &n {
            assert_eq!(r.get(k), Some(e), "{name}: block {k:#x}");
        }
        assert_eq!(
            r.len() - n.len(),
            (report.blocks_only_scanned + report.blocks_unreached) as usize,
            "{name}"
        );
        if name.starts_with("written") || name.starts_with("mailbox") {
            assert_eq!(
                n.len(),
                r.len(),
                "{name}: the workspace's writer leaves no orphans"
            );
        }
        println!(
            "{name}: {} nodes, {} blocks, {} blocks only scanned, index {} bytes",
            report.nodes, report.blocks, report.blocks_only_scanned, report.index_bytes
        );
    }
}

#[test]
fn open_recovering_reads_a_damaged_file_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = written(Format::UNICODE, 300);
    damage::apply(&mut bytes, Damage::NbtRootLevel);
    let path = dir.path().join("damaged.pst");
    std::fs::write(&path, &bytes).unwrap();
    let plain = NdbFile::open(&path).unwrap();
    assert!(plain
        .ndb()
        .node_entry(Nid::new(NidType::NormalMessage, 1))
        .is_err());
    assert!(plain.recovered_index().is_none());
    let (file, report) = NdbFile::open_recovering(&path).unwrap();
    assert_eq!(report.nodes, 300, "{report}");
    assert!(report.tree_errors > 0);
    assert!(!report.trees_intact());
    // The index the reads go through is the one handed out.
    let index = file.recovered_index().expect("a rebuilt index");
    assert_eq!(index.nodes().len(), 300);
    assert_eq!(index.blocks().len() as u64, report.blocks);
    let ndb = file.ndb();
    assert_eq!(ndb.nodes().count(), 300);
    for i in 1..=300 {
        ndb.node(Nid::new(NidType::NormalMessage, i))
            .unwrap()
            .read_all()
            .unwrap();
    }
    let shown = report.to_string();
    assert!(shown.contains("300 nodes"), "{shown}");
}

#[test]
fn hostile_bytes_are_scanned_without_panic() {
    // Sealed pages full of arbitrary counts and entries, and block
    // trailers claiming every size, over each variant's header.
    for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
        let mut bytes = written(f, 20);
        let header = f.header_size;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for b in bytes[header..].iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(7) {
                *b = x as u8;
            }
        }
        let (file, report) = NdbFile::new(&bytes[..]).unwrap().recover();
        let ndb = file.ndb();
        for e in ndb.nodes().flatten() {
            let _ = ndb.node(e.nid).and_then(|n| n.read_all());
        }
        assert!(report.pages_scanned > 0);
    }
}

/// The report counts what the scan met, each figure from its own cause:
/// on an intact file every B-tree page, leaf and block, nothing rejected;
/// then one page or block damaged each way, each counted once.
#[test]
fn the_report_counts_what_the_scan_meets() {
    use ndb::btree::BbtEntry;
    use ndb::page::PageType;
    use ndb::recover::{rebuild_with, Free, PageRejections};
    use ndb::{Header, Ib};
    let f = Format::UNICODE;
    let intact = written(f, 300);
    let h = Header::parse(&intact).unwrap();
    let nbt = damage::tree_pages::<NbtEntry>(&intact, f, h.root.nbt);
    let bbt = damage::tree_pages::<BbtEntry>(&intact, f, h.root.bbt);
    let leaves = |p: &[(ndb::BRef, u8)]| p.iter().filter(|(_, level)| *level == 0).count() as u64;
    let blocks = damage::bbt_entries(&intact, f, h.root.bbt);
    let scan =
        |bytes: &[u8], free| rebuild_with(bytes, &Header::parse(bytes).unwrap(), &|| {}, free);

    let (index, r) = scan(&intact, Free::Drop);
    assert_eq!(r.nodes_unreached, 0);
    assert_eq!(r.pages_scanned, intact.len() as u64 / 512);
    assert_eq!(r.block_slots_scanned, intact.len() as u64 / 64);
    assert_eq!(r.pages_sound, (nbt.len() + bbt.len()) as u64, "{r:?}");
    assert!(nbt.len() as u64 > leaves(&nbt), "an NBT of two levels");
    assert_eq!((r.nbt_leaves, r.bbt_leaves), (leaves(&nbt), leaves(&bbt)));
    assert_eq!(r.blocks_sound, blocks.len() as u64);
    assert_eq!(
        r.pages_rejected,
        PageRejections::default(),
        "map pages are no B-tree pages"
    );
    assert_eq!(
        (r.leaves_salvaged, r.blocks_rejected_crc, r.blocks_stale),
        (0, 0, 0)
    );
    assert_eq!(index.nodes().len(), 300);
    // Each listed block met once, at its place, with its size.
    assert_eq!(
        (r.block_duplicates, r.blocks_only_scanned, r.entries_dropped),
        (0, 0, 0)
    );

    let leaf_pages = damage::nbt_leaves(&intact, f, h.root.nbt);
    let page_at = |i: usize| leaf_pages[i].0.ib.0 as usize;
    let nids_of = |i: usize| leaf_pages[i].1.len() as u64;

    // A leaf's body changed, its CRC not: rejected for its CRC.
    let mut bytes = intact.clone();
    bytes[page_at(0) + 3] ^= 1;
    let (index, r) = scan(&bytes, Free::Drop);
    let one = |rej: PageRejections| (rej.signature, rej.crc, rej.stale, rej.counts);
    assert_eq!(one(r.pages_rejected), (0, 1, 0, 0));
    assert_eq!(r.nbt_leaves, leaves(&nbt) - 1);
    assert_eq!(index.nodes().len() as u64, 300 - nids_of(0));

    // Its signature changed: rejected for that, before any CRC.
    let mut bytes = intact.clone();
    bytes[page_at(1) + f.page_size - 14] ^= 1;
    let (_, r) = scan(&bytes, Free::Drop);
    assert_eq!(one(r.pages_rejected), (1, 0, 0, 0));

    // A block's stored bytes changed, its CRC not.
    let mut bytes = intact.clone();
    bytes[blocks[7].bref.ib.0 as usize] ^= 1;
    let (_, r) = scan(&bytes, Free::Drop);
    assert_eq!(
        (r.blocks_sound, r.blocks_rejected_crc),
        (blocks.len() as u64 - 1, 1)
    );

    // A leaf counting one entry past its room, resealed: salvaged, its
    // entries kept; with its first entry zeroed too, nothing is kept.
    let mut bytes = intact.clone();
    damage::apply(&mut bytes, Damage::NbtLeafCount);
    let (index, r) = scan(&bytes, Free::Drop);
    assert_eq!((r.leaves_salvaged, r.pages_rejected.counts), (1, 0));
    assert_eq!(index.nodes().len(), 300);
    let salvaged = leaf_pages
        .iter()
        .position(|(bref, _)| {
            bytes[bref.ib.0 as usize..][..f.page_size]
                != intact[bref.ib.0 as usize..][..f.page_size]
        })
        .unwrap();
    let at = page_at(salvaged);
    bytes[at..at + 32].fill(0);
    ndb::write::seal_page(
        &mut bytes[at..at + f.page_size],
        f,
        PageType::Nbt,
        leaf_pages[salvaged].0.bid,
        Ib(at as u64),
    );
    let (index, r) = scan(&bytes, Free::Drop);
    assert_eq!((r.leaves_salvaged, r.pages_rejected.counts), (1, 1));
    assert_eq!(index.nodes().len() as u64, 300 - nids_of(salvaged));

    // The NBT's root unreadable: every node is found in leaves the roots
    // no longer reach.
    let mut bytes = intact.clone();
    damage::apply(&mut bytes, Damage::NbtRootLevel);
    let (index, r) = scan(&bytes, Free::Drop);
    assert_eq!((index.nodes().len(), r.nodes_unreached), (300, 300));

    // The BBT's root unreadable: every block is listed only by leaves the
    // roots no longer reach, and found where they say.
    let mut bytes = intact.clone();
    damage::apply(&mut bytes, Damage::BbtRootLevel);
    let (_, r) = scan(&bytes, Free::Drop);
    assert_eq!(
        (r.blocks_unreached, r.blocks_only_scanned),
        (blocks.len() as u64, 0)
    );
    // An entry of such a leaf naming no sound block is dropped (one a
    // reached leaf lists is kept, to be reported missing when read).
    bytes[blocks[7].bref.ib.0 as usize] ^= 1;
    let (index, damaged) = scan(&bytes, Free::Drop);
    assert_eq!(damaged.entries_dropped, r.entries_dropped + 1);
    assert_eq!(damaged.blocks_unreached, blocks.len() as u64 - 1);
    assert!(index.block(blocks[7].bref.bid).is_none());
    let mut bytes = intact.clone();
    bytes[blocks[7].bref.ib.0 as usize] ^= 1;
    let (index, r) = scan(&bytes, Free::Drop);
    assert_eq!(r.entries_dropped, 0);
    assert_eq!(index.block(blocks[7].bref.bid), Some(&blocks[7]));

    // A leaf in space the allocation map marks free: dropped, or kept.
    let mut bytes = intact.clone();
    mark_free(&mut bytes, f, page_at(2), f.page_size);
    let (index, r) = scan(&bytes, Free::Drop);
    assert_eq!(one(r.pages_rejected), (0, 0, 1, 0));
    assert_eq!(r.pages_sound, (nbt.len() + bbt.len()) as u64 - 1);
    assert_eq!(index.nodes().len() as u64, 300 - nids_of(2));
    let (index, r) = scan(&bytes, Free::Keep);
    assert_eq!(one(r.pages_rejected), (0, 0, 1, 0));
    assert_eq!(r.pages_sound, (nbt.len() + bbt.len()) as u64);
    assert_eq!(index.nodes().len(), 300);
}

/// Clears the allocation-map bits of `len` bytes at `at` (whole 64-byte
/// units) and seals the map page again.
fn mark_free(bytes: &mut [u8], f: Format, at: usize, len: usize) {
    use ndb::page::PageType;
    let (first, span) = (
        ndb::amap::FIRST_AMAP as usize,
        ndb::amap::AMAP_SPAN as usize,
    );
    let amap = first + (at - first) / span * span;
    for unit in (at - amap) / 64..(at + len - amap).div_ceil(64) {
        bytes[amap + unit / 8] &= !(0x80 >> (unit % 8));
    }
    ndb::write::seal_page(
        &mut bytes[amap..amap + f.page_size],
        f,
        PageType::AMap,
        Bid(amap as u64),
        ndb::Ib(amap as u64),
    );
}

/// A block the scan finds in space the allocation map marks free is a
/// stale copy: counted, and used only with `Free::Keep`.
#[test]
fn a_block_in_free_space_is_counted_stale_and_kept_only_when_asked() {
    use ndb::recover::{rebuild_with, Free};
    let f = Format::UNICODE;
    let intact = written(f, 300);
    let h = ndb::Header::parse(&intact).unwrap();
    let blocks = damage::bbt_entries(&intact, f, h.root.bbt);
    let b = blocks[blocks.len() / 2];
    let mut bytes = intact.clone();
    mark_free(
        &mut bytes,
        f,
        b.bref.ib.0 as usize,
        f.block_size(usize::from(b.cb)),
    );
    let (index, r) = rebuild_with(&bytes, &h, &|| {}, Free::Drop);
    assert_eq!(
        (r.blocks_stale, r.blocks_sound),
        (1, blocks.len() as u64 - 1)
    );
    let (index_kept, r) = rebuild_with(&bytes, &h, &|| {}, Free::Keep);
    assert_eq!((r.blocks_stale, r.blocks_sound), (1, blocks.len() as u64));
    let at = |i: &ndb::RecoveredIndex| i.block(b.bref.bid).map(|e| (e.bref, e.cb));
    assert_eq!(at(&index_kept), Some((b.bref, b.cb)));
    // Dropped from the scan, it is still listed by a leaf the roots reach.
    assert_eq!(at(&index), at(&index_kept));
}

/// A compressed block of a 4K file keeps its inflated size in the rebuilt
/// index and reads back whole through it, listed or not; blocks no leaf
/// lists take their sizes from their trailers (one whose trailer leaves
/// the inflated size 0, its stored size).
#[test]
fn blocks_found_by_the_scan_alone_take_their_trailer_s_sizes() {
    use std::io::Write;
    let f = Format::UNICODE_4K;
    let plain: Vec<u8> = (0..20_000u32).map(|i| (i % 7) as u8).collect();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&plain).unwrap();
    let packed = z.finish().unwrap();
    let raw = b"stored as it is".to_vec();
    let mut w = NdbWriter::new(
        std::io::Cursor::new(Vec::new()),
        f,
        CryptMethod::None,
        FileKind::Ost,
    )
    .unwrap();
    let compressed = w
        .add_stored_block(&packed, ndb::crc::crc(&packed), plain.len() as u16)
        .unwrap();
    let zero = w.add_stored_block(&raw, ndb::crc::crc(&raw), 0).unwrap();
    let (a, b) = (
        Nid::new(NidType::NormalMessage, 0x400),
        Nid::new(NidType::NormalMessage, 0x401),
    );
    w.add_node(a, compressed, Bid(0), Nid(0x122));
    w.add_node(b, zero, Bid(0), Nid(0x122));
    let mut bytes = w.finish().unwrap().into_inner();
    let (file, _) = NdbFile::new(&bytes[..]).unwrap().recover();
    let e = file.recovered_index().unwrap().block(compressed).copied();
    let listed = e.map(|e| (usize::from(e.cb), usize::from(e.inflated)));
    assert_eq!(listed, Some((packed.len(), plain.len())));
    assert_eq!(file.ndb().node(a).unwrap().read_all().unwrap(), plain);
    // The BBT's only page zeroed: the blocks are found by the scan alone.
    let h = ndb::Header::parse(&bytes).unwrap();
    let at = h.root.bbt.ib.0 as usize;
    bytes[at..at + f.page_size].fill(0);
    let file = NdbFile::new(&bytes[..]).unwrap();
    assert_eq!(format!("{:?}", file.ndb().nodes()), "IndexIter::Tree");
    let (file, r) = file.recover();
    assert_eq!(format!("{:?}", file.ndb().nodes()), "IndexIter::Rebuilt");
    assert_eq!(r.blocks_only_scanned, 2);
    let index = file.recovered_index().unwrap();
    let sizes = |bid| {
        index
            .block(bid)
            .map(|e| (usize::from(e.cb), usize::from(e.inflated)))
    };
    assert_eq!(sizes(compressed), Some((packed.len(), plain.len())));
    assert_eq!(sizes(zero), Some((raw.len(), raw.len())));
    assert_eq!(file.ndb().node(a).unwrap().read_all().unwrap(), plain);
    assert_eq!(file.ndb().node(b).unwrap().read_all().unwrap(), raw);
}

/// A leaf in free space (kept with `Free::Keep`) names a block whose
/// sound copy in allocated space elsewhere the scan also finds: the copy in
/// allocated space is the block, though the leaf is one the roots reach.
#[test]
fn a_live_copy_wins_over_the_one_a_stale_leaf_names() {
    use ndb::block::BlockTrailer;
    use ndb::btree::{BbtEntry, BtPage};
    use ndb::recover::{rebuild_with, Free};
    let f = Format::UNICODE;
    let mut bytes = written(f, 300);
    let h = ndb::Header::parse(&bytes).unwrap();
    let (leaf, _) = damage::tree_pages::<BbtEntry>(&bytes, f, h.root.bbt)
        .into_iter()
        .find(|(_, level)| *level == 0)
        .unwrap();
    let listed: Vec<BbtEntry> = {
        let p = BtPage::read::<BbtEntry>(&bytes, f, leaf, Some(0)).unwrap();
        (0..p.info.count).map(|i| p.leaf::<BbtEntry>(i)).collect()
    };
    let x = listed[0];
    let size = |e: &BbtEntry| f.block_size(usize::from(e.cb));
    // Another block's place, not named by that leaf, big enough for x.
    let y = damage::bbt_entries(&bytes, f, h.root.bbt)
        .into_iter()
        .find(|e| !listed.contains(e) && !e.bref.bid.is_internal() && size(e) >= size(&x))
        .unwrap();
    let (from, to) = (x.bref.ib.0 as usize, y.bref.ib.0 as usize);
    let ts = f.block_trailer_size;
    let body = bytes[from..from + usize::from(x.cb)].to_vec();
    let mut t = BlockTrailer::parse(&bytes[from + size(&x) - ts..from + size(&x)], f);
    t.sig = ndb::page::compute_sig(ndb::Ib(to as u64), x.bref.bid);
    bytes[to..to + body.len()].copy_from_slice(&body);
    t.write(&mut bytes[to + size(&x) - ts..to + size(&x)], f);
    mark_free(&mut bytes, f, leaf.ib.0 as usize, f.page_size);

    let (index, _) = rebuild_with(&bytes, &h, &|| {}, Free::Keep);
    let e = index.block(x.bref.bid).unwrap();
    assert_eq!(e.bref.ib.0 as usize, to);
}

/// The scan gives the map's pages back after each window of bytes it
/// reads (pages, then block slots): a rebuild of a large file stays at
/// bounded memory.
#[test]
fn a_scan_gives_its_pages_back_once_a_window() {
    use std::cell::Cell;
    let f = Format::UNICODE;
    let mut w = NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst);
    let mib: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    for i in 0..24 {
        let data = w.add_stream(&mib).unwrap();
        w.add_node(
            Nid::new(NidType::NormalMessage, 0x400 + i),
            data,
            Bid(0),
            Nid(0x122),
        );
    }
    let bytes = w.finish_bytes();
    let len = bytes.len() as u64;
    let read = len / 512 * 512 + len / 64 * 64;
    let window = 16 << 20;
    assert!(read / window >= 2 && !len.is_multiple_of(window), "{len}");
    let released = Cell::new(0u64);
    let header = ndb::Header::parse(&bytes).unwrap();
    let (index, _) = ndb::recover::rebuild(&bytes, &header, &|| released.set(released.get() + 1));
    assert_eq!(released.get(), read / window);
    assert_eq!(index.nodes().len(), 24);
}
