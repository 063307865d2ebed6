//! Format detection from the head of a source, then a parse in the format found.
#![no_main]

use bphscore::source::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(format) = Format::detect(data) {
        // Whatever is recognised must also parse without a panic.
        bphscore_fuzz::parse_all(format, data);
        assert!(Format::NAMES.contains(&format.name()));
    }
});
