//! Damage that breaks exactly one rule of the deep check in a good file,
//! every block and page sealed again: shared by the store's test of the
//! audit (`audit_rules.rs`) and the command's test of `check --deep` and
//! `repair` (`pstkit-cli/tests/check_rules.rs`). The including test names
//! the crates `ndb`, `ltp` and `store` at its root, and includes the damage
//! module as `damage`.

#![allow(dead_code)]

use std::sync::OnceLock;

use super::ltp::{Bth, PropId, PropertyContext, TableContext};
use super::ndb::{CryptMethod, NdbFile, Nid, NidType, Node};
use super::store::synth::{generate, Synth, SynthOptions};
use super::store::write::{PstWriter, WriterOptions};
use super::store::{pid, Store};

/// Items the good file holds.
pub const ITEMS: usize = 40;

/// The good file: a generated mailbox without block encoding, so that the
/// values read lie in the file's bytes as they are.
pub fn good() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("good.pst");
        let synth = Synth::new(1);
        let options = {
            let mut o = WriterOptions::default();
            o.crypt = CryptMethod::None;
            o.record_key = Some([7; 16]);
            o.timestamp = synth.timestamp();
            o
        };
        let mut w = PstWriter::create(&path, options).unwrap();
        generate(&mut w, &SynthOptions::new(ITEMS as u64, 1), |_| {}).unwrap();
        w.finish().unwrap();
        std::fs::read(path).unwrap()
    })
}

/// Where `part` (a slice read from `data` without a copy) lies in `data`.
pub fn offset_of(data: &[u8], part: &[u8]) -> usize {
    let at = (part.as_ptr() as usize).wrapping_sub(data.as_ptr() as usize);
    assert!(
        at + part.len() <= data.len(),
        "the value was read from a copy, not from the file's bytes"
    );
    at
}

/// The BTH records of a property context: (offset of the record, key).
pub fn pc_records(data: &[u8], node: Node<'_>) -> Vec<(usize, u16)> {
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
pub fn inline_value_at(data: &[u8], node: Node<'_>, id: PropId) -> usize {
    let (at, _) = pc_records(data, node)
        .into_iter()
        .find(|(_, key)| *key == id.0)
        .expect("the property is there");
    at + 4
}

/// Offset of property `id`'s inline value in the context of node `nid`.
pub fn inline_of(data: &[u8], nid: Nid, id: PropId) -> usize {
    let file = NdbFile::new(data).unwrap();
    inline_value_at(data, file.ndb().node(nid).unwrap(), id)
}

pub fn read_u32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().unwrap())
}

/// Adds `delta` to the u32 at `at`, in its sealed block.
pub fn bump(data: &mut [u8], at: usize, delta: i64) {
    let v = (i64::from(read_u32(data, at)) + delta) as u32;
    super::damage::patch_sealed(data, at, &v.to_le_bytes());
}

/// What the damage needs to know of the good file.
pub struct Layout {
    /// A folder with messages and no subfolders, and its parent.
    pub folder: Nid,
    pub parent: Nid,
    /// Another folder with messages.
    pub other: Nid,
    /// A message of `folder` with an attachment, and the attachment.
    pub message: Nid,
    pub attachment: Nid,
}

pub fn layout(data: &[u8]) -> Layout {
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
pub fn row_cell_at(data: &[u8], folder: Nid, message: Nid, id: PropId) -> (usize, usize) {
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
pub struct Case {
    /// The rule it breaks.
    pub rule: &'static str,
    /// Breaks it in a copy of the good file; the node the rule names (0: any).
    pub apply: fn(&mut Vec<u8>, &Layout) -> Nid,
    /// Items the damage takes with it.
    pub lost: usize,
}

pub const CASES: &[Case] = &[
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
            super::damage::set_block_refs(data, bid, 1);
            Nid(0)
        },
        lost: 0,
    },
    Case {
        rule: "header-next-ids",
        apply: |data, l| {
            // The normal-message counter below the message's index.
            let t = usize::from(NidType::NormalMessage.bits());
            super::damage::set_nid_counter(data, t, l.message.index() - 1);
            Nid(0)
        },
        lost: 0,
    },
    Case {
        rule: "mandatory-node",
        apply: |data, _| {
            // The search activity list under another id, between the same neighbours.
            super::damage::patch_nbt_entry(data, 0x201, |e| e.nid = Nid(0x20E));
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
            super::damage::patch_sealed(data, at, &0x7FFF_FFE2u32.to_le_bytes());
            Nid::MESSAGE_STORE
        },
        lost: 0,
    },
    Case {
        rule: "folder-tables",
        apply: |data, l| {
            let ht = l.folder.with_kind(NidType::HierarchyTable);
            // Type 0x0C sorts just below 0x0D: the leaf stays in order.
            super::damage::patch_nbt_entry(data, ht.0, |e| e.nid = Nid(ht.0 - 1));
            l.folder
        },
        lost: 0,
    },
    Case {
        rule: "hierarchy-rows",
        apply: |data, l| {
            super::damage::patch_nbt_entry(data, l.folder.0, |e| e.parent = Nid::ROOT_FOLDER);
            let _ = l.parent;
            l.folder
        },
        lost: 0,
    },
    Case {
        rule: "contents-rows",
        apply: |data, l| {
            super::damage::patch_nbt_entry(data, l.message.0, |e| e.parent = l.other);
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
                super::damage::patch_sealed(data, at, &assoc.0.to_le_bytes());
            }
            super::damage::patch_nbt_entry(data, l.message.0, |e| e.nid = assoc);
            assoc
        },
        lost: 0,
    },
    Case {
        rule: "row-mirror",
        apply: |data, l| {
            let at = inline_of(data, l.message, pid::MESSAGE_FLAGS);
            let flags = read_u32(data, at) ^ 0x100;
            super::damage::patch_sealed(data, at, &flags.to_le_bytes());
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
            let at = inline_of(data, l.folder, pid::CONTENT_COUNT);
            bump(data, at, 1);
            l.folder
        },
        lost: 0,
    },
    Case {
        rule: "message-size",
        apply: |data, l| {
            let at = inline_of(data, l.message, pid::MESSAGE_SIZE);
            super::damage::patch_sealed(data, at, &1u32.to_le_bytes());
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "message-size-exact",
        apply: |data, l| {
            // Off by one in the message and in its row alike.
            let at = inline_of(data, l.message, pid::MESSAGE_SIZE);
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
            super::damage::patch_sealed(data, bit_of(3), &[b]);
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
            super::damage::patch_sealed(data, a, &y);
            super::damage::patch_sealed(data, b, &x);
            l.message
        },
        lost: 0,
    },
    Case {
        rule: "name-map",
        apply: |data, _| {
            let at = inline_of(data, Nid::NAME_TO_ID_MAP, PropId(0x0001));
            bump(data, at, -1);
            Nid::NAME_TO_ID_MAP
        },
        lost: 0,
    },
    Case {
        rule: "search-folder-nodes",
        apply: |data, _| {
            // The spam search folder's update queue (0x2226) under type 0x05.
            super::damage::patch_nbt_entry(data, 0x2226, |e| e.nid = Nid(0x2225));
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
            super::damage::flip_sealed(data, bid, 2); // the heap's signature
            l.message
        },
        lost: 1,
    },
    Case {
        rule: "item-decodes",
        apply: |data, l| {
            // The message reads; one of its attachments does not.
            let bid = {
                let file = NdbFile::new(&data[..]).unwrap();
                let message = file.ndb().node(l.message).unwrap();
                let sub = message.subnodes().lookup(l.attachment).unwrap().unwrap();
                sub.data
            };
            super::damage::flip_sealed(data, bid, 2); // the attachment's heap
            l.message
        },
        // The message, salvaged without the attachment: a loss all the same.
        lost: 1,
    },
];
