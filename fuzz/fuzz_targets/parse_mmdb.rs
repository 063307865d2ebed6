//! MMDB files of any content: refused with an error naming the file, or
//! read into a snapshot that opens again and scores.
#![no_main]

use bphscore::{Detector, Snapshot, SnapshotBuilder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut builder = SnapshotBuilder::new()
        .limits(bphscore_fuzz::limits())
        .build_time(1_794_470_400);
    match builder.add_mmdb("fuzz.mmdb", data) {
        Ok(_) => {}
        Err(e) => {
            assert!(e.to_string().starts_with("fuzz.mmdb"), "{e}");
            return;
        }
    }
    let snapshot = builder.build().expect("a read MMDB builds");
    let reopened = Snapshot::from_bytes(snapshot.as_bytes().to_vec()).expect("reopens");
    let detector = Detector::new(reopened, bphscore_fuzz::model());
    bphscore_fuzz::score_all(&detector, &bphscore_fuzz::fixed_subjects());
});
