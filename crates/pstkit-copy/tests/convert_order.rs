//! Convert reads its source front to back: items are copied in the order
//! their data lies in the source, whichever folders they are in, and each
//! still lands in its own folder.

use std::collections::HashMap;
use std::path::Path;

use pstkit_copy::{convert, ConvertOptions};
use pstkit_ndb::{NdbFile, Nid};
use pstkit_store::synth::{generate, SynthOptions};
use pstkit_store::write::{PstWriter, WriterOptions};
use pstkit_store::{pid, Store};

/// Every mail of `store` (contacts and appointments have no Message-ID):
/// Message-ID → (folder path, item id).
fn items(store: &Store<'_>) -> HashMap<String, (String, Nid)> {
    let mut out = HashMap::new();
    for w in store.walk().flatten() {
        for nid in w.folder.message_ids().unwrap() {
            let m = store.message(nid).unwrap();
            let Some(id) = m.string(pid::INTERNET_MESSAGE_ID) else {
                continue;
            };
            assert!(out.insert(id, (w.path_string(), nid)).is_none());
        }
    }
    out
}

#[test]
fn items_are_copied_in_source_file_order_into_their_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let src_path = tmp.path().join("src.pst");
    let mut w = PstWriter::create(&src_path, WriterOptions::default()).unwrap();
    generate(&mut w, &SynthOptions::new(200, 3), |_| {}).unwrap();
    w.finish().unwrap();
    let src_file = NdbFile::open(&src_path).unwrap();
    let src = Store::open(src_file.ndb()).unwrap();
    let dest = tmp.path().join("dest.pst");
    let s = convert(
        &src,
        Path::new(&dest),
        &ConvertOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(s.items, 200);

    let dest_file = NdbFile::open(&dest).unwrap();
    let copy = Store::open(dest_file.ndb()).unwrap();
    let (before, after) = (items(&src), items(&copy));
    assert!(before.len() > 150, "{}", before.len());
    assert_eq!(after.len(), before.len());
    let ndb = src_file.ndb();
    let offset = |nid: Nid| {
        let e = ndb.node_entry(nid).unwrap();
        ndb.block_entry(e.data).unwrap().bref.ib.0
    };
    // The copy's ids are given in the order items were written.
    let mut written: Vec<(u32, u64, &String)> = Vec::new();
    for (id, (folder, nid)) in &after {
        let (src_folder, src_nid) = &before[id];
        assert_eq!(folder, src_folder, "{id}");
        written.push((nid.0, offset(*src_nid), folder));
    }
    written.sort();
    assert!(written.windows(2).all(|w| w[0].1 < w[1].1), "{written:?}");
    let switches = written.windows(2).filter(|w| w[0].2 != w[1].2).count();
    assert!(switches > 20, "{switches} folder changes");
}
