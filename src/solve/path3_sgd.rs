//! Gradient training of the parallel three-layer network (docs/math.md#path3) in its smooth
//! form: the output weights are fixed, `a_k = +1` for the first half of the sub-networks and
//! `−1` for the rest, and
//!
//! `J(θ) = ½ Σ_j (f(x_j) − y_j)² + (β/2) Σ_{k,j} (s_kj² + ‖u_kj‖²)`
//!
//! is minimized by full-batch GD or Adam. `J` has the same infimum as the path-regularized
//! objective (the second ReLU is positively homogeneous, so `|a_k|` moves into the `s_kj`, and
//! `(s² + ‖u‖²)/2 ≥ |s|‖u‖` with equality when balanced); each run is reported with the exact
//! path-regularized objective of its iterate, which is at most `J`.

use std::time::Instant;

use rand::{SeedableRng, rngs::StdRng};

use super::sgd::{Optimizer, SgdSettings, adam_step, check_training_input};
use crate::error::Result;
use crate::geometry::patterns::normal;
use crate::model::Loss;
use crate::model::path3::{Path3Network, Path3Neuron, SubNetwork};

/// Default number of first-layer neurons per sub-network.
pub const DEFAULT_INNER: usize = 12;

/// The trainer: `K` sub-networks of `m` neurons, each neuron a block `(u₁, u₂, u₃, s)`.
#[derive(Debug)]
pub struct Path3Trainer {
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
    beta: f64,
    settings: SgdSettings,
    inner: usize,
    /// Output weights (fixed ±1).
    a: Vec<f64>,
    theta: Vec<[f64; 4]>,
    m1: Vec<[f64; 4]>,
    m2: Vec<[f64; 4]>,
    grad: Vec<[f64; 4]>,
    t: u64,
    epoch: usize,
}

impl Path3Trainer {
    /// `settings.width` sub-networks (at least 2: one of each sign) of `inner` neurons each,
    /// entries `N(0, init_scale²)` from `settings.seed`.
    pub fn new(
        x: Vec<[f64; 2]>,
        y: Vec<f64>,
        beta: f64,
        inner: usize,
        settings: SgdSettings,
    ) -> Result<Self> {
        settings.validate()?;
        check_training_input(&x, &y, Loss::Squared, beta)?;
        if inner == 0 || inner > crate::limits::MAX_WIDTH {
            return Err(crate::error::Error::InvalidSetting(format!(
                "--inner {inner}: must be from 1 to {}",
                crate::limits::MAX_WIDTH
            )));
        }
        let k = settings.width.max(2);
        let mut rng = StdRng::seed_from_u64(settings.seed);
        let s = settings.init_scale;
        let theta: Vec<[f64; 4]> = (0..k * inner)
            .map(|_| {
                [
                    s * normal(&mut rng),
                    s * normal(&mut rng),
                    s * normal(&mut rng),
                    s * normal(&mut rng),
                ]
            })
            .collect();
        let n = theta.len();
        Ok(Self {
            x,
            y,
            beta,
            settings,
            inner,
            a: (0..k).map(|i| if i < k / 2 { 1.0 } else { -1.0 }).collect(),
            theta,
            m1: vec![[0.0; 4]; n],
            m2: vec![[0.0; 4]; n],
            grad: vec![[0.0; 4]; n],
            t: 0,
            epoch: 0,
        })
    }

    /// The current network.
    pub fn network(&self) -> Path3Network {
        Path3Network {
            subnets: self
                .a
                .iter()
                .enumerate()
                .map(|(k, &a)| SubNetwork {
                    a,
                    neurons: self.theta[k * self.inner..(k + 1) * self.inner]
                        .iter()
                        .map(|p| Path3Neuron {
                            u: [p[0], p[1], p[2]],
                            s: p[3],
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The smooth objective `J`.
    pub fn smooth_objective(&self) -> f64 {
        let net = self.network();
        let loss: f64 = net
            .predict(&self.x)
            .iter()
            .zip(&self.y)
            .map(|(f, t)| 0.5 * (f - t) * (f - t))
            .sum();
        let wd: f64 = self
            .theta
            .iter()
            .map(|p| p.iter().map(|v| v * v).sum::<f64>())
            .sum();
        loss + 0.5 * self.beta * wd
    }

    /// The exact gradient of `J` (for tests).
    pub fn full_gradient(&mut self) -> Vec<[f64; 4]> {
        self.gradient();
        self.grad.clone()
    }

    fn gradient(&mut self) {
        let b = self.beta;
        for (g, p) in self.grad.iter_mut().zip(&self.theta) {
            *g = [b * p[0], b * p[1], b * p[2], b * p[3]];
        }
        let m = self.inner;
        let mut pre = vec![0.0; m];
        for (xj, &yj) in self.x.iter().zip(&self.y) {
            // Forward, keeping each sub-network's first-layer pre-activations.
            let mut zs = Vec::with_capacity(self.a.len());
            let mut f = 0.0;
            for (k, &a) in self.a.iter().enumerate() {
                let z: f64 = self.theta[k * m..(k + 1) * m]
                    .iter()
                    .map(|p| p[3] * (p[0] * xj[0] + p[1] * xj[1] + p[2]).max(0.0))
                    .sum();
                f += a * z.max(0.0);
                zs.push(z);
            }
            let r = f - yj;
            if r == 0.0 {
                continue;
            }
            for (k, &a) in self.a.iter().enumerate() {
                if zs[k] <= 0.0 {
                    continue;
                }
                let d = r * a;
                let block = &self.theta[k * m..(k + 1) * m];
                for (q, p) in pre.iter_mut().zip(block) {
                    *q = p[0] * xj[0] + p[1] * xj[1] + p[2];
                }
                for (i, q) in pre.iter().enumerate() {
                    if *q <= 0.0 {
                        continue;
                    }
                    let p = self.theta[k * m + i];
                    let g = &mut self.grad[k * m + i];
                    let ds = d * p[3];
                    g[0] += ds * xj[0];
                    g[1] += ds * xj[1];
                    g[2] += ds;
                    g[3] += d * q;
                }
            }
        }
    }

    /// One full-batch step (GD or Adam); returns the exact path-regularized objective of the
    /// new iterate.
    pub fn step(&mut self) -> f64 {
        self.gradient();
        let lr = self.settings.lr_at(self.epoch);
        match self.settings.optimizer {
            Optimizer::Adam => {
                self.t += 1;
                adam_step(
                    &mut self.theta,
                    &mut self.m1,
                    &mut self.m2,
                    &self.grad,
                    self.t,
                    lr,
                );
            }
            Optimizer::Gd | Optimizer::Sgd => {
                for (p, g) in self.theta.iter_mut().zip(&self.grad) {
                    for c in 0..4 {
                        p[c] -= lr * g[c];
                    }
                }
            }
        }
        self.epoch += 1;
        self.objective()
    }

    /// The exact path-regularized objective of the current iterate.
    pub fn objective(&self) -> f64 {
        self.network().objective(&self.x, &self.y, self.beta)
    }

    /// Epochs done.
    pub fn epoch(&self) -> usize {
        self.epoch
    }
}

/// One run: the best exact objective over the epochs and the network that reached it.
#[derive(Debug, Clone)]
pub struct Path3Run {
    /// The seed.
    pub seed: u64,
    /// Best exact path-regularized objective over the iterates.
    pub best: f64,
    /// Exact objective of the last iterate.
    pub last: f64,
    /// The network at the best iterate.
    pub network: Path3Network,
    /// Wall time.
    pub seconds: f64,
    /// Whether the run blew up (a non-finite objective).
    pub diverged: bool,
}

/// Trains one seed for `settings.epochs` epochs.
pub fn train_path3(
    x: &[[f64; 2]],
    y: &[f64],
    beta: f64,
    inner: usize,
    settings: SgdSettings,
) -> Result<Path3Run> {
    let t0 = Instant::now();
    let mut tr = Path3Trainer::new(x.to_vec(), y.to_vec(), beta, inner, settings)?;
    let mut best = tr.objective();
    let mut network = tr.network();
    let mut last = best;
    let mut diverged = false;
    for _ in 0..settings.epochs {
        last = tr.step();
        if !last.is_finite() {
            diverged = true;
            break;
        }
        if last < best {
            best = last;
            network = tr.network();
        }
    }
    Ok(Path3Run {
        seed: settings.seed,
        best,
        last,
        network,
        seconds: t0.elapsed().as_secs_f64(),
        diverged,
    })
}
