//! Protect lists for exports: any input is a list of networks or a typed
//! error naming a line; the networks accepted are in canonical form.
#![no_main]

use bphscore::export::read_networks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match read_networks("fuzz.txt", data) {
        Ok(nets) => {
            for n in nets {
                assert_eq!(n.network(), n.ip(), "{n} is not canonical");
            }
        }
        Err(e) => {
            let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            assert!(e.line().is_some_and(|l| l <= lines), "{e}");
        }
    }
});
