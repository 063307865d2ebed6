//! Label files: `subject,label` lines.

use std::collections::HashMap;
use std::io::BufRead;

use crate::error::{Error, Result};
use crate::score::Class;
use crate::subject::Subject;

/// One labelled subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// One-based line number in the label file.
    pub line: u64,
    /// The subject: an address, a prefix or an AS.
    pub subject: Subject,
    /// Its class (never [`Class::Unknown`]).
    pub class: Class,
}

impl Label {
    /// Whether the label is a positive for the binary model: `bulletproof`
    /// or `bph-reseller`.
    pub fn is_positive(&self) -> bool {
        matches!(self.class, Class::Bulletproof | Class::BphReseller)
    }
}

/// A parsed label file.
///
/// ```
/// use bphscore::train::Labels;
/// use bphscore::Class;
///
/// let text = "subject,label\n# comment\nAS64502,bulletproof\n198.18.200.0/24,bph-reseller\nAS64502,bulletproof\n";
/// let labels = Labels::parse("labels.csv", text.as_bytes())?;
/// assert_eq!(labels.labels.len(), 2);
/// assert_eq!(labels.labels[1].class, Class::BphReseller);
/// assert_eq!(labels.duplicates, vec![(5, 3)]);
///
/// let err = Labels::parse("labels.csv", &b"AS64502,evil\n"[..]).unwrap_err();
/// assert_eq!(err.line(), Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Labels {
    /// The labels, in file order, each subject once.
    pub labels: Vec<Label>,
    /// Repeated lines with the same label: (line, line of the first one).
    pub duplicates: Vec<(u64, u64)>,
}

impl Labels {
    /// Reads a label file. Blank lines, `#` comments and a `subject,label`
    /// header (before the first label) are skipped. An unknown label name, a bad subject, a missing
    /// column or a subject labelled twice with different classes is an
    /// error naming the line (and, for a conflict, the first line).
    pub fn parse(source: &str, reader: impl BufRead) -> Result<Labels> {
        let mut out = Labels::default();
        let mut seen: HashMap<Subject, usize> = HashMap::new();
        // A `subject,label` header may stand before the first label.
        let mut header_seen_or_past = false;
        for (i, line) in reader.lines().enumerate() {
            let n = i as u64 + 1;
            let line = line.map_err(|e| Error::parse(source, n, format!("read error: {e}")))?;
            let text = line.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let mut cols = text.split(',').map(str::trim);
            let (Some(subject), Some(label)) = (cols.next(), cols.next()) else {
                return Err(Error::parse(source, n, "expected `subject,label`"));
            };
            if cols.next().is_some() {
                return Err(Error::parse(
                    source,
                    n,
                    "expected two columns, `subject,label`",
                ));
            }
            if !header_seen_or_past {
                header_seen_or_past = true;
                if subject.eq_ignore_ascii_case("subject") && label.eq_ignore_ascii_case("label") {
                    continue;
                }
            }
            let class: Class = label.parse().map_err(|_| {
                Error::parse(
                    source,
                    n,
                    format!(
                        "unknown label {label:?}; use bulletproof, bph-reseller, abused-legitimate or clean"
                    ),
                )
            })?;
            if class == Class::Unknown {
                return Err(Error::parse(
                    source,
                    n,
                    "`unknown` is not a label; leave the subject out",
                ));
            }
            let subject: Subject = subject
                .parse()
                .map_err(|e| Error::parse(source, n, format!("{e}")))?;
            if let Some(&first) = seen.get(&subject) {
                let prior = &out.labels[first];
                if prior.class != class {
                    return Err(Error::parse(
                        source,
                        n,
                        format!(
                            "{subject} is labelled {class} here and {} on line {}",
                            prior.class, prior.line
                        ),
                    ));
                }
                out.duplicates.push((n, prior.line));
                continue;
            }
            seen.insert(subject, out.labels.len());
            out.labels.push(Label {
                line: n,
                subject,
                class,
            });
        }
        Ok(out)
    }

    /// Reads a label file from disk (see [`Labels::parse`]).
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Labels> {
        let path = path.as_ref();
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Labels::parse(&path.display().to_string(), std::io::BufReader::new(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_name_both_lines() {
        let err = Labels::parse("l", &b"AS64502,clean\n\nas64502,bulletproof\n"[..]).unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(err.to_string().contains("on line 1"), "{err}");
    }

    #[test]
    fn bad_rows_are_errors_with_lines() {
        for (text, line) in [
            ("AS64502\n", 1),
            ("# c\nAS64502,clean,extra\n", 2),
            ("x,clean\n", 1),
            ("AS64502,clean\n192.0.2.1,unknown\n", 2),
        ] {
            let err = Labels::parse("l", text.as_bytes()).unwrap_err();
            assert_eq!(err.line(), Some(line), "{text}: {err}");
        }
    }

    #[test]
    fn header_only_before_the_first_label() {
        assert!(Labels::parse("l", &b"subject,label\n"[..]).is_ok());
        assert!(Labels::parse("l", &b"# c\n\nsubject,label\nAS1,clean\n"[..]).is_ok());
        assert!(Labels::parse("l", &b"AS1,clean\nsubject,label\n"[..]).is_err());
    }
}
