//! Removing what a killed or crashed run left behind.
//!
//! A temporary name carries its owner's process id, and the owner holds an
//! exclusive lock on it for as long as it lives. A name is stale when the
//! lock is free and no process has that id: both, so that neither a live
//! run whose id was reused nor one between lock and name is ever touched.

use std::fs;
use std::path::{Path, PathBuf};

use crate::temp::MARK;

/// What a sweep removed.
#[derive(Debug, Default)]
pub struct Swept {
    /// The stale names removed.
    pub removed: Vec<PathBuf>,
}

/// The owner's id in a temporary name, if the name is one of pstkit's:
/// `….pstkit-PID.tmp` or `….pstkit-PID.part`; `Some(None)` for the stage
/// name of older versions, which carried no id (`….pstkit-part`).
fn owner(name: &str) -> Option<Option<u32>> {
    let at = name.rfind(MARK)?;
    let rest = &name[at + MARK.len()..];
    if rest == "part" {
        return Some(None);
    }
    let (pid, ext) = rest.split_once('.')?;
    if !(ext == "tmp" || ext == "part") || pid.is_empty() {
        return None;
    }
    pid.parse().ok().map(Some)
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only asks whether the process exists.
    let r = unsafe { libc::kill(p, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn alive(pid: u32) -> bool {
    pid == std::process::id()
}

/// Whether somebody holds the name's lock.
#[cfg(unix)]
fn locked(path: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let Ok(f) = fs::File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    else {
        // Unopenable (a link, say): not ours to judge as free.
        return true;
    };
    // SAFETY: flock on a descriptor we own; released when `f` closes.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
}

#[cfg(not(unix))]
fn locked(_: &Path) -> bool {
    false
}

/// Removes the stale temporary files and stages directly in `dir`.
pub fn sweep(dir: &Path) -> Swept {
    let mut swept = Swept::default();
    sweep_into(dir, 0, false, &mut swept);
    swept
}

/// As [`sweep`], in `dir` and every folder below it (links not followed).
pub fn sweep_tree(dir: &Path) -> Swept {
    let mut swept = Swept::default();
    sweep_into(dir, 0, true, &mut swept);
    swept
}

/// Deeper than any folder tree a mailbox export makes.
const MAX_DEPTH: usize = 256;

fn sweep_into(dir: &Path, depth: usize, deep: bool, swept: &mut Swept) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(t) = e.file_type() else { continue };
        let name = e.file_name();
        let path = e.path();
        match owner(&name.to_string_lossy()) {
            Some(pid) if !t.is_symlink() => {
                if pid.is_some_and(alive) || locked(&path) {
                    continue;
                }
                let gone = if t.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                if gone.is_ok() {
                    swept.removed.push(path);
                }
            }
            Some(_) => {}
            None if deep && t.is_dir() && depth < MAX_DEPTH => {
                sweep_into(&path, depth + 1, deep, swept)
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_told_apart() {
        assert_eq!(owner("a.pst.pstkit-123.tmp"), Some(Some(123)));
        assert_eq!(owner(".Inbox.pstkit-9.part"), Some(Some(9)));
        assert_eq!(owner(".Inbox.pstkit-part"), Some(None));
        assert_eq!(owner("a.pst"), None);
        assert_eq!(owner("a.pstkit-x.tmp"), None);
        assert_eq!(owner("a.pstkit-12.txt"), None);
        assert_eq!(owner("a.pstkit-.tmp"), None);
    }

    /// A process id no process has: past the kernel's largest.
    const GONE: u32 = 4_194_305;

    #[cfg(unix)]
    #[test]
    fn only_stale_names_go() {
        let d = tempfile::tempdir().unwrap();
        let stale = d.path().join(format!("a.pst.pstkit-{GONE}.tmp"));
        fs::write(&stale, b"x").unwrap();
        let stage = d.path().join(format!(".Inbox.pstkit-{GONE}.part"));
        fs::create_dir_all(stage.join("Sub")).unwrap();
        let mine = crate::TempFile::beside(&d.path().join("b.pst")).unwrap();
        // A dead owner's name whose lock is held (another open description).
        let held = d.path().join(format!("c.pst.pstkit-{GONE}.tmp"));
        fs::write(&held, b"x").unwrap();
        let h = fs::File::open(&held).unwrap();
        crate::temp::tests_lock(&h);
        let other = d.path().join("keep.pst");
        fs::write(&other, b"x").unwrap();
        let sub = d.path().join("Folder");
        fs::create_dir(&sub).unwrap();
        let deep = sub.join(format!("1.eml.pstkit-{GONE}.tmp"));
        fs::write(&deep, b"x").unwrap();

        let s = sweep(d.path());
        assert_eq!(s.removed.len(), 2, "{:?}", s.removed);
        assert!(!stale.exists() && !stage.exists());
        assert!(mine.path().exists() && held.exists() && other.exists() && deep.exists());
        let s = sweep_tree(d.path());
        assert_eq!(s.removed, vec![deep.clone()]);
    }
}
