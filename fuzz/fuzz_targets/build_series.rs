//! Dated series of any content: up to eight prefix2as and AS-relationship
//! snapshots (separated by the line `--8<--`, dated a month apart, even
//! parts as prefix2as, odd ones as AS relationships), read leniently with
//! guard rails on part of the space; the snapshot must build, reopen and
//! score.
#![no_main]

use bphscore::source::Format;
use bphscore::{Detector, Snapshot, SnapshotBuilder};
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"\n--8<--\n";

fuzz_target!(|data: &[u8]| {
    let mut builder = SnapshotBuilder::new()
        .limits(bphscore_fuzz::limits())
        .lenient(true)
        .build_time(1_794_470_400);
    let mut rest = data;
    for i in 0..8i64 {
        let (part, next) = match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(p) => (&rest[..p], Some(&rest[p + SEPARATOR.len()..])),
            None => (rest, None),
        };
        let format = if i % 2 == 0 {
            Format::Pfx2as
        } else {
            Format::AsRel
        };
        let date = Some(1_780_000_000 + i * 30 * 86_400);
        // Errors (a limit, an unreadable source) leave the builder usable.
        let _ = builder.add_dated(&format!("part{i}"), Some(format), part, date);
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    let _ = builder.add_protected("guard.txt", &b"198.18.0.0/16\n2001:db8::/32\n"[..]);
    let snapshot = builder.build().expect("a lenient build succeeds");
    let reopened = Snapshot::from_bytes(snapshot.as_bytes().to_vec()).expect("reopens");
    let detector = Detector::new(reopened, bphscore_fuzz::model());
    bphscore_fuzz::score_all(&detector, &bphscore_fuzz::fixed_subjects());
});
