//! The record batch iterators: the one code path from a store to Arrow
//! that the Parquet export, the Python package and Rust users share.

use arrow_array::RecordBatch;
use pstkit_ndb::Nid;
use pstkit_store::Store;

use crate::error::{ColumnarError, Result};
use std::collections::VecDeque;

use crate::rows::{
    read_item, AttachmentColumns, AttachmentRead, AttachmentRow, MessageColumns, MessageRow,
};

/// Items per batch unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 1024;

/// A batch is cut earlier when its rows hold this many bytes of text or
/// attachment data, so that memory stays flat whatever the items hold.
pub const MAX_BATCH_BYTES: usize = 64 << 20;

/// How batches are made.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BatchOptions {
    /// Rows per batch at most (at least 1).
    pub batch_size: usize,
    /// Whether the attachments table carries the attached bytes (`data`).
    pub with_attachment_data: bool,
    /// Threads reading items (default: one per CPU; at most
    /// [`pstkit_copy::MAX_THREADS`]). One where the caller already runs a
    /// reader per CPU, as a Spark task does.
    pub threads: Option<usize>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            batch_size: DEFAULT_BATCH_SIZE,
            with_attachment_data: false,
            threads: None,
        }
    }
}

/// Whether a folder or an item was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LostKind {
    /// A folder, or its list of items, could not be read: its items are
    /// missing.
    Folder,
    /// An item could not be read: its row (and its attachments' rows) is
    /// missing.
    Item,
}

/// Something of the store that is not in the batches, and why: a damaged
/// file still yields every row that reads, and says what it could not.
#[derive(Debug)]
pub struct Lost {
    /// Folder or item.
    pub kind: LostKind,
    /// The folder's path (its parent's, when the folder itself is
    /// unreadable).
    pub folder: String,
    /// The folder's or item's node id.
    pub nid: Nid,
    /// Why.
    pub error: ColumnarError,
}

/// What a batch iterator has found so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Folders below the root whose items were listed.
    pub folders: usize,
    /// Items in those folders' contents tables.
    pub items: usize,
    /// Items turned into rows.
    pub items_read: usize,
    /// Items lost.
    pub items_lost: usize,
    /// Folders lost.
    pub folders_lost: usize,
    /// Attachment rows made.
    pub attachments: usize,
}

/// Reads a store's items in the order their data lies in the file, one at
/// a time, into the columns of both tables: the engine under
/// [`MessageBatches`], [`AttachmentBatches`] and the Parquet export.
pub struct ItemReader<'a> {
    store: Store<'a>,
    source: String,
    /// Folder paths, by planned index.
    folders: Vec<String>,
    /// (data offset, folder, item), in file order; consumed from `next`.
    order: Vec<(u64, u32, Nid)>,
    next: usize,
    read: AttachmentRead,
    /// Whether message rows are made (not for the attachments alone).
    messages_wanted: bool,
    batch_size: usize,
    messages: MessageColumns,
    attachments: AttachmentColumns,
    lost: Vec<Lost>,
    counts: BatchCounts,
    /// The source changed under the reader: reported once, then the end.
    stopped: bool,
    /// The stores of the threads that read items beside this one.
    helpers: Vec<Store<'a>>,
    /// Items read ahead, in file order, not yet appended.
    ready: VecDeque<(u32, Nid, Result<ItemRows>)>,
}

/// An item's row and its attachments' rows.
type ItemRows = (MessageRow, Vec<AttachmentRow>);

/// Reads the items of `part` with `store` (see [`read_item`]).
fn read_items(
    store: &Store<'_>,
    part: &[(u64, u32, Nid)],
    read: AttachmentRead,
    messages: bool,
) -> Vec<Result<ItemRows>> {
    part.iter()
        .map(|&(_, _, nid)| {
            store
                .message(nid)
                .map_err(ColumnarError::from)
                .and_then(|m| read_item(&m, read, messages))
        })
        .collect()
}

/// Items each thread reads ahead at a time: enough to pay for starting the
/// threads, few enough that memory holds only a few items per thread.
const READ_AHEAD: usize = 16;

impl std::fmt::Debug for ItemReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemReader")
            .field("source", &self.source)
            .field("next", &self.next)
            .field("items", &self.order.len())
            .finish_non_exhaustive()
    }
}

impl<'a> ItemReader<'a> {
    /// Lists `store`'s folders and items (one cheap walk; 16 bytes an
    /// item) and gets ready to read them. `source` fills the `source`
    /// column: the path of the file, say, so that tables of many files can
    /// be joined.
    fn new(
        store: Store<'a>,
        source: &str,
        opts: &BatchOptions,
        read: AttachmentRead,
        messages_wanted: bool,
    ) -> Self {
        let mut folders = Vec::new();
        let mut order = Vec::new();
        let mut lost = Vec::new();
        let mut counts = BatchCounts::default();
        let ndb = store.ndb();
        for walked in store.walk() {
            let w = match walked {
                Ok(w) => w,
                Err((nid, path, e)) => {
                    counts.folders_lost += 1;
                    lost.push(Lost {
                        kind: LostKind::Folder,
                        folder: path.join("/"),
                        nid,
                        error: e.into(),
                    });
                    continue;
                }
            };
            let folder = w.path_string();
            let ids = match w.folder.message_ids() {
                Ok(ids) => ids,
                Err(e) => {
                    counts.folders_lost += 1;
                    lost.push(Lost {
                        kind: LostKind::Folder,
                        folder,
                        nid: w.folder.nid(),
                        error: e.into(),
                    });
                    continue;
                }
            };
            counts.folders += usize::from(!w.path.is_empty());
            if ids.is_empty() {
                continue;
            }
            let f = folders.len() as u32;
            folders.push(folder);
            for nid in ids {
                order.push((pstkit_copy::data_offset(ndb, nid), f, nid));
            }
        }
        order.sort_unstable();
        counts.items = order.len();
        let threads = opts
            .threads
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(usize::from)
                    .unwrap_or(1)
            })
            .clamp(1, pstkit_copy::MAX_THREADS);
        // The store opened once more per thread: it opened once, so it
        // opens again; should it not, fewer threads read.
        let helpers = if order.len() > READ_AHEAD {
            (1..threads)
                .map_while(|_| {
                    let mut s = Store::open(ndb).ok()?;
                    s.set_default_codepage(store.default_codepage());
                    Some(s)
                })
                .collect()
        } else {
            Vec::new()
        };
        ItemReader {
            store,
            source: source.to_string(),
            folders,
            order,
            next: 0,
            read,
            messages_wanted,
            batch_size: opts.batch_size.max(1),
            messages: MessageColumns::new(),
            attachments: AttachmentColumns::new(opts.with_attachment_data),
            lost,
            counts,
            stopped: false,
            helpers,
            ready: VecDeque::new(),
        }
    }

    /// The store read.
    pub fn store(&self) -> &Store<'a> {
        &self.store
    }

    /// What was found so far.
    pub fn counts(&self) -> &BatchCounts {
        &self.counts
    }

    /// Folders and items lost since the last call (folders are known from
    /// the start, items as they are met).
    pub fn take_lost(&mut self) -> Vec<Lost> {
        std::mem::take(&mut self.lost)
    }

    /// Reads the next item into the columns; `Ok(false)` at the end. The
    /// error is the source's having changed under the reader, after which
    /// nothing read can be trusted.
    fn step(&mut self) -> Result<bool> {
        if self.stopped {
            return Ok(false);
        }
        if self.ready.is_empty() {
            if self.next == self.order.len() {
                return self.unchanged().map(|()| false);
            }
            self.read_ahead();
        }
        let Some((f, nid, read)) = self.ready.pop_front() else {
            return Ok(false);
        };
        let folder = &self.folders[f as usize];
        match read {
            Ok((row, attachments)) => {
                self.counts.items_read += 1;
                self.counts.attachments += attachments.len();
                let nid = row.nid;
                if self.messages_wanted {
                    self.messages.append(&self.source, folder, row);
                }
                for a in attachments {
                    self.attachments.append(&self.source, nid, a);
                }
            }
            Err(error) => {
                self.counts.items_lost += 1;
                self.lost.push(Lost {
                    kind: LostKind::Item,
                    folder: folder.clone(),
                    nid,
                    error,
                });
            }
        }
        Ok(true)
    }

    /// Reads the next few items (`READ_AHEAD` per thread) on the reader's
    /// threads, each thread a run of neighbours in the file, into `ready`
    /// in file order. Each thread has a store of its own (a store caches
    /// what it reads, and is not shared between threads).
    fn read_ahead(&mut self) {
        let threads = 1 + self.helpers.len();
        let end = (self.next + READ_AHEAD * threads).min(self.order.len());
        let chunk = &self.order[self.next..end];
        let (read, messages) = (self.read, self.messages_wanted);
        let per = chunk.len().div_ceil(threads).max(1);
        let mut parts = chunk.chunks(per);
        let first = parts.next().unwrap_or_default();
        let results: Vec<Result<ItemRows>> = if self.helpers.is_empty() || chunk.len() <= per {
            read_items(&self.store, first, read, messages)
        } else {
            let store = &self.store;
            std::thread::scope(|s| {
                let others: Vec<_> = self
                    .helpers
                    .iter_mut()
                    .zip(parts)
                    .map(|(helper, part)| s.spawn(move || read_items(helper, part, read, messages)))
                    .collect();
                let mut all = read_items(store, first, read, messages);
                for h in others {
                    all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
                }
                all
            })
        };
        self.ready.extend(
            chunk
                .iter()
                .zip(results)
                .map(|(&(_, f, nid), r)| (f, nid, r)),
        );
        self.next = end;
    }

    /// An error when the source changed under the reader (it was truncated
    /// or rewritten): then the rows read may hold zeros, not the file.
    fn unchanged(&mut self) -> Result<()> {
        match self.store.ndb().source_changed() {
            Some(e) => {
                self.stopped = true;
                Err(e.into())
            }
            None => Ok(()),
        }
    }

    fn messages_full(&self) -> bool {
        self.messages.rows >= self.batch_size || self.messages.weight >= MAX_BATCH_BYTES
    }

    fn attachments_full(&self) -> bool {
        self.attachments.rows >= self.batch_size || self.attachments.weight >= MAX_BATCH_BYTES
    }

    /// The next batch of either table, as the items come: for writing both
    /// tables in one pass over the file. At the end, the last partial
    /// batches of both.
    pub fn next_batch(&mut self) -> Option<Result<Batch>> {
        loop {
            if self.messages_full() {
                return Some(self.finish_messages().map(Batch::Messages));
            }
            if self.attachments_full() {
                return Some(self.finish_attachments().map(Batch::Attachments));
            }
            match self.step() {
                Ok(true) => {}
                Ok(false) => {
                    if self.messages.rows > 0 {
                        return Some(self.finish_messages().map(Batch::Messages));
                    }
                    if self.attachments.rows > 0 {
                        return Some(self.finish_attachments().map(Batch::Attachments));
                    }
                    return None;
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    fn finish_messages(&mut self) -> Result<RecordBatch> {
        self.unchanged()?;
        self.messages.finish()
    }

    fn finish_attachments(&mut self) -> Result<RecordBatch> {
        self.unchanged()?;
        self.attachments.finish()
    }
}

/// A batch of one of the two tables.
#[derive(Debug)]
pub enum Batch {
    /// Rows of the messages table.
    Messages(RecordBatch),
    /// Rows of the attachments table.
    Attachments(RecordBatch),
}

/// Reads `store` for both tables at once (see [`ItemReader::next_batch`]).
pub fn item_reader<'a>(store: Store<'a>, source: &str, opts: &BatchOptions) -> ItemReader<'a> {
    ItemReader::new(store, source, opts, attachment_rows(opts), true)
}

/// The attachment rows `opts` asks for: with their bytes or without.
fn attachment_rows(opts: &BatchOptions) -> AttachmentRead {
    if opts.with_attachment_data {
        AttachmentRead::WithData
    } else {
        AttachmentRead::Rows
    }
}

/// The messages table of a store, a batch of at most
/// [`BatchOptions::batch_size`] items at a time, in the order the items'
/// data lies in the file. Every item of every folder is a row, contacts,
/// appointments and tasks too; items that do not read are left out and
/// listed by [`MessageBatches::take_lost`]. The error item is the source's
/// changing under the reader, after which the iterator ends.
#[derive(Debug)]
pub struct MessageBatches<'a>(ItemReader<'a>);

impl<'a> MessageBatches<'a> {
    /// Batches of `store`'s items; `source` fills the `source` column.
    pub fn new(store: Store<'a>, source: &str, opts: &BatchOptions) -> Self {
        MessageBatches(ItemReader::new(
            store,
            source,
            opts,
            AttachmentRead::Count,
            true,
        ))
    }

    /// The schema every batch has.
    pub fn schema(&self) -> arrow_schema::SchemaRef {
        crate::schema::messages_schema()
    }

    /// The reader underneath: the store, counts and lost items.
    pub fn reader(&mut self) -> &mut ItemReader<'a> {
        &mut self.0
    }

    /// Folders and items lost since the last call.
    pub fn take_lost(&mut self) -> Vec<Lost> {
        self.0.take_lost()
    }
}

impl Iterator for MessageBatches<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.0.messages_full() {
                return Some(self.0.finish_messages());
            }
            match self.0.step() {
                Ok(true) => {}
                Ok(false) if self.0.messages.rows > 0 => return Some(self.0.finish_messages()),
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The attachments table of a store, a batch of at most
/// [`BatchOptions::batch_size`] attachments at a time (fewer when their
/// data reaches [`MAX_BATCH_BYTES`]). Only what the attachments need is
/// read of each item (not its bodies): an item whose attachments do not
/// read gives no rows and is listed by [`AttachmentBatches::take_lost`].
#[derive(Debug)]
pub struct AttachmentBatches<'a>(ItemReader<'a>, Option<RecordBatch>);

impl<'a> AttachmentBatches<'a> {
    /// Batches of the attachments of `store`'s items; `source` fills the
    /// `source` column.
    pub fn new(store: Store<'a>, source: &str, opts: &BatchOptions) -> Self {
        // The message rows are not made: an item is read for its
        // attachments alone.
        let read = attachment_rows(opts);
        AttachmentBatches(ItemReader::new(store, source, opts, read, false), None)
    }

    /// The schema every batch has.
    pub fn schema(&self) -> arrow_schema::SchemaRef {
        crate::schema::attachments_schema(self.0.attachments.has_data())
    }

    /// The reader underneath: the store, counts and lost items.
    pub fn reader(&mut self) -> &mut ItemReader<'a> {
        &mut self.0
    }

    /// Folders and items lost since the last call.
    pub fn take_lost(&mut self) -> Vec<Lost> {
        self.0.take_lost()
    }
}

impl AttachmentBatches<'_> {
    /// At most a batch's rows of `b`, keeping the rest for the next call
    /// (an item's attachments arrive together and may overfill a batch).
    fn cut(&mut self, b: RecordBatch) -> RecordBatch {
        let n = self.0.batch_size;
        if b.num_rows() > n {
            self.1 = Some(b.slice(n, b.num_rows() - n));
            b.slice(0, n)
        } else {
            b
        }
    }
}

impl Iterator for AttachmentBatches<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(rest) = self.1.take() {
            return Some(Ok(self.cut(rest)));
        }
        loop {
            let done = if self.0.attachments_full() {
                self.0.finish_attachments()
            } else {
                match self.0.step() {
                    Ok(true) => continue,
                    Ok(false) if self.0.attachments.rows > 0 => self.0.finish_attachments(),
                    Ok(false) => return None,
                    Err(e) => Err(e),
                }
            };
            return Some(done.map(|b| self.cut(b)));
        }
    }
}

/// A batch iterator as Arrow's [`RecordBatchReader`](arrow_array::RecordBatchReader): what
/// the Arrow C stream interface (`FFI_ArrowArrayStream`) takes to hand batches to pyarrow,
/// DuckDB or Spark without copying. Errors become
/// [`ArrowError::ExternalError`](arrow_schema::ArrowError::ExternalError) holding the
/// [`ColumnarError`].
#[derive(Debug)]
pub struct ArrowReader<I> {
    inner: I,
    schema: arrow_schema::SchemaRef,
}

impl<I> ArrowReader<I> {
    /// The batch iterator, for its lost items ([`MessageBatches::take_lost`]).
    pub fn inner_mut(&mut self) -> &mut I {
        &mut self.inner
    }
}

impl<I: Iterator<Item = Result<RecordBatch>>> Iterator for ArrowReader<I> {
    type Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(
            self.inner
                .next()?
                .map_err(|e| arrow_schema::ArrowError::ExternalError(Box::new(e))),
        )
    }
}

impl<I: Iterator<Item = Result<RecordBatch>>> arrow_array::RecordBatchReader for ArrowReader<I> {
    fn schema(&self) -> arrow_schema::SchemaRef {
        self.schema.clone()
    }
}

impl<'a> MessageBatches<'a> {
    /// These batches as an Arrow [`RecordBatchReader`](arrow_array::RecordBatchReader).
    pub fn into_reader(self) -> ArrowReader<Self> {
        ArrowReader {
            schema: self.schema(),
            inner: self,
        }
    }
}

impl<'a> AttachmentBatches<'a> {
    /// These batches as an Arrow [`RecordBatchReader`](arrow_array::RecordBatchReader).
    pub fn into_reader(self) -> ArrowReader<Self> {
        ArrowReader {
            schema: self.schema(),
            inner: self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The readers go to other threads: a Python stream or a Spark task
    /// pulls batches from wherever it runs.
    #[test]
    fn readers_and_their_errors_can_move_between_threads() {
        fn send<T: Send>() {}
        fn send_sync<T: Send + Sync>() {}
        send::<MessageBatches<'static>>();
        send::<AttachmentBatches<'static>>();
        send::<ItemReader<'static>>();
        send_sync::<ColumnarError>();
    }
}
