//! The one error type of the columnar export.

use std::path::PathBuf;

use pstkit_copy::CopyError;
use pstkit_ndb::NdbError;
use pstkit_store::StoreError;

/// Errors of building record batches and writing Parquet files. The
/// lower layers' errors are kept whole, with the structure and offset
/// they name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ColumnarError {
    /// The messaging layer could not read an object.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A node or block below could not be read (or the source changed).
    #[error(transparent)]
    Ndb(#[from] NdbError),
    /// An item's bodies or attachments could not be read the way the
    /// exports read them.
    #[error(transparent)]
    Copy(#[from] CopyError),
    /// Arrow refused a batch (a bug: the columns are built to the schema).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The Parquet writer failed writing a file (a full disk, say).
    #[error("cannot write {}: {source}", path.display())]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// What went wrong.
        source: parquet::errors::ParquetError,
    },
    /// An output was refused (it exists, is a link) or could not be made
    /// or renamed.
    #[error(transparent)]
    Output(#[from] pstkit_output::OutputError),
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

impl ColumnarError {
    /// Whether the error is the output's (nothing after it can be written),
    /// not damage in one item.
    pub fn is_output(&self) -> bool {
        matches!(
            self,
            ColumnarError::Output(_) | ColumnarError::Io { .. } | ColumnarError::Parquet { .. }
        ) || matches!(self, ColumnarError::Copy(e) if e.is_output())
    }
}

/// Results of this crate.
pub type Result<T, E = ColumnarError> = std::result::Result<T, E>;
