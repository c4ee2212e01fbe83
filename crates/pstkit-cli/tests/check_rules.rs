//! Each rule of `check --deep` fires on the one invariant it guards (the
//! damage of `pstkit-store/tests/rules/`), through the command, with the
//! right exit code; and `repair` of each damaged file gives a file with no
//! finding of any severity, which readpst and pffexport read with every
//! item the damage spared.

#[allow(dead_code)]
#[path = "common/cli.rs"]
mod cli;
#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;
#[path = "common/readers.rs"]
mod readers;
#[path = "../../pstkit-store/tests/rules/mod.rs"]
mod rules;

use std::path::{Path, PathBuf};

use pstkit::ndb::Nid;
use pstkit::{ltp, ndb, store};
use rules::{good, layout, Case, CASES, ITEMS};
use serde_json::Value;

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

/// Case `i` applied to a copy of the good file (a rule may have more than
/// one case, so the file is named by both).
fn damaged(dir: &Path, i: usize, case: &Case) -> (PathBuf, Nid) {
    let mut data = good().to_vec();
    let l = layout(&data);
    let nid = (case.apply)(&mut data, &l);
    let path = dir.join(format!("{i}-{}.pst", case.rule));
    std::fs::write(&path, &data).unwrap();
    (path, nid)
}

#[test]
fn each_rule_fires_on_its_node() {
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in CASES.iter().enumerate() {
        let (path, nid) = damaged(dir.path(), i, case);
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
    for (i, case) in CASES.iter().enumerate() {
        let (path, _) = damaged(dir.path(), i, case);
        let out = dir.path().join(format!("{i}-{}.repaired.pst", case.rule));
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
