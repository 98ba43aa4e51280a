//! The exact convex program of the path-regularized parallel three-layer ReLU network
//! (docs/math.md#path3), for small data:
//!
//! ```text
//! z[η,E] = Σ_{σ,i} σ D_i X̃ w[η,E,σ,i],   ŷ = Σ_{η,E} η E z[η,E]
//! min ½‖ŷ − y‖² + β Σ ‖w[η,E,σ,i]‖   s.t.  w[η,E,σ,i] ∈ K_i,  (2E − I) z[η,E] ≥ 0
//! ```
//!
//! over all first-layer regions `D_i` and all `2ⁿ − 1` second-layer patterns `E`, signs
//! `η, σ = ±1`. Solved by exact rounds of column generation: the program restricted to a working
//! set of groups `(η, E, σ, i)` is an SOCP (Clarabel); its multipliers `λ = y − ŷ` and `μ[η,E] ≥ 0`
//! (of the second-layer cones) price every group of every block exactly, because for a block
//! `(η, E)` the most violated group is the maximiser of the two-layer certificate
//! `c(g) = max_{‖u‖≤1} |gᵀ(X̃u)₊|` of `g = η E λ + (2E − I) μ` (the exact sweep). A block outside
//! the working set has no multiplier of its own: any `μ ≥ 0` is allowed in the dual, and
//! Polyak subgradient steps on `μ ↦ c(g(μ))` look for one that makes the block feasible.
//! Certified bounds: upper = the objective of a real network (the recovered one); lower = the
//! dual objective `yᵀλ − ½‖λ‖²` with `(λ, μ)` scaled by `min(1, β/B)`, `B` the largest `c(g)` over
//! all blocks.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::Instant;

use clarabel::solver::SupportedConeT;

use super::conic::{Rows, interior_point};
use super::progress::{Iterate, Status};
use crate::certify::sweep::{SweepGeometry, certificate_with};
use crate::certify::{Bounds, CERTIFICATE_SAFETY};
use crate::convex::relu::ReluProblem;
use crate::error::{Error, Result};
use crate::geometry::{Bitset, facets};
use crate::model::Loss;
use crate::model::path3::{Path3Network, Path3Neuron, SubNetwork};
use crate::vec3::norm3;

/// Largest `n` the exact program takes (beyond, the restricted program): it prices `2(2ⁿ − 1)`
/// second-layer blocks every
/// round, and its working set grows with them (measured on spirals at β = 0.1: n = 8 in 1.7 s,
/// n = 10 in 8.8 s, n = 11 in 68 s; docs/math.md#path3).
pub const EXACT_MAX_N: usize = 10;

/// Largest `n` the restricted program accepts (its second-layer cones add `n` rows per block in
/// use; measured on spirals at β = 0.1: n = 30 in 3.7 s, n = 60 in 32 s).
pub const RESTRICTED_MAX_N: usize = 100;

/// Settings of [`Path3Driver`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Path3Settings {
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// Most rounds.
    pub max_rounds: usize,
    /// Most groups added per round (measured at n = 9: 30 a round take 97 rounds and 22 s,
    /// 250 take 16 rounds and 4.7 s, 1000 take 7 rounds and 3.0 s).
    pub groups_per_round: usize,
    /// Polyak steps per violated block when looking for its multiplier.
    pub polyak_steps: usize,
}

impl Default for Path3Settings {
    fn default() -> Self {
        Self {
            tol: 1e-6,
            max_rounds: 200,
            groups_per_round: 1000,
            polyak_steps: 40,
        }
    }
}

/// A second-layer block `(η, E)`: sign and pattern (`E_j` is bit `j`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct BlockId {
    eta: i8,
    mask: Bitset,
}

impl BlockId {
    fn on(&self, j: usize) -> bool {
        self.mask.get(j)
    }
}

/// A group `(η, E, σ, i)`: block, sign of the first-layer neuron, first-layer region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Group {
    block: BlockId,
    sigma: i8,
    region: usize,
}

/// The second-layer block whose dual constraint sets the certified lower bound: after scaling,
/// the two-layer certificate of `g = η E λ + (2E − I) μ` is at most β, with equality unless the
/// bound is the optimum.
#[derive(Debug, Clone, PartialEq)]
pub struct WorstBlock {
    /// Output sign `η`.
    pub eta: f64,
    /// The second-layer pattern `E` (which points the sub-network is on for).
    pub pattern: Vec<bool>,
    /// `g`, scaled with the dual point.
    pub g: Vec<f64>,
}

/// Outcome of [`solve_path3`].
#[derive(Debug, Clone)]
pub struct Path3Solution {
    /// The best network found (its objective is `bounds.upper`).
    pub network: Path3Network,
    /// Certified bounds on the optimum.
    pub bounds: Bounds,
    /// Final status.
    pub status: Status,
    /// Rounds run.
    pub rounds: usize,
    /// Groups in the last working set.
    pub groups: usize,
    /// Whether this is the exact program (then `bounds` is certified; a restricted program has
    /// an upper bound only).
    pub exact: bool,
    /// Wall time.
    pub seconds: f64,
}

/// Solves the exact program to a certified relative gap.
pub fn solve_path3(
    problem: ReluProblem,
    settings: &Path3Settings,
    mut on_iter: impl FnMut(&Iterate) -> ControlFlow<()>,
) -> Result<Path3Solution> {
    let mut d = Path3Driver::new(problem, settings)?;
    while let Some(it) = d.step() {
        if on_iter(&it).is_break() && !d.is_done() {
            d.stop();
        }
    }
    Ok(d.finish())
}

/// Solves the program restricted to the second-layer `blocks` (`(η, E)` pairs): an upper bound
/// only ([`Path3Driver::restricted`]).
pub fn solve_path3_restricted(
    problem: ReluProblem,
    settings: &Path3Settings,
    blocks: &[(f64, Vec<bool>)],
    mut on_iter: impl FnMut(&Iterate) -> ControlFlow<()>,
) -> Result<Path3Solution> {
    let mut d = Path3Driver::restricted(problem, settings, blocks)?;
    while let Some(it) = d.step() {
        if on_iter(&it).is_break() && !d.is_done() {
            d.stop();
        }
    }
    Ok(d.finish())
}

/// [`solve_path3`] one round at a time.
pub struct Path3Driver {
    pr: ReluProblem,
    settings: Path3Settings,
    facets: Vec<Vec<usize>>,
    geom: SweepGeometry,
    /// The blocks a restricted program prices (`None`: all `2(2ⁿ − 1)`, the exact program).
    candidates: Option<Vec<BlockId>>,
    active: Vec<Group>,
    best: Bounds,
    network: Path3Network,
    current: Path3Network,
    dual: Vec<f64>,
    worst: Option<WorstBlock>,
    done: bool,
    status: Status,
    rounds: usize,
    t0: Instant,
}

impl Path3Driver {
    /// The exact program: checks the size (`n ≤ EXACT_MAX_N`, squared loss) and prices the
    /// blocks at `ŷ = 0`.
    pub fn new(problem: ReluProblem, settings: &Path3Settings) -> Result<Self> {
        let n = problem.n();
        if n > EXACT_MAX_N {
            return Err(Error::InvalidData(format!(
                "the exact path-regularized program takes at most {EXACT_MAX_N} points (it \
                 prices all 2ⁿ − 1 second-layer patterns); this dataset has {n}. The command \
                 line's restricted program (solve --model path3 --patterns restricted) takes up \
                 to {RESTRICTED_MAX_N} points, without a certificate"
            )));
        }
        Self::with_candidates(problem, settings, None)
    }

    /// The restricted program over the second-layer blocks `(η, E)` of `blocks` (every
    /// first-layer region is still priced exactly inside them): its optimum is the objective of a
    /// real network, an upper bound on the exact optimum that nothing certifies
    /// (docs/math.md#path3). At most `RESTRICTED_MAX_N` points.
    pub fn restricted(
        problem: ReluProblem,
        settings: &Path3Settings,
        blocks: &[(f64, Vec<bool>)],
    ) -> Result<Self> {
        let n = problem.n();
        if n > RESTRICTED_MAX_N {
            return Err(Error::InvalidData(format!(
                "the restricted path-regularized program takes at most {RESTRICTED_MAX_N} \
                 points; this dataset has {n}"
            )));
        }
        let mut ids: Vec<BlockId> = blocks
            .iter()
            .filter(|(_, e)| e.len() == n && e.iter().any(|&b| b))
            .map(|(eta, e)| BlockId {
                eta: if *eta < 0.0 { -1 } else { 1 },
                mask: Bitset::from_bools(e.iter().copied()),
            })
            .collect();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Err(Error::InvalidData(
                "the restricted program needs at least one candidate second-layer pattern".into(),
            ));
        }
        Self::with_candidates(problem, settings, Some(ids))
    }

    fn with_candidates(
        problem: ReluProblem,
        settings: &Path3Settings,
        candidates: Option<Vec<BlockId>>,
    ) -> Result<Self> {
        if problem.loss != Loss::Squared {
            return Err(Error::InvalidSetting(format!(
                "the path-regularized program is built for the squared loss, not {}",
                problem.loss.name()
            )));
        }
        let facets = facets(&problem.x, &problem.patterns);
        let mut d = Self {
            facets,
            geom: SweepGeometry::new(&problem.x),
            candidates,
            active: Vec::new(),
            best: Bounds::unknown(),
            network: Path3Network::default(),
            current: Path3Network::default(),
            dual: Vec::new(),
            worst: None,
            done: false,
            status: Status::Running,
            rounds: 0,
            t0: Instant::now(),
            settings: *settings,
            pr: problem,
        };
        // ŷ = 0: λ = y, every μ = 0. Its bound is the first lower bound.
        let y = d.pr.y.clone();
        d.price(&y, &HashMap::new());
        d.best.upper = d.network.objective(&d.pr.x, &d.pr.y, d.pr.beta);
        Ok(d)
    }

    /// The problem (data, β, regions).
    pub fn problem(&self) -> &ReluProblem {
        &self.pr
    }

    /// Best certified bounds.
    pub fn bounds(&self) -> Bounds {
        self.best
    }

    /// The network of the latest round.
    pub fn current(&self) -> &Path3Network {
        &self.current
    }

    /// The best network so far.
    pub fn best_network(&self) -> &Path3Network {
        &self.network
    }

    /// The residual `λ = y − ŷ` behind the best lower bound (scaled into feasibility).
    pub fn dual(&self) -> &[f64] {
        &self.dual
    }

    /// The block behind the best lower bound.
    pub fn worst_block(&self) -> Option<&WorstBlock> {
        self.worst.as_ref()
    }

    /// Whether the run is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Status so far.
    pub fn status(&self) -> Status {
        if self.done {
            self.status
        } else {
            Status::Running
        }
    }

    /// Ends the run (user stop).
    pub fn stop(&mut self) {
        if !self.done {
            self.done = true;
            self.status = Status::Stopped;
        }
    }

    /// `g = η E λ + (2E − I) μ` of a block.
    fn block_vector(&self, b: &BlockId, lambda: &[f64], mu: Option<&[f64]>) -> Vec<f64> {
        (0..self.pr.n())
            .map(|j| {
                let on = b.on(j);
                let m = mu.map_or(0.0, |m| m[j]);
                if on {
                    f64::from(b.eta) * lambda[j] + m
                } else {
                    -m
                }
            })
            .collect()
    }

    /// Polyak subgradient steps on `μ ↦ c(g(μ))`, `μ ≥ 0`, from `mu`, aiming just below β.
    /// Leaves in `mu` the best multiplier seen and returns its value.
    fn lower_block(&self, b: &BlockId, lambda: &[f64], mu: &mut Vec<f64>, start: f64) -> f64 {
        let (x, beta) = (&self.pr.x, self.pr.beta);
        let (mut best, mut best_mu) = (start, mu.clone());
        let mut cur = mu.clone();
        for _ in 0..self.settings.polyak_steps {
            let g = self.block_vector(b, lambda, Some(&cur));
            let cert = certificate_with(&self.geom, x, &self.pr.exact, &g, 0);
            if cert.value < best {
                best = cert.value;
                best_mu.clone_from(&cur);
            }
            if cert.value <= beta {
                break;
            }
            // ∂c/∂μ_j = s·(2E_j − 1)·(x̃_jᵀu)₊ at the maximiser u with sign s.
            let grad: Vec<f64> = (0..x.len())
                .map(|j| {
                    let on = if b.on(j) { 1.0 } else { -1.0 };
                    let pre = (x[j][0] * cert.u[0] + x[j][1] * cert.u[1] + cert.u[2]).max(0.0);
                    cert.sign * on * pre
                })
                .collect();
            let gg: f64 = grad.iter().map(|a| a * a).sum();
            if gg == 0.0 {
                break;
            }
            let step = (cert.value - 0.999 * beta) / gg;
            for (m, d) in cur.iter_mut().zip(&grad) {
                *m = (*m - step * d).max(0.0);
            }
        }
        *mu = best_mu;
        best
    }

    /// Prices every block at `(λ, μ)` (`μ` of the blocks in the working set; 0 elsewhere,
    /// improved by Polyak steps where a block is violated), updates the lower bound and adds
    /// the most violated groups. Returns how many were added.
    fn price(&mut self, lambda: &[f64], mus: &HashMap<BlockId, Vec<f64>>) -> usize {
        let n = self.pr.n();
        let beta = self.pr.beta;
        let blocks: Vec<BlockId> = match &self.candidates {
            Some(c) => c.clone(),
            None => (1..(1u64 << n))
                .flat_map(|m| {
                    let mask = Bitset::from_bools((0..n).map(|j| m >> j & 1 == 1));
                    [1i8, -1].map(|eta| BlockId {
                        eta,
                        mask: mask.clone(),
                    })
                })
                .collect(),
        };
        let mut values: Vec<(f64, BlockId)> = Vec::with_capacity(blocks.len());
        for b in blocks {
            let g = self.block_vector(&b, lambda, mus.get(&b).map(Vec::as_slice));
            let c = certificate_with(&self.geom, &self.pr.x, &self.pr.exact, &g, 0).value;
            values.push((c, b));
        }
        values.sort_by(|a, b| b.0.total_cmp(&a.0));
        // Look for multipliers of the violated blocks, worst first. Once a block stays above β,
        // blocks whose first value is below the bound cannot raise it: they are only looked at
        // while the round still has room for groups.
        let mut violated: Vec<(f64, BlockId, Vec<f64>)> = Vec::new();
        let mut bound = values.first().map_or(0.0, |v| v.0.min(beta));
        // The block that sets the bound, with its multiplier.
        let mut worst: Option<(BlockId, Vec<f64>)> =
            values.first().filter(|v| v.0 <= beta).map(|v| {
                let mu = mus.get(&v.1).cloned().unwrap_or_else(|| vec![0.0; n]);
                (v.1.clone(), mu)
            });
        // A restricted program prices its candidate blocks only: no bound, no Polyak steps.
        let certifying = self.candidates.is_none();
        for (c, b) in &values {
            let (c, b) = (*c, b.clone());
            if c <= beta || (c <= bound && violated.len() >= self.settings.groups_per_round) {
                break;
            }
            // A block in the working set is priced at its own multiplier (the standard pricing:
            // a violated group there is not in the working set); Polyak steps only tighten the
            // bound. A block outside has no multiplier: the steps look for one.
            let own = mus.get(&b);
            let mut mu = own.cloned().unwrap_or_else(|| vec![0.0; n]);
            let c = if certifying {
                self.lower_block(&b, lambda, &mut mu, c)
            } else {
                c
            };
            if c > bound || worst.is_none() {
                worst = Some((b.clone(), mu.clone()));
            }
            bound = bound.max(c);
            if c > beta * (1.0 + 1e-9) {
                violated.push((c, b, own.cloned().unwrap_or(mu)));
            }
        }
        let scale = (beta / (bound * (1.0 + CERTIFICATE_SAFETY) + f64::MIN_POSITIVE)).min(1.0);
        let lower: f64 = lambda
            .iter()
            .zip(&self.pr.y)
            .map(|(l, y)| scale * l * y - 0.5 * scale * scale * l * l)
            .sum();
        if certifying && lower > self.best.lower {
            self.best.lower = lower;
            self.best.certificate = bound / beta;
            self.dual = lambda.iter().map(|l| l * scale).collect();
            self.worst = worst.map(|(b, mu)| {
                let g = self.block_vector(&b, lambda, Some(&mu));
                WorstBlock {
                    eta: f64::from(b.eta),
                    pattern: (0..n).map(|j| b.on(j)).collect(),
                    g: g.iter().map(|v| v * scale).collect(),
                }
            });
        }
        // The most violated group of each violated block, worst blocks first.
        violated.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut added = 0;
        for (_, b, mu) in violated {
            if added >= self.settings.groups_per_round {
                break;
            }
            let g = self.block_vector(&b, lambda, Some(&mu));
            let cert = certificate_with(&self.geom, &self.pr.x, &self.pr.exact, &g, 2);
            for cand in cert.top.iter().filter(|c| c.value > beta) {
                let Some(region) = self.pr.patterns.find(&cand.pattern) else {
                    continue;
                };
                let grp = Group {
                    block: b.clone(),
                    sigma: if cand.sign > 0.0 { 1 } else { -1 },
                    region,
                };
                if !self.active.contains(&grp) {
                    self.active.push(grp);
                    added += 1;
                }
            }
        }
        added
    }

    /// One round; `None` once the run is over.
    pub fn step(&mut self) -> Option<Iterate> {
        if self.done {
            return None;
        }
        let t = Instant::now();
        self.rounds += 1;
        let (values, lambda, mus) = match restricted(&self.pr, &self.active, &self.facets) {
            Ok(r) => r,
            Err(_) => {
                self.done = true;
                self.status = Status::Stalled;
                return Some(self.iterate(t));
            }
        };
        // Pruned (docs/math.md#path3): the same outputs on the data, a cost that can only drop,
        // at most n neurons per sub-network and n sub-networks.
        self.current = crate::decompose::path3::prune(&recover(&self.active, &values), &self.pr.x);
        let upper = self.current.objective(&self.pr.x, &self.pr.y, self.pr.beta);
        if upper < self.best.upper {
            self.best.upper = upper;
            self.network = self.current.clone();
        }
        let added = self.price(&lambda, &mus);
        if self.best.rel_gap() <= self.settings.tol {
            self.done = true;
            self.status = Status::Converged;
        } else if added == 0 && self.candidates.is_some() {
            // The restricted program is solved: every candidate block priced, none violated.
            self.done = true;
            self.status = Status::Converged;
        } else if added == 0 || self.rounds >= self.settings.max_rounds {
            self.done = true;
            self.status = if added == 0 {
                Status::Stalled
            } else {
                Status::MaxIter
            };
        }
        // Groups stay even when unused: dropping a group whose dual constraint is tight makes
        // it violated again in the next round, and the rounds cycle (measured).
        Some(self.iterate(t))
    }

    fn iterate(&self, t: Instant) -> Iterate {
        Iterate::exact_round(
            self.rounds,
            self.best,
            self.best.upper,
            t.elapsed().as_secs_f64(),
            self.current.neuron_count(),
            self.status(),
        )
    }

    /// Whether this is the exact program (its bounds are certified).
    pub fn is_exact(&self) -> bool {
        self.candidates.is_none()
    }

    /// Second-layer blocks priced every round: `2(2ⁿ − 1)` for the exact program, the
    /// candidates for a restricted one.
    pub fn blocks(&self) -> usize {
        self.candidates
            .as_ref()
            .map_or_else(|| 2 * ((1usize << self.pr.n()) - 1), Vec::len)
    }

    /// Groups in the working set.
    pub fn groups(&self) -> usize {
        self.active.len()
    }

    /// The result.
    pub fn finish(self) -> Path3Solution {
        Path3Solution {
            network: self.network,
            bounds: self.best,
            status: match self.status {
                Status::Running => Status::MaxIter,
                s => s,
            },
            rounds: self.rounds,
            groups: self.active.len(),
            exact: self.candidates.is_none(),
            seconds: self.t0.elapsed().as_secs_f64(),
        }
    }
}

/// The network of a point of the program (docs/math.md#path3): one sub-network `a = η` per
/// block with nonzero groups, one neuron `u = w/√‖w‖`, `s = σ√‖w‖` per nonzero group (a real
/// network: its objective, not the program's, is the upper bound).
fn recover(groups: &[Group], values: &[[f64; 3]]) -> Path3Network {
    let vmax = values.iter().map(norm3).fold(0.0, f64::max);
    let mut blocks: Vec<(BlockId, SubNetwork)> = Vec::new();
    for (g, w) in groups.iter().zip(values) {
        let r = norm3(w);
        // Below 10⁻⁸ of the largest group is the interior-point solver's noise (its accuracy is
        // ~10⁻¹⁰ relative): such groups are not neurons of the solution.
        if r <= 1e-8 * vmax || r == 0.0 {
            continue;
        }
        let q = r.sqrt();
        let neuron = Path3Neuron {
            u: [w[0] / q, w[1] / q, w[2] / q],
            s: f64::from(g.sigma) * q,
        };
        match blocks.iter_mut().find(|(b, _)| *b == g.block) {
            Some((_, sub)) => sub.neurons.push(neuron),
            None => blocks.push((
                g.block.clone(),
                SubNetwork {
                    a: f64::from(g.block.eta),
                    neurons: vec![neuron],
                },
            )),
        }
    }
    Path3Network {
        subnets: blocks.into_iter().map(|(_, s)| s).collect(),
    }
}

/// The restricted program over `groups`: variables `w_g` (3 each), `t_g ≥ ‖w_g‖`, `r = ŷ − y`;
/// `min ½‖r‖² + β Σ t_g` s.t. the first-layer cones (facet rows) and the second-layer cones of
/// every block in use. Returns the groups' `w`, `λ = y − ŷ` and each block's `μ ≥ 0`.
#[allow(clippy::type_complexity)]
fn restricted(
    pr: &ReluProblem,
    groups: &[Group],
    facets: &[Vec<usize>],
) -> Result<(Vec<[f64; 3]>, Vec<f64>, HashMap<BlockId, Vec<f64>>)> {
    let (n, k) = (pr.n(), groups.len());
    let (off_t, off_r) = (3 * k, 4 * k);
    let nvar = off_r + n;
    let mut a = Rows::default();
    let mut cones: Vec<SupportedConeT<f64>> = Vec::new();
    // r_j − ŷ_j = −y_j (their multipliers are λ = y − ŷ).
    for j in 0..n {
        let r = a.row(-pr.y[j]);
        a.put(r, off_r + j, 1.0);
    }
    for (gi, g) in groups.iter().enumerate() {
        let pat = pr.patterns.pattern(g.region);
        let c = f64::from(g.block.eta) * f64::from(g.sigma);
        for j in 0..n {
            if pat.get(j) && g.block.on(j) {
                a.put(j, 3 * gi, -c * pr.x[j][0]);
                a.put(j, 3 * gi + 1, -c * pr.x[j][1]);
                a.put(j, 3 * gi + 2, -c);
            }
        }
    }
    cones.push(SupportedConeT::ZeroConeT(n));
    let mut nonneg = 0;
    // Second-layer cones (2E − I) z[η,E] ≥ 0, n rows per block in use.
    let mut blocks: Vec<BlockId> = groups.iter().map(|g| g.block.clone()).collect();
    blocks.sort();
    blocks.dedup();
    let mut first_row: HashMap<BlockId, usize> = HashMap::new();
    for b in &blocks {
        let r0 = a.row(0.0);
        first_row.insert(b.clone(), r0);
        for _ in 1..n {
            a.row(0.0);
        }
        nonneg += n;
    }
    for (gi, g) in groups.iter().enumerate() {
        let pat = pr.patterns.pattern(g.region);
        let r0 = first_row[&g.block];
        let s = f64::from(g.sigma);
        for j in 0..n {
            if pat.get(j) {
                let e = if g.block.on(j) { 1.0 } else { -1.0 };
                a.put(r0 + j, 3 * gi, -e * s * pr.x[j][0]);
                a.put(r0 + j, 3 * gi + 1, -e * s * pr.x[j][1]);
                a.put(r0 + j, 3 * gi + 2, -e * s);
            }
        }
    }
    // First-layer cones: the facet rows of each group's region.
    for (gi, g) in groups.iter().enumerate() {
        let pat = pr.patterns.pattern(g.region);
        for &j in &facets[g.region] {
            let e = if pat.get(j) { 1.0 } else { -1.0 };
            let r = a.row(0.0);
            a.put(r, 3 * gi, -e * pr.x[j][0]);
            a.put(r, 3 * gi + 1, -e * pr.x[j][1]);
            a.put(r, 3 * gi + 2, -e);
            nonneg += 1;
        }
    }
    cones.push(SupportedConeT::NonnegativeConeT(nonneg));
    a.norm_cones(&mut cones, k, off_t);
    let mut q = vec![0.0; nvar];
    (0..k).for_each(|gi| q[off_t + gi] = pr.beta);
    let diag: Vec<(usize, f64)> = (0..n).map(|j| (off_r + j, 1.0)).collect();
    let sol = interior_point(&diag, &q, a, &cones, "path-regularized round")?;
    let values = (0..k)
        .map(|gi| [sol.x[3 * gi], sol.x[3 * gi + 1], sol.x[3 * gi + 2]])
        .collect();
    let lambda = sol.z[..n].to_vec();
    let mus = blocks
        .iter()
        .map(|b| {
            let r0 = first_row[b];
            (
                b.clone(),
                sol.z[r0..r0 + n].iter().map(|m| m.max(0.0)).collect(),
            )
        })
        .collect();
    Ok((values, lambda, mus))
}
