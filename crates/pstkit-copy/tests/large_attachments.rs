//! Large attachments go out block by block (EML, Maildir, mbox and `.msg`
//! exports, conversions that rebuild items, and `.msg` imports): the outputs hold the same
//! bytes as the source, and a damaged block met while an item is being
//! written leaves no part of that item behind.

use std::path::{Path, PathBuf};

use mail_parser::{MessageParser, MimeHeaders};
use pstkit_copy::export::{export, ExportFormat};
use pstkit_copy::{convert, ConvertOptions};
use pstkit_ltp::PropValue;
use pstkit_ndb::NdbFile;
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter};
use pstkit_store::{pid, Store};

/// Past the size from which attachments are streamed (1 MiB).
const BIG: usize = 3 << 20;

/// A PST of one message with a large and a small attachment, in a
/// subfolder (whose output directory an export makes as it goes).
fn mailbox(dir: &Path) -> PathBuf {
    let path = dir.join("big.pst");
    let mut w = PstWriter::create(&path, Default::default()).unwrap();
    let ipm = w.standard_folders().ipm_subtree;
    let inbox = w.add_folder(ipm, "Big", None).unwrap();
    let mut m = NewMessage::default();
    m.props
        .push((pid::tags::SUBJECT, PropValue::String("big one".into())));
    for (name, n) in [("big.bin", BIG), ("small.dat", 2_000)] {
        m.attachments.push(NewAttachment {
            props: vec![(
                pid::tags::ATTACH_LONG_FILENAME,
                PropValue::String(name.into()),
            )],
            content: AttachContent::Data((0..n).map(|k| (k % 251) as u8).collect()),
        });
    }
    w.add_message(inbox, &m).unwrap();
    w.finish().unwrap();
    path
}

/// A file offset inside data block `k` of the large attachment of the
/// message in folder "Big" of the file `bytes`.
fn large_block_at(bytes: &[u8], k: usize) -> usize {
    let file = NdbFile::new(bytes).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let big = store
        .walk()
        .flatten()
        .find(|f| f.folder.display_name() == "Big")
        .unwrap();
    let m = store.message(big.folder.message_ids().unwrap()[0]).unwrap();
    let a = m.attachments().unwrap().next().unwrap().unwrap();
    let node = a.data_node().unwrap().expect("its own subnode");
    node.leaves()[k].bref.ib.0 as usize + 10
}

/// Every file under `dir` that is no directory, in name order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The mail files an export wrote (not Maildir's `maildirfolder` marks).
fn mails(dir: &Path) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|p| !p.ends_with("maildirfolder"))
        .collect()
}

#[test]
fn large_attachments_are_exported_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let path = mailbox(tmp.path());
    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    for format in [ExportFormat::Eml, ExportFormat::Maildir, ExportFormat::Mbox] {
        let out = tmp.path().join(format!("{format:?}"));
        let s = export(&store, &out, format, &mut |_| {}).unwrap();
        assert_eq!((s.items_exported, s.items_failed), (1, 0), "{format:?}");
        let mails = mails(&out);
        assert_eq!(mails.len(), 1, "{mails:?}");
        let mut raw = std::fs::read(&mails[0]).unwrap();
        if format == ExportFormat::Mbox {
            // One message: its "From " line off, and the blank line after.
            let first = raw.iter().position(|&b| b == b'\n').unwrap();
            assert!(raw.starts_with(b"From "));
            assert!(raw.ends_with(b"\n\n"));
            raw = raw[first + 1..raw.len() - 1].to_vec();
        }
        let parsed = MessageParser::default().parse(&raw[..]).unwrap();
        assert_eq!(parsed.subject(), Some("big one"));
        let atts: Vec<(String, Vec<u8>)> = parsed
            .attachments()
            .map(|a| {
                (
                    a.attachment_name().unwrap_or_default().to_string(),
                    a.contents().to_vec(),
                )
            })
            .collect();
        assert_eq!(atts.len(), 2, "{format:?}");
        for (name, bytes) in atts {
            let n = if name == "big.bin" { BIG } else { 2_000 };
            let want: Vec<u8> = (0..n).map(|k| (k % 251) as u8).collect();
            assert!(bytes == want, "{format:?} {name}: {} bytes", bytes.len());
        }
    }
    // The .msg file, read with the `cfb` crate: each attachment's data
    // stream ([MS-OXMSG] 2.2.2) and the size its property entry records.
    let out = tmp.path().join("msg");
    let s = export(&store, &out, ExportFormat::Msg, &mut |_| {}).unwrap();
    assert_eq!((s.items_exported, s.items_failed), (1, 0));
    let mails = mails(&out);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].ends_with("big one.msg"), "{mails:?}");
    let mut cf = cfb::open(&mails[0]).unwrap();
    for (i, n) in [BIG, 2_000].into_iter().enumerate() {
        let dir = format!("/__attach_version1.0_#{i:08X}");
        let mut data = Vec::new();
        std::io::Read::read_to_end(
            &mut cf
                .open_stream(format!("{dir}/__substg1.0_37010102"))
                .unwrap(),
            &mut data,
        )
        .unwrap();
        let want: Vec<u8> = (0..n).map(|k| (k % 251) as u8).collect();
        assert!(data == want, "attachment {i}: {} bytes", data.len());
        let mut props = Vec::new();
        std::io::Read::read_to_end(
            &mut cf
                .open_stream(format!("{dir}/__properties_version1.0"))
                .unwrap(),
            &mut props,
        )
        .unwrap();
        let entry = props[8..]
            .chunks(16)
            .find(|e| e[..4] == 0x3701_0102u32.to_le_bytes())
            .expect("the data's entry");
        assert_eq!(u64::from_le_bytes(entry[8..].try_into().unwrap()), n as u64);
    }
}

#[test]
fn a_damaged_block_of_a_streamed_attachment_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = mailbox(tmp.path());
    // A byte of the large attachment's 100th data block flipped: its CRC
    // no longer holds, which the export meets while writing the item.
    let mut bytes = std::fs::read(&path).unwrap();
    let at = large_block_at(&bytes, 100);
    bytes[at] ^= 0x40;
    let file = NdbFile::new(&bytes[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    for format in [
        ExportFormat::Eml,
        ExportFormat::Maildir,
        ExportFormat::Mbox,
        ExportFormat::Msg,
    ] {
        let out = tmp.path().join(format!("damaged-{format:?}"));
        let mut failed = Vec::new();
        let s = export(&store, &out, format, &mut |e| {
            if let pstkit_copy::export::ExportEvent::ItemFailed { error, .. } = e {
                failed.push(error.to_string());
            }
        })
        .unwrap();
        assert_eq!((s.items_exported, s.items_failed), (0, 1), "{format:?}");
        assert!(failed.iter().any(|e| e.contains("CRC")), "{failed:?}");
        // An mbox of the folder is written, empty.
        let left: Vec<u64> = mails(&out)
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .collect();
        assert!(left.iter().all(|&n| n == 0), "{:?}", files(&out));
    }
}

/// The bytes of every attachment of the one message in folder "Big".
fn attachment_bytes(path: &Path) -> Vec<Vec<u8>> {
    let file = NdbFile::open(path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let big = store
        .walk()
        .flatten()
        .find(|f| f.folder.display_name() == "Big")
        .unwrap();
    let m = store.message(big.folder.message_ids().unwrap()[0]).unwrap();
    m.attachments()
        .unwrap()
        .map(|a| a.unwrap().data().unwrap().unwrap().into_owned())
        .collect()
}

/// Conversions that rebuild items write a large attachment's bytes as they
/// read them: into a 4K OST (decoded and encoded again), back into a PST,
/// and into a PST of the same variant (blocks copied as stored). Each copy
/// passes the verify pass and holds the same bytes.
#[test]
fn conversions_that_rebuild_items_keep_large_attachments_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let path = mailbox(tmp.path());
    let want = attachment_bytes(&path);
    assert_eq!(want[0].len(), BIG);
    let run = |src: &Path, dst: &Path, opts: &ConvertOptions| {
        let file = NdbFile::open(src).unwrap();
        let store = Store::open(file.ndb()).unwrap();
        let s = convert(&store, dst, opts, &mut |_| {}).unwrap();
        assert_eq!((s.items, s.verified), (1, 1), "{}", dst.display());
        let out = NdbFile::open(dst).unwrap();
        assert!(pstkit_ndb::check::check(out.ndb()).is_clean());
        // The deep check too: the sizes recorded for the item and its
        // attachment count the streamed bytes.
        let findings = pstkit_store::audit::audit(out.ndb()).findings;
        assert!(findings.is_empty(), "{}: {findings:?}", dst.display());
        assert_eq!(attachment_bytes(dst), want, "{}", dst.display());
    };
    let mut to_4k = ConvertOptions::default();
    to_4k.writer.kind = pstkit_ndb::FileKind::Ost;
    to_4k.writer.format = pstkit_ndb::Format::UNICODE_4K;
    let ost = tmp.path().join("big.ost");
    run(&path, &ost, &to_4k);
    run(
        &ost,
        &tmp.path().join("back.pst"),
        &ConvertOptions::default(),
    );
    let mut rebuild = ConvertOptions::default();
    rebuild.rebuild = true;
    for threads in [1, 2] {
        rebuild.threads = Some(threads);
        run(
            &path,
            &tmp.path().join(format!("rebuilt-{threads}.pst")),
            &rebuild,
        );
    }
}

/// A damaged block of a large attachment is met before anything of the
/// item is written: without salvage the conversion fails naming the
/// block's CRC; with it, the item is copied without that attachment and
/// reported, and the copy checks clean.
#[test]
fn a_damaged_block_of_a_large_attachment_fails_before_the_item_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let path = mailbox(tmp.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let at = large_block_at(&bytes, 200);
    bytes[at] ^= 0x40;
    let file = NdbFile::new(&bytes[..]).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let mut opts = ConvertOptions::default();
    opts.rebuild = true;
    let e = convert(&store, &tmp.path().join("a.pst"), &opts, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("CRC"), "{e}");
    opts.salvage = true;
    let s = convert(&store, &tmp.path().join("b.pst"), &opts, &mut |_| {}).unwrap();
    assert_eq!(
        (s.items, s.verified, s.partial.len()),
        (1, 1, 1),
        "{:?}",
        s.partial
    );
    let out = NdbFile::open(&s.path).unwrap();
    assert!(pstkit_ndb::check::check(out.ndb()).is_clean());
    assert_eq!(attachment_bytes(&s.path).len(), 1);
}

/// A `.msg` with a large attachment, exported and imported again: the
/// attachment's bytes go from the file into the PST a piece at a time and
/// come out the same; the PST passes the checks.
#[test]
fn msg_imports_keep_large_attachments_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let path = mailbox(tmp.path());
    let want = attachment_bytes(&path);
    let file = NdbFile::open(&path).unwrap();
    let store = Store::open(file.ndb()).unwrap();
    let out = tmp.path().join("msg");
    export(&store, &out, ExportFormat::Msg, &mut |_| {}).unwrap();
    let msg = mails(&out).pop().unwrap();
    let pst = tmp.path().join("imported.pst");
    let s = pstkit_copy::import::import(&[msg], &pst, Default::default(), &mut |_| {}).unwrap();
    assert_eq!(s.items, 1);
    let f = NdbFile::open(&pst).unwrap();
    assert!(pstkit_ndb::check::check(f.ndb()).is_clean());
    assert!(pstkit_store::audit::audit(f.ndb()).findings.is_empty());
    let store = Store::open(f.ndb()).unwrap();
    let got: Vec<Vec<u8>> = store
        .walk()
        .flatten()
        .flat_map(|w| w.folder.message_ids().unwrap())
        .flat_map(|nid| {
            let m = store.message(nid).unwrap();
            let atts: Vec<Vec<u8>> = m
                .attachments()
                .unwrap()
                .map(|a| a.unwrap().data().unwrap().unwrap().into_owned())
                .collect();
            atts
        })
        .collect();
    assert_eq!(got, want);
}
