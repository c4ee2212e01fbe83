//! End-to-end tests of the reader on files laid out by `NdbWriter`, in all
//! three variants and all three encodings, including the 4K-page OST with
//! compressed blocks that has no public sample.

use pstkit_ndb::check::check;
use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{Bid, CryptMethod, FileKind, Format, NdbFile, Nid, NidType, Problem};

const VARIANTS: [Format; 3] = [Format::ANSI, Format::UNICODE, Format::UNICODE_4K];
const CRYPTS: [CryptMethod; 3] = [CryptMethod::None, CryptMethod::Permute, CryptMethod::Cyclic];

fn text(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Half words, half noise: compressible but not trivially.
            if (i / 64) % 2 == 0 {
                b"lorem ipsum dolor sit amet "[i % 27]
            } else {
                x as u8
            }
        })
        .collect()
}

/// A node written: its id, its data and its subnodes' data.
type Written = (Nid, Vec<u8>, Vec<(Nid, Vec<u8>)>);

struct Built {
    file: Vec<u8>,
    nodes: Vec<Written>,
}

fn build(f: Format, crypt: CryptMethod, count: u32) -> Built {
    let mut b = NdbWriter::in_memory(f, crypt, FileKind::Ost);
    let mut nodes = Vec::new();
    for i in 0..count {
        let nid = Nid::new(NidType::NormalMessage, 0x10000 + i);
        // Sizes span one small block, one full block, a data tree and,
        // for node 3, a stream larger than one XBLOCK can hold in ANSI/Unicode.
        let size = match i % 5 {
            0 => 10 + i as usize,
            1 => f.max_block_data(),
            2 => 3 * f.max_block_data() + 17,
            3 if i == 3 => 1100 * 8176,
            _ => 0,
        };
        let data = text(size, i);
        let data_bid = if data.is_empty() {
            Bid(0)
        } else {
            b.add_stream(&data).unwrap()
        };
        let mut subs = Vec::new();
        let sub_bid = if i % 2 == 1 {
            let mut entries = Vec::new();
            for k in 0..3u32 {
                let snid = Nid::new(NidType::Ltp, k + 1);
                let sdata = text(100 + 5000 * k as usize, i * 10 + k);
                let sb = b.add_stream(&sdata).unwrap();
                entries.push((snid, sb, Bid(0)));
                subs.push((snid, sdata));
            }
            b.add_subnode_tree(&entries).unwrap()
        } else {
            Bid(0)
        };
        b.add_node(nid, data_bid, sub_bid, Nid(0x8022));
        nodes.push((nid, data, subs));
    }
    Built {
        file: b.finish_bytes(),
        nodes,
    }
}

#[test]
fn every_variant_and_encoding_round_trips() {
    for f in VARIANTS {
        for crypt in CRYPTS {
            let built = build(f, crypt, 60);
            let file = NdbFile::new(&built.file[..]).expect("header");
            let ndb = file.ndb();
            assert_eq!(ndb.format(), f);
            assert_eq!(ndb.crypt(), crypt);
            let report = check(ndb);
            assert!(
                report.is_clean(),
                "{f:?} {crypt:?}: {:?}",
                &report.problems[..report.problems.len().min(5)]
            );
            assert_eq!(report.nodes, 60);
            let listed: Vec<Nid> = ndb.nodes().map(|e| e.unwrap().nid).collect();
            let want: Vec<Nid> = built.nodes.iter().map(|n| n.0).collect();
            assert_eq!(listed, want, "in-order iteration");
            for (nid, data, subs) in &built.nodes {
                let node = ndb.node(*nid).unwrap();
                assert_eq!(node.size(), data.len() as u64);
                assert_eq!(&node.read_all().unwrap(), data, "{f:?} {crypt:?} {nid}");
                let mut streamed = Vec::new();
                std::io::Read::read_to_end(&mut node.reader(), &mut streamed).unwrap();
                assert_eq!(&streamed, data);
                for (snid, sdata) in subs {
                    assert_eq!(&node.subnode(*snid).unwrap().read_all().unwrap(), sdata);
                }
            }
            assert!(ndb.node(Nid(0x7FFF_FFE4)).is_err());
        }
    }
}

#[test]
fn compressed_4k_blocks_are_smaller_than_plain() {
    let built = build(Format::UNICODE_4K, CryptMethod::None, 10);
    let file = NdbFile::new(&built.file[..]).unwrap();
    let compressed = file
        .ndb()
        .blocks()
        .map(|e| e.unwrap())
        .filter(|e| e.cb != e.inflated)
        .count();
    assert!(compressed > 0, "no block was stored compressed");
}

/// The block entry of the first node's data.
fn first_data_block(built: &Built) -> pstkit_ndb::BbtEntry {
    let file = NdbFile::new(&built.file[..]).unwrap();
    let ndb = file.ndb();
    let e = ndb.node_entry(built.nodes[0].0).unwrap();
    ndb.block_entry(e.data).unwrap()
}

#[test]
fn damaged_block_is_reported_with_offset() {
    let mut built = build(Format::UNICODE, CryptMethod::Permute, 5);
    let be = first_data_block(&built);
    let (ib, bid) = (be.bref.ib.0, be.bref.bid.0);
    built.file[ib as usize + 2] ^= 0x55;
    let file = NdbFile::new(&built.file[..]).unwrap();
    let report = check(file.ndb());
    assert!(!report.is_clean());
    let p = &report.problems[0];
    assert_eq!(p.offset, Some(ib));
    assert_eq!(p.id, Some(bid));
    assert!(matches!(p.problem, Problem::Crc { .. }), "{p}");
    // The other nodes still read.
    let ndb = file.ndb();
    assert!(ndb.node(built.nodes[1].0).unwrap().read_all().is_ok());
}

#[test]
fn a_view_trusting_crcs_reads_what_a_checking_view_refuses_for_its_crc_alone() {
    let mut built = build(Format::UNICODE, CryptMethod::None, 5);
    let be = first_data_block(&built);
    let (ib, size) = (be.bref.ib.0 as usize, be.cb as usize);
    // A flipped data byte: only the CRC can tell.
    built.file[ib + 2] ^= 0x55;
    let file = NdbFile::new(&built.file[..]).unwrap();
    let node = built.nodes[0].0;
    assert!(file.ndb().node(node).unwrap().read_all().is_err());
    let read = file
        .ndb()
        .trusting_block_crcs()
        .node(node)
        .unwrap()
        .read_all()
        .unwrap();
    let mut want = built.nodes[0].1.clone();
    want[2] ^= 0x55;
    assert_eq!(read, want);
    assert_eq!(read.len(), size);
    // The trailer is still checked: a block whose signature no longer
    // matches is refused either way.
    let trailer_sig = {
        let f = Format::UNICODE;
        ib + (size + f.block_trailer_size).next_multiple_of(64) - f.block_trailer_size + 2
    };
    built.file[trailer_sig] ^= 0x01;
    let file = NdbFile::new(&built.file[..]).unwrap();
    assert!(file
        .ndb()
        .trusting_block_crcs()
        .node(node)
        .unwrap()
        .read_all()
        .is_err());
}

#[test]
fn btree_cycle_does_not_hang() {
    // Point a two-level NBT's second child at the first: the walk must report
    // the page visited twice and stop.
    let built = build(Format::UNICODE, CryptMethod::None, 40);
    let mut data = built.file;
    let file = NdbFile::new(&data[..]).unwrap();
    let root = file.header().root.nbt;
    drop(file);
    let page = root.ib.0 as usize;
    // Entries are 24 bytes: key, bid, ib. Copy entry 0's BREF over entry 1's.
    let first: Vec<u8> = data[page + 8..page + 24].to_vec();
    data[page + 32..page + 48].copy_from_slice(&first);
    let body = data[page..page + 496].to_vec();
    let crc = pstkit_ndb::crc::crc(&body);
    data[page + 500..page + 504].copy_from_slice(&crc.to_le_bytes());
    let file = NdbFile::new(&data[..]).unwrap();
    let report = check(file.ndb());
    assert!(
        report.problems.iter().any(|p| p.problem == Problem::Cycle),
        "{:?}",
        report.problems
    );
}

#[test]
fn truncated_file_is_an_error_not_a_panic() {
    let built = build(Format::UNICODE_4K, CryptMethod::Cyclic, 8);
    for cut in [
        0,
        10,
        100,
        563,
        564,
        5000,
        built.file.len() / 2,
        built.file.len() - 1,
    ] {
        match NdbFile::new(&built.file[..cut]) {
            Err(e) => assert!(!e.to_string().is_empty()),
            Ok(f) => {
                let r = check(f.ndb());
                assert!(!r.is_clean(), "cut at {cut} went unnoticed");
            }
        }
    }
}

mod mutation {
    use super::*;
    use proptest::prelude::*;

    fn base(f: Format) -> Vec<u8> {
        build(f, CryptMethod::Permute, 12).file
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any corruption of a valid file gives errors, never a panic or a hang,
        /// whatever the reader is asked to do.
        #[test]
        fn corrupted_files_never_panic(
            variant in 0usize..3,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..40),
        ) {
            let f = VARIANTS[variant];
            let mut data = base(f);
            for (at, byte) in edits {
                let i = at.index(data.len());
                data[i] = byte;
            }
            if let Ok(file) = NdbFile::new_lenient(&data[..]) {
                let ndb = file.ndb();
                let _ = check(ndb);
                for e in ndb.nodes().take(100).flatten() {
                    if let Ok(node) = ndb.node(e.nid) {
                        let _ = node.read_all();
                        let _ = node.subnodes().entries();
                    }
                }
                for e in ndb.blocks().take(200).flatten() {
                    let _ = ndb.read_block_at(&e);
                }
            }
        }
    }
}

#[test]
fn free_map_appears_past_128_spans() {
    // 130 AMap spans (about 33 MB): the free map at span 128 must exist and
    // check clean, and every map page must sit where `check` expects it.
    let mut b = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
    let chunk = text(8000, 9);
    let mut leaves = Vec::new();
    while b.position() < 130 * pstkit_ndb::amap::AMAP_SPAN {
        leaves.push((b.add_block(&chunk).unwrap(), chunk.len()));
        if leaves.len() == 1000 {
            let t = b.add_tree(&leaves).unwrap();
            b.add_node(
                Nid::new(NidType::Ltp, 0x100 + b.position() as u32 / 4096),
                t,
                Bid(0),
                Nid(0),
            );
            leaves.clear();
        }
    }
    let data = b.finish_bytes();
    let file = NdbFile::new(&data[..]).unwrap();
    let r = check(file.ndb());
    assert!(r.is_clean(), "{:?}", &r.problems[..r.problems.len().min(3)]);
    // 131 AMaps, 17 PMaps, 1 FMap and the density list.
    assert_eq!(r.map_pages, 131 + 17 + 1 + 1);
    // The density list names the emptiest AMap first: the last one.
    let dlist = &data[0x4200..0x4400];
    assert_eq!(dlist[0], 1, "backfill complete");
    assert!(dlist[1] >= 1);
    let first = u32::from_le_bytes([dlist[8], dlist[9], dlist[10], dlist[11]]);
    assert_eq!(first & 0xF_FFFF, 130);
}
