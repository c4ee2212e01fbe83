//! Opening a file: what is not a PST at all, and the map's pages given back.

use pstkit_ndb::{NdbError, NdbFile};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");

/// A file without `!BDN` at offset 0 is no PST, said in those words; one
/// with the signature and a damaged header is a damaged PST, said with the
/// structure and offset of the damage.
#[test]
fn only_a_file_without_the_signature_is_not_a_pst() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(FIXTURE).unwrap();

    bytes[..4].copy_from_slice(b"PK\x03\x04");
    let zip = dir.path().join("not.pst");
    std::fs::write(&zip, &bytes).unwrap();
    for r in [NdbFile::open(&zip).err(), NdbFile::open_lenient(&zip).err()] {
        match r {
            Some(NdbError::NotPst { path, why }) => {
                assert_eq!(path, zip);
                assert!(why.contains("!BDN"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    // The signature kept, the version (offset 10) made one no reader knows.
    bytes[..4].copy_from_slice(b"!BDN");
    bytes[10] = 0x99;
    let damaged = dir.path().join("damaged.pst");
    std::fs::write(&damaged, &bytes).unwrap();
    match NdbFile::open(&damaged).err() {
        Some(NdbError::Corrupt(c)) => {
            assert_eq!(c.structure, pstkit_ndb::Structure::Header);
            assert_eq!(c.offset, Some(10), "{c}");
        }
        other => panic!("{other:?}"),
    }
}

/// The resident size of the mapping that holds `ptr`, from the kernel's
/// own account of this process's maps.
#[cfg(target_os = "linux")]
fn resident_kib(ptr: *const u8) -> u64 {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let at = ptr as usize;
    let mut inside = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((lo, hi)) = first.split_once('-') {
            if let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&at);
                continue;
            }
        }
        if inside {
            if let Some(kib) = line.strip_prefix("Rss:") {
                return kib.trim().trim_end_matches("kB").trim().parse().unwrap();
            }
        }
    }
    panic!("no mapping holds {ptr:p}");
}

/// `release_pages` gives the map's pages back to the kernel (the bytes
/// stay readable): what keeps a walk of a large file at bounded memory.
#[cfg(target_os = "linux")]
#[test]
fn released_pages_leave_the_process_and_read_the_same_again() {
    let file = NdbFile::open(FIXTURE).unwrap();
    let ndb = file.ndb();
    let data = ndb.data();
    let before: u64 = data.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    let size_kib = data.len() as u64 / 1024;
    let touched = resident_kib(data.as_ptr());
    assert!(
        touched * 2 > size_kib,
        "{touched} KiB of {size_kib} resident"
    );

    ndb.release_pages();
    let released = resident_kib(data.as_ptr());
    assert!(
        released * 8 < size_kib,
        "{released} KiB of {size_kib} still resident"
    );

    let after: u64 = data.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    assert_eq!(after, before);
}

/// A walk through a file larger than the release window keeps no more of
/// it resident than about that window: each read is noted, and the map's
/// pages are given back once the reads since the last release pass it.
#[cfg(target_os = "linux")]
#[test]
fn a_walk_through_a_large_file_keeps_about_a_window_of_it() {
    use pstkit_ndb::write::NdbWriter;
    use pstkit_ndb::{Bid, CryptMethod, FileKind, Format, Nid, NidType};
    const NODES: u32 = 48;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.pst");
    let out = std::fs::File::create(&path).unwrap();
    let mut w = NdbWriter::new(out, Format::UNICODE, CryptMethod::None, FileKind::Pst).unwrap();
    let mib: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    for i in 0..NODES {
        let data = w.add_stream(&mib).unwrap();
        w.add_node(
            Nid::new(NidType::NormalMessage, 0x400 + i),
            data,
            Bid(0),
            Nid(0x122),
        );
    }
    w.finish().unwrap();

    let file = NdbFile::open(&path).unwrap();
    let ndb = file.ndb();
    let size_kib = ndb.data().len() as u64 / 1024;
    assert!(size_kib > 48 << 10, "{size_kib} KiB");
    let mut most = 0;
    for i in 0..NODES {
        let node = ndb
            .node(Nid::new(NidType::NormalMessage, 0x400 + i))
            .unwrap();
        assert_eq!(node.read_all().unwrap(), mib);
        most = most.max(resident_kib(ndb.data().as_ptr()));
    }
    // The window is 16 MiB; with the B-tree pages and the last reads, a
    // few more.
    assert!(most < 24 << 10, "{most} KiB of {size_kib} resident at most");
}
