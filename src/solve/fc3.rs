//! A plain (fully connected) three-layer ReLU network with weight decay, trained by full-batch
//! Adam: the "three-layer weight decay" baseline of the path-regularization comparison
//! (docs/math.md#path3). `f(x) = Σ_k a_k (Σ_j W_kj (x̃ᵀu_j)₊ + c_k)₊` with
//! `J = ½‖f(X) − y‖² + (β/2)(Σ‖u_j‖² + Σ(W_kj² + c_k²) + Σa_k²)` (every weight and bias
//! regularized, as everywhere in this project). No convex program is known for it: its runs
//! are scored by their own objective only.

use rand::{SeedableRng, rngs::StdRng};

use super::sgd::{SgdSettings, adam_step, check_training_input};
use crate::error::Result;
use crate::geometry::patterns::normal;
use crate::model::Loss;

/// A fully connected three-layer ReLU network.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fc3Network {
    /// First-layer neurons `(w₁, w₂, b)`.
    pub u: Vec<[f64; 3]>,
    /// Second layer: row `k` holds `W_k1 … W_km` and the bias `c_k` last.
    pub w: Vec<Vec<f64>>,
    /// Output weights.
    pub a: Vec<f64>,
}

impl Fc3Network {
    /// `f(x)`.
    pub fn eval(&self, x: [f64; 2]) -> f64 {
        let h: Vec<f64> = self
            .u
            .iter()
            .map(|u| (u[0] * x[0] + u[1] * x[1] + u[2]).max(0.0))
            .collect();
        self.w
            .iter()
            .zip(&self.a)
            .map(|(row, a)| {
                let m = h.len();
                let z: f64 = row[..m].iter().zip(&h).map(|(w, h)| w * h).sum::<f64>() + row[m];
                a * z.max(0.0)
            })
            .sum()
    }

    /// `½ Σ (f(x_j) − y_j)² + (β/2)·(sum of all squared weights and biases)`.
    pub fn objective(&self, x: &[[f64; 2]], y: &[f64], beta: f64) -> f64 {
        let loss: f64 = x
            .iter()
            .zip(y)
            .map(|(&p, t)| 0.5 * (self.eval(p) - t).powi(2))
            .sum();
        let sq: f64 = self
            .u
            .iter()
            .flat_map(|u| u.iter())
            .chain(self.w.iter().flatten())
            .chain(&self.a)
            .map(|v| v * v)
            .sum();
        loss + 0.5 * beta * sq
    }
}

/// Trains `m1` first-layer and `m2` second-layer neurons for `settings.epochs` full-batch Adam
/// steps from `N(0, init_scale²)`; returns the iterate with the smallest objective.
pub fn train_fc3(
    x: &[[f64; 2]],
    y: &[f64],
    beta: f64,
    m1: usize,
    m2: usize,
    settings: SgdSettings,
) -> Result<(Fc3Network, f64)> {
    settings.validate()?;
    check_training_input(x, y, Loss::Squared, beta)?;
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let s = settings.init_scale;
    // Parameters in blocks of 4 (Adam's layout): first-layer neurons (u, 0), then the second
    // layer and the output weights packed four at a time.
    let n2 = m2 * (m1 + 1) + m2;
    let blocks = m1 + n2.div_ceil(4);
    let mut theta: Vec<[f64; 4]> = (0..blocks)
        .map(|_| {
            [
                s * normal(&mut rng),
                s * normal(&mut rng),
                s * normal(&mut rng),
                s * normal(&mut rng),
            ]
        })
        .collect();
    for b in theta.iter_mut().take(m1) {
        b[3] = 0.0; // unused slot
    }
    let flat = |theta: &[[f64; 4]], i: usize| theta[m1 + i / 4][i % 4];
    let unpack = |theta: &[[f64; 4]]| Fc3Network {
        u: theta[..m1].iter().map(|b| [b[0], b[1], b[2]]).collect(),
        w: (0..m2)
            .map(|k| (0..=m1).map(|j| flat(theta, k * (m1 + 1) + j)).collect())
            .collect(),
        a: (0..m2).map(|k| flat(theta, m2 * (m1 + 1) + k)).collect(),
    };
    let (mut m1s, mut m2s) = (vec![[0.0; 4]; blocks], vec![[0.0; 4]; blocks]);
    let mut best = (unpack(&theta), f64::INFINITY);
    let mut grad = vec![[0.0; 4]; blocks];
    for t in 1..=settings.epochs as u64 {
        let net = unpack(&theta);
        let obj = net.objective(x, y, beta);
        if !obj.is_finite() {
            break;
        }
        if obj < best.1 {
            best = (net.clone(), obj);
        }
        // Gradient: weight decay, then backpropagation per point.
        for (g, p) in grad.iter_mut().zip(&theta) {
            *g = [beta * p[0], beta * p[1], beta * p[2], beta * p[3]];
        }
        for b in grad.iter_mut().take(m1) {
            b[3] = 0.0;
        }
        let mut gflat = vec![0.0; n2];
        let mut gu = vec![[0.0; 3]; m1];
        for (p, &yj) in x.iter().zip(y) {
            let pre1: Vec<f64> = net
                .u
                .iter()
                .map(|u| u[0] * p[0] + u[1] * p[1] + u[2])
                .collect();
            let h: Vec<f64> = pre1.iter().map(|v| v.max(0.0)).collect();
            let z: Vec<f64> = net
                .w
                .iter()
                .map(|row| row[..m1].iter().zip(&h).map(|(w, h)| w * h).sum::<f64>() + row[m1])
                .collect();
            let f: f64 = z.iter().zip(&net.a).map(|(z, a)| a * z.max(0.0)).sum();
            let r = f - yj;
            let mut dh = vec![0.0; m1];
            for k in 0..m2 {
                gflat[m2 * (m1 + 1) + k] += r * z[k].max(0.0);
                if z[k] <= 0.0 {
                    continue;
                }
                let dz = r * net.a[k];
                for j in 0..m1 {
                    gflat[k * (m1 + 1) + j] += dz * h[j];
                    dh[j] += dz * net.w[k][j];
                }
                gflat[k * (m1 + 1) + m1] += dz;
            }
            for j in 0..m1 {
                if pre1[j] > 0.0 {
                    gu[j][0] += dh[j] * p[0];
                    gu[j][1] += dh[j] * p[1];
                    gu[j][2] += dh[j];
                }
            }
        }
        for (j, g) in gu.iter().enumerate() {
            for c in 0..3 {
                grad[j][c] += g[c];
            }
        }
        for (i, g) in gflat.iter().enumerate() {
            grad[m1 + i / 4][i % 4] += g;
        }
        adam_step(
            &mut theta,
            &mut m1s,
            &mut m2s,
            &grad,
            t,
            settings.lr_at(t as usize - 1),
        );
    }
    let last = unpack(&theta);
    let obj = last.objective(x, y, beta);
    if obj < best.1 {
        best = (last, obj);
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objective_counts_every_weight() {
        let net = Fc3Network {
            u: vec![[1.0, 0.0, 0.0]],
            w: vec![vec![2.0, -1.0]],
            a: vec![3.0],
        };
        // f(1, 0) = 3·(2·1 − 1)₊ = 3.
        assert_eq!(net.eval([1.0, 0.0]), 3.0);
        let j = net.objective(&[[1.0, 0.0]], &[1.0], 0.5);
        assert!((j - (0.5 * 4.0 + 0.25 * (1.0 + 4.0 + 1.0 + 9.0))).abs() < 1e-12);
    }
}
