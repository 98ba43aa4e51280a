//! The exact convex ReLU program (formulations.md §A.2) solved by ADMM (§D) — the
//! steppable [`Driver`]: ADMM iterations then exact polish rounds — with the certified optimum from the polished driver [`solve_relu`].

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Formulation, ProblemInput, Stepper};
use crate::app::worker::{Optimum, ProblemInfo, Snapshot, ViewSpec, relu_info, relu_snapshot};
use crate::convex::ReluProblem;
use crate::error::Result;
use crate::geometry::PatternMode;
use crate::solve::driver::Driver;
use crate::solve::{AdmmSettings, Iterate, SolveSettings, Status, solve_relu};

/// Convex ReLU (exact or sampled patterns).
pub struct ConvexRelu;

fn problem(input: &ProblemInput, mode: PatternMode) -> Result<ReluProblem> {
    ReluProblem::with_exact(
        input.x.clone(),
        input.y.clone(),
        input.loss,
        input.beta,
        mode,
        input.exact()?,
    )
}

impl Formulation for ConvexRelu {
    fn id(&self) -> &'static str {
        "relu"
    }
    fn name(&self) -> &'static str {
        "Convex ReLU (exact)"
    }
    fn summary(&self) -> &'static str {
        "Two-layer ReLU net f(x) = Σₖ αₖ (uₖᵀx̃)₊, x̃ = (x, 1), trained with weight decay\n\
         min ℓ(f(X), y) + β/2 Σₖ (‖uₖ‖² + αₖ²)\n\
         is exactly the convex program over the activation patterns Dᵢ = diag(1[Xuᵢ > 0]):\n\
         min ℓ(Σᵢ DᵢX̃(vᵢ − wᵢ), y) + β Σᵢ (‖vᵢ‖ + ‖wᵢ‖)\n\
         s.t. (2Dᵢ − I)X̃vᵢ ≥ 0, (2Dᵢ − I)X̃wᵢ ≥ 0.\n\
         Each non-zero block is one neuron: u = v/√‖v‖, α = ±√‖v‖. ADMM splits the cone \
         constraints off; its u-update is a Woodbury solve with an n×n matrix. The lower bound \
         is the dual objective at a scaled residual, certified over all regions."
    }
    fn available(&self) -> std::result::Result<(), &'static str> {
        Ok(())
    }
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        // Watching needs certified bounds at every step; on larger data every 5th (each check
        // is an exact certificate over all regions).
        // ADMM is what one watches; after 150 iterations (or once its certified gap is below
        // 10⁻³) exact polish rounds with column generation finish the job, one step each.
        let settings = SolveSettings {
            admm: AdmmSettings {
                rho: input.rho,
                check_every: if input.x.len() <= 120 { 1 } else { 5 },
                ..AdmmSettings::default()
            },
            tol: input.tol,
            max_iter: 1_000_000,
            polish_after: 150,
            ..SolveSettings::default()
        };
        let driver = Driver::new(problem(input, input.patterns)?, &settings)?;
        Ok(Box::new(DriverStepper(driver)))
    }
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum> {
        // The optimum of the *exact* program: the global optimum of the network, whatever
        // patterns the stepped solver uses.
        let settings = SolveSettings {
            tol: input.tol,
            admm: AdmmSettings {
                rho: input.rho,
                ..AdmmSettings::default()
            },
            ..SolveSettings::default()
        };
        let sol = solve_relu(problem(input, PatternMode::Exact)?, &settings, |_| {
            if stop.load(Ordering::Relaxed) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(Optimum {
            bounds: sol.bounds,
            status: sol.status,
            seconds: sol.seconds,
            neurons: sol.network.neurons.len(),
            network: sol.network,
            poly: None,
        })
    }
}

struct DriverStepper(Driver);

impl Stepper for DriverStepper {
    fn step(&mut self) -> Option<Iterate> {
        self.0.step()
    }
    fn status(&self) -> Status {
        self.0.status()
    }
    fn is_done(&self) -> bool {
        self.0.is_done()
    }
    fn info(&self, view: &ViewSpec) -> ProblemInfo {
        relu_info(self.0.problem(), view)
    }
    fn snapshot(&self, iter: usize, view: &ViewSpec) -> Snapshot {
        relu_snapshot(self.0.problem(), self.0.network(), iter, view)
    }
    fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.0.set_beta(beta)
    }
    fn rho(&self) -> f64 {
        self.0.rho()
    }
}
