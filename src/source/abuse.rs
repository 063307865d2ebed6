//! Timestamped, categorised abuse feeds: abuse.ch Feodo Tracker (JSON and
//! CSV), URLhaus (CSV), ThreatFox (JSON export), AbuseIPDB (blacklist and
//! check-block JSON) and a documented generic CSV.
//!
//! Every feed maps its own labels onto one small [`Category`] taxonomy, and
//! every [`Indicator`] keeps its timestamps, so that evidence can decay and
//! expire when a snapshot is built.
//!
//! The JSON feeds are whole documents (an array, or an object of arrays),
//! often pretty-printed over many lines. They are streamed by
//! [`LeafObjects`], which yields each object holding no other object (a
//! feed record) with the line it starts on, and never holds more than one
//! record in memory.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{State, iplocation};
use crate::error::Error;

/// The abuse taxonomy every feed's labels map onto.
///
/// ```
/// use bphscore::source::Category;
///
/// assert_eq!(Category::from_label("botnet_cc"), Some(Category::C2));
/// assert_eq!(Category::from_label("malware_download"), Some(Category::Malware));
/// assert_eq!(Category::from_label("SSH"), Some(Category::BruteForce));
/// assert_eq!("phishing".parse::<Category>()?, Category::Phishing);
/// assert!("weather".parse::<Category>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Category {
    /// Botnet command and control.
    C2,
    /// Malware distribution (payloads, droppers).
    Malware,
    /// Phishing sites and kits.
    Phishing,
    /// Spam sending.
    Spam,
    /// Port and vulnerability scanning.
    Scanning,
    /// Brute-force logins (SSH, RDP, mail, web).
    BruteForce,
    /// Any other abuse.
    Other,
}

impl Category {
    /// Every category, in bit order.
    pub const ALL: [Category; 7] = [
        Category::C2,
        Category::Malware,
        Category::Phishing,
        Category::Spam,
        Category::Scanning,
        Category::BruteForce,
        Category::Other,
    ];

    /// The category's name: `c2`, `malware`, `phishing`, `spam`,
    /// `scanning`, `brute-force` or `other`.
    pub fn name(self) -> &'static str {
        match self {
            Category::C2 => "c2",
            Category::Malware => "malware",
            Category::Phishing => "phishing",
            Category::Spam => "spam",
            Category::Scanning => "scanning",
            Category::BruteForce => "brute-force",
            Category::Other => "other",
        }
    }

    /// The category's bit in a mask of categories.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// Maps a feed's label (ThreatFox `threat_type`, URLhaus `threat`,
    /// AbuseIPDB category names, taxonomy names) onto the taxonomy, or
    /// `None` when the label is unknown.
    pub fn from_label(label: &str) -> Option<Category> {
        let l = label.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Some(match l.as_str() {
            "c2" | "cc" | "c-c" | "botnet-cc" | "botnet" | "command-and-control" | "c&c" => {
                Category::C2
            }
            "malware" | "malware-download" | "payload" | "payload-delivery" | "ransomware"
            | "dropper" => Category::Malware,
            "phishing" | "phish" | "cc-skimming" => Category::Phishing,
            "spam" | "email-spam" | "web-spam" | "blog-spam" => Category::Spam,
            "scanning" | "scan" | "scanner" | "port-scan" | "portscan" => Category::Scanning,
            "brute-force" | "bruteforce" | "ssh" | "ftp-brute-force" | "rdp" => {
                Category::BruteForce
            }
            "other" | "ddos" | "ddos-attack" | "hacking" | "fraud" | "exploited-host" => {
                Category::Other
            }
            _ => return None,
        })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Category`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown category {0:?}; expected c2, malware, phishing, spam, scanning, brute-force or other"
)]
pub struct ParseCategoryError(String);

impl FromStr for Category {
    type Err = ParseCategoryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::from_label(s).ok_or_else(|| ParseCategoryError(s.to_owned()))
    }
}

/// What an indicator points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// An address.
    Address(IpAddr),
    /// A domain name (lower case, without a trailing dot).
    Domain(String),
}

/// One timestamped, categorised abuse observation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Indicator {
    /// The address or domain.
    pub target: Target,
    /// When the feed first saw it (unix seconds), when the feed says.
    pub first_seen: Option<i64>,
    /// When the feed last saw it (unix seconds); the first sighting when the
    /// feed gives nothing later.
    pub last_seen: i64,
    /// The category.
    pub category: Category,
    /// The feed's label or reference (malware family, source), if any.
    pub reference: Option<String>,
}

/// The earliest timestamp accepted: 1990-01-01T00:00:00Z.
pub const EARLIEST_TIME: i64 = 631_152_000;

/// Parses a feed timestamp: unix seconds, `YYYY-MM-DD HH:MM:SS` (UTC,
/// optionally followed by `UTC` or `(UTC)`), RFC 3339, or `YYYY-MM-DD`.
/// Timestamps before 1990 or more than a day in the future are refused.
///
/// ```
/// use bphscore::source::parse_timestamp;
///
/// assert_eq!(parse_timestamp("2026-11-12 08:00:00"), Ok(1_794_470_400));
/// assert_eq!(parse_timestamp("2026-11-12T08:00:00+00:00"), Ok(1_794_470_400));
/// assert_eq!(parse_timestamp("1794470400"), Ok(1_794_470_400));
/// assert!(parse_timestamp("1989-12-31").unwrap_err().contains("before 1990"));
/// assert!(parse_timestamp("2999-01-01").unwrap_err().contains("future"));
/// assert!(parse_timestamp("yesterday").is_err());
/// ```
pub fn parse_timestamp(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("(UTC)")
        .or_else(|| t.strip_suffix("UTC"))
        .unwrap_or(t)
        .trim();
    let parsed = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<i64>().ok()
    } else if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        Some(d.timestamp())
    } else if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S") {
        Some(d.and_utc().timestamp())
    } else if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S") {
        Some(d.and_utc().timestamp())
    } else if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0).map(|d| d.and_utc().timestamp())
    } else {
        None
    };
    let Some(v) = parsed else {
        return Err(format!("unparseable timestamp {:?}", super::clip(s)));
    };
    check_time(v)
}

/// Refuses timestamps before 1990 or more than a day after the clock.
pub(crate) fn check_time(v: i64) -> Result<i64, String> {
    if v < EARLIEST_TIME {
        return Err(format!("timestamp {v} is before 1990"));
    }
    let now = chrono::Utc::now().timestamp();
    if v > now.saturating_add(86_400) {
        return Err(format!(
            "timestamp {} is in the future",
            super::format_date(v)
        ));
    }
    Ok(v)
}

/// The host of a URL (`scheme://[user@]host[:port]/…`), or the value itself
/// when it is not a URL.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(inner) = authority.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner);
    }
    match authority.split_once(':') {
        // One colon: host and port. More: a bare IPv6 address.
        Some((h, port)) if !port.contains(':') => h,
        _ => authority,
    }
}

/// A domain as bphscore keys it: lower case, without a trailing dot.
pub(crate) fn normalise_domain(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Checks a domain name: labels of letters, digits, `-` and `_`, 1 to 63
/// bytes each, 253 bytes in all.
fn valid_domain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Reads an indicator value: an address, `address:port`, a URL or a domain.
pub(crate) fn parse_target(value: &str) -> Result<Target, String> {
    let v = value.trim();
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Ok(Target::Address(ip));
    }
    let host = url_host(v);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Target::Address(ip));
    }
    let d = normalise_domain(host);
    if valid_domain(&d) && d.contains('.') {
        return Ok(Target::Domain(d));
    }
    Err(format!(
        "not an address, URL or domain: {:?}",
        super::clip(value)
    ))
}

fn indicator(
    target: Target,
    first: Option<i64>,
    last: Option<i64>,
    category: Category,
    reference: Option<String>,
) -> Result<Indicator, String> {
    let last_seen = match (first, last) {
        (_, Some(l)) => l,
        (Some(f), None) => f,
        (None, None) => return Err("no timestamp".to_owned()),
    };
    if let Some(f) = first
        && f > last_seen
    {
        return Err("first seen after last seen".to_owned());
    }
    Ok(Indicator {
        target,
        first_seen: first,
        last_seen,
        category,
        reference,
    })
}

fn opt_time(field: Option<&str>) -> Result<Option<i64>, String> {
    match field.map(str::trim) {
        None | Some("") | Some("None") | Some("null") => Ok(None),
        Some(s) => parse_timestamp(s).map(Some),
    }
}

/// `# Last updated: 2026-11-12 08:00:00 UTC` in abuse.ch CSV headers.
fn header_date(comment: &str, state: &mut State) {
    let c = comment.trim_start_matches('#').trim();
    if let Some((key, value)) = c.split_once(':')
        && key.trim().eq_ignore_ascii_case("last updated")
        && let Ok(t) = parse_timestamp(value.trim().trim_end_matches('#'))
    {
        state.date = Some(t);
    }
}

fn strip_header(line: &str) -> String {
    line.trim_start_matches('#')
        .trim()
        .replace('"', "")
        .to_ascii_lowercase()
}

/// The column header of Feodo Tracker's `ipblocklist.csv`.
pub(crate) const FEODO_CSV_HEADER: &str = "first_seen_utc,dst_ip,dst_port,c2_status,last_online";
/// The column header of URLhaus' CSV dumps.
pub(crate) const URLHAUS_CSV_HEADER: &str = "id,dateadded,url,url_status";
/// The column header of the generic CSV.
pub(crate) const GENERIC_CSV_HEADER: &str = "indicator,first_seen,last_seen,category,source";

fn wrap(
    name: &str,
    n: u64,
    r: Result<Option<Indicator>, String>,
) -> Result<Option<super::Record>, Error> {
    r.map(|o| o.map(|i| super::Record::Indicator(Box::new(i))))
        .map_err(|m| Error::parse(name, n, m))
}

/// Feodo Tracker `ipblocklist.csv`: `#` header (with `Last updated`), then
/// `"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"`.
pub(crate) fn parse_feodo_csv(
    name: &str,
    n: u64,
    line: &str,
    state: &mut State,
) -> Result<Option<super::Record>, Error> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.starts_with('#') || strip_header(t).starts_with(FEODO_CSV_HEADER) {
        header_date(t, state);
        return Ok(None);
    }
    let f = iplocation::split_csv(t);
    let r = (|| {
        if f.len() < 5 {
            return Err(format!("expected 6 columns, found {}", f.len()));
        }
        let ip: IpAddr = f[1]
            .trim()
            .parse()
            .map_err(|_| format!("dst_ip {:?} is not an address", super::clip(&f[1])))?;
        let first = opt_time(Some(&f[0]))?;
        let last = opt_time(Some(&f[4]))?;
        let malware = f
            .get(5)
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        indicator(Target::Address(ip), first, last, Category::C2, malware).map(Some)
    })();
    wrap(name, n, r)
}

/// URLhaus CSV: `#` header, then
/// `id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter`
/// (older dumps lack `last_online`).
pub(crate) fn parse_urlhaus_csv(
    name: &str,
    n: u64,
    line: &str,
    state: &mut State,
) -> Result<Option<super::Record>, Error> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.starts_with('#') || strip_header(t).starts_with(URLHAUS_CSV_HEADER) {
        header_date(t, state);
        return Ok(None);
    }
    let f = iplocation::split_csv(t);
    let r = (|| {
        let (last, threat, tags) = match f.len() {
            9 => (opt_time(Some(&f[4]))?, &f[5], &f[6]),
            8 => (None, &f[4], &f[5]),
            k => return Err(format!("expected 9 columns, found {k}")),
        };
        let target = parse_target(&f[2])?;
        let first = opt_time(Some(&f[1]))?;
        let category = Category::from_label(threat)
            .or_else(|| tags.split(',').find_map(Category::from_label))
            .unwrap_or(Category::Malware);
        indicator(target, first, last, category, Some(f[0].trim().to_owned())).map(Some)
    })();
    wrap(name, n, r)
}

/// The generic CSV: a header line `indicator,first_seen,last_seen,category,source`,
/// `#` comments, then one indicator (address, domain or URL) per line.
pub(crate) fn parse_generic_csv(
    name: &str,
    n: u64,
    line: &str,
    state: &mut State,
) -> Result<Option<super::Record>, Error> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    if !state.header_seen {
        if strip_header(t).replace(' ', "") == GENERIC_CSV_HEADER {
            state.header_seen = true;
            return Ok(None);
        }
        return Err(Error::parse(
            name,
            n,
            format!("expected the header line {GENERIC_CSV_HEADER:?}"),
        ));
    }
    let f = iplocation::split_csv(t);
    let r = (|| {
        if f.len() != 5 {
            return Err(format!("expected 5 columns, found {}", f.len()));
        }
        let target = parse_target(&f[0])?;
        let first = opt_time(Some(&f[1]))?;
        let last = opt_time(Some(&f[2]))?;
        if last.is_none() {
            return Err("last_seen is empty".to_owned());
        }
        let category: Category = f[3]
            .parse()
            .map_err(|e: ParseCategoryError| e.to_string())?;
        let source = Some(f[4].trim().to_owned()).filter(|s| !s.is_empty());
        let t = indicator(target, first, last, category, source)?;
        // The file states no date: its newest sighting dates it.
        state.date = Some(state.date.map_or(t.last_seen, |d| d.max(t.last_seen)));
        Ok(Some(t))
    })();
    wrap(name, n, r)
}

/// Streams the records of a JSON document: objects that hold no other
/// object, with the line each starts on.
///
/// Arrays of scalars inside a record are kept (ThreatFox `tags`). A record
/// larger than the limit is an error; the scan goes on after it.
#[derive(Debug, Default)]
pub(crate) struct LeafObjects {
    /// Open containers: `Some(has_child_object)` for objects, `None` for arrays.
    stack: Vec<Option<bool>>,
    in_string: bool,
    escape: bool,
    capturing: bool,
    buf: Vec<u8>,
    start_line: u64,
    max_len: usize,
    overflow: bool,
    pub(crate) seen_any: bool,
}

impl LeafObjects {
    pub(crate) fn new(max_len: usize) -> Self {
        LeafObjects {
            max_len,
            ..LeafObjects::default()
        }
    }

    /// Feeds one line; completed records go to `out` as (line, text).
    pub(crate) fn feed(
        &mut self,
        line: &[u8],
        n: u64,
        out: &mut Vec<Result<(u64, Vec<u8>), String>>,
    ) {
        for &b in line {
            if self.capturing {
                if self.buf.len() >= self.max_len {
                    if !self.overflow {
                        out.push(Err(format!(
                            "a JSON record exceeds the limit of {} bytes",
                            self.max_len
                        )));
                    }
                    self.overflow = true;
                } else {
                    self.buf.push(b);
                }
            }
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' => {
                    if let Some(Some(child)) = self.stack.last_mut() {
                        *child = true;
                    }
                    self.stack.push(Some(false));
                    self.seen_any = true;
                    self.capturing = true;
                    self.overflow = false;
                    self.buf.clear();
                    self.buf.push(b'{');
                    self.start_line = n;
                }
                b'[' => {
                    self.stack.push(None);
                    self.seen_any = true;
                }
                b'}' => match self.stack.pop() {
                    Some(Some(has_child)) => {
                        if self.capturing && !has_child && !self.overflow {
                            out.push(Ok((self.start_line, std::mem::take(&mut self.buf))));
                        }
                        self.capturing = false;
                    }
                    _ => {
                        out.push(Err("unbalanced '}' in the JSON document".to_owned()));
                        self.stack.clear();
                        self.capturing = false;
                    }
                },
                b']' => match self.stack.pop() {
                    Some(None) => {}
                    _ => {
                        out.push(Err("unbalanced ']' in the JSON document".to_owned()));
                        self.stack.clear();
                        self.capturing = false;
                    }
                },
                b' ' | b'\t' | b'\r' | b'\n' => {}
                _ if self.stack.is_empty() => {
                    out.push(Err("text outside the JSON document".to_owned()));
                    return;
                }
                _ => {}
            }
        }
        if self.capturing && !self.overflow && self.buf.len() < self.max_len {
            self.buf.push(b'\n');
        }
    }

    /// Drops the record being read: a line of it could not be read (too
    /// long), so it can no longer be whole, and an error about it would
    /// name an earlier line than the error already reported.
    pub(crate) fn abandon(&mut self) {
        self.capturing = false;
    }

    /// True when a container is still open (the document is cut short).
    pub(crate) fn unfinished(&self) -> bool {
        !self.stack.is_empty()
    }
}

fn str_field<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

/// Interprets one record of a JSON feed.
pub(crate) fn interpret_json(
    format: super::Format,
    text: &[u8],
    state: &mut State,
) -> Result<Option<Indicator>, String> {
    let o: Map<String, Value> =
        serde_json::from_slice(text).map_err(|e| format!("invalid JSON record: {e}"))?;
    match format {
        super::Format::FeodoJson => {
            let ip = str_field(&o, "ip_address").ok_or("record without \"ip_address\"")?;
            let ip: IpAddr = ip
                .trim()
                .parse()
                .map_err(|_| format!("ip_address {:?} is not an address", super::clip(ip)))?;
            let first = opt_time(str_field(&o, "first_seen"))?;
            let last = opt_time(str_field(&o, "last_online"))?;
            let malware = str_field(&o, "malware").map(str::to_owned);
            indicator(Target::Address(ip), first, last, Category::C2, malware).map(Some)
        }
        super::Format::ThreatfoxJson => {
            let value = str_field(&o, "ioc_value")
                .or_else(|| str_field(&o, "ioc"))
                .ok_or("record without \"ioc_value\"")?;
            let kind = str_field(&o, "ioc_type").unwrap_or("");
            if !matches!(kind, "ip:port" | "domain" | "url" | "ip") {
                // File hashes are not network indicators.
                return Ok(None);
            }
            let target = parse_target(value)?;
            let first = opt_time(str_field(&o, "first_seen_utc").or(str_field(&o, "first_seen")))?;
            let last = opt_time(str_field(&o, "last_seen_utc").or(str_field(&o, "last_seen")))?;
            let category = str_field(&o, "threat_type")
                .and_then(Category::from_label)
                .unwrap_or(Category::Other);
            let malware = str_field(&o, "malware_printable")
                .or_else(|| str_field(&o, "malware"))
                .map(str::to_owned);
            indicator(target, first, last, category, malware).map(Some)
        }
        super::Format::AbuseipdbJson => {
            if let Some(t) = str_field(&o, "generatedAt") {
                state.date = Some(parse_timestamp(t)?);
                return Ok(None);
            }
            let Some(ip) = str_field(&o, "ipAddress") else {
                return Err("record without \"ipAddress\"".to_owned());
            };
            let ip: IpAddr = ip
                .trim()
                .parse()
                .map_err(|_| format!("ipAddress {:?} is not an address", super::clip(ip)))?;
            let last = opt_time(
                str_field(&o, "lastReportedAt").or_else(|| str_field(&o, "mostRecentReport")),
            )?;
            let score = o.get("abuseConfidenceScore").and_then(Value::as_u64);
            let t = indicator(
                Target::Address(ip),
                None,
                last,
                Category::Other,
                score.map(|s| format!("confidence {s}")),
            )?;
            if state.date.is_none_or(|d| d < t.last_seen)
                && str_field(&o, "mostRecentReport").is_some()
            {
                state.date = Some(t.last_seen);
            }
            Ok(Some(t))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(doc: &str) -> Vec<Result<(u64, String), String>> {
        let mut s = LeafObjects::new(1 << 20);
        let mut out = Vec::new();
        for (i, l) in doc.lines().enumerate() {
            s.feed(l.as_bytes(), i as u64 + 1, &mut out);
        }
        out.into_iter()
            .map(|r| r.map(|(n, b)| (n, String::from_utf8(b).unwrap())))
            .collect()
    }

    #[test]
    fn leaf_objects_of_nested_documents() {
        let doc = "{\n \"1\": [ {\"a\": \"}{\", \"t\": [1,2]} ],\n \"2\": [\n  {\"b\": 2}\n ]\n}\n";
        let got = leaves(doc);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().unwrap().0, 2);
        assert_eq!(got[1].as_ref().unwrap().0, 4);
        let meta =
            leaves("{\"meta\":{\"generatedAt\":\"x\"},\"data\":[{\"ipAddress\":\"192.0.2.1\"}]}");
        assert_eq!(meta.len(), 2);
        assert!(leaves("]").iter().any(Result::is_err));
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(url_host("http://198.18.12.5:8080/x.sh"), "198.18.12.5");
        assert_eq!(
            url_host("https://user@Login.Example.com/a?b"),
            "Login.Example.com"
        );
        assert_eq!(url_host("http://[2001:db8::1]:80/"), "2001:db8::1");
        assert_eq!(
            parse_target("HTTPS://Pay-Update.Example./login"),
            Ok(Target::Domain("pay-update.example".into()))
        );
        assert!(parse_target("not a host").is_err());
        assert_eq!(
            parse_target("198.18.1.2:443"),
            Ok(Target::Address("198.18.1.2".parse().unwrap()))
        );
    }
}
