//! Helpers shared by pstkit's criterion benchmarks (issue 6): synthetic
//! mailboxes generated once per bench process into a temporary directory.
//!
//! A bench binary runs in one of two modes. Under `cargo bench` criterion is
//! given `--bench` and the mailboxes have their full size (about 10 MB and
//! 256 MB). Under `cargo test --benches` / `--all-targets` each benchmark runs
//! once as a smoke test, so the mailboxes shrink to a few dozen messages and
//! the test run stays fast.
//!
//! Environment overrides (messages per mailbox):
//! `PSTKIT_BENCH_SMALL` (default 600, ≈ 10 MB),
//! `PSTKIT_BENCH_LARGE` (default 14000, ≈ 256 MB),
//! `PSTKIT_BENCH_SKIP_LARGE=1` leaves the large mailbox out.

use std::path::{Path, PathBuf};

use pstkit_ndb::{CryptMethod, FileKind, Format, Nid};
use pstkit_store::synth::{generate, Synth, SynthOptions};
use pstkit_store::write::{PstWriter, WriterOptions};
use pstkit_store::Store;

/// Messages in the small mailbox (≈ 10 MB).
pub const SMALL_MESSAGES: u64 = 600;
/// Messages in the large mailbox (≈ 256 MB; `pstkit gen --messages 20000` now writes ≈ 368 MB).
pub const LARGE_MESSAGES: u64 = 14_000;
/// Messages of either mailbox when the benches run as tests.
pub const TEST_MESSAGES: u64 = 40;

/// True when criterion measures (`cargo bench`), false when the bench
/// binary runs as a test (`cargo test --benches`), where criterion runs
/// every benchmark once.
pub fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Message count of the small mailbox in the current mode.
pub fn small_messages() -> u64 {
    if measuring() {
        env_u64("PSTKIT_BENCH_SMALL").unwrap_or(SMALL_MESSAGES)
    } else {
        TEST_MESSAGES
    }
}

/// Message count of the large mailbox in the current mode, `None` when
/// `PSTKIT_BENCH_SKIP_LARGE` is set.
pub fn large_messages() -> Option<u64> {
    if std::env::var_os("PSTKIT_BENCH_SKIP_LARGE").is_some_and(|v| v != "0" && !v.is_empty()) {
        return None;
    }
    Some(if measuring() {
        env_u64("PSTKIT_BENCH_LARGE").unwrap_or(LARGE_MESSAGES)
    } else {
        TEST_MESSAGES
    })
}

/// A generated mailbox in its own temporary directory (removed on drop).
pub struct Mailbox {
    dir: tempfile::TempDir,
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Messages generated.
    pub messages: u64,
}

impl Mailbox {
    /// The temporary directory holding the file, for outputs of benches.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// How to generate a mailbox.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Messages.
    pub messages: u64,
    /// Generator seed.
    pub seed: u64,
    /// Block encoding.
    pub crypt: CryptMethod,
    /// Unicode PST or the 4K OST variant.
    pub format: Format,
}

impl Spec {
    /// A Unicode PST with compressible encoding, as `pstkit gen` writes by default.
    pub fn pst(messages: u64) -> Spec {
        Spec {
            messages,
            seed: 1,
            crypt: CryptMethod::Permute,
            format: Format::UNICODE,
        }
    }
}

/// Generates a mailbox as `pstkit gen --messages N --seed S` does, into a
/// fresh temporary directory. Progress goes to stderr.
pub fn mailbox(spec: Spec) -> Mailbox {
    let dir = tempfile::Builder::new()
        .prefix("pstkit-bench-")
        .tempdir()
        .expect("temporary directory");
    let ext = if spec.format == Format::UNICODE_4K {
        "ost"
    } else {
        "pst"
    };
    let path = dir.path().join(format!("synth-{}.{ext}", spec.messages));
    let synth = Synth::new(spec.seed);
    let options = {
        let mut o = WriterOptions::default();
        o.kind = if spec.format == Format::UNICODE_4K {
            FileKind::Ost
        } else {
            FileKind::Pst
        };
        o.format = spec.format;
        o.crypt = spec.crypt;
        o.display_name = format!("pstkit bench mailbox (seed {})", spec.seed);
        o.record_key = Some([7; 16]);
        o.timestamp = synth.timestamp();
        o.store_properties = Vec::new();
        o.replace = pstkit_store::write::Replace::RegularFile;
        o
    };
    let start = std::time::Instant::now();
    let mut w = PstWriter::create(&path, options).expect("create mailbox");
    generate(&mut w, &SynthOptions::new(spec.messages, spec.seed), |_| {})
        .expect("generate mailbox");
    let path = w.finish().expect("finish mailbox");
    let bytes = std::fs::metadata(&path).expect("mailbox written").len();
    eprintln!(
        "pstkit-benches: generated {} messages, {:.1} MB in {:.1} s at {}",
        spec.messages,
        bytes as f64 / 1e6,
        start.elapsed().as_secs_f64(),
        path.display()
    );
    Mailbox {
        dir,
        path,
        bytes,
        messages: spec.messages,
    }
}

/// The ids of every normal message of every folder, in walk order.
pub fn message_ids(store: &Store<'_>) -> Vec<Nid> {
    let mut ids = Vec::new();
    for f in store.walk().flatten() {
        if let Ok(m) = f.folder.message_ids() {
            ids.extend(m);
        }
    }
    ids
}

/// A deterministic shuffle (xorshift), so lookups do not walk the tree in
/// key order and profit from a warm path.
pub fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut s = seed | 1;
    for i in (1..v.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v.swap(i, (s % (i as u64 + 1)) as usize);
    }
}

/// `len` bytes of mail-like text (compressible as real bodies are).
pub fn text(len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "meeting",
        "quarterly",
        "report",
        "please",
        "find",
        "attached",
        "regards",
        "tomorrow",
        "budget",
        "review",
        "thanks",
        "schedule",
        "project",
        "deadline",
        "update",
        "Hello",
        "team,",
        "we",
        "will",
        "discuss",
        "numbers",
        "at",
        "10:30",
        "in",
        "room",
        "B.",
    ];
    let mut out = Vec::with_capacity(len + 16);
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    while out.len() < len {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        out.extend_from_slice(WORDS[(s % WORDS.len() as u64) as usize].as_bytes());
        out.push(if s.is_multiple_of(11) { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}
