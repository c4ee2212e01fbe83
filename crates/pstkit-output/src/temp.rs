//! Temporary files and staging directories: exclusive, locked, named with
//! the owning process, registered for cleanup, removed unless published.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::error::{OutputError, Result};
use crate::publish::{publish, Replace};
use crate::registry::{create, unregister};

/// The suffix that marks pstkit's temporary names; the sweep looks for it.
pub(crate) const MARK: &str = ".pstkit-";

/// `NAME` of `path`, lossily, for building names beside it.
fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Holds an exclusive `flock` on `file` (released when every descriptor
/// of it closes), so that a sweep knows the name is in use.
#[cfg(unix)]
fn lock(file: &File) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn lock(_: &File) -> std::io::Result<()> {
    Ok(())
}

/// A temporary name made by this process: removed when dropped, unless
/// published (renamed to its destination) first.
#[derive(Debug)]
struct Owned {
    path: PathBuf,
    dir: bool,
    /// `None` once published.
    reg: Option<u64>,
}

impl Owned {
    /// Makes the name with `make` (exclusively) and registers it, as one step.
    fn make(
        path: PathBuf,
        dir: bool,
        make: impl FnOnce(&Path) -> std::io::Result<File>,
    ) -> Result<(Owned, File)> {
        let (file, id) =
            create(&path, dir, || make(&path)).map_err(|e| OutputError::io(&path, e))?;
        Ok((
            Owned {
                path,
                dir,
                reg: Some(id),
            },
            file,
        ))
    }

    fn publish(&mut self, dst: &Path, replace: Replace) -> Result<()> {
        publish(&self.path, dst, replace)?;
        if let Some(id) = self.reg.take() {
            unregister(id);
        }
        Ok(())
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if let Some(id) = self.reg.take() {
            let _ = if self.dir {
                fs::remove_dir_all(&self.path)
            } else {
                fs::remove_file(&self.path)
            };
            unregister(id);
        }
    }
}

/// The hidden name `.NAME.pstkit-PID.part` beside `dst`.
fn hidden_name(dst: &Path) -> PathBuf {
    dst.with_file_name(format!(
        ".{}{MARK}{}.part",
        name_of(dst),
        std::process::id()
    ))
}

fn create_file(path: &Path) -> std::io::Result<File> {
    File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
}

/// A file being written under a temporary name beside its destination
/// (`DST.pstkit-PID.tmp`). Dropping it unpublished removes it.
#[derive(Debug)]
pub struct TempFile {
    name: Owned,
    file: File,
}

impl TempFile {
    /// Creates the temporary file for `dst`: exclusively (an existing name,
    /// or a link planted there, is an error, never followed), locked, and
    /// registered for removal on a signal.
    pub fn beside(dst: &Path) -> Result<TempFile> {
        let mut name = dst.as_os_str().to_owned();
        name.push(format!("{MARK}{}.tmp", std::process::id()));
        Self::create(PathBuf::from(name))
    }

    /// A hidden temporary name for `dst` (`.NAME.pstkit-PID.part`), for
    /// files renamed into folders a user looks at.
    pub fn hidden_beside(dst: &Path) -> Result<TempFile> {
        Self::create(hidden_name(dst))
    }

    fn create(path: PathBuf) -> Result<TempFile> {
        let (name, file) = Owned::make(path, false, create_file)?;
        lock(&file).map_err(|e| OutputError::io(&name.path, e))?;
        Ok(TempFile { name, file })
    }

    /// The temporary path.
    pub fn path(&self) -> &Path {
        &self.name.path
    }

    /// The open file (read and write).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Renames the file to `dst` (see [`publish`]); on failure it is
    /// removed.
    pub fn publish(mut self, dst: &Path, replace: Replace) -> Result<()> {
        self.name.publish(dst, replace)
    }
}

/// A temporary name reserved exclusively and registered for cleanup, with
/// no descriptor kept open (for outputs closed and reopened while written,
/// such as an export's many mbox files). Without a lock, a sweep removes it
/// only once its process is gone. Dropping it unpublished removes the file.
#[derive(Debug)]
pub struct TempName {
    name: Owned,
}

impl TempName {
    /// Reserves the hidden name `.NAME.pstkit-PID.part` beside `dst` (an
    /// existing name or a planted link is an error) and returns the file,
    /// open for writing.
    pub fn hidden_beside(dst: &Path) -> Result<(TempName, File)> {
        let (name, file) = Owned::make(hidden_name(dst), false, create_file)?;
        Ok((TempName { name }, file))
    }

    /// The temporary path.
    pub fn path(&self) -> &Path {
        &self.name.path
    }

    /// Opens the file again for appending (never through a link).
    pub fn reopen(&self) -> Result<File> {
        let mut o = File::options();
        o.append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NOFOLLOW);
        o.open(self.path())
            .map_err(|e| OutputError::io(self.path(), e))
    }

    /// Renames the file to `dst` (see [`publish`]).
    pub fn publish(mut self, dst: &Path, replace: Replace) -> Result<()> {
        self.name.publish(dst, replace)
    }
}

/// A directory being filled under a hidden name beside the directory it
/// becomes (`.NAME.pstkit-PID.part`). Dropping it unpublished removes it
/// with everything in it.
#[derive(Debug)]
pub struct StageDir {
    name: Owned,
    // Open for the lock: a sweep sees the stage is in use.
    _lock: File,
}

impl StageDir {
    /// Creates the stage for directory `dst` (exclusively: `mkdir` never
    /// follows or reuses an existing name).
    pub fn beside(dst: &Path) -> Result<StageDir> {
        let (name, dir) = Owned::make(hidden_name(dst), true, |p| {
            fs::create_dir(p)?;
            File::open(p).inspect_err(|_| {
                let _ = fs::remove_dir(p);
            })
        })?;
        lock(&dir).map_err(|e| OutputError::io(&name.path, e))?;
        Ok(StageDir { name, _lock: dir })
    }

    /// Where a command that writes a folder of files writes: into `dst`
    /// itself when it is an existing folder (`None`, after `existing` has
    /// checked and swept it), else into a stage beside it (`dst` must not
    /// exist). A `dst` that is a file or a link is refused: it is never
    /// written through or replaced.
    pub fn for_folder(
        dst: &Path,
        existing: impl FnOnce() -> Result<()>,
    ) -> Result<Option<StageDir>> {
        match fs::symlink_metadata(dst) {
            Ok(m) if m.is_dir() => existing().map(|()| None),
            Ok(m) => Err(OutputError::NotRegular {
                path: dst.to_path_buf(),
                what: if m.file_type().is_symlink() {
                    "a symbolic link, not a folder"
                } else {
                    "not a folder"
                },
            }),
            Err(_) => {
                crate::check_destination(dst, Replace::Never, &[])?;
                StageDir::beside(dst).map(Some)
            }
        }
    }

    /// The hidden path being filled.
    pub fn path(&self) -> &Path {
        &self.name.path
    }

    /// Renames the stage to `dst`, which must not exist.
    pub fn publish(mut self, dst: &Path) -> Result<()> {
        self.name.publish(dst, Replace::Never)
    }
}

/// The lock a temporary name's owner holds, for the sweep's tests.
#[cfg(all(test, unix))]
pub(crate) fn tests_lock(f: &File) {
    lock(f).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_destination_is_written_in_place_staged_or_refused() {
        let d = tempfile::tempdir().unwrap();
        // An existing folder: written in place, after its own check.
        let mut checked = false;
        let r = StageDir::for_folder(d.path(), || {
            checked = true;
            Ok(())
        });
        assert!(matches!(r, Ok(None)) && checked);
        let r = StageDir::for_folder(d.path(), || {
            Err(OutputError::Exists {
                path: d.path().into(),
            })
        });
        assert!(matches!(r, Err(OutputError::Exists { .. })));
        // A new name: a stage beside it, which becomes it when published.
        let new = d.path().join("out");
        let stage = StageDir::for_folder(&new, || unreachable!())
            .unwrap()
            .unwrap();
        assert_eq!(stage.path().parent(), Some(d.path()));
        assert!(!new.exists());
        stage.publish(&new).unwrap();
        assert!(new.is_dir());
        // A file, or a link to a folder: never written through.
        let file = d.path().join("file");
        fs::write(&file, b"x").unwrap();
        let r = StageDir::for_folder(&file, || unreachable!());
        assert!(matches!(
            r,
            Err(OutputError::NotRegular {
                what: "not a folder",
                ..
            })
        ));
        #[cfg(unix)]
        {
            let link = d.path().join("link");
            std::os::unix::fs::symlink(&new, &link).unwrap();
            let r = StageDir::for_folder(&link, || unreachable!());
            assert!(matches!(r, Err(OutputError::NotRegular { .. })));
        }
        // A folder that is not there to hold it.
        assert!(StageDir::for_folder(&d.path().join("no/out"), || unreachable!()).is_err());
    }

    #[test]
    fn a_temp_file_is_removed_unless_published() {
        let d = tempfile::tempdir().unwrap();
        let dst = d.path().join("out.pst");
        let t = TempFile::beside(&dst).unwrap();
        let p = t.path().to_path_buf();
        assert!(p
            .to_string_lossy()
            .ends_with(&format!(".pstkit-{}.tmp", std::process::id())));
        drop(t);
        assert!(!p.exists());
        let t = TempFile::beside(&dst).unwrap();
        std::io::Write::write_all(&mut t.file(), b"x").unwrap();
        t.publish(&dst, Replace::Never).unwrap();
        assert_eq!(fs::read(&dst).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let dst = d.path().join("out.pst");
        let victim = d.path().join("victim");
        fs::write(&victim, b"keep").unwrap();
        let mut name = dst.as_os_str().to_owned();
        name.push(format!(".pstkit-{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &name).unwrap();
        assert!(TempFile::beside(&dst).is_err());
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
    }
}
