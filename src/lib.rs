//! # bphscore
//!
//! Scores how likely an IP address, a prefix or an autonomous system is to
//! be **bulletproof hosting** (a provider that knowingly shelters malware,
//! C2, phishing and spam) or **abused legitimate hosting** (a normal
//! provider with a pocket of abuse), with a probability, a verdict
//! ([`Class`]) and the reasons behind it: which signal, from which source,
//! of which date.
//!
//! Data flows one way, and the modules follow it:
//!
//! 1. [`source`]: streaming parsers of the published formats (ip-location-db
//!    and CAIDA routing data: prefix2as, AS relationships, AS2org; MMDB
//!    geolocation; Spamhaus DROP and ASN-DROP, FireHOL lists; registry
//!    dumps; abuse.ch and AbuseIPDB feeds; passive DNS in the Common Output
//!    Format; MRT RIB dumps with the feature `mrt`);
//! 2. [`features`]: the signals derived from them (announced space, abuse
//!    density normalised by announced space, DROP membership, registry
//!    signals, time-decayed abuse compared with peers of similar size,
//!    passive-DNS churn and fast flux, routing dynamics over dated series,
//!    geolocation, guard rails for clouds, CDNs and anycast ranges);
//! 3. [`snapshot`]: the compiled, versioned, checksummed knowledge file,
//!    opened by memory map, with longest-prefix match over IPv4 and IPv6;
//! 4. [`score`]: the model and the [`Detector`] that scores subjects;
//! 5. [`batch`]: line-oriented batch scoring (CSV, JSON lines, table), and
//!    the `bphscore` command-line tool on top;
//! 6. [`export`]: firewall and IDS exports (nftables, ipset, Suricata,
//!    Zeek, CIDR lists) of the addresses a snapshot selects;
//! 7. [`update`]: downloads the public sources into a data folder
//!    (conditional requests, retries, checksums, atomic replacement);
//! 8. [`live`]: live DNS evidence (reverse DNS, DNSBL, origin AS) kept apart
//!    from the snapshot's features; the resolver needs the feature `dns`.
//!
//! ## Quick start
//!
//! ```
//! use bphscore::{Class, Detector, Subject};
//!
//! // The embedded default world: a small synthetic Internet in reserved space.
//! let detector = Detector::default_world()?;
//! let subject: Subject = "198.18.3.7".parse()?;
//! let score = detector.score(&subject);
//! assert_eq!(score.class, Class::Bulletproof);
//! for reason in score.reasons.iter() {
//!     println!("{:+.2}  {}", reason.contribution, reason.explain());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Building a snapshot from files and scoring with it:
//!
//! ```no_run
//! use bphscore::{Detector, Model, Snapshot, SnapshotBuilder};
//!
//! let mut builder = SnapshotBuilder::new();
//! builder.add_path("data/asn-ipv4.csv", None)?;          // format detected from content
//! builder.add_path("data/drop_v4.json", None)?;
//! builder.build()?.write("world.bph")?;                   // atomic: temp file, fsync, rename
//!
//! let detector = Detector::new(Snapshot::open("world.bph")?, Model::default_model());
//! let score = detector.score_ip("192.0.2.1".parse()?);
//! println!("{} {:.3}", score.class, score.probability);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Cargo features
//!
//! - `dns`: live DNS evidence (`live::LiveDns`, `bphscore live`), through
//!   `hickory-resolver`.
//! - `mrt`: MRT RIB dumps as dated routing snapshots
//!   ([`SnapshotBuilder::add_mrt`], `bphscore build --mrt`), through
//!   `bgpkit-parser` without its default features.
//!
//! ## Thread safety
//!
//! [`Snapshot`] and [`Detector`] are immutable, `Send` and `Sync`: share one
//! across threads. [`Detector::score_batch`] scores on all cores with rayon.
//!
//! ## Performance
//!
//! [`Detector::lookup`] answers an address with its probability and class
//! in tens of nanoseconds (a search laid out for the cache, then one load)
//! and keeps a handle for [`Detector::explain`]; [`Detector::score_ip`]
//! gives everything at once. Neither allocates. `benches/score.rs`
//! measures them beside `maxminddb` and `prefix-trie` (criterion). Large
//! tables read at random are faster in huge pages: see [`huge_pages`].

#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod batch;
pub mod entity;
mod error;
pub mod export;
pub mod features;
pub mod huge_pages;
pub mod live;
mod number;
pub mod score;
pub mod snapshot;
pub mod source;
mod subject;
pub mod train;
pub mod update;
pub mod world;

pub use error::{Error, Result};
pub use score::{Class, Detector, Model, ModelKind, Reason, Score, Verdict};
pub use snapshot::{Snapshot, SnapshotBuilder};
pub use subject::{Asn, Country, ParseAsnError, ParseSubjectError, Subject};

// The README's Rust examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
