//! `pstkit export` end to end: files, exit codes, messages.

use std::path::Path;
use std::process::{Command, Output};

use pstkit_fixtures::real;

fn export(file: &Path, format: &str, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pstkit"))
        .arg("export")
        .arg(file)
        .args(["--format", format, "--out"])
        .arg(out)
        .output()
        .expect("run pstkit")
}

/// Asserts that the command succeeded, showing what it said otherwise.
fn exit_0(o: &std::process::Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn eml_export_writes_the_folder_tree() {
    let Some(src) = real::sample("hughbe-PstReader--hughbe_Outlook.pst") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = export(&src, "eml", &out);
    exit_0(&o);
    // Piped stderr: no progress bar, and nothing went wrong.
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("7 items exported, 0 items failed"),
        "{stdout}"
    );
    let top = out.join("Top of Personal Folders");
    assert!(top.join("Calendar/1.ics").is_file());
    assert!(top.join("Contacts/1.vcf").is_file());
    assert!(top.join("Contacts/2.eml").is_file()); // the distribution list
    assert!(top.join("Drafts/1.eml").is_file());
    assert!(out.join("Freebusy Data/1.eml").is_file());
    // Empty folders make no directories.
    assert!(!top.join("Outbox").exists());
}

#[test]
fn mbox_export_writes_one_file_per_folder() {
    let Some(src) = real::sample("emk-pstsdk--submessage.pst") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = export(&src, "mbox", &out);
    exit_0(&o);
    let mbox = out.join("Top of Outlook data file/submessage.mbox");
    let text = std::fs::read_to_string(&mbox).unwrap();
    assert!(
        text.starts_with("From terrymah@microsoft.com "),
        "{text:.200}"
    );
    assert!(text.contains("Subject: This is an embedded message\n"));
    assert_eq!(
        std::fs::read_dir(out.join("Top of Outlook data file"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn unreadable_input_is_a_clear_error() {
    let Some(bad) = real::sample("Jmcleodfoss-pstreader--truncated-in-header.bin") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = export(&bad, "eml", &out);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("pstkit: cannot read ") && err.contains("truncated-in-header.bin"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written for an unreadable input");

    let o = export(&dir.path().join("missing.pst"), "eml", &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.pst"));
}

#[test]
fn unwritable_output_is_a_clear_error() {
    let Some(src) = real::sample("emk-pstsdk--submessage.pst") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let o = export(&src, "eml", &blocker);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot export to"), "{err}");
}

#[test]
fn unknown_format_is_refused() {
    let Some(src) = real::sample("emk-pstsdk--submessage.pst") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let o = export(&src, "pdf", dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pdf"));
}

#[test]
fn a_damaged_item_is_reported_skipped_and_fails_the_run() {
    // Flip one byte of the third item's data block in a copy of the file.
    let Some(src) = real::sample("simiden-pst2john--2003_no-encryption_quickquick.pst") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&src).unwrap();
    let (folder, nid) = {
        let pst = pstkit::Pst::open(&src).unwrap();
        let store = pst.store().unwrap();
        let (folder, nid) = store
            .walk()
            .flatten()
            .find_map(|w| {
                let ids = w.folder.message_ids().ok()?;
                (ids.len() >= 3).then(|| (w.path_string(), ids[2]))
            })
            .unwrap();
        let entry = pst.ndb().node_entry(nid).unwrap();
        let block = pst.ndb().block_entry(entry.data).unwrap();
        bytes[block.bref.ib.0 as usize + 8] ^= 0x55;
        (folder, nid)
    };
    let damaged = dir.path().join("damaged.pst");
    std::fs::write(&damaged, bytes).unwrap();

    let out = dir.path().join("out");
    let o = export(&damaged, "eml", &out);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(&format!("pstkit: item {nid} in {folder:?}: ")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("19 items exported, 1 items failed"),
        "{stdout}"
    );
    let dir = out.join(&folder);
    assert!(dir.join("2.eml").is_file() && dir.join("4.eml").is_file());
    assert!(!dir.join("3.eml").exists());
}

#[test]
fn a_contact_s_picture_is_its_vcard_photo() {
    let Some(src) = real::sample("sepinf-inc-IPED--test_sample.pst") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let r = export(&src, "eml", &out);
    exit_0(&r);
    // The picture as pstkit reads it: the contact's ContactPicture.jpg.
    let file = pstkit::ndb::NdbFile::open(&src).unwrap();
    let store = pstkit::Store::open(file.ndb()).unwrap();
    let mut picture = None;
    for w in store.walk() {
        for id in w.unwrap().folder.message_ids().unwrap() {
            let m = store.message(id).unwrap();
            for a in m.attachments().unwrap() {
                let a = a.unwrap();
                if a.filename().as_deref() == Some("ContactPicture.jpg") {
                    picture = Some(a.data().unwrap().unwrap().into_owned());
                }
            }
        }
    }
    let picture = picture.expect("the sample's contact has its picture");
    fn walk(d: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&out, &mut files);
    let vcards: Vec<String> = files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "vcf"))
        .map(|p| std::fs::read_to_string(p).unwrap().replace("\r\n ", ""))
        .collect();
    let want = format!(
        "PHOTO;ENCODING=b;TYPE=JPEG:{}\r\n",
        pstkit::copy::contentline::base64(&picture)
    );
    assert!(
        vcards.iter().any(|v| v.contains(&want)),
        "no vCard holds the picture ({} bytes)",
        picture.len()
    );
}

/// A vCard holds a contact's picture but no other file: a contact that has
/// one goes out as mail with the file and its vCard attached, so the EML
/// export loses none of its attachments; a contact with only its picture
/// stays a `.vcf`.
#[test]
fn a_contact_s_files_are_not_lost_in_the_eml_export() {
    use pstkit::ltp::PropValue;
    use pstkit::store::pid::tags;
    use pstkit::store::write::{
        AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions,
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("contacts.pst");
    let mut w = PstWriter::create(&src, WriterOptions::default()).unwrap();
    let top = w.standard_folders().ipm_subtree;
    let folder = w.add_folder(top, "Contacts", Some("IPF.Contact")).unwrap();
    let file = |name: &str, bytes: &[u8], photo: bool| NewAttachment {
        props: vec![
            (tags::ATTACH_LONG_FILENAME, PropValue::String(name.into())),
            (tags::ATTACH_METHOD, PropValue::Int32(1)),
            (tags::ATTACHMENT_CONTACT_PHOTO, PropValue::Boolean(photo)),
        ],
        content: AttachContent::Data(bytes.to_vec()),
    };
    let contact = |name: &str, attachments: Vec<NewAttachment>| NewMessage {
        props: vec![
            (tags::MESSAGE_CLASS, PropValue::String("IPM.Contact".into())),
            (tags::SUBJECT, PropValue::String(name.into())),
            (tags::DISPLAY_NAME, PropValue::String(name.into())),
        ],
        recipients: Vec::new(),
        attachments,
    };
    let picture = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4];
    let contract = b"%PDF-1.4 the signed contract".to_vec();
    w.add_message(
        folder,
        &contact(
            "Ann Picture",
            vec![file("ContactPicture.jpg", &picture, true)],
        ),
    )
    .unwrap();
    w.add_message(
        folder,
        &contact(
            "Bob Files",
            vec![
                file("ContactPicture.jpg", &picture, true),
                file("contract.pdf", &contract, false),
            ],
        ),
    )
    .unwrap();
    w.finish().unwrap();

    let out = tmp.path().join("out");
    let r = export(&src, "eml", &out);
    exit_0(&r);
    let dir = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let dir = dir.join("Contacts");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["1.vcf", "2.eml"], "in {}", dir.display());
    assert!(std::fs::read_to_string(dir.join("1.vcf"))
        .unwrap()
        .contains("FN:Ann Picture"));
    let mail = std::fs::read_to_string(dir.join("2.eml"))
        .unwrap()
        .replace("\r\n", "\n");
    let b64 = pstkit::copy::contentline::base64(&contract);
    assert!(mail.contains("contract.pdf"), "{mail}");
    assert!(
        mail.replace('\n', "").contains(&b64),
        "the contract's bytes: {mail}"
    );
    assert!(
        mail.contains("text/vcard") && mail.contains("FN:Bob Files"),
        "{mail}"
    );
}
