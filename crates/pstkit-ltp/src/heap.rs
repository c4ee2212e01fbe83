//! Heap-on-node (HN): small allocations packed into a node's data blocks
//! ([MS-PST] 2.3.1).
//!
//! Every data block of the node is one heap page. Page 0 begins with the
//! HNHDR, which says which client (PC, TC, bare BTH) owns the heap and where
//! its root structure lives; the other pages begin with a short page header.
//! Every page ends with a page map listing where its allocations start, and a
//! heap id (HID) names an allocation by page and slot.
//!
//! The pure parsers ([`HnHeader::parse`], [`HeapBlock::parse`]) work on byte
//! slices; [`Heap`] adds lazy, cached access to the pages of a [`Node`].

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use pstkit_ndb::{Nid, Node, Variant};

use crate::error::{heap_err, hid_err, LtpError, Result};
pub use crate::hid::Hid;

/// `bSig` of every HNHDR.
pub const HN_SIGNATURE: u8 = 0xEC;
/// `bClientSig` of a table context.
pub const CLIENT_SIG_TC: u8 = 0x7C;
/// `bClientSig` of a bare B-tree-on-heap.
pub const CLIENT_SIG_BTH: u8 = 0xB5;
/// `bClientSig` of a property context.
pub const CLIENT_SIG_PC: u8 = 0xBC;

/// Size of the HNHDR at the start of page 0.
pub const HNHDR_SIZE: usize = 12;
/// Size of the HNPAGEHDR at the start of most later pages.
pub const HNPAGEHDR_SIZE: usize = 2;
/// Size of the HNBITMAPHDR at the start of pages 8, 136, 264, …
pub const HNBITMAPHDR_SIZE: usize = 66;
/// The first page with an HNBITMAPHDR; the HNHDR holds the fill levels
/// of the pages before it.
pub(crate) const BITMAP_FIRST: u32 = 8;
/// Pages from one HNBITMAPHDR page to the next, each holding the fill
/// levels of itself and the pages up to the next.
pub(crate) const BITMAP_SPAN: u32 = 128;

pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A heap-or-node id: where a variable-size value lives. Small values sit in
/// the heap (a HID), large ones in a subnode of the same node.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hnid(pub u32);

/// What an [`Hnid`] refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HnidTarget {
    /// 0: the value is empty.
    Empty,
    /// An allocation in this node's heap.
    Heap(Hid),
    /// A subnode of this node; its whole data stream is the value.
    Subnode(Nid),
}

impl Hnid {
    /// Classifies the id by its type bits.
    pub fn target(self) -> HnidTarget {
        if self.0 == 0 {
            HnidTarget::Empty
        } else if self.0 & 0x1F == 0 {
            HnidTarget::Heap(Hid(self.0))
        } else {
            HnidTarget::Subnode(Nid(self.0))
        }
    }
}

impl fmt::Debug for Hnid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hnid(0x{:X})", self.0)
    }
}

impl fmt::Display for Hnid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:X}", self.0)
    }
}

/// The HNHDR at the start of heap page 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HnHeader {
    /// Offset of page 0's page map.
    pub page_map: u16,
    /// Which client owns the heap (`CLIENT_SIG_*`).
    pub client_sig: u8,
    /// The client's root structure (BTHHEADER or TCINFO).
    pub user_root: Hid,
    /// Advisory fill levels of pages 0–7; readers ignore them.
    pub fill_levels: u32,
}

impl HnHeader {
    /// Parses the HNHDR of page 0 of `nid`'s heap.
    pub fn parse(nid: Nid, b: &[u8]) -> Result<Self> {
        let (Some(page_map), Some(&sig), Some(&client_sig), Some(root), Some(fill)) =
            (u16_at(b, 0), b.get(2), b.get(3), u32_at(b, 4), u32_at(b, 8))
        else {
            return Err(heap_err(
                nid,
                format!(
                    "block 0 is {} bytes, shorter than the {HNHDR_SIZE}-byte HNHDR",
                    b.len()
                ),
            ));
        };
        if sig != HN_SIGNATURE {
            return Err(heap_err(
                nid,
                format!("HNHDR bSig is 0x{sig:02X}, expected 0x{HN_SIGNATURE:02X}"),
            ));
        }
        Ok(HnHeader {
            page_map,
            client_sig,
            user_root: Hid(root),
            fill_levels: fill,
        })
    }
}

/// One parsed heap page: its bytes and the position of its page map.
#[derive(Clone, Debug)]
pub struct HeapBlock<'a> {
    data: Cow<'a, [u8]>,
    index: u32,
    header_len: usize,
    page_map: usize,
    count: usize,
    free: usize,
}

impl<'a> HeapBlock<'a> {
    /// Length of the header that starts page `index`: HNHDR on page 0,
    /// HNBITMAPHDR on pages 8, 136, 264, …, HNPAGEHDR elsewhere.
    pub(crate) fn header_len(index: u32) -> usize {
        if index == 0 {
            HNHDR_SIZE
        } else if index >= BITMAP_FIRST && (index - BITMAP_FIRST).is_multiple_of(BITMAP_SPAN) {
            HNBITMAPHDR_SIZE
        } else {
            HNPAGEHDR_SIZE
        }
    }

    /// Parses page `index` of `nid`'s heap, checking that its header and page
    /// map lie inside the bytes.
    pub fn parse(nid: Nid, index: u32, data: Cow<'a, [u8]>) -> Result<Self> {
        let header_len = Self::header_len(index);
        let len = data.len();
        if len < header_len {
            return Err(heap_err(
                nid,
                format!("block {index} is {len} bytes, shorter than its {header_len}-byte header"),
            ));
        }
        let page_map = usize::from(u16_at(&data, 0).unwrap_or(0));
        if page_map < header_len {
            return Err(heap_err(
                nid,
                format!(
                    "block {index}: ibHnpm 0x{page_map:X} lies inside the {header_len}-byte header"
                ),
            ));
        }
        let (Some(count), Some(free)) = (u16_at(&data, page_map), u16_at(&data, page_map + 2))
        else {
            return Err(heap_err(
                nid,
                format!(
                    "block {index}: ibHnpm 0x{page_map:X} points past the block end ({len} bytes)"
                ),
            ));
        };
        let count = usize::from(count);
        let need = page_map + 4 + 2 * (count + 1);
        if need > len {
            return Err(heap_err(
                nid,
                format!(
                    "block {index}: page map with cAlloc {count} needs {need} bytes, block has {len}"
                ),
            ));
        }
        Ok(HeapBlock {
            data,
            index,
            header_len,
            page_map,
            count,
            free: usize::from(free),
        })
    }

    /// The page's index in the heap.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The page's bytes, header and page map included.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// `cAlloc`: the number of slots (freed ones included).
    pub fn alloc_count(&self) -> usize {
        self.count
    }

    /// `cFree`: the number of freed slots.
    pub fn free_count(&self) -> usize {
        self.free
    }

    /// Offset of the page map (`ibHnpm`).
    pub fn page_map_offset(&self) -> usize {
        self.page_map
    }

    fn offset(&self, i: usize) -> usize {
        // In range: parse checked that all cAlloc + 1 entries are present.
        usize::from(u16_at(&self.data, self.page_map + 4 + 2 * i).unwrap_or(0))
    }

    /// The bytes of slot `slot` (1-based); `hid` only labels errors.
    pub fn alloc(&self, nid: Nid, hid: Hid, slot: usize) -> Result<&[u8]> {
        if slot == 0 || slot > self.count {
            return Err(hid_err(
                nid,
                hid,
                format!(
                    "block {} index {slot} out of range (cAlloc {})",
                    self.index, self.count
                ),
            ));
        }
        let start = self.offset(slot - 1);
        let end = self.offset(slot);
        if start < self.header_len || start > end || end > self.page_map {
            return Err(hid_err(
                nid,
                hid,
                format!(
                    "block {} index {slot}: allocation 0x{start:X}..0x{end:X} is not \
                     between the header (0x{:X}) and the page map (0x{:X})",
                    self.index, self.header_len, self.page_map
                ),
            ));
        }
        Ok(&self.data[start..end])
    }
}

enum Source<'a> {
    Node(Node<'a>),
    Memory(Vec<Cow<'a, [u8]>>),
}

/// A node's heap, decoding pages on first use and keeping them.
pub struct Heap<'a> {
    nid: Nid,
    variant: Variant,
    source: Source<'a>,
    header: HnHeader,
    blocks: Vec<OnceCell<HeapBlock<'a>>>,
}

impl<'a> Heap<'a> {
    /// Opens the heap stored in `node`'s data stream.
    pub fn open(node: Node<'a>) -> Result<Self> {
        let variant = node.ndb().format().variant;
        let nid = node.nid();
        let count = node.block_count();
        Self::build(nid, variant, count, Source::Node(node))
    }

    /// A heap over pages already in memory: for tests, fuzzing and data that
    /// did not come from a file. Subnode HNIDs cannot be resolved here.
    pub fn from_blocks(nid: Nid, variant: Variant, blocks: Vec<Cow<'a, [u8]>>) -> Result<Self> {
        let count = blocks.len();
        Self::build(nid, variant, count, Source::Memory(blocks))
    }

    fn build(nid: Nid, variant: Variant, count: usize, source: Source<'a>) -> Result<Self> {
        if count == 0 {
            return Err(heap_err(nid, "the node has no data blocks"));
        }
        let mut heap = Heap {
            nid,
            variant,
            source,
            header: HnHeader {
                page_map: 0,
                client_sig: 0,
                user_root: Hid::NONE,
                fill_levels: 0,
            },
            blocks: (0..count).map(|_| OnceCell::new()).collect(),
        };
        let first = heap.block(0)?;
        heap.header = HnHeader::parse(nid, first.bytes())?;
        Ok(heap)
    }

    /// The node holding the heap.
    pub fn nid(&self) -> Nid {
        self.nid
    }

    /// The file variant (it decides how HIDs split).
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// The HNHDR.
    pub fn header(&self) -> &HnHeader {
        &self.header
    }

    /// `bClientSig`: which client structure the heap holds.
    pub fn client_sig(&self) -> u8 {
        self.header.client_sig
    }

    /// `hidUserRoot`: the client's root structure.
    pub fn user_root(&self) -> Hid {
        self.header.user_root
    }

    /// Number of pages.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// The node the heap was read from, when it came from a file.
    pub fn node(&self) -> Option<&Node<'a>> {
        match &self.source {
            Source::Node(n) => Some(n),
            Source::Memory(_) => None,
        }
    }

    /// Page `k`, decoded and parsed on first use.
    pub fn block(&self, k: usize) -> Result<&HeapBlock<'a>> {
        let cell = self.blocks.get(k).ok_or_else(|| {
            heap_err(
                self.nid,
                format!("block {k} out of range ({} blocks)", self.blocks.len()),
            )
        })?;
        if let Some(b) = cell.get() {
            return Ok(b);
        }
        let data = match &self.source {
            Source::Node(n) => n.block(k)?,
            Source::Memory(v) => v[k].clone(),
        };
        let parsed = HeapBlock::parse(self.nid, k as u32, data)?;
        Ok(cell.get_or_init(|| parsed))
    }

    /// The bytes of allocation `hid`.
    pub fn get(&self, hid: Hid) -> Result<&[u8]> {
        if hid.is_none() {
            return Err(hid_err(self.nid, hid, "refers to no allocation"));
        }
        if hid.hid_type() != 0 {
            return Err(hid_err(
                self.nid,
                hid,
                format!("has type bits 0x{:02X}, not a heap id", hid.hid_type()),
            ));
        }
        let k = hid.block(self.variant) as usize;
        if k >= self.blocks.len() {
            return Err(hid_err(
                self.nid,
                hid,
                format!("refers to block {k}, heap has {} blocks", self.blocks.len()),
            ));
        }
        let block = self.block(k)?;
        block.alloc(self.nid, hid, hid.index(self.variant) as usize)
    }

    /// Subnode `nid` of the heap's node.
    pub fn subnode(&self, nid: Nid) -> Result<Node<'a>> {
        match &self.source {
            Source::Node(n) => Ok(n.subnode(nid)?),
            Source::Memory(_) => Err(heap_err(
                self.nid,
                format!("subnode {nid} requested from an in-memory heap"),
            )),
        }
    }

    /// `f` of subnode `nid` of the heap's node (what [`Heap::subnode`]
    /// gives), without a copy of it.
    pub fn with_subnode<R>(&self, nid: Nid, f: impl FnOnce(&Node<'a>) -> R) -> Result<R> {
        match &self.source {
            Source::Node(n) => Ok(n.with_subnode(nid, f)?),
            Source::Memory(_) => Err(heap_err(
                self.nid,
                format!("subnode {nid} requested from an in-memory heap"),
            )),
        }
    }

    /// Whether an HNID refers to something that is there (an allocation of
    /// this heap, or a subnode whose data tree reads), without reading a
    /// subnode's data: what a check needs of a value it does not decode.
    pub fn check_hnid(&self, hnid: Hnid) -> Result<()> {
        match hnid.target() {
            HnidTarget::Empty => Ok(()),
            HnidTarget::Heap(hid) => self.get(hid).map(|_| ()),
            HnidTarget::Subnode(nid) => self.with_subnode(nid, |_| ()),
        }
    }

    /// The bytes an HNID refers to: empty, a heap allocation (borrowed), or
    /// a subnode's whole data stream (read into a buffer).
    pub fn read_hnid(&self, hnid: Hnid) -> Result<Cow<'_, [u8]>> {
        match hnid.target() {
            HnidTarget::Empty => Ok(Cow::Borrowed(&[])),
            HnidTarget::Heap(hid) => self.get(hid).map(Cow::Borrowed),
            HnidTarget::Subnode(nid) => {
                let node = self.subnode(nid)?;
                node.read_all().map(Cow::Owned).map_err(LtpError::from)
            }
        }
    }
}

impl fmt::Debug for Heap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heap")
            .field("nid", &self.nid)
            .field("variant", &self.variant)
            .field("header", &self.header)
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

/// Helpers that build heap pages, shared by the unit tests of the LTP modules.
#[cfg(test)]
pub(crate) mod build {
    /// Builds one heap page: `header` bytes, then the allocations packed, then
    /// the page map (`ibHnpm` is patched into the first two bytes).
    pub fn page(header: &[u8], allocs: &[&[u8]]) -> Vec<u8> {
        let mut b = header.to_vec();
        let mut offs = vec![b.len() as u16];
        for a in allocs {
            b.extend_from_slice(a);
            offs.push(b.len() as u16);
        }
        if b.len() % 2 == 1 {
            b.push(0);
        }
        let ib = b.len() as u16;
        b[0..2].copy_from_slice(&ib.to_le_bytes());
        b.extend_from_slice(&(allocs.len() as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        for o in offs {
            b.extend_from_slice(&o.to_le_bytes());
        }
        b
    }

    /// Page 0 of a heap with client signature `sig` and root `root`.
    pub(crate) fn first_page(sig: u8, root: u32, allocs: &[&[u8]]) -> Vec<u8> {
        let mut h = vec![0, 0, 0xEC, sig];
        h.extend_from_slice(&root.to_le_bytes());
        h.extend_from_slice(&[0; 4]);
        page(&h, allocs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: Nid = Nid(0x8022);

    fn heap(blocks: Vec<Vec<u8>>) -> Result<Heap<'static>> {
        Heap::from_blocks(
            N,
            Variant::Unicode,
            blocks.into_iter().map(Cow::Owned).collect(),
        )
    }

    /// A page map may start right after the page's header (a page with no
    /// allocation), not a byte inside it; for each of the three headers.
    #[test]
    fn a_page_map_starts_at_the_header_s_end_or_later() {
        for (index, header_len) in [(0, HNHDR_SIZE), (1, HNPAGEHDR_SIZE), (8, HNBITMAPHDR_SIZE)] {
            let page = |page_map: usize| {
                let mut b = vec![0u8; header_len.max(page_map) + 6];
                b[..2].copy_from_slice(&(page_map as u16).to_le_bytes());
                if index == 0 {
                    b[2] = 0xEC;
                    b[3] = 0xBC;
                }
                // cAlloc 0, cFree 0, rgibAlloc[0]: the free space starts here.
                b[page_map + 4..page_map + 6].copy_from_slice(&(page_map as u16).to_le_bytes());
                Cow::Owned(b)
            };
            let p = HeapBlock::parse(N, index, page(header_len)).unwrap();
            assert_eq!((p.alloc_count(), p.free_count()), (0, 0), "{index}");
            let e = HeapBlock::parse(N, index, page(header_len - 1)).unwrap_err();
            assert!(e.to_string().contains("inside the"), "{index}: {e}");
            // A block as long as its header has a header, and no page map;
            // one byte shorter has no whole header.
            let mut whole = page(header_len).into_owned();
            whole.truncate(header_len);
            let e = HeapBlock::parse(N, index, Cow::Owned(whole.clone())).unwrap_err();
            assert!(e.to_string().contains("past the block end"), "{index}: {e}");
            whole.pop();
            let e = HeapBlock::parse(N, index, Cow::Owned(whole)).unwrap_err();
            assert!(e.to_string().contains("shorter than its"), "{index}: {e}");
        }
    }

    #[test]
    fn hnid_forms() {
        assert_eq!(format!("{:?}", Hnid(0x60)), "Hnid(0x60)");
        assert_eq!(Hnid(0x8022).to_string(), "0x8022");
    }

    #[test]
    fn hid_bit_split() {
        let h = Hid(0x0002_0060);
        assert_eq!(h.block(Variant::Unicode), 2);
        assert_eq!(h.index(Variant::Unicode), 3);
        assert_eq!(h.block(Variant::Ansi), 2);
        assert_eq!(Hid::new(Variant::Unicode, 2, 3), h);
        assert_eq!(Hid(0x20).index(Variant::Unicode), 1);
        assert_eq!(Hid(0xFFE0).index(Variant::Unicode), 0x7FF);
        assert_eq!(Hid(0xFFE0).block(Variant::Unicode), 0);
        // 4K: 14-bit index in bits 5..19, 13-bit block in bits 19..32.
        let h = Hid::new(Variant::Unicode4k, 5, 0x2001);
        assert_eq!(h.0, (5 << 19) | (0x2001 << 5));
        assert_eq!(h.block(Variant::Unicode4k), 5);
        assert_eq!(h.index(Variant::Unicode4k), 0x2001);
        assert_eq!(Hid(0x0008_0020).block(Variant::Unicode4k), 1);
        assert_eq!(Hid(0x0008_0020).index(Variant::Unicode4k), 1);
        assert_eq!(Hid(0x0008_0020).block(Variant::Unicode), 8);
        assert_eq!(Hid(0x0008_0020).index(Variant::Unicode), 1);
        assert_eq!(Hid(0x21).hid_type(), 1);
    }

    #[test]
    fn hnid_targets() {
        assert_eq!(Hnid(0).target(), HnidTarget::Empty);
        assert_eq!(Hnid(0x40).target(), HnidTarget::Heap(Hid(0x40)));
        assert_eq!(Hnid(0x803F).target(), HnidTarget::Subnode(Nid(0x803F)));
    }

    #[test]
    fn header_parsing() {
        // The HNHDR of MS-PST's sample message-store PC.
        let b = [0xEC, 0x00, 0xEC, 0xBC, 0x20, 0, 0, 0, 0, 0, 0, 0];
        let h = HnHeader::parse(N, &b).unwrap();
        assert_eq!(h.page_map, 0xEC);
        assert_eq!(h.client_sig, CLIENT_SIG_PC);
        assert_eq!(h.user_root, Hid(0x20));
        let mut bad = b;
        bad[2] = 0xED;
        let e = HnHeader::parse(N, &bad).unwrap_err().to_string();
        assert!(e.contains("bSig is 0xED"), "{e}");
        assert!(HnHeader::parse(N, &b[..11]).is_err());
    }

    /// What a heap says of itself: its pages, where the first page's map
    /// is, that it came from memory (no node), and which HNIDs point at
    /// something there, without reading them.
    #[test]
    fn pages_page_map_and_hnid_checks() {
        let p = build::first_page(CLIENT_SIG_PC, 0x20, &[b"abc", b"defgh"]);
        // HNHDR (12 bytes) and the two allocations: the map follows at 20.
        let later = |k: u32| build::page(&vec![0u8; HeapBlock::header_len(k)], &[b"x"]);
        let mut freed = later(2);
        // cFree, after cAlloc at the page map's start.
        let map = usize::from(u16::from_le_bytes([freed[0], freed[1]]));
        freed[map + 2] = 3;
        let h = heap(vec![p.clone(), later(1), freed]).unwrap();
        assert_eq!(h.block_count(), 3);
        assert_eq!(h.block(0).unwrap().page_map_offset(), 20);
        assert_eq!(h.block(0).unwrap().alloc_count(), 2);
        let indexes: Vec<u32> = (0..3).map(|k| h.block(k).unwrap().index()).collect();
        assert_eq!(indexes, [0, 1, 2]);
        assert_eq!(h.block(0).unwrap().free_count(), 0);
        assert_eq!(h.block(2).unwrap().free_count(), 3);
        // The page map's cAlloc + 1 offsets must all be there: two bytes
        // short is refused.
        let short = &p[..p.len() - 2];
        let e = HeapBlock::parse(N, 0, Cow::Borrowed(short)).unwrap_err();
        assert!(
            e.to_string()
                .contains("page map with cAlloc 2 needs 30 bytes, block has 28"),
            "{e}"
        );
        assert!(h.node().is_none());
        h.check_hnid(Hnid(0)).unwrap();
        h.check_hnid(Hnid(0x40)).unwrap();
        h.check_hnid(Hnid(Hid::new(Variant::Unicode, 1, 1).0))
            .unwrap();
        // A third slot of the first page, a page that is not there, and a
        // subnode of a heap read from memory.
        for bad in [0x60, Hid::new(Variant::Unicode, 3, 1).0, 0x803F] {
            let e = h.check_hnid(Hnid(bad)).unwrap_err();
            assert_eq!(
                e.to_string(),
                h.read_hnid(Hnid(bad)).unwrap_err().to_string()
            );
        }
    }

    #[test]
    fn single_page_allocations() {
        let p = build::first_page(CLIENT_SIG_PC, 0x20, &[b"abc", b"", b"defgh"]);
        let h = heap(vec![p]).unwrap();
        assert_eq!(h.client_sig(), CLIENT_SIG_PC);
        assert_eq!(h.user_root(), Hid(0x20));
        assert_eq!(h.get(Hid(0x20)).unwrap(), b"abc");
        assert_eq!(h.get(Hid(0x40)).unwrap(), b"");
        assert_eq!(h.get(Hid(0x60)).unwrap(), b"defgh");
        let e = h.get(Hid(0x80)).unwrap_err().to_string();
        assert_eq!(
            e,
            "heap of node 0x8022: HID 0x80 block 0 index 4 out of range (cAlloc 3)"
        );
        assert!(h.get(Hid(0)).is_err());
        assert!(h.get(Hid(0x21)).is_err());
        assert!(h.get(Hid(0x10020)).is_err());
        assert_eq!(&*h.read_hnid(Hnid(0)).unwrap(), b"");
        assert_eq!(&*h.read_hnid(Hnid(0x60)).unwrap(), b"defgh");
        assert!(h.read_hnid(Hnid(0x21)).is_err());
    }

    #[test]
    fn later_pages_and_bitmap_headers() {
        let mut blocks = vec![build::first_page(CLIENT_SIG_BTH, 0x20, &[b"p0"])];
        for k in 1..10u32 {
            let hdr = vec![0u8; HeapBlock::header_len(k)];
            let content = format!("p{k}");
            blocks.push(build::page(&hdr, &[content.as_bytes()]));
        }
        let h = heap(blocks).unwrap();
        for k in 0..10u32 {
            let got = h.get(Hid::new(Variant::Unicode, k, 1)).unwrap();
            assert_eq!(got, format!("p{k}").as_bytes());
        }
        assert_eq!(HeapBlock::header_len(8), 66);
        assert_eq!(HeapBlock::header_len(136), 66);
        assert_eq!(HeapBlock::header_len(137), 2);
        assert_eq!(HeapBlock::header_len(7), 2);
    }

    #[test]
    fn damaged_pages() {
        // ibHnpm past the end.
        let mut p = build::first_page(CLIENT_SIG_PC, 0x20, &[b"abc"]);
        let len = p.len() as u16;
        p[0..2].copy_from_slice(&len.to_le_bytes());
        assert!(heap(vec![p]).is_err());
        // cAlloc larger than the page map.
        let mut p = build::first_page(CLIENT_SIG_PC, 0x20, &[b"abc"]);
        let ib = usize::from(u16_at(&p, 0).unwrap());
        p[ib..ib + 2].copy_from_slice(&100u16.to_le_bytes());
        let e = heap(vec![p]).unwrap_err().to_string();
        assert!(e.contains("cAlloc 100"), "{e}");
        // Allocation offsets running backwards.
        let mut p = build::first_page(CLIENT_SIG_PC, 0x20, &[b"abc", b"de"]);
        let ib = usize::from(u16_at(&p, 0).unwrap());
        p[ib + 6..ib + 8].copy_from_slice(&2u16.to_le_bytes());
        let h = heap(vec![p]).unwrap();
        assert!(h.get(Hid(0x20)).is_err());
        assert!(h.get(Hid(0x40)).is_err());
        // No blocks at all.
        assert!(heap(vec![]).is_err());
        // Damaged later page is reported only when used.
        let blocks = vec![build::first_page(CLIENT_SIG_PC, 0x20, &[b"a"]), vec![1]];
        let h = heap(blocks).unwrap();
        assert!(h.get(Hid(0x20)).is_ok());
        assert!(h.get(Hid(0x10020)).is_err());
    }
}
