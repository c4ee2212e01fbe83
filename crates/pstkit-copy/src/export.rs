//! Exporting a whole store to a tree of files, folder by folder.

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

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// A directory per folder holding `1.eml`, `2.eml`, … (contacts as
    /// `N.vcf`, appointments and meetings as `N.ics`), numbered by the
    /// item's position in the folder's contents table.
    Eml,
    /// One mboxrd file per folder, `<folder path>.mbox`. Contacts and
    /// appointments go in as mail with their vCard or iCalendar attached, so
    /// that the mbox holds every item and nothing of them is lost.
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
    /// A folder with items is being exported.
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Folders read (with or without items).
    pub folders: usize,
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
}

impl ExportSummary {
    /// Whether everything in the store was exported.
    pub fn is_complete(&self) -> bool {
        self.items_failed == 0 && self.folders_failed == 0
    }
}

/// Exports every folder of `store` into directory `out` (created if
/// needed), each file written under a temporary name and renamed when
/// complete. Items are read, rendered and written by one worker thread per
/// CPU, a bounded number ahead (an mbox keeps its items' order). Unreadable items and folders
/// are reported through `progress` and skipped; the error return is kept
/// for what stops the whole export (the output cannot be written).
pub fn export(
    store: &Store<'_>,
    out: &Path,
    format: ExportFormat,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<ExportSummary> {
    fs::create_dir_all(out).map_err(|e| io_err(out, e))?;

    let (mut folders, mut items) = (0, 0);
    for w in store.walk().flatten() {
        folders += 1;
        items += w.folder.message_ids().map(|ids| ids.len()).unwrap_or(0);
    }
    progress(ExportEvent::Counted { folders, items });

    let workers = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
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
        let r = export_folders(store, out, format, &mut pool, progress);
        // Closing the job queue ends the workers before the scope joins them.
        pool.jobs = None;
        r
    })
}

fn export_folders(
    store: &Store<'_>,
    out: &Path,
    format: ExportFormat,
    pool: &mut Pool,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<ExportSummary> {
    let mut summary = ExportSummary::default();
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
        summary.folders += 1;
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
        progress(ExportEvent::FolderStarted {
            folder: folder.clone(),
            items: ids.len(),
        });
        let before = summary.items_exported;
        match format {
            ExportFormat::Eml => {
                export_eml_folder(pool, &out.join(&rel), &folder, &ids, &mut summary, progress)?
            }
            ExportFormat::Mbox => {
                let file = if rel.as_os_str().is_empty() {
                    claims.claim(Path::new(""), "_root")
                } else {
                    rel
                };
                let mut name = file.into_os_string();
                name.push(".mbox");
                let path = out.join(name);
                export_mbox_folder(pool, &path, &folder, &ids, &mut summary, progress)?
            }
        }
        if summary.items_exported > before {
            summary.folders_exported += 1;
        }
    }
    Ok(summary)
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
        dir: PathBuf,
        index: usize,
        atomic: bool,
    },
    /// Render as mail for an mbox.
    Mail,
}

/// What a worker made of one item.
enum Done {
    /// The file written.
    File(PathBuf),
    /// An mbox entry: sender, time, message.
    Mail(Option<String>, Option<i64>, Vec<u8>),
}

type Batch = Vec<(Nid, Job)>;
type Results = Vec<(Nid, Result<Done>)>;

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
    fn push(&mut self, nid: Nid, job: Job) -> Result<Results> {
        self.pending.push((nid, job));
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
        let first = batch[0].0;
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
    loop {
        // The lock is held only to take one batch.
        let next = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, batch)) = next else { return };
        let done = batch
            .into_iter()
            .map(|(nid, job)| {
                let r = match &store {
                    Ok(store) => do_job(store, nid, job, &mut buf),
                    Err(e) => Err(CopyError::Damaged {
                        folder: String::new(),
                        nid,
                        what: format!("source store: {e}"),
                    }),
                };
                (nid, r)
            })
            .collect();
        if out.send((seq, done)).is_err() {
            return;
        }
    }
}

fn do_job(store: &Store<'_>, nid: Nid, job: Job, buf: &mut Vec<u8>) -> Result<Done> {
    let m = store.message(nid)?;
    match job {
        Job::Eml { dir, index, atomic } => {
            buf.clear();
            if buf.capacity() > KEEP_BUFFER {
                // One huge item does not keep its memory for the rest.
                buf.shrink_to(KEEP_BUFFER);
            }
            let ext = render_file(&m, store, buf)?;
            let file = dir.join(format!("{index}.{ext}"));
            if atomic {
                write_atomic(&file, buf)?;
            } else {
                fs::write(&file, &buf).map_err(|e| io_err(&file, e))?;
            }
            Ok(Done::File(file))
        }
        Job::Mail => {
            let (sender, secs, eml) = render_mail(&m, store)?;
            Ok(Done::Mail(sender, secs, eml))
        }
    }
}

fn export_eml_folder(
    pool: &mut Pool,
    dir: &Path,
    folder: &str,
    ids: &[Nid],
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let before = summary.items_exported;
    // A new folder directory is filled under a hidden name and renamed
    // when complete: one rename per folder instead of one per file, and
    // never a half-written folder in view. Into a directory that exists
    // already (the output's top, or an earlier export), files go one by
    // one, each under a temporary name.
    let staged = staging_dir(dir);
    let target = match &staged {
        Some(st) => {
            if st.exists() {
                // A stage of ours that an interrupted export left behind.
                fs::remove_dir_all(st).map_err(|e| io_err(st, e))?;
            }
            fs::create_dir_all(st).map_err(|e| io_err(st, e))?;
            st.clone()
        }
        None => {
            fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
            dir.to_path_buf()
        }
    };
    let mut take = |due: Results, summary: &mut ExportSummary| -> Result<()> {
        for (nid, r) in due {
            match r {
                Ok(Done::File(file)) => {
                    summary.items_exported += 1;
                    summary.files_written += 1;
                    // Reported under the name it will have.
                    let file = match (&staged, file.file_name()) {
                        (Some(_), Some(name)) => dir.join(name),
                        _ => file,
                    };
                    progress(ExportEvent::ItemExported {
                        folder: folder.to_string(),
                        nid,
                        file,
                    });
                }
                Ok(Done::Mail(..)) => {}
                // The output cannot be written: nothing after it can be.
                Err(e @ CopyError::Io { .. }) => return Err(e),
                Err(error) => item_failed(summary, progress, folder, nid, error),
            }
        }
        Ok(())
    };
    let filled = (|| {
        for (i, &nid) in ids.iter().enumerate() {
            let job = Job::Eml {
                dir: target.clone(),
                index: i + 1,
                atomic: staged.is_none(),
            };
            let due = pool.push(nid, job)?;
            take(due, summary)?;
        }
        let due = pool.drain()?;
        take(due, summary)
    })();
    let wrote = summary.items_exported > before;
    match (&staged, filled) {
        (Some(st), Ok(())) if wrote => fs::rename(st, dir).map_err(|e| io_err(dir, e)),
        (Some(st), r) => {
            let _ = fs::remove_dir_all(st);
            r
        }
        (None, r) => {
            if !wrote {
                // Nothing of this folder could be written: no empty directory.
                let _ = fs::remove_dir(dir);
            }
            r
        }
    }
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

/// Where a folder directory that does not exist yet is filled before it
/// is renamed into place: a hidden name beside it. `None` when the
/// directory exists (or is the output's top) and files go in one by one.
fn staging_dir(dir: &Path) -> Option<PathBuf> {
    if dir.exists() {
        return None;
    }
    let name = dir.file_name()?.to_string_lossy().into_owned();
    Some(dir.with_file_name(format!(".{name}.pstkit-part")))
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

fn export_mbox_folder(
    pool: &mut Pool,
    path: &Path,
    folder: &str,
    ids: &[Nid],
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let mut writer: Option<MboxWriter> = None;
    let mut take = |due: Results,
                    summary: &mut ExportSummary,
                    writer: &mut Option<MboxWriter>|
     -> Result<()> {
        for (nid, r) in due {
            match r {
                Ok(Done::Mail(sender, secs, eml)) => {
                    let w = match writer.as_mut() {
                        Some(w) => w,
                        None => {
                            if let Some(parent) = path.parent() {
                                fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
                            }
                            writer.insert(MboxWriter::create(path)?)
                        }
                    };
                    w.append(sender.as_deref(), secs, &eml)?;
                    summary.items_exported += 1;
                    progress(ExportEvent::ItemExported {
                        folder: folder.to_string(),
                        nid,
                        file: path.to_path_buf(),
                    });
                }
                Ok(Done::File(_)) => {}
                Err(error) => item_failed(summary, progress, folder, nid, error),
            }
        }
        Ok(())
    };
    for &nid in ids {
        let due = pool.push(nid, Job::Mail)?;
        take(due, summary, &mut writer)?;
    }
    let due = pool.drain()?;
    take(due, summary, &mut writer)?;
    if let Some(w) = writer {
        w.finish()?;
        summary.files_written += 1;
    }
    Ok(())
}

/// The temporary name a file is written under: hidden, beside it.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.part"))
}

/// Writes `bytes` to a temporary file and renames it to `path`, so that
/// `path` is either absent or complete.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    let written = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("1.eml");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(temp_path(&p), dir.path().join(".1.eml.part"));
        // A failed write leaves nothing.
        let bad = dir.path().join("missing-dir").join("2.eml");
        assert!(write_atomic(&bad, b"x").is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
