//! Lists every message of a PST or OST: folder path and subject.
//!
//! `cargo run -p pstkit --example list -- MAIL.pst`; without an argument it
//! lists the bundled example mailbox.

use std::path::PathBuf;

fn main() -> Result<(), pstkit::Error> {
    let path: PathBuf = std::env::args_os().nth(1).map_or_else(
        || {
            [env!("CARGO_MANIFEST_DIR"), "../../fixtures/mailbox.pst"]
                .iter()
                .collect()
        },
        PathBuf::from,
    );
    let pst = pstkit::Pst::open(&path)?;
    let store = pst.store()?;
    for walked in store.walk() {
        // A damaged folder is yielded as an error; its subtree is skipped.
        let walked = match walked {
            Ok(w) => w,
            Err((nid, parent, e)) => {
                eprintln!("folder {nid} under {:?}: {e}", parent.join("/"));
                continue;
            }
        };
        for nid in walked.folder.message_ids()? {
            let message = store.message(nid)?;
            let subject = message.subject().unwrap_or_default();
            println!("{}: {subject}", walked.path_string());
        }
    }
    Ok(())
}
