//! Writes a seeded synthetic passive-DNS feed in the Common Output Format
//! (JSON lines), in documentation and reserved space only, for tests and
//! for measuring ingestion at scale.
//!
//! Three populations of names share the records:
//!
//! - benign sites (88% of the names): stable names under `example.com`,
//!   `example.net`, `example.org` on one or two addresses of 100.64.0.0/10,
//!   240.0.0.0/4 or 2001:db8::/32, seen for years;
//! - fast-flux botnet names (3%) under `.test`: each on up to 40 addresses
//!   across 198.18.0.0/15, every record a few hours long;
//! - phishing kits (9%) under `.example`: one address of 198.18.0.0/15 each,
//!   alive for one to five days within the last two months, gone for days.
//!
//! Records repeat (name, address) pairs, as several sensors and dump
//! periods do, so the number of distinct names and addresses grows much
//! slower than the number of records. The output is a pure function of
//! the arguments.
//!
//! ```sh
//! cargo run --release --example synth_pdns -- --records 10000000 --domains 1000000 --seed 1 --out /tmp/pdns.jsonl
//! /usr/bin/time -v target/release/bphscore build --pdns /tmp/pdns.jsonl \
//!     --routing testdata/world/routeviews-rv2-20261101-1200.pfx2as -o /tmp/pdns.bph
//! ```

use std::io::{BufWriter, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The reference time of the generated data: 2026-11-12T08:00:00Z.
const AS_OF: i64 = 1_794_470_400;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64: small, fast, and the same on every platform.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A stable hash of a name's index and a salt.
fn hash(d: u64, salt: u64) -> u64 {
    Rng(d.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ salt).next()
}

fn main() {
    let mut records: u64 = 1_000_000;
    let mut domains: Option<u64> = None;
    let mut seed: u64 = 1;
    let mut out_path: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--records" => records = value().parse().unwrap_or_else(|_| usage("bad --records")),
            "--domains" => {
                domains = Some(value().parse().unwrap_or_else(|_| usage("bad --domains")))
            }
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage("bad --seed")),
            "--out" => out_path = Some(value()),
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    let domains = domains.unwrap_or((records / 10).max(1));
    let sink: Box<dyn Write> = match &out_path {
        Some(p) => {
            Box::new(std::fs::File::create(p).unwrap_or_else(|e| usage(&format!("{p}: {e}"))))
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let mut rng = Rng(seed);
    let mut line = String::with_capacity(256);
    for _ in 0..records {
        line.clear();
        let d = rng.below(domains);
        let kind = hash(d, 1) % 100;
        let dot = if d % 2 == 1 { "." } else { "" };
        if kind < 3 {
            // Fast flux: a fresh address of the pool for each record.
            let k = rng.below(40);
            let h = hash(d, 100 + k);
            let ip = Ipv4Addr::from(0xc612_0000u32 | (h as u32 & 0x1ffff));
            let first = AS_OF - rng.below(20 * DAY as u64) as i64;
            let last = first + (1 + rng.below(6) as i64) * HOUR;
            line.push_str(&format!(
                "{{\"rrname\":\"ff{d:x}.flux-botnet.test{dot}\",\"rrtype\":\"A\",\"rdata\":\"{ip}\",\"time_first\":{first},\"time_last\":{last},\"count\":{}}}",
                1 + rng.below(9)
            ));
        } else if kind < 12 {
            let h = hash(d, 7);
            let ip = Ipv4Addr::from(0xc612_0000u32 | (h as u32 & 0x1ffff));
            let first = AS_OF - (6 + (h >> 20) % 60) as i64 * DAY;
            let last = first + (1 + (h >> 40) % 5) as i64 * DAY - rng.below(HOUR as u64) as i64;
            line.push_str(&format!(
                "{{\"rrname\":\"account-verify-{d:x}.example{dot}\",\"rrtype\":\"A\",\"rdata\":\"{ip}\",\"time_first\":{first},\"time_last\":{last},\"bailiwick\":\"example.\"}}"
            ));
        } else {
            let tld = ["example.com", "example.net", "example.org"][(d % 3) as usize];
            let which = hash(d, 3 + rng.below(2));
            let first = AS_OF - (400 + hash(d, 5) % 2000) as i64 * DAY;
            let last = AS_OF - rng.below(7 * DAY as u64) as i64;
            if kind < 20 {
                let ip = Ipv6Addr::from(
                    0x2001_0db8_0000_0000_0000_0000_0000_0000u128
                        | (u128::from(which as u32) << 64)
                        | u128::from((which >> 32) as u16),
                );
                line.push_str(&format!(
                    "{{\"rrname\":\"www{d:x}.{tld}{dot}\",\"rrtype\":\"AAAA\",\"rdata\":[\"{ip}\"],\"zone_time_first\":{first},\"zone_time_last\":{last}}}"
                ));
            } else {
                let ip = if which.is_multiple_of(2) {
                    Ipv4Addr::from(0x6440_0000u32 | (which as u32 & 0x3f_ffff))
                } else {
                    Ipv4Addr::from(0xf000_0000u32 | (which as u32 & 0x0fff_ffff))
                };
                line.push_str(&format!(
                    "{{\"rrname\":\"www{d:x}.{tld}{dot}\",\"rrtype\":\"A\",\"rdata\":\"{ip}\",\"time_first\":{first},\"time_last\":{last},\"count\":{}}}",
                    1 + rng.below(5000)
                ));
            }
        }
        line.push('\n');
        if let Err(e) = out.write_all(line.as_bytes()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return;
            }
            usage(&format!("write: {e}"));
        }
    }
    if let Err(e) = out.flush() {
        usage(&format!("write: {e}"));
    }
}

fn usage(msg: &str) -> ! {
    eprintln!("synth_pdns: {msg}");
    eprintln!("usage: synth_pdns [--records N] [--domains N] [--seed N] [--out FILE]");
    std::process::exit(2)
}
