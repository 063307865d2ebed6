//! Scoring, opening and building snapshots, on a synthetic world of the
//! size of the real routing data (see `common.rs`: 420,000 IPv4 and
//! 105,000 IPv6 ranges, 91,000 routed ASes, listings on a few percent).
//!
//! ```text
//! cargo bench --bench score                       # everything
//! cargo bench --bench score -- score_ip           # one group
//! scripts/fetch-real-data.sh && cargo bench --bench score -- real
//! ```
//!
//! The `score_ip` group measures, on the same addresses, `lookup`
//! (probability, class and the handle to the reasons), `score_ip`
//! (everything, reasons with sources included) and the peer a user would
//! pick instead: `prefix-trie`'s `get_lpm` over the CIDR blocks of the same
//! ranges, which finds the origin AS only. `real_data` adds the
//! `maxminddb` look-up + decode of the country MMDB of the same addresses.
//! For ratios that hold on a noisy shared machine, prefer the interleaved
//! `cargo run --release --example peer_ratios`.
//!
//! Queries cycle through 65,536 random addresses (half inside a routing
//! range, half uniform), so most look-ups miss the CPU caches.

mod common;

use std::hint::black_box;
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bphscore::{Detector, Model, Snapshot, Subject};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use prefix_trie::PrefixMap;

use common::World;

// As in the `bphscore` tool: large tables in huge pages (the peers' heap
// memory too; `maxminddb` reads its memory-mapped file).
#[global_allocator]
static ALLOCATOR: bphscore::huge_pages::HugePages = bphscore::huge_pages::HugePages;

const SEED: u64 = 1;
/// Queries per set: a power of two, cycled through with a mask, large
/// enough that most look-ups miss the CPU caches, as a stream of unrelated
/// addresses does.
const QUERIES: usize = 1 << 16;

struct Fixture {
    world: World,
    detector: Detector<Vec<u8>>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let started = std::time::Instant::now();
        let world = World::generate(SEED, common::REALISTIC);
        let snapshot = world.build();
        let c = snapshot.counts();
        eprintln!(
            "world: {}\nsnapshot: {} bytes, {} IPv4 and {} IPv6 intervals, {} cells, {} routes, {} ASes ({:.1} s to generate and build)",
            world.summary(),
            snapshot.as_bytes().len(),
            c.v4_intervals,
            c.v6_intervals,
            c.cells,
            c.routes,
            c.ases,
            started.elapsed().as_secs_f64()
        );
        assert!(world.v4.len() >= 400_000 && world.v6.len() >= 100_000 && c.ases >= 80_000);
        Fixture {
            world,
            detector: Detector::new(snapshot, Model::default_model()),
        }
    })
}

/// Runs `f` over `items` in turn, one item per iteration.
fn cycle<T: Copy, R>(items: &[T], mut f: impl FnMut(T) -> R) -> impl FnMut() -> R {
    assert!(items.len().is_power_of_two());
    let mask = items.len() - 1;
    let mut i = 0usize;
    move || {
        let item = items[i & mask];
        i = i.wrapping_add(1);
        f(black_box(item))
    }
}

/// The prefix-trie peer: longest-prefix match over the CIDR blocks of the
/// same routing rows (`prefix_trie::PrefixMap::get_lpm`), giving the origin
/// AS only.
struct Trie {
    v4: PrefixMap<Ipv4Network, u32>,
    v6: PrefixMap<Ipv6Network, u32>,
}

impl Trie {
    /// From `(start, end, origin ASN)` rows of one family.
    fn insert_rows(&mut self, rows: impl IntoIterator<Item = (u128, u128, u32)>, v6: bool) {
        for (start, end, asn) in rows {
            for (net, len) in common::cidrs(start, end, v6) {
                if v6 {
                    let net = Ipv6Network::new(net.into(), len).expect("valid IPv6 block");
                    self.v6.insert(net, asn);
                } else {
                    let net = Ipv4Network::new((net as u32).into(), len).expect("valid IPv4 block");
                    self.v4.insert(net, asn);
                }
            }
        }
    }

    fn new() -> Self {
        Trie {
            v4: PrefixMap::new(),
            v6: PrefixMap::new(),
        }
    }

    #[inline]
    fn origin(&self, ip: IpAddr) -> Option<u32> {
        match ip {
            IpAddr::V4(a) => self
                .v4
                .get_lpm(&Ipv4Network::new(a, 32).expect("/32"))
                .map(|(_, asn)| *asn),
            IpAddr::V6(a) => self
                .v6
                .get_lpm(&Ipv6Network::new(a, 128).expect("/128"))
                .map(|(_, asn)| *asn),
        }
    }
}

/// `score_ip` (everything: probability, class, prefix, AS, country,
/// reasons with sources) and `lookup` (probability, class and the handle
/// to the reasons), beside `prefix-trie`'s longest-prefix match over the
/// same ranges on the same addresses.
fn score_ip(c: &mut Criterion) {
    let fx = fixture();
    let d = &fx.detector;
    let v4 = fx.world.v4_queries(SEED, QUERIES);
    let v6 = fx.world.v6_queries(SEED, QUERIES);
    let mut trie = Trie::new();
    let origin = |r: &common::SynthRange| fx.world.ases[r.origin as usize].asn;
    trie.insert_rows(
        fx.world.v4.iter().map(|r| (r.start, r.end, origin(r))),
        false,
    );
    trie.insert_rows(
        fx.world.v6.iter().map(|r| (r.start, r.end, origin(r))),
        true,
    );

    let mut g = c.benchmark_group("score_ip");
    g.throughput(Throughput::Elements(1));
    for (family, queries) in [("v4", &v4), ("v6", &v6)] {
        g.bench_function(format!("lookup_{family}"), |b| {
            b.iter(cycle(queries, |ip| d.lookup(ip)))
        });
        g.bench_function(format!("score_ip_{family}"), |b| {
            b.iter(cycle(queries, |ip| d.score_ip(ip)))
        });
        g.bench_function(format!("peer_prefix_trie_{family}"), |b| {
            b.iter(cycle(queries, |ip| trie.origin(ip)))
        });
    }
    g.finish();
}

/// The shipped model alone (120 boosted trees with each feature's
/// contribution), on the feature vectors of 4,096 scored addresses.
fn model_evaluate(c: &mut Criterion) {
    let fx = fixture();
    let d = &fx.detector;
    let vectors: Vec<_> = fx
        .world
        .v4_queries(SEED, 4096)
        .into_iter()
        .map(|ip| d.score_ip(ip).features)
        .collect();
    let model = d.model();
    let mut g = c.benchmark_group("model");
    g.throughput(Throughput::Elements(1));
    g.bench_function("evaluate", |b| {
        b.iter(cycle(&vectors, |x| model.evaluate(&x).0))
    });
    g.finish();
}

fn score_prefix(c: &mut Criterion) {
    let fx = fixture();
    let d = &fx.detector;
    let mut g = c.benchmark_group("score_prefix");
    g.throughput(Throughput::Elements(1));
    for len in [24u8, 16] {
        let nets = fx.world.prefix_queries(SEED, QUERIES, len);
        g.bench_function(format!("v4_{len}"), |b| {
            b.iter(cycle(&nets, |n| d.score_prefix(n)))
        });
    }
    g.finish();
}

fn score_asn(c: &mut Criterion) {
    let fx = fixture();
    let d = &fx.detector;
    let asns = fx.world.asn_queries(SEED, QUERIES);
    let mut g = c.benchmark_group("score_asn");
    g.throughput(Throughput::Elements(1));
    g.bench_function("asn", |b| b.iter(cycle(&asns, |a| d.score_asn(a))));
    g.finish();
}

/// 100,000 subjects as a batch job sees them: mostly IPv4 addresses, some
/// IPv6, prefixes and AS numbers.
fn batch_subjects(world: &World, n: usize) -> Vec<Subject> {
    let v4 = world.v4_queries(SEED + 1, n);
    let v6 = world.v6_queries(SEED + 1, n);
    let nets: Vec<IpNetwork> = world.prefix_queries(SEED + 1, n, 24);
    let asns = world.asn_queries(SEED + 1, n);
    (0..n)
        .map(|i| match i % 20 {
            0..=13 => Subject::Ip(v4[i]),
            14..=17 => Subject::Ip(v6[i]),
            18 => Subject::Prefix(nets[i]),
            _ => Subject::Asn(asns[i]),
        })
        .collect()
}

fn score_batch(c: &mut Criterion) {
    let fx = fixture();
    let subjects = batch_subjects(&fx.world, 100_000);
    let mut g = c.benchmark_group("score_batch");
    g.sample_size(20);
    g.throughput(Throughput::Elements(subjects.len() as u64));
    g.bench_function(
        format!("100k_mixed_{}_threads", rayon::current_num_threads()),
        |b| b.iter(|| fx.detector.score_batch(black_box(&subjects)).len()),
    );
    g.finish();
}

fn snapshot_open(c: &mut Criterion) {
    let fx = fixture();
    let bytes = fx.detector.snapshot().as_bytes();
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("synth.bph");
    fx.detector.snapshot().write(&path).expect("write snapshot");

    let mut g = c.benchmark_group("snapshot_open");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("from_bytes_vec", |b| {
        b.iter_batched(
            || bytes.to_vec(),
            |v| Snapshot::from_bytes(v).expect("valid snapshot"),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("open_mmap", |b| {
        b.iter(|| Snapshot::open(black_box(&path)).expect("valid snapshot"))
    });
    // The look-up tables made of an opened snapshot.
    g.bench_function("detector_new", |b| {
        b.iter_batched(
            || Snapshot::from_bytes(bytes.to_vec()).expect("valid snapshot"),
            |s| Detector::new(s, Model::default_model()),
            BatchSize::LargeInput,
        )
    });
    // What the checksum alone costs on one thread, to tell it apart from
    // the other checks.
    g.bench_function("checksum_only", |b| {
        b.iter(|| bphscore::snapshot::checksum(black_box(bytes)))
    });
    g.finish();
}

fn build(c: &mut Criterion) {
    // About 50,000 IPv4 ranges.
    let world = World::generate(SEED, 0.12);
    let files = world.files();
    let size: usize = files.iter().map(|f| f.text.len()).sum();
    eprintln!(
        "build world: {} ({size} bytes of text, {} records)",
        world.summary(),
        world.records()
    );
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(size as u64));
    g.bench_function(format!("{}k_v4_ranges", world.v4.len() / 1000), |b| {
        b.iter(|| common::build_files(black_box(&files)))
    });
    g.finish();
}

/// Opening and `score_ip` on the real ip-location-db data (CC BY 4.0), when
/// `scripts/fetch-real-data.sh` has put it in `data/`.
fn real_data(c: &mut Criterion) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let snapshot_path = data.join("real.bph");
    if !snapshot_path.exists() {
        eprintln!(
            "real_data: skipped, {} is absent (run scripts/fetch-real-data.sh)",
            snapshot_path.display()
        );
        return;
    }
    let snapshot = Snapshot::open(&snapshot_path).expect("data/real.bph opens");
    let counts = snapshot.counts();
    eprintln!(
        "real snapshot: {} bytes, {} IPv4 and {} IPv6 intervals, {} routes, {} ASes",
        snapshot.as_bytes().len(),
        counts.v4_intervals,
        counts.v6_intervals,
        counts.routes,
        counts.ases
    );
    let detector = Detector::new(snapshot, Model::default_model());
    let mmdb_path = data.join("geo-whois-asn-country.mmdb");
    // SAFETY: the benchmark maps a file that nothing modifies while it runs.
    let mmdb = unsafe { maxminddb::Reader::open_mmap(&mmdb_path) }
        .map_err(|e| {
            eprintln!(
                "real_data: maxminddb peer skipped: {}: {e}",
                mmdb_path.display()
            )
        })
        .ok();
    let mut rng = common::Rng::new(SEED);
    let mut g = c.benchmark_group("real_data");
    g.bench_function("open_mmap", |b| {
        b.iter(|| Snapshot::open(black_box(&snapshot_path)).expect("valid snapshot"))
    });
    g.throughput(Throughput::Elements(1));
    for (file, v6) in [("asn-ipv4.csv", false), ("asn-ipv6.csv", true)] {
        let Ok(text) = std::fs::read_to_string(data.join(file)) else {
            eprintln!("real_data: {file} is absent, skipped");
            continue;
        };
        let rows = common::asn_rows(&text);
        let queries = common::queries_in_rows(&rows, v6, &mut rng, QUERIES);
        let family = if v6 { "v6" } else { "v4" };
        g.bench_function(format!("lookup_{family}"), |b| {
            b.iter(cycle(&queries, |ip| detector.lookup(ip)))
        });
        g.bench_function(format!("score_ip_{family}"), |b| {
            b.iter(cycle(&queries, |ip| detector.score_ip(ip)))
        });
        let mut trie = Trie::new();
        trie.insert_rows(rows.iter().copied(), v6);
        g.bench_function(format!("peer_prefix_trie_{family}"), |b| {
            b.iter(cycle(&queries, |ip| trie.origin(ip)))
        });
        if let Some(reader) = &mmdb {
            g.bench_function(format!("peer_maxminddb_{family}"), |b| {
                b.iter(cycle(&queries, |ip| {
                    reader
                        .lookup(ip)
                        .ok()
                        .and_then(|r| r.decode::<MmdbCountry<'_>>().ok().flatten())
                        .map(|c| c.country_code.len())
                }))
            });
        }
    }
    g.finish();
}

/// The record of `geo-whois-asn-country.mmdb`, decoded as a user would.
#[derive(serde::Deserialize)]
struct MmdbCountry<'a> {
    country_code: &'a str,
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = score_ip, model_evaluate, score_prefix, score_asn, score_batch, snapshot_open, build, real_data
}
criterion_main!(benches);
