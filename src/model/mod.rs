//! Networks and losses (docs/math.md#relu-nonconvex, #losses, #admm proxes, docs/math.md#poly-model, #dual duals).

pub mod loss;
pub mod network;
pub mod path3;
pub mod poly;
pub mod worst_case;

pub use loss::{Loss, TrainingLoss};
pub use network::{Neuron, ReluNetwork};
pub use poly::{PolyActivation, PolyNetwork, PolyNeuron};
