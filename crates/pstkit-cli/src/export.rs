//! `pstkit export`: every folder's items as `.eml` files (contacts `.vcf`,
//! calendar items `.ics`), as Outlook `.msg` files, as one mbox file per
//! folder, or as a Maildir++ tree.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use pstkit::Pst;
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
}

/// Exports the file into `out`. Items that cannot be read are reported on
/// stderr and skipped; the exit status is then 1.
pub fn run(
    path: &Path,
    format: Format,
    out: &Path,
    replace: pstkit_copy::Replace,
) -> anyhow::Result<u8> {
    let pst = Pst::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let store = pst
        .store()
        .with_context(|| format!("cannot read the message store of {}", path.display()))?;
    let format = match format {
        Format::Eml => ExportFormat::Eml,
        Format::Mbox => ExportFormat::Mbox,
        Format::Maildir => ExportFormat::Maildir,
        Format::Msg => ExportFormat::Msg,
    };
    // A bar only for a person watching; logs and pipes get the errors and
    // the summary alone.
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {wide_msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
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
