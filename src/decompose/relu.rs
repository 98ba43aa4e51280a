//! ReLU neuron recovery (docs/math.md#neuron-recovery): every non-negligible block `v` becomes the neuron
//! `u = v/√‖v‖`, `α = ±√‖v‖`, so that `α (Xu)₊ = (Xv)₊` and `(β/2)(‖u‖² + α²) = β‖v‖`.
//! Parallel blocks of the same sign (a direction on a shared face of two cones) are merged by
//! adding them, which leaves the penalty unchanged.

use std::collections::HashMap;

use crate::model::{Neuron, ReluNetwork};
use crate::vec3::{dot3, norm3};

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
    // Parallel same-sign blocks land in the same bucket of rounded unit directions (a pair split
    // by a rounding boundary merely stays unmerged: same function, same penalty).
    let mut merged: Vec<(f64, [f64; 3])> = Vec::new();
    let mut bucket: HashMap<(bool, [i64; 3]), Vec<usize>> = HashMap::new();
    for &(s, b) in blocks {
        let nb = norm3(&b);
        if nb <= ZERO_BLOCK * max {
            continue;
        }
        let key = (s > 0.0, b.map(|c| (c / nb * 1e6).round() as i64));
        let list = bucket.entry(key).or_default();
        let same = list.iter().copied().find(|&m| {
            let b2 = &merged[m].1;
            dot3(&b, b2) / (nb * norm3(b2)) > MERGE_COSINE
        });
        match same {
            Some(m) => {
                for c in 0..3 {
                    merged[m].1[c] += b[c];
                }
            }
            None => {
                list.push(merged.len());
                merged.push((s, b));
            }
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
