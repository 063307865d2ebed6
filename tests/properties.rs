//! Property tests over random synthetic worlds, built through the public
//! API from text in the published formats:
//!
//! - build → write → open gives the same snapshot and the same answers;
//! - longest-prefix match agrees with a naive reference (the smallest
//!   containing route wins, ties to the route read first);
//! - probabilities stay in [0, 1], under the default model and under
//!   random models;
//! - adding abuse evidence never lowers a score under the default model.
//!
//! Addresses are drawn from 198.18.0.0/15 and 2001:db8::/32, ASNs from
//! 64496-64511 and 65536-65551. `PROPTEST_CASES` sets the number of cases
//! (default 24 per property, so that a debug `cargo test` stays quick).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bphscore::source::Format;
use bphscore::{Asn, Detector, Model, Snapshot, SnapshotBuilder, Subject};
use ipnetwork::IpNetwork;
use proptest::prelude::*;

#[path = "support/handset.rs"]
mod handset;
use handset::handset;

// ---- the random world ----

const V4_BASE: u32 = 0xc612_0000; // 198.18.0.0/15
const V4_SPAN: u32 = 1 << 17;
const V6_BASE: u128 = 0x2001_0db8 << 96; // 2001:db8::/32

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    ProptestConfig {
        cases,
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

/// An RFC 5398 documentation ASN.
fn asn() -> impl Strategy<Value = u32> {
    prop_oneof![64496u32..=64511, 65536u32..=65551]
}

/// An address of the test space: IPv4 as (false, a), IPv6 as (true, a).
fn address() -> impl Strategy<Value = (bool, u128)> {
    prop_oneof![
        (0..V4_SPAN).prop_map(|o| (false, u128::from(V4_BASE + o))),
        // IPv6: most addresses near the start of 2001:db8::/32, where the
        // routes are dense, some anywhere in it.
        (0u128..1 << 40).prop_map(|o| (true, V6_BASE + o)),
        any::<u128>().prop_map(|o| (true, V6_BASE + (o >> 32))),
    ]
}

/// A CIDR prefix inside the test space: (v6, network, length).
fn cidr() -> impl Strategy<Value = (bool, u128, u8)> {
    prop_oneof![
        (15u8..=32, 0..V4_SPAN).prop_map(|(len, o)| {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            (false, u128::from((V4_BASE + o) & mask), len)
        }),
        (32u8..=128, 0u128..1 << 40).prop_map(|(len, o)| {
            let host = 128 - u32::from(len);
            let mask = u128::MAX.checked_shl(host).unwrap_or(0);
            (true, (V6_BASE + o) & mask, len)
        }),
    ]
}

/// A range that need not be a CIDR block (ip-location-db publishes such
/// ranges): (v6, first, last).
fn range() -> impl Strategy<Value = (bool, u128, u128)> {
    prop_oneof![
        (0..V4_SPAN, 0u32..4096).prop_map(|(o, n)| {
            let first = V4_BASE + o;
            let last = first.saturating_add(n).min(V4_BASE + V4_SPAN - 1);
            (false, u128::from(first), u128::from(last))
        }),
        (0u128..1 << 40, 0u128..1 << 36).prop_map(|(o, n)| {
            let first = V6_BASE + o;
            (true, first, first + n)
        }),
        cidr().prop_map(|(v6, net, len)| (v6, net, last_of(v6, net, len))),
    ]
}

fn last_of(v6: bool, net: u128, len: u8) -> u128 {
    let bits = if v6 { 128 } else { 32 };
    let host = bits - u32::from(len);
    if host == 128 {
        u128::MAX
    } else {
        net | ((1u128 << host) - 1)
    }
}

fn ip(v6: bool, a: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        IpAddr::V4(Ipv4Addr::from(a as u32))
    }
}

/// One routed range, in the order the sources give it.
#[derive(Debug, Clone)]
struct RouteSpec {
    v6: bool,
    first: u128,
    last: u128,
    asn: u32,
}

#[derive(Debug, Clone)]
struct World {
    /// ip-location-db ASN ranges (read first).
    csv_routes: Vec<RouteSpec>,
    /// CAIDA prefix2as prefixes (read second): (v6, network, length, asn).
    pfx2as: Vec<(bool, u128, u8, u32)>,
    /// FireHOL netset entries: (v6, network, length).
    listed: Vec<(bool, u128, u8)>,
    /// Spamhaus DROP (legacy text) entries.
    dropped: Vec<(bool, u128, u8)>,
    /// ASN-DROP entries.
    asn_dropped: Vec<u32>,
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec((range(), asn()), 1..24),
        prop::collection::vec((cidr(), asn()), 1..24),
        prop::collection::vec(small_cidr(), 0..12),
        prop::collection::vec(small_cidr(), 0..4),
        prop::collection::vec(asn(), 0..3),
    )
        .prop_map(|(csv, pfx, listed, dropped, asn_dropped)| World {
            csv_routes: csv
                .into_iter()
                .map(|((v6, first, last), asn)| RouteSpec {
                    v6,
                    first,
                    last,
                    asn,
                })
                .collect(),
            pfx2as: pfx
                .into_iter()
                .map(|((v6, net, len), asn)| (v6, net, len, asn))
                .collect(),
            listed,
            dropped,
            asn_dropped,
        })
}

/// Abuse entries are small blocks (a /24 or longer, a /56 or longer), as
/// blocklists publish them.
fn small_cidr() -> impl Strategy<Value = (bool, u128, u8)> {
    cidr().prop_map(|(v6, net, len)| {
        let len = if v6 { len.max(56) } else { len.max(24) };
        let host = if v6 { 128 } else { 32 } - u32::from(len);
        let mask = u128::MAX.checked_shl(host).unwrap_or(0);
        (v6, net & mask, len)
    })
}

impl World {
    /// Every route in the order the builder reads them, as the compiler
    /// indexes them.
    fn routes(&self) -> Vec<RouteSpec> {
        let mut all = self.csv_routes.clone();
        all.extend(self.pfx2as.iter().map(|&(v6, net, len, asn)| RouteSpec {
            v6,
            first: net,
            last: last_of(v6, net, len),
            asn,
        }));
        all
    }

    fn csv_text(&self) -> String {
        self.csv_routes
            .iter()
            .map(|r| {
                format!(
                    "{},{},{},\"EXAMPLE-{}, Inc.\"\n",
                    ip(r.v6, r.first),
                    ip(r.v6, r.last),
                    r.asn,
                    r.asn
                )
            })
            .collect()
    }

    fn pfx2as_text(&self) -> String {
        self.pfx2as
            .iter()
            .map(|&(v6, net, len, asn)| format!("{}\t{len}\t{asn}\n", ip(v6, net)))
            .collect()
    }

    fn netset_text(title: &str, entries: &[(bool, u128, u8)]) -> String {
        let mut t = format!("#\n# {title}\n#\n");
        for &(v6, net, len) in entries {
            t.push_str(&format!("{}/{len}\n", ip(v6, net)));
        }
        t
    }

    fn drop_text(&self) -> String {
        let mut t = String::from("; Spamhaus DROP List (test)\n");
        for (i, &(v6, net, len)) in self.dropped.iter().enumerate() {
            t.push_str(&format!("{}/{len} ; SBL{}\n", ip(v6, net), 600_000 + i));
        }
        t
    }

    fn asn_drop_text(&self) -> String {
        self.asn_dropped
            .iter()
            .map(|a| format!("{{\"asn\":{a},\"rir\":\"ripencc\",\"domain\":\"example.net\",\"cc\":\"NL\",\"asname\":\"EXAMPLE-{a}\"}}\n"))
            .collect()
    }

    /// A builder holding this world's sources, and `extra` abuse sources.
    fn builder(&self, extra: &[(&str, Format, String)]) -> SnapshotBuilder {
        let mut b = SnapshotBuilder::new().build_time(1_794_470_400);
        b.add_reader(
            "asn-20261101.csv",
            Some(Format::IplocationAsn),
            self.csv_text().as_bytes(),
        )
        .expect("routes CSV");
        b.add_reader(
            "routeviews-rv2-20261101-1200.pfx2as",
            Some(Format::Pfx2as),
            self.pfx2as_text().as_bytes(),
        )
        .expect("pfx2as");
        if !self.listed.is_empty() {
            b.add_reader(
                "list.netset",
                Some(Format::Netset),
                World::netset_text("a test list", &self.listed).as_bytes(),
            )
            .expect("netset");
        }
        if !self.dropped.is_empty() {
            b.add_reader(
                "drop.txt",
                Some(Format::DropText),
                self.drop_text().as_bytes(),
            )
            .expect("drop");
        }
        if !self.asn_dropped.is_empty() {
            b.add_reader(
                "asndrop.json",
                Some(Format::AsnDrop),
                self.asn_drop_text().as_bytes(),
            )
            .expect("asn-drop");
        }
        for (name, format, text) in extra {
            b.add_reader(name, Some(*format), text.as_bytes())
                .expect("extra source");
        }
        b
    }

    fn build(&self) -> Snapshot {
        self.builder(&[]).build().expect("build")
    }
}

/// The naive longest-prefix match: of the routes holding `a`, the one with
/// the fewest addresses; of equal ones, the one read first.
fn naive_match(routes: &[RouteSpec], v6: bool, a: u128) -> Option<&RouteSpec> {
    routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.v6 == v6 && r.first <= a && a <= r.last)
        .min_by_key(|(i, r)| (r.last - r.first, *i))
        .map(|(_, r)| r)
}

/// The naive matched prefix: the shortest CIDR block holding `a` that fits
/// in the route, found by trying every length.
fn naive_block(r: &RouteSpec, a: u128) -> IpNetwork {
    let bits: u8 = if r.v6 { 128 } else { 32 };
    for len in 0..=bits {
        let net = a & !last_of(r.v6, 0, len);
        if net >= r.first && last_of(r.v6, net, len) <= r.last {
            return IpNetwork::new(ip(r.v6, net), len).expect("valid prefix");
        }
    }
    unreachable!("a /{bits} always fits")
}

/// The subjects asked about: the sampled addresses, every route's ends
/// and the address past each, prefixes, and every ASN in play.
fn subjects(w: &World, addresses: &[(bool, u128)], prefixes: &[(bool, u128, u8)]) -> Vec<Subject> {
    let mut out: Vec<Subject> = addresses
        .iter()
        .map(|&(v6, a)| Subject::Ip(ip(v6, a)))
        .collect();
    for r in w.routes() {
        out.push(Subject::Ip(ip(r.v6, r.first)));
        out.push(Subject::Ip(ip(r.v6, r.last)));
        if r.last
            < if r.v6 {
                u128::MAX
            } else {
                u128::from(u32::MAX)
            }
        {
            out.push(Subject::Ip(ip(r.v6, r.last + 1)));
        }
        if r.first > 0 {
            out.push(Subject::Ip(ip(r.v6, r.first - 1)));
        }
    }
    out.extend(prefixes.iter().map(|&(v6, net, len)| {
        Subject::Prefix(IpNetwork::new(ip(v6, net), len).expect("valid prefix"))
    }));
    out.extend(
        (64496..=64511)
            .chain(65536..=65551)
            .map(|a| Subject::Asn(Asn::new(a))),
    );
    out
}

// ---- the properties ----

proptest! {
    #![proptest_config(config())]

    /// build → write → open: the same bytes, sources and counts, and the
    /// same score (probability, class, prefix, AS, country, features,
    /// reasons with their sources) for every subject.
    #[test]
    fn write_then_open_gives_the_same_answers(
        w in world(),
        addresses in prop::collection::vec(address(), 1..32),
        prefixes in prop::collection::vec(cidr(), 0..8),
    ) {
        let built = w.build();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("world.bph");
        built.write(&path).unwrap();
        let opened = Snapshot::open(&path).unwrap();
        prop_assert_eq!(opened.as_bytes(), built.as_bytes());
        prop_assert_eq!(opened.sources(), built.sources());
        prop_assert_eq!(opened.counts(), built.counts());
        let before = Detector::new(built, Model::default_model());
        let after = Detector::new(opened, Model::default_model());
        for s in subjects(&w, &addresses, &prefixes) {
            prop_assert_eq!(before.score(&s), after.score(&s), "subject {}", s);
        }
    }

    /// The origin AS and the matched prefix of an address are those of
    /// the naive reference, over random IPv4 and IPv6 ranges and prefixes.
    #[test]
    fn longest_prefix_match_agrees_with_a_naive_reference(
        w in world(),
        addresses in prop::collection::vec(address(), 1..64),
    ) {
        let routes = w.routes();
        let detector = Detector::new(w.build(), Model::default_model());
        let mut queries: Vec<(bool, u128)> = addresses;
        for r in &routes {
            queries.extend([(r.v6, r.first), (r.v6, r.last), (r.v6, r.first + (r.last - r.first) / 2)]);
            if r.first > 0 {
                queries.push((r.v6, r.first - 1));
            }
            queries.push((r.v6, r.last.saturating_add(1)));
        }
        for (v6, a) in queries {
            if !v6 && a > u128::from(u32::MAX) {
                continue;
            }
            let score = detector.score_ip(ip(v6, a));
            let want = naive_match(&routes, v6, a);
            prop_assert_eq!(
                score.asn.map(|x| x.get()),
                want.map(|r| r.asn),
                "origin of {}", ip(v6, a)
            );
            prop_assert_eq!(score.prefix, want.map(|r| naive_block(r, a)), "prefix of {}", ip(v6, a));
            if let Some(p) = score.prefix {
                prop_assert!(p.contains(ip(v6, a)));
            }
        }
    }

    /// Probabilities stay in [0, 1] for addresses, prefixes of any length
    /// (the whole space included) and ASes, under the default model and a
    /// random one with extreme weights.
    #[test]
    fn probabilities_stay_in_range(
        w in world(),
        addresses in prop::collection::vec(address(), 1..16),
        lengths in prop::collection::vec((any::<bool>(), 0u8..=128, address()), 0..8),
        weights in prop::collection::vec(prop_oneof![-1e6f64..1e6, Just(0.0), Just(f64::MAX), Just(-f64::MAX)], 7),
        intercept in prop_oneof![-1e6f64..1e6, Just(f64::MAX), Just(-f64::MAX)],
    ) {
        let snapshot = w.build();
        let prefixes: Vec<(bool, u128, u8)> = lengths
            .into_iter()
            .map(|(v6, len, (_, a))| {
                let len = if v6 { len } else { len % 33 };
                let a = if v6 { a } else { a & u128::from(u32::MAX) };
                (v6, a & !last_of(v6, 0, len), len)
            })
            .collect();
        let subjects = subjects(&w, &addresses, &prefixes);
        let random = random_model(&weights, intercept);
        let bytes = snapshot.as_bytes().to_vec();
        for model in [Some(Model::default_model()), random] {
            let Some(model) = model else { continue };
            let detector = Detector::new(Snapshot::from_bytes(bytes.clone()).unwrap(), model);
            for s in &subjects {
                let p = detector.score(s).probability;
                prop_assert!((0.0..=1.0).contains(&p), "{} scored {}", s, p);
            }
        }
    }

    /// Adding abuse evidence (a new blocklist, or a new DROP list) that
    /// covers an address never lowers the score of any address or AS
    /// under the hand-set logistic model (the shipped tree model is not
    /// monotone, see its model card). The features it moves are `ip_listed`,
    /// `prefix_abuse_density` and `as_abuse_density` (a blocklist), or
    /// `prefix_in_drop` and `as_drop_share` (DROP): all have positive
    /// weights and non-decreasing transforms. Routed space, and so
    /// `as_log2_announced` (the one negative weight), does not change.
    ///
    /// Prefix scores are left out on purpose: a prefix score averages over
    /// the space the snapshot knows, and a new listing in unrouted space
    /// adds known space with little evidence, which can lower the average.
    #[test]
    fn abuse_evidence_never_lowers_a_score(
        w in world(),
        target in address(),
        extra in prop::collection::vec(small_cidr(), 0..4),
        drop in any::<bool>(),
        addresses in prop::collection::vec(address(), 1..24),
    ) {
        let (v6, a) = target;
        let host = if v6 { 128u8 } else { 32 };
        let mut entries = vec![(v6, a, host)];
        entries.extend(extra);
        let evidence = if drop {
            let mut t = String::from("; Spamhaus DROP List (new)\n");
            for (i, &(v6, net, len)) in entries.iter().enumerate() {
                t.push_str(&format!("{}/{len} ; SBL{}\n", ip(v6, net), 700_000 + i));
            }
            ("new-drop.txt", Format::DropText, t)
        } else {
            ("new-list.netset", Format::Netset, World::netset_text("new evidence", &entries))
        };
        let before = Detector::new(w.build(), handset());
        let after = Detector::new(w.builder(&[evidence]).build().unwrap(), handset());
        let mut checked: Vec<Subject> = vec![Subject::Ip(ip(v6, a))];
        checked.extend(addresses.iter().map(|&(v6, a)| Subject::Ip(ip(v6, a))));
        checked.extend((64496..=64511).chain(65536..=65551).map(|a| Subject::Asn(Asn::new(a))));
        for s in &checked {
            let (p0, p1) = (before.score(s).probability, after.score(s).probability);
            prop_assert!(p1 >= p0, "{}: {} before, {} after the new listing", s, p0, p1);
        }
        // The listed address itself: known, and listed, afterwards.
        let listed = after.score_ip(ip(v6, a));
        prop_assert!(listed.probability > handset().prior());
    }
}

/// A model with the given weights (in schema order, repeated over the
/// schema when fewer are given) and intercept, or `None` when the model
/// format refuses them.
fn random_model(weights: &[f64], intercept: f64) -> Option<Model> {
    let names: Vec<&str> = bphscore::features::Feature::ALL
        .iter()
        .map(|f| f.name())
        .collect();
    let weights = (0..names.len()).map(|i| weights[i % weights.len()]);
    let transforms = ["sqrt", "identity", "log1p"];
    let features: Vec<String> = names
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(i, (n, w))| {
            format!(
                "\"{n}\":{{\"weight\":{w:e},\"transform\":\"{}\"}}",
                transforms[i % 3]
            )
        })
        .collect();
    let json = format!(
        "{{\"format\":\"bphscore-model\",\"format_version\":1,\"name\":\"random\",\"version\":\"1\",\"kind\":\"logistic\",\
         \"intercept\":{intercept:e},\"features\":{{{}}},\"thresholds\":{{\"bulletproof\":0.5,\"abused_legitimate\":0.02}}}}",
        features.join(",")
    );
    Model::from_json(&json, "random").ok()
}

/// The random-model helper must produce models the format accepts, or the
/// range property would silently test the default model only.
#[test]
fn random_models_are_accepted() {
    let m = random_model(&[1.0, -2.0, 3.5e5, 0.0, -1e6, 2.0, 7.0], -3.0).expect("accepted");
    assert_eq!(m.weight(bphscore::features::Feature::IpListed), 7.0);
    assert!(random_model(&[f64::MAX; 7], -f64::MAX).is_some());
}
