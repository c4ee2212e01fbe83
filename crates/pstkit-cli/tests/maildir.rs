//! `export --format maildir` and `import` of a maildir: Python's
//! `mailbox.Maildir` reads the export with every folder's count and flags,
//! and PST → Maildir → PST keeps subjects, bodies, attachments and the
//! read, answered and flagged state.

#[allow(dead_code)]
#[path = "common/cli.rs"]
mod cli;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use pstkit::ltp::{PropTag, PropValue};
use pstkit::ndb::NdbFile;
use pstkit::store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};
use pstkit::store::{pid, Store};
use pstkit_fixtures::real;

/// (subject, body, read, replied, flagged, attachment name and bytes) of
/// every item, by folder path.
type Items = BTreeMap<String, Vec<(String, String, bool, bool, bool, Vec<(String, Vec<u8>)>)>>;

fn items(path: &Path) -> Items {
    let file = NdbFile::open(path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let mut out = Items::new();
    for w in store.walk() {
        let w = w.unwrap();
        // The import puts the tree under a folder named after the maildir,
        // the export under the path it had: compare below the top level.
        let path = w
            .path
            .iter()
            .skip_while(|p| *p != "Top")
            .cloned()
            .collect::<Vec<_>>();
        for id in w.folder.message_ids().unwrap() {
            let m = store.message(id).unwrap();
            let int = |id| m.properties().get_i32(id).and_then(|v| v.ok());
            let atts = m
                .attachments()
                .unwrap()
                .map(|a| {
                    let a = a.unwrap();
                    (
                        a.filename().unwrap_or_default(),
                        a.data().unwrap().unwrap_or_default().into_owned(),
                    )
                })
                .collect();
            out.entry(path.join("/")).or_default().push((
                m.subject().unwrap_or_default(),
                m.body().unwrap_or_default().trim_end().to_string(),
                m.flags() & 1 != 0,
                int(pid::LAST_VERB_EXECUTED) == Some(102),
                int(pid::FLAG_STATUS) == Some(2),
                atts,
            ));
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// A PST with every combination of read, replied and flagged, in a folder
/// and a subfolder, one item with an attachment.
fn source(path: &Path) {
    let mut o = WriterOptions::default();
    o.record_key = Some([3; 16]);
    let mut w = PstWriter::create(path, o).unwrap();
    let ipm = w.standard_folders().ipm_subtree;
    let top = w.add_folder(ipm, "Top", Some("IPF.Note")).unwrap();
    let sub = w.add_folder(top, "Sub.folder", Some("IPF.Note")).unwrap();
    for k in 0..8 {
        let (read, replied, flagged) = (k & 1 != 0, k & 2 != 0, k & 4 != 0);
        let mut props: Vec<(PropTag, PropValue)> = vec![
            (pid::tags::SUBJECT, PropValue::String(format!("item {k}"))),
            (
                pid::tags::BODY,
                PropValue::String(format!("body of item {k}")),
            ),
            (pid::tags::MESSAGE_FLAGS, PropValue::Int32(i32::from(read))),
            (
                pid::tags::SENDER_EMAIL_ADDRESS,
                PropValue::String("a@example.com".into()),
            ),
            (
                pid::tags::MESSAGE_DELIVERY_TIME,
                PropValue::Time(pstkit::store::from_unix(1_700_000_000 + k, 0)),
            ),
        ];
        if replied {
            props.push((pid::tags::LAST_VERB_EXECUTED, PropValue::Int32(102)));
        }
        if flagged {
            props.push((pid::tags::FLAG_STATUS, PropValue::Int32(2)));
        }
        let attachments = if k == 3 {
            vec![NewAttachment {
                props: vec![(
                    pid::tags::ATTACH_LONG_FILENAME,
                    PropValue::String("notes.txt".into()),
                )],
                content: AttachContent::Data(b"attached bytes\n".to_vec()),
            }]
        } else {
            Vec::new()
        };
        let m = NewMessage {
            props,
            recipients: Vec::new(),
            attachments,
        };
        w.add_message(if k < 4 { top } else { sub }, &m).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn pst_to_maildir_to_pst_keeps_items_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.pst");
    source(&src);
    let md = dir.path().join("md");
    let out = cli::pstkit(&[
        "export".as_ref(),
        src.as_os_str(),
        "--format".as_ref(),
        "maildir".as_ref(),
        "--out".as_ref(),
        md.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The file names carry the flags, in ASCII order.
    let mut names: Vec<String> = cli::walk_files(&md)
        .iter()
        .filter(|p| p.parent().is_some_and(|d| d.ends_with("cur")))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let flags: std::collections::BTreeSet<&str> = names
        .iter()
        .map(|n| n.rsplit_once(":2,").unwrap().1)
        .collect();
    assert_eq!(
        flags.into_iter().collect::<Vec<_>>(),
        ["", "F", "FR", "FRS", "FS", "R", "RS", "S"]
    );
    // A `.` in a folder name would read as a level: it is written `_`.
    assert!(md
        .join(".Top of Personal Folders.Top.Sub_folder/maildirfolder")
        .is_file());

    let back = dir.path().join("back.pst");
    let out = cli::pstkit(&[
        "import".as_ref(),
        "-o".as_ref(),
        back.as_os_str(),
        md.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, mut b) = (items(&src), items(&back));
    // The folder renamed on the way: the only difference.
    if let Some(v) = b.remove("Top/Sub_folder") {
        b.insert("Top/Sub.folder".into(), v);
    }
    assert_eq!(a, b);
}

#[test]
fn python_reads_the_maildir_with_counts_and_flags() {
    if !real::tools(&[("python3", "python3")]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mailbox.pst");
    let md = dir.path().join("md");
    let out = cli::pstkit(&[
        "export".as_ref(),
        src.as_os_str(),
        "--format".as_ref(),
        "maildir".as_ref(),
        "--out".as_ref(),
        md.as_os_str(),
    ]);
    assert!(out.status.success());
    // What pstkit holds: items and read ones per folder, Maildir++ named.
    let file = NdbFile::open(&src).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let mut want = BTreeMap::new();
    for w in store.walk() {
        let w = w.unwrap();
        let ids = w.folder.message_ids().unwrap();
        if ids.is_empty() {
            continue;
        }
        let read = ids
            .iter()
            .filter(|id| store.message(**id).unwrap().flags() & 1 != 0)
            .count();
        let name = w
            .path
            .iter()
            .map(|p| p.replace('.', "_"))
            .collect::<Vec<_>>();
        want.insert(name.join("."), (ids.len(), read));
    }
    let script = r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for name in sorted(md.list_folders()):
    f = md.get_folder(name)
    msgs = [f[k] for k in f.keys()]
    read = sum(1 for m in msgs if 'S' in m.get_flags())
    parsed = sum(1 for m in msgs if m['Subject'] is not None or m['From'] is not None)
    print(f"{name}\t{len(msgs)}\t{read}\t{parsed}")
"#;
    let py = Command::new("python3")
        .args(["-c", script])
        .arg(&md)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let mut got = BTreeMap::new();
    for line in String::from_utf8_lossy(&py.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let n: usize = f[1].parse().unwrap();
        assert_eq!(f[3], f[1], "{line}: every message parses");
        got.insert(f[0].to_string(), (n, f[2].parse::<usize>().unwrap()));
    }
    assert_eq!(got, want);
}
