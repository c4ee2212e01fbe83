//! `pstkit export`: every folder's items as `.eml` files (contacts `.vcf`,
//! calendar items `.ics`), as Outlook `.msg` files, as one mbox file per
//! folder, as a Maildir++ tree, or as two Parquet tables.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use pstkit::Pst;
use pstkit_arrow::{write_parquet, LostKind, ParquetEvent, ParquetOptions};
use pstkit_copy::{export_with, ExportEvent, ExportFormat, ExportOptions};

use crate::EXIT_DAMAGED;

/// The output format, as `--format` spells it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// A directory per folder with one file per item.
    Eml,
    /// One mboxrd file per folder.
    Mbox,
    /// A Maildir++ tree, flags from the items' read, answered and flagged
    /// state.
    Maildir,
    /// A directory per folder with one Outlook .msg file per item.
    Msg,
    /// `messages.parquet` (a row per item) and `attachments.parquet` (a row
    /// per attachment).
    Parquet,
}

/// Exports the file into `out`. Items that cannot be read are reported on
/// stderr and skipped; the exit status is then 1.
pub fn run(
    path: &Path,
    format: Format,
    out: &Path,
    replace: pstkit_copy::Replace,
    with_attachment_data: bool,
) -> anyhow::Result<u8> {
    let format = match format {
        Format::Eml => ExportFormat::Eml,
        Format::Mbox => ExportFormat::Mbox,
        Format::Maildir => ExportFormat::Maildir,
        Format::Msg => ExportFormat::Msg,
        Format::Parquet => return run_parquet(path, out, replace, with_attachment_data),
    };
    if with_attachment_data {
        anyhow::bail!("--with-attachment-data goes with --format parquet only");
    }
    let pst = Pst::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let store = pst
        .store()
        .with_context(|| format!("cannot read the message store of {}", path.display()))?;
    let bar = progress_bar();
    let mut opts = ExportOptions::new(format);
    opts.replace = replace;
    opts.threads = crate::threads();
    let summary = export_with(&store, out, &opts, &mut |event| match event {
        ExportEvent::Counted { items, .. } => bar.set_length(items as u64),
        ExportEvent::FolderStarted { folder, .. } => bar.set_message(folder),
        ExportEvent::ItemExported { .. } => bar.inc(1),
        ExportEvent::ItemFailed { folder, nid, error } => {
            bar.inc(1);
            bar.suspend(|| eprintln!("pstkit: item {nid} in {folder:?}: {error}"));
        }
        ExportEvent::FolderFailed { folder, nid, error } => {
            bar.suspend(|| eprintln!("pstkit: folder {nid} in {folder:?}: {error}"));
        }
        _ => {}
    })
    .with_context(|| format!("cannot export to {}", out.display()))?;
    bar.finish_and_clear();
    crate::report_swept(&summary.swept);
    if let Some(e) = store.name_map_error() {
        eprintln!(
            "pstkit: the named-property map of {} is unreadable, so named properties are missing from the export: {e}",
            path.display()
        );
    }
    println!(
        "{} folders ({} of them search folders, whose results are exported where they live), {} items exported, {} items failed{} -> {}",
        summary.folders,
        summary.search_folders,
        summary.items_exported,
        summary.items_failed,
        if summary.folders_failed > 0 {
            format!(", {} folders failed", summary.folders_failed)
        } else {
            String::new()
        },
        out.display()
    );
    Ok(if summary.is_complete() {
        0
    } else {
        EXIT_DAMAGED
    })
}

/// A bar only for a person watching; logs and pipes get the errors and the
/// summary alone.
fn progress_bar() -> ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// `export --format parquet`: both tables in one pass. Lost folders and
/// items are reported on stderr as the EML export reports them, and make
/// the exit status 1.
fn run_parquet(
    path: &Path,
    out: &Path,
    replace: pstkit_copy::Replace,
    with_attachment_data: bool,
) -> anyhow::Result<u8> {
    let pst = Pst::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let store = pst
        .store()
        .with_context(|| format!("cannot read the message store of {}", path.display()))?;
    let mut opts = ParquetOptions::default();
    opts.replace = replace;
    opts.batches.with_attachment_data = with_attachment_data;
    opts.batches.threads = crate::threads();
    let bar = progress_bar();
    let source = path.to_string_lossy();
    let summary = write_parquet(store, &source, out, &opts, &mut |event| match event {
        ParquetEvent::Counted { items } => bar.set_length(items as u64),
        ParquetEvent::Progress { items } => bar.set_position(items as u64),
        ParquetEvent::Lost(lost) => {
            let what = match lost.kind {
                LostKind::Folder => "folder",
                LostKind::Item => "item",
            };
            bar.suspend(|| {
                eprintln!(
                    "pstkit: {what} {} in {:?}: {}",
                    lost.nid, lost.folder, lost.error
                )
            });
        }
        _ => {}
    })
    .with_context(|| format!("cannot export to {}", out.display()))?;
    bar.finish_and_clear();
    crate::report_swept(&summary.swept);
    println!(
        "{} folders, {} items exported, {} items failed{}, {} attachments -> {}",
        summary.folders,
        summary.items,
        summary.items_lost,
        if summary.folders_lost > 0 {
            format!(", {} folders failed", summary.folders_lost)
        } else {
            String::new()
        },
        summary.attachments,
        out.display()
    );
    Ok(if summary.is_complete() {
        0
    } else {
        EXIT_DAMAGED
    })
}
