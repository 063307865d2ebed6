//! Training and evaluation: learn a model from labelled subjects, and
//! measure how well a model does.
//!
//! Labels ([`Labels`]) name subjects (addresses, prefixes or ASes) and
//! their class. A [`Dataset`] holds each labelled subject's features as
//! the snapshot gives them. [`train`] compares candidate models (an
//! L2-regularised logistic regression at several strengths and
//! gradient-boosted trees) by cross-validation with folds split by AS, so
//! that an AS and its prefixes never sit on both sides, keeps the best by
//! ROC AUC, calibrates its probabilities by Platt scaling fitted on the
//! held-out folds, and refits it on every label. [`cross_validate`] and
//! [`evaluate`] report the metrics of the field ([`Metrics`]).
//!
//! The positive class is `bulletproof` or `bph-reseller`: the probability
//! of a model is the probability that a subject is bulletproof hosting or
//! a bad block inside a provider. The `abused-legitimate` threshold is
//! fitted to separate abused from clean subjects among the rest; besides
//! it, a listed address below the bulletproof threshold is always
//! `abused-legitimate`.
//!
//! Candidates, their folds, the trees' histograms and the logistic
//! regression's sums run in parallel (rayon) and are merged in a fixed
//! order: the same labels and options give the same model, byte for byte,
//! on any number of threads.
//!
//! ```
//! use bphscore::train::{self, Dataset, Labels, TrainOptions};
//! use bphscore::Detector;
//!
//! let detector = Detector::default_world()?;
//! let labels = Labels::parse("labels.csv", &b"AS64502,bulletproof\nAS64500,clean\nAS64501,clean\n198.18.200.0/24,bph-reseller\nAS64503,clean\n"[..])?;
//! let data = Dataset::new(&detector, &labels);
//! let trained = train::train(&data, &TrainOptions::default().folds(2))?;
//! assert!(trained.model.name().starts_with("trained"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod gbdt;
mod labels;
mod logistic;
pub mod metrics;
mod mmdb;
pub mod plot;
pub mod synth;

use std::collections::BTreeMap;

use serde::Serialize;

pub use labels::{Label, Labels};

use crate::error::{Error, Result};
use crate::features::{FEATURE_COUNT, Feature, FeatureVector};
use crate::score::{
    Class, Detector, Model, RawCalibration, RawFeature, RawModel, RawNode, RawStandardisation,
    Thresholds, Transform, subject_class,
};
use crate::subject::{Asn, Subject};

/// One labelled subject the snapshot knows.
#[derive(Debug, Clone)]
pub struct Example {
    /// The label's line in its file.
    pub line: u64,
    /// The subject.
    pub subject: Subject,
    /// Its labelled class.
    pub class: Class,
    /// The AS it belongs to (the folds are split by it).
    pub asn: Option<Asn>,
    /// Its features in the snapshot.
    pub features: FeatureVector,
}

impl Example {
    /// `bulletproof` or `bph-reseller`.
    pub fn is_positive(&self) -> bool {
        matches!(self.class, Class::Bulletproof | Class::BphReseller)
    }
}

/// Labelled subjects with their features.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The subjects the snapshot knows.
    pub examples: Vec<Example>,
    /// Labels of subjects the snapshot knows nothing of (line, subject):
    /// left out, and reported.
    pub unknown: Vec<(u64, Subject)>,
}

impl Dataset {
    /// Looks up every label in `detector`'s snapshot.
    pub fn new<S: AsRef<[u8]>>(detector: &Detector<S>, labels: &Labels) -> Dataset {
        let mut out = Dataset::default();
        for l in &labels.labels {
            let s = detector.score(&l.subject);
            if s.class == Class::Unknown {
                out.unknown.push((l.line, l.subject));
                continue;
            }
            out.examples.push(Example {
                line: l.line,
                subject: l.subject,
                class: l.class,
                asn: s.asn,
                features: s.features,
            });
        }
        out
    }

    fn positives(&self) -> usize {
        self.examples.iter().filter(|e| e.is_positive()).count()
    }
}

/// Settings of [`train`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TrainOptions {
    /// Cross-validation folds (split by AS).
    pub folds: usize,
    /// Seed of the fold assignment: the same seed and data give the same
    /// model, bit for bit.
    pub seed: u64,
    /// The model's name.
    pub name: String,
    /// Which kinds to consider: `logistic`, `gbdt` (both by default).
    pub kinds: Vec<String>,
}

impl TrainOptions {
    /// Sets the number of cross-validation folds.
    pub fn folds(mut self, k: usize) -> Self {
        self.folds = k;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the model's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the kinds considered (`logistic`, `gbdt`).
    pub fn kinds<I: IntoIterator<Item = S>, S: Into<String>>(mut self, kinds: I) -> Self {
        self.kinds = kinds.into_iter().map(Into::into).collect();
        self
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            folds: 5,
            seed: 1,
            name: "trained".into(),
            kinds: vec!["logistic".into(), "gbdt".into()],
        }
    }
}

/// One candidate configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Candidate {
    Logistic { lambda: f64 },
    Gbdt(gbdt::Params),
}

impl Candidate {
    fn label(&self) -> String {
        match self {
            Candidate::Logistic { lambda } => format!("logistic (L2 lambda {lambda})"),
            Candidate::Gbdt(p) => format!(
                "gbdt ({} trees, depth {}, learning rate {})",
                p.trees, p.depth, p.learning_rate
            ),
        }
    }
}

/// A fitted candidate.
enum Fitted {
    Logistic {
        transforms: [Transform; FEATURE_COUNT],
        mean: Vec<f64>,
        scale: Vec<f64>,
        linear: logistic::Linear,
    },
    Gbdt(gbdt::Boosted),
}

impl Fitted {
    fn logit(&self, x: &FeatureVector) -> f64 {
        match self {
            Fitted::Logistic {
                transforms,
                mean,
                scale,
                linear,
            } => linear.logit(&standardise(x, transforms, mean, scale)),
            Fitted::Gbdt(b) => b.logit(x.values()),
        }
    }
}

fn transformed(x: &FeatureVector, t: &[Transform; FEATURE_COUNT]) -> Vec<f64> {
    x.values().iter().zip(t).map(|(v, t)| t.apply(*v)).collect()
}

fn standardise(
    x: &FeatureVector,
    t: &[Transform; FEATURE_COUNT],
    m: &[f64],
    s: &[f64],
) -> Vec<f64> {
    transformed(x, t)
        .into_iter()
        .zip(m.iter().zip(s))
        .map(|(v, (m, s))| (v - m) / s)
        .collect()
}

fn fit(examples: &[&Example], c: Candidate) -> Fitted {
    let y: Vec<bool> = examples.iter().map(|e| e.is_positive()).collect();
    let w = vec![1.0; examples.len()];
    match c {
        Candidate::Logistic { lambda } => {
            let base = Model::default_model();
            let mut transforms = [Transform::Identity; FEATURE_COUNT];
            for f in Feature::ALL {
                transforms[f.index()] = base.transform(f);
            }
            let t: Vec<Vec<f64>> = examples
                .iter()
                .map(|e| transformed(&e.features, &transforms))
                .collect();
            let n = t.len().max(1) as f64;
            let mut mean = vec![0.0; FEATURE_COUNT];
            let mut scale = vec![0.0; FEATURE_COUNT];
            for r in &t {
                for (m, v) in mean.iter_mut().zip(r) {
                    *m += v / n;
                }
            }
            for r in &t {
                for ((s, v), m) in scale.iter_mut().zip(r).zip(&mean) {
                    *s += (v - m).powi(2) / n;
                }
            }
            for s in &mut scale {
                *s = if *s > 1e-18 { s.sqrt() } else { 1.0 };
            }
            let rows: Vec<Vec<f64>> = t
                .iter()
                .map(|r| {
                    r.iter()
                        .zip(mean.iter().zip(&scale))
                        .map(|(v, (m, s))| (v - m) / s)
                        .collect()
                })
                .collect();
            let linear = logistic::fit(&rows, &y, &w, lambda);
            Fitted::Logistic {
                transforms,
                mean,
                scale,
                linear,
            }
        }
        Candidate::Gbdt(p) => {
            let rows: Vec<Vec<f64>> = examples
                .iter()
                .map(|e| e.features.values().to_vec())
                .collect();
            Fitted::Gbdt(gbdt::fit(&rows, &y, &w, p))
        }
    }
}

/// The fold of every example: distinct ASes (or, without one, the subject
/// itself) shuffled by `seed` and dealt round-robin.
fn folds(data: &Dataset, k: usize, seed: u64) -> Vec<usize> {
    let key = |e: &Example| match e.asn {
        Some(a) => format!("AS{}", a.get()),
        None => e.subject.to_string(),
    };
    let mut groups: Vec<String> = data.examples.iter().map(key).collect();
    groups.sort();
    groups.dedup();
    // Fisher-Yates with splitmix64: stable across platforms and releases.
    let mut rng = synth::Rng(seed);
    for i in (1..groups.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        groups.swap(i, j);
    }
    let fold_of: BTreeMap<String, usize> = groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| (g, i % k.max(1)))
        .collect();
    data.examples.iter().map(|e| fold_of[&key(e)]).collect()
}

/// Held-out log-odds of every example under `c`, by `k` folds.
fn out_of_fold(data: &Dataset, fold: &[usize], k: usize, c: Candidate) -> Vec<f64> {
    use rayon::prelude::*;
    // Folds are fitted in parallel; each fit depends on its fold alone, so
    // the result is the same, bit for bit, on any number of threads.
    let fitted: Vec<Option<Fitted>> = (0..k)
        .into_par_iter()
        .map(|f| {
            let train: Vec<&Example> = data
                .examples
                .iter()
                .zip(fold)
                .filter(|(_, g)| **g != f)
                .map(|(e, _)| e)
                .collect();
            (!train.is_empty()).then(|| fit(&train, c))
        })
        .collect();
    let mut z = vec![0.0; data.examples.len()];
    for (i, e) in data.examples.iter().enumerate() {
        if let Some(m) = &fitted[fold[i]] {
            z[i] = m.logit(&e.features);
        }
    }
    z
}

/// The metrics of the field for one set of scored subjects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Subjects scored.
    pub subjects: usize,
    /// Of which positive (`bulletproof` or `bph-reseller`).
    pub positives: usize,
    /// Area under the ROC curve.
    pub roc_auc: Option<f64>,
    /// Area under the precision-recall curve (average precision).
    pub pr_auc: Option<f64>,
    /// True-positive rate at a false-positive rate of 1%.
    pub tpr_at_fpr_1: Option<f64>,
    /// True-positive rate at a false-positive rate of 5%.
    pub tpr_at_fpr_5: Option<f64>,
    /// Precision among the `positives` highest scores (R-precision).
    pub precision_at_k: Option<f64>,
    /// Brier score of the probabilities.
    pub brier: Option<f64>,
    /// Reliability table, 10 bins.
    pub reliability: Vec<metrics::ReliabilityBin>,
}

impl Metrics {
    /// Computes every metric from `(probability, is_positive)` pairs.
    pub fn of(points: &[(f64, bool)]) -> Metrics {
        let positives = points.iter().filter(|p| p.1).count();
        Metrics {
            subjects: points.len(),
            positives,
            roc_auc: metrics::roc_auc(points),
            pr_auc: metrics::pr_auc(points),
            tpr_at_fpr_1: metrics::tpr_at_fpr(points, 0.01),
            tpr_at_fpr_5: metrics::tpr_at_fpr(points, 0.05),
            precision_at_k: metrics::precision_at_k(points, positives),
            brier: metrics::brier(points),
            reliability: metrics::reliability(points, 10),
        }
    }
}

/// A candidate's cross-validated results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateResult {
    /// The candidate, described.
    pub candidate: String,
    /// Its held-out metrics (probabilities are the raw logistic of the
    /// held-out log-odds, before calibration).
    pub metrics: Metrics,
}

/// What [`train`] made and measured.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The model, ready to score.
    pub model: Model,
    /// The model file (JSON).
    pub json: String,
    /// Every candidate's cross-validated results.
    pub candidates: Vec<CandidateResult>,
    /// The chosen candidate's description.
    pub chosen: String,
    /// The chosen candidate's held-out metrics after calibration.
    pub calibrated: Metrics,
}

fn check_classes(data: &Dataset) -> Result<()> {
    let pos = data.positives();
    if data.examples.is_empty() || pos == 0 || pos == data.examples.len() {
        return Err(Error::Build {
            message: format!(
                "training needs labels of both kinds among the subjects the snapshot knows: \
                 {pos} bulletproof or bph-reseller, {} abused-legitimate or clean",
                data.examples.len() - pos
            ),
        });
    }
    Ok(())
}

fn candidates(kinds: &[String]) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for k in kinds {
        match k.as_str() {
            "logistic" => out.extend([0.01, 0.1, 1.0].map(|lambda| Candidate::Logistic { lambda })),
            "gbdt" => out.push(Candidate::Gbdt(gbdt::Params::default())),
            other => {
                return Err(Error::Build {
                    message: format!("unknown model kind {other:?}; use logistic or gbdt"),
                });
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Build {
            message: "no model kind to train".into(),
        });
    }
    Ok(out)
}

/// The `abused-legitimate` threshold that best separates abused from clean
/// subjects among the negatives (by accuracy, so that clean subjects are
/// not swept in to catch the last abused one),
/// from held-out probabilities; the default model's when there are none of
/// one kind.
fn abused_threshold(data: &Dataset, p: &[f64], bulletproof: f64) -> f64 {
    let fallback = Model::default_model().thresholds().abused_legitimate;
    let pts: Vec<(f64, bool)> = data
        .examples
        .iter()
        .zip(p)
        .filter(|(e, _)| !e.is_positive())
        .map(|(e, &p)| (p, e.class == Class::AbusedLegitimate))
        .collect();
    let pos = pts.iter().filter(|x| x.1).count();
    if pos == 0 || pos == pts.len() {
        return fallback.min(bulletproof);
    }
    let mut cands: Vec<f64> = pts.iter().map(|x| x.0).collect();
    cands.sort_by(f64::total_cmp);
    cands.dedup();
    let mut best = (f64::MIN, fallback);
    for t in cands {
        if t <= 0.0 || t >= bulletproof {
            continue;
        }
        let tp = pts.iter().filter(|x| x.1 && x.0 >= t).count() as f64;
        let fp = pts.iter().filter(|x| !x.1 && x.0 >= t).count() as f64;
        let correct = tp + (pts.len() - pos) as f64 - fp;
        if correct > best.0 {
            best = (correct, t);
        }
    }
    best.1
}

/// Trains a model: see the [module documentation](self).
///
/// Errors when the known labelled subjects hold only one class (both
/// positives and negatives are needed), or when `options.kinds` names an
/// unknown kind.
pub fn train(data: &Dataset, options: &TrainOptions) -> Result<Trained> {
    check_classes(data)?;
    let k = options.folds.clamp(2, data.examples.len());
    let fold = folds(data, k, options.seed);
    let y: Vec<bool> = data.examples.iter().map(Example::is_positive).collect();
    let mut results = Vec::new();
    let mut best: Option<(f64, usize, Candidate, Vec<f64>)> = None;
    let cands = candidates(&options.kinds)?;
    // Candidates (and, inside, their folds) are fitted in parallel, then
    // compared in their order: the choice does not depend on the threads.
    let zs: Vec<Vec<f64>> = {
        use rayon::prelude::*;
        cands
            .par_iter()
            .map(|&c| out_of_fold(data, &fold, k, c))
            .collect()
    };
    for (ci, (c, z)) in cands.into_iter().zip(zs).enumerate() {
        let pts: Vec<(f64, bool)> = z
            .iter()
            .map(|z| logistic::sigmoid(*z))
            .zip(y.iter().copied())
            .collect();
        let m = Metrics::of(&pts);
        let auc = m.roc_auc.unwrap_or(0.0);
        // Strictly better only: ties keep the earlier, simpler candidate.
        if best.as_ref().is_none_or(|b| auc > b.0 + 1e-9) {
            best = Some((auc, ci, c, z));
        }
        results.push(CandidateResult {
            candidate: c.label(),
            metrics: m,
        });
    }
    let (_, _, chosen, z) = best.expect("at least one candidate");
    let (a, b) = logistic::platt(&z, &y);
    let p: Vec<f64> = z.iter().map(|z| logistic::sigmoid(a * z + b)).collect();
    let calibrated = Metrics::of(&p.iter().copied().zip(y.iter().copied()).collect::<Vec<_>>());
    let bulletproof = 0.5;
    let thresholds = Thresholds {
        bulletproof,
        abused_legitimate: abused_threshold(data, &p, bulletproof),
    };
    let all: Vec<&Example> = data.examples.iter().collect();
    let fitted = fit(&all, chosen);
    let training = serde_json::json!({
        "labels": data.examples.len(),
        "positives": data.positives(),
        "unknown_subjects": data.unknown.len(),
        "folds": k,
        "seed": options.seed,
        "chosen": chosen.label(),
        "candidates": results,
        "calibrated": calibrated,
    });
    let raw = to_raw(&fitted, &options.name, (a, b), thresholds, training);
    let json = serde_json::to_string_pretty(&raw).map_err(|e| Error::Build {
        message: format!("cannot serialise the model: {e}"),
    })? + "\n";
    let model = Model::from_json(&json, &options.name)?;
    Ok(Trained {
        model,
        json,
        candidates: results,
        chosen: chosen.label(),
        calibrated,
    })
}

fn to_raw(
    fitted: &Fitted,
    name: &str,
    (a, b): (f64, f64),
    thresholds: Thresholds,
    training: serde_json::Value,
) -> RawModel {
    let mut raw = RawModel {
        format: "bphscore-model".into(),
        format_version: crate::score::MODEL_FORMAT_VERSION,
        name: name.into(),
        version: "1".into(),
        kind: String::new(),
        description: String::new(),
        schema: Some(crate::features::schema_hash()),
        intercept: 0.0,
        features: BTreeMap::new(),
        standardisation: BTreeMap::new(),
        trees: Vec::new(),
        base_score: None,
        calibration: Some(RawCalibration { a, b }),
        thresholds,
        training: Some(training),
    };
    match fitted {
        Fitted::Logistic {
            transforms,
            mean,
            scale,
            linear,
        } => {
            raw.kind = "logistic".into();
            raw.description = "L2-regularised logistic regression on standardised features, Platt-calibrated on held-out folds".into();
            raw.intercept = linear.intercept;
            for f in Feature::ALL {
                let i = f.index();
                raw.features.insert(
                    f.name().into(),
                    RawFeature {
                        weight: linear.weights[i],
                        transform: transforms[i],
                        note: String::new(),
                    },
                );
                raw.standardisation.insert(
                    f.name().into(),
                    RawStandardisation {
                        mean: mean[i],
                        scale: scale[i],
                    },
                );
            }
        }
        Fitted::Gbdt(boosted) => {
            raw.kind = "gbdt".into();
            raw.description =
                "gradient-boosted trees (logistic loss), Platt-calibrated on held-out folds".into();
            raw.base_score = Some(boosted.base);
            raw.trees = boosted
                .trees
                .iter()
                .map(|t| {
                    t.iter()
                        .map(|n| RawNode {
                            feature: n.feature.map(|f| Feature::ALL[f].name().to_owned()),
                            threshold: n.feature.map(|_| n.threshold),
                            left: n.feature.map(|_| n.left),
                            right: n.feature.map(|_| n.right),
                            value: n.value,
                        })
                        .collect()
                })
                .collect();
        }
    }
    raw
}

/// A confusion matrix over the four label classes: `counts[true][predicted]`
/// in the order bulletproof, bph-reseller, abused-legitimate, clean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// The counts.
    pub counts: [[usize; 4]; 4],
}

/// The label classes, in confusion-matrix order.
pub const LABEL_CLASSES: [Class; 4] = [
    Class::Bulletproof,
    Class::BphReseller,
    Class::AbusedLegitimate,
    Class::Clean,
];

fn class_index(c: Class) -> usize {
    LABEL_CLASSES.iter().position(|x| *x == c).unwrap_or(3)
}

/// The results of [`evaluate`] or [`cross_validate`].
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// How the probabilities were obtained.
    pub method: String,
    /// The model's metrics.
    pub metrics: Metrics,
    /// The ROC curve (false-positive rate, true-positive rate).
    pub roc: Vec<(f64, f64)>,
    /// Class confusion.
    pub confusion: Confusion,
    /// Baselines scored on the same subjects: name and metrics.
    pub baselines: Vec<(String, Metrics)>,
    /// Labels of subjects the snapshot does not know (line, subject).
    pub unknown: Vec<(u64, String)>,
}

/// The baselines of the field, from the same features: the AS's abuse
/// density alone (as BGP Ranking ranks ASes), and its raw count of listed
/// addresses alone (as a blocklist count does).
fn baselines(data: &Dataset) -> Vec<(String, Metrics)> {
    let y = data.examples.iter().map(Example::is_positive);
    let density: Vec<(f64, bool)> = data
        .examples
        .iter()
        .map(|e| e.features.get(Feature::AsAbuseDensity))
        .zip(y.clone())
        .collect();
    let count: Vec<(f64, bool)> = data
        .examples
        .iter()
        .map(|e| {
            let size = e.features.get(Feature::AsLog2Announced).exp2() - 1.0;
            e.features.get(Feature::AsAbuseDensity) * size
        })
        .zip(y)
        .collect();
    // The ranking metrics only: these scores are not probabilities.
    let rank_only = |pts: &[(f64, bool)]| {
        let mut m = Metrics::of(&[]);
        let full = Metrics::of(pts);
        m.subjects = full.subjects;
        m.positives = full.positives;
        m.roc_auc = full.roc_auc;
        m.pr_auc = full.pr_auc;
        m.tpr_at_fpr_1 = full.tpr_at_fpr_1;
        m.tpr_at_fpr_5 = full.tpr_at_fpr_5;
        m.precision_at_k = full.precision_at_k;
        m
    };
    vec![
        ("AS abuse density alone".into(), rank_only(&density)),
        ("raw abuse count alone".into(), rank_only(&count)),
    ]
}

fn evaluation(
    data: &Dataset,
    method: String,
    scored: impl Iterator<Item = (f64, Class)>,
) -> Evaluation {
    let mut counts = [[0usize; 4]; 4];
    let mut pts = Vec::with_capacity(data.examples.len());
    for (e, (p, predicted)) in data.examples.iter().zip(scored) {
        counts[class_index(e.class)][class_index(predicted)] += 1;
        pts.push((p, e.is_positive()));
    }
    Evaluation {
        method,
        metrics: Metrics::of(&pts),
        roc: metrics::roc_curve(&pts),
        confusion: Confusion { counts },
        baselines: baselines(data),
        unknown: data
            .unknown
            .iter()
            .map(|(l, s)| (*l, s.to_string()))
            .collect(),
    }
}

/// Scores the labelled subjects with `model` as it is (a held-out
/// evaluation when the labels come from data the model was not trained on).
pub fn evaluate(data: &Dataset, model: &Model) -> Evaluation {
    let scored = data.examples.iter().map(|e| {
        let (p, c) = model.evaluate(&e.features);
        (
            p,
            subject_class(model.classify(p, &c), &e.subject, &e.features),
        )
    });
    evaluation(data, format!("model {} as given", model.name()), scored)
}

/// k-fold cross-validation, folds split by AS: the trainer is run on k − 1
/// folds (with `options`, nested folds choosing the candidate) and scores
/// the held-out fold; the metrics are over every held-out score.
pub fn cross_validate(data: &Dataset, options: &TrainOptions) -> Result<Evaluation> {
    check_classes(data)?;
    let k = options.folds.clamp(2, data.examples.len());
    let fold = folds(data, k, options.seed);
    let mut scored = vec![(0.0, Class::Clean); data.examples.len()];
    for f in 0..k {
        let train_part = Dataset {
            examples: data
                .examples
                .iter()
                .zip(&fold)
                .filter(|(_, g)| **g != f)
                .map(|(e, _)| e.clone())
                .collect(),
            unknown: Vec::new(),
        };
        // A fold whose training part has one class cannot be trained on:
        // its subjects get that class's answer.
        let model = match train(&train_part, options) {
            Ok(t) => Some(t.model),
            Err(_) => None,
        };
        for (i, e) in data.examples.iter().enumerate() {
            if fold[i] != f {
                continue;
            }
            scored[i] = match &model {
                Some(m) => {
                    let (p, c) = m.evaluate(&e.features);
                    (p, subject_class(m.classify(p, &c), &e.subject, &e.features))
                }
                None if train_part.positives() > 0 => (1.0, Class::Bulletproof),
                None => (0.0, Class::Clean),
            };
        }
    }
    Ok(evaluation(
        data,
        format!("{k}-fold cross-validation by AS, seed {}", options.seed),
        scored.into_iter(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(asn: u32, class: Class, density: f64, listed: f64) -> Example {
        let mut x = FeatureVector::default();
        x.set(Feature::AsAbuseDensity, density);
        x.set(Feature::IpListed, listed);
        x.set(Feature::AsLog2Announced, 10.0);
        Example {
            line: 1,
            subject: Subject::Asn(Asn::new(asn)),
            class,
            asn: Some(Asn::new(asn)),
            features: x,
        }
    }

    #[test]
    fn fits_do_not_depend_on_the_number_of_threads() {
        // Enough rows for several chunks of the logistic sums.
        let mut rng = synth::Rng(7);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for _ in 0..20_000 {
            let r: Vec<f64> = (0..5)
                .map(|_| (rng.next() % 1000) as f64 / 250.0 - 2.0)
                .collect();
            y.push(r[0] + 0.5 * r[1] - r[2] * r[3] > 0.3);
            rows.push(r);
        }
        let w = vec![1.0; y.len()];
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let lin = logistic::fit(&rows, &y, &w, 0.1);
                    let params = gbdt::Params {
                        trees: 10,
                        ..gbdt::Params::default()
                    };
                    let trees = gbdt::fit(&rows, &y, &w, params);
                    (lin.intercept, lin.weights, trees)
                })
        };
        let one = run(1);
        assert_eq!(one, run(3));
        assert!(one.1.iter().all(|v| v.is_finite()) && one.1[0] > 0.0);
    }

    fn toy() -> Dataset {
        let mut examples = Vec::new();
        for i in 0..60u32 {
            let bad = i % 3 == 0;
            let noise = (i % 7) as f64 / 100.0;
            examples.push(example(
                65536 + i,
                if bad {
                    Class::Bulletproof
                } else {
                    Class::Clean
                },
                if bad { 0.2 + noise } else { noise / 2.0 },
                f64::from(u8::from(bad && i % 2 == 0)),
            ));
        }
        Dataset {
            examples,
            unknown: Vec::new(),
        }
    }

    #[test]
    fn folds_keep_an_as_together_and_are_seeded() {
        let mut d = toy();
        let dup = d.examples[0].clone();
        d.examples.push(dup);
        let f = folds(&d, 5, 7);
        assert_eq!(f[0], f[60]);
        assert_eq!(f, folds(&d, 5, 7));
        assert_ne!(f, folds(&d, 5, 8));
        for k in 0..5 {
            assert!(f.iter().filter(|x| **x == k).count() >= 10);
        }
    }

    #[test]
    fn training_is_deterministic_and_separates_the_toy() {
        let d = toy();
        let o = TrainOptions::default();
        let a = train(&d, &o).unwrap();
        let b = train(&d, &o).unwrap();
        assert_eq!(a.json, b.json);
        assert!(a.calibrated.roc_auc.unwrap() > 0.95);
        let e = evaluate(&d, &a.model);
        assert!(e.metrics.roc_auc.unwrap() > 0.95);
        assert_eq!(
            e.confusion.counts.iter().flatten().sum::<usize>(),
            d.examples.len()
        );
    }

    #[test]
    fn single_class_labels_are_refused() {
        let mut d = toy();
        d.examples.retain(|e| !e.is_positive());
        let err = train(&d, &TrainOptions::default()).unwrap_err();
        assert!(err.to_string().contains("both kinds"), "{err}");
    }

    #[test]
    fn trained_files_round_trip_both_kinds() {
        let d = toy();
        for kind in ["logistic", "gbdt"] {
            let o = TrainOptions {
                kinds: vec![kind.into()],
                ..TrainOptions::default()
            };
            let t = train(&d, &o).unwrap();
            assert!(t.json.contains(&format!("\"kind\": \"{kind}\"")));
            let again = Model::from_json(&t.json, "m").unwrap();
            for e in &d.examples {
                let (p, c) = again.evaluate(&e.features);
                assert_eq!((p, c), t.model.evaluate(&e.features));
                // The contributions explain the log-odds exactly.
                let z = (p / (1.0 - p)).ln();
                let intercept = {
                    let (p0, c0) = again.evaluate(&FeatureVector::default());
                    (p0 / (1.0 - p0)).ln() - c0.iter().sum::<f64>()
                };
                let sum = intercept + c.iter().sum::<f64>();
                if p > 1e-9 && p < 1.0 - 1e-9 {
                    assert!((z - sum).abs() < 1e-6, "{kind}: {z} vs {sum}");
                }
            }
        }
    }

    #[test]
    fn a_model_of_another_schema_is_refused() {
        let t = train(&toy(), &TrainOptions::default()).unwrap();
        let other = t
            .json
            .replace(&crate::features::schema_hash(), "0000000000000000");
        let err = Model::from_json(&other, "m.json").unwrap_err().to_string();
        assert!(err.contains("feature schema 0000000000000000"), "{err}");
    }
}
