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
    let n = if big_tests() { 20_000 } else { 4_000 };
    gen(&src, n);
    src
}

fn big_tests() -> bool {
    std::env::var_os("PSTKIT_BIG_TESTS").is_some()
}

/// An mbox big enough that a signal lands mid-import: 300 MB with
/// `PSTKIT_BIG_TESTS`, 20 MB otherwise.
fn big_mbox(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("big.mbox");
    let (n, body) = if big_tests() {
        (30_000, 10_000)
    } else {
        (4_000, 5_000)
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let line = "All work and no play makes a dull mailbox. ".repeat(body / 44 + 1);
    for k in 0..n {
        write!(
            f,
            "From a@b.example Mon Jan  1 00:00:00 2024\nFrom: a@b.example\nTo: c@d.example\nSubject: message {k}\nMessage-ID: <{k}@b.example>\n\n{line}\n\n"
        )
        .unwrap();
    }
    f.flush().unwrap();
    path
}

/// The three writing commands of `src`/`mbox` into `dst` (a file; the
/// export's folder is `dst` without its extension).
fn writing_commands(src: &Path, mbox: &Path, dst: &Path) -> Vec<Vec<PathBuf>> {
    let exp = dst.with_extension("");
    vec![
        vec!["convert".into(), src.into(), dst.into()],
        vec!["export".into(), src.into(), "--out".into(), exp],
        vec!["import".into(), mbox.into(), "-o".into(), dst.into()],
    ]
}

fn leftovers(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.contains("pstkit-"))
        .collect()
}

#[test]
fn interrupted_runs_leave_nothing_the_next_run_does_not_clean() {
    let d = tempfile::tempdir().unwrap();
    let src = big_source(d.path());
    let mbox = big_mbox(d.path());
    let out_dir = d.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    for (sig, code) in [
        (libc::SIGINT, 130),
        (libc::SIGTERM, 143),
        (libc::SIGHUP, 129),
        (libc::SIGKILL, -1),
    ] {
        for (k, delay) in [5u64, 60, 200].into_iter().enumerate() {
            for (c, args) in writing_commands(&src, &mbox, &out_dir.join(format!("d{sig}-{k}.pst")))
                .into_iter()
                .enumerate()
            {
                // Each command its own destination.
                let dst = out_dir.join(format!("d{sig}-{k}-{c}.pst"));
                let args: Vec<PathBuf> = match c {
                    1 => args,
                    _ => args[..args.len() - 1]
                        .iter()
                        .cloned()
                        .chain([dst.clone()])
                        .collect(),
                };
                let mut child = Command::new(env!("CARGO_BIN_EXE_pstkit"))
                    .args(&args)
                    .stdout(Stdio::null())
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
                if dst.exists() {
                    let r = run!("check", &dst);
                    assert_eq!(r.status.code(), Some(0), "{args:?} after {delay} ms");
                }
                if sig != libc::SIGKILL {
                    let left = leftovers(&out_dir);
                    assert!(left.is_empty(), "{args:?} after {delay} ms left {left:?}");
                }
            }
        }
    }
    // The next run removes what SIGKILL left and says so: each writing
    // command, after a SIGKILL of its own kind, in its own folder.
    for (c, name) in ["convert", "export", "import"].into_iter().enumerate() {
        let dir = d.path().join(format!("killed-{name}"));
        std::fs::create_dir(&dir).unwrap();
        let mut left_before = Vec::new();
        for delay in [60u64, 150, 400, 1000] {
            let args = writing_commands(&src, &mbox, &dir.join(format!("k{delay}.pst"))).remove(c);
            let mut child = Command::new(env!("CARGO_BIN_EXE_pstkit"))
                .args(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay));
            child.kill().unwrap();
            child.wait().unwrap();
            left_before = leftovers(&dir);
            if !left_before.is_empty() {
                break;
            }
        }
        assert!(!left_before.is_empty(), "{name}: never caught mid-run");
        // A relative destination, as users type it.
        let args = writing_commands(&src, &mbox, Path::new("next.pst")).remove(c);
        let r = Command::new(env!("CARGO_BIN_EXE_pstkit"))
            .current_dir(&dir)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(0), "{name}: {}", stderr(&r));
        for n in &left_before {
            assert!(
                stderr(&r).contains(&format!("removed {n}")) || stderr(&r).contains(n.as_str()),
                "{name}: {n} not reported: {}",
                stderr(&r)
            );
        }
        let left = leftovers(&dir);
        assert!(left.is_empty(), "{name}: {left:?}");
    }
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

/// A 4 MB tmpfs, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts one, or says why it cannot (mounting needs root).
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            pstkit_fixtures::real::skip("a 4 MB tmpfs for a full disk (mount -t tmpfs needs root)");
            return None;
        }
        Some(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Every writing command of `src` (a PST), `mbox` (a folder of mbox files)
/// and `ost` (an OST) into `out`, named by what it writes.
fn every_writer(src: &Path, mbox: &Path, ost: &Path, out: &Path) -> Vec<Vec<std::ffi::OsString>> {
    let a = |v: &[&std::ffi::OsStr]| v.iter().map(|s| s.to_os_string()).collect::<Vec<_>>();
    let o = |n: &str| out.join(n).into_os_string();
    vec![
        a(&["convert".as_ref(), src.as_ref(), &o("c.pst")]),
        a(&[
            "convert".as_ref(),
            src.as_ref(),
            &o("c.ost"),
            "--server".as_ref(),
            "s.example".as_ref(),
            "--mailbox".as_ref(),
            "m@s.example".as_ref(),
        ]),
        a(&["export".as_ref(), src.as_ref(), "--out".as_ref(), &o("eml")]),
        a(&[
            "export".as_ref(),
            src.as_ref(),
            "--out".as_ref(),
            &o("mbox"),
            "--format".as_ref(),
            "mbox".as_ref(),
        ]),
        // With the attachments' bytes: past the size limit below.
        a(&[
            "export".as_ref(),
            src.as_ref(),
            "--format".as_ref(),
            "parquet".as_ref(),
            "--with-attachment-data".as_ref(),
            "--out".as_ref(),
            &o("parquet"),
        ]),
        a(&["import".as_ref(), mbox.as_ref(), "-o".as_ref(), &o("i.pst")]),
        a(&[
            "gen".as_ref(),
            &o("g.pst"),
            "--messages".as_ref(),
            "3000".as_ref(),
        ]),
        a(&[
            "binding".as_ref(),
            "set".as_ref(),
            ost.as_ref(),
            "--server".as_ref(),
            "s.example".as_ref(),
            "--mailbox".as_ref(),
            "m@s.example".as_ref(),
            "--out".as_ref(),
            &o("b.ost"),
        ]),
    ]
}

/// Inputs for [`every_writer`], each larger than 4 MB written out.
fn writer_inputs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let src = dir.join("src.pst");
    gen(&src, 2_000);
    let mbox = dir.join("mbox");
    let r = run!("export", &src, "--out", &mbox, "--format", "mbox");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let ost = dir.join("src.ost");
    let r = run!("gen", &ost, "--ost", "--messages", "2000");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    (src, mbox, ost)
}

/// A write error says what it is and where, never blames an item, exits 2
/// and leaves nothing behind.
fn assert_write_error(
    r: &std::process::Output,
    args: &[std::ffi::OsString],
    dir: &Path,
    what: &str,
) {
    let e = stderr(r);
    assert_eq!(r.status.code(), Some(2), "{args:?}: {e}");
    assert!(e.contains(what), "{args:?}: {e}");
    let dir_text = dir.display().to_string();
    assert!(
        e.lines()
            .any(|l| l.contains("cannot write") && l.contains(&dir_text)),
        "{args:?}: the error names no path in {dir_text}: {e}"
    );
    assert!(
        !e.contains("damaged") && !e.contains("item 0x"),
        "{args:?}: {e}"
    );
    let left = names(dir);
    assert!(left.is_empty(), "{args:?} left {left:?}");
}

#[test]
fn a_full_disk_is_reported_with_its_path_and_leaves_nothing() {
    let d = tempfile::tempdir().unwrap();
    let (src, mbox, ost) = writer_inputs(d.path());
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let out = disk.dir.path();
    for args in every_writer(&src, &mbox, &ost, out) {
        let r = pstkit(&args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>());
        assert_write_error(&r, &args, out, "No space left on device");
    }
}

/// The same for a write error any user can cause: a file-size limit
/// (`ulimit -f`), with SIGXFSZ ignored so that the write fails with EFBIG.
#[test]
fn a_file_size_limit_is_reported_with_its_path_and_leaves_nothing() {
    use std::os::unix::process::CommandExt;
    let d = tempfile::tempdir().unwrap();
    let (src, mbox, ost) = writer_inputs(d.path());
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // An EML export writes files far below the limit: the full disk above
    // is its test.
    for args in every_writer(&src, &mbox, &ost, &out)
        .into_iter()
        .filter(|a| !a.last().unwrap().to_string_lossy().ends_with("eml"))
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pstkit"));
        cmd.args(&args);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let lim = libc::rlimit {
                    rlim_cur: 2 << 20,
                    rlim_max: 2 << 20,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let r = cmd.output().unwrap();
        assert_write_error(&r, &args, &out, "File too large");
    }
}

/// The reading commands too: a source cut while `ls`, `info`, `check` or
/// `export` read it ends in an error that names the change (or, cut before
/// it was opened, in damage found), never in SIGBUS.
#[test]
fn reading_commands_name_a_source_truncated_under_them() {
    let d = tempfile::tempdir().unwrap();
    let src = big_source(d.path());
    let mut named = Vec::new();
    for cmd in ["ls", "info", "check", "export", "parquet"] {
        for (k, delay) in [1u64, 10, 40, 120].into_iter().enumerate() {
            let victim = d.path().join(format!("{cmd}{k}.pst"));
            std::fs::copy(&src, &victim).unwrap();
            let program = if cmd == "parquet" { "export" } else { cmd };
            let mut args = vec![program.into(), victim.clone().into_os_string()];
            if cmd == "ls" {
                args.push("--json".into());
            }
            if cmd == "parquet" {
                args.extend(["--format".into(), "parquet".into()]);
            }
            if program == "export" {
                args.push("--out".into());
                args.push(d.path().join(format!("{cmd}-out{k}")).into_os_string());
            }
            let child = Command::new(env!("CARGO_BIN_EXE_pstkit"))
                .args(&args)
                .stdout(Stdio::null())
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
            let e = stderr(&r);
            assert!(!e.contains("panicked"), "{cmd} after {delay} ms: {e}");
            match r.status.code() {
                Some(0) | Some(1) => {}
                Some(2) if e.contains("changed while it was read") => named.push(cmd),
                Some(2) => {}
                other => panic!("{cmd} after {delay} ms: exit {other:?}: {e}"),
            }
            // A change noticed is the error, said once, and the exit status
            // says the input was unreadable, not damaged.
            if e.contains("changed while it was read") {
                assert_eq!(r.status.code(), Some(2), "{cmd}: {e}");
            }
        }
    }
    // At least the long reads were caught mid-way.
    assert!(
        named.contains(&"ls") && named.contains(&"export") && named.contains(&"parquet"),
        "{named:?}"
    );
}

/// Under `nohup` (SIGHUP ignored by the caller), a hang-up does not stop
/// the command: it finishes and publishes its output.
#[test]
fn an_ignored_hangup_stays_ignored() {
    use std::os::unix::process::CommandExt;
    let d = tempfile::tempdir().unwrap();
    let src = big_source(d.path());
    let dst = d.path().join("out.pst");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pstkit"));
    cmd.args(["convert".as_ref(), src.as_os_str(), dst.as_os_str()])
        .stderr(Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGHUP) };
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(run!("check", &dst).status.code(), Some(0));
}
