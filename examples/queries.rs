//! Writes seeded query files for `bphscore score` and the CLI benchmark:
//! one address per line, half drawn inside the ranges of an ip-location-db
//! style CSV (`start,end,…`), half uniform over the whole IPv4 space or over
//! IPv6 2000::/3.
//!
//! ```text
//! cargo run --release --example queries -- --ranges data/asn-ipv4.csv --lines 10000000 > data/q4-10m.txt
//! cargo run --release --example queries -- --ranges data/asn-ipv6.csv --lines 1000000 --seed 2 > data/q6-1m.txt
//! ```
//!
//! The family follows the ranges. Same arguments, same bytes.

#[path = "../benches/common.rs"]
mod common;

use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::process::ExitCode;

fn run() -> Result<(), String> {
    let (mut ranges, mut lines, mut seed) = (None, 1_000_000usize, 1u64);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--ranges" => ranges = Some(value()?),
            "--lines" => lines = value()?.parse().map_err(|e| format!("--lines: {e}"))?,
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            _ => return Err("usage: queries --ranges FILE [--lines N] [--seed S]".into()),
        }
    }
    let path = ranges.ok_or("--ranges FILE is required")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let mut rows: Vec<(u128, u128)> = Vec::new();
    let mut v6 = false;
    for (n, line) in text.lines().enumerate() {
        let mut f = line.split(',');
        let (Some(s), Some(e)) = (f.next(), f.next()) else {
            return Err(format!("{path}:{}: expected start,end,…", n + 1));
        };
        let parse = |t: &str| {
            t.parse::<IpAddr>()
                .map_err(|e| format!("{path}:{}: {t:?}: {e}", n + 1))
        };
        let (s, e) = (parse(s)?, parse(e)?);
        v6 = s.is_ipv6();
        let bits = |ip: IpAddr| match ip {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        };
        if bits(s) <= bits(e) {
            rows.push((bits(s), bits(e)));
        }
    }
    if rows.is_empty() {
        return Err(format!("{path}: no ranges"));
    }
    let mut rng = common::Rng::fork(seed, 200 + u64::from(v6));
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    for i in 0..lines {
        let a = if i % 2 == 0 {
            let (s, e) = *rng.pick(&rows);
            s + rng.below_u128(e - s + 1)
        } else if v6 {
            (1u128 << 125) | (rng.next_u128() >> 3)
        } else {
            u128::from(rng.next_u64() as u32)
        };
        let ip = if v6 {
            IpAddr::V6(a.into())
        } else {
            IpAddr::V4((a as u32).into())
        };
        writeln!(out, "{ip}").map_err(|e| format!("<stdout>: {e}"))?;
    }
    out.flush().map_err(|e| format!("<stdout>: {e}"))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("queries: {e}");
            ExitCode::FAILURE
        }
    }
}
