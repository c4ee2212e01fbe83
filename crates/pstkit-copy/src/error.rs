//! The one error type of the export layer.

use std::path::{Path, PathBuf};

use pstkit_ltp::LtpError;
use pstkit_ndb::{Corruption, NdbError, Nid};
use pstkit_store::StoreError;

/// Errors of exporting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// A thread of pstkit's own stopped (it panicked): a bug, not damage in
    /// the file, so it names no item.
    #[error("{0} stopped unexpectedly (a pstkit bug; the output is not kept)")]
    Internal(&'static str),
    /// An output file or directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// An output was refused (it exists, is an input, has no folder) or
    /// could not be made or renamed.
    #[error(transparent)]
    Output(#[from] pstkit_output::OutputError),
    /// An input file could not be read, or is not a regular file.
    #[error("cannot read {}: {source}", path.display())]
    Input {
        /// The input.
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
        /// Where in the file, when the node database found the damage
        /// (boxed: it would double the size of every result).
        corruption: Option<Box<Corruption>>,
    },
    /// The copy read back differs from its source.
    #[error("verify: destination item {nid}: {what}")]
    Verify {
        /// The item in the destination.
        nid: Nid,
        /// What differs.
        what: String,
    },
    /// The copy fails the deep check (`repair` publishes none that does).
    #[error(
        "the copy fails the deep check with {count} findings; the first, on node {nid}: {first}"
    )]
    Audit {
        /// The node of the first finding.
        nid: Nid,
        /// Findings of any severity.
        count: usize,
        /// The first, as `[rule] expected …; found …`.
        first: String,
    },
    /// A message to import could not be parsed.
    #[error("cannot import: {0}")]
    Import(String),
    /// A `.msg` file is damaged or not one: the structure inside it (a
    /// stream or storage path) and what is wrong there.
    #[error("{structure}: {what}")]
    Msg {
        /// The stream or storage, as a path in the compound file.
        structure: String,
        /// What is wrong.
        what: String,
    },
    /// An attachment says it holds data that is not there.
    #[error("attachment {nid}: {what}")]
    Attachment {
        /// The attachment's subnode.
        nid: Nid,
        /// What is wrong.
        what: String,
    },
}

impl CopyError {
    /// Whether the error is the output's (a full disk, a refused or
    /// unwritable destination) rather than the item's being copied: such an
    /// error ends the whole copy and never counts against an item.
    pub fn is_output(&self) -> bool {
        matches!(
            self,
            CopyError::Io { .. }
                | CopyError::Output(_)
                | CopyError::Ndb(NdbError::Write(_))
                | CopyError::Store(
                    StoreError::Io { .. }
                        | StoreError::Output(_)
                        | StoreError::Ndb(NdbError::Write(_))
                )
        )
    }

    /// The node-database damage underneath, when the error comes from there:
    /// the structure, id and file offset a report can point at.
    pub fn corruption(&self) -> Option<&Corruption> {
        match self {
            CopyError::Store(e) => e.corruption(),
            CopyError::Ltp(e) => e.corruption(),
            CopyError::Ndb(e) => e.corruption(),
            CopyError::Damaged { corruption, .. } => corruption.as_deref(),
            _ => None,
        }
    }

    /// The LTP error below, whose accessors locate the damage inside a node
    /// (heap id, table row, property).
    pub fn ltp(&self) -> Option<&LtpError> {
        match self {
            CopyError::Store(e) => e.ltp(),
            CopyError::Ltp(e) => Some(e),
            _ => None,
        }
    }

    /// The node the error is about, when it names one.
    pub fn nid(&self) -> Option<Nid> {
        match self {
            CopyError::Store(e) => e.nid(),
            CopyError::Ltp(e) => e.nid(),
            CopyError::Ndb(NdbError::NodeNotFound(nid))
            | CopyError::Damaged { nid, .. }
            | CopyError::Verify { nid, .. }
            | CopyError::Audit { nid, .. }
            | CopyError::Attachment { nid, .. } => Some(*nid),
            _ => None,
        }
    }

    /// An output error, with a write failure that names no file (the node
    /// database writer's) said to be on `path`.
    pub fn at_output(self, path: &Path) -> CopyError {
        match self {
            CopyError::Ndb(NdbError::Write(source))
            | CopyError::Store(StoreError::Ndb(NdbError::Write(source))) => CopyError::Io {
                path: path.to_path_buf(),
                source,
            },
            CopyError::Store(StoreError::Io { path, source }) => CopyError::Io { path, source },
            other => other,
        }
    }
}

pub(crate) fn input_err(path: &Path, source: std::io::Error) -> CopyError {
    CopyError::Input {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn io_err(path: &Path, source: std::io::Error) -> CopyError {
    CopyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Result of export operations.
pub type Result<T, E = CopyError> = std::result::Result<T, E>;
