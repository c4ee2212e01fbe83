//! Node database (NDB) layer of pstkit: the lowest layer of a PST/OST file.
//!
//! It reads the header, the node and block B-trees, blocks (verifying every
//! CRC and signature, decoding the permute and cyclic encodings, inflating
//! 4K-OST blocks), data trees and subnode trees, zero-copy over a read-only
//! memory map. ANSI, Unicode and 4K-page files go through one code path
//! driven by a [`Format`].
//!
//! ```no_run
//! let file = pstkit_ndb::NdbFile::open("mail.pst")?;
//! let ndb = file.ndb();
//! for entry in ndb.nodes() {
//!     let entry = entry?;
//!     println!("{} -> data {}", entry.nid, entry.data);
//! }
//! # Ok::<(), pstkit_ndb::NdbError>(())
//! ```

#![deny(missing_docs)]

pub mod amap;
mod bidset;
pub mod block;
pub mod btree;
pub mod check;
pub mod crc;
pub mod crypt;
mod crypt_tables;
pub mod error;
pub mod format;
mod guard;
pub mod header;
pub mod ids;
pub mod page;
pub mod prefetch;
pub mod read;
pub mod recover;
pub mod spill;
pub mod stored;
pub mod write;

pub use btree::{BbtEntry, NbtEntry};
pub use check::{Finding, Severity};
pub use crypt::CryptMethod;
pub use error::{Corruption, NdbError, Problem, Result, Structure};
pub use format::{Format, Variant};
pub use header::{FileKind, Header};
pub use ids::{BRef, Bid, Ib, Nid, NidType};
pub use read::{Backing, MappedFile, Ndb, NdbFile, Node, NodeReader, SubnodeTree};
pub use recover::{RecoveredIndex, RecoveryReport};
pub use stored::{StoredBlock, StoredNode};
