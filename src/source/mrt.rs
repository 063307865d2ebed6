//! MRT RIB dumps (RFC 6396 `TABLE_DUMP_V2`, and the older `TABLE_DUMP`),
//! as RouteViews and RIPE RIS publish them, read with `bgpkit-parser`
//! (cargo feature `mrt`).
//!
//! A RIB dump holds one entry per prefix and peer. bphscore keeps, per
//! prefix, every origin AS any peer saw (more than one is a multiple-origin
//! conflict), and, per AS path, the AS just before the origin as one of the
//! origin's upstreams: a RIB dump gives the routes of a prefix2as snapshot
//! and the provider links of an AS-relationship file at once. The earliest
//! record's timestamp dates the dump.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::{IpRange, Limits, Record};
use crate::error::Error;
use crate::subject::Asn;

/// What one RIB dump gives.
pub(crate) struct Rib {
    /// One `Record::Route` per prefix.
    pub(crate) routes: Vec<Record>,
    /// (customer, provider): the AS before the origin on a path.
    pub(crate) links: Vec<(u32, u32)>,
    /// The earliest record's time (unix seconds).
    pub(crate) date: Option<i64>,
}

pub(crate) fn read(name: &str, reader: impl Read, limits: Limits) -> Result<Rib, Error> {
    let parser = bgpkit_parser::BgpkitParser::from_reader(reader);
    let mut origins: BTreeMap<(bool, u128, u8), BTreeSet<u32>> = BTreeMap::new();
    let mut links: BTreeSet<(u32, u32)> = BTreeSet::new();
    let mut date: Option<i64> = None;
    for (n, item) in parser.into_fallible_elem_iter().enumerate() {
        let n = n as u64 + 1;
        if n > limits.records() {
            return Err(Error::Limit {
                source_name: name.to_owned(),
                line: n,
                what: "number of records",
                limit: limits.records(),
            });
        }
        let elem = item.map_err(|e| Error::parse(name, n, format!("invalid MRT data: {e}")))?;
        if elem.elem_type != bgpkit_parser::models::ElemType::ANNOUNCE {
            continue;
        }
        let t = elem.timestamp as i64;
        if t > 0 {
            date = Some(date.map_or(t, |d| d.min(t)));
        }
        let net = elem.prefix.prefix;
        let key = match net.addr() {
            IpAddr::V4(a) => (false, u128::from(u32::from(a)), net.prefix_len()),
            IpAddr::V6(a) => (true, u128::from(a), net.prefix_len()),
        };
        let path = elem.as_path.as_ref().and_then(|p| p.to_u32_vec_opt(true));
        let mut seen: Vec<u32> = elem
            .origin_asns
            .as_ref()
            .map(|o| o.iter().map(|&a| u32::from(a)).collect())
            .unwrap_or_default();
        if seen.is_empty()
            && let Some(last) = path.as_ref().and_then(|p| p.last())
        {
            seen.push(*last);
        }
        if let Some(p) = &path
            && let [.., upstream, origin] = p[..]
            && upstream != origin
        {
            links.insert((origin, upstream));
        }
        origins.entry(key).or_default().extend(seen);
    }
    let mut routes = Vec::with_capacity(origins.len());
    for ((v6, start, len), set) in origins {
        let mut asns = set.into_iter();
        let Some(first) = asns.next() else { continue };
        let addr = if v6 {
            IpAddr::V6(start.into())
        } else {
            IpAddr::V4((start as u32).into())
        };
        let net = IpNetwork::new(addr, len)
            .map_err(|_| Error::parse(name, 0, format!("invalid prefix {addr}/{len}")))?;
        let other_origins: Vec<Asn> = asns.map(Asn::new).collect();
        routes.push(Record::Route {
            range: IpRange::from(net),
            origin: Asn::new(first),
            as_name: None,
            multi_origin: !other_origins.is_empty(),
            other_origins,
        });
    }
    Ok(Rib {
        routes,
        links: links.into_iter().collect(),
        date,
    })
}
