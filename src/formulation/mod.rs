//! The formulations: one registry shared by the command line and the desktop explorer.
//!
//! A formulation is one training problem with its convex program (see `docs/math.md`): how to
//! build it from the data, a solver that can be stepped one iteration at a time (what the
//! explorer animates), its certified optimum, the gradient-trained networks it is compared
//! against, its command-line report (text and JSON) and its explanation. Each lives in one
//! file (or folder) below this module and implements [`Formulation`]; [`all`] lists them in
//! model-list order, and the id of each is what `solve --model ID`, `sgd --model ID` and the
//! app's session files use. Formulations that are planned but not built yet are data
//! ([`PLANNED`]), not code. `docs/contributing.md` says which files a new formulation touches.
//!
//! Data flow, one way: dataset → patterns → problem ([`ProblemInput`], built by a
//! formulation) → iterates ([`Stepper`]) → [`Snapshot`]s → the app's panels or the CLI's
//! report. Nothing here uses threads or a GUI.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use crate::certify::Bounds;
use crate::error::{Error, Result};
use crate::geometry::{PatternMode, PatternSet};
use crate::model::{Loss, PolyActivation, PolyNetwork, ReluNetwork};
use crate::solve::poly_sgd::PolyRegularizer;
use crate::solve::working_set::WorkingSetSolver;
use crate::solve::{Iterate, Optimizer, Status};

pub mod args;
pub mod gated;
pub mod max_margin;
pub mod path3;
pub mod poly;
pub mod relu;
pub mod report;
pub mod robust;
pub mod snapshot;

pub use args::Args;
pub use snapshot::{
    DualChoice, DualView, GatedView, Metrics, ModelKind, ModelSnapshot, PolySnapshot,
    ProblemDetail, ProblemInfo, ReluSnapshot, RobustView, SeedScore, SgdPoint, SgdSnapshot,
    Snapshot, ViewSpec,
};

/// Options of the polynomial-activation formulation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PolyOptions {
    /// The activation `σ(t) = a t² + b t + c`.
    pub activation: PolyActivation,
    /// Regularizer of the gradient-trained comparison networks.
    pub regularizer: PolyRegularizer,
    /// Solve `σ(t) = t²` in its nuclear-norm form (FISTA) instead of the SDP-ADMM.
    pub nuclear: bool,
}

/// What a formulation is built from: the training points and the settings. A formulation
/// reads the settings that apply to it (like a solver's settings struct).
#[derive(Debug, Clone)]
pub struct ProblemInput {
    /// Inputs.
    pub x: Vec<[f64; 2]>,
    /// Targets: ±1 labels, real values, or class labels `0..C−1` when `classes > 1`.
    pub y: Vec<f64>,
    /// Loss.
    pub loss: Loss,
    /// Regularization strength β.
    pub beta: f64,
    /// Activation patterns: all regions, or a seeded sample.
    pub patterns: PatternMode,
    /// Initial ADMM penalty ρ.
    pub rho: f64,
    /// Convex ReLU: the first-order method before the exact polish.
    pub method: crate::solve::driver::Method,
    /// Robust ReLU: the ℓ∞ radius ε of the boxes around the training points.
    pub epsilon: f64,
    /// Certified relative-gap tolerance.
    pub tol: f64,
    /// Polynomial-activation options.
    pub poly: PolyOptions,
    /// Number of classes (1 for binary or regression targets).
    pub classes: usize,
    /// The exact region set of `x`, enumerated once by whichever thread needs it first.
    pub exact: Arc<OnceLock<std::result::Result<Arc<PatternSet>, String>>>,
    /// The working-set solver of the last optimum, kept across edits (the app shares one slot
    /// between restarts, so dragging a point re-certifies from the previous working set).
    pub warm: WarmSlot,
}

/// A slot holding a [`WorkingSetSolver`] between solves (a warm start). A solve takes the solver
/// out and puts it back when done, so concurrent solves never wait for each other: one of them
/// starts cold.
#[derive(Clone, Default)]
pub struct WarmSlot(Arc<std::sync::Mutex<Option<Box<WorkingSetSolver>>>>);

impl std::fmt::Debug for WarmSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WarmSlot")
    }
}

impl WarmSlot {
    /// Takes the solver out (`None` when empty or in use).
    pub fn take(&self) -> Option<Box<WorkingSetSolver>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Puts a solver back for the next solve.
    pub fn put(&self, ws: Box<WorkingSetSolver>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(ws);
    }
}

impl ProblemInput {
    /// Input for `x, y` with default settings.
    pub fn new(x: Vec<[f64; 2]>, y: Vec<f64>, loss: Loss, beta: f64) -> Self {
        Self {
            x,
            y,
            loss,
            beta,
            patterns: PatternMode::Exact,
            rho: crate::solve::AdmmSettings::default().rho,
            method: Default::default(),
            epsilon: 0.05,
            tol: 1e-6,
            poly: PolyOptions::default(),
            classes: 1,
            exact: Default::default(),
            warm: Default::default(),
        }
    }

    /// The exact region set (computed on first use).
    pub fn exact(&self) -> Result<Arc<PatternSet>> {
        self.exact
            .get_or_init(|| {
                crate::geometry::enumerate_exact(&self.x)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(Error::Numerical)
    }
}

/// A solver callback that stops the run once `stop` is set (the app cancels an optimum solve).
pub fn until_stopped(stop: &AtomicBool) -> impl FnMut(&Iterate) -> std::ops::ControlFlow<()> + '_ {
    move |_| {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
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

/// Settings of the gradient-trained comparison networks.
#[derive(Debug, Clone)]
pub struct SgdJob {
    /// Hidden width.
    pub width: usize,
    /// Seeds 1..=seeds.
    pub seeds: usize,
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Learning rate.
    pub lr: f64,
    /// Epochs.
    pub epochs: usize,
    /// Adversarial training, for the formulations that train on attacks (the robust model
    /// applies it; [`SgdJob::settings`] is plain training).
    pub adversarial: crate::solve::sgd::Adversarial,
    /// The loss of the max-margin model's unregularized runs.
    pub margin_loss: crate::solve::maxmargin::MarginLoss,
}

impl SgdJob {
    /// The trainer settings of seed `seed` (constant learning rate: the window shows the run as
    /// it goes).
    pub fn settings(&self, seed: u64) -> crate::solve::SgdSettings {
        crate::solve::SgdSettings {
            width: self.width.max(1),
            lr: self.lr,
            lr_final: self.lr,
            epochs: self.epochs,
            optimizer: self.optimizer,
            seed,
            ..crate::solve::SgdSettings::default()
        }
    }
}

/// Gradient-trained networks of one formulation, all seeds in lockstep.
pub trait SgdRun: Send {
    /// Number of seeds.
    fn seeds(&self) -> usize;
    /// One epoch of every seed: (seconds, objective) per seed.
    fn step(&mut self) -> Vec<(f64, f64)>;
    /// The networks of every seed with certified bounds and test metrics.
    fn snapshot(&self, epoch: usize, view: &ViewSpec) -> SgdSnapshot;
}

/// A trained network of some formulation.
#[derive(Debug, Clone)]
pub enum ModelNetwork {
    /// A two-layer ReLU network.
    Relu(ReluNetwork),
    /// Polynomial-activation networks, one per output.
    Poly(Vec<PolyNetwork>),
    /// A parallel three-layer ReLU network.
    Path3(crate::model::path3::Path3Network),
}

impl ModelNetwork {
    /// The ReLU network, if it is one.
    pub fn relu(&self) -> Option<&ReluNetwork> {
        match self {
            Self::Relu(n) => Some(n),
            _ => None,
        }
    }
    /// The polynomial networks (one per output), if they are.
    pub fn poly(&self) -> Option<&[PolyNetwork]> {
        match self {
            Self::Poly(n) => Some(n),
            _ => None,
        }
    }
    /// Number of neurons.
    pub fn neurons(&self) -> usize {
        match self {
            Self::Relu(n) => n.neurons.len(),
            Self::Poly(n) => n.iter().map(|n| n.neurons.len()).sum(),
            Self::Path3(n) => n.neuron_count(),
        }
    }
}

/// The certified optimum of a formulation.
#[derive(Debug, Clone)]
pub struct Optimum {
    /// Certified bounds (the optimum lies between them).
    pub bounds: Bounds,
    /// Final status.
    pub status: Status,
    /// Wall time.
    pub seconds: f64,
    /// The optimal network.
    pub network: ModelNetwork,
    /// For a relaxation: the name and certified bounds of the optimum of the program it relaxes
    /// (drawn as a second line, so the relaxation gap shows).
    pub relaxes: Option<(&'static str, Bounds)>,
    /// Whether `bounds.lower` is a certified lower bound. A restricted program's optimum is the
    /// objective of a real network only (an upper bound): the app then shows no `p*` interval
    /// and measures no gap against it.
    pub certified: bool,
}

/// What a large problem will cost, shown before it is started.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeWarning {
    /// One paragraph: sizes, memory and time estimates, what is proposed instead.
    pub text: String,
    /// Whether switching to sampled patterns is the proposed alternative.
    pub propose_sampled: bool,
}

/// Flags of one command-line subcommand of a formulation (beyond the common ones).
#[derive(Debug, Clone, Copy, Default)]
pub struct CliFlags {
    /// Flags taking a value.
    pub values: &'static [&'static str],
    /// Switches.
    pub switches: &'static [&'static str],
}

/// One formulation in the registry.
pub trait Formulation: Sync {
    /// Stable id: `--model ID` on the command line, the model in session files.
    fn id(&self) -> &'static str;
    /// Name in the model list.
    fn name(&self) -> &'static str;
    /// "What is being solved", with its equations in Unicode math.
    fn summary(&self) -> &'static str;
    /// What its snapshots carry (which panels draw them).
    fn kind(&self) -> ModelKind;
    /// Whether the activation-pattern settings (exact or sampled) apply.
    fn uses_patterns(&self) -> bool {
        true
    }
    /// Whether the loss and β settings apply (not for the max-margin program).
    fn uses_loss_and_beta(&self) -> bool {
        true
    }
    /// Whether it takes class labels `0..C−1` (vector outputs).
    fn multiclass(&self) -> bool {
        false
    }
    /// A warning to show, and have the user confirm, before building a problem this large;
    /// `None` when it is quick.
    fn size_warning(&self, _input: &ProblemInput) -> Option<SizeWarning> {
        None
    }
    /// Builds the steppable solver.
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>>;
    /// Solves to the certified tolerance (the optimum line of the objective plot); `stop` ends
    /// the run early.
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum>;
    /// Gradient-trained networks of the same model, seeds `1..=job.seeds`.
    fn sgd(&self, input: &ProblemInput, job: &SgdJob) -> Result<Box<dyn SgdRun>>;
    /// Flags of `solve --model ID` beyond the common ones ([`args::SOLVE_FLAGS`]).
    fn solve_flags(&self) -> CliFlags {
        CliFlags::default()
    }
    /// `solve --model ID`: solves and returns the report (JSON with `--json`, text otherwise).
    fn solve_cli(&self, args: &Args) -> Result<String>;
    /// Flags of `sgd --model ID` beyond the common ones ([`args::SGD_FLAGS`]).
    fn sgd_flags(&self) -> CliFlags {
        CliFlags::default()
    }
    /// `sgd --model ID`: trains seeds, certifies each, and returns the report.
    fn sgd_cli(&self, args: &Args) -> Result<String>;
}

/// Every formulation in this build, in model-list order.
pub fn all() -> [&'static dyn Formulation; 6] {
    [
        &relu::ConvexRelu,
        &gated::GatedRelu,
        &robust::RobustRelu,
        &max_margin::MaxMargin,
        &path3::Path3,
        &poly::PolySdp,
    ]
}

/// The formulation with this id.
pub fn by_id(id: &str) -> Option<&'static dyn Formulation> {
    all().into_iter().find(|f| f.id() == id)
}

/// A formulation that is planned but not in this build: listed (greyed out) with its reason.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    /// The id it will have.
    pub id: &'static str,
    /// Name in the model list.
    pub name: &'static str,
    /// What it solves.
    pub summary: &'static str,
    /// Why it is not here yet.
    pub reason: &'static str,
}

/// The planned formulations (see `docs/math.md` for their programs): none at the moment.
pub const PLANNED: [Planned; 0] = [];

/// The planned formulation with this id.
pub fn planned(id: &str) -> Option<&'static Planned> {
    PLANNED.iter().find(|p| p.id == id)
}

/// The formulation with this id, or a message naming what exists.
pub fn lookup(id: &str) -> Result<&'static dyn Formulation> {
    if let Some(f) = by_id(id) {
        return Ok(f);
    }
    if let Some(p) = planned(id) {
        return Err(Error::InvalidSetting(format!(
            "--model {id}: not available in this version yet ({}); available: {}",
            p.reason,
            ids().join(", ")
        )));
    }
    let mut known = ids();
    known.extend(PLANNED.iter().map(|p| p.id));
    Err(Error::InvalidSetting(format!(
        "--model {id:?}: expected one of {}",
        known.join(", ")
    )))
}

/// The ids of the formulations in this build.
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|f| f.id()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_planned_ids_are_not_built() {
        let mut ids = ids();
        ids.extend(PLANNED.iter().map(|p| p.id));
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate formulation id");
        assert!(lookup("relu").is_ok());
        assert!(lookup("gated-relu").is_ok());
        assert!(lookup("robust-relu").is_ok());
        assert!(lookup("max-margin").is_ok());
        assert!(lookup("path3").is_ok());
        assert!(lookup("nonsense").is_err());
    }

    fn assert_send<T: Send>() {}

    #[test]
    fn types_crossing_threads_are_send() {
        assert_send::<ProblemInput>();
        assert_send::<Snapshot>();
        assert_send::<SgdSnapshot>();
        assert_send::<Optimum>();
        assert_send::<Box<dyn Stepper>>();
        assert_send::<Box<dyn SgdRun>>();
    }
}
