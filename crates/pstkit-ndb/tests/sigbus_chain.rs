//! A SIGBUS that is not pstkit's (a read past the end of a map pstkit did
//! not make) goes to whatever handled SIGBUS before pstkit installed its
//! handler: the program's own handler, in either form, or the default
//! action, which ends the process. Each case runs in a child process (this
//! test binary run again), since the handler is installed once per process
//! and the default action kills it.
#![cfg(target_os = "linux")]

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Set in a child: which handler to install before pstkit's.
const MODE: &str = "PSTKIT_SIGBUS_CHAIN_MODE";

/// Exit codes the children's own handlers end with.
const SIGINFO_RIGHT_ADDRESS: i32 = 43;
const SIGINFO_WRONG_ADDRESS: i32 = 44;
const ONE_ARGUMENT: i32 = 45;
/// A child whose fault did not end it.
const SURVIVED: i32 = 46;

/// The address the child is about to fault on.
static EXPECTED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn with_siginfo(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel hands a valid siginfo to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let code = if addr == EXPECTED.load(Ordering::Relaxed) {
        SIGINFO_RIGHT_ADDRESS
    } else {
        SIGINFO_WRONG_ADDRESS
    };
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(code) }
}

extern "C" fn one_argument(_: libc::c_int) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(ONE_ARGUMENT) }
}

/// In a child: installs the handler `mode` names, lets pstkit install its
/// own over it (by opening a file), then reads past the end of a map of
/// another, truncated file.
fn child(mode: &str) -> ! {
    // SAFETY: sigaction with structures owned here.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        match mode {
            "siginfo" => {
                act.sa_sigaction = with_siginfo as *const () as usize;
                act.sa_flags = libc::SA_SIGINFO;
            }
            "one-argument" => act.sa_sigaction = one_argument as *const () as usize,
            "ignore" => act.sa_sigaction = libc::SIG_IGN,
            _ => act.sa_sigaction = libc::SIG_DFL,
        }
        assert_eq!(libc::sigaction(libc::SIGBUS, &act, std::ptr::null_mut()), 0);
    }
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/mailbox.pst");
    let pst = pstkit_ndb::NdbFile::open(fixture).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other");
    std::fs::write(&path, vec![1u8; 8192]).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    // Below pstkit's map, where there is room: the handler must see that
    // an address under a guarded range is outside it too.
    let base = pst.ndb().data().as_ptr() as usize;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let map_at = |at: usize, flags| {
        // SAFETY: a fresh read-only shared map of a file this child owns,
        // at a fixed address only where nothing is mapped yet.
        unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                8192,
                libc::PROT_READ,
                libc::MAP_SHARED | flags,
                fd,
                0,
            )
        }
    };
    let map = (1..4096)
        .filter_map(|k: usize| base.checked_sub(k << 21))
        .map(|at| map_at(at, libc::MAP_FIXED_NOREPLACE))
        .find(|&m| m != libc::MAP_FAILED)
        .unwrap_or_else(|| map_at(0, 0));
    assert_ne!(map, libc::MAP_FAILED);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let at = map as usize + 4096;
    EXPECTED.store(at, Ordering::Relaxed);
    // SAFETY: a read of a page of the map; the file behind it is gone, so
    // it faults, which is the point.
    let byte = unsafe { std::ptr::read_volatile(at as *const u8) };
    // Only reached if the fault was swallowed and zeros mapped in.
    eprintln!(
        "read {byte} past the end; pstkit map {}",
        pst.ndb().data().len()
    );
    std::process::exit(SURVIVED)
}

fn run(mode: &str) -> std::process::ExitStatus {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigbus_goes_to_the_handler_that_was_there_before",
        ])
        .args(["--test-threads", "1", "--nocapture"])
        .env(MODE, mode)
        .status()
        .unwrap()
}

#[test]
fn sigbus_goes_to_the_handler_that_was_there_before() {
    if let Ok(mode) = std::env::var(MODE) {
        child(&mode);
    }
    // The program's own handlers get the fault, with its address.
    assert_eq!(run("siginfo").code(), Some(SIGINFO_RIGHT_ADDRESS));
    assert_eq!(run("one-argument").code(), Some(ONE_ARGUMENT));
    // No handler, or SIGBUS ignored (which cannot hold for a fault): the
    // process ends by the signal, as it would without pstkit.
    for mode in ["default", "ignore"] {
        let status = run(mode);
        assert_eq!(status.signal(), Some(libc::SIGBUS), "{mode}: {status:?}");
    }
}
