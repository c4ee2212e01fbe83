//! Converts a PST or OST into a new PST, printing progress: what
//! `pstkit convert` does, through the library.
//!
//! `cargo run -p pstkit --example convert -- SRC DST.pst`; without
//! arguments it converts the bundled 4K-page OST into a temporary folder.

use std::path::PathBuf;

use pstkit::copy::{convert, ConvertOptions, CopyEvent};

fn main() -> Result<(), pstkit::Error> {
    run(std::env::args_os().skip(1).collect())
}

/// The example, given its arguments (none: the bundled files).
fn run(args: Vec<std::ffi::OsString>) -> Result<(), pstkit::Error> {
    let mut args = args.into_iter().map(PathBuf::from);
    let src = args.next().unwrap_or_else(|| {
        [env!("CARGO_MANIFEST_DIR"), "../../fixtures/mailbox-4k.ost"]
            .iter()
            .collect()
    });
    let (dst, scratch) = match args.next() {
        Some(dst) => (dst, None),
        None => {
            let dir = std::env::temp_dir().join(format!("pstkit-example-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a temporary folder");
            (dir.join("converted.pst"), Some(dir))
        }
    };
    let pst = pstkit::Pst::open(&src)?;
    let store = pst.store()?;
    let mut items = 0u64;
    let summary = convert(&store, &dst, &ConvertOptions::default(), &mut |event| {
        match event {
            CopyEvent::Folder { path } => println!("folder {path}"),
            CopyEvent::Item { bytes_written } => {
                items += 1;
                if items.is_multiple_of(10) {
                    println!("{items} items, {bytes_written} bytes written");
                }
            }
            // Without `salvage` the first damaged item ends the copy instead.
            CopyEvent::Skipped {
                folder,
                nid,
                lost,
                error,
                ..
            } => eprintln!("left out {} {nid} of {folder}: {error}", lost.name()),
            CopyEvent::Verifying => println!("verifying"),
            // Events a later version adds.
            _ => {}
        }
    })?;
    println!(
        "{} -> {}: {} items, {} verified",
        src.display(),
        summary.path.display(),
        summary.items,
        summary.verified
    );
    if let Some(dir) = scratch {
        std::fs::remove_dir_all(dir).expect("the temporary folder removed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_on_the_bundled_ost() {
        super::run(Vec::new()).unwrap();
    }
}
