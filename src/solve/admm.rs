//! ADMM for the convex ReLU program, variant (b) of docs/math.md#admm (also split the
//! predictions `z = F u`), with the Woodbury u-update (docs/math.md#woodbury), residual balancing of ρ and
//! optional over-relaxation (docs/math.md#admm-rho), warm start, and certified bounds every `check_every`
//! iterations (docs/math.md#admm-stopping, #certified-gap). One [`Admm::step`] is one iteration, for single-stepping in the app.
//!
//! Variables (per block `k` of `2P`, pattern `i = k mod P`, sign `+` for `k < P`):
//! `u_k` (Woodbury block), `c_k` (group-norm copy, sparse), `λ_k`; slacks `s_k = e_i ∘ (X u_k) ≥ 0`
//! with duals `ν_k`; prediction copy `z = F u` with dual `μ`. All duals are scaled (by 1/ρ).
//!
//! Memory layout: after every update `s = max(t, 0)` and `ν = min(t, 0)` for the same `t`, so one
//! array `w = s + ν` stores both (`s = w₊`, `ν = −(−w)₊`, `s − ν = |w|`). The part of the next
//! right-hand side that depends on the block, `(c_k − λ_k) + Xᵀ(e_i ∘ |w_k|)`, is accumulated in
//! the same pass, so the `2nP` array is streamed once per iteration.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::progress::{Iterate, Measured, Phase};
use super::woodbury::{Woodbury, dense_patterns};
use crate::certify::Bounds;
use crate::convex::relu::{BlockVec, ReluProblem};
use crate::error::{Error, Result};
use crate::geometry::augment;
use crate::model::ReluNetwork;
use crate::vec3::{dot3, norm3};

/// ADMM settings (plain public fields; see [`AdmmSettings::validate`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdmmSettings {
    /// Initial penalty ρ > 0.
    pub rho: f64,
    /// Over-relaxation `α_r ∈ [1, 1.9)`; 1 disables it.
    pub over_relaxation: f64,
    /// Residual balancing every this many iterations (0 = fixed ρ).
    pub balance_every: usize,
    /// Certified bounds every this many iterations (≥ 1).
    pub check_every: usize,
}

impl Default for AdmmSettings {
    fn default() -> Self {
        Self {
            rho: 1.0,
            over_relaxation: 1.6,
            balance_every: 20,
            check_every: 10,
        }
    }
}

impl AdmmSettings {
    /// Checks ranges; the message names the setting.
    pub fn validate(&self) -> Result<()> {
        if !(self.rho.is_finite() && self.rho > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "rho = {}: must be > 0",
                self.rho
            )));
        }
        if !(1.0..1.9).contains(&self.over_relaxation) {
            return Err(Error::InvalidSetting(format!(
                "over_relaxation = {}: must be in [1, 1.9)",
                self.over_relaxation
            )));
        }
        if self.check_every == 0 {
            return Err(Error::InvalidSetting("check_every must be ≥ 1".into()));
        }
        Ok(())
    }
}

/// The ADMM state machine.
#[derive(Debug, Clone)]
pub struct Admm {
    problem: ReluProblem,
    settings: AdmmSettings,
    xt: Vec<[f64; 3]>,
    d: Vec<u8>,
    wb: Woodbury,
    rho: f64,
    u: BlockVec,
    c: BlockVec,
    lam: BlockVec,
    w: Vec<f64>,
    part: BlockVec,
    z: Vec<f64>,
    mu: Vec<f64>,
    rhs: BlockVec,
    yu: Vec<f64>,
    iter: usize,
    last: Option<Iterate>,
    bounds: Option<Bounds>,
    /// The scaled dual point behind `bounds.lower`.
    certifying: Vec<f64>,
    /// The iteration of the last check with the recovered network's own bounds and the exact
    /// maximiser of its residual's certificate (what a snapshot of that iterate needs again).
    own_check: Option<(usize, Bounds, [f64; 3])>,
}

fn shrink(a: [f64; 3], t: f64) -> [f64; 3] {
    let na = norm3(&a);
    if na <= t {
        [0.0; 3]
    } else {
        let f = 1.0 - t / na;
        [a[0] * f, a[1] * f, a[2] * f]
    }
}

/// Running sums of squares behind the relative residuals, accumulated block by block and then
/// over the predictions, always in that order.
#[derive(Debug, Clone, Copy, Default)]
struct ResidualSums {
    /// `‖Au − (c, s, z)‖²`: primal residual.
    pri2: f64,
    /// `‖Au‖²` (`A` stacks `I`, `G`, `F`).
    au2: f64,
    /// `‖(c, s, z)‖²`.
    w2: f64,
    /// `Σ_k ‖λ_k + G_kᵀν_k‖²`.
    ydual2: f64,
}

/// What an iteration that measures its residuals gathers during the updates.
#[derive(Debug)]
struct ResidualParts {
    sums: ResidualSums,
    /// Per block, `(c − c_old) + Gᵀ(s − s_old)`; `Fᵀ(z − z_old)` is added by [`Admm::residuals`].
    dual_blocks: Vec<[f64; 3]>,
    /// `z − z_old`.
    dz: Vec<f64>,
}

impl ResidualParts {
    fn new(n: usize, p: usize) -> Self {
        Self {
            sums: ResidualSums::default(),
            dual_blocks: vec![[0.0; 3]; 2 * p],
            dz: vec![0.0; n],
        }
    }
}

/// Relative residuals of one iteration.
#[derive(Debug, Clone, Copy)]
struct Residuals {
    primal: f64,
    dual: f64,
}

impl Admm {
    /// Sets up the solver (precomputes the Woodbury factors: `O(n² P/64 + n³)`), starting at 0.
    pub fn new(problem: ReluProblem, settings: AdmmSettings) -> Result<Self> {
        settings.validate()?;
        let xt = augment(&problem.x);
        let d = dense_patterns(&problem.patterns);
        let wb = Woodbury::new(&xt, &problem.patterns)?;
        let (n, p) = (problem.n(), problem.p());
        Ok(Self {
            settings,
            rho: settings.rho,
            u: vec![[0.0; 3]; 2 * p],
            c: vec![[0.0; 3]; 2 * p],
            lam: vec![[0.0; 3]; 2 * p],
            w: vec![0.0; 2 * p * n],
            part: vec![[0.0; 3]; 2 * p],
            z: vec![0.0; n],
            mu: vec![0.0; n],
            rhs: vec![[0.0; 3]; 2 * p],
            yu: vec![0.0; n],
            iter: 0,
            last: None,
            bounds: None,
            certifying: Vec::new(),
            own_check: None,
            xt,
            d,
            wb,
            problem,
        })
    }

    /// The problem being solved.
    pub fn problem(&self) -> &ReluProblem {
        &self.problem
    }

    /// Current penalty ρ.
    pub fn rho(&self) -> f64 {
        self.rho
    }

    /// Iterations done.
    pub fn iterations(&self) -> usize {
        self.iter
    }

    /// The last iterate's report.
    pub fn last(&self) -> Option<&Iterate> {
        self.last.as_ref()
    }

    /// The sparse (group-thresholded) iterate `c` — the blocks the network is recovered from.
    pub fn blocks(&self) -> &BlockVec {
        &self.c
    }

    /// Network recovered from the current sparse iterate (docs/math.md#neuron-recovery).
    pub fn network(&self) -> ReluNetwork {
        self.problem.recover(&self.c)
    }

    /// A dual candidate `−ρμ ∈ −∂L(z)` (valid for every loss, used for the lower bound).
    pub fn dual_hint(&self) -> Vec<f64> {
        self.mu.iter().map(|m| -self.rho * m).collect()
    }

    /// Changes β keeping every variable (warm start along a regularisation path, docs/math.md#admm-rho).
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.problem = self.problem.with_beta(beta)?;
        self.bounds = None;
        Ok(())
    }

    /// Warm start from blocks (e.g. a previous solution or a network mapped by docs/math.md#converse-map): primal
    /// variables are set consistently, duals reset to zero.
    pub fn warm_start(&mut self, blocks: &[[f64; 3]]) -> Result<()> {
        let (n, p) = (self.problem.n(), self.problem.p());
        if blocks.len() != 2 * p {
            return Err(Error::InvalidSetting(format!(
                "warm start has {} blocks, the problem has {}",
                blocks.len(),
                2 * p
            )));
        }
        self.u.copy_from_slice(blocks);
        self.c.copy_from_slice(blocks);
        self.lam.iter_mut().for_each(|l| *l = [0.0; 3]);
        for k in 0..2 * p {
            let i = k % p;
            for j in 0..n {
                let xu = dot3(&self.xt[j], &blocks[k]);
                let e = 2.0 * f64::from(self.d[i * n + j]) - 1.0;
                self.w[k * n + j] = (e * xu).max(0.0); // s = clipped, ν = 0
            }
        }
        self.recompute_part();
        self.z = self.problem.predictions(blocks);
        self.mu.iter_mut().for_each(|v| *v = 0.0);
        self.bounds = None;
        Ok(())
    }

    /// `part_k = (c_k − λ_k) + Xᵀ(e_i ∘ |w_k|)` from the current state.
    fn recompute_part(&mut self) {
        let (n, p) = (self.problem.n(), self.problem.p());
        for k in 0..2 * p {
            let i = k % p;
            let di = &self.d[i * n..(i + 1) * n];
            let wk = &self.w[k * n..(k + 1) * n];
            let (c, l) = (self.c[k], self.lam[k]);
            let mut acc = [c[0] - l[0], c[1] - l[1], c[2] - l[2]];
            for j in 0..n {
                let a = (2.0 * f64::from(di[j]) - 1.0) * wk[j].abs();
                acc[0] += a * self.xt[j][0];
                acc[1] += a * self.xt[j][1];
                acc[2] += a * self.xt[j][2];
            }
            self.part[k] = acc;
        }
    }

    /// One ADMM iteration (docs/math.md#admm-algorithm). Certified bounds are refreshed every `check_every` iterations.
    ///
    /// The scaled-dual updates are fused into the passes that produce their arguments (λ with
    /// `c`, ν with `s` in `w`, μ with `z`), so every array is streamed once per iteration.
    /// Residuals are measured only on iterations that check bounds or balance ρ.
    pub fn step(&mut self) -> Iterate {
        let t0 = Instant::now();
        self.iter += 1;
        let check = self.iter.is_multiple_of(self.settings.check_every) || self.iter == 1;
        let balance = self.settings.balance_every > 0
            && self.iter.is_multiple_of(self.settings.balance_every);
        let mut parts =
            (check || balance).then(|| ResidualParts::new(self.problem.n(), self.problem.p()));

        self.assemble_rhs();
        self.u_update();
        self.block_update(parts.as_mut());
        self.predict();
        self.z_update(parts.as_mut());
        let residuals = parts.map(|parts| self.residuals(&parts));
        if balance && let Some(r) = residuals {
            self.balance_rho(r);
        }
        let finite = self.is_finite();
        let convex_objective = (check && finite).then(|| self.check());
        self.report(t0, check, finite, residuals, convex_objective)
    }

    /// Right-hand side of the u-system: `r_k = part_k ± Xᵀ(d_i ∘ (z − μ))`.
    fn assemble_rhs(&mut self) {
        let (n, p) = (self.problem.n(), self.problem.p());
        let zm: Vec<f64> = self.z.iter().zip(&self.mu).map(|(a, b)| a - b).collect();
        for i in 0..p {
            let di = &self.d[i * n..(i + 1) * n];
            let mut q = [0.0; 3];
            for j in 0..n {
                let w = f64::from(di[j]) * zm[j];
                q[0] += w * self.xt[j][0];
                q[1] += w * self.xt[j][1];
                q[2] += w * self.xt[j][2];
            }
            let (a, b) = (self.part[i], self.part[p + i]);
            self.rhs[i] = [a[0] + q[0], a[1] + q[1], a[2] + q[2]];
            self.rhs[p + i] = [b[0] - q[0], b[1] - q[1], b[2] - q[2]];
        }
    }

    /// u-update: the Woodbury solve of `(I_{2P} ⊗ B + FᵀF) u = r` (docs/math.md#woodbury).
    fn u_update(&mut self) {
        self.wb.solve(&self.xt, &self.d, &self.rhs, &mut self.u);
    }

    /// Per block, in one pass: `c` (group shrink of the over-relaxed `û + λ`), `λ`, and the merged
    /// slack/dual `w`; the block's part of the next right-hand side and, when `parts` is given,
    /// its residual pieces on the way.
    fn block_update(&mut self, mut parts: Option<&mut ResidualParts>) {
        let p = self.problem.p();
        let alpha = self.settings.over_relaxation;
        let thr = self.problem.beta / self.rho;
        for k in 0..2 * p {
            let uk = self.u[k];
            let c_old = self.c[k];
            let uh = [
                alpha * uk[0] + (1.0 - alpha) * c_old[0],
                alpha * uk[1] + (1.0 - alpha) * c_old[1],
                alpha * uk[2] + (1.0 - alpha) * c_old[2],
            ];
            let l = self.lam[k];
            let cn = shrink([uh[0] + l[0], uh[1] + l[1], uh[2] + l[2]], thr);
            self.c[k] = cn;
            let ln = [
                l[0] + uh[0] - cn[0],
                l[1] + uh[1] - cn[1],
                l[2] + uh[2] - cn[2],
            ];
            self.lam[k] = ln;
            let part = [cn[0] - ln[0], cn[1] - ln[1], cn[2] - ln[2]];
            self.part[k] = match parts.as_deref_mut() {
                Some(parts) => self.slack_update_measured(k, uk, c_old, cn, ln, part, parts),
                None => self.slack_update(k, uk, part),
            };
        }
    }

    /// Slack/dual update of block `k`: `w_k ← t = α_r g + (1 − α_r) s_old + ν_old` with
    /// `g = e_i ∘ (X u_k)`, so that `s = t₊` and `ν = t₋`. Returns `part + Xᵀ(e_i ∘ |t|)`.
    #[inline]
    fn slack_update(&mut self, k: usize, uk: [f64; 3], mut part: [f64; 3]) -> [f64; 3] {
        let (n, p) = (self.problem.n(), self.problem.p());
        let alpha = self.settings.over_relaxation;
        let i = k % p;
        let di = &self.d[i * n..(i + 1) * n];
        let wk = &mut self.w[k * n..(k + 1) * n];
        for j in 0..n {
            let e = 2.0 * f64::from(di[j]) - 1.0;
            let g = e * dot3(&self.xt[j], &uk);
            let w_old = wk[j];
            let t = alpha * g + (1.0 - alpha) * w_old.max(0.0) + w_old.min(0.0);
            wk[j] = t;
            let ab = e * t.abs();
            part[0] += ab * self.xt[j][0];
            part[1] += ab * self.xt[j][1];
            part[2] += ab * self.xt[j][2];
        }
        part
    }

    /// [`Self::slack_update`] that also adds block `k`'s terms of the residual sums and stores
    /// its dual residual piece `(c − c_old) + Gᵀ(s − s_old)`.
    #[inline]
    fn slack_update_measured(
        &mut self,
        k: usize,
        uk: [f64; 3],
        c_old: [f64; 3],
        cn: [f64; 3],
        ln: [f64; 3],
        mut part: [f64; 3],
        parts: &mut ResidualParts,
    ) -> [f64; 3] {
        let (n, p) = (self.problem.n(), self.problem.p());
        let alpha = self.settings.over_relaxation;
        let i = k % p;
        let di = &self.d[i * n..(i + 1) * n];
        let wk = &mut self.w[k * n..(k + 1) * n];
        let mut sums = parts.sums;
        let mut acc = [0.0; 3];
        let mut gtnu = [0.0; 3];
        for j in 0..n {
            let e = 2.0 * f64::from(di[j]) - 1.0;
            let g = e * dot3(&self.xt[j], &uk);
            let w_old = wk[j];
            let s_old = w_old.max(0.0);
            let t = alpha * g + (1.0 - alpha) * s_old + w_old.min(0.0);
            wk[j] = t;
            let (s_new, nu_new) = (t.max(0.0), t.min(0.0));
            sums.pri2 += (g - s_new) * (g - s_new);
            sums.au2 += g * g;
            sums.w2 += s_new * s_new;
            let (ds, nv, ab) = (e * (s_new - s_old), e * nu_new, e * t.abs());
            for c in 0..3 {
                acc[c] += ds * self.xt[j][c];
                gtnu[c] += nv * self.xt[j][c];
                part[c] += ab * self.xt[j][c];
            }
        }
        parts.dual_blocks[k] = [
            cn[0] - c_old[0] + acc[0],
            cn[1] - c_old[1] + acc[1],
            cn[2] - c_old[2] + acc[2],
        ];
        for c in 0..3 {
            sums.pri2 += (uk[c] - cn[c]) * (uk[c] - cn[c]);
            sums.au2 += uk[c] * uk[c];
            sums.w2 += cn[c] * cn[c];
            sums.ydual2 += (ln[c] + gtnu[c]) * (ln[c] + gtnu[c]);
        }
        parts.sums = sums;
        part
    }

    /// Predictions of the new `u`: `yu = F u = Σ_i D_i X (u_i − u_{P+i})`.
    fn predict(&mut self) {
        let (n, p) = (self.problem.n(), self.problem.p());
        self.yu.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..p {
            let (a, b) = (self.u[i], self.u[p + i]);
            let du = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
            let di = &self.d[i * n..(i + 1) * n];
            for j in 0..n {
                self.yu[j] += f64::from(di[j]) * dot3(&self.xt[j], &du);
            }
        }
    }

    /// z-update, the prox of the loss at the over-relaxed `ŷ = α_r F u + (1 − α_r) z` plus `μ`,
    /// and the dual update `μ ← μ + ŷ − z`; with `parts`, the prediction terms of the residual
    /// sums and `z − z_old`.
    fn z_update(&mut self, mut parts: Option<&mut ResidualParts>) {
        let alpha = self.settings.over_relaxation;
        for j in 0..self.problem.n() {
            let yh = alpha * self.yu[j] + (1.0 - alpha) * self.z[j];
            let z_new = self
                .problem
                .loss
                .prox(yh + self.mu[j], self.problem.y[j], self.rho);
            if let Some(parts) = parts.as_deref_mut() {
                parts.dz[j] = z_new - self.z[j];
                parts.sums.pri2 += (self.yu[j] - z_new) * (self.yu[j] - z_new);
                parts.sums.au2 += self.yu[j] * self.yu[j];
                parts.sums.w2 += z_new * z_new;
            }
            self.z[j] = z_new;
            self.mu[j] += yh - z_new;
        }
    }

    /// Relative residuals (docs/math.md#admm-stopping) from the pieces gathered by the updates: primal
    /// `‖Au − (c, s, z)‖ / max(‖Au‖, ‖(c, s, z)‖)`, dual
    /// `‖(c − c_old) + Gᵀ(s − s_old) + Fᵀ(z − z_old)‖ / ‖(λ + Gᵀν, μ)‖` (the factor ρ cancels).
    fn residuals(&self, parts: &ResidualParts) -> Residuals {
        let (n, p) = (self.problem.n(), self.problem.p());
        let mut d2 = 0.0;
        for k in 0..2 * p {
            let i = k % p;
            let sign = if k < p { 1.0 } else { -1.0 };
            let di = &self.d[i * n..(i + 1) * n];
            let mut acc = [0.0; 3];
            for j in 0..n {
                let w = sign * f64::from(di[j]) * parts.dz[j];
                acc[0] += w * self.xt[j][0];
                acc[1] += w * self.xt[j][1];
                acc[2] += w * self.xt[j][2];
            }
            let b = parts.dual_blocks[k];
            d2 += (b[0] + acc[0]).powi(2) + (b[1] + acc[1]).powi(2) + (b[2] + acc[2]).powi(2);
        }
        let mu2: f64 = self.mu.iter().map(|m| m * m).sum();
        let s = &parts.sums;
        Residuals {
            primal: s.pri2.sqrt() / s.au2.sqrt().max(s.w2.sqrt()).max(1e-12),
            dual: d2.sqrt() / (s.ydual2 + mu2).sqrt().max(1e-12),
        }
    }

    /// Residual balancing (docs/math.md#admm-rho): ρ doubles or halves when one relative residual exceeds the other
    /// tenfold, staying in `[1e-6, 1e6)`.
    fn balance_rho(&mut self, r: Residuals) {
        let factor = if r.primal > 10.0 * r.dual {
            2.0
        } else if r.dual > 10.0 * r.primal {
            0.5
        } else {
            1.0
        };
        if factor != 1.0 && (1e-6..1e6).contains(&(self.rho * factor)) {
            // Scaled duals λ, ν, μ scale by 1/factor; ν is the negative part of w.
            self.rho *= factor;
            let inv = 1.0 / factor;
            self.lam
                .iter_mut()
                .for_each(|l| *l = [l[0] * inv, l[1] * inv, l[2] * inv]);
            self.w.iter_mut().for_each(|v| {
                if *v < 0.0 {
                    *v *= inv;
                }
            });
            self.mu.iter_mut().for_each(|v| *v *= inv);
            self.recompute_part();
        }
    }

    /// Whether `z` and `u` are finite (otherwise the iteration has diverged).
    fn is_finite(&self) -> bool {
        self.z.iter().all(|v| v.is_finite())
            && self.u.iter().all(|b| b.iter().all(|v| v.is_finite()))
    }

    /// Certified bounds of the current iterate, stored for the following iterations; returns the
    /// convex objective.
    fn check(&mut self) -> f64 {
        let (b, cobj, v, own) = self.bounds_with_dual();
        self.bounds = Some(b);
        self.certifying = v;
        self.own_check = Some((self.iter, own.0, own.1));
        cobj
    }

    /// The iteration's report; values not measured this iteration carry over from the last one.
    fn report(
        &mut self,
        t0: Instant,
        check: bool,
        finite: bool,
        residuals: Option<Residuals>,
        convex_objective: Option<f64>,
    ) -> Iterate {
        let it = Iterate::carried(
            self.last.as_ref(),
            self.bounds,
            Measured {
                iter: self.iter,
                phase: Phase::Admm,
                check,
                convex_objective,
                residuals: residuals.map(|r| (r.primal, r.dual)),
                rho: self.rho,
                seconds: t0.elapsed().as_secs_f64(),
                active_blocks: self.c.iter().filter(|b| **b != [0.0; 3]).count(),
                finite,
            },
        );
        self.last = Some(it);
        it
    }

    /// Certified bounds of the current sparse iterate: upper = objective of the recovered network,
    /// lower = best of the dual points from its predictions and from ADMM's `−ρμ`.
    pub fn compute_bounds(&self) -> (Bounds, f64) {
        let (b, cobj, _, _) = self.bounds_with_dual();
        (b, cobj)
    }

    /// [`Admm::compute_bounds`] and the scaled dual point behind the lower bound; also the
    /// recovered network's own bounds and its certificate's maximiser.
    fn bounds_with_dual(&self) -> (Bounds, f64, Vec<f64>, (Bounds, [f64; 3])) {
        self.problem.certify_iterate(&self.c, self.dual_hint())
    }

    /// The recovered network's own certified bounds and certificate maximiser, if the last
    /// check was at iteration `iter` (so a snapshot of that iterate need not recompute them).
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
