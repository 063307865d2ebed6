//! ARIN bulk WHOIS records: blank-line separated `Key: value` objects as
//! ARIN's bulk WHOIS and its whois text output write them. Network records
//! carry `NetHandle`, `NetRange` (or `CIDR`), `NetType` (`Direct
//! Allocation`, `Direct Assignment`, `Reallocated`, `Reassigned`),
//! `OrgID`, `Parent`, `RegDate` and `Updated`; organisation records
//! `OrgID`, `OrgName`, `Country`, `OrgAbuseEmail`; AS records `ASHandle`,
//! `ASNumber`, `ASName`, `OrgID`. The object syntax is RPSL's, so the RPSL
//! lexer reads it; this module gives the keys their meaning.

use super::rpsl::{Object, clip, parse_country, parse_date, parse_range};
use super::whois::{AutNum, BlockStatus, Organisation, Registration};
use super::{IpRange, Record};
use crate::error::Error;
use crate::subject::Asn;

fn bad(source: &str, line: u64, what: &str, v: &str) -> Error {
    Error::parse(source, line, format!("invalid {what} {:?}", clip(v)))
}

fn owned(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

fn date(source: &str, line: u64, v: &str) -> Result<Option<i64>, Error> {
    parse_date(v)
        .map(Some)
        .ok_or_else(|| bad(source, line, "date", v))
}

/// Interprets one ARIN object. Records bphscore does not use (POCs,
/// customers) give `None`.
pub(crate) fn interpret(source: &str, obj: &Object) -> Result<Option<Record>, Error> {
    let has = |k: &str| obj.attrs().any(|(n, _, _)| n == k);
    if has("netrange") || has("cidr") || has("nethandle") || has("v6nethandle") {
        let mut reg = Registration::default();
        let mut cidr_span: Option<IpRange> = None;
        for (name, value, line) in obj.attrs() {
            match name {
                "netrange" => {
                    let (a, b) = value
                        .split_once('-')
                        .ok_or_else(|| bad(source, line, "NetRange", value))?;
                    let (a, b) = (a.trim(), b.trim());
                    let first = a
                        .parse()
                        .map_err(|_| bad(source, line, "NetRange", value))?;
                    let last = b
                        .parse()
                        .map_err(|_| bad(source, line, "NetRange", value))?;
                    reg.range = Some(IpRange::new(first, last).ok_or_else(|| {
                        Error::parse(
                            source,
                            line,
                            format!("NetRange {:?} is reversed or mixes families", clip(value)),
                        )
                    })?);
                }
                "cidr" => {
                    // `CIDR: 192.0.2.0/25, 192.0.2.128/26`: the span of the list.
                    for part in value.split(',') {
                        let r = parse_range(part.trim())
                            .ok_or_else(|| bad(source, line, "CIDR", value))?;
                        cidr_span = Some(match cidr_span {
                            None => r,
                            Some(s) => {
                                IpRange::new(s.first().min(r.first()), s.last().max(r.last()))
                                    .ok_or_else(|| bad(source, line, "CIDR", value))?
                            }
                        });
                    }
                }
                "nethandle" | "v6nethandle" => reg.handle = owned(value),
                "parent" => {
                    // `Parent: EXAMPLE-NET (NET-192-0-0-0-1)` or a bare handle.
                    let v = value.trim();
                    let h = match (v.rfind('('), v.rfind(')')) {
                        (Some(a), Some(b)) if a < b => &v[a + 1..b],
                        _ => v,
                    };
                    reg.parent = owned(h);
                }
                "netname" => reg.name = owned(value),
                "nettype" => reg.status = Some(BlockStatus::from_arin(value)),
                "orgid" => reg.org = owned(value),
                "country" if reg.country.is_none() => {
                    reg.country = Some(
                        parse_country(value).ok_or_else(|| bad(source, line, "Country", value))?,
                    );
                }
                "regdate" => reg.created = date(source, line, value)?,
                "updated" => reg.modified = date(source, line, value)?,
                "orgabuseemail" => reg.abuse_mailbox = owned(value).map(|s| s.to_ascii_lowercase()),
                "orgabusehandle" => reg.abuse_c = owned(value),
                _ => {}
            }
        }
        if reg.range.is_none() {
            reg.range = cidr_span;
        }
        if reg.range.is_none() {
            return Err(Error::parse(
                source,
                obj.line,
                "network record without NetRange or CIDR",
            ));
        }
        return Ok(Some(Record::Registration(Box::new(reg))));
    }
    if has("asnumber") || has("ashandle") {
        let mut asn = None;
        let mut a = AutNum {
            asn: Asn::new(0),
            name: None,
            org: None,
            maintainers: Vec::new(),
            abuse_c: None,
            created: None,
            modified: None,
        };
        for (name, value, line) in obj.attrs() {
            match name {
                "asnumber" | "ashandle" if asn.is_none() => {
                    // `ASNumber: 64500` or a range `64500 - 64510` (first kept).
                    let first = value.split('-').next().unwrap_or("").trim();
                    asn = Some(
                        first
                            .parse::<Asn>()
                            .map_err(|_| bad(source, line, "AS number", value))?,
                    );
                }
                "asname" => a.name = owned(value),
                "orgid" => a.org = owned(value),
                "regdate" => a.created = date(source, line, value)?,
                "updated" => a.modified = date(source, line, value)?,
                _ => {}
            }
        }
        a.asn = asn.ok_or_else(|| Error::parse(source, obj.line, "AS record without a number"))?;
        return Ok(Some(Record::AutNum(Box::new(a))));
    }
    if has("orgid") && (has("orgname") || obj.class() == "orgid") {
        let mut org = Organisation::default();
        for (name, value, line) in obj.attrs() {
            match name {
                "orgid" => org.handle = value.trim().to_owned(),
                "orgname" => org.name = owned(value),
                "country" if org.country.is_none() => {
                    org.country = Some(
                        parse_country(value).ok_or_else(|| bad(source, line, "Country", value))?,
                    );
                }
                "orgabuseemail" => org.abuse_mailbox = owned(value).map(|s| s.to_ascii_lowercase()),
                "orgabusehandle" => org.abuse_c = owned(value),
                "regdate" => org.created = date(source, line, value)?,
                "updated" => org.modified = date(source, line, value)?,
                _ => {}
            }
        }
        if org.handle.is_empty() {
            return Err(Error::parse(
                source,
                obj.line,
                "organisation without an OrgID",
            ));
        }
        return Ok(Some(Record::Organisation(Box::new(org))));
    }
    Ok(None)
}
