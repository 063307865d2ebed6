//! A line reader with a bounded line length, line numbers and CRLF
//! handling, shared by every text format.
//!
//! `BufRead::read_line` would buffer a hostile 100 MB line whole; this
//! reader keeps at most `max_len` bytes of a line and reports the rest as a
//! typed error after skipping to the next line, so a lenient caller can go on.

use std::io::{self, BufRead};

use crate::error::Error;

/// The io error payload used to signal that a decompression limit was hit.
#[derive(Debug)]
pub(crate) struct DecompressedLimit(pub(crate) u64);

impl std::fmt::Display for DecompressedLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "decompressed size exceeds {} bytes", self.0)
    }
}

impl std::error::Error for DecompressedLimit {}

pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line: u64,
    max_len: usize,
    name: String,
    /// The last line was cut because it was too long.
    overlong: bool,
    done: bool,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(name: &str, inner: R, max_len: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::new(),
            line: 0,
            max_len: max_len.max(1),
            name: name.to_owned(),
            overlong: false,
            done: false,
        }
    }

    /// The one-based number of the line last returned.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Reads the next line and returns its bytes, not checked as UTF-8
    /// (for callers that check only the lines they cannot read as ASCII);
    /// an overlong line is an error, as in [`next_line`](Self::next_line).
    pub(crate) fn next_line_bytes(&mut self) -> Result<Option<&[u8]>, Error> {
        match self.next_raw()? {
            None => Ok(None),
            Some(()) if self.overlong => Err(Error::Limit {
                source_name: self.name.clone(),
                line: self.line,
                what: "line length",
                limit: self.max_len as u64,
            }),
            Some(()) => Ok(Some(&self.buf)),
        }
    }

    /// Reads the next line into the internal buffer and returns it as text
    /// (without its line end). `Ok(None)` at the end of input.
    pub(crate) fn next_line(&mut self) -> Result<Option<&str>, Error> {
        match self.next_raw()? {
            None => Ok(None),
            Some(()) => {
                let line = self.line;
                if self.overlong {
                    return Err(Error::Limit {
                        source_name: self.name.clone(),
                        line,
                        what: "line length",
                        limit: self.max_len as u64,
                    });
                }
                match std::str::from_utf8(&self.buf) {
                    Ok(s) => Ok(Some(s)),
                    Err(e) => Err(Error::parse(
                        &self.name,
                        line,
                        format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
                    )),
                }
            }
        }
    }

    /// Reads the next raw line into `buf`; sets `overlong` if it was cut.
    fn next_raw(&mut self) -> Result<Option<()>, Error> {
        if self.done {
            return Ok(None);
        }
        self.buf.clear();
        self.overlong = false;
        let mut saw_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Skipping a line cannot get past a failing reader: a
                    // caller that goes on after errors would loop forever.
                    self.done = true;
                    return Err(self.io_error(e));
                }
            };
            if available.is_empty() {
                self.done = true;
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (chunk, found) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i + 1)),
                None => (available, None),
            };
            if !self.overlong {
                let room = self.max_len.saturating_sub(self.buf.len());
                if chunk.len() > room {
                    self.buf.extend_from_slice(&chunk[..room]);
                    self.overlong = true;
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            let used = found.unwrap_or(available.len());
            self.inner.consume(used);
            if found.is_some() {
                break;
            }
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        self.line += 1;
        Ok(Some(()))
    }

    fn io_error(&self, e: io::Error) -> Error {
        if let Some(limit) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<DecompressedLimit>())
        {
            return Error::Limit {
                source_name: self.name.clone(),
                line: self.line + 1,
                what: "decompressed size",
                limit: limit.0,
            };
        }
        // A failing reader is no fault of one line: no line number, so that
        // lenient callers do not skip it.
        Error::io(&self.name, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Vec<Result<String, String>> {
        let mut r = LineReader::new("t", input, max);
        let mut out = Vec::new();
        loop {
            match r.next_line() {
                Ok(None) => break,
                Ok(Some(s)) => out.push(Ok(s.to_owned())),
                Err(e) => out.push(Err(e.to_string())),
            }
        }
        out
    }

    #[test]
    fn crlf_and_last_line_without_newline() {
        let got = all(b"a\r\nb\n\nc", 10);
        let want: Vec<Result<String, String>> = vec![
            Ok("a".into()),
            Ok("b".into()),
            Ok("".into()),
            Ok("c".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn overlong_line_is_reported_and_skipped() {
        let got = all(b"short\nxxxxxxxxxxxxxxxxxxxx\nnext\n", 8);
        assert_eq!(got[0], Ok("short".into()));
        assert_eq!(
            got[1],
            Err("t:2: line length exceeds the limit of 8".to_owned())
        );
        assert_eq!(got[2], Ok("next".into()));
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let got = all(b"ok\n\xff\xfe\n", 8);
        assert_eq!(
            got[1],
            Err("t:2: invalid UTF-8 at byte 0 of the line".to_owned())
        );
    }
}
