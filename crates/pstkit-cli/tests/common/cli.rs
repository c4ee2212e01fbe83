//! Running the `pstkit` binary from end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary under test with `args`.
pub fn pstkit(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pstkit"))
        .args(args)
        .output()
        .expect("run pstkit")
}

/// `run!(a, b, …)`: [`pstkit`] with arguments of any `AsRef<OsStr>` type.
#[macro_export]
macro_rules! run {
    ($($a:expr),* $(,)?) => { $crate::cli::pstkit(&[$(std::ffi::OsStr::new($a)),*]) };
}

/// Every file under `dir`, recursively.
pub fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}
