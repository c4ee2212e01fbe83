//! pstkit: read Outlook `.pst` and `.ost` files without Outlook.
//!
//! [`Pst::open`] maps a file read-only and checks its header; [`Pst::store`]
//! reads the message store, from which folders and messages are reached.
//! Iteration is lazy: listing a large file reads one folder or message at a
//! time. The layers are re-exported for finer work: [`ndb`] (blocks and
//! B-trees), [`ltp`] (property and table contexts), [`store`] (messaging).
//!
//! ```no_run
//! let pst = pstkit::Pst::open("mail.pst")?;
//! let store = pst.store()?;
//! for folder in store.walk() {
//!     let Ok(f) = folder else { continue };
//!     for nid in f.folder.message_ids()? {
//!         let m = store.message(nid)?;
//!         println!("{}: {}", f.path_string(), m.subject().unwrap_or_default());
//!     }
//! }
//! # Ok::<(), pstkit::Error>(())
//! ```

#![deny(missing_docs)]

use std::path::Path;

pub use pstkit_ltp as ltp;
pub use pstkit_ndb as ndb;
pub use pstkit_store as store;

pub use pstkit_store::{
    Attachment, Folder, ItemKind, Message, Recipient, RecipientKind, Store, WalkedFolder,
};

/// Any error of the layers below.
#[derive(Debug, thiserror::Error)]
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
