//! A source truncated by another program while it is mapped: reading on
//! gives errors and `source_changed`, never SIGBUS.

use pstkit_ndb::{NdbError, NdbFile};

/// A copy of the bundled mailbox another program may change: its
/// directory (removed when dropped), path and size.
fn copy_of_fixture() -> (tempfile::TempDir, std::path::PathBuf, u64) {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mailbox.pst");
    std::fs::copy(fixture, &path).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    (dir, path, size)
}

#[test]
fn a_file_truncated_under_the_map_is_an_error_not_a_crash() {
    let (_dir, path, size) = copy_of_fixture();
    let file = NdbFile::open(&path).unwrap();
    assert!(file.ndb().source_changed().is_none());
    // Another program truncates it to its first 16 KiB.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(16 << 10)
        .unwrap();
    // Touch every page past the new end (this faulted with SIGBUS before).
    let data = file.ndb().data();
    let sum: u64 = data.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    let r = pstkit_ndb::check::check(file.ndb());
    assert!(!r.is_clean());
    match file.ndb().source_changed() {
        Some(NdbError::SourceChanged { was, now, .. }) => {
            assert_eq!((was, now), (size, 16 << 10));
        }
        other => panic!("{other:?} (sum {sum})"),
    }
}

#[test]
fn a_file_cut_and_grown_back_to_its_size_is_still_changed() {
    let (_dir, path, size) = copy_of_fixture();
    let file = NdbFile::open(&path).unwrap();
    let out = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    out.set_len(0).unwrap();
    // A read past the cut faults (first at an address inside a page);
    // zeros are mapped in its place. The first byte of the map is inside
    // its range too.
    let data = file.ndb().data();
    for at in [data.len() - 1, 0] {
        // SAFETY: a read of a byte of the map, which the guard turns into
        // a read of a zero page.
        let byte = unsafe { std::ptr::read_volatile(&data[at]) };
        assert_eq!(byte, 0, "{at}");
    }
    // Grown back to its old size: the size alone no longer tells, the
    // fault does.
    out.set_len(size).unwrap();
    match file.ndb().source_changed() {
        Some(NdbError::SourceChanged { was, now, .. }) => assert_eq!((was, now), (size, size)),
        other => panic!("{other:?}"),
    }
}
