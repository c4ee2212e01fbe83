//! Arbitrary folders and messages written with `PstWriter` and read back
//! with the reader are equal: Unicode text in every script, empty and huge
//! values, many recipients, nested embedded messages, attachments. And a
//! write that does not finish leaves nothing behind.

use proptest::prelude::*;

use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::{CryptMethod, Format, NdbFile, Nid};
use pstkit_store::message::normalize_subject;
use pstkit_store::pid;
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};
use pstkit_store::{Message, Store};

fn tag(id: PropId, t: PropType) -> PropTag {
    PropTag::new(id, t)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 ]{1,40}",
        "\\PC{1,60}",
        // Past one heap allocation, so the value goes to a subnode.
        "[a-zé日]{1,8}".prop_map(|s| s.repeat(700)),
    ]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 1..64),
        prop::collection::vec(any::<u8>(), 3500..3700),
        (0u8..255, 20_000usize..120_000).prop_map(|(b, n)| vec![b; n]),
    ]
}

fn message(depth: u32) -> BoxedStrategy<NewMessage> {
    let leaf = (
        text(),
        text(),
        any::<i32>(),
        prop::collection::vec((text(), "[a-z]{1,10}@[a-z]{1,8}\\.org", 1i32..4), 0..60),
        prop::collection::vec(("[a-zA-Z0-9_-]{1,20}\\.[a-z]{3}", bytes()), 0..3),
    )
        .prop_map(|(subject, body, n, recipients, files)| NewMessage {
            props: vec![
                (
                    tag(pid::MESSAGE_CLASS, PropType::String),
                    PropValue::String("IPM.Note".into()),
                ),
                (
                    tag(pid::SUBJECT, PropType::String),
                    PropValue::String(subject),
                ),
                (tag(pid::BODY, PropType::String), PropValue::String(body)),
                (
                    tag(pid::MESSAGE_FLAGS, PropType::Int32),
                    PropValue::Int32(1),
                ),
                (tag(PropId(0x6710), PropType::Int32), PropValue::Int32(n)),
            ],
            recipients: recipients
                .into_iter()
                .map(|(name, addr, kind)| {
                    vec![
                        (
                            tag(pid::RECIPIENT_TYPE, PropType::Int32),
                            PropValue::Int32(kind),
                        ),
                        (
                            tag(pid::DISPLAY_NAME, PropType::String),
                            PropValue::String(name),
                        ),
                        (
                            tag(pid::SMTP_ADDRESS, PropType::String),
                            PropValue::String(addr),
                        ),
                    ]
                })
                .collect(),
            attachments: files
                .into_iter()
                .map(|(name, data)| NewAttachment {
                    props: vec![(
                        tag(pid::ATTACH_LONG_FILENAME, PropType::String),
                        PropValue::String(name),
                    )],
                    content: AttachContent::Data(data),
                })
                .collect(),
        });
    if depth == 0 {
        return leaf.boxed();
    }
    (leaf, prop::option::of(message(depth - 1)))
        .prop_map(|(mut m, inner)| {
            if let Some(inner) = inner {
                m.attachments.push(NewAttachment {
                    props: vec![(
                        tag(pid::DISPLAY_NAME, PropType::String),
                        PropValue::String("forwarded".into()),
                    )],
                    content: AttachContent::Message(Box::new(inner)),
                });
            }
            m
        })
        .boxed()
}

fn string_of(m: &Message<'_>, id: u16) -> Option<String> {
    match m.properties().get(PropId(id))?.ok()? {
        PropValue::String(s) => Some(s),
        _ => None,
    }
}

/// Asserts the message read back holds what was written.
fn same(m: &Message<'_>, want: &NewMessage) {
    let want_str = |id: u16| {
        want.props.iter().find_map(|(t, v)| match (t.id().0, v) {
            (i, PropValue::String(s)) if i == id => Some(s.clone()),
            _ => None,
        })
    };
    assert_eq!(m.subject(), want_str(0x0037).map(|s| normalize_subject(&s)));
    assert_eq!(string_of(m, 0x1000), want_str(0x1000));
    assert_eq!(
        m.properties().get(PropId(0x6710)).unwrap().unwrap(),
        want.props[4].1
    );
    let rows = m.recipient_rows().unwrap();
    assert_eq!(rows.len(), want.recipients.len());
    for (got, w) in rows.iter().zip(&want.recipients) {
        for cell in w {
            assert!(
                got.contains(cell),
                "recipient cell {cell:?} missing from {got:?}"
            );
        }
    }
    let atts: Vec<_> = m.attachments().unwrap().map(|a| a.unwrap()).collect();
    assert_eq!(atts.len(), want.attachments.len());
    for (a, w) in atts.iter().zip(&want.attachments) {
        match &w.content {
            AttachContent::Data(d) => assert_eq!(a.data().unwrap().as_deref(), Some(&d[..])),
            AttachContent::Message(inner) => same(&a.embedded().unwrap().unwrap(), inner),
            other => panic!("not generated: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn written_then_read_back_equal(
        folders in prop::collection::vec(("\\PC{1,30}", 0usize..4), 1..6),
        messages in prop::collection::vec((0usize..6, message(2)), 0..12),
        crypt in prop::sample::select(vec![CryptMethod::None, CryptMethod::Permute, CryptMethod::Cyclic]),
        four_k in any::<bool>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.pst");
        let mut w = PstWriter::create(&path, { let mut o = WriterOptions::default(); o.crypt = crypt; o.format = if four_k { Format::UNICODE_4K } else { Format::UNICODE }; o }).unwrap();
        // Folders nest: each one's parent is an earlier one (or the top).
        let top = w.standard_folders().ipm_subtree;
        let mut made: Vec<(Nid, String)> = Vec::new();
        for (name, parent) in &folders {
            let p = made.get(*parent).map_or(top, |f| f.0);
            let nid = w.add_folder(p, name, Some("IPF.Note")).unwrap();
            made.push((nid, name.clone()));
        }
        let mut written = Vec::new();
        for (f, m) in &messages {
            let folder = made[f % made.len()].0;
            written.push((w.add_message(folder, m).unwrap(), m.clone()));
        }
        w.finish().unwrap();

        let file = NdbFile::open(&path).unwrap();
        prop_assert!(pstkit_ndb::check::check(file.ndb()).is_clean());
        let store = Store::open(file.ndb()).unwrap();
        for (nid, name) in &made {
            prop_assert_eq!(&store.folder(*nid).unwrap().display_name(), name);
        }
        for (nid, want) in &written {
            same(&store.message(*nid).unwrap(), want);
        }
    }
}

#[test]
fn an_unfinished_write_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("never.pst");
    {
        let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
        let top = w.standard_folders().ipm_subtree;
        w.add_message(top, &NewMessage::default()).unwrap();
        // Dropped here, as when the process is interrupted or a copy fails.
    }
    assert!(!path.exists());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "no temporary file either"
    );
}

/// Names in `dir` other than `keep`.
fn others(dir: &std::path::Path, keep: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != keep)
        .collect()
}

#[test]
fn spill_files_live_beside_the_output_and_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.pst");
    let limits = pstkit_ndb::spill::SpillLimits {
        chunk: 8,
        fan_in: 2,
    };
    let opts = pstkit_store::synth::SynthOptions::new(40, 1);
    for finish in [true, false] {
        let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
        w.set_spill_limits(limits, 2000);
        let mut spilled = Vec::new();
        pstkit_store::synth::generate(&mut w, &opts, |_| {
            spilled = others(tmp.path(), "big.pst");
        })
        .unwrap();
        // The output's temporary file and the spill files, all swept alike.
        assert!(spilled.len() >= 4, "{spilled:?}");
        assert!(spilled.iter().any(|n| n.starts_with("big.pst.spill-")));
        assert!(spilled.iter().any(|n| n.starts_with("big.pst.rows.")));
        assert!(spilled
            .iter()
            .all(|n| n.ends_with(&format!(".pstkit-{}.tmp", std::process::id()))));
        if finish {
            w.finish().unwrap();
            // Every row came back from the spill file, in order.
            {
                let file = NdbFile::open(&path).unwrap();
                let store = Store::open(file.ndb()).unwrap();
                assert_eq!(store.census().items, 40);
            }
            std::fs::remove_file(&path).unwrap();
        } else {
            // Dropped unfinished, as when a copy fails.
            drop(w);
        }
        assert_eq!(
            others(tmp.path(), ""),
            Vec::<String>::new(),
            "finish {finish}"
        );
    }
}

#[test]
fn a_folder_of_another_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = PstWriter::create(tmp.path().join("x.pst"), WriterOptions::default()).unwrap();
    assert!(w.add_message(Nid(0x7FE2), &NewMessage::default()).is_err());
    assert!(w.add_folder(Nid(0x7FE2), "x", None).is_err());
}

/// Folder tables written to the file as they are built (every 7 rows here,
/// every 8192 in use) hold the same rows as tables built whole, and the
/// file passes the deep check.
#[test]
fn tables_flushed_while_built_read_as_built_whole() {
    use pstkit_ltp::TableContext;
    use pstkit_ndb::NidType;
    let tmp = tempfile::tempdir().unwrap();
    let opts = pstkit_store::synth::SynthOptions::new(600, 7);
    let mut tables = Vec::new();
    for every in [usize::MAX, 7] {
        let path = tmp.path().join(format!("t{every}.pst"));
        let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
        w.set_table_flush_rows(every);
        pstkit_store::synth::generate(&mut w, &opts, |_| {}).unwrap();
        w.finish().unwrap();
        let file = NdbFile::open(&path).unwrap();
        let report = pstkit_store::audit::audit(file.ndb());
        assert!(!report.has_errors(), "{:?}", report.findings);
        let store = Store::open(file.ndb()).unwrap();
        let mut rows = Vec::new();
        let mut largest = 0;
        let mut flushed = 0;
        for f in store.walk() {
            let nid = f.unwrap().folder.nid().with_kind(NidType::ContentsTable);
            // Search folders have no contents table of their own.
            let Ok(node) = file.ndb().node(nid) else {
                continue;
            };
            // Flushed, a table's page 0 is written last, after pages the
            // builder wrote while rows came; built whole, first.
            if tc_pages_flushed(&node) {
                flushed += 1;
            }
            let tc = TableContext::read(node).unwrap();
            largest = largest.max(tc.row_count());
            for i in 0..tc.row_count() {
                let row = tc.row(i).unwrap();
                let cells: Vec<_> = row.cells().map(|(t, v)| (t, v.unwrap())).collect();
                rows.push((nid, row.row_id(), cells));
            }
        }
        // Enough rows for several flushes and a heap past its first
        // bitmap page.
        assert!(largest > 200, "{largest} rows");
        assert_eq!(flushed > 0, every == 7, "{flushed} tables written as built");
        tables.push(rows);
    }
    assert_eq!(tables[0], tables[1]);
}

/// Whether a table node's first heap page has a later block id than its
/// second: page 0 written after the others.
fn tc_pages_flushed(node: &pstkit_ndb::Node<'_>) -> bool {
    match node.leaves() {
        [first, second, ..] => first.bref.bid.0 > second.bref.bid.0,
        _ => false,
    }
}

/// Bytes written ahead of their message through a `DataStream` (pushed in
/// pieces of any size, or as stored blocks) read back as the attachment's
/// value; an empty stream is an empty value. Each file checks clean, its
/// messaging layer too.
#[test]
fn data_streams_become_attachment_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.pst");
    let mut w = PstWriter::create(&path, WriterOptions::default()).unwrap();
    let ipm = w.standard_folders().ipm_subtree;
    let data: Vec<u8> = (0..100_000u32).map(|k| (k % 253) as u8).collect();
    let mut m = NewMessage::default();
    for piece in [0usize, 1, 3_000, 8_176, 9_000] {
        let mut s = w.data_stream();
        if piece > 0 {
            for c in data.chunks(piece) {
                s.push(c).unwrap();
            }
        }
        let (bid, size) = s.finish().unwrap();
        assert_eq!(size, if piece > 0 { data.len() as u64 } else { 0 });
        m.attachments.push(NewAttachment {
            props: Vec::new(),
            content: AttachContent::Written { bid, size },
        });
    }
    // Stored blocks of this file's own variant and encoding.
    let (variant, crypt) = (Format::UNICODE.variant, WriterOptions::default().crypt);
    let stored = {
        let mut s = w.stored_stream(variant, crypt).unwrap();
        assert!(s.push(b"plain").is_err());
        for c in data.chunks(8_176) {
            let mut enc = c.to_vec();
            crypt.encode(&mut enc, 0);
            s.push_stored(&enc, pstkit_ndb::crc::crc(&enc), c.len() as u16)
                .unwrap();
        }
        s.finish().unwrap()
    };
    m.attachments.push(NewAttachment {
        props: Vec::new(),
        content: AttachContent::Written {
            bid: stored.0,
            size: stored.1,
        },
    });
    assert!(w.data_stream().push_stored(b"x", 0, 1).is_err());
    w.add_message(ipm, &m).unwrap();
    w.finish().unwrap();

    let file = NdbFile::open(&path).unwrap();
    assert!(pstkit_ndb::check::check(file.ndb()).is_clean());
    assert!(pstkit_store::audit::audit(file.ndb()).findings.is_empty());
    let store = Store::open(file.ndb()).unwrap();
    let nid = store.folder(ipm).unwrap().message_ids().unwrap()[0];
    let got: Vec<Vec<u8>> = store
        .message(nid)
        .unwrap()
        .attachments()
        .unwrap()
        .map(|a| a.unwrap().data().unwrap().unwrap_or_default().into_owned())
        .collect();
    let want: Vec<Vec<u8>> = vec![
        Vec::new(),
        data.clone(),
        data.clone(),
        data.clone(),
        data.clone(),
        data.clone(),
    ];
    assert_eq!(got, want);
}
