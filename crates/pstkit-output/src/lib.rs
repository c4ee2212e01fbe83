//! Output files that never lose a user's data.
//!
//! Every file or directory pstkit writes goes through this crate:
//!
//! * [`check_destination`] refuses, before any work, a destination that
//!   exists (unless the caller allows replacing a regular file), one that is
//!   a link or not a regular file, and one whose folder is missing;
//! * [`TempFile`] and [`StageDir`] create the bytes under a temporary name
//!   beside the destination: created exclusively (never through a link),
//!   holding an exclusive lock for as long as they live, and named with the
//!   owning process id (`NAME.pstkit-PID.tmp`, `.NAME.pstkit-PID.part`);
//! * [`publish`] renames a finished file into place without replacing
//!   anything (`renameat2(RENAME_NOREPLACE)`), or replacing only a regular
//!   file when asked;
//! * every temporary name is registered while it lives, so that a signal
//!   handler can remove them all ([`remove_registered`]) before exiting;
//! * [`sweep`] removes what a killed or crashed run left: a temporary name
//!   whose lock nobody holds and whose process is gone.

mod error;
mod publish;
mod registry;
mod sweep;
mod temp;

pub use error::{OutputError, Result};
pub use publish::{check_destination, folder_of, publish, same_file, Replace};
pub use registry::remove_registered;
pub use sweep::{sweep, sweep_tree, Swept};
pub use temp::{StageDir, TempFile, TempName};
