//! Export of pstkit stores to files other programs read: RFC 5322 `.eml`
//! messages, mboxrd files, vCard 3.0 contacts and iCalendar events.
//!
//! [`export()`] walks the folder tree once to list the items (20 bytes an
//! item), then reads them in the order their data lies in the file, with a
//! message per worker in memory at a time. New folder directories and mbox
//! files are filled under hidden names and renamed into place at the end;
//! files into existing directories go under temporary names, renamed when
//! complete. The input is only read. Damaged items are
//! reported through the progress callback and skipped.
//!
//! ```no_run
//! use pstkit_copy::{export, ExportEvent, ExportFormat};
//!
//! let file = pstkit_ndb::NdbFile::open("mail.pst")?;
//! let store = pstkit_store::Store::open(file.ndb())?;
//! let summary = export(&store, "out".as_ref(), ExportFormat::Eml, &mut |e| {
//!     if let ExportEvent::ItemFailed { folder, nid, error } = e {
//!         eprintln!("{folder}: item {nid}: {error}");
//!     }
//! })?;
//! println!("{} items written", summary.items_exported);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod contentline;
pub mod convert;
pub mod eml;
pub mod error;
pub mod export;
pub mod fsname;
pub mod ical;
pub mod import;
pub mod mbox;
pub mod msg;
mod smime;
mod streamed;
pub mod time;
pub mod vcard;

pub use convert::{
    convert, ConvertOptions, ConvertSummary, CopyEvent, Lost, Orphans, Skipped,
    RECOVERED_DELETED_FOLDER, RECOVERED_FOLDER,
};
pub use eml::{
    attachment_content, bodies, message_to_eml, AttachmentContent, Bodies, MAX_EMBED_DEPTH,
};
pub use error::{CopyError, Result};
pub use export::{export, export_with, ExportEvent, ExportFormat, ExportOptions, ExportSummary};
pub use ical::appointment_to_ics;
pub use import::{eml_to_message, import, import_with, ImportSummary};
pub use msg::{message_to_msg, msg_to_message};
pub use pstkit_output::Replace;
pub use vcard::contact_to_vcard;

/// Where an item's data begins in the file: the order items are read in
/// to go through a file once, front to back. Items whose entries cannot
/// be read sort last; reading them reports why.
pub fn data_offset(ndb: pstkit_ndb::Ndb<'_>, nid: pstkit_ndb::Nid) -> u64 {
    ndb.node_entry(nid)
        .and_then(|e| ndb.block_entry(e.data))
        .map_or(u64::MAX, |b| b.bref.ib.0)
}

/// Most worker threads a copy or an export starts: each holds a message
/// (and, for an export, its rendered bytes) in memory, so the count bounds
/// memory as well as CPU.
pub const MAX_THREADS: usize = 8;

/// The threads to start: `asked`, or one per CPU; at least 1, at most
/// [`MAX_THREADS`].
pub(crate) fn worker_threads(asked: Option<usize>) -> usize {
    asked
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1)
        })
        .clamp(1, MAX_THREADS)
}
