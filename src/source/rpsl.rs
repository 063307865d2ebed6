//! RPSL bulk dumps (RFC 2622 syntax) as RIPE, APNIC and AFRINIC publish
//! them: `ripe.db.inetnum.gz`, `apnic.db.inet6num.gz`, … or one combined
//! file. Objects are separated by blank lines; each line is
//! `attribute: value`; a line starting with a space, a tab or `+`
//! continues the previous value; `#` and `%` start comment lines.
//! Attribute names are case-insensitive. Personal data in the dumps is
//! dummified, so `person` objects are skipped; `role` and `irt` objects
//! are kept for their `abuse-mailbox`.
//!
//! The lexer is written here rather than taken from the `rpsl-rs` crate.
//! `rpsl-rs` is fast and zero-copy, but it parses one object (or one
//! whois server response) held whole in a `&str`: it has no reader over a
//! multi-GB dump, so bphscore would still have to find object boundaries,
//! buffer each object and map its errors (nom errors, relative to the
//! object) back to the dump's line numbers, which `--skip-bad` and the
//! error messages need. This lexer streams over the bounded
//! [`LineReader`] (so a hostile line or object stays bounded), reuses one
//! buffer for every object, lower-cases attribute names in place, knows
//! the line of every attribute, and allocates only for the values that
//! bphscore keeps. Measured on a generated dump (see the README), it reads
//! well over 100 MB/s on one core.
//!
//! The same lexer reads ARIN's bulk WHOIS (`NetHandle:`, `OrgID:`, …),
//! which has the same object syntax (see `arin.rs`).

use std::io::BufRead;
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::whois::{AutNum, BlockStatus, Organisation, Registration};
use super::{IpRange, LineReader, Record};
use crate::error::Error;
use crate::subject::{Asn, Country};

/// One attribute of an object: ranges into [`Object::text`].
#[derive(Debug, Clone, Copy)]
struct Attr {
    name: (u32, u32),
    value: (u32, u32),
    line: u64,
}

/// The object being read: its attributes, held in one reused buffer.
#[derive(Debug, Default)]
pub(crate) struct Object {
    text: String,
    attrs: Vec<Attr>,
    /// The line of the first attribute.
    pub(crate) line: u64,
    /// After an error, the rest of the bad object is skipped.
    skip_rest: bool,
}

impl Object {
    fn clear(&mut self) {
        self.text.clear();
        self.attrs.clear();
        self.line = 0;
    }

    /// The attributes: (lower-case name, value, line).
    pub(crate) fn attrs(&self) -> impl Iterator<Item = (&str, &str, u64)> {
        self.attrs.iter().map(|a| {
            (
                &self.text[a.name.0 as usize..a.name.1 as usize],
                &self.text[a.value.0 as usize..a.value.1 as usize],
                a.line,
            )
        })
    }

    /// The class: the name of the first attribute.
    pub(crate) fn class(&self) -> &str {
        self.attrs
            .first()
            .map_or("", |a| &self.text[a.name.0 as usize..a.name.1 as usize])
    }

    /// The value of the first attribute (the object's key).
    pub(crate) fn key(&self) -> &str {
        self.attrs
            .first()
            .map_or("", |a| &self.text[a.value.0 as usize..a.value.1 as usize])
    }
}

/// Reads the next object into `obj`. `Ok(false)` at the end of input. On a
/// malformed line the error names it, and the next call first skips the
/// rest of that object (to the next blank line).
pub(crate) fn next_object<R: BufRead>(
    lines: &mut LineReader<R>,
    obj: &mut Object,
    source: &str,
    max_object_len: usize,
) -> Result<bool, Error> {
    obj.clear();
    loop {
        // The reader counts lines as it returns them.
        let n = lines.line() + 1;
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => {
                obj.skip_rest = false;
                return Ok(!obj.attrs.is_empty());
            }
            Err(e) => {
                // A bad line (too long, not UTF-8) spoils its object.
                obj.skip_rest = e.line().is_some();
                obj.clear();
                return Err(e);
            }
        };
        let first = line.as_bytes().first().copied();
        if line.trim_ascii().is_empty() {
            if obj.skip_rest {
                obj.skip_rest = false;
                continue;
            }
            if obj.attrs.is_empty() {
                continue;
            }
            return Ok(true);
        }
        if obj.skip_rest {
            continue;
        }
        match first {
            Some(b'#' | b'%') => continue,
            Some(b' ' | b'\t' | b'+') => {
                let Some(last) = obj.attrs.last_mut() else {
                    obj.skip_rest = true;
                    return Err(Error::parse(
                        source,
                        n,
                        "continuation line with no attribute to continue",
                    ));
                };
                // Only the last value can grow: it ends the buffer.
                let rest = line[1..].trim_ascii();
                if !rest.is_empty() {
                    if last.value.1 > last.value.0 {
                        obj.text.push(' ');
                    }
                    obj.text.push_str(rest);
                    last.value.1 = obj.text.len() as u32;
                }
            }
            _ => {
                let Some(colon) = memchr::memchr(b':', line.as_bytes()) else {
                    obj.skip_rest = true;
                    let err = Error::parse(
                        source,
                        n,
                        format!("expected \"attribute: value\", found {:?}", clip(line)),
                    );
                    obj.clear();
                    return Err(err);
                };
                let name = &line[..colon];
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    obj.skip_rest = true;
                    let err = Error::parse(
                        source,
                        n,
                        format!("invalid attribute name {:?}", clip(name)),
                    );
                    obj.clear();
                    return Err(err);
                }
                if obj.attrs.is_empty() {
                    obj.line = n;
                }
                let s = obj.text.len();
                obj.text.push_str(name);
                let e = obj.text.len();
                obj.text[s..e].make_ascii_lowercase();
                let value = line[colon + 1..].trim_ascii();
                let vs = obj.text.len();
                obj.text.push_str(value);
                obj.attrs.push(Attr {
                    name: (s as u32, e as u32),
                    value: (vs as u32, obj.text.len() as u32),
                    line: n,
                });
            }
        }
        if obj.text.len() > max_object_len {
            obj.skip_rest = true;
            obj.clear();
            return Err(Error::Limit {
                source_name: source.to_owned(),
                line: n,
                what: "object size",
                limit: max_object_len as u64,
            });
        }
    }
}

pub(crate) fn clip(s: &str) -> String {
    super::clip(s)
}

/// A value without its RPSL end-of-line comment.
fn bare(v: &str) -> &str {
    match memchr::memchr(b'#', v.as_bytes()) {
        Some(i) => v[..i].trim_ascii(),
        None => v,
    }
}

/// Parses `first - last` (inetnum) or a CIDR prefix (inet6num, route).
pub(crate) fn parse_range(v: &str) -> Option<IpRange> {
    let v = bare(v);
    if let Some((a, b)) = v.split_once('-') {
        let a: IpAddr = a.trim().parse().ok()?;
        let b: IpAddr = b.trim().parse().ok()?;
        return IpRange::new(a, b);
    }
    let net: IpNetwork = v.trim().parse().ok()?;
    let net = IpNetwork::new(net.network(), net.prefix()).ok()?;
    Some(IpRange::from(net))
}

/// Parses the dates registries write: `2026-08-14T10:00:00Z`,
/// `2026-08-14`, `20260814`.
pub(crate) fn parse_date(v: &str) -> Option<i64> {
    let v = bare(v);
    let day = |s: &str, fmt: &str| {
        chrono::NaiveDate::parse_from_str(s, fmt)
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp())
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Some(t.timestamp());
    }
    if v.len() >= 10
        && let Some(d) = v.get(..10).and_then(|s| day(s, "%Y-%m-%d"))
    {
        return Some(d);
    }
    if v.len() == 8 {
        return day(v, "%Y%m%d");
    }
    None
}

pub(crate) fn parse_country(v: &str) -> Option<Country> {
    bare(v).parse().ok()
}

fn owned(v: &str) -> Option<String> {
    let v = bare(v);
    (!v.is_empty()).then(|| v.to_owned())
}

fn bad(source: &str, line: u64, what: &str, v: &str) -> Error {
    Error::parse(source, line, format!("invalid {what} {:?}", clip(v)))
}

/// Interprets one RPSL object. Classes bphscore does not use give `None`.
pub(crate) fn interpret(source: &str, obj: &Object) -> Result<Option<Record>, Error> {
    match obj.class() {
        "inetnum" | "inet6num" => {
            let mut reg = Registration::default();
            for (name, value, line) in obj.attrs() {
                match name {
                    "inetnum" | "inet6num" => {
                        reg.range =
                            Some(parse_range(value).ok_or_else(|| bad(source, line, name, value))?);
                    }
                    "netname" => reg.name = owned(value),
                    "status" => reg.status = Some(BlockStatus::from_rpsl(bare(value))),
                    "org" => reg.org = owned(value),
                    "country" if reg.country.is_none() => {
                        reg.country = Some(
                            parse_country(value)
                                .ok_or_else(|| bad(source, line, "country", value))?,
                        );
                    }
                    "created" => reg.created = date(source, line, value)?,
                    "last-modified" => reg.modified = date(source, line, value)?,
                    "mnt-by" => push_list(&mut reg.maintainers, value),
                    "abuse-c" => reg.abuse_c = owned(value),
                    // Legacy `changed: email YYYYMMDD` (AFRINIC, older
                    // dumps): the first dates the creation, the last the
                    // last change, unless `created`/`last-modified` say.
                    "changed" => {
                        if let Some(d) = bare(value).rsplit(' ').next().and_then(parse_date) {
                            reg.created = Some(reg.created.map_or(d, |c| c.min(d)));
                            reg.modified = Some(reg.modified.map_or(d, |m| m.max(d)));
                        }
                    }
                    "abuse-mailbox" => reg.abuse_mailbox = owned(value).map(mailbox),
                    _ => {}
                }
            }
            // `mnt-lower` names the holder's maintainer when `mnt-by` is
            // the registry's alone (allocations): kept after `mnt-by`.
            for (name, value, _) in obj.attrs() {
                if name == "mnt-lower" {
                    push_list(&mut reg.maintainers, value);
                }
            }
            Ok(Some(Record::Registration(Box::new(reg))))
        }
        "organisation" => {
            let mut org = Organisation {
                handle: bare(obj.key()).to_owned(),
                ..Organisation::default()
            };
            if org.handle.is_empty() {
                return Err(Error::parse(
                    source,
                    obj.line,
                    "organisation without a handle",
                ));
            }
            for (name, value, line) in obj.attrs() {
                match name {
                    "org-name" => org.name = owned(value),
                    "country" if org.country.is_none() => {
                        org.country = Some(
                            parse_country(value)
                                .ok_or_else(|| bad(source, line, "country", value))?,
                        );
                    }
                    "mnt-by" | "mnt-ref" => push_list(&mut org.maintainers, value),
                    "abuse-c" => org.abuse_c = owned(value),
                    "abuse-mailbox" => org.abuse_mailbox = owned(value).map(mailbox),
                    "created" => org.created = date(source, line, value)?,
                    "last-modified" => org.modified = date(source, line, value)?,
                    _ => {}
                }
            }
            Ok(Some(Record::Organisation(Box::new(org))))
        }
        "aut-num" => {
            let asn: Asn = bare(obj.key())
                .parse()
                .map_err(|_| bad(source, obj.line, "aut-num", obj.key()))?;
            let mut a = AutNum {
                asn,
                name: None,
                org: None,
                maintainers: Vec::new(),
                abuse_c: None,
                created: None,
                modified: None,
            };
            for (name, value, line) in obj.attrs() {
                match name {
                    "as-name" => a.name = owned(value),
                    "org" => a.org = owned(value),
                    "mnt-by" => push_list(&mut a.maintainers, value),
                    "abuse-c" => a.abuse_c = owned(value),
                    "created" => a.created = date(source, line, value)?,
                    "last-modified" => a.modified = date(source, line, value)?,
                    _ => {}
                }
            }
            Ok(Some(Record::AutNum(Box::new(a))))
        }
        "route" | "route6" => {
            let mut range = None;
            let mut origin = None;
            for (name, value, line) in obj.attrs() {
                match name {
                    "route" | "route6" => {
                        range =
                            Some(parse_range(value).ok_or_else(|| bad(source, line, name, value))?);
                    }
                    "origin" => {
                        origin = Some(
                            bare(value)
                                .parse::<Asn>()
                                .map_err(|_| bad(source, line, "origin", value))?,
                        );
                    }
                    _ => {}
                }
            }
            match (range, origin) {
                (Some(range), Some(origin)) => Ok(Some(Record::RouteObject { range, origin })),
                _ => Err(Error::parse(
                    source,
                    obj.line,
                    "route object without a prefix or an origin",
                )),
            }
        }
        "role" | "irt" => {
            let mut handle = None;
            let mut mbox = None;
            for (name, value, _) in obj.attrs() {
                match name {
                    "nic-hdl" => handle = owned(value),
                    "irt" => handle = owned(value),
                    "abuse-mailbox" if mbox.is_none() => mbox = owned(value).map(mailbox),
                    _ => {}
                }
            }
            Ok(match (handle, mbox) {
                (Some(handle), Some(abuse_mailbox)) => Some(Record::Contact {
                    handle,
                    abuse_mailbox,
                }),
                _ => None,
            })
        }
        _ => Ok(None),
    }
}

fn date(source: &str, line: u64, v: &str) -> Result<Option<i64>, Error> {
    parse_date(v)
        .map(Some)
        .ok_or_else(|| bad(source, line, "date", v))
}

/// `mnt-by` may list several maintainers separated by commas.
fn push_list(list: &mut Vec<String>, v: &str) {
    for m in bare(v).split(',') {
        let m = m.trim();
        if !m.is_empty() && !list.iter().any(|x| x.eq_ignore_ascii_case(m)) {
            list.push(m.to_ascii_uppercase());
        }
    }
}

/// Mail addresses compare case-insensitively.
fn mailbox(s: String) -> String {
    s.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Attrs = Vec<(String, String, u64)>;

    fn objects(text: &str) -> Vec<Result<Attrs, String>> {
        let mut lines = LineReader::new("t", text.as_bytes(), 1 << 16);
        let mut obj = Object::default();
        let mut out = Vec::new();
        loop {
            match next_object(&mut lines, &mut obj, "t", 1 << 20) {
                Ok(false) => break,
                Ok(true) => out.push(Ok(obj
                    .attrs()
                    .map(|(n, v, l)| (n.to_owned(), v.to_owned(), l))
                    .collect())),
                Err(e) => out.push(Err(e.to_string())),
            }
        }
        out
    }

    #[test]
    fn continuation_comments_and_case() {
        let got = objects(
            "% comment\n\nINETNUM: 192.0.2.0 - 192.0.2.255\ndescr: a\n  b\n+\tc\n# x\nmnt-by: M1\n\n\n\naut-num: AS64500\n",
        );
        assert_eq!(got.len(), 2);
        let first = got[0].as_ref().unwrap();
        assert_eq!(
            first[0],
            ("inetnum".into(), "192.0.2.0 - 192.0.2.255".into(), 3)
        );
        assert_eq!(first[1].1, "a b c");
        assert_eq!(first[2].0, "mnt-by");
        assert_eq!(got[1].as_ref().unwrap()[0].2, 12);
    }

    #[test]
    fn bad_object_is_skipped_whole() {
        let got = objects("inetnum: x\nthis is not rpsl\nmore: junk\n\nroute: 192.0.2.0/24\n");
        assert_eq!(
            got[0],
            Err("t:2: expected \"attribute: value\", found \"this is not rpsl\"".into())
        );
        assert_eq!(got[1].as_ref().unwrap()[0].0, "route");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn continuation_first_is_an_error() {
        let got = objects(" orphan\n\ninetnum: 192.0.2.0/24\n");
        assert_eq!(
            got[0],
            Err("t:1: continuation line with no attribute to continue".into())
        );
        assert!(got[1].is_ok());
    }

    #[test]
    fn dates_and_ranges() {
        assert_eq!(parse_date("2026-08-14T10:00:00Z"), Some(1_786_701_600));
        assert_eq!(parse_date("2026-08-14"), Some(1_786_665_600));
        assert_eq!(parse_date("20260814"), Some(1_786_665_600));
        assert_eq!(parse_date("2026-13-14"), None);
        assert!(parse_range("192.0.2.9 - 192.0.2.1").is_none());
        assert_eq!(
            parse_range("2001:db8::/32 # note").map(|r| r.to_string()),
            Some("2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff".into())
        );
    }
}
