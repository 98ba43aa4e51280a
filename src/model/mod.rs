//! Networks and losses (formulations.md §A.1, §A.3, §D.3 proxes, §F.1, §G.1 duals).

pub mod loss;
pub mod network;
pub mod poly;

pub use loss::Loss;
pub use network::{Neuron, ReluNetwork};
pub use poly::{PolyActivation, PolyNetwork, PolyNeuron};
