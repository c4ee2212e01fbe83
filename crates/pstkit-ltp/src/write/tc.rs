//! Building a table context ([MS-PST] 2.3.4).

use std::collections::HashMap;
use std::io::{Seek, Write};

use pstkit_ndb::write::NdbWriter;
use pstkit_ndb::{Bid, Nid, Variant};

use super::{
    bth, encode_value, page_capacity, store_hnid, HeapBuilder, NodeData, Subnodes, Written,
};
use crate::heap::{Hid, CLIENT_SIG_TC};
use crate::props;
use crate::tag::{PropTag, PropType};
use crate::tc::{TcColumn, TCINFO_HEADER_SIZE, TCINFO_SIGNATURE, TCOLDESC_SIZE};
use crate::value::PropValue;

/// PidTagLtpRowId: the row id, always the first cell.
const ROW_ID: PropTag = props::tags::LTP_ROW_ID;
/// PidTagLtpRowVer: the row version, always the second cell.
const ROW_VER: PropTag = props::tags::LTP_ROW_VER;
/// `cCols` is one byte.
const MAX_COLUMNS: usize = 255;
/// ANSI RowIndex entries hold the row position in two bytes.
const ANSI_MAX_ROWS: usize = 1 << 16;

/// One column of a table, named by its tag; the builder computes `ibData`,
/// `cbData` and `iBit` (see [`TcBuilder::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TcColumnSpec {
    /// The column's property tag (id and type).
    pub tag: PropTag,
}

impl From<PropTag> for TcColumnSpec {
    fn from(tag: PropTag) -> Self {
        TcColumnSpec { tag }
    }
}

/// Width of a cell of type `t`: fixed types of up to eight bytes in the
/// row, everything else (GUID, object, variable, unknown) a 4-byte HNID.
/// PtypNull/PtypUnspecified columns, which hold no bytes, get a zeroed
/// 4-byte cell rather than a zero-width one.
fn cell_width(t: PropType) -> u8 {
    if t.is_in_cell() {
        match t.fixed_size() {
            Some(8) => 8,
            Some(2) => 2,
            Some(1) => 1,
            _ => 4,
        }
    } else {
        4
    }
}

/// Builds one table context row by row.
///
/// Rows are encoded as they are added: their fixed cells go into the row
/// bytes, their variable cells straight into the heap (or a subnode), so
/// the builder holds the row matrix and one index entry per row, not the
/// values given. A table of any size is built in bounded memory by calling
/// [`TcBuilder::flush`] now and then: what can no longer change goes to the
/// file, and the builder keeps about 12 bytes a row (its row-id index) plus
/// a few pages.
#[derive(Clone, Debug)]
pub struct TcBuilder {
    variant: Variant,
    heap: HeapBuilder,
    subs: Subnodes,
    /// Column descriptors, sorted by tag (TCINFO order).
    columns: Vec<TcColumn>,
    group_ends: [u16; 4],
    row_index: Hid,
    info: Hid,
    row_size: usize,
    rows_per_block: usize,
    /// The row matrix, `rows_per_block` rows per block (unpadded here),
    /// from block `written_rows.len()` on.
    blocks: Vec<Vec<u8>>,
    rows: usize,
    /// Row id → position in the matrix.
    positions: HashMap<u32, u32>,
    /// Row-matrix blocks already in the file (padded): (block, length).
    written_rows: Vec<(Bid, usize)>,
    /// Value subnodes already in the file: (subnode, data, length).
    written_subnodes: Vec<(Nid, Bid, usize)>,
}

impl TcBuilder {
    /// A table with `columns` (PidTagLtpRowId 0x67F20003 and PidTagLtpRowVer
    /// 0x67F30003 added when missing, duplicates dropped, at most 255 in
    /// all). Row layout: row id @0, row version @4, then the 8-byte cells,
    /// the other 4-byte cells (including every HNID cell), the 2-byte cells
    /// and the 1-byte cells, each group in tag order, then the cell-existence
    /// bitmap of `ceil(cCols / 8)` bytes. `iBit`s follow the same order (row
    /// id 0, row version 1). 8-byte cells thus start 8-aligned.
    pub fn new(variant: Variant, columns: &[PropTag]) -> Self {
        let mut others: Vec<PropTag> = columns
            .iter()
            .copied()
            .filter(|&t| t != ROW_ID && t != ROW_VER)
            .collect();
        others.sort();
        others.dedup();
        others.truncate(MAX_COLUMNS - 2);
        let mut order = vec![ROW_ID, ROW_VER];
        for w in [8u8, 4, 2, 1] {
            order.extend(
                others
                    .iter()
                    .filter(|t| cell_width(t.prop_type()) == w)
                    .copied(),
            );
        }
        let mut cols = Vec::with_capacity(order.len());
        let mut at = 0u16;
        let mut ends = [0u16; 4];
        for (bit, tag) in order.iter().enumerate() {
            let size = cell_width(tag.prop_type());
            cols.push(TcColumn {
                tag: *tag,
                offset: at,
                size,
                bit: bit as u8,
            });
            at += u16::from(size);
            let group = match size {
                8 | 4 => 0,
                2 => 1,
                _ => 2,
            };
            for e in &mut ends[group..3] {
                *e = at;
            }
        }
        ends[3] = ends[2] + order.len().div_ceil(8) as u16;
        cols.sort_by_key(|c| c.tag);
        Self::from_layout(variant, cols, ends)
    }

    /// A table with an exact, given column layout, such as Outlook's
    /// template tables (pstkit's format notes §10.6), so that a new file
    /// can match Outlook's byte for byte. The group ends (`rgib`) are
    /// derived from the cells. Returns `None` unless the layout is sound:
    /// 1–255 distinct tags; PidTagLtpRowId at offset 0; each `cbData` the
    /// width [`TcBuilder::new`] would give the type; 4/8-byte cells before
    /// 2-byte cells before 1-byte cells, none overlapping; `iBit`s distinct
    /// and inside the `ceil(cCols / 8)`-byte bitmap; rows no larger than a
    /// block.
    pub fn with_layout(variant: Variant, columns: &[TcColumn]) -> Option<Self> {
        let n = columns.len();
        if n == 0 || n > MAX_COLUMNS {
            return None;
        }
        let mut cols = columns.to_vec();
        cols.sort_by_key(|c| c.tag);
        if cols.windows(2).any(|w| w[0].tag == w[1].tag) {
            return None;
        }
        if !cols
            .iter()
            .any(|c| c.tag == ROW_ID && c.offset == 0 && c.size == 4)
        {
            return None;
        }
        let end = |c: &TcColumn| usize::from(c.offset) + usize::from(c.size);
        let group_end = |sizes: &[u8]| {
            cols.iter()
                .filter(|c| sizes.contains(&c.size))
                .map(end)
                .max()
                .unwrap_or(0)
        };
        let g4 = group_end(&[4, 8]);
        let g2 = g4.max(group_end(&[2]));
        let g1 = g2.max(group_end(&[1]));
        let ceb = n.div_ceil(8);
        let bm = g1 + ceb;
        if bm > page_capacity(variant) {
            return None;
        }
        let mut used = vec![false; g1];
        let mut bits = vec![false; ceb * 8];
        for c in &cols {
            if c.size != cell_width(c.tag.prop_type()) {
                return None;
            }
            let floor = match c.size {
                2 => g4,
                1 => g2,
                _ => 0,
            };
            if usize::from(c.offset) < floor {
                return None;
            }
            for b in &mut used[usize::from(c.offset)..end(c)] {
                if std::mem::replace(b, true) {
                    return None;
                }
            }
            match bits.get_mut(usize::from(c.bit)) {
                Some(b) if !*b => *b = true,
                _ => return None,
            }
        }
        let ends = [g4 as u16, g2 as u16, g1 as u16, bm as u16];
        Some(Self::from_layout(variant, cols, ends))
    }

    fn from_layout(variant: Variant, columns: Vec<TcColumn>, group_ends: [u16; 4]) -> Self {
        let mut heap = HeapBuilder::new(variant, CLIENT_SIG_TC);
        // Outlook's order: RowIndex BTHHEADER at 0x20, TCINFO at 0x40.
        let row_index = heap.alloc(&[0; 8]);
        let info = heap.alloc(&vec![0; TCINFO_HEADER_SIZE + TCOLDESC_SIZE * columns.len()]);
        heap.set_user_root(info);
        let row_size = usize::from(group_ends[3]).max(1);
        TcBuilder {
            variant,
            heap,
            subs: Subnodes::new(),
            columns,
            group_ends,
            row_index,
            info,
            row_size,
            rows_per_block: (page_capacity(variant) / row_size).max(1),
            blocks: Vec::new(),
            rows: 0,
            positions: HashMap::new(),
            written_rows: Vec::new(),
            written_subnodes: Vec::new(),
        }
    }

    /// The column descriptors as they will be written (sorted by tag).
    pub fn columns(&self) -> &[TcColumn] {
        &self.columns
    }

    /// Bytes per row (`rgib[TCI_bm]`).
    pub fn row_size(&self) -> usize {
        self.row_size
    }

    /// Rows per block when the row matrix goes to a subnode:
    /// `floor(page_capacity / row_size)`.
    #[cfg(test)]
    pub(crate) fn rows_per_block(&self) -> usize {
        self.rows_per_block
    }

    /// Number of rows added (a repeated row id counts once).
    pub fn row_count(&self) -> usize {
        self.rows
    }

    /// Bytes of rows, heap pages and large values the builder holds in
    /// memory (its row-id index, about 12 bytes a row, not counted): after
    /// [`TcBuilder::flush`], a few pages whatever the row count.
    pub fn buffered_bytes(&self) -> usize {
        self.blocks.iter().map(Vec::len).sum::<usize>()
            + self.heap.held_bytes()
            + self.subs.plain.iter().map(|p| p.1.len()).sum::<usize>()
    }

    /// Keeps the subnode NIDs this builder hands out clear of `nid`, a
    /// subnode the caller adds to the same node itself.
    pub fn reserve_subnode(&mut self, nid: Nid) {
        self.subs.reserve(nid);
    }

    /// Adds a row. `row_id` is the row's `dwRowID` (its PidTagLtpRowId cell,
    /// always present); a PidTagLtpRowId entry in `cells` is ignored. Cells
    /// for columns not in `cells` are absent (CEB bit 0, bytes 0). A cell is
    /// stored only when its tag is a column and its value's type is the
    /// column's type; other entries are ignored. Fixed types of up to eight
    /// bytes sit in the row; GUIDs, objects and variable-size values go into
    /// the heap as an HNID (0 when empty), or a subnode when > 3580 bytes.
    ///
    /// Adding a row id again replaces that row in place (heap values of the
    /// old row stay allocated, unreferenced), unless [`TcBuilder::flush`]
    /// has written that row out. ANSI tables hold at most 65 536 rows,
    /// since their RowIndex stores positions in two bytes. Returns whether
    /// the row was stored: false for a new row past the ANSI limit or a
    /// written row given again.
    pub fn add_row(&mut self, row_id: u32, cells: &[(PropTag, PropValue)]) -> bool {
        self.add_row_encoded(
            row_id,
            cells
                .iter()
                .filter(|(t, v)| v.prop_type() == t.prop_type())
                .map(|(t, v)| (*t, encode_value(v))),
        )
    }

    /// As [`TcBuilder::add_row`], with each value already in its stored
    /// form ([`encode_value`]'s): rows kept encoded are not decoded and
    /// encoded again.
    pub fn add_row_encoded<B: AsRef<[u8]>>(
        &mut self,
        row_id: u32,
        cells: impl IntoIterator<Item = (PropTag, B)>,
    ) -> bool {
        let pos = match self.positions.get(&row_id) {
            Some(&p) => p as usize,
            None => {
                if self.variant == pstkit_ndb::Variant::Ansi && self.rows >= ANSI_MAX_ROWS {
                    return false;
                }
                self.rows
            }
        };
        let Some(block) = (pos / self.rows_per_block).checked_sub(self.written_rows.len()) else {
            return false;
        };
        let rs = self.row_size;
        let ceb = usize::from(self.group_ends[2]);
        let mut row = vec![0u8; rs];
        let set_bit = |row: &mut [u8], bit: u8| {
            if let Some(b) = row.get_mut(ceb + usize::from(bit / 8)) {
                *b |= 0x80 >> (bit % 8);
            }
        };
        row[..4.min(rs)].copy_from_slice(&row_id.to_le_bytes()[..4.min(rs)]);
        if let Ok(i) = self.columns.binary_search_by_key(&ROW_ID, |c| c.tag) {
            set_bit(&mut row, self.columns[i].bit);
        }
        for (tag, raw) in cells {
            if tag == ROW_ID {
                continue;
            }
            let Ok(i) = self.columns.binary_search_by_key(&tag, |c| c.tag) else {
                continue;
            };
            let col = self.columns[i];
            let raw = raw.as_ref();
            let hnid;
            let cell = if tag.prop_type().is_in_cell() {
                raw
            } else {
                hnid = store_hnid(&mut self.heap, &mut self.subs, raw.to_vec()).to_le_bytes();
                &hnid[..]
            };
            let start = usize::from(col.offset);
            let width = usize::from(col.size);
            if let Some(dst) = row.get_mut(start..start + width) {
                dst.fill(0);
                let n = width.min(cell.len());
                dst[..n].copy_from_slice(&cell[..n]);
            }
            set_bit(&mut row, col.bit);
        }
        let at = (pos % self.rows_per_block) * rs;
        if block == self.blocks.len() {
            self.blocks
                .push(Vec::with_capacity(self.rows_per_block * rs));
        }
        let Some(b) = self.blocks.get_mut(block) else {
            return false;
        };
        if pos == self.rows {
            b.extend_from_slice(&row);
            self.positions.insert(row_id, pos as u32);
            self.rows += 1;
            true
        } else if let Some(dst) = b.get_mut(at..at + rs) {
            dst.copy_from_slice(&row);
            true
        } else {
            false
        }
    }

    /// Writes to `w` what no later row can change: every full block of the
    /// row matrix (zero-padded, as [`TcBuilder::finish`] would lay it
    /// out), every full heap page but page 0 and the bitmap pages, and the
    /// subnodes of large values. [`TcBuilder::finish`] then reports them
    /// in [`NodeData::written`]. The rows written can no longer be
    /// replaced. Blocks written here belong to this table: a caller that
    /// drops the builder instead of finishing leaves them unreferenced.
    pub fn flush<W: Write + Seek>(&mut self, w: &mut NdbWriter<W>) -> pstkit_ndb::Result<()> {
        // Every block but the last is full.
        let cap = page_capacity(self.variant);
        let last = self.blocks.len().saturating_sub(1);
        for b in &mut self.blocks[..last] {
            b.resize(cap, 0);
            self.written_rows.push((w.add_block(b)?, cap));
            *b = Vec::new();
        }
        self.blocks.drain(..last);
        self.heap.flush(w)?;
        for (nid, bytes) in std::mem::take(&mut self.subs.plain) {
            self.written_subnodes
                .push((nid, w.add_stream(&bytes)?, bytes.len()));
        }
        Ok(())
    }

    /// Lays out what is left: the RowIndex BTH (`cbKey` 4, `cbEnt` 4, or 2
    /// in ANSI files) sorted by row id; the row matrix in one heap
    /// allocation when it is at most 3580 bytes, else in a subnode (type
    /// 0x1F) returned in [`NodeData::subnode_blocks`]: `rows_per_block`
    /// rows per block, every block but the last zero-padded to exactly
    /// [`page_capacity`] bytes (8176 U/4K, 8180 A), the last unpadded;
    /// and the TCINFO. An empty table has `hnidRows` 0 and an empty
    /// RowIndex (`hidRoot` 0).
    pub fn finish(self) -> NodeData {
        let TcBuilder {
            variant,
            mut heap,
            mut subs,
            columns,
            group_ends,
            row_index,
            info,
            mut blocks,
            rows,
            positions,
            written_rows,
            written_subnodes,
            ..
        } = self;
        let mut index: Vec<(u32, u32)> = positions.into_iter().collect();
        index.sort_unstable();
        let ent: u8 = if variant == Variant::Ansi { 2 } else { 4 };
        // `build_sorted` cuts the data to `ent` bytes.
        bth::build_sorted(
            &mut heap,
            row_index,
            4,
            ent,
            index
                .iter()
                .map(|&(id, pos)| (id.to_le_bytes(), pos.to_le_bytes())),
        );
        drop(index);

        let mut subnode_blocks = Vec::new();
        // One block never flushed is the whole matrix; the heap takes it
        // when it is at most `MAX_HEAP_ALLOC` bytes.
        let in_heap = match blocks.as_slice() {
            [only] if written_rows.is_empty() => heap.try_alloc(only),
            _ => None,
        };
        let rows_hnid = if rows == 0 {
            0
        } else if let Some(hid) = in_heap {
            hid.0
        } else {
            let cap = page_capacity(variant);
            let last = blocks.len().saturating_sub(1);
            for b in &mut blocks[..last] {
                b.resize(cap, 0);
            }
            let nid = subs.new_nid();
            subnode_blocks.push((nid, blocks));
            nid.0
        };

        let mut t = Vec::with_capacity(TCINFO_HEADER_SIZE + TCOLDESC_SIZE * columns.len());
        t.push(TCINFO_SIGNATURE);
        t.push(columns.len() as u8);
        for g in group_ends {
            t.extend_from_slice(&g.to_le_bytes());
        }
        t.extend_from_slice(&row_index.0.to_le_bytes());
        t.extend_from_slice(&rows_hnid.to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        for c in &columns {
            t.extend_from_slice(&c.tag.0.to_le_bytes());
            t.extend_from_slice(&c.offset.to_le_bytes());
            t.push(c.size);
            t.push(c.bit);
        }
        heap.fill(info, &t);
        let (pages, written_pages) = heap.finish_parts();
        NodeData {
            pages,
            subnodes: subs.plain,
            subnode_blocks,
            written: Written {
                pages: written_pages,
                subnodes: written_subnodes,
                rows: written_rows,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::Heap;
    use crate::tag::PropId;
    use crate::tc::TableContext;
    use std::borrow::Cow;

    fn col(tag: u32, offset: u16, size: u8, bit: u8) -> TcColumn {
        TcColumn {
            tag: PropTag(tag),
            offset,
            size,
            bit,
        }
    }

    /// Outlook's hierarchy table template (0x60D) layout.
    fn hierarchy_template() -> Vec<TcColumn> {
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

    fn read(variant: Variant, d: &NodeData) -> TableContext<'static> {
        let heap = Heap::from_blocks(
            Nid(0x12D),
            variant,
            d.pages.iter().cloned().map(Cow::Owned).collect(),
        )
        .unwrap();
        TableContext::from_heap(heap).unwrap()
    }

    #[test]
    fn computed_layout() {
        let b = TcBuilder::new(
            Variant::Unicode,
            &[
                PropTag(0x360A_000B),
                PropTag(0x3001_001F),
                PropTag(0x0E33_0014),
                PropTag(0x0017_0002),
                PropTag(0x3001_001F),
                PropTag(0x67F3_0003),
            ],
        );
        let got: Vec<(u32, u16, u8, u8)> = b
            .columns()
            .iter()
            .map(|c| (c.tag.0, c.offset, c.size, c.bit))
            .collect();
        assert_eq!(
            got,
            [
                (0x0017_0002, 20, 2, 4),
                (0x0E33_0014, 8, 8, 2),
                (0x3001_001F, 16, 4, 3),
                (0x360A_000B, 22, 1, 5),
                (0x67F2_0003, 0, 4, 0),
                (0x67F3_0003, 4, 4, 1),
            ]
        );
        assert_eq!(b.group_ends, [20, 22, 23, 24]);
        assert_eq!(b.row_size(), 24);
        assert_eq!(b.rows_per_block(), 8176 / 24);
    }

    #[test]
    fn outlook_template_layout_is_accepted_and_reproduced() {
        let b = TcBuilder::with_layout(Variant::Unicode, &hierarchy_template()).unwrap();
        assert_eq!(b.group_ends, [52, 52, 53, 55]);
        let d = b.finish();
        let tc = read(Variant::Unicode, &d);
        assert_eq!(tc.info().group_ends, [52, 52, 53, 55]);
        assert_eq!(tc.info().row_index, Hid(0x20));
        assert_eq!(tc.heap().user_root(), Hid(0x40));
        assert_eq!(tc.info().rows.0, 0);
        assert_eq!(tc.columns().len(), 13);
        assert_eq!(tc.columns()[4], col(0x3001_001F, 8, 4, 2));
        assert_eq!(tc.row_count(), 0);
        assert!(tc.row_index().unwrap().is_empty());

        let mut bad = hierarchy_template();
        bad[7].offset = 50; // the Boolean overlaps 0x6636's cell
        assert!(TcBuilder::with_layout(Variant::Unicode, &bad).is_none());
        let mut bad = hierarchy_template();
        bad[0].bit = 7; // bit used twice
        assert!(TcBuilder::with_layout(Variant::Unicode, &bad).is_none());
        let mut bad = hierarchy_template();
        bad[1].size = 4; // Int64 in a 4-byte cell
        assert!(TcBuilder::with_layout(Variant::Unicode, &bad).is_none());
        let mut bad = hierarchy_template();
        bad[11].offset = 56; // row id not first
        assert!(TcBuilder::with_layout(Variant::Unicode, &bad).is_none());
        assert!(TcBuilder::with_layout(Variant::Unicode, &[]).is_none());
    }

    /// Each rule of a given layout at its edge: the limit accepted, one
    /// past it refused.
    #[test]
    fn layout_rules_at_their_edges() {
        let v = Variant::Unicode;
        let int32 = |i: u32, offset: u16, bit: u8| col(0x6000_0003 + (i << 16), offset, 4, bit);
        // Column counts: 255 at most.
        let many = |n: usize| {
            let mut c = vec![col(0x67F2_0003, 0, 4, 0)];
            c.extend((1..n).map(|i| int32(i as u32, 4 * i as u16, i as u8)));
            c
        };
        assert_eq!(many(255).len(), MAX_COLUMNS);
        assert!(TcBuilder::with_layout(v, &many(255)).is_some());
        let mut past = many(255);
        past.push(col(0x7000_0003, 1020, 4, 255)); // sound but for the count
        assert!(TcBuilder::with_layout(v, &past).is_none());
        // The row id's cell: PidTagLtpRowId, at offset 0, four bytes wide.
        let swapped = [col(0x67F2_0003, 4, 4, 0), int32(1, 0, 1)];
        assert!(TcBuilder::with_layout(v, &swapped).is_none());
        let right = [col(0x67F2_0003, 0, 4, 0), int32(1, 4, 1)];
        assert!(TcBuilder::with_layout(v, &right).is_some());
        // A row (cells and bitmap) as large as a block's data, and one byte more.
        let cap = page_capacity(v);
        let wide = |offset: usize| [col(0x67F2_0003, 0, 4, 0), int32(1, offset as u16, 1)];
        let b = TcBuilder::with_layout(v, &wide(cap - 5)).unwrap();
        assert_eq!(b.row_size(), cap);
        assert!(TcBuilder::with_layout(v, &wide(cap - 4)).is_none());
        // Two-byte cells after every four- and eight-byte cell, one-byte
        // cells after every two-byte one, even in a gap between them.
        let gap = |size: u8, tag: u32| {
            [
                col(0x67F2_0003, 0, 4, 0),
                int32(1, 8, 1),
                col(tag, 4, size, 2),
            ]
        };
        assert!(TcBuilder::with_layout(v, &gap(2, 0x0017_0002)).is_none());
        assert!(TcBuilder::with_layout(v, &gap(1, 0x360A_000B)).is_none());
        let after = [
            col(0x67F2_0003, 0, 4, 0),
            col(0x0017_0002, 4, 2, 1),
            col(0x0018_0002, 8, 2, 2),
            col(0x360A_000B, 6, 1, 3),
        ];
        assert!(TcBuilder::with_layout(v, &after).is_none());
    }

    /// Subnode ids the caller reserves are not handed out for large values.
    #[test]
    fn a_reserved_subnode_id_is_skipped() {
        let bin = PropTag(0x1000_0102);
        let mut b = TcBuilder::new(Variant::Unicode, &[bin]);
        b.reserve_subnode(Nid(0x3F));
        b.add_row(1, &[(bin, PropValue::Binary(vec![7; 4000]))]);
        let d = b.finish();
        assert_eq!(d.subnodes.len(), 1);
        assert_eq!(d.subnodes[0].0, Nid(0x5F));
    }

    #[test]
    fn ansi_tables_stop_at_65536_rows_and_unicode_ones_do_not() {
        for (variant, last) in [(Variant::Ansi, false), (Variant::Unicode, true)] {
            let mut b = TcBuilder::new(variant, &[]);
            for id in 0..ANSI_MAX_ROWS as u32 {
                assert!(b.add_row(id, &[]));
            }
            assert_eq!(b.add_row(ANSI_MAX_ROWS as u32, &[]), last, "{variant:?}");
            // A row already there can still be replaced.
            assert!(b.add_row(7, &[]));
            assert_eq!(b.row_count(), ANSI_MAX_ROWS + usize::from(last));
        }
    }

    #[test]
    fn rows_in_the_heap_read_back() {
        for variant in [Variant::Ansi, Variant::Unicode, Variant::Unicode4k] {
            let mut b = TcBuilder::with_layout(variant, &hierarchy_template()).unwrap();
            let name = PropTag(0x3001_001F);
            for (id, n) in [(0x8042u32, "Search Root"), (0x8022, "Top"), (0x2223, "")] {
                b.add_row(
                    id,
                    &[
                        (name, PropValue::String(n.into())),
                        (PropTag(0x67F3_0003), PropValue::Int32(1)),
                        (PropTag(0x360A_000B), PropValue::Boolean(id == 0x8022)),
                        (PropTag(0x360A_0003), PropValue::Int32(5)), // not a column
                        (PropTag(0x3602_0003), PropValue::Int64(5)), // wrong type
                    ],
                );
            }
            b.add_row(0x8042, &[(name, PropValue::String("Search Root 2".into()))]);
            assert_eq!(b.row_count(), 3);
            let d = b.finish();
            assert!(d.subnode_blocks.is_empty());
            let tc = read(variant, &d);
            assert_eq!(tc.row_ids().unwrap(), [0x8042, 0x8022, 0x2223]);
            assert_eq!(
                tc.row_index().unwrap(),
                [(0x2223, 2), (0x8022, 1), (0x8042, 0)]
            );
            let r = tc.find_row(0x8022).unwrap().unwrap();
            assert_eq!(
                r.get(PropId(0x3001)).unwrap().unwrap(),
                PropValue::String("Top".into())
            );
            assert_eq!(
                r.get(PropId(0x360A)).unwrap().unwrap(),
                PropValue::Boolean(true)
            );
            assert!(r.get(PropId(0x3602)).is_none());
            assert_eq!(r.bytes()[53], 0xE4);
            let r = tc.find_row(0x8042).unwrap().unwrap();
            assert_eq!(r.cells().count(), 2);
            assert_eq!(
                r.get(PropId(0x3001)).unwrap().unwrap(),
                PropValue::String("Search Root 2".into())
            );
            let r = tc.find_row(0x2223).unwrap().unwrap();
            assert_eq!(
                r.get(PropId(0x3001)).unwrap().unwrap(),
                PropValue::String(String::new())
            );
            assert_eq!(&r.bytes()[8..12], &[0, 0, 0, 0]);
        }
    }
}
