//! The ordered worker pool of an export: items handed to worker threads in
//! batches, a bounded number ahead, and their results given back in the
//! order the items were handed over.

use pstkit_ndb::Nid;
use pstkit_store::Store;

use super::eml_out::OpenDirs;
use super::job::{do_job, Done, Job, KEEP_BUFFER};
use super::ExportFormat;
use crate::error::{CopyError, Result};

/// Items queued ahead of the one being consumed, at most, and items handed
/// to a worker at once (fewer hand-overs and wake-ups), by format. An EML
/// worker writes its files itself and sends back only their names; an mbox
/// item comes back whole, so fewer are held.
pub(super) const fn flow(format: ExportFormat) -> (usize, usize) {
    match format {
        ExportFormat::Eml | ExportFormat::Maildir => (256, 32),
        ExportFormat::Mbox | ExportFormat::Msg => (64, 8),
    }
}

/// An item, and the planned folder it belongs to: handed to a worker with
/// its job, and back with the result.
#[derive(Clone, Copy)]
pub(super) struct Item {
    pub(super) nid: Nid,
    pub(super) folder: usize,
}

pub(super) type Batch = Vec<(Item, Job)>;
pub(super) type Results = Vec<(Item, Result<Done>)>;

/// Worker threads that read, render and write items, each through its own
/// view of the store (a store's caches belong to one thread); results come
/// back in the order the items were given.
pub(super) struct Pool {
    /// Items queued ahead, and per hand-over (see [`flow`]).
    pub(super) ahead: usize,
    pub(super) batch: usize,
    pub(super) jobs: Option<std::sync::mpsc::Sender<(u64, Batch)>>,
    pub(super) results: std::sync::mpsc::Receiver<(u64, Results)>,
    /// Items not handed over yet.
    pub(super) pending: Batch,
    /// Batches handed over, and consumed.
    pub(super) next: u64,
    pub(super) consumed: u64,
    pub(super) waiting: std::collections::BTreeMap<u64, Results>,
}

impl Pool {
    /// Queues an item; returns the results now due, in order, once enough
    /// are in flight.
    pub(super) fn push(&mut self, item: Item, job: Job) -> Result<Results> {
        self.pending.push((item, job));
        if self.pending.len() < self.batch {
            return Ok(Vec::new());
        }
        self.send()?;
        let mut due = Vec::new();
        while (self.next - self.consumed) as usize * self.batch > self.ahead {
            due.extend(self.take()?);
        }
        Ok(due)
    }

    fn send(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        let sent = self.jobs.as_ref().map(|j| j.send((self.next, batch)));
        if !matches!(sent, Some(Ok(()))) {
            return Err(CopyError::Internal("an export worker"));
        }
        self.next += 1;
        Ok(())
    }

    /// Every result still owed, in order.
    pub(super) fn drain(&mut self) -> Result<Results> {
        self.send()?;
        let mut due = Vec::new();
        while self.consumed < self.next {
            due.extend(self.take()?);
        }
        Ok(due)
    }

    /// The next batch's results, waiting for them.
    fn take(&mut self) -> Result<Results> {
        loop {
            if let Some(r) = self.waiting.remove(&self.consumed) {
                self.consumed += 1;
                return Ok(r);
            }
            match self.results.recv() {
                Ok((seq, r)) => {
                    self.waiting.insert(seq, r);
                }
                Err(_) => return Err(CopyError::Internal("an export worker")),
            }
        }
    }
}

/// A worker: items in, rendered (and for EML written) items out.
pub(super) fn worker(
    ndb: pstkit_ndb::Ndb<'_>,
    codepage: u32,
    jobs: &std::sync::Mutex<std::sync::mpsc::Receiver<(u64, Batch)>>,
    out: std::sync::mpsc::Sender<(u64, Results)>,
) {
    let store = Store::open(ndb).map(|mut s| {
        s.set_default_codepage(codepage);
        s
    });
    // The one buffer this worker renders files into: memory that stays
    // mapped, instead of fresh pages for the kernel to zero per message.
    let mut buf = Vec::with_capacity(KEEP_BUFFER / 8);
    let mut dirs = OpenDirs::default();
    loop {
        // The lock is held only to take one batch.
        let next = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, batch)) = next else { return };
        let done = batch
            .into_iter()
            .map(|(item, job)| {
                let r = match &store {
                    Ok(store) => do_job(store, item.nid, job, &mut buf, &mut dirs),
                    Err(e) => Err(CopyError::Damaged {
                        folder: String::new(),
                        nid: item.nid,
                        what: format!("source store: {e}"),
                        corruption: e.corruption().cloned().map(Box::new),
                    }),
                };
                (item, r)
            })
            .collect();
        if out.send((seq, done)).is_err() {
            return;
        }
    }
}
