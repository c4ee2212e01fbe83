//! `pstkit convert`, `binding` and `import` end to end: each real OST becomes
//! a PST that libpff and libpst read the same as the OST; every readable
//! sample converts clean; a converted file converts to itself but for ids;
//! bindings are verified, refused and found damaged; salvage recovers every
//! undamaged item; EML and mbox come back in.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pstkit_fixtures::real;

#[path = "common/cli.rs"]
mod cli;
#[path = "common/readers.rs"]
mod readers;

use cli::{pstkit, walk_files};

use pstkit::ndb::{NdbFile, Nid, NidType};
use pstkit::Store;

const OST: &str = "aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost";
/// A second real Exchange OST, of another mailbox.
const GROUPDOCS_OST: &str = "groupdocs-viewer-GroupDocs.Viewer-for-.NET--Storage-sample.ost";

fn crc(b: &[u8]) -> u32 {
    pstkit::ndb::crc::crc(b)
}

/// Folder path → sorted (kind, subject, sorted attachment CRCs) per item,
/// as pffexport exports them.
type PffView = BTreeMap<String, Vec<(String, Option<String>, Vec<u32>)>>;

fn pff_view(file: &Path, tmp: &Path, map: &dyn Fn(&str) -> Option<String>) -> PffView {
    let x = readers::pffexport(file, None, tmp);
    let mut out = PffView::new();
    for (path, folder) in &x.folders {
        let Some(p) = map(path) else { continue };
        let mut items: Vec<_> = folder
            .items
            .values()
            .map(|it| {
                let mut att: Vec<u32> = readers::pff_attachments(&it.dir)
                    .values()
                    .filter_map(|a| match a {
                        readers::PffAttachment::File { path, .. } => {
                            Some(crc(&std::fs::read(path).unwrap()))
                        }
                        readers::PffAttachment::Embedded { .. } => None,
                    })
                    .collect();
                att.sort();
                (it.kind.to_string(), it.subject.clone(), att)
            })
            .collect();
        items.sort();
        if !items.is_empty() {
            out.insert(p, items);
        }
    }
    out
}

/// An Exchange OST's folders as they are after conversion to a PST.
fn ost_to_pst_path(p: &str) -> Option<String> {
    let rest = p.strip_prefix("Root - Mailbox")?;
    let rest = rest.strip_prefix('/')?;
    Some(match rest.strip_prefix("IPM_SUBTREE") {
        Some(r) => format!("Top of Personal Folders{r}"),
        None => rest.to_string(),
    })
}

#[test]
fn real_ost_converts_to_a_pst_that_libpff_and_libpst_read_the_same() {
    ost_converts_to_a_pst_that_libpff_and_libpst_read_the_same(OST, 92, 80);
}

#[test]
fn second_real_ost_converts_to_a_pst_that_libpff_and_libpst_read_the_same() {
    ost_converts_to_a_pst_that_libpff_and_libpst_read_the_same(GROUPDOCS_OST, 5, 5);
}

/// Converts the OST sample `name`, which holds `items` items (`mails` of
/// them at least are mail readpst writes), and compares the two files as
/// libpff and libpst read them.
fn ost_converts_to_a_pst_that_libpff_and_libpst_read_the_same(
    name: &str,
    items: u64,
    mails: usize,
) {
    let Some(src) = real::sample(name) else {
        return;
    };
    if !readers::installed() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rescued.pst");
    let r = run!("convert", src.as_os_str(), out.as_os_str(), "--json");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(summary["items"], items);
    // Permute to permute, Unicode to Unicode: large attachments are copied
    // block by block as stored; the readers below see the same bytes.
    assert_eq!(summary["block_copy"], true);
    assert_eq!(
        summary["verified"],
        items + summary["associated"].as_u64().unwrap()
    );
    assert_eq!(run!("check", out.as_os_str()).status.code(), Some(0));

    // pffexport: same folders with items, same items, subjects, attachment bytes.
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let ost = pff_view(&src, &a, &|p| ost_to_pst_path(p));
    let pst = pff_view(&out, &b, &|p| Some(p.to_string()));
    assert!(ost.values().map(Vec::len).sum::<usize>() as u64 >= items);
    assert_eq!(
        ost.keys().collect::<Vec<_>>(),
        pst.keys().collect::<Vec<_>>()
    );
    for (folder, items) in &ost {
        assert_eq!(items, &pst[folder], "pffexport view of {folder}");
    }

    // readpst: the mail of the IPM subtree, subjects and attachment bytes.
    let (c, d) = (tmp.path().join("c"), tmp.path().join("d"));
    std::fs::create_dir_all(&c).unwrap();
    std::fs::create_dir_all(&d).unwrap();
    let rp = |file: &Path, dir: &Path| -> BTreeMap<String, Vec<(String, Vec<u32>)>> {
        readers::readpst(file, dir, None)
            .mails
            .into_iter()
            .map(|(k, v)| {
                let mut m: Vec<_> = v
                    .into_iter()
                    .map(|m| {
                        // readpst adds a calendar part of its own making
                        // ("i<n>.ics", stamped with the export time) to
                        // every meeting request: not the file's content.
                        let mut a: Vec<u32> = m
                            .attachments
                            .iter()
                            .filter(|x| !is_readpst_ics(&x.0))
                            .map(|x| crc(&x.1))
                            .collect();
                        a.sort();
                        (m.subject, a)
                    })
                    .collect();
                m.sort();
                (k, m)
            })
            .collect()
    };
    let (ro, rc) = (rp(&src, &c), rp(&out, &d));
    assert!(ro.values().map(Vec::len).sum::<usize>() >= mails);
    assert_eq!(
        ro, rc,
        "readpst sees the same mail in the OST and in its PST"
    );
}

fn is_readpst_ics(name: &str) -> bool {
    name.strip_prefix('i')
        .and_then(|n| n.strip_suffix(".ics"))
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Every folder with its items (class, subject, attachments), by path;
/// search folders and their contents are not part of a copy.
fn listing(file: &Path, map: &dyn Fn(&str) -> Option<String>) -> BTreeMap<String, Vec<String>> {
    let f = NdbFile::open(file).unwrap();
    let store = Store::open(f.ndb()).unwrap();
    let mut out = BTreeMap::new();
    for w in store.walk() {
        let w = w.unwrap_or_else(|e| panic!("{}: {:?}", file.display(), e.2));
        if w.path.is_empty() || w.folder.is_search_folder() {
            continue;
        }
        let Some(path) = map(&w.path_string()) else {
            continue;
        };
        let mut items: Vec<String> = w
            .folder
            .message_ids()
            .unwrap()
            .into_iter()
            .chain(w.folder.associated_ids().unwrap())
            .map(|nid| {
                let m = store.message(nid).unwrap();
                let atts: Vec<String> = m
                    .attachments()
                    .unwrap()
                    .map(|a| {
                        let a = a.unwrap();
                        format!(
                            "{:?}:{:?}",
                            a.filename(),
                            a.data().unwrap().map(|d| crc(&d))
                        )
                    })
                    .collect();
                format!(
                    "{} {:?} {:?} {atts:?}",
                    m.class(),
                    m.subject(),
                    m.body().map(|b| crc(b.as_bytes()))
                )
            })
            .collect();
        items.sort();
        out.insert(path, items);
    }
    out
}

fn is_damaged(name: &str) -> bool {
    name.contains("AddingBulkMessages") || name.contains("truncated-in-header")
}

#[test]
fn every_readable_sample_converts_clean_and_keeps_its_items() {
    let tmp = tempfile::tempdir().unwrap();
    let samples: Vec<(String, PathBuf)> = real::all()
        .into_iter()
        .filter(|(n, _)| (n.ends_with(".pst") || n.ends_with(".ost")) && !is_damaged(n))
        .collect();
    assert!(
        samples.len() >= real::min_count(18, 28),
        "only {} readable samples",
        samples.len()
    );
    for (name, src) in samples {
        let out = tmp.path().join(format!("{name}.pst"));
        let r = run!("convert", src.as_os_str(), out.as_os_str());
        assert_eq!(
            r.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let f = NdbFile::open(&out).unwrap();
        assert!(pstkit::ndb::check::check(f.ndb()).is_clean(), "{name}");
        let is_ost = name.ends_with(".ost");
        let want = listing(&src, &|p| {
            if is_ost {
                ost_to_pst_path(p)
            } else {
                Some(p.to_string())
            }
        });
        let got = listing(&out, &|p| Some(p.to_string()));
        for (folder, items) in &want {
            // The destination's own search folders aside, every source folder
            // is there with the same items.
            assert_eq!(got.get(folder), Some(items), "{name}: {folder}");
        }
    }
}

#[test]
fn converting_a_converted_file_changes_nothing_but_ids() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, src) in real::samples(&[
        OST,
        GROUPDOCS_OST,
        "aspose-email-Aspose.Email-for-.NET--Outlook.pst",
        "simiden-pst2john--2k_outlook_qwerty1234.pst",
    ]) {
        let c1 = tmp.path().join(format!("{name}.1.pst"));
        let c2 = tmp.path().join(format!("{name}.2.pst"));
        assert_eq!(
            run!("convert", src.as_os_str(), c1.as_os_str())
                .status
                .code(),
            Some(0)
        );
        assert_eq!(
            run!("convert", c1.as_os_str(), c2.as_os_str())
                .status
                .code(),
            Some(0)
        );
        let strip = |file: &Path| -> Vec<serde_json::Value> {
            let out = run!("ls", "--json", file.as_os_str());
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| {
                    let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                    v.as_object_mut().unwrap().remove("id");
                    v
                })
                .collect()
        };
        assert_eq!(strip(&c1), strip(&c2), "{name}");
        // Message by message, the content digests agree too.
        let (f1, f2) = (NdbFile::open(&c1).unwrap(), NdbFile::open(&c2).unwrap());
        let (s1, s2) = (
            Store::open(f1.ndb()).unwrap(),
            Store::open(f2.ndb()).unwrap(),
        );
        let digests = |s: &Store<'_>| -> Vec<u64> {
            let mut d = Vec::new();
            for w in s.walk().flatten() {
                for nid in w.folder.message_ids().unwrap() {
                    let m = s.message(nid).unwrap();
                    d.push(pstkit_copy::convert::digest_message(&m, s.names()).unwrap());
                }
            }
            d
        };
        assert_eq!(digests(&s1), digests(&s2), "{name}");
    }
}

#[test]
fn binding_is_verified_refused_and_found_damaged() {
    let tmp = tempfile::tempdir().unwrap();
    let ost = tmp.path().join("bound.ost");
    let r = run!(
        "gen",
        ost.as_os_str(),
        "--messages",
        "12",
        "--server",
        "mail.example.com",
        "--mailbox",
        "ann@example.com"
    );
    assert_eq!(r.status.code(), Some(0));
    // Its own account, whatever the case of the names.
    let r = run!(
        "binding",
        "verify",
        ost.as_os_str(),
        "--server",
        "MAIL.example.com",
        "--mailbox",
        "Ann@Example.com"
    );
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stdout)
    );
    // Another server: exit 3, Outlook's sentence, the field with both values.
    let r = run!(
        "binding",
        "verify",
        ost.as_os_str(),
        "--server",
        "mail2.example.com",
        "--mailbox",
        "ann@example.com"
    );
    assert_eq!(r.status.code(), Some(3));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("has been configured for use with a different mailbox"),
        "{text}"
    );
    assert!(
        text.contains(
            "server: the account has \"mail2.example.com\", the file \"mail.example.com\""
        ),
        "{text}"
    );
    assert!(!text.contains("mailbox: the account"), "{text}");
    // Another mailbox, as JSON.
    let r = run!(
        "binding",
        "verify",
        ost.as_os_str(),
        "--server",
        "mail.example.com",
        "--mailbox",
        "bob@example.com",
        "--json"
    );
    assert_eq!(r.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["differences"][0]["field"], "mailbox");
    assert_eq!(v["differences"][0]["found"], "ann@example.com");

    // A rebound copy verifies for the new account, the original is untouched.
    let copy = tmp.path().join("rebound.ost");
    let r = run!(
        "binding",
        "set",
        ost.as_os_str(),
        "--server",
        "new.example.com",
        "--mailbox",
        "ann@example.com",
        "--out",
        copy.as_os_str()
    );
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert_eq!(
        run!(
            "binding",
            "verify",
            copy.as_os_str(),
            "--server",
            "new.example.com",
            "--mailbox",
            "ann@example.com"
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        run!(
            "binding",
            "verify",
            ost.as_os_str(),
            "--server",
            "mail.example.com",
            "--mailbox",
            "ann@example.com"
        )
        .status
        .code(),
        Some(0)
    );

    // In place: atomic, with the original kept as .bak.
    let r = run!(
        "binding",
        "set",
        copy.as_os_str(),
        "--server",
        "third.example.com",
        "--mailbox",
        "ann@example.com",
        "--in-place"
    );
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert_eq!(
        run!(
            "binding",
            "verify",
            copy.as_os_str(),
            "--server",
            "third.example.com",
            "--mailbox",
            "ann@example.com"
        )
        .status
        .code(),
        Some(0)
    );
    let bak = tmp.path().join("rebound.ost.bak");
    assert_eq!(
        run!(
            "binding",
            "verify",
            bak.as_os_str(),
            "--server",
            "new.example.com",
            "--mailbox",
            "ann@example.com"
        )
        .status
        .code(),
        Some(0)
    );

    // A damaged record (one flipped bit) is told from another mailbox.
    let damaged = tmp.path().join("damaged.ost");
    {
        use pstkit::store::binding::{binding_prop, MailboxBinding};
        use pstkit::store::write::{PstWriter, WriterOptions};
        let b = MailboxBinding::new("mail.example.com", "ann@example.com", None);
        let mut w = PstWriter::create(&damaged, {
            let mut o = WriterOptions::default();
            o.kind = pstkit::ndb::FileKind::Ost;
            o
        })
        .unwrap();
        let id = w.named_prop(&binding_prop()).unwrap();
        let mut props = b.store_properties(id);
        if let pstkit::ltp::PropValue::Binary(bytes) = &mut props[1].1 {
            bytes[10] ^= 0x04;
        }
        w.set_store_properties(props);
        w.finish().unwrap();
    }
    let r = run!(
        "binding",
        "verify",
        damaged.as_os_str(),
        "--server",
        "mail.example.com",
        "--mailbox",
        "ann@example.com"
    );
    assert_eq!(r.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&r.stdout)
        .contains("binding record is damaged: record CRC mismatch"));
    let r = run!("binding", "show", damaged.as_os_str());
    assert!(String::from_utf8_lossy(&r.stdout).contains("DAMAGED"));
    // An Outlook OST: only its mailbox GUID is in the file.
    let Some(ost) = real::sample(OST) else {
        return;
    };
    let r = run!(
        "binding",
        "verify",
        ost.as_os_str(),
        "--server",
        "x",
        "--mailbox",
        "y"
    );
    assert_eq!(r.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&r.stdout).contains("{AD475697-8264-453B-8DAC-B3F7F1E8D53E}"));
}

/// Damages the data block of one message of a copy of sample `name` (at
/// `src`); returns the copy, the damaged message's id and the message count.
fn damage_one(name: &str, src: &Path, tmp: &Path) -> (PathBuf, Nid, usize) {
    let copy = tmp.join(name);
    std::fs::copy(src, &copy).unwrap();
    let (nid, ib, total) = {
        let f = NdbFile::open(&copy).unwrap();
        let ndb = f.ndb();
        let messages: Vec<_> = ndb
            .nodes()
            .map(|e| e.unwrap())
            .filter(|e| e.nid.kind() == NidType::NormalMessage)
            .collect();
        let victim = messages[messages.len() / 2];
        let leaf = ndb.data_tree(victim.data).unwrap().leaves[0];
        (victim.nid, leaf.bref.ib.0, messages.len())
    };
    let mut bytes = std::fs::read(&copy).unwrap();
    for b in &mut bytes[ib as usize + 8..ib as usize + 40] {
        *b ^= 0x5A;
    }
    std::fs::write(&copy, bytes).unwrap();
    (copy, nid, total)
}

#[test]
fn salvage_recovers_every_undamaged_item() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, src) in real::samples(&[
        "simiden-pst2john--2003_no-encryption_quickquick.pst",
        "simiden-pst2john--2003_high-encryption_quickquick.pst",
    ]) {
        let (damaged, nid, total) = damage_one(name, &src, tmp.path());
        let out = tmp.path().join(format!("{name}.out.pst"));
        // Without --salvage: a clear error naming the item, and no file.
        let r = run!("convert", damaged.as_os_str(), out.as_os_str());
        assert_eq!(r.status.code(), Some(2));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.contains(&format!("item {nid}")) && err.contains("CRC"),
            "{err}"
        );
        assert!(!out.exists(), "no output without --salvage");
        assert_eq!(
            std::fs::read_dir(tmp.path())
                .unwrap()
                .filter(|e| e
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".tmp"))
                .count(),
            0
        );
        // With it: every other item, and a report of the one lost.
        let r = run!(
            "convert",
            damaged.as_os_str(),
            out.as_os_str(),
            "--salvage",
            "--json"
        );
        assert_eq!(
            r.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        assert_eq!(v["items"].as_u64().unwrap() as usize, total - 1, "{name}");
        assert_eq!(v["skipped"].as_array().unwrap().len(), 1);
        assert_eq!(v["skipped"][0]["id"], nid.0);
        let f = NdbFile::open(&out).unwrap();
        assert!(pstkit::ndb::check::check(f.ndb()).is_clean());
    }
}

/// Exports `src` as EML into `tmp/eml` and imports that into
/// `tmp/imported.pst`, which it returns.
fn eml_then_import(src: &Path, tmp: &Path) -> PathBuf {
    let eml = tmp.join("eml");
    let r = run!(
        "export",
        src.as_os_str(),
        "--format",
        "eml",
        "--out",
        eml.as_os_str()
    );
    assert_eq!(r.status.code(), Some(0));
    let pst = tmp.join("imported.pst");
    let r = run!("import", eml.as_os_str(), "-o", pst.as_os_str());
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    pst
}

#[test]
fn eml_and_mbox_import_what_export_wrote() {
    let Some(src) = real::sample("apache-tika--testPST.pst") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let pst = eml_then_import(&src, tmp.path());
    let subjects = |file: &Path| -> Vec<String> {
        let f = NdbFile::open(file).unwrap();
        let s = Store::open(f.ndb()).unwrap();
        let mut v = Vec::new();
        for w in s.walk().flatten() {
            for nid in w.folder.message_ids().unwrap() {
                v.push(s.message(nid).unwrap().subject().unwrap_or_default());
            }
        }
        v.sort();
        v
    };
    assert_eq!(subjects(&src), subjects(&pst));
    assert_eq!(run!("check", pst.as_os_str()).status.code(), Some(0));

    let mbox = tmp.path().join("mbox");
    assert_eq!(
        run!(
            "export",
            src.as_os_str(),
            "--format",
            "mbox",
            "--out",
            mbox.as_os_str()
        )
        .status
        .code(),
        Some(0)
    );
    let boxes: Vec<PathBuf> = walk_files(&mbox)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "mbox"))
        .collect();
    assert!(!boxes.is_empty());
    let pst2 = tmp.path().join("from-mbox.pst");
    let mut args: Vec<&std::ffi::OsStr> = vec![std::ffi::OsStr::new("import")];
    args.extend(boxes.iter().map(|p| p.as_os_str()));
    args.push(std::ffi::OsStr::new("-o"));
    args.push(pst2.as_os_str());
    let r = pstkit(&args);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert_eq!(subjects(&src), subjects(&pst2));
}

/// Outlook 2000's HTML mail finds its images by Content-Location (MHTML):
/// export writes the header, import stores it again, so a PST rebuilt from
/// the exported mail holds every attachment with the location it had.
#[test]
fn content_locations_survive_export_and_import() {
    let Some(src) = real::sample("simiden-pst2john--2k_outlook_qwerty1234.pst") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let pst = eml_then_import(&src, tmp.path());
    // Per mail item: its subject and each attachment's name and location.
    type Located = Vec<(String, Vec<(String, Option<String>)>)>;
    let located = |file: &Path| -> Located {
        let f = NdbFile::open(file).unwrap();
        let s = Store::open(f.ndb()).unwrap();
        let mut v = Vec::new();
        for w in s.walk().flatten() {
            for nid in w.folder.message_ids().unwrap() {
                let m = s.message(nid).unwrap();
                if m.kind() != pstkit::store::ItemKind::Mail {
                    continue;
                }
                let mut atts: Vec<_> = m
                    .attachments()
                    .unwrap()
                    .map(|a| {
                        let a = a.unwrap();
                        (a.filename().unwrap_or_default(), a.content_location())
                    })
                    .collect();
                atts.sort();
                v.push((m.subject().unwrap_or_default(), atts));
            }
        }
        v.sort();
        v
    };
    let want = located(&src);
    let with_location = want
        .iter()
        .flat_map(|(_, a)| a)
        .filter(|(_, l)| l.is_some())
        .count();
    assert!(with_location >= 8, "{want:?}");
    assert_eq!(located(&pst), want);
}

/// Every message's content digest, in walk order (subjects and attachment
/// bytes included; ids left out).
fn content_digests(file: &Path) -> Vec<(String, u64)> {
    let f = NdbFile::open(file).unwrap();
    let s = Store::open(f.ndb()).unwrap();
    let mut d = Vec::new();
    for w in s.walk().flatten() {
        for nid in w.folder.message_ids().unwrap() {
            let m = s.message(nid).unwrap();
            let digest = pstkit_copy::convert::digest_message(&m, s.names()).unwrap();
            d.push((w.folder.display_name(), digest));
        }
    }
    d.sort();
    d
}

#[test]
fn moved_and_rebuilt_copies_hold_the_same_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("synth.pst");
    assert_eq!(
        run!("gen", "--messages", "60", src.as_os_str())
            .status
            .code(),
        Some(0)
    );
    // Same variant and encoding: items are moved as stored.
    let moved = tmp.path().join("moved.pst");
    let r = run!("convert", "--json", src.as_os_str(), moved.as_os_str());
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(j["moved_as_stored"], true, "{j}");
    assert_eq!(j["verified"], 60);
    // An encoding keyed by block id: every item is decoded and rebuilt.
    let rebuilt = tmp.path().join("rebuilt.pst");
    let r = run!(
        "convert",
        "--json",
        "--encoding",
        "high",
        src.as_os_str(),
        rebuilt.as_os_str()
    );
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(j["moved_as_stored"], false, "{j}");
    assert_eq!(j["verified"], 60);
    // Asked for: the same encoding, every item rebuilt all the same.
    let forced = tmp.path().join("forced.pst");
    let r = run!(
        "convert",
        "--json",
        "--rebuild",
        src.as_os_str(),
        forced.as_os_str()
    );
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(j["moved_as_stored"], false, "{j}");
    let want = content_digests(&src);
    assert_eq!(want.len(), 60);
    assert_eq!(content_digests(&moved), want);
    assert_eq!(content_digests(&rebuilt), want);
    assert_eq!(content_digests(&forced), want);
    // A moved item is the source's node, block for block.
    let (a, b) = (NdbFile::open(&src).unwrap(), NdbFile::open(&moved).unwrap());
    let (sa, sb) = (Store::open(a.ndb()).unwrap(), Store::open(b.ndb()).unwrap());
    let first = |s: &Store<'_>| {
        s.walk()
            .flatten()
            .find_map(|w| w.folder.message_ids().unwrap().first().copied())
            .unwrap()
    };
    let (na, nb) = (first(&sa), first(&sb));
    let (ea, eb) = (
        a.ndb().node_entry(na).unwrap(),
        b.ndb().node_entry(nb).unwrap(),
    );
    assert_eq!(
        a.ndb().stored_node(ea.data, ea.sub).unwrap().digest(),
        b.ndb().stored_node(eb.data, eb.sub).unwrap().digest()
    );
}

#[test]
fn a_name_map_that_cannot_be_kept_means_items_are_rebuilt() {
    // This sample binds one name to two ids: the copy names it once, so
    // ids change and items cannot be moved as stored.
    let Some(src) = real::sample("aspose-email-Aspose.Email-for-.NET--Outlook.pst") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o.pst");
    let r = run!("convert", "--json", src.as_os_str(), out.as_os_str());
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(j["moved_as_stored"], false, "{j}");
    assert_eq!(j["block_copy"], true, "{j}");
}

/// `info`, `convert` and `export` count folders alike (below the root,
/// search folders included), and `info` of a copy says what `convert` said
/// the copy holds: every source folder but the search folders, and the
/// writer's own search folders.
#[test]
fn one_folder_count_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let json = |r: std::process::Output| -> serde_json::Value {
        assert_eq!(
            r.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        serde_json::from_slice(&r.stdout).unwrap()
    };
    let mut with_search_folders = 0;
    for (name, src) in real::samples(&[OST, GROUPDOCS_OST, "sepinf-inc-IPED--test_sample.pst"]) {
        let info = json(run!("info", &src, "--json"));
        let (folders, search) = (
            info["store"]["folders"].as_u64().unwrap(),
            info["store"]["search_folders"].as_u64().unwrap(),
        );
        with_search_folders += usize::from(search > 0);
        let out = tmp.path().join(format!("{name}.pst"));
        let conv = json(run!("convert", &src, &out, "--json"));
        assert_eq!(conv["folders"].as_u64(), Some(folders), "{name}");
        assert_eq!(
            conv["search_folders_skipped"].as_u64(),
            Some(search),
            "{name}"
        );
        let copy = &conv["copy"];
        let again = json(run!("info", &out, "--json"));
        assert_eq!(again["store"]["folders"], copy["folders"], "{name}");
        assert_eq!(
            again["store"]["search_folders"], copy["search_folders"],
            "{name}"
        );
        let own = copy["search_folders"].as_u64().unwrap();
        assert_eq!(
            copy["folders"].as_u64(),
            Some(folders - search + own),
            "{name}"
        );
        let exp = run!(
            "export",
            &src,
            "--out",
            &tmp.path().join(format!("{name}.eml")),
            "--format",
            "eml"
        );
        let text = String::from_utf8_lossy(&exp.stdout).into_owned();
        assert!(
            text.starts_with(&format!(
                "{folders} folders ({search} of them search folders"
            )),
            "{name}: {text}"
        );
        let text = String::from_utf8_lossy(&run!("info", &src).stdout).into_owned();
        assert!(
            text.contains(&format!(
                "folders:         {folders} ({search} of them search folders)"
            )),
            "{name}: {text}"
        );
    }
    assert!(with_search_folders >= real::min_count(1, 3));
}
