//! The LTP layer against PST/OST files written by Outlook and other tools.
//!
//! The samples are found by `pstkit_fixtures::real` (committed ones, and
//! those of the shared directory when it is there); a test whose sample is
//! missing says so and passes, unless `PSTKIT_REQUIRE_ALL=1`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pstkit_fixtures::real;

use pstkit_ltp::props;
use pstkit_ltp::{
    heap::CLIENT_SIG_PC, Heap, HnidTarget, PropType, PropValue, PropertyContext, TableContext,
};
use pstkit_ndb::{NdbFile, Nid, NidType, Node};

/// Every readable sample, without the two known-damaged files.
fn samples() -> Vec<PathBuf> {
    let v: Vec<PathBuf> = real::all()
        .into_iter()
        .filter(|(n, _)| {
            (n.ends_with(".pst") || n.ends_with(".ost"))
                && !n.contains("AddingBulkMessages")
                && !n.contains("truncated-in-header")
        })
        .map(|(_, p)| p)
        .collect();
    assert!(
        v.len() >= real::min_count(18, 28),
        "only {} readable samples",
        v.len()
    );
    v
}

fn store_and_root_folder(name: &str, path: &Path) {
    let file = NdbFile::open(path).unwrap();
    let ndb = file.ndb();

    let store = PropertyContext::read(ndb.node(Nid::MESSAGE_STORE).unwrap()).unwrap();
    let cp = store.codepage().unwrap_or(1252);
    let display = store
        .get_string(props::DISPLAY_NAME, cp)
        .expect("PidTagDisplayName");
    assert!(display.is_ok(), "{name}: {display:?}");
    let key = store
        .get_binary(props::RECORD_KEY)
        .expect("PidTagRecordKey")
        .unwrap();
    assert_eq!(key.len(), 16, "{name}: record key");
    for (tag, v) in store.props() {
        assert!(v.is_ok(), "{name}: store {tag}: {v:?}");
    }

    let ht = TableContext::read(ndb.node(Nid(0x12D)).unwrap()).unwrap();
    let ids = ht.row_ids().unwrap();
    assert!(
        ids.contains(&0x8022),
        "{name}: root hierarchy rows {ids:X?}"
    );
    let row = ht
        .find_row(0x8022)
        .unwrap()
        .expect("row of the IPM subtree");
    assert_eq!(row.row_id(), 0x8022);
    assert!(ht.column(props::LTP_ROW_ID).is_some());
    assert!(ht.column(props::LTP_ROW_VER).is_some());
    // The row's display name is the IPM subtree folder's own display name.
    let subtree = PropertyContext::read(ndb.node(Nid(0x8022)).unwrap()).unwrap();
    let from_pc = subtree.get(props::DISPLAY_NAME).unwrap().unwrap();
    let from_row = row.get(props::DISPLAY_NAME).unwrap().unwrap();
    assert_eq!(from_pc.to_text(cp), from_row.to_text(cp), "{name}");
    assert!(from_pc.to_text(cp).is_some_and(|s| !s.is_empty()), "{name}");
}

#[test]
fn unicode_store_and_root_folder() {
    let name = "emk-pstsdk--sample1.pst";
    if let Some(path) = real::sample(name) {
        store_and_root_folder(name, &path);
    }
}

#[test]
fn ansi_store_and_root_folder() {
    let name = "emk-pstsdk--test_ansi.pst";
    let Some(path) = real::sample(name) else {
        return;
    };
    store_and_root_folder(name, &path);
    let file = NdbFile::open(&path).unwrap();
    let store = PropertyContext::read(file.ndb().node(Nid::MESSAGE_STORE).unwrap()).unwrap();
    // ANSI files store 8-bit strings.
    let rec = store.record(props::DISPLAY_NAME).unwrap();
    assert_eq!(rec.tag.prop_type(), PropType::String8);
}

#[test]
fn cyclic_encoded_store_and_root_folder() {
    let name = "simiden-pst2john--2003_high-encryption_quickquick.pst";
    if let Some(path) = real::sample(name) {
        store_and_root_folder(name, &path);
    }
}

/// (The OST sample is left out: its root hierarchy lists 0x2002 and 0x20A2,
/// not the PST's IPM subtree 0x8022.)
#[test]
fn more_store_and_root_folders() {
    for (name, path) in real::samples(&[
        "mooijtech-go-pst--32-bit.pst",
        "hughbe-PstReader--Outlook98Backup.pst",
        "simiden-pst2john--2k_outlook_qwerty1234.pst",
    ]) {
        store_and_root_folder(name, &path);
    }
}

#[derive(Default)]
struct Tally {
    pcs: usize,
    tcs: usize,
    values: usize,
    cells: usize,
    failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, what: String) {
        if self.failures.len() < 50 {
            self.failures.push(what);
        }
    }

    fn pc(&mut self, file: &str, node: Node<'_>) -> Option<()> {
        let nid = node.nid();
        let pc = match PropertyContext::read(node) {
            Ok(pc) => pc,
            Err(e) => {
                self.fail(format!("{file}: PC {nid}: {e}"));
                return None;
            }
        };
        self.pcs += 1;
        for (tag, v) in pc.props() {
            self.values += 1;
            if let Err(e) = v {
                self.fail(format!("{file}: {tag}: {e}"));
            }
        }
        Some(())
    }

    fn tc(&mut self, file: &str, node: Node<'_>) {
        let nid = node.nid();
        let ids = TableContext::read_row_ids(node.clone());
        let tc = match TableContext::read(node) {
            Ok(tc) => tc,
            Err(e) => return self.fail(format!("{file}: TC {nid}: {e}")),
        };
        self.tcs += 1;
        for row in tc.iter() {
            match row {
                Ok(row) => {
                    for (tag, v) in row.cells() {
                        self.cells += 1;
                        if let Err(e) = v {
                            self.fail(format!("{file}: {tag}: {e}"));
                        }
                    }
                }
                Err(e) => self.fail(format!("{file}: {e}")),
            }
        }
        // The ids read block by block are the rows' ids.
        match (&ids, tc.row_ids()) {
            (Ok(a), Ok(b)) if *a != b => {
                self.fail(format!("{file}: TC {nid}: ids {a:X?} vs {b:X?}"))
            }
            (Err(e), _) => self.fail(format!("{file}: TC {nid}: ids: {e}")),
            _ => {}
        }
        // The RowIndex and the row matrix agree.
        match (tc.row_index(), tc.row_ids()) {
            (Ok(index), Ok(ids)) => {
                let a: BTreeSet<u32> = index.iter().map(|&(id, _)| id).collect();
                let b: BTreeSet<u32> = ids.iter().copied().collect();
                if a != b {
                    self.fail(format!("{file}: TC {nid}: RowIndex {a:X?} vs rows {b:X?}"));
                }
                for (id, _) in index {
                    if let Err(e) = tc.find_row(id) {
                        self.fail(format!("{file}: {e}"));
                    }
                }
            }
            (Err(e), _) | (_, Err(e)) => self.fail(format!("{file}: {e}")),
        }
    }

    /// A message's subnodes: recipient and attachment tables, attachment
    /// PCs and, through PtypObject values, embedded messages.
    fn subnodes(&mut self, file: &str, node: &Node<'_>, depth: usize) {
        let entries = match node.subnodes().entries() {
            Ok(e) => e,
            Err(e) => return self.fail(format!("{file}: subnodes of {}: {e}", node.nid())),
        };
        for e in entries {
            let kind = e.nid.kind();
            let wanted = matches!(
                kind,
                NidType::Attachment
                    | NidType::AttachmentTable
                    | NidType::RecipientTable
                    | NidType::NormalMessage
            );
            if !wanted {
                continue;
            }
            let sub = match node.subnode(e.nid) {
                Ok(s) => s,
                Err(err) => {
                    self.fail(format!(
                        "{file}: subnode {} of {}: {err}",
                        e.nid,
                        node.nid()
                    ));
                    continue;
                }
            };
            match kind {
                NidType::AttachmentTable | NidType::RecipientTable => self.tc(file, sub),
                NidType::Attachment => {
                    if self.pc(file, sub.clone()).is_some() && depth < 4 {
                        self.subnodes(file, &sub, depth + 1);
                    }
                }
                _ => {
                    // Embedded message (referenced by an attachment's
                    // PtypObject value): a PC only when it carries a heap.
                    let is_pc =
                        Heap::open(sub.clone()).is_ok_and(|h| h.client_sig() == CLIENT_SIG_PC);
                    if is_pc && self.pc(file, sub.clone()).is_some() && depth < 4 {
                        self.subnodes(file, &sub, depth + 1);
                    }
                }
            }
        }
    }
}

#[test]
fn every_pc_and_tc_of_every_sample_decodes() {
    let mut total = Tally::default();
    for path in samples() {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file = NdbFile::open(&path).unwrap();
        let ndb = file.ndb();
        let mut t = Tally::default();
        for entry in ndb.nodes() {
            let entry = entry.unwrap();
            let kind = entry.nid.kind();
            let is_pc = matches!(kind, NidType::NormalFolder | NidType::NormalMessage);
            let is_tc = matches!(kind, NidType::HierarchyTable | NidType::ContentsTable);
            if !is_pc && !is_tc {
                continue;
            }
            let node = match ndb.node(entry.nid) {
                Ok(n) => n,
                Err(e) => {
                    t.fail(format!("{file_name}: node {}: {e}", entry.nid));
                    continue;
                }
            };
            if is_tc {
                t.tc(&file_name, node);
            } else if t.pc(&file_name, node.clone()).is_some() && kind == NidType::NormalMessage {
                t.subnodes(&file_name, &node, 0);
            }
        }
        assert!(t.pcs > 0 && t.tcs > 0, "{file_name}: nothing read");
        eprintln!(
            "{file_name}: {} PCs, {} values, {} TCs, {} cells",
            t.pcs, t.values, t.tcs, t.cells
        );
        total.pcs += t.pcs;
        total.tcs += t.tcs;
        total.values += t.values;
        total.cells += t.cells;
        total.failures.extend(t.failures);
    }
    assert!(
        total.failures.is_empty(),
        "{} failures:\n{}",
        total.failures.len(),
        total.failures.join("\n")
    );
}

/// Other PCs and TCs (search folders, FAI messages, templates, internal
/// tables) decode too; 0xAC-signature tables (seen at NID 0x730 in some
/// files) are a different, unsupported structure and are skipped.
#[test]
fn other_contexts_decode() {
    for path in samples() {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file = NdbFile::open(&path).unwrap();
        let ndb = file.ndb();
        let mut t = Tally::default();
        for entry in ndb.nodes() {
            let entry = entry.unwrap();
            let Ok(node) = ndb.node(entry.nid) else {
                continue;
            };
            if node.block_count() == 0 {
                continue;
            }
            // Queues and other raw nodes are not heaps; skip them.
            let Ok(heap) = Heap::open(node.clone()) else {
                continue;
            };
            match heap.client_sig() {
                0xBC => {
                    t.pc(&file_name, node);
                }
                0x7C => t.tc(&file_name, node),
                _ => {}
            }
        }
        assert!(
            t.failures.is_empty(),
            "{file_name}:\n{}",
            t.failures.join("\n")
        );
    }
}

/// A recipient table of 200 rows is too large for the heap: its row matrix
/// is a subnode spread over several blocks.
#[test]
fn large_recipient_table() {
    let Some(path) = real::sample("aquasync-ruby-msg--200_recipients.pst") else {
        return;
    };
    let file = NdbFile::open(&path).unwrap();
    let ndb = file.ndb();
    let mut found = false;
    for entry in ndb.nodes() {
        let entry = entry.unwrap();
        if entry.nid.kind() != NidType::NormalMessage {
            continue;
        }
        let msg = ndb.node(entry.nid).unwrap();
        let Ok(rt) = msg.subnode(Nid::RECIPIENT_TABLE) else {
            continue;
        };
        let tc = TableContext::read(rt).unwrap();
        if tc.row_count() != 200 {
            continue;
        }
        found = true;
        assert!(tc.info().rows.target() != HnidTarget::Empty);
        let ids: BTreeSet<u32> = tc.row_ids().unwrap().into_iter().collect();
        assert_eq!(ids.len(), 200);
        for row in tc.iter() {
            let row = row.unwrap();
            let name = row
                .get(props::DISPLAY_NAME)
                .expect("recipient name")
                .unwrap();
            assert!(matches!(name, PropValue::String(ref s) if !s.is_empty()));
            assert_eq!(
                tc.find_row(row.row_id()).unwrap().unwrap().index(),
                row.index()
            );
        }
    }
    assert!(found, "no 200-row recipient table");
}

/// Every child folder's display name in a hierarchy table row matches the
/// child's own PC, and every message subject in a contents table row matches
/// the message's PC: the two readers agree.
#[test]
fn table_rows_match_the_objects_they_list() {
    for path in samples() {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file = NdbFile::open(&path).unwrap();
        let ndb = file.ndb();
        let mut compared = 0;
        for entry in ndb.nodes() {
            let entry = entry.unwrap();
            let key = match entry.nid.kind() {
                NidType::HierarchyTable => props::DISPLAY_NAME,
                NidType::ContentsTable => props::SUBJECT,
                _ => continue,
            };
            let tc = TableContext::read(ndb.node(entry.nid).unwrap()).unwrap();
            for row in tc.iter() {
                let row = row.unwrap();
                let Some(cell) = row.get(key) else { continue };
                let child = ndb.node(Nid(row.row_id())).unwrap();
                let pc = PropertyContext::read(child).unwrap();
                let cp = pc.codepage().unwrap_or(1252);
                let own = pc.get(key).expect("property in the PC").unwrap();
                assert_eq!(
                    cell.unwrap().to_text(cp),
                    own.to_text(cp),
                    "{file_name}: row 0x{:X} of {}",
                    row.row_id(),
                    entry.nid
                );
                compared += 1;
            }
        }
        assert!(compared > 0, "{file_name}: nothing compared");
    }
}
