//! Exact worst-case evaluation of a two-layer ReLU network under ℓ∞ perturbations of radius ε
//! (docs/math.md#robust-evaluation). The network is piecewise linear in the plane, and every
//! loss here is a convex function of the output, so on each linear piece of a box the worst
//! loss is at a vertex of that piece. Those vertices are among: the box corners, the crossings
//! of neuron lines with the box edges, and the pairwise crossings of neuron lines inside the
//! box. Evaluating the network at all of them gives the exact worst case — no attack, no
//! sampling.

use super::{Loss, ReluNetwork};

/// The worst case of one training point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorstPoint {
    /// The worst perturbation `δ` (`‖δ‖∞ ≤ ε`).
    pub delta: [f64; 2],
    /// The loss there.
    pub loss: f64,
    /// Whether the point is still classified correctly everywhere in its box (classification).
    pub robust: bool,
}

/// Exact worst-case training loss and robust accuracy.
#[derive(Debug, Clone, PartialEq)]
pub struct WorstCase {
    /// `Σ_j max_{‖δ_j‖∞ ≤ ε} ℓ(f(x_j + δ_j), y_j)`.
    pub loss: f64,
    /// Fraction of points classified correctly on their whole box (NaN for regression).
    pub accuracy: f64,
    /// Per point.
    pub points: Vec<WorstPoint>,
}

/// The exact worst case of `net` on `(x, y)` with boxes of radius `eps`.
pub fn worst_case(net: &ReluNetwork, x: &[[f64; 2]], y: &[f64], loss: Loss, eps: f64) -> WorstCase {
    let classification = y.iter().all(|&v| v == 1.0 || v == -1.0);
    let mut points = Vec::with_capacity(x.len());
    for (p, &t) in x.iter().zip(y) {
        let (lo, hi) = ([p[0] - eps, p[1] - eps], [p[0] + eps, p[1] + eps]);
        let inside = |q: &[f64; 2]| {
            let tol = 1e-12 * (1.0 + eps + p[0].abs() + p[1].abs());
            q[0] >= lo[0] - tol && q[0] <= hi[0] + tol && q[1] >= lo[1] - tol && q[1] <= hi[1] + tol
        };
        let clamp = |q: [f64; 2]| [q[0].clamp(lo[0], hi[0]), q[1].clamp(lo[1], hi[1])];
        // Neurons whose line crosses the box: w·x + b changes sign on it.
        let lines: Vec<[f64; 3]> = net
            .neurons
            .iter()
            .filter(|n| n.alpha != 0.0)
            .map(|n| n.u)
            .filter(|u| (u[0] * p[0] + u[1] * p[1] + u[2]).abs() <= eps * (u[0].abs() + u[1].abs()))
            .collect();
        let mut cands: Vec<[f64; 2]> = vec![lo, [hi[0], lo[1]], [lo[0], hi[1]], hi];
        for u in &lines {
            // Edges x₁ = const and x₂ = const.
            for x1 in [lo[0], hi[0]] {
                if u[1] != 0.0 {
                    let q = [x1, -(u[0] * x1 + u[2]) / u[1]];
                    if inside(&q) {
                        cands.push(clamp(q));
                    }
                }
            }
            for x2 in [lo[1], hi[1]] {
                if u[0] != 0.0 {
                    let q = [-(u[1] * x2 + u[2]) / u[0], x2];
                    if inside(&q) {
                        cands.push(clamp(q));
                    }
                }
            }
        }
        for a in 0..lines.len() {
            for b in a + 1..lines.len() {
                let (u, v) = (lines[a], lines[b]);
                let det = u[0] * v[1] - u[1] * v[0];
                if det.abs() <= 1e-300 {
                    continue;
                }
                let q = [
                    (-u[2] * v[1] + v[2] * u[1]) / det,
                    (-u[0] * v[2] + v[0] * u[2]) / det,
                ];
                if inside(&q) {
                    cands.push(clamp(q));
                }
            }
        }
        let mut worst = WorstPoint {
            delta: [0.0; 2],
            loss: f64::NEG_INFINITY,
            robust: true,
        };
        for q in &cands {
            let f = net.eval(*q);
            let l = loss.value(f, t);
            if l > worst.loss {
                worst.loss = l;
                worst.delta = [q[0] - p[0], q[1] - p[1]];
            }
            if classification && f * t <= 0.0 {
                worst.robust = false;
            }
        }
        points.push(worst);
    }
    let accuracy = if classification && !points.is_empty() {
        points.iter().filter(|w| w.robust).count() as f64 / points.len() as f64
    } else {
        f64::NAN
    };
    WorstCase {
        loss: points.iter().map(|w| w.loss).sum(),
        accuracy,
        points,
    }
}
