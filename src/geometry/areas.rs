//! Exact areas of the regions of the arrangement on the sphere of directions
//! (docs/math.md#sampled-convex-programs): each region `{u : e_j x̃_jᵀu ≥ 0 ∀j}` meets the unit
//! sphere in a convex spherical polygon bounded by arcs of great circles, so by Gauss–Bonnet its
//! area is `2π − Σ (exterior angles)`, and the exterior angle at a vertex is the angle between
//! the inward normals of the two edges meeting there. A Gaussian direction is uniform on the
//! sphere, so `area / 4π` is the probability that a random gate lands in the region.

use std::f64::consts::{PI, TAU};

use super::{PatternSet, facets};
use crate::vec3::{cross3, dot3, norm3};

/// Area of the whole sphere, `4π`.
pub const SPHERE: f64 = 2.0 * TAU;

/// The area on the unit sphere of every region of `patterns` (which must be regions of the
/// arrangement of `x`, e.g. the exact set): in `[0, 4π]`, summing to `4π` over the exact set.
pub fn region_areas(x: &[[f64; 2]], patterns: &PatternSet) -> Vec<f64> {
    let facets = facets(x, patterns);
    (0..patterns.len())
        .map(|i| {
            let pat = patterns.pattern(i);
            let normals: Vec<[f64; 3]> = facets[i]
                .iter()
                .map(|&j| {
                    let e = if pat.get(j) { 1.0 } else { -1.0 };
                    let xt = [x[j][0], x[j][1], 1.0];
                    let n = norm3(&xt);
                    [e * xt[0] / n, e * xt[1] / n, e * xt[2] / n]
                })
                .collect();
            polygon_area(&normals)
        })
        .collect()
}

/// Area of `{p ∈ S² : aᵀp ≥ 0 for every a in normals}` (unit normals, each one a facet).
pub fn polygon_area(normals: &[[f64; 3]]) -> f64 {
    match normals.len() {
        0 => return SPHERE,
        1 => return TAU,
        _ => {}
    }
    const TOL: f64 = 1e-12;
    // Vertices: intersections of two facet circles that satisfy every constraint.
    let mut vertices: Vec<[f64; 3]> = Vec::new();
    for a in 0..normals.len() {
        for b in a + 1..normals.len() {
            let c = cross3(&normals[a], &normals[b]);
            let nc = norm3(&c);
            if nc < 1e-14 {
                continue;
            }
            for s in [1.0, -1.0] {
                let p = [s * c[0] / nc, s * c[1] / nc, s * c[2] / nc];
                if normals.iter().all(|n| dot3(n, &p) >= -TOL)
                    && !vertices.iter().any(|q| norm3(&sub(q, &p)) < 1e-9)
                {
                    vertices.push(p);
                }
            }
        }
    }
    // At each vertex, the exterior angle is the opening of the cone of the normals of the
    // edges through it: the largest angle between two of them.
    let mut exterior = 0.0;
    for p in &vertices {
        let active: Vec<&[f64; 3]> = normals
            .iter()
            .filter(|n| dot3(n, p).abs() <= 1e-9)
            .collect();
        let mut widest: f64 = 0.0;
        for a in 0..active.len() {
            for b in a + 1..active.len() {
                widest = widest.max(dot3(active[a], active[b]).clamp(-1.0, 1.0).acos());
            }
        }
        exterior += widest.min(PI);
    }
    (TAU - exterior).clamp(0.0, SPHERE)
}

fn sub(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// The scenario bound (Campi & Garatti 2008) for a convex program with `zeta` decision variables
/// and `samples` i.i.d. constraints: with confidence `1 − confidence_slack`, a fresh constraint is
/// violated by the sampled program's solution with probability at most the returned `ε` — the
/// smallest `ε` with `Σ_{i<ζ} C(N, i) εⁱ (1 − ε)^{N−i} ≤ ξ`. It is 1 (vacuous) when `N ≤ ζ`.
pub fn scenario_bound(samples: usize, zeta: usize, confidence_slack: f64) -> f64 {
    if samples <= zeta || zeta == 0 {
        return 1.0;
    }
    let tail = |eps: f64| -> f64 {
        // Σ_{i=0}^{ζ−1} C(N,i) εⁱ(1−ε)^{N−i}, terms in log space.
        let n = samples as f64;
        let mut log_c = 0.0; // ln C(N, 0)
        let mut sum = 0.0;
        for i in 0..zeta {
            let fi = i as f64;
            if i > 0 {
                log_c += (n - fi + 1.0).ln() - fi.ln();
            }
            sum += (log_c + fi * eps.ln() + (n - fi) * (1.0 - eps).ln()).exp();
        }
        sum
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if tail(mid) <= confidence_slack {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lunes_and_octants() {
        // An octant: three orthogonal planes, area 4π/8.
        let oct = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        assert!((polygon_area(&oct) - SPHERE / 8.0).abs() < 1e-12);
        // A lune of opening π/2: a quarter of the sphere.
        let lune = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        assert!((polygon_area(&lune) - SPHERE / 4.0).abs() < 1e-12);
        assert!((polygon_area(&[[0.0, 0.0, 1.0]]) - TAU).abs() < 1e-12);
    }

    #[test]
    fn scenario_bound_is_monotone_and_vacuous_below_zeta() {
        assert_eq!(scenario_bound(10, 10, 0.01), 1.0);
        let a = scenario_bound(100, 10, 0.01);
        let b = scenario_bound(1000, 10, 0.01);
        assert!(0.0 < b && b < a && a < 1.0, "{a} {b}");
        // The simpler sufficient condition N ≥ (2/ε)(ln(1/ξ) + ζ) gives a larger ε.
        let simple = 2.0 * ((1.0f64 / 0.01).ln() + 10.0) / 1000.0;
        assert!(b <= simple);
    }
}
