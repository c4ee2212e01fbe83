//! Column sets of the tables a store writes ([MS-PST] 2.4.8.3, as Outlook
//! lays them out in a new file).

use pstkit_ltp::PropTag;

const fn t(v: u32) -> PropTag {
    PropTag(v)
}

/// Folder hierarchy table (template 0x60D).
pub const HIERARCHY: &[PropTag] = &[
    t(0x0E30_0102),
    t(0x0E33_0014),
    t(0x0E34_0102),
    t(0x0E38_0003),
    t(0x3001_001F),
    t(0x3602_0003),
    t(0x3603_0003),
    t(0x360A_000B),
    t(0x3613_001F),
    t(0x6635_0003),
    t(0x6636_0003),
    t(0x67F2_0003),
    t(0x67F3_0003),
];

/// Folder contents table (template 0x60E).
pub const CONTENTS: &[PropTag] = &[
    t(0x0017_0003),
    t(0x001A_001F),
    t(0x0036_0003),
    t(0x0037_001F),
    t(0x0039_0040),
    t(0x0042_001F),
    t(0x0057_000B),
    t(0x0058_000B),
    t(0x0070_001F),
    t(0x0071_0102),
    t(0x0E03_001F),
    t(0x0E04_001F),
    t(0x0E06_0040),
    t(0x0E07_0003),
    t(0x0E08_0003),
    t(0x0E17_0003),
    t(0x0E30_0102),
    t(0x0E33_0014),
    t(0x0E34_0102),
    t(0x0E38_0003),
    t(0x0E3C_0102),
    t(0x0E3D_0102),
    t(0x1097_0003),
    t(0x3008_0040),
    t(0x3013_0102),
    t(0x65C6_0003),
    t(0x67F2_0003),
    t(0x67F3_0003),
];

/// Folder associated-contents table (template 0x60F).
pub const ASSOC_CONTENTS: &[PropTag] = &[
    t(0x001A_001F),
    t(0x0E07_0003),
    t(0x0E17_0003),
    t(0x3001_001F),
    t(0x67F2_0003),
    t(0x67F3_0003),
    t(0x6800_001F),
    t(0x6803_000B),
    t(0x6805_1003),
    t(0x682F_001F),
    t(0x7003_0003),
    t(0x7004_0102),
    t(0x7005_0102),
    t(0x7006_001F),
    t(0x7007_0003),
];

/// Search folder contents table (template 0x610).
pub const SEARCH_CONTENTS: &[PropTag] = &[
    t(0x0017_0003),
    t(0x001A_001F),
    t(0x0036_0003),
    t(0x0037_001F),
    t(0x0042_001F),
    t(0x0057_000B),
    t(0x0058_000B),
    t(0x0E03_001F),
    t(0x0E04_001F),
    t(0x0E05_001F),
    t(0x0E06_0040),
    t(0x0E07_0003),
    t(0x0E08_0003),
    t(0x0E17_0003),
    t(0x0E2A_000B),
    t(0x3008_0040),
    t(0x67F1_0003),
    t(0x67F2_0003),
    t(0x67F3_0003),
];

/// Message recipient table (template 0x692), plus the SMTP address readers use.
pub const RECIPIENTS: &[PropTag] = &[
    t(0x0C15_0003),
    t(0x0E0F_000B),
    t(0x0FF9_0102),
    t(0x0FFE_0003),
    t(0x0FFF_0102),
    t(0x3001_001F),
    t(0x3002_001F),
    t(0x3003_001F),
    t(0x300B_0102),
    t(0x3900_0003),
    t(0x39FE_001F),
    t(0x39FF_001F),
    t(0x3A40_000B),
    t(0x67F2_0003),
    t(0x67F3_0003),
];

/// Message attachment table (template 0x671), plus the long file name.
pub const ATTACHMENTS: &[PropTag] = &[
    t(0x0E20_0003),
    t(0x3704_001F),
    t(0x3705_0003),
    t(0x3707_001F),
    t(0x370B_0003),
    t(0x67F2_0003),
    t(0x67F3_0003),
];
