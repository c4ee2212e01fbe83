//! B-tree-on-heap (BTH): sorted fixed-size records stored in heap
//! allocations ([MS-PST] 2.3.2). Property contexts and table row indexes
//! are BTHs.
//!
//! Walks are bounded: the depth by `bIdxLevels` (at most
//! [`MAX_LEVELS`]), the work by refusing to visit any heap allocation twice,
//! so shared or cyclic references in a damaged heap end in an error rather
//! than in an endless or exponential walk.

use std::collections::HashSet;

use pstkit_ndb::Nid;

use crate::error::{LtpError, Result};
use crate::heap::{u32_at, Heap, Hid};

/// `bType` of a BTHHEADER.
pub const BTH_SIGNATURE: u8 = 0xB5;
/// Largest `bIdxLevels` accepted. Real trees have 0 or 1 levels (a
/// 3580-byte node holds hundreds of records); the bound only stops garbage.
pub const MAX_LEVELS: u8 = 8;

/// The BTHHEADER: shape and root of one tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BthHeader {
    /// `cbKey`: key width (2, 4, 8 or 16).
    pub key_size: u8,
    /// `cbEnt`: data width of a leaf record (1–32).
    pub entry_size: u8,
    /// `bIdxLevels`: intermediate levels above the leaves.
    pub levels: u8,
    /// `hidRoot`: the root node, 0 for an empty tree.
    pub root: Hid,
}

impl BthHeader {
    /// Size of the structure.
    pub const SIZE: usize = 8;

    /// Parses the BTHHEADER stored at `hid` of `nid`'s heap.
    pub fn parse(nid: Nid, hid: Hid, b: &[u8]) -> Result<Self> {
        let err = |what: String| LtpError::Bth { nid, hid, what };
        if b.len() < Self::SIZE {
            return Err(err(format!(
                "header is {} bytes, expected {}",
                b.len(),
                Self::SIZE
            )));
        }
        if b[0] != BTH_SIGNATURE {
            return Err(err(format!(
                "bType is 0x{:02X}, expected 0x{BTH_SIGNATURE:02X}",
                b[0]
            )));
        }
        let (key_size, entry_size, levels) = (b[1], b[2], b[3]);
        if !matches!(key_size, 2 | 4 | 8 | 16) {
            return Err(err(format!("cbKey {key_size} is not 2, 4, 8 or 16")));
        }
        if !(1..=32).contains(&entry_size) {
            return Err(err(format!("cbEnt {entry_size} is not within 1..=32")));
        }
        if levels > MAX_LEVELS {
            return Err(err(format!(
                "bIdxLevels {levels} exceeds the limit of {MAX_LEVELS}"
            )));
        }
        Ok(BthHeader {
            key_size,
            entry_size,
            levels,
            root: Hid(u32_at(b, 4).unwrap_or(0)),
        })
    }

    /// Size of a leaf record (key + data).
    pub(crate) fn leaf_record_size(&self) -> usize {
        usize::from(self.key_size) + usize::from(self.entry_size)
    }

    /// Size of an intermediate record (key + child HID).
    pub(crate) fn index_record_size(&self) -> usize {
        usize::from(self.key_size) + 4
    }

    fn record_size(&self, level: u8) -> usize {
        if level == 0 {
            self.leaf_record_size()
        } else {
            self.index_record_size()
        }
    }
}

/// Reads a little-endian key of up to 16 bytes as an integer, the order in
/// which BTH records are sorted.
pub(crate) fn key_value(b: &[u8]) -> u128 {
    b.iter()
        .take(16)
        .rev()
        .fold(0u128, |acc, &x| (acc << 8) | u128::from(x))
}

/// One leaf record, borrowed from the heap page that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BthRecord<'h> {
    /// `cbKey` key bytes.
    pub key: &'h [u8],
    /// `cbEnt` data bytes.
    pub data: &'h [u8],
}

/// A B-tree stored in a heap.
#[derive(Clone, Copy, Debug)]
pub struct Bth<'h, 'a> {
    heap: &'h Heap<'a>,
    hid: Hid,
    header: BthHeader,
}

impl<'h, 'a> Bth<'h, 'a> {
    /// Opens the tree whose BTHHEADER is allocation `hid` of `heap`.
    pub fn open(heap: &'h Heap<'a>, hid: Hid) -> Result<Self> {
        let b = heap.get(hid)?;
        let header = BthHeader::parse(heap.nid(), hid, b)?;
        Ok(Bth { heap, hid, header })
    }

    /// The tree's header.
    pub fn header(&self) -> &BthHeader {
        &self.header
    }

    /// The heap id of the header.
    pub fn hid(&self) -> Hid {
        self.hid
    }

    fn err(&self, what: String) -> LtpError {
        LtpError::Bth {
            nid: self.heap.nid(),
            hid: self.hid,
            what,
        }
    }

    fn node(&self, hid: Hid, level: u8) -> Result<&'h [u8]> {
        let b = self.heap.get(hid)?;
        let rs = self.header.record_size(level);
        if b.len() % rs != 0 {
            return Err(self.err(format!(
                "level-{level} node {hid} is {} bytes, not a multiple of the {rs}-byte record",
                b.len()
            )));
        }
        Ok(b)
    }

    /// Every leaf record in tree order, lazily. After an error the iterator
    /// ends.
    pub fn iter(&self) -> BthIter<'h, 'a> {
        BthIter {
            bth: *self,
            stack: Vec::new(),
            visited: HashSet::new(),
            started: false,
            done: false,
        }
    }

    /// The leaf record whose key equals `key` (compared as little-endian
    /// integers, so a `u32` key may be given as its four bytes).
    pub fn find(&self, key: &[u8]) -> Result<Option<BthRecord<'h>>> {
        if self.header.root.is_none() {
            return Ok(None);
        }
        let want = key_value(key);
        let ks = usize::from(self.header.key_size);
        let mut hid = self.header.root;
        let mut level = self.header.levels;
        loop {
            let node = self.node(hid, level)?;
            let rs = self.header.record_size(level);
            if level == 0 {
                return Ok(node.chunks_exact(rs).find_map(|r| {
                    (key_value(&r[..ks]) == want).then_some(BthRecord {
                        key: &r[..ks],
                        data: &r[ks..],
                    })
                }));
            }
            // The child whose first key is the largest one not above `want`.
            let child = node
                .chunks_exact(rs)
                .map(|r| (key_value(&r[..ks]), u32_at(r, ks).unwrap_or(0)))
                .filter(|&(k, _)| k <= want)
                .max_by_key(|&(k, _)| k);
            let Some((_, child)) = child else {
                return Ok(None);
            };
            hid = Hid(child);
            level -= 1;
        }
    }
}

struct Frame<'h> {
    bytes: &'h [u8],
    pos: usize,
    level: u8,
}

impl std::fmt::Debug for BthIter<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BthIter")
            .field("depth", &self.stack.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Iterator over a BTH's leaf records; see [`Bth::iter`].
pub struct BthIter<'h, 'a> {
    bth: Bth<'h, 'a>,
    stack: Vec<Frame<'h>>,
    visited: HashSet<u32>,
    started: bool,
    done: bool,
}

impl<'h> BthIter<'h, '_> {
    fn push(&mut self, hid: Hid, level: u8) -> Result<()> {
        if !self.visited.insert(hid.0) {
            return Err(self.bth.err(format!(
                "node {hid} is referenced more than once (cycle or shared subtree)"
            )));
        }
        let bytes = self.bth.node(hid, level)?;
        self.stack.push(Frame {
            bytes,
            pos: 0,
            level,
        });
        Ok(())
    }

    fn step(&mut self) -> Result<Option<BthRecord<'h>>> {
        if !self.started {
            self.started = true;
            let h = self.bth.header;
            if h.root.is_none() {
                return Ok(None);
            }
            self.push(h.root, h.levels)?;
        }
        let ks = usize::from(self.bth.header.key_size);
        loop {
            let Some(top) = self.stack.last_mut() else {
                return Ok(None);
            };
            let rs = self.bth.header.record_size(top.level);
            let Some(rec) = top.bytes.get(top.pos..top.pos + rs) else {
                self.stack.pop();
                continue;
            };
            top.pos += rs;
            if top.level == 0 {
                return Ok(Some(BthRecord {
                    key: &rec[..ks],
                    data: &rec[ks..],
                }));
            }
            let level = top.level - 1;
            let child = Hid(u32_at(rec, ks).unwrap_or(0));
            self.push(child, level)?;
        }
    }
}

impl<'h> Iterator for BthIter<'h, '_> {
    type Item = Result<BthRecord<'h>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{build, CLIENT_SIG_BTH};
    use pstkit_ndb::Variant;
    use std::borrow::Cow;

    const N: Nid = Nid(0x61);

    fn heap_of(allocs: &[&[u8]]) -> Heap<'static> {
        let p = build::first_page(CLIENT_SIG_BTH, 0x20, allocs);
        Heap::from_blocks(N, Variant::Unicode, vec![Cow::Owned(p)]).unwrap()
    }

    fn leaf(keys: &[u16]) -> Vec<u8> {
        keys.iter()
            .flat_map(|k| {
                let mut r = k.to_le_bytes().to_vec();
                r.extend_from_slice(&[k.to_le_bytes()[0]; 3]);
                r
            })
            .collect()
    }

    fn keys(bth: &Bth) -> Vec<u16> {
        bth.iter()
            .map(|r| u16::from_le_bytes(r.unwrap().key.try_into().unwrap()))
            .collect()
    }

    #[test]
    fn header_checks() {
        let h = BthHeader::parse(N, Hid(0x20), &[0xB5, 2, 6, 0, 0x40, 0, 0, 0]).unwrap();
        assert_eq!(
            h,
            BthHeader {
                key_size: 2,
                entry_size: 6,
                levels: 0,
                root: Hid(0x40)
            }
        );
        assert_eq!(h.leaf_record_size(), 8);
        for bad in [
            [0xB4, 2, 6, 0, 0, 0, 0, 0],
            [0xB5, 3, 6, 0, 0, 0, 0, 0],
            [0xB5, 2, 0, 0, 0, 0, 0, 0],
            [0xB5, 2, 33, 0, 0, 0, 0, 0],
            [0xB5, 2, 6, 9, 0, 0, 0, 0],
        ] {
            assert!(BthHeader::parse(N, Hid(0x20), &bad).is_err());
        }
        assert!(BthHeader::parse(N, Hid(0x20), &[0xB5, 2, 6]).is_err());
    }

    /// The tree names its header's allocation, and its iterator's debug
    /// form says how deep its walk is and whether it is done.
    #[test]
    fn header_hid_and_iterator_debug_form() {
        let heap = heap_of(&[&[0xB5, 2, 3, 0, 0x40, 0, 0, 0], &leaf(&[1, 2])]);
        let bth = Bth::open(&heap, Hid(0x20)).unwrap();
        assert_eq!(bth.hid(), Hid(0x20));
        let mut it = bth.iter();
        assert_eq!(format!("{it:?}"), "BthIter { depth: 0, done: false, .. }");
        assert_eq!(it.by_ref().count(), 2);
        assert!(format!("{it:?}").contains("done: true"), "{it:?}");
    }

    #[test]
    fn empty_tree() {
        let heap = heap_of(&[&[0xB5, 2, 3, 0, 0, 0, 0, 0]]);
        let bth = Bth::open(&heap, Hid(0x20)).unwrap();
        assert_eq!(bth.iter().count(), 0);
        assert_eq!(bth.find(&[1, 0]).unwrap(), None);
    }

    #[test]
    fn single_leaf() {
        let l = leaf(&[1, 5, 0x300]);
        let heap = heap_of(&[&[0xB5, 2, 3, 0, 0x40, 0, 0, 0], &l]);
        let bth = Bth::open(&heap, Hid(0x20)).unwrap();
        assert_eq!(keys(&bth), [1, 5, 0x300]);
        let r = bth.find(&5u16.to_le_bytes()).unwrap().unwrap();
        assert_eq!(r.data, &[5, 5, 5]);
        assert!(bth.find(&4u16.to_le_bytes()).unwrap().is_none());
        assert!(bth.find(&0x300u16.to_le_bytes()).unwrap().is_some());
    }

    #[test]
    fn two_levels() {
        let a = leaf(&[1, 2, 3]);
        let b = leaf(&[10, 11]);
        let mut idx = Vec::new();
        for (k, hid) in [(1u16, 0x60u32), (10, 0x80)] {
            idx.extend_from_slice(&k.to_le_bytes());
            idx.extend_from_slice(&hid.to_le_bytes());
        }
        let heap = heap_of(&[&[0xB5, 2, 3, 1, 0x40, 0, 0, 0], &idx, &a, &b]);
        let bth = Bth::open(&heap, Hid(0x20)).unwrap();
        assert_eq!(keys(&bth), [1, 2, 3, 10, 11]);
        assert_eq!(
            bth.find(&11u16.to_le_bytes()).unwrap().unwrap().data,
            &[11; 3]
        );
        assert_eq!(
            bth.find(&2u16.to_le_bytes()).unwrap().unwrap().data,
            &[2; 3]
        );
        assert!(bth.find(&0u16.to_le_bytes()).unwrap().is_none());
        assert!(bth.find(&5u16.to_le_bytes()).unwrap().is_none());
    }

    #[test]
    fn shared_and_cyclic_nodes_are_rejected() {
        // Both index records point at the same leaf.
        let a = leaf(&[1]);
        let mut idx = Vec::new();
        for k in [1u16, 2] {
            idx.extend_from_slice(&k.to_le_bytes());
            idx.extend_from_slice(&0x60u32.to_le_bytes());
        }
        let heap = heap_of(&[&[0xB5, 2, 3, 1, 0x40, 0, 0, 0], &idx, &a]);
        let bth = Bth::open(&heap, Hid(0x20)).unwrap();
        let got: Vec<_> = bth.iter().collect();
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok());
        let e = got[1].as_ref().unwrap_err().to_string();
        assert!(e.contains("more than once"), "{e}");

        // An index node pointing at itself, eight levels deep.
        let mut idx = Vec::new();
        idx.extend_from_slice(&1u16.to_le_bytes());
        idx.extend_from_slice(&0x40u32.to_le_bytes());
        let heap = heap_of(&[&[0xB5, 2, 3, 8, 0x40, 0, 0, 0], &idx]);
        let bth = Bth::open(&heap, Hid(0x20)).unwrap();
        assert!(bth.iter().any(|r| r.is_err()));
        // Lookup descends at most `levels` steps, then reads the node as a leaf.
        assert!(bth.find(&1u16.to_le_bytes()).is_err());
    }

    #[test]
    fn ragged_node_is_an_error() {
        let heap = heap_of(&[&[0xB5, 2, 3, 0, 0x40, 0, 0, 0], &[1, 2, 3, 4, 5, 6, 7]]);
        let bth = Bth::open(&heap, Hid(0x20)).unwrap();
        let e = bth.iter().next().unwrap().unwrap_err().to_string();
        assert!(e.contains("not a multiple"), "{e}");
        assert!(bth.find(&[1, 2]).is_err());
    }

    #[test]
    fn key_values() {
        assert_eq!(key_value(&[0x34, 0x12]), 0x1234);
        assert_eq!(key_value(&[1, 0, 0, 0x80]), 0x8000_0001);
        assert_eq!(key_value(&[0xFF; 16]), u128::MAX);
    }
}
