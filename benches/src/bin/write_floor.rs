//! The floor of an export: the time to create a given tree of files (the
//! same names, the same bytes) with a given number of threads, doing
//! nothing else. `cp -r` of an export is single-threaded and reads as it
//! writes; this loads the whole tree first and times only the writing, so
//! it is what any exporter writing that output on that many threads pays
//! the kernel at least.
//!
//! Usage: `write_floor SRC_DIR DEST_DIR [THREADS]` (THREADS defaults to the
//! number of CPUs). DEST_DIR must not exist. Prints
//! `files bytes threads seconds`, the seconds being the writing alone.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (src, dest) = match (args.first(), args.get(1)) {
        (Some(s), Some(d)) => (PathBuf::from(s), PathBuf::from(d)),
        _ => {
            eprintln!("usage: write_floor SRC_DIR DEST_DIR [THREADS]");
            return ExitCode::from(2);
        }
    };
    let threads = match args.get(2).map(|t| t.parse::<usize>()) {
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("write_floor: THREADS must be a positive number");
            return ExitCode::from(2);
        }
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    match run(&src, &dest, threads) {
        Ok((files, bytes, secs)) => {
            println!("{files} {bytes} {threads} {secs:.4}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("write_floor: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the tree, makes its directories, then times the file writes.
fn run(src: &Path, dest: &Path, threads: usize) -> std::io::Result<(usize, u64, f64)> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    load(src, Path::new(""), &mut dirs, &mut files)?;
    fs::create_dir(dest)?;
    for d in &dirs {
        fs::create_dir(dest.join(d))?;
    }
    let bytes = files.iter().map(|(_, b)| b.len() as u64).sum();
    let start = Instant::now();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let files = &files;
                s.spawn(move || -> std::io::Result<()> {
                    // Interleaved, as an exporter's workers take items.
                    for (rel, data) in files.iter().skip(t).step_by(threads) {
                        File::create_new(dest.join(rel))?.write_all(data)?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("writer panicked")))
        })
    })?;
    Ok((files.len(), bytes, start.elapsed().as_secs_f64()))
}

fn load(
    root: &Path,
    rel: &Path,
    dirs: &mut Vec<PathBuf>,
    files: &mut Vec<(PathBuf, Vec<u8>)>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(root.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let r = rel.join(e.file_name());
        if e.file_type()?.is_dir() {
            dirs.push(r.clone());
            load(root, &r, dirs, files)?;
        } else {
            files.push((r.clone(), fs::read(root.join(&r))?));
        }
    }
    Ok(())
}
