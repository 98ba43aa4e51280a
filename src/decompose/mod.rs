//! From convex solutions back to networks (formulations.md §A.4, §F.3).

pub mod poly;
pub mod relu;
