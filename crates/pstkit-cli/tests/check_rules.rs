//! Each rule of `check --deep` fires on the one invariant it guards: a good
//! file (written by pstkit, unencoded so that values lie in the file as
//! they are read) is damaged in exactly that invariant, every block and
//! page sealed again, and the rule must report it on the right node. Then
//! `repair` of that file must give a file with no finding of any severity,
//! which readpst and pffexport read with every item the damage spared.

#[allow(dead_code)]
#[path = "common/cli.rs"]
mod cli;
#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;
#[path = "common/readers.rs"]
mod readers;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pstkit::ltp::{Bth, PropId, PropertyContext, TableContext};
use pstkit::ndb;
use pstkit::ndb::{NdbFile, Nid, NidType, Node};
use pstkit::store::{pid, Store};
use serde_json::Value;

/// Items the good file holds.
const ITEMS: usize = 40;

/// The good file: a generated mailbox without block encoding.
fn good() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("good.pst");
        let out = cli::pstkit(&[
            "gen".as_ref(),
            "--messages".as_ref(),
            ITEMS.to_string().as_ref(),
            "--encoding".as_ref(),
            "none".as_ref(),
            path.as_os_str(),
        ]);
        assert!(out.status.success(), "{out:?}");
        std::fs::read(path).unwrap()
    })
}

/// Where `part` (a slice read from `data` without a copy) lies in `data`.
fn offset_of(data: &[u8], part: &[u8]) -> usize {
    let at = (part.as_ptr() as usize).wrapping_sub(data.as_ptr() as usize);
    assert!(
        at + part.len() <= data.len(),
        "the value was read from a copy, not from the file's bytes"
    );
    at
}

/// The BTH records of a property context: (offset of the record, key).
fn pc_records(data: &[u8], node: Node<'_>) -> Vec<(usize, u16)> {
    let pc = PropertyContext::read(node).unwrap();
    let bth = Bth::open(pc.heap(), pc.heap().user_root()).unwrap();
    bth.iter()
        .map(|r| {
            let r = r.unwrap();
            (
                offset_of(data, r.key),
                u16::from_le_bytes([r.key[0], r.key[1]]),
            )
        })
        .collect()
}

/// Offset of property `id`'s inline value (types of four bytes at most)
/// in the context of `node`.
fn inline_value_at(data: &[u8], node: Node<'_>, id: PropId) -> usize {
    let (at, _) = pc_records(data, node)
        .into_iter()
        .find(|(_, key)| *key == id.0)
        .expect("the property is there");
    at + 4
}

fn read_u32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().unwrap())
}

/// Adds `delta` to the u32 at `at`, in its sealed block.
fn bump(data: &mut [u8], at: usize, delta: i64) {
    let v = (i64::from(read_u32(data, at)) + delta) as u32;
    damage::patch_sealed(data, at, &v.to_le_bytes());
}

/// What the damage needs to know of the good file.
struct Layout {
    /// A folder with messages and no subfolders, and its parent.
    folder: Nid,
    parent: Nid,
    /// Another folder with messages.
    other: Nid,
    /// A message of `folder` with an attachment, and the attachment.
    message: Nid,
    attachment: Nid,
}

fn layout(data: &[u8]) -> Layout {
    let file = NdbFile::new(data).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let mut found = None;
    let mut folders = Vec::new();
    for w in store.walk() {
        let f = w.unwrap().folder;
        let ids = f.message_ids().unwrap();
        if ids.is_empty() || f.is_search_folder() {
            continue;
        }
        folders.push(f.nid());
        if found.is_some() || !f.subfolder_ids().unwrap().is_empty() {
            continue;
        }
        for m in ids {
            let msg = store.message(m).unwrap();
            if let Some(a) = msg.attachment_ids().unwrap().first() {
                let parent = file.ndb().node_entry(f.nid()).unwrap().parent;
                found = Some((f.nid(), parent, m, *a));
                break;
            }
        }
    }
    let (folder, parent, message, attachment) = found.expect("a message with an attachment");
    let other = *folders.iter().find(|n| **n != folder).unwrap();
    Layout {
        folder,
        parent,
        other,
        message,
        attachment,
    }
}

/// The contents row of `message` in `folder`'s contents table: offset of
/// the row and of the cell of `id`.
fn row_cell_at(data: &[u8], folder: Nid, message: Nid, id: PropId) -> (usize, usize) {
    let file = NdbFile::new(data).unwrap();
    let node = file
        .ndb()
        .node(folder.with_kind(NidType::ContentsTable))
        .unwrap();
    let tc = TableContext::read(node).unwrap();
    let row = tc.find_row(message.0).unwrap().unwrap();
    let col = tc.column(id).unwrap();
    let at = offset_of(data, row.bytes());
    (at, at + usize::from(col.offset))
}

/// A damage: what it does, the rule it breaks and the node that rule names.
struct Case {
    rule: &'static str,
    apply: fn(&mut Vec<u8>, &Layout) -> Nid,
    /// Items the damage takes with it.
    lost: usize,
}

const CASES: &[Case] = &[
    Case {
        rule: "ndb-damage",
        apply: |data, l| {
            let file = NdbFile::new(&data[..]).unwrap();
            let e = file.ndb().node_entry(l.message).unwrap();
            let at = file.ndb().block_entry(e.data).unwrap().bref.ib.0 as usize;
            drop(file);
            data[at + 40] ^= 0x5A; // not sealed: the CRC no longer holds
            Nid(0)
        },
        lost: 1,
    },
    Case {
        rule: "bbt-refcount",
        apply: |data, l| {
            // The message's data block counted once instead of 1 + once.
            let bid = {
                let file = NdbFile::new(&data[..]).unwrap();
                file.ndb().node_entry(l.message).unwrap().data
            };
            damage::set_block_refs(data, bid, 1);
            Nid(0)
        },
        lost: 0,
    },
    Case {
        rule: "header-next-ids",
        apply: |data, l| {
            // The normal-message counter below the message's index.
            let t = usize::from(NidType::NormalMessage.bits());
            damage::set_nid_counter(data, t, l.message.index() - 1);
            Nid(0)
        },
        lost: 0,
    },
    Case {
        rule: "mandatory-node",
        apply: |data, _| {
            // The search activity list under another id, between the same neighbours.
            damage::patch_nbt_entry(data, 0x201, |e| e.nid = Nid(0x20E));
            Nid(0x201)
        },
        lost: 0,
    },
    Case {
        rule: "store-entry-id",
        apply: |data, _| {
            let at = {
                let file = NdbFile::new(&data[..]).unwrap();
                let pc =
                    PropertyContext::read(file.ndb().node(Nid::MESSAGE_STORE).unwrap()).unwrap();
                let rec = pc.record(pid::IPM_SUBTREE_ENTRY_ID).unwrap();
                let raw = pc.raw_of(rec).unwrap();
                offset_of(data, &raw) + 20
            };
            damage::patch_sealed(data, at, &0x7FFF_FFE2u32.to_le_bytes());
            Nid::MESSAGE_STORE
        },
        lost: 0,
    },
    Case {
        rule: "folder-tables",
        apply: |data, l| {
            let ht = l.folder.with_kind(NidType::HierarchyTable);
            // Type 0x0C sorts just below 0x0D: the leaf stays in order.
            damage::patch_nbt_entry(data, ht.0, |e| e.nid = Nid(ht.0 - 1));
            l.folder
        },
        lost: 0,
    },
    Case {
        rule: "hierarchy-rows",
        apply: |data, l| {
            damage::patch_nbt_entry(data, l.folder.0, |e| e.parent = Nid::ROOT_FOLDER);
            let _ = l.parent;
            l.folder
        },
        lost: 0,
    },
    Case {
        rule: "contents-rows",
        apply: |data, l| {
            damage::patch_nbt_entry(data, l.message.0, |e| e.parent = l.other);
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "fai-node-type",
        apply: |data, l| {
            // The message becomes an associated node, still listed as normal.
            let assoc = l.message.with_kind(NidType::AssocMessage);
            let (row, _) = row_cell_at(data, l.folder, l.message, pid::MESSAGE_CLASS);
            let index_keys: Vec<usize> = {
                let file = NdbFile::new(&data[..]).unwrap();
                let node = file
                    .ndb()
                    .node(l.folder.with_kind(NidType::ContentsTable))
                    .unwrap();
                let tc = TableContext::read(node).unwrap();
                let bth = Bth::open(tc.heap(), tc.info().row_index).unwrap();
                bth.iter()
                    .map(|r| r.unwrap())
                    .filter(|r| r.key == l.message.0.to_le_bytes())
                    .map(|r| offset_of(data, r.key))
                    .collect()
            };
            for at in index_keys.into_iter().chain([row]) {
                damage::patch_sealed(data, at, &assoc.0.to_le_bytes());
            }
            damage::patch_nbt_entry(data, l.message.0, |e| e.nid = assoc);
            assoc
        },
        lost: 0,
    },
    Case {
        rule: "row-mirror",
        apply: |data, l| {
            let at = {
                let file = NdbFile::new(&data[..]).unwrap();
                inline_value_at(
                    data,
                    file.ndb().node(l.message).unwrap(),
                    pid::MESSAGE_FLAGS,
                )
            };
            let flags = read_u32(data, at) ^ 0x100;
            damage::patch_sealed(data, at, &flags.to_le_bytes());
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "row-mirror-size",
        apply: |data, l| {
            let (_, cell) = row_cell_at(data, l.folder, l.message, pid::MESSAGE_SIZE);
            bump(data, cell, 1);
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "folder-counts",
        apply: |data, l| {
            let at = {
                let file = NdbFile::new(&data[..]).unwrap();
                inline_value_at(data, file.ndb().node(l.folder).unwrap(), pid::CONTENT_COUNT)
            };
            bump(data, at, 1);
            l.folder
        },
        lost: 0,
    },
    Case {
        rule: "message-size",
        apply: |data, l| {
            let at = {
                let file = NdbFile::new(&data[..]).unwrap();
                inline_value_at(data, file.ndb().node(l.message).unwrap(), pid::MESSAGE_SIZE)
            };
            damage::patch_sealed(data, at, &1u32.to_le_bytes());
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "message-size-exact",
        apply: |data, l| {
            // Off by one in the message and in its row alike.
            let at = {
                let file = NdbFile::new(&data[..]).unwrap();
                inline_value_at(data, file.ndb().node(l.message).unwrap(), pid::MESSAGE_SIZE)
            };
            bump(data, at, 1);
            let (_, cell) = row_cell_at(data, l.folder, l.message, pid::MESSAGE_SIZE);
            bump(data, cell, 1);
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "attach-size",
        apply: |data, l| {
            let at = {
                let file = NdbFile::new(&data[..]).unwrap();
                let node = file.ndb().node(l.message).unwrap();
                inline_value_at(data, node.subnode(l.attachment).unwrap(), pid::ATTACH_SIZE)
            };
            bump(data, at, 7);
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "table-structure",
        apply: |data, l| {
            // Two columns given one cell-existence bit.
            let table = l.folder.with_kind(NidType::ContentsTable);
            let at = {
                let file = NdbFile::new(&data[..]).unwrap();
                let tc = TableContext::read(file.ndb().node(table).unwrap()).unwrap();
                offset_of(data, tc.heap().get(tc.heap().user_root()).unwrap())
            };
            let bit_of = |k: usize| at + 22 + 8 * k + 7;
            let b = data[bit_of(2)];
            damage::patch_sealed(data, bit_of(3), &[b]);
            table
        },
        lost: 0,
    },
    Case {
        rule: "pc-structure",
        apply: |data, l| {
            // The first two properties of the message swapped: keys out of order.
            let recs = {
                let file = NdbFile::new(&data[..]).unwrap();
                pc_records(data, file.ndb().node(l.message).unwrap())
            };
            let (a, b) = (recs[0].0, recs[1].0);
            let (x, y) = (data[a..a + 8].to_vec(), data[b..b + 8].to_vec());
            damage::patch_sealed(data, a, &y);
            damage::patch_sealed(data, b, &x);
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "name-map",
        apply: |data, _| {
            let at = {
                let file = NdbFile::new(&data[..]).unwrap();
                inline_value_at(
                    data,
                    file.ndb().node(Nid::NAME_TO_ID_MAP).unwrap(),
                    PropId(0x0001),
                )
            };
            bump(data, at, -1);
            Nid::NAME_TO_ID_MAP
        },
        lost: 0,
    },
    Case {
        rule: "search-folder-nodes",
        apply: |data, _| {
            // The spam search folder's update queue (0x2226) under type 0x05.
            damage::patch_nbt_entry(data, 0x2226, |e| e.nid = Nid(0x2225));
            Nid(0x2223)
        },
        lost: 0,
    },
    Case {
        rule: "item-decodes",
        apply: |data, l| {
            let bid = {
                let file = NdbFile::new(&data[..]).unwrap();
                file.ndb().node_entry(l.message).unwrap().data
            };
            damage::flip_sealed(data, bid, 2); // the heap's signature
            l.message
        },
        lost: 1,
    },
];

/// `check --deep --json` of `path`: exit code, findings, summary.
fn deep(path: &Path) -> (Option<i32>, Vec<Value>, Value) {
    let out = cli::pstkit(&[
        "check".as_ref(),
        "--deep".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
    ]);
    let mut lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.pop().expect("a summary line");
    assert_eq!(summary["summary"], true);
    (out.status.code(), lines, summary)
}

/// Every rule of the catalogue has a case here, and every case a rule.
#[test]
fn every_rule_has_a_case() {
    let cased: Vec<&str> = CASES.iter().map(|c| c.rule).collect();
    for r in pstkit::store::audit::RULES {
        assert!(cased.contains(&r.id), "no case breaks rule {}", r.id);
    }
    for c in CASES {
        assert!(
            pstkit::store::audit::rule(c.rule).is_some(),
            "{} is not in the catalogue",
            c.rule
        );
    }
}

/// The good file has no finding at all.
#[test]
fn the_good_file_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.pst");
    std::fs::write(&path, good()).unwrap();
    let (code, findings, summary) = deep(&path);
    assert_eq!(code, Some(0), "{findings:?}");
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(summary["items"], ITEMS as u64);
}

fn damaged(dir: &Path, case: &Case) -> (PathBuf, Nid) {
    let mut data = good().to_vec();
    let l = layout(&data);
    let nid = (case.apply)(&mut data, &l);
    let path = dir.join(format!("{}.pst", case.rule));
    std::fs::write(&path, &data).unwrap();
    (path, nid)
}

#[test]
fn each_rule_fires_on_its_node() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let (path, nid) = damaged(dir.path(), case);
        let (code, findings, _) = deep(&path);
        let hit = findings
            .iter()
            .any(|f| f["rule"] == case.rule && (nid.0 == 0 || f["nid"] == u64::from(nid.0)));
        assert!(
            hit,
            "{}: no finding on node 0x{:X}: {findings:#?}",
            case.rule, nid.0
        );
        let error = findings.iter().any(|f| f["severity"] == "error");
        assert_eq!(code, Some(if error { 1 } else { 0 }), "{}", case.rule);
    }
}

/// `repair` of each damaged file: a file with no finding, which both
/// outside readers read with every item the damage spared.
#[test]
fn repair_mends_each_rule() {
    let readers = readers::installed();
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let (path, _) = damaged(dir.path(), case);
        let out = dir.path().join(format!("{}.repaired.pst", case.rule));
        let r = cli::pstkit(&["repair".as_ref(), path.as_os_str(), out.as_os_str()]);
        let expected = if case.lost > 0 { 1 } else { 0 };
        assert_eq!(
            r.status.code(),
            Some(expected),
            "{}: {}",
            case.rule,
            String::from_utf8_lossy(&r.stderr)
        );
        let (code, findings, summary) = deep(&out);
        assert_eq!(code, Some(0), "{}", case.rule);
        assert!(findings.is_empty(), "{}: {findings:#?}", case.rule);
        let items = summary["items"].as_u64().unwrap() as usize;
        assert!(items >= ITEMS - case.lost, "{}: {items} items", case.rule);
        if readers {
            let rp = readers::readpst_items(&out, &dir.path().join("rp"));
            let (pff, _) = readers::pff_items(&out, &dir.path().join("pff"));
            assert!(rp >= ITEMS - case.lost, "{}: readpst read {rp}", case.rule);
            assert!(
                pff >= ITEMS - case.lost,
                "{}: pffexport read {pff}",
                case.rule
            );
        }
    }
}

/// The damage helpers keep the file readable where they do not aim.
#[test]
fn damage_is_sealed() {
    let mut data = good().to_vec();
    let l = layout(&data);
    let row_mirror = CASES.iter().find(|c| c.rule == "row-mirror").unwrap();
    (row_mirror.apply)(&mut data, &l); // a value only
    let file = NdbFile::new(&data[..]).unwrap();
    assert!(ndb::check::check(file.ndb()).is_clean());
}
