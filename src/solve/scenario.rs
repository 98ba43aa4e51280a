//! Sampled convex programs (docs/math.md#sampled-convex-programs): the gated program over `P`
//! Gaussian gates for growing `P`, each solved to a certified gap, with the exact fraction of the
//! sphere whose gates its dual point violates, the scenario bound for that `P`, and its distance
//! from the exact-gate optimum.

use std::ops::ControlFlow;
use std::sync::Arc;

use serde::Serialize;

use super::gated::{GatedSettings, solve_gated};
use crate::certify::Bounds;
use crate::convex::gated::GatedProblem;
use crate::error::Result;
use crate::geometry::areas::{region_areas, scenario_bound};
use crate::geometry::{PatternMode, PatternSet};
use crate::model::Loss;

/// Confidence slack `ξ` of the reported scenario bound (confidence `1 − ξ` = 99 %).
pub const SCENARIO_SLACK: f64 = 0.01;

/// One program of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScenarioPoint {
    /// Gates sampled.
    pub sampled: usize,
    /// Distinct non-empty patterns among them.
    pub distinct: usize,
    /// Certified optimum of the program over these gates (upper bound).
    pub objective: f64,
    /// Its certified lower bound.
    pub lower_bound: f64,
    /// Fraction of the sphere whose gates the solution's dual point violates.
    pub violation_fraction: f64,
    /// Scenario bound on that fraction at confidence `1 − SCENARIO_SLACK` (1 = vacuous).
    pub scenario_bound: f64,
    /// `(objective − exact lower bound)/max(1, |objective|)`: how far above the exact-gate
    /// optimum the sampled program ends (certified).
    pub gap_to_exact: f64,
}

/// The exact-gate optimum and one [`ScenarioPoint`] per sample size in `counts`. Every size
/// uses the seed `seed`, so each sample is a prefix of the next larger one and the certified
/// objectives decrease with `P`. `on_point` sees the exact-gate optimum's bounds and each point,
/// and can stop the sweep.
#[allow(clippy::too_many_arguments)]
pub fn scenario_sweep(
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    exact: &Arc<PatternSet>,
    counts: &[usize],
    seed: u64,
    mut on_point: impl FnMut(&Bounds, &ScenarioPoint) -> ControlFlow<()>,
) -> Result<(Bounds, Vec<ScenarioPoint>)> {
    let settings = GatedSettings::default();
    let full = GatedProblem::new(x, y.to_vec(), loss, beta, exact, true)?;
    let exact_opt = solve_gated(full, &settings, |_| ControlFlow::Continue(()))?.bounds;
    let areas = region_areas(x, exact);
    let mut points = Vec::new();
    for &count in counts {
        let gates = PatternMode::Sampled { count, seed }.build(x)?;
        let pr = GatedProblem::new(x, y.to_vec(), loss, beta, &gates, false)?;
        let sol = solve_gated(pr.clone(), &settings, |_| ControlFlow::Continue(()))?;
        let point = ScenarioPoint {
            sampled: count,
            distinct: pr.p(),
            objective: sol.bounds.upper,
            lower_bound: sol.bounds.lower,
            violation_fraction: pr.violation_fraction(&sol.dual, exact, &areas),
            scenario_bound: scenario_bound(count, x.len(), SCENARIO_SLACK),
            gap_to_exact: (sol.bounds.upper - exact_opt.lower) / sol.bounds.upper.abs().max(1.0),
        };
        points.push(point);
        if on_point(&exact_opt, &point).is_break() {
            break;
        }
    }
    Ok((exact_opt, points))
}
