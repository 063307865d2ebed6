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
//! The `score_ip` group also measures the peer a user would write by hand:
//! `binary_search` over a sorted `Vec<u32>` of range starts, which finds
//! the origin AS only, with no listings, no AS aggregates and no reasons.
//!
//! `v4` and `v6` cycle through 65,536 random queries, so most look-ups miss
//! the CPU caches: scoring an address follows interval → cell → route → AS
//! → name, each a dependent read in a different table of a ~77 MB
//! snapshot, and that chain of misses, not computation, sets the time.
//! `v4_cached` and `v6_cached` cycle through 256 queries, whose lines stay
//! cached: the cost of the computation itself.
//!
//! Targets: `score_ip` median ≤ 100 ns on one core; opening a snapshot
//! (memory map or bytes, with the CRC and full validation) ≤ 50 ms.

mod common;

use std::hint::black_box;
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bphscore::{Detector, Model, Snapshot, Subject};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipnetwork::IpNetwork;

use common::World;

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

/// The naive peer: the origin AS of `ip` by `binary_search` over the
/// sorted starts of the routing rows.
struct SortedStarts {
    starts: Vec<u32>,
    ends: Vec<u32>,
    asns: Vec<u32>,
}

impl SortedStarts {
    fn origin(&self, ip: u32) -> Option<u32> {
        let i = match self.starts.binary_search(&ip) {
            Ok(i) => i,
            Err(0) => return None,
            Err(i) => i - 1,
        };
        (ip <= self.ends[i]).then(|| self.asns[i])
    }
}

fn v4_bits(ips: &[IpAddr]) -> Vec<u32> {
    ips.iter()
        .map(|ip| match ip {
            IpAddr::V4(a) => u32::from(*a),
            IpAddr::V6(_) => unreachable!("IPv4 queries"),
        })
        .collect()
}

fn score_ip(c: &mut Criterion) {
    let fx = fixture();
    let d = &fx.detector;
    let v4 = fx.world.v4_queries(SEED, QUERIES);
    let v6 = fx.world.v6_queries(SEED, QUERIES);
    let peer = SortedStarts {
        starts: fx.world.v4_starts(),
        ends: fx.world.v4.iter().map(|r| r.end as u32).collect(),
        asns: fx
            .world
            .v4
            .iter()
            .map(|r| fx.world.ases[r.origin as usize].asn)
            .collect(),
    };
    let v4_raw = v4_bits(&v4);

    let mut g = c.benchmark_group("score_ip");
    g.throughput(Throughput::Elements(1));
    g.bench_function("v4", |b| b.iter(cycle(&v4, |ip| d.score_ip(ip))));
    g.bench_function("v6", |b| b.iter(cycle(&v6, |ip| d.score_ip(ip))));
    g.bench_function("peer_binary_search_v4", |b| {
        b.iter(cycle(&v4_raw, |ip| peer.origin(ip)))
    });
    // The same 256 addresses over and over: their lines of the snapshot
    // stay in cache, so this is the cost of the computation with few misses.
    g.bench_function("v4_cached", |b| {
        b.iter(cycle(&v4[..256], |ip| d.score_ip(ip)))
    });
    g.bench_function("v6_cached", |b| {
        b.iter(cycle(&v6[..256], |ip| d.score_ip(ip)))
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
    // What the CRC alone costs, to tell it apart from the other checks.
    g.bench_function("crc32_only", |b| {
        b.iter(|| crc32fast::hash(black_box(bytes)))
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
        let rows: Vec<(u128, u128, u32)> = text
            .lines()
            .filter_map(|l| {
                let mut f = l.split(',');
                let s: IpAddr = f.next()?.parse().ok()?;
                let e: IpAddr = f.next()?.parse().ok()?;
                let asn: u32 = f.next()?.parse().ok()?;
                Some((bits(s), bits(e), asn))
            })
            .collect();
        // Half inside a routing row, half uniform, as for the synthetic world.
        let queries: Vec<IpAddr> = (0..QUERIES)
            .map(|i| {
                let a = if i % 2 == 0 {
                    let (s, e, _) = *rng.pick(&rows);
                    s + rng.below_u128(e - s + 1)
                } else if v6 {
                    (1u128 << 125) | (rng.next_u128() >> 3)
                } else {
                    u128::from(rng.next_u64() as u32)
                };
                if v6 {
                    IpAddr::V6(a.into())
                } else {
                    IpAddr::V4((a as u32).into())
                }
            })
            .collect();
        let name = if v6 { "score_ip_v6" } else { "score_ip_v4" };
        g.bench_function(name, |b| {
            b.iter(cycle(&queries, |ip| detector.score_ip(ip)))
        });
        if !v6 {
            let peer = SortedStarts {
                starts: rows.iter().map(|r| r.0 as u32).collect(),
                ends: rows.iter().map(|r| r.1 as u32).collect(),
                asns: rows.iter().map(|r| r.2).collect(),
            };
            let raw = v4_bits(&queries);
            g.bench_function("peer_binary_search_v4", |b| {
                b.iter(cycle(&raw, |ip| peer.origin(ip)))
            });
        }
    }
    g.finish();
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = score_ip, score_prefix, score_asn, score_batch, snapshot_open, build, real_data
}
criterion_main!(benches);
