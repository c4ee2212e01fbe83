//! Rules on the folder tree: each folder's tables against the nodes that
//! name it as parent, its counts against its tables, and each item against
//! the row that lists it.

use std::collections::HashSet;

use pstkit_ltp::{PropId, PropValue, Row, TableContext};
use pstkit_ndb::{NdbError, Nid, NidType};

use super::structure::{property_context, table_context};
use super::{AuditReport, Children};
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

/// What the folder walk met, in walk order: a folder to audit (its id,
/// path and the folder and item nodes below it, as work to share), or one
/// that does not read.
enum Unit {
    Folder(Nid, String, usize),
    Unreadable(Nid, String, String),
}

pub(super) fn walk(store: &Store<'_>, threads: Option<usize>, r: &mut AuditReport) {
    let children = Children::read(store.ndb());
    let all = [
        NidType::NormalFolder,
        NidType::SearchFolder,
        NidType::NormalMessage,
        NidType::AssocMessage,
    ];
    let units: Vec<Unit> = store
        .walk()
        .map(|walked| match walked {
            Ok(w) => {
                let nid = w.folder.nid();
                Unit::Folder(nid, w.path_string(), children.of(nid, &all).len() + 1)
            }
            Err((nid, parent, e)) => Unit::Unreadable(nid, parent.join("/"), e.to_string()),
        })
        .collect();
    // Two contiguous halves of about equal work; their findings are joined
    // in walk order, so the report does not depend on the threads.
    let two = units.len() > 1
        && match threads {
            Some(n) => n >= 2,
            None => store.ndb().data().len() >= PARALLEL_FROM,
        };
    let total: usize = units.iter().map(weight).sum();
    let mut split = units.len();
    if two {
        let mut acc = 0;
        split = units
            .iter()
            .position(|u| {
                acc += weight(u);
                acc * 2 >= total
            })
            .map_or(units.len(), |i| i + 1);
    }
    let (first, second) = units.split_at(split);
    let audit_units = |store: &Store<'_>, units: &[Unit]| {
        let mut r = AuditReport::default();
        for u in units {
            match u {
                Unit::Unreadable(nid, parent, e) => {
                    r.add(
                        "item-decodes",
                        *nid,
                        parent,
                        "a folder that reads",
                        e.clone(),
                    );
                }
                Unit::Folder(nid, path, _) => match store.folder(*nid) {
                    Ok(f) => {
                        r.folders += 1;
                        folder(store, &f, path, &children, &mut r);
                    }
                    Err(e) => r.add(
                        "item-decodes",
                        *nid,
                        path,
                        "a folder that reads",
                        e.to_string(),
                    ),
                },
            }
        }
        r
    };
    let (a, b) = if two && !second.is_empty() {
        // A store is read through caches of its own: the second thread
        // opens its own (it opened once already, so it opens again).
        let ndb = store.ndb();
        let (a, b) = std::thread::scope(|s| {
            let b = s.spawn(|| Store::open(ndb).ok().map(|own| audit_units(&own, second)));
            let a = audit_units(store, first);
            (a, b.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        // A store that opened once and not twice (the file changed): the
        // second half on this thread then.
        (a, b.unwrap_or_else(|| audit_units(store, second)))
    } else {
        (audit_units(store, first), audit_units(store, second))
    };
    r.merge(a);
    r.merge(b);
}

fn weight(u: &Unit) -> usize {
    match u {
        Unit::Folder(_, _, w) => *w,
        Unit::Unreadable(..) => 1,
    }
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

fn folder(store: &Store<'_>, f: &Folder<'_>, path: &str, children: &Children, r: &mut AuditReport) {
    let nid = f.nid();
    property_context(f.properties(), path, r);
    let ndb = store.ndb();
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
            r.add(
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
    let rows = table(f, NidType::HierarchyTable, path, r)
        .map(|tc| ids(&tc))
        .unwrap_or_default();
    let nodes = children.of(nid, &folder_kinds);
    compare("hierarchy-rows", nid, path, &rows, &nodes, &folder_kinds, r);
    if let Some(Ok(has)) = f.properties().get_bool(pid::SUBFOLDERS) {
        if has == rows.is_empty() {
            r.add(
                "folder-counts",
                nid,
                path,
                format!("PidTagSubfolders {}", !rows.is_empty()),
                has.to_string(),
            );
        }
    }
    // Items.
    let mut unread = 0i64;
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
        let Some(tc) = table(f, table_kind, path, r) else {
            continue;
        };
        let rows = ids(&tc);
        let nodes = children.of(nid, &[kind]);
        compare("contents-rows", nid, path, &rows, &nodes, &[kind], r);
        if let Some(Ok(n)) = f.properties().get_i32(count_id) {
            if i64::from(n) != rows.len() as i64 {
                r.add(
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
                r.add(
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
            r.items += 1;
            let m = match store.message(item) {
                Ok(m) => m,
                Err(e) => {
                    r.add(
                        "item-decodes",
                        item,
                        path,
                        "an item that reads",
                        e.to_string(),
                    );
                    continue;
                }
            };
            if kind == NidType::NormalMessage
                && m.try_i32(pid::MESSAGE_FLAGS)
                    .ok()
                    .flatten()
                    .is_some_and(|fl| fl & crate::state::MSGFLAG_READ == 0)
            {
                unread += 1;
            }
            item_rules(store, &m, &row, path, r);
            super::decode::item(&m, path, r);
        }
    }
    if let Some(Ok(n)) = f.properties().get_i32(pid::CONTENT_UNREAD_COUNT) {
        if i64::from(n) != unread {
            r.add(
                "folder-counts",
                nid,
                path,
                format!("PidTagContentUnreadCount {unread}"),
                n.to_string(),
            );
        }
    }
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
    row: &Row<'_, '_>,
    path: &str,
    r: &mut AuditReport,
) {
    let nid = m.nid();
    property_context(m.properties(), path, r);
    for &id in MIRRORED.iter().chain(&[pid::MESSAGE_SIZE]) {
        let (Some(Ok(cell)), Some(Ok(own))) = (row.get(id), m.properties().get(id)) else {
            continue;
        };
        if !same(&cell, &own, m.codepage()) {
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
                show(&cell, m.codepage()),
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
