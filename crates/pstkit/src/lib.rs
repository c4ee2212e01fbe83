//! pstkit: read Outlook `.pst` and `.ost` files without Outlook.
//!
//! This facade re-exports the layers so that users depend on one crate:
//! [`ndb`] is the node database (header, B-trees, blocks).
//!
//! ```no_run
//! let file = pstkit::ndb::NdbFile::open("mail.pst")?;
//! let report = pstkit::ndb::check::check(file.ndb());
//! println!("{} nodes, clean: {}", report.nodes, report.is_clean());
//! # Ok::<(), pstkit::ndb::NdbError>(())
//! ```

#![deny(missing_docs)]

pub use pstkit_ndb as ndb;
