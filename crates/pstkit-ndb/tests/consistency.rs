//! The check's consistency findings (`bbt-refcount`, `header-next-ids`):
//! each found when exactly its invariant is broken in a good file, never in
//! a file pstkit writes, and never as an error in a real sample.

mod damage;
use pstkit_ndb as ndb;

use ndb::check::{check, Finding};
use ndb::write::NdbWriter;
use ndb::{Bid, CryptMethod, FileKind, Format, NdbFile, Nid, NidType, Severity};
use pstkit_fixtures::real;

const RULES: [&str; 2] = ["bbt-refcount", "header-next-ids"];

/// A file with data trees, nested subnode trees, a block shared by three
/// nodes, a block named by two subnode trees, and subnode ids from 0x400 up.
fn sample(f: Format) -> (Vec<u8>, Bid) {
    let mut w = NdbWriter::in_memory(f, CryptMethod::Permute, FileKind::Pst);
    let shared = w.add_block(b"one block, three nodes").unwrap();
    for i in 1..30u32 {
        let body: Vec<u8> = (0..(i as usize * 900))
            .map(|k| (k * 7 % 253) as u8)
            .collect();
        let data = w.add_stream(&body).unwrap();
        let att = w.add_block(&body[..body.len().min(200)]).unwrap();
        let inner = w
            .add_subnode_tree(&[(Nid::new(NidType::Ltp, 0x400 + i), att, Bid(0))])
            .unwrap();
        let sub = w
            .add_subnode_tree(&[(Nid::new(NidType::Attachment, 1), att, inner)])
            .unwrap();
        let nid = w.new_nid(NidType::NormalMessage);
        w.add_node(nid, data, sub, Nid(0x122));
    }
    for _ in 0..3 {
        let nid = w.new_nid(NidType::NormalFolder);
        w.add_node(nid, shared, Bid(0), Nid(0x122));
    }
    (w.finish_bytes(), shared)
}

fn findings(data: &[u8]) -> Vec<Finding> {
    let file = NdbFile::new(data).unwrap();
    let r = check(file.ndb());
    assert!(r.is_clean(), "{:?}", r.problems);
    r.findings
}

#[test]
fn files_pstkit_writes_have_no_findings() {
    for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
        let (data, shared) = sample(f);
        assert_eq!(findings(&data), [], "{:?}", f.variant);
        let file = NdbFile::new(&data[..]).unwrap();
        let e = file.ndb().block_entry(shared).unwrap();
        assert_eq!(e.refs, 4, "1 + three nodes");
        // Subnode ids are drawn from the counters as Outlook draws them.
        assert_eq!(file.header().nid_counters[0x1F], 0x400 + 29);
    }
}

#[test]
fn a_reference_count_too_low_is_an_error_and_too_high_a_warning() {
    let (good, shared) = sample(Format::UNICODE);
    for (refs, severity) in [
        (3, Severity::Error),
        (1, Severity::Error),
        (9, Severity::Warning),
    ] {
        let mut data = good.clone();
        let page = damage::set_block_refs(&mut data, shared, refs);
        let found = findings(&data);
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(
            (f.rule, f.severity, f.bid, f.offset),
            ("bbt-refcount", severity, Some(shared.0), Some(page))
        );
        assert_eq!(
            (f.expected.as_str(), f.found.clone()),
            ("4 (1 + 3 references)", refs.to_string())
        );
    }
}

#[test]
fn a_block_nothing_names_is_written_with_the_count_of_a_free_one() {
    let mut w = NdbWriter::in_memory(Format::ANSI, CryptMethod::None, FileKind::Pst);
    let lost = w.add_block(b"nothing refers to this").unwrap();
    let data = w.finish_bytes();
    assert_eq!(findings(&data), []);
    let file = NdbFile::new(&data[..]).unwrap();
    assert_eq!(file.ndb().block_entry(lost).unwrap().refs, 1);
    // A count of 0 on it could free nothing in use: a warning.
    let mut data = data;
    damage::set_block_refs(&mut data, lost, 0);
    let found = findings(&data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].severity, found[0].bid),
        (Severity::Warning, Some(lost.0))
    );
}

#[test]
fn a_block_counter_at_a_block_in_use_is_an_error() {
    let (good, _) = sample(Format::UNICODE);
    let file = NdbFile::new(&good[..]).unwrap();
    let max = file
        .ndb()
        .blocks()
        .map(|e| e.unwrap().bref.bid.0)
        .max()
        .unwrap();
    assert!(file.header().next_bid.0 > max);
    // The last id in use, with a flag bit: the comparison ignores flags.
    let mut data = good.clone();
    let at = damage::set_next_bid(&mut data, max | 1);
    let found = findings(&data);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(
        (f.rule, f.severity, f.bid, f.offset),
        ("header-next-ids", Severity::Error, Some(max), Some(at))
    );
    let mut data = good;
    damage::set_next_bid(&mut data, (max & !3) + 4);
    assert_eq!(findings(&data), []);
}

#[test]
fn a_nid_counter_below_a_node_in_use_is_an_error() {
    let (good, _) = sample(Format::ANSI);
    let file = NdbFile::new(&good[..]).unwrap();
    let t = usize::from(NidType::NormalMessage.bits());
    let last = file.header().nid_counters[t];
    let mut data = good;
    let at = damage::set_nid_counter(&mut data, t, last - 1);
    let found = findings(&data);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(
        (f.rule, f.severity, f.nid, f.offset),
        (
            "header-next-ids",
            Severity::Error,
            Nid::new(NidType::NormalMessage, last).0,
            Some(at)
        )
    );
    // A subnode above its counter is only unlike Outlook.
    let t = usize::from(NidType::Ltp.bits());
    damage::set_nid_counter(&mut data, t, 0x400);
    let sub: Vec<_> = findings(&data)
        .into_iter()
        .filter(|f| f.severity == Severity::Note)
        .collect();
    assert_eq!(sub.len(), 1, "{sub:?}");
    assert_eq!(sub[0].nid, Nid::new(NidType::Ltp, 0x400 + 29).0);
}

/// A finding: rule, block id (or node id), severity.
type Known = (&'static str, u64, Severity);

/// The findings real samples hold, by file.
/// Both are OSTs distributed with Aspose's and GroupDocs' examples; every
/// other sample, Outlook's, holds none.
const KNOWN: &[(&str, &[Known])] = &[
    // One block counted twice that nothing references: leaked space.
    (
        "aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost",
        &[("bbt-refcount", 0x4AE3C, Severity::Warning)],
    ),
    // Two unreferenced blocks with cRef 0, two with 2 and no reference, one
    // referenced once with 3: counts above what the file needs, or zero on
    // blocks no one uses. None could free a block in use.
    (
        "groupdocs-viewer-GroupDocs.Viewer-for-.NET--Storage-sample.ost",
        &[
            ("bbt-refcount", 0x1488, Severity::Warning),
            ("bbt-refcount", 0x1494, Severity::Warning),
            ("bbt-refcount", 0x16C8, Severity::Warning),
            ("bbt-refcount", 0x1CE4, Severity::Warning),
            ("bbt-refcount", 0x1CFC, Severity::Warning),
        ],
    ),
];

#[test]
fn real_samples_have_no_error_findings() {
    let all = real::all();
    assert!(
        all.len() >= real::min_count(20, 30),
        "{} samples",
        all.len()
    );
    for (name, path) in &all {
        // Truncated in its header, and a file whose NBT does not read.
        if name.ends_with(".bin") || name.contains("AddingBulkMessages") {
            continue;
        }
        let file = NdbFile::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = check(file.ndb());
        let got: Vec<Known> = r
            .findings
            .iter()
            .filter(|f| RULES.contains(&f.rule))
            .map(|f| (f.rule, f.bid.unwrap_or(u64::from(f.nid)), f.severity))
            .collect();
        let want = KNOWN
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, w)| w);
        assert_eq!(got, want, "{name}: {:#?}", r.findings);
    }
}

#[test]
fn node_ids_from_0x400_up_are_counted_and_those_below_are_not() {
    // Ids below 0x400 are the fixed ones [MS-PST] reserves; the counters
    // hand out the rest, so only those must lie below a counter.
    let mut w = NdbWriter::in_memory(Format::UNICODE, CryptMethod::None, FileKind::Pst);
    let block = w.add_block(b"one block").unwrap();
    let first = Nid::new(NidType::NormalFolder, 0x400);
    let reserved = Nid::new(NidType::SearchFolder, 0x3FF);
    w.add_node(first, block, Bid(0), Nid(0x122));
    w.add_node(reserved, block, Bid(0), Nid(0x122));
    let mut data = w.finish_bytes();
    assert_eq!(findings(&data), []);
    let at = damage::set_nid_counter(&mut data, usize::from(NidType::NormalFolder.bits()), 0x3FF);
    damage::set_nid_counter(&mut data, usize::from(NidType::SearchFolder.bits()), 0x10);
    let found = findings(&data);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].rule, found[0].nid, found[0].offset),
        ("header-next-ids", first.0, Some(at))
    );
}
