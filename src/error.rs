//! The one public error type.

use std::path::PathBuf;

/// Everything that can go wrong in bphscore.
///
/// Every variant that comes from reading data names where the problem is:
/// the source (a file name or a label given by the caller) and the line
/// number or the byte offset. The enum is `#[non_exhaustive]`: match it with
/// a wildcard arm.
///
/// # Example
///
/// ```
/// use bphscore::{Error, Snapshot};
///
/// let err = Snapshot::from_bytes(b"not a snapshot".to_vec()).unwrap_err();
/// assert!(matches!(err, Error::Snapshot { .. }));
/// assert!(err.to_string().contains("offset 0"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A record of a source could not be parsed.
    #[error("{source_name}:{line}: {message}")]
    Parse {
        /// The source: a file name or a label.
        source_name: String,
        /// One-based line number (0 when the whole source is concerned).
        line: u64,
        /// What is wrong with the record.
        message: String,
    },
    /// The format of a source could not be recognised from its content.
    #[error(
        "{source_name}: cannot recognise the format ({hint}); name it explicitly as FORMAT:PATH, \
         one of {}",
        crate::source::Format::NAMES.join(", ")
    )]
    UnknownFormat {
        /// The source: a file name or a label.
        source_name: String,
        /// What was seen at the start of the source.
        hint: String,
    },
    /// A configured resource limit was exceeded.
    #[error("{source_name}:{line}: {what} exceeds the limit of {limit}")]
    Limit {
        /// The source: a file name or a label.
        source_name: String,
        /// One-based line number where the limit was hit (0 when unknown).
        line: u64,
        /// Which limit.
        what: &'static str,
        /// The configured limit.
        limit: u64,
    },
    /// A snapshot file is truncated, corrupted or otherwise invalid.
    #[error("snapshot {source_name}: at byte offset {offset}: {message}")]
    Snapshot {
        /// The snapshot file name, or `<bytes>`.
        source_name: String,
        /// Byte offset in the snapshot where the problem was found.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A snapshot was written in another format version: an older one
    /// (rebuild it from its sources with this build) or a newer or unknown
    /// one (upgrade bphscore).
    #[error(
        "snapshot {source_name}: format version {found} is not supported (this build reads version {supported}); {}",
        version_hint(*found, *supported)
    )]
    UnsupportedVersion {
        /// The snapshot file name, or `<bytes>`.
        source_name: String,
        /// The version found in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// A model file is invalid or does not match the feature schema.
    #[error("model {source_name}: {message}")]
    Model {
        /// The model file name, or a label.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// Building a snapshot was asked for something it cannot do.
    #[error("build: {message}")]
    Build {
        /// What is wrong.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Io`] for `path`.
    ///
    /// ```
    /// let e = bphscore::Error::from_io("x.csv", std::io::Error::other("boom"));
    /// assert_eq!(e.to_string(), "x.csv: boom");
    /// ```
    pub fn from_io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::io(path, source)
    }

    pub(crate) fn parse(source_name: &str, line: u64, message: impl Into<String>) -> Self {
        Error::Parse {
            source_name: source_name.to_owned(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn snapshot(source_name: &str, offset: u64, message: impl Into<String>) -> Self {
        Error::Snapshot {
            source_name: source_name.to_owned(),
            offset,
            message: message.into(),
        }
    }

    pub(crate) fn model(source_name: &str, message: impl Into<String>) -> Self {
        Error::Model {
            source_name: source_name.to_owned(),
            message: message.into(),
        }
    }

    /// The one-based line number this error points at, when it has one.
    ///
    /// ```
    /// use bphscore::SnapshotBuilder;
    ///
    /// let mut builder = SnapshotBuilder::new();
    /// let err = builder
    ///     .add_reader("list.netset", Some("firehol".parse()?), &b"192.0.2.1\nnonsense\n"[..])
    ///     .unwrap_err();
    /// assert_eq!(err.line(), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn line(&self) -> Option<u64> {
        match self {
            Error::Parse { line, .. } | Error::Limit { line, .. } if *line > 0 => Some(*line),
            _ => None,
        }
    }
}

/// The result type of bphscore.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to do about a snapshot of another format version.
fn version_hint(found: u32, supported: u32) -> &'static str {
    if found < supported {
        "rebuild it from its sources with this version (`bphscore build`)"
    } else {
        "upgrade bphscore"
    }
}
