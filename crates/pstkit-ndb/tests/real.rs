//! The reader against real files made by other tools (`../shared/fixtures/real`),
//! with facts checked against PROVENANCE.tsv and against libpff's `pffinfo`.

use std::path::{Path, PathBuf};
use std::process::Command;

use pstkit_ndb::check::check;
use pstkit_ndb::{CryptMethod, FileKind, NdbFile, Problem, Structure, Variant};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/real")
}

/// One row of PROVENANCE.tsv.
struct Sample {
    name: String,
    kind: String,
    fmt: String,
    w_ver: u16,
    crypt: Option<u8>,
    size: u64,
}

fn samples() -> Vec<Sample> {
    let text = std::fs::read_to_string(dir().join("PROVENANCE.tsv")).expect("PROVENANCE.tsv");
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (name, kind, fmt, w_ver, crypt, size) = (
        col("name"),
        col("kind"),
        col("fmt"),
        col("wVer"),
        col("crypt"),
        col("size"),
    );
    lines
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Sample {
                name: c[name].to_string(),
                kind: c[kind].to_string(),
                fmt: c[fmt].to_string(),
                w_ver: c[w_ver].parse().unwrap(),
                crypt: c[crypt].parse().ok(),
                size: c[size].parse().unwrap(),
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
    assert!(all.len() >= 28, "expected the full sample set");
    for s in all.iter().filter(|s| !is_damaged(&s.name)) {
        let path = dir().join(&s.name);
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
    let path = dir()
        .join("aspose-email-Aspose.Email-for-.NET--AddingBulkMessagesWithImprovedPerformance.pst");
    let err = NdbFile::open(&path).err().expect("must be refused");
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
    let err = NdbFile::open(dir().join("Jmcleodfoss-pstreader--truncated-in-header.bin"))
        .err()
        .expect("must be refused");
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
    assert!(
        Command::new("pffinfo").arg("-V").output().is_ok(),
        "pffinfo is missing: apt-get install pff-tools"
    );
    for s in samples().iter().filter(|s| !is_damaged(&s.name)) {
        let path = dir().join(&s.name);
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
    let bad = dir()
        .join("aspose-email-Aspose.Email-for-.NET--AddingBulkMessagesWithImprovedPerformance.pst");
    assert!(pffinfo(&bad).is_none());
}

#[test]
fn pffinfo_reads_our_4k_header() {
    // libpff is an independent reader of the 4K variant: it must accept the
    // header our writer writes and see the same variant and encoding.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mailbox-4k.ost");
    let (size, bits, content, crypt) = pffinfo(&fixture).expect("pffinfo opens the 4K fixture");
    assert_eq!(size, std::fs::metadata(&fixture).unwrap().len());
    assert_eq!(bits, "64-bit with 4k page");
    assert_eq!(content, "Offline Storage Tables (OST)");
    assert_eq!(crypt, "none");
}
