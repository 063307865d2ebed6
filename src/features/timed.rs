//! Time-aware evidence: abuse indicators with timestamps and categories,
//! and passive-DNS observations, turned into per-address, per-block (/24,
//! IPv6 /48) and per-AS tables when a snapshot is built.
//!
//! Time is measured against the snapshot's reference time (`as_of`):
//!
//! - an observation last seen more than the horizon before `as_of` is
//!   dropped (expired), one first seen after `as_of` is dropped too;
//! - a kept abuse observation weighs `0.5^(age / half_life)`, its age
//!   counted from its last sighting;
//! - an address listing last seen before the registry dated a transfer of
//!   its block (delegated statistics after the registration) belongs to
//!   the previous holder: it is not counted, and the reset is reported.
//!
//! Passive DNS is aggregated per domain while it streams: a domain keeps
//! its first and last sighting, its record spans and up to
//! [`MAX_REMEMBERED_ADDRS`] distinct addresses. Memory is bounded by the
//! number of distinct domains and addresses, not by the number of records.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::compile::{Cell, Tables, V6_UNIT_SHIFT};
use super::fasthash::FastMap;
use super::whois::NONE;
use crate::source::{Category, DnsObservation, Indicator, Target};

const DAY: i64 = 86_400;
/// Addresses a domain remembers; a domain seen on more is fast-flux by any
/// definition, and its further addresses are counted but not attributed.
pub const MAX_REMEMBERED_ADDRS: usize = 16;
/// A domain first seen this recently before `as_of` is new.
pub const NEW_DOMAIN_DAYS: i64 = 30;
/// A domain whose whole observed life is shorter is short-lived (when it
/// is no longer seen in the last day before `as_of`).
pub const SHORT_LIVED_DAYS: i64 = 7;
/// Fast flux: at least this many distinct addresses …
pub const FLUX_MIN_ADDRS: u32 = 5;
/// … in at least this many distinct /24 (/48) blocks …
pub const FLUX_MIN_BLOCKS: usize = 3;
/// … each record lasting one day or less on average.
pub const FLUX_MAX_MEAN_SPAN: i64 = DAY;
/// Peers of an AS: ASes whose announced space is within this many
/// doublings of its own.
pub const PEER_LOG2_RANGE: f64 = 2.0;
/// Fewer peers than this: the AS is compared with every AS.
pub const MIN_PEERS: usize = 3;

/// How time is applied.
///
/// ```
/// use bphscore::features::TimePolicy;
///
/// let p = TimePolicy::default();
/// assert_eq!(p.half_life_days, 30.0);
/// assert_eq!(p.horizon_days, 365.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TimePolicy {
    /// Days after which an abuse observation counts half.
    pub half_life_days: f64,
    /// Days after which an observation is dropped.
    pub horizon_days: f64,
}

impl Default for TimePolicy {
    fn default() -> Self {
        TimePolicy {
            half_life_days: 30.0,
            horizon_days: 365.0,
        }
    }
}

/// What the time-aware tables kept and dropped, recorded in the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TimedSummary {
    /// The reference time (unix seconds).
    pub as_of: Option<i64>,
    /// The policy applied.
    pub policy: Option<TimePolicy>,
    /// Address indicators kept.
    pub indicators_kept: u64,
    /// Domain indicators kept.
    pub domain_indicators_kept: u64,
    /// Observations dropped: last seen before the horizon.
    pub expired: u64,
    /// Observations dropped: first seen after the reference time.
    pub after_as_of: u64,
    /// Address listings not counted: last seen before a transfer of their block.
    pub reset_by_transfer: u64,
    /// Repeated observations merged (same indicator and source, or same
    /// name and address in passive DNS).
    pub duplicates: u64,
    /// Passive-DNS records read.
    pub dns_records: u64,
    /// Passive-DNS records of types other than A and AAAA (not used).
    pub dns_other_types: u64,
    /// Distinct domains kept from passive DNS.
    pub domains: u64,
    /// Distinct addresses with time-aware evidence.
    pub addresses: u64,
}

/// An address as one sortable key: the family first, then the address.
pub(crate) type Key = (bool, u128);

fn key(ip: IpAddr) -> Key {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

/// The /24 (IPv4) or /48 (IPv6) holding an address.
pub(crate) fn block_of(k: Key) -> (Key, u128) {
    if k.0 {
        let mask = (1u128 << V6_UNIT_SHIFT) - 1;
        ((true, k.1 & !mask), k.1 | mask)
    } else {
        ((false, k.1 & !0xff), k.1 | 0xff)
    }
}

#[derive(Debug, Clone)]
struct AddrIndicator {
    key: Key,
    first: i64,
    last: i64,
    category: Category,
    source_bit: u8,
}

#[derive(Debug, Default)]
struct Domain {
    first: i64,
    last: i64,
    span_sum: i64,
    records: u32,
    addrs_seen: u32,
    addrs: Vec<Key>,
    /// Abuse categories of indicators naming the domain, and their times.
    abuse_cats: u8,
    abuse_last: i64,
    abuse_sources: u64,
    in_pdns: bool,
}

/// The time-aware inputs, as they stream in.
#[derive(Debug, Default)]
pub(crate) struct TimedInputs {
    indicators: Vec<AddrIndicator>,
    names: HashMap<Box<str>, u32>,
    domains: Vec<Domain>,
    seen_domain_indicators: HashSet<(u32, u8, u8)>,
    /// Bits of passive-DNS sources (in timed-source numbering).
    pub(crate) pdns_bits: u64,
    summary: TimedSummary,
}

impl TimedInputs {
    fn domain(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.names.get(name) {
            return i;
        }
        let i = self.domains.len() as u32;
        self.names.insert(name.into(), i);
        self.domains.push(Domain {
            first: i64::MAX,
            last: i64::MIN,
            abuse_last: i64::MIN,
            ..Domain::default()
        });
        i
    }

    pub(crate) fn add_indicator(&mut self, i: &Indicator, source_bit: u8) {
        let first = i.first_seen.unwrap_or(i.last_seen);
        match &i.target {
            Target::Address(ip) => self.indicators.push(AddrIndicator {
                key: key(*ip),
                first,
                last: i.last_seen,
                category: i.category,
                source_bit,
            }),
            Target::Domain(name) => {
                let d = self.domain(name);
                if !self
                    .seen_domain_indicators
                    .insert((d, i.category as u8, source_bit))
                {
                    self.summary.duplicates += 1;
                }
                let dom = &mut self.domains[d as usize];
                dom.abuse_cats |= i.category.bit();
                dom.abuse_last = dom.abuse_last.max(i.last_seen);
                dom.abuse_sources |= 1u64 << source_bit;
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    /// Adds one passive-DNS record; returns true when it repeats a known
    /// (name, address) pair only.
    pub(crate) fn add_dns(&mut self, o: &DnsObservation) -> bool {
        self.summary.dns_records += 1;
        if o.addrs.is_empty() {
            self.summary.dns_other_types += 1;
            return false;
        }
        let d = self.domain(&o.rrname);
        let dom = &mut self.domains[d as usize];
        dom.in_pdns = true;
        dom.first = dom.first.min(o.time_first);
        dom.last = dom.last.max(o.time_last);
        dom.span_sum = dom.span_sum.saturating_add(o.time_last - o.time_first);
        dom.records = dom.records.saturating_add(1);
        let mut new = false;
        for ip in &o.addrs {
            let k = key(*ip);
            if dom.addrs.contains(&k) {
                continue;
            }
            new = true;
            dom.addrs_seen = dom.addrs_seen.saturating_add(1);
            if dom.addrs.len() < MAX_REMEMBERED_ADDRS {
                dom.addrs.push(k);
            }
        }
        if !new {
            self.summary.duplicates += 1;
        }
        !new
    }

    /// Moves the indicators of one source, staged with source bit 0, to
    /// source bit `bit` (sources are staged apart, then numbered as they
    /// are added).
    pub(crate) fn set_source_bit(&mut self, bit: u8) {
        if bit == 0 {
            return;
        }
        self.indicators.iter_mut().for_each(|i| i.source_bit = bit);
        self.seen_domain_indicators = std::mem::take(&mut self.seen_domain_indicators)
            .into_iter()
            .map(|(d, c, _)| (d, c, bit))
            .collect();
        for d in &mut self.domains {
            d.abuse_sources <<= bit;
        }
    }

    /// Moves the records of another source's inputs into these.
    pub(crate) fn append(&mut self, mut other: TimedInputs) {
        if self.domains.is_empty() && self.indicators.is_empty() {
            // The first source: taken whole rather than copied, so that a
            // large passive-DNS source is never held twice.
            let pdns_bits = self.pdns_bits | other.pdns_bits;
            let mut summary = std::mem::take(&mut self.summary);
            summary.duplicates += other.summary.duplicates;
            summary.dns_records += other.summary.dns_records;
            summary.dns_other_types += other.summary.dns_other_types;
            *self = other;
            self.pdns_bits = pdns_bits;
            self.summary = summary;
            return;
        }
        self.indicators.append(&mut other.indicators);
        self.pdns_bits |= other.pdns_bits;
        let s = &mut self.summary;
        let o = &other.summary;
        s.duplicates += o.duplicates;
        s.dns_records += o.dns_records;
        s.dns_other_types += o.dns_other_types;
        let mut remap: Vec<u32> = vec![0; other.domains.len()];
        for (name, i) in other.names.drain() {
            remap[i as usize] = self.domain(&name);
        }
        for (i, d) in other.domains.into_iter().enumerate() {
            let into = &mut self.domains[remap[i] as usize];
            into.first = into.first.min(d.first);
            into.last = into.last.max(d.last);
            into.span_sum = into.span_sum.saturating_add(d.span_sum);
            into.records = into.records.saturating_add(d.records);
            into.in_pdns |= d.in_pdns;
            into.abuse_cats |= d.abuse_cats;
            into.abuse_last = into.abuse_last.max(d.abuse_last);
            into.abuse_sources |= d.abuse_sources;
            // Addresses the source counted beyond those it remembered.
            let extra = d.addrs_seen.saturating_sub(d.addrs.len() as u32);
            for k in d.addrs {
                if !into.addrs.contains(&k) {
                    into.addrs_seen = into.addrs_seen.saturating_add(1);
                    if into.addrs.len() < MAX_REMEMBERED_ADDRS {
                        into.addrs.push(k);
                    }
                }
            }
            into.addrs_seen = into.addrs_seen.saturating_add(extra);
        }
        for (d, c, b) in other.seen_domain_indicators {
            let d = remap[d as usize];
            if !self.seen_domain_indicators.insert((d, c, b)) {
                self.summary.duplicates += 1;
            }
        }
    }
}

/// Time-aware evidence of one address.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimedIp {
    pub(crate) key: Key,
    pub(crate) recency: f32,
    pub(crate) domains: u32,
    pub(crate) categories: u8,
    pub(crate) sources: u64,
}

/// Time-aware evidence of one /24 (/48).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimedBlock {
    pub(crate) key: Key,
    pub(crate) density: f32,
    pub(crate) reset: u32,
    pub(crate) domains: u32,
    pub(crate) new_domains: u32,
    pub(crate) short_lived: u32,
    pub(crate) flux: u32,
    pub(crate) abused: u32,
    pub(crate) categories: u8,
    pub(crate) sources: u64,
}

/// Time-aware evidence of one AS (parallel to the AS table).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimedAs {
    pub(crate) density: f64,
    pub(crate) peer_percentile: f32,
    pub(crate) persistence_days: f32,
    pub(crate) categories: u8,
    pub(crate) sources: u64,
}

/// The compiled time-aware tables.
#[derive(Debug, Default)]
pub(crate) struct TimedTables {
    pub(crate) ips: Vec<TimedIp>,
    pub(crate) blocks: Vec<TimedBlock>,
    pub(crate) ases: Vec<TimedAs>,
    /// Per cell of the (refined) cell table: (block index, address index),
    /// `NONE` when absent.
    pub(crate) cells: Vec<(u32, u32)>,
    pub(crate) summary: TimedSummary,
}

/// The cell of an address in a compiled partition.
fn cell_at(tables: &Tables, k: Key) -> Cell {
    let i = if k.0 {
        tables.v6.partition_point(|p| p.0 <= k.1).saturating_sub(1)
    } else {
        tables
            .v4
            .partition_point(|p| u128::from(p.0) <= k.1)
            .saturating_sub(1)
    };
    let c = if k.0 {
        tables.v6.get(i).map(|p| p.1)
    } else {
        tables.v4.get(i).map(|p| p.1)
    };
    c.map_or(Cell::EMPTY, |c| tables.cells[c as usize])
}

/// The latest transfer date of the registration of a cell and its parents.
fn transfer_date(tables: &Tables, cell: &Cell) -> i64 {
    let mut b = cell.block;
    let mut date = 0i64;
    let mut guard = 0;
    while b != NONE && (b as usize) < tables.whois.blocks.len() && guard < 64 {
        let blk = &tables.whois.blocks[b as usize];
        date = date.max(i64::from(blk.transferred_at));
        b = blk.parent;
        guard += 1;
    }
    date
}

/// Compiles the time-aware tables and refines the partition so that every
/// interval lies within one /24 (/48) and holds one evidenced address or
/// none: all addresses of an interval keep scoring the same.
pub(crate) fn compile(
    mut inputs: TimedInputs,
    tables: &mut Tables,
    as_of: Option<i64>,
    policy: TimePolicy,
) -> TimedTables {
    let mut summary = std::mem::take(&mut inputs.summary);
    summary.as_of = as_of;
    summary.policy = Some(policy);
    let now = as_of.unwrap_or(i64::MAX);
    let horizon = (policy.horizon_days * DAY as f64) as i64;
    let oldest = as_of.map_or(i64::MIN, |t| t.saturating_sub(horizon));
    let half_life = policy.half_life_days.max(1e-9) * DAY as f64;
    let decay = |last: i64| -> f64 {
        match as_of {
            Some(t) => 0.5f64.powf((t - last).max(0) as f64 / half_life),
            None => 1.0,
        }
    };

    // Address indicators: merge repeats of (address, category, source).
    let mut ind = std::mem::take(&mut inputs.indicators);
    ind.sort_unstable_by_key(|i| (i.key, i.category, i.source_bit, i.first, i.last));
    let mut merged: Vec<AddrIndicator> = Vec::with_capacity(ind.len());
    for i in ind {
        if let Some(m) = merged.last_mut()
            && m.key == i.key
            && m.category == i.category
            && m.source_bit == i.source_bit
        {
            m.first = m.first.min(i.first);
            m.last = m.last.max(i.last);
            summary.duplicates += 1;
            continue;
        }
        merged.push(i);
    }

    let mut ips: FastMap<Key, TimedIp> = FastMap::default();
    let mut blocks: FastMap<Key, TimedBlock> = FastMap::default();
    // Per AS: (Σ weight in units, Σ persistence days, listings, categories, sources).
    let mut as_acc: Vec<(f64, f64, u64, u8, u64)> = vec![(0.0, 0.0, 0, 0, 0); tables.ases.len()];
    // IPv6: the heaviest weight per /48 (a /48 counts as 256 addresses).
    let mut v6_max: FastMap<Key, (f64, u32)> = FastMap::default();
    for i in &merged {
        if i.first > now {
            summary.after_as_of += 1;
            continue;
        }
        if i.last < oldest {
            summary.expired += 1;
            continue;
        }
        let cell = cell_at(tables, i.key);
        let (bkey, _) = block_of(i.key);
        if i.last < transfer_date(tables, &cell) {
            summary.reset_by_transfer += 1;
            let b = blocks.entry(bkey).or_insert_with(|| TimedBlock {
                key: bkey,
                ..TimedBlock::default()
            });
            b.reset += 1;
            b.sources |= 1u64 << i.source_bit;
            continue;
        }
        summary.indicators_kept += 1;
        let w = decay(i.last.min(now));
        let ip = ips.entry(i.key).or_insert_with(|| TimedIp {
            key: i.key,
            ..TimedIp::default()
        });
        ip.recency = ip.recency.max(w as f32);
        ip.categories |= i.category.bit();
        ip.sources |= 1u64 << i.source_bit;
        let b = blocks.entry(bkey).or_insert_with(|| TimedBlock {
            key: bkey,
            ..TimedBlock::default()
        });
        b.categories |= i.category.bit();
        b.sources |= 1u64 << i.source_bit;
        if cell.route != super::compile::NO_ROUTE {
            let a = tables.routes[cell.route as usize].as_index as usize;
            let acc = &mut as_acc[a];
            acc.1 += (i.last - i.first).max(0) as f64 / DAY as f64;
            acc.2 += 1;
            acc.3 |= i.category.bit();
            acc.4 |= 1u64 << i.source_bit;
            if i.key.0 {
                let e = v6_max.entry(bkey).or_insert((0.0, a as u32));
                e.0 = e.0.max(w);
            }
        }
    }
    // IPv4 weights: one per address, its strongest listing. Summed in
    // address order, so that the floating-point sums are reproducible.
    let mut listed: Vec<&TimedIp> = ips.values().collect();
    listed.sort_unstable_by_key(|i| i.key);
    for ip in listed {
        let (bkey, _) = block_of(ip.key);
        if let Some(b) = blocks.get_mut(&bkey) {
            if ip.key.0 {
                b.density = b.density.max(ip.recency);
            } else {
                b.density += ip.recency / 256.0;
            }
        }
        if !ip.key.0 {
            let cell = cell_at(tables, ip.key);
            if cell.route != super::compile::NO_ROUTE {
                let a = tables.routes[cell.route as usize].as_index as usize;
                as_acc[a].0 += f64::from(ip.recency);
            }
        }
    }
    let mut v6_max: Vec<(Key, (f64, u32))> = v6_max.into_iter().collect();
    v6_max.sort_unstable_by_key(|e| e.0);
    for (_, (w, a)) in v6_max {
        as_acc[a as usize].0 += 256.0 * w;
    }

    // Domains: expiry, abuse overlap, then attribution to addresses and blocks.
    let pdns_bits = inputs.pdns_bits;
    let mut abused_by_name: HashSet<&str> = HashSet::new();
    for (name, &d) in &inputs.names {
        let dom = &inputs.domains[d as usize];
        if dom.abuse_cats != 0 {
            if dom.abuse_last < oldest {
                summary.expired += 1;
            } else {
                summary.domain_indicators_kept += 1;
                abused_by_name.insert(name);
            }
        }
    }
    let is_abused = |name: &str| -> bool {
        let mut n = name;
        loop {
            if abused_by_name.contains(n) {
                return true;
            }
            match n.split_once('.') {
                Some((_, rest)) if rest.contains('.') => n = rest,
                _ => return false,
            }
        }
    };
    for (name, &d) in &inputs.names {
        let dom = &inputs.domains[d as usize];
        if !dom.in_pdns {
            continue;
        }
        if dom.first > now {
            summary.after_as_of += 1;
            continue;
        }
        if dom.last < oldest {
            summary.expired += 1;
            continue;
        }
        summary.domains += 1;
        let new = as_of.is_some_and(|t| dom.first >= t - NEW_DOMAIN_DAYS * DAY);
        let short = dom.last - dom.first < SHORT_LIVED_DAYS * DAY
            && as_of.is_some_and(|t| dom.last < t - DAY);
        let mut dom_blocks: Vec<Key> = dom.addrs.iter().map(|k| block_of(*k).0).collect();
        dom_blocks.sort_unstable();
        dom_blocks.dedup();
        let flux = dom.addrs_seen >= FLUX_MIN_ADDRS
            && dom_blocks.len() >= FLUX_MIN_BLOCKS
            && dom.span_sum / i64::from(dom.records.max(1)) <= FLUX_MAX_MEAN_SPAN;
        let abused = is_abused(name);
        for k in &dom.addrs {
            let ip = ips.entry(*k).or_insert_with(|| TimedIp {
                key: *k,
                ..TimedIp::default()
            });
            ip.domains += 1;
            ip.sources |= pdns_bits;
        }
        for bkey in dom_blocks {
            let b = blocks.entry(bkey).or_insert_with(|| TimedBlock {
                key: bkey,
                ..TimedBlock::default()
            });
            b.domains += 1;
            b.new_domains += u32::from(new);
            b.short_lived += u32::from(short);
            b.flux += u32::from(flux);
            b.abused += u32::from(abused);
            b.sources |= pdns_bits;
            if abused {
                b.sources |= dom.abuse_sources;
            }
        }
    }
    drop(inputs);

    // Per AS: density over announced space, persistence, diversity, peers.
    let mut ases: Vec<TimedAs> = tables
        .ases
        .iter()
        .zip(&as_acc)
        .map(|(a, acc)| {
            let announced = a.announced_v4 as f64 + 256.0 * a.announced_v6 as f64;
            TimedAs {
                density: if announced > 0.0 {
                    (acc.0 / announced).min(1.0)
                } else {
                    0.0
                },
                peer_percentile: 0.0,
                persistence_days: if acc.2 > 0 {
                    (acc.1 / acc.2 as f64) as f32
                } else {
                    0.0
                },
                categories: acc.3,
                sources: acc.4,
            }
        })
        .collect();
    let sizes: Vec<f64> = tables
        .ases
        .iter()
        .map(|a| (1.0 + a.announced_v4 as f64 + 256.0 * a.announced_v6 as f64).log2())
        .collect();
    let routed: Vec<usize> = (0..ases.len())
        .filter(|&i| tables.ases[i].announced_v4 + tables.ases[i].announced_v6 > 0)
        .collect();
    let percentiles: Vec<(usize, f32)> = routed
        .iter()
        .map(|&i| {
            let d = ases[i].density;
            if d <= 0.0 {
                return (i, 0.0);
            }
            let mut peers: Vec<usize> = routed
                .iter()
                .copied()
                .filter(|&j| j != i && (sizes[j] - sizes[i]).abs() <= PEER_LOG2_RANGE)
                .collect();
            if peers.len() < MIN_PEERS {
                peers = routed.iter().copied().filter(|&j| j != i).collect();
            }
            if peers.is_empty() {
                return (i, 0.0);
            }
            let below: f64 = peers
                .iter()
                .map(|&j| {
                    let o = ases[j].density;
                    if o < d {
                        1.0
                    } else if o == d {
                        0.5
                    } else {
                        0.0
                    }
                })
                .sum();
            (i, (below / peers.len() as f64) as f32)
        })
        .collect();
    for (i, p) in percentiles {
        ases[i].peer_percentile = p;
    }

    let mut ips: Vec<TimedIp> = ips.into_values().collect();
    ips.sort_unstable_by_key(|i| i.key);
    let mut blocks: Vec<TimedBlock> = blocks.into_values().collect();
    blocks.sort_unstable_by_key(|b| b.key);
    summary.addresses = ips.len() as u64;
    let cells = refine(tables, &blocks, &ips);
    TimedTables {
        ips,
        blocks,
        ases,
        cells,
        summary,
    }
}

/// Whether the cells are numbered in order of first appearance in the IPv4
/// then the IPv6 partition, the empty cell first.
fn numbered_in_order_of_appearance(tables: &Tables) -> bool {
    let mut next = 1u32;
    let ids = tables
        .v4
        .iter()
        .map(|p| p.1)
        .chain(tables.v6.iter().map(|p| p.1));
    for id in ids {
        if id == next {
            next += 1;
        } else if id > next {
            return false;
        }
    }
    next as usize == tables.cells.len()
        && tables.v4.windows(2).all(|w| w[0].1 != w[1].1)
        && tables.v6.windows(2).all(|w| w[0].1 != w[1].1)
}

/// Splits the partition at the edges of evidenced blocks and addresses and
/// gives each cell its (block, address) evidence, interning cells anew.
fn refine(tables: &mut Tables, blocks: &[TimedBlock], ips: &[TimedIp]) -> Vec<(u32, u32)> {
    if blocks.is_empty() && ips.is_empty() {
        // No evidence: nothing to split, and interning the cells anew would
        // give each its own number back, as the compiler numbers them in
        // order of first appearance in the partitions (measured on the
        // real-scale snapshot, without time-aware sources: 45 ms saved).
        debug_assert!(numbered_in_order_of_appearance(tables));
        return vec![(NONE, NONE); tables.cells.len()];
    }
    let old_cells = std::mem::take(&mut tables.cells);
    // Most intervals hold no evidence: their new cell is looked up by the
    // old cell's number alone, and only cells with evidence go through the
    // map (measured on the real-scale snapshot, without any time-aware
    // source: 0.18 s of hashing every interval → a few hundredths).
    let mut plain: Vec<u32> = vec![NONE; old_cells.len()];
    let mut index: FastMap<(u32, u32, u32), u32> = FastMap::default();
    let mut cells: Vec<Cell> = Vec::with_capacity(old_cells.len());
    let mut timed: Vec<(u32, u32)> = Vec::with_capacity(old_cells.len());
    let mut intern = |cell: u32, zone: (u32, u32)| -> u32 {
        let mut add = || {
            cells.push(old_cells[cell as usize]);
            timed.push(zone);
            (cells.len() - 1) as u32
        };
        if zone == (NONE, NONE) {
            let slot = &mut plain[cell as usize];
            if *slot == NONE {
                *slot = add();
            }
            *slot
        } else {
            *index.entry((cell, zone.0, zone.1)).or_insert_with(add)
        }
    };
    // Keep the empty cell first, as the compiler does.
    intern(0, (NONE, NONE));
    for v6 in [false, true] {
        let max = if v6 { u128::MAX } else { u128::from(u32::MAX) };
        // Zone boundaries: (start, (block, address)), sorted.
        let mut zones: Vec<(u128, (u32, u32))> = Vec::new();
        let mut ii = ips.partition_point(|i| i.key < (v6, 0));
        for (bi, b) in blocks.iter().enumerate().filter(|(_, b)| b.key.0 == v6) {
            let (_, end) = block_of(b.key);
            zones.push((b.key.1, (bi as u32, NONE)));
            while ii < ips.len() && ips[ii].key < (v6, b.key.1) {
                ii += 1;
            }
            while ii < ips.len() && ips[ii].key.0 == v6 && ips[ii].key.1 <= end {
                let a = ips[ii].key.1;
                zones.push((a, (bi as u32, ii as u32)));
                if a < end {
                    zones.push((a + 1, (bi as u32, NONE)));
                }
                ii += 1;
            }
            if end < max {
                zones.push((end + 1, (NONE, NONE)));
            }
        }
        let partition: Vec<(u128, u32)> = if v6 {
            std::mem::take(&mut tables.v6)
        } else {
            tables.v4.iter().map(|&(s, c)| (u128::from(s), c)).collect()
        };
        let mut out: Vec<(u128, u32)> = Vec::with_capacity(partition.len() + zones.len());
        let (mut pi, mut zi) = (0usize, 0usize);
        let mut cell = 0u32;
        let mut zone = (NONE, NONE);
        loop {
            let next_p = partition.get(pi).map(|p| p.0);
            let next_z = zones.get(zi).map(|z| z.0);
            let at = match (next_p, next_z) {
                (None, None) => break,
                (Some(p), None) => p,
                (None, Some(z)) => z,
                (Some(p), Some(z)) => p.min(z),
            };
            while pi < partition.len() && partition[pi].0 == at {
                cell = partition[pi].1;
                pi += 1;
            }
            while zi < zones.len() && zones[zi].0 == at {
                zone = zones[zi].1;
                zi += 1;
            }
            let id = intern(cell, zone);
            if out.last().map(|&(_, c)| c) != Some(id) {
                out.push((at, id));
            }
        }
        if v6 {
            tables.v6 = out;
        } else {
            tables.v4 = out.into_iter().map(|(s, c)| (s as u32, c)).collect();
        }
    }
    tables.cells = cells;
    timed
}
