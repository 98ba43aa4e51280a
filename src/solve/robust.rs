//! The certified driver for the robust program (RC) (docs/math.md#robust-solver): optionally a
//! first-order phase (an augmented Lagrangian with R-FISTA, [`super::robust_al`]; what the app
//! animates), then exact rounds — the program restricted to a working set of usable blocks,
//! solved by the interior-point solver (an SOCP for hinge and squared losses, an
//! exponential-cone program for the logistic loss); its multipliers price every usable pattern
//! exactly (the robust dual constraint) and the most violated ones join. Every bound is
//! certified over all usable patterns.

use std::ops::ControlFlow;
use std::time::Instant;

use clarabel::solver::SupportedConeT;

use super::conic::{Rows, interior_point};

use super::progress::{Iterate, Phase, Status};
use super::robust_al::RobustAl;
use crate::certify::Bounds;
use crate::convex::robust::RobustProblem;
use crate::error::{Error, Result};
use crate::model::Loss;
use crate::vec3::norm3;

/// Settings of [`RobustDriver`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustSettings {
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// Most exact rounds.
    pub max_rounds: usize,
    /// Most violated patterns added per round (each with both signs).
    pub columns_per_round: usize,
    /// Augmented-Lagrangian iterations before the exact rounds (what the app animates).
    pub first_order_iters: usize,
    /// Certify the first-order iterate every this many iterations.
    pub check_every: usize,
}

impl Default for RobustSettings {
    fn default() -> Self {
        Self {
            tol: 1e-6,
            max_rounds: 60,
            columns_per_round: 20,
            first_order_iters: 0,
            check_every: 5,
        }
    }
}

/// A block of the working set: usable pattern and sign (+1: `v`, −1: `w`).
type Block = (usize, f64);

/// Outcome of [`solve_robust`].
#[derive(Debug, Clone)]
pub struct RobustSolution {
    /// Blocks `[v_1..v_P, w_1..w_P]` of the best point.
    pub blocks: Vec<[f64; 3]>,
    /// Best certified bounds.
    pub bounds: Bounds,
    /// Final status.
    pub status: Status,
    /// Exact rounds run.
    pub rounds: usize,
    /// Wall time.
    pub seconds: f64,
}

/// Solves (RC) to a certified relative gap.
pub fn solve_robust(
    problem: RobustProblem,
    settings: &RobustSettings,
    mut on_iter: impl FnMut(&Iterate) -> ControlFlow<()>,
) -> Result<RobustSolution> {
    let mut d = RobustDriver::new(problem, settings)?;
    while let Some(it) = d.step() {
        if on_iter(&it).is_break() && !d.is_done() {
            d.stop();
        }
    }
    Ok(d.finish())
}

/// [`solve_robust`] one round at a time.
pub struct RobustDriver {
    pr: RobustProblem,
    settings: RobustSettings,
    active: Vec<Block>,
    idle: Vec<u32>,
    best: Bounds,
    best_blocks: Vec<[f64; 3]>,
    /// The dual point `(v, w)` behind the best lower bound (before scaling).
    best_dual: Option<(Vec<f64>, Vec<[f64; 2]>)>,
    current: Vec<[f64; 3]>,
    /// The first-order phase, while it runs.
    al: Option<RobustAl>,
    fo_iters: usize,
    done: bool,
    status: Status,
    rounds: usize,
    t0: Instant,
}

impl RobustDriver {
    /// Starts from `u = 0`, the working set the patterns its dual point violates most.
    pub fn new(problem: RobustProblem, settings: &RobustSettings) -> Result<Self> {
        if !(settings.tol.is_finite() && settings.tol > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "tol = {}: must be > 0",
                settings.tol
            )));
        }
        let zero = vec![[0.0; 3]; 2 * problem.p()];
        let best = problem.certify(&zero);
        let (v, w) = problem.dual_point(&zero);
        let mut active = Vec::new();
        add_violated(&problem, &v, &w, settings.columns_per_round, &mut active);
        if active.is_empty() {
            active.push((0, 1.0));
        }
        Ok(Self {
            idle: vec![0; active.len()],
            active,
            best,
            best_blocks: zero.clone(),
            best_dual: None,
            current: zero,
            al: (settings.first_order_iters > 0).then(|| RobustAl::new(&problem)),
            fo_iters: 0,
            done: false,
            status: Status::Running,
            rounds: 0,
            t0: Instant::now(),
            settings: *settings,
            pr: problem,
        })
    }

    /// The problem.
    pub fn problem(&self) -> &RobustProblem {
        &self.pr
    }

    /// Best certified bounds.
    pub fn bounds(&self) -> Bounds {
        self.best
    }

    /// The dual point `(v, w)` behind the best lower bound (unscaled), once a round found one.
    pub fn certifying_dual(&self) -> Option<&(Vec<f64>, Vec<[f64; 2]>)> {
        self.best_dual.as_ref()
    }

    /// The point of the latest round.
    pub fn current(&self) -> &[[f64; 3]] {
        &self.current
    }

    /// Whether the run has ended.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Running or the final status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Ends the run.
    pub fn stop(&mut self) {
        if !self.done {
            self.done = true;
            self.status = Status::Stopped;
        }
    }

    /// Changes β; the working set is kept (a warm start), bounds are dropped.
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "beta = {beta}: must be a positive finite number"
            )));
        }
        self.pr.beta = beta;
        self.best = Bounds::unknown();
        self.best_dual = None;
        self.done = false;
        self.status = Status::Running;
        Ok(())
    }

    fn offer(&mut self, blocks: &[[f64; 3]], b: Bounds) {
        if b.upper < self.best.upper {
            self.best.upper = b.upper;
            self.best_blocks = blocks.to_vec();
        }
        if b.lower > self.best.lower {
            self.best.lower = b.lower;
            self.best.certificate = b.certificate;
        }
    }

    /// One first-order iteration (while that phase runs) or one exact round; `None` once the
    /// run is over.
    pub fn step(&mut self) -> Option<Iterate> {
        if self.done {
            return None;
        }
        if self.al.is_some() {
            return Some(self.first_order_step());
        }
        let t = Instant::now();
        self.rounds += 1;
        let s = self.settings;
        let res = match polish_robust(&self.pr, &self.active) {
            Ok(r) => r,
            Err(_) => {
                self.done = true;
                self.status = Status::Stalled;
                return Some(self.iterate(t, f64::NAN));
            }
        };
        let p = self.pr.p();
        let mut full = vec![[0.0; 3]; 2 * p];
        for (&(k, sg), u) in self.active.iter().zip(&res.values) {
            full[if sg > 0.0 { k } else { p + k }] = *u;
        }
        // Tiny interior-point blocks are dropped when that costs nothing measurable.
        let fmax = full.iter().map(norm3).fold(0.0, f64::max);
        let cleaned: Vec<[f64; 3]> = full
            .iter()
            .map(|b| if norm3(b) > 1e-7 * fmax { *b } else { [0.0; 3] })
            .collect();
        // Interior-point points violate the robust rows by ~1e-10: repaired into the cones, their
        // closed-form objective is their networks' true worst case.
        let full = self.pr.repair(&full);
        let cleaned = self.pr.repair(&cleaned);
        for cand in [&cleaned, &full] {
            let b = self.pr.certify(cand);
            self.offer(cand, b);
        }
        self.current = cleaned;
        // The multipliers: both sign conventions of the slope duals are tried; the better one
        // certifies and prices the patterns.
        let mut pricing: Option<(f64, Vec<[f64; 2]>)> = None;
        for sign in [-1.0, 1.0] {
            let w: Vec<[f64; 2]> = res.w.iter().map(|a| [sign * a[0], sign * a[1]]).collect();
            let (lower, c, _) = self.pr.lower_bound(res.v.clone(), w.clone());
            if lower > self.best.lower {
                self.best.lower = lower;
                self.best.certificate = c;
                self.best_dual = Some((res.v.clone(), w.clone()));
            }
            if pricing.as_ref().is_none_or(|(l, _)| lower > *l) {
                pricing = Some((lower, w));
            }
        }
        let objective = self.pr.objective(&full);
        if self.best.rel_gap() <= s.tol {
            self.done = true;
            self.status = Status::Converged;
            return Some(self.iterate(t, objective));
        }
        let before = self.active.len();
        if let Some((_, w)) = &pricing {
            add_violated(&self.pr, &res.v, w, s.columns_per_round, &mut self.active);
        }
        if self.active.len() == before || self.rounds >= s.max_rounds {
            self.done = true;
            self.status = Status::Stalled;
            return Some(self.iterate(t, objective));
        }
        // Drop blocks unused for three rounds in a row.
        let vmax = res.values.iter().map(norm3).fold(0.0, f64::max);
        for (a, u) in self.idle.iter_mut().zip(&res.values) {
            *a = if norm3(u) > 1e-7 * vmax { 0 } else { *a + 1 };
        }
        self.idle.resize(self.active.len(), 0);
        let mut keep = self.idle.iter().map(|&a| a < 3);
        self.active.retain(|_| keep.next().unwrap_or(true));
        self.idle.retain(|&a| a < 3);
        Some(self.iterate(t, objective))
    }

    fn first_order_step(&mut self) -> Iterate {
        let t = Instant::now();
        self.fo_iters += 1;
        let Some(al) = self.al.as_mut() else {
            return self.iterate(t, f64::NAN);
        };
        if !al.step(&self.pr) {
            self.done = true;
            self.status = Status::Diverged;
            return self.iterate(t, f64::NAN);
        }
        let delta = al.delta();
        let z = al.iterate().to_vec();
        let s = self.settings;
        let mut objective = f64::NAN;
        if self.fo_iters == 1 || self.fo_iters.is_multiple_of(s.check_every) {
            // Repaired into the robust cones, the iterate's closed-form objective is its
            // network's true worst case.
            let repaired = self.pr.repair(&z);
            let b = self.pr.certify(&repaired);
            objective = b.upper;
            if b.lower > self.best.lower {
                self.best_dual = Some(self.pr.dual_point(&repaired));
            }
            self.offer(&repaired, b);
            self.current = repaired;
        }
        if self.best.rel_gap() <= s.tol {
            self.done = true;
            self.status = Status::Converged;
        } else if self.fo_iters >= s.first_order_iters {
            // On to the exact rounds, from the first-order support and the patterns its dual
            // point violates.
            self.al = None;
            let p = self.pr.p();
            let u = &self.best_blocks;
            let max = u.iter().map(norm3).fold(0.0, f64::max);
            let mut active: Vec<Block> = (0..2 * p)
                .filter(|&k| max > 0.0 && norm3(&u[k]) > 1e-6 * max)
                .map(|k| (k % p, if k < p { 1.0 } else { -1.0 }))
                .collect();
            active.truncate(self.pr.n() + 10);
            let (v, w) = self.pr.dual_point(u);
            add_violated(&self.pr, &v, &w, s.columns_per_round, &mut active);
            if !active.is_empty() {
                self.active = active;
                self.idle = vec![0; self.active.len()];
            }
        }
        let mut it = self.iterate(t, objective);
        it.phase = Phase::AugLag;
        it.rho = delta;
        it
    }

    fn iterate(&self, t: Instant, objective: f64) -> Iterate {
        Iterate::exact_round(
            self.fo_iters + self.rounds,
            self.best,
            objective,
            t.elapsed().as_secs_f64(),
            self.current.iter().filter(|b| **b != [0.0; 3]).count(),
            if self.done {
                self.status
            } else {
                Status::Running
            },
        )
    }

    /// The result.
    pub fn finish(self) -> RobustSolution {
        RobustSolution {
            blocks: self.best_blocks,
            bounds: self.best,
            status: match self.status {
                Status::Running => Status::MaxIter,
                s => s,
            },
            rounds: self.rounds,
            seconds: self.t0.elapsed().as_secs_f64(),
        }
    }
}

/// Adds to `active` (both signs) the usable patterns whose robust dual constraint `(v, w)`
/// violates most, up to `count` patterns.
fn add_violated(
    pr: &RobustProblem,
    v: &[f64],
    w: &[[f64; 2]],
    count: usize,
    active: &mut Vec<Block>,
) {
    let mut vals: Vec<(f64, usize)> = pr
        .constraint_values(v, w)
        .into_iter()
        .enumerate()
        .filter(|(_, c)| *c > pr.beta * (1.0 + 1e-9))
        .map(|(k, c)| (c, k))
        .collect();
    vals.sort_by(|a, b| b.0.total_cmp(&a.0));
    for &(_, k) in vals.iter().take(count) {
        for s in [1.0, -1.0] {
            if !active.contains(&(k, s)) {
                active.push((k, s));
            }
        }
    }
}

/// One restricted solve: block values, and the multipliers of the prediction (`v`) and slope
/// (`w`, up to sign) equalities.
struct RobustPolish {
    values: Vec<[f64; 3]>,
    v: Vec<f64>,
    w: Vec<[f64; 2]>,
}

/// (RC) restricted to `blocks`, by the interior-point solver:
///
/// ```text
/// min  Σ_j ℓ_j + β Σ_b t_b   s.t.  ŷ = Σ_b s_b D_b X̃ u_b,  a_j = Σ_b s_b d_bj (u_b1, u_b2),
///      −q_j ≤ a_j ≤ q_j,  robust cone rows of every block,  ‖u_b‖ ≤ t_b,
///      hinge ℓ_j ≥ 1 − y_j ŷ_j + ε1ᵀq_j, ℓ_j ≥ 0 (squared: r_j ≥ ±(ŷ_j − y_j) + ε1ᵀq_j,
///      ℓ = ½r²; logistic: exponential cones on the margin y_jŷ_j − ε1ᵀq_j).
/// ```
fn polish_robust(pr: &RobustProblem, blocks: &[Block]) -> Result<RobustPolish> {
    let (n, k) = (pr.n(), blocks.len());
    let eps = pr.eps;
    let (off_t, off_y) = (3 * k, 4 * k);
    let off_a = off_y + n;
    let off_q = off_a + 2 * n;
    let off_e = off_q + 2 * n;
    let nvar = off_e
        + match pr.loss {
            Loss::Hinge | Loss::Squared => n,
            Loss::Logistic => 3 * n,
        };
    let mut a = Rows::default();
    let mut cones: Vec<SupportedConeT<f64>> = Vec::new();
    // Equalities: ŷ_j − Σ s d x̃ᵀu = 0, a_jc − Σ s d u_c = 0.
    for j in 0..n {
        let r = a.row(0.0);
        a.put(r, off_y + j, 1.0);
    }
    for j in 0..n {
        for c in 0..2 {
            let r = a.row(0.0);
            a.put(r, off_a + 2 * j + c, 1.0);
        }
    }
    for (bi, &(kk, s)) in blocks.iter().enumerate() {
        for j in 0..n {
            if pr.d[kk * n + j] != 0 {
                for c in 0..3 {
                    a.put(j, 3 * bi + c, -s * pr.xt[j][c]);
                }
                for c in 0..2 {
                    a.put(n + 2 * j + c, 3 * bi + c, -s);
                }
            }
        }
    }
    cones.push(SupportedConeT::ZeroConeT(3 * n));
    // Nonnegative rows.
    let mut nonneg = 0;
    for j in 0..n {
        for c in 0..2 {
            for sg in [1.0, -1.0] {
                // q − sg·a ≥ 0
                let r = a.row(0.0);
                a.put(r, off_q + 2 * j + c, -1.0);
                a.put(r, off_a + 2 * j + c, sg);
                nonneg += 1;
            }
        }
    }
    for (bi, &(kk, _)) in blocks.iter().enumerate() {
        for &(c, e) in &pr.cones[kk].rows {
            let xc = [pr.corners[c][0], pr.corners[c][1], 1.0];
            let r = a.row(0.0);
            for m in 0..3 {
                a.put(r, 3 * bi + m, -e * xc[m]);
            }
            nonneg += 1;
        }
    }
    match pr.loss {
        Loss::Hinge => {
            for j in 0..n {
                // ξ − 1 + yŷ − ε1ᵀq ≥ 0, ξ ≥ 0
                let r = a.row(-1.0);
                a.put(r, off_e + j, -1.0);
                a.put(r, off_y + j, -pr.y[j]);
                a.put(r, off_q + 2 * j, eps);
                a.put(r, off_q + 2 * j + 1, eps);
                let r = a.row(0.0);
                a.put(r, off_e + j, -1.0);
                nonneg += 2;
            }
        }
        Loss::Squared => {
            for j in 0..n {
                // r ∓ (ŷ − y) − ε1ᵀq ≥ 0
                for sg in [1.0, -1.0] {
                    let r = a.row(sg * pr.y[j]);
                    a.put(r, off_e + j, -1.0);
                    a.put(r, off_y + j, sg);
                    a.put(r, off_q + 2 * j, eps);
                    a.put(r, off_q + 2 * j + 1, eps);
                    nonneg += 1;
                }
            }
        }
        Loss::Logistic => {
            for j in 0..n {
                let r = a.row(1.0);
                a.put(r, off_e + 3 * j + 1, 1.0);
                a.put(r, off_e + 3 * j + 2, 1.0);
                nonneg += 1;
            }
        }
    }
    cones.push(SupportedConeT::NonnegativeConeT(nonneg));
    a.norm_cones(&mut cones, k, off_t);
    if pr.loss == Loss::Logistic {
        // margins y_j ŷ_j − ε1ᵀq_j
        a.logistic_cones(&mut cones, n, off_e, |j| {
            vec![
                (off_y + j, pr.y[j]),
                (off_q + 2 * j, -eps),
                (off_q + 2 * j + 1, -eps),
            ]
        });
    }
    let mut q = vec![0.0; nvar];
    (0..k).for_each(|bi| q[off_t + bi] = pr.beta);
    let mut diag = Vec::new();
    match pr.loss {
        Loss::Hinge => (0..n).for_each(|j| q[off_e + j] = 1.0),
        Loss::Logistic => (0..n).for_each(|j| q[off_e + 3 * j] = 1.0),
        Loss::Squared => (0..n).for_each(|j| diag.push((off_e + j, 1.0))),
    }
    let sol = interior_point(&diag, &q, a, &cones, "robust solve")?;
    Ok(RobustPolish {
        values: (0..k)
            .map(|bi| [sol.x[3 * bi], sol.x[3 * bi + 1], sol.x[3 * bi + 2]])
            .collect(),
        v: sol.z[..n].to_vec(),
        w: (0..n)
            .map(|j| [sol.z[n + 2 * j], sol.z[n + 2 * j + 1]])
            .collect(),
    })
}
