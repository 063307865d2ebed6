//! `bphscore train` and `bphscore eval`, run as processes on a synthetic
//! training world, and the trained models scoring through the library.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bphscore::train::{Dataset, Labels, synth};
use bphscore::{Class, Detector, Model, ModelKind};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bphscore"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("bphscore runs")
}

/// A world's snapshot and labels written to `dir`.
fn world_files(dir: &Path, seed: u64, ases: usize) -> (PathBuf, PathBuf) {
    let w = synth::world(seed, ases);
    let snap = dir.join(format!("world{seed}.bph"));
    w.snapshot().unwrap().write(&snap).unwrap();
    let labels = dir.join(format!("labels{seed}.csv"));
    std::fs::write(&labels, &w.labels).unwrap();
    (snap, labels)
}

#[test]
fn train_then_eval_on_a_held_out_world() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, labels) = world_files(dir.path(), 21, 200);
    let model = dir.path().join("m.json");
    let out = run(bin()
        .args(["train", "--folds", "3", "--snapshot"])
        .arg(&snap)
        .arg("--labels")
        .arg(&labels)
        .arg("-o")
        .arg(&model));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("chosen: "), "{err}");
    assert!(err.contains("logistic") && err.contains("gbdt"), "{err}");
    let m = Model::load(&model).unwrap();
    assert_eq!(m.name(), "m");

    // The same inputs and seed give the same file, byte for byte.
    let again = dir.path().join("again.json");
    let out = run(bin()
        .args(["train", "-q", "--folds", "3", "--name", "m", "--snapshot"])
        .arg(&snap)
        .arg("--labels")
        .arg(&labels)
        .arg("-o")
        .arg(&again));
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(&model).unwrap(),
        std::fs::read(&again).unwrap()
    );

    // Held out: another world.
    let (snap2, labels2) = world_files(dir.path(), 22, 200);
    let plots = dir.path().join("plots");
    let out = run(bin()
        .args(["eval", "--snapshot"])
        .arg(&snap2)
        .arg("--labels")
        .arg(&labels2)
        .arg("--model")
        .arg(&model)
        .arg("--plots")
        .arg(&plots));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let auc_of = |row: &str| -> f64 {
        let line = table
            .lines()
            .find(|l| l.len() > 26 && l[..26].trim_end() == row)
            .unwrap();
        line[26..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let model_auc = auc_of("model");
    assert!(model_auc > auc_of("AS abuse density alone"), "{table}");
    assert!(model_auc > auc_of("raw abuse count alone"), "{table}");
    assert!(table.contains("confusion"), "{table}");
    for f in ["roc.svg", "reliability.svg"] {
        let svg = std::fs::read_to_string(plots.join(f)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<polyline"), "{f}");
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    // JSON: the same numbers, machine-readable.
    let out = run(bin()
        .args(["eval", "--json", "--snapshot"])
        .arg(&snap2)
        .arg("--labels")
        .arg(&labels2)
        .arg("--model")
        .arg(&model));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let json_auc = v["metrics"]["roc_auc"].as_f64().unwrap();
    assert!((json_auc - model_auc).abs() < 1e-4);
    let n: u64 = v["confusion"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()))
        .sum();
    assert_eq!(n, v["metrics"]["subjects"].as_u64().unwrap());

    // A trained model scores through the command line.
    let out = run(bin()
        .args(["score", "--format", "jsonl", "--snapshot"])
        .arg(&snap2)
        .arg("--model")
        .arg(&model)
        .arg(&labels2));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().count(),
        std::fs::read_to_string(&labels2).unwrap().lines().count()
    );
}

#[test]
fn cross_validation_by_as() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, labels) = world_files(dir.path(), 23, 150);
    let out = run(bin()
        .args(["eval", "--cv", "3", "--snapshot"])
        .arg(&snap)
        .arg("--labels")
        .arg(&labels));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.starts_with("3-fold cross-validation by AS"),
        "{table}"
    );
}

#[test]
fn bad_labels_are_reported_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, _) = world_files(dir.path(), 24, 30);
    let cases = [
        (
            "AS4200000000,bulletproof\nAS4200000001,evil\n",
            "labels.csv:2: unknown label",
        ),
        (
            "AS4200000000,bulletproof\n\nAS4200000000,clean\n",
            "labels.csv:3: AS4200000000 is labelled clean here and bulletproof on line 1",
        ),
        ("AS4200000000,clean\nAS4200000001,clean\n", "both kinds"),
    ];
    for (body, want) in cases {
        let labels = dir.path().join("labels.csv");
        std::fs::write(&labels, body).unwrap();
        let out = run(bin()
            .args(["train", "--snapshot"])
            .arg(&snap)
            .arg("--labels")
            .arg(&labels)
            .arg("-o")
            .arg(dir.path().join("x.json")));
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(err.contains(want), "{body:?}: {err}");
        assert!(!dir.path().join("x.json").exists());
    }
    // A subject the snapshot does not know is named with its line and left out.
    let labels = dir.path().join("labels.csv");
    let mut body = synth::world(24, 30).labels;
    body.push_str("AS64511,clean\n");
    let line = body.lines().count();
    std::fs::write(&labels, body).unwrap();
    let out = run(bin()
        .args(["eval", "--snapshot"])
        .arg(&snap)
        .arg("--labels")
        .arg(&labels));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "labels line {line}: AS64511 is unknown to the snapshot"
        )),
        "{err}"
    );
}

#[test]
fn library_training_scores_classes_through_a_detector() {
    let w = synth::world(31, 200);
    let labels = Labels::parse("l", w.labels.as_bytes()).unwrap();
    let data = Dataset::new(
        &Detector::new(w.snapshot().unwrap(), Model::default_model()),
        &labels,
    );
    let snapshot = w.snapshot().unwrap();
    let trained = bphscore::train::train(
        &data,
        &bphscore::train::TrainOptions::default().kinds(["gbdt"]),
    )
    .unwrap();
    assert_eq!(trained.model.kind(), ModelKind::Gbdt);
    let detector = Detector::new(snapshot, trained.model.clone());
    // Scores through the detector equal the model on the dataset's
    // features, and the reasons explain them.
    let mut right = 0;
    for e in &data.examples {
        let s = detector.score(&e.subject);
        assert_eq!(s.probability, trained.model.evaluate(&e.features).0);
        if (s.class == e.class) || (e.class == Class::Clean && s.class == Class::AbusedLegitimate) {
            right += 1;
        }
        if s.probability > 0.5 {
            assert!(!s.reasons.is_empty(), "{}", e.subject);
        }
    }
    assert!(
        right * 10 > data.examples.len() * 8,
        "{right} of {}",
        data.examples.len()
    );
}

#[test]
fn the_default_world_labels_evaluate() {
    let labels = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/labels/world-labels.csv");
    let out = run(bin().args(["eval", "--json", "--labels"]).arg(&labels));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = std::fs::read_to_string(&labels)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("subject"))
        .count() as u64;
    assert_eq!(v["metrics"]["subjects"].as_u64(), Some(lines));
    assert_eq!(v["unknown"].as_array().map(Vec::len), Some(0));
    // The shipped model ranks the world's labels above both baselines.
    let auc = v["metrics"]["roc_auc"].as_f64().unwrap();
    for b in v["baselines"].as_array().unwrap() {
        assert!(auc > b[1]["roc_auc"].as_f64().unwrap(), "{b}");
    }
}
