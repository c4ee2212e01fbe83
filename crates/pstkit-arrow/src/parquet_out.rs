//! The Parquet export: both tables written side by side in one pass over
//! the file, through the same reader as the record batch iterators.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use pstkit_output::{Replace, StageDir, TempFile};
use pstkit_store::Store;

use crate::batches::{item_reader, Batch, BatchOptions, Lost};
use crate::error::{ColumnarError, Result};
use crate::schema::{attachments_schema, messages_schema};

/// The messages table's file name in the output directory.
pub const MESSAGES_FILE: &str = "messages.parquet";
/// The attachments table's file name in the output directory.
pub const ATTACHMENTS_FILE: &str = "attachments.parquet";

/// A row group is closed when its encoded columns reach this size: the
/// writer holds one row group per file in memory.
pub const ROW_GROUP_BYTES: usize = 64 << 20;

/// Rows in a row group at most (fewer when [`ROW_GROUP_BYTES`] comes
/// first).
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

/// How the Parquet export is made.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ParquetOptions {
    /// Batches and whether attachments carry their bytes.
    pub batches: BatchOptions,
    /// Whether the two files may replace files of the same names in an
    /// existing directory (`--force`); by default they must be absent.
    pub replace: Replace,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            batches: BatchOptions::default(),
            replace: Replace::Never,
        }
    }
}

/// What the Parquet export reports as it goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum ParquetEvent {
    /// The folders were walked: this many items are to be read.
    Counted {
        /// Items in the folders' contents tables.
        items: usize,
    },
    /// Items read so far (items lost included), after each batch.
    Progress {
        /// Items done.
        items: usize,
    },
    /// A folder or item is not in the files.
    Lost(Lost),
}

/// What the Parquet export did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParquetSummary {
    /// Folders below the root whose items were listed.
    pub folders: usize,
    /// Rows of `messages.parquet`.
    pub items: usize,
    /// Rows of `attachments.parquet`.
    pub attachments: usize,
    /// Items that could not be read.
    pub items_lost: usize,
    /// Folders that could not be read.
    pub folders_lost: usize,
    /// The two files written.
    pub files: Vec<PathBuf>,
    /// Temporary files and stages an interrupted earlier export left in the
    /// output, removed before this one began.
    pub swept: Vec<PathBuf>,
}

impl ParquetSummary {
    /// Whether every item of the store is in the files.
    pub fn is_complete(&self) -> bool {
        self.items_lost == 0 && self.folders_lost == 0
    }
}

/// The writer settings: zstd, row groups bounded in rows and bytes, no
/// dictionary for the columns whose values are rarely repeated (bodies,
/// headers, hashes, data), where it would only be built and dropped.
fn properties() -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_created_by(format!("pstkit {}", env!("CARGO_PKG_VERSION")));
    for col in [
        "body_text",
        "body_html",
        "transport_headers",
        "internet_message_id",
        "sha256",
        "data",
    ] {
        b = b.set_column_dictionary_enabled(ColumnPath::from(col), false);
    }
    b.build()
}

/// One output file being written: under a temporary name, renamed at the
/// end.
struct Output {
    dst: PathBuf,
    /// `None` when the file is in a stage directory renamed whole.
    temp: Option<TempFile>,
    writer: ArrowWriter<File>,
}

impl Output {
    fn create(
        dir: &Path,
        stage: Option<&StageDir>,
        name: &str,
        schema: arrow_schema::SchemaRef,
    ) -> Result<Output> {
        let dst = dir.join(name);
        let (file, temp) = match stage {
            Some(stage) => {
                let path = stage.path().join(name);
                let f = File::create_new(&path).map_err(|e| io_err(&path, e))?;
                (f, None)
            }
            None => {
                let t = TempFile::hidden_beside(&dst)?;
                let f = t.file().try_clone().map_err(|e| io_err(t.path(), e))?;
                (f, Some(t))
            }
        };
        let writer = ArrowWriter::try_new(file, schema, Some(properties())).map_err(|source| {
            ColumnarError::Parquet {
                path: dst.clone(),
                source,
            }
        })?;
        Ok(Output { dst, temp, writer })
    }

    /// Writes a batch (and, when its row group is full, the group).
    fn write(&mut self, b: &RecordBatch) -> Result<()> {
        self.writer
            .write(b)
            .map_err(|source| ColumnarError::Parquet {
                path: self.dst.clone(),
                source,
            })
    }

    /// Writes the footer and makes the file durable.
    fn close(self) -> Result<(PathBuf, Option<TempFile>)> {
        let Output { dst, temp, writer } = self;
        let file = writer
            .into_inner()
            .map_err(|source| ColumnarError::Parquet {
                path: dst.clone(),
                source,
            })?;
        file.sync_all().map_err(|e| io_err(&dst, e))?;
        Ok((dst, temp))
    }
}

fn io_err(path: &Path, source: std::io::Error) -> ColumnarError {
    ColumnarError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `out/messages.parquet` and `out/attachments.parquet` of `store`
/// (`source` fills their `source` column). An `out` that does not exist
/// is filled under a hidden name beside it and renamed into place when both
/// files are complete; into an existing directory each file goes under a
/// temporary name, renamed when both are complete, replacing files of the
/// same names only when [`ParquetOptions::replace`] allows. Temporary names
/// an interrupted export left are removed first. Lost folders and items
/// are reported through `progress` and left out; the error return is kept
/// for what stops the whole export (the output cannot be written, the
/// source changed), and then nothing of it is left.
pub fn write_parquet(
    store: Store<'_>,
    source: &str,
    out: &Path,
    opts: &ParquetOptions,
    progress: &mut dyn FnMut(ParquetEvent),
) -> Result<ParquetSummary> {
    let mut summary = ParquetSummary::default();
    summary
        .swept
        .extend(pstkit_output::sweep(&pstkit_output::folder_of(out)).removed);
    let stage = StageDir::for_folder(out, || {
        summary.swept.extend(pstkit_output::sweep(out).removed);
        for name in [MESSAGES_FILE, ATTACHMENTS_FILE] {
            pstkit_output::check_destination(&out.join(name), opts.replace, &[])?;
        }
        Ok(())
    })?;
    let with_data = opts.batches.with_attachment_data;
    let mut messages = Output::create(out, stage.as_ref(), MESSAGES_FILE, messages_schema())?;
    let mut attachments = Output::create(
        out,
        stage.as_ref(),
        ATTACHMENTS_FILE,
        attachments_schema(with_data),
    )?;
    let mut reader = item_reader(store, source, &opts.batches);
    progress(ParquetEvent::Counted {
        items: reader.counts().items,
    });
    loop {
        for lost in reader.take_lost() {
            progress(ParquetEvent::Lost(lost));
        }
        let Some(batch) = reader.next_batch() else {
            break;
        };
        match batch? {
            Batch::Messages(b) => {
                messages.write(&b)?;
                let c = reader.counts();
                progress(ParquetEvent::Progress {
                    items: c.items_read + c.items_lost,
                });
            }
            Batch::Attachments(b) => attachments.write(&b)?,
        }
    }
    for lost in reader.take_lost() {
        progress(ParquetEvent::Lost(lost));
    }
    let c = reader.counts();
    summary.folders = c.folders;
    summary.items = c.items_read;
    summary.attachments = c.attachments;
    summary.items_lost = c.items_lost;
    summary.folders_lost = c.folders_lost;
    let done = [messages.close()?, attachments.close()?];
    match stage {
        Some(stage) => stage.publish(out)?,
        None => {
            for (dst, temp) in done {
                if let Some(t) = temp {
                    t.publish(&dst, opts.replace)?;
                }
            }
        }
    }
    summary.files = [MESSAGES_FILE, ATTACHMENTS_FILE]
        .iter()
        .map(|n| out.join(n))
        .collect();
    Ok(summary)
}
