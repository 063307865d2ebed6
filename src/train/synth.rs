//! A seeded generator of labelled synthetic worlds, for training and
//! evaluating models.
//!
//! A world is a few hundred ASes of different types and sizes, written as
//! the public sources bphscore reads (CAIDA prefix2as, Spamhaus DROP and
//! ASN-DROP, two FireHOL-style netsets, an RPSL dump), plus a label file.
//! The behaviours follow the field's published observations:
//!
//! | type | share | what it looks like |
//! |---|---|---|
//! | eyeball ISP | 25% | large (/13–/15), old registrations, a few compromised hosts listed |
//! | cloud | 5% | large (/12–/14), the most listed addresses by count, low density |
//! | hosting | 40% | mid-sized (/17–/20), customer assignments; some have an abused pocket (`abused-legitimate`), some a bad reseller block (`bph-reseller`, labelled on its prefix) |
//! | enterprise | 17% | small, quiet |
//! | bulletproof | 13% | small (/20–/23), fragmented announcements, dense listings, often DROP or ASN-DROP, offshore countries, young registrations, often no abuse contact; a fifth are evasive (few listings, no DROP) |
//!
//! A bad reseller block is a recent `SUB-ALLOCATED PA` or `ASSIGNED PA`
//! registration inside a hosting provider's allocation, held by a
//! customer organisation in another country, often without an abuse
//! contact, with dense listings (a quarter are still quiet). Noise:
//! listing densities are drawn from wide log-normal distributions, so the
//! types overlap; a fifth of ordinary customers look like resellers on
//! paper; some legitimate networks are young or lack an abuse contact.
//!
//! Every address is in 240.0.0.0/4 (reserved, RFC 1112) and every AS
//! number in 4200000000–4294967294 (private use, RFC 6996): no real network
//! is labelled.
//!
//! ```
//! let world = bphscore::train::synth::world(7, 60);
//! let snapshot = world.snapshot()?;
//! assert!(snapshot.counts().ases >= 60);
//! let labels = bphscore::train::Labels::parse("labels.csv", world.labels.as_bytes())?;
//! assert!(labels.labels.len() >= 60);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write;
use std::net::Ipv4Addr;

use crate::error::Result;
use crate::snapshot::{Snapshot, SnapshotBuilder};

/// The data date of every world: 2026-11-01T00:00:00Z.
pub const WORLD_TIME: i64 = 1_793_491_200;

/// The first AS number of a world (RFC 6996 private use).
pub const FIRST_ASN: u32 = 4_200_000_000;

/// A generated world: source files and labels.
#[derive(Debug, Clone)]
pub struct SynthWorld {
    /// The seed it was drawn from.
    pub seed: u64,
    /// Source files: (name, content), in build order.
    pub files: Vec<(String, String)>,
    /// The label file (`subject,label` lines).
    pub labels: String,
}

impl SynthWorld {
    /// Builds the world's snapshot (build time [`WORLD_TIME`]).
    pub fn snapshot(&self) -> Result<Snapshot<Vec<u8>>> {
        let mut b = SnapshotBuilder::new().build_time(WORLD_TIME);
        for (name, text) in &self.files {
            b.add_reader(name, None, text.as_bytes())?;
        }
        b.build()
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

fn ip(a: u32) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

fn date(t: i64) -> String {
    crate::source::format_date(t - t.rem_euclid(86_400) + 9 * 3600)
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

/// The most ASes in one world: their space must fit in 240.0.0.0/4 (a
/// world of 1,000 ASes uses about a third of it).
pub const MAX_ASES: usize = 1000;

/// Generates world `seed` with `ases` ASes (at most [`MAX_ASES`]).
pub fn world(seed: u64, ases: usize) -> SynthWorld {
    let ases = ases.min(MAX_ASES);
    let mut rng = Rng(seed ^ 0x005e_ed0f_b9b5);
    let day = 86_400i64;
    let mut next_addr: u64 = u64::from(u32::from(Ipv4Addr::new(240, 0, 0, 0)));
    let mut pfx = String::new();
    let mut netset_a: Vec<u32> = Vec::new();
    let mut netset_b: Vec<u32> = Vec::new();
    let mut drop: Vec<(u32, u8)> = Vec::new();
    let mut asn_drop: Vec<(u32, &'static str, String)> = Vec::new();
    let mut rpsl = String::from(
        "#\n# Synthetic RPSL dump of a bphscore training world: reserved address\n# space and private-use AS numbers only.\n#\n\n",
    );
    let mut labels = String::from("subject,label\n");
    let mut blocks: Vec<Block> = Vec::new();

    // Listed addresses: `density` of the range, at random, on one or both
    // lists.
    let list =
        |rng: &mut Rng, start: u32, size: u32, density: f64, a: &mut Vec<u32>, b: &mut Vec<u32>| {
            let n = ((f64::from(size) * density.clamp(0.0, 0.9)).round() as u32).min(size);
            for _ in 0..n {
                let x = start + (rng.next() % u64::from(size)) as u32;
                if rng.chance(0.8) {
                    a.push(x);
                }
                if rng.chance(0.35) {
                    b.push(x);
                }
            }
        };

    for i in 0..ases {
        let asn = FIRST_ASN + i as u32;
        let r = rng.unit();
        let kind = match r {
            r if r < 0.25 => Kind::Eyeball,
            r if r < 0.30 => Kind::Cloud,
            r if r < 0.70 => Kind::Hosting,
            r if r < 0.87 => Kind::Enterprise,
            _ => Kind::Bulletproof,
        };
        let len: u8 = match kind {
            Kind::Eyeball => rng.range(13, 15) as u8,
            Kind::Cloud => rng.range(12, 14) as u8,
            Kind::Hosting => rng.range(17, 20) as u8,
            Kind::Enterprise => rng.range(20, 23) as u8,
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
        let evasive = bad && rng.chance(0.3);
        let cc = if bad {
            rng.pick(OFFSHORE_CC)
        } else {
            rng.pick(LEGIT_CC)
        };
        let org = format!("ORG-S{i}-TEST");
        let mnt = format!("SYNTH{i}-MNT");
        let created = if bad && rng.chance(0.7) || !bad && rng.chance(0.1) {
            WORLD_TIME - rng.range(60, 6 * 365) as i64 * day
        } else {
            WORLD_TIME - rng.range(3 * 365, 20 * 365) as i64 * day
        };
        let modified = created + (rng.unit() * (WORLD_TIME - created) as f64) as i64;
        let abuse = if bad && rng.chance(0.4) || !bad && rng.chance(0.08) {
            None
        } else {
            Some(format!("SA{i}-TEST"))
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
                "role:           Synthetic Abuse {i}\nabuse-mailbox:  abuse@s{i}.example\nnic-hdl:        {a}\nmnt-by:         {mnt}\nsource:         RIPE # Filtered\n"
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
        // prefixes; others announce the allocation whole or in halves.
        let pieces: u8 = match kind {
            Kind::Bulletproof => (24 - len).min(rng.range(1, 4) as u8),
            _ if rng.chance(0.3) => 1,
            _ => 0,
        };
        let plen = len + pieces;
        for k in 0..(1u32 << pieces) {
            let _ = writeln!(
                pfx,
                "{}\t{plen}\t{asn}",
                ip(start + k * (1u32 << (32 - plen)))
            );
        }

        // Listings by type, log-normal around a median density.
        let density = match kind {
            Kind::Eyeball => rng.lognormal(1.5e-4, 1.0),
            Kind::Cloud => rng.lognormal(6e-4, 0.8),
            Kind::Hosting => rng.lognormal(8e-4, 1.2),
            Kind::Enterprise => rng.lognormal(5e-5, 1.0),
            Kind::Bulletproof if evasive => rng.lognormal(1.5e-3, 1.0),
            Kind::Bulletproof => rng.lognormal(4e-2, 1.0),
        };
        let mut label = match kind {
            Kind::Bulletproof => "bulletproof",
            _ => "clean",
        };
        // A legitimate network with a pocket of compromised hosts.
        if !bad && matches!(kind, Kind::Hosting | Kind::Cloud) && rng.chance(0.2) {
            let pocket = 256.min(size);
            let at = start + (rng.next() % u64::from(size / pocket)) as u32 * pocket;
            let pocket_density = rng.lognormal(0.05, 0.7);
            list(
                &mut rng,
                at,
                pocket,
                pocket_density,
                &mut netset_a,
                &mut netset_b,
            );
            label = "abused-legitimate";
        }
        list(&mut rng, start, size, density, &mut netset_a, &mut netset_b);
        if bad && !evasive {
            if rng.chance(0.5) {
                drop.push((start, len));
            }
            if rng.chance(0.35) {
                asn_drop.push((asn, cc, format!("SYNTH-{kind:?}-{i}")));
            }
        }
        let _ = writeln!(labels, "AS{asn},{label}");

        // Customer assignments of hosting providers: mostly ordinary
        // customers, sometimes a bulletproof reseller.
        if kind == Kind::Hosting {
            let n = rng.range(1, 4) as u32;
            let csize_len = (len + 3).max(22);
            let csize = 1u32 << (32 - csize_len);
            for c in 0..n.min(size / csize) {
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
                    WORLD_TIME - rng.range(20, 400) as i64 * day
                } else {
                    created + rng.range(0, (WORLD_TIME - created) as u64 / day as u64) as i64 * day
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
                        WORLD_TIME - rng.range(5, 150) as i64 * day
                    } else {
                        ccreated
                    },
                    abuse_c: cabuse,
                    mnt: format!("C{i}X{c}-MNT"),
                });
                let net = format!("{}/{csize_len}", ip(cstart));
                if reseller {
                    // A quarter are quiet: few listings so far.
                    let d = if rng.chance(0.25) {
                        rng.lognormal(4e-3, 0.8)
                    } else {
                        rng.lognormal(0.06, 1.0)
                    };
                    list(&mut rng, cstart, csize, d, &mut netset_a, &mut netset_b);
                    if rng.chance(0.15) {
                        drop.push((cstart, csize_len));
                    }
                    let _ = writeln!(labels, "{net},bph-reseller");
                } else {
                    let d = rng.lognormal(8e-4, 1.2);
                    list(&mut rng, cstart, csize, d, &mut netset_a, &mut netset_b);
                    let _ = writeln!(labels, "{net},clean");
                }
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
        WORLD_TIME - day,
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
        WORLD_TIME - day,
        asn_drop.len()
    );
    SynthWorld {
        seed,
        files: vec![
            ("routeviews-rv2-20261101-1200.pfx2as".into(), pfx),
            ("ripe-20261101.db".into(), rpsl),
            ("drop_v4.json".into(), drop_json),
            ("asndrop.json".into(), asn_json),
            (
                "synth_abusers_a.netset".into(),
                netset("synth_abusers_a", netset_a),
            ),
            (
                "synth_abusers_b.netset".into(),
                netset("synth_abusers_b", netset_b),
            ),
        ],
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
    fn every_labelled_subject_is_known_to_the_snapshot() {
        let w = world(11, 80);
        let snapshot = w.snapshot().unwrap();
        let detector = crate::Detector::new(snapshot, crate::Model::default_model());
        let labels = crate::train::Labels::parse("l", w.labels.as_bytes()).unwrap();
        let data = crate::train::Dataset::new(&detector, &labels);
        assert!(data.unknown.is_empty(), "{:?}", data.unknown);
        let kinds: std::collections::BTreeSet<_> = labels.labels.iter().map(|l| l.class).collect();
        assert!(kinds.len() >= 3, "{kinds:?}");
    }
}
