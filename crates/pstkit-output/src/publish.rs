//! Checking a destination before the work, and putting the finished file in
//! place after it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{OutputError, Result};

/// Whether an existing destination may be replaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Replace {
    /// Refuse any existing destination (the default).
    #[default]
    Never,
    /// Replace an existing regular file, atomically (`--force`); links,
    /// directories and special files are still refused.
    RegularFile,
}

/// What a path is, in words for an error message, when it is not a regular
/// file.
fn not_regular(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_symlink() {
        Some("a symbolic link")
    } else if t.is_dir() {
        Some("a directory")
    } else {
        Some("not a regular file")
    }
}

/// The folder `dst` goes into ("." for a bare file name), where its
/// temporary file is made and stale ones are swept.
pub fn folder_of(dst: &Path) -> PathBuf {
    match dst.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Checks, before any work, that `dst` may be written: its folder exists,
/// and it does not exist (or, with [`Replace::RegularFile`], is a regular
/// file), and it is none of `inputs` (by path, link or inode).
pub fn check_destination(dst: &Path, replace: Replace, inputs: &[&Path]) -> Result<()> {
    let folder = folder_of(dst);
    match fs::metadata(&folder) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(OutputError::NotRegular {
                path: folder,
                what: "not a folder",
            })
        }
        Err(_) => return Err(OutputError::NoFolder { path: folder }),
    }
    for input in inputs {
        if same_file(dst, input) {
            return Err(OutputError::IsInput {
                path: dst.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
    }
    match fs::symlink_metadata(dst) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OutputError::io(dst, e)),
        Ok(meta) => match (replace, not_regular(&meta)) {
            (_, Some(what)) => Err(OutputError::NotRegular {
                path: dst.to_path_buf(),
                what,
            }),
            (Replace::Never, None) => Err(OutputError::Exists {
                path: dst.to_path_buf(),
            }),
            (Replace::RegularFile, None) => Ok(()),
        },
    }
}

/// Whether `a` and `b` name the same file: the same path once links are
/// resolved, or the same device and inode (hard links). A path that does
/// not exist is no file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
        false
    }
    #[cfg(not(unix))]
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Renames the finished file `tmp` to `dst`: without replacing anything, or
/// replacing a regular file with [`Replace::RegularFile`]. The rename is
/// atomic: `dst` is the old file or the complete new one, never a mix, and
/// a link at `dst` is never followed. The folder is synced afterwards so the
/// new name survives a crash.
pub fn publish(tmp: &Path, dst: &Path, replace: Replace) -> Result<()> {
    match replace {
        Replace::Never => rename_noreplace(tmp, dst)?,
        Replace::RegularFile => {
            if let Ok(meta) = fs::symlink_metadata(dst) {
                if let Some(what) = not_regular(&meta) {
                    return Err(OutputError::NotRegular {
                        path: dst.to_path_buf(),
                        what,
                    });
                }
            }
            fs::rename(tmp, dst).map_err(|e| OutputError::io(dst, e))?;
        }
    }
    if let Ok(d) = fs::File::open(folder_of(dst)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// `rename` that fails when `dst` exists, atomically.
#[cfg(target_os = "linux")]
fn rename_noreplace(tmp: &Path, dst: &Path) -> Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| OutputError::io(p, std::io::ErrorKind::InvalidInput.into()))
    };
    let (from, to) = (c(tmp)?, c(dst)?);
    // SAFETY: both are valid NUL-terminated paths; renameat2 only reads them.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EEXIST) => Err(OutputError::Exists {
            path: dst.to_path_buf(),
        }),
        // A file system without RENAME_NOREPLACE: a hard link fails on an
        // existing name just as atomically.
        Some(libc::EINVAL) | Some(libc::ENOSYS) => link_then_unlink(tmp, dst),
        _ => Err(OutputError::io(dst, e)),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(tmp: &Path, dst: &Path) -> Result<()> {
    link_then_unlink(tmp, dst)
}

fn link_then_unlink(tmp: &Path, dst: &Path) -> Result<()> {
    match fs::hard_link(tmp, dst) {
        Ok(()) => {
            let _ = fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(OutputError::Exists {
            path: dst.to_path_buf(),
        }),
        Err(e) => Err(OutputError::io(dst, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_is_refused_unless_replacing() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.pst");
        fs::write(&f, b"keep").unwrap();
        assert!(matches!(
            check_destination(&f, Replace::Never, &[]),
            Err(OutputError::Exists { .. })
        ));
        check_destination(&f, Replace::RegularFile, &[]).unwrap();
        check_destination(&d.path().join("new.pst"), Replace::Never, &[]).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn links_and_directories_are_never_replaced() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = d.path().join("link.pst");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for p in [&link, &d.path().to_path_buf()] {
            assert!(matches!(
                check_destination(p, Replace::RegularFile, &[]),
                Err(OutputError::NotRegular { .. })
            ));
        }
        let tmp = d.path().join("tmp");
        fs::write(&tmp, b"new").unwrap();
        assert!(publish(&tmp, &link, Replace::RegularFile).is_err());
        assert_eq!(fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn a_missing_folder_is_named() {
        let d = tempfile::tempdir().unwrap();
        let dst = d.path().join("nope").join("a.pst");
        match check_destination(&dst, Replace::Never, &[]) {
            Err(OutputError::NoFolder { path }) => assert_eq!(path, d.path().join("nope")),
            other => panic!("{other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_input_is_found_by_link_and_inode() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in.mbox");
        fs::write(&src, b"From x\n").unwrap();
        let hard = d.path().join("hard.pst");
        fs::hard_link(&src, &hard).unwrap();
        let soft = d.path().join("soft.pst");
        std::os::unix::fs::symlink(&src, &soft).unwrap();
        for dst in [&src, &hard, &soft] {
            assert!(matches!(
                check_destination(dst, Replace::RegularFile, &[&src]),
                Err(OutputError::IsInput { .. }) | Err(OutputError::NotRegular { .. })
            ));
        }
        assert!(matches!(
            check_destination(&hard, Replace::RegularFile, &[&src]),
            Err(OutputError::IsInput { .. })
        ));
    }

    #[test]
    fn publish_never_replaces_without_leave() {
        let d = tempfile::tempdir().unwrap();
        let (tmp, dst) = (d.path().join("t"), d.path().join("d"));
        fs::write(&tmp, b"new").unwrap();
        fs::write(&dst, b"old").unwrap();
        assert!(matches!(
            publish(&tmp, &dst, Replace::Never),
            Err(OutputError::Exists { .. })
        ));
        assert_eq!(fs::read(&dst).unwrap(), b"old");
        publish(&tmp, &dst, Replace::RegularFile).unwrap();
        assert_eq!(fs::read(&dst).unwrap(), b"new");
        assert!(!tmp.exists());
    }
}
