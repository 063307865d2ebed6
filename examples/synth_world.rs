//! Writes a synthetic world (the benchmarks' generator) as source files, so
//! that the command-line tool can build and score it.
//!
//! ```text
//! cargo run --release --example synth_world -- --seed 1 --out data/synth
//! bphscore build --routing data/synth/asn-ipv4-20260617.csv … -o data/synth.bph
//! ```
//!
//! The example prints the full `bphscore build` command for the files it
//! wrote. Options: `--seed N` (default 1), `--scale X` (default 1.0, the
//! size of the real routing data), `--out DIR` (default `data/synth`),
//! `--queries N` (also write `queries.txt` with N IPv4, IPv6, prefix and AS
//! queries, for `bphscore score`).
//!
//! Generated worlds are not real networks (see `benches/common.rs`): keep
//! them out of version control (`data/` is ignored).

#[path = "../benches/common.rs"]
mod common;

use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    seed: u64,
    scale: f64,
    out: PathBuf,
    queries: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seed: 1,
        scale: common::REALISTIC,
        out: PathBuf::from("data/synth"),
        queries: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |what: &str| it.next().ok_or_else(|| format!("{flag} needs {what}"));
        match flag.as_str() {
            "--seed" => {
                args.seed = value("a number")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--scale" => {
                args.scale = value("a number")?
                    .parse()
                    .map_err(|e| format!("--scale: {e}"))?;
                if !(args.scale > 0.0 && args.scale <= 4.0) {
                    return Err("--scale must be in (0, 4]".to_owned());
                }
            }
            "--out" => args.out = value("a folder")?.into(),
            "--queries" => {
                args.queries = value("a number")?
                    .parse()
                    .map_err(|e| format!("--queries: {e}"))?
            }
            "-h" | "--help" => {
                return Err(
                    "usage: synth_world [--seed N] [--scale X] [--out DIR] [--queries N]"
                        .to_owned(),
                );
            }
            other => return Err(format!("unknown option {other}; try --help")),
        }
    }
    Ok(args)
}

fn run(args: &Args) -> Result<(), String> {
    let world = common::World::generate(args.seed, args.scale);
    eprintln!("{}", world.summary());
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut command = String::from("bphscore build");
    for file in world.files() {
        let path = args.out.join(&file.name);
        std::fs::write(&path, &file.text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {} ({} bytes)", path.display(), file.text.len());
        command.push_str(&format!(" --{} {}", file.role, path.display()));
    }
    if args.queries > 0 {
        let mut text = String::new();
        let n = args.queries;
        for ip in world
            .v4_queries(args.seed, n)
            .into_iter()
            .chain(world.v6_queries(args.seed, n))
        {
            text.push_str(&format!("{ip}\n"));
        }
        for net in world.prefix_queries(args.seed, n, 24) {
            text.push_str(&format!("{net}\n"));
        }
        for asn in world.asn_queries(args.seed, n) {
            text.push_str(&format!("{asn}\n"));
        }
        let path = args.out.join("queries.txt");
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    let target = args.out.with_extension("bph");
    command.push_str(&format!(
        " --build-time {} -o {}",
        common::DATA_TIME,
        target.display()
    ));
    println!("{command}");
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth_world: {e}");
            ExitCode::FAILURE
        }
    }
}
