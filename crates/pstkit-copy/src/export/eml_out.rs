//! The EML output of an export: a directory per folder, new ones filled in
//! hidden stages renamed into place at the end, files into existing
//! directories written under temporary names, and the cache of open
//! directories files are created in (`openat`).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use pstkit_ndb::Nid;
use pstkit_output::{Replace, StageDir, TempFile};
use pstkit_store::Store;

use super::job::{Done, Job};
use super::plan::Planned;
use super::pool::Pool;
use super::{in_file_order, item_failed, ExportEvent, ExportFormat, ExportSummary, Outputs};
use crate::error::{io_err, CopyError, Result};

/// The EML export: every folder's items in the order their data lies in
/// the file. A mailbox's folders are interleaved in its file (mail arrives
/// in many folders at once), so folder by folder the export would map the
/// whole file once per folder, and release and fault the same pages again
/// each time; in file order it reads the file once, front to back, which
/// also suits disks.
pub(super) fn export_eml(
    store: &Store<'_>,
    out: &Path,
    format: ExportFormat,
    plan: &[Planned],
    pool: &mut Pool,
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let stage = Stage::prepare(out, plan)?;
    let maildir = format == ExportFormat::Maildir;
    if maildir {
        if let Err(e) = maildirs(out, &stage) {
            return Err(stage.abandon(e));
        }
    }
    let mut files = EmlFiles {
        plan,
        folders: vec![0; plan.len()],
    };
    let job = |f: usize, i: usize| {
        let (dir, index, atomic) = (stage.dirs[f].clone(), i + 1, stage.root_of[f].is_none());
        if maildir {
            Job::Maildir { dir, index, atomic }
        } else {
            Job::Eml { dir, index, atomic }
        }
    };
    let filled = in_file_order(store, plan, pool, &job, &mut files, summary, progress);
    summary.folders_exported += files.folders.iter().filter(|&&n| n > 0).count();
    stage.finish(filled, &files.folders)
}

/// Completes every maildir of the plan: `new/` and `tmp/` beside the
/// `cur/` the stage made, and `maildirfolder` in each subfolder (Maildir++);
/// the top maildir too, which holds the folders.
fn maildirs(out: &Path, stage: &Stage) -> Result<()> {
    let make = |dir: &Path| match fs::create_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(io_err(dir, e)),
        _ => Ok(()),
    };
    for sub in ["cur", "new", "tmp"] {
        make(&out.join(sub))?;
    }
    for cur in &stage.dirs {
        let Some(maildir) = cur.parent() else {
            continue;
        };
        for sub in ["new", "tmp"] {
            make(&maildir.join(sub))?;
        }
        if maildir != out {
            let marker = maildir.join("maildirfolder");
            fs::write(&marker, b"").map_err(|e| io_err(&marker, e))?;
        }
    }
    Ok(())
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
            Ok(Done::Mail(..) | Done::MailFile(..) | Done::Msg(..) | Done::MsgFile(..)) => {}
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
pub(super) struct Stage {
    /// Per planned folder: the directory its files are written into.
    pub(super) dirs: Vec<std::sync::Arc<Path>>,
    /// Per planned folder: its stage, if any.
    pub(super) root_of: Vec<Option<usize>>,
    /// The stages: hidden directory, and the directory it becomes.
    roots: Vec<(StageDir, PathBuf)>,
}

impl Stage {
    /// Names every folder's directory and creates it (removing stages an
    /// interrupted export left behind).
    pub(super) fn prepare(out: &Path, plan: &[Planned]) -> Result<Stage> {
        let mut stage = Stage {
            dirs: Vec::with_capacity(plan.len()),
            root_of: Vec::with_capacity(plan.len()),
            roots: Vec::new(),
        };
        let mut known = std::collections::HashMap::new();
        for p in plan {
            let made = match new_ancestor(out, &p.dest) {
                None => fs::create_dir_all(&p.dest).map(|()| (p.dest.clone(), None)),
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
                    let root = stage.roots[r].0.path();
                    create_below(root, rest).map(|()| (root.join(rest), Some(r)))
                }
            };
            let (dir, root) = match made {
                Ok(made) => made,
                Err(e) => return Err(stage.abandon(io_err(&p.dest, e))),
            };
            stage.dirs.push(dir.into());
            stage.root_of.push(root);
        }
        Ok(stage)
    }

    /// Ends the export: on success, folders left without files are removed
    /// and each stage with files is renamed into place; on failure every
    /// stage is removed and `filled`'s error returned.
    pub(super) fn finish(self, filled: Result<()>, written: &[usize]) -> Result<()> {
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

/// Creates the directories of `rest` below the stage `root`, one level at
/// a time and never `root` itself: a stage a signal's cleanup removed must
/// not come back, unregistered, under a later folder's path.
fn create_below(root: &Path, rest: &Path) -> std::io::Result<()> {
    let mut p = root.to_path_buf();
    for c in rest.components() {
        p.push(c);
        match fs::create_dir(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
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

/// Directories a worker has open to create files in: a file is then
/// created by its name in the open directory (`openat`), not by a path the
/// kernel walks again component by component for every file.
#[derive(Default)]
pub(super) struct OpenDirs {
    #[cfg(unix)]
    open: Vec<(std::sync::Arc<Path>, rustix::fd::OwnedFd)>,
}

/// Directories a worker keeps open at most (the oldest is closed first).
#[cfg(unix)]
const OPEN_DIRS: usize = 16;

impl OpenDirs {
    /// Creates (or truncates) `dir/name` and writes `bytes` into it.
    pub(super) fn write(
        &mut self,
        dir: &std::sync::Arc<Path>,
        name: &str,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let mut file = self.create(dir, name)?;
        file.write_all(bytes)
    }

    /// Creates (or truncates) `dir/name` and has `fill` write it; the file
    /// is removed when `fill` fails, so that no part of an item is left.
    pub(super) fn write_with(
        &mut self,
        dir: &std::sync::Arc<Path>,
        name: &str,
        fill: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        let path = dir.join(name);
        let file = self.create(dir, name).map_err(|e| io_err(&path, e))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
        let done = fill(&mut w).and_then(|()| w.flush().map_err(|e| io_err(&path, e)));
        if done.is_err() {
            drop(w);
            let _ = fs::remove_file(&path);
        }
        done
    }

    /// Creates (or truncates) `dir/name`, in a directory kept open.
    fn create(&mut self, dir: &std::sync::Arc<Path>, name: &str) -> std::io::Result<File> {
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
            Ok(File::from(fd))
        }
        #[cfg(not(unix))]
        File::create(dir.join(name))
    }
}

/// Writes `bytes` to a temporary file and renames it to `path`, so that
/// `path` is either as it was or complete. Used only for directories that
/// existed before the export, which it may fill only when told to replace
/// what is there.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, &mut |w| {
        w.write_all(bytes).map_err(|e| io_err(path, e))
    })
}

/// [`write_atomic`] of what `fill` writes; nothing is left when it fails.
pub(super) fn write_atomic_with(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let tmp = TempFile::hidden_beside(path)?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp.file());
        fill(&mut w)?;
        w.flush().map_err(|e| io_err(tmp.path(), e))?;
    }
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
