//! The temporary names alive in this process, for removal on a signal.
//!
//! A signal handler may not take locks, so pstkit's command waits for
//! SIGINT and SIGTERM on a thread of its own (`sigwait`) and calls
//! [`remove_registered`] from there, an ordinary thread.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

struct Entry {
    id: u64,
    path: PathBuf,
    dir: bool,
}

static LIVE: Mutex<(u64, Vec<Entry>)> = Mutex::new((0, Vec::new()));

fn live() -> std::sync::MutexGuard<'static, (u64, Vec<Entry>)> {
    // A panic elsewhere must not keep the cleanup from running.
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Registers a temporary file or directory; the id unregisters it.
pub(crate) fn register(path: &Path, dir: bool) -> u64 {
    let mut g = live();
    g.0 += 1;
    let id = g.0;
    g.1.push(Entry {
        id,
        path: path.to_path_buf(),
        dir,
    });
    id
}

/// Forgets a registration (the name was published or removed).
pub(crate) fn unregister(id: u64) {
    live().1.retain(|e| e.id != id);
}

/// Removes every temporary file and directory this process has alive;
/// returns how many it removed. Meant for a signal-waiting thread just
/// before the process exits; writers still running only write into
/// unlinked files after this.
pub fn remove_registered() -> usize {
    let entries: Vec<Entry> = std::mem::take(&mut live().1);
    let mut removed = 0;
    for e in entries {
        let ok = if e.dir {
            // Workers may still be adding files while the tree goes: retry.
            (0..8).any(|_| match std::fs::remove_dir_all(&e.path) {
                Ok(()) => true,
                Err(err) => err.kind() == std::io::ErrorKind::NotFound,
            })
        } else {
            std::fs::remove_file(&e.path).is_ok()
        };
        removed += usize::from(ok);
    }
    removed
}
