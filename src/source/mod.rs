//! Sources: streaming parsers for the public formats bphscore ingests.
//!
//! Each format is parsed line by line into [`Record`]s by a [`Parser`],
//! an iterator of `Result<Record, Error>` that never holds more than one
//! line (bounded by [`Limits::max_line_len`]) in memory. Errors name the
//! source and the line (RPSL and ARIN objects are read whole, object by
//! object, bounded by [`Limits::max_object_len`]; an error names the
//! offending line and skipping it skips its object); a caller that wants to
//! skip bad records (see
//! [`SnapshotBuilder::lenient`](crate::SnapshotBuilder::lenient)) simply
//! keeps iterating after an error.
//!
//! | format name | what | published by |
//! |---|---|---|
//! | `iplocation-asn` | `start,end,asn,org` CSV | ip-location-db (RouteViews, DB-IP, NRO) |
//! | `iplocation-country` | `start,end,country_code` CSV | ip-location-db |
//! | `pfx2as` | `prefix<TAB>length<TAB>asn` (`a_b` multi-origin, `a,b` AS set) | CAIDA RouteViews prefix2as |
//! | `drop-json` | JSON lines `{"cidr","sblid","rir"}` + metadata line | Spamhaus DROP (`drop_v4.json`, `drop_v6.json`) |
//! | `drop-text` | `CIDR ; SBLnnn` with `;` comments | Spamhaus DROP legacy text |
//! | `asn-drop` | JSON lines `{"asn","rir","domain","cc","asname"}` + metadata line | Spamhaus ASN-DROP |
//! | `netset` | `#` header, one IP or CIDR per line | FireHOL `.netset` / `.ipset`, plain IP lists |
//! | `rpsl` | blank-line separated `attribute: value` objects (`inetnum`, `inet6num`, `organisation`, `aut-num`, `route`, `role`, `irt`, …) | RIPE, APNIC, AFRINIC bulk dumps |
//! | `arin-whois` | blank-line separated `NetRange`/`NetType`/`OrgID`/`Parent` records | ARIN bulk WHOIS |
//! | `delegated` | `registry\|cc\|type\|start\|value\|date\|status\|opaque-id` | delegated-extended statistics of the five RIRs |
//! | `pdns-cof` | JSON lines `{"rrname","rrtype","rdata","time_first","time_last",…}` | passive-DNS servers (Common Output Format) |
//! | `feodo-json` | JSON array of `{"ip_address","first_seen","last_online","malware",…}` | abuse.ch Feodo Tracker `ipblocklist.json` |
//! | `feodo-csv` | `first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware` | abuse.ch Feodo Tracker `ipblocklist.csv` |
//! | `urlhaus-csv` | `id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter` | abuse.ch URLhaus CSV dumps |
//! | `threatfox-json` | JSON object of arrays of `{"ioc_value","ioc_type","threat_type","first_seen_utc","last_seen_utc",…}` | abuse.ch ThreatFox JSON export |
//! | `abuseipdb-json` | `{"meta":{"generatedAt"},"data":[{"ipAddress","lastReportedAt",…}]}` or check-block `reportedAddress` | AbuseIPDB API (blacklist, check-block) |
//! | `abuse-csv` | header `indicator,first_seen,last_seen,category,source`, then one address, domain or URL per line | generic (documented by bphscore) |
//!
//! The abuse feeds map their labels onto one taxonomy ([`Category`]:
//! c2, malware, phishing, spam, scanning, brute-force, other) and keep
//! their timestamps; a timestamp before 1990, more than a day in the
//! future, or unparseable is a bad record.
//! | `as-rel` | `AS\|AS\|-1` (provider to customer) or `AS\|AS\|0` (peers), `#` comments; serial-2's fourth field accepted | CAIDA AS relationships (`YYYYMMDD.as-rel.txt`, `.as-rel2.txt`) |
//! | `mmdb` | MaxMind DB (binary): country, ASN and Anonymous-IP flags (`is_hosting_provider`, `is_anonymous_vpn`, `is_public_proxy`, `is_residential_proxy`, `is_tor_exit_node`) | MaxMind GeoIP2/GeoLite2, DB-IP, ip-location-db |
//! | `mrt` | MRT RIB dumps (`TABLE_DUMP_V2`): per prefix every origin seen, per path the AS before the origin as an upstream (cargo feature `mrt`, `bgpkit-parser`) | RouteViews, RIPE RIS |
//! | `as2org` | `# format:` sections `aut\|changed\|aut_name\|org_id\|opaque_id\|source` and `org_id\|changed\|name\|country\|source` | CAIDA AS Organizations (`YYYYMMDD.as-org2info.txt`) |
//! | `protect` | one IP or CIDR per line, `#`/`;` comments; never detected, only named | your list of cloud, CDN and anycast ranges (guard rails) |
//!
//! Gzip input (`.gz` dumps) is recognised from its magic bytes and
//! decompressed on the fly, bounded by [`Limits::max_decompressed`].

mod abuse;
mod arin;
mod as2org;
mod asrel;
mod delegated;
mod iplocation;
mod lines;
mod mmdb;
#[cfg(feature = "mrt")]
mod mrt;
mod netset;
mod pdns;
mod pfx2as;
mod rpsl;
mod spamhaus;
mod whois;

use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::net::IpAddr;
use std::rc::Rc;
use std::str::FromStr;

use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::subject::{Asn, Country};

pub use abuse::{Category, EARLIEST_TIME, Indicator, ParseCategoryError, Target, parse_timestamp};
use lines::DecompressedLimit;
pub(crate) use lines::LineReader;
pub use pdns::DnsObservation;
pub use whois::{AutNum, BlockStatus, Delegation, Organisation, Registration};

/// A published input format.
///
/// ```
/// use bphscore::source::{Format, SourceKind};
///
/// let f: Format = "pfx2as".parse()?;
/// assert_eq!(f, Format::Pfx2as);
/// assert_eq!(f.kind(), SourceKind::Routing);
/// assert_eq!("firehol".parse::<Format>()?, Format::Netset);
/// assert!("nope".parse::<Format>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Format {
    /// ip-location-db ASN ranges: `start,end,asn,org`.
    IplocationAsn,
    /// ip-location-db country ranges: `start,end,country_code`.
    IplocationCountry,
    /// CAIDA RouteViews prefix2as: `prefix<TAB>length<TAB>asn`.
    Pfx2as,
    /// Spamhaus DROP as JSON lines.
    DropJson,
    /// Spamhaus DROP legacy text: `CIDR ; SBLnnn`.
    DropText,
    /// Spamhaus ASN-DROP as JSON lines.
    AsnDrop,
    /// FireHOL `.netset` / `.ipset` and plain lists of IPs and CIDRs.
    Netset,
    /// RPSL bulk dumps (RIPE, APNIC, AFRINIC).
    Rpsl,
    /// ARIN bulk WHOIS records.
    ArinWhois,
    /// RIR delegated-extended statistics.
    Delegated,
    /// Passive DNS in the Common Output Format (JSON lines).
    PdnsCof,
    /// abuse.ch Feodo Tracker `ipblocklist.json`.
    FeodoJson,
    /// abuse.ch Feodo Tracker `ipblocklist.csv`.
    FeodoCsv,
    /// abuse.ch URLhaus CSV dump.
    UrlhausCsv,
    /// abuse.ch ThreatFox JSON export.
    ThreatfoxJson,
    /// AbuseIPDB blacklist or check-block JSON.
    AbuseipdbJson,
    /// The generic CSV `indicator,first_seen,last_seen,category,source`.
    AbuseCsv,
    /// CAIDA AS relationships: `AS|AS|-1` (provider to customer), `AS|AS|0` (peers).
    AsRel,
    /// A list of cloud, CDN and anycast ranges under guard rails (one IP or
    /// CIDR per line). Never detected: name it (`protect:FILE`, `--protect`).
    Protect,
    /// MaxMind DB files: country, ASN and Anonymous-IP flags.
    Mmdb,
    /// MRT RIB dumps (RouteViews, RIPE RIS); read with the cargo feature `mrt`.
    Mrt,
    /// CAIDA AS Organizations: AS names and holders, organisation names and countries.
    As2org,
}

impl Format {
    /// Every format's name, as accepted by `FromStr` and `FORMAT:PATH`.
    pub const NAMES: &'static [&'static str] = &[
        "iplocation-asn",
        "iplocation-country",
        "pfx2as",
        "drop-json",
        "drop-text",
        "asn-drop",
        "netset",
        "rpsl",
        "arin-whois",
        "delegated",
        "pdns-cof",
        "feodo-json",
        "feodo-csv",
        "urlhaus-csv",
        "threatfox-json",
        "abuseipdb-json",
        "abuse-csv",
        "as-rel",
        "protect",
        "mmdb",
        "mrt",
        "as2org",
    ];

    /// The format's name.
    ///
    /// ```
    /// assert_eq!(bphscore::source::Format::DropJson.name(), "drop-json");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Format::IplocationAsn => "iplocation-asn",
            Format::IplocationCountry => "iplocation-country",
            Format::Pfx2as => "pfx2as",
            Format::DropJson => "drop-json",
            Format::DropText => "drop-text",
            Format::AsnDrop => "asn-drop",
            Format::Netset => "netset",
            Format::Rpsl => "rpsl",
            Format::ArinWhois => "arin-whois",
            Format::Delegated => "delegated",
            Format::PdnsCof => "pdns-cof",
            Format::FeodoJson => "feodo-json",
            Format::FeodoCsv => "feodo-csv",
            Format::UrlhausCsv => "urlhaus-csv",
            Format::ThreatfoxJson => "threatfox-json",
            Format::AbuseipdbJson => "abuseipdb-json",
            Format::AbuseCsv => "abuse-csv",
            Format::AsRel => "as-rel",
            Format::Protect => "protect",
            Format::Mmdb => "mmdb",
            Format::Mrt => "mrt",
            Format::As2org => "as2org",
        }
    }

    /// What kind of evidence the format carries.
    ///
    /// ```
    /// use bphscore::source::{Format, SourceKind};
    /// assert_eq!(Format::AsnDrop.kind(), SourceKind::AsnDrop);
    /// ```
    pub fn kind(self) -> SourceKind {
        match self {
            Format::IplocationAsn | Format::Pfx2as => SourceKind::Routing,
            Format::IplocationCountry => SourceKind::Geo,
            Format::DropJson | Format::DropText => SourceKind::Drop,
            Format::AsnDrop => SourceKind::AsnDrop,
            Format::Netset => SourceKind::Blocklist,
            Format::Rpsl | Format::ArinWhois | Format::Delegated => SourceKind::Whois,
            Format::PdnsCof => SourceKind::PassiveDns,
            Format::FeodoJson
            | Format::FeodoCsv
            | Format::UrlhausCsv
            | Format::ThreatfoxJson
            | Format::AbuseipdbJson
            | Format::AbuseCsv => SourceKind::AbuseFeed,
            Format::AsRel => SourceKind::Relationships,
            Format::Protect => SourceKind::Protected,
            Format::Mmdb => SourceKind::Geo,
            Format::Mrt => SourceKind::Routing,
            Format::As2org => SourceKind::Whois,
        }
    }

    /// Recognises a format from the first bytes of a (decompressed) source.
    ///
    /// ```
    /// use bphscore::source::Format;
    ///
    /// let head = b"198.18.0.0\t20\t64502\n";
    /// assert_eq!(Format::detect(head), Ok(Format::Pfx2as));
    /// assert_eq!(Format::detect(b"{\"asn\":64502,\"rir\":\"ripencc\"}\n"), Ok(Format::AsnDrop));
    /// assert!(Format::detect(b"hello world\n").is_err());
    /// ```
    pub fn detect(head: &[u8]) -> Result<Format, String> {
        let text = String::from_utf8_lossy(head);
        if let Some(f) = detect_document(&text) {
            return Ok(f);
        }
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        // The last line of a peeked buffer may be cut: only whole lines count.
        let whole = if head.ends_with(b"\n") {
            usize::MAX
        } else {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .count()
                .saturating_sub(1)
        };
        let mut seen_semicolon = false;
        let mut seen_hash = false;
        for (i, line) in lines.by_ref().enumerate().take(200) {
            if i >= whole && i > 0 {
                break;
            }
            if line.starts_with('{') {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    return Err(format!(
                        "a line starts with '{{' but is not JSON: {}",
                        clip(line)
                    ));
                };
                if v.get("cidr").is_some() {
                    return Ok(Format::DropJson);
                }
                if v.get("asn").is_some() {
                    return Ok(Format::AsnDrop);
                }
                if v.get("rrname").is_some() {
                    return Ok(Format::PdnsCof);
                }
                continue;
            }
            if line.starts_with(';') {
                seen_semicolon = true;
                continue;
            }
            if line.starts_with('%') {
                continue;
            }
            if line.contains('|') && asrel::looks_like(line) {
                return Ok(Format::AsRel);
            }
            if let Some(f) = detect_whois(line) {
                return Ok(f);
            }
            if let Some(f) = detect_feed_header(line) {
                return Ok(f);
            }
            if line.starts_with('#') {
                let c = line.trim_start_matches('#').trim();
                if c.starts_with("format:aut|") || c.starts_with("format:org_id|") {
                    return Ok(Format::As2org);
                }
                seen_hash = true;
                continue;
            }
            if let Some((left, right)) = line.split_once(';')
                && left.trim().parse::<IpNetwork>().is_ok()
                && right.trim().starts_with("SBL")
            {
                return Ok(Format::DropText);
            }
            let tabs: Vec<&str> = line.split('\t').collect();
            if tabs.len() == 3 && tabs[0].parse::<IpAddr>().is_ok() {
                return Ok(Format::Pfx2as);
            }
            if line.contains(',') {
                let fields = iplocation::split_csv(line);
                if fields.len() >= 3
                    && fields[0].parse::<IpAddr>().is_ok()
                    && fields[1].parse::<IpAddr>().is_ok()
                {
                    if fields.len() == 3
                        && fields[2].len() == 2
                        && fields[2].chars().all(|c| c.is_ascii_alphabetic())
                    {
                        return Ok(Format::IplocationCountry);
                    }
                    if fields[2]
                        .trim_start_matches(['A', 'S', 'a', 's'])
                        .parse::<u32>()
                        .is_ok()
                    {
                        return Ok(Format::IplocationAsn);
                    }
                }
                return Err(format!("unrecognised CSV line: {}", clip(line)));
            }
            if netset::parse_entry(line).is_some() {
                let _ = (seen_hash, seen_semicolon);
                return Ok(Format::Netset);
            }
            return Err(format!("unrecognised line: {}", clip(line)));
        }
        if seen_semicolon {
            return Ok(Format::DropText);
        }
        if seen_hash {
            return Ok(Format::Netset);
        }
        Err("no data lines".to_owned())
    }
}

/// JSON documents (not JSON lines): the abuse.ch and AbuseIPDB exports,
/// recognised by their keys, pretty-printed or not.
fn detect_document(text: &str) -> Option<Format> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let first = t.lines().next().unwrap_or("").trim();
    if !(t.starts_with('[') || t.starts_with('{')) {
        return None;
    }
    // A whole JSON object on the first line is a JSON-lines feed (DROP,
    // ASN-DROP, COF), unless it is a one-line document with feed keys.
    let one_line_object = first.starts_with('{')
        && serde_json::from_str::<serde_json::Value>(first).is_ok_and(|v| v.is_object());
    let has = |k: &str| t.contains(&format!("\"{k}\""));
    if one_line_object && (has("cidr") || has("asn") || has("rrname")) {
        return None;
    }
    if has("ioc_value") || (has("ioc_type") && has("threat_type")) {
        Some(Format::ThreatfoxJson)
    } else if has("ip_address") && (has("first_seen") || has("last_online")) {
        Some(Format::FeodoJson)
    } else if has("ipAddress")
        && (has("abuseConfidenceScore") || has("lastReportedAt") || has("mostRecentReport"))
    {
        Some(Format::AbuseipdbJson)
    } else if !one_line_object && has("rrname") {
        Some(Format::PdnsCof)
    } else {
        None
    }
}

/// The column headers of the CSV abuse feeds (commented or not).
fn detect_feed_header(line: &str) -> Option<Format> {
    let h = line
        .trim_start_matches('#')
        .trim()
        .replace(['"', ' '], "")
        .to_ascii_lowercase();
    if h.starts_with(abuse::FEODO_CSV_HEADER) {
        Some(Format::FeodoCsv)
    } else if h.starts_with(abuse::URLHAUS_CSV_HEADER) {
        Some(Format::UrlhausCsv)
    } else if h == abuse::GENERIC_CSV_HEADER {
        Some(Format::AbuseCsv)
    } else {
        None
    }
}

/// RPSL classes and ARIN keys that open an object, and delegated-stats lines.
fn detect_whois(line: &str) -> Option<Format> {
    if line.contains('|') {
        let f: Vec<&str> = line.split('|').collect();
        let first = f[0].trim().to_ascii_lowercase();
        if f.len() >= 6
            && (delegated::REGISTRIES.contains(&first.as_str())
                || (first.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && delegated::REGISTRIES.contains(&f[1].trim().to_ascii_lowercase().as_str())))
        {
            return Some(Format::Delegated);
        }
        return None;
    }
    let (key, _) = line.split_once(':')?;
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    const RPSL: &[&str] = &[
        "inetnum",
        "inet6num",
        "organisation",
        "aut-num",
        "route",
        "route6",
        "mntner",
        "role",
        "irt",
        "person",
        "as-set",
        "route-set",
        "domain",
        "as-block",
        "inet-rtr",
        "key-cert",
        "filter-set",
        "peering-set",
        "rtr-set",
        "poem",
        "poetic-form",
    ];
    const ARIN: &[&str] = &[
        "NetHandle",
        "V6NetHandle",
        "NetRange",
        "CIDR",
        "OrgID",
        "OrgName",
        "ASHandle",
        "ASNumber",
        "POCHandle",
        "OrgAbuseHandle",
    ];
    if RPSL.iter().any(|k| key.eq_ignore_ascii_case(k))
        && key.bytes().any(|b| b.is_ascii_lowercase())
    {
        return Some(Format::Rpsl);
    }
    if ARIN.contains(&key) {
        return Some(Format::ArinWhois);
    }
    if RPSL.iter().any(|k| key.eq_ignore_ascii_case(k)) {
        return Some(Format::Rpsl);
    }
    None
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Format`] name.
///
/// ```
/// let err = "xml".parse::<bphscore::source::Format>().unwrap_err();
/// assert!(err.to_string().contains("pfx2as"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}; expected one of {names}", names = Format::NAMES.join(", "))]
pub struct ParseFormatError(String);

impl FromStr for Format {
    type Err = ParseFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "iplocation-asn" | "ip-location-db-asn" => Format::IplocationAsn,
            "iplocation-country" | "ip-location-db-country" => Format::IplocationCountry,
            "pfx2as" | "prefix2as" | "caida-pfx2as" => Format::Pfx2as,
            "drop-json" | "drop" => Format::DropJson,
            "drop-text" | "drop-txt" => Format::DropText,
            "asn-drop" | "asndrop" => Format::AsnDrop,
            "netset" | "ipset" | "firehol" | "list" => Format::Netset,
            "rpsl" | "ripe" | "apnic" | "afrinic" => Format::Rpsl,
            "arin-whois" | "arin" => Format::ArinWhois,
            "delegated" | "delegated-extended" => Format::Delegated,
            "pdns-cof" | "pdns" | "cof" => Format::PdnsCof,
            "feodo-json" => Format::FeodoJson,
            "feodo-csv" | "feodo" => Format::FeodoCsv,
            "urlhaus-csv" | "urlhaus" => Format::UrlhausCsv,
            "threatfox-json" | "threatfox" => Format::ThreatfoxJson,
            "abuseipdb-json" | "abuseipdb" => Format::AbuseipdbJson,
            "abuse-csv" | "generic-csv" => Format::AbuseCsv,
            "as-rel" | "asrel" | "as-rel2" | "caida-as-rel" => Format::AsRel,
            "protect" | "protected" => Format::Protect,
            "mmdb" | "maxmind" | "geoip2" => Format::Mmdb,
            "mrt" | "rib" | "table-dump" => Format::Mrt,
            "as2org" | "as-org2info" | "caida-as2org" => Format::As2org,
            other => return Err(ParseFormatError(other.to_owned())),
        })
    }
}

/// What kind of evidence a source carries.
///
/// ```
/// assert_eq!(bphscore::source::SourceKind::Drop.to_string(), "drop");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceKind {
    /// Address ranges with their origin AS.
    Routing,
    /// Address ranges with a country.
    Geo,
    /// Addresses listed for abuse (one IP or CIDR per entry).
    Blocklist,
    /// Networks on the Spamhaus DROP list (block level: hijacked or run by criminals).
    Drop,
    /// Autonomous systems on the Spamhaus ASN-DROP list.
    AsnDrop,
    /// Registry data: WHOIS registrations and delegation statistics.
    Whois,
    /// Timestamped, categorised abuse indicators (abuse.ch, AbuseIPDB,
    /// generic CSV): they decay with time and expire.
    AbuseFeed,
    /// Passive DNS observations.
    PassiveDns,
    /// Business relationships between ASes (providers, customers, peers).
    Relationships,
    /// Ranges under guard rails: clouds, CDNs and anycast services.
    Protected,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::Routing => "routing",
            SourceKind::Geo => "geo",
            SourceKind::Blocklist => "blocklist",
            SourceKind::Drop => "drop",
            SourceKind::AsnDrop => "asn-drop",
            SourceKind::Whois => "whois",
            SourceKind::AbuseFeed => "abuse-feed",
            SourceKind::PassiveDns => "passive-dns",
            SourceKind::Relationships => "relationships",
            SourceKind::Protected => "protected",
        })
    }
}

/// Resource limits applied while reading a source.
///
/// ```
/// use bphscore::source::Limits;
///
/// let limits = Limits::default().max_line_len(4096).max_records(1_000);
/// assert_eq!(limits.line_len(), 4096);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_line_len: usize,
    max_decompressed: u64,
    max_records: u64,
    max_object_len: usize,
}

impl Default for Limits {
    /// 1 MiB per line, 64 GiB decompressed per source, 200 million records
    /// per source, 16 MiB per RPSL or ARIN object.
    fn default() -> Self {
        Limits {
            max_line_len: 1 << 20,
            max_decompressed: 64 << 30,
            max_records: 200_000_000,
            max_object_len: 16 << 20,
        }
    }
}

impl Limits {
    /// Longest line accepted, in bytes; longer lines are errors.
    #[must_use]
    pub fn max_line_len(mut self, bytes: usize) -> Self {
        self.max_line_len = bytes;
        self
    }

    /// Largest decompressed size of one gzip source, in bytes.
    #[must_use]
    pub fn max_decompressed(mut self, bytes: u64) -> Self {
        self.max_decompressed = bytes;
        self
    }

    /// Most records read from one source.
    #[must_use]
    pub fn max_records(mut self, records: u64) -> Self {
        self.max_records = records;
        self
    }

    /// Largest RPSL or ARIN object (the bytes of its attributes), in bytes.
    ///
    /// ```
    /// let limits = bphscore::source::Limits::default().max_object_len(1 << 16);
    /// assert_eq!(limits.object_len(), 65536);
    /// ```
    #[must_use]
    pub fn max_object_len(mut self, bytes: usize) -> Self {
        self.max_object_len = bytes;
        self
    }

    /// The configured object size limit.
    pub fn object_len(&self) -> usize {
        self.max_object_len
    }

    /// The configured line length limit.
    pub fn line_len(&self) -> usize {
        self.max_line_len
    }

    /// The configured decompressed size limit.
    pub fn decompressed(&self) -> u64 {
        self.max_decompressed
    }

    /// The configured record limit.
    pub fn records(&self) -> u64 {
        self.max_records
    }
}

/// An inclusive range of addresses of one family.
///
/// ```
/// use bphscore::source::IpRange;
///
/// let r = IpRange::new("192.0.2.0".parse()?, "192.0.2.255".parse()?).unwrap();
/// assert_eq!(r.to_string(), "192.0.2.0-192.0.2.255");
/// assert!(IpRange::new("192.0.2.9".parse()?, "192.0.2.1".parse()?).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    first: IpAddr,
    last: IpAddr,
}

impl IpRange {
    /// A range, or `None` when the ends differ in family or are reversed.
    pub fn new(first: IpAddr, last: IpAddr) -> Option<Self> {
        match (first, last) {
            (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => Some(IpRange { first, last }),
            (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => Some(IpRange { first, last }),
            _ => None,
        }
    }

    /// The first address.
    pub fn first(&self) -> IpAddr {
        self.first
    }

    /// The last address.
    pub fn last(&self) -> IpAddr {
        self.last
    }
}

impl From<IpNetwork> for IpRange {
    fn from(net: IpNetwork) -> Self {
        IpRange {
            first: net.network(),
            last: net.broadcast_or_last(),
        }
    }
}

trait LastAddress {
    fn broadcast_or_last(&self) -> IpAddr;
}

impl LastAddress for IpNetwork {
    fn broadcast_or_last(&self) -> IpAddr {
        match self {
            IpNetwork::V4(n) => IpAddr::V4(n.broadcast()),
            IpNetwork::V6(n) => {
                let host_bits = 128 - u32::from(n.prefix());
                let mask = if host_bits == 128 {
                    u128::MAX
                } else {
                    (1u128 << host_bits) - 1
                };
                IpAddr::V6((u128::from(n.network()) | mask).into())
            }
        }
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// One record of a source.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A routed range and its origin AS.
    Route {
        /// The addresses.
        range: IpRange,
        /// The origin AS (the first one when several originate it).
        origin: Asn,
        /// The AS name, when the source gives one.
        as_name: Option<String>,
        /// More than one AS originates the prefix (CAIDA `a_b`) or the origin is an AS set.
        multi_origin: bool,
        /// The other origins of a multi-origin prefix or AS set, in the
        /// source's order (empty otherwise).
        other_origins: Vec<Asn>,
    },
    /// A range and its country.
    Country {
        /// The addresses.
        range: IpRange,
        /// The country.
        country: Country,
    },
    /// A range listed by an abuse source.
    Listing {
        /// The addresses.
        range: IpRange,
        /// The listing's identifier when the source has one (Spamhaus SBL id).
        reference: Option<String>,
    },
    /// An autonomous system listed by an abuse source (Spamhaus ASN-DROP).
    AsnListing {
        /// The AS.
        asn: Asn,
        /// Its name, as the list gives it.
        as_name: Option<String>,
        /// Its country, as the list gives it.
        country: Option<Country>,
    },
    /// A business relationship between two ASes (CAIDA AS relationships).
    AsLink {
        /// The provider, or the first peer.
        a: Asn,
        /// The customer, or the second peer.
        b: Asn,
        /// What `a` is to `b`.
        kind: Relationship,
    },
    /// Where a range is (geolocation) and what kind of network it is
    /// (MaxMind Anonymous-IP flags), from an MMDB file.
    Geolocation {
        /// The addresses.
        range: IpRange,
        /// The geolocated country, when the database gives one.
        country: Option<Country>,
        /// Hosting and anonymiser flags.
        flags: GeoFlags,
    },
    /// A range under guard rails: a cloud, CDN or anycast service.
    Protected {
        /// The addresses.
        range: IpRange,
    },
    /// A registered address block (RPSL `inetnum`/`inet6num`, ARIN network).
    Registration(Box<Registration>),
    /// An organisation (RPSL `organisation`, ARIN `OrgID` record).
    Organisation(Box<Organisation>),
    /// An AS registration (RPSL `aut-num`, ARIN AS record).
    AutNum(Box<AutNum>),
    /// A role or IRT object with an abuse mailbox.
    Contact {
        /// Its handle (`nic-hdl` or `irt`).
        handle: String,
        /// The abuse mailbox.
        abuse_mailbox: String,
    },
    /// An RPSL `route`/`route6` object (a registered origin, not an announcement).
    RouteObject {
        /// The prefix.
        range: IpRange,
        /// The registered origin AS.
        origin: Asn,
    },
    /// A line of delegated-extended statistics.
    Delegation(Box<Delegation>),
    /// A timestamped, categorised abuse indicator.
    Indicator(Box<Indicator>),
    /// A passive-DNS observation.
    DnsObservation(Box<DnsObservation>),
}

/// Per-format parsing state.
/// The MaxMind Anonymous-IP flags of a network.
///
/// ```
/// use bphscore::source::GeoFlags;
///
/// let f = GeoFlags::default().with(GeoFlags::HOSTING).with(GeoFlags::TOR_EXIT);
/// assert!(f.contains(GeoFlags::HOSTING));
/// assert!(f.is_anonymiser());
/// assert!(!GeoFlags::default().with(GeoFlags::HOSTING).is_anonymiser());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GeoFlags(u8);

impl GeoFlags {
    /// `is_hosting_provider`.
    pub const HOSTING: u8 = 1;
    /// `is_anonymous_vpn`.
    pub const VPN: u8 = 2;
    /// `is_public_proxy`.
    pub const PUBLIC_PROXY: u8 = 4;
    /// `is_residential_proxy`.
    pub const RESIDENTIAL_PROXY: u8 = 8;
    /// `is_tor_exit_node`.
    pub const TOR_EXIT: u8 = 16;
    /// Every flag.
    pub const ALL: u8 = 31;
    /// The anonymiser flags (VPN, public or residential proxy, Tor exit).
    pub const ANONYMISERS: u8 = 2 | 4 | 8 | 16;

    /// The flags with `bit` set.
    #[must_use]
    pub fn with(self, bit: u8) -> Self {
        GeoFlags(self.0 | (bit & Self::ALL))
    }

    /// Whether every bit of `bit` is set.
    pub fn contains(self, bit: u8) -> bool {
        self.0 & bit == bit
    }

    /// Whether any anonymiser flag is set.
    pub fn is_anonymiser(self) -> bool {
        self.0 & Self::ANONYMISERS != 0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The bits.
    pub fn bits(self) -> u8 {
        self.0
    }
}

/// What the first AS of a CAIDA relationship line is to the second.
///
/// ```
/// use bphscore::source::Relationship;
/// assert_ne!(Relationship::ProviderCustomer, Relationship::Peers);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Relationship {
    /// `-1`: the first AS is a provider (upstream) of the second.
    ProviderCustomer,
    /// `0`: the two ASes are peers.
    Peers,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// The date of the data, found in the source itself.
    pub(crate) date: Option<i64>,
    /// The number of records the source says it has.
    pub(crate) declared_records: Option<u64>,
    /// The header line of a CSV that requires one was read.
    pub(crate) header_seen: bool,
    /// The section of a CAIDA AS2org file being read.
    pub(crate) section: u8,
}

/// A streaming parser of one source: an iterator of records.
///
/// ```
/// use bphscore::source::{Format, Limits, Parser, Record};
///
/// let feed = "; Last-Modified: Thu, 12 Nov 2026 08:00:00 GMT\n198.18.200.0/24 ; SBL600010\n";
/// let mut parser = Parser::new("drop.txt", Format::DropText, feed.as_bytes(), Limits::default());
/// let records: Vec<Record> = parser.by_ref().collect::<Result<_, _>>()?;
/// assert_eq!(records.len(), 1);
/// assert_eq!(parser.date(), Some(1794470400));
///
/// let mut bad = Parser::new("drop.txt", Format::DropText, &b"198.18.0.0/33 ; SBL1\n"[..], Limits::default());
/// let err = bad.next().unwrap().unwrap_err();
/// assert_eq!(err.to_string(), "drop.txt:1: invalid CIDR \"198.18.0.0/33\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Parser<R> {
    name: String,
    format: Format,
    lines: LineReader<R>,
    state: State,
    records: u64,
    /// Lines refused so far (bad records, or junk that may have been one).
    rejected: u64,
    limits: Limits,
    finished: bool,
    object: rpsl::Object,
    /// JSON-document formats: the record scanner and records found but
    /// not yet returned (one line of a minified document holds many).
    json: Option<abuse::LeafObjects>,
    pending: std::collections::VecDeque<Result<(u64, Vec<u8>), String>>,
}

impl<R: BufRead> Parser<R> {
    /// A parser of `reader` (already decompressed) in the given format.
    /// `name` is used in errors.
    pub fn new(name: &str, format: Format, reader: R, limits: Limits) -> Self {
        Parser {
            name: name.to_owned(),
            format,
            lines: LineReader::new(name, reader, limits.max_line_len),
            state: State::default(),
            records: 0,
            rejected: 0,
            limits,
            finished: false,
            object: rpsl::Object::default(),
            json: matches!(
                format,
                Format::FeodoJson | Format::ThreatfoxJson | Format::AbuseipdbJson
            )
            .then(|| abuse::LeafObjects::new(limits.max_line_len)),
            pending: std::collections::VecDeque::new(),
        }
    }

    /// The date of the data as the source states it (unix seconds), once
    /// the line stating it has been read.
    pub fn date(&self) -> Option<i64> {
        self.state.date
    }

    /// Records returned so far.
    pub fn records(&self) -> u64 {
        self.records
    }
}

/// Parses one line of a line format. A free function over the parser's
/// fields rather than a method, so that the line can stay borrowed from
/// the line reader instead of being copied out first.
fn parse_line(
    format: Format,
    name: &str,
    state: &mut State,
    line: &str,
    n: u64,
) -> Result<Option<Record>, Error> {
    match format {
        Format::IplocationAsn => iplocation::parse_asn(name, n, line),
        Format::IplocationCountry => iplocation::parse_country(name, n, line),
        Format::Pfx2as => pfx2as::parse(name, n, line),
        Format::DropJson => spamhaus::parse_json(name, n, line, state, false),
        Format::AsnDrop => spamhaus::parse_json(name, n, line, state, true),
        Format::DropText => spamhaus::parse_text(name, n, line, state),
        Format::Netset => netset::parse(name, n, line, state),
        Format::Delegated => delegated::parse(name, n, line, state),
        Format::PdnsCof => pdns::parse(name, n, line, state),
        Format::FeodoCsv => abuse::parse_feodo_csv(name, n, line, state),
        Format::UrlhausCsv => abuse::parse_urlhaus_csv(name, n, line, state),
        Format::AbuseCsv => abuse::parse_generic_csv(name, n, line, state),
        Format::AsRel => asrel::parse(name, n, line),
        Format::As2org => as2org::parse(name, n, line, state),
        Format::Protect => netset::parse_protected(name, n, line),
        // Binary: read whole by `SnapshotBuilder::add_mmdb`, never by lines.
        Format::Mmdb => Err(Error::parse(
            name,
            n,
            "an MMDB file is binary; add it with SnapshotBuilder::add_mmdb or --mmdb",
        )),
        Format::Mrt => Err(Error::parse(
            name,
            n,
            "an MRT dump is binary; add it with SnapshotBuilder::add_mrt or --mrt",
        )),
        Format::Rpsl
        | Format::ArinWhois
        | Format::FeodoJson
        | Format::ThreatfoxJson
        | Format::AbuseipdbJson => Ok(None),
    }
}

impl<R: BufRead> Parser<R> {
    /// The next record of an object format (RPSL, ARIN): objects are read
    /// whole (bounded by [`Limits::max_object_len`]) and interpreted.
    fn next_object_record(&mut self) -> Option<Result<Record, Error>> {
        loop {
            match rpsl::next_object(
                &mut self.lines,
                &mut self.object,
                &self.name,
                self.limits.max_object_len,
            ) {
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Ok(true) => {}
                Err(e) => {
                    self.rejected += 1;
                    if e.line().is_none() {
                        self.finished = true;
                    }
                    return Some(Err(e));
                }
            }
            let parsed = match self.format {
                Format::ArinWhois => arin::interpret(&self.name, &self.object),
                _ => rpsl::interpret(&self.name, &self.object),
            };
            match parsed {
                Ok(Some(record)) => {
                    self.records += 1;
                    if self.records > self.limits.max_records {
                        self.finished = true;
                        return Some(Err(Error::Limit {
                            source_name: self.name.clone(),
                            line: self.object.line,
                            what: "number of records",
                            limit: self.limits.max_records,
                        }));
                    }
                    return Some(Ok(record));
                }
                Ok(None) => continue,
                Err(e) => {
                    self.rejected += 1;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<R: BufRead> Parser<R> {
    /// The next record of a JSON-document feed: lines go through the
    /// record scanner, and each record found is interpreted in turn.
    fn next_json_record(&mut self) -> Option<Result<Record, Error>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                let (line, text) = match item {
                    Ok(x) => x,
                    Err(m) => {
                        self.rejected += 1;
                        return Some(Err(Error::parse(&self.name, self.lines.line(), m)));
                    }
                };
                match abuse::interpret_json(self.format, &text, &mut self.state) {
                    Ok(Some(i)) => {
                        self.records += 1;
                        if self.records > self.limits.max_records {
                            self.finished = true;
                            return Some(Err(Error::Limit {
                                source_name: self.name.clone(),
                                line,
                                what: "number of records",
                                limit: self.limits.max_records,
                            }));
                        }
                        return Some(Ok(Record::Indicator(Box::new(i))));
                    }
                    Ok(None) => continue,
                    Err(m) => {
                        self.rejected += 1;
                        return Some(Err(Error::parse(&self.name, line, m)));
                    }
                }
            }
            let scanner = self.json.as_mut()?;
            let n = self.lines.line() + 1;
            match self.lines.next_line_bytes() {
                Ok(Some(bytes)) => {
                    let mut out = Vec::new();
                    scanner.feed(bytes, n, &mut out);
                    self.pending.extend(out);
                }
                Ok(None) => {
                    self.finished = true;
                    let scanner = self.json.take()?;
                    // A cut document is refused whole (line 0), lenient or not.
                    if scanner.unfinished() {
                        return Some(Err(Error::parse(
                            &self.name,
                            0,
                            "the JSON document is cut short (unclosed object or array); truncated file",
                        )));
                    }
                    if !scanner.seen_any {
                        return Some(Err(Error::parse(&self.name, 0, "no JSON document")));
                    }
                    return None;
                }
                Err(e) => {
                    self.rejected += 1;
                    scanner.abandon();
                    if e.line().is_none() {
                        self.finished = true;
                    }
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for Parser<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        if matches!(self.format, Format::Rpsl | Format::ArinWhois) {
            return self.next_object_record();
        }
        if self.json.is_some() {
            return self.next_json_record();
        }
        loop {
            // The number the next line will have (the reader counts it as
            // it returns it, and the line stays borrowed from the reader).
            let n = self.lines.line() + 1;
            let line = match self.lines.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => {
                    self.finished = true;
                    // A feed that states its own size and does not match it
                    // was cut short (or padded): never accept it silently.
                    // The error concerns the whole source (line 0), so that
                    // a lenient build, which skips bad lines, refuses it too.
                    // Lines refused on the way may have been records: a
                    // count between the records and the records plus the
                    // refused lines is consistent.
                    return match self.state.declared_records {
                        Some(declared)
                            if declared < self.records
                                || declared > self.records + self.rejected =>
                        {
                            let rejected = match self.rejected {
                                0 => String::new(),
                                n => format!(" ({n} more lines refused)"),
                            };
                            Some(Err(Error::parse(
                                &self.name,
                                0,
                                format!(
                                    "the source declares {declared} records but {}{rejected} were read; truncated or altered file",
                                    self.records
                                ),
                            )))
                        }
                        _ => None,
                    };
                }
                Err(e) => {
                    self.rejected += 1;
                    return Some(Err(e));
                }
            };
            match parse_line(self.format, &self.name, &mut self.state, line, n) {
                Ok(Some(record)) => {
                    self.records += 1;
                    if self.records > self.limits.max_records {
                        self.finished = true;
                        return Some(Err(Error::Limit {
                            source_name: self.name.clone(),
                            line: n,
                            what: "number of records",
                            limit: self.limits.max_records,
                        }));
                    }
                    return Some(Ok(record));
                }
                Ok(None) => continue,
                Err(e) => {
                    self.rejected += 1;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// The SHA-256 and size of the raw bytes read through a [`Hashing`] reader.
#[derive(Default)]
pub(crate) struct Digesting {
    hasher: Sha256,
    pub(crate) bytes: u64,
}

impl Digesting {
    pub(crate) fn hex(&self) -> String {
        let digest = self.hasher.clone().finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Hashes the raw bytes of a source as they are read.
pub(crate) struct Hashing<R> {
    inner: R,
    digest: Rc<RefCell<Digesting>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut d = self.digest.borrow_mut();
        d.hasher.update(&buf[..n]);
        d.bytes += n as u64;
        Ok(n)
    }
}

/// Stops a decompressor after a fixed number of bytes.
struct Bounded<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining {
            return Err(io::Error::other(DecompressedLimit(self.limit)));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A source opened for parsing: decompressed when needed, hashed as read,
/// its format detected unless given.
pub(crate) struct Opened<'a> {
    pub(crate) reader: Box<dyn BufRead + 'a>,
    pub(crate) format: Format,
    pub(crate) digest: Rc<RefCell<Digesting>>,
}

/// How much of a (decompressed) source format detection looks at.
const DETECT_HEAD: usize = 64 * 1024;

pub(crate) fn open<'a>(
    name: &str,
    raw: impl Read + 'a,
    format: Option<Format>,
    limits: Limits,
) -> Result<Opened<'a>, Error> {
    let digest = Rc::new(RefCell::new(Digesting::default()));
    let mut hashing = Hashing {
        inner: raw,
        digest: Rc::clone(&digest),
    };
    // The first bytes are read whole, however the reader splits them (a
    // pipe, a socket or a file being written may return a byte at a time):
    // neither the gzip magic nor the detected format may depend on the
    // size of the first read.
    let magic = read_head(&mut hashing, 2, name)?;
    let compressed = magic.starts_with(&[0x1f, 0x8b]);
    let buffered = BufReader::with_capacity(64 * 1024, io::Cursor::new(magic).chain(hashing));
    let mut reader: Box<dyn BufRead + 'a> = if compressed {
        let decoder = flate2::bufread::MultiGzDecoder::new(buffered);
        Box::new(BufReader::with_capacity(
            64 * 1024,
            Bounded {
                inner: decoder,
                remaining: limits.max_decompressed,
                limit: limits.max_decompressed,
            },
        ))
    } else {
        Box::new(buffered)
    };
    let format = match format {
        Some(f) => f,
        None => {
            let head = read_head(&mut reader, DETECT_HEAD, name)?;
            let format = Format::detect(&head).map_err(|hint| Error::UnknownFormat {
                source_name: name.to_owned(),
                hint,
            })?;
            reader = Box::new(io::Cursor::new(head).chain(reader));
            format
        }
    };
    Ok(Opened {
        reader,
        format,
        digest,
    })
}

/// Reads up to `len` bytes, stopping early only at the end of input.
fn read_head(reader: &mut impl Read, len: usize, name: &str) -> Result<Vec<u8>, Error> {
    let mut head = Vec::with_capacity(len.min(DETECT_HEAD));
    match reader.take(len as u64).read_to_end(&mut head) {
        Ok(_) => Ok(head),
        Err(e) => match e
            .get_ref()
            .and_then(|i| i.downcast_ref::<DecompressedLimit>())
        {
            Some(limit) => Err(Error::Limit {
                source_name: name.to_owned(),
                line: 0,
                what: "decompressed size",
                limit: limit.0,
            }),
            // A failing reader is no fault of one line (see `LineReader`).
            None => Err(Error::io(name, e)),
        },
    }
}

/// Finds an 8-digit `YYYYMMDD` date in a file name (`routeviews-rv2-20260101-1200.pfx2as`).
pub(crate) fn date_from_name(name: &str) -> Option<i64> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let bytes = base.as_bytes();
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let window = &bytes[i..i + 8];
        let bounded_left = i == 0 || !bytes[i - 1].is_ascii_digit();
        let bounded_right = i + 8 == bytes.len() || !bytes[i + 8].is_ascii_digit();
        if bounded_left && bounded_right && window.iter().all(u8::is_ascii_digit) {
            let s = std::str::from_utf8(window).ok()?;
            if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y%m%d")
                && (1990..=2200).contains(&chrono::Datelike::year(&d))
            {
                return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
            }
        }
        i += 1;
    }
    None
}

/// Formats a unix time as an RFC 3339 UTC timestamp, as every output of
/// bphscore writes dates.
///
/// ```
/// assert_eq!(bphscore::source::format_date(1_794_470_400), "2026-11-12T08:00:00Z");
/// ```
pub fn format_date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// A source that went into a snapshot: where it came from and what it held.
///
/// ```
/// let snapshot = bphscore::world::snapshot()?;
/// let drop = snapshot.sources().iter().find(|s| s.name == "drop_v4.json").unwrap();
/// assert_eq!(drop.format.name(), "drop-json");
/// assert_eq!(drop.sha256.len(), 64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceInfo {
    /// The file name (without directories) or the label given.
    pub name: String,
    /// Its format.
    pub format: Format,
    /// The date of its data (unix seconds): stated in the source, else taken
    /// from a `YYYYMMDD` in its file name; `None` when neither says.
    pub date: Option<i64>,
    /// SHA-256 of the bytes read (compressed bytes for gzip input), hex.
    pub sha256: String,
    /// Bytes read.
    pub bytes: u64,
    /// Records taken.
    pub records: u64,
    /// Bad records skipped (only in lenient builds).
    pub skipped: u64,
    /// Repeated records merged into earlier ones (abuse feeds, passive DNS).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub duplicates: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl SourceInfo {
    /// The kind of evidence.
    pub fn kind(&self) -> SourceKind {
        self.format.kind()
    }

    /// The date as RFC 3339 text, or `unknown`.
    pub fn date_text(&self) -> String {
        self.date
            .map(format_date)
            .unwrap_or_else(|| "unknown".to_owned())
    }
}

/// The routes, provider links and date of an MRT RIB dump (see `mrt`).
#[cfg(feature = "mrt")]
pub(crate) fn read_mrt(name: &str, reader: impl Read, limits: Limits) -> Result<mrt::Rib, Error> {
    mrt::read(name, reader, limits)
}

/// The records of an MMDB file (see `mmdb`), and its build date.
pub(crate) fn read_mmdb(
    name: &str,
    bytes: &[u8],
    limits: Limits,
) -> Result<(Vec<Record>, Option<i64>), Error> {
    mmdb::read(name, bytes, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_file_names() {
        assert_eq!(
            date_from_name("data/routeviews-rv2-20260101-1200.pfx2as.gz"),
            Some(1767225600)
        );
        assert_eq!(date_from_name("20261101.as-rel.txt"), Some(1793491200));
        assert_eq!(date_from_name("asn-ipv4.csv"), None);
        assert_eq!(date_from_name("x-123456789.csv"), None);
        assert_eq!(date_from_name("x-20261399.csv"), None);
    }

    #[test]
    fn detection_table() {
        let cases: &[(&str, Option<Format>)] = &[
            (
                "1.0.0.0,1.0.0.255,64500,EXAMPLE\n",
                Some(Format::IplocationAsn),
            ),
            (
                "2001:db8::,2001:db8::ffff,64500,\"A, B\"\n",
                Some(Format::IplocationAsn),
            ),
            ("1.0.0.0,1.0.0.255,NL\n", Some(Format::IplocationCountry)),
            ("198.18.0.0\t20\t64502_64503\n", Some(Format::Pfx2as)),
            (
                "{\"cidr\":\"198.18.0.0/21\",\"sblid\":\"SBL1\",\"rir\":\"ripencc\"}\n",
                Some(Format::DropJson),
            ),
            (
                "{\"type\":\"metadata\"}\n{\"asn\":64502}\n",
                Some(Format::AsnDrop),
            ),
            (
                "; Spamhaus DROP List\n198.18.200.0/24 ; SBL600010\n",
                Some(Format::DropText),
            ),
            (
                "#\n# firehol\n#\n192.0.2.1\n198.18.0.0/30\n",
                Some(Format::Netset),
            ),
            ("192.0.2.1\n", Some(Format::Netset)),
            ("2001:db8::1\n", Some(Format::Netset)),
            (
                "% comment\n\ninetnum: 192.0.2.0 - 192.0.2.255\n",
                Some(Format::Rpsl),
            ),
            ("# x\nORGANISATION: ORG-X\n", Some(Format::Rpsl)),
            (
                "NetHandle: NET-192-0-2-0-1\nNetRange: 192.0.2.0 - 192.0.2.255\n",
                Some(Format::ArinWhois),
            ),
            (
                "OrgID: EXAMPLE\nOrgName: Example\n",
                Some(Format::ArinWhois),
            ),
            (
                "2|ripencc|20261101|3|19930901|20261031|+0100\n",
                Some(Format::Delegated),
            ),
            (
                "arin|US|ipv4|192.0.2.0|256|20261001|allocated|x\n",
                Some(Format::Delegated),
            ),
            (
                "{\"rrname\":\"www.example.com.\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"time_first\":1794000000,\"time_last\":1794000000}\n",
                Some(Format::PdnsCof),
            ),
            (
                "[\n    {\n        \"ip_address\": \"192.0.2.1\",\n        \"first_seen\": \"2026-11-01 00:00:00\"",
                Some(Format::FeodoJson),
            ),
            (
                "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n",
                Some(Format::FeodoCsv),
            ),
            (
                "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n",
                Some(Format::UrlhausCsv),
            ),
            (
                "{\n    \"1\": [\n        {\n            \"ioc_value\": \"198.18.1.1:443\",",
                Some(Format::ThreatfoxJson),
            ),
            (
                "{\"meta\":{\"generatedAt\":\"2026-11-12T07:00:00+00:00\"},\"data\":[{\"ipAddress\":\"192.0.2.1\",\"abuseConfidenceScore\":100}]}\n",
                Some(Format::AbuseipdbJson),
            ),
            (
                "indicator,first_seen,last_seen,category,source\n",
                Some(Format::AbuseCsv),
            ),
            ("a|b|c|d|e|f\n", None),
            ("hello\n", None),
            ("a,b,c\n", None),
            ("{not json\n", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(Format::detect(text.as_bytes()).ok(), *want, "{text:?}");
        }
    }
}
