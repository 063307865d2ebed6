//! Trains a model on seeded synthetic worlds and evaluates it on worlds it
//! was not trained on, beside the hand-set model (`models/handset.json`)
//! and two baselines (AS abuse density alone, as BGP Ranking ranks; the raw
//! count of listed addresses alone). The shipped default is made so:
//!
//! ```text
//! cargo run --release --example train_model -- --out models/default.json
//! ```
//!
//! Options: `--train N` worlds (seeds 1..=N, default 8), `--test N` worlds
//! (seeds 1001.., default 4), `--ases N` per world (default 300), `--out
//! FILE` (default: print the report only), `--json FILE` (the held-out
//! evaluation as JSON), `--kinds logistic,gbdt` (the candidate kinds). The same options give the same model, bit for bit.

use std::process::ExitCode;
use std::time::Instant;

use bphscore::train::{self, Dataset, Labels, Metrics, TrainOptions, synth};
use bphscore::{Detector, Model};

/// The hand-set logistic model that was the default before a trained one.
const HANDSET: &str = include_str!("../models/handset.json");

fn data(seed: u64, ases: usize) -> Result<Dataset, bphscore::Error> {
    let w = synth::world(seed, ases);
    let detector = Detector::new(w.snapshot()?, Model::default_model());
    let labels = Labels::parse(&format!("world {seed} labels"), w.labels.as_bytes())?;
    Ok(Dataset::new(&detector, &labels))
}

fn merge(parts: Vec<Dataset>) -> Dataset {
    let mut all = Dataset::default();
    for p in parts {
        all.examples.extend(p.examples);
        all.unknown.extend(p.unknown);
    }
    all
}

fn row(name: &str, m: &Metrics) -> String {
    let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
    format!(
        "{name:<26} {:>8} {:>8} {:>8} {:>8} {:>8}",
        f(m.roc_auc),
        f(m.pr_auc),
        f(m.tpr_at_fpr_1),
        f(m.tpr_at_fpr_5),
        f(m.brier)
    )
}

fn run() -> Result<(), String> {
    let (mut n_train, mut n_test, mut ases) = (8u64, 4u64, 300usize);
    let (mut out, mut json) = (None, None);
    let mut kinds: Vec<String> = vec!["logistic".into(), "gbdt".into()];
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--train" => n_train = value()?.parse().map_err(|e| format!("--train: {e}"))?,
            "--test" => n_test = value()?.parse().map_err(|e| format!("--test: {e}"))?,
            "--ases" => ases = value()?.parse().map_err(|e| format!("--ases: {e}"))?,
            "--kinds" => kinds = value()?.split(',').map(str::to_owned).collect(),
            "--out" => out = Some(value()?),
            "--json" => json = Some(value()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    let t = Instant::now();
    let training = merge(
        (1..=n_train)
            .map(|s| data(s, ases))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
    );
    let held_out = merge(
        (1001..1001 + n_test)
            .map(|s| data(s, ases))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
    );
    let worlds_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let name = out
        .as_deref()
        .and_then(|o| std::path::Path::new(o).file_stem())
        .map_or("trained".to_owned(), |s| s.to_string_lossy().into_owned());
    let trained = train::train(&training, &TrainOptions::default().name(name).kinds(kinds))
        .map_err(|e| e.to_string())?;
    let train_s = t.elapsed().as_secs_f64();
    let e = train::evaluate(&held_out, &trained.model);
    println!(
        "training: {} worlds, {} labelled subjects ({} positive); held out: {} worlds, {} subjects ({} positive)",
        n_train,
        training.examples.len(),
        training.examples.iter().filter(|e| e.is_positive()).count(),
        n_test,
        held_out.examples.len(),
        held_out.examples.iter().filter(|e| e.is_positive()).count()
    );
    println!("worlds generated and built in {worlds_s:.2} s; trained in {train_s:.2} s");
    println!("\ncross-validated candidates (training worlds, folds by AS):");
    for c in &trained.candidates {
        println!("{}", row(&c.candidate, &c.metrics));
    }
    println!("chosen: {}\n", trained.chosen);
    println!(
        "held-out worlds        {:>8} {:>8} {:>8} {:>8} {:>8}",
        "ROC AUC", "PR AUC", "TPR@1%", "TPR@5%", "Brier"
    );
    println!("{}", row("trained model", &e.metrics));
    let handset = Model::from_json(HANDSET, "models/handset.json").map_err(|e| e.to_string())?;
    println!(
        "{}",
        row(
            "hand-set model",
            &train::evaluate(&held_out, &handset).metrics
        )
    );
    for (n, m) in &e.baselines {
        println!("{}", row(n, m));
    }
    println!("\nreliability of the trained model on held-out worlds:");
    for b in e.metrics.reliability.iter().filter(|b| b.count > 0) {
        println!(
            "  [{:.1}, {:.1})  n={:<6} predicted {:.3}  observed {:.3}",
            b.from, b.to, b.count, b.predicted, b.observed
        );
    }
    println!(
        "\nconfusion (rows: label, columns: verdict; bulletproof, bph-reseller, abused-legitimate, clean):"
    );
    for (c, r) in train::LABEL_CLASSES.iter().zip(&e.confusion.counts) {
        println!("  {:<18} {:?}", c.name(), r);
    }
    if let Some(path) = out {
        std::fs::write(&path, &trained.json).map_err(|e| format!("{path}: {e}"))?;
        println!("\nwrote {path}");
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&e).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("train_model: {e}");
            ExitCode::FAILURE
        }
    }
}
