//! Salvage's relinking: items a folder's contents table lists whose node
//! entry is gone (the NBT leaf page that listed them was lost), found again
//! among the blocks no known node references.
//!
//! The rule, conservative throughout (a wrong pairing would copy someone
//! else's recipients or attachments):
//! * a candidate property context (an unreferenced data block or XBLOCK
//!   that decodes as one and holds a message class) matches an item when
//!   the values of [`MATCH_KEYS`] both its table row and the context hold
//!   are equal, the message class and at least one other among them;
//! * an item is relinked when all the contexts that match it hold the same
//!   bytes (one context, or identical copies, which make the same copy),
//!   no item that wants other bytes matches them, and there are no fewer
//!   such contexts than items wanting them (each takes its own);
//! * its subnode tree is the unreferenced SLBLOCK/SIBLOCK (or none) whose
//!   size on disk, added to the data's, equals the item's recorded
//!   PidTagMessageSize (the size on disk, as pstkit writes it), by the
//!   same rule: every tree that fits holds the same contents, and no more
//!   items want those contents than there are such trees;
//! * where the size names none (Outlook records another size than the size
//!   on disk) or several, a tree no item took by size whose recipients
//!   and attachments are what the item's own properties record of them
//!   (PidTagDisplayTo, Cc and Bcc; MSGFLAG_HASATTACH), when they record
//!   some, by the same rule, and only when no other item it fits wants
//!   another; every value of the item must then read with it. Otherwise
//!   the item is copied without subnodes (reported as copied in part).

use std::collections::{HashMap, HashSet};

use pstkit_ltp::{PropId, PropValue, TableContext};
use pstkit_ndb::block::{parse_subnode_block, parse_xblock, xblock_bid, MAX_SUBNODE_DEPTH};
use pstkit_ndb::{Bid, Ndb, Nid, NidType, StoredNode};
use pstkit_store::{pid, Message, RecipientKind, Store};

/// The contents-table columns an item is matched by: what identifies a
/// message and is the same in its row and its own properties (the flags
/// change with read state; Outlook's rows record another message size).
pub(super) const MATCH_KEYS: [PropId; 6] = [
    pid::MESSAGE_CLASS,
    pid::SUBJECT,
    pid::CLIENT_SUBMIT_TIME,
    pid::MESSAGE_DELIVERY_TIME,
    pid::LAST_MODIFICATION_TIME,
    pid::SEARCH_KEY,
];

/// A message-like candidate: its block, its [`MATCH_KEYS`] values, its
/// recorded size, a digest of its decoded bytes.
type Candidate = (Bid, Vec<(PropId, PropValue)>, Option<i32>, u64);

/// The subnode trees that fit an item, each with its contents' digest, or
/// why none can be told.
type Choices = Result<Vec<(Bid, u64)>, String>;

/// A relinked item's data and its subnode tree (or why it has none), or
/// why it was not relinked.
type Placed = Result<(Bid, Result<Bid, String>), String>;

/// Where a lost item's blocks were found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Relink {
    /// Its property context's data block or data tree.
    pub data: Bid,
    /// Its subnode tree, or 0.
    pub sub: Bid,
    /// Why its subnode tree could not be told apart, when it could not: the
    /// item is then copied without it.
    pub no_subnodes: Option<String>,
}

/// Finds the blocks of the items of `lost` (item, the source folder whose
/// contents table lists it), whose node entries are missing. One answer an
/// item, in order: where its blocks are, or why they were not found.
///
/// Memory: one `u64` a block reference of the known nodes (two a node plus
/// one an entry of each data-tree and subnode-tree block), a set of the
/// internal blocks read, the ids of the unreferenced blocks, and the
/// [`MATCH_KEYS`] values of each unreferenced property context that holds
/// a message class.
pub(super) fn relink(src: &Store<'_>, lost: &[(Nid, Nid)]) -> Vec<Result<Relink, String>> {
    let ndb = src.ndb();
    let (data_cands, sub_cands) = candidates(ndb);
    let cp = src.default_codepage();
    // Each message-like candidate: (its block, its matching values, its
    // recorded size, a digest of its decoded bytes).
    let probe = lost.first().map_or(Nid(0x24), |l| l.0);
    let decoded: Vec<Candidate> = data_cands
        .into_iter()
        .filter_map(|bid| {
            let node = ndb.node_from_parts(probe, bid, Bid(0)).ok()?;
            let bytes = fnv(&node.read_all().ok()?);
            let m = Message::read(node, cp).ok()?;
            let pc = m.properties();
            pc.get(pid::MESSAGE_CLASS)?.ok()?;
            let keys = MATCH_KEYS
                .iter()
                .filter_map(|&id| Some((id, pc.get(id)?.ok()?)))
                .collect();
            let size = m.try_i32(pid::MESSAGE_SIZE).ok().flatten();
            Some((bid, keys, size, bytes))
        })
        .collect();
    // Each lost item's matches, by index into `decoded`.
    let matches: Vec<Result<Vec<usize>, String>> = lost
        .iter()
        .map(|&(nid, folder)| {
            let row = listed_values(ndb, nid, folder)?;
            if row.is_empty() {
                return Err(
                    "its contents-table row holds none of the values it is matched by".into(),
                );
            }
            Ok(decoded
                .iter()
                .enumerate()
                .filter(|(_, (_, keys, _, _))| agrees(&row, keys))
                .map(|(i, _)| i)
                .collect())
        })
        .collect();
    // Contexts of equal bytes make the same copy, so an item may take any
    // of its matches when they all hold the same bytes, as long as every
    // item a context of those bytes matches wants those bytes alone, and
    // there are as many such contexts as items wanting them.
    let one_bytes = |m: &[usize]| -> Option<u64> {
        let d = decoded.get(*m.first()?)?.3;
        m.iter().all(|&i| decoded[i].3 == d).then_some(d)
    };
    let mut wanting: HashMap<u64, usize> = HashMap::new();
    let mut touching: HashMap<u64, usize> = HashMap::new();
    for m in matches.iter().flatten() {
        if let Some(d) = one_bytes(m) {
            *wanting.entry(d).or_default() += 1;
        }
        let ds: HashSet<u64> = m.iter().map(|&i| decoded[i].3).collect();
        for d in ds {
            *touching.entry(d).or_default() += 1;
        }
    }
    let mut taken: HashMap<u64, usize> = HashMap::new();
    // Each relinked item's data, and its subnode-tree choices (or why
    // there are none).
    let mut sub_info = vec![None; sub_cands.len()];
    let mut found: Vec<Result<(Bid, Choices), String>> = Vec::new();
    for (m, &(nid, _)) in matches.into_iter().zip(lost) {
        found.push(m.and_then(|m| {
            if m.is_empty() {
                return Err("no unreferenced property context holds its listed values".into());
            }
            let Some(d) = one_bytes(&m) else {
                return Err(format!(
                    "{} unreferenced property contexts of different contents match it",
                    m.len()
                ));
            };
            if touching[&d] != wanting[&d] || wanting[&d] > m.len() {
                return Err(
                    "the property context that matches it matches another lost item too".into(),
                );
            }
            let k = taken.entry(d).or_default();
            let (data, _, size, _) = &decoded[m[*k]];
            *k += 1;
            let choices = subnode_choices(ndb, nid, *data, *size, &sub_cands, &mut sub_info);
            Ok((*data, choices))
        }));
    }
    // Trees of equal contents make the same copy, so an item may take any
    // of its choices when they all hold the same contents; but no more
    // items may take contents of one digest than there are such trees.
    let mut trees: HashMap<u64, Vec<Bid>> = HashMap::new();
    for (s, info) in sub_cands.iter().zip(&sub_info) {
        if let Some(Some((_, d))) = info {
            trees.entry(*d).or_default().push(*s);
        }
    }
    let mut wanted: HashMap<u64, usize> = HashMap::new();
    for (_, c) in found.iter().flatten() {
        if let Ok(c) = c {
            if let Some(d) = one_contents(c) {
                *wanted.entry(d).or_default() += 1;
            }
        }
    }
    let mut given: HashMap<u64, usize> = HashMap::new();
    let mut placed: Vec<Placed> = found
        .into_iter()
        .map(|f| {
            let (data, choices) = f?;
            let sub = match choices {
                Err(why) => Err(why),
                Ok(c) if c.is_empty() => {
                    Err("no unreferenced subnode tree gives its recorded size".into())
                }
                Ok(c) => match one_contents(&c) {
                    Some(0) if c[0].0 .0 == 0 => Ok(Bid(0)),
                    Some(d) if wanted[&d] <= trees.get(&d).map_or(0, Vec::len) => {
                        let k = given.entry(d).or_default();
                        *k += 1;
                        Ok(trees[&d][*k - 1])
                    }
                    Some(_) => Err("its subnode tree could belong to another lost item".into()),
                    None => Err(format!(
                        "{} subnode trees of different contents give its recorded size",
                        c.len()
                    )),
                },
            };
            Ok((data, sub))
        })
        .collect();
    by_contents(src, lost, &sub_cands, &sub_info, &mut placed);
    placed
        .into_iter()
        .map(|p| {
            let (data, sub) = p?;
            let (sub, no_subnodes) = match sub {
                Ok(s) => (s, None),
                Err(why) => (Bid(0), Some(why)),
            };
            Ok(Relink {
                data,
                sub,
                no_subnodes,
            })
        })
        .collect()
}

/// What a subnode tree holds that an item's own properties describe: the
/// names of its To, Cc and Bcc recipients, each kind's joined by "; " (as
/// PidTagDisplayTo, PidTagDisplayCc and PidTagDisplayBcc record them), and
/// whether it has attachments (as MSGFLAG_HASATTACH records it).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Holds {
    names: [String; 3],
    attachments: bool,
}

impl Holds {
    /// What `m`'s subnode tree holds, when its tables read.
    fn of_tree(m: &Message<'_>) -> Option<Self> {
        let mut names: [Vec<String>; 3] = Default::default();
        for r in m.recipients().ok()? {
            let k = match r.kind {
                RecipientKind::To => 0,
                RecipientKind::Cc => 1,
                RecipientKind::Bcc => 2,
            };
            names[k].push(r.name.unwrap_or_default());
        }
        Some(Holds {
            names: names.map(|n| n.join("; ")),
            attachments: !m.attachment_ids().ok()?.is_empty(),
        })
    }

    /// What `m`'s own properties say its subnode tree holds (a display
    /// string absent: no recipient of that kind, as Outlook writes them).
    fn described(m: &Message<'_>) -> Self {
        let names = [pid::DISPLAY_TO, pid::DISPLAY_CC, pid::DISPLAY_BCC]
            .map(|id| m.string(id).unwrap_or_default());
        Holds {
            names,
            attachments: m.flags() & pstkit_store::state::MSGFLAG_HASATTACH != 0,
        }
    }

    /// Whether it holds anything: a tree of nothing tells no item apart.
    fn is_evidence(&self) -> bool {
        self.attachments || self.names.iter().any(|n| !n.is_empty())
    }
}

/// The second rule for the items whose size named no subnode tree
/// (`placed`, index by index with `lost`): a tree no item took by size
/// fits an item when its recipients and attachments are what the item's
/// properties describe (and they describe some); it is given by the same
/// rule as by size. The tree given is then read with the item's own
/// properties, every value of which must read (the check made with the
/// item's own code page, where the fit was found with another's).
fn by_contents(
    src: &Store<'_>,
    lost: &[(Nid, Nid)],
    sub_cands: &[Bid],
    sub_info: &[Option<Option<(u64, u64)>>],
    placed: &mut [Placed],
) {
    let ndb = src.ndb();
    let cp = src.default_codepage();
    let undecided: Vec<usize> = (0..placed.len())
        .filter(|&i| matches!(placed[i], Ok((_, Err(_)))))
        .collect();
    let Some(&(probe, probe_data)) = undecided
        .first()
        .and_then(|&i| Some((lost[i].0, placed[i].as_ref().ok()?.0)))
        .as_ref()
    else {
        return;
    };
    let taken: HashSet<Bid> = placed
        .iter()
        .filter_map(|p| p.as_ref().ok()?.1.as_ref().ok().copied())
        .collect();
    // Each free tree, its contents' digest and what it holds (its tables
    // read with any item's properties: they depend on the tree alone).
    let free: Vec<(Bid, u64, Holds)> = sub_cands
        .iter()
        .zip(sub_info)
        .filter(|(s, _)| !taken.contains(s))
        .filter_map(|(&s, info)| {
            let digest = match info {
                Some(Some((_, d))) => *d,
                Some(None) => return None,
                None => tree_info(ndb, probe, probe_data, s, 0)?.1,
            };
            let node = ndb.node_from_parts(probe, probe_data, s).ok()?;
            let holds = Holds::of_tree(&Message::read(node, cp).ok()?)?;
            holds.is_evidence().then_some((s, digest, holds))
        })
        .collect();
    // Each undecided item's fits, as indexes into `free`.
    let fits: Vec<(usize, Vec<usize>)> = undecided
        .iter()
        .filter_map(|&i| {
            let data = placed[i].as_ref().ok()?.0;
            let node = ndb.node_from_parts(lost[i].0, data, Bid(0)).ok()?;
            let described = Holds::described(&Message::read(node, cp).ok()?);
            if !described.is_evidence() {
                return None;
            }
            let f: Vec<usize> = (0..free.len())
                .filter(|&t| free[t].2 == described)
                .collect();
            Some((i, f))
        })
        .collect();
    let one = |f: &[usize]| -> Option<u64> {
        let d = free.get(*f.first()?)?.1;
        f.iter().all(|&t| free[t].1 == d).then_some(d)
    };
    // Fits are by equality, so the items that fit a tree fit the same
    // trees: no item can want a tree another item wants with others too,
    // and only the count of items per contents is left to check.
    let mut wanting = HashMap::<u64, usize>::new();
    let mut trees: HashMap<u64, Vec<Bid>> = HashMap::new();
    for (s, d, _) in &free {
        trees.entry(*d).or_default().push(*s);
    }
    for (_, f) in &fits {
        if let Some(d) = one(f) {
            *wanting.entry(d).or_default() += 1;
        }
    }
    let mut given: HashMap<u64, usize> = HashMap::new();
    for (i, f) in fits {
        let Some(d) = one(&f) else { continue };
        if wanting[&d] > trees[&d].len() {
            continue;
        }
        let k = given.entry(d).or_default();
        let tree = trees[&d][*k];
        *k += 1;
        let Ok((data, sub)) = &mut placed[i] else {
            continue;
        };
        let whole = ndb
            .node_from_parts(lost[i].0, *data, tree)
            .ok()
            .and_then(|n| Message::read(n, cp).ok())
            .filter(|m| {
                m.properties().props().all(|(_, v)| v.is_ok())
                    && Holds::of_tree(m).as_ref() == Some(&Holds::described(m))
            });
        if whole.is_some() {
            *sub = Ok(tree);
        }
    }
}

/// The store's named-property map when its node entry is lost: the one
/// unreferenced property context that holds the map's four properties
/// (PidTagNameidBucketCount and the GUID, entry and string streams, whose
/// ids and types nothing else has) and reads whole, with no subnode tree
/// or with the one unreferenced tree its streams need. `None` when none
/// reads, or when contexts of different maps do.
pub(super) fn name_map(src: &Store<'_>) -> Option<pstkit_store::NameMap> {
    use pstkit_ltp::props::name_map::tags;
    let ndb = src.ndb();
    let (data_cands, sub_cands) = candidates(ndb);
    let nid = Nid::NAME_TO_ID_MAP;
    let mut found: Vec<(Vec<(u16, String)>, pstkit_store::NameMap)> = Vec::new();
    for bid in data_cands {
        let Ok(node) = ndb.node_from_parts(nid, bid, Bid(0)) else {
            continue;
        };
        let Ok(pc) = pstkit_ltp::PropertyContext::read(node) else {
            continue;
        };
        let wanted = [
            tags::NAMEID_BUCKET_COUNT,
            tags::NAMEID_STREAM_GUID,
            tags::NAMEID_STREAM_ENTRY,
            tags::NAMEID_STREAM_STRING,
        ];
        if !wanted
            .iter()
            .all(|&t| pc.record(t).is_some_and(|r| r.tag == t))
        {
            continue;
        }
        // Without subnodes, or with each unreferenced tree in turn.
        let read = |sub: Bid| {
            let node = ndb.node_from_parts(nid, bid, sub).ok()?;
            let pc = pstkit_ltp::PropertyContext::read(node).ok()?;
            if pc.props().any(|(_, v)| v.is_err()) {
                return None;
            }
            pstkit_store::NameMap::read(&pc).ok()
        };
        let maps = std::iter::once(Bid(0))
            .chain(sub_cands.iter().copied())
            .filter_map(read);
        for map in maps {
            let mut key: Vec<(u16, String)> =
                map.iter().map(|(id, np)| (id.0, np.to_string())).collect();
            key.sort_unstable();
            if !found.iter().any(|(k, _)| *k == key) {
                found.push((key, map));
            }
        }
    }
    match found.len() {
        1 => found.pop().map(|(_, m)| m),
        _ => None,
    }
}

/// Whether a context's [`MATCH_KEYS`] values `pc` agree with a row's: the
/// message class held by both and equal, one value that tells messages
/// apart (subject, times, search key) held by both and equal, and no value
/// held by both that differs. (A row may hold what the context does not:
/// an OST's rows keep the last modification time, its items do not.)
fn agrees(row: &[(PropId, PropValue)], pc: &[(PropId, PropValue)]) -> bool {
    let both = || {
        row.iter()
            .filter_map(|(id, v)| Some((*id, v, &pc.iter().find(|(k, _)| k == id)?.1)))
    };
    both().all(|(_, v, w)| v == w)
        && both().any(|(id, _, _)| id == pid::MESSAGE_CLASS)
        && both().any(|(id, _, _)| id != pid::MESSAGE_CLASS)
}

/// An FNV-1a digest of `bytes`.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xCBF2_9CE4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// The one digest all of `choices` hold, when they hold one.
fn one_contents(choices: &[(Bid, u64)]) -> Option<u64> {
    let d = choices.first()?.1;
    choices.iter().all(|c| c.1 == d).then_some(d)
}

/// The subnode trees (`Bid(0)` for none) that give item `nid` with data
/// `data` its recorded size on disk, each with the digest of its contents
/// (location-independent), or why none can be chosen. `sub_info` keeps
/// each candidate tree's size and digest once measured (`None` inside: it
/// does not read).
fn subnode_choices(
    ndb: Ndb<'_>,
    nid: Nid,
    data: Bid,
    recorded: Option<i32>,
    sub_cands: &[Bid],
    sub_info: &mut [Option<Option<(u64, u64)>>],
) -> Choices {
    let recorded = recorded
        .and_then(|r| u64::try_from(r).ok())
        .ok_or("it records no message size")?;
    let (alone, _) = ndb
        .stored_node_with(nid, data, Bid(0))
        .map_err(|e| format!("its data tree: {e}"))?;
    let base = alone.size_on_disk();
    let mut choices = Vec::new();
    if base == recorded {
        choices.push((Bid(0), 0));
    }
    for (s, info) in sub_cands.iter().zip(sub_info.iter_mut()) {
        let info = *info.get_or_insert_with(|| tree_info(ndb, nid, data, *s, base));
        if let Some((size, digest)) = info {
            if size > 0 && base + size == recorded {
                choices.push((*s, digest));
            }
        }
    }
    Ok(choices)
}

/// Subnode tree `sub`'s size on disk (that of item `nid` with data `data`
/// and the tree, less `base`, the data's alone) and its contents' digest
/// (location-independent), when it reads.
fn tree_info(ndb: Ndb<'_>, nid: Nid, data: Bid, sub: Bid, base: u64) -> Option<(u64, u64)> {
    let (n, _) = ndb.stored_node_with(nid, data, sub).ok()?;
    let size = n.size_on_disk().checked_sub(base)?;
    let tree = StoredNode {
        blocks: Vec::new(),
        subnodes: n.subnodes,
    };
    Some((size, tree.digest()))
}

/// The [`MATCH_KEYS`] values item `nid`'s row in `folder`'s contents table
/// holds.
fn listed_values(ndb: Ndb<'_>, nid: Nid, folder: Nid) -> Result<Vec<(PropId, PropValue)>, String> {
    let kind = match nid.kind() {
        NidType::AssocMessage => NidType::AssocContentsTable,
        _ => NidType::ContentsTable,
    };
    let node = ndb
        .node(folder.with_kind(kind))
        .map_err(|e| format!("its folder's contents table: {e}"))?;
    let tc = TableContext::read(node).map_err(|e| format!("its folder's contents table: {e}"))?;
    let row = tc
        .find_row(nid.0)
        .map_err(|e| format!("its contents-table row: {e}"))?
        .ok_or("no contents-table row lists it")?;
    Ok(MATCH_KEYS
        .iter()
        .filter_map(|&id| Some((id, row.get(id)?.ok()?)))
        .collect())
}

/// The blocks no known node references and no unreferenced data or subnode
/// tree holds: (data blocks and XBLOCKs, SLBLOCKs and SIBLOCKs), in id
/// order.
fn candidates(ndb: Ndb<'_>) -> (Vec<Bid>, Vec<Bid>) {
    let mut seen = HashSet::new();
    let mut refd = Vec::new();
    for e in ndb.nodes().flatten() {
        mark(ndb, e.data, 0, &mut seen, &mut refd);
        mark(ndb, e.sub, 0, &mut seen, &mut refd);
    }
    refd.sort_unstable();
    refd.dedup();
    let unref: Vec<Bid> = ndb
        .blocks()
        .flatten()
        .map(|e| e.bref.bid.key())
        .filter(|b| refd.binary_search(&b.0).is_err())
        .collect();
    drop(refd);
    // What lies below an unreferenced tree is part of it, not a root.
    let mut inner = Vec::new();
    let mut seen = HashSet::new();
    for b in unref.iter().filter(|b| b.is_internal()) {
        if let Ok(block) = ndb.read_block(*b) {
            for c in children(ndb, &block) {
                mark(ndb, c, 1, &mut seen, &mut inner);
            }
        }
    }
    inner.sort_unstable();
    inner.dedup();
    let (mut data, mut subs) = (Vec::new(), Vec::new());
    for b in unref {
        if inner.binary_search(&b.0).is_ok() {
            continue;
        }
        if !b.is_internal() {
            data.push(b);
            continue;
        }
        match ndb.read_block(b).ok().and_then(|x| x.first().copied()) {
            Some(0x01) => data.push(b),
            Some(0x02) => subs.push(b),
            _ => {}
        }
    }
    (data, subs)
}

/// Adds `bid` and every block below it to `out`; `seen` keeps the internal
/// blocks read, so that each is read once however often it is named.
fn mark(ndb: Ndb<'_>, bid: Bid, depth: usize, seen: &mut HashSet<u64>, out: &mut Vec<u64>) {
    if bid.0 == 0 || depth > MAX_SUBNODE_DEPTH {
        return;
    }
    let key = bid.key();
    out.push(key.0);
    if !key.is_internal() || !seen.insert(key.0) {
        return;
    }
    let Ok(block) = ndb.read_block(key) else {
        return;
    };
    for c in children(ndb, &block) {
        mark(ndb, c, depth + 1, seen, out);
    }
}

/// The blocks an XBLOCK, XXBLOCK, SLBLOCK or SIBLOCK names (none for
/// anything else).
fn children(ndb: Ndb<'_>, b: &[u8]) -> Vec<Bid> {
    let f = ndb.format();
    let id = |at: usize| -> Bid {
        let Some(bytes) = b.get(at..at + f.id_size) else {
            return Bid(0);
        };
        let mut v = [0u8; 8];
        v[..f.id_size].copy_from_slice(bytes);
        Bid(u64::from_le_bytes(v))
    };
    let mut out = Vec::new();
    if let Ok(h) = parse_xblock(b, f) {
        out.extend((0..h.count).map(|i| xblock_bid(b, f, i)));
    } else if let Ok(h) = parse_subnode_block(b, f) {
        for i in 0..h.count {
            let at = f.subnode_header_size() + i * h.entry_size(f);
            out.push(id(at + f.id_size));
            if h.level == 0 {
                out.push(id(at + 2 * f.id_size));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a tree that holds something tells items apart: recipients of
    /// any kind, or attachments.
    #[test]
    fn evidence_is_a_recipient_or_an_attachment() {
        let holds = |names: [&str; 3], attachments| Holds {
            names: names.map(String::from),
            attachments,
        };
        assert!(!holds(["", "", ""], false).is_evidence());
        assert!(holds(["", "", ""], true).is_evidence());
        assert!(holds(["A", "", ""], false).is_evidence());
        assert!(holds(["", "", "B"], false).is_evidence());
    }
}
