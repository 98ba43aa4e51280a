//! Gated ReLU (unconstrained) (formulations.md §C). Listed in the model list with its explanation;
//! the solver is not in this build yet, so choosing it shows why instead of solving.

use std::sync::atomic::AtomicBool;

use super::{Formulation, ProblemInput, Stepper, not_in_build};
use crate::app::worker::Optimum;
use crate::error::Result;

/// Gated ReLU (unconstrained).
pub struct GatedRelu;

impl Formulation for GatedRelu {
    fn id(&self) -> &'static str {
        "gated"
    }
    fn name(&self) -> &'static str {
        "Gated ReLU (unconstrained)"
    }
    fn summary(&self) -> &'static str {
        "Gated ReLU replaces the ReLU by a fixed gate: f(x) = Σᵢ 1[gᵢᵀx̃ > 0] · x̃ᵀwᵢ.\n\
         Its training problem min ℓ(Σᵢ DᵢX̃wᵢ, y) + β Σᵢ ‖wᵢ‖ has no cone constraints (a group lasso),\n\
         so it is a relaxation of the convex ReLU program; cone decomposition maps its solution back\n\
         to a ReLU network (§C.2)."
    }
    fn available(&self) -> std::result::Result<(), &'static str> {
        Err("§C; planned, solved by R-FISTA")
    }
    fn build(&self, _input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        Err(not_in_build(self))
    }
    fn optimum(&self, _input: &ProblemInput, _stop: &AtomicBool) -> Result<Optimum> {
        Err(not_in_build(self))
    }
}
