//! Scoring models: versioned JSON files in `models/`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Class;
use crate::error::{Error, Result};
use crate::features::{FEATURE_COUNT, Feature, FeatureVector};

/// The newest model file format version this build reads (it also reads
/// version 1, hand-set logistic models without a schema hash).
pub const MODEL_FORMAT_VERSION: u32 = 2;

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

/// A model file as written: [`Model::from_json`] validates it and folds
/// standardisation and calibration into what scoring evaluates.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModel {
    pub format: String,
    pub format_version: u32,
    pub name: String,
    pub version: String,
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// The feature schema hash ([`crate::features::schema_hash`]) the model
    /// was trained on (version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default)]
    pub intercept: f64,
    #[serde(default)]
    pub features: BTreeMap<String, RawFeature>,
    /// Per feature: the mean and scale of the transformed value; the weight
    /// applies to `(transform(x) - mean) / scale` (logistic, version 2).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub standardisation: BTreeMap<String, RawStandardisation>,
    /// The trees of a `gbdt` model; their leaves add to `base_score`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trees: Vec<Vec<RawNode>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_score: Option<f64>,
    /// Platt scaling of the raw log-odds z: probability = σ(a·z + b).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<RawCalibration>,
    pub thresholds: Thresholds,
    /// How the model was made and how well it did (free form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFeature {
    pub weight: f64,
    #[serde(default)]
    pub transform: Transform,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStandardisation {
    pub mean: f64,
    pub scale: f64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCalibration {
    pub a: f64,
    pub b: f64,
}

/// A tree node in a file: a split (`feature`, `threshold`, `left`, `right`:
/// `x <= threshold` goes left) or a leaf (no feature). Every node has the
/// `value` its subtree would predict, for per-feature contributions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNode {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<u32>,
    pub value: f64,
}

/// A decision-tree node as evaluated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Node {
    /// The split feature's index, `None` for a leaf.
    pub feature: Option<usize>,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    /// What the subtree predicts (the leaf's value for a leaf).
    pub value: f64,
}

impl Node {
    pub(crate) fn leaf(value: f64) -> Node {
        Node {
            feature: None,
            threshold: 0.0,
            left: 0,
            right: 0,
            value,
        }
    }
}

/// The kind of model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelKind {
    /// A logistic function of (transformed) features: contributions are
    /// exact.
    Logistic,
    /// Gradient-boosted trees on the raw features: contributions follow
    /// each tree's decision path (the change of the predicted value at each
    /// split is credited to the split's feature).
    Gbdt,
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
    kind: ModelKind,
    intercept: f64,
    weights: [f64; FEATURE_COUNT],
    transforms: [Transform; FEATURE_COUNT],
    trees: Vec<Vec<Node>>,
    /// The trees compiled for evaluation (see [`FlatNode`]).
    flat: Vec<FlatNode>,
    /// Where each tree starts in `flat`.
    roots: Vec<u32>,
    /// The same trees padded to one depth, when they are shallow (as
    /// trained ones are): walked several at a time.
    complete: Option<Complete>,
    calibration: (f64, f64),
    thresholds: Thresholds,
}

/// A tree node as [`Model::evaluate`] walks it: both children and the
/// calibrated change of the prediction towards each, side by side, so that
/// a step picks its side by an index rather than a branch, and reads one
/// node. The deltas are those the nodes give, computed the same way.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FlatNode {
    /// The split feature, or [`FlatNode::LEAF`].
    feature: u32,
    threshold: f64,
    /// Left (`<= threshold`), right: indices in the flat array.
    next: [u32; 2],
    delta: [f64; 2],
}

impl FlatNode {
    const LEAF: u32 = u32::MAX;
}

/// The trees, calibrated by `a`, in one array; and each tree's root.
fn flatten(trees: &[Vec<Node>], a: f64) -> (Vec<FlatNode>, Vec<u32>) {
    let (mut flat, mut roots) = (Vec::new(), Vec::with_capacity(trees.len()));
    for tree in trees {
        let base = flat.len() as u32;
        roots.push(base);
        for n in tree {
            flat.push(match n.feature {
                None => FlatNode {
                    feature: FlatNode::LEAF,
                    threshold: 0.0,
                    next: [0, 0],
                    delta: [0.0, 0.0],
                },
                Some(f) => {
                    let delta = |child: u32| a * (tree[child as usize].value - n.value);
                    FlatNode {
                        feature: f as u32,
                        threshold: n.threshold,
                        next: [base + n.left, base + n.right],
                        delta: [delta(n.left), delta(n.right)],
                    }
                }
            });
        }
    }
    (flat, roots)
}

/// Trees of depth at most [`Complete::MAX_DEPTH`], each padded to a
/// complete tree of the deepest one's depth: the split nodes in heap order
/// (the children of node `k` at `2k + 1` and `2k + 2`) for the walk, and
/// per leaf, the path's feature deltas and their sum for the result. A walk
/// is a fixed number of steps without branches, and the walks of
/// [`Complete::GROUP`] trees proceed side by side rather than one after
/// the other.
///
/// A padding node (below a leaf) changes nothing either way, and a leaf's
/// deltas and sum are added in the order the node-by-node walk adds them:
/// the results are the same bits.
#[derive(Debug, Clone, PartialEq)]
struct Complete {
    depth: u32,
    /// Per tree, `(1 << depth) - 1` split nodes: their features and
    /// thresholds. (Apart, and the features in one byte each, so that the
    /// tables of a model of 120 trees of depth 3 fit a first-level cache.)
    features: Vec<u8>,
    thresholds: Vec<f64>,
    /// Per tree and leaf, `depth` steps: the feature split on and the
    /// calibrated change of the prediction.
    step_features: Vec<u8>,
    step_deltas: Vec<f64>,
    /// Per tree and leaf, the sum of its steps' changes.
    sums: Vec<f64>,
}

const _: () = assert!(FEATURE_COUNT <= 256);

impl Complete {
    /// Deeper trees keep the node-by-node walk (a complete tree of depth 6
    /// is 63 split nodes and 64 leaves).
    const MAX_DEPTH: u32 = 6;
    /// Trees walked side by side.
    const GROUP: usize = 8;

    fn new(trees: &[Vec<Node>], a: f64) -> Option<Complete> {
        // Children come after their parent, so depths fill from the end.
        let depth_of = |tree: &[Node]| {
            let mut d = vec![0u32; tree.len()];
            for k in (0..tree.len()).rev() {
                if tree[k].feature.is_some() {
                    let (l, r) = (tree[k].left as usize, tree[k].right as usize);
                    d[k] = 1 + d[l].max(d[r]);
                }
            }
            d[0]
        };
        let depth = trees.iter().map(|t| depth_of(t)).max()?;
        if depth == 0 || depth > Self::MAX_DEPTH {
            return None;
        }
        let (per, leaves) = ((1usize << depth) - 1, 1usize << depth);
        let mut c = Complete {
            depth,
            features: Vec::with_capacity(per * trees.len()),
            thresholds: Vec::with_capacity(per * trees.len()),
            step_features: Vec::with_capacity(leaves * depth as usize * trees.len()),
            step_deltas: Vec::with_capacity(leaves * depth as usize * trees.len()),
            sums: Vec::with_capacity(leaves * trees.len()),
        };
        for tree in trees {
            for k in 0..per {
                // The tree's node at heap position k, if any: follow the
                // path from the root (one bit per level, 1 for right).
                let path = k + 1;
                let levels = usize::BITS - 1 - path.leading_zeros();
                let mut node = Some(0usize);
                for level in (0..levels).rev() {
                    node = node.and_then(|i| {
                        let n = &tree[i];
                        n.feature.map(|_| {
                            if (path >> level) & 1 == 1 {
                                n.right as usize
                            } else {
                                n.left as usize
                            }
                        })
                    });
                }
                let (f, t) = match node.map(|i| &tree[i]) {
                    Some(Node {
                        feature: Some(f),
                        threshold,
                        ..
                    }) => (*f as u8, *threshold),
                    _ => (0, 0.0),
                };
                c.features.push(f);
                c.thresholds.push(t);
            }
            for leaf in 0..leaves {
                // The steps to leaf `leaf`: its bits, first level first.
                let (mut node, mut sum) = (Some(0usize), 0.0);
                for level in (0..depth).rev() {
                    let right = (leaf >> level) & 1 == 1;
                    let step = match node.map(|i| &tree[i]) {
                        Some(
                            n @ Node {
                                feature: Some(f), ..
                            },
                        ) => {
                            let child = if right { n.right } else { n.left };
                            node = Some(child as usize);
                            (*f as u8, a * (tree[child as usize].value - n.value))
                        }
                        _ => {
                            node = None;
                            (0, 0.0)
                        }
                    };
                    sum += step.1;
                    c.step_features.push(step.0);
                    c.step_deltas.push(step.1);
                }
                c.sums.push(sum);
            }
        }
        Some(c)
    }

    /// Adds each tree's path deltas to the contributions `c` and its sum
    /// to `z`, tree after tree.
    #[inline]
    fn add(&self, v: &[f64; FEATURE_COUNT], c: &mut [f64; FEATURE_COUNT], z: &mut f64) {
        let d = self.depth as usize;
        let (per, leaves) = ((1usize << d) - 1, 1usize << d);
        let trees = self.sums.len() / leaves;
        for first in (0..trees).step_by(Self::GROUP) {
            let n = Self::GROUP.min(trees - first);
            let (features, thresholds) = (
                &self.features[first * per..(first + n) * per],
                &self.thresholds[first * per..(first + n) * per],
            );
            // The walks: level by level across the group's trees, so that
            // their dependent loads overlap.
            let mut at = [0usize; Self::GROUP];
            for _ in 0..d {
                for (g, k) in at.iter_mut().enumerate().take(n) {
                    let x = v[usize::from(features[g * per + *k])];
                    // NaN goes right, as in training.
                    let right = usize::from(x > thresholds[g * per + *k] || x.is_nan());
                    *k = 2 * *k + 1 + right;
                }
            }
            // The leaves, tree after tree.
            for (g, &k) in at.iter().enumerate().take(n) {
                let leaf = (first + g) * leaves + (k - per);
                let steps = leaf * d..leaf * d + d;
                for (&f, &delta) in self.step_features[steps.clone()]
                    .iter()
                    .zip(&self.step_deltas[steps])
                {
                    c[usize::from(f)] += delta;
                }
                *z += self.sums[leaf];
            }
        }
    }
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
        Model::from_raw(raw, name)
    }

    pub(crate) fn from_raw(raw: RawModel, name: &str) -> Result<Model> {
        if raw.format != "bphscore-model" {
            return Err(Error::model(
                name,
                format!("not a bphscore model (format {:?})", raw.format),
            ));
        }
        if raw.format_version == 0 || raw.format_version > MODEL_FORMAT_VERSION {
            return Err(Error::model(
                name,
                format!(
                    "model format version {} is not supported (this build reads versions 1 to {MODEL_FORMAT_VERSION})",
                    raw.format_version
                ),
            ));
        }
        let kind = match (raw.kind.as_str(), raw.format_version) {
            ("logistic", _) => ModelKind::Logistic,
            ("gbdt", 2..) => ModelKind::Gbdt,
            _ => {
                return Err(Error::model(
                    name,
                    format!(
                        "unsupported model kind {:?}; this build scores \"logistic\" and (format 2) \"gbdt\" models",
                        raw.kind
                    ),
                ));
            }
        };
        if raw.format_version >= 2 {
            let have = crate::features::schema_hash();
            match &raw.schema {
                None => {
                    return Err(Error::model(
                        name,
                        "format 2 needs the feature schema hash it was trained on (\"schema\")",
                    ));
                }
                Some(s) if *s != have => {
                    return Err(Error::model(
                        name,
                        format!(
                            "trained on feature schema {s}, but this build's features have schema {have}; retrain the model on a snapshot of this build"
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let finite = |v: f64, what: &str| {
            if v.is_finite() {
                Ok(v)
            } else {
                Err(Error::model(name, format!("{what} is not finite")))
            }
        };
        let feature_of = |fname: &str| -> Result<Feature> {
            fname
                .parse()
                .map_err(|e| Error::model(name, format!("{e}")))
        };
        let (a, b) = match raw.calibration {
            Some(c) => (finite(c.a, "calibration a")?, finite(c.b, "calibration b")?),
            None => (1.0, 0.0),
        };
        let mut weights = [0.0; FEATURE_COUNT];
        let mut transforms = [Transform::Identity; FEATURE_COUNT];
        let mut intercept = finite(raw.intercept, "the intercept")?;
        let mut trees = Vec::new();
        match kind {
            ModelKind::Logistic => {
                let mut seen = [false; FEATURE_COUNT];
                for (fname, f) in &raw.features {
                    let feature = feature_of(fname)?;
                    finite(f.weight, &format!("the weight of feature {fname:?}"))?;
                    weights[feature.index()] = f.weight;
                    transforms[feature.index()] = f.transform;
                    seen[feature.index()] = true;
                }
                let missing: Vec<&str> = Feature::ALL
                    .iter()
                    .filter(|f| !seen[f.index()])
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
                // w·(t(x) − m)/s = (w/s)·t(x) − w·m/s: folded into the
                // weights and the intercept, exactly.
                for (fname, st) in &raw.standardisation {
                    let i = feature_of(fname)?.index();
                    let mean = finite(st.mean, &format!("the mean of {fname:?}"))?;
                    let scale = finite(st.scale, &format!("the scale of {fname:?}"))?;
                    if scale <= 0.0 {
                        return Err(Error::model(
                            name,
                            format!("the scale of {fname:?} is not positive"),
                        ));
                    }
                    intercept -= weights[i] * mean / scale;
                    weights[i] /= scale;
                }
                for w in &mut weights {
                    *w *= a;
                }
                intercept = a * intercept + b;
            }
            ModelKind::Gbdt => {
                if raw.trees.is_empty() {
                    return Err(Error::model(name, "a gbdt model needs trees"));
                }
                let base = finite(raw.base_score.unwrap_or(0.0), "base_score")?;
                // The bias of the path contributions: the base score plus
                // every root's value.
                let mut bias = base;
                for (t, rt) in raw.trees.iter().enumerate() {
                    let mut nodes = Vec::with_capacity(rt.len());
                    for (k, rn) in rt.iter().enumerate() {
                        let at = format!("tree {t} node {k}");
                        let value = finite(rn.value, &format!("the value of {at}"))?;
                        let node = match &rn.feature {
                            None => Node::leaf(value),
                            Some(fname) => {
                                let feature = feature_of(fname)?.index();
                                let (Some(threshold), Some(left), Some(right)) =
                                    (rn.threshold, rn.left, rn.right)
                                else {
                                    return Err(Error::model(
                                        name,
                                        format!("{at}: a split needs threshold, left and right"),
                                    ));
                                };
                                // Children after their parent: no cycles.
                                let n = rt.len() as u32;
                                if left as usize <= k
                                    || right as usize <= k
                                    || left >= n
                                    || right >= n
                                {
                                    return Err(Error::model(
                                        name,
                                        format!(
                                            "{at}: children must come after their parent, within the tree"
                                        ),
                                    ));
                                }
                                Node {
                                    feature: Some(feature),
                                    threshold: finite(
                                        threshold,
                                        &format!("the threshold of {at}"),
                                    )?,
                                    left,
                                    right,
                                    value,
                                }
                            }
                        };
                        nodes.push(node);
                    }
                    if nodes.is_empty() {
                        return Err(Error::model(name, format!("tree {t} is empty")));
                    }
                    bias += nodes[0].value;
                    trees.push(nodes);
                }
                intercept = a * bias + b;
            }
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
        let (flat, roots) = flatten(&trees, a);
        let complete = Complete::new(&trees, a);
        Ok(Model {
            name: raw.name,
            version: raw.version,
            description: raw.description,
            kind,
            intercept,
            weights,
            transforms,
            trees,
            flat,
            roots,
            complete,
            calibration: (a, b),
            thresholds: t,
        })
    }

    /// The kind of model.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The class of a known subject from its probability and the
    /// per-feature contributions ([`Model::evaluate`]): at or above the
    /// `bulletproof` threshold, `bulletproof` when evidence about the whole
    /// AS weighs at least as much as evidence about the block, else
    /// `bph-reseller`; then `abused-legitimate`; else `clean`.
    ///
    /// ```
    /// use bphscore::{features::{Feature, FeatureVector}, Class, Model};
    ///
    /// // The former hand-set logistic model, one weight per feature.
    /// let model = Model::from_json(&std::fs::read_to_string("models/handset.json")?, "handset")?;
    /// let mut x = FeatureVector::default();
    /// x.set(Feature::AsnDrop, 1.0);
    /// x.set(Feature::AsDropShare, 1.0);
    /// let (p, c) = model.evaluate(&x);
    /// assert_eq!(model.classify(p, &c), Class::Bulletproof);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline(always)]
    pub fn classify(&self, p: f64, contributions: &[f64; FEATURE_COUNT]) -> Class {
        let t = self.thresholds;
        if p >= t.bulletproof {
            let (mut as_part, mut block_part) = (0.0, 0.0);
            for f in Feature::ALL {
                let c = contributions[f.index()].max(0.0);
                match f.scope() {
                    crate::features::Scope::As => as_part += c,
                    crate::features::Scope::Block => block_part += c,
                }
            }
            // Evidence about the whole AS makes the AS bulletproof; evidence
            // about the block alone points at a bad customer of the provider.
            if as_part >= block_part {
                Class::Bulletproof
            } else {
                Class::BphReseller
            }
        } else if p >= t.abused_legitimate {
            Class::AbusedLegitimate
        } else {
            Class::Clean
        }
    }

    /// The transform applied to a feature before it is weighted.
    pub fn transform(&self, f: Feature) -> Transform {
        self.transforms[f.index()]
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

    /// The weight of one feature in the log-odds (0 for a tree model).
    ///
    /// ```
    /// use bphscore::{features::Feature, Model};
    /// // The shipped default is a tree model.
    /// assert_eq!(Model::default_model().weight(Feature::AsnDrop), 0.0);
    /// let handset = Model::from_json(&std::fs::read_to_string("models/handset.json")?, "handset")?;
    /// assert!(handset.weight(Feature::AsnDrop) > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
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
    /// let model = Model::from_json(&std::fs::read_to_string("models/handset.json")?, "handset")?;
    /// let mut x = FeatureVector::default();
    /// let (p0, _) = model.evaluate(&x);
    /// x.set(Feature::AsnDrop, 1.0);
    /// let (p1, contributions) = model.evaluate(&x);
    /// assert!(p1 > p0);
    /// assert_eq!(contributions[Feature::AsnDrop.index()], model.weight(Feature::AsnDrop));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&self, x: &FeatureVector) -> (f64, [f64; FEATURE_COUNT]) {
        let mut c = [0.0; FEATURE_COUNT];
        let mut z = self.intercept;
        match self.kind {
            ModelKind::Logistic => {
                for (i, v) in x.values().iter().enumerate() {
                    c[i] = self.weights[i] * self.transforms[i].apply(*v);
                    z += c[i];
                }
            }
            ModelKind::Gbdt if self.complete.is_some() => {
                if let Some(t) = &self.complete {
                    t.add(x.values(), &mut c, &mut z);
                }
            }
            ModelKind::Gbdt => {
                let v = x.values();
                for &root in &self.roots {
                    let mut n = &self.flat[root as usize];
                    // Each tree's path summed apart, then added: the trees'
                    // walks overlap instead of waiting on one long sum.
                    let mut tree = 0.0;
                    while n.feature != FlatNode::LEAF {
                        let f = n.feature as usize;
                        // NaN goes right, as in training.
                        let side = if v[f] <= n.threshold { 0 } else { 1 };
                        c[f] += n.delta[side];
                        tree += n.delta[side];
                        n = &self.flat[n.next[side] as usize];
                    }
                    z += tree;
                }
            }
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

    /// The complete-tree walk gives the same bits as the node-by-node walk,
    /// on vectors that hit the thresholds exactly, miss them, or are NaN.
    #[test]
    fn complete_walk_matches_node_walk() {
        let model = Model::default_model();
        assert!(model.complete.is_some(), "trained trees are shallow");
        let mut nodes = model.clone();
        nodes.complete = None;
        let thresholds: Vec<(usize, f64)> = model
            .trees
            .iter()
            .flatten()
            .filter_map(|n| n.feature.map(|f| (f, n.threshold)))
            .collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let mut x = FeatureVector::default();
            for f in Feature::ALL {
                let r = next();
                let v = match r % 4 {
                    0 => thresholds[(r >> 8) as usize % thresholds.len()].1,
                    1 => f64::NAN,
                    2 => (r >> 11) as f64 / (1u64 << 53) as f64,
                    _ => (r >> 11) as f64 / (1u64 << 40) as f64 - 4096.0,
                };
                x.set(f, v);
            }
            let (p1, c1) = model.evaluate(&x);
            let (p2, c2) = nodes.evaluate(&x);
            assert_eq!(p1.to_bits(), p2.to_bits());
            assert_eq!(c1.map(f64::to_bits), c2.map(f64::to_bits));
        }
    }

    /// Trees deeper than the complete walk allows keep the node walk; a
    /// model mixing a lone leaf with splits is padded.
    #[test]
    fn complete_walk_depth_limits() {
        let f = Feature::ALL[0].name();
        // A chain of `d` splits, each going left to the next.
        let chain = |d: usize| {
            let mut nodes = Vec::new();
            for k in 0..d {
                nodes.push(format!(
                    r#"{{"feature":"{f}","threshold":{k},"left":{},"right":{},"value":0.{k}}}"#,
                    k + 1,
                    d + 1 + k
                ));
            }
            nodes.push(r#"{"value":1.5}"#.to_string());
            for k in 0..d {
                nodes.push(format!(r#"{{"value":-0.{k}}}"#));
            }
            format!("[{}]", nodes.join(","))
        };
        let model = |trees: &str| {
            let raw = model_with(&all_features(), "")
                .replace(r#""format_version":1"#, r#""format_version":2"#)
                .replace(
                    r#""kind":"logistic""#,
                    &format!(
                        r#""kind":"gbdt","schema":"{}","trees":[{trees}]"#,
                        crate::features::schema_hash()
                    ),
                );
            Model::from_json(&raw, "m").unwrap()
        };
        let deep = model(&chain(7));
        assert!(deep.complete.is_none());
        let mixed = model(&format!(r#"[{{"value":0.25}}],{}"#, chain(3)));
        assert_eq!(mixed.complete.as_ref().map(|c| c.depth), Some(3));
        let mut nodes = mixed.clone();
        nodes.complete = None;
        for v in [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, f64::NAN] {
            let mut x = FeatureVector::default();
            x.set(Feature::ALL[0], v);
            let (p1, c1) = mixed.evaluate(&x);
            let (p2, c2) = nodes.evaluate(&x);
            assert_eq!(
                (p1.to_bits(), c1.map(f64::to_bits)),
                (p2.to_bits(), c2.map(f64::to_bits))
            );
        }
        // The deep chain still walks: all the way left is its best leaf.
        let at = |v: f64| {
            let mut x = FeatureVector::default();
            x.set(Feature::ALL[0], v);
            deep.evaluate(&x).0
        };
        assert!(at(-1.0) > at(f64::NAN), "{} {}", at(-1.0), at(f64::NAN));
    }

    #[test]
    fn default_model_is_valid() {
        let m = Model::default_model();
        assert_eq!(m.name(), "default");
        // A trained model's prior is the calibrated base rate of its
        // training labels: below every verdict threshold.
        assert!(m.prior() < m.thresholds().abused_legitimate);
        let h = Model::from_json(include_str!("../../models/handset.json"), "handset").unwrap();
        assert!(h.prior() < 0.05);
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
            model_with(&all_features(), "").replace("\"format_version\":1", "\"format_version\":3");
        assert!(
            Model::from_json(&newer, "m")
                .unwrap_err()
                .to_string()
                .contains("version 3 is not supported")
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
