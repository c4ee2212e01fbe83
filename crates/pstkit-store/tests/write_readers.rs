//! Files pstkit writes, read by readers nobody here wrote: libpff's
//! `pffexport`, libpst's `readpst` and Microsoft's `outlook-pst` crate must
//! see every folder and item with the right subjects, bodies and
//! attachment bytes, in every encoding.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;

use mail_parser::MimeHeaders;
use pstkit_ltp::PropValue;
use pstkit_ndb::{CryptMethod, FileKind, Format, NdbFile, Nid};
use pstkit_store::message::normalize_subject;
use pstkit_store::synth::Synth;
use pstkit_store::write::{AttachContent, NewMessage, PstWriter, WriterOptions};
use pstkit_store::Store;

/// What one item must look like to every reader.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    subject: String,
    body: Option<u32>,
    /// (file name, CRC of the bytes)
    attachments: Vec<(String, u32)>,
}

/// folder path below the IPM subtree → items, sorted.
type Tree = BTreeMap<String, Vec<Item>>;

fn crc(b: &[u8]) -> u32 {
    pstkit_ndb::crc::crc(b)
}

fn text(m: &NewMessage, id: u16) -> Option<String> {
    m.props.iter().find_map(|(t, v)| match (t.id().0, v) {
        (i, PropValue::String(s)) if i == id => Some(s.clone()),
        _ => None,
    })
}

fn body_key(s: &str) -> u32 {
    crc(s
        .trim_end_matches(['\r', '\n', ' ', '\0'])
        .replace("\r\n", "\n")
        .as_bytes())
}

fn expected_item(m: &NewMessage) -> Item {
    let mut attachments: Vec<(String, u32)> = m
        .attachments
        .iter()
        .filter_map(|a| match &a.content {
            AttachContent::Data(d) => {
                let name = a.props.iter().find_map(|(t, v)| match (t.id().0, v) {
                    (0x3707, PropValue::String(s)) => Some(s.clone()),
                    _ => None,
                })?;
                Some((name, crc(d)))
            }
            _ => None,
        })
        .collect();
    attachments.sort();
    Item {
        subject: text(m, 0x0037).unwrap_or_default(),
        body: text(m, 0x1000).map(|b| body_key(&b)),
        attachments,
    }
}

/// Writes a mailbox of `n` mails (every 25th forwarding another) and
/// returns what each folder holds.
fn write(path: &Path, crypt: CryptMethod, n: u64) -> Tree {
    write_as(path, Format::UNICODE, FileKind::Pst, crypt, n)
}

fn write_as(path: &Path, format: Format, kind: FileKind, crypt: CryptMethod, n: u64) -> Tree {
    let mut g = Synth::new(42 + n);
    let opts = {
        let mut o = WriterOptions::default();
        o.crypt = crypt;
        o.kind = kind;
        o.format = format;
        o.display_name = "oracle test".into();
        o.timestamp = g.timestamp();
        o
    };
    let mut w = PstWriter::create(path, opts).unwrap();
    let top = w.standard_folders().ipm_subtree;
    let inbox = w.add_folder(top, "Inbox", Some("IPF.Note")).unwrap();
    let deep = w
        .add_folder(inbox, "Ünïcödé 日本", Some("IPF.Note"))
        .unwrap();
    let sent = w.add_folder(top, "Sent Items", Some("IPF.Note")).unwrap();
    let folders = [
        (inbox, "Inbox"),
        (deep, "Inbox/Ünïcödé 日本"),
        (sent, "Sent Items"),
    ];
    let mut tree = Tree::new();
    for k in 0..n {
        let m = if k % 25 == 7 { g.forward(k) } else { g.mail(k) };
        let (f, name) = folders[(k % 3) as usize];
        w.add_message(f, &m).unwrap();
        tree.entry(name.to_string())
            .or_default()
            .push(expected_item(&m));
    }
    w.finish().unwrap();
    for v in tree.values_mut() {
        v.sort();
    }
    tree
}

/// Subject as libpff prints it: pffexport writes the stored subject without
/// the two marker characters.
fn pffexport_tree(file: &Path, tmp: &Path) -> Tree {
    let base = tmp.join("px");
    let out = Command::new("pffexport")
        .args(["-q", "-m", "items", "-f", "text", "-t"])
        .arg(&base)
        .arg(file)
        .output()
        .expect("pffexport is missing: apt-get install pff-tools");
    assert!(
        out.status.success(),
        "pffexport failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = tmp.join("px.export").join("Top of Personal Folders");
    let mut tree = Tree::new();
    walk_pff(&root, "", &mut tree);
    for v in tree.values_mut() {
        v.sort();
    }
    tree
}

fn walk_pff(dir: &Path, path: &str, tree: &mut Tree) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for e in entries {
        let name = e.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("Message") && name[7..].chars().all(|c| c.is_ascii_digit()) {
            let headers = std::fs::read_to_string(e.join("OutlookHeaders.txt")).unwrap();
            let subject = headers
                .lines()
                .find_map(|l| l.strip_prefix("Subject:"))
                .map(|s| s.trim_start_matches('\t').to_string())
                .unwrap_or_default();
            let body = std::fs::read_to_string(e.join("Message.txt"))
                .ok()
                .map(|b| body_key(&b));
            let mut attachments = Vec::new();
            if let Ok(list) = std::fs::read_dir(e.join("Attachments")) {
                for a in list {
                    let a = a.unwrap().path();
                    if a.is_file() {
                        let n = a.file_name().unwrap().to_string_lossy().to_string();
                        let n = n.split_once('_').map(|x| x.1.to_string()).unwrap_or(n);
                        attachments.push((n, crc(&std::fs::read(&a).unwrap())));
                    }
                }
            }
            attachments.sort();
            tree.entry(path.to_string()).or_default().push(Item {
                subject,
                body,
                attachments,
            });
        } else if e.is_dir() {
            let sub = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            walk_pff(&e, &sub, tree);
        }
    }
}

/// Mail as readpst exports it (`-e`: one .eml per item, parsed with mail-parser).
fn readpst_tree(file: &Path, tmp: &Path) -> Tree {
    let out_dir = tmp.join("rp");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = Command::new("readpst")
        .args(["-j", "0", "-e", "-D", "-b", "-q", "-o"])
        .arg(&out_dir)
        .arg(file)
        .output()
        .expect("readpst is missing: apt-get install pst-utils");
    assert!(
        out.status.success(),
        "readpst failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = out_dir.join("oracle test");
    let mut tree = Tree::new();
    walk_rp(&root, "", &mut tree);
    for v in tree.values_mut() {
        v.sort();
    }
    tree
}

fn walk_rp(dir: &Path, path: &str, tree: &mut Tree) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap().path();
        let name = e.file_name().unwrap().to_string_lossy().to_string();
        if e.is_dir() {
            let sub = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            walk_rp(&e, &sub, tree);
        } else if name.ends_with(".eml") {
            let raw = std::fs::read(&e).unwrap();
            let msg = mail_parser::MessageParser::default()
                .parse(&raw)
                .expect("eml parses");
            let mut attachments: Vec<(String, u32)> = msg
                .attachments()
                .filter(|a| a.message().is_none())
                .map(|a| {
                    (
                        a.attachment_name().unwrap_or("").to_string(),
                        crc(a.contents()),
                    )
                })
                .collect();
            attachments.sort();
            tree.entry(path.to_string()).or_default().push(Item {
                subject: msg.subject().unwrap_or("").to_string(),
                body: msg.body_text(0).map(|b| body_key(&b)),
                attachments,
            });
        }
    }
}

/// What outlook-pst reads: folders by hierarchy table, messages opened one
/// by one, subjects and by-value attachment bytes.
fn outlook_pst_tree(file: &Path) -> Tree {
    use outlook_pst::ltp::prop_context::PropertyValue;
    use outlook_pst::messaging::attachment::{Attachment, AttachmentData, UnicodeAttachment};
    use outlook_pst::messaging::message::{Message, UnicodeMessage};
    use outlook_pst::messaging::store::{Store as _, UnicodeStore};
    use outlook_pst::ndb::node_id::NodeId;
    let pst = outlook_pst::UnicodePstFile::open(file).expect("outlook-pst opens the file");
    let store = UnicodeStore::read(Rc::new(pst)).expect("outlook-pst reads the store");
    let text = |v: Option<&PropertyValue>| match v {
        Some(PropertyValue::Unicode(s)) => normalize_subject(&String::from_utf16_lossy(s.buffer())),
        _ => String::new(),
    };
    let mut tree = Tree::new();
    let mut stack: Vec<(u32, String)> = vec![(0x8022, String::new())];
    while let Some((nid, path)) = stack.pop() {
        let eid = store.properties().make_entry_id(NodeId::from(nid)).unwrap();
        let folder = store
            .open_folder(&eid)
            .expect("outlook-pst opens the folder");
        if let Some(h) = folder.hierarchy_table() {
            for row in h.rows_matrix() {
                let child = u32::from(row.id());
                let eid = store
                    .properties()
                    .make_entry_id(NodeId::from(child))
                    .unwrap();
                let f = store.open_folder(&eid).unwrap();
                let name = f.properties().display_name().unwrap_or_default();
                let sub = if path.is_empty() {
                    name
                } else {
                    format!("{path}/{name}")
                };
                stack.push((child, sub));
            }
        }
        let Some(ct) = folder.contents_table() else {
            continue;
        };
        for row in ct.rows_matrix() {
            let mid = u32::from(row.id());
            let eid = store.properties().make_entry_id(NodeId::from(mid)).unwrap();
            let msg = UnicodeMessage::read(store.clone(), &eid, None)
                .expect("outlook-pst opens the message");
            let subject = text(msg.properties().get(0x0037));
            let body = match msg.properties().get(0x1000) {
                Some(PropertyValue::Unicode(s)) => {
                    Some(body_key(&String::from_utf16_lossy(s.buffer())))
                }
                _ => None,
            };
            let ids: Vec<u32> = msg
                .attachment_table()
                .map(|t| t.rows_matrix().map(|r| u32::from(r.id())).collect())
                .unwrap_or_default();
            let mut attachments = Vec::new();
            for id in ids {
                // outlook-pst cannot read embedded-message attachments
                // ("Missing PidTagAttachMethod"); by-value ones it must read.
                let Ok(a) = UnicodeAttachment::read(msg.clone(), NodeId::from(id), None) else {
                    continue;
                };
                if let Some(AttachmentData::Binary(b)) = a.data() {
                    let name = text(a.properties().get(0x3707));
                    attachments.push((name, crc(b.buffer())));
                }
            }
            attachments.sort();
            tree.entry(path.clone()).or_default().push(Item {
                subject,
                body,
                attachments,
            });
        }
    }
    for v in tree.values_mut() {
        v.sort();
    }
    tree
}

/// Our own reader, for completeness: the same tree through pstkit-store.
fn pstkit_tree(file: &Path) -> Tree {
    let f = NdbFile::open(file).unwrap();
    let r = pstkit_ndb::check::check(f.ndb());
    assert!(r.is_clean(), "{:?}", r.problems);
    let store = Store::open(f.ndb()).unwrap();
    let mut tree = Tree::new();
    for w in store.walk() {
        let w = w.map_err(|e| e.2).unwrap();
        let Some(first) = w.path.first() else {
            continue;
        };
        if first != "Top of Personal Folders" || w.path.len() < 2 {
            continue;
        }
        let path = w.path[1..].join("/");
        for nid in w.folder.message_ids().unwrap() {
            let m = store.message(nid).unwrap();
            let mut attachments = Vec::new();
            for a in m.attachments().unwrap() {
                let a = a.unwrap();
                if let Some(d) = a.data().unwrap() {
                    attachments.push((a.filename().unwrap_or_default(), crc(&d)));
                }
            }
            attachments.sort();
            tree.entry(path.clone()).or_default().push(Item {
                subject: m.subject().unwrap_or_default(),
                body: m.body().map(|b| body_key(&b)),
                attachments,
            });
        }
    }
    for v in tree.values_mut() {
        v.sort();
    }
    let _ = Nid(0);
    tree
}

/// The subjects alone, for readers that do not export bodies the same way.
fn assert_same(reader: &str, got: &Tree, want: &Tree) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys()
            .filter(|k| !want[*k].is_empty())
            .collect::<Vec<_>>(),
        "{reader}: folders"
    );
    for (folder, items) in want {
        let g = &got[folder];
        assert_eq!(g.len(), items.len(), "{reader}: item count in {folder}");
        for (a, b) in g.iter().zip(items) {
            assert_eq!(a, b, "{reader}: item in {folder}");
        }
    }
}

/// Whether both outside readers are installed (else one line says so).
fn readers_installed() -> bool {
    pstkit_fixtures::real::tools(&[("pffexport", "pff-tools"), ("readpst", "pst-utils")])
}

#[test]
fn every_reader_reads_what_we_write_in_every_encoding() {
    if !readers_installed() {
        return;
    }
    for (crypt, n) in [
        (CryptMethod::None, 150),
        (CryptMethod::Permute, 2000),
        (CryptMethod::Cyclic, 150),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("out.pst");
        let want = write(&file, crypt, n);
        assert_eq!(want.values().map(Vec::len).sum::<usize>() as u64, n);
        assert_same("pstkit", &pstkit_tree(&file), &want);
        assert_same("pffexport", &pffexport_tree(&file, tmp.path()), &want);
        assert_same("outlook-pst", &outlook_pst_tree(&file), &want);
        // readpst writes its own RFC 822 form: it adds nothing to the text
        // body and keeps attachments byte for byte.
        assert_same("readpst", &readpst_tree(&file, tmp.path()), &want);
    }
}

#[test]
fn libpff_and_libpst_read_our_4k_ost() {
    // outlook-pst refuses OST files; libpff and libpst read the 4K variant,
    // with its zlib-compressed blocks.
    if !readers_installed() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("out.ost");
    let want = write_as(
        &file,
        Format::UNICODE_4K,
        FileKind::Ost,
        CryptMethod::None,
        300,
    );
    let f = NdbFile::open(&file).unwrap();
    let compressed = f
        .ndb()
        .blocks()
        .filter(|b| b.as_ref().is_ok_and(|b| b.cb != b.inflated))
        .count();
    assert!(compressed > 100, "only {compressed} compressed blocks");
    drop(f);
    assert_same("pstkit", &pstkit_tree(&file), &want);
    assert_same("pffexport", &pffexport_tree(&file, tmp.path()), &want);
    assert_same("readpst", &readpst_tree(&file, tmp.path()), &want);
}
