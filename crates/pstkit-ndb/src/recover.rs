//! Rebuilding the node and block index from the file itself, for files whose
//! node B-tree (NBT) or block B-tree (BBT) is damaged.
//!
//! The scan reads every page position (one [`Format::page_size`] apart) and
//! every block position (one [`Format::block_align`] apart) and keeps what
//! proves itself through its own trailer:
//!
//! - a B-tree page counts when its type byte is repeated, its signature
//!   matches its offset and page id, and its CRC matches its body. Entries
//!   come from leaf pages only (intermediate pages add nothing a scan does
//!   not find). A leaf whose counts are out of range (`cEnt` above
//!   `cEntMax`, a `cLevel` beyond any tree) is *salvaged*: its entries are
//!   read up to the page's capacity while their keys ascend, and each is
//!   kept only if the blocks it names were found (a BBT entry: a sound
//!   block of that id at that offset; an NBT entry: its data and subnode
//!   blocks, where it has them). A BBT entry of a leaf the header's roots
//!   do not reach is kept on the same condition: Outlook leaves superseded
//!   leaves behind, naming blocks since freed.
//! - a block counts when the signature in the trailer at the end of an
//!   aligned slot matches the offset the trailer's size implies, and the
//!   CRC matches the stored bytes. A block no leaf lists is added with the
//!   id, offset and sizes its trailer gives.
//!
//! Pages and blocks lying where a sound allocation map (ANSI and Unicode
//! files whose header marks the maps valid) says the space is free are
//! stale copies Outlook left behind when it rewrote them, and are dropped;
//! unless deleted items are asked for ([`Free::Keep`]): then they are kept
//! below everything in allocated space, and a node found only in free
//! space is a deleted one ([`RecoveredIndex::deleted`]).
//!
//! Duplicates, the same block id or node id from two places, are resolved
//! by this rule, in order (with free space kept, anything in allocated
//! space comes first of all):
//! 1. what the header's roots still reach through sound pages (the part of
//!    the tree that is intact is the file's own answer);
//! 2. for blocks, an entry whose block was found sound at its offset; for
//!    nodes, an entry whose data block exists (an entry pointing at nothing
//!    cannot be read);
//! 3. the newer one: for nodes the leaf with the higher page id (page ids
//!    only grow), for blocks the higher offset (no better evidence remains;
//!    the file grows at its end, so a later copy tends to be the newer).
//!
//! Memory: the index is two sorted vectors of 24-byte entries, one per node
//! and one per block, about `24 × (nodes + blocks)` bytes; while it is built,
//! candidates take about 40 bytes each, at most one per 64-byte block slot
//! plus one per leaf entry, so a hostile file of `n` bytes costs at most
//! about `n` bytes. The scan reads the file once, in order.

use std::collections::HashSet;
use std::fmt;

use crate::amap::{map_bits_at, AMAP_SPAN, FIRST_AMAP};
use crate::block::BlockTrailer;
use crate::btree::{BTreeIter, BbtEntry, BtPage, LeafEntry, NbtEntry, MAX_LEVEL};
use crate::crc::crc;
use crate::error::{NdbError, Problem, Result, Structure};
use crate::page::{compute_sig, read_page, PageTrailer, PageType};
use crate::{BRef, Bid, Format, Header, Ib, Nid, Variant};

/// What a rebuild does with sound pages and blocks in space the
/// allocation maps mark free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Free {
    /// Drops them: stale copies of what the file rewrote elsewhere.
    #[default]
    Drop,
    /// Keeps them below everything in allocated space: nodes found only
    /// there are deleted items not yet overwritten (`--recover-deleted`).
    Keep,
}

/// The node and block entries rebuilt from a file, each sorted by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveredIndex {
    nodes: Vec<NbtEntry>,
    blocks: Vec<BbtEntry>,
    /// Nodes found only in leaves in free space, sorted.
    deleted: Vec<Nid>,
}

impl RecoveredIndex {
    /// The index of these sorted entries, holding no spare room: it lives
    /// as long as the file is read.
    fn from_parts(
        mut nodes: Vec<NbtEntry>,
        mut blocks: Vec<BbtEntry>,
        mut deleted: Vec<Nid>,
    ) -> Self {
        nodes.shrink_to_fit();
        blocks.shrink_to_fit();
        deleted.shrink_to_fit();
        RecoveredIndex {
            nodes,
            blocks,
            deleted,
        }
    }

    /// The entry of node `nid`.
    pub fn node(&self, nid: Nid) -> Option<&NbtEntry> {
        self.nodes
            .binary_search_by_key(&nid.0, |e| e.nid.0)
            .ok()
            .map(|i| &self.nodes[i])
    }

    /// The entry of block `bid` (the reserved bit is ignored).
    pub fn block(&self, bid: Bid) -> Option<&BbtEntry> {
        let key = bid.key().0;
        self.blocks
            .binary_search_by_key(&key, |e| e.key())
            .ok()
            .map(|i| &self.blocks[i])
    }

    /// Every node entry, by node id.
    pub fn nodes(&self) -> &[NbtEntry] {
        &self.nodes
    }

    /// Every block entry, by block id.
    pub fn blocks(&self) -> &[BbtEntry] {
        &self.blocks
    }

    /// Nodes found only in leaves lying in free space ([`Free::Keep`]):
    /// deleted, not yet overwritten.
    pub fn deleted(&self) -> &[Nid] {
        &self.deleted
    }

    /// Whether node `nid` was found only in free space.
    pub fn is_deleted(&self, nid: Nid) -> bool {
        self.deleted.binary_search(&nid).is_ok()
    }

    /// Bytes the index holds.
    pub fn memory(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<NbtEntry>()
            + self.blocks.capacity() * std::mem::size_of::<BbtEntry>()
            + self.deleted.capacity() * std::mem::size_of::<Nid>()
    }
}

/// Why scanned pages were not used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageRejections {
    /// B-tree type byte, but the signature does not match offset and id.
    pub signature: u64,
    /// Signature right, CRC wrong.
    pub crc: u64,
    /// Sound trailer, but in space the allocation map marks free (with
    /// [`Free::Keep`], used nonetheless and counted here).
    pub stale: u64,
    /// Sound leaf whose counts were out of range and from which no entry
    /// could be kept.
    pub counts: u64,
}

/// What [`rebuild`] found, in counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Page positions read.
    pub pages_scanned: u64,
    /// B-tree pages whose trailer is sound (leaves and intermediate pages).
    pub pages_sound: u64,
    /// Sound NBT leaves used.
    pub nbt_leaves: u64,
    /// Sound BBT leaves used.
    pub bbt_leaves: u64,
    /// Leaves among those whose counts or level were out of range, read
    /// up to their capacity.
    pub leaves_salvaged: u64,
    /// B-tree pages not used, by reason.
    pub pages_rejected: PageRejections,
    /// Block positions (aligned slot ends) read.
    pub block_slots_scanned: u64,
    /// Blocks whose trailer and CRC are sound.
    pub blocks_sound: u64,
    /// Blocks whose signature matched but CRC did not.
    pub blocks_rejected_crc: u64,
    /// Sound blocks in space the allocation map marks free (dropped, or
    /// with [`Free::Keep`] kept).
    pub blocks_stale: u64,
    /// With [`Free::Keep`]: nodes found only in free space (deleted items
    /// and the tables and attachments that went with them).
    pub nodes_deleted: u64,
    /// Pages the walk from the header's roots could not read (0 when both
    /// trees are intact).
    pub tree_errors: u64,
    /// Node entries in the index.
    pub nodes: u64,
    /// Block entries in the index.
    pub blocks: u64,
    /// Nodes found only in leaves the header's roots do not reach.
    pub nodes_unreached: u64,
    /// Blocks no leaf lists, found by the block scan alone.
    pub blocks_only_scanned: u64,
    /// Blocks listed only by leaves the header's roots do not reach.
    pub blocks_unreached: u64,
    /// Node ids found more than once, resolved by the module's rule.
    pub node_duplicates: u64,
    /// Block ids found at more than one offset, resolved by the rule.
    pub block_duplicates: u64,
    /// Leaf entries dropped because the blocks they name were not found
    /// sound: entries of salvaged leaves, and block entries of leaves the
    /// header's roots do not reach (superseded leaves Outlook left behind
    /// name blocks since freed).
    pub entries_dropped: u64,
    /// Bytes the index holds.
    pub index_bytes: u64,
}

impl RecoveryReport {
    /// Whether the header's roots reach both trees without an error: the
    /// rebuilt index then agrees with the file's B-trees on every entry
    /// they hold.
    pub fn trees_intact(&self) -> bool {
        self.tree_errors == 0
    }
}

impl fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.pages_rejected;
        writeln!(
            f,
            "index rebuilt from the file: {} nodes, {} blocks ({} KiB)",
            self.nodes,
            self.blocks,
            self.index_bytes.div_ceil(1024)
        )?;
        writeln!(
            f,
            "  pages: {} scanned, {} sound B-tree pages ({} NBT leaves, {} BBT leaves, {} salvaged); \
             rejected: {} signature, {} CRC, {} stale, {} counts",
            self.pages_scanned,
            self.pages_sound,
            self.nbt_leaves,
            self.bbt_leaves,
            self.leaves_salvaged,
            r.signature,
            r.crc,
            r.stale,
            r.counts
        )?;
        writeln!(
            f,
            "  blocks: {} slots scanned, {} sound; rejected: {} CRC, {} stale",
            self.block_slots_scanned,
            self.blocks_sound,
            self.blocks_rejected_crc,
            self.blocks_stale
        )?;
        write!(
            f,
            "  pages the header's roots could not reach: {}; nodes only in unreached leaves: {}; \
             blocks only in unreached leaves: {}; blocks found only by the scan: {}; \
             duplicates resolved: {} nodes, {} blocks; entries dropped: {}",
            self.tree_errors,
            self.nodes_unreached,
            self.blocks_unreached,
            self.blocks_only_scanned,
            self.node_duplicates,
            self.block_duplicates,
            self.entries_dropped
        )?;
        if self.nodes_deleted > 0 {
            write!(
                f,
                "\n  nodes found only in free space (deleted, kept): {}",
                self.nodes_deleted
            )?;
        }
        Ok(())
    }
}

/// Iterator over the leaf entries of an index: the file's B-tree, or the
/// rebuilt one.
pub enum IndexIter<'a, E> {
    /// Walks the file's B-tree.
    Tree(BTreeIter<'a, E>),
    /// Reads the rebuilt index.
    Rebuilt(std::slice::Iter<'a, E>),
}

impl<E: LeafEntry> Iterator for IndexIter<'_, E> {
    type Item = Result<E>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            IndexIter::Tree(t) => t.next(),
            IndexIter::Rebuilt(s) => s.next().map(|e| Ok(*e)),
        }
    }
}

/// The error for a block a rebuilt index does not hold.
pub(crate) fn missing_block(bid: Bid) -> NdbError {
    NdbError::corrupt(
        Structure::BbtEntry,
        Some(bid.0),
        None,
        Problem::MissingBlock(bid.0),
    )
}

/// Where a leaf entry came from.
#[derive(Clone, Copy, Debug)]
struct Origin {
    /// The leaf is reached from the header's root.
    reached: bool,
    /// The leaf's counts were out of range.
    salvaged: bool,
    /// The leaf's page id.
    page_bid: u64,
    /// The leaf lies in free space.
    free: bool,
}

/// The leaves' entries gathered by the page scan, and the leaves the
/// header's roots reach.
#[derive(Default)]
struct Leaves {
    nbt: Vec<(NbtEntry, Origin)>,
    bbt: Vec<(BbtEntry, Origin)>,
    nbt_reached: HashSet<u64>,
    bbt_reached: HashSet<u64>,
}

/// A block as the scan found it at its offset.
#[derive(Clone, Copy, Debug)]
struct Found {
    key: u64,
    entry: BbtEntry,
    /// The block lies in free space.
    free: bool,
}

/// Answers whether the allocation maps mark a range allocated; `None` when
/// the maps say nothing (4K files, maps flagged invalid, a map page that
/// does not verify).
struct AMaps<'a> {
    data: &'a [u8],
    format: Format,
    valid: bool,
    /// Whether what lies in free space is kept ([`Free::Keep`]).
    keep_free: bool,
    /// Per span: not yet read, or whether its map page verified.
    spans: Vec<Option<bool>>,
}

impl<'a> AMaps<'a> {
    fn new(data: &'a [u8], header: &Header) -> Self {
        let valid = header.format.variant != Variant::Unicode4k && header.root.amap_valid != 0;
        let n = if valid {
            (data.len() as u64).div_ceil(AMAP_SPAN) as usize
        } else {
            0
        };
        AMaps {
            data,
            format: header.format,
            valid,
            keep_free: false,
            spans: vec![None; n],
        }
    }

    fn allocated(&mut self, ib: u64, len: u64) -> Option<bool> {
        if !self.valid || ib < FIRST_AMAP {
            return None;
        }
        let n = (ib - FIRST_AMAP) / AMAP_SPAN;
        let page = FIRST_AMAP + n * AMAP_SPAN;
        let slot = self.spans.get_mut(n as usize)?;
        let sound = *slot.get_or_insert_with(|| {
            read_page(
                self.data,
                self.format,
                Ib(page),
                PageType::AMap,
                Some(Bid(page)),
            )
            .is_ok()
        });
        if !sound {
            return None;
        }
        let at = page as usize + map_bits_at(self.format);
        let bits = self.data.get(at..at + 496)?;
        let from = (ib - page) / 64;
        let to = (ib.saturating_add(len) - page).div_ceil(64).min(496 * 8);
        Some((from..to).all(|i| bits[(i / 8) as usize] & (0x80 >> (i % 8)) != 0))
    }
}

/// Leaf pages (by offset) the header's root `root` reaches through pages
/// that verify; counts the pages it cannot read. Each page is read once,
/// so a damaged tree cannot make the walk loop.
fn reached_leaves<E: LeafEntry>(
    data: &[u8],
    f: Format,
    root: BRef,
    errors: &mut u64,
) -> HashSet<u64> {
    let mut leaves = HashSet::new();
    let mut seen = HashSet::new();
    let mut stack = vec![(root, None)];
    while let Some((bref, level)) = stack.pop() {
        if !seen.insert(bref.ib.0) {
            *errors += 1;
            continue;
        }
        match BtPage::read::<E>(data, f, bref, level) {
            Err(_) => *errors += 1,
            Ok(p) if p.info.level == 0 => {
                leaves.insert(bref.ib.0);
            }
            Ok(p) => {
                for i in 0..p.info.count {
                    stack.push((p.branch(i).child, Some(p.info.level - 1)));
                }
            }
        }
    }
    leaves
}

/// The entries of a sound leaf page; the flag tells whether the counts
/// were out of range and the entries were salvaged. `None` for a page that
/// is not a leaf of this tree.
fn leaf_entries<E: LeafEntry>(page: &[u8], f: Format) -> Option<(Vec<E>, bool)> {
    let c = crate::page::BtPageInfo::read_raw(page, f);
    let area = f.bt_entries_size();
    let natural = E::size(f);
    let sound_counts = c.count <= c.max
        && c.entry_size >= natural
        && c.count * c.entry_size <= area
        && c.level == 0;
    if !sound_counts {
        if (1..=MAX_LEVEL).contains(&c.level) {
            // An intermediate page: nothing to take.
            return None;
        }
        // A level beyond any tree is taken for a leaf only when the entry
        // size is a leaf's, so that intermediate pages are not misread
        // (for the BBT the sizes agree; its salvaged entries must then
        // match a sound block, which an intermediate entry cannot).
        if c.level != 0 && c.entry_size != natural {
            return None;
        }
    }
    let stride = if c.entry_size >= natural && c.entry_size <= area {
        c.entry_size
    } else {
        natural
    };
    let n = c.count.min(area / stride);
    let mut out = Vec::with_capacity(n);
    let mut prev = None;
    for i in 0..n {
        let e = E::parse(&page[i * stride..(i + 1) * stride], f);
        if !sound_counts && (e.key() == 0 || prev.is_some_and(|p| e.key() <= p)) {
            break;
        }
        prev = Some(e.key());
        out.push(e);
    }
    Some((out, !sound_counts))
}

/// Rebuilds the index of the file `data` whose header is `header`, calling
/// `release` after each window of scanned bytes, so that a large map's
/// pages do not stay resident.
pub fn rebuild(
    data: &[u8],
    header: &Header,
    release: &dyn Fn(),
) -> (RecoveredIndex, RecoveryReport) {
    rebuild_with(data, header, release, Free::Drop)
}

/// [`rebuild`], with pages and blocks in free space dropped or kept.
pub fn rebuild_with(
    data: &[u8],
    header: &Header,
    release: &dyn Fn(),
    free: Free,
) -> (RecoveredIndex, RecoveryReport) {
    let f = header.format;
    let mut r = RecoveryReport::default();
    let mut maps = AMaps::new(data, header);
    maps.keep_free = free == Free::Keep;

    let mut leaves = Leaves {
        nbt_reached: reached_leaves::<NbtEntry>(data, f, header.root.nbt, &mut r.tree_errors),
        bbt_reached: reached_leaves::<BbtEntry>(data, f, header.root.bbt, &mut r.tree_errors),
        ..Leaves::default()
    };

    // Pages.
    let ps = f.page_size as u64;
    let len = data.len() as u64;
    let mut since_release = 0u64;
    let mut ib = 0u64;
    while ib + ps <= len {
        let page = &data[ib as usize..(ib + ps) as usize];
        r.pages_scanned += 1;
        since_release += ps;
        if since_release >= crate::page::RELEASE_WINDOW {
            release();
            since_release = 0;
        }
        scan_page(page, ib, f, &mut maps, &mut leaves, &mut r);
        ib += ps;
    }

    // Blocks, found by the trailer at the end of each aligned slot.
    let mut found: Vec<Found> = Vec::new();
    let align = f.block_align as u64;
    let ts = f.block_trailer_size;
    let mut end = align;
    while end <= len {
        r.block_slots_scanned += 1;
        since_release += align;
        if since_release >= crate::page::RELEASE_WINDOW {
            release();
            since_release = 0;
        }
        if let Some((e, free)) = scan_block(data, end, f, ts, &mut maps, &mut r) {
            found.push(Found {
                key: e.key(),
                entry: e,
                free,
            });
        }
        end += align;
    }
    found.sort_unstable_by_key(|b| (b.key, b.entry.bref.ib.0));

    let blocks = merge_blocks(leaves.bbt, found, &mut r);
    let (nodes, deleted) = merge_nodes(leaves.nbt, &blocks, &mut r);
    r.nodes_deleted = deleted.len() as u64;
    let index = RecoveredIndex::from_parts(nodes, blocks, deleted);
    r.nodes = index.nodes.len() as u64;
    r.blocks = index.blocks.len() as u64;
    r.index_bytes = index.memory() as u64;
    (index, r)
}

/// Looks at one page position and keeps the entries of a sound leaf.
fn scan_page(
    page: &[u8],
    ib: u64,
    f: Format,
    maps: &mut AMaps<'_>,
    out: &mut Leaves,
    r: &mut RecoveryReport,
) {
    let t = PageTrailer::parse(page, f);
    let is_nbt = t.ptype == PageType::Nbt.byte();
    if t.ptype != t.ptype_repeat || !(is_nbt || t.ptype == PageType::Bbt.byte()) {
        return;
    }
    if compute_sig(Ib(ib), t.bid) != t.sig {
        r.pages_rejected.signature += 1;
        return;
    }
    if crc(&page[..f.page_body()]) != t.crc {
        r.pages_rejected.crc += 1;
        return;
    }
    let free = maps.allocated(ib, f.page_size as u64) == Some(false);
    if free {
        r.pages_rejected.stale += 1;
        if !maps.keep_free {
            return;
        }
    }
    r.pages_sound += 1;
    let origin = |reached: &HashSet<u64>, salvaged| Origin {
        reached: reached.contains(&ib),
        salvaged,
        page_bid: t.bid.0,
        free,
    };
    if is_nbt {
        if let Some((entries, salvaged)) = leaf_entries::<NbtEntry>(page, f) {
            r.nbt_leaves += 1;
            count_salvaged(salvaged, entries.is_empty(), r);
            let o = origin(&out.nbt_reached, salvaged);
            out.nbt.extend(entries.into_iter().map(|e| (e, o)));
        }
    } else if let Some((entries, salvaged)) = leaf_entries::<BbtEntry>(page, f) {
        r.bbt_leaves += 1;
        count_salvaged(salvaged, entries.is_empty(), r);
        let o = origin(&out.bbt_reached, salvaged);
        out.bbt.extend(entries.into_iter().map(|e| (e, o)));
    }
}

fn count_salvaged(salvaged: bool, empty: bool, r: &mut RecoveryReport) {
    if salvaged {
        r.leaves_salvaged += 1;
        if empty {
            r.pages_rejected.counts += 1;
        }
    }
}

/// Reads the trailer ending at `end` and returns the block it closes when
/// the block is sound.
fn scan_block(
    data: &[u8],
    end: u64,
    f: Format,
    ts: usize,
    maps: &mut AMaps<'_>,
    r: &mut RecoveryReport,
) -> Option<(BbtEntry, bool)> {
    let t = BlockTrailer::parse(&data[end as usize - ts..end as usize], f);
    let cb = usize::from(t.cb);
    if t.bid.is_none() || cb + ts > f.max_block_size {
        return None;
    }
    let size = f.block_size(cb) as u64;
    let start = end.checked_sub(size)?;
    // Most slots end inside a block: their bytes fail the signature, which
    // costs no CRC and is not counted as a rejection.
    if compute_sig(Ib(start), t.bid) != t.sig {
        return None;
    }
    if crc(&data[start as usize..start as usize + cb]) != t.crc {
        r.blocks_rejected_crc += 1;
        return None;
    }
    let free = maps.allocated(start, size) == Some(false);
    if free {
        r.blocks_stale += 1;
        if !maps.keep_free {
            return None;
        }
    }
    r.blocks_sound += 1;
    let inflated = if f.has_compression() && t.inflated != 0 {
        t.inflated
    } else {
        t.cb
    };
    let entry = BbtEntry {
        bref: BRef {
            bid: t.bid,
            ib: Ib(start),
        },
        cb: t.cb,
        // One reference is known: the scan cannot count the others.
        refs: 1,
        inflated,
    };
    Some((entry, free))
}

/// A block candidate before duplicates are resolved.
struct BlockCand {
    key: u64,
    entry: BbtEntry,
    reached: bool,
    /// Listed by a leaf in allocated space, or found in allocated space.
    live: bool,
    verified: bool,
    listed: bool,
}

/// Joins leaf entries and scanned blocks into one entry per block id.
fn merge_blocks(
    listed: Vec<(BbtEntry, Origin)>,
    found: Vec<Found>,
    r: &mut RecoveryReport,
) -> Vec<BbtEntry> {
    let mut covered = vec![false; found.len()];
    let mut cands = Vec::with_capacity(listed.len() + found.len());
    for (e, o) in listed {
        let key = e.key();
        let hit = found
            .binary_search_by(|b| (b.key, b.entry.bref.ib.0).cmp(&(key, e.bref.ib.0)))
            .ok()
            .filter(|&i| found[i].entry.cb == e.cb);
        if let Some(i) = hit {
            covered[i] = true;
        }
        if (o.salvaged || !o.reached) && hit.is_none() {
            r.entries_dropped += 1;
            continue;
        }
        cands.push(BlockCand {
            key,
            entry: e,
            reached: o.reached,
            live: !o.free && hit.is_none_or(|i| !found[i].free),
            verified: hit.is_some(),
            listed: true,
        });
    }
    for (b, _) in found.iter().zip(&covered).filter(|(_, &c)| !c) {
        cands.push(BlockCand {
            key: b.key,
            entry: b.entry,
            reached: false,
            live: !b.free,
            verified: true,
            listed: false,
        });
    }
    drop(found);
    cands.sort_unstable_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(b.live.cmp(&a.live))
            .then(b.reached.cmp(&a.reached))
            .then(b.verified.cmp(&a.verified))
            .then(b.entry.bref.ib.0.cmp(&a.entry.bref.ib.0))
    });
    let mut out: Vec<BbtEntry> = Vec::with_capacity(cands.len());
    let mut kept_key = None;
    for c in cands {
        if kept_key == Some(c.key) {
            let kept = out.last().map_or(0, |k| k.bref.ib.0);
            if kept != c.entry.bref.ib.0 {
                r.block_duplicates += 1;
            }
            continue;
        }
        kept_key = Some(c.key);
        if !c.listed {
            r.blocks_only_scanned += 1;
        } else if !c.reached {
            r.blocks_unreached += 1;
        }
        out.push(c.entry);
    }
    out
}

/// Resolves leaf entries into one entry per node id; also the ids found
/// only in leaves in free space.
fn merge_nodes(
    listed: Vec<(NbtEntry, Origin)>,
    blocks: &[BbtEntry],
    r: &mut RecoveryReport,
) -> (Vec<NbtEntry>, Vec<Nid>) {
    let has = |b: Bid| b.is_none() || blocks.binary_search_by_key(&b.key().0, |e| e.key()).is_ok();
    let mut cands: Vec<(NbtEntry, Origin, bool)> = Vec::with_capacity(listed.len());
    for (e, o) in listed {
        // An empty node has no data block (data id 0).
        let data_ok = has(e.data);
        if o.salvaged && !(data_ok && has(e.sub)) {
            r.entries_dropped += 1;
            continue;
        }
        cands.push((e, o, data_ok));
    }
    cands.sort_unstable_by(|a, b| {
        a.0.nid
            .cmp(&b.0.nid)
            .then(a.1.free.cmp(&b.1.free))
            .then(b.1.reached.cmp(&a.1.reached))
            .then(b.2.cmp(&a.2))
            .then(b.1.page_bid.cmp(&a.1.page_bid))
    });
    let mut out: Vec<NbtEntry> = Vec::with_capacity(cands.len());
    let mut deleted = Vec::new();
    for (e, o, _) in cands {
        if let Some(kept) = out.last().filter(|k| k.nid == e.nid) {
            if *kept != e {
                r.node_duplicates += 1;
            }
            continue;
        }
        if !o.reached {
            r.nodes_unreached += 1;
        }
        // The best entry of this id lies in free space: no live leaf has it.
        if o.free {
            deleted.push(e.nid);
        }
        out.push(e);
    }
    (out, deleted)
}

impl<E> std::fmt::Debug for IndexIter<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IndexIter::Tree(_) => "IndexIter::Tree",
            IndexIter::Rebuilt(_) => "IndexIter::Rebuilt",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{seal_page, NdbWriter};
    use crate::{CryptMethod, FileKind};
    use proptest::prelude::*;

    /// An empty file of format `f`: a real header to scan under.
    fn empty(f: Format) -> Vec<u8> {
        NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst).finish_bytes()
    }

    proptest! {
        /// Pages that pass their CRC and signature but hold arbitrary
        /// counts, levels and entries, and block trailers of every size:
        /// the scan does not panic, and keeps no entry of a salvaged leaf
        /// naming a block it did not find.
        #[test]
        fn sealed_garbage_is_scanned_safely(
            body in proptest::collection::vec(any::<u8>(), 4096..=4096),
            level in prop_oneof![Just(0u8), Just(1), Just(0x7F), any::<u8>()],
            nbt in any::<bool>(),
            bid in 1u64..0x10000,
            leaf_size in any::<bool>(),
        ) {
            for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
                let mut data = empty(f);
                let at = data.len();
                data.extend_from_slice(&body[..f.page_size]);
                data.extend_from_slice(&body);
                let level_at = f.bt_entries_size() + 2 * f.bt_count_size + 1;
                data[at + level_at] = level;
                let ptype = if nbt { PageType::Nbt } else { PageType::Bbt };
                if leaf_size {
                    // The entry size of a leaf, so a damaged level is salvaged.
                    data[at + level_at - 1] = if nbt { f.nbtentry_size() } else { f.bbtentry_size() } as u8;
                }
                seal_page(&mut data[at..at + f.page_size], f, ptype, Bid(bid), Ib(at as u64));
                let header = Header::parse(&data).unwrap();
                let (index, report) = rebuild(&data, &header, &|| {});
                prop_assert_eq!(report.nodes as usize, index.nodes().len());
                // A level beyond any tree makes the page a salvaged leaf
                // (the file's own leaves hold nothing).
                if level == 0x7F {
                    for e in index.nodes() {
                        prop_assert!(e.data.is_none() || index.block(e.data).is_some());
                    }
                }
                let _ = report.to_string();
            }
        }
    }

    #[test]
    fn duplicates_prefer_the_reached_entry_then_the_higher_offset() {
        let e = |ib| BbtEntry {
            bref: BRef {
                bid: Bid(0x40),
                ib: Ib(ib),
            },
            cb: 10,
            refs: 2,
            inflated: 10,
        };
        let origin = |reached| Origin {
            reached,
            salvaged: false,
            page_bid: 1,
            free: false,
        };
        let found = |ib| Found {
            key: 0x40,
            entry: e(ib),
            free: false,
        };
        // The reached leaf's entry wins over a later sound copy.
        let mut r = RecoveryReport::default();
        let out = merge_blocks(
            vec![(e(0x1000), origin(true))],
            vec![found(0x1000), found(0x9000)],
            &mut r,
        );
        assert_eq!(out, vec![e(0x1000)]);
        assert_eq!(r.block_duplicates, 1);
        // With no tree to go by, the higher offset.
        let mut r = RecoveryReport::default();
        let out = merge_blocks(Vec::new(), vec![found(0x1000), found(0x9000)], &mut r);
        assert_eq!(out[0].bref.ib, Ib(0x9000));
        assert_eq!(r.blocks_only_scanned, 1);
        // A copy in allocated space wins over a later one in free space.
        let mut r = RecoveryReport::default();
        let stale = Found {
            free: true,
            ..found(0x9000)
        };
        let out = merge_blocks(Vec::new(), vec![found(0x1000), stale], &mut r);
        assert_eq!(out[0].bref.ib, Ib(0x1000));
    }

    /// A node entry under folder 0x8022.
    fn node(nid: u32, data: u64, sub: u64) -> NbtEntry {
        NbtEntry {
            nid: Nid(nid),
            data: Bid(data),
            sub: Bid(sub),
            parent: Nid(0x8022),
        }
    }

    /// Block entries of 10 bytes for `bids`, each at 0x100 times its id.
    fn blocks_at(bids: &[u64]) -> Vec<BbtEntry> {
        bids.iter()
            .map(|&bid| BbtEntry {
                bref: BRef {
                    bid: Bid(bid),
                    ib: Ib(bid * 0x100),
                },
                cb: 10,
                refs: 2,
                inflated: 10,
            })
            .collect()
    }

    /// An entry of a salvaged leaf is kept only when the blocks it names
    /// (data and subnodes) were found: its counts were wrong, so its
    /// entries may be bytes that only look like one.
    #[test]
    fn a_salvaged_node_entry_needs_its_data_and_subnode_blocks() {
        let salvaged = Origin {
            reached: true,
            salvaged: true,
            page_bid: 1,
            free: false,
        };
        let blocks = blocks_at(&[0x40, 0x44]);
        let mut r = RecoveryReport::default();
        let (nodes, _) = merge_nodes(
            vec![
                (node(0x200004, 0x40, 0x44), salvaged),
                (node(0x200024, 0x40, 0x48), salvaged),
                (node(0x200044, 0x48, 0x44), salvaged),
                (node(0x200064, 0x44, 0), salvaged),
            ],
            &blocks,
            &mut r,
        );
        assert_eq!(
            nodes,
            vec![node(0x200004, 0x40, 0x44), node(0x200064, 0x44, 0)]
        );
        assert_eq!(r.entries_dropped, 2);
    }

    #[test]
    fn a_node_only_in_free_space_is_deleted_and_a_live_one_wins() {
        let origin = |free, page_bid| Origin {
            reached: false,
            salvaged: false,
            page_bid,
            free,
        };
        let blocks = blocks_at(&[0x40, 0x44, 0x48]);
        let mut r = RecoveryReport::default();
        let (nodes, deleted) = merge_nodes(
            vec![
                // Live, and an older copy in a newer page in free space.
                (node(0x200004, 0x40, 0), origin(false, 1)),
                (node(0x200004, 0x44, 0), origin(true, 9)),
                // Only in free space: deleted.
                (node(0x200024, 0x48, 0), origin(true, 9)),
            ],
            &blocks,
            &mut r,
        );
        assert_eq!(
            nodes,
            vec![node(0x200004, 0x40, 0), node(0x200024, 0x48, 0)]
        );
        assert_eq!(deleted, vec![Nid(0x200024)]);
        assert_eq!(r.node_duplicates, 1);
        // The index built from them answers the same, and counts its bytes.
        let index = RecoveredIndex::from_parts(nodes, blocks, deleted);
        assert_eq!(index.deleted(), [Nid(0x200024)]);
        assert!(index.is_deleted(Nid(0x200024)));
        assert!(!index.is_deleted(Nid(0x200004)));
        assert_eq!(
            index.memory(),
            2 * std::mem::size_of::<NbtEntry>()
                + 3 * std::mem::size_of::<BbtEntry>()
                + std::mem::size_of::<Nid>()
        );
    }
}
