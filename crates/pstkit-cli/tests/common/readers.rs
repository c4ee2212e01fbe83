//! Runs the independent readers (libpff's `pffexport`, libpst's `readpst`)
//! and reads back what they wrote, for `oracle_readers.rs`.
//!
//! Both tools are run once per sample, into a fresh temporary directory.
//! What each writes, and how to read it, is described in the research notes
//! this test was built from; the parts that matter are repeated here.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether both readers are installed; when not, one line (or, under
/// `PSTKIT_REQUIRE_ALL=1`, a failure) says which are missing.
pub fn installed() -> bool {
    pstkit_fixtures::real::tools(&[("pffexport", "pff-tools"), ("readpst", "pst-utils")])
}

/// Runs `tool args…`; a missing tool fails the test with a message saying
/// what to install, instead of a bare "No such file or directory".
pub fn run_tool(tool: &str, package: &str, args: &[&OsStr]) -> Output {
    match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "the oracle test needs `{tool}` on PATH (Debian package `{package}`: \
             apt-get install {package}); it was not found"
        ),
        Err(e) => panic!("could not run `{tool}`: {e}"),
    }
}

// ---------------------------------------------------------------------------
// pffexport

/// Item directories are `<Kind><5-digit 1-based index>`; anything else
/// (except `Attachments`) is a folder.
pub const PFF_ITEM_KINDS: &[&str] = &[
    "Message",
    "Contact",
    "Appointment",
    "Meeting",
    "Task",
    "Note",
    "Activity",
    "DistributionList",
];

/// Splits `Message00012` into ("Message", 12).
pub fn pff_item_dir(name: &str) -> Option<(&'static str, usize)> {
    for &kind in PFF_ITEM_KINDS {
        if let Some(num) = name.strip_prefix(kind) {
            if num.len() == 5 && num.bytes().all(|b| b.is_ascii_digit()) {
                return Some((kind, num.parse().unwrap()));
            }
        }
    }
    None
}

/// One exported item.
#[derive(Debug, Clone)]
pub struct PffItem {
    /// `Message`, `Contact`, …
    pub kind: &'static str,
    /// The item directory.
    pub dir: PathBuf,
    /// The `Subject:` line of the header file: `None` when the line is
    /// missing (no PidTagSubject), `Some("")` when it is there but empty.
    pub subject: Option<String>,
}

/// One exported folder: its items by 1-based index.
#[derive(Debug, Default)]
pub struct PffFolder {
    pub items: BTreeMap<usize, PffItem>,
}

/// `Skipped item N out of M of type: CLASS.` from pffexport's stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PffSkip {
    pub index: usize,
    pub of: usize,
    pub class: String,
}

/// What `pffexport -m items` wrote.
#[derive(Debug, Default)]
pub struct PffExport {
    /// Folder path below `x.export` (components joined by `/`) → folder.
    pub folders: BTreeMap<String, PffFolder>,
    pub skipped: Vec<PffSkip>,
    /// stdout lines that are neither banner nor skip notices.
    pub unexpected_stdout: Vec<String>,
    pub stderr: String,
}

/// `pffexport -q -m items -f text [-c CODEPAGE] -t <tmp>/x FILE`.
pub fn pffexport(file: &Path, codepage: Option<&str>, tmp: &Path) -> PffExport {
    let target = tmp.join("x");
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("-q"),
        OsStr::new("-m"),
        OsStr::new("items"),
        OsStr::new("-f"),
        OsStr::new("text"),
    ];
    if let Some(cp) = codepage {
        args.push(OsStr::new("-c"));
        args.push(OsStr::new(cp));
    }
    args.push(OsStr::new("-t"));
    args.push(target.as_os_str());
    args.push(file.as_os_str());
    let out = run_tool("pffexport", "pff-tools", &args);
    assert!(
        out.status.success(),
        "pffexport failed on {}: {}\n{}",
        file.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut export = PffExport {
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        ..PffExport::default()
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(skip) = parse_skip(line) {
            export.skipped.push(skip);
        } else if !(line.is_empty()
            || line.starts_with("pffexport ")
            || line == "Opening file."
            || line == "Exporting items."
            || line == "Export completed.")
        {
            export.unexpected_stdout.push(line.to_string());
        }
    }
    let root = tmp.join("x.export");
    assert!(root.is_dir(), "pffexport wrote no {}", root.display());
    walk_pff(&root, &mut Vec::new(), &mut export.folders);
    export
}

fn parse_skip(line: &str) -> Option<PffSkip> {
    let rest = line.strip_prefix("Skipped item ")?;
    let (index, rest) = rest.split_once(" out of ")?;
    let (of, rest) = rest.split_once(" of type: ")?;
    Some(PffSkip {
        index: index.parse().ok()?,
        of: of.parse().ok()?,
        class: rest.strip_suffix('.')?.to_string(),
    })
}

fn utf8_name(name: &OsStr, at: &Path) -> String {
    name.to_str()
        .unwrap_or_else(|| panic!("pffexport wrote a non-UTF-8 name in {}", at.display()))
        .to_string()
}

fn walk_pff(dir: &Path, path: &mut Vec<String>, out: &mut BTreeMap<String, PffFolder>) {
    let mut folder = PffFolder::default();
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if !e.file_type().unwrap().is_dir() {
            continue;
        }
        let name = utf8_name(&e.file_name(), dir);
        match pff_item_dir(&name) {
            Some((kind, index)) => {
                let item = read_pff_item(kind, &e.path());
                assert!(folder.items.insert(index, item).is_none());
            }
            None => {
                path.push(name);
                walk_pff(&e.path(), path, out);
                path.pop();
            }
        }
    }
    if !path.is_empty() {
        out.insert(path.join("/"), folder);
    }
}

/// Reads the kind and subject of an item directory.
pub fn read_pff_item(kind: &'static str, dir: &Path) -> PffItem {
    let header = if kind == "Message" {
        dir.join("OutlookHeaders.txt")
    } else {
        dir.join(format!("{kind}.txt"))
    };
    let bytes = fs::read(&header)
        .unwrap_or_else(|e| panic!("pffexport item without {}: {e}", header.display()));
    let text =
        String::from_utf8(bytes).unwrap_or_else(|_| panic!("{} is not UTF-8", header.display()));
    let subject = text
        .split('\n')
        .find_map(|l| l.strip_prefix("Subject:"))
        .map(|v| v.trim_start_matches('\t').to_string());
    PffItem {
        kind,
        dir: dir.to_path_buf(),
        subject,
    }
}

/// The sole item directory inside an embedded-message attachment directory
/// (`Attachments/Attachment00001/Message00001`).
pub fn pff_embedded_item(att_dir: &Path) -> Option<PffItem> {
    let mut found = None;
    for e in fs::read_dir(att_dir).ok()? {
        let e = e.unwrap();
        let name = utf8_name(&e.file_name(), att_dir);
        if let Some((kind, _)) = pff_item_dir(&name) {
            assert!(found.is_none(), "two items in {}", att_dir.display());
            found = Some(read_pff_item(kind, &e.path()));
        }
    }
    found
}

/// One entry of an item's `Attachments/` directory.
#[derive(Debug)]
pub enum PffAttachment {
    /// `<n>_<name>`: the raw attachment bytes.
    File { name: String, path: PathBuf },
    /// `Attachment<nnnnn>/`: an embedded message, exported as an item dir.
    Embedded { dir: PathBuf },
}

/// The entries of `<item>/Attachments/` by 1-based attachment number.
/// The number in `<n>_<name>` is zero-padded to the width of the count.
pub fn pff_attachments(item_dir: &Path) -> BTreeMap<usize, PffAttachment> {
    let mut out = BTreeMap::new();
    let dir = item_dir.join("Attachments");
    let Ok(rd) = fs::read_dir(&dir) else {
        return out;
    };
    for e in rd {
        let e = e.unwrap();
        let name = utf8_name(&e.file_name(), &dir);
        let (n, att) = if e.file_type().unwrap().is_dir() {
            let n = name
                .strip_prefix("Attachment")
                .filter(|n| n.len() == 5)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected directory {}", e.path().display()));
            (n, PffAttachment::Embedded { dir: e.path() })
        } else {
            let (num, rest) = name
                .split_once('_')
                .unwrap_or_else(|| panic!("unexpected file {}", e.path().display()));
            let n = num
                .parse()
                .unwrap_or_else(|_| panic!("unexpected file {}", e.path().display()));
            (
                n,
                PffAttachment::File {
                    name: rest.to_string(),
                    path: e.path(),
                },
            )
        };
        assert!(
            out.insert(n, att).is_none(),
            "attachment {n} twice in {}",
            dir.display()
        );
    }
    out
}

/// What pffexport does to a folder or file name before creating it
/// (`libcpath_path_sanitize_filename` of the libcpath bundled with libpff
/// 20180714): control characters 0x01–0x1F, `/ \ ! $ % & * + : ; < > ? @ | ~`
/// and 0x7F become `_`. Nothing else is changed (no truncation on Unix).
pub fn pff_sanitize(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '\u{1}'..='\u{1f}'
            | '/'
            | '\\'
            | '!'
            | '$'
            | '%'
            | '&'
            | '*'
            | '+'
            | ':'
            | ';'
            | '<'
            | '>'
            | '?'
            | '@'
            | '|'
            | '~'
            | '\u{7f}' => '_',
            c => c,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// readpst

/// One `.eml` readpst wrote.
#[derive(Debug, Clone)]
pub struct RpMail {
    pub file: String,
    /// The decoded `Subject:` (RFC 2047 and folding undone by mail-parser,
    /// which also drops trailing white space); readpst always writes the
    /// header, so no subject reads as "".
    pub subject: String,
    /// The attachment parts: libpst writes each attachment with a
    /// `Content-Disposition` header (attachment, or inline without a file
    /// name), and its bodies and its own calendar part without one; embedded
    /// messages (message/rfc822) are left out. (file name or ""; bytes)
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// What `readpst -e` wrote.
#[derive(Debug, Default)]
pub struct ReadpstOut {
    /// The single top directory (named after the store), if any.
    pub top: Option<String>,
    /// Folder path below the top directory ("" = the top itself) → mails.
    pub mails: BTreeMap<String, Vec<RpMail>>,
    /// Folder path → extension (`ics`, `vcf`, …) → number of other files
    /// (only counted: readpst's contacts carry no subject).
    pub other_files: BTreeMap<String, BTreeMap<String, usize>>,
    pub stderr: String,
}

/// `readpst -j 0 -e -D -b -q -o DIR FILE`. readpst decodes the 8-bit names
/// of an ANSI file as ISO-8859-1 (byte = code point) whatever the file's
/// code page; `ansi`
/// (for the samples in another code page) undoes that: the name is turned
/// back into its bytes and decoded in the right encoding.
pub fn readpst(
    file: &Path,
    tmp: &Path,
    ansi: Option<&'static encoding_rs::Encoding>,
) -> ReadpstOut {
    let dir = tmp.join("readpst");
    fs::create_dir(&dir).unwrap();
    let args: Vec<&OsStr> = ["-j", "0", "-e", "-D", "-b", "-q", "-o"]
        .iter()
        .map(OsStr::new)
        .chain([dir.as_os_str(), file.as_os_str()])
        .collect();
    let out = run_tool("readpst", "pst-utils", &args);
    assert!(
        out.status.success(),
        "readpst failed on {}: {}\n{}",
        file.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut res = ReadpstOut {
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        ..ReadpstOut::default()
    };
    let tops: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap()).collect();
    assert!(
        tops.len() <= 1,
        "readpst wrote {} top directories",
        tops.len()
    );
    if let Some(top) = tops.first() {
        res.top = Some(rp_name(&top.file_name(), ansi));
        walk_rp(&top.path(), &mut Vec::new(), &mut res, ansi);
    }
    res
}

/// A name readpst wrote (UTF-8), re-decoded in `ansi` when given.
pub fn rp_name(name: &OsStr, ansi: Option<&'static encoding_rs::Encoding>) -> String {
    let s = std::str::from_utf8(name.as_bytes())
        .unwrap_or_else(|_| panic!("readpst wrote a non-UTF-8 name {name:?}"));
    let Some(enc) = ansi else {
        return s.to_string();
    };
    let bytes: Vec<u8> = s
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<_>>()
        .unwrap_or_else(|| panic!("readpst name {s:?} is not an ISO-8859-1 decoding"));
    let (text, _, bad) = enc.decode(&bytes);
    assert!(
        !bad,
        "readpst name {s:?} is not {} once re-encoded",
        enc.name()
    );
    text.into_owned()
}

fn walk_rp(
    dir: &Path,
    path: &mut Vec<String>,
    res: &mut ReadpstOut,
    ansi: Option<&'static encoding_rs::Encoding>,
) {
    let key = path.join("/");
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = rp_name(&e.file_name(), ansi);
        if e.file_type().unwrap().is_dir() {
            path.push(name);
            walk_rp(&e.path(), path, res, ansi);
            path.pop();
        } else if name.ends_with(".eml") {
            let raw = fs::read(e.path()).unwrap();
            let msg = mail_parser::MessageParser::default()
                .parse(&raw[..])
                .unwrap_or_else(|| panic!("mail-parser cannot read {}", e.path().display()));
            use mail_parser::MimeHeaders;
            let attachments = msg
                .parts
                .iter()
                .filter(|p| p.content_disposition().is_some() && !p.is_message())
                .map(|p| {
                    let name = p.attachment_name().unwrap_or("").to_string();
                    (name, p.contents().to_vec())
                })
                .collect();
            res.mails.entry(key.clone()).or_default().push(RpMail {
                file: name,
                subject: msg.subject().unwrap_or("").to_string(),
                attachments,
            });
        } else {
            let ext = name
                .rsplit_once('.')
                .map(|(_, e)| e)
                .unwrap_or("")
                .to_string();
            *res.other_files
                .entry(key.clone())
                .or_default()
                .entry(ext)
                .or_default() += 1;
        }
    }
}

/// What readpst does to a folder name before creating it (`check_filename`
/// in libpst 0.6.76's readpst.c): `/`, `\` and `:` become `_`.
pub fn rp_sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// What `readpst -e` writes an item of this class as, after libpst 0.6.76's
/// `pst_parse_item` (case-insensitive prefixes): `IPM.Note*`, the bare `IPM`,
/// `REPORT.IPM.Note*` and `IPM.Schedule.Meeting*` as mail (`eml`);
/// `IPM.Contact*` as a vCard (`vcf`); `IPM.Appointment*` and
/// `IPM.Activity*` (journal) as iCalendar (`ics`). Anything else (tasks,
/// sticky notes, distribution lists, `IPM.Post`, …) is not written at all.
pub fn readpst_output(class: &str) -> Option<&'static str> {
    let c = class.to_ascii_lowercase();
    if c.starts_with("ipm.note")
        || c == "ipm"
        || c.starts_with("report.ipm.note")
        || c.starts_with("ipm.schedule.meeting")
    {
        Some("eml")
    } else if c.starts_with("ipm.contact") {
        Some("vcf")
    } else if c.starts_with("ipm.appointment") || c.starts_with("ipm.activity") {
        Some("ics")
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Item counts, for damaged files and their copies

/// How long a reader may take on one file before it counts as hung.
pub const READER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `program` with `args` under `timeout(1)`; `None` when it ran out
/// of time.
pub fn run_limited(program: &str, args: &[&std::ffi::OsStr]) -> Option<std::process::Output> {
    let out = Command::new("timeout")
        .arg(READER_TIMEOUT.as_secs().to_string())
        .arg(program)
        .args(args)
        .output()
        .expect("run timeout(1)");
    (out.status.code() != Some(124)).then_some(out)
}

/// The items `readpst -j 0 -e -D -b -q` writes for `file`, one file each
/// (`.eml` for mail, `.vcf` for contacts, `.ics` for calendar, tasks and
/// journal). What it wrote before failing on a damaged file counts.
pub fn readpst_items(file: &Path, dir: &Path) -> usize {
    std::fs::create_dir_all(dir).unwrap();
    let args: Vec<&std::ffi::OsStr> = ["-j", "0", "-e", "-D", "-b", "-q", "-o"]
        .iter()
        .map(|a| a.as_ref())
        .chain([dir.as_os_str(), file.as_os_str()])
        .collect();
    let _ = run_limited("readpst", &args);
    let n = count_with_extension(dir, &["eml", "vcf", "ics"]);
    let _ = std::fs::remove_dir_all(dir);
    n
}

/// An item directory of `pffexport`: `Message00001`, `Contact00002`,
/// `Appointment00003`, … (not `FolderNNNNN` nor an attachment's
/// `AttachmentNNNNN`).
pub fn is_pff_item(name: &str) -> bool {
    let b = name.as_bytes();
    let digits = b.len().saturating_sub(5);
    b.len() > 5
        && b[digits..].iter().all(|c| c.is_ascii_digit())
        && b[..digits].iter().all(|c| c.is_ascii_alphabetic())
        && !name.starts_with("Folder")
        && !name.starts_with("Attachment")
}

/// The item directories under `dir`, not looking into items (an embedded
/// message is part of its item).
pub fn count_pff_items(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if is_pff_item(&name) {
            n += 1;
        } else {
            n += count_pff_items(&e.path());
        }
    }
    n
}

/// What `pffexport -q -m all -f text -t BASE FILE` exports: the items of
/// the folder tree and the orphans (`BASE.export`, `BASE.orphans`), and
/// those it recovered by scanning (`BASE.recovered`), counted apart. What
/// it wrote before failing counts.
pub fn pff_items(file: &Path, base: &Path) -> (usize, usize) {
    let args: Vec<&std::ffi::OsStr> = ["-q", "-m", "all", "-f", "text", "-t"]
        .iter()
        .map(|a| a.as_ref())
        .chain([base.as_os_str(), file.as_os_str()])
        .collect();
    let _ = run_limited("pffexport", &args);
    let dir = |suffix: &str| {
        let mut p = base.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let live = count_pff_items(&dir(".export")) + count_pff_items(&dir(".orphans"));
    let recovered = count_pff_items(&dir(".recovered"));
    for s in [".export", ".orphans", ".recovered"] {
        let _ = std::fs::remove_dir_all(dir(s));
    }
    (live, recovered)
}

/// Files below `dir` whose extension is one of `exts`.
fn count_with_extension(dir: &Path, exts: &[&str]) -> usize {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                count_with_extension(&p, exts)
            } else {
                usize::from(p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)))
            }
        })
        .sum()
}
