//! Exporting a whole store to a tree of files, folder by folder.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use pstkit_ndb::Nid;
use pstkit_store::{ItemKind, Message, Store};

use crate::eml::{message_to_eml, message_to_eml_with, ExtraPart};
use crate::error::{io_err, CopyError, Result};
use crate::fsname::PathClaims;
use crate::ical::appointment_to_ics;
use crate::mbox::MboxWriter;
use crate::time::unix;
use crate::vcard::contact_to_vcard;

/// What to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// A directory per folder holding `1.eml`, `2.eml`, … (contacts as
    /// `N.vcf`, appointments and meetings as `N.ics`), numbered by the
    /// item's position in the folder's contents table.
    Eml,
    /// One mboxrd file per folder, `<folder path>.mbox`. Contacts and
    /// appointments go in as mail with their vCard or iCalendar attached, so
    /// that the mbox holds every item and nothing of them is lost.
    Mbox,
}

/// What an export reports as it goes, for progress displays and logs.
#[derive(Debug)]
pub enum ExportEvent {
    /// The first, cheap pass counted the folders and items to come.
    Counted {
        /// Folders that could be read.
        folders: usize,
        /// Items in their contents tables.
        items: usize,
    },
    /// A folder with items is being exported.
    FolderStarted {
        /// Its path of display names, joined by `/`.
        folder: String,
        /// Its item count.
        items: usize,
    },
    /// An item was written.
    ItemExported {
        /// Its folder's path.
        folder: String,
        /// The item's node id.
        nid: Nid,
        /// The file it went into.
        file: PathBuf,
    },
    /// An item could not be read or rendered; it was skipped.
    ItemFailed {
        /// Its folder's path.
        folder: String,
        /// The item's node id.
        nid: Nid,
        /// Why.
        error: CopyError,
    },
    /// A folder, or its list of items, could not be read; it was skipped.
    FolderFailed {
        /// The folder's path (of its parent when the folder itself is unreadable).
        folder: String,
        /// The folder's node id.
        nid: Nid,
        /// Why.
        error: CopyError,
    },
}

/// What an export did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Folders read (with or without items).
    pub folders: usize,
    /// Folders from which at least one item was written.
    pub folders_exported: usize,
    /// Folders that could not be read.
    pub folders_failed: usize,
    /// Items written.
    pub items_exported: usize,
    /// Items skipped as unreadable.
    pub items_failed: usize,
    /// Files written.
    pub files_written: usize,
}

impl ExportSummary {
    /// Whether everything in the store was exported.
    pub fn is_complete(&self) -> bool {
        self.items_failed == 0 && self.folders_failed == 0
    }
}

/// Exports every folder of `store` into directory `out` (created if
/// needed), one message in memory at a time, each file written under a
/// temporary name and renamed when complete. Unreadable items and folders
/// are reported through `progress` and skipped; the error return is kept
/// for what stops the whole export (the output cannot be written).
pub fn export(
    store: &Store<'_>,
    out: &Path,
    format: ExportFormat,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<ExportSummary> {
    fs::create_dir_all(out).map_err(|e| io_err(out, e))?;

    let (mut folders, mut items) = (0, 0);
    for w in store.walk().flatten() {
        folders += 1;
        items += w.folder.message_ids().map(|ids| ids.len()).unwrap_or(0);
    }
    progress(ExportEvent::Counted { folders, items });

    let mut summary = ExportSummary::default();
    let mut claims = PathClaims::default();
    // dirs[i]: the relative path given to the last folder met at depth i + 1.
    // The walk is depth first, so that is the parent of the next folder one
    // level deeper.
    let mut dirs: Vec<PathBuf> = Vec::new();
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
        summary.folders += 1;
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
        progress(ExportEvent::FolderStarted {
            folder: folder.clone(),
            items: ids.len(),
        });
        let before = summary.items_exported;
        match format {
            ExportFormat::Eml => export_eml_folder(
                store,
                &out.join(&rel),
                &folder,
                &ids,
                &mut summary,
                progress,
            )?,
            ExportFormat::Mbox => {
                let file = if rel.as_os_str().is_empty() {
                    claims.claim(Path::new(""), "_root")
                } else {
                    rel
                };
                let mut name = file.into_os_string();
                name.push(".mbox");
                let path = out.join(name);
                export_mbox_folder(store, &path, &folder, &ids, &mut summary, progress)?
            }
        }
        if summary.items_exported > before {
            summary.folders_exported += 1;
        }
    }
    Ok(summary)
}

fn export_eml_folder(
    store: &Store<'_>,
    dir: &Path,
    folder: &str,
    ids: &[Nid],
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let mut made = false;
    for (i, &nid) in ids.iter().enumerate() {
        let rendered = store
            .message(nid)
            .map_err(CopyError::from)
            .and_then(|m| render_file(&m, store));
        match rendered {
            Ok((ext, bytes)) => {
                if !made {
                    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
                    made = true;
                }
                let file = dir.join(format!("{}.{ext}", i + 1));
                write_atomic(&file, &bytes)?;
                summary.items_exported += 1;
                summary.files_written += 1;
                progress(ExportEvent::ItemExported {
                    folder: folder.to_string(),
                    nid,
                    file,
                });
            }
            Err(error) => {
                summary.items_failed += 1;
                progress(ExportEvent::ItemFailed {
                    folder: folder.to_string(),
                    nid,
                    error,
                });
            }
        }
    }
    Ok(())
}

/// The file for one item in EML mode: its extension and bytes.
fn render_file(m: &Message<'_>, store: &Store<'_>) -> Result<(&'static str, Vec<u8>)> {
    Ok(match m.kind() {
        ItemKind::Contact => ("vcf", contact_to_vcard(m, store)),
        ItemKind::Appointment | ItemKind::Meeting => ("ics", appointment_to_ics(m, store)?),
        _ => ("eml", message_to_eml(m, store)?),
    })
}

/// One item as mail for an mbox: its sender address, time and message.
fn render_mail(
    m: &Message<'_>,
    store: &Store<'_>,
) -> Result<(Option<String>, Option<i64>, Vec<u8>)> {
    let extra = match m.kind() {
        ItemKind::Contact => vec![ExtraPart {
            name: "contact.vcf",
            mime: "text/vcard",
            text: String::from_utf8_lossy(&contact_to_vcard(m, store)).into_owned(),
        }],
        ItemKind::Appointment | ItemKind::Meeting => vec![ExtraPart {
            name: "event.ics",
            mime: "text/calendar",
            text: String::from_utf8_lossy(&appointment_to_ics(m, store)?).into_owned(),
        }],
        _ => Vec::new(),
    };
    let eml = message_to_eml_with(m, store, extra)?;
    let sender = m.sender_email().filter(|e| e.contains('@'));
    Ok((sender, m.date().map(unix), eml))
}

fn export_mbox_folder(
    store: &Store<'_>,
    path: &Path,
    folder: &str,
    ids: &[Nid],
    summary: &mut ExportSummary,
    progress: &mut dyn FnMut(ExportEvent),
) -> Result<()> {
    let mut writer: Option<MboxWriter> = None;
    for &nid in ids {
        let rendered = store
            .message(nid)
            .map_err(CopyError::from)
            .and_then(|m| render_mail(&m, store));
        match rendered {
            Ok((sender, secs, eml)) => {
                let w = match writer.as_mut() {
                    Some(w) => w,
                    None => {
                        if let Some(parent) = path.parent() {
                            fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
                        }
                        writer.insert(MboxWriter::create(path)?)
                    }
                };
                w.append(sender.as_deref(), secs, &eml)?;
                summary.items_exported += 1;
                progress(ExportEvent::ItemExported {
                    folder: folder.to_string(),
                    nid,
                    file: path.to_path_buf(),
                });
            }
            Err(error) => {
                summary.items_failed += 1;
                progress(ExportEvent::ItemFailed {
                    folder: folder.to_string(),
                    nid,
                    error,
                });
            }
        }
    }
    if let Some(w) = writer {
        w.finish()?;
        summary.files_written += 1;
    }
    Ok(())
}

/// The temporary name a file is written under: hidden, beside it.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.part"))
}

/// Writes `bytes` to a temporary file and renames it to `path`, so that
/// `path` is either absent or complete.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    let written = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("1.eml");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(temp_path(&p), dir.path().join(".1.eml.part"));
        // A failed write leaves nothing.
        let bad = dir.path().join("missing-dir").join("2.eml");
        assert!(write_atomic(&bad, b"x").is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
