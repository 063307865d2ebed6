//! The fast path: [`Detector::lookup`] answers an address with its
//! probability and class from a per-interval table filled on first use,
//! and a [`Verdict`] keeps the handle from which [`Detector::explain`]
//! derives the reasons when they are wanted.
//!
//! Every address of one interval of the snapshot's partition has the same
//! features, so it has the same probability and class. The detector keeps
//! one 8-byte slot per interval; a slot is computed by the full scoring
//! path the first time an address of its interval is looked up, then read
//! with one load. Slots are atomics written with relaxed ordering: the value
//! is a pure function of the snapshot and the model, so two threads racing
//! to fill one slot store the same bits.
//!
//! The search itself is laid out for the cache rather than read from the
//! snapshot's tables, which are laid out for size:
//!
//! - IPv4: the snapshot's entry points by the top 16 bits bound the search
//!   to a few intervals, and each slot also holds its interval's start
//!   (16 bits suffice within the bucket, see [`FastIndex::locate_v4`]), so
//!   the search and the answer share cache lines: one miss, typically.
//! - IPv6: allocations crowd into a few dozen /16s, where entry points by
//!   the top bits help little, so a static B+ tree of 16-key nodes over the
//!   top 64 bits of the interval starts finds the interval: the upper
//!   levels stay in cache, each lower level costs one or two lines.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Class, Detector, Reasons};
use crate::snapshot::{self, Snapshot};

/// Bits 0..31: the probability as `f32` bits (non-negative: no sign bit);
/// bits 31..34: the class; bit 34: filled; bits 48..64: the IPv4 key.
const PROBABILITY: u64 = 0x7fff_ffff;
const CLASS_SHIFT: u32 = 31;
const FILLED: u64 = 1 << 34;
const KEY_SHIFT: u32 = 48;
/// Keys per inner node of the IPv6 tree: 16 × 8 bytes, two cache lines.
const NODE: usize = 16;
/// (key, slot) pairs per leaf of the IPv6 tree: 8 × 16 bytes, two lines.
const LEAF: usize = 8;

/// The cache-friendly search structures and the per-interval slots.
#[derive(Debug)]
pub(super) struct FastIndex {
    /// The snapshot's IPv4 entry points (65,537), copied for aligned loads.
    v4_index: Box<[u32]>,
    /// One slot per IPv4 interval, with its key.
    v4: Box<[AtomicU64]>,
    /// The IPv6 tree's leaves: per interval, the top 64 bits of its start
    /// and its slot, side by side so that the search ends on the answer's
    /// cache line; padded to whole leaves with `u64::MAX` keys.
    v6_leaves: Box<[AtomicU64]>,
    v6_len: usize,
    /// The inner levels, lowest first: every 8th leaf key, then every 16th
    /// key of the level below; each padded to whole nodes with `u64::MAX`,
    /// with its length before padding.
    v6_levels: Vec<(Box<[u64]>, usize)>,
}

impl FastIndex {
    pub(super) fn new<S: AsRef<[u8]>>(snapshot: &Snapshot<S>) -> Self {
        let counts = snapshot.counts();
        let v4_index: Box<[u32]> = (0..=1usize << 16)
            .map(|t| snapshot.v4_entry_point(t) as u32)
            .collect();
        let v4 = (0..counts.v4_intervals)
            .map(|i| {
                let start = snapshot.interval_start(i, false) as u32;
                AtomicU64::new(u64::from(start.wrapping_sub(1) & 0xffff) << KEY_SHIFT)
            })
            .collect();
        let n6 = counts.v6_intervals;
        let keys: Vec<u64> = (0..n6)
            .map(|i| (snapshot.interval_start(i, true) >> 64) as u64)
            .collect();
        let mut v6_leaves = Vec::with_capacity(2 * n6.div_ceil(LEAF).max(1) * LEAF);
        for j in 0..n6.div_ceil(LEAF).max(1) * LEAF {
            v6_leaves.push(AtomicU64::new(keys.get(j).copied().unwrap_or(u64::MAX)));
            v6_leaves.push(AtomicU64::new(0));
        }
        let mut level: Vec<u64> = keys.iter().step_by(LEAF).copied().collect();
        let mut v6_levels = Vec::new();
        loop {
            let next: Vec<u64> = level.iter().step_by(NODE).copied().collect();
            let (len, done) = (level.len(), level.len() <= NODE);
            level.resize(len.div_ceil(NODE).max(1) * NODE, u64::MAX);
            v6_levels.push((level.into_boxed_slice(), len));
            if done {
                break;
            }
            level = next;
        }
        FastIndex {
            v4_index,
            v4,
            v6_leaves: v6_leaves.into_boxed_slice(),
            v6_len: n6,
            v6_levels,
        }
    }

    /// The IPv4 interval holding `ip`, and its slot.
    ///
    /// Within bucket `t` (the top 16 bits), the candidates are entries
    /// `index[t]..=index[t + 1]`; the first holds `t << 16`, every later one
    /// starts in `(t << 16, (t + 1) << 16]`, so `start - 1` lies in the
    /// bucket and its low 16 bits, the key, order the candidates:
    /// `start <= ip` exactly when `key < ip & 0xffff`. The first candidate
    /// is never compared. Branch-free halving, as in the snapshot's search.
    #[inline]
    fn locate_v4(&self, ip: u32) -> (usize, &AtomicU64) {
        let t = (ip >> 16) as usize;
        let lo = self.v4_index[t] as usize;
        let hi = self.v4_index[t + 1] as usize;
        let low = u64::from(ip & 0xffff);
        let mut base = lo;
        let mut len = hi - lo + 1;
        while len > 1 {
            let half = len / 2;
            if (self.v4[base + half].load(Ordering::Relaxed) >> KEY_SHIFT) < low {
                base += half;
            }
            len -= half;
        }
        (base, &self.v4[base])
    }

    /// Asks the CPU to fetch the line of `ip`'s bucket entry points, the
    /// first load of [`locate_v4`](Self::locate_v4).
    #[inline]
    fn prefetch_v4_index(&self, ip: u32) {
        prefetch(self.v4_index.as_ptr().wrapping_add((ip >> 16) as usize));
    }

    /// Asks the CPU to fetch the line of the first probe of `ip`'s bucket
    /// search in [`locate_v4`](Self::locate_v4).
    #[inline]
    fn prefetch_v4_slots(&self, ip: u32) {
        let t = (ip >> 16) as usize;
        let lo = self.v4_index[t] as usize;
        let hi = self.v4_index[t + 1] as usize;
        prefetch(self.v4.as_ptr().wrapping_add(lo + (hi - lo + 1) / 2));
    }

    /// The IPv6 interval holding `ip`, and its slot: the last start whose
    /// top 64 bits are at most the address's, by the tree; then, if several
    /// starts share those bits (blocks longer than /64), the exact one.
    #[inline]
    fn locate_v6<S: AsRef<[u8]>>(&self, snapshot: &Snapshot<S>, ip: u128) -> (usize, &AtomicU64) {
        let x = (ip >> 64) as u64;
        let mut pos = 0usize;
        for (level, len) in self.v6_levels.iter().rev() {
            let base = pos * NODE;
            let node: &[u64; NODE] = level[base..]
                .first_chunk()
                .expect("levels are padded to whole nodes");
            // A sum of comparisons, not a search: the compiler makes it a
            // few vector instructions with no branch on the data.
            let le: usize = node.iter().map(|&k| usize::from(k <= x)).sum();
            // The node's first key is the key above it, which is <= x (the
            // first key of all is 0): `le >= 1`. Padding counts only when
            // x is u64::MAX, hence the clamp to the real keys.
            pos = (base + le.max(1) - 1).min(len.saturating_sub(1));
        }
        let base = pos * LEAF;
        let leaf = &self.v6_leaves[2 * base..2 * (base + LEAF)];
        let le: usize = (0..LEAF)
            .map(|j| usize::from(leaf[2 * j].load(Ordering::Relaxed) <= x))
            .sum();
        let mut i = (base + le.max(1) - 1).min(self.v6_len.saturating_sub(1));
        if self.v6_leaves[2 * i].load(Ordering::Relaxed) == x {
            while i > 0 && snapshot.interval_start(i, true) > ip {
                i -= 1;
            }
        }
        (i, &self.v6_leaves[2 * i + 1])
    }
}

/// A hint to fetch the cache line holding `p` into every cache level; it
/// reads nothing and cannot fault (a no-op on other architectures).
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    // SAFETY: a prefetch reads no memory and never faults, whatever the
    // address; SSE is part of the x86-64 baseline.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

fn pack(probability: f64, class: Class) -> u64 {
    FILLED
        | (class_index(class) << CLASS_SHIFT)
        | (u64::from((probability as f32).to_bits()) & PROBABILITY)
}

fn unpack(bits: u64) -> (f32, Class) {
    let class = ((bits >> CLASS_SHIFT) & 0x7) as usize;
    (
        f32::from_bits((bits & PROBABILITY) as u32),
        Class::ALL[class.min(Class::ALL.len() - 1)],
    )
}

fn class_index(class: Class) -> u64 {
    Class::ALL.iter().position(|&c| c == class).unwrap_or(4) as u64
}

/// The answer of [`Detector::lookup`]: probability and class, and a handle
/// to the evidence for [`Detector::explain`].
///
/// It is 12 bytes and `Copy`; it borrows nothing.
///
/// ```
/// use bphscore::{Class, Detector};
///
/// let detector = Detector::default_world()?;
/// let verdict = detector.lookup("198.18.200.200".parse()?);
/// assert_eq!(verdict.class, Class::BphReseller);
/// assert!(verdict.probability > 0.5);
/// // The reasons, derived only when asked for.
/// let reasons = detector.explain(&verdict);
/// assert!(reasons.iter().any(|r| r.source.is_some()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Verdict {
    /// The probability that the address is bulletproof or reseller hosting,
    /// in [0, 1] (as `f32`: [`Detector::score_ip`] gives the `f64`).
    pub probability: f32,
    /// The verdict; the same as [`Detector::score_ip`] gives.
    pub class: Class,
    interval: u32,
    v6: bool,
}

impl<S: AsRef<[u8]>> Detector<S> {
    /// Looks up an address: probability and class, with a handle to the
    /// reasons. The fast path for inline use (firewall enrichment): after
    /// the first look-up in an interval of the snapshot, it is a search in
    /// the snapshot's partition and one load.
    ///
    /// The class always equals [`score_ip`](Self::score_ip)'s; the
    /// probability is the same rounded to `f32`.
    ///
    /// ```
    /// use bphscore::{Class, Detector};
    ///
    /// let detector = Detector::default_world()?;
    /// for ip in ["198.18.3.7", "240.1.2.3", "100.64.1.1", "192.0.0.8", "2001:db8:bad::1"] {
    ///     let ip = ip.parse()?;
    ///     let fast = detector.lookup(ip);
    ///     let full = detector.score_ip(ip);
    ///     assert_eq!(fast.class, full.class);
    ///     assert_eq!(fast.probability, full.probability as f32);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Verdict {
        let fast = &self.fast;
        let (i, v6, slot) = match ip {
            IpAddr::V4(a) => {
                let (i, slot) = fast.locate_v4(u32::from(a));
                (i, false, slot)
            }
            IpAddr::V6(a) => {
                let (i, slot) = fast.locate_v6(&self.snapshot, u128::from(a));
                (i, true, slot)
            }
        };
        let mut bits = slot.load(Ordering::Relaxed);
        if bits & FILLED == 0 {
            bits = self.fill(slot, bits, i, v6);
        }
        let (probability, class) = unpack(bits);
        Verdict {
            probability,
            class,
            interval: i as u32,
            v6,
        }
    }

    /// Scores interval `i` in full and stores its probability and class in
    /// its slot, keeping the slot's key bits.
    #[cold]
    fn fill(&self, slot: &AtomicU64, old: u64, i: usize, v6: bool) -> u64 {
        let start = self.snapshot.interval_start(i, v6);
        let score = self.score_ip(snapshot::u128_to_ip(start, v6));
        let bits = (old & !((1u64 << KEY_SHIFT) - 1)) | pack(score.probability, score.class);
        slot.store(bits, Ordering::Relaxed);
        bits
    }

    /// The IPv4 interval holding `ip`, by the fast index.
    #[inline]
    pub(crate) fn interval_v4(&self, ip: std::net::Ipv4Addr) -> usize {
        self.fast.locate_v4(u32::from(ip)).0
    }

    /// Prefetches the first line [`interval_v4`](Self::interval_v4) reads
    /// for `ip`: the first of two steps, some work apart, that let the
    /// look-ups of many addresses wait for memory together.
    #[inline]
    pub(crate) fn prefetch_v4_index(&self, ip: std::net::Ipv4Addr) {
        self.fast.prefetch_v4_index(u32::from(ip));
    }

    /// Prefetches the first probe of [`interval_v4`](Self::interval_v4)'s
    /// search for `ip`; the second step, after
    /// [`prefetch_v4_index`](Self::prefetch_v4_index).
    #[inline]
    pub(crate) fn prefetch_v4_slots(&self, ip: std::net::Ipv4Addr) {
        self.fast.prefetch_v4_slots(u32::from(ip));
    }

    /// The IPv6 interval holding `ip`, by the fast index.
    #[inline]
    pub(crate) fn interval_v6(&self, ip: std::net::Ipv6Addr) -> usize {
        self.fast.locate_v6(&self.snapshot, u128::from(ip)).0
    }

    /// The matched route of interval `i`: its first and last address.
    pub(crate) fn interval_route(&self, i: usize, v6: bool) -> Option<(u128, u128)> {
        let cell = self.snapshot.interval_cell(i, v6);
        (cell.route != crate::features::compile::NO_ROUTE).then(|| {
            let r = self.snapshot.route(cell.route);
            (r.start, r.end)
        })
    }

    /// The reasons behind a [`Verdict`], strongest first, with their sources
    /// and dates: the same as [`score_ip`](Self::score_ip) gives for any
    /// address of the verdict's interval.
    ///
    /// The verdict must come from this detector.
    pub fn explain(&self, verdict: &Verdict) -> Reasons<'_> {
        let i = verdict.interval as usize;
        let start = self.snapshot.interval_start(i, verdict.v6);
        self.score_ip(snapshot::u128_to_ip(start, verdict.v6))
            .reasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::Model;
    use crate::snapshot::SnapshotBuilder;
    use crate::source::Format;

    /// Checks `lookup` against the snapshot's own search and `score_ip`
    /// on both sides of every interval boundary and inside each interval.
    fn check_every_boundary<S: AsRef<[u8]>>(d: &Detector<S>) -> usize {
        let snap = d.snapshot();
        let mut checked = 0;
        for v6 in [false, true] {
            let n = snap.interval_count(v6);
            for i in 0..n {
                let (start, end, _) = snap.interval(i, v6);
                let mid = start + (end - start) / 2;
                let mut probes = vec![start, end, mid, start.saturating_add(1).min(end)];
                if start > 0 {
                    probes.push(start - 1);
                }
                for a in probes {
                    let ip = snapshot::u128_to_ip(a, v6);
                    let verdict = d.lookup(ip);
                    let score = d.score_ip(ip);
                    assert_eq!(
                        verdict.interval as usize,
                        snap.locate(a, v6),
                        "interval of {ip}"
                    );
                    assert_eq!(verdict.class, score.class, "class of {ip}");
                    assert_eq!(verdict.probability, score.probability as f32, "{ip}");
                    assert_eq!(d.explain(&verdict), score.reasons, "reasons of {ip}");
                    checked += 1;
                }
            }
        }
        checked
    }

    #[test]
    fn lookup_agrees_with_score_ip_on_the_default_world() {
        let d = Detector::default_world().expect("default world");
        assert!(check_every_boundary(&d) > 100);
    }

    /// Many IPv6 boundaries inside one /64 (single listed addresses), more
    /// than a tree node holds, and nodes at both ends of the space.
    #[test]
    fn lookup_agrees_where_starts_share_their_top_64_bits() {
        let mut routes = String::new();
        let mut listed = String::new();
        for k in 0..40u32 {
            let net = format!("2001:db8:{:x}::", k * 16);
            routes.push_str(&format!(
                "{net},2001:db8:{:x}:ffff:ffff:ffff:ffff:ffff,{},EXAMPLE-{k}\n",
                k * 16 + 7,
                64496 + (k % 16)
            ));
        }
        for k in 0..50u32 {
            listed.push_str(&format!("2001:db8:10::{:x}\n", 3 * k + 1));
            listed.push_str(&format!("198.51.100.{}\n", 2 * k + 1));
        }
        routes.push_str("198.51.100.0,198.51.100.255,64500,EXAMPLE-V4\n");
        routes.push_str("ffff::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,64501,EXAMPLE-TOP\n");
        let mut b = SnapshotBuilder::new().build_time(0);
        b.add_reader("routes.csv", Some(Format::IplocationAsn), routes.as_bytes())
            .expect("routes");
        b.add_reader("listed.netset", Some(Format::Netset), listed.as_bytes())
            .expect("listings");
        let d = Detector::new(b.build().expect("snapshot"), Model::default_model());
        assert!(d.snapshot().interval_count(true) > 2 * NODE * NODE / 4);
        assert!(check_every_boundary(&d) > 500);
    }

    #[test]
    fn pack_round_trips_every_class() {
        for class in Class::ALL {
            for p in [0.0, 1e-9, 0.02, 0.5, 0.999_999, 1.0] {
                let bits = pack(p, class) | (0xbeef << KEY_SHIFT);
                assert_ne!(bits & FILLED, 0);
                assert_eq!(unpack(bits), (p as f32, class));
            }
        }
    }
}
