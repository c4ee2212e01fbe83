//! The one error type of the messaging layer.

use pstkit_ltp::LtpError;
use pstkit_ndb::{NdbError, Nid};

/// Errors of the messaging layer.
#[derive(Debug, thiserror::Error)]
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
}

impl StoreError {
    pub(crate) fn invalid(nid: Nid, what: impl Into<String>) -> Self {
        StoreError::Invalid {
            nid,
            what: what.into(),
        }
    }
}

/// Result of messaging operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
