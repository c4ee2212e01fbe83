//! `convert --salvage` over files whose node or block B-tree is damaged:
//! the index is rebuilt from the file, and at least as many items come out
//! as libpst's `readpst` recovers from the same damaged file.

use std::path::Path;
use std::process::Command;

use pstkit_fixtures::real;

#[path = "common/cli.rs"]
mod cli;
#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;
use pstkit::ndb;

use cli::walk_files;

/// The `.eml` files `readpst -j 0 -e -D -b -q` writes for `file` (it may
/// fail on a damaged file: then what it wrote before failing counts).
fn readpst_emls(file: &Path, dir: &Path) -> usize {
    std::fs::create_dir_all(dir).unwrap();
    let _ = Command::new("readpst")
        .args(["-j", "0", "-e", "-D", "-b", "-q", "-o"])
        .arg(dir)
        .arg(file)
        .output()
        .expect("run readpst");
    walk_files(dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .count()
}

/// `convert --salvage --json`: the items copied, and stderr.
fn salvaged_items(src: &Path, out: &Path) -> (u64, String) {
    let r = run!(
        "convert",
        src.as_os_str(),
        out.as_os_str(),
        "--salvage",
        "--json"
    );
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    if r.status.code() == Some(2) && err.contains("node 0x21 not found") {
        // The message store's entry went with the damage: no store to copy.
        return (0, err);
    }
    assert!(
        matches!(r.status.code(), Some(0 | 1)),
        "{}: {err}",
        src.display()
    );
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    (v["items"].as_u64().unwrap(), err)
}

#[test]
fn salvage_of_a_broken_index_recovers_at_least_what_readpst_does() {
    if !real::tool("readpst", "pst-utils") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let fixtures = real::repo_dir().join("..");
    let mut inputs = vec![
        ("mailbox.pst".to_string(), fixtures.join("mailbox.pst")),
        (
            "mailbox-4k.ost".to_string(),
            fixtures.join("mailbox-4k.ost"),
        ),
    ];
    for (name, path) in real::samples(&[
        "emk-pstsdk--test_ansi.pst",
        "apache-tika--testPST.pst",
        "aspose-email-Aspose.Email-for-.NET--Outlook.pst",
    ]) {
        inputs.push((name.to_string(), path));
    }
    let mut table = Vec::new();
    for (name, path) in inputs {
        let original = std::fs::read(&path).unwrap();
        let ext = if name.ends_with(".ost") { "ost" } else { "pst" };
        let (whole, _) = salvaged_items(&path, &tmp.path().join(format!("{name}.whole.pst")));
        let rp_whole = readpst_emls(&path, &tmp.path().join(format!("{name}.rp")));
        for d in damage::INDEX_KINDS {
            let mut bytes = original.clone();
            damage::apply(&mut bytes, d);
            let damaged = tmp.path().join(format!("{name}.{d:?}.{ext}"));
            std::fs::write(&damaged, &bytes).unwrap();
            let out = tmp.path().join(format!("{name}.{d:?}.out.pst"));
            let (items, err) = salvaged_items(&damaged, &out);
            assert!(
                err.contains("index rebuilt from the file"),
                "{name} {d:?}: {err}"
            );
            let rp = readpst_emls(&damaged, &tmp.path().join(format!("{name}.{d:?}.rp")));
            assert!(
                items as usize >= rp,
                "{name} {d:?}: pstkit {items} items, readpst {rp}"
            );
            if !matches!(d, damage::Damage::ZeroRun) {
                assert_eq!(items, whole, "{name} {d:?}: every item of the intact file");
            }
            table.push(format!(
                "{name:<50} {d:<13?} pstkit {items:>3} (intact {whole:>3}), readpst {rp:>3} (intact {rp_whole:>3})"
            ));
        }
    }
    println!("{}", table.join("\n"));
}
