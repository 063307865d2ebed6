//! The `bphscore` command-line tool: a thin layer over the library.

use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use bphscore::batch::{self, BatchOptions, OutputFormat};
use bphscore::snapshot::SourceSpec;
use bphscore::source::{Limits, SourceInfo, SourceKind};
use bphscore::{Detector, Error, Model, Snapshot, SnapshotBuilder};
use clap::{Args, Parser, Subcommand};

// Large tables in huge pages: about 10% less CPU time in batch scoring.
#[global_allocator]
static ALLOCATOR: bphscore::huge_pages::HugePages = bphscore::huge_pages::HugePages;

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
    Build(Box<BuildArgs>),
    /// Score IPs, prefixes and ASNs, one per input line; one output row per line.
    Score(ScoreArgs),
    /// Print a snapshot's header, sources and counts.
    Inspect(InspectArgs),
    /// Export selected addresses as aggregated CIDRs for firewalls and IDS.
    Export(ExportArgs),
    /// Download the configured public sources into a data folder.
    Update(UpdateArgs),
    /// Score addresses with live DNS evidence (reverse DNS, DNSBL, origin AS) beside.
    #[cfg(feature = "dns")]
    Live(LiveArgs),
    /// Show the organisations, ASes and blocks linked to an AS, an org handle or a prefix, and why.
    Entity(EntityArgs),
    /// Train a model from labelled subjects (cross-validated, calibrated).
    Train(TrainArgs),
    /// Evaluate a model on labelled subjects: ROC/PR AUC, TPR at 1%/5% FPR, Brier, reliability, confusion.
    Eval(EvalArgs),
}

#[derive(Args)]
struct TrainArgs {
    /// Snapshot file (default: the embedded default world).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Labels: `subject,label` lines (bulletproof, bph-reseller, abused-legitimate, clean).
    #[arg(long, value_name = "FILE")]
    labels: PathBuf,
    /// The model file to write.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Cross-validation folds, split by AS.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Seed of the folds: the same seed and inputs give the same model.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Model kinds to compare (repeatable; default: logistic and gbdt).
    #[arg(long, value_parser = ["logistic", "gbdt"])]
    kind: Vec<String>,
    /// The model's name (default: the output file's stem).
    #[arg(long)]
    name: Option<String>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct EvalArgs {
    /// Snapshot file (default: the embedded default world).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Labels: `subject,label` lines.
    #[arg(long, value_name = "FILE")]
    labels: PathBuf,
    /// Model to evaluate as it is (default: the embedded models/default.json).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Cross-validate the trainer instead, with K folds split by AS.
    #[arg(long, value_name = "K")]
    cv: Option<usize>,
    /// Seed of the cross-validation folds.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Write roc.svg and reliability.svg into this folder.
    #[arg(long, value_name = "DIR")]
    plots: Option<PathBuf>,
}

#[derive(Args)]
struct BuildArgs {
    /// Routing source: ip-location-db ASN CSV or CAIDA prefix2as (repeatable).
    #[arg(long, value_name = "[FORMAT:]FILE")]
    routing: Vec<SourceSpec>,
    /// Abuse source: Spamhaus DROP (JSON or text), ASN-DROP, FireHOL netset, abuse.ch
    /// Feodo Tracker (JSON, CSV), URLhaus (CSV), ThreatFox (JSON), AbuseIPDB (JSON),
    /// generic CSV `indicator,first_seen,last_seen,category,source` (repeatable).
    #[arg(long, value_name = "[FORMAT:]FILE")]
    abuse: Vec<SourceSpec>,
    /// Passive-DNS source in the Common Output Format, JSON lines (repeatable).
    #[arg(long, value_name = "[FORMAT:]FILE", num_args = 1..)]
    pdns: Vec<SourceSpec>,
    /// Reference time of time-aware evidence (YYYY-MM-DD, RFC 3339 or unix
    /// seconds; default: the newest source's date).
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Days after which an abuse listing counts half.
    #[arg(long, value_name = "DAYS", default_value_t = 30.0)]
    half_life: f64,
    /// Days after which abuse and passive-DNS evidence is dropped.
    #[arg(long, value_name = "DAYS", default_value_t = 365.0)]
    horizon: f64,
    /// Geolocation source: ip-location-db country CSV (repeatable).
    #[arg(long, value_name = "[FORMAT:]FILE")]
    geo: Vec<SourceSpec>,
    /// Every good copy in a folder kept by `bphscore update`, by its kind.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Registry source: RPSL dump, ARIN bulk WHOIS, delegated-extended stats (repeatable).
    #[arg(long, value_name = "[FORMAT:]FILE")]
    whois: Vec<SourceSpec>,
    /// MMDB file: MaxMind GeoIP2/GeoLite2 Country, ASN or Anonymous-IP, DB-IP,
    /// ip-location-db (repeatable; memory-mapped).
    #[arg(long, value_name = "FILE")]
    mmdb: Vec<PathBuf>,
    /// A dated CAIDA prefix2as snapshot (repeatable): the latest date is the
    /// current routing, earlier ones give each AS's behaviour.
    #[arg(long, value_name = "FILE")]
    pfx2as: Vec<PathBuf>,
    /// An MRT RIB dump (RouteViews, RIPE RIS; plain or gzip'd) as a dated
    /// routing snapshot with its upstream links (repeatable; feature `mrt`).
    #[arg(long, value_name = "FILE")]
    mrt: Vec<PathBuf>,
    /// A dated CAIDA AS-relationship file, `YYYYMMDD.as-rel.txt` (repeatable).
    #[arg(long = "as-rel", value_name = "FILE")]
    as_rel: Vec<PathBuf>,
    /// Date of the --pfx2as and --as-rel files whose name carries none (YYYY-MM-DD or YYYYMMDD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    date: Option<i64>,
    /// Cloud, CDN and anycast ranges under guard rails: one IP or CIDR per
    /// line (repeatable). Their listings never count for their AS, and their
    /// verdict is at most abused-legitimate.
    #[arg(long, value_name = "FILE")]
    protect: Vec<PathBuf>,
    /// The snapshot file to write.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Skip bad records (counted per source) instead of failing.
    #[arg(long, alias = "skip-bad")]
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
struct EntityArgs {
    /// An AS (AS64505), an organisation handle (ORG-NB1-TEST), an address or a prefix.
    #[arg(value_name = "ASN|ORG|PREFIX")]
    query: String,
    /// Snapshot file (default: the embedded default world).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
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

#[derive(Args)]
struct ExportArgs {
    /// Output format.
    #[arg(long, value_parser = ["nft", "ipset", "suricata", "zeek", "cidr"])]
    format: String,
    /// Snapshot file (default: the embedded default world).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Model file (default: the embedded models/default.json).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Lowest class exported (clean < abused-legitimate < bph-reseller < bulletproof).
    #[arg(long, default_value = "bph-reseller", value_name = "CLASS")]
    min_class: bphscore::Class,
    /// Lowest probability exported.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    min_prob: f64,
    /// Export one address family only.
    #[arg(long, value_name = "4|6")]
    family: Option<bphscore::export::Family>,
    /// Networks never exported: one IP or CIDR per line (repeatable).
    #[arg(long, value_name = "FILE")]
    protect: Vec<PathBuf>,
    /// Name of the nftables table and sets, ipset sets, Zeek meta.source.
    #[arg(long, default_value = "bphscore")]
    name: String,
    /// Output file, written atomically (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Suricata categories file (default: categories.txt beside --output).
    #[arg(long, value_name = "FILE")]
    categories: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct UpdateArgs {
    /// Sources to download, TOML (default: the official URLs, see --print-config).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The data folder (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present = "print_config")]
    dir: Option<PathBuf>,
    /// Print the default configuration and exit.
    #[arg(long)]
    print_config: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

#[cfg(feature = "dns")]
#[derive(Args)]
struct LiveArgs {
    /// Addresses, or - to read one per line from standard input.
    #[arg(required = true, value_name = "IP|-")]
    inputs: Vec<String>,
    /// Snapshot file (default: the embedded default world).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// DNS server to ask, IP:PORT (repeatable; default: the system's).
    #[arg(long, value_name = "ADDR")]
    nameserver: Vec<std::net::SocketAddr>,
    /// DNSBL zone to ask (repeatable), e.g. zen.spamhaus.org.
    #[arg(long, value_name = "ZONE")]
    dnsbl: Vec<String>,
    /// Origin-AS TXT zones for IPv4 and IPv6.
    #[arg(long, num_args = 2, value_names = ["V4_ZONE", "V6_ZONE"],
          default_values = ["origin.asn.cymru.com", "origin6.asn.cymru.com"])]
    origin_zones: Vec<String>,
    /// Skip the origin-AS look-up.
    #[arg(long)]
    no_origin: bool,
    /// Skip reverse DNS.
    #[arg(long)]
    no_ptr: bool,
    /// Time allowed for one query, in milliseconds.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    timeout_ms: u64,
    /// Queries in flight at once.
    #[arg(long, default_value_t = 32, value_name = "N")]
    concurrency: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build(*args),
        Command::Score(args) => score(args),
        Command::Inspect(args) => inspect(args),
        Command::Export(args) => export(args),
        Command::Update(args) => update(args),
        #[cfg(feature = "dns")]
        Command::Live(args) => live(args),
        Command::Entity(args) => entity(args),
        Command::Train(args) => train(args),
        Command::Eval(args) => eval(args),
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

fn build(mut args: BuildArgs) -> Result<ExitCode, Error> {
    if let Some(dir) = &args.data {
        use bphscore::update::Use;
        for (kind, spec) in bphscore::update::build_sources(dir)? {
            match kind {
                Use::Routing => args.routing.push(spec),
                Use::Geo => args.geo.push(spec),
                _ => args.abuse.push(spec),
            }
        }
    }
    let limits = Limits::default()
        .max_line_len(args.max_line_len)
        .max_decompressed(args.max_decompressed)
        .max_records(args.max_records);
    let mut builder = SnapshotBuilder::new().limits(limits).lenient(args.lenient);
    if let Some(t) = args.build_time {
        builder = builder.build_time(t);
    }
    if let Some(d) = &args.as_of {
        let t = bphscore::source::parse_timestamp(d).map_err(|e| Error::Build {
            message: format!("--as-of: {e}"),
        })?;
        builder = builder.as_of(t);
    }
    let positive = |d: f64| d.is_finite() && d > 0.0;
    if !(positive(args.half_life) && positive(args.horizon)) {
        return Err(Error::Build {
            message: "--half-life and --horizon must be positive numbers of days".to_owned(),
        });
    }
    let mut policy = bphscore::features::TimePolicy::default();
    policy.half_life_days = args.half_life;
    policy.horizon_days = args.horizon;
    builder = builder.time_policy(policy);
    let groups: [(&str, &[SourceSpec], &[SourceKind]); 5] = [
        ("--routing", &args.routing, &[SourceKind::Routing]),
        ("--geo", &args.geo, &[SourceKind::Geo]),
        (
            "--abuse",
            &args.abuse,
            &[
                SourceKind::Blocklist,
                SourceKind::Drop,
                SourceKind::AsnDrop,
                SourceKind::AbuseFeed,
            ],
        ),
        ("--whois", &args.whois, &[SourceKind::Whois]),
        ("--pdns", &args.pdns, &[SourceKind::PassiveDns]),
    ];
    if groups.iter().all(|g| g.1.is_empty())
        && args.pfx2as.is_empty()
        && args.as_rel.is_empty()
        && args.mmdb.is_empty()
        && args.mrt.is_empty()
    {
        return Err(Error::Build {
            message:
                "no sources given; use --routing, --pfx2as, --as-rel, --mrt, --geo, --mmdb, --abuse, --whois and --pdns"
                    .to_owned(),
        });
    }
    let mut skipped = 0u64;
    // The sources of every group are parsed on several threads and added
    // in the order given; each is checked against its flag and reported
    // as it is added, so the first error is the one of the first bad
    // source, as when adding them one by one.
    let sources: Vec<(&str, &[SourceKind], &SourceSpec)> = groups
        .iter()
        .flat_map(|&(flag, specs, kinds)| specs.iter().map(move |spec| (flag, kinds, spec)))
        .collect();
    let specs: Vec<SourceSpec> = sources.iter().map(|s| s.2.clone()).collect();
    let progress = Progress::new(args.quiet);
    builder.add_paths_with(
        &specs,
        |i, file| progress.wrap(&specs[i], file),
        |i, info| {
            let (flag, kinds, spec) = sources[i];
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
            skipped += info.skipped;
            if !args.quiet {
                progress.suspend(|| report(info));
            }
            Ok(())
        },
    )?;
    // MMDB files, the dated series and the guard rails come after the other sources.
    for path in &args.mmdb {
        let info = builder
            .add_path(path, Some(bphscore::source::Format::Mmdb))?
            .clone();
        if !args.quiet {
            report(&info);
        }
    }
    let series = [
        ("--as-rel", &args.as_rel, bphscore::source::Format::AsRel),
        ("--pfx2as", &args.pfx2as, bphscore::source::Format::Pfx2as),
    ];
    for (flag, paths, format) in series {
        for path in paths {
            let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
            let info = builder
                .add_dated(&file_name(path), Some(format), file, args.date)
                .map_err(|e| match e {
                    Error::Build { message } => Error::Build {
                        message: format!("{message} ({flag})"),
                    },
                    other => other,
                })?
                .clone();
            skipped += info.skipped;
            if !args.quiet {
                report(&info);
            }
        }
    }
    for path in &args.mrt {
        let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
        let info = builder.add_mrt(&file_name(path), file, args.date)?.clone();
        if !args.quiet {
            report(&info);
        }
    }
    for path in &args.protect {
        let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
        let info = builder.add_protected(&file_name(path), file)?.clone();
        skipped += info.skipped;
        if !args.quiet {
            report(&info);
        }
    }
    if skipped > 0 {
        eprintln!("skipped {skipped} bad record(s) in total (--skip-bad)");
    }
    let snapshot = builder.build()?;
    snapshot.write(&args.output)?;
    if !args.quiet
        && let Some(t) = snapshot.timed_summary()
        && (t.indicators_kept
            + t.domain_indicators_kept
            + t.dns_records
            + t.reset_by_transfer
            + t.expired
            + t.after_as_of
            > 0)
    {
        eprintln!(
            "time-aware evidence as of {}: {} address and {} domain indicator(s) kept, {} passive-DNS record(s) ({} of other types), {} domain(s), {} address(es); dropped: {} older than the horizon, {} after the reference time, {} reset by a transfer; {} duplicate(s) merged",
            t.as_of
                .map(bphscore::source::format_date)
                .unwrap_or_else(|| "unknown".into()),
            t.indicators_kept,
            t.domain_indicators_kept,
            t.dns_records,
            t.dns_other_types,
            t.domains,
            t.addresses,
            t.expired,
            t.after_as_of,
            t.reset_by_transfer,
            t.duplicates
        );
    }
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

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `YYYY-MM-DD` or `YYYYMMDD`, as unix seconds at midnight UTC.
fn parse_date(s: &str) -> Result<i64, String> {
    ["%Y-%m-%d", "%Y%m%d"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(s, f).ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
        .ok_or_else(|| format!("not a date (YYYY-MM-DD or YYYYMMDD): {s:?}"))
}

/// Progress bars of the sources being parsed, one per file, shown on a
/// terminal unless quiet.
struct Progress {
    bars: Option<indicatif::MultiProgress>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let bars = (!quiet && io::stderr().is_terminal()).then(indicatif::MultiProgress::new);
        Progress { bars }
    }

    /// The file as read through its bar, cleared once the file is parsed.
    fn wrap(&self, spec: &SourceSpec, file: std::fs::File) -> ProgressRead {
        let Some(bars) = &self.bars else {
            return ProgressRead(indicatif::ProgressBar::hidden().wrap_read(file));
        };
        let path = &spec.path;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let bar = bars.add(indicatif::ProgressBar::new(len));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(name);
        ProgressRead(bar.wrap_read(file))
    }

    /// Runs `f` (which prints) with the bars out of the way.
    fn suspend(&self, f: impl FnOnce()) {
        match &self.bars {
            Some(bars) => bars.suspend(f),
            None => f(),
        }
    }
}

/// A file read through its progress bar.
struct ProgressRead(indicatif::ProgressBarIter<std::fs::File>);

impl io::Read for ProgressRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Drop for ProgressRead {
    fn drop(&mut self) {
        self.0.progress.finish_and_clear();
    }
}

fn io_error(path: &std::path::Path, source: io::Error) -> Error {
    Error::from_io(path, source)
}

fn report(info: &SourceInfo) {
    let mut skipped = if info.skipped > 0 {
        format!(", {} bad record(s) SKIPPED", info.skipped)
    } else {
        String::new()
    };
    if info.duplicates > 0 {
        skipped.push_str(&format!(", {} duplicate(s) merged", info.duplicates));
    }
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

fn entity(args: EntityArgs) -> Result<ExitCode, Error> {
    let found = match &args.snapshot {
        Some(path) => bphscore::entity::lookup(&Snapshot::open(path)?, &args.query)?,
        None => bphscore::entity::lookup(&bphscore::world::snapshot()?, &args.query)?,
    };
    match found {
        Some(e) => {
            print!("{e}");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("bphscore: no registration found for {:?}", args.query);
            Ok(ExitCode::from(2))
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
            "checksum": format!("{:016x}", s.checksum()),
            "counts": s.counts(),
            "timed": s.timed_summary(),
            "sources": s.sources(),
        });
        writeln!(out, "{value:#}").map_err(w)?;
        return Ok(ExitCode::SUCCESS);
    }
    let c = s.counts();
    writeln!(out, "snapshot    {label}").map_err(w)?;
    writeln!(
        out,
        "format      version {}, {} bytes, checksum {:016x}",
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
    writeln!(
        out,
        "registry    {} blocks, {} organisations, {} links, {} bad record(s) skipped",
        c.whois_blocks,
        c.whois_orgs,
        c.whois_links,
        s.sources().iter().map(|x| x.skipped).sum::<u64>()
    )
    .map_err(w)?;
    if let Some(t) = s.timed_summary() {
        let p = t.policy.unwrap_or_default();
        writeln!(
            out,
            "timed       half-life {} days, horizon {} days; {} address and {} domain indicator(s), {} passive-DNS record(s), {} domain(s); dropped {} expired, {} after as-of, {} reset by a transfer; {} duplicate(s) merged",
            p.half_life_days,
            p.horizon_days,
            t.indicators_kept,
            t.domain_indicators_kept,
            t.dns_records,
            t.domains,
            t.expired,
            t.after_as_of,
            t.reset_by_transfer,
            t.duplicates
        )
        .map_err(w)?;
    }
    writeln!(out, "sources").map_err(w)?;
    writeln!(
        out,
        "  {:<36} {:<18} {:<11} {:<20} {:>9} {:>7}  sha256",
        "name", "format", "kind", "date", "records", "skipped"
    )
    .map_err(w)?;
    for src in s.sources() {
        writeln!(
            out,
            "  {:<36} {:<18} {:<11} {:<20} {:>9} {:>7}  {}",
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

fn export(args: ExportArgs) -> Result<ExitCode, Error> {
    use bphscore::export::{Export, Format, Selection};
    let model = match &args.model {
        Some(path) => Model::load(path)?,
        None => Model::default_model(),
    };
    let format: Format = args.format.parse()?;
    let mut selection = Selection::default()
        .min_class(args.min_class)
        .min_probability(args.min_prob);
    if let Some(f) = args.family {
        selection = selection.family(f);
    }
    let categories = match (format, &args.categories, &args.output) {
        (Format::Suricata, Some(c), _) => Some(c.clone()),
        (Format::Suricata, None, Some(o)) => Some(o.with_file_name("categories.txt")),
        (Format::Suricata, None, None) => {
            return Err(Error::Build {
                message: "the suricata format needs --output or --categories for categories.txt"
                    .to_owned(),
            });
        }
        _ => None,
    };
    let mut export = match &args.snapshot {
        Some(path) => Export::select(&Detector::new(Snapshot::open(path)?, model), selection),
        None => Export::select(
            &Detector::new(bphscore::world::snapshot()?, model),
            selection,
        ),
    };
    let mut protected = Vec::new();
    for path in &args.protect {
        let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
        protected.extend(bphscore::export::read_networks(
            &path.display().to_string(),
            file,
        )?);
    }
    export.protect(&protected);
    let export = export.name(&args.name)?;
    match &args.output {
        Some(path) => write_file(path, |w| export.write(format, w))?,
        None => export
            .write(format, io::stdout().lock())
            .map_err(|e| io_error(std::path::Path::new("<stdout>"), e))?,
    }
    if let Some(path) = &categories {
        write_file(path, |w| export.write_suricata_categories(w))?;
    }
    if !args.quiet {
        let s = export.stats();
        eprintln!(
            "exported {} CIDRs ({} before merging adjacent intervals) from {} of {} intervals{}",
            s.cidrs_after,
            s.cidrs_before,
            s.selected,
            s.intervals,
            categories.map_or_else(String::new, |c| format!("; categories in {}", c.display()))
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `path` atomically: a temporary file beside it, renamed over it.
/// A device or a pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written in
/// place instead, as renaming over it would replace the device.
fn write_file(
    path: &std::path::Path,
    write: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
) -> Result<(), Error> {
    if bphscore::snapshot::is_special_file(path) {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        return write(&mut f).map_err(|e| io_error(path, e));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    // Readable by all (less the umask), as any other output.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .prefix(".bphscore-")
        .tempfile_in(dir)
        .map_err(|e| io_error(dir, e))?;
    write(tmp.as_file_mut()).map_err(|e| io_error(path, e))?;
    tmp.as_file().sync_all().map_err(|e| io_error(path, e))?;
    tmp.persist(path).map_err(|e| io_error(path, e.error))?;
    Ok(())
}

fn update(args: UpdateArgs) -> Result<ExitCode, Error> {
    use bphscore::update::{DEFAULT_CONFIG, Status, UpdateConfig, Updater};
    if args.print_config {
        print!("{DEFAULT_CONFIG}");
        return Ok(ExitCode::SUCCESS);
    }
    let config = match &args.config {
        Some(path) => UpdateConfig::load(path)?,
        None => UpdateConfig::default_sources(),
    };
    let Some(dir) = args.dir else {
        return Err(Error::Build {
            message: "--dir is required".to_owned(),
        });
    };
    let outcomes = Updater::new(config, &dir)?.run()?;
    let mut failed = 0;
    for o in &outcomes {
        let text = match &o.status {
            Status::Updated { bytes, sha256 } => {
                format!("updated ({bytes} bytes, sha256 {sha256})")
            }
            Status::Unchanged => "unchanged".to_owned(),
            Status::Skipped => "disabled".to_owned(),
            Status::Failed { error, kept } => {
                failed += 1;
                format!(
                    "FAILED after {} attempt(s): {error}; {}",
                    o.attempts,
                    if *kept {
                        "kept the last good copy"
                    } else {
                        "no copy"
                    }
                )
            }
            _ => "?".to_owned(),
        };
        if !args.quiet || matches!(o.status, Status::Failed { .. }) {
            eprintln!("{:<36} {text}", o.name);
        }
    }
    if failed > 0 {
        eprintln!("bphscore: {failed} of {} sources failed", outcomes.len());
        return Ok(ExitCode::from(4));
    }
    if !args.quiet {
        eprintln!(
            "rebuild with: bphscore build --data {} -o world.bph",
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "dns")]
fn live(args: LiveArgs) -> Result<ExitCode, Error> {
    use bphscore::live::{LiveDns, LiveDnsConfig};
    let mut lines: Vec<String> = Vec::new();
    for input in &args.inputs {
        if input == "-" {
            for line in io::BufRead::lines(io::stdin().lock()) {
                lines.push(line.map_err(|e| io_error(std::path::Path::new("<stdin>"), e))?);
            }
        } else {
            lines.push(input.clone());
        }
    }
    let mut config = LiveDnsConfig::default()
        .timeout(std::time::Duration::from_millis(args.timeout_ms))
        .concurrency(args.concurrency)
        .reverse(!args.no_ptr);
    for ns in &args.nameserver {
        config = config.nameserver(*ns);
    }
    for zone in &args.dnsbl {
        config = config.dnsbl_zone(zone);
    }
    config = if args.no_origin {
        config.origin_zones(None)
    } else {
        config.origin_zones(Some((&args.origin_zones[0], &args.origin_zones[1])))
    };
    let dns = LiveDns::new(config)?;
    let parsed: Vec<Result<std::net::IpAddr, String>> = lines
        .iter()
        .map(|l| {
            l.trim()
                .parse()
                .map_err(|_| format!("not an IP address: {:?}", l.trim()))
        })
        .collect();
    let ips: Vec<std::net::IpAddr> = parsed.iter().filter_map(|r| r.clone().ok()).collect();
    let evidence = dns.probe_many(&ips);
    match &args.snapshot {
        Some(path) => live_rows(
            &Detector::new(Snapshot::open(path)?, Model::default_model()),
            &lines,
            &parsed,
            evidence,
        ),
        None => live_rows(
            &Detector::new(bphscore::world::snapshot()?, Model::default_model()),
            &lines,
            &parsed,
            evidence,
        ),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// One JSON line per input line, in order; error rows for bad lines.
#[cfg(feature = "dns")]
fn live_rows<S: AsRef<[u8]>>(
    detector: &Detector<S>,
    lines: &[String],
    parsed: &[Result<std::net::IpAddr, String>],
    evidence: Vec<bphscore::live::LiveEvidence>,
) -> Result<(), Error> {
    let mut evidence = evidence.into_iter().peekable();
    let mut out = io::stdout().lock();
    for (i, (line, ip)) in lines.iter().zip(parsed).enumerate() {
        let row = match (
            ip,
            evidence.next_if(|e| ip.as_ref().is_ok_and(|ip| *ip == e.ip)),
        ) {
            (Ok(_), Some(e)) => {
                let score = detector.score_ip(e.ip);
                let live = e.adjust(&score);
                serde_json::json!({
                    "line": i + 1,
                    "input": line,
                    "class": score.class.name(),
                    "asn": score.asn.map(|a| a.get()),
                    "snapshot_probability": live.snapshot_probability,
                    "live_probability": live.live_probability,
                    "live_reasons": live.reasons,
                    "live_evidence": e,
                })
            }
            (Err(e), _) => serde_json::json!({"line": i + 1, "input": line, "error": e}),
            (Ok(_), None) => {
                serde_json::json!({"line": i + 1, "input": line, "error": "no result"})
            }
        };
        writeln!(out, "{row}").map_err(|e| io_error(std::path::Path::new("<stdout>"), e))?;
    }
    Ok(())
}

/// Labelled subjects looked up in the snapshot (or the default world).
fn dataset(
    snapshot: &Option<PathBuf>,
    labels: &std::path::Path,
) -> Result<bphscore::train::Dataset, Error> {
    use bphscore::train::{Dataset, Labels};
    let labels = Labels::load(labels)?;
    for (line, first) in &labels.duplicates {
        eprintln!("bphscore: labels line {line}: repeats line {first}; counted once");
    }
    let data = match snapshot {
        Some(path) => Dataset::new(
            &Detector::new(Snapshot::open(path)?, Model::default_model()),
            &labels,
        ),
        None => Dataset::new(
            &Detector::new(bphscore::world::snapshot()?, Model::default_model()),
            &labels,
        ),
    };
    for (line, subject) in &data.unknown {
        eprintln!("bphscore: labels line {line}: {subject} is unknown to the snapshot; left out");
    }
    Ok(data)
}

fn train(args: TrainArgs) -> Result<ExitCode, Error> {
    use bphscore::train::{self, TrainOptions};
    let data = dataset(&args.snapshot, &args.labels)?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.output
            .file_stem()
            .map_or_else(|| "trained".into(), |s| s.to_string_lossy().into_owned())
    });
    let mut options = TrainOptions::default()
        .folds(args.folds)
        .seed(args.seed)
        .name(name);
    if !args.kind.is_empty() {
        options = options.kinds(args.kind.clone());
    }
    let trained = train::train(&data, &options)?;
    write_file(&args.output, |w| w.write_all(trained.json.as_bytes()))?;
    if !args.quiet {
        let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
        eprintln!(
            "{} labelled subjects ({} positive), {} unknown to the snapshot; {}-fold cross-validation by AS",
            data.examples.len(),
            data.examples.iter().filter(|e| e.is_positive()).count(),
            data.unknown.len(),
            options.folds.clamp(2, data.examples.len().max(2))
        );
        eprintln!(
            "{:<45} {:>8} {:>8} {:>9}",
            "candidate", "ROC AUC", "PR AUC", "TPR@5%"
        );
        for c in &trained.candidates {
            eprintln!(
                "{:<45} {:>8} {:>8} {:>9}",
                c.candidate,
                f(c.metrics.roc_auc),
                f(c.metrics.pr_auc),
                f(c.metrics.tpr_at_fpr_5)
            );
        }
        eprintln!(
            "chosen: {}; calibrated held-out Brier {}; wrote {}",
            trained.chosen,
            f(trained.calibrated.brier),
            args.output.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn eval(args: EvalArgs) -> Result<ExitCode, Error> {
    use bphscore::train::{self, LABEL_CLASSES, TrainOptions};
    let data = dataset(&args.snapshot, &args.labels)?;
    let e = match args.cv {
        Some(k) => train::cross_validate(&data, &TrainOptions::default().folds(k).seed(args.seed))?,
        None => {
            let model = match &args.model {
                Some(path) => Model::load(path)?,
                None => Model::default_model(),
            };
            train::evaluate(&data, &model)
        }
    };
    if let Some(dir) = &args.plots {
        std::fs::create_dir_all(dir).map_err(|e| Error::from_io(dir, e))?;
        let roc = dir.join("roc.svg");
        write_file(&roc, |w| w.write_all(train::plot::roc_svg(&e).as_bytes()))?;
        let rel = dir.join("reliability.svg");
        write_file(&rel, |w| {
            w.write_all(train::plot::reliability_svg(&e).as_bytes())
        })?;
    }
    let mut out = io::stdout().lock();
    let io_err = |e: io::Error| Error::from_io("<stdout>", e);
    if args.json {
        let text = serde_json::to_string_pretty(&e)
            .map_err(|e| Error::from_io("<stdout>", io::Error::other(e)))?;
        writeln!(out, "{text}").map_err(io_err)?;
        return Ok(ExitCode::SUCCESS);
    }
    let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
    let m = &e.metrics;
    let mut text = format!(
        "{}\n{} subjects, {} positive (bulletproof or bph-reseller), {} labels unknown to the snapshot\n\n",
        e.method,
        m.subjects,
        m.positives,
        e.unknown.len()
    );
    text += &format!(
        "{:<26} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
        "scorer", "ROC AUC", "PR AUC", "TPR@1%", "TPR@5%", "P@k", "Brier"
    );
    let row = |name: &str, m: &bphscore::train::Metrics| {
        format!(
            "{:<26} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            name,
            f(m.roc_auc),
            f(m.pr_auc),
            f(m.tpr_at_fpr_1),
            f(m.tpr_at_fpr_5),
            f(m.precision_at_k),
            f(m.brier)
        )
    };
    text += &row("model", m);
    for (name, b) in &e.baselines {
        text += &row(name, b);
    }
    text += "\nreliability (predicted → observed)\n";
    for b in m.reliability.iter().filter(|b| b.count > 0) {
        text += &format!(
            "  [{:.1}, {:.1})  n={:<6} predicted {:.3}  observed {:.3}\n",
            b.from, b.to, b.count, b.predicted, b.observed
        );
    }
    text += "\nconfusion (rows: label, columns: verdict)\n";
    text += &format!("{:<18}", "");
    for c in LABEL_CLASSES {
        text += &format!(" {:>17}", c.name());
    }
    text += "\n";
    for (c, counts) in LABEL_CLASSES.iter().zip(&e.confusion.counts) {
        text += &format!("{:<18}", c.name());
        for n in counts {
            text += &format!(" {n:>17}");
        }
        text += "\n";
    }
    out.write_all(text.as_bytes()).map_err(io_err)?;
    Ok(ExitCode::SUCCESS)
}
