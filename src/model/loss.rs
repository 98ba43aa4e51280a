//! Per-sample losses with everything the solvers and certificates need (docs/math.md#conventions,
//! docs/math.md#losses, #admm, #dual): value, derivative, scalar prox, the dual point built from predictions and
//! the dual objective `D(v)`. Losses are sums over samples (no `1/n`).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A convex per-sample loss `ℓ(ŷ, y)`; the total loss is the sum over samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// `½ (ŷ − y)²`.
    #[default]
    Squared,
    /// `log(1 + exp(−y ŷ))`, `y ∈ {−1, +1}`.
    Logistic,
    /// `max(0, 1 − y ŷ)`, `y ∈ {−1, +1}`.
    Hinge,
}

/// `log(1 + e^t)` without overflow.
#[inline]
pub fn softplus(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// Logistic sigmoid `1 / (1 + e^{−t})` without overflow.
#[inline]
pub fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// Binary entropy `−p ln p − (1−p) ln(1−p)` (0 at the ends).
pub(crate) fn entropy(p: f64) -> f64 {
    let term = |q: f64| if q <= 0.0 { 0.0 } else { -q * q.ln() };
    term(p) + term(1.0 - p)
}

impl Loss {
    /// All losses, in UI order.
    pub const ALL: [Loss; 3] = [Loss::Squared, Loss::Logistic, Loss::Hinge];

    /// CLI / JSON name.
    pub fn name(&self) -> &'static str {
        match self {
            Loss::Squared => "squared",
            Loss::Logistic => "logistic",
            Loss::Hinge => "hinge",
        }
    }

    /// Parses a CLI name.
    pub fn parse(s: &str) -> Result<Loss> {
        Loss::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| {
                Error::InvalidSetting(format!("--loss {s:?}: expected squared, logistic or hinge"))
            })
    }

    /// True for the losses that need labels `±1`.
    pub fn is_classification(&self) -> bool {
        !matches!(self, Loss::Squared)
    }

    /// Checks that the targets suit the loss (`±1` labels for logistic and hinge).
    pub fn check_targets(&self, y: &[f64]) -> Result<()> {
        if self.is_classification()
            && let Some(j) = y.iter().position(|&v| v != 1.0 && v != -1.0)
        {
            return Err(Error::InvalidData(format!(
                "the {} loss needs labels ±1, but point {} has y = {}",
                self.name(),
                j + 1,
                y[j]
            )));
        }
        Ok(())
    }

    /// `ℓ(ŷ, y)` for one sample.
    #[inline]
    pub fn value(&self, yhat: f64, y: f64) -> f64 {
        match self {
            Loss::Squared => 0.5 * (yhat - y) * (yhat - y),
            Loss::Logistic => softplus(-y * yhat),
            Loss::Hinge => (1.0 - y * yhat).max(0.0),
        }
    }

    /// `Σ_j ℓ(ŷ_j, y_j)`.
    pub fn total(&self, yhat: &[f64], y: &[f64]) -> f64 {
        yhat.iter().zip(y).map(|(&a, &b)| self.value(a, b)).sum()
    }

    /// `∂ℓ/∂ŷ` (for hinge the subgradient `−y·1[yŷ < 1]`).
    #[inline]
    pub fn derivative(&self, yhat: f64, y: f64) -> f64 {
        match self {
            Loss::Squared => yhat - y,
            Loss::Logistic => -y * sigmoid(-y * yhat),
            Loss::Hinge => {
                if y * yhat < 1.0 {
                    -y
                } else {
                    0.0
                }
            }
        }
    }

    /// `argmin_z ℓ(z, y) + (ρ/2)(z − c)²` (docs/math.md#admm).
    pub fn prox(&self, c: f64, y: f64, rho: f64) -> f64 {
        match self {
            Loss::Squared => (y + rho * c) / (1.0 + rho),
            Loss::Hinge => {
                let m = y * c;
                if m >= 1.0 {
                    c
                } else if m <= 1.0 - 1.0 / rho {
                    c + y / rho
                } else {
                    y
                }
            }
            Loss::Logistic => {
                // φ(z) = −y σ(−y z) + ρ (z − c) is increasing; root in [c − 1/ρ, c + 1/ρ].
                let phi = |z: f64| -y * sigmoid(-y * z) + rho * (z - c);
                let (mut lo, mut hi) = (c - 1.0 / rho, c + 1.0 / rho);
                let mut z = c;
                for _ in 0..100 {
                    let f = phi(z);
                    if f == 0.0 {
                        return z;
                    }
                    if f > 0.0 {
                        hi = z;
                    } else {
                        lo = z;
                    }
                    let s = sigmoid(z);
                    let dphi = s * (1.0 - s) + rho;
                    let mut next = z - f / dphi;
                    if !(next > lo && next < hi) {
                        next = 0.5 * (lo + hi);
                    }
                    if (next - z).abs() <= 1e-15 * (1.0 + z.abs()) {
                        return next;
                    }
                    z = next;
                }
                z
            }
        }
    }

    /// The dual point `v = −∇L(ŷ)` of docs/math.md#dual built from predictions (for hinge `v_j = y_j·1[y_jŷ_j < 1]`).
    pub fn dual_point(&self, yhat: &[f64], y: &[f64]) -> Vec<f64> {
        yhat.iter()
            .zip(y)
            .map(|(&a, &b)| -self.derivative(a, b))
            .collect()
    }

    /// Projects a candidate dual point onto the domain of `D` (for logistic/hinge `v_j y_j ∈ [0,1]`).
    pub fn clamp_dual(&self, v: &mut [f64], y: &[f64]) {
        if self.is_classification() {
            for (vj, &yj) in v.iter_mut().zip(y) {
                *vj = yj * (*vj * yj).clamp(0.0, 1.0);
            }
        }
    }

    /// Dual objective `D(v) = −L*(−v)` of docs/math.md#dual (for `v` in the domain; see [`Loss::clamp_dual`]).
    pub fn dual_objective(&self, v: &[f64], y: &[f64]) -> f64 {
        match self {
            Loss::Squared => v.iter().zip(y).map(|(&a, &b)| a * b - 0.5 * a * a).sum(),
            Loss::Logistic => v.iter().zip(y).map(|(&a, &b)| entropy(a * b)).sum(),
            Loss::Hinge => v.iter().zip(y).map(|(&a, &b)| a * b).sum(),
        }
    }
}

/// What gradient descent can train on: a convex program's [`Loss`], or the exponential loss
/// `e^{−yŷ}` of the gradient-flow analysis (docs/math.md#max-margin), which none of the convex
/// programs here uses (its dual has no finite certificate at β > 0 worth showing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingLoss {
    /// One of the convex programs' losses.
    Convex(Loss),
    /// `exp(−y ŷ)`, `y ∈ {−1, +1}`.
    Exponential,
}

impl From<Loss> for TrainingLoss {
    fn from(l: Loss) -> Self {
        TrainingLoss::Convex(l)
    }
}

impl TrainingLoss {
    /// CLI / JSON name.
    pub fn name(&self) -> &'static str {
        match self {
            TrainingLoss::Convex(l) => l.name(),
            TrainingLoss::Exponential => "exponential",
        }
    }

    /// Checks that the targets suit the loss.
    pub fn check_targets(&self, y: &[f64]) -> Result<()> {
        match self {
            TrainingLoss::Convex(l) => l.check_targets(y),
            TrainingLoss::Exponential => match y.iter().position(|&v| v != 1.0 && v != -1.0) {
                Some(j) => Err(Error::InvalidData(format!(
                    "the exponential loss needs labels ±1, but point {} has y = {}",
                    j + 1,
                    y[j]
                ))),
                None => Ok(()),
            },
        }
    }

    /// `ℓ(ŷ, y)` for one sample.
    #[inline]
    pub fn value(&self, yhat: f64, y: f64) -> f64 {
        match self {
            TrainingLoss::Convex(l) => l.value(yhat, y),
            TrainingLoss::Exponential => (-y * yhat).exp(),
        }
    }

    /// `Σ_j ℓ(ŷ_j, y_j)`.
    pub fn total(&self, yhat: &[f64], y: &[f64]) -> f64 {
        yhat.iter().zip(y).map(|(&a, &b)| self.value(a, b)).sum()
    }

    /// `∂ℓ/∂ŷ`.
    #[inline]
    pub fn derivative(&self, yhat: f64, y: f64) -> f64 {
        match self {
            TrainingLoss::Convex(l) => l.derivative(yhat, y),
            TrainingLoss::Exponential => -y * (-y * yhat).exp(),
        }
    }

    /// `ln(−y ∂ℓ/∂ŷ)` as a function of the margin `m = yŷ`, for the classification losses:
    /// the log of the weight gradient descent puts on a point (logistic `−softplus(m)`,
    /// exponential `−m`). Computed without overflow, so weights can be normalized by their
    /// largest one at any margin. `None` for the squared and hinge losses.
    pub fn log_weight(&self, margin: f64) -> Option<f64> {
        match self {
            TrainingLoss::Convex(Loss::Logistic) => Some(-softplus(margin)),
            TrainingLoss::Exponential => Some(-margin),
            TrainingLoss::Convex(_) => None,
        }
    }
}
