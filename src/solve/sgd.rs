//! Gradient training of the non-convex two-layer ReLU network (docs/math.md#relu-nonconvex) with the
//! very objective the convex program is equivalent to:
//! `J(u, α) = Σ_j ℓ(f(x_j), y_j) + (β/2) Σ_k (‖u_k‖² + α_k²)`, `f(x) = Σ_k α_k (x̃ᵀu_k)₊`.
//!
//! Full-batch gradient descent, minibatch SGD (the loss part scaled by `n/|B|`, an unbiased
//! estimate of the summed loss) and Adam; fixed seeds; the same `step()` / `run(callback)` shape
//! as the convex solver. At ReLU kinks the subgradient `1[x̃ᵀu > 0]` is used (strict rule, docs/math.md#conventions).

use std::ops::ControlFlow;
use std::time::Instant;

use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::geometry::patterns::normal;
use crate::model::{Loss, Neuron, ReluNetwork, TrainingLoss};

/// Which update rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Full-batch (sub)gradient descent.
    Gd,
    /// Minibatch stochastic gradient descent (`batch_size` samples per step).
    Sgd,
    /// Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) on minibatches (full batch if `batch_size ≥ n`).
    Adam,
}

impl Optimizer {
    /// Parses `gd`, `sgd` or `adam`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "gd" => Ok(Self::Gd),
            "sgd" => Ok(Self::Sgd),
            "adam" => Ok(Self::Adam),
            _ => Err(Error::InvalidSetting(format!(
                "--optimizer {s:?}: expected gd, sgd or adam"
            ))),
        }
    }

    /// CLI name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Gd => "gd",
            Self::Sgd => "sgd",
            Self::Adam => "adam",
        }
    }
}

/// Adversarial training (docs/math.md#robust-baselines): each sample is replaced by an attack on
/// it inside its ℓ∞ box before the gradient step.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adversarial {
    /// Plain training.
    #[default]
    None,
    /// Fast gradient sign method: `x + ε·sign(∇ₓℓ)`.
    Fgsm {
        /// Box radius.
        eps: f64,
    },
    /// Projected gradient ascent: `steps` sign steps of size `2.5ε/steps` from `x`, each
    /// projected back onto the box.
    Pgd {
        /// Box radius.
        eps: f64,
        /// Ascent steps.
        steps: usize,
    },
}

impl Adversarial {
    /// Parses `--adversarial none|fgsm|pgd` with its radius and PGD steps.
    pub fn parse(kind: &str, eps: f64, steps: usize) -> Result<Self> {
        let a = match kind {
            "none" => Self::None,
            "fgsm" => Self::Fgsm { eps },
            "pgd" => Self::Pgd { eps, steps },
            _ => {
                return Err(Error::InvalidSetting(format!(
                    "--adversarial {kind:?}: expected none, fgsm or pgd"
                )));
            }
        };
        a.validate()?;
        Ok(a)
    }

    /// Checks the radius and the step count.
    pub fn validate(&self) -> Result<()> {
        let eps = match *self {
            Self::None => return Ok(()),
            Self::Fgsm { eps } => eps,
            Self::Pgd { eps, steps } => {
                if !(1..=1000).contains(&steps) {
                    return Err(Error::InvalidSetting(format!(
                        "--pgd-steps {steps}: expected 1 to 1000"
                    )));
                }
                eps
            }
        };
        if !(eps.is_finite() && (0.0..=crate::convex::robust::MAX_EPSILON).contains(&eps)) {
            return Err(Error::InvalidSetting(format!(
                "--epsilon {eps}: must be a number from 0 to {}",
                crate::convex::robust::MAX_EPSILON
            )));
        }
        Ok(())
    }

    /// The CLI name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Fgsm { .. } => "fgsm",
            Self::Pgd { .. } => "pgd",
        }
    }
}

/// Training settings (plain public fields; see [`SgdSettings::validate`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdSettings {
    /// Number of hidden neurons `m`.
    pub width: usize,
    /// Learning rate at the first epoch.
    pub lr: f64,
    /// Learning rate at the last epoch: the rate decays geometrically from `lr` to `lr_final`
    /// (equal to `lr` for a constant rate). A decaying rate lets SGD/Adam settle exactly.
    pub lr_final: f64,
    /// Epochs (passes over the data).
    pub epochs: usize,
    /// Standard deviation of the Gaussian initialisation of `u` and `α` (small init: docs/math.md#max-margin).
    pub init_scale: f64,
    /// Update rule.
    pub optimizer: Optimizer,
    /// Minibatch size for SGD/Adam.
    pub batch_size: usize,
    /// RNG seed (initialisation and minibatch order).
    pub seed: u64,
    /// Adversarial training (plain by default).
    #[serde(default)]
    pub adversarial: Adversarial,
}

impl Default for SgdSettings {
    fn default() -> Self {
        Self {
            width: 10,
            lr: 0.01,
            lr_final: 0.01,
            epochs: 2000,
            init_scale: 0.5,
            optimizer: Optimizer::Gd,
            batch_size: 16,
            seed: 0,
            adversarial: Adversarial::None,
        }
    }
}

/// Checks what a trainer is given: points and targets of equal, non-zero length, `β ≥ 0`,
/// targets the loss accepts.
pub(crate) fn check_training_input(
    x: &[[f64; 2]],
    y: &[f64],
    loss: impl Into<TrainingLoss>,
    beta: f64,
) -> Result<()> {
    if x.is_empty() || x.len() != y.len() {
        return Err(Error::InvalidData(format!(
            "{} points and {} targets",
            x.len(),
            y.len()
        )));
    }
    if !(beta.is_finite() && beta >= 0.0) {
        return Err(Error::InvalidSetting(format!("beta = {beta}: must be ≥ 0")));
    }
    loss.into().check_targets(y)
}

/// One Adam step (β₁ = 0.9, β₂ = 0.999, ε = 1e-8) on blocks of 4 parameters; `t` is the
/// 1-based step count.
pub(crate) fn adam_step(
    theta: &mut [[f64; 4]],
    m1: &mut [[f64; 4]],
    m2: &mut [[f64; 4]],
    grad: &[[f64; 4]],
    t: u64,
    lr: f64,
) {
    let (b1, b2, eps): (f64, f64, f64) = (0.9, 0.999, 1e-8);
    let c1 = 1.0 - b1.powi(t.min(i32::MAX as u64) as i32);
    let c2 = 1.0 - b2.powi(t.min(i32::MAX as u64) as i32);
    for k in 0..theta.len() {
        for c in 0..4 {
            let g = grad[k][c];
            m1[k][c] = b1 * m1[k][c] + (1.0 - b1) * g;
            m2[k][c] = b2 * m2[k][c] + (1.0 - b2) * g * g;
            theta[k][c] -= lr * (m1[k][c] / c1) / ((m2[k][c] / c2).sqrt() + eps);
        }
    }
}

impl SgdSettings {
    /// The learning rate at `epoch`: geometric decay from `lr` to `lr_final` over `epochs`.
    pub fn lr_at(&self, epoch: usize) -> f64 {
        if self.lr_final == self.lr || self.epochs <= 1 {
            return self.lr;
        }
        let frac = (epoch as f64 / (self.epochs - 1) as f64).min(1.0);
        self.lr * (self.lr_final / self.lr).powf(frac)
    }

    /// Checks ranges; the message names the setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidSetting(m));
        if self.width == 0 || self.width > crate::limits::MAX_WIDTH {
            return bad(format!(
                "width {}: must be from 1 to {}",
                self.width,
                crate::limits::MAX_WIDTH
            ));
        }
        if self.epochs > crate::limits::MAX_EPOCHS {
            return bad(format!(
                "{} epochs: at most {}",
                self.epochs,
                crate::limits::MAX_EPOCHS
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("lr = {}: must be > 0", self.lr));
        }
        if !(self.lr_final.is_finite() && self.lr_final > 0.0) {
            return bad(format!("lr_final = {}: must be > 0", self.lr_final));
        }
        if !(self.init_scale.is_finite() && self.init_scale > 0.0) {
            return bad(format!("init_scale = {}: must be > 0", self.init_scale));
        }
        let max = crate::limits::MAX_STEP;
        if self.lr > max || self.lr_final > max || self.init_scale > max {
            return bad(format!(
                "lr = {:e}, lr_final = {:e}, init_scale = {:e}: each must be at most {max:e}",
                self.lr, self.lr_final, self.init_scale
            ));
        }
        if self.batch_size == 0 {
            return bad("batch_size must be ≥ 1".into());
        }
        self.adversarial.validate()
    }
}

/// One epoch's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// Epoch counter (1-based).
    pub epoch: usize,
    /// Non-convex objective `J` on the full data after this epoch.
    pub objective: f64,
    /// Loss part `Σ ℓ`.
    pub loss: f64,
    /// Weight-decay part `(β/2) Σ (‖u‖² + α²)`.
    pub weight_decay: f64,
    /// Training accuracy `mean(sign f = y)` for ±1 labels, `NaN` for regression.
    pub accuracy: f64,
    /// Seconds spent in this epoch.
    pub seconds: f64,
    /// Unit direction `u_k/‖u_k‖` of every neuron (zero for a dead `u = 0`), for plotting where
    /// the neurons point (docs/math.md#max-margin).
    pub directions: Vec<[f64; 3]>,
}

/// The trainer state.
#[derive(Debug)]
pub struct SgdTrainer {
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
    loss: TrainingLoss,
    beta: f64,
    settings: SgdSettings,
    /// Parameters: `m` blocks `(u1, u2, u3, α)`.
    theta: Vec<[f64; 4]>,
    m1: Vec<[f64; 4]>,
    m2: Vec<[f64; 4]>,
    t: u64,
    rng: StdRng,
    order: Vec<usize>,
    epoch: usize,
    grad: Vec<[f64; 4]>,
    /// The points' coordinates as two contiguous arrays, and the outputs and loss derivatives
    /// of a full-batch pass: the full-batch gradient's loops run over them.
    xs: [Vec<f64>; 2],
    out: Vec<f64>,
    dl: Vec<f64>,
    /// `out` holds the outputs of the current parameters (set after a full-batch step, so the
    /// epoch's report and the next gradient share one forward pass).
    out_fresh: bool,
    /// Full-batch passes split the neurons between two threads (see [`Self::on_two_threads`]).
    two_threads: bool,
}

impl SgdTrainer {
    /// Initialises `width` neurons with `N(0, init_scale²)` entries from `seed`.
    pub fn new(
        x: Vec<[f64; 2]>,
        y: Vec<f64>,
        loss: impl Into<TrainingLoss>,
        beta: f64,
        settings: SgdSettings,
    ) -> Result<Self> {
        let loss = loss.into();
        settings.validate()?;
        check_training_input(&x, &y, loss, beta)?;
        let mut rng = StdRng::seed_from_u64(settings.seed);
        let s = settings.init_scale;
        let theta = (0..settings.width)
            .map(|_| {
                [
                    s * normal(&mut rng),
                    s * normal(&mut rng),
                    s * normal(&mut rng),
                    s * normal(&mut rng),
                ]
            })
            .collect();
        let m = settings.width;
        let n = x.len();
        Ok(Self {
            xs: [
                x.iter().map(|p| p[0]).collect(),
                x.iter().map(|p| p[1]).collect(),
            ],
            out: vec![0.0; n],
            dl: vec![0.0; n],
            out_fresh: false,
            two_threads: false,
            order: (0..x.len()).collect(),
            x,
            y,
            loss,
            beta,
            settings,
            theta,
            m1: vec![[0.0; 4]; m],
            m2: vec![[0.0; 4]; m],
            t: 0,
            rng,
            epoch: 0,
            grad: vec![[0.0; 4]; m],
        })
    }

    /// Runs the full-batch passes on two threads, half the neurons each, where the network is
    /// wide (at least [`TWO_THREADS_FROM`] neuron–point pairs): for one wide run on an otherwise
    /// idle machine, such as the working set's seed. The gradient is the same to the last bit;
    /// the outputs are summed in another order (two partial sums).
    pub fn on_two_threads(mut self) -> Self {
        self.two_threads = self.theta.len() * self.x.len() >= TWO_THREADS_FROM;
        self
    }

    /// Starts from a given network instead of a random one (its width replaces `width`).
    pub fn with_network(mut self, net: &ReluNetwork) -> Self {
        self.theta = net
            .neurons
            .iter()
            .map(|n| [n.u[0], n.u[1], n.u[2], n.alpha])
            .collect();
        let m = self.theta.len();
        self.out_fresh = false;
        self.m1 = vec![[0.0; 4]; m];
        self.m2 = vec![[0.0; 4]; m];
        self.grad = vec![[0.0; 4]; m];
        self.t = 0;
        self
    }

    /// The current network.
    pub fn network(&self) -> ReluNetwork {
        ReluNetwork {
            neurons: self
                .theta
                .iter()
                .map(|p| Neuron {
                    u: [p[0], p[1], p[2]],
                    alpha: p[3],
                })
                .collect(),
        }
    }

    /// Epochs done.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Gradient of `J` over the samples `idx` (loss part scaled by `n/|idx|`) into `self.grad`.
    fn gradient(&mut self, idx: &[usize]) {
        if idx.len() == self.x.len() && matches!(self.settings.adversarial, Adversarial::None) {
            self.full_batch_gradient();
            return;
        }
        let scale = self.x.len() as f64 / idx.len() as f64;
        for (g, p) in self.grad.iter_mut().zip(&self.theta) {
            *g = [
                self.beta * p[0],
                self.beta * p[1],
                self.beta * p[2],
                self.beta * p[3],
            ];
        }
        for &j in idx {
            let xj = self.attack(self.x[j], self.y[j]);
            let f: f64 = self
                .theta
                .iter()
                .map(|p| p[3] * (p[0] * xj[0] + p[1] * xj[1] + p[2]).max(0.0))
                .sum();
            let r = scale * self.loss.derivative(f, self.y[j]);
            if r == 0.0 {
                continue;
            }
            for (g, p) in self.grad.iter_mut().zip(&self.theta) {
                let pre = p[0] * xj[0] + p[1] * xj[1] + p[2];
                if pre > 0.0 {
                    let ra = r * p[3];
                    g[0] += ra * xj[0];
                    g[1] += ra * xj[1];
                    g[2] += ra;
                    g[3] += r * pre;
                }
            }
        }
    }

    /// The full-batch gradient without attacks (the same sums as [`Self::gradient`], in another
    /// order): neuron by neuron over the contiguous coordinate arrays, branch-free, with four
    /// partial sums per component, so the compiler vectorizes the loops. About 4× faster than
    /// point by point at n = width = 1000 (the working set's cold-start training).
    fn full_batch_gradient(&mut self) {
        let mut out = std::mem::take(&mut self.out);
        if !self.out_fresh {
            self.forward(&mut out);
        }
        for ((d, &f), &y) in self.dl.iter_mut().zip(&out).zip(&self.y) {
            *d = self.loss.derivative(f, y);
        }
        self.out = out;
        let [x0, x1] = &self.xs;
        let (dl, beta) = (&self.dl, self.beta);
        let fill = |grad: &mut [[f64; 4]], theta: &[[f64; 4]]| {
            for (g, p) in grad.iter_mut().zip(theta) {
                *g = neuron_gradient(x0, x1, dl, beta, p);
            }
        };
        if self.two_threads {
            let mid = self.theta.len() / 2;
            let (g0, g1) = self.grad.split_at_mut(mid);
            let (t0, t1) = self.theta.split_at(mid);
            std::thread::scope(|sc| {
                sc.spawn(|| fill(g1, t1));
                fill(g0, t0);
            });
        } else {
            fill(&mut self.grad, &self.theta);
        }
    }

    /// The network's outputs at every point, neuron by neuron over the contiguous coordinate
    /// arrays (a loop the compiler vectorizes).
    fn forward(&self, out: &mut [f64]) {
        let [x0, x1] = &self.xs;
        if self.two_threads {
            let (t0, t1) = self.theta.split_at(self.theta.len() / 2);
            let mut other = vec![0.0; out.len()];
            std::thread::scope(|sc| {
                sc.spawn(|| forward_part(x0, x1, t1, &mut other));
                forward_part(x0, x1, t0, out);
            });
            for (o, p) in out.iter_mut().zip(&other) {
                *o += p;
            }
        } else {
            forward_part(x0, x1, &self.theta, out);
        }
    }

    /// The training input for sample `x` with target `y`: `x` itself, or an attack on it inside
    /// its box (FGSM or PGD on the current network).
    pub fn attack(&self, x: [f64; 2], y: f64) -> [f64; 2] {
        let (eps, steps, step) = match self.settings.adversarial {
            Adversarial::None => return x,
            Adversarial::Fgsm { eps } => (eps, 1, eps),
            Adversarial::Pgd { eps, steps } => (eps, steps, 2.5 * eps / steps as f64),
        };
        let mut q = x;
        for _ in 0..steps {
            // ∇ₓℓ = ℓ'(f, y) Σ_on α_k (w_k1, w_k2)
            let mut f = 0.0;
            let mut g = [0.0; 2];
            for p in &self.theta {
                let pre = p[0] * q[0] + p[1] * q[1] + p[2];
                if pre > 0.0 {
                    f += p[3] * pre;
                    g[0] += p[3] * p[0];
                    g[1] += p[3] * p[1];
                }
            }
            let d = self.loss.derivative(f, y);
            let sgn = |v: f64| {
                if v > 0.0 {
                    1.0
                } else if v < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            };
            for c in 0..2 {
                q[c] = (q[c] + step * sgn(d * g[c])).clamp(x[c] - eps, x[c] + eps);
            }
        }
        q
    }

    /// The exact gradient of `J` on the full data (for tests and the app's KKT views).
    pub fn full_gradient(&mut self) -> Vec<[f64; 4]> {
        let all: Vec<usize> = (0..self.x.len()).collect();
        self.gradient(&all);
        self.grad.clone()
    }

    /// Learning rate in force during the current epoch.
    pub fn current_lr(&self) -> f64 {
        self.settings.lr_at(self.epoch)
    }

    fn apply(&mut self) {
        self.out_fresh = false;
        let lr = self.current_lr();
        match self.settings.optimizer {
            Optimizer::Gd | Optimizer::Sgd => {
                for (p, g) in self.theta.iter_mut().zip(&self.grad) {
                    for c in 0..4 {
                        p[c] -= lr * g[c];
                    }
                }
            }
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
        }
    }

    /// Objective parts and accuracy of the current network on the full data.
    pub fn report(&self, seconds: f64) -> EpochReport {
        let net = self.network();
        let yhat = if self.out_fresh {
            self.out.clone()
        } else {
            let mut y = vec![0.0; self.x.len()];
            self.forward(&mut y);
            y
        };
        let loss = self.loss.total(&yhat, &self.y);
        let wd = net.weight_decay(self.beta);
        let classification = self.y.iter().all(|&v| v == 1.0 || v == -1.0);
        let accuracy = if classification {
            yhat.iter()
                .zip(&self.y)
                .filter(|(f, y)| **f * **y > 0.0)
                .count() as f64
                / self.y.len() as f64
        } else {
            f64::NAN
        };
        let directions = net
            .neurons
            .iter()
            .map(|nr| {
                let r = nr.norm_u();
                if r > 0.0 {
                    [nr.u[0] / r, nr.u[1] / r, nr.u[2] / r]
                } else {
                    [0.0; 3]
                }
            })
            .collect();
        EpochReport {
            epoch: self.epoch,
            objective: loss + wd,
            loss,
            weight_decay: wd,
            accuracy,
            seconds,
            directions,
        }
    }

    /// One epoch: one full-batch step (GD, or Adam with `batch_size ≥ n`) or one shuffled pass of
    /// minibatches.
    pub fn step(&mut self) -> EpochReport {
        let t0 = Instant::now();
        let n = self.x.len();
        let full = self.settings.optimizer == Optimizer::Gd || self.settings.batch_size >= n;
        if full {
            let all: Vec<usize> = (0..n).collect();
            self.gradient(&all);
            self.apply();
            if matches!(self.settings.adversarial, Adversarial::None) {
                // The new parameters' outputs: for this epoch's report and the next gradient.
                let mut out = std::mem::take(&mut self.out);
                self.forward(&mut out);
                self.out = out;
                self.out_fresh = true;
            }
        } else {
            // Fisher–Yates shuffle with the trainer's own RNG (deterministic per seed).
            for i in (1..n).rev() {
                let j = self.rng.random_range(0..=i);
                self.order.swap(i, j);
            }
            let order = self.order.clone();
            for batch in order.chunks(self.settings.batch_size) {
                self.gradient(batch);
                self.apply();
            }
        }
        self.epoch += 1;
        self.report(t0.elapsed().as_secs_f64())
    }

    /// Runs the remaining epochs; `on_epoch` may stop early with `ControlFlow::Break(())`.
    pub fn run(
        &mut self,
        mut on_epoch: impl FnMut(&EpochReport) -> ControlFlow<()>,
    ) -> EpochReport {
        let mut last = self.report(0.0);
        while self.epoch < self.settings.epochs {
            last = self.step();
            if !last.objective.is_finite() || on_epoch(&last).is_break() {
                break;
            }
        }
        last
    }
}

/// A trained network and its kept epoch reports.
pub type TrainedRun = (ReluNetwork, Vec<EpochReport>);

/// Trains one network per seed on up to `threads` worker threads; results in seed order.
/// `history_every` keeps every k-th epoch report (and the last).
pub fn train_seeds(
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    settings: &SgdSettings,
    seeds: &[u64],
    threads: usize,
    history_every: usize,
) -> Result<Vec<TrainedRun>> {
    let threads = threads.max(1).min(seeds.len().max(1));
    let mut out: Vec<Option<Result<TrainedRun>>> = (0..seeds.len()).map(|_| None).collect();
    let chunk = seeds.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (slot, seed_chunk) in out.chunks_mut(chunk).zip(seeds.chunks(chunk)) {
            scope.spawn(move || {
                for (o, &seed) in slot.iter_mut().zip(seed_chunk) {
                    let s = SgdSettings { seed, ..*settings };
                    *o = Some(SgdTrainer::new(x.to_vec(), y.to_vec(), loss, beta, s).map(
                        |mut tr| {
                            let mut hist = Vec::new();
                            let last = tr.run(|r| {
                                if history_every > 0 && r.epoch % history_every == 0 {
                                    hist.push(r.clone());
                                }
                                ControlFlow::Continue(())
                            });
                            if hist.last().map(|h| h.epoch) != Some(last.epoch) {
                                hist.push(last);
                            }
                            (tr.network(), hist)
                        },
                    ));
                }
            });
        }
    });
    out.into_iter()
        .map(|o| {
            o.unwrap_or_else(|| Err(Error::Numerical("a training thread did not finish".into())))
        })
        .collect()
}

/// Neuron–point pairs from which [`SgdTrainer::on_two_threads`] splits the passes (below, the
/// two thread starts an epoch cost more than they save).
pub const TWO_THREADS_FROM: usize = 200_000;

/// The outputs of `theta`'s neurons at every point, over the contiguous coordinate arrays (a loop
/// the compiler vectorizes).
fn forward_part(x0: &[f64], x1: &[f64], theta: &[[f64; 4]], out: &mut [f64]) {
    out.fill(0.0);
    for p in theta {
        let (a, b, c, al) = (p[0], p[1], p[2], p[3]);
        for ((o, &u), &v) in out.iter_mut().zip(x0).zip(x1) {
            let pre = a * u + b * v + c;
            *o += al * if pre > 0.0 { pre } else { 0.0 };
        }
    }
}

/// One neuron's full-batch gradient (weight decay included) given the loss derivatives `dl`.
fn neuron_gradient(x0: &[f64], x1: &[f64], dl: &[f64], beta: f64, p: &[f64; 4]) -> [f64; 4] {
    let (a, b, c, al) = (p[0], p[1], p[2], p[3]);
    // Four lanes of (Σ r·x₁, Σ r·x₂, Σ r, Σ r·pre) over the points the neuron is on for.
    let (mut s0, mut s1, mut s2, mut s3) = ([0.0f64; 4], [0.0f64; 4], [0.0f64; 4], [0.0f64; 4]);
    let chunks = x0
        .chunks_exact(4)
        .zip(x1.chunks_exact(4))
        .zip(dl.chunks_exact(4));
    for ((u, v), r) in chunks {
        for l in 0..4 {
            let pre = a * u[l] + b * v[l] + c;
            let on = if pre > 0.0 { r[l] } else { 0.0 };
            s0[l] += on * u[l];
            s1[l] += on * v[l];
            s2[l] += on;
            s3[l] += on * pre;
        }
    }
    let rest = x0.len() - x0.len() % 4;
    for j in rest..x0.len() {
        let pre = a * x0[j] + b * x1[j] + c;
        let on = if pre > 0.0 { dl[j] } else { 0.0 };
        s0[0] += on * x0[j];
        s1[0] += on * x1[j];
        s2[0] += on;
        s3[0] += on * pre;
    }
    let t = |s: [f64; 4]| (s[0] + s[1]) + (s[2] + s[3]);
    [
        beta * a + al * t(s0),
        beta * b + al * t(s1),
        beta * c + al * t(s2),
        beta * al + t(s3),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two threads give the single-threaded run: the gradient to the last bit, the outputs (two
    /// partial sums) to rounding, so a short run ends at the same network.
    #[test]
    fn two_threads_train_the_same_network() {
        let n = 500;
        let x: Vec<[f64; 2]> = (0..n)
            .map(|j| {
                let t = j as f64 * 0.05;
                [t.cos() * t / 25.0, t.sin() * t / 25.0]
            })
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|j| if j % 3 == 0 { 1.0 } else { -1.0 })
            .collect();
        let settings = SgdSettings {
            width: 500,
            epochs: 30,
            optimizer: Optimizer::Adam,
            batch_size: n,
            ..SgdSettings::default()
        };
        assert!(settings.width * n >= TWO_THREADS_FROM);
        let run = |two: bool| {
            let tr = SgdTrainer::new(x.clone(), y.clone(), Loss::Squared, 0.01, settings)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut tr = if two { tr.on_two_threads() } else { tr };
            assert_eq!(tr.two_threads, two);
            tr.run(|_| std::ops::ControlFlow::Continue(()));
            tr.network()
        };
        let (one, two) = (run(false), run(true));
        for (a, b) in one.neurons.iter().zip(&two.neurons) {
            assert!((a.alpha - b.alpha).abs() < 1e-9);
            for k in 0..3 {
                assert!((a.u[k] - b.u[k]).abs() < 1e-9);
            }
        }
    }
}
