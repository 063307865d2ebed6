//! Model files: any JSON text is a model or a typed error, and a model
//! accepted always gives probabilities in [0, 1].
#![no_main]

use bphscore::Model;
use bphscore::features::{Feature, FeatureVector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(model) = Model::from_json(&text, "fuzz.json") else {
        return;
    };
    let t = model.thresholds();
    assert!(t.abused_legitimate <= t.bulletproof);
    assert!((0.0..=1.0).contains(&model.prior()));
    for v in [
        0.0,
        1e-9,
        0.5,
        1.0,
        1e300,
        f64::MAX,
        -1.0,
        f64::INFINITY,
        f64::NAN,
    ] {
        let mut x = FeatureVector::default();
        for f in Feature::ALL {
            x.set(f, v);
        }
        let (p, _) = model.evaluate(&x);
        assert!((0.0..=1.0).contains(&p), "value {v}: probability {p}");
    }
});
