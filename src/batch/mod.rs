//! Batch scoring of text lines: one output row per input line, in input
//! order, errors included.
//!
//! Input lines may mix IP addresses, prefixes and AS numbers. A line that
//! cannot be parsed (or is empty, too long or not UTF-8) yields an error row
//! carrying its line number; it is never dropped. Lines are read in chunks,
//! scored and formatted on all cores, and written in order, so memory stays
//! bounded whatever the input size.

mod records;

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::score::{Detector, IntervalFacts, Score, fmt_value};
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
            chunk_lines: 2048,
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

    /// Lines scored together, per block (default 2,048; memory use is
    /// proportional to it). A block's rows should fit the CPU's
    /// second-level cache: with 65,536 lines a block, batch scoring ran a
    /// third slower.
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

/// One input line of a block: its text in the block's buffer, or the
/// reason it could not be read (too long, not UTF-8).
struct Item {
    start: u32,
    end: u32,
    error: Option<Box<str>>,
}

/// Consecutive input lines, scored together by one worker.
///
/// The reader fills `text` with whole lines, each ending in `\n` (an
/// overlong line cut to one byte over the limit) and counts them; the
/// worker splits them into `items`.
#[derive(Default)]
struct Block {
    seq: u64,
    first_line: u64,
    lines: usize,
    text: Vec<u8>,
    items: Vec<Item>,
    /// The rows, written by the worker; kept with the block so that its
    /// memory is reused rather than mapped afresh for every block.
    out: Vec<u8>,
}

/// A scored block, its rows in `block.out`, ready to write in sequence.
struct Done {
    seq: u64,
    ok: bool,
    rows: u64,
    errors: u64,
    block: Block,
}

/// Scores every line of `input` and writes one row per line to `output`.
///
/// Lines are read in blocks on the calling thread, scored and formatted by
/// one worker thread per core, and written in input order; at most a few
/// blocks per worker are in flight, so memory does not grow with the input.
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
    let out_err = |e: std::io::Error| Error::io("<output>", e);
    let mut lines = RawLines::new(input, options.max_line_len);
    let mut summary = BatchSummary::default();
    if options.format == OutputFormat::Csv {
        output.write_all(CSV_HEADER).map_err(out_err)?;
    }
    if options.format == OutputFormat::Table {
        writeln!(
            output,
            "{:>5}  {:<22} {:<18} {:>7}  {:<9} {:<18} {:<20} top reason",
            "line", "input", "class", "prob", "asn", "as_name", "prefix"
        )
        .map_err(out_err)?;
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cache = RowCache::new(detector, options);
    let (work_tx, work_rx) = std::sync::mpsc::sync_channel::<Block>(workers);
    let work_rx = std::sync::Mutex::new(work_rx);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
    let result = std::thread::scope(|scope| -> Result<()> {
        // Owned here, so that returning (at the end or on an error) closes
        // the channel and the workers stop before the scope joins them.
        let work_tx = work_tx;
        for _ in 0..workers {
            let (work_rx, done_tx, cache) = (&work_rx, done_tx.clone(), &cache);
            scope.spawn(move || {
                let mut writer = cache.writer();
                loop {
                    // A poisoned lock means another worker panicked; its
                    // block is reported as a failure by that worker.
                    let Ok(block) = work_rx.lock().map(|rx| rx.recv()) else {
                        break;
                    };
                    let Ok(mut block) = block else { break };
                    let mut out = std::mem::take(&mut block.out);
                    out.clear();
                    let mut errors = 0;
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        split_lines(&mut block, options.max_line_len);
                        errors =
                            score_block(detector, cache, &mut writer, options, &block, &mut out);
                    }));
                    block.out = out;
                    let done = Done {
                        seq: block.seq,
                        ok: result.is_ok(),
                        rows: block.lines as u64,
                        errors,
                        block,
                    };
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let max_in_flight = 2 * workers + 2;
        let (mut in_flight, mut next_seq, mut next_write) = (0usize, 0u64, 0u64);
        let mut pending = std::collections::BTreeMap::new();
        let mut spare: Vec<Block> = Vec::new();
        let mut eof = false;
        let mut failed: Option<Error> = None;
        loop {
            while !eof && in_flight < max_in_flight {
                let mut block = spare.pop().unwrap_or_default();
                block.seq = next_seq;
                block.first_line = lines.line + 1;
                eof = match lines.read_block(&mut block, options.chunk_lines) {
                    Ok(eof) => eof,
                    // A read error ends the input: the rows of the lines
                    // read before it are still scored and written, then
                    // the error is returned.
                    Err(e) => {
                        failed = Some(e);
                        true
                    }
                };
                if block.lines == 0 {
                    break;
                }
                next_seq += 1;
                in_flight += 1;
                if work_tx.send(block).is_err() {
                    return Err(worker_failed());
                }
            }
            if in_flight == 0 {
                return failed.map_or(Ok(()), Err);
            }
            let done = done_rx.recv().map_err(|_| worker_failed())?;
            pending.insert(done.seq, done);
            while let Some(done) = pending.remove(&next_write) {
                if !done.ok {
                    return Err(worker_failed());
                }
                output.write_all(&done.block.out).map_err(out_err)?;
                summary.rows += done.rows;
                summary.errors += done.errors;
                spare.push(done.block);
                next_write += 1;
                in_flight -= 1;
            }
        }
    });
    // The rows written before a read error reach the output too.
    output.flush().map_err(out_err)?;
    result.map(|()| summary)
}

fn worker_failed() -> Error {
    Error::io(
        "<batch>",
        std::io::Error::other("a scoring worker failed; no further rows were written"),
    )
}

/// The input, cut into blocks of whole lines on the calling thread with
/// as little work per line as possible (one `memchr` step and a count):
/// the bytes are copied a buffer at a time, and the workers split the
/// lines (see [`split_lines`]).
struct RawLines<R> {
    inner: R,
    max_len: usize,
    /// Lines read so far.
    line: u64,
    /// Bytes of the current, unfinished line so far (an overlong line keeps
    /// counting, but only its first `max_len + 1` bytes are kept).
    partial: usize,
    /// The unfinished line at the end of the last block, which opens the
    /// next.
    carry: Vec<u8>,
    done: bool,
}

impl<R: BufRead> RawLines<R> {
    fn new(inner: R, max_len: usize) -> Self {
        RawLines {
            inner,
            max_len: max_len.max(1),
            line: 0,
            partial: 0,
            carry: Vec::new(),
            done: false,
        }
    }

    /// Reads up to `max` lines into `block` (fewer when its text passes
    /// 16 MiB); true at the end of the input. On a read error, the lines
    /// read before it stay in the block and the unfinished line is dropped.
    fn read_block(&mut self, block: &mut Block, max: usize) -> Result<bool> {
        block.text.clear();
        block.items.clear();
        block.lines = 0;
        block.text.append(&mut self.carry);
        let keep = self.max_len.saturating_add(1);
        while !self.done {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    let whole = block.text.len() - self.partial.min(keep);
                    block.text.truncate(whole);
                    return Err(Error::io("<input>", e));
                }
            };
            if available.is_empty() {
                self.done = true;
                if self.partial > 0 {
                    block.text.push(b'\n');
                    block.lines += 1;
                    self.line += 1;
                    self.partial = 0;
                }
                break;
            }
            // Copy from `from`; a line's bytes past `keep` are skipped.
            let (mut from, mut pos, mut used) = (0, 0, available.len());
            for nl in memchr::memchr_iter(b'\n', available) {
                let len = self.partial + (nl - pos);
                if len >= keep {
                    // Overlong: keep its first `keep` bytes, then its end.
                    let kept_here = keep.saturating_sub(self.partial.min(keep));
                    block
                        .text
                        .extend_from_slice(&available[from..pos + kept_here.min(nl - pos)]);
                    from = nl;
                }
                self.partial = 0;
                pos = nl + 1;
                block.lines += 1;
                self.line += 1;
                if block.lines >= max {
                    used = pos;
                    break;
                }
            }
            if used == available.len() && pos < available.len() {
                // The rest is the start of an unfinished line.
                let rest = available.len() - pos;
                let kept = self.partial.min(keep);
                let room = keep - kept;
                block
                    .text
                    .extend_from_slice(&available[from..pos + room.min(rest)]);
                self.partial += rest;
            } else {
                block.text.extend_from_slice(&available[from..used]);
            }
            self.inner.consume(used);
            if block.lines >= max || block.text.len() >= 1 << 24 {
                break;
            }
        }
        // An unfinished line opens the next block.
        let whole = block.text.len() - self.partial.min(keep);
        if whole < block.text.len() {
            self.carry.extend_from_slice(&block.text[whole..]);
            block.text.truncate(whole);
        }
        Ok(self.done && self.carry.is_empty())
    }
}

/// Splits a block's text into its lines (without `\r\n` or `\n`); a line
/// longer than `max_len` (at least 1) becomes an error item.
fn split_lines(block: &mut Block, max_len: usize) {
    let max_len = max_len.max(1);
    block.items.clear();
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', &block.text) {
        let mut end = nl;
        let error = (end - start > max_len)
            .then(|| format!("line longer than {max_len} bytes").into_boxed_str());
        if error.is_none() && end > start && block.text[end - 1] == b'\r' {
            end -= 1;
        }
        block.items.push(Item {
            start: start as u32,
            end: end as u32,
            error,
        });
        start = nl + 1;
    }
}

/// Lines between two stages of [`score_block`]'s look-up pipeline: each
/// stage works this many lines ahead of the next, so that the memory a
/// stage asked for has arrived when the next stage reads it.
const DISTANCE: usize = 6;
/// Stages of the pipeline after the first (parse).
const STAGES: usize = 7;
/// Lines in flight, rounded up to a power of two.
const RING: usize = 64;
const _: () = assert!(RING > STAGES * DISTANCE && RING.is_power_of_two());

/// A line that the fast path scores: its address, where its text is in
/// the block, and what the look-up has found so far.
#[derive(Clone, Copy)]
struct FastLine {
    ip: std::net::IpAddr,
    text: (u32, u32),
    /// The candidates of an IPv4 search (stage 1).
    candidates: (usize, usize),
    /// The interval (stage 2).
    interval: usize,
    /// Whether the interval's row parts are still to be made (stage 3).
    fill: bool,
}

/// Scores the lines of `block` into `out`; returns the number of error rows.
///
/// For CSV, the canonical addresses (most of a typical input) go through a
/// pipeline of stages, each [`DISTANCE`] lines ahead of the next: parse and
/// prefetch the /20's entry points; find the search's candidates and
/// prefetch its first probe (IPv6: search, and prefetch the interval's
/// slot); search among the row cache's slots, which carry the keys;
/// prefetch the row parts, or when the interval has none yet, what making
/// them reads (cell number; cell and the cell's record handle; route; AS:
/// four stages in all); write the row. The
/// cache misses of one line's chain overlap those of the lines around it
/// instead of following each other, and every stage finds what it reads
/// already fetched. Other lines take the general
/// path at the last stage, so rows stay in input order.
fn score_block<'a, S: AsRef<[u8]>>(
    detector: &Detector<S>,
    cache: &'a RowCache,
    writer: &mut RowWriter<'a>,
    options: BatchOptions,
    block: &Block,
    out: &mut Vec<u8>,
) -> u64 {
    let mut errors = 0;
    let n = block.items.len();
    if options.format != OutputFormat::Csv {
        for k in 0..n {
            errors += score_general(detector, options, block, k, out);
        }
        return errors;
    }
    let base = block.text.as_ptr() as usize;
    let mut ring: [Option<FastLine>; RING] = [None; RING];
    // The line stage `s` works on when the first stage is at `j`.
    let at = |j: usize, s: usize| j.checked_sub(s * DISTANCE).filter(|&k| k < n);
    for j in 0..n + STAGES * DISTANCE {
        if j < n {
            let item = &block.items[j];
            let mut line = None;
            if item.error.is_none() {
                let raw = &block.text[item.start as usize..item.end as usize];
                if let Some((ip, text)) = parse_ip_in(raw, &block.text[item.start as usize..]) {
                    if let std::net::IpAddr::V4(a) = ip {
                        detector.prefetch_v4_index(a);
                    }
                    let at = (text.as_ptr() as usize - base) as u32;
                    line = Some(FastLine {
                        ip,
                        text: (at, at + text.len() as u32),
                        candidates: (0, 0),
                        interval: 0,
                        fill: false,
                    });
                }
            }
            ring[j % RING] = line;
        }
        if let Some(k) = at(j, 1)
            && let Some(line) = &mut ring[k % RING]
        {
            match line.ip {
                std::net::IpAddr::V4(a) => {
                    line.candidates = detector.candidates_v4(a);
                    cache.prefetch_v4_probe(line.candidates);
                }
                std::net::IpAddr::V6(a) => {
                    line.interval = detector.interval_v6(a);
                    cache.prefetch_entry(line.interval, true);
                }
            }
        }
        if let Some(k) = at(j, 2)
            && let Some(line) = &mut ring[k % RING]
            && let std::net::IpAddr::V4(a) = line.ip
        {
            // The search ends on the interval's slot in the row cache.
            line.interval = cache.search_v4(a, line.candidates);
        }
        if let Some(k) = at(j, 3)
            && let Some(line) = &mut ring[k % RING]
        {
            let v6 = line.ip.is_ipv6();
            line.fill = !cache.prefetch_parts(line.interval, v6);
            if line.fill {
                detector.snapshot().prefetch_scoring(line.interval, v6, 0);
            }
        }
        // The row parts still to be made: the scoring chain, step by step.
        for step in 1..4u8 {
            if let Some(k) = at(j, 3 + usize::from(step))
                && let Some(line) = &ring[k % RING]
                && line.fill
            {
                let v6 = line.ip.is_ipv6();
                detector
                    .snapshot()
                    .prefetch_scoring(line.interval, v6, step);
                if step == 1 && !v6 {
                    cache.prefetch_cell(detector, line.interval);
                }
            }
        }
        if let Some(k) = at(j, 7) {
            match &ring[k % RING] {
                Some(f) => {
                    let text = &block.text[f.text.0 as usize..f.text.1 as usize];
                    let number = block.first_line + k as u64;
                    cache.write_ip_row(detector, writer, out, number, text, f.ip, f.interval);
                }
                None => errors += score_general(detector, options, block, k, out),
            }
        }
    }
    errors
}

/// Scores line `k` of `block` by the general path (any subject, any
/// format, error rows); returns 1 for an error row, else 0.
fn score_general<S: AsRef<[u8]>>(
    detector: &Detector<S>,
    options: BatchOptions,
    block: &Block,
    k: usize,
    out: &mut Vec<u8>,
) -> u64 {
    let item = &block.items[k];
    let line = block.first_line + k as u64;
    let raw = &block.text[item.start as usize..item.end as usize];
    if let Some(message) = &item.error {
        write_row(out, options, line, "", None, Some(message));
        return 1;
    }
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t.trim(),
        Err(e) => {
            let message = format!("invalid UTF-8 at byte {} of the line", e.valid_up_to());
            write_row(out, options, line, "", None, Some(&message));
            return 1;
        }
    };
    match text.parse::<Subject>() {
        Ok(subject) => {
            let score = detector.score(&subject);
            write_row(out, options, line, text, Some(&score), None);
            0
        }
        Err(e) => {
            write_row(out, options, line, text, None, Some(&e.to_string()));
            1
        }
    }
}

const CSV_HEADER: &[u8] =
    b"line,input,kind,class,probability,prefix,asn,as_name,country,reasons,error\n";

/// An address that [`Subject`]'s parser reads to the same address, with
/// its trimmed text, which needs no CSV quoting: a canonical dotted quad
/// (read here from the bytes), or text of hexadecimal digits, colons and
/// dots that the standard library reads as an IPv6 address.
fn parse_ip(line: &[u8]) -> Option<(std::net::IpAddr, &[u8])> {
    if let Some((ip, text)) = parse_ipv4(line) {
        return Some((ip.into(), text));
    }
    let text = line.trim_ascii();
    if !text.contains(&b':')
        || !text
            .iter()
            .all(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.')
    {
        return None;
    }
    // Only ASCII remains.
    let ip: std::net::Ipv6Addr = std::str::from_utf8(text).ok()?.parse().ok()?;
    Some((ip.into(), text))
}

/// [`parse_ip`] for line `raw`, which starts `window` (the line and the
/// bytes after it in the block): a canonical dotted quad with no blank
/// around it, when 16 bytes can be read from its start, is read 16 bytes at
/// once by [`parse_ipv4_wide`]; anything else by [`parse_ip`].
#[inline]
fn parse_ip_in<'a>(raw: &'a [u8], window: &[u8]) -> Option<(std::net::IpAddr, &'a [u8])> {
    if let Some(w) = window.first_chunk::<16>()
        && let Some(ip) = parse_ipv4_wide(w, raw.len())
    {
        return Some((ip.into(), raw));
    }
    parse_ip(raw)
}

/// The dotted quad in the first `n` bytes of `w`, in canonical form (as
/// [`parse_ipv4`] accepts it with no blank around it), read with the bytes
/// as lanes of one 128-bit word: no branch depends on the digits, so
/// addresses whose octets vary in length cost no mispredictions. `None`
/// for anything else.
#[inline]
fn parse_ipv4_wide(w: &[u8; 16], n: usize) -> Option<std::net::Ipv4Addr> {
    const ONES: u128 = u128::MAX / 0xff;
    const HIGH: u128 = ONES * 0x80;
    const LOW7: u128 = ONES * 0x7f;
    if !(7..=15).contains(&n) {
        return None;
    }
    let x = u128::from_le_bytes(*w);
    // Per byte, exact (no carry crosses a lane): the high bit says whether
    // the byte is a digit, or a dot.
    let low = x & LOW7;
    let ascii = !x & HIGH;
    let digit = (low + ONES * (0x80 - 0x30)) & !(low + ONES * (0x80 - 0x3a)) & ascii;
    let y = x ^ (ONES * u128::from(b'.'));
    let dot = !(((y & LOW7) + LOW7) | y) & HIGH;
    let lanes = HIGH & ((1u128 << (8 * n)) - 1);
    let dots = dot & lanes;
    if (digit | dots) & lanes != lanes || dots.count_ones() != 3 {
        return None;
    }
    // Dot positions, then each octet's start and length.
    let p1 = dots.trailing_zeros() / 8;
    let rest = dots & (dots - 1);
    let p2 = rest.trailing_zeros() / 8;
    let p3 = (rest & (rest - 1)).trailing_zeros() / 8;
    let values = x & (ONES * 0x0f);
    let octet = |start: u32, len: u32| -> (u32, bool) {
        // The octet's digits, right-aligned into three lanes.
        let d = ((values >> (8 * start)) as u32) & (u32::MAX >> (32 - 8 * len.clamp(1, 3)));
        let d = d << (8 * (3 - len.clamp(1, 3)));
        let v = (d & 0xff) * 100 + ((d >> 8) & 0xff) * 10 + ((d >> 16) & 0xff);
        let first = (values >> (8 * start)) as u32 & 0xff;
        let ok = (1..=3).contains(&len) && v <= 255 && (len == 1 || first != 0);
        (v, ok)
    };
    let n = n as u32;
    let (a, ok_a) = octet(0, p1);
    let (b, ok_b) = octet(p1 + 1, p2.wrapping_sub(p1 + 1));
    let (c, ok_c) = octet(p2 + 1, p3.wrapping_sub(p2 + 1));
    let (d, ok_d) = octet(p3 + 1, n.wrapping_sub(p3 + 1));
    (ok_a & ok_b & ok_c & ok_d).then(|| std::net::Ipv4Addr::from(a << 24 | b << 16 | c << 8 | d))
}

/// A dotted-quad IPv4 address in its canonical form (1 to 3 digits per
/// octet, no leading zero), between ASCII blanks, with its text; `None` for
/// anything else, which then takes the general parser. It accepts a subset
/// of what the general parser accepts (after the same trimming) and reads
/// it to the same address.
fn parse_ipv4(line: &[u8]) -> Option<(std::net::Ipv4Addr, &[u8])> {
    let mut b = line;
    while let [first, rest @ ..] = b
        && first.is_ascii_whitespace()
    {
        b = rest;
    }
    while let [rest @ .., last] = b
        && last.is_ascii_whitespace()
    {
        b = rest;
    }
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let mut ip: u32 = 0;
    let mut octets = 0;
    let mut i = 0;
    while i < b.len() {
        let d0 = b[i].wrapping_sub(b'0');
        if d0 > 9 {
            return None;
        }
        let mut v = u32::from(d0);
        i += 1;
        let mut digits = 1;
        while i < b.len() && digits < 3 {
            let d = b[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v * 10 + u32::from(d);
            i += 1;
            digits += 1;
        }
        if v > 255 || (digits > 1 && d0 == 0) {
            return None;
        }
        ip = (ip << 8) | v;
        octets += 1;
        if i < b.len() {
            if b[i] != b'.' || octets == 4 {
                return None;
            }
            i += 1;
            if i == b.len() {
                return None;
            }
        }
    }
    (octets == 4).then_some((std::net::Ipv4Addr::from(ip), b))
}

/// The parts of a CSV row shared by every address of one interval of the
/// snapshot (all but the line number, the input and the prefix), as one
/// record of a [`records::Records`] table:
///
/// - byte 0: 1 when the interval has a route, whose first and last address
///   follow (big-endian: 4 bytes each for IPv4, 16 for IPv6), else 0 (and
///   always 0 in the rows of IPv4 intervals, whose routes are kept apart so
///   that intervals can share a record: see [`RowCache`]);
/// - then two bytes, the length `h` of the head (little-endian);
/// - then the head, `kind,class,probability,`, of `h` bytes;
/// - then the tail, `,asn,as_name,country,reasons,` and the line end.
struct RowParts<'a> {
    route: Option<(u128, u128)>,
    head: &'a [u8],
    tail: &'a [u8],
}

impl<'a> RowParts<'a> {
    /// Writes the record of the parts into `b` (cleared first).
    fn build(
        b: &mut Vec<u8>,
        v6: bool,
        route: Option<(u128, u128)>,
        head: impl FnOnce(&mut Vec<u8>),
        tail: impl FnOnce(&mut Vec<u8>),
    ) {
        b.clear();
        b.push(u8::from(route.is_some()));
        if let Some((start, end)) = route {
            if v6 {
                b.extend_from_slice(&start.to_be_bytes());
                b.extend_from_slice(&end.to_be_bytes());
            } else {
                b.extend_from_slice(&(start as u32).to_be_bytes());
                b.extend_from_slice(&(end as u32).to_be_bytes());
            }
        }
        let at = b.len();
        b.extend_from_slice(&[0, 0]);
        head(b);
        // A head is a few dozen bytes.
        let h = (b.len() - at - 2).min(usize::from(u16::MAX)) as u16;
        b[at..at + 2].copy_from_slice(&h.to_le_bytes());
        tail(b);
    }

    /// Reads a record that [`build`](Self::build) wrote for the family.
    #[inline]
    fn read(record: &'a [u8], v6: bool) -> Option<Self> {
        let (&flag, rest) = record.split_first()?;
        let (route, rest) = match (flag, v6) {
            (0, _) => (None, rest),
            (_, false) => {
                let (r, rest) = rest.split_first_chunk::<8>()?;
                let [a, b] = [&r[..4], &r[4..]]
                    .map(|x| u128::from(u32::from_be_bytes([x[0], x[1], x[2], x[3]])));
                (Some((a, b)), rest)
            }
            (_, true) => {
                let (r, rest) = rest.split_first_chunk::<32>()?;
                let (a, b) = r.split_at(16);
                let at = |x: &[u8]| {
                    let mut y = [0u8; 16];
                    y.copy_from_slice(x);
                    u128::from_be_bytes(y)
                };
                (Some((at(a), at(b))), rest)
            }
        };
        let (h, rest) = rest.split_first_chunk::<2>()?;
        let (head, tail) = rest.split_at_checked(usize::from(u16::from_le_bytes(*h)))?;
        Some(RowParts { route, head, tail })
    }
}

/// CSV row parts per interval, made on first use. Every address of an
/// interval has the same score but for its prefix, so the formatting of
/// the rest (reasons, names, numbers) is done once per interval.
///
/// An IPv6 record carries its interval's route. An IPv4 record does not:
/// the route of IPv4 interval `i` is in `v4_routes[i]`, so that intervals
/// whose rows read the same share one record, stored once per worker and
/// found by [`text_key`] without formatting it again. On the synthetic
/// benchmark world (10 M query lines) peak memory fell from 217 to 187 MiB
/// with it; the time did not change measurably.
struct RowCache {
    options: BatchOptions,
    v4: records::Records,
    v6: records::Records,
    /// Per IPv4 interval, its route's first and last address (`start << 32
    /// | end`, [`NO_V4_ROUTE`] for none): set before the interval's record
    /// is published, read after.
    v4_routes: Box<[AtomicU64]>,
    /// Per cell of the snapshot, the handle of an IPv4 record made for an
    /// interval of that cell (0 for none yet): the row parts are a function
    /// of the cell, so the other intervals of the cell name the same
    /// record without scoring (a quarter of the IPv4 intervals of the
    /// synthetic benchmark world).
    v4_cells: Box<[AtomicU64]>,
}

/// No route: a first address past the last.
const NO_V4_ROUTE: u64 = 1 << 32;

/// What one worker keeps between rows: where it appends new row parts,
/// and a buffer to make them in.
struct RowWriter<'a> {
    v4: records::Writer<'a>,
    v6: records::Writer<'a>,
    scratch: Vec<u8>,
    memo: crate::score::EvalMemo,
}

/// Feature vectors whose evaluation a worker keeps (about 430 bytes
/// each, 28 MiB at most; the synthetic benchmark world met 33,000 per
/// worker).
const MEMO_VECTORS: usize = 1 << 16;

impl RowCache {
    fn new<S: AsRef<[u8]>>(detector: &Detector<S>, options: BatchOptions) -> Self {
        let counts = detector.snapshot().counts();
        let n = |n: usize| {
            if options.format == OutputFormat::Csv {
                n
            } else {
                0
            }
        };
        RowCache {
            options,
            // The IPv4 slots carry the detector's search keys, so that the
            // search ends on the slot.
            v4: records::Records::new(n(counts.v4_intervals), |i| detector.v4_key_bits(i)),
            v6: records::Records::new(n(counts.v6_intervals), |_| 0),
            v4_routes: (0..n(counts.v4_intervals))
                .map(|_| AtomicU64::new(NO_V4_ROUTE))
                .collect(),
            v4_cells: (0..n(counts.cells)).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn writer(&self) -> RowWriter<'_> {
        RowWriter {
            v4: self.v4.writer(),
            v6: self.v6.writer(),
            scratch: Vec::with_capacity(256),
            memo: crate::score::EvalMemo::new(MEMO_VECTORS),
        }
    }

    fn table(&self, v6: bool) -> &records::Records {
        if v6 { &self.v6 } else { &self.v4 }
    }

    /// Prefetches the slot of interval `i`.
    #[inline]
    fn prefetch_entry(&self, i: usize, v6: bool) {
        self.table(v6).prefetch_slot(i);
    }

    /// Prefetches the first probe of the search for an IPv4 address among
    /// its candidates (by [`Detector::candidates_v4`]).
    #[inline]
    fn prefetch_v4_probe(&self, (lo, hi): (usize, usize)) {
        self.v4.prefetch_slot(crate::score::first_probe(lo, hi));
    }

    /// The interval of an IPv4 address among its candidates, by the keys
    /// of the IPv4 slots (the detector's own).
    #[inline]
    fn search_v4(&self, ip: std::net::Ipv4Addr, candidates: (usize, usize)) -> usize {
        crate::score::search_v4_slots(self.v4.slots(), u32::from(ip), candidates)
    }

    /// Prefetches interval `i`'s row parts, when they are made (the slot's
    /// line should be in the cache by now); false when they are not.
    #[inline]
    fn prefetch_parts(&self, i: usize, v6: bool) -> bool {
        if !v6 {
            crate::score::prefetch(self.v4_routes.as_ptr().wrapping_add(i));
        }
        self.table(v6).prefetch_record(i)
    }

    /// Prefetches the cell record handle of IPv4 interval `i` (whose cell
    /// number should be in the cache by now).
    #[inline]
    fn prefetch_cell<S: AsRef<[u8]>>(&self, detector: &Detector<S>, i: usize) {
        if i < self.v4_routes.len() {
            let c = detector.snapshot().interval_cell_number(i, false);
            crate::score::prefetch(self.v4_cells.as_ptr().wrapping_add(c));
        }
    }

    /// Keeps the route of IPv4 interval `i`, before its record is
    /// published.
    #[inline]
    fn set_v4_route(&self, i: usize, route: Option<(u128, u128)>) {
        if let (Some((start, end)), Some(slot)) = (route, self.v4_routes.get(i)) {
            // IPv4: both fit 32 bits.
            slot.store((start as u64) << 32 | end as u64, Ordering::Relaxed);
        }
    }

    /// The route of IPv4 interval `i`, once its record is published.
    #[inline]
    fn v4_route(&self, i: usize) -> Option<(u128, u128)> {
        let bits = self.v4_routes.get(i)?.load(Ordering::Relaxed);
        let (start, end) = (bits >> 32, bits & 0xffff_ffff);
        (start <= end).then_some((u128::from(start), u128::from(end)))
    }

    /// Writes the row of an address whose input text needs no quoting;
    /// `i` is its interval (by [`Detector::interval_v4`] or `_v6`).
    #[allow(clippy::too_many_arguments)]
    fn write_ip_row<'a, S: AsRef<[u8]>>(
        &'a self,
        detector: &Detector<S>,
        writer: &mut RowWriter<'a>,
        out: &mut Vec<u8>,
        line: u64,
        input: &[u8],
        ip: std::net::IpAddr,
        i: usize,
    ) {
        let v6 = ip.is_ipv6();
        let record = self.table(v6).get(i);
        // Without a record: the interval's cell, whose record may have been
        // made for another interval.
        let cell = (record.is_none() && !v6)
            .then(|| detector.snapshot().interval_cell_number(i, false))
            .filter(|&c| c < self.v4_cells.len());
        let (record, v4_route) = match record {
            // The acquire load of the slot in `get` makes the route stored
            // before its publication visible.
            Some(r) => (Some(r), if v6 { None } else { self.v4_route(i) }),
            None if let Some(handle) = cell
                .map(|c| self.v4_cells[c].load(Ordering::Acquire))
                .filter(|&h| h != 0) =>
            {
                let route = detector.interval_route(i, false);
                self.set_v4_route(i, route);
                (writer.v4.put_handle(i, handle), route)
            }
            None => {
                let facts = detector.interval_facts(i, v6);
                let e = detector.evaluate_facts(&facts, Some(&mut writer.memo));
                let route = facts.route;
                let explain = self.options.explain;
                // An IPv6 record carries its route; IPv4 routes are kept
                // apart, in `v4_routes`.
                let record_route = if v6 { route } else { None };
                // The score is made only with its row's parts: not for a
                // record met before under its key.
                let make = |b: &mut Vec<u8>| {
                    let score = detector.score_facts(ip, &facts, e);
                    RowParts::build(
                        b,
                        v6,
                        record_route,
                        |out| csv_head(out, &score),
                        |out| csv_tail(out, &score, explain),
                    );
                };
                if v6 {
                    make(&mut writer.scratch);
                    (writer.v6.put(i, &writer.scratch), None)
                } else {
                    self.set_v4_route(i, route);
                    let key = text_key(&facts, writer.memo.last()).filter(|_| !explain);
                    let record = match key {
                        Some(key) => {
                            let record = writer.v4.put_keyed(i, key, &mut writer.scratch, make);
                            // A record met before under its key was not made
                            // into the scratch buffer, which the row falls
                            // back on without a table.
                            if record.is_none() {
                                make(&mut writer.scratch);
                            }
                            record
                        }
                        None => {
                            make(&mut writer.scratch);
                            writer.v4.put_shared(i, &writer.scratch)
                        }
                    };
                    // Release: the record's bytes before its handle.
                    if let (Some(c), Some(handle)) = (cell, self.v4.handle(i)) {
                        self.v4_cells[c].store(handle, Ordering::Release);
                    }
                    (record, route)
                }
            }
        };
        // Without memory for the table, the parts just made serve this row.
        let parts = record
            .or(Some(&writer.scratch[..]))
            .and_then(|r| RowParts::read(r, v6));
        let Some(mut parts) = parts else { return };
        if !v6 {
            parts.route = v4_route;
        }
        out.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
        out.push(b',');
        out.extend_from_slice(input);
        out.push(b',');
        out.extend_from_slice(parts.head);
        if let Some((start, end)) = parts.route {
            let (bits, a) = crate::snapshot::ip_to_u128(ip);
            let (net, len) = crate::snapshot::largest_block(start, end, bits, a);
            if a {
                let net = crate::snapshot::to_network(net, len, true);
                // Writing into a Vec cannot fail.
                let _ = write!(out, "{net}");
            } else {
                write_ipv4_prefix(out, net as u32, len);
            }
        }
        out.extend_from_slice(parts.tail);
    }
}

/// What an IPv4 row's parts (without its reasons written in full) are a
/// function of: the feature vector (numbered by the worker's
/// [`EvalMemo`](crate::score::EvalMemo), which gives the probability, the
/// class and the reasons), the AS (number and name) and the country; or,
/// for a range the snapshot knows nothing of, the country alone. `None`
/// when the vector has no number (the memo is full).
fn text_key(facts: &IntervalFacts<'_>, vector: Option<u32>) -> Option<u128> {
    let tag = if facts.known {
        u128::from(vector?) + 1
    } else {
        0
    };
    let asn = facts.asv.map_or(0, |a| (1 << 32) | u128::from(a.asn));
    let country = facts.country.map_or(0, |c| {
        let b = c.as_str().as_bytes();
        (1 << 16) | u128::from(b[0]) << 8 | u128::from(b[1])
    });
    Some(tag << 64 | asn << 17 | country)
}

/// `a.b.c.d/len`, as `IpNetwork`'s `Display` writes it, into a fixed
/// buffer first (one copy into `out`).
fn write_ipv4_prefix(out: &mut Vec<u8>, net: u32, len: u8) {
    let mut buf = [0u8; 20];
    let mut n = 0;
    for (k, v) in net.to_be_bytes().into_iter().chain([len]).enumerate() {
        let [digits, d0, d1, d2] = DECIMAL[usize::from(v)];
        buf[n..n + 3].copy_from_slice(&[d0, d1, d2]);
        n += usize::from(digits);
        buf[n] = if k < 3 { b'.' } else { b'/' };
        n += 1;
    }
    out.extend_from_slice(&buf[..n - 1]);
}

/// Each byte value in decimal: the digit count, then the digits.
const DECIMAL: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut v = 0;
    while v < 256 {
        let (h, d, u) = ((v / 100) as u8, ((v / 10) % 10) as u8, (v % 10) as u8);
        t[v] = if v >= 100 {
            [3, b'0' + h, b'0' + d, b'0' + u]
        } else if v >= 10 {
            [2, b'0' + d, b'0' + u, 0]
        } else {
            [1, b'0' + u, 0, 0]
        };
        v += 1;
    }
    t
};

/// Writes `field` as CSV: quoted when it holds a comma, a quote or a line
/// end, with quotes doubled (RFC 4180, as the `csv` crate writes it).
fn csv_field(out: &mut Vec<u8>, field: &str) {
    if field
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for b in field.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
}

/// `kind,class,probability,`
fn csv_head(out: &mut Vec<u8>, s: &Score<'_>) {
    csv_field(out, s.subject.kind());
    out.push(b',');
    csv_field(out, s.class.name());
    out.push(b',');
    crate::number::write_fixed(out, s.probability, 4);
    out.push(b',');
}

/// `,asn,as_name,country,reasons,` (no error) and the line end.
fn csv_tail(out: &mut Vec<u8>, s: &Score<'_>, explain: bool) {
    out.push(b',');
    if let Some(a) = s.asn {
        out.extend_from_slice(itoa::Buffer::new().format(a.get()).as_bytes());
    }
    out.push(b',');
    csv_field(out, s.as_name.unwrap_or_default());
    out.push(b',');
    if let Some(c) = s.country {
        csv_field(out, c.as_str());
    }
    out.push(b',');
    if explain {
        csv_field(out, &reasons_text(s, explain));
    } else {
        // `feature=value; …`: names and numbers need no quoting.
        for (i, r) in s.reasons.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(r.feature.name().as_bytes());
            out.push(b'=');
            crate::number::write_value(out, r.value);
        }
    }
    out.extend_from_slice(b",\n");
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
            buf.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
            buf.push(b',');
            csv_field(buf, input);
            buf.push(b',');
            match score {
                Some(s) => {
                    csv_head(buf, s);
                    if let Some(p) = s.prefix {
                        buf.extend_from_slice(p.to_string().as_bytes());
                    }
                    csv_tail(buf, s, options.explain);
                }
                None => {
                    buf.extend_from_slice(b",error,,,,,,,");
                    csv_field(buf, error.unwrap_or_default());
                    buf.push(b'\n');
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line, in order, as the blocks of [`RawLines`] and
    /// [`split_lines`] give it: its number and text, or its error.
    fn lines_by_blocks(
        input: &[u8],
        capacity: usize,
        max_lines: usize,
        max_len: usize,
    ) -> Vec<(u64, Result<Vec<u8>, String>)> {
        let reader = std::io::BufReader::with_capacity(capacity, input);
        let mut raw = RawLines::new(reader, max_len);
        let mut out = Vec::new();
        let mut block = Block::default();
        loop {
            block.first_line = raw.line + 1;
            let eof = raw.read_block(&mut block, max_lines).expect("in memory");
            assert!(block.lines <= max_lines);
            split_lines(&mut block, max_len);
            assert_eq!(block.items.len(), block.lines);
            for (k, item) in block.items.iter().enumerate() {
                let text = block.text[item.start as usize..item.end as usize].to_vec();
                let row = match &item.error {
                    Some(e) => Err(e.to_string()),
                    None => Ok(text),
                };
                out.push((block.first_line + k as u64, row));
            }
            if eof {
                return out;
            }
        }
    }

    /// The same, line by line through the sources' line reader.
    fn lines_one_by_one(input: &[u8], max_len: usize) -> Vec<(u64, Result<Vec<u8>, String>)> {
        let mut lines = crate::source::LineReader::new("<input>", input, max_len);
        let mut out = Vec::new();
        loop {
            match lines.next_line_bytes() {
                Ok(Some(text)) => {
                    let text = text.to_vec();
                    out.push((lines.line(), Ok(text)));
                }
                Ok(None) => return out,
                Err(e) => out.push((
                    lines.line(),
                    Err(match e {
                        Error::Limit { limit, .. } => format!("line longer than {limit} bytes"),
                        other => other.to_string(),
                    }),
                )),
            }
        }
    }

    /// Blocks cut lines as the line reader does, whatever the buffer size,
    /// the block size and where lines, `\r\n` and overlong lines fall.
    #[test]
    fn blocks_hold_the_same_lines_as_the_line_reader() {
        let inputs: [&[u8]; 7] = [
            b"",
            b"\n",
            b"192.0.2.1\n198.51.100.7\r\nAS64500",
            b"a\n\n\nbb\r\n\r\nccc\n",
            b"short\nthis line is far too long for the limit\nok\nanother overlong line here\r\nend",
            b"overlong at the very end without a newline",
            b"\r\n\r\r\nx\ry\n",
        ];
        for input in inputs {
            for max_len in [0, 1, 3, 8, 4096] {
                let expected = lines_one_by_one(input, max_len);
                for capacity in 1..=9 {
                    for max_lines in [1, 2, 3, 1000] {
                        assert_eq!(
                            lines_by_blocks(input, capacity, max_lines, max_len),
                            expected,
                            "{:?}, buffer {capacity}, {max_lines} lines a block, limit {max_len}",
                            String::from_utf8_lossy(input)
                        );
                    }
                }
            }
        }
    }

    /// The fast IPv4 reader accepts only what the general parser reads to
    /// the same address, after the same trimming.
    #[test]
    fn fast_ipv4_parser_is_a_subset_of_the_general_one() {
        let mut cases: Vec<String> = [
            "0.0.0.0",
            "255.255.255.255",
            "192.0.2.1",
            " 192.0.2.1\t",
            "\u{b}192.0.2.1",
            "192.0.2.1\u{a0}",
            "01.2.3.4",
            "1.2.3.04",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4/32",
            "1234.1.1.1",
            "1.2.3.4 5",
            "",
            "   ",
            "١.٢.٣.٤",
            "AS64500",
            "::1",
            "1.2.3.4\r",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every short string over the alphabet of addresses.
        let alphabet = ['0', '1', '2', '5', '9', '.', ' '];
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..50_000 {
            let mut s = String::new();
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let len = 6 + (rng % 12) as usize;
            let mut r = rng;
            for _ in 0..len {
                s.push(alphabet[(r % alphabet.len() as u64) as usize]);
                r /= alphabet.len() as u64;
                if r == 0 {
                    r = rng.rotate_left(17) | 1;
                }
            }
            cases.push(s);
        }
        // Addresses with perturbations: leading zeros, blanks, extra parts.
        for k in 0..20_000u32 {
            let a = k.wrapping_mul(2_654_435_761).to_be_bytes();
            let octet = |j: usize| match (k >> j) % 7 {
                0 => format!("0{}", a[j]),
                1 => format!("{}", u16::from(a[j]) + 200),
                _ => a[j].to_string(),
            };
            let body = format!("{}.{}.{}.{}", octet(0), octet(1), octet(2), octet(3));
            cases.push(match k % 5 {
                0 => format!(" {body} "),
                1 => format!("{body}.1"),
                _ => body,
            });
        }
        let mut accepted = 0;
        cases.extend(
            [
                "::",
                "::1",
                "2001:db8::1",
                " 2001:DB8::1 ",
                "::ffff:1.2.3.4",
                "1:2:3",
                "2001:db8::g",
                ":::",
            ]
            .map(String::from),
        );
        for case in &cases {
            if let Some((ip, text)) = parse_ip(case.as_bytes()) {
                let general: Subject = case.parse().expect("the general parser accepts it");
                assert_eq!(general, Subject::Ip(ip), "{case:?}");
                assert_eq!(text, case.trim().as_bytes(), "{case:?}");
            }
            // The wide reader, with bytes of other lines after the text.
            for pad in [
                &b"\n1.2.3.4\n5.6.7.8\n"[..],
                b"................",
                b"9999999999999999",
            ] {
                let mut window = case.as_bytes().to_vec();
                window.extend_from_slice(pad);
                let wide = parse_ip_in(case.as_bytes(), &window);
                assert_eq!(wide, parse_ip(case.as_bytes()), "{case:?}");
                if let Some(w) = window.first_chunk::<16>() {
                    let plain = parse_ipv4(case.as_bytes())
                        .filter(|(_, text)| text.len() == case.len())
                        .map(|(ip, _)| ip);
                    assert_eq!(parse_ipv4_wide(w, case.len()), plain, "{case:?}");
                }
            }
            if let Some((ip, text)) = parse_ipv4(case.as_bytes()) {
                accepted += 1;
                let general: Subject = case.parse().expect("the general parser accepts it");
                assert_eq!(general, Subject::Ip(ip.into()), "{case:?}");
                assert_eq!(text, case.trim().as_bytes(), "{case:?}");
            }
        }
        assert!(accepted > 1000, "only {accepted} accepted");
        assert!(parse_ipv4(b"192.0.2.1").is_some());
        assert!(parse_ipv4(b"01.2.3.4").is_none());
    }

    /// Fields are quoted exactly as the `csv` crate quotes them.
    #[test]
    fn csv_fields_match_the_csv_crate() {
        for field in [
            "",
            "plain",
            "a,b",
            "say \"hi\"",
            "line\nbreak",
            "cr\rhere",
            "  spaced  ",
            "'x'",
            "#hash",
            "tab\there",
            "ünïcode, too",
            "\"",
        ] {
            let mut ours = Vec::new();
            csv_field(&mut ours, field);
            ours.extend_from_slice(b",x\n");
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([field, "x"]).expect("write");
            let theirs = w.into_inner().expect("flush");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }

    #[test]
    fn ipv4_prefixes_are_written_as_ipnetwork_writes_them() {
        for (net, len) in [
            (0u32, 0u8),
            (0xc000_0200, 24),
            (0xffff_ffff, 32),
            (0x0a00_0000, 8),
            (0x6440_0000, 10),
        ] {
            let mut ours = Vec::new();
            write_ipv4_prefix(&mut ours, net, len);
            let theirs = ipnetwork::Ipv4Network::new(net.into(), len)
                .expect("valid")
                .to_string();
            assert_eq!(String::from_utf8_lossy(&ours), theirs);
        }
    }

    /// The per-interval fast path writes the rows the general path writes,
    /// on both sides of every IPv4 interval boundary of the default world.
    #[test]
    fn fast_rows_equal_general_rows() {
        let d = Detector::default_world().expect("default world");
        fast_rows_equal_general_rows_in(&d, 1);
        // A world of many ranges, most sharing their rows' text with others
        // (shared records, vectors met again), each range met three times
        // and the input read twice, reasons short and in full.
        let world = crate::train::synth::world(5, 60);
        let snapshot = world.snapshot().expect("synthetic world builds");
        let d = Detector::new(snapshot, crate::Model::default_model());
        // Intervals that share a cell share its record.
        let v4 = d.snapshot().interval_count(false);
        let cells: std::collections::HashSet<usize> = (0..v4)
            .map(|i| d.snapshot().interval_cell_number(i, false))
            .collect();
        assert!(
            cells.len() < v4,
            "{} cells, {v4} IPv4 intervals",
            cells.len()
        );
        fast_rows_equal_general_rows_in(&d, 2);
    }

    fn fast_rows_equal_general_rows_in<S: AsRef<[u8]> + Sync>(d: &Detector<S>, rounds: usize) {
        let mut input = String::new();
        for v6 in [false, true] {
            for i in 0..d.snapshot().interval_count(v6) {
                let (start, end, _) = d.snapshot().interval(i, v6);
                for a in [start, end, start + (end - start) / 2] {
                    let ip = crate::snapshot::u128_to_ip(a, v6);
                    input.push_str(&format!("{ip}\n"));
                }
            }
        }
        // Other spellings of IPv6 addresses, and text the fast path leaves
        // to the general parser.
        input.push_str(
            "2001:DB8::1\n2001:0db8:0000::0001\n::ffff:192.0.2.1\n 2001:db8::2 \n1:2:3\n::\n",
        );
        let input = input.repeat(rounds);
        for explain in [false, true] {
            let options = BatchOptions::default().explain(explain);
            let mut fast = Vec::new();
            score_lines(d, input.as_bytes(), &mut fast, options).expect("batch");
            let mut general = CSV_HEADER.to_vec();
            for (n, text) in input.lines().enumerate() {
                let (line, text) = (n as u64 + 1, text.trim());
                match text.parse::<Subject>() {
                    Ok(s) => write_row(&mut general, options, line, text, Some(&d.score(&s)), None),
                    Err(e) => write_row(
                        &mut general,
                        options,
                        line,
                        text,
                        None,
                        Some(&e.to_string()),
                    ),
                }
            }
            assert!(input.lines().count() > 30);
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&general),
                "explain: {explain}"
            );
        }
    }
}
