//! From convex solutions back to networks (docs/math.md#neuron-recovery, #neural-decomposition).

pub mod path3;
pub mod poly;
pub mod relu;
