//! Live DNS evidence: reverse DNS, DNSBL listings and the origin AS seen
//! in DNS right now, kept apart from the snapshot's features.
//!
//! The snapshot's model never sees these signals. They are collected into
//! a [`LiveEvidence`], each one becomes a [`LiveReason`] labelled `live:…`
//! with a fixed weight, and [`LiveEvidence::adjust`] shifts a snapshot
//! [`Score`]'s log-odds by their sum into a separate
//! [`LiveScore::live_probability`]. The snapshot's own probability is kept
//! unchanged beside it. The weights are stated priors, not fitted values
//! ([`LiveSignal::weight`]).
//!
//! | signal | evidence | weight |
//! |---|---|---|
//! | `live:dnsbl_listed` | the address is listed by a configured DNSBL zone (`A` in 127.0.0.0/8) | +1.0 per zone, at most +2.0 |
//! | `live:ptr_missing` | no PTR record | +0.3 |
//! | `live:ptr_generic` | a PTR name built from the address (`192-0-2-1.pool.example`) or naming a dynamic pool | +0.2 |
//! | `live:origin_mismatch` | the origin AS answered over DNS (Team Cymru's `origin.asn.cymru.com` TXT format) is not the snapshot's | +0.5 |
//!
//! The parsers and the scoring here are always built. The resolver
//! (`LiveDns`: bounded concurrency, timeouts, a TTL-honouring cache) needs
//! the cargo feature `dns`.
//!
//! ```
//! use bphscore::live::{Answer, LiveEvidence, OriginAs, Ptr};
//! use bphscore::Detector;
//!
//! let detector = Detector::default_world()?;
//! let ip = "198.18.200.10".parse()?;
//! let score = detector.score_ip(ip);
//! let evidence = LiveEvidence::new(
//!     ip,
//!     Ptr::classify(ip, Some("198-18-200-10.pool.example.net.")),
//!     vec![],
//!     Answer::Found(OriginAs::parse_txt("64510 | 198.18.200.0/24 | ZZ | arin | 2026-01-02").unwrap()),
//! );
//! let live = evidence.adjust(&score);
//! assert_eq!(live.snapshot_probability, score.probability);
//! assert!(live.live_probability >= live.snapshot_probability);
//! let labels: Vec<&str> = live.reasons.iter().map(|r| r.signal.name()).collect();
//! assert_eq!(labels, ["live:origin_mismatch", "live:ptr_generic"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "dns")]
mod resolve;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipnetwork::IpNetwork;
use serde::Serialize;

#[cfg(feature = "dns")]
pub use resolve::{LiveDns, LiveDnsConfig};

use crate::score::Score;
use crate::subject::Asn;

/// The answer to one DNS question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "value", rename_all = "snake_case")]
pub enum Answer<T> {
    /// Records were found.
    Found(T),
    /// The name does not exist, or has no records of the type (NXDOMAIN,
    /// NODATA): a real answer meaning "no".
    Absent,
    /// No usable answer: timeout, SERVFAIL, refusal, an unparsable record.
    /// Never counted as evidence either way.
    Failed(String),
}

impl<T> Answer<T> {
    /// The value, when found.
    pub fn found(&self) -> Option<&T> {
        match self {
            Answer::Found(v) => Some(v),
            _ => None,
        }
    }
}

/// What reverse DNS says of an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "name", rename_all = "snake_case")]
pub enum Ptr {
    /// A PTR name that does not look generated.
    Named(String),
    /// A PTR name built from the address or naming a dynamic pool.
    Generic(String),
    /// No PTR record (NXDOMAIN or NODATA).
    Missing,
    /// The look-up failed (timeout, SERVFAIL).
    Failed(String),
}

/// Words that name pools of addresses rather than hosts.
const POOL_WORDS: &[&str] = &[
    "dynamic",
    "dyn",
    "dhcp",
    "pool",
    "dsl",
    "adsl",
    "ppp",
    "cable",
    "broadband",
    "unassigned",
    "static",
    "customer",
    "client",
    "rev",
    "reverse",
    "ip",
];

impl Ptr {
    /// Classifies a PTR answer for `ip` (`None`: no record).
    ///
    /// ```
    /// use bphscore::live::Ptr;
    ///
    /// let ip = "192.0.2.7".parse()?;
    /// assert!(matches!(Ptr::classify(ip, Some("mail.example.org.")), Ptr::Named(_)));
    /// assert!(matches!(Ptr::classify(ip, Some("192-0-2-7.static.example.net.")), Ptr::Generic(_)));
    /// assert!(matches!(Ptr::classify(ip, Some("7.2.0.192.in-addr.example.net.")), Ptr::Generic(_)));
    /// assert!(matches!(Ptr::classify(ip, Some("c0000207.example.net.")), Ptr::Generic(_)));
    /// assert!(matches!(Ptr::classify(ip, Some("dhcp-pool-17.example.net.")), Ptr::Generic(_)));
    /// assert_eq!(Ptr::classify(ip, None), Ptr::Missing);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn classify(ip: IpAddr, name: Option<&str>) -> Ptr {
        let Some(name) = name else {
            return Ptr::Missing;
        };
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        if is_generic(ip, &lower) {
            Ptr::Generic(lower)
        } else {
            Ptr::Named(lower)
        }
    }
}

fn is_generic(ip: IpAddr, name: &str) -> bool {
    // The first label (or the whole name) carrying the address is what
    // providers generate by the million.
    let digits: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let embedded = match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            let forward: String = o.iter().map(u8::to_string).collect();
            let backward: String = o.iter().rev().map(u8::to_string).collect();
            let padded: String = o.iter().map(|b| format!("{b:03}")).collect();
            let hex: String = o.iter().map(|b| format!("{b:02x}")).collect();
            [forward, backward, padded, hex]
                .iter()
                .any(|p| digits.contains(p.as_str()))
        }
        IpAddr::V6(a) => {
            // The last 64 bits, in hex, with or without leading zeros.
            let seg = a.segments();
            let full: String = seg[4..].iter().map(|s| format!("{s:04x}")).collect();
            let short: String = seg[4..].iter().map(|s| format!("{s:x}")).collect();
            short.len() >= 4 && (digits.contains(&full) || digits.contains(&short))
        }
    };
    embedded
        || name
            .split(['.', '-', '_'])
            .take(3)
            .any(|w| POOL_WORDS.contains(&w.trim_end_matches(|c: char| c.is_ascii_digit())))
}

/// A listing by a DNSBL zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsblListing {
    /// The zone asked, e.g. `zen.spamhaus.org`.
    pub zone: String,
    /// The return codes (in 127.0.0.0/8) when listed.
    pub answer: Answer<Vec<Ipv4Addr>>,
}

impl DnsblListing {
    /// Interprets the `A` records a DNSBL returned: codes in 127.0.0.0/8
    /// are listings, except 127.255.255.0/24, which Spamhaus and others use
    /// to say the query was refused (an open resolver, over quota).
    ///
    /// ```
    /// use bphscore::live::{Answer, DnsblListing};
    ///
    /// let listed = DnsblListing::from_codes("zen.example", &["127.0.0.2".parse()?]);
    /// assert_eq!(listed.answer, Answer::Found(vec!["127.0.0.2".parse()?]));
    /// let refused = DnsblListing::from_codes("zen.example", &["127.255.255.254".parse()?]);
    /// assert!(matches!(refused.answer, Answer::Failed(_)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_codes(zone: &str, codes: &[Ipv4Addr]) -> DnsblListing {
        let listed: Vec<Ipv4Addr> = codes
            .iter()
            .copied()
            .filter(|c| c.octets()[0] == 127 && c.octets()[1..3] != [255, 255])
            .collect();
        let answer = if !listed.is_empty() {
            Answer::Found(listed)
        } else if codes.is_empty() {
            Answer::Absent
        } else {
            Answer::Failed(format!(
                "the list refused the query or answered outside 127.0.0.0/8: {codes:?}"
            ))
        };
        DnsblListing {
            zone: zone.to_owned(),
            answer,
        }
    }
}

/// The name to ask a DNSBL or an origin service about `ip` in `zone`:
/// the octets (IPv4) or nibbles (IPv6) reversed, then the zone.
///
/// ```
/// use bphscore::live::reversed_name;
/// assert_eq!(reversed_name("192.0.2.7".parse()?, "zen.example"), "7.2.0.192.zen.example.");
/// assert!(reversed_name("2001:db8::1".parse()?, "z.example").starts_with("1.0.0.0.0.0.0.0."));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn reversed_name(ip: IpAddr, zone: &str) -> String {
    let zone = zone.trim_end_matches('.');
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.{}.{zone}.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(a) => {
            let mut s = String::with_capacity(64 + zone.len() + 1);
            for byte in a.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", byte & 0xf, byte >> 4));
            }
            s.push_str(zone);
            s.push('.');
            s
        }
    }
}

/// The origin of an address as a Team Cymru style TXT record states it:
/// `"ASN [ASN…] | prefix | CC | registry | allocated"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OriginAs {
    /// The origin AS numbers (more than one for multi-origin prefixes).
    #[serde(serialize_with = "asn_numbers")]
    pub asns: Vec<Asn>,
    /// The announced prefix.
    #[serde(serialize_with = "as_text")]
    pub prefix: Option<IpNetwork>,
    /// The registered country code.
    pub country: Option<String>,
    /// The registry (`arin`, `ripencc`, …).
    pub registry: Option<String>,
    /// The allocation date as written.
    pub allocated: Option<String>,
}

fn as_text<S: serde::Serializer>(p: &Option<IpNetwork>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(n) => s.collect_str(n),
        None => s.serialize_none(),
    }
}

fn asn_numbers<S: serde::Serializer>(asns: &[Asn], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(asns.iter().map(|a| a.get()))
}

impl OriginAs {
    /// Parses one TXT string; `None` when it is not in that format.
    ///
    /// ```
    /// use bphscore::live::OriginAs;
    ///
    /// let o = OriginAs::parse_txt("64502 65536 | 198.18.0.0/20 | ZZ | ripencc | 2026-01-02").unwrap();
    /// assert_eq!(o.asns.len(), 2);
    /// assert_eq!(o.prefix.unwrap().to_string(), "198.18.0.0/20");
    /// assert_eq!(o.country.as_deref(), Some("ZZ"));
    /// assert!(OriginAs::parse_txt("v=spf1 -all").is_none());
    /// assert!(OriginAs::parse_txt(" | | ").is_none());
    /// ```
    pub fn parse_txt(txt: &str) -> Option<OriginAs> {
        let mut fields = txt.trim().trim_matches('"').split('|').map(str::trim);
        let asns: Vec<Asn> = fields
            .next()?
            .split_whitespace()
            .map(|a| a.parse::<Asn>().ok())
            .collect::<Option<_>>()?;
        if asns.is_empty() {
            return None;
        }
        let text = |f: Option<&str>| f.filter(|s| !s.is_empty()).map(str::to_owned);
        let prefix = match fields.next().filter(|s| !s.is_empty()) {
            Some(p) => Some(p.parse::<IpNetwork>().ok()?),
            None => None,
        };
        Some(OriginAs {
            asns,
            prefix,
            country: text(fields.next()),
            registry: text(fields.next()),
            allocated: text(fields.next()),
        })
    }
}

/// Everything live DNS said about one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LiveEvidence {
    /// The address.
    pub ip: IpAddr,
    /// Reverse DNS.
    pub ptr: Ptr,
    /// One entry per configured DNSBL zone, in configuration order.
    pub dnsbl: Vec<DnsblListing>,
    /// The origin AS over DNS.
    pub origin: Answer<OriginAs>,
}

/// A live signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum LiveSignal {
    /// Listed by a DNSBL zone.
    DnsblListed,
    /// No PTR record.
    PtrMissing,
    /// A generated PTR name.
    PtrGeneric,
    /// The origin AS over DNS is not the snapshot's.
    OriginMismatch,
}

impl LiveSignal {
    /// The label, always starting with `live:`.
    pub fn name(self) -> &'static str {
        match self {
            LiveSignal::DnsblListed => "live:dnsbl_listed",
            LiveSignal::PtrMissing => "live:ptr_missing",
            LiveSignal::PtrGeneric => "live:ptr_generic",
            LiveSignal::OriginMismatch => "live:origin_mismatch",
        }
    }

    /// The weight added to the log-odds: a stated prior, not fitted.
    /// DNSBL listings are the strongest (an independent, current abuse
    /// report); missing or generic reverse DNS is weak evidence, common on
    /// both eyeball and bulletproof networks; an origin that differs from
    /// the snapshot's hints at a lease or a move since it was built.
    pub fn weight(self) -> f64 {
        match self {
            LiveSignal::DnsblListed => 1.0,
            LiveSignal::PtrMissing => 0.3,
            LiveSignal::PtrGeneric => 0.2,
            LiveSignal::OriginMismatch => 0.5,
        }
    }
}

impl Serialize for LiveReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("LiveReason", 3)?;
        st.serialize_field("signal", self.signal.name())?;
        st.serialize_field("weight", &self.weight)?;
        st.serialize_field("detail", &self.detail)?;
        st.end()
    }
}

/// One live signal that fired, with what was seen.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LiveReason {
    /// The signal.
    pub signal: LiveSignal,
    /// Its contribution to the log-odds.
    pub weight: f64,
    /// What was seen (zone and codes, PTR name, ASNs).
    pub detail: String,
}

impl fmt::Display for LiveReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:+.2}): {}",
            self.signal.name(),
            self.weight,
            self.detail
        )
    }
}

/// A snapshot score with live evidence beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LiveScore {
    /// The snapshot model's probability, unchanged.
    pub snapshot_probability: f64,
    /// The probability after the live signals' log-odds shift.
    pub live_probability: f64,
    /// The live signals that fired, strongest first.
    pub reasons: Vec<LiveReason>,
}

/// Most DNSBL zones counted: lists overlap, so many listings are not many
/// independent reports.
const MAX_DNSBL_ZONES: usize = 2;

impl LiveEvidence {
    /// Evidence gathered elsewhere (another resolver, a cache of yours).
    pub fn new(ip: IpAddr, ptr: Ptr, dnsbl: Vec<DnsblListing>, origin: Answer<OriginAs>) -> Self {
        LiveEvidence {
            ip,
            ptr,
            dnsbl,
            origin,
        }
    }

    /// The live signals that fire, strongest first. `snapshot_asn` is the
    /// origin AS the snapshot knows for the address.
    pub fn reasons(&self, snapshot_asn: Option<Asn>) -> Vec<LiveReason> {
        let mut out = Vec::new();
        for l in self.dnsbl.iter().filter(|l| l.answer.found().is_some()) {
            if out.len() >= MAX_DNSBL_ZONES {
                break;
            }
            let codes = l.answer.found().map(|c| {
                c.iter()
                    .map(Ipv4Addr::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            });
            out.push(reason(
                LiveSignal::DnsblListed,
                format!("{} returned {}", l.zone, codes.unwrap_or_default()),
            ));
        }
        if let (Some(o), Some(asn)) = (self.origin.found(), snapshot_asn)
            && !o.asns.contains(&asn)
        {
            let seen: Vec<String> = o.asns.iter().map(ToString::to_string).collect();
            out.push(reason(
                LiveSignal::OriginMismatch,
                format!("DNS says {}, the snapshot {asn}", seen.join(" ")),
            ));
        }
        match &self.ptr {
            Ptr::Missing => out.push(reason(LiveSignal::PtrMissing, "no PTR record".into())),
            Ptr::Generic(n) => out.push(reason(LiveSignal::PtrGeneric, n.clone())),
            _ => {}
        }
        out
    }

    /// The snapshot score with the live signals' weights added to its
    /// log-odds (the snapshot's probability clamped to [1e-6, 1 - 1e-6]
    /// first, so that certainty stays finite).
    pub fn adjust(&self, score: &Score<'_>) -> LiveScore {
        let reasons = self.reasons(score.asn);
        let p = score.probability.clamp(1e-6, 1.0 - 1e-6);
        let z = (p / (1.0 - p)).ln() + reasons.iter().map(|r| r.weight).sum::<f64>();
        LiveScore {
            snapshot_probability: score.probability,
            live_probability: 1.0 / (1.0 + (-z).exp()),
            reasons,
        }
    }
}

fn reason(signal: LiveSignal, detail: String) -> LiveReason {
    LiveReason {
        signal,
        weight: signal.weight(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dnsbl_listings_are_capped_and_failures_ignored() {
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let listed = |z: &str| DnsblListing::from_codes(z, &["127.0.0.2".parse().unwrap()]);
        let e = LiveEvidence {
            ip,
            ptr: Ptr::Named("mail.example.org".into()),
            dnsbl: vec![
                listed("a.example"),
                DnsblListing {
                    zone: "b.example".into(),
                    answer: Answer::Failed("timeout".into()),
                },
                listed("c.example"),
                listed("d.example"),
            ],
            origin: Answer::Failed("SERVFAIL".into()),
        };
        let r = e.reasons(Some(Asn::new(64502)));
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|r| r.signal == LiveSignal::DnsblListed));
        assert!(r[1].detail.starts_with("c.example"));
    }

    #[test]
    fn nibbles_of_an_ipv6_name() {
        let n = reversed_name("2001:db8::abcd".parse().unwrap(), "origin6.example.");
        assert_eq!(
            n,
            "d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.example."
        );
    }
}
