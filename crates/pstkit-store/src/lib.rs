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

pub mod codepage;
pub mod error;
pub mod kind;
pub mod message;
pub mod names;
pub mod pid;
pub mod rtf;
pub mod store;
pub mod tagnames;

pub use error::{Result, StoreError};
pub use kind::ItemKind;
pub use message::{AttachMethod, Attachment, Message, Recipient, RecipientKind};
pub use names::{Guid, NameMap, NamedProp, PropName};
pub use store::{Folder, Store, WalkedFolder, DEFAULT_CODEPAGE};
