//! Gradient training of the non-convex polynomial-activation network (docs/math.md#poly-model,
//! docs/math.md#poly-regularizers), for the "SGD vs optimum" comparison against the SDP.
//!
//! Two regularizers:
//! * [`PolyRegularizer::UnitL1`] — the model the SDP is exact for: `‖u_k‖ = 1` kept by
//!   projection (Riemannian gradient, then renormalisation) and `β Σ|α_k|` (proximal
//!   soft-threshold for GD/SGD, subgradient for Adam). Every iterate is feasible, so the SDP
//!   optimum is a lower bound on its objective and docs/math.md#poly-certificate certifies its gap.
//! * [`PolyRegularizer::WeightDecay`] — `(β/2) Σ (‖u_k‖² + α_k²)`. Training with it is NP-hard
//!   (Bartan & Pilanci) and it has no exact convex counterpart; for `σ(t) = t²` the learned
//!   function can still be rescaled to unit-norm neurons ([`PolyTrainer::unit_network`]) and
//!   certified against the ℓ1 SDP.

use std::ops::ControlFlow;
use std::time::Instant;

use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};
use serde::{Deserialize, Serialize};

use super::sgd::{Optimizer, SgdSettings, adam_step, check_training_input};
use crate::error::Result;
use crate::geometry::patterns::normal;
use crate::model::{Loss, PolyActivation, PolyNetwork, PolyNeuron};

/// The regularizer of the non-convex polynomial network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolyRegularizer {
    /// Unit-norm first layer and `β‖α‖₁` (the tractable SDP's model).
    #[default]
    UnitL1,
    /// Weight decay `(β/2)Σ(‖u‖² + α²)` (NP-hard; no exact convex form).
    WeightDecay,
}

/// One epoch's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolyEpochReport {
    /// Epoch counter (1-based).
    pub epoch: usize,
    /// Objective of the chosen regularizer on the full data.
    pub objective: f64,
    /// Loss part.
    pub loss: f64,
    /// Penalty part.
    pub penalty: f64,
    /// Training accuracy for ±1 labels, `NaN` for regression.
    pub accuracy: f64,
    /// Seconds spent in this epoch.
    pub seconds: f64,
}

/// The trainer state: `m` blocks `(u₁, u₂, u₃, α)`.
#[derive(Debug)]
pub struct PolyTrainer {
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
    loss: Loss,
    beta: f64,
    act: PolyActivation,
    reg: PolyRegularizer,
    settings: SgdSettings,
    theta: Vec<[f64; 4]>,
    m1: Vec<[f64; 4]>,
    m2: Vec<[f64; 4]>,
    t: u64,
    rng: StdRng,
    order: Vec<usize>,
    epoch: usize,
}

impl PolyTrainer {
    /// Random initialisation from `settings.seed` (unit-norm `u` for `UnitL1`).
    pub fn new(
        x: Vec<[f64; 2]>,
        y: Vec<f64>,
        loss: Loss,
        beta: f64,
        act: PolyActivation,
        reg: PolyRegularizer,
        settings: SgdSettings,
    ) -> Result<Self> {
        settings.validate()?;
        act.validate()?;
        check_training_input(&x, &y, loss, beta)?;
        let mut rng = StdRng::seed_from_u64(settings.seed);
        let s = settings.init_scale;
        let mut theta: Vec<[f64; 4]> = (0..settings.width)
            .map(|_| {
                [
                    normal(&mut rng),
                    normal(&mut rng),
                    normal(&mut rng),
                    s * normal(&mut rng),
                ]
            })
            .collect();
        for p in &mut theta {
            let n = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt().max(1e-300);
            let scale = if reg == PolyRegularizer::UnitL1 {
                1.0
            } else {
                s
            } / n;
            for c in p.iter_mut().take(3) {
                *c *= scale;
            }
        }
        let m = settings.width;
        Ok(Self {
            order: (0..x.len()).collect(),
            x,
            y,
            loss,
            beta,
            act,
            reg,
            settings,
            theta,
            m1: vec![[0.0; 4]; m],
            m2: vec![[0.0; 4]; m],
            t: 0,
            rng,
            epoch: 0,
        })
    }

    /// The network as trained (for weight decay `‖u‖` is free).
    pub fn network(&self) -> PolyNetwork {
        PolyNetwork {
            activation: self.act,
            neurons: self
                .theta
                .iter()
                .map(|p| PolyNeuron {
                    u: [p[0], p[1], p[2]],
                    alpha: p[3],
                })
                .collect(),
        }
    }

    /// The same function with unit-norm neurons, when one exists: always for `UnitL1`; for
    /// weight decay only when `σ(t) = a t²` (2-homogeneous: `α σ(xᵀu) = α‖u‖² σ(xᵀu/‖u‖)`).
    pub fn unit_network(&self) -> Option<PolyNetwork> {
        match self.reg {
            PolyRegularizer::UnitL1 => Some(self.network()),
            PolyRegularizer::WeightDecay if self.act.b == 0.0 && self.act.c == 0.0 => {
                Some(PolyNetwork {
                    activation: self.act,
                    neurons: self
                        .theta
                        .iter()
                        .filter_map(|p| {
                            let n2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
                            (n2 > 0.0).then(|| {
                                let n = n2.sqrt();
                                PolyNeuron {
                                    u: [p[0] / n, p[1] / n, p[2] / n],
                                    alpha: p[3] * n2,
                                }
                            })
                        })
                        .collect(),
                })
            }
            PolyRegularizer::WeightDecay => None,
        }
    }

    /// Epochs done.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    fn penalty(&self) -> f64 {
        match self.reg {
            PolyRegularizer::UnitL1 => {
                self.beta * self.theta.iter().map(|p| p[3].abs()).sum::<f64>()
            }
            PolyRegularizer::WeightDecay => {
                0.5 * self.beta
                    * self
                        .theta
                        .iter()
                        .map(|p| p.iter().map(|v| v * v).sum::<f64>())
                        .sum::<f64>()
            }
        }
    }

    /// The objective on the full data.
    pub fn objective(&self) -> f64 {
        self.loss.total(&self.network().predict(&self.x), &self.y) + self.penalty()
    }

    /// Gradient of the smooth part (loss, plus weight decay) over `idx`, loss scaled by `n/|idx|`.
    pub fn smooth_gradient(&self, idx: &[usize]) -> Vec<[f64; 4]> {
        let scale = self.x.len() as f64 / idx.len() as f64;
        let mut grad: Vec<[f64; 4]> = match self.reg {
            PolyRegularizer::WeightDecay => self
                .theta
                .iter()
                .map(|p| p.map(|v| self.beta * v))
                .collect(),
            PolyRegularizer::UnitL1 => vec![[0.0; 4]; self.theta.len()],
        };
        let a = self.act;
        for &j in idx {
            let xj = self.x[j];
            let f: f64 = self
                .theta
                .iter()
                .map(|p| p[3] * a.eval(p[0] * xj[0] + p[1] * xj[1] + p[2]))
                .sum();
            let r = scale * self.loss.derivative(f, self.y[j]);
            if r == 0.0 {
                continue;
            }
            for (g, p) in grad.iter_mut().zip(&self.theta) {
                let t = p[0] * xj[0] + p[1] * xj[1] + p[2];
                let ds = r * p[3] * (2.0 * a.a * t + a.b);
                g[0] += ds * xj[0];
                g[1] += ds * xj[1];
                g[2] += ds;
                g[3] += r * a.eval(t);
            }
        }
        grad
    }

    fn apply(&mut self, mut grad: Vec<[f64; 4]>, lr: f64) {
        let unit = self.reg == PolyRegularizer::UnitL1;
        if unit {
            // Riemannian gradient: drop the radial component of ∂/∂u.
            for (g, p) in grad.iter_mut().zip(&self.theta) {
                let radial = g[0] * p[0] + g[1] * p[1] + g[2] * p[2];
                for c in 0..3 {
                    g[c] -= radial * p[c];
                }
            }
        }
        let adam = self.settings.optimizer == Optimizer::Adam;
        if adam {
            if unit {
                for (g, p) in grad.iter_mut().zip(&self.theta) {
                    g[3] += self.beta * p[3].signum();
                }
            }
            self.t += 1;
            adam_step(
                &mut self.theta,
                &mut self.m1,
                &mut self.m2,
                &grad,
                self.t,
                lr,
            );
        } else {
            for (p, g) in self.theta.iter_mut().zip(&grad) {
                for c in 0..4 {
                    p[c] -= lr * g[c];
                }
                if unit {
                    // Proximal step of β|α|.
                    p[3] = p[3].signum() * (p[3].abs() - lr * self.beta).max(0.0);
                }
            }
        }
        if unit {
            for p in &mut self.theta {
                let n = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
                if n > 0.0 {
                    for c in p.iter_mut().take(3) {
                        *c /= n;
                    }
                } else {
                    *p = [1.0, 0.0, 0.0, p[3]];
                }
            }
        }
    }

    /// Learning rate in force (geometric decay from `lr` to `lr_final`).
    pub fn current_lr(&self) -> f64 {
        self.settings.lr_at(self.epoch)
    }

    /// One epoch (one full-batch step for GD, `⌈n/B⌉` minibatch steps otherwise).
    pub fn step(&mut self) -> PolyEpochReport {
        let t0 = Instant::now();
        let lr = self.current_lr();
        let n = self.x.len();
        if self.settings.optimizer == Optimizer::Gd || self.settings.batch_size >= n {
            let all: Vec<usize> = (0..n).collect();
            let g = self.smooth_gradient(&all);
            self.apply(g, lr);
        } else {
            self.order.shuffle(&mut self.rng);
            let order = self.order.clone();
            for batch in order.chunks(self.settings.batch_size) {
                let g = self.smooth_gradient(batch);
                self.apply(g, lr);
            }
        }
        self.epoch += 1;
        let yhat = self.network().predict(&self.x);
        let loss = self.loss.total(&yhat, &self.y);
        let penalty = self.penalty();
        let classification = self.y.iter().all(|&v| v == 1.0 || v == -1.0);
        let accuracy = if classification {
            yhat.iter()
                .zip(&self.y)
                .filter(|(f, y)| **f * **y > 0.0)
                .count() as f64
                / n as f64
        } else {
            f64::NAN
        };
        PolyEpochReport {
            epoch: self.epoch,
            objective: loss + penalty,
            loss,
            penalty,
            accuracy,
            seconds: t0.elapsed().as_secs_f64(),
        }
    }

    /// Trains for `settings.epochs` epochs; `on_epoch` may stop early.
    pub fn run(
        &mut self,
        mut on_epoch: impl FnMut(&PolyEpochReport) -> ControlFlow<()>,
    ) -> Vec<PolyEpochReport> {
        let mut out = Vec::new();
        while self.epoch < self.settings.epochs {
            let r = self.step();
            let stop = on_epoch(&r).is_break();
            out.push(r);
            if stop {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn data(n: usize, seed: u64) -> (Vec<[f64; 2]>, Vec<f64>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let x: Vec<[f64; 2]> = (0..n)
            .map(|_| [rng.random_range(-1.5..1.5), rng.random_range(-1.5..1.5)])
            .collect();
        let y = x
            .iter()
            .map(|p| if p[0] * p[1] > 0.0 { 1.0 } else { -1.0 })
            .collect();
        (x, y)
    }

    /// The smooth gradient equals central finite differences (both regularizers, all losses
    /// except hinge's kink).
    #[test]
    fn gradient_matches_finite_differences() {
        let (x, y) = data(15, 2);
        for loss in [Loss::Squared, Loss::Logistic] {
            for reg in [PolyRegularizer::UnitL1, PolyRegularizer::WeightDecay] {
                let s = SgdSettings {
                    width: 4,
                    seed: 9,
                    ..SgdSettings::default()
                };
                let mut tr = PolyTrainer::new(
                    x.clone(),
                    y.clone(),
                    loss,
                    0.1,
                    PolyActivation::SWISH_LIKE,
                    reg,
                    s,
                )
                .unwrap();
                let all: Vec<usize> = (0..x.len()).collect();
                let g = tr.smooth_gradient(&all);
                let smooth = |tr: &PolyTrainer| match reg {
                    PolyRegularizer::UnitL1 => tr.loss.total(&tr.network().predict(&tr.x), &tr.y),
                    PolyRegularizer::WeightDecay => tr.objective(),
                };
                for k in 0..4 {
                    for c in 0..4 {
                        let h = 1e-6;
                        tr.theta[k][c] += h;
                        let fp = smooth(&tr);
                        tr.theta[k][c] -= 2.0 * h;
                        let fm = smooth(&tr);
                        tr.theta[k][c] += h;
                        let fd = (fp - fm) / (2.0 * h);
                        assert!(
                            (fd - g[k][c]).abs() <= 1e-5 * (1.0 + fd.abs()),
                            "{loss:?} {reg:?} {k} {c}: {fd} vs {}",
                            g[k][c]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn unit_l1_iterates_stay_on_the_sphere_and_descend() {
        let (x, y) = data(20, 3);
        let s = SgdSettings {
            width: 6,
            lr: 0.01,
            lr_final: 0.01,
            epochs: 300,
            optimizer: Optimizer::Gd,
            ..SgdSettings::default()
        };
        let mut tr = PolyTrainer::new(
            x,
            y,
            Loss::Squared,
            0.1,
            PolyActivation::RELU_LIKE,
            PolyRegularizer::UnitL1,
            s,
        )
        .unwrap();
        let f0 = tr.objective();
        let reps = tr.run(|_| ControlFlow::Continue(()));
        assert_eq!(reps.len(), 300);
        for n in tr.network().neurons {
            assert!((n.u.iter().map(|v| v * v).sum::<f64>().sqrt() - 1.0).abs() < 1e-12);
        }
        assert!(reps[299].objective < f0);
    }
}
