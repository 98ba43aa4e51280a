//! The two-layer ReLU network `f(x) = Σ_k α_k (x̃ᵀu_k)₊` with `x̃ = (x1, x2, 1)` (docs/math.md#notation, #relu-nonconvex),
//! evaluated anywhere in the plane, and its non-convex weight-decay objective.

use serde::{Deserialize, Serialize};

use super::Loss;
use crate::vec3::norm3;

/// One hidden neuron `u = (w1, w2, b)` with output weight `α`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Neuron {
    /// First-layer weights and bias `(w1, w2, b)`.
    pub u: [f64; 3],
    /// Output weight.
    pub alpha: f64,
}

impl Neuron {
    /// `‖u‖₂`.
    pub fn norm_u(&self) -> f64 {
        norm3(&self.u)
    }

    /// Pre-activation `x̃ᵀu` at a point.
    #[inline]
    pub fn pre(&self, x: [f64; 2]) -> f64 {
        self.u[0] * x[0] + self.u[1] * x[1] + self.u[2]
    }

    /// `α (x̃ᵀu)₊`.
    #[inline]
    pub fn output(&self, x: [f64; 2]) -> f64 {
        self.alpha * self.pre(x).max(0.0)
    }
}

/// A two-layer ReLU network without output bias (docs/math.md#conventions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReluNetwork {
    /// Hidden neurons.
    pub neurons: Vec<Neuron>,
}

impl ReluNetwork {
    /// Network output at one point.
    pub fn eval(&self, x: [f64; 2]) -> f64 {
        self.neurons.iter().map(|nr| nr.output(x)).sum()
    }

    /// Outputs on a list of points.
    pub fn predict(&self, x: &[[f64; 2]]) -> Vec<f64> {
        x.iter().map(|&p| self.eval(p)).collect()
    }

    /// Weight-decay term `(β/2) Σ_k (‖u_k‖² + α_k²)`.
    pub fn weight_decay(&self, beta: f64) -> f64 {
        0.5 * beta
            * self
                .neurons
                .iter()
                .map(|nr| nr.norm_u().powi(2) + nr.alpha * nr.alpha)
                .sum::<f64>()
    }

    /// Non-convex objective (NC) of docs/math.md#relu-nonconvex: `L(f(X), y) + (β/2) Σ (‖u_k‖² + α_k²)`.
    pub fn objective(&self, x: &[[f64; 2]], y: &[f64], loss: Loss, beta: f64) -> f64 {
        loss.total(&self.predict(x), y) + self.weight_decay(beta)
    }

    /// The same network with every neuron rescaled to `‖u‖ = |α|` (docs/math.md#relu-nonconvex rescaling lemma): same
    /// function, weight-decay term becomes `β Σ ‖u_k‖ |α_k|`, the least over all rescalings.
    pub fn balanced(&self) -> ReluNetwork {
        let neurons = self
            .neurons
            .iter()
            .filter_map(|nr| {
                let (nu, na) = (nr.norm_u(), nr.alpha.abs());
                if nu == 0.0 || na == 0.0 {
                    return None;
                }
                let t = (na / nu).sqrt();
                Some(Neuron {
                    u: [nr.u[0] * t, nr.u[1] * t, nr.u[2] * t],
                    alpha: nr.alpha / t,
                })
            })
            .collect();
        ReluNetwork { neurons }
    }
}
