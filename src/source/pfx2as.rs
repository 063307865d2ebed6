//! CAIDA RouteViews prefix2as: `prefix<TAB>length<TAB>asn`.
//!
//! The AS field is one number, several joined by `_` (more than one AS
//! originates the prefix: a multi-origin conflict) or by `,` (an AS set).
//! bphscore keeps the first AS as the origin and flags the record.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::{IpRange, Record};
use crate::error::Error;
use crate::subject::Asn;

pub(crate) fn parse(name: &str, n: u64, line: &str) -> Result<Option<Record>, Error> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    let mut fields = t.split('\t');
    let (Some(addr), Some(len), Some(asns), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(Error::parse(
            name,
            n,
            "expected three tab-separated fields: prefix, length, AS",
        ));
    };
    let addr: IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| Error::parse(name, n, format!("invalid prefix address {addr:?}")))?;
    let len: u8 = len
        .trim()
        .parse()
        .map_err(|_| Error::parse(name, n, format!("invalid prefix length {len:?}")))?;
    let net = IpNetwork::new(addr, len)
        .map_err(|_| Error::parse(name, n, format!("prefix length {len} too long for {addr}")))?;
    let asns = asns.trim();
    let first = asns.split(['_', ',']).next().unwrap_or_default();
    let origin: Asn = first
        .parse()
        .map_err(|_| Error::parse(name, n, format!("invalid origin AS {asns:?}")))?;
    // Every member must be a number too, or the line is corrupt.
    let mut other_origins = Vec::new();
    for (i, member) in asns.split(['_', ',']).enumerate() {
        let asn = member
            .parse::<Asn>()
            .map_err(|_| Error::parse(name, n, format!("invalid origin AS {asns:?}")))?;
        if i > 0 && asn != origin && !other_origins.contains(&asn) {
            other_origins.push(asn);
        }
    }
    let net = IpNetwork::new(net.network(), net.prefix()).unwrap_or(net);
    Ok(Some(Record::Route {
        range: IpRange::from(net),
        origin,
        as_name: None,
        multi_origin: asns.contains(['_', ',']),
        other_origins,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bphscore_asn(n: u32) -> Asn {
        Asn::new(n)
    }

    #[test]
    fn lines() {
        match parse("p", 1, "198.51.100.0\t24\t65536_64504").unwrap() {
            Some(Record::Route {
                origin,
                multi_origin,
                range,
                other_origins,
                ..
            }) => {
                assert_eq!(origin.get(), 65536);
                assert!(multi_origin);
                assert_eq!(other_origins, vec![bphscore_asn(64504)]);
                assert_eq!(range.to_string(), "198.51.100.0-198.51.100.255");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("p", 1, "2001:db8:300::\t48\t64502").unwrap(),
            Some(Record::Route {
                multi_origin: false,
                ..
            })
        ));
        for bad in [
            "198.51.100.0\t33\t1",
            "198.51.100.0 24 1",
            "x\t24\t1",
            "198.51.100.0\t24\t1_x",
            "1.2.3.0\t24\t1\t2",
        ] {
            let err = parse("p", 3, bad).unwrap_err();
            assert!(err.to_string().starts_with("p:3: "), "{bad:?}: {err}");
        }
    }
}
