//! Batch scoring of text lines: one output row per input line, in input
//! order, errors included.
//!
//! Input lines may mix IP addresses, prefixes and AS numbers. A line that
//! cannot be parsed (or is empty, too long or not UTF-8) yields an error row
//! carrying its line number; it is never dropped. Lines are read in chunks,
//! scored and formatted on all cores, and written in order, so memory stays
//! bounded whatever the input size.

use std::io::{BufRead, Write};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::score::{Detector, Score, fmt_value};
use crate::source::LineReader;
use crate::subject::Subject;

/// Output format of batch scoring.
///
/// ```
/// use bphscore::batch::OutputFormat;
/// assert_eq!("jsonl".parse::<OutputFormat>()?, OutputFormat::Jsonl);
/// assert!("xml".parse::<OutputFormat>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutputFormat {
    /// CSV with a header row.
    #[default]
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// An aligned table for people.
    Table,
}

impl std::str::FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "csv" => Ok(OutputFormat::Csv),
            "jsonl" | "json" => Ok(OutputFormat::Jsonl),
            "table" => Ok(OutputFormat::Table),
            other => Err(format!(
                "unknown output format {other:?}; expected csv, jsonl or table"
            )),
        }
    }
}

/// Options of batch scoring.
///
/// ```
/// use bphscore::batch::{BatchOptions, OutputFormat};
/// let options = BatchOptions::default().format(OutputFormat::Table).explain(true);
/// assert!(options.is_explain());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    format: OutputFormat,
    explain: bool,
    chunk_lines: usize,
    max_line_len: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            format: OutputFormat::Csv,
            explain: false,
            chunk_lines: 65_536,
            max_line_len: 4096,
        }
    }
}

impl BatchOptions {
    /// The output format.
    #[must_use]
    pub fn format(mut self, format: OutputFormat) -> Self {
        self.format = format;
        self
    }

    /// Writes each reason in full: sentence, source and date.
    #[must_use]
    pub fn explain(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    /// Lines scored together (memory use is proportional to it).
    #[must_use]
    pub fn chunk_lines(mut self, lines: usize) -> Self {
        self.chunk_lines = lines.max(1);
        self
    }

    /// Longest input line accepted, in bytes; longer lines become error rows.
    #[must_use]
    pub fn max_line_len(mut self, bytes: usize) -> Self {
        self.max_line_len = bytes.max(1);
        self
    }

    /// Whether reasons are written in full.
    pub fn is_explain(&self) -> bool {
        self.explain
    }

    /// The longest input line accepted, in bytes (default 4096).
    ///
    /// ```
    /// use bphscore::batch::BatchOptions;
    /// assert_eq!(BatchOptions::default().line_len(), 4096);
    /// assert_eq!(BatchOptions::default().max_line_len(64).line_len(), 64);
    /// ```
    pub fn line_len(&self) -> usize {
        self.max_line_len
    }
}

/// What a batch run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BatchSummary {
    /// Rows written (equal to input lines).
    pub rows: u64,
    /// Rows that are errors.
    pub errors: u64,
}

enum Input {
    Subject(String, Subject),
    Bad(String, String),
}

/// Scores every line of `input` and writes one row per line to `output`.
///
/// ```
/// use bphscore::{batch::{self, BatchOptions, OutputFormat}, Detector};
///
/// let detector = Detector::default_world()?;
/// let input = "AS64502\nnot-an-ip\n100.64.1.1\n";
/// let mut out = Vec::new();
/// let summary = batch::score_lines(&detector, input.as_bytes(), &mut out, BatchOptions::default())?;
/// assert_eq!((summary.rows, summary.errors), (3, 1));
/// let text = String::from_utf8(out)?;
/// let rows: Vec<&str> = text.lines().collect();
/// assert_eq!(rows.len(), 4); // header + 3
/// assert!(rows[1].starts_with("1,AS64502,asn,bulletproof,"));
/// assert!(rows[2].starts_with("2,not-an-ip,,error,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn score_lines<S, R, W>(
    detector: &Detector<S>,
    input: R,
    mut output: W,
    options: BatchOptions,
) -> Result<BatchSummary>
where
    S: AsRef<[u8]> + Sync,
    R: BufRead,
    W: Write,
{
    use rayon::prelude::*;

    let out_err = |e: std::io::Error| Error::io("<output>", e);
    let mut lines = LineReader::new("<input>", input, options.max_line_len);
    let mut summary = BatchSummary::default();
    if options.format == OutputFormat::Csv {
        output
            .write_all(
                b"line,input,kind,class,probability,prefix,asn,as_name,country,reasons,error\n",
            )
            .map_err(out_err)?;
    }
    if options.format == OutputFormat::Table {
        writeln!(
            output,
            "{:>5}  {:<22} {:<18} {:>7}  {:<9} {:<18} {:<20} top reason",
            "line", "input", "class", "prob", "asn", "as_name", "prefix"
        )
        .map_err(out_err)?;
    }
    let mut chunk: Vec<(u64, Input)> = Vec::with_capacity(options.chunk_lines.min(1 << 20));
    // A read error ends the input; the rows of the lines read before it are
    // written first, then the error is returned.
    let mut failed: Option<Error> = None;
    loop {
        chunk.clear();
        let mut eof = false;
        while chunk.len() < options.chunk_lines {
            match lines.next_line() {
                Ok(Some(text)) => {
                    let item = match text.parse::<Subject>() {
                        Ok(s) => Input::Subject(text.trim().to_owned(), s),
                        Err(e) => Input::Bad(text.trim().to_owned(), e.to_string()),
                    };
                    chunk.push((lines.line(), item));
                }
                Ok(None) => {
                    eof = true;
                    break;
                }
                Err(e @ (Error::Limit { .. } | Error::Parse { .. })) if e.line().is_some() => {
                    let message = match &e {
                        Error::Limit { limit, .. } => format!("line longer than {limit} bytes"),
                        Error::Parse { message, .. } => message.clone(),
                        _ => e.to_string(),
                    };
                    chunk.push((lines.line(), Input::Bad(String::new(), message)));
                }
                Err(e) => {
                    failed = Some(e);
                    eof = true;
                    break;
                }
            }
        }
        let blocks: Vec<Vec<u8>> = chunk
            .par_chunks(1024)
            .map(|rows| {
                let mut buf = Vec::with_capacity(rows.len() * 96);
                for (n, item) in rows {
                    match item {
                        Input::Subject(text, subject) => {
                            let score = detector.score(subject);
                            write_row(&mut buf, options, *n, text, Some(&score), None);
                        }
                        Input::Bad(text, message) => {
                            write_row(&mut buf, options, *n, text, None, Some(message));
                        }
                    }
                }
                buf
            })
            .collect();
        for b in &blocks {
            output.write_all(b).map_err(out_err)?;
        }
        summary.rows += chunk.len() as u64;
        summary.errors += chunk
            .iter()
            .filter(|(_, i)| matches!(i, Input::Bad(..)))
            .count() as u64;
        if eof {
            break;
        }
    }
    output.flush().map_err(out_err)?;
    match failed {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

#[derive(Serialize)]
struct JsonReason<'a> {
    feature: &'a str,
    value: f64,
    contribution: f64,
    text: String,
    source: Option<&'a str>,
    source_date: Option<String>,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    line: u64,
    input: &'a str,
    kind: Option<&'a str>,
    class: &'a str,
    probability: Option<f64>,
    prefix: Option<String>,
    asn: Option<u32>,
    as_name: Option<&'a str>,
    country: Option<&'a str>,
    reasons: Vec<JsonReason<'a>>,
    error: Option<&'a str>,
}

fn round4(p: f64) -> f64 {
    (p * 10_000.0).round() / 10_000.0
}

fn reasons_text(score: &Score<'_>, explain: bool) -> String {
    let parts: Vec<String> = score
        .reasons
        .iter()
        .map(|r| {
            if explain {
                r.explain()
            } else {
                format!("{}={}", r.feature, fmt_value(r.value))
            }
        })
        .collect();
    parts.join(if explain { " | " } else { "; " })
}

fn write_row(
    buf: &mut Vec<u8>,
    options: BatchOptions,
    line: u64,
    input: &str,
    score: Option<&Score<'_>>,
    error: Option<&str>,
) {
    match options.format {
        OutputFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            let record: [String; 11] = match score {
                Some(s) => [
                    line.to_string(),
                    input.to_owned(),
                    s.subject.kind().to_owned(),
                    s.class.to_string(),
                    format!("{:.4}", s.probability),
                    s.prefix.map(|p| p.to_string()).unwrap_or_default(),
                    s.asn.map(|a| a.get().to_string()).unwrap_or_default(),
                    s.as_name.unwrap_or_default().to_owned(),
                    s.country.map(|c| c.to_string()).unwrap_or_default(),
                    reasons_text(s, options.explain),
                    String::new(),
                ],
                None => [
                    line.to_string(),
                    input.to_owned(),
                    String::new(),
                    "error".to_owned(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    error.unwrap_or_default().to_owned(),
                ],
            };
            // Writing into a Vec cannot fail.
            let _ = w.write_record(&record);
            if let Ok(bytes) = w.into_inner() {
                buf.extend_from_slice(&bytes);
            }
        }
        OutputFormat::Jsonl => {
            let row = match score {
                Some(s) => JsonRow {
                    line,
                    input,
                    kind: Some(s.subject.kind()),
                    class: s.class.name(),
                    probability: Some(round4(s.probability)),
                    prefix: s.prefix.map(|p| p.to_string()),
                    asn: s.asn.map(|a| a.get()),
                    as_name: s.as_name,
                    country: s.country.as_ref().map(|c| c.as_str()),
                    reasons: s
                        .reasons
                        .iter()
                        .map(|r| JsonReason {
                            feature: r.feature.name(),
                            value: round4(r.value),
                            contribution: round4(r.contribution),
                            text: r.feature.describe(r.value),
                            source: r.source.map(|s| s.name.as_str()),
                            source_date: r.source.map(|s| s.date_text()),
                        })
                        .collect(),
                    error: None,
                },
                None => JsonRow {
                    line,
                    input,
                    kind: None,
                    class: "error",
                    probability: None,
                    prefix: None,
                    asn: None,
                    as_name: None,
                    country: None,
                    reasons: Vec::new(),
                    error,
                },
            };
            if serde_json::to_writer(&mut *buf, &row).is_ok() {
                buf.push(b'\n');
            }
        }
        OutputFormat::Table => {
            let text = match score {
                Some(s) => {
                    let top = s.reasons.first().map(|r| r.to_string()).unwrap_or_default();
                    let mut t = format!(
                        "{line:>5}  {:<22} {:<18} {:>7.4}  {:<9} {:<18} {:<20} {top}\n",
                        clip(input, 22),
                        s.class.name(),
                        s.probability,
                        s.asn.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
                        clip(s.as_name.unwrap_or("-"), 18),
                        s.prefix
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "-".into()),
                    );
                    if options.explain {
                        for r in s.reasons.iter() {
                            t.push_str(&format!(
                                "{:>7}{:+.2}  {}\n",
                                "",
                                r.contribution,
                                r.explain()
                            ));
                        }
                    }
                    t
                }
                None => format!(
                    "{line:>5}  {:<22} {:<18} {:>7}  {}\n",
                    clip(input, 22),
                    "error",
                    "-",
                    error.unwrap_or_default()
                ),
            };
            buf.extend_from_slice(text.as_bytes());
        }
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
