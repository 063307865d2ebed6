//! The on-disk layout of a snapshot (format version 4). All integers are
//! little-endian.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "BPHSNAP\0"
//!      8     4  format version (4)
//!     12     4  header length (64)
//!     16     8  build time, unix seconds (i64)
//!     24     8  file length
//!     32     4  section count
//!     36    28  reserved, zero
//!     64  24×n  section table: id u32, reserved u32, offset u64, length u64
//!          …    sections, each aligned to 16 bytes
//!   end-16   8  trailer magic "BPHEND\0\0"
//!   end-8    8  checksum u64 of every byte before the trailer (the `sum`
//!               module: Fletcher sums in eight 64-bit lanes, folded)
//! ```
//!
//! Sections: `META` (JSON: sources with dates and SHA-256, counts), the
//! IPv4 and IPv6 partitions (`*_INDEX`: 65,537 u32 entry points by the top
//! 16 bits; `*_STARTS`: interval starts; `*_CELLS`: their cells), `CELLS`,
//! `ROUTES`, `ASES` (sorted by AS number) and `STRINGS` (AS names, UTF-8).
//!
//! Version 2 adds the registration data (WHOIS and delegated statistics):
//!
//! ```text
//! CELLS         24×n  route u32, country [2], 0 [2], sources u64, block u32, 0 u32
//! ASES          80×n  … as in version 1 up to offset 74; flags bit 2 = linked to a
//!                     listed holder; 74: 0 u16; 76: WHOIS org index u32 (u32::MAX: none)
//! WHOIS_BLOCKS  64×n  start u128, end u128, parent u32, org u32, created i64,
//!                     last-modified i64 (i64::MIN: unknown), country [2], status u8,
//!                     depth u8, flags u16, source u16; sorted by family, start, widest
//!                     first; a parent always comes before its children
//! WHOIS_ORGS    32×n  handle off u32, len u32, name off u32, len u32, entity u32 (index
//!                     of the entity's first org), blocks u32, providers u32,
//!                     country [2], flags u16
//! WHOIS_ASES    16×n  asn u32, org u32, as-name off u32, len u32; sorted by asn
//! WHOIS_LINKS   24×n  org a u32, org b u32, reason u8, 0 [3], key off u32, len u32, 0 u32
//! WHOIS_STRINGS       UTF-8 text the records above point into (name off/len: u32::MAX/0 = none)
//! ```
//!
//! Version 3 adds routing dynamics, geolocation and guard rails. Sections
//! 17 to 24 are this family's; ids 19 to 24 are written empty (length 0)
//! and reserved, so that later sections keep their ids:
//!
//! ```text
//! CELLS         24×n  route u32, country [2], flags u8 (bit 0: inside a range under guard
//!                     rails), MMDB flags u8 (bit 0 hosting provider, 1 anonymous VPN,
//!                     2 public proxy, 3 residential proxy, 4 Tor exit), sources u64,
//!                     block u32, geolocated country [2] (MMDB; 0 0: unknown), 0 [2]
//! AS_ROUTING    32×n  one per AS, in the order of ASES: prefixes u32 (originated in the
//!                     latest prefix2as snapshot), small prefixes u32 (IPv4 /24+, IPv6 /48+),
//!                     upstreams u32, lax upstreams u32, rewiring u32 (providers gained or
//!                     lost), churn f32, short-lived f32, multi-origin f32 (shares in [0, 1])
//! AS_GEO         8×n  one per AS, in the order of ASES: distinct geolocated countries of
//!                     its announced space u32, 0 u32
//! 19 … 24       0     reserved, empty
//! ```
//!
//! The AS record (`ASES`, 80 bytes) is unchanged: its routing behaviour is
//! the record of the same index in `AS_ROUTING`.
//!
//! Version 3 adds time-aware evidence (timestamped abuse feeds and passive
//! DNS), in sections 25 to 28; floats are IEEE 754, finite:
//!
//! ```text
//! TIMED_AS      32×n  parallel to ASES: recent density f64, peer percentile f32,
//!                     persistence days f32, category mask u8, 0 [7], timed sources u64
//! TIMED_BLOCKS  64×n  start u128 (a /24 or an IPv6 /48), density f32, reset u32,
//!                     domains u32, new u32, short-lived u32, fast-flux u32,
//!                     abuse-named u32, category mask u8, flags u8 (1: IPv6), 0 [2],
//!                     timed sources u64, 0 [8]; sorted by family, start
//! TIMED_IPS     48×n  address u128, recency f32, domains u32, category mask u8,
//!                     flags u8 (1: IPv6), 0 [6], timed sources u64, 0 [8];
//!                     sorted by family, address
//! CELL_TIMED     8×n  parallel to CELLS: TIMED_BLOCKS index u32, TIMED_IPS index u32
//!                     (u32::MAX: none)
//! ```
//!
//! Version 4 stores each family's routes at its own width and replaces
//! the trailer's CRC-32 (and its 4 reserved bytes) with a 64-bit checksum
//! that sums in vector lanes. Routes are numbered IPv4 first: route `i` is
//! record `i` of `ROUTES` while `i` is below its count, else record
//! `i − count` of `ROUTES_V6` (section 29). Version 3's 80-byte route
//! record also held the DROP-listed address count and the AS number,
//! which scoring never read (the AS is the record of `as_index`):
//!
//! ```text
//! ROUTES        40×n  IPv4: start u32, end u32, abuse sources u64, own size u64 (addresses
//!                     not in a more specific route), listed u64 (of them, in a blocklist),
//!                     as_index u32 (ASES), source u16, flags u8 (bit 0 multi-origin,
//!                     bit 1 IPv6: 0 here), 0 u8
//! ROUTES_V6     64×n  IPv6: start u128, end u128, then as in ROUTES (sizes in /48s),
//!                     flags bit 1 set
//! ```
//!
//! A table parallel to another (`AS_ROUTING`, `AS_GEO` and `TIMED_AS` to
//! `ASES`, `CELL_TIMED` to `CELLS`) whose every record would be the
//! default (all zero bytes; for `CELL_TIMED`, all 0xff: no evidence) is
//! stored empty, and read as defaults: a snapshot of routing data alone
//! holds no such tables of nothing.
//!
//! On the real-scale world (412,000 IPv4 and 103,000 IPv6 routes, no
//! other sources) the route tables shrank from 41.2 to 23.1 MB and the
//! parallel tables from 10.7 MB to nothing, the file from 81.6 to 52.8 MB;
//! opening reads every byte, so it takes about that much less time.
//!
//! "Timed sources" are bit masks over the sources of kind `abuse-feed` and
//! `passive-dns`, numbered in build order. The partition is split so that
//! an interval lies within one /24 (/48) block and holds at most one
//! evidenced address, so every address of an interval still scores the
//! same. The reference time, the decay policy and what was dropped are in
//! `META` (`timed`).

pub(crate) const MAGIC: &[u8; 8] = b"BPHSNAP\0";
pub(crate) const TRAILER_MAGIC: &[u8; 8] = b"BPHEND\0\0";
pub(crate) const VERSION: u32 = 4;
pub(crate) const HEADER_LEN: usize = 64;
pub(crate) const TRAILER_LEN: usize = 16;
pub(crate) const SECTION_ENTRY_LEN: usize = 24;

pub(crate) const SEC_META: u32 = 1;
pub(crate) const SEC_V4_INDEX: u32 = 2;
pub(crate) const SEC_V4_STARTS: u32 = 3;
pub(crate) const SEC_V4_CELLS: u32 = 4;
pub(crate) const SEC_V6_INDEX: u32 = 5;
pub(crate) const SEC_V6_STARTS: u32 = 6;
pub(crate) const SEC_V6_CELLS: u32 = 7;
pub(crate) const SEC_CELLS: u32 = 8;
pub(crate) const SEC_ROUTES: u32 = 9;
pub(crate) const SEC_ASES: u32 = 10;
pub(crate) const SEC_STRINGS: u32 = 11;
pub(crate) const SEC_WHOIS_BLOCKS: u32 = 12;
pub(crate) const SEC_WHOIS_ORGS: u32 = 13;
pub(crate) const SEC_WHOIS_ASES: u32 = 14;
pub(crate) const SEC_WHOIS_LINKS: u32 = 15;
pub(crate) const SEC_WHOIS_STRINGS: u32 = 16;
pub(crate) const SEC_AS_ROUTING: u32 = 17;
pub(crate) const SEC_AS_GEO: u32 = 18;
/// Sections 19 to 24 are reserved (written empty) in version 3.
pub(crate) const SEC_RESERVED_FIRST: u32 = 19;
pub(crate) const SEC_RESERVED_LAST: u32 = 24;
pub(crate) const SEC_TIMED_AS: u32 = 25;
pub(crate) const SEC_TIMED_BLOCKS: u32 = 26;
pub(crate) const SEC_TIMED_IPS: u32 = 27;
pub(crate) const SEC_CELL_TIMED: u32 = 28;
pub(crate) const SEC_ROUTES_V6: u32 = 29;
/// The sections a file holds, each once (19 to 24 empty).
pub(crate) const SECTION_IDS: [u32; SECTION_COUNT] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    27, 28, 29,
];
pub(crate) const SECTION_COUNT: usize = 29;
/// The largest section id (the section table is indexed by id).
pub(crate) const MAX_SECTION_ID: usize = 32;

pub(crate) const INDEX_ENTRIES: usize = (1 << 16) + 1;
pub(crate) const CELL_LEN: usize = 24;
pub(crate) const BLOCK_LEN: usize = 64;
pub(crate) const ORG_LEN: usize = 32;
pub(crate) const WHOIS_AS_LEN: usize = 16;
pub(crate) const LINK_LEN: usize = 24;
pub(crate) const ROUTE_V4_LEN: usize = 40;
pub(crate) const ROUTE_V6_LEN: usize = 64;
pub(crate) const AS_LEN: usize = 80;
pub(crate) const TIMED_AS_LEN: usize = 32;
pub(crate) const TIMED_BLOCK_LEN: usize = 64;
pub(crate) const TIMED_IP_LEN: usize = 48;
pub(crate) const CELL_TIMED_LEN: usize = 8;
pub(crate) const AS_ROUTING_LEN: usize = 32;
pub(crate) const AS_GEO_LEN: usize = 8;

#[inline]
pub(crate) fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

#[inline]
pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(a)
}

#[inline]
pub(crate) fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

#[inline]
pub(crate) fn u128_at(b: &[u8], off: usize) -> u128 {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[off..off + 16]);
    u128::from_le_bytes(a)
}
