//! Exporting a whole store to a tree of files: a directory per folder, or
//! an mbox per folder.
//!
//! This module holds the public API and the driver that joins the parts:
//! [`export_with`] makes a plan of the folders (`plan`), hands the items in
//! file order to an ordered pool of worker threads (`pool`, each doing one
//! `job` per item), and gives their results to the format's output: EML
//! or Maildir directories (`eml_out`), mbox files (`mbox_out`) or `.msg`
//! directories (`msg_out`).

mod eml_out;
mod job;
mod mbox_out;
mod msg_out;
mod plan;
mod pool;

use std::fs;
use std::path::{Path, PathBuf};

use pstkit_ndb::Nid;
use pstkit_output::{Replace, StageDir};
use pstkit_store::Store;

use crate::error::{CopyError, Result};
use eml_out::export_eml;
use job::{Done, Job};
use mbox_out::export_mbox;
use msg_out::export_msg;
use plan::{file_order, plan, Planned};
use pool::{flow, worker, Item, Pool, Results};

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// A directory per folder holding `1.eml`, `2.eml`, … (contacts as
    /// `N.vcf`, appointments and meetings as `N.ics` with their attachments
    /// inline), numbered by the item's position in the folder's contents
    /// table. A contact with files besides its picture, which a vCard has
    /// no place for, is `N.eml`: mail with the files and its vCard attached.
    Eml,
    /// One mboxrd file per folder, `<folder path>.mbox`, its messages in the
    /// order their data lies in the source file. Contacts and appointments
    /// go in as mail with their vCard or iCalendar attached, so that the
    /// mbox holds every item and nothing of them is lost.
    Mbox,
    /// A Maildir++ tree: the top folder's items in `cur/`, each subfolder a
    /// maildir `.Name.Sub/` beside it (with `maildirfolder`), one message
    /// a file named `<time>.<n>.pstkit:2,<flags>` (`S` read, `R` answered,
    /// `F` flagged), the same RFC 5322 text the mbox holds (contacts and
    /// appointments as mail with their vCard or iCalendar attached).
    Maildir,
    /// A directory per folder holding one Outlook `.msg` file per item
    /// (contacts, appointments, tasks and notes too: they are messages),
    /// every property kept; named after the item's subject, made safe for
    /// file systems and unique in the folder (` (2)`, ` (3)`, …), in the
    /// order the items' data lies in the file.
    Msg,
}

/// What an export reports as it goes, for progress displays and logs.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExportEvent {
    /// The first, cheap pass counted the folders and items to come.
    Counted {
        /// Folders that could be read.
        folders: usize,
        /// Items in their contents tables.
        items: usize,
    },
    /// A folder with items is being exported: its first item is on its way
    /// (the folders' items interleave, in file order).
    FolderStarted {
        /// Its path of display names, joined by `/`.
        folder: String,
        /// Its item count.
        items: usize,
    },
    /// An item was written.
    ItemExported {
        /// Its folder's path.
        folder: String,
        /// The item's node id.
        nid: Nid,
        /// The file it went into.
        file: PathBuf,
    },
    /// An item could not be read or rendered; it was skipped.
    ItemFailed {
        /// Its folder's path.
        folder: String,
        /// The item's node id.
        nid: Nid,
        /// Why.
        error: CopyError,
    },
    /// A folder, or its list of items, could not be read; it was skipped.
    FolderFailed {
        /// The folder's path (of its parent when the folder itself is unreadable).
        folder: String,
        /// The folder's node id.
        nid: Nid,
        /// Why.
        error: CopyError,
    },
}

/// What an export did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Folders below the root, search folders included, as
    /// [`Store::census`](pstkit_store::Store::census) counts them.
    pub folders: usize,
    /// Of `folders`: search folders (their results are items of other
    /// folders, exported there).
    pub search_folders: usize,
    /// Folders from which at least one item was written.
    pub folders_exported: usize,
    /// Folders that could not be read.
    pub folders_failed: usize,
    /// Items written.
    pub items_exported: usize,
    /// Items skipped as unreadable.
    pub items_failed: usize,
    /// Files written.
    pub files_written: usize,
    /// Temporary files and stages an interrupted earlier export left in the
    /// output, removed before this one began.
    pub swept: Vec<PathBuf>,
    /// Whether the source's named-property map could not be read
    /// ([`Store::name_map_error`](pstkit_store::Store::name_map_error) says
    /// why): named properties (a contact's e-mail addresses, an
    /// appointment's times) are missing from what was written.
    pub names_lost: bool,
}

impl ExportSummary {
    /// Whether everything in the store was exported.
    pub fn is_complete(&self) -> bool {
        self.items_failed == 0 && self.folders_failed == 0 && !self.names_lost
    }
}

/// How an export is made.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ExportOptions {
    /// The file format.
    pub format: ExportFormat,
    /// Whether the output may already hold files, which the export then
    /// replaces (`--force`); by default it must be absent or empty.
    pub replace: Replace,
    /// Worker threads (default: one per CPU; at most [`crate::MAX_THREADS`]).
    pub threads: Option<usize>,
}

impl ExportOptions {
    /// Options for `format`, replacing nothing, one thread per CPU.
    pub fn new(format: ExportFormat) -> Self {
        ExportOptions {
            format,
            replace: Replace::Never,
            threads: None,
        }
    }
}

/// [`export_with`] in `format`, into an output that is absent or empty.
pub fn export(
    store: &Store<'_>,
    out: &Path,
    format: ExportFormat,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<ExportSummary> {
    export_with(store, out, &ExportOptions::new(format), progress)
}

/// Exports every folder of `store` into directory `out`. An `out` that does
/// not exist is filled under a hidden name beside it and renamed into
/// place when the export is complete; an existing `out` must be empty
/// (unless [`ExportOptions::replace`] allows files in it), and its new
/// folder directories are filled under hidden names and renamed when the
/// export ends; into directories that exist already, each file goes under a
/// temporary name and is renamed when complete. Temporary names an
/// interrupted export left are removed first (see
/// [`ExportSummary::swept`]). Items are read, rendered and written by one
/// worker thread per CPU, a bounded number ahead, in the order their data
/// lies in the file (a mailbox's folders are interleaved there); mbox files
/// are written under temporary names and renamed when the export ends.
/// Unreadable items and folders are reported through `progress` and
/// skipped; the error return is kept for what stops the whole export (the
/// output cannot be written), and then nothing of the export is left.
pub fn export_with(
    store: &Store<'_>,
    out: &Path,
    opts: &ExportOptions,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<ExportSummary> {
    let mut swept = Vec::new();
    swept.extend(pstkit_output::sweep(&pstkit_output::folder_of(out)).removed);
    let stage = StageDir::for_folder(out, || {
        swept.extend(pstkit_output::sweep_tree(out).removed);
        if opts.replace == Replace::Never && holds_files(out) {
            return Err(pstkit_output::OutputError::Exists {
                path: out.to_path_buf(),
            });
        }
        Ok(())
    })?;
    let into = stage.as_ref().map_or(out, |s| s.path());
    let exported = export_into(store, into, opts, progress);
    // A source that changed under the reader: that is the error, and
    // nothing of the export is kept (the stage goes when dropped).
    if let Some(c) = store.ndb().source_changed() {
        return Err(c.into());
    }
    let mut summary = exported?;
    if let Some(stage) = stage {
        stage.publish(out)?;
    }
    summary.swept = swept;
    summary.names_lost = store.name_map_error().is_some();
    Ok(summary)
}

/// Whether `dir` holds anything but (empty) directories, looking at most
/// this deep; links count as content.
fn holds_files(dir: &Path) -> bool {
    fn walk(dir: &Path, depth: usize) -> bool {
        let Ok(rd) = fs::read_dir(dir) else {
            return true;
        };
        rd.flatten().any(|e| match e.file_type() {
            Ok(t) if t.is_dir() => depth == 0 || walk(&e.path(), depth - 1),
            _ => true,
        })
    }
    walk(dir, 64)
}

fn export_into(
    store: &Store<'_>,
    out: &Path,
    opts: &ExportOptions,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<ExportSummary> {
    let format = opts.format;
    let replace = opts.replace;
    let mut summary = ExportSummary::default();
    let plan = plan(store, out, format, &mut summary, progress);
    progress(ExportEvent::Counted {
        folders: summary.folders,
        items: plan.iter().map(|p| p.ids.len()).sum(),
    });

    let workers = crate::worker_threads(opts.threads);
    let (jobs, job_rx) = std::sync::mpsc::channel();
    let job_rx = std::sync::Mutex::new(job_rx);
    let (res_tx, results) = std::sync::mpsc::channel();
    let ndb = store.ndb();
    let codepage = store.default_codepage();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (job_rx, res_tx) = (&job_rx, res_tx.clone());
            s.spawn(move || worker(ndb, codepage, job_rx, res_tx));
        }
        drop(res_tx);
        let (ahead, batch) = flow(format);
        let mut pool = Pool {
            ahead,
            batch,
            jobs: Some(jobs),
            results,
            pending: Vec::new(),
            next: 0,
            consumed: 0,
            waiting: Default::default(),
        };
        let r = match format {
            ExportFormat::Eml | ExportFormat::Maildir => {
                export_eml(store, out, format, &plan, &mut pool, &mut summary, progress)
            }
            ExportFormat::Mbox => export_mbox(
                store,
                out,
                &plan,
                replace,
                &mut pool,
                &mut summary,
                progress,
            ),
            ExportFormat::Msg => export_msg(store, out, &plan, &mut pool, &mut summary, progress),
        };
        // Closing the job queue ends the workers before the scope joins them.
        pool.jobs = None;
        r.map(|()| summary)
    })
}

/// Hands every planned item to the workers in the order its data lies in
/// the file (`job` says what to make of it), and each result, in that
/// order, to `out`.
fn in_file_order(
    store: &Store<'_>,
    plan: &[Planned],
    pool: &mut Pool,
    job: &dyn Fn(usize, usize) -> Job,
    out: &mut dyn Outputs,
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let mut started = vec![false; plan.len()];
    let mut take =
        |due: Results, summary: &mut ExportSummary, progress: &mut dyn FnMut(ExportEvent)| {
            due.into_iter()
                .try_for_each(|(item, r)| out.item(item.folder, item.nid, r, summary, progress))
        };
    for (_, f, i) in file_order(store, plan) {
        let (f, i) = (f as usize, i as usize);
        if !std::mem::replace(&mut started[f], true) {
            progress(ExportEvent::FolderStarted {
                folder: plan[f].folder.clone(),
                items: plan[f].ids.len(),
            });
        }
        let item = Item {
            nid: plan[f].ids[i],
            folder: f,
        };
        let due = pool.push(item, job(f, i))?;
        take(due, summary, progress)?;
    }
    let due = pool.drain()?;
    take(due, summary, progress)
}

/// Where the workers' results go.
trait Outputs {
    /// One item's result; `f` is its planned folder.
    fn item(
        &mut self,
        f: usize,
        nid: Nid,
        r: Result<Done>,
        summary: &mut ExportSummary,
        progress: &mut dyn FnMut(ExportEvent),
    ) -> Result<()>;
}

/// Counts and reports an item that could not be read or rendered.
fn item_failed(
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
    folder: &str,
    nid: Nid,
    error: CopyError,
) {
    summary.items_failed += 1;
    progress(ExportEvent::ItemFailed {
        folder: folder.to_string(),
        nid,
        error,
    });
}
