//! A folder's contents rows, from its items until its tables are written:
//! encoded back to back, in memory up to [`ROW_BUDGET`](super::ROW_BUDGET),
//! then in the row spill file beside the output.

use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;

use pstkit_ltp::write::TcBuilder;
use pstkit_ltp::{PropTag, PropType, PropValue, PropertyContext};
use pstkit_ndb::Nid;
use pstkit_output::TempFile;

use super::{io, templates, PstWriter};
use crate::error::{Result, StoreError};
use crate::{pid, state};

/// Rows added to a table between two flushes of its builder: about 4 MiB
/// of rows and heap at the sizes of a contents-table row.
pub(super) const FLUSH_ROWS: usize = 8192;

/// A folder's table rows, kept encoded back to back until the folder's
/// tables are written: the newest in memory, earlier ones in the row spill
/// file.
#[derive(Default)]
pub(super) struct RowBuf {
    pub(super) data: Vec<u8>,
    pub(super) count: usize,
    /// (offset, length) of earlier rows in the row spill file, whole rows.
    pub(super) spilled: Vec<(u64, u64)>,
}

impl RowBuf {
    /// Appends a row: id, cell count, then per cell tag, length and the
    /// stored form of the value.
    fn push_encoded<B: AsRef<[u8]>>(
        &mut self,
        id: u32,
        cells: impl IntoIterator<Item = (PropTag, B)>,
    ) {
        self.data.extend_from_slice(&id.to_le_bytes());
        let count_at = self.data.len();
        self.data.extend_from_slice(&0u32.to_le_bytes());
        let mut n = 0u32;
        for (t, bytes) in cells {
            let bytes = bytes.as_ref();
            self.data.extend_from_slice(&t.0.to_le_bytes());
            self.data
                .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            self.data.extend_from_slice(bytes);
            n += 1;
        }
        self.data[count_at..count_at + 4].copy_from_slice(&n.to_le_bytes());
        self.count += 1;
    }
}

/// Rows as [`RowBuf::push_encoded`] stores them: (id, cells of (tag,
/// encoded value)).
fn rows_in(d: &[u8]) -> impl Iterator<Item = (u32, Vec<(PropTag, &[u8])>)> + '_ {
    let mut at = 0usize;
    let u32_at = move |i: usize| u32::from_le_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
    std::iter::from_fn(move || {
        if at >= d.len() {
            return None;
        }
        let id = u32_at(at);
        let n = u32_at(at + 4) as usize;
        at += 8;
        let mut cells = Vec::with_capacity(n);
        for _ in 0..n {
            let tag = PropTag(u32_at(at));
            let len = u32_at(at + 4) as usize;
            cells.push((tag, &d[at + 8..at + 8 + len]));
            at += 8 + len;
        }
        Some((id, cells))
    })
}

impl PstWriter {
    /// Adds an item's row to its folder's contents (or associated) table.
    pub(super) fn push_row(
        &mut self,
        folder: Nid,
        nid: Nid,
        props: Vec<(PropTag, PropValue)>,
        assoc: bool,
    ) {
        let columns = row_columns(assoc);
        let codepage =
            crate::codepage::codepage_of_props(&props).unwrap_or(crate::DEFAULT_CODEPAGE);
        let row = table_row(props, columns, codepage);
        let read = row.iter().any(|(t, v)| {
            t.id() == pid::MESSAGE_FLAGS
                && matches!(v, PropValue::Int32(f) if f & state::MSGFLAG_READ != 0)
        });
        let cells = row
            .iter()
            .map(|(t, v)| (*t, pstkit_ltp::write::encode_value(v)));
        self.store_row(folder, nid, assoc, read, cells);
    }

    /// Keeps a row (cells in their stored form) for its folder's contents
    /// or associated table, counting the item and, if unread, the folder's
    /// unread items.
    pub(super) fn store_row<B: AsRef<[u8]>>(
        &mut self,
        folder: Nid,
        nid: Nid,
        assoc: bool,
        read: bool,
        cells: impl IntoIterator<Item = (PropTag, B)>,
    ) {
        let Some(f) = self.folders.get_mut(&folder) else {
            return;
        };
        let buf = if assoc {
            &mut f.assoc_rows
        } else {
            if !read {
                f.unread += 1;
            }
            &mut f.rows
        };
        let before = buf.data.len();
        buf.push_encoded(nid.0, cells);
        self.rows_in_memory += buf.data.len() - before;
        self.items += 1;
    }

    /// Moves every folder's rows in memory to the row spill file once they
    /// pass [`ROW_BUDGET`](super::ROW_BUDGET), so that rows cost no memory per item.
    pub(super) fn spill_rows(&mut self) -> Result<()> {
        if self.rows_in_memory < self.row_budget {
            return Ok(());
        }
        if self.row_spill.is_none() {
            let mut name = self.dest.as_os_str().to_owned();
            name.push(".rows");
            self.row_spill = Some(TempFile::beside(Path::new(&name))?);
        }
        let spill = self.row_spill.as_ref().expect("made above");
        let mut file = spill.file();
        let path = spill.path();
        file.seek(std::io::SeekFrom::Start(self.row_spill_end))
            .map_err(io(path))?;
        for f in self.folders.values_mut() {
            for buf in [&mut f.rows, &mut f.assoc_rows] {
                if buf.data.is_empty() {
                    continue;
                }
                file.write_all(&buf.data).map_err(io(path))?;
                let len = buf.data.len() as u64;
                buf.spilled.push((self.row_spill_end, len));
                self.row_spill_end += len;
                buf.data = Vec::new();
            }
        }
        self.rows_in_memory = 0;
        Ok(())
    }

    /// Adds a folder's rows to its table: those spilled, in order, then
    /// those in memory. The table is flushed every [`FLUSH_ROWS`] rows (the
    /// writer's `table_flush_rows`), so that a folder of any size is never
    /// held whole.
    pub(super) fn add_rows(&mut self, tc: &mut TcBuilder, rows: &RowBuf) -> Result<()> {
        let every = self.table_flush_rows;
        let ndb = self.ndb.as_mut().expect("open until finish");
        let mut added = 0usize;
        let mut add = |id: u32, cells: Vec<(PropTag, &[u8])>| -> Result<()> {
            if !tc.add_row_encoded(id, cells) {
                return Err(StoreError::invalid(
                    Nid(id),
                    "table row not stored (repeated row id or over the ANSI row limit)",
                ));
            }
            added += 1;
            if added.is_multiple_of(every) {
                tc.flush(ndb)?;
            }
            Ok(())
        };
        if let Some(spill) = &self.row_spill {
            let mut file = spill.file();
            let mut seg = Vec::new();
            for &(at, len) in &rows.spilled {
                seg.resize(len as usize, 0);
                file.seek(std::io::SeekFrom::Start(at))
                    .map_err(io(spill.path()))?;
                file.read_exact(&mut seg).map_err(io(spill.path()))?;
                for (id, cells) in rows_in(&seg) {
                    add(id, cells)?;
                }
            }
        }
        for (id, cells) in rows_in(&rows.data) {
            add(id, cells)?;
        }
        Ok(())
    }

    /// Adds a moved item's row: each value with a column is copied as
    /// stored (the same bytes a table cell holds); only 8-bit strings under
    /// a Unicode column are decoded, in the item's code page.
    pub(super) fn push_stored_row(
        &mut self,
        folder: Nid,
        nid: Nid,
        pc: &PropertyContext<'_>,
        assoc: bool,
    ) {
        let columns = row_columns(assoc);
        let mut cells: Vec<(PropTag, std::borrow::Cow<'_, [u8]>)> = Vec::with_capacity(24);
        let mut read = false;
        for rec in pc.records() {
            let Some(col) = columns.iter().find(|c| c.id() == rec.tag.id()) else {
                continue;
            };
            let Ok(raw) = pc.raw_of(*rec) else { continue };
            let (ct, rt) = (col.prop_type(), rec.tag.prop_type());
            if ct == rt {
                if rt.fixed_size().is_some_and(|n| n != raw.len()) {
                    continue;
                }
                if col.id() == pid::MESSAGE_FLAGS {
                    read = raw
                        .first()
                        .is_some_and(|f| i32::from(*f) & state::MSGFLAG_READ != 0);
                }
                cells.push((*col, raw));
            } else if ct == PropType::String && rt == PropType::String8 {
                let codepage = [pid::MESSAGE_CODEPAGE, pid::INTERNET_CODEPAGE]
                    .into_iter()
                    .find_map(|id| match pc.get(id) {
                        Some(Ok(PropValue::Int32(cp))) if cp > 0 => Some(cp as u32),
                        _ => None,
                    })
                    .unwrap_or(crate::DEFAULT_CODEPAGE);
                if let Ok(PropValue::String8(s8)) = PropValue::decode(rt, &raw) {
                    let wide = PropValue::String(s8.decode(codepage));
                    cells.push((*col, pstkit_ltp::write::encode_value(&wide).into()));
                }
            }
        }
        self.store_row(folder, nid, assoc, read, cells);
    }
}

/// The columns of a folder's contents table, or of its associated one.
pub(super) fn row_columns(assoc: bool) -> &'static [PropTag] {
    if assoc {
        templates::ASSOC_CONTENTS
    } else {
        templates::CONTENTS
    }
}

/// The cells of a table row: the properties that have a column, with 8-bit
/// strings widened for the Unicode string columns of the templates.
pub(super) fn table_row(
    props: Vec<(PropTag, PropValue)>,
    columns: &[PropTag],
    codepage: u32,
) -> Vec<(PropTag, PropValue)> {
    props
        .into_iter()
        .filter_map(|(t, v)| {
            let col = columns.iter().find(|c| c.id() == t.id())?;
            match (col.prop_type(), v) {
                (PropType::String, PropValue::String8(s)) => {
                    Some((*col, PropValue::String(s.decode(codepage))))
                }
                (ct, v) if ct == t.prop_type() => Some((*col, v)),
                _ => None,
            }
        })
        .collect()
}
