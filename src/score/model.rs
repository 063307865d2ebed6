//! Scoring models: versioned JSON files in `models/`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::{FEATURE_COUNT, Feature, FeatureVector};

/// The model file format version this build reads.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// How a feature value is transformed before it is weighted.
///
/// ```
/// use bphscore::score::Transform;
/// assert_eq!(Transform::Sqrt.apply(0.25), 0.5);
/// assert_eq!(Transform::Identity.apply(3.0), 3.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Transform {
    /// The value as is.
    #[default]
    Identity,
    /// The square root: spreads small densities (0.01% vs 1%) apart.
    Sqrt,
    /// ln(1 + value).
    Log1p,
}

impl Transform {
    /// Applies the transform (negative inputs are taken as 0 for `sqrt` and `log1p`).
    pub fn apply(self, v: f64) -> f64 {
        match self {
            Transform::Identity => v,
            Transform::Sqrt => v.max(0.0).sqrt(),
            Transform::Log1p => v.max(0.0).ln_1p(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    format: String,
    format_version: u32,
    name: String,
    version: String,
    kind: String,
    #[serde(default)]
    description: String,
    intercept: f64,
    features: BTreeMap<String, RawFeature>,
    thresholds: Thresholds,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeature {
    weight: f64,
    #[serde(default)]
    transform: Transform,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

/// The probability thresholds that turn a probability into a class.
///
/// ```
/// let model = bphscore::Model::default_model();
/// assert!(model.thresholds().abused_legitimate < model.thresholds().bulletproof);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Thresholds {
    /// At or above: `bulletproof` or `bph-reseller` (by which scope of
    /// evidence dominates).
    pub bulletproof: f64,
    /// At or above (and below `bulletproof`): `abused-legitimate`.
    pub abused_legitimate: f64,
}

/// A scoring model: a logistic function of the features, with per-feature
/// transforms, and class thresholds.
///
/// Model files are JSON (`models/default.json` is the shipped one). They
/// must name every feature of the schema exactly once: an unknown or a
/// missing feature name is an error, so that a model never silently
/// ignores evidence or expects evidence that the snapshot does not have.
///
/// ```
/// use bphscore::Model;
///
/// let model = Model::default_model();
/// assert_eq!(model.name(), "default");
///
/// let bad = r#"{"format":"bphscore-model","format_version":1,"name":"x","version":"1","kind":"logistic",
///   "intercept":0,"features":{"nope":{"weight":1}},"thresholds":{"bulletproof":0.5,"abused_legitimate":0.1}}"#;
/// let err = Model::from_json(bad, "x.json").unwrap_err();
/// assert!(err.to_string().contains("unknown feature \"nope\""));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    name: String,
    version: String,
    description: String,
    intercept: f64,
    weights: [f64; FEATURE_COUNT],
    transforms: [Transform; FEATURE_COUNT],
    thresholds: Thresholds,
}

static DEFAULT_MODEL: &str = include_str!("../../models/default.json");

impl Model {
    /// The shipped default model (`models/default.json`, embedded).
    pub fn default_model() -> Model {
        // The embedded file is checked by the test suite.
        Model::from_json(DEFAULT_MODEL, "models/default.json")
            .unwrap_or_else(|e| unreachable!("the embedded default model is invalid: {e}"))
    }

    /// Loads a model file.
    ///
    /// ```
    /// let err = bphscore::Model::load("/nonexistent/model.json").unwrap_err();
    /// assert!(err.to_string().contains("/nonexistent/model.json"));
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Model::from_json(&text, &path.display().to_string())
    }

    /// Parses a model from JSON text; `name` labels errors.
    pub fn from_json(text: &str, name: &str) -> Result<Model> {
        let raw: RawModel = serde_json::from_str(text).map_err(|e| {
            Error::model(
                name,
                format!("line {} column {}: {e}", e.line(), e.column()),
            )
        })?;
        if raw.format != "bphscore-model" {
            return Err(Error::model(
                name,
                format!("not a bphscore model (format {:?})", raw.format),
            ));
        }
        if raw.format_version != MODEL_FORMAT_VERSION {
            return Err(Error::model(
                name,
                format!(
                    "model format version {} is not supported (this build reads version {MODEL_FORMAT_VERSION})",
                    raw.format_version
                ),
            ));
        }
        if raw.kind != "logistic" {
            return Err(Error::model(
                name,
                format!(
                    "unsupported model kind {:?}; this build scores \"logistic\" models",
                    raw.kind
                ),
            ));
        }
        let mut weights = [f64::NAN; FEATURE_COUNT];
        let mut transforms = [Transform::Identity; FEATURE_COUNT];
        for (fname, f) in &raw.features {
            let feature: Feature = fname
                .parse()
                .map_err(|e| Error::model(name, format!("{e}")))?;
            if !f.weight.is_finite() {
                return Err(Error::model(
                    name,
                    format!("feature {fname:?} has a non-finite weight"),
                ));
            }
            weights[feature.index()] = f.weight;
            transforms[feature.index()] = f.transform;
        }
        let missing: Vec<&str> = Feature::ALL
            .iter()
            .filter(|f| weights[f.index()].is_nan())
            .map(|f| f.name())
            .collect();
        if !missing.is_empty() {
            return Err(Error::model(
                name,
                format!(
                    "missing feature(s) {}; give every feature of the schema a weight (0 to ignore it)",
                    missing.join(", ")
                ),
            ));
        }
        let t = raw.thresholds;
        let valid = |v: f64| v.is_finite() && v > 0.0 && v < 1.0;
        if !valid(t.bulletproof)
            || !valid(t.abused_legitimate)
            || t.abused_legitimate > t.bulletproof
        {
            return Err(Error::model(
                name,
                "thresholds must lie in (0, 1) with abused_legitimate <= bulletproof",
            ));
        }
        if !raw.intercept.is_finite() {
            return Err(Error::model(name, "the intercept is not finite"));
        }
        Ok(Model {
            name: raw.name,
            version: raw.version,
            description: raw.description,
            intercept: raw.intercept,
            weights,
            transforms,
            thresholds: t,
        })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// What the model is, in a sentence or two.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The class thresholds.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// The weight of one feature.
    ///
    /// ```
    /// use bphscore::{features::Feature, Model};
    /// assert!(Model::default_model().weight(Feature::AsnDrop) > 0.0);
    /// ```
    pub fn weight(&self, f: Feature) -> f64 {
        self.weights[f.index()]
    }

    /// The probability when nothing is known (all features zero).
    pub fn prior(&self) -> f64 {
        sigmoid(self.intercept)
    }

    /// Each feature's contribution to the log-odds, and the probability.
    ///
    /// ```
    /// use bphscore::{features::{Feature, FeatureVector}, Model};
    ///
    /// let model = Model::default_model();
    /// let mut x = FeatureVector::default();
    /// let (p0, _) = model.evaluate(&x);
    /// x.set(Feature::AsnDrop, 1.0);
    /// let (p1, contributions) = model.evaluate(&x);
    /// assert!(p1 > p0);
    /// assert_eq!(contributions[Feature::AsnDrop.index()], model.weight(Feature::AsnDrop));
    /// ```
    pub fn evaluate(&self, x: &FeatureVector) -> (f64, [f64; FEATURE_COUNT]) {
        let mut c = [0.0; FEATURE_COUNT];
        let mut z = self.intercept;
        for (i, v) in x.values().iter().enumerate() {
            c[i] = self.weights[i] * self.transforms[i].apply(*v);
            z += c[i];
        }
        (sigmoid(z), c)
    }
}

fn sigmoid(z: f64) -> f64 {
    let p = 1.0 / (1.0 + (-z).exp());
    if p.is_nan() { 0.5 } else { p.clamp(0.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_with(features: &str, extra: &str) -> String {
        format!(
            r#"{{"format":"bphscore-model","format_version":1,"name":"t","version":"1","kind":"logistic",
            "intercept":-1,"features":{{{features}}},"thresholds":{{"bulletproof":0.5,"abused_legitimate":0.1}}{extra}}}"#
        )
    }

    fn all_features() -> String {
        Feature::ALL
            .iter()
            .map(|f| format!("\"{}\":{{\"weight\":1}}", f.name()))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn default_model_is_valid() {
        let m = Model::default_model();
        assert_eq!(m.name(), "default");
        assert!(m.prior() < 0.05);
    }

    #[test]
    fn schema_mismatches_are_refused() {
        assert!(Model::from_json(&model_with(&all_features(), ""), "m").is_ok());
        let missing = model_with("\"asn_drop\":{\"weight\":1}", "");
        let err = Model::from_json(&missing, "m").unwrap_err().to_string();
        assert!(err.contains("missing feature(s) as_abuse_density"), "{err}");
        let extra = model_with(&(all_features() + ",\"x\":{\"weight\":1}"), "");
        assert!(
            Model::from_json(&extra, "m")
                .unwrap_err()
                .to_string()
                .contains("unknown feature \"x\"")
        );
        let unknown_field = model_with(&all_features(), ",\"bogus\":1");
        assert!(Model::from_json(&unknown_field, "m").is_err());
        let newer =
            model_with(&all_features(), "").replace("\"format_version\":1", "\"format_version\":2");
        assert!(
            Model::from_json(&newer, "m")
                .unwrap_err()
                .to_string()
                .contains("version 2 is not supported")
        );
        let err = Model::from_json("{", "m.json").unwrap_err().to_string();
        assert!(err.starts_with("model m.json: line 1"), "{err}");
    }

    #[test]
    fn probabilities_stay_in_range() {
        let m = Model::default_model();
        for v in [f64::MAX, -f64::MAX, 1e300, 0.0, f64::INFINITY] {
            let mut x = FeatureVector::default();
            for f in Feature::ALL {
                x.set(f, v);
            }
            let (p, _) = m.evaluate(&x);
            assert!((0.0..=1.0).contains(&p), "{v}: {p}");
        }
    }
}
