//! Exporting a whole store to a tree of files: a directory per folder, or
//! an mbox per folder.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use pstkit_ndb::Nid;
use pstkit_store::{ItemKind, Message, Store};

use crate::eml::{message_to_eml_into, message_to_eml_with, ExtraPart};
use crate::error::{io_err, CopyError, Result};
use crate::fsname::PathClaims;
use crate::ical::appointment_to_ics;
use crate::mbox::MboxWriter;
use crate::time::unix;
use crate::vcard::contact_to_vcard;
use pstkit_output::{Replace, StageDir, TempFile};

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// A directory per folder holding `1.eml`, `2.eml`, … (contacts as
    /// `N.vcf`, appointments and meetings as `N.ics`), numbered by the
    /// item's position in the folder's contents table.
    Eml,
    /// One mboxrd file per folder, `<folder path>.mbox`, its messages in the
    /// order their data lies in the source file. Contacts and appointments
    /// go in as mail with their vCard or iCalendar attached, so that the
    /// mbox holds every item and nothing of them is lost.
    Mbox,
}

/// What an export reports as it goes, for progress displays and logs.
#[derive(Debug)]
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
}

impl ExportSummary {
    /// Whether everything in the store was exported.
    pub fn is_complete(&self) -> bool {
        self.items_failed == 0 && self.folders_failed == 0
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
    /// Worker threads (default: one per CPU, at most 8).
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
    let stage = match fs::symlink_metadata(out) {
        Ok(m) if m.is_dir() => {
            swept.extend(pstkit_output::sweep_tree(out).removed);
            if opts.replace == Replace::Never && holds_files(out) {
                return Err(pstkit_output::OutputError::Exists {
                    path: out.to_path_buf(),
                }
                .into());
            }
            None
        }
        Ok(m) => {
            return Err(pstkit_output::OutputError::NotRegular {
                path: out.to_path_buf(),
                what: if m.file_type().is_symlink() {
                    "a symbolic link, not a folder"
                } else {
                    "not a folder"
                },
            }
            .into())
        }
        Err(_) => {
            pstkit_output::check_destination(out, Replace::Never, &[])?;
            Some(StageDir::beside(out)?)
        }
    };
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

    let workers = opts
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1)
        })
        .clamp(1, 8);
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
            ExportFormat::Eml => export_eml(store, out, &plan, &mut pool, &mut summary, progress),
            ExportFormat::Mbox => {
                export_mbox(store, &plan, replace, &mut pool, &mut summary, progress)
            }
        };
        // Closing the job queue ends the workers before the scope joins them.
        pool.jobs = None;
        r.map(|()| summary)
    })
}

/// A folder with items, as the first walk found it.
struct Planned {
    /// Its path of display names, joined by `/`.
    folder: String,
    /// Its items, in contents-table order.
    ids: Vec<Nid>,
    /// Where its items go: the folder's directory (EML) or file (mbox).
    dest: PathBuf,
}

/// Walks the folder tree once: counts the readable folders, reports the
/// unreadable ones, and names the destination of every folder with items.
/// Holds every item id of the store (4 bytes an item, and 16 more for the
/// order the export reads them in, front to back through the file).
fn plan(
    store: &Store<'_>,
    out: &Path,
    format: ExportFormat,
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Vec<Planned> {
    let mut plan = Vec::new();
    let mut claims = PathClaims::default();
    // dirs[i]: the relative path given to the last folder met at depth i + 1.
    // The walk is depth first, so that is the parent of the next folder one
    // level deeper.
    let mut dirs: Vec<PathBuf> = Vec::new();
    for walked in store.walk() {
        let w = match walked {
            Ok(w) => w,
            Err((nid, path, e)) => {
                summary.folders_failed += 1;
                progress(ExportEvent::FolderFailed {
                    folder: path.join("/"),
                    nid,
                    error: e.into(),
                });
                continue;
            }
        };
        // The root folder is the store's frame, not counted (see census).
        if !w.path.is_empty() {
            summary.folders += 1;
            summary.search_folders += usize::from(w.folder.is_search_folder());
        }
        let depth = w.path.len();
        let rel = match w.path.last() {
            None => PathBuf::new(), // the root folder
            Some(name) => {
                dirs.truncate(depth - 1);
                while dirs.len() < depth - 1 {
                    // Not met before (cannot happen in a depth-first walk):
                    // fall back to the sanitized names.
                    let i = dirs.len();
                    let parent = dirs.last().cloned().unwrap_or_default();
                    dirs.push(parent.join(crate::fsname::sanitize_component(&w.path[i])));
                }
                let parent = dirs.last().cloned().unwrap_or_default();
                let rel = claims.claim(&parent, name);
                dirs.push(rel.clone());
                rel
            }
        };
        let folder = w.path_string();
        let ids = match w.folder.message_ids() {
            Ok(ids) => ids,
            Err(e) => {
                summary.folders_failed += 1;
                progress(ExportEvent::FolderFailed {
                    folder,
                    nid: w.folder.nid(),
                    error: e.into(),
                });
                continue;
            }
        };
        if ids.is_empty() {
            continue;
        }
        let dest = match format {
            ExportFormat::Eml => out.join(&rel),
            ExportFormat::Mbox => {
                let file = if rel.as_os_str().is_empty() {
                    claims.claim(Path::new(""), "_root")
                } else {
                    rel
                };
                let mut name = file.into_os_string();
                name.push(".mbox");
                out.join(name)
            }
        };
        plan.push(Planned { folder, ids, dest });
    }
    plan
}

/// Items queued ahead of the one being consumed, at most, and items handed
/// to a worker at once (fewer hand-overs and wake-ups), by format. An EML
/// worker writes its files itself and sends back only their names; an mbox
/// item comes back whole, so fewer are held.
const fn flow(format: ExportFormat) -> (usize, usize) {
    match format {
        ExportFormat::Eml => (256, 32),
        ExportFormat::Mbox => (64, 8),
    }
}
/// The capacity a worker's render buffer keeps between items (bytes).
const KEEP_BUFFER: usize = 8 << 20;

/// What a worker does with one item.
enum Job {
    /// Render and write `<dir>/<index>.<ext>`: under a temporary name and
    /// renamed when `atomic`, else directly (into a staging directory
    /// that is itself renamed when complete).
    Eml {
        dir: std::sync::Arc<Path>,
        index: usize,
        atomic: bool,
    },
    /// Render as mail for an mbox.
    Mail,
}

/// What a worker made of one item.
enum Done {
    /// The name of the file written, in its directory.
    File(String),
    /// An mbox entry: sender, time, message.
    Mail(Option<String>, Option<i64>, Vec<u8>),
}

/// An item, and the planned folder it belongs to: handed to a worker with
/// its job, and back with the result.
#[derive(Clone, Copy)]
struct Item {
    nid: Nid,
    folder: usize,
}

type Batch = Vec<(Item, Job)>;
type Results = Vec<(Item, Result<Done>)>;

/// Worker threads that read, render and write items, each through its own
/// view of the store (a store's caches belong to one thread); results come
/// back in the order the items were given.
struct Pool {
    /// Items queued ahead, and per hand-over (see [`flow`]).
    ahead: usize,
    batch: usize,
    jobs: Option<std::sync::mpsc::Sender<(u64, Batch)>>,
    results: std::sync::mpsc::Receiver<(u64, Results)>,
    /// Items not handed over yet.
    pending: Batch,
    /// Batches handed over, and consumed.
    next: u64,
    consumed: u64,
    waiting: std::collections::BTreeMap<u64, Results>,
}

impl Pool {
    /// Queues an item; returns the results now due, in order, once enough
    /// are in flight.
    fn push(&mut self, item: Item, job: Job) -> Result<Results> {
        self.pending.push((item, job));
        if self.pending.len() < self.batch {
            return Ok(Vec::new());
        }
        self.send()?;
        let mut due = Vec::new();
        while (self.next - self.consumed) as usize * self.batch > self.ahead {
            due.extend(self.take()?);
        }
        Ok(due)
    }

    fn send(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        let first = batch[0].0.nid;
        let sent = self.jobs.as_ref().map(|j| j.send((self.next, batch)));
        if !matches!(sent, Some(Ok(()))) {
            return Err(stopped(first));
        }
        self.next += 1;
        Ok(())
    }

    /// Every result still owed, in order.
    fn drain(&mut self) -> Result<Results> {
        self.send()?;
        let mut due = Vec::new();
        while self.consumed < self.next {
            due.extend(self.take()?);
        }
        Ok(due)
    }

    /// The next batch's results, waiting for them.
    fn take(&mut self) -> Result<Results> {
        loop {
            if let Some(r) = self.waiting.remove(&self.consumed) {
                self.consumed += 1;
                return Ok(r);
            }
            match self.results.recv() {
                Ok((seq, r)) => {
                    self.waiting.insert(seq, r);
                }
                Err(_) => return Err(stopped(Nid(0))),
            }
        }
    }
}

fn stopped(nid: Nid) -> CopyError {
    CopyError::Damaged {
        folder: String::new(),
        nid,
        what: "export workers stopped".into(),
    }
}

/// A worker: items in, rendered (and for EML written) items out.
fn worker(
    ndb: pstkit_ndb::Ndb<'_>,
    codepage: u32,
    jobs: &std::sync::Mutex<std::sync::mpsc::Receiver<(u64, Batch)>>,
    out: std::sync::mpsc::Sender<(u64, Results)>,
) {
    let store = Store::open(ndb).map(|mut s| {
        s.set_default_codepage(codepage);
        s
    });
    // The one buffer this worker renders files into: memory that stays
    // mapped, instead of fresh pages for the kernel to zero per message.
    let mut buf = Vec::with_capacity(KEEP_BUFFER / 8);
    let mut dirs = OpenDirs::default();
    loop {
        // The lock is held only to take one batch.
        let next = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, batch)) = next else { return };
        let done = batch
            .into_iter()
            .map(|(item, job)| {
                let r = match &store {
                    Ok(store) => do_job(store, item.nid, job, &mut buf, &mut dirs),
                    Err(e) => Err(CopyError::Damaged {
                        folder: String::new(),
                        nid: item.nid,
                        what: format!("source store: {e}"),
                    }),
                };
                (item, r)
            })
            .collect();
        if out.send((seq, done)).is_err() {
            return;
        }
    }
}

fn do_job(
    store: &Store<'_>,
    nid: Nid,
    job: Job,
    buf: &mut Vec<u8>,
    dirs: &mut OpenDirs,
) -> Result<Done> {
    let m = store.message(nid)?;
    match job {
        Job::Eml { dir, index, atomic } => {
            buf.clear();
            if buf.capacity() > KEEP_BUFFER {
                // One huge item does not keep its memory for the rest.
                buf.shrink_to(KEEP_BUFFER);
            }
            let ext = render_file(&m, store, buf)?;
            let name = format!("{index}.{ext}");
            if atomic {
                write_atomic(&dir.join(&name), buf)?;
            } else {
                dirs.write(&dir, &name, buf)
                    .map_err(|e| io_err(&dir.join(&name), e))?;
            }
            Ok(Done::File(name))
        }
        Job::Mail => {
            let (sender, secs, eml) = render_mail(&m, store)?;
            Ok(Done::Mail(sender, secs, eml))
        }
    }
}

/// Directories a worker has open to create files in: a file is then
/// created by its name in the open directory (`openat`), not by a path the
/// kernel walks again component by component for every file.
#[derive(Default)]
struct OpenDirs {
    #[cfg(unix)]
    open: Vec<(std::sync::Arc<Path>, rustix::fd::OwnedFd)>,
}

/// Directories a worker keeps open at most (the oldest is closed first).
#[cfg(unix)]
const OPEN_DIRS: usize = 16;

impl OpenDirs {
    /// Creates (or truncates) `dir/name` and writes `bytes` into it.
    fn write(
        &mut self,
        dir: &std::sync::Arc<Path>,
        name: &str,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use rustix::fs::{open, openat, Mode, OFlags};
            let at = match self
                .open
                .iter()
                .position(|(d, _)| std::sync::Arc::ptr_eq(d, dir))
            {
                Some(i) => i,
                None => {
                    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
                    let fd = open(&**dir, flags, Mode::empty())?;
                    if self.open.len() == OPEN_DIRS {
                        self.open.remove(0);
                    }
                    self.open.push((dir.clone(), fd));
                    self.open.len() - 1
                }
            };
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
            let fd = openat(&self.open[at].1, name, flags, Mode::from_raw_mode(0o666))?;
            File::from(fd).write_all(bytes)
        }
        #[cfg(not(unix))]
        fs::write(dir.join(name), bytes)
    }
}

/// The EML export: every folder's items in the order their data lies in
/// the file. A mailbox's folders are interleaved in its file (mail arrives
/// in many folders at once), so folder by folder the export would map the
/// whole file once per folder, and release and fault the same pages again
/// each time; in file order it reads the file once, front to back, which
/// also suits disks.
fn export_eml(
    store: &Store<'_>,
    out: &Path,
    plan: &[Planned],
    pool: &mut Pool,
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let stage = Stage::prepare(out, plan)?;
    let mut files = EmlFiles {
        plan,
        folders: vec![0; plan.len()],
    };
    let job = |f: usize, i: usize| Job::Eml {
        dir: stage.dirs[f].clone(),
        index: i + 1,
        atomic: stage.root_of[f].is_none(),
    };
    let filled = in_file_order(store, plan, pool, &job, &mut files, summary, progress);
    summary.folders_exported += files.folders.iter().filter(|&&n| n > 0).count();
    stage.finish(filled, &files.folders)
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

/// Every planned item as (data offset, planned folder, place in it), in
/// the order their data lies in the file.
fn file_order(store: &Store<'_>, plan: &[Planned]) -> Vec<(u64, u32, u32)> {
    let ndb = store.ndb();
    let mut order = Vec::with_capacity(plan.iter().map(|p| p.ids.len()).sum());
    for (f, p) in plan.iter().enumerate() {
        for (i, &nid) in p.ids.iter().enumerate() {
            order.push((crate::data_offset(ndb, nid), f as u32, i as u32));
        }
    }
    order.sort_unstable();
    order
}

/// The EML files written, per planned folder.
struct EmlFiles<'p> {
    plan: &'p [Planned],
    folders: Vec<usize>,
}

impl Outputs for EmlFiles<'_> {
    fn item(
        &mut self,
        f: usize,
        nid: Nid,
        r: Result<Done>,
        summary: &mut ExportSummary,
        progress: &mut dyn FnMut(ExportEvent),
    ) -> Result<()> {
        let p = &self.plan[f];
        match r {
            Ok(Done::File(name)) => {
                summary.items_exported += 1;
                summary.files_written += 1;
                self.folders[f] += 1;
                // Reported under the name it will have.
                progress(ExportEvent::ItemExported {
                    folder: p.folder.clone(),
                    nid,
                    file: p.dest.join(name),
                });
            }
            Ok(Done::Mail(..)) => {}
            // The output cannot be written: nothing after it can be.
            Err(e) if e.is_output() => return Err(e),
            Err(error) => item_failed(summary, progress, &p.folder, nid, error),
        }
        Ok(())
    }
}

/// Where an EML export's folders are filled. A folder directory that does
/// not exist yet is filled under a hidden name beside its topmost new
/// ancestor (the stage), and the stage is renamed into place when the
/// export ends: a few renames in all, and never a half-written folder in
/// view. Into directories that exist already (the output's top, or an
/// earlier export), files go one by one, each under a temporary name.
struct Stage {
    /// Per planned folder: the directory its files are written into.
    dirs: Vec<std::sync::Arc<Path>>,
    /// Per planned folder: its stage, if any.
    root_of: Vec<Option<usize>>,
    /// The stages: hidden directory, and the directory it becomes.
    roots: Vec<(StageDir, PathBuf)>,
}

impl Stage {
    /// Names every folder's directory and creates it (removing stages an
    /// interrupted export left behind).
    fn prepare(out: &Path, plan: &[Planned]) -> Result<Stage> {
        let mut stage = Stage {
            dirs: Vec::with_capacity(plan.len()),
            root_of: Vec::with_capacity(plan.len()),
            roots: Vec::new(),
        };
        let mut known = std::collections::HashMap::new();
        for p in plan {
            let (dir, root) = match new_ancestor(out, &p.dest) {
                None => (p.dest.clone(), None),
                Some(top) => {
                    let r = match known.get(&top) {
                        Some(&r) => r,
                        None => {
                            let hidden = StageDir::beside(&top)?;
                            stage.roots.push((hidden, top.clone()));
                            known.insert(top.clone(), stage.roots.len() - 1);
                            stage.roots.len() - 1
                        }
                    };
                    let rest = p.dest.strip_prefix(&top).unwrap_or(Path::new(""));
                    (stage.roots[r].0.path().join(rest), Some(r))
                }
            };
            if let Err(e) = fs::create_dir_all(&dir) {
                return Err(stage.abandon(io_err(&dir, e)));
            }
            stage.dirs.push(dir.into());
            stage.root_of.push(root);
        }
        Ok(stage)
    }

    /// Ends the export: on success, folders left without files are removed
    /// and each stage with files is renamed into place; on failure every
    /// stage is removed and `filled`'s error returned.
    fn finish(self, filled: Result<()>, written: &[usize]) -> Result<()> {
        if let Err(e) = filled {
            return Err(self.abandon(e));
        }
        let mut used = vec![false; self.roots.len()];
        // Deepest first (the walk was depth first), so a parent left without
        // files goes once its children have gone.
        for (f, dir) in self.dirs.iter().enumerate().rev() {
            match (written.get(f).copied().unwrap_or(0), self.root_of[f]) {
                (0, _) => {
                    // Only if empty: an existing directory may hold other files.
                    let _ = fs::remove_dir(dir);
                }
                (_, Some(r)) => used[r] = true,
                (_, None) => {}
            }
        }
        // An unused stage is removed as it is dropped.
        for ((hidden, dir), used) in self.roots.into_iter().zip(used) {
            if used {
                hidden.publish(&dir)?;
            }
        }
        Ok(())
    }
}

impl Stage {
    /// Removes every stage (what an export that cannot go on leaves);
    /// returns `e`.
    fn abandon(self, e: CopyError) -> CopyError {
        drop(self.roots);
        e
    }
}

/// The topmost directory of `dir` below `out` that does not exist yet.
fn new_ancestor(out: &Path, dir: &Path) -> Option<PathBuf> {
    let rel = dir.strip_prefix(out).ok()?;
    let mut at = out.to_path_buf();
    for c in rel.components() {
        at.push(c);
        if !at.exists() {
            return Some(at);
        }
    }
    None
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

/// The file for one item in EML mode, appended to `out`: its extension.
fn render_file(m: &Message<'_>, store: &Store<'_>, out: &mut Vec<u8>) -> Result<&'static str> {
    Ok(match m.kind() {
        ItemKind::Contact => {
            out.extend_from_slice(&contact_to_vcard(m, store));
            "vcf"
        }
        ItemKind::Appointment | ItemKind::Meeting => {
            out.extend_from_slice(&appointment_to_ics(m, store)?);
            "ics"
        }
        _ => {
            message_to_eml_into(m, store, out)?;
            "eml"
        }
    })
}

/// One item as mail for an mbox: its sender address, time and message.
fn render_mail(
    m: &Message<'_>,
    store: &Store<'_>,
) -> Result<(Option<String>, Option<i64>, Vec<u8>)> {
    let extra = match m.kind() {
        ItemKind::Contact => vec![ExtraPart {
            name: "contact.vcf",
            mime: "text/vcard",
            text: String::from_utf8_lossy(&contact_to_vcard(m, store)).into_owned(),
        }],
        ItemKind::Appointment | ItemKind::Meeting => vec![ExtraPart {
            name: "event.ics",
            mime: "text/calendar",
            text: String::from_utf8_lossy(&appointment_to_ics(m, store)?).into_owned(),
        }],
        _ => Vec::new(),
    };
    let eml = message_to_eml_with(m, store, extra)?;
    let sender = m.sender_email().filter(|e| e.contains('@'));
    Ok((sender, m.date().map(unix), eml))
}

/// mbox files an export keeps open at once: the least recently written is
/// closed (suspended) when another is needed.
const OPEN_MBOX: usize = 64;

/// The mbox export: like the EML one, every folder's items in the order
/// their data lies in the file, each appended to its folder's mbox. Every
/// mbox is renamed into place when the export ends.
fn export_mbox(
    store: &Store<'_>,
    plan: &[Planned],
    replace: Replace,
    pool: &mut Pool,
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let mut out = Mboxes {
        plan,
        replace,
        writers: (0..plan.len()).map(|_| None).collect(),
        open: std::collections::VecDeque::new(),
    };
    // On failure the writers are dropped, and with them their temporary files.
    in_file_order(
        store,
        plan,
        pool,
        &|_, _| Job::Mail,
        &mut out,
        summary,
        progress,
    )?;
    for w in out.writers.into_iter().flatten() {
        if w.count() > 0 {
            summary.folders_exported += 1;
        }
        w.finish()?;
        summary.files_written += 1;
    }
    Ok(())
}

/// The mbox files of an export.
struct Mboxes<'p> {
    plan: &'p [Planned],
    replace: Replace,
    /// Per planned folder, once its first item has come.
    writers: Vec<Option<MboxWriter>>,
    /// Planned folders whose file is open, least recently written first.
    open: std::collections::VecDeque<usize>,
}

impl Outputs for Mboxes<'_> {
    fn item(
        &mut self,
        f: usize,
        nid: Nid,
        r: Result<Done>,
        summary: &mut ExportSummary,
        progress: &mut dyn FnMut(ExportEvent),
    ) -> Result<()> {
        match r {
            Ok(Done::Mail(sender, secs, eml)) => {
                self.writer(f)?.append(sender.as_deref(), secs, &eml)?;
                summary.items_exported += 1;
                progress(ExportEvent::ItemExported {
                    folder: self.plan[f].folder.clone(),
                    nid,
                    file: self.plan[f].dest.clone(),
                });
            }
            Ok(Done::File(_)) => {}
            Err(error) => item_failed(summary, progress, &self.plan[f].folder, nid, error),
        }
        Ok(())
    }
}

impl Mboxes<'_> {
    /// The writer of planned folder `f`, its file open.
    fn writer(&mut self, f: usize) -> Result<&mut MboxWriter> {
        match self.open.iter().position(|&o| o == f) {
            Some(at) => {
                self.open.remove(at);
            }
            None if self.open.len() == OPEN_MBOX => {
                if let Some(old) = self.open.pop_front() {
                    if let Some(w) = self.writers[old].as_mut() {
                        w.suspend()?;
                    }
                }
            }
            None => {}
        }
        self.open.push_back(f);
        if self.writers[f].is_none() {
            let path = &self.plan[f].dest;
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
            }
            self.writers[f] = Some(MboxWriter::create(path, self.replace)?);
        }
        Ok(self.writers[f].as_mut().expect("created above"))
    }
}

/// Writes `bytes` to a temporary file and renames it to `path`, so that
/// `path` is either as it was or complete. Used only for directories that
/// existed before the export, which it may fill only when told to replace
/// what is there.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = TempFile::hidden_beside(path)?;
    (&mut tmp.file())
        .write_all(bytes)
        .map_err(|e| io_err(tmp.path(), e))?;
    tmp.publish(path, Replace::RegularFile)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_dirs_write_into_more_directories_than_they_keep_open() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs: Vec<std::sync::Arc<Path>> = (0..40)
            .map(|i| {
                let d = tmp.path().join(format!("d{i}"));
                fs::create_dir(&d).unwrap();
                d.into()
            })
            .collect();
        let mut open = OpenDirs::default();
        // Round and round: every directory is closed and opened again.
        for round in 0..3 {
            for (i, d) in dirs.iter().enumerate() {
                let body = format!("{round} {i}");
                open.write(d, &format!("{round}.eml"), body.as_bytes())
                    .unwrap();
            }
        }
        // Writing a name again replaces the file's bytes.
        open.write(&dirs[0], "0.eml", b"x").unwrap();
        for (i, d) in dirs.iter().enumerate() {
            for round in 0..3 {
                let got = fs::read(d.join(format!("{round}.eml"))).unwrap();
                let want = if (i, round) == (0, 0) {
                    b"x".to_vec()
                } else {
                    format!("{round} {i}").into_bytes()
                };
                assert_eq!(got, want);
            }
        }
        let gone: std::sync::Arc<Path> = tmp.path().join("missing").into();
        let e = open.write(&gone, "1.eml", b"x").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn atomic_write_leaves_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("1.eml");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // A failed write leaves nothing.
        let bad = dir.path().join("missing-dir").join("2.eml");
        assert!(write_atomic(&bad, b"x").is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
