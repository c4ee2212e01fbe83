//! Rules on the folder tree: each folder's tables against the nodes that
//! name it as parent, its counts against its tables, and each item against
//! the row that lists it.

use std::collections::HashSet;
use std::sync::Arc;

use pstkit_ltp::{PropId, PropValue, TableContext};
use pstkit_ndb::{Bid, Ndb, NdbError, Nid, NidType};

use super::structure::{property_context, table_context};
use super::{AuditReport, Children, Finding, MAX_FINDINGS};
use crate::message::Message;
use crate::pid;
use crate::store::{Folder, Store};

/// The properties a contents row copies from its message, which must agree.
const MIRRORED: &[PropId] = &[
    pid::MESSAGE_CLASS,
    pid::SUBJECT,
    pid::MESSAGE_FLAGS,
    pid::MESSAGE_DELIVERY_TIME,
    pid::LAST_MODIFICATION_TIME,
];

/// Files from this size are audited on two threads (as `ndb::check` does).
const PARALLEL_FROM: usize = 16 << 20;

/// What the folder walk met, in walk order: a folder to audit (its id and
/// path), or one that does not read.
enum Unit {
    Folder(Nid, String),
    Unreadable(Nid, String, String),
}

/// Items read per batch: each waits with its row's mirrored cells (a few
/// hundred bytes) until its batch is read in file order, so this bounds the
/// memory the ordering takes, whatever the number of items.
pub(super) const BATCH: usize = 16_384;

/// An item to read: where its findings go in walk order, and what its
/// folder's row says of it.
struct Job {
    slot: u64,
    nid: Nid,
    path: Arc<str>,
    /// The folder's index in [`Walk::folders`].
    folder: usize,
    /// Listed in a contents table (not an associated one): counts towards
    /// the folder's unread count.
    normal: bool,
    /// The row's cells of [`MIRRORED`] and PidTagMessageSize that read.
    cells: Vec<(PropId, PropValue)>,
}

/// A folder whose unread count waits for its items.
struct Pending {
    nid: Nid,
    path: Arc<str>,
    /// Its PidTagContentUnreadCount, when it has one that reads.
    recorded: Option<i32>,
    /// Where its finding goes, after its items'.
    slot: u64,
    unread: i64,
}

/// Findings made out of walk order, each with its place in it: `slot`
/// numbers the stretches of the walk (a folder's own rules between two
/// items, one item), and a slot's findings keep their order. Kept: the
/// first [`MAX_FINDINGS`] in walk order, as a report made in walk order
/// keeps them; the rest counted.
#[derive(Default)]
pub(super) struct Ordered {
    kept: Vec<(u64, u32, Finding)>,
    dropped: u64,
}

impl Ordered {
    /// Files the findings of slot `slot` (a report of that slot alone).
    pub(super) fn put(&mut self, slot: u64, r: AuditReport) {
        self.dropped += r.dropped;
        for (i, f) in r.findings.into_iter().enumerate() {
            self.kept.push((slot, i as u32, f));
        }
        if self.kept.len() >= 2 * MAX_FINDINGS {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.kept.sort_unstable_by_key(|k| (k.0, k.1));
        if self.kept.len() > MAX_FINDINGS {
            self.dropped += (self.kept.len() - MAX_FINDINGS) as u64;
            self.kept.truncate(MAX_FINDINGS);
        }
    }

    /// The findings in walk order, after those of `r`.
    pub(super) fn into(mut self, r: &mut AuditReport) {
        self.trim();
        r.merge(AuditReport {
            findings: self.kept.into_iter().map(|k| k.2).collect(),
            dropped: self.dropped,
            ..AuditReport::default()
        });
    }
}

/// The walk's state: folders are audited in walk order, their items
/// gathered and read in batches in file order.
struct Walk<'s, 'a> {
    store: &'s Store<'a>,
    children: Children,
    two: bool,
    /// Items read per batch ([`BATCH`]).
    batch: usize,
    /// The next slot; the current stretch of folder rules is `slot`.
    slot: u64,
    /// The findings of the current stretch.
    here: AuditReport,
    found: Ordered,
    jobs: Vec<Job>,
    folders: Vec<Pending>,
    folders_read: u64,
    items: u64,
}

impl Walk<'_, '_> {
    /// Ends the current stretch of folder rules and returns the slot of
    /// what comes next.
    fn next_slot(&mut self) -> u64 {
        let here = std::mem::take(&mut self.here);
        self.found.put(self.slot, here);
        self.slot += 1;
        self.slot
    }

    /// Ends the current stretch of folder rules and reserves the slot
    /// after it, for what is filed later (an item, an unread count).
    fn reserve(&mut self) -> u64 {
        let slot = self.next_slot();
        self.slot += 1;
        slot
    }

    /// Queues an item to be read; its findings go in its slot.
    fn item(&mut self, job: Job) {
        self.jobs.push(job);
        if self.jobs.len() >= self.batch {
            self.read_items();
        }
    }

    /// Reads the queued items in file order (on two threads, each with a
    /// store of its own, when asked) and files their findings.
    fn read_items(&mut self) {
        let jobs = std::mem::take(&mut self.jobs);
        let store = self.store;
        let sorted: Vec<&Job> = file_order(store.ndb(), &jobs)
            .into_iter()
            .map(|i| &jobs[i])
            .collect();
        let done = if self.two && sorted.len() > 1 {
            let (first, second) = sorted.split_at(sorted.len() / 2);
            let ndb = store.ndb();
            let (mut a, b) = std::thread::scope(|s| {
                let b = s.spawn(|| Store::open(ndb).ok().map(|own| read_all(&own, second)));
                let a = read_all(store, first);
                (a, b.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            });
            // A store that opened once and not twice (the file changed): the
            // second half on this thread then.
            a.extend(b.unwrap_or_else(|| read_all(store, second)));
            a
        } else {
            read_all(store, &sorted)
        };
        for (job, (r, unread)) in sorted.iter().zip(done) {
            self.found.put(job.slot, r);
            if unread {
                self.folders[job.folder].unread += 1;
            }
        }
    }
}

/// Reads each item of `jobs`: its findings, and whether it counts as unread.
fn read_all(store: &Store<'_>, jobs: &[&Job]) -> Vec<(AuditReport, bool)> {
    jobs.iter()
        .map(|job| {
            let mut r = AuditReport::default();
            let m = match store.message(job.nid) {
                Ok(m) => m,
                Err(e) => {
                    r.add(
                        "item-decodes",
                        job.nid,
                        &job.path,
                        "an item that reads",
                        e.to_string(),
                    );
                    return (r, false);
                }
            };
            let unread = job.normal
                && m.try_i32(pid::MESSAGE_FLAGS)
                    .ok()
                    .flatten()
                    .is_some_and(|fl| fl & crate::state::MSGFLAG_READ == 0);
            item_rules(store, &m, &job.cells, &job.path, &mut r);
            super::decode::item(&m, &job.path, &mut r);
            (r, unread)
        })
        .collect()
}

/// Audits the folder tree: folders in walk order, their items `batch` at a
/// time ([`BATCH`]) in file order; findings in walk order.
pub(super) fn walk(store: &Store<'_>, threads: Option<usize>, batch: usize, r: &mut AuditReport) {
    let units: Vec<Unit> = store
        .walk()
        .map(|walked| match walked {
            Ok(w) => Unit::Folder(w.folder.nid(), w.path_string()),
            Err((nid, parent, e)) => Unit::Unreadable(nid, parent.join("/"), e.to_string()),
        })
        .collect();
    // Items are read in file order, not folder by folder: a folder's items
    // may lie anywhere in the file, and reading them in its order would
    // sweep the whole file once per folder (its pages faulted in again
    // after each release). Their findings are put back in walk order, so
    // the report depends neither on that order nor on the threads.
    let two = match threads {
        Some(n) => n >= 2,
        None => store.ndb().data().len() >= PARALLEL_FROM,
    };
    let mut w = Walk {
        store,
        children: Children::read(store.ndb()),
        two,
        batch,
        slot: 0,
        here: AuditReport::default(),
        found: Ordered::default(),
        jobs: Vec::new(),
        folders: Vec::new(),
        folders_read: 0,
        items: 0,
    };
    for u in &units {
        match u {
            Unit::Unreadable(nid, parent, e) => {
                w.here.add(
                    "item-decodes",
                    *nid,
                    parent,
                    "a folder that reads",
                    e.clone(),
                );
            }
            Unit::Folder(nid, path) => match store.folder(*nid) {
                Ok(f) => {
                    w.folders_read += 1;
                    folder(&mut w, &f, path);
                }
                Err(e) => w.here.add(
                    "item-decodes",
                    *nid,
                    path,
                    "a folder that reads",
                    e.to_string(),
                ),
            },
        }
    }
    w.next_slot();
    w.read_items();
    for f in std::mem::take(&mut w.folders) {
        let Some(recorded) = f.recorded else { continue };
        if i64::from(recorded) != f.unread {
            let mut one = AuditReport::default();
            one.add(
                "folder-counts",
                f.nid,
                &f.path,
                format!("PidTagContentUnreadCount {}", f.unread),
                recorded.to_string(),
            );
            w.found.put(f.slot, one);
        }
    }
    w.found.into(r);
    r.folders += w.folders_read;
    r.items += w.items;
}

/// A table of `folder`, when the node exists and reads; its structure is
/// audited on the way.
fn table<'a>(
    folder: &Folder<'a>,
    kind: NidType,
    path: &str,
    r: &mut AuditReport,
) -> Option<TableContext<'a>> {
    let nid = folder.nid().with_kind(kind);
    let node = match folder.ndb().node(nid) {
        // A folder without the table: `folder-tables` says so.
        Err(NdbError::NodeNotFound(_)) => return None,
        node => node.map_err(|e| e.to_string()),
    };
    match node.and_then(|n| TableContext::read(n).map_err(|e| e.to_string())) {
        Ok(tc) => {
            table_context(&tc, path, r);
            Some(tc)
        }
        Err(why) => {
            r.add("item-decodes", nid, path, "a table that reads", why);
            None
        }
    }
}

/// A folder's own rules, in walk order; its items are queued in their
/// places ([`Walk::item`]), and its unread count waits for them.
fn folder(w: &mut Walk<'_, '_>, f: &Folder<'_>, path: &str) {
    let nid = f.nid();
    property_context(f.properties(), path, &mut w.here);
    let ndb = w.store.ndb();
    let (rule, needed): (&str, &[NidType]) = if f.is_search_folder() {
        (
            "search-folder-nodes",
            &[
                NidType::SearchUpdateQueue,
                NidType::SearchCriteriaObject,
                NidType::SearchContentsTable,
            ],
        )
    } else {
        (
            "folder-tables",
            &[
                NidType::HierarchyTable,
                NidType::ContentsTable,
                NidType::AssocContentsTable,
            ],
        )
    };
    for &kind in needed {
        let t = nid.with_kind(kind);
        if matches!(ndb.node_entry(t), Err(NdbError::NodeNotFound(_))) {
            w.here.add(
                rule,
                nid,
                path,
                format!("node 0x{:X} ({kind:?})", t.0),
                "no such node",
            );
        }
    }
    if f.is_search_folder() {
        // Its contents are other folders' items, in a table whose form
        // differs between Outlook versions (client signature 0xAC in
        // Outlook's own files): nothing of it is this folder's to check.
        return;
    }
    // Subfolders.
    let folder_kinds = [NidType::NormalFolder, NidType::SearchFolder];
    let rows = table(f, NidType::HierarchyTable, path, &mut w.here)
        .map(|tc| ids(&tc))
        .unwrap_or_default();
    let nodes = w.children.of(nid, &folder_kinds);
    compare(
        "hierarchy-rows",
        nid,
        path,
        &rows,
        &nodes,
        &folder_kinds,
        &mut w.here,
    );
    if let Some(Ok(has)) = f.properties().get_bool(pid::SUBFOLDERS) {
        if has == rows.is_empty() {
            w.here.add(
                "folder-counts",
                nid,
                path,
                format!("PidTagSubfolders {}", !rows.is_empty()),
                has.to_string(),
            );
        }
    }
    // Items. The folder is registered first: a batch its items fill is
    // read before the folder is done.
    let index = w.folders.len();
    let shared: Arc<str> = Arc::from(path);
    w.folders.push(Pending {
        nid,
        path: shared.clone(),
        recorded: None,
        slot: 0,
        unread: 0,
    });
    for (kind, other, table_kind, count_id) in [
        (
            NidType::NormalMessage,
            NidType::AssocMessage,
            NidType::ContentsTable,
            pid::CONTENT_COUNT,
        ),
        (
            NidType::AssocMessage,
            NidType::NormalMessage,
            NidType::AssocContentsTable,
            pid::ASSOCIATED_CONTENT_COUNT,
        ),
    ] {
        let Some(tc) = table(f, table_kind, path, &mut w.here) else {
            continue;
        };
        let rows = ids(&tc);
        let nodes = w.children.of(nid, &[kind]);
        compare(
            "contents-rows",
            nid,
            path,
            &rows,
            &nodes,
            &[kind],
            &mut w.here,
        );
        if let Some(Ok(n)) = f.properties().get_i32(count_id) {
            if i64::from(n) != rows.len() as i64 {
                w.here.add(
                    "folder-counts",
                    nid,
                    path,
                    format!(
                        "{} {}",
                        pstkit_ltp::props::name_of(count_id).unwrap_or("count"),
                        rows.len()
                    ),
                    n.to_string(),
                );
            }
        }
        for row in tc.iter() {
            let Ok(row) = row else { break };
            let item = Nid(row.row_id());
            if item.kind() == other {
                w.here.add(
                    "fai-node-type",
                    item,
                    path,
                    format!("a {kind:?} node, as its table implies"),
                    format!("a {other:?} node"),
                );
            }
            if !matches!(item.kind(), NidType::NormalMessage | NidType::AssocMessage) {
                continue;
            }
            w.items += 1;
            let mut cells = Vec::with_capacity(MIRRORED.len() + 1);
            for &id in MIRRORED.iter().chain(&[pid::MESSAGE_SIZE]) {
                if let Some(Ok(mut cell)) = row.get(id) {
                    // Kept until its batch is read: without the room
                    // decoding leaves (three bytes a UTF-16 unit).
                    if let PropValue::String(s) = &mut cell {
                        s.shrink_to_fit();
                    }
                    cells.push((id, cell));
                }
            }
            let slot = w.reserve();
            w.item(Job {
                slot,
                nid: item,
                path: shared.clone(),
                folder: index,
                normal: kind == NidType::NormalMessage,
                cells,
            });
        }
    }
    let recorded = match f.properties().get_i32(pid::CONTENT_UNREAD_COUNT) {
        Some(Ok(n)) => Some(n),
        _ => None,
    };
    let slot = w.reserve();
    let pending = &mut w.folders[index];
    pending.recorded = recorded;
    pending.slot = slot;
}

/// The indices of `jobs` in the order their items' data begins in the
/// file (the order items are read in), in queue order where it is the
/// same. Nodes are looked up in id order, then their data blocks in id
/// order, so that each lookup lands on the B-tree leaf the one before it
/// ended on. Items whose entries do not read sort last; reading them says
/// why.
fn file_order(ndb: Ndb<'_>, jobs: &[Job]) -> Vec<usize> {
    const NONE: u64 = u64::MAX;
    let mut keys: Vec<(u64, u32)> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (u64::from(j.nid.0), i as u32))
        .collect();
    keys.sort_unstable();
    for k in keys.iter_mut() {
        k.0 = ndb.node_entry(Nid(k.0 as u32)).map_or(NONE, |e| e.data.0);
    }
    keys.sort_unstable();
    for k in keys.iter_mut().filter(|k| k.0 != NONE) {
        k.0 = ndb.block_entry(Bid(k.0)).map_or(NONE, |b| b.bref.ib.0);
    }
    keys.sort_unstable();
    keys.into_iter().map(|k| k.1 as usize).collect()
}

/// The row ids of a table, as far as its rows read.
fn ids(tc: &TableContext<'_>) -> Vec<Nid> {
    tc.iter()
        .map_while(|r| r.ok())
        .map(|r| Nid(r.row_id()))
        .collect()
}

/// Rows against nodes: each node of `kinds` with this parent has one row;
/// each row of those kinds names such a node.
fn compare(
    rule: &'static str,
    parent: Nid,
    path: &str,
    rows: &[Nid],
    nodes: &[Nid],
    kinds: &[NidType],
    r: &mut AuditReport,
) {
    let listed: HashSet<Nid> = rows.iter().copied().collect();
    let mut seen = HashSet::new();
    for &row in rows {
        if !seen.insert(row) {
            r.add(rule, row, path, "one row", "a second row for the same node");
        } else if kinds.contains(&row.kind()) && nodes.binary_search(&row).is_err() {
            r.add(
                rule,
                row,
                path,
                format!("a node whose parent is 0x{:X}", parent.0),
                "a row naming no such node",
            );
        }
    }
    for &node in nodes {
        if !listed.contains(&node) {
            r.add(
                rule,
                node,
                path,
                format!("a row in the table of its parent 0x{:X}", parent.0),
                "no row",
            );
        }
    }
}

/// A row's mirrored values, and the item's own sizes and names.
fn item_rules(
    store: &Store<'_>,
    m: &Message<'_>,
    cells: &[(PropId, PropValue)],
    path: &str,
    r: &mut AuditReport,
) {
    let nid = m.nid();
    property_context(m.properties(), path, r);
    for (id, cell) in cells {
        let id = *id;
        let Some(Ok(own)) = m.properties().get(id) else {
            continue;
        };
        if !same(cell, &own, m.codepage()) {
            r.add(
                if id == pid::MESSAGE_SIZE {
                    "row-mirror-size"
                } else {
                    "row-mirror"
                },
                nid,
                path,
                format!(
                    "{} {}",
                    pstkit_ltp::props::name_of(id).unwrap_or("value"),
                    show(&own, m.codepage())
                ),
                show(cell, m.codepage()),
            );
        }
    }
    super::sizes::message(m, path, r);
    // With the map unreadable every name is unresolvable: that is one
    // finding already, not one per property.
    if store.name_map_error().is_none() {
        super::structure::named_properties(store.names(), m.properties(), path, r);
    }
}

fn same(a: &PropValue, b: &PropValue, codepage: u32) -> bool {
    match (a.clone().into_text(codepage), b.clone().into_text(codepage)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn show(v: &PropValue, codepage: u32) -> String {
    match v.clone().into_text(codepage) {
        Ok(s) => format!("{s:?}"),
        Err(v) => format!("{v:?}"),
    }
}
