//! The node and block B-trees ([MS-PST] 2.2.2.7.7): lookup by key in O(log n)
//! and lazy in-order iteration, one generic walker for both trees.

use byteorder::{ByteOrder, LittleEndian as LE};

use crate::error::{NdbError, Problem, Result};
use crate::page::{read_page_in, BtPageInfo, LeafHint, PageCache, PageType};
use crate::{BRef, Bid, Format, Ib, Nid, Variant};

/// Deepest tree accepted; [MS-PST] trees have at most 8 intermediate levels.
pub const MAX_LEVEL: u8 = 8;

/// A leaf entry type of a B-tree.
pub trait LeafEntry: Sized + Copy {
    /// The page type of the tree's pages.
    const PAGE: PageType;
    /// Natural size of the entry in the given format.
    fn size(f: Format) -> usize;
    /// Decodes one entry (the slice holds at least `size(f)` bytes).
    fn parse(b: &[u8], f: Format) -> Self;
    /// Encodes the entry into `b` (at least `size(f)` bytes).
    fn write(&self, b: &mut [u8], f: Format);
    /// The search key.
    fn key(&self) -> u64;
    /// The search key of the entry encoded in `b`, read without parsing
    /// the rest (binary searches read many keys and one entry).
    fn key_at(b: &[u8], f: Format) -> u64 {
        Self::parse(b, f).key()
    }
}

/// The first id of an entry: 4 bytes in ANSI files, 8 elsewhere.
fn first_id(b: &[u8], f: Format) -> u64 {
    match f.variant {
        Variant::Ansi => u64::from(LE::read_u32(b)),
        _ => LE::read_u64(b),
    }
}

/// A node B-tree leaf entry: where a node's data and subnodes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NbtEntry {
    /// The node.
    pub nid: Nid,
    /// Block (or data tree) of the node's data; 0 for an empty node.
    pub data: Bid,
    /// Subnode tree, or 0.
    pub sub: Bid,
    /// The parent folder for folders and messages.
    pub parent: Nid,
}

impl LeafEntry for NbtEntry {
    const PAGE: PageType = PageType::Nbt;
    fn size(f: Format) -> usize {
        f.nbtentry_size()
    }
    fn parse(b: &[u8], f: Format) -> Self {
        match f.variant {
            Variant::Ansi => NbtEntry {
                nid: Nid(LE::read_u32(b)),
                data: Bid(u64::from(LE::read_u32(&b[4..]))),
                sub: Bid(u64::from(LE::read_u32(&b[8..]))),
                parent: Nid(LE::read_u32(&b[12..])),
            },
            _ => NbtEntry {
                nid: Nid(LE::read_u64(b) as u32),
                data: Bid(LE::read_u64(&b[8..])),
                sub: Bid(LE::read_u64(&b[16..])),
                parent: Nid(LE::read_u32(&b[24..])),
            },
        }
    }
    fn write(&self, b: &mut [u8], f: Format) {
        match f.variant {
            Variant::Ansi => {
                LE::write_u32(b, self.nid.0);
                LE::write_u32(&mut b[4..], self.data.0 as u32);
                LE::write_u32(&mut b[8..], self.sub.0 as u32);
                LE::write_u32(&mut b[12..], self.parent.0);
            }
            _ => {
                LE::write_u64(b, u64::from(self.nid.0));
                LE::write_u64(&mut b[8..], self.data.0);
                LE::write_u64(&mut b[16..], self.sub.0);
                LE::write_u32(&mut b[24..], self.parent.0);
                LE::write_u32(&mut b[28..], 0);
            }
        }
    }
    fn key(&self) -> u64 {
        u64::from(self.nid.0)
    }
    fn key_at(b: &[u8], f: Format) -> u64 {
        // Node ids are 32 bits, also where the field is 64.
        first_id(b, f) & 0xFFFF_FFFF
    }
}

/// A block B-tree leaf entry: where a block is and how large.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BbtEntry {
    /// The block id and offset.
    pub bref: BRef,
    /// Stored bytes (after encoding and compression).
    pub cb: u16,
    /// Reference count.
    pub refs: u16,
    /// Inflated size (4K files; equals `cb` elsewhere).
    pub inflated: u16,
}

impl LeafEntry for BbtEntry {
    const PAGE: PageType = PageType::Bbt;
    fn size(f: Format) -> usize {
        f.bbtentry_size()
    }
    fn parse(b: &[u8], f: Format) -> Self {
        match f.variant {
            Variant::Ansi => {
                let cb = LE::read_u16(&b[8..]);
                BbtEntry {
                    bref: BRef {
                        bid: Bid(u64::from(LE::read_u32(b))),
                        ib: Ib(u64::from(LE::read_u32(&b[4..]))),
                    },
                    cb,
                    refs: LE::read_u16(&b[10..]),
                    inflated: cb,
                }
            }
            Variant::Unicode => {
                let cb = LE::read_u16(&b[16..]);
                BbtEntry {
                    bref: BRef {
                        bid: Bid(LE::read_u64(b)),
                        ib: Ib(LE::read_u64(&b[8..])),
                    },
                    cb,
                    refs: LE::read_u16(&b[18..]),
                    inflated: cb,
                }
            }
            Variant::Unicode4k => BbtEntry {
                bref: BRef {
                    bid: Bid(LE::read_u64(b)),
                    ib: Ib(LE::read_u64(&b[8..])),
                },
                cb: LE::read_u16(&b[16..]),
                inflated: LE::read_u16(&b[18..]),
                refs: LE::read_u16(&b[20..]),
            },
        }
    }
    fn write(&self, b: &mut [u8], f: Format) {
        match f.variant {
            Variant::Ansi => {
                LE::write_u32(b, self.bref.bid.0 as u32);
                LE::write_u32(&mut b[4..], self.bref.ib.0 as u32);
                LE::write_u16(&mut b[8..], self.cb);
                LE::write_u16(&mut b[10..], self.refs);
            }
            Variant::Unicode => {
                LE::write_u64(b, self.bref.bid.0);
                LE::write_u64(&mut b[8..], self.bref.ib.0);
                LE::write_u16(&mut b[16..], self.cb);
                LE::write_u16(&mut b[18..], self.refs);
                LE::write_u32(&mut b[20..], 0);
            }
            Variant::Unicode4k => {
                LE::write_u64(b, self.bref.bid.0);
                LE::write_u64(&mut b[8..], self.bref.ib.0);
                LE::write_u16(&mut b[16..], self.cb);
                LE::write_u16(&mut b[18..], self.inflated);
                LE::write_u16(&mut b[20..], self.refs);
                LE::write_u16(&mut b[22..], 0);
            }
        }
    }
    fn key(&self) -> u64 {
        self.bref.bid.key().0
    }
    fn key_at(b: &[u8], f: Format) -> u64 {
        Bid(first_id(b, f)).key().0
    }
}

/// An intermediate entry: the smallest key below a child page and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BtEntry {
    /// Smallest key in the child.
    pub key: u64,
    /// The child page.
    pub child: BRef,
}

impl BtEntry {
    /// Decodes an intermediate entry.
    pub fn parse(b: &[u8], f: Format) -> Self {
        if f.id_size == 4 {
            BtEntry {
                key: u64::from(LE::read_u32(b)),
                child: BRef {
                    bid: Bid(u64::from(LE::read_u32(&b[4..]))),
                    ib: Ib(u64::from(LE::read_u32(&b[8..]))),
                },
            }
        } else {
            BtEntry {
                key: LE::read_u64(b),
                child: BRef {
                    bid: Bid(LE::read_u64(&b[8..])),
                    ib: Ib(LE::read_u64(&b[16..])),
                },
            }
        }
    }

    /// Encodes an intermediate entry.
    pub fn write(&self, b: &mut [u8], f: Format) {
        if f.id_size == 4 {
            LE::write_u32(b, self.key as u32);
            LE::write_u32(&mut b[4..], self.child.bid.0 as u32);
            LE::write_u32(&mut b[8..], self.child.ib.0 as u32);
        } else {
            LE::write_u64(b, self.key);
            LE::write_u64(&mut b[8..], self.child.bid.0);
            LE::write_u64(&mut b[16..], self.child.ib.0);
        }
    }
}

/// One verified B-tree page.
#[derive(Clone, Copy, Debug)]
pub struct BtPage<'a> {
    /// The whole page.
    pub bytes: &'a [u8],
    /// Where it is.
    pub bref: BRef,
    /// Its counts and level.
    pub info: BtPageInfo,
    format: Format,
}

impl<'a> BtPage<'a> {
    /// Reads and verifies the page `bref` of a tree of `E` entries. `level`,
    /// when given, is the level the parent implies.
    pub fn read<E: LeafEntry>(
        data: &'a [u8],
        f: Format,
        bref: BRef,
        level: Option<u8>,
    ) -> Result<Self> {
        Self::read_in::<E>(data, f, bref, level, None)
    }

    /// As [`BtPage::read`], through a cache of pages already verified.
    pub(crate) fn read_in<E: LeafEntry>(
        data: &'a [u8],
        f: Format,
        bref: BRef,
        level: Option<u8>,
        cache: Option<&PageCache>,
    ) -> Result<Self> {
        let bytes = read_page_in(data, f, bref.ib, E::PAGE, Some(bref.bid), cache)?;
        let err = |p| NdbError::corrupt(E::PAGE.structure(), Some(bref.bid.0), Some(bref.ib.0), p);
        let peek = bytes[f.bt_entries_size() + 2 * f.bt_count_size + 1];
        let natural = if peek == 0 {
            E::size(f)
        } else {
            f.btentry_size()
        };
        let info = BtPageInfo::parse(bytes, f, natural).map_err(err)?;
        if info.level > MAX_LEVEL {
            return Err(err(Problem::Size {
                what: "B-tree level",
                expected: u64::from(MAX_LEVEL),
                found: u64::from(info.level),
            }));
        }
        if let Some(l) = level {
            if l != info.level {
                return Err(err(Problem::Size {
                    what: "B-tree level",
                    expected: u64::from(l),
                    found: u64::from(info.level),
                }));
            }
        }
        Ok(BtPage {
            bytes,
            bref,
            info,
            format: f,
        })
    }

    /// The leaf a hint names, as it was read when the hint was set.
    fn known(data: &'a [u8], f: Format, h: &LeafHint, cache: &PageCache) -> Option<Self> {
        let start = usize::try_from(h.leaf.ib.0).ok()?;
        let bytes = data.get(start..start.checked_add(f.page_size)?)?;
        cache.touch(h.leaf.ib.0, f.page_size as u64);
        Some(BtPage {
            bytes,
            bref: h.leaf,
            info: h.info,
            format: f,
        })
    }

    fn entry_bytes(&self, i: usize) -> &'a [u8] {
        let s = i * self.info.entry_size;
        &self.bytes[s..s + self.info.entry_size]
    }

    /// The i-th intermediate entry (for `level > 0`).
    pub fn branch(&self, i: usize) -> BtEntry {
        BtEntry::parse(self.entry_bytes(i), self.format)
    }

    /// The i-th leaf entry (for `level == 0`).
    pub fn leaf<E: LeafEntry>(&self, i: usize) -> E {
        E::parse(self.entry_bytes(i), self.format)
    }

    /// The key of entry `i`, whatever the level.
    pub fn key<E: LeafEntry>(&self, i: usize) -> u64 {
        if self.info.level == 0 {
            E::key_at(self.entry_bytes(i), self.format)
        } else {
            first_id(self.entry_bytes(i), self.format)
        }
    }
}

/// Finds the leaf entry with `key`, descending from `root`.
pub fn lookup<E: LeafEntry>(data: &[u8], f: Format, root: BRef, key: u64) -> Result<Option<E>> {
    lookup_in::<E>(data, f, root, key, None)
}

/// As [`lookup`], through a page cache: each page's CRC is checked once,
/// and a key for which a descent would end on the leaf page the previous
/// lookup of the same tree ended on is found there without descending
/// (keys of a message's blocks are neighbours, so most lookups of a copy
/// take this path). The answer is the descent's, whatever came before.
pub(crate) fn lookup_in<E: LeafEntry>(
    data: &[u8],
    f: Format,
    root: BRef,
    key: u64,
    cache: Option<(&PageCache, usize)>,
) -> Result<Option<E>> {
    let pages = cache.map(|c| c.0);
    // The leaf search, the same whether the leaf came from the hint or
    // from the descent.
    let in_leaf = |page: &BtPage<'_>, pos: usize| -> Option<E> {
        if pos == 0 {
            return None;
        }
        let e = page.leaf::<E>(pos - 1);
        (e.key() == key).then_some(e)
    };
    if let Some((c, tree)) = cache {
        if let Some(h) = c.last_leaf(tree).filter(|h| h.lo <= key && key < h.hi) {
            // The leaf was read and checked (type, CRC, id, signature,
            // counts) when the hint was set, and the mapped bytes do not
            // change: it is used as it was read. `known` fails only for a
            // leaf outside the file, which the descent that set the hint
            // could not have read; the descent below would say so.
            if let Some(page) = BtPage::known(data, f, &h, c) {
                let pos = partition(page.info.count, |i| page.key::<E>(i) <= key);
                return Ok(in_leaf(&page, pos));
            }
        }
    }
    let mut page = BtPage::read_in::<E>(data, f, root, None, pages)?;
    // The keys for which a descent follows the same path as this one.
    let (mut lo, mut hi) = (0u64, u64::MAX);
    loop {
        let n = page.info.count;
        // First entry whose key is greater than the one sought.
        let pos = partition(n, |i| page.key::<E>(i) <= key);
        if page.info.level == 0 {
            if let Some((c, tree)) = cache {
                c.set_last_leaf(
                    tree,
                    LeafHint {
                        leaf: page.bref,
                        info: page.info,
                        lo,
                        hi,
                    },
                );
            }
            return Ok(in_leaf(&page, pos));
        }
        if pos == 0 {
            return Ok(None);
        }
        lo = lo.max(page.key::<E>(pos - 1));
        if pos < n {
            hi = hi.min(page.key::<E>(pos));
        }
        let child = page.branch(pos - 1).child;
        page = BtPage::read_in::<E>(data, f, child, Some(page.info.level - 1), pages)?;
    }
}

/// Binary search over `0..n` for the first index where `pred` is false.
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Lazy in-order iterator over the leaf entries of a tree. An unreadable page
/// yields one error and its subtree is skipped; the walk goes on.
pub struct BTreeIter<'a, E> {
    data: &'a [u8],
    format: Format,
    stack: Vec<(BtPage<'a>, usize)>,
    pending: Option<NdbError>,
    _entry: std::marker::PhantomData<E>,
}

impl<'a, E: LeafEntry> BTreeIter<'a, E> {
    /// Starts a walk at `root`.
    pub fn new(data: &'a [u8], format: Format, root: BRef) -> Self {
        let mut it = BTreeIter {
            data,
            format,
            stack: Vec::new(),
            pending: None,
            _entry: std::marker::PhantomData,
        };
        match BtPage::read::<E>(data, format, root, None) {
            Ok(p) => it.stack.push((p, 0)),
            Err(e) => it.pending = Some(e),
        }
        it
    }
}

impl<E: LeafEntry> Iterator for BTreeIter<'_, E> {
    type Item = Result<E>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        loop {
            let (page, pos) = self.stack.last_mut()?;
            if *pos >= page.info.count {
                self.stack.pop();
                continue;
            }
            let i = *pos;
            *pos += 1;
            let page = *page;
            if page.info.level == 0 {
                return Some(Ok(page.leaf::<E>(i)));
            }
            // Levels strictly decrease, so the stack is bounded by MAX_LEVEL
            // and a page cannot lead back to itself.
            let child = page.branch(i).child;
            match BtPage::read::<E>(self.data, self.format, child, Some(page.info.level - 1)) {
                Ok(p) => self.stack.push((p, 0)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<E> std::fmt::Debug for BTreeIter<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BTreeIter")
            .field("depth", &self.stack.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_alone_equal_the_parsed_ones() {
        let mut b = [0u8; 32];
        for seed in 0..200u64 {
            for (k, x) in b.iter_mut().enumerate() {
                *x = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (k % 8 * 8)) as u8 ^ k as u8;
            }
            for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
                assert_eq!(NbtEntry::key_at(&b, f), NbtEntry::parse(&b, f).key());
                assert_eq!(BbtEntry::key_at(&b, f), BbtEntry::parse(&b, f).key());
                assert_eq!(first_id(&b, f), BtEntry::parse(&b, f).key);
            }
        }
    }

    /// An entry type of another tree, with only what a `LeafEntry` must
    /// give: its key is found by parsing.
    #[derive(Clone, Copy)]
    struct Other(u64);

    impl LeafEntry for Other {
        const PAGE: PageType = PageType::Bbt;
        fn size(_: Format) -> usize {
            8
        }
        fn parse(b: &[u8], _: Format) -> Self {
            Other(LE::read_u64(b) >> 3)
        }
        fn write(&self, b: &mut [u8], _: Format) {
            LE::write_u64(b, self.0 << 3);
        }
        fn key(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn a_key_read_alone_is_by_default_the_parsed_one() {
        let mut b = [0u8; 8];
        for key in [0u64, 1, 2, 0x1234, u64::MAX >> 3] {
            Other(key).write(&mut b, Format::UNICODE);
            assert_eq!(Other::key_at(&b, Format::UNICODE), key);
        }
    }

    /// Writes one entry at the start of its slice.
    type WriteEntry = dyn Fn(&mut [u8]);

    /// A file whose one B-tree page, at its second page's place, holds
    /// `entries` (written at a stride of `cb_ent`) at `level`.
    fn one_page(
        f: Format,
        ptype: PageType,
        level: u8,
        cb_ent: usize,
        entries: &[&WriteEntry],
    ) -> (Vec<u8>, BRef) {
        let ib = Ib(f.page_size as u64);
        let bid = Bid(0x20);
        let mut data = vec![0u8; 2 * f.page_size];
        let page = &mut data[f.page_size..];
        for (i, write) in entries.iter().enumerate() {
            write(&mut page[i * cb_ent..]);
        }
        let info = BtPageInfo {
            count: entries.len(),
            max: f.bt_entries_size() / cb_ent,
            entry_size: cb_ent,
            level,
        };
        info.write(page, f);
        crate::write::seal_page(page, f, ptype, bid, ib);
        (data, BRef { bid, ib })
    }

    #[test]
    fn entry_sizes_and_levels_are_checked_at_their_edge() {
        for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
            // A leaf's entries are at least the tree's entry size, an
            // intermediate page's at least an intermediate entry's (which
            // is shorter than a node tree's leaf entry).
            for (level, natural) in [(0, NbtEntry::size(f)), (1, f.btentry_size())] {
                let read = |cb| {
                    let (data, root) = one_page(f, PageType::Nbt, level, cb, &[]);
                    BtPage::read::<NbtEntry>(&data, f, root, None).map(|p| p.info)
                };
                assert_eq!(read(natural).unwrap().entry_size, natural);
                let err = read(natural - 1).unwrap_err();
                assert_eq!(
                    err.corruption().map(|c| &c.problem),
                    Some(&Problem::Size {
                        what: "B-tree entry size (cbEnt)",
                        expected: natural as u64,
                        found: natural as u64 - 1,
                    })
                );
            }
            let read = |level| {
                let (data, root) = one_page(f, PageType::Bbt, level, f.btentry_size(), &[]);
                BtPage::read::<BbtEntry>(&data, f, root, None).map(|p| p.info.level)
            };
            assert_eq!(read(MAX_LEVEL).unwrap(), MAX_LEVEL);
            let err = read(MAX_LEVEL + 1).unwrap_err();
            assert_eq!(
                err.corruption().map(|c| &c.problem),
                Some(&Problem::Size {
                    what: "B-tree level",
                    expected: u64::from(MAX_LEVEL),
                    found: u64::from(MAX_LEVEL + 1),
                })
            );
        }
    }

    #[test]
    fn an_iterator_shows_its_depth() {
        let f = Format::UNICODE;
        let (data, root) = one_page(f, PageType::Nbt, 0, 32, &[]);
        let it = BTreeIter::<NbtEntry>::new(&data, f, root);
        assert_eq!(format!("{it:?}"), "BTreeIter { depth: 1, .. }");
    }

    #[test]
    fn leaf_keys_are_the_entries_keys_not_their_first_bytes() {
        for f in [Format::UNICODE, Format::UNICODE_4K] {
            // A node id is 32 bits in a 64-bit field: what lies above is
            // not part of the key.
            let nbt = |nid: u32, high: u32| {
                move |b: &mut [u8]| {
                    NbtEntry {
                        nid: Nid(nid),
                        data: Bid(4),
                        sub: Bid(0),
                        parent: Nid(0),
                    }
                    .write(b, f);
                    LE::write_u32(&mut b[4..], high);
                }
            };
            let (a, b, c) = (nbt(0x21, 0), nbt(0x42, 0xDEAD), nbt(0x61, 0));
            let (data, root) = one_page(f, PageType::Nbt, 0, 32, &[&a, &b, &c]);
            for nid in [0x21, 0x42, 0x61] {
                let e = lookup::<NbtEntry>(&data, f, root, nid).unwrap();
                assert_eq!(e.map(|e| e.nid), Some(Nid(nid as u32)));
            }
            // A block id is filed without its reserved bit.
            let bbt = |bid: u64| {
                move |b: &mut [u8]| {
                    BbtEntry {
                        bref: BRef {
                            bid: Bid(bid),
                            ib: Ib(0x4400),
                        },
                        cb: 10,
                        refs: 2,
                        inflated: 10,
                    }
                    .write(b, f)
                }
            };
            let (a, b, c) = (bbt(0x10), bbt(0x15), bbt(0x20));
            let (data, root) = one_page(f, PageType::Bbt, 0, 24, &[&a, &b, &c]);
            let e = lookup::<BbtEntry>(&data, f, root, 0x14).unwrap();
            assert_eq!(e.map(|e| e.bref.bid), Some(Bid(0x15)));
        }
    }

    #[test]
    fn entries_round_trip() {
        for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
            let n = NbtEntry {
                nid: Nid(0x8022),
                data: Bid(0x104),
                sub: Bid(0x10A),
                parent: Nid(0x122),
            };
            let mut b = vec![0u8; 32];
            n.write(&mut b, f);
            assert_eq!(NbtEntry::parse(&b, f), n);
            let e = BbtEntry {
                bref: BRef {
                    bid: Bid(0x104),
                    ib: Ib(0x4800),
                },
                cb: 300,
                refs: 2,
                inflated: if f.has_compression() { 900 } else { 300 },
            };
            e.write(&mut b, f);
            assert_eq!(BbtEntry::parse(&b, f), e);
            let t = BtEntry {
                key: 0x21,
                child: e.bref,
            };
            t.write(&mut b, f);
            assert_eq!(BtEntry::parse(&b, f), t);
        }
    }

    #[test]
    fn partition_finds_upper_bound() {
        let keys = [2u64, 3, 5, 7];
        assert_eq!(partition(4, |i| keys[i] <= 1), 0);
        assert_eq!(partition(4, |i| keys[i] <= 5), 3);
        assert_eq!(partition(4, |i| keys[i] <= 9), 4);
    }
}
