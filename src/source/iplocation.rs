//! ip-location-db CSV ranges: `start,end,asn,org` and `start,end,country_code`.
//!
//! Fields are split here rather than with the `csv` crate so that each line
//! goes through the shared bounded line reader and an error names its line;
//! ip-location-db quotes fields RFC 4180 style but never spans lines.

use std::borrow::Cow;
use std::net::IpAddr;

use super::{IpRange, Record};
use crate::error::Error;
use crate::subject::{Asn, Country};

/// Splits one CSV line into fields, honouring double quotes and `""` escapes.
pub(crate) fn split_csv(line: &str) -> Vec<String> {
    fields(line).into_iter().map(Cow::into_owned).collect()
}

/// Splits one CSV line into fields as [`split_csv`] does, borrowing them
/// from the line unless quotes had to be undone. Runs between the commas
/// and quotes are found with `memchr` and copied whole, never char by
/// char: on the real ip-location-db ASN files (a fifth of the lines quote
/// the AS name), splitting into owned strings char by char took more time
/// than the rest of parsing a line.
pub(crate) fn fields(line: &str) -> Vec<Cow<'_, str>> {
    let bytes = line.as_bytes();
    let mut fields = Vec::with_capacity(4);
    if memchr::memchr(b'"', bytes).is_none() {
        let mut start = 0;
        for comma in memchr::memchr_iter(b',', bytes) {
            fields.push(Cow::Borrowed(&line[start..comma]));
            start = comma + 1;
        }
        fields.push(Cow::Borrowed(&line[start..]));
        return fields;
    }
    // The field under way is `line[start..p]` while `owned` is `None`,
    // else `owned` (a quote was undone).
    let (mut p, mut start) = (0usize, 0usize);
    let mut owned: Option<String> = None;
    let mut quoted = false;
    loop {
        if quoted {
            let f = owned.get_or_insert_with(String::new);
            match memchr::memchr(b'"', &bytes[p..]) {
                None => {
                    f.push_str(&line[p..]);
                    fields.push(Cow::Owned(std::mem::take(f)));
                    return fields;
                }
                Some(k) => {
                    let q = p + k;
                    f.push_str(&line[p..q]);
                    if bytes.get(q + 1) == Some(&b'"') {
                        f.push('"');
                        p = q + 2;
                    } else {
                        quoted = false;
                        p = q + 1;
                    }
                }
            }
            continue;
        }
        let Some(k) = memchr::memchr2(b',', b'"', &bytes[p..]) else {
            fields.push(match owned {
                None => Cow::Borrowed(&line[start..]),
                Some(mut f) => {
                    f.push_str(&line[p..]);
                    Cow::Owned(f)
                }
            });
            return fields;
        };
        let q = p + k;
        if bytes[q] == b',' {
            fields.push(match owned.take() {
                None => Cow::Borrowed(&line[start..q]),
                Some(mut f) => {
                    f.push_str(&line[p..q]);
                    Cow::Owned(f)
                }
            });
            p = q + 1;
            start = p;
            continue;
        }
        // A quote opens a quoted stretch at the start of a field, and is
        // an ordinary character anywhere else.
        let empty = match &owned {
            None => start == q,
            Some(f) => f.is_empty() && p == q,
        };
        if empty {
            quoted = true;
            owned = Some(String::new());
        } else if let Some(f) = &mut owned {
            f.push_str(&line[p..=q]);
        }
        p = q + 1;
    }
}

/// A canonical dotted quad (`192.0.2.1`: four numbers up to 255, no
/// leading zeros), read directly; anything else is left to the standard
/// parser, which reads these the same. Four fifths of the real ASN lines
/// start with two of them.
fn dotted_quad(s: &str) -> Option<std::net::Ipv4Addr> {
    let b = s.as_bytes();
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let digits = b[i.min(b.len())..]
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 3 || (digits > 1 && b[i] == b'0') {
            return None;
        }
        let v = b[i..i + digits]
            .iter()
            .fold(0u32, |v, c| v * 10 + u32::from(c - b'0'));
        *octet = u8::try_from(v).ok()?;
        i += digits;
    }
    (i == b.len()).then(|| std::net::Ipv4Addr::from(octets))
}

fn address(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    dotted_quad(s).map(IpAddr::V4).or_else(|| s.parse().ok())
}

fn range(name: &str, n: u64, start: &str, end: &str) -> Result<IpRange, Error> {
    let first = address(start)
        .ok_or_else(|| Error::parse(name, n, format!("invalid start address {start:?}")))?;
    let last = address(end)
        .ok_or_else(|| Error::parse(name, n, format!("invalid end address {end:?}")))?;
    IpRange::new(first, last).ok_or_else(|| {
        Error::parse(
            name,
            n,
            format!("{first} to {last} is not a range (reversed or mixed families)"),
        )
    })
}

fn skip(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

pub(crate) fn parse_asn(name: &str, n: u64, line: &str) -> Result<Option<Record>, Error> {
    if skip(line) {
        return Ok(None);
    }
    let fields = fields(line);
    if fields.len() < 3 {
        return Err(Error::parse(
            name,
            n,
            format!(
                "expected start,end,asn,org but found {} field(s)",
                fields.len()
            ),
        ));
    }
    // A header line, as some re-publishers add one.
    if fields[0].trim().eq_ignore_ascii_case("start")
        || fields[0].trim().eq_ignore_ascii_case("ip_range_start")
    {
        return Ok(None);
    }
    let range = range(name, n, &fields[0], &fields[1])?;
    let origin: Asn = fields[2]
        .parse()
        .map_err(|_| Error::parse(name, n, format!("invalid AS number {:?}", fields[2])))?;
    // One name field is the rule (quoted when it holds a comma): no join.
    let as_name = match &fields[3..] {
        [] => String::new(),
        [one] => one.trim().to_owned(),
        more => more.join(",").trim().to_owned(),
    };
    Ok(Some(Record::Route {
        range,
        origin,
        as_name: (!as_name.is_empty()).then_some(as_name),
        multi_origin: false,
        other_origins: Vec::new(),
    }))
}

pub(crate) fn parse_country(name: &str, n: u64, line: &str) -> Result<Option<Record>, Error> {
    if skip(line) {
        return Ok(None);
    }
    let fields = fields(line);
    if fields.len() != 3 {
        return Err(Error::parse(
            name,
            n,
            format!(
                "expected start,end,country_code but found {} field(s)",
                fields.len()
            ),
        ));
    }
    if fields[0].trim().eq_ignore_ascii_case("start") {
        return Ok(None);
    }
    let range = range(name, n, &fields[0], &fields[1])?;
    let country: Country = fields[2]
        .parse()
        .map_err(|_| Error::parse(name, n, format!("invalid country code {:?}", fields[2])))?;
    Ok(Some(Record::Country { range, country }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        assert_eq!(split_csv("a,\"b, c\",d"), vec!["a", "b, c", "d"]);
        assert_eq!(split_csv("a,\"say \"\"hi\"\"\""), vec!["a", "say \"hi\""]);
        assert_eq!(split_csv("a,,"), vec!["a", "", ""]);
    }

    #[test]
    fn borrowed_fields_match_the_quote_aware_split() {
        // The char-by-char split every line once went through.
        fn reference(line: &str) -> Vec<String> {
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut chars = line.chars().peekable();
            let mut quoted = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        field.push('"');
                        chars.next();
                    }
                    '"' if quoted => quoted = false,
                    '"' if field.is_empty() => quoted = true,
                    ',' if !quoted => fields.push(std::mem::take(&mut field)),
                    c => field.push(c),
                }
            }
            fields.push(field);
            fields
        }
        for line in [
            "",
            ",",
            "a,b,c",
            "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"",
            "a,,\"\"",
            "a,b\"c,d",
            "\"\"\"x\",y",
            "é,ü,\"ß,ø\"",
            "a,\"unclosed, quote",
            "x,\"a\"b,c",
            "\"a\",\"b\"\"c\",d\"e,\"\"",
            "a\"\"b,\"\",,\"",
            "\"",
            "\"\"",
            "x,\"\"\"\"",
            "\"a,b\"c\"d\",e",
        ] {
            let borrowed: Vec<String> = fields(line).into_iter().map(Cow::into_owned).collect();
            assert_eq!(borrowed, reference(line), "{line:?}");
            assert_eq!(split_csv(line), reference(line), "{line:?}");
        }
        // Every line of up to 7 characters from a small alphabet.
        let alphabet = ['a', ',', '"', 'é'];
        let mut lines = vec![String::new()];
        for _ in 0..7 {
            lines = lines
                .iter()
                .flat_map(|l| alphabet.iter().map(move |c| format!("{l}{c}")))
                .collect();
            for line in &lines {
                let borrowed: Vec<String> = fields(line).into_iter().map(Cow::into_owned).collect();
                assert_eq!(borrowed, reference(line), "{line:?}");
            }
        }
    }

    #[test]
    fn dotted_quads_read_as_the_standard_parser_reads_them() {
        let mut cases: Vec<String> = [
            "0.0.0.0",
            "255.255.255.255",
            "1.2.3.4",
            "01.2.3.4",
            "1.2.3.04",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "1234.1.1.1",
            "1.2.3.-4",
            "1.2.3.4x",
            "",
            "::1",
            "::ffff:1.2.3.4",
            "1.2.3.0000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for a in [0u32, 7, 10, 99, 100, 199, 200, 249, 250, 255, 256, 300, 999] {
            cases.push(format!("{a}.{a}.0.{a}"));
            cases.push(format!("0{a}.1.1.1"));
        }
        for c in &cases {
            assert_eq!(
                dotted_quad(c).map(IpAddr::V4).or_else(|| c.parse().ok()),
                c.parse::<IpAddr>().ok(),
                "{c:?}"
            );
            if let Some(a) = dotted_quad(c) {
                assert_eq!(Ok(a), c.parse(), "{c:?}");
            }
        }
    }

    #[test]
    fn asn_lines() {
        let r = parse_asn("f", 1, "192.0.2.0,192.0.2.255,64500,\"EXAMPLE, Ltd\"").unwrap();
        match r {
            Some(Record::Route {
                origin, as_name, ..
            }) => {
                assert_eq!(origin.get(), 64500);
                assert_eq!(as_name.as_deref(), Some("EXAMPLE, Ltd"));
            }
            other => panic!("{other:?}"),
        }
        let err = parse_asn("f", 7, "192.0.2.9,192.0.2.1,64500,X").unwrap_err();
        assert!(err.to_string().starts_with("f:7: "), "{err}");
        assert!(parse_asn("f", 1, "192.0.2.0,2001:db8::,1,X").is_err());
        assert!(parse_asn("f", 1, "192.0.2.0,192.0.2.1,ASX,X").is_err());
        assert!(parse_asn("f", 1, "192.0.2.0,192.0.2.1").is_err());
        assert_eq!(parse_asn("f", 1, "").unwrap(), None);
    }

    #[test]
    fn country_lines() {
        assert!(matches!(
            parse_country("f", 1, "192.0.2.0,192.0.2.255,nl").unwrap(),
            Some(Record::Country { .. })
        ));
        assert!(parse_country("f", 1, "192.0.2.0,192.0.2.255,NLD").is_err());
    }
}
