//! SVG plots of an evaluation: the ROC curve and the reliability diagram.
//!
//! Two fixed line plots on the unit square are a few dozen lines of SVG;
//! a plotting library would add a large dependency tree for them.

use std::fmt::Write;

use super::Evaluation;

const SIZE: f64 = 400.0;
const PAD: f64 = 50.0;

fn frame(title: &str, x_label: &str, y_label: &str) -> String {
    let full = SIZE + 2.0 * PAD;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{full}\" height=\"{full}\" viewBox=\"0 0 {full} {full}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"25\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n\
         <rect x=\"{PAD}\" y=\"{PAD}\" width=\"{SIZE}\" height=\"{SIZE}\" fill=\"none\" stroke=\"black\"/>\n",
        full / 2.0,
        escape(title)
    );
    for i in 0..=10 {
        let v = i as f64 / 10.0;
        let (x, y) = point(v, v);
        let _ = writeln!(
            s,
            "<line x1=\"{x}\" y1=\"{PAD}\" x2=\"{x}\" y2=\"{}\" stroke=\"#ddd\"/><line x1=\"{PAD}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#ddd\"/>\
             <text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{v:.1}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v:.1}</text>",
            PAD + SIZE,
            PAD + SIZE,
            PAD + SIZE + 15.0,
            PAD - 5.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        PAD + SIZE / 2.0,
        PAD + SIZE + 35.0,
        escape(x_label),
        PAD + SIZE / 2.0,
        escape(y_label)
    );
    let (x0, y0) = point(0.0, 0.0);
    let (x1, y1) = point(1.0, 1.0);
    let _ = writeln!(
        s,
        "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y1}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>"
    );
    s
}

fn point(x: f64, y: f64) -> (f64, f64) {
    (
        PAD + x.clamp(0.0, 1.0) * SIZE,
        PAD + (1.0 - y.clamp(0.0, 1.0)) * SIZE,
    )
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn polyline(points: impl Iterator<Item = (f64, f64)>, colour: &str) -> String {
    let pts: Vec<String> = points
        .map(|(x, y)| {
            let (a, b) = point(x, y);
            format!("{a:.2},{b:.2}")
        })
        .collect();
    format!(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>\n",
        pts.join(" ")
    )
}

/// The ROC curve of `e` as an SVG document.
pub fn roc_svg(e: &Evaluation) -> String {
    let auc = e.metrics.roc_auc.map_or("-".into(), |a| format!("{a:.3}"));
    let mut s = frame(
        &format!("ROC, AUC {auc} ({})", e.method),
        "false-positive rate",
        "true-positive rate",
    );
    s += &polyline(e.roc.iter().copied(), "#c0392b");
    s += "</svg>\n";
    s
}

/// The reliability diagram of `e` (observed rate against mean predicted
/// probability per populated bin) as an SVG document.
pub fn reliability_svg(e: &Evaluation) -> String {
    let brier = e.metrics.brier.map_or("-".into(), |b| format!("{b:.4}"));
    let mut s = frame(
        &format!("Reliability, Brier {brier}"),
        "predicted probability",
        "observed share of positives",
    );
    let bins: Vec<(f64, f64)> = e
        .metrics
        .reliability
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| (b.predicted, b.observed))
        .collect();
    s += &polyline(bins.iter().copied(), "#2c7fb8");
    for (x, y) in bins {
        let (a, b) = point(x, y);
        let _ = writeln!(
            s,
            "<circle cx=\"{a:.2}\" cy=\"{b:.2}\" r=\"4\" fill=\"#2c7fb8\"/>"
        );
    }
    s += "</svg>\n";
    s
}
