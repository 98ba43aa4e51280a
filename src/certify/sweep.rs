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
use crate::vec3::{dot3, norm3};

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
    /// A region met on the circle of distinct point `group`, beside the arc whose midpoint is at
    /// angle `mid`: on the point's positive side when `on` (arcs are kept with `on = false`).
    Cell {
        group: usize,
        mid: f64,
        on: bool,
    },
}

/// Where the interior candidates (one per region) come from.
enum Regions<'a> {
    /// A listed pattern set (`O(P n)`).
    Listed(&'a PatternSet),
    /// The regions met beside the arcs of the sweep itself: every region of the arrangement
    /// has an edge on some circle, so none is missed, and only the regions whose linear piece
    /// `‖g‖` could beat the best value are checked (`O(n)` each).
    Swept,
}

/// A region met during the sweep whose interior candidate may matter.
struct CellRecord {
    norm: f64,
    group: usize,
    mid: f64,
    on: bool,
    /// The sign `s` of the candidate `s·g/‖g‖`.
    sign: f64,
    /// `g` as accumulated by the sweep (exact up to rounding drift; recomputed before use).
    g: [f64; 3],
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
    /// Augmented coordinates of the distinct points.
    pts: Vec<[f64; 3]>,
    /// Per distinct point: the XOR of its members' random keys, so that the fingerprint of a
    /// pattern (XOR of the keys of its points) is kept in O(1) per crossing during a sweep.
    keys: Vec<u64>,
    /// Per original point: its random key.
    point_keys: Vec<u64>,
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
        let point_keys: Vec<u64> = (0..x.len())
            .map(|j| crate::geometry::grid::splitmix(0x5EED_0000 + j as u64))
            .collect();
        let keys = members
            .iter()
            .map(|g| g.iter().fold(0, |a, &j| a ^ point_keys[j]))
            .collect();
        Self {
            members,
            circles,
            pts,
            keys,
            point_keys,
        }
    }

    /// The fingerprint of a pattern: the XOR of its points' random keys (the key of a region in
    /// [`SweepGeometry::facets_of`] and of the solvers' working sets).
    pub fn fingerprint(&self, pattern: &Bitset) -> u64 {
        let mut h = 0;
        for (w, &word) in pattern.words().iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                h ^= self.point_keys[64 * w + b];
                bits &= bits - 1;
            }
        }
        h
    }

    /// The number of regions of the arrangement (the empty one included), counted by their
    /// fingerprints beside every arc of positive length: what the enumeration of
    /// [`crate::geometry::enumerate_exact`] lists, without listing it (8 bytes per region).
    pub fn region_count(&self) -> usize {
        let mut seen: HashSet<u64> = HashSet::new();
        for (jg, cc) in self.circles.iter().enumerate() {
            let ev = &cc.circle.events;
            let mut fp = cc.start.iter().fold(0u64, |a, &k| a ^ self.keys[k]);
            if ev.is_empty() {
                seen.insert(fp);
                seen.insert(fp ^ self.keys[jg]);
                continue;
            }
            let mut prev = ev[ev.len() - 1].0 - TAU;
            for &(cur, k, _) in ev {
                if cur - prev > 1e-14 {
                    seen.insert(fp);
                    seen.insert(fp ^ self.keys[jg]);
                }
                fp ^= self.keys[k];
                prev = cur;
            }
        }
        seen.len()
    }

    /// For each of `patterns` (regions of the arrangement of the points this geometry was built
    /// from), the original indices of one point per irredundant facet of its cone, sorted: the
    /// planes that carry an edge of positive length of the region (as
    /// [`crate::geometry::facets()`], without the full pattern set). One `O(n²)` pass over the
    /// cached crossings; a pattern that is no region gets no facets.
    pub fn facets_of(&self, n: usize, patterns: &[Bitset]) -> Vec<Vec<usize>> {
        let mut wanted: std::collections::HashMap<u64, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, p) in patterns.iter().enumerate() {
            wanted.entry(self.fingerprint(p)).or_default().push(i);
        }
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); patterns.len()];
        let members = &self.members;
        let set_group = |bits: &mut Bitset, g: usize, on: bool| {
            for &j in &members[g] {
                bits.set(j, on);
            }
        };
        let offer = |fp: u64, bits: &Bitset, rep: usize, out: &mut Vec<Vec<usize>>| {
            if let Some(list) = wanted.get(&fp) {
                for &i in list {
                    if patterns[i] == *bits && !out[i].contains(&rep) {
                        out[i].push(rep);
                    }
                }
            }
        };
        for (jg, cc) in self.circles.iter().enumerate() {
            let rep = members[jg][0];
            let ev = &cc.circle.events;
            let mut bits = Bitset::zeros(n);
            let mut fp = 0u64;
            for &k in &cc.start {
                set_group(&mut bits, k, true);
                fp ^= self.keys[k];
            }
            let both_sides = |bits: &mut Bitset, fp: u64, out: &mut Vec<Vec<usize>>| {
                offer(fp, bits, rep, out);
                set_group(bits, jg, true);
                offer(fp ^ self.keys[jg], bits, rep, out);
                set_group(bits, jg, false);
            };
            if ev.is_empty() {
                // a single distinct point: its plane bounds both half-spaces
                both_sides(&mut bits, fp, &mut out);
                continue;
            }
            let mut prev = ev[ev.len() - 1].0 - TAU;
            for &(cur, k, enter) in ev {
                if cur - prev > 1e-14 {
                    both_sides(&mut bits, fp, &mut out);
                }
                set_group(&mut bits, k, enter);
                fp ^= self.keys[k];
                prev = cur;
            }
        }
        for f in out.iter_mut() {
            f.sort_unstable();
        }
        out
    }
}

/// The pattern of the region beside the arc at angle `mid` of distinct point `group`'s circle,
/// on the point's positive side when `on`.
fn cell_pattern(geom: &SweepGeometry, x: &[[f64; 2]], group: usize, mid: f64, on: bool) -> Bitset {
    let u_mid = geom.circles[group].circle.unit(mid);
    let mut b = crate::geometry::pattern_of(x, &u_mid);
    for &j in &geom.members[group] {
        b.set(j, on);
    }
    b
}

/// Whether `s·g` of a swept region lies in its cone, up to a loose tolerance (a filter before
/// the exact [`interior_candidates`]; no pattern is built).
fn loosely_inside(geom: &SweepGeometry, c: &CellRecord) -> bool {
    let u_mid = geom.circles[c.group].circle.unit(c.mid);
    geom.pts.iter().enumerate().all(|(k, p)| {
        let pos = if k == c.group {
            c.on
        } else {
            dot3(p, &u_mid) > 0.0
        };
        let t = c.sign * dot3(p, &c.g);
        let tol = 1e-9 * c.norm * norm3(p);
        if pos { t >= -tol } else { t <= tol }
    })
}

/// The interior candidates of region `d`: `s·g/‖g‖` with `g = Σ_{j∈d} v_j x̃_j` when it lies in
/// the region's closure (`s = ±1`), with its value `s·h`.
fn interior_candidates(
    x: &[[f64; 2]],
    v: &[f64],
    d: &Bitset,
) -> impl Iterator<Item = (f64, f64, [f64; 3])> {
    let mut g = [0.0; 3];
    for (j, p) in x.iter().enumerate() {
        if d.get(j) {
            g[0] += v[j] * p[0];
            g[1] += v[j] * p[1];
            g[2] += v[j];
        }
    }
    let gn = norm3(&g);
    let (mut plus_ok, mut minus_ok) = (gn > 0.0, gn > 0.0);
    if gn > 0.0 {
        for (j, p) in x.iter().enumerate() {
            let t = p[0] * g[0] + p[1] * g[1] + g[2];
            let tol = 1e-12 * gn * (1.0 + p[0].abs() + p[1].abs());
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
    }
    [(plus_ok, 1.0), (minus_ok, -1.0)]
        .into_iter()
        .filter(|&(ok, _)| ok)
        .map(move |(_, s)| {
            let u = [s * g[0] / gn, s * g[1] / gn, s * g[2] / gn];
            (s * evaluate_h(x, v, &u), s, u)
        })
}

/// [`certificate`] with the arc geometry of `x` computed beforehand.
pub fn certificate_with(
    geom: &SweepGeometry,
    x: &[[f64; 2]],
    patterns: &PatternSet,
    v: &[f64],
    top_k: usize,
) -> Certificate {
    sweep(geom, x, Regions::Listed(patterns), v, top_k)
}

/// [`certificate_with`] without a pattern set: the regions are met by the sweep itself
/// (docs/math.md#pricing), so no enumeration of the `n² − n + 2` regions is needed and the cost
/// is the sweep's `O(n²)` plus `O(n)` per region that could beat the best value. Candidate
/// patterns are built from the sweep.
pub fn price(geom: &SweepGeometry, x: &[[f64; 2]], v: &[f64], top_k: usize) -> Certificate {
    sweep(geom, x, Regions::Swept, v, top_k)
}

fn sweep(
    geom: &SweepGeometry,
    x: &[[f64; 2]],
    regions: Regions<'_>,
    v: &[f64],
    top_k: usize,
) -> Certificate {
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

    // 1. Interior candidates of listed regions, one linear piece per region.
    if let Regions::Listed(patterns) = regions {
        for i in 0..patterns.len() {
            let d = patterns.pattern(i);
            for (val, s, u) in interior_candidates(x, v, d) {
                consider(val, s, u, Where::Region(i), &mut best);
            }
        }
    }
    let swept = matches!(regions, Regions::Swept);
    let floor = |best: f64| if top_k == 0 { best } else { 0.5 * best };
    let mut cells: Vec<CellRecord> = Vec::new();
    let mut pruned_at = 1usize << 14;

    // 2. Boundary arcs of every (distinct) data plane (and, swept, the regions beside them).
    let members = &geom.members;
    let vs: Vec<f64> = members
        .iter()
        .map(|g| g.iter().map(|&j| v[j]).sum())
        .collect();
    for (jg, cc) in geom.circles.iter().enumerate() {
        // Swept regions: `g` of the region on the point's negative side of the current arc
        // (the positive side adds the point's own term).
        let mut g3 = [0.0f64; 3];
        let own = {
            let p = geom.pts[jg];
            [vs[jg] * p[0], vs[jg] * p[1], vs[jg] * p[2]]
        };
        if swept {
            for &k in &cc.start {
                let p = geom.pts[k];
                for c in 0..3 {
                    g3[c] += vs[k] * p[c];
                }
            }
        }
        let circle = &cc.circle;
        let events = &circle.events;
        if events.is_empty() {
            // A single distinct point: h = 0 on its circle, and its plane bounds the only two
            // regions (the point on, or off).
            if swept {
                for (g, on) in [(g3, false), (own, true)] {
                    let norm = norm3(&g);
                    if norm > 0.0 {
                        for sign in [1.0, -1.0] {
                            cells.push(CellRecord {
                                norm,
                                group: jg,
                                mid: 0.0,
                                on,
                                sign,
                                g,
                            });
                        }
                    }
                }
            }
            continue;
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
            if swept && len > 1e-14 {
                let on_side = [g3[0] + own[0], g3[1] + own[1], g3[2] + own[2]];
                // Three facets of the region are known here: the circle's own plane and the
                // planes crossing it at the arc's ends. `s·g` must lie on the region's side of
                // each (loosely: rounding drift must not drop a candidate; the exact check
                // decides).
                let (kp, kp_on) = {
                    let (_, kk, ent) = events[if e == 0 { events.len() - 1 } else { e - 1 }];
                    (kk, ent)
                };
                let sides = [(kp, kp_on), (k, !enter)];
                for (g, on) in [(g3, false), (on_side, true)] {
                    let norm = norm3(&g);
                    if norm <= floor(best.0) || norm == 0.0 {
                        continue;
                    }
                    for sgn in [1.0, -1.0] {
                        let side_ok = |pk: usize, pos: bool| {
                            let t = sgn * dot3(&geom.pts[pk], &g);
                            let tol = 1e-9 * norm * norm3(&geom.pts[pk]);
                            if pos { t >= -tol } else { t <= tol }
                        };
                        if side_ok(jg, on) && sides.iter().all(|&(pk, pos)| side_ok(pk, pos)) {
                            cells.push(CellRecord {
                                norm,
                                group: jg,
                                mid: 0.5 * (prev + cur),
                                on,
                                sign: sgn,
                                g,
                            });
                        }
                    }
                }
                if cells.len() > pruned_at {
                    let f = floor(best.0);
                    cells.retain(|c| c.norm > f);
                    pruned_at = pruned_at.max(2 * cells.len());
                }
            }
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
                        let w = Where::Cell {
                            group: jg,
                            mid: 0.5 * (prev + cur),
                            on: false,
                        };
                        consider(arc_val, s, u, w, &mut best);
                    }
                }
            }
            let sgn = if enter { 1.0 } else { -1.0 };
            gsum[0] += sgn * vs[k] * circle.ab[k][0];
            gsum[1] += sgn * vs[k] * circle.ab[k][1];
            if swept {
                let p = geom.pts[k];
                for c in 0..3 {
                    g3[c] += sgn * vs[k] * p[c];
                }
            }
            prev = cur;
            prev_at = cur_at;
        }
    }

    // 3. Swept regions, largest `‖g‖` first (an upper bound of the region's maximum): each is
    // checked once, exactly, until no further one can beat the best value (or `top_k` passed).
    if swept {
        cells.sort_by(|p, q| q.norm.total_cmp(&p.norm));
        let mut checked: HashSet<(u64, bool)> = HashSet::new();
        let mut passed = 0;
        for c in &cells {
            if c.norm <= floor(best.0) || (top_k > 0 && passed >= top_k) {
                break;
            }
            // A record whose arc rounding made inconsistent must not stand for its region:
            // only the pattern actually built and checked marks the region as done.
            if !loosely_inside(geom, c) {
                continue;
            }
            let d = cell_pattern(geom, x, c.group, c.mid, c.on);
            if !checked.insert((geom.fingerprint(&d), c.sign > 0.0)) {
                continue;
            }
            for (val, s, u) in interior_candidates(x, v, &d) {
                passed += 1;
                let w = Where::Cell {
                    group: c.group,
                    mid: c.mid,
                    on: c.on,
                };
                consider(val, s, u, w, &mut best);
            }
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
            let pattern = match (w, &regions) {
                (Where::Region(i), Regions::Listed(patterns)) => patterns.pattern(i).clone(),
                (Where::Region(_), Regions::Swept) => continue,
                (Where::Cell { group, mid, on }, _) => cell_pattern(geom, x, group, mid, on),
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
