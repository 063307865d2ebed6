//! Keeping source data fresh: downloads the configured public sources into
//! a folder, as `geoipupdate` does for MaxMind databases.
//!
//! For each source of an [`UpdateConfig`] (TOML, see
//! [`DEFAULT_CONFIG`] for the official URLs), [`Updater::run`]:
//!
//! - sends a **conditional request** (`If-None-Match` with the last ETag,
//!   `If-Modified-Since` with the last `Last-Modified`) when a good copy is
//!   on disk, so that an unchanged source costs one `304 Not Modified`;
//! - streams the body to a temporary file in the same folder, refusing it
//!   past the **size limit** (from `Content-Length` up front, or while
//!   reading) and computing its SHA-256 on the way;
//! - **retries** 5xx answers, timeouts, cut connections and bodies shorter
//!   than their `Content-Length`, with exponential **backoff**;
//! - **verifies a checksum** where the publisher offers one
//!   (`checksum_url`, SHA-256 or MD5, `sha256sum` format);
//! - checks that a source meant for the snapshot is in a format bphscore
//!   recognises (an HTML error page served with `200 OK` is refused);
//! - replaces the file **atomically** (rename in the same folder), so a
//!   failed download always keeps the last good copy.
//!
//! What was fetched, with its ETag, `Last-Modified`, SHA-256, size and the
//! last error, is kept in `DATA/.bphscore-update.json`
//! ([`STATE_FILE`]); `bphscore build --data DATA` reads it to rebuild the
//! snapshot from the good copies.
//!
//! ```
//! use bphscore::update::UpdateConfig;
//!
//! let config = UpdateConfig::from_toml("sources.toml", r#"
//!     [defaults]
//!     retries = 2
//!
//!     [[source]]
//!     name = "drop_v4.json"
//!     url = "https://www.spamhaus.org/drop/drop_v4.json"
//!     kind = "abuse"
//! "#)?;
//! assert_eq!(config.sources().len(), 1);
//!
//! // Errors name the file and the line.
//! let err = UpdateConfig::from_toml("sources.toml", "[[source]]\nname = \"../x\"\nurl = \"https://example.com/x\"\n").unwrap_err();
//! assert!(err.to_string().starts_with("sources.toml:"), "{err}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::error::{Error, Result};
use crate::source::Format;

/// The default configuration: the official URLs of the public sources
/// bphscore reads (ip-location-db, Spamhaus DROP and ASN-DROP, abuse.ch
/// Feodo Tracker, FireHOL, RIR statistics; CAIDA prefix2as commented out
/// because its path is dated).
pub const DEFAULT_CONFIG: &str = include_str!("default-sources.toml");

/// The state file kept in the data folder.
pub const STATE_FILE: &str = ".bphscore-update.json";

/// How `bphscore build --data` uses a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Use {
    /// Routing data (`--routing`).
    Routing,
    /// Geolocation (`--geo`).
    Geo,
    /// Abuse lists (`--abuse`).
    Abuse,
    /// Downloaded only.
    None,
}

/// Settings shared by every source, each overridable per source where it
/// makes sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Defaults {
    /// Largest download accepted, in bytes.
    pub max_bytes: u64,
    /// Further attempts after a failure that may pass (5xx, timeout, cut
    /// body, checksum mismatch).
    pub retries: u32,
    /// The wait before retry `n` is `backoff_ms * 2^(n-1)` milliseconds.
    pub backoff_ms: u64,
    /// Time allowed for one whole download, in seconds.
    pub timeout_secs: u64,
    /// Time allowed to connect, in seconds.
    pub connect_timeout_secs: u64,
    /// Time allowed for a whole download in milliseconds, when set
    /// (overrides `timeout_secs`; for tests and slow links).
    pub timeout_ms: Option<u64>,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            max_bytes: 2 << 30,
            retries: 3,
            backoff_ms: 2000,
            timeout_secs: 600,
            connect_timeout_secs: 30,
            timeout_ms: None,
        }
    }
}

/// The digest a publisher's checksum file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// SHA-256 (`sha256sum` output).
    #[default]
    Sha256,
    /// MD5 (`md5sum` output), as the RIRs publish.
    Md5,
}

/// One source to download.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SourceConfig {
    /// The file name in the data folder (no folders, no leading dot).
    pub name: String,
    /// The `http://` or `https://` URL.
    pub url: String,
    /// How `bphscore build --data` uses it.
    #[serde(default = "default_use")]
    pub kind: Use,
    /// The format, when detection from the content is not wanted.
    #[serde(default)]
    pub format: Option<String>,
    /// The URL of a checksum file for it.
    #[serde(default)]
    pub checksum_url: Option<String>,
    /// The digest of `checksum_url`.
    #[serde(default)]
    pub checksum_algorithm: ChecksumAlgorithm,
    /// A size limit for this source (default: `defaults.max_bytes`).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Set to `false` to skip the source.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_use() -> Use {
    Use::None
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    source: Vec<SourceConfig>,
}

/// A parsed and checked updater configuration.
#[derive(Debug, Clone)]
pub struct UpdateConfig {
    defaults: Defaults,
    sources: Vec<SourceConfig>,
}

impl UpdateConfig {
    /// Parses a TOML configuration; `name` labels errors, which give the
    /// line.
    pub fn from_toml(name: &str, text: &str) -> Result<Self> {
        let line_of =
            |offset: usize| text[..offset.min(text.len())].matches('\n').count() as u64 + 1;
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(s.start));
            Error::parse(name, line, e.message().to_owned())
        })?;
        // Where each source starts, to point errors at it.
        let starts: Vec<u64> = text
            .match_indices("[[source]]")
            .map(|(i, _)| line_of(i))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (i, s) in file.source.iter().enumerate() {
            let line = starts.get(i).copied().unwrap_or(0);
            let bad = |m: String| Err(Error::parse(name, line, m));
            let plain = !s.name.is_empty()
                && !s.name.starts_with('.')
                && !s.name.contains(['/', '\\', '\0'])
                && s.name.len() <= 255;
            if !plain {
                return bad(format!(
                    "source name {:?} must be a plain file name",
                    s.name
                ));
            }
            if !seen.insert(s.name.as_str()) {
                return bad(format!("source name {:?} is used twice", s.name));
            }
            for url in std::iter::once(&s.url).chain(&s.checksum_url) {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return bad(format!("{url:?} is not an http(s) URL"));
                }
            }
            if let Some(f) = &s.format
                && let Err(e) = f.parse::<Format>()
            {
                return bad(e.to_string());
            }
        }
        Ok(UpdateConfig {
            defaults: file.defaults,
            sources: file.source,
        })
    }

    /// Reads a TOML configuration file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        UpdateConfig::from_toml(&path.display().to_string(), &text)
    }

    /// The default configuration ([`DEFAULT_CONFIG`]).
    ///
    /// ```
    /// let config = bphscore::update::UpdateConfig::default_sources();
    /// assert!(config.sources().iter().any(|s| s.url == "https://www.spamhaus.org/drop/drop_v4.json"));
    /// ```
    pub fn default_sources() -> Self {
        // Parsed in a test; a failure here is a bug in the shipped file.
        UpdateConfig::from_toml("default-sources.toml", DEFAULT_CONFIG)
            .unwrap_or_else(|e| panic!("the built-in configuration is invalid: {e}"))
    }

    /// The shared settings.
    pub fn defaults(&self) -> Defaults {
        self.defaults
    }

    /// The sources, in file order.
    pub fn sources(&self) -> &[SourceConfig] {
        &self.sources
    }
}

/// What is known of one downloaded source (kept in [`STATE_FILE`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceState {
    /// The URL it was fetched from.
    pub url: String,
    /// How `bphscore build --data` uses it.
    pub kind: Option<Use>,
    /// The forced format, if any.
    pub format: Option<String>,
    /// The ETag of the copy on disk.
    pub etag: Option<String>,
    /// The `Last-Modified` of the copy on disk.
    pub last_modified: Option<String>,
    /// SHA-256 of the copy on disk (hex).
    pub sha256: Option<String>,
    /// Size of the copy on disk.
    pub bytes: u64,
    /// When the copy on disk was fetched (unix seconds).
    pub fetched_at: Option<i64>,
    /// When the source was last checked (unix seconds).
    pub checked_at: Option<i64>,
    /// The error of the last attempt, if it failed.
    pub last_error: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    format: String,
    version: u32,
    sources: BTreeMap<String, SourceState>,
}

/// Reads the state of a data folder (empty when there is none yet).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// assert!(bphscore::update::read_state(dir.path())?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_state(dir: &Path) -> Result<BTreeMap<String, SourceState>> {
    let path = dir.join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let state: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
                Error::parse(&path.display().to_string(), e.line() as u64, e.to_string())
            })?;
            if state.format != "bphscore-update-state" || state.version != 1 {
                return Err(Error::parse(
                    &path.display().to_string(),
                    0,
                    "not a version 1 bphscore update state",
                ));
            }
            Ok(state.sources)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn write_state(dir: &Path, sources: &BTreeMap<String, SourceState>) -> Result<()> {
    let state = StateFile {
        format: "bphscore-update-state".to_owned(),
        version: 1,
        sources: sources.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&state).map_err(|e| Error::Build {
        message: format!("cannot encode the update state: {e}"),
    })?;
    crate::snapshot::write_atomic(&dir.join(STATE_FILE), &bytes)
}

/// The sources of a data folder that `bphscore build --data` uses: each
/// good copy with its use and, when forced, its format, in name order.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// assert!(bphscore::update::build_sources(dir.path())?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_sources(dir: &Path) -> Result<Vec<(Use, crate::snapshot::SourceSpec)>> {
    let mut out = Vec::new();
    for (name, s) in read_state(dir)? {
        let Some(kind) = s.kind.filter(|k| *k != Use::None) else {
            continue;
        };
        let path = dir.join(&name);
        if s.sha256.is_none() || !path.is_file() {
            continue;
        }
        let format = match &s.format {
            Some(f) => Some(f.parse::<Format>().map_err(|e| {
                Error::parse(
                    &dir.join(STATE_FILE).display().to_string(),
                    0,
                    e.to_string(),
                )
            })?),
            None => None,
        };
        out.push((kind, crate::snapshot::SourceSpec { format, path }));
    }
    Ok(out)
}

/// What happened to one source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// A new copy was saved.
    Updated {
        /// Its size.
        bytes: u64,
        /// Its SHA-256 (hex).
        sha256: String,
    },
    /// The server said the copy on disk is current (`304 Not Modified`).
    Unchanged,
    /// Every attempt failed; the last good copy (if any) is kept.
    Failed {
        /// The last error.
        error: String,
        /// Whether a previous good copy is still in place.
        kept: bool,
    },
    /// The source is disabled in the configuration.
    Skipped,
}

/// The outcome of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The source's name.
    pub name: String,
    /// What happened.
    pub status: Status,
    /// Requests made (1 plus retries).
    pub attempts: u32,
}

/// Downloads the sources of a configuration into a data folder.
#[derive(Debug)]
pub struct Updater {
    config: UpdateConfig,
    dir: PathBuf,
    agent: ureq::Agent,
}

/// An attempt's failure: whether retrying may help.
struct Failure {
    message: String,
    retry: bool,
}

impl Failure {
    fn retry(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            retry: true,
        }
    }

    fn fatal(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            retry: false,
        }
    }
}

fn from_ureq(e: ureq::Error) -> Failure {
    match e {
        ureq::Error::BodyExceedsLimit(n) => {
            Failure::fatal(format!("larger than the limit of {n} bytes"))
        }
        ureq::Error::BadUri(_)
        | ureq::Error::RequireHttpsOnly(_)
        | ureq::Error::TooManyRedirects => Failure::fatal(e.to_string()),
        other => Failure::retry(other.to_string()),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Updater {
    /// An updater writing into `dir` (created if missing).
    pub fn new(config: UpdateConfig, dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let d = config.defaults;
        let timeout = d
            .timeout_ms
            .map_or(Duration::from_secs(d.timeout_secs), Duration::from_millis);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(Duration::from_secs(d.connect_timeout_secs)))
            .user_agent(concat!("bphscore/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Updater { config, dir, agent })
    }

    /// Updates every enabled source, one after the other, and records the
    /// state. A source that fails does not stop the others; its last good
    /// copy stays in place.
    pub fn run(&self) -> Result<Vec<Outcome>> {
        let mut state = read_state(&self.dir)?;
        let mut out = Vec::new();
        for src in &self.config.sources {
            if !src.enabled {
                out.push(Outcome {
                    name: src.name.clone(),
                    status: Status::Skipped,
                    attempts: 0,
                });
                continue;
            }
            let entry = state.entry(src.name.clone()).or_default();
            let outcome = self.update_one(src, entry);
            write_state(&self.dir, &state)?;
            out.push(outcome);
        }
        Ok(out)
    }

    fn update_one(&self, src: &SourceConfig, st: &mut SourceState) -> Outcome {
        let d = self.config.defaults;
        let path = self.dir.join(&src.name);
        // Conditional headers only for the same URL and a copy on disk:
        // a 304 must never leave the folder without the file.
        let have = path.is_file() && st.sha256.is_some() && st.url == src.url;
        let mut attempts = 0;
        let result = loop {
            if attempts > 0 && d.backoff_ms > 0 {
                let factor = 1u64 << (attempts - 1).min(16);
                std::thread::sleep(Duration::from_millis(d.backoff_ms.saturating_mul(factor)));
            }
            attempts += 1;
            match self.fetch(src, st, have, &path) {
                Ok(done) => break Ok(done),
                Err(f) if f.retry && attempts <= d.retries => continue,
                Err(f) => break Err(f.message),
            }
        };
        st.checked_at = Some(now());
        let status = match result {
            Ok(None) => {
                st.last_error = None;
                Status::Unchanged
            }
            Ok(Some(fresh)) => {
                let status = Status::Updated {
                    bytes: fresh.bytes,
                    sha256: fresh.sha256.clone().unwrap_or_default(),
                };
                *st = SourceState {
                    url: src.url.clone(),
                    kind: Some(src.kind),
                    format: src.format.clone(),
                    checked_at: st.checked_at,
                    fetched_at: st.checked_at,
                    ..fresh
                };
                status
            }
            Err(error) => {
                st.last_error = Some(error.clone());
                Status::Failed {
                    error,
                    kept: path.is_file() && st.sha256.is_some(),
                }
            }
        };
        if !matches!(status, Status::Failed { .. }) {
            st.kind = Some(src.kind);
            st.format.clone_from(&src.format);
        }
        Outcome {
            name: src.name.clone(),
            status,
            attempts,
        }
    }

    /// One attempt: `Ok(None)` when unchanged, `Ok(Some(state))` when a new
    /// copy was saved.
    fn fetch(
        &self,
        src: &SourceConfig,
        st: &SourceState,
        have: bool,
        path: &Path,
    ) -> std::result::Result<Option<SourceState>, Failure> {
        let limit = src.max_bytes.unwrap_or(self.config.defaults.max_bytes);
        let mut req = self.agent.get(&src.url);
        if have {
            if let Some(etag) = &st.etag {
                req = req.header("If-None-Match", etag);
            }
            if let Some(lm) = &st.last_modified {
                req = req.header("If-Modified-Since", lm);
            }
        }
        let resp = req.call().map_err(from_ureq)?;
        let status = resp.status().as_u16();
        if status == 304 && have {
            return Ok(None);
        }
        if status == 429 || status >= 500 {
            return Err(Failure::retry(format!("HTTP {status}")));
        }
        if status != 200 {
            return Err(Failure::fatal(format!("HTTP {status}")));
        }
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (etag, last_modified) = (header("etag"), header("last-modified"));
        let length = header("content-length").and_then(|v| v.parse::<u64>().ok());
        if length.is_some_and(|n| n > limit) {
            return Err(Failure::fatal(format!(
                "Content-Length {} exceeds the limit of {limit} bytes",
                length.unwrap_or(0)
            )));
        }
        let mut body = resp.into_body().into_with_config().limit(limit).reader();
        let mut tmp = crate::snapshot::output_tempfile()
            .prefix(".bphscore-download-")
            .tempfile_in(&self.dir)
            .map_err(|e| Failure::fatal(format!("{}: {e}", self.dir.display())))?;
        let mut sha = sha2::Sha256::new();
        let mut md5 = md5::Md5::new();
        let mut head = Vec::new();
        let mut bytes = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    // ureq reports a body over the limit as an I/O error
                    // wrapping its own.
                    let over = e
                        .get_ref()
                        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                        .is_some_and(|u| matches!(u, ureq::Error::BodyExceedsLimit(_)));
                    return Err(if over {
                        Failure::fatal(format!("body exceeds the limit of {limit} bytes"))
                    } else {
                        Failure::retry(format!("body cut after {bytes} bytes: {e}"))
                    });
                }
            };
            let chunk = &buf[..n];
            sha.update(chunk);
            if src.checksum_algorithm == ChecksumAlgorithm::Md5 && src.checksum_url.is_some() {
                md5.update(chunk);
            }
            if head.len() < 1 << 16 {
                head.extend_from_slice(&chunk[..chunk.len().min((1 << 16) - head.len())]);
            }
            tmp.write_all(chunk)
                .map_err(|e| Failure::fatal(format!("{}: {e}", tmp.path().display())))?;
            bytes += n as u64;
        }
        if length.is_some_and(|n| n != bytes) {
            return Err(Failure::retry(format!(
                "body cut: {bytes} of {} bytes",
                length.unwrap_or(0)
            )));
        }
        let sha256 = hex(&sha.finalize());
        if let Some(url) = &src.checksum_url {
            let (want_alg, got) = match src.checksum_algorithm {
                ChecksumAlgorithm::Sha256 => ("SHA-256", sha256.clone()),
                ChecksumAlgorithm::Md5 => ("MD5", hex(&md5.finalize())),
            };
            let published = self.checksum(url, &src.name)?;
            if !published.eq_ignore_ascii_case(&got) {
                return Err(Failure::retry(format!(
                    "{want_alg} {got} does not match the published {published}"
                )));
            }
        }
        // A source meant for the snapshot must look like one of its formats
        // (gzip is checked when built).
        if src.kind != Use::None && src.format.is_none() && !head.starts_with(&[0x1f, 0x8b]) {
            Format::detect(&head)
                .map_err(|e| Failure::fatal(format!("not a format bphscore reads: {e}")))?;
        }
        tmp.as_file()
            .sync_all()
            .map_err(|e| Failure::fatal(e.to_string()))?;
        tmp.persist(path)
            .map_err(|e| Failure::fatal(format!("{}: {}", path.display(), e.error)))?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(Some(SourceState {
            etag,
            last_modified,
            sha256: Some(sha256),
            bytes,
            ..SourceState::default()
        }))
    }

    /// The digest published at `url` for `name`: the line naming the file
    /// in `sha256sum`/`md5sum` output, else the first hex word, also in
    /// the BSD form `MD5 (name) = hex`.
    fn checksum(&self, url: &str, name: &str) -> std::result::Result<String, Failure> {
        let resp = self.agent.get(url).call().map_err(from_ureq)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(Failure::retry(format!("checksum {url}: HTTP {status}")));
        }
        let text = resp
            .into_body()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(from_ureq)?;
        parse_checksum(&text, name)
            .ok_or_else(|| Failure::fatal(format!("no checksum for {name} in {url}")))
    }
}

/// Finds the digest for `name` in checksum-file text.
fn parse_checksum(text: &str, name: &str) -> Option<String> {
    let is_hex = |w: &str| w.len() >= 32 && w.bytes().all(|b| b.is_ascii_hexdigit());
    let mut first = None;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let digest = words.iter().copied().find(|w| is_hex(w));
        let Some(digest) = digest else { continue };
        let names = words.iter().any(|w| {
            let w = w
                .trim_start_matches('*')
                .trim_matches(|c| c == '(' || c == ')');
            w == name || w.rsplit('/').next() == Some(name)
        });
        if names {
            return Some(digest.to_owned());
        }
        first.get_or_insert(digest.to_owned());
    }
    first
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_parses() {
        let c = UpdateConfig::default_sources();
        assert!(c.sources().len() >= 8);
        assert!(
            c.sources()
                .iter()
                .any(|s| s.checksum_algorithm == ChecksumAlgorithm::Md5)
        );
    }

    #[test]
    fn checksum_files_in_the_usual_forms() {
        let h = "a".repeat(64);
        assert_eq!(
            parse_checksum(&format!("{h}  drop.json\n"), "drop.json"),
            Some(h.clone())
        );
        let other = "b".repeat(64);
        assert_eq!(
            parse_checksum(&format!("{other}  x\n{h} *drop.json\n"), "drop.json"),
            Some(h.clone())
        );
        let md5 = "c".repeat(32);
        assert_eq!(
            parse_checksum(
                &format!("MD5 (delegated-latest) = {md5}\n"),
                "delegated-latest"
            ),
            Some(md5)
        );
        assert_eq!(parse_checksum("no digest here", "x"), None);
    }

    #[test]
    fn config_errors_point_at_the_line() {
        let e = UpdateConfig::from_toml("c.toml", "[defaults]\nretries = \"x\"\n").unwrap_err();
        assert_eq!(e.line(), Some(2), "{e}");
        let two = "[[source]]\nname = \"a\"\nurl = \"https://h/a\"\n\n[[source]]\nname = \"a\"\nurl = \"https://h/b\"\n";
        let e = UpdateConfig::from_toml("c.toml", two).unwrap_err();
        assert_eq!(e.line(), Some(5), "{e}");
        let e =
            UpdateConfig::from_toml("c.toml", "[[source]]\nname = \"a\"\nurl = \"ftp://h/a\"\n")
                .unwrap_err();
        assert!(e.to_string().contains("not an http"), "{e}");
        let e = UpdateConfig::from_toml(
            "c.toml",
            "[[source]]\nname = \"a\"\nurl = \"https://h/a\"\nformat = \"xml\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown format"), "{e}");
        let e = UpdateConfig::from_toml(
            "c.toml",
            "[[source]]\nname = \"a\"\nurl = \"https://h/a\"\nmirror = 1\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("mirror"), "{e}");
    }
}
