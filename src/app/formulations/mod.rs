//! The formulations the explorer can show. Each lives in one file and implements
//! [`Formulation`]; adding a formulation means adding its file and one line to [`all`].
//! Nothing here touches egui: the worker threads call these.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use crate::convex::ReluProblem;
use crate::error::Result;
use crate::geometry::{PatternMode, PatternSet};
use crate::model::{Loss, ReluNetwork};
use crate::solve::{Iterate, Solution, Status};

mod gated;
mod path3;
mod poly;
mod relu;
mod robust;

/// What a formulation is built from (training points only).
#[derive(Debug, Clone)]
pub struct ProblemInput {
    /// Inputs.
    pub x: Vec<[f64; 2]>,
    /// Targets.
    pub y: Vec<f64>,
    /// Loss.
    pub loss: Loss,
    /// β.
    pub beta: f64,
    /// Pattern choice.
    pub patterns: PatternMode,
    /// Initial ADMM penalty.
    pub rho: f64,
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// The exact region set of `x`, enumerated once by whichever thread needs it first.
    pub exact: Arc<OnceLock<std::result::Result<Arc<PatternSet>, String>>>,
}

impl ProblemInput {
    /// The exact region set (computed on first use, off the UI thread).
    pub fn exact(&self) -> Result<Arc<PatternSet>> {
        self.exact
            .get_or_init(|| {
                crate::geometry::enumerate_exact(&self.x)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(crate::Error::Numerical)
    }
}

/// A solver the app can single-step.
pub trait Stepper: Send {
    /// One iteration; `None` once the solver has finished (see [`Stepper::status`]).
    fn step(&mut self) -> Option<Iterate>;
    /// Running, or the final status.
    fn status(&self) -> Status;
    /// Whether the solver has finished.
    fn is_done(&self) -> bool;
    /// The network of the current iterate (an achievable upper bound).
    fn network(&self) -> ReluNetwork;
    /// The problem (data, loss, β, patterns; certifies any network exactly).
    fn problem(&self) -> &ReluProblem;
    /// Changes β keeping the iterate (a warm-started regularisation path).
    fn set_beta(&mut self, beta: f64) -> Result<()>;
    /// Current ADMM penalty ρ (NaN if the solver has none).
    fn rho(&self) -> f64;
}

/// One formulation in the model list.
pub trait Formulation: Sync {
    /// Stable id used in session files.
    fn id(&self) -> &'static str;
    /// Name in the model list.
    fn name(&self) -> &'static str;
    /// "What is being solved", with its equations in Unicode math.
    fn summary(&self) -> &'static str;
    /// `Err(reason)` when this build cannot solve it yet.
    fn available(&self) -> std::result::Result<(), &'static str>;
    /// Builds the steppable solver.
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>>;
    /// Solves to the certified tolerance (the optimum line of the objective plot); `stop` ends
    /// the run early.
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Solution>;
}

/// Every formulation, in model-list order.
pub fn all() -> [&'static dyn Formulation; 5] {
    [
        &relu::ConvexRelu,
        &gated::GatedRelu,
        &robust::RobustRelu,
        &poly::PolySdp,
        &path3::PathRegularized,
    ]
}

/// The formulation with this id.
pub fn by_id(id: &str) -> Option<&'static dyn Formulation> {
    all().into_iter().find(|f| f.id() == id)
}

/// The error of a formulation that is listed but not in this build.
pub(crate) fn not_in_build(f: &dyn Formulation) -> crate::Error {
    crate::Error::InvalidSetting(format!(
        "{} is not available in this build: {}",
        f.name(),
        f.available().err().unwrap_or("")
    ))
}
