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
        use sha2::Digest;
        let index = self.sources.len();
        if index >= usize::from(compile::NO_SOURCE) {
            return Err(Error::Build {
                message: format!("{name}: too many sources"),
            });
        }
        if bytes.len() as u64 > self.limits.decompressed() {
            return Err(Error::Limit {
                source_name: name.to_owned(),
                line: 0,
                what: "decompressed size",
                limit: self.limits.decompressed(),
            });
        }
        let (records, date) = source::read_mmdb(name, bytes, self.limits)?;
        let sha256: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if let Some(dup) = self.sources.iter().find(|s| s.sha256 == sha256) {
            return Err(Error::Build {
                message: format!(
                    "{name} has the same content as {} (SHA-256 {sha256}); each source may be added once",
                    dup.name
                ),
            });
        }
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
        for record in records {
            stage(&mut self.inputs, record, index as u16, None);
        }
        self.sources.push(info);
        Ok(&self.sources[index])
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
        if format == Some(Format::Mmdb)
            || (format.is_none() && name.to_ascii_lowercase().ends_with(".mmdb"))
        {
            let mut bytes = Vec::new();
            let limit = self.limits.decompressed();
            reader
                .take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(name, e))?;
            return self.add_mmdb(name, &bytes);
        }
        let opened = source::open(name, reader, format, self.limits)?;
        let format = opened.format;
        let kind = format.kind();
        if history && !matches!(format, Format::Pfx2as | Format::AsRel) {
            return Err(Error::Build {
                message: format!(
                    "{name} is a {format} source; a dated series holds CAIDA prefix2as and AS-relationship files"
                ),
            });
        }
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
        let index = self.sources.len();
        if index >= usize::from(compile::NO_SOURCE) {
            return Err(Error::Build {
                message: format!("{name}: too many sources"),
            });
        }
        let mut parser = Parser::new(name, format, opened.reader, self.limits);
        let mut staged = Inputs::default();
        let mut skipped = 0u64;
        let mut duplicates = 0u64;
        for item in parser.by_ref() {
            let record = match item {
                Ok(r) => r,
                Err(e @ Error::Limit { .. }) => return Err(e),
                Err(e) if self.lenient && e.line().is_some() => {
                    skipped += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            match record {
                Record::Indicator(i) => {
                    if let Some(b) = timed_bit {
                        staged.timed.add_indicator(&i, b);
                    }
                }
                // Aggregated per domain as it streams: never held per record.
                Record::DnsObservation(o) => {
                    if staged.timed.add_dns(&o) {
                        duplicates += 1;
                    }
                }
                record => stage(&mut staged, record, index as u16, bit),
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
        drop(digest);
        // A routing table can stay the same from one date to the next: the
        // snapshots of a dated series may repeat each other's content.
        let repeats_on_another_date = |s: &SourceInfo| {
            matches!(format, Format::Pfx2as | Format::AsRel)
                && s.format == info.format
                && s.date.is_some()
                && s.date != info.date
        };
        if info.bytes > 0
            && let Some(dup) = self
                .sources
                .iter()
                .find(|s| s.sha256 == info.sha256 && !repeats_on_another_date(s))
        {
            return Err(Error::Build {
                message: format!(
                    "{name} has the same content as {} (SHA-256 {}); each source may be added once",
                    dup.name, info.sha256
                ),
            });
        }
        if let Some(bit) = bit {
            self.abuse_sources += 1;
            match kind {
                SourceKind::Drop => self.inputs.drop_bits |= 1 << bit,
                SourceKind::Blocklist => self.inputs.list_bits |= 1 << bit,
                _ => {}
            }
        }
        if let Some(date) = date {
            if format == Format::Pfx2as {
                self.inputs
                    .series
                    .add_routes(date, index as u16, !history, &staged.routes);
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
        self.inputs.routes.append(&mut staged.routes);
        self.inputs.protected.append(&mut staged.protected);
        self.inputs.geo.append(&mut staged.geo);
        self.inputs.listings.append(&mut staged.listings);
        self.inputs.asn_listings.append(&mut staged.asn_listings);
        self.inputs.whois.append(std::mem::take(&mut staged.whois));
        self.inputs.timed.append(std::mem::take(&mut staged.timed));
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
