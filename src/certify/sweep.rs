//! Exact certificate `c(v) = max_{‖u‖≤1} |h(u)|`, `h(u) = Σ_j v_j (x̃_jᵀu)₊` (formulations.md §G.2).
//!
//! `h` is linear on every region of the arrangement and positively homogeneous, so its maximum
//! over the unit ball is on the sphere, either inside a region (at `g/‖g‖` with
//! `g = ± Xᵀ D_i v ∈ K_i`) or on a boundary arc of some plane `x̃_jᵀu = 0`, where
//! `±h(u(φ)) = G1 cos φ + G2 sin φ` with `G` constant between crossings. Both families are
//! enumerated exactly: `O(P n)` for the regions and `O(n² log n)` for the arcs. Duplicate points
//! are merged (their `v` summed) before the arc sweep.

use std::collections::{HashMap, HashSet};
use std::f64::consts::{FRAC_PI_2, TAU};

use crate::geometry::{Bitset, PatternSet};

/// `h(u) = Σ_j v_j (x̃_jᵀu)₊`.
pub fn evaluate_h(x: &[[f64; 2]], v: &[f64], u: &[f64; 3]) -> f64 {
    x.iter()
        .zip(v)
        .map(|(p, &vj)| vj * (p[0] * u[0] + p[1] * u[1] + u[2]).max(0.0))
        .sum()
}

/// A direction where `s·h` is locally maximal, with a region whose closure contains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// `s·h(u)` at the unit vector `u`.
    pub value: f64,
    /// `+1` (a `v`-block / positive output weight would improve) or `−1`.
    pub sign: f64,
    /// Unit direction `u = (w1, w2, b)`.
    pub u: [f64; 3],
    /// A pattern (region) whose closure contains `u`; on it `h` is linear and equals `s·value` at `u`.
    pub pattern: Bitset,
}

/// Result of the exact sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    /// `c(v) = max_{‖u‖≤1} |h(u)|`.
    pub value: f64,
    /// Maximiser (unit vector).
    pub u: [f64; 3],
    /// Sign of `h` at the maximiser.
    pub sign: f64,
    /// Up to `top_k` best candidates with distinct `(pattern, sign)`, best first.
    pub top: Vec<Candidate>,
}

enum Where {
    Region(usize),
    Arc { group: usize, u_mid: [f64; 3] },
}

fn cross(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalize(a: [f64; 3]) -> [f64; 3] {
    let n = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    [a[0] / n, a[1] / n, a[2] / n]
}

/// Computes `c(v)` exactly over all regions in `patterns` (which must be the exact set for a
/// certificate of global optimality) and keeps the `top_k` best distinct candidates.
pub fn certificate(x: &[[f64; 2]], patterns: &PatternSet, v: &[f64], top_k: usize) -> Certificate {
    let n = x.len();
    let mut best = (0.0f64, [0.0, 0.0, 1.0], 1.0f64);
    let mut cands: Vec<(f64, f64, [f64; 3], Where)> = Vec::new();
    let mut consider = |value: f64, sign: f64, u: [f64; 3], w: Where, best: &mut (f64, [f64; 3], f64)| {
        if value > best.0 {
            *best = (value, u, sign);
        }
        if top_k > 0 && value > 0.0 {
            cands.push((value, sign, u, w));
        }
    };

    // 1. Interior candidates, one linear piece per region.
    let mut a = vec![0.0; n];
    for i in 0..patterns.len() {
        let d = patterns.pattern(i);
        let mut g = [0.0; 3];
        for j in 0..n {
            if d.get(j) {
                g[0] += v[j] * x[j][0];
                g[1] += v[j] * x[j][1];
                g[2] += v[j];
            }
        }
        let gn = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
        if gn == 0.0 {
            continue;
        }
        let (mut plus_ok, mut minus_ok) = (true, true);
        for j in 0..n {
            let t = x[j][0] * g[0] + x[j][1] * g[1] + g[2];
            a[j] = t;
            let tol = 1e-12 * gn * (1.0 + x[j][0].abs() + x[j][1].abs());
            let e = if d.get(j) { t } else { -t };
            if e < -tol {
                plus_ok = false;
            }
            if e > tol {
                minus_ok = false;
            }
            if !plus_ok && !minus_ok {
                break;
            }
        }
        for (ok, s) in [(plus_ok, 1.0), (minus_ok, -1.0)] {
            if ok {
                let u = [s * g[0] / gn, s * g[1] / gn, s * g[2] / gn];
                let val = s * evaluate_h(x, v, &u);
                consider(val, s, u, Where::Region(i), &mut best);
            }
        }
    }

    // 2. Boundary arcs of every (distinct) data plane.
    let mut group_of: HashMap<(u64, u64), usize> = HashMap::new();
    let mut pts: Vec<[f64; 3]> = Vec::new();
    let mut vs: Vec<f64> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for j in 0..n {
        let key = ((x[j][0] + 0.0).to_bits(), (x[j][1] + 0.0).to_bits());
        let gi = *group_of.entry(key).or_insert_with(|| {
            pts.push([x[j][0], x[j][1], 1.0]);
            vs.push(0.0);
            members.push(Vec::new());
            pts.len() - 1
        });
        vs[gi] += v[j];
        members[gi].push(j);
    }
    let m = pts.len();
    let mut events: Vec<(f64, usize, bool)> = Vec::with_capacity(2 * m);
    let mut ab = vec![[0.0f64; 2]; m];
    for jg in 0..m {
        let xj = pts[jg];
        let helper = if xj[0].abs() <= xj[1].abs() {
            [1.0, 0.0, 0.0]
        } else {
            [0.0, 1.0, 0.0]
        };
        let e1 = normalize(cross(&xj, &helper));
        let e2 = normalize(cross(&normalize(xj), &e1));
        events.clear();
        for k in 0..m {
            if k == jg {
                continue;
            }
            let p = pts[k];
            ab[k] = [
                p[0] * e1[0] + p[1] * e1[1] + p[2] * e1[2],
                p[0] * e2[0] + p[1] * e2[1] + p[2] * e2[2],
            ];
            let psi = ab[k][1].atan2(ab[k][0]);
            events.push(((psi - FRAC_PI_2).rem_euclid(TAU), k, true));
            events.push(((psi + FRAC_PI_2).rem_euclid(TAU), k, false));
        }
        if events.is_empty() {
            continue;
        }
        events.sort_by(|p, q| p.0.total_cmp(&q.0));
        let last = events[events.len() - 1].0 - TAU;
        let phi0 = 0.5 * (last + events[0].0);
        let (c0, s0) = (phi0.cos(), phi0.sin());
        let mut gsum = [0.0f64; 2];
        for k in 0..m {
            if k != jg && ab[k][0] * c0 + ab[k][1] * s0 > 0.0 {
                gsum[0] += vs[k] * ab[k][0];
                gsum[1] += vs[k] * ab[k][1];
            }
        }
        let unit = |phi: f64| -> [f64; 3] {
            let (c, s) = (phi.cos(), phi.sin());
            [
                c * e1[0] + s * e2[0],
                c * e1[1] + s * e2[1],
                c * e1[2] + s * e2[2],
            ]
        };
        let mut prev = last;
        for idx in 0..events.len() {
            let cur = events[idx].0;
            if cur - prev > 1e-14 {
                for s in [1.0, -1.0] {
                    let (g1, g2) = (s * gsum[0], s * gsum[1]);
                    let f = |phi: f64| g1 * phi.cos() + g2 * phi.sin();
                    let mut arc_best = (f(prev), prev);
                    let fc = f(cur);
                    if fc > arc_best.0 {
                        arc_best = (fc, cur);
                    }
                    let star = g2.atan2(g1);
                    let off = (star - prev).rem_euclid(TAU);
                    if off < cur - prev {
                        let val = g1.hypot(g2);
                        if val > arc_best.0 {
                            arc_best = (val, prev + off);
                        }
                    }
                    // Only arcs that can matter are stored.
                    if arc_best.0 > best.0 * 0.5 || top_k == 0 {
                        let u = unit(arc_best.1);
                        let w = Where::Arc {
                            group: jg,
                            u_mid: unit(0.5 * (prev + cur)),
                        };
                        consider(arc_best.0, s, u, w, &mut best);
                    }
                }
            }
            let (_, k, enter) = events[idx];
            let sgn = if enter { 1.0 } else { -1.0 };
            gsum[0] += sgn * vs[k] * ab[k][0];
            gsum[1] += sgn * vs[k] * ab[k][1];
            prev = cur;
        }
    }

    // Guard against rounding in the piecewise formula: the true value at the maximiser counts too.
    let exact = best.2 * evaluate_h(x, v, &best.1);
    let value = best.0.max(exact);

    let mut top = Vec::new();
    if top_k > 0 {
        cands.sort_by(|p, q| q.0.total_cmp(&p.0));
        let mut seen: HashSet<(Bitset, bool)> = HashSet::new();
        for (val, s, u, w) in cands {
            if top.len() >= top_k {
                break;
            }
            let pattern = match w {
                Where::Region(i) => patterns.pattern(i).clone(),
                Where::Arc { group, u_mid } => {
                    let mut b = crate::geometry::pattern_of(x, &u_mid);
                    for &j in &members[group] {
                        b.set(j, false);
                    }
                    b
                }
            };
            if pattern.is_zero() || !seen.insert((pattern.clone(), s > 0.0)) {
                continue;
            }
            top.push(Candidate {
                value: val,
                sign: s,
                u,
                pattern,
            });
        }
    }
    Certificate {
        value,
        u: best.1,
        sign: best.2,
        top,
    }
}
