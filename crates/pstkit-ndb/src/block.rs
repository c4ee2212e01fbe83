//! Blocks ([MS-PST] 2.2.2.8): trailers, verification, decoding, and the
//! internal blocks of data trees and subnode trees.

use std::borrow::Cow;
use std::io::Read;

use byteorder::{ByteOrder, LittleEndian as LE};

use crate::btree::BbtEntry;
use crate::crc::crc;
use crate::error::{NdbError, Problem, Result, Structure};
use crate::page::compute_sig;
use crate::{Bid, CryptMethod, Format, Nid, Variant};

/// A decoded block trailer.
///
/// The 4K trailer is 24 bytes: the Unicode fields, then a u16 at 16, the
/// inflated size (u16) at 18 and a u32 at 20. Outlook's one block on record
/// (`fixtures/real-4k-pages/block_raw.raw`, uncompressed and unencoded) has
/// 2 at 16 and 0 at 20. No reference says what the u16 at 16 means or when
/// it changes: libpff names it `unknown1` (`libpff/pff_block.h`) and only
/// prints it, XstReader `unknown1`, artemis `_unknown`, pstreader reads
/// bytes 16-23 as unused, and [MS-PST] does not cover the 4K format. So the
/// reader ignores it, and the writer leaves it 0 rather than guess a value
/// for compressed, encoded or internal blocks from a single sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockTrailer {
    /// Stored bytes.
    pub cb: u16,
    /// `wSig`.
    pub sig: u16,
    /// CRC of the stored bytes.
    pub crc: u32,
    /// The block's id.
    pub bid: Bid,
    /// Inflated size (4K only; 0 elsewhere).
    pub inflated: u16,
}

impl BlockTrailer {
    /// Reads a trailer from its `block_trailer_size` bytes.
    pub fn parse(t: &[u8], f: Format) -> Self {
        match f.variant {
            Variant::Ansi => BlockTrailer {
                cb: LE::read_u16(t),
                sig: LE::read_u16(&t[2..]),
                bid: Bid(u64::from(LE::read_u32(&t[4..]))),
                crc: LE::read_u32(&t[8..]),
                inflated: 0,
            },
            Variant::Unicode | Variant::Unicode4k => BlockTrailer {
                cb: LE::read_u16(t),
                sig: LE::read_u16(&t[2..]),
                crc: LE::read_u32(&t[4..]),
                bid: Bid(LE::read_u64(&t[8..])),
                inflated: if f.has_compression() {
                    LE::read_u16(&t[18..])
                } else {
                    0
                },
            },
        }
    }

    /// Writes a trailer into its `block_trailer_size` bytes.
    pub fn write(&self, t: &mut [u8], f: Format) {
        LE::write_u16(t, self.cb);
        LE::write_u16(&mut t[2..], self.sig);
        match f.variant {
            Variant::Ansi => {
                LE::write_u32(&mut t[4..], self.bid.0 as u32);
                LE::write_u32(&mut t[8..], self.crc);
            }
            Variant::Unicode | Variant::Unicode4k => {
                LE::write_u32(&mut t[4..], self.crc);
                LE::write_u64(&mut t[8..], self.bid.0);
                if f.has_compression() {
                    t[16..24].fill(0);
                    LE::write_u16(&mut t[18..], self.inflated);
                }
            }
        }
    }
}

/// Slices a block's stored bytes out of the file and verifies its trailer
/// against the BBT entry: size, id, signature and CRC.
pub fn read_stored<'a>(data: &'a [u8], f: Format, e: &BbtEntry) -> Result<&'a [u8]> {
    read_stored_crc(data, f, e).map(|(s, _)| s)
}

/// As [`read_stored`], also returning the trailer's CRC (which the bytes
/// were checked against), so a copy needs no second CRC pass.
pub(crate) fn read_stored_crc<'a>(
    data: &'a [u8],
    f: Format,
    e: &BbtEntry,
) -> Result<(&'a [u8], u32)> {
    read_stored_with(data, f, e, true)
}

/// As [`read_stored_crc`]; without `check_crc` the bytes are not read, only
/// the trailer (for blocks a full check has just verified).
pub(crate) fn read_stored_with<'a>(
    data: &'a [u8],
    f: Format,
    e: &BbtEntry,
    check_crc: bool,
) -> Result<(&'a [u8], u32)> {
    let bid = e.bref.bid;
    let ib = e.bref.ib;
    let structure = if bid.is_internal() {
        Structure::DataTree
    } else {
        Structure::DataBlock
    };
    let err = |p| NdbError::corrupt(structure, Some(bid.0), Some(ib.0), p);
    let cb = usize::from(e.cb);
    if cb + f.block_trailer_size > f.max_block_size {
        return Err(err(Problem::Size {
            what: "block size (cb)",
            expected: f.max_block_data() as u64,
            found: cb as u64,
        }));
    }
    let size = f.block_size(cb) as u64;
    let len = data.len() as u64;
    let end = ib.0.checked_add(size).filter(|&e| e <= len);
    let Some(end) = end else {
        return Err(err(Problem::Truncated {
            needed: size,
            available: len.saturating_sub(ib.0),
        }));
    };
    let block = &data[ib.0 as usize..end as usize];
    let t = BlockTrailer::parse(&block[block.len() - f.block_trailer_size..], f);
    // A trailer whose size alone disagrees with the BBT, while its id,
    // signature and CRC prove the BBT's size, is read at that size.
    if t.cb != e.cb && !(t.bid.key() == bid.key() && sig_and_crc_hold(block, ib, &t, cb)) {
        return Err(err(Problem::Size {
            what: "block trailer cb",
            expected: u64::from(e.cb),
            found: u64::from(t.cb),
        }));
    }
    if t.bid.key() != bid.key() {
        return Err(err(Problem::IdMismatch {
            expected: bid.0,
            found: t.bid.0,
        }));
    }
    let stored = &block[..cb];
    let computed = if check_crc { crc(stored) } else { t.crc };
    if computed != t.crc {
        return Err(err(Problem::Crc {
            stored: t.crc,
            computed,
        }));
    }
    let sig = compute_sig(ib, t.bid);
    if sig != t.sig {
        return Err(err(Problem::Signature {
            stored: t.sig,
            computed: sig,
        }));
    }
    if f.has_compression() && t.inflated != 0 && e.inflated != 0 && t.inflated != e.inflated {
        return Err(err(Problem::Size {
            what: "inflated size in trailer",
            expected: u64::from(e.inflated),
            found: u64::from(t.inflated),
        }));
    }
    Ok((stored, t.crc))
}

/// Whether a trailer's signature and CRC hold for the block's first `cb`
/// bytes at `ib`.
fn sig_and_crc_hold(block: &[u8], ib: crate::Ib, t: &BlockTrailer, cb: usize) -> bool {
    compute_sig(ib, t.bid) == t.sig && crc(&block[..cb]) == t.crc
}

/// The trailer of the block an entry describes, when the file holds it.
pub(crate) fn trailer_of(data: &[u8], f: Format, e: &BbtEntry) -> Option<BlockTrailer> {
    let end = e
        .bref
        .ib
        .0
        .checked_add(f.block_size(usize::from(e.cb)) as u64)?;
    let end = usize::try_from(end).ok().filter(|&x| x <= data.len())?;
    Some(BlockTrailer::parse(
        &data[end - f.block_trailer_size..end],
        f,
    ))
}

/// Whether the block an entry describes is stored deflated (4K files only:
/// a block that deflate would not shrink is stored as it is).
pub fn is_compressed(f: Format, e: &BbtEntry) -> bool {
    f.has_compression() && e.inflated != 0 && e.inflated != e.cb
}

/// Turns stored bytes into plain bytes: decodes external blocks per the crypt
/// method (keyed by the low 32 bits of the id), then inflates compressed 4K
/// blocks, never past the size the BBT announces.
pub fn decode<'a>(
    stored: &'a [u8],
    f: Format,
    crypt: CryptMethod,
    e: &BbtEntry,
) -> Result<Cow<'a, [u8]>> {
    let bid = e.bref.bid;
    let mut out = Cow::Borrowed(stored);
    if !bid.is_internal() && !matches!(crypt, CryptMethod::None) {
        if crypt == CryptMethod::Edp {
            return Err(NdbError::corrupt(
                Structure::DataBlock,
                Some(bid.0),
                Some(e.bref.ib.0),
                Problem::UnsupportedCrypt(crypt.to_byte()),
            ));
        }
        crypt.decode(out.to_mut(), bid.0 as u32);
    }
    if is_compressed(f, e) {
        let want = usize::from(e.inflated);
        let mut buf = Vec::with_capacity(want);
        let mut z = flate2::read::ZlibDecoder::new(&out[..]).take(want as u64 + 1);
        let err = |p| NdbError::corrupt(Structure::DataBlock, Some(bid.0), Some(e.bref.ib.0), p);
        z.read_to_end(&mut buf)
            .map_err(|x| err(Problem::Inflate(x.to_string())))?;
        if buf.len() != want {
            return Err(err(Problem::Size {
                what: "inflated block size",
                expected: want as u64,
                found: buf.len() as u64,
            }));
        }
        out = Cow::Owned(buf);
    }
    Ok(out)
}

/// [`decode`] appended to `out`: an uncompressed external block is copied
/// once and decoded where it lands, with no buffer of its own (reading a
/// stream of many blocks into one buffer then copies each byte once).
pub(crate) fn decode_append(
    stored: &[u8],
    f: Format,
    crypt: CryptMethod,
    e: &BbtEntry,
    out: &mut Vec<u8>,
) -> Result<()> {
    if is_compressed(f, e) || e.bref.bid.is_internal() || crypt == CryptMethod::Edp {
        out.extend_from_slice(&decode(stored, f, crypt, e)?);
        return Ok(());
    }
    let start = out.len();
    out.extend_from_slice(stored);
    crypt.decode(&mut out[start..], e.bref.bid.0 as u32);
    Ok(())
}

/// The header of an XBLOCK or XXBLOCK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XBlockHeader {
    /// 1 for XBLOCK, 2 for XXBLOCK.
    pub level: u8,
    /// Number of child ids.
    pub count: usize,
    /// Bytes of the whole stream below this block.
    pub total: u32,
}

/// Parses an XBLOCK/XXBLOCK and checks its entries fit.
pub fn parse_xblock(b: &[u8], f: Format) -> Result<XBlockHeader, Problem> {
    if b.len() < 8 {
        return Err(Problem::Truncated {
            needed: 8,
            available: b.len() as u64,
        });
    }
    if b[0] != 0x01 {
        return Err(Problem::Invalid("data tree block type is not 0x01"));
    }
    let h = XBlockHeader {
        level: b[1],
        count: usize::from(LE::read_u16(&b[2..])),
        total: LE::read_u32(&b[4..]),
    };
    if !(1..=2).contains(&h.level) {
        return Err(Problem::Size {
            what: "data tree level",
            expected: 2,
            found: u64::from(h.level),
        });
    }
    if 8 + h.count * f.id_size > b.len() {
        return Err(Problem::Size {
            what: "data tree entry count",
            expected: ((b.len() - 8) / f.id_size) as u64,
            found: h.count as u64,
        });
    }
    Ok(h)
}

/// The i-th id of an XBLOCK/XXBLOCK.
pub fn xblock_bid(b: &[u8], f: Format, i: usize) -> Bid {
    read_id(&b[8 + i * f.id_size..], f)
}

fn read_id(b: &[u8], f: Format) -> Bid {
    if f.id_size == 4 {
        Bid(u64::from(LE::read_u32(b)))
    } else {
        Bid(LE::read_u64(b))
    }
}

/// An entry of a subnode tree leaf (SLENTRY).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubnodeEntry {
    /// The subnode's id, local to its parent node.
    pub nid: Nid,
    /// Its data.
    pub data: Bid,
    /// Its own subnodes, or 0.
    pub sub: Bid,
}

/// How deep subnode trees may nest (a subnode's own subnodes, and theirs):
/// each embedded message adds two levels (its attachment, then the message),
/// so this leaves room for `pstkit_store::MAX_EMBED_DEPTH` (32) and more.
/// Deeper is a loop or garbage. The reader, the checker and the moved-item
/// copy all stop here, so that what one accepts the others accept.
pub const MAX_SUBNODE_DEPTH: usize = 128;

/// The header of an SLBLOCK/SIBLOCK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubnodeHeader {
    /// 0 for SLBLOCK, 1 for SIBLOCK.
    pub level: u8,
    /// Number of entries.
    pub count: usize,
}

impl SubnodeHeader {
    /// Size of one entry at this level.
    pub fn entry_size(&self, f: Format) -> usize {
        if self.level == 0 {
            3 * f.id_size
        } else {
            2 * f.id_size
        }
    }
}

/// Parses an SLBLOCK/SIBLOCK and checks its entries fit.
pub fn parse_subnode_block(b: &[u8], f: Format) -> Result<SubnodeHeader, Problem> {
    let hs = f.subnode_header_size();
    if b.len() < hs {
        return Err(Problem::Truncated {
            needed: hs as u64,
            available: b.len() as u64,
        });
    }
    if b[0] != 0x02 {
        return Err(Problem::Invalid("subnode block type is not 0x02"));
    }
    let h = SubnodeHeader {
        level: b[1],
        count: usize::from(LE::read_u16(&b[2..])),
    };
    if h.level > 1 {
        return Err(Problem::Size {
            what: "subnode tree level",
            expected: 1,
            found: u64::from(h.level),
        });
    }
    if hs + h.count * h.entry_size(f) > b.len() {
        return Err(Problem::Size {
            what: "subnode entry count",
            expected: ((b.len() - hs) / h.entry_size(f)) as u64,
            found: h.count as u64,
        });
    }
    Ok(h)
}

/// The i-th SLENTRY of an SLBLOCK.
pub(crate) fn sl_entry(b: &[u8], f: Format, i: usize) -> SubnodeEntry {
    let s = f.subnode_header_size() + i * 3 * f.id_size;
    SubnodeEntry {
        nid: Nid(read_id(&b[s..], f).0 as u32),
        data: read_id(&b[s + f.id_size..], f),
        sub: read_id(&b[s + 2 * f.id_size..], f),
    }
}

/// The i-th SIENTRY of an SIBLOCK: first subnode id below and the child block.
pub(crate) fn si_entry(b: &[u8], f: Format, i: usize) -> (Nid, Bid) {
    let s = f.subnode_header_size() + i * 2 * f.id_size;
    (
        Nid(read_id(&b[s..], f).0 as u32),
        read_id(&b[s + f.id_size..], f),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BRef, Ib};
    use proptest::prelude::*;

    /// An SLBLOCK (level 0) or SIBLOCK (level 1) header claiming `count`
    /// entries, over `room` entries' worth of bytes.
    fn subnode_block(f: Format, level: u8, count: u16, room: usize) -> Vec<u8> {
        let entry = if level == 0 { 3 } else { 2 } * f.id_size;
        let mut b = vec![0u8; f.subnode_header_size() + room * entry];
        b[0] = 0x02;
        b[1] = level;
        b[2..4].copy_from_slice(&count.to_le_bytes());
        b
    }

    #[test]
    fn subnode_entry_counts_are_checked_at_their_edge() {
        for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
            for (level, per) in [(0u8, 3), (1, 2)] {
                let h = parse_subnode_block(&subnode_block(f, level, 5, 5), f).unwrap();
                assert_eq!(h, SubnodeHeader { level, count: 5 });
                assert_eq!(h.entry_size(f), per * f.id_size);
                // One entry more than the bytes hold: refused, saying how
                // many fit.
                assert_eq!(
                    parse_subnode_block(&subnode_block(f, level, 6, 5), f),
                    Err(Problem::Size {
                        what: "subnode entry count",
                        expected: 5,
                        found: 6,
                    })
                );
                // Bytes for 5 entries and a part of a 6th: 5 fit.
                let mut b = subnode_block(f, level, 6, 5);
                b.extend(std::iter::repeat_n(0, per * f.id_size - 1));
                assert_eq!(
                    parse_subnode_block(&b, f),
                    Err(Problem::Size {
                        what: "subnode entry count",
                        expected: 5,
                        found: 6,
                    })
                );
                // No entries in exactly the header's bytes.
                let h = parse_subnode_block(&subnode_block(f, level, 0, 0), f).unwrap();
                assert_eq!(h.count, 0);
            }
            // Shorter than the header.
            let short = &subnode_block(f, 0, 0, 0)[..f.subnode_header_size() - 1];
            assert!(matches!(
                parse_subnode_block(short, f),
                Err(Problem::Truncated { .. })
            ));
            assert!(matches!(
                parse_subnode_block(&[0x02, 0], f),
                Err(Problem::Truncated { .. })
            ));
            // Level 2 and up do not exist.
            assert!(parse_subnode_block(&subnode_block(f, 2, 0, 0), f).is_err());
        }
    }

    #[test]
    fn subnode_entries_are_read_at_their_place() {
        for f in [Format::ANSI, Format::UNICODE] {
            let w = f.id_size;
            let mut b = subnode_block(f, 0, 2, 2);
            let hs = f.subnode_header_size();
            // Second SLENTRY: nid 0x2B, data 0x40, sub 0x46.
            for (k, v) in [(0, 0x2Bu64), (1, 0x40), (2, 0x46)] {
                let at = hs + 3 * w + k * w;
                b[at..at + w].copy_from_slice(&v.to_le_bytes()[..w]);
            }
            let e = sl_entry(&b, f, 1);
            assert_eq!((e.nid, e.data, e.sub), (Nid(0x2B), Bid(0x40), Bid(0x46)));
            // Second SIENTRY: nid 0x61, block 0x52.
            let mut b = subnode_block(f, 1, 2, 2);
            for (k, v) in [(0, 0x61u64), (1, 0x52)] {
                let at = hs + 2 * w + k * w;
                b[at..at + w].copy_from_slice(&v.to_le_bytes()[..w]);
            }
            assert_eq!(si_entry(&b, f, 1), (Nid(0x61), Bid(0x52)));
        }
    }

    #[test]
    fn spec_xblock_trailer() {
        let t = [
            0xB0, 0x01, 0x38, 0x67, 0x51, 0xCD, 0xEE, 0x3F, 0x62, 0x01, 0, 0, 0, 0, 0, 0,
        ];
        let bt = BlockTrailer::parse(&t, Format::UNICODE);
        assert_eq!(bt.cb, 432);
        assert_eq!(bt.sig, 0x6738);
        assert_eq!(bt.crc, 0x3FEE_CD51);
        assert_eq!(bt.bid, Bid(0x162));
        let mut again = [0u8; 16];
        bt.write(&mut again, Format::UNICODE);
        assert_eq!(again, t);
    }

    #[test]
    fn spec_slblock() {
        let mut b = vec![0u8; 32];
        b[..8].copy_from_slice(&[0x02, 0x00, 0x01, 0x00, 0, 0, 0, 0]);
        b[8..16].copy_from_slice(&0x817Fu64.to_le_bytes());
        b[16..24].copy_from_slice(&0x1380u64.to_le_bytes());
        let f = Format::UNICODE;
        let h = parse_subnode_block(&b, f).unwrap();
        assert_eq!(h.count, 1);
        let e = sl_entry(&b, f, 0);
        assert_eq!(e.nid, Nid(0x817F));
        assert_eq!(e.data, Bid(0x1380));
        assert_eq!(e.sub, Bid(0));
        assert_eq!(crc(&b), 0xD9D4_5E50);
    }

    fn block_file(f: Format, stored: &[u8], bid: Bid, inflated: u16) -> (Vec<u8>, BbtEntry) {
        let ib = Ib(f.block_align as u64);
        let size = f.block_size(stored.len());
        let mut file = vec![0xAAu8; ib.0 as usize + size];
        let blk = &mut file[ib.0 as usize..];
        blk[..stored.len()].copy_from_slice(stored);
        let t = BlockTrailer {
            cb: stored.len() as u16,
            sig: compute_sig(ib, bid),
            crc: crc(stored),
            bid,
            inflated,
        };
        t.write(&mut blk[size - f.block_trailer_size..], f);
        let e = BbtEntry {
            bref: BRef { bid, ib },
            cb: stored.len() as u16,
            refs: 2,
            inflated: if inflated == 0 {
                stored.len() as u16
            } else {
                inflated
            },
        };
        (file, e)
    }

    #[test]
    fn verifies_and_decodes_each_encoding() {
        let plain = b"The quick brown fox jumps over the lazy dog".to_vec();
        for crypt in [CryptMethod::None, CryptMethod::Permute, CryptMethod::Cyclic] {
            for f in [Format::ANSI, Format::UNICODE] {
                let bid = Bid(0x1234);
                let mut stored = plain.clone();
                crypt.encode(&mut stored, bid.0 as u32);
                let (mut file, e) = block_file(f, &stored, bid, 0);
                let s = read_stored(&file, f, &e).unwrap();
                assert_eq!(decode(s, f, crypt, &e).unwrap().as_ref(), &plain[..]);
                // Appended after what a buffer holds already, the same bytes.
                let mut out = b"head".to_vec();
                decode_append(s, f, crypt, &e, &mut out).unwrap();
                assert_eq!(&out[..4], b"head");
                assert_eq!(&out[4..], &plain[..]);
                let at = e.bref.ib.0 as usize + 3;
                file[at] ^= 0xFF;
                let err = read_stored(&file, f, &e).unwrap_err();
                assert!(err.to_string().contains("CRC"), "{err}");
            }
        }
    }

    #[test]
    fn a_trailer_is_checked_field_by_field() {
        let stored = b"twenty-four bytes stored".to_vec();
        let bid = Bid(0x1234);
        for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
            let (file, e) = block_file(f, &stored, bid, 0);
            let ib = e.bref.ib.0 as usize;
            let at = ib + f.block_size(stored.len()) - f.block_trailer_size;
            let sound = BlockTrailer::parse(&file[at..], f);
            let with = |edit: &dyn Fn(&mut BlockTrailer), e: &BbtEntry| {
                let mut file = file.clone();
                let mut t = sound;
                edit(&mut t);
                t.write(&mut file[at..], f);
                match read_stored_crc(&file, f, e) {
                    Ok((s, crc)) => Ok((s.len(), crc)),
                    Err(err) => {
                        let c = err.corruption().expect("a corruption");
                        assert_eq!((c.id, c.offset), (Some(bid.0), Some(ib as u64)));
                        Err(c.problem.clone())
                    }
                }
            };
            let ok = Ok((stored.len(), sound.crc));
            assert_eq!(with(&|_| {}, &e), ok);
            assert_eq!(
                with(&|t| t.crc ^= 1, &e),
                Err(Problem::Crc {
                    stored: sound.crc ^ 1,
                    computed: sound.crc
                })
            );
            assert_eq!(
                with(&|t| t.sig ^= 1, &e),
                Err(Problem::Signature {
                    stored: sound.sig ^ 1,
                    computed: sound.sig
                })
            );
            assert_eq!(
                with(&|t| t.bid = Bid(0x1238), &e),
                Err(Problem::IdMismatch {
                    expected: 0x1234,
                    found: 0x1238
                })
            );
            // A trailer size alone wrong, its id, signature and CRC proving
            // the BBT's size: read at the BBT's size.
            assert_eq!(with(&|t| t.cb = 23, &e), ok);
            // Wrong with the CRC or the signature wrong too: refused for
            // the size.
            let size = Err(Problem::Size {
                what: "block trailer cb",
                expected: 24,
                found: 23,
            });
            let wrong_crc = |t: &mut BlockTrailer| {
                t.cb = 23;
                t.crc ^= 1
            };
            let wrong_sig = |t: &mut BlockTrailer| {
                t.cb = 23;
                t.sig ^= 1
            };
            assert_eq!(with(&wrong_crc, &e), size);
            assert_eq!(with(&wrong_sig, &e), size);
            // 4K: the trailer's inflated size must be the BBT's where both
            // give one (0 means none).
            let inflated = |t: u16, bbt: u16| {
                with(
                    &move |tr: &mut BlockTrailer| tr.inflated = t,
                    &BbtEntry { inflated: bbt, ..e },
                )
            };
            if f.has_compression() {
                assert_eq!(
                    inflated(30, 40),
                    Err(Problem::Size {
                        what: "inflated size in trailer",
                        expected: 40,
                        found: 30
                    })
                );
            } else {
                // Not stored in the trailer: the BBT's is the only one.
                assert_eq!(inflated(30, 40), ok);
            }
            for (t, bbt) in [(0, 40), (30, 0), (40, 40)] {
                assert_eq!(inflated(t, bbt), ok, "{t} {bbt}");
            }
        }
    }

    #[test]
    fn xblock_entry_counts_are_checked_at_their_edge() {
        let x = |level: u8, count: u16, bytes: usize| {
            let mut b = [1u8, level]
                .into_iter()
                .chain(count.to_le_bytes())
                .chain(1234u32.to_le_bytes())
                .collect::<Vec<_>>();
            b.resize(bytes, 0);
            b
        };
        let size = |expected, found| {
            Err(Problem::Size {
                what: "data tree entry count",
                expected,
                found,
            })
        };
        for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
            let id = f.id_size;
            assert_eq!(
                parse_xblock(&x(1, 0, 7), f),
                Err(Problem::Truncated {
                    needed: 8,
                    available: 7
                })
            );
            let header = |level, count| {
                Ok(XBlockHeader {
                    level,
                    count,
                    total: 1234,
                })
            };
            assert_eq!(parse_xblock(&x(1, 0, 8), f), header(1, 0));
            for level in [1, 2] {
                assert_eq!(parse_xblock(&x(level, 5, 8 + 5 * id), f), header(level, 5));
                // One entry more than the bytes hold, or than whole
                // entries fill: refused, saying how many fit.
                assert_eq!(parse_xblock(&x(level, 6, 8 + 5 * id), f), size(5, 6));
                assert_eq!(parse_xblock(&x(level, 6, 8 + 6 * id - 1), f), size(5, 6));
                assert_eq!(parse_xblock(&x(level, 9, 8 + 6 * id - 1), f), size(5, 9));
            }
            for level in [0, 3] {
                assert_eq!(
                    parse_xblock(&x(level, 0, 8), f),
                    Err(Problem::Size {
                        what: "data tree level",
                        expected: 2,
                        found: u64::from(level),
                    })
                );
            }
        }
    }

    #[test]
    fn appending_decodes_as_decode_does() {
        let plain = b"The quick brown fox jumps over the lazy dog";
        let f = Format::UNICODE;
        // A data tree's block (an internal id) is never encoded.
        let (file, e) = block_file(f, plain, Bid(0x1236), 0);
        let s = read_stored(&file, f, &e).unwrap();
        for crypt in [CryptMethod::None, CryptMethod::Permute, CryptMethod::Cyclic] {
            let mut out = Vec::new();
            decode_append(s, f, crypt, &e, &mut out).unwrap();
            assert_eq!(out, plain);
        }
        // An encoding pstkit cannot decode: refused as `decode` refuses it,
        // nothing appended.
        let (file, e) = block_file(f, plain, Bid(0x1234), 0);
        let s = read_stored(&file, f, &e).unwrap();
        let mut out = b"head".to_vec();
        let err = decode_append(s, f, CryptMethod::Edp, &e, &mut out).unwrap_err();
        assert_eq!(
            err.corruption().map(|c| &c.problem),
            Some(&Problem::UnsupportedCrypt(0x10))
        );
        assert_eq!(out, b"head");
    }

    #[test]
    fn inflates_4k_blocks_with_bound() {
        use std::io::Write;
        let f = Format::UNICODE_4K;
        let plain: Vec<u8> = (0..20000u32).map(|i| (i % 7) as u8).collect();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&plain).unwrap();
        let packed = z.finish().unwrap();
        let bid = Bid(0x40);
        let (file, e) = block_file(f, &packed, bid, plain.len() as u16);
        let s = read_stored(&file, f, &e).unwrap();
        assert_eq!(
            decode(s, f, CryptMethod::None, &e).unwrap().as_ref(),
            &plain[..]
        );
        let mut out = vec![7];
        decode_append(s, f, CryptMethod::None, &e, &mut out).unwrap();
        assert_eq!(out[1..], plain[..]);
        // A BBT that claims fewer inflated bytes than the stream holds is refused.
        let short = BbtEntry { inflated: 100, ..e };
        let err = decode(s, f, CryptMethod::None, &short).unwrap_err();
        assert!(err.to_string().contains("inflated"), "{err}");
    }

    proptest! {
        #[test]
        fn internal_parsers_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
                if let Ok(h) = parse_xblock(&b, f) {
                    for i in 0..h.count { let _ = xblock_bid(&b, f, i); }
                }
                if let Ok(h) = parse_subnode_block(&b, f) {
                    for i in 0..h.count {
                        if h.level == 0 { let _ = sl_entry(&b, f, i); } else { let _ = si_entry(&b, f, i); }
                    }
                }
            }
        }

        #[test]
        fn block_reader_never_panics(file in proptest::collection::vec(any::<u8>(), 0..2000), ib in 0u64..3000, cb in any::<u16>(), inflated in any::<u16>()) {
            for f in [Format::ANSI, Format::UNICODE, Format::UNICODE_4K] {
                let e = BbtEntry { bref: BRef { bid: Bid(8), ib: Ib(ib) }, cb, refs: 2, inflated };
                if let Ok(s) = read_stored(&file, f, &e) {
                    let _ = decode(s, f, CryptMethod::Cyclic, &e);
                }
            }
        }
    }
}
