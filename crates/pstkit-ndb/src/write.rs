//! The write side of the NDB layer: encoders for headers, pages and blocks,
//! and [`NdbWriter`], which lays out a complete file.
//!
//! [`NdbWriter`] streams a file front to back onto any `Write + Seek`; the
//! store layer drives it, and tests drive it in memory (the 4K OST variant
//! has no public sample, so its tests read files made here).

use std::io::{Cursor, Seek, SeekFrom, Write};

use byteorder::{ByteOrder, LittleEndian as LE};

use crate::amap::{
    map_bits_at, span_maps, span_reserved, AMAP_SPAN, FIRST_AMAP, FIRST_FMAP_SPAN, FMAP_STRIDE,
};
use crate::block::BlockTrailer;
use crate::btree::{BbtEntry, BtEntry, LeafEntry, NbtEntry};
use crate::crc::crc;
use crate::error::{NdbError, Result};
use crate::page::{compute_sig, BtPageInfo, PageTrailer, PageType};
use crate::spill::{Record, Sorter, SpillFile, SpillLimits, SpillMaker};
use crate::stored::StoredNode;
use crate::{BRef, Bid, CryptMethod, FileKind, Format, Ib, Nid, NidType, Variant};

/// Encodes a block: encodes (and, for 4K files when it pays, compresses)
/// `plain`, then appends padding and the trailer. Returns the on-disk bytes
/// and the BBT entry, whose `cRef` of 2 is the BBT's own reference and one
/// other ([MS-PST] 2.2.2.7.7.3.1).
pub fn encode_block(
    f: Format,
    crypt: CryptMethod,
    bid: Bid,
    ib: Ib,
    plain: &[u8],
) -> (Vec<u8>, BbtEntry) {
    let mut stored = None;
    // Only external blocks of unencoded files are compressed: libpff cannot
    // read compressed internal blocks, nor compressed blocks that are also
    // encoded (the order of the two is not documented).
    if f.has_compression() && !bid.is_internal() && crypt == CryptMethod::None && plain.len() > 64 {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        // Writing to a Vec cannot fail.
        let _ = z.write_all(plain);
        if let Ok(packed) = z.finish() {
            if packed.len() < plain.len() {
                stored = Some(packed);
            }
        }
    }
    let mut stored = stored.unwrap_or_else(|| plain.to_vec());
    if !bid.is_internal() {
        crypt.encode(&mut stored, bid.0 as u32);
    }
    let size = f.block_size(stored.len());
    let cb = stored.len() as u16;
    let t = BlockTrailer {
        cb,
        sig: compute_sig(ib, bid),
        crc: crc(&stored),
        bid,
        inflated: if f.has_compression() {
            plain.len() as u16
        } else {
            0
        },
    };
    stored.resize(size, 0);
    t.write(&mut stored[size - f.block_trailer_size..], f);
    let e = BbtEntry {
        bref: BRef { bid, ib },
        cb,
        refs: 2,
        inflated: plain.len() as u16,
    };
    (stored, e)
}

/// Fills a page's trailer: type, signature, id and CRC over the body.
pub fn seal_page(page: &mut [u8], f: Format, ptype: PageType, bid: Bid, ib: Ib) {
    let t = PageTrailer {
        ptype: ptype.byte(),
        ptype_repeat: ptype.byte(),
        sig: if ptype.is_map() {
            0
        } else {
            compute_sig(ib, bid)
        },
        crc: crc(&page[..f.page_body()]),
        bid,
    };
    t.write(page, f);
}

/// The fields a writer chooses for a new header; the rest are fixed.
#[derive(Clone, Debug)]
pub struct HeaderFields {
    /// PST or OST.
    pub kind: FileKind,
    /// The variant.
    pub format: Format,
    /// Block encoding.
    pub crypt: CryptMethod,
    /// Next block id.
    pub next_bid: Bid,
    /// Next page id.
    pub next_page_bid: Bid,
    /// `dwUnique`.
    pub unique: u32,
    /// Last allocated index per node type.
    pub nid_counters: [u32; 32],
    /// File size.
    pub file_eof: u64,
    /// Last AMap page offset.
    pub amap_last: u64,
    /// Free bytes in the AMaps.
    pub amap_free: u64,
    /// NBT root.
    pub nbt: BRef,
    /// BBT root.
    pub bbt: BRef,
}

/// Node indices below this are fixed ids no counter hands out; every
/// counter of a blank file starts at least here.
pub const FIRST_COUNTED_INDEX: u32 = 0x400;

/// The initial `rgnid` of a blank file ([MS-PST] 2.2.2.6).
pub(crate) fn initial_nid_counters() -> [u32; 32] {
    let mut c = [0x400u32; 32];
    c[0x03] = 0x4000;
    c[0x04] = 0x10000;
    c[0x08] = 0x8000;
    c
}

/// Serialises a header with both CRCs.
pub(crate) fn header_bytes(h: &HeaderFields) -> Vec<u8> {
    let f = h.format;
    let mut b = vec![0u8; f.header_size];
    b[..4].copy_from_slice(b"!BDN");
    LE::write_u16(&mut b[8..], h.kind.magic());
    let version = match f.variant {
        Variant::Ansi => 14,
        Variant::Unicode => 23,
        Variant::Unicode4k => 36,
    };
    LE::write_u16(&mut b[10..], version);
    LE::write_u16(&mut b[12..], if h.kind == FileKind::Ost { 12 } else { 19 });
    b[14] = 1;
    b[15] = 1;
    let wide = f.id_size == 8;
    let put = |b: &mut [u8], v: u64| {
        if wide {
            LE::write_u64(b, v)
        } else {
            LE::write_u32(b, v as u32)
        }
    };
    let (counters, root, fm, sentinel) = if wide {
        put(&mut b[32..], h.next_page_bid.0);
        LE::write_u32(&mut b[40..], h.unique);
        (44, 180, 256, 512)
    } else {
        put(&mut b[24..], h.next_bid.0);
        put(&mut b[28..], h.next_page_bid.0);
        LE::write_u32(&mut b[32..], h.unique);
        (36, 164, 204, 460)
    };
    for (i, c) in h.nid_counters.iter().enumerate() {
        LE::write_u32(&mut b[counters + 4 * i..], *c);
    }
    let w = f.id_size;
    let r = root + 4;
    put(&mut b[r..], h.file_eof);
    put(&mut b[r + w..], h.amap_last);
    put(&mut b[r + 2 * w..], h.amap_free);
    put(&mut b[r + 3 * w..], 0);
    put(&mut b[r + 4 * w..], h.nbt.bid.0);
    put(&mut b[r + 5 * w..], h.nbt.ib.0);
    put(&mut b[r + 6 * w..], h.bbt.bid.0);
    put(&mut b[r + 7 * w..], h.bbt.ib.0);
    b[r + 8 * w] = 2; // fAMapValid: VALID_AMAP2
    b[fm..fm + 256].fill(0xFF);
    b[sentinel] = 0x80;
    b[sentinel + 1] = h.crypt.to_byte();
    if wide {
        LE::write_u64(&mut b[516..], h.next_bid.0);
    }
    let partial = crc(&b[8..479]);
    LE::write_u32(&mut b[4..], partial);
    if wide {
        let full = crc(&b[8..524]);
        LE::write_u32(&mut b[524..], full);
    }
    b
}

/// Branch entries per B-tree page.
fn branch_max(f: Format) -> usize {
    f.bt_entries_size() / f.btentry_size()
}

/// A sealed leaf page holding `chunk`.
fn leaf_page<E: LeafEntry>(f: Format, chunk: &[E], bid: Bid, ib: Ib) -> Vec<u8> {
    let leaf_size = E::size(f);
    let mut page = vec![0u8; f.page_size];
    for (i, e) in chunk.iter().enumerate() {
        e.write(&mut page[i * leaf_size..], f);
    }
    BtPageInfo {
        count: chunk.len(),
        max: f.bt_entries_size() / leaf_size,
        entry_size: leaf_size,
        level: 0,
    }
    .write(&mut page, f);
    seal_page(&mut page, f, E::PAGE, bid, ib);
    page
}

/// A sealed branch page at `level` holding `chunk`.
fn branch_page(
    f: Format,
    ptype: PageType,
    chunk: &[BtEntry],
    level: u8,
    bid: Bid,
    ib: Ib,
) -> Vec<u8> {
    let size = f.btentry_size();
    let mut page = vec![0u8; f.page_size];
    for (i, e) in chunk.iter().enumerate() {
        e.write(&mut page[i * size..], f);
    }
    BtPageInfo {
        count: chunk.len(),
        max: branch_max(f),
        entry_size: size,
        level,
    }
    .write(&mut page, f);
    seal_page(&mut page, f, ptype, bid, ib);
    page
}

impl Record for BbtEntry {
    const SIZE: usize = 22;
    fn put(&self, b: &mut [u8]) {
        LE::write_u64(&mut b[0..], self.bref.bid.0);
        LE::write_u64(&mut b[8..], self.bref.ib.0);
        LE::write_u16(&mut b[16..], self.cb);
        LE::write_u16(&mut b[18..], self.refs);
        LE::write_u16(&mut b[20..], self.inflated);
    }
    fn get(b: &[u8]) -> Self {
        BbtEntry {
            bref: BRef {
                bid: Bid(LE::read_u64(&b[0..])),
                ib: Ib(LE::read_u64(&b[8..])),
            },
            cb: LE::read_u16(&b[16..]),
            refs: LE::read_u16(&b[18..]),
            inflated: LE::read_u16(&b[20..]),
        }
    }
    fn sort_key(&self) -> u64 {
        self.bref.bid.0
    }
}

impl Record for NbtEntry {
    const SIZE: usize = 24;
    fn put(&self, b: &mut [u8]) {
        LE::write_u32(&mut b[0..], self.nid.0);
        LE::write_u64(&mut b[4..], self.data.0);
        LE::write_u64(&mut b[12..], self.sub.0);
        LE::write_u32(&mut b[20..], self.parent.0);
    }
    fn get(b: &[u8]) -> Self {
        NbtEntry {
            nid: Nid(LE::read_u32(&b[0..])),
            data: Bid(LE::read_u64(&b[4..])),
            sub: Bid(LE::read_u64(&b[12..])),
            parent: Nid(LE::read_u32(&b[20..])),
        }
    }
    fn sort_key(&self) -> u64 {
        u64::from(self.nid.0)
    }
}

/// Spill files in memory: the default, for writers whose caller gives none.
fn memory_spill() -> SpillMaker {
    Box::new(|| Ok(Box::new(Cursor::new(Vec::new())) as Box<dyn SpillFile>))
}

/// Appends a file front to back: blocks are written as they are added, and
/// the B-trees, allocation maps and header by [`NdbWriter::finish`].
///
/// Memory is bounded whatever the file's size: the B-tree entries of blocks
/// and nodes, and the references that count blocks' `cRef`, are kept in
/// memory up to [`SpillLimits::chunk`] each and beyond that in spill files
/// (see [`NdbWriter::set_spill`]; in memory unless the caller gives files).
/// Block entries are spilled in id order, which is the order ids are handed
/// out; node entries and references are sorted by an external merge sort at
/// [`NdbWriter::finish`], and each B-tree leaf page is written as it fills.
/// What grows with the file is one 24-byte branch entry per leaf page
/// (a leaf holds 15 to 169 entries).
///
/// Each block's `cRef` is counted as the file refers to it: 1 for the BBT's
/// own reference, plus one per node (`bidData`, `bidSub`), data tree slot
/// and subnode tree slot naming it, as Outlook counts. A reference to a
/// block still in memory adds to its entry; one to a block already spilled
/// is spilled too, and joined with the block entries when the BBT is built.
/// A block shared by several nodes needs nothing more than being named by
/// each.
///
/// Each allocation-map page is written as soon as the writer leaves its span,
/// so the maps cost no memory either.
pub struct NdbWriter<W: Write + Seek> {
    out: W,
    format: Format,
    crypt: CryptMethod,
    kind: FileKind,
    /// End of the data written so far.
    pos: u64,
    next_bid: u64,
    next_page: u64,
    nid_counters: [u32; 32],
    /// Block entries in id order; the newest in memory.
    blocks: Sorter<BbtEntry>,
    nodes: Sorter<NbtEntry>,
    /// Keys of blocks referred to after their entry was spilled.
    refs: Sorter<u64>,
    spill: SpillMaker,
    /// A spill error of [`NdbWriter::add_node`], reported by `finish`.
    failed: Option<NdbError>,
    /// Index of the AMap span being filled and its bitmap.
    span: u64,
    bits: Vec<u8>,
    free: u64,
    /// Longest free run of each sealed span, for the free maps.
    free_runs: Vec<u8>,
    /// Free 64-byte slots of each sealed span, for the density list.
    free_slots: Vec<u32>,
}

impl NdbWriter<Cursor<Vec<u8>>> {
    /// A writer into memory, for tests and fuzzing seeds.
    pub fn in_memory(format: Format, crypt: CryptMethod, kind: FileKind) -> Self {
        // Writing into a Vec cannot fail.
        match Self::new(Cursor::new(Vec::new()), format, crypt, kind) {
            Ok(w) => w,
            Err(_) => unreachable!("in-memory writes do not fail"),
        }
    }

    /// Finishes an in-memory file and returns its bytes.
    pub fn finish_bytes(self) -> Vec<u8> {
        match self.finish() {
            Ok(c) => c.into_inner(),
            Err(_) => unreachable!("in-memory writes do not fail"),
        }
    }
}

impl<W: Write + Seek> NdbWriter<W> {
    /// Starts a new file on `out`, which must be empty.
    pub fn new(mut out: W, format: Format, crypt: CryptMethod, kind: FileKind) -> Result<Self> {
        let start = match format.variant {
            Variant::Unicode4k => 0x22000,
            _ => FIRST_AMAP,
        };
        write_zeros(&mut out, start)?;
        let mut w = NdbWriter {
            out,
            format,
            crypt,
            kind,
            pos: start,
            next_bid: 4,
            next_page: 1,
            nid_counters: initial_nid_counters(),
            blocks: Sorter::presorted(SpillLimits::default()),
            nodes: Sorter::new(SpillLimits::default()),
            refs: Sorter::new(SpillLimits::default()),
            spill: memory_spill(),
            failed: None,
            span: 0,
            bits: vec![0u8; 496],
            free: 0,
            free_runs: Vec::new(),
            free_slots: Vec::new(),
        };
        if w.has_maps() {
            w.enter_span(0)?;
        }
        Ok(w)
    }

    /// Where B-tree entries go once they outgrow memory: `make` is called
    /// for each new spill file (at most three), which the writer uses as
    /// scratch space and drops at `finish` or when it is dropped.
    pub fn set_spill(&mut self, make: SpillMaker) {
        self.spill = make;
    }

    /// Sets how many entries stay in memory before they are spilled; for
    /// tests, which exercise the spill paths with small files.
    #[doc(hidden)]
    pub fn set_spill_limits(&mut self, limits: SpillLimits) {
        self.blocks.set_limits(limits);
        self.nodes.set_limits(limits);
        self.refs.set_limits(limits);
    }

    /// B-tree entries and references held in memory (not yet spilled): at
    /// most three times [`SpillLimits::chunk`].
    pub fn entries_in_memory(&self) -> usize {
        self.blocks.in_memory() + self.nodes.in_memory() + self.refs.in_memory()
    }

    /// The variant being written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Bytes written so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    fn has_maps(&self) -> bool {
        self.format.variant != Variant::Unicode4k
    }

    /// Reserves the map pages at the start of span `n` and marks them used.
    fn enter_span(&mut self, n: u64) -> Result<()> {
        let start = FIRST_AMAP + n * AMAP_SPAN;
        write_zeros(&mut self.out, start - self.pos)?;
        self.pos = start;
        self.span = n;
        self.bits.iter_mut().for_each(|b| *b = 0);
        let reserved = span_reserved(n);
        write_zeros(&mut self.out, reserved)?;
        self.mark(start, reserved);
        self.pos = start + reserved;
        Ok(())
    }

    fn mark(&mut self, off: u64, len: u64) {
        let start = FIRST_AMAP + self.span * AMAP_SPAN;
        for i in (off - start) / 64..(off + len - start).div_ceil(64) {
            self.bits[(i / 8) as usize] |= 0x80 >> (i % 8);
        }
    }

    /// Writes the AMap (and PMap) of the span being left.
    fn seal_span(&mut self) -> Result<()> {
        let f = self.format;
        let start = FIRST_AMAP + self.span * AMAP_SPAN;
        let bits_at = map_bits_at(f);
        let ones: u64 = self.bits.iter().map(|b| u64::from(b.count_ones())).sum();
        self.free += (496 * 8 - ones) * 64;
        self.free_runs.push(longest_free_run(&self.bits));
        self.free_slots.push((496 * 8 - ones) as u32);
        for (ptype, off) in span_maps(self.span) {
            let mut page = vec![0u8; f.page_size];
            match ptype {
                PageType::AMap => page[bits_at..bits_at + 496].copy_from_slice(&self.bits),
                // Free maps are filled at the end, when every span is known.
                PageType::FMap => continue,
                // All set: no old client tries to allocate from them.
                _ => page[bits_at..bits_at + 496].fill(0xFF),
            }
            let at = start + off;
            seal_page(&mut page, f, ptype, Bid(at), Ib(at));
            self.write_at(at, &page)?;
        }
        Ok(())
    }

    /// Writes the density list at 0x4200: the AMaps with the most free
    /// space first, backfill complete, allocation at the last span. Its
    /// page id is the header's next page id, as Outlook and outlook-pst keep it.
    fn write_dlist(&mut self) -> Result<()> {
        let f = self.format;
        let mut order: Vec<(u32, u32)> = self
            .free_slots
            .iter()
            .enumerate()
            .map(|(i, &free)| (i as u32, free))
            .filter(|&(_, free)| free > 0)
            .collect();
        order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let max = if f.variant == Variant::Ansi { 120 } else { 119 };
        order.truncate(max);
        let mut page = vec![0u8; f.page_size];
        page[0] = 0x01; // DFL_BACKFILL_COMPLETE
        page[1] = order.len() as u8;
        LE::write_u32(&mut page[4..], self.span as u32);
        for (k, &(span, free)) in order.iter().enumerate() {
            let entry = (span & 0xF_FFFF) | (free.min(0xFFF) << 20);
            LE::write_u32(&mut page[8 + 4 * k..], entry);
        }
        let bid = Bid(self.next_page);
        seal_page(&mut page, f, PageType::DList, bid, Ib(DLIST));
        self.write_at(DLIST, &page)
    }

    /// Writes every free map: one byte per AMap span, its longest free run.
    fn write_fmaps(&mut self) -> Result<()> {
        let f = self.format;
        let bits_at = map_bits_at(f);
        let mut n = FIRST_FMAP_SPAN;
        while n <= self.span {
            let mut page = vec![0u8; f.page_size];
            let first = n as usize;
            let runs = self.free_runs.get(first..).unwrap_or(&[]);
            let k = runs.len().min(496);
            page[bits_at..bits_at + k].copy_from_slice(&runs[..k]);
            let at = FIRST_AMAP + n * AMAP_SPAN + 0x400;
            seal_page(&mut page, f, PageType::FMap, Bid(at), Ib(at));
            self.write_at(at, &page)?;
            n += FMAP_STRIDE;
        }
        Ok(())
    }

    fn write_at(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        self.out
            .seek(SeekFrom::Start(at))
            .map_err(NdbError::Write)?;
        self.out.write_all(bytes).map_err(NdbError::Write)?;
        self.out
            .seek(SeekFrom::Start(self.pos))
            .map_err(NdbError::Write)?;
        Ok(())
    }

    /// Finds room for `size` bytes aligned to `align`: never over map pages
    /// and never across an AMap span, as [MS-PST] requires.
    fn alloc(&mut self, size: u64, align: u64) -> Result<Ib> {
        let mut off = self.pos.next_multiple_of(align);
        if self.has_maps() {
            let end = FIRST_AMAP + (self.span + 1) * AMAP_SPAN;
            if off + size > end {
                self.seal_span()?;
                self.enter_span(self.span + 1)?;
                off = self.pos.next_multiple_of(align);
            }
            self.mark(off, size);
        }
        write_zeros(&mut self.out, off - self.pos)?;
        self.pos = off;
        Ok(Ib(off))
    }

    fn new_bid(&mut self, internal: bool) -> Bid {
        let b = Bid(self.next_bid | if internal { 2 } else { 0 });
        self.next_bid += 4;
        b
    }

    pub(crate) fn put_block(&mut self, plain: &[u8], internal: bool) -> Result<Bid> {
        let bid = self.new_bid(internal);
        // The signature depends on the offset, which depends on the size:
        // encode once at a provisional offset and re-seal the trailer.
        let (mut bytes, mut e) = encode_block(self.format, self.crypt, bid, Ib(0), plain);
        let ib = self.alloc(bytes.len() as u64, self.format.block_align as u64)?;
        let t = bytes.len() - self.format.block_trailer_size;
        let mut trailer = BlockTrailer::parse(&bytes[t..], self.format);
        trailer.sig = compute_sig(ib, bid);
        trailer.write(&mut bytes[t..], self.format);
        e.bref.ib = ib;
        e.refs = 1;
        self.out.write_all(&bytes).map_err(NdbError::Write)?;
        self.pos += bytes.len() as u64;
        self.blocks
            .push(e, &mut self.spill)
            .map_err(NdbError::Write)?;
        Ok(bid)
    }

    /// Adds a data block from another file's stored bytes, unchanged: same
    /// variant and a key-independent encoding (none or permute) give the
    /// same bytes and the same CRC, so only the id and signature are new.
    pub fn add_stored_block(&mut self, stored: &[u8], crc: u32, inflated: u16) -> Result<Bid> {
        let f = self.format;
        let bid = self.new_bid(false);
        let size = f.block_size(stored.len());
        let ib = self.alloc(size as u64, f.block_align as u64)?;
        let ts = f.block_trailer_size;
        // Bytes, padding and trailer go straight into the buffered output:
        // no per-block allocation on the copy path.
        let mut trailer = [0u8; 24];
        let pad = size - ts - stored.len();
        let t = BlockTrailer {
            cb: stored.len() as u16,
            sig: compute_sig(ib, bid),
            crc,
            bid,
            inflated: if f.has_compression() { inflated } else { 0 },
        };
        t.write(&mut trailer[..ts], f);
        self.out.write_all(stored).map_err(NdbError::Write)?;
        write_zeros(&mut self.out, pad as u64)?;
        self.out
            .write_all(&trailer[..ts])
            .map_err(NdbError::Write)?;
        self.pos += size as u64;
        let e = BbtEntry {
            bref: BRef { bid, ib },
            cb: stored.len() as u16,
            refs: 1,
            inflated: if f.has_compression() {
                inflated
            } else {
                stored.len() as u16
            },
        };
        self.blocks
            .push(e, &mut self.spill)
            .map_err(NdbError::Write)?;
        Ok(bid)
    }

    /// Writes a node gathered from another file by
    /// [`crate::read::Ndb::stored_node`]: its blocks unchanged (see
    /// [`NdbWriter::add_stored_block`]), its data tree and subnode trees
    /// rebuilt over the new block ids. Returns the node's (data, subnodes).
    pub fn add_stored_node(&mut self, node: &StoredNode<'_>) -> Result<(Bid, Bid)> {
        let mut leaves = Vec::with_capacity(node.blocks.len());
        for b in &node.blocks {
            leaves.push((
                self.add_stored_block(b.bytes, b.crc, b.inflated)?,
                usize::from(b.inflated),
            ));
        }
        let data = match leaves.as_slice() {
            [] => Bid(0),
            [one] => one.0,
            _ => self.add_tree(&leaves)?,
        };
        let mut subs = Vec::with_capacity(node.subnodes.len());
        for (nid, n) in &node.subnodes {
            let (d, s) = self.add_stored_node(n)?;
            subs.push((*nid, d, s));
        }
        let sub = if subs.is_empty() {
            Bid(0)
        } else {
            self.add_subnode_tree(&subs)?
        };
        Ok((data, sub))
    }

    /// Adds one data block holding `plain` (at most one block's capacity).
    pub fn add_block(&mut self, plain: &[u8]) -> Result<Bid> {
        debug_assert!(plain.len() <= self.format.max_block_data());
        self.put_block(plain, false)
    }

    /// Adds a data stream of any size: one block, or blocks under an XBLOCK
    /// (and an XXBLOCK) when it does not fit in one.
    pub fn add_stream(&mut self, plain: &[u8]) -> Result<Bid> {
        let cap = self.format.max_block_data();
        if plain.len() <= cap {
            return self.add_block(plain);
        }
        let mut leaves = Vec::with_capacity(plain.len().div_ceil(cap));
        for c in plain.chunks(cap) {
            leaves.push((self.add_block(c)?, c.len()));
        }
        self.add_tree(&leaves)
    }

    /// Adds a stream whose block boundaries are fixed by the caller (heap
    /// pages, table row blocks): each chunk becomes exactly one data block.
    pub fn add_chunks(&mut self, chunks: &[Vec<u8>]) -> Result<Bid> {
        match chunks {
            [] => Ok(Bid(0)),
            [one] => self.add_block(one),
            many => {
                let mut leaves = Vec::with_capacity(many.len());
                for c in many {
                    leaves.push((self.add_block(c)?, c.len()));
                }
                self.add_tree(&leaves)
            }
        }
    }

    /// Adds the XBLOCKs (and XXBLOCK) above already written data blocks.
    pub fn add_tree(&mut self, leaves: &[(Bid, usize)]) -> Result<Bid> {
        let per = (self.format.max_block_data() - 8) / self.format.id_size;
        let mut xblocks = Vec::with_capacity(leaves.len().div_ceil(per));
        for c in leaves.chunks(per) {
            xblocks.push((self.add_xblock(1, c)?, c.iter().map(|x| x.1).sum()));
        }
        if xblocks.len() == 1 {
            return Ok(xblocks[0].0);
        }
        self.add_xblock(2, &xblocks)
    }

    pub(crate) fn add_xblock(&mut self, level: u8, children: &[(Bid, usize)]) -> Result<Bid> {
        let w = self.format.id_size;
        let mut b = vec![0u8; 8 + w * children.len()];
        b[0] = 1;
        b[1] = level;
        LE::write_u16(&mut b[2..], children.len() as u16);
        let total: usize = children.iter().map(|c| c.1).sum();
        LE::write_u32(&mut b[4..], total as u32);
        for (i, (bid, _)) in children.iter().enumerate() {
            write_id(&mut b[8 + i * w..], w, bid.0);
            self.refer(*bid)?;
        }
        self.put_block(&b, true)
    }

    /// Adds a subnode tree listing `entries` (sorted by id): (subnode, data,
    /// subnodes). Large lists get SLBLOCKs under an SIBLOCK.
    pub fn add_subnode_tree(&mut self, entries: &[(Nid, Bid, Bid)]) -> Result<Bid> {
        let w = self.format.id_size;
        let hs = self.format.subnode_header_size();
        let cap = self.format.max_block_data() - hs;
        let per_leaf = cap / (3 * w);
        let mut leaves = Vec::new();
        for chunk in entries.chunks(per_leaf.max(1)) {
            let mut b = vec![0u8; hs + 3 * w * chunk.len()];
            b[0] = 2;
            LE::write_u16(&mut b[2..], chunk.len() as u16);
            for (i, (nid, data, sub)) in chunk.iter().enumerate() {
                let s = hs + i * 3 * w;
                write_id(&mut b[s..], w, u64::from(nid.0));
                write_id(&mut b[s + w..], w, data.0);
                write_id(&mut b[s + 2 * w..], w, sub.0);
                self.refer(*data)?;
                self.refer(*sub)?;
                // Local to the node, but Outlook draws subnode ids from the
                // header's counters too: keep them at or above every one.
                if nid.index() >= FIRST_COUNTED_INDEX {
                    self.reserve_nid(*nid);
                }
            }
            leaves.push((chunk[0].0, self.put_block(&b, true)?));
        }
        if leaves.len() == 1 {
            return Ok(leaves[0].1);
        }
        let mut b = vec![0u8; hs + 2 * w * leaves.len()];
        b[0] = 2;
        b[1] = 1;
        LE::write_u16(&mut b[2..], leaves.len() as u16);
        for (i, (nid, bid)) in leaves.iter().enumerate() {
            let s = hs + i * 2 * w;
            write_id(&mut b[s..], w, u64::from(nid.0));
            write_id(&mut b[s + w..], w, bid.0);
            self.refer(*bid)?;
        }
        self.put_block(&b, true)
    }

    /// Allocates a new top-level node id of `kind` from the header counters.
    pub fn new_nid(&mut self, kind: NidType) -> Nid {
        let slot = &mut self.nid_counters[usize::from(kind.bits())];
        *slot += 1;
        Nid::new(kind, *slot)
    }

    /// Makes sure later [`NdbWriter::new_nid`] calls never hand out `nid`.
    pub(crate) fn reserve_nid(&mut self, nid: Nid) {
        let slot = &mut self.nid_counters[usize::from(nid.kind().bits())];
        *slot = (*slot).max(nid.index());
    }

    /// Counts one reference to a block written here. Blocks are recorded in
    /// id order (ids only grow), so an entry still in memory is found by
    /// bisection; a reference to any other is spilled, for `finish`.
    fn refer(&mut self, bid: Bid) -> Result<()> {
        if bid.is_none() {
            return Ok(());
        }
        let key = bid.key();
        let recent = self.blocks.buffered_mut();
        if let Ok(i) = recent.binary_search_by_key(&key, |e| e.bref.bid.key()) {
            let e = &mut recent[i];
            e.refs = e.refs.saturating_add(1);
            return Ok(());
        }
        self.refs
            .push(key.0, &mut self.spill)
            .map_err(NdbError::Write)
    }

    /// Records a top-level node. Added twice, it is written once, as first
    /// added.
    pub fn add_node(&mut self, nid: Nid, data: Bid, sub: Bid, parent: Nid) {
        self.reserve_nid(nid);
        let e = NbtEntry {
            nid,
            data,
            sub,
            parent,
        };
        if let Err(e) = self.nodes.push(e, &mut self.spill) {
            self.failed.get_or_insert(NdbError::Write(e));
        }
    }

    /// Allocates the next B-tree page and writes it there.
    fn put_page(&mut self, fill: impl FnOnce(Bid, Ib) -> Vec<u8>) -> Result<BRef> {
        let size = self.format.page_size as u64;
        let ib = self.alloc(size, size)?;
        let bid = Bid(self.next_page);
        self.next_page += 1;
        let page = fill(bid, ib);
        self.out.write_all(&page).map_err(NdbError::Write)?;
        self.pos += size;
        Ok(BRef { bid, ib })
    }

    /// Writes a full (or the last) leaf page and notes it for the level above.
    fn put_leaf<E: LeafEntry>(&mut self, leaf: &[E], level: &mut Vec<BtEntry>) -> Result<()> {
        let f = self.format;
        let child = self.put_page(|bid, ib| leaf_page(f, leaf, bid, ib))?;
        level.push(BtEntry {
            key: leaf.first().map_or(0, |e| e.key()),
            child,
        });
        Ok(())
    }

    /// Writes the branch levels above `level` (the leaves), each level's
    /// pages after the one below; returns the root.
    fn put_branches(&mut self, ptype: PageType, mut level: Vec<BtEntry>) -> Result<BRef> {
        let f = self.format;
        let mut depth = 0u8;
        while level.len() > 1 {
            depth += 1;
            let mut next = Vec::with_capacity(level.len().div_ceil(branch_max(f)));
            for chunk in level.chunks(branch_max(f)) {
                let child =
                    self.put_page(|bid, ib| branch_page(f, ptype, chunk, depth, bid, ib))?;
                next.push(BtEntry {
                    key: chunk[0].key,
                    child,
                });
            }
            level = next;
        }
        Ok(level[0].child)
    }

    /// Writes the NBT from the node entries in id order, the first of each
    /// id kept, counting the blocks each names.
    fn put_nbt(&mut self) -> Result<BRef> {
        let f = self.format;
        let nodes = std::mem::replace(&mut self.nodes, Sorter::new(SpillLimits::default()));
        let mut nodes = nodes
            .into_sorted(&mut self.spill)
            .map_err(NdbError::Write)?;
        let leaf_max = f.bt_entries_size() / NbtEntry::size(f);
        let mut leaf: Vec<NbtEntry> = Vec::with_capacity(leaf_max);
        let mut level = Vec::new();
        let mut last = None;
        while let Some(n) = nodes.next().map_err(NdbError::Write)? {
            if last == Some(n.nid) {
                continue;
            }
            last = Some(n.nid);
            self.refer(n.data)?;
            self.refer(n.sub)?;
            leaf.push(n);
            if leaf.len() == leaf_max {
                self.put_leaf(&leaf, &mut level)?;
                leaf.clear();
            }
        }
        if !leaf.is_empty() || level.is_empty() {
            self.put_leaf(&leaf, &mut level)?;
        }
        self.put_branches(PageType::Nbt, level)
    }

    /// Writes the BBT: the block entries in id order, each `cRef` raised by
    /// the spilled references to it.
    fn put_bbt(&mut self) -> Result<BRef> {
        let f = self.format;
        let limits = SpillLimits::default();
        let blocks = std::mem::replace(&mut self.blocks, Sorter::presorted(limits));
        let refs = std::mem::replace(&mut self.refs, Sorter::new(limits));
        let mut blocks = blocks
            .into_sorted(&mut self.spill)
            .map_err(NdbError::Write)?;
        let mut refs = refs.into_sorted(&mut self.spill).map_err(NdbError::Write)?;
        let leaf_max = f.bt_entries_size() / BbtEntry::size(f);
        let mut leaf: Vec<BbtEntry> = Vec::with_capacity(leaf_max);
        let mut level = Vec::new();
        let mut r = refs.next().map_err(NdbError::Write)?;
        while let Some(mut b) = blocks.next().map_err(NdbError::Write)? {
            let key = b.bref.bid.key().0;
            // References to ids that are no block written here count nothing.
            while let Some(k) = r.filter(|&k| k <= key) {
                if k == key {
                    b.refs = b.refs.saturating_add(1);
                }
                r = refs.next().map_err(NdbError::Write)?;
            }
            leaf.push(b);
            if leaf.len() == leaf_max {
                self.put_leaf(&leaf, &mut level)?;
                leaf.clear();
            }
        }
        if !leaf.is_empty() || level.is_empty() {
            self.put_leaf(&leaf, &mut level)?;
        }
        self.put_branches(PageType::Bbt, level)
    }

    /// Writes the B-trees, the last allocation maps and the header, and
    /// returns the output.
    pub fn finish(mut self) -> Result<W> {
        let f = self.format;
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let nbt = self.put_nbt()?;
        let bbt = self.put_bbt()?;
        let (eof, amap_last) = if self.has_maps() {
            self.seal_span()?;
            self.write_fmaps()?;
            self.write_dlist()?;
            let eof = FIRST_AMAP + (self.span + 1) * AMAP_SPAN;
            (eof, FIRST_AMAP + self.span * AMAP_SPAN)
        } else {
            (self.pos.next_multiple_of(f.page_size as u64), 0)
        };
        write_zeros(&mut self.out, eof - self.pos)?;
        self.pos = eof;
        let h = HeaderFields {
            kind: self.kind,
            format: f,
            crypt: self.crypt,
            next_bid: Bid(self.next_bid),
            next_page_bid: Bid(self.next_page),
            unique: 1,
            nid_counters: self.nid_counters,
            file_eof: eof,
            amap_last,
            amap_free: self.free,
            nbt,
            bbt,
        };
        let hb = header_bytes(&h);
        self.write_at(0, &hb)?;
        self.out.flush().map_err(NdbError::Write)?;
        Ok(self.out)
    }
}

/// Where the density list lives in ANSI and Unicode files.
pub const DLIST: u64 = 0x4200;

/// The longest run of clear bits of an AMap, in 64-byte slots, capped at 255.
fn longest_free_run(bits: &[u8]) -> u8 {
    let (mut best, mut run) = (0u32, 0u32);
    for byte in bits {
        for k in 0..8 {
            if byte & (0x80 >> k) == 0 {
                run += 1;
                best = best.max(run);
            } else {
                run = 0;
            }
        }
    }
    best.min(255) as u8
}

/// Appends `n` zero bytes in bounded pieces.
fn write_zeros(out: &mut impl Write, mut n: u64) -> Result<()> {
    const ZEROS: [u8; 4096] = [0; 4096];
    while n > 0 {
        let k = n.min(ZEROS.len() as u64) as usize;
        out.write_all(&ZEROS[..k]).map_err(NdbError::Write)?;
        n -= k as u64;
    }
    Ok(())
}

fn write_id(b: &mut [u8], width: usize, v: u64) {
    if width == 4 {
        LE::write_u32(b, v as u32);
    } else {
        LE::write_u64(b, v);
    }
}

impl<W: Write + Seek> std::fmt::Debug for NdbWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdbWriter")
            .field("variant", &self.format.variant)
            .field("crypt", &self.crypt)
            .field("kind", &self.kind)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NdbFile;

    /// Each AMap's bits, span by span.
    fn amaps(bytes: &[u8], f: Format) -> Vec<&[u8]> {
        let spans = (bytes.len() as u64 - FIRST_AMAP).div_ceil(AMAP_SPAN);
        (0..spans)
            .map(|n| {
                let at = (FIRST_AMAP + n * AMAP_SPAN) as usize + map_bits_at(f);
                &bytes[at..at + 496]
            })
            .collect()
    }

    fn set_bits(bits: &[u8]) -> u64 {
        bits.iter().map(|b| u64::from(b.count_ones())).sum()
    }

    /// The density list's (span, free units) entries and the span it says
    /// allocation is at.
    fn dlist(bytes: &[u8]) -> (Vec<(u64, u64)>, u64) {
        let page = &bytes[DLIST as usize..];
        let entries = (0..usize::from(page[1]))
            .map(|k| {
                let e = u64::from(LE::read_u32(&page[8 + 4 * k..]));
                (e & 0xF_FFFF, e >> 20)
            })
            .collect();
        (entries, u64::from(LE::read_u32(&page[4..])))
    }

    /// A file of `nodes` nodes of assorted sizes.
    fn written(f: Format, nodes: u32, size: impl Fn(u32) -> usize) -> Vec<u8> {
        let mut w = NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst);
        for i in 0..nodes {
            let body: Vec<u8> = (0..size(i)).map(|k| (k as u32 * 31 + i) as u8).collect();
            let data = w.add_stream(&body).unwrap();
            w.add_node(
                Nid::new(NidType::NormalMessage, 0x400 + i),
                data,
                Bid(0),
                Nid(0x122),
            );
        }
        w.finish_bytes()
    }

    /// The maps mark exactly the map pages, B-tree pages and blocks the
    /// file holds; the header's free count and the density list count the
    /// rest, span by span.
    #[test]
    fn the_maps_mark_exactly_what_the_file_holds() {
        for f in [Format::ANSI, Format::UNICODE] {
            let bytes = written(f, 300, |i| (i as usize % 23) * 900 + 40);
            let file = NdbFile::new(&bytes[..]).unwrap();
            let ndb = file.ndb();
            let report = crate::check::check(ndb);
            assert!(report.is_clean(), "{:?}", report.problems);
            let maps = amaps(&bytes, f);
            assert!(maps.len() > 2);
            // The file ends with its last span, whose map the header names.
            let root = file.header().root;
            let spans = maps.len() as u64;
            assert_eq!(bytes.len() as u64, FIRST_AMAP + spans * AMAP_SPAN);
            assert_eq!(root.file_eof, bytes.len() as u64);
            assert_eq!(root.amap_last, FIRST_AMAP + (spans - 1) * AMAP_SPAN);
            let blocks: u64 = ndb
                .blocks()
                .map(|e| f.block_size(usize::from(e.unwrap().cb)) as u64 / 64)
                .sum();
            let reserved: u64 = (0..maps.len() as u64).map(|n| span_reserved(n) / 64).sum();
            let held = blocks + report.pages * f.page_size as u64 / 64 + reserved;
            assert_eq!(maps.iter().map(|m| set_bits(m)).sum::<u64>(), held);

            let free: Vec<u64> = maps.iter().map(|m| 496 * 8 - set_bits(m)).collect();
            assert_eq!(file.header().root.amap_free, free.iter().sum::<u64>() * 64);
            let (entries, last) = dlist(&bytes);
            assert_eq!(last, maps.len() as u64 - 1);
            let mut want: Vec<(u64, u64)> = (0..maps.len() as u64)
                .zip(free.iter().copied())
                .filter(|&(_, free)| free > 0)
                .collect();
            want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            assert_eq!(entries, want);
        }
    }

    /// A span filled to its last unit has no place in the density list.
    #[test]
    fn a_full_span_is_not_in_the_density_list() {
        let f = Format::UNICODE;
        let mut w = NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst);
        // 48 bytes and the trailer: one 64-byte unit each.
        let mut i = 0;
        while w.position() < FIRST_AMAP + AMAP_SPAN {
            let data = w.add_block(&[i as u8; 48]).unwrap();
            w.add_node(
                Nid::new(NidType::NormalMessage, 0x400 + i),
                data,
                Bid(0),
                Nid(0x122),
            );
            i += 1;
        }
        let bytes = w.finish_bytes();
        let maps = amaps(&bytes, f);
        assert_eq!(set_bits(maps[0]), 496 * 8);
        let (entries, _) = dlist(&bytes);
        assert!(!entries.is_empty());
        assert!(
            entries.iter().all(|&(span, free)| span != 0 && free > 0),
            "{entries:?}"
        );
    }

    /// The density list holds at most 119 spans in a Unicode file and 120
    /// in an ANSI one (its page's room), those with the most free space.
    #[test]
    fn the_density_list_keeps_the_spans_with_most_room_up_to_its_page_s() {
        for (f, most) in [(Format::UNICODE, 119), (Format::ANSI, 120)] {
            // 8,000 bytes a node: a little room is left at each span's end.
            let bytes = written(f, 3900, |_| 8000);
            let maps = amaps(&bytes, f);
            assert!(maps.len() > most, "{} spans", maps.len());
            let (entries, _) = dlist(&bytes);
            assert_eq!(entries.len(), most);
            let listed_least = entries.iter().map(|e| e.1).min().unwrap();
            let unlisted_most = (0..maps.len() as u64)
                .filter(|n| !entries.iter().any(|e| e.0 == *n))
                .map(|n| 496 * 8 - set_bits(maps[n as usize]))
                .max()
                .unwrap();
            assert!(listed_least >= unlisted_most);
        }
    }

    /// Free maps lie at span 128 and every 496 spans after it, each
    /// giving the longest free run of the 496 spans from its own.
    #[test]
    fn free_maps_are_written_where_the_spec_places_them() {
        let f = Format::UNICODE;
        // About 160 MB: 630 spans, past the second free map's (624).
        let bytes = written(f, 20_000, |_| 8000);
        let maps = amaps(&bytes, f);
        assert!(
            maps.len() as u64 > FIRST_FMAP_SPAN + FMAP_STRIDE,
            "{}",
            maps.len()
        );
        for n in [FIRST_FMAP_SPAN, FIRST_FMAP_SPAN + FMAP_STRIDE] {
            let at = FIRST_AMAP + n * AMAP_SPAN + 0x400;
            let page = crate::page::read_page(&bytes, f, Ib(at), PageType::FMap, Some(Bid(at)))
                .unwrap_or_else(|e| panic!("span {n}: {e}"));
            for (k, m) in maps[n as usize..].iter().take(496).enumerate() {
                assert_eq!(
                    page[map_bits_at(f) + k],
                    longest_free_run(m),
                    "span {n} + {k}"
                );
            }
        }
    }

    /// Chunks and stored nodes keep their shape: none is no stream, one
    /// is a data block of its own, more are a tree whose blocks are the
    /// chunks as given.
    #[test]
    fn streams_of_no_one_or_many_blocks_keep_their_shape() {
        let f = Format::UNICODE;
        let mut w = NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst);
        let chunks: Vec<Vec<u8>> = vec![vec![1; 100], vec![2; 7], vec![3; 4000]];
        assert_eq!(w.add_chunks(&[]).unwrap(), Bid(0));
        let one = w.add_chunks(&chunks[..1]).unwrap();
        let many = w.add_chunks(&chunks).unwrap();
        let block = crate::stored::StoredBlock {
            bytes: b"stored as it is",
            crc: crate::crc::crc(b"stored as it is"),
            inflated: 15,
        };
        let node = |blocks| StoredNode {
            blocks,
            subnodes: vec![],
        };
        assert_eq!(w.add_stored_node(&node(vec![])).unwrap(), (Bid(0), Bid(0)));
        let (stored_one, _) = w.add_stored_node(&node(vec![block])).unwrap();
        let (stored_two, _) = w.add_stored_node(&node(vec![block, block])).unwrap();
        let roots = [one, many, stored_one, stored_two];
        for (i, root) in roots.iter().enumerate() {
            let nid = Nid::new(NidType::NormalMessage, 0x400 + i as u32);
            w.add_node(nid, *root, Bid(0), Nid(0x122));
        }
        let bytes = w.finish_bytes();
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();
        assert!(!one.is_internal() && !stored_one.is_internal());
        assert!(many.is_internal() && stored_two.is_internal());
        let blocks = |root: Bid| -> Vec<Vec<u8>> {
            let tree = ndb.data_tree(root).unwrap();
            tree.leaves
                .iter()
                .map(|e| ndb.read_block_at(e).unwrap().into_owned())
                .collect()
        };
        assert_eq!(blocks(one), chunks[..1]);
        assert_eq!(blocks(many), chunks);
        assert_eq!(blocks(stored_one), [b"stored as it is".to_vec()]);
        assert_eq!(blocks(stored_two).len(), 2);
    }

    /// An XBLOCK holds as many block ids as fit in a block (1,021 in a
    /// Unicode file, 2,043 in an ANSI one), an SLBLOCK as many entries
    /// (340 and 681): one more and a level is added above two blocks.
    #[test]
    fn tree_blocks_hold_as_many_entries_as_fit() {
        use crate::block::{parse_subnode_block, parse_xblock};
        for (f, ids, entries) in [(Format::UNICODE, 1021, 340), (Format::ANSI, 2043, 681)] {
            let mut w = NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst);
            let leaf = w.add_block(b"ten bytes!").unwrap();
            let full = w.add_tree(&vec![(leaf, 10); ids]).unwrap();
            let over = w.add_tree(&vec![(leaf, 10); ids + 1]).unwrap();
            let subs = |n: usize| -> Vec<(Nid, Bid, Bid)> {
                (0..n as u32)
                    .map(|i| (Nid::new(NidType::Attachment, 1 + i), leaf, Bid(0)))
                    .collect()
            };
            let sl = w.add_subnode_tree(&subs(entries)).unwrap();
            let si = w.add_subnode_tree(&subs(entries + 1)).unwrap();
            let bytes = w.finish_bytes();
            let file = NdbFile::new(&bytes[..]).unwrap();
            let ndb = file.ndb();
            let x = |bid| parse_xblock(&ndb.read_block(bid).unwrap(), f).unwrap();
            let s = |bid| parse_subnode_block(&ndb.read_block(bid).unwrap(), f).unwrap();
            assert_eq!((x(full).level, x(full).count), (1, ids), "{f:?}");
            assert_eq!((x(over).level, x(over).count), (2, 2), "{f:?}");
            assert_eq!((s(sl).level, s(sl).count), (0, entries), "{f:?}");
            assert_eq!((s(si).level, s(si).count), (1, 2), "{f:?}");
        }
    }

    /// A free map's byte: the longest run of clear bits, across byte
    /// boundaries, most significant bit first, at most 255.
    #[test]
    fn the_longest_free_run_is_counted_across_bytes_and_capped() {
        let run = |head: &[u8]| {
            let mut bits = vec![0xFF; 496];
            bits[..head.len()].copy_from_slice(head);
            longest_free_run(&bits)
        };
        assert_eq!(run(&[]), 0);
        assert_eq!(run(&[0x7F]), 1);
        assert_eq!(run(&[0x81]), 6);
        assert_eq!(run(&[0xF0, 0x0F]), 8);
        assert_eq!(run(&[0x00, 0xFF, 0x00, 0x00, 0x01]), 23);
        assert_eq!(run(&[0; 31]), 248);
        assert_eq!(run(&[0; 32]), 255);
        assert_eq!(longest_free_run(&[0; 496]), 255);
    }

    /// A writer shows what it writes and where it is.
    #[test]
    fn a_writer_shows_its_file_and_place() {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::Permute, FileKind::Ost);
        w.add_block(b"x").unwrap();
        let shown = format!("{w:?}");
        let want = format!(
            "NdbWriter {{ variant: Unicode, crypt: Permute, kind: Ost, pos: {}, .. }}",
            w.position()
        );
        assert_eq!(shown, want);
    }
}
