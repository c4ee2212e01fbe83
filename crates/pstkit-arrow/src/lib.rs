//! Columnar export of pstkit stores: a mailbox as two tables, messages and
//! attachments, in Arrow record batches or Parquet files, for the engines
//! (DuckDB, Spark, pandas, Polars) that query mail at archive scale.
//!
//! [`MessageBatches`] and [`AttachmentBatches`] yield Arrow
//! [`RecordBatch`](arrow_array::RecordBatch)es of a fixed number of rows,
//! reading one item at a time in the order their data lies in the file;
//! [`write_parquet`] writes both tables in one pass with the same reader
//! ([`item_reader`]).
//! Damaged folders and items are left out and listed ([`Lost`]), never
//! fatal. The columns are those of [`messages_schema`] and
//! [`attachments_schema`].
//!
//! ```no_run
//! use pstkit_arrow::{BatchOptions, MessageBatches};
//!
//! let file = pstkit_ndb::NdbFile::open("mail.pst")?;
//! let store = pstkit_store::Store::open(file.ndb())?;
//! let mut batches = MessageBatches::new(store, "mail.pst", &BatchOptions::default());
//! for batch in &mut batches {
//!     println!("{} items", batch?.num_rows());
//! }
//! for lost in batches.take_lost() {
//!     eprintln!("{}: item {}: {}", lost.folder, lost.nid, lost.error);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod batches;
pub mod error;
mod parquet_out;
mod rows;
pub mod schema;

pub use arrow_array;
pub use arrow_schema;
pub use batches::{
    item_reader, ArrowReader, AttachmentBatches, Batch, BatchCounts, BatchOptions, ItemReader,
    Lost, LostKind, MessageBatches, DEFAULT_BATCH_SIZE, MAX_BATCH_BYTES,
};
pub use error::{ColumnarError, Result};
pub use parquet;
pub use parquet_out::{
    write_parquet, ParquetEvent, ParquetOptions, ParquetSummary, ATTACHMENTS_FILE, MESSAGES_FILE,
    ROW_GROUP_BYTES, ROW_GROUP_ROWS,
};
pub use pstkit_output::Replace;
pub use schema::{attachments_schema, messages_schema};
