//! `.msg` files (`pstkit_copy::msg`): any bytes read as a message or fail
//! with an error; what reads is written back and reads again the same
//! (the PST's subject marker aside, which a `.msg` file never holds, and
//! OLE objects compared as their trees).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstkit_copy::msg::{msg_to_message, write_msg};
use pstkit_ltp::PropValue;
use pstkit_store::message::normalize_subject;
use pstkit_store::pid;
use pstkit_store::write::names::NameMapBuilder;
use pstkit_store::write::{AttachContent, NewMessage};

/// An OLE object's tree, sorted by path: what a `.msg` file keeps of it
/// (a compound file's bytes also depend on the order its entries were
/// made in, which a damaged directory can scramble).
fn tree(bytes: &[u8]) -> Vec<u8> {
    let Ok(mut cf) = cfb::CompoundFile::open(std::io::Cursor::new(bytes)) else {
        return bytes.to_vec();
    };
    let mut entries: Vec<(String, bool, String)> = cf
        .walk()
        .map(|e| {
            (
                e.path().display().to_string(),
                e.is_stream(),
                format!("{:?}", e.clsid()),
            )
        })
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for (path, is_stream, clsid) in entries {
        out.extend_from_slice(format!("{path} {clsid}\n").as_bytes());
        if is_stream {
            let mut data = Vec::new();
            if let Ok(mut s) = cf.open_stream(&path) {
                let _ = std::io::Read::read_to_end(&mut s, &mut data);
            }
            out.extend_from_slice(format!("{data:?}\n").as_bytes());
        }
    }
    out
}

/// Subjects without the marker and OLE objects as their trees,
/// recursively: what a write changes.
fn unmark(m: &mut NewMessage) {
    for (t, v) in &mut m.props {
        if t.id() == pid::SUBJECT {
            match v {
                PropValue::String(s) => *s = normalize_subject(s),
                PropValue::String8(s) if s.0.first() == Some(&1) => {
                    s.0 = s.0.get(2..).unwrap_or_default().to_vec()
                }
                _ => {}
            }
        }
    }
    for a in &mut m.attachments {
        match &mut a.content {
            AttachContent::Message(inner) => unmark(inner),
            AttachContent::Object(bytes) => *bytes = tree(bytes),
            _ => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut names = NameMapBuilder::default();
    let Ok(mut m) = msg_to_message(data, &mut |np| Ok(names.id(np))) else {
        return;
    };
    let bytes = write_msg(&m, &|id| names.name_of(id).cloned())
        .unwrap_or_else(|e| panic!("what was read does not write: {e}"));
    let mut again = msg_to_message(&bytes, &mut |np| Ok(names.id(np)))
        .unwrap_or_else(|e| panic!("what was written does not read: {e}"));
    unmark(&mut m);
    unmark(&mut again);
    // Debug forms: NaN values compare equal there.
    assert_eq!(format!("{again:?}"), format!("{m:?}"));
});
