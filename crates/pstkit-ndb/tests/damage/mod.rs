//! Deterministic damage to the index of a PST/OST file, for the recovery
//! tests (also used by the store's and the command's recovery tests). The
//! including test names the NDB crate `ndb` at its root (`use pstkit_ndb as
//! ndb;`, or `use pstkit::ndb;`).

#![allow(dead_code)]

use super::ndb::btree::{BbtEntry, BtPage, LeafEntry, NbtEntry};
use super::ndb::page::PageType;
use super::ndb::{BRef, Bid, Format, Header, Ib};

/// The damage kinds the recovery must survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

/// Every damage kind.
pub const ALL: [Damage; 5] = [
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

/// Applies `d` to `data`; returns the byte ranges whose contents are lost
/// (only the zero run destroys bytes; the other kinds change counts or
/// references and re-seal).
pub fn apply(data: &mut [u8], d: Damage) -> Vec<(u64, u64)> {
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
    }
}

/// Whether `[at, at + len)` meets one of `ranges`.
pub fn hits(ranges: &[(u64, u64)], at: u64, len: u64) -> bool {
    ranges.iter().any(|&(s, e)| at < e && s < at + len)
}

/// Keeps the compiler from flagging the imports only some users need.
pub fn _unused(_: Bid, _: BbtEntry) {}
