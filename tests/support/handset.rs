//! The former hand-set logistic model, for the tests of the features'
//! plumbing: every feature has a weight of the documented sign, which they
//! rely on (the shipped default is a tree model trained on synthetic
//! worlds).

#![allow(dead_code)]

use bphscore::Model;

/// The model.
pub fn handset() -> Model {
    Model::from_json(
        include_str!("../../models/handset.json"),
        "models/handset.json",
    )
    .unwrap()
}

/// Its path, for the command line.
pub const HANDSET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/handset.json");
