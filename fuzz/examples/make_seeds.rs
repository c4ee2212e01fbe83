//! Makes the seed corpora under `fuzz/corpus/` from small generated
//! mailboxes (and, when present, the real samples in
//! `../shared/fixtures/real/`, cut into small pieces).
//!
//! `cargo run --release --example make_seeds` (from `fuzz/`). Deterministic:
//! the same sources give the same seeds.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use pstkit_ltp::{PropId, PropTag, PropType, PropValue};
use pstkit_ndb::{CryptMethod, FileKind, Format, NdbFile, Variant};
use pstkit_store::synth::Synth;
use pstkit_store::write::{AttachContent, NewAttachment, NewMessage, PstWriter, WriterOptions};

fn tag(id: u16, t: PropType) -> PropTag {
    PropTag::new(PropId(id), t)
}

/// A tiny mailbox: one folder, `n` small messages, one with an attachment,
/// one with an embedded message and an RTF body.
fn tiny(
    dir: &Path,
    name: &str,
    format: Format,
    crypt: CryptMethod,
    kind: FileKind,
    n: u64,
) -> PathBuf {
    let synth = Synth::new(7);
    let opts = {
        let mut o = WriterOptions::default();
        o.kind = kind;
        o.format = format;
        o.crypt = crypt;
        o.display_name = format!("seed {name}");
        o.record_key = Some([7; 16]);
        o.timestamp = synth.timestamp();
        o.store_properties = Vec::new();
        o.replace = pstkit_store::write::Replace::RegularFile;
        o
    };
    let path = dir.join(name);
    let mut w = PstWriter::create(&path, opts).unwrap();
    let top = w.standard_folders().ipm_subtree;
    let inbox = w.add_folder(top, "Inbox", Some("IPF.Note")).unwrap();
    let sub = w.add_folder(inbox, "Sub — ü", Some("IPF.Note")).unwrap();
    let rtf = pstkit_store::rtf::compress_rtf(
        b"{\\rtf1\\ansi\\deff0 {\\fonttbl{\\f0 Arial;}} Hello {\\b world} hello world\\par }",
    );
    for i in 0..n {
        let mut m = NewMessage {
            props: vec![
                (
                    tag(0x0037, PropType::String),
                    PropValue::String(format!("RE: message {i}")),
                ),
                (
                    tag(0x1000, PropType::String),
                    PropValue::String("body text\r\n".repeat(3)),
                ),
                (
                    tag(0x0C1A, PropType::String),
                    PropValue::String("Sender".into()),
                ),
                (
                    tag(0x0E06, PropType::Time),
                    PropValue::Time(synth.timestamp()),
                ),
            ],
            recipients: vec![vec![
                (tag(0x0C15, PropType::Int32), PropValue::Int32(1)),
                (
                    tag(0x3001, PropType::String),
                    PropValue::String("Rcpt".into()),
                ),
                (
                    tag(0x3003, PropType::String),
                    PropValue::String("r@example.com".into()),
                ),
                (
                    tag(0x3002, PropType::String),
                    PropValue::String("SMTP".into()),
                ),
            ]],
            attachments: Vec::new(),
        };
        if i == 0 {
            m.props.push((
                tag(0x1009, PropType::Binary),
                PropValue::Binary(rtf.clone()),
            ));
            m.attachments.push(NewAttachment {
                props: vec![(
                    tag(0x3707, PropType::String),
                    PropValue::String("a.txt".into()),
                )],
                content: AttachContent::Data(b"attached bytes".to_vec()),
            });
        }
        if i == 1 {
            let inner = NewMessage {
                props: vec![(
                    tag(0x0037, PropType::String),
                    PropValue::String("inner".into()),
                )],
                recipients: Vec::new(),
                attachments: vec![NewAttachment {
                    props: Vec::new(),
                    content: AttachContent::Object(vec![0xD0, 0xCF, 0x11, 0xE0, 1, 2, 3]),
                }],
            };
            m.attachments.push(NewAttachment {
                props: Vec::new(),
                content: AttachContent::Message(Box::new(inner)),
            });
        }
        let folder = if i % 2 == 0 { inbox } else { sub };
        w.add_message(folder, &m).unwrap();
    }
    w.finish().unwrap()
}

/// A tiny mailbox of the export's special cases: a clear-signed and an
/// opaque S/MIME item ([MS-OXOSMIME]: the entity as the one attachment), and
/// HTML whose image is found by Content-Location.
fn mime_cases(dir: &Path) -> PathBuf {
    let text = |id: u16, v: &str| (tag(id, PropType::String), PropValue::String(v.into()));
    let attachment = |mime: &str, name: &str, extra: Vec<(PropTag, PropValue)>, data: &[u8]| {
        let mut props = vec![text(0x370E, mime), text(0x3707, name)];
        props.extend(extra);
        NewAttachment {
            props,
            content: AttachContent::Data(data.to_vec()),
        }
    };
    let message = |class: &str, subject: &str, extra: Vec<(PropTag, PropValue)>, a| {
        let mut props = vec![text(0x001A, class), text(0x0037, subject)];
        props.extend(extra);
        NewMessage {
            props,
            recipients: Vec::new(),
            attachments: vec![a],
        }
    };
    let signed = b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n micalg=sha-256; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsigned\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n\r\nMIIB\r\n--b--\r\n";
    let cms = [
        0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03, 0xA0, 0x80,
        0, 0, 0, 0,
    ];
    let html = b"<html><base href=\"http://h/d/page.htm\"><img src=\"a.gif\"></html>";
    let messages = [
        message(
            "IPM.Note.SMIME.MultipartSigned",
            "signed",
            vec![text(0x1000, "signed")],
            attachment("multipart/signed", "smime.p7m", Vec::new(), signed),
        ),
        message(
            "IPM.Note.SMIME",
            "encrypted",
            Vec::new(),
            attachment("application/pkcs7-mime", "smime.p7m", Vec::new(), &cms),
        ),
        message(
            "IPM.Note",
            "mhtml",
            vec![(
                tag(0x1013, PropType::Binary),
                PropValue::Binary(html.to_vec()),
            )],
            attachment(
                "image/gif",
                "a.gif",
                vec![text(0x3713, "http://h/d/a.gif")],
                b"GIF89a",
            ),
        ),
    ];
    let opts = {
        let mut o = WriterOptions::default();
        o.kind = FileKind::Pst;
        o.format = Format::UNICODE;
        o.crypt = CryptMethod::None;
        o.display_name = "seed mime".into();
        o.record_key = Some([8; 16]);
        o.timestamp = Synth::new(8).timestamp();
        o.store_properties = Vec::new();
        o.replace = pstkit_store::write::Replace::RegularFile;
        o
    };
    let path = dir.join("tiny-mime.pst");
    let mut w = PstWriter::create(&path, opts).unwrap();
    let top = w.standard_folders().ipm_subtree;
    let inbox = w.add_folder(top, "Inbox", Some("IPF.Note")).unwrap();
    for m in &messages {
        w.add_message(inbox, m).unwrap();
    }
    w.finish().unwrap()
}

/// `bytes` without its trailing zeros (kept to a 512-byte boundary).
fn trim(mut bytes: Vec<u8>) -> Vec<u8> {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes.truncate(end.div_ceil(512) * 512);
    bytes
}

fn write_seed(dir: &Path, name: &str, bytes: &[u8], seen: &mut BTreeSet<Vec<u8>>) {
    if !seen.insert(bytes.to_vec()) {
        return;
    }
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

/// The `ltp_node` input for a node's blocks: a selector byte (variant in
/// bits 0-1, block count - 1 in bits 2-3), the lengths of all blocks but
/// the last as u16 LE, then the blocks.
pub fn ltp_input(variant: Variant, blocks: &[Cow<'_, [u8]>]) -> Option<Vec<u8>> {
    if blocks.is_empty() || blocks.len() > 3 {
        return None;
    }
    let v = match variant {
        Variant::Ansi => 0u8,
        Variant::Unicode => 1,
        Variant::Unicode4k => 2,
    };
    let mut out = vec![v | ((blocks.len() as u8 - 1) << 2)];
    for b in &blocks[..blocks.len() - 1] {
        out.extend_from_slice(&u16::try_from(b.len()).ok()?.to_le_bytes());
    }
    for b in blocks {
        out.extend_from_slice(b);
    }
    Some(out)
}

/// Node heaps (PCs and TCs, top-level and subnodes) of a file.
fn heaps(path: &Path, max: usize, out: &mut Vec<Vec<u8>>) {
    let Ok(file) = NdbFile::open(path) else {
        return;
    };
    let ndb = file.ndb();
    let variant = ndb.format().variant;
    let mut sigs = BTreeSet::new();
    let mut add = |node: &pstkit_ndb::Node<'_>, out: &mut Vec<Vec<u8>>| {
        let blocks: Vec<_> = match node.blocks().take(4).collect::<Result<Vec<_>, _>>() {
            Ok(b) => b,
            Err(_) => return,
        };
        let Some(first) = blocks.first() else { return };
        if first.len() < 4 || first[2] != 0xEC {
            return;
        }
        // One seed per client signature and block count, plus a few more.
        let key = (first[3], blocks.len(), first.len() / 512);
        if !sigs.insert(key) {
            return;
        }
        if let Some(i) = ltp_input(variant, &blocks) {
            if i.len() <= 24 * 1024 {
                out.push(i);
            }
        }
    };
    for e in ndb.nodes().flatten() {
        if out.len() >= max {
            break;
        }
        let Ok(node) = ndb.node(e.nid) else { continue };
        add(&node, out);
        if let Ok(subs) = node.subnodes().entries() {
            for s in subs {
                if let Ok(sn) = ndb.node_from_parts(s.nid, s.data, s.sub) {
                    add(&sn, out);
                }
            }
        }
    }
}

fn rtf_bodies(path: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(file) = NdbFile::open(path) else {
        return;
    };
    let Ok(store) = pstkit_store::Store::open(file.ndb()) else {
        return;
    };
    for f in store.walk().flatten() {
        for nid in f.folder.message_ids().unwrap_or_default() {
            if let Ok(m) = store.message(nid) {
                if let Some(Ok(PropValue::Binary(b))) = m.properties().get(PropId(0x1009)) {
                    if b.len() <= 16 * 1024 {
                        out.push(b);
                    }
                }
            }
        }
    }
}

/// A copy of the Unicode file `bytes` without the node B-tree entry of
/// its first normal message: the later entries of its leaf move up one,
/// the leaf's count drops by one and its CRC is made right.
fn without_first_message_entry(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    // The Unicode header's BREFNBT: the root page's offset at 0xE0. A page
    // is 512 bytes: entries from 0, cEnt, cEntMax, cbEnt, cLevel at 488, the
    // CRC of the first 496 bytes at 500.
    let mut pages = vec![u64_at(&b, 0xE0) as usize];
    while let Some(ib) = pages.pop() {
        let (count, size, level) = (b[ib + 488] as usize, b[ib + 490] as usize, b[ib + 491]);
        for i in 0..count {
            let at = ib + i * size;
            if level > 0 {
                pages.push(u64_at(&b, at + 16) as usize);
            } else if u64_at(&b, at) & 0x1F == 0x04 {
                b.copy_within(at + size..ib + count * size, at);
                b[ib + (count - 1) * size..ib + count * size].fill(0);
                b[ib + 488] -= 1;
                let crc = pstkit_ndb::crc::crc(&b[ib..ib + 496]);
                b[ib + 500..ib + 504].copy_from_slice(&crc.to_le_bytes());
                return b;
            }
        }
    }
    panic!("no normal message in the node B-tree");
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("corpus");
    // PSTKIT_REAL_FIXTURES overrides where the real samples are.
    let real = std::env::var_os("PSTKIT_REAL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../../shared/fixtures/real"));
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();

    // Whole files: tiny generated mailboxes of each variant, and the small
    // real ones.
    let files = vec![
        tiny(
            t,
            "tiny-unicode.pst",
            Format::UNICODE,
            CryptMethod::Permute,
            FileKind::Pst,
            3,
        ),
        tiny(
            t,
            "tiny-unicode-plain.pst",
            Format::UNICODE,
            CryptMethod::None,
            FileKind::Pst,
            3,
        ),
        tiny(
            t,
            "tiny-unicode-cyclic.pst",
            Format::UNICODE,
            CryptMethod::Cyclic,
            FileKind::Pst,
            2,
        ),
        tiny(
            t,
            "tiny-4k.ost",
            Format::UNICODE_4K,
            CryptMethod::None,
            FileKind::Ost,
            2,
        ),
        tiny(
            t,
            "tiny-ansi.pst",
            Format::ANSI,
            CryptMethod::Permute,
            FileKind::Pst,
            2,
        ),
        mime_cases(t),
        tiny(
            t,
            "empty-unicode.pst",
            Format::UNICODE,
            CryptMethod::None,
            FileKind::Pst,
            0,
        ),
    ];
    let mut reals = Vec::new();
    for name in [
        "hughbe-PstReader--Outlook98Backup.pst",
        "mooijtech-go-pst--32-bit.pst",
        "Jmcleodfoss-pstreader--truncated-in-header.bin",
    ] {
        let p = real.join(name);
        if p.exists() {
            reals.push(p);
        }
    }
    for f in &files {
        eprintln!("{}: {} bytes", f.display(), fs::metadata(f).unwrap().len());
    }
    let mut seen = BTreeSet::new();
    for target in ["ndb_walk", "audit", "message", "copy"] {
        seen.clear();
        for (k, f) in files.iter().chain(&reals).enumerate() {
            let mut bytes = fs::read(f).unwrap();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            // Generated files are mostly the zeros of a free allocation-map
            // span at their end: cut them after their last data (the header
            // then says the file is truncated, which readers take in their
            // stride). ndb_walk and audit keep the first one and the 4K one
            // whole, so that the checks see complete files too.
            let whole =
                matches!(target, "ndb_walk" | "audit") && (k == 0 || name.ends_with(".ost"));
            if k < files.len() && !whole {
                bytes = trim(bytes);
            }
            // copy runs a whole conversion per input: the generated files
            // and the smallest real one.
            if target == "copy" && k >= files.len() && bytes.len() > 40_000 {
                continue;
            }
            write_seed(&corpus.join(target), &name, &bytes, &mut seen);
            // copy: one whose first message has lost its node entry (its
            // folder's table still lists it, its blocks are intact), so
            // that a first run already relinks an item.
            if target == "copy" && name == "tiny-unicode.pst" {
                let lost = without_first_message_entry(&bytes);
                write_seed(
                    &corpus.join(target),
                    "tiny-unicode-nbt-entry-lost.pst",
                    &lost,
                    &mut seen,
                );
            }
        }
    }

    // recover: whole files of three variants and a real one, and one whose
    // node B-tree root page is zeroed, so that a first run already rebuilds
    // an index from the scan.
    seen.clear();
    for f in files.iter().chain(&reals) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if [
            "empty-unicode.pst",
            "tiny-4k.ost",
            "tiny-ansi.pst",
            "mooijtech-go-pst--32-bit.pst",
        ]
        .contains(&name.as_str())
        {
            let bytes = fs::read(f).unwrap();
            if name == "empty-unicode.pst" {
                // The Unicode header's BREFNBT: the root page's offset at 0xE0.
                let mut broken = bytes.clone();
                let ib = u64::from_le_bytes(broken[0xE0..0xE8].try_into().unwrap()) as usize;
                broken[ib..ib + 512].fill(0);
                let out = corpus.join("recover");
                write_seed(
                    &out,
                    "empty-unicode-nbt-root-zeroed.pst",
                    &broken,
                    &mut seen,
                );
            }
            write_seed(&corpus.join("recover"), &name, &bytes, &mut seen);
        }
    }

    // ltp_node: node heaps from generated and real files, all variants.
    let mut ltp = Vec::new();
    for f in files.iter().chain(&reals) {
        heaps(f, 40, &mut ltp);
    }
    for name in [
        "aquasync-ruby-msg--200_recipients.pst",
        "emk-pstsdk--test_ansi.pst",
        "emk-pstsdk--submessage.pst",
        "aspose-email-Aspose.Email-for-.NET--SampleOstFile.ost",
    ] {
        let p = real.join(name);
        if p.exists() {
            heaps(&p, 30, &mut ltp);
        }
    }
    seen.clear();
    for (i, s) in ltp.iter().enumerate() {
        write_seed(
            &corpus.join("ltp_node"),
            &format!("heap-{i:03}"),
            s,
            &mut seen,
        );
    }

    // rtf: compressed bodies, and compressed forms of a few texts.
    let mut rtf = Vec::new();
    for f in &files {
        rtf_bodies(f, &mut rtf);
    }
    for text in [
        &b"{\\rtf1\\ansi\\ansicpg1252\\fromtext \\deff0{\\fonttbl{\\f0\\fswiss Arial;}}{\\colortbl;\\red0\\green0\\blue255;}\\uc1\\pard\\plain\\f0\\fs20 Hi there\\par\\par }"[..],
        b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\n\r\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx",
        b"",
        b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        rtf.push(pstkit_store::rtf::compress_rtf(text));
        rtf.push(pstkit_store::rtf::compress_rtf_uncompressed(text));
    }
    seen.clear();
    for (i, s) in rtf.iter().enumerate() {
        write_seed(&corpus.join("rtf"), &format!("rtf-{i:03}"), s, &mut seen);
    }

    // writer: the model comes from `arbitrary`; any bytes will do as seeds.
    let mut rng = pstkit_store::synth::Rng::new(42);
    seen.clear();
    for (i, n) in [0usize, 16, 64, 256, 1024, 4096, 16384].iter().enumerate() {
        write_seed(
            &corpus.join("writer"),
            &format!("random-{i}"),
            &rng.bytes(*n),
            &mut seen,
        );
    }
}
