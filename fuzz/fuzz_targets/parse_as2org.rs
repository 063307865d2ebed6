//! The CAIDA AS2org parser: every record of any input, LF and CRLF alike.
#![no_main]

use bphscore::source::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bphscore_fuzz::parse_and_compare_crlf(Format::As2org, data);
});
