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
//! | `whois_reassigned_other_org` | block | 1 when the most specific registration is sub-allocated or (re)assigned by a provider to another entity than the provider (RPSL `SUB-ALLOCATED PA`/`ASSIGNED PA`, ARIN `Reallocated`/`Reassigned`) |
//! | `whois_depth` | block | depth of the most specific registration in the hierarchy (0: allocation from the registry) |
//! | `whois_block_log2_size` | block | log2(1 + addresses) of the most specific registration (IPv6 in /48 units) |
//! | `whois_block_young` | block | max(0, 1 − age / 2 years) of the registration, age from `created` to the snapshot's data date (0 when either is unknown) |
//! | `whois_recently_modified` | block | max(0, 1 − days since `last-modified` / 180) when the block was modified after its creation day (churn) |
//! | `whois_country_mismatch` | block | 1 when the registration's country differs from its top allocation's (customer vs provider country) |
//! | `whois_no_abuse_contact` | block | 1 when neither the registration nor its holder org names an abuse contact |
//! | `whois_org_providers` | block | for a customer block: the number of distinct providers its holder entity has customer blocks with |
//! | `whois_abuse_shared_listed` | block | 1 when the registration's abuse mailbox is also that of an entity holding a listed AS |
//! | `whois_recent_transfer` | block | 1 when the registry's delegated statistics date the block after its creation (a transfer) |
//! | `entity_linked_listed` | AS | 0.5 when the AS's holder is linked (same normalised name, maintainer, abuse mailbox or opaque id) to the holder of an AS on ASN-DROP or with most of its space on DROP; 0.5 is the discount on evidence inherited through a link rather than observed |
//! | `as_abuse_recent_density` | AS | Σ over the AS's addresses listed by timestamped feeds of the decay weight `0.5^(age / half-life)` of their latest listing (age from the last sighting to the snapshot's reference time; IPv6 per /48, weight × 256) / announced addresses (pooled as above) |
//! | `as_abuse_peer_percentile` | AS | share of the AS's peers (ASes whose announced space is within 2 doublings of its own; every AS when fewer than 3) with a lower `as_abuse_recent_density` (ties count half); 0 when the AS has none |
//! | `as_abuse_persistence_days` | AS | mean number of days between the first and last sighting of the AS's kept listings |
//! | `as_abuse_categories` | AS | number of distinct categories (c2, malware, phishing, spam, scanning, brute-force, other) among the AS's kept listings |
//! | `block_abuse_recent_density` | block | Σ decay weights of the listed addresses of the /24 / 256 (IPv6: the largest weight in the /48) |
//! | `ip_abuse_recency` | block | decay weight of the address's latest kept listing (1: listed today) |
//! | `abuse_reset_by_transfer` | block | listings in the /24 (/48) last seen before the registry dated a transfer of its block: not counted above, and reported |
//! | `pdns_ip_domains` | block | distinct passive-DNS domains seen on the address |
//! | `pdns_block_domains` | block | distinct passive-DNS domains seen in the /24 (/48) |
//! | `pdns_new_domain_share` | block | share of the block's domains first seen within 30 days of the reference time |
//! | `pdns_short_lived_share` | block | share of the block's domains observed for less than 7 days in all and no longer seen in the last day |
//! | `pdns_fast_flux_share` | block | share of the block's domains that are fast-flux: at least 5 distinct addresses in at least 3 distinct /24s (/48s), records lasting a day or less on average |
//! | `pdns_abuse_overlap` | block | share of the block's domains (or a parent domain of theirs) named by an abuse feed |
//!
//! Time-aware evidence (the last nine rows and the first four of them)
//! comes from the timestamped feeds (abuse.ch, AbuseIPDB, generic CSV) and
//! passive DNS. Observations last seen before the horizon (default 365
//! days) or first seen after the reference time are dropped; the weight of
//! a listing halves every half-life (default 30 days). A listing of an
//! address last seen before the registry dated a transfer of its block is
//! the previous holder's: it is reset, not counted.
//! | `bgp_upstreams` | AS | distinct providers of the AS over the window of AS-relationship snapshots (CAIDA `-1` links with the AS as customer) |
//! | `bgp_rewiring` | AS | providers gained plus providers lost between consecutive AS-relationship snapshots, summed over the window, counting only transitions where the AS has providers on both sides |
//! | `bgp_lax_upstreams` | AS | share of those providers that are lax: listed themselves, or a provider over the window of another AS that is listed (ASN-DROP, or half its space on DROP) or linked to a listed holder |
//! | `bgp_log2_prefixes` | AS | log2(1 + prefixes the AS originates in the latest prefix2as snapshot): fragmentation |
//! | `bgp_small_prefix_share` | AS | share of those prefixes that are IPv4 /24 or longer, IPv6 /48 or longer |
//! | `bgp_churn` | AS | mean, over consecutive prefix2as snapshots where the AS originates something on both sides, of (prefixes added + withdrawn) / prefixes on either side (an AS appearing or vanishing is not churn) |
//! | `bgp_short_lived` | AS | share of the AS's announcement runs (a prefix present in consecutive snapshots) that were withdrawn less than 45 days after they appeared |
//! | `bgp_moas` | AS | share of the prefixes the AS originated over the window that had more than one origin (CAIDA `a_b`, or an AS set) in some snapshot |
//! | `guard_protected` | block | 1 inside a range under guard rails (a cloud, CDN or anycast service given with `--protect`): its listings count for the range alone, never for the route or the AS, and its verdict is at most `abused-legitimate` |
//! | `geo_country_mismatch` | block | 1 when the geolocated country (MMDB `country`) differs from the registered one: the country of the most specific WHOIS registration, else of the `--geo` country ranges (ip-location-db's are registry-based), 0 when either is unknown |
//! | `geo_as_countries` | AS | the number of distinct geolocated countries (MMDB) over the AS's announced space |
//! | `geo_hosting` | block | 1 when MaxMind Anonymous-IP flags the address `is_hosting_provider` (for a prefix or an AS: the share of its space) |
//! | `geo_anonymiser` | block | 1 when it is flagged `is_anonymous_vpn`, `is_public_proxy`, `is_residential_proxy` or `is_tor_exit_node` (for a prefix or an AS: the share) |
//! | `bgp_leased` | block | 1 when the origin AS's registered holder is another entity than the holder of the top registration (the registry's allocation) covering the address: leased space ("Sublet Your Subnet", IMC 2024); 0 without WHOIS data for both |
//!
//! The routing-dynamics features (`bgp_*`) follow ASwatch (Konte, Perdisci
//! and Feamster, SIGCOMM 2015): bulletproof ASes change upstreams when they
//! are cut off, fragment and churn their announced space, and lean on lax
//! upstreams. They are 0 when the snapshot was built without a dated
//! series (`--pfx2as`, `--as-rel`); a single prefix2as file gives the
//! fragmentation features only.
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
pub(crate) mod fasthash;
pub(crate) mod routing;
pub(crate) mod timed;
pub(crate) mod whois;

pub use timed::{
    FLUX_MAX_MEAN_SPAN, FLUX_MIN_ADDRS, FLUX_MIN_BLOCKS, MAX_REMEMBERED_ADDRS, MIN_PEERS,
    NEW_DOMAIN_DAYS, PEER_LOG2_RANGE, SHORT_LIVED_DAYS, TimePolicy, TimedSummary,
};

pub use routing::BGP_SHORT_LIVED_DAYS;

pub use whois::{LinkReason, MAX_LINK_FANOUT, normalise_org_name};

/// The value of [`Feature::EntityLinkedListed`] for a linked AS: evidence
/// inherited through an entity link counts half as much as evidence
/// observed on the AS itself.
pub const ENTITY_LINK_DISCOUNT: f64 = 0.5;

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
    /// The registration is delegated by a provider to another entity.
    WhoisReassignedOtherOrg,
    /// Depth of the registration in the hierarchy.
    WhoisDepth,
    /// log2 of the registration's size.
    WhoisBlockLog2Size,
    /// How recently the registration was created (1: today, 0: two years or more).
    WhoisBlockYoung,
    /// How recently the registration was modified after its creation.
    WhoisRecentlyModified,
    /// The registration's country differs from its top allocation's.
    WhoisCountryMismatch,
    /// No abuse contact on the registration or its holder.
    WhoisNoAbuseContact,
    /// Distinct providers of the holder entity's customer blocks.
    WhoisOrgProviders,
    /// The abuse mailbox is shared with an entity holding a listed AS.
    WhoisAbuseSharedListed,
    /// Delegated statistics date the block after its creation.
    WhoisRecentTransfer,
    /// The AS's holder is linked to the holder of a listed AS (discounted).
    EntityLinkedListed,
    /// Time-decayed listed addresses / announced addresses of the AS.
    AsAbuseRecentDensity,
    /// Percentile of the AS's recent density among ASes of similar size.
    AsAbusePeerPercentile,
    /// Mean days between first and last sighting of the AS's listings.
    AsAbusePersistenceDays,
    /// Distinct abuse categories among the AS's listings.
    AsAbuseCategories,
    /// Time-decayed listed share of the /24 (/48).
    BlockAbuseRecentDensity,
    /// Decay weight of the address's latest listing.
    IpAbuseRecency,
    /// Listings of the block reset by a registry transfer.
    AbuseResetByTransfer,
    /// Distinct passive-DNS domains on the address.
    PdnsIpDomains,
    /// Distinct passive-DNS domains in the /24 (/48).
    PdnsBlockDomains,
    /// Share of the block's domains that are new.
    PdnsNewDomainShare,
    /// Share of the block's domains that were short-lived.
    PdnsShortLivedShare,
    /// Share of the block's domains that are fast-flux.
    PdnsFastFluxShare,
    /// Share of the block's domains named by abuse feeds.
    PdnsAbuseOverlap,
    /// Distinct upstream providers over the window.
    BgpUpstreams,
    /// Upstream providers gained or lost between snapshots.
    BgpRewiring,
    /// Share of the upstreams that are lax.
    BgpLaxUpstreams,
    /// log2 of the number of prefixes originated.
    BgpLog2Prefixes,
    /// Share of originated prefixes that are /24 (IPv6 /48) or longer.
    BgpSmallPrefixShare,
    /// Mean share of the AS's prefixes added or withdrawn between snapshots.
    BgpChurn,
    /// Share of announcement runs withdrawn within 45 days.
    BgpShortLived,
    /// Share of originated prefixes with more than one origin.
    BgpMoas,
    /// The address lies in a range under guard rails (cloud, CDN, anycast).
    GuardProtected,
    /// The geolocated country differs from the registered one.
    GeoCountryMismatch,
    /// Distinct geolocated countries of the AS's space.
    GeoAsCountries,
    /// Flagged as a hosting provider (MaxMind Anonymous-IP).
    GeoHosting,
    /// Flagged as a VPN, public or residential proxy, or Tor exit.
    GeoAnonymiser,
    /// The origin AS's holder is not the allocation's holder (leased space).
    BgpLeased,
}

/// The hash of the feature schema: the first 16 hex digits of the SHA-256
/// of the feature names in schema order, one per line. Trained model files
/// carry it, and a model trained on another schema is refused.
///
/// ```
/// let h = bphscore::features::schema_hash();
/// assert_eq!(h.len(), 16);
/// assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
/// ```
pub fn schema_hash() -> String {
    use sha2::Digest;
    let mut d = sha2::Sha256::new();
    for f in Feature::ALL {
        d.update(f.name().as_bytes());
        d.update(b"\n");
    }
    d.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The number of features in the schema.
pub const FEATURE_COUNT: usize = 45;

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
        Feature::WhoisReassignedOtherOrg,
        Feature::WhoisDepth,
        Feature::WhoisBlockLog2Size,
        Feature::WhoisBlockYoung,
        Feature::WhoisRecentlyModified,
        Feature::WhoisCountryMismatch,
        Feature::WhoisNoAbuseContact,
        Feature::WhoisOrgProviders,
        Feature::WhoisAbuseSharedListed,
        Feature::WhoisRecentTransfer,
        Feature::EntityLinkedListed,
        Feature::AsAbuseRecentDensity,
        Feature::AsAbusePeerPercentile,
        Feature::AsAbusePersistenceDays,
        Feature::AsAbuseCategories,
        Feature::BlockAbuseRecentDensity,
        Feature::IpAbuseRecency,
        Feature::AbuseResetByTransfer,
        Feature::PdnsIpDomains,
        Feature::PdnsBlockDomains,
        Feature::PdnsNewDomainShare,
        Feature::PdnsShortLivedShare,
        Feature::PdnsFastFluxShare,
        Feature::PdnsAbuseOverlap,
        Feature::BgpUpstreams,
        Feature::BgpRewiring,
        Feature::BgpLaxUpstreams,
        Feature::BgpLog2Prefixes,
        Feature::BgpSmallPrefixShare,
        Feature::BgpChurn,
        Feature::BgpShortLived,
        Feature::BgpMoas,
        Feature::GuardProtected,
        Feature::GeoCountryMismatch,
        Feature::GeoAsCountries,
        Feature::GeoHosting,
        Feature::GeoAnonymiser,
        Feature::BgpLeased,
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
            Feature::WhoisReassignedOtherOrg => "whois_reassigned_other_org",
            Feature::WhoisDepth => "whois_depth",
            Feature::WhoisBlockLog2Size => "whois_block_log2_size",
            Feature::WhoisBlockYoung => "whois_block_young",
            Feature::WhoisRecentlyModified => "whois_recently_modified",
            Feature::WhoisCountryMismatch => "whois_country_mismatch",
            Feature::WhoisNoAbuseContact => "whois_no_abuse_contact",
            Feature::WhoisOrgProviders => "whois_org_providers",
            Feature::WhoisAbuseSharedListed => "whois_abuse_shared_listed",
            Feature::WhoisRecentTransfer => "whois_recent_transfer",
            Feature::EntityLinkedListed => "entity_linked_listed",
            Feature::AsAbuseRecentDensity => "as_abuse_recent_density",
            Feature::AsAbusePeerPercentile => "as_abuse_peer_percentile",
            Feature::AsAbusePersistenceDays => "as_abuse_persistence_days",
            Feature::AsAbuseCategories => "as_abuse_categories",
            Feature::BlockAbuseRecentDensity => "block_abuse_recent_density",
            Feature::IpAbuseRecency => "ip_abuse_recency",
            Feature::AbuseResetByTransfer => "abuse_reset_by_transfer",
            Feature::PdnsIpDomains => "pdns_ip_domains",
            Feature::PdnsBlockDomains => "pdns_block_domains",
            Feature::PdnsNewDomainShare => "pdns_new_domain_share",
            Feature::PdnsShortLivedShare => "pdns_short_lived_share",
            Feature::PdnsFastFluxShare => "pdns_fast_flux_share",
            Feature::PdnsAbuseOverlap => "pdns_abuse_overlap",
            Feature::BgpUpstreams => "bgp_upstreams",
            Feature::BgpRewiring => "bgp_rewiring",
            Feature::BgpLaxUpstreams => "bgp_lax_upstreams",
            Feature::BgpLog2Prefixes => "bgp_log2_prefixes",
            Feature::BgpSmallPrefixShare => "bgp_small_prefix_share",
            Feature::BgpChurn => "bgp_churn",
            Feature::BgpShortLived => "bgp_short_lived",
            Feature::BgpMoas => "bgp_moas",
            Feature::GuardProtected => "guard_protected",
            Feature::GeoCountryMismatch => "geo_country_mismatch",
            Feature::GeoAsCountries => "geo_as_countries",
            Feature::GeoHosting => "geo_hosting",
            Feature::GeoAnonymiser => "geo_anonymiser",
            Feature::BgpLeased => "bgp_leased",
        }
    }

    /// The scope of the feature.
    pub fn scope(self) -> Scope {
        match self {
            Feature::AsAbuseDensity
            | Feature::AsDropShare
            | Feature::AsnDrop
            | Feature::AsLog2Announced
            | Feature::EntityLinkedListed
            | Feature::AsAbuseRecentDensity
            | Feature::AsAbusePeerPercentile
            | Feature::AsAbusePersistenceDays
            | Feature::AsAbuseCategories => Scope::As,
            Feature::BgpUpstreams
            | Feature::BgpRewiring
            | Feature::BgpLaxUpstreams
            | Feature::BgpLog2Prefixes
            | Feature::BgpSmallPrefixShare
            | Feature::BgpChurn
            | Feature::BgpShortLived
            | Feature::BgpMoas
            | Feature::GeoAsCountries => Scope::As,
            Feature::PrefixAbuseDensity
            | Feature::PrefixInDrop
            | Feature::IpListed
            | Feature::WhoisReassignedOtherOrg
            | Feature::WhoisDepth
            | Feature::WhoisBlockLog2Size
            | Feature::WhoisBlockYoung
            | Feature::WhoisRecentlyModified
            | Feature::WhoisCountryMismatch
            | Feature::WhoisNoAbuseContact
            | Feature::WhoisOrgProviders
            | Feature::WhoisAbuseSharedListed
            | Feature::WhoisRecentTransfer
            | Feature::BlockAbuseRecentDensity
            | Feature::IpAbuseRecency
            | Feature::AbuseResetByTransfer
            | Feature::PdnsIpDomains
            | Feature::PdnsBlockDomains
            | Feature::PdnsNewDomainShare
            | Feature::PdnsShortLivedShare
            | Feature::PdnsFastFluxShare
            | Feature::PdnsAbuseOverlap => Scope::Block,
            Feature::GuardProtected
            | Feature::GeoCountryMismatch
            | Feature::GeoHosting
            | Feature::GeoAnonymiser
            | Feature::BgpLeased => Scope::Block,
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
            Feature::WhoisReassignedOtherOrg if value >= 1.0 => {
                "the block is sub-allocated or reassigned to another organisation than its provider"
                    .to_owned()
            }
            Feature::WhoisReassignedOtherOrg => format!(
                "{} of the space is sub-allocated or reassigned to other organisations",
                pct(value)
            ),
            Feature::WhoisDepth => {
                format!("the registration is {value:.1} levels below the registry's allocation")
            }
            Feature::WhoisBlockLog2Size => {
                format!("the registered block holds about 2^{value:.1} addresses")
            }
            Feature::WhoisBlockYoung => format!(
                "the registration is young (about {:.0} days old)",
                (1.0 - value).max(0.0) * 730.0
            ),
            Feature::WhoisRecentlyModified => format!(
                "the registration was modified recently (about {:.0} days ago)",
                (1.0 - value).max(0.0) * 180.0
            ),
            Feature::WhoisCountryMismatch if value >= 1.0 => {
                "the registration's country differs from its provider's".to_owned()
            }
            Feature::WhoisCountryMismatch => format!(
                "{} of the space is registered in another country than its provider's",
                pct(value)
            ),
            Feature::WhoisNoAbuseContact if value >= 1.0 => {
                "no abuse contact on the registration or its holder".to_owned()
            }
            Feature::WhoisNoAbuseContact => {
                format!("{} of the space has no abuse contact", pct(value))
            }
            Feature::WhoisOrgProviders => {
                format!("the holder has customer blocks with {value:.1} distinct provider(s)")
            }
            Feature::WhoisAbuseSharedListed if value >= 1.0 => {
                "the abuse mailbox is shared with the holder of a listed AS".to_owned()
            }
            Feature::WhoisAbuseSharedListed => format!(
                "{} of the space shares an abuse mailbox with the holder of a listed AS",
                pct(value)
            ),
            Feature::WhoisRecentTransfer if value >= 1.0 => {
                "the registry dates the block after its registration (transferred)".to_owned()
            }
            Feature::WhoisRecentTransfer => {
                format!("{} of the space was transferred", pct(value))
            }
            Feature::EntityLinkedListed => format!(
                "the AS's holder is linked to the holder of a listed AS (evidence inherited at {:.0}%)",
                value * 100.0
            ),
            Feature::AsAbuseRecentDensity => format!(
                "{} of the AS's announced space is recently listed (time-decayed)",
                pct(value)
            ),
            Feature::AsAbusePeerPercentile => format!(
                "its recent abuse density is above {:.0}% of ASes of similar size",
                value * 100.0
            ),
            Feature::AsAbusePersistenceDays => {
                format!("the AS's listings last {value:.0} days on average")
            }
            Feature::AsAbuseCategories => {
                format!("the AS's listings span {value:.0} abuse categories")
            }
            Feature::BlockAbuseRecentDensity => format!(
                "{} of the /24 (/48) is recently listed (time-decayed)",
                pct(value)
            ),
            Feature::IpAbuseRecency if value >= 0.995 => {
                "the address was listed by a timestamped feed at the reference time".to_owned()
            }
            Feature::IpAbuseRecency => format!(
                "the address's latest listing counts {:.0}% after decay",
                value * 100.0
            ),
            Feature::AbuseResetByTransfer => format!(
                "{value:.0} listing(s) of the /24 (/48) predate the transfer of its block and are not counted"
            ),
            Feature::PdnsIpDomains => {
                format!("passive DNS saw {value:.0} domain(s) on the address")
            }
            Feature::PdnsBlockDomains => {
                format!("passive DNS saw {value:.0} domain(s) in the /24 (/48)")
            }
            Feature::PdnsNewDomainShare => format!(
                "{} of the block's domains were first seen in the last {NEW_DOMAIN_DAYS} days",
                pct(value)
            ),
            Feature::PdnsShortLivedShare => format!(
                "{} of the block's domains lived less than {SHORT_LIVED_DAYS} days",
                pct(value)
            ),
            Feature::PdnsFastFluxShare => format!(
                "{} of the block's domains are fast-flux (many addresses, changing daily)",
                pct(value)
            ),
            Feature::PdnsAbuseOverlap => format!(
                "{} of the block's domains are named by abuse feeds",
                pct(value)
            ),
            Feature::BgpUpstreams => {
                format!("the AS had {value:.0} distinct upstream provider(s) over the window")
            }
            Feature::BgpRewiring => format!(
                "the AS changed upstream providers {value:.0} time(s) over the window (rewiring)"
            ),
            Feature::BgpLaxUpstreams => format!(
                "{} of the AS's upstreams also serve listed ASes (lax upstreams)",
                pct(value)
            ),
            Feature::BgpLog2Prefixes => format!(
                "the AS originates about {:.0} prefixes",
                (value.exp2() - 1.0).max(0.0)
            ),
            Feature::BgpSmallPrefixShare => format!(
                "{} of the AS's prefixes are /24 (IPv6 /48) or longer (fragmented space)",
                pct(value)
            ),
            Feature::BgpChurn => format!(
                "{} of the AS's announced prefixes change between snapshots (churn)",
                pct(value)
            ),
            Feature::BgpShortLived => format!(
                "{} of the AS's announcements were withdrawn within 45 days",
                pct(value)
            ),
            Feature::BgpMoas => format!(
                "{} of the AS's prefixes had more than one origin AS",
                pct(value)
            ),
            Feature::GuardProtected if value >= 1.0 => {
                "inside a protected cloud, CDN or anycast range (verdict capped at abused-legitimate)"
                    .to_owned()
            }
            Feature::GuardProtected => format!(
                "{} of the space is in protected cloud, CDN or anycast ranges",
                pct(value)
            ),
            Feature::GeoCountryMismatch if value >= 1.0 => {
                "geolocated in another country than it is registered in".to_owned()
            }
            Feature::GeoCountryMismatch => format!(
                "{} of the space is geolocated in another country than it is registered in",
                pct(value)
            ),
            Feature::GeoAsCountries => {
                format!("the AS's space is geolocated in {value:.0} countries")
            }
            Feature::GeoHosting if value >= 1.0 => "flagged as a hosting provider".to_owned(),
            Feature::GeoHosting => format!("{} of the space is flagged as hosting", pct(value)),
            Feature::GeoAnonymiser if value >= 1.0 => {
                "flagged as a VPN, proxy or Tor exit (anonymiser)".to_owned()
            }
            Feature::GeoAnonymiser => format!(
                "{} of the space is flagged as VPN, proxy or Tor exit",
                pct(value)
            ),
            Feature::BgpLeased if value >= 1.0 => {
                "announced by another organisation than the allocation's holder (leased)".to_owned()
            }
            Feature::BgpLeased => format!(
                "{} of the space is announced by another organisation than its holder (leased)",
                pct(value)
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureVector([f64; FEATURE_COUNT]);

impl Default for FeatureVector {
    fn default() -> Self {
        FeatureVector([0.0; FEATURE_COUNT])
    }
}

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
