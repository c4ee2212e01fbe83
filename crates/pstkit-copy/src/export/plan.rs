//! The plan of an export: one cheap walk over the folder tree that names
//! every folder's destination and lists its items, and the order the items
//! are read in (front to back through the file).

use std::path::{Path, PathBuf};

use pstkit_ndb::Nid;
use pstkit_store::Store;

use super::{ExportEvent, ExportFormat, ExportSummary};
use crate::fsname::PathClaims;

/// A folder with items, as the first walk found it.
pub(super) struct Planned {
    /// Its path of display names, joined by `/`.
    pub(super) folder: String,
    /// Its items, in contents-table order.
    pub(super) ids: Vec<Nid>,
    /// Where its items go: the folder's directory (EML) or file (mbox).
    pub(super) dest: PathBuf,
}

/// Walks the folder tree once: counts the readable folders, reports the
/// unreadable ones, and names the destination of every folder with items.
/// Holds every item id of the store (4 bytes an item, and 16 more for the
/// order the export reads them in, front to back through the file).
pub(super) fn plan(
    store: &Store<'_>,
    out: &Path,
    format: ExportFormat,
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Vec<Planned> {
    let mut plan = Vec::new();
    let mut claims = PathClaims::default();
    // dirs[i]: the relative path given to the last folder met at depth i + 1.
    // The walk is depth first, so that is the parent of the next folder one
    // level deeper.
    let mut dirs: Vec<PathBuf> = Vec::new();
    // Maildir++ names taken, flattened: `.A.B` must stay unique too.
    let mut maildirs = std::collections::HashSet::new();
    for walked in store.walk() {
        let w = match walked {
            Ok(w) => w,
            Err((nid, path, e)) => {
                summary.folders_failed += 1;
                progress(ExportEvent::FolderFailed {
                    folder: path.join("/"),
                    nid,
                    error: e.into(),
                });
                continue;
            }
        };
        // The root folder is the store's frame, not counted (see census).
        if !w.path.is_empty() {
            summary.folders += 1;
            summary.search_folders += usize::from(w.folder.is_search_folder());
        }
        let depth = w.path.len();
        let rel = match w.path.last() {
            None => PathBuf::new(), // the root folder
            Some(name) => {
                dirs.truncate(depth - 1);
                while dirs.len() < depth - 1 {
                    // Not met before (cannot happen in a depth-first walk):
                    // fall back to the sanitized names.
                    let i = dirs.len();
                    let parent = dirs.last().cloned().unwrap_or_default();
                    dirs.push(parent.join(crate::fsname::sanitize_component(&w.path[i])));
                }
                let parent = dirs.last().cloned().unwrap_or_default();
                let rel = claims.claim(&parent, name);
                dirs.push(rel.clone());
                rel
            }
        };
        let folder = w.path_string();
        let ids = match w.folder.message_ids() {
            Ok(ids) => ids,
            Err(e) => {
                summary.folders_failed += 1;
                progress(ExportEvent::FolderFailed {
                    folder,
                    nid: w.folder.nid(),
                    error: e.into(),
                });
                continue;
            }
        };
        if ids.is_empty() {
            continue;
        }
        let dest = match format {
            ExportFormat::Eml | ExportFormat::Msg => out.join(&rel),
            ExportFormat::Maildir => out.join(maildir_name(&rel, &mut maildirs)).join("cur"),
            ExportFormat::Mbox => {
                let file = if rel.as_os_str().is_empty() {
                    claims.claim(Path::new(""), "_root")
                } else {
                    rel
                };
                let mut name = file.into_os_string();
                name.push(".mbox");
                out.join(name)
            }
        };
        plan.push(Planned { folder, ids, dest });
    }
    plan
}

/// The Maildir++ directory of a folder whose EML directory would be `rel`:
/// `.A.B` for `A/B` (the top folder, `rel` empty, is the maildir itself).
/// A `.` inside a name would read as a level, so it becomes `_`; a name
/// flattened onto one already taken gets `~2`, `~3`, …
fn maildir_name(rel: &Path, taken: &mut std::collections::HashSet<String>) -> String {
    if rel.as_os_str().is_empty() {
        return String::new();
    }
    let base: String = rel
        .components()
        .map(|c| format!(".{}", c.as_os_str().to_string_lossy().replace('.', "_")))
        .collect();
    let mut name = base.clone();
    let mut n = 1;
    while !taken.insert(name.clone()) {
        n += 1;
        name = format!("{base}~{n}");
    }
    name
}

/// Every planned item as (data offset, planned folder, place in it), in
/// the order their data lies in the file.
pub(super) fn file_order(store: &Store<'_>, plan: &[Planned]) -> Vec<(u64, u32, u32)> {
    let ndb = store.ndb();
    let mut order = Vec::with_capacity(plan.iter().map(|p| p.ids.len()).sum());
    for (f, p) in plan.iter().enumerate() {
        for (i, &nid) in p.ids.iter().enumerate() {
            order.push((crate::data_offset(ndb, nid), f as u32, i as u32));
        }
    }
    order.sort_unstable();
    order
}
