//! Networks and losses (formulations.md §A.1, §A.3, §D.3 proxes, §G.1 duals).

pub mod loss;
pub mod network;

pub use loss::Loss;
pub use network::{Neuron, ReluNetwork};
