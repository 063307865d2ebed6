//! Writes a seeded synthetic RPSL dump (RIPE bulk-file layout) of a given
//! size, to measure streaming and memory bounds, and measures how fast
//! bphscore's parser reads a dump.
//!
//! ```text
//! cargo run --release --example synth_rpsl -- --bytes 2G --seed 1 --out /tmp/synth.db
//! cargo run --release --example synth_rpsl -- --parse /tmp/synth.db
//! bphscore build --whois /tmp/synth.db -o /tmp/synth.bph
//! ```
//!
//! The dump holds `organisation`, `role`, `mntner`, `aut-num`, `inetnum`,
//! `inet6num` and `route` objects in the proportions and sizes of the
//! published dumps (about 450 bytes an object: descriptions, remarks,
//! dummified contacts, several maintainers, continuation lines). Address
//! blocks nest as real registrations do: /16 allocations in 240.0.0.0/4
//! holding /20 sub-allocations holding /26 assignments, and /40, /48, /56
//! in 2001:db8::/32; a share of sub-allocations go to other organisations,
//! some without an abuse contact. Reserved space and documentation AS
//! numbers only. Generated files are not committed.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

use bphscore::source::{Format, Limits, Parser};

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

const ORGS: u64 = 200_000;
const MNTS: u64 = 80_000;

fn date(rng: &mut Rng, from_year: u64) -> String {
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        from_year + rng.below(2027 - from_year),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

struct Writer<W> {
    out: W,
    written: u64,
    rng: Rng,
    v4: u64,
    v6: u64,
}

impl<W: Write> Writer<W> {
    fn put(&mut self, s: &str) -> io::Result<()> {
        self.written += s.len() as u64;
        self.out.write_all(s.as_bytes())
    }

    fn common(&mut self, o: &mut String, mnt: u64) {
        let r = &mut self.rng;
        o.push_str("admin-c:        DUMY-RIPE\ntech-c:         DUMY-RIPE\n");
        o.push_str(&format!("mnt-by:         SYNTH{mnt}-MNT\n"));
        if r.below(3) == 0 {
            o.push_str(&format!("mnt-lower:      SYNTH{mnt}-MNT\n"));
        }
        let created = date(r, 1995);
        o.push_str(&format!(
            "created:        {created}\nlast-modified:  {}\nsource:         RIPE\n\n",
            date(r, 2020)
        ));
    }

    fn inetnum(
        &mut self,
        first: String,
        last: String,
        v6: bool,
        status: &str,
        org: Option<u64>,
        abuse: bool,
    ) -> io::Result<()> {
        let mnt = self.rng.below(MNTS);
        let mut o = String::with_capacity(512);
        if v6 {
            o.push_str(&format!("inet6num:       {first}\n"));
        } else {
            o.push_str(&format!("inetnum:        {first} - {last}\n"));
        }
        o.push_str(&format!(
            "netname:        SYNTH-NET-{}\n",
            self.rng.below(1 << 30)
        ));
        o.push_str("descr:          Synthetic registration for streaming tests\n");
        o.push_str("descr:          in reserved address space only\n");
        o.push_str(&format!(
            "country:        {}\n",
            ["DE", "NL", "SC", "GB", "FR", "US", "RU", "BZ"][self.rng.below(8) as usize]
        ));
        if let Some(org) = org {
            o.push_str(&format!("org:            ORG-S{org}-TEST\n"));
        }
        if abuse {
            o.push_str(&format!(
                "abuse-c:        SA{}-TEST\n",
                self.rng.below(ORGS)
            ));
        }
        o.push_str(&format!("status:         {status}\n"));
        if self.rng.below(4) == 0 {
            o.push_str("remarks:        -----------------------------------------------\n");
            o.push_str("                a remark continued on the next line\n");
            o.push_str("+               and one more\n");
        }
        o.push_str("mnt-by:         RIPE-NCC-HM-MNT\n");
        self.common(&mut o, mnt);
        self.put(&o)
    }

    fn other(&mut self) -> io::Result<()> {
        let k = self.rng.below(20);
        let n = self.rng.below(ORGS);
        let mnt = self.rng.below(MNTS);
        let mut o = String::with_capacity(512);
        match k {
            0..=3 => {
                o.push_str(&format!("organisation:   ORG-S{n}-TEST\norg-name:       Synthetic Org {n} Ltd\norg-type:       OTHER\n"));
                o.push_str("address:        Dummy address\ne-mail:         unread@ripe.net\n");
                o.push_str(&format!(
                    "country:        {}\n",
                    ["DE", "NL", "SC", "GB"][self.rng.below(4) as usize]
                ));
                if self.rng.below(5) != 0 {
                    o.push_str(&format!("abuse-c:        SA{n}-TEST\n"));
                }
                o.push_str(&format!("mnt-ref:        SYNTH{mnt}-MNT\n"));
            }
            4..=5 => {
                o.push_str(&format!("role:           Synthetic Abuse {n}\naddress:        Dummy address\ne-mail:         unread@ripe.net\n"));
                o.push_str(&format!(
                    "abuse-mailbox:  abuse{n}@synth.example\nnic-hdl:        SA{n}-TEST\n"
                ));
            }
            6 => {
                o.push_str(&format!("mntner:         SYNTH{mnt}-MNT\ndescr:          Synthetic maintainer\nauth:           BCRYPT-PW # Filtered\n"));
            }
            7..=8 => {
                let asn = 64496 + self.rng.below(16);
                o.push_str(&format!("aut-num:        AS{asn}\nas-name:        SYNTH-{n}\norg:            ORG-S{n}-TEST\n"));
                for i in 0..self.rng.below(6) {
                    o.push_str(&format!("import:         from AS{} accept ANY\nexport:         to AS{} announce AS{asn}\n", 65536 + i, 65536 + i));
                }
            }
            _ => {
                let a = 240 + self.rng.below(16);
                o.push_str(&format!(
                    "route:          {a}.{}.{}.0/24\ndescr:          Synthetic route\norigin:         AS{}\n",
                    self.rng.below(256),
                    self.rng.below(256),
                    64496 + self.rng.below(16)
                ));
            }
        }
        self.common(&mut o, mnt);
        self.put(&o)
    }

    /// One /16 allocation (or /40 in IPv6) with its nested registrations.
    fn allocation(&mut self) -> io::Result<()> {
        let v6 = self.rng.below(5) == 0;
        let lir = self.rng.below(ORGS);
        if v6 {
            let base = self.v6 % 256;
            self.v6 += 1;
            self.inetnum(
                format!("2001:db8:{base:02x}00::/40"),
                String::new(),
                true,
                "ALLOCATED-BY-RIR",
                Some(lir),
                true,
            )?;
            for s in 0..16u64 {
                let cust = if self.rng.below(4) == 0 {
                    Some(self.rng.below(ORGS))
                } else {
                    None
                };
                // A customer with an org of its own lacks an abuse contact a third of the time.
                let abuse = cust.is_none() || self.rng.below(3) > 0;
                self.inetnum(
                    format!("2001:db8:{base:02x}{s:02x}::/48"),
                    String::new(),
                    true,
                    "ALLOCATED-BY-LIR",
                    cust,
                    abuse,
                )?;
                for a in 0..8u64 {
                    self.inetnum(
                        format!("2001:db8:{base:02x}{s:02x}:{a:02x}00::/56"),
                        String::new(),
                        true,
                        "ASSIGNED",
                        None,
                        false,
                    )?;
                }
                if self.rng.below(30) == 0 {
                    self.other()?;
                }
            }
            return Ok(());
        }
        let b = self.v4 % 4096;
        self.v4 += 1;
        let (x, y) = (240 + b / 256, b % 256);
        self.inetnum(
            format!("{x}.{y}.0.0"),
            format!("{x}.{y}.255.255"),
            false,
            "ALLOCATED PA",
            Some(lir),
            true,
        )?;
        for s in 0..16u64 {
            let cust = if self.rng.below(4) == 0 {
                Some(self.rng.below(ORGS))
            } else {
                None
            };
            let abuse = cust.is_none() || self.rng.below(3) > 0;
            let (lo, hi) = (s * 16, s * 16 + 15);
            self.inetnum(
                format!("{x}.{y}.{lo}.0"),
                format!("{x}.{y}.{hi}.255"),
                false,
                "SUB-ALLOCATED PA",
                cust,
                abuse,
            )?;
            for a in 0..64u64 {
                let c = lo + a / 4;
                let d = (a % 4) * 64;
                self.inetnum(
                    format!("{x}.{y}.{c}.{d}"),
                    format!("{x}.{y}.{c}.{}", d + 63),
                    false,
                    "ASSIGNED PA",
                    None,
                    false,
                )?;
                if self.rng.below(3) == 0 {
                    self.other()?;
                }
            }
        }
        Ok(())
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (n, mult) = match s.chars().last()? {
        'G' | 'g' => (&s[..s.len() - 1], 1u64 << 30),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'K' | 'k' => (&s[..s.len() - 1], 1 << 10),
        _ => (s, 1),
    };
    n.parse::<u64>().ok().map(|n| n * mult)
}

fn generate(bytes: u64, seed: u64, out: &str) -> io::Result<()> {
    let sink: Box<dyn Write> = if out == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(out)?)
    };
    let mut w = Writer {
        out: BufWriter::with_capacity(1 << 20, sink),
        written: 0,
        rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
        v4: 0,
        v6: 0,
    };
    w.put("# Synthetic RPSL dump for streaming tests (bphscore). Reserved space only.\n\n")?;
    while w.written < bytes {
        w.allocation()?;
    }
    w.out.flush()?;
    eprintln!("wrote {} bytes to {out}", w.written);
    Ok(())
}

fn parse(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let file = File::open(path)?;
    let bytes = file.metadata()?.len();
    let reader = io::BufReader::with_capacity(1 << 16, file);
    let start = Instant::now();
    let mut parser = Parser::new(path, Format::Rpsl, reader, Limits::default());
    let mut records = 0u64;
    for r in parser.by_ref() {
        r?;
        records += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{records} records from {bytes} bytes in {secs:.2} s: {:.0} MB/s",
        bytes as f64 / secs / 1e6
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut bytes = 64 << 20;
    let mut seed = 1u64;
    let mut out = "/tmp/synth-rpsl.db".to_owned();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--bytes" => bytes = parse_size(&v).unwrap_or(bytes),
            "--seed" => seed = v.parse().unwrap_or(seed),
            "--out" => out = v,
            "--parse" => {
                return match parse(&v) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("synth_rpsl: {e}");
                        ExitCode::FAILURE
                    }
                };
            }
            other => {
                eprintln!("synth_rpsl: unknown option {other}");
                return ExitCode::FAILURE;
            }
        }
        i += 2;
    }
    match generate(bytes, seed, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth_rpsl: {e}");
            ExitCode::FAILURE
        }
    }
}
