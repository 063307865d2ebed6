//! Writes a seeded synthetic series of CAIDA prefix2as files and
//! AS-relationship files, and measures how fast bphscore ingests them.
//!
//! ```text
//! cargo run --release --example routing_series -- --lines 1000000 --months 12 --dir /tmp/series
//! cargo run --release --example routing_series -- --measure /tmp/series
//! ```
//!
//! Each monthly prefix2as file holds `--lines` prefixes (/16 to /24 in
//! 240.0.0.0/4, a tenth of them IPv6 in 2001:db8::/32) originated by the
//! documentation ASNs (64496–64511, 65536–65551), with 2% of the lines
//! changing from one month to the next (withdrawn, announced anew, or moved
//! to another origin) and 1% multi-origin. The AS-relationship files give
//! each AS one or two upstreams, one AS changing upstream every month.
//! Generated files are not committed.
//!
//! `--measure DIR` times, on one core: (1) adding the newest prefix2as
//! file (parsing and staging), (2) building a snapshot from it alone, and
//! (3) adding every file of the directory as a dated series and building
//! the snapshot (routing dynamics included).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use bphscore::SnapshotBuilder;
use bphscore::source::Format;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic across platforms.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const ASNS: [u32; 32] = [
    64496, 64497, 64498, 64499, 64500, 64501, 64502, 64503, 64504, 64505, 64506, 64507, 64508,
    64509, 64510, 64511, 65536, 65537, 65538, 65539, 65540, 65541, 65542, 65543, 65544, 65545,
    65546, 65547, 65548, 65549, 65550, 65551,
];

/// One announcement: (IPv6, prefix index, length, origin, second origin).
type Line = (bool, u64, u8, u32, Option<u32>);

fn line_text(l: &Line) -> String {
    let (v6, i, len, asn, other) = *l;
    let origin = match other {
        Some(o) => format!("{asn}_{o}"),
        None => asn.to_string(),
    };
    if v6 {
        // /48s (and shorter) inside 2001:db8::/32: 16 bits of index.
        let net = 0x2001_0db8u128 << 96 | u128::from(i & 0xffff) << 80;
        format!("{}\t{len}\t{origin}\n", std::net::Ipv6Addr::from(net))
    } else {
        // Distinct /24 slots of 240.0.0.0/4 (2^20 of them); shorter
        // prefixes start on their own boundary.
        let slot = (i & 0xfffff) as u32;
        let host = 32 - u32::from(len);
        let net = (0xf000_0000u32 | slot << 8) >> host << host;
        format!("{}\t{len}\t{origin}\n", std::net::Ipv4Addr::from(net))
    }
}

fn generate(lines: u64, months: u32, dir: &Path, seed: u64) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(seed | 1);
    let mut table: Vec<Line> = (0..lines)
        .map(|i| {
            let v6 = i % 10 == 9;
            let len = if v6 {
                [32u8, 40, 44, 48, 48, 48][rng.below(6) as usize]
            } else {
                [16u8, 20, 22, 23, 24, 24, 24, 24][rng.below(8) as usize]
            };
            let asn = ASNS[rng.below(32) as usize];
            let other = (rng.below(100) == 0).then(|| ASNS[rng.below(32) as usize]);
            (v6, i, len, asn, other.filter(|&o| o != asn))
        })
        .collect();
    let mut next_index = lines;
    for m in 0..months {
        let date = format!("2026{:02}01", m + 1);
        if m > 0 {
            for _ in 0..lines / 50 {
                let k = rng.below(table.len() as u64) as usize;
                match rng.below(3) {
                    0 => table[k].3 = ASNS[rng.below(32) as usize],
                    1 => {
                        table[k].1 = next_index;
                        next_index += 1;
                    }
                    _ => table[k].2 = 24,
                }
            }
        }
        let path = dir.join(format!("routeviews-rv2-{date}-1200.pfx2as"));
        let mut w = BufWriter::new(File::create(&path)?);
        for l in &table {
            w.write_all(line_text(l).as_bytes())?;
        }
        w.flush()?;
        let mut w = BufWriter::new(File::create(dir.join(format!("{date}.as-rel.txt")))?);
        writeln!(w, "# synthetic AS relationships (bphscore routing_series)")?;
        for (k, &asn) in ASNS.iter().enumerate() {
            let up = ASNS[(k + 1 + if k == 6 { m as usize } else { 0 }) % 32];
            if up != asn {
                writeln!(w, "{up}|{asn}|-1")?;
            }
        }
        w.flush()?;
    }
    Ok(())
}

fn files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pfx2as") || n.ends_with(".as-rel.txt")
        })
        .collect();
    v.sort();
    Ok(v)
}

fn measure(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let all = files(dir)?;
    let newest = all
        .iter()
        .rfind(|p| p.to_string_lossy().ends_with(".pfx2as"))
        .ok_or("no prefix2as file")?;
    let lines = std::fs::read_to_string(newest)?.lines().count();
    let t = Instant::now();
    let mut b = SnapshotBuilder::new().build_time(1_794_470_400);
    b.add_path(newest, Some(Format::Pfx2as))?;
    let ingest = t.elapsed();
    let snap = b.build()?;
    let one = t.elapsed();
    println!(
        "one file, {lines} lines: ingest {:.2} s, ingest + build {:.2} s ({} routes)",
        ingest.as_secs_f64(),
        one.as_secs_f64(),
        snap.counts().routes
    );
    drop(snap);
    let t = Instant::now();
    let mut b = SnapshotBuilder::new().build_time(1_794_470_400);
    for p in &all {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        b.add_dated(&name, None, File::open(p)?, None)?;
    }
    let added = t.elapsed();
    let snap = b.build()?;
    println!(
        "series of {} files: ingest {:.2} s, ingest + build {:.2} s ({} routes, {} ASes, {} bytes)",
        all.len(),
        added.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        snap.counts().routes,
        snap.counts().ases,
        snap.as_bytes().len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(dir) = get("--measure") {
        return match measure(Path::new(&dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("routing_series: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let lines: u64 = get("--lines")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let months: u32 = get("--months").and_then(|v| v.parse().ok()).unwrap_or(12);
    let seed: u64 = get("--seed").and_then(|v| v.parse().ok()).unwrap_or(1);
    let Some(dir) = get("--dir") else {
        eprintln!(
            "usage: routing_series --dir DIR [--lines N] [--months M] [--seed S] | --measure DIR"
        );
        return ExitCode::from(2);
    };
    match generate(lines, months, Path::new(&dir), seed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("routing_series: {e}");
            ExitCode::FAILURE
        }
    }
}
