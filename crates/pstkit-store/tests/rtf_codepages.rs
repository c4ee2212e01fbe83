//! The RTF crate keeps its own table of Windows code pages (it stands
//! without the rest of pstkit); it must name the same encoding as the
//! property layer's for every code page.

#[test]
fn rtf_and_property_code_pages_agree() {
    for cp in 0..=70_000 {
        assert_eq!(
            pstkit_rtf::codepage::encoding_for_codepage(cp),
            pstkit_ltp::encoding_for_codepage(cp),
            "code page {cp}"
        );
    }
}
