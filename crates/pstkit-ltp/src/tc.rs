//! Table context (TC): rows of fixed-layout cells, such as a folder's list
//! of subfolders or messages ([MS-PST] 2.3.4).
//!
//! The TCINFO (in the heap) describes the columns and the row layout; the
//! row matrix lives in the heap when small and in a subnode when large, in
//! which case rows never straddle the subnode's blocks. A RowIndex BTH maps
//! row ids to row positions. Cells of fixed types up to eight bytes are in
//! the row; the others hold an HNID.

use std::borrow::Cow;

use pstkit_ndb::{Nid, Node};

use crate::bth::{key_value, Bth};
use crate::error::{LtpError, Result};
use crate::heap::{u16_at, u32_at, Heap, Hid, Hnid, HnidTarget, CLIENT_SIG_TC};
use crate::tag::{PropKey, PropTag, PropType};
use crate::value::PropValue;

/// `bType` of a TCINFO.
pub const TCINFO_SIGNATURE: u8 = 0x7C;
/// Size of the TCINFO before its column descriptors.
pub const TCINFO_HEADER_SIZE: usize = 22;
/// Size of one TCOLDESC.
pub const TCOLDESC_SIZE: usize = 8;

/// A column descriptor (TCOLDESC): where a column's cell sits in a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcColumn {
    /// The column's property tag.
    pub tag: PropTag,
    /// `ibData`: offset of the cell in the row.
    pub offset: u16,
    /// `cbData`: width of the cell.
    pub size: u8,
    /// `iBit`: the cell's bit in the cell-existence bitmap.
    pub bit: u8,
}

/// The TCINFO: a table's columns and row layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcInfo {
    /// `rgib`: end offsets of the 4/8-byte cells, the 2-byte cells, the
    /// 1-byte cells and the cell-existence bitmap (the last is the row size).
    pub group_ends: [u16; 4],
    /// `hidRowIndex`: the RowIndex BTH.
    pub row_index: Hid,
    /// `hnidRows`: the row matrix (heap, subnode, or none).
    pub rows: Hnid,
    /// `hidIndex`: deprecated, normally 0.
    pub deprecated_index: u32,
    /// The column descriptors, in stored order (sorted by tag).
    pub columns: Vec<TcColumn>,
}

impl TcInfo {
    /// Parses the TCINFO of `nid`'s table.
    pub fn parse(nid: Nid, b: &[u8]) -> Result<Self> {
        let err = |what: String| LtpError::TableContext { nid, what };
        if b.len() < TCINFO_HEADER_SIZE {
            return Err(err(format!(
                "TCINFO is {} bytes, shorter than its {TCINFO_HEADER_SIZE}-byte header",
                b.len()
            )));
        }
        if b[0] != TCINFO_SIGNATURE {
            return Err(err(format!(
                "TCINFO bType is 0x{:02X}, expected 0x{TCINFO_SIGNATURE:02X}",
                b[0]
            )));
        }
        let count = usize::from(b[1]);
        let need = TCINFO_HEADER_SIZE + TCOLDESC_SIZE * count;
        if b.len() < need {
            return Err(err(format!(
                "TCINFO with {count} columns needs {need} bytes, has {}",
                b.len()
            )));
        }
        let g = |i: usize| u16_at(b, 2 + 2 * i).unwrap_or(0);
        let group_ends = [g(0), g(1), g(2), g(3)];
        if !group_ends.windows(2).all(|w| w[0] <= w[1]) {
            return Err(err(format!(
                "row layout offsets rgib {group_ends:?} are not ascending"
            )));
        }
        let columns = b[TCINFO_HEADER_SIZE..need]
            .chunks_exact(TCOLDESC_SIZE)
            .map(|c| TcColumn {
                tag: PropTag(u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                offset: u16::from_le_bytes([c[4], c[5]]),
                size: c[6],
                bit: c[7],
            })
            .collect();
        Ok(TcInfo {
            group_ends,
            row_index: Hid(u32_at(b, 10).unwrap_or(0)),
            rows: Hnid(u32_at(b, 14).unwrap_or(0)),
            deprecated_index: u32_at(b, 18).unwrap_or(0),
            columns,
        })
    }

    /// Bytes per row (`rgib[TCI_bm]`).
    pub fn row_size(&self) -> usize {
        usize::from(self.group_ends[3])
    }

    /// Where the cell-existence bitmap lies in a row.
    pub fn ceb_range(&self) -> std::ops::Range<usize> {
        usize::from(self.group_ends[2])..usize::from(self.group_ends[3])
    }
}

enum Matrix<'a> {
    Empty,
    Heap {
        hid: Hid,
        rows: usize,
    },
    Blocks {
        blocks: Vec<Cow<'a, [u8]>>,
        /// Rows before block `j`, plus the total at the end.
        starts: Vec<usize>,
    },
}

/// A table context.
pub struct TableContext<'a> {
    heap: Heap<'a>,
    info: TcInfo,
    matrix: Matrix<'a>,
}

impl<'a> TableContext<'a> {
    /// Reads the TC stored in `node`.
    pub fn read(node: Node<'a>) -> Result<Self> {
        Self::from_heap(Heap::open(node)?)
    }

    /// Reads the TC held by `heap` (whose client signature must be 0x7C).
    /// The row matrix, when in a subnode, is read here, block by block.
    pub fn from_heap(heap: Heap<'a>) -> Result<Self> {
        let info = Self::checked_info(&heap)?;
        let rs = info.row_size();
        let target = info.rows.target();
        let matrix = match target {
            HnidTarget::Empty => Matrix::Empty,
            HnidTarget::Heap(hid) => {
                let rows = heap.get(hid)?.len() / rs;
                Matrix::Heap { hid, rows }
            }
            HnidTarget::Subnode(sub) => {
                let node = heap.subnode(sub)?;
                let mut blocks = Vec::new();
                let mut starts = vec![0usize];
                let mut total = 0usize;
                for j in 0..node.block_count() {
                    let b = node.block(j)?;
                    // Rows never straddle blocks; the slack at the end of a
                    // block is skipped.
                    total += b.len() / rs;
                    starts.push(total);
                    blocks.push(b);
                }
                Matrix::Blocks { blocks, starts }
            }
        };
        Ok(TableContext { heap, info, matrix })
    }

    /// The TC's header (`TCINFO`) from `heap`, with what every reader of
    /// its rows relies on checked: the client signature, the RowIndex's
    /// key and entry sizes, and rows wide enough for their id.
    fn checked_info(heap: &Heap<'a>) -> Result<TcInfo> {
        let nid = heap.nid();
        let err = |what: String| LtpError::TableContext { nid, what };
        if heap.client_sig() != CLIENT_SIG_TC {
            return Err(err(format!(
                "heap client signature is 0x{:02X}, expected 0x{CLIENT_SIG_TC:02X}",
                heap.client_sig()
            )));
        }
        let info = TcInfo::parse(nid, heap.get(heap.user_root())?)?;
        if !info.row_index.is_none() {
            let bth = Bth::open(heap, info.row_index)?;
            let h = bth.header();
            if h.key_size != 4 || !matches!(h.entry_size, 2 | 4) {
                return Err(err(format!(
                    "RowIndex BTH has cbKey {} and cbEnt {}, expected 4 and 4 (or 2 in ANSI files)",
                    h.key_size, h.entry_size
                )));
            }
        }
        let rs = info.row_size();
        if info.rows.target() != HnidTarget::Empty && rs < 4 {
            return Err(err(format!(
                "rows of {rs} bytes cannot hold the 4-byte row id"
            )));
        }
        Ok(info)
    }

    /// The `dwRowID` of every row of the TC stored in `node`, in matrix
    /// order, as [`TableContext::row_ids`] gives them; the row matrix is
    /// read one block at a time and not kept, so a folder of 400,000 items
    /// costs its 1.6 MB of ids, not its whole matrix (tens of MB).
    pub fn read_row_ids(node: Node<'a>) -> Result<Vec<u32>> {
        let heap = Heap::open(node)?;
        let info = Self::checked_info(&heap)?;
        let rs = info.row_size();
        let ids = |rows: &[u8], out: &mut Vec<u32>| {
            out.extend(rows.chunks_exact(rs).map(|r| u32_at(r, 0).unwrap_or(0)));
        };
        let mut out = Vec::new();
        match info.rows.target() {
            HnidTarget::Empty => {}
            HnidTarget::Heap(hid) => ids(heap.get(hid)?, &mut out),
            HnidTarget::Subnode(sub) => {
                let node = heap.subnode(sub)?;
                for j in 0..node.block_count() {
                    ids(&node.block(j)?, &mut out);
                }
            }
        }
        Ok(out)
    }

    /// The node holding the TC.
    pub fn nid(&self) -> Nid {
        self.heap.nid()
    }

    /// The heap under the TC.
    pub fn heap(&self) -> &Heap<'a> {
        &self.heap
    }

    /// The TCINFO.
    pub fn info(&self) -> &TcInfo {
        &self.info
    }

    /// The column descriptors.
    pub fn columns(&self) -> &[TcColumn] {
        &self.info.columns
    }

    /// The first column selected by `key`.
    pub fn column(&self, key: impl Into<PropKey>) -> Option<&TcColumn> {
        let key = key.into();
        self.info.columns.iter().find(|c| key.matches(c.tag))
    }

    /// Number of rows in the row matrix.
    pub fn row_count(&self) -> usize {
        match &self.matrix {
            Matrix::Empty => 0,
            Matrix::Heap { rows, .. } => *rows,
            Matrix::Blocks { starts, .. } => starts.last().copied().unwrap_or(0),
        }
    }

    fn row_err(&self, row: u64, what: String) -> LtpError {
        LtpError::Row {
            nid: self.nid(),
            row,
            what,
        }
    }

    /// Row `i` of the row matrix.
    pub fn row(&self, i: usize) -> Result<Row<'_, 'a>> {
        let count = self.row_count();
        if i >= count {
            return Err(self.row_err(
                i as u64,
                format!("row position out of range ({count} rows)"),
            ));
        }
        let rs = self.info.row_size();
        let bytes: &[u8] = match &self.matrix {
            Matrix::Empty => &[],
            Matrix::Heap { hid, .. } => {
                let m = self.heap.get(*hid)?;
                &m[i * rs..(i + 1) * rs]
            }
            Matrix::Blocks { blocks, starts } => {
                let j = starts.partition_point(|&s| s <= i) - 1;
                let k = i - starts[j];
                &blocks[j][k * rs..(k + 1) * rs]
            }
        };
        Ok(Row {
            tc: self,
            index: i,
            bytes,
        })
    }

    /// All rows in matrix order, lazily.
    pub fn iter(&self) -> Rows<'_, 'a> {
        Rows {
            tc: self,
            next: 0,
            end: self.row_count(),
        }
    }

    /// The `dwRowID` of every row, in matrix order (for hierarchy and contents
    /// tables: the NIDs of the child folders or messages).
    pub fn row_ids(&self) -> Result<Vec<u32>> {
        self.iter().map(|r| r.map(|r| r.row_id())).collect()
    }

    /// The RowIndex: `(dwRowID, row position)` pairs in row-id order.
    pub fn row_index(&self) -> Result<Vec<(u32, u32)>> {
        if self.info.row_index.is_none() {
            return Ok(Vec::new());
        }
        let bth = Bth::open(&self.heap, self.info.row_index)?;
        bth.iter()
            .map(|r| r.map(|r| (key_value(r.key) as u32, key_value(r.data) as u32)))
            .collect()
    }

    /// The row whose `dwRowID` is `row_id`, found through the RowIndex. A
    /// RowIndex entry pointing outside the matrix, or at a row with another
    /// id, is reported as an error.
    pub fn find_row(&self, row_id: u32) -> Result<Option<Row<'_, 'a>>> {
        if self.info.row_index.is_none() {
            return Ok(None);
        }
        let bth = Bth::open(&self.heap, self.info.row_index)?;
        let Some(rec) = bth.find(&row_id.to_le_bytes())? else {
            return Ok(None);
        };
        let pos = key_value(rec.data) as usize;
        let count = self.row_count();
        let err = |what| LtpError::TableContext {
            nid: self.nid(),
            what,
        };
        if pos >= count {
            return Err(err(format!(
                "RowIndex points row id 0x{row_id:X} at row {pos}, the matrix has {count} rows"
            )));
        }
        let row = self.row(pos)?;
        if row.row_id() != row_id {
            return Err(err(format!(
                "RowIndex points row id 0x{row_id:X} at row {pos}, which holds row id 0x{:X}",
                row.row_id()
            )));
        }
        Ok(Some(row))
    }
}

impl std::fmt::Debug for TableContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableContext")
            .field("nid", &self.nid())
            .field("info", &self.info)
            .field("rows", &self.row_count())
            .finish()
    }
}

impl std::fmt::Debug for Rows<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("next", &self.next)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

/// Iterator over a table's rows; see [`TableContext::iter`].
pub struct Rows<'t, 'a> {
    tc: &'t TableContext<'a>,
    next: usize,
    end: usize,
}

impl<'t, 'a> Iterator for Rows<'t, 'a> {
    type Item = Result<Row<'t, 'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some(self.tc.row(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

/// One row of a table: its bytes and the table that says how to read them.
#[derive(Clone, Copy)]
pub struct Row<'t, 'a> {
    tc: &'t TableContext<'a>,
    index: usize,
    bytes: &'t [u8],
}

impl<'t, 'a> Row<'t, 'a> {
    /// The row's position in the row matrix.
    pub fn index(&self) -> usize {
        self.index
    }

    /// `dwRowID`, the first four bytes of every row.
    pub fn row_id(&self) -> u32 {
        u32_at(self.bytes, 0).unwrap_or(0)
    }

    /// The row's raw bytes.
    pub fn bytes(&self) -> &'t [u8] {
        self.bytes
    }

    fn wrap(&self, tag: PropTag, what: String) -> LtpError {
        let nid = self.tc.nid();
        self.wrap_err(tag, LtpError::TableContext { nid, what })
    }

    fn wrap_err(&self, tag: PropTag, e: LtpError) -> LtpError {
        LtpError::Property {
            nid: self.tc.nid(),
            tag,
            row: Some(self.index as u64),
            source: Box::new(e),
        }
    }

    /// Whether the row has a value for `col`, per the cell-existence bitmap.
    pub fn exists(&self, col: &TcColumn) -> Result<bool> {
        let ceb = self.tc.info.ceb_range();
        let at = ceb.start + usize::from(col.bit / 8);
        if at >= ceb.end || at >= self.bytes.len() {
            return Err(self.wrap(
                col.tag,
                format!(
                    "column iBit {} lies outside the cell-existence bitmap (bytes {}..{})",
                    col.bit, ceb.start, ceb.end
                ),
            ));
        }
        Ok(self.bytes[at] & (0x80 >> (col.bit % 8)) != 0)
    }

    /// The value of column `col` in this row; `None` when the cell does not
    /// exist.
    pub fn cell(&self, col: &TcColumn) -> Option<Result<PropValue>> {
        match self.exists(col) {
            Ok(false) => None,
            Ok(true) => Some(self.read_cell(col)),
            Err(e) => Some(Err(e)),
        }
    }

    /// Whether column `col`'s cell, when it exists, is where the row and
    /// its HNID say, without decoding it: a check of every cell of a large
    /// table at the cost of a lookup each.
    pub fn check_cell(&self, col: &TcColumn) -> Result<()> {
        if !self.exists(col)? {
            return Ok(());
        }
        let start = usize::from(col.offset);
        let end = start + usize::from(col.size);
        let ptype = col.tag.prop_type();
        let need = if ptype.is_in_cell() {
            ptype.fixed_size().unwrap_or(0)
        } else {
            4
        };
        match self.bytes.get(start..end).filter(|c| c.len() >= need) {
            None => Err(self.wrap(
                col.tag,
                format!(
                    "cell {start}..{end} of a {}-byte row cannot hold {need} bytes",
                    self.bytes.len()
                ),
            )),
            Some(_) if ptype.is_in_cell() => Ok(()),
            Some(cell) => {
                let hnid = u32_at(cell, 0).unwrap_or(0);
                self.tc
                    .heap
                    .check_hnid(Hnid(hnid))
                    .map_err(|e| self.wrap_err(col.tag, e))
            }
        }
    }

    /// Whether the value of column `col` in this row decodes (it must
    /// exist): [`Row::cell`]'s answer, with its error, without building the
    /// value (see [`PropValue::check`]).
    pub fn check_value(&self, col: &TcColumn) -> Result<()> {
        self.with_cell(col, PropValue::check)
    }

    fn read_cell(&self, col: &TcColumn) -> Result<PropValue> {
        self.with_cell(col, PropValue::decode)
    }

    /// The stored bytes of column `col`'s cell, given to `decode`.
    fn with_cell<T>(
        &self,
        col: &TcColumn,
        decode: impl Fn(PropType, &[u8]) -> std::result::Result<T, crate::value::DecodeError>,
    ) -> Result<T> {
        let start = usize::from(col.offset);
        let end = start + usize::from(col.size);
        let Some(cell) = self.bytes.get(start..end) else {
            return Err(self.wrap(
                col.tag,
                format!(
                    "cell {start}..{end} lies outside the {}-byte row",
                    self.bytes.len()
                ),
            ));
        };
        let ptype = col.tag.prop_type();
        let decode = |raw: &[u8]| decode(ptype, raw).map_err(|e| self.wrap_err(col.tag, e.into()));
        if ptype.is_in_cell() {
            let need = ptype.fixed_size().unwrap_or(0);
            match cell.get(..need) {
                Some(raw) => decode(raw),
                None => Err(self.wrap(
                    col.tag,
                    format!("cell is {} bytes, the type needs {need}", cell.len()),
                )),
            }
        } else {
            let Some(hnid) = u32_at(cell, 0) else {
                return Err(self.wrap(
                    col.tag,
                    format!("cell is {} bytes, too small for an HNID", cell.len()),
                ));
            };
            let raw = self
                .tc
                .heap
                .read_hnid(Hnid(hnid))
                .map_err(|e| self.wrap_err(col.tag, e))?;
            decode(&raw)
        }
    }

    /// The value of the first column selected by `key`; `None` when there is
    /// no such column or the row has no value in it.
    pub fn get(&self, key: impl Into<PropKey>) -> Option<Result<PropValue>> {
        let col = self.tc.column(key)?;
        self.cell(col)
    }

    /// Whether every cell [`Row::cells`] gives for a column `keep` accepts
    /// decodes, with the first error in column order, without building
    /// the values (see [`Row::check_value`]).
    pub fn check_cells(&self, keep: impl Fn(PropTag) -> bool) -> Result<()> {
        for c in self.tc.info.columns.iter().filter(|c| keep(c.tag)) {
            if self.exists(c)? {
                self.check_value(c)?;
            }
        }
        Ok(())
    }

    /// The values of all cells that exist, in column order.
    pub fn cells(&self) -> Cells<'t, 'a> {
        Cells {
            row: *self,
            next: 0,
        }
    }
}

impl std::fmt::Debug for Cells<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cells")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// Iterator over the existing cells of a row; see [`Row::cells`].
pub struct Cells<'t, 'a> {
    row: Row<'t, 'a>,
    next: usize,
}

impl Iterator for Cells<'_, '_> {
    type Item = (PropTag, Result<PropValue>);

    fn next(&mut self) -> Option<Self::Item> {
        let cols = &self.row.tc.info.columns;
        while let Some(c) = cols.get(self.next) {
            self.next += 1;
            if let Some(v) = self.row.cell(c) {
                return Some((c.tag, v));
            }
        }
        None
    }
}

impl std::fmt::Debug for Row<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("index", &self.index)
            .field("row_id", &format_args!("0x{:X}", self.row_id()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::build;
    use crate::props;
    use crate::tag::{PropId, PropType};
    use pstkit_ndb::Variant;

    fn col(tag: u32, offset: u16, size: u8, bit: u8) -> [u8; 8] {
        let mut c = [0u8; 8];
        c[..4].copy_from_slice(&tag.to_le_bytes());
        c[4..6].copy_from_slice(&offset.to_le_bytes());
        c[6] = size;
        c[7] = bit;
        c
    }

    fn tcinfo(rgib: [u16; 4], row_index: u32, rows: u32, cols: &[[u8; 8]]) -> Vec<u8> {
        let mut t = vec![0x7C, cols.len() as u8];
        for g in rgib {
            t.extend_from_slice(&g.to_le_bytes());
        }
        t.extend_from_slice(&row_index.to_le_bytes());
        t.extend_from_slice(&rows.to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        for c in cols {
            t.extend_from_slice(c);
        }
        t
    }

    /// The 13 columns of the hierarchy table in MS-PST §3.10 (the layout of
    /// Outlook's 0x60D template).
    fn hierarchy_columns() -> Vec<[u8; 8]> {
        vec![
            col(0x0E30_0102, 20, 4, 6),
            col(0x0E33_0014, 24, 8, 7),
            col(0x0E34_0102, 32, 4, 8),
            col(0x0E38_0003, 36, 4, 9),
            col(0x3001_001F, 8, 4, 2),
            col(0x3602_0003, 12, 4, 3),
            col(0x3603_0003, 16, 4, 4),
            col(0x360A_000B, 52, 1, 5),
            col(0x3613_001F, 40, 4, 10),
            col(0x6635_0003, 44, 4, 11),
            col(0x6636_0003, 48, 4, 12),
            col(0x67F2_0003, 0, 4, 0),
            col(0x67F3_0003, 4, 4, 1),
        ]
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// A row of the sample hierarchy table: id, name HID, counts,
    /// subfolders flag, CEB `FC 00` (columns 0–5 present).
    fn hier_row(nid: u32, name_hid: u32, count: i32, sub: bool) -> Vec<u8> {
        let mut r = vec![0u8; 55];
        r[0..4].copy_from_slice(&nid.to_le_bytes());
        r[4..8].copy_from_slice(&1u32.to_le_bytes());
        r[8..12].copy_from_slice(&name_hid.to_le_bytes());
        r[12..16].copy_from_slice(&count.to_le_bytes());
        r[16..20].copy_from_slice(&0i32.to_le_bytes());
        r[52] = u8::from(sub);
        r[53] = 0xFC;
        r[54] = 0x00;
        r
    }

    fn row_index(entries: &[(u32, u32)], ent: usize) -> Vec<u8> {
        entries
            .iter()
            .flat_map(|&(id, pos)| {
                let mut r = id.to_le_bytes().to_vec();
                r.extend_from_slice(&pos.to_le_bytes()[..ent]);
                r
            })
            .collect()
    }

    /// The root-folder hierarchy table of MS-PST §3.10, rebuilt: RowIndex at
    /// HID 0x20, its leaf at 0x60, rows at 0x80.
    fn sample_hierarchy(variant: Variant) -> TableContext<'static> {
        let ent = if variant == Variant::Ansi { 2 } else { 4 };
        let idx = row_index(&[(0x2223, 2), (0x8022, 0), (0x8042, 1)], ent);
        let rows = [
            hier_row(0x8022, 0xA0, 0, true),
            hier_row(0x8042, 0xC0, 0, false),
            hier_row(0x2223, 0xE0, 0, false),
        ]
        .concat();
        let info = tcinfo([52, 52, 53, 55], 0x20, 0x80, &hierarchy_columns());
        let p = build::first_page(
            CLIENT_SIG_TC,
            0x40,
            &[
                &[0xB5, 4, ent as u8, 0, 0x60, 0, 0, 0],
                &info,
                &idx,
                &rows,
                &utf16("Top of Personal Folders"),
                &utf16("Search Root"),
                &utf16("SPAM Search Folder 2"),
            ],
        );
        let heap = Heap::from_blocks(Nid(0x12D), variant, vec![Cow::Owned(p)]).unwrap();
        TableContext::from_heap(heap).unwrap()
    }

    #[test]
    fn reads_the_spec_sample() {
        for variant in [Variant::Unicode, Variant::Ansi] {
            let tc = sample_hierarchy(variant);
            assert_eq!(tc.columns().len(), 13);
            assert_eq!(tc.info().row_size(), 55);
            assert_eq!(tc.row_count(), 3);
            assert_eq!(tc.row_ids().unwrap(), [0x8022, 0x8042, 0x2223]);
            assert_eq!(
                tc.row_index().unwrap(),
                [(0x2223, 2), (0x8022, 0), (0x8042, 1)]
            );
            let r = tc.row(0).unwrap();
            assert_eq!(
                r.get(props::DISPLAY_NAME).unwrap().unwrap(),
                PropValue::String("Top of Personal Folders".into())
            );
            assert_eq!(
                r.get(PropId(0x360A)).unwrap().unwrap(),
                PropValue::Boolean(true)
            );
            assert_eq!(r.get(PropId(0x3602)).unwrap().unwrap(), PropValue::Int32(0));
            assert_eq!(
                r.get(props::LTP_ROW_VER).unwrap().unwrap(),
                PropValue::Int32(1)
            );
            // Bits 6.. are clear: those cells do not exist.
            assert!(r.get(PropId(0x3613)).is_none());
            assert!(r.get(PropId(0x0E33)).is_none());
            assert!(r.get(PropId(0x9999)).is_none());
            assert_eq!(r.cells().count(), 6);
            assert!(r.cells().all(|(_, v)| v.is_ok()));
            let r = tc.find_row(0x2223).unwrap().unwrap();
            assert_eq!(r.index(), 2);
            assert_eq!(
                r.get(PropTag(0x3001_001F)).unwrap().unwrap(),
                PropValue::String("SPAM Search Folder 2".into())
            );
            assert!(tc.find_row(0x1234).unwrap().is_none());
            assert!(tc.row(3).is_err());
            assert_eq!(tc.iter().count(), 3);
            // The iterator steps one row at a time and stops at the end.
            let mut it = tc.iter();
            let mut ids = Vec::new();
            while let Some(r) = it.next() {
                ids.push(r.unwrap().row_id());
                assert_eq!(it.size_hint(), (3 - ids.len(), Some(3 - ids.len())));
            }
            assert_eq!(ids, [0x8022, 0x8042, 0x2223]);
            assert!(it.next().is_none());
            let d = format!("{tc:?}");
            assert!(
                d.starts_with("TableContext") && d.contains("rows: 3"),
                "{d}"
            );
            let mut it = tc.iter();
            it.next();
            let d = format!("{it:?}");
            assert!(d.contains("next: 1") && d.contains("end: 3"), "{d}");
        }
    }

    #[test]
    fn row_index_outside_the_matrix_is_reported() {
        let idx = row_index(&[(0x8022, 0), (0x8042, 7)], 4);
        let rows = hier_row(0x8022, 0, 0, false);
        let info = tcinfo([52, 52, 53, 55], 0x20, 0x80, &hierarchy_columns());
        let p = build::first_page(
            CLIENT_SIG_TC,
            0x40,
            &[&[0xB5, 4, 4, 0, 0x60, 0, 0, 0], &info, &idx, &rows],
        );
        let heap = Heap::from_blocks(Nid(0x12D), Variant::Unicode, vec![Cow::Owned(p)]).unwrap();
        let tc = TableContext::from_heap(heap).unwrap();
        assert_eq!(tc.row_count(), 1);
        let e = tc.find_row(0x8042).unwrap_err().to_string();
        assert!(e.contains("the matrix has 1 rows"), "{e}");
        assert!(tc.find_row(0x8022).unwrap().is_some());
        // HNID 0 for the display name: an empty string.
        assert_eq!(
            tc.row(0)
                .unwrap()
                .get(props::DISPLAY_NAME)
                .unwrap()
                .unwrap(),
            PropValue::String(String::new())
        );
    }

    #[test]
    fn all_cell_kinds() {
        // Columns: row id, row ver, Int64 @8, Time @16, Guid HNID @24,
        // binary HNID @28, Float64 @32, MV Int32 HNID @40, Int16 @44,
        // Boolean @46, CEB @47..49 (10 columns).
        let cols = [
            col(0x0001_0014, 8, 8, 2),
            col(0x0002_0040, 16, 8, 3),
            col(0x0003_0048, 24, 4, 4),
            col(0x0004_0102, 28, 4, 5),
            col(0x0005_0005, 32, 8, 6),
            col(0x0006_1003, 40, 4, 7),
            col(0x0007_0002, 44, 2, 8),
            col(0x0008_000B, 46, 1, 9),
            col(0x67F2_0003, 0, 4, 0),
            col(0x67F3_0003, 4, 4, 1),
        ];
        let mut row = vec![0u8; 49];
        row[0..4].copy_from_slice(&7u32.to_le_bytes());
        row[8..16].copy_from_slice(&(-5i64).to_le_bytes());
        row[16..24].copy_from_slice(&116_444_736_000_000_000u64.to_le_bytes());
        row[24..28].copy_from_slice(&0x80u32.to_le_bytes());
        row[28..32].copy_from_slice(&0xA0u32.to_le_bytes());
        row[32..40].copy_from_slice(&0.25f64.to_le_bytes());
        row[40..44].copy_from_slice(&0xC0u32.to_le_bytes());
        row[44..46].copy_from_slice(&(-3i16).to_le_bytes());
        row[46] = 1;
        row[47] = 0xFF;
        row[48] = 0xC0;
        let mv: Vec<u8> = [1i32, 2].iter().flat_map(|x| x.to_le_bytes()).collect();
        let info = tcinfo([44, 46, 47, 49], 0, 0x60, &cols);
        let p = build::first_page(
            CLIENT_SIG_TC,
            0x20,
            &[&info, &[], &row, &[9u8; 16], b"bin", &mv],
        );
        let heap = Heap::from_blocks(Nid(0x802E), Variant::Unicode, vec![Cow::Owned(p)]).unwrap();
        let tc = TableContext::from_heap(heap).unwrap();
        assert_eq!(tc.row_ids().unwrap(), [7]);
        assert!(tc.row_index().unwrap().is_empty());
        assert!(tc.find_row(7).unwrap().is_none());
        let r = tc.row(0).unwrap();
        let get = |id| r.get(PropId(id)).unwrap().unwrap();
        assert_eq!(get(1), PropValue::Int64(-5));
        assert_eq!(
            get(2),
            PropValue::Time(crate::value::FileTime(116_444_736_000_000_000))
        );
        assert_eq!(get(3), PropValue::Guid([9; 16]));
        assert_eq!(get(4), PropValue::Binary(b"bin".to_vec()));
        assert_eq!(get(5), PropValue::Float64(0.25));
        assert_eq!(get(6), PropValue::MultipleInt32(vec![1, 2]));
        assert_eq!(get(7), PropValue::Int16(-3));
        assert_eq!(get(8), PropValue::Boolean(true));
        assert_eq!(
            tc.column(PropId(7)).unwrap().tag.prop_type(),
            PropType::Int16
        );
        // The checks that build no value pass every sound cell, in the row
        // and behind an HNID alike.
        for c in tc.columns() {
            r.check_cell(c).unwrap();
            r.check_value(c).unwrap();
        }
        r.check_cells(|_| true).unwrap();
        let d = format!("{r:?}");
        assert!(d.contains("index: 0") && d.contains("row_id: 0x7"), "{d}");
        let mut cells = r.cells();
        cells.next();
        let d = format!("{cells:?}");
        assert!(d.starts_with("Cells") && d.contains("next: 1"), "{d}");
    }

    #[test]
    fn damaged_columns_fail_per_cell() {
        let cols = [
            col(0x0001_0003, 200, 4, 2), // cell outside the row
            col(0x0002_0003, 8, 4, 40),  // bit outside the CEB
            col(0x0003_0014, 8, 4, 3),   // Int64 in a 4-byte cell
            col(0x67F2_0003, 0, 4, 0),
            col(0x0004_0102, 4, 4, 4), // binary behind an HID the heap lacks
            col(0x0005_0003, 4, 4, 5), // absent (bit clear)
        ];
        let mut row = vec![0u8; 13];
        row[4..8].copy_from_slice(&0x1E0u32.to_le_bytes());
        row[12] = 0xF8;
        let info = tcinfo([12, 12, 12, 13], 0, 0x40, &cols);
        let p = build::first_page(CLIENT_SIG_TC, 0x20, &[&info, &row]);
        let heap = Heap::from_blocks(Nid(0x802E), Variant::Unicode, vec![Cow::Owned(p)]).unwrap();
        let tc = TableContext::from_heap(heap).unwrap();
        let r = tc.row(0).unwrap();
        assert!(r.get(PropId(1)).unwrap().is_err());
        assert!(r.get(PropId(2)).unwrap().is_err());
        let err = r.get(PropId(3)).unwrap().unwrap_err();
        let e = err.to_string();
        assert!(
            e.starts_with("node 0x802E, property 0x00030014, row 0:"),
            "{e}"
        );
        // The same place, as fields a caller can act on.
        assert_eq!(err.nid(), Some(Nid(0x802E)));
        assert_eq!(err.tag(), Some(PropTag(0x0003_0014)));
        assert_eq!(err.row(), Some(0));
        assert_eq!(err.hid(), None);
        assert!(err.corruption().is_none());
        assert!(r.get(props::LTP_ROW_ID).unwrap().is_ok());
        // The checks that build no value fail where decoding does, with the
        // same place; an absent cell passes.
        let c = |id| *tc.column(PropId(id)).unwrap();
        for id in [1, 2, 3, 4] {
            let e = r.check_cell(&c(id)).unwrap_err();
            assert_eq!(e.nid(), Some(Nid(0x802E)), "{e}");
            assert_eq!(e.tag(), Some(c(id).tag), "{e}");
            // Column 2's cell reads; only its bit lies outside the bitmap.
            assert_eq!(r.check_value(&c(id)).is_ok(), id == 2, "column {id}");
        }
        let e = r.check_cell(&c(3)).unwrap_err().to_string();
        assert!(e.contains("cannot hold 8 bytes"), "{e}");
        assert!(r.get(PropId(4)).unwrap().is_err());
        r.check_cell(&c(5)).unwrap();
        r.check_cell(&c(0x67F2)).unwrap();
        r.check_value(&c(0x67F2)).unwrap();
        // The first bad cell in column order, unless the filter skips it.
        let e = r.check_cells(|_| true).unwrap_err();
        assert_eq!(e.tag(), Some(PropTag(0x0001_0003)), "{e}");
        let e = r.check_cells(|t| t.id() != PropId(1)).unwrap_err();
        assert_eq!(e.tag(), Some(PropTag(0x0002_0003)), "{e}");
        r.check_cells(|t| t.id() == props::LTP_ROW_ID).unwrap();
    }

    #[test]
    fn damaged_structures() {
        let mk = |info: Vec<u8>, extra: &[&[u8]]| {
            let mut allocs: Vec<&[u8]> = vec![&info];
            allocs.extend_from_slice(extra);
            let p = build::first_page(CLIENT_SIG_TC, 0x20, &allocs);
            let heap = Heap::from_blocks(Nid(0x12D), Variant::Unicode, vec![Cow::Owned(p)])?;
            TableContext::from_heap(heap)
        };
        // Too few bytes for the announced columns.
        let mut t = tcinfo([4, 4, 4, 5], 0, 0, &[]);
        t[1] = 3;
        assert!(mk(t, &[]).is_err());
        // rgib not ascending.
        assert!(mk(tcinfo([8, 4, 4, 5], 0, 0, &[]), &[]).is_err());
        // Rows too small for a row id.
        assert!(mk(tcinfo([0, 0, 0, 2], 0, 0x40, &[]), &[&[0u8; 4]]).is_err());
        // RowIndex with the wrong shape.
        assert!(mk(
            tcinfo([4, 4, 4, 5], 0x40, 0, &[]),
            &[&[0xB5, 2, 6, 0, 0, 0, 0, 0]]
        )
        .is_err());
        // Row matrix in a subnode of an in-memory heap.
        assert!(mk(tcinfo([4, 4, 4, 5], 0, 0x21, &[]), &[]).is_err());
        // Empty table.
        let tc = mk(tcinfo([4, 4, 4, 5], 0, 0, &[]), &[]).unwrap();
        assert_eq!(tc.row_count(), 0);
        assert!(tc.row(0).is_err());
        // Rows of exactly the row id's 4 bytes are enough; 3 are not, and
        // the error names the table's node.
        let tc = mk(tcinfo([4, 4, 4, 4], 0, 0x40, &[]), &[&[0u8; 4]]).unwrap();
        assert_eq!(tc.row_count(), 1);
        let e = mk(tcinfo([3, 3, 3, 3], 0, 0x40, &[]), &[&[0u8; 4]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("rows of 3 bytes") && e.contains("0x12D"), "{e}");
        // A RowIndex is refused when either its key or its entry size is
        // wrong, not only when both are.
        for (key, ent, ok) in [(4, 4, true), (4, 2, true), (2, 4, false), (4, 6, false)] {
            let r = mk(
                tcinfo([4, 4, 4, 5], 0x40, 0, &[]),
                &[&[0xB5, key, ent, 0, 0, 0, 0, 0]],
            );
            match r {
                Ok(_) => assert!(ok, "cbKey {key}, cbEnt {ent} accepted"),
                Err(e) => {
                    assert!(!ok, "cbKey {key}, cbEnt {ent} refused: {e}");
                    let e = e.to_string();
                    assert!(e.contains(&format!("cbKey {key} and cbEnt {ent}")), "{e}");
                }
            }
        }
        // Wrong client signature.
        let p = build::first_page(CLIENT_SIG_TC ^ 1, 0x20, &[&tcinfo([4, 4, 4, 5], 0, 0, &[])]);
        let heap = Heap::from_blocks(Nid(1), Variant::Unicode, vec![Cow::Owned(p)]).unwrap();
        assert!(TableContext::from_heap(heap).is_err());
    }
}
