//! Robust ReLU (ℓ∞ adversarial) (formulations.md §E). Listed in the model list with its explanation;
//! the solver is not in this build yet, so choosing it shows why instead of solving.

use std::sync::atomic::AtomicBool;

use super::{Formulation, ProblemInput, Stepper, not_in_build};
use crate::app::worker::Optimum;
use crate::error::Result;

/// Robust ReLU (ℓ∞ adversarial).
pub struct RobustRelu;

impl Formulation for RobustRelu {
    fn id(&self) -> &'static str {
        "robust"
    }
    fn name(&self) -> &'static str {
        "Robust ReLU (ℓ∞ adversarial)"
    }
    fn summary(&self) -> &'static str {
        "Adversarial training under ‖δ‖∞ ≤ ε: every cone constraint and every loss term is taken\n\
         in the worst case over the box around each point, which stays convex (§E.2):\n\
         min Σⱼ max_{‖δⱼ‖∞≤ε} ℓ(f(xⱼ + δⱼ), yⱼ) + β Σᵢ (‖vᵢ‖ + ‖wᵢ‖), with robust cone constraints."
    }
    fn available(&self) -> std::result::Result<(), &'static str> {
        Err("§E; planned")
    }
    fn build(&self, _input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        Err(not_in_build(self))
    }
    fn optimum(&self, _input: &ProblemInput, _stop: &AtomicBool) -> Result<Optimum> {
        Err(not_in_build(self))
    }
}
