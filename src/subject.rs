//! The vocabulary: autonomous system numbers, country codes and the
//! subjects that bphscore scores (an IP address, a prefix or an AS).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnetwork::IpNetwork;

/// An autonomous system number (RFC 6793: 32 bits).
///
/// Parses both the bare number and the `AS` prefixed form, in any case.
///
/// ```
/// use bphscore::Asn;
///
/// let a: Asn = "AS64500".parse()?;
/// let b: Asn = "64500".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "AS64500");
/// assert_eq!(a.get(), 64500);
/// assert!("AS4294967296".parse::<Asn>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Asn(u32);

impl Asn {
    /// Wraps a number.
    ///
    /// ```
    /// assert_eq!(bphscore::Asn::new(64500).get(), 64500);
    /// ```
    pub const fn new(n: u32) -> Self {
        Asn(n)
    }

    /// The number.
    ///
    /// ```
    /// assert_eq!(bphscore::Asn::new(65536).get(), 65536);
    /// ```
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for Asn {
    fn from(n: u32) -> Self {
        Asn(n)
    }
}

impl fmt::Display for Asn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AS{}", self.0)
    }
}

/// The error of parsing an [`Asn`].
///
/// ```
/// let err = "ASX".parse::<bphscore::Asn>().unwrap_err();
/// assert_eq!(err.to_string(), "invalid AS number");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid AS number")]
pub struct ParseAsnError;

impl FromStr for Asn {
    type Err = ParseAsnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let digits = match s.get(..2) {
            Some(p) if p.eq_ignore_ascii_case("as") => &s[2..],
            _ => s,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseAsnError);
        }
        digits.parse::<u32>().map(Asn).map_err(|_| ParseAsnError)
    }
}

/// An ISO 3166-1 alpha-2 country code, as registries and geolocation
/// databases publish it (upper case).
///
/// ```
/// use bphscore::Country;
///
/// let nl: Country = "nl".parse()?;
/// assert_eq!(nl.as_str(), "NL");
/// assert!("NLD".parse::<Country>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Country([u8; 2]);

impl Country {
    pub(crate) fn from_bytes(b: [u8; 2]) -> Option<Self> {
        if b.iter().all(|c| c.is_ascii_uppercase()) {
            Some(Country(b))
        } else {
            None
        }
    }

    pub(crate) fn to_bytes(self) -> [u8; 2] {
        self.0
    }

    /// The two-letter code.
    ///
    /// ```
    /// assert_eq!("SC".parse::<bphscore::Country>()?.as_str(), "SC");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Country {
    type Err = ParseSubjectError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.trim().as_bytes();
        if b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic) {
            Ok(Country([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
            ]))
        } else {
            Err(ParseSubjectError {
                reason: "not a two-letter country code",
            })
        }
    }
}

/// What bphscore scores: an IP address, a prefix or an autonomous system.
///
/// Parsed from text the way operators write them: `192.0.2.1`,
/// `2001:db8::1`, `198.51.100.0/24`, `2001:db8::/32`, `AS64500` or `64500`.
/// A prefix written with host bits set (`192.0.2.7/24`) is taken as its
/// network (`192.0.2.0/24`).
///
/// ```
/// use bphscore::{Asn, Subject};
///
/// assert!(matches!("192.0.2.1".parse::<Subject>()?, Subject::Ip(_)));
/// assert_eq!("192.0.2.7/24".parse::<Subject>()?.to_string(), "192.0.2.0/24");
/// assert_eq!("as64500".parse::<Subject>()?, Subject::Asn(Asn::new(64500)));
/// assert!("300.1.2.3".parse::<Subject>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Subject {
    /// One address.
    Ip(IpAddr),
    /// A prefix (always normalised to its network address).
    Prefix(IpNetwork),
    /// An autonomous system.
    Asn(Asn),
}

impl Subject {
    /// A short name of the kind of subject: `ip`, `prefix` or `asn`.
    ///
    /// ```
    /// assert_eq!("AS64500".parse::<bphscore::Subject>()?.kind(), "asn");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Ip(_) => "ip",
            Subject::Prefix(_) => "prefix",
            Subject::Asn(_) => "asn",
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Ip(ip) => write!(f, "{ip}"),
            Subject::Prefix(net) => write!(f, "{net}"),
            Subject::Asn(asn) => write!(f, "{asn}"),
        }
    }
}

impl From<IpAddr> for Subject {
    fn from(ip: IpAddr) -> Self {
        Subject::Ip(ip)
    }
}

impl From<IpNetwork> for Subject {
    fn from(net: IpNetwork) -> Self {
        Subject::Prefix(normalise(net))
    }
}

impl From<Asn> for Subject {
    fn from(asn: Asn) -> Self {
        Subject::Asn(asn)
    }
}

/// The error of parsing a [`Subject`] or a [`Country`].
///
/// ```
/// let err = "not-an-ip".parse::<bphscore::Subject>().unwrap_err();
/// assert_eq!(err.to_string(), "not an IP address, prefix or AS number");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseSubjectError {
    reason: &'static str,
}

impl FromStr for Subject {
    type Err = ParseSubjectError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ParseSubjectError {
                reason: "empty line",
            });
        }
        if let Some((addr, len)) = s.split_once('/') {
            let addr: IpAddr = addr.parse().map_err(|_| ParseSubjectError {
                reason: "not a valid prefix address",
            })?;
            let len: u8 = len.parse().map_err(|_| ParseSubjectError {
                reason: "not a valid prefix length",
            })?;
            let net = IpNetwork::new(addr, len).map_err(|_| ParseSubjectError {
                reason: "prefix length too long for the address family",
            })?;
            return Ok(Subject::Prefix(normalise(net)));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Subject::Ip(ip));
        }
        if let Ok(asn) = s.parse::<Asn>() {
            return Ok(Subject::Asn(asn));
        }
        Err(ParseSubjectError {
            reason: "not an IP address, prefix or AS number",
        })
    }
}

fn normalise(net: IpNetwork) -> IpNetwork {
    // A network address with its own prefix length is always valid.
    IpNetwork::new(net.network(), net.prefix()).unwrap_or(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asn_forms() {
        for (text, want) in [
            ("AS64500", Some(64500)),
            ("as64500", Some(64500)),
            (" 64500 ", Some(64500)),
            ("AS4294967295", Some(u32::MAX)),
            ("AS4294967296", None),
            ("AS", None),
            ("", None),
            ("AS-64500", None),
            ("+64500", None),
            ("64500.1", None),
        ] {
            assert_eq!(text.parse::<Asn>().ok().map(Asn::get), want, "{text:?}");
        }
    }

    #[test]
    fn subject_forms() {
        for (text, want) in [
            ("192.0.2.1", Some("ip")),
            ("2001:db8::1", Some("ip")),
            ("198.51.100.0/24", Some("prefix")),
            ("2001:db8::/32", Some("prefix")),
            ("192.0.2.0/33", None),
            ("2001:db8::/129", None),
            ("192.0.2.0/", None),
            ("/24", None),
            ("AS64500", Some("asn")),
            ("65536", Some("asn")),
            ("300.1.2.3", None),
            ("", None),
        ] {
            assert_eq!(
                text.parse::<Subject>().ok().map(|s| s.kind()),
                want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn prefix_is_normalised() {
        let s: Subject = "2001:db8::1/32".parse().unwrap();
        assert_eq!(s.to_string(), "2001:db8::/32");
    }
}
