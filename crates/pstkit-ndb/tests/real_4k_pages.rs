//! Pages and a block cut from a real Outlook OST of the 4K-page format
//! (`fixtures/real-4k-pages/`, see its `PROVENANCE.md`), read with pstkit's
//! own page, B-tree and block code, and set beside the same structures in a
//! 4K file pstkit writes, so that pstkit's 4K layout cannot drift from
//! Outlook's unnoticed.
//!
//! Every expected value below was read from the bytes by hand, not by pstkit.
//! The four pages and the block are not a whole file: each is placed at its
//! offset in the original file (known from the branch page that points to
//! it, or else the only page-aligned offset below 32 MiB whose signature
//! holds) in an otherwise empty buffer, so that signatures are checked too.

use std::path::PathBuf;

use pstkit_ndb::block::{decode, is_compressed, read_stored, BlockTrailer};
use pstkit_ndb::btree::{lookup, BtPage};
use pstkit_ndb::page::{compute_sig, read_page, PageTrailer, PageType};
use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{
    BRef, BbtEntry, Bid, CryptMethod, FileKind, Format, Ib, NbtEntry, NdbFile, Nid, NidType,
};

const F: Format = Format::UNICODE_4K;

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/real-4k-pages")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// A real page: its file, tree, id and offset in the original file.
struct RealPage {
    name: &'static str,
    ptype: PageType,
    bid: u64,
    ib: u64,
}

/// The BBT leaf's offset is given by `block.raw`'s first entry, the NBT
/// leaf's by `node.raw`'s; the two branch pages' offsets are not recorded
/// anywhere in the sample, so they are the only ones below 32 MiB that give
/// their signatures.
const PAGES: [RealPage; 4] = [
    RealPage {
        name: "btree_leaf_block.raw",
        ptype: PageType::Bbt,
        bid: 0x55A3,
        ib: 0x116_E000,
    },
    RealPage {
        name: "btree_leaf_node.raw",
        ptype: PageType::Nbt,
        bid: 0x5610,
        ib: 0x119_8000,
    },
    RealPage {
        name: "node.raw",
        ptype: PageType::Nbt,
        bid: 0x5626,
        ib: 0x119_4000,
    },
    RealPage {
        name: "block.raw",
        ptype: PageType::Bbt,
        bid: 0x5648,
        ib: 0x11E_E000,
    },
];

/// The message store's data block: its id and the only 512-aligned offset
/// below 32 MiB that gives its signature.
const STORE_BLOCK: (u64, u64) = (0x110BC, 0x10B_E800);

/// The sample laid out at its original offsets in one buffer.
fn real_file() -> Vec<u8> {
    let end = PAGES.iter().map(|p| p.ib).max().unwrap() as usize + F.page_size;
    let mut file = vec![0u8; end];
    for p in &PAGES {
        let bytes = sample(p.name);
        assert_eq!(bytes.len(), F.page_size, "{}", p.name);
        file[p.ib as usize..][..F.page_size].copy_from_slice(&bytes);
    }
    let block = sample("block_raw.raw");
    file[STORE_BLOCK.1 as usize..][..block.len()].copy_from_slice(&block);
    file
}

fn bref(bid: u64, ib: u64) -> BRef {
    BRef {
        bid: Bid(bid),
        ib: Ib(ib),
    }
}

/// The counts of a B-tree page, read at the offsets every 4K reader uses.
fn raw_counts(page: &[u8]) -> (u16, u16, u8, u8) {
    (
        u16_at(page, 4056),
        u16_at(page, 4058),
        page[4060],
        page[4061],
    )
}

#[test]
fn real_page_trailers_verify() {
    let file = real_file();
    // (ptype byte, wSig, dwCRC) as stored at 4072, 4074 and 4076.
    let expected = [
        (0x80, 0xB4B5, 0x6C87_8B2A),
        (0x81, 0xD709, 0x378B_5E11),
        (0x81, 0x173F, 0x48F6_036E),
        (0x80, 0xB756, 0xF076_DD05),
    ];
    for (p, (ptype, sig, crc)) in PAGES.iter().zip(expected) {
        let page = read_page(&file, F, Ib(p.ib), p.ptype, Some(Bid(p.bid)))
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
        let t = PageTrailer::parse(page, F);
        assert_eq!((t.ptype, t.ptype_repeat), (ptype, ptype), "{}", p.name);
        assert_eq!(t.sig, sig, "{}", p.name);
        assert_eq!(t.crc, crc, "{}", p.name);
        assert_eq!(t.bid, Bid(p.bid), "{}", p.name);
        assert_eq!(compute_sig(Ib(p.ib), t.bid), sig, "{}", p.name);
        // The trailer's last eight bytes, which no reader interprets, hold 1
        // on every real page; pstkit writes 0 there (see the layout test).
        assert_eq!(u64_at(page, 4088), 1, "{}", p.name);
        // BTPAGE padding between cLevel and the trailer.
        assert!(page[4062..4072].iter().all(|&b| b == 0), "{}", p.name);
    }
}

#[test]
fn real_bbt_leaf_reads() {
    let file = real_file();
    let p = &PAGES[0];
    let page = BtPage::read::<BbtEntry>(&file, F, bref(p.bid, p.ib), Some(0)).unwrap();
    assert_eq!(raw_counts(page.bytes), (100, 169, 24, 0));
    assert_eq!(
        (
            page.info.count,
            page.info.max,
            page.info.entry_size,
            page.info.level
        ),
        (100, 169, 24, 0)
    );
    // (index, bid, ib, cb, inflated size, cRef)
    let entries = [
        (0, 0x4, 0x25000, 172, 172, 42),
        (2, 0xC, 0x25800, 18, 18, 4),
        (49, 0x7D8, 0xCB600, 1170, 2188, 2),
        (80, 0xCC4, 0xC1600, 4307, 29013, 2),
        (99, 0xFBC, 0x3A000, 684, 684, 2),
    ];
    for (i, bid, ib, cb, inflated, refs) in entries {
        let e: BbtEntry = page.leaf(i);
        assert_eq!(e.bref, bref(bid, ib), "entry {i}");
        assert_eq!(
            (e.cb, e.inflated, e.refs),
            (cb, inflated, refs),
            "entry {i}"
        );
        assert_eq!(is_compressed(F, &e), cb != inflated, "entry {i}");
    }
    // 39 of the 100 blocks are stored deflated (offset 18 > offset 16):
    // offset 18 is the inflated size, offset 20 the reference count.
    let compressed = (0..100)
        .filter(|&i| is_compressed(F, &page.leaf::<BbtEntry>(i)))
        .count();
    assert_eq!(compressed, 39);
    let keys: Vec<u64> = (0..100).map(|i| page.key::<BbtEntry>(i)).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted");
}

#[test]
fn real_nbt_leaf_reads() {
    let file = real_file();
    let p = &PAGES[1];
    let page = BtPage::read::<NbtEntry>(&file, F, bref(p.bid, p.ib), Some(0)).unwrap();
    assert_eq!(raw_counts(page.bytes), (117, 126, 32, 0));
    assert_eq!(
        (
            page.info.count,
            page.info.max,
            page.info.entry_size,
            page.info.level
        ),
        (117, 126, 32, 0)
    );
    // (index, nid, data, subnodes, parent)
    let entries = [
        (0, 0x21, 0x110BC, 0, 0),
        (1, 0x61, 0x10834, 0x1083A, 0),
        (2, 0x122, 0xC1FC, 0, 0x122),
        (116, 0x21C2, 0x103F4, 0x103FE, 0x2142),
    ];
    for (i, nid, data, sub, parent) in entries {
        let e: NbtEntry = page.leaf(i);
        assert_eq!(e.nid, Nid(nid), "entry {i}");
        assert_eq!((e.data, e.sub), (Bid(data), Bid(sub)), "entry {i}");
        assert_eq!(e.parent, Nid(parent), "entry {i}");
    }
    // The NID of the message store's entry names its data block: the block
    // in block_raw.raw.
    assert_eq!(page.leaf::<NbtEntry>(0).data, Bid(STORE_BLOCK.0));
}

#[test]
fn real_branch_pages_read_and_lead_to_the_leaves() {
    let file = real_file();
    let nbt = &PAGES[2];
    let page = BtPage::read::<NbtEntry>(&file, F, bref(nbt.bid, nbt.ib), Some(1)).unwrap();
    assert_eq!(raw_counts(page.bytes), (6, 169, 24, 1));
    assert_eq!((page.info.count, page.info.max), (6, 169));
    assert_eq!(page.info.entry_size, 24);
    let first = page.branch(0);
    assert_eq!((first.key, first.child), (0x21, bref(0x5610, 0x119_8000)));
    let last = page.branch(5);
    assert_eq!(
        (last.key, last.child),
        (0x20_1784, bref(0x5406, 0x138_8000))
    );
    // The leaf's last key sits below the branch's next key.
    assert_eq!(page.branch(1).key, 0x21CD);

    let bbt = &PAGES[3];
    let page = BtPage::read::<BbtEntry>(&file, F, bref(bbt.bid, bbt.ib), Some(1)).unwrap();
    assert_eq!(raw_counts(page.bytes), (31, 169, 24, 1));
    let first = page.branch(0);
    assert_eq!((first.key, first.child), (0x4, bref(0x55A3, 0x116_E000)));
    let last = page.branch(30);
    assert_eq!((last.key, last.child), (0x1094E, bref(0x5622, 0x118_C000)));

    // Descents from the branch pages through pstkit's lookup.
    let store: NbtEntry = lookup(&file, F, bref(nbt.bid, nbt.ib), 0x21)
        .unwrap()
        .expect("NID 0x21");
    assert_eq!(store.data, Bid(STORE_BLOCK.0));
    let block: BbtEntry = lookup(&file, F, bref(bbt.bid, bbt.ib), 0x7D8)
        .unwrap()
        .expect("BID 0x7D8");
    assert_eq!((block.cb, block.inflated), (1170, 2188));
}

#[test]
fn real_block_trailer_verifies_and_decodes() {
    let raw = sample("block_raw.raw");
    assert_eq!(raw.len(), 512);
    assert_eq!(F.block_size(456), raw.len(), "456 + 24 rounds up to 512");
    let t = BlockTrailer::parse(&raw[raw.len() - F.block_trailer_size..], F);
    assert_eq!(t.cb, 456);
    assert_eq!(t.sig, 0xF9B6);
    assert_eq!(t.crc, 0xE629_FDBF);
    assert_eq!(t.bid, Bid(STORE_BLOCK.0));
    assert_eq!(t.inflated, 456);
    assert_eq!(pstkit_ndb::crc::crc(&raw[..456]), t.crc);
    assert_eq!(compute_sig(Ib(STORE_BLOCK.1), t.bid), t.sig);
    // The trailer's own bytes, by offset.
    let tr = &raw[488..];
    assert_eq!(u16_at(tr, 0), 456);
    assert_eq!(u16_at(tr, 2), 0xF9B6);
    assert_eq!(u32_at(tr, 4), 0xE629_FDBF);
    assert_eq!(u64_at(tr, 8), 0x110BC);
    assert_eq!(u16_at(tr, 16), 2, "the field pstkit writes as 0");
    assert_eq!(u16_at(tr, 18), 456);
    assert_eq!(u32_at(tr, 20), 0);

    // Read the way a node's block is read. Its BBT entry lies in a leaf
    // the sample lacks; it is the one the trailer implies.
    let file = real_file();
    let e = BbtEntry {
        bref: bref(STORE_BLOCK.0, STORE_BLOCK.1),
        cb: 456,
        refs: 2,
        inflated: 456,
    };
    let stored = read_stored(&file, F, &e).unwrap();
    assert_eq!(stored, &raw[..456]);
    // The data starts with a heap header in the clear: the block is neither
    // encoded nor compressed.
    let plain = decode(stored, F, CryptMethod::None, &e).unwrap();
    assert_eq!(&plain[..], &raw[..456]);
    assert_eq!((plain[2], plain[3]), (0xEC, 0xBC));
}

/// A 4K OST written by pstkit whose NBT and BBT both have a branch level:
/// more nodes than an NBT leaf holds and more blocks than a BBT leaf holds.
fn written() -> Vec<u8> {
    let mut w = NdbWriter::in_memory(F, CryptMethod::None, FileKind::Ost);
    for i in 0..200u32 {
        let nid = Nid::new(NidType::NormalMessage, 0x10000 + i);
        // Small blocks are stored as they are, larger text deflated.
        let data = if i % 2 == 0 {
            vec![i as u8; 40]
        } else {
            b"a compressible line of text. ".repeat(40)
        };
        let bid = w.add_stream(&data).unwrap();
        w.add_node(nid, bid, Bid(0), Nid(0x8022));
    }
    w.finish_bytes()
}

/// The first leaf below a branch page, and the branch page.
fn written_pages<E: pstkit_ndb::btree::LeafEntry>(file: &[u8], root: BRef) -> [BtPage<'_>; 2] {
    let branch = BtPage::read::<E>(file, F, root, Some(1)).expect("a two-level tree");
    let leaf = BtPage::read::<E>(file, F, branch.branch(0).child, Some(0)).unwrap();
    [branch, leaf]
}

#[test]
fn written_4k_structures_have_outlooks_layout() {
    let real = real_file();
    let bytes = written();
    let file = NdbFile::new(&bytes[..]).unwrap();
    let root = file.header().root;

    let [nbt_branch, nbt_leaf] = written_pages::<NbtEntry>(&bytes, root.nbt);
    let [bbt_branch, bbt_leaf] = written_pages::<BbtEntry>(&bytes, root.bbt);
    // (written page, real page) pairs of the same tree and level.
    let pairs = [
        (bbt_leaf, &PAGES[0]),
        (nbt_leaf, &PAGES[1]),
        (nbt_branch, &PAGES[2]),
        (bbt_branch, &PAGES[3]),
    ];
    for (mine, theirs) in pairs {
        let theirs_bytes = &real[theirs.ib as usize..][..F.page_size];
        let (_, max, cb_ent, level) = raw_counts(mine.bytes);
        let (_, real_max, real_cb_ent, real_level) = raw_counts(theirs_bytes);
        assert_eq!(
            (max, cb_ent, level),
            (real_max, real_cb_ent, real_level),
            "cEntMax, cbEnt, cLevel beside {}",
            theirs.name
        );
        assert_eq!(mine.info.max, usize::from(max), "{}", theirs.name);
        assert_eq!(mine.info.entry_size, usize::from(cb_ent), "{}", theirs.name);
        // The trailer: same fields at the same offsets.
        let t = PageTrailer::parse(mine.bytes, F);
        assert_eq!(mine.bytes[4072], theirs_bytes[4072], "{}", theirs.name);
        assert_eq!(mine.bytes[4073], mine.bytes[4072]);
        assert_eq!(u16_at(mine.bytes, 4074), t.sig);
        assert_eq!(t.sig, compute_sig(mine.bref.ib, mine.bref.bid));
        assert_eq!(
            u32_at(mine.bytes, 4076),
            pstkit_ndb::crc::crc(&mine.bytes[..4072])
        );
        assert_eq!(u64_at(mine.bytes, 4080), mine.bref.bid.0);
        assert!(mine.bytes[4062..4072].iter().all(|&b| b == 0));
        // Known difference, left as it is: Outlook has 1 in the trailer's
        // last eight bytes, whose meaning no reference gives.
        assert_eq!(u64_at(mine.bytes, 4088), 0, "{}", theirs.name);
        assert_eq!(u64_at(theirs_bytes, 4088), 1, "{}", theirs.name);
    }

    // Block trailers: one stored plain (as the real one is), one deflated.
    let ndb = file.ndb();
    let blocks: Vec<BbtEntry> = ndb.blocks().map(|e| e.unwrap()).collect();
    let plain = blocks.iter().find(|e| !is_compressed(F, e)).unwrap();
    let packed = blocks.iter().find(|e| is_compressed(F, e)).unwrap();
    for e in [plain, packed] {
        let size = F.block_size(usize::from(e.cb));
        let block = &bytes[e.bref.ib.0 as usize..][..size];
        let tr = &block[size - 24..];
        assert_eq!(u16_at(tr, 0), e.cb);
        assert_eq!(u16_at(tr, 2), compute_sig(e.bref.ib, e.bref.bid));
        assert_eq!(
            u32_at(tr, 4),
            pstkit_ndb::crc::crc(&block[..usize::from(e.cb)])
        );
        assert_eq!(u64_at(tr, 8), e.bref.bid.0);
        assert_eq!(
            u16_at(tr, 18),
            e.inflated,
            "inflated size at 18, as Outlook"
        );
        assert_eq!(u32_at(tr, 20), 0, "zero at 20, as Outlook");
        // Known difference, left as it is: Outlook's block has 2 here (see
        // `BlockTrailer`); no reference says what it means or when it varies.
        assert_eq!(u16_at(tr, 16), 0);
        assert_eq!(size % 512, 0);
        read_stored(&bytes, F, e).unwrap();
    }
    // The same reader takes Outlook's 2 and pstkit's 0.
    let e = BbtEntry {
        bref: bref(STORE_BLOCK.0, STORE_BLOCK.1),
        cb: 456,
        refs: 2,
        inflated: 456,
    };
    read_stored(&real, F, &e).unwrap();
}
