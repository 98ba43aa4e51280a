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

/// Carathéodory pruning (docs/math.md#caratheodory) of a two-layer network: the blocks
/// `v_b = |α_b|u_b` with feature columns `f_b = sign(α_b)·(X̃v_b)₊` and costs `‖v_b‖` go through
/// [`caratheodory`]; the predictions on `x` are unchanged, the path norm `Σ‖v_b‖` does not grow.
/// Ends with at most `n` neurons (balanced); at an optimum the objective is unchanged.
pub fn prune(net: &ReluNetwork, x: &[[f64; 2]]) -> ReluNetwork {
    let blocks: Vec<(f64, [f64; 3])> = net
        .neurons
        .iter()
        .filter(|nr| nr.alpha != 0.0 && nr.u != [0.0; 3])
        .map(|nr| {
            let a = nr.alpha.abs();
            (nr.alpha.signum(), [a * nr.u[0], a * nr.u[1], a * nr.u[2]])
        })
        .collect();
    let features: Vec<Vec<f64>> = blocks
        .iter()
        .map(|(s, v)| {
            x.iter()
                .map(|p| s * (p[0] * v[0] + p[1] * v[1] + v[2]).max(0.0))
                .collect()
        })
        .collect();
    let costs: Vec<f64> = blocks.iter().map(|(_, v)| norm3(v)).collect();
    let factors = caratheodory(&features, &costs);
    ReluNetwork {
        neurons: blocks
            .iter()
            .zip(factors)
            .filter(|(_, f)| *f > 0.0)
            .map(|(&(s, v), f)| {
                let v = [v[0] * f, v[1] * f, v[2] * f];
                let r = norm3(&v).sqrt();
                Neuron {
                    u: [v[0] / r, v[1] / r, v[2] / r],
                    alpha: s * r,
                }
            })
            .collect(),
    }
}

/// Carathéodory's reduction of a nonnegative combination `Σ_b F_b` of feature columns `F_b`
/// (each already multiplied by its weight) with costs `c_b > 0`: while the columns are linearly
/// dependent, move along a null vector `d` (signed so that `Σ d_b c_b ≥ 0`) by scaling column
/// `b` by `1 − t d_b` with the largest `t` that keeps every factor ≥ 0. The combination is
/// unchanged, the total cost `Σ factor_b c_b` does not grow, and one column vanishes per step;
/// at most `n` (the column length) stay. Returns each column's final factor (0: removed).
pub fn caratheodory(features: &[Vec<f64>], costs: &[f64]) -> Vec<f64> {
    let n = features.first().map_or(0, Vec::len);
    let mut factor = vec![1.0; features.len()];
    let mut alive: Vec<usize> = (0..features.len()).collect();
    loop {
        if alive.len() <= 1 {
            break;
        }
        // Work on at most n + 1 columns at a time (then they are surely dependent): each step
        // costs O(n³) however many columns there are.
        let cols: Vec<usize> = alive.iter().copied().take(n + 1).collect();
        let k = cols.len();
        // F: n × k (zero rows added up to k, so the SVD returns all k right singular vectors);
        // its smallest right singular vector is a null vector, computed without squaring the
        // condition number.
        let rows = n.max(k);
        let f = nalgebra::DMatrix::from_fn(rows, k, |j, b| {
            if j >= n {
                0.0
            } else {
                factor[cols[b]] * features[cols[b]][j]
            }
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
        let mut d: Vec<f64> = vt.row(imin).iter().copied().collect();
        let tilt: f64 = d
            .iter()
            .zip(&cols)
            .map(|(db, &b)| db * factor[b] * costs[b])
            .sum();
        if tilt < 0.0 {
            d.iter_mut().for_each(|db| *db = -*db);
        }
        let (bmax, dmax) =
            d.iter().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |a, (b, &db)| if db > a.1 { (b, db) } else { a },
            );
        if dmax <= 0.0 {
            break;
        }
        let t = 1.0 / dmax;
        for (pos, &b) in cols.iter().enumerate() {
            factor[b] *= if pos == bmax {
                0.0
            } else {
                (1.0 - t * d[pos]).max(0.0)
            };
        }
        alive.retain(|&b| factor[b] > 0.0);
    }
    factor
}
