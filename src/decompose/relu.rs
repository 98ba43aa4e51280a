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

/// Carathéodory pruning (docs/math.md#caratheodory): while the feature columns
/// `f_b = sign(α_b)·(X̃v_b)₊` of the blocks `v_b = |α_b|u_b` are linearly dependent on the points
/// `x`, move along a null vector `c` (signed so that `Σ c_b‖v_b‖ ≥ 0`) by scaling
/// `v_b ← (1 − t c_b)v_b` with the largest `t` that keeps every factor ≥ 0: the predictions on `x`
/// are unchanged, the path norm `Σ‖v_b‖` does not grow, and one block vanishes. Ends with at most
/// `n` neurons (balanced); at an optimum the objective is unchanged.
pub fn prune(net: &ReluNetwork, x: &[[f64; 2]]) -> ReluNetwork {
    let n = x.len();
    let mut blocks: Vec<(f64, [f64; 3])> = net
        .neurons
        .iter()
        .filter(|nr| nr.alpha != 0.0 && nr.u != [0.0; 3])
        .map(|nr| {
            let a = nr.alpha.abs();
            (nr.alpha.signum(), [a * nr.u[0], a * nr.u[1], a * nr.u[2]])
        })
        .collect();
    loop {
        let k = blocks.len();
        if k <= 1 {
            break;
        }
        // F: n × k feature columns (zero rows added up to k, so the SVD returns all k right
        // singular vectors); its smallest right singular vector is a null vector, computed
        // without squaring the condition number.
        let rows = n.max(k);
        let f = nalgebra::DMatrix::from_fn(rows, k, |j, b| {
            if j >= n {
                return 0.0;
            }
            let (s, v) = blocks[b];
            s * (x[j][0] * v[0] + x[j][1] * v[1] + v[2]).max(0.0)
        });
        let svd = f.svd(false, true);
        let Some(vt) = svd.v_t else { break };
        let (imin, smin) =
            svd.singular_values
                .iter()
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |a, (i, &l)| if l < a.1 { (i, l) } else { a },
                );
        let smax = svd.singular_values.iter().copied().fold(0.0, f64::max);
        if k <= n && smin > 1e-12 * smax.max(f64::MIN_POSITIVE) {
            break; // independent columns: nothing to remove
        }
        let mut c: Vec<f64> = vt.row(imin).iter().copied().collect();
        let tilt: f64 = c
            .iter()
            .zip(&blocks)
            .map(|(cb, (_, v))| cb * norm3(v))
            .sum();
        if tilt < 0.0 {
            c.iter_mut().for_each(|cb| *cb = -*cb);
        }
        let (bmax, cmax) =
            c.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |a, (b, &cb)| if cb > a.1 { (b, cb) } else { a },
            );
        if cmax <= 0.0 {
            break;
        }
        let t = 1.0 / cmax;
        for (b, (_, v)) in blocks.iter_mut().enumerate() {
            let s = if b == bmax {
                0.0
            } else {
                (1.0 - t * c[b]).max(0.0)
            };
            for comp in v.iter_mut() {
                *comp *= s;
            }
        }
        blocks.retain(|(_, v)| *v != [0.0; 3]);
    }
    ReluNetwork {
        neurons: blocks
            .iter()
            .map(|&(s, v)| {
                let r = norm3(&v).sqrt();
                Neuron {
                    u: [v[0] / r, v[1] / r, v[2] / r],
                    alpha: s * r,
                }
            })
            .collect(),
    }
}
