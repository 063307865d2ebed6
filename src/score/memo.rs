//! What the model makes of a feature vector, kept by vector, for callers
//! that score many subjects with the same features.
//!
//! Many address ranges share a feature vector exactly: the ranges of one
//! AS that differ only in where they start, ranges with the same evidence
//! in ASes of the same shape. Batch scoring meets each range once; on the
//! synthetic benchmark world (620,030 IPv4 ranges, 10 M query lines) the
//! model's evaluation was the largest single cost of a range's first row,
//! and 86% of the evaluations were of a vector met before. An [`EvalMemo`]
//! keeps each distinct vector's [`Evaluation`] under exact keys (the
//! vector's bits, not a digest), so a repeated vector costs a hash and a
//! compare instead of a walk of every tree.

use hashbrown::HashTable;

use super::{Class, MAX_REASONS};
use crate::features::{FEATURE_COUNT, FeatureVector};

/// The part of a score that depends on the feature vector alone: the
/// probability, the model's class (before the rules on the subject), and
/// the strongest contributions, in the order the reasons show them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Evaluation {
    pub(crate) probability: f64,
    pub(crate) class: Class,
    pub(crate) len: u8,
    pub(crate) order: [u8; MAX_REASONS],
    pub(crate) contributions: [f64; MAX_REASONS],
}

/// A feature vector's bits.
type Key = [u64; FEATURE_COUNT];

/// One word from every word of a key, so that the low bits (the bucket)
/// and the top bits (the table's tag) both depend on every feature.
fn hash(key: &Key) -> u64 {
    mix(key.iter().fold(0, |h, &w| fold(h, w)))
}

/// Folds word `w` into hash `h` (multiply-rotate); finish with [`mix`].
#[inline]
pub(crate) fn fold(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// MurmurHash3's 64-bit finaliser: every bit of `h` moves every bit of
/// the result.
#[inline]
pub(crate) fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Evaluations by feature vector, for one thread. At most `limit` are
/// kept (about 430 bytes each); further vectors are evaluated but not
/// kept, so memory is bounded whatever the input.
pub(crate) struct EvalMemo {
    /// Indexes into `keys` and `values`, with their hash.
    table: HashTable<(u64, u32)>,
    keys: Vec<Key>,
    values: Vec<Evaluation>,
    limit: usize,
    /// The number of the vector that `get_or` was last asked for, when
    /// kept.
    last: Option<u32>,
}

impl EvalMemo {
    /// A memo keeping at most `limit` vectors.
    pub(crate) fn new(limit: usize) -> Self {
        EvalMemo {
            table: HashTable::new(),
            keys: Vec::new(),
            values: Vec::new(),
            limit: limit.min(u32::MAX as usize),
            last: None,
        }
    }

    /// The number of the vector last asked for by [`get_or`](Self::get_or)
    /// since [`forget_last`](Self::forget_last), when it is kept: equal
    /// numbers, equal vectors (bit for bit).
    pub(crate) fn last(&self) -> Option<u32> {
        self.last
    }

    /// Forgets the vector last asked for.
    pub(crate) fn forget_last(&mut self) {
        self.last = None;
    }

    /// The evaluation of `x`: the kept one, or `evaluate()`'s, kept when
    /// there is room.
    #[inline]
    pub(crate) fn get_or(
        &mut self,
        x: &FeatureVector,
        evaluate: impl FnOnce() -> Evaluation,
    ) -> Evaluation {
        let key: Key = x.values().map(f64::to_bits);
        let h = hash(&key);
        let keys = &self.keys;
        if let Some(&(_, at)) = self
            .table
            .find(h, |&(eh, at)| eh == h && keys[at as usize] == key)
        {
            self.last = Some(at);
            return self.values[at as usize];
        }
        let e = evaluate();
        self.last = None;
        if self.keys.len() < self.limit {
            let at = self.keys.len() as u32;
            self.keys.push(key);
            self.values.push(e);
            self.table.insert_unique(h, (h, at), |&(eh, _)| eh);
            self.last = Some(at);
        }
        e
    }

    /// Vectors kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Feature;

    fn evaluation(p: f64) -> Evaluation {
        Evaluation {
            probability: p,
            class: Class::Clean,
            len: 0,
            order: [0; MAX_REASONS],
            contributions: [0.0; MAX_REASONS],
        }
    }

    #[test]
    fn keeps_exact_vectors_up_to_its_limit() {
        let mut memo = EvalMemo::new(2);
        let mut a = FeatureVector::default();
        a.set(Feature::AsnDrop, 1.0);
        let mut b = a;
        b.set(Feature::IpListed, 2.0);
        // -0.0 and 0.0 compare equal as numbers but are other keys.
        let mut c = a;
        c.set(Feature::IpListed, -0.0);
        let mut calls = 0;
        let mut get = |memo: &mut EvalMemo, x: &FeatureVector, p: f64| {
            memo.get_or(x, || {
                calls += 1;
                evaluation(p)
            })
        };
        assert_eq!(memo.last(), None);
        assert_eq!(get(&mut memo, &a, 0.1).probability, 0.1);
        assert_eq!(memo.last(), Some(0));
        assert_eq!(get(&mut memo, &a, 0.9).probability, 0.1);
        assert_eq!(memo.last(), Some(0));
        memo.forget_last();
        assert_eq!(memo.last(), None);
        assert_eq!(get(&mut memo, &b, 0.2).probability, 0.2);
        assert_eq!(memo.last(), Some(1));
        assert_eq!(get(&mut memo, &b, 0.9).probability, 0.2);
        assert_eq!(get(&mut memo, &a, 0.9).probability, 0.1);
        assert_eq!(memo.last(), Some(0));
        // Full: c is evaluated each time, and not kept.
        assert_eq!(get(&mut memo, &c, 0.3).probability, 0.3);
        assert_eq!(memo.last(), None);
        assert_eq!(get(&mut memo, &c, 0.4).probability, 0.4);
        assert_eq!(memo.len(), 2);
        assert_eq!(calls, 4);
    }

    #[test]
    fn many_vectors_are_told_apart() {
        let mut memo = EvalMemo::new(usize::MAX);
        for round in 0..2 {
            for i in 0..5000u32 {
                // Two features set, the first to a value of its own.
                let k = (i % 45) as usize;
                let mut x = FeatureVector::default();
                x.set(Feature::ALL[k], f64::from(i + 1));
                x.set(Feature::ALL[(k + 1) % 45], f64::from(i / 45 + 1));
                let e = memo.get_or(&x, || {
                    assert_eq!(round, 0, "vector {i} evaluated again");
                    evaluation(f64::from(i))
                });
                assert_eq!(e.probability, f64::from(i));
            }
        }
        assert_eq!(memo.len(), 5000);
    }
}
