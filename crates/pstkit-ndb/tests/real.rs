//! The reader against real files made by other tools (found by
//! `pstkit_fixtures::real`: the committed samples and those of the shared
//! directory), with facts checked against PROVENANCE.tsv and against
//! libpff's `pffinfo`.

use std::path::Path;
use std::process::Command;

use pstkit_fixtures::real;
use pstkit_ndb::check::check;
use pstkit_ndb::{CryptMethod, FileKind, NdbFile, Problem, Structure, Variant};

/// One row of PROVENANCE.tsv.
struct Sample {
    name: String,
    kind: String,
    fmt: String,
    w_ver: u16,
    crypt: Option<u8>,
    size: u64,
}

/// The provenance of every sample available.
fn samples() -> Vec<Sample> {
    real::provenance()
        .into_iter()
        .map(|row| {
            let col = |n: &str| row.get(n).map_or("", String::as_str);
            Sample {
                name: col("name").to_string(),
                kind: col("kind").to_string(),
                fmt: col("fmt").to_string(),
                w_ver: col("wVer").parse().unwrap(),
                crypt: col("crypt").parse().ok(),
                size: col("size").parse().unwrap(),
            }
        })
        .collect()
}

fn is_damaged(name: &str) -> bool {
    name.contains("AddingBulkMessages") || name.contains("truncated-in-header")
}

#[test]
fn every_readable_sample_checks_clean_and_matches_provenance() {
    let all = samples();
    assert!(
        all.len() >= real::min_count(20, 30),
        "{} samples: expected the committed ones at least",
        all.len()
    );
    for s in all.iter().filter(|s| !is_damaged(&s.name)) {
        let path = real::find(&s.name).unwrap();
        let file = NdbFile::open(&path).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let h = file.header();
        assert_eq!(h.version, s.w_ver, "{}", s.name);
        let kind = if s.kind == "OST" {
            FileKind::Ost
        } else {
            FileKind::Pst
        };
        assert_eq!(h.kind, kind, "{}", s.name);
        let variant = match s.fmt.as_str() {
            "ANSI" => Variant::Ansi,
            "Unicode" => Variant::Unicode,
            other => panic!("unexpected format {other}"),
        };
        assert_eq!(h.format.variant, variant, "{}", s.name);
        assert_eq!(Some(h.crypt.to_byte()), s.crypt, "{}", s.name);
        assert_eq!(file.ndb().data().len() as u64, s.size);
        let r = check(file.ndb());
        assert!(r.is_clean(), "{}: {:?}", s.name, r.problems);
        assert!(r.nodes > 20 && r.blocks > 10, "{}: {r:?}", s.name);
        // Every node lookup agrees with the iteration that listed it.
        let ndb = file.ndb();
        for e in ndb.nodes() {
            let e = e.unwrap();
            assert_eq!(ndb.node_entry(e.nid).unwrap(), e);
        }
        for e in ndb.blocks() {
            let e = e.unwrap();
            assert_eq!(ndb.block_entry(e.bref.bid).unwrap(), e);
        }
    }
}

#[test]
fn header_crc_damage_is_rejected_with_offset() {
    let Some(path) = real::sample(
        "aspose-email-Aspose.Email-for-.NET--AddingBulkMessagesWithImprovedPerformance.pst",
    ) else {
        return;
    };
    let err = NdbFile::open(&path).expect_err("must be refused");
    let c = err.corruption().expect("a corruption error");
    assert_eq!(c.structure, Structure::Header);
    assert_eq!(c.offset, Some(4));
    assert!(
        matches!(
            c.problem,
            Problem::Crc {
                stored: 0x424C_6DB2,
                computed: 0x3462_0C55
            }
        ),
        "{c}"
    );
    // Opened leniently, the check lists the header and the damaged BBT page.
    let file = NdbFile::open_lenient(&path).unwrap();
    let r = check(file.ndb());
    assert!(r
        .problems
        .iter()
        .any(|p| p.structure == Structure::BbtPage && p.offset == Some(0x7E00)));
}

#[test]
fn truncated_header_is_rejected() {
    let Some(path) = real::sample("Jmcleodfoss-pstreader--truncated-in-header.bin") else {
        return;
    };
    let err = NdbFile::open(path).expect_err("must be refused");
    let c = err.corruption().expect("a corruption error");
    assert_eq!(c.structure, Structure::Header);
    assert_eq!(
        c.problem,
        Problem::Truncated {
            needed: 564,
            available: 40
        }
    );
}

/// What `pffinfo` says of a file: (file size, 32/64-bit, content type, encryption).
fn pffinfo(path: &Path) -> Option<(u64, String, String, String)> {
    let out = Command::new("pffinfo").arg(path).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let size = field("File size:")
        .trim_end_matches(" bytes")
        .parse()
        .ok()?;
    Some((
        size,
        field("File type:"),
        field("File content type:"),
        field("Encryption type:"),
    ))
}

#[test]
fn facts_agree_with_pffinfo() {
    if !real::tool("pffinfo", "pff-tools") {
        return;
    }
    for s in samples().iter().filter(|s| !is_damaged(&s.name)) {
        let path = real::find(&s.name).unwrap();
        let (size, bits, content, crypt) =
            pffinfo(&path).unwrap_or_else(|| panic!("pffinfo failed on {}", s.name));
        let file = NdbFile::open(&path).unwrap();
        let h = file.header();
        assert_eq!(size, file.ndb().data().len() as u64);
        let want_bits = match h.format.variant {
            Variant::Ansi => "32-bit",
            Variant::Unicode => "64-bit",
            Variant::Unicode4k => "64-bit with 4k page",
        };
        assert_eq!(bits, want_bits, "{}", s.name);
        let want_kind = match h.kind {
            FileKind::Ost => "Offline Storage Tables (OST)",
            _ => "Personal Storage Tables (PST)",
        };
        assert_eq!(content, want_kind, "{}", s.name);
        let want_crypt = match h.crypt {
            CryptMethod::None => "none",
            CryptMethod::Permute => "compressible",
            CryptMethod::Cyclic => "high",
            CryptMethod::Edp => "edp",
        };
        assert_eq!(crypt, want_crypt, "{}", s.name);
    }
    // pffinfo refuses the damaged header too.
    let Some(bad) = real::sample(
        "aspose-email-Aspose.Email-for-.NET--AddingBulkMessagesWithImprovedPerformance.pst",
    ) else {
        return;
    };
    assert!(pffinfo(&bad).is_none());
}

#[test]
fn pffinfo_reads_our_4k_header() {
    // libpff is an independent reader of the 4K variant: it must accept the
    // header our writer writes and see the same variant and encoding.
    if !real::tool("pffinfo", "pff-tools") {
        return;
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mailbox-4k.ost");
    let (size, bits, content, crypt) = pffinfo(&fixture).expect("pffinfo opens the 4K fixture");
    assert_eq!(size, std::fs::metadata(&fixture).unwrap().len());
    assert_eq!(bits, "64-bit with 4k page");
    assert_eq!(content, "Offline Storage Tables (OST)");
    assert_eq!(crypt, "none");
}
