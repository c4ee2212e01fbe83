//! Building a heap-on-node: allocations packed into pages, each page ending
//! with its page map ([MS-PST] 2.3.1).

use std::io::{Seek, Write};

use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{Bid, Variant};

use super::{page_capacity, MAX_HEAP_ALLOC};
use crate::heap::{HeapBlock, Hid, BITMAP_FIRST, BITMAP_SPAN, HNBITMAPHDR_SIZE, HN_SIGNATURE};

/// A heap page already in the file: (page index, block, length).
pub(crate) type WrittenPage = (usize, Bid, usize);

/// One page under construction: the allocation bytes (without header or
/// page map) and where each allocation ends.
#[derive(Clone, Debug)]
struct Page {
    header_len: usize,
    data: Vec<u8>,
    /// End offset, from the page start, of each allocation in slot order.
    ends: Vec<u16>,
    /// Set once the page is in the file ([`HeapBuilder::flush`]): its
    /// block and length; `data` and `ends` are then empty.
    written: Option<(Bid, u16)>,
}

impl Page {
    fn new(index: usize) -> Self {
        Page {
            header_len: HeapBlock::header_len(index as u32),
            data: Vec::new(),
            ends: Vec::new(),
            written: None,
        }
    }

    /// The serialised length after adding `extra` bytes in `allocs` more
    /// allocations: header, data, alignment pad, HNPAGEMAP.
    fn len_with(&self, extra: usize, allocs: usize) -> usize {
        let used = self.header_len + self.data.len() + extra;
        used + (used & 1) + 4 + 2 * (self.ends.len() + allocs + 1)
    }

    fn start_of(&self, slot: usize) -> usize {
        if slot == 0 {
            self.header_len
        } else {
            usize::from(self.ends[slot - 1])
        }
    }
}

/// Builds the pages of one heap-on-node.
///
/// Allocations are append-only: a writer builds a node once, so nothing is
/// ever freed and HIDs are handed out in order (0x20, 0x40, … on page 0).
/// Since only the last page takes allocations, the pages before it are
/// final and a large heap can be written out as it grows (see
/// [`TcBuilder::flush`](super::TcBuilder::flush)).
#[derive(Clone, Debug)]
pub struct HeapBuilder {
    variant: Variant,
    client_sig: u8,
    user_root: Hid,
    pages: Vec<Page>,
    page_limit: usize,
    /// Pages below this index have been considered by `flush`.
    flushed_to: usize,
}

impl HeapBuilder {
    /// An empty heap whose HNHDR will name `client_sig` (0xBC PC, 0x7C TC,
    /// 0xB5 bare BTH) as its owner; `variant` decides the HID layout and the
    /// page size.
    pub fn new(variant: Variant, client_sig: u8) -> Self {
        HeapBuilder {
            variant,
            client_sig,
            user_root: Hid::NONE,
            pages: vec![Page::new(0)],
            page_limit: usize::MAX,
            flushed_to: 1,
        }
    }

    /// The variant the heap is built for.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// Number of pages so far (at least one).
    pub(crate) fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Most slots one page can name: the width of the HID index field.
    fn max_slots(&self) -> usize {
        match self.variant {
            Variant::Ansi | Variant::Unicode => 0x7FF,
            Variant::Unicode4k => 0x3FFF,
        }
    }

    /// Most pages a heap can have: the width of the HID block field.
    fn max_pages(&self) -> usize {
        match self.variant {
            Variant::Ansi | Variant::Unicode => 1 << 16,
            Variant::Unicode4k => 1 << 13,
        }
    }

    /// Stops later allocations from landing on page `pages` or beyond (they
    /// return `None` / [`Hid::NONE`]); pages that exist keep what they hold.
    /// Lets a client keep its heap within a reader's limits (see
    /// [`PC_HEAP_PAGE_LIMIT`](super::PC_HEAP_PAGE_LIMIT)).
    pub(crate) fn set_page_limit(&mut self, pages: usize) {
        self.page_limit = pages;
    }

    /// Allocates `data` (at most [`MAX_HEAP_ALLOC`] bytes), on the last page
    /// when it fits there, else on a new page. Returns `None`, allocating
    /// nothing, when `data` is too large, the heap has run out of HIDs or
    /// the page limit is reached; callers then store the value in a subnode.
    pub fn try_alloc(&mut self, data: &[u8]) -> Option<Hid> {
        if data.len() > MAX_HEAP_ALLOC {
            return None;
        }
        let cap = page_capacity(self.variant);
        let max_slots = self.max_slots();
        let last = self.pages.len() - 1;
        let fits = |p: &Page| p.ends.len() < max_slots && p.len_with(data.len(), 1) <= cap;
        let k = if fits(&self.pages[last]) {
            last
        } else if self.pages.len() < self.max_pages().min(self.page_limit) {
            self.pages.push(Page::new(last + 1));
            last + 1
        } else {
            return None;
        };
        if k >= self.page_limit {
            return None;
        }
        let page = &mut self.pages[k];
        page.data.extend_from_slice(data);
        // Within the page capacity, so within u16.
        page.ends.push((page.header_len + page.data.len()) as u16);
        Some(Hid::new(self.variant, k as u32, page.ends.len() as u32))
    }

    /// Allocates `data` (≤ [`MAX_HEAP_ALLOC`] bytes), starting a new page
    /// when the current one is full. Returns its HID, or [`Hid::NONE`] when
    /// `data` is larger than [`MAX_HEAP_ALLOC`] or the heap is out of HIDs
    /// (see [`HeapBuilder::try_alloc`]).
    pub fn alloc(&mut self, data: &[u8]) -> Hid {
        self.try_alloc(data).unwrap_or(Hid::NONE)
    }

    fn slot(&self, hid: Hid) -> Option<(usize, usize)> {
        if hid.is_none() || hid.hid_type() != 0 {
            return None;
        }
        let k = hid.block(self.variant) as usize;
        let i = hid.index(self.variant) as usize;
        let page = self.pages.get(k)?;
        (1..=page.ends.len()).contains(&i).then(|| (k, i - 1))
    }

    /// Writes every page that can take no more allocations to `w`, one data
    /// block each, and frees its bytes.
    /// Page 0 (whose HNHDR the client fills last) stays until
    /// [`HeapBuilder::finish_parts`], and an HNBITMAPHDR page until the 127
    /// pages whose fill levels it holds are final. A written page's
    /// allocations can no longer be read ([`HeapBuilder::get`]) or
    /// overwritten ([`HeapBuilder::fill`]).
    pub(crate) fn flush<W: Write + Seek>(
        &mut self,
        w: &mut NdbWriter<W>,
    ) -> pstkit_ndb::Result<()> {
        let last = self.pages.len() - 1;
        for k in self.flushed_to..last {
            if HeapBlock::header_len(k as u32) != HNBITMAPHDR_SIZE {
                let bytes = serialise(&self.pages[k]);
                self.write_page(w, k, &bytes)?;
            }
        }
        self.flushed_to = self.flushed_to.max(last);
        // Bitmap pages 8, 136, …: written once every page they describe is.
        let span = BITMAP_SPAN as usize;
        let mut k = BITMAP_FIRST as usize;
        while k + span <= last {
            if self.pages[k].written.is_none() {
                let levels: Vec<u8> = (k..k + span).map(|i| self.level_of(i)).collect();
                let mut bytes = serialise(&self.pages[k]);
                bytes[2..HNBITMAPHDR_SIZE].copy_from_slice(&pack_levels(&levels, 0, span));
                self.write_page(w, k, &bytes)?;
            }
            k += span;
        }
        Ok(())
    }

    /// Writes page `k` as `bytes` and keeps its block and length.
    fn write_page<W: Write + Seek>(
        &mut self,
        w: &mut NdbWriter<W>,
        k: usize,
        bytes: &[u8],
    ) -> pstkit_ndb::Result<()> {
        let bid = w.add_block(bytes)?;
        let page = &mut self.pages[k];
        // At most the page capacity, so within u16.
        page.written = Some((bid, bytes.len() as u16));
        page.data = Vec::new();
        page.ends = Vec::new();
        Ok(())
    }

    /// The fill level of page `k`, written or not.
    fn level_of(&self, k: usize) -> u8 {
        let p = &self.pages[k];
        let len = p
            .written
            .map_or_else(|| p.len_with(0, 0), |w| usize::from(w.1));
        fill_level(page_capacity(self.variant).saturating_sub(len))
    }

    /// Allocation bytes held in memory: every page not yet written out.
    pub(crate) fn held_bytes(&self) -> usize {
        self.pages.iter().map(|p| p.data.len()).sum()
    }

    /// The bytes of allocation `hid`, `None` when there is no such
    /// allocation (or its page has been written out).
    pub fn get(&self, hid: Hid) -> Option<&[u8]> {
        let (k, s) = self.slot(hid)?;
        let p = &self.pages[k];
        let start = p.start_of(s) - p.header_len;
        let end = usize::from(p.ends[s]) - p.header_len;
        Some(&p.data[start..end])
    }

    /// Overwrites allocation `hid` with `data` of the same length, so that a
    /// structure can be placed before the HIDs it points to are known.
    /// Returns whether it was written (false for an unknown HID or another
    /// length).
    pub fn fill(&mut self, hid: Hid, data: &[u8]) -> bool {
        let Some((k, s)) = self.slot(hid) else {
            return false;
        };
        let p = &mut self.pages[k];
        let start = p.start_of(s) - p.header_len;
        let end = usize::from(p.ends[s]) - p.header_len;
        if end - start != data.len() {
            return false;
        }
        p.data[start..end].copy_from_slice(data);
        true
    }

    /// Sets `hidUserRoot`: the client's root structure (BTHHEADER or TCINFO).
    pub(crate) fn set_user_root(&mut self, hid: Hid) {
        self.user_root = hid;
    }

    /// Serialises the pages: HNHDR on page 0, HNBITMAPHDR on pages 8, 136, …,
    /// HNPAGEHDR elsewhere; the allocations packed after the header; one zero
    /// pad byte when needed so that the HNPAGEMAP (`cFree` 0) starts on an
    /// even offset; fill levels of every page in the HNHDR (pages 0–7) and
    /// in each HNBITMAPHDR (itself and the 127 pages after it).
    ///
    /// Only a table's heap is ever flushed (by its `TcBuilder`), and the
    /// table finishes it itself.
    pub fn finish(self) -> Vec<Vec<u8>> {
        self.finish_parts().0
    }

    /// As [`HeapBuilder::finish`], for a heap that may have been flushed:
    /// the pages still to write, in order, and those already written as
    /// (page index, block, length).
    pub(crate) fn finish_parts(self) -> (Vec<Vec<u8>>, Vec<WrittenPage>) {
        let cap = page_capacity(self.variant);
        let mut levels = Vec::with_capacity(self.pages.len());
        let mut written = Vec::new();
        // Each page is dropped as it is laid out: a large table's heap is
        // never held twice.
        let mut out: Vec<(usize, Vec<u8>)> = Vec::new();
        for (k, p) in self.pages.into_iter().enumerate() {
            if let Some((bid, len)) = p.written {
                written.push((k, bid, usize::from(len)));
                levels.push(fill_level(cap.saturating_sub(usize::from(len))));
            } else {
                let b = serialise(&p);
                levels.push(fill_level(cap.saturating_sub(b.len())));
                out.push((k, b));
            }
        }
        for (k, page) in out.iter_mut() {
            let k = *k;
            if k == 0 {
                page[2] = HN_SIGNATURE;
                page[3] = self.client_sig;
                page[4..8].copy_from_slice(&self.user_root.0.to_le_bytes());
                page[8..12].copy_from_slice(&pack_levels(&levels, 0, BITMAP_FIRST as usize));
            } else if HeapBlock::header_len(k as u32) == HNBITMAPHDR_SIZE {
                page[2..HNBITMAPHDR_SIZE].copy_from_slice(&pack_levels(
                    &levels,
                    k,
                    BITMAP_SPAN as usize,
                ));
            }
        }
        (out.into_iter().map(|(_, b)| b).collect(), written)
    }
}

/// A page's bytes with a zeroed header apart from `ibHnpm`.
fn serialise(p: &Page) -> Vec<u8> {
    let mut b = Vec::with_capacity(p.len_with(0, 0));
    b.resize(p.header_len, 0);
    b.extend_from_slice(&p.data);
    if b.len() % 2 == 1 {
        b.push(0);
    }
    let ib = b.len() as u16;
    b[0..2].copy_from_slice(&ib.to_le_bytes());
    b.extend_from_slice(&(p.ends.len() as u16).to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(p.header_len as u16).to_le_bytes());
    for e in &p.ends {
        b.extend_from_slice(&e.to_le_bytes());
    }
    b
}

/// The fill-level nibble of a page with `free` bytes left ([MS-PST]
/// 2.3.1.2): 0 for plenty of room, 0xF for almost none.
pub(crate) fn fill_level(free: usize) -> u8 {
    const FLOORS: [usize; 15] = [
        3584, 2560, 2048, 1792, 1536, 1280, 1024, 768, 512, 256, 128, 64, 32, 16, 8,
    ];
    FLOORS
        .iter()
        .position(|&f| free >= f)
        .map_or(0xF, |i| i as u8)
}

/// Packs the levels of pages `first .. first + count` two to a byte, the
/// lower-numbered page in the low nibble; pages past the end count as 0.
fn pack_levels(levels: &[u8], first: usize, count: usize) -> Vec<u8> {
    let mut out = vec![0u8; count / 2];
    for i in 0..count {
        let l = levels.get(first + i).copied().unwrap_or(0) & 0xF;
        out[i / 2] |= if i % 2 == 0 { l } else { l << 4 };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::{Heap, CLIENT_SIG_PC};
    use pstkit_ndb::Nid;
    use std::borrow::Cow;

    fn read(variant: Variant, pages: Vec<Vec<u8>>) -> Heap<'static> {
        Heap::from_blocks(
            Nid(0x21),
            variant,
            pages.into_iter().map(Cow::Owned).collect(),
        )
        .unwrap()
    }

    #[test]
    fn the_spec_sample_page_layout() {
        // The allocation sizes of MS-PST's sample store PC give its page map.
        let mut h = HeapBuilder::new(Variant::Unicode, CLIENT_SIG_PC);
        let sizes = [8usize, 88, 16, 16, 24, 24, 24, 24];
        let hids: Vec<Hid> = sizes.iter().map(|&n| h.alloc(&vec![0xAB; n])).collect();
        assert_eq!(hids[0], Hid(0x20));
        assert_eq!(hids[7], Hid(0x100));
        h.set_user_root(Hid(0x20));
        let pages = h.finish();
        assert_eq!(pages.len(), 1);
        let p = &pages[0];
        assert_eq!(&p[..12], &[0xEC, 0, 0xEC, 0xBC, 0x20, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(p.len(), 0xEC + 4 + 18);
        let map: Vec<u16> = p[0xEC..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(
            map,
            [8, 0, 0x0C, 0x14, 0x6C, 0x7C, 0x8C, 0xA4, 0xBC, 0xD4, 0xEC]
        );
    }

    #[test]
    fn a_hid_with_type_bits_names_no_allocation() {
        // An HNID whose type bits are set is a node id, not a HID, even when
        // its index bits match an allocation's.
        let mut h = HeapBuilder::new(Variant::Unicode, CLIENT_SIG_PC);
        assert_eq!(h.alloc(b"abcd"), Hid(0x20));
        for t in [0x01, 0x04, 0x1F] {
            assert_eq!(h.get(Hid(0x20 | t)), None, "type {t:#x}");
            assert!(!h.fill(Hid(0x20 | t), b"wxyz"), "type {t:#x}");
        }
        assert_eq!(h.get(Hid::NONE), None);
        assert_eq!(h.get(Hid(0x20)), Some(&b"abcd"[..]));
        // Index 0 names no allocation, on any page (the index is 1-based).
        while h.page_count() < 2 {
            h.alloc(&[7; 3000]);
        }
        let zero = Hid::new(Variant::Unicode, 1, 0);
        assert_ne!(zero, Hid::NONE);
        assert_eq!(h.get(zero), None);
        assert!(!h.fill(zero, b"wxyz"));
    }

    #[test]
    fn odd_lengths_are_padded_and_empty_heaps_are_valid() {
        let h = HeapBuilder::new(Variant::Ansi, CLIENT_SIG_PC);
        let pages = h.finish();
        assert_eq!(
            pages,
            [vec![
                12, 0, 0xEC, 0xBC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0
            ]]
        );
        let mut h = HeapBuilder::new(Variant::Unicode, CLIENT_SIG_PC);
        assert_eq!(h.alloc(b"abc"), Hid(0x20));
        assert_eq!(h.alloc(b""), Hid(0x40));
        let pages = h.finish();
        assert_eq!(u16::from_le_bytes([pages[0][0], pages[0][1]]), 16);
        assert_eq!(pages[0][15], 0);
        let heap = read(Variant::Unicode, pages);
        assert_eq!(heap.get(Hid(0x20)).unwrap(), b"abc");
        assert_eq!(heap.get(Hid(0x40)).unwrap(), b"");
    }

    #[test]
    fn pages_fill_levels_and_bitmap_headers() {
        for variant in [Variant::Ansi, Variant::Unicode, Variant::Unicode4k] {
            let mut h = HeapBuilder::new(variant, CLIENT_SIG_PC);
            let hids: Vec<Hid> = (0..300u32).map(|i| h.alloc(&vec![i as u8; 3000])).collect();
            // Two 3000-byte allocations per page.
            assert_eq!(h.page_count(), 150);
            assert!(h.alloc(&[0; MAX_HEAP_ALLOC + 1]).is_none());
            assert_eq!(h.get(hids[7]).unwrap()[0], 7);
            assert!(h.fill(hids[7], &[9; 3000]));
            assert!(!h.fill(hids[7], &[9; 2]));
            let pages = h.finish();
            assert!(pages.iter().all(|p| p.len() <= page_capacity(variant)));
            // 12 + 6000 + 4 + 6 = 6022 bytes: 2154 (U) / 2158 (A) free: level 2.
            assert_eq!(
                u32::from_le_bytes(pages[0][8..12].try_into().unwrap()),
                0x2222_2222
            );
            // Page 8 maps pages 8..136; page 136 maps 136..264, of which
            // only 136..150 exist.
            assert_eq!(&pages[8][2..66], &[0x22; 64][..]);
            assert_eq!(&pages[136][2..9], &[0x22; 7][..]);
            assert!(pages[136][9..66].iter().all(|&b| b == 0));
            assert_eq!(u16::from_le_bytes([pages[8][0], pages[8][1]]), 66 + 6000);
            let heap = read(variant, pages);
            for (i, hid) in hids.iter().enumerate() {
                let b = heap.get(*hid).unwrap();
                assert_eq!(b.len(), 3000);
                assert_eq!(b[0], if i == 7 { 9 } else { i as u8 });
            }
        }
    }

    #[test]
    fn slot_limit_starts_a_new_page() {
        let mut h = HeapBuilder::new(Variant::Unicode, CLIENT_SIG_PC);
        for _ in 0..0x7FF {
            h.alloc(b"");
        }
        assert_eq!(h.page_count(), 1);
        assert_eq!(h.alloc(b"x"), Hid::new(Variant::Unicode, 1, 1));
        let heap = read(Variant::Unicode, h.finish());
        assert_eq!(heap.get(Hid(0xFFE0)).unwrap(), b"");
        assert_eq!(heap.get(Hid(0x10020)).unwrap(), b"x");
    }

    #[test]
    fn page_limit_refuses_new_pages() {
        let mut h = HeapBuilder::new(Variant::Unicode, CLIENT_SIG_PC);
        h.set_page_limit(2);
        let hids: Vec<Hid> = (0..6).map(|_| h.alloc(&[1; 3000])).collect();
        assert_eq!(h.page_count(), 2);
        assert!(hids[..4].iter().all(|h| !h.is_none()));
        assert!(hids[4..].iter().all(|h| h.is_none()));
        assert_eq!(h.alloc(&[2; 100]), Hid::new(Variant::Unicode, 1, 3));
        h.set_page_limit(0);
        assert!(h.alloc(b"").is_none());
    }

    #[test]
    fn fill_level_table() {
        assert_eq!(fill_level(8176), 0);
        assert_eq!(fill_level(3584), 0);
        assert_eq!(fill_level(3583), 1);
        assert_eq!(fill_level(2048), 2);
        assert_eq!(fill_level(300), 9);
        assert_eq!(fill_level(8), 0xE);
        assert_eq!(fill_level(7), 0xF);
        assert_eq!(fill_level(0), 0xF);
        assert_eq!(pack_levels(&[1, 2, 3], 0, 4), [0x21, 0x03]);
    }
}
