//! FireHOL `.netset` / `.ipset` files and plain lists: `#` comment lines,
//! then one IP or CIDR per line.
//!
//! The header's `This File Date` (or `Source File Date`) dates the data,
//! and `Entries : N subnets` is checked against the lines read.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::{IpRange, Record, State};
use crate::error::Error;

/// Parses one IP or CIDR entry.
pub(crate) fn parse_entry(s: &str) -> Option<IpRange> {
    let s = s.trim();
    if s.contains('/') {
        let net: IpNetwork = s.parse().ok()?;
        let net = IpNetwork::new(net.network(), net.prefix()).ok()?;
        Some(IpRange::from(net))
    } else {
        let ip: IpAddr = s.parse().ok()?;
        IpRange::new(ip, ip)
    }
}

/// One line of a guard-rail list: an IP or a CIDR (no host bits), with
/// `#` or `;` comments.
pub(crate) fn parse_protected(name: &str, n: u64, line: &str) -> Result<Option<Record>, Error> {
    let t = line.split(['#', ';']).next().unwrap_or("").trim();
    if t.is_empty() {
        return Ok(None);
    }
    let ok = if t.contains('/') {
        t.parse::<IpNetwork>()
            .ok()
            .filter(|net| net.network() == net.ip())
            .map(IpRange::from)
    } else {
        parse_entry(t)
    };
    match ok {
        Some(range) => Ok(Some(Record::Protected { range })),
        None => Err(Error::parse(
            name,
            n,
            format!("not an IP address or CIDR block (without host bits): {t:?}"),
        )),
    }
}

/// Parses FireHOL's header dates: `Wed Nov 11 06:10:00 UTC 2026`.
fn parse_header_date(s: &str) -> Option<i64> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    chrono::NaiveDateTime::parse_from_str(&s, "%a %b %d %H:%M:%S UTC %Y")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

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
    if let Some(comment) = t.strip_prefix('#') {
        if let Some((key, value)) = comment.split_once(':') {
            let key = key.trim();
            let value = value.trim();
            match key {
                // The file's own date wins over the date of its upstream source.
                "This File Date" => state.date = parse_header_date(value).or(state.date),
                "Source File Date" if state.date.is_none() => state.date = parse_header_date(value),
                "Entries" => {
                    // Netsets say "N subnets, M unique IPs"; ipsets say "N unique IPs".
                    let count = value.split_whitespace().next().and_then(|c| c.parse().ok());
                    if value.contains("subnets") || value.ends_with("unique IPs") {
                        state.declared_records = count;
                    }
                }
                _ => {}
            }
        }
        return Ok(None);
    }
    // Some lists append a comment after the entry.
    let entry = t.split(['#', ';']).next().unwrap_or(t).trim();
    match parse_entry(entry) {
        Some(range) => Ok(Some(Record::Listing {
            range,
            reference: None,
        })),
        None => Err(Error::parse(
            name,
            n,
            format!("not an IP address or CIDR: {entry:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_entries() {
        let mut st = State::default();
        assert_eq!(
            parse(
                "f",
                1,
                "# This File Date  : Wed Nov 11 06:10:00 UTC 2026",
                &mut st
            )
            .unwrap(),
            None
        );
        assert_eq!(st.date, Some(1794377400));
        parse(
            "f",
            2,
            "# Entries         : 3 subnets, 9 unique IPs",
            &mut st,
        )
        .unwrap();
        assert_eq!(st.declared_records, Some(3));
        assert!(matches!(
            parse("f", 3, "198.18.0.0/30", &mut st).unwrap(),
            Some(Record::Listing { .. })
        ));
        assert!(matches!(
            parse("f", 4, "2001:db8::1", &mut st).unwrap(),
            Some(Record::Listing { .. })
        ));
        let err = parse("f", 5, "198.18.0.0/40", &mut st).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f:5: not an IP address or CIDR: \"198.18.0.0/40\""
        );
    }
}
