//! Times `Detector::lookup` and `Detector::score_ip` against the look-ups a
//! user would pick instead, interleaved in one process: each round times a
//! burst of every contender in turn on the same addresses, so that a load
//! that comes and goes on a shared machine hits all of them alike. Prints
//! min / median / max nanoseconds per look-up over the rounds and the
//! median of the per-round ratios against each peer. With the real data,
//! it also times `Snapshot::open` and `Detector::new` on `data/real.bph`.
//!
//! ```text
//! scripts/fetch-real-data.sh                      # data/real.bph, ranges, MMDB
//! cargo run --release --example peer_ratios       # real data if present, else synthetic
//! cargo run --release --example peer_ratios -- --synthetic --rounds 40
//! ```
//!
//! Peers: `maxminddb` 0.32 (memory-mapped `geo-whois-asn-country.mmdb`,
//! `lookup` + `decode` of the country code; real data only) and
//! `prefix-trie` 0.10 (`get_lpm` over the CIDR blocks of the same ranges
//! the snapshot was built from). Queries: half inside a routing range, half
//! uniform (IPv4) or uniform over 2000::/3 (IPv6), 65,536 per family,
//! cycled, so most look-ups miss the CPU caches.

#[path = "../benches/common.rs"]
mod common;

use std::hint::black_box;
use std::net::IpAddr;
use std::path::Path;
use std::time::Instant;

use bphscore::{Detector, Model, Snapshot};
use ipnetwork::{Ipv4Network, Ipv6Network};
use prefix_trie::PrefixMap;

const QUERIES: usize = 1 << 16;

// As in the `bphscore` tool: large tables in huge pages (the peers' heap
// memory too; `maxminddb` reads its memory-mapped file).
#[global_allocator]
static ALLOCATOR: bphscore::huge_pages::HugePages = bphscore::huge_pages::HugePages;

#[derive(serde::Deserialize)]
struct MmdbCountry<'a> {
    country_code: &'a str,
}

type Rows = Vec<(u128, u128, u32)>;

fn real_rows(path: &Path) -> Option<Rows> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| common::asn_rows(&text))
}

/// Nanoseconds per call of `f` over every query.
fn burst<R>(qs: &[IpAddr], mut f: impl FnMut(IpAddr) -> R) -> f64 {
    let t = Instant::now();
    for &q in qs {
        black_box(f(black_box(q)));
    }
    t.elapsed().as_nanos() as f64 / qs.len() as f64
}

fn summary(xs: &mut [f64]) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[0], xs[xs.len() / 2], xs[xs.len() - 1])
}

fn main() {
    let mut rounds = 30usize;
    let mut synthetic = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            "--synthetic" => synthetic = true,
            _ => {
                eprintln!("usage: peer_ratios [--synthetic] [--rounds N]");
                std::process::exit(2);
            }
        }
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let real = !synthetic && data.join("real.bph").exists();
    let (detector, v4_rows, v6_rows) = if real {
        let snapshot = Snapshot::read(data.join("real.bph")).expect("data/real.bph opens");
        let v4 = real_rows(&data.join("asn-ipv4.csv")).expect("data/asn-ipv4.csv");
        let v6 = real_rows(&data.join("asn-ipv6.csv")).expect("data/asn-ipv6.csv");
        (Detector::new(snapshot, Model::default_model()), v4, v6)
    } else {
        let world = common::World::generate(1, common::REALISTIC);
        let rows = |rs: &[common::SynthRange]| -> Rows {
            rs.iter()
                .map(|r| (r.start, r.end, world.ases[r.origin as usize].asn))
                .collect()
        };
        let (v4, v6) = (rows(&world.v4), rows(&world.v6));
        (Detector::new(world.build(), Model::default_model()), v4, v6)
    };
    if real {
        // Opening the snapshot (memory map, checksum, every table checked)
        // and making a detector of it (the look-up structures), 30 times.
        let (mut open, mut new) = (Vec::new(), Vec::new());
        for _ in 0..30 {
            let t = Instant::now();
            let snapshot = Snapshot::open(data.join("real.bph")).expect("data/real.bph opens");
            open.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            black_box(Detector::new(snapshot, Model::default_model()));
            new.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (lo, mid, hi) = summary(&mut open);
        println!("Snapshot::open ms, min / median / max: {lo:.2} {mid:.2} {hi:.2}");
        let (lo, mid, hi) = summary(&mut new);
        println!("Detector::new ms, min / median / max:  {lo:.2} {mid:.2} {hi:.2}");
    }
    let mmdb_path = data.join("geo-whois-asn-country.mmdb");
    // SAFETY: nothing modifies the mapped file while this program runs.
    let mmdb = real
        .then(|| unsafe { maxminddb::Reader::open_mmap(&mmdb_path) }.ok())
        .flatten();
    let mut trie4: PrefixMap<Ipv4Network, u32> = PrefixMap::new();
    let mut trie6: PrefixMap<Ipv6Network, u32> = PrefixMap::new();
    for &(s, e, asn) in &v4_rows {
        for (net, len) in common::cidrs(s, e, false) {
            trie4.insert(
                Ipv4Network::new((net as u32).into(), len).expect("block"),
                asn,
            );
        }
    }
    for &(s, e, asn) in &v6_rows {
        for (net, len) in common::cidrs(s, e, true) {
            trie6.insert(Ipv6Network::new(net.into(), len).expect("block"), asn);
        }
    }
    println!(
        "data: {}; {} IPv4 and {} IPv6 ranges; {} rounds of {} queries per family",
        if real {
            "real (data/)"
        } else {
            "synthetic (seed 1)"
        },
        v4_rows.len(),
        v6_rows.len(),
        rounds,
        QUERIES
    );
    for (family, rows, v6) in [("IPv4", &v4_rows, false), ("IPv6", &v6_rows, true)] {
        let qs =
            common::queries_in_rows(rows, v6, &mut common::Rng::fork(7, u64::from(v6)), QUERIES);
        // Warm-up: fills the detector's per-interval slots and the caches.
        for _ in 0..2 {
            burst(&qs, |ip| detector.lookup(ip));
        }
        let mut names: Vec<&str> = vec!["lookup", "score_ip", "prefix_trie"];
        if mmdb.is_some() {
            names.push("maxminddb");
        }
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
        for _ in 0..rounds {
            times[0].push(burst(&qs, |ip| detector.lookup(ip)));
            times[1].push(burst(&qs, |ip| detector.score_ip(ip).probability));
            times[2].push(burst(&qs, |ip| match ip {
                IpAddr::V4(a) => trie4
                    .get_lpm(&Ipv4Network::new(a, 32).expect("/32"))
                    .map(|(_, v)| *v),
                IpAddr::V6(a) => trie6
                    .get_lpm(&Ipv6Network::new(a, 128).expect("/128"))
                    .map(|(_, v)| *v),
            }));
            if let Some(r) = &mmdb {
                times[3].push(burst(&qs, |ip| {
                    r.lookup(ip)
                        .ok()
                        .and_then(|l| l.decode::<MmdbCountry<'_>>().ok().flatten())
                        .map(|c| c.country_code.len())
                }));
            }
        }
        println!("{family}: ns per look-up, min / median / max");
        for (name, t) in names.iter().zip(&times) {
            let (lo, mid, hi) = summary(&mut t.clone());
            println!("  {name:<12} {lo:8.1} {mid:8.1} {hi:8.1}");
        }
        for (peer, t) in names.iter().zip(&times).skip(2) {
            let mut ratios: Vec<f64> = times[0].iter().zip(t).map(|(a, b)| a / b).collect();
            let (lo, mid, hi) = summary(&mut ratios);
            println!("  lookup / {peer:<12} median {mid:.2} (min {lo:.2}, max {hi:.2})");
        }
    }
}
