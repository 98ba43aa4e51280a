//! Convex formulations, one file each (formulations.md §A, …).

pub mod poly;
pub mod relu;

pub use poly::PolyProblem;
pub use relu::{BlockVec, ReluProblem};
