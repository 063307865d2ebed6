//! Compiles registry records into the registration hierarchy and the
//! entity graph a snapshot stores.
//!
//! - **Hierarchy.** Blocks are sorted by start (then widest first) and
//!   nested with one stack sweep: a block's parent is the narrowest block
//!   that contains it, whatever the registry wrote (ARIN's `Parent:` and
//!   RPSL's implicit nesting agree on consistent data; on inconsistent
//!   data containment is what the address space says). Partial overlaps
//!   are not nesting: the overlapped block is left off the stack.
//! - **Signals per block** (flags): delegated by a provider to a customer
//!   (`SUB-ALLOCATED PA`, `ASSIGNED PA`, `Reallocated`, `Reassigned`) held
//!   by another entity than the nearest ancestor that names a holder; no
//!   abuse contact on the block or its holder; registered country differs
//!   from the top allocation's; transferred (delegated statistics dated
//!   after the block's creation); abuse mailbox shared with a listed
//!   entity (set once the AS table is known).
//! - **Entities.** Organisations are linked (union-find) when they share a
//!   normalised name, a maintainer, an abuse mailbox or a delegated-stats
//!   opaque id. Registry maintainers (`RIPE-NCC-*`, `*-HM-MNT`, …) and any
//!   key shared by more than [`MAX_LINK_FANOUT`] organisations are not
//!   links: they are a registry's or a large provider's, not one holder's.

use std::collections::HashMap;
use std::sync::Arc;

use super::fasthash::FastMap;
use crate::source::{BlockStatus, Record};

/// No block / org / string.
pub(crate) const NONE: u32 = u32::MAX;
/// An unknown date.
pub(crate) const NO_DATE: i64 = i64::MIN;

/// Keys shared by more organisations than this are not links.
pub const MAX_LINK_FANOUT: usize = 16;

/// Block flag: delegated by a provider to a customer.
pub(crate) const BLOCK_CUSTOMER: u16 = 1;
/// Block flag: the customer is another entity than its provider.
pub(crate) const BLOCK_OTHER_ORG: u16 = 2;
/// Block flag: no abuse contact on the block or its holder.
pub(crate) const BLOCK_NO_ABUSE: u16 = 4;
/// Block flag: country differs from the top allocation's.
pub(crate) const BLOCK_COUNTRY_MISMATCH: u16 = 8;
/// Block flag: delegated statistics date it after its creation.
pub(crate) const BLOCK_TRANSFERRED: u16 = 16;
/// Block flag: its abuse mailbox is also a listed entity's.
pub(crate) const BLOCK_ABUSE_SHARED_LISTED: u16 = 32;
/// Block flag: IPv6.
pub(crate) const BLOCK_V6: u16 = 64;
pub(crate) const BLOCK_FLAGS: u16 = 127;

/// Org flag: the entity holds an AS that is listed (ASN-DROP, or most of
/// its space on DROP).
pub(crate) const ORG_LISTED: u16 = 1;

/// Why two organisations are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LinkReason {
    /// The same organisation name once normalised (case, punctuation and
    /// legal-form words removed).
    Name,
    /// The same maintainer (`mnt-by`/`mnt-ref`) on their objects.
    Maintainer,
    /// The same abuse mailbox.
    AbuseMailbox,
    /// The same opaque holder id in a registry's delegated statistics.
    OpaqueId,
}

impl LinkReason {
    pub(crate) fn code(self) -> u8 {
        match self {
            LinkReason::Name => 1,
            LinkReason::Maintainer => 2,
            LinkReason::AbuseMailbox => 3,
            LinkReason::OpaqueId => 4,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            1 => LinkReason::Name,
            2 => LinkReason::Maintainer,
            3 => LinkReason::AbuseMailbox,
            4 => LinkReason::OpaqueId,
            _ => return None,
        })
    }

    /// How the reason is written.
    pub fn name(self) -> &'static str {
        match self {
            LinkReason::Name => "same name",
            LinkReason::Maintainer => "same maintainer",
            LinkReason::AbuseMailbox => "same abuse mailbox",
            LinkReason::OpaqueId => "same opaque id",
        }
    }
}

impl std::fmt::Display for LinkReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Interned strings: each distinct handle, name or key is stored once.
#[derive(Debug, Default)]
pub(crate) struct Strings {
    map: HashMap<Arc<str>, u32>,
    pub(crate) list: Vec<Arc<str>>,
}

impl Strings {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.map.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        let a: Arc<str> = Arc::from(s);
        self.list.push(Arc::clone(&a));
        self.map.insert(a, i);
        i
    }

    pub(crate) fn at(&self, i: u32) -> &str {
        self.list.get(i as usize).map_or("", |s| s)
    }
}

/// A registration block: staged by `stage`, then compiled in place (the
/// dumps hold millions, so there is one table, not a staged copy and a
/// compiled copy). 64 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block {
    pub(crate) start: u128,
    pub(crate) end: u128,
    /// Index of the parent block once compiled.
    pub(crate) parent: u32,
    /// Staged: the holder's handle (string); compiled: its org index.
    pub(crate) org: u32,
    /// Unix seconds, 0 when unknown (registries start in the 1980s).
    created: u32,
    modified: u32,
    /// Staged: abuse mailbox or contact handle; compiled: the resolved key.
    pub(crate) abuse: u32,
    /// The holder's own maintainer (string), registry maintainers left out.
    mnt: u32,
    pub(crate) country: [u8; 2],
    pub(crate) status: u8,
    pub(crate) depth: u8,
    pub(crate) flags: u16,
    pub(crate) source: u16,
    /// When the registry's delegated statistics date a transfer of the
    /// block (unix seconds; 0: none). Kept in memory only.
    pub(crate) transferred_at: u32,
}

fn to_u32_date(t: Option<i64>) -> u32 {
    t.and_then(|t| u32::try_from(t).ok()).unwrap_or(0)
}

impl Block {
    pub(crate) fn created(&self) -> i64 {
        if self.created == 0 {
            NO_DATE
        } else {
            i64::from(self.created)
        }
    }

    pub(crate) fn modified(&self) -> i64 {
        if self.modified == 0 {
            NO_DATE
        } else {
            i64::from(self.modified)
        }
    }

    fn v6(&self) -> bool {
        self.flags & BLOCK_V6 != 0
    }
}

#[derive(Debug, Clone)]
struct OrgIn {
    name: u32,
    country: [u8; 2],
    maintainers: Vec<u32>,
    abuse: u32,
}

#[derive(Debug, Clone)]
struct AutNumIn {
    asn: u32,
    name: u32,
    org: u32,
    maintainers: Vec<u32>,
    abuse: u32,
}

#[derive(Debug, Clone)]
struct DelegationIn {
    v6: bool,
    start: u128,
    end: u128,
    asns: Option<(u32, u32)>,
    date: i64,
    country: [u8; 2],
    key: u32,
    source: u16,
    status: u8,
}

/// Registry records as staged from the sources.
#[derive(Debug, Default)]
pub(crate) struct WhoisInputs {
    pub(crate) strings: Strings,
    blocks: Vec<Block>,
    orgs: FastMap<u32, OrgIn>,
    autnums: Vec<AutNumIn>,
    contacts: FastMap<u32, u32>,
    delegations: Vec<DelegationIn>,
}

fn u128_of(ip: std::net::IpAddr) -> (u128, bool) {
    match ip {
        std::net::IpAddr::V4(a) => (u128::from(u32::from(a)), false),
        std::net::IpAddr::V6(a) => (u128::from(a), true),
    }
}

fn cc(c: Option<crate::Country>) -> [u8; 2] {
    c.map_or([0, 0], |c| c.to_bytes())
}

impl WhoisInputs {
    pub(crate) fn is_empty(&self) -> bool {
        self.blocks.is_empty()
            && self.orgs.is_empty()
            && self.autnums.is_empty()
            && self.delegations.is_empty()
    }

    fn opt(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NONE, |s| self.strings.intern(s))
    }

    fn abuse(&mut self, mailbox: Option<&str>, handle: Option<&str>) -> u32 {
        match (mailbox, handle) {
            (Some(m), _) => self.strings.intern(m),
            (None, Some(h)) => self.strings.intern(&h.to_ascii_uppercase()),
            _ => NONE,
        }
    }

    /// Gives every staged block and delegation the source number `source`
    /// (sources are staged apart, then numbered as they are added).
    pub(crate) fn set_source(&mut self, source: u16) {
        self.blocks.iter_mut().for_each(|b| b.source = source);
        self.delegations.iter_mut().for_each(|d| d.source = source);
    }

    /// Moves the registry records of another staging area into this one.
    pub(crate) fn append(&mut self, other: WhoisInputs) {
        if self.is_empty() && self.contacts.is_empty() && self.strings.list.is_empty() {
            *self = other;
            return;
        }
        let remap: Vec<u32> = other
            .strings
            .list
            .iter()
            .map(|s| self.strings.intern(s))
            .collect();
        let m = |i: u32| if i == NONE { NONE } else { remap[i as usize] };
        for mut b in other.blocks {
            b.org = m(b.org);
            b.mnt = m(b.mnt);
            b.abuse = m(b.abuse);
            self.blocks.push(b);
        }
        for (h, mut o) in other.orgs {
            o.name = m(o.name);
            o.abuse = m(o.abuse);
            o.maintainers.iter_mut().for_each(|x| *x = m(*x));
            self.orgs.insert(m(h), o);
        }
        for mut a in other.autnums {
            a.name = m(a.name);
            a.org = m(a.org);
            a.abuse = m(a.abuse);
            a.maintainers.iter_mut().for_each(|x| *x = m(*x));
            self.autnums.push(a);
        }
        for (h, mb) in other.contacts {
            self.contacts.insert(m(h), m(mb));
        }
        for mut d in other.delegations {
            d.key = m(d.key);
            self.delegations.push(d);
        }
    }

    /// Stages one registry record; other records are ignored.
    pub(crate) fn stage(&mut self, record: Record, source: u16) {
        match record {
            Record::Registration(r) => {
                let Some(range) = r.range else { return };
                let (start, v6) = u128_of(range.first());
                let (end, _) = u128_of(range.last());
                let org = self.opt(r.org.as_deref());
                // The holder's own maintainer: the first that is not the registry's.
                let mnt = self.opt(
                    r.maintainers
                        .iter()
                        .map(String::as_str)
                        .find(|m| !registry_maintainer(m)),
                );
                let abuse = self.abuse(r.abuse_mailbox.as_deref(), r.abuse_c.as_deref());
                self.blocks.push(Block {
                    start,
                    end,
                    parent: NONE,
                    org,
                    created: to_u32_date(r.created),
                    modified: to_u32_date(r.modified),
                    abuse,
                    mnt,
                    country: cc(r.country),
                    status: r.status.unwrap_or(BlockStatus::Other).code(),
                    depth: 0,
                    flags: if v6 { BLOCK_V6 } else { 0 },
                    source,
                    transferred_at: 0,
                });
            }
            Record::Organisation(o) => {
                let h = self.strings.intern(&o.handle);
                let name = self.opt(o.name.as_deref());
                let maintainers = o
                    .maintainers
                    .iter()
                    .map(|m| self.strings.intern(m))
                    .collect();
                let abuse = self.abuse(o.abuse_mailbox.as_deref(), o.abuse_c.as_deref());
                self.orgs.insert(
                    h,
                    OrgIn {
                        name,
                        country: cc(o.country),
                        maintainers,
                        abuse,
                    },
                );
            }
            Record::AutNum(a) => {
                let name = self.opt(a.name.as_deref());
                let org = self.opt(a.org.as_deref());
                let maintainers = a
                    .maintainers
                    .iter()
                    .map(|m| self.strings.intern(m))
                    .collect();
                let abuse = self.abuse(None, a.abuse_c.as_deref());
                self.autnums.push(AutNumIn {
                    asn: a.asn.get(),
                    name,
                    org,
                    maintainers,
                    abuse,
                });
            }
            Record::Contact {
                handle,
                abuse_mailbox,
            } => {
                let h = self.strings.intern(&handle.to_ascii_uppercase());
                let m = self.strings.intern(&abuse_mailbox);
                self.contacts.insert(h, m);
            }
            Record::Delegation(d) => {
                let key = match &d.opaque_id {
                    Some(id) => self.strings.intern(&format!("{}:{id}", d.registry)),
                    None => NONE,
                };
                let (v6, start, end) = match d.range {
                    Some(r) => {
                        let (s, v6) = u128_of(r.first());
                        (v6, s, u128_of(r.last()).0)
                    }
                    None => (false, 0, 0),
                };
                self.delegations.push(DelegationIn {
                    v6,
                    start,
                    end,
                    asns: d.asns.map(|(a, n)| (a.get(), n)),
                    date: d.date.unwrap_or(NO_DATE),
                    country: cc(d.country),
                    key,
                    source,
                    status: if d.status == "assigned" {
                        BlockStatus::DirectAssignment.code()
                    } else {
                        BlockStatus::Allocation.code()
                    },
                });
            }
            _ => {}
        }
    }
}

/// A compiled organisation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Org {
    pub(crate) handle: u32,
    pub(crate) name: u32,
    pub(crate) entity: u32,
    pub(crate) blocks: u32,
    pub(crate) providers: u32,
    pub(crate) country: [u8; 2],
    pub(crate) flags: u16,
}

/// A registered AS.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WhoisAs {
    pub(crate) asn: u32,
    pub(crate) org: u32,
    pub(crate) name: u32,
}

/// A link between two organisations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) reason: LinkReason,
    pub(crate) key: u32,
}

/// The compiled registry tables.
#[derive(Debug, Default)]
pub(crate) struct WhoisTables {
    pub(crate) blocks: Vec<Block>,
    pub(crate) orgs: Vec<Org>,
    pub(crate) ases: Vec<WhoisAs>,
    pub(crate) links: Vec<Link>,
    pub(crate) strings: Strings,
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = p;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller index is the root: entities are named after
            // their first organisation.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi as usize] = lo;
        }
    }
}

/// Normalises an organisation name for comparison: lower case, letters
/// and digits only, legal-form words dropped.
///
/// ```
/// use bphscore::features::normalise_org_name;
/// assert_eq!(normalise_org_name("Example Shady Reseller, Ltd."), "example shady reseller");
/// assert_eq!(normalise_org_name("EXAMPLE SHADY RESELLER LIMITED"), "example shady reseller");
/// ```
pub fn normalise_org_name(name: &str) -> String {
    const FORMS: &[&str] = &[
        "ltd",
        "limited",
        "llc",
        "inc",
        "incorporated",
        "gmbh",
        "bv",
        "b",
        "v",
        "sa",
        "srl",
        "sro",
        "ag",
        "oy",
        "ab",
        "as",
        "plc",
        "corp",
        "corporation",
        "co",
        "company",
        "sarl",
        "ooo",
        "kft",
        "spa",
        "pte",
        "pty",
        "lp",
        "llp",
        "the",
    ];
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FORMS.contains(w))
        .collect();
    words.join(" ")
}

fn registry_maintainer(m: &str) -> bool {
    let m = m.to_ascii_uppercase();
    m.contains("RIPE-NCC")
        || m.ends_with("-HM-MNT")
        || ["APNIC-", "AFRINIC-", "ARIN-", "LACNIC-", "IANA-"]
            .iter()
            .any(|p| m.starts_with(p))
}

/// Compiles the staged records. Blocks come out sorted by (family, start,
/// widest first), parents before children.
pub(crate) fn compile(mut w: WhoisInputs) -> WhoisTables {
    // Delegations that match a block's range date its transfer; the others
    // become blocks of their own (allocations without a holder org).
    let mut by_range: FastMap<(bool, u128, u128), usize> = FastMap::default();
    for (i, d) in w.delegations.iter().enumerate() {
        if d.asns.is_none() {
            by_range.insert((d.v6, d.start, d.end), i);
        }
    }
    let mut matched = vec![false; w.delegations.len()];
    let mut block_key: Vec<(usize, u32)> = Vec::new();
    for (bi, b) in w.blocks.iter_mut().enumerate() {
        if let Some(&di) = by_range.get(&(b.v6(), b.start, b.end)) {
            matched[di] = true;
            let d = &w.delegations[di];
            if d.date != NO_DATE
                && b.created() != NO_DATE
                && d.date > b.created().saturating_add(86_400)
            {
                b.flags |= BLOCK_TRANSFERRED;
                b.transferred_at = to_u32_date(Some(d.date));
            }
            if d.key != NONE {
                block_key.push((bi, d.key));
            }
        }
    }
    drop(by_range);
    for (i, d) in w.delegations.iter().enumerate() {
        if d.asns.is_none() && !matched[i] {
            w.blocks.push(Block {
                start: d.start,
                end: d.end,
                parent: NONE,
                org: NONE,
                created: to_u32_date((d.date != NO_DATE).then_some(d.date)),
                modified: 0,
                abuse: NONE,
                mnt: NONE,
                country: d.country,
                status: d.status,
                depth: 0,
                flags: if d.v6 { BLOCK_V6 } else { 0 },
                source: d.source,
                transferred_at: 0,
            });
        }
    }
    drop(matched);

    // Organisation nodes: every org handle named anywhere, plus one per
    // aut-num without an org.
    let mut strings = std::mem::take(&mut w.strings);
    let mut node_of: FastMap<u32, u32> = FastMap::default();
    let mut nodes: Vec<u32> = Vec::new(); // node -> handle string
    let mut node = |h: u32, nodes: &mut Vec<u32>| -> u32 {
        *node_of.entry(h).or_insert_with(|| {
            nodes.push(h);
            (nodes.len() - 1) as u32
        })
    };
    let mut handles: Vec<u32> = w.orgs.keys().copied().collect();
    handles.sort_unstable_by(|a, b| strings.at(*a).cmp(strings.at(*b)));
    for h in &handles {
        node(*h, &mut nodes);
    }
    for b in &w.blocks {
        if b.org != NONE {
            node(b.org, &mut nodes);
        }
    }
    let mut as_nodes: Vec<(u32, u32, u32)> = Vec::new(); // asn, node, name
    for a in &w.autnums {
        let h = if a.org != NONE {
            a.org
        } else {
            strings.intern(&format!("AS{}", a.asn))
        };
        as_nodes.push((a.asn, node(h, &mut nodes), a.name));
    }
    let resolve = |k: u32, strings: &Strings| -> u32 {
        if k == NONE || strings.at(k).contains('@') {
            k
        } else {
            w.contacts.get(&k).copied().unwrap_or(k)
        }
    };

    // Link keys.
    let mut keyed: FastMap<(LinkReason, u32), Vec<u32>> = FastMap::default();
    let mut add = |r: LinkReason, k: u32, n: u32| {
        let v = keyed.entry((r, k)).or_default();
        if v.last() != Some(&n) && v.len() <= MAX_LINK_FANOUT {
            v.push(n);
        }
    };
    for h in &handles {
        let o = &w.orgs[h];
        let n = node_of[h];
        if o.name != NONE {
            let norm = normalise_org_name(strings.at(o.name));
            if !norm.is_empty() {
                let k = strings.intern(&norm);
                add(LinkReason::Name, k, n);
            }
        }
        for &m in &o.maintainers {
            if !registry_maintainer(strings.at(m)) {
                add(LinkReason::Maintainer, m, n);
            }
        }
        let ab = resolve(o.abuse, &strings);
        if ab != NONE {
            add(LinkReason::AbuseMailbox, ab, n);
        }
    }
    for (a, &(_, n, _)) in w.autnums.iter().zip(&as_nodes) {
        for &m in &a.maintainers {
            if !registry_maintainer(strings.at(m)) {
                add(LinkReason::Maintainer, m, n);
            }
        }
        let ab = resolve(a.abuse, &strings);
        if ab != NONE {
            add(LinkReason::AbuseMailbox, ab, n);
        }
    }
    let as_node: FastMap<u32, u32> = as_nodes.iter().map(|x| (x.0, x.1)).collect();
    for d in &w.delegations {
        if let (Some((first, count)), true) = (d.asns, d.key != NONE) {
            // Registries delegate ASNs one or a few at a time.
            for asn in first..first.saturating_add(count.min(65_536)) {
                if let Some(&n) = as_node.get(&asn) {
                    add(LinkReason::OpaqueId, d.key, n);
                }
            }
        }
    }
    for &(bi, k) in &block_key {
        let org = w.blocks[bi].org;
        if org != NONE {
            add(LinkReason::OpaqueId, k, node_of[&org]);
        }
    }
    let mut uf = UnionFind((0..nodes.len() as u32).collect());
    let mut keys: Vec<_> = keyed.into_iter().collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut links = Vec::new();
    for ((reason, key), members) in keys {
        if members.len() < 2 || members.len() > MAX_LINK_FANOUT {
            continue;
        }
        let mut members = members;
        members.sort_unstable();
        members.dedup();
        for &m in &members[1..] {
            uf.union(members[0], m);
            links.push(Link {
                a: members[0],
                b: m,
                reason,
                key,
            });
        }
    }

    let mut orgs: Vec<Org> = nodes
        .iter()
        .enumerate()
        .map(|(i, &h)| {
            let o = w.orgs.get(&h);
            Org {
                handle: h,
                name: o.map_or(NONE, |o| o.name),
                entity: uf.find(i as u32),
                blocks: 0,
                providers: 0,
                country: o.map_or([0, 0], |o| o.country),
                flags: 0,
            }
        })
        .collect();

    // The hierarchy, computed in place over the blocks sorted by family,
    // start, widest first: a parent always precedes its children.
    drop(block_key);
    let mut blocks = std::mem::take(&mut w.blocks);
    blocks.sort_unstable_by(|x, y| {
        (x.v6(), x.start, std::cmp::Reverse(x.end), x.source).cmp(&(
            y.v6(),
            y.start,
            std::cmp::Reverse(y.end),
            y.source,
        ))
    });
    let org_abuse: FastMap<u32, u32> = w
        .orgs
        .iter()
        .filter(|(_, o)| o.abuse != NONE)
        .map(|(h, o)| (node_of[h], o.abuse))
        .collect();
    // (index, end, v6) of the enclosing blocks.
    let mut stack: Vec<(u32, u128, bool)> = Vec::new();
    // Per block: the top allocation's country, and the nearest holder
    // (org node, maintainer) up the hierarchy.
    let mut root_cc: Vec<[u8; 2]> = Vec::with_capacity(blocks.len());
    let mut holder: Vec<(u32, u32)> = Vec::with_capacity(blocks.len());
    let mut provider_pairs: Vec<(u32, u32)> = Vec::new();
    for i in 0..blocks.len() {
        let mut b = blocks[i];
        while let Some(&(_, end, v6)) = stack.last() {
            if v6 != b.v6() || end < b.end {
                stack.pop();
            } else {
                break;
            }
        }
        let parent = stack.last().map_or(NONE, |s| s.0);
        let org = if b.org == NONE { NONE } else { node_of[&b.org] };
        let status = BlockStatus::from_code(b.status).unwrap_or(BlockStatus::Other);
        let (depth, rcc, up) = if parent == NONE {
            (0u8, [0, 0], (NONE, NONE))
        } else {
            let p = parent as usize;
            (blocks[p].depth.saturating_add(1), root_cc[p], holder[p])
        };
        if status.is_customer() {
            b.flags |= BLOCK_CUSTOMER;
            let other = match (org, up.0) {
                (NONE, _) => b.mnt != NONE && up.1 != NONE && b.mnt != up.1,
                (o, NONE) => o != NONE,
                (o, p) => orgs[o as usize].entity != orgs[p as usize].entity,
            };
            if other && parent != NONE {
                b.flags |= BLOCK_OTHER_ORG;
                if org != NONE && up.0 != NONE {
                    provider_pairs.push((orgs[org as usize].entity, orgs[up.0 as usize].entity));
                }
            }
        }
        // The abuse contact: the block's own, else its holder's; a block
        // registered without a holder inherits its parent's (RIPE's abuse-c
        // look-up walks up the same way).
        let own_abuse = if b.abuse != NONE {
            resolve(b.abuse, &strings)
        } else if org != NONE {
            org_abuse.get(&org).map_or(NONE, |&a| resolve(a, &strings))
        } else if parent != NONE {
            blocks[parent as usize].abuse
        } else {
            NONE
        };
        if own_abuse == NONE {
            b.flags |= BLOCK_NO_ABUSE;
        }
        // ARIN networks carry no country: their holder's is the registered one.
        if b.country == [0, 0] {
            b.country = if org != NONE && orgs[org as usize].country != [0, 0] {
                orgs[org as usize].country
            } else if parent != NONE {
                blocks[parent as usize].country
            } else {
                [0, 0]
            };
        }
        if parent != NONE && rcc != [0, 0] && b.country != [0, 0] && rcc != b.country {
            b.flags |= BLOCK_COUNTRY_MISMATCH;
        }
        if org != NONE {
            orgs[org as usize].blocks += 1;
        }
        root_cc.push(if parent == NONE { b.country } else { rcc });
        holder.push((
            if org != NONE { org } else { up.0 },
            if b.mnt != NONE { b.mnt } else { up.1 },
        ));
        b.parent = parent;
        b.org = org;
        b.depth = depth;
        b.abuse = own_abuse;
        blocks[i] = b;
        stack.push((i as u32, b.end, b.v6()));
    }
    drop((root_cc, holder, stack));
    // Customer entities' distinct providers.
    provider_pairs.sort_unstable();
    provider_pairs.dedup();
    let mut providers: FastMap<u32, u32> = FastMap::default();
    for (customer, _) in provider_pairs {
        *providers.entry(customer).or_default() += 1;
    }
    for o in &mut orgs {
        o.providers = providers.get(&o.entity).copied().unwrap_or(0);
    }
    let mut ases: Vec<WhoisAs> = as_nodes
        .iter()
        .map(|&(asn, org, name)| WhoisAs { asn, org, name })
        .collect();
    ases.sort_unstable_by_key(|a| a.asn);
    ases.dedup_by_key(|a| a.asn);
    strings.map = HashMap::new();
    WhoisTables {
        blocks,
        orgs,
        ases,
        links,
        strings,
    }
}

/// Marks entities holding a listed AS, the ASes linked to them, and the
/// blocks whose abuse mailbox is a listed entity's. `listed(asn)` says
/// whether an AS is listed; returns the ASes linked to a listed entity
/// without being listed themselves.
pub(crate) fn mark_listed(t: &mut WhoisTables, listed: impl Fn(u32) -> bool) -> Vec<(u32, u32)> {
    let mut bad_entities: Vec<u32> = t
        .ases
        .iter()
        .filter(|a| listed(a.asn))
        .map(|a| t.orgs[a.org as usize].entity)
        .collect();
    bad_entities.sort_unstable();
    bad_entities.dedup();
    for o in &mut t.orgs {
        if bad_entities.binary_search(&o.entity).is_ok() {
            o.flags |= ORG_LISTED;
        }
    }
    let mut bad_abuse: Vec<u32> = t
        .blocks
        .iter()
        .filter(|b| {
            b.org != NONE && t.orgs[b.org as usize].flags & ORG_LISTED != 0 && b.abuse != NONE
        })
        .map(|b| b.abuse)
        .collect();
    bad_abuse.sort_unstable();
    bad_abuse.dedup();
    for b in &mut t.blocks {
        let own_listed = b.org != NONE && t.orgs[b.org as usize].flags & ORG_LISTED != 0;
        if !own_listed && b.abuse != NONE && bad_abuse.binary_search(&b.abuse).is_ok() {
            b.flags |= BLOCK_ABUSE_SHARED_LISTED;
        }
    }
    t.ases
        .iter()
        .filter(|a| !listed(a.asn) && t.orgs[a.org as usize].flags & ORG_LISTED != 0)
        .map(|a| (a.asn, a.org))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(normalise_org_name("Example B.V."), "example");
        assert_eq!(normalise_org_name("  "), "");
    }

    #[test]
    fn union_find_roots_at_smallest() {
        let mut uf = UnionFind((0..4).collect());
        uf.union(3, 1);
        uf.union(2, 3);
        assert_eq!(uf.find(2), 1);
        assert_eq!(uf.find(0), 0);
    }
}
