//! Polynomial activation (SDP) (formulations.md §F). Listed in the model list with its explanation;
//! the solver is not in this build yet, so choosing it shows why instead of solving.

use std::sync::atomic::AtomicBool;

use super::{Formulation, ProblemInput, Stepper, not_in_build};
use crate::error::Result;
use crate::solve::Solution;

/// Polynomial activation (SDP).
pub struct PolySdp;

impl Formulation for PolySdp {
    fn id(&self) -> &'static str {
        "poly"
    }
    fn name(&self) -> &'static str {
        "Polynomial activation (SDP)"
    }
    fn summary(&self) -> &'static str {
        "σ(t) = a t² + b t + c. With unit-norm first layer and ℓ1 output weights, training is exactly\n\
         the semidefinite program over Z = [Z₁ Z₂; Z₂ᵀ Z₄] ⪰ 0 (one pair Z₊, Z₋):\n\
         ŷⱼ = a x̃ⱼᵀZ₁x̃ⱼ + b x̃ⱼᵀZ₂ + c Z₄, min ℓ(ŷ, y) + β (Z₄₊ + Z₄₋).\n\
         Neural Decomposition splits Z into rank-one neurons (§F.3)."
    }
    fn available(&self) -> std::result::Result<(), &'static str> {
        Err("§F; arrives with issue 5")
    }
    fn build(&self, _input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        Err(not_in_build(self))
    }
    fn optimum(&self, _input: &ProblemInput, _stop: &AtomicBool) -> Result<Solution> {
        Err(not_in_build(self))
    }
}
