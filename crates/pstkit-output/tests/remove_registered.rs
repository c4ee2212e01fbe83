//! Its own process: removing every registered name would disturb other
//! tests' temporary files.

use pstkit_output::{remove_registered, StageDir, TempFile};

#[test]
fn registered_names_are_removed_on_request() {
    let d = tempfile::tempdir().unwrap();
    let t = TempFile::beside(&d.path().join("a.pst")).unwrap();
    let s = StageDir::beside(&d.path().join("Inbox")).unwrap();
    std::fs::write(s.path().join("1.eml"), b"x").unwrap();
    assert_eq!(remove_registered(), 2);
    assert!(!t.path().exists());
    assert!(!s.path().exists());
    // Dropping after the removal is harmless.
    drop((t, s));
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
}
