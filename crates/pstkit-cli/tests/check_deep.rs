//! `check` checks the node database; `check --deep` also decodes every
//! item, and finds damage inside sound blocks that the first cannot see.

#[allow(dead_code)]
#[path = "common/cli.rs"]
mod cli;

#[path = "../../pstkit-ndb/tests/damage/mod.rs"]
mod damage;

use cli::pstkit;
use pstkit::ndb;
use pstkit::ndb::{NdbFile, NidType};
use pstkit_fixtures::real;

/// The bundled mailbox's bytes.
fn mailbox() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/mailbox.pst"
    ))
    .unwrap()
}

/// The bundled mailbox with one message's recipient table broken inside a
/// block whose CRC is right again; the message's id.
fn damaged(dir: &std::path::Path) -> (std::path::PathBuf, u32) {
    let mut data = mailbox();
    let (nid, bid) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        ndb.nodes()
            .map(|e| e.unwrap())
            .filter(|e| e.nid.kind() == NidType::NormalMessage)
            .find_map(|e| {
                let sub = ndb.node(e.nid).ok()?.subnodes().entries().ok()?;
                let t = sub
                    .into_iter()
                    .find(|s| s.nid.kind() == NidType::RecipientTable)?;
                Some((e.nid, t.data))
            })
            .unwrap()
    };
    damage::flip_sealed(&mut data, bid, 2); // the heap's signature byte
    let path = dir.join("damaged.pst");
    std::fs::write(&path, data).unwrap();
    (path, nid.0)
}

#[test]
fn deep_finds_what_the_node_database_check_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let (path, nid) = damaged(dir.path());
    let plain = pstkit(&["check".as_ref(), path.as_os_str()]);
    let text = String::from_utf8_lossy(&plain.stdout).into_owned();
    assert_eq!(plain.status.code(), Some(0), "{text}");
    assert!(text.contains("the node database only"), "{text}");

    let deep = pstkit(&["check".as_ref(), "--deep".as_ref(), path.as_os_str()]);
    let text = String::from_utf8_lossy(&deep.stdout).into_owned();
    assert_eq!(deep.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("error: [item-decodes] node 0x{nid:X} in ")),
        "{text}"
    );
    assert!(text.contains("30 items: 1 errors, 0 warnings"), "{text}");

    let json = pstkit(&[
        "check".as_ref(),
        "--deep".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
    ]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, findings) = lines.split_last().unwrap();
    assert_eq!(summary["clean"], false);
    assert_eq!(summary["scope"], "ndb+messaging");
    assert_eq!(summary["errors"], 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "item-decodes");
    assert_eq!(findings[0]["severity"], "error");
    assert_eq!(findings[0]["nid"], nid);
    assert!(!findings[0]["path"].as_str().unwrap().is_empty());
}

/// No false alarms: every readable sample Outlook wrote has no error (what
/// each has above a note is listed in pstkit-store's `audit_real.rs`).
#[test]
fn every_readable_sample_passes_the_deep_check() {
    let samples: Vec<_> = real::all()
        .into_iter()
        .filter(|(n, _)| {
            (n.ends_with(".pst") || n.ends_with(".ost"))
                && !n.contains("AddingBulkMessages")
                && !ASPOSE_WRITTEN.iter().any(|a| n.contains(a))
                && !n.contains("truncated-in-header")
        })
        .collect();
    assert!(samples.len() >= real::min_count(14, 24));
    for (name, path) in samples {
        let out = pstkit(&["check".as_ref(), "--deep".as_ref(), path.as_os_str()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// Samples Aspose.Email wrote, whose errors `audit_real.rs` lists.
const ASPOSE_WRITTEN: &[&str] = &[
    "PersonalStorage.pst",
    "PersonalStorageFile1.pst",
    "passwordprotectedPST.pst",
    "MapiNoteToPST_out.pst",
];

/// The bundled mailbox with the heap of one message's own property context
/// broken inside a block whose CRC is right again; the message's id.
fn damaged_message(dir: &std::path::Path) -> (std::path::PathBuf, u32) {
    let mut data = mailbox();
    let e = {
        let file = NdbFile::new(&data[..]).unwrap();
        let e = file
            .ndb()
            .nodes()
            .map(|e| e.unwrap())
            .find(|e| e.nid.kind() == NidType::NormalMessage)
            .unwrap();
        e
    };
    damage::flip_sealed(&mut data, e.data, 2); // the heap's signature byte
    let path = dir.join("damaged-message.pst");
    std::fs::write(&path, data).unwrap();
    (path, e.nid.0)
}

/// `convert --salvage --json` of `path` into `dir`: exit code and JSON.
fn salvage_json(path: &std::path::Path, dir: &std::path::Path) -> (i32, serde_json::Value) {
    let out = dir.join("out.pst");
    let r = pstkit(&[
        "convert".as_ref(),
        path.as_os_str(),
        out.as_os_str(),
        "--salvage".as_ref(),
        "--json".as_ref(),
        "--force".as_ref(),
    ]);
    let v = serde_json::from_slice(&r.stdout).unwrap();
    (r.status.code().unwrap(), v)
}

/// The loss report, for an item copied in part (its recipient table does
/// not read) and one left out (its own properties do not read): by id,
/// folder and subject (from the item, or else from its folder's table),
/// with totals per folder, in JSON and in text; exit 1 either way.
#[test]
fn the_loss_report_names_each_item_its_folder_and_subject() {
    let dir = tempfile::tempdir().unwrap();
    let subject_of = |path: &std::path::Path, nid: u32| {
        let file = NdbFile::open(path).unwrap();
        let store = pstkit::store::Store::open(file.ndb()).unwrap();
        let subject = store
            .message(pstkit::ndb::Nid(nid))
            .ok()
            .and_then(|m| m.subject());
        subject
    };

    // Copied in part: the subject reads from the item itself.
    let (path, nid) = damaged(dir.path());
    let subject = subject_of(&path, nid).unwrap();
    let (code, v) = salvage_json(&path, dir.path());
    assert_eq!(code, 1);
    assert!(v["skipped"].as_array().unwrap().is_empty(), "{v}");
    let partial = v["partial"].as_array().unwrap();
    assert_eq!(partial.len(), 1, "{v}");
    assert_eq!(partial[0]["id"], nid);
    assert_eq!(partial[0]["lost"], "parts of an item");
    assert_eq!(partial[0]["subject"], subject.as_str());
    let folder = partial[0]["folder"].as_str().unwrap().to_string();
    assert!(!folder.is_empty());
    let by_folder = v["lost_by_folder"].as_array().unwrap();
    assert_eq!(by_folder.len(), 1, "{v}");
    assert_eq!(by_folder[0]["folder"], folder.as_str());
    assert_eq!(by_folder[0]["items"], 0);
    assert_eq!(by_folder[0]["items_in_part"], 1);
    assert_eq!(v["items"], 30, "{v}");

    // Left out: its own properties are gone, its folder's table still
    // names it.
    let (path, nid) = damaged_message(dir.path());
    assert_eq!(subject_of(&path, nid), None);
    let listed = {
        let file = NdbFile::open(&path).unwrap();
        let store = pstkit::store::Store::open(file.ndb()).unwrap();
        let parent = file.ndb().node_entry(pstkit::ndb::Nid(nid)).unwrap().parent;
        store
            .folder(parent)
            .unwrap()
            .listed_subject(pstkit::ndb::Nid(nid))
    }
    .expect("the contents table lists a subject");
    let (code, v) = salvage_json(&path, dir.path());
    assert_eq!(code, 1);
    let skipped = v["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{v}");
    assert_eq!(skipped[0]["id"], nid);
    assert_eq!(skipped[0]["lost"], "item");
    assert_eq!(skipped[0]["subject"], listed.as_str());
    let folder = skipped[0]["folder"].as_str().unwrap().to_string();
    let by_folder = v["lost_by_folder"].as_array().unwrap();
    assert_eq!(by_folder[0]["folder"], folder.as_str());
    assert_eq!(by_folder[0]["items"], 1);
    assert_eq!(v["items"], 29, "{v}");

    // The same in text.
    let text_out = dir.path().join("text.pst");
    let r = pstkit(&[
        "convert".as_ref(),
        path.as_os_str(),
        text_out.as_os_str(),
        "--salvage".as_ref(),
    ]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains(&format!("item 0x{nid:X} in {folder:?} lost: ")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "lost in {folder:?}: 1 items, 0 folders, 0 tables; 0 items copied in part"
        )),
        "{err}"
    );
}

/// The bundled mailbox with the heap of its named-property map broken
/// inside a block whose CRC is right again.
fn damaged_name_map(dir: &std::path::Path) -> std::path::PathBuf {
    let mut data = mailbox();
    let bid = {
        let file = NdbFile::new(&data[..]).unwrap();
        let node = file.ndb().node(ndb::Nid::NAME_TO_ID_MAP).unwrap();
        node.leaves()[0].bref.bid
    };
    damage::flip_sealed(&mut data, bid, 2); // the heap's signature byte
    let path = dir.join("names.pst");
    std::fs::write(&path, data).unwrap();
    path
}

/// An unreadable named-property map leaves the mail readable, but the
/// deep check and a copy say that the names are gone.
#[test]
fn an_unreadable_name_map_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = damaged_name_map(dir.path());
    let deep = pstkit(&["check".as_ref(), "--deep".as_ref(), path.as_os_str()]);
    let text = String::from_utf8_lossy(&deep.stdout).into_owned();
    assert_eq!(deep.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error: [item-decodes] node 0x61: expected a named-property map that reads; found named-property map: "),
        "{text}"
    );
    assert!(text.contains("30 items: 1 errors"), "{text}");

    let dst = dir.path().join("copy.pst");
    let out = pstkit(&[
        "convert".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
        dst.as_os_str(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("named-property map"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"], 30, "every item is still copied");
    assert_eq!(v["name_map_error"]["node"], 0x61, "{v}");
    assert!(v["moved_as_stored"] == false, "{v}");
}

/// `check --deep --json` of `path`: every finding, any severity.
fn findings(path: &std::path::Path) -> Vec<String> {
    let out = pstkit(&[
        "check".as_ref(),
        "--deep".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let summary: serde_json::Value = serde_json::from_str(&lines.pop().unwrap()).unwrap();
    assert_eq!(summary["summary"], true);
    lines
}

fn run_ok(args: &[&std::ffi::OsStr]) {
    let out = pstkit(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every path that writes a file writes one with no finding of any
/// severity: `gen` in every variant and encoding, `convert` (items moved
/// as stored and rebuilt, to PST, OST and 4K OST) of every real sample,
/// `import` of EML and mbox, `binding set`.
#[test]
fn every_file_pstkit_writes_has_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let os = |s: &str| std::ffi::OsString::from(s);
    let mut written: Vec<std::path::PathBuf> = Vec::new();
    for (name, extra) in [
        ("gen.pst", vec![]),
        ("gen-none.pst", vec!["--encoding", "none"]),
        ("gen-high.pst", vec!["--encoding", "high"]),
        ("gen.ost", vec!["--ost"]),
        ("gen-4k.ost", vec!["--4k"]),
        ("gen-4k-none.ost", vec!["--4k", "--encoding", "none"]),
    ] {
        let p = d.join(name);
        let mut args = vec![os("gen"), os("--messages"), os("40")];
        args.extend(extra.iter().map(|a| os(a)));
        args.push(p.clone().into_os_string());
        run_ok(&args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>());
        written.push(p);
    }
    let bound = ["--server", "ex.example.com", "--mailbox", "a@example.com"];
    for (i, (name, src)) in real::all().into_iter().enumerate() {
        if !(name.ends_with(".pst") || name.ends_with(".ost"))
            || name.contains("AddingBulkMessages")
            || name.contains("truncated-in-header")
        {
            continue;
        }
        let variants: Vec<(String, Vec<&str>)> = vec![
            (format!("{i}.pst"), vec![]),
            (format!("{i}-rebuilt.pst"), vec!["--rebuild"]),
            (format!("{i}.ost"), bound.to_vec()),
            (format!("{i}-4k.ost"), [&["--4k"][..], &bound[..]].concat()),
        ];
        for (out, extra) in variants {
            let p = d.join(out);
            let mut args = vec![os("convert"), src.clone().into_os_string()];
            args.push(p.clone().into_os_string());
            args.extend(extra.iter().map(|a| os(a)));
            run_ok(&args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>());
            written.push(p);
        }
    }
    // import of what export writes, and a rebound OST.
    let eml = d.join("eml");
    let mbox = d.join("mbox");
    let src = d.join("gen.pst");
    for (fmt, out) in [("eml", &eml), ("mbox", &mbox)] {
        run_ok(&[
            "export".as_ref(),
            src.as_os_str(),
            "--format".as_ref(),
            fmt.as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        let p = d.join(format!("imported-{fmt}.pst"));
        run_ok(&[
            "import".as_ref(),
            "-o".as_ref(),
            p.as_os_str(),
            out.as_os_str(),
        ]);
        written.push(p);
    }
    let rebound = d.join("rebound.ost");
    run_ok(&[
        "binding".as_ref(),
        "set".as_ref(),
        d.join("gen.ost").as_os_str(),
        "--server".as_ref(),
        "s2.example.com".as_ref(),
        "--mailbox".as_ref(),
        "b@example.com".as_ref(),
        "--out".as_ref(),
        rebound.as_os_str(),
    ]);
    written.push(rebound);
    assert!(written.len() >= 6 + 4 * real::min_count(16, 27) + 3);
    for p in &written {
        let f = findings(p);
        assert!(f.is_empty(), "{}: {f:#?}", p.display());
    }
}

/// The rule catalogue in docs/check-rules.md lists every rule of the
/// audit with its severity, and no other.
#[test]
fn the_catalogue_lists_every_rule() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/check-rules.md"
    ))
    .unwrap();
    let rows: Vec<(String, String)> = doc
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let id = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((id.to_string(), cells.get(2)?.to_string()))
        })
        .filter(|(_, sev)| matches!(sev.as_str(), "error" | "warning" | "note"))
        .collect();
    let rules = pstkit::store::audit::RULES;
    assert_eq!(rows.len(), rules.len(), "{rows:?}");
    for r in rules {
        assert!(
            rows.iter()
                .any(|(id, sev)| id == r.id && sev == r.severity.as_str()),
            "{} ({}) is not in the catalogue",
            r.id,
            r.severity
        );
    }
}

/// The bundled mailbox with one byte of a message's body changed in its
/// property context's block, the block's CRC left wrong: the NDB check
/// reports the CRC; an audit that trusted CRCs would read a sound body.
fn body_changed_crc_wrong(dir: &std::path::Path) -> (std::path::PathBuf, u32, u64) {
    let mut data = mailbox();
    let (nid, at) = {
        let file = NdbFile::new(&data[..]).unwrap();
        let ndb = file.ndb();
        let store = pstkit::store::Store::open(ndb).unwrap();
        ndb.nodes()
            .map(|e| e.unwrap())
            .filter(|e| e.nid.kind() == NidType::NormalMessage)
            .find_map(|e| {
                let body = store
                    .message(e.nid)
                    .ok()?
                    .string(pstkit::store::pid::BODY)?;
                let units: Vec<u8> = body
                    .chars()
                    .take(8)
                    .filter(char::is_ascii_alphanumeric)
                    .flat_map(|c| [c as u8, 0])
                    .collect();
                if units.len() < 16 {
                    return None;
                }
                let node = ndb.node(e.nid).ok()?;
                let block = node.block(0).ok()?;
                let off = block.windows(16).position(|w| w == &units[..])?;
                let ib = ndb.block_entry(e.data).ok()?.bref.ib.0;
                Some((e.nid, ib + off as u64))
            })
            .expect("a message whose body starts with eight letters, in its first block")
    };
    // The low byte of a letter of the body, whatever the encoding maps it
    // to: the high byte stays 0, so the body still decodes.
    data[at as usize] ^= 0x01;
    let path = dir.join("body-crc.pst");
    std::fs::write(&path, data).unwrap();
    (path, nid.0, at)
}

/// The deep check's audit reads blocks without recomputing the CRCs the
/// NDB check computes; when that check finds a block damaged, the audit
/// runs again checking them, and reports the item the damaged block holds.
#[test]
fn a_block_with_a_wrong_crc_is_reported_by_the_audit_too() {
    let dir = tempfile::tempdir().unwrap();
    let (path, nid, _) = body_changed_crc_wrong(dir.path());
    for threads in ["1", "2"] {
        let out = pstkit(&[
            "check".as_ref(),
            "--deep".as_ref(),
            "--json".as_ref(),
            "--threads".as_ref(),
            threads.as_ref(),
            path.as_os_str(),
        ]);
        assert_eq!(out.status.code(), Some(1));
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let ndb = lines.iter().filter(|l| l["rule"] == "ndb-damage").count();
        assert_eq!(ndb, 1, "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l["rule"] != "ndb-damage" && l["nid"] == nid),
            "no finding of the audit names node 0x{nid:X}: {lines:?}"
        );
    }
}
