//! Serialises compiled tables into the snapshot layout.

use super::format::*;
use crate::features::compile::{ROUTE_V6, Route, Tables};
use crate::features::timed::TimedTables;
use crate::features::whois::{NONE, WhoisTables};

/// Writes the WHOIS strings that records refer to, once each.
struct StringWriter<'a> {
    tables: &'a WhoisTables,
    at: Vec<Option<(u32, u32)>>,
    out: Vec<u8>,
}

impl StringWriter<'_> {
    fn put(&mut self, i: u32) -> (u32, u32) {
        if i == NONE {
            return (u32::MAX, 0);
        }
        if let Some(Some(r)) = self.at.get(i as usize) {
            return *r;
        }
        let s = self.tables.strings.at(i);
        let r = (self.out.len() as u32, s.len() as u32);
        self.out.extend_from_slice(s.as_bytes());
        if let Some(slot) = self.at.get_mut(i as usize) {
            *slot = Some(r);
        }
        r
    }
}

fn whois_sections(wt: &WhoisTables, w: &mut SectionWriter) {
    // The largest section of a big dump: written straight into the file.
    w.add_with(SEC_WHOIS_BLOCKS, |blocks| {
        for b in &wt.blocks {
            blocks.extend_from_slice(&b.start.to_le_bytes());
            blocks.extend_from_slice(&b.end.to_le_bytes());
            blocks.extend_from_slice(&b.parent.to_le_bytes());
            blocks.extend_from_slice(&b.org.to_le_bytes());
            blocks.extend_from_slice(&b.created().to_le_bytes());
            blocks.extend_from_slice(&b.modified().to_le_bytes());
            blocks.extend_from_slice(&b.country);
            blocks.push(b.status);
            blocks.push(b.depth);
            blocks.extend_from_slice(&b.flags.to_le_bytes());
            blocks.extend_from_slice(&b.source.to_le_bytes());
        }
    });
    let mut sw = StringWriter {
        tables: wt,
        at: vec![None; wt.strings.list.len()],
        out: Vec::new(),
    };
    let mut orgs = Vec::with_capacity(wt.orgs.len() * ORG_LEN);
    for o in &wt.orgs {
        let (ho, hl) = sw.put(o.handle);
        let (no, nl) = sw.put(o.name);
        for v in [ho, hl, no, nl, o.entity, o.blocks, o.providers] {
            orgs.extend_from_slice(&v.to_le_bytes());
        }
        orgs.extend_from_slice(&o.country);
        orgs.extend_from_slice(&o.flags.to_le_bytes());
    }
    w.add(SEC_WHOIS_ORGS, orgs);
    let mut ases = Vec::with_capacity(wt.ases.len() * WHOIS_AS_LEN);
    for a in &wt.ases {
        let (no, nl) = sw.put(a.name);
        for v in [a.asn, a.org, no, nl] {
            ases.extend_from_slice(&v.to_le_bytes());
        }
    }
    w.add(SEC_WHOIS_ASES, ases);
    let mut links = Vec::with_capacity(wt.links.len() * LINK_LEN);
    for l in &wt.links {
        let (ko, kl) = sw.put(l.key);
        links.extend_from_slice(&l.a.to_le_bytes());
        links.extend_from_slice(&l.b.to_le_bytes());
        links.extend_from_slice(&[l.reason.code(), 0, 0, 0]);
        links.extend_from_slice(&ko.to_le_bytes());
        links.extend_from_slice(&kl.to_le_bytes());
        links.extend_from_slice(&[0; 4]);
    }
    w.add(SEC_WHOIS_LINKS, links);
    w.add(SEC_WHOIS_STRINGS, sw.out);
}

fn timed_sections(t: &TimedTables, w: &mut SectionWriter) {
    let mut ases = Vec::with_capacity(t.ases.len() * TIMED_AS_LEN);
    for a in &t.ases {
        ases.extend_from_slice(&a.density.to_bits().to_le_bytes());
        ases.extend_from_slice(&a.peer_percentile.to_bits().to_le_bytes());
        ases.extend_from_slice(&a.persistence_days.to_bits().to_le_bytes());
        ases.push(a.categories);
        ases.extend_from_slice(&[0; 7]);
        ases.extend_from_slice(&a.sources.to_le_bytes());
    }
    w.add_parallel(SEC_TIMED_AS, ases, &[0; TIMED_AS_LEN]);
    let mut blocks = Vec::with_capacity(t.blocks.len() * TIMED_BLOCK_LEN);
    for b in &t.blocks {
        blocks.extend_from_slice(&b.key.1.to_le_bytes());
        blocks.extend_from_slice(&b.density.to_bits().to_le_bytes());
        for v in [
            b.reset,
            b.domains,
            b.new_domains,
            b.short_lived,
            b.flux,
            b.abused,
        ] {
            blocks.extend_from_slice(&v.to_le_bytes());
        }
        blocks.push(b.categories);
        blocks.push(u8::from(b.key.0));
        blocks.extend_from_slice(&[0; 2]);
        blocks.extend_from_slice(&b.sources.to_le_bytes());
        blocks.extend_from_slice(&[0; 8]);
    }
    w.add(SEC_TIMED_BLOCKS, blocks);
    let mut ips = Vec::with_capacity(t.ips.len() * TIMED_IP_LEN);
    for i in &t.ips {
        ips.extend_from_slice(&i.key.1.to_le_bytes());
        ips.extend_from_slice(&i.recency.to_bits().to_le_bytes());
        ips.extend_from_slice(&i.domains.to_le_bytes());
        ips.push(i.categories);
        ips.push(u8::from(i.key.0));
        ips.extend_from_slice(&[0; 6]);
        ips.extend_from_slice(&i.sources.to_le_bytes());
        ips.extend_from_slice(&[0; 8]);
    }
    w.add(SEC_TIMED_IPS, ips);
    let mut cells = Vec::with_capacity(t.cells.len() * CELL_TIMED_LEN);
    for (b, i) in &t.cells {
        cells.extend_from_slice(&b.to_le_bytes());
        cells.extend_from_slice(&i.to_le_bytes());
    }
    w.add_parallel(SEC_CELL_TIMED, cells, &[0xff; CELL_TIMED_LEN]);
}

fn pad16(buf: &mut Vec<u8>) {
    while !buf.len().is_multiple_of(16) {
        buf.push(0);
    }
}

/// For each value of the top 16 bits, the index of the interval holding
/// the first address with those bits; then the last index.
fn entry_points<T: Copy + Ord>(starts: &[T], key: impl Fn(usize) -> T) -> Vec<u32> {
    let mut out = Vec::with_capacity(INDEX_ENTRIES);
    let mut i = 0usize;
    for k in 0..(1usize << 16) {
        let at = key(k);
        while i + 1 < starts.len() && starts[i + 1] <= at {
            i += 1;
        }
        out.push(i as u32);
    }
    out.push(starts.len().saturating_sub(1) as u32);
    out
}

/// Appends sections to the file as they are encoded, so that a section's
/// body is freed before the next one is built: a large build holds the
/// file once, not the file and a copy of its sections.
struct SectionWriter {
    out: Vec<u8>,
    table_at: usize,
    n: usize,
}

impl SectionWriter {
    fn new(build_time: i64) -> Self {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        out.extend_from_slice(&build_time.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // file length, patched in `finish`
        out.extend_from_slice(&(SECTION_COUNT as u32).to_le_bytes());
        out.resize(HEADER_LEN, 0);
        let table_at = out.len();
        out.resize(table_at + SECTION_COUNT * SECTION_ENTRY_LEN, 0);
        pad16(&mut out);
        SectionWriter {
            out,
            table_at,
            n: 0,
        }
    }

    fn add(&mut self, id: u32, body: Vec<u8>) {
        self.add_with(id, |out| out.extend_from_slice(&body));
    }

    /// Adds a table parallel to another, stored empty when every record
    /// is `default` (what a reader takes for a missing record).
    fn add_parallel(&mut self, id: u32, body: Vec<u8>, default: &[u8]) {
        if body.chunks(default.len()).all(|r| r == default) {
            self.add(id, Vec::new());
        } else {
            self.add(id, body);
        }
    }

    /// Adds a section that `write` appends to the file directly.
    fn add_with(&mut self, id: u32, write: impl FnOnce(&mut Vec<u8>)) {
        let offset = self.out.len() as u64;
        write(&mut self.out);
        let len = self.out.len() as u64 - offset;
        pad16(&mut self.out);
        let e = self.table_at + self.n * SECTION_ENTRY_LEN;
        self.out[e..e + 4].copy_from_slice(&id.to_le_bytes());
        self.out[e + 8..e + 16].copy_from_slice(&offset.to_le_bytes());
        self.out[e + 16..e + 24].copy_from_slice(&len.to_le_bytes());
        self.n += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        debug_assert_eq!(self.n, SECTION_COUNT);
        let file_len = (self.out.len() + TRAILER_LEN) as u64;
        self.out[24..32].copy_from_slice(&file_len.to_le_bytes());
        let sum = super::checksum(&self.out);
        self.out.extend_from_slice(TRAILER_MAGIC);
        self.out.extend_from_slice(&sum.to_le_bytes());
        self.out
    }
}

pub(crate) fn encode(tables: &Tables, meta_json: &[u8], build_time: i64) -> Vec<u8> {
    let mut w = SectionWriter::new(build_time);
    w.add(SEC_META, meta_json.to_vec());

    let v4_starts: Vec<u32> = tables.v4.iter().map(|p| p.0).collect();
    let idx = entry_points(&v4_starts, |k| (k as u32) << 16);
    w.add(
        SEC_V4_INDEX,
        idx.iter().flat_map(|v| v.to_le_bytes()).collect(),
    );
    w.add(
        SEC_V4_STARTS,
        v4_starts.iter().flat_map(|v| v.to_le_bytes()).collect(),
    );
    w.add(
        SEC_V4_CELLS,
        tables.v4.iter().flat_map(|p| p.1.to_le_bytes()).collect(),
    );

    let v6_starts: Vec<u128> = tables.v6.iter().map(|p| p.0).collect();
    let idx = entry_points(&v6_starts, |k| (k as u128) << 112);
    w.add(
        SEC_V6_INDEX,
        idx.iter().flat_map(|v| v.to_le_bytes()).collect(),
    );
    w.add(
        SEC_V6_STARTS,
        v6_starts.iter().flat_map(|v| v.to_le_bytes()).collect(),
    );
    w.add(
        SEC_V6_CELLS,
        tables.v6.iter().flat_map(|p| p.1.to_le_bytes()).collect(),
    );

    w.add_with(SEC_CELLS, |cells| {
        for c in &tables.cells {
            cells.extend_from_slice(&c.route.to_le_bytes());
            cells.extend_from_slice(&c.country);
            cells.extend_from_slice(&[c.flags, c.geo_flags]);
            cells.extend_from_slice(&c.sources.to_le_bytes());
            cells.extend_from_slice(&c.block.to_le_bytes());
            cells.extend_from_slice(&c.located);
            cells.extend_from_slice(&[0; 2]);
        }
    });

    // Routes are numbered IPv4 first (the compiler orders them so).
    let split = tables.routes.partition_point(|r| r.flags & ROUTE_V6 == 0);
    debug_assert!(
        tables.routes[split..]
            .iter()
            .all(|r| r.flags & ROUTE_V6 != 0)
    );
    let (v4_routes, v6_routes) = tables.routes.split_at(split);
    let tail = |out: &mut Vec<u8>, r: &Route| {
        out.extend_from_slice(&r.sources.to_le_bytes());
        out.extend_from_slice(&r.size.to_le_bytes());
        out.extend_from_slice(&r.listed.to_le_bytes());
        out.extend_from_slice(&r.as_index.to_le_bytes());
        out.extend_from_slice(&r.source.to_le_bytes());
        out.extend_from_slice(&[r.flags, 0]);
    };
    w.add_with(SEC_ROUTES, |out| {
        for r in v4_routes {
            // An IPv4 route's ends fit 32 bits (checked on open).
            out.extend_from_slice(&(r.start as u32).to_le_bytes());
            out.extend_from_slice(&(r.end as u32).to_le_bytes());
            tail(out, r);
        }
    });
    w.add_with(SEC_ROUTES_V6, |out| {
        for r in v6_routes {
            out.extend_from_slice(&r.start.to_le_bytes());
            out.extend_from_slice(&r.end.to_le_bytes());
            tail(out, r);
        }
    });

    let mut strings = Vec::new();
    let mut ases = Vec::with_capacity(tables.ases.len() * AS_LEN);
    for a in &tables.ases {
        let off = strings.len() as u32;
        strings.extend_from_slice(a.name.as_bytes());
        ases.extend_from_slice(&a.asn.to_le_bytes());
        ases.extend_from_slice(&off.to_le_bytes());
        ases.extend_from_slice(&(a.name.len() as u32).to_le_bytes());
        ases.extend_from_slice(&a.country);
        ases.extend_from_slice(&a.flags.to_le_bytes());
        for v in [
            a.announced_v4,
            a.announced_v6,
            a.listed_v4,
            a.listed_v6,
            a.dropped_v4,
            a.dropped_v6,
            a.sources,
        ] {
            ases.extend_from_slice(&v.to_le_bytes());
        }
        ases.extend_from_slice(&a.routing_source.to_le_bytes());
        ases.extend_from_slice(&[0; 2]);
        ases.extend_from_slice(&a.whois_org.to_le_bytes());
    }
    w.add(SEC_ASES, ases);
    w.add(SEC_STRINGS, strings);
    whois_sections(&tables.whois, &mut w);
    timed_sections(&tables.timed, &mut w);

    let mut routing = Vec::with_capacity(tables.as_routing.len() * AS_ROUTING_LEN);
    for r in &tables.as_routing {
        for v in [
            r.prefixes,
            r.small_prefixes,
            r.upstreams,
            r.lax_upstreams,
            r.rewiring,
        ] {
            routing.extend_from_slice(&v.to_le_bytes());
        }
        for v in [r.churn, r.short_lived, r.moas] {
            routing.extend_from_slice(&v.to_le_bytes());
        }
    }
    w.add_parallel(SEC_AS_ROUTING, routing, &[0; AS_ROUTING_LEN]);
    let mut geo = Vec::with_capacity(tables.as_countries.len() * AS_GEO_LEN);
    for n in &tables.as_countries {
        geo.extend_from_slice(&n.to_le_bytes());
        geo.extend_from_slice(&[0; 4]);
    }
    w.add_parallel(SEC_AS_GEO, geo, &[0; AS_GEO_LEN]);
    for id in SEC_RESERVED_FIRST..=SEC_RESERVED_LAST {
        w.add(id, Vec::new());
    }

    w.finish()
}
