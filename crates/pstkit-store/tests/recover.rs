//! The store read over an index rebuilt from a damaged file: message by
//! message, subjects and attachment bytes equal those of the undamaged
//! file, in ANSI, Unicode and 4K files.

#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;
use pstkit_ndb as ndb;

use std::collections::BTreeMap;

use damage::INDEX_KINDS;
use pstkit_fixtures::real;
use pstkit_ndb::{Ndb, NdbFile, Nid};
use pstkit_store::Store;

/// What an item is compared by: subject, and each attachment's bytes (an
/// embedded message by its subject).
type Item = (Option<String>, Vec<Option<Vec<u8>>>);

/// Every item the folder walk reaches, by folder path and node id; an item
/// that does not read is `None`.
fn items(ndb: Ndb<'_>) -> BTreeMap<(String, u32), Option<Item>> {
    let mut out = BTreeMap::new();
    let Ok(store) = Store::open(ndb) else {
        return out;
    };
    for w in store.walk().flatten() {
        let Ok(ids) = w.folder.message_ids() else {
            continue;
        };
        for nid in ids {
            out.insert((w.path_string(), nid.0), item(&store, nid));
        }
    }
    out
}

fn item(store: &Store<'_>, nid: Nid) -> Option<Item> {
    let m = store.message(nid).ok()?;
    let mut atts = Vec::new();
    for a in m.attachments().ok()? {
        let a = a.ok()?;
        let bytes = match a.embedded() {
            Ok(Some(e)) => e.subject().map(String::into_bytes),
            _ => a.data().ok()?.map(|d| d.into_owned()),
        };
        atts.push(bytes);
    }
    Some((m.subject(), atts))
}

fn inputs() -> Vec<(String, Vec<u8>)> {
    let fixtures = real::repo_dir().join("..");
    let mut out: Vec<(String, Vec<u8>)> = ["mailbox.pst", "mailbox-4k.ost"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(fixtures.join(n)).unwrap()))
        .collect();
    for (name, path) in real::samples(&[
        "emk-pstsdk--test_ansi.pst",
        "markb-trustifi-pst-extractor--contacts97-2002.pst",
        "apache-tika--testPST.pst",
        "aspose-email-Aspose.Email-for-.NET--Outlook.pst",
    ]) {
        out.push((name.to_string(), std::fs::read(path).unwrap()));
    }
    out
}

#[test]
fn recovered_items_equal_the_originals() {
    let mut table = Vec::new();
    for (name, original) in inputs() {
        let orig_file = NdbFile::new(&original[..]).unwrap();
        let want = items(orig_file.ndb());
        let readable = want.values().filter(|v| v.is_some()).count();
        assert!(readable > 0, "{name}: no item in the original");
        for d in INDEX_KINDS {
            let mut bytes = original.clone();
            let lost = damage::apply(&mut bytes, d);
            let plain = NdbFile::new(&bytes[..]).unwrap();
            let normal = items(plain.ndb());
            let normal_same = want
                .iter()
                .filter(|(k, v)| v.is_some() && normal.get(*k) == Some(*v))
                .count();
            let (file, _) = NdbFile::new(&bytes[..]).unwrap().recover();
            let got = items(file.ndb());
            let same = want
                .iter()
                .filter(|(k, v)| v.is_some() && got.get(*k) == Some(*v))
                .count();
            // Nothing recovered reads otherwise than in the original.
            for (k, v) in &got {
                if let (Some(v), Some(Some(w))) = (v, want.get(k)) {
                    assert_eq!(v, w, "{name} {d:?}: item {k:?}");
                }
            }
            // Only the zeroed run destroys bytes (which items it takes
            // depends on what lay there: crates/pstkit-ndb/tests/recover.rs
            // shows every read that fails is explained by them).
            if lost.is_empty() {
                assert_eq!(same, readable, "{name} {d:?}: every item comes back");
            }
            table.push(format!(
                "{name:<50} {d:<13?} items: original {readable:>3}, normal open {normal_same:>3}, recovered {same:>3}"
            ));
        }
    }
    println!("{}", table.join("\n"));
}
