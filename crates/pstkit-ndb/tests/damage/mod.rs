//! Deterministic damage to a PST/OST file, for the recovery tests (also
//! used by the store's and the command's recovery tests): to its index
//! ([`INDEX_KINDS`]), and to its length, pages and blocks ([`all`], whose
//! kinds that choose positions take them from a seed). The including test
//! names the NDB crate `ndb` at its root (`use pstkit_ndb as ndb;`, or
//! `use pstkit::ndb;`).

#![allow(dead_code)]

use super::ndb::btree::{BbtEntry, BtPage, LeafEntry, NbtEntry};
use super::ndb::page::PageType;
use super::ndb::{BRef, Bid, Format, Header, Ib};

/// The damage kinds the recovery must survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Damage {
    /// The NBT root page's `cLevel` set to 0x7F (page re-sealed).
    NbtRootLevel,
    /// The BBT root page's `cLevel` set to 0x7F (page re-sealed).
    BbtRootLevel,
    /// One NBT leaf's `cEnt` set to `cEntMax + 1` (page re-sealed).
    NbtLeafCount,
    /// The header's two root BREFs swapped (header CRCs fixed).
    HeaderRoots,
    /// 4 KiB of zeros from the NBT root page on.
    ZeroRun,
    /// The file cut at a page boundary in its second half.
    Truncate { seed: u64 },
    /// The header's two root BREFs pointed at other page offsets of the
    /// file (ids kept; header CRCs fixed).
    RootsMoved { seed: u64 },
    /// One B-tree page's bytes copied over another B-tree page.
    PageDuplicated { seed: u64 },
    /// Up to three block trailers given a wrong `cb` (the blocks' bytes,
    /// CRCs and the BBT's sizes intact).
    BlockCb { seed: u64 },
    /// One XBLOCK's or XXBLOCK's `lcbTotal` set to 0xFFFFFFFF (CRC fixed);
    /// nothing on a file without one.
    XblockTotal { seed: u64 },
    /// One byte flipped in each of up to three blocks, their CRCs fixed.
    ByteFlips { seed: u64 },
    /// The NBT leaf page listing the most normal messages overwritten with
    /// zeros: their blocks are intact, no node entry names them.
    NbtLeafLost,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, seed) = match *self {
            Damage::NbtRootLevel => ("NbtRootLevel", None),
            Damage::BbtRootLevel => ("BbtRootLevel", None),
            Damage::NbtLeafCount => ("NbtLeafCount", None),
            Damage::HeaderRoots => ("HeaderRoots", None),
            Damage::ZeroRun => ("ZeroRun", None),
            Damage::Truncate { seed } => ("Truncate", Some(seed)),
            Damage::RootsMoved { seed } => ("RootsMoved", Some(seed)),
            Damage::PageDuplicated { seed } => ("PageDuplicated", Some(seed)),
            Damage::BlockCb { seed } => ("BlockCb", Some(seed)),
            Damage::XblockTotal { seed } => ("XblockTotal", Some(seed)),
            Damage::ByteFlips { seed } => ("ByteFlips", Some(seed)),
            Damage::NbtLeafLost => ("NbtLeafLost", None),
        };
        match seed {
            Some(s) => out.pad(&format!("{name}/{s}")),
            None => out.pad(name),
        }
    }
}

impl Damage {
    /// Whether the kind always damages the node or block B-tree (or the
    /// header's references to them): a salvage must rebuild the index from
    /// the file. (A truncation may cut off blocks only.)
    pub fn breaks_index(self) -> bool {
        !matches!(
            self,
            Damage::Truncate { .. }
                | Damage::BlockCb { .. }
                | Damage::XblockTotal { .. }
                | Damage::ByteFlips { .. }
        )
    }
}

/// Every kind, those that choose positions with `seed`.
pub fn all(seed: u64) -> Vec<Damage> {
    let mut out = INDEX_KINDS.to_vec();
    out.extend([
        Damage::Truncate { seed },
        Damage::RootsMoved { seed },
        Damage::PageDuplicated { seed },
        Damage::BlockCb { seed },
        Damage::XblockTotal { seed },
        Damage::ByteFlips { seed },
        Damage::NbtLeafLost,
    ]);
    out
}

/// A small xorshift generator: the positions a seeded kind chooses.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Never zero (xorshift's fixed point); seeds 0 and 1 differ.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The damage kinds that break the index only (no byte of a block or of
/// the file's length changes, except the zero run's).
pub const INDEX_KINDS: [Damage; 5] = [
    Damage::NbtRootLevel,
    Damage::BbtRootLevel,
    Damage::NbtLeafCount,
    Damage::HeaderRoots,
    Damage::ZeroRun,
];

/// The pages of the tree rooted at `root`: reference and level, parents first.
pub fn tree_pages<E: LeafEntry>(data: &[u8], f: Format, root: BRef) -> Vec<(BRef, u8)> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(bref) = stack.pop() {
        let p = BtPage::read::<E>(data, f, bref, None).expect("an intact tree");
        out.push((bref, p.info.level));
        if p.info.level > 0 {
            for i in 0..p.info.count {
                stack.push(p.branch(i).child);
            }
        }
    }
    out
}

/// The NBT leaf pages with the node ids each holds.
pub fn nbt_leaves(data: &[u8], f: Format, root: BRef) -> Vec<(BRef, Vec<u32>)> {
    tree_pages::<NbtEntry>(data, f, root)
        .into_iter()
        .filter(|(_, l)| *l == 0)
        .map(|(bref, _)| {
            let p = BtPage::read::<NbtEntry>(data, f, bref, Some(0)).unwrap();
            let nids = (0..p.info.count)
                .map(|i| p.leaf::<NbtEntry>(i).nid.0)
                .collect();
            (bref, nids)
        })
        .collect()
}

fn counts_at(f: Format) -> usize {
    f.bt_entries_size()
}

fn level_at(f: Format) -> usize {
    f.bt_entries_size() + 2 * f.bt_count_size + 1
}

fn reseal(data: &mut [u8], f: Format, ptype: PageType, bref: BRef) {
    let at = bref.ib.0 as usize;
    super::ndb::write::seal_page(
        &mut data[at..at + f.page_size],
        f,
        ptype,
        bref.bid,
        Ib(bref.ib.0),
    );
}

/// Offsets of the NBT and BBT root BREFs (bid, ib) in the header.
fn root_offsets(f: Format) -> [usize; 4] {
    if f.id_size == 4 {
        [0xB8, 0xBC, 0xC0, 0xC4]
    } else {
        [0xD8, 0xE0, 0xE8, 0xF0]
    }
}

/// Recomputes the header CRCs, so the header still reads.
fn fix_header_crc(data: &mut [u8], f: Format) {
    let partial = super::ndb::crc::crc(&data[8..479]);
    data[4..8].copy_from_slice(&partial.to_le_bytes());
    if f.id_size == 8 {
        let full = super::ndb::crc::crc(&data[8..524]);
        data[524..528].copy_from_slice(&full.to_le_bytes());
    }
}

/// The BBT's leaf entries.
pub fn bbt_entries(data: &[u8], f: Format, root: BRef) -> Vec<BbtEntry> {
    tree_pages::<BbtEntry>(data, f, root)
        .into_iter()
        .filter(|(_, l)| *l == 0)
        .flat_map(|(bref, _)| {
            let p = BtPage::read::<BbtEntry>(data, f, bref, Some(0)).unwrap();
            (0..p.info.count)
                .map(|i| p.leaf::<BbtEntry>(i))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Offset of a block's trailer.
fn trailer_at(f: Format, e: &BbtEntry) -> usize {
    e.bref.ib.0 as usize + f.block_size(usize::from(e.cb)) - f.block_trailer_size
}

/// A block's byte range.
fn block_range(f: Format, e: &BbtEntry) -> (u64, u64) {
    let at = e.bref.ib.0;
    (at, at + f.block_size(usize::from(e.cb)) as u64)
}

/// Recomputes a block's CRC into its trailer.
fn fix_block_crc(data: &mut [u8], f: Format, e: &BbtEntry) {
    let at = e.bref.ib.0 as usize;
    let crc = super::ndb::crc::crc(&data[at..at + usize::from(e.cb)]);
    let t = trailer_at(f, e) + if f.id_size == 4 { 8 } else { 4 };
    data[t..t + 4].copy_from_slice(&crc.to_le_bytes());
}

/// XORs byte `k` of block `bid`'s stored bytes with 0x5A and seals the
/// block again (its trailer's CRC made right), so that only decoding finds
/// the change; returns the block's file offset.
pub fn flip_sealed(data: &mut [u8], bid: Bid, k: usize) -> u64 {
    let (f, e) = {
        let file = super::ndb::NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        (ndb.format(), ndb.block_entry(bid).unwrap())
    };
    data[e.bref.ib.0 as usize + k] ^= 0x5A;
    fix_block_crc(data, f, &e);
    e.bref.ib.0
}

/// Up to `n` distinct entries of `from`, chosen by `rng`, in file order.
fn choose<T: Clone>(rng: &mut Rng, from: &[T], n: usize) -> Vec<T> {
    let mut idx: Vec<usize> = Vec::new();
    while idx.len() < n.min(from.len()) {
        let i = rng.below(from.len());
        if !idx.contains(&i) {
            idx.push(i);
        }
    }
    idx.sort_unstable();
    idx.into_iter().map(|i| from[i].clone()).collect()
}

/// Applies `d` to `data` (the truncation shortens it); returns the byte
/// ranges whose contents are lost or altered: the zero run, the cut-off
/// tail, the page written over, the blocks whose bytes changed. The other
/// kinds change counts, references or trailers only, and re-seal.
pub fn apply(data: &mut Vec<u8>, d: Damage) -> Vec<(u64, u64)> {
    let h = Header::parse(data).unwrap();
    let f = h.format;
    match d {
        Damage::NbtRootLevel => {
            let at = h.root.nbt.ib.0 as usize;
            data[at + level_at(f)] = 0x7F;
            reseal(data, f, PageType::Nbt, h.root.nbt);
            Vec::new()
        }
        Damage::BbtRootLevel => {
            let at = h.root.bbt.ib.0 as usize;
            data[at + level_at(f)] = 0x7F;
            reseal(data, f, PageType::Bbt, h.root.bbt);
            Vec::new()
        }
        Damage::NbtLeafCount => {
            // The fullest leaf: the most nodes at stake.
            let leaves = nbt_leaves(data, f, h.root.nbt);
            let (bref, _) = leaves.iter().max_by_key(|(_, n)| n.len()).unwrap().clone();
            let at = bref.ib.0 as usize + counts_at(f);
            if f.bt_count_size == 2 {
                let max = u16::from_le_bytes([data[at + 2], data[at + 3]]);
                data[at..at + 2].copy_from_slice(&(max + 1).to_le_bytes());
            } else {
                data[at] = data[at + 1] + 1;
            }
            reseal(data, f, PageType::Nbt, bref);
            Vec::new()
        }
        Damage::HeaderRoots => {
            let o = root_offsets(f);
            let w = f.id_size;
            for k in 0..2 {
                let (a, b) = (o[k], o[k + 2]);
                let tmp = data[a..a + w].to_vec();
                data.copy_within(b..b + w, a);
                data[b..b + w].copy_from_slice(&tmp);
            }
            fix_header_crc(data, f);
            Vec::new()
        }
        Damage::ZeroRun => {
            let at = h.root.nbt.ib.0 as usize;
            let end = (at + 4096).min(data.len());
            data[at..end].fill(0);
            vec![(at as u64, end as u64)]
        }
        Damage::Truncate { seed } => {
            let mut rng = Rng::new(seed);
            let len = data.len();
            let half = len / 2;
            let cut = (half + rng.below(len - half)) / f.page_size * f.page_size;
            let cut = cut.max(f.header_size);
            data.truncate(cut);
            vec![(cut as u64, len as u64)]
        }
        Damage::RootsMoved { seed } => {
            let mut rng = Rng::new(seed);
            let o = root_offsets(f);
            let pages = (data.len() - f.header_size) / f.page_size;
            let w = f.id_size;
            for (k, old) in [(1, h.root.nbt.ib.0), (3, h.root.bbt.ib.0)] {
                let mut ib = old;
                while ib == old {
                    ib = (f.header_size + rng.below(pages) * f.page_size) as u64;
                    ib = ib / f.page_size as u64 * f.page_size as u64;
                }
                data[o[k]..o[k] + w].copy_from_slice(&ib.to_le_bytes()[..w]);
            }
            fix_header_crc(data, f);
            Vec::new()
        }
        Damage::PageDuplicated { seed } => {
            let mut rng = Rng::new(seed);
            let mut pages: Vec<BRef> = tree_pages::<NbtEntry>(data, f, h.root.nbt)
                .into_iter()
                .map(|p| p.0)
                .collect();
            pages.extend(
                tree_pages::<BbtEntry>(data, f, h.root.bbt)
                    .into_iter()
                    .map(|p| p.0),
            );
            let two = choose(&mut rng, &pages, 2);
            let (from, to) = if rng.below(2) == 0 {
                (two[0], two[1])
            } else {
                (two[1], two[0])
            };
            let (s, t) = (from.ib.0 as usize, to.ib.0 as usize);
            data.copy_within(s..s + f.page_size, t);
            vec![(t as u64, (t + f.page_size) as u64)]
        }
        Damage::BlockCb { seed } => {
            let mut rng = Rng::new(seed);
            let blocks = bbt_entries(data, f, h.root.bbt);
            for e in choose(&mut rng, &blocks, 3) {
                let t = trailer_at(f, &e);
                let wrong = e.cb.wrapping_add(1 + rng.below(64) as u16);
                data[t..t + 2].copy_from_slice(&wrong.to_le_bytes());
            }
            Vec::new()
        }
        Damage::XblockTotal { seed } => {
            let mut rng = Rng::new(seed);
            let xblocks: Vec<BbtEntry> = bbt_entries(data, f, h.root.bbt)
                .into_iter()
                .filter(|e| {
                    let at = e.bref.ib.0 as usize;
                    e.bref.bid.is_internal()
                        && e.cb == e.inflated
                        && e.cb >= 8
                        && data[at] == 0x01
                        && matches!(data[at + 1], 1 | 2)
                })
                .collect();
            let Some(e) = choose(&mut rng, &xblocks, 1).pop() else {
                return Vec::new();
            };
            let at = e.bref.ib.0 as usize;
            data[at + 4..at + 8].fill(0xFF);
            fix_block_crc(data, f, &e);
            vec![block_range(f, &e)]
        }
        Damage::ByteFlips { seed } => {
            let mut rng = Rng::new(seed);
            let blocks = bbt_entries(data, f, h.root.bbt);
            let mut lost = Vec::new();
            for e in choose(&mut rng, &blocks, 3) {
                if e.cb == 0 {
                    continue;
                }
                let at = e.bref.ib.0 as usize + rng.below(usize::from(e.cb));
                data[at] ^= 1 + rng.below(255) as u8;
                fix_block_crc(data, f, &e);
                lost.push(block_range(f, &e));
            }
            lost
        }
        Damage::NbtLeafLost => {
            let Some(bref) = lost_leaf(data, f, h.root.nbt) else {
                return Vec::new();
            };
            let at = bref.ib.0 as usize;
            data[at..at + f.page_size].fill(0);
            vec![(at as u64, (at + f.page_size) as u64)]
        }
    }
}

/// The NBT leaf [`Damage::NbtLeafLost`] destroys: the one listing the most
/// normal messages (the first of equals), none when no leaf lists one or
/// the NBT has a single page (then the root itself would go).
pub fn lost_leaf(data: &[u8], f: Format, root: BRef) -> Option<BRef> {
    let leaves = nbt_leaves(data, f, root);
    if leaves.len() < 2 {
        return None;
    }
    let messages = |n: &[u32]| n.iter().filter(|&&id| id & 0x1F == 0x04).count();
    let most = leaves.iter().map(|(_, n)| messages(n)).max()?;
    if most == 0 {
        return None;
    }
    leaves
        .iter()
        .find(|(_, n)| messages(n) == most)
        .map(|(b, _)| *b)
}

/// Whether `[at, at + len)` meets one of `ranges`.
pub fn hits(ranges: &[(u64, u64)], at: u64, len: u64) -> bool {
    ranges.iter().any(|&(s, e)| at < e && s < at + len)
}

/// Keeps the compiler from flagging the imports only some users need.
pub fn _unused(_: Bid) {}

/// Writes `bytes` at file offset `at`, inside a block, and seals that block
/// again: the change reaches the parsers above the block layer.
pub fn patch_sealed(data: &mut [u8], at: usize, bytes: &[u8]) {
    let (f, e) = {
        let file = super::ndb::NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        let e = ndb
            .blocks()
            .map(|e| e.unwrap())
            .find(|e| {
                let (from, to) = (
                    e.bref.ib.0 as usize,
                    e.bref.ib.0 as usize + usize::from(e.cb),
                );
                from <= at && at + bytes.len() <= to
            })
            .expect("the offset lies inside a block");
        (ndb.format(), e)
    };
    data[at..at + bytes.len()].copy_from_slice(bytes);
    fix_block_crc(data, f, &e);
}

/// Edits node `nid`'s NBT leaf entry and seals its page again. The caller
/// keeps the leaf's keys in order.
pub fn patch_nbt_entry(data: &mut [u8], nid: u32, edit: impl FnOnce(&mut NbtEntry)) {
    let h = Header::parse(data).unwrap();
    let f = h.format;
    let (bref, i) = nbt_leaves(data, f, h.root.nbt)
        .into_iter()
        .find_map(|(bref, nids)| Some((bref, nids.iter().position(|&n| n == nid)?)))
        .expect("the node is in the NBT");
    let size = NbtEntry::size(f);
    let at = bref.ib.0 as usize + i * size;
    let mut e = NbtEntry::parse(&data[at..at + size], f);
    edit(&mut e);
    e.write(&mut data[at..at + size], f);
    reseal(data, f, PageType::Nbt, bref);
}

/// Takes node `nid`'s entry out of its NBT leaf page (the later entries
/// move up one, the count drops by one) and seals the page again: the node
/// is gone from the index, its blocks are left as they are.
pub fn drop_nbt_entry(data: &mut [u8], nid: u32) {
    let h = Header::parse(data).unwrap();
    let f = h.format;
    let (bref, i, n) = nbt_leaves(data, f, h.root.nbt)
        .into_iter()
        .find_map(|(bref, nids)| Some((bref, nids.iter().position(|&x| x == nid)?, nids.len())))
        .expect("the node is in the NBT");
    let size = NbtEntry::size(f);
    let at = bref.ib.0 as usize;
    data.copy_within(at + (i + 1) * size..at + n * size, at + i * size);
    data[at + (n - 1) * size..at + n * size].fill(0);
    let c = at + counts_at(f);
    if f.bt_count_size == 2 {
        data[c..c + 2].copy_from_slice(&((n - 1) as u16).to_le_bytes());
    } else {
        data[c] = (n - 1) as u8;
    }
    reseal(data, f, PageType::Nbt, bref);
}

/// Sets the `cRef` of block `bid`'s BBT entry and seals its leaf page again,
/// so that only the count is wrong; returns the page's offset.
pub fn set_block_refs(data: &mut [u8], bid: Bid, refs: u16) -> u64 {
    let h = Header::parse(data).unwrap();
    let f = h.format;
    for (bref, level) in tree_pages::<BbtEntry>(data, f, h.root.bbt) {
        if level != 0 {
            continue;
        }
        let p = BtPage::read::<BbtEntry>(data, f, bref, Some(0)).unwrap();
        let Some(i) = (0..p.info.count).find(|&i| p.leaf::<BbtEntry>(i).bref.bid == bid) else {
            continue;
        };
        let mut e = p.leaf::<BbtEntry>(i);
        e.refs = refs;
        let at = bref.ib.0 as usize + i * p.info.entry_size;
        e.write(&mut data[at..], f);
        reseal(data, f, PageType::Bbt, bref);
        return bref.ib.0;
    }
    panic!("block {bid:?} is not in the BBT")
}

/// Sets the header's `bidNextB` and fixes the header CRCs, so that only the
/// counter is wrong; returns the field's offset.
pub fn set_next_bid(data: &mut [u8], next: u64) -> u64 {
    let f = Header::parse(data).unwrap().format;
    let at = if f.id_size == 4 {
        data[24..28].copy_from_slice(&(next as u32).to_le_bytes());
        24
    } else {
        data[516..524].copy_from_slice(&next.to_le_bytes());
        516
    };
    fix_header_crc(data, f);
    at
}

/// Sets the header's `rgnid[t]` and fixes the header CRCs; returns the
/// field's offset.
pub fn set_nid_counter(data: &mut [u8], t: usize, value: u32) -> u64 {
    let f = Header::parse(data).unwrap().format;
    let at = if f.id_size == 4 { 36 } else { 44 } + 4 * t;
    data[at..at + 4].copy_from_slice(&value.to_le_bytes());
    fix_header_crc(data, f);
    at as u64
}
