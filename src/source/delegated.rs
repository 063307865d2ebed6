//! RIR delegated-extended statistics, as the five registries publish them
//! (`delegated-ripencc-extended-latest`, `delegated-arin-extended-…`):
//! a version line `2|registry|serial|records|startdate|enddate|UTCoffset`,
//! summary lines `registry|*|type|*|count|summary`, then
//! `registry|cc|type|start|value|date|status|opaque-id`. For `ipv4` the
//! value is an address count (not always a power of two), for `ipv6` a
//! prefix length, for `asn` a count of AS numbers. The date is the
//! delegation's, or the last transfer's; `00000000` means unknown.

use std::net::IpAddr;

use super::rpsl::clip;
use super::whois::Delegation;
use super::{IpRange, Record, State};
use crate::error::Error;
use crate::subject::{Asn, Country};

pub(crate) const REGISTRIES: &[&str] = &["afrinic", "apnic", "arin", "iana", "lacnic", "ripencc"];

fn date(source: &str, n: u64, v: &str) -> Result<Option<i64>, Error> {
    let v = v.trim();
    if v.is_empty() || v.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    if v.len() == 8
        && let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y%m%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Some(t.and_utc().timestamp()));
    }
    Err(Error::parse(
        source,
        n,
        format!("invalid date {:?} (expected YYYYMMDD)", clip(v)),
    ))
}

pub(crate) fn parse(
    source: &str,
    n: u64,
    line: &str,
    state: &mut State,
) -> Result<Option<Record>, Error> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    let f: Vec<&str> = t.split('|').collect();
    // The version line: `2|ripencc|20261101|records|start|end|offset`.
    if f[0].bytes().all(|b| b.is_ascii_digit() || b == b'.') && f.len() >= 3 {
        if let Some(d) = date(source, n, f[2])? {
            state.date = Some(d);
        }
        return Ok(None);
    }
    if f.len() == 6 && f[5].trim() == "summary" {
        return Ok(None);
    }
    if f.len() < 7 {
        return Err(Error::parse(
            source,
            n,
            "expected registry|cc|type|start|value|date|status[|opaque-id]",
        ));
    }
    let registry = f[0].trim().to_ascii_lowercase();
    if !REGISTRIES.contains(&registry.as_str()) {
        return Err(Error::parse(
            source,
            n,
            format!("unknown registry {:?}", clip(f[0])),
        ));
    }
    let status = f[6].trim().to_ascii_lowercase();
    let when = date(source, n, f[5])?;
    if !matches!(status.as_str(), "allocated" | "assigned") {
        // Available and reserved space has no holder.
        return Ok(None);
    }
    let country = match f[1].trim() {
        "" | "ZZ" | "zz" => None,
        cc => Some(
            cc.parse::<Country>()
                .map_err(|_| Error::parse(source, n, format!("invalid country {:?}", clip(cc))))?,
        ),
    };
    let value: u64 = f[4]
        .trim()
        .parse()
        .map_err(|_| Error::parse(source, n, format!("invalid value {:?}", clip(f[4]))))?;
    let (mut range, mut asns) = (None, None);
    match f[2].trim() {
        "ipv4" => {
            let start: IpAddr = f[3]
                .trim()
                .parse()
                .ok()
                .filter(IpAddr::is_ipv4)
                .ok_or_else(|| {
                    Error::parse(source, n, format!("invalid IPv4 start {:?}", clip(f[3])))
                })?;
            let IpAddr::V4(s) = start else { unreachable!() };
            let first = u64::from(u32::from(s));
            let last = first
                .checked_add(value)
                .and_then(|v| v.checked_sub(1))
                .filter(|&l| value > 0 && l <= u64::from(u32::MAX))
                .ok_or_else(|| {
                    Error::parse(
                        source,
                        n,
                        format!("{value} addresses from {s} run past the end of IPv4"),
                    )
                })?;
            range = IpRange::new(start, IpAddr::V4((last as u32).into()));
        }
        "ipv6" => {
            let start: std::net::Ipv6Addr = f[3].trim().parse().map_err(|_| {
                Error::parse(source, n, format!("invalid IPv6 start {:?}", clip(f[3])))
            })?;
            let len = u8::try_from(value)
                .ok()
                .filter(|l| *l <= 128)
                .ok_or_else(|| {
                    Error::parse(source, n, format!("invalid IPv6 prefix length {value}"))
                })?;
            let net = ipnetwork::Ipv6Network::new(start, len)
                .map_err(|_| Error::parse(source, n, "invalid IPv6 prefix"))?;
            range = Some(IpRange::from(ipnetwork::IpNetwork::V6(
                ipnetwork::Ipv6Network::new(net.network(), len).unwrap_or(net),
            )));
        }
        "asn" => {
            let first: Asn = f[3].trim().parse().map_err(|_| {
                Error::parse(source, n, format!("invalid AS number {:?}", clip(f[3])))
            })?;
            let count = u32::try_from(value)
                .ok()
                .filter(|c| *c > 0 && first.get().checked_add(c - 1).is_some())
                .ok_or_else(|| Error::parse(source, n, format!("invalid AS count {value}")))?;
            asns = Some((first, count));
        }
        other => {
            return Err(Error::parse(
                source,
                n,
                format!("unknown resource type {:?}", clip(other)),
            ));
        }
    }
    let opaque_id = f
        .get(7)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(Some(Record::Delegation(Box::new(Delegation {
        registry,
        country,
        range,
        asns,
        date: when,
        status,
        opaque_id,
    }))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let mut st = State::default();
        assert!(
            parse(
                "d",
                1,
                "2|ripencc|20261101|5|19930901|20261101|+0100",
                &mut st
            )
            .unwrap()
            .is_none()
        );
        assert_eq!(st.date, Some(1_793_491_200));
        assert!(
            parse("d", 2, "ripencc|*|ipv4|*|3|summary", &mut st)
                .unwrap()
                .is_none()
        );
        let r = parse(
            "d",
            3,
            "ripencc|SC|ipv4|198.18.16.0|1024|20261001|allocated|opq-1",
            &mut st,
        )
        .unwrap()
        .unwrap();
        let Record::Delegation(d) = r else { panic!() };
        assert_eq!(d.range.unwrap().to_string(), "198.18.16.0-198.18.19.255");
        assert_eq!(d.opaque_id.as_deref(), Some("opq-1"));
        let e = parse(
            "d",
            4,
            "ripencc|SC|ipv4|198.18.16.0|1024|20261341|allocated|x",
            &mut st,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "d:4: invalid date \"20261341\" (expected YYYYMMDD)"
        );
        assert!(
            parse(
                "d",
                5,
                "ripencc|SC|ipv4|255.255.255.0|1024|20261001|allocated",
                &mut st
            )
            .is_err()
        );
        assert!(
            parse("d", 6, "ripencc|ZZ|ipv4|198.18.0.0|256||available", &mut st)
                .unwrap()
                .is_none()
        );
    }
}
