//! Label files: any bytes are labels or a typed error with a line number;
//! accepted labels are in file order, each subject once, never `unknown`.
#![no_main]

use bphscore::Class;
use bphscore::train::Labels;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Labels::parse("fuzz.csv", data) {
        Ok(labels) => {
            let lines = data.split(|b| *b == b'\n').count() as u64;
            let mut last = 0;
            for l in &labels.labels {
                assert!(l.line > last && l.line <= lines);
                assert_ne!(l.class, Class::Unknown);
                last = l.line;
            }
            let mut subjects: Vec<String> = labels
                .labels
                .iter()
                .map(|l| l.subject.to_string())
                .collect();
            subjects.sort();
            let n = subjects.len();
            subjects.dedup();
            assert_eq!(n, subjects.len());
            for (dup, first) in &labels.duplicates {
                assert!(first < dup);
            }
        }
        Err(e) => assert!(e.line().is_some(), "{e}"),
    }
});
