//! A source that shrinks while it is mapped: an error, never SIGBUS.
//!
//! Reading a mapped page past the end of a file that another program has
//! truncated raises SIGBUS, which kills the process and leaves its
//! temporary files. pstkit keeps the map (reading through `pread` measured
//! about 40 % slower on the whole-file pass) and instead registers each
//! map's range here; a SIGBUS handler that finds the faulting address in a
//! registered range maps zero pages over the rest of that range and lets
//! the read go on. The zeros fail the next signature or CRC check, and the
//! map is marked, so the reader reports "the source changed while it was
//! read" instead of damage. A fault outside every registered range goes to
//! the handler that was there before (or the default, which ends the
//! process as before).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Maps guarded at once; more are read unguarded (as before).
const SLOTS: usize = 64;

struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];

/// The page size and the action that was in place, read by the handler.
#[cfg(target_os = "linux")]
static INSTALLED: OnceLock<(usize, libc::sigaction)> = OnceLock::new();

/// A registered map range; unregistered when dropped.
#[derive(Debug)]
pub(crate) struct Guard {
    slot: Option<usize>,
}

impl Guard {
    /// Registers `len` bytes at `start` (an address returned by mmap).
    pub(crate) fn register(start: *const u8, len: usize) -> Guard {
        #[cfg(target_os = "linux")]
        {
            if len == 0 || install().is_none() {
                return Guard { slot: None };
            }
            for (i, s) in TABLE.iter().enumerate() {
                if s.start
                    .compare_exchange(0, start as usize, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    s.faulted.store(false, Ordering::Release);
                    s.len.store(len, Ordering::Release);
                    return Guard { slot: Some(i) };
                }
            }
        }
        let _ = (start, len);
        Guard { slot: None }
    }

    /// Whether a read past the file's end was caught in this range.
    pub(crate) fn faulted(&self) -> bool {
        self.slot
            .is_some_and(|i| TABLE[i].faulted.load(Ordering::Acquire))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            TABLE[i].len.store(0, Ordering::Release);
            TABLE[i].start.store(0, Ordering::Release);
        }
    }
}

/// Installs the handler once; `None` when it could not be.
#[cfg(target_os = "linux")]
fn install() -> Option<&'static (usize, libc::sigaction)> {
    static FAILED: AtomicBool = AtomicBool::new(false);
    if FAILED.load(Ordering::Acquire) {
        return None;
    }
    let r = INSTALLED.get_or_init(|| {
        // SAFETY: sysconf and sigaction with structures we own; the
        // handler only reads atomics and calls mmap.
        unsafe {
            let page = usize::try_from(libc::sysconf(libc::_SC_PAGESIZE)).unwrap_or(4096);
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_sigbus as *const () as usize;
            new.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
            libc::sigemptyset(&mut new.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, &new, &mut old) != 0 {
                FAILED.store(true, Ordering::Release);
            }
            (page, old)
        }
    });
    (!FAILED.load(Ordering::Acquire)).then_some(r)
}

#[cfg(target_os = "linux")]
extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let Some((page, prev)) = INSTALLED.get() else {
        return;
    };
    // SAFETY: the kernel hands a valid siginfo to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    for s in &TABLE {
        let start = s.start.load(Ordering::Acquire);
        let len = s.len.load(Ordering::Acquire);
        if start == 0 || addr < start || addr - start >= len {
            continue;
        }
        let from = addr & !(page - 1);
        let end = (start + len).div_ceil(*page) * page;
        // SAFETY: [from, end) lies inside a read-only map this process made
        // and still holds (it is unregistered before it is unmapped);
        // replacing its pages with zero pages changes only what it reads.
        let r = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                end - from,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if r != libc::MAP_FAILED {
            s.faulted.store(true, Ordering::Release);
            return;
        }
    }
    // Not ours: what was there before decides.
    let h = prev.sa_sigaction;
    if h != libc::SIG_DFL && h != libc::SIG_IGN {
        if prev.sa_flags & libc::SA_SIGINFO != 0 {
            // SAFETY: the previous handler was installed with this signature.
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                unsafe { std::mem::transmute(h) };
            f(sig, info, ctx);
        } else {
            // SAFETY: as above, the one-argument form.
            let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(h) };
            f(sig);
        }
        return;
    }
    // The default action: restore it and return; the fault repeats and
    // ends the process as it would have without this handler.
    // SAFETY: resetting a disposition with a zeroed (SIG_DFL) action.
    unsafe {
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_guard_gives_its_slot_back() {
        let buf = [0u8; 64];
        // Twice as many as there are slots, one after another: each finds
        // a free slot, since each gives its own back when dropped (other
        // tests of this binary hold a few at most).
        for _ in 0..2 * SLOTS {
            let g = Guard::register(buf.as_ptr(), buf.len());
            assert!(g.slot.is_some());
            assert!(!g.faulted());
        }
        // An empty range is not guarded: no byte of it can fault.
        assert!(Guard::register(buf.as_ptr(), 0).slot.is_none());
    }
}
