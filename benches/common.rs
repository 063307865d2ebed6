//! Deterministic synthetic worlds for the benchmarks, the allocation test
//! and the `synth_world` example.
//!
//! A world is drawn from a seed by a small PRNG (splitmix64) and written as
//! text in the published formats the builder parses: ip-location-db ASN
//! CSV (IPv4 and IPv6), CAIDA RouteViews prefix2as with more-specifics and
//! multi-origin lines, Spamhaus DROP and ASN-DROP JSON lines (with their
//! metadata line) and FireHOL netsets (with their header). Building a
//! snapshot from it therefore runs the real parsers and compiler.
//!
//! **Generated worlds are not real networks.** Addresses, AS numbers, AS
//! names, countries and listings are drawn at random; only the sizes and
//! shapes follow public data (the ip-location-db ASN ranges of June 2026:
//! about 412,000 IPv4 and 103,000 IPv6 ranges from 91,000 ASes, mostly
//! CIDR-aligned, IPv6 clustered in a few dozen RIR /16s). At full scale the
//! ranges cover most of the public IPv4 space, so unlike the default world
//! they cannot stay in documentation space: they are generated at run time
//! and must never be committed or used as threat intelligence. AS names are
//! made-up words and every domain is under `.example`.
//!
//! Everything is a pure function of `(seed, scale)`: the same arguments
//! give byte-identical files on every platform.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bphscore::{Asn, Snapshot, SnapshotBuilder};
use ipnetwork::IpNetwork;

/// The scale whose world has the size of the real Internet routing data:
/// 420,000 IPv4 ranges, 105,000 IPv6 ranges, 91,000 routed ASes.
pub const REALISTIC: f64 = 1.0;

/// The date of the generated data, 2026-06-17T00:00:00Z, also used as the
/// build time so that snapshots are reproducible.
pub const DATA_TIME: i64 = 1_781_654_400;
const DATE_TAG: &str = "20260617";
const FIREHOL_DATE: &str = "Wed Jun 17 06:10:00 UTC 2026";

const V4_RANGES: f64 = 420_000.0;
const V6_RANGES: f64 = 105_000.0;
const ROUTED_ASES: f64 = 91_000.0;
const UNROUTED_ASES: f64 = 1_500.0;

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast and good enough to draw
/// synthetic data; not for anything secret.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// An independent stream for one part of the world, so that changing one
    /// part does not reshuffle every other.
    pub fn fork(seed: u64, stream: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xd6e8_feb8_6659_fd93));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    /// Uniform in `0..n` (`n > 0`); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn below_u128(&mut self, n: u128) -> u128 {
        self.next_u128() % n
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// An autonomous system of the synthetic world.
#[derive(Debug, Clone)]
pub struct SynthAs {
    pub asn: u32,
    pub name: String,
    pub rir: &'static str,
    pub cc: &'static str,
    /// Drawn as a bulletproof host: dense listings, DROP, often ASN-DROP.
    pub bulletproof: bool,
}

/// An address range `[start, end]` (IPv4 as `u128`) originated by `ases[origin]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthRange {
    pub start: u128,
    pub end: u128,
    pub origin: u32,
}

/// A prefix2as line: prefix, length and origins (`a_b` when several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub net: u128,
    pub len: u8,
    pub origins: Vec<u32>,
    /// Origins joined as an AS set (`a,b`) rather than as a conflict (`a_b`).
    pub as_set: bool,
}

/// A generated source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The file name, dated like the published files.
    pub name: String,
    /// `"routing"` or `"abuse"`: the `bphscore build` option it goes to.
    pub role: &'static str,
    pub text: String,
}

/// A synthetic world: what the generator drew, before it is written out.
#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub scale: f64,
    /// Every AS, sorted by number (routed ones and some only on ASN-DROP).
    pub ases: Vec<SynthAs>,
    /// ip-location-db rows: sorted, non-overlapping.
    pub v4: Vec<SynthRange>,
    pub v6: Vec<SynthRange>,
    /// prefix2as lines, sorted by prefix.
    pub pfx4: Vec<Announcement>,
    pub pfx6: Vec<Announcement>,
    /// Spamhaus DROP (network, length, SBL number).
    pub drop4: Vec<(u128, u8, u32)>,
    pub drop6: Vec<(u128, u8, u32)>,
    /// Indices into `ases` of the ASN-DROP entries.
    pub asn_drop: Vec<usize>,
    /// FireHOL-style lists: single abusive addresses, and small CIDRs.
    pub abusers4: Vec<(u128, u8)>,
    pub level2: Vec<(u128, u8)>,
    pub abusers6: Vec<(u128, u8)>,
}

const V4_MAX: u128 = u32::MAX as u128;

fn v4(a: u8, b: u8, c: u8, d: u8) -> u128 {
    u128::from(u32::from(Ipv4Addr::new(a, b, c, d)))
}

/// Space no ip-location-db row covers: private, shared, loopback,
/// link-local, benchmarking and documentation networks.
fn v4_holes() -> Vec<(u128, u128)> {
    let cidr = |s: u128, len: u32| (s, s + (1u128 << (32 - len)) - 1);
    vec![
        cidr(v4(10, 0, 0, 0), 8),
        cidr(v4(100, 64, 0, 0), 10),
        cidr(v4(127, 0, 0, 0), 8),
        cidr(v4(169, 254, 0, 0), 16),
        cidr(v4(172, 16, 0, 0), 12),
        cidr(v4(192, 0, 2, 0), 24),
        cidr(v4(192, 168, 0, 0), 16),
        cidr(v4(198, 18, 0, 0), 15),
        cidr(v4(198, 51, 100, 0), 24),
        cidr(v4(203, 0, 113, 0), 24),
    ]
}

/// log2 of an IPv4 range's size, and how many of the real rows have it
/// (thousands, ip-location-db 2026-06).
const V4_CLASSES: &[(u32, f64)] = &[
    (8, 159.0),
    (9, 72.0),
    (10, 80.0),
    (11, 31.5),
    (12, 24.0),
    (13, 16.7),
    (14, 9.0),
    (15, 5.7),
    (16, 7.9),
    (17, 2.2),
    (18, 1.0),
    (19, 0.46),
    (20, 0.23),
    (21, 0.08),
    (22, 0.03),
];

/// The same for IPv6 (log2 of the size: 128 − prefix length).
const V6_CLASSES: &[(u32, f64)] = &[
    (100, 0.15),
    (99, 10.4),
    (98, 0.9),
    (97, 1.0),
    (96, 27.2),
    (95, 1.5),
    (94, 0.7),
    (93, 0.8),
    (92, 2.7),
    (91, 0.8),
    (90, 0.8),
    (89, 0.9),
    (88, 4.6),
    (87, 1.0),
    (86, 1.1),
    (85, 1.5),
    (84, 4.4),
    (83, 1.4),
    (82, 2.2),
    (81, 4.5),
    (80, 32.2),
];

/// IPv6 /16s holding routed space, with the share of rows in the busiest
/// ones (the rest share what is left).
const V6_BUCKETS: &[(u16, f64)] = &[
    (0x2001, 17.6),
    (0x2804, 9.2),
    (0x2602, 4.9),
    (0x2803, 3.2),
    (0x2a10, 3.1),
    (0x2a02, 3.0),
    (0x2620, 2.9),
    (0x2401, 2.8),
    (0x2a03, 2.8),
    (0x2a00, 2.6),
];
const V6_OTHER_BUCKETS: &[u16] = &[
    0x2400, 0x2402, 0x2403, 0x2404, 0x2405, 0x2406, 0x2407, 0x2408, 0x2409, 0x240a, 0x240b, 0x240d,
    0x2600, 0x2601, 0x2603, 0x2604, 0x2605, 0x2606, 0x2607, 0x2610, 0x2800, 0x2801, 0x2802, 0x2806,
    0x2a01, 0x2a04, 0x2a05, 0x2a06, 0x2a07, 0x2a09, 0x2a0a, 0x2a0b, 0x2a0c, 0x2a0d, 0x2a0e, 0x2a0f,
    0x2a11, 0x2a12, 0x2a13, 0x2a14, 0x2c0f,
];

/// How ranges are laid out in a region of the address space.
struct Layout<'a> {
    lo: u128,
    hi: u128,
    /// log2 of the smallest unit (a /24, a /48).
    grain: u32,
    classes: &'a [(u32, f64)],
    /// Share of ranges that are one CIDR block (the rest are runs of units).
    aligned: f64,
    /// Share of ranges preceded by unrouted space.
    gap: f64,
    /// Fill the space skipped to align a block with smaller blocks, as
    /// allocations fill the space around big ones (IPv4 is nearly full).
    fill: bool,
    holes: &'a [(u128, u128)],
}

fn largest_pow2_at_most(x: u128) -> u128 {
    1u128 << (127 - x.leading_zeros())
}

/// Draws `count` sorted, non-overlapping ranges (fewer if the region fills).
fn lay_out(rng: &mut Rng, p: &Layout<'_>, count: usize, out: &mut Vec<(u128, u128)>) {
    let unit = 1u128 << p.grain;
    let weights: Vec<f64> = p.classes.iter().map(|c| c.1).collect();
    let expected: f64 = p
        .classes
        .iter()
        .map(|c| c.1 * (c.0 as f64).exp2())
        .sum::<f64>()
        / weights.iter().sum::<f64>();
    let first = out.len();
    let mut cursor = p.lo;
    let mut emitted = 0usize;
    while emitted < count {
        let k = p.classes[rng.weighted(&weights)].0;
        let aligned = rng.chance(p.aligned);
        let size = if aligned {
            1u128 << k
        } else {
            (1u128 << k) + rng.below_u128(1u128 << (k - p.grain)) * unit
        };
        if rng.chance(p.gap) {
            // Spread the spare space over the gaps still to come.
            let left = (count - emitted) as f64;
            let per_range = if emitted > 1000 {
                (cursor - p.lo) as f64 / emitted as f64
            } else {
                expected * 1.5
            };
            let spare = (p.hi - cursor) as f64 - per_range * left;
            if spare > 0.0 {
                let mean = spare * 0.5 / (left * p.gap).max(1.0);
                let g = (rng.unit() * 2.0 * mean) as u128;
                cursor = cursor.saturating_add(g / unit * unit);
            }
        }
        let start = if aligned {
            cursor.div_ceil(size) * size
        } else {
            cursor
        };
        if start >= p.hi || p.hi - start < size - 1 {
            break;
        }
        let end = start + size - 1;
        if let Some(h) = p.holes.iter().find(|h| h.0 <= end && h.1 >= cursor) {
            cursor = h.1 + 1;
            continue;
        }
        if p.fill {
            while cursor < start && emitted < count {
                let s = largest_pow2_at_most(start - cursor)
                    .min(1u128 << cursor.trailing_zeros().min(127));
                out.push((cursor, cursor + s - 1));
                cursor += s;
                emitted += 1;
            }
            if emitted == count {
                break;
            }
        }
        out.push((start, end));
        cursor = end + 1;
        emitted += 1;
    }
    debug_assert!(out[first..].windows(2).all(|w| w[0].1 < w[1].0));
}

/// Draws the ASN of a routed AS, and its registry.
fn draw_asn(rng: &mut Rng) -> (u32, &'static str) {
    const BLOCKS32: &[(u32, u32, &str)] = &[
        (131_072, 153_913, "apnic"),
        (196_608, 216_475, "ripencc"),
        (262_144, 273_820, "lacnic"),
        (327_680, 329_727, "afrinic"),
        (393_216, 401_308, "arin"),
    ];
    const RIRS: &[&str] = &["arin", "ripencc", "apnic", "lacnic", "afrinic"];
    let x = rng.unit();
    if x < 0.45 {
        (1 + rng.below(64_495) as u32, rng.pick_str(RIRS))
    } else if x < 0.95 {
        let weights: Vec<f64> = BLOCKS32.iter().map(|b| f64::from(b.1 - b.0)).collect();
        let b = BLOCKS32[rng.weighted(&weights)];
        (b.0 + rng.below(u64::from(b.1 - b.0) + 1) as u32, b.2)
    } else {
        // The rest of the 32-bit space, as the generator's spread.
        (
            401_309 + rng.below(4_199_999_999 - 401_309) as u32,
            rng.pick_str(RIRS),
        )
    }
}

fn country_of(rng: &mut Rng, rir: &str) -> &'static str {
    let list: &[&str] = match rir {
        "arin" => &["US", "US", "US", "CA"],
        "ripencc" => &["DE", "NL", "GB", "FR", "RU", "PL", "SE", "IT", "UA", "TR"],
        "apnic" => &["CN", "JP", "IN", "AU", "ID", "KR", "VN", "HK"],
        "lacnic" => &["BR", "BR", "AR", "MX", "CL", "CO"],
        _ => &["ZA", "NG", "KE", "EG", "MA"],
    };
    rng.pick_str(list)
}

fn draw_name(rng: &mut Rng, bulletproof: bool) -> String {
    const HEAD: &[&str] = &[
        "Nord", "Sol", "Vera", "Alta", "Lumo", "Terra", "Blue", "Iron", "Quanta", "Fjor", "Kiro",
        "Mira", "Orbi", "Pax", "Riva", "Sigma", "Tellu", "Unda", "Valo", "Zeni",
    ];
    const TAIL: &[&str] = &[
        "net", "wave", "link", "com", "tel", "host", "data", "line", "fiber", "cast", "grid",
        "port", "sky",
    ];
    const KIND: &[&str] = &[
        "Telecom",
        "Networks",
        "Broadband",
        "Internet",
        "Cloud",
        "Hosting",
        "Communications",
        "Datacenter",
        "University",
        "Bank",
        "Media",
        "Services",
    ];
    const FORM: &[&str] = &[
        "Ltd", "Inc.", "LLC", "GmbH", "S.A.", "B.V.", "Pty Ltd", "AB", "SRL", "JSC",
    ];
    let mut name = format!("{}{}", rng.pick(HEAD), rng.pick(TAIL));
    let kind = if bulletproof {
        rng.pick_str(&["Hosting", "Servers", "Solutions", "Cloud"])
    } else {
        rng.pick_str(KIND)
    };
    name.push(' ');
    name.push_str(kind);
    match rng.below(4) {
        0 => {}
        1 => {
            name.push_str(", ");
            name.push_str(rng.pick_str(FORM));
        }
        _ => {
            name.push(' ');
            name.push_str(rng.pick_str(FORM));
        }
    }
    if rng.chance(0.01) {
        // A few real names carry quotes; CSV escapes them as "".
        name = format!("\"{name}\" Group");
    }
    name
}

/// The `(start, end, origin ASN)` rows of an ip-location-db ASN CSV
/// (`start,end,asn,name`); lines that do not read so are left out.
pub fn asn_rows(text: &str) -> Vec<(u128, u128, u32)> {
    let bits = |ip: IpAddr| match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(',');
            let s: IpAddr = f.next()?.parse().ok()?;
            let e: IpAddr = f.next()?.parse().ok()?;
            let asn: u32 = f.next()?.parse().ok()?;
            Some((bits(s), bits(e), asn))
        })
        .collect()
}

/// `n` addresses: half inside a random row, half uniform over the IPv4
/// space or over IPv6 2000::/3, as for the synthetic world's queries.
pub fn queries_in_rows(
    rows: &[(u128, u128, u32)],
    v6: bool,
    rng: &mut Rng,
    n: usize,
) -> Vec<IpAddr> {
    (0..n)
        .map(|i| {
            let a = if i % 2 == 0 {
                let (s, e, _) = *rng.pick(rows);
                s + rng.below_u128(e - s + 1)
            } else if v6 {
                (1u128 << 125) | (rng.next_u128() >> 3)
            } else {
                u128::from(rng.next_u64() as u32)
            };
            ip(a, v6)
        })
        .collect()
}

/// The CIDR blocks covering `[start, end]`.
pub fn cidrs(mut start: u128, end: u128, v6: bool) -> Vec<(u128, u8)> {
    let bits = if v6 { 128 } else { 32 };
    let mut out = Vec::new();
    loop {
        let mut host = start.trailing_zeros().min(bits);
        while host > 0 && (host >= 128 || start + ((1u128 << host) - 1) > end) {
            host -= 1;
        }
        out.push((start, (bits - host) as u8));
        let last = if host >= 128 {
            u128::MAX
        } else {
            start + ((1u128 << host) - 1)
        };
        if last >= end {
            return out;
        }
        start = last + 1;
    }
}

fn last_of(net: u128, len: u8, v6: bool) -> u128 {
    let host = u32::from(if v6 { 128 } else { 32 } - len);
    if host >= 128 {
        u128::MAX
    } else {
        net | ((1u128 << host) - 1)
    }
}

/// Drops exact duplicates and blocks inside an earlier block.
fn disjoint(mut nets: Vec<(u128, u8)>, v6: bool) -> Vec<(u128, u8)> {
    nets.sort_unstable();
    nets.dedup_by_key(|n| n.0);
    let mut out: Vec<(u128, u8)> = Vec::with_capacity(nets.len());
    for n in nets {
        if out.last().is_none_or(|p| last_of(p.0, p.1, v6) < n.0) {
            out.push(n);
        }
    }
    out
}

/// Draws an origin for each of `n` ranges from `pool`: every AS of the
/// pool at least once, the rest Zipf-like (a few ASes hold thousands of
/// ranges, as the largest clouds and carriers do).
fn origins(rng: &mut Rng, pool: &[u32], n: usize) -> Vec<u32> {
    let mut out: Vec<u32> = pool.iter().copied().take(n).collect();
    let s = 0.8f64;
    let m = pool.len() as f64;
    while out.len() < n {
        let rank = (((m.powf(1.0 - s) - 1.0) * rng.unit() + 1.0).powf(1.0 / (1.0 - s)) as usize)
            .clamp(1, pool.len());
        out.push(pool[rank - 1]);
    }
    rng.shuffle(&mut out);
    out
}

impl World {
    /// Draws a world. `scale` 1.0 ([`REALISTIC`]) is the size of the real
    /// routing data; 0.12 gives about 50,000 IPv4 ranges.
    pub fn generate(seed: u64, scale: f64) -> World {
        let n4 = (V4_RANGES * scale).round() as usize;
        let n6 = (V6_RANGES * scale).round() as usize;
        let routed = ((ROUTED_ASES * scale).round() as usize).max(4);
        let unrouted = (UNROUTED_ASES * scale).round() as usize;

        // ASes: distinct numbers, sorted; a random permutation decides roles.
        let mut rng = Rng::fork(seed, 1);
        let mut seen = std::collections::HashSet::new();
        let mut ases = Vec::with_capacity(routed + unrouted);
        while ases.len() < routed + unrouted {
            let (asn, rir) = draw_asn(&mut rng);
            if asn == 23_456 || (64_496..=131_071).contains(&asn) || !seen.insert(asn) {
                continue;
            }
            let cc = country_of(&mut rng, rir);
            ases.push(SynthAs {
                asn,
                name: String::new(),
                rir,
                cc,
                bulletproof: false,
            });
        }
        ases.sort_unstable_by_key(|a| a.asn);
        let mut order: Vec<u32> = (0..ases.len() as u32).collect();
        rng.shuffle(&mut order);
        let (routed_ids, unrouted_ids) = order.split_at(routed);
        // 92% of routed ASes announce IPv4, 57% IPv6, as in the real data.
        let v4_pool = &routed_ids[..(routed as f64 * 0.92) as usize];
        let v6_pool = &routed_ids[(routed as f64 * 0.43) as usize..];
        // Bulletproof hosts: small ASes, 0.4% of those announcing IPv4.
        let n_bph = ((routed as f64 * 0.004).round() as usize).max(1);
        let bph: Vec<u32> = v4_pool[v4_pool.len() - n_bph..].to_vec();
        for &i in &bph {
            let a = &mut ases[i as usize];
            a.bulletproof = true;
            a.cc = rng.pick_str(&["SC", "BZ", "PA", "SE", "NL", "RU", "MD", "HK", "VG"]);
        }
        for a in &mut ases {
            a.name = draw_name(&mut rng, a.bulletproof);
        }

        // IPv4 ranges over the public space.
        let mut rng = Rng::fork(seed, 2);
        let holes = v4_holes();
        let mut spans = Vec::with_capacity(n4);
        lay_out(
            &mut rng,
            &Layout {
                lo: v4(1, 0, 0, 0),
                hi: v4(223, 255, 255, 255),
                grain: 8,
                classes: V4_CLASSES,
                aligned: 0.81,
                gap: 0.13,
                fill: true,
                holes: &holes,
            },
            n4,
            &mut spans,
        );
        let who = origins(&mut rng, v4_pool, spans.len());
        let v4: Vec<SynthRange> = spans
            .iter()
            .zip(who)
            .map(|(&(start, end), origin)| SynthRange { start, end, origin })
            .collect();

        // IPv6 ranges, clustered in the RIRs' /16s.
        let mut rng = Rng::fork(seed, 3);
        let mut buckets: Vec<(u16, f64)> = V6_BUCKETS.to_vec();
        let named: f64 = buckets.iter().map(|b| b.1).sum();
        let rest = (100.0 - named) / V6_OTHER_BUCKETS.len() as f64;
        for &b in V6_OTHER_BUCKETS {
            buckets.push((b, rest * (0.3 + 1.4 * rng.unit())));
        }
        buckets.sort_unstable_by_key(|b| b.0);
        let total: f64 = buckets.iter().map(|b| b.1).sum();
        let mut spans = Vec::with_capacity(n6);
        for (top, w) in &buckets {
            let n = (n6 as f64 * w / total).round() as usize;
            let lo = u128::from(*top) << 112;
            lay_out(
                &mut rng,
                &Layout {
                    lo,
                    hi: lo | ((1u128 << 112) - 1),
                    grain: 80,
                    classes: V6_CLASSES,
                    aligned: 0.9,
                    gap: 0.6,
                    fill: false,
                    holes: &[],
                },
                n,
                &mut spans,
            );
        }
        let who = origins(&mut rng, v6_pool, spans.len());
        let v6: Vec<SynthRange> = spans
            .iter()
            .zip(who)
            .map(|(&(start, end), origin)| SynthRange { start, end, origin })
            .collect();

        let mut world = World {
            seed,
            scale,
            ases,
            v4,
            v6,
            pfx4: Vec::new(),
            pfx6: Vec::new(),
            drop4: Vec::new(),
            drop6: Vec::new(),
            asn_drop: Vec::new(),
            abusers4: Vec::new(),
            level2: Vec::new(),
            abusers6: Vec::new(),
        };
        world.draw_routing(Rng::fork(seed, 4), v4_pool);
        world.draw_abuse(Rng::fork(seed, 5), unrouted_ids);
        world
    }

    /// prefix2as: some rows announced again as is, more-specifics (traffic
    /// engineering, and leased blocks with another origin), multi-origin
    /// conflicts and AS sets.
    fn draw_routing(&mut self, mut rng: Rng, v4_pool: &[u32]) {
        for v6 in [false, true] {
            let ranges = if v6 { &self.v6 } else { &self.v4 };
            let unit_len: u8 = if v6 { 48 } else { 24 };
            let mut out = Vec::new();
            for r in ranges {
                if rng.chance(0.10) {
                    for (net, len) in cidrs(r.start, r.end, v6).into_iter().take(4) {
                        out.push(Announcement {
                            net,
                            len,
                            origins: vec![r.origin],
                            as_set: false,
                        });
                    }
                }
                let units = (r.end - r.start + 1) >> (if v6 { 80 } else { 8 });
                if units >= 4 && rng.chance(if v6 { 0.03 } else { 0.06 }) {
                    for _ in 0..1 + rng.below(4) {
                        let net = r.start + (rng.below_u128(units) << (if v6 { 80 } else { 8 }));
                        let mut origins = vec![r.origin];
                        let mut as_set = false;
                        if rng.chance(0.25) {
                            origins[0] = *rng.pick(v4_pool);
                        } else if rng.chance(0.05) {
                            origins.push(*rng.pick(v4_pool));
                            as_set = rng.chance(0.1);
                        }
                        out.push(Announcement {
                            net,
                            len: unit_len,
                            origins,
                            as_set,
                        });
                    }
                }
            }
            out.sort_unstable_by_key(|a| (a.net, a.len));
            out.dedup_by(|a, b| (a.net, a.len) == (b.net, b.len));
            if v6 {
                self.pfx6 = out;
            } else {
                self.pfx4 = out;
            }
        }
    }

    /// Listings: bulletproof ASes (dense listings, DROP, ASN-DROP), bad
    /// customer /24s inside big legitimate ranges, and a sprinkle of abused
    /// addresses over 3% of the ranges.
    fn draw_abuse(&mut self, mut rng: Rng, unrouted: &[u32]) {
        let mut sbl = 600_000u32;
        let mut next_sbl = || {
            sbl += 1;
            sbl
        };
        let (mut ips4, mut nets4, mut drop4) = (Vec::new(), Vec::new(), Vec::new());
        for r in &self.v4 {
            let size = r.end - r.start + 1;
            let mut list = |rng: &mut Rng, n: u64| {
                for _ in 0..n {
                    ips4.push((r.start + rng.below_u128(size), 32u8));
                }
            };
            if self.ases[r.origin as usize].bulletproof {
                if rng.chance(0.7) {
                    for (net, len) in cidrs(r.start, r.end, false) {
                        drop4.push((net, len, next_sbl()));
                    }
                }
                list(&mut rng, (size as u64 / 16).clamp(1, 24));
                if rng.chance(0.5) {
                    let net = (r.start + rng.below_u128(size)) & !31;
                    nets4.push((net.max(r.start), 27));
                }
            } else if size >= 1 << 12 && rng.chance(0.0008) {
                // A bad customer block: announced apart, densely listed.
                let net = r.start + (rng.below_u128(size >> 8) << 8);
                self.pfx4.push(Announcement {
                    net,
                    len: 24,
                    origins: vec![r.origin],
                    as_set: false,
                });
                if rng.chance(0.3) {
                    drop4.push((net, 24, next_sbl()));
                }
                for _ in 0..20 + rng.below(40) {
                    ips4.push((net + rng.below_u128(256), 32));
                }
                nets4.push((net + (rng.below_u128(8) << 5), 27));
            } else if rng.chance(0.03) {
                let n = 1 + rng.below(6);
                list(&mut rng, n);
            } else if rng.chance(0.003) {
                let len = 26 + rng.below(3) as u8;
                let net = (r.start + rng.below_u128(size)) >> (32 - len) << (32 - len);
                if net >= r.start && last_of(net, len, false) <= r.end {
                    nets4.push((net, len));
                }
            }
        }
        self.pfx4.sort_unstable_by_key(|a| (a.net, a.len));
        self.pfx4.dedup_by(|a, b| (a.net, a.len) == (b.net, b.len));
        // Hijacked unrouted space on DROP.
        let hijacked = ((100.0 * self.scale).round() as usize).max(1);
        let mut found = 0;
        while found < hijacked {
            let a = rng.below_u128(v4(224, 0, 0, 0) - v4(1, 0, 0, 0)) + v4(1, 0, 0, 0);
            let i = self.v4.partition_point(|r| r.end < a);
            if self.v4.get(i).is_some_and(|r| r.start <= a) {
                continue;
            }
            let len = 22 + rng.below(3) as u8;
            drop4.push((a >> (32 - len) << (32 - len), len, next_sbl()));
            found += 1;
        }

        let (mut ips6, mut drop6) = (Vec::new(), Vec::new());
        for r in &self.v6 {
            let size = r.end - r.start + 1;
            if self.ases[r.origin as usize].bulletproof {
                if rng.chance(0.5) {
                    for (net, len) in cidrs(r.start, r.end, true).into_iter().take(4) {
                        drop6.push((net, len, next_sbl()));
                    }
                }
                for _ in 0..1 + rng.below(8) {
                    ips6.push((r.start + rng.below_u128(size), 128u8));
                }
            } else if rng.chance(0.01) {
                for _ in 0..1 + rng.below(3) {
                    ips6.push((r.start + rng.below_u128(size), 128u8));
                }
            }
        }

        self.abusers4 = disjoint(ips4, false);
        self.level2 = disjoint(nets4, false);
        self.abusers6 = disjoint(ips6, true);
        drop4.sort_unstable();
        drop4.dedup_by_key(|d| (d.0, d.1));
        drop6.sort_unstable();
        drop6.dedup_by_key(|d| (d.0, d.1));
        self.drop4 = drop4;
        self.drop6 = drop6;

        // ASN-DROP: most bulletproof ASes, and some ASes no longer routed.
        let mut asn_drop: Vec<usize> = (0..self.ases.len())
            .filter(|&i| self.ases[i].bulletproof && rng.chance(0.8))
            .collect();
        for &i in unrouted {
            if rng.chance(0.2) {
                asn_drop.push(i as usize);
            }
        }
        asn_drop.sort_unstable();
        self.asn_drop = asn_drop;
    }

    /// The world's source files, in build order, as published.
    pub fn files(&self) -> Vec<SourceFile> {
        let mut files = vec![
            self.iplocation(false),
            self.iplocation(true),
            self.pfx2as(false),
            self.pfx2as(true),
        ];
        files.push(self.drop_json("drop_v4.json", &self.drop4, false));
        files.push(self.drop_json("drop_v6.json", &self.drop6, true));
        files.push(self.asn_drop_json());
        files.push(netset(
            "firehol_abusers_30d",
            "abusers",
            "ipv4 hash:ip",
            "addresses reported for attacks and spam in the last 30 days",
            &self.abusers4,
            false,
        ));
        files.push(netset(
            "firehol_level2",
            "attacks",
            "ipv4 hash:net",
            "networks of attackers, aggregated",
            &self.level2,
            false,
        ));
        files.push(netset(
            "firehol_abusers_30d_v6",
            "abusers",
            "ipv6 hash:ip",
            "IPv6 addresses reported for attacks and spam in the last 30 days",
            &self.abusers6,
            true,
        ));
        files
    }

    fn iplocation(&self, v6: bool) -> SourceFile {
        let ranges = if v6 { &self.v6 } else { &self.v4 };
        let mut text = String::with_capacity(ranges.len() * 56);
        for r in ranges {
            let a = &self.ases[r.origin as usize];
            let _ = write!(text, "{},{},{},", ip(r.start, v6), ip(r.end, v6), a.asn);
            if a.name.contains([',', '"']) {
                let _ = writeln!(text, "\"{}\"", a.name.replace('"', "\"\""));
            } else {
                let _ = writeln!(text, "{}", a.name);
            }
        }
        SourceFile {
            name: format!("asn-ipv{}-{DATE_TAG}.csv", if v6 { 6 } else { 4 }),
            role: "routing",
            text,
        }
    }

    fn pfx2as(&self, v6: bool) -> SourceFile {
        let lines = if v6 { &self.pfx6 } else { &self.pfx4 };
        let mut text = String::with_capacity(lines.len() * 28);
        for l in lines {
            let sep = if l.as_set { "," } else { "_" };
            let origins: Vec<String> = l
                .origins
                .iter()
                .map(|&o| self.ases[o as usize].asn.to_string())
                .collect();
            let _ = writeln!(text, "{}\t{}\t{}", ip(l.net, v6), l.len, origins.join(sep));
        }
        SourceFile {
            name: format!(
                "routeviews-rv{}-{DATE_TAG}-1200.pfx2as",
                if v6 { 6 } else { 2 }
            ),
            role: "routing",
            text,
        }
    }

    fn drop_json(&self, name: &str, nets: &[(u128, u8, u32)], v6: bool) -> SourceFile {
        const RIRS: &[&str] = &["arin", "ripencc", "apnic", "lacnic", "afrinic"];
        let mut text = String::new();
        for (i, (net, len, sbl)) in nets.iter().enumerate() {
            let rir = RIRS[(i * 7 + *sbl as usize) % RIRS.len()];
            let _ = writeln!(
                text,
                r#"{{"cidr":"{}/{len}","sblid":"SBL{sbl}","rir":"{rir}"}}"#,
                ip(*net, v6)
            );
        }
        let size = text.len();
        let _ = writeln!(
            text,
            r#"{{"type":"metadata","timestamp":{DATA_TIME},"size":{size},"records":{},"copyright":"(c) 2026 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}}"#,
            nets.len()
        );
        SourceFile {
            name: name.to_owned(),
            role: "abuse",
            text,
        }
    }

    fn asn_drop_json(&self) -> SourceFile {
        let mut text = String::new();
        for &i in &self.asn_drop {
            let a = &self.ases[i];
            let domain: String = a
                .name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            let name = a.name.replace('"', "");
            let _ = writeln!(
                text,
                r#"{{"asn":{},"rir":"{}","domain":"{domain}-{}.example","cc":"{}","asname":"{name}"}}"#,
                a.asn, a.rir, a.asn, a.cc
            );
        }
        let size = text.len();
        let _ = writeln!(
            text,
            r#"{{"type":"metadata","timestamp":{DATA_TIME},"size":{size},"records":{},"copyright":"(c) 2026 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}}"#,
            self.asn_drop.len()
        );
        SourceFile {
            name: "asndrop.json".to_owned(),
            role: "abuse",
            text,
        }
    }

    /// Builds the world's snapshot from its files, as `bphscore build` would.
    pub fn build(&self) -> Snapshot<Vec<u8>> {
        build_files(&self.files())
    }

    /// The starts of the IPv4 rows, sorted: what a naive look-up searches.
    pub fn v4_starts(&self) -> Vec<u32> {
        self.v4.iter().map(|r| r.start as u32).collect()
    }

    /// `n` IPv4 queries: half inside a random row, half uniform over the
    /// whole space (often unrouted).
    pub fn v4_queries(&self, seed: u64, n: usize) -> Vec<IpAddr> {
        let mut rng = Rng::fork(seed, 100);
        (0..n)
            .map(|i| {
                let a = if i % 2 == 0 {
                    let r = rng.pick(&self.v4);
                    r.start + rng.below_u128(r.end - r.start + 1)
                } else {
                    u128::from(rng.next_u64() as u32)
                };
                ip(a, false)
            })
            .collect()
    }

    /// `n` IPv6 queries: half inside a random row, half uniform over
    /// 2000::/3 (global unicast).
    pub fn v6_queries(&self, seed: u64, n: usize) -> Vec<IpAddr> {
        let mut rng = Rng::fork(seed, 101);
        (0..n)
            .map(|i| {
                let a = if i % 2 == 0 {
                    let r = rng.pick(&self.v6);
                    r.start + rng.below_u128(r.end - r.start + 1)
                } else {
                    (1u128 << 125) | (rng.next_u128() >> 3)
                };
                ip(a, true)
            })
            .collect()
    }

    /// `n` IPv4 prefixes of length `len` around the IPv4 queries.
    pub fn prefix_queries(&self, seed: u64, n: usize, len: u8) -> Vec<IpNetwork> {
        self.v4_queries(seed ^ u64::from(len), n)
            .into_iter()
            .map(|a| {
                let net = IpNetwork::new(a, len).expect("length fits IPv4");
                IpNetwork::new(net.network(), len).expect("length fits IPv4")
            })
            .collect()
    }

    /// `n` AS numbers: half of the world's ASes, half uniform in
    /// 1..4,200,000,000 (mostly unknown).
    pub fn asn_queries(&self, seed: u64, n: usize) -> Vec<Asn> {
        let mut rng = Rng::fork(seed, 102);
        (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    Asn::new(rng.pick(&self.ases).asn)
                } else {
                    Asn::new(1 + rng.below(4_199_999_999) as u32)
                }
            })
            .collect()
    }

    /// The number of text records in the routing and abuse files.
    pub fn records(&self) -> usize {
        self.v4.len()
            + self.v6.len()
            + self.pfx4.len()
            + self.pfx6.len()
            + self.drop4.len()
            + self.drop6.len()
            + self.asn_drop.len()
            + self.abusers4.len()
            + self.level2.len()
            + self.abusers6.len()
    }

    /// One line describing the world's size.
    pub fn summary(&self) -> String {
        format!(
            "seed {} scale {}: {} ASes ({} bulletproof, {} on ASN-DROP), {} IPv4 and {} IPv6 ranges, \
             {}+{} prefix2as lines, {}+{} DROP networks, {} listed IPv4 addresses, {} listed IPv4 networks, \
             {} listed IPv6 addresses",
            self.seed,
            self.scale,
            self.ases.len(),
            self.ases.iter().filter(|a| a.bulletproof).count(),
            self.asn_drop.len(),
            self.v4.len(),
            self.v6.len(),
            self.pfx4.len(),
            self.pfx6.len(),
            self.drop4.len(),
            self.drop6.len(),
            self.abusers4.len(),
            self.level2.len(),
            self.abusers6.len(),
        )
    }
}

fn ip(a: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        IpAddr::V4(Ipv4Addr::from(a as u32))
    }
}

fn netset(
    name: &str,
    category: &str,
    kind: &str,
    what: &str,
    nets: &[(u128, u8)],
    v6: bool,
) -> SourceFile {
    let unique: u128 = nets
        .iter()
        .map(|&(n, len)| last_of(n, len, v6) - n + 1)
        .sum();
    let mut text = format!(
        "#\n# {name}\n#\n# {kind} ipset\n#\n# A generated list in the format of FireHOL's ipsets:\n\
         # {what}. Generated for benchmarks: not real data.\n#\n\
         # Maintainer      : FireHOL\n# Maintainer URL  : http://iplists.firehol.org/\n\
         # List source URL : \n# Source File Date: Wed Jun 17 06:00:00 UTC 2026\n#\n\
         # Category        : {category}\n#\n# This File Date  : {FIREHOL_DATE}\n\
         # Update Frequency: 1 hour\n# Aggregation     : none\n\
         # Entries         : {} subnets, {unique} unique IPs\n#\n\
         # Generated by FireHOL's update-ipsets.sh\n# Processed with FireHOL's iprange\n#\n",
        nets.len()
    );
    let full = if v6 { 128 } else { 32 };
    for &(n, len) in nets {
        if len == full {
            let _ = writeln!(text, "{}", ip(n, v6));
        } else {
            let _ = writeln!(text, "{}/{len}", ip(n, v6));
        }
    }
    SourceFile {
        name: format!("{name}.netset"),
        role: "abuse",
        text,
    }
}

/// Builds a snapshot from source files, formats detected from content.
pub fn build_files(files: &[SourceFile]) -> Snapshot<Vec<u8>> {
    let mut builder = SnapshotBuilder::new().build_time(DATA_TIME);
    for f in files {
        if let Err(e) = builder.add_reader(&f.name, None, f.text.as_bytes()) {
            panic!("generated {} does not parse: {e}", f.name);
        }
    }
    builder.build().expect("the generated world builds")
}

/// Draws a world and builds its snapshot.
pub fn build_world(seed: u64, scale: f64) -> Snapshot<Vec<u8>> {
    World::generate(seed, scale).build()
}
