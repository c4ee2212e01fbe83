//! `pstkit binding`: show, verify and set the mailbox an OST is bound to.

use std::path::{Path, PathBuf};

use pstkit::ndb::{CryptMethod, FileKind, NdbFile};
use pstkit::store::binding::{compare, BindingInfo, BindingRecord};
use pstkit::store::write::{Replace, WriterOptions};
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
/// atomically with `--in-place`, keeping the original as a backup that is
/// created exclusively and never replaces another).
pub fn set(
    path: &Path,
    server: &str,
    mailbox: &str,
    profile: Option<&str>,
    out: Option<&Path>,
    in_place: bool,
    replace: Replace,
) -> anyhow::Result<u8> {
    let dest: PathBuf = match (out, in_place) {
        (Some(o), false) => {
            if pstkit_output::same_file(o, path) {
                anyhow::bail!(
                    "--out {} is the file itself; use --in-place to rebind it (a backup is kept)",
                    o.display()
                );
            }
            crate::sweep_beside(o);
            pstkit_output::check_destination(o, replace, &[path])?;
            o.to_path_buf()
        }
        (None, true) => {
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                anyhow::bail!(
                    "{} is a symbolic link; rebind the file it points to instead",
                    path.display()
                );
            }
            crate::sweep_beside(path);
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
            // The in-place copy's name is ours: one a killed run left is
            // replaced.
            replace: if in_place {
                Replace::RegularFile
            } else {
                replace
            },
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
        let bak = match keep_backup(path) {
            Ok(b) => b,
            Err(e) => {
                let _ = std::fs::remove_file(&dest);
                return Err(e);
            }
        };
        // One rename: the file is either the old one or the rebound one.
        std::fs::rename(&dest, path)?;
        eprintln!(
            "{}: bound to {mailbox} on {server} ({} items); the original is kept as {}",
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

/// Keeps the original of `path` under the first free name of `FILE.bak`,
/// `FILE.bak.1`, `FILE.bak.2`, …: a hard link (or a copy where links are not
/// possible), created exclusively, so an existing backup, file or link of
/// that name is never replaced or written through.
fn keep_backup(path: &Path) -> anyhow::Result<PathBuf> {
    for n in 0..1000u32 {
        let mut name = path.as_os_str().to_owned();
        name.push(".bak");
        if n > 0 {
            name.push(format!(".{n}"));
        }
        let bak = PathBuf::from(name);
        if std::fs::symlink_metadata(&bak).is_ok() {
            continue;
        }
        match std::fs::hard_link(path, &bak) {
            Ok(()) => return Ok(bak),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => {}
        }
        // No hard links here (another file system, say): copy into a file
        // created exclusively.
        let created = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&bak);
        match created {
            Ok(mut f) => {
                let copied = std::fs::File::open(path)
                    .and_then(|mut src| std::io::copy(&mut src, &mut f))
                    .and_then(|_| f.sync_all());
                if let Err(e) = copied {
                    let _ = std::fs::remove_file(&bak);
                    anyhow::bail!("cannot keep a backup at {}: {e}", bak.display());
                }
                return Ok(bak);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => anyhow::bail!("cannot keep a backup at {}: {e}", bak.display()),
        }
    }
    anyhow::bail!("no free backup name beside {}", path.display())
}
