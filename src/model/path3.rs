//! The parallel three-layer ReLU network with a path regularizer (docs/math.md#path3):
//! `f(x) = Σ_k a_k (Σ_j s_kj (x̃ᵀu_kj)₊)₊` with `x̃ = (x₁, x₂, 1)`, regularized by
//! `R = Σ_k Σ_j |a_k| |s_kj| ‖u_kj‖` (ℓ1 over the neurons' paths, ℓ2 over the input
//! coordinates).

use serde::{Deserialize, Serialize};

use crate::vec3::norm3;

/// A first-layer neuron of a sub-network: direction `u` (with bias) and second-layer weight `s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Path3Neuron {
    /// First-layer weights `(w₁, w₂, b)`.
    pub u: [f64; 3],
    /// Weight into the sub-network's second-layer neuron.
    pub s: f64,
}

impl Path3Neuron {
    /// `s·(x̃ᵀu)₊`.
    #[inline]
    pub fn eval(&self, x: [f64; 2]) -> f64 {
        self.s * (self.u[0] * x[0] + self.u[1] * x[1] + self.u[2]).max(0.0)
    }
}

/// One sub-network: its first-layer neurons feed one second-layer ReLU with output weight `a`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SubNetwork {
    /// Output weight.
    pub a: f64,
    /// First-layer neurons.
    pub neurons: Vec<Path3Neuron>,
}

impl SubNetwork {
    /// The second-layer pre-activation `z(x) = Σ_j s_j (x̃ᵀu_j)₊`.
    pub fn pre(&self, x: [f64; 2]) -> f64 {
        self.neurons.iter().map(|n| n.eval(x)).sum()
    }

    /// `a·(z(x))₊`.
    pub fn eval(&self, x: [f64; 2]) -> f64 {
        self.a * self.pre(x).max(0.0)
    }

    /// `Σ_j |s_j|‖u_j‖` (the sub-network's path cost before `|a|`).
    pub fn inner_cost(&self) -> f64 {
        self.neurons.iter().map(|n| n.s.abs() * norm3(&n.u)).sum()
    }
}

/// A parallel three-layer ReLU network.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Path3Network {
    /// The sub-networks.
    pub subnets: Vec<SubNetwork>,
}

impl Path3Network {
    /// `f(x)`.
    pub fn eval(&self, x: [f64; 2]) -> f64 {
        self.subnets.iter().map(|k| k.eval(x)).sum()
    }

    /// `f` at every point.
    pub fn predict(&self, xs: &[[f64; 2]]) -> Vec<f64> {
        xs.iter().map(|&p| self.eval(p)).collect()
    }

    /// The path regularizer `R = Σ_k |a_k| Σ_j |s_kj| ‖u_kj‖`.
    pub fn path_cost(&self) -> f64 {
        self.subnets
            .iter()
            .map(|k| k.a.abs() * k.inner_cost())
            .sum()
    }

    /// `½ Σ_j (f(x_j) − y_j)² + β R`.
    pub fn objective(&self, x: &[[f64; 2]], y: &[f64], beta: f64) -> f64 {
        let loss: f64 = self
            .predict(x)
            .iter()
            .zip(y)
            .map(|(f, t)| 0.5 * (f - t) * (f - t))
            .sum();
        loss + beta * self.path_cost()
    }

    /// First-layer neurons over all sub-networks.
    pub fn neuron_count(&self) -> usize {
        self.subnets.iter().map(|k| k.neurons.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_neuron_subnetwork_is_a_two_layer_neuron() {
        // a·(s(x̃ᵀu)₊)₊ = a·s·(x̃ᵀu)₊ for s > 0, with cost |a|·s·‖u‖.
        let net = Path3Network {
            subnets: vec![SubNetwork {
                a: -2.0,
                neurons: vec![Path3Neuron {
                    u: [1.0, -2.0, 0.5],
                    s: 0.5,
                }],
            }],
        };
        let x = [0.3, -0.4];
        let pre: f64 = 0.3 - 2.0 * -0.4 + 0.5;
        assert!((net.eval(x) - (-2.0 * 0.5 * pre)).abs() < 1e-15);
        assert!((net.path_cost() - 2.0 * 0.5 * (1.0f64 + 4.0 + 0.25).sqrt()).abs() < 1e-15);
        // The second ReLU cuts a negative pre-activation.
        let off = Path3Network {
            subnets: vec![SubNetwork {
                a: 1.0,
                neurons: vec![Path3Neuron {
                    u: [1.0, 0.0, 0.0],
                    s: -1.0,
                }],
            }],
        };
        assert_eq!(off.eval([2.0, 0.0]), 0.0);
    }
}
