//! `pstkit binding`: show, verify and set the mailbox an OST is bound to.

use std::path::{Path, PathBuf};

use pstkit::ndb::{CryptMethod, FileKind, NdbFile};
use pstkit::store::binding::{compare, BindingInfo, BindingRecord};
use pstkit::store::write::WriterOptions;
use pstkit::store::Store;
use pstkit_copy::{convert, ConvertOptions};
use serde_json::json;

use crate::convert::binding_of;

/// Exit status when the file is bound to another account.
pub const EXIT_OTHER_MAILBOX: u8 = 3;
/// Exit status when the binding cannot be told (damaged or absent record).
pub const EXIT_UNKNOWN: u8 = 4;

fn info_json(path: &Path, kind: FileKind, b: &BindingInfo) -> serde_json::Value {
    let record = match &b.record {
        BindingRecord::Absent => json!({"state": "absent"}),
        BindingRecord::Damaged(why) => json!({"state": "damaged", "reason": why}),
        BindingRecord::Valid(r) => json!({
            "state": "valid",
            "server": r.server,
            "mailbox": r.mailbox,
            "profile": r.profile,
            "mailbox_guid": r.mailbox_guid.to_string(),
        }),
    };
    json!({
        "file": path.display().to_string(),
        "kind": kind.name(),
        "mailbox_guid": b.mailbox_guid.map(|g| g.to_string()),
        "record_key": b.record_key.as_ref().map(|k| k.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        "record": record,
    })
}

/// Prints what a file says about its mailbox.
pub fn show(path: &Path, as_json: bool) -> anyhow::Result<u8> {
    let file = NdbFile::open(path)?;
    let store = Store::open(file.ndb())?;
    let b = BindingInfo::read(&store);
    let v = info_json(path, file.header().kind, &b);
    if as_json {
        println!("{v}");
        return Ok(0);
    }
    println!("file:          {}", path.display());
    println!("kind:          {}", file.header().kind.name());
    println!(
        "mailbox GUID:  {}",
        b.mailbox_guid.map_or("(none)".into(), |g| g.to_string())
    );
    match &b.record {
        BindingRecord::Absent => println!(
            "binding:       no pstkit binding record (Outlook keeps server and mailbox in the profile)"
        ),
        BindingRecord::Damaged(why) => println!("binding:       DAMAGED: {why}"),
        BindingRecord::Valid(r) => {
            println!("server:        {}", r.server);
            println!("mailbox:       {}", r.mailbox);
            println!("profile:       {}", r.profile.as_deref().unwrap_or("(any)"));
        }
    }
    Ok(0)
}

/// Says whether the file belongs to an account, and which fields differ.
pub fn verify(
    path: &Path,
    server: &str,
    mailbox: &str,
    profile: Option<&str>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let file = NdbFile::open(path)?;
    let store = Store::open(file.ndb())?;
    let b = BindingInfo::read(&store);
    let sentence = format!(
        "The file {} cannot be accessed because it has been configured for use with a different mailbox.",
        path.display()
    );
    let (code, diffs, reason) = match &b.record {
        BindingRecord::Valid(r) => {
            let d = compare(r, server, mailbox, profile);
            (if d.is_empty() { 0 } else { EXIT_OTHER_MAILBOX }, d, None)
        }
        BindingRecord::Damaged(why) => (EXIT_UNKNOWN, Vec::new(), Some(format!("binding record is damaged: {why}"))),
        BindingRecord::Absent => (
            EXIT_UNKNOWN,
            Vec::new(),
            Some(format!(
                "no binding record: the file names only mailbox GUID {}; Outlook keeps the server and mailbox in the profile",
                b.mailbox_guid.map_or("(none)".into(), |g| g.to_string())
            )),
        ),
    };
    if as_json {
        println!(
            "{}",
            json!({
                "file": path.display().to_string(),
                "matches": code == 0,
                "message": (code == EXIT_OTHER_MAILBOX).then_some(&sentence),
                "reason": reason,
                "differences": diffs.iter().map(|d| json!({"field": d.field, "expected": d.expected, "found": d.found})).collect::<Vec<_>>(),
            })
        );
    } else if code == 0 {
        println!("{}: bound to {mailbox} on {server}", path.display());
    } else if code == EXIT_OTHER_MAILBOX {
        println!("{sentence}");
        for d in &diffs {
            println!(
                "  {}: the account has {:?}, the file {:?}",
                d.field, d.expected, d.found
            );
        }
    } else if let Some(r) = reason {
        println!("{}: {r}", path.display());
    }
    Ok(code)
}

/// Writes a copy of `path` bound to another account (or replaces `path`
/// atomically with `--in-place`, keeping the original as `.bak`).
pub fn set(
    path: &Path,
    server: &str,
    mailbox: &str,
    profile: Option<&str>,
    out: Option<&Path>,
    in_place: bool,
) -> anyhow::Result<u8> {
    let dest: PathBuf = match (out, in_place) {
        (Some(o), false) => o.to_path_buf(),
        (None, true) => {
            let mut t = path.as_os_str().to_owned();
            t.push(".rebinding");
            PathBuf::from(t)
        }
        (Some(_), true) => anyhow::bail!("--out and --in-place exclude each other"),
        (None, false) => anyhow::bail!("give --out FILE for the rebound copy, or --in-place"),
    };
    let file = NdbFile::open(path)?;
    let store = Store::open(file.ndb())?;
    let opts = ConvertOptions {
        writer: WriterOptions {
            kind: FileKind::Ost,
            format: file.header().format,
            crypt: match file.header().crypt {
                CryptMethod::Edp => CryptMethod::Permute,
                c => c,
            },
            display_name: String::new(),
            ..WriterOptions::default()
        },
        binding: binding_of(Some(server), Some(mailbox), profile)?,
        salvage: false,
        rebuild: false,
    };
    let summary = convert(&store, &dest, &opts, &mut |_| {})?;
    drop(store);
    drop(file);
    if in_place {
        let mut bak = path.as_os_str().to_owned();
        bak.push(".bak");
        let bak = PathBuf::from(bak);
        std::fs::hard_link(path, &bak)
            .or_else(|_| std::fs::copy(path, &bak).map(|_| ()))
            .map_err(|e| anyhow::anyhow!("cannot keep a backup at {}: {e}", bak.display()))?;
        // One rename: the file is either the old one or the rebound one.
        std::fs::rename(&dest, path)?;
        eprintln!(
            "{}: bound to {mailbox} on {server} ({} items); original kept as {}",
            path.display(),
            summary.items,
            bak.display()
        );
    } else {
        eprintln!(
            "{}: bound to {mailbox} on {server} ({} items)",
            dest.display(),
            summary.items
        );
    }
    Ok(0)
}
