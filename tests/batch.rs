//! Batch safety at scale: 1,000,000 input lines, 1% of them garbage, give
//! exactly 1,000,000 rows in input order, through the library and through
//! the command-line tool reading standard input.
//!
//! The input is generated line by line from its number (nothing is
//! committed, nothing is held whole in memory), and the CSV output is
//! checked row by row as it is written: the line number, the input column
//! (the input line, trimmed, for every line that is UTF-8 and not over the
//! line limit; empty otherwise) and whether the row is an error.

use std::io::{self, BufRead, Read, Write};
use std::process::{Command, Stdio};

use bphscore::Detector;
use bphscore::batch::{self, BatchOptions};

const LINES: u64 = 1_000_000;

/// Input line `i` (0-based) with its line end, and whether it is garbage.
/// Every 100th line is garbage, of ten kinds: text, empty, whitespace,
/// bad octets, bad IPv6, an ASN past 32 bits, a bad prefix length, NUL
/// bytes, invalid UTF-8 and a line over the 4 KiB limit.
fn input_line(i: u64) -> (Vec<u8>, bool) {
    // A cheap deterministic mix of the line number.
    let h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
    let (a, b) = ((h & 0xff) as u8, ((h >> 8) & 0xff) as u8);
    if i % 100 == 99 {
        let garbage: Vec<u8> = match (i / 100) % 10 {
            0 => format!("not-an-ip-{i}").into_bytes(),
            1 => Vec::new(),
            2 => b" \t ".to_vec(),
            3 => format!("198.51.100.{}", 256 + u64::from(a)).into_bytes(),
            4 => format!("2001:db8::g{a:x}").into_bytes(),
            5 => format!("AS{}", 4_294_967_296 + i).into_bytes(),
            6 => format!("198.18.{a}.0/33").into_bytes(),
            7 => format!("\0\0{i}\0").into_bytes(),
            8 => [&b"\xff\xfe"[..], i.to_string().as_bytes()].concat(),
            _ => vec![b'7'; 5000],
        };
        let mut line = garbage;
        line.push(b'\n');
        return (line, true);
    }
    let mut line = match h % 6 {
        0 | 1 => format!("198.18.{a}.{b}"),
        2 => format!("203.0.113.{b}"),
        3 => format!("2001:db8:{a:x}::{b:x}"),
        4 => format!("AS{}", 64496 + u32::from(a % 16)),
        _ => format!("198.51.100.{}/{}", b & 0xf0, 28),
    }
    .into_bytes();
    // Some lines end in CRLF; the row's input is the line without it.
    line.extend_from_slice(if h.is_multiple_of(7) { b"\r\n" } else { b"\n" });
    (line, false)
}

/// The input column expected for line `i`.
fn expected_input(i: u64) -> Option<String> {
    let (line, _) = input_line(i);
    let body = line.strip_suffix(b"\n").unwrap_or(&line);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    if body.len() > 4096 {
        return None;
    }
    std::str::from_utf8(body).ok().map(|s| s.trim().to_owned())
}

/// Streams the generated input.
struct Generated {
    next: u64,
    end: u64,
    pending: Vec<u8>,
    at: usize,
}

impl Generated {
    fn new(lines: u64) -> Self {
        Generated {
            next: 0,
            end: lines,
            pending: Vec::new(),
            at: 0,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.pending.len() {
            if self.next == self.end {
                return Ok(0);
            }
            self.pending = input_line(self.next).0;
            self.at = 0;
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The first `n` fields of one CSV record (RFC 4180 quoting).
fn fields(record: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    let mut field = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < record.len() && out.len() < n {
        let c = record[i];
        match c {
            b'"' if quoted && record.get(i + 1) == Some(&b'"') => {
                field.push(b'"');
                i += 1;
            }
            b'"' if quoted => quoted = false,
            b'"' if field.is_empty() => quoted = true,
            b',' if !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
        i += 1;
    }
    if out.len() < n {
        out.push(field);
    }
    out
}

/// Checks CSV output row by row as it is written.
struct RowChecker {
    partial: Vec<u8>,
    header: bool,
    rows: u64,
    errors: u64,
}

impl RowChecker {
    fn new() -> Self {
        RowChecker {
            partial: Vec::new(),
            header: false,
            rows: 0,
            errors: 0,
        }
    }

    fn record(&mut self, record: &[u8]) {
        if !self.header {
            assert!(record.starts_with(b"line,input,kind,class,"));
            self.header = true;
            return;
        }
        let i = self.rows;
        let f = fields(record, 4);
        assert_eq!(
            f.len(),
            4,
            "row {}: {:?}",
            i + 1,
            String::from_utf8_lossy(record)
        );
        assert_eq!(f[0], (i + 1).to_string().as_bytes(), "row out of order");
        let want = expected_input(i).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&f[1]),
            want,
            "input column of line {}",
            i + 1
        );
        let garbage = input_line(i).1;
        assert_eq!(
            f[3] == b"error",
            garbage,
            "line {}: {:?}",
            i + 1,
            String::from_utf8_lossy(record)
        );
        self.errors += u64::from(garbage);
        self.rows += 1;
    }
}

impl Write for RowChecker {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // No field holds a newline (input lines are split on them and CR is
        // stripped), so every record is one line.
        let mut rest = buf;
        while let Some(at) = memchr::memchr(b'\n', rest) {
            if self.partial.is_empty() {
                self.record(&rest[..at]);
            } else {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&rest[..at]);
                self.record(&line);
            }
            rest = &rest[at + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_generator_has_one_percent_garbage_of_every_kind() {
    let garbage = (0..LINES).filter(|&i| input_line(i).1).count();
    assert_eq!(garbage, 10_000);
    // Each kind of garbage is present, and good lines are never garbage.
    let kinds: std::collections::BTreeSet<u64> = (0..LINES)
        .filter(|&i| input_line(i).1)
        .map(|i| (i / 100) % 10)
        .collect();
    assert_eq!(kinds.len(), 10);
    assert!(expected_input(899).is_none()); // invalid UTF-8
    assert!(expected_input(999).is_none()); // over the line limit
    assert_eq!(expected_input(199).as_deref(), Some(""));
}

#[test]
fn a_million_lines_through_the_library_give_a_million_rows_in_order() {
    let detector = Detector::default_world().unwrap();
    let mut checker = RowChecker::new();
    let input = io::BufReader::new(Generated::new(LINES));
    let summary =
        batch::score_lines(&detector, input, &mut checker, BatchOptions::default()).unwrap();
    assert!(checker.partial.is_empty(), "output ends without a newline");
    assert_eq!(checker.rows, LINES);
    assert_eq!(checker.errors, 10_000);
    assert_eq!((summary.rows, summary.errors), (LINES, 10_000));
}

#[test]
fn a_million_lines_through_the_cli_give_a_million_rows_in_order() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bphscore"))
        .args(["score", "-", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut input = Generated::new(LINES);
        io::copy(&mut input, &mut stdin).unwrap();
        // Dropping stdin closes it: the end of input.
    });
    let mut checker = RowChecker::new();
    let stdout = child.stdout.take().unwrap();
    let mut reader = io::BufReader::with_capacity(1 << 16, stdout);
    loop {
        let buf = reader.fill_buf().unwrap();
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        checker.write_all(buf).unwrap();
        reader.consume(n);
    }
    writer.join().unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(checker.partial.is_empty(), "output ends without a newline");
    assert_eq!(checker.rows, LINES);
    assert_eq!(checker.errors, 10_000);
}
