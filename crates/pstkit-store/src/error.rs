//! The one error type of the messaging layer.

use pstkit_ltp::LtpError;
use pstkit_ndb::{NdbError, Nid};

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

    pub(crate) fn invalid(nid: Nid, what: impl Into<String>) -> Self {
        StoreError::Invalid {
            nid,
            what: what.into(),
        }
    }
}

/// Result of messaging operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
