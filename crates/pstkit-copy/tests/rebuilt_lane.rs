//! The rebuilt lane (every item read, decoded and written anew) makes the
//! same copy on one thread and with its read-ahead on a second: every
//! item of every folder arrives with every property, named ones by name.

use std::collections::BTreeMap;
use std::path::Path;

use pstkit_copy::convert::digest_message;
use pstkit_copy::{convert, ConvertOptions};
use pstkit_ndb::NdbFile;
use pstkit_store::synth::{generate, SynthOptions};
use pstkit_store::write::{PstWriter, WriterOptions};
use pstkit_store::Store;

/// Folder path → the sorted content digests of its items (named
/// properties digested by name, so ids may differ between files).
fn digests(path: &Path) -> BTreeMap<String, Vec<u64>> {
    let file = NdbFile::open(path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for w in store.walk() {
        let w = w.unwrap();
        let mut d: Vec<u64> = w
            .folder
            .message_ids()
            .unwrap()
            .into_iter()
            .map(|nid| digest_message(&store.message(nid).unwrap(), store.names()).unwrap())
            .collect();
        if d.is_empty() {
            continue;
        }
        d.sort_unstable();
        out.entry(w.path_string()).or_default().extend(d);
    }
    out
}

#[test]
fn rebuilt_items_arrive_whole_on_one_thread_and_on_two() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src.pst");
    let mut w = PstWriter::create(&src, WriterOptions::default()).unwrap();
    // Mail, contacts and appointments: named properties among them.
    generate(&mut w, &SynthOptions::new(300, 5), |_| {}).unwrap();
    w.finish().unwrap();
    let want = digests(&src);
    let file = NdbFile::open(&src).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    assert!(
        !store.names().is_empty(),
        "the source names properties: the test needs some"
    );
    for threads in [1, 2] {
        let mut opts = ConvertOptions::default();
        opts.rebuild = true;
        opts.threads = Some(threads);
        let dst = tmp.path().join(format!("copy-{threads}.pst"));
        let s = convert(&store, &dst, &opts, &mut |_| {}).unwrap();
        assert_eq!(s.items, 300, "{threads} threads");
        assert!(!s.moved, "{threads} threads: rebuilt, not moved");
        assert_eq!(digests(&dst), want, "{threads} threads");
    }
}
