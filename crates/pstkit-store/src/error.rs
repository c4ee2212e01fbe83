//! The one error type of the messaging layer.

use pstkit_ltp::LtpError;
use pstkit_ndb::{Corruption, NdbError, Nid};

use crate::names::Guid;

/// Errors of the messaging layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A property or table context below could not be read.
    #[error(transparent)]
    Ltp(#[from] LtpError),
    /// A node or block below could not be read.
    #[error(transparent)]
    Ndb(#[from] NdbError),
    /// A file could not be written or renamed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file concerned.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The output file could not be made, published or was refused.
    #[error(transparent)]
    Output(#[from] pstkit_output::OutputError),
    /// A node the messaging layer needs is missing or of the wrong kind.
    #[error("{what} (node {nid})")]
    Invalid {
        /// The node concerned.
        nid: Nid,
        /// What is wrong.
        what: String,
    },
    /// A mailbox-binding record is damaged.
    #[error("binding record: {0}")]
    Binding(#[from] BindingError),
}

impl StoreError {
    /// A write failure that names no file (the node database writer's),
    /// said to be on `path`: a full disk is the output's, never an item's.
    pub fn at_output(self, path: &std::path::Path) -> StoreError {
        match self {
            StoreError::Ndb(NdbError::Write(source)) => StoreError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        }
    }

    /// The node-database damage underneath, when the error comes from there:
    /// the structure, id and file offset a report can point at.
    pub fn corruption(&self) -> Option<&Corruption> {
        match self {
            StoreError::Ltp(e) => e.corruption(),
            StoreError::Ndb(e) => e.corruption(),
            StoreError::Binding(BindingError::Unreadable(e)) => e.corruption(),
            _ => None,
        }
    }

    /// The LTP error below, whose accessors locate the damage inside a node
    /// (heap id, table row, property).
    pub fn ltp(&self) -> Option<&LtpError> {
        match self {
            StoreError::Ltp(e) | StoreError::Binding(BindingError::Unreadable(e)) => Some(e),
            _ => None,
        }
    }

    /// The node the error is about, when it names one.
    pub fn nid(&self) -> Option<Nid> {
        match self {
            StoreError::Ltp(e) | StoreError::Binding(BindingError::Unreadable(e)) => e.nid(),
            StoreError::Ndb(NdbError::NodeNotFound(nid)) | StoreError::Invalid { nid, .. } => {
                Some(*nid)
            }
            _ => None,
        }
    }

    pub(crate) fn invalid(nid: Nid, what: impl Into<String>) -> Self {
        StoreError::Invalid {
            nid,
            what: what.into(),
        }
    }
}

/// Result of messaging operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What is wrong with a binding record: kept as data, with the byte offset
/// inside the record, so that a report can say where and a caller can tell
/// a damaged record from one that names another mailbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindingError {
    /// Shorter than the smallest record (three empty strings).
    #[error("record is {len} bytes, too short")]
    TooShort {
        /// The record's length.
        len: usize,
    },
    /// The CRC at the end does not match the bytes before it.
    #[error("record CRC mismatch: stored 0x{stored:08X}, computed 0x{computed:08X} (CRC at byte {offset})")]
    Crc {
        /// Where the stored CRC starts.
        offset: usize,
        /// The CRC stored.
        stored: u32,
        /// The CRC of the bytes.
        computed: u32,
    },
    /// The first four bytes are not `PKMB`.
    #[error("record does not start with PKMB (byte 0)")]
    Magic {
        /// The bytes found.
        found: [u8; 4],
    },
    /// A version this build does not read.
    #[error("record version {version} is not known (byte 4)")]
    Version {
        /// The version found.
        version: u16,
    },
    /// A length, string or the GUID runs past the end of the record.
    #[error("record ends inside {inside} (byte {offset})")]
    Truncated {
        /// Where the field starts.
        offset: usize,
        /// Which field: "a length", "a string", "the GUID".
        inside: &'static str,
    },
    /// A string is not UTF-8.
    #[error("record string is not UTF-8 (byte {offset})")]
    NotUtf8 {
        /// The first byte that is not.
        offset: usize,
    },
    /// Bytes follow the GUID.
    #[error("record has trailing bytes (from byte {offset})")]
    Trailing {
        /// Where they start.
        offset: usize,
    },
    /// The record checks but names another mailbox GUID than the store.
    #[error("record names mailbox GUID {record}, the store {store}")]
    OtherMailbox {
        /// The GUID in the record.
        record: Guid,
        /// The store's PidTagMailboxGuid-like property 0x6615.
        store: Guid,
    },
    /// The property holding the record is not binary.
    #[error("record is not binary")]
    NotBinary,
    /// The property holding the record cannot be read.
    #[error("record unreadable: {0}")]
    Unreadable(#[source] LtpError),
}

impl BindingError {
    /// The byte inside the record where the damage is, when it is in the
    /// record's own bytes.
    pub fn offset(&self) -> Option<usize> {
        match self {
            BindingError::Magic { .. } => Some(0),
            BindingError::Version { .. } => Some(4),
            BindingError::Crc { offset, .. }
            | BindingError::Truncated { offset, .. }
            | BindingError::NotUtf8 { offset }
            | BindingError::Trailing { offset } => Some(*offset),
            _ => None,
        }
    }
}
