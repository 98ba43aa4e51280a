//! Per-iteration report and status of the solvers (docs/contributing.md: a plain struct, printing
//! happens elsewhere).

use serde::{Deserialize, Serialize};

/// Where a solver stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Still iterating.
    Running,
    /// Certified relative gap ≤ tolerance.
    Converged,
    /// Iteration limit reached first.
    MaxIter,
    /// Stopped by the caller.
    Stopped,
    /// Non-finite numbers appeared.
    Diverged,
    /// The polish could not improve the bounds further (tolerance not reached).
    Stalled,
}

impl Status {
    /// The JSON name (`converged`, `max_iter`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Converged => "converged",
            Status::MaxIter => "max_iter",
            Status::Stopped => "stopped",
            Status::Diverged => "diverged",
            Status::Stalled => "stalled",
        }
    }
}

/// Which algorithm produced an iterate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// An ADMM iteration (docs/math.md#admm variant b).
    Admm,
    /// A round of the exact polish + column generation.
    Polish,
    /// An R-FISTA iteration (docs/math.md#rfista).
    Fista,
    /// An R-FISTA iteration of the augmented Lagrangian method (docs/math.md#augmented-lagrangian).
    AugLag,
}

/// One iteration's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Iterate {
    /// Iteration counter (1-based).
    pub iter: usize,
    /// Algorithm of this iteration.
    pub phase: Phase,
    /// Upper bound: objective of the network recovered at the last check.
    pub upper: f64,
    /// Certified lower bound at the last check.
    pub lower: f64,
    /// Certified relative gap `(upper − lower)/max(1, |upper|)` at the last check.
    pub rel_gap: f64,
    /// `c(v)/β` at the last check.
    pub certificate: f64,
    /// Objective of (C) at the solver's sparse iterate at the last check.
    pub convex_objective: f64,
    /// Iteration at which the bounds above were computed.
    pub checked_at: usize,
    /// Relative primal residual (ADMM; 0 for polish rounds).
    pub primal_residual: f64,
    /// Relative dual residual (ADMM; 0 for polish rounds).
    pub dual_residual: f64,
    /// Penalty parameter ρ in force.
    pub rho: f64,
    /// Seconds spent in this iteration.
    pub seconds: f64,
    /// Non-zero blocks in the sparse iterate.
    pub active_blocks: usize,
    /// Status after this iteration.
    pub status: Status,
}

/// What a first-order solver measured at one iteration ([`Iterate::carried`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Measured {
    /// Iteration counter.
    pub iter: usize,
    /// Algorithm.
    pub phase: Phase,
    /// Whether the bounds were certified at this iteration.
    pub check: bool,
    /// Objective of the convex iterate, if computed now.
    pub convex_objective: Option<f64>,
    /// (primal, dual) residuals, if computed now.
    pub residuals: Option<(f64, f64)>,
    /// Penalty in force.
    pub rho: f64,
    /// Seconds of this iteration.
    pub seconds: f64,
    /// Non-zero blocks.
    pub active_blocks: usize,
    /// Whether the numbers stayed finite.
    pub finite: bool,
}

impl Iterate {
    /// The report of one round of a solver that works in exact rounds (a restricted program
    /// solved by the interior-point method, then priced): the best certified bounds so far, the
    /// objective of the round's program, no residuals and no ρ.
    pub(crate) fn exact_round(
        round: usize,
        best: crate::certify::Bounds,
        convex_objective: f64,
        seconds: f64,
        active_blocks: usize,
        status: Status,
    ) -> Iterate {
        Iterate {
            iter: round,
            phase: Phase::Polish,
            upper: best.upper,
            lower: best.lower,
            rel_gap: best.rel_gap(),
            certificate: best.certificate,
            convex_objective,
            checked_at: round,
            primal_residual: 0.0,
            dual_residual: 0.0,
            rho: f64::NAN,
            seconds,
            active_blocks,
            status,
        }
    }

    /// The report of an iteration: the latest certified `bounds`, and the values not measured
    /// this iteration carried over from `last`.
    pub(crate) fn carried(
        last: Option<&Iterate>,
        bounds: Option<crate::certify::Bounds>,
        m: Measured,
    ) -> Iterate {
        let b = bounds.unwrap_or(crate::certify::Bounds {
            upper: f64::NAN,
            lower: f64::NAN,
            certificate: f64::NAN,
        });
        let prev = |f: fn(&Iterate) -> f64| last.map(f).unwrap_or(f64::NAN);
        Iterate {
            iter: m.iter,
            phase: m.phase,
            upper: b.upper,
            lower: b.lower,
            rel_gap: b.rel_gap(),
            certificate: b.certificate,
            convex_objective: m
                .convex_objective
                .unwrap_or_else(|| prev(|l| l.convex_objective)),
            checked_at: if m.check {
                m.iter
            } else {
                last.map(|l| l.checked_at).unwrap_or(0)
            },
            primal_residual: m
                .residuals
                .map_or_else(|| prev(|l| l.primal_residual), |r| r.0),
            dual_residual: m
                .residuals
                .map_or_else(|| prev(|l| l.dual_residual), |r| r.1),
            rho: m.rho,
            seconds: m.seconds,
            active_blocks: m.active_blocks,
            status: if m.finite {
                Status::Running
            } else {
                Status::Diverged
            },
        }
    }
}
