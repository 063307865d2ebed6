//! The `bphscore` command-line tool: a thin layer over the library.

use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use bphscore::batch::{self, BatchOptions, OutputFormat};
use bphscore::snapshot::SourceSpec;
use bphscore::source::{Limits, SourceInfo, SourceKind};
use bphscore::{Detector, Error, Model, Snapshot, SnapshotBuilder};
use clap::{Args, Parser, Subcommand};

/// Scores how likely IPs, prefixes and ASes are bulletproof or abused hosting.
#[derive(Parser)]
#[command(name = "bphscore", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile sources into a snapshot file (written atomically).
    Build(BuildArgs),
    /// Score IPs, prefixes and ASNs, one per input line; one output row per line.
    Score(ScoreArgs),
    /// Print a snapshot's header, sources and counts.
    Inspect(InspectArgs),
}

#[derive(Args)]
struct BuildArgs {
    /// Routing source: ip-location-db ASN CSV or CAIDA prefix2as (repeatable).
    #[arg(long, value_name = "[FORMAT:]FILE")]
    routing: Vec<SourceSpec>,
    /// Abuse source: Spamhaus DROP (JSON or text), ASN-DROP, FireHOL netset (repeatable).
    #[arg(long, value_name = "[FORMAT:]FILE")]
    abuse: Vec<SourceSpec>,
    /// Geolocation source: ip-location-db country CSV (repeatable).
    #[arg(long, value_name = "[FORMAT:]FILE")]
    geo: Vec<SourceSpec>,
    /// The snapshot file to write.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Skip bad records (counted per source) instead of failing.
    #[arg(long)]
    lenient: bool,
    /// Build time to record (unix seconds; default: now, or SOURCE_DATE_EPOCH).
    #[arg(long, value_name = "UNIX_SECONDS")]
    build_time: Option<i64>,
    /// Longest line accepted in a source, in bytes.
    #[arg(long, default_value_t = Limits::default().line_len(), value_name = "BYTES")]
    max_line_len: usize,
    /// Largest decompressed size of one gzip source, in bytes.
    #[arg(long, default_value_t = Limits::default().decompressed(), value_name = "BYTES")]
    max_decompressed: u64,
    /// Most records read from one source.
    #[arg(long, default_value_t = Limits::default().records(), value_name = "N")]
    max_records: u64,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct ScoreArgs {
    /// Input file, or - for standard input.
    #[arg(default_value = "-", value_name = "FILE|-")]
    input: PathBuf,
    /// Snapshot file (default: the embedded default world).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Model file (default: the embedded models/default.json).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Output format.
    #[arg(long, default_value = "csv", value_parser = ["csv", "jsonl", "table"])]
    format: String,
    /// Write every reason in full, with its source and date.
    #[arg(long)]
    explain: bool,
    /// Exit with status 3 when any input line is an error row.
    #[arg(long)]
    strict: bool,
    /// Longest input line accepted, in bytes; a longer line becomes an error row.
    #[arg(long, default_value_t = BatchOptions::default().line_len(), value_name = "BYTES")]
    max_line_len: usize,
}

#[derive(Args)]
struct InspectArgs {
    /// Snapshot file (default: the embedded default world).
    #[arg(value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build(args),
        Command::Score(args) => score(args),
        Command::Inspect(args) => inspect(args),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`bphscore score … | head`) is not an error.
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bphscore: {e}");
            ExitCode::FAILURE
        }
    }
}

fn build(args: BuildArgs) -> Result<ExitCode, Error> {
    let limits = Limits::default()
        .max_line_len(args.max_line_len)
        .max_decompressed(args.max_decompressed)
        .max_records(args.max_records);
    let mut builder = SnapshotBuilder::new().limits(limits).lenient(args.lenient);
    if let Some(t) = args.build_time {
        builder = builder.build_time(t);
    }
    let groups: [(&str, &[SourceSpec], &[SourceKind]); 3] = [
        ("--routing", &args.routing, &[SourceKind::Routing]),
        ("--geo", &args.geo, &[SourceKind::Geo]),
        (
            "--abuse",
            &args.abuse,
            &[SourceKind::Blocklist, SourceKind::Drop, SourceKind::AsnDrop],
        ),
    ];
    if groups.iter().all(|g| g.1.is_empty()) {
        return Err(Error::Build {
            message: "no sources given; use --routing, --geo and --abuse".to_owned(),
        });
    }
    for (flag, specs, kinds) in groups {
        for spec in specs {
            let info = add_with_progress(&mut builder, spec, args.quiet)?;
            if !kinds.contains(&info.kind()) {
                return Err(Error::Build {
                    message: format!(
                        "{} is a {} source ({}), but was given with {flag}",
                        spec.path.display(),
                        info.kind(),
                        info.format
                    ),
                });
            }
            if !args.quiet {
                report(&info);
            }
        }
    }
    let snapshot = builder.build()?;
    snapshot.write(&args.output)?;
    if !args.quiet {
        let c = snapshot.counts();
        eprintln!(
            "wrote {} ({} bytes): {} routes, {} ASes, {} IPv4 and {} IPv6 intervals",
            args.output.display(),
            snapshot.as_bytes().len(),
            c.routes,
            c.ases,
            c.v4_intervals,
            c.v6_intervals
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn add_with_progress(
    builder: &mut SnapshotBuilder,
    spec: &SourceSpec,
    quiet: bool,
) -> Result<SourceInfo, Error> {
    let path = &spec.path;
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bar = if quiet || !io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(name.clone());
        bar
    };
    let result = builder
        .add_reader(&name, spec.format, bar.wrap_read(file))
        .cloned();
    bar.finish_and_clear();
    result
}

fn io_error(path: &std::path::Path, source: io::Error) -> Error {
    Error::from_io(path, source)
}

fn report(info: &SourceInfo) {
    let skipped = if info.skipped > 0 {
        format!(", {} bad record(s) SKIPPED", info.skipped)
    } else {
        String::new()
    };
    eprintln!(
        "read {} ({}, {}): {} records, dated {}{skipped}",
        info.name,
        info.format,
        info.kind(),
        info.records,
        info.date_text()
    );
}

fn score(args: ScoreArgs) -> Result<ExitCode, Error> {
    let model = match &args.model {
        Some(path) => Model::load(path)?,
        None => Model::default_model(),
    };
    let format: OutputFormat = args
        .format
        .parse()
        .map_err(|message| Error::Build { message })?;
    let options = BatchOptions::default()
        .format(format)
        .explain(args.explain)
        .max_line_len(args.max_line_len);
    let stdout = io::stdout();
    let out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let summary = if args.input.as_os_str() == "-" {
        let input = io::stdin().lock();
        run(&args, model, input, out, options)?
    } else {
        let file = std::fs::File::open(&args.input).map_err(|e| io_error(&args.input, e))?;
        run(
            &args,
            model,
            BufReader::with_capacity(1 << 16, file),
            out,
            options,
        )?
    };
    if args.strict && summary.errors > 0 {
        eprintln!(
            "bphscore: {} of {} lines are errors",
            summary.errors, summary.rows
        );
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

fn run(
    args: &ScoreArgs,
    model: Model,
    input: impl io::BufRead,
    out: impl Write,
    options: BatchOptions,
) -> Result<batch::BatchSummary, Error> {
    match &args.snapshot {
        Some(path) => {
            let detector = Detector::new(Snapshot::open(path)?, model);
            batch::score_lines(&detector, input, out, options)
        }
        None => {
            let detector = Detector::new(bphscore::world::snapshot()?, model);
            batch::score_lines(&detector, input, out, options)
        }
    }
}

fn inspect(args: InspectArgs) -> Result<ExitCode, Error> {
    match &args.snapshot {
        Some(path) => print_inspect(
            &Snapshot::open(path)?,
            &path.display().to_string(),
            args.json,
        ),
        None => print_inspect(
            &bphscore::world::snapshot()?,
            "(embedded default world)",
            args.json,
        ),
    }
}

fn print_inspect<S: AsRef<[u8]>>(
    s: &Snapshot<S>,
    label: &str,
    json: bool,
) -> Result<ExitCode, Error> {
    let date = bphscore::source::format_date;
    let mut out = io::stdout().lock();
    let w = |e: io::Error| Error::from_io("<stdout>", e);
    if json {
        let value = serde_json::json!({
            "snapshot": label,
            "format_version": bphscore::snapshot::FORMAT_VERSION,
            "bytes": s.as_bytes().len(),
            "build_time": date(s.build_time()),
            "as_of": s.as_of().map(date),
            "created_by": s.created_by(),
            "checksum": format!("{:08x}", s.checksum()),
            "counts": s.counts(),
            "sources": s.sources(),
        });
        writeln!(out, "{value:#}").map_err(w)?;
        return Ok(ExitCode::SUCCESS);
    }
    let c = s.counts();
    writeln!(out, "snapshot    {label}").map_err(w)?;
    writeln!(
        out,
        "format      version {}, {} bytes, CRC-32 {:08x}",
        bphscore::snapshot::FORMAT_VERSION,
        s.as_bytes().len(),
        s.checksum()
    )
    .map_err(w)?;
    writeln!(
        out,
        "built       {} by {}",
        date(s.build_time()),
        s.created_by()
    )
    .map_err(w)?;
    writeln!(
        out,
        "as of       {}",
        s.as_of().map(date).unwrap_or_else(|| "unknown".into())
    )
    .map_err(w)?;
    writeln!(
        out,
        "counts      {} routes, {} ASes, {} IPv4 intervals, {} IPv6 intervals, {} cells",
        c.routes, c.ases, c.v4_intervals, c.v6_intervals, c.cells
    )
    .map_err(w)?;
    writeln!(out, "sources").map_err(w)?;
    writeln!(
        out,
        "  {:<36} {:<18} {:<9} {:<20} {:>9} {:>7}  sha256",
        "name", "format", "kind", "date", "records", "skipped"
    )
    .map_err(w)?;
    for src in s.sources() {
        writeln!(
            out,
            "  {:<36} {:<18} {:<9} {:<20} {:>9} {:>7}  {}",
            src.name,
            src.format.name(),
            src.kind().to_string(),
            src.date_text(),
            src.records,
            src.skipped,
            src.sha256
        )
        .map_err(w)?;
    }
    Ok(ExitCode::SUCCESS)
}
