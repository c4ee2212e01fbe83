use std::io::{Cursor, Read, Write};
use std::path::Path;

use pstkit_ltp::value::String8;
use pstkit_ltp::{FileTime, PropId, PropTag, PropType, PropValue};
use pstkit_store::names::{Guid, PropName};
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage};
use pstkit_store::NamedProp;

use super::*;
use crate::error::CopyError;

fn tag(id: u16, t: PropType) -> PropTag {
    PropTag::new(PropId(id), t)
}

fn named(lid: u32) -> NamedProp {
    NamedProp {
        guid: Guid::ADDRESS,
        name: PropName::Id(lid),
    }
}

fn sample() -> NewMessage {
    let inner = NewMessage {
        props: vec![
            (
                tag(0x001A, PropType::String),
                PropValue::String("IPM.Note".into()),
            ),
            (
                tag(0x0037, PropType::String),
                PropValue::String("inner".into()),
            ),
        ],
        recipients: Vec::new(),
        attachments: vec![NewAttachment {
            props: vec![(
                tag(0x3707, PropType::String),
                PropValue::String("deep.txt".into()),
            )],
            content: AttachContent::Data(b"deep".to_vec()),
        }],
    };
    NewMessage {
        props: vec![
            (
                tag(0x001A, PropType::String),
                PropValue::String("IPM.Contact".into()),
            ),
            // The PST's prefix marker does not go into the file.
            (
                tag(0x0037, PropType::String),
                PropValue::String("\u{1}\u{5}RE: Grüße 世界".into()),
            ),
            (tag(0x0E07, PropType::Int32), PropValue::Int32(1)),
            (tag(0x0E1B, PropType::Boolean), PropValue::Boolean(true)),
            (
                tag(0x0039, PropType::Time),
                PropValue::Time(FileTime(133_000_000_000_000_000)),
            ),
            (
                tag(0x1000, PropType::String),
                PropValue::String("body\r\n".into()),
            ),
            (
                tag(0x1013, PropType::Binary),
                PropValue::Binary(b"<p>x</p>".to_vec()),
            ),
            (tag(0x0E08, PropType::Int64), PropValue::Int64(-5)),
            (
                tag(0x3FDE, PropType::String8),
                PropValue::String8(String8(b"caf\xE9".to_vec())),
            ),
            (tag(0x6600, PropType::Float64), PropValue::Float64(2.5)),
            (tag(0x6601, PropType::Guid), PropValue::Guid([7; 16])),
            (
                tag(0x6602, PropType::MultipleInt32),
                PropValue::MultipleInt32(vec![1, -2]),
            ),
            (
                tag(0x6603, PropType::MultipleString),
                PropValue::MultipleString(vec!["one".into(), String::new(), "drei".into()]),
            ),
            (
                tag(0x6604, PropType::MultipleBinary),
                PropValue::MultipleBinary(vec![vec![1, 2], Vec::new()]),
            ),
            (
                tag(0x6605, PropType::MultipleString8),
                PropValue::MultipleString8(vec![String8(b"ab".to_vec())]),
            ),
            // Named: one the map names, one it does not (left out).
            (
                tag(0x8005, PropType::String),
                PropValue::String("ann@example.com".into()),
            ),
            (tag(0x8006, PropType::Int32), PropValue::Int32(9)),
        ],
        recipients: vec![vec![
            (tag(0x0C15, PropType::Int32), PropValue::Int32(2)),
            (
                tag(0x3001, PropType::String),
                PropValue::String("Bob".into()),
            ),
        ]],
        attachments: vec![
            NewAttachment {
                props: vec![(
                    tag(0x3707, PropType::String),
                    PropValue::String("a.bin".into()),
                )],
                content: AttachContent::Data(vec![0, 1, 2, 255]),
            },
            NewAttachment {
                props: vec![(tag(0x3705, PropType::Int32), PropValue::Int32(5))],
                content: AttachContent::Message(Box::new(inner)),
            },
        ],
    }
}

fn name_of(id: PropId) -> Option<NamedProp> {
    (id == PropId(0x8005)).then(|| named(0x8083))
}

#[test]
fn a_message_reads_back_as_written() {
    let m = sample();
    let bytes = write_msg(&m, &name_of).unwrap();
    let mut seen = Vec::new();
    let back = msg_to_message(&bytes, &mut |np| {
        seen.push(np.clone());
        Ok(Some(PropId(0x8123)))
    })
    .unwrap();
    assert_eq!(seen, vec![named(0x8083)]);
    let mut want = m.clone();
    want.props[1].1 = PropValue::String("RE: Grüße 世界".into());
    want.props.retain(|(t, _)| t.id() != PropId(0x8006));
    for (t, _) in want.props.iter_mut() {
        if t.id() == PropId(0x8005) {
            *t = PropTag::new(PropId(0x8123), t.prop_type());
        }
    }
    assert_eq!(back, want);
}

#[test]
fn the_layout_is_the_one_the_format_gives() {
    let bytes = write_msg(&sample(), &name_of).unwrap();
    let mut cf = cfb::CompoundFile::open(Cursor::new(&bytes[..])).unwrap();
    let mut read = |p: &str| {
        let mut v = Vec::new();
        cf.open_stream(p).unwrap().read_to_end(&mut v).unwrap();
        v
    };
    let top = read("/__properties_version1.0");
    assert_eq!((top.len() - TOP_HEADER) % ENTRY, 0);
    // Next recipient and attachment ids, then the counts.
    assert_eq!(
        &top[8..24],
        &[1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]
    );
    // The subject's size counts a terminating NUL the stream does not hold.
    let subject = read("/__substg1.0_0037001F");
    let entry = top[TOP_HEADER..]
        .chunks_exact(ENTRY)
        .find(|e| e[..4] == 0x0037_001Fu32.to_le_bytes())
        .unwrap();
    assert_eq!(
        u32::from_le_bytes(entry[8..12].try_into().unwrap()) as usize,
        subject.len() + 2
    );
    // Named property 0x8005 is the file's first name: 0x8000.
    assert!(!read("/__substg1.0_8000001F").is_empty());
    assert_eq!(read("/__nameid_version1.0/__substg1.0_00030102").len(), 8);
    assert_eq!(
        read("/__nameid_version1.0/__substg1.0_00020102"),
        Guid::ADDRESS.0.to_vec()
    );
    // Multi-valued strings: a length stream and one stream per value,
    // each with its NUL.
    let lengths = read("/__substg1.0_6603101F");
    assert_eq!(lengths, [8, 0, 0, 0, 2, 0, 0, 0, 10, 0, 0, 0]);
    assert_eq!(read("/__substg1.0_6603101F-00000002"), b"d\0r\0e\0i\0\0\0");
    assert_eq!(
        read("/__recip_version1.0_#00000000/__properties_version1.0").len(),
        8 + 2 * ENTRY
    );
    assert_eq!(
        read("/__attach_version1.0_#00000000/__substg1.0_37010102"),
        [0, 1, 2, 255]
    );
    let embedded =
        read("/__attach_version1.0_#00000001/__substg1.0_3701000D/__properties_version1.0");
    assert_eq!((embedded.len() - EMBEDDED_HEADER) % ENTRY, 0);
    assert_eq!(&embedded[16..24], &[0, 0, 0, 0, 1, 0, 0, 0]);
}

/// `sample()` written, then its stream `path` replaced by `bytes`.
fn patched(path: &str, bytes: &[u8]) -> Vec<u8> {
    let raw = write_msg(&sample(), &name_of).unwrap();
    let mut cf = cfb::CompoundFile::open(Cursor::new(raw)).unwrap();
    cf.remove_stream(path).unwrap();
    cf.create_stream(path).unwrap().write_all(bytes).unwrap();
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

fn msg_error(bytes: &[u8]) -> (String, String) {
    match msg_to_message(bytes, &mut |_| Ok(None)) {
        Err(CopyError::Msg { structure, what }) => (structure, what),
        other => panic!("expected a .msg error, got {other:?}"),
    }
}

#[test]
fn a_property_stream_shorter_than_its_header_is_named() {
    let (at, what) = msg_error(&patched("/__properties_version1.0", &[0; 20]));
    assert_eq!(at, "/__properties_version1.0");
    assert!(what.contains("shorter than its 32-byte header"), "{what}");
    let p = "/__attach_version1.0_#00000001/__substg1.0_3701000D/__properties_version1.0";
    let (at, what) = msg_error(&patched(p, &[0; 23]));
    assert_eq!(at, p);
    assert!(what.contains("24-byte header"), "{what}");
}

#[test]
fn an_entry_cut_short_and_a_missing_value_stream_are_named() {
    let raw = write_msg(&sample(), &name_of).unwrap();
    let mut cf = cfb::CompoundFile::open(Cursor::new(&raw[..])).unwrap();
    let mut top = Vec::new();
    cf.open_stream("/__properties_version1.0")
        .unwrap()
        .read_to_end(&mut top)
        .unwrap();
    let (_, what) = msg_error(&patched("/__properties_version1.0", &top[..top.len() - 3]));
    assert!(what.contains("ends inside an entry"), "{what}");
    // Counts in the header above the storages there.
    let mut more = top.clone();
    more[20] = 9;
    let (_, what) = msg_error(&patched("/__properties_version1.0", &more));
    assert!(what.contains("says 9 attachments"), "{what}");
    let mut cf = cfb::CompoundFile::open(Cursor::new(raw)).unwrap();
    cf.remove_stream("/__substg1.0_1000001F").unwrap();
    cf.flush().unwrap();
    let (at, what) = msg_error(&cf.into_inner().into_inner());
    assert_eq!(at, "/__substg1.0_1000001F");
    assert!(what.contains("missing"), "{what}");
}

#[test]
fn truncated_and_foreign_bytes_are_errors() {
    let raw = write_msg(&sample(), &name_of).unwrap();
    for cut in [0, 100, 512, raw.len() / 2, raw.len() - 1] {
        // A compound file cut anywhere fails somewhere, never panics.
        assert!(
            msg_to_message(&raw[..cut], &mut |_| Ok(None)).is_err(),
            "cut at {cut}"
        );
    }
    let (at, _) = msg_error(b"From: a@b\r\n\r\nnot a compound file");
    assert_eq!(at, "compound file");
}

#[test]
fn an_ole_object_is_kept_as_its_tree() {
    let mut ole =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    let clsid = uuid::Uuid::from_u128(0x0003_000C_0000_0000_C000_0000_0000_0046);
    ole.set_storage_clsid("/", clsid).unwrap();
    ole.create_storage("/sub").unwrap();
    ole.create_stream("/sub/\u{1}Ole10Native")
        .unwrap()
        .write_all(b"payload")
        .unwrap();
    ole.flush().unwrap();
    let ole = ole.into_inner().into_inner();
    let m = NewMessage {
        attachments: vec![NewAttachment {
            props: vec![(tag(0x3705, PropType::Int32), PropValue::Int32(6))],
            content: AttachContent::Object(ole),
        }],
        ..Default::default()
    };
    let msg = write_msg(&m, &|_| None).unwrap();
    let cf = cfb::CompoundFile::open(Cursor::new(&msg[..])).unwrap();
    let storage = "/__attach_version1.0_#00000000/__substg1.0_3701000D";
    assert_eq!(*cf.entry(storage).unwrap().clsid(), clsid);
    let back = msg_to_message(&msg, &mut |_| Ok(None)).unwrap();
    let AttachContent::Object(bytes) = &back.attachments[0].content else {
        panic!("{:?}", back.attachments[0].content);
    };
    let mut cf = cfb::CompoundFile::open(Cursor::new(&bytes[..])).unwrap();
    assert_eq!(*cf.root_entry().clsid(), clsid);
    let mut v = Vec::new();
    cf.open_stream(Path::new("/sub/\u{1}Ole10Native"))
        .unwrap()
        .read_to_end(&mut v)
        .unwrap();
    assert_eq!(v, b"payload");
}

#[test]
fn the_same_message_makes_the_same_bytes() {
    let a = write_msg(&sample(), &name_of).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let b = write_msg(&sample(), &name_of).unwrap();
    assert!(a == b, "two writes differ");
    // Storages carry no time (the zero FILETIME).
    let cf = cfb::CompoundFile::open(Cursor::new(&a[..])).unwrap();
    let zero = std::time::UNIX_EPOCH - std::time::Duration::from_secs(11_644_473_600);
    for e in cf.walk().filter(|e| e.is_storage()) {
        assert_eq!(e.created(), zero, "{}", e.path().display());
        assert_eq!(e.modified(), zero, "{}", e.path().display());
    }
}

/// Found by the `msg` fuzz target: two entries of a file's property stream
/// that the name map gives one id (two names made equal) were read as two
/// values of one property, which no message can hold and no file can write
/// back (their value streams share a name). Real files have such pairs: a
/// store whose map lists one name twice (Aspose's `Outlook.pst`). The later
/// value is kept, in the earlier one's place, as a PST writer setting both
/// would, so what reads writes back and reads the same.
#[test]
fn two_values_for_one_property_keep_the_later() {
    let m = NewMessage {
        props: vec![
            (
                tag(0x8005, PropType::String),
                PropValue::String("04".into()),
            ),
            (tag(0x0E07, PropType::Int32), PropValue::Int32(1)),
            (
                tag(0x8006, PropType::String),
                PropValue::String("TK5EX14".into()),
            ),
        ],
        recipients: Vec::new(),
        attachments: Vec::new(),
    };
    let names = |id: PropId| match id.0 {
        0x8005 => Some(named(0x8083)),
        0x8006 => Some(named(0x8084)),
        _ => None,
    };
    let bytes = write_msg(&m, &names).unwrap();
    // Distinct names read as two properties.
    let back = msg_to_message(&bytes, &mut |np| {
        Ok(Some(PropId(if np == &named(0x8083) {
            0x8101
        } else {
            0x8102
        })))
    })
    .unwrap();
    assert_eq!(back.props.len(), 3);
    // The map giving both one id: one property, the later value.
    let one = msg_to_message(&bytes, &mut |_| Ok(Some(PropId(0x8101)))).unwrap();
    assert_eq!(
        one.props,
        vec![
            (
                tag(0x8101, PropType::String),
                PropValue::String("TK5EX14".into())
            ),
            (tag(0x0E07, PropType::Int32), PropValue::Int32(1)),
        ]
    );
    let again = write_msg(&one, &|id| (id.0 == 0x8101).then(|| named(0x8083))).unwrap();
    let two = msg_to_message(&again, &mut |_| Ok(Some(PropId(0x8101)))).unwrap();
    assert_eq!(two, one);
}
