//! Snapshot files: any bytes are a valid snapshot or a typed error, and a
//! valid snapshot scores without a panic.
//!
//! The checksum in the trailer refuses nearly every mutation, so each input
//! is tried twice: as is, and with its length field, trailer magic and
//! checksum repaired, so that the checks behind the checksum get fuzzed too.
#![no_main]

use bphscore::{Detector, Error, Snapshot};
use libfuzzer_sys::fuzz_target;

const TRAILER: usize = 16;

fn try_open(bytes: &[u8]) {
    match Snapshot::from_bytes(bytes) {
        Ok(snapshot) => {
            bphscore_fuzz::inspect(&snapshot);
            let detector = Detector::new(snapshot, bphscore_fuzz::model());
            let mut subjects = bphscore_fuzz::fixed_subjects();
            subjects.extend([1, 64500, 64503, 64511].map(bphscore_fuzz::asn));
            bphscore_fuzz::score_all(&detector, &subjects);
        }
        Err(Error::Snapshot { .. } | Error::UnsupportedVersion { .. }) => {}
        Err(other) => panic!("unexpected kind of error opening a snapshot: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    try_open(data);
    if data.len() >= 64 + TRAILER {
        let mut repaired = data.to_vec();
        let len = repaired.len();
        repaired[24..32].copy_from_slice(&(len as u64).to_le_bytes());
        let body = len - TRAILER;
        repaired[body..body + 8].copy_from_slice(b"BPHEND\0\0");
        let sum = bphscore::snapshot::checksum(&repaired[..body]);
        repaired[body + 8..].copy_from_slice(&sum.to_le_bytes());
        try_open(&repaired);
    }
});
