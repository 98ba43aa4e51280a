//! The certificate-driven working-set solver of (C) (docs/math.md#working-set): the program
//! restricted to a few regions is solved exactly (interior point on the irredundant facets), every
//! region of the arrangement is priced by the exact certificate sweep of its multipliers, the most
//! violated regions join, long-idle ones leave, until the certified gap is below tolerance.
//!
//! Nothing here lists the `n² − n + 2` regions: candidate regions come out of the sweep with their
//! patterns ([`crate::certify::price`]), their facets from one pass over the cached crossings
//! ([`SweepGeometry::facets_of`]), so memory follows the working set and the `O(n²)` sweep
//! geometry. Every bound is certified over all regions, whatever the working set.
//!
//! The state survives edits: [`WorkingSetSolver::set_data`] and [`WorkingSetSolver::set_beta`]
//! keep the working set (a warm start: after one moved point most of the optimum's regions are
//! still regions, with nearly the same facets).

use std::collections::HashSet;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::polish::{PolishResult, RestrictedBlock, polish_blocks_to};
use super::progress::{Iterate, Phase, Status};
use super::sgd::{Optimizer, SgdSettings, SgdTrainer};
use crate::certify::{Bounds, FeasibleDual, SweepGeometry, feasible_dual_swept};
use crate::decompose::relu::recover_neurons;
use crate::error::{Error, Result};
use crate::geometry::Bitset;
use crate::limits::MAX_SWEPT_POINTS;
use crate::model::{Loss, ReluNetwork};
use crate::vec3::norm3;

/// Widest network trained to seed a cold start (its width is `n` up to this). A seed as wide
/// as the data brings its regions close to the optimum's: spiral n = 1000 needed 13 rounds
/// after a width-1000 seed, 18 after width 500 and 27 after width 200 (the training takes
/// 3.4 s of the 35 s there; docs/math.md#working-set).
const SEED_WIDTH_MAX: usize = 1000;

/// Settings of [`WorkingSetSolver`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorkingSetSettings {
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// Maximum rounds (restricted solve + pricing).
    pub max_rounds: usize,
    /// Most violated regions added per round (at least `n/10`: at n = 1000, 100 a round took
    /// 25 rounds and 105 s where 40 took 27 rounds and 157 s).
    pub columns_per_round: usize,
    /// Rounds a block may stay at zero before it leaves the working set.
    pub idle_rounds: u32,
    /// Violated regions the pricing lists each round, best first; the ones added are chosen
    /// among them for diversity ([`WorkingSetSettings::diversity_cos`]).
    pub candidate_pool: usize,
    /// A candidate is skipped when its direction is within this cosine of a better one already
    /// chosen (same sign): the best regions crowd around one peak of the certificate, and one
    /// region per peak per round halves the rounds (spiral n = 200: 15 → 7).
    pub diversity_cos: f64,
    /// Full-batch Adam epochs of the network whose neurons' regions seed a cold start (0: seed
    /// with the regions the dual point at zero violates most). A trained network's regions are
    /// close to the optimum's: on spirals it halves the rounds.
    pub seed_epochs: usize,
}

impl Default for WorkingSetSettings {
    fn default() -> Self {
        Self {
            tol: 1e-6,
            max_rounds: 200,
            columns_per_round: 40,
            idle_rounds: 3,
            candidate_pool: 2000,
            diversity_cos: 0.99,
            seed_epochs: 2000,
        }
    }
}

/// One block of the working set: a region's pattern with an output sign, its cone's irredundant
/// facets and its value at the last restricted optimum.
#[derive(Debug, Clone)]
pub struct WorkingBlock {
    /// Activation pattern of the region.
    pub pattern: Bitset,
    /// Output sign (+1: a `v` block, −1: a `w` block).
    pub sign: f64,
    /// One point per irredundant facet of the region's cone.
    pub facets: Vec<usize>,
    /// Value at the last restricted optimum.
    pub value: [f64; 3],
    /// Rounds in a row at zero.
    idle: u32,
    fp: u64,
    /// Whether a restricted optimum has used the block.
    used: bool,
}

/// The solver's state. Step it with [`WorkingSetSolver::step`] (one round each).
pub struct WorkingSetSolver {
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
    loss: Loss,
    beta: f64,
    settings: WorkingSetSettings,
    geom: SweepGeometry,
    blocks: Vec<WorkingBlock>,
    index: HashSet<(u64, bool)>,
    upper: f64,
    lower: f64,
    certificate: f64,
    network: ReluNetwork,
    dual: Vec<f64>,
    rounds: usize,
    status: Status,
    /// Solve the restricted programs to full accuracy from now on.
    tight: bool,
    /// Solve the restricted programs with Clarabel only (the dense interior point left a round
    /// with nothing to add above tolerance).
    general_ip: bool,
    /// Blocks that left the working set once: back again, they stay as long as used ones.
    dropped: HashSet<(u64, bool)>,
    /// The run follows an edit (a warm start): its working set is nearly complete, so every
    /// round is solved to full accuracy (a loose round would only cost one more).
    warm: bool,
    added_last: usize,
    /// See [`WorkingSetSolver::entered`].
    entered: Vec<([f64; 3], f64)>,
    /// The data as given while the rounds run on their near-duplicates merged
    /// (docs/math.md#near-duplicates); `None` once the run is on the data as given.
    given: Option<Given>,
}

/// The data as given, with the best bounds certified on them, while the restricted solves run on
/// the data with near-duplicate points merged: a region between two points closer than rounding
/// resolves makes an interior-point solve fail, but any network is a network of the data as given
/// and any dual point is priced on their arrangement, so the bounds are exact for the problem
/// the user posed.
struct Given {
    x: Vec<[f64; 2]>,
    geom: SweepGeometry,
    upper: f64,
    lower: f64,
    certificate: f64,
    network: ReluNetwork,
    dual: Vec<f64>,
}

impl Given {
    fn new(x: Vec<[f64; 2]>, zero_network_objective: f64) -> Self {
        let geom = SweepGeometry::new(&x);
        Self {
            x,
            geom,
            upper: zero_network_objective,
            lower: f64::NEG_INFINITY,
            certificate: f64::NAN,
            network: ReluNetwork::default(),
            dual: Vec::new(),
        }
    }
}

impl WorkingBlock {
    /// The points where the block is on.
    fn on(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.pattern.len()).filter(|&j| self.pattern.get(j))
    }
}

impl WorkingSetSolver {
    /// Sets up the solver on data `(x, y)`; the first round starts from the regions the dual
    /// point at zero (`−∇L(0)`) violates most.
    pub fn new(
        x: Vec<[f64; 2]>,
        y: Vec<f64>,
        loss: Loss,
        beta: f64,
        settings: WorkingSetSettings,
    ) -> Result<Self> {
        check_beta(beta)?;
        check_data(&x, &y, loss)?;
        if !(settings.tol.is_finite() && settings.tol > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "tol = {}: must be > 0",
                settings.tol
            )));
        }
        let merged = crate::data::merge_near_duplicates(&x);
        let given = merged.as_ref().map(|_| x.clone());
        let x = merged.unwrap_or(x);
        let geom = SweepGeometry::new(&x);
        let mut s = Self {
            x,
            y,
            loss,
            beta,
            settings,
            geom,
            blocks: Vec::new(),
            index: HashSet::new(),
            upper: f64::INFINITY,
            lower: f64::NEG_INFINITY,
            certificate: f64::NAN,
            network: ReluNetwork::default(),
            dual: Vec::new(),
            rounds: 0,
            status: Status::Running,
            tight: false,
            general_ip: false,
            warm: false,
            entered: Vec::new(),
            dropped: HashSet::new(),
            added_last: 0,
            given: None,
        };
        s.offer_zero_network();
        s.given = given.map(|x| Given::new(x, s.upper));
        Ok(s)
    }

    /// Adds the regions of a network's neurons (with the signs of their output weights) to the
    /// working set and offers the network as an upper bound: a good guess of the optimum's
    /// regions (a trained network's) saves rounds.
    pub fn seed_with(&mut self, net: &ReluNetwork) {
        let cands = net
            .neurons
            .iter()
            .filter(|nr| usable(nr))
            .map(|nr| {
                (
                    crate::geometry::pattern_of(&self.x, &nr.u),
                    nr.alpha.signum(),
                )
            })
            .collect();
        self.add_blocks(cands);
        self.offer_network(net.clone());
    }

    /// The loss.
    pub fn loss(&self) -> Loss {
        self.loss
    }

    /// Changes the certified-gap tolerance (for the next run).
    pub fn set_tol(&mut self, tol: f64) -> Result<()> {
        if !(tol.is_finite() && tol > 0.0) {
            return Err(Error::InvalidSetting(format!("tol = {tol}: must be > 0")));
        }
        self.settings.tol = tol;
        if self.status == Status::Converged && self.own_bounds().rel_gap() > tol {
            self.status = Status::Running; // continue to the tighter tolerance
        }
        Ok(())
    }

    /// Changes β keeping the working set (a warm start); the bounds of the old β are dropped.
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        check_beta(beta)?;
        if beta == self.beta {
            return Ok(()); // the same problem: its bounds stand
        }
        self.beta = beta;
        self.restart();
        if let Some(g) = self.given.take() {
            self.given = Some(Given::new(g.x, self.upper));
        }
        Ok(())
    }

    /// Replaces the data (a point moved, was added or removed) keeping the working set: every
    /// block whose pattern (extended with the new points' sides at its last value) is still a
    /// region stays, with its new facets.
    pub fn set_data(&mut self, x: Vec<[f64; 2]>, y: Vec<f64>) -> Result<()> {
        check_data(&x, &y, self.loss)?;
        if x == self.x() && y == self.y {
            return Ok(()); // the same problem: its bounds stand
        }
        match crate::data::merge_near_duplicates(&x) {
            Some(merged) => {
                self.move_to(merged, y);
                self.given = Some(Given::new(x, self.upper));
                // Merged data equal to the previous run's leave its state: run its end again
                // so the switch to the data as given happens.
                if self.status != Status::Running {
                    self.status = Status::Running;
                    self.tight = true;
                }
            }
            None => {
                self.given = None;
                self.move_to(x, y);
            }
        }
        Ok(())
    }

    /// The warm start of [`Self::set_data`] on the data the rounds run on.
    fn move_to(&mut self, x: Vec<[f64; 2]>, y: Vec<f64>) {
        if x == self.x && y == self.y {
            return;
        }
        let geom = SweepGeometry::new(&x);
        let old = std::mem::take(&mut self.blocks);
        let old_dual = std::mem::take(&mut self.dual);
        self.x = x;
        self.y = y;
        self.geom = geom;
        self.index.clear();
        // A block's region on the new data: the pattern of its last value (a direction inside
        // the old region), which is a region of the new arrangement by the strict rule.
        // A value on a facet of its cone (a point's line through it) belongs to the regions on
        // both sides of that line: both join.
        let mut patterns: Vec<(Bitset, f64, [f64; 3])> = Vec::new();
        let mut across: Vec<(Bitset, f64)> = Vec::new();
        for b in old.iter().filter(|b| norm3(&b.value) > 0.0) {
            let u = b.value;
            let pattern = crate::geometry::pattern_of(&self.x, &u);
            let nu = norm3(&u);
            let ties: Vec<usize> = (0..self.x.len())
                .filter(|&j| {
                    let p = self.x[j];
                    (p[0] * u[0] + p[1] * u[1] + u[2]).abs()
                        <= 1e-6 * nu * (1.0 + p[0].abs() + p[1].abs())
                })
                .collect();
            if !ties.is_empty() {
                let mut other = pattern.clone();
                for &j in &ties {
                    other.set(j, true);
                }
                across.push((other, b.sign));
            }
            patterns.push((pattern, b.sign, u));
        }
        // A block keeps its value (it lies in the new region), so the working set's objective is
        // the old network's on the new data until the first round; two old blocks in one new
        // region add up (the cone is convex).
        let mut values: std::collections::HashMap<(u64, bool), [f64; 3]> = Default::default();
        for (p, sign, u) in &patterns {
            let e = values
                .entry((self.geom.fingerprint(p), *sign > 0.0))
                .or_insert([0.0; 3]);
            for k in 0..3 {
                e[k] += u[k];
            }
        }
        self.add_blocks(patterns.into_iter().map(|(p, s, _)| (p, s)).collect());
        for b in self.blocks.iter_mut() {
            if let Some(u) = values.get(&(b.fp, b.sign > 0.0)) {
                b.value = *u;
            }
        }
        self.add_blocks_checked(across, true);
        self.restart();
        // The previous certifying dual point, priced on the new data, is a lower bound at once,
        // and its most violated regions are where the edit moved the optimum.
        if old_dual.len() == self.x.len() {
            let s = self.settings;
            let d = self.price(old_dual, s.candidate_pool.max(self.columns()));
            self.offer_lower(&d);
            let cands = diverse(
                &d.certificate.top,
                self.beta,
                self.columns(),
                s.diversity_cos,
            )
            .into_iter()
            .map(|c| (c.pattern, c.sign))
            .collect();
            self.add_blocks(cands);
        }
    }

    fn restart(&mut self) {
        self.upper = f64::INFINITY;
        self.lower = f64::NEG_INFINITY;
        self.certificate = f64::NAN;
        self.dual.clear();
        self.status = Status::Running;
        self.tight = false;
        self.general_ip = false;
        self.dropped.clear();
        self.warm = !self.blocks.is_empty();
        self.rounds = 0;
        self.network = ReluNetwork::default();
        self.offer_zero_network();
    }

    /// Best certified bounds so far (on the data as given).
    pub fn bounds(&self) -> Bounds {
        match &self.given {
            Some(g) => Bounds {
                upper: g.upper,
                lower: g.lower,
                certificate: g.certificate,
            },
            None => self.own_bounds(),
        }
    }

    /// The bounds on the data the rounds run on.
    fn own_bounds(&self) -> Bounds {
        Bounds {
            upper: self.upper,
            lower: self.lower,
            certificate: self.certificate,
        }
    }

    /// The best network so far (its objective is the upper bound).
    pub fn network(&self) -> &ReluNetwork {
        match &self.given {
            Some(g) => &g.network,
            None => &self.network,
        }
    }

    /// The scaled dual point behind the best lower bound.
    pub fn certifying_dual(&self) -> &[f64] {
        match &self.given {
            Some(g) => &g.dual,
            None => &self.dual,
        }
    }

    /// Whether the rounds run on data with near-duplicate points merged (the bounds are still
    /// certified on the data as given; docs/math.md#near-duplicates).
    pub fn merged_near_duplicates(&self) -> bool {
        self.given.is_some()
    }

    /// The working set.
    pub fn blocks(&self) -> &[WorkingBlock] {
        &self.blocks
    }

    /// Rounds run since the last (re)start.
    pub fn rounds(&self) -> usize {
        self.rounds
    }

    /// The number of regions of the arrangement (counted by the sweep, not listed).
    pub fn region_count(&self) -> usize {
        match &self.given {
            Some(g) => g.geom.region_count(),
            None => self.geom.region_count(),
        }
    }

    /// The objective of (C) at the working set's last restricted solution (NaN while the rounds
    /// run on merged data: that is another program).
    pub fn convex_objective(&self) -> f64 {
        if self.given.is_some() {
            return f64::NAN;
        }
        let values: Vec<[f64; 3]> = self.blocks.iter().map(|b| b.value).collect();
        let yhat = self.predict_blocks(&values);
        self.loss.total(&yhat, &self.y) + self.beta * values.iter().map(norm3).sum::<f64>()
    }

    /// Current status.
    pub fn status(&self) -> Status {
        if self.given.is_some() {
            Status::Running
        } else {
            self.status
        }
    }

    /// Regions that joined the working set in the last round.
    pub fn added_last(&self) -> usize {
        self.added_last
    }

    /// Where the last round's pricing found regions to add: a direction `u` of each (the
    /// certificate's maximizer in it) with its output sign. The regions across active facets
    /// that also joined have no direction of their own and are not listed.
    pub fn entered(&self) -> &[([f64; 3], f64)] {
        &self.entered
    }

    /// The data (as given).
    pub fn x(&self) -> &[[f64; 2]] {
        match &self.given {
            Some(g) => &g.x,
            None => &self.x,
        }
    }

    /// Whether the run is over (converged, stalled or at the round limit).
    pub fn is_done(&self) -> bool {
        self.status != Status::Running && self.given.is_none()
    }

    /// Offers a network as an upper bound and its residual's scaled dual point as a lower bound.
    fn offer_network(&mut self, net: ReluNetwork) {
        let yhat = net.predict(&self.x);
        let upper = self.loss.total(&yhat, &self.y) + net.weight_decay(self.beta);
        if upper < self.upper {
            self.upper = upper;
            self.network = net;
        }
        let v = self.loss.dual_point(&yhat, &self.y);
        let d = self.price(v, 0);
        self.offer_lower(&d);
    }

    /// The zero network's objective as the first upper bound. Its dual point (`−∇L(0)`) is not
    /// priced here: a cold start's seeding prices it (with candidates), and a warm start prices
    /// the previous certifying point instead; one sweep less per edit.
    fn offer_zero_network(&mut self) {
        let upper = self.loss.total(&vec![0.0; self.x.len()], &self.y);
        if upper < self.upper {
            self.upper = upper;
            self.network = ReluNetwork::default();
        }
    }

    fn offer_lower(&mut self, d: &FeasibleDual) {
        if d.lower > self.lower {
            self.lower = d.lower;
            self.certificate = d.c_over_beta;
            self.dual = d.v.clone();
        }
    }

    fn price(&self, v: Vec<f64>, top_k: usize) -> FeasibleDual {
        feasible_dual_swept(&self.geom, &self.x, &self.y, self.loss, self.beta, v, top_k)
    }

    /// Adds blocks not yet in the working set, with their facets; returns how many joined.
    fn add_blocks(&mut self, cands: Vec<(Bitset, f64)>) -> usize {
        self.add_blocks_checked(cands, false)
    }

    /// [`Self::add_blocks`]; with `speculative`, a pattern the sweep does not find as a region
    /// (a guess such as a flipped neighbour) is left out instead of kept with all `n` rows.
    fn add_blocks_checked(&mut self, cands: Vec<(Bitset, f64)>, speculative: bool) -> usize {
        let mut fresh: Vec<(Bitset, f64, u64)> = Vec::new();
        for (pattern, sign) in cands {
            if pattern.is_zero() {
                continue;
            }
            let fp = self.geom.fingerprint(&pattern);
            if self.index.insert((fp, sign > 0.0)) {
                fresh.push((pattern, sign, fp));
            }
        }
        let pats: Vec<Bitset> = fresh.iter().map(|f| f.0.clone()).collect();
        let facets = self.geom.facets_of(self.x.len(), &pats);
        let n = self.x.len();
        let mut count = 0;
        for ((pattern, sign, fp), mut f) in fresh.into_iter().zip(facets) {
            if f.is_empty() {
                if speculative {
                    self.index.remove(&(fp, sign > 0.0));
                    continue;
                }
                // Not found by the sweep (a region thinner than its rounding): all n rows define
                // the same cone.
                f = (0..n).collect();
            }
            count += 1;
            self.blocks.push(WorkingBlock {
                pattern,
                sign,
                facets: f,
                value: [0.0; 3],
                idle: 0,
                fp,
                used: self.dropped.contains(&(fp, sign > 0.0)),
            });
        }
        count
    }

    /// One round; `None` once the run is over.
    pub fn step(&mut self) -> Option<Iterate> {
        if self.is_done() {
            return None;
        }
        let t = Instant::now();
        self.rounds += 1;
        if self.status != Status::Running {
            return Some(self.leave_merged_data(t));
        }
        let it = self.round(t);
        self.update_given();
        Some(it)
    }

    /// The run on merged data is over: the data as given take over, warm-started from its
    /// working set (its network and certifying dual point are priced on them). The rounds go on
    /// if the certified gap there is above tolerance.
    fn leave_merged_data(&mut self, t: Instant) -> Iterate {
        let Some(g) = self.given.take() else {
            return self.iterate(t, f64::NAN);
        };
        let rounds = self.rounds;
        let net = self.network.clone();
        self.move_to(g.x, self.y.clone());
        self.rounds = rounds;
        self.offer_network(net);
        // The bounds met on the way stand (they are certified on these data).
        if g.upper < self.upper {
            self.upper = g.upper;
            self.network = g.network;
        }
        if g.lower > self.lower {
            self.lower = g.lower;
            self.certificate = g.certificate;
            self.dual = g.dual;
        }
        if self.own_bounds().rel_gap() <= self.settings.tol {
            self.status = Status::Converged;
        }
        self.added_last = 0;
        self.entered.clear();
        let convex_objective = self.convex_objective();
        self.iterate(t, convex_objective)
    }

    /// Prices the round's best network and dual point on the data as given.
    fn update_given(&mut self) {
        let Some(g) = self.given.as_mut() else {
            return;
        };
        let upper = self.network.objective(&g.x, &self.y, self.loss, self.beta);
        if upper < g.upper {
            g.upper = upper;
            g.network = self.network.clone();
        }
        if !self.dual.is_empty() {
            let d = feasible_dual_swept(
                &g.geom,
                &g.x,
                &self.y,
                self.loss,
                self.beta,
                self.dual.clone(),
                0,
            );
            if d.lower > g.lower {
                g.lower = d.lower;
                g.certificate = d.c_over_beta;
                g.dual = d.v;
            }
        }
    }

    /// One round on the data the rounds run on.
    fn round(&mut self, t: Instant) -> Iterate {
        self.entered.clear();
        let s = self.settings;
        if self.blocks.is_empty() {
            self.seed();
            if self.blocks.is_empty() {
                self.status = Status::Stalled;
            }
            return self.iterate(t, f64::NAN);
        }
        // While the gap is large the restricted optimum need not be accurate; blocks at the
        // interior point's tolerance count as zero.
        let ip_tol = if self.tight || self.warm {
            1e-10
        } else {
            (1e-3 * self.own_bounds().rel_gap()).clamp(1e-10, 1e-6)
        };
        let idle_floor = (1e3 * ip_tol).max(1e-7);
        let (values, dual, dense) = match self.exact_solve(ip_tol) {
            Ok((r, dense)) => (r.values, r.dual, dense),
            Err(_) => {
                self.status = Status::Stalled;
                return self.iterate(t, f64::NAN);
            }
        };
        for (b, v) in self.blocks.iter_mut().zip(&values) {
            b.value = *v;
        }
        let vmax = values.iter().map(norm3).fold(0.0, f64::max);
        let signed: Vec<(f64, [f64; 3])> = self.blocks.iter().map(|b| (b.sign, b.value)).collect();
        let convex_objective = {
            let yhat = self.predict_blocks(&values);
            self.loss.total(&yhat, &self.y) + self.beta * values.iter().map(norm3).sum::<f64>()
        };
        // The interior-point optimum carries tiny blocks (~its tolerance): the network without
        // them is offered too.
        let cleaned: Vec<(f64, [f64; 3])> = signed
            .iter()
            .map(|&(sg, b)| (sg, if norm3(&b) > 1e-6 * vmax { b } else { [0.0; 3] }))
            .collect();
        self.offer_network(recover_neurons(&cleaned));
        // The network with the dust: its objective only (its residual is, up to the interior
        // point's accuracy, the cleaned network's and the multipliers', both priced).
        let full = recover_neurons(&signed);
        let upper = full.objective(&self.x, &self.y, self.loss, self.beta);
        if upper < self.upper {
            self.upper = upper;
            self.network = full;
        }
        // The multipliers: a lower bound and the regions to add.
        let mut d = self.price(dual, s.candidate_pool.max(self.columns()));
        self.offer_lower(&d);
        d.certificate.top = diverse(
            &d.certificate.top,
            self.beta,
            self.columns(),
            s.diversity_cos,
        );
        if self.own_bounds().rel_gap() <= s.tol {
            self.status = Status::Converged;
            self.added_last = 0;
            return self.iterate(t, convex_objective);
        }
        let cands: Vec<(Bitset, f64)> = d
            .certificate
            .top
            .iter()
            .filter(|c| c.value > self.beta * (1.0 + 1e-9))
            .map(|c| (c.pattern.clone(), c.sign))
            .collect();
        let neighbours = self.neighbours_across_active_facets(vmax);
        // Drop blocks idle for too long (before adding: they may be priced back in later).
        for b in self.blocks.iter_mut() {
            b.idle = if norm3(&b.value) > idle_floor * vmax {
                b.used = true;
                0
            } else {
                b.idle + 1
            };
        }
        let limit = s.idle_rounds;
        let (index, dropped) = (&mut self.index, &mut self.dropped);
        // A block the restricted optimum has never used leaves after one round at zero (most
        // priced regions are never used: ~60 % on spirals); one that was used, or that comes
        // back after leaving, stays `limit` rounds (the delay prevents cycling when the dual is
        // degenerate, e.g. hinge: the same regions priced in and dropped every other round).
        self.blocks.retain(|b| {
            let keep = b.idle < limit && (b.used || b.idle < 1);
            if !keep {
                index.remove(&(b.fp, b.sign > 0.0));
                dropped.insert((b.fp, b.sign > 0.0));
            }
            keep
        });
        self.entered = self.new_directions(&d.certificate.top);
        self.added_last = self.add_blocks(cands) + self.add_blocks_checked(neighbours, true);
        if self.added_last == 0 && (ip_tol > 1e-10 || dense) {
            // Nothing new to add, but the restricted solve was loose (or the dense interior
            // point's, whose accuracy rounding may cap near 1e-7): its multipliers may misprice
            // regions already in the set. Solve tightly, with Clarabel, before giving up.
            self.tight = true;
            self.general_ip |= dense;
        } else if self.added_last == 0 || self.rounds >= s.max_rounds {
            self.status = Status::Stalled;
        }
        self.iterate(t, convex_objective)
    }

    /// Regions added per round: the setting, at least `n/10`.
    fn columns(&self) -> usize {
        self.settings.columns_per_round.max(self.x.len() / 10)
    }

    /// The directions `u` (with signs) of the violated candidates whose regions are not in the
    /// working set yet: where the pricing says a new neuron would help.
    fn new_directions(&self, top: &[crate::certify::Candidate]) -> Vec<([f64; 3], f64)> {
        top.iter()
            .filter(|c| c.value > self.beta * (1.0 + 1e-9))
            .filter(|c| {
                !self
                    .index
                    .contains(&(self.geom.fingerprint(&c.pattern), c.sign > 0.0))
            })
            .map(|c| (c.u, c.sign))
            .collect()
    }

    /// The first working set: the regions of a network trained by Adam (with weight decay, on
    /// the same loss), or with `seed_epochs = 0` the regions the dual point at zero violates
    /// most. Either way the dual point at zero's best regions join.
    fn seed(&mut self) {
        let s = self.settings;
        let v0 = self.loss.dual_point(&vec![0.0; self.x.len()], &self.y);
        let d = self.price(v0, self.columns());
        self.offer_lower(&d);
        let cands = d
            .certificate
            .top
            .iter()
            .map(|c| (c.pattern.clone(), c.sign))
            .collect();
        self.entered = d.certificate.top.iter().map(|c| (c.u, c.sign)).collect();
        self.added_last = self.add_blocks(cands);
        if s.seed_epochs == 0 {
            return;
        }
        let n = self.x.len();
        let adam = SgdSettings {
            width: n.clamp(1, SEED_WIDTH_MAX),
            epochs: s.seed_epochs,
            lr: 0.01,
            lr_final: 1e-4,
            init_scale: 0.5,
            optimizer: Optimizer::Adam,
            batch_size: n,
            seed: 1,
            ..SgdSettings::default()
        };
        if let Ok(tr) = SgdTrainer::new(self.x.clone(), self.y.clone(), self.loss, self.beta, adam)
        {
            let mut tr = tr.on_two_threads();
            tr.run(|_| std::ops::ControlFlow::Continue(()));
            let net = tr.network();
            let before = self.blocks.len();
            let mut seen = HashSet::new();
            for nr in net.neurons.iter().filter(|nr| usable(nr)) {
                let pattern = crate::geometry::pattern_of(&self.x, &nr.u);
                let key = (self.geom.fingerprint(&pattern), nr.alpha > 0.0);
                if !pattern.is_zero() && !self.index.contains(&key) && seen.insert(key) {
                    self.entered.push((nr.u, nr.alpha.signum()));
                }
            }
            self.seed_with(&net);
            self.added_last += self.blocks.len() - before;
        }
    }

    /// Predictions `Σ_b s_b D_b X̃ u_b` of the working set at `values`.
    fn predict_blocks(&self, values: &[[f64; 3]]) -> Vec<f64> {
        let mut yhat = vec![0.0; self.x.len()];
        for (b, u) in self.blocks.iter().zip(values) {
            if *u == [0.0; 3] {
                continue;
            }
            for j in b.on() {
                let p = self.x[j];
                yhat[j] += b.sign * (p[0] * u[0] + p[1] * u[1] + u[2]);
            }
        }
        yhat
    }

    /// The restricted program by the interior-point method on the irredundant facets.
    /// The restricted program's solution, and whether the dense interior point (squared loss)
    /// gave it: Clarabel where that one fails or after it left a round stuck
    /// (docs/math.md#dense-interior-point).
    fn exact_solve(&self, ip_tol: f64) -> Result<(PolishResult, bool)> {
        let restricted: Vec<RestrictedBlock> = self
            .blocks
            .iter()
            .map(|b| RestrictedBlock {
                sign: b.sign,
                on: b.on().collect(),
                cone: b
                    .facets
                    .iter()
                    .map(|&j| (j, if b.pattern.get(j) { 1.0 } else { -1.0 }))
                    .collect(),
            })
            .collect();
        if self.loss == Loss::Squared
            && !self.general_ip
            && let Ok((r, _)) =
                super::squared_ip::solve(&self.x, &self.y, self.beta, &restricted, ip_tol)
        {
            return Ok((r, true));
        }
        polish_blocks_to(&self.x, &self.y, self.loss, self.beta, &restricted, ip_tol)
            .map(|r| (r, false))
    }

    /// The regions across the active facets of the blocks in use: where a restricted optimum
    /// presses against its cone, the optimum of the full program often continues next door.
    fn neighbours_across_active_facets(&self, vmax: f64) -> Vec<(Bitset, f64)> {
        let mut out = Vec::new();
        // The largest blocks first, at most `columns()` neighbours a round (on degenerate data,
        // e.g. all points on a line, a block lies on every facet).
        let mut order: Vec<&WorkingBlock> = self
            .blocks
            .iter()
            .filter(|b| norm3(&b.value) > 1e-6 * vmax)
            .collect();
        order.sort_by(|a, b| norm3(&b.value).total_cmp(&norm3(&a.value)));
        for b in order {
            if out.len() >= self.columns() {
                break;
            }
            let nu = norm3(&b.value);
            for &j in &b.facets {
                let p = self.x[j];
                let t = p[0] * b.value[0] + p[1] * b.value[1] + b.value[2];
                if t.abs() <= 1e-6 * nu * (1.0 + p[0].abs() + p[1].abs()) {
                    let mut q = b.pattern.clone();
                    let on = !q.get(j);
                    for (k, pk) in self.x.iter().enumerate() {
                        if *pk == p {
                            q.set(k, on);
                        }
                    }
                    out.push((q, b.sign));
                }
            }
        }
        out
    }

    fn iterate(&self, t: Instant, convex_objective: f64) -> Iterate {
        let b = self.bounds();
        let convex_objective = if self.given.is_some() {
            f64::NAN
        } else {
            convex_objective
        };
        Iterate {
            iter: self.rounds,
            phase: Phase::Polish,
            upper: b.upper,
            lower: b.lower,
            rel_gap: b.rel_gap(),
            certificate: b.certificate,
            convex_objective,
            checked_at: self.rounds,
            primal_residual: 0.0,
            dual_residual: 0.0,
            rho: f64::NAN,
            seconds: t.elapsed().as_secs_f64(),
            active_blocks: self.blocks.len(),
            status: self.status(),
        }
    }
}

/// A neuron whose region can seed the working set: a finite, non-zero output weight and finite
/// `u` (a diverged training run seeds nothing).
fn usable(nr: &crate::model::Neuron) -> bool {
    nr.alpha != 0.0 && nr.alpha.is_finite() && nr.u.iter().all(|c| c.is_finite())
}

/// Up to `count` of the violated candidates (value above `β`), best first, none within
/// `max_cos` of a better one of the same sign.
fn diverse(
    top: &[crate::certify::Candidate],
    beta: f64,
    count: usize,
    max_cos: f64,
) -> Vec<crate::certify::Candidate> {
    let mut chosen: Vec<crate::certify::Candidate> = Vec::new();
    for c in top.iter().filter(|c| c.value > beta * (1.0 + 1e-9)) {
        if chosen.len() >= count {
            break;
        }
        if chosen
            .iter()
            .all(|o| o.sign != c.sign || crate::vec3::dot3(&o.u, &c.u) < max_cos)
        {
            chosen.push(c.clone());
        }
    }
    chosen
}

/// Points and targets of equal, non-zero length within [`MAX_SWEPT_POINTS`], finite, with
/// targets the loss accepts.
fn check_data(x: &[[f64; 2]], y: &[f64], loss: Loss) -> Result<()> {
    if x.is_empty() || x.len() != y.len() {
        return Err(Error::InvalidData(format!(
            "{} points and {} targets: need at least one point and one target per point",
            x.len(),
            y.len()
        )));
    }
    if x.len() > MAX_SWEPT_POINTS {
        return Err(Error::InvalidData(format!(
            "{} points: the exact certificate's sweep holds every crossing of the n lines \
             (about 128·n² bytes); at most {MAX_SWEPT_POINTS} points, or sample patterns \
             (--patterns sampled:P)",
            x.len()
        )));
    }
    if x.iter().flatten().chain(y).any(|v| !v.is_finite()) {
        return Err(Error::InvalidData(
            "non-finite coordinates or targets".into(),
        ));
    }
    loss.check_targets(y)
}

fn check_beta(beta: f64) -> Result<()> {
    if beta.is_finite() && beta > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidSetting(format!(
            "beta = {beta}: must be a positive finite number"
        )))
    }
}
