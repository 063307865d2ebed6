//! Scoring: a [`Detector`] (snapshot + model) turns subjects into
//! [`Score`]s with a probability, a [`Class`] and the [`Reason`]s behind it.
//!
//! Scoring an address is a look-up in the snapshot's partition (two array
//! probes and a short binary search) and a dot product; it does not
//! allocate. A [`Score`] borrows names and source records from the snapshot.

mod lookup;
mod memo;
mod model;
mod whois;

use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;

pub use lookup::Verdict;
pub(crate) use lookup::{first_probe, prefetch, search_v4_slots};
pub use model::{MODEL_FORMAT_VERSION, Model, ModelKind, Thresholds, Transform};
pub(crate) use model::{Node, RawCalibration, RawFeature, RawModel, RawNode, RawStandardisation};

use crate::error::Result;
use crate::features::compile::NO_ROUTE;
use crate::features::{FEATURE_COUNT, Feature, FeatureVector};
use crate::snapshot::{self, AsView, CellView, RouteView, Snapshot};
use crate::source::SourceInfo;
use crate::subject::{Asn, Country, Subject};
use memo::Evaluation;
pub(crate) use memo::{EvalMemo, fold, mix};

/// The verdict.
///
/// ```
/// use bphscore::Class;
/// assert_eq!(Class::BphReseller.to_string(), "bph-reseller");
/// assert_eq!("abused-legitimate".parse::<Class>()?, Class::AbusedLegitimate);
/// assert!("evil".parse::<Class>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Class {
    /// A provider that knowingly shelters abuse: act on the whole AS.
    Bulletproof,
    /// A bad block (a reseller or customer) inside a legitimate provider:
    /// act on the block and notify the provider.
    BphReseller,
    /// A legitimate network with some abuse (compromised or abused hosts).
    AbusedLegitimate,
    /// Known, with no significant evidence of abuse.
    Clean,
    /// The snapshot knows nothing of the subject.
    Unknown,
}

impl Class {
    /// Every class.
    pub const ALL: [Class; 5] = [
        Class::Bulletproof,
        Class::BphReseller,
        Class::AbusedLegitimate,
        Class::Clean,
        Class::Unknown,
    ];

    /// The class name as written in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Class::Bulletproof => "bulletproof",
            Class::BphReseller => "bph-reseller",
            Class::AbusedLegitimate => "abused-legitimate",
            Class::Clean => "clean",
            Class::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Class`].
///
/// ```
/// assert!("x".parse::<bphscore::Class>().unwrap_err().to_string().contains("bulletproof"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown class {0:?}; expected bulletproof, bph-reseller, abused-legitimate, clean or unknown"
)]
pub struct ParseClassError(String);

impl std::str::FromStr for Class {
    type Err = ParseClassError;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Class::ALL
            .into_iter()
            .find(|c| c.name() == s.trim())
            .ok_or_else(|| ParseClassError(s.to_owned()))
    }
}

/// The most reasons a score carries.
pub const MAX_REASONS: usize = 6;

/// One signal behind a score: the feature, its value, how much it moved the
/// log-odds, and the source of the evidence with its date.
///
/// ```
/// let detector = bphscore::Detector::default_world()?;
/// let score = detector.score(&"AS64502".parse()?);
/// let top = &score.reasons[0];
/// assert!(top.contribution > 0.0);
/// assert!(top.source.is_some());
/// println!("{top}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Reason<'a> {
    /// The feature.
    pub feature: Feature,
    /// Its value for the subject.
    pub value: f64,
    /// Its contribution to the log-odds (weight × transformed value).
    pub contribution: f64,
    /// The first source (in build order) that supplied the evidence.
    pub source: Option<&'a SourceInfo>,
    /// How many other sources supplied evidence for the same feature.
    pub other_sources: u32,
}

impl Reason<'_> {
    const NONE: Reason<'static> = Reason {
        feature: Feature::AsAbuseDensity,
        value: 0.0,
        contribution: 0.0,
        source: None,
        other_sources: 0,
    };

    /// The reason as a sentence, with its source and date.
    pub fn explain(&self) -> String {
        let mut s = self.feature.describe(self.value);
        if let Some(src) = self.source {
            s.push_str(&format!(" [{} {}", src.name, src.date_text()));
            if self.other_sources > 0 {
                s.push_str(&format!(" +{} more", self.other_sources));
            }
            s.push(']');
        }
        s
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={} ({:+.2})",
            self.feature,
            fmt_value(self.value),
            self.contribution
        )
    }
}

pub(crate) fn fmt_value(v: f64) -> String {
    let mut out = Vec::with_capacity(12);
    crate::number::write_value(&mut out, v);
    // Digits, signs, '.', 'e' and the standard library's "NaN"/"inf".
    String::from_utf8(out).unwrap_or_default()
}

/// The reasons of a score, strongest first: a fixed-capacity list that
/// derefs to a slice (scoring never allocates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reasons<'a> {
    items: [Reason<'a>; MAX_REASONS],
    len: usize,
}

impl<'a> std::ops::Deref for Reasons<'a> {
    type Target = [Reason<'a>];

    fn deref(&self) -> &Self::Target {
        &self.items[..self.len]
    }
}

/// The score of one subject.
///
/// ```
/// use bphscore::{Class, Detector};
///
/// let detector = Detector::default_world()?;
/// let score = detector.score(&"198.18.3.7".parse()?);
/// assert_eq!(score.class, Class::Bulletproof);
/// assert!(score.probability > 0.9);
/// assert_eq!(score.asn.map(|a| a.get()), Some(64502));
/// assert_eq!(score.as_name, Some("EXAMPLE-BPH"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Score<'a> {
    /// What was scored.
    pub subject: Subject,
    /// The probability that the subject is bulletproof or reseller hosting, in [0, 1].
    pub probability: f64,
    /// The verdict.
    pub class: Class,
    /// The matched prefix: the largest CIDR block of the matched route that
    /// holds the subject.
    pub prefix: Option<IpNetwork>,
    /// The origin AS (for a prefix: the AS holding most of its addresses).
    pub asn: Option<Asn>,
    /// The AS name.
    pub as_name: Option<&'a str>,
    /// The country of the addresses (for an AS: where most of its space is).
    pub country: Option<Country>,
    /// The matched route is originated by more than one AS (or an AS set).
    pub multi_origin: bool,
    /// Every feature's value.
    pub features: FeatureVector,
    /// The strongest signals, strongest first.
    pub reasons: Reasons<'a>,
}

/// The class of a subject: an AS scored as a whole whose positive evidence
/// is mostly block-level is `bulletproof` (the verdict about an AS is about
/// the AS), never a reseller block of itself; a listed address below the
/// model's thresholds is `abused-legitimate`, never `clean`.
#[inline(always)]
pub(crate) fn subject_class(class: Class, subject: &Subject, x: &FeatureVector) -> Class {
    match (class, subject) {
        (Class::BphReseller, Subject::Asn(_)) => Class::Bulletproof,
        // An address the model leaves clean but that a blocklist lists, or
        // a feed reported within one half-life, is a compromised host of a
        // legitimate network: abused-legitimate, whatever its probability.
        (Class::Clean, Subject::Ip(_))
            if x.get(Feature::IpListed) >= 1.0 || x.get(Feature::IpAbuseRecency) >= 0.5 =>
        {
            Class::AbusedLegitimate
        }
        (c, _) => c,
    }
}

/// A snapshot and a model: scores subjects.
///
/// `Detector` is `Send + Sync`; share it between threads.
///
/// ```
/// use bphscore::{Detector, Subject};
///
/// let detector = Detector::default_world()?;
/// let subjects: Vec<Subject> = ["AS64502", "AS64501", "AS64500"]
///     .iter()
///     .map(|s| s.parse())
///     .collect::<Result<_, _>>()?;
/// let scores = detector.score_batch(&subjects);
/// assert!(scores[0].probability > scores[1].probability);
/// assert!(scores[1].probability > scores[2].probability);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Detector<S = Vec<u8>> {
    snapshot: Snapshot<S>,
    model: Model,
    /// `model.prior()`, the probability of unknown subjects, computed once.
    prior: f64,
    /// Search structures and per-interval slots of [`Detector::lookup`].
    fast: lookup::FastIndex,
}

impl Detector<Vec<u8>> {
    /// The embedded default world with the default model: no files, no network.
    pub fn default_world() -> Result<Self> {
        Ok(Detector::new(
            crate::world::snapshot()?,
            Model::default_model(),
        ))
    }
}

#[derive(Default)]
struct Accumulator {
    x: FeatureVector,
    weight: f64,
    as_sources: u64,
    route_sources: u64,
    cell_sources: u64,
    /// (AS index, addresses) of the ASes seen, most addresses kept.
    candidates: [(u32, f64); 8],
    routing_source: Option<u16>,
    multi_origin: bool,
    timed_as: u64,
    timed_block: u64,
    timed_ip: u64,
}

impl Accumulator {
    fn credit(&mut self, as_index: u32, w: f64) {
        if let Some(c) = self
            .candidates
            .iter_mut()
            .find(|c| c.1 > 0.0 && c.0 == as_index)
        {
            c.1 += w;
            return;
        }
        let slot = self
            .candidates
            .iter_mut()
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some(slot) = slot
            && slot.1 < w
        {
            *slot = (as_index, w);
        }
    }

    fn top(&self) -> Option<u32> {
        self.candidates
            .iter()
            .filter(|c| c.1 > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|c| c.0)
    }
}

impl<S: AsRef<[u8]>> Detector<S> {
    /// A detector over `snapshot` with `model`.
    pub fn new(snapshot: Snapshot<S>, model: Model) -> Self {
        Detector {
            fast: lookup::FastIndex::new(&snapshot),
            snapshot,
            prior: model.prior(),
            model,
        }
    }

    /// The snapshot.
    pub fn snapshot(&self) -> &Snapshot<S> {
        &self.snapshot
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Scores any subject.
    pub fn score(&self, subject: &Subject) -> Score<'_> {
        match *subject {
            Subject::Ip(ip) => self.score_ip(ip),
            Subject::Prefix(net) => self.score_prefix(net),
            Subject::Asn(asn) => self.score_asn(asn),
        }
    }

    /// Scores many subjects on all cores (rayon); the output is in input order.
    pub fn score_batch(&self, subjects: &[Subject]) -> Vec<Score<'_>>
    where
        S: Sync,
    {
        use rayon::prelude::*;
        subjects.par_iter().map(|s| self.score(s)).collect()
    }

    /// The time-aware features of AS record `idx`.
    #[inline]
    fn timed_as_features(&self, idx: u32, x: &mut FeatureVector) -> u64 {
        let t = self.snapshot.timed_as(idx);
        x.set(Feature::AsAbuseRecentDensity, t.density);
        x.set(Feature::AsAbusePeerPercentile, f64::from(t.peer_percentile));
        x.set(
            Feature::AsAbusePersistenceDays,
            f64::from(t.persistence_days),
        );
        x.set(
            Feature::AsAbuseCategories,
            f64::from(t.categories.count_ones()),
        );
        t.sources
    }

    /// The time-aware features of a cell's /24 (/48) and address.
    #[inline]
    fn timed_cell_features(&self, cell: &CellView, x: &mut FeatureVector) -> (u64, u64) {
        use crate::features::compile::NO_BLOCK;
        let (mut block_sources, mut ip_sources) = (0, 0);
        if cell.timed_block != NO_BLOCK {
            let b = self.snapshot.timed_block(cell.timed_block);
            x.set(
                Feature::BlockAbuseRecentDensity,
                f64::from(b.density).min(1.0),
            );
            x.set(Feature::AbuseResetByTransfer, f64::from(b.reset));
            x.set(Feature::PdnsBlockDomains, f64::from(b.domains));
            if b.domains > 0 {
                let share = |n: u32| f64::from(n) / f64::from(b.domains);
                x.set(Feature::PdnsNewDomainShare, share(b.new_domains));
                x.set(Feature::PdnsShortLivedShare, share(b.short_lived));
                x.set(Feature::PdnsFastFluxShare, share(b.flux));
                x.set(Feature::PdnsAbuseOverlap, share(b.abused));
            }
            block_sources = b.sources;
        }
        if cell.timed_ip != NO_BLOCK {
            let i = self.snapshot.timed_ip(cell.timed_ip);
            x.set(Feature::IpAbuseRecency, f64::from(i.recency));
            x.set(Feature::PdnsIpDomains, f64::from(i.domains));
            ip_sources = i.sources;
        }
        (block_sources, ip_sources)
    }

    /// Whether the holder of the top registration above `block` is another
    /// entity than the registered holder of the origin AS.
    #[inline]
    fn leased(&self, block: u32, as_index: u32) -> bool {
        use crate::features::compile::NO_BLOCK;
        let origin = self.snapshot.as_at(as_index).whois_org;
        if origin == NO_BLOCK {
            return false;
        }
        let mut b = self.snapshot.whois_block(block);
        // Parents come before their children (checked on open): the walk ends.
        while b.parent != NO_BLOCK {
            b = self.snapshot.whois_block(b.parent);
        }
        b.org != NO_BLOCK
            && self.snapshot.whois_org(b.org).entity != self.snapshot.whois_org(origin).entity
    }

    #[inline]
    fn routing_features(&self, as_index: u32, x: &mut FeatureVector) {
        let r = self.snapshot.as_routing(as_index);
        x.set(Feature::BgpUpstreams, f64::from(r.upstreams));
        x.set(Feature::BgpRewiring, f64::from(r.rewiring));
        if r.upstreams > 0 {
            x.set(
                Feature::BgpLaxUpstreams,
                f64::from(r.lax_upstreams) / f64::from(r.upstreams),
            );
        }
        if r.prefixes > 0 {
            x.set(
                Feature::BgpLog2Prefixes,
                (1.0 + f64::from(r.prefixes)).log2(),
            );
            x.set(
                Feature::BgpSmallPrefixShare,
                f64::from(r.small_prefixes) / f64::from(r.prefixes),
            );
        }
        x.set(Feature::BgpChurn, f64::from(r.churn));
        x.set(Feature::BgpShortLived, f64::from(r.short_lived));
        x.set(Feature::BgpMoas, f64::from(r.moas));
    }

    #[inline]
    fn as_features(&self, a: &AsView<'_>, as_index: u32, x: &mut FeatureVector) {
        self.routing_features(as_index, x);
        x.set(
            Feature::GeoAsCountries,
            f64::from(self.snapshot.as_countries(as_index)),
        );
        let announced = a.announced_v4 as f64 + 256.0 * a.announced_v6 as f64;
        let ratio = |n: f64| {
            if announced > 0.0 {
                (n / announced).min(1.0)
            } else {
                0.0
            }
        };
        x.set(
            Feature::AsAbuseDensity,
            ratio(a.listed_v4 as f64 + 256.0 * a.listed_v6 as f64),
        );
        x.set(
            Feature::AsDropShare,
            ratio(a.dropped_v4 as f64 + 256.0 * a.dropped_v6 as f64),
        );
        x.set(Feature::AsnDrop, if a.on_asn_drop() { 1.0 } else { 0.0 });
        x.set(Feature::AsLog2Announced, (1.0 + announced).log2());
        x.set(
            Feature::EntityLinkedListed,
            if a.linked_listed() {
                crate::features::ENTITY_LINK_DISCOUNT
            } else {
                0.0
            },
        );
    }

    #[inline]
    fn cell_features(&self, cell: &CellView, route: Option<&RouteView>, x: &mut FeatureVector) {
        let (list, drop, _) = self.snapshot.masks();
        if let Some(r) = route
            && cell.block != crate::features::compile::NO_BLOCK
            && self.leased(cell.block, r.as_index)
        {
            x.set(Feature::BgpLeased, 1.0);
        }
        if let Some(r) = route {
            let density = if r.size > 0 {
                r.listed as f64 / r.size as f64
            } else {
                0.0
            };
            x.set(Feature::PrefixAbuseDensity, density.min(1.0));
        }
        x.set(
            Feature::PrefixInDrop,
            if cell.sources & drop != 0 { 1.0 } else { 0.0 },
        );
        x.set(
            Feature::IpListed,
            f64::from((cell.sources & list).count_ones()),
        );
        if cell.protected() {
            x.set(Feature::GuardProtected, 1.0);
        }
        let flags = crate::source::GeoFlags::default().with(cell.geo_flags);
        if flags.contains(crate::source::GeoFlags::HOSTING) {
            x.set(Feature::GeoHosting, 1.0);
        }
        if flags.is_anonymiser() {
            x.set(Feature::GeoAnonymiser, 1.0);
        }
        if cell.located != crate::features::compile::NO_COUNTRY {
            // Registered: the most specific registration's country, else the
            // registry-based country ranges.
            let registered = if cell.block == crate::features::compile::NO_BLOCK {
                cell.country
            } else {
                let c = self.snapshot.whois_block(cell.block).country;
                if c == crate::features::compile::NO_COUNTRY {
                    cell.country
                } else {
                    c
                }
            };
            if registered != crate::features::compile::NO_COUNTRY && registered != cell.located {
                x.set(Feature::GeoCountryMismatch, 1.0);
            }
        }
        if cell.block != crate::features::compile::NO_BLOCK {
            whois::block_features(&self.snapshot, cell.block, x);
        }
    }

    /// Scores one address.
    ///
    /// ```
    /// use bphscore::{Class, Detector};
    ///
    /// let detector = Detector::default_world()?;
    /// assert_eq!(detector.score_ip("198.18.200.200".parse()?).class, Class::BphReseller);
    /// assert_eq!(detector.score_ip("100.64.1.1".parse()?).class, Class::Clean);
    /// assert_eq!(detector.score_ip("192.0.0.8".parse()?).class, Class::Unknown);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score_ip(&self, ip: IpAddr) -> Score<'_> {
        let i = match ip {
            IpAddr::V4(b) => self.interval_v4(b),
            IpAddr::V6(b) => self.interval_v6(b),
        };
        self.score_in_interval(ip, i)
    }

    /// [`score_ip`](Self::score_ip) for an address whose interval `i` the
    /// caller has found already.
    #[inline]
    pub(crate) fn score_in_interval(&self, ip: IpAddr, i: usize) -> Score<'_> {
        self.score_in_interval_memo(ip, i, None)
    }

    /// [`score_in_interval`](Self::score_in_interval), taking the model's
    /// evaluation from `memo` when the feature vector was met before (and
    /// keeping it there when not): the same score either way. Afterwards
    /// `memo.last()` numbers the vector, when the model was asked and the
    /// memo keeps it.
    #[inline]
    pub(crate) fn score_in_interval_memo(
        &self,
        ip: IpAddr,
        i: usize,
        memo: Option<&mut EvalMemo>,
    ) -> Score<'_> {
        let facts = self.interval_facts(i, ip.is_ipv6());
        let e = self.evaluate_facts(&facts, memo);
        self.score_facts(ip, &facts, e)
    }

    /// What scoring an address of interval `i` reads from the snapshot,
    /// before the model is asked: the first of the three steps of
    /// [`score_in_interval_memo`](Self::score_in_interval_memo), apart so
    /// that batch scoring can stop after the second when it has the row.
    #[inline]
    pub(crate) fn interval_facts(&self, i: usize, v6: bool) -> IntervalFacts<'_> {
        let cell = self.snapshot.interval_cell(i, v6);
        let route = (cell.route != NO_ROUTE).then(|| self.snapshot.route(cell.route));
        let asv = route.map(|r| self.snapshot.as_at(r.as_index));
        let mut x = FeatureVector::default();
        if let (Some(a), Some(r)) = (&asv, &route) {
            self.as_features(a, r.as_index, &mut x);
        }
        let timed_as = route.map_or(0, |r| self.timed_as_features(r.as_index, &mut x));
        self.cell_features(&cell, route.as_ref(), &mut x);
        let (timed_block, timed_ip) = self.timed_cell_features(&cell, &mut x);
        let masks = SourceMasks {
            as_sources: asv.map_or(0, |a| a.sources),
            route_sources: route.map_or(0, |r| r.sources),
            cell_sources: cell.sources,
            routing_source: route.map(|r| r.source),
            timed_as,
            timed_block,
            timed_ip,
        };
        IntervalFacts {
            known: route.is_some() || cell.sources != 0 || cell.has_timed(),
            x,
            masks,
            route: route.map(|r| (r.start, r.end)),
            country: Country::from_bytes(cell.country)
                .or_else(|| asv.and_then(|a| Country::from_bytes(a.country))),
            asv,
            multi_origin: route.is_some_and(|r| r.multi_origin()),
        }
    }

    /// The second step: what the model makes of the facts' features, by
    /// `memo` when given (`memo.last()` then numbers the vector, when the
    /// memo keeps it); `None` for a range the snapshot knows nothing of.
    #[inline]
    pub(crate) fn evaluate_facts(
        &self,
        facts: &IntervalFacts<'_>,
        memo: Option<&mut EvalMemo>,
    ) -> Option<Evaluation> {
        match memo {
            Some(m) => {
                m.forget_last();
                facts
                    .known
                    .then(|| m.get_or(&facts.x, || self.evaluation(&facts.x)))
            }
            None => facts.known.then(|| self.evaluation(&facts.x)),
        }
    }

    /// The last step: the score of `ip`, an address of the facts' interval,
    /// from the facts and their evaluation.
    #[inline]
    pub(crate) fn score_facts<'s>(
        &'s self,
        ip: IpAddr,
        facts: &IntervalFacts<'s>,
        e: Option<Evaluation>,
    ) -> Score<'s> {
        let (a, v6) = snapshot::ip_to_u128(ip);
        let prefix = facts.route.map(|(start, end)| {
            let (net, len) = snapshot::largest_block(start, end, a, v6);
            snapshot::to_network(net, len, v6)
        });
        self.finish(
            Subject::Ip(ip),
            e,
            facts.x,
            &facts.masks,
            prefix,
            facts.asv.as_ref(),
            facts.country,
            facts.multi_origin,
        )
    }

    /// Scores a prefix: the features of every address range it covers,
    /// averaged with weights by address count (space the snapshot knows
    /// nothing of is left out).
    ///
    /// ```
    /// use bphscore::{Class, Detector};
    ///
    /// let detector = Detector::default_world()?;
    /// let bad_block = detector.score_prefix("198.18.200.0/24".parse()?);
    /// let provider = detector.score_prefix("198.18.128.0/17".parse()?);
    /// assert_eq!(bad_block.class, Class::BphReseller);
    /// assert!(provider.probability < bad_block.probability);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score_prefix(&self, net: IpNetwork) -> Score<'_> {
        let (start, v6) = snapshot::ip_to_u128(net.network());
        let bits = if v6 { 128 } else { 32 };
        let host = bits - u32::from(net.prefix());
        let end = if host >= 128 {
            u128::MAX
        } else {
            start | ((1u128 << host) - 1)
        };
        let mut acc = Accumulator::default();
        let n = self.snapshot.interval_count(v6);
        let mut i = self.snapshot.locate(start, v6);
        let mut single_route: Option<u32> = None;
        let mut routes_seen = 0usize;
        while i < n {
            let (s, e, cell) = self.snapshot.interval(i, v6);
            if s > end {
                break;
            }
            i += 1;
            let route = (cell.route != NO_ROUTE).then(|| self.snapshot.route(cell.route));
            if route.is_none() && cell.sources == 0 && !cell.has_timed() {
                continue;
            }
            let w = (e.min(end) - s.max(start)) as f64 + 1.0;
            let mut x = FeatureVector::default();
            if let Some(r) = &route {
                let a = self.snapshot.as_at(r.as_index);
                self.as_features(&a, r.as_index, &mut x);
                acc.timed_as |= self.timed_as_features(r.as_index, &mut x);
                acc.as_sources |= a.sources;
                acc.route_sources |= r.sources;
                acc.multi_origin |= r.multi_origin();
                acc.routing_source.get_or_insert(r.source);
                acc.credit(r.as_index, w);
                if single_route != Some(cell.route) {
                    routes_seen += 1;
                    single_route = Some(cell.route);
                }
            }
            self.cell_features(&cell, route.as_ref(), &mut x);
            let (tb, ti) = self.timed_cell_features(&cell, &mut x);
            acc.timed_block |= tb;
            acc.timed_ip |= ti;
            acc.cell_sources |= cell.sources;
            acc.x.add_scaled(&x, w);
            acc.weight += w;
        }
        let known = acc.weight > 0.0;
        if known {
            acc.x.scale(1.0 / acc.weight);
        }
        let asv = acc.top().map(|idx| self.snapshot.as_at(idx));
        // The matched prefix: the route's block holding the whole subject,
        // when one route covers it.
        let prefix = match (routes_seen, single_route) {
            (1, Some(r)) => {
                let r = self.snapshot.route(r);
                (r.start <= start && r.end >= end).then(|| {
                    let (b, len) = snapshot::largest_block(r.start, r.end, start, v6);
                    snapshot::to_network(b, len, v6)
                })
            }
            _ => None,
        }
        .or(Some(net));
        let masks = SourceMasks {
            as_sources: acc.as_sources,
            route_sources: acc.route_sources,
            cell_sources: acc.cell_sources,
            routing_source: acc.routing_source,
            timed_as: acc.timed_as,
            timed_block: acc.timed_block,
            timed_ip: acc.timed_ip,
        };
        let country = asv.and_then(|a| Country::from_bytes(a.country));
        self.finish(
            Subject::Prefix(net),
            known.then(|| self.evaluation(&acc.x)),
            acc.x,
            &masks,
            prefix.filter(|_| known),
            asv.as_ref(),
            country,
            acc.multi_origin,
        )
    }

    /// Scores an autonomous system: its own features, and block features
    /// averaged over all of its announced space.
    ///
    /// ```
    /// use bphscore::{Asn, Class, Detector};
    ///
    /// let detector = Detector::default_world()?;
    /// assert_eq!(detector.score_asn(Asn::new(64502)).class, Class::Bulletproof);
    /// assert_eq!(detector.score_asn(Asn::new(64511)).class, Class::Unknown);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn score_asn(&self, asn: Asn) -> Score<'_> {
        let Some(idx) = self.snapshot.find_as(asn) else {
            return self.unknown(Subject::Asn(asn));
        };
        let a = self.snapshot.as_at(idx);
        let mut x = FeatureVector::default();
        self.as_features(&a, idx, &mut x);
        let timed_as = self.timed_as_features(idx, &mut x);
        // Averaged over the AS's own space, block densities reduce to the AS's.
        x.set(Feature::PrefixAbuseDensity, x.get(Feature::AsAbuseDensity));
        x.set(Feature::PrefixInDrop, x.get(Feature::AsDropShare));
        x.set(Feature::IpListed, x.get(Feature::AsAbuseDensity));
        let (list, drop, _) = self.snapshot.masks();
        let masks = SourceMasks {
            as_sources: a.sources,
            route_sources: a.sources & list,
            cell_sources: a.sources & (list | drop),
            routing_source: (a.routing_source != crate::features::compile::NO_SOURCE)
                .then_some(a.routing_source),
            timed_as,
            timed_block: 0,
            timed_ip: 0,
        };
        self.finish(
            Subject::Asn(asn),
            Some(self.evaluation(&x)),
            x,
            &masks,
            None,
            Some(&a),
            Country::from_bytes(a.country),
            false,
        )
    }

    #[inline]
    fn unknown(&self, subject: Subject) -> Score<'_> {
        Score {
            subject,
            probability: self.prior,
            class: Class::Unknown,
            prefix: None,
            asn: None,
            as_name: None,
            country: None,
            multi_origin: false,
            features: FeatureVector::default(),
            reasons: Reasons {
                items: [Reason::NONE; MAX_REASONS],
                len: 0,
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn finish<'s>(
        &'s self,
        subject: Subject,
        e: Option<Evaluation>,
        x: FeatureVector,
        masks: &SourceMasks,
        prefix: Option<IpNetwork>,
        asv: Option<&AsView<'s>>,
        country: Option<Country>,
        multi_origin: bool,
    ) -> Score<'s> {
        // No evaluation: nothing is known of the subject.
        let Some(e) = e else {
            let mut s = self.unknown(subject);
            s.country = country;
            return s;
        };
        // The class and reasons are written into the score in place rather
        // than built apart and copied in.
        let mut score = Score {
            subject,
            probability: e.probability,
            class: Class::Unknown,
            prefix,
            asn: asv.map(|a| Asn::new(a.asn)),
            as_name: asv.map(|a| a.name).filter(|n| !n.is_empty()),
            country,
            multi_origin,
            features: x,
            reasons: Reasons {
                items: [Reason::NONE; MAX_REASONS],
                len: 0,
            },
        };
        score.class = subject_class(e.class, &subject, &x);
        // Guard rails: a subject wholly inside protected cloud, CDN or
        // anycast ranges is at most abused-legitimate.
        if x.get(Feature::GuardProtected) >= 1.0 && score.class < Class::AbusedLegitimate {
            score.class = Class::AbusedLegitimate;
        }
        self.reasons(&x, &e, masks, &mut score.reasons);
        score
    }

    /// What the model makes of `x`: probability, class, strongest
    /// contributions.
    #[inline(always)]
    fn evaluation(&self, x: &FeatureVector) -> Evaluation {
        let (probability, c) = self.model.evaluate(x);
        let (order, len) = strongest(&c, x.values());
        let mut e = Evaluation {
            probability,
            class: self.model.classify(probability, &c),
            len: len as u8,
            order: [0; MAX_REASONS],
            contributions: [0.0; MAX_REASONS],
        };
        for (k, &i) in order[..len].iter().enumerate() {
            // FEATURE_COUNT is below 256.
            e.order[k] = i as u8;
            e.contributions[k] = c[i];
        }
        e
    }

    #[inline(always)]
    fn reasons<'s>(
        &'s self,
        x: &FeatureVector,
        e: &Evaluation,
        m: &SourceMasks,
        out: &mut Reasons<'s>,
    ) {
        let (list, drop, asn_drop) = self.snapshot.masks();
        debug_assert_eq!(out.len, 0);
        for k in 0..usize::from(e.len) {
            let f = Feature::ALL[usize::from(e.order[k])];
            let (source, other_sources) = match f {
                Feature::AsAbuseDensity => self.snapshot.first_source(m.as_sources & list),
                Feature::AsDropShare => self.snapshot.first_source(m.as_sources & drop),
                Feature::AsnDrop => self.snapshot.first_source(m.as_sources & asn_drop),
                Feature::PrefixAbuseDensity => self.snapshot.first_source(m.route_sources & list),
                Feature::PrefixInDrop => self.snapshot.first_source(m.cell_sources & drop),
                Feature::IpListed => self.snapshot.first_source(m.cell_sources & list),
                Feature::AsLog2Announced => m
                    .routing_source
                    .and_then(|s| self.snapshot.source_at(s))
                    .map(|s| (s, 0)),
                Feature::WhoisRecentTransfer => self.snapshot.whois_source(true),
                Feature::AsAbuseRecentDensity
                | Feature::AsAbusePeerPercentile
                | Feature::AsAbusePersistenceDays
                | Feature::AsAbuseCategories => self.snapshot.first_timed_source(m.timed_as),
                Feature::BlockAbuseRecentDensity | Feature::AbuseResetByTransfer => self
                    .snapshot
                    .first_timed_source(m.timed_block & !self.snapshot.pdns_mask()),
                Feature::IpAbuseRecency => self
                    .snapshot
                    .first_timed_source(m.timed_ip & !self.snapshot.pdns_mask()),
                Feature::PdnsIpDomains => self
                    .snapshot
                    .first_timed_source(m.timed_ip & self.snapshot.pdns_mask()),
                Feature::PdnsAbuseOverlap => self.snapshot.first_timed_source(m.timed_block),
                Feature::PdnsBlockDomains
                | Feature::PdnsNewDomainShare
                | Feature::PdnsShortLivedShare
                | Feature::PdnsFastFluxShare => self
                    .snapshot
                    .first_timed_source(m.timed_block & self.snapshot.pdns_mask()),
                Feature::BgpLog2Prefixes
                | Feature::BgpSmallPrefixShare
                | Feature::BgpChurn
                | Feature::BgpShortLived
                | Feature::BgpMoas => self.snapshot.series_source(false),
                Feature::BgpUpstreams | Feature::BgpRewiring | Feature::BgpLaxUpstreams => {
                    self.snapshot.series_source(true)
                }
                Feature::GuardProtected => self.snapshot.protect_source(),
                Feature::GeoAsCountries
                | Feature::GeoHosting
                | Feature::GeoAnonymiser
                | Feature::GeoCountryMismatch => self.snapshot.mmdb_source(),
                Feature::BgpLeased => self.snapshot.whois_source(false),
                _ => self.snapshot.whois_source(false),
            }
            .map_or((None, 0), |(s, n)| (Some(s), n));
            out.items[out.len] = Reason {
                feature: f,
                value: x.get(f),
                contribution: e.contributions[k],
                source,
                other_sources,
            };
            out.len += 1;
        }
    }
}

/// The features that make the reasons of a score, in the order they are
/// shown: the `MAX_REASONS` strongest by |contribution| (ties: schema
/// order) among those with a non-zero value and contribution, then sorted
/// by contribution, strongest first (stable). Insertion into two short
/// lists rather than a sort of the whole schema on every call.
#[inline(always)]
fn strongest(c: &[f64; FEATURE_COUNT], x: &[f64; FEATURE_COUNT]) -> ([usize; MAX_REASONS], usize) {
    let stronger = |a: usize, b: usize| c[a].abs().total_cmp(&c[b].abs()).then(b.cmp(&a)).is_gt();
    let mut top = [0usize; MAX_REASONS];
    let mut n = 0usize;
    for (i, (&ci, &xi)) in c.iter().zip(x).enumerate() {
        if ci == 0.0 || xi == 0.0 {
            continue;
        }
        if n == MAX_REASONS && !stronger(i, top[n - 1]) {
            continue;
        }
        let mut at = n.min(MAX_REASONS - 1);
        while at > 0 && stronger(i, top[at - 1]) {
            top[at] = top[at - 1];
            at -= 1;
        }
        top[at] = i;
        n = (n + 1).min(MAX_REASONS);
    }
    let mut order = [0usize; MAX_REASONS];
    for (k, &i) in top[..n].iter().enumerate() {
        let mut at = k;
        while at > 0 && c[order[at - 1]].total_cmp(&c[i]).is_lt() {
            order[at] = order[at - 1];
            at -= 1;
        }
        order[at] = i;
    }
    (order, n)
}

/// What scoring an address of one interval reads from the snapshot, before
/// the model is asked (see [`Detector::interval_facts`]).
pub(crate) struct IntervalFacts<'s> {
    /// Whether the snapshot knows anything of the interval.
    pub(crate) known: bool,
    pub(crate) x: FeatureVector,
    masks: SourceMasks,
    /// The route's first and last address.
    pub(crate) route: Option<(u128, u128)>,
    pub(crate) asv: Option<AsView<'s>>,
    pub(crate) country: Option<Country>,
    multi_origin: bool,
}

struct SourceMasks {
    as_sources: u64,
    route_sources: u64,
    cell_sources: u64,
    routing_source: Option<u16>,
    /// Timed sources (abuse feeds, passive DNS) behind the AS's, the
    /// block's and the address's time-aware evidence.
    timed_as: u64,
    timed_block: u64,
    timed_ip: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    /// The definition `strongest` implements: sort every feature by
    /// |contribution| (ties: schema order), keep the first `MAX_REASONS`
    /// with a non-zero value and contribution, sort those by contribution.
    fn strongest_by_sorting(c: &[f64; FEATURE_COUNT], x: &[f64; FEATURE_COUNT]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..FEATURE_COUNT).collect();
        order.sort_unstable_by(|&a, &b| c[b].abs().total_cmp(&c[a].abs()).then(a.cmp(&b)));
        let mut kept: Vec<usize> = order
            .into_iter()
            .filter(|&i| c[i] != 0.0 && x[i] != 0.0)
            .take(MAX_REASONS)
            .collect();
        kept.sort_by(|&a, &b| c[b].total_cmp(&c[a]));
        kept
    }

    #[test]
    fn strongest_matches_its_definition() {
        // Few distinct values, so that ties, signs and zeros are frequent.
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            2.5,
            -2.5,
            0.5,
            f64::INFINITY,
            f64::NAN,
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..100_000 {
            let mut c = [0.0; FEATURE_COUNT];
            let mut x = [0.0; FEATURE_COUNT];
            for i in 0..FEATURE_COUNT {
                c[i] = values[(next() % values.len() as u64) as usize];
                x[i] = values[(next() % 3) as usize];
            }
            let (order, n) = strongest(&c, &x);
            assert_eq!(
                order[..n],
                strongest_by_sorting(&c, &x)[..],
                "c={c:?} x={x:?}"
            );
        }
    }

    /// Scores taken through a memo are the scores made without one, for
    /// every range of a synthetic world (IPv4 and IPv6), whether the
    /// vector is met for the first time or again, and when the memo is
    /// full.
    #[test]
    fn memo_scores_are_the_scores_without_it() {
        let world = crate::train::synth::world(11, 120);
        let snapshot = world.snapshot().expect("synthetic world builds");
        let detector = Detector::new(snapshot, Model::default_model());
        for limit in [usize::MAX, 7] {
            let mut memo = EvalMemo::new(limit);
            for round in 0..2 {
                for v6 in [false, true] {
                    for i in 0..detector.snapshot.interval_count(v6) {
                        let (start, _, _) = detector.snapshot.interval(i, v6);
                        let ip = snapshot::to_network(start, if v6 { 128 } else { 32 }, v6).ip();
                        let plain = detector.score_in_interval(ip, i);
                        let kept = detector.score_in_interval_memo(ip, i, Some(&mut memo));
                        assert_eq!(plain, kept, "{ip} (round {round}, limit {limit})");
                    }
                }
            }
            assert!(memo.len() <= limit && memo.len() > 0);
        }
    }

    #[test]
    fn detector_is_send_and_sync() {
        assert_send_sync::<Detector<Vec<u8>>>();
        assert_send_sync::<Detector<memmap2::Mmap>>();
        assert_send_sync::<Snapshot<memmap2::Mmap>>();
    }
}
