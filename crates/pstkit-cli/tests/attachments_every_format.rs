//! Issue #23, "no attachment may be lost in any format": on every readable
//! real sample, every attachment file libpff's `pffexport` writes must come
//! out of every export format pstkit has, read back by a decoder that is
//! not pstkit's.
//!
//! * **The reference**: `pffexport -q -m items -f text` (as in
//!   `oracle_readers.rs`). Its attachment files are the files directly in an
//!   `Attachments/` directory (`<n>_<name>`), at any depth: an embedded
//!   message is a directory `Attachments/AttachmentNNNNN/` holding the
//!   message as an item directory, with its own `Attachments/`. Each file
//!   counts by content (SHA-256; as a multiset, so that two equal files need
//!   two copies), each embedded message by its presence (a count): the
//!   formats carry an embedded message as a message (`message/rfc822`, a
//!   nested `.msg` storage, a flagged Parquet row), not as pffexport's
//!   text files, so there are no bytes to compare.
//! * **The formats** (`pstkit export --format F`), each read back
//!   independently:
//!   - `eml`, `mbox`, `maildir`: parsed with `mail-parser` (mbox split by
//!     its mboxrd iterator); every leaf part's bytes after the transfer
//!     encoding is undone (no charset conversion), through nested
//!     `message/rfc822` parts, which count as embedded messages. A vCard
//!     (`.vcf` file or `text/vcard` part) gives its base64 `PHOTO`, an
//!     iCalendar (`.ics` file or `text/calendar` part) its base64 `ATTACH`
//!     values (contacts' pictures and appointments' files are written
//!     there); an `ATTACH` of `FMTTYPE=message/rfc822` is an embedded
//!     message, read on as MIME. (Before issue #23 the `.ics` of the EML
//!     export left embedded messages out: java-libpst's dist-list.pst lost
//!     the two exceptions of its recurring appointment.)
//!   - `msg`: read with Python's `olefile`: every attachment storage's
//!     `__substg1.0_37010102` stream; an attachment whose
//!     `__substg1.0_3701000D` storage is an embedded message (method 5 in
//!     its property stream) counts as one and is read recursively; an OLE
//!     object (method 6) is a storage there, the tree of the compound file
//!     pffexport writes as bytes, so it is compared by a digest of its
//!     streams (path and SHA-256 of each), computed the same way from
//!     pffexport's file.
//!   - `parquet --with-attachment-data`: `attachments.parquet` read with
//!     pyarrow: the `data` column's bytes, and `is_embedded_message`.
//!     A message attached whole is a row, and so is each of its own
//!     attachments (their `path` below its own), as deep as they go.
//!
//! Where pffexport is wrong: it writes no `Attachments/` for meeting items
//! (`IPM.Schedule.Meeting.*`: `Meeting.txt` and the body only; the
//! attachments are there, as `oracle_readers.rs` shows against readpst).
//! Their attachments are taken from the pstkit library instead (a file's
//! bytes by `Attachment::data`, an embedded message by its presence), and
//! the test fails should pffexport ever write them, so that the stand-in
//! goes. No sample has pffexport write a 0-byte file or leave an attachment
//! out otherwise.
//!
//! Every file pffexport writes must be in every format (by content, as
//! often as pffexport has it), and every format must hold at least as
//! many embedded messages; a format may hold more (bodies, items pffexport
//! skips: posts, meeting items, whose attachments it does not write).
//!
//! Without `pffexport`, `python3` with `olefile` and `pyarrow`, or the
//! shared samples, the test says `skipped: …` and passes (fails under
//! `PSTKIT_REQUIRE_ALL=1`). Run with `--nocapture` for the per-sample
//! table.

#[path = "common/readers.rs"]
mod readers;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mail_parser::{Encoding, MessageParser, MimeHeaders, PartType};
use pstkit_fixtures::real;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Samples no reader opens (see `oracle_readers.rs`).
const UNREADABLE: &[&str] = &[
    "aspose-email-Aspose.Email-for-.NET--AddingBulkMessagesWithImprovedPerformance.pst",
    "Jmcleodfoss-pstreader--truncated-in-header.bin",
];

/// The formats, in the order of the report.
const FORMATS: &[&str] = &["eml", "mbox", "maildir", "msg", "parquet"];

/// A multiset of contents by lowercase hex SHA-256.
type Bag = BTreeMap<String, usize>;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------
// pffexport

/// One attachment file pffexport wrote.
struct PffFile {
    path: PathBuf,
    sha256: String,
    size: u64,
    /// Inside an embedded message (at any depth).
    nested: bool,
}

#[derive(Default)]
struct PffAttachments {
    files: Vec<PffFile>,
    /// `AttachmentNNNNN/` directories: embedded messages.
    embedded: usize,
    /// Those of them inside another embedded message.
    nested_embedded: usize,
}

fn run_pffexport(file: &Path, tmp: &Path) -> PffAttachments {
    // The same run as the oracle tests' (`-q -m items -f text`); only its
    // files are read here.
    readers::pffexport(file, None, tmp);
    let mut found = PffAttachments::default();
    walk_pff(&tmp.join("x.export"), false, false, &mut found);
    found
}

/// `in_attachments`: `dir` is an `Attachments/` directory; `nested`: it
/// lies inside an embedded message.
fn walk_pff(dir: &Path, in_attachments: bool, nested: bool, out: &mut PffAttachments) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_dir = e.file_type().unwrap().is_dir();
        if in_attachments && !is_dir {
            assert!(
                name.split_once('_')
                    .is_some_and(|(n, _)| n.bytes().all(|b| b.is_ascii_digit())),
                "unexpected file {}",
                e.path().display()
            );
            let bytes = fs::read(e.path()).unwrap();
            out.files.push(PffFile {
                path: e.path(),
                sha256: sha256_hex(&bytes),
                size: bytes.len() as u64,
                nested,
            });
        } else if in_attachments {
            assert!(
                name.strip_prefix("Attachment")
                    .is_some_and(|n| n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit())),
                "unexpected directory {}",
                e.path().display()
            );
            out.embedded += 1;
            out.nested_embedded += usize::from(nested);
            walk_pff(&e.path(), false, true, out);
        } else if is_dir {
            if name.starts_with("Meeting") && e.path().join("Attachments").exists() {
                panic!(
                    "pffexport now writes a meeting item's attachments ({}): drop \
                     meeting_attachments, the library's stand-in",
                    e.path().display()
                );
            }
            walk_pff(&e.path(), name == "Attachments", nested, out);
        }
    }
}

/// The attachments of meeting items, which pffexport does not write, as
/// the library reads them: files (by-value data; `Attachment::data`) and
/// embedded messages, recursively (the messages inside counted as nested).
fn meeting_attachments(file: &Path, out: &mut PffAttachments) -> usize {
    fn add(m: &pstkit::Message<'_>, nested: bool, out: &mut PffAttachments) -> usize {
        let mut n = 0;
        for a in m.attachments().unwrap() {
            let a = a.unwrap();
            n += 1;
            if let Some(inner) = a.embedded().unwrap() {
                out.embedded += 1;
                out.nested_embedded += usize::from(nested);
                add(&inner, true, out);
            } else if let Some(data) = a.data().unwrap() {
                out.files.push(PffFile {
                    path: PathBuf::from(format!("(library) attachment {}", a.nid())),
                    sha256: sha256_hex(&data),
                    size: data.len() as u64,
                    nested,
                });
            }
        }
        n
    }
    let pst = pstkit::Pst::open(file).unwrap();
    let store = pst.store().unwrap();
    let mut n = 0;
    for w in store.walk() {
        let w = w.unwrap_or_else(|(nid, _, e)| panic!("folder {nid}: {e}"));
        for nid in w.folder.message_ids().unwrap() {
            let m = store.message(nid).unwrap();
            if m.kind() == pstkit::ItemKind::Meeting {
                n += add(&m, false, out);
            }
        }
    }
    n
}

// ---------------------------------------------------------------------------
// pstkit's exports

fn export(file: &Path, format: &str, out: &Path) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pstkit"));
    cmd.arg("export")
        .arg(file)
        .args(["--format", format, "--out"])
        .arg(out);
    if format == "parquet" {
        cmd.arg("--with-attachment-data");
    }
    let o = cmd.output().expect("run pstkit");
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "pstkit export --format {format} {}: {}\n{}",
        file.display(),
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// What one format holds: attachment contents and embedded messages.
#[derive(Default, Debug)]
struct Held {
    files: Bag,
    /// For `.msg` only: OLE objects as storages, by stream-tree digest.
    trees: Bag,
    embedded: usize,
}

impl Held {
    fn add(&mut self, bytes: &[u8]) {
        *self.files.entry(sha256_hex(bytes)).or_default() += 1;
    }
}

/// The bytes of a part with only the transfer encoding undone:
/// `mail-parser` converts text parts to UTF-8 from their charset, which an
/// attachment's bytes must not be.
fn part_bytes(raw: &[u8], part: &mail_parser::MessagePart<'_>) -> Vec<u8> {
    match &part.body {
        PartType::Text(_) | PartType::Html(_) => {
            let body = &raw[part.raw_body_offset()..part.raw_end_offset()];
            match part.encoding {
                Encoding::Base64 => mail_parser::decoders::base64::base64_decode(body)
                    .expect("a base64 part that decodes"),
                Encoding::QuotedPrintable => {
                    mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
                        .expect("a quoted-printable part that decodes")
                }
                Encoding::None => body.to_vec(),
            }
        }
        _ => part.contents().to_vec(),
    }
}

/// Every leaf part of `msg` and of the messages nested in it.
fn read_mime(raw: &[u8], what: &str, held: &mut Held) {
    let msg = MessageParser::default()
        .parse(raw)
        .unwrap_or_else(|| panic!("mail-parser cannot read {what}"));
    read_message(&msg, held);
}

fn read_message(msg: &mail_parser::Message<'_>, held: &mut Held) {
    let raw = msg.raw_message.as_ref();
    for part in &msg.parts {
        match &part.body {
            PartType::Multipart(_) => {}
            PartType::Message(inner) => {
                held.embedded += 1;
                read_message(inner, held);
            }
            _ => {
                let bytes = part_bytes(raw, part);
                let ct = part
                    .content_type()
                    .map(|c| {
                        format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")).to_ascii_lowercase()
                    })
                    .unwrap_or_default();
                let name = part.attachment_name().unwrap_or("").to_ascii_lowercase();
                if ct == "text/vcard" || ct == "text/x-vcard" || name.ends_with(".vcf") {
                    read_contentlines(&bytes, "PHOTO", held);
                }
                if ct == "text/calendar" || name.ends_with(".ics") {
                    read_contentlines(&bytes, "ATTACH", held);
                }
                held.add(&bytes);
            }
        }
    }
}

/// The base64 values of property `prop` in a vCard or iCalendar file
/// (RFC 6350 / RFC 5545 content lines, unfolded here).
fn read_contentlines(bytes: &[u8], prop: &str, held: &mut Held) {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    let unfolded = text.replace("\n ", "").replace("\n\t", "");
    for line in unfolded.lines() {
        // The value starts at the first colon outside a quoted parameter.
        let mut quoted = false;
        let Some(colon) = line.char_indices().find_map(|(i, c)| {
            if c == '"' {
                quoted = !quoted;
            }
            (c == ':' && !quoted).then_some(i)
        }) else {
            continue;
        };
        let (head, value) = (&line[..colon], &line[colon + 1..]);
        let mut params = head.split(';');
        if !params.next().is_some_and(|n| n.eq_ignore_ascii_case(prop)) {
            continue;
        }
        let params: Vec<&str> = params.collect();
        let has = |want: &str| params.iter().any(|p| p.eq_ignore_ascii_case(want));
        let base64 = has("ENCODING=b") || has("ENCODING=BASE64");
        let data = if base64 {
            value
        } else if let Some((_, d)) = value
            .split_once(";base64,")
            .filter(|_| value.starts_with("data:"))
        {
            d
        } else {
            continue;
        };
        let decoded = mail_parser::decoders::base64::base64_decode(data.trim().as_bytes())
            .unwrap_or_else(|| panic!("{prop} value that is not base64"));
        if has("FMTTYPE=message/rfc822") {
            // An embedded message, attached whole.
            held.embedded += 1;
            read_mime(&decoded, "an ATTACH value", held);
        }
        held.add(&decoded);
    }
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// An `eml` export: `.eml` files, contacts as `.vcf`, appointments as `.ics`.
fn read_eml(dir: &Path) -> Held {
    let mut held = Held::default();
    for p in files_below(dir) {
        let bytes = fs::read(&p).unwrap();
        let what = p.display().to_string();
        match p.extension().and_then(|e| e.to_str()) {
            Some("eml") => read_mime(&bytes, &what, &mut held),
            Some("vcf") => read_contentlines(&bytes, "PHOTO", &mut held),
            Some("ics") => read_contentlines(&bytes, "ATTACH", &mut held),
            _ => panic!("unexpected file in the eml export: {what}"),
        }
    }
    held
}

fn read_mbox(dir: &Path) -> Held {
    let mut held = Held::default();
    for p in files_below(dir) {
        assert_eq!(
            p.extension().and_then(|e| e.to_str()),
            Some("mbox"),
            "{}",
            p.display()
        );
        let f = fs::File::open(&p).unwrap();
        for (i, m) in mail_parser::mailbox::mbox::MessageIterator::new(f).enumerate() {
            let m = m.unwrap_or_else(|_| panic!("{}: message {i} unreadable", p.display()));
            read_mime(
                m.contents(),
                &format!("{} message {i}", p.display()),
                &mut held,
            );
        }
    }
    held
}

fn read_maildir(dir: &Path) -> Held {
    let mut held = Held::default();
    for p in files_below(dir) {
        let in_mail_dir = p
            .parent()
            .and_then(|d| d.file_name())
            .is_some_and(|n| n == "cur" || n == "new");
        if !in_mail_dir {
            assert_eq!(p.file_name().unwrap(), "maildirfolder", "{}", p.display());
            continue;
        }
        read_mime(&fs::read(&p).unwrap(), &p.display().to_string(), &mut held);
    }
    held
}

// ---------------------------------------------------------------------------
// Python: .msg through olefile, Parquet through pyarrow

/// Reads a JSON request on stdin: `msg` (export directory per sample),
/// `parquet` (likewise) and `cfb` (pffexport's files that are compound
/// files); prints per sample what the `.msg` files and `attachments.parquet`
/// hold, and each compound file's stream-tree digest.
const PY_READ: &str = r#"
import hashlib, json, os, struct, sys
import olefile, pyarrow.parquet as pq

req = json.load(sys.stdin)
ATTACH = "__attach_version1.0_#"
DATA = "__substg1.0_37010102"
OBJECT = "__substg1.0_3701000D"
PROPS = "__properties_version1.0"
METHOD_TAG = 0x37050003

def sha(b):
    return hashlib.sha256(b).hexdigest()

def tree_digest(ole, prefix):
    # (path below prefix, sha256) of every stream, sorted, hashed.
    rows = []
    for path in ole.listdir(streams=True, storages=False):
        if path[:len(prefix)] != prefix:
            continue
        rows.append("/".join(path[len(prefix):]) + "\0" + sha(ole.openstream(path).read()))
    return sha("\n".join(sorted(rows)).encode())

def method(ole, att):
    props = ole.openstream(att + [PROPS]).read()
    for at in range(8, len(props) - 15, 16):
        tag, = struct.unpack_from("<I", props, at)
        if tag == METHOD_TAG:
            return struct.unpack_from("<i", props, at + 8)[0]
    return None

def read_object(ole, base, out):
    children = set()
    for path in ole.listdir(streams=True, storages=True):
        if path[:len(base)] == base and len(path) > len(base):
            children.add(path[len(base)])
    for child in sorted(c for c in children if c.startswith(ATTACH)):
        att = base + [child]
        if ole.exists("/".join(att + [DATA])):
            out["files"].append(sha(ole.openstream(att + [DATA]).read()))
        elif ole.exists("/".join(att + [OBJECT])):
            if method(ole, att) == 5:
                out["embedded"] += 1
                read_object(ole, att + [OBJECT], out)
            else:
                out["trees"].append(tree_digest(ole, att + [OBJECT]))

res = {"msg": {}, "parquet": {}, "cfb": {}}
for sample, d in req["msg"].items():
    out = {"files": [], "trees": [], "embedded": 0}
    for root, _, files in os.walk(d):
        for f in sorted(files):
            assert f.endswith(".msg"), f
            ole = olefile.OleFileIO(os.path.join(root, f))
            read_object(ole, [], out)
            ole.close()
    res["msg"][sample] = out
for sample, d in req["parquet"].items():
    t = pq.read_table(os.path.join(d, "attachments.parquet"))
    files = []
    for data, size, digest in zip(t.column("data").to_pylist(), t.column("size").to_pylist(),
                                  t.column("sha256").to_pylist()):
        if data is not None:
            assert len(data) == size and sha(data) == digest, (size, digest)
            files.append(sha(data))
    res["parquet"][sample] = {"files": files, "trees": [],
                              "embedded": sum(1 for e in t.column("is_embedded_message").to_pylist() if e)}
for path in req["cfb"]:
    ole = olefile.OleFileIO(path)
    res["cfb"][path] = tree_digest(ole, [])
    ole.close()
json.dump(res, sys.stdout)
"#;

fn python_ready() -> bool {
    if !real::tool("python3", "python3") {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import olefile, pyarrow"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        real::skip("the Python modules olefile and pyarrow (pip install olefile pyarrow)");
    }
    ok
}

fn python_read(request: &Value) -> Value {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args(["-c", PY_READ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Python reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the Python reader")
}

fn held_of(v: &Value) -> Held {
    let bag = |v: &Value| {
        let mut b = Bag::new();
        for h in v.as_array().unwrap() {
            *b.entry(h.as_str().unwrap().to_string()).or_default() += 1;
        }
        b
    };
    Held {
        files: bag(&v["files"]),
        trees: bag(&v["trees"]),
        embedded: v["embedded"].as_u64().unwrap() as usize,
    }
}

// ---------------------------------------------------------------------------
// The test

/// Compound files start so (an OLE object's bytes as pffexport writes them).
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

struct Sample {
    name: String,
    pff: PffAttachments,
    /// Attachments of meeting items, from the library (see the top).
    meeting: usize,
    /// Per format, what the export holds (Python's formats filled later).
    held: BTreeMap<&'static str, Held>,
}

#[test]
fn every_pffexport_attachment_is_in_every_export_format() {
    if !real::tool("pffexport", "pff-tools") || !python_ready() {
        return;
    }
    let started = Instant::now();
    let all: Vec<(String, PathBuf)> = real::all()
        .into_iter()
        .filter(|(n, _)| !UNREADABLE.contains(&n.as_str()))
        .collect();
    assert!(
        all.len() >= real::min_count(18, 28),
        "only {} readable samples",
        all.len()
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut samples = Vec::new();
    let mut request = serde_json::json!({"msg": {}, "parquet": {}, "cfb": []});
    for (i, (name, path)) in all.iter().enumerate() {
        let dir = tmp.path().join(i.to_string());
        fs::create_dir(&dir).unwrap();
        let mut pff = run_pffexport(path, &dir);
        for f in &pff.files {
            if fs::read(&f.path).unwrap().starts_with(CFB_MAGIC) {
                request["cfb"]
                    .as_array_mut()
                    .unwrap()
                    .push(f.path.to_str().unwrap().into());
            }
        }
        let meeting = meeting_attachments(path, &mut pff);
        let mut held = BTreeMap::new();
        for &format in FORMATS {
            let out = dir.join(format);
            export(path, format, &out);
            match format {
                "eml" => drop(held.insert(format, read_eml(&out))),
                "mbox" => drop(held.insert(format, read_mbox(&out))),
                "maildir" => drop(held.insert(format, read_maildir(&out))),
                _ => request[format][name] = out.to_str().unwrap().into(),
            }
        }
        samples.push(Sample {
            name: name.clone(),
            pff,
            meeting,
            held,
        });
    }
    let py = python_read(&request);
    let mut problems = Vec::new();
    let mut total = BTreeMap::<&str, (usize, usize)>::new();
    for s in &mut samples {
        for format in ["msg", "parquet"] {
            s.held.insert(format, held_of(&py[format][&s.name]));
        }
        let files = s.pff.files.len();
        let nested = s.pff.files.iter().filter(|f| f.nested).count();
        let bytes: u64 = s.pff.files.iter().map(|f| f.size).sum();
        let mut line = format!(
            "{}: pffexport {files} files ({nested} inside embedded messages, {bytes} bytes), \
             {} embedded messages",
            s.name, s.pff.embedded
        );
        if s.meeting > 0 {
            line.push_str(&format!(
                " (with {} attachments of meeting items from the library)",
                s.meeting
            ));
        }
        line.push(';');
        for &format in FORMATS {
            let held = s.held.get_mut(format).unwrap();
            let (mut found, mut as_tree) = (0, 0);
            for f in &s.pff.files {
                let take = |bag: &mut Bag, key: &str| match bag.get_mut(key) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        true
                    }
                    _ => false,
                };
                // A .msg holds an OLE object as a storage: the tree of the
                // compound file pffexport writes.
                let tree = py["cfb"][f.path.to_str().unwrap()].as_str();
                if take(&mut held.files, &f.sha256) {
                    found += 1;
                } else if tree.is_some_and(|t| take(&mut held.trees, t)) {
                    found += 1;
                    as_tree += 1;
                } else {
                    problems.push(format!(
                        "{}: {format}: lost {} ({} bytes, sha256 {})",
                        s.name,
                        f.path.display(),
                        f.size,
                        f.sha256
                    ));
                }
            }
            let (want, want_embedded) = (files, s.pff.embedded);
            if held.embedded < want_embedded {
                problems.push(format!(
                    "{}: {format}: {} embedded messages, pffexport {want_embedded}",
                    s.name, held.embedded
                ));
            }
            let trees = if as_tree > 0 {
                format!(" ({as_tree} OLE objects as storages)")
            } else {
                String::new()
            };
            line.push_str(&format!(
                " {format} {found}/{want} files{trees}, {}/{want_embedded} embedded;",
                held.embedded
            ));
            let t = total.entry(format).or_default();
            t.0 += found;
            t.1 += want;
        }
        println!("{line}");
    }
    println!(
        "{} samples in {:.1?}; totals: {}",
        samples.len(),
        started.elapsed(),
        total
            .iter()
            .map(|(f, (a, b))| format!("{f} {a}/{b}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(
        problems.is_empty(),
        "{} attachment(s) lost:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The content-line reader itself, on what no sample has: a contact's
/// picture (a folded base64 `PHOTO`), and an appointment's file and
/// embedded message (`ATTACH`, the second as `message/rfc822`).
#[test]
fn photo_and_attach_values_are_read_whole() {
    let vcard = "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:PHOTO;ENCODING=b:bm90IGl0\r\n\
                 PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n SkZJRg==\r\nEND:VCARD\r\n";
    let mut held = Held::default();
    read_contentlines(vcard.as_bytes(), "PHOTO", &mut held);
    assert_eq!(held.files.len(), 1);
    assert_eq!(
        held.files.keys().next().unwrap(),
        &sha256_hex(b"\xFF\xD8\xFF\xE0\x00\x10JFIF")
    );
    let mail = "Subject: inner\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
    let b64 = |b: &[u8]| {
        // The engine pstkit does not use: a short one of the test's own.
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in b.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    };
    let ics = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n\
         ATTACH;FMTTYPE=text/plain;ENCODING=BASE64;VALUE=BINARY;X-FILENAME=\"a:b.txt\":{}\r\n\
         ATTACH;FMTTYPE=message/rfc822;ENCODING=BASE64;VALUE=BINARY:{}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n",
        b64(b"file"),
        b64(mail.as_bytes())
    );
    let mut held = Held::default();
    read_contentlines(ics.as_bytes(), "ATTACH", &mut held);
    assert_eq!(held.embedded, 1);
    for want in [&b"file"[..], b"hello\r\n", mail.as_bytes()] {
        assert_eq!(held.files.get(&sha256_hex(want)), Some(&1), "{want:?}");
    }
}
