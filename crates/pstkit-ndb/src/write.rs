//! The write side of the NDB layer: encoders for headers, pages and blocks,
//! and [`MemBuilder`], which lays out a complete file in memory.
//!
//! The encoders are the ones the streaming file writer uses; `MemBuilder`
//! is a small, whole-file-in-memory layout used to make test files (the 4K
//! OST variant has no public sample) and fuzzing seeds.

use std::io::Write as _;

use byteorder::{ByteOrder, LittleEndian as LE};

use crate::block::BlockTrailer;
use crate::btree::{BbtEntry, BtEntry, LeafEntry, NbtEntry};
use crate::check::{AMAP_SPAN, FIRST_AMAP};
use crate::crc::crc;
use crate::page::{compute_sig, BtPageInfo, PageTrailer, PageType};
use crate::{BRef, Bid, CryptMethod, FileKind, Format, Ib, Nid, Variant};

/// Encodes a block: encodes (and, for 4K files when it pays, compresses)
/// `plain`, then appends padding and the trailer. Returns the on-disk bytes
/// and the BBT entry (with one reference).
pub fn encode_block(
    f: Format,
    crypt: CryptMethod,
    bid: Bid,
    ib: Ib,
    plain: &[u8],
) -> (Vec<u8>, BbtEntry) {
    let mut stored = None;
    if f.has_compression() && plain.len() > 64 {
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

/// The initial `rgnid` of a blank file ([MS-PST] 2.2.2.6).
pub fn initial_nid_counters() -> [u32; 32] {
    let mut c = [0x400u32; 32];
    c[0x03] = 0x4000;
    c[0x04] = 0x10000;
    c[0x08] = 0x8000;
    c
}

/// Serialises a header with both CRCs.
pub fn header_bytes(h: &HeaderFields) -> Vec<u8> {
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

/// Builds B-tree pages bottom-up from sorted leaf entries. `alloc` gives each
/// new page its id and offset; the pages are returned with the root.
pub fn build_btree<E: LeafEntry>(
    f: Format,
    entries: &[E],
    mut alloc: impl FnMut() -> (Bid, Ib),
) -> (BRef, Vec<(Ib, Vec<u8>)>) {
    let mut pages = Vec::new();
    let leaf_size = E::size(f);
    let leaf_max = f.bt_entries_size() / leaf_size;
    let mut level_entries: Vec<BtEntry> = Vec::new();
    let chunks: Vec<&[E]> = if entries.is_empty() {
        vec![&[]]
    } else {
        entries.chunks(leaf_max).collect()
    };
    for chunk in chunks {
        let (bid, ib) = alloc();
        let mut page = vec![0u8; f.page_size];
        for (i, e) in chunk.iter().enumerate() {
            e.write(&mut page[i * leaf_size..], f);
        }
        BtPageInfo {
            count: chunk.len(),
            max: leaf_max,
            entry_size: leaf_size,
            level: 0,
        }
        .write(&mut page, f);
        seal_page(&mut page, f, E::PAGE, bid, ib);
        pages.push((ib, page));
        level_entries.push(BtEntry {
            key: chunk.first().map_or(0, |e| e.key()),
            child: BRef { bid, ib },
        });
    }
    let branch_size = f.btentry_size();
    let branch_max = f.bt_entries_size() / branch_size;
    let mut level = 0u8;
    while level_entries.len() > 1 {
        level += 1;
        let mut next = Vec::new();
        for chunk in level_entries.chunks(branch_max) {
            let (bid, ib) = alloc();
            let mut page = vec![0u8; f.page_size];
            for (i, e) in chunk.iter().enumerate() {
                e.write(&mut page[i * branch_size..], f);
            }
            BtPageInfo {
                count: chunk.len(),
                max: branch_max,
                entry_size: branch_size,
                level,
            }
            .write(&mut page, f);
            seal_page(&mut page, f, E::PAGE, bid, ib);
            pages.push((ib, page));
            next.push(BtEntry {
                key: chunk[0].key,
                child: BRef { bid, ib },
            });
        }
        level_entries = next;
    }
    (level_entries[0].child, pages)
}

/// Lays out a whole file in memory: blocks are appended as they are added,
/// the B-trees, allocation maps and header are written by [`MemBuilder::finish`].
pub struct MemBuilder {
    format: Format,
    crypt: CryptMethod,
    kind: FileKind,
    file: Vec<u8>,
    next_bid: u64,
    next_page: u64,
    blocks: Vec<BbtEntry>,
    nodes: Vec<NbtEntry>,
    /// (offset, size) of every allocation, for the AMaps.
    allocations: Vec<(u64, u64)>,
}

impl MemBuilder {
    /// Starts an empty file.
    pub fn new(format: Format, crypt: CryptMethod, kind: FileKind) -> Self {
        let start = match format.variant {
            Variant::Unicode4k => 0x22000,
            _ => FIRST_AMAP + 0x400,
        };
        MemBuilder {
            format,
            crypt,
            kind,
            file: vec![0u8; start as usize],
            next_bid: 4,
            next_page: 1,
            blocks: Vec::new(),
            nodes: Vec::new(),
            allocations: Vec::new(),
        }
    }

    fn has_maps(&self) -> bool {
        self.format.variant != Variant::Unicode4k
    }

    /// Finds room for `size` bytes aligned to `align`, keeping clear of the
    /// map pages at the start of each AMap span and never crossing a span.
    fn alloc(&mut self, size: usize, align: usize) -> Ib {
        let mut off = (self.file.len() as u64).next_multiple_of(align as u64);
        if self.has_maps() {
            loop {
                let span = (off - FIRST_AMAP) / AMAP_SPAN;
                let start = FIRST_AMAP + span * AMAP_SPAN;
                let reserved = if span % 8 == 0 { 0x400 } else { 0x200 };
                if off < start + reserved {
                    off = start + reserved;
                    continue;
                }
                if off + size as u64 > start + AMAP_SPAN {
                    off = start + AMAP_SPAN;
                    continue;
                }
                break;
            }
        }
        self.file.resize((off + size as u64) as usize, 0);
        self.allocations.push((off, size as u64));
        Ib(off)
    }

    fn bid(&mut self, internal: bool) -> Bid {
        let b = Bid(self.next_bid | if internal { 2 } else { 0 });
        self.next_bid += 4;
        b
    }

    fn put_block(&mut self, plain: &[u8], internal: bool) -> Bid {
        let bid = self.bid(internal);
        // Place after encoding: a compressed block is smaller.
        let probe = encode_block(self.format, self.crypt, bid, Ib(0), plain)
            .0
            .len();
        let ib = self.alloc(probe, self.format.block_align);
        let (bytes, e) = encode_block(self.format, self.crypt, bid, ib, plain);
        self.file[ib.0 as usize..ib.0 as usize + bytes.len()].copy_from_slice(&bytes);
        self.blocks.push(e);
        bid
    }

    /// Adds one data block holding `plain` (at most one block's capacity).
    pub fn add_block(&mut self, plain: &[u8]) -> Bid {
        self.put_block(plain, false)
    }

    /// Adds a data stream of any size: one block, or blocks under an XBLOCK
    /// (and XXBLOCK) when it does not fit one.
    pub fn add_stream(&mut self, plain: &[u8]) -> Bid {
        let cap = self.format.max_block_data();
        if plain.len() <= cap {
            return self.add_block(plain);
        }
        let leaves: Vec<(Bid, usize)> = plain
            .chunks(cap)
            .map(|c| (self.add_block(c), c.len()))
            .collect();
        let per = (cap - 8) / self.format.id_size;
        let xblocks: Vec<(Bid, usize)> = leaves
            .chunks(per)
            .map(|c| (self.add_xblock(1, c), c.iter().map(|x| x.1).sum()))
            .collect();
        if xblocks.len() == 1 {
            return xblocks[0].0;
        }
        self.add_xblock(2, &xblocks)
    }

    fn add_xblock(&mut self, level: u8, children: &[(Bid, usize)]) -> Bid {
        let w = self.format.id_size;
        let mut b = vec![0u8; 8 + w * children.len()];
        b[0] = 1;
        b[1] = level;
        LE::write_u16(&mut b[2..], children.len() as u16);
        let total: usize = children.iter().map(|c| c.1).sum();
        LE::write_u32(&mut b[4..], total as u32);
        for (i, (bid, _)) in children.iter().enumerate() {
            write_id(&mut b[8 + i * w..], w, bid.0);
        }
        self.put_block(&b, true)
    }

    /// Adds an SLBLOCK listing `entries` (sorted by id): (subnode, data, subnodes).
    pub fn add_subnode_block(&mut self, entries: &[(Nid, Bid, Bid)]) -> Bid {
        let w = self.format.id_size;
        let hs = self.format.subnode_header_size();
        let mut b = vec![0u8; hs + 3 * w * entries.len()];
        b[0] = 2;
        LE::write_u16(&mut b[2..], entries.len() as u16);
        for (i, (nid, data, sub)) in entries.iter().enumerate() {
            let s = hs + i * 3 * w;
            write_id(&mut b[s..], w, u64::from(nid.0));
            write_id(&mut b[s + w..], w, data.0);
            write_id(&mut b[s + 2 * w..], w, sub.0);
        }
        self.put_block(&b, true)
    }

    /// Records a top-level node.
    pub fn add_node(&mut self, nid: Nid, data: Bid, sub: Bid, parent: Nid) {
        self.nodes.push(NbtEntry {
            nid,
            data,
            sub,
            parent,
        });
    }

    fn page(&mut self) -> (Bid, Ib) {
        let ib = self.alloc(self.format.page_size, self.format.page_size);
        let bid = Bid(self.next_page);
        self.next_page += 1;
        (bid, ib)
    }

    /// Writes the B-trees, allocation maps and header; returns the file.
    pub fn finish(mut self) -> Vec<u8> {
        let f = self.format;
        let mut nodes = std::mem::take(&mut self.nodes);
        nodes.sort_by_key(|n| n.nid);
        let mut blocks = std::mem::take(&mut self.blocks);
        blocks.sort_by_key(|b| b.bref.bid);
        let (nbt, pages) = build_btree(f, &nodes, || self.page());
        let (bbt, more) = build_btree(f, &blocks, || self.page());
        for (ib, page) in pages.into_iter().chain(more) {
            self.file[ib.0 as usize..ib.0 as usize + page.len()].copy_from_slice(&page);
        }
        let (eof, amap_last, amap_free) = if self.has_maps() {
            self.write_maps()
        } else {
            (self.file.len() as u64, 0, 0)
        };
        let h = HeaderFields {
            kind: self.kind,
            format: f,
            crypt: self.crypt,
            next_bid: Bid(self.next_bid),
            next_page_bid: Bid(self.next_page),
            unique: 1,
            nid_counters: initial_nid_counters(),
            file_eof: eof,
            amap_last,
            amap_free,
            nbt,
            bbt,
        };
        let hb = header_bytes(&h);
        self.file[..hb.len()].copy_from_slice(&hb);
        self.file
    }

    /// Grows the file to whole AMap spans and writes every AMap (bits from the
    /// allocations) and PMap (all set). Returns (eof, last AMap, free bytes).
    fn write_maps(&mut self) -> (u64, u64, u64) {
        let f = self.format;
        let used = self.file.len() as u64;
        let spans = (used - FIRST_AMAP).div_ceil(AMAP_SPAN).max(1);
        let eof = FIRST_AMAP + spans * AMAP_SPAN;
        self.file.resize(eof as usize, 0);
        let bits_at = if f.variant == Variant::Ansi { 4 } else { 0 };
        let mut free = 0u64;
        for n in 0..spans {
            let start = FIRST_AMAP + n * AMAP_SPAN;
            let mut page = vec![0u8; f.page_size];
            let mut set = |off: u64, len: u64| {
                let first = (off - start) / 64;
                let last = (off + len - start).div_ceil(64);
                for i in first..last {
                    page[bits_at + (i / 8) as usize] |= 0x80 >> (i % 8);
                }
            };
            set(start, if n % 8 == 0 { 0x400 } else { 0x200 });
            for &(off, len) in &self.allocations {
                if off >= start && off < start + AMAP_SPAN {
                    set(off, len);
                }
            }
            let ones: u64 = page[bits_at..bits_at + 496]
                .iter()
                .map(|b| u64::from(b.count_ones()))
                .sum();
            free += (496 * 8 - ones) * 64;
            seal_page(&mut page, f, PageType::AMap, Bid(start), Ib(start));
            self.file[start as usize..start as usize + f.page_size].copy_from_slice(&page);
            if n % 8 == 0 {
                let mut pmap = vec![0u8; f.page_size];
                pmap[bits_at..bits_at + 496].fill(0xFF);
                let at = start + 0x200;
                seal_page(&mut pmap, f, PageType::PMap, Bid(at), Ib(at));
                self.file[at as usize..at as usize + f.page_size].copy_from_slice(&pmap);
            }
        }
        (eof, FIRST_AMAP + (spans - 1) * AMAP_SPAN, free)
    }
}

fn write_id(b: &mut [u8], width: usize, v: u64) {
    if width == 4 {
        LE::write_u32(b, v as u32);
    } else {
        LE::write_u64(b, v);
    }
}
