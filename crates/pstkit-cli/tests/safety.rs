//! Never lose a user's file: outputs that replace nothing unless told,
//! inputs that are never outputs, backups that never overwrite, hostile
//! inputs refused by type, interrupted runs that leave nothing the next run
//! does not clean, and errors said once in plain words.

#[path = "common/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cli::pstkit;

fn mbox(path: &Path, subjects: &[&str]) {
    let mut text = String::new();
    for s in subjects {
        text.push_str(&format!(
            "From a@b.example Mon Jan  1 00:00:00 2024\nFrom: a@b.example\nSubject: {s}\n\nbody of {s}\n\n"
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn gen(path: &Path, messages: u32) {
    let r = run!("gen", path, "--messages", &messages.to_string());
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

fn stderr(r: &std::process::Output) -> String {
    String::from_utf8_lossy(&r.stderr).into_owned()
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn import_never_takes_an_input_as_its_output() {
    let d = tempfile::tempdir().unwrap();
    let (inbox, sent) = (d.path().join("inbox.mbox"), d.path().join("sent.mbox"));
    mbox(&inbox, &["one", "two"]);
    mbox(&sent, &["three"]);
    let before = (
        std::fs::read(&inbox).unwrap(),
        std::fs::read(&sent).unwrap(),
    );
    // The old form, last argument as output: now a usage error.
    let r = run!("import", &inbox, &sent);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    // An input named as the output, directly or through a link.
    let r = run!("import", &inbox, "-o", &inbox);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("one of the inputs"), "{}", stderr(&r));
    let link = d.path().join("link.pst");
    std::os::unix::fs::symlink(&sent, &link).unwrap();
    let r = run!("import", &inbox, &sent, "-o", &link, "--force");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert_eq!(
        (
            std::fs::read(&inbox).unwrap(),
            std::fs::read(&sent).unwrap()
        ),
        before
    );
    let out = d.path().join("out.pst");
    let r = run!("import", &inbox, &sent, "-o", &out);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(out.is_file());
}

#[test]
fn writing_commands_refuse_an_existing_destination_unless_forced() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src.pst");
    gen(&src, 5);
    let doc = d.path().join("important.docx");
    std::fs::write(&doc, b"the only copy").unwrap();
    let mbox_in = d.path().join("in.mbox");
    mbox(&mbox_in, &["x"]);
    for args in [
        vec!["convert".into(), src.clone(), doc.clone()],
        vec!["gen".into(), doc.clone()],
        vec!["import".into(), mbox_in.clone(), "-o".into(), doc.clone()],
    ] {
        let a: Vec<&std::ffi::OsStr> = args.iter().map(|p| p.as_os_str()).collect();
        let r = pstkit(&a);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", stderr(&r));
        assert!(stderr(&r).contains("--force"), "{}", stderr(&r));
        assert_eq!(std::fs::read(&doc).unwrap(), b"the only copy");
    }
    // A read-only file too, and a link: never written through, even forced.
    let victim = d.path().join("victim");
    std::fs::write(&victim, b"keep").unwrap();
    let link = d.path().join("link.pst");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let r = run!("convert", &src, &link, "--force");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("symbolic link"), "{}", stderr(&r));
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    // --force replaces a regular file, atomically.
    let r = run!("convert", &src, &doc, "--force");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(run!("check", &doc).status.code(), Some(0));
    // The source as destination is named first, before any other complaint.
    let ost = d.path().join("my.ost");
    gen(&ost, 2);
    let r = run!("convert", &ost, &ost);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("is the source"), "{}", stderr(&r));
    // --4k is an OST format: a .pst name is refused, not silently changed.
    let r = run!("convert", &src, &d.path().join("x.pst"), "--4k");
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("--4k"), "{}", stderr(&r));
    // A missing folder is named as such, not as a temporary file.
    let r = run!("convert", &src, &d.path().join("nope/out.pst"));
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("folder"), "{}", stderr(&r));
    assert!(!stderr(&r).contains("pstkit-"), "{}", stderr(&r));
}

#[test]
fn export_refuses_a_directory_with_files_unless_forced() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src.pst");
    gen(&src, 5);
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("mine.txt"), b"x").unwrap();
    let r = run!("export", &src, "--out", &out);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert_eq!(names(&out), vec!["mine.txt"]);
    let r = run!("export", &src, "--out", &out, "--force");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    // A new output appears only complete.
    let fresh = d.path().join("fresh");
    let r = run!("export", &src, "--out", &fresh, "--format", "mbox");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(cli::walk_files(&fresh)
        .iter()
        .all(|p| !p.to_string_lossy().contains("pstkit-")));
}

#[test]
fn in_place_rebinding_keeps_every_backup_and_follows_no_link() {
    let d = tempfile::tempdir().unwrap();
    let ost = d.path().join("g.ost");
    let r = run!(
        "gen",
        &ost,
        "--messages",
        "3",
        "--server",
        "s1",
        "--mailbox",
        "a@x"
    );
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let original = std::fs::read(&ost).unwrap();
    // A link planted at FILE.bak is never written through.
    let victim = d.path().join("victim");
    std::fs::write(&victim, b"keep").unwrap();
    std::os::unix::fs::symlink(&victim, d.path().join("g.ost.bak")).unwrap();
    let set = |mailbox: &str| {
        run!(
            "binding",
            "set",
            &ost,
            "--server",
            "s2",
            "--mailbox",
            mailbox,
            "--in-place"
        )
    };
    let r = set("b@x");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(stderr(&r).contains("g.ost.bak.1"), "{}", stderr(&r));
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    assert_eq!(
        std::fs::read(d.path().join("g.ost.bak.1")).unwrap(),
        original
    );
    let second = std::fs::read(&ost).unwrap();
    let r = set("c@x");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(stderr(&r).contains("g.ost.bak.2"), "{}", stderr(&r));
    assert_eq!(
        std::fs::read(d.path().join("g.ost.bak.1")).unwrap(),
        original
    );
    assert_eq!(std::fs::read(d.path().join("g.ost.bak.2")).unwrap(), second);
    // --json: one object naming the copy and saying what Outlook reads.
    let copy = d.path().join("copy.ost");
    let r = run!(
        "binding",
        "set",
        &ost,
        "--server",
        "s3",
        "--mailbox",
        "d@x",
        "--out",
        &copy,
        "--json"
    );
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["file"], copy.display().to_string());
    assert_eq!(v["mailbox"], "d@x");
    assert_eq!(v["items"], 3);
    assert_eq!(v["outlook_reads_record"], false);
    assert!(v["backup"].is_null());
    // --out naming the file itself is refused.
    let r = run!(
        "binding",
        "set",
        &ost,
        "--server",
        "s",
        "--mailbox",
        "m",
        "--out",
        &ost
    );
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("--in-place"), "{}", stderr(&r));
}

#[test]
fn import_reads_regular_files_only_and_each_directory_once() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("mail");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("a.eml"),
        b"From: a@b.example\r\nSubject: only one\r\n\r\nhi\r\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(".", dir.join("loop1")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("loop2")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.eml")).unwrap();
    let fifo = dir.join("pipe.eml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = d.path().join("out.pst");
    let r = Command::new(env!("CARGO_BIN_EXE_pstkit"))
        .args([dir.as_os_str(), "-o".as_ref(), out.as_os_str()])
        .arg0_import()
        .output()
        .unwrap();
    // Both refused files are reported: exit 1, everything else imported once.
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    let e = stderr(&r);
    assert!(e.contains("a device, not a regular file"), "{e}");
    assert!(e.contains("a FIFO, not a regular file"), "{e}");
    assert!(e.contains("1 messages") || e.contains("1 message"), "{e}");
}

/// `Command` with `import` as its first argument.
trait Import {
    fn arg0_import(&mut self) -> &mut Self;
}

impl Import for Command {
    fn arg0_import(&mut self) -> &mut Self {
        let args: Vec<std::ffi::OsString> = self.get_args().map(|a| a.to_owned()).collect();
        let mut c = Command::new(env!("CARGO_BIN_EXE_pstkit"));
        c.arg("import").args(args);
        *self = c;
        self
    }
}

#[test]
fn errors_are_said_once_in_plain_words() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nonexist.pst");
    let r = run!("info", &missing);
    assert_eq!(r.status.code(), Some(2));
    let e = stderr(&r);
    assert_eq!(e.matches("No such file").count(), 1, "{e}");
    let text = d.path().join("hello.pst");
    std::fs::write(&text, b"hello, this is not a mailbox").unwrap();
    for cmd in ["info", "ls", "check", "export"] {
        let r = if cmd == "export" {
            run!(cmd, &text, "--out", &d.path().join("x"))
        } else {
            run!(cmd, &text)
        };
        assert_eq!(r.status.code(), Some(2), "{cmd}");
        assert!(
            stderr(&r).contains("not a PST or OST file"),
            "{cmd}: {}",
            stderr(&r)
        );
    }
    let r = run!("info", d.path());
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("is a directory"), "{}", stderr(&r));
}

/// A source big enough that a signal lands mid-copy.
fn big_source(dir: &Path) -> PathBuf {
    let src = dir.join("big.pst");
    let n = if std::env::var_os("PSTKIT_BIG_TESTS").is_some() {
        20_000
    } else {
        4_000
    };
    gen(&src, n);
    src
}

#[test]
fn interrupted_runs_leave_nothing_the_next_run_does_not_clean() {
    let d = tempfile::tempdir().unwrap();
    let src = big_source(d.path());
    let out_dir = d.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    for (sig, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGKILL, -1),
    ] {
        for (k, delay) in [5u64, 60, 200].into_iter().enumerate() {
            let dst = out_dir.join(format!("c{sig}-{k}.pst"));
            let exp = out_dir.join(format!("e{sig}-{k}"));
            for args in [
                vec!["convert".into(), src.clone(), dst.clone()],
                vec!["export".into(), src.clone(), "--out".into(), exp.clone()],
            ] {
                let mut child = Command::new(env!("CARGO_BIN_EXE_pstkit"))
                    .args(&args)
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                std::thread::sleep(std::time::Duration::from_millis(delay));
                // SAFETY: signalling our own child.
                unsafe { libc::kill(child.id() as libc::pid_t, sig) };
                let status = child.wait().unwrap();
                match status.code() {
                    // Finished before the signal: complete and clean.
                    Some(0) => {}
                    Some(c) => assert_eq!(c, code, "{args:?} after {delay} ms"),
                    // SIGKILL; or a signal that came before the handler was
                    // set up, when nothing was written yet (checked below).
                    None => {}
                }
                // The destination is whole or absent.
                if dst.exists() && args[0] == Path::new("convert") {
                    assert_eq!(run!("check", &dst).status.code(), Some(0));
                }
                if sig != libc::SIGKILL {
                    let left: Vec<_> = names(&out_dir)
                        .into_iter()
                        .filter(|n| n.contains("pstkit-"))
                        .collect();
                    assert!(left.is_empty(), "{args:?} after {delay} ms left {left:?}");
                }
            }
        }
    }
    // The next runs remove what SIGKILL left (a relative output too), and
    // say so.
    let r = run!("convert", &src, &out_dir.join("after.pst"));
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let r = Command::new(env!("CARGO_BIN_EXE_pstkit"))
        .current_dir(&out_dir)
        .args([
            "export".as_ref(),
            src.as_os_str(),
            "--out".as_ref(),
            "rel".as_ref(),
        ])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let left: Vec<_> = names(&out_dir)
        .into_iter()
        .filter(|n| n.contains("pstkit-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_source_truncated_while_read_is_a_clear_error_and_leaves_nothing() {
    let d = tempfile::tempdir().unwrap();
    let src = big_source(d.path());
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for (k, delay) in [1u64, 20, 80].into_iter().enumerate() {
        let victim = d.path().join(format!("v{k}.pst"));
        std::fs::copy(&src, &victim).unwrap();
        let dst = out.join(format!("c{k}.pst"));
        let child = Command::new(env!("CARGO_BIN_EXE_pstkit"))
            .args(["convert".as_ref(), victim.as_os_str(), dst.as_os_str()])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&victim)
            .unwrap()
            .set_len(64 << 10)
            .unwrap();
        let r = child.wait_with_output().unwrap();
        // Never SIGBUS (no exit code): finished before the cut, or a clear
        // error that names the change.
        match r.status.code() {
            Some(0) => assert_eq!(run!("check", &dst).status.code(), Some(0)),
            // Cut before it was opened, the file is simply damaged;
            // after, the change is named. Either way: nothing written.
            Some(2) => {
                let e = stderr(&r);
                assert!(e.starts_with("pstkit: "), "{e}");
                assert!(!e.contains("panicked"), "{e}");
                assert!(!dst.exists());
            }
            other => panic!("exit {other:?}: {}", stderr(&r)),
        }
        let left: Vec<_> = names(&out)
            .into_iter()
            .filter(|n| n.contains("pstkit-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
