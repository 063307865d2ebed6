//! CAIDA AS relationships (`YYYYMMDD.as-rel.txt`, serial-1, and
//! `YYYYMMDD.as-rel2.txt`, serial-2): `<AS a>|<AS b>|<rel>` with `-1` when
//! `a` is a provider of `b` and `0` when they are peers; serial-2 adds a
//! fourth field naming how the link was inferred (`bgp`, `mlp`, …).
//! Lines starting with `#` are comments (the files open with a header of
//! them).

use super::{Record, Relationship};
use crate::error::Error;
use crate::subject::Asn;

pub(crate) fn parse(name: &str, n: u64, line: &str) -> Result<Option<Record>, Error> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    let mut fields = t.split('|');
    let (Some(a), Some(b), Some(rel)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(Error::parse(
            name,
            n,
            "expected `AS|AS|relationship` (-1: provider to customer, 0: peers)",
        ));
    };
    // Serial-2 adds one field (the inference source); nothing more.
    if fields.next().is_some() && fields.next().is_some() {
        return Err(Error::parse(name, n, "too many `|`-separated fields"));
    }
    let asn = |s: &str| {
        s.trim()
            .parse::<u32>()
            .map(Asn::new)
            .map_err(|_| Error::parse(name, n, format!("invalid AS number {s:?}")))
    };
    let (a, b) = (asn(a)?, asn(b)?);
    let kind = match rel.trim() {
        "-1" => Relationship::ProviderCustomer,
        "0" => Relationship::Peers,
        other => {
            return Err(Error::parse(
                name,
                n,
                format!("unknown relationship {other:?}; expected -1 or 0"),
            ));
        }
    };
    if a == b {
        return Err(Error::parse(
            name,
            n,
            format!("AS{} is related to itself", a.get()),
        ));
    }
    Ok(Some(Record::AsLink { a, b, kind }))
}

/// Whether a line looks like an AS-relationship line (for format detection).
pub(crate) fn looks_like(line: &str) -> bool {
    let f: Vec<&str> = line.split('|').collect();
    (f.len() == 3 || f.len() == 4)
        && f[0].trim().parse::<u32>().is_ok()
        && f[1].trim().parse::<u32>().is_ok()
        && matches!(f[2].trim(), "-1" | "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_1_and_2() {
        match parse("r", 1, "64500|64502|-1").unwrap() {
            Some(Record::AsLink { a, b, kind }) => {
                assert_eq!((a.get(), b.get()), (64500, 64502));
                assert_eq!(kind, Relationship::ProviderCustomer);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("r", 1, "64500|64501|0|bgp").unwrap(),
            Some(Record::AsLink {
                kind: Relationship::Peers,
                ..
            })
        ));
        assert_eq!(parse("r", 1, "# input clique: 64500").unwrap(), None);
        for bad in [
            "64500|64502",
            "64500|64502|1",
            "x|64502|-1",
            "64500|64502|-1|bgp|x",
            "64500|64500|0",
            "64500|4294967296|-1",
        ] {
            let err = parse("r", 7, bad).unwrap_err();
            assert!(err.to_string().starts_with("r:7: "), "{bad:?}: {err}");
        }
        assert!(looks_like("1|2|-1"));
        assert!(looks_like("1|2|0|bgp"));
        assert!(!looks_like(
            "ripencc|NL|ipv4|1.0.0.0|256|20200101|allocated"
        ));
    }
}
