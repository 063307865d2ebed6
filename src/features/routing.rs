//! Routing dynamics: what a dated series of CAIDA prefix2as snapshots and
//! AS-relationship files says about each AS's behaviour (ASwatch, Konte,
//! Perdisci and Feamster, SIGCOMM 2015): how many upstreams it had and how
//! often they changed, whether its upstreams also serve other bad ASes, how
//! fragmented its announced space is, how much of it churns, how long its
//! announcements live, and whether its prefixes are also originated by
//! others. Definitions are in the table of the [`crate::features`] docs.

use super::compile::RouteIn;
use super::fasthash::FastMap;

/// An announcement run shorter than this (from the first snapshot showing
/// it to the first one without it) is short-lived.
pub const BGP_SHORT_LIVED_DAYS: i64 = 45;

/// Announcement flag: the origin is the first one on its line (the route
/// the snapshot routes by).
const ANN_FIRST: u8 = 1;
/// Announcement flag: the prefix has more than one origin (or an AS set).
const ANN_MULTI: u8 = 2;

/// (AS, prefix, multi-origin) held on one date.
type Held = (u32, u32, bool);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Ann {
    asn: u32,
    prefix: u32,
    flags: u8,
}

#[derive(Debug)]
struct DatedRoutes {
    date: i64,
    source: u16,
    /// Already part of the current routing (added as a routing source).
    current: bool,
    anns: Vec<Ann>,
}

#[derive(Debug)]
struct DatedLinks {
    date: i64,
    /// (customer, provider)
    links: Vec<(u32, u32)>,
}

/// The dated series, as staged by the builder.
#[derive(Debug, Default)]
pub(crate) struct Series {
    /// (start, length, IPv6) of each distinct prefix.
    prefixes: Vec<(u128, u8, bool)>,
    index: FastMap<(u128, u8, bool), u32>,
    routes: Vec<DatedRoutes>,
    links: Vec<DatedLinks>,
}

/// The routing behaviour of one AS over the series (stored in the
/// `AS_ROUTING` section, one record per AS).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct AsRouting {
    /// Prefixes originated in the latest prefix2as snapshot.
    pub(crate) prefixes: u32,
    /// Of those, IPv4 /24 or longer and IPv6 /48 or longer.
    pub(crate) small_prefixes: u32,
    /// Distinct providers over the window.
    pub(crate) upstreams: u32,
    /// Of those, lax ones.
    pub(crate) lax_upstreams: u32,
    /// Providers gained or lost between consecutive snapshots.
    pub(crate) rewiring: u32,
    /// Mean share of the AS's prefixes added or withdrawn between snapshots.
    pub(crate) churn: f32,
    /// Share of its announcement runs that ended within `BGP_SHORT_LIVED_DAYS`.
    pub(crate) short_lived: f32,
    /// Share of its prefixes over the window that had several origins.
    pub(crate) moas: f32,
}

fn prefix_len(start: u128, end: u128, v6: bool) -> u8 {
    let bits: u32 = if v6 { 128 } else { 32 };
    (bits - (end - start).count_ones()) as u8
}

impl Series {
    /// Whether the series holds no snapshot at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.links.is_empty()
    }

    /// Adds the routes of one prefix2as file of `date`.
    pub(crate) fn add_routes(&mut self, date: i64, source: u16, current: bool, routes: &[RouteIn]) {
        let mut anns = Vec::with_capacity(routes.len());
        for r in routes {
            let key = (r.start, prefix_len(r.start, r.end, r.v6), r.v6);
            let next = self.prefixes.len() as u32;
            let prefix = *self.index.entry(key).or_insert(next);
            if prefix == next {
                self.prefixes.push(key);
            }
            let multi = if r.multi_origin { ANN_MULTI } else { 0 };
            anns.push(Ann {
                asn: r.asn,
                prefix,
                flags: ANN_FIRST | multi,
            });
            for &o in &r.other_origins {
                anns.push(Ann {
                    asn: o,
                    prefix,
                    flags: multi,
                });
            }
        }
        self.routes.push(DatedRoutes {
            date,
            source,
            current,
            anns,
        });
    }

    /// Adds the provider-to-customer links of one AS-relationship file of `date`.
    pub(crate) fn add_links(&mut self, date: i64, links: Vec<(u32, u32)>) {
        self.links.push(DatedLinks { date, links });
    }

    /// The latest prefix2as date, and the routes of that date not yet part
    /// of the current routing: the latest snapshot is the current state.
    pub(crate) fn latest_routes(&self) -> Vec<RouteIn> {
        let Some(latest) = self.routes.iter().map(|r| r.date).max() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for d in self
            .routes
            .iter()
            .filter(|r| r.date == latest && !r.current)
        {
            let mut i = 0;
            while i < d.anns.len() {
                let a = d.anns[i];
                let mut others = Vec::new();
                let mut j = i + 1;
                while j < d.anns.len() && d.anns[j].flags & ANN_FIRST == 0 {
                    others.push(d.anns[j].asn);
                    j += 1;
                }
                let (start, len, v6) = self.prefixes[a.prefix as usize];
                let bits: u32 = if v6 { 128 } else { 32 };
                let host = bits - u32::from(len);
                let end = if host >= 128 {
                    u128::MAX
                } else {
                    start | ((1u128 << host) - 1)
                };
                out.push(RouteIn {
                    v6,
                    start,
                    end,
                    asn: a.asn,
                    name: None,
                    multi_origin: a.flags & ANN_MULTI != 0,
                    other_origins: others,
                    source: d.source,
                });
                i = j;
            }
        }
        out
    }

    /// The behaviour of each AS of `asns` (sorted), with `bad(asn)` telling
    /// which ASes are listed (their upstreams are lax).
    pub(crate) fn dynamics(&self, asns: &[u32], bad: impl Fn(u32) -> bool) -> Vec<AsRouting> {
        let mut out = vec![AsRouting::default(); asns.len()];
        let at = |asn: u32| asns.binary_search(&asn).ok();
        self.route_dynamics(&mut out, &at);
        self.link_dynamics(&mut out, &at, &bad);
        out
    }

    /// Each date's announcements, sorted by (AS, prefix), one per pair
    /// (the multi-origin flag kept when any line had it).
    fn snapshots_by_date(&self) -> Vec<(i64, Vec<Held>)> {
        let mut order: Vec<usize> = (0..self.routes.len()).collect();
        order.sort_by_key(|&i| self.routes[i].date);
        let mut out: Vec<(i64, Vec<Held>)> = Vec::new();
        for i in order {
            let d = &self.routes[i];
            if out.last().is_none_or(|l| l.0 != d.date) {
                out.push((d.date, Vec::new()));
            }
            if let Some(last) = out.last_mut() {
                last.1.extend(
                    d.anns
                        .iter()
                        .map(|a| (a.asn, a.prefix, a.flags & ANN_MULTI != 0)),
                );
            }
        }
        for (_, anns) in &mut out {
            anns.sort_unstable();
            // (asn, prefix, false) sorts before (asn, prefix, true): keep the last.
            let mut kept: Vec<(u32, u32, bool)> = Vec::with_capacity(anns.len());
            for &a in anns.iter() {
                match kept.last_mut() {
                    Some(k) if k.0 == a.0 && k.1 == a.1 => k.2 |= a.2,
                    _ => kept.push(a),
                }
            }
            *anns = kept;
        }
        out
    }

    fn route_dynamics(&self, out: &mut [AsRouting], at: &impl Fn(u32) -> Option<usize>) {
        let snaps = self.snapshots_by_date();
        let Some((_, latest)) = snaps.last() else {
            return;
        };
        for &(asn, prefix, _) in latest {
            if let Some(i) = at(asn) {
                out[i].prefixes += 1;
                let (_, len, v6) = self.prefixes[prefix as usize];
                if len >= if v6 { 48 } else { 24 } {
                    out[i].small_prefixes += 1;
                }
            }
        }
        let n = out.len();
        // Churn: per transition, (added + withdrawn) / union of the AS's prefixes.
        let mut churn_sum = vec![0f64; n];
        let mut transitions = vec![0u32; n];
        // Runs: (asn, prefix) → first date of the run under way.
        let mut runs = vec![0u32; n];
        let mut short = vec![0u32; n];
        let mut active: FastMap<(u32, u32), i64> = FastMap::default();
        let mut prev: &[(u32, u32, bool)] = &[];
        for (date, anns) in &snaps {
            let (mut i, mut j) = (0, 0);
            // Per-AS counts of this transition: (added, withdrawn, kept).
            let mut counts: FastMap<usize, (u32, u32, u32)> = FastMap::default();
            while i < prev.len() || j < anns.len() {
                let a = prev.get(i).map(|p| (p.0, p.1));
                let b = anns.get(j).map(|p| (p.0, p.1));
                let (asn, added, withdrawn) = match (a, b) {
                    (Some(x), Some(y)) if x == y => {
                        i += 1;
                        j += 1;
                        (x.0, false, false)
                    }
                    (Some(x), Some(y)) if x < y => {
                        i += 1;
                        (x.0, false, true)
                    }
                    (Some(x), None) => {
                        i += 1;
                        (x.0, false, true)
                    }
                    (_, Some(y)) => {
                        j += 1;
                        (y.0, true, false)
                    }
                    (None, None) => break,
                };
                let key = if added { anns[j - 1] } else { prev[i - 1] };
                if added {
                    active.insert((key.0, key.1), *date);
                }
                if withdrawn
                    && let Some(start) = active.remove(&(key.0, key.1))
                    && let Some(k) = at(asn)
                    && date - start < BGP_SHORT_LIVED_DAYS * 86_400
                {
                    short[k] += 1;
                }
                let Some(k) = at(asn) else { continue };
                if added {
                    runs[k] += 1;
                }
                if !prev.is_empty() {
                    let c = counts.entry(k).or_default();
                    c.0 += u32::from(added);
                    c.1 += u32::from(withdrawn);
                    c.2 += u32::from(!added && !withdrawn);
                }
            }
            // Only ASes on both sides: appearing or vanishing is not churn.
            for (k, (added, withdrawn, kept)) in counts {
                if added + kept > 0 && withdrawn + kept > 0 {
                    churn_sum[k] +=
                        f64::from(added + withdrawn) / f64::from(added + withdrawn + kept);
                    transitions[k] += 1;
                }
            }
            prev = anns;
        }
        // Multiple origins: share of the AS's prefixes over the window that
        // had several origins in any snapshot.
        let mut all: Vec<(u32, u32, bool)> =
            snaps.iter().flat_map(|s| s.1.iter().copied()).collect();
        all.sort_unstable();
        let mut seen = vec![0u32; n];
        let mut multi = vec![0u32; n];
        let mut i = 0;
        while i < all.len() {
            let (asn, prefix, _) = all[i];
            let mut m = false;
            while i < all.len() && all[i].0 == asn && all[i].1 == prefix {
                m |= all[i].2;
                i += 1;
            }
            if let Some(k) = at(asn) {
                seen[k] += 1;
                multi[k] += u32::from(m);
            }
        }
        for k in 0..n {
            if transitions[k] > 0 {
                out[k].churn = (churn_sum[k] / f64::from(transitions[k])) as f32;
            }
            if runs[k] > 0 {
                out[k].short_lived = short[k] as f32 / runs[k] as f32;
            }
            if seen[k] > 0 {
                out[k].moas = multi[k] as f32 / seen[k] as f32;
            }
        }
    }

    fn link_dynamics(
        &self,
        out: &mut [AsRouting],
        at: &impl Fn(u32) -> Option<usize>,
        bad: &impl Fn(u32) -> bool,
    ) {
        let mut order: Vec<usize> = (0..self.links.len()).collect();
        order.sort_by_key(|&i| self.links[i].date);
        let mut snaps: Vec<(i64, Vec<(u32, u32)>)> = Vec::new();
        for i in order {
            let d = &self.links[i];
            if snaps.last().is_none_or(|l| l.0 != d.date) {
                snaps.push((d.date, Vec::new()));
            }
            if let Some(last) = snaps.last_mut() {
                last.1.extend_from_slice(&d.links);
            }
        }
        for (_, l) in &mut snaps {
            l.sort_unstable();
            l.dedup();
        }
        // Rewiring: providers gained or lost between consecutive snapshots,
        // for ASes with providers in both.
        for w in snaps.windows(2) {
            let (a, b) = (&w[0].1, &w[1].1);
            let mut changes: FastMap<u32, u32> = FastMap::default();
            let (mut i, mut j) = (0, 0);
            while i < a.len() || j < b.len() {
                match (a.get(i), b.get(j)) {
                    (Some(x), Some(y)) if x == y => {
                        i += 1;
                        j += 1;
                        changes.entry(x.0).or_default();
                    }
                    (Some(x), Some(y)) if x < y => {
                        i += 1;
                        *changes.entry(x.0).or_default() += 1;
                    }
                    (Some(x), None) => {
                        i += 1;
                        *changes.entry(x.0).or_default() += 1;
                    }
                    (_, Some(y)) => {
                        j += 1;
                        *changes.entry(y.0).or_default() += 1;
                    }
                    (None, None) => break,
                }
            }
            let has = |l: &[(u32, u32)], c: u32| {
                let s = l.partition_point(|x| x.0 < c);
                l.get(s).is_some_and(|x| x.0 == c)
            };
            for (c, n) in changes {
                if n > 0
                    && has(a, c)
                    && has(b, c)
                    && let Some(k) = at(c)
                {
                    out[k].rewiring = out[k].rewiring.saturating_add(n);
                }
            }
        }
        // Upstreams over the window, and how many bad customers each serves.
        let mut all: Vec<(u32, u32)> = snaps.iter().flat_map(|s| s.1.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        let mut bad_customers: FastMap<u32, u32> = FastMap::default();
        for &(c, p) in &all {
            if bad(c) {
                *bad_customers.entry(p).or_default() += 1;
            }
        }
        for &(c, p) in &all {
            let Some(k) = at(c) else { continue };
            out[k].upstreams += 1;
            // Lax: listed itself, or serving another listed AS.
            let others = bad_customers.get(&p).copied().unwrap_or(0) - u32::from(bad(c));
            if bad(p) || others > 0 {
                out[k].lax_upstreams += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn r(start: u128, len: u8, asn: u32) -> RouteIn {
        let end = start | ((1u128 << (32 - u32::from(len))) - 1);
        RouteIn {
            v6: false,
            start,
            end,
            asn,
            name: None,
            multi_origin: false,
            other_origins: Vec::new(),
            source: 0,
        }
    }

    #[test]
    fn churn_short_lives_and_fragmentation() {
        let mut s = Series::default();
        let a = 0xc612_0000u128; // 198.18.0.0
        s.add_routes(0, 0, false, &[r(a, 20, 1), r(a + 0x1000, 24, 2)]);
        s.add_routes(30 * DAY, 1, false, &[r(a, 20, 1), r(a + 0x1000, 24, 1)]);
        s.add_routes(60 * DAY, 2, false, &[r(a, 20, 1), r(a + 0x1100, 24, 1)]);
        let d = s.dynamics(&[1, 2], |_| false);
        assert_eq!(d[0].prefixes, 2);
        assert_eq!(d[0].small_prefixes, 1);
        // AS1: {p0} → {p0, p1}: 1/2; {p0, p1} → {p0, p2}: 2/3.
        assert!((d[0].churn - (0.5 + 2.0 / 3.0) / 2.0).abs() < 1e-6, "{d:?}");
        // AS1 runs: p0 (ongoing), p1 (30 days: short), p2 (ongoing).
        assert!((d[0].short_lived - 1.0 / 3.0).abs() < 1e-6);
        // AS2: p1 announced once, withdrawn after 30 days; vanishing is
        // not churn.
        assert_eq!(d[1].prefixes, 0);
        assert!((d[1].short_lived - 1.0).abs() < 1e-6);
        assert_eq!(d[1].churn, 0.0);
        // The latest routes become the current routing.
        let latest = s.latest_routes();
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[1].start, a + 0x1100);
    }

    #[test]
    fn rewiring_upstreams_and_lax_ones() {
        let mut s = Series::default();
        // AS10 moves from AS1 to AS2 to AS3; AS2 also serves the bad AS20.
        s.add_links(0, vec![(10, 1), (11, 1)]);
        s.add_links(30 * DAY, vec![(10, 2), (20, 2), (11, 1)]);
        s.add_links(60 * DAY, vec![(10, 3), (20, 2), (11, 1)]);
        let d = s.dynamics(&[10, 11, 20], |a| a == 20);
        assert_eq!(d[0].upstreams, 3);
        assert_eq!(d[0].rewiring, 4);
        assert_eq!(d[0].lax_upstreams, 1);
        assert_eq!(d[1].rewiring, 0);
        assert_eq!(d[1].lax_upstreams, 0);
        // AS20 has one upstream, whose only bad customer is AS20 itself.
        assert_eq!(d[2].upstreams, 1);
        assert_eq!(d[2].lax_upstreams, 0);
    }

    #[test]
    fn moas_counts_every_origin() {
        let mut s = Series::default();
        let mut m = r(0xc633_6400, 24, 1);
        m.multi_origin = true;
        m.other_origins = vec![2];
        s.add_routes(0, 0, false, &[m, r(0xcb00_7100, 24, 1)]);
        let d = s.dynamics(&[1, 2], |_| false);
        assert!((d[0].moas - 0.5).abs() < 1e-6);
        assert!((d[1].moas - 1.0).abs() < 1e-6);
    }
}
