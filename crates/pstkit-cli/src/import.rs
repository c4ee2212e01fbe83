//! `pstkit import`: EML files, folders of them and mbox files into a new PST.

use std::path::{Path, PathBuf};

use pstkit::ndb::CryptMethod;
use pstkit::store::write::WriterOptions;
use pstkit_copy::import;

use crate::EXIT_DAMAGED;

/// Imports; exit 1 when some messages could not be read.
pub fn run(
    sources: &[PathBuf],
    dst: &Path,
    crypt: CryptMethod,
    replace: pstkit_copy::Replace,
) -> anyhow::Result<u8> {
    if sources.is_empty() {
        anyhow::bail!("nothing to import");
    }
    crate::sweep_beside(dst);
    let options = {
        let mut o = WriterOptions::default();
        o.replace = replace;
        o.crypt = crypt;
        o.display_name = dst
            .file_stem()
            .map_or("Imported".into(), |s| s.to_string_lossy().to_string());
        o
    };
    let bar = crate::gen::progress_bar(0);
    let summary = import(sources, dst, options, &mut |n| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for (what, why) in &summary.failed {
        eprintln!("pstkit: {what}: {why}");
    }
    eprintln!(
        "{}: {} folders, {} messages, {} failed",
        summary.path.display(),
        summary.folders,
        summary.items,
        summary.failed.len()
    );
    Ok(if summary.failed.is_empty() {
        0
    } else {
        EXIT_DAMAGED
    })
}
