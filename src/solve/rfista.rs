//! R-FISTA (docs/math.md#rfista): proximal gradient with Nesterov momentum on
//! `min f(z) + β Σ_k ‖z_k‖` over blocks `z_k ∈ R³` — group soft-thresholding, backtracking, a
//! gradient-mapping restart and step growth — one iteration at a time. The smooth part `f` is a
//! [`Smooth`]: the gated program's loss, or the augmented Lagrangian of the ReLU program
//! ([`super::auglag`]). It produces iterates only; the certified drivers certify them.

use crate::convex::gated::GatedProblem;
use crate::model::Loss;
use crate::vec3::norm3;

/// The smooth part `f` of a group-lasso objective `f(z) + β Σ_k ‖z_k‖`.
pub trait Smooth {
    /// `f(z)`.
    fn value(&self, z: &[[f64; 3]]) -> f64;
    /// `f(z)` and `∇f(z)`, block by block.
    fn value_grad(&self, z: &[[f64; 3]]) -> (f64, Vec<[f64; 3]>);
    /// The group-norm weight β.
    fn beta(&self) -> f64;
}

/// The gated program's smooth part: its loss (the hinge Huber-smoothed, see
/// [`HINGE_SMOOTHING`]).
impl Smooth for GatedProblem {
    fn value(&self, z: &[[f64; 3]]) -> f64 {
        smooth_loss(self, &self.predict(z)).0
    }
    fn value_grad(&self, z: &[[f64; 3]]) -> (f64, Vec<[f64; 3]>) {
        let (f, r) = smooth_loss(self, &self.predict(z));
        (f, self.correlations(&r))
    }
    fn beta(&self) -> f64 {
        self.beta
    }
}

/// R-FISTA's state.
#[derive(Debug, Clone)]
pub struct RFista {
    /// Current iterate.
    u: Vec<[f64; 3]>,
    /// Extrapolated point.
    z: Vec<[f64; 3]>,
    t: f64,
    eta: f64,
    iter: usize,
    restarts: usize,
    mapping: f64,
}

impl RFista {
    /// R-FISTA on the gated program from `u = 0` with the step `1/L`, `L` a power-iteration
    /// estimate of the smooth part's Lipschitz constant (backtracking corrects it).
    pub fn new(pr: &GatedProblem) -> Self {
        let curvature = match pr.loss {
            Loss::Logistic => 0.25,
            Loss::Squared => 1.0,
            Loss::Hinge => 1.0 / HINGE_SMOOTHING,
        };
        Self::start(
            vec![[0.0; 3]; pr.p()],
            1.0 / (curvature * lipschitz(pr)).max(1e-12),
        )
    }

    /// The gated program from `u` (a warm start).
    pub fn with_start(pr: &GatedProblem, u: Vec<[f64; 3]>) -> Self {
        let mut s = Self::new(pr);
        s.z = u.clone();
        s.u = u;
        s
    }

    /// From `u` with step size `eta`.
    pub fn start(u: Vec<[f64; 3]>, eta: f64) -> Self {
        Self {
            eta,
            z: u.clone(),
            u,
            t: 1.0,
            iter: 0,
            restarts: 0,
            mapping: f64::INFINITY,
        }
    }

    /// Restarts the momentum (after the smooth part changed, e.g. a multiplier update).
    pub fn reset_momentum(&mut self) {
        self.t = 1.0;
        self.z = self.u.clone();
    }

    /// `‖(y − u⁺)/η‖` of the last step (the gradient mapping: 0 exactly at a minimizer).
    pub fn gradient_mapping(&self) -> f64 {
        self.mapping
    }

    /// The current iterate.
    pub fn iterate(&self) -> &[[f64; 3]] {
        &self.u
    }

    /// The current iterate as a vector.
    pub fn iterate_vec(&self) -> &Vec<[f64; 3]> {
        &self.u
    }

    /// Multiplies the step size by `factor` (when the smooth part's curvature changed).
    pub fn scale_step(&mut self, factor: f64) {
        self.eta *= factor;
    }

    /// Iterations run.
    pub fn iterations(&self) -> usize {
        self.iter
    }

    /// Momentum restarts so far.
    pub fn restarts(&self) -> usize {
        self.restarts
    }

    /// The current step size.
    pub fn step_size(&self) -> f64 {
        self.eta
    }

    /// One R-FISTA iteration. Returns `false` if the numbers became non-finite.
    pub fn step(&mut self, f: &impl Smooth) -> bool {
        self.iter += 1;
        let (fz, g) = f.value_grad(&self.z);
        let beta = f.beta();
        // Backtracking on the smooth part.
        let u_new = loop {
            let cand: Vec<[f64; 3]> = self
                .z
                .iter()
                .zip(&g)
                .map(|(z, g)| {
                    shrink(
                        [
                            z[0] - self.eta * g[0],
                            z[1] - self.eta * g[1],
                            z[2] - self.eta * g[2],
                        ],
                        self.eta * beta,
                    )
                })
                .collect();
            let fc = f.value(&cand);
            let mut lin = 0.0;
            let mut quad = 0.0;
            for ((c, z), g) in cand.iter().zip(&self.z).zip(&g) {
                for k in 0..3 {
                    let d = c[k] - z[k];
                    lin += g[k] * d;
                    quad += d * d;
                }
            }
            if fc <= fz + lin + quad / (2.0 * self.eta) + 1e-12 * fz.abs() || self.eta < 1e-300 {
                break cand;
            }
            self.eta *= 0.5;
        };
        if u_new.iter().flatten().any(|v| !v.is_finite()) {
            return false;
        }
        let mut m2 = 0.0;
        for (a, b) in self.z.iter().zip(&u_new) {
            for k in 0..3 {
                m2 += (a[k] - b[k]) * (a[k] - b[k]);
            }
        }
        self.mapping = m2.sqrt() / self.eta;
        let t_new = 0.5 * (1.0 + (1.0 + 4.0 * self.t * self.t).sqrt());
        let mom = (self.t - 1.0) / t_new;
        // Gradient-mapping restart: momentum pointing against the last step.
        let mut restart = 0.0;
        for ((un, u), z) in u_new.iter().zip(&self.u).zip(&self.z) {
            for k in 0..3 {
                restart += (un[k] - u[k]) * (z[k] - un[k]);
            }
        }
        if restart > 0.0 {
            self.restarts += 1;
            self.t = 1.0;
            self.z = u_new.clone();
        } else {
            self.z = u_new
                .iter()
                .zip(&self.u)
                .map(|(a, b)| {
                    [
                        a[0] + mom * (a[0] - b[0]),
                        a[1] + mom * (a[1] - b[1]),
                        a[2] + mom * (a[2] - b[2]),
                    ]
                })
                .collect();
            self.t = t_new;
        }
        self.u = u_new;
        // Step growth: try a longer step next time (backtracking shortens it again if needed).
        self.eta *= 1.25;
        true
    }
}

/// Width of the hinge's smoothing: R-FISTA needs a smooth loss, so for the hinge it descends
/// the Huber-smoothed hinge (quadratic within `HINGE_SMOOTHING` of the kink). The iterates are
/// still certified with the true hinge; the exact finish solves the true program.
pub const HINGE_SMOOTHING: f64 = 0.05;

/// The smooth part R-FISTA descends: its value and derivative at the predictions `yhat`.
fn smooth_loss(pr: &GatedProblem, yhat: &[f64]) -> (f64, Vec<f64>) {
    smoothed_loss(pr.loss, yhat, &pr.y)
}

/// The loss R-FISTA descends (the hinge Huber-smoothed): its total and its derivative with
/// respect to each prediction.
pub fn smoothed_loss(loss: Loss, yhat: &[f64], y: &[f64]) -> (f64, Vec<f64>) {
    match loss {
        Loss::Hinge => {
            let mu = HINGE_SMOOTHING;
            let mut f = 0.0;
            let d = yhat
                .iter()
                .zip(y)
                .map(|(&a, &b)| {
                    let z = 1.0 - b * a;
                    if z <= 0.0 {
                        0.0
                    } else if z >= mu {
                        f += z - 0.5 * mu;
                        -b
                    } else {
                        f += 0.5 * z * z / mu;
                        -b * z / mu
                    }
                })
                .collect();
            (f, d)
        }
        loss => (
            loss.total(yhat, y),
            yhat.iter()
                .zip(y)
                .map(|(&a, &b)| loss.derivative(a, b))
                .collect(),
        ),
    }
}

/// Group soft-threshold `(1 − τ/‖z‖)₊ z`.
fn shrink(z: [f64; 3], tau: f64) -> [f64; 3] {
    let nz = norm3(&z);
    if nz <= tau {
        [0.0; 3]
    } else {
        let s = 1.0 - tau / nz;
        [s * z[0], s * z[1], s * z[2]]
    }
}

/// `λ_max(MᵀM)` of the gated design `M = [D₁X̃ … D_PX̃]` by power iteration (a slight
/// overestimate is safe: backtracking fixes an underestimate).
fn lipschitz(pr: &GatedProblem) -> f64 {
    let n = pr.n();
    let mut v = vec![1.0 / (n as f64).sqrt(); n];
    let mut lambda = 0.0;
    for _ in 0..30 {
        // w = M Mᵀ v
        let g = pr.correlations(&v);
        let w = pr.predict(&g);
        let nw = w.iter().map(|a| a * a).sum::<f64>().sqrt();
        if nw == 0.0 {
            return 1.0;
        }
        lambda = nw;
        v = w.iter().map(|a| a / nw).collect();
    }
    lambda * 1.05
}
