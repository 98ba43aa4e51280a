//! Convex formulations, one file each (formulations.md §A, …).

pub mod relu;

pub use relu::{BlockVec, ReluProblem};
