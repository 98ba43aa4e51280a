//! The certified driver for the convex ReLU program: ADMM iterations (what the app shows), then
//! an exact polish on the active blocks with column generation, stopping on the certified
//! relative gap `(upper − lower)/max(1, |upper|) ≤ tol` (docs/math.md#certified-gap).
//!
//! Every bound is valid on its own: an upper bound is the objective of a real network, a lower
//! bound the dual objective at a scaled feasible dual point, certified over *all* regions. The
//! driver keeps the best of each, so whatever produced a candidate, the certificate proves it.

use std::ops::ControlFlow;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::admm::{Admm, AdmmSettings};
use super::auglag::{AlSettings, AugLag};
use super::polish::{BlockId, polish};
use super::progress::{Iterate, Phase, Status};
use super::working_set::{WorkingSetSettings, WorkingSetSolver};
use crate::certify::{Bounds, certify_network_dual, feasible_dual};
use crate::convex::relu::{BlockVec, ReluProblem};
use crate::error::{Error, Result};
use crate::model::ReluNetwork;
use crate::vec3::norm3;

/// The first-order method a [`Driver`] runs before the exact polish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// ADMM with the Woodbury u-update (docs/math.md#admm).
    #[default]
    Admm,
    /// Augmented Lagrangian with R-FISTA inside (docs/math.md#augmented-lagrangian).
    Al,
    /// No first-order phase: exact polish rounds with column generation from the start, the
    /// working set seeded by the certificate at zero (docs/math.md#working-set). Memory grows
    /// with the working set, not with the number of regions.
    WorkingSet,
}

impl Method {
    /// The command-line name (`admm`, `al`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Admm => "admm",
            Method::Al => "al",
            Method::WorkingSet => "working-set",
        }
    }

    /// Parses `--solver admm|al`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "admm" => Ok(Method::Admm),
            "al" => Ok(Method::Al),
            "working-set" => Ok(Method::WorkingSet),
            _ => Err(Error::InvalidSetting(format!(
                "--solver {s:?}: expected admm, al or working-set"
            ))),
        }
    }
}

/// Settings of [`solve_relu`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SolveSettings {
    /// The first-order method.
    #[serde(default)]
    pub method: Method,
    /// ADMM settings (its `check_every` also sets the augmented Lagrangian's).
    pub admm: AdmmSettings,
    /// Augmented Lagrangian settings.
    #[serde(default)]
    pub al: AlSettings,
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// Maximum ADMM iterations.
    pub max_iter: usize,
    /// Run the exact polish (with column generation) after ADMM.
    pub polish: bool,
    /// Start the polish after this many ADMM iterations at the latest.
    pub polish_after: usize,
    /// … or as soon as the certified relative gap is below this.
    pub polish_gap: f64,
    /// Maximum polish / column-generation rounds.
    pub max_polish_rounds: usize,
    /// Most violated regions added per column-generation round.
    pub columns_per_round: usize,
}

impl Default for SolveSettings {
    fn default() -> Self {
        Self {
            method: Method::Admm,
            admm: AdmmSettings::default(),
            al: AlSettings::default(),
            tol: 1e-6,
            max_iter: 10_000,
            polish: true,
            polish_after: 10,
            polish_gap: 1e-3,
            max_polish_rounds: 100,
            columns_per_round: 40,
        }
    }
}

impl SolveSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<()> {
        self.admm.validate()?;
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "tol = {}: must be > 0",
                self.tol
            )));
        }
        if self.max_iter == 0 {
            return Err(Error::InvalidSetting("max_iter must be ≥ 1".into()));
        }
        Ok(())
    }
}

/// Outcome of [`solve_relu`].
#[derive(Debug, Clone)]
pub struct Solution {
    /// The best network found (its objective is `bounds.upper`).
    pub network: ReluNetwork,
    /// Convex blocks of that network's solution (`2P`, training-pattern order).
    pub blocks: BlockVec,
    /// Best certified bounds.
    pub bounds: Bounds,
    /// Objective of (C) at `blocks`.
    pub convex_objective: f64,
    /// Final status.
    pub status: Status,
    /// First-order iterations run (ADMM or augmented Lagrangian, per `SolveSettings::method`).
    pub admm_iterations: usize,
    /// Polish rounds run.
    pub polish_rounds: usize,
    /// Wall time in seconds.
    pub seconds: f64,
}

struct Best {
    upper: f64,
    lower: f64,
    certificate: f64,
    /// The scaled (feasible) dual point behind `lower`.
    dual: Vec<f64>,
    network: ReluNetwork,
    blocks: BlockVec,
}

impl Best {
    fn offer_upper(&mut self, upper: f64, net: &ReluNetwork, blocks: &BlockVec) {
        if upper < self.upper {
            self.upper = upper;
            self.network = net.clone();
            self.blocks = blocks.clone();
        }
    }
    fn offer_lower(&mut self, lower: f64, certificate: f64, dual: &[f64]) {
        if lower > self.lower {
            self.lower = lower;
            self.certificate = certificate;
            self.dual = dual.to_vec();
        }
    }
    fn bounds(&self) -> Bounds {
        Bounds {
            upper: self.upper,
            lower: self.lower,
            certificate: self.certificate,
        }
    }
}

/// Certified bounds of a network (as [`ReluProblem::certify`]) and the scaled dual point behind
/// its lower bound.
fn certify_with_dual(pr: &ReluProblem, net: &ReluNetwork) -> (Bounds, Vec<f64>) {
    let (b, d) = certify_network_dual(&pr.x, &pr.y, &pr.exact, pr.loss, pr.beta, net);
    (b, d.v)
}

/// Solves (C) to a certified relative gap. `on_iter` sees every ADMM iteration and every polish
/// round; returning `ControlFlow::Break(())` stops the run (status `Stopped`).
pub fn solve_relu(
    problem: ReluProblem,
    settings: &SolveSettings,
    mut on_iter: impl FnMut(&Iterate) -> ControlFlow<()>,
) -> Result<Solution> {
    let mut driver = Driver::new(problem, settings)?;
    while let Some(it) = driver.step() {
        if on_iter(&it).is_break() && !driver.is_done() {
            driver.stop();
        }
    }
    Ok(driver.finish())
}

/// The first-order solver a [`Driver`] steps (what the app animates) before the exact polish:
/// ADMM or the augmented Lagrangian. Both certify their iterates the same way.
pub trait FirstOrder: Send {
    /// One iteration (with certified bounds at check iterations).
    fn step(&mut self) -> Iterate;
    /// The problem.
    fn problem(&self) -> &ReluProblem;
    /// The penalty in force (ADMM's ρ, the augmented Lagrangian's δ).
    fn rho(&self) -> f64;
    /// The recovered network's own certified bounds and maximiser if checked at `iter`.
    fn own_check(&self, iter: usize) -> Option<(Bounds, [f64; 3])>;
    /// The network recovered from the current iterate.
    fn network(&self) -> ReluNetwork;
    /// The scaled dual point behind the last check's lower bound.
    fn certifying_dual(&self) -> &[f64];
    /// The current (sparse) blocks.
    fn blocks(&self) -> &BlockVec;
    /// Changes β keeping the iterate.
    fn set_beta(&mut self, beta: f64) -> Result<()>;
    /// Iterations done.
    fn iterations(&self) -> usize;
}

macro_rules! first_order {
    ($t:ty, $rho:ident) => {
        impl FirstOrder for $t {
            fn step(&mut self) -> Iterate {
                <$t>::step(self)
            }
            fn problem(&self) -> &ReluProblem {
                <$t>::problem(self)
            }
            fn rho(&self) -> f64 {
                <$t>::$rho(self)
            }
            fn own_check(&self, iter: usize) -> Option<(Bounds, [f64; 3])> {
                <$t>::own_check(self, iter)
            }
            fn network(&self) -> ReluNetwork {
                <$t>::network(self)
            }
            fn certifying_dual(&self) -> &[f64] {
                <$t>::certifying_dual(self)
            }
            fn blocks(&self) -> &BlockVec {
                <$t>::blocks(self)
            }
            fn set_beta(&mut self, beta: f64) -> Result<()> {
                <$t>::set_beta(self, beta)
            }
            fn iterations(&self) -> usize {
                <$t>::iterations(self)
            }
        }
    };
}
first_order!(Admm, rho);
first_order!(AugLag, delta);

/// The "first-order phase" of [`Method::WorkingSet`]: none. It certifies the zero point once, so
/// the driver starts the exact rounds at once with the working set its dual point prices.
struct NoFirstOrder {
    problem: ReluProblem,
    zero: BlockVec,
    certifying: Vec<f64>,
    bounds: Option<Bounds>,
    iter: usize,
}

impl NoFirstOrder {
    fn new(problem: ReluProblem) -> Self {
        Self {
            zero: vec![[0.0; 3]; 2 * problem.p()],
            problem,
            certifying: Vec::new(),
            bounds: None,
            iter: 0,
        }
    }
}

impl FirstOrder for NoFirstOrder {
    fn step(&mut self) -> Iterate {
        let t0 = Instant::now();
        self.iter += 1;
        let pr = &self.problem;
        let hint = pr.loss.dual_point(&vec![0.0; pr.n()], &pr.y);
        let (b, cobj, v, _) = pr.certify_iterate(&self.zero, hint);
        self.bounds = Some(b);
        self.certifying = v;
        Iterate {
            iter: self.iter,
            phase: Phase::Polish,
            upper: b.upper,
            lower: b.lower,
            rel_gap: b.rel_gap(),
            certificate: b.certificate,
            convex_objective: cobj,
            checked_at: self.iter,
            primal_residual: 0.0,
            dual_residual: 0.0,
            rho: f64::NAN,
            seconds: t0.elapsed().as_secs_f64(),
            active_blocks: 0,
            status: Status::Running,
        }
    }
    fn problem(&self) -> &ReluProblem {
        &self.problem
    }
    fn rho(&self) -> f64 {
        f64::NAN
    }
    fn own_check(&self, _iter: usize) -> Option<(Bounds, [f64; 3])> {
        None
    }
    fn network(&self) -> ReluNetwork {
        ReluNetwork::default()
    }
    fn certifying_dual(&self) -> &[f64] {
        &self.certifying
    }
    fn blocks(&self) -> &BlockVec {
        &self.zero
    }
    fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.problem = self.problem.with_beta(beta)?;
        self.bounds = None;
        Ok(())
    }
    fn iterations(&self) -> usize {
        self.iter
    }
}

enum Stage {
    Admm,
    Polish {
        active: Vec<BlockId>,
        idle: Vec<u32>,
        facets: Vec<Vec<usize>>,
    },
    /// The exact solver failed: plain ADMM until the tolerance or the limit.
    Fallback,
    /// [`Method::WorkingSet`] over the exact regions: the certificate-driven working-set solver,
    /// one round per step.
    WorkingSet,
    Done,
}

/// [`solve_relu`] one step at a time (what the explorer animates): ADMM iterations, then exact
/// polish rounds with column generation, each returning its [`Iterate`] with the best certified
/// bounds so far.
pub struct Driver {
    fo: Box<dyn FirstOrder>,
    settings: SolveSettings,
    best: Best,
    status: Status,
    stage: Stage,
    /// The working-set solver ([`Method::WorkingSet`] over the exact regions); it survives β
    /// changes (a warm start).
    working_set: Option<Box<WorkingSetSolver>>,
    t0: Instant,
    admm_iterations: usize,
    polish_rounds: usize,
    network: ReluNetwork,
}

impl Driver {
    /// Sets up ADMM on `problem`.
    pub fn new(problem: ReluProblem, settings: &SolveSettings) -> Result<Self> {
        settings.validate()?;
        let fo: Box<dyn FirstOrder> = match settings.method {
            Method::Admm => Box::new(Admm::new(problem, settings.admm)?),
            Method::Al => Box::new(AugLag::new(
                problem,
                AlSettings {
                    check_every: settings.admm.check_every,
                    ..settings.al
                },
            )?),
            Method::WorkingSet => Box::new(NoFirstOrder::new(problem)),
        };
        // Without a first-order phase the rounds start after the one certification at zero.
        let mut settings = *settings;
        if settings.method == Method::WorkingSet {
            settings.polish_after = 1;
        }
        let settings = &settings;
        let p = fo.problem().p();
        let working_set = if settings.method == Method::WorkingSet && fo.problem().is_exact {
            let pr = fo.problem();
            let ws = WorkingSetSolver::new(
                pr.x.clone(),
                pr.y.clone(),
                pr.loss,
                pr.beta,
                WorkingSetSettings {
                    tol: settings.tol,
                    max_rounds: settings.max_polish_rounds,
                    columns_per_round: settings.columns_per_round,
                    ..WorkingSetSettings::default()
                },
            )?;
            Some(Box::new(ws))
        } else {
            None
        };
        let stage = if working_set.is_some() {
            Stage::WorkingSet
        } else {
            Stage::Admm
        };
        Ok(Self {
            fo,
            settings: *settings,
            best: Best {
                upper: f64::INFINITY,
                lower: f64::NEG_INFINITY,
                certificate: f64::NAN,
                dual: Vec::new(),
                network: ReluNetwork::default(),
                blocks: vec![[0.0; 3]; 2 * p],
            },
            status: Status::Running,
            stage,
            working_set,
            t0: Instant::now(),
            admm_iterations: 0,
            polish_rounds: 0,
            network: ReluNetwork::default(),
        })
    }

    /// The problem.
    pub fn problem(&self) -> &ReluProblem {
        self.fo.problem()
    }

    /// The ADMM penalty ρ.
    pub fn rho(&self) -> f64 {
        self.fo.rho()
    }

    /// Whether the run has ended (further [`Driver::step`]s return `None`).
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The shown network's own certified bounds and certificate maximiser when they were computed
    /// at the last step (ADMM checks it at every check iteration).
    pub fn network_check(&self) -> Option<(Bounds, [f64; 3])> {
        match self.stage {
            Stage::Admm | Stage::Fallback => self.fo.own_check(self.admm_iterations),
            _ => None,
        }
    }

    /// The working-set solver ([`Method::WorkingSet`] over the exact regions).
    pub fn working_set(&self) -> Option<&WorkingSetSolver> {
        self.working_set.as_deref()
    }

    /// The scaled (feasible) dual point behind the best lower bound so far: the point that
    /// certifies it (empty before the first check).
    pub fn certifying_dual(&self) -> &[f64] {
        &self.best.dual
    }

    /// Best certified bounds so far.
    pub fn bounds(&self) -> Bounds {
        self.best.bounds()
    }

    /// The network of the latest step: the ADMM iterate's, or the latest polish round's.
    pub fn network(&self) -> ReluNetwork {
        match self.stage {
            Stage::Admm | Stage::Fallback => self.fo.network(),
            _ => self.network.clone(),
        }
    }

    /// Ends the run (status `Stopped`).
    pub fn stop(&mut self) {
        if !self.is_done() {
            self.status = Status::Stopped;
            self.finish_stage();
        }
    }

    /// Changes β and restarts from the current ADMM iterate (a warm-started regularisation
    /// path); bounds of the old β are dropped.
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.fo.set_beta(beta)?;
        if let Some(ws) = self.working_set.as_mut() {
            ws.set_beta(beta)?;
        }
        self.best.upper = f64::INFINITY;
        self.best.lower = f64::NEG_INFINITY;
        self.best.certificate = f64::NAN;
        self.best.dual.clear();
        self.status = Status::Running;
        self.stage = if self.working_set.is_some() {
            Stage::WorkingSet
        } else {
            Stage::Admm
        };
        Ok(())
    }

    fn finish_stage(&mut self) {
        self.leave_first_order();
        self.stage = Stage::Done;
    }

    /// Leaving the first-order stage: its last network stays the shown one (until a polish
    /// round has its own), so the step that ends the stage does not show an empty network.
    fn leave_first_order(&mut self) {
        if matches!(self.stage, Stage::Admm | Stage::Fallback) {
            self.admm_iterations = self.fo.iterations();
            self.network = self.fo.network();
        }
    }

    /// One ADMM iteration or one polish round; `None` once the run is over.
    pub fn step(&mut self) -> Option<Iterate> {
        match self.stage {
            Stage::Done => None,
            Stage::Admm | Stage::Fallback => Some(self.admm_step()),
            Stage::WorkingSet => self.working_set_step(),
            Stage::Polish { .. } => {
                let Stage::Polish {
                    active,
                    idle,
                    facets,
                } = std::mem::replace(&mut self.stage, Stage::Done)
                else {
                    return None;
                };
                Some(self.polish_round(active, idle, facets))
            }
        }
    }

    fn working_set_step(&mut self) -> Option<Iterate> {
        let ws = self.working_set.as_mut()?;
        let it = ws.step()?;
        let net = ws.network().clone();
        let (b, dual, status, done) = (
            ws.bounds(),
            ws.certifying_dual().to_vec(),
            ws.status(),
            ws.is_done(),
        );
        self.polish_rounds += 1;
        if b.upper < self.best.upper {
            // The network's own blocks of (C) (the converse map; exact regions, so it succeeds).
            if let Ok(blocks) = self.fo.problem().from_network(&net) {
                self.best.offer_upper(b.upper, &net, &blocks);
            }
        }
        self.best.offer_lower(b.lower, b.certificate, &dual);
        self.network = net;
        self.status = status;
        if done {
            self.stage = Stage::Done;
        }
        Some(it)
    }

    fn admm_step(&mut self) -> Iterate {
        let fallback = matches!(self.stage, Stage::Fallback);
        let mut it = self.fo.step();
        if it.status == Status::Diverged {
            self.status = Status::Diverged;
            self.finish_stage();
            return it;
        }
        if it.checked_at == it.iter {
            let net = self.fo.network();
            self.best.offer_upper(it.upper, &net, self.fo.blocks());
            let dual = self.fo.certifying_dual().to_vec();
            self.best.offer_lower(it.lower, it.certificate, &dual);
        }
        let s = &self.settings;
        if self.best.bounds().rel_gap() <= s.tol {
            self.status = Status::Converged;
            it.status = Status::Converged;
            self.finish_stage();
        } else if !fallback
            && s.polish
            && (it.iter >= s.polish_after
                || (it.checked_at == it.iter && it.rel_gap <= s.polish_gap))
        {
            self.start_polish();
        } else if it.iter >= s.max_iter {
            self.status = Status::MaxIter;
            self.finish_stage();
        }
        it
    }

    fn start_polish(&mut self) {
        self.leave_first_order();
        self.status = Status::Stalled;
        let pr = self.fo.problem();
        let p = pr.p();
        // Active blocks of the ADMM iterate (largest first, at most n + 10).
        let blocks = self.fo.blocks();
        let max = blocks.iter().map(norm3).fold(0.0, f64::max);
        let mut order: Vec<usize> = (0..2 * p)
            .filter(|&k| max > 0.0 && norm3(&blocks[k]) > 1e-6 * max)
            .collect();
        order.sort_by(|&a, &b| norm3(&blocks[b]).total_cmp(&norm3(&blocks[a])));
        order.truncate(pr.n() + 10);
        let mut active: Vec<BlockId> = order
            .into_iter()
            .map(|k| (k % p, if k < p { 1.0 } else { -1.0 }))
            .collect();
        if active.is_empty() {
            // Nothing active yet (the working-set method): the regions the certifying dual
            // point violates most.
            let dual = self.fo.certifying_dual().to_vec();
            let v = if dual.is_empty() {
                pr.loss.dual_point(&vec![0.0; pr.n()], &pr.y)
            } else {
                dual
            };
            let cert =
                crate::certify::certificate(&pr.x, &pr.exact, &v, self.settings.columns_per_round);
            for c in &cert.top {
                if let Some(pi) = pr.patterns.find(&c.pattern)
                    && !active.contains(&(pi, c.sign))
                {
                    active.push((pi, c.sign));
                }
            }
        }
        let facets = crate::geometry::facets(&pr.x, &pr.patterns);
        let idle = vec![0; active.len()];
        self.stage = Stage::Polish {
            active,
            idle,
            facets,
        };
    }

    fn polish_round(
        &mut self,
        mut active: Vec<BlockId>,
        mut idle: Vec<u32>,
        facets: Vec<Vec<usize>>,
    ) -> Iterate {
        let t = Instant::now();
        let s = self.settings;
        self.polish_rounds += 1;
        let iter_no = self.admm_iterations + self.polish_rounds;
        let pr = self.fo.problem().clone();
        let p = pr.p();
        let res = match polish(&pr, &active, &facets) {
            Ok(r) => r,
            Err(_) => {
                // Fall back to plain ADMM until the tolerance or the limit.
                self.status = Status::MaxIter;
                self.stage = Stage::Fallback;
                return self.admm_step();
            }
        };
        let mut full = vec![[0.0; 3]; 2 * p];
        for (&(pi, sg), v) in active.iter().zip(&res.values) {
            full[if sg > 0.0 { pi } else { p + pi }] = *v;
        }
        // The interior-point optimum carries tiny blocks (~tolerance); a network without them is
        // offered too, and preferred unless it is measurably worse.
        let fmax = full.iter().map(norm3).fold(0.0, f64::max);
        let cleaned: BlockVec = full
            .iter()
            .map(|b| if norm3(b) > 1e-6 * fmax { *b } else { [0.0; 3] })
            .collect();
        let net_clean = pr.recover(&cleaned);
        let (b_clean, d_clean) = certify_with_dual(&pr, &net_clean);
        let net = pr.recover(&full);
        let (b, d) = certify_with_dual(&pr, &net);
        if b_clean.upper <= b.upper + 1e-10 * b.upper.abs().max(1.0) {
            self.best.offer_upper(b_clean.upper, &net_clean, &cleaned);
            self.network = net_clean;
        } else {
            self.best.offer_upper(b.upper, &net, &full);
            self.network = net;
        }
        self.best.offer_lower(b.lower, b.certificate, &d);
        self.best
            .offer_lower(b_clean.lower, b_clean.certificate, &d_clean);
        let multipliers = feasible_dual(
            &pr.x,
            &pr.y,
            &pr.exact,
            pr.loss,
            pr.beta,
            res.dual.clone(),
            s.columns_per_round,
        );
        self.best
            .offer_lower(multipliers.lower, multipliers.c_over_beta, &multipliers.v);
        let cert_top = multipliers.certificate;
        let bb = self.best.bounds();
        let converged = bb.rel_gap() <= s.tol;
        let mut it = Iterate {
            iter: iter_no,
            phase: Phase::Polish,
            upper: bb.upper,
            lower: bb.lower,
            rel_gap: bb.rel_gap(),
            certificate: bb.certificate,
            convex_objective: pr.convex_objective(&full),
            checked_at: iter_no,
            primal_residual: 0.0,
            dual_residual: 0.0,
            rho: self.fo.rho(),
            seconds: 0.0,
            active_blocks: active.len(),
            status: Status::Running,
        };
        if converged {
            self.status = Status::Converged;
            it.status = Status::Converged;
            it.seconds = t.elapsed().as_secs_f64();
            return it; // stage stays Done
        }
        // Column generation: add the most violated regions, priced with the restricted
        // problem's own optimal dual (its multipliers).
        let mut added = 0;
        for cand in &cert_top.top {
            if cand.value <= pr.beta * (1.0 + 1e-9) {
                break;
            }
            if let Some(pi) = pr.patterns.find(&cand.pattern) {
                let id = (pi, cand.sign);
                if !active.contains(&id) {
                    active.push(id);
                    added += 1;
                }
            }
        }
        if added == 0 || self.polish_rounds >= s.max_polish_rounds {
            it.seconds = t.elapsed().as_secs_f64();
            return it; // Stalled: stage stays Done
        }
        // Drop blocks the restricted optimum has not used for 3 solves in a row (keeps each
        // solve small; the delay prevents cycling when the dual is degenerate, e.g. hinge).
        let vmax = res.values.iter().map(norm3).fold(0.0, f64::max);
        for (a, v) in idle.iter_mut().zip(&res.values) {
            *a = if norm3(v) > 1e-7 * vmax { 0 } else { *a + 1 };
        }
        idle.resize(active.len(), 0);
        let mut keep = idle.iter().map(|&a| a < 3);
        active.retain(|_| keep.next().unwrap_or(true));
        idle.retain(|&a| a < 3);
        self.stage = Stage::Polish {
            active,
            idle,
            facets,
        };
        it.seconds = t.elapsed().as_secs_f64();
        it
    }

    /// The result (call when [`Driver::step`] returned `None`, or any time to take the best so
    /// far).
    pub fn finish(self) -> Solution {
        let admm_iterations = if matches!(self.stage, Stage::Admm | Stage::Fallback) {
            self.fo.iterations()
        } else {
            self.admm_iterations
        };
        let status = match self.status {
            Status::Running => Status::MaxIter,
            st => st,
        };
        let bounds = self.best.bounds();
        let pr = self.fo.problem();
        Solution {
            convex_objective: pr.convex_objective(&self.best.blocks),
            network: self.best.network,
            blocks: self.best.blocks,
            bounds,
            status,
            admm_iterations,
            polish_rounds: self.polish_rounds,
            seconds: self.t0.elapsed().as_secs_f64(),
        }
    }
}
