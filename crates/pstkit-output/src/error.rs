//! The one error type of output handling: what went wrong, and where.

use std::path::PathBuf;

/// What stops an output from being written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The destination exists and replacing was not allowed.
    #[error("{path} exists; pstkit replaces nothing unless told to (--force)")]
    Exists {
        /// The destination.
        path: PathBuf,
    },
    /// The destination is a link, a directory or a special file: never
    /// replaced, even when replacing is allowed.
    #[error("{path} is {what}; pstkit replaces only regular files")]
    NotRegular {
        /// The destination.
        path: PathBuf,
        /// What it is ("a symbolic link", "a directory", ...).
        what: &'static str,
    },
    /// The folder the destination would go into does not exist.
    #[error("the folder {path} does not exist")]
    NoFolder {
        /// The missing folder.
        path: PathBuf,
    },
    /// The destination is one of the command's inputs.
    #[error("{path} is one of the inputs ({input}); pstkit never writes over its input")]
    IsInput {
        /// The destination.
        path: PathBuf,
        /// The input it is (by path, link or inode).
        input: PathBuf,
    },
    /// A file system operation failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error (a full disk says so here).
        #[source]
        source: std::io::Error,
    },
}

impl OutputError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        OutputError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Output handling's result.
pub type Result<T> = std::result::Result<T, OutputError>;
