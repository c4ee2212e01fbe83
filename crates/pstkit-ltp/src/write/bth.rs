//! Building a B-tree-on-heap ([MS-PST] 2.3.2).
//!
//! A tree is laid out in two steps so that its nodes can sit in the heap
//! before the values its records point to: [`reserve`] allocates the header
//! and zeroed nodes of the right sizes, [`fill`] writes the records once
//! they are known.

use super::{HeapBuilder, MAX_HEAP_ALLOC};
use crate::bth::BTH_SIGNATURE;
use crate::heap::Hid;

/// The nodes of a reserved tree, level by level from the leaves up: each
/// node's HID and how many entries (records or children) it holds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shape {
    key_size: usize,
    data_size: usize,
    levels: Vec<Vec<(Hid, usize)>>,
}

/// Allocates zeroed nodes for a tree of `count` records. Leaves are filled
/// to capacity (`3580 / record size` records), as are index nodes, so the
/// tree has the fewest nodes and levels possible.
pub(crate) fn reserve(heap: &mut HeapBuilder, key_size: u8, data_size: u8, count: usize) -> Shape {
    let (ks, ds) = (usize::from(key_size), usize::from(data_size));
    let mut shape = Shape {
        key_size: ks,
        data_size: ds,
        levels: Vec::new(),
    };
    let mut entries = count;
    let mut record = (ks + ds).max(1);
    while entries > 0 {
        let per = (MAX_HEAP_ALLOC / record).max(1);
        let mut level = Vec::with_capacity(entries.div_ceil(per));
        let mut left = entries;
        while left > 0 {
            let n = left.min(per);
            level.push((heap.alloc(&vec![0; n * record]), n));
            left -= n;
        }
        let nodes = level.len();
        shape.levels.push(level);
        if nodes == 1 {
            break;
        }
        entries = nodes;
        record = ks + 4;
    }
    shape
}

/// `b` cut or zero-padded to `n` bytes.
fn sized(b: &[u8], n: usize) -> impl Iterator<Item = u8> + '_ {
    b.iter().copied().chain(std::iter::repeat(0)).take(n)
}

/// Writes `records` (sorted by key; as many as reserved) into the nodes of
/// `shape` and the BTHHEADER into allocation `header` (8 bytes).
pub(crate) fn fill<K: AsRef<[u8]>, D: AsRef<[u8]>>(
    heap: &mut HeapBuilder,
    header: Hid,
    shape: &Shape,
    records: &[(K, D)],
) {
    let (ks, ds) = (shape.key_size, shape.data_size);
    // First key of every node of the level being written, for its parent.
    let mut firsts: Vec<&[u8]> = Vec::new();
    let mut next = 0usize;
    if let Some(leaves) = shape.levels.first() {
        for &(hid, n) in leaves {
            let chunk = records.get(next..next + n).unwrap_or(&[]);
            next += n;
            firsts.push(chunk.first().map_or(&[][..], |r| r.0.as_ref()));
            let mut b = Vec::with_capacity(n * (ks + ds));
            for (k, d) in chunk {
                b.extend(sized(k.as_ref(), ks));
                b.extend(sized(d.as_ref(), ds));
            }
            b.resize(n * (ks + ds), 0);
            heap.fill(hid, &b);
        }
    }
    let mut children: Vec<Hid> = shape
        .levels
        .first()
        .map(|l| l.iter().map(|e| e.0).collect())
        .unwrap_or_default();
    for level in shape.levels.iter().skip(1) {
        let mut up_firsts = Vec::with_capacity(level.len());
        let mut at = 0usize;
        for &(hid, n) in level {
            let mut b = Vec::with_capacity(n * (ks + 4));
            for i in at..at + n {
                b.extend(sized(firsts.get(i).copied().unwrap_or(&[]), ks));
                let child = children.get(i).copied().unwrap_or(Hid::NONE);
                b.extend_from_slice(&child.0.to_le_bytes());
            }
            up_firsts.push(firsts.get(at).copied().unwrap_or(&[]));
            at += n;
            heap.fill(hid, &b);
        }
        firsts = up_firsts;
        children = level.iter().map(|e| e.0).collect();
    }
    let root = shape
        .levels
        .last()
        .and_then(|l| l.first())
        .map_or(Hid::NONE, |e| e.0);
    let idx_levels = shape.levels.len().saturating_sub(1) as u8;
    let mut h = [BTH_SIGNATURE, ks as u8, ds as u8, idx_levels, 0, 0, 0, 0];
    h[4..].copy_from_slice(&root.0.to_le_bytes());
    heap.fill(header, &h);
}

/// Builds a tree from `records`, sorted by key, with its nodes allocated as
/// they fill, leaves first and then each index level: the same nodes, in the
/// same heap order, as [`reserve`] and [`fill`] give, without holding the
/// records or the zeroed nodes. Writes the BTHHEADER into `header`.
pub(crate) fn build_sorted<K: AsRef<[u8]>, D: AsRef<[u8]>>(
    heap: &mut HeapBuilder,
    header: Hid,
    key_size: u8,
    data_size: u8,
    records: impl IntoIterator<Item = (K, D)>,
) {
    let (ks, ds) = (usize::from(key_size), usize::from(data_size));
    let per = (MAX_HEAP_ALLOC / (ks + ds).max(1)).max(1);
    // Each node of the level being built: its first key and its HID.
    let mut level: Vec<(Vec<u8>, Hid)> = Vec::new();
    let mut node = Vec::with_capacity(per * (ks + ds));
    let mut first = Vec::new();
    let mut n = 0usize;
    for (k, d) in records {
        if n == 0 {
            first = sized(k.as_ref(), ks).collect();
        }
        node.extend(sized(k.as_ref(), ks));
        node.extend(sized(d.as_ref(), ds));
        n += 1;
        if n == per {
            level.push((std::mem::take(&mut first), heap.alloc(&node)));
            node.clear();
            n = 0;
        }
    }
    if n > 0 {
        level.push((first, heap.alloc(&node)));
    }
    let per = (MAX_HEAP_ALLOC / (ks + 4)).max(1);
    let mut idx_levels = 0u8;
    while level.len() > 1 {
        let mut up = Vec::with_capacity(level.len().div_ceil(per));
        for children in level.chunks(per) {
            let mut b = Vec::with_capacity(children.len() * (ks + 4));
            for (k, hid) in children {
                b.extend(sized(k, ks));
                b.extend_from_slice(&hid.0.to_le_bytes());
            }
            up.push((children[0].0.clone(), heap.alloc(&b)));
        }
        level = up;
        idx_levels += 1;
    }
    let root = level.first().map_or(Hid::NONE, |e| e.1);
    let mut h = [BTH_SIGNATURE, ks as u8, ds as u8, idx_levels, 0, 0, 0, 0];
    h[4..].copy_from_slice(&root.0.to_le_bytes());
    heap.fill(header, &h);
}

/// Builds a BTH on `heap` from records sorted by key (each
/// `key.len() == key_size`, `data.len() == data_size`; other lengths are cut
/// or zero-padded). Leaves and index nodes are filled to the 3580-byte
/// allocation limit, and index levels are added until one node is the root.
/// Returns the HID of the BTHHEADER, which is allocated first; an empty tree
/// has `hidRoot` 0.
#[cfg(test)]
pub(crate) fn build_bth(
    heap: &mut HeapBuilder,
    key_size: u8,
    data_size: u8,
    records: &[(Vec<u8>, Vec<u8>)],
) -> Hid {
    let header = heap.alloc(&[0; 8]);
    let shape = reserve(heap, key_size, data_size, records.len());
    fill(heap, header, &shape, records);
    header
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bth::Bth;
    use crate::heap::{Heap, CLIENT_SIG_BTH};
    use pstkit_ndb::{Nid, Variant};
    use std::borrow::Cow;

    fn tree(variant: Variant, ks: u8, ds: u8, n: u32) -> (Vec<Vec<u8>>, Hid, usize) {
        let mut h = HeapBuilder::new(variant, CLIENT_SIG_BTH);
        let records: Vec<(Vec<u8>, Vec<u8>)> = (0..n)
            .map(|i| {
                let k = (i * 3).to_le_bytes()[..usize::from(ks)].to_vec();
                (k, vec![i as u8; usize::from(ds)])
            })
            .collect();
        let hid = build_bth(&mut h, ks, ds, &records);
        h.set_user_root(hid);
        let pages = h.page_count();
        (h.finish(), hid, pages)
    }

    #[test]
    fn built_as_sorted_is_byte_identical_to_reserved_and_filled() {
        for (n, ks, ds) in [
            (0u32, 4u8, 4u8),
            (1, 4, 4),
            (447, 4, 4),
            (448, 4, 4),
            (60_000, 4, 2),
            (200_000, 4, 4),
        ] {
            let records: Vec<([u8; 4], [u8; 4])> = (0..n)
                .map(|i| ((i * 5).to_be_bytes(), i.to_le_bytes()))
                .collect();
            let mut a = HeapBuilder::new(Variant::Unicode, CLIENT_SIG_BTH);
            let ha = a.alloc(&[0; 8]);
            let shape = reserve(&mut a, ks, ds, records.len());
            fill(&mut a, ha, &shape, &records);
            let mut b = HeapBuilder::new(Variant::Unicode, CLIENT_SIG_BTH);
            let hb = b.alloc(&[0; 8]);
            build_sorted(&mut b, hb, ks, ds, records.iter().copied());
            assert_eq!(a.finish(), b.finish(), "{n} records");
        }
    }

    #[test]
    fn shapes_read_back() {
        // (records, key, data, expected bIdxLevels)
        for (n, ks, ds, levels) in [
            (0u32, 2u8, 6u8, 0u8),
            (1, 2, 6, 0),
            (447, 2, 6, 0),
            (448, 2, 6, 1),
            (20_000, 4, 4, 1),
            (60_000, 4, 32, 2),
        ] {
            let (pages, hid, _) = tree(Variant::Unicode, ks, ds, n);
            let heap = Heap::from_blocks(
                Nid(0x21),
                Variant::Unicode,
                pages.into_iter().map(Cow::Owned).collect(),
            )
            .unwrap();
            let bth = Bth::open(&heap, hid).unwrap();
            assert_eq!(bth.header().levels, levels, "{n} records");
            assert_eq!(bth.header().root.is_none(), n == 0);
            let got: Vec<_> = bth.iter().map(|r| r.unwrap().data[0]).collect();
            assert_eq!(got.len(), n as usize);
            assert!(got.iter().enumerate().all(|(i, &d)| d == i as u8));
            for i in [0, n / 2, n.saturating_sub(1)] {
                let key = &(i * 3).to_le_bytes()[..usize::from(ks)];
                let found = bth.find(key).unwrap();
                assert_eq!(found.is_some(), n > 0, "{n} records, key {i}");
                assert!(bth
                    .find(&(i * 3 + 1).to_le_bytes()[..usize::from(ks)])
                    .unwrap()
                    .is_none());
            }
        }
    }
}
