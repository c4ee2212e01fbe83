//! `pstkit binding`: show, verify and set the mailbox an OST is bound to.
//!
//! An OST that Outlook made carries its mailbox's GUID (see
//! `pstkit::store::identity`); Outlook's profile names the mailbox it opens
//! (see `pstkit::store::profile`). `verify` compares the two, or the file
//! with a GUID an Exchange administrator reads with `Get-Mailbox … | fl
//! ExchangeGuid`, or pstkit's own binding record with a server and mailbox.

use std::io::Read;
use std::path::{Path, PathBuf};

use pstkit::ndb::{CryptMethod, FileKind, NdbFile};
use pstkit::store::binding::{compare, BindingInfo, BindingRecord};
use pstkit::store::identity::{
    hex, Documentation, FileMailbox, Identity, IdentityValue, StoreIdentity,
};
use pstkit::store::profile::{read_profile, Account, ProfileReport};
use pstkit::store::regfile;
use pstkit::store::write::Replace;
use pstkit::store::{Guid, Store};
use pstkit_copy::{convert, ConvertOptions};
use serde_json::json;

use crate::convert::binding_of;

/// Exit status when the file is bound to another account.
pub const EXIT_OTHER_MAILBOX: u8 = 3;
/// Exit status when the binding cannot be told (damaged or absent record).
pub const EXIT_UNKNOWN: u8 = 4;

/// Outlook's message for an OST of another mailbox (Microsoft support
/// article 289995).
fn outlook_sentence(path: &Path) -> String {
    format!(
        "The file {} cannot be accessed because it has been configured for use with a different mailbox.",
        path.display()
    )
}

fn documentation_text(d: Documentation) -> &'static str {
    match d {
        Documentation::Documented => "documented",
        Documentation::NameOnly => "published name, meaning undocumented",
        Documentation::LayoutOnly => "no published name, layout documented",
        Documentation::Undocumented => "undocumented",
    }
}

fn value_json(v: &IdentityValue) -> serde_json::Value {
    match v {
        IdentityValue::Guid(g) => json!({"kind": "guid", "value": g.to_string()}),
        IdentityValue::FolderEntryId(f) => json!({
            "kind": "folder_entry_id",
            "value": {
                "flags": hex(&f.flags),
                "provider_uid": f.provider_uid.to_string(),
                "folder_type": f.folder_type,
                "folder_type_name": f.folder_type_name(),
                "database_guid": f.database_guid.to_string(),
                "global_counter": hex(&f.global_counter),
                "pad": hex(&f.pad),
            },
        }),
        IdentityValue::AbEntryId(a) => json!({
            "kind": "address_book_entry_id",
            "value": {"type": a.object_type, "dn": a.dn},
        }),
        IdentityValue::Text(s) => json!({"kind": "text", "value": s}),
        IdentityValue::Strings(v) => json!({"kind": "strings", "value": v}),
        IdentityValue::Integer(i) => json!({"kind": "integer", "value": i}),
        IdentityValue::Boolean(b) => json!({"kind": "boolean", "value": b}),
        IdentityValue::Bytes(b) => json!({"kind": "bytes", "value": hex(b)}),
    }
}

fn identity_json(i: &Identity) -> serde_json::Value {
    json!({
        "tag": format!("0x{:08X}", i.tag.0),
        "label": i.label,
        "name": i.name,
        "documentation": i.documentation.word(),
        "source": i.source,
        "value": value_json(&i.value),
    })
}

/// The value lines of one identity, indented.
fn value_lines(v: &IdentityValue, file_guid: Option<Guid>) -> Vec<String> {
    match v {
        IdentityValue::Guid(g) => vec![g.to_string()],
        IdentityValue::FolderEntryId(f) => {
            let mailbox = if Some(f.provider_uid) == file_guid && f.folder_type == 1 {
                "  (for a private mailbox: its MailboxGuid)"
            } else {
                ""
            };
            vec![
                format!("Flags          {}", hex(&f.flags)),
                format!("Provider UID   {}{mailbox}", f.provider_uid),
                format!(
                    "FolderType     0x{:04X} {}",
                    f.folder_type,
                    f.folder_type_name()
                ),
                format!("DatabaseGuid   {}", f.database_guid),
                format!("GlobalCounter  {}", hex(&f.global_counter)),
                format!("Pad            {}", hex(&f.pad)),
            ]
        }
        IdentityValue::AbEntryId(a) => vec![format!("X500 DN {} (type {})", a.dn, a.object_type)],
        IdentityValue::Text(s) => vec![format!("{s:?}")],
        IdentityValue::Strings(v) => v.iter().map(|s| format!("{s:?}")).collect(),
        IdentityValue::Integer(i) => vec![i.to_string()],
        IdentityValue::Boolean(b) => vec![b.to_string()],
        IdentityValue::Bytes(b) => vec![format!("{} ({} bytes)", hex(b), b.len())],
    }
}

fn mailbox_summary(id: &StoreIdentity) -> String {
    let sources = id
        .guid_sources
        .iter()
        .map(|s| s.source.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match id.mailbox() {
        FileMailbox::None => "(none)".into(),
        FileMailbox::Agreed(g) if id.guid_sources.len() > 1 => {
            format!("{g} (from {sources}: they agree)")
        }
        FileMailbox::Agreed(g) => format!("{g} (from {sources})"),
        FileMailbox::Disagree => format!(
            "DISAGREE: {}",
            id.guid_sources
                .iter()
                .map(|s| format!("{} has {}", s.source, s.guid))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn info_json(
    path: &Path,
    kind: FileKind,
    b: &BindingInfo,
    id: &StoreIdentity,
) -> serde_json::Value {
    let record = match &b.record {
        BindingRecord::Absent => json!({"state": "absent"}),
        BindingRecord::Damaged(why) => json!({
            "state": "damaged",
            "reason": why.to_string(),
            "offset": why.offset(),
        }),
        BindingRecord::Valid(r) => json!({
            "state": "valid",
            "server": r.server,
            "mailbox": r.mailbox,
            "profile": r.profile,
            "mailbox_guid": r.mailbox_guid.to_string(),
        }),
    };
    let agreed = match id.mailbox() {
        FileMailbox::Agreed(g) => Some(g),
        _ => None,
    };
    json!({
        "file": path.display().to_string(),
        "kind": kind.name(),
        "mailbox_guid": agreed.or(b.mailbox_guid).map(|g| g.to_string()),
        "mailbox_guid_sources": id.guid_sources.iter().map(|s| json!({"source": s.source, "guid": s.guid.to_string()})).collect::<Vec<_>>(),
        "mailbox_guids_agree": match id.mailbox() {
            FileMailbox::None => None,
            FileMailbox::Agreed(_) => Some(true),
            FileMailbox::Disagree => Some(false),
        },
        "record_key": b.record_key.as_ref().map(|k| hex(k)),
        "record": record,
        "identities": id.identities.iter().map(identity_json).collect::<Vec<_>>(),
    })
}

/// Prints what a file says about its mailbox.
pub fn show(path: &Path, as_json: bool) -> anyhow::Result<u8> {
    let file = NdbFile::open(path)?;
    let store = Store::open(file.ndb())?;
    let b = BindingInfo::read(&store);
    let id = StoreIdentity::read(&store);
    if as_json {
        println!("{}", info_json(path, file.header().kind, &b, &id));
        return Ok(0);
    }
    println!("file:          {}", path.display());
    println!("kind:          {}", file.header().kind.name());
    println!("mailbox GUID:  {}", mailbox_summary(&id));
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
    if id.identities.is_empty() {
        return Ok(0);
    }
    let file_guid = match id.mailbox() {
        FileMailbox::Agreed(g) => Some(g),
        _ => None,
    };
    println!("store properties (name and meaning where public sources give them):");
    for i in &id.identities {
        let name = i.name.map(|n| format!("{n}; ")).unwrap_or_default();
        println!(
            "  0x{:08X}  {} ({name}{})",
            i.tag.0,
            i.label,
            documentation_text(i.documentation)
        );
        for line in value_lines(&i.value, file_guid) {
            println!("                {line}");
        }
        println!("                source: {}", i.source);
    }
    Ok(0)
}

/// What `binding verify` compares the file with.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyArgs<'a> {
    /// pstkit's record: the Exchange server.
    pub server: Option<&'a str>,
    /// pstkit's record: the mailbox address.
    pub mailbox: Option<&'a str>,
    /// pstkit's record: the Outlook profile name (compared when given).
    pub profile_name: Option<&'a str>,
    /// The mailbox's GUID (Exchange's ExchangeGuid).
    pub mailbox_guid: Option<&'a str>,
    /// A regedit export of the Outlook profile's key.
    pub profile: Option<&'a Path>,
}

const MODES: &str =
    "give one of: --server and --mailbox (pstkit's binding record), --mailbox-guid GUID, or --profile PROFILE.reg";

/// Says whether the file belongs to an account, and which fields differ.
pub fn verify(path: &Path, a: &VerifyArgs<'_>, as_json: bool) -> anyhow::Result<u8> {
    let record = a.server.is_some() || a.mailbox.is_some() || a.profile_name.is_some();
    let modes = usize::from(record)
        + usize::from(a.mailbox_guid.is_some())
        + usize::from(a.profile.is_some());
    if modes != 1 {
        anyhow::bail!("{MODES}");
    }
    if let Some(text) = a.mailbox_guid {
        let want: Guid = text.parse()?;
        return verify_guid(path, want, as_json);
    }
    if let Some(reg) = a.profile {
        let report = read_profile_file(reg)?;
        return verify_profile(path, reg, &report, as_json);
    }
    match (a.server, a.mailbox) {
        (Some(server), Some(mailbox)) => {
            verify_record(path, server, mailbox, a.profile_name, as_json)
        }
        _ => anyhow::bail!("--server and --mailbox go together ({MODES})"),
    }
}

/// Reads and parses a profile export, within the parser's size limit.
fn read_profile_file(reg: &Path) -> anyhow::Result<ProfileReport> {
    let limits = regfile::Limits::default();
    let f = std::fs::File::open(reg)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", reg.display()))?;
    let mut bytes = Vec::new();
    f.take(limits.max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", reg.display()))?;
    let parsed = regfile::parse_with(&bytes, &limits)
        .map_err(|e| anyhow::anyhow!("{}: {e}", reg.display()))?;
    Ok(read_profile(&parsed))
}

/// The mailbox GUID the file names, or why it cannot be told.
fn file_mailbox(id: &StoreIdentity) -> Result<Guid, String> {
    match id.mailbox() {
        FileMailbox::Agreed(g) => Ok(g),
        FileMailbox::None => Err(
            "the file names no mailbox GUID (no 0x6615 GUID and no private-folder EntryID in 0x3416 on its store object)"
                .into(),
        ),
        FileMailbox::Disagree => Err(format!(
            "the file's own mailbox GUIDs disagree: {}",
            id.guid_sources
                .iter()
                .map(|s| format!("{} has {}", s.source, s.guid))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn open_identity(path: &Path) -> anyhow::Result<StoreIdentity> {
    let file = NdbFile::open(path)?;
    let store = Store::open(file.ndb())?;
    Ok(StoreIdentity::read(&store))
}

fn verify_guid(path: &Path, want: Guid, as_json: bool) -> anyhow::Result<u8> {
    let id = open_identity(path)?;
    let sentence = outlook_sentence(path);
    let (code, found, reason) = match file_mailbox(&id) {
        Ok(g) if g == want => (0, Some(g), None),
        Ok(g) => (EXIT_OTHER_MAILBOX, Some(g), None),
        Err(why) => (EXIT_UNKNOWN, None, Some(why)),
    };
    if as_json {
        let diffs = match found {
            Some(g) if code == EXIT_OTHER_MAILBOX => vec![json!({
                "field": "mailbox GUID",
                "expected": want.to_string(),
                "found": g.to_string(),
            })],
            _ => Vec::new(),
        };
        println!(
            "{}",
            json!({
                "file": path.display().to_string(),
                "mode": "mailbox-guid",
                "matches": code == 0,
                "message": (code == EXIT_OTHER_MAILBOX).then_some(&sentence),
                "reason": reason,
                "mailbox_guid": want.to_string(),
                "file_mailbox_guid": found.map(|g| g.to_string()),
                "file_mailbox_guid_sources": id.guid_sources.iter().map(|s| s.source.clone()).collect::<Vec<_>>(),
                "differences": diffs,
            })
        );
        return Ok(code);
    }
    let sources = id
        .guid_sources
        .iter()
        .map(|s| s.source.as_str())
        .collect::<Vec<_>>()
        .join(" and ");
    match (code, found) {
        (0, _) => println!(
            "{}: belongs to mailbox {want} (the file's {sources})",
            path.display()
        ),
        (EXIT_OTHER_MAILBOX, Some(g)) => {
            println!("{sentence}");
            println!("  mailbox GUID: the account has {want}, the file {g} ({sources})");
        }
        _ => println!(
            "{}: cannot be told: {}",
            path.display(),
            reason.unwrap_or_default()
        ),
    }
    Ok(code)
}

/// Whether a Windows path names a file called like `file`.
fn same_file_name(windows_path: &str, file: &Path) -> bool {
    let name = windows_path
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or(windows_path);
    file.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.eq_ignore_ascii_case(name))
}

fn account_json(a: &Account, file: &Path) -> serde_json::Value {
    json!({
        "profile": a.profile,
        "section": a.section,
        "found_by": a.found_by,
        "mailbox_guids": a.mailbox_guids.iter().map(|g| json!({
            "guid": g.guid.to_string(),
            "field": g.field,
            "value_name": g.value_name,
            "text": g.text,
        })).collect::<Vec<_>>(),
        "ost_paths": a.ost_paths.iter().map(|p| json!({
            "path": p.path,
            "value_name": p.value_name,
            "section": p.section,
            "same_file_name": same_file_name(&p.path, file),
        })).collect::<Vec<_>>(),
        "fields": a.fields.iter().map(|f| json!({
            "field": f.field,
            "value_name": f.value_name,
            "text": f.text,
        })).collect::<Vec<_>>(),
    })
}

fn account_title(a: &Account) -> String {
    match &a.profile {
        Some(p) => format!("profile {p:?}, Exchange section {}", a.section),
        None => format!("Exchange section {}", a.section),
    }
}

/// The lines about an account's OST paths.
fn ost_lines(a: &Account, file: &Path) -> Vec<String> {
    if a.ost_paths.is_empty() {
        return vec!["the profile names no OST for it (no PR_PROFILE_OFFLINE_STORE_PATH)".into()];
    }
    a.ost_paths
        .iter()
        .map(|p| {
            let same = if same_file_name(&p.path, file) {
                "the same file name as this file"
            } else {
                "NOT this file's name: Outlook opens the file the profile names"
            };
            format!(
                "the profile's OST: {} (PR_PROFILE_OFFLINE_STORE_PATH, {} in section {}; {same})",
                p.path, p.value_name, p.section
            )
        })
        .collect()
}

fn verify_profile(
    path: &Path,
    reg: &Path,
    report: &ProfileReport,
    as_json: bool,
) -> anyhow::Result<u8> {
    let id = open_identity(path)?;
    let sentence = outlook_sentence(path);
    let file_guid = file_mailbox(&id);
    let with_guid: Vec<&Account> = report
        .accounts
        .iter()
        .filter(|a| !a.mailbox_guids.is_empty())
        .collect();
    let matching: Vec<&Account> = match &file_guid {
        Ok(g) => with_guid
            .iter()
            .copied()
            .filter(|a| a.mailbox_guids.iter().all(|p| p.guid == *g))
            .collect(),
        Err(_) => Vec::new(),
    };
    let nothing_to_compare = format!(
        "{} names no mailbox GUID: none of its Exchange profile sections has a GUID@domain server name in PR_PROFILE_UNRESOLVED_SERVER (001f6608/001e6608) or PR_PROFILE_HOME_SERVER (001e6602/001f6602); found {} section(s), {} Exchange account(s)",
        reg.display(),
        report.sections,
        report.accounts.len()
    );
    let (code, reason) = match (&file_guid, with_guid.is_empty()) {
        (Err(why), _) => (EXIT_UNKNOWN, Some(why.clone())),
        (Ok(_), true) => (EXIT_UNKNOWN, Some(nothing_to_compare)),
        (Ok(_), false) if !matching.is_empty() => (0, None),
        (Ok(_), false) => (EXIT_OTHER_MAILBOX, None),
    };
    let mut diffs = Vec::new();
    if let (EXIT_OTHER_MAILBOX, Ok(g)) = (code, &file_guid) {
        for a in &with_guid {
            for p in a.mailbox_guids.iter().filter(|p| p.guid != *g) {
                diffs.push((a, p));
            }
        }
    }
    if as_json {
        println!(
            "{}",
            json!({
                "file": path.display().to_string(),
                "profile_file": reg.display().to_string(),
                "mode": "profile",
                "matches": code == 0,
                "message": (code == EXIT_OTHER_MAILBOX).then_some(&sentence),
                "reason": reason,
                "file_mailbox_guid": file_guid.as_ref().ok().map(|g| g.to_string()),
                "matching_sections": matching.iter().map(|a| a.section.clone()).collect::<Vec<_>>(),
                "accounts": report.accounts.iter().map(|a| account_json(a, path)).collect::<Vec<_>>(),
                "other_ost_paths": report.other_ost_paths.iter().map(|p| json!({
                    "path": p.path, "value_name": p.value_name, "section": p.section,
                })).collect::<Vec<_>>(),
                "differences": diffs.iter().map(|(a, p)| json!({
                    "field": "mailbox GUID",
                    "property": p.field,
                    "value_name": p.value_name,
                    "section": a.section,
                    "expected": p.guid.to_string(),
                    "found": file_guid.as_ref().ok().map(|g| g.to_string()),
                })).collect::<Vec<_>>(),
            })
        );
        return Ok(code);
    }
    match code {
        0 => {
            for a in &matching {
                println!(
                    "{}: belongs to the mailbox {} opens ({})",
                    path.display(),
                    reg.display(),
                    account_title(a)
                );
                for p in &a.mailbox_guids {
                    println!(
                        "  mailbox GUID {} ({}, {} = {:?})",
                        p.guid, p.field, p.value_name, p.text
                    );
                }
                for line in ost_lines(a, path) {
                    println!("  {line}");
                }
            }
        }
        EXIT_OTHER_MAILBOX => {
            println!("{sentence}");
            let found = file_guid
                .as_ref()
                .map(|g| g.to_string())
                .unwrap_or_default();
            for (a, p) in &diffs {
                println!(
                    "  mailbox GUID ({}, {} in {}): the profile has {}, the file {found}",
                    p.field,
                    p.value_name,
                    account_title(a),
                    p.guid
                );
            }
            for a in &with_guid {
                for p in &a.ost_paths {
                    println!(
                        "  for that mailbox the profile ({}) expects the OST {} (PR_PROFILE_OFFLINE_STORE_PATH, {} in section {})",
                        account_title(a),
                        p.path,
                        p.value_name,
                        p.section
                    );
                }
            }
        }
        _ => {
            println!(
                "{}: cannot be told: {}",
                path.display(),
                reason.unwrap_or_default()
            );
            for a in &report.accounts {
                println!("  {} (found by {})", account_title(a), a.found_by);
                for f in &a.fields {
                    println!("    {} ({}): {:?}", f.field, f.value_name, f.text);
                }
                for line in ost_lines(a, path) {
                    println!("    {line}");
                }
            }
            for p in &report.other_ost_paths {
                println!(
                    "  an OST path in section {} linked to no Exchange account: {}",
                    p.section, p.path
                );
            }
        }
    }
    Ok(code)
}

/// Compares pstkit's own binding record with a server and mailbox.
fn verify_record(
    path: &Path,
    server: &str,
    mailbox: &str,
    profile: Option<&str>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let file = NdbFile::open(path)?;
    let store = Store::open(file.ndb())?;
    let b = BindingInfo::read(&store);
    let sentence = outlook_sentence(path);
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
                "no binding record: the file names only mailbox GUID {}; Outlook keeps the server and mailbox in the profile (compare with --mailbox-guid GUID or --profile PROFILE.reg)",
                b.mailbox_guid.map_or("(none)".into(), |g| g.to_string())
            )),
        ),
    };
    if as_json {
        println!(
            "{}",
            json!({
                "file": path.display().to_string(),
                "mode": "record",
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

/// What `binding set` can and cannot change, said before it writes.
fn set_notice(path: &Path, store: &Store<'_>) {
    eprintln!(
        "pstkit: binding set writes pstkit's own binding record, which pstkit reads \
         (binding show/verify). Outlook does not read it: Outlook checks the mailbox \
         its profile names, so no record makes an OST open for another mailbox."
    );
    if matches!(BindingInfo::read(store).record, BindingRecord::Absent) {
        let id = StoreIdentity::read(store);
        if let FileMailbox::Agreed(g) = id.mailbox() {
            eprintln!(
                "pstkit: {} is an Outlook OST of mailbox {g}. To use its mail in another \
                 profile or mailbox, convert it to a PST and open or import that in \
                 Outlook: pstkit convert {} mail.pst",
                path.display(),
                path.display()
            );
        }
    }
}

/// What `binding set` was asked for.
#[derive(Debug)]
pub struct SetArgs<'a> {
    /// Exchange server host name.
    pub server: &'a str,
    /// Mailbox address.
    pub mailbox: &'a str,
    /// Outlook profile name.
    pub profile: Option<&'a str>,
    /// Where to write the rebound copy.
    pub out: Option<&'a Path>,
    /// Replace the file itself, keeping a backup.
    pub in_place: bool,
    /// Whether an existing `out` may be replaced.
    pub replace: Replace,
    /// Print one JSON object.
    pub json: bool,
}

/// Writes a copy of `path` bound to another account (or replaces `path`
/// atomically with `--in-place`, keeping the original as a backup that is
/// created exclusively and never replaces another).
pub fn set(path: &Path, a: &SetArgs<'_>) -> anyhow::Result<u8> {
    let SetArgs {
        server,
        mailbox,
        profile,
        out,
        in_place,
        replace,
        json: as_json,
    } = *a;
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
    set_notice(path, &store);
    let opts = {
        let mut o = ConvertOptions::default();
        o.writer.kind = FileKind::Ost;
        o.writer.format = file.header().format;
        o.writer.crypt = match file.header().crypt {
            CryptMethod::Edp => CryptMethod::Permute,
            c => c,
        };
        o.writer.display_name = String::new();
        // The in-place copy's name is ours: one a killed run left is
        // replaced.
        o.writer.replace = if in_place {
            Replace::RegularFile
        } else {
            replace
        };
        o.binding = binding_of(Some(server), Some(mailbox), profile)?;
        o
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
        report(path, Some(&bak), server, mailbox, summary.items, as_json);
    } else {
        report(&dest, None, server, mailbox, summary.items, as_json);
    }
    Ok(0)
}

/// Says what `set` wrote: a line on stderr, or one JSON object on stdout.
fn report(
    written: &Path,
    backup: Option<&Path>,
    server: &str,
    mailbox: &str,
    items: u64,
    as_json: bool,
) {
    if as_json {
        println!(
            "{}",
            json!({
                "file": written.display().to_string(),
                "server": server,
                "mailbox": mailbox,
                "items": items,
                "backup": backup.map(|b| b.display().to_string()),
                "record": "pstkit",
                "outlook_reads_record": false,
                "note": "Outlook checks the mailbox its profile names, not pstkit's record; to use the mail elsewhere, convert the OST to a PST",
            })
        );
        return;
    }
    match backup {
        Some(bak) => eprintln!(
            "{}: pstkit's binding record now names {mailbox} on {server} ({items} items); the original is kept as {}",
            written.display(),
            bak.display()
        ),
        None => eprintln!(
            "{}: pstkit's binding record names {mailbox} on {server} ({items} items)",
            written.display()
        ),
    }
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
