//! Writes one folder's messages as `.eml` files into a new directory.
//!
//! `cargo run -p pstkit --example export_folder -- MAIL.pst "Top of Personal
//! Folders/Inbox" OUT_DIR`; without arguments it exports the bundled
//! mailbox's Inbox into a temporary folder.

use std::io::Write;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(std::env::args_os().skip(1).collect())
}

/// The example, given its arguments (none: the bundled files).
fn run(args: Vec<std::ffi::OsString>) -> Result<(), Box<dyn std::error::Error>> {
    let mut args = args.into_iter();
    let src: PathBuf = args.next().map_or_else(
        || {
            [env!("CARGO_MANIFEST_DIR"), "../../fixtures/mailbox.pst"]
                .iter()
                .collect()
        },
        PathBuf::from,
    );
    let wanted = args.next().map_or_else(
        || "Top of Personal Folders/Inbox".to_string(),
        |a| a.to_string_lossy().into_owned(),
    );
    let (out, scratch) = match args.next() {
        Some(out) => (PathBuf::from(out), false),
        None => (
            std::env::temp_dir().join(format!("pstkit-example-eml-{}", std::process::id())),
            true,
        ),
    };
    let pst = pstkit::Pst::open(&src)?;
    let store = pst.store()?;
    let folder = store
        .walk()
        .flatten()
        .find(|f| f.path_string() == wanted)
        .ok_or_else(|| format!("no folder {wanted:?} in {}", src.display()))?;
    // A new directory: an existing one (someone's files) is never written into.
    std::fs::create_dir(&out)?;
    let mut written = 0;
    for (n, nid) in folder.folder.message_ids()?.into_iter().enumerate() {
        let message = store.message(nid)?;
        let eml = pstkit::copy::message_to_eml(&message, &store)?;
        let mut file = std::fs::File::create_new(out.join(format!("{}.eml", n + 1)))?;
        file.write_all(&eml)?;
        written += 1;
    }
    println!("{written} messages of {wanted} -> {}", out.display());
    if scratch {
        std::fs::remove_dir_all(&out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_on_the_bundled_mailbox() {
        super::run(Vec::new()).unwrap();
    }
}
