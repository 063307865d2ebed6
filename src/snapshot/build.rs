//! Building snapshots from sources.

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use super::{Meta, Snapshot, VERSION, write};
use crate::error::{Error, Result};
use crate::features::compile::{self, Inputs, RouteIn};
use crate::source::{self, Format, Limits, Parser, Record, SourceInfo, SourceKind};

/// Ingests sources and compiles them into a [`Snapshot`].
///
/// Each source is streamed once, line by line; its format is detected from
/// its content unless given, and gzip is decompressed on the fly. A bad
/// record fails the whole source with its file name and line, unless the
/// builder is [`lenient`](SnapshotBuilder::lenient), in which case bad
/// records are skipped and counted in [`SourceInfo::skipped`].
///
/// ```
/// use bphscore::SnapshotBuilder;
///
/// let mut builder = SnapshotBuilder::new().build_time(1_794_000_000);
/// builder.add_reader("routes.pfx2as", None, &b"198.18.0.0\t20\t64502\n"[..])?;
/// builder.add_reader("drop.txt", None, &b"198.18.0.0/22 ; SBL600001\n"[..])?;
/// let snapshot = builder.build()?;
/// assert_eq!(snapshot.counts().routes, 1);
/// assert_eq!(snapshot.sources()[1].format.name(), "drop-text");
///
/// // Bad records name their source and line.
/// let err = SnapshotBuilder::new()
///     .add_reader("routes.pfx2as", None, &b"198.18.0.0\t20\t64502\n198.18.16.0\t99\t1\n"[..])
///     .unwrap_err();
/// assert_eq!(err.to_string(), "routes.pfx2as:2: prefix length 99 too long for 198.18.16.0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    limits: Limits,
    lenient: bool,
    build_time: Option<i64>,
    sources: Vec<SourceInfo>,
    inputs: Inputs,
    abuse_sources: u32,
    /// Sources of time-aware evidence (abuse feeds, passive DNS) so far.
    timed_sources: u32,
}

/// A source file given as `PATH` or `FORMAT:PATH`.
///
/// ```
/// use bphscore::snapshot::SourceSpec;
///
/// let spec: SourceSpec = "pfx2as:data/routes.txt".parse()?;
/// assert_eq!(spec.format.map(|f| f.name()), Some("pfx2as"));
/// assert_eq!(spec.path.to_str(), Some("data/routes.txt"));
/// let plain: SourceSpec = "C:/odd:name.csv".parse()?;
/// assert!(plain.format.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceSpec {
    /// The format, when named.
    pub format: Option<Format>,
    /// The file.
    pub path: std::path::PathBuf,
}

impl SourceSpec {
    /// A source file, its format detected from its content unless given.
    ///
    /// ```
    /// use bphscore::snapshot::SourceSpec;
    /// use bphscore::source::Format;
    ///
    /// let spec = SourceSpec::new("data/routes.txt", Some(Format::Pfx2as));
    /// assert_eq!(spec, "pfx2as:data/routes.txt".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(path: impl Into<std::path::PathBuf>, format: Option<Format>) -> Self {
        SourceSpec {
            format,
            path: path.into(),
        }
    }
}

impl std::str::FromStr for SourceSpec {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        if let Some((f, p)) = s.split_once(':')
            && let Ok(format) = f.parse::<Format>()
        {
            return Ok(SourceSpec {
                format: Some(format),
                path: p.into(),
            });
        }
        Ok(SourceSpec {
            format: None,
            path: s.into(),
        })
    }
}

impl SnapshotBuilder {
    /// A builder with default [`Limits`], strict parsing and the current
    /// time (or `SOURCE_DATE_EPOCH` when set) as build time.
    pub fn new() -> Self {
        SnapshotBuilder::default()
    }

    /// Sets the resource limits applied to each source.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Skips bad records instead of failing (they are counted per source).
    #[must_use]
    pub fn lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// Sets the build time (unix seconds) recorded in the snapshot, for
    /// reproducible builds.
    #[must_use]
    pub fn build_time(mut self, unix_seconds: i64) -> Self {
        self.build_time = Some(unix_seconds);
        self
    }

    /// Sets the reference time (unix seconds) of time-aware evidence: ages,
    /// decay and the horizon are measured from it, and evidence first seen
    /// after it is dropped. Default: the newest source's date.
    ///
    /// ```
    /// use bphscore::SnapshotBuilder;
    /// use bphscore::features::TimePolicy;
    ///
    /// let mut policy = TimePolicy::default();
    /// policy.half_life_days = 14.0;
    /// let mut builder = SnapshotBuilder::new().as_of(1_794_470_400).time_policy(policy);
    /// builder.add_reader("routes.pfx2as", None, &b"198.18.0.0\t20\t64502\n"[..])?;
    /// builder.add_reader(
    ///     "c2.csv",
    ///     None,
    ///     &b"indicator,first_seen,last_seen,category,source\n198.18.1.1,2026-11-01,2026-11-12,c2,x\n"[..],
    /// )?;
    /// let snapshot = builder.build()?;
    /// assert_eq!(snapshot.as_of(), Some(1_794_470_400));
    /// assert_eq!(snapshot.timed_summary().unwrap().indicators_kept, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_of(mut self, unix_seconds: i64) -> Self {
        self.inputs.as_of = Some(unix_seconds);
        self
    }

    /// Sets the half-life and horizon of time-aware evidence.
    #[must_use]
    pub fn time_policy(mut self, policy: crate::features::TimePolicy) -> Self {
        self.inputs.policy = policy;
        self
    }

    /// The sources added so far.
    pub fn sources(&self) -> &[SourceInfo] {
        &self.sources
    }

    /// Adds a source file, detecting its format unless `format` is given.
    ///
    /// ```no_run
    /// let mut builder = bphscore::SnapshotBuilder::new();
    /// builder.add_path("data/asn-ipv4.csv", None)?;
    /// builder.build()?.write("world.bph")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_path(
        &mut self,
        path: impl AsRef<Path>,
        format: Option<Format>,
    ) -> Result<&SourceInfo> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mmdb = format == Some(Format::Mmdb)
            || (format.is_none() && name.to_ascii_lowercase().ends_with(".mmdb"));
        if mmdb {
            // SAFETY: read-only map of a source file, only read while this
            // call runs; the MMDB reader bounds-checks every access.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
            return self.add_mmdb(&name, &map[..]);
        }
        self.add_reader(&name, format, file)
    }

    /// Adds an MMDB file (MaxMind GeoIP2/GeoLite2 Country, ASN or
    /// Anonymous-IP; DB-IP and ip-location-db publish the same format):
    /// geolocated countries, AS origins and the hosting and anonymiser
    /// flags. `name` labels it; its date is the database's `build_epoch`.
    ///
    /// An MMDB file is read whole: a broken one fails with its name, lenient
    /// or not.
    ///
    /// ```
    /// let mut b = bphscore::SnapshotBuilder::new();
    /// let err = b.add_mmdb("GeoLite2-Country.mmdb", b"not a database").unwrap_err();
    /// assert!(err.to_string().starts_with("GeoLite2-Country.mmdb"));
    /// ```
    pub fn add_mmdb(&mut self, name: &str, bytes: &[u8]) -> Result<&SourceInfo> {
        let parsed = parse_mmdb(name, bytes, self.limits);
        self.merge(parsed)
    }

    /// Adds a source read from `reader`. `name` labels it in errors and in
    /// the snapshot (a `YYYYMMDD` in it dates the data when the content
    /// does not).
    pub fn add_reader(
        &mut self,
        name: &str,
        format: Option<Format>,
        reader: impl Read,
    ) -> Result<&SourceInfo> {
        self.add_source(name, format, reader, false, None)
    }

    /// Adds one snapshot of a dated series: a CAIDA prefix2as file or an
    /// AS-relationship file. Its date is the date in its content or its
    /// name (`routeviews-rv2-20260101-1200.pfx2as`, `20260101.as-rel.txt`),
    /// else `date`; a snapshot without a date is refused.
    ///
    /// The prefix2as files of the latest date are the current routing;
    /// earlier ones only give the behaviour of each AS (churn, short-lived
    /// announcements, multiple origins). AS-relationship files give its
    /// upstreams, their changes and how lax they are. An AS-relationship
    /// file given to [`add_reader`](SnapshotBuilder::add_reader) joins the
    /// series the same way.
    ///
    /// ```
    /// use bphscore::{Detector, Model, SnapshotBuilder};
    ///
    /// let mut b = SnapshotBuilder::new().build_time(1_794_000_000);
    /// b.add_dated("routeviews-rv2-20261001-1200.pfx2as", None, &b"198.18.0.0\t20\t64502\n"[..], None)?;
    /// b.add_dated("routeviews-rv2-20261101-1200.pfx2as", None, &b"198.18.0.0\t24\t64502\n"[..], None)?;
    /// b.add_dated("20261001.as-rel.txt", None, &b"64500|64502|-1\n"[..], None)?;
    /// b.add_dated("20261101.as-rel.txt", None, &b"64501|64502|-1\n"[..], None)?;
    /// let detector = Detector::new(b.build()?, Model::default_model());
    /// let asn = "AS64502".parse()?;
    /// let score = detector.score(&asn);
    /// assert_eq!(score.features.get(bphscore::features::Feature::BgpUpstreams), 2.0);
    /// assert_eq!(score.features.get(bphscore::features::Feature::BgpRewiring), 2.0);
    /// // The latest snapshot is the routing: a /24, not the /20.
    /// assert_eq!(detector.score(&"198.18.1.1".parse()?).asn, None);
    ///
    /// let mut undated = SnapshotBuilder::new();
    /// let err = undated.add_dated("routes.pfx2as", None, &b"198.18.0.0\t20\t1\n"[..], None);
    /// assert!(err.unwrap_err().to_string().contains("date"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_dated(
        &mut self,
        name: &str,
        format: Option<Format>,
        reader: impl Read,
        date: Option<i64>,
    ) -> Result<&SourceInfo> {
        self.add_source(name, format, reader, true, date)
    }

    /// Adds an MRT RIB dump (RouteViews `rib.YYYYMMDD.HHMM`, RIPE RIS
    /// `bview.YYYYMMDD.HHMM`; plain or gzip'd, bzip2 must be decompressed
    /// first) as one snapshot of the dated series: per prefix every origin
    /// any peer saw, and per AS path the AS before the origin as one of the
    /// origin's upstreams. Its date is its earliest record's time, else the
    /// name's `YYYYMMDD`, else `date`. Needs the cargo feature `mrt`.
    ///
    /// ```
    /// let mut b = bphscore::SnapshotBuilder::new();
    /// // Not MRT: refused with the file's name (or, built without the
    /// // `mrt` feature, because MRT needs it).
    /// let err = b.add_mrt("rib.20261101.0000", &b"not an MRT dump"[..], None).unwrap_err();
    /// assert!(err.to_string().contains("rib.20261101.0000"), "{err}");
    /// ```
    pub fn add_mrt(
        &mut self,
        name: &str,
        reader: impl Read,
        date: Option<i64>,
    ) -> Result<&SourceInfo> {
        #[cfg(not(feature = "mrt"))]
        {
            let _ = (reader, date);
            Err(Error::Build {
                message: format!(
                    "{name}: reading MRT dumps needs bphscore built with the `mrt` feature"
                ),
            })
        }
        #[cfg(feature = "mrt")]
        {
            let index = self.sources.len();
            if index >= usize::from(compile::NO_SOURCE) {
                return Err(Error::Build {
                    message: format!("{name}: too many sources"),
                });
            }
            let opened = source::open(name, reader, Some(Format::Mrt), self.limits)?;
            let rib = source::read_mrt(name, opened.reader, self.limits)?;
            let (records, links, rib_date) = (rib.routes, rib.links, rib.date);
            let Some(date) = rib_date.or_else(|| source::date_from_name(name)).or(date) else {
                return Err(Error::Build {
                    message: format!("{name}: an MRT dump without a date needs one given (--date)"),
                });
            };
            let mut staged = Inputs::default();
            for record in records {
                stage(&mut staged, record, index as u16, None);
            }
            let digest = opened.digest.borrow();
            let info = SourceInfo {
                name: name.to_owned(),
                format: Format::Mrt,
                date: Some(date),
                sha256: digest.hex(),
                bytes: digest.bytes,
                records: staged.routes.len() as u64,
                skipped: 0,
                duplicates: 0,
            };
            drop(digest);
            if let Some(dup) = self.sources.iter().find(|s| s.sha256 == info.sha256) {
                return Err(Error::Build {
                    message: format!(
                        "{name} has the same content as {} (SHA-256 {}); each source may be added once",
                        dup.name, info.sha256
                    ),
                });
            }
            self.inputs
                .series
                .add_routes(date, index as u16, false, &staged.routes);
            self.inputs.series.add_links(date, links);
            self.sources.push(info);
            Ok(&self.sources[index])
        }
    }

    /// Adds a list of ranges under guard rails (clouds, CDNs, anycast
    /// services): one IP or CIDR per line, `#` or `;` comments. Their
    /// listings count for the range alone, never for its route or its AS,
    /// and their verdict is at most `abused-legitimate`.
    ///
    /// ```
    /// use bphscore::{Class, Detector, Model, SnapshotBuilder};
    ///
    /// let routes = b"198.18.0.0\t16\t64501\n";
    /// let listed = b"198.18.7.0/24\n";
    /// let mut b = SnapshotBuilder::new().build_time(1_794_000_000);
    /// b.add_reader("r.pfx2as", None, &routes[..])?;
    /// b.add_reader("abuse.netset", None, &listed[..])?;
    /// b.add_protected("anycast.txt", &b"198.18.7.0/24 # anycast DNS\n"[..])?;
    /// let detector = Detector::new(b.build()?, Model::default_model());
    /// let score = detector.score(&"198.18.7.1".parse()?);
    /// assert!(matches!(score.class, Class::AbusedLegitimate | Class::Clean));
    /// // The AS is not blamed for the range's listings.
    /// assert_eq!(detector.score(&"AS64501".parse()?).class, Class::Clean);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_protected(&mut self, name: &str, reader: impl Read) -> Result<&SourceInfo> {
        self.add_source(name, Some(Format::Protect), reader, false, None)
    }

    fn add_source(
        &mut self,
        name: &str,
        format: Option<Format>,
        reader: impl Read,
        history: bool,
        given_date: Option<i64>,
    ) -> Result<&SourceInfo> {
        let parsed = parse_source(
            name,
            format,
            reader,
            Dating {
                history,
                given_date,
            },
            self.limits,
            self.lenient,
        );
        self.merge(parsed)
    }

    /// Adds several source files, parsing them on several threads: each
    /// source is read and parsed on its own, then added in the order given,
    /// so the snapshot is the same as when adding them one by one with
    /// [`add_path`](SnapshotBuilder::add_path) (bar MMDB files, read whole
    /// rather than mapped). On an error the sources before the failing one
    /// stay added and the error is the one adding them one by one would
    /// give: the first in the order given.
    ///
    /// ```
    /// use bphscore::SnapshotBuilder;
    /// use bphscore::snapshot::SourceSpec;
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("routes.pfx2as"), "198.18.0.0\t20\t64502\n")?;
    /// std::fs::write(dir.path().join("drop.txt"), "198.18.0.0/22 ; SBL600001\n")?;
    /// let specs = [
    ///     SourceSpec::new(dir.path().join("routes.pfx2as"), None),
    ///     SourceSpec::new(dir.path().join("drop.txt"), None),
    /// ];
    /// let mut builder = SnapshotBuilder::new().build_time(1_794_000_000);
    /// let added = builder.add_paths(&specs)?;
    /// assert_eq!(added[1].format.name(), "drop-text");
    /// assert_eq!(builder.build()?.counts().routes, 1);
    ///
    /// // The first error in the order given wins; the sources before it stay added.
    /// std::fs::write(dir.path().join("bad.pfx2as"), "198.18.0.0\t99\t1\n")?;
    /// let mut builder = SnapshotBuilder::new();
    /// let specs = [
    ///     SourceSpec::new(dir.path().join("routes.pfx2as"), None),
    ///     SourceSpec::new(dir.path().join("bad.pfx2as"), None),
    ///     SourceSpec::new(dir.path().join("missing.txt"), None),
    /// ];
    /// let err = builder.add_paths(&specs).unwrap_err();
    /// assert!(err.to_string().starts_with("bad.pfx2as:1: "), "{err}");
    /// assert_eq!(builder.sources().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_paths(&mut self, specs: &[SourceSpec]) -> Result<Vec<SourceInfo>> {
        let mut added = Vec::with_capacity(specs.len());
        self.add_paths_with(
            specs,
            |_, file| file,
            |_, info| {
                added.push(info.clone());
                Ok(())
            },
        )?;
        Ok(added)
    }

    /// [`add_paths`](SnapshotBuilder::add_paths) with two hooks: `wrap`
    /// turns each opened file into the reader parsed (to show progress,
    /// say), on the thread parsing it; `added` is called on the calling
    /// thread as each source is added, in the order given, and an error it
    /// returns stops there, as an error of the source would.
    ///
    /// ```
    /// use bphscore::SnapshotBuilder;
    /// use bphscore::snapshot::SourceSpec;
    /// use bphscore::source::SourceKind;
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("routes.pfx2as"), "198.18.0.0\t20\t64502\n")?;
    /// let specs = [SourceSpec::new(dir.path().join("routes.pfx2as"), None)];
    /// let mut builder = SnapshotBuilder::new();
    /// let mut kinds = Vec::new();
    /// builder.add_paths_with(&specs, |_, file| std::io::BufReader::new(file), |i, info| {
    ///     kinds.push((i, info.kind()));
    ///     Ok(())
    /// })?;
    /// assert_eq!(kinds, [(0, SourceKind::Routing)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_paths_with<R, W, F>(
        &mut self,
        specs: &[SourceSpec],
        wrap: W,
        mut added: F,
    ) -> Result<()>
    where
        R: Read,
        W: Fn(usize, std::fs::File) -> R + Sync,
        F: FnMut(usize, &SourceInfo) -> Result<()>,
    {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

        let (limits, lenient) = (self.limits, self.lenient);
        let parse = |i: usize| -> Parsed {
            let spec = &specs[i];
            let path = spec.path.as_path();
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            match std::fs::File::open(path) {
                Ok(file) => parse_source(
                    &name,
                    spec.format,
                    wrap(i, file),
                    Dating::default(),
                    limits,
                    lenient,
                ),
                Err(e) => Parsed::Early(Error::io(path, e)),
            }
        };
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(specs.len());
        if workers <= 1 {
            for i in 0..specs.len() {
                let info = self.merge(parse(i))?;
                added(i, info)?;
            }
            return Ok(());
        }
        // Workers take the sources in order; this thread adds them in
        // order as they arrive, so that at most the sources parsed ahead of
        // the one being waited for are held.
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::channel::<(usize, Parsed)>();
            for _ in 0..workers {
                let tx = tx.clone();
                let (next, stop, parse) = (&next, &stop, &parse);
                scope.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= specs.len() || tx.send((i, parse(i))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let mut ahead: std::collections::BTreeMap<usize, Parsed> = Default::default();
            let result = (|| {
                for i in 0..specs.len() {
                    let parsed = loop {
                        if let Some(p) = ahead.remove(&i) {
                            break p;
                        }
                        match rx.recv() {
                            Ok((j, p)) => {
                                ahead.insert(j, p);
                            }
                            // Unreachable while sources remain: every
                            // worker sends each source it takes.
                            Err(_) => {
                                return Err(Error::Build {
                                    message: "a source was lost while parsing".to_owned(),
                                });
                            }
                        }
                    };
                    let info = self.merge(parsed)?;
                    added(i, info)?;
                }
                Ok(())
            })();
            // Workers stop after the source they are parsing.
            stop.store(true, Ordering::Relaxed);
            drop(rx);
            result
        })
    }

    /// Adds a parsed source: numbers it (source index, abuse bit) after the
    /// sources already added, checks it against them and merges its
    /// records. The checks and their order are those of adding the source
    /// whole, so errors do not depend on where it was parsed.
    fn merge(&mut self, parsed: Parsed) -> Result<&SourceInfo> {
        match parsed {
            Parsed::Early(e) => Err(e),
            Parsed::Mmdb { name, result } => self.merge_mmdb(&name, result),
            Parsed::Text(text) => self.merge_text(*text),
        }
    }

    fn check_index(&self, name: &str) -> Result<usize> {
        let index = self.sources.len();
        if index >= usize::from(compile::NO_SOURCE) {
            return Err(Error::Build {
                message: format!("{name}: too many sources"),
            });
        }
        Ok(index)
    }

    fn check_unique(&self, info: &SourceInfo, repeats_allowed: bool) -> Result<()> {
        // A routing table can stay the same from one date to the next: the
        // snapshots of a dated series may repeat each other's content.
        let repeats_on_another_date = |s: &SourceInfo| {
            repeats_allowed && s.format == info.format && s.date.is_some() && s.date != info.date
        };
        if let Some(dup) = self
            .sources
            .iter()
            .find(|s| s.sha256 == info.sha256 && !repeats_on_another_date(s))
        {
            return Err(Error::Build {
                message: format!(
                    "{} has the same content as {} (SHA-256 {}); each source may be added once",
                    info.name, dup.name, info.sha256
                ),
            });
        }
        Ok(())
    }

    fn merge_mmdb(&mut self, name: &str, result: Result<MmdbRead>) -> Result<&SourceInfo> {
        let index = self.check_index(name)?;
        let MmdbRead { records, info } = result?;
        self.check_unique(&info, false)?;
        for record in records {
            stage(&mut self.inputs, record, index as u16, None);
        }
        self.sources.push(info);
        Ok(&self.sources[index])
    }

    fn merge_text(&mut self, text: TextParsed) -> Result<&SourceInfo> {
        let TextParsed {
            name,
            format,
            history,
            result,
        } = text;
        let kind = format.kind();
        let bit = match kind {
            SourceKind::Blocklist | SourceKind::Drop | SourceKind::AsnDrop => {
                if self.abuse_sources >= 64 {
                    return Err(Error::Build {
                        message: format!(
                            "{name}: a snapshot holds at most 64 abuse sources; merge lists first"
                        ),
                    });
                }
                Some(self.abuse_sources as u8)
            }
            _ => None,
        };
        let timed_bit = match kind {
            SourceKind::AbuseFeed | SourceKind::PassiveDns => {
                if self.timed_sources >= 64 {
                    return Err(Error::Build {
                        message: format!(
                            "{name}: a snapshot holds at most 64 abuse-feed and passive-DNS sources"
                        ),
                    });
                }
                Some(self.timed_sources as u8)
            }
            _ => None,
        };
        let index = self.check_index(&name)?;
        let TextStaged { mut staged, info } = result?;
        if info.bytes > 0 {
            self.check_unique(&info, matches!(format, Format::Pfx2as | Format::AsRel))?;
        }
        // Staged as source 0 with abuse bit 0: numbered now.
        let source = index as u16;
        staged.routes.iter_mut().for_each(|r| r.source = source);
        staged.whois.set_source(source);
        if let Some(bit) = bit {
            staged.listings.iter_mut().for_each(|l| l.3 = bit);
            staged.asn_listings.iter_mut().for_each(|l| l.3 = bit);
            self.abuse_sources += 1;
            match kind {
                SourceKind::Drop => self.inputs.drop_bits |= 1 << bit,
                SourceKind::Blocklist => self.inputs.list_bits |= 1 << bit,
                _ => {}
            }
        }
        if let Some(b) = timed_bit {
            staged.timed.set_source_bit(b);
        }
        if let Some(date) = info.date {
            if format == Format::Pfx2as {
                self.inputs
                    .series
                    .add_routes(date, source, !history, &staged.routes);
            }
            if format == Format::AsRel {
                self.inputs
                    .series
                    .add_links(date, std::mem::take(&mut staged.links));
            }
        }
        if history {
            staged.routes.clear();
        }
        let inputs = &mut self.inputs;
        append(&mut inputs.routes, &mut staged.routes);
        append(&mut inputs.protected, &mut staged.protected);
        append(&mut inputs.geo, &mut staged.geo);
        append(&mut inputs.listings, &mut staged.listings);
        append(&mut inputs.asn_listings, &mut staged.asn_listings);
        inputs.whois.append(std::mem::take(&mut staged.whois));
        inputs.timed.append(std::mem::take(&mut staged.timed));
        if let Some(b) = timed_bit {
            self.timed_sources += 1;
            if kind == SourceKind::PassiveDns {
                self.inputs.timed.pdns_bits |= 1 << b;
            }
        }
        self.sources.push(info);
        Ok(&self.sources[index])
    }

    /// Compiles the sources into a snapshot held in memory. Write it with
    /// [`Snapshot::write`].
    pub fn build(self) -> Result<Snapshot<Vec<u8>>> {
        let build_time = self.build_time.unwrap_or_else(|| {
            std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| chrono::Utc::now().timestamp())
        });
        let mut inputs = self.inputs;
        let as_of = inputs
            .as_of
            .or_else(|| self.sources.iter().filter_map(|s| s.date).max());
        inputs.as_of = as_of;
        let tables = compile::compile(inputs);
        let meta = Meta {
            format: "bphscore-snapshot".to_owned(),
            version: VERSION,
            created_by: format!("bphscore {}", env!("CARGO_PKG_VERSION")),
            as_of,
            sources: self.sources,
            timed: Some(tables.timed.summary.clone()),
        };
        let meta_json = to_json(&meta)?;
        let bytes = write::encode(&tables, &meta_json, build_time);
        drop(tables);
        Snapshot::with_name(bytes, "<built>")
    }
}

/// Appends `from` to `into`, taking its buffer whole when `into` is empty:
/// the first large source (hundreds of thousands of routes) is moved, not
/// copied.
fn append<T>(into: &mut Vec<T>, from: &mut Vec<T>) {
    if into.is_empty() {
        std::mem::swap(into, from);
    } else {
        into.append(from);
    }
}

/// How a source is dated: as one snapshot of a dated series or not, and
/// the date given for it.
#[derive(Debug, Clone, Copy, Default)]
struct Dating {
    history: bool,
    given_date: Option<i64>,
}

/// A source read and parsed on its own, before it is added (numbered after
/// the sources already added, checked against them and merged).
enum Parsed {
    /// Failed before any check against the sources added: opening,
    /// reading, format detection, or a dated series of the wrong format.
    Early(Error),
    /// An MMDB file.
    Mmdb {
        name: String,
        result: Result<MmdbRead>,
    },
    /// A text source (the boxed part is large).
    Text(Box<TextParsed>),
}

struct MmdbRead {
    records: Vec<Record>,
    info: SourceInfo,
}

struct TextParsed {
    name: String,
    format: Format,
    history: bool,
    /// The records staged as source 0 with abuse bit 0, or the first error.
    result: Result<TextStaged>,
}

struct TextStaged {
    staged: Inputs,
    info: SourceInfo,
}

/// Reads an MMDB file whole (the checks against the sources added are
/// left to the merge).
fn parse_mmdb(name: &str, bytes: &[u8], limits: Limits) -> Parsed {
    use sha2::Digest;
    let result = (|| {
        if bytes.len() as u64 > limits.decompressed() {
            return Err(Error::Limit {
                source_name: name.to_owned(),
                line: 0,
                what: "decompressed size",
                limit: limits.decompressed(),
            });
        }
        let (records, date) = source::read_mmdb(name, bytes, limits)?;
        let sha256: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let info = SourceInfo {
            name: name.to_owned(),
            format: Format::Mmdb,
            date,
            sha256,
            bytes: bytes.len() as u64,
            records: records.len() as u64,
            skipped: 0,
            duplicates: 0,
        };
        Ok(MmdbRead { records, info })
    })();
    Parsed::Mmdb {
        name: name.to_owned(),
        result,
    }
}

/// Reads and parses one source, needing nothing of the builder but its
/// limits and leniency, so that sources can be parsed on several threads.
fn parse_source(
    name: &str,
    format: Option<Format>,
    reader: impl Read,
    dating: Dating,
    limits: Limits,
    lenient: bool,
) -> Parsed {
    let Dating {
        history,
        given_date,
    } = dating;
    if format == Some(Format::Mmdb)
        || (format.is_none() && name.to_ascii_lowercase().ends_with(".mmdb"))
    {
        let mut bytes = Vec::new();
        let limit = limits.decompressed();
        if let Err(e) = reader.take(limit.saturating_add(1)).read_to_end(&mut bytes) {
            return Parsed::Early(Error::io(name, e));
        }
        return parse_mmdb(name, &bytes, limits);
    }
    let opened = match source::open(name, reader, format, limits) {
        Ok(o) => o,
        Err(e) => return Parsed::Early(e),
    };
    let format = opened.format;
    let kind = format.kind();
    if history && !matches!(format, Format::Pfx2as | Format::AsRel) {
        return Parsed::Early(Error::Build {
            message: format!(
                "{name} is a {format} source; a dated series holds CAIDA prefix2as and AS-relationship files"
            ),
        });
    }
    let abuse = matches!(
        kind,
        SourceKind::Blocklist | SourceKind::Drop | SourceKind::AsnDrop
    );
    let timed = matches!(kind, SourceKind::AbuseFeed | SourceKind::PassiveDns);
    let result = (|| {
        let mut parser = Parser::new(name, format, opened.reader, limits);
        let mut staged = Inputs::default();
        let mut skipped = 0u64;
        let mut duplicates = 0u64;
        for item in parser.by_ref() {
            let record = match item {
                Ok(r) => r,
                Err(e @ Error::Limit { .. }) => return Err(e),
                Err(e) if lenient && e.line().is_some() => {
                    skipped += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            match record {
                Record::Indicator(i) => {
                    if timed {
                        staged.timed.add_indicator(&i, 0);
                    }
                }
                // Aggregated per domain as it streams: never held per record.
                Record::DnsObservation(o) => {
                    if staged.timed.add_dns(&o) {
                        duplicates += 1;
                    }
                }
                record => stage(&mut staged, record, 0, abuse.then_some(0)),
            }
        }
        let records = parser.records();
        let date = parser
            .date()
            .or_else(|| source::date_from_name(name))
            .or(given_date);
        let dated_series = history || format == Format::AsRel;
        if dated_series && date.is_none() {
            return Err(Error::Build {
                message: format!(
                    "{name}: a snapshot of a dated series needs a date: a YYYYMMDD in its name (20260101.as-rel.txt) or given (--date)"
                ),
            });
        }
        let digest = opened.digest.borrow();
        let info = SourceInfo {
            name: name.to_owned(),
            format,
            date,
            sha256: digest.hex(),
            bytes: digest.bytes,
            records,
            skipped,
            duplicates,
        };
        Ok(TextStaged { staged, info })
    })();
    Parsed::Text(Box::new(TextParsed {
        name: name.to_owned(),
        format,
        history,
        result,
    }))
}

fn to_json(meta: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(meta).map_err(|e| Error::Build {
        message: format!("cannot encode metadata: {e}"),
    })
}

fn bounds(range: source::IpRange) -> (bool, u128, u128) {
    let (s, v6) = super::ip_to_u128(range.first());
    let (e, _) = super::ip_to_u128(range.last());
    (v6, s, e)
}

fn stage(inputs: &mut Inputs, record: Record, source: u16, bit: Option<u8>) {
    match record {
        Record::Route {
            range,
            origin,
            as_name,
            multi_origin,
            other_origins,
        } => {
            let (v6, start, end) = bounds(range);
            inputs.routes.push(RouteIn {
                v6,
                start,
                end,
                asn: origin.get(),
                name: as_name,
                multi_origin,
                other_origins: other_origins.iter().map(|a| a.get()).collect(),
                source,
            });
        }
        Record::AsLink { a, b, kind } => {
            if kind == source::Relationship::ProviderCustomer {
                inputs.links.push((b.get(), a.get()));
            }
        }
        Record::Protected { range } => {
            inputs.protected.push(bounds(range));
        }
        Record::Geolocation {
            range,
            country,
            flags,
        } => {
            let (v6, s, e) = bounds(range);
            if let Some(cc) = country {
                inputs.located.push((v6, s, e, cc.to_bytes()));
            }
            if !flags.is_empty() {
                inputs.geo_flags.push((v6, s, e, flags.bits()));
            }
        }
        Record::Country { range, country } => {
            let (v6, s, e) = bounds(range);
            inputs.geo.push((v6, s, e, country.to_bytes()));
        }
        Record::Listing { range, .. } => {
            if let Some(bit) = bit {
                let (v6, s, e) = bounds(range);
                inputs.listings.push((v6, s, e, bit));
            }
        }
        Record::AsnListing {
            asn,
            as_name,
            country,
        } => {
            if let Some(bit) = bit {
                inputs
                    .asn_listings
                    .push((asn.get(), as_name, country.map(|c| c.to_bytes()), bit));
            }
        }
        // Registered origins are not announcements: kept out of routing.
        Record::RouteObject { .. } => {}
        other => inputs.whois.stage(other, source),
    }
}
