//! A seeded generator of labelled synthetic worlds, for training and
//! evaluating models.
//!
//! A world is a few hundred ASes of different types and sizes, written as
//! the public sources bphscore reads, in their published formats:
//!
//! - four monthly CAIDA prefix2as snapshots (August to November 2026) and
//!   the CAIDA AS-relationship files of the same dates, a dated series;
//! - Spamhaus DROP and ASN-DROP, two FireHOL-style netsets;
//! - an RPSL dump (organisations, roles, aut-nums, inetnums);
//! - an MMDB file with the geolocated country and the MaxMind
//!   Anonymous-IP flags (`is_hosting_provider`, `is_anonymous_vpn`,
//!   `is_residential_proxy`);
//! - passive DNS in the Common Output Format (JSON lines);
//! - a timestamped abuse feed in the generic CSV format
//!   (`indicator,first_seen,last_seen,category,source`);
//!
//! plus a label file. The behaviours follow the field's published
//! observations:
//!
//! | type | share | what it looks like |
//! |---|---|---|
//! | eyeball ISP | 25% | large (/12–/16), old registrations, stable routing with two or three upstreams, geolocated where registered, not hosting, a few compromised hosts listed (scanning, brute force) |
//! | cloud | 5% | large (/11–/14), the most listed addresses by count, low density, hosting, geolocated in several countries, many long-lived domains |
//! | hosting | 40% | mid-sized (/17–/20), customer assignments, hosting; some have an abused pocket (`abused-legitimate`), some a bad reseller block (`bph-reseller`, labelled on its prefix) |
//! | enterprise | 17% | small, quiet, stable |
//! | bulletproof | 13% | small (/20–/23), fragmented announcements that churn from month to month with short-lived runs, upstreams changed ("rewiring") and mostly lax, dense and persistent listings of many categories, often DROP or ASN-DROP, registered offshore and geolocated elsewhere, hosting, anonymous-VPN slices, short-lived, new and fast-flux domains named by the feeds; about a third are evasive (few listings, no DROP), and some are rebrands of a listed one (same maintainer and abuse mailbox, a young AS) |
//!
//! A bad reseller block is a recent `SUB-ALLOCATED PA` or `ASSIGNED PA`
//! registration inside a hosting provider's allocation, held by a
//! customer organisation in another country, often without an abuse
//! contact, with dense listings (a quarter are still quiet) and bad
//! domains. Noise: listing densities are drawn from wide log-normal
//! distributions, so the types overlap; a fifth of ordinary customers look
//! like resellers on paper; some legitimate networks are young, lack an
//! abuse contact, change an upstream, announce a short-lived more-specific,
//! host a VPN or have churning domains; some bulletproof ASes keep a stable
//! routing; every legitimate network shares its transit providers with
//! bulletproof ones.
//!
//! The labels name ASes, customer blocks and some single addresses inside
//! them (an address takes its network's label, a listed address of an
//! abused pocket is `abused-legitimate`).
//!
//! Every address is in 240.0.0.0/4 (reserved, RFC 1112) and every AS
//! number in 4200000000–4294967294 (private use, RFC 6996): no real network
//! is labelled.
//!
//! ```
//! use bphscore::features::Feature;
//!
//! let world = bphscore::train::synth::world(7, 60);
//! let snapshot = world.snapshot()?;
//! assert!(snapshot.counts().ases >= 60);
//! // Four monthly prefix2as snapshots, four AS-relationship files, an MMDB
//! // file, passive DNS and a feed beside the lists and the RPSL dump.
//! assert_eq!(world.files.iter().filter(|f| f.dated).count(), 8);
//! assert!(world.files.iter().any(|f| f.name.ends_with(".mmdb")));
//! let labels = bphscore::train::Labels::parse("labels.csv", world.labels.as_bytes())?;
//! assert!(labels.labels.len() >= 60);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write;
use std::net::Ipv4Addr;

use super::mmdb::{self, Network, Value};
use crate::error::Result;
use crate::snapshot::{Snapshot, SnapshotBuilder};

/// The data date of every world: 2026-11-01T00:00:00Z. It is also the
/// reference time of the time-aware evidence.
pub const WORLD_TIME: i64 = 1_793_491_200;

/// The dates of the monthly routing snapshots: 2026-08-01, 09-01, 10-01 and
/// 11-01 ([`WORLD_TIME`]), 00:00 UTC.
pub const MONTHS: [i64; 4] = [
    WORLD_TIME - 92 * DAY,
    WORLD_TIME - 61 * DAY,
    WORLD_TIME - 31 * DAY,
    WORLD_TIME,
];

const DAY: i64 = 86_400;

/// The first AS number of a world (RFC 6996 private use).
pub const FIRST_ASN: u32 = 4_200_000_000;

/// The first AS number of a world's transit providers (RFC 6996 private
/// use), which appear in the AS-relationship files only.
pub const FIRST_TRANSIT_ASN: u32 = 4_290_000_000;

/// One source file of a world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthFile {
    /// Its name, with the date the published files carry in theirs.
    pub name: String,
    /// Its content: text, or the binary MMDB database.
    pub content: Vec<u8>,
    /// Whether it is one snapshot of the dated routing series (prefix2as
    /// or AS relationships), added with
    /// [`SnapshotBuilder::add_dated`]; every other file is added with
    /// [`SnapshotBuilder::add_reader`], which reads an `.mmdb` name as
    /// MMDB.
    pub dated: bool,
}

impl SynthFile {
    /// The content as text, when it is UTF-8 (every file but the MMDB).
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.content).ok()
    }
}

/// A generated world: source files and labels.
#[derive(Debug, Clone)]
pub struct SynthWorld {
    /// The seed it was drawn from.
    pub seed: u64,
    /// Source files, in build order.
    pub files: Vec<SynthFile>,
    /// The label file (`subject,label` lines).
    pub labels: String,
}

impl SynthWorld {
    /// Builds the world's snapshot (build time and reference time
    /// [`WORLD_TIME`]).
    pub fn snapshot(&self) -> Result<Snapshot<Vec<u8>>> {
        let mut b = SnapshotBuilder::new()
            .build_time(WORLD_TIME)
            .as_of(WORLD_TIME);
        for f in &self.files {
            if f.dated {
                b.add_dated(&f.name, None, &f.content[..], None)?;
            } else {
                b.add_reader(&f.name, None, &f.content[..])?;
            }
        }
        b.build()
    }

    /// The file named `name`.
    pub fn file(&self, name: &str) -> Option<&SynthFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// splitmix64: small, fast and the same on every platform.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn index(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// A log-normal draw: exp(N(ln(median), sigma)).
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        // Box-Muller.
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let n = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (sigma * n).exp()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eyeball,
    Cloud,
    Hosting,
    Enterprise,
    Bulletproof,
}

const LEGIT_CC: &[&str] = &["NL", "DE", "FR", "GB", "SE", "PL", "IT", "ES", "US", "CA"];
const OFFSHORE_CC: &[&str] = &["SC", "BZ", "PA", "VG", "MD", "HK", "RU", "NL"];
/// Where bulletproof servers sit, whatever the registration says.
const SERVER_CC: &[&str] = &["NL", "DE", "RU", "US", "RO", "UA", "MD", "FR", "BG"];

fn ip(a: u32) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

fn date(t: i64) -> String {
    crate::source::format_date(t - t.rem_euclid(DAY) + 9 * 3600)
}

fn ymd(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y%m%d").to_string())
        .unwrap_or_default()
}

/// One registration of the RPSL dump.
struct Block {
    start: u32,
    len: u8,
    status: &'static str,
    org: String,
    cc: &'static str,
    created: i64,
    modified: i64,
    abuse_c: Option<String>,
    mnt: String,
}

/// One announced prefix over the four months.
struct Route {
    start: u32,
    len: u8,
    asn: u32,
    months: [bool; 4],
    /// A second origin (CAIDA `a_b`) in the months it is announced.
    moas: Option<u32>,
}

/// How an abuse feed sees a set of listed addresses.
#[derive(Clone, Copy)]
enum Profile {
    /// Compromised hosts of legitimate networks: scanning, brute force and
    /// spam, reported briefly, often months ago.
    Background,
    /// A bad network's own servers: c2, malware, phishing and spam,
    /// recent, listed for weeks or months.
    Bad,
    /// An abused pocket: malware, phishing and spam, recent, listed for
    /// days to weeks.
    Pocket,
}

/// The world being written.
struct Out {
    rng: Rng,
    netset_a: Vec<u32>,
    netset_b: Vec<u32>,
    feed: String,
    feed_rows: usize,
    pdns: String,
    domains: usize,
    /// Addresses of eyeball networks, for the compromised hosts of
    /// fast-flux botnets.
    eyeball_hosts: Vec<u32>,
}

/// The most rows of the timestamped feed per network: large clouds are
/// sampled, not listed whole.
const MAX_FEED_ROWS: usize = 400;

impl Out {
    /// Lists `density` of the range at random on one or both netsets, and
    /// returns the listed addresses.
    fn list(&mut self, start: u32, size: u32, density: f64) -> Vec<u32> {
        let rng = &mut self.rng;
        let n = ((f64::from(size) * density.clamp(0.0, 0.9)).round() as u32).min(size);
        let mut listed = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let x = start + (rng.next() % u64::from(size)) as u32;
            let mut any = false;
            if rng.chance(0.8) {
                self.netset_a.push(x);
                any = true;
            }
            if rng.chance(0.35) {
                self.netset_b.push(x);
                any = true;
            }
            if any {
                listed.push(x);
            }
        }
        listed
    }

    /// Feed rows for a share of `ips`.
    fn report(&mut self, ips: &[u32], share: f64, profile: Profile) {
        let mut rows = 0;
        for &x in ips {
            if rows >= MAX_FEED_ROWS || !self.rng.chance(share) {
                continue;
            }
            rows += 1;
            let (cats, last_days, span_days): (&[&str], u64, u64) = match profile {
                Profile::Background => (&["scanning", "brute-force", "spam", "other"], 300, 4),
                Profile::Bad => (&["c2", "malware", "phishing", "spam", "other"], 25, 120),
                Profile::Pocket => (&["malware", "phishing", "spam"], 40, 20),
            };
            let cat = self.rng.pick(cats);
            let last = WORLD_TIME - self.rng.range(0, last_days * 24) as i64 * 3600;
            // Listing spans: log-normal, so that some bad hosts are taken
            // down fast and some legitimate reports linger.
            let span = self.rng.lognormal(span_days as f64 * 0.3, 1.0) * DAY as f64;
            let first = last - span.min(300.0 * DAY as f64) as i64;
            self.row(&ip(x).to_string(), first, last, cat);
        }
    }

    fn row(&mut self, indicator: &str, first: i64, last: i64, category: &str) {
        let last = last.min(WORLD_TIME);
        let first = first.min(last);
        let src = match category {
            "c2" => "synth-c2-tracker",
            "phishing" => "synth-phish-feed",
            "malware" => "synth-malware-urls",
            _ => "synth-reports",
        };
        let _ = writeln!(
            self.feed,
            "{indicator},{},{},{category},{src}",
            crate::source::format_date(first),
            crate::source::format_date(last)
        );
        self.feed_rows += 1;
    }

    fn cof(&mut self, name: &str, addr: u32, first: i64, last: i64, count: u64) {
        let last = last.min(WORLD_TIME);
        let first = first.min(last);
        let _ = writeln!(
            self.pdns,
            "{{\"rrname\":\"{name}\",\"rrtype\":\"A\",\"rdata\":\"{}\",\"time_first\":{first},\"time_last\":{},\"count\":{count}}}",
            ip(addr),
            last
        );
    }

    /// Passive DNS for `blocks` /24s of the range `start`/`size` (at random),
    /// each with `lo..=hi` domains. `badness` is the chance that a domain is
    /// new, short-lived or fast-flux rather than an ordinary site; `named`
    /// the chance that such a domain is also in the abuse feed.
    #[allow(clippy::too_many_arguments)]
    fn domains(
        &mut self,
        tag: &str,
        start: u32,
        size: u32,
        blocks: usize,
        (lo, hi): (u64, u64),
        badness: f64,
        named: f64,
    ) {
        let n24 = (size / 256).max(1);
        for _ in 0..blocks {
            let base = start + (self.rng.next() % u64::from(n24)) as u32 * 256.min(size);
            let span = 256.min(size);
            let n = self.rng.range(lo, hi);
            for _ in 0..n {
                self.domains += 1;
                let name = format!("{tag}-{}.test", self.domains);
                let at = base + (self.rng.next() % u64::from(span)) as u32;
                if !self.rng.chance(badness) {
                    // An ordinary site: years old, still resolving; now and
                    // then a new one.
                    let first = if self.rng.chance(0.08) {
                        WORLD_TIME - self.rng.range(1, 29) as i64 * DAY
                    } else {
                        WORLD_TIME - self.rng.range(120, 3000) as i64 * DAY
                    };
                    let last = WORLD_TIME - self.rng.range(0, 20) as i64 * 3600;
                    let count = self.rng.range(20, 5000);
                    self.cof(&name, at, first, last, count);
                    continue;
                }
                let r = self.rng.unit();
                let (first, last) = if r < 0.4 {
                    // Short-lived: a few days, gone.
                    let first = WORLD_TIME - self.rng.range(8, 200) as i64 * DAY;
                    (first, first + self.rng.range(1, 6) as i64 * DAY)
                } else if r < 0.75 {
                    // New: registered this month, live.
                    (
                        WORLD_TIME - self.rng.range(1, 28) as i64 * DAY,
                        WORLD_TIME - self.rng.range(0, 20) as i64 * 3600,
                    )
                } else {
                    // Fast flux: many addresses, records of hours.
                    let base_t = WORLD_TIME - self.rng.range(1, 60) as i64 * DAY;
                    let k = self.rng.range(5, 9) as usize;
                    let mut t = base_t;
                    for j in 0..k {
                        let addr = if j < 2 || self.eyeball_hosts.is_empty() {
                            start + (self.rng.next() % u64::from(size)) as u32
                        } else {
                            let h = self.rng.index(self.eyeball_hosts.len());
                            self.eyeball_hosts[h]
                        };
                        let dur = self.rng.range(600, 60_000) as i64;
                        let c = self.rng.range(1, 40);
                        self.cof(&name, addr, t, t + dur, c);
                        t += self.rng.range(1800, 20_000) as i64;
                    }
                    let dur = self.rng.range(600, 60_000) as i64;
                    let c = self.rng.range(1, 40);
                    self.cof(&name, at, t, t + dur, c);
                    if self.rng.chance(named) {
                        let cat = if self.rng.chance(0.5) {
                            "c2"
                        } else {
                            "malware"
                        };
                        self.row(&name, base_t, t + dur, cat);
                    }
                    continue;
                };
                let count = self.rng.range(1, 300);
                self.cof(&name, at, first, last, count);
                if self.rng.chance(named) {
                    let cat = if self.rng.chance(0.6) {
                        "phishing"
                    } else {
                        "malware"
                    };
                    let url = format!("http://{name}/login");
                    self.row(&url, first, last, cat);
                }
            }
        }
    }
}

/// A geolocation record: country and Anonymous-IP flags.
fn geo(cc: &str, hosting: bool, anonymiser: Option<&str>) -> Value {
    let mut m = vec![(
        "country".to_owned(),
        Value::Map(vec![("iso_code".into(), Value::Str(cc.into()))]),
    )];
    if hosting {
        m.push(("is_hosting_provider".into(), Value::Bool(true)));
    }
    if let Some(flag) = anonymiser {
        m.push((flag.into(), Value::Bool(true)));
    }
    Value::Map(m)
}

/// The most ASes in one world: their space must fit in 240.0.0.0/4 (a
/// world of 1,000 ASes uses most of it; the generator stops early when the
/// space runs out).
pub const MAX_ASES: usize = 1000;

/// A listed AS a rebrand will copy: its maintainer, its abuse mailbox and
/// its upstreams.
struct Rebrand {
    mnt: String,
    mailbox: Option<String>,
    upstreams: Vec<u32>,
}

/// Generates world `seed` with `ases` ASes (at most [`MAX_ASES`]).
pub fn world(seed: u64, ases: usize) -> SynthWorld {
    let ases = ases.min(MAX_ASES);
    let mut out = Out {
        rng: Rng(seed ^ 0x005e_ed0f_b9b5),
        netset_a: Vec::new(),
        netset_b: Vec::new(),
        feed: String::from(
            "# Synthetic abuse feed of a bphscore training world (generic CSV)\nindicator,first_seen,last_seen,category,source\n",
        ),
        feed_rows: 0,
        pdns: String::new(),
        domains: 0,
        eyeball_hosts: Vec::new(),
    };
    let mut next_addr: u64 = u64::from(u32::from(Ipv4Addr::new(240, 0, 0, 0)));
    let mut routes: Vec<Route> = Vec::new();
    // Per AS and month: its providers (empty when not routed that month).
    let mut rels: Vec<(u32, [Vec<u32>; 4])> = Vec::new();
    let mut geo_nets: Vec<Network> = Vec::new();
    let mut drop: Vec<(u32, u8)> = Vec::new();
    let mut asn_drop: Vec<(u32, &'static str, String)> = Vec::new();
    let mut rpsl = String::from(
        "#\n# Synthetic RPSL dump of a bphscore training world: reserved address\n# space and private-use AS numbers only.\n#\n\n",
    );
    let mut labels = String::from("subject,label\n");
    let mut blocks: Vec<Block> = Vec::new();
    let transits = (ases / 6).max(8) as u32;
    let lax_transits = (transits / 12).max(1);
    let mut pending: Option<Rebrand> = None;
    // Maintainers of listed ASes, which a few legitimate holders share (a
    // consultancy that registers for several clients).
    let mut listed_mnts: Vec<String> = Vec::new();

    for i in 0..ases {
        let rng = &mut out.rng;
        let asn = FIRST_ASN + i as u32;
        let rebrand = pending.take();
        let r = rng.unit();
        let kind = match r {
            _ if rebrand.is_some() => Kind::Bulletproof,
            r if r < 0.25 => Kind::Eyeball,
            r if r < 0.30 => Kind::Cloud,
            r if r < 0.70 => Kind::Hosting,
            r if r < 0.87 => Kind::Enterprise,
            _ => Kind::Bulletproof,
        };
        let len: u8 = match kind {
            Kind::Eyeball => rng.range(12, 16) as u8,
            Kind::Cloud => rng.range(11, 14) as u8,
            Kind::Hosting => rng.range(17, 20) as u8,
            Kind::Enterprise => rng.range(20, 23) as u8,
            Kind::Bulletproof if rebrand.is_some() => rng.range(22, 23) as u8,
            Kind::Bulletproof => rng.range(20, 23) as u8,
        };
        let size = 1u32 << (32 - len);
        // Align the allocation to its size; stop where the space ends.
        let aligned = next_addr.div_ceil(u64::from(size)) * u64::from(size);
        if aligned + u64::from(size) > 1 << 32 {
            break;
        }
        let start = aligned as u32;
        next_addr = aligned + u64::from(size);
        let bad = kind == Kind::Bulletproof;
        let evasive = bad && (rebrand.is_some() || rng.chance(0.3));
        // Some bulletproof hosts keep a stable routing.
        let stable = !bad && !rng.chance(0.04) || bad && rebrand.is_none() && rng.chance(0.35);
        let cc = if bad {
            rng.pick(OFFSHORE_CC)
        } else {
            rng.pick(LEGIT_CC)
        };
        let org = format!("ORG-S{i}-TEST");
        let shared_mnt = !bad && !listed_mnts.is_empty() && rng.chance(0.01);
        let mnt = match &rebrand {
            Some(r) => r.mnt.clone(),
            None if shared_mnt => listed_mnts[rng.index(listed_mnts.len())].clone(),
            None => format!("SYNTH{i}-MNT"),
        };
        let created = if rebrand.is_some() {
            WORLD_TIME - rng.range(40, 400) as i64 * DAY
        } else if bad && rng.chance(0.7) || !bad && rng.chance(0.1) {
            WORLD_TIME - rng.range(60, 6 * 365) as i64 * DAY
        } else {
            WORLD_TIME - rng.range(3 * 365, 20 * 365) as i64 * DAY
        };
        let modified = created + (rng.unit() * (WORLD_TIME - created) as f64) as i64;
        let (abuse, mailbox) = match &rebrand {
            Some(Rebrand {
                mailbox: Some(m), ..
            }) => (Some(format!("SA{i}-TEST")), m.clone()),
            _ if bad && rng.chance(0.4) || !bad && rng.chance(0.08) => {
                (None, format!("abuse@s{i}.example"))
            }
            _ => (Some(format!("SA{i}-TEST")), format!("abuse@s{i}.example")),
        };
        let _ = writeln!(
            rpsl,
            "organisation:   {org}\norg-name:       Synthetic {kind:?} {i} Ltd\ncountry:        {cc}\norg-type:       LIR\n{}mnt-by:         {mnt}\ncreated:        {}\nlast-modified:  {}\nsource:         RIPE # Filtered\n",
            abuse
                .as_ref()
                .map_or(String::new(), |a| format!("abuse-c:        {a}\n")),
            date(created),
            date(modified)
        );
        if let Some(a) = &abuse {
            let _ = writeln!(
                rpsl,
                "role:           Synthetic Abuse {i}\nabuse-mailbox:  {mailbox}\nnic-hdl:        {a}\nmnt-by:         {mnt}\nsource:         RIPE # Filtered\n"
            );
        }
        let _ = writeln!(
            rpsl,
            "aut-num:        AS{asn}\nas-name:        SYNTH-{kind:?}-{i}\norg:            {org}\nmnt-by:         {mnt}\ncreated:        {}\nsource:         RIPE # Filtered\n",
            date(created)
        );
        blocks.push(Block {
            start,
            len,
            status: "ALLOCATED PA",
            org: org.clone(),
            cc,
            created,
            modified,
            abuse_c: None,
            mnt: mnt.clone(),
        });

        // Announcements: bulletproof space is fragmented into small
        // prefixes that come and go from month to month; others announce
        // the allocation whole or in halves, every month.
        let pieces: u8 = match kind {
            Kind::Bulletproof if rng.chance(0.75) => (24 - len).min(rng.range(1, 4) as u8),
            Kind::Hosting | Kind::Enterprise if rng.chance(0.08) => (24 - len.min(24)).min(2),
            _ if rng.chance(0.3) => 1,
            _ => 0,
        };
        let plen = len + pieces;
        let first_month = if rebrand.is_some() {
            rng.range(1, 3) as usize
        } else {
            0
        };
        let first_route = routes.len();
        for k in 0..(1u32 << pieces) {
            let mut months = [false; 4];
            for (m, on) in months.iter_mut().enumerate() {
                *on = m >= first_month && (stable || rng.chance(0.6));
            }
            routes.push(Route {
                start: start + k * (1u32 << (32 - plen)),
                len: plen,
                asn,
                months,
                moas: None,
            });
        }
        // At least one prefix in the latest month, so that the AS routes.
        if !routes[first_route..].iter().any(|r| r.months[3]) {
            let k = first_route + rng.index(routes.len() - first_route);
            routes[k].months[3] = true;
        }
        // Short-lived more-specifics: often for bulletproof hosts, now and
        // then for a legitimate one (traffic engineering, a customer).
        let extra = if bad && !stable {
            rng.range(0, 3)
        } else if rng.chance(0.08) {
            1
        } else {
            0
        };
        for _ in 0..extra {
            let at = start + (rng.next() % u64::from((size / 256).max(1))) as u32 * 256;
            let m = rng.range(first_month as u64, 3) as usize;
            let mut months = [false; 4];
            months[m] = true;
            if rng.chance(0.3) && m < 3 {
                months[m + 1] = true;
            }
            routes.push(Route {
                start: at,
                len: 24,
                asn,
                months,
                moas: None,
            });
        }
        // Multiple origins: hijacked or leased space, and now and then an
        // anycast or multihomed customer.
        if i > 0 && rng.chance(if bad { 0.2 } else { 0.03 }) {
            let other = FIRST_ASN + rng.index(i) as u32;
            let k = first_route + rng.index(routes.len() - first_route);
            routes[k].moas = Some(other);
        }

        // Upstreams: bulletproof hosts lean on lax transit providers and
        // move between them when cut off.
        let n_up = match kind {
            Kind::Eyeball | Kind::Cloud => rng.range(2, 3),
            Kind::Hosting | Kind::Bulletproof => rng.range(1, 2),
            Kind::Enterprise => 1,
        } as usize;
        let pick_up = |rng: &mut Rng| -> u32 {
            if bad && rng.chance(0.7) {
                FIRST_TRANSIT_ASN + rng.index(lax_transits as usize) as u32
            } else {
                FIRST_TRANSIT_ASN + rng.index(transits as usize) as u32
            }
        };
        let mut ups: Vec<u32> = match &rebrand {
            Some(r) => r.upstreams.clone(),
            None => (0..n_up).map(|_| pick_up(rng)).collect(),
        };
        ups.sort_unstable();
        ups.dedup();
        let mut per_month: [Vec<u32>; 4] = Default::default();
        let (p_move, p_add) = if bad && !stable {
            (0.5, 0.15)
        } else if bad {
            (0.08, 0.0)
        } else {
            (0.03, 0.01)
        };
        for (m, slot) in per_month.iter_mut().enumerate() {
            if m > first_month {
                if rng.chance(p_move) && !ups.is_empty() {
                    let k = rng.index(ups.len());
                    ups[k] = pick_up(rng);
                }
                if rng.chance(p_add) {
                    ups.push(pick_up(rng));
                }
                ups.sort_unstable();
                ups.dedup();
            }
            if m >= first_month {
                slot.clone_from(&ups);
            }
        }
        let first_ups = per_month[first_month].clone();
        rels.push((asn, per_month));

        // Geolocation: legitimate networks are where they are registered
        // (clouds in several countries), bulletproof hosts are registered
        // offshore and host elsewhere.
        // A fresh rebrand is often not reported, resolved or geolocated yet:
        // only its registration and its routing give it away.
        let fresh = rebrand.is_some() && rng.chance(0.5);
        let in_mmdb = !rng.chance(if fresh { 0.6 } else { 0.05 });
        if in_mmdb {
            match kind {
                Kind::Cloud => {
                    for q in 0..4u32 {
                        let gcc = if q == 0 { cc } else { rng.pick(LEGIT_CC) };
                        geo_nets.push(Network::v4(
                            start + q * (size / 4),
                            len + 2,
                            geo(gcc, true, None),
                        ));
                    }
                }
                Kind::Bulletproof => {
                    let gcc = if rng.chance(0.35) {
                        cc
                    } else {
                        rng.pick(SERVER_CC)
                    };
                    let hosting = rng.chance(0.8);
                    if rng.chance(0.5) {
                        let other = rng.pick(SERVER_CC);
                        geo_nets.push(Network::v4(start, len + 1, geo(gcc, hosting, None)));
                        geo_nets.push(Network::v4(
                            start + size / 2,
                            len + 1,
                            geo(other, hosting, None),
                        ));
                    } else {
                        geo_nets.push(Network::v4(start, len, geo(gcc, hosting, None)));
                    }
                }
                _ => {
                    let gcc = if rng.chance(0.88) {
                        cc
                    } else {
                        rng.pick(LEGIT_CC)
                    };
                    let hosting = match kind {
                        Kind::Hosting => rng.chance(0.95),
                        Kind::Enterprise => rng.chance(0.05),
                        _ => false,
                    };
                    geo_nets.push(Network::v4(start, len, geo(gcc, hosting, None)));
                }
            }
            // Anonymiser slices: VPN exits of bulletproof hosts, and of
            // legitimate VPN services hosted by clouds and hosting
            // providers; residential proxies on eyeball networks.
            let (p, flag, hosting) = match kind {
                Kind::Bulletproof => (0.35, "is_anonymous_vpn", true),
                Kind::Cloud => (0.2, "is_anonymous_vpn", true),
                Kind::Hosting => (0.1, "is_anonymous_vpn", true),
                Kind::Eyeball => (0.05, "is_residential_proxy", false),
                Kind::Enterprise => (0.0, "", false),
            };
            if rng.chance(p) {
                let at = start + (rng.next() % u64::from((size / 256).max(1))) as u32 * 256;
                let gcc = if bad { rng.pick(SERVER_CC) } else { cc };
                geo_nets.push(Network::v4(at, 24, geo(gcc, hosting, Some(flag))));
            }
        }

        // Listings by type, log-normal around a median density.
        let density = match kind {
            Kind::Eyeball => rng.lognormal(1.5e-4, 1.0),
            Kind::Cloud => rng.lognormal(6e-4, 0.8),
            Kind::Hosting => rng.lognormal(8e-4, 1.2),
            Kind::Enterprise => rng.lognormal(5e-5, 1.0),
            Kind::Bulletproof if fresh => 0.0,
            Kind::Bulletproof if evasive => rng.lognormal(1.5e-3, 1.0),
            Kind::Bulletproof => rng.lognormal(4e-2, 1.0),
        };
        let mut label = match kind {
            Kind::Bulletproof => "bulletproof",
            _ => "clean",
        };
        // Labelled single addresses: inside an announced prefix of the
        // latest month.
        let routed: Vec<(u32, u32)> = routes[first_route..]
            .iter()
            .filter(|r| r.months[3])
            .map(|r| (r.start, 1u32 << (32 - r.len)))
            .collect();
        let pick_routed = |rng: &mut Rng| -> u32 {
            let (s, n) = routed[rng.index(routed.len())];
            s + (rng.next() % u64::from(n)) as u32
        };
        let mut addr_labels: Vec<(u32, &str)> = Vec::new();
        // A legitimate network with a pocket of compromised hosts.
        if !bad && matches!(kind, Kind::Hosting | Kind::Cloud) && out.rng.chance(0.2) {
            let pocket = 256.min(size);
            let at = start + (out.rng.next() % u64::from(size / pocket)) as u32 * pocket;
            let pocket_density = out.rng.lognormal(0.05, 0.7);
            let listed = out.list(at, pocket, pocket_density);
            out.report(&listed, 0.7, Profile::Pocket);
            if out.rng.chance(0.5) {
                out.domains("pk", at, pocket, 1, (1, 3), 0.6, 0.7);
            }
            if let Some(&x) = listed.first()
                && out.rng.chance(0.5)
            {
                addr_labels.push((x, "abused-legitimate"));
            }
            label = "abused-legitimate";
        }
        let listed = if bad {
            // Abuse is uneven across a bulletproof host's space: some
            // prefixes are dense with listings, others clean so far, so
            // that its own blocks alone do not always give it away.
            let pieces: Vec<(u32, u32)> = routes[first_route..first_route + (1usize << pieces)]
                .iter()
                .map(|r| (r.start, 1u32 << (32 - r.len)))
                .collect();
            let mut all = Vec::new();
            for (s, n) in pieces {
                let f = if out.rng.chance(0.3) {
                    0.0
                } else {
                    out.rng.lognormal(1.0, 1.0)
                };
                all.extend(out.list(s, n, density * f));
            }
            all
        } else {
            out.list(start, size, density)
        };
        let rng = &mut out.rng;
        if kind == Kind::Eyeball {
            for _ in 0..8 {
                out.eyeball_hosts
                    .push(start + (rng.next() % u64::from(size)) as u32);
            }
        }
        // A listed address of a legitimate network is a compromised host:
        // `abused-legitimate`, whatever its network's label.
        if !bad && rng.chance(0.3) {
            let routed_listed: Vec<u32> = listed
                .iter()
                .copied()
                .filter(|&x| routed.iter().any(|&(s, n)| x >= s && x - s < n))
                .collect();
            if !routed_listed.is_empty() {
                addr_labels.push((
                    routed_listed[rng.index(routed_listed.len())],
                    "abused-legitimate",
                ));
            }
        }
        if rng.chance(if bad { 0.8 } else { 0.5 }) {
            let routed_listed: Vec<u32> = listed
                .iter()
                .copied()
                .filter(|&x| routed.iter().any(|&(s, n)| x >= s && x - s < n))
                .collect();
            let x = if bad && !routed_listed.is_empty() && rng.chance(0.5) {
                routed_listed[rng.index(routed_listed.len())]
            } else {
                pick_routed(rng)
            };
            // Clean networks: only addresses that are not listed.
            if bad || !listed.contains(&x) {
                addr_labels.push((x, if bad { "bulletproof" } else { "clean" }));
            }
        }
        match kind {
            Kind::Bulletproof => {
                // Feeds cover some bulletproof hosts well and others
                // hardly at all.
                let share = out.rng.lognormal(0.2, 1.2).min(0.9);
                out.report(&listed, share, Profile::Bad);
                // Evasive hosts stay off the lists longer, but the
                // trackers of c2 servers and malware sites see them.
                if evasive && !fresh {
                    let extra = out.rng.lognormal(3e-3, 0.8);
                    let mut c2 = Vec::new();
                    let n = ((f64::from(size) * extra).round() as usize).clamp(1, 64);
                    for _ in 0..n {
                        c2.push(start + (out.rng.next() % u64::from(size)) as u32);
                    }
                    out.report(&c2, 1.0, Profile::Bad);
                }
            }
            _ => out.report(&listed, 0.4, Profile::Background),
        }
        // Passive DNS.
        let n24 = (size / 256) as usize;
        match kind {
            Kind::Bulletproof if fresh => {}
            Kind::Bulletproof => {
                let blocks = ((n24 as f64 * 0.6).round() as usize).clamp(1, 24);
                // A third host ordinary-looking names only.
                let badness = if out.rng.chance(0.35) {
                    0.05
                } else {
                    0.2 + 0.7 * out.rng.unit()
                };
                let named = out.rng.unit() * 0.7;
                out.domains(
                    &format!("b{i}"),
                    start,
                    size,
                    blocks,
                    (1, 8),
                    badness,
                    named,
                );
            }
            Kind::Cloud => {
                let b = out.rng.range(8, 20) as usize;
                out.domains(&format!("c{i}"), start, size, b, (1, 5), 0.02, 0.3);
            }
            Kind::Hosting => {
                let b = out.rng.range(3, 12).min(n24 as u64) as usize;
                // A free-hosting provider now and then: churning names.
                let badness = if out.rng.chance(0.08) {
                    0.1 + 0.3 * out.rng.unit()
                } else {
                    0.02
                };
                out.domains(&format!("h{i}"), start, size, b, (1, 8), badness, 0.2);
            }
            Kind::Eyeball => {
                let b = out.rng.range(1, 4) as usize;
                out.domains(&format!("e{i}"), start, size, b, (1, 2), 0.02, 0.2);
            }
            Kind::Enterprise => {
                out.domains(&format!("n{i}"), start, size, 1, (1, 3), 0.01, 0.2);
            }
        }
        let rng = &mut out.rng;
        if bad && !evasive {
            let mut listed_whole = false;
            if rng.chance(0.55) {
                // Spamhaus lists the netblocks it has seen abused: often
                // the whole allocation, else some of its prefixes.
                if rng.chance(0.5) {
                    drop.push((start, len));
                    listed_whole = true;
                } else {
                    let mine = &routes[first_route..];
                    let mut n = 0;
                    for r in mine {
                        if rng.chance(0.6) {
                            drop.push((r.start, r.len));
                            n += 1;
                        }
                    }
                    listed_whole = 2 * n > mine.len();
                }
            }
            if rng.chance(0.35) {
                asn_drop.push((asn, cc, format!("SYNTH-{kind:?}-{i}")));
                listed_whole = true;
            }
            if listed_whole {
                listed_mnts.push(mnt.clone());
                if rng.next().is_multiple_of(2) {
                    pending = Some(Rebrand {
                        mnt: mnt.clone(),
                        mailbox: abuse.as_ref().map(|_| mailbox.clone()),
                        upstreams: first_ups.clone(),
                    });
                }
            }
        }
        let _ = writeln!(labels, "AS{asn},{label}");

        // Customer assignments of hosting providers: mostly ordinary
        // customers, sometimes a bulletproof reseller.
        if kind == Kind::Hosting {
            let n = out.rng.range(1, 4) as u32;
            let csize_len = (len + 3).max(22);
            let csize = 1u32 << (32 - csize_len);
            for c in 0..n.min(size / csize) {
                let rng = &mut out.rng;
                let cstart = start + (c + 1) * csize % size;
                let reseller = rng.chance(0.3);
                // Ordinary customers that look like resellers on paper
                // (recent, offshore, no abuse contact): the registry signals
                // alone must not decide.
                let lookalike = !reseller && rng.chance(0.2);
                let corg = format!("ORG-C{i}X{c}-TEST");
                let ccc = if reseller || lookalike && rng.chance(0.7) {
                    rng.pick(OFFSHORE_CC)
                } else {
                    cc
                };
                let ccreated = if reseller || lookalike {
                    WORLD_TIME - rng.range(20, 400) as i64 * DAY
                } else {
                    created + rng.range(0, (WORLD_TIME - created) as u64 / DAY as u64) as i64 * DAY
                };
                let cabuse =
                    (!(reseller || lookalike) || rng.chance(0.4)).then(|| format!("SA{i}-TEST"));
                let _ = writeln!(
                    rpsl,
                    "organisation:   {corg}\norg-name:       Customer {i}-{c}\ncountry:        {ccc}\norg-type:       OTHER\nmnt-by:         C{i}X{c}-MNT\nsource:         RIPE # Filtered\n"
                );
                blocks.push(Block {
                    start: cstart,
                    len: csize_len,
                    status: if rng.chance(0.5) {
                        "SUB-ALLOCATED PA"
                    } else {
                        "ASSIGNED PA"
                    },
                    org: corg,
                    cc: ccc,
                    created: ccreated,
                    modified: if reseller && rng.chance(0.6) {
                        WORLD_TIME - rng.range(5, 150) as i64 * DAY
                    } else {
                        ccreated
                    },
                    abuse_c: cabuse,
                    mnt: format!("C{i}X{c}-MNT"),
                });
                // A VPN service or an anonymiser on a customer block.
                if in_mmdb && rng.chance(if reseller { 0.3 } else { 0.03 }) {
                    geo_nets.push(Network::v4(
                        cstart,
                        csize_len.max(24),
                        geo(cc, true, Some("is_anonymous_vpn")),
                    ));
                }
                let net = format!("{}/{csize_len}", ip(cstart));
                let one = cstart + (rng.next() % u64::from(csize)) as u32;
                // A labelled address must be routed: an unrouted address
                // of a customer block is unknown to the snapshot.
                let with_addr =
                    rng.chance(0.4) && routed.iter().any(|&(s, n)| one >= s && one - s < n);
                if reseller {
                    // A quarter are quiet: few listings so far.
                    let d = if rng.chance(0.25) {
                        rng.lognormal(4e-3, 0.8)
                    } else {
                        rng.lognormal(0.06, 1.0)
                    };
                    let listed = out.list(cstart, csize, d);
                    out.report(&listed, 0.6, Profile::Bad);
                    let rng = &mut out.rng;
                    if rng.chance(0.15) {
                        drop.push((cstart, csize_len));
                    }
                    if rng.chance(0.8) {
                        let badness = 0.3 + 0.6 * rng.unit();
                        let b = (csize as usize / 256).clamp(1, 4);
                        out.domains(&format!("r{i}x{c}"), cstart, csize, b, (2, 6), badness, 0.5);
                    }
                    let _ = writeln!(labels, "{net},bph-reseller");
                    if with_addr {
                        let _ = writeln!(labels, "{},bph-reseller", ip(one));
                    }
                } else {
                    let d = rng.lognormal(8e-4, 1.2);
                    let listed = out.list(cstart, csize, d);
                    out.report(&listed, 0.4, Profile::Background);
                    if out.rng.chance(0.6) {
                        out.domains(&format!("k{i}x{c}"), cstart, csize, 1, (1, 5), 0.03, 0.2);
                    }
                    let _ = writeln!(labels, "{net},clean");
                    if with_addr && !listed.contains(&one) {
                        let _ = writeln!(labels, "{},clean", ip(one));
                    }
                }
            }
        }
        // Single addresses last, so that a customer block's label is not
        // contradicted: an address inside a customer block takes the
        // block's label instead.
        let mut written: Vec<u32> = Vec::new();
        for (x, l) in addr_labels {
            // One label an address: the first (an abused host's) wins.
            if written.contains(&x) {
                continue;
            }
            written.push(x);
            let in_customer = blocks
                .iter()
                .rev()
                .take_while(|b| b.status != "ALLOCATED PA")
                .any(|b| {
                    x >= b.start && u64::from(x) < u64::from(b.start) + (1u64 << (32 - b.len))
                });
            if !in_customer {
                let _ = writeln!(labels, "{},{l}", ip(x));
            }
        }
    }

    for b in &blocks {
        let end = b.start + ((1u64 << (32 - b.len)) - 1) as u32;
        let _ = writeln!(
            rpsl,
            "inetnum:        {} - {}\nnetname:        NET-{}\ncountry:        {}\norg:            {}\n{}status:         {}\nmnt-by:         {}\ncreated:        {}\nlast-modified:  {}\nsource:         RIPE\n",
            ip(b.start),
            ip(end),
            b.org,
            b.cc,
            b.org,
            b.abuse_c
                .as_ref()
                .map_or(String::new(), |a| format!("abuse-c:        {a}\n")),
            b.status,
            b.mnt,
            date(b.created),
            date(b.modified)
        );
    }

    let netset = |name: &str, mut ips: Vec<u32>| {
        ips.sort_unstable();
        ips.dedup();
        let mut t = format!(
            "#\n# {name}\n#\n# ipv4 hash:ip ipset\n#\n# Synthetic list of a bphscore training world.\n#\n# This File Date  : Fri Oct 30 06:00:00 UTC 2026\n# Entries         : {} subnets, {} unique IPs\n#\n",
            ips.len(),
            ips.len()
        );
        for x in ips {
            let _ = writeln!(t, "{}", ip(x));
        }
        t
    };
    let mut drop_json = String::new();
    drop.sort_unstable();
    for (k, (s, l)) in drop.iter().enumerate() {
        let _ = writeln!(
            drop_json,
            "{{\"cidr\":\"{}/{l}\",\"sblid\":\"SBL{}\",\"rir\":\"ripencc\"}}",
            ip(*s),
            700_000 + k
        );
    }
    let _ = writeln!(
        drop_json,
        "{{\"type\":\"metadata\",\"timestamp\":{},\"size\":0,\"records\":{}}}",
        WORLD_TIME - DAY,
        drop.len()
    );
    let mut asn_json = String::new();
    for (asn, cc, name) in &asn_drop {
        let _ = writeln!(
            asn_json,
            "{{\"asn\":{asn},\"rir\":\"ripencc\",\"domain\":\"{}.example\",\"cc\":\"{cc}\",\"asname\":\"{name}\"}}",
            name.to_lowercase()
        );
    }
    let _ = writeln!(
        asn_json,
        "{{\"type\":\"metadata\",\"timestamp\":{},\"size\":0,\"records\":{}}}",
        WORLD_TIME - DAY,
        asn_drop.len()
    );

    let mut files = Vec::new();
    for (m, &t) in MONTHS.iter().enumerate() {
        let mut pfx = String::new();
        for r in routes.iter().filter(|r| r.months[m]) {
            let origin = match r.moas {
                Some(o) => format!("{}_{o}", r.asn),
                None => r.asn.to_string(),
            };
            let _ = writeln!(pfx, "{}\t{}\t{origin}", ip(r.start), r.len);
        }
        files.push(SynthFile {
            name: format!("routeviews-rv2-{}-1200.pfx2as", ymd(t)),
            content: pfx.into_bytes(),
            dated: true,
        });
    }
    for (m, &t) in MONTHS.iter().enumerate() {
        let mut rel = format!(
            "# name: AS relationships (synthetic, bphscore training world)\n# source:topology|BGP|{}|routeviews|route-views2\n# IXP ASes:\n",
            ymd(t)
        );
        for k in 0..transits.saturating_sub(1) {
            let a = FIRST_TRANSIT_ASN + k;
            let _ = writeln!(rel, "{a}|{}|0", a + 1);
        }
        for (asn, per_month) in &rels {
            for p in &per_month[m] {
                let _ = writeln!(rel, "{p}|{asn}|-1");
            }
        }
        files.push(SynthFile {
            name: format!("{}.as-rel.txt", ymd(t)),
            content: rel.into_bytes(),
            dated: true,
        });
    }
    let text = |name: &str, content: String| SynthFile {
        name: name.into(),
        content: content.into_bytes(),
        dated: false,
    };
    files.push(text("ripe-20261101.db", rpsl));
    files.push(text("drop_v4.json", drop_json));
    files.push(text("asndrop.json", asn_json));
    files.push(text(
        "synth_abusers_a.netset",
        netset("synth_abusers_a", std::mem::take(&mut out.netset_a)),
    ));
    files.push(text(
        "synth_abusers_b.netset",
        netset("synth_abusers_b", std::mem::take(&mut out.netset_b)),
    ));
    files.push(SynthFile {
        name: "synth-geo-anonymous-20261101.mmdb".into(),
        content: mmdb::write(
            "bphscore-Synthetic-Geo-Anonymous",
            WORLD_TIME as u64,
            &geo_nets,
        ),
        dated: false,
    });
    files.push(text("synth-pdns-20261101.jsonl", out.pdns));
    files.push(text("synth-abuse-20261101.csv", out.feed));
    SynthWorld {
        seed,
        files,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worlds_are_reproducible_and_differ_by_seed() {
        let a = world(3, 40);
        let b = world(3, 40);
        assert_eq!(a.files, b.files);
        assert_eq!(a.labels, b.labels);
        assert_ne!(world(4, 40).labels, a.labels);
    }

    #[test]
    fn bulletproof_ases_show_every_feature_family_more_than_clean_ones() {
        use crate::features::Feature;
        let w = world(5, 300);
        let detector = crate::Detector::new(w.snapshot().unwrap(), crate::Model::default_model());
        let labels = crate::train::Labels::parse("l", w.labels.as_bytes()).unwrap();
        let data = crate::train::Dataset::new(&detector, &labels);
        let mean = |class: crate::Class, f: Feature, prefixes: bool| {
            let v: Vec<f64> = data
                .examples
                .iter()
                .filter(|e| e.class == class && e.subject.to_string().contains('/') == prefixes)
                .filter(|e| prefixes || e.subject.to_string().starts_with("AS"))
                .map(|e| e.features.get(f))
                .collect();
            assert!(!v.is_empty(), "{class:?} {f}");
            v.iter().sum::<f64>() / v.len() as f64
        };
        use crate::Class::{BphReseller, Bulletproof, Clean};
        // Routing history and AS relationships (AS scope).
        for f in [
            Feature::BgpRewiring,
            Feature::BgpChurn,
            Feature::BgpShortLived,
            Feature::BgpLaxUpstreams,
            Feature::BgpSmallPrefixShare,
            Feature::AsAbuseRecentDensity,
            Feature::AsAbusePersistenceDays,
        ] {
            let (bad, clean) = (mean(Bulletproof, f, false), mean(Clean, f, false));
            assert!(bad > 0.0 && bad > 2.0 * clean, "{f}: {bad} vs {clean}");
        }
        // Geolocation, passive DNS and feeds on blocks: bad customer blocks
        // against ordinary ones.
        for f in [
            Feature::GeoCountryMismatch,
            Feature::GeoAnonymiser,
            Feature::PdnsShortLivedShare,
            Feature::PdnsFastFluxShare,
            Feature::PdnsNewDomainShare,
            Feature::PdnsAbuseOverlap,
            Feature::BlockAbuseRecentDensity,
        ] {
            let (bad, clean) = (mean(BphReseller, f, true), mean(Clean, f, true));
            assert!(bad > 0.0 && bad > clean, "{f}: {bad} vs {clean}");
        }
        // Rebrands: some bulletproof ASes are linked to a listed holder.
        assert!(mean(Bulletproof, Feature::EntityLinkedListed, false) > 0.0);
        // The snapshot holds the dated series and the MMDB file.
        let s = detector.snapshot();
        let dated = s
            .sources()
            .iter()
            .filter(|x| x.name.contains("as-rel") || x.name.contains("pfx2as"))
            .count();
        assert_eq!(dated, 8);
        assert!(
            s.sources()
                .iter()
                .any(|x| x.format == crate::source::Format::Mmdb && x.records > 0)
        );
    }

    #[test]
    fn the_mmdb_file_is_the_same_bytes_for_the_same_seed() {
        let name = "synth-geo-anonymous-20261101.mmdb";
        let a = world(9, 50);
        let f = a.file(name).unwrap();
        assert!(f.text().is_none() || !f.content.is_empty());
        assert_eq!(f.content, world(9, 50).file(name).unwrap().content);
        assert_ne!(f.content, world(10, 50).file(name).unwrap().content);
        assert!(
            a.file("synth-pdns-20261101.jsonl")
                .unwrap()
                .text()
                .unwrap()
                .contains("\"rrname\"")
        );
        assert!(
            a.file("synth-abuse-20261101.csv")
                .unwrap()
                .text()
                .unwrap()
                .starts_with("# Synthetic")
        );
    }

    #[test]
    fn every_labelled_subject_is_known_to_the_snapshot() {
        let w = world(11, 80);
        let snapshot = w.snapshot().unwrap();
        let detector = crate::Detector::new(snapshot, crate::Model::default_model());
        let labels = crate::train::Labels::parse("l", w.labels.as_bytes()).unwrap();
        let data = crate::train::Dataset::new(&detector, &labels);
        assert!(data.unknown.is_empty(), "{:?}", data.unknown);
        // Seed 5 has a customer block outside its provider's announced
        // space: its addresses are not labelled.
        for seed in [5, 12] {
            let w = world(seed, 300);
            let detector =
                crate::Detector::new(w.snapshot().unwrap(), crate::Model::default_model());
            let labels = crate::train::Labels::parse("l", w.labels.as_bytes()).unwrap();
            let data = crate::train::Dataset::new(&detector, &labels);
            assert!(data.unknown.is_empty(), "world {seed}: {:?}", data.unknown);
            assert_eq!(data.examples.len(), labels.labels.len());
        }
        let kinds: std::collections::BTreeSet<_> = labels.labels.iter().map(|l| l.class).collect();
        assert!(kinds.len() >= 3, "{kinds:?}");
    }
}
