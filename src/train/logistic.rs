//! L2-regularised logistic regression, fitted by Newton's method (IRLS).
//!
//! The feature count is small (tens), so each Newton step solves the full
//! d × d system by Cholesky; a few steps reach the optimum exactly and the
//! result does not depend on any random state.

/// A fitted linear model on standardised inputs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Linear {
    pub intercept: f64,
    pub weights: Vec<f64>,
}

impl Linear {
    pub fn logit(&self, x: &[f64]) -> f64 {
        self.intercept + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>()
    }
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Rows per chunk of the parallel sums.
const CHUNK: usize = 8192;

/// Fits `y ~ σ(b + w·x)` minimising the mean log-loss plus
/// `lambda / 2 · |w|²` (the intercept is not penalised). Rows are
/// standardised inputs; `weights` are per-row sample weights.
pub(crate) fn fit(rows: &[Vec<f64>], y: &[bool], sample_w: &[f64], lambda: f64) -> Linear {
    let d = rows.first().map_or(0, Vec::len);
    let p = d + 1; // intercept first
    let mut beta = vec![0.0; p];
    let total: f64 = sample_w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    for _ in 0..50 {
        // Sums over fixed chunks of rows, in parallel, added in chunk order:
        // the same result on any number of threads.
        let parts: Vec<(Vec<f64>, Vec<f64>)> = {
            use rayon::prelude::*;
            let rows_w: Vec<(&Vec<f64>, (&bool, &f64))> =
                rows.iter().zip(y.iter().zip(sample_w)).collect();
            rows_w
                .par_chunks(CHUNK)
                .map(|chunk| {
                    let mut grad = vec![0.0; p];
                    let mut hess = vec![0.0; p * p];
                    let mut xf = vec![1.0; p];
                    for &(x, (&yi, &sw)) in chunk {
                        xf[1..].copy_from_slice(x);
                        let z = beta[0] + beta[1..].iter().zip(x).map(|(b, v)| b * v).sum::<f64>();
                        let mu = sigmoid(z);
                        let r = (mu - f64::from(u8::from(yi))) * sw / total;
                        let h = (mu * (1.0 - mu)).max(1e-12) * sw / total;
                        grad[0] += r;
                        for j in 0..d {
                            grad[j + 1] += r * x[j];
                        }
                        // Upper triangle, intercept as the constant column
                        // (a row-slice form the compiler vectorises).
                        for a in 0..p {
                            let xa = xf[a];
                            if xa == 0.0 {
                                continue;
                            }
                            let hxa = h * xa;
                            let row = &mut hess[a * p + a..(a + 1) * p];
                            for (e, &xb) in row.iter_mut().zip(&xf[a..]) {
                                *e += hxa * xb;
                            }
                        }
                    }
                    (grad, hess)
                })
                .collect()
        };
        let mut grad = vec![0.0; p];
        let mut hess = vec![0.0; p * p];
        for (g, h) in parts {
            grad.iter_mut().zip(g).for_each(|(a, b)| *a += b);
            hess.iter_mut().zip(h).for_each(|(a, b)| *a += b);
        }
        for j in 1..p {
            grad[j] += lambda * beta[j];
            hess[j * p + j] += lambda;
        }
        hess[0] += 1e-9;
        for a in 0..p {
            for b in 0..a {
                hess[a * p + b] = hess[b * p + a];
            }
        }
        let Some(step) = cholesky_solve(&mut hess, &grad, p) else {
            break;
        };
        let mut change: f64 = 0.0;
        for j in 0..p {
            beta[j] -= step[j];
            change = change.max(step[j].abs());
        }
        if change < 1e-10 {
            break;
        }
    }
    Linear {
        intercept: beta[0],
        weights: beta[1..].to_vec(),
    }
}

/// Solves `A x = b` for a symmetric positive-definite `A` (row-major, n × n,
/// overwritten by its Cholesky factor). `None` when `A` is not positive
/// definite.
fn cholesky_solve(a: &mut [f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= a[j * n + k] * a[j * n + k];
        }
        if s <= 0.0 || !s.is_finite() {
            return None;
        }
        let l = s.sqrt();
        a[j * n + j] = l;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / l;
        }
    }
    let mut z = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * z[k];
        }
        z[i] = s / a[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = z[i];
        for k in i + 1..n {
            s -= a[k * n + i] * x[k];
        }
        x[i] = s / a[i * n + i];
    }
    Some(x)
}

/// Platt scaling: fits `p = σ(a·z + b)` to held-out logits `z`, with
/// Platt's smoothed targets so that separable folds do not send `a` to
/// infinity.
pub(crate) fn platt(z: &[f64], y: &[bool]) -> (f64, f64) {
    let pos = y.iter().filter(|v| **v).count() as f64;
    let neg = y.len() as f64 - pos;
    let (t_pos, t_neg) = ((pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0));
    let (mut a, mut b) = (1.0, 0.0);
    for _ in 0..100 {
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (&zi, &yi) in z.iter().zip(y) {
            let t = if yi { t_pos } else { t_neg };
            let p = sigmoid(a * zi + b);
            let r = p - t;
            let h = (p * (1.0 - p)).max(1e-12);
            g0 += r * zi;
            g1 += r;
            h00 += h * zi * zi;
            h01 += h * zi;
            h11 += h;
        }
        let det = h00 * h11 - h01 * h01;
        if det.abs() < 1e-300 {
            break;
        }
        let da = (h11 * g0 - h01 * g1) / det;
        let db = (h00 * g1 - h01 * g0) / det;
        a -= da;
        b -= db;
        if da.abs().max(db.abs()) < 1e-10 {
            break;
        }
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_direction() {
        // y = 1 exactly when x0 > x1 (noise-free, so only the ridge term
        // keeps the weights finite).
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                let (a, b) = (i as f64 / 10.0 - 1.0, j as f64 / 10.0 - 1.0);
                rows.push(vec![a, b, 0.0]);
                y.push(a > b);
            }
        }
        let w = vec![1.0; y.len()];
        let m = fit(&rows, &y, &w, 0.01);
        assert!(m.weights[0] > 1.0 && m.weights[1] < -1.0, "{m:?}");
        assert!((m.weights[0] + m.weights[1]).abs() < 1e-6);
        assert_eq!(m.weights[2], 0.0);
        // More regularisation, smaller weights.
        let m2 = fit(&rows, &y, &w, 1.0);
        assert!(m2.weights[0] < m.weights[0]);
    }

    #[test]
    fn platt_is_the_identity_on_calibrated_logits() {
        // Logits whose sigmoid is the true rate: Platt should keep a≈1, b≈0.
        let mut z = Vec::new();
        let mut y = Vec::new();
        for k in -3i32..=3 {
            let p = sigmoid(k as f64);
            let n = 2000;
            let pos = (p * n as f64).round() as usize;
            for i in 0..n {
                z.push(k as f64);
                y.push(i < pos);
            }
        }
        let (a, b) = platt(&z, &y);
        assert!((a - 1.0).abs() < 0.02 && b.abs() < 0.02, "{a} {b}");
    }
}
