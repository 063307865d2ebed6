//! Spamhaus DROP and ASN-DROP.
//!
//! JSON lines (`drop_v4.json`, `drop_v6.json`, `asndrop.json`): one object
//! per record and a final `{"type":"metadata","timestamp":…,"records":…}`
//! line, whose record count is checked so that a cut download is refused.
//! Legacy text (`drop.txt`): `CIDR ; SBLnnn` lines and `;` comments, one of
//! which is `Last-Modified: <RFC 2822 date>`.

use ipnetwork::IpNetwork;
use serde::Deserialize;

use super::{IpRange, Record, State};
use crate::error::Error;
use crate::subject::{Asn, Country};

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: Option<String>,
    cidr: Option<String>,
    sblid: Option<String>,
    asn: Option<serde_json::Value>,
    asname: Option<String>,
    cc: Option<String>,
    timestamp: Option<i64>,
    records: Option<u64>,
}

fn cidr(name: &str, n: u64, text: &str) -> Result<IpRange, Error> {
    let net: IpNetwork = text
        .trim()
        .parse()
        .map_err(|_| Error::parse(name, n, format!("invalid CIDR {text:?}")))?;
    let net = IpNetwork::new(net.network(), net.prefix()).unwrap_or(net);
    Ok(IpRange::from(net))
}

pub(crate) fn parse_json(
    name: &str,
    n: u64,
    line: &str,
    state: &mut State,
    asn_list: bool,
) -> Result<Option<Record>, Error> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let obj: Line =
        serde_json::from_str(t).map_err(|e| Error::parse(name, n, format!("invalid JSON: {e}")))?;
    if obj.kind.as_deref() == Some("metadata") {
        state.date = obj.timestamp.or(state.date);
        state.declared_records = obj.records;
        return Ok(None);
    }
    if asn_list {
        let asn = match &obj.asn {
            Some(serde_json::Value::Number(num)) => num
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .map(Asn::new),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| Error::parse(name, n, "missing or invalid \"asn\""))?;
        let country = match obj.cc.as_deref() {
            None | Some("") => None,
            Some(cc) => Some(
                cc.parse::<Country>()
                    .map_err(|_| Error::parse(name, n, format!("invalid country code {cc:?}")))?,
            ),
        };
        return Ok(Some(Record::AsnListing {
            asn,
            as_name: obj.asname.filter(|s| !s.trim().is_empty()),
            country,
        }));
    }
    let Some(text) = obj.cidr else {
        return Err(Error::parse(name, n, "missing \"cidr\""));
    };
    Ok(Some(Record::Listing {
        range: cidr(name, n, &text)?,
        reference: obj.sblid,
    }))
}

pub(crate) fn parse_text(
    name: &str,
    n: u64,
    line: &str,
    state: &mut State,
) -> Result<Option<Record>, Error> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Some(comment) = t.strip_prefix(';') {
        if let Some(date) = comment.trim().strip_prefix("Last-Modified:") {
            state.date = chrono::DateTime::parse_from_rfc2822(date.trim())
                .ok()
                .map(|d| d.timestamp())
                .or(state.date);
        }
        return Ok(None);
    }
    let (net, reference) = match t.split_once(';') {
        Some((net, sbl)) => (net, Some(sbl.trim().to_owned()).filter(|s| !s.is_empty())),
        None => (t, None),
    };
    Ok(Some(Record::Listing {
        range: cidr(name, n, net.trim())?,
        reference,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_and_metadata() {
        let mut st = State::default();
        let r = parse_json(
            "d",
            1,
            r#"{"cidr":"198.18.0.0/21","sblid":"SBL600001","rir":"ripencc"}"#,
            &mut st,
            false,
        )
        .unwrap();
        assert!(
            matches!(r, Some(Record::Listing { reference: Some(ref s), .. }) if s == "SBL600001")
        );
        parse_json(
            "d",
            2,
            r#"{"type":"metadata","timestamp":1794268800,"size":61,"records":1}"#,
            &mut st,
            false,
        )
        .unwrap();
        assert_eq!(st.date, Some(1794268800));
        assert_eq!(st.declared_records, Some(1));
        assert!(parse_json("d", 3, r#"{"sblid":"SBL1"}"#, &mut st, false).is_err());
        assert!(parse_json("d", 3, r#"{"cidr":"198.18.0.0/99"}"#, &mut st, false).is_err());
        assert!(
            parse_json("d", 3, "{", &mut st, false)
                .unwrap_err()
                .to_string()
                .starts_with("d:3: invalid JSON")
        );
    }

    #[test]
    fn asn_drop() {
        let mut st = State::default();
        let r = parse_json("a", 1, r#"{"asn":64502,"rir":"ripencc","domain":"x.example","cc":"SC","asname":"EXAMPLE-BPH"}"#, &mut st, true).unwrap();
        match r {
            Some(Record::AsnListing {
                asn,
                as_name,
                country,
            }) => {
                assert_eq!(asn.get(), 64502);
                assert_eq!(as_name.as_deref(), Some("EXAMPLE-BPH"));
                assert_eq!(country.map(|c| c.to_string()).as_deref(), Some("SC"));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_json("a", 2, r#"{"asn":-1}"#, &mut st, true).is_err());
        assert!(parse_json("a", 2, r#"{"asn":64502,"cc":"SEY"}"#, &mut st, true).is_err());
    }

    #[test]
    fn legacy_text() {
        let mut st = State::default();
        parse_text(
            "t",
            1,
            "; Last-Modified: Thu, 12 Nov 2026 08:00:00 GMT",
            &mut st,
        )
        .unwrap();
        assert_eq!(st.date, Some(1794470400));
        let r = parse_text("t", 2, "198.18.200.0/24 ; SBL600010", &mut st).unwrap();
        assert!(
            matches!(r, Some(Record::Listing { reference: Some(ref s), .. }) if s == "SBL600010")
        );
        assert!(parse_text("t", 3, "198.18.200.0/24x ; SBL1", &mut st).is_err());
    }
}
