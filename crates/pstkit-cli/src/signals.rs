//! SIGINT, SIGTERM and SIGHUP: remove every temporary file and stage, then
//! exit 130, 143 or 129, as shells expect of an interrupted command.
//!
//! The signals are blocked in every thread and taken by one thread that
//! waits for them (`sigwait`), so the cleanup runs as ordinary code, not in
//! a signal handler, and may take locks and touch the file system.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether a signal is being handled: the command's own ending (an error
/// from files the cleanup just removed, say) must then wait for the
/// signal's exit status instead of giving its own.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Acquire)
}

/// Blocks SIGINT, SIGTERM and SIGHUP and starts the thread that waits for
/// them. Called first thing, before any other thread exists, so that all
/// inherit the mask. A signal the caller set to be ignored (`nohup`, a
/// background job's SIGINT) stays ignored: on Linux a blocked signal is
/// queued even when ignored, and `sigwait` would take it.
#[cfg(unix)]
pub fn install() {
    // SAFETY: plain libc calls on a signal set we own; no other thread runs
    // yet, so changing this thread's mask affects every later thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            libc::sigaddset(&mut set, sig);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("pstkit-signals".into())
            .spawn(move || loop {
                let mut sig: libc::c_int = 0;
                if libc::sigwait(&set, &mut sig) != 0 {
                    continue;
                }
                INTERRUPTED.store(true, Ordering::Release);
                let removed = pstkit_output::remove_registered();
                if removed > 0 {
                    eprintln!("pstkit: interrupted; removed {removed} temporary file(s)");
                } else {
                    eprintln!("pstkit: interrupted");
                }
                std::process::exit(128 + sig);
            });
    }
}

/// No signals to take elsewhere.
#[cfg(not(unix))]
pub fn install() {}
