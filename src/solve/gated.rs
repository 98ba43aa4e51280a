//! The certified driver for the gated ReLU program (docs/math.md#gated-relu): R-FISTA iterations
//! (what the app shows), then an exact finish — the program restricted to a working set of gates,
//! solved by the interior-point solver, with gates whose dual constraint the restricted optimum
//! violates joining it (column generation) — stopping on the certified relative gap.
//!
//! Every bound is valid on its own: an upper bound is the objective of a real point, a lower bound
//! the dual objective of a point scaled into the gated dual's feasible set over *every* gate of
//! the problem. The driver keeps the best of each.

use std::ops::ControlFlow;
use std::time::Instant;

use super::polish::{RestrictedBlock, polish_blocks};
use super::progress::{Iterate, Phase, Status};
use super::rfista::RFista;
use crate::certify::Bounds;
use crate::convex::gated::GatedProblem;
use crate::error::{Error, Result};
use crate::vec3::norm3;

/// Settings of [`GatedDriver`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GatedSettings {
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// Maximum R-FISTA iterations.
    pub max_iter: usize,
    /// Certify every this many iterations (and at the first).
    pub check_every: usize,
    /// Run the exact finish after R-FISTA.
    pub polish: bool,
    /// Start the exact finish after this many iterations at the latest …
    pub polish_after: usize,
    /// … or as soon as the certified relative gap is below this.
    pub polish_gap: f64,
    /// Maximum finish / column-generation rounds.
    pub max_polish_rounds: usize,
    /// Most violated gates added per round.
    pub columns_per_round: usize,
}

impl Default for GatedSettings {
    fn default() -> Self {
        Self {
            tol: 1e-6,
            max_iter: 20_000,
            check_every: 10,
            polish: true,
            polish_after: 20,
            polish_gap: 1e-3,
            max_polish_rounds: 60,
            columns_per_round: 20,
        }
    }
}

impl GatedSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<()> {
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "tol = {}: must be > 0",
                self.tol
            )));
        }
        if self.max_iter == 0 || self.check_every == 0 {
            return Err(Error::InvalidSetting(
                "max_iter and check_every must be ≥ 1".into(),
            ));
        }
        Ok(())
    }
}

enum Stage {
    Fista,
    Polish { active: Vec<usize>, idle: Vec<u32> },
    Done,
}

/// The best certified bounds so far and the points behind them.
#[derive(Debug, Clone)]
struct Best {
    bounds: Bounds,
    u: Vec<[f64; 3]>,
    dual: Vec<f64>,
}

/// Outcome of [`solve_gated`].
#[derive(Debug, Clone)]
pub struct GatedSolution {
    /// The best point found (its objective is `bounds.upper`), one block per gate.
    pub u: Vec<[f64; 3]>,
    /// Best certified bounds.
    pub bounds: Bounds,
    /// The scaled feasible dual point behind `bounds.lower`.
    pub dual: Vec<f64>,
    /// Final status.
    pub status: Status,
    /// R-FISTA iterations run.
    pub iterations: usize,
    /// Exact-finish rounds run.
    pub polish_rounds: usize,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Solves the gated program to a certified relative gap; `on_iter` sees every iteration and
/// every finish round and can stop the run.
pub fn solve_gated(
    problem: GatedProblem,
    settings: &GatedSettings,
    mut on_iter: impl FnMut(&Iterate) -> ControlFlow<()>,
) -> Result<GatedSolution> {
    let mut d = GatedDriver::new(problem, settings)?;
    while let Some(it) = d.step() {
        if on_iter(&it).is_break() && !d.is_done() {
            d.stop();
        }
    }
    Ok(d.finish())
}

/// [`solve_gated`] one step at a time.
pub struct GatedDriver {
    pr: GatedProblem,
    fista: RFista,
    settings: GatedSettings,
    best: Best,
    /// The point of the latest step (the R-FISTA iterate or the latest finish round's).
    current: Vec<[f64; 3]>,
    stage: Stage,
    status: Status,
    iterations: usize,
    polish_rounds: usize,
    t0: Instant,
}

impl GatedDriver {
    /// Sets up R-FISTA at `u = 0`.
    pub fn new(problem: GatedProblem, settings: &GatedSettings) -> Result<Self> {
        settings.validate()?;
        let fista = RFista::new(&problem);
        let zero = vec![[0.0; 3]; problem.p()];
        Ok(Self {
            fista,
            settings: *settings,
            best: Best {
                bounds: Bounds::unknown(),
                u: zero.clone(),
                dual: Vec::new(),
            },
            current: zero,
            stage: Stage::Fista,
            status: Status::Running,
            iterations: 0,
            polish_rounds: 0,
            t0: Instant::now(),
            pr: problem,
        })
    }

    /// The problem.
    pub fn problem(&self) -> &GatedProblem {
        &self.pr
    }

    /// Best certified bounds so far.
    pub fn bounds(&self) -> Bounds {
        self.best.bounds
    }

    /// The point behind the best upper bound.
    pub fn solution(&self) -> &[[f64; 3]] {
        &self.best.u
    }

    /// The point of the latest step.
    pub fn current(&self) -> &[[f64; 3]] {
        &self.current
    }

    /// The scaled feasible dual point behind the best lower bound (empty before the first check).
    pub fn certifying_dual(&self) -> &[f64] {
        &self.best.dual
    }

    /// Running, or the final status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether the run has ended.
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Ends the run (status `Stopped`).
    pub fn stop(&mut self) {
        if !self.is_done() {
            self.status = Status::Stopped;
            self.stage = Stage::Done;
        }
    }

    /// Changes β and restarts R-FISTA from the current point (a warm-started path); bounds of
    /// the old β are dropped.
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "beta = {beta}: must be a positive finite number"
            )));
        }
        self.pr.beta = beta;
        self.fista = RFista::with_start(&self.pr, self.current.clone());
        self.best = Best {
            bounds: Bounds::unknown(),
            u: self.current.clone(),
            dual: Vec::new(),
        };
        self.status = Status::Running;
        self.stage = Stage::Fista;
        self.iterations = 0;
        self.polish_rounds = 0;
        Ok(())
    }

    fn offer(&mut self, u: &[[f64; 3]], b: Bounds, dual: &[f64]) {
        if b.upper < self.best.bounds.upper {
            self.best.bounds.upper = b.upper;
            self.best.u = u.to_vec();
        }
        self.offer_lower(b.lower, b.certificate, dual);
    }

    fn offer_lower(&mut self, lower: f64, certificate: f64, dual: &[f64]) {
        if lower > self.best.bounds.lower {
            self.best.bounds.lower = lower;
            self.best.bounds.certificate = certificate;
            self.best.dual = dual.to_vec();
        }
    }

    fn iterate(&self, phase: Phase, objective: f64, seconds: f64) -> Iterate {
        let b = self.best.bounds;
        Iterate {
            iter: self.iterations + self.polish_rounds,
            phase,
            upper: b.upper,
            lower: b.lower,
            rel_gap: b.rel_gap(),
            certificate: b.certificate,
            convex_objective: objective,
            checked_at: self.iterations + self.polish_rounds,
            primal_residual: 0.0,
            dual_residual: 0.0,
            rho: f64::NAN,
            seconds,
            active_blocks: self.current.iter().filter(|b| **b != [0.0; 3]).count(),
            status: if self.is_done() {
                self.status
            } else {
                Status::Running
            },
        }
    }

    /// One R-FISTA iteration or one finish round; `None` once the run is over.
    pub fn step(&mut self) -> Option<Iterate> {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Done => None,
            Stage::Fista => {
                self.stage = Stage::Fista;
                Some(self.fista_step())
            }
            Stage::Polish { active, idle } => Some(self.polish_round(active, idle)),
        }
    }

    fn fista_step(&mut self) -> Iterate {
        let t = Instant::now();
        self.iterations += 1;
        if !self.fista.step(&self.pr) {
            self.status = Status::Diverged;
            self.stage = Stage::Done;
            return self.iterate(Phase::Fista, f64::NAN, t.elapsed().as_secs_f64());
        }
        self.current = self.fista.iterate().to_vec();
        let s = self.settings;
        let check = self.iterations == 1 || self.iterations.is_multiple_of(s.check_every);
        let mut objective = f64::NAN;
        if check {
            let (b, d) = self.pr.certify(&self.current, 0);
            objective = b.upper;
            let u = self.current.clone();
            self.offer(&u, b, &d.v);
        }
        let gap = self.best.bounds.rel_gap();
        if gap <= s.tol {
            self.status = Status::Converged;
            self.stage = Stage::Done;
        } else if s.polish && (self.iterations >= s.polish_after || (check && gap <= s.polish_gap))
        {
            self.start_polish();
        } else if self.iterations >= s.max_iter {
            self.status = Status::MaxIter;
            self.stage = Stage::Done;
        }
        let mut it = self.iterate(Phase::Fista, objective, t.elapsed().as_secs_f64());
        if !check {
            it.checked_at = self.iterations - self.iterations % s.check_every;
        }
        it
    }

    fn start_polish(&mut self) {
        // The support of the best point, largest blocks first, at most n + 10 of them (an
        // optimum with at most n + 1 non-zero blocks exists).
        let u = &self.best.u;
        let max = u.iter().map(norm3).fold(0.0, f64::max);
        let mut active: Vec<usize> = (0..u.len())
            .filter(|&i| max > 0.0 && norm3(&u[i]) > 1e-6 * max)
            .collect();
        active.sort_by(|&a, &b| norm3(&u[b]).total_cmp(&norm3(&u[a])));
        active.truncate(self.pr.n() + 10);
        if active.is_empty() {
            // u = 0 so far: start from the gates most correlated with the residual.
            let (_, d) = self.pr.certify(u, self.settings.columns_per_round);
            active = d.top.iter().map(|&(_, i)| i).collect();
        }
        self.status = Status::Stalled;
        let idle = vec![0; active.len()];
        self.stage = Stage::Polish { active, idle };
    }

    fn polish_round(&mut self, mut active: Vec<usize>, mut idle: Vec<u32>) -> Iterate {
        let t = Instant::now();
        let s = self.settings;
        self.polish_rounds += 1;
        let n = self.pr.n();
        let blocks: Vec<RestrictedBlock> = active
            .iter()
            .map(|&i| RestrictedBlock {
                sign: 1.0,
                on: (0..n).filter(|&j| self.pr.d[i * n + j] != 0).collect(),
                cone: Vec::new(),
            })
            .collect();
        let res = match polish_blocks(&self.pr.x, &self.pr.y, self.pr.loss, self.pr.beta, &blocks) {
            Ok(r) => r,
            Err(_) => {
                // Back to R-FISTA until the tolerance or the limit.
                self.settings.polish = false;
                self.stage = Stage::Fista;
                self.status = Status::Running;
                return self.fista_step();
            }
        };
        let mut full = vec![[0.0; 3]; self.pr.p()];
        for (&i, v) in active.iter().zip(&res.values) {
            full[i] = *v;
        }
        // The interior-point optimum carries tiny blocks (~tolerance): the point without them is
        // offered too.
        let fmax = full.iter().map(norm3).fold(0.0, f64::max);
        let cleaned: Vec<[f64; 3]> = full
            .iter()
            .map(|b| if norm3(b) > 1e-7 * fmax { *b } else { [0.0; 3] })
            .collect();
        let (b, d) = self.pr.certify(&full, 0);
        let (bc, dc) = self.pr.certify(&cleaned, 0);
        if bc.upper <= b.upper + 1e-10 * b.upper.abs().max(1.0) {
            self.current = cleaned.clone();
            self.offer(&cleaned, bc, &dc.v);
            self.offer_lower(b.lower, b.certificate, &d.v);
        } else {
            self.current = full.clone();
            self.offer(&full, b, &d.v);
            self.offer_lower(bc.lower, bc.certificate, &dc.v);
        }
        // The restricted optimum's multipliers: a dual candidate, and the gates it violates.
        let m = self.pr.feasible_dual(res.dual.clone(), s.columns_per_round);
        self.offer_lower(m.lower, m.c_over_beta, &m.v);
        let objective = self.pr.objective(&full);
        if self.best.bounds.rel_gap() <= s.tol {
            self.status = Status::Converged;
            return self.iterate(Phase::Polish, objective, t.elapsed().as_secs_f64());
        }
        let mut added = 0;
        for &(_, i) in &m.top {
            if !active.contains(&i) {
                active.push(i);
                added += 1;
            }
        }
        if added == 0 || self.polish_rounds >= s.max_polish_rounds {
            self.status = Status::Stalled;
            return self.iterate(Phase::Polish, objective, t.elapsed().as_secs_f64());
        }
        // Drop gates the restricted optimum has not used for 3 rounds in a row.
        let vmax = res.values.iter().map(norm3).fold(0.0, f64::max);
        for (a, v) in idle.iter_mut().zip(&res.values) {
            *a = if norm3(v) > 1e-7 * vmax { 0 } else { *a + 1 };
        }
        idle.resize(active.len(), 0);
        let mut keep = idle.iter().map(|&a| a < 3);
        active.retain(|_| keep.next().unwrap_or(true));
        idle.retain(|&a| a < 3);
        self.stage = Stage::Polish { active, idle };
        self.iterate(Phase::Polish, objective, t.elapsed().as_secs_f64())
    }

    /// The result (any time: the best so far).
    pub fn finish(self) -> GatedSolution {
        let status = match self.status {
            Status::Running => Status::MaxIter,
            st => st,
        };
        GatedSolution {
            u: self.best.u,
            bounds: self.best.bounds,
            dual: self.best.dual,
            status,
            iterations: self.iterations,
            polish_rounds: self.polish_rounds,
            seconds: self.t0.elapsed().as_secs_f64(),
        }
    }
}
