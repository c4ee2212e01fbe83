//! The temporary names alive in this process, for removal on a signal.
//!
//! A signal handler may not take locks, so pstkit's command waits for
//! SIGINT and SIGTERM on a thread of its own (`sigwait`) and calls
//! [`remove_registered`] from there, an ordinary thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

struct Entry {
    id: u64,
    path: PathBuf,
    dir: bool,
}

static LIVE: Mutex<(u64, Vec<Entry>)> = Mutex::new((0, Vec::new()));

/// Set once the process is removing its names to exit.
static EXITING: AtomicBool = AtomicBool::new(false);

fn live() -> std::sync::MutexGuard<'static, (u64, Vec<Entry>)> {
    // A panic elsewhere must not keep the cleanup from running.
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Creates a temporary file or directory with `make` and registers it, as
/// one step under the registry's lock: a signal's cleanup either sees the
/// name or runs before it exists and keeps it from ever being made.
pub(crate) fn create<T>(
    path: &Path,
    dir: bool,
    make: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<(T, u64)> {
    let mut g = live();
    let made = make()?;
    g.0 += 1;
    let id = g.0;
    g.1.push(Entry {
        id,
        path: path.to_path_buf(),
        dir,
    });
    Ok((made, id))
}

/// Forgets a registration (the name was published or removed).
pub(crate) fn unregister(id: u64) {
    if EXITING.load(Ordering::Acquire) {
        // The registry stays locked until the process exits.
        return;
    }
    live().1.retain(|e| e.id != id);
}

/// Removes every temporary file and directory this process has alive;
/// returns how many it removed. For a signal-waiting thread just before the
/// process exits: the registry stays locked afterwards, so no temporary
/// name can be made after the cleanup (a thread that tries waits for the
/// exit), and writers still running only write into unlinked files.
pub fn remove_registered() -> usize {
    EXITING.store(true, Ordering::Release);
    let mut guard = live();
    let entries: Vec<Entry> = std::mem::take(&mut guard.1);
    // Held until the process exits.
    std::mem::forget(guard);
    let mut removed = 0;
    for e in entries {
        let ok = if e.dir {
            // Workers may still be adding files while the tree goes: retry,
            // pausing so that they run into the removed directory and stop
            // adding (eight quick tries were not always enough on a busy
            // machine).
            (0..400).any(|_| {
                let done = match std::fs::remove_dir_all(&e.path) {
                    Ok(()) => true,
                    Err(err) => err.kind() == std::io::ErrorKind::NotFound,
                };
                if !done {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                done
            })
        } else {
            std::fs::remove_file(&e.path).is_ok()
        };
        removed += usize::from(ok);
    }
    removed
}
