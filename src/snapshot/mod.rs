//! Snapshots: the compiled, immutable, versioned knowledge base.
//!
//! A snapshot is one file (layout in the `format` module docs, summarised
//! in [`Snapshot`]) built by [`SnapshotBuilder`] from sources and opened by
//! [`Snapshot::open`] (memory-mapped) or [`Snapshot::from_bytes`]. Opening
//! checks the magic, the format version, the length, a 64-bit checksum
//! over the whole file and every internal reference, so that look-ups afterwards
//! cannot go out of bounds whatever the file held.

mod build;
mod check;
mod format;
mod sum;
mod write;

use std::fs::File;
use std::net::IpAddr;
use std::ops::Range;
use std::path::Path;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

pub use build::{SnapshotBuilder, SourceSpec};
use format::*;
pub use sum::checksum;

use crate::error::{Error, Result};
use crate::features::compile::{
    AS_DROP, AS_LINKED_LISTED, CELL_FLAGS, CELL_PROTECTED, NO_BLOCK, NO_ROUTE, NO_SOURCE,
    ROUTE_MULTI_ORIGIN, ROUTE_V6,
};
use crate::features::routing::AsRouting;
use crate::features::whois::{BLOCK_FLAGS, BLOCK_V6};
use crate::source::{SourceInfo, SourceKind};
use crate::subject::Asn;

/// The snapshot format version this build reads and writes.
pub const FORMAT_VERSION: u32 = VERSION;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    format: String,
    version: u32,
    created_by: String,
    as_of: Option<i64>,
    sources: Vec<SourceInfo>,
    /// Time-aware evidence: reference time, policy, what was dropped.
    #[serde(default)]
    timed: Option<crate::features::TimedSummary>,
}

/// How many entries each table of a snapshot holds.
///
/// ```
/// let snapshot = bphscore::world::snapshot()?;
/// let counts = snapshot.counts();
/// assert!(counts.ases >= 5);
/// assert!(counts.v4_intervals > counts.routes);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counts {
    /// Elementary IPv4 intervals (the partition of the IPv4 space).
    pub v4_intervals: usize,
    /// Elementary IPv6 intervals.
    pub v6_intervals: usize,
    /// Distinct cells (route, country, listing sources).
    pub cells: usize,
    /// Routed ranges.
    pub routes: usize,
    /// Autonomous systems.
    pub ases: usize,
    /// Registration blocks (WHOIS and delegated statistics).
    pub whois_blocks: usize,
    /// Registered organisations (and AS holders without one).
    pub whois_orgs: usize,
    /// Links between organisations (entity resolution).
    pub whois_links: usize,
}

/// A compiled snapshot over storage `S`: a `Vec<u8>`, a memory map, or any
/// `AsRef<[u8]>`.
///
/// Snapshots are immutable and `Send + Sync`: share one between threads.
///
/// The file starts with the magic `BPHSNAP\0`, the format version
/// ([`FORMAT_VERSION`]), the build time and a section table; it ends with
/// a 64-bit checksum of everything before it ([`checksum`]). A truncated, corrupted or newer file is
/// refused with [`Error::Snapshot`] or [`Error::UnsupportedVersion`].
///
/// ```
/// use bphscore::Snapshot;
///
/// let world = bphscore::world::snapshot()?;
/// let bytes = world.as_bytes().to_vec();
/// let copy = Snapshot::from_bytes(bytes.clone())?;
/// assert_eq!(copy.counts(), world.counts());
///
/// let cut = Snapshot::from_bytes(bytes[..bytes.len() - 1].to_vec());
/// assert!(cut.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Snapshot<S = Vec<u8>> {
    data: S,
    name: String,
    build_time: i64,
    checksum: u64,
    meta: Meta,
    sections: [Range<usize>; MAX_SECTION_ID + 1],
    counts: Counts,
    /// Abuse source bit → index in `meta.sources`.
    bit_source: Vec<usize>,
    list_mask: u64,
    drop_mask: u64,
    asn_drop_mask: u64,
    /// The `STRINGS` section, checked as UTF-8 once on open (the writer
    /// only writes UTF-8), so that AS names are sliced on look-up instead of
    /// validated again each time. A copy, so that a mapped file changed
    /// under the reader cannot make a name invalid.
    names: Box<str>,
    /// The AS numbers of the `ASES` table, in its order (by number): a
    /// compact copy that `find_as` searches in a few cache lines instead of
    /// touching one 80-byte record per probe.
    asns: Vec<u32>,
    /// IPv4 routes (numbered first, in `ROUTES`); the IPv6 routes follow
    /// them in `ROUTES_V6`.
    v4_routes: usize,
    /// The `WHOIS_STRINGS` section, checked as UTF-8 once on open.
    whois_text: Box<str>,
    /// (first WHOIS registration source, others) and (first delegated-stats
    /// source, others), for the reasons of WHOIS features.
    whois_sources: [Option<(usize, u32)>; 2],
    /// Timed source bit (abuse feeds and passive DNS) → index in `meta.sources`.
    timed_bit_source: Vec<usize>,
    pdns_mask: u64,
    /// (latest prefix2as source, others) and (latest AS-relationship
    /// source, others), for the reasons of routing-dynamics features.
    series_sources: [Option<(usize, u32)>; 2],
    /// (first guard-rail list, others).
    protect_source: Option<(usize, u32)>,
    /// (first MMDB source, others).
    mmdb_source: Option<(usize, u32)>,
}

impl<S> std::fmt::Debug for Snapshot<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("name", &self.name)
            .field("build_time", &self.build_time)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct CellView {
    pub(crate) route: u32,
    pub(crate) country: [u8; 2],
    pub(crate) sources: u64,
    pub(crate) block: u32,
    pub(crate) flags: u8,
    pub(crate) located: [u8; 2],
    pub(crate) geo_flags: u8,
    /// Time-aware evidence of the /24 (/48): index in `TIMED_BLOCKS`.
    pub(crate) timed_block: u32,
    /// Time-aware evidence of the address: index in `TIMED_IPS`.
    pub(crate) timed_ip: u32,
}

impl CellView {
    /// Inside a range under guard rails.
    #[inline]
    pub(crate) fn protected(&self) -> bool {
        self.flags & CELL_PROTECTED != 0
    }

    /// The cell has time-aware evidence (its /24 or its address).
    #[inline]
    pub(crate) fn has_timed(&self) -> bool {
        self.timed_block != NO_BLOCK || self.timed_ip != NO_BLOCK
    }
}

/// Time-aware evidence of an AS as stored.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimedAsView {
    pub(crate) density: f64,
    pub(crate) peer_percentile: f32,
    pub(crate) persistence_days: f32,
    pub(crate) categories: u8,
    pub(crate) sources: u64,
}

/// Time-aware evidence of a /24 (/48) as stored.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimedBlockView {
    pub(crate) density: f32,
    pub(crate) reset: u32,
    pub(crate) domains: u32,
    pub(crate) new_domains: u32,
    pub(crate) short_lived: u32,
    pub(crate) flux: u32,
    pub(crate) abused: u32,
    pub(crate) sources: u64,
}

/// Time-aware evidence of an address as stored.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimedIpView {
    pub(crate) recency: f32,
    pub(crate) domains: u32,
    pub(crate) sources: u64,
}

/// A registration block as stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockView {
    pub(crate) start: u128,
    pub(crate) end: u128,
    pub(crate) parent: u32,
    pub(crate) org: u32,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) country: [u8; 2],
    pub(crate) status: u8,
    pub(crate) depth: u8,
    pub(crate) flags: u16,
    pub(crate) source: u16,
}

impl BlockView {
    pub(crate) fn is_v6(&self) -> bool {
        self.flags & BLOCK_V6 != 0
    }
}

/// A registered organisation as stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrgView<'a> {
    pub(crate) handle: &'a str,
    pub(crate) name: Option<&'a str>,
    pub(crate) entity: u32,
    pub(crate) blocks: u32,
    pub(crate) providers: u32,
    pub(crate) country: [u8; 2],
    pub(crate) flags: u16,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteView {
    pub(crate) start: u128,
    pub(crate) end: u128,
    pub(crate) sources: u64,
    pub(crate) size: u64,
    pub(crate) listed: u64,
    pub(crate) as_index: u32,
    pub(crate) source: u16,
    pub(crate) flags: u8,
}

impl RouteView {
    pub(crate) fn multi_origin(&self) -> bool {
        self.flags & ROUTE_MULTI_ORIGIN != 0
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct AsView<'a> {
    pub(crate) asn: u32,
    pub(crate) name: &'a str,
    pub(crate) country: [u8; 2],
    pub(crate) flags: u16,
    pub(crate) announced_v4: u64,
    pub(crate) announced_v6: u64,
    pub(crate) listed_v4: u64,
    pub(crate) listed_v6: u64,
    pub(crate) dropped_v4: u64,
    pub(crate) dropped_v6: u64,
    pub(crate) sources: u64,
    pub(crate) routing_source: u16,
    pub(crate) whois_org: u32,
}

impl AsView<'_> {
    pub(crate) fn on_asn_drop(&self) -> bool {
        self.flags & AS_DROP != 0
    }

    pub(crate) fn linked_listed(&self) -> bool {
        self.flags & AS_LINKED_LISTED != 0
    }
}

fn family_bits(v6: bool) -> u32 {
    if v6 { 128 } else { 32 }
}

/// The largest CIDR block that contains `ip` and lies inside `[start, end]`
/// (`(ip, family bits)` when `ip` is outside).
#[inline]
pub(crate) fn largest_block(start: u128, end: u128, ip: u128, v6: bool) -> (u128, u8) {
    let bits = family_bits(v6);
    if ip < start || ip > end {
        return (ip, bits as u8);
    }
    // Clearing the low `h` bits of `ip` keeps it >= `start` for every `h` up
    // to the highest bit where the two differ, and beyond that bit as long
    // as `start`'s low `h` bits are zero; setting them keeps it <= `end`
    // likewise, with `end`'s low bits all ones. Closed form of a binary
    // search over the prefix length, without a loop on the hot path.
    let reach = |bound: u128, run: u32| {
        if ip == bound {
            run
        } else {
            (127 - (ip ^ bound).leading_zeros()).max(run)
        }
    };
    let host = reach(start, start.trailing_zeros())
        .min(reach(end, end.trailing_ones()))
        .min(bits);
    let mask = if host >= 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    };
    (ip & !mask, (bits - host) as u8)
}

pub(crate) fn to_network(net: u128, len: u8, v6: bool) -> IpNetwork {
    let addr = if v6 {
        IpAddr::V6(net.into())
    } else {
        IpAddr::V4((net as u32).into())
    };
    // `len` never exceeds the family's bits.
    IpNetwork::new(addr, len).unwrap_or_else(|_| IpNetwork::from(addr))
}

pub(crate) fn u128_to_ip(a: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(a.into())
    } else {
        IpAddr::V4((a as u32).into())
    }
}

pub(crate) fn ip_to_u128(ip: IpAddr) -> (u128, bool) {
    match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)), false),
        IpAddr::V6(a) => (u128::from(a), true),
    }
}

impl Snapshot<memmap2::Mmap> {
    /// Opens a snapshot file by memory-mapping it.
    ///
    /// The map is read-only. Replace snapshot files by renaming a new file
    /// over the old one (as [`Snapshot::write`] and `bphscore build` do),
    /// never by rewriting them in place, so that a mapped file never changes
    /// under a reader.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("world.bph");
    /// bphscore::world::snapshot()?.write(&path)?;
    /// let opened = bphscore::Snapshot::open(&path)?;
    /// assert_eq!(opened.counts(), bphscore::world::snapshot()?.counts());
    /// assert!(bphscore::Snapshot::open(dir.path().join("missing.bph")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the map is read-only and snapshot files are replaced by
        // rename, never modified in place (see above). Every read through the
        // map is bounds-checked against the validated section table.
        // Opening reads every byte (the checksum on one thread, the tables
        // on another), so the pages are faulted in by both threads at once:
        // 2 to 4 ms less than populating the map up front on one
        // (`MmapOptions::populate`), measured on an 82 MB snapshot.
        let map =
            unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(|e| Error::io(path, e))?;
        Snapshot::with_name(map, &path.display().to_string())
    }
}

impl Snapshot<Vec<u8>> {
    /// Reads a snapshot file into memory (no memory map).
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("world.bph");
    /// bphscore::world::snapshot()?.write(&path)?;
    /// assert!(bphscore::Snapshot::read(&path).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Snapshot::with_name(data, &path.display().to_string())
    }
}

impl<S: AsRef<[u8]>> Snapshot<S> {
    /// Validates and wraps snapshot bytes.
    ///
    /// ```
    /// use bphscore::{Error, Snapshot};
    ///
    /// let mut bytes = bphscore::world::snapshot()?.as_bytes().to_vec();
    /// bytes[8] = 99; // format version
    /// assert!(matches!(Snapshot::from_bytes(bytes).unwrap_err(), Error::UnsupportedVersion { found: 99, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_bytes(data: S) -> Result<Self> {
        Snapshot::with_name(data, "<bytes>")
    }

    /// Checks the frame and the metadata, then the checksum and every
    /// table in one pass (the `check` module). A checksum mismatch is
    /// reported before any other error found after the frame.
    fn with_name(data: S, name: &str) -> Result<Self> {
        let frame = validate_frame(data.as_ref(), name)?;
        let bytes = data.as_ref();
        let body = &bytes[..frame.trailer];
        let (actual, checked) = match Snapshot::assemble(bytes, name, &frame) {
            Ok(mut snap) => {
                let (crc, asns) = check::pass(body, Some(&snap));
                (
                    crc,
                    asns.map(|asns| {
                        snap.asns = asns;
                        snap
                    }),
                )
            }
            Err(e) => (check::pass(body, None).0, Err(e)),
        };
        if actual != frame.stored {
            return Err(Error::snapshot(
                name,
                (frame.trailer + 8) as u64,
                format!(
                    "checksum mismatch (stored {:016x}, computed {actual:016x}): the file is corrupted",
                    frame.stored
                ),
            ));
        }
        // Unbound from `bytes` first, then bound to the data they came from.
        let unbound = checked?.with_data(());
        Ok(unbound.with_data(data))
    }
}

/// What the frame of a snapshot says: build time, stored checksum, where
/// the trailer starts, and the sections.
struct Frame {
    build_time: i64,
    stored: u64,
    trailer: usize,
    sections: [Range<usize>; MAX_SECTION_ID + 1],
}

impl<'a> Snapshot<&'a [u8]> {
    /// The snapshot over `bytes` with its metadata, strings and table
    /// lengths checked; not its records, its checksum or its AS numbers
    /// (see [`Snapshot::with_name`]).
    fn assemble(bytes: &'a [u8], name: &str, frame: &Frame) -> Result<Self> {
        let data = bytes;
        let (build_time, checksum, sections) =
            (frame.build_time, frame.stored, frame.sections.clone());
        let err = |off: usize, msg: String| Error::snapshot(name, off as u64, msg);

        let meta_range = sections[SEC_META as usize].clone();
        let meta: Meta = serde_json::from_slice(&bytes[meta_range.clone()])
            .map_err(|e| err(meta_range.start, format!("invalid metadata: {e}")))?;
        if meta.version != VERSION || meta.format != "bphscore-snapshot" {
            return Err(err(
                meta_range.start,
                format!("metadata does not describe a version {VERSION} snapshot"),
            ));
        }
        let mut bit_source = Vec::new();
        let (mut list_mask, mut drop_mask, mut asn_drop_mask) = (0u64, 0u64, 0u64);
        for (i, s) in meta.sources.iter().enumerate() {
            let bit = bit_source.len();
            let mask = match s.kind() {
                SourceKind::Blocklist => &mut list_mask,
                SourceKind::Drop => &mut drop_mask,
                SourceKind::AsnDrop => &mut asn_drop_mask,
                _ => continue,
            };
            // Checked before shifting: `1 << 64` overflows.
            if bit >= 64 {
                return Err(err(meta_range.start, "more than 64 abuse sources".into()));
            }
            *mask |= 1 << bit;
            bit_source.push(i);
        }
        let mut timed_bit_source = Vec::new();
        let mut pdns_mask = 0u64;
        for (i, s) in meta.sources.iter().enumerate() {
            if !matches!(s.kind(), SourceKind::AbuseFeed | SourceKind::PassiveDns) {
                continue;
            }
            let bit = timed_bit_source.len();
            if bit >= 64 {
                return Err(err(meta_range.start, "more than 64 timed sources".into()));
            }
            if s.kind() == SourceKind::PassiveDns {
                pdns_mask |= 1 << bit;
            }
            timed_bit_source.push(i);
        }

        let len = |id: u32| sections[id as usize].len();
        let exact = |id: u32, unit: usize, what: &str| -> Result<usize> {
            let l = len(id);
            if l % unit != 0 {
                return Err(err(
                    sections[id as usize].start,
                    format!("{what} section length {l} is not a multiple of {unit}"),
                ));
            }
            Ok(l / unit)
        };
        let n4 = exact(SEC_V4_STARTS, 4, "IPv4 starts")?;
        let n6 = exact(SEC_V6_STARTS, 16, "IPv6 starts")?;
        let ncells = exact(SEC_CELLS, CELL_LEN, "cells")?;
        let v4_routes = exact(SEC_ROUTES, ROUTE_V4_LEN, "IPv4 routes")?;
        let nroutes = v4_routes + exact(SEC_ROUTES_V6, ROUTE_V6_LEN, "IPv6 routes")?;
        let nases = exact(SEC_ASES, AS_LEN, "ASes")?;
        let nblocks = exact(SEC_WHOIS_BLOCKS, BLOCK_LEN, "WHOIS blocks")?;
        let norgs = exact(SEC_WHOIS_ORGS, ORG_LEN, "WHOIS organisations")?;
        exact(SEC_WHOIS_ASES, WHOIS_AS_LEN, "WHOIS ASes")?;
        let nlinks = exact(SEC_WHOIS_LINKS, LINK_LEN, "WHOIS links")?;
        exact(SEC_TIMED_BLOCKS, TIMED_BLOCK_LEN, "timed blocks")?;
        exact(SEC_TIMED_IPS, TIMED_IP_LEN, "timed addresses")?;
        // Parallel tables are read with their cell or AS: checked first.
        // A parallel table is empty when it holds nothing but defaults.
        let parallel = |id: u32, unit: usize, what: &str, n: usize| -> Result<bool> {
            let records = exact(id, unit, what)?;
            Ok(records == n || records == 0)
        };
        if !parallel(SEC_CELL_TIMED, CELL_TIMED_LEN, "cell evidence", ncells)? {
            return Err(err(
                sections[SEC_CELL_TIMED as usize].start,
                "cell evidence does not match the cells".into(),
            ));
        }
        if !parallel(SEC_TIMED_AS, TIMED_AS_LEN, "timed AS", nases)? {
            return Err(err(
                sections[SEC_TIMED_AS as usize].start,
                "timed AS section does not match the ASes".into(),
            ));
        }
        let whois_text: Box<str> =
            std::str::from_utf8(&bytes[sections[SEC_WHOIS_STRINGS as usize].clone()])
                .map_err(|e| {
                    err(
                        sections[SEC_WHOIS_STRINGS as usize].start + e.valid_up_to(),
                        "WHOIS strings are not UTF-8".into(),
                    )
                })?
                .into();
        let mut whois_sources: [Option<(usize, u32)>; 2] = [None, None];
        for (i, s) in meta.sources.iter().enumerate() {
            if s.kind() != SourceKind::Whois {
                continue;
            }
            let slot =
                &mut whois_sources[usize::from(s.format == crate::source::Format::Delegated)];
            match slot {
                None => *slot = Some((i, 0)),
                Some((_, n)) => *n += 1,
            }
        }
        let mut series_sources: [Option<(usize, u32)>; 2] = [None, None];
        let mut protect_source: Option<(usize, u32)> = None;
        let mut mmdb_source: Option<(usize, u32)> = None;
        for (i, s) in meta.sources.iter().enumerate() {
            let slot = match s.format {
                crate::source::Format::Mmdb => {
                    match &mut mmdb_source {
                        None => mmdb_source = Some((i, 0)),
                        Some((_, n)) => *n += 1,
                    }
                    continue;
                }
                crate::source::Format::Pfx2as => &mut series_sources[0],
                crate::source::Format::AsRel => &mut series_sources[1],
                // A RIB dump gives both: it names the routing evidence.
                crate::source::Format::Mrt => &mut series_sources[0],
                crate::source::Format::Protect => {
                    match &mut protect_source {
                        None => protect_source = Some((i, 0)),
                        Some((_, n)) => *n += 1,
                    }
                    continue;
                }
                _ => continue,
            };
            // The latest one (the first of equal dates) names the evidence.
            match slot {
                None => *slot = Some((i, 0)),
                Some((j, n)) => {
                    *n += 1;
                    if s.date > meta.sources[*j].date {
                        *j = i;
                    }
                }
            }
        }
        if !parallel(SEC_AS_GEO, AS_GEO_LEN, "AS geolocation", nases)? {
            return Err(err(
                sections[SEC_AS_GEO as usize].start,
                "AS geolocation records do not match the ASes".into(),
            ));
        }
        if !parallel(SEC_AS_ROUTING, AS_ROUTING_LEN, "AS routing", nases)? {
            return Err(err(
                sections[SEC_AS_ROUTING as usize].start,
                "AS routing records do not match the ASes".into(),
            ));
        }
        for id in SEC_RESERVED_FIRST..=SEC_RESERVED_LAST {
            if len(id) != 0 {
                return Err(err(
                    sections[id as usize].start,
                    format!("reserved section {id} is not empty"),
                ));
            }
        }
        if n4 == 0 || n6 == 0 || ncells == 0 {
            return Err(err(HEADER_LEN, "empty partition".into()));
        }
        for (id, n, what) in [
            (SEC_V4_CELLS, n4, "IPv4 cells"),
            (SEC_V6_CELLS, n6, "IPv6 cells"),
        ] {
            if len(id) != n * 4 {
                return Err(err(
                    sections[id as usize].start,
                    format!("{what} do not match the starts"),
                ));
            }
        }
        for id in [SEC_V4_INDEX, SEC_V6_INDEX] {
            if len(id) != INDEX_ENTRIES * 4 {
                return Err(err(
                    sections[id as usize].start,
                    "index has the wrong length".into(),
                ));
            }
        }
        let strings = &bytes[sections[SEC_STRINGS as usize].clone()];
        let names: Box<str> = std::str::from_utf8(strings)
            .map_err(|e| {
                err(
                    sections[SEC_STRINGS as usize].start + e.valid_up_to(),
                    "AS names are not UTF-8".into(),
                )
            })?
            .into();
        let counts = Counts {
            v4_intervals: n4,
            v6_intervals: n6,
            cells: ncells,
            routes: nroutes,
            ases: nases,
            whois_blocks: nblocks,
            whois_orgs: norgs,
            whois_links: nlinks,
        };
        let snap = Snapshot {
            data,
            name: name.to_owned(),
            build_time,
            checksum,
            meta,
            sections,
            counts,
            bit_source,
            list_mask,
            drop_mask,
            asn_drop_mask,
            names,
            asns: Vec::new(),
            v4_routes,
            whois_text,
            whois_sources,
            timed_bit_source,
            pdns_mask,
            series_sources,
            protect_source,
            mmdb_source,
        };
        Ok(snap)
    }
}

impl<T> Snapshot<T> {
    /// The same snapshot over `data`, which holds the same bytes.
    fn with_data<S>(self, data: S) -> Snapshot<S> {
        Snapshot {
            data,
            name: self.name,
            build_time: self.build_time,
            checksum: self.checksum,
            meta: self.meta,
            sections: self.sections,
            counts: self.counts,
            bit_source: self.bit_source,
            list_mask: self.list_mask,
            drop_mask: self.drop_mask,
            asn_drop_mask: self.asn_drop_mask,
            names: self.names,
            asns: self.asns,
            v4_routes: self.v4_routes,
            whois_text: self.whois_text,
            whois_sources: self.whois_sources,
            timed_bit_source: self.timed_bit_source,
            pdns_mask: self.pdns_mask,
            series_sources: self.series_sources,
            protect_source: self.protect_source,
            mmdb_source: self.mmdb_source,
        }
    }
}

impl<S: AsRef<[u8]>> Snapshot<S> {
    /// The raw bytes of the snapshot file.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// When the snapshot was built (unix seconds).
    ///
    /// ```
    /// let world = bphscore::world::snapshot()?;
    /// assert!(world.build_time() > 1_700_000_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build_time(&self) -> i64 {
        self.build_time
    }

    /// The date of the newest source (unix seconds), the reference time of
    /// the evidence.
    pub fn as_of(&self) -> Option<i64> {
        self.meta.as_of
    }

    /// The checksum stored in the trailer (see [`checksum`]).
    pub fn checksum(&self) -> u64 {
        self.checksum
    }

    /// The sources the snapshot was built from, in the order they were added.
    pub fn sources(&self) -> &[SourceInfo] {
        &self.meta.sources
    }

    /// The size of each table.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The version of bphscore that built the snapshot.
    pub fn created_by(&self) -> &str {
        &self.meta.created_by
    }

    /// Writes the snapshot to `path` atomically: a temporary file in the same
    /// folder is written, flushed to disk and renamed over `path`, so readers
    /// see either the old file or the new one, never a partial file.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("w.bph");
    /// let world = bphscore::world::snapshot()?;
    /// world.write(&path)?;
    /// assert_eq!(std::fs::read(&path)?, world.as_bytes());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), self.as_bytes())
    }

    /// The snapshot's partition of the IPv4 space: every address of one
    /// interval has the same features, so scoring one address of it scores
    /// them all. The intervals are in address order, adjacent, and cover
    /// the whole space.
    ///
    /// ```
    /// let world = bphscore::world::snapshot()?;
    /// let intervals: Vec<_> = world.intervals_v4().collect();
    /// assert_eq!(intervals.len(), world.counts().v4_intervals);
    /// assert_eq!(*intervals[0].start(), std::net::Ipv4Addr::UNSPECIFIED);
    /// assert_eq!(*intervals.last().unwrap().end(), std::net::Ipv4Addr::BROADCAST);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn intervals_v4(
        &self,
    ) -> impl ExactSizeIterator<Item = std::ops::RangeInclusive<std::net::Ipv4Addr>> + '_ {
        (0..self.interval_count(false)).map(|i| {
            let (s, e, _) = self.interval(i, false);
            std::net::Ipv4Addr::from(s as u32)..=std::net::Ipv4Addr::from(e as u32)
        })
    }

    /// The snapshot's partition of the IPv6 space (see
    /// [`Snapshot::intervals_v4`]).
    ///
    /// ```
    /// let world = bphscore::world::snapshot()?;
    /// let first = world.intervals_v6().next().unwrap();
    /// assert_eq!(*first.start(), std::net::Ipv6Addr::UNSPECIFIED);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn intervals_v6(
        &self,
    ) -> impl ExactSizeIterator<Item = std::ops::RangeInclusive<std::net::Ipv6Addr>> + '_ {
        (0..self.interval_count(true)).map(|i| {
            let (s, e, _) = self.interval(i, true);
            std::net::Ipv6Addr::from(s)..=std::net::Ipv6Addr::from(e)
        })
    }

    // ---- look-ups used by scoring; all indices were validated on open ----

    #[inline]
    fn section(&self, id: u32) -> &[u8] {
        &self.data.as_ref()[self.sections[id as usize].clone()]
    }

    /// A family's partition as stored: its interval starts (little-endian
    /// `u32` or `u128`) and its 65,537 entry points by the top 16 bits
    /// (`u32`), both checked on open.
    pub(crate) fn partition(&self, v6: bool) -> (&[u8], &[u8]) {
        if v6 {
            (self.section(SEC_V6_STARTS), self.section(SEC_V6_INDEX))
        } else {
            (self.section(SEC_V4_STARTS), self.section(SEC_V4_INDEX))
        }
    }

    /// The index of the interval holding `ip` (v4 as u128).
    ///
    /// The entry points of the top 16 bits bound the search to
    /// `index[t]..=index[t + 1]`, where `start(index[t]) <= ip` (checked on
    /// open); the search keeps that invariant and halves the candidates
    /// with a conditional move rather than a branch on the data, which a
    /// random address would mispredict.
    #[inline]
    pub(crate) fn locate(&self, ip: u128, v6: bool) -> usize {
        let (index, shift) = if v6 {
            (self.section(SEC_V6_INDEX), 112)
        } else {
            (self.section(SEC_V4_INDEX), 16)
        };
        let t = (ip >> shift) as usize;
        let lo = u32_at(index, t * 4) as usize;
        let hi = u32_at(index, (t + 1) * 4) as usize;
        let mut base = lo;
        let mut len = hi.saturating_sub(lo) + 1;
        if v6 {
            let starts = self.section(SEC_V6_STARTS);
            while len > 1 {
                let half = len / 2;
                if u128_at(starts, (base + half) * 16) <= ip {
                    base += half;
                }
                len -= half;
            }
        } else {
            let starts = self.section(SEC_V4_STARTS);
            let ip = ip as u32;
            while len > 1 {
                let half = len / 2;
                if u32_at(starts, (base + half) * 4) <= ip {
                    base += half;
                }
                len -= half;
            }
        }
        base
    }

    /// The `[start, end]` and cell of interval `i`.
    #[inline]
    pub(crate) fn interval(&self, i: usize, v6: bool) -> (u128, u128, CellView) {
        if v6 {
            let starts = self.section(SEC_V6_STARTS);
            let n = self.counts.v6_intervals;
            let s = u128_at(starts, i * 16);
            let e = if i + 1 < n {
                u128_at(starts, (i + 1) * 16) - 1
            } else {
                u128::MAX
            };
            (s, e, self.interval_cell(i, v6))
        } else {
            let starts = self.section(SEC_V4_STARTS);
            let n = self.counts.v4_intervals;
            let s = u128::from(u32_at(starts, i * 4));
            let e = if i + 1 < n {
                u128::from(u32_at(starts, (i + 1) * 4)) - 1
            } else {
                u128::from(u32::MAX)
            };
            (s, e, self.interval_cell(i, v6))
        }
    }

    /// The first address of interval `i`.
    #[inline]
    pub(crate) fn interval_start(&self, i: usize, v6: bool) -> u128 {
        if v6 {
            u128_at(self.section(SEC_V6_STARTS), i * 16)
        } else {
            u128::from(u32_at(self.section(SEC_V4_STARTS), i * 4))
        }
    }

    /// Asks the CPU to fetch step `step` of the chain that scoring
    /// interval `i` reads (0: its cell number; 1: its cell; 2: its route;
    /// 3: its AS), each step reading what the one before fetched: spaced
    /// out, they let the first scoring of many intervals wait for memory
    /// together. Reads nothing past the tables' ends.
    #[inline]
    pub(crate) fn prefetch_scoring(&self, i: usize, v6: bool, step: u8) {
        use crate::score::prefetch;
        let cells = self.section(if v6 { SEC_V6_CELLS } else { SEC_V4_CELLS });
        if step == 0 {
            prefetch(cells.as_ptr().wrapping_add(i * 4));
            return;
        }
        if i >= self.interval_count(v6) {
            return;
        }
        let c = u32_at(cells, i * 4) as usize;
        if c >= self.counts.cells {
            return;
        }
        if step == 1 {
            prefetch(self.section(SEC_CELLS).as_ptr().wrapping_add(c * CELL_LEN));
            let timed = self.section(SEC_CELL_TIMED);
            if !timed.is_empty() {
                prefetch(timed.as_ptr().wrapping_add(c * CELL_TIMED_LEN));
            }
            return;
        }
        let route = self.cell(c).route;
        if route == NO_ROUTE || route as usize >= self.counts.routes {
            return;
        }
        if step == 2 {
            let (table, at, len) = self.route_record(route);
            let p = self.section(table).as_ptr().wrapping_add(at);
            prefetch(p);
            prefetch(p.wrapping_add(len - 1));
            return;
        }
        let a = self.route(route).as_index as usize;
        if a < self.counts.ases {
            prefetch(self.section(SEC_ASES).as_ptr().wrapping_add(a * AS_LEN));
            let timed = self.section(SEC_TIMED_AS);
            if !timed.is_empty() {
                prefetch(timed.as_ptr().wrapping_add(a * TIMED_AS_LEN));
            }
        }
    }

    /// The cell of interval `i` alone (what scoring an address needs).
    #[inline]
    pub(crate) fn interval_cell(&self, i: usize, v6: bool) -> CellView {
        self.cell(self.interval_cell_number(i, v6))
    }

    /// The number of interval `i`'s cell: intervals with the same cell
    /// score the same but for their prefix.
    #[inline]
    pub(crate) fn interval_cell_number(&self, i: usize, v6: bool) -> usize {
        let cells = self.section(if v6 { SEC_V6_CELLS } else { SEC_V4_CELLS });
        u32_at(cells, i * 4) as usize
    }

    pub(crate) fn interval_count(&self, v6: bool) -> usize {
        if v6 {
            self.counts.v6_intervals
        } else {
            self.counts.v4_intervals
        }
    }

    // Records are sliced once to their fixed size, so the field reads below
    // need no further bounds checks.

    #[inline]
    pub(crate) fn cell(&self, i: usize) -> CellView {
        let b: &[u8; CELL_LEN] = record(self.section(SEC_CELLS), i);
        let t: &[u8; CELL_TIMED_LEN] = parallel(self.section(SEC_CELL_TIMED), i, &[0xff; 8]);
        CellView {
            route: u32_at(b, 0),
            country: [b[4], b[5]],
            sources: u64_at(b, 8),
            block: u32_at(b, 16),
            timed_block: u32_at(t, 0),
            timed_ip: u32_at(t, 4),
            flags: b[6],
            geo_flags: b[7],
            located: [b[20], b[21]],
        }
    }

    /// Time-aware evidence of AS record `i`.
    #[inline]
    pub(crate) fn timed_as(&self, i: u32) -> TimedAsView {
        let b: &[u8; TIMED_AS_LEN] = parallel(self.section(SEC_TIMED_AS), i as usize, &[0; 32]);
        TimedAsView {
            density: f64::from_bits(u64_at(b, 0)),
            peer_percentile: f32::from_bits(u32_at(b, 8)),
            persistence_days: f32::from_bits(u32_at(b, 12)),
            categories: b[16],
            sources: u64_at(b, 24),
        }
    }

    /// Time-aware evidence of /24 (/48) record `i`.
    #[inline]
    pub(crate) fn timed_block(&self, i: u32) -> TimedBlockView {
        let b: &[u8; TIMED_BLOCK_LEN] = record(self.section(SEC_TIMED_BLOCKS), i as usize);
        TimedBlockView {
            density: f32::from_bits(u32_at(b, 16)),
            reset: u32_at(b, 20),
            domains: u32_at(b, 24),
            new_domains: u32_at(b, 28),
            short_lived: u32_at(b, 32),
            flux: u32_at(b, 36),
            abused: u32_at(b, 40),
            sources: u64_at(b, 48),
        }
    }

    /// Time-aware evidence of address record `i`.
    #[inline]
    pub(crate) fn timed_ip(&self, i: u32) -> TimedIpView {
        let b: &[u8; TIMED_IP_LEN] = record(self.section(SEC_TIMED_IPS), i as usize);
        TimedIpView {
            recency: f32::from_bits(u32_at(b, 16)),
            domains: u32_at(b, 20),
            sources: u64_at(b, 32),
        }
    }

    /// The first timed source (abuse feed or passive DNS) in `mask`, and
    /// how many others.
    pub(crate) fn first_timed_source(&self, mask: u64) -> Option<(&SourceInfo, u32)> {
        if mask == 0 {
            return None;
        }
        let bit = mask.trailing_zeros() as usize;
        let i = *self.timed_bit_source.get(bit)?;
        Some((&self.meta.sources[i], mask.count_ones() - 1))
    }

    /// The timed-source bits of passive-DNS sources.
    pub(crate) fn pdns_mask(&self) -> u64 {
        self.pdns_mask
    }

    /// What the time-aware evidence kept and dropped, and its policy.
    ///
    /// ```
    /// let snapshot = bphscore::world::snapshot()?;
    /// let timed = snapshot.timed_summary().unwrap();
    /// assert!(timed.reset_by_transfer > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timed_summary(&self) -> Option<&crate::features::TimedSummary> {
        self.meta.timed.as_ref()
    }

    #[inline]
    pub(crate) fn whois_block(&self, i: u32) -> BlockView {
        let b: &[u8; BLOCK_LEN] = record(self.section(SEC_WHOIS_BLOCKS), i as usize);
        BlockView {
            start: u128_at(b, 0),
            end: u128_at(b, 16),
            parent: u32_at(b, 32),
            org: u32_at(b, 36),
            created: u64_at(b, 40) as i64,
            modified: u64_at(b, 48) as i64,
            country: [b[56], b[57]],
            status: b[58],
            depth: b[59],
            flags: u16_at(b, 60),
            source: u16_at(b, 62),
        }
    }

    fn whois_str(&self, off: u32, len: u32) -> Option<&str> {
        if off == u32::MAX {
            return None;
        }
        self.whois_text
            .get(off as usize..(off as usize).saturating_add(len as usize))
    }

    pub(crate) fn whois_org(&self, i: u32) -> OrgView<'_> {
        let b: &[u8; ORG_LEN] = record(self.section(SEC_WHOIS_ORGS), i as usize);
        OrgView {
            handle: self.whois_str(u32_at(b, 0), u32_at(b, 4)).unwrap_or(""),
            name: self.whois_str(u32_at(b, 8), u32_at(b, 12)),
            entity: u32_at(b, 16),
            blocks: u32_at(b, 20),
            providers: u32_at(b, 24),
            country: [b[28], b[29]],
            flags: u16_at(b, 30),
        }
    }

    /// The registered ASes: (asn, org index, as-name).
    pub(crate) fn whois_ases(&self) -> impl Iterator<Item = (u32, u32, Option<&str>)> {
        self.section(SEC_WHOIS_ASES)
            .chunks_exact(WHOIS_AS_LEN)
            .map(|r| {
                (
                    u32_at(r, 0),
                    u32_at(r, 4),
                    self.whois_str(u32_at(r, 8), u32_at(r, 12)),
                )
            })
    }

    /// The links: (org a, org b, reason code, key).
    pub(crate) fn whois_links(&self) -> impl Iterator<Item = (u32, u32, u8, &str)> {
        self.section(SEC_WHOIS_LINKS)
            .chunks_exact(LINK_LEN)
            .map(|r| {
                (
                    u32_at(r, 0),
                    u32_at(r, 4),
                    r[8],
                    self.whois_str(u32_at(r, 12), u32_at(r, 16)).unwrap_or(""),
                )
            })
    }

    /// The routing behaviour of AS record `i`.
    #[inline]
    pub(crate) fn as_routing(&self, i: u32) -> AsRouting {
        let b: &[u8; AS_ROUTING_LEN] = parallel(self.section(SEC_AS_ROUTING), i as usize, &[0; 32]);
        let f = |off: usize| f32::from_bits(u32_at(b, off));
        AsRouting {
            prefixes: u32_at(b, 0),
            small_prefixes: u32_at(b, 4),
            upstreams: u32_at(b, 8),
            lax_upstreams: u32_at(b, 12),
            rewiring: u32_at(b, 16),
            churn: f(20),
            short_lived: f(24),
            moas: f(28),
        }
    }

    /// The number of distinct geolocated countries of AS record `i`.
    #[inline]
    pub(crate) fn as_countries(&self, i: u32) -> u32 {
        let b: &[u8; AS_GEO_LEN] = parallel(self.section(SEC_AS_GEO), i as usize, &[0; 8]);
        u32_at(b, 0)
    }

    /// The first MMDB source and how many others there are.
    pub(crate) fn mmdb_source(&self) -> Option<(&SourceInfo, u32)> {
        let (i, n) = self.mmdb_source?;
        Some((self.meta.sources.get(i)?, n))
    }

    /// The latest prefix2as source (`as_rel`: AS-relationship source) and
    /// how many others there are.
    pub(crate) fn series_source(&self, as_rel: bool) -> Option<(&SourceInfo, u32)> {
        let (i, n) = self.series_sources[usize::from(as_rel)]?;
        Some((self.meta.sources.get(i)?, n))
    }

    /// The first guard-rail list and how many others there are.
    pub(crate) fn protect_source(&self) -> Option<(&SourceInfo, u32)> {
        let (i, n) = self.protect_source?;
        Some((self.meta.sources.get(i)?, n))
    }

    /// The first registration source (`delegated`: the first delegated-stats
    /// source) and how many others there are.
    pub(crate) fn whois_source(&self, delegated: bool) -> Option<(&SourceInfo, u32)> {
        let (i, n) = self.whois_sources[usize::from(delegated)]?;
        Some((self.meta.sources.get(i)?, n))
    }

    /// Where route `i`'s record is: its table, byte offset and length.
    #[inline]
    fn route_record(&self, i: u32) -> (u32, usize, usize) {
        let i = i as usize;
        match i.checked_sub(self.v4_routes) {
            None => (SEC_ROUTES, i * ROUTE_V4_LEN, ROUTE_V4_LEN),
            Some(k) => (SEC_ROUTES_V6, k * ROUTE_V6_LEN, ROUTE_V6_LEN),
        }
    }

    #[inline]
    pub(crate) fn route(&self, i: u32) -> RouteView {
        match (i as usize).checked_sub(self.v4_routes) {
            None => {
                let b: &[u8; ROUTE_V4_LEN] = record(self.section(SEC_ROUTES), i as usize);
                RouteView {
                    start: u128::from(u32_at(b, 0)),
                    end: u128::from(u32_at(b, 4)),
                    sources: u64_at(b, 8),
                    size: u64_at(b, 16),
                    listed: u64_at(b, 24),
                    as_index: u32_at(b, 32),
                    source: u16_at(b, 36),
                    flags: b[38],
                }
            }
            Some(k) => {
                let b: &[u8; ROUTE_V6_LEN] = record(self.section(SEC_ROUTES_V6), k);
                RouteView {
                    start: u128_at(b, 0),
                    end: u128_at(b, 16),
                    sources: u64_at(b, 32),
                    size: u64_at(b, 40),
                    listed: u64_at(b, 48),
                    as_index: u32_at(b, 56),
                    source: u16_at(b, 60),
                    flags: b[62],
                }
            }
        }
    }

    #[inline]
    pub(crate) fn as_at(&self, i: u32) -> AsView<'_> {
        let b: &[u8; AS_LEN] = record(self.section(SEC_ASES), i as usize);
        let (off, len) = (u32_at(b, 4) as usize, u32_at(b, 8) as usize);
        // Validated as UTF-8 on open.
        let name = self.names.get(off..off + len).unwrap_or("");
        AsView {
            asn: u32_at(b, 0),
            name,
            country: [b[12], b[13]],
            flags: u16_at(b, 14),
            announced_v4: u64_at(b, 16),
            announced_v6: u64_at(b, 24),
            listed_v4: u64_at(b, 32),
            listed_v6: u64_at(b, 40),
            dropped_v4: u64_at(b, 48),
            dropped_v6: u64_at(b, 56),
            sources: u64_at(b, 64),
            routing_source: u16_at(b, 72),
            whois_org: u32_at(b, 76),
        }
    }

    /// The AS record of `asn`, by binary search (AS numbers are strictly
    /// increasing, checked on open).
    pub(crate) fn find_as(&self, asn: Asn) -> Option<u32> {
        self.asns.binary_search(&asn.get()).ok().map(|i| i as u32)
    }

    /// The first source (in build order) among the abuse-source bits of
    /// `mask`, and how many others there are.
    pub(crate) fn first_source(&self, mask: u64) -> Option<(&SourceInfo, u32)> {
        if mask == 0 {
            return None;
        }
        let bit = mask.trailing_zeros() as usize;
        let source = self.meta.sources.get(*self.bit_source.get(bit)?)?;
        Some((source, mask.count_ones() - 1))
    }

    pub(crate) fn source_at(&self, i: u16) -> Option<&SourceInfo> {
        self.meta.sources.get(usize::from(i))
    }

    pub(crate) fn masks(&self) -> (u64, u64, u64) {
        (self.list_mask, self.drop_mask, self.asn_drop_mask)
    }
}

/// Record `i` of a table of `N`-byte records. Indices were validated on
/// open; an out-of-range one panics, as slice indexing would.
#[inline]
fn record<const N: usize>(table: &[u8], i: usize) -> &[u8; N] {
    match table.get(i * N..).and_then(<[u8]>::first_chunk) {
        Some(r) => r,
        None => panic!("snapshot record {i} out of range"),
    }
}

/// Record `i` of a table parallel to another (cells, ASes), or `default`
/// when the table is stored empty (every record would be `default`).
#[inline]
fn parallel<'a, const N: usize>(table: &'a [u8], i: usize, default: &'a [u8; N]) -> &'a [u8; N] {
    if table.is_empty() {
        default
    } else {
        record(table, i)
    }
}

/// Checks the header, the length, the trailer and the section table; not
/// the checksum, which the caller computes.
fn validate_frame(b: &[u8], name: &str) -> Result<Frame> {
    let err = |off: usize, msg: &str| Error::snapshot(name, off as u64, msg);
    if b.len() < 8 || &b[..8] != MAGIC {
        return Err(err(0, "not a bphscore snapshot (bad magic)"));
    }
    if b.len() < 12 {
        return Err(err(b.len(), "truncated header"));
    }
    let version = u32_at(b, 8);
    if version != VERSION {
        return Err(Error::UnsupportedVersion {
            source_name: name.to_owned(),
            found: version,
            supported: VERSION,
        });
    }
    if b.len() < HEADER_LEN + TRAILER_LEN {
        return Err(err(b.len(), "truncated file"));
    }
    if u32_at(b, 12) as usize != HEADER_LEN {
        return Err(err(12, "unexpected header length"));
    }
    let file_len = u64_at(b, 24);
    if file_len != b.len() as u64 {
        return Err(err(
            b.len().min(24),
            &format!(
                "file is {} bytes but its header says {file_len}: truncated or padded",
                b.len()
            ),
        ));
    }
    let trailer = b.len() - TRAILER_LEN;
    if &b[trailer..trailer + 8] != TRAILER_MAGIC {
        return Err(err(trailer, "missing trailer"));
    }
    let stored = u64_at(b, trailer + 8);
    let build_time = u64_at(b, 16) as i64;
    let count = u32_at(b, 32) as usize;
    if count != SECTION_COUNT {
        return Err(err(32, "unexpected section count"));
    }
    let table_end = HEADER_LEN + count * SECTION_ENTRY_LEN;
    if table_end > trailer {
        return Err(err(HEADER_LEN, "section table overruns the file"));
    }
    let mut sections: [Range<usize>; MAX_SECTION_ID + 1] = std::array::from_fn(|_| 0..0);
    let mut seen = [false; MAX_SECTION_ID + 1];
    for i in 0..count {
        let e = HEADER_LEN + i * SECTION_ENTRY_LEN;
        let id = u32_at(b, e) as usize;
        let off = u64_at(b, e + 8);
        let len = u64_at(b, e + 16);
        if !SECTION_IDS.contains(&(id as u32)) || seen[id] {
            return Err(err(e, "unknown or repeated section id"));
        }
        let end = off.checked_add(len);
        if off < table_end as u64 || end.is_none_or(|end| end > trailer as u64) {
            return Err(err(e + 8, "section lies outside the file"));
        }
        seen[id] = true;
        sections[id] = off as usize..(off + len) as usize;
    }
    Ok(Frame {
        build_time,
        stored,
        trailer,
        sections,
    })
}

/// A temporary-file builder for outputs that are renamed into place: on
/// Unix their mode is `0o666` less the umask, as for any other new file,
/// rather than the private mode of a temporary file.
pub(crate) fn output_tempfile<'a>() -> tempfile::Builder<'a, 'a> {
    #[allow(unused_mut)]
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder
}

/// Whether `path` exists and is neither a regular file nor a directory: a
/// character or block device, a FIFO or a socket. Such outputs are written in
/// place, never replaced by a rename.
pub fn is_special_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// The suffix of the temporary files [`write_atomic`] writes next to the
/// target, named `.<target name>.<random>.bphscore.tmp`.
const TEMP_SUFFIX: &str = ".bphscore.tmp";

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if is_special_file(path) {
        // A device or a pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written
        // in place: renaming a file over it would replace the device itself.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        return f.write_all(bytes).map_err(|e| Error::io(path, e));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "snapshot".into(), |n| n.to_string_lossy());
    let prefix = format!(".{name}.");
    remove_stale_temp_files(dir, &prefix);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    // A temporary file is private (0600) by default; a snapshot gets the
    // mode of any new file (0666 less the umask), as readers such as a
    // firewall daemon often run as another user.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    // A replaced snapshot keeps its mode.
    if let Ok(old) = std::fs::metadata(path) {
        tmp.as_file()
            .set_permissions(old.permissions())
            .map_err(|e| Error::io(tmp.path(), e))?;
    }
    // Held until the file is renamed and closed. A writer killed before the
    // rename leaves its temporary file behind, unlocked: that is how a later
    // write of the same target tells it from one still being written. Where
    // the file system has no locks, nothing is ever removed.
    let _ = tmp.as_file().lock();
    tmp.write_all(bytes).map_err(|e| Error::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes the temporary files of earlier writes of the same target whose
/// writer died (killed, or the machine stopped) before renaming them: their
/// lock is free. Files still locked belong to a write in progress.
fn remove_stale_temp_files(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        if !(n.starts_with(prefix) && n.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(file) = File::open(entry.path()) else {
            continue;
        };
        if file.try_lock().is_ok() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_block_inside_ranges() {
        // 10.0.0.0 - 10.0.2.255 holds 10.0.0.0/23 and 10.0.2.0/24.
        let (s, e) = (0x0a00_0000u128, 0x0a00_02ffu128);
        assert_eq!(largest_block(s, e, 0x0a00_0105, false), (0x0a00_0000, 23));
        assert_eq!(largest_block(s, e, 0x0a00_0210, false), (0x0a00_0200, 24));
        assert_eq!(largest_block(0, u128::from(u32::MAX), 5, false), (0, 0));
        assert_eq!(largest_block(7, 7, 7, false), (7, 32));
        assert_eq!(largest_block(0, u128::MAX, 9, true), (0, 0));
        assert_eq!(largest_block(8, 9, 7, false), (7, 32));
        assert_eq!(largest_block(8, 9, 10, true), (10, 128));
    }

    /// The definition: the shortest prefix length whose block around `ip`
    /// fits, found by binary search.
    fn largest_block_by_search(start: u128, end: u128, ip: u128, v6: bool) -> (u128, u8) {
        let bits = family_bits(v6);
        let fits = |len: u32| {
            let host = bits - len;
            let mask = if host >= 128 {
                u128::MAX
            } else {
                (1u128 << host) - 1
            };
            let net = ip & !mask;
            (net >= start && (net | mask) <= end).then_some(net)
        };
        let (mut lo, mut hi) = (0u32, bits);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if fits(mid).is_some() {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        (fits(lo).unwrap_or(ip), lo as u8)
    }

    #[test]
    fn largest_block_matches_its_definition() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..200_000u32 {
            let v6 = i % 2 == 1;
            let max = if v6 { u128::MAX } else { u128::from(u32::MAX) };
            let draw = |r: u64, r2: u64| {
                let wide = (u128::from(r) << 64) | u128::from(r2);
                // Mostly values near round boundaries, where the cases are.
                let v = match r2 % 4 {
                    0 => wide,
                    1 => wide >> (r % 128) << (r % 128),
                    2 => (wide >> (r % 128) << (r % 128)).wrapping_sub(1),
                    _ => wide >> (r2 % 128),
                };
                v & max
            };
            let (a, b, c) = (
                draw(next(), next()),
                draw(next(), next()),
                draw(next(), next()),
            );
            let mut v = [a, b, c];
            v.sort_unstable();
            let [start, ip, end] = v;
            assert_eq!(
                largest_block(start, end, ip, v6),
                largest_block_by_search(start, end, ip, v6),
                "{start:#x} {ip:#x} {end:#x} v6={v6}"
            );
            // And outside the range.
            assert_eq!(
                largest_block(ip, end, start, v6),
                largest_block_by_search(ip, end, start, v6)
            );
        }
    }
}
