//! Convex formulations, one file each (docs/math.md#relu-convex, …).

pub mod gated;
pub mod poly;
pub mod relu;
pub mod robust;

pub use poly::PolyProblem;
pub use relu::{BlockVec, ReluProblem};
