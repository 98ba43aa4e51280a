//! The nuclear-norm form of the SDP for `σ(t) = t²` (docs/math.md#poly-square):
//!
//! ```text
//! min_{W ∈ S³}  Σ_j ℓ(x̃_jᵀ W x̃_j, y_j) + β ‖W‖_*
//! ```
//!
//! solved by FISTA with adaptive restart; the proximal step soft-thresholds the eigenvalues of
//! the 3×3 matrix. Neural Decomposition is the eigendecomposition itself: `u_i = q_i`,
//! `α_i = λ_i`. Bounds are certified exactly as for the SDP (docs/math.md#poly-certificate), so this is also an
//! independent check of the SDP-ADMM on `t²`.

use std::time::Instant;

use nalgebra::{Matrix3, SymmetricEigen, Vector3};

use super::progress::{Iterate, Phase, Status};
use crate::certify::Bounds;
use crate::certify::poly::certify_poly;
use crate::error::{Error, Result};
use crate::model::{Loss, PolyActivation, PolyNetwork, PolyNeuron};

/// FISTA state for the nuclear-norm program.
#[derive(Debug, Clone)]
pub struct NuclearSolver {
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
    loss: Loss,
    beta: f64,
    step: f64,
    w: Matrix3<f64>,
    w_prev: Matrix3<f64>,
    t: f64,
    f_prev: f64,
    iter: usize,
    tol: f64,
    max_iter: usize,
    check_every: usize,
    best: Bounds,
    network: PolyNetwork,
    status: Status,
}

fn lifted(p: &[f64; 2]) -> Vector3<f64> {
    Vector3::new(p[0], p[1], 1.0)
}

impl NuclearSolver {
    /// Sets up FISTA from `W = 0`. Hinge loss is not smooth and is refused.
    pub fn new(
        x: Vec<[f64; 2]>,
        y: Vec<f64>,
        loss: Loss,
        beta: f64,
        tol: f64,
        max_iter: usize,
    ) -> Result<Self> {
        if loss == Loss::Hinge {
            return Err(Error::InvalidSetting(
                "the nuclear-norm form needs a smooth loss (squared or logistic), not hinge".into(),
            ));
        }
        // Validation shared with the SDP.
        crate::convex::PolyProblem::new(x.clone(), y.clone(), loss, beta, PolyActivation::SQUARE)?;
        // Lipschitz constant of the smooth part: L_ℓ · λmax(Σ svec(x̃x̃ᵀ) svec(x̃x̃ᵀ)ᵀ).
        let mut gram = nalgebra::Matrix6::zeros();
        for p in &x {
            let a = lifted(p);
            let s = nalgebra::Vector6::new(
                a[0] * a[0],
                a[1] * a[1],
                a[2] * a[2],
                std::f64::consts::SQRT_2 * a[0] * a[1],
                std::f64::consts::SQRT_2 * a[0] * a[2],
                std::f64::consts::SQRT_2 * a[1] * a[2],
            );
            gram += s * s.transpose();
        }
        let lmax = SymmetricEigen::new(gram).eigenvalues.max().max(1e-12);
        let lip = match loss {
            Loss::Logistic => 0.25,
            _ => 1.0,
        } * lmax;
        Ok(Self {
            x,
            y,
            loss,
            beta,
            step: 1.0 / lip,
            w: Matrix3::zeros(),
            w_prev: Matrix3::zeros(),
            t: 1.0,
            f_prev: f64::INFINITY,
            iter: 0,
            tol,
            max_iter,
            check_every: 10,
            best: Bounds {
                upper: f64::INFINITY,
                lower: f64::NEG_INFINITY,
                certificate: f64::NAN,
            },
            network: PolyNetwork {
                activation: PolyActivation::SQUARE,
                neurons: Vec::new(),
            },
            status: Status::Running,
        })
    }

    fn predictions(&self, w: &Matrix3<f64>) -> Vec<f64> {
        self.x
            .iter()
            .map(|p| {
                let a = lifted(p);
                a.dot(&(w * a))
            })
            .collect()
    }

    fn objective(&self, w: &Matrix3<f64>) -> f64 {
        let nuc: f64 = SymmetricEigen::new(*w)
            .eigenvalues
            .iter()
            .map(|l| l.abs())
            .sum();
        self.loss.total(&self.predictions(w), &self.y) + self.beta * nuc
    }

    /// The eigendecomposition of `W` as a network (`u_i = q_i`, `α_i = λ_i`).
    pub fn network_of(w: &Matrix3<f64>) -> PolyNetwork {
        let e = SymmetricEigen::new((w + w.transpose()) * 0.5);
        let scale = e.eigenvalues.amax();
        PolyNetwork {
            activation: PolyActivation::SQUARE,
            neurons: (0..3)
                .filter(|&i| e.eigenvalues[i].abs() > 1e-14 * scale && scale > 0.0)
                .map(|i| {
                    let q = e.eigenvectors.column(i);
                    PolyNeuron {
                        u: [q[0], q[1], q[2]],
                        alpha: e.eigenvalues[i],
                    }
                })
                .collect(),
        }
    }

    /// The current matrix `W`.
    pub fn w(&self) -> Matrix3<f64> {
        self.w
    }

    /// Best certified bounds.
    pub fn bounds(&self) -> Bounds {
        self.best
    }

    /// The best network so far.
    pub fn network(&self) -> &PolyNetwork {
        &self.network
    }

    /// Current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Changes β and continues from the current `W` (momentum restarted, bounds dropped).
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "beta = {beta}: must be a positive finite number"
            )));
        }
        self.beta = beta;
        self.w_prev = self.w;
        self.t = 1.0;
        self.f_prev = f64::INFINITY;
        self.best = Bounds {
            upper: f64::INFINITY,
            lower: f64::NEG_INFINITY,
            certificate: f64::NAN,
        };
        self.status = Status::Running;
        Ok(())
    }

    /// The lifted pair `(Z₊, Z₋)` of the SDP equivalent to `W`: `Z± = Σ_{±λᵢ>0} |λᵢ| [qᵢ;1][qᵢ;1]ᵀ`
    /// (balanced, `Z₄± = Σ_{±λᵢ>0} |λᵢ|`).
    pub fn lifted(&self) -> (nalgebra::Matrix4<f64>, nalgebra::Matrix4<f64>) {
        let mut z = [nalgebra::Matrix4::zeros(), nalgebra::Matrix4::zeros()];
        let e = SymmetricEigen::new((self.w + self.w.transpose()) * 0.5);
        for i in 0..3 {
            let l = e.eigenvalues[i];
            let q = e.eigenvectors.column(i);
            let y = nalgebra::Vector4::new(q[0], q[1], q[2], 1.0);
            z[usize::from(l < 0.0)] += y * y.transpose() * l.abs();
        }
        (z[0], z[1])
    }

    /// Ends the run.
    pub fn stop(&mut self) {
        if self.status == Status::Running {
            self.status = Status::Stopped;
        }
    }

    /// One FISTA iteration (bounds every 10); `None` once over.
    pub fn step(&mut self) -> Option<Iterate> {
        if self.status != Status::Running {
            return None;
        }
        let t0 = Instant::now();
        let tn = 0.5 * (1.0 + (1.0 + 4.0 * self.t * self.t).sqrt());
        let yk = self.w + (self.w - self.w_prev) * ((self.t - 1.0) / tn);
        let yhat = self.predictions(&yk);
        let mut grad = Matrix3::zeros();
        for (p, (yh, yt)) in self.x.iter().zip(yhat.iter().zip(&self.y)) {
            let a = lifted(p);
            grad += a * a.transpose() * self.loss.derivative(*yh, *yt);
        }
        let e = SymmetricEigen::new(yk - grad * self.step);
        let thr = self.step * self.beta;
        let lam = e.eigenvalues.map(|l| l.signum() * (l.abs() - thr).max(0.0));
        let w_new = e.eigenvectors * Matrix3::from_diagonal(&lam) * e.eigenvectors.transpose();
        self.w_prev = self.w;
        self.w = w_new;
        self.t = tn;
        self.iter += 1;
        let f = self.objective(&self.w);
        if f > self.f_prev {
            self.t = 1.0; // adaptive restart
        }
        self.f_prev = f;
        if self.iter == 1 || self.iter.is_multiple_of(self.check_every) {
            let net = Self::network_of(&self.w);
            let b = certify_poly(&self.x, &self.y, self.loss, self.beta, &net);
            if b.upper < self.best.upper {
                self.best.upper = b.upper;
                self.network = net;
            }
            if b.lower > self.best.lower {
                self.best.lower = b.lower;
                self.best.certificate = b.certificate;
            }
        }
        if !f.is_finite() {
            self.status = Status::Diverged;
        } else if self.best.rel_gap() <= self.tol {
            self.status = Status::Converged;
        } else if self.iter >= self.max_iter {
            self.status = Status::MaxIter;
        }
        Some(Iterate {
            iter: self.iter,
            phase: Phase::Admm,
            upper: self.best.upper,
            lower: self.best.lower,
            rel_gap: self.best.rel_gap(),
            certificate: self.best.certificate,
            convex_objective: f,
            checked_at: self.iter - self.iter % self.check_every,
            primal_residual: 0.0,
            dual_residual: 0.0,
            rho: self.step,
            seconds: t0.elapsed().as_secs_f64(),
            active_blocks: self.network.neurons.len(),
            status: self.status,
        })
    }

    /// Runs to the end and returns the bounds, the network, the status and the iterations.
    pub fn run(mut self) -> (Bounds, PolyNetwork, Status, usize) {
        while self.step().is_some() {}
        (self.best, self.network, self.status, self.iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_network_reproduces_the_quadratic_form() {
        let w = Matrix3::new(1.0, 0.3, -0.2, 0.3, -0.5, 0.1, -0.2, 0.1, 0.25);
        let net = NuclearSolver::network_of(&w);
        for p in [[0.3, -0.7], [1.2, 0.4], [0.0, 0.0]] {
            let a = lifted(&p);
            assert!((net.eval(p) - a.dot(&(w * a))).abs() < 1e-12);
        }
        let nuc: f64 = net.neurons.iter().map(|n| n.alpha.abs()).sum();
        assert!(
            (nuc - w
                .symmetric_eigenvalues()
                .iter()
                .map(|l| l.abs())
                .sum::<f64>())
            .abs()
                < 1e-12
        );
    }
}
