//! The formulations the explorer can show. Each lives in one file and implements
//! [`Formulation`]; adding a formulation means adding its file and one line to [`all`].
//! Nothing here touches egui: the worker threads call these.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use super::worker::{Optimum, ProblemInfo, Snapshot, ViewSpec};
use crate::error::Result;
use crate::geometry::{PatternMode, PatternSet};
use crate::model::{Loss, PolyActivation};
use crate::solve::poly_sgd::PolyRegularizer;
use crate::solve::{Iterate, Status};

mod gated;
mod path3;
pub mod poly;
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
    /// Polynomial activation (polynomial formulation only).
    pub poly: PolyActivation,
    /// Regularizer of the polynomial SGD runs.
    pub poly_reg: PolyRegularizer,
    /// Solve σ(t) = t² in its nuclear-norm form (FISTA) instead of the SDP-ADMM.
    pub poly_nuclear: bool,
    /// Number of classes (1 for binary or regression targets; `y` then holds labels 0..C−1).
    pub classes: usize,
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
    /// Problem facts shown once per run.
    fn info(&self, view: &ViewSpec) -> ProblemInfo;
    /// Everything the panels draw at this iterate (network, certified bounds, fields).
    fn snapshot(&self, iter: usize, view: &ViewSpec) -> Snapshot;
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
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum>;
    /// Whether its SGD comparison trains polynomial networks (else ReLU networks).
    fn is_poly(&self) -> bool {
        false
    }
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
