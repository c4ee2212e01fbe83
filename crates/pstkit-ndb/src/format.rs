//! The description of a file-format variant that drives the one parser and writer.
//!
//! ANSI, Unicode and the 4K-page OST differ in widths and offsets, not in logic,
//! so every structure reads its sizes from a [`Format`] instead of being copied
//! per variant.

/// Which of the three on-disk variants a file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// 32-bit ids and offsets, 512-byte pages (`wVer` 14 or 15).
    Ansi,
    /// 64-bit ids and offsets, 512-byte pages (`wVer` 23).
    Unicode,
    /// Outlook 2013+ OST: 64-bit ids, 4096-byte pages, zlib-compressed blocks (`wVer` 36).
    Unicode4k,
}

/// Sizes and offsets of one variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// The variant described.
    pub variant: Variant,
    /// Width of a BID or IB field (4 or 8).
    pub id_size: usize,
    /// Size of the file header.
    pub header_size: usize,
    /// Size of a page.
    pub page_size: usize,
    /// Size of a page trailer.
    pub page_trailer_size: usize,
    /// Size of a block trailer.
    pub block_trailer_size: usize,
    /// Blocks are allocated in multiples of this many bytes.
    pub block_align: usize,
    /// The largest block, trailer included.
    pub max_block_size: usize,
    /// Width of the `cEnt`/`cEntMax` fields of a B-tree page.
    pub bt_count_size: usize,
}

impl Format {
    /// ANSI PST/OST.
    pub const ANSI: Format = Format {
        variant: Variant::Ansi,
        id_size: 4,
        header_size: 512,
        page_size: 512,
        page_trailer_size: 12,
        block_trailer_size: 12,
        block_align: 64,
        max_block_size: 8192,
        bt_count_size: 1,
    };

    /// Unicode PST/OST.
    pub const UNICODE: Format = Format {
        variant: Variant::Unicode,
        id_size: 8,
        header_size: 564,
        page_size: 512,
        page_trailer_size: 16,
        block_trailer_size: 16,
        block_align: 64,
        max_block_size: 8192,
        bt_count_size: 1,
    };

    /// Outlook 2013+ 4K-page OST.
    pub const UNICODE_4K: Format = Format {
        variant: Variant::Unicode4k,
        id_size: 8,
        header_size: 564,
        page_size: 4096,
        page_trailer_size: 24,
        block_trailer_size: 24,
        block_align: 512,
        max_block_size: 65536,
        bt_count_size: 2,
    };

    /// The description of a variant.
    pub fn of(variant: Variant) -> Format {
        match variant {
            Variant::Ansi => Self::ANSI,
            Variant::Unicode => Self::UNICODE,
            Variant::Unicode4k => Self::UNICODE_4K,
        }
    }

    /// Chooses the variant from the header's `wVer`, following libpff's ranges
    /// (21 was written by a recovery tool; 37 by WIP-aware Outlook).
    pub fn from_version(w_ver: u16) -> Option<Format> {
        match w_ver {
            14 | 15 => Some(Self::ANSI),
            21..=35 => Some(Self::UNICODE),
            36 => Some(Self::UNICODE_4K),
            37 => Some(Self::UNICODE),
            _ => None,
        }
    }

    /// Whether blocks of this variant may be zlib-compressed.
    pub fn has_compression(&self) -> bool {
        self.variant == Variant::Unicode4k
    }

    /// Bytes of a page before its trailer (the area its CRC covers).
    pub fn page_body(&self) -> usize {
        self.page_size - self.page_trailer_size
    }

    /// Size of the B-tree page entry area.
    pub fn bt_entries_size(&self) -> usize {
        match self.variant {
            Variant::Ansi => 496,
            Variant::Unicode => 488,
            Variant::Unicode4k => 4056,
        }
    }

    /// Size of an intermediate B-tree entry (key + BREF).
    pub fn btentry_size(&self) -> usize {
        3 * self.id_size
    }

    /// Natural size of a BBT leaf entry.
    pub fn bbtentry_size(&self) -> usize {
        match self.variant {
            Variant::Ansi => 12,
            Variant::Unicode | Variant::Unicode4k => 24,
        }
    }

    /// Natural size of an NBT leaf entry.
    pub fn nbtentry_size(&self) -> usize {
        match self.variant {
            Variant::Ansi => 16,
            Variant::Unicode | Variant::Unicode4k => 32,
        }
    }

    /// Largest payload of one data block.
    pub fn max_block_data(&self) -> usize {
        self.max_block_size - self.block_trailer_size
    }

    /// On-disk size of a block holding `cb` stored bytes.
    pub fn block_size(&self, cb: usize) -> usize {
        (cb + self.block_trailer_size).div_ceil(self.block_align) * self.block_align
    }

    /// Offset of the entries in an SLBLOCK/SIBLOCK (a padding dword in 64-bit files).
    pub fn subnode_header_size(&self) -> usize {
        if self.id_size == 4 {
            4
        } else {
            8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_consistent() {
        for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
            assert_eq!(f.page_body() + f.page_trailer_size, f.page_size);
            assert!(f.bt_entries_size() < f.page_body());
        }
        assert_eq!(Format::UNICODE.block_size(236), 256);
        assert_eq!(Format::UNICODE.block_size(432), 448);
        assert_eq!(Format::UNICODE_4K.block_size(1), 512);
        assert_eq!(Format::from_version(23), Some(Format::UNICODE));
        // Every wVer libpff accepts, and its neighbours it does not.
        for (w_ver, f) in [
            (13, None),
            (14, Some(Format::ANSI)),
            (15, Some(Format::ANSI)),
            (16, None),
            (20, None),
            (21, Some(Format::UNICODE)),
            (35, Some(Format::UNICODE)),
            (36, Some(Format::UNICODE_4K)),
            (37, Some(Format::UNICODE)),
            (38, None),
        ] {
            assert_eq!(Format::from_version(w_ver), f, "{w_ver}");
        }
        assert_eq!(Format::from_version(36), Some(Format::UNICODE_4K));
        assert_eq!(Format::from_version(14), Some(Format::ANSI));
        assert_eq!(Format::from_version(99), None);
    }
}
