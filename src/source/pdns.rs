//! Passive DNS in the Common Output Format
//! (draft-dulaunoy-dnsop-passive-dns-cof): one JSON object per line with
//! `rrname`, `rrtype`, `rdata`, `time_first`, `time_last` and optional
//! `count`, `bailiwick`.
//!
//! The variants common passive-DNS servers emit are read too: `rdata` as an
//! array of values, names with a trailing dot, `zone_time_first` /
//! `zone_time_last` instead of (or beside) the sensor times, times as
//! numbers or numeric strings. Unknown fields (`sensor_id`, `origin`, …) are
//! ignored.
//!
//! Only `A` and `AAAA` records carry addresses; other types are returned
//! with no address so that callers can count them. An `A` or `AAAA` rdata
//! that is not an address of its family is a bad record.

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Deserialize;

use super::{Record, State, abuse};
use crate::error::Error;

/// One passive-DNS record: a name seen resolving to addresses between two times.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DnsObservation {
    /// The name, lower case, without a trailing dot.
    pub rrname: String,
    /// The record type (`A`, `AAAA`, `CNAME`, …), upper case.
    pub rrtype: String,
    /// The addresses (empty for types other than `A` and `AAAA`).
    pub addrs: Vec<IpAddr>,
    /// First seen (unix seconds).
    pub time_first: i64,
    /// Last seen (unix seconds).
    pub time_last: i64,
    /// How many times the sensor saw it, when given.
    pub count: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<'a> {
    #[serde(borrow)]
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Time<'a> {
    Number(f64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

#[derive(Deserialize)]
struct Cof<'a> {
    #[serde(borrow)]
    rrname: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rrtype: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rdata: Option<OneOrMany<'a>>,
    #[serde(borrow)]
    time_first: Option<Time<'a>>,
    #[serde(borrow)]
    time_last: Option<Time<'a>>,
    #[serde(borrow)]
    zone_time_first: Option<Time<'a>>,
    #[serde(borrow)]
    zone_time_last: Option<Time<'a>>,
    count: Option<u64>,
}

fn time(t: &Time<'_>, what: &str) -> Result<i64, String> {
    match t {
        Time::Number(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 => {
            abuse::check_time(*v as i64).map_err(|e| format!("{what}: {e}"))
        }
        Time::Number(v) => Err(format!("{what}: unparseable timestamp {v}")),
        Time::Text(s) => abuse::parse_timestamp(s).map_err(|e| format!("{what}: {e}")),
    }
}

/// Parses one COF line.
pub(crate) fn parse(
    name: &str,
    n: u64,
    line: &str,
    state: &mut State,
) -> Result<Option<Record>, Error> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    interpret(t)
        .map(|o| {
            state.date = Some(state.date.map_or(o.time_last, |d| d.max(o.time_last)));
            Some(Record::DnsObservation(Box::new(o)))
        })
        .map_err(|m| Error::parse(name, n, m))
}

fn interpret(line: &str) -> Result<DnsObservation, String> {
    let c: Cof<'_> = serde_json::from_str(line).map_err(|e| format!("invalid COF record: {e}"))?;
    let rrname = c.rrname.ok_or("record without \"rrname\"")?;
    let rrtype = c
        .rrtype
        .ok_or("record without \"rrtype\"")?
        .to_ascii_uppercase();
    let rdata = c.rdata.ok_or("record without \"rdata\"")?;
    let first = c
        .time_first
        .as_ref()
        .or(c.zone_time_first.as_ref())
        .ok_or("record without \"time_first\" or \"zone_time_first\"")?;
    let last = c
        .time_last
        .as_ref()
        .or(c.zone_time_last.as_ref())
        .ok_or("record without \"time_last\" or \"zone_time_last\"")?;
    let time_first = time(first, "time_first")?;
    let time_last = time(last, "time_last")?;
    if time_first > time_last {
        return Err("time_first is after time_last".to_owned());
    }
    let name = abuse::normalise_domain(&rrname);
    if name.is_empty()
        || name.len() > 253
        || name.bytes().any(|b| b.is_ascii_control() || b == b' ')
    {
        return Err(format!("invalid rrname {:?}", super::clip(&rrname)));
    }
    let mut addrs = Vec::new();
    if rrtype == "A" || rrtype == "AAAA" {
        let values: Vec<Cow<'_, str>> = match rdata {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        };
        if values.is_empty() {
            return Err("empty rdata".to_owned());
        }
        for v in &values {
            let ip: Option<IpAddr> = v.trim().parse().ok();
            match ip {
                Some(ip @ IpAddr::V4(_)) if rrtype == "A" => addrs.push(ip),
                Some(ip @ IpAddr::V6(_)) if rrtype == "AAAA" => addrs.push(ip),
                _ => {
                    return Err(format!(
                        "rdata {:?} is not an IPv{} address for an {rrtype} record",
                        super::clip(v),
                        if rrtype == "A" { 4 } else { 6 }
                    ));
                }
            }
        }
    }
    Ok(DnsObservation {
        rrname: name,
        rrtype,
        addrs,
        time_first,
        time_last,
        count: c.count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_cof() {
        let a = interpret(
            r#"{"rrname":"WWW.Example.com.","rrtype":"A","rdata":"192.0.2.1","time_first":1794000000,"time_last":1794400000,"count":7,"bailiwick":"example.com."}"#,
        )
        .unwrap();
        assert_eq!(a.rrname, "www.example.com");
        assert_eq!(a.addrs.len(), 1);
        let b = interpret(
            r#"{"rrname":"ff.example","rrtype":"a","rdata":["198.18.1.1","198.18.2.2"],"zone_time_first":"1794000000","zone_time_last":1794000100}"#,
        )
        .unwrap();
        assert_eq!(b.addrs.len(), 2);
        let ns = interpret(
            r#"{"rrname":"example.com","rrtype":"NS","rdata":"ns1.example.com.","time_first":1794000000,"time_last":1794000000}"#,
        )
        .unwrap();
        assert!(ns.addrs.is_empty());
    }

    #[test]
    fn bad_cof_records() {
        for (line, want) in [
            (
                r#"{"rrname":"a.example","rrtype":"A","rdata":"ns.example","time_first":1794000000,"time_last":1794000000}"#,
                "not an IPv4",
            ),
            (
                r#"{"rrname":"a.example","rrtype":"AAAA","rdata":"192.0.2.1","time_first":1794000000,"time_last":1794000000}"#,
                "not an IPv6",
            ),
            (
                r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":100,"time_last":1794000000}"#,
                "before 1990",
            ),
            (
                r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":1794000000,"time_last":32503680000}"#,
                "future",
            ),
            (
                r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":"soon","time_last":1794000000}"#,
                "unparseable",
            ),
            (
                r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1","time_first":1794000001,"time_last":1794000000}"#,
                "after",
            ),
            (
                r#"{"rrname":"a.example","rrtype":"A","rdata":"192.0.2.1"}"#,
                "time_first",
            ),
            (
                r#"{"rrname":"a b","rrtype":"A","rdata":"192.0.2.1","time_first":1794000000,"time_last":1794000000}"#,
                "invalid rrname",
            ),
            ("{not json", "invalid COF"),
        ] {
            let e = interpret(line).unwrap_err();
            assert!(e.contains(want), "{line}: {e}");
        }
    }
}
