//! `check` checks the node database; `check --deep` also decodes every
//! item, and finds damage inside sound blocks that the first cannot see.

#[allow(dead_code)]
#[path = "common/cli.rs"]
mod cli;

use cli::pstkit;
use pstkit::ndb::block::BlockTrailer;
use pstkit::ndb::{NdbFile, NidType};
use pstkit_fixtures::real;

/// The bundled mailbox with one message's recipient table broken inside a
/// block whose CRC is right again; the message's id.
fn damaged(dir: &std::path::Path) -> (std::path::PathBuf, u32) {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    let mut data = std::fs::read(src).unwrap();
    let file = NdbFile::open(src).unwrap();
    let ndb = file.ndb();
    let f = ndb.format();
    let (nid, bid) = ndb
        .nodes()
        .map(|e| e.unwrap())
        .filter(|e| e.nid.kind() == NidType::NormalMessage)
        .find_map(|e| {
            let sub = ndb.node(e.nid).ok()?.subnodes().entries().ok()?;
            let t = sub
                .into_iter()
                .find(|s| s.nid.kind() == NidType::RecipientTable)?;
            Some((e.nid, t.data))
        })
        .unwrap();
    let b = ndb.block_entry(bid).unwrap();
    let (at, cb) = (b.bref.ib.0 as usize, usize::from(b.cb));
    data[at + 2] ^= 0x5A; // the heap's signature byte
    let end = at + f.block_size(cb);
    let mut t = BlockTrailer::parse(&data[end - f.block_trailer_size..end], f);
    t.crc = pstkit::ndb::crc::crc(&data[at..at + cb]);
    t.write(&mut data[end - f.block_trailer_size..end], f);
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
    assert!(text.contains(&format!("item 0x{nid:X} in ")), "{text}");
    assert!(text.contains("30 items decoded: 1 do not decode"), "{text}");

    let json = pstkit(&[
        "check".as_ref(),
        "--deep".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["clean"], false);
    assert_eq!(v["scope"], "ndb+items");
    assert_eq!(v["items"]["problems"][0]["id"], nid);
}

/// No false alarms: every readable sample decodes whole.
#[test]
fn every_readable_sample_passes_the_deep_check() {
    let samples: Vec<_> = real::all()
        .into_iter()
        .filter(|(n, _)| {
            (n.ends_with(".pst") || n.ends_with(".ost"))
                && !n.contains("AddingBulkMessages")
                && !n.contains("truncated-in-header")
        })
        .collect();
    assert!(samples.len() >= real::min_count(18, 28));
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
