//! Arrow batches of a file's items for pyarrow: pstkit-arrow's iterators
//! behind the Arrow C stream interface, so that every column crosses into
//! Python as the buffers Rust built, never row by row.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::ffi::FFI_ArrowSchema;
use arrow_schema::{ArrowError, Schema, SchemaRef};
use pstkit::store::Store;
use pstkit_arrow::{
    AttachmentBatches, BatchOptions, ColumnarError, Lost, LostKind, MessageBatches,
};
use pyo3::prelude::*;

use crate::errors::Failure;
use crate::items::lock;
use crate::open::Opened;

/// The two tables' iterators, behind one type.
enum Batches {
    Messages(MessageBatches<'static>),
    Attachments(AttachmentBatches<'static>),
}

/// A folder or item a stream could not read, as `File.lost` reports it.
#[derive(Clone)]
pub struct LostRecord {
    /// `folder` or `item`.
    pub lost: &'static str,
    pub folder: String,
    pub nid: u32,
    pub failure: Failure,
}

impl From<Lost> for LostRecord {
    fn from(l: Lost) -> Self {
        LostRecord {
            lost: match l.kind {
                LostKind::Folder => "folder",
                _ => "item",
            },
            folder: l.folder,
            nid: l.nid.0,
            failure: l.error.into(),
        }
    }
}

/// One stream of batches handed to pyarrow. pyarrow calls it from its own
/// threads, without the GIL: it touches nothing of Python.
struct Stream {
    // Declared before `opened`: dropped while the store it reads is alive.
    batches: Batches,
    schema: SchemaRef,
    /// Where the folders and items that did not read go, for `File.lost`.
    lost: Arc<Mutex<Vec<LostRecord>>>,
    opened: Arc<Opened>,
}

impl Iterator for Stream {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // A panic must not unwind through the C stream's callback (that
        // aborts the interpreter): it becomes the stream's error.
        let next = catch_unwind(AssertUnwindSafe(|| {
            let (next, lost) = match &mut self.batches {
                Batches::Messages(b) => (b.next(), b.take_lost()),
                Batches::Attachments(b) => (b.next(), b.take_lost()),
            };
            lock(&self.lost).extend(lost.into_iter().map(LostRecord::from));
            next
        }));
        match next {
            Ok(next) => next.map(|r| r.map_err(|e| ArrowError::ExternalError(Box::new(e)))),
            Err(p) => Some(Err(ArrowError::ExternalError(
                format!(
                    "{} (reading {})",
                    Failure::panic(p).message(),
                    self.opened.path.display()
                )
                .into(),
            ))),
        }
    }
}

impl RecordBatchReader for Stream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Which table `stream` reads.
pub enum Table {
    Messages,
    Attachments { with_data: bool },
}

/// How `stream` reads.
pub struct Options<'s> {
    pub batch_size: usize,
    /// Reading threads (`None`: one per CPU).
    pub threads: Option<usize>,
    /// The `source` column's value.
    pub source: &'s str,
}

/// A pyarrow `RecordBatchReader` over `opened`'s items.
pub fn stream<'py>(
    py: Python<'py>,
    opened: Arc<Opened>,
    table: Table,
    how: Options<'_>,
    lost: Arc<Mutex<Vec<LostRecord>>>,
) -> PyResult<Bound<'py, PyAny>> {
    let source = how.source;
    let mut opts = BatchOptions::default();
    opts.batch_size = how.batch_size.max(1);
    opts.threads = how.threads;
    let o = opened.clone();
    let batches = crate::errors::unlocked(py, move || {
        let store = o.pst().store()?;
        // SAFETY: as in `Opened::open`: the store borrows the `Pst` boxed in
        // `Opened`, which the stream keeps alive (`Stream::opened`, dropped
        // after `Stream::batches`).
        let store = unsafe { std::mem::transmute::<Store<'_>, Store<'static>>(store) };
        Ok(match table {
            Table::Messages => Batches::Messages(MessageBatches::new(store, source, &opts)),
            Table::Attachments { with_data } => {
                opts.with_attachment_data = with_data;
                Batches::Attachments(AttachmentBatches::new(store, source, &opts))
            }
        })
    })?;
    let schema = match &batches {
        Batches::Messages(b) => b.schema(),
        Batches::Attachments(b) => b.schema(),
    };
    let s = Stream {
        batches,
        schema,
        lost,
        opened,
    };
    let mut ffi = Box::new(FFI_ArrowArrayStream::new(Box::new(s)));
    let reader = py
        .import("pyarrow")?
        .getattr("RecordBatchReader")?
        .call_method1(
            "_import_from_c",
            (&mut *ffi as *mut FFI_ArrowArrayStream as usize,),
        )?;
    // pyarrow moved the stream out (its release callback is now null):
    // dropping the emptied box frees nothing else.
    drop(ffi);
    Ok(reader)
}

/// A pyarrow `Schema` from an Arrow one.
pub fn schema<'py>(py: Python<'py>, schema: &Schema) -> PyResult<Bound<'py, PyAny>> {
    let mut ffi = Box::new(
        FFI_ArrowSchema::try_from(schema)
            .map_err(|e| Failure::new("InternalError", e.to_string()).into_pyerr(py))?,
    );
    py.import("pyarrow")?.getattr("Schema")?.call_method1(
        "_import_from_c",
        (&mut *ffi as *mut FFI_ArrowSchema as usize,),
    )
}

/// The messages table's schema, as `record_batches` and `export(format=
/// "parquet")` write it.
#[pyfunction]
pub fn messages_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    schema(py, &pstkit_arrow::messages_schema())
}

/// The attachments table's schema (`data` only `with_data`).
#[pyfunction]
#[pyo3(signature = (with_data = false))]
pub fn attachments_schema(py: Python<'_>, with_data: bool) -> PyResult<Bound<'_, PyAny>> {
    schema(py, &pstkit_arrow::attachments_schema(with_data))
}

impl From<ColumnarError> for Failure {
    fn from(e: ColumnarError) -> Self {
        match e {
            ColumnarError::Store(e) => e.into(),
            ColumnarError::Ndb(e) => e.into(),
            ColumnarError::Copy(e) => e.into(),
            ColumnarError::Output(e) => e.into(),
            ColumnarError::Io { path, source } => Failure::io(
                format!("cannot write {}: {source}", path.display()),
                &path,
                &source,
            ),
            e => Failure::new("Error", e.to_string()),
        }
    }
}
