//! Path-regularized 3-layer (formulations.md §H). Listed in the model list with its explanation;
//! the solver is not in this build yet, so choosing it shows why instead of solving.

use std::sync::atomic::AtomicBool;

use super::{Formulation, ProblemInput, Stepper, not_in_build};
use crate::app::worker::Optimum;
use crate::error::Result;

/// Path-regularized 3-layer.
pub struct PathRegularized;

impl Formulation for PathRegularized {
    fn id(&self) -> &'static str {
        "path3"
    }
    fn name(&self) -> &'static str {
        "Path-regularized 3-layer"
    }
    fn summary(&self) -> &'static str {
        "Parallel three-layer ReLU networks with path regularization β Σ ‖path weights‖ have a\n\
         convex equivalent over pairs of activation patterns (§H.2); the app would show it with an\n\
         approximate sampled-pattern solver (§H.3)."
    }
    fn available(&self) -> std::result::Result<(), &'static str> {
        Err("§H; planned")
    }
    fn build(&self, _input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        Err(not_in_build(self))
    }
    fn optimum(&self, _input: &ProblemInput, _stop: &AtomicBool) -> Result<Optimum> {
        Err(not_in_build(self))
    }
}
