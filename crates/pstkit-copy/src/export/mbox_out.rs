//! The mbox output of an export: an mbox file per folder, appended to in
//! file order, with the least recently written files closed when too many
//! are open.

use std::fs;
use std::path::Path;

use pstkit_ndb::Nid;
use pstkit_output::Replace;
use pstkit_store::Store;

use super::job::{Done, Job};
use super::plan::Planned;
use super::pool::Pool;
use super::{in_file_order, item_failed, ExportEvent, ExportSummary, Outputs};
use crate::error::{io_err, Result};
use crate::mbox::MboxWriter;

/// mbox files an export keeps open at once: the least recently written is
/// closed (suspended) when another is needed.
const OPEN_MBOX: usize = 64;

/// The mbox export: like the EML one, every folder's items in the order
/// their data lies in the file, each appended to its folder's mbox. Every
/// mbox is renamed into place when the export ends.
pub(super) fn export_mbox(
    store: &Store<'_>,
    root: &Path,
    plan: &[Planned],
    replace: Replace,
    pool: &mut Pool,
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let mut out = Mboxes {
        plan,
        replace,
        writers: (0..plan.len()).map(|_| None).collect(),
        open: std::collections::VecDeque::new(),
    };
    // On failure the writers are dropped, and with them their temporary files.
    in_file_order(
        store,
        plan,
        pool,
        // Entries waiting in files of their own wait in the output's top
        // directory: a folder's directory is made with its mbox, later.
        &|_, _| Job::Mail {
            beside: root.join("entry").into(),
        },
        &mut out,
        summary,
        progress,
    )?;
    for w in out.writers.into_iter().flatten() {
        if w.count() > 0 {
            summary.folders_exported += 1;
        }
        w.finish()?;
        summary.files_written += 1;
    }
    Ok(())
}

/// The mbox files of an export.
struct Mboxes<'p> {
    plan: &'p [Planned],
    replace: Replace,
    /// Per planned folder, once its first item has come.
    writers: Vec<Option<MboxWriter>>,
    /// Planned folders whose file is open, least recently written first.
    open: std::collections::VecDeque<usize>,
}

impl Outputs for Mboxes<'_> {
    fn item(
        &mut self,
        f: usize,
        nid: Nid,
        r: Result<Done>,
        summary: &mut ExportSummary,
        progress: &mut dyn FnMut(ExportEvent),
    ) -> Result<()> {
        match r {
            Ok(Done::Mail(sender, secs, eml)) => {
                self.writer(f)?.append(sender.as_deref(), secs, &eml)?;
                self.appended(f, nid, summary, progress);
            }
            Ok(Done::MailFile(sender, secs, tmp)) => {
                self.writer(f)?
                    .append_escaped(sender.as_deref(), secs, tmp.file(), tmp.path())?;
                self.appended(f, nid, summary, progress);
            }
            Ok(Done::File(_) | Done::Msg(..) | Done::MsgFile(..)) => {}
            Err(error) => item_failed(summary, progress, &self.plan[f].folder, nid, error),
        }
        Ok(())
    }
}

impl Mboxes<'_> {
    /// Counts and reports item `nid` appended to folder `f`'s mbox.
    fn appended(
        &self,
        f: usize,
        nid: Nid,
        summary: &mut ExportSummary,
        progress: &mut dyn FnMut(ExportEvent),
    ) {
        summary.items_exported += 1;
        progress(ExportEvent::ItemExported {
            folder: self.plan[f].folder.clone(),
            nid,
            file: self.plan[f].dest.clone(),
        });
    }

    /// The writer of planned folder `f`, its file open.
    fn writer(&mut self, f: usize) -> Result<&mut MboxWriter> {
        match self.open.iter().position(|&o| o == f) {
            Some(at) => {
                self.open.remove(at);
            }
            None if self.open.len() == OPEN_MBOX => {
                if let Some(old) = self.open.pop_front() {
                    if let Some(w) = self.writers[old].as_mut() {
                        w.suspend()?;
                    }
                }
            }
            None => {}
        }
        self.open.push_back(f);
        if self.writers[f].is_none() {
            let path = &self.plan[f].dest;
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
            }
            self.writers[f] = Some(MboxWriter::create(path, self.replace)?);
        }
        Ok(self.writers[f].as_mut().expect("created above"))
    }
}
