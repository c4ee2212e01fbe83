//! The `.msg` output of an export: the EML export's directories and
//! stages, each item a file named after its subject. Workers render the
//! files; names are given here, one item at a time in file order, so that
//! they are unique in their folder and the same on every run.

use std::collections::HashSet;
use std::path::Path;

use pstkit_ndb::Nid;
use pstkit_output::Replace;
use pstkit_store::Store;

use super::eml_out::{write_atomic, OpenDirs, Stage};
use super::job::{Done, Job};
use super::plan::Planned;
use super::pool::Pool;
use super::{in_file_order, item_failed, ExportEvent, ExportSummary, Outputs};
use crate::error::{io_err, Result};
use crate::fsname::sanitize_component;

/// Exports every folder's items as `.msg` files (see
/// [`super::ExportFormat::Msg`]).
pub(super) fn export_msg(
    store: &Store<'_>,
    out: &Path,
    plan: &[Planned],
    pool: &mut Pool,
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let stage = Stage::prepare(out, plan)?;
    let mut files = MsgFiles {
        plan,
        stage: &stage,
        taken: vec![HashSet::new(); plan.len()],
        written: vec![0; plan.len()],
        dirs: OpenDirs::default(),
    };
    let filled = in_file_order(
        store,
        plan,
        pool,
        &|f, _| Job::Msg {
            dir: stage.dirs[f].clone(),
        },
        &mut files,
        summary,
        progress,
    );
    let written = std::mem::take(&mut files.written);
    drop(files);
    summary.folders_exported += written.iter().filter(|&&n| n > 0).count();
    stage.finish(filled, &written)
}

/// The `.msg` files of an export, per planned folder.
struct MsgFiles<'p> {
    plan: &'p [Planned],
    stage: &'p Stage,
    /// Names given in each folder, lower-cased (file systems that ignore
    /// case would see two as one).
    taken: Vec<HashSet<String>>,
    written: Vec<usize>,
    dirs: OpenDirs,
}

/// The file name for an item with `subject` in a folder where `taken`
/// names are given: the subject made safe, ` (2)`, ` (3)`, … when taken.
fn claim(taken: &mut HashSet<String>, subject: Option<&str>) -> String {
    let base = sanitize_component(
        subject
            .filter(|s| !s.trim().is_empty())
            .unwrap_or("(no subject)"),
    );
    let mut name = format!("{base}.msg");
    let mut n = 1;
    while !taken.insert(name.to_lowercase()) {
        n += 1;
        name = format!("{base} ({n}).msg");
    }
    name
}

impl Outputs for MsgFiles<'_> {
    fn item(
        &mut self,
        f: usize,
        nid: Nid,
        r: Result<Done>,
        summary: &mut ExportSummary,
        progress: &mut dyn FnMut(ExportEvent),
    ) -> Result<()> {
        let p = &self.plan[f];
        match r {
            Ok(Done::Msg(subject, bytes)) => {
                let name = claim(&mut self.taken[f], subject.as_deref());
                let dir = &self.stage.dirs[f];
                if self.stage.root_of[f].is_none() {
                    write_atomic(&dir.join(&name), &bytes)?;
                } else {
                    self.dirs
                        .write(dir, &name, &bytes)
                        .map_err(|e| io_err(&dir.join(&name), e))?;
                }
                self.exported(f, nid, &name, summary, progress);
            }
            Ok(Done::MsgFile(subject, tmp)) => {
                let name = claim(&mut self.taken[f], subject.as_deref());
                tmp.publish(&self.stage.dirs[f].join(&name), Replace::RegularFile)?;
                self.exported(f, nid, &name, summary, progress);
            }
            Ok(Done::File(_) | Done::Mail(..) | Done::MailFile(..)) => {}
            Err(e) if e.is_output() => return Err(e),
            Err(error) => item_failed(summary, progress, &p.folder, nid, error),
        }
        Ok(())
    }
}

impl MsgFiles<'_> {
    /// Counts and reports item `nid` written as `name` in folder `f`.
    fn exported(
        &mut self,
        f: usize,
        nid: Nid,
        name: &str,
        summary: &mut ExportSummary,
        progress: &mut dyn FnMut(ExportEvent),
    ) {
        summary.items_exported += 1;
        summary.files_written += 1;
        self.written[f] += 1;
        progress(ExportEvent::ItemExported {
            folder: self.plan[f].folder.clone(),
            nid,
            file: self.plan[f].dest.join(name),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_subjects_and_stay_unique() {
        let mut taken = HashSet::new();
        assert_eq!(claim(&mut taken, Some("Re: plan?")), "Re_ plan_.msg");
        assert_eq!(claim(&mut taken, Some("RE: plan?")), "RE_ plan_ (2).msg");
        assert_eq!(claim(&mut taken, Some("Re: plan?")), "Re_ plan_ (3).msg");
        assert_eq!(claim(&mut taken, None), "(no subject).msg");
        assert_eq!(claim(&mut taken, Some("  ")), "(no subject) (2).msg");
        // A subject that looks like a numbered name does not take one given later.
        assert_eq!(claim(&mut taken, Some("x (2)")), "x (2).msg");
        assert_eq!(claim(&mut taken, Some("x")), "x.msg");
        assert_eq!(claim(&mut taken, Some("x")), "x (3).msg");
        assert_eq!(
            claim(&mut taken, Some("../etc/passwd")),
            "_._etc_passwd.msg"
        );
    }
}
