//! LTP: one node's heap pages, read as a heap, a property context, a table
//! context and as B-trees on the heap.
//!
//! Input: a selector byte (bits 0-1: variant, 0 ANSI, 2 4K, else Unicode;
//! bits 2-3: number of blocks - 1, 3 meaning 3 blocks too), the lengths of
//! all blocks but the last as u16 LE, then the blocks' bytes.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use pstkit_ltp::{bth::Bth, Heap, Hid, Hnid, PropId, PropertyContext, TableContext};
use pstkit_ndb::{Nid, Variant};

/// Rows or records read per structure.
const MAX_ITEMS: usize = 100_000;

fn split(data: &[u8]) -> Option<(Variant, Vec<Cow<'_, [u8]>>)> {
    let (&sel, mut rest) = data.split_first()?;
    let variant = match sel & 3 {
        0 => Variant::Ansi,
        2 => Variant::Unicode4k,
        _ => Variant::Unicode,
    };
    let count = usize::from((sel >> 2) & 3).clamp(0, 2) + 1;
    let mut lens = Vec::new();
    for _ in 1..count {
        let (l, r) = rest.split_at_checked(2)?;
        lens.push(usize::from(u16::from_le_bytes([l[0], l[1]])));
        rest = r;
    }
    let mut blocks = Vec::new();
    for l in lens {
        let (b, r) = rest.split_at(l.min(rest.len()));
        blocks.push(Cow::Borrowed(b));
        rest = r;
    }
    blocks.push(Cow::Borrowed(rest));
    Some((variant, blocks))
}

fn walk_bth(heap: &Heap<'_>, hid: Hid) {
    let Ok(bth) = Bth::open(heap, hid) else {
        return;
    };
    let _ = (bth.header(), bth.hid());
    let mut keys = Vec::new();
    for r in bth.iter().take(MAX_ITEMS) {
        match r {
            Ok(r) => {
                if keys.len() < 64 {
                    keys.push(r.key.to_vec());
                }
            }
            Err(_) => break,
        }
    }
    for k in &keys {
        let _ = bth.find(k);
    }
    let _ = bth.find(&[0xFF; 16]);
    let _ = bth.find(&[]);
}

fuzz_target!(|data: &[u8]| {
    let Some((variant, blocks)) = split(data) else {
        return;
    };
    let nid = Nid(0x200024);

    // The heap itself: every allocation of every page, each tried as a BTH.
    if let Ok(heap) = Heap::from_blocks(nid, variant, blocks.clone()) {
        let _ = (
            heap.header(),
            heap.client_sig(),
            heap.user_root(),
            heap.variant(),
        );
        let _ = heap.node();
        let _ = heap.read_hnid(Hnid(heap.user_root().0));
        let _ = heap.subnode(Nid(0x8001));
        walk_bth(&heap, heap.user_root());
        for k in 0..heap.block_count() {
            let Ok(b) = heap.block(k) else { continue };
            let _ = (
                b.index(),
                b.free_count(),
                b.page_map_offset(),
                b.bytes().len(),
            );
            let n = b.alloc_count().min(4096) + 1;
            for i in 0..=n {
                let hid = Hid::new(variant, k as u32, i as u32);
                let _ = heap.get(hid);
                let _ = heap.read_hnid(Hnid(hid.0));
                if i < 64 {
                    walk_bth(&heap, hid);
                }
            }
        }
    }

    if let Ok(heap) = Heap::from_blocks(nid, variant, blocks.clone()) {
        if let Ok(pc) = PropertyContext::from_heap(heap) {
            let _ = (pc.nid(), pc.len(), pc.is_empty(), pc.codepage());
            for rec in pc.records().to_vec() {
                let _ = pc.raw_of(rec);
                if let Ok(v) = pc.value_of(rec) {
                    let _ = v.to_text(1252);
                    let _ = v.to_text(65001);
                }
                let id = rec.tag.id();
                let _ = pc.record(rec.tag);
                let _ = pc.get_string(id, 1252);
                let _ = pc.get_string(id, 50220);
                let _ = (
                    pc.get_i32(id),
                    pc.get_bool(id),
                    pc.get_binary(id),
                    pc.get_time(id),
                );
            }
            for (_, v) in pc.props().take(MAX_ITEMS) {
                let _ = v;
            }
            let _ = pc.get(PropId(0x3001));
        }
    }

    if let Ok(heap) = Heap::from_blocks(nid, variant, blocks) {
        if let Ok(tc) = TableContext::from_heap(heap) {
            let _ = (tc.nid(), tc.info(), tc.columns().len(), tc.row_count());
            let _ = tc.column(PropId(0x3001));
            let mut ids = Vec::new();
            for row in tc.iter().take(MAX_ITEMS) {
                let Ok(row) = row else { continue };
                let _ = (row.index(), row.bytes().len());
                if ids.len() < 256 {
                    ids.push(row.row_id());
                }
                for col in tc.columns() {
                    let _ = row.exists(col);
                }
                for (_, v) in row.cells() {
                    if let Ok(v) = v {
                        let _ = v.to_text(1252);
                    }
                }
                let _ = row.get(PropId(0x67F2));
            }
            let _ = tc.row_ids();
            let _ = tc.row_index();
            for id in ids {
                let _ = tc.find_row(id);
            }
            let _ = tc.find_row(u32::MAX);
            let _ = tc.row(usize::MAX);
        }
    }
});
