//! Pages and their trailers ([MS-PST] 2.2.2.7), and B-tree pages.

use byteorder::{ByteOrder, LittleEndian as LE};

use crate::crc::crc;
use crate::error::{NdbError, Problem, Result, Structure};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{BRef, Bid, Format, Ib, Variant};

/// The `ptype` of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageType {
    /// Block B-tree page.
    Bbt,
    /// Node B-tree page.
    Nbt,
    /// Free map.
    FMap,
    /// Page map.
    PMap,
    /// Allocation map.
    AMap,
    /// Free page map.
    FPMap,
    /// Density list.
    DList,
}

impl PageType {
    /// The trailer byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::Bbt => 0x80,
            Self::Nbt => 0x81,
            Self::FMap => 0x82,
            Self::PMap => 0x83,
            Self::AMap => 0x84,
            Self::FPMap => 0x85,
            Self::DList => 0x86,
        }
    }

    /// Allocation-map pages carry a zero signature and their own offset as id.
    pub(crate) fn is_map(self) -> bool {
        matches!(self, Self::FMap | Self::PMap | Self::AMap | Self::FPMap)
    }

    /// The structure name used in errors.
    pub fn structure(self) -> Structure {
        match self {
            Self::Bbt => Structure::BbtPage,
            Self::Nbt => Structure::NbtPage,
            Self::AMap => Structure::AMapPage,
            Self::PMap | Self::FMap | Self::FPMap => Structure::PMapPage,
            Self::DList => Structure::DListPage,
        }
    }
}

/// `ComputeSig`: the 16-bit signature of a page or block from its offset and id.
pub fn compute_sig(ib: Ib, bid: Bid) -> u16 {
    let v = (ib.0 ^ bid.0) as u32;
    ((v >> 16) ^ (v & 0xFFFF)) as u16
}

/// A decoded page trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageTrailer {
    /// `ptype`.
    pub ptype: u8,
    /// `ptypeRepeat`.
    pub ptype_repeat: u8,
    /// `wSig`.
    pub sig: u16,
    /// `dwCRC`.
    pub crc: u32,
    /// `bid`.
    pub bid: Bid,
}

impl PageTrailer {
    /// Reads the trailer at the end of a whole page.
    pub fn parse(page: &[u8], f: Format) -> PageTrailer {
        let t = &page[f.page_body()..];
        let (crc, bid) = match f.variant {
            Variant::Ansi => (LE::read_u32(&t[8..]), u64::from(LE::read_u32(&t[4..]))),
            Variant::Unicode | Variant::Unicode4k => (LE::read_u32(&t[4..]), LE::read_u64(&t[8..])),
        };
        PageTrailer {
            ptype: t[0],
            ptype_repeat: t[1],
            sig: LE::read_u16(&t[2..]),
            crc,
            bid: Bid(bid),
        }
    }

    /// Writes this trailer into the end of a whole page.
    pub fn write(&self, page: &mut [u8], f: Format) {
        let t = &mut page[f.page_body()..];
        t[0] = self.ptype;
        t[1] = self.ptype_repeat;
        LE::write_u16(&mut t[2..], self.sig);
        match f.variant {
            Variant::Ansi => {
                LE::write_u32(&mut t[4..], self.bid.0 as u32);
                LE::write_u32(&mut t[8..], self.crc);
            }
            Variant::Unicode | Variant::Unicode4k => {
                LE::write_u32(&mut t[4..], self.crc);
                LE::write_u64(&mut t[8..], self.bid.0);
            }
        }
    }
}

/// Slices the page at `ib` out of `data` and checks its trailer: type, CRC,
/// signature and (when given) id.
pub fn read_page(
    data: &[u8],
    f: Format,
    ib: Ib,
    ptype: PageType,
    expected_bid: Option<Bid>,
) -> Result<&[u8]> {
    read_page_in(data, f, ib, ptype, expected_bid, None)
}

/// Remembers which pages of a file passed their CRC, so lookups that read
/// the same upper B-tree pages again and again check each CRC once, and
/// where the last lookup of each tree ended, so neighbouring keys skip the
/// descent. Both are hints: a wrong one costs a full read, never a result.
pub(crate) struct PageCache {
    verified: Box<[AtomicU64]>,
    /// Per reading thread (a few slots) and tree (0 NBT, 1 BBT): the leaf
    /// page the last descent ended on, with the keys for which a descent
    /// ends there. Threads walking a file in different orders (the two
    /// verify passes, export workers) would otherwise evict each other's
    /// hint on every lookup.
    last_leaf: [HintSlot; HINT_SLOTS],
    /// 2 MiB windows of the file read since the last release. A fault maps
    /// at most the page-cache folio it hits (recent kernels map a large
    /// folio whole), and folios are at most 2 MiB and aligned to their
    /// size: these windows bound the file pages a map holds.
    windows: Box<[AtomicU64]>,
    /// Bytes of windows marked since the last release.
    mapped: AtomicU64,
    /// Set when `mapped` passed the limit; taken by the file's reader.
    release_due: std::sync::atomic::AtomicBool,
}

/// Leaf hints kept per file: threads beyond this share slots.
const HINT_SLOTS: usize = 4;

/// One thread's leaf hints, on cache lines of its own.
#[derive(Default)]
#[repr(align(128))]
struct HintSlot([std::sync::Mutex<Option<LeafHint>>; 2]);

/// This thread's hint slot: threads take slots in the order they first
/// look something up.
fn hint_slot() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed) % HINT_SLOTS;
    }
    SLOT.with(|s| *s)
}

/// Mapped file bytes between two releases of a map's pages.
pub(crate) const RELEASE_WINDOW: u64 = 16 << 20;

/// The granule of [`PageCache`]'s mapped-memory accounting.
const WINDOW: u64 = 2 << 20;

impl PageCache {
    /// A cache for a file of `len` bytes: one bit per 512 bytes, and one
    /// per 2 MiB window.
    pub fn new(len: u64) -> PageCache {
        let words = (len / 512).div_ceil(64) as usize;
        let windows = len.div_ceil(WINDOW).div_ceil(64) as usize;
        PageCache {
            verified: (0..words).map(|_| AtomicU64::new(0)).collect(),
            last_leaf: Default::default(),
            windows: (0..windows).map(|_| AtomicU64::new(0)).collect(),
            mapped: AtomicU64::new(0),
            release_due: Default::default(),
        }
    }

    /// Notes a read of `len` bytes at `at`. Once the windows read since the
    /// last release exceed [`RELEASE_WINDOW`], forgets them and marks a
    /// release due ([`PageCache::take_release`]).
    pub(crate) fn touch(&self, at: u64, len: u64) {
        // `at` may come from a damaged file (a read is noted before its
        // bounds are checked): windows past the file's end are ignored.
        let first = at / WINDOW;
        let last = at.saturating_add(len.max(1) - 1) / WINDOW;
        let mut fresh = 0;
        for w in first..=last {
            let Some(word) = self.windows.get((w / 64) as usize) else {
                break;
            };
            let bit = 1u64 << (w % 64);
            // Read before writing: a window already marked (the usual
            // case) costs no write to a line other readers share.
            if word.load(Ordering::Relaxed) & bit == 0
                && word.fetch_or(bit, Ordering::Relaxed) & bit == 0
            {
                fresh += WINDOW;
            }
        }
        if fresh == 0 || self.mapped.fetch_add(fresh, Ordering::Relaxed) + fresh <= RELEASE_WINDOW {
            return;
        }
        self.mapped.store(0, Ordering::Relaxed);
        for w in self.windows.iter() {
            w.store(0, Ordering::Relaxed);
        }
        self.release_due.store(true, Ordering::Relaxed);
    }

    /// Whether the map's pages should be released now (once per time due).
    pub(crate) fn take_release(&self) -> bool {
        // Asked on every lookup: a plain read unless a release is due.
        self.release_due.load(Ordering::Relaxed) && self.release_due.swap(false, Ordering::Relaxed)
    }

    fn slot(&self, ib: Ib) -> Option<(&AtomicU64, u64)> {
        let unit = ib.0 / 512;
        let w = self.verified.get((unit / 64) as usize)?;
        Some((w, 1 << (unit % 64)))
    }

    fn is_verified(&self, ib: Ib) -> bool {
        ib.0.is_multiple_of(512)
            && self
                .slot(ib)
                .is_some_and(|(w, bit)| w.load(Ordering::Relaxed) & bit != 0)
    }

    fn set_verified(&self, ib: Ib) {
        if ib.0.is_multiple_of(512) {
            if let Some((w, bit)) = self.slot(ib) {
                if w.load(Ordering::Relaxed) & bit == 0 {
                    w.fetch_or(bit, Ordering::Relaxed);
                }
            }
        }
    }

    /// The leaf the last descent in tree `tree` ended on.
    pub(crate) fn last_leaf(&self, tree: usize) -> Option<LeafHint> {
        self.last_leaf[hint_slot()].0[tree]
            .lock()
            .ok()
            .and_then(|h| *h)
    }

    pub(crate) fn set_last_leaf(&self, tree: usize, hint: LeafHint) {
        if let Ok(mut h) = self.last_leaf[hint_slot()].0[tree].lock() {
            *h = Some(hint);
        }
    }
}

/// A leaf page and the keys `lo..hi` for which a descent from the root
/// ends on it: for those keys, searching the leaf alone gives what the
/// descent gives, even in a damaged tree whose leaves overlap.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LeafHint {
    pub(crate) leaf: BRef,
    /// The leaf's counts, as read when its page was checked.
    pub(crate) info: BtPageInfo,
    pub(crate) lo: u64,
    pub(crate) hi: u64,
}

/// As [`read_page`]; with a cache, a page whose CRC was checked before is
/// not checked again (its type, id and signature still are).
pub(crate) fn read_page_in<'d>(
    data: &'d [u8],
    f: Format,
    ib: Ib,
    ptype: PageType,
    expected_bid: Option<Bid>,
    cache: Option<&PageCache>,
) -> Result<&'d [u8]> {
    let structure = ptype.structure();
    let err = |id: Option<u64>, problem| NdbError::corrupt(structure, id, Some(ib.0), problem);
    let want = expected_bid.map(|b| b.0);
    let end = ib.0.checked_add(f.page_size as u64);
    let len = data.len() as u64;
    let Some(end) = end.filter(|&e| e <= len) else {
        return Err(err(
            want,
            Problem::Truncated {
                needed: f.page_size as u64,
                available: len.saturating_sub(ib.0),
            },
        ));
    };
    let page = &data[ib.0 as usize..end as usize];
    if let Some(c) = cache {
        c.touch(ib.0, f.page_size as u64);
    }
    let t = PageTrailer::parse(page, f);
    if t.ptype != ptype.byte() || t.ptype_repeat != t.ptype {
        return Err(err(
            want,
            Problem::PageType {
                expected: ptype.byte(),
                found: t.ptype,
                repeat: t.ptype_repeat,
            },
        ));
    }
    let known = cache.is_some_and(|c| c.is_verified(ib));
    let computed = if known {
        t.crc
    } else {
        crc(&page[..f.page_body()])
    };
    if computed != t.crc {
        return Err(err(
            Some(t.bid.0),
            Problem::Crc {
                stored: t.crc,
                computed,
            },
        ));
    }
    if let Some(b) = expected_bid {
        if b != t.bid {
            return Err(err(
                want,
                Problem::IdMismatch {
                    expected: b.0,
                    found: t.bid.0,
                },
            ));
        }
    }
    let sig = if ptype.is_map() {
        0
    } else {
        compute_sig(ib, t.bid)
    };
    if sig != t.sig {
        return Err(err(
            Some(t.bid.0),
            Problem::Signature {
                stored: t.sig,
                computed: sig,
            },
        ));
    }
    if let (Some(c), false) = (cache, known) {
        c.set_verified(ib);
    }
    Ok(page)
}

/// The metadata of a B-tree page (the fields after its entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BtPageInfo {
    /// Number of entries in use.
    pub count: usize,
    /// Capacity.
    pub max: usize,
    /// Stride between entries.
    pub entry_size: usize,
    /// 0 for leaves.
    pub level: u8,
}

impl BtPageInfo {
    /// Reads the counts of a whole B-tree page as they are, without judging
    /// them (the recovery scan salvages pages whose counts are wrong).
    pub(crate) fn read_raw(page: &[u8], f: Format) -> BtPageInfo {
        let o = f.bt_entries_size();
        let (count, max, rest) = if f.bt_count_size == 2 {
            (
                usize::from(LE::read_u16(&page[o..])),
                usize::from(LE::read_u16(&page[o + 2..])),
                o + 4,
            )
        } else {
            (usize::from(page[o]), usize::from(page[o + 1]), o + 2)
        };
        BtPageInfo {
            count,
            max,
            entry_size: usize::from(page[rest]),
            level: page[rest + 1],
        }
    }

    /// Reads the counts of a whole B-tree page and checks them against the page.
    pub fn parse(page: &[u8], f: Format, natural_entry: usize) -> Result<BtPageInfo, Problem> {
        let o = f.bt_entries_size();
        let info = BtPageInfo::read_raw(page, f);
        if info.entry_size < natural_entry {
            return Err(Problem::Size {
                what: "B-tree entry size (cbEnt)",
                expected: natural_entry as u64,
                found: info.entry_size as u64,
            });
        }
        if info.count > info.max || info.count * info.entry_size > o {
            return Err(Problem::Size {
                what: "B-tree entry count (cEnt)",
                expected: (o / info.entry_size).min(info.max) as u64,
                found: info.count as u64,
            });
        }
        Ok(info)
    }

    /// Writes the counts into a whole page.
    pub fn write(&self, page: &mut [u8], f: Format) {
        let o = f.bt_entries_size();
        let rest = if f.bt_count_size == 2 {
            LE::write_u16(&mut page[o..], self.count as u16);
            LE::write_u16(&mut page[o + 2..], self.max as u16);
            o + 4
        } else {
            page[o] = self.count as u8;
            page[o + 1] = self.max as u8;
            o + 2
        };
        page[rest] = self.entry_size as u8;
        page[rest + 1] = self.level;
    }
}

// Thousands of bits and counters: what they add up to.
impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("pages", &(self.verified.len() * 64))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lookups check each B-tree page's CRC once and remember it by the
    /// page's place: no other page's check may stand for a damaged one's.
    #[test]
    fn a_damaged_page_is_checked_whatever_pages_were_verified_before() {
        use crate::btree::{BbtEntry, BtPage};
        use crate::write::NdbWriter;
        use crate::{CryptMethod, FileKind, NdbFile};
        let f = Format::UNICODE;
        let mut w = NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst);
        // Enough blocks for about 160 pages, in a file of several MiB: the
        // cache's words and bits are then all in play.
        let bids: Vec<Bid> = (0..3000u32)
            .map(|i| w.add_block(&i.to_le_bytes().repeat(256)).unwrap())
            .collect();
        let mut bytes = w.finish_bytes();
        // The leaf holding the middle block, found by descending.
        let file = NdbFile::new(&bytes[..]).unwrap();
        let target = bids[1500];
        let mut page = BtPage::read::<BbtEntry>(&bytes, f, file.header().root.bbt, None).unwrap();
        while page.info.level > 0 {
            let mut i = 0;
            while i + 1 < page.info.count && page.branch(i + 1).key <= target.0 {
                i += 1;
            }
            page = BtPage::read::<BbtEntry>(&bytes, f, page.branch(i).child, None).unwrap();
        }
        let leaf = page.bref;
        let in_leaf: Vec<Bid> = (0..page.info.count)
            .map(|i| page.leaf::<BbtEntry>(i).bref.bid)
            .collect();
        assert!(in_leaf.contains(&target));
        drop(file);
        // Damage one byte of the leaf's entries, not its trailer.
        bytes[leaf.ib.0 as usize + 10] ^= 0x40;
        let file = NdbFile::new(&bytes[..]).unwrap();
        for &bid in bids.iter().filter(|b| !in_leaf.contains(b)) {
            file.ndb().block_entry(bid).unwrap();
        }
        for _ in 0..2 {
            let e = file.ndb().block_entry(target).unwrap_err();
            let c = e.corruption().unwrap();
            assert_eq!((c.id, c.offset), (Some(leaf.bid.0), Some(leaf.ib.0)));
            assert!(matches!(c.problem, Problem::Crc { .. }), "{c}");
        }
    }

    #[test]
    fn map_pages_carry_a_zero_signature() {
        let maps = [
            PageType::AMap,
            PageType::PMap,
            PageType::FMap,
            PageType::FPMap,
        ];
        for t in [PageType::Nbt, PageType::Bbt, PageType::DList] {
            assert!(!t.is_map(), "{t:?}");
        }
        let f = Format::UNICODE;
        for t in maps {
            assert!(t.is_map(), "{t:?}");
            let mut page = vec![0u8; f.page_size];
            crate::write::seal_page(&mut page, f, t, Bid(0x4400), Ib(0x4400));
            assert_eq!(PageTrailer::parse(&page, f).sig, 0, "{t:?}");
            let mut data = vec![0u8; 0x4400];
            data.extend(&page);
            read_page(&data, f, Ib(0x4400), t, None).unwrap();
        }
        // A B-tree page's signature is computed from its place and id.
        let mut page = vec![0u8; f.page_size];
        crate::write::seal_page(&mut page, f, PageType::Nbt, Bid(0x21), Ib(0x4600));
        assert_eq!(
            PageTrailer::parse(&page, f).sig,
            compute_sig(Ib(0x4600), Bid(0x21))
        );
    }

    #[test]
    fn noting_reads_anywhere_is_safe_and_bounded() {
        let c = PageCache::new(10 << 20);
        // Offsets a damaged file may hold: past the end, at the very end of
        // the address space.
        c.touch(u64::MAX - 10, 4096);
        c.touch(u64::MAX, 0);
        c.touch(1 << 40, 512);
        assert!(!c.take_release());
        // Five 2 MiB windows cover a 10 MiB file: far below the release
        // limit, however often they are read.
        for round in 0..100u64 {
            c.touch(round * 100_000 % (10 << 20), 8192);
        }
        assert!(!c.take_release());
    }

    #[test]
    fn a_release_falls_due_after_the_limit_and_once() {
        let c = PageCache::new(1 << 30);
        let mut due = 0;
        for w in 0..(RELEASE_WINDOW / WINDOW) * 3 {
            c.touch(w * WINDOW, 512);
            due += usize::from(c.take_release());
        }
        assert_eq!(due, 2);
        // Windows read before a release count again after it.
        c.touch(0, 512);
        assert!(!c.take_release());
    }

    #[test]
    fn a_cache_shows_how_many_pages_it_can_remember() {
        // One bit per 512 bytes: 2,048 for a MiB.
        let c = PageCache::new(1 << 20);
        assert_eq!(format!("{c:?}"), "PageCache { pages: 2048, .. }");
    }

    /// An entry count past what fits is told with the count that does:
    /// the smaller of the page's room and its own `cEntMax`.
    #[test]
    fn an_entry_count_past_the_page_s_room_is_told_with_the_room() {
        let f = Format::UNICODE;
        let mut page = vec![0u8; f.page_size];
        // 24-byte entries: 20 fit in the 488 bytes, 30 claimed to.
        let at_edge = BtPageInfo {
            count: 20,
            max: 30,
            entry_size: 24,
            level: 0,
        };
        at_edge.write(&mut page, f);
        assert_eq!(BtPageInfo::parse(&page, f, 24).unwrap().count, 20);
        let mut told = |count, max| {
            BtPageInfo {
                count,
                max,
                ..at_edge
            }
            .write(&mut page, f);
            match BtPageInfo::parse(&page, f, 24) {
                Err(Problem::Size {
                    expected, found, ..
                }) => (expected, found),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(told(21, 30), (20, 21));
        // Where `cEntMax` is the smaller, it is the count told.
        assert_eq!(told(16, 15), (15, 16));
    }
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn page_parsers_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..9000),
            ib in 0u64..10000,
            bid in any::<u64>(),
        ) {
            for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
                for t in [PageType::Nbt, PageType::Bbt, PageType::AMap] {
                    let _ = read_page(&data, f, Ib(ib), t, Some(Bid(bid)));
                }
                if data.len() >= f.page_size {
                    let page = &data[..f.page_size];
                    let _ = PageTrailer::parse(page, f);
                    let _ = BtPageInfo::parse(page, f, 8);
                }
                let root = crate::BRef { bid: Bid(bid), ib: Ib(ib) };
                let _ = crate::btree::lookup::<crate::NbtEntry>(&data, f, root, bid);
                let _ = crate::btree::BTreeIter::<crate::BbtEntry>::new(&data, f, root).take(50).count();
            }
        }

        /// Pages that pass their CRC but hold arbitrary counts and entries.
        #[test]
        fn sealed_garbage_pages_never_panic(body in proptest::collection::vec(any::<u8>(), 496..=496), level in 0u8..3) {
            let f = Format::UNICODE;
            let mut data = vec![0u8; 1024];
            data[512..1008].copy_from_slice(&body);
            data[512 + 491] = level;
            let ib = Ib(512);
            let bid = Bid(7);
            crate::write::seal_page(&mut data[512..], f, PageType::Nbt, bid, ib);
            let root = crate::BRef { bid, ib };
            let _ = crate::btree::lookup::<crate::NbtEntry>(&data, f, root, 0x21);
            let _ = crate::btree::BTreeIter::<crate::NbtEntry>::new(&data, f, root).take(100).count();
        }
    }

    #[test]
    fn signature_vectors() {
        assert_eq!(compute_sig(Ib(0x8200), Bid(0x206)), 0x8006);
        assert_eq!(compute_sig(Ib(0x7000), Bid(0x6B)), 0x706B);
        assert_eq!(compute_sig(Ib(0x900200), Bid(0x246)), 0x00D6);
        assert_eq!(compute_sig(Ib(0x5A6600), Bid(0x162)), 0x6738);
        assert_eq!(compute_sig(Ib(0x594D80), Bid(0x1386)), 0x5E5F);
        assert_eq!(compute_sig(Ib(0x4200), Bid(0x17F)), 0x437F);
    }

    #[test]
    fn spec_sample_trailer() {
        // MS-PST 3.3: the trailer of the intermediate NBT page at 0x8200.
        let mut page = vec![0u8; 512];
        page[496..].copy_from_slice(&[
            0x81, 0x81, 0x06, 0x80, 0x64, 0xB1, 0xE8, 0x02, 0x06, 0x02, 0, 0, 0, 0, 0, 0,
        ]);
        let t = PageTrailer::parse(&page, Format::UNICODE);
        assert_eq!(t.ptype, 0x81);
        assert_eq!(t.sig, 0x8006);
        assert_eq!(t.crc, 0x02E8_B164);
        assert_eq!(t.bid, Bid(0x206));
        let mut again = vec![0u8; 512];
        t.write(&mut again, Format::UNICODE);
        assert_eq!(again, page);
    }

    #[test]
    fn trailer_round_trip_all_variants() {
        for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
            let t = PageTrailer {
                ptype: 0x80,
                ptype_repeat: 0x80,
                sig: 0x1234,
                crc: 0xDEAD_BEEF,
                bid: Bid(0x4321),
            };
            let mut page = vec![0u8; f.page_size];
            t.write(&mut page, f);
            assert_eq!(PageTrailer::parse(&page, f), t);
            let info = BtPageInfo {
                count: 3,
                max: 20,
                entry_size: 24,
                level: 1,
            };
            info.write(&mut page, f);
            assert_eq!(BtPageInfo::parse(&page, f, 24).unwrap(), info);
        }
    }

    #[test]
    fn read_page_checks_everything() {
        let f = Format::UNICODE;
        let mut file = vec![0u8; 1024];
        let ib = Ib(512);
        let bid = Bid(0x206);
        {
            let page = &mut file[512..];
            page[0] = 7;
            let t = PageTrailer {
                ptype: 0x81,
                ptype_repeat: 0x81,
                sig: compute_sig(ib, bid),
                crc: crc(&page[..496]),
                bid,
            };
            t.write(page, f);
        }
        assert!(read_page(&file, f, ib, PageType::Nbt, Some(bid)).is_ok());
        let e = read_page(&file, f, ib, PageType::Bbt, None).unwrap_err();
        assert!(e.to_string().contains("page type"), "{e}");
        let e = read_page(&file, f, ib, PageType::Nbt, Some(Bid(5))).unwrap_err();
        assert!(e.to_string().contains("id mismatch"), "{e}");
        let e = read_page(&file, f, Ib(600), PageType::Nbt, None).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        file[513] = 1;
        let e = read_page(&file, f, ib, PageType::Nbt, Some(bid)).unwrap_err();
        assert!(e.to_string().contains("CRC mismatch"), "{e}");
        assert!(e.to_string().contains("at offset 0x200"), "{e}");
    }
}
