//! pstkit: read and write Outlook `.pst` and `.ost` files without Outlook.
//!
//! [`Pst::open`] maps a file read-only and checks its header; [`Pst::store`]
//! reads the message store, from which folders and messages are reached.
//! Iteration is lazy: listing a large file reads one folder or message at a
//! time. The layers are re-exported for finer work: [`ndb`] (blocks and
//! B-trees), [`ltp`] (property and table contexts), [`store`] (messaging and
//! the writer), [`copy`] (convert, export, import).
//!
//! Walk every folder and read every message:
//!
//! ```
//! let pst = pstkit::Pst::open("../../fixtures/mailbox.pst")?;
//! let store = pst.store()?;
//! let mut subjects = 0;
//! for folder in store.walk() {
//!     let Ok(f) = folder else { continue };
//!     for nid in f.folder.message_ids()? {
//!         let m = store.message(nid)?;
//!         println!("{}: {}", f.path_string(), m.subject().unwrap_or_default());
//!         subjects += 1;
//!     }
//! }
//! assert_eq!(subjects, 30);
//! # Ok::<(), pstkit::Error>(())
//! ```
//!
//! Attachments, with their bytes and embedded messages:
//!
//! ```
//! use pstkit::{AttachMethod, Pst};
//!
//! let pst = Pst::open("../../fixtures/mailbox.pst")?;
//! let store = pst.store()?;
//! let inbox = store
//!     .walk()
//!     .flatten()
//!     .find(|f| f.path_string() == "Top of Personal Folders/Inbox")
//!     .expect("an Inbox");
//! for nid in inbox.folder.message_ids()? {
//!     let m = store.message(nid)?;
//!     for a in m.attachments()? {
//!         let a = a?;
//!         match a.method() {
//!             AttachMethod::EmbeddedMessage => {
//!                 let inner = a.embedded()?.expect("the message");
//!                 println!("forwarded: {:?}", inner.subject());
//!             }
//!             _ => println!("{:?}: {} bytes", a.filename(), a.data()?.map_or(0, |d| d.len())),
//!         }
//!     }
//! }
//! # Ok::<(), pstkit::Error>(())
//! ```
//!
//! Write a new PST:
//!
//! ```
//! use pstkit::ltp::{props, PropValue};
//! use pstkit::store::write::{NewMessage, PstWriter, WriterOptions};
//!
//! let dir = std::env::temp_dir().join(format!("pstkit-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let mut w = PstWriter::create(dir.join("new.pst"), WriterOptions::default())?;
//! let inbox = w.add_folder(w.standard_folders().ipm_subtree, "Inbox", Some("IPF.Note"))?;
//! w.add_message(inbox, &NewMessage {
//!     props: vec![(props::tags::SUBJECT, PropValue::String("Hello".into()))],
//!     ..NewMessage::default()
//! })?;
//! let path = w.finish()?; // verified, then renamed into place
//! assert_eq!(pstkit::Pst::open(&path)?.store()?.walk().count(), 6);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), pstkit::Error>(())
//! ```

#![deny(missing_docs)]

/// The README's library example, run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExample;

use std::path::Path;

pub use pstkit_copy as copy;
pub use pstkit_ltp as ltp;
pub use pstkit_ndb as ndb;
pub use pstkit_store as store;

pub use pstkit_store::{
    AttachMethod, Attachment, Folder, ItemKind, Message, Recipient, RecipientKind, Store,
    WalkedFolder,
};

/// Any error of the layers below.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// From the node database.
    #[error(transparent)]
    Ndb(#[from] ndb::NdbError),
    /// From the LTP layer.
    #[error(transparent)]
    Ltp(#[from] ltp::LtpError),
    /// From the messaging layer.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// From copying, exporting or importing.
    #[error(transparent)]
    Copy(#[from] copy::CopyError),
}

impl Error {
    /// The node-database damage underneath, whichever layer met it: the
    /// structure, id and file offset a report can point at.
    pub fn corruption(&self) -> Option<&ndb::Corruption> {
        match self {
            Error::Ndb(e) => e.corruption(),
            Error::Ltp(e) => e.corruption(),
            Error::Store(e) => e.corruption(),
            Error::Copy(e) => e.corruption(),
        }
    }
}

// Shows which file it is, not its bytes.
impl std::fmt::Debug for Pst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = self.file.header();
        f.debug_struct("Pst")
            .field("kind", &h.kind)
            .field("variant", &h.variant_name())
            .field("size", &self.file.ndb().data().len())
            .finish_non_exhaustive()
    }
}

/// An opened `.pst` or `.ost` file.
pub struct Pst {
    file: ndb::NdbFile,
}

impl Pst {
    /// Maps `path` read-only and checks its header. The file is never written.
    pub fn open(path: impl AsRef<Path>) -> Result<Pst, Error> {
        Ok(Pst {
            file: ndb::NdbFile::open(path)?,
        })
    }

    /// The node database view.
    pub fn ndb(&self) -> ndb::Ndb<'_> {
        self.file.ndb()
    }

    /// The header.
    pub fn header(&self) -> &ndb::Header {
        self.file.header()
    }

    /// Reads the message store.
    pub fn store(&self) -> Result<Store<'_>, Error> {
        Ok(Store::open(self.file.ndb())?)
    }
}
