//! Entities: organisations, ASes and blocks that the registries' data ties
//! together across rebrands.
//!
//! When a snapshot is built, organisations are linked when they share a
//! normalised name, a maintainer, an abuse mailbox or a delegated-stats
//! opaque id (see [`LinkReason`]); the linked organisations form an
//! entity. An AS whose holder is in the same entity as the holder of a
//! listed AS (Spamhaus ASN-DROP, or most of its space on DROP) inherits
//! that evidence at a discount
//! ([`ENTITY_LINK_DISCOUNT`](crate::features::ENTITY_LINK_DISCOUNT)),
//! through the feature `entity_linked_listed`.
//!
//! ```
//! let world = bphscore::world::snapshot()?;
//! let e = bphscore::entity::lookup(&world, "AS64505")?.expect("registered");
//! assert!(e.ases.iter().any(|a| a.asn.get() == 64502));
//! assert!(e.listed);
//! assert!(bphscore::entity::lookup(&world, "AS64511")?.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::error::{Error, Result};
use crate::features::LinkReason;
use crate::features::compile::NO_BLOCK;
use crate::features::whois::ORG_LISTED;
use crate::snapshot::{self, Snapshot};
use crate::source::{BlockStatus, format_date};
use crate::subject::{Asn, Country, Subject};

/// An organisation of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntityOrg {
    /// Its handle (`ORG-…`, ARIN `OrgID`, or `AS…` for an AS registered without one).
    pub handle: String,
    /// Its name.
    pub name: Option<String>,
    /// Its country.
    pub country: Option<Country>,
    /// Blocks it holds.
    pub blocks: u32,
}

/// A registered AS of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntityAs {
    /// The AS.
    pub asn: Asn,
    /// Its `as-name`.
    pub name: Option<String>,
    /// Its holder's handle.
    pub org: String,
}

/// A registered block of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntityBlock {
    /// The addresses, as `first-last`.
    pub range: String,
    /// Its status.
    pub status: Option<BlockStatus>,
    /// Its holder's handle.
    pub org: String,
    /// Its registered country.
    pub country: Option<Country>,
    /// Its creation date (RFC 3339).
    pub created: Option<String>,
}

/// Why two organisations of the entity are linked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntityLink {
    /// One organisation's handle.
    pub a: String,
    /// The other's.
    pub b: String,
    /// The kind of evidence.
    pub reason: LinkReason,
    /// The shared value (normalised name, maintainer, mailbox, `registry:opaque-id`).
    pub key: String,
}

/// The entity an AS, an organisation or a block belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entity {
    /// Its organisations.
    pub orgs: Vec<EntityOrg>,
    /// Its registered ASes.
    pub ases: Vec<EntityAs>,
    /// Its registered blocks.
    pub blocks: Vec<EntityBlock>,
    /// The links that make it one entity.
    pub links: Vec<EntityLink>,
    /// It holds a listed AS.
    pub listed: bool,
}

/// Finds the entity of `query`: an AS (`AS64505`, `64505`), an
/// organisation handle (`ORG-NB1-TEST`), an address or a prefix (the most
/// specific registered block with a holder). `Ok(None)` when the snapshot
/// has no registration for it.
pub fn lookup<S: AsRef<[u8]>>(snap: &Snapshot<S>, query: &str) -> Result<Option<Entity>> {
    let q = query.trim();
    let org = match q.parse::<Subject>() {
        // A routed AS records its holder; others are looked up by number.
        Ok(Subject::Asn(asn)) => snap
            .find_as(asn)
            .map(|i| snap.as_at(i).whois_org)
            .filter(|&o| o != NO_BLOCK)
            .or_else(|| snap.whois_ases().find(|a| a.0 == asn.get()).map(|a| a.1)),
        Ok(Subject::Ip(ip)) => block_org(snap, ip, None),
        Ok(Subject::Prefix(net)) => block_org(snap, net.network(), Some(net)),
        Err(_) => {
            if q.is_empty() {
                return Err(Error::Build {
                    message: "empty entity query".to_owned(),
                });
            }
            (0..snap.counts().whois_orgs as u32)
                .find(|&i| snap.whois_org(i).handle.eq_ignore_ascii_case(q))
        }
    };
    Ok(org.map(|o| collect(snap, snap.whois_org(o).entity)))
}

/// The holder of the most specific block covering `ip` (and all of `net`).
fn block_org<S: AsRef<[u8]>>(
    snap: &Snapshot<S>,
    ip: std::net::IpAddr,
    net: Option<ipnetwork::IpNetwork>,
) -> Option<u32> {
    let (a, v6) = snapshot::ip_to_u128(ip);
    let cell = snap.interval_cell(snap.locate(a, v6), v6);
    let mut b = cell.block;
    let end = net.map_or(a, |n| snapshot::ip_to_u128(n.broadcast_or_last()).0);
    while b != NO_BLOCK {
        let block = snap.whois_block(b);
        if block.org != NO_BLOCK && block.end >= end {
            return Some(block.org);
        }
        b = block.parent;
    }
    None
}

trait Last {
    fn broadcast_or_last(&self) -> std::net::IpAddr;
}

impl Last for ipnetwork::IpNetwork {
    fn broadcast_or_last(&self) -> std::net::IpAddr {
        match self {
            ipnetwork::IpNetwork::V4(n) => n.broadcast().into(),
            ipnetwork::IpNetwork::V6(n) => {
                let host = 128 - u32::from(n.prefix());
                let mask = if host == 128 {
                    u128::MAX
                } else {
                    (1u128 << host) - 1
                };
                std::net::IpAddr::V6((u128::from(n.network()) | mask).into())
            }
        }
    }
}

fn collect<S: AsRef<[u8]>>(snap: &Snapshot<S>, entity: u32) -> Entity {
    let n = snap.counts().whois_orgs as u32;
    let members: Vec<u32> = (0..n)
        .filter(|&i| snap.whois_org(i).entity == entity)
        .collect();
    let handle = |i: u32| snap.whois_org(i).handle.to_owned();
    let is_member = |i: u32| members.binary_search(&i).is_ok();
    let orgs = members
        .iter()
        .map(|&i| {
            let o = snap.whois_org(i);
            EntityOrg {
                handle: o.handle.to_owned(),
                name: o.name.map(str::to_owned),
                country: Country::from_bytes(o.country),
                blocks: o.blocks,
            }
        })
        .collect();
    let listed = members
        .iter()
        .any(|&i| snap.whois_org(i).flags & ORG_LISTED != 0);
    let ases = snap
        .whois_ases()
        .filter(|a| is_member(a.1))
        .map(|(asn, org, name)| EntityAs {
            asn: Asn::new(asn),
            name: name.map(str::to_owned),
            org: handle(org),
        })
        .collect();
    let blocks = (0..snap.counts().whois_blocks as u32)
        .map(|i| snap.whois_block(i))
        .filter(|b| b.org != NO_BLOCK && is_member(b.org))
        .map(|b| {
            let v6 = b.is_v6();
            let (s, e) = (
                snapshot::to_network(b.start, if v6 { 128 } else { 32 }, v6).ip(),
                snapshot::to_network(b.end, if v6 { 128 } else { 32 }, v6).ip(),
            );
            EntityBlock {
                range: format!("{s}-{e}"),
                status: BlockStatus::from_code(b.status),
                org: handle(b.org),
                country: Country::from_bytes(b.country),
                created: (b.created != crate::features::whois::NO_DATE)
                    .then(|| format_date(b.created)),
            }
        })
        .collect();
    let links = snap
        .whois_links()
        .filter(|l| is_member(l.0))
        .filter_map(|(a, b, r, key)| {
            Some(EntityLink {
                a: handle(a),
                b: handle(b),
                reason: LinkReason::from_code(r)?,
                key: key.to_owned(),
            })
        })
        .collect();
    Entity {
        orgs,
        ases,
        blocks,
        links,
        listed,
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "entity of {} organisation(s){}",
            self.orgs.len(),
            if self.listed {
                ", holding a listed AS"
            } else {
                ""
            }
        )?;
        for o in &self.orgs {
            writeln!(
                f,
                "  org    {:<16} {:<36} {:<2} {} block(s)",
                o.handle,
                o.name.as_deref().unwrap_or("-"),
                o.country.as_ref().map_or("-", Country::as_str),
                o.blocks
            )?;
        }
        for a in &self.ases {
            writeln!(
                f,
                "  as     {:<16} {:<36} held by {}",
                a.asn.to_string(),
                a.name.as_deref().unwrap_or("-"),
                a.org
            )?;
        }
        for b in &self.blocks {
            writeln!(
                f,
                "  block  {:<33} {:<18} {:<2} created {} held by {}",
                b.range,
                b.status.map_or("-".to_owned(), |s| s.to_string()),
                b.country.as_ref().map_or("-", Country::as_str),
                b.created.as_deref().unwrap_or("unknown"),
                b.org
            )?;
        }
        for l in &self.links {
            writeln!(f, "  link   {} ~ {}: {} ({})", l.a, l.b, l.reason, l.key)?;
        }
        Ok(())
    }
}
