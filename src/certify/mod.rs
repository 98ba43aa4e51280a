//! Dual certificates (docs/math.md#certificate–G.4).
//!
//! * [`certificate`]: the exact value `c(v) = max_{‖u‖≤1} |vᵀ(Xu)₊|` by the sphere sweep of docs/math.md#certificate
//!   (interior candidates per pattern + every boundary arc of every data plane), with its argmax.
//! * [`certify_network`]: the certified duality gap of *any* network (docs/math.md#certified-gap).
//! * [`kkt_report`]: the per-neuron stationarity check of docs/math.md#kkt.

pub mod poly;
pub mod sweep;

pub use sweep::{Candidate, Certificate, SweepGeometry, certificate, evaluate_h, price};

use serde::{Deserialize, Serialize};

use crate::geometry::PatternSet;
use crate::model::{Loss, ReluNetwork};

/// Relative safety margin applied to `c(v)` before scaling the dual point: the sweep locates the
/// maximiser up to rounding (~1e-15 relative), so the lower bound stays valid.
pub const CERTIFICATE_SAFETY: f64 = 1e-12;

/// Certified bounds on the optimum `p*` of (C) = (NC) for `m ≥ m*`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// Objective of a real network (achievable): `upper ≥ p*`.
    pub upper: f64,
    /// Dual objective at a feasible dual point: `lower ≤ p*`.
    pub lower: f64,
    /// `max_u |vᵀ(Xu)₊| / β` at the dual point before scaling (≤ 1 ⇔ dual feasible).
    pub certificate: f64,
}

impl Bounds {
    /// No bound known yet (`upper = ∞`, `lower = −∞`).
    pub fn unknown() -> Self {
        Self {
            upper: f64::INFINITY,
            lower: f64::NEG_INFINITY,
            certificate: f64::NAN,
        }
    }

    /// `upper − lower` (≥ 0 up to rounding).
    pub fn gap(&self) -> f64 {
        self.upper - self.lower
    }

    /// Certified relative gap `(upper − lower) / max(1, |upper|)`, the solvers' stop rule (docs/math.md#certified-gap).
    pub fn rel_gap(&self) -> f64 {
        (self.upper - self.lower) / self.upper.abs().max(1.0)
    }
}

/// Lower bound from a candidate dual point `v` (any vector; projected onto the loss's domain and
/// scaled into the feasible set `c(v) ≤ β`). Returns `(lower bound, c(v)/β, certificate)`; the
/// certificate keeps its `top_k` best candidate regions (for column generation).
pub fn lower_bound_from_dual(
    x: &[[f64; 2]],
    y: &[f64],
    patterns: &PatternSet,
    loss: Loss,
    beta: f64,
    v: Vec<f64>,
    top_k: usize,
) -> (f64, f64, Certificate) {
    let d = feasible_dual(x, y, patterns, loss, beta, v, top_k);
    (d.lower, d.c_over_beta, d.certificate)
}

/// A dual point scaled into feasibility and the lower bound it certifies.
#[derive(Debug, Clone)]
pub struct FeasibleDual {
    /// The scaled point `v·min(1, β/c(v))` (with a tiny safety margin): `c(v_scaled) ≤ β`.
    pub v: Vec<f64>,
    /// Its dual objective: a lower bound on the optimum.
    pub lower: f64,
    /// `c(v)/β` of the point *before* scaling.
    pub c_over_beta: f64,
    /// The exact certificate of the point before scaling.
    pub certificate: Certificate,
}

/// [`lower_bound_from_dual`], keeping the scaled point.
pub fn feasible_dual(
    x: &[[f64; 2]],
    y: &[f64],
    patterns: &PatternSet,
    loss: Loss,
    beta: f64,
    mut v: Vec<f64>,
    top_k: usize,
) -> FeasibleDual {
    loss.clamp_dual(&mut v, y);
    let cert = certificate(x, patterns, &v, top_k);
    scale_into_feasible(y, loss, beta, v, cert)
}

/// [`feasible_dual`] priced by the sweep alone ([`price`]): no pattern set, the same exact
/// certificate (docs/math.md#pricing).
pub fn feasible_dual_swept(
    geom: &SweepGeometry,
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    mut v: Vec<f64>,
    top_k: usize,
) -> FeasibleDual {
    loss.clamp_dual(&mut v, y);
    let cert = price(geom, x, &v, top_k);
    scale_into_feasible(y, loss, beta, v, cert)
}

/// Scales a dual point (already in the loss's domain) by `min(1, β/c(v))` with the safety margin.
fn scale_into_feasible(
    y: &[f64],
    loss: Loss,
    beta: f64,
    mut v: Vec<f64>,
    cert: Certificate,
) -> FeasibleDual {
    let c_safe = cert.value * (1.0 + CERTIFICATE_SAFETY) + f64::MIN_POSITIVE;
    let scale = if c_safe > beta { beta / c_safe } else { 1.0 };
    for vj in v.iter_mut() {
        *vj *= scale;
    }
    let lower = loss.dual_objective(&v, y);
    FeasibleDual {
        v,
        lower,
        c_over_beta: cert.value / beta,
        certificate: cert,
    }
}

/// Certified gap of any network (docs/math.md#certified-gap): the upper bound is the network's
/// own objective (NC), the lower bound comes from the dual point built from its predictions,
/// scaled into feasibility. `patterns` must be the *exact* pattern set (the certificate ranges
/// over all regions).
pub fn certify_network(
    x: &[[f64; 2]],
    y: &[f64],
    patterns: &PatternSet,
    loss: Loss,
    beta: f64,
    net: &ReluNetwork,
) -> (Bounds, Certificate) {
    let (b, d) = certify_network_dual(x, y, patterns, loss, beta, net);
    (b, d.certificate)
}

/// [`certify_network`], keeping the scaled dual point behind the lower bound.
pub fn certify_network_dual(
    x: &[[f64; 2]],
    y: &[f64],
    patterns: &PatternSet,
    loss: Loss,
    beta: f64,
    net: &ReluNetwork,
) -> (Bounds, FeasibleDual) {
    let yhat = net.predict(x);
    let upper = loss.total(&yhat, y) + net.weight_decay(beta);
    let d = feasible_dual(x, y, patterns, loss, beta, loss.dual_point(&yhat, y), 0);
    let b = Bounds {
        upper,
        lower: d.lower,
        certificate: d.c_over_beta,
    };
    (b, d)
}

/// Per-neuron stationarity report (docs/math.md#kkt) at a network with residual `r = −∇L(ŷ)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NeuronKkt {
    /// `rᵀ(X ū)₊ / β` with `ū = u/‖u‖`: equals `sign(α)` at a stationary point.
    pub certificate_value: f64,
    /// `|certificate_value − sign(α)|`.
    pub residual: f64,
    /// `(|α| − ‖u‖) / max(|α|, ‖u‖)`: zero when the neuron is balanced.
    pub balance: f64,
}

/// KKT report of every neuron of `net` (docs/math.md#kkt). Neurons with `u = 0` get a `NaN` value.
pub fn kkt_report(
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    net: &ReluNetwork,
) -> Vec<NeuronKkt> {
    let yhat = net.predict(x);
    let r = loss.dual_point(&yhat, y);
    net.neurons
        .iter()
        .map(|nr| {
            let nu = nr.norm_u();
            let ubar = [nr.u[0] / nu, nr.u[1] / nu, nr.u[2] / nu];
            let value = evaluate_h(x, &r, &ubar) / beta;
            let sign = if nr.alpha >= 0.0 { 1.0 } else { -1.0 };
            let big = nr.alpha.abs().max(nu);
            NeuronKkt {
                certificate_value: value,
                residual: (value - sign).abs(),
                balance: if big > 0.0 {
                    (nr.alpha.abs() - nu) / big
                } else {
                    0.0
                },
            }
        })
        .collect()
}
