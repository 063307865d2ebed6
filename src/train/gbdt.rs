//! Gradient-boosted decision trees for the logistic loss, on histogram bins.
//!
//! Each feature is cut once into at most [`MAX_BINS`] bins at quantile
//! midpoints; a tree grows level by level from gradient and Hessian sums per
//! bin, so one level costs one pass over the rows. Deterministic: there is
//! no sampling.

use crate::score::Node;

/// The most bins (so the most candidate thresholds) per feature.
pub(crate) const MAX_BINS: usize = 64;

/// Settings of the boosting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Params {
    pub trees: usize,
    pub depth: usize,
    pub learning_rate: f64,
    pub lambda: f64,
    pub min_child_weight: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            trees: 120,
            depth: 3,
            learning_rate: 0.1,
            lambda: 1.0,
            min_child_weight: 1.0,
        }
    }
}

/// The thresholds of one feature: `x <= t[k]` falls in bins `0..=k`.
fn thresholds(values: &mut [f64]) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let mut distinct: Vec<f64> = Vec::new();
    for &v in values.iter() {
        if distinct.last() != Some(&v) {
            distinct.push(v);
        }
    }
    if distinct.len() <= MAX_BINS {
        return distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    }
    let mut out: Vec<f64> = Vec::new();
    for k in 1..MAX_BINS {
        let i = k * values.len() / MAX_BINS;
        let (a, b) = (values[i - 1], values[i]);
        let t = if a == b {
            // Inside a run of equal values: cut just after it.
            match distinct.binary_search_by(|v| v.total_cmp(&a)) {
                Ok(j) if j + 1 < distinct.len() => (distinct[j] + distinct[j + 1]) / 2.0,
                _ => continue,
            }
        } else {
            (a + b) / 2.0
        };
        if out.last().is_none_or(|l| *l < t) {
            out.push(t);
        }
    }
    out
}

/// The boosted model: a base logit and trees whose leaves add to it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Boosted {
    pub base: f64,
    pub trees: Vec<Vec<Node>>,
}

pub(crate) fn predict_tree(tree: &[Node], x: &[f64]) -> f64 {
    let mut i = 0;
    loop {
        let n = &tree[i];
        match n.feature {
            None => return n.value,
            Some(f) => i = if x[f] <= n.threshold { n.left } else { n.right } as usize,
        }
    }
}

impl Boosted {
    pub fn logit(&self, x: &[f64]) -> f64 {
        self.base + self.trees.iter().map(|t| predict_tree(t, x)).sum::<f64>()
    }
}

/// Fits boosted trees to rows of raw feature values.
pub(crate) fn fit(rows: &[Vec<f64>], y: &[bool], sample_w: &[f64], p: Params) -> Boosted {
    let n = rows.len();
    let d = rows.first().map_or(0, Vec::len);
    let cuts: Vec<Vec<f64>> = (0..d)
        .map(|f| {
            let mut v: Vec<f64> = rows.iter().map(|r| r[f]).collect();
            thresholds(&mut v)
        })
        .collect();
    // Bin index of every value, feature-major.
    let bins: Vec<Vec<u8>> = (0..d)
        .map(|f| {
            rows.iter()
                .map(|r| cuts[f].partition_point(|t| *t < r[f]) as u8)
                .collect()
        })
        .collect();
    let wsum: f64 = sample_w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let pos: f64 = y
        .iter()
        .zip(sample_w)
        .filter(|(v, _)| **v)
        .map(|(_, w)| w)
        .sum();
    let rate = ((pos + 0.5) / (wsum + 1.0)).clamp(1e-6, 1.0 - 1e-6);
    let base = (rate / (1.0 - rate)).ln();
    let mut z = vec![base; n];
    let mut g = vec![0.0; n];
    let mut h = vec![0.0; n];
    let mut trees = Vec::with_capacity(p.trees);
    for _ in 0..p.trees {
        for i in 0..n {
            let mu = super::logistic::sigmoid(z[i]);
            g[i] = (mu - f64::from(u8::from(y[i]))) * sample_w[i];
            h[i] = (mu * (1.0 - mu)).max(1e-12) * sample_w[i];
        }
        let tree = grow(&bins, &cuts, &g, &h, p);
        for (i, r) in rows.iter().enumerate() {
            z[i] += predict_tree(&tree, r);
        }
        trees.push(tree);
    }
    Boosted { base, trees }
}

fn grow(bins: &[Vec<u8>], cuts: &[Vec<f64>], g: &[f64], h: &[f64], p: Params) -> Vec<Node> {
    let n = g.len();
    let value = |gs: f64, hs: f64| -gs / (hs + p.lambda) * p.learning_rate;
    let (g0, h0) = (g.iter().sum::<f64>(), h.iter().sum::<f64>());
    let mut nodes = vec![Node::leaf(value(g0, h0))];
    // Per node being grown: (node index, G, H).
    let mut open = vec![(0usize, g0, h0)];
    let mut at = vec![0u32; n]; // the node each row is in
    for _level in 0..p.depth {
        if open.is_empty() {
            break;
        }
        // Node index -> its place in `open` (usize::MAX: not growing).
        let mut slot = vec![usize::MAX; nodes.len()];
        for (s, o) in open.iter().enumerate() {
            slot[o.0] = s;
        }
        // Histograms: [feature][open node][bin] -> (G, H), one feature per
        // task; each bin sums its rows in row order, so the result does not
        // depend on the threads.
        let hist: Vec<Vec<Vec<(f64, f64)>>> = {
            use rayon::prelude::*;
            bins.par_iter()
                .map(|fb| {
                    let mut hf = vec![vec![(0.0f64, 0.0f64); MAX_BINS]; open.len()];
                    for i in 0..n {
                        let s = slot[at[i] as usize];
                        if s != usize::MAX {
                            let e = &mut hf[s][fb[i] as usize];
                            e.0 += g[i];
                            e.1 += h[i];
                        }
                    }
                    hf
                })
                .collect()
        };
        let mut next = Vec::new();
        let mut splits: Vec<Option<(usize, usize)>> = vec![None; open.len()];
        for (s, &(node, gs, hs)) in open.iter().enumerate() {
            let parent = gs * gs / (hs + p.lambda);
            let mut best: Option<(f64, usize, usize, f64, f64)> = None;
            for f in 0..bins.len() {
                let (mut gl, mut hl) = (0.0, 0.0);
                for (k, &(g, h)) in hist[f][s].iter().enumerate().take(cuts[f].len()) {
                    gl += g;
                    hl += h;
                    let (gr, hr) = (gs - gl, hs - hl);
                    if hl < p.min_child_weight || hr < p.min_child_weight {
                        continue;
                    }
                    let gain = gl * gl / (hl + p.lambda) + gr * gr / (hr + p.lambda) - parent;
                    if gain > 1e-9 && best.is_none_or(|b| gain > b.0) {
                        best = Some((gain, f, k, gl, hl));
                    }
                }
            }
            if let Some((_, f, k, gl, hl)) = best {
                let l = nodes.len();
                nodes.push(Node::leaf(value(gl, hl)));
                nodes.push(Node::leaf(value(gs - gl, hs - hl)));
                let nd = &mut nodes[node];
                nd.feature = Some(f);
                nd.threshold = cuts[f][k];
                nd.left = l as u32;
                nd.right = l as u32 + 1;
                splits[s] = Some((f, k));
                next.push((l, gl, hl));
                next.push((l + 1, gs - gl, hs - hl));
            }
        }
        for i in 0..n {
            let s = slot[at[i] as usize];
            if s != usize::MAX
                && let Some((f, k)) = splits[s]
            {
                let nd = &nodes[at[i] as usize];
                at[i] = if (bins[f][i] as usize) <= k {
                    nd.left
                } else {
                    nd.right
                };
            }
        }
        open = next;
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_an_interaction_a_linear_model_cannot() {
        // An exclusive or of two features (off-centre, so that a greedy
        // first split has something to gain): a linear model ranks it
        // little better than chance.
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..30 {
            for j in 0..30 {
                let (a, b) = (i as f64 / 29.0, j as f64 / 29.0);
                rows.push(vec![a, b]);
                y.push((a > 0.3) != (b > 0.6));
            }
        }
        let w = vec![1.0; y.len()];
        let m = fit(&rows, &y, &w, Params::default());
        let pts: Vec<(f64, bool)> = rows.iter().zip(&y).map(|(r, &t)| (m.logit(r), t)).collect();
        let auc = crate::train::metrics::roc_auc(&pts).unwrap();
        assert!(auc > 0.99, "{auc}");
        let lin = crate::train::logistic::fit(&rows, &y, &w, 0.1);
        let pts: Vec<(f64, bool)> = rows
            .iter()
            .zip(&y)
            .map(|(r, &t)| (lin.logit(r), t))
            .collect();
        let lin_auc = crate::train::metrics::roc_auc(&pts).unwrap();
        assert!(lin_auc < 0.8, "{lin_auc}");
    }

    #[test]
    fn thresholds_separate_distinct_values() {
        let mut v = vec![0.0, 0.0, 1.0, 1.0, 3.0];
        assert_eq!(thresholds(&mut v), vec![0.5, 2.0]);
        let mut many: Vec<f64> = (0..1000).map(|i| (i % 500) as f64).collect();
        let t = thresholds(&mut many);
        assert!(t.len() < MAX_BINS && t.len() > 30);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
    }
}
