//! Sets and counts of block ids in about a bit per id, for walks that must
//! remember every block they met (the check's visited trees and its
//! reference counts). Writers hand out block ids in steps of four, so the
//! ids of a file lie densely in a few ranges: a 64-bit word per 64 ids,
//! kept in a map by word, costs well under a byte a block where a hash set
//! of ids costs 16 or more; ids scattered by a damaged file cost no more
//! than such a set would.

use std::collections::HashMap;

/// A set of block keys (block ids with the reserved bit clear).
#[derive(Debug, Default)]
pub(crate) struct BidSet {
    words: HashMap<u64, u64>,
}

impl BidSet {
    /// The word and bit of a key: bit 0 of a key is always clear, so the
    /// id's other 63 bits are the index.
    fn slot(key: u64) -> (u64, u64) {
        let index = key >> 1;
        (index >> 6, 1u64 << (index & 63))
    }

    /// Adds `key`; whether it was new.
    pub(crate) fn insert(&mut self, key: u64) -> bool {
        let (word, bit) = Self::slot(key);
        let w = self.words.entry(word).or_insert(0);
        let new = *w & bit == 0;
        *w |= bit;
        new
    }

    /// Whether `key` was added.
    pub(crate) fn contains(&self, key: u64) -> bool {
        let (word, bit) = Self::slot(key);
        self.words.get(&word).is_some_and(|w| w & bit != 0)
    }
}

/// How many times each block key was counted: a bit for the keys counted
/// once (nearly every block of a sound file), a count for the others.
#[derive(Debug, Default)]
pub(crate) struct RefCounts {
    once: BidSet,
    more: HashMap<u64, u32>,
}

impl RefCounts {
    /// Counts one more reference to `key`.
    pub(crate) fn add(&mut self, key: u64) {
        if !self.once.insert(key) {
            let n = self.more.entry(key).or_insert(1);
            *n = n.saturating_add(1);
        }
    }

    /// The references counted to `key`.
    pub(crate) fn get(&self, key: u64) -> u64 {
        if !self.once.contains(key) {
            return 0;
        }
        u64::from(self.more.get(&key).copied().unwrap_or(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_tells_each_key_apart() {
        let mut s = BidSet::default();
        // Neighbours in one word, the internal bit, the word's edges, and
        // keys far apart.
        let keys = [4u64, 8, 6, 126, 128, 130, 0x1_0000_0004, u64::MAX - 1];
        for &k in &keys {
            assert!(!s.contains(k));
            assert!(s.insert(k), "{k:#x} is new");
            assert!(s.contains(k));
            assert!(!s.insert(k), "{k:#x} is not new twice");
        }
        for k in [12u64, 2, 124, 132, 0x1_0000_0008, u64::MAX - 3] {
            assert!(!s.contains(k), "{k:#x} was never added");
        }
    }

    #[test]
    fn dense_ids_take_a_word_per_32() {
        let mut s = BidSet::default();
        (1..=32_000u64).for_each(|i| {
            s.insert(i * 4);
        });
        assert!(s.words.len() <= 1_001, "{} words", s.words.len());
    }

    #[test]
    fn counts_are_exact_past_one() {
        let mut c = RefCounts::default();
        assert_eq!(c.get(40), 0);
        c.add(40);
        assert_eq!(c.get(40), 1);
        c.add(40);
        c.add(40);
        assert_eq!(c.get(40), 3);
        c.add(44);
        assert_eq!((c.get(44), c.get(40), c.get(42), c.get(48)), (1, 3, 0, 0));
    }
}
