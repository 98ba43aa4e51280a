//! The augmented Lagrangian method for the convex ReLU program (C) with R-FISTA inside
//! (docs/math.md#augmented-lagrangian), the method of the convex-network library scnn: a second
//! first-order solver beside ADMM, certified by the same certificate and finished by the same
//! exact polish (see [`super::driver`]).
//!
//! Blocks `z_k` (`k < P`: `v_k`; `k ≥ P`: `w_{k−P}`) with cone constraints written as
//! `c_kj(z_k) = −e_ij x̃_jᵀz_k ≤ 0` and multipliers `γ_kj ≥ 0`. One step is one R-FISTA iteration on
//!
//! `L_δ(z, γ) = L(Σ_i D_iX̃(v_i − w_i), y) + (δ/2) Σ_kj (c_kj(z_k) + γ_kj/δ)₊² + β Σ_k ‖z_k‖`
//!
//! (a constant dropped); when its gradient mapping is small — or after a fixed number of inner
//! iterations — the multipliers step `γ ← (γ + δc)₊` and, if the violation did not fall to a
//! quarter, `δ` doubles (up to a cap: a huge δ stalls the inner problems).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::progress::{Iterate, Measured, Phase};
use super::rfista::{HINGE_SMOOTHING, RFista, Smooth, smoothed_loss};
use super::woodbury::dense_patterns;
use crate::certify::Bounds;
use crate::convex::relu::{BlockVec, ReluProblem};
use crate::error::{Error, Result};
use crate::geometry::augment;
use crate::model::{Loss, ReluNetwork};
use crate::vec3::dot3;

/// Settings of [`AugLag`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlSettings {
    /// Initial penalty δ > 0.
    pub delta: f64,
    /// Certified bounds every this many iterations (≥ 1).
    pub check_every: usize,
    /// Most R-FISTA iterations per multiplier update.
    pub inner_max: usize,
    /// δ doubles (up to this) when a multiplier update left more than a quarter of the
    /// violation.
    pub max_delta: f64,
}

impl Default for AlSettings {
    fn default() -> Self {
        // Measured on spiral_30_101 (β = 0.1, 5000 iterations): δ₀ = 10, 300 inner iterations
        // and δ ≤ 160 reach a certified gap of 1.7e-2; δ₀ = 1 without growth 0.35, unbounded
        // growth 0.23 (δ reaches 10⁸ and the inner problems stall).
        Self {
            delta: 10.0,
            check_every: 10,
            inner_max: 300,
            max_delta: 160.0,
        }
    }
}

impl AlSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<()> {
        if !(self.delta.is_finite() && self.delta > 0.0 && self.max_delta >= self.delta) {
            return Err(Error::InvalidSetting(format!(
                "delta = {} (max {}): must be > 0 and at most the maximum",
                self.delta, self.max_delta
            )));
        }
        if self.check_every == 0 || self.inner_max == 0 {
            return Err(Error::InvalidSetting(
                "check_every and inner_max must be ≥ 1".into(),
            ));
        }
        Ok(())
    }
}

/// The augmented Lagrangian solver's state.
pub struct AugLag {
    problem: ReluProblem,
    settings: AlSettings,
    xt: Vec<[f64; 3]>,
    d: Vec<u8>,
    gamma: Vec<f64>,
    delta: f64,
    fista: RFista,
    inner: usize,
    inner_tol: f64,
    last_violation: f64,
    outer: usize,
    iter: usize,
    bounds: Option<Bounds>,
    certifying: Vec<f64>,
    own_check: Option<(usize, Bounds, [f64; 3])>,
    last: Option<Iterate>,
}

/// The smooth part of `L_δ(·, γ)`.
struct Penalized<'a> {
    al: &'a AugLag,
}

impl AugLag {
    /// Sets up the solver at `z = 0`, `γ = 0`.
    pub fn new(problem: ReluProblem, settings: AlSettings) -> Result<Self> {
        settings.validate()?;
        let xt = augment(&problem.x);
        let d = dense_patterns(&problem.patterns);
        let (n, p) = (problem.n(), problem.p());
        let mut al = Self {
            settings,
            xt,
            d,
            gamma: vec![0.0; 2 * p * n],
            delta: settings.delta,
            fista: RFista::start(vec![[0.0; 3]; 2 * p], 1.0),
            inner: 0,
            inner_tol: 1e-3,
            last_violation: f64::INFINITY,
            outer: 0,
            iter: 0,
            bounds: None,
            certifying: Vec::new(),
            own_check: None,
            last: None,
            problem,
        };
        al.fista = RFista::start(vec![[0.0; 3]; 2 * p], 1.0 / al.lipschitz());
        Ok(al)
    }

    /// An upper estimate of the smooth part's Lipschitz constant: the loss's curvature times
    /// `λ_max(FᵀF)` (power iteration) plus `δ · tr(X̃ᵀX̃)`.
    fn lipschitz(&self) -> f64 {
        let n = self.problem.n();
        let p = self.problem.p();
        let mut v = vec![1.0 / (n as f64).sqrt(); n];
        let mut lambda: f64 = 1.0;
        for _ in 0..20 {
            // w = F Fᵀ v = 2 Σ_i D_i X̃ X̃ᵀ D_i v
            let mut w = vec![0.0; n];
            for i in 0..p {
                let di = &self.d[i * n..(i + 1) * n];
                let mut g = [0.0; 3];
                for j in 0..n {
                    if di[j] != 0 {
                        for k in 0..3 {
                            g[k] += v[j] * self.xt[j][k];
                        }
                    }
                }
                for j in 0..n {
                    if di[j] != 0 {
                        w[j] += 2.0 * dot3(&self.xt[j], &g);
                    }
                }
            }
            let nw = w.iter().map(|a| a * a).sum::<f64>().sqrt();
            if nw == 0.0 {
                break;
            }
            lambda = nw;
            v = w.iter().map(|a| a / nw).collect();
        }
        let curvature = match self.problem.loss {
            Loss::Squared => 1.0,
            Loss::Logistic => 0.25,
            Loss::Hinge => 1.0 / HINGE_SMOOTHING,
        };
        let trace: f64 = self.xt.iter().map(|x| dot3(x, x)).sum();
        (1.05 * curvature * lambda + self.delta * trace).max(1e-12)
    }

    /// The problem being solved.
    pub fn problem(&self) -> &ReluProblem {
        &self.problem
    }

    /// Current penalty δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Iterations (inner R-FISTA steps) done.
    pub fn iterations(&self) -> usize {
        self.iter
    }

    /// Multiplier updates done.
    pub fn outer_iterations(&self) -> usize {
        self.outer
    }

    /// The current iterate's blocks (sparse: the prox sets whole blocks to zero).
    pub fn blocks(&self) -> &BlockVec {
        self.fista.iterate_vec()
    }

    /// Network recovered from the current iterate.
    pub fn network(&self) -> ReluNetwork {
        self.problem.recover(self.fista.iterate())
    }

    /// Changes β keeping the iterate and the multipliers.
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.problem = self.problem.with_beta(beta)?;
        self.bounds = None;
        self.fista.reset_momentum();
        Ok(())
    }

    /// `Σ_kj (c_kj(z_k))₊²`, square-rooted: how far the iterate is from the cones.
    pub fn violation(&self) -> f64 {
        let (n, p) = (self.problem.n(), self.problem.p());
        let z = self.fista.iterate();
        let mut s = 0.0;
        for (k, zk) in z.iter().enumerate() {
            if *zk == [0.0; 3] {
                continue;
            }
            let di = &self.d[(k % p) * n..(k % p + 1) * n];
            for j in 0..n {
                let e = if di[j] != 0 { 1.0 } else { -1.0 };
                let c = -e * dot3(&self.xt[j], zk);
                if c > 0.0 {
                    s += c * c;
                }
            }
        }
        s.sqrt()
    }

    /// One inner iteration, a multiplier update when the inner problem is solved well enough,
    /// and certified bounds every `check_every` iterations.
    pub fn step(&mut self) -> Iterate {
        let t0 = Instant::now();
        self.iter += 1;
        self.inner += 1;
        let mut fista = std::mem::replace(&mut self.fista, RFista::start(Vec::new(), 1.0));
        let finite = fista.step(&Penalized { al: self });
        self.fista = fista;
        let scale = 1.0 + self.problem.y.iter().map(|v| v.abs()).sum::<f64>();
        if self.fista.gradient_mapping() <= self.inner_tol * scale
            || self.inner >= self.settings.inner_max
        {
            self.update_multipliers();
        }
        let check = self.iter == 1 || self.iter.is_multiple_of(self.settings.check_every);
        let mut convex_objective = None;
        if check && finite {
            let (b, cobj, v, own) = self.bounds_with_dual();
            self.bounds = Some(b);
            self.certifying = v;
            self.own_check = Some((self.iter, own.0, own.1));
            convex_objective = Some(cobj);
        }
        self.report(t0, check, finite, convex_objective)
    }

    fn update_multipliers(&mut self) {
        let (n, p) = (self.problem.n(), self.problem.p());
        let z = self.fista.iterate();
        for (k, zk) in z.iter().enumerate() {
            let di = &self.d[(k % p) * n..(k % p + 1) * n];
            let gk = &mut self.gamma[k * n..(k + 1) * n];
            for j in 0..n {
                let e = if di[j] != 0 { 1.0 } else { -1.0 };
                let c = -e * dot3(&self.xt[j], zk);
                gk[j] = (gk[j] + self.delta * c).max(0.0);
            }
        }
        let viol = self.violation();
        if viol > 0.25 * self.last_violation && 2.0 * self.delta <= self.settings.max_delta {
            self.delta *= 2.0;
            // The penalty's curvature doubled: so does the step's safe bound.
            self.fista.scale_step(0.5);
        }
        self.last_violation = viol;
        self.inner_tol = (0.5 * self.inner_tol).max(1e-10);
        self.inner = 0;
        self.outer += 1;
        self.fista.reset_momentum();
    }

    /// Certified bounds of the current iterate (upper: the recovered network's objective; lower:
    /// the best of the scaled dual points from its predictions and from the convex iterate's),
    /// the convex objective, the scaled dual point, and the network's own bounds and maximiser.
    fn bounds_with_dual(&self) -> (Bounds, f64, Vec<f64>, (Bounds, [f64; 3])) {
        let pr = &self.problem;
        let z = self.fista.iterate();
        let hint = pr.loss.dual_point(&pr.predictions(z), &pr.y);
        pr.certify_iterate(z, hint)
    }

    fn report(
        &mut self,
        t0: Instant,
        check: bool,
        finite: bool,
        convex_objective: Option<f64>,
    ) -> Iterate {
        // The constraint violation plays the primal residual's part; the gradient mapping the
        // dual residual's.
        let it = Iterate::carried(
            self.last.as_ref(),
            self.bounds,
            Measured {
                iter: self.iter,
                phase: Phase::AugLag,
                check,
                convex_objective,
                residuals: Some((self.violation(), self.fista.gradient_mapping())),
                rho: self.delta,
                seconds: t0.elapsed().as_secs_f64(),
                active_blocks: self
                    .fista
                    .iterate()
                    .iter()
                    .filter(|b| **b != [0.0; 3])
                    .count(),
                finite,
            },
        );
        self.last = Some(it);
        it
    }

    /// The recovered network's own certified bounds and maximiser, if the last check was at
    /// iteration `iter`.
    pub fn own_check(&self, iter: usize) -> Option<(Bounds, [f64; 3])> {
        self.own_check
            .filter(|(at, _, _)| *at == iter)
            .map(|(_, b, u)| (b, u))
    }

    /// The scaled dual point behind the last check's lower bound (empty before the first).
    pub fn certifying_dual(&self) -> &[f64] {
        &self.certifying
    }
}

impl Smooth for Penalized<'_> {
    fn value(&self, z: &[[f64; 3]]) -> f64 {
        self.eval(z, false).0
    }
    fn value_grad(&self, z: &[[f64; 3]]) -> (f64, Vec<[f64; 3]>) {
        self.eval(z, true)
    }
    fn beta(&self) -> f64 {
        self.al.problem.beta
    }
}

impl Penalized<'_> {
    fn eval(&self, z: &[[f64; 3]], grad: bool) -> (f64, Vec<[f64; 3]>) {
        let al = self.al;
        let pr = &al.problem;
        let (n, p) = (pr.n(), pr.p());
        let yhat = pr.predictions(z);
        let (mut f, r) = smoothed_loss(pr.loss, &yhat, &pr.y);
        let mut g = if grad {
            vec![[0.0; 3]; 2 * p]
        } else {
            Vec::new()
        };
        let delta = al.delta;
        for (k, zk) in z.iter().enumerate() {
            let i = k % p;
            let sign = if k < p { 1.0 } else { -1.0 };
            let di = &al.d[i * n..(i + 1) * n];
            let gk = &al.gamma[k * n..(k + 1) * n];
            let mut acc = [0.0; 3];
            for j in 0..n {
                let xj = &al.xt[j];
                let e = if di[j] != 0 { 1.0 } else { -1.0 };
                // (δc + γ)₊ with c = −e x̃ᵀz
                let t = (gk[j] - delta * e * dot3(xj, zk)).max(0.0);
                if t > 0.0 {
                    f += 0.5 * t * t / delta;
                }
                if grad {
                    // loss part: s·d_j r_j x̃_j; penalty part: −e (δc + γ)₊ x̃_j
                    let w = sign * f64::from(di[j]) * r[j] - e * t;
                    if w != 0.0 {
                        for c in 0..3 {
                            acc[c] += w * xj[c];
                        }
                    }
                }
            }
            if grad {
                g[k] = acc;
            }
        }
        // The constant −Σγ²/(2δ) is left out: it shifts f, not its minimizer.
        (f, g)
    }
}
