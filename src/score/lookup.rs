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
//! snapshot's tables, which are laid out for size. IPv4 intervals are
//! found by a table of entry points per /20 (a [`Direct`]); IPv6 intervals
//! by a small radix tree of entry points (a [`Radix`]): per /16, the
//! interval holding its first address; a /16 holding more than [`DENSE`]
//! intervals is split into /24s, and a dense /24 into /28s, each
//! sub-bucket's entry point stored in two bytes relative to its parent's.
//! The look-up ends with a short search among a handful of candidates
//! whose keys sit beside their slots, their one or two cache lines
//! requested before it: one cache miss, typically, after the entry
//! points.
//!
//! - IPv4 keys are the low 16 bits of `start - 1` (see
//!   [`FastIndex::locate_v4`]), kept in the slot's top bits.
//! - IPv6 keys are the top 64 bits of the interval starts, beside the slots.

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
/// A bucket with more candidates than this is split into sub-buckets.
pub(super) const DENSE: usize = 8;
/// No sub-buckets.
const LEAF_BUCKET: u32 = u32::MAX;
/// Partitions whose starts take at least this many bytes are laid out on
/// two threads, one per family; smaller ones before a thread could start.
const PARALLEL_FROM: usize = 1 << 20;

/// Entry points over the sorted interval starts `start(first..end)`: for
/// each of `buckets` buckets of `1 << shift` addresses from `base`, the
/// interval holding the bucket's first address; then `end - 1`.
fn entry_points(
    start: &impl Fn(usize) -> u128,
    (first, end): (usize, usize),
    base: u128,
    shift: u32,
    buckets: usize,
) -> Vec<usize> {
    let mut points = Vec::with_capacity(buckets + 1);
    let mut i = first;
    for t in 0..buckets {
        let at = base + ((t as u128) << shift);
        while i + 1 < end && start(i + 1) <= at {
            i += 1;
        }
        points.push(i);
    }
    points.push(end - 1);
    points
}

/// One level of sub-buckets: per split bucket of the level above, a node
/// of `1 << stride` sub-buckets.
#[derive(Debug)]
struct Level {
    stride: u32,
    /// Per node, `(1 << stride) + 1` entry points relative to the first
    /// candidate of the bucket it splits (the last is that bucket's last).
    points: Box<[u16]>,
    /// Per node and sub-bucket, its node in the next level, or
    /// [`LEAF_BUCKET`]; empty for the last level.
    children: Box<[u32]>,
}

/// Entry points by the top 16 bits, then by the strides of `levels` in
/// dense buckets: the candidates for an address, `lo..=hi`, where `lo`
/// holds the address's smallest bucket's first address and `hi` the next
/// bucket's (or the last interval).
#[derive(Debug)]
struct Radix {
    /// Per /16, the interval holding its first address and its node in
    /// `levels[0]` (or [`LEAF_BUCKET`]), side by side so that the first
    /// step reads one cache line; then the last interval.
    top: Box<[[u32; 2]]>,
    levels: Vec<Level>,
}

impl Radix {
    /// The radix tree over `n` sorted interval starts, whose entry points
    /// by the top 16 bits (`top(t)`, `t` in `0..=1 << 16`) are given.
    fn new(
        start: impl Fn(usize) -> u128,
        top: impl Fn(usize) -> usize,
        n: usize,
        bits: u32,
        strides: &[u32],
    ) -> Self {
        let top: Vec<usize> = (0..=1 << 16).map(|t| top(t).min(n - 1)).collect();
        let mut levels: Vec<Level> = strides
            .iter()
            .map(|&stride| Level {
                stride,
                points: Box::default(),
                children: Box::default(),
            })
            .collect();
        let mut points: Vec<Vec<u16>> = vec![Vec::new(); strides.len()];
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); strides.len()];
        // Buckets to split: (level, slot in the parent's children, base
        // address, shift of the bucket's size, first, last candidate).
        let mut top_children = vec![LEAF_BUCKET; 1 << 16];
        let mut work: Vec<(usize, usize, u128, u32, usize, usize)> = (0..1usize << 16)
            .map(|t| {
                (
                    0,
                    t,
                    (t as u128) << (bits - 16),
                    bits - 16,
                    top[t],
                    top[t + 1],
                )
            })
            .collect();
        work.reverse();
        while let Some((depth, parent, base, shift, lo, hi)) = work.pop() {
            if depth >= strides.len() || hi - lo < DENSE || hi - lo > usize::from(u16::MAX) {
                continue;
            }
            let stride = strides[depth];
            let node = (points[depth].len() / ((1 << stride) + 1)) as u32;
            if depth == 0 {
                top_children[parent] = node;
            } else {
                children[depth - 1][parent] = node;
            }
            let sub = shift - stride;
            let entries = entry_points(&start, (lo, hi + 1), base, sub, 1 << stride);
            points[depth].extend(entries.iter().map(|&i| (i - lo) as u16));
            if depth + 1 < strides.len() {
                let first_child = children[depth].len();
                children[depth].extend(std::iter::repeat_n(LEAF_BUCKET, 1 << stride));
                for j in 0..1usize << stride {
                    let at = base + ((j as u128) << sub);
                    work.push((
                        depth + 1,
                        first_child + j,
                        at,
                        sub,
                        entries[j],
                        entries[j + 1],
                    ));
                }
            }
        }
        for ((level, p), c) in levels.iter_mut().zip(points).zip(children) {
            level.points = p.into_boxed_slice();
            level.children = c.into_boxed_slice();
        }
        Radix {
            top: top
                .into_iter()
                .enumerate()
                .map(|(t, i)| {
                    [
                        i as u32,
                        top_children.get(t).copied().unwrap_or(LEAF_BUCKET),
                    ]
                })
                .collect(),
            levels,
        }
    }

    /// The candidates for an address whose top 64 bits are `x`: the
    /// interval holding it is in `lo..=hi`,
    /// and `lo`'s start is at most the address. Every level lies in those
    /// bits, so the arithmetic is on 64 bits with a constant first shift.
    #[inline]
    fn candidates(&self, x: u64) -> (usize, usize) {
        let mut shift = 48;
        let t = (x >> shift) as usize;
        let [first, mut node] = self.top[t];
        let (mut lo, mut hi) = (first as usize, self.top[t + 1][0] as usize);
        for level in &self.levels {
            if node == LEAF_BUCKET {
                break;
            }
            shift -= level.stride;
            let j = ((x >> shift) as usize) & ((1 << level.stride) - 1);
            let at = node as usize * ((1 << level.stride) + 1) + j;
            hi = lo + usize::from(level.points[at + 1]);
            lo += usize::from(level.points[at]);
            node = level
                .children
                .get((node as usize) << level.stride | j)
                .copied()
                .unwrap_or(LEAF_BUCKET);
        }
        (lo, hi)
    }
}

/// Bits of an IPv4 address below the buckets of [`Direct`]: /20s.
const DIRECT_SHIFT: u32 = 12;

/// IPv4 entry points by /20: the interval holding each /20's first
/// address, then the last interval (4 MiB). One load gives the search's
/// candidates, where entry points by /16, split into /20s in dense /16s (a
/// [`Radix`], a quarter of the memory), took two dependent loads for most
/// addresses inside routed space. `Detector::lookup` on the real data took
/// about a tenth less time with it (`peer_ratios`, three interleaved runs:
/// median ratio to the maxminddb look-up 0.52–0.54 before, 0.46–0.50
/// after).
#[derive(Debug)]
struct Direct {
    points: Box<[u32]>,
}

impl Direct {
    /// The entry points over sorted starts, the first 0. Interval `i`
    /// holds the first address of /20 `t` exactly when
    /// `⌈start(i) / 2^12⌉ <= t < ⌈start(i + 1) / 2^12⌉`: one run of
    /// entries per interval, filled in one pass over the intervals.
    fn new(starts: &[[u8; 4]]) -> Self {
        let buckets = 1usize << (32 - DIRECT_SHIFT);
        let first_bucket = |i: usize| {
            starts.get(i).map_or(buckets, |s| {
                (u64::from(u32::from_le_bytes(*s)).div_ceil(1 << DIRECT_SHIFT)) as usize
            })
        };
        let mut points = vec![0u32; buckets + 1];
        for i in 1..starts.len() {
            let run = first_bucket(i)..first_bucket(i + 1);
            if let Some(p) = points.get_mut(run) {
                p.fill(i as u32);
            }
        }
        points[buckets] = (starts.len().max(1) - 1) as u32;
        Direct {
            points: points.into_boxed_slice(),
        }
    }

    /// The candidates for `ip`: the interval holding it is in `lo..=hi`,
    /// `lo` holds the first address of `ip`'s /20, and every later
    /// candidate starts in the /20 or at the next one's first address.
    #[inline]
    fn candidates(&self, ip: u32) -> (usize, usize) {
        let t = (ip >> DIRECT_SHIFT) as usize;
        match (self.points.get(t), self.points.get(t + 1)) {
            (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
            _ => (0, 0),
        }
    }

    /// Asks the CPU to fetch the line of `ip`'s entry points.
    #[inline]
    fn prefetch(&self, ip: u32) {
        prefetch(
            self.points
                .as_ptr()
                .wrapping_add((ip >> DIRECT_SHIFT) as usize),
        );
    }
}

/// The cache-friendly search structures and the per-interval slots.
#[derive(Debug)]
pub(super) struct FastIndex {
    v4_points: Direct,
    /// One slot per IPv4 interval, with its key.
    v4: Box<[AtomicU64]>,
    v6_radix: Radix,
    /// Per IPv6 interval, the top 64 bits of its start, then its slot.
    v6: Box<[AtomicU64]>,
}

impl FastIndex {
    /// The structures of `snapshot`'s two families, built side by side
    /// on two threads from the stored starts and entry points by /16.
    pub(super) fn new<S: AsRef<[u8]>>(snapshot: &Snapshot<S>) -> Self {
        let (v4, v6) = (snapshot.partition(false), snapshot.partition(true));
        let ((v4_points, v4), (v6_radix, v6)) = if v4.0.len() + v6.0.len() >= PARALLEL_FROM {
            std::thread::scope(|s| {
                let other = s.spawn(|| Self::family_v6(v6));
                let this = Self::family_v4(v4);
                (
                    this,
                    other
                        .join()
                        .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                )
            })
        } else {
            (Self::family_v4(v4), Self::family_v6(v6))
        };
        FastIndex {
            v4_points,
            v4,
            v6_radix,
            v6,
        }
    }

    /// The IPv6 radix tree and slots, from the starts and entry points by
    /// /16 (as [`Snapshot::partition`] gives them, checked on open: at
    /// least one interval, the first at address 0): per interval, the top
    /// 64 bits of its start, then its slot.
    fn family_v6((starts, index): (&[u8], &[u8])) -> (Radix, Box<[AtomicU64]>) {
        let (index, _) = index.as_chunks::<4>();
        let entry = |t: usize| u32::from_le_bytes(index[t]) as usize;
        let (starts, _) = starts.as_chunks::<16>();
        let start = |i: usize| u128::from_le_bytes(starts[i]);
        let slots = starts
            .iter()
            .flat_map(|s| {
                let key = (u128::from_le_bytes(*s) >> 64) as u64;
                [AtomicU64::new(key), AtomicU64::new(0)]
            })
            .collect();
        let n = starts.len().max(1);
        (Radix::new(start, entry, n, 128, &[8, 4]), slots)
    }

    /// The IPv4 entry points by /20 and slots, from the starts (as
    /// [`Snapshot::partition`] gives them); the slots start empty with
    /// their interval's key.
    fn family_v4((starts, _): (&[u8], &[u8])) -> (Direct, Box<[AtomicU64]>) {
        let (starts, _) = starts.as_chunks::<4>();
        let slots = starts
            .iter()
            .map(|s| {
                let key = u32::from_le_bytes(*s).wrapping_sub(1) & 0xffff;
                AtomicU64::new(u64::from(key) << KEY_SHIFT)
            })
            .collect();
        (Direct::new(starts), slots)
    }

    /// The IPv4 interval holding `ip`, and its slot.
    ///
    /// The candidates `lo..=hi` lie in one /16 `t`: the first holds the
    /// first address of `ip`'s bucket, every later one starts in
    /// `(t << 16, (t + 1) << 16]`, so `start - 1` lies in the /16 and its
    /// low 16 bits, the key, order the candidates: `start <= ip` exactly
    /// when `key < ip & 0xffff`. The first candidate is never compared.
    /// Branch-free halving, as in the snapshot's search.
    #[inline]
    fn locate_v4(&self, ip: u32) -> (usize, &AtomicU64) {
        self.search_v4(ip, self.v4_points.candidates(ip))
    }

    /// The search of [`locate_v4`](Self::locate_v4) among its candidates.
    ///
    /// The candidates' slots usually span one or two cache lines: both
    /// are requested before the first probe, so that a line the search
    /// reads late (or the slot it ends on, which it may not have probed)
    /// is already on its way rather than a second miss after the first.
    /// `lookup` on cold caches took a tenth to a sixth less time with it
    /// (medians over 12 to 15 interleaved runs: 80 → 66 ns, 85 → 75 ns).
    #[inline]
    fn search_v4(&self, ip: u32, candidates: (usize, usize)) -> (usize, &AtomicU64) {
        prefetch(self.v4.as_ptr().wrapping_add(candidates.0));
        prefetch(self.v4.as_ptr().wrapping_add(candidates.1));
        let i = search_v4_slots(&self.v4, ip, candidates);
        (i, &self.v4[i])
    }

    /// The key bits of IPv4 interval `i`'s slot (see
    /// [`search_v4_slots`]).
    fn v4_key_bits(&self, i: usize) -> u64 {
        self.v4
            .get(i)
            .map_or(0, |s| s.load(Ordering::Relaxed) & !((1 << KEY_SHIFT) - 1))
    }

    /// Asks the CPU to fetch the line of `ip`'s entry points, the first
    /// load of [`locate_v4`](Self::locate_v4).
    #[inline]
    fn prefetch_v4_index(&self, ip: u32) {
        self.v4_points.prefetch(ip);
    }

    /// The candidates of `ip`'s search in [`locate_v4`](Self::locate_v4).
    #[inline]
    fn candidates_v4(&self, ip: u32) -> (usize, usize) {
        self.v4_points.candidates(ip)
    }

    /// The IPv6 interval holding `ip`, and its slot: among the candidates,
    /// the last whose key (top 64 bits of its start) is at most the
    /// address's; if several starts share those bits (blocks longer than
    /// /64), the exact one.
    #[inline]
    fn locate_v6<S: AsRef<[u8]>>(&self, snapshot: &Snapshot<S>, ip: u128) -> (usize, &AtomicU64) {
        let x = (ip >> 64) as u64;
        let (lo, hi) = self.v6_radix.candidates(x);
        // As for IPv4 (see `search_v4`): 87.7 against 91.3 ns, medians
        // of ten interleaved runs on cold caches.
        prefetch(self.v6.as_ptr().wrapping_add(2 * lo));
        prefetch(self.v6.as_ptr().wrapping_add(2 * hi + 1));
        let mut base = lo;
        let mut len = hi - lo + 1;
        while len > 1 {
            let half = len / 2;
            if self.v6[2 * (base + half)].load(Ordering::Relaxed) <= x {
                base += half;
            }
            len -= half;
        }
        let mut i = base;
        if self.v6[2 * i].load(Ordering::Relaxed) == x {
            while i > 0 && snapshot.interval_start(i, true) > ip {
                i -= 1;
            }
        }
        (i, &self.v6[2 * i + 1])
    }
}

/// The IPv4 interval holding `ip` among its candidates `lo..=hi` (from the
/// radix tree), in slots (one per interval) whose top 16 bits are the
/// intervals' keys, as [`FastIndex::locate_v4`] lays them out: branch-free
/// halving, as in the snapshot's search. Other tables indexed by interval
/// may carry the same keys and be searched the same way.
#[inline]
pub(crate) fn search_v4_slots(slots: &[AtomicU64], ip: u32, (lo, hi): (usize, usize)) -> usize {
    let low = u64::from(ip & 0xffff);
    let mut base = lo;
    let mut len = hi - lo + 1;
    while len > 1 {
        let half = len / 2;
        if (slots[base + half].load(Ordering::Relaxed) >> KEY_SHIFT) < low {
            base += half;
        }
        len -= half;
    }
    base
}

/// The first probe of [`search_v4_slots`] among `lo..=hi`.
#[inline]
pub(crate) fn first_probe(lo: usize, hi: usize) -> usize {
    lo + (hi - lo).div_ceil(2)
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

    /// The candidates of [`interval_v4`](Self::interval_v4)'s search for
    /// `ip`: the third step; the search ([`search_v4_slots`]) is the last,
    /// in the detector's slots or in another table with the same keys
    /// ([`v4_key_bits`](Self::v4_key_bits)).
    #[inline]
    pub(crate) fn candidates_v4(&self, ip: std::net::Ipv4Addr) -> (usize, usize) {
        self.fast.candidates_v4(u32::from(ip))
    }

    /// The key bits of IPv4 interval `i` (the top 16 bits of a slot that
    /// [`search_v4_slots`] searches); zero past the last interval.
    pub(crate) fn v4_key_bits(&self, i: usize) -> u64 {
        self.fast.v4_key_bits(i)
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

    /// A seeded xorshift generator of test data.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

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
        assert!(d.snapshot().interval_count(true) > 8 * DENSE);
        assert!(check_every_boundary(&d) > 500);
    }

    /// Ranges of many sizes crowded into one IPv4 /16 pair and one IPv6
    /// /20, so that buckets are split at every level of the radix tree,
    /// with sub-buckets empty, single and dense.
    #[test]
    fn lookup_agrees_across_split_buckets() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let mut routes = String::new();
        // 198.18.0.0/15 (RFC 2544): 400 blocks of /18 to /30.
        let mut v4: Vec<(u32, u32)> = (0..400)
            .map(|_| {
                let len = 18 + (next() % 13) as u32;
                let size = 1u32 << (32 - len);
                let net = (0xc612_0000 + (next() as u32 % 0x2_0000)) & !(size - 1);
                (net, net + size - 1)
            })
            .collect();
        // 3fff::/20 (RFC 9637): 600 blocks of /24 to /64.
        let mut v6: Vec<(u128, u128)> = (0..600)
            .map(|_| {
                let len = 24 + (next() % 41) as u32;
                let size = 1u128 << (128 - len);
                let net = ((0x3fffu128 << 112)
                    | (u128::from(next() % 0x1000) << 100)
                    | (u128::from(next()) << 36))
                    & !(size - 1);
                (net, net + size - 1)
            })
            .collect();
        // Keep the blocks disjoint: drop any that overlaps a kept one.
        v4.sort();
        v4.dedup_by(|b, a| b.0 <= a.1);
        v6.sort();
        v6.dedup_by(|b, a| b.0 <= a.1);
        for (k, (s, e)) in v4.iter().enumerate() {
            let (s, e) = (std::net::Ipv4Addr::from(*s), std::net::Ipv4Addr::from(*e));
            routes.push_str(&format!("{s},{e},{},EXAMPLE-{k}\n", 64496 + k % 16));
        }
        for (k, (s, e)) in v6.iter().enumerate() {
            let (s, e) = (std::net::Ipv6Addr::from(*s), std::net::Ipv6Addr::from(*e));
            routes.push_str(&format!("{s},{e},{},EXAMPLE-{k}\n", 64496 + k % 16));
        }
        let mut b = SnapshotBuilder::new().build_time(0);
        b.add_reader("routes.csv", Some(Format::IplocationAsn), routes.as_bytes())
            .expect("routes");
        let d = Detector::new(b.build().expect("snapshot"), Model::default_model());
        let v6_radix = &d.fast.v6_radix;
        assert!(
            !v6_radix.levels[1].points.is_empty(),
            "a /24 split into /28s"
        );
        assert!(check_every_boundary(&d) > 4000);
    }

    /// Every /20's entry is the interval holding its first address, for
    /// starts crowded into one /20, on /20 boundaries, sparse, and at
    /// the ends of the space.
    #[test]
    fn direct_entries_hold_each_buckets_first_address() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let mut starts: Vec<u32> = vec![0, 1, 4095, 4096, 4097, 0x0001_0000, u32::MAX];
        starts.extend((0..40).map(|k| 0xc612_3000 + k * 7));
        starts.extend((0..2000).map(|_| next() as u32));
        starts.extend((0..200).map(|_| (next() as u32) & !0xfff));
        starts.sort_unstable();
        starts.dedup();
        let bytes: Vec<[u8; 4]> = starts.iter().map(|s| s.to_le_bytes()).collect();
        let direct = Direct::new(&bytes);
        let n = starts.len();
        assert_eq!(direct.points.len(), (1 << 20) + 1);
        assert_eq!(direct.points[1 << 20] as usize, n - 1);
        for t in 0..1u32 << 20 {
            let at = t << DIRECT_SHIFT;
            let i = direct.points[t as usize] as usize;
            assert!(starts[i] <= at, "/20 {t}: entry {i} starts after it");
            assert!(
                i + 1 == n || starts[i + 1] > at,
                "/20 {t}: entry {i} ends before it"
            );
        }
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
