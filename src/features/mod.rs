//! Features: the signals bphscore derives from its sources, and how they
//! are computed when a snapshot is built.
//!
//! Every feature has a stable name (used by model files), a [`Scope`] (it
//! speaks of the whole autonomous system, or of the block or address being
//! scored) and a definition:
//!
//! | name | scope | definition |
//! |---|---|---|
//! | `as_abuse_density` | AS | blocklisted / announced addresses of the origin AS, IPv4 and IPv6 pooled (one IPv6 /48 counts as 256 addresses, like a /24) |
//! | `as_drop_share` | AS | share of the AS's announced space (pooled the same way) on Spamhaus DROP |
//! | `asn_drop` | AS | 1 when the AS is on Spamhaus ASN-DROP |
//! | `as_log2_announced` | AS | log2(1 + announced IPv4 addresses + 256 × announced IPv6 /48s): the size of the AS |
//! | `prefix_abuse_density` | block | blocklisted / announced addresses of the matched routed prefix (more-specific routes are counted apart; IPv6 in /48 blocks) |
//! | `prefix_in_drop` | block | 1 when the address is inside a Spamhaus DROP network |
//! | `ip_listed` | block | the number of blocklists that list the address |
//!
//! Normalising abuse by announced space is what separates a bulletproof
//! host from a large cloud: the cloud has more listed addresses, but a far
//! smaller share of its space is listed (CIRCL BGP Ranking; Tajalizadehkhoob
//! et al., "Rotten Apples", ACM TOIT 2018).
//!
//! For a prefix or an AS, block features are averaged over the covered
//! addresses, weighted by address count, so scoring an AS is scoring all of
//! its announced space.

pub(crate) mod compile;

use std::fmt;

/// Whether a feature describes the whole AS or the block being scored.
///
/// ```
/// use bphscore::features::{Feature, Scope};
/// assert_eq!(Feature::AsnDrop.scope(), Scope::As);
/// assert_eq!(Feature::PrefixInDrop.scope(), Scope::Block);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The whole autonomous system.
    As,
    /// The prefix or address being scored.
    Block,
}

/// One feature of the schema.
///
/// ```
/// use bphscore::features::Feature;
///
/// let f: Feature = "as_abuse_density".parse()?;
/// assert_eq!(f, Feature::AsAbuseDensity);
/// assert_eq!(f.to_string(), "as_abuse_density");
/// assert!("no_such_feature".parse::<Feature>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Feature {
    /// Blocklisted / announced addresses of the origin AS.
    AsAbuseDensity,
    /// Share of the AS's announced space on Spamhaus DROP.
    AsDropShare,
    /// The AS is on Spamhaus ASN-DROP.
    AsnDrop,
    /// log2 of the AS's announced space.
    AsLog2Announced,
    /// Blocklisted / announced addresses of the matched prefix.
    PrefixAbuseDensity,
    /// The address is inside a Spamhaus DROP network.
    PrefixInDrop,
    /// Number of blocklists listing the address.
    IpListed,
}

/// The number of features in the schema.
pub const FEATURE_COUNT: usize = 7;

impl Feature {
    /// Every feature, in schema order.
    pub const ALL: [Feature; FEATURE_COUNT] = [
        Feature::AsAbuseDensity,
        Feature::AsDropShare,
        Feature::AsnDrop,
        Feature::AsLog2Announced,
        Feature::PrefixAbuseDensity,
        Feature::PrefixInDrop,
        Feature::IpListed,
    ];

    /// The position of the feature in the schema.
    ///
    /// ```
    /// use bphscore::features::Feature;
    /// assert_eq!(Feature::ALL[Feature::IpListed.index()], Feature::IpListed);
    /// ```
    pub fn index(self) -> usize {
        self as usize
    }

    /// The stable name used in model files.
    pub fn name(self) -> &'static str {
        match self {
            Feature::AsAbuseDensity => "as_abuse_density",
            Feature::AsDropShare => "as_drop_share",
            Feature::AsnDrop => "asn_drop",
            Feature::AsLog2Announced => "as_log2_announced",
            Feature::PrefixAbuseDensity => "prefix_abuse_density",
            Feature::PrefixInDrop => "prefix_in_drop",
            Feature::IpListed => "ip_listed",
        }
    }

    /// The scope of the feature.
    pub fn scope(self) -> Scope {
        match self {
            Feature::AsAbuseDensity
            | Feature::AsDropShare
            | Feature::AsnDrop
            | Feature::AsLog2Announced => Scope::As,
            Feature::PrefixAbuseDensity | Feature::PrefixInDrop | Feature::IpListed => Scope::Block,
        }
    }

    /// A sentence saying what the value means, for reasons shown to people.
    ///
    /// ```
    /// use bphscore::features::Feature;
    /// assert_eq!(
    ///     Feature::AsAbuseDensity.describe(0.25),
    ///     "25.00% of the AS's announced space is blocklisted"
    /// );
    /// ```
    pub fn describe(self, value: f64) -> String {
        match self {
            Feature::AsAbuseDensity => {
                format!("{} of the AS's announced space is blocklisted", pct(value))
            }
            Feature::AsDropShare => {
                format!(
                    "{} of the AS's announced space is on Spamhaus DROP",
                    pct(value)
                )
            }
            Feature::AsnDrop if value >= 1.0 => "the AS is on Spamhaus ASN-DROP".to_owned(),
            Feature::AsnDrop => format!(
                "{:.0}% of the space belongs to ASes on Spamhaus ASN-DROP",
                value * 100.0
            ),
            Feature::AsLog2Announced => {
                format!("the AS announces about 2^{value:.1} addresses (IPv4 equivalent)")
            }
            Feature::PrefixAbuseDensity => {
                format!("{} of the matched prefix is blocklisted", pct(value))
            }
            Feature::PrefixInDrop if value >= 1.0 => "the block is on Spamhaus DROP".to_owned(),
            Feature::PrefixInDrop => {
                format!("{} of the block is on Spamhaus DROP", pct(value))
            }
            Feature::IpListed if value >= 1.0 && value.fract() == 0.0 => {
                format!("the address is on {value:.0} blocklist(s)")
            }
            Feature::IpListed => format!(
                "{} of the addresses are blocklisted (mean {value:.4} lists per address)",
                pct(value.min(1.0))
            ),
        }
    }
}

/// A share as a percentage with enough digits to tell small shares apart.
fn pct(v: f64) -> String {
    let p = v * 100.0;
    if p == 0.0 {
        "0%".to_owned()
    } else if p >= 0.01 {
        format!("{p:.2}%")
    } else {
        format!("{p:.4}%")
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Feature`] name.
///
/// ```
/// let err = "x".parse::<bphscore::features::Feature>().unwrap_err();
/// assert!(err.to_string().contains("as_abuse_density"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feature {0:?}; the schema has {names}", names = Feature::ALL.map(Feature::name).join(", "))]
pub struct ParseFeatureError(String);

impl std::str::FromStr for Feature {
    type Err = ParseFeatureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Feature::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| ParseFeatureError(s.to_owned()))
    }
}

/// The values of every feature for one subject, in schema order.
///
/// ```
/// use bphscore::features::{Feature, FeatureVector};
///
/// let mut v = FeatureVector::default();
/// v.set(Feature::AsnDrop, 1.0);
/// assert_eq!(v.get(Feature::AsnDrop), 1.0);
/// assert_eq!(v.get(Feature::IpListed), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FeatureVector([f64; FEATURE_COUNT]);

impl FeatureVector {
    /// The value of one feature.
    pub fn get(&self, f: Feature) -> f64 {
        self.0[f.index()]
    }

    /// Sets the value of one feature.
    pub fn set(&mut self, f: Feature, value: f64) {
        self.0[f.index()] = value;
    }

    /// The values in schema order.
    pub fn values(&self) -> &[f64; FEATURE_COUNT] {
        &self.0
    }

    pub(crate) fn add_scaled(&mut self, other: &FeatureVector, weight: f64) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b * weight;
        }
    }

    pub(crate) fn scale(&mut self, factor: f64) {
        for a in &mut self.0 {
            *a *= factor;
        }
    }
}
