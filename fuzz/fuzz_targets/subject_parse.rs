//! The input-line parser of `bphscore score`: every line is a subject or a
//! typed error, and a subject prints back to text that parses to itself.
#![no_main]

use bphscore::Subject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let Ok(subject) = line.parse::<Subject>() else {
            continue;
        };
        let printed = subject.to_string();
        assert_eq!(
            printed.parse::<Subject>().ok(),
            Some(subject),
            "{line:?} printed as {printed:?}"
        );
        if let Subject::Prefix(net) = subject {
            assert_eq!(net.network(), net.ip(), "{line:?}: prefix not normalised");
        }
        assert!(["ip", "prefix", "asn"].contains(&subject.kind()));
    }
});
