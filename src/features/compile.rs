//! Compiles source records into the tables a snapshot stores: a partition
//! of each address family into elementary intervals, each pointing to a
//! cell (most specific route, country, and the sources listing it), plus
//! per-route and per-AS aggregates (announced space, listed space, DROP
//! coverage).
//!
//! The partition is computed with one sweep over the sorted range ends:
//! a min-heap keyed by range size yields the most specific covering route
//! (and country) at each point, and per-source counters the set of sources
//! listing it. This is O(n log n) whatever the nesting, so hostile inputs
//! with deeply overlapping ranges cannot make it quadratic.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::fasthash::{FastMap, FastSet, FastState};

use super::routing::{AsRouting, Series};
use super::timed::{self, TimePolicy, TimedInputs, TimedTables};
use super::whois::{self, WhoisInputs, WhoisTables};

/// No route.
pub(crate) const NO_ROUTE: u32 = u32::MAX;
/// No routing source.
pub(crate) const NO_SOURCE: u16 = u16::MAX;
/// A cell's country when unknown.
pub(crate) const NO_COUNTRY: [u8; 2] = [0, 0];

/// Route flag: the origin is one of several (multi-origin) or an AS set.
pub(crate) const ROUTE_MULTI_ORIGIN: u8 = 1;
/// Route flag: the route is an IPv6 range.
pub(crate) const ROUTE_V6: u8 = 2;
/// AS flag: on Spamhaus ASN-DROP.
pub(crate) const AS_DROP: u16 = 1;
/// AS flag: its registered holder is linked (same name, maintainer, abuse
/// mailbox or opaque id) to the holder of a listed AS.
pub(crate) const AS_LINKED_LISTED: u16 = 2;
/// No registration block.
pub(crate) const NO_BLOCK: u32 = u32::MAX;
/// Cell flag: the addresses are inside a range under guard rails (a cloud,
/// CDN or anycast service): their listings never count for the whole AS or
/// the covering route, and their verdict is at most `abused-legitimate`.
pub(crate) const CELL_PROTECTED: u8 = 1;
/// Every cell flag.
pub(crate) const CELL_FLAGS: u8 = CELL_PROTECTED;
/// Every MMDB flag bit (`GeoFlags::ALL`).
pub(crate) const GEO_FLAGS: u8 = crate::source::GeoFlags::ALL;

/// IPv6 space is counted in /48 blocks (the usual end-site assignment) so
/// that densities compare with IPv4 address counts.
pub(crate) const V6_UNIT_SHIFT: u32 = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Cell {
    pub(crate) route: u32,
    pub(crate) country: [u8; 2],
    /// Bit `i` set: abuse source number `i` lists these addresses.
    pub(crate) sources: u64,
    /// The most specific registration block covering these addresses.
    pub(crate) block: u32,
    /// `CELL_*` flags.
    pub(crate) flags: u8,
    /// The geolocated country (MMDB), or `NO_COUNTRY`.
    pub(crate) located: [u8; 2],
    /// MaxMind Anonymous-IP flags (`GeoFlags` bits).
    pub(crate) geo_flags: u8,
}

impl Cell {
    pub(crate) const EMPTY: Cell = Cell {
        route: NO_ROUTE,
        country: NO_COUNTRY,
        sources: 0,
        block: NO_BLOCK,
        flags: 0,
        located: NO_COUNTRY,
        geo_flags: 0,
    };
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Route {
    pub(crate) start: u128,
    pub(crate) end: u128,
    pub(crate) as_index: u32,
    pub(crate) source: u16,
    pub(crate) flags: u8,
    /// Abuse sources listing something in the route's own addresses.
    pub(crate) sources: u64,
    /// The route's own addresses (more-specific routes excluded), in units.
    pub(crate) size: u64,
    pub(crate) listed: u64,
    pub(crate) dropped: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct AsEntry {
    pub(crate) asn: u32,
    pub(crate) name: String,
    pub(crate) country: [u8; 2],
    pub(crate) flags: u16,
    pub(crate) routing_source: u16,
    pub(crate) announced_v4: u64,
    pub(crate) announced_v6: u64,
    pub(crate) listed_v4: u64,
    pub(crate) listed_v6: u64,
    pub(crate) dropped_v4: u64,
    pub(crate) dropped_v6: u64,
    pub(crate) sources: u64,
    /// The registered holder (index in the WHOIS organisations), or `NO_BLOCK`.
    pub(crate) whois_org: u32,
}

/// Inputs to the compiler, as collected from the sources.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    pub(crate) routes: Vec<RouteIn>,
    pub(crate) geo: Vec<(bool, u128, u128, [u8; 2])>,
    /// (v6, start, end, abuse source bit)
    pub(crate) listings: Vec<(bool, u128, u128, u8)>,
    pub(crate) asn_listings: Vec<AsnListingIn>,
    /// Bits of abuse sources that are DROP lists.
    pub(crate) drop_bits: u64,
    /// Bits of abuse sources that are blocklists of addresses.
    pub(crate) list_bits: u64,
    /// Registry records.
    pub(crate) whois: WhoisInputs,
    /// Timestamped abuse indicators and passive DNS.
    pub(crate) timed: TimedInputs,
    /// The reference time of time-aware evidence.
    pub(crate) as_of: Option<i64>,
    /// How time-aware evidence decays and expires.
    pub(crate) policy: TimePolicy,
    /// Dated prefix2as and AS-relationship snapshots.
    pub(crate) series: Series,
    /// Ranges under guard rails: (v6, start, end).
    pub(crate) protected: Vec<(bool, u128, u128)>,
    /// Geolocated ranges (MMDB): (v6, start, end, country).
    pub(crate) located: Vec<(bool, u128, u128, [u8; 2])>,
    /// Ranges with MMDB flags: (v6, start, end, `GeoFlags` bits).
    pub(crate) geo_flags: Vec<(bool, u128, u128, u8)>,
    /// Provider links of one AS-relationship source being read: (customer, provider).
    pub(crate) links: Vec<(u32, u32)>,
}

/// (asn, name, country, abuse source bit)
pub(crate) type AsnListingIn = (u32, Option<String>, Option<[u8; 2]>, u8);

#[derive(Debug, Clone)]
pub(crate) struct RouteIn {
    pub(crate) v6: bool,
    pub(crate) start: u128,
    pub(crate) end: u128,
    pub(crate) asn: u32,
    pub(crate) name: Option<String>,
    pub(crate) multi_origin: bool,
    pub(crate) other_origins: Vec<u32>,
    pub(crate) source: u16,
}

/// The compiled tables.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    pub(crate) v4: Vec<(u32, u32)>,
    pub(crate) v6: Vec<(u128, u32)>,
    pub(crate) cells: Vec<Cell>,
    pub(crate) routes: Vec<Route>,
    pub(crate) ases: Vec<AsEntry>,
    pub(crate) whois: WhoisTables,
    pub(crate) timed: TimedTables,
    /// Routing behaviour, one per AS (same order as `ases`).
    pub(crate) as_routing: Vec<AsRouting>,
    /// Distinct geolocated countries of each AS's announced space.
    pub(crate) as_countries: Vec<u32>,
}

impl Default for AsEntry {
    fn default() -> Self {
        AsEntry {
            asn: 0,
            name: String::new(),
            country: NO_COUNTRY,
            flags: 0,
            routing_source: NO_SOURCE,
            announced_v4: 0,
            announced_v6: 0,
            listed_v4: 0,
            listed_v6: 0,
            dropped_v4: 0,
            dropped_v6: 0,
            sources: 0,
            whois_org: NO_BLOCK,
        }
    }
}

/// The distinct cells, numbered in order of first appearance.
///
/// A cell is looked up among the few cells of its route first: the sweep
/// meets routes in address order, so those lists are read and written in
/// order, where a hash table is probed at random. Cells without a route,
/// and those of a route beyond its first [`ROUTE_CHAIN`], go through a
/// hash table of cell numbers (each cell hashed as three words), so that
/// no input makes a look-up walk far. Measured on the real-scale snapshot:
/// a `HashMap<Cell, u32>` with SipHash was a sixth of the whole build, the
/// hash table of cell numbers alone still 7%.
struct Cells {
    cells: Vec<Cell>,
    /// Per route: its first cell, or `NO_CELL`.
    by_route: Vec<u32>,
    /// Per cell: the next cell of the same route, or `NO_CELL`.
    next: Vec<u32>,
    index: HashTable<u32>,
    state: FastState,
}

/// No cell.
const NO_CELL: u32 = u32::MAX;
/// How many cells of one route are found through the route.
const ROUTE_CHAIN: usize = 8;

impl Cells {
    /// Cells of routes numbered below `routes`.
    fn new(routes: usize) -> Self {
        Cells {
            cells: Vec::new(),
            by_route: vec![NO_CELL; routes],
            next: Vec::new(),
            index: HashTable::new(),
            state: FastState::default(),
        }
    }

    fn hash(state: &FastState, c: &Cell) -> u64 {
        let words = (
            u64::from(c.route) | u64::from(c.block) << 32,
            c.sources,
            u64::from(u16::from_le_bytes(c.country))
                | u64::from(u16::from_le_bytes(c.located)) << 16
                | u64::from(c.flags) << 32
                | u64::from(c.geo_flags) << 40,
        );
        state.hash_one(words)
    }

    /// Makes room for `additional` more cells.
    fn reserve(&mut self, additional: usize) {
        self.cells.reserve(additional);
        self.next.reserve(additional);
    }

    fn push(&mut self, cell: Cell) -> u32 {
        let i = self.cells.len() as u32;
        self.cells.push(cell);
        self.next.push(NO_CELL);
        i
    }

    fn intern(&mut self, cell: Cell) -> u32 {
        if let Some(&first) = self.by_route.get(cell.route as usize) {
            let (mut at, mut last, mut seen) = (first, NO_CELL, 0);
            while at != NO_CELL {
                if self.cells[at as usize] == cell {
                    return at;
                }
                (last, at, seen) = (at, self.next[at as usize], seen + 1);
            }
            if seen < ROUTE_CHAIN {
                let i = self.push(cell);
                match last {
                    NO_CELL => self.by_route[cell.route as usize] = i,
                    l => self.next[l as usize] = i,
                }
                return i;
            }
        }
        let h = Self::hash(&self.state, &cell);
        let Cells {
            cells,
            index,
            state,
            ..
        } = self;
        match index.entry(
            h,
            |&i| cells[i as usize] == cell,
            |&i| Self::hash(state, &cells[i as usize]),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let i = cells.len() as u32;
                e.insert(i);
                self.cells.push(cell);
                self.next.push(NO_CELL);
                i
            }
        }
    }
}

/// Builds the partition of one family. Returns (start, cell) pairs, the
/// first starting at 0, consecutive pairs always with different cells.
/// The inputs of one address family, as the sweep reads them.
struct FamilyInputs<'a> {
    max: u128,
    routes: &'a [(u128, u128, u32)],
    geo: &'a [(u128, u128, [u8; 2])],
    listings: &'a [(u128, u128, u8)],
    blocks: &'a [whois::Block],
    block_base: u32,
    protected: &'a [(u128, u128)],
    located: &'a [(u128, u128, [u8; 2])],
    geo_flags: &'a [(u128, u128, u8)],
}

fn sweep(fam: &FamilyInputs<'_>, cells: &mut Cells) -> Vec<(u128, u32)> {
    let FamilyInputs {
        max,
        routes,
        geo,
        listings,
        blocks,
        block_base,
        protected,
        located,
        geo_flags,
    } = *fam;
    let mut bounds: Vec<u128> = Vec::with_capacity(
        2 * (routes.len()
            + geo.len()
            + listings.len()
            + blocks.len()
            + protected.len()
            + located.len()
            + geo_flags.len())
            + 1,
    );
    bounds.push(0);
    let mut push_range = |s: u128, e: u128| {
        bounds.push(s);
        if e < max {
            bounds.push(e + 1);
        }
    };
    routes.iter().for_each(|r| push_range(r.0, r.1));
    geo.iter().for_each(|g| push_range(g.0, g.1));
    listings.iter().for_each(|l| push_range(l.0, l.1));
    blocks.iter().for_each(|b| push_range(b.start, b.end));
    protected.iter().for_each(|p| push_range(p.0, p.1));
    located.iter().for_each(|g| push_range(g.0, g.1));
    geo_flags.iter().for_each(|g| push_range(g.0, g.1));
    bounds.sort_unstable();
    bounds.dedup();

    let mut route_order: Vec<usize> = (0..routes.len()).collect();
    route_order.sort_unstable_by_key(|&i| routes[i].0);
    let mut geo_order: Vec<usize> = (0..geo.len()).collect();
    geo_order.sort_unstable_by_key(|&i| geo[i].0);
    let mut list_starts: Vec<(u128, u8)> = listings.iter().map(|l| (l.0, l.2)).collect();
    list_starts.sort_unstable();
    let mut list_ends: Vec<(u128, u8)> = listings
        .iter()
        .filter(|l| l.1 < max)
        .map(|l| (l.1 + 1, l.2))
        .collect();
    list_ends.sort_unstable();
    let mut guard_starts: Vec<u128> = protected.iter().map(|p| p.0).collect();
    guard_starts.sort_unstable();
    let mut guard_ends: Vec<u128> = protected
        .iter()
        .filter(|p| p.1 < max)
        .map(|p| p.1 + 1)
        .collect();
    guard_ends.sort_unstable();
    let (mut gs, mut ge, mut guards) = (0usize, 0usize, 0u32);
    // Geolocation (MMDB): the most specific located range gives the country;
    // flags are counted per bit like listings.
    let mut loc_order: Vec<usize> = (0..located.len()).collect();
    loc_order.sort_unstable_by_key(|&i| located[i].0);
    let mut loc_heap: BinaryHeap<Reverse<(u128, usize, u128)>> = BinaryHeap::new();
    let mut li = 0usize;
    let mut flag_starts: Vec<(u128, u8)> = geo_flags.iter().map(|g| (g.0, g.2)).collect();
    flag_starts.sort_unstable();
    let mut flag_ends: Vec<(u128, u8)> = geo_flags
        .iter()
        .filter(|g| g.1 < max)
        .map(|g| (g.1 + 1, g.2))
        .collect();
    flag_ends.sort_unstable();
    let (mut fs, mut fe) = (0usize, 0usize);
    let mut flag_counts = [0u32; 8];

    // Blocks come sorted by start (compiled by `whois::compile`).
    let mut block_heap: BinaryHeap<Reverse<(u128, u32, u128)>> = BinaryHeap::new();
    let mut bi = 0usize;
    let mut route_heap: BinaryHeap<Reverse<(u128, u32, u128)>> = BinaryHeap::new();
    let mut geo_heap: BinaryHeap<Reverse<(u128, usize, u128)>> = BinaryHeap::new();
    let mut counters = [0u32; 64];
    let mut mask = 0u64;
    let (mut ri, mut gi, mut si, mut ei) = (0, 0, 0, 0);
    // Each bound yields at most one new cell and one interval.
    let mut out: Vec<(u128, u32)> = Vec::with_capacity(bounds.len());
    cells.reserve(bounds.len());

    for &b in &bounds {
        while ri < route_order.len() && routes[route_order[ri]].0 == b {
            let (s, e, idx) = routes[route_order[ri]];
            route_heap.push(Reverse((e - s, idx, e)));
            ri += 1;
        }
        while let Some(Reverse((_, _, e))) = route_heap.peek() {
            if *e < b {
                route_heap.pop();
            } else {
                break;
            }
        }
        while gi < geo_order.len() && geo[geo_order[gi]].0 == b {
            let (s, e, _) = geo[geo_order[gi]];
            geo_heap.push(Reverse((e - s, geo_order[gi], e)));
            gi += 1;
        }
        while let Some(Reverse((_, _, e))) = geo_heap.peek() {
            if *e < b {
                geo_heap.pop();
            } else {
                break;
            }
        }
        while bi < blocks.len() && blocks[bi].start == b {
            let (s, e) = (blocks[bi].start, blocks[bi].end);
            block_heap.push(Reverse((e - s, block_base + bi as u32, e)));
            bi += 1;
        }
        while let Some(Reverse((_, _, e))) = block_heap.peek() {
            if *e < b {
                block_heap.pop();
            } else {
                break;
            }
        }
        while ei < list_ends.len() && list_ends[ei].0 == b {
            let bit = list_ends[ei].1 as usize;
            counters[bit] -= 1;
            if counters[bit] == 0 {
                mask &= !(1u64 << bit);
            }
            ei += 1;
        }
        while li < loc_order.len() && located[loc_order[li]].0 == b {
            let (s, e, _) = located[loc_order[li]];
            loc_heap.push(Reverse((e - s, loc_order[li], e)));
            li += 1;
        }
        while let Some(Reverse((_, _, e))) = loc_heap.peek() {
            if *e < b {
                loc_heap.pop();
            } else {
                break;
            }
        }
        while fe < flag_ends.len() && flag_ends[fe].0 == b {
            for (bit, count) in flag_counts.iter_mut().enumerate() {
                if flag_ends[fe].1 & (1 << bit) != 0 {
                    *count -= 1;
                }
            }
            fe += 1;
        }
        while fs < flag_starts.len() && flag_starts[fs].0 == b {
            for (bit, count) in flag_counts.iter_mut().enumerate() {
                if flag_starts[fs].1 & (1 << bit) != 0 {
                    *count += 1;
                }
            }
            fs += 1;
        }
        while ge < guard_ends.len() && guard_ends[ge] == b {
            guards -= 1;
            ge += 1;
        }
        while gs < guard_starts.len() && guard_starts[gs] == b {
            guards += 1;
            gs += 1;
        }
        while si < list_starts.len() && list_starts[si].0 == b {
            let bit = list_starts[si].1 as usize;
            counters[bit] += 1;
            mask |= 1u64 << bit;
            si += 1;
        }
        let cell = Cell {
            route: route_heap
                .peek()
                .map_or(NO_ROUTE, |Reverse((_, idx, _))| *idx),
            country: geo_heap
                .peek()
                .map_or(NO_COUNTRY, |Reverse((_, i, _))| geo[*i].2),
            sources: mask,
            block: block_heap
                .peek()
                .map_or(NO_BLOCK, |Reverse((_, idx, _))| *idx),
            flags: if guards > 0 { CELL_PROTECTED } else { 0 },
            located: loc_heap
                .peek()
                .map_or(NO_COUNTRY, |Reverse((_, i, _))| located[*i].2),
            geo_flags: flag_counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .fold(0u8, |m, (bit, _)| m | (1 << bit)),
        };
        let id = cells.intern(cell);
        if out.last().map(|&(_, c)| c) != Some(id) {
            out.push((b, id));
        }
    }
    out
}

/// Counts `[s, e]` in units, skipping a /48 already counted by the same key.
fn units(v6: bool, s: u128, e: u128, last: &mut u64) -> u64 {
    if !v6 {
        return (e - s + 1) as u64;
    }
    // Units are 48-bit numbers: a u64 holds one plus one.
    let (a, b) = ((s >> V6_UNIT_SHIFT) as u64, (e >> V6_UNIT_SHIFT) as u64);
    // `last` holds 1 + the last unit counted (0: none yet).
    let from = if *last > a { a + 1 } else { a };
    *last = b + 1;
    if from > b { 0 } else { b - from + 1 }
}

pub(crate) fn compile(mut inputs: Inputs) -> Tables {
    // The latest prefix2as snapshot of a series is the current routing.
    let latest = inputs.series.latest_routes();
    inputs.routes.extend(latest);
    // Routes are numbered IPv4 first, so that the snapshot stores each
    // family's ranges at their own width (stable: the order within a
    // family, which breaks ties, stays).
    inputs.routes.sort_by_key(|r| r.v6);
    let mut whois = whois::compile(std::mem::take(&mut inputs.whois));

    // The AS table: every AS that originates a route or is listed, in AS
    // number order. The routes and the listings are sorted by AS number
    // (then by their order) and read group by group: an AS's routing
    // source is its first route's, its name the first non-empty one of its
    // routes, else of its listings. Measured on the real-scale snapshot: a
    // `BTreeMap` entry per route was a third of the compiler's own time,
    // and a hash map entry per route still two thirds of that.
    let by_asn = |asns: &mut dyn Iterator<Item = u32>| -> Vec<u64> {
        let mut keys: Vec<u64> = asns
            .enumerate()
            .map(|(i, asn)| u64::from(asn) << 32 | i as u64)
            .collect();
        keys.sort_unstable();
        keys
    };
    let route_keys = by_asn(&mut inputs.routes.iter().map(|r| r.asn));
    let listing_keys = by_asn(&mut inputs.asn_listings.iter().map(|l| l.0));
    let asn_of = |k: u64| (k >> 32) as u32;
    let at = |k: u64| (k & 0xffff_ffff) as usize;
    let mut ases: Vec<AsEntry> = Vec::new();
    let mut route_as = vec![0u32; inputs.routes.len()];
    // The country ASN-DROP gives each AS (the last listing's), if any.
    let mut asn_drop_country: Vec<Option<[u8; 2]>> = Vec::new();
    let (mut ri, mut li) = (0usize, 0usize);
    loop {
        let asn = match (route_keys.get(ri), listing_keys.get(li)) {
            (None, None) => break,
            (Some(&r), None) => asn_of(r),
            (None, Some(&l)) => asn_of(l),
            (Some(&r), Some(&l)) => asn_of(r).min(asn_of(l)),
        };
        let index = ases.len() as u32;
        let mut e = AsEntry {
            asn,
            routing_source: NO_SOURCE,
            ..AsEntry::default()
        };
        let mut cc = None;
        let first_route = ri;
        while let Some(&k) = route_keys.get(ri)
            && asn_of(k) == asn
        {
            // The routes are read at random: only while they matter.
            if ri == first_route {
                e.routing_source = inputs.routes[at(k)].source;
            }
            if e.name.is_empty()
                && let Some(n) = &inputs.routes[at(k)].name
            {
                e.name.clone_from(n);
            }
            route_as[at(k)] = index;
            ri += 1;
        }
        while let Some(&k) = listing_keys.get(li)
            && asn_of(k) == asn
        {
            let (_, name, country, bit) = &inputs.asn_listings[at(k)];
            e.flags |= AS_DROP;
            e.sources |= 1u64 << bit;
            if e.name.is_empty()
                && let Some(n) = name
            {
                e.name.clone_from(n);
            }
            if country.is_some() {
                cc = *country;
            }
            li += 1;
        }
        ases.push(e);
        asn_drop_country.push(cc);
    }
    drop((route_keys, listing_keys));
    let as_index: FastMap<u32, u32> = ases
        .iter()
        .enumerate()
        .map(|(i, a)| (a.asn, i as u32))
        .collect();

    let mut routes: Vec<Route> = inputs
        .routes
        .iter()
        .zip(&route_as)
        .map(|(r, &as_index)| Route {
            start: r.start,
            end: r.end,
            as_index,
            source: r.source,
            flags: (if r.multi_origin {
                ROUTE_MULTI_ORIGIN
            } else {
                0
            }) | (if r.v6 { ROUTE_V6 } else { 0 }),
            sources: 0,
            size: 0,
            listed: 0,
            dropped: 0,
        })
        .collect();
    drop(route_as);

    let mut tables = Tables::default();
    let mut country_weight: FastMap<(u32, [u8; 2]), u128> = FastMap::default();
    let mut located_by_as: FastSet<(u32, [u8; 2])> = FastSet::default();
    // The two families are partitioned on two threads, each interning its
    // own cells; the IPv6 cells are then numbered after the IPv4 ones in
    // order of first appearance, exactly as one sweep after the other would.
    let family = |v6: bool| -> (Vec<(u128, u32)>, Cells) {
        let max = if v6 { u128::MAX } else { u128::from(u32::MAX) };
        let fam_routes: Vec<(u128, u128, u32)> = inputs
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.v6 == v6)
            .map(|(i, r)| (r.start, r.end, i as u32))
            .collect();
        let fam_geo: Vec<(u128, u128, [u8; 2])> = inputs
            .geo
            .iter()
            .filter(|g| g.0 == v6)
            .map(|g| (g.1, g.2, g.3))
            .collect();
        let fam_list: Vec<(u128, u128, u8)> = inputs
            .listings
            .iter()
            .filter(|l| l.0 == v6)
            .map(|l| (l.1, l.2, l.3))
            .collect();
        // Blocks are sorted IPv4 first: each family is one slice.
        let split = whois
            .blocks
            .partition_point(|b| b.flags & whois::BLOCK_V6 == 0);
        let (fam_blocks, base) = if v6 {
            (&whois.blocks[split..], split as u32)
        } else {
            (&whois.blocks[..split], 0)
        };
        let fam_protected: Vec<(u128, u128)> = inputs
            .protected
            .iter()
            .filter(|p| p.0 == v6)
            .map(|p| (p.1, p.2))
            .collect();
        let fam_located: Vec<(u128, u128, [u8; 2])> = inputs
            .located
            .iter()
            .filter(|g| g.0 == v6)
            .map(|g| (g.1, g.2, g.3))
            .collect();
        let fam_flags: Vec<(u128, u128, u8)> = inputs
            .geo_flags
            .iter()
            .filter(|g| g.0 == v6)
            .map(|g| (g.1, g.2, g.3 & GEO_FLAGS))
            .collect();
        let mut cells = Cells::new(inputs.routes.len());
        cells.intern(Cell::EMPTY);
        let partition = sweep(
            &FamilyInputs {
                max,
                routes: &fam_routes,
                geo: &fam_geo,
                listings: &fam_list,
                blocks: fam_blocks,
                block_base: base,
                protected: &fam_protected,
                located: &fam_located,
                geo_flags: &fam_flags,
            },
            &mut cells,
        );
        (partition, cells)
    };
    let ((v4_partition, mut cells), (mut v6_partition, v6_cells)) = std::thread::scope(|s| {
        let v6 = s.spawn(|| family(true));
        let v4 = family(false);
        (
            v4,
            v6.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    });
    // The staged routes (and their names) are not read again: freed before
    // the tables are encoded, for a lower peak.
    drop(std::mem::take(&mut inputs.routes));
    cells.reserve(v6_cells.cells.len());
    let renumber: Vec<u32> = v6_cells.cells.iter().map(|&c| cells.intern(c)).collect();
    drop(v6_cells);
    v6_partition
        .iter_mut()
        .for_each(|p| p.1 = renumber[p.1 as usize]);

    // Per-route own space, listed space and DROP space. A route is of one
    // family: the two passes share the arrays.
    let mut last_size = vec![0u64; routes.len()];
    let mut last_listed = vec![0u64; routes.len()];
    let mut last_dropped = vec![0u64; routes.len()];
    for (v6, partition) in [(false, v4_partition), (true, v6_partition)] {
        let max = if v6 { u128::MAX } else { u128::from(u32::MAX) };
        for (i, &(s, cell)) in partition.iter().enumerate() {
            let e = partition.get(i + 1).map_or(max, |n| n.0 - 1);
            let c = cells.cells[cell as usize];
            if c.route == NO_ROUTE {
                continue;
            }
            let r = c.route as usize;
            routes[r].size += units(v6, s, e, &mut last_size[r]);
            routes[r].sources |= c.sources;
            // Guard rails: listings in a cloud's, CDN's or anycast range
            // stay with the range and never count for the route or the AS.
            let guarded = c.flags & CELL_PROTECTED != 0;
            if !guarded && c.sources & inputs.list_bits != 0 {
                routes[r].listed += units(v6, s, e, &mut last_listed[r]);
            }
            if !guarded && c.sources & inputs.drop_bits != 0 {
                routes[r].dropped += units(v6, s, e, &mut last_dropped[r]);
            }
            if c.located != NO_COUNTRY {
                located_by_as.insert((routes[r].as_index, c.located));
            }
            if c.country != NO_COUNTRY {
                // Saturating: the whole IPv6 space is one more address than a u128 counts.
                let w = country_weight
                    .entry((routes[r].as_index, c.country))
                    .or_default();
                *w = w.saturating_add((e - s).saturating_add(1));
            }
        }
        if v6 {
            tables.v6 = partition;
        } else {
            tables.v4 = partition.into_iter().map(|(s, c)| (s as u32, c)).collect();
        }
    }

    for r in &routes {
        let a = &mut ases[r.as_index as usize];
        a.sources |= r.sources;
        if r.flags & ROUTE_V6 != 0 {
            a.announced_v6 += r.size;
            a.listed_v6 += r.listed;
            a.dropped_v6 += r.dropped;
        } else {
            a.announced_v4 += r.size;
            a.listed_v4 += r.listed;
            a.dropped_v4 += r.dropped;
        }
    }
    // The AS's country: where most of its addresses are, else what ASN-DROP says.
    let mut best: FastMap<u32, ([u8; 2], u128)> = FastMap::default();
    let mut weights: Vec<_> = country_weight.into_iter().collect();
    weights.sort_unstable();
    for ((idx, cc), w) in weights {
        let e = best.entry(idx).or_insert((cc, 0));
        if w > e.1 {
            *e = (cc, w);
        }
    }
    for (i, a) in ases.iter_mut().enumerate() {
        a.country = best
            .get(&(i as u32))
            .map(|b| b.0)
            .or(asn_drop_country[i])
            .unwrap_or(NO_COUNTRY);
    }
    // Evidence follows an AS's holder across rebrands: ASes whose holder is
    // linked to the holder of a listed AS are flagged.
    let listed: FastMap<u32, bool> = ases
        .iter()
        .map(|a| {
            let ann = a.announced_v4 as f64 + 256.0 * a.announced_v6 as f64;
            let dropped = a.dropped_v4 as f64 + 256.0 * a.dropped_v6 as f64;
            (
                a.asn,
                a.flags & AS_DROP != 0 || (ann > 0.0 && dropped / ann >= 0.5),
            )
        })
        .collect();
    let linked = whois::mark_listed(&mut whois, |asn| listed.get(&asn).copied().unwrap_or(false));
    for a in &mut ases {
        if let Ok(i) = whois.ases.binary_search_by_key(&a.asn, |w| w.asn) {
            a.whois_org = whois.ases[i].org;
            // Routing sources without AS names: the registered `as-name`.
            if a.name.is_empty() && whois.ases[i].name != whois::NONE {
                a.name = whois.strings.at(whois.ases[i].name).to_owned();
            }
        }
    }
    for (asn, _) in linked {
        if let Some(&i) = as_index.get(&asn) {
            ases[i as usize].flags |= AS_LINKED_LISTED;
        }
    }
    tables.as_countries = vec![0; ases.len()];
    for (i, _) in &located_by_as {
        tables.as_countries[*i as usize] += 1;
    }
    // Routing behaviour; upstreams serving listed or linked ASes are lax.
    let asns: Vec<u32> = ases.iter().map(|a| a.asn).collect();
    tables.as_routing = if inputs.series.is_empty() {
        vec![AsRouting::default(); ases.len()]
    } else {
        inputs.series.dynamics(&asns, |asn| {
            listed.get(&asn).copied().unwrap_or(false)
                || as_index
                    .get(&asn)
                    .is_some_and(|&i| ases[i as usize].flags & AS_LINKED_LISTED != 0)
        })
    };
    tables.cells = cells.cells;
    tables.routes = routes;
    tables.ases = ases;
    tables.whois = whois;
    tables.timed = timed::compile(
        std::mem::take(&mut inputs.timed),
        &mut tables,
        inputs.as_of,
        inputs.policy,
    );
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(start: u128, end: u128, asn: u32) -> RouteIn {
        RouteIn {
            v6: false,
            start,
            end,
            asn,
            name: None,
            multi_origin: false,
            other_origins: Vec::new(),
            source: 0,
        }
    }

    #[test]
    fn more_specific_wins_and_space_is_not_double_counted() {
        let inputs = Inputs {
            routes: vec![
                route(0x0a000000, 0x0a00ffff, 1),
                route(0x0a000100, 0x0a0001ff, 1),
            ],
            listings: vec![
                (false, 0x0a000100, 0x0a000103, 0),
                (false, 0x0a000000, 0x0a000000, 0),
            ],
            list_bits: 1,
            ..Inputs::default()
        };
        let t = compile(inputs);
        assert_eq!(t.routes[0].size, 65536 - 256);
        assert_eq!(t.routes[1].size, 256);
        assert_eq!(t.routes[0].listed, 1);
        assert_eq!(t.routes[1].listed, 4);
        assert_eq!(t.ases[0].announced_v4, 65536);
        assert_eq!(t.ases[0].listed_v4, 5);
        // Partition: starts at 0, strictly increasing.
        assert_eq!(t.v4[0].0, 0);
        assert!(t.v4.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 != w[1].1));
    }

    #[test]
    fn v6_counts_48s_once() {
        let base: u128 = 0x2001_0db8_0300_0000_0000_0000_0000_0000;
        let mut r = route(base, base | ((1u128 << 80) - 1), 7);
        r.v6 = true;
        let inputs = Inputs {
            routes: vec![r],
            listings: vec![(true, base + 1, base + 1, 0), (true, base + 5, base + 5, 0)],
            list_bits: 1,
            ..Inputs::default()
        };
        let t = compile(inputs);
        assert_eq!(t.routes[0].size, 1);
        assert_eq!(t.routes[0].listed, 1);
    }

    #[test]
    fn full_space_edges() {
        let inputs = Inputs {
            routes: vec![route(0, u128::from(u32::MAX), 1)],
            listings: vec![(false, u128::from(u32::MAX), u128::from(u32::MAX), 0)],
            list_bits: 1,
            ..Inputs::default()
        };
        let t = compile(inputs);
        assert_eq!(t.routes[0].size, 1 << 32);
        assert_eq!(t.routes[0].listed, 1);
    }
}
