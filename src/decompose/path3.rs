//! Minimal parallel three-layer networks (docs/math.md#path3): Carathéodory pruning inside
//! every sub-network (its first-layer neurons, keeping its second-layer pre-activation on the
//! data) and then across sub-networks (keeping the output on the data). Neither step changes
//! the predictions on the data or lets the path cost grow, so an optimal network stays optimal
//! with at most `n` neurons per sub-network and at most `n` sub-networks.

use super::relu::{caratheodory, prune as prune_two_layer};
use crate::model::path3::{Path3Network, Path3Neuron, SubNetwork};
use crate::model::{Neuron, ReluNetwork};

/// The pruned network.
pub fn prune(net: &Path3Network, x: &[[f64; 2]]) -> Path3Network {
    // Inside: z = Σ_j s_j(X̃u_j)₊ is a two-layer network with output weights s_j.
    let subnets: Vec<SubNetwork> = net
        .subnets
        .iter()
        .filter(|k| k.a != 0.0)
        .map(|k| {
            let inner = ReluNetwork {
                neurons: k
                    .neurons
                    .iter()
                    .map(|n| Neuron { u: n.u, alpha: n.s })
                    .collect(),
            };
            SubNetwork {
                a: k.a,
                neurons: prune_two_layer(&inner, x)
                    .neurons
                    .into_iter()
                    .filter(|n| n.alpha != 0.0 && n.u != [0.0; 3])
                    .map(|n| Path3Neuron { u: n.u, s: n.alpha })
                    .collect(),
            }
        })
        .filter(|k| !k.neurons.is_empty())
        .collect();
    // Across: columns a_k(z_k)₊ with costs |a_k|·Σ_j|s_kj|‖u_kj‖; a factor scales a_k.
    let features: Vec<Vec<f64>> = subnets
        .iter()
        .map(|k| x.iter().map(|&p| k.eval(p)).collect())
        .collect();
    let costs: Vec<f64> = subnets.iter().map(|k| k.a.abs() * k.inner_cost()).collect();
    let factors = caratheodory(&features, &costs);
    Path3Network {
        subnets: subnets
            .into_iter()
            .zip(factors)
            .filter(|(_, f)| *f > 0.0)
            .map(|(k, f)| SubNetwork { a: k.a * f, ..k })
            .collect(),
    }
}
