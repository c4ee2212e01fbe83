//! The message store's heap and property context from a real Outlook OST of
//! the 4K-page format (`fixtures/real-4k-pages/block_raw.raw`, see its
//! `PROVENANCE.md`), read with pstkit's heap and PC code and set beside the
//! message store pstkit writes in a 4K file (`fixtures/mailbox-4k.ost`).
//!
//! Expected values were read from the bytes by hand, not by pstkit.

use std::borrow::Cow;
use std::path::PathBuf;

use pstkit_ltp::{Bth, Heap, Hid, PropId, PropType, PropValue, PropertyContext};
use pstkit_ndb::block::{decode, read_stored};
use pstkit_ndb::{BRef, BbtEntry, Bid, CryptMethod, Format, Ib, NdbFile, Nid, Variant};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path)
}

/// The block's id, and the only 512-aligned offset below 32 MiB at which its
/// signature holds (the sample does not record where it was).
const BID: u64 = 0x110BC;
const IB: u64 = 0x10B_E800;

/// The block's data as pstkit reads a block: verified against its trailer,
/// then decoded (it is neither encoded nor compressed).
fn store_block() -> Vec<u8> {
    let raw = std::fs::read(fixture("real-4k-pages/block_raw.raw")).unwrap();
    let mut file = vec![0u8; IB as usize + raw.len()];
    file[IB as usize..].copy_from_slice(&raw);
    let e = BbtEntry {
        bref: BRef {
            bid: Bid(BID),
            ib: Ib(IB),
        },
        cb: 456,
        refs: 2,
        inflated: 456,
    };
    let f = Format::UNICODE_4K;
    let stored = read_stored(&file, f, &e).unwrap();
    decode(stored, f, CryptMethod::None, &e)
        .unwrap()
        .into_owned()
}

/// The HNHDR fields and the root BTHHEADER bytes, read at their offsets.
fn raw_heap_layout(page: &[u8]) -> (u8, u8, u32, [u8; 4]) {
    let root = u32::from_le_bytes(page[4..8].try_into().unwrap());
    // The first allocation starts right after the 12-byte HNHDR.
    let ib_hnpm = usize::from(u16::from_le_bytes([page[0], page[1]]));
    let first = usize::from(u16::from_le_bytes([page[ib_hnpm + 4], page[ib_hnpm + 5]]));
    let bth: [u8; 4] = page[first..first + 4].try_into().unwrap();
    (page[2], page[3], root, bth)
}

#[test]
fn real_store_heap_and_pc_read() {
    let data = store_block();
    assert_eq!(data.len(), 456);
    let heap = Heap::from_blocks(
        Nid::MESSAGE_STORE,
        Variant::Unicode4k,
        vec![Cow::Borrowed(&data[..])],
    )
    .unwrap();
    assert_eq!(data[2], 0xEC, "bSig");
    assert_eq!(heap.client_sig(), 0xBC);
    assert_eq!(heap.header().page_map, 0x1AE);
    assert_eq!(heap.user_root(), Hid(0x20));
    let page = heap.block(0).unwrap();
    assert_eq!((page.alloc_count(), page.free_count()), (10, 0));

    let bth = Bth::open(&heap, heap.user_root()).unwrap();
    let h = bth.header();
    assert_eq!((h.key_size, h.entry_size, h.levels), (2, 6, 0));
    assert_eq!(h.root, Hid(0x40));

    let pc = PropertyContext::from_heap(heap).unwrap();
    let tags: Vec<(u16, u16)> = pc.tags().map(|t| (t.id().0, t.type_code())).collect();
    assert_eq!(
        tags,
        [
            (0x0E5C, 0x000B),
            (0x0FF9, 0x0102),
            (0x3001, 0x001F),
            (0x3416, 0x0102),
            (0x6615, 0x0048),
            (0x661F, 0x0014),
            (0x6620, 0x0003),
            (0x6633, 0x000B),
            (0x666D, 0x0003),
            (0x66FA, 0x0003),
            (0x66FC, 0x0003),
            (0x67FF, 0x0003),
            (0x7C04, 0x0102),
            (0x7C06, 0x101F),
            (0x7C07, 0x0102),
            (0x7C0C, 0x0003),
            (0x7C0D, 0x0014),
            (0x7C11, 0x000B),
            (0x7C13, 0x0003),
        ]
    );
    for (tag, v) in pc.props() {
        assert!(v.is_ok(), "{tag}: {v:?}");
    }
    let get = |id: u16| pc.get(PropId(id)).unwrap().unwrap();
    assert_eq!(
        get(0x0FF9),
        PropValue::Binary(vec![
            0x0D, 0x79, 0xFD, 0x55, 0xF7, 0x4A, 0x8F, 0x4D, 0x8D, 0x79, 0x81, 0x92, 0x48, 0x7F,
            0xD2, 0x00
        ])
    );
    // PidTagDisplayName is stored with HNID 0: an empty string.
    assert_eq!(pc.record(PropId(0x3001)).unwrap().value, 0);
    assert_eq!(get(0x3001), PropValue::String(String::new()));
    assert_eq!(
        get(0x6615),
        PropValue::Guid([
            0x5B, 0xD7, 0x2D, 0xA7, 0x34, 0xD7, 0xDC, 0x44, 0xAF, 0xDE, 0x3C, 0xD0, 0x5D, 0x20,
            0x8A, 0xA5
        ])
    );
    assert_eq!(get(0x6620), PropValue::Int32(0x1F9));
    assert_eq!(get(0x67FF), PropValue::Int32(-1), "PidTagPstPassword");
    assert_eq!(get(0x7C11), PropValue::Boolean(true));
    assert_eq!(get(0x7C13), PropValue::Int32(0x0012_3704));
    assert_eq!(
        get(0x7C06),
        PropValue::MultipleString(vec!["\\Offline Global Address List".to_string()])
    );
    assert_eq!(
        pc.record(PropId(0x7C06)).unwrap().tag.prop_type(),
        PropType::MultipleString
    );
}

#[test]
fn written_4k_store_heap_has_outlooks_layout() {
    let real = store_block();
    let file = NdbFile::open(fixture("mailbox-4k.ost")).unwrap();
    let ndb = file.ndb();
    assert_eq!(ndb.format(), Format::UNICODE_4K);
    let node = ndb.node(Nid::MESSAGE_STORE).unwrap();
    let mine = node.block(0).unwrap();
    // bSig, client signature, hidUserRoot and the BTHHEADER's bType, cbKey,
    // cbEnt and bIdxLevels are the same bytes at the same offsets.
    assert_eq!(raw_heap_layout(&mine), raw_heap_layout(&real));
    assert_eq!(raw_heap_layout(&real), (0xEC, 0xBC, 0x20, [0xB5, 2, 6, 0]));
    let heap = Heap::open(node).unwrap();
    assert_eq!(heap.client_sig(), 0xBC);
    let pc = PropertyContext::from_heap(heap).unwrap();
    // Both carry the store's record key, 16 bytes.
    match pc.get(PropId(0x0FF9)) {
        Some(Ok(PropValue::Binary(b))) => assert_eq!(b.len(), 16),
        other => panic!("record key {other:?}"),
    }
}
