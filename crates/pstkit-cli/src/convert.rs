//! `pstkit convert`: any readable PST or OST into a new Unicode PST (or a
//! bound OST), through the stream-copy engine.

use std::path::PathBuf;
use std::time::Instant;

use pstkit::ndb::{CryptMethod, FileKind, Format, NdbFile};
use pstkit::store::binding::MailboxBinding;
use pstkit::store::write::WriterOptions;
use pstkit::store::Store;
use pstkit_copy::{convert, ConvertOptions, CopyEvent};
use serde_json::json;

use crate::EXIT_DAMAGED;

/// What `convert` was asked for.
#[derive(Debug)]
pub struct ConvertArgs {
    /// Source file.
    pub src: PathBuf,
    /// Destination file.
    pub dst: PathBuf,
    /// pst or ost (from the destination's extension when not given).
    pub to: Option<String>,
    /// Binding for OST output.
    pub server: Option<String>,
    /// Binding for OST output.
    pub mailbox: Option<String>,
    /// Binding for OST output.
    pub profile: Option<String>,
    /// Go on past damaged items.
    pub salvage: bool,
    /// Also copy deleted items found in free space (implies `salvage` and
    /// a scan of the whole file).
    pub recover_deleted: bool,
    /// Decode and rebuild every item (never move one as stored).
    pub rebuild: bool,
    /// Print the summary as JSON.
    pub json: bool,
    /// Block encoding of the output.
    pub crypt: CryptMethod,
    /// Write the 4K-page OST variant.
    pub four_k: bool,
    /// Whether an existing destination may be replaced (`--force`).
    pub replace: pstkit_copy::Replace,
    /// `repair`: salvage and rebuild every item, report each finding of the
    /// source's deep check as a change, and publish the copy only when it
    /// has no finding at all.
    pub repair: bool,
}

/// The binding an OST output needs, from --server/--mailbox/--profile.
pub fn binding_of(
    server: Option<&str>,
    mailbox: Option<&str>,
    profile: Option<&str>,
) -> anyhow::Result<Option<MailboxBinding>> {
    match (server, mailbox) {
        (Some(s), Some(m)) => Ok(Some(MailboxBinding::new(s, m, profile))),
        (None, None) if profile.is_none() => Ok(None),
        _ => anyhow::bail!("--server and --mailbox go together"),
    }
}

/// Converts; exit 0 when every item was copied whole and verified, 1 when
/// salvage left items or parts of items out.
pub fn run(a: &ConvertArgs) -> anyhow::Result<u8> {
    // In the order a user needs the answers: the destination that is the
    // source first, then what the options say, then what is on disk.
    if pstkit_output::same_file(&a.src, &a.dst) {
        anyhow::bail!(
            "the destination {} is the source; pstkit never writes over its input",
            a.dst.display()
        );
    }
    let dst_ost = a
        .dst
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ost"));
    let to_ost = match a.to.as_deref() {
        Some("ost") => true,
        Some("pst") => false,
        Some(other) => anyhow::bail!("--to takes pst or ost, not {other:?}"),
        None => a.four_k || dst_ost,
    };
    if a.four_k && !to_ost || a.four_k && a.to.is_none() && !dst_ost {
        // Outlook writes the 4K-page format only for OSTs: a .pst name would
        // hide that the output is an OST.
        anyhow::bail!(
            "--4k writes the 4K-page OST variant, which Outlook has only for .ost files: name the destination .ost"
        );
    }
    let binding = binding_of(
        a.server.as_deref(),
        a.mailbox.as_deref(),
        a.profile.as_deref(),
    )?;
    if to_ost && binding.is_none() {
        anyhow::bail!("an OST output needs --server and --mailbox (the account it is bound to)");
    }
    crate::sweep_beside(&a.dst);
    pstkit_output::check_destination(&a.dst, a.replace, &[&a.src])?;
    let file = if a.recover_deleted {
        let (file, report) = NdbFile::open_lenient(&a.src)?.recover_deleted();
        eprintln!(
            "{}: index rebuilt from a scan of the whole file, free space kept; {} nodes found only in free space",
            a.src.display(),
            report.nodes_deleted
        );
        file
    } else if a.salvage {
        open_salvaging(&a.src)?
    } else {
        NdbFile::open(&a.src)?
    };
    // Whatever damage a source that changed under the reader showed, the
    // change is the error to report.
    copy(a, &file, to_ost, binding).map_err(|e| match file.ndb().source_changed() {
        Some(changed) => changed.into(),
        None => e,
    })
}

/// Opens a source to salvage: through its own B-trees when both walk
/// without an error, otherwise through an index rebuilt by scanning the
/// whole file, whose counts go to stderr. The walk reads the B-tree pages
/// only, the scan every byte; on intact trees both give the same index, so
/// the scan is paid only where it finds what the trees lost.
fn open_salvaging(src: &std::path::Path) -> anyhow::Result<NdbFile> {
    let file = NdbFile::open_lenient(src)?;
    let ndb = file.ndb();
    if !ndb.nodes().any(|e| e.is_err()) && !ndb.blocks().any(|e| e.is_err()) {
        return Ok(file);
    }
    let (file, report) = file.recover();
    eprintln!(
        "{}: the node or block B-tree is damaged; {report}",
        src.display()
    );
    Ok(file)
}

/// The copy itself, from the opened source.
fn copy(
    a: &ConvertArgs,
    file: &NdbFile,
    to_ost: bool,
    binding: Option<MailboxBinding>,
) -> anyhow::Result<u8> {
    // A salvage reads on past a lost message store object: the folders are
    // found from the root folder, and the loss is reported.
    let (store, store_error) = if a.salvage {
        Store::open_salvaging(file.ndb())?
    } else {
        (Store::open(file.ndb())?, None)
    };
    if let Some(e) = &store_error {
        eprintln!(
            "pstkit: the message store object of {} is unreadable, so its own properties (display name, special folders) are lost; its folders are read from the root folder: {e}",
            a.src.display()
        );
    }
    // What a repair changes: every finding of the source, each of which the
    // rebuilt copy no longer has (its own audit holds it to none).
    let changes = if a.repair {
        crate::check::all_findings(file)
    } else {
        Vec::new()
    };
    let opts = {
        let mut o = ConvertOptions::default();
        o.writer = {
            let mut o = WriterOptions::default();
            o.kind = if to_ost { FileKind::Ost } else { FileKind::Pst };
            o.format = if a.four_k {
                Format::UNICODE_4K
            } else {
                Format::UNICODE
            };
            o.crypt = a.crypt;
            o.display_name = String::new();
            o.replace = a.replace;
            o
        };
        o.binding = binding;
        o.salvage = a.salvage;
        o.rebuild = a.rebuild;
        o.audit = a.repair;
        o.threads = crate::threads();
        o
    };
    let total = count_items(&store);
    let bar = crate::gen::progress_bar(total);
    if let Some(b) = &bar {
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} items {msg} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    }
    let start = Instant::now();
    let mut items = 0u64;
    let summary = convert(&store, &a.dst, &opts, &mut |e| match e {
        CopyEvent::Item { bytes_written } => {
            items += 1;
            if let Some(b) = &bar {
                if items.is_multiple_of(32) {
                    let secs = start.elapsed().as_secs_f64().max(1e-3);
                    b.set_position(items);
                    b.set_message(format!("{:.1} MB/s", bytes_written as f64 / secs / 1e6));
                }
            }
        }
        CopyEvent::Skipped {
            folder,
            nid,
            lost,
            error,
            ..
        } => {
            let line = format!("pstkit: {} {nid} in {folder:?} lost: {error}", lost.name());
            match &bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        }
        CopyEvent::Partial { folder, nid, error } => {
            let line = format!(
                "pstkit: item {nid} in {folder:?} copied without what did not read: {error}"
            );
            match &bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        }
        CopyEvent::Verifying => {
            if let Some(b) = &bar {
                b.set_message("verifying");
            }
        }
        // Folders, and events added later, show nothing of their own.
        _ => {}
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let secs = start.elapsed().as_secs_f64();
    if a.json {
        let v = json!({
            "source": a.src.display().to_string(),
            "destination": summary.path.display().to_string(),
            "folders": summary.folders,
            "search_folders_skipped": summary.search_folders,
            "copy": {
                "folders": summary.copy.folders,
                "search_folders": summary.copy.search_folders,
                "items": summary.copy.items,
                "associated_items": summary.copy.associated,
            },
            "items": summary.items,
            "associated": summary.associated,
            "verified": summary.verified,
            "bytes": summary.bytes,
            "block_copy": summary.stored_copy,
            "moved_as_stored": summary.moved,
            "seconds": secs,
            "orphans": {
                "in_parent_folder": summary.orphans.in_parent,
                "in_recovered_folder": summary.orphans.in_recovered,
            },
            "relinked": summary.relinked,
            "names_relinked": summary.names_relinked,
            "deleted": {
                "recovered": summary.orphans.deleted,
                "unreadable": summary.deleted_unreadable.iter().map(|s| json!({
                    "id": s.nid.0, "subject": s.subject, "error": s.error,
                })).collect::<Vec<_>>(),
            },
            "skipped": summary.skipped.iter().map(|s| json!({
                "folder": s.folder, "id": s.nid.0, "lost": s.lost.name(),
                "subject": s.subject, "error": s.error,
                "corruption": s.corruption.as_ref().map(crate::check::problem_json),
            })).collect::<Vec<_>>(),
            "partial": summary.partial.iter().map(|s| json!({
                "folder": s.folder, "id": s.nid.0, "lost": s.lost.name(),
                "subject": s.subject, "error": s.error,
            })).collect::<Vec<_>>(),
            "lost_by_folder": loss_by_folder(&summary).into_iter().map(|(folder, t)| json!({
                "folder": folder, "items": t.items, "folders": t.folders, "tables": t.tables,
                "items_in_part": t.parts,
            })).collect::<Vec<_>>(),
            "name_map_error": store.name_map_error().map(crate::check::error_json),
            "store_error": store_error.as_ref().map(crate::check::error_json),
        });
        let mut v = v;
        if a.repair {
            v["changes"] = changes.iter().map(|(_, j)| j.clone()).collect();
            v["output_findings"] = 0.into();
        }
        println!("{v}");
    } else {
        eprintln!(
            "{} -> {}: {} folders ({} search folders not copied; the copy has {}, {} of them search folders), {} items ({} associated{}), {:.1} MB in {:.1} s, {} verified, {} skipped, {} copied in part",
            a.src.display(),
            summary.path.display(),
            summary.folders,
            summary.search_folders,
            summary.copy.folders,
            summary.copy.search_folders,
            summary.items,
            summary.associated,
            if summary.moved {
                ", moved as stored"
            } else {
                ""
            },
            summary.bytes as f64 / 1e6,
            secs,
            summary.verified,
            summary.skipped.len(),
            summary.partial.len()
        );
        if a.repair {
            for (line, _) in &changes {
                eprintln!("fixed: {line}");
            }
            eprintln!(
                "repair: {} findings of the deep check in {}, none in {} (checked before it was published)",
                changes.len(),
                a.src.display(),
                summary.path.display()
            );
        }
        for (folder, t) in loss_by_folder(&summary) {
            eprintln!(
                "lost in {folder:?}: {} items, {} folders, {} tables; {} items copied in part",
                t.items, t.folders, t.tables, t.parts
            );
        }
        let o = summary.orphans;
        if a.recover_deleted {
            eprintln!(
                "{} deleted items found in free space copied into {:?}; {} found did not read (overwritten)",
                o.deleted,
                pstkit_copy::RECOVERED_DELETED_FOLDER,
                o.deleted_unreadable
            );
        }
        if summary.relinked > 0 {
            eprintln!(
                "{} items whose node entry was lost were found again from their blocks and copied into their folders",
                summary.relinked
            );
        }
        if o.in_parent + o.in_recovered > 0 {
            eprintln!(
                "{} items no folder listed were found in the node index: {} put back into their folders, {} into {:?}",
                o.in_parent + o.in_recovered,
                o.in_parent,
                o.in_recovered,
                pstkit_copy::RECOVERED_FOLDER
            );
        }
    }
    match store.name_map_error() {
        Some(e) if summary.names_relinked => eprintln!(
            "pstkit: the named-property map of {} was lost from its index ({e}) and found among the blocks no node references",
            a.src.display()
        ),
        Some(e) => eprintln!(
            "pstkit: the named-property map of {} is unreadable, so the copy has no named properties: {e}",
            a.src.display()
        ),
        None => {}
    }
    let complete = summary.skipped.is_empty()
        && summary.partial.is_empty()
        && !summary.names_lost
        && store_error.is_none();
    Ok(if complete { 0 } else { EXIT_DAMAGED })
}

/// What a salvage lost in one folder of the source.
#[derive(Default)]
struct FolderLoss {
    items: u64,
    folders: u64,
    tables: u64,
    parts: u64,
}

/// The loss report's totals per folder path, in path order: what was left
/// out and what was copied in part.
fn loss_by_folder(
    summary: &pstkit_copy::ConvertSummary,
) -> std::collections::BTreeMap<&str, FolderLoss> {
    let mut by = std::collections::BTreeMap::<&str, FolderLoss>::new();
    for s in summary.skipped.iter().chain(&summary.partial) {
        let t = by.entry(s.folder.as_str()).or_default();
        match s.lost {
            pstkit_copy::Lost::Item => t.items += 1,
            pstkit_copy::Lost::Folder => t.folders += 1,
            pstkit_copy::Lost::Parts => t.parts += 1,
            _ => t.tables += 1,
        }
    }
    by
}

/// Items of the source, from the contents tables, for the progress bar.
fn count_items(store: &Store<'_>) -> u64 {
    store
        .walk()
        .flatten()
        .map(|w| {
            w.folder.message_ids().map_or(0, |v| v.len() as u64)
                + w.folder.associated_ids().map_or(0, |v| v.len() as u64)
        })
        .sum()
}
