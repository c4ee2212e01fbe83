//! Compressed RTF (`PidTagRtfCompressed`) as described in [MS-OXRTFCP].
//!
//! Outlook stores the RTF body of a message in a small LZ77 variant ("LZFu")
//! or, rarely, uncompressed behind the same 16-byte header ("MELA"). Reading
//! is strict: every inconsistency between the header and the stream is an
//! error, so callers can tell a damaged body from an empty one.

use thiserror::Error;

/// Size of the stream header: COMPSIZE, RAWSIZE, COMPRESSION and CRC.
const HEADER_LEN: usize = 16;
/// Header bytes counted by COMPSIZE (everything after the COMPSIZE field).
const COUNTED_HEADER_LEN: u32 = 12;
/// COMPRESSION value of an LZFu stream ("LZFu" read little-endian).
const MAGIC_COMPRESSED: u32 = 0x7546_5A4C;
/// COMPRESSION value of an uncompressed stream ("MELA" read little-endian).
const MAGIC_UNCOMPRESSED: u32 = 0x414C_454D;
/// Size of the circular dictionary; offsets are 12 bits wide.
const DICT_SIZE: usize = 4096;
const DICT_MASK: usize = DICT_SIZE - 1;
/// Shortest and longest match a reference can encode (4-bit length + 2).
const MIN_MATCH: usize = 2;
const MAX_MATCH: usize = 17;
/// Candidates examined per position by the compressor's match finder.
const MAX_CHAIN: usize = 256;
/// No valid stream expands more than about 8.5 times (17 output bytes per
/// 2 input bytes plus control bytes), so this cap never rejects good data.
const MAX_EXPANSION: usize = 64;
const EXPANSION_SLACK: usize = 4096;

/// Dictionary contents before the first byte is decoded ([MS-OXRTFCP] 2.1.2.1).
const INITIAL_DICT: &[u8; 207] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}\
{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArial\
Times New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \
\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

/// Why a compressed RTF stream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RtfError {
    /// The value is too short to hold the header, so nothing can be trusted.
    #[error("compressed RTF is {len} bytes, shorter than its 16-byte header")]
    TooShort {
        /// Length of the whole value.
        len: usize,
    },
    /// COMPSIZE cannot even cover the rest of the header.
    #[error("compressed RTF header declares COMPSIZE {comp_size}, less than 12")]
    BadCompSize {
        /// The declared COMPSIZE.
        comp_size: u32,
    },
    /// The value ends before the data the header promises.
    #[error("compressed RTF is truncated: needs {needed} bytes, has {available}")]
    Truncated {
        /// Bytes the header requires in total.
        needed: u64,
        /// Bytes available to satisfy it.
        available: usize,
    },
    /// Neither LZFu nor MELA, so the payload format is unknown.
    #[error("unknown RTF compression type {0:#010x}")]
    UnknownCompression(u32),
    /// The LZFu payload is damaged or was cut and padded.
    #[error("compressed RTF CRC mismatch: header {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch {
        /// CRC recorded in the header.
        stored: u32,
        /// CRC of the payload as present.
        computed: u32,
    },
    /// The LZFu token stream ended before its end marker.
    #[error("compressed RTF stream ended early after {produced} of {declared} bytes")]
    UnexpectedEnd {
        /// Bytes decoded before the input ran out.
        produced: usize,
        /// RAWSIZE from the header.
        declared: u32,
    },
    /// The decoded data does not have the size the header declares.
    #[error("decompressed RTF size mismatch: header says {declared}, stream gives {actual}")]
    SizeMismatch {
        /// RAWSIZE from the header.
        declared: u32,
        /// Bytes decoded (or a lower bound when decoding overran RAWSIZE).
        actual: usize,
    },
}

/// Decodes a `PidTagRtfCompressed` value into the RTF bytes it holds.
///
/// Both LZFu and MELA streams are accepted. Bytes beyond COMPSIZE are
/// ignored because property values may be padded; everything else that does
/// not agree with the header is reported as an [`RtfError`]. Output never
/// exceeds RAWSIZE nor 64 times the input length plus 4 KiB, whatever the
/// header claims.
pub fn decompress_rtf(data: &[u8]) -> Result<Vec<u8>, RtfError> {
    let header: &[u8; HEADER_LEN] = data
        .first_chunk()
        .ok_or(RtfError::TooShort { len: data.len() })?;
    let comp_size = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let raw_size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let kind = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    let stored_crc = u32::from_le_bytes([header[12], header[13], header[14], header[15]]);

    if comp_size < COUNTED_HEADER_LEN {
        return Err(RtfError::BadCompSize { comp_size });
    }
    let needed = u64::from(comp_size) + 4;
    let end = usize::try_from(needed)
        .ok()
        .filter(|&end| end <= data.len())
        .ok_or(RtfError::Truncated {
            needed,
            available: data.len(),
        })?;
    let payload = data.get(HEADER_LEN..end).unwrap_or_default();

    match kind {
        MAGIC_COMPRESSED => {
            let computed = crc(payload);
            if computed != stored_crc {
                return Err(RtfError::CrcMismatch {
                    stored: stored_crc,
                    computed,
                });
            }
            lzfu_decode(payload, raw_size)
        }
        MAGIC_UNCOMPRESSED => {
            let truncated = RtfError::Truncated {
                needed: HEADER_LEN as u64 + u64::from(raw_size),
                available: end,
            };
            let raw_len = usize::try_from(raw_size).map_err(|_| truncated.clone())?;
            payload.get(..raw_len).map(<[u8]>::to_vec).ok_or(truncated)
        }
        other => Err(RtfError::UnknownCompression(other)),
    }
}

/// Wraps raw RTF in an uncompressed (MELA) header, for writers that prefer
/// speed or simplicity over size.
///
/// Sizes over `u32::MAX` cannot be expressed by the format; such input
/// yields a header with saturated sizes that readers will reject.
pub fn compress_rtf_uncompressed(rtf: &[u8]) -> Vec<u8> {
    // The format requires a zero CRC for uncompressed streams.
    with_header(MAGIC_UNCOMPRESSED, rtf.len(), 0, rtf)
}

/// Compresses raw RTF into an LZFu stream that Outlook can read.
///
/// Uses a greedy longest-match search over the 4 KiB window. Sizes over
/// `u32::MAX` cannot be expressed by the format; such input yields a header
/// with saturated sizes that readers will reject.
pub fn compress_rtf(rtf: &[u8]) -> Vec<u8> {
    let payload = lzfu_encode(rtf);
    with_header(MAGIC_COMPRESSED, rtf.len(), crc(&payload), &payload)
}

/// Builds the 16-byte header followed by `payload`.
fn with_header(kind: u32, raw_len: usize, crc: u32, payload: &[u8]) -> Vec<u8> {
    let comp_size = payload
        .len()
        .checked_add(COUNTED_HEADER_LEN as usize)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(u32::MAX);
    let raw_size = u32::try_from(raw_len).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(HEADER_LEN.saturating_add(payload.len()));
    out.extend_from_slice(&comp_size.to_le_bytes());
    out.extend_from_slice(&raw_size.to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// CRC-32 (reflected 0xEDB88320) with initial value 0 and no final XOR, as
/// [MS-OXRTFCP] 2.1.3.2 specifies (the CRC [MS-PST] uses too, kept here so
/// that this crate stands alone). `crc32fast` inverts on entry and exit, so
/// both inversions are undone here.
fn crc(data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(!0);
    hasher.update(data);
    !hasher.finalize()
}

/// Decodes the LZFu token stream that follows the header.
/// Bytes of the virtual stream before the output: the dictionary as it
/// stands before the first token, oldest first (never-written zeros, then
/// the initial text), so that the stream's last 4096 bytes are always the
/// dictionary.
const PREFIX: usize = DICT_SIZE;

/// Decodes a token stream. The output is decoded into one flat buffer
/// behind [`PREFIX`] instead of through a separate circular dictionary:
/// stream position `s` is dictionary slot `(s + 207) % 4096`, so a
/// reference is a copy from a fixed distance back, done as one slice copy
/// when it does not overlap the bytes it produces.
fn lzfu_decode(payload: &[u8], raw_size: u32) -> Result<Vec<u8>, RtfError> {
    let limit = usize::try_from(raw_size).unwrap_or(usize::MAX).min(
        payload
            .len()
            .saturating_mul(MAX_EXPANSION)
            .saturating_add(EXPANSION_SLACK),
    );
    let mut out = Vec::with_capacity(PREFIX + limit.min(payload.len().saturating_mul(9)));
    out.resize(PREFIX - INITIAL_DICT.len(), 0);
    out.extend_from_slice(INITIAL_DICT);
    let mut d = Decoder {
        out,
        limit,
        raw_size,
    };

    let mut input = payload.iter().copied();
    loop {
        let Some(control) = input.next() else {
            return d.finish_without_marker();
        };
        for bit in 0..8 {
            if control & (1 << bit) == 0 {
                let Some(byte) = input.next() else {
                    return d.finish_without_marker();
                };
                d.room(1)?;
                d.out.push(byte);
                continue;
            }
            let (Some(high), Some(low)) = (input.next(), input.next()) else {
                return Err(d.unexpected_end());
            };
            let word = u16::from_be_bytes([high, low]);
            let offset = usize::from(word >> 4);
            let len = usize::from(word & 0xF) + MIN_MATCH;
            let write = (d.out.len() + INITIAL_DICT.len()) & DICT_MASK;
            if offset == write {
                return d.finish();
            }
            // 1..=4095 bytes back; the prefix keeps the start in the buffer.
            let distance = write.wrapping_sub(offset) & DICT_MASK;
            d.copy(distance, len)?;
        }
    }
}

/// State of an LZFu decode in progress.
struct Decoder {
    /// [`PREFIX`] bytes of initial dictionary, then the output.
    out: Vec<u8>,
    limit: usize,
    raw_size: u32,
}

impl Decoder {
    fn produced(&self) -> usize {
        self.out.len() - PREFIX
    }

    /// Fails when `n` more bytes would pass the output limit (reporting the
    /// first byte over it, as a byte-by-byte decoder would).
    fn room(&self, n: usize) -> Result<(), RtfError> {
        if self.produced() + n > self.limit {
            return Err(RtfError::SizeMismatch {
                declared: self.raw_size,
                actual: self.limit.saturating_add(1),
            });
        }
        Ok(())
    }

    /// Copies `len` bytes starting `distance` bytes back. A reference may
    /// overlap the bytes it is producing (a run): those are copied one at a
    /// time, so each reads what the one before wrote.
    fn copy(&mut self, distance: usize, len: usize) -> Result<(), RtfError> {
        let full = self.room(len);
        // Up to the limit, then the error: what a byte-by-byte decoder emits.
        let len = if full.is_err() {
            self.limit - self.produced()
        } else {
            len
        };
        let from = self.out.len() - distance;
        if distance >= len {
            self.out.extend_from_within(from..from + len);
        } else {
            for i in 0..len {
                let byte = self.out[from + i];
                self.out.push(byte);
            }
        }
        full
    }

    /// The output, without the prefix.
    fn into_output(mut self) -> Vec<u8> {
        self.out.drain(..PREFIX);
        self.out
    }

    /// Accepts the output at the end marker if it has the declared size.
    fn finish(self) -> Result<Vec<u8>, RtfError> {
        if u32::try_from(self.produced()).ok() == Some(self.raw_size) {
            Ok(self.into_output())
        } else {
            Err(RtfError::SizeMismatch {
                declared: self.raw_size,
                actual: self.produced(),
            })
        }
    }

    /// Tolerates a missing end marker only when all declared bytes are there.
    fn finish_without_marker(self) -> Result<Vec<u8>, RtfError> {
        if u32::try_from(self.produced()).ok() == Some(self.raw_size) {
            Ok(self.into_output())
        } else {
            Err(self.unexpected_end())
        }
    }

    fn unexpected_end(&self) -> RtfError {
        RtfError::UnexpectedEnd {
            produced: self.produced(),
            declared: self.raw_size,
        }
    }
}

/// Produces the LZFu token stream (without header) for `rtf`.
///
/// The decoder's dictionary always holds the most recent 4096 bytes of the
/// virtual stream "initial dictionary + output", and a byte-by-byte copy
/// makes overlapping references read what they just wrote. So a reference
/// to absolute position `a` in that stream, with `cur - 4096 < a < cur`,
/// reproduces `stream[a..a + len]`, which lets matching run on the flat
/// stream. Positions below zero (never-written dictionary bytes) are never
/// referenced.
fn lzfu_encode(rtf: &[u8]) -> Vec<u8> {
    let base = INITIAL_DICT.len();
    let mut stream = Vec::with_capacity(base.saturating_add(rtf.len()));
    stream.extend_from_slice(INITIAL_DICT);
    stream.extend_from_slice(rtf);

    let mut finder = MatchFinder::new();
    for pos in 0..base {
        finder.insert(&stream, pos);
    }

    let mut writer = TokenWriter::new(rtf.len());
    let mut cur = base;
    while let Some(&byte) = stream.get(cur) {
        let (len, at) = finder.longest(&stream, cur);
        if len >= MIN_MATCH {
            // `len - MIN_MATCH` fits in 4 bits because len <= MAX_MATCH.
            writer.reference(at & DICT_MASK, (len - MIN_MATCH) as u16);
            for pos in cur..cur + len {
                finder.insert(&stream, pos);
            }
            cur += len;
        } else {
            writer.literal(byte);
            finder.insert(&stream, cur);
            cur += 1;
        }
    }
    // End marker: a reference whose offset is the current write position.
    writer.reference(cur & DICT_MASK, 0);
    writer.out
}

/// Hash chains keyed by the next two bytes, over absolute stream positions.
struct MatchFinder {
    /// Most recent position starting with each two-byte key.
    head: Vec<usize>,
    /// Previous position with the same key, indexed by position mod 4096.
    prev: Vec<usize>,
}

const NO_POS: usize = usize::MAX;

impl MatchFinder {
    fn new() -> Self {
        Self {
            head: vec![NO_POS; 1 << 16],
            prev: vec![NO_POS; DICT_SIZE],
        }
    }

    fn key(stream: &[u8], pos: usize) -> Option<usize> {
        let first = *stream.get(pos)?;
        let second = *stream.get(pos.checked_add(1)?)?;
        Some(usize::from(first) << 8 | usize::from(second))
    }

    fn insert(&mut self, stream: &[u8], pos: usize) {
        let Some(key) = Self::key(stream, pos) else {
            return;
        };
        if let (Some(head), Some(prev)) =
            (self.head.get_mut(key), self.prev.get_mut(pos & DICT_MASK))
        {
            *prev = *head;
            *head = pos;
        }
    }

    /// Longest match for `stream[cur..]` as `(length, absolute position)`;
    /// length 0 when there is none.
    fn longest(&self, stream: &[u8], cur: usize) -> (usize, usize) {
        let Some(key) = Self::key(stream, cur) else {
            return (0, 0);
        };
        let ahead = stream.get(cur..).unwrap_or_default();
        let max = ahead.len().min(MAX_MATCH);
        // Offsets must differ from the write position, so the oldest usable
        // position is cur - 4095. Its chain link cannot have been reused,
        // because slots are only rewritten 4096 positions later.
        let oldest = cur.saturating_sub(DICT_SIZE - 1);
        let mut best = (0, 0);
        let mut cand = self.head.get(key).copied().unwrap_or(NO_POS);
        let mut steps = 0;
        while cand >= oldest && cand < cur && steps < MAX_CHAIN {
            let earlier = stream.get(cand..).unwrap_or_default();
            let len = earlier
                .iter()
                .zip(ahead)
                .take(max)
                .take_while(|(a, b)| a == b)
                .count();
            if len > best.0 {
                best = (len, cand);
                if len == max {
                    break;
                }
            }
            cand = self.prev.get(cand & DICT_MASK).copied().unwrap_or(NO_POS);
            steps += 1;
        }
        best
    }
}

/// Groups tokens eight at a time behind their control byte.
struct TokenWriter {
    out: Vec<u8>,
    control_at: usize,
    used_bits: u8,
}

impl TokenWriter {
    fn new(input_len: usize) -> Self {
        Self {
            out: Vec::with_capacity(input_len.saturating_add(input_len / 8).saturating_add(4)),
            control_at: 0,
            used_bits: 8,
        }
    }

    /// Opens a new control byte when the current one is full and returns the
    /// bit for the next token.
    fn next_bit(&mut self) -> u8 {
        if self.used_bits == 8 {
            self.control_at = self.out.len();
            self.out.push(0);
            self.used_bits = 0;
        }
        let bit = self.used_bits;
        self.used_bits += 1;
        bit
    }

    fn literal(&mut self, byte: u8) {
        self.next_bit();
        self.out.push(byte);
    }

    fn reference(&mut self, offset: usize, len_code: u16) {
        let bit = self.next_bit();
        if let Some(control) = self.out.get_mut(self.control_at) {
            *control |= 1 << bit;
        }
        // Both fields are masked to their widths (12 and 4 bits).
        let word = ((offset & DICT_MASK) as u16) << 4 | (len_code & 0xF);
        self.out.extend_from_slice(&word.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [MS-OXRTFCP] 4.1: simple compressed RTF.
    const EXAMPLE1: &[u8] = &[
        0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7,
        0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a,
        0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d,
        0x0a, 0x80, 0x0f, 0xa0,
    ];
    const EXAMPLE1_RTF: &[u8] = b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n";

    /// [MS-OXRTFCP] 4.2: a reference that overlaps its own output.
    const EXAMPLE2: &[u8] = &[
        0x1a, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xe2, 0xd4, 0x4b,
        0x51, 0x41, 0x00, 0x04, 0x20, 0x57, 0x58, 0x59, 0x5a, 0x0d, 0x6e, 0x7d, 0x01, 0x0e, 0xb0,
    ];
    const EXAMPLE2_RTF: &[u8] = b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}";

    /// Small deterministic generator so tests need no extra crates.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn bytes(&mut self, len: usize, alphabet: u8) -> Vec<u8> {
            (0..len)
                .map(|_| {
                    let v = self.next() as u8;
                    if alphabet == 0 {
                        v
                    } else {
                        b'a' + v % alphabet
                    }
                })
                .collect()
        }
    }

    fn roundtrip(rtf: &[u8]) {
        let packed = compress_rtf(rtf);
        assert_eq!(decompress_rtf(&packed).as_deref(), Ok(rtf), "LZFu");
        let plain = compress_rtf_uncompressed(rtf);
        assert_eq!(decompress_rtf(&plain).as_deref(), Ok(rtf), "MELA");
    }

    /// Rewrites COMPSIZE and CRC so that only the token stream is "wrong".
    fn reseal(mut stream: Vec<u8>) -> Vec<u8> {
        let comp_size = (stream.len() - 4) as u32;
        stream[..4].copy_from_slice(&comp_size.to_le_bytes());
        let crc = crc(&stream[HEADER_LEN..]);
        stream[12..16].copy_from_slice(&crc.to_le_bytes());
        stream
    }

    #[test]
    fn initial_dictionary_matches_spec_landmarks() {
        assert_eq!(INITIAL_DICT.len(), 207);
        assert!(INITIAL_DICT.starts_with(b"{\\rtf1\\ansi\\mac"));
        assert_eq!(&INITIAL_DICT[168..170], b"\r\n");
        assert!(INITIAL_DICT.ends_with(b"\\tab\\tx"));
    }

    #[test]
    fn spec_example_1() {
        assert_eq!(crc(&EXAMPLE1[HEADER_LEN..]), 0xa7c7_c5f1);
        assert_eq!(decompress_rtf(EXAMPLE1).as_deref(), Ok(EXAMPLE1_RTF));
    }

    #[test]
    fn spec_example_2() {
        assert_eq!(crc(&EXAMPLE2[HEADER_LEN..]), 0x514b_d4e2);
        assert_eq!(decompress_rtf(EXAMPLE2).as_deref(), Ok(EXAMPLE2_RTF));
    }

    #[test]
    fn compressor_reproduces_spec_example_2() {
        // Greedy matching finds the same tokens as the spec's encoder here.
        assert_eq!(compress_rtf(EXAMPLE2_RTF), EXAMPLE2);
    }

    #[test]
    fn trailing_padding_is_ignored() {
        let mut padded = EXAMPLE1.to_vec();
        padded.extend_from_slice(&[0; 7]);
        assert_eq!(decompress_rtf(&padded).as_deref(), Ok(EXAMPLE1_RTF));
    }

    #[test]
    fn roundtrips_small_and_edge_inputs() {
        roundtrip(b"");
        roundtrip(b"x");
        roundtrip(b"{\\rtf1");
        roundtrip(INITIAL_DICT);
        roundtrip(EXAMPLE1_RTF);
        roundtrip(&[0; 5000]);
        roundtrip(&[0xFF; 17]);
        roundtrip(&[b'a'; 18]);
    }

    #[test]
    fn roundtrips_random_data() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..300 {
            let len = (rng.next() % 3000) as usize;
            let alphabet = [0, 2, 4, 26][round % 4];
            roundtrip(&rng.bytes(len, alphabet));
        }
    }

    #[test]
    fn roundtrips_long_rtf_past_window_wrap() {
        let mut rtf = Vec::new();
        rtf.extend_from_slice(b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Arial;}}");
        let mut rng = XorShift(42);
        for i in 0..3000 {
            rtf.extend_from_slice(format!("\\par line {i} ").as_bytes());
            let noise = (rng.next() % 40) as usize;
            rtf.extend_from_slice(&rng.bytes(noise, 6));
        }
        rtf.push(b'}');
        let packed = compress_rtf(&rtf);
        assert!(packed.len() < rtf.len() / 2, "compression should help");
        roundtrip(&rtf);
    }

    #[test]
    fn crc_mismatch_is_reported() {
        let mut bad = EXAMPLE1.to_vec();
        bad[20] ^= 0x01;
        assert!(matches!(
            decompress_rtf(&bad),
            Err(RtfError::CrcMismatch {
                stored: 0xa7c7_c5f1,
                ..
            })
        ));
        let mut bad_header = EXAMPLE2.to_vec();
        bad_header[12] ^= 0x80;
        assert!(matches!(
            decompress_rtf(&bad_header),
            Err(RtfError::CrcMismatch { .. })
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        for example in [EXAMPLE1, EXAMPLE2] {
            for len in 0..example.len() {
                let err = decompress_rtf(&example[..len]).unwrap_err();
                if len < HEADER_LEN {
                    assert_eq!(err, RtfError::TooShort { len });
                } else {
                    assert!(matches!(err, RtfError::Truncated { .. }), "{len}: {err}");
                }
            }
        }
    }

    #[test]
    fn truncated_token_stream_with_valid_crc_is_an_error() {
        // Drop the last literal, the control byte and end marker after it.
        let cut = reseal(EXAMPLE2[..EXAMPLE2.len() - 4].to_vec());
        assert_eq!(
            decompress_rtf(&cut),
            Err(RtfError::UnexpectedEnd {
                produced: 27,
                declared: 28
            })
        );
        // Half a reference.
        let half = reseal(EXAMPLE2[..EXAMPLE2.len() - 1].to_vec());
        assert!(matches!(
            decompress_rtf(&half),
            Err(RtfError::UnexpectedEnd { .. })
        ));
    }

    #[test]
    fn missing_end_marker_is_tolerated_when_complete() {
        let no_marker = reseal(EXAMPLE2[..EXAMPLE2.len() - 3].to_vec());
        assert_eq!(decompress_rtf(&no_marker).as_deref(), Ok(EXAMPLE2_RTF));
        // A control byte announcing a reference that never comes is damage.
        let dangling = reseal(EXAMPLE2[..EXAMPLE2.len() - 2].to_vec());
        assert!(decompress_rtf(&dangling).is_err());
    }

    #[test]
    fn raw_size_disagreement_is_an_error() {
        let mut short = EXAMPLE2.to_vec();
        short[4] = 0x1b;
        assert_eq!(
            decompress_rtf(&short),
            Err(RtfError::SizeMismatch {
                declared: 0x1b,
                actual: 0x1c
            })
        );
        let mut long = EXAMPLE2.to_vec();
        long[4] = 0x1d;
        assert_eq!(
            decompress_rtf(&long),
            Err(RtfError::SizeMismatch {
                declared: 0x1d,
                actual: 0x1c
            })
        );
    }

    #[test]
    fn huge_declared_sizes_do_not_allocate() {
        let mut huge_raw = EXAMPLE1.to_vec();
        huge_raw[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decompress_rtf(&huge_raw),
            Err(RtfError::SizeMismatch { .. })
        ));
        let mut huge_comp = EXAMPLE1.to_vec();
        huge_comp[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decompress_rtf(&huge_comp),
            Err(RtfError::Truncated {
                needed: u64::from(u32::MAX) + 4,
                available: EXAMPLE1.len()
            })
        );
        let mut huge_mela = compress_rtf_uncompressed(b"abc");
        huge_mela[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decompress_rtf(&huge_mela),
            Err(RtfError::Truncated { .. })
        ));
    }

    #[test]
    fn header_errors() {
        let mut small = EXAMPLE1.to_vec();
        small[..4].copy_from_slice(&11u32.to_le_bytes());
        assert_eq!(
            decompress_rtf(&small),
            Err(RtfError::BadCompSize { comp_size: 11 })
        );
        let mut unknown = EXAMPLE1.to_vec();
        unknown[8..12].copy_from_slice(b"ABCD");
        assert_eq!(
            decompress_rtf(&unknown),
            Err(RtfError::UnknownCompression(0x4443_4241))
        );
    }

    #[test]
    fn mela_passes_through() {
        let rtf = b"{\\rtf1 plain}";
        let wrapped = compress_rtf_uncompressed(rtf);
        assert_eq!(&wrapped[..4], &(rtf.len() as u32 + 12).to_le_bytes());
        assert_eq!(&wrapped[4..8], &(rtf.len() as u32).to_le_bytes());
        assert_eq!(&wrapped[8..12], b"MELA");
        assert_eq!(&wrapped[12..16], &[0; 4]);
        assert_eq!(&wrapped[16..], rtf);
        assert_eq!(decompress_rtf(&wrapped).as_deref(), Ok(&rtf[..]));
        // A wrong CRC is not checked for uncompressed data.
        let mut odd_crc = wrapped.clone();
        odd_crc[12] = 1;
        assert_eq!(decompress_rtf(&odd_crc).as_deref(), Ok(&rtf[..]));
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = XorShift(7);
        for _ in 0..2000 {
            let len = (rng.next() % 200) as usize;
            let mut stream = vec![0; HEADER_LEN];
            stream[4..8].copy_from_slice(&((rng.next() % 2000) as u32).to_le_bytes());
            stream[8..12].copy_from_slice(&MAGIC_COMPRESSED.to_le_bytes());
            stream.extend(rng.bytes(len, 0));
            let stream = reseal(stream);
            if let Ok(out) = decompress_rtf(&stream) {
                assert!(out.len() <= 2000);
            }
            // Unsealed, too: header fields are random here.
            let _ = decompress_rtf(&rng.bytes(len, 0));
        }
    }

    /// The decoder as [MS-OXRTFCP] 2.2.1.2 describes it, byte by byte
    /// through a circular dictionary, with no limits: the oracle for the
    /// flat decoder. `None` when the input ends inside a reference.
    fn reference_decode(payload: &[u8]) -> Option<Vec<u8>> {
        let mut dict = [0u8; DICT_SIZE];
        dict[..INITIAL_DICT.len()].copy_from_slice(INITIAL_DICT);
        let mut write = INITIAL_DICT.len();
        let mut out = Vec::new();
        let mut input = payload.iter().copied();
        while let Some(control) = input.next() {
            for bit in 0..8 {
                if control & (1 << bit) == 0 {
                    let Some(byte) = input.next() else {
                        return Some(out);
                    };
                    dict[write] = byte;
                    write = (write + 1) & DICT_MASK;
                    out.push(byte);
                    continue;
                }
                let word = u16::from_be_bytes([input.next()?, input.next()?]);
                let mut read = usize::from(word >> 4);
                if read == write {
                    return Some(out);
                }
                for _ in 0..usize::from(word & 0xF) + MIN_MATCH {
                    let byte = dict[read];
                    read = (read + 1) & DICT_MASK;
                    dict[write] = byte;
                    write = (write + 1) & DICT_MASK;
                    out.push(byte);
                }
            }
        }
        Some(out)
    }

    #[test]
    fn flat_decoder_agrees_with_the_dictionary_one() {
        // Random token streams reference every slot: never-written ones
        // (zeros), the initial text, and runs overlapping their own output.
        let mut rng = XorShift(7);
        let mut overlapping = 0;
        for round in 0..3000 {
            let len = 1 + (rng.next() as usize) % 3000;
            let payload = rng.bytes(len, 0);
            let want = reference_decode(&payload);
            let got = lzfu_decode(&payload, want.as_ref().map_or(0, |w| w.len() as u32));
            match want {
                Some(w) => {
                    assert_eq!(got.as_ref(), Ok(&w), "round {round}");
                    overlapping += usize::from(w.windows(4).any(|q| q.iter().all(|&b| b == q[0])));
                }
                None => assert!(got.is_err(), "round {round}"),
            }
            // A declared size one short stops at the same byte.
            if let Some(w) = reference_decode(&payload).filter(|w| !w.is_empty()) {
                let short = lzfu_decode(&payload, w.len() as u32 - 1);
                assert!(short.is_err(), "round {round}");
            }
        }
        assert!(overlapping > 100, "{overlapping}");
    }

    #[test]
    fn mutated_valid_streams_never_panic() {
        let mut rng = XorShift(99);
        let base = compress_rtf(&rng.bytes(2000, 4));
        for _ in 0..2000 {
            let mut stream = base.clone();
            for _ in 0..3 {
                let at = HEADER_LEN + (rng.next() as usize) % (stream.len() - HEADER_LEN);
                stream[at] = rng.next() as u8;
            }
            let _ = decompress_rtf(&reseal(stream));
        }
    }
}
