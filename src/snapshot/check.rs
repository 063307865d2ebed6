//! Checking a snapshot as it is opened: the checksum of the whole file
//! and every record of every table, in one pass over the bytes.
//!
//! Both read the whole file, so each byte is read from memory once: the
//! file is cut into pieces that threads take in turn, and each piece is
//! walked in slices small enough to stay in the core's first-level cache.
//! A slice is added to its piece's checksum, then every record that begins
//! in it is checked. The piece sums are combined in file order
//! ([`Sum::then`]). On an 82 MB snapshot (format 3, CRC-32) this opened in
//! 13.5 ms where one thread summing the file while another checked the
//! tables took 17 ms (2 cores); slices of 16 or 128 KiB were slower than
//! 32.
//!
//! Which error is reported does not depend on the threads: a checksum
//! mismatch first, then the first invalid record in file order.

use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::format::*;
use super::sum::{BLOCK, Sum};
use super::{BLOCK_FLAGS, CELL_FLAGS, NO_BLOCK, NO_ROUTE, NO_SOURCE, ROUTE_V6, Snapshot};
use crate::error::{Error, Result};

/// Bytes a thread takes at a time: few enough threads share a page table
/// (2 MiB of mapping each) that faulting the map in does not contend. A
/// whole number of checksum blocks, as every piece but the last must be.
const PIECE: usize = 2 << 20;
const _: () = assert!(PIECE.is_multiple_of(BLOCK));

/// Bytes summed, then checked, while they stay in the first-level cache.
const SLICE: usize = 32 << 10;

/// Files from this size are checked on every core; a smaller one is
/// checked before a thread could have started.
const PARALLEL_FROM: usize = 8 << 20;

/// The sections whose records are checked one by one, and their record
/// lengths. The others (metadata, strings, AS geolocation, the reserved
/// ones) are only summed: they are checked whole before the pass, or any
/// value they hold is valid.
const RECORDS: [(u32, usize); 19] = [
    (SEC_V4_INDEX, 4),
    (SEC_V4_STARTS, 4),
    (SEC_V4_CELLS, 4),
    (SEC_V6_INDEX, 4),
    (SEC_V6_STARTS, 16),
    (SEC_V6_CELLS, 4),
    (SEC_CELLS, CELL_LEN),
    (SEC_ROUTES, ROUTE_V4_LEN),
    (SEC_ROUTES_V6, ROUTE_V6_LEN),
    (SEC_ASES, AS_LEN),
    (SEC_WHOIS_BLOCKS, BLOCK_LEN),
    (SEC_WHOIS_ORGS, ORG_LEN),
    (SEC_WHOIS_ASES, WHOIS_AS_LEN),
    (SEC_WHOIS_LINKS, LINK_LEN),
    (SEC_AS_ROUTING, AS_ROUTING_LEN),
    (SEC_TIMED_AS, TIMED_AS_LEN),
    (SEC_TIMED_BLOCKS, TIMED_BLOCK_LEN),
    (SEC_TIMED_IPS, TIMED_IP_LEN),
    (SEC_CELL_TIMED, CELL_TIMED_LEN),
];

/// At most this many threads check a file: a few cores already draw the
/// memory bandwidth the pass is bound by, and each thread costs a start.
const MAX_WORKERS: usize = 8;

/// How many threads may check a file (the query is cached: it reads
/// control-group files on Linux).
fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS))
    })
}

/// What one piece gave: its checksum, its first invalid record, and the AS
/// numbers of the AS records that begin in it (index of the first, numbers).
struct Piece {
    sum: Sum,
    error: Option<Error>,
    asns: (usize, Vec<u32>),
}

/// How a pass cuts the file and how many threads walk it. Pieces are a
/// whole number of checksum blocks.
#[derive(Debug, Clone, Copy)]
struct Layout {
    piece: usize,
    slice: usize,
    workers: usize,
}

/// The checksum of `body`, and the first invalid record if `snapshot` is
/// given (its tables' lengths already checked), with the AS numbers of the
/// `ASES` table in order.
pub(super) fn pass(body: &[u8], snapshot: Option<&Snapshot<&[u8]>>) -> (u64, Result<Vec<u32>>) {
    let workers = if body.len() >= PARALLEL_FROM {
        threads()
    } else {
        1
    };
    let layout = Layout {
        piece: PIECE,
        slice: SLICE,
        workers,
    };
    pass_in(body, snapshot, layout)
}

/// [`pass`] with any layout: the result does not depend on it.
fn pass_in(
    body: &[u8],
    snapshot: Option<&Snapshot<&[u8]>>,
    layout: Layout,
) -> (u64, Result<Vec<u32>>) {
    debug_assert!(layout.piece.is_multiple_of(BLOCK));
    let checks = snapshot.map(Checks::new);
    let pieces = body.len().div_ceil(layout.piece).max(1);
    let workers = layout.workers.clamp(1, pieces);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= pieces {
                return done;
            }
            let range = k * layout.piece..((k + 1) * layout.piece).min(body.len());
            done.push((k, piece(body, range, layout.slice, checks.as_ref())));
        }
    };
    let mut done = if workers > 1 {
        std::thread::scope(|s| {
            let others: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
            let mut done = work();
            for h in others {
                // A check never panics; if one did, it is raised here.
                match h.join() {
                    Ok(d) => done.extend(d),
                    Err(p) => std::panic::resume_unwind(p),
                }
            }
            done
        })
    } else {
        work()
    };
    done.sort_unstable_by_key(|(k, _)| *k);
    let mut sum = Sum::default();
    let mut error = None;
    let mut asns = Vec::new();
    for (_, p) in done {
        sum = sum.then(&p.sum);
        if error.is_none() {
            error = p.error;
        }
        if error.is_none() {
            // Pieces in file order hold the AS records in order.
            debug_assert!(p.asns.1.is_empty() || p.asns.0 == asns.len());
            asns.extend(p.asns.1);
        }
    }
    (sum.finish(), error.map_or(Ok(asns), Err))
}

/// Sums and checks the bytes of `range`, slice by slice.
fn piece<S: AsRef<[u8]>>(
    body: &[u8],
    range: Range<usize>,
    slice: usize,
    checks: Option<&Checks<S>>,
) -> Piece {
    let mut out = Piece {
        sum: Sum::default(),
        error: None,
        asns: (0, Vec::new()),
    };
    let mut at = range.start;
    while at < range.end {
        let end = (at + slice).min(range.end);
        out.sum.update(&body[at..end]);
        if let (Some(c), None) = (checks, &out.error) {
            out.error = c.slice(at..end, &mut out.asns).err();
        }
        at = end;
    }
    out
}

/// The record checks of one snapshot, with what they compare against.
struct Checks<'a, S> {
    s: &'a Snapshot<S>,
    /// `RECORDS` in file order, with each section's byte range.
    tables: Vec<(u32, usize, Range<usize>)>,
    /// Every abuse source bit, every timed source bit.
    all_bits: u64,
    all_timed: u64,
    nsources: usize,
    timed_blocks: usize,
    timed_ips: usize,
}

impl<'a, S: AsRef<[u8]>> Checks<'a, S> {
    fn new(s: &'a Snapshot<S>) -> Self {
        let mut tables: Vec<_> = RECORDS
            .iter()
            .map(|&(id, len)| (id, len, s.sections[id as usize].clone()))
            .filter(|t| !t.2.is_empty())
            .collect();
        tables.sort_by_key(|t| (t.2.start, t.0));
        let (list, drop, asn_drop) = s.masks();
        let all_timed = match s.timed_bit_source.len() {
            64.. => u64::MAX,
            n => (1u64 << n) - 1,
        };
        Checks {
            s,
            tables,
            all_bits: list | drop | asn_drop,
            all_timed,
            nsources: s.meta.sources.len(),
            timed_blocks: s.sections[SEC_TIMED_BLOCKS as usize].len() / TIMED_BLOCK_LEN,
            timed_ips: s.sections[SEC_TIMED_IPS as usize].len() / TIMED_IP_LEN,
        }
    }

    /// Checks every record that begins in the byte range `bytes`.
    fn slice(&self, bytes: Range<usize>, asns: &mut (usize, Vec<u32>)) -> Result<()> {
        for (id, len, sec) in &self.tables {
            let (lo, hi) = (bytes.start.max(sec.start), bytes.end.min(sec.end));
            if lo >= hi {
                continue;
            }
            let first = (lo - sec.start).div_ceil(*len);
            let last = (hi - sec.start).div_ceil(*len);
            if first < last {
                self.records(*id, first..last, asns)?;
            }
        }
        Ok(())
    }

    /// An error at record `i` of section `id`.
    fn err(&self, id: u32, i: usize, len: usize, msg: &str) -> Error {
        let at = self.s.sections[id as usize].start + i * len;
        Error::snapshot(&self.s.name, at as u64, msg)
    }

    /// Checks records `recs` of section `id`, `N` bytes each: the first
    /// that `valid` (given its index and bytes) refuses is an error saying
    /// `msg`.
    #[inline]
    fn each<const N: usize>(
        &self,
        id: u32,
        recs: Range<usize>,
        msg: &str,
        mut valid: impl FnMut(usize, &[u8; N]) -> bool,
    ) -> Result<()> {
        match rows::<N>(self.s.section(id), recs).find(|(i, r)| !valid(*i, r)) {
            Some((i, _)) => Err(self.err(id, i, N, msg)),
            None => Ok(()),
        }
    }

    /// Checks records `recs` of section `id`.
    fn records(&self, id: u32, recs: Range<usize>, asns: &mut (usize, Vec<u32>)) -> Result<()> {
        let s = self.s;
        let b = s.section(id);
        let norgs = s.counts.whois_orgs;
        let unit = |r: &[u8], at: usize| (0.0..=1.0).contains(&f32::from_bits(u32_at(r, at)));
        match id {
            SEC_V4_STARTS | SEC_V6_STARTS => self.starts(id == SEC_V6_STARTS, recs),
            SEC_V4_CELLS | SEC_V6_CELLS => {
                self.each::<4>(id, recs, "cell index out of range", |_, r| {
                    (u32::from_le_bytes(*r) as usize) < s.counts.cells
                })
            }
            SEC_V4_INDEX | SEC_V6_INDEX => self.index(id == SEC_V6_INDEX, recs),
            SEC_CELLS => self.cells(recs),
            SEC_ROUTES => self.routes::<ROUTE_V4_LEN>(SEC_ROUTES, recs),
            SEC_ROUTES_V6 => self.routes::<ROUTE_V6_LEN>(SEC_ROUTES_V6, recs),
            SEC_ASES => self.ases(recs, asns),
            // Small prefixes within prefixes, lax upstreams within
            // upstreams, shares in [0, 1].
            SEC_AS_ROUTING => {
                self.each::<AS_ROUTING_LEN>(id, recs, "invalid AS routing record", |_, r| {
                    (u32_at(r, 4) <= u32_at(r, 0))
                        & (u32_at(r, 12) <= u32_at(r, 8))
                        & unit(r, 20)
                        & unit(r, 24)
                        & unit(r, 28)
                })
            }
            SEC_WHOIS_BLOCKS => self.whois_blocks(recs),
            SEC_WHOIS_ORGS => {
                self.each::<ORG_LEN>(id, recs, "invalid WHOIS organisation", |_, r| {
                    self.text_ok(u32_at(r, 0), u32_at(r, 4))
                        && self.text_ok(u32_at(r, 8), u32_at(r, 12))
                        && (u32_at(r, 16) as usize) < norgs
                        && country_or_none([r[28], r[29]])
                })
            }
            // Sorted by AS number.
            SEC_WHOIS_ASES => {
                self.each::<WHOIS_AS_LEN>(id, recs, "invalid WHOIS AS record", |i, r| {
                    (i == 0 || u32_at(b, (i - 1) * WHOIS_AS_LEN) < u32_at(r, 0))
                        && (u32_at(r, 4) as usize) < norgs
                        && self.text_ok(u32_at(r, 8), u32_at(r, 12))
                })
            }
            SEC_WHOIS_LINKS => self.each::<LINK_LEN>(id, recs, "invalid WHOIS link", |_, r| {
                (u32_at(r, 0) as usize) < norgs
                    && (u32_at(r, 4) as usize) < norgs
                    && crate::features::LinkReason::from_code(r[8]).is_some()
                    && self.text_ok(u32_at(r, 12), u32_at(r, 16))
            }),
            // Density and peer percentile in [0, 1], persistence finite and
            // not negative, known sources.
            SEC_TIMED_AS => {
                self.each::<TIMED_AS_LEN>(id, recs, "invalid timed AS record", |_, r| {
                    let days = f32::from_bits(u32_at(r, 12));
                    (0.0..=1.0).contains(&f64::from_bits(u64_at(r, 0)))
                        && unit(r, 8)
                        && days.is_finite()
                        && days >= 0.0
                        && u64_at(r, 24) & !self.all_timed == 0
                })
            }
            SEC_TIMED_BLOCKS => self.keyed::<TIMED_BLOCK_LEN>(
                id,
                45,
                48,
                "invalid or unsorted timed block record",
                recs,
            ),
            SEC_TIMED_IPS => self.keyed::<TIMED_IP_LEN>(
                id,
                25,
                32,
                "invalid or unsorted timed address record",
                recs,
            ),
            // `NO_BLOCK` is `u32::MAX`: one more than the largest index.
            SEC_CELL_TIMED => {
                self.each::<CELL_TIMED_LEN>(id, recs, "cell evidence out of range", |_, r| {
                    (u32_at(r, 0).wrapping_add(1) as usize <= self.timed_blocks)
                        & (u32_at(r, 4).wrapping_add(1) as usize <= self.timed_ips)
                })
            }
            _ => Ok(()),
        }
    }

    /// Interval starts: the first is address 0 and each is above the one
    /// before.
    fn starts(&self, v6: bool, recs: Range<usize>) -> Result<()> {
        let s = self.s;
        let (id, len) = if v6 {
            (SEC_V6_STARTS, 16)
        } else {
            (SEC_V4_STARTS, 4)
        };
        if recs.start == 0 && s.interval_start(0, v6) != 0 {
            return Err(self.err(id, 0, len, "partition does not start at address 0"));
        }
        // Each start with the one before it (the first with itself).
        let from = recs.start.saturating_sub(1);
        let b = &s.section(id)[from * len..recs.end * len];
        let bad = if v6 {
            let (v, _) = b.as_chunks::<16>();
            v.windows(2)
                .position(|w| u128::from_le_bytes(w[1]) <= u128::from_le_bytes(w[0]))
        } else {
            let (v, _) = b.as_chunks::<4>();
            v.windows(2)
                .position(|w| u32::from_le_bytes(w[1]) <= u32::from_le_bytes(w[0]))
        };
        match bad {
            Some(k) => Err(self.err(id, from + k + 1, len, "interval starts are not increasing")),
            None => Ok(()),
        }
    }

    /// Entry points by the top 16 bits: entry `k` is the interval holding
    /// the first address of block `k`; the last is the last interval.
    fn index(&self, v6: bool, recs: Range<usize>) -> Result<()> {
        let s = self.s;
        let (id, n) = if v6 {
            (SEC_V6_INDEX, s.counts.v6_intervals)
        } else {
            (SEC_V4_INDEX, s.counts.v4_intervals)
        };
        let index = s.section(id);
        let shift = if v6 { 112 } else { 16 };
        for k in recs {
            let i = u32_at(index, k * 4) as usize;
            let bad = if k == INDEX_ENTRIES - 1 {
                i != n - 1
            } else {
                let at = (k as u128) << shift;
                i >= n
                    || s.interval_start(i, v6) > at
                    || (i + 1 < n && s.interval_start(i + 1, v6) <= at)
            };
            if bad {
                return Err(self.err(id, k, 4, "index entry is wrong"));
            }
        }
        Ok(())
    }

    fn cells(&self, recs: Range<usize>) -> Result<()> {
        let s = self.s;
        // `NO_ROUTE` and `NO_BLOCK` are `u32::MAX`: one more than the
        // largest index.
        const { assert!(NO_ROUTE == u32::MAX && NO_BLOCK == u32::MAX) };
        let msg = "cell refers to a missing route or source";
        self.each::<CELL_LEN>(SEC_CELLS, recs, msg, |_, c| {
            (u32_at(c, 0).wrapping_add(1) as usize <= s.counts.routes)
                & (u32_at(c, 16).wrapping_add(1) as usize <= s.counts.whois_blocks)
                & (u64_at(c, 8) & !self.all_bits == 0)
                & (c[6] & !CELL_FLAGS == 0)
                & (c[7] & !crate::source::GeoFlags::ALL == 0)
                & country_or_none([c[20], c[21]])
        })
    }

    /// Routes of one family (`N` bytes a record: the ends take `N - 32`):
    /// a known AS and source, ordered ends, known abuse sources, the
    /// family flag of the table's family.
    fn routes<const N: usize>(&self, id: u32, recs: Range<usize>) -> Result<()> {
        let s = self.s;
        let v6 = id == SEC_ROUTES_V6;
        let at = N - 32;
        self.each::<N>(id, recs, "invalid route record", |_, r| {
            let ordered = if v6 {
                u128_at(r, 0) <= u128_at(r, 16)
            } else {
                u32_at(r, 0) <= u32_at(r, 4)
            };
            let flags = r[at + 30];
            ordered
                & ((u32_at(r, at + 24) as usize) < s.counts.ases)
                & ((flags & ROUTE_V6 != 0) == v6)
                & (u64_at(r, at) & !self.all_bits == 0)
                & (usize::from(u16_at(r, at + 28)) < self.nsources)
        })
    }

    /// AS records, sorted by number, with their names' bounds; their
    /// numbers are kept for the look-up by number.
    fn ases(&self, recs: Range<usize>, asns: &mut (usize, Vec<u32>)) -> Result<()> {
        let s = self.s;
        let b = s.section(SEC_ASES);
        if asns.1.is_empty() {
            asns.0 = recs.start;
        }
        self.each::<AS_LEN>(SEC_ASES, recs, "invalid AS record", |i, r| {
            let asn = u32_at(r, 0);
            let (off, len) = (u32_at(r, 4) as usize, u32_at(r, 8) as usize);
            let routing = u16_at(r, 72);
            let whois_org = u32_at(r, 76);
            // In a valid UTF-8 section, a name is valid UTF-8 exactly when
            // both of its ends are character boundaries.
            let name_ok = off.checked_add(len).is_some_and(|end| end <= s.names.len())
                && s.names.is_char_boundary(off)
                && s.names.is_char_boundary(off + len);
            let valid = name_ok
                && (i == 0 || u32_at(b, (i - 1) * AS_LEN) < asn)
                && u64_at(r, 64) & !self.all_bits == 0
                && (routing == NO_SOURCE || usize::from(routing) < self.nsources)
                && (whois_org == NO_BLOCK || (whois_org as usize) < s.counts.whois_orgs)
                && country_or_none([r[12], r[13]]);
            if valid {
                asns.1.push(asn);
            }
            valid
        })
    }

    /// WHOIS blocks: ordered ends within the family, a parent before its
    /// children and around them, valid references and codes.
    fn whois_blocks(&self, recs: Range<usize>) -> Result<()> {
        let s = self.s;
        for i in recs {
            let b = s.whois_block(i as u32);
            let max = if b.is_v6() {
                u128::MAX
            } else {
                u128::from(u32::MAX)
            };
            let parent_ok = b.parent == NO_BLOCK
                || ((b.parent as usize) < i && {
                    let p = s.whois_block(b.parent);
                    p.start <= b.start && p.end >= b.end && p.is_v6() == b.is_v6()
                });
            if b.start > b.end
                || b.end > max
                || !parent_ok
                || (b.org != NO_BLOCK && b.org as usize >= s.counts.whois_orgs)
                || crate::source::BlockStatus::from_code(b.status).is_none()
                || b.flags & !BLOCK_FLAGS != 0
                || usize::from(b.source) >= self.nsources
                || !country_or_none(b.country)
            {
                return Err(self.err(SEC_WHOIS_BLOCKS, i, BLOCK_LEN, "invalid WHOIS block"));
            }
        }
        Ok(())
    }

    /// Timed blocks and addresses (`N` bytes each): sorted by family and
    /// key, a family flag, a finite non-negative measure, known sources.
    fn keyed<const N: usize>(
        &self,
        id: u32,
        flag_at: usize,
        sources_at: usize,
        msg: &str,
        recs: Range<usize>,
    ) -> Result<()> {
        let b = self.s.section(id);
        let key = |r: &[u8]| (r[flag_at] & 1, u128_at(r, 0));
        self.each::<N>(id, recs, msg, |i, r| {
            let k = key(r);
            let f = f32::from_bits(u32_at(r, 16));
            (i == 0 || key(&b[(i - 1) * N..i * N]) < k)
                && r[flag_at] <= 1
                && f.is_finite()
                && f >= 0.0
                && (k.0 == 1 || k.1 <= u128::from(u32::MAX))
                && u64_at(r, sources_at) & !self.all_timed == 0
        })
    }

    /// Whether `(off, len)` is absent (`u32::MAX`, 0) or a slice of the
    /// WHOIS strings on character boundaries.
    fn text_ok(&self, off: u32, len: u32) -> bool {
        let text = &self.s.whois_text;
        off == u32::MAX && len == 0
            || (off as usize).checked_add(len as usize).is_some_and(|end| {
                end <= text.len()
                    && text.is_char_boundary(off as usize)
                    && text.is_char_boundary(end)
            })
    }
}

/// Records `recs` of a table of `N`-byte records, with their indices.
fn rows<const N: usize>(
    table: &[u8],
    recs: Range<usize>,
) -> impl Iterator<Item = (usize, &[u8; N])> {
    let (rows, _) = table[recs.start * N..recs.end * N].as_chunks::<N>();
    recs.zip(rows)
}

/// Whether a stored country is a two-letter code or none (`0 0`).
fn country_or_none(c: [u8; 2]) -> bool {
    c == [0, 0] || (c[0].is_ascii_uppercase() & c[1].is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::validate_frame;

    /// The default layout on one thread, and layouts whose pieces and
    /// slices cut records and sections anywhere, on up to three threads.
    const LAYOUTS: [Layout; 5] = [
        Layout {
            piece: PIECE,
            slice: SLICE,
            workers: 1,
        },
        Layout {
            piece: 4096,
            slice: 512,
            workers: 2,
        },
        Layout {
            piece: 1024,
            slice: 96,
            workers: 3,
        },
        Layout {
            piece: 64,
            slice: 13,
            workers: 2,
        },
        Layout {
            piece: 1 << 30,
            slice: 7,
            workers: 2,
        },
    ];

    /// The checksum and the checked result of `bytes` in `layout`; an
    /// error as its offset and text.
    fn run(bytes: &[u8], layout: Layout) -> (u64, std::result::Result<Vec<u32>, (u64, String)>) {
        let frame = validate_frame(bytes, "t.bph").expect("frame");
        let snap = Snapshot::assemble(bytes, "t.bph", &frame).expect("metadata and lengths");
        let (sum, checked) = pass_in(&bytes[..frame.trailer], Some(&snap), layout);
        let checked = checked.map_err(|e| match &e {
            Error::Snapshot { offset, .. } => (*offset, e.to_string()),
            _ => panic!("not a snapshot error: {e:?}"),
        });
        (sum, checked)
    }

    fn world() -> Vec<u8> {
        crate::world::snapshot()
            .expect("the default world builds")
            .as_bytes()
            .to_vec()
    }

    fn section(bytes: &[u8], id: u32) -> Range<usize> {
        let frame = validate_frame(bytes, "t.bph").expect("frame");
        frame.sections[id as usize].clone()
    }

    #[test]
    fn every_layout_gives_the_file_checksum_and_the_as_numbers() {
        let bytes = world();
        let frame = validate_frame(&bytes, "t.bph").expect("frame");
        let ases = section(&bytes, SEC_ASES);
        let asns: Vec<u32> = bytes[ases]
            .chunks_exact(AS_LEN)
            .map(|r| u32_at(r, 0))
            .collect();
        assert!(asns.len() >= 5);
        for layout in LAYOUTS {
            let (sum, checked) = run(&bytes, layout);
            assert_eq!(
                sum,
                super::super::checksum(&bytes[..frame.trailer]),
                "{layout:?}"
            );
            assert_eq!(sum, frame.stored, "{layout:?}");
            assert_eq!(checked.as_ref(), Ok(&asns), "{layout:?}");
        }
    }

    /// Invalid records in several tables: every layout reports the same
    /// one, the first in the file, at its offset.
    #[test]
    fn every_layout_reports_the_first_invalid_record() {
        let clean = world();
        let at = |id: u32, i: usize, len: usize| section(&clean, id).start + i * len;
        // (record offset, edit offset, bytes written there) of one invalid
        // record each.
        let last_route = at(
            SEC_ROUTES_V6,
            section(&clean, SEC_ROUTES_V6).len() / ROUTE_V6_LEN - 1,
            ROUTE_V6_LEN,
        );
        let first_route = at(SEC_ROUTES, 0, ROUTE_V4_LEN);
        let last_cell = at(
            SEC_CELLS,
            section(&clean, SEC_CELLS).len() / CELL_LEN - 1,
            CELL_LEN,
        );
        let out_of_range = 0xffff_fff0u32.to_le_bytes().to_vec();
        let edits: Vec<(usize, usize, Vec<u8>)> = vec![
            // A cell whose route is out of range.
            (last_cell, last_cell, out_of_range.clone()),
            // An IPv6 route whose AS is out of range.
            (last_route, last_route + 56, out_of_range.clone()),
            // An IPv4 route flagged IPv6.
            (first_route, first_route + 38, vec![ROUTE_V6]),
            // A second AS with the first one's number.
            (
                at(SEC_ASES, 1, AS_LEN),
                at(SEC_ASES, 1, AS_LEN),
                clean[at(SEC_ASES, 0, AS_LEN)..][..4].to_vec(),
            ),
            // An IPv4 interval whose cell is out of range.
            (
                at(SEC_V4_CELLS, 1, 4),
                at(SEC_V4_CELLS, 1, 4),
                out_of_range.clone(),
            ),
            // A timed AS record with a density above 1.
            (
                at(SEC_TIMED_AS, 0, TIMED_AS_LEN),
                at(SEC_TIMED_AS, 0, TIMED_AS_LEN),
                2.0f64.to_le_bytes().to_vec(),
            ),
        ];
        let apply = |bytes: &mut Vec<u8>, (_, off, edit): &(usize, usize, Vec<u8>)| {
            bytes[*off..*off + edit.len()].copy_from_slice(edit);
        };
        for (n, edit) in edits.iter().enumerate() {
            let mut bytes = clean.clone();
            apply(&mut bytes, edit);
            let (_, first) = run(&bytes, LAYOUTS[0]);
            let (offset, message) = first.clone().expect_err("an invalid record is refused");
            assert_eq!(offset, edit.0 as u64, "edit {n}: {message}");
            for layout in &LAYOUTS[1..] {
                assert_eq!(run(&bytes, *layout).1, first, "edit {n}, {layout:?}");
            }
        }
        // All edits at once: the one nearest the start of the file wins.
        let mut bytes = clean.clone();
        for edit in &edits {
            apply(&mut bytes, edit);
        }
        let first = edits.iter().map(|e| e.0).min().expect("edits");
        for layout in LAYOUTS {
            let (offset, message) = run(&bytes, layout).1.expect_err("refused");
            assert_eq!(offset, first as u64, "{layout:?}: {message}");
        }
    }
}
