//! The certified driver for the convex ReLU program: ADMM iterations (what the app shows), then
//! an exact polish on the active blocks with column generation, stopping on the certified
//! relative gap `(upper − lower)/max(1, |upper|) ≤ tol` (issue 2, item 6).
//!
//! Every bound is valid on its own: an upper bound is the objective of a real network, a lower
//! bound the dual objective at a scaled feasible dual point, certified over *all* regions. The
//! driver keeps the best of each, so whatever produced a candidate, the certificate proves it.

use std::ops::ControlFlow;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::admm::{Admm, AdmmSettings};
use super::polish::{BlockId, polish};
use super::progress::{Iterate, Phase, Status};
use crate::certify::{Bounds, lower_bound_from_dual};
use crate::convex::relu::{BlockVec, ReluProblem, norm3};
use crate::error::{Error, Result};
use crate::model::ReluNetwork;

/// Settings of [`solve_relu`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SolveSettings {
    /// ADMM settings.
    pub admm: AdmmSettings,
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
            admm: AdmmSettings::default(),
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
    /// ADMM iterations run.
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
    fn offer_lower(&mut self, lower: f64, certificate: f64) {
        if lower > self.lower {
            self.lower = lower;
            self.certificate = certificate;
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

/// Solves (C) to a certified relative gap. `on_iter` sees every ADMM iteration and every polish
/// round; returning `ControlFlow::Break(())` stops the run (status `Stopped`).
pub fn solve_relu(
    problem: ReluProblem,
    settings: &SolveSettings,
    mut on_iter: impl FnMut(&Iterate) -> ControlFlow<()>,
) -> Result<Solution> {
    settings.validate()?;
    let t0 = Instant::now();
    let mut admm = Admm::new(problem, settings.admm)?;
    let p = admm.problem().p();
    let mut best = Best {
        upper: f64::INFINITY,
        lower: f64::NEG_INFINITY,
        certificate: f64::NAN,
        network: ReluNetwork::default(),
        blocks: vec![[0.0; 3]; 2 * p],
    };
    let mut status = Status::MaxIter;
    loop {
        let it = admm.step();
        if it.status == Status::Diverged {
            status = Status::Diverged;
            break;
        }
        if it.checked_at == it.iter {
            let net = admm.network();
            best.offer_upper(it.upper, &net, admm.blocks());
            best.offer_lower(it.lower, it.certificate);
        }
        let stop = on_iter(&it).is_break();
        if stop {
            status = Status::Stopped;
            break;
        }
        if best.bounds().rel_gap() <= settings.tol {
            status = Status::Converged;
            break;
        }
        if settings.polish
            && (it.iter >= settings.polish_after
                || (it.checked_at == it.iter && it.rel_gap <= settings.polish_gap))
        {
            break;
        }
        if it.iter >= settings.max_iter {
            break;
        }
    }
    let admm_iterations = admm.iterations();
    let mut polish_rounds = 0;
    let mut polish_failed = false;
    if settings.polish && matches!(status, Status::MaxIter | Status::Running) {
        status = Status::Stalled;
        let pr = admm.problem().clone();
        // Active blocks of the ADMM iterate (largest first, at most n + 10).
        let blocks = admm.blocks();
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
        let facets = crate::geometry::facets(&pr.x, &pr.patterns);
        let mut idle: Vec<u32> = vec![0; active.len()];
        for round in 0..settings.max_polish_rounds {
            let t = Instant::now();
            polish_rounds += 1;
            let iter_no = admm_iterations + round + 1;
            let res = match polish(&pr, &active, &facets) {
                Ok(r) => r,
                Err(_) => {
                    polish_failed = true;
                    break;
                }
            };
            let mut full = vec![[0.0; 3]; 2 * p];
            for (&(pi, s), v) in active.iter().zip(&res.values) {
                full[if s > 0.0 { pi } else { p + pi }] = *v;
            }
            // The interior-point optimum carries tiny blocks (~tolerance); a network without them is
            // offered too, and preferred unless it is measurably worse.
            let fmax = full.iter().map(norm3).fold(0.0, f64::max);
            let cleaned: BlockVec = full
                .iter()
                .map(|b| if norm3(b) > 1e-6 * fmax { *b } else { [0.0; 3] })
                .collect();
            let net_clean = pr.recover(&cleaned);
            let (b_clean, _) = pr.certify(&net_clean);
            let net = pr.recover(&full);
            let (b, _) = pr.certify(&net);
            if b_clean.upper <= b.upper + 1e-10 * b.upper.abs().max(1.0) {
                best.offer_upper(b_clean.upper, &net_clean, &cleaned);
            } else {
                best.offer_upper(b.upper, &net, &full);
            }
            best.offer_lower(b.lower, b.certificate);
            best.offer_lower(b_clean.lower, b_clean.certificate);
            let dual = res.dual.clone();
            let (lb2, c2, cert_top) = lower_bound_from_dual(
                &pr.x,
                &pr.y,
                &pr.exact,
                pr.loss,
                pr.beta,
                dual,
                settings.columns_per_round,
            );
            best.offer_lower(lb2, c2);
            let bb = best.bounds();
            let converged = bb.rel_gap() <= settings.tol;
            let it = Iterate {
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
                rho: admm.rho(),
                seconds: t.elapsed().as_secs_f64(),
                active_blocks: active.len(),
                status: if converged {
                    Status::Converged
                } else {
                    Status::Running
                },
            };
            let stop = on_iter(&it).is_break();
            if converged {
                status = Status::Converged;
                break;
            }
            if stop {
                status = Status::Stopped;
                break;
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
            if added == 0 {
                break;
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
        }
    }
    // If the exact solver failed, fall back to plain ADMM until the tolerance or the limit.
    if polish_failed && !matches!(status, Status::Converged | Status::Stopped) {
        status = Status::MaxIter;
        while admm.iterations() < settings.max_iter {
            let it = admm.step();
            if it.status == Status::Diverged {
                status = Status::Diverged;
                break;
            }
            if it.checked_at == it.iter {
                best.offer_upper(it.upper, &admm.network(), admm.blocks());
                best.offer_lower(it.lower, it.certificate);
            }
            if on_iter(&it).is_break() {
                status = Status::Stopped;
                break;
            }
            if best.bounds().rel_gap() <= settings.tol {
                status = Status::Converged;
                break;
            }
        }
    }
    let admm_iterations = admm.iterations();
    let bounds = best.bounds();
    let pr = admm.problem();
    Ok(Solution {
        convex_objective: pr.convex_objective(&best.blocks),
        network: best.network,
        blocks: best.blocks,
        bounds,
        status,
        admm_iterations,
        polish_rounds,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
