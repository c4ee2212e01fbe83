//! `pstkit import`: EML and `.msg` files, folders of them, mbox files and
//! maildirs into a new PST.

use std::path::{Path, PathBuf};

use pstkit::ndb::CryptMethod;
use pstkit::store::write::WriterOptions;
use pstkit_copy::import_with;

use crate::EXIT_DAMAGED;

/// Imports; exit 1 when some messages could not be read (a damaged `.msg`
/// file is an error, unless `salvage` skips it).
pub fn run(
    sources: &[PathBuf],
    dst: &Path,
    crypt: CryptMethod,
    replace: pstkit_copy::Replace,
    salvage: bool,
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
    let summary = import_with(sources, dst, options, salvage, &mut |n| {
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
