//! Two-layer networks with a degree-2 polynomial activation σ(t) = a t² + b t + c
//! (docs/math.md#poly-model): `f(x) = Σ_k α_k σ(x̃ᵀu_k)` with unit-norm `u_k` (bias included, docs/math.md#conventions),
//! and the lifting identity `σ(x̃ᵀu) = ⟨M(x̃), [u;1][u;1]ᵀ⟩` of docs/math.md#poly-sdp.

use nalgebra::Matrix4;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The activation σ(t) = a t² + b t + c.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolyActivation {
    /// Quadratic coefficient.
    pub a: f64,
    /// Linear coefficient.
    pub b: f64,
    /// Constant.
    pub c: f64,
}

impl Default for PolyActivation {
    fn default() -> Self {
        Self::RELU_LIKE
    }
}

impl PolyActivation {
    /// The ReLU imitation of the official notebook (docs/math.md#poly-coefficients).
    pub const RELU_LIKE: Self = Self {
        a: 0.09,
        b: 0.5,
        c: 0.47,
    };
    /// The swish imitation (least-squares fit on [−5, 5], docs/math.md#poly-coefficients).
    pub const SWISH_LIKE: Self = Self {
        a: 0.1025,
        b: 0.5,
        c: 0.2397,
    };
    /// σ(t) = t².
    pub const SQUARE: Self = Self {
        a: 1.0,
        b: 0.0,
        c: 0.0,
    };

    /// `relu` (ReLU-like), `swish` (swish-like), `square`, or three numbers `A,B,C`.
    pub fn parse(s: &str) -> Result<Self> {
        let act = match s.trim() {
            "relu" | "relu-like" => Self::RELU_LIKE,
            "swish" | "swish-like" => Self::SWISH_LIKE,
            "square" => Self::SQUARE,
            other => {
                let parts: Vec<&str> = other.split(',').map(str::trim).collect();
                let nums: Vec<f64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
                if parts.len() != 3 || nums.len() != 3 {
                    return Err(Error::InvalidSetting(format!(
                        "--poly {other:?}: expected A,B,C (three numbers) or relu, swish, square"
                    )));
                }
                Self {
                    a: nums[0],
                    b: nums[1],
                    c: nums[2],
                }
            }
        };
        act.validate()?;
        Ok(act)
    }

    /// Checks the coefficients are finite and not all zero.
    pub fn validate(&self) -> Result<()> {
        let ok = [self.a, self.b, self.c].iter().all(|v| v.is_finite())
            && (self.a != 0.0 || self.b != 0.0 || self.c != 0.0);
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidSetting(format!(
                "activation ({}, {}, {}): coefficients must be finite and not all zero",
                self.a, self.b, self.c
            )))
        }
    }

    /// σ(t).
    pub fn eval(&self, t: f64) -> f64 {
        (self.a * t + self.b) * t + self.c
    }

    /// `M(x̃) = [a x̃x̃ᵀ, (b/2) x̃; (b/2) x̃ᵀ, c]` for `x̃ = (x₁, x₂, 1)` (docs/math.md#poly-sdp).
    pub fn lift(&self, x: [f64; 2]) -> Matrix4<f64> {
        let xt = [x[0], x[1], 1.0];
        let mut m = Matrix4::zeros();
        for i in 0..3 {
            for j in 0..3 {
                m[(i, j)] = self.a * xt[i] * xt[j];
            }
            m[(i, 3)] = 0.5 * self.b * xt[i];
            m[(3, i)] = 0.5 * self.b * xt[i];
        }
        m[(3, 3)] = self.c;
        m
    }
}

/// One neuron: unit-norm `u` (bias last) and output weight `α`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolyNeuron {
    /// First-layer weights `(w₁, w₂, bias)`, ‖u‖ = 1.
    pub u: [f64; 3],
    /// Output weight.
    pub alpha: f64,
}

/// A polynomial-activation network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolyNetwork {
    /// The activation.
    pub activation: PolyActivation,
    /// The neurons.
    pub neurons: Vec<PolyNeuron>,
}

impl PolyNetwork {
    /// `f(x)`.
    pub fn eval(&self, x: [f64; 2]) -> f64 {
        self.neurons
            .iter()
            .map(|n| n.alpha * self.activation.eval(n.u[0] * x[0] + n.u[1] * x[1] + n.u[2]))
            .sum()
    }

    /// Predictions at every point.
    pub fn predict(&self, x: &[[f64; 2]]) -> Vec<f64> {
        x.iter().map(|p| self.eval(*p)).collect()
    }

    /// `β Σ |α_k|` (the tractable regularizer of docs/math.md#poly-model).
    pub fn l1_penalty(&self, beta: f64) -> f64 {
        beta * self.neurons.iter().map(|n| n.alpha.abs()).sum::<f64>()
    }
}
