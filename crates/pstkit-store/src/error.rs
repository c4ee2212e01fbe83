//! The one error type of the messaging layer.

use pstkit_ltp::LtpError;
use pstkit_ndb::{Corruption, NdbError, Nid};

use crate::binding::BindingError;

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
