//! Exact certificate `c(v) = max_{‖u‖≤1} |h(u)|`, `h(u) = Σ_j v_j (x̃_jᵀu)₊` (docs/math.md#certificate).
//!
//! `h` is linear on every region of the arrangement and positively homogeneous, so its maximum
//! over the unit ball is on the sphere, either inside a region (at `g/‖g‖` with
//! `g = ± Xᵀ D_i v ∈ K_i`) or on a boundary arc of some plane `x̃_jᵀu = 0`, where
//! `±h(u(φ)) = G1 cos φ + G2 sin φ` with `G` constant between crossings. Both families are
//! enumerated exactly: `O(P n)` for the regions and `O(n² log n)` for the arcs. Duplicate points
//! are merged (their `v` summed) before the arc sweep.

use std::collections::HashSet;
use std::f64::consts::TAU;

use crate::geometry::facets::{Circle, distinct_points};
use crate::geometry::{Bitset, PatternSet};
use crate::vec3::norm3;

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
    /// An arc of circle `group`, by the angle of its midpoint.
    Arc {
        group: usize,
        mid: f64,
    },
}

/// Computes `c(v)` exactly over all regions in `patterns` (which must be the exact set for a
/// certificate of global optimality) and keeps the `top_k` best distinct candidates.
pub fn certificate(x: &[[f64; 2]], patterns: &PatternSet, v: &[f64], top_k: usize) -> Certificate {
    certificate_with(&SweepGeometry::new(x), x, patterns, v, top_k)
}

/// The part of the arc sweep that does not depend on `v`: the distinct points, every point's
/// circle with its sorted crossing events, each event's unit vector and `(cos, sin)`, and the
/// points positive at the circle's starting angle. Building it costs the `O(n² log n)`
/// trigonometry; certificates of many `v` on the same data reuse it
/// ([`certificate_with`]).
pub struct SweepGeometry {
    members: Vec<Vec<usize>>,
    circles: Vec<CachedCircle>,
}

struct CachedCircle {
    circle: Circle,
    /// Per event: `(cos φ, sin φ)` and the unit vector at `φ`.
    at: Vec<([f64; 2], [f64; 3])>,
    /// Distinct points positive just after the last event (at the start of the sweep).
    start: Vec<usize>,
}

impl SweepGeometry {
    /// The geometry of `x`.
    pub fn new(x: &[[f64; 2]]) -> Self {
        let (pts, members) = distinct_points(x);
        let m = pts.len();
        let circles = (0..m)
            .map(|jg| {
                let circle = Circle::new(&pts, jg);
                let at = circle
                    .events
                    .iter()
                    .map(|&(phi, _, _)| ([phi.cos(), phi.sin()], circle.unit(phi)))
                    .collect();
                let start = match circle.events.last() {
                    Some(&(last, _, _)) => {
                        let phi0 = 0.5 * (last - TAU + circle.events[0].0);
                        (0..m)
                            .filter(|&k| k != jg && circle.positive_at(k, phi0))
                            .collect()
                    }
                    None => Vec::new(),
                };
                CachedCircle { circle, at, start }
            })
            .collect();
        Self { members, circles }
    }
}

/// [`certificate`] with the arc geometry of `x` computed beforehand.
pub fn certificate_with(
    geom: &SweepGeometry,
    x: &[[f64; 2]],
    patterns: &PatternSet,
    v: &[f64],
    top_k: usize,
) -> Certificate {
    let n = x.len();
    let mut best = (0.0f64, [0.0, 0.0, 1.0], 1.0f64);
    let mut cands: Vec<(f64, f64, [f64; 3], Where)> = Vec::new();
    let mut consider =
        |value: f64, sign: f64, u: [f64; 3], w: Where, best: &mut (f64, [f64; 3], f64)| {
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
        let gn = norm3(&g);
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
    let members = &geom.members;
    let vs: Vec<f64> = members
        .iter()
        .map(|g| g.iter().map(|&j| v[j]).sum())
        .collect();
    for (jg, cc) in geom.circles.iter().enumerate() {
        let circle = &cc.circle;
        let events = &circle.events;
        if events.is_empty() {
            continue; // a single distinct point: h = 0 on its circle
        }
        let last = events[events.len() - 1].0 - TAU;
        let mut gsum = [0.0f64; 2];
        for &k in &cc.start {
            gsum[0] += vs[k] * circle.ab[k][0];
            gsum[1] += vs[k] * circle.ab[k][1];
        }
        let mut prev = last;
        let mut prev_at = cc.at[events.len() - 1];
        for (e, &(cur, k, enter)) in events.iter().enumerate() {
            let cur_at = cc.at[e];
            let len = cur - prev;
            if len > 1e-14 {
                for s in [1.0, -1.0] {
                    let (g1, g2) = (s * gsum[0], s * gsum[1]);
                    let f = |c: [f64; 2]| g1 * c[0] + g2 * c[1];
                    let (fp, fc) = (f(prev_at.0), f(cur_at.0));
                    // The maximum of g·(cos φ, sin φ) is at the direction of g if that lies in
                    // the arc (cross products instead of angles), else at an end.
                    let (a, b) = (prev_at.0, cur_at.0);
                    let cross = |p: [f64; 2], q: [f64; 2]| p[0] * q[1] - p[1] * q[0];
                    let gd = [g1, g2];
                    let inside = if len <= std::f64::consts::PI {
                        cross(a, gd) >= 0.0 && cross(gd, b) >= 0.0
                    } else {
                        !(cross(b, gd) > 0.0 && cross(gd, a) > 0.0)
                    };
                    let val = if inside {
                        (g1 * g1 + g2 * g2).sqrt()
                    } else {
                        0.0
                    };
                    let (arc_val, which) = if inside && val > fp.max(fc) {
                        (val, 2)
                    } else if fc > fp {
                        (fc, 1)
                    } else {
                        (fp, 0)
                    };
                    // Only arcs that can matter are looked at further.
                    let wanted = if top_k == 0 {
                        arc_val > best.0
                    } else {
                        arc_val > best.0 * 0.5
                    };
                    if wanted {
                        let u = match which {
                            0 => prev_at.1,
                            1 => cur_at.1,
                            _ => {
                                let (c, sn) = (g1 / val, g2 / val);
                                [
                                    c * circle.e1[0] + sn * circle.e2[0],
                                    c * circle.e1[1] + sn * circle.e2[1],
                                    c * circle.e1[2] + sn * circle.e2[2],
                                ]
                            }
                        };
                        let w = Where::Arc {
                            group: jg,
                            mid: 0.5 * (prev + cur),
                        };
                        consider(arc_val, s, u, w, &mut best);
                    }
                }
            }
            let sgn = if enter { 1.0 } else { -1.0 };
            gsum[0] += sgn * vs[k] * circle.ab[k][0];
            gsum[1] += sgn * vs[k] * circle.ab[k][1];
            prev = cur;
            prev_at = cur_at;
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
                Where::Arc { group, mid } => {
                    let u_mid = geom.circles[group].circle.unit(mid);
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
