//! Building a snapshot from sources of any content (plain or gzip, format
//! detected), leniently: the build must succeed with whatever was accepted,
//! and the snapshot must score. Every source is also read a few bytes at a
//! time (as from a pipe), which must give the same source, error and
//! snapshot.
//!
//! The input holds up to eight sources separated by the line `--8<--`.
#![no_main]

use bphscore::{Detector, Error, SnapshotBuilder};
use libfuzzer_sys::fuzz_target;

/// Separates the sources of one input.
const SEPARATOR: &[u8] = b"\n--8<--\n";
const MAX_SOURCES: usize = 8;

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < MAX_SOURCES {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

/// Returns at most `max` bytes per read.
struct ShortReads<'a> {
    data: &'a [u8],
    max: usize,
}

impl std::io::Read for ShortReads<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.max).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let new_builder = || {
        SnapshotBuilder::new()
            .limits(bphscore_fuzz::limits())
            .lenient(true)
            .build_time(1_794_470_400)
    };
    let mut builder = new_builder();
    let mut slow = new_builder();
    for (i, part) in split(data).into_iter().enumerate() {
        // A date in the name dates a source that states none.
        let name = format!("source-{i}-2026110{}.txt", i % 10);
        let max = 1 + part.len() % 13;
        let short = slow
            .add_reader(&name, None, ShortReads { data: part, max })
            .cloned()
            .map_err(|e| e.to_string());
        let whole = builder.add_reader(&name, None, part);
        assert_eq!(
            whole
                .as_ref()
                .map(|info| (*info).clone())
                .map_err(|e| e.to_string()),
            short,
            "{name}: read whole and {max} bytes at a time"
        );
        match whole {
            Ok(info) => {
                assert_eq!(info.name, name);
                assert!(
                    info.bytes == part.len() as u64,
                    "{name}: {} bytes hashed of {}",
                    info.bytes,
                    part.len()
                );
            }
            Err(Error::UnknownFormat { .. } | Error::Limit { .. } | Error::Build { .. }) => {}
            // Lenient builds skip bad records; what is left concerns the
            // whole source: a cut file, a corrupt gzip stream.
            Err(Error::Parse { line: 0, .. } | Error::Io { .. }) => {}
            Err(other) => panic!("{name}: unexpected error in a lenient build: {other:?}"),
        }
    }
    // Building validates the result as opening a file does.
    let snapshot = builder
        .build()
        .expect("a builder always compiles what it accepted");
    let slow = slow.build().expect("the same sources");
    assert_eq!(snapshot.as_bytes(), slow.as_bytes());
    bphscore_fuzz::inspect(&snapshot);
    let detector = Detector::new(snapshot, bphscore_fuzz::model());
    let mut subjects = bphscore_fuzz::fixed_subjects();
    subjects.extend(bphscore_fuzz::subjects_in(data, 32));
    bphscore_fuzz::score_all(&detector, &subjects);
});
