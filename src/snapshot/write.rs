//! Serialises compiled tables into the snapshot layout.

use super::format::*;
use crate::features::compile::Tables;
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

fn whois_sections(w: &WhoisTables, sections: &mut Vec<(u32, Vec<u8>)>) {
    let mut blocks = Vec::with_capacity(w.blocks.len() * BLOCK_LEN);
    for b in &w.blocks {
        blocks.extend_from_slice(&b.start.to_le_bytes());
        blocks.extend_from_slice(&b.end.to_le_bytes());
        blocks.extend_from_slice(&b.parent.to_le_bytes());
        blocks.extend_from_slice(&b.org.to_le_bytes());
        blocks.extend_from_slice(&b.created.to_le_bytes());
        blocks.extend_from_slice(&b.modified.to_le_bytes());
        blocks.extend_from_slice(&b.country);
        blocks.push(b.status);
        blocks.push(b.depth);
        blocks.extend_from_slice(&b.flags.to_le_bytes());
        blocks.extend_from_slice(&b.source.to_le_bytes());
    }
    sections.push((SEC_WHOIS_BLOCKS, blocks));
    let mut sw = StringWriter {
        tables: w,
        at: vec![None; w.strings.list.len()],
        out: Vec::new(),
    };
    let mut orgs = Vec::with_capacity(w.orgs.len() * ORG_LEN);
    for o in &w.orgs {
        let (ho, hl) = sw.put(o.handle);
        let (no, nl) = sw.put(o.name);
        for v in [ho, hl, no, nl, o.entity, o.blocks, o.providers] {
            orgs.extend_from_slice(&v.to_le_bytes());
        }
        orgs.extend_from_slice(&o.country);
        orgs.extend_from_slice(&o.flags.to_le_bytes());
    }
    sections.push((SEC_WHOIS_ORGS, orgs));
    let mut ases = Vec::with_capacity(w.ases.len() * WHOIS_AS_LEN);
    for a in &w.ases {
        let (no, nl) = sw.put(a.name);
        for v in [a.asn, a.org, no, nl] {
            ases.extend_from_slice(&v.to_le_bytes());
        }
    }
    sections.push((SEC_WHOIS_ASES, ases));
    let mut links = Vec::with_capacity(w.links.len() * LINK_LEN);
    for l in &w.links {
        let (ko, kl) = sw.put(l.key);
        links.extend_from_slice(&l.a.to_le_bytes());
        links.extend_from_slice(&l.b.to_le_bytes());
        links.extend_from_slice(&[l.reason.code(), 0, 0, 0]);
        links.extend_from_slice(&ko.to_le_bytes());
        links.extend_from_slice(&kl.to_le_bytes());
        links.extend_from_slice(&[0; 4]);
    }
    sections.push((SEC_WHOIS_LINKS, links));
    sections.push((SEC_WHOIS_STRINGS, sw.out));
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

pub(crate) fn encode(tables: &Tables, meta_json: &[u8], build_time: i64) -> Vec<u8> {
    let mut sections: Vec<(u32, Vec<u8>)> = Vec::with_capacity(SECTION_COUNT);
    sections.push((SEC_META, meta_json.to_vec()));

    let v4_starts: Vec<u32> = tables.v4.iter().map(|p| p.0).collect();
    let idx = entry_points(&v4_starts, |k| (k as u32) << 16);
    sections.push((
        SEC_V4_INDEX,
        idx.iter().flat_map(|v| v.to_le_bytes()).collect(),
    ));
    sections.push((
        SEC_V4_STARTS,
        v4_starts.iter().flat_map(|v| v.to_le_bytes()).collect(),
    ));
    sections.push((
        SEC_V4_CELLS,
        tables.v4.iter().flat_map(|p| p.1.to_le_bytes()).collect(),
    ));

    let v6_starts: Vec<u128> = tables.v6.iter().map(|p| p.0).collect();
    let idx = entry_points(&v6_starts, |k| (k as u128) << 112);
    sections.push((
        SEC_V6_INDEX,
        idx.iter().flat_map(|v| v.to_le_bytes()).collect(),
    ));
    sections.push((
        SEC_V6_STARTS,
        v6_starts.iter().flat_map(|v| v.to_le_bytes()).collect(),
    ));
    sections.push((
        SEC_V6_CELLS,
        tables.v6.iter().flat_map(|p| p.1.to_le_bytes()).collect(),
    ));

    let mut cells = Vec::with_capacity(tables.cells.len() * CELL_LEN);
    for c in &tables.cells {
        cells.extend_from_slice(&c.route.to_le_bytes());
        cells.extend_from_slice(&c.country);
        cells.extend_from_slice(&[0, 0]);
        cells.extend_from_slice(&c.sources.to_le_bytes());
        cells.extend_from_slice(&c.block.to_le_bytes());
        cells.extend_from_slice(&[0; 4]);
    }
    sections.push((SEC_CELLS, cells));

    let mut routes = Vec::with_capacity(tables.routes.len() * ROUTE_LEN);
    for r in &tables.routes {
        routes.extend_from_slice(&r.start.to_le_bytes());
        routes.extend_from_slice(&r.end.to_le_bytes());
        routes.extend_from_slice(&r.sources.to_le_bytes());
        routes.extend_from_slice(&r.size.to_le_bytes());
        routes.extend_from_slice(&r.listed.to_le_bytes());
        routes.extend_from_slice(&r.dropped.to_le_bytes());
        routes.extend_from_slice(&r.asn.to_le_bytes());
        routes.extend_from_slice(&r.as_index.to_le_bytes());
        routes.extend_from_slice(&r.source.to_le_bytes());
        routes.push(r.flags);
        routes.extend_from_slice(&[0; 5]);
    }
    sections.push((SEC_ROUTES, routes));

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
    sections.push((SEC_ASES, ases));
    sections.push((SEC_STRINGS, strings));
    whois_sections(&tables.whois, &mut sections);

    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(HEADER_LEN as u32).to_le_bytes());
    out.extend_from_slice(&build_time.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // file length, patched below
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    out.resize(HEADER_LEN, 0);
    let table_at = out.len();
    out.resize(table_at + sections.len() * SECTION_ENTRY_LEN, 0);
    pad16(&mut out);
    for (i, (id, body)) in sections.iter().enumerate() {
        let offset = out.len() as u64;
        out.extend_from_slice(body);
        pad16(&mut out);
        let e = table_at + i * SECTION_ENTRY_LEN;
        out[e..e + 4].copy_from_slice(&id.to_le_bytes());
        out[e + 8..e + 16].copy_from_slice(&offset.to_le_bytes());
        out[e + 16..e + 24].copy_from_slice(&(body.len() as u64).to_le_bytes());
    }
    let file_len = (out.len() + TRAILER_LEN) as u64;
    out[24..32].copy_from_slice(&file_len.to_le_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(TRAILER_MAGIC);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out
}
