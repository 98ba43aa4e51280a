//! The hard-margin convex program (docs/math.md#max-margin):
//!
//! `min Σ_i (‖v_i‖ + ‖w_i‖)  s.t.  y ∘ Σ_i D_iX̃(v_i − w_i) ≥ 1,  v_i, w_i ∈ K_i`,
//!
//! the convex form of the max-margin problem that unregularized gradient flow on a two-layer
//! ReLU network tends to. Solved by exact rounds: the program restricted to a working set of
//! blocks (an SOCP, with an exact penalty `M Σ ξ_j` on margin shortfalls so that every working
//! set is feasible), whose margin multipliers `λ` are priced over *all* regions by the exact
//! certificate sweep; the most violated regions join. Certified bounds: upper = the path norm
//! `Σ_k ‖u_k‖|α_k|` of a real network divided by its smallest margin `min_j y_j f(x_j)` (the
//! network rescaled to margin 1); lower = the dual objective `1ᵀλ / max(1, c(λ∘y))` with the
//! exact certificate `c`.

use std::ops::ControlFlow;
use std::time::Instant;

use clarabel::solver::SupportedConeT;

use super::conic::{Rows, interior_point};
use super::progress::{Iterate, Status};
use crate::certify::{Bounds, CERTIFICATE_SAFETY, certificate};
use crate::convex::relu::ReluProblem;
use crate::error::{Error, Result};
use crate::geometry::facets;
use crate::model::{Loss, ReluNetwork, TrainingLoss};
use crate::vec3::norm3;

/// Exact penalty on margin shortfalls in a restricted round (larger than any optimal
/// multiplier on the data sets here; a shortfall left at the end only costs the upper bound).
const SHORTFALL_PENALTY: f64 = 1e4;

/// Settings of [`MaxMarginDriver`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxMarginSettings {
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// Most rounds.
    pub max_rounds: usize,
    /// Most violated regions added per round.
    pub columns_per_round: usize,
}

impl Default for MaxMarginSettings {
    fn default() -> Self {
        Self {
            tol: 1e-6,
            max_rounds: 80,
            // Measured on spiral n = 60: 15 a round certifies in 0.74 s, 30 in 0.91 s, 60 in
            // 1.6 s (larger rounds cost more than the rounds they save).
            columns_per_round: 15,
        }
    }
}

/// Outcome of [`solve_max_margin`].
#[derive(Debug, Clone)]
pub struct MaxMarginSolution {
    /// The best network, rescaled to smallest margin 1 (its path norm is `bounds.upper`).
    pub network: ReluNetwork,
    /// Best certified bounds on the optimum `p*`; the best normalized margin of any two-layer
    /// ReLU network is `1/p*`.
    pub bounds: Bounds,
    /// Final status.
    pub status: Status,
    /// Rounds run.
    pub rounds: usize,
    /// Wall time.
    pub seconds: f64,
}

/// Solves the hard-margin program to a certified relative gap.
pub fn solve_max_margin(
    problem: ReluProblem,
    settings: &MaxMarginSettings,
    mut on_iter: impl FnMut(&Iterate) -> ControlFlow<()>,
) -> Result<MaxMarginSolution> {
    let mut d = MaxMarginDriver::new(problem, settings)?;
    while let Some(it) = d.step() {
        if on_iter(&it).is_break() && !d.is_done() {
            d.stop();
        }
    }
    Ok(d.finish())
}

/// The path norm `Σ_k ‖u_k‖|α_k|` of `net` over its smallest margin on `(x, y)`: the path norm of
/// the network rescaled to margin 1 (infinite if some point is not classified correctly).
pub fn normalized_path_norm(net: &ReluNetwork, x: &[[f64; 2]], y: &[f64]) -> f64 {
    let m = net
        .predict(x)
        .iter()
        .zip(y)
        .map(|(f, t)| f * t)
        .fold(f64::INFINITY, f64::min);
    let path: f64 = net.neurons.iter().map(|n| n.norm_u() * n.alpha.abs()).sum();
    if m > 0.0 { path / m } else { f64::INFINITY }
}

/// The loss of the unregularized gradient-descent runs: both lead to the same max-margin
/// direction (docs/math.md#max-margin); the exponential loss weights the points by `e^{−m_j}`
/// exactly, the logistic loss by `σ(−m_j)`, which equals it up to a factor tending to 1 as the
/// margins grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginLoss {
    /// `log(1 + e^{−yŷ})`.
    #[default]
    Logistic,
    /// `e^{−yŷ}`.
    Exponential,
}

impl MarginLoss {
    /// Both, in UI order.
    pub const ALL: [MarginLoss; 2] = [MarginLoss::Logistic, MarginLoss::Exponential];

    /// The trainer's loss.
    pub fn training_loss(self) -> TrainingLoss {
        match self {
            MarginLoss::Logistic => TrainingLoss::Convex(Loss::Logistic),
            MarginLoss::Exponential => TrainingLoss::Exponential,
        }
    }

    /// CLI / JSON name.
    pub fn name(self) -> &'static str {
        self.training_loss().name()
    }

    /// Parses `--loss` of the max-margin runs.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| {
                Error::InvalidSetting(format!(
                    "--loss {s:?}: the max-margin runs train on logistic or exponential"
                ))
            })
    }

    /// The dual estimate `v_j = y_j λ_j` of a network with predictions `f`: `λ_j` is the weight
    /// `−y_j ℓ'(f_j)` gradient descent puts on point `j`, divided by the largest weight (so no
    /// weight under- or overflows at any margin; the certificate ratio is scale free).
    pub fn dual_estimate(self, f: &[f64], y: &[f64]) -> Vec<f64> {
        let loss = self.training_loss();
        let logs: Vec<f64> = f
            .iter()
            .zip(y)
            .map(|(fj, yj)| loss.log_weight(fj * yj).unwrap_or(f64::NEG_INFINITY))
            .collect();
        let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        logs.iter()
            .zip(y)
            .map(|(l, yj)| {
                if top.is_finite() {
                    yj * (l - top).exp()
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// Where gradient descent stands relative to the max-margin geometry (docs/math.md#max-margin):
/// the dual estimate `λ_j ∝ −y_j ℓ'(f(x_j))` of a network trained on `loss` (`σ(−y_j f(x_j))` for
/// logistic, `e^{−y_j f(x_j)}` for exponential), and the certificate of `v = λ∘y` normalized by
/// its largest value at the network's neurons. At a KKT point of the max-margin problem every
/// neuron sits where `|h_v|` is largest, so the ratio is 1;
/// a ratio above 1 exhibits a direction (`argmax`) where a new neuron would raise the margin.
#[derive(Debug, Clone)]
pub struct GdCertificate {
    /// `max_u |h_v(u)| / max_k |h_v(ū_k)|` over the unit sphere and the network's neurons.
    pub ratio: f64,
    /// The maximising direction.
    pub argmax: [f64; 3],
    /// The dual estimate `v = λ∘y`, scaled so that `max_u |h_v(u)| = 1`.
    pub v: Vec<f64>,
    /// Exact directions where `|h_v| ≥ 1 − 10⁻³` (the sweep's best candidates): the extreme
    /// points gradient descent's neurons should sit on.
    pub near_max: Vec<[f64; 3]>,
}

/// The [`GdCertificate`] of `net` trained on `loss` on `(x, y)` (`exact`: the data's regions).
pub fn gd_certificate(
    net: &ReluNetwork,
    x: &[[f64; 2]],
    y: &[f64],
    exact: &crate::geometry::PatternSet,
    loss: MarginLoss,
) -> GdCertificate {
    let v = loss.dual_estimate(&net.predict(x), y);
    let cert = certificate(x, exact, &v, 64);
    let at_neurons = net
        .neurons
        .iter()
        .filter(|n| n.alpha != 0.0 && n.norm_u() > 0.0)
        .map(|n| {
            let r = n.norm_u();
            crate::certify::evaluate_h(x, &v, &[n.u[0] / r, n.u[1] / r, n.u[2] / r]).abs()
        })
        .fold(0.0, f64::max);
    let scale = if cert.value > 0.0 {
        1.0 / cert.value
    } else {
        1.0
    };
    let mut near_max: Vec<[f64; 3]> = Vec::new();
    for c in &cert.top {
        if c.value >= (1.0 - 1e-3) * cert.value
            && !near_max
                .iter()
                .any(|u| crate::vec3::dot3(u, &c.u) > 1.0 - 1e-9)
        {
            near_max.push(c.u);
        }
    }
    GdCertificate {
        ratio: if at_neurons > 0.0 {
            cert.value / at_neurons
        } else {
            f64::INFINITY
        },
        argmax: cert.u,
        v: v.iter().map(|a| a * scale).collect(),
        near_max,
    }
}

/// The distinct non-empty activation patterns on `x` of `net`'s neurons that matter (path norm
/// `‖u‖|α|` at least 10⁻³ of the largest): the regions of the arrangement its neurons sit in.
/// (Negligible neurons are left out: a vanishing neuron's pattern says nothing about the
/// network, and its hyperplane may flicker across a point from one epoch to the next.)
pub fn neuron_patterns(
    net: &ReluNetwork,
    x: &[[f64; 2]],
) -> std::collections::HashSet<crate::geometry::Bitset> {
    let path = |n: &crate::model::Neuron| n.norm_u() * n.alpha.abs();
    let max = net.neurons.iter().map(path).fold(0.0, f64::max);
    net.neurons
        .iter()
        .filter(|n| max > 0.0 && path(n) >= 1e-3 * max)
        .map(|n| crate::geometry::pattern_of(x, &n.u))
        .filter(|p| !p.is_zero())
        .collect()
}

/// How many of the patterns `used` (of a gradient-descent network, [`neuron_patterns`]) are
/// patterns of `optimum`'s neurons that matter. A point on an optimum neuron's hyperplane
/// (`|x̃ᵀū| ≤ 10⁻⁷‖x̃‖`) counts either way: max-margin neurons often pass through data points,
/// and a network converging to one approaches that point from either side.
pub fn patterns_in_optimum(
    used: &std::collections::HashSet<crate::geometry::Bitset>,
    optimum: &ReluNetwork,
    x: &[[f64; 2]],
) -> usize {
    let path = |n: &crate::model::Neuron| n.norm_u() * n.alpha.abs();
    let max = optimum.neurons.iter().map(path).fold(0.0, f64::max);
    // Per optimum neuron: each point's side, `None` on the hyperplane.
    let sides: Vec<Vec<Option<bool>>> = optimum
        .neurons
        .iter()
        .filter(|n| max > 0.0 && path(n) >= 1e-3 * max)
        .map(|n| {
            let r = n.norm_u();
            x.iter()
                .map(|p| {
                    let pre = (p[0] * n.u[0] + p[1] * n.u[1] + n.u[2]) / r;
                    let scale = (p[0] * p[0] + p[1] * p[1] + 1.0).sqrt();
                    (pre.abs() > 1e-7 * scale).then_some(pre > 0.0)
                })
                .collect()
        })
        .collect();
    used.iter()
        .filter(|p| {
            sides.iter().any(|s| {
                s.iter()
                    .enumerate()
                    .all(|(j, side)| side.is_none_or(|on| on == p.get(j)))
            })
        })
        .count()
}

/// A block of the working set: pattern index and sign.
type Block = (usize, f64);

/// [`solve_max_margin`] one round at a time.
pub struct MaxMarginDriver {
    geom: crate::certify::sweep::SweepGeometry,
    pr: ReluProblem,
    settings: MaxMarginSettings,
    facets: Vec<Vec<usize>>,
    active: Vec<Block>,
    idle: Vec<u32>,
    best: Bounds,
    network: ReluNetwork,
    current: ReluNetwork,
    dual: Vec<f64>,
    done: bool,
    status: Status,
    rounds: usize,
    t0: Instant,
}

impl MaxMarginDriver {
    /// Checks the labels (±1, no point with both) and prices the regions with `λ = 1`.
    pub fn new(problem: ReluProblem, settings: &MaxMarginSettings) -> Result<Self> {
        if problem.y.iter().any(|&v| v != 1.0 && v != -1.0) {
            return Err(Error::InvalidData(
                "the max-margin program needs labels ±1".into(),
            ));
        }
        for a in 0..problem.n() {
            for b in a + 1..problem.n() {
                if problem.x[a] == problem.x[b] && problem.y[a] != problem.y[b] {
                    return Err(Error::InvalidData(format!(
                        "points {} and {} are the same point ({}, {}) with both labels: no \
                         network separates them, so the max-margin program is infeasible",
                        a + 1,
                        b + 1,
                        problem.x[a][0],
                        problem.x[a][1]
                    )));
                }
            }
        }
        let facets = facets(&problem.x, &problem.patterns);
        let mut d = Self {
            geom: crate::certify::sweep::SweepGeometry::new(&problem.x),
            facets,
            active: Vec::new(),
            idle: Vec::new(),
            best: Bounds::unknown(),
            network: ReluNetwork::default(),
            current: ReluNetwork::default(),
            dual: Vec::new(),
            done: false,
            status: Status::Running,
            rounds: 0,
            t0: Instant::now(),
            settings: *settings,
            pr: problem,
        };
        let ones = vec![1.0; d.pr.n()];
        d.price(&ones);
        if d.active.is_empty() {
            d.active.push((0, 1.0));
        }
        d.idle = vec![0; d.active.len()];
        Ok(d)
    }

    /// The problem.
    pub fn problem(&self) -> &ReluProblem {
        &self.pr
    }

    /// Best certified bounds.
    pub fn bounds(&self) -> Bounds {
        self.best
    }

    /// The network of the latest round, rescaled to margin 1 when it separates the data.
    pub fn current(&self) -> &ReluNetwork {
        &self.current
    }

    /// The multipliers `λ` behind the best lower bound (unscaled).
    pub fn dual(&self) -> &[f64] {
        &self.dual
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

    /// Certifies `λ` and adds the regions it violates most. Returns how many were added.
    fn price(&mut self, lambda: &[f64]) -> usize {
        let pr = &self.pr;
        let v: Vec<f64> = lambda.iter().zip(&pr.y).map(|(l, y)| l * y).collect();
        let cert = crate::certify::sweep::certificate_with(
            &self.geom,
            &pr.x,
            &pr.exact,
            &v,
            self.settings.columns_per_round,
        );
        let c = cert.value * (1.0 + CERTIFICATE_SAFETY) + f64::MIN_POSITIVE;
        let lower = lambda.iter().sum::<f64>() / c.max(1.0);
        if lower > self.best.lower {
            self.best.lower = lower;
            self.best.certificate = cert.value;
            self.dual = lambda.to_vec();
        }
        let mut added = 0;
        for cand in &cert.top {
            if cand.value <= 1.0 + 1e-9 {
                break;
            }
            if let Some(pi) = pr.patterns.find(&cand.pattern) {
                let id = (pi, cand.sign);
                if !self.active.contains(&id) {
                    self.active.push(id);
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
        let (values, lambda) = match restricted(&self.pr, &self.active, &self.facets) {
            Ok(r) => r,
            Err(_) => {
                self.done = true;
                self.status = Status::Stalled;
                return Some(self.iterate(t));
            }
        };
        let p = self.pr.p();
        let mut blocks = vec![[0.0; 3]; 2 * p];
        for (&(i, s), u) in self.active.iter().zip(&values) {
            blocks[if s > 0.0 { i } else { p + i }] = *u;
        }
        let net = self.pr.recover(&blocks);
        let upper = normalized_path_norm(&net, &self.pr.x, &self.pr.y);
        self.current = rescaled(&net, &self.pr.x, &self.pr.y);
        if upper < self.best.upper {
            self.best.upper = upper;
            self.network = self.current.clone();
        }
        let added = self.price(&lambda);
        if self.best.rel_gap() <= self.settings.tol {
            self.done = true;
            self.status = Status::Converged;
        } else if added == 0 || self.rounds >= self.settings.max_rounds {
            self.done = true;
            self.status = Status::Stalled;
        } else {
            // Blocks unused for three rounds leave.
            let vmax = values.iter().map(norm3).fold(0.0, f64::max);
            for (a, u) in self.idle.iter_mut().zip(&values) {
                *a = if norm3(u) > 1e-7 * vmax { 0 } else { *a + 1 };
            }
            self.idle.resize(self.active.len(), 0);
            let mut keep = self.idle.iter().map(|&a| a < 3);
            self.active.retain(|_| keep.next().unwrap_or(true));
            self.idle.retain(|&a| a < 3);
        }
        Some(self.iterate(t))
    }

    fn iterate(&self, t: Instant) -> Iterate {
        Iterate::exact_round(
            self.rounds,
            self.best,
            self.best.upper,
            t.elapsed().as_secs_f64(),
            self.current.neurons.len(),
            if self.done {
                self.status
            } else {
                Status::Running
            },
        )
    }

    /// The result.
    pub fn finish(self) -> MaxMarginSolution {
        MaxMarginSolution {
            network: self.network,
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

/// `net` with its output weights divided by its smallest margin (margin 1 afterwards), or `net`
/// as is if it misclassifies a point.
fn rescaled(net: &ReluNetwork, x: &[[f64; 2]], y: &[f64]) -> ReluNetwork {
    let m = net
        .predict(x)
        .iter()
        .zip(y)
        .map(|(f, t)| f * t)
        .fold(f64::INFINITY, f64::min);
    if !(m > 0.0 && m.is_finite()) {
        return net.clone();
    }
    // Balanced: u and α both scaled by 1/√m.
    let s = 1.0 / m.sqrt();
    ReluNetwork {
        neurons: net
            .neurons
            .iter()
            .map(|n| crate::model::Neuron {
                u: [n.u[0] * s, n.u[1] * s, n.u[2] * s],
                alpha: n.alpha * s,
            })
            .collect(),
    }
}

/// The restricted program: `min Σ t_b + M Σ ξ_j` s.t. `y_j Σ_b s_b d_bj x̃_jᵀu_b + ξ_j ≥ 1`,
/// `ξ ≥ 0`, the blocks' cone rows (facets), `‖u_b‖ ≤ t_b`. Returns the blocks and the margin
/// multipliers `λ ≥ 0`.
fn restricted(
    pr: &ReluProblem,
    blocks: &[Block],
    facets: &[Vec<usize>],
) -> Result<(Vec<[f64; 3]>, Vec<f64>)> {
    let (n, k) = (pr.n(), blocks.len());
    let (off_t, off_xi) = (3 * k, 4 * k);
    let nvar = off_xi + n;
    let mut a = Rows::default();
    let mut cones: Vec<SupportedConeT<f64>> = Vec::new();
    // Margin rows first (their multipliers are λ): y Σ s d x̃ᵀu + ξ − 1 ≥ 0.
    for j in 0..n {
        let r = a.row(-1.0);
        a.put(r, off_xi + j, -1.0);
    }
    for (bi, &(pi, s)) in blocks.iter().enumerate() {
        let pat = pr.patterns.pattern(pi);
        for j in 0..n {
            if pat.get(j) {
                let w = -pr.y[j] * s;
                a.put(j, 3 * bi, w * pr.x[j][0]);
                a.put(j, 3 * bi + 1, w * pr.x[j][1]);
                a.put(j, 3 * bi + 2, w);
            }
        }
    }
    let mut nonneg = n;
    for j in 0..n {
        let r = a.row(0.0);
        a.put(r, off_xi + j, -1.0);
        nonneg += 1;
    }
    for (bi, &(pi, _)) in blocks.iter().enumerate() {
        let pat = pr.patterns.pattern(pi);
        for &j in &facets[pi] {
            let e = if pat.get(j) { 1.0 } else { -1.0 };
            let r = a.row(0.0);
            a.put(r, 3 * bi, -e * pr.x[j][0]);
            a.put(r, 3 * bi + 1, -e * pr.x[j][1]);
            a.put(r, 3 * bi + 2, -e);
            nonneg += 1;
        }
    }
    cones.push(SupportedConeT::NonnegativeConeT(nonneg));
    a.norm_cones(&mut cones, k, off_t);
    let mut q = vec![0.0; nvar];
    (0..k).for_each(|bi| q[off_t + bi] = 1.0);
    (0..n).for_each(|j| q[off_xi + j] = SHORTFALL_PENALTY);
    let sol = interior_point(&[], &q, a, &cones, "max-margin round")?;
    let values = (0..k)
        .map(|bi| [sol.x[3 * bi], sol.x[3 * bi + 1], sol.x[3 * bi + 2]])
        .collect();
    let lambda = sol.z[..n].iter().map(|l| l.max(0.0)).collect();
    Ok((values, lambda))
}
