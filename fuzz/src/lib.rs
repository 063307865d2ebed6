//! Checks shared by the fuzz targets.
//!
//! Each target feeds its input to one entry point of `bphscore` and asserts
//! what must hold whatever the bytes: no panic, errors that name a line of
//! the input, one output row per input line, scores that stay in range.

use std::net::IpAddr;
use std::sync::OnceLock;

use bphscore::source::{Format, Limits, Parser, Record};
use bphscore::{Asn, Detector, Error, Model, Snapshot, Subject};

/// Small limits, so that a hostile input cannot make one run slow.
pub fn limits() -> Limits {
    Limits::default()
        .max_line_len(4096)
        .max_records(100_000)
        .max_decompressed(4 << 20)
}

/// Counts lines the way the library's line reader does: split on `\n`, a
/// final line without a newline counts, an empty input has no lines.
pub fn count_lines(data: &[u8]) -> u64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    if data.is_empty() || data.ends_with(b"\n") {
        newlines
    } else {
        newlines + 1
    }
}

/// What one parse produced, comparable between two runs.
#[derive(Debug, PartialEq)]
pub struct Parsed {
    /// Every record, or the error text, in order.
    pub items: Vec<Result<Record, String>>,
    /// The date the source states.
    pub date: Option<i64>,
    /// Records returned.
    pub records: u64,
}

/// Parses `data` as `format` to the end, going on after errors as a
/// lenient caller does, and checks every item.
pub fn parse_all(format: Format, data: &[u8]) -> Parsed {
    let lines = count_lines(data);
    let mut parser = Parser::new("fuzz", format, data, limits());
    let mut items = Vec::new();
    let mut last_line = 0;
    let mut whole_source_error = false;
    for item in parser.by_ref() {
        assert!(!whole_source_error, "an item after a whole-source error");
        match item {
            Ok(record) => {
                check_record(&record);
                items.push(Ok(record));
            }
            // The end-of-source check (a stated record count that does not
            // match) concerns the whole source and comes last.
            Err(e @ Error::Parse { line: 0, .. }) => {
                assert!(e.line().is_none());
                let t = e.to_string();
                assert!(
                    t.contains("declares")
                        || t.contains("cut short")
                        || t.contains("no JSON document"),
                    "{e}"
                );
                whole_source_error = true;
                items.push(Err(e.to_string()));
            }
            Err(e) => {
                let line = match &e {
                    Error::Parse { line, .. } | Error::Limit { line, .. } => *line,
                    other => panic!("unexpected kind of error from a parser: {other:?}"),
                };
                assert!(
                    (1..=lines).contains(&line),
                    "error names line {line} of a {lines}-line input: {e}"
                );
                assert!(line >= last_line, "error lines go backwards: {e}");
                assert_eq!(e.line(), Some(line));
                last_line = line;
                items.push(Err(e.to_string()));
            }
        }
        // A JSON document may hold many records on one line.
        if json_document(format) {
            assert!(items.len() <= data.len() + 1, "more items than bytes");
        } else {
            assert!(items.len() as u64 <= lines + 1, "more items than lines");
        }
    }
    assert!(parser.next().is_none(), "a finished parser yields again");
    Parsed {
        items,
        date: parser.date(),
        records: parser.records(),
    }
}

/// Parses `data`, and when it has no `\r` and no long line, parses it again
/// with CRLF line ends: both must give the same records and errors.
pub fn parse_and_compare_crlf(format: Format, data: &[u8]) {
    let lf = parse_all(format, data);
    let longest = data
        .split(|&b| b == b'\n')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    if data.contains(&b'\r') || longest + 1 >= limits().line_len() {
        return;
    }
    let mut crlf = Vec::with_capacity(data.len() * 2);
    for &b in data {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    let crlf = parse_all(format, &crlf);
    assert_eq!(lf, crlf, "CRLF line ends change the result");
}

/// Formats read as JSON documents rather than line by line.
fn json_document(format: Format) -> bool {
    matches!(
        format,
        Format::FeodoJson | Format::ThreatfoxJson | Format::AbuseipdbJson
    )
}

fn check_record(record: &Record) {
    match record {
        Record::Indicator(i) => {
            assert!(i.last_seen >= bphscore::source::EARLIEST_TIME, "{i:?}");
            if let Some(f) = i.first_seen {
                assert!(
                    f >= bphscore::source::EARLIEST_TIME && f <= i.last_seen,
                    "{i:?}"
                );
            }
            return;
        }
        Record::DnsObservation(o) => {
            assert!(o.time_first >= bphscore::source::EARLIEST_TIME, "{o:?}");
            assert!(o.time_first <= o.time_last, "{o:?}");
            assert!(!o.rrname.ends_with('.'), "{o:?}");
            for a in &o.addrs {
                match (a, o.rrtype.as_str()) {
                    (IpAddr::V4(_), "A") | (IpAddr::V6(_), "AAAA") => {}
                    _ => panic!("address of the wrong family: {o:?}"),
                }
            }
            return;
        }
        _ => {}
    }
    let range = match record {
        Record::Route { range, .. }
        | Record::Country { range, .. }
        | Record::Listing { range, .. } => *range,
        Record::AsnListing { .. } => return,
        _ => return,
    };
    match (range.first(), range.last()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => assert!(a <= b, "reversed range {range}"),
        (IpAddr::V6(a), IpAddr::V6(b)) => assert!(a <= b, "reversed range {range}"),
        _ => panic!("range mixes families: {range}"),
    }
    let _ = range.to_string();
}

/// Subjects worth scoring against any snapshot: the edges of both address
/// families, the default world's networks, whole-space prefixes, and ASNs
/// at the edges.
pub fn fixed_subjects() -> Vec<Subject> {
    [
        "0.0.0.0",
        "255.255.255.255",
        "198.18.3.7",
        "198.18.200.200",
        "192.0.2.1",
        "100.64.1.1",
        "::",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db8:300::1",
        "::ffff:198.18.3.7",
        "0.0.0.0/0",
        "::/0",
        "198.18.0.0/15",
        "255.255.255.255/32",
        "2001:db8::/32",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
        "AS0",
        "AS64502",
        "AS65536",
        "AS4294967295",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect()
}

/// Subjects named in `data`: tokens that parse as an IP, a prefix or
/// `AS…` (at most `max`).
pub fn subjects_in(data: &[u8], max: usize) -> Vec<Subject> {
    String::from_utf8_lossy(data)
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '"' | '{' | '}' | ':' | '#'))
        .filter(|t| t.len() >= 3)
        .filter_map(|t| t.parse::<Subject>().ok())
        .take(max)
        .collect()
}

/// Scores `subjects` and checks that every score is in range.
///
/// Addresses are also looked up by the fast path ([`Detector::lookup`]),
/// with the first and last address of the snapshot's first intervals of
/// each family: the class, the probability (as `f32`) and the reasons
/// must be those of the full scoring.
pub fn score_all<S: AsRef<[u8]>>(detector: &Detector<S>, subjects: &[Subject]) {
    let snapshot = detector.snapshot();
    let v4 = snapshot
        .intervals_v4()
        .take(64)
        .flat_map(|r| [IpAddr::V4(*r.start()), IpAddr::V4(*r.end())]);
    let v6 = snapshot
        .intervals_v6()
        .take(64)
        .flat_map(|r| [IpAddr::V6(*r.start()), IpAddr::V6(*r.end())]);
    let addresses = subjects.iter().filter_map(|s| match s {
        Subject::Ip(ip) => Some(*ip),
        _ => None,
    });
    for ip in addresses.chain(v4).chain(v6) {
        let verdict = detector.lookup(ip);
        let score = detector.score_ip(ip);
        assert_eq!(verdict.class, score.class, "{ip}: class by lookup");
        assert_eq!(
            verdict.probability.to_bits(),
            (score.probability as f32).to_bits(),
            "{ip}: probability by lookup"
        );
        assert_eq!(detector.explain(&verdict), score.reasons, "{ip}: reasons");
    }
    for subject in subjects {
        let score = detector.score(subject);
        assert!(
            (0.0..=1.0).contains(&score.probability),
            "{subject}: probability {}",
            score.probability
        );
        assert!(score.reasons.len() <= bphscore::score::MAX_REASONS);
        for reason in score.reasons.iter() {
            let _ = reason.explain();
            let _ = reason.to_string();
        }
        if let Some(prefix) = score.prefix {
            let _ = prefix.to_string();
        }
        let _ = score.as_name.map(str::len);
    }
}

/// Reads everything a snapshot exposes.
pub fn inspect<S: AsRef<[u8]>>(snapshot: &Snapshot<S>) {
    let _ = snapshot.counts();
    let _ = (snapshot.build_time(), snapshot.as_of(), snapshot.checksum());
    let _ = snapshot.created_by().len();
    for source in snapshot.sources() {
        let _ = source.date_text();
        let _ = source.kind();
    }
}

/// The shipped model, parsed once per process (parsing it is a good part
/// of one run of the targets that build a detector).
pub fn model() -> Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(Model::default_model).clone()
}

/// The default world's detector, built once per process.
pub fn world() -> &'static Detector {
    static WORLD: OnceLock<Detector> = OnceLock::new();
    WORLD.get_or_init(|| Detector::default_world().expect("the default world builds"))
}

/// An AS subject.
pub fn asn(n: u32) -> Subject {
    Subject::Asn(Asn::new(n))
}
