//! Solvers: ADMM for the convex ReLU program (docs/math.md#admm) with the Woodbury u-update,
//! the exact polish by an interior-point solver on the active blocks, and the certified driver;
//! R-FISTA and the certified driver of the gated ReLU program.

pub mod admm;
pub mod auglag;
mod conic;
pub mod driver;
pub mod fc3;
pub mod gated;
pub mod maxmargin;
pub mod nuclear;
pub mod path3;
pub mod path3_sgd;
pub mod polish;
pub mod poly_sgd;
pub mod progress;
pub mod rfista;
pub mod robust;
pub mod robust_al;
pub mod scenario;
pub mod sdp;
pub mod sgd;
mod squared_ip;
pub mod woodbury;
pub mod working_set;

pub use admm::{Admm, AdmmSettings};
pub use driver::{Solution, SolveSettings, solve_relu};
pub use progress::{Iterate, Phase, Status};
pub use sdp::{PolyDriver, PolySettings, PolySolution, solve_poly};
pub use sgd::{EpochReport, Optimizer, SgdSettings, SgdTrainer, train_seeds};
