//! Whole-file consistency check: walks both B-trees page by page, reads every
//! block they reference and every node's data and subnode trees, and lists
//! each problem with its structure, id and offset.
//!
//! Each walk keeps visited sets, so a page or tree referenced twice within a
//! tree is reported instead of walked again, and a page both B-trees reach
//! is reported once both walks are done: a crafted file cannot make it loop
//! or explode.
//!
//! Besides damage it lists [`Finding`]s, values that read but disagree with
//! the rest of the file:
//!
//! - `bbt-refcount`: a BBT entry's `cRef` is 1 (the BBT's own reference) plus
//!   every reference to the block: NBT `bidData`/`bidSub`, XBLOCK/XXBLOCK
//!   slots, SIBLOCK children, SLENTRY `bidData`/`bidSub` ([MS-PST]
//!   2.2.2.7.7.3.1: a block whose count reaches 1 is free). Every block of
//!   every Outlook-made sample PST holds exactly this. A count too low is an
//!   error: dropping one reference would free a block still in use. A count
//!   too high (seen in the two sample OSTs) or a count below 1 on a block
//!   nothing references only leaks space: a warning.
//! - `header-next-ids`: `bidNextB` lies above every block id (without its two
//!   flag bits), `bidNextP` above every B-tree page id, and `rgnid[t]` at or
//!   above every node index of type `t` in the NBT (it holds the last index
//!   handed out, as every sample shows). Indices below 0x400 are the fixed
//!   ids no counter hands out. An id the counters would hand out again is an
//!   error. Subnode ids are local to their node ([MS-PST] 2.2.2.7.6), but
//!   Outlook draws those from 0x400 up from the same counters (every sample
//!   keeps them at or below `rgnid`): one above is a note.
//!
//! Memory for the findings: one `u64` per block reference (8 bytes, up to 16
//! with the vector's spare capacity; about one reference per block), sorted
//! once and searched per BBT entry, and 2 x 32 counters; no map per block.

use std::collections::{HashMap, HashSet};

use crate::amap::{map_bits_at, span_maps, AMAP_SPAN, FIRST_AMAP};
use crate::bidset::{BidSet, RefCounts};
use crate::block::{parse_subnode_block, parse_xblock, si_entry, trailer_of, xblock_bid};
use crate::btree::{BbtEntry, BtPage, LeafEntry, NbtEntry};
use crate::error::{Corruption, NdbError, Problem, Structure};
use crate::page::{read_page, PageType};
use crate::write::FIRST_COUNTED_INDEX;
use crate::{BRef, Bid, Ib, Ndb, Nid, Variant};

/// How much a consistency finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Outlook would refuse the file, or its Inbox Repair Tool would change it.
    Error,
    /// Inconsistent but tolerated (a stale count Outlook recomputes).
    Warning,
    /// Worth knowing, not wrong.
    Note,
}

impl Severity {
    /// The lower-case word the reports print.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that is readable but disagrees with what the rest of the file
/// implies (a count, a reference count, a next-id counter): a rule id from
/// the catalogue in `docs/check-rules.md`, where it is, and expected vs found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    /// The rule's id, e.g. `bbt-refcount`.
    pub rule: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// The node id the finding is about (0 when it is about the file).
    pub nid: u32,
    /// The block or page id, where the finding is about one.
    pub bid: Option<u64>,
    /// The file offset of the structure holding the wrong value, where known.
    pub offset: Option<u64>,
    /// What the rest of the file implies.
    pub expected: String,
    /// What the file holds.
    pub found: String,
}

/// Problems kept in a report; the rest are only counted.
pub const MAX_PROBLEMS: usize = 10_000;
/// The outcome of [`check`].
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Problems found, in walk order (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Corruption>,
    /// Problems beyond [`MAX_PROBLEMS`], counted only.
    pub dropped: u64,
    /// Findings that are not damage: structures [MS-PST] lets readers
    /// ignore and rebuild (a stale density list).
    pub notes: Vec<Corruption>,
    /// B-tree pages verified.
    pub pages: u64,
    /// Allocation-map pages verified.
    pub map_pages: u64,
    /// NBT leaf entries.
    pub nodes: u64,
    /// BBT leaf entries.
    pub blocks: u64,
    /// Blocks whose contents verified.
    pub blocks_ok: u64,
    /// Subnodes reached through subnode trees.
    pub subnodes: u64,
    /// Values that read but disagree with the rest of the file.
    pub findings: Vec<Finding>,
    /// Problems already listed: a damaged page met from many nodes is one problem.
    seen: HashSet<Corruption>,
}

impl CheckReport {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.dropped == 0
    }

    /// Adds another report's findings after this one's.
    fn merge(&mut self, other: CheckReport) {
        for c in other.problems {
            self.add_corruption(c);
        }
        self.dropped += other.dropped;
        self.notes.extend(other.notes);
        self.findings.extend(other.findings);
        self.pages += other.pages;
        self.map_pages += other.map_pages;
        self.nodes += other.nodes;
        self.blocks += other.blocks;
        self.blocks_ok += other.blocks_ok;
        self.subnodes += other.subnodes;
    }

    fn add(&mut self, e: NdbError) {
        let c = match e {
            NdbError::Corrupt(c) => *c,
            NdbError::NodeNotFound(n) => Corruption {
                structure: Structure::Node,
                id: Some(u64::from(n.0)),
                offset: None,
                problem: Problem::MissingNode(n.0),
            },
            NdbError::Io { source, .. } | NdbError::Write(source) => Corruption {
                structure: Structure::File,
                id: None,
                offset: None,
                problem: Problem::Invalid(if source.kind() == std::io::ErrorKind::NotFound {
                    "file not found"
                } else {
                    "I/O error"
                }),
            },
            NdbError::SourceChanged { .. } => Corruption {
                structure: Structure::File,
                id: None,
                offset: None,
                problem: Problem::Invalid("the file changed while it was read"),
            },
            NdbError::NotPst { .. } => Corruption {
                structure: Structure::Header,
                id: None,
                offset: Some(0),
                problem: Problem::Invalid("not a PST or OST file"),
            },
        };
        self.add_corruption(c);
    }

    fn add_corruption(&mut self, c: Corruption) {
        if self.seen.contains(&c) {
            return;
        }
        if self.problems.len() < MAX_PROBLEMS {
            self.seen.insert(c.clone());
            self.problems.push(c);
        } else {
            self.dropped += 1;
        }
    }
}

/// Files smaller than this are checked on one thread: a second costs more
/// than it saves.
const PARALLEL_FROM: usize = 16 << 20;

/// Checks the whole file behind `ndb`. The two halves of the work (the
/// node tree with every node's data and subnode trees; the block tree with
/// every block and the allocation maps) share nothing but the file, so a
/// large file is checked on two threads; the report is the same either way.
pub fn check(ndb: Ndb<'_>) -> CheckReport {
    check_with(ndb, None)
}

/// [`check`] on at most `threads` threads (`None`: two for files from
/// 16 MiB, one below; the work has two halves, so more than two are never
/// used). The report does not depend on the number.
pub fn check_with(ndb: Ndb<'_>, threads: Option<usize>) -> CheckReport {
    let two = match threads {
        Some(n) => n >= 2,
        None => ndb.data().len() >= PARALLEL_FROM,
    };
    check_on(ndb, two)
}

fn check_on(ndb: Ndb<'_>, threads: bool) -> CheckReport {
    let mut r = CheckReport::default();
    let h = ndb.header();
    if let Err(e) = h.verify() {
        r.add(e);
    }
    let len = ndb.data().len() as u64;
    if h.root.file_eof > len {
        r.add(NdbError::corrupt(
            Structure::File,
            None,
            Some(len),
            Problem::Truncated {
                needed: h.root.file_eof,
                available: len,
            },
        ));
    }
    let (nodes, blocks) = if threads {
        std::thread::scope(|s| {
            let nodes = s.spawn(|| check_node_half(ndb));
            let blocks = check_block_half(ndb);
            let nodes = nodes
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (nodes, blocks)
        })
    } else {
        (check_node_half(ndb), check_block_half(ndb))
    };
    let (nodes, nbt_pages, refs) = nodes;
    let (mut blocks, bbt_pages) = blocks;
    // A page both trees reach: the second tree to reach it is the damaged
    // one (as a walk of the node tree, then the block tree, meets it).
    let mut shared: Vec<(u64, u64)> = bbt_pages
        .iter()
        .filter(|(ib, _)| nbt_pages.contains_key(ib))
        .map(|(ib, bid)| (*ib, *bid))
        .collect();
    shared.sort_unstable();
    for (ib, bid) in shared {
        blocks.walk.add(NdbError::corrupt(
            Structure::BbtPage,
            Some(bid),
            Some(ib),
            Problem::Cycle,
        ));
    }
    let page = ndb.format().page_size as u64;
    let mut pages: Vec<(u64, u64)> = nbt_pages
        .iter()
        .chain(bbt_pages.iter())
        .map(|(ib, bid)| (*ib, *bid))
        .collect();
    pages.sort_unstable();
    pages.dedup();
    for (ib, bid) in pages {
        check_allocated(
            ndb,
            BRef {
                bid: Bid(bid),
                ib: Ib(ib),
            },
            page,
            &mut blocks.maps,
        );
    }
    // The order of a one-thread walk: node tree, block tree, the nodes'
    // trees, the maps.
    r.merge(nodes.walk);
    r.merge(blocks.walk);
    r.merge(nodes.trees);
    r.merge(blocks.maps);
    let max_bid = check_refcounts(ndb, &refs.blocks, &mut r.findings);
    let max_page = nbt_pages.values().chain(bbt_pages.values()).max().copied();
    check_next_ids(ndb, &refs, max_bid, max_page, &mut r.findings);
    r
}

/// What the node half gathers for the findings.
#[derive(Default)]
struct Refs {
    /// References counted per block key.
    blocks: RefCounts,
    /// Highest node index from 0x400 up per NID type, of NBT nodes.
    top: [Option<Nid>; 32],
    /// The same for subnodes.
    sub: [Option<Nid>; 32],
}

impl Refs {
    fn block(&mut self, bid: Bid) {
        if !bid.is_none() {
            self.blocks.add(bid.key().0);
        }
    }

    fn nid(slots: &mut [Option<Nid>; 32], nid: Nid) {
        if nid.index() < FIRST_COUNTED_INDEX {
            return;
        }
        let slot = &mut slots[usize::from(nid.kind().bits())];
        if slot.is_none_or(|n| n.index() < nid.index()) {
            *slot = Some(nid);
        }
    }
}

/// Counts the references an XBLOCK or XXBLOCK holds. Its damage was reported
/// by the data tree's resolution already, so what does not read is skipped.
fn count_tree_refs(ndb: Ndb<'_>, root: Bid, seen: &mut BidSet, refs: &mut Refs) {
    let f = ndb.format();
    let mut stack = vec![root];
    while let Some(bid) = stack.pop() {
        if !bid.is_internal() {
            continue;
        }
        let Ok(b) = ndb.read_block(bid) else { continue };
        let Ok(h) = parse_xblock(&b, f) else { continue };
        for i in 0..h.count {
            let child = xblock_bid(&b, f, i);
            refs.block(child);
            // An XBLOCK's own slots are references once, however many
            // XXBLOCKs name it.
            if h.level == 2 && seen.insert(child.key().0) {
                stack.push(child);
            }
        }
    }
}

/// Compares each BBT entry's `cRef` with the references counted, and returns
/// the highest block key in the BBT.
fn check_refcounts(ndb: Ndb<'_>, refs: &RefCounts, out: &mut Vec<Finding>) -> Option<u64> {
    // A rebuilt index has no reference counts of the file's to compare.
    let compare = !ndb.is_recovered();
    let mut max = None;
    for_each_bbt_leaf(ndb, |page_ib, e| {
        let key = e.bref.bid.key().0;
        max = max.max(Some(key));
        if !compare {
            return;
        }
        let n = refs.get(key);
        let expected = n + 1;
        let found = u64::from(e.refs);
        if found == expected {
            return;
        }
        let severity = if found < expected && n > 0 {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.push(Finding {
            rule: "bbt-refcount",
            severity,
            nid: 0,
            bid: Some(e.bref.bid.0),
            offset: Some(page_ib),
            expected: format!("{expected} (1 + {n} references)"),
            found: found.to_string(),
        });
    });
    max
}

/// Calls `f` with each leaf entry of the BBT and the offset of its page.
/// Damaged pages were reported by the walk already and are skipped.
fn for_each_bbt_leaf(ndb: Ndb<'_>, mut f: impl FnMut(u64, BbtEntry)) {
    let page_size = ndb.format().page_size as u64;
    let mut stack = vec![(ndb.header().root.bbt, None)];
    let mut seen = HashSet::new();
    while let Some((bref, level)) = stack.pop() {
        if !seen.insert(bref.ib.0) {
            continue;
        }
        ndb.touch(bref.ib.0, page_size);
        let Ok(page) = BtPage::read::<BbtEntry>(ndb.data(), ndb.format(), bref, level) else {
            continue;
        };
        let n = page.info.count;
        if page.info.level == 0 {
            (0..n).for_each(|i| f(bref.ib.0, page.leaf::<BbtEntry>(i)));
        } else {
            let below = Some(page.info.level - 1);
            stack.extend((0..n).rev().map(|i| (page.branch(i).child, below)));
        }
    }
}

/// The header's counters against the ids in use (`header-next-ids`).
fn check_next_ids(
    ndb: Ndb<'_>,
    refs: &Refs,
    max_bid: Option<u64>,
    max_page: Option<u64>,
    out: &mut Vec<Finding>,
) {
    let h = ndb.header();
    let wide = ndb.format().id_size == 8;
    // Offsets of bidNextB, bidNextP and rgnid[0] ([MS-PST] 2.2.2.6).
    let (at_next_b, at_next_p, at_rgnid) = if wide { (516, 32, 44) } else { (24, 28, 36) };
    let header = |bid, offset, expected, found| Finding {
        rule: "header-next-ids",
        severity: Severity::Error,
        nid: 0,
        bid,
        offset: Some(offset),
        expected,
        found,
    };
    // Block ids step by 4: the two low bits are flags, not part of the count.
    if let Some(max) = max_bid.filter(|&m| m >> 2 >= h.next_bid.0 >> 2) {
        out.push(header(
            Some(max),
            at_next_b,
            format!("bidNextB above 0x{max:X}, the highest block id in use"),
            format!("0x{:X}", h.next_bid.0),
        ));
    }
    if let Some(max) = max_page.filter(|&m| m >= h.next_page_bid.0) {
        out.push(header(
            Some(max),
            at_next_p,
            format!("bidNextP above 0x{max:X}, the highest B-tree page id in use"),
            format!("0x{:X}", h.next_page_bid.0),
        ));
    }
    for (slots, what, severity) in [
        (&refs.top, "node", Severity::Error),
        (&refs.sub, "subnode", Severity::Note),
    ] {
        for (t, nid) in slots.iter().enumerate() {
            let Some(nid) = *nid else { continue };
            let counter = h.nid_counters[t];
            if nid.index() <= counter {
                continue;
            }
            out.push(Finding {
                rule: "header-next-ids",
                severity,
                nid: nid.0,
                bid: None,
                offset: Some(at_rgnid + 4 * t as u64),
                expected: format!(
                    "rgnid[0x{t:02X}] at least 0x{:X}, the highest {what} index of its type in use",
                    nid.index()
                ),
                found: format!("0x{counter:X}"),
            });
        }
    }
}

/// One half's findings, kept apart until they are merged in walk order.
#[derive(Default)]
struct Half {
    walk: CheckReport,
    trees: CheckReport,
    maps: CheckReport,
}

/// The node tree's pages, then every node's data and subnode trees.
fn check_node_half(ndb: Ndb<'_>) -> (Half, HashMap<u64, u64>, Refs) {
    let mut half = Half::default();
    let mut visited = HashMap::new();
    walk_tree::<NbtEntry>(
        ndb,
        ndb.header().root.nbt,
        &mut half.walk,
        &mut visited,
        &mut |r, _: NbtEntry| r.nodes += 1,
    );
    let mut refs = Refs::default();
    check_nodes(ndb, &mut half.trees, &mut refs);
    (half, visited, refs)
}

/// The block tree's pages and every block, then the allocation maps.
fn check_block_half(ndb: Ndb<'_>) -> (Half, HashMap<u64, u64>) {
    let mut half = Half::default();
    let mut visited = HashMap::new();
    walk_tree::<BbtEntry>(
        ndb,
        ndb.header().root.bbt,
        &mut half.walk,
        &mut visited,
        &mut |r, e: BbtEntry| {
            r.blocks += 1;
            check_block(ndb, &e, r);
        },
    );
    check_maps(ndb, &mut half.maps);
    (half, visited)
}

/// Whether the allocation map of the span holding `ib` marks all of
/// `len` bytes there used; `None` when the file's maps say nothing (a 4K
/// file, maps flagged invalid, or a map page past the end of the file).
fn allocated(ndb: Ndb<'_>, ib: u64, len: u64) -> Option<bool> {
    let f = ndb.format();
    if f.variant == Variant::Unicode4k || ndb.header().root.amap_valid == 0 || ib < FIRST_AMAP {
        return None;
    }
    let n = (ib - FIRST_AMAP) / AMAP_SPAN;
    let page = FIRST_AMAP + n * AMAP_SPAN;
    let bits_at = page + map_bits_at(f) as u64;
    // Counted as read like every other page, so that the map pages this
    // visits across the file are released with the rest.
    ndb.touch(bits_at, 496);
    let bits = ndb.data().get(bits_at as usize..bits_at as usize + 496)?;
    let (from, to) = ((ib - page) / 64, (ib + len - page).div_ceil(64));
    Some((from..to.min(496 * 8)).all(|i| bits[(i / 8) as usize] & (0x80 >> (i % 8)) != 0))
}

/// Reports a block or page the allocation maps give away as free: the next
/// client to allocate there would overwrite it.
fn check_allocated(ndb: Ndb<'_>, bref: BRef, len: u64, r: &mut CheckReport) {
    if allocated(ndb, bref.ib.0, len) == Some(false) {
        r.add(NdbError::corrupt(
            Structure::AMapPage,
            Some(bref.bid.0),
            Some(bref.ib.0),
            Problem::Invalid("a block or page in use lies in space marked free"),
        ));
    }
}

fn check_block(ndb: Ndb<'_>, e: &BbtEntry, r: &mut CheckReport) {
    let f = ndb.format();
    check_allocated(ndb, e.bref, f.block_size(usize::from(e.cb)) as u64, r);
    let plain = match ndb.verify_block_at(e) {
        Ok(p) => p,
        Err(err) => return r.add(err),
    };
    // Reading accepts a trailer whose size alone is wrong (its CRC proves
    // the BBT's size); the check still reports it.
    let structure = if e.bref.bid.is_internal() {
        Structure::DataTree
    } else {
        Structure::DataBlock
    };
    if let Some(t) = trailer_of(ndb.data(), f, e).filter(|t| t.cb != e.cb) {
        return r.add(NdbError::corrupt(
            structure,
            Some(e.bref.bid.0),
            Some(e.bref.ib.0),
            Problem::Size {
                what: "block trailer cb",
                expected: u64::from(e.cb),
                found: u64::from(t.cb),
            },
        ));
    }
    let Some(plain) = plain else {
        r.blocks_ok += 1;
        return;
    };
    if e.bref.bid.is_internal() {
        let kind = plain.first().copied();
        let bad = match kind {
            // Reading ignores a total no stream of the file can have (the
            // leaves give the size); the check reports it.
            Some(0x01) => match parse_xblock(&plain, f) {
                Ok(h) if u64::from(h.total) > ndb.data().len() as u64 * 4 => Some(Problem::Size {
                    what: "data tree total (lcbTotal)",
                    expected: ndb.data().len() as u64 * 4,
                    found: u64::from(h.total),
                }),
                Ok(_) => None,
                Err(p) => Some(p),
            },
            Some(0x02) => parse_subnode_block(&plain, f).err(),
            _ => Some(Problem::Invalid("internal block of unknown type")),
        };
        if let Some(p) = bad {
            let s = if kind == Some(0x02) {
                Structure::SubnodeTree
            } else {
                Structure::DataTree
            };
            return r.add(NdbError::corrupt(
                s,
                Some(e.bref.bid.0),
                Some(e.bref.ib.0),
                p,
            ));
        }
    }
    r.blocks_ok += 1;
}

/// Walks one B-tree depth first, checking each page, the ordering of keys and
/// that every child's keys lie within the range its parent entry gives.
fn walk_tree<E: LeafEntry>(
    ndb: Ndb<'_>,
    root: BRef,
    r: &mut CheckReport,
    visited: &mut HashMap<u64, u64>,
    on_leaf: &mut dyn FnMut(&mut CheckReport, E),
) {
    // (page, expected level, lowest key allowed, key the next sibling starts at)
    let mut stack: Vec<(BRef, Option<u8>, u64, Option<u64>)> = vec![(root, None, 0, None)];
    while let Some((bref, level, low, high)) = stack.pop() {
        if visited.insert(bref.ib.0, bref.bid.0).is_some() {
            r.add(NdbError::corrupt(
                E::PAGE.structure(),
                Some(bref.bid.0),
                Some(bref.ib.0),
                Problem::Cycle,
            ));
            continue;
        }
        ndb.touch(bref.ib.0, ndb.format().page_size as u64);
        let page = match BtPage::read::<E>(ndb.data(), ndb.format(), bref, level) {
            Ok(p) => p,
            Err(e) => {
                r.add(e);
                continue;
            }
        };
        r.pages += 1;
        let err = |p| NdbError::corrupt(E::PAGE.structure(), Some(bref.bid.0), Some(bref.ib.0), p);
        let n = page.info.count;
        let mut prev: Option<u64> = None;
        let mut children = Vec::new();
        for i in 0..n {
            let key = page.key::<E>(i);
            if let Some(p) = prev {
                if key <= p {
                    r.add(err(Problem::Unsorted { previous: p, key }));
                }
            }
            if key < low || high.is_some_and(|h| key >= h) {
                r.add(err(Problem::Invalid(
                    "key outside the range of the parent entry",
                )));
            }
            prev = Some(key);
            if page.info.level == 0 {
                on_leaf(r, page.leaf::<E>(i));
            } else {
                let next = if i + 1 < n {
                    Some(page.key::<E>(i + 1))
                } else {
                    high
                };
                children.push((page.branch(i).child, Some(page.info.level - 1), key, next));
            }
        }
        // Reverse so that children are visited in key order.
        stack.extend(children.into_iter().rev());
    }
}

/// Resolves every node's data tree and subnode tree, counting the
/// references to blocks and the highest node ids on the way.
fn check_nodes(ndb: Ndb<'_>, r: &mut CheckReport, refs: &mut Refs) {
    let mut seen_trees = BidSet::default();
    let mut seen_subs = BidSet::default();
    for entry in ndb.nodes() {
        let e = match entry {
            Ok(e) => e,
            // Page errors were reported by the page walk already.
            Err(_) => continue,
        };
        Refs::nid(&mut refs.top, e.nid);
        refs.block(e.data);
        refs.block(e.sub);
        check_stream(ndb, e.nid, e.data, &mut seen_trees, r, refs);
        check_subnodes(ndb, e.sub, 0, &mut seen_trees, &mut seen_subs, r, refs);
    }
}

fn check_stream(
    ndb: Ndb<'_>,
    nid: Nid,
    data: Bid,
    seen: &mut BidSet,
    r: &mut CheckReport,
    refs: &mut Refs,
) {
    if data.is_none() || !seen.insert(data.key().0) {
        return;
    }
    if let Err(e) = ndb.data_tree(data) {
        r.add(with_node(e, nid));
    }
    count_tree_refs(ndb, data, seen, refs);
}

fn with_node(e: NdbError, nid: Nid) -> NdbError {
    match e {
        NdbError::Corrupt(c) if matches!(c.problem, Problem::MissingBlock(_)) => {
            NdbError::corrupt(Structure::Node, Some(u64::from(nid.0)), None, c.problem)
        }
        other => other,
    }
}

/// Subnode trees nest through `bidSub`; the depth bound and the visited set
/// keep a malicious nesting from recursing without end.
fn check_subnodes(
    ndb: Ndb<'_>,
    sub: Bid,
    depth: u32,
    seen_trees: &mut BidSet,
    seen_subs: &mut BidSet,
    r: &mut CheckReport,
    refs: &mut Refs,
) {
    if sub.is_none() || !seen_subs.insert(sub.key().0) {
        return;
    }
    if depth as usize > crate::block::MAX_SUBNODE_DEPTH {
        return r.add(NdbError::corrupt(
            Structure::SubnodeTree,
            Some(sub.0),
            None,
            Problem::Invalid("subnode trees nested too deeply"),
        ));
    }
    // An SIBLOCK's slots are references too; `entries` below reads through
    // them without saying which they are.
    if let Ok(b) = ndb.read_block(sub) {
        let f = ndb.format();
        if let Some(h) = parse_subnode_block(&b, f).ok().filter(|h| h.level == 1) {
            (0..h.count).for_each(|i| refs.block(si_entry(&b, f, i).1));
        }
    }
    let entries = match ndb.subnode_tree(sub).entries() {
        Ok(e) => e,
        Err(e) => return r.add(e),
    };
    let mut prev: Option<u32> = None;
    for e in entries {
        r.subnodes += 1;
        if prev.is_some_and(|p| e.nid.0 <= p) {
            r.add(NdbError::corrupt(
                Structure::SubnodeTree,
                Some(sub.0),
                None,
                Problem::Unsorted {
                    previous: u64::from(prev.unwrap_or(0)),
                    key: u64::from(e.nid.0),
                },
            ));
        }
        prev = Some(e.nid.0);
        Refs::nid(&mut refs.sub, e.nid);
        refs.block(e.data);
        refs.block(e.sub);
        check_stream(ndb, e.nid, e.data, seen_trees, r, refs);
        check_subnodes(ndb, e.sub, depth + 1, seen_trees, seen_subs, r, refs);
    }
}

/// Verifies the AMap and PMap pages of ANSI and Unicode files. The 4K map
/// layout is not public, so those files are not checked here.
fn check_maps(ndb: Ndb<'_>, r: &mut CheckReport) {
    if ndb.format().variant == Variant::Unicode4k {
        return;
    }
    // The density list is optional and readers rebuild it when its CRC is
    // bad ([MS-PST] 2.2.2.7.4): checked when present, never required.
    let dlist = &ndb.data().get(0x4200..0x4400);
    if let Some(page) = dlist {
        let f = ndb.format();
        let t = crate::page::PageTrailer::parse(page, f);
        if t.ptype == PageType::DList.byte() {
            ndb.touch(0x4200, f.page_size as u64);
            match read_page(ndb.data(), f, Ib(0x4200), PageType::DList, None) {
                Ok(_) => r.map_pages += 1,
                Err(NdbError::Corrupt(c)) => r.notes.push(*c),
                Err(e) => r.add(e),
            }
        }
    }
    let eof = ndb.header().root.file_eof.min(ndb.data().len() as u64);
    let mut ib = FIRST_AMAP;
    let mut n = 0u64;
    while ib + ndb.format().page_size as u64 <= eof {
        for (ptype, off) in span_maps(n) {
            check_map_page(ndb, Ib(ib + off), ptype, r);
        }
        ib += AMAP_SPAN;
        n += 1;
    }
}

fn check_map_page(ndb: Ndb<'_>, ib: Ib, ptype: PageType, r: &mut CheckReport) {
    ndb.touch(ib.0, ndb.format().page_size as u64);
    match read_page(ndb.data(), ndb.format(), ib, ptype, Some(Bid(ib.0))) {
        Ok(_) => r.map_pages += 1,
        Err(e) => r.add(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::NdbWriter;
    use crate::{CryptMethod, FileKind, Format, NdbFile, NidType};
    use proptest::prelude::*;

    #[test]
    fn severities_print_as_their_words() {
        for (s, word) in [
            (Severity::Error, "error"),
            (Severity::Warning, "warning"),
            (Severity::Note, "note"),
        ] {
            assert_eq!(s.as_str(), word);
            assert_eq!(s.to_string(), word);
        }
    }

    #[test]
    fn errors_become_problems_of_their_structure() {
        let io = |kind| NdbError::Io {
            path: "x.pst".into(),
            source: std::io::Error::from(kind),
        };
        let cases = [
            (
                io(std::io::ErrorKind::NotFound),
                Problem::Invalid("file not found"),
            ),
            (
                io(std::io::ErrorKind::PermissionDenied),
                Problem::Invalid("I/O error"),
            ),
            (
                NdbError::Write(std::io::Error::from(std::io::ErrorKind::StorageFull)),
                Problem::Invalid("I/O error"),
            ),
            (
                NdbError::NodeNotFound(Nid(0x21)),
                Problem::MissingNode(0x21),
            ),
            (
                NdbError::SourceChanged {
                    path: "x.pst".into(),
                    was: 10,
                    now: 5,
                },
                Problem::Invalid("the file changed while it was read"),
            ),
            (
                NdbError::NotPst {
                    path: "x.pst".into(),
                    why: "text".into(),
                },
                Problem::Invalid("not a PST or OST file"),
            ),
        ];
        for (e, problem) in cases {
            let mut r = CheckReport::default();
            r.add(e);
            assert_eq!(r.problems.len(), 1);
            assert_eq!(r.problems[0].problem, problem);
        }
    }

    /// A problem of block `id`, distinct for each id.
    fn damage(id: u64) -> Corruption {
        Corruption {
            structure: Structure::DataBlock,
            id: Some(id),
            offset: None,
            problem: Problem::Invalid("test"),
        }
    }

    #[test]
    fn problems_past_the_limit_are_counted_not_kept() {
        let mut r = CheckReport::default();
        for id in 0..MAX_PROBLEMS as u64 {
            r.add_corruption(damage(id));
        }
        // One met again is the same problem: neither kept nor counted.
        r.add_corruption(damage(0));
        assert_eq!((r.problems.len(), r.dropped), (MAX_PROBLEMS, 0));
        assert!(!r.is_clean());
        for id in 0..3 {
            r.add_corruption(damage(MAX_PROBLEMS as u64 + id));
        }
        assert_eq!((r.problems.len(), r.dropped), (MAX_PROBLEMS, 3));
    }

    #[test]
    fn merged_reports_add_up() {
        let part = |k: u64| {
            let mut r = CheckReport {
                dropped: k,
                pages: 2 * k,
                map_pages: 3 * k,
                nodes: 4 * k,
                blocks: 5 * k,
                blocks_ok: 6 * k,
                subnodes: 7 * k,
                ..Default::default()
            };
            r.add_corruption(damage(k));
            r.add_corruption(damage(1));
            r
        };
        let mut a = part(2);
        a.merge(part(3));
        assert_eq!(counts(&a), [5, 10, 15, 20, 25, 30, 35]);
        // The other's problems after this one's, each once.
        let ids: Vec<_> = a.problems.iter().map(|c| c.id).collect();
        assert_eq!(ids, [Some(2), Some(1), Some(3)]);
    }

    /// A small file with nodes, data trees and nested subnode trees.
    fn sample() -> Vec<u8> {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::Permute, FileKind::Pst);
        for i in 1..40u32 {
            let body: Vec<u8> = (0..(i as usize * 700))
                .map(|k| (k * 13 % 251) as u8)
                .collect();
            let data = w.add_stream(&body).unwrap();
            let att = w.add_block(&body[..body.len().min(300)]).unwrap();
            let sub = w
                .add_subnode_tree(&[(Nid::new(NidType::Attachment, 1), att, Bid(0))])
                .unwrap();
            w.add_node(Nid::new(NidType::NormalMessage, i), data, sub, Nid(0x122));
        }
        w.finish_bytes()
    }

    /// A report's counters, in declaration order.
    fn counts(r: &CheckReport) -> [u64; 7] {
        [
            r.dropped,
            r.pages,
            r.map_pages,
            r.nodes,
            r.blocks,
            r.blocks_ok,
            r.subnodes,
        ]
    }

    fn same(a: &CheckReport, b: &CheckReport) {
        assert_eq!(a.problems, b.problems);
        assert_eq!(a.notes, b.notes);
        assert_eq!(a.findings, b.findings);
        assert_eq!(counts(a), counts(b));
    }

    #[test]
    fn a_block_in_space_marked_free_is_reported() {
        let mut bytes = sample();
        let file = NdbFile::new(bytes.clone()).unwrap();
        assert!(check(file.ndb()).is_clean());
        // A block past the first span and past the first 504 bits (32
        // KiB) of its own span's map, so the span and the bit are found by
        // arithmetic no smaller file needs.
        let mut deep = None;
        for_each_bbt_leaf(file.ndb(), |_, e| {
            let rel = e.bref.ib.0 - FIRST_AMAP;
            if deep.is_none() && rel >= AMAP_SPAN && rel % AMAP_SPAN >= 504 * 64 {
                deep = Some(e);
            }
        });
        let b = deep.expect("a block deep in a later span");
        // Clear the block's first AMap bit and re-seal the page, so only
        // the allocation is wrong.
        let rel = (b.bref.ib.0 - FIRST_AMAP) % AMAP_SPAN / 64;
        let page = (FIRST_AMAP + (b.bref.ib.0 - FIRST_AMAP) / AMAP_SPAN * AMAP_SPAN) as usize;
        bytes[page + (rel / 8) as usize] &= !(0x80u8 >> (rel % 8));
        crate::write::seal_page(
            &mut bytes[page..page + 512],
            Format::UNICODE,
            PageType::AMap,
            Bid(page as u64),
            Ib(page as u64),
        );
        let file = NdbFile::new(bytes).unwrap();
        let r = check(file.ndb());
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        let p = &r.problems[0];
        assert_eq!(p.structure, Structure::AMapPage);
        assert_eq!(p.offset, Some(b.bref.ib.0));
        assert!(p.to_string().contains("marked free"), "{p}");
    }

    #[test]
    fn allocation_is_read_from_the_map_of_each_block_s_span() {
        let bytes = sample();
        let file = NdbFile::new(&bytes[..]).unwrap();
        let ndb = file.ndb();
        let f = ndb.format();
        let mut spans = HashSet::new();
        for_each_bbt_leaf(ndb, |_, e| {
            let len = f.block_size(usize::from(e.cb)) as u64;
            assert_eq!(allocated(ndb, e.bref.ib.0, len), Some(true), "{e:?}");
            spans.insert((e.bref.ib.0 - FIRST_AMAP) / AMAP_SPAN);
        });
        assert!(spans.len() >= 2, "{spans:?}");
        // The first map page is in use by its own bits; the last span's
        // free space (the writer ends the file at a span's end) is free.
        assert_eq!(allocated(ndb, FIRST_AMAP, 512), Some(true));
        let last = FIRST_AMAP + spans.iter().max().unwrap() * AMAP_SPAN;
        let bits = &bytes[last as usize..last as usize + 496];
        let free = (0..496 * 8u64)
            .find(|i| bits[(i / 8) as usize] & (0x80 >> (i % 8)) == 0)
            .expect("free space in the last span");
        assert!(free >= 504, "{free}");
        assert_eq!(allocated(ndb, last + free * 64, 64), Some(false));
        assert_eq!(allocated(ndb, last + free * 64 - 64, 128), Some(false));
        assert_eq!(allocated(ndb, last + free * 64 - 64, 64), Some(true));
        // The header's space belongs to no span.
        assert_eq!(allocated(ndb, 0x200, 64), None);
        assert_eq!(allocated(ndb, FIRST_AMAP - 64, 64), None);
    }

    #[test]
    fn a_file_cut_short_is_reported_and_one_with_bytes_past_its_end_is_not() {
        let bytes = sample();
        let eof = bytes.len() as u64;
        let cut = &bytes[..bytes.len() - 512];
        let file = NdbFile::new(cut).unwrap();
        let r = check(file.ndb());
        let p = r
            .problems
            .iter()
            .find(|p| p.structure == Structure::File)
            .expect("the file's size reported");
        assert_eq!(p.offset, Some(eof - 512));
        assert_eq!(
            p.problem,
            Problem::Truncated {
                needed: eof,
                available: eof - 512
            }
        );
        let mut longer = bytes.clone();
        longer.extend([0u8; 4096]);
        let file = NdbFile::new(longer).unwrap();
        let r = check(file.ndb());
        assert!(r.is_clean(), "{:?}", r.problems);
        // Every block verified, each counted once.
        assert!(r.blocks > 100);
        assert_eq!(r.blocks_ok, r.blocks);
    }

    /// An XBLOCK that two XXBLOCKs name is one set of references: its
    /// slots count once, as the writer counts them.
    #[test]
    fn an_xblock_under_two_xxblocks_counts_its_slots_once() {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
        let leaves: Vec<_> = (0..3u8)
            .map(|i| (w.add_block(&[i; 16]).unwrap(), 16))
            .collect();
        let shared = w.add_xblock(1, &leaves).unwrap();
        let other = w.add_xblock(1, &leaves[..1]).unwrap();
        let a = w.add_xblock(2, &[(shared, 48), (other, 16)]).unwrap();
        let b = w.add_xblock(2, &[(shared, 48)]).unwrap();
        w.add_node(Nid::new(NidType::NormalMessage, 1), a, Bid(0), Nid(0x122));
        w.add_node(Nid::new(NidType::NormalMessage, 2), b, Bid(0), Nid(0x122));
        let bytes = w.finish_bytes();
        let file = NdbFile::new(&bytes[..]).unwrap();
        assert_eq!(file.ndb().block_entry(shared).unwrap().refs, 3);
        assert_eq!(file.ndb().block_entry(leaves[1].0).unwrap().refs, 2);
        let r = check(file.ndb());
        assert!(r.is_clean(), "{:?}", r.problems);
        assert_eq!(r.findings, [], "{:?}", r.findings);
    }

    /// Rewrites the stored bytes of block `bid` with `edit` and mends its
    /// CRC, so that only what `edit` changed is wrong.
    fn edit_block(bytes: &mut [u8], bid: Bid, edit: impl Fn(&mut [u8])) {
        let (e, f) = {
            let file = NdbFile::new(&bytes[..]).unwrap();
            (file.ndb().block_entry(bid).unwrap(), file.ndb().format())
        };
        let (at, cb) = (e.bref.ib.0 as usize, usize::from(e.cb));
        edit(&mut bytes[at..at + cb]);
        let t_at = at + f.block_size(cb) - f.block_trailer_size;
        let mut t = crate::block::BlockTrailer::parse(&bytes[t_at..], f);
        t.crc = crate::crc::crc(&bytes[at..at + cb]);
        t.write(&mut bytes[t_at..], f);
    }

    fn problems(bytes: &[u8]) -> Vec<Corruption> {
        check(NdbFile::new(bytes).unwrap().ndb()).problems
    }

    #[test]
    fn internal_blocks_are_judged_by_their_kind() {
        let good = sample();
        let file = NdbFile::new(&good[..]).unwrap();
        let node = file
            .ndb()
            .node_entry(Nid::new(NidType::NormalMessage, 20))
            .unwrap();
        drop(file);
        assert!(node.data.is_internal());
        // A data tree's total as large as a stream of the file can be
        // (4 times the file's bytes) is only the reader's to judge (it
        // disagrees with the leaves); one byte more is the check's too.
        let limit = good.len() as u32 * 4;
        let total = |t: u32| {
            let mut bytes = good.clone();
            edit_block(&mut bytes, node.data, |b| {
                b[4..8].copy_from_slice(&t.to_le_bytes())
            });
            problems(&bytes)
                .into_iter()
                // The reader's own finding (the total against the leaves)
                // names their sum; the check's names the limit.
                .filter(|p| matches!(p.problem, Problem::Size { expected, .. } if expected == u64::from(limit)))
                .collect::<Vec<_>>()
        };
        assert_eq!(total(limit), []);
        let found = total(limit + 1);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].structure, found[0].id, &found[0].problem),
            (
                Structure::DataTree,
                Some(node.data.0),
                &Problem::Size {
                    what: "data tree total (lcbTotal)",
                    expected: u64::from(limit),
                    found: u64::from(limit) + 1,
                }
            )
        );
        // A damaged level is the data tree's or the subnode tree's
        // problem, by the block's kind.
        for (bid, structure) in [
            (node.data, Structure::DataTree),
            (node.sub, Structure::SubnodeTree),
        ] {
            let mut bytes = good.clone();
            edit_block(&mut bytes, bid, |b| b[1] = 7);
            let found = problems(&bytes);
            assert!(
                found
                    .iter()
                    .any(|p| p.structure == structure && p.id == Some(bid.0)),
                "{found:?}"
            );
        }
    }

    #[test]
    fn child_pages_keep_to_the_range_their_parent_gives() {
        let good = sample();
        let file = NdbFile::new(&good[..]).unwrap();
        let f = file.ndb().format();
        let root = file.header().root.bbt;
        let page = BtPage::read::<BbtEntry>(&good, f, root, None).unwrap();
        assert!(page.info.level >= 1 && page.info.count >= 3);
        let child = |i| {
            BtPage::read::<BbtEntry>(&good, f, page.branch(i).child, None)
                .unwrap()
                .bref
        };
        let (first, second) = (child(0), child(1));
        let first_page = BtPage::read::<BbtEntry>(&good, f, first, None).unwrap();
        let last_of_first = first_page.key::<BbtEntry>(first_page.info.count - 1);
        drop(file);
        let with_key = |key: u64| {
            let mut bytes = good.clone();
            let at = root.ib.0 as usize;
            let entry = page.info.entry_size;
            let mut e = page.branch(1);
            e.key = key;
            e.write(&mut bytes[at + entry..], f);
            crate::write::seal_page(
                &mut bytes[at..at + f.page_size],
                f,
                PageType::Bbt,
                root.bid,
                root.ib,
            );
            problems(&bytes)
                .into_iter()
                .filter(|p| {
                    p.problem == Problem::Invalid("key outside the range of the parent entry")
                })
                .map(|p| p.id)
                .collect::<Vec<_>>()
        };
        // The second child's keys start above its entry's key: its first
        // is below the range.
        let start = page.branch(1).key;
        assert_eq!(with_key(start + 2), [Some(second.bid.0)]);
        // The entry's key at or below the first child's last key: that key
        // is past the first child's range.
        assert_eq!(with_key(last_of_first), [Some(first.bid.0)]);
        assert_eq!(with_key(start), []);
    }

    #[test]
    fn a_missing_block_is_its_node_s_problem_and_damage_is_the_block_s() {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
        let nid = Nid::new(NidType::NormalMessage, 1);
        w.add_node(nid, Bid(0x9990), Bid(0), Nid(0x122));
        let bytes = w.finish_bytes();
        let found = problems(&bytes);
        assert!(
            found.iter().any(|p| p.structure == Structure::Node
                && p.id == Some(u64::from(nid.0))
                && p.problem == Problem::MissingBlock(0x9990)),
            "{found:?}"
        );
        // A data tree block whose CRC fails is the block's problem, not
        // its node's.
        let mut bytes = sample();
        let node = NdbFile::new(&bytes[..])
            .unwrap()
            .ndb()
            .node_entry(Nid::new(NidType::NormalMessage, 20))
            .unwrap();
        let e = NdbFile::new(&bytes[..])
            .unwrap()
            .ndb()
            .block_entry(node.data)
            .unwrap();
        bytes[e.bref.ib.0 as usize + 9] ^= 0xFF;
        let found = problems(&bytes);
        assert!(!found.is_empty());
        assert!(
            found.iter().all(|p| p.structure == Structure::DataTree),
            "{found:?}"
        );
    }

    #[test]
    fn subnode_trees_are_counted_once_and_nested_to_a_bound() {
        let r = check(NdbFile::new(sample()).unwrap().ndb());
        assert_eq!(r.subnodes, 39);
        assert!(r.pages >= 2);
        // Nested `depth` trees below a node's own.
        let nested = |depth: usize| {
            let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
            let block = w.add_block(b"leaf").unwrap();
            let sub_nid = Nid::new(NidType::Attachment, 1);
            let mut tree = w.add_subnode_tree(&[(sub_nid, block, Bid(0))]).unwrap();
            for _ in 0..depth {
                tree = w.add_subnode_tree(&[(sub_nid, block, tree)]).unwrap();
            }
            // Two nodes name the outermost tree: it is walked once.
            w.add_node(Nid::new(NidType::NormalMessage, 1), block, tree, Nid(0x122));
            w.add_node(Nid::new(NidType::NormalMessage, 2), block, tree, Nid(0x122));
            let bytes = w.finish_bytes();
            check(NdbFile::new(bytes).unwrap().ndb())
        };
        let r = nested(crate::block::MAX_SUBNODE_DEPTH);
        assert!(r.is_clean(), "{:?}", r.problems);
        assert_eq!(r.findings, []);
        assert_eq!(r.subnodes, crate::block::MAX_SUBNODE_DEPTH as u64 + 1);
        let r = nested(crate::block::MAX_SUBNODE_DEPTH + 1);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert_eq!(
            r.problems[0].problem,
            Problem::Invalid("subnode trees nested too deeply")
        );
    }

    /// A node past an XBLOCK's reach (about 8 MB in a Unicode file) has an
    /// XXBLOCK: its XBLOCKs' slots are references too, each counted once,
    /// so every block's cRef (1 + its references) checks clean.
    #[test]
    fn blocks_below_an_xxblock_are_counted_once() {
        let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::Permute, FileKind::Pst);
        let body: Vec<u8> = (0..9_000_000usize).map(|k| (k * 7 % 253) as u8).collect();
        let data = w.add_stream(&body).unwrap();
        assert!(data.is_internal());
        w.add_node(
            Nid::new(NidType::NormalMessage, 1),
            data,
            Bid(0),
            Nid(0x122),
        );
        let bytes = w.finish_bytes();
        let file = NdbFile::new(&bytes[..]).unwrap();
        let tree = file.ndb().read_block(data).unwrap();
        assert_eq!(parse_xblock(&tree, file.ndb().format()).unwrap().level, 2);
        let r = check(file.ndb());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert!(r.blocks > 1_100, "{} blocks", r.blocks);
    }

    #[test]
    fn both_halves_on_threads_report_as_one_walk() {
        let file = NdbFile::new(sample()).unwrap();
        let one = check_on(file.ndb(), false);
        assert!(one.is_clean(), "{:?}", one.problems);
        same(&one, &check_on(file.ndb(), true));
    }

    #[test]
    fn a_page_in_both_trees_is_a_cycle_either_way() {
        let mut data = sample();
        // The Unicode header's BBT root BREF (at 232) set to its NBT root
        // BREF (at 216), both CRCs re-sealed ([MS-PST] 2.2.2.6).
        let nbt = data[216..232].to_vec();
        data[232..248].copy_from_slice(&nbt);
        let partial = crate::crc::crc(&data[8..479]);
        data[4..8].copy_from_slice(&partial.to_le_bytes());
        let full = crate::crc::crc(&data[8..524]);
        data[524..528].copy_from_slice(&full.to_le_bytes());
        let file = NdbFile::new(&data[..]).unwrap();
        let one = check_on(file.ndb(), false);
        assert!(
            one.problems.iter().any(|p| p.problem == Problem::Cycle),
            "{:?}",
            one.problems
        );
        same(&one, &check_on(file.ndb(), true));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn damage_is_reported_the_same_on_one_thread_or_two(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        ) {
            let mut data = sample();
            let len = data.len();
            for (at, x) in flips {
                // Past the header: a broken header stops both alike.
                let i = 0x400 + at.index(len - 0x400);
                data[i] ^= x | 1;
            }
            if let Ok(file) = NdbFile::new(&data[..]) {
                same(&check_on(file.ndb(), false), &check_on(file.ndb(), true));
            }
        }
    }
}
