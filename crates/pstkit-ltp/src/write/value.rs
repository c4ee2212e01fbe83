//! Property values back to their stored bytes: the inverse of
//! [`PropValue::decode`].

use crate::value::PropValue;

/// UTF-16LE code units of `s`, no terminating NUL (as Outlook stores text).
fn utf16(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 2);
    if s.is_ascii() {
        for &b in s.as_bytes() {
            out.push(b);
            out.push(0);
        }
    } else {
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
    }
    out
}

/// A variable-size multi-valued value ([MS-PST] 2.3.3.4.2): `ulCount`, one
/// offset per item from the value's start, then the items back to back.
fn counted<I, B>(items: I) -> Vec<u8>
where
    I: ExactSizeIterator<Item = B> + Clone,
    B: AsRef<[u8]>,
{
    let n = items.len();
    let body: usize = items.clone().map(|i| i.as_ref().len()).sum();
    let mut out = Vec::with_capacity(4 + 4 * n + body);
    out.extend_from_slice(&(n as u32).to_le_bytes());
    let mut off = 4 + 4 * n;
    for i in items.clone() {
        out.extend_from_slice(&(off as u32).to_le_bytes());
        off += i.as_ref().len();
    }
    for i in items {
        out.extend_from_slice(i.as_ref());
    }
    out
}

/// Packed little-endian elements of a fixed-size multi-valued value.
fn packed<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    v.iter().flat_map(|&x| f(x)).collect()
}

/// The stored form of a value, as a PC's heap or subnode (or an inline
/// `dwValueHnid`, or a TC cell) holds it: little-endian fixed-size types,
/// UTF-16LE text without a trailing NUL, raw bytes for 8-bit strings and
/// binary types, packed arrays for fixed-size multi-valued types (GUIDs
/// too, without a count, per [MS-PST]), `ulCount` + offsets + items for
/// variable-size multi-valued types, and `{nid, size}` for an object.
///
/// `PropValue::decode(v.prop_type(), &encode_value(&v))` gives `v` back,
/// except that decoding strips trailing NULs from UTF-16 text.
pub fn encode_value(v: &PropValue) -> Vec<u8> {
    use PropValue as V;
    match v {
        V::Null => Vec::new(),
        V::Int16(x) => x.to_le_bytes().to_vec(),
        V::Int32(x) => x.to_le_bytes().to_vec(),
        V::Float32(x) => x.to_le_bytes().to_vec(),
        V::Float64(x) | V::FloatingTime(x) => x.to_le_bytes().to_vec(),
        V::Currency(x) | V::Int64(x) => x.to_le_bytes().to_vec(),
        V::ErrorCode(x) => x.to_le_bytes().to_vec(),
        V::Boolean(b) => vec![u8::from(*b)],
        V::Time(t) => t.0.to_le_bytes().to_vec(),
        V::Guid(g) => g.to_vec(),
        V::String(s) => utf16(s),
        V::String8(s) => s.0.clone(),
        V::Binary(b) | V::ServerId(b) | V::Restriction(b) | V::RuleAction(b) => b.clone(),
        V::Object { nid, size } => {
            let mut b = nid.0.to_le_bytes().to_vec();
            b.extend_from_slice(&size.to_le_bytes());
            b
        }
        V::MultipleInt16(v) => packed(v, i16::to_le_bytes),
        V::MultipleInt32(v) => packed(v, i32::to_le_bytes),
        V::MultipleFloat32(v) => packed(v, f32::to_le_bytes),
        V::MultipleFloat64(v) | V::MultipleFloatingTime(v) => packed(v, f64::to_le_bytes),
        V::MultipleCurrency(v) | V::MultipleInt64(v) => packed(v, i64::to_le_bytes),
        V::MultipleTime(v) => packed(v, |t| t.0.to_le_bytes()),
        V::MultipleGuid(v) => packed(v, |g| g),
        V::MultipleString(v) => counted(v.iter().map(|s| utf16(s))),
        V::MultipleString8(v) => counted(v.iter().map(|s| s.0.as_slice())),
        V::MultipleBinary(v) => counted(v.iter().map(Vec::as_slice)),
        V::Unknown { bytes, .. } => bytes.clone(),
    }
}

/// The length of [`encode_value`]'s bytes, without making them: what a
/// size (PidTagAttachSize) needs of a large text or binary value.
pub fn encoded_len(v: &PropValue) -> usize {
    use PropValue as V;
    match v {
        V::String(s) => 2 * s.encode_utf16().count(),
        V::String8(s) => s.0.len(),
        V::Binary(b) | V::ServerId(b) | V::Restriction(b) | V::RuleAction(b) => b.len(),
        V::Unknown { bytes, .. } => bytes.len(),
        // Fixed types are a few bytes, multi-valued ones rare: as encoded.
        v => encode_value(v).len(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::value::{FileTime, String8};
    use pstkit_ndb::Nid;

    /// One value of every variant, with awkward contents where it matters.
    pub(crate) fn every_variant() -> Vec<PropValue> {
        use PropValue as V;
        vec![
            V::Null,
            V::Int16(-2),
            V::Int32(i32::MIN),
            V::Float32(-0.5),
            V::Float64(1e300),
            V::Currency(-12_345),
            V::FloatingTime(45_000.25),
            V::ErrorCode(0x8004_010F),
            V::Boolean(true),
            V::Boolean(false),
            V::Int64(i64::MAX),
            V::Time(FileTime(116_444_736_000_000_000)),
            V::Guid([0xA5; 16]),
            V::String("Grüße, 世界 \u{1F600}".into()),
            V::String(String::new()),
            V::String8(String8(b"caf\xE9\0".to_vec())),
            V::Binary(vec![0, 1, 2, 0xFF]),
            V::Binary(Vec::new()),
            V::Object {
                nid: Nid(0x8021),
                size: 77,
            },
            V::ServerId(vec![1, 0, 9]),
            V::Restriction(vec![3; 5]),
            V::RuleAction(vec![4; 6]),
            V::MultipleInt16(vec![1, -1, i16::MAX]),
            V::MultipleInt32(vec![]),
            V::MultipleInt32(vec![7, -7]),
            V::MultipleFloat32(vec![0.25, -3.0]),
            V::MultipleFloat64(vec![2.5]),
            V::MultipleCurrency(vec![10_000, -1]),
            V::MultipleFloatingTime(vec![1.0, 2.0]),
            V::MultipleInt64(vec![i64::MIN, 0]),
            V::MultipleTime(vec![FileTime(0), FileTime(u64::MAX)]),
            V::MultipleGuid(vec![[1; 16], [2; 16]]),
            V::MultipleGuid(vec![]),
            V::MultipleString(vec!["one".into(), String::new(), "drei".into()]),
            V::MultipleString(vec![]),
            V::MultipleString8(vec![String8(b"ab".to_vec()), String8(Vec::new())]),
            V::MultipleBinary(vec![vec![], vec![1, 2, 3]]),
            V::Unknown {
                ptype: 0x0009,
                bytes: vec![1, 2, 3],
            },
        ]
    }

    #[test]
    fn encoded_len_is_the_encoding_s_length() {
        for v in every_variant() {
            assert_eq!(encoded_len(&v), encode_value(&v).len(), "{v:?}");
        }
    }

    #[test]
    fn every_variant_round_trips() {
        for v in every_variant() {
            let raw = encode_value(&v);
            let back = PropValue::decode(v.prop_type(), &raw).unwrap();
            assert_eq!(back, v, "{raw:02X?}");
        }
    }

    #[test]
    fn stored_forms() {
        assert_eq!(
            encode_value(&PropValue::String("UNICODE1".into())).len(),
            16
        );
        assert_eq!(encode_value(&PropValue::Boolean(true)), [1]);
        assert_eq!(
            encode_value(&PropValue::MultipleBinary(vec![
                b"ab".to_vec(),
                b"c".to_vec()
            ])),
            [2, 0, 0, 0, 12, 0, 0, 0, 14, 0, 0, 0, b'a', b'b', b'c']
        );
        assert_eq!(
            encode_value(&PropValue::MultipleString(vec![])),
            [0, 0, 0, 0]
        );
        assert_eq!(
            encode_value(&PropValue::MultipleGuid(vec![[7; 16]])).len(),
            16
        );
        assert_eq!(
            encode_value(&PropValue::Object {
                nid: Nid(0x8021),
                size: 16
            }),
            [0x21, 0x80, 0, 0, 0x10, 0, 0, 0]
        );
    }
}
