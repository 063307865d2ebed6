//! CAIDA AS Organizations (`YYYYMMDD.as-org2info.txt`): two sections, each
//! introduced by a `# format:` comment line.
//!
//! ```text
//! # format:aut|changed|aut_name|org_id|opaque_id|source
//! 64500|20260101|EXAMPLE-EYEBALL|ORG-EE1-TEST|opq|RIPE
//! # format:org_id|changed|name|country|source
//! ORG-EE1-TEST|20260101|Example Eyeball B.V.|NL|RIPE
//! ```
//!
//! AS lines become AS registrations (name and holder), organisation lines
//! organisations (name and country), so that routing sources without AS
//! names get them, and holders are known where no WHOIS dump is given.

use super::{AutNum, Organisation, Record, State};
use crate::error::Error;
use crate::subject::{Asn, Country};

/// Which section the lines belong to.
pub(crate) const SECTION_AUT: u8 = 1;
pub(crate) const SECTION_ORG: u8 = 2;

fn changed(name: &str, n: u64, s: &str) -> Result<Option<i64>, Error> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y%m%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc().timestamp()))
        .ok_or_else(|| Error::parse(name, n, format!("invalid date {s:?}; expected YYYYMMDD")))
}

fn text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
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
        if let Some(format) = comment.trim().strip_prefix("format:") {
            let format = format.trim();
            if format.starts_with("aut|") {
                state.section = SECTION_AUT;
            } else if format.starts_with("org_id|") {
                state.section = SECTION_ORG;
            }
        }
        return Ok(None);
    }
    let f: Vec<&str> = t.split('|').collect();
    match state.section {
        SECTION_AUT => {
            if f.len() != 6 {
                return Err(Error::parse(
                    name,
                    n,
                    "expected aut|changed|aut_name|org_id|opaque_id|source",
                ));
            }
            let asn: u32 = f[0]
                .trim()
                .parse()
                .map_err(|_| Error::parse(name, n, format!("invalid AS number {:?}", f[0])))?;
            Ok(Some(Record::AutNum(Box::new(AutNum {
                asn: Asn::new(asn),
                name: text(f[2]),
                org: text(f[3]),
                maintainers: Vec::new(),
                abuse_c: None,
                created: None,
                modified: changed(name, n, f[1])?,
            }))))
        }
        SECTION_ORG => {
            if f.len() != 5 {
                return Err(Error::parse(
                    name,
                    n,
                    "expected org_id|changed|name|country|source",
                ));
            }
            let Some(handle) = text(f[0]) else {
                return Err(Error::parse(name, n, "empty org_id"));
            };
            let cc = f[3].trim();
            // CAIDA writes an empty field or `??` when the country is unknown.
            let country =
                if cc.is_empty() || cc == "??" {
                    None
                } else {
                    Some(cc.parse::<Country>().map_err(|_| {
                        Error::parse(name, n, format!("invalid country code {cc:?}"))
                    })?)
                };
            Ok(Some(Record::Organisation(Box::new(Organisation {
                handle,
                name: text(f[2]),
                country,
                maintainers: Vec::new(),
                abuse_c: None,
                abuse_mailbox: None,
                created: None,
                modified: changed(name, n, f[1])?,
            }))))
        }
        _ => Err(Error::parse(
            name,
            n,
            "a data line before any `# format:` line",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sections() {
        let mut st = State::default();
        let text = "# name: AS Org\n# format:aut|changed|aut_name|org_id|opaque_id|source\n\
                    64500|20260101|EXAMPLE-EYEBALL|ORG-EE1-TEST|opq|RIPE\n\
                    # format:org_id|changed|name|country|source\n\
                    ORG-EE1-TEST|20260101|Example Eyeball B.V.|NL|RIPE\n\
                    ORG-X|20260101|Nowhere||ARIN\n";
        let recs: Vec<Record> = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| parse("o", i as u64 + 1, l, &mut st).unwrap())
            .collect();
        assert_eq!(recs.len(), 3);
        match &recs[0] {
            Record::AutNum(a) => {
                assert_eq!(a.asn.get(), 64500);
                assert_eq!(a.org.as_deref(), Some("ORG-EE1-TEST"));
            }
            other => panic!("{other:?}"),
        }
        match &recs[1] {
            Record::Organisation(o) => {
                assert_eq!(o.country.map(|c| c.to_string()).as_deref(), Some("NL"))
            }
            other => panic!("{other:?}"),
        }
        let mut st = State::default();
        assert!(
            parse("o", 1, "64500|x|y|z|w|v", &mut st)
                .unwrap_err()
                .to_string()
                .starts_with("o:1: ")
        );
        st.section = SECTION_AUT;
        assert!(parse("o", 2, "AS|20260101|y|z|w|v", &mut st).is_err());
        assert!(parse("o", 3, "64500|2026|y|z|w|v", &mut st).is_err());
        st.section = SECTION_ORG;
        assert!(parse("o", 4, "ORG|20260101|n|XYZ|RIPE", &mut st).is_err());
    }
}
