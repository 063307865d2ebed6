//! The evaluation metrics of the field, over scored, labelled subjects.
//!
//! Every function takes `(probability, is_positive)` pairs. Tied scores are
//! handled as one threshold step, so results do not depend on input order.

use serde::Serialize;

/// Sorted by score, highest first; ties stay grouped.
fn sorted(points: &[(f64, bool)]) -> Vec<(f64, bool)> {
    let mut v = points.to_vec();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    v
}

/// Cumulative (false positives, true positives) at each distinct threshold,
/// from the highest score down, starting at (0, 0).
fn steps(points: &[(f64, bool)]) -> Vec<(usize, usize)> {
    let v = sorted(points);
    let mut out = vec![(0, 0)];
    let (mut fp, mut tp) = (0, 0);
    for (i, &(s, y)) in v.iter().enumerate() {
        if y {
            tp += 1;
        } else {
            fp += 1;
        }
        if v.get(i + 1).is_none_or(|n| n.0 != s) {
            out.push((fp, tp));
        }
    }
    out
}

fn counts(points: &[(f64, bool)]) -> (usize, usize) {
    let pos = points.iter().filter(|p| p.1).count();
    (pos, points.len() - pos)
}

/// Area under the ROC curve (the probability that a random positive scores
/// above a random negative, ties counting half). `None` without both classes.
///
/// ```
/// use bphscore::train::metrics::roc_auc;
/// assert_eq!(roc_auc(&[(0.9, true), (0.1, false)]), Some(1.0));
/// assert_eq!(roc_auc(&[(0.5, true), (0.5, false)]), Some(0.5));
/// assert_eq!(roc_auc(&[(0.5, true)]), None);
/// ```
pub fn roc_auc(points: &[(f64, bool)]) -> Option<f64> {
    let (pos, neg) = counts(points);
    if pos == 0 || neg == 0 {
        return None;
    }
    let s = steps(points);
    let mut area = 0.0;
    for w in s.windows(2) {
        let (f0, t0) = w[0];
        let (f1, t1) = w[1];
        area += (f1 - f0) as f64 * (t0 + t1) as f64 / 2.0;
    }
    Some(area / (pos as f64 * neg as f64))
}

/// The ROC curve: (false-positive rate, true-positive rate) points.
pub fn roc_curve(points: &[(f64, bool)]) -> Vec<(f64, f64)> {
    let (pos, neg) = counts(points);
    steps(points)
        .into_iter()
        .map(|(f, t)| (f as f64 / neg.max(1) as f64, t as f64 / pos.max(1) as f64))
        .collect()
}

/// Area under the precision-recall curve, as average precision (the mean of
/// the precision at each positive's threshold). `None` without positives.
///
/// ```
/// use bphscore::train::metrics::pr_auc;
/// assert_eq!(pr_auc(&[(0.9, true), (0.5, false), (0.1, true)]), Some((1.0 + 2.0 / 3.0) / 2.0));
/// ```
pub fn pr_auc(points: &[(f64, bool)]) -> Option<f64> {
    let (pos, _) = counts(points);
    if pos == 0 {
        return None;
    }
    let s = steps(points);
    let mut ap = 0.0;
    for w in s.windows(2) {
        let (f1, t1) = w[1];
        let new_tp = t1 - w[0].1;
        if new_tp > 0 {
            ap += new_tp as f64 * t1 as f64 / (f1 + t1) as f64;
        }
    }
    Some(ap / pos as f64)
}

/// The highest true-positive rate at a threshold whose false-positive rate
/// is at most `max_fpr`. `None` without both classes.
///
/// ```
/// use bphscore::train::metrics::tpr_at_fpr;
/// let p = [(0.9, true), (0.8, false), (0.7, true), (0.1, false)];
/// assert_eq!(tpr_at_fpr(&p, 0.0), Some(0.5));
/// assert_eq!(tpr_at_fpr(&p, 0.5), Some(1.0));
/// ```
pub fn tpr_at_fpr(points: &[(f64, bool)], max_fpr: f64) -> Option<f64> {
    let (pos, neg) = counts(points);
    if pos == 0 || neg == 0 {
        return None;
    }
    steps(points)
        .into_iter()
        .filter(|&(f, _)| f as f64 / neg as f64 <= max_fpr + 1e-12)
        .map(|(_, t)| t as f64 / pos as f64)
        .reduce(f64::max)
}

/// The share of positives among the `k` highest scores (ties at the cut
/// are taken in input order after sorting by score).
pub fn precision_at_k(points: &[(f64, bool)], k: usize) -> Option<f64> {
    if k == 0 || points.is_empty() {
        return None;
    }
    let v = sorted(points);
    let k = k.min(v.len());
    Some(v[..k].iter().filter(|p| p.1).count() as f64 / k as f64)
}

/// The Brier score: mean squared error of the probabilities (0 is perfect).
///
/// ```
/// use bphscore::train::metrics::brier;
/// assert_eq!(brier(&[(1.0, true), (0.0, false)]), Some(0.0));
/// assert_eq!(brier(&[(0.5, true), (0.5, false)]), Some(0.25));
/// ```
pub fn brier(points: &[(f64, bool)]) -> Option<f64> {
    if points.is_empty() {
        return None;
    }
    let sum: f64 = points
        .iter()
        .map(|&(p, y)| (p - if y { 1.0 } else { 0.0 }).powi(2))
        .sum();
    Some(sum / points.len() as f64)
}

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// Lower bound of the predicted probability (inclusive).
    pub from: f64,
    /// Upper bound (exclusive, inclusive for the last bin).
    pub to: f64,
    /// Subjects in the bin.
    pub count: usize,
    /// Mean predicted probability in the bin.
    pub predicted: f64,
    /// Share of positives in the bin.
    pub observed: f64,
}

/// A reliability table of `bins` equal-width bins over \[0, 1\]; a
/// calibrated model has `observed ≈ predicted` in every populated bin.
pub fn reliability(points: &[(f64, bool)], bins: usize) -> Vec<ReliabilityBin> {
    let bins = bins.max(1);
    let mut acc = vec![(0usize, 0.0f64, 0usize); bins];
    for &(p, y) in points {
        let b = ((p.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        acc[b].0 += 1;
        acc[b].1 += p;
        acc[b].2 += usize::from(y);
    }
    acc.into_iter()
        .enumerate()
        .map(|(i, (n, sp, pos))| ReliabilityBin {
            from: i as f64 / bins as f64,
            to: (i + 1) as f64 / bins as f64,
            count: n,
            predicted: if n > 0 { sp / n as f64 } else { 0.0 },
            observed: if n > 0 { pos as f64 / n as f64 } else { 0.0 },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairwise definition of ROC AUC, for comparison.
    fn auc_pairs(p: &[(f64, bool)]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for a in p.iter().filter(|x| x.1) {
            for b in p.iter().filter(|x| !x.1) {
                den += 1.0;
                num += if a.0 > b.0 {
                    1.0
                } else if a.0 == b.0 {
                    0.5
                } else {
                    0.0
                };
            }
        }
        num / den
    }

    #[test]
    fn roc_auc_matches_the_pairwise_definition() {
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for _ in 0..50 {
            let pts: Vec<(f64, bool)> = (0..40)
                .map(|_| ((next() * 8.0).floor() / 8.0, next() < 0.4))
                .collect();
            if let Some(a) = roc_auc(&pts) {
                assert!((a - auc_pairs(&pts)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn reliability_bins_count_everything() {
        let pts = [(0.05, false), (0.95, true), (1.0, true), (0.5, false)];
        let t = reliability(&pts, 10);
        assert_eq!(t.iter().map(|b| b.count).sum::<usize>(), 4);
        assert_eq!(t[9].count, 2);
        assert_eq!(t[9].observed, 1.0);
        assert_eq!(precision_at_k(&pts, 2), Some(1.0));
        assert_eq!(precision_at_k(&pts, 4), Some(0.5));
    }
}
