//! Firewall and IDS exports: the addresses a snapshot scores at or above a
//! class or probability, as the smallest exact set of CIDR blocks, written
//! in the formats of the tools that enforce them.
//!
//! | [`Format`] | for | what is written |
//! |---|---|---|
//! | `nft` | nftables | a `table inet` with `flags interval` sets, flushed and refilled in one transaction (`nft -f FILE`) |
//! | `ipset` | iptables + ipset | `ipset restore` input: `create … hash:net family inet\|inet6`, filled through a temporary set and swapped in atomically |
//! | `suricata` | Suricata IP reputation | the `ip,category,score` file (score 1–127) and, apart, `categories.txt` ([`Export::write_suricata_categories`]) |
//! | `zeek` | Zeek Intel framework | TSV with `#fields indicator indicator_type meta.source meta.desc`, `Intel::SUBNET` / `Intel::ADDR` |
//! | `cidr` | anything else | one CIDR per line |
//!
//! ## How addresses are selected
//!
//! A snapshot partitions the address space into intervals whose addresses
//! all share the same features ([`crate::Snapshot::intervals_v4`]), so one
//! address scored per interval scores every address of it. An interval is
//! selected when its [`Class`] is at least the [`Selection`]'s minimum
//! class (ordered `unknown` < `clean` < `abused-legitimate` <
//! `bph-reseller` < `bulletproof`) and its probability at least the minimum
//! probability. Adjacent selected intervals are merged, and each merged
//! range is cut into its minimal exact CIDR cover ([`cidr_cover`]).
//!
//! ## Guard rails
//!
//! The cover is **exact**: an exported block never reaches an address that
//! was not selected, so a verdict on a bad block inside a cloud or a CDN
//! never spills over the rest of the provider's space (no rounding up to a
//! /24 or to the announced prefix). Ranges given to [`Export::protect`]
//! (for example your own networks, resolvers or CDN ranges) are never
//! exported at all.
//!
//! Ranges built into the snapshot under guard rails (clouds, CDNs and
//! anycast services, `bphscore build --protect`) are exported no wider than
//! their listed addresses: an interval inside one is kept only when it is
//! itself listed, and it is never merged with its neighbours, so the export
//! is limited to the smallest listed prefixes.
//!
//! Formats that carry a label per entry (Suricata's category and score,
//! Zeek's description) only merge neighbours that share that label, so
//! they may hold a few more blocks than the plain formats.
//!
//! ```
//! use bphscore::export::{Export, Format, Selection};
//! use bphscore::{Class, Detector};
//!
//! let detector = Detector::default_world()?;
//! let export = Export::select(&detector, Selection::default().min_class(Class::BphReseller));
//! let blocks = export.cidrs();
//! assert!(blocks.iter().any(|n| n.to_string() == "198.18.200.0/24"));
//!
//! let mut nft = Vec::new();
//! export.write(Format::Nft, &mut nft)?;
//! let nft = String::from_utf8(nft)?;
//! assert!(nft.contains("flags interval"));
//! assert!(nft.contains("198.18.200.0/24"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cidr;
mod write;

use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;
use rayon::prelude::*;

pub use cidr::cidr_cover;

use crate::error::{Error, Result};
use crate::features::Feature;
use crate::score::{Class, Detector};
use crate::snapshot;

/// An address family.
///
/// ```
/// use bphscore::export::Family;
/// assert_eq!("4".parse::<Family>()?, Family::V4);
/// assert_eq!("ipv6".parse::<Family>()?, Family::V6);
/// assert!("5".parse::<Family>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl std::str::FromStr for Family {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "4" | "v4" | "ipv4" | "inet" => Ok(Family::V4),
            "6" | "v6" | "ipv6" | "inet6" => Ok(Family::V6),
            _ => Err(Error::Build {
                message: format!("unknown address family {s:?}; use 4 or 6"),
            }),
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        })
    }
}

/// Which addresses to export: a minimum class, a minimum probability and
/// optionally one address family.
///
/// The default selects `bph-reseller` and `bulletproof` addresses of both
/// families, whatever their probability.
///
/// ```
/// use bphscore::export::{Family, Selection};
/// use bphscore::Class;
///
/// let s = Selection::default().min_class(Class::Bulletproof).min_probability(0.9).family(Family::V4);
/// assert!(s.accepts(Class::Bulletproof, 0.95));
/// assert!(!s.accepts(Class::Bulletproof, 0.5));
/// assert!(!s.accepts(Class::BphReseller, 0.99));
/// assert!(Selection::default().accepts(Class::BphReseller, 0.1));
/// assert!(!Selection::default().accepts(Class::AbusedLegitimate, 1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use]
pub struct Selection {
    min_class: Class,
    min_probability: f64,
    family: Option<Family>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            min_class: Class::BphReseller,
            min_probability: 0.0,
            family: None,
        }
    }
}

/// The order of classes for a minimum: how bad a verdict is.
fn severity(class: Class) -> u8 {
    match class {
        Class::Unknown => 0,
        Class::Clean => 1,
        Class::AbusedLegitimate => 2,
        Class::BphReseller => 3,
        Class::Bulletproof => 4,
    }
}

impl Selection {
    /// Selects addresses of this class or a worse one.
    pub fn min_class(mut self, class: Class) -> Self {
        self.min_class = class;
        self
    }

    /// Selects addresses whose probability is at least `p` (clamped to
    /// [0, 1]; NaN counts as 0).
    pub fn min_probability(mut self, p: f64) -> Self {
        self.min_probability = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        self
    }

    /// Selects one address family only.
    pub fn family(mut self, family: Family) -> Self {
        self.family = Some(family);
        self
    }

    /// Whether an address with this verdict is selected.
    pub fn accepts(&self, class: Class, probability: f64) -> bool {
        severity(class) >= severity(self.min_class) && probability >= self.min_probability
    }

    /// Whether addresses of `family` are selected at all.
    ///
    /// ```
    /// use bphscore::export::{Family, Selection};
    /// assert!(Selection::default().includes(Family::V6));
    /// assert!(!Selection::default().family(Family::V4).includes(Family::V6));
    /// ```
    pub fn includes(&self, family: Family) -> bool {
        self.family.is_none_or(|f| f == family)
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "min-class {}, min-prob {}, family {}",
            self.min_class,
            self.min_probability,
            self.family
                .map_or_else(|| "ipv4+ipv6".to_owned(), |x| x.to_string())
        )
    }
}

/// A selected range of addresses that share one verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    start: u128,
    end: u128,
    class: Class,
    probability: f64,
    /// Inside a range under guard rails: exported on its own, never merged.
    guarded: bool,
}

/// The export formats.
///
/// ```
/// use bphscore::export::Format;
/// assert_eq!("nft".parse::<Format>()?, Format::Nft);
/// assert_eq!(Format::Suricata.to_string(), "suricata");
/// assert!("pf".parse::<Format>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// nftables: a table with `flags interval` sets, loadable by `nft -f`.
    Nft,
    /// `ipset restore` input with `hash:net` sets.
    Ipset,
    /// Suricata IP reputation `ip,category,score` lines.
    Suricata,
    /// Zeek Intel framework TSV.
    Zeek,
    /// One CIDR per line.
    Cidr,
}

impl Format {
    /// Every format, in the order of the table above.
    pub const ALL: [Format; 5] = [
        Format::Nft,
        Format::Ipset,
        Format::Suricata,
        Format::Zeek,
        Format::Cidr,
    ];

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Nft => "nft",
            Format::Ipset => "ipset",
            Format::Suricata => "suricata",
            Format::Zeek => "zeek",
            Format::Cidr => "cidr",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::Build {
                message: format!(
                    "unknown export format {s:?}; use nft, ipset, suricata, zeek or cidr"
                ),
            })
    }
}

/// Counts of one export, for reports: how many of the snapshot's intervals
/// were selected, and how many CIDR blocks they take before and after
/// adjacent intervals are merged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
    /// Intervals of the snapshot that were scored.
    pub intervals: usize,
    /// Intervals selected (after protected ranges were taken out).
    pub selected: usize,
    /// CIDR blocks when each selected interval is covered on its own.
    pub cidrs_before: usize,
    /// CIDR blocks after adjacent selected intervals are merged
    /// ([`Export::cidrs`]).
    pub cidrs_after: usize,
}

/// One exported block with its verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Entry {
    /// The block.
    pub network: IpNetwork,
    /// The verdict of its addresses.
    pub class: Class,
    /// The probability of its addresses (the highest, where neighbours with
    /// the same label were merged).
    pub probability: f64,
}

/// The addresses a detector selects, ready to be written in any
/// [`Format`].
#[derive(Debug, Clone)]
pub struct Export {
    v4: Vec<Run>,
    v6: Vec<Run>,
    selection: Selection,
    intervals: usize,
    protected: usize,
    name: String,
    build_time: i64,
    as_of: Option<i64>,
    checksum: u64,
}

impl Export {
    /// Scores one address of every interval of the detector's snapshot (on
    /// all cores) and keeps those the selection accepts.
    pub fn select<S: AsRef<[u8]> + Sync>(detector: &Detector<S>, selection: Selection) -> Export {
        let snap = detector.snapshot();
        let mut intervals = 0;
        let mut pick = |v6: bool| -> Vec<Run> {
            let family = if v6 { Family::V6 } else { Family::V4 };
            if !selection.includes(family) {
                return Vec::new();
            }
            let ranges: Vec<(u128, u128)> = if v6 {
                snap.intervals_v6()
                    .map(|r| (u128::from(*r.start()), u128::from(*r.end())))
                    .collect()
            } else {
                snap.intervals_v4()
                    .map(|r| {
                        (
                            u128::from(u32::from(*r.start())),
                            u128::from(u32::from(*r.end())),
                        )
                    })
                    .collect()
            };
            intervals += ranges.len();
            let picked: Vec<Option<Run>> = ranges
                .par_iter()
                .map(|&(start, end)| {
                    let ip = if v6 {
                        IpAddr::V6(start.into())
                    } else {
                        IpAddr::V4((start as u32).into())
                    };
                    let score = detector.score_ip(ip);
                    let f = |x: Feature| score.features.get(x);
                    let guarded = f(Feature::GuardProtected) >= 1.0;
                    // Guard rails: in a cloud's, CDN's or anycast range only
                    // the listed addresses themselves may be exported.
                    let listed = f(Feature::IpListed) > 0.0 || f(Feature::PrefixInDrop) > 0.0;
                    (selection.accepts(score.class, score.probability) && (listed || !guarded))
                        .then_some(Run {
                            start,
                            end,
                            class: score.class,
                            probability: score.probability,
                            guarded,
                        })
                })
                .collect();
            picked.into_iter().flatten().collect()
        };
        let v4 = pick(false);
        let v6 = pick(true);
        Export {
            v4,
            v6,
            selection,
            intervals,
            protected: 0,
            name: "bphscore".to_owned(),
            build_time: snap.build_time(),
            as_of: snap.as_of(),
            checksum: snap.checksum(),
        }
    }

    /// Takes `networks` out of the export: no exported block will hold any
    /// of their addresses.
    ///
    /// ```
    /// use bphscore::export::{Export, Selection};
    /// use bphscore::Detector;
    ///
    /// let detector = Detector::default_world()?;
    /// let mut export = Export::select(&detector, Selection::default());
    /// export.protect(&["198.18.200.128/25".parse()?]);
    /// let blocks: Vec<String> = export.cidrs().iter().map(|n| n.to_string()).collect();
    /// assert!(blocks.contains(&"198.18.200.0/25".to_owned()));
    /// assert!(!blocks.iter().any(|b| b.starts_with("198.18.200.128")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn protect(&mut self, networks: &[IpNetwork]) {
        for v6 in [false, true] {
            let mut cut: Vec<(u128, u128)> = networks
                .iter()
                .filter(|n| n.is_ipv6() == v6)
                .map(|n| {
                    let (s, _) = snapshot::ip_to_u128(n.network());
                    let (e, _) = snapshot::ip_to_u128(n.broadcast());
                    (s, e)
                })
                .collect();
            cut.sort_unstable();
            self.protected += cut.len();
            let runs = if v6 { &mut self.v6 } else { &mut self.v4 };
            *runs = subtract(runs, &cut);
        }
    }

    /// Names the exported objects: the nftables table and sets
    /// (`NAME_v4`, `NAME_v6`), the ipset sets, and Zeek's `meta.source`.
    /// Letters, digits, `_` and `-` only, at most 24 characters (so that
    /// ipset's 31-character names fit); the default is `bphscore`.
    ///
    /// ```
    /// use bphscore::export::{Export, Selection};
    ///
    /// let export = Export::select(&bphscore::Detector::default_world()?, Selection::default());
    /// assert!(export.clone().name("blocklist").is_ok());
    /// assert!(export.name("no spaces").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(mut self, name: &str) -> Result<Self> {
        let ok = !name.is_empty()
            && name.len() <= 24
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return Err(Error::Build {
                message: format!(
                    "export name {name:?} must start with a letter and hold at most 24 letters, digits, '_' or '-'"
                ),
            });
        }
        self.name = name.to_owned();
        Ok(self)
    }

    /// The selection this export was made with.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// The minimal exact CIDR cover of the selected addresses, IPv4 first,
    /// each family in address order. No two blocks overlap, and no two
    /// could be merged into one.
    pub fn cidrs(&self) -> Vec<IpNetwork> {
        let mut out = Vec::new();
        for (runs, v6) in [(&self.v4, false), (&self.v6, true)] {
            for_each_block(
                runs,
                v6,
                |_| (),
                |net, len, _| out.push(snapshot::to_network(net, len, v6)),
            );
        }
        out
    }

    /// The exported blocks with their verdicts, merging neighbours only
    /// when they share a class and a Suricata score (the probability in
    /// steps of 1/127), as the labelled formats write them.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        for (runs, v6) in [(&self.v4, false), (&self.v6, true)] {
            for_each_block(runs, v6, label_key, |net, len, run| {
                out.push(Entry {
                    network: snapshot::to_network(net, len, v6),
                    class: run.class,
                    probability: run.probability,
                })
            });
        }
        out
    }

    /// Counts for reports.
    ///
    /// ```
    /// use bphscore::export::{Export, Selection};
    ///
    /// let export = Export::select(&bphscore::Detector::default_world()?, Selection::default());
    /// let stats = export.stats();
    /// assert!(stats.selected > 0 && stats.selected < stats.intervals);
    /// assert_eq!(stats.cidrs_after, export.cidrs().len());
    /// assert!(stats.cidrs_after <= stats.cidrs_before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> ExportStats {
        let mut before = 0;
        for (runs, v6) in [(&self.v4, false), (&self.v6, true)] {
            for r in runs {
                cidr::cover_range(r.start, r.end, v6, |_, _| before += 1);
            }
        }
        ExportStats {
            intervals: self.intervals,
            selected: self.v4.len() + self.v6.len(),
            cidrs_before: before,
            cidrs_after: self.cidrs().len(),
        }
    }

    /// Writes the export in `format`, with a header comment naming the
    /// snapshot (build time, checksum) and the selection.
    ///
    /// For [`Format::Suricata`] this is the reputation file; write the
    /// categories file with [`Export::write_suricata_categories`].
    pub fn write(&self, format: Format, out: impl std::io::Write) -> std::io::Result<()> {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
        match format {
            Format::Nft => write::nft(self, &mut out)?,
            Format::Ipset => write::ipset(self, &mut out)?,
            Format::Suricata => write::suricata(self, &mut out)?,
            Format::Zeek => write::zeek(self, &mut out)?,
            Format::Cidr => write::cidr(self, &mut out)?,
        }
        std::io::Write::flush(&mut out)
    }

    /// Writes Suricata's `categories.txt`: one category per class, with
    /// ids that never change (1 `bulletproof`, 2 `bph-reseller`,
    /// 3 `abused-legitimate`, 4 `clean`, 5 `unknown`), so that rules such
    /// as `iprep:dst,bulletproof,>,100` keep working across exports.
    ///
    /// ```
    /// use bphscore::export::{Export, Selection};
    ///
    /// let export = Export::select(&bphscore::Detector::default_world()?, Selection::default());
    /// let mut out = Vec::new();
    /// export.write_suricata_categories(&mut out)?;
    /// assert!(String::from_utf8(out)?.contains("\n1,bulletproof,"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_suricata_categories(&self, out: impl std::io::Write) -> std::io::Result<()> {
        write::suricata_categories(self, out)
    }

    fn header(&self, what: &str) -> Vec<String> {
        let date = crate::source::format_date;
        let stats = self.stats();
        let mut lines = vec![
            format!("bphscore {} export ({what})", env!("CARGO_PKG_VERSION")),
            format!(
                "snapshot: built {}, evidence as of {}, checksum {:016x}",
                date(self.build_time),
                self.as_of.map_or_else(|| "unknown".to_owned(), date),
                self.checksum
            ),
            format!("selection: {}", self.selection),
            format!(
                "{} of the snapshot's {} intervals selected; the blocks below cover exactly their addresses, nothing more",
                stats.selected, stats.intervals
            ),
        ];
        if self.protected > 0 {
            lines.push(format!("protected ranges never listed: {}", self.protected));
        }
        lines
    }
}

/// Reads a list of networks to protect ([`Export::protect`]): one IP
/// address or CIDR per line; blank lines and comments (`#` or `;` to the
/// end of the line) are skipped, as in FireHOL netsets and Spamhaus lists.
/// `name` labels errors, which give the line.
///
/// ```
/// use bphscore::export::read_networks;
///
/// let nets = read_networks("protect.txt", &b"# ours\n192.0.2.0/24 ; office\n\n2001:db8::1\n"[..])?;
/// assert_eq!(nets.len(), 2);
/// let err = read_networks("protect.txt", &b"192.0.2.0/24\nnot-a-network\n"[..]).unwrap_err();
/// assert_eq!(err.line(), Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_networks(name: &str, input: impl std::io::Read) -> Result<Vec<IpNetwork>> {
    use std::io::BufRead;
    const MAX_LINE: u64 = 4096;
    let mut reader = std::io::BufReader::new(input);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = std::io::Read::take(&mut reader, MAX_LINE + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(name, e))?;
        if n == 0 {
            return Ok(out);
        }
        line += 1;
        if buf.len() as u64 > MAX_LINE {
            return Err(Error::Limit {
                source_name: name.to_owned(),
                line,
                what: "line length",
                limit: MAX_LINE,
            });
        }
        let text = std::str::from_utf8(&buf).map_err(|_| Error::parse(name, line, "not UTF-8"))?;
        let text = text.split(['#', ';']).next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let net = text
            .parse::<IpNetwork>()
            .ok()
            .filter(|n| n.network() == n.ip())
            .ok_or_else(|| {
                Error::parse(
                    name,
                    line,
                    format!("not an IP address or CIDR block: {text:?}"),
                )
            })?;
        out.push(net);
    }
}

/// The label that Suricata and Zeek entries carry: neighbours merge only
/// when it is equal.
fn label_key(run: &Run) -> (Class, u8) {
    (run.class, write::reputation(run.probability))
}

/// Merges adjacent runs with the same `key` and calls `emit` for each block
/// of the merged ranges' minimal covers, with the run that gives the label
/// (the one with the highest probability).
fn for_each_block<K: PartialEq>(
    runs: &[Run],
    v6: bool,
    key: impl Fn(&Run) -> K,
    mut emit: impl FnMut(u128, u8, &Run),
) {
    let mut i = 0;
    while i < runs.len() {
        let mut best = runs[i];
        let k = key(&runs[i]);
        let start = runs[i].start;
        let mut end = runs[i].end;
        let mut j = i + 1;
        while j < runs.len()
            && end != u128::MAX
            && runs[j].start == end + 1
            && key(&runs[j]) == k
            && !runs[i].guarded
            && !runs[j].guarded
        {
            end = runs[j].end;
            if runs[j].probability > best.probability {
                best = runs[j];
            }
            j += 1;
        }
        cidr::cover_range(start, end, v6, |net, len| emit(net, len, &best));
        i = j;
    }
}

/// `runs` without the addresses of `cut` (sorted by start; may overlap).
fn subtract(runs: &[Run], cut: &[(u128, u128)]) -> Vec<Run> {
    let mut out = Vec::with_capacity(runs.len());
    let mut c = 0;
    for run in runs {
        let mut start = run.start;
        let mut open = true;
        // Cuts ending before this run can be forgotten: runs are sorted.
        while c < cut.len() && cut[c].1 < run.start {
            c += 1;
        }
        let mut k = c;
        while open && k < cut.len() && cut[k].0 <= run.end {
            let (cs, ce) = cut[k];
            if cs > start {
                out.push(Run {
                    start,
                    end: cs - 1,
                    ..*run
                });
            }
            if ce >= run.end {
                open = false;
            } else {
                start = start.max(ce + 1);
            }
            k += 1;
        }
        if open {
            out.push(Run { start, ..*run });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: u128, end: u128) -> Run {
        Run {
            start,
            end,
            class: Class::Bulletproof,
            probability: 1.0,
            guarded: false,
        }
    }

    #[test]
    fn guarded_runs_are_never_merged() {
        let mut runs = [run(0, 127), run(128, 255), run(256, 511)];
        let mut blocks = Vec::new();
        for_each_block(&runs, false, |_| (), |n, l, _| blocks.push((n, l)));
        assert_eq!(blocks, vec![(0, 23)]);
        runs[1].guarded = true;
        blocks.clear();
        for_each_block(&runs, false, |_| (), |n, l, _| blocks.push((n, l)));
        assert_eq!(blocks, vec![(0, 25), (128, 25), (256, 24)]);
    }

    #[test]
    fn subtract_cuts_holes_and_edges() {
        let runs = [run(10, 20), run(30, 40), run(50, 60)];
        let out = subtract(&runs, &[(0, 12), (15, 16), (35, 55)]);
        let spans: Vec<_> = out.iter().map(|r| (r.start, r.end)).collect();
        assert_eq!(spans, [(13, 14), (17, 20), (30, 34), (56, 60)]);
        // Overlapping cuts.
        let out = subtract(&[run(0, 100)], &[(10, 50), (20, 30), (40, 60)]);
        let spans: Vec<_> = out.iter().map(|r| (r.start, r.end)).collect();
        assert_eq!(spans, [(0, 9), (61, 100)]);
    }

    #[test]
    fn merging_respects_labels() {
        let mut b = run(16, 31);
        b.class = Class::BphReseller;
        let runs = [run(0, 15), b];
        let mut plain = Vec::new();
        for_each_block(&runs, false, |_| (), |n, l, _| plain.push((n, l)));
        assert_eq!(plain, [(0, 27)]);
        let mut labelled = Vec::new();
        for_each_block(&runs, false, label_key, |n, l, r| {
            labelled.push((n, l, r.class))
        });
        assert_eq!(
            labelled,
            [(0, 28, Class::Bulletproof), (16, 28, Class::BphReseller)]
        );
    }
}
