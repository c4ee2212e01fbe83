//! Messaging layer of pstkit: the message store, folders, messages,
//! recipients, attachments and named properties, over the LTP layer.
//!
//! ```no_run
//! let file = pstkit_ndb::NdbFile::open("mail.pst")?;
//! let store = pstkit_store::Store::open(file.ndb())?;
//! for folder in store.walk() {
//!     let Ok(f) = folder else { continue };
//!     println!("{} ({} items)", f.path_string(), f.folder.message_ids()?.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod audit;
pub mod binding;
pub mod codepage;
pub mod error;
pub mod identity;
pub mod kind;
pub mod lids;
pub mod message;
pub mod names;
pub mod pid;
pub mod profile;
pub mod regfile;
pub use pstkit_rtf::compressed as rtf;
pub use pstkit_rtf::encapsulated as rtfex;
pub mod state;
pub mod store;
pub mod synth;
pub mod tagnames;
pub mod write;

pub use error::{Result, StoreError};
pub use kind::ItemKind;
pub use message::{AttachMethod, Attachment, Message, Recipient, RecipientKind, MAX_EMBED_DEPTH};
pub use names::{Guid, NameMap, NamedProp, PropName};
pub use store::{Census, Folder, Store, WalkError, WalkedFolder, DEFAULT_CODEPAGE};

/// The current time as a FILETIME (100 ns ticks since 1601), the stamp of
/// a file's creation. When `SOURCE_DATE_EPOCH` is set (Unix seconds, the
/// reproducible-builds convention), that time instead: the same input then
/// gives the same bytes, so that two runs, or two versions, can be compared.
pub fn now() -> pstkit_ltp::FileTime {
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return from_unix(secs, 0);
    }
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    from_unix(unix.as_secs() as i64, unix.subsec_nanos())
}

/// A FILETIME from Unix seconds and nanoseconds.
pub fn from_unix(secs: i64, nanos: u32) -> pstkit_ltp::FileTime {
    const EPOCH_DIFF: i64 = 11_644_473_600;
    let ticks = (secs + EPOCH_DIFF).max(0) as u64 * 10_000_000 + u64::from(nanos / 100);
    pstkit_ltp::FileTime(ticks)
}
