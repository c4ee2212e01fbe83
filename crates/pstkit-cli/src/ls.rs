//! `pstkit ls`: the folder tree with item counts, or JSON Lines of folders and items.

use std::io::Write;
use std::path::Path;

use pstkit::store::Store;
use pstkit::{Message, Pst};
use serde_json::json;

use crate::EXIT_DAMAGED;

/// One item's listing fields.
pub fn item_json(folder: &str, m: &Message<'_>) -> serde_json::Value {
    let attachments = m.attachment_ids().map(|a| a.len()).unwrap_or(0);
    json!({
        "type": "item",
        "folder": folder,
        "id": m.nid().0,
        "class": m.class(),
        "kind": m.kind().name(),
        "subject": m.subject(),
        "from": m.sender_name(),
        "from_email": m.sender_email(),
        "date": m.date().map(|t| t.to_iso8601()),
        "attachments": attachments,
        "size": m.size(),
    })
}

/// Lists every folder (and, with `json`, every item). Broken folders and
/// messages are reported on stderr and skipped; the exit status says so.
pub fn run(path: &Path, as_json: bool) -> anyhow::Result<u8> {
    let pst = Pst::open(path)?;
    let r = list(&pst, as_json);
    crate::unless_changed(pst.ndb(), r)
}

fn list(pst: &Pst, as_json: bool) -> anyhow::Result<u8> {
    let store = pst.store()?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut damaged = 0usize;
    // Names come from the file: on a terminal, control characters in them
    // could move the cursor or retitle the window.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    for walked in store.walk() {
        let w = match walked {
            Ok(w) => w,
            Err((nid, p, e)) => {
                damaged += 1;
                eprintln!("pstkit: folder {nid} under {:?}: {e}", p.join("/"));
                continue;
            }
        };
        if w.path.is_empty() {
            continue; // the root folder itself has no name and holds no mail
        }
        let path = w.path_string();
        let ids = w.folder.message_ids().unwrap_or_else(|e| {
            damaged += 1;
            eprintln!("pstkit: contents of {path:?}: {e}");
            Vec::new()
        });
        let assoc = w.folder.associated_ids().map(|a| a.len()).unwrap_or(0);
        let subfolders = w.folder.subfolder_ids().map(|s| s.len()).unwrap_or(0);
        if as_json {
            let v = json!({
                "type": "folder",
                "path": path,
                "id": w.folder.nid().0,
                "items": ids.len(),
                "associated": assoc,
                "subfolders": subfolders,
                "class": w.folder.container_class(),
            });
            writeln!(out, "{v}")?;
            damaged += list_items(&store, &path, &ids, &mut out)?;
        } else {
            let depth = w.path.len() - 1;
            let name = w.path.last().map(String::as_str).unwrap_or("");
            writeln!(
                out,
                "{:indent$}{} ({} item{}{})",
                "",
                if terminal {
                    escape_controls(name)
                } else {
                    name.into()
                },
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                if assoc > 0 {
                    format!(", {assoc} associated")
                } else {
                    String::new()
                },
                indent = depth * 2
            )?;
        }
    }
    out.flush()?;
    Ok(if damaged == 0 { 0 } else { EXIT_DAMAGED })
}

fn list_items(
    store: &Store<'_>,
    folder: &str,
    ids: &[pstkit::ndb::Nid],
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let mut damaged = 0;
    for &nid in ids {
        match store.message(nid) {
            Ok(m) => writeln!(out, "{}", item_json(folder, &m))?,
            Err(e) => {
                damaged += 1;
                eprintln!("pstkit: item {nid} in {folder:?}: {e}");
            }
        }
    }
    Ok(damaged)
}

/// `name` with control characters written as escapes (`\x1b`, `\r`, …), so
/// that printing it cannot act on a terminal.
pub fn escape_controls(name: &str) -> std::borrow::Cow<'_, str> {
    if !name.chars().any(char::is_control) {
        return name.into();
    }
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::escape_controls("Inbox"), "Inbox");
        assert_eq!(
            super::escape_controls("a\u{1b}[2Jb\r\n"),
            "a\\u{1b}[2Jb\\r\\n"
        );
    }
}
