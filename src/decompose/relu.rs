//! ReLU neuron recovery (formulations.md §A.4): every non-negligible block `v` becomes the neuron
//! `u = v/√‖v‖`, `α = ±√‖v‖`, so that `α (Xu)₊ = (Xv)₊` and `(β/2)(‖u‖² + α²) = β‖v‖`.
//! Parallel blocks of the same sign (a direction on a shared face of two cones) are merged by
//! adding them, which leaves the penalty unchanged.

use crate::convex::relu::norm3;
use crate::model::{Neuron, ReluNetwork};

/// Relative threshold below which a block counts as zero (`‖v‖ ≤ 1e-8 · max‖v‖`).
pub const ZERO_BLOCK: f64 = 1e-8;
/// Cosine above which two same-sign directions are merged.
pub const MERGE_COSINE: f64 = 1.0 - 1e-9;

/// Recovers a network from signed blocks `(sign, v)`; zero blocks are dropped and parallel
/// same-sign blocks merged.
pub fn recover_neurons(blocks: &[(f64, [f64; 3])]) -> ReluNetwork {
    let max = blocks.iter().map(|(_, b)| norm3(b)).fold(0.0, f64::max);
    if max == 0.0 {
        return ReluNetwork::default();
    }
    let mut merged: Vec<(f64, [f64; 3])> = Vec::new();
    for &(s, b) in blocks {
        let nb = norm3(&b);
        if nb <= ZERO_BLOCK * max {
            continue;
        }
        let same = merged.iter_mut().find(|(s2, b2)| {
            *s2 == s && {
                let n2 = norm3(b2);
                (b[0] * b2[0] + b[1] * b2[1] + b[2] * b2[2]) / (nb * n2) > MERGE_COSINE
            }
        });
        match same {
            Some((_, b2)) => {
                for c in 0..3 {
                    b2[c] += b[c];
                }
            }
            None => merged.push((s, b)),
        }
    }
    let neurons = merged
        .into_iter()
        .map(|(s, b)| {
            let r = norm3(&b).sqrt();
            Neuron {
                u: [b[0] / r, b[1] / r, b[2] / r],
                alpha: s * r,
            }
        })
        .collect();
    ReluNetwork { neurons }
}
