//! Irredundant facets of the pattern cones `K_i = {u : e_ij x̃_jᵀu ≥ 0 ∀j}` (docs/math.md#notation).
//!
//! A region of the arrangement is a spherical polygon whose edges are arcs of the great circles
//! `x̃_jᵀu = 0`; on average it has fewer than four. Walking every circle once (the same sweep as
//! the certificate of docs/math.md#certificate) lists, for each arc of positive length, the two regions it separates;
//! its plane is a facet of both. The cone defined by its facets alone is exactly `K_i`, so exact
//! solvers can use ~4 inequalities per block instead of `n`.

use std::f64::consts::{FRAC_PI_2, TAU};

use super::{Bitset, PatternSet};
use crate::vec3::{cross3, dot3, normalize3};

/// Distinct points (duplicates merged): augmented coordinates and the original indices.
pub(crate) fn distinct_points(x: &[[f64; 2]]) -> (Vec<[f64; 3]>, Vec<Vec<usize>>) {
    let mut map = std::collections::HashMap::new();
    let mut pts = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (j, p) in x.iter().enumerate() {
        let key = ((p[0] + 0.0).to_bits(), (p[1] + 0.0).to_bits());
        let g = *map.entry(key).or_insert_with(|| {
            pts.push([p[0], p[1], 1.0]);
            members.push(Vec::new());
            pts.len() - 1
        });
        members[g].push(j);
    }
    (pts, members)
}

/// The circle `x̃_jᵀu = 0` of distinct point `jg`: an orthonormal basis `(e1, e2)` of the plane,
/// the in-plane coordinates `ab[k] = (x̃_k·e1, x̃_k·e2)` of every other point, and the sorted
/// crossing events `(angle, k, entering)` where `x̃_kᵀu(φ)` changes sign.
pub(crate) struct Circle {
    pub e1: [f64; 3],
    pub e2: [f64; 3],
    pub ab: Vec<[f64; 2]>,
    pub events: Vec<(f64, usize, bool)>,
}

impl Circle {
    pub(crate) fn new(pts: &[[f64; 3]], jg: usize) -> Self {
        let xj = pts[jg];
        let helper = if xj[0].abs() <= xj[1].abs() {
            [1.0, 0.0, 0.0]
        } else {
            [0.0, 1.0, 0.0]
        };
        let e1 = normalize3(cross3(&xj, &helper));
        let e2 = normalize3(cross3(&normalize3(xj), &e1));
        let mut ab = vec![[0.0; 2]; pts.len()];
        let mut events = Vec::with_capacity(2 * pts.len());
        for (k, p) in pts.iter().enumerate() {
            if k == jg {
                continue;
            }
            ab[k] = [dot3(p, &e1), dot3(p, &e2)];
            let psi = ab[k][1].atan2(ab[k][0]);
            events.push(((psi - FRAC_PI_2).rem_euclid(TAU), k, true));
            events.push(((psi + FRAC_PI_2).rem_euclid(TAU), k, false));
        }
        events.sort_by(|p, q| p.0.total_cmp(&q.0));
        Self { e1, e2, ab, events }
    }

    /// Unit vector at angle `phi` on the circle.
    pub(crate) fn unit(&self, phi: f64) -> [f64; 3] {
        let (c, s) = (phi.cos(), phi.sin());
        [
            c * self.e1[0] + s * self.e2[0],
            c * self.e1[1] + s * self.e2[1],
            c * self.e1[2] + s * self.e2[2],
        ]
    }

    /// True when point `k` (≠ the circle's own point) is strictly positive at angle `phi`.
    pub(crate) fn positive_at(&self, k: usize, phi: f64) -> bool {
        self.ab[k][0] * phi.cos() + self.ab[k][1] * phi.sin() > 0.0
    }
}

/// For every pattern of `patterns`, the original indices of one point per irredundant facet of
/// its cone (sorted). Patterns not in the set are ignored; a pattern of the set gets every plane
/// one of its edges lies on.
pub fn facets(x: &[[f64; 2]], patterns: &PatternSet) -> Vec<Vec<usize>> {
    let (pts, members) = distinct_points(x);
    let n = x.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); patterns.len()];
    let add = |bits: &Bitset, j: usize, out: &mut Vec<Vec<usize>>| {
        if let Some(i) = patterns.find(bits)
            && !out[i].contains(&j)
        {
            out[i].push(j);
        }
    };
    for jg in 0..pts.len() {
        let rep = members[jg][0];
        let circle = Circle::new(&pts, jg);
        let ev = &circle.events;
        let mut bits = Bitset::zeros(n);
        let set_group = |bits: &mut Bitset, g: usize, on: bool| {
            for &j in &members[g] {
                bits.set(j, on);
            }
        };
        if ev.is_empty() {
            // a single distinct point: its plane bounds both half-spaces
            add(&bits, rep, &mut out);
            set_group(&mut bits, jg, true);
            add(&bits, rep, &mut out);
            continue;
        }
        let last = ev[ev.len() - 1].0 - TAU;
        let phi0 = 0.5 * (last + ev[0].0);
        for k in 0..pts.len() {
            if k != jg && circle.positive_at(k, phi0) {
                set_group(&mut bits, k, true);
            }
        }
        let mut prev = last;
        for &(cur, k, enter) in ev {
            if cur - prev > 1e-14 {
                // the arc (prev, cur) separates `bits` from `bits ∪ {jg}`
                add(&bits, rep, &mut out);
                set_group(&mut bits, jg, true);
                add(&bits, rep, &mut out);
                set_group(&mut bits, jg, false);
            }
            set_group(&mut bits, k, enter);
            prev = cur;
        }
    }
    for f in out.iter_mut() {
        f.sort_unstable();
    }
    out
}
