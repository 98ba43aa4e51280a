//! From convex solutions back to networks (formulations.md §A.4; later §F.3).

pub mod relu;
