//! R-FISTA for the gated ReLU program (docs/math.md#rfista): proximal gradient with Nesterov
//! momentum, group soft-thresholding, backtracking, a gradient-mapping restart and step growth,
//! one iteration at a time. It produces iterates only; the certified driver
//! ([`super::gated`]) certifies them and finishes exactly.

use crate::convex::gated::GatedProblem;
use crate::model::Loss;
use crate::vec3::norm3;

/// R-FISTA on a [`GatedProblem`].
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
}

impl RFista {
    /// Starts at `u = 0` with the step `1/L`, `L` a power-iteration estimate of the smooth
    /// part's Lipschitz constant (backtracking corrects it).
    pub fn new(pr: &GatedProblem) -> Self {
        let curvature = match pr.loss {
            Loss::Logistic => 0.25,
            Loss::Squared => 1.0,
            Loss::Hinge => 1.0 / HINGE_SMOOTHING,
        };
        let zero = vec![[0.0; 3]; pr.p()];
        Self {
            eta: 1.0 / (curvature * lipschitz(pr)).max(1e-12),
            u: zero.clone(),
            z: zero,
            t: 1.0,
            iter: 0,
            restarts: 0,
        }
    }

    /// Starts at `u` (a warm start).
    pub fn with_start(pr: &GatedProblem, u: Vec<[f64; 3]>) -> Self {
        let mut s = Self::new(pr);
        s.z = u.clone();
        s.u = u;
        s
    }

    /// The current iterate.
    pub fn iterate(&self) -> &[[f64; 3]] {
        &self.u
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
    pub fn step(&mut self, pr: &GatedProblem) -> bool {
        self.iter += 1;
        let yz = pr.predict(&self.z);
        let (fz, r) = smooth_loss(pr, &yz);
        let g = pr.correlations(&r);
        let beta = pr.beta;
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
            let (fc, _) = smooth_loss(pr, &pr.predict(&cand));
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
    match pr.loss {
        Loss::Hinge => {
            let mu = HINGE_SMOOTHING;
            let mut f = 0.0;
            let d = yhat
                .iter()
                .zip(&pr.y)
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
            loss.total(yhat, &pr.y),
            yhat.iter()
                .zip(&pr.y)
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
