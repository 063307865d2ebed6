//! A fast keyed hasher for the compiler's maps of integers (cells, indices,
//! AS numbers, addresses).
//!
//! The standard library's SipHash costs a dozen rounds per field; interning
//! the cells of a real-scale snapshot (over a million lookups of a
//! seven-field key) spent more time hashing than comparing. Each word here
//! costs one 64×64→128-bit multiply by a secret odd factor, its halves
//! folded together: the factor is drawn per map from the standard
//! library's random keys, so inputs cannot be chosen to collide without
//! knowing it (the multiply carries every bit of a difference into
//! secret-dependent bits of the result).
//!
//! Iteration order is as arbitrary as with `RandomState`: callers sort
//! whatever they iterate when the result reaches the snapshot.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

/// A `HashMap` with the fast keyed hasher.
pub(crate) type FastMap<K, V> = HashMap<K, V, FastState>;
/// A `HashSet` with the fast keyed hasher.
pub(crate) type FastSet<K> = HashSet<K, FastState>;

/// Builds [`FastHasher`]s with per-map secret keys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastState {
    seed: u64,
    factor: u64,
}

impl Default for FastState {
    fn default() -> Self {
        // Two fresh words from the standard library's per-map random keys.
        let random = std::collections::hash_map::RandomState::new();
        let seed = random.hash_one(0x5eed_u64);
        let factor = random.hash_one(0xfac7_u64) | 1;
        FastState { seed, factor }
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher {
            h: self.seed,
            factor: self.factor,
        }
    }
}

/// One word at a time: `h = fold(h ^ word)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastHasher {
    h: u64,
    factor: u64,
}

impl FastHasher {
    #[inline]
    fn word(&mut self, w: u64) {
        let p = u128::from(self.h ^ w) * u128::from(self.factor);
        self.h = (p as u64) ^ ((p >> 64) as u64);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        // The length keeps "a" and "a\0" apart.
        self.word(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.word(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.word(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.word(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.word(i as u64);
        self.word((i >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // One more round, so that the last word reaches the high bits the
        // table's tags are taken from as well as its bucket bits.
        let p = u128::from(self.h) * u128::from(self.factor.rotate_left(29) | 1);
        (p as u64) ^ ((p >> 64) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_work_and_equal_keys_hash_equal() {
        let mut m: FastMap<(u32, u128), u32> = FastMap::default();
        for i in 0..10_000u32 {
            m.insert((i, u128::from(i) << 64), i);
        }
        assert_eq!(m.len(), 10_000);
        assert!((0..10_000u32).all(|i| m[&(i, u128::from(i) << 64)] == i));
        let s = FastState::default();
        assert_eq!(s.hash_one("abc"), s.hash_one("abc"));
        assert_ne!(s.hash_one("a"), s.hash_one("a\0"));
        assert_ne!(s.hash_one(1u64), s.hash_one(2u64));
    }
}
