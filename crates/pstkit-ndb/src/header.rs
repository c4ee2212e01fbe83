//! The file header ([MS-PST] 2.2.2.6), read for all three variants by one parser.

use nom::bytes::complete::take;
use nom::number::complete::{le_u16, le_u32, le_u64, le_u8};
use nom::IResult;

use crate::crc::crc;
use crate::error::{NdbError, Problem, Result, Structure};
use crate::{BRef, Bid, CryptMethod, Format, Ib, Variant};

/// `!BDN`, the first four bytes of every PST and OST.
pub const MAGIC: u32 = 0x4E44_4221;
/// Bytes the partial header CRC covers start here.
const CRC_START: usize = 8;
/// End of the partial header CRC range.
const CRC_PARTIAL_END: usize = 479;
/// End of the full header CRC range (Unicode only).
const CRC_FULL_END: usize = 524;

/// What kind of store a file is, from `wMagicClient`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Personal folders (`SM`).
    Pst,
    /// Offline folders (`SO`).
    Ost,
    /// Personal address book (`AB`).
    Pab,
}

impl FileKind {
    /// Decodes `wMagicClient`.
    pub fn from_magic(m: u16) -> Option<Self> {
        match m {
            0x4D53 => Some(Self::Pst),
            0x4F53 => Some(Self::Ost),
            0x4241 => Some(Self::Pab),
            _ => None,
        }
    }

    /// The `wMagicClient` value.
    pub fn magic(self) -> u16 {
        match self {
            Self::Pst => 0x4D53,
            Self::Ost => 0x4F53,
            Self::Pab => 0x4241,
        }
    }

    /// Short upper-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pst => "PST",
            Self::Ost => "OST",
            Self::Pab => "PAB",
        }
    }
}

/// A stored CRC and the one computed over its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrcCheck {
    /// CRC found in the file.
    pub stored: u32,
    /// CRC of the covered bytes.
    pub computed: u32,
}

impl CrcCheck {
    /// Whether the two agree.
    pub fn ok(&self) -> bool {
        self.stored == self.computed
    }
}

/// The ROOT structure: where the B-trees start and how large the file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Root {
    /// `ibFileEof`: the file size the header claims.
    pub file_eof: u64,
    /// Offset of the last AMap page.
    pub amap_last: u64,
    /// Free bytes in all AMaps.
    pub amap_free: u64,
    /// Free bytes in all PMaps (deprecated).
    pub pmap_free: u64,
    /// Root page of the node B-tree.
    pub nbt: BRef,
    /// Root page of the block B-tree.
    pub bbt: BRef,
    /// `fAMapValid`.
    pub amap_valid: u8,
}

/// A parsed header. Reserved fields Outlook uses privately are kept in `raw`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The variant, from `wVer`.
    pub format: Format,
    /// PST, OST or PAB.
    pub kind: FileKind,
    /// `wVer`.
    pub version: u16,
    /// `wVerClient`.
    pub client_version: u16,
    /// `bCryptMethod`.
    pub crypt: CryptMethod,
    /// Next block id to allocate.
    pub next_bid: Bid,
    /// Next page id to allocate.
    pub next_page_bid: Bid,
    /// `dwUnique`.
    pub unique: u32,
    /// Last allocated index per node type.
    pub nid_counters: [u32; 32],
    /// The ROOT.
    pub root: Root,
    /// Partial CRC (bytes 8..479).
    pub crc_partial: CrcCheck,
    /// Full CRC (bytes 8..524), Unicode variants only.
    pub crc_full: Option<CrcCheck>,
    /// `bSentinel` (must be 0x80).
    pub sentinel: u8,
    /// The header bytes as read, to preserve reserved fields on rewrite.
    pub raw: Vec<u8>,
}

fn id(i: &[u8], wide: bool) -> IResult<&[u8], u64> {
    if wide {
        le_u64(i)
    } else {
        le_u32(i).map(|(i, v)| (i, u64::from(v)))
    }
}

fn bref(i: &[u8], wide: bool) -> IResult<&[u8], BRef> {
    let (i, bid) = id(i, wide)?;
    let (i, ib) = id(i, wide)?;
    Ok((
        i,
        BRef {
            bid: Bid(bid),
            ib: Ib(ib),
        },
    ))
}

fn root(i: &[u8], wide: bool) -> IResult<&[u8], Root> {
    let (i, _reserved) = le_u32(i)?;
    let (i, file_eof) = id(i, wide)?;
    let (i, amap_last) = id(i, wide)?;
    let (i, amap_free) = id(i, wide)?;
    let (i, pmap_free) = id(i, wide)?;
    let (i, nbt) = bref(i, wide)?;
    let (i, bbt) = bref(i, wide)?;
    let (i, amap_valid) = le_u8(i)?;
    let (i, _) = take(3usize)(i)?;
    Ok((
        i,
        Root {
            file_eof,
            amap_last,
            amap_free,
            pmap_free,
            nbt,
            bbt,
            amap_valid,
        },
    ))
}

fn counters(mut i: &[u8]) -> IResult<&[u8], [u32; 32]> {
    let mut out = [0u32; 32];
    for slot in &mut out {
        let (rest, v) = le_u32(i)?;
        *slot = v;
        i = rest;
    }
    Ok((i, out))
}

fn corrupt(problem: Problem, offset: u64) -> NdbError {
    NdbError::corrupt(Structure::Header, None, Some(offset), problem)
}

fn truncated(needed: usize, available: usize) -> NdbError {
    corrupt(
        Problem::Truncated {
            needed: needed as u64,
            available: available as u64,
        },
        0,
    )
}

impl Header {
    /// Parses the header at the start of `data`. CRC mismatches are recorded,
    /// not raised, so that `info` can report them; [`Header::verify`] raises them.
    pub fn parse(data: &[u8]) -> Result<Header> {
        if data.len() < 14 {
            return Err(truncated(14, data.len()));
        }
        let magic = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        if magic != MAGIC {
            return Err(corrupt(Problem::BadMagic { found: magic }, 0));
        }
        let client = u16::from_le_bytes([data[8], data[9]]);
        let version = u16::from_le_bytes([data[10], data[11]]);
        let kind = FileKind::from_magic(client).ok_or_else(|| {
            corrupt(
                Problem::BadMagic {
                    found: u32::from(client),
                },
                8,
            )
        })?;
        let format = Format::from_version(version)
            .ok_or_else(|| corrupt(Problem::UnsupportedVersion(version), 10))?;
        if data.len() < format.header_size {
            return Err(truncated(format.header_size, data.len()));
        }
        let h = &data[..format.header_size];
        let wide = format.id_size == 8;
        let parsed = if wide {
            parse_unicode(h)
        } else {
            parse_ansi(h)
        };
        let (_, (mut header, crypt_byte)) =
            parsed.map_err(|_| corrupt(Problem::Invalid("malformed header"), 0))?;
        header.crypt = CryptMethod::from_byte(crypt_byte).ok_or_else(|| {
            let off = if wide { 513 } else { 461 };
            corrupt(Problem::UnsupportedCrypt(crypt_byte), off)
        })?;
        header.format = format;
        header.kind = kind;
        header.version = version;
        header.crc_partial.computed = crc(&h[CRC_START..CRC_PARTIAL_END]);
        if let Some(full) = header.crc_full.as_mut() {
            full.computed = crc(&h[CRC_START..CRC_FULL_END]);
        }
        header.raw = h.to_vec();
        Ok(header)
    }

    /// Raises the first CRC or sentinel problem of a parsed header.
    pub fn verify(&self) -> Result<()> {
        if !self.crc_partial.ok() {
            return Err(corrupt(
                Problem::Crc {
                    stored: self.crc_partial.stored,
                    computed: self.crc_partial.computed,
                },
                4,
            ));
        }
        if let Some(full) = self.crc_full {
            if !full.ok() {
                return Err(corrupt(
                    Problem::Crc {
                        stored: full.stored,
                        computed: full.computed,
                    },
                    524,
                ));
            }
        }
        if self.sentinel != 0x80 {
            let off = if self.format.id_size == 8 { 512 } else { 460 };
            return Err(corrupt(
                Problem::Size {
                    what: "sentinel byte",
                    expected: 0x80,
                    found: u64::from(self.sentinel),
                },
                off,
            ));
        }
        Ok(())
    }

    /// Whether a client-side password gate could be set: decided in the store
    /// layer; here only the variant's name for reports.
    pub fn variant_name(&self) -> &'static str {
        match self.format.variant {
            Variant::Ansi => "ANSI",
            Variant::Unicode => "Unicode",
            Variant::Unicode4k => "Unicode 4K",
        }
    }
}

fn blank(crc_partial: u32) -> Header {
    Header {
        format: Format::UNICODE,
        kind: FileKind::Pst,
        version: 0,
        client_version: 0,
        crypt: CryptMethod::None,
        next_bid: Bid(0),
        next_page_bid: Bid(0),
        unique: 0,
        nid_counters: [0; 32],
        root: Root::default(),
        crc_partial: CrcCheck {
            stored: crc_partial,
            computed: 0,
        },
        crc_full: None,
        sentinel: 0,
        raw: Vec::new(),
    }
}

fn parse_unicode(i: &[u8]) -> IResult<&[u8], (Header, u8)> {
    let (i, _magic) = le_u32(i)?;
    let (i, crc_partial) = le_u32(i)?;
    let (i, _client) = le_u16(i)?;
    let (i, _ver) = le_u16(i)?;
    let (i, client_version) = le_u16(i)?;
    let (i, _platforms) = take(2usize)(i)?;
    let (i, _reserved) = take(8usize)(i)?;
    let (i, _bid_unused) = le_u64(i)?;
    let (i, next_page_bid) = le_u64(i)?;
    let (i, unique) = le_u32(i)?;
    let (i, nid_counters) = counters(i)?;
    let (i, _unused) = le_u64(i)?;
    let (i, root) = root(i, true)?;
    let (i, _align) = le_u32(i)?;
    let (i, _fm_fp) = take(256usize)(i)?;
    let (i, sentinel) = le_u8(i)?;
    let (i, crypt) = le_u8(i)?;
    let (i, _reserved) = le_u16(i)?;
    let (i, next_bid) = le_u64(i)?;
    let (i, crc_full) = le_u32(i)?;
    let mut h = blank(crc_partial);
    h.client_version = client_version;
    h.next_page_bid = Bid(next_page_bid);
    h.unique = unique;
    h.nid_counters = nid_counters;
    h.root = root;
    h.sentinel = sentinel;
    h.next_bid = Bid(next_bid);
    h.crc_full = Some(CrcCheck {
        stored: crc_full,
        computed: 0,
    });
    Ok((i, (h, crypt)))
}

fn parse_ansi(i: &[u8]) -> IResult<&[u8], (Header, u8)> {
    let (i, _magic) = le_u32(i)?;
    let (i, crc_partial) = le_u32(i)?;
    let (i, _client) = le_u16(i)?;
    let (i, _ver) = le_u16(i)?;
    let (i, client_version) = le_u16(i)?;
    let (i, _platforms) = take(2usize)(i)?;
    let (i, _reserved) = take(8usize)(i)?;
    let (i, next_bid) = le_u32(i)?;
    let (i, next_page_bid) = le_u32(i)?;
    let (i, unique) = le_u32(i)?;
    let (i, nid_counters) = counters(i)?;
    let (i, root) = root(i, false)?;
    let (i, _fm_fp) = take(256usize)(i)?;
    let (i, sentinel) = le_u8(i)?;
    let (i, crypt) = le_u8(i)?;
    let mut h = blank(crc_partial);
    h.client_version = client_version;
    h.next_bid = Bid(u64::from(next_bid));
    h.next_page_bid = Bid(u64::from(next_page_bid));
    h.unique = unique;
    h.nid_counters = nid_counters;
    h.root = root;
    h.sentinel = sentinel;
    Ok((i, (h, crypt)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_header_is_read_from_exactly_its_bytes() {
        let file = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/mailbox.pst"
        ))
        .unwrap();
        let size = Header::parse(&file).unwrap().format.header_size;
        let truncated = |len: usize| {
            Header::parse(&file[..len])
                .err()
                .and_then(|e| e.corruption().map(|c| c.problem.clone()))
        };
        let want = |needed: usize, available: usize| {
            Some(Problem::Truncated {
                needed: needed as u64,
                available: available as u64,
            })
        };
        // Too short for the fields that say how long the header is.
        assert_eq!(truncated(13), want(14, 13));
        // Long enough for those, not for the rest.
        assert_eq!(truncated(14), want(size, 14));
        assert_eq!(truncated(size - 1), want(size, size - 1));
        assert_eq!(truncated(size), None);
        assert_eq!(
            Header::parse(&file[..size]).unwrap().format.header_size,
            size
        );
    }

    #[test]
    fn a_wrong_sentinel_is_reported_where_each_variant_keeps_it() {
        for (f, at, name) in [
            (Format::ANSI, 460, "ANSI"),
            (Format::UNICODE, 512, "Unicode"),
            (Format::UNICODE_4K, 512, "Unicode 4K"),
        ] {
            let w = crate::write::NdbWriter::in_memory(f, CryptMethod::None, FileKind::Pst);
            let mut h = Header::parse(&w.finish_bytes()).unwrap();
            assert_eq!(h.variant_name(), name);
            h.verify().unwrap();
            h.sentinel = 0x81;
            let e = h.verify().unwrap_err();
            let c = e.corruption().unwrap();
            assert_eq!(c.offset, Some(at), "{name}");
            assert_eq!(
                c.problem,
                Problem::Size {
                    what: "sentinel byte",
                    expected: 0x80,
                    found: 0x81
                }
            );
        }
    }

    #[test]
    fn client_magics_and_names() {
        // wMagicClient: "SM", "SO", "AB" as little-endian words.
        for (kind, magic, name) in [
            (FileKind::Pst, 0x4D53, "PST"),
            (FileKind::Ost, 0x4F53, "OST"),
            (FileKind::Pab, 0x4241, "PAB"),
        ] {
            assert_eq!(FileKind::from_magic(magic), Some(kind));
            assert_eq!(kind.magic(), magic);
            assert_eq!(kind.name(), name);
        }
        assert_eq!(FileKind::from_magic(0x4E53), None);
    }

    #[test]
    fn rejects_bad_magic_and_truncation() {
        let e = Header::parse(b"NOPE").unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let mut d = vec![0u8; 600];
        d[..4].copy_from_slice(b"XBDN");
        let e = Header::parse(&d).unwrap_err();
        assert!(e.to_string().contains("bad magic"), "{e}");
    }

    #[test]
    fn rejects_unknown_version() {
        let mut d = vec![0u8; 600];
        d[..4].copy_from_slice(b"!BDN");
        d[8..10].copy_from_slice(b"SM");
        d[10..12].copy_from_slice(&99u16.to_le_bytes());
        let e = Header::parse(&d).unwrap_err();
        assert!(e.to_string().contains("version 99"), "{e}");
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..700)) {
            let _ = Header::parse(&data);
        }

        #[test]
        fn never_panics_with_magic(mut data in proptest::collection::vec(any::<u8>(), 12..700), v in prop::sample::select(vec![14u16, 15, 23, 36])) {
            data[..4].copy_from_slice(b"!BDN");
            data[8..10].copy_from_slice(b"SM");
            data[10..12].copy_from_slice(&v.to_le_bytes());
            if let Ok(h) = Header::parse(&data) { let _ = h.verify(); }
        }
    }
}
