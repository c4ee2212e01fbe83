//! Property tests: whatever the bytes, the parsers answer `Ok` or `Err` and
//! never panic, loop or allocate beyond the input.

use std::borrow::Cow;

use proptest::prelude::*;
use pstkit_ndb::{Nid, Variant};

use crate::bth::Bth;
use crate::heap::{build, Heap, Hid, Hnid, CLIENT_SIG_BTH, CLIENT_SIG_PC, CLIENT_SIG_TC};
use crate::pc::PropertyContext;
use crate::props;
use crate::tag::PropType;
use crate::tc::TableContext;
use crate::value::PropValue;

fn variant() -> impl Strategy<Value = Variant> {
    prop_oneof![
        Just(Variant::Ansi),
        Just(Variant::Unicode),
        Just(Variant::Unicode4k)
    ]
}

/// Uses everything a heap offers: allocations, BTHs at every small HID, and
/// the PC and TC readers with all their values.
fn exercise(blocks: Vec<Vec<u8>>, variant: Variant) {
    let blocks: Vec<Cow<'static, [u8]>> = blocks.into_iter().map(Cow::Owned).collect();
    let Ok(heap) = Heap::from_blocks(Nid(0x8022), variant, blocks.clone()) else {
        return;
    };
    for k in 0..3u32 {
        for i in 0..12u32 {
            let hid = Hid::new(variant, k, i);
            let _ = heap.get(hid);
            let _ = heap.read_hnid(Hnid(hid.0));
            if let Ok(bth) = Bth::open(&heap, hid) {
                for r in bth.iter().take(10_000) {
                    let _ = r;
                }
                let _ = bth.find(&[0x01, 0x30]);
                let _ = bth.find(&[0x22, 0x80, 0, 0]);
            }
        }
    }
    if let Ok(pc) = PropertyContext::from_heap(heap) {
        for (tag, v) in pc.props() {
            let _ = (tag, v);
        }
        let _ = pc.get_string(props::DISPLAY_NAME, 1252);
        let _ = pc.codepage();
    }
    let heap = Heap::from_blocks(Nid(0x802E), variant, blocks).unwrap();
    if let Ok(tc) = TableContext::from_heap(heap) {
        let _ = tc.row_ids();
        if let Ok(index) = tc.row_index() {
            for (id, _) in index.into_iter().take(100) {
                let _ = tc.find_row(id);
            }
        }
        for row in tc.iter().take(1000).flatten() {
            for cell in row.cells() {
                let _ = cell;
            }
        }
    }
}

/// Type codes that occur in real files, plus a few odd ones.
fn type_code() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![
            0x0002u16, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x000A, 0x000B, 0x000D, 0x0014,
            0x001E, 0x001F, 0x0040, 0x0048, 0x00FB, 0x0102, 0x1003, 0x1014, 0x101E, 0x101F, 0x1048,
            0x1102,
        ]),
        any::<u16>(),
    ]
}

/// A value slot: mostly a HID of one of the first allocations, sometimes
/// anything (subnode ids, garbage).
fn slot() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => (0u32..10).prop_map(|i| i << 5),
        1 => any::<u32>(),
    ]
}

fn filler() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..48), 0..6)
}

/// A PC whose BTH header and records are well formed and whose values point
/// at arbitrary allocations.
fn near_valid_pc() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (
        prop::collection::vec((any::<u16>(), type_code(), slot()), 0..24),
        0u8..2,
        filler(),
    )
        .prop_map(|(records, levels, rest)| {
            let header = [0xB5, 2, 6, levels, 0x40, 0, 0, 0];
            let leaf: Vec<u8> = records
                .iter()
                .flat_map(|&(id, t, v)| {
                    let mut r = id.to_le_bytes().to_vec();
                    r.extend_from_slice(&t.to_le_bytes());
                    r.extend_from_slice(&v.to_le_bytes());
                    r
                })
                .collect();
            let mut allocs: Vec<&[u8]> = vec![&header, &leaf];
            allocs.extend(rest.iter().map(Vec::as_slice));
            vec![build::first_page(CLIENT_SIG_PC, 0x20, &allocs)]
        })
}

/// A TC with a plausible TCINFO (columns of real types at arbitrary
/// offsets and bits), a RowIndex and a row matrix of arbitrary bytes.
fn near_valid_tc() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (
        prop::collection::vec(
            (
                any::<u16>(),
                type_code(),
                0u16..48,
                prop::sample::select(vec![0u8, 1, 2, 4, 8]),
                0u8..24,
            ),
            0..12,
        ),
        [0u16..48, 0u16..48, 0u16..48, 4u16..56],
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec((any::<u32>(), 0u32..12), 0..8),
        prop::sample::select(vec![2u8, 4]),
        filler(),
    )
        .prop_map(|(cols, mut rgib, matrix, index, ent, rest)| {
            rgib.sort_unstable();
            let mut info = vec![0x7C, cols.len() as u8];
            for g in rgib {
                info.extend_from_slice(&g.to_le_bytes());
            }
            info.extend_from_slice(&0x40u32.to_le_bytes());
            info.extend_from_slice(&0x80u32.to_le_bytes());
            info.extend_from_slice(&0u32.to_le_bytes());
            for (id, t, off, size, bit) in cols {
                info.extend_from_slice(&((u32::from(id) << 16) | u32::from(t)).to_le_bytes());
                info.extend_from_slice(&off.to_le_bytes());
                info.push(size);
                info.push(bit);
            }
            let header = [0xB5, 4, ent, 0, 0x60, 0, 0, 0];
            let leaf: Vec<u8> = index
                .iter()
                .flat_map(|&(id, pos)| {
                    let mut r = id.to_le_bytes().to_vec();
                    r.extend_from_slice(&pos.to_le_bytes()[..usize::from(ent)]);
                    r
                })
                .collect();
            let mut allocs: Vec<&[u8]> = vec![&info, &header, &leaf, &matrix];
            allocs.extend(rest.iter().map(Vec::as_slice));
            vec![build::first_page(CLIENT_SIG_TC, 0x20, &allocs)]
        })
}

/// A first heap page with the right signature and arbitrary allocations.
fn near_valid_heap() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop_oneof![
        near_valid_pc(),
        near_valid_tc(),
        (
            prop_oneof![
                Just(CLIENT_SIG_PC),
                Just(CLIENT_SIG_TC),
                Just(CLIENT_SIG_BTH)
            ],
            0u32..8,
            filler()
        )
            .prop_map(|(sig, root, allocs)| {
                let refs: Vec<&[u8]> = allocs.iter().map(Vec::as_slice).collect();
                vec![build::first_page(sig, root << 5, &refs)]
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_blocks_never_panic(
        blocks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..4),
        variant in variant(),
    ) {
        exercise(blocks, variant);
    }

    #[test]
    fn near_valid_heaps_never_panic(blocks in near_valid_heap(), variant in variant()) {
        exercise(blocks, variant);
    }

    #[test]
    fn values_decode_or_fail_cleanly(code in any::<u16>(), raw in prop::collection::vec(any::<u8>(), 0..80)) {
        let t = PropType::from_code(code);
        match PropValue::decode(t, &raw) {
            Ok(v) => {
                // PtypUnspecified too keeps its code (a copy stores the
                // same tag), as every other type does.
                prop_assert_eq!(v.prop_type().code(), code);
                if let Some(size) = t.fixed_size() {
                    prop_assert!(size == 0 || raw.len() == size);
                }
            }
            Err(_) => prop_assert!(t.fixed_size().is_some() || t.is_multi() || t == PropType::String),
        }
    }

    #[test]
    fn hid_fields_round_trip(block in 0u32..0x2000, index in 0u32..0x800, v in variant()) {
        let h = Hid::new(v, block, index);
        prop_assert_eq!(h.block(v), block);
        prop_assert_eq!(h.index(v), index);
        prop_assert_eq!(h.hid_type(), 0);
    }
}
