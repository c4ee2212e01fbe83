//! The one error type of the export layer.

use std::path::{Path, PathBuf};

use pstkit_ltp::LtpError;
use pstkit_ndb::{NdbError, Nid};
use pstkit_store::StoreError;

/// Errors of exporting.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The messaging layer could not read an object.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A property or table below could not be read.
    #[error(transparent)]
    Ltp(#[from] LtpError),
    /// A node or block below could not be read.
    #[error(transparent)]
    Ndb(#[from] NdbError),
    /// An output file or directory could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Embedded messages nest deeper than the limit (a loop, or damage).
    #[error("embedded messages nested deeper than {0} levels")]
    TooDeep(usize),
    /// An item could not be copied (without `--salvage`, the copy stops here).
    #[error("item {nid} in {folder:?} is damaged: {what}")]
    Damaged {
        /// The folder's path in the source.
        folder: String,
        /// The item's (or folder's) node id in the source.
        nid: Nid,
        /// What is wrong.
        what: String,
    },
    /// The copy read back differs from its source.
    #[error("verify: destination item {nid}: {what}")]
    Verify {
        /// The item in the destination.
        nid: Nid,
        /// What differs.
        what: String,
    },
    /// A message to import could not be parsed.
    #[error("cannot import: {0}")]
    Import(String),
    /// An attachment says it holds data that is not there.
    #[error("attachment {nid}: {what}")]
    Attachment {
        /// The attachment's subnode.
        nid: Nid,
        /// What is wrong.
        what: String,
    },
}

pub(crate) fn io_err(path: &Path, source: std::io::Error) -> CopyError {
    CopyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Result of export operations.
pub type Result<T, E = CopyError> = std::result::Result<T, E>;
