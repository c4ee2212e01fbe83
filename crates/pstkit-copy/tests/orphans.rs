//! A salvage finds the messages no folder lists through the node index
//! (libpff's orphans) and copies them: into their own folder when it was
//! copied, else into "Recovered items". Each case from a bundled file with
//! one node damaged so that its heap no longer decodes, every CRC right.

use std::collections::BTreeSet;

#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;

use pstkit_copy::{convert, ConvertOptions, ConvertSummary, Lost, RECOVERED_FOLDER};
use pstkit_ndb as ndb;
use pstkit_ndb::{NdbFile, Nid, NidType};
use pstkit_store::Store;

fn mailbox() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    std::fs::read(path).unwrap()
}

/// Breaks the heap signature of `nid`'s first data block and makes the
/// block's CRC right again, so that only decoding finds the damage.
fn break_heap(data: &mut [u8], nid: Nid) {
    let bid = {
        let file = NdbFile::new(&*data).unwrap();
        let bid = file.ndb().node_entry(nid).unwrap().data;
        bid
    };
    damage::flip_sealed(data, bid, 2);
}

/// The folder with the most messages: its node id and its messages'
/// subjects.
fn fullest_folder(data: &[u8]) -> (Nid, BTreeSet<String>) {
    let file = NdbFile::new(data).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let (nid, ids) = store
        .walk()
        .map(|w| w.unwrap())
        .map(|w| (w.folder.nid(), w.folder.message_ids().unwrap()))
        .max_by_key(|(_, ids)| ids.len())
        .unwrap();
    assert!(ids.len() >= 3, "{}", ids.len());
    (nid, subjects(&store, &ids))
}

fn subjects(store: &Store<'_>, ids: &[Nid]) -> BTreeSet<String> {
    ids.iter()
        .map(|id| store.message(*id).unwrap().subject().unwrap_or_default())
        .collect()
}

/// Salvages `data` and returns the summary and, by folder name, the
/// subjects of the copy's messages.
fn salvage(data: &[u8]) -> (ConvertSummary, Vec<(String, BTreeSet<String>)>) {
    let dir = tempfile::tempdir().unwrap();
    let file = NdbFile::new(data).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let opts = {
        let mut o = ConvertOptions::default();
        o.salvage = true;
        o
    };
    let s = convert(&store, &dir.path().join("out.pst"), &opts, &mut |_| {}).unwrap();
    let out = NdbFile::open(&s.path).unwrap();
    assert!(pstkit_ndb::check::check(out.ndb()).is_clean());
    let copy = Store::open(out.ndb()).unwrap();
    let folders = copy
        .walk()
        .map(|w| w.unwrap())
        .map(|w| {
            let ids = w.folder.message_ids().unwrap();
            (w.folder.display_name(), subjects(&copy, &ids))
        })
        .collect();
    (s, folders)
}

#[test]
fn messages_of_a_lost_contents_table_go_back_into_their_folder() {
    let mut data = mailbox();
    let (folder, want) = fullest_folder(&data);
    break_heap(&mut data, folder.with_kind(NidType::ContentsTable));
    let (s, folders) = salvage(&data);
    assert_eq!(s.orphans.in_parent, want.len() as u64, "{:?}", s.orphans);
    assert_eq!(s.orphans.in_recovered, 0);
    // The lost table is reported, the messages are not.
    assert_eq!(s.skipped.len(), 1, "{:?}", s.skipped);
    assert_eq!(s.skipped[0].nid, folder);
    assert_eq!(s.skipped[0].lost, Lost::Contents);
    assert!(folders.iter().any(|(_, got)| *got == want), "{folders:?}");
    assert!(folders.iter().all(|(name, _)| name != RECOVERED_FOLDER));
}

#[test]
fn messages_of_a_lost_folder_go_to_recovered_items() {
    let mut data = mailbox();
    let (folder, want) = fullest_folder(&data);
    break_heap(&mut data, folder);
    let (s, folders) = salvage(&data);
    assert_eq!(s.orphans.in_parent, 0, "{:?}", s.orphans);
    assert!(
        s.orphans.in_recovered >= want.len() as u64,
        "{:?}",
        s.orphans
    );
    assert!(
        s.skipped
            .iter()
            .any(|k| k.nid == folder && k.lost == Lost::Folder),
        "{:?}",
        s.skipped
    );
    let recovered = folders
        .iter()
        .find(|(name, _)| name == RECOVERED_FOLDER)
        .map(|(_, got)| got)
        .expect("a Recovered items folder");
    assert!(recovered.is_superset(&want), "{recovered:?} vs {want:?}");
}

#[test]
fn a_sound_mailbox_has_no_orphans() {
    let (s, folders) = salvage(&mailbox());
    assert_eq!(s.orphans, Default::default());
    assert!(s.skipped.is_empty());
    assert!(folders.iter().all(|(name, _)| name != RECOVERED_FOLDER));
}

/// Folder-associated items (views, rules) of a lost associated-contents
/// table go back into their folder as associated items: the bundled Outlook
/// sample from Aspose, whose folders hold some.
#[test]
fn associated_items_of_a_lost_table_go_back_as_associated() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/real/aspose-email-Aspose.Email-for-.NET--Outlook.pst"
    );
    let mut data = std::fs::read(path).unwrap();
    let (folder, want) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        store
            .walk()
            .map(|w| w.unwrap())
            .map(|w| (w.folder.nid(), w.folder.associated_ids().unwrap().len()))
            .max_by_key(|(_, n)| *n)
            .unwrap()
    };
    assert!(want >= 2, "{want}");
    break_heap(&mut data, folder.with_kind(NidType::AssocContentsTable));
    let dir = tempfile::tempdir().unwrap();
    let file = NdbFile::new(&data[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let opts = {
        let mut o = ConvertOptions::default();
        o.salvage = true;
        o
    };
    let s = convert(&store, &dir.path().join("out.pst"), &opts, &mut |_| {}).unwrap();
    assert_eq!(s.orphans.in_parent, want as u64, "{:?}", s.orphans);
    assert_eq!(s.skipped.len(), 1, "{:?}", s.skipped);
    assert_eq!(s.skipped[0].lost, Lost::Contents);
    let out = NdbFile::open(&s.path).unwrap();
    let copy = Store::open(out.ndb()).unwrap();
    let most = copy
        .walk()
        .map(|w| w.unwrap().folder.associated_ids().unwrap().len())
        .max()
        .unwrap();
    assert_eq!(most, want);
    assert_eq!(s.associated, copy.census().associated);
}
