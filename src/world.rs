//! The embedded default world: a small synthetic Internet in the real
//! source formats, in documentation and reserved address space only
//! (RFC 5737, RFC 2544, RFC 6598, 240.0.0.0/4, RFC 3849; ASNs of RFC 5398).
//!
//! It holds a clean eyeball ISP (AS64500), a large legitimate cloud with
//! the most abuse by volume but a low density (AS64501), a bulletproof host
//! on DROP and ASN-DROP (AS64502), a legitimate hosting provider with one
//! bad customer block (AS64503, 198.18.200.0/24), a small clean host
//! (AS64504), a multi-origin transit prefix (AS65536) and AS64505, a
//! rebrand of AS64502 that the registry data links to it. Timestamped abuse
//! feeds (abuse.ch, AbuseIPDB, a generic CSV) and passive DNS show a
//! fast-flux botnet and a phishing cluster on AS64502 and stale listings on
//! 203.0.113.0/24, a block that changed hands. RPSL, ARIN and
//! delegated-stats files register the blocks: the bad customer block is
//! sub-allocated to a young reseller without an abuse contact. A dated
//! series of prefix2as snapshots and AS-relationship files ([`HISTORY`] and
//! the `*.as-rel.txt` files of [`FILES`]) gives AS64502 a history of
//! fragmented, churning space and monthly upstream changes, and the cloud's
//! anycast range 240.1.2.0/24 is under guard rails ([`PROTECTED`]). A
//! MaxMind DB file ([`GEOLOCATION`]) geolocates AS64502, registered in SC,
//! in NL and RU as a hosting provider with an anonymous-VPN slice, the
//! cloud as hosting in three countries and the ISP where it is registered.
//! The files live in
//! `testdata/world/` with a README giving each file's SHA-256; they are
//! compiled into the library, so `bphscore score` works with no files and
//! no network.
//!
//! ```
//! let snapshot = bphscore::world::snapshot()?;
//! let files = bphscore::world::FILES.len()
//!     + bphscore::world::GEOLOCATION.len()
//!     + bphscore::world::HISTORY.len()
//!     + bphscore::world::PROTECTED.len();
//! assert_eq!(snapshot.sources().len(), files);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::Result;
use crate::snapshot::{Snapshot, SnapshotBuilder};

/// The build time recorded in the default world's snapshot (the date of
/// its newest source, 2026-11-12T08:00:00Z), so that it is reproducible.
pub const BUILD_TIME: i64 = 1_794_470_400;

macro_rules! world_file {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../testdata/world/", $name)) as &[u8],
        )
    };
}

/// The world's text source files (name, content), in build order.
pub const FILES: &[(&str, &[u8])] = &[
    world_file!("asn-ipv4-20261101.csv"),
    world_file!("asn-ipv6-20261101.csv"),
    world_file!("routeviews-rv2-20261101-1200.pfx2as"),
    world_file!("routeviews-rv6-20261101-1200.pfx2as"),
    world_file!("country-ipv4-20261101.csv"),
    world_file!("country-ipv6-20261101.csv"),
    world_file!("drop_v4.json"),
    world_file!("drop_v6.json"),
    world_file!("drop.txt"),
    world_file!("asndrop.json"),
    world_file!("firehol_abusers.netset"),
    world_file!("firehol_abusers_v6.netset"),
    world_file!("ripe-20261101.db"),
    world_file!("arin_db-20261101.txt"),
    world_file!("delegated-ripencc-extended-20261101"),
    world_file!("pdns-20261112.jsonl"),
    world_file!("feodo-ipblocklist-20261112.json"),
    world_file!("feodo-ipblocklist-20261112.csv"),
    world_file!("urlhaus-20261112.csv"),
    world_file!("threatfox-20261112.json"),
    world_file!("abuseipdb-blacklist-20261112.json"),
    world_file!("abuseipdb-check-block-20261112.json"),
    world_file!("abuse-generic-20261112.csv"),
    world_file!("20260801.as-rel.txt"),
    world_file!("20260901.as-rel.txt"),
    world_file!("20261001.as-rel.txt"),
    world_file!("20261101.as-rel.txt"),
];

/// The earlier snapshots of the dated prefix2as series (the current one is
/// in [`FILES`]), added with [`SnapshotBuilder::add_dated`]: they give each
/// AS's routing behaviour, not its current routes.
pub const HISTORY: &[(&str, &[u8])] = &[
    world_file!("routeviews-rv2-20260801-1200.pfx2as"),
    world_file!("routeviews-rv6-20260801-1200.pfx2as"),
    world_file!("routeviews-rv2-20260901-1200.pfx2as"),
    world_file!("routeviews-rv6-20260901-1200.pfx2as"),
    world_file!("routeviews-rv2-20261001-1200.pfx2as"),
    world_file!("routeviews-rv6-20261001-1200.pfx2as"),
];

/// The MaxMind DB files (geolocated countries and Anonymous-IP flags),
/// added with [`SnapshotBuilder::add_mmdb`] after the other sources of
/// [`FILES`] and before its AS-relationship files, in the command line's
/// order.
pub const GEOLOCATION: &[(&str, &[u8])] = &[world_file!("geo-anonymous-20261101.mmdb")];

/// The guard-rail lists (cloud, CDN and anycast ranges), added with
/// [`SnapshotBuilder::add_protected`].
pub const PROTECTED: &[(&str, &[u8])] = &[world_file!("protected-ranges.txt")];

/// The default world's queries (`testdata/world/queries.txt`): IPs,
/// prefixes and ASNs of every network, and two bad lines.
pub const QUERIES: &str = include_str!("../testdata/world/queries.txt");

/// Builds the default world's snapshot in memory (a few milliseconds).
pub fn snapshot() -> Result<Snapshot<Vec<u8>>> {
    let mut builder = SnapshotBuilder::new().build_time(BUILD_TIME);
    let (series, others): (Vec<_>, Vec<_>) = FILES
        .iter()
        .partition(|(name, _)| name.ends_with(".as-rel.txt"));
    for &&(name, bytes) in &others {
        builder.add_reader(name, None, bytes)?;
    }
    for (name, bytes) in GEOLOCATION {
        builder.add_mmdb(name, bytes)?;
    }
    for &&(name, bytes) in &series {
        builder.add_reader(name, None, bytes)?;
    }
    for (name, bytes) in HISTORY {
        builder.add_dated(name, None, *bytes, None)?;
    }
    for (name, bytes) in PROTECTED {
        builder.add_protected(name, *bytes)?;
    }
    builder.build()
}
