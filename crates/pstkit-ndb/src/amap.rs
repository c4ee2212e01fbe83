//! The allocation-map layout of ANSI and Unicode files ([MS-PST] 2.2.2.7
//! and 2.6.1): where the AMap, PMap, FMap and FPMap pages lie and what
//! they cover. The reader's check, the writer and the recovery scan all
//! take it from here. 4K files place their maps otherwise (not public).

use crate::page::PageType;
use crate::Variant;

/// Offset of the first allocation map page in ANSI and Unicode files.
pub const FIRST_AMAP: u64 = 0x4400;
/// Bytes covered by one allocation map page.
pub const AMAP_SPAN: u64 = 0x3E000;
/// The first AMap span that carries a free map (the header covers 0..128).
pub const FIRST_FMAP_SPAN: u64 = 128;
/// AMap spans covered by one free map page.
pub const FMAP_STRIDE: u64 = 496;
/// The first AMap span that carries a free page map (the header covers 1024 PMaps).
pub const FIRST_FPMAP_SPAN: u64 = 8192;
/// AMap spans covered by one free page map page.
pub const FPMAP_STRIDE: u64 = 31744;

/// The map pages at the start of AMap span `n`, in order, with their offsets
/// from the span start ([MS-PST] 2.6.1 placement, as outlook-pst writes it):
/// the AMap; a PMap every 8 spans; a free map at span 128 and every 496
/// after; a free page map at span 8192 and every 31744 after (at +0x600).
pub(crate) fn span_maps(n: u64) -> Vec<(PageType, u64)> {
    let mut m = vec![(PageType::AMap, 0)];
    if n.is_multiple_of(8) {
        m.push((PageType::PMap, 0x200));
    }
    if n >= FIRST_FMAP_SPAN && (n - FIRST_FMAP_SPAN).is_multiple_of(FMAP_STRIDE) {
        m.push((PageType::FMap, 0x400));
    }
    if n >= FIRST_FPMAP_SPAN && (n - FIRST_FPMAP_SPAN).is_multiple_of(FPMAP_STRIDE) {
        m.push((PageType::FPMap, 0x600));
    }
    m
}

/// Where the bits of an allocation-map page start: ANSI map pages begin
/// with 4 bytes of padding ([MS-PST] 2.2.2.7.2).
pub fn map_bits_at(f: crate::Format) -> usize {
    if f.variant == Variant::Ansi {
        4
    } else {
        0
    }
}

/// Bytes reserved for map pages at the start of span `n`.
pub(crate) fn span_reserved(n: u64) -> u64 {
    span_maps(n).last().map_or(0x200, |(_, off)| off + 0x200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_pages_fall_where_the_spec_places_them() {
        let kinds = |n| span_maps(n).into_iter().map(|(t, _)| t).collect::<Vec<_>>();
        use PageType::*;
        assert_eq!(kinds(0), [AMap, PMap]);
        assert_eq!(kinds(1), [AMap]);
        assert_eq!(kinds(8), [AMap, PMap]);
        // The first free map at span 128, then every 496 spans.
        assert_eq!(kinds(127), [AMap]);
        assert_eq!(kinds(128), [AMap, PMap, FMap]);
        assert_eq!(kinds(129), [AMap]);
        assert_eq!(kinds(128 + 496), [AMap, PMap, FMap]);
        assert_eq!(kinds(128 + 495), [AMap]);
        assert_eq!(kinds(128 + 497), [AMap]);
        // The first free page map at span 8192, then every 31744.
        assert_eq!(kinds(8191), [AMap]);
        assert_eq!(kinds(8192), [AMap, PMap, FPMap]);
        assert_eq!(kinds(8193), [AMap]);
        assert_eq!(kinds(8192 + 31744), [AMap, PMap, FPMap]);
        assert_eq!(kinds(8192 + 31743), [AMap]);
        // A free page map has its own place after the free map's.
        assert_eq!(
            span_maps(8192)
                .into_iter()
                .map(|(_, o)| o)
                .collect::<Vec<_>>(),
            [0, 0x200, 0x600]
        );
        assert_eq!(span_reserved(8192), 0x800);
        assert_eq!(span_reserved(1), 0x200);
        assert_eq!(span_reserved(128), 0x600);
    }
}
