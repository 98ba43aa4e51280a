//! Activation patterns of 2D data with a bias column (docs/math.md#patterns).
//!
//! A pattern is the 0/1 vector `d(g)_j = 1[x̃_jᵀ g > 0]` (strict rule, docs/math.md#conventions) of a direction
//! `g ∈ R³`; the patterns with no tie are the open regions of the central arrangement of the
//! planes `x̃_jᵀ u = 0`, i.e. the sets of data points cut off by an oriented line (the empty and
//! the full set included). For points in general position there are exactly `n² − n + 2`.
//!
//! * [`enumerate_oracle`] is the reference sweep of docs/math.md#patterns-sweep (`O(n³ log n)`), correct for duplicate
//!   and collinear points. It is the test oracle.
//! * [`enumerate_exact`] is the incremental sweep of docs/math.md#patterns-fast (`O(n² log n)`); on degenerate data
//!   (duplicates, collinear triples, parallel pairs) it falls back to the oracle.
//! * [`sample_gaussian`] / [`sample_lines`] give the sampled ("approximate") pattern sets of docs/math.md#patterns-sampled.
//! * [`pattern_of`] maps any neuron to its pattern (docs/math.md#patterns-ties).
//!
//! Every pattern carries a *generator* `g` strictly inside its region: `1[X g > 0]` reproduces it
//! with no tie.

use std::collections::HashMap;
use std::f64::consts::{PI, TAU};

use rand::{RngExt, SeedableRng, rngs::StdRng};

use super::Bitset;
use crate::error::{Error, Result};

/// Augmented input `x̃ = (x1, x2, 1)` (docs/math.md#notation).
pub fn augment(x: &[[f64; 2]]) -> Vec<[f64; 3]> {
    x.iter().map(|p| [p[0], p[1], 1.0]).collect()
}

/// The pattern `1[x̃_jᵀ u > 0]` of a neuron `u = (w1, w2, b)` (strict rule, docs/math.md#patterns-ties). It is always a
/// region of the arrangement: moving `u` by `−ε·(0,0,1)` makes tied points negative.
pub fn pattern_of(x: &[[f64; 2]], u: &[f64; 3]) -> Bitset {
    Bitset::from_bools(x.iter().map(|p| p[0] * u[0] + p[1] * u[1] + u[2] > 0.0))
}

/// How the pattern set of a problem is chosen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PatternMode {
    /// All open regions of the arrangement (exact formulation).
    Exact,
    /// `count` Gaussian directions `g ~ N(0, I₃)`, distinct non-empty patterns kept (docs/math.md#patterns-sampled).
    Sampled {
        /// Number of samples drawn.
        count: usize,
        /// RNG seed.
        seed: u64,
    },
}

impl PatternMode {
    /// Parses the CLI syntax `exact` or `sampled:P[:SEED]`.
    pub fn parse(spec: &str) -> Result<Self> {
        let bad = || {
            Error::InvalidSetting(format!(
                "--patterns {spec:?}: expected `exact` or `sampled:P[:SEED]` with P ≥ 1"
            ))
        };
        if spec == "exact" {
            return Ok(Self::Exact);
        }
        let rest = spec.strip_prefix("sampled:").ok_or_else(bad)?;
        let mut parts = rest.split(':');
        let count: usize = parts
            .next()
            .and_then(|p| p.parse().ok())
            .filter(|&c| c >= 1)
            .ok_or_else(bad)?;
        if count > crate::limits::MAX_SAMPLED {
            return Err(Error::InvalidSetting(format!(
                "--patterns {spec:?}: at most {} sampled patterns",
                crate::limits::MAX_SAMPLED
            )));
        }
        let seed: u64 = match parts.next() {
            Some(s) => s.parse().map_err(|_| bad())?,
            None => 0,
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self::Sampled { count, seed })
    }

    /// Computes the pattern set of `x` in this mode.
    pub fn build(&self, x: &[[f64; 2]]) -> Result<PatternSet> {
        if let Self::Sampled { count, .. } = *self
            && !(1..=crate::limits::MAX_SAMPLED).contains(&count)
        {
            return Err(Error::InvalidSetting(format!(
                "{count} sampled patterns: must be from 1 to {}",
                crate::limits::MAX_SAMPLED
            )));
        }
        match *self {
            Self::Exact => enumerate_exact(x),
            Self::Sampled { count, seed } => sample_gaussian(x, count, seed),
        }
    }
}

/// A 64-bit fingerprint of a pattern (multiply–rotate over its words): the key of the index, so
/// the index neither clones patterns nor runs SipHash over `n` bits per lookup.
fn fingerprint(b: &Bitset) -> u64 {
    b.words().iter().fold(b.len() as u64, |h, &w| {
        (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95)
    })
}

/// A hasher for keys that are already fingerprints: it passes them through.
#[derive(Default)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type FingerprintMap = HashMap<u64, usize, std::hash::BuildHasherDefault<PassThrough>>;

/// A set of distinct activation patterns over `n` points, each with a strictly interior generator.
#[derive(Debug, Clone)]
pub struct PatternSet {
    n: usize,
    patterns: Vec<Bitset>,
    generators: Vec<[f64; 3]>,
    /// Fingerprint → index of the first pattern with it.
    index: FingerprintMap,
    /// Patterns whose fingerprint another pattern already has (practically never).
    collisions: HashMap<Bitset, usize>,
}

impl PatternSet {
    /// An empty set of patterns over `n` points.
    pub fn new(n: usize) -> Self {
        Self {
            n,
            patterns: Vec::new(),
            generators: Vec::new(),
            index: FingerprintMap::default(),
            collisions: HashMap::new(),
        }
    }

    /// Adds a pattern unless already present; returns its index.
    pub fn insert(&mut self, pattern: Bitset, generator: [f64; 3]) -> usize {
        let i = self.patterns.len();
        // One fingerprint and one probe of the index per insert.
        match self.index.entry(fingerprint(&pattern)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let first = *e.get();
                if self.patterns[first] == pattern {
                    return first;
                }
                if let Some(&k) = self.collisions.get(&pattern) {
                    return k;
                }
                self.collisions.insert(pattern.clone(), i);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
        self.patterns.push(pattern);
        self.generators.push(generator);
        i
    }

    /// Number of data points the patterns are over.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True when there is no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Pattern `i`.
    pub fn pattern(&self, i: usize) -> &Bitset {
        &self.patterns[i]
    }

    /// All patterns.
    pub fn patterns(&self) -> &[Bitset] {
        &self.patterns
    }

    /// Generator of pattern `i` (strictly inside its region).
    pub fn generator(&self, i: usize) -> [f64; 3] {
        self.generators[i]
    }

    /// All generators.
    pub fn generators(&self) -> &[[f64; 3]] {
        &self.generators
    }

    /// Index of a pattern, if present.
    pub fn find(&self, pattern: &Bitset) -> Option<usize> {
        match self.index.get(&fingerprint(pattern)) {
            Some(&i) if self.patterns[i] == *pattern => Some(i),
            Some(_) => self.collisions.get(pattern).copied(),
            None => None,
        }
    }

    /// A copy without the all-zero pattern (it contributes nothing to the convex program, docs/math.md#relu-convex).
    pub fn without_empty(&self) -> PatternSet {
        let mut out = PatternSet::new(self.n);
        for (p, g) in self.patterns.iter().zip(&self.generators) {
            if !p.is_zero() {
                out.insert(p.clone(), *g);
            }
        }
        out
    }

    /// Patterns sorted by bit string (a canonical order for comparisons in tests and output).
    pub fn sorted(&self) -> PatternSet {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by(|&a, &b| self.patterns[a].cmp(&self.patterns[b]));
        let mut out = PatternSet::new(self.n);
        for i in order {
            out.insert(self.patterns[i].clone(), self.generators[i]);
        }
        out
    }
}

/// Groups of identical points: `groups[g]` lists the original indices of distinct point `g`.
fn duplicate_groups(x: &[[f64; 2]]) -> (Vec<[f64; 2]>, Vec<Vec<usize>>) {
    let mut map: HashMap<(u64, u64), usize> = HashMap::new();
    let mut pts = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (j, p) in x.iter().enumerate() {
        // +0.0 and −0.0 are the same point.
        let key = ((p[0] + 0.0).to_bits(), (p[1] + 0.0).to_bits());
        match map.get(&key) {
            Some(&g) => groups[g].push(j),
            None => {
                map.insert(key, pts.len());
                pts.push(*p);
                groups.push(vec![j]);
            }
        }
    }
    (pts, groups)
}

fn check_points(x: &[[f64; 2]]) -> Result<()> {
    if x.is_empty() {
        return Err(Error::InvalidData("no data points".into()));
    }
    if x.iter().any(|p| !p[0].is_finite() || !p[1].is_finite()) {
        return Err(Error::InvalidData("non-finite coordinate".into()));
    }
    Ok(())
}

/// Emits the prefix sets of the projection order at direction angle `theta` (one step of docs/math.md#patterns-sweep).
fn emit_prefixes(
    theta: f64,
    pts: &[[f64; 2]],
    groups: &[Vec<usize>],
    n: usize,
    out: &mut PatternSet,
) {
    let (c, s) = (theta.cos(), theta.sin());
    let proj: Vec<f64> = pts.iter().map(|p| c * p[0] + s * p[1]).collect();
    let mut order: Vec<usize> = (0..pts.len()).collect();
    order.sort_by(|&a, &b| proj[b].total_cmp(&proj[a]));
    let mut bits = Bitset::zeros(n);
    // q = 0: the empty set, threshold above the largest projection.
    let top = proj[order[0]];
    out.insert(bits.clone(), [c, s, -(top + 1.0)]);
    for q in 0..order.len() {
        for &j in &groups[order[q]] {
            bits.set(j, true);
        }
        let here = proj[order[q]];
        let threshold = match order.get(q + 1) {
            Some(&next) => {
                let t = 0.5 * (here + proj[next]);
                // Equal projections cannot be split at this angle, and projections one rounding
                // step apart leave no threshold strictly between them: the generator must be
                // strictly inside its region, so such a split is left to another angle.
                if !(here > t && t > proj[next]) {
                    continue;
                }
                t
            }
            None => here - 1.0,
        };
        out.insert(bits.clone(), [c, s, -threshold]);
    }
}

/// Critical angles of docs/math.md#patterns-sweep step 2, sorted, equal ones merged, in `[0, 2π)`.
fn critical_angles(pts: &[[f64; 2]]) -> Vec<f64> {
    let mut angles = Vec::with_capacity(pts.len() * pts.len());
    for j in 0..pts.len() {
        for k in (j + 1)..pts.len() {
            let (dx, dy) = (pts[k][0] - pts[j][0], pts[k][1] - pts[j][1]);
            let t = dy.atan2(dx) + PI / 2.0;
            angles.push(t.rem_euclid(TAU));
            angles.push((t + PI).rem_euclid(TAU));
        }
    }
    angles.sort_by(f64::total_cmp);
    // Only equal angles merge: near-twin points make critical angles 1e-12 apart, and the thin
    // regions between them are regions too.
    angles.dedup();
    if angles.len() > 1 && angles[0] + TAU == angles[angles.len() - 1] {
        angles.pop();
    }
    angles
}

/// Reference enumeration of all open regions (docs/math.md#patterns-sweep, the test oracle). Handles duplicate and
/// collinear points. The result includes the empty and the full pattern.
pub fn enumerate_oracle(x: &[[f64; 2]]) -> Result<PatternSet> {
    check_points(x)?;
    let n = x.len();
    let (pts, groups) = duplicate_groups(x);
    let mut out = PatternSet::new(n);
    let angles = critical_angles(&pts);
    if angles.is_empty() {
        emit_prefixes(0.0, &pts, &groups, n, &mut out);
    } else {
        for w in 0..angles.len() {
            let a = angles[w];
            let b = if w + 1 < angles.len() {
                angles[w + 1]
            } else {
                angles[0] + TAU
            };
            emit_prefixes(0.5 * (a + b), &pts, &groups, n, &mut out);
        }
    }
    Ok(out)
}

/// All open regions of the arrangement (exact pattern set, empty pattern included), by the
/// incremental sweep of docs/math.md#patterns-fast for points in general position and by [`enumerate_oracle`] otherwise.
pub fn enumerate_exact(x: &[[f64; 2]]) -> Result<PatternSet> {
    check_points(x)?;
    match enumerate_sweep(x) {
        Some(set) => Ok(set),
        None => enumerate_oracle(x),
    }
}

/// docs/math.md#patterns-fast, the `O(n² log n)` incremental sweep alone: `None` where it defers to the oracle
/// (duplicates, collinear triples, fewer than 3 points, or a numerical inconsistency).
/// [`enumerate_exact`] is what callers want; this is public so tests can tell which path ran.
pub fn enumerate_sweep(x: &[[f64; 2]]) -> Option<PatternSet> {
    let n = x.len();
    if n < 3 {
        return None; // trivial sizes: the oracle is instant
    }
    // Events (angle, j, k): at angle θ the points j and k have equal projection.
    let mut events: Vec<(f64, u32, u32)> = Vec::with_capacity(n * (n - 1));
    for j in 0..n {
        for k in (j + 1)..n {
            let (dx, dy) = (x[k][0] - x[j][0], x[k][1] - x[j][1]);
            if dx == 0.0 && dy == 0.0 {
                return None; // duplicate point
            }
            let t = dy.atan2(dx) + PI / 2.0;
            events.push((t.rem_euclid(TAU), j as u32, k as u32));
            events.push(((t + PI).rem_euclid(TAU), j as u32, k as u32));
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let m = events.len();
    // Events closer than 1e-10 form a cluster. A cluster whose pairs share no point is a set of
    // independent swaps at different places in the order (with ~n² events some such near-ties
    // are certain from n ≈ 700 on): they commute, and each new prefix is kept past the whole
    // cluster. A cluster sharing a point (a collinear triple, or too close to call) goes to the
    // oracle. `last[w]` is the last event of `w`'s cluster.
    let gap_after = |w: usize| {
        let next = if w + 1 < m {
            events[w + 1].0
        } else {
            events[0].0 + TAU
        };
        next - events[w].0
    };
    if gap_after(m - 1) < 1e-10 {
        return None; // a cluster across the start angle: rare, leave it to the oracle
    }
    let mut last = vec![0usize; m];
    let mut start = 0;
    let mut seen = vec![false; n];
    for w in 0..m {
        if gap_after(w) >= 1e-10 {
            // Swaps sharing a point (a nearly collinear triple: from n ≈ 2000 on, some are
            // certain) are not independent: they are taken one at a time in angle order, each
            // prefix placed right after its own event. If the angles are too close to order
            // them, a swap finds its pair not adjacent (or a generator not strict) and the
            // sweep defers to the oracle below.
            let mut shared = false;
            if w > start {
                for e in &events[start..=w] {
                    for p in [e.1 as usize, e.2 as usize] {
                        shared |= std::mem::replace(&mut seen[p], true);
                    }
                }
                for e in &events[start..=w] {
                    seen[e.1 as usize] = false;
                    seen[e.2 as usize] = false;
                }
            }
            if shared {
                for (v, l) in last.iter_mut().enumerate().take(w + 1).skip(start) {
                    *l = v;
                }
            } else {
                last[start..=w].fill(w);
            }
            start = w + 1;
        }
    }
    let mid_after = |w: usize| -> f64 {
        let next = if w + 1 < m {
            events[w + 1].0
        } else {
            events[0].0 + TAU
        };
        0.5 * (events[w].0 + next)
    };
    let proj_at = |theta: f64, j: usize| theta.cos() * x[j][0] + theta.sin() * x[j][1];

    // Start in the wrap-around gap, before the first event.
    let theta0 = mid_after(m - 1) - TAU;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| proj_at(theta0, b).total_cmp(&proj_at(theta0, a)));
    let mut pos = vec![0usize; n];
    for (q, &j) in order.iter().enumerate() {
        pos[j] = q;
    }
    // prefix[q] = set of the first q points in the order.
    let mut prefix: Vec<Bitset> = Vec::with_capacity(n + 1);
    let mut cur = Bitset::zeros(n);
    prefix.push(cur.clone());
    for &j in &order {
        cur.set(j, true);
        prefix.push(cur.clone());
    }
    let mut out = PatternSet::new(n);
    // The points on both sides of a prefix's threshold must lie strictly on their sides.
    let mut boundary_ok = true;
    let strict = |g: [f64; 3], order: &[usize], q: usize| -> bool {
        let val = |i: usize| x[order[i]][0] * g[0] + x[order[i]][1] * g[1] + g[2];
        (q == 0 || val(q - 1) > 0.0) && (q == n || val(q) < 0.0)
    };
    let gen_for = |theta: f64, order: &[usize], q: usize| -> [f64; 3] {
        // generator of the prefix of length q at angle theta
        let (c, s) = (theta.cos(), theta.sin());
        let p = |i: usize| c * x[order[i]][0] + s * x[order[i]][1];
        let threshold = if q == 0 {
            p(0) + 1.0
        } else if q == n {
            p(n - 1) - 1.0
        } else {
            0.5 * (p(q - 1) + p(q))
        };
        [c, s, -threshold]
    };
    for q in 0..=n {
        let g = gen_for(theta0, &order, q);
        boundary_ok &= strict(g, &order, q);
        out.insert(prefix[q].clone(), g);
    }
    for w in 0..m {
        let (_, j, k) = events[w];
        let (j, k) = (j as usize, k as usize);
        let (qa, qb) = (pos[j].min(pos[k]), pos[j].max(pos[k]));
        if qb != qa + 1 {
            return None; // numerically inconsistent order: use the oracle
        }
        order.swap(qa, qb);
        pos[order[qa]] = qa;
        pos[order[qb]] = qb;
        // Only the prefix of length qa + 1 changes: it trades the point now at qb for the one
        // now at qa (in place, no allocation).
        prefix[qa + 1].set(order[qb], false);
        prefix[qa + 1].set(order[qa], true);
        let b = prefix[qa + 1].clone();
        // The other swaps of the cluster touch other positions, so this prefix and its two
        // bounding points stay as they are until after the cluster.
        let theta = mid_after(last[w]);
        let g = gen_for(theta, &order, qa + 1);
        boundary_ok &= strict(g, &order, qa + 1);
        out.insert(b, g);
    }
    if !boundary_ok || out.len() != n * n - n + 2 {
        return None;
    }
    // Every generator was checked against the two points next to its threshold (above); the
    // points farther away in the sorted order are farther from the threshold. As a guard
    // against rounding anywhere else, about 2000 evenly spaced patterns are verified against
    // every point (the full check would cost O(n³): 8·10⁹ operations at n = 2000).
    let stride = (out.len() / 2000).max(1);
    for i in (0..out.len()).step_by(stride) {
        let g = out.generator(i);
        let p = out.pattern(i);
        for (j, pt) in x.iter().enumerate() {
            let val = pt[0] * g[0] + pt[1] * g[1] + g[2];
            if val == 0.0 || (val > 0.0) != p.get(j) {
                return None;
            }
        }
    }
    Some(out)
}

fn push_sample(x: &[[f64; 2]], g: [f64; 3], out: &mut PatternSet) {
    let scale = g[0].abs() + g[1].abs() + g[2].abs();
    // Skip a sample that (numerically) ties with a point: it is not strictly inside a region.
    if x.iter()
        .any(|p| (p[0] * g[0] + p[1] * g[1] + g[2]).abs() <= 1e-12 * scale)
    {
        return;
    }
    let pat = pattern_of(x, &g);
    if !pat.is_zero() {
        out.insert(pat, g);
    }
}

/// Standard normal deviate by Box–Muller (deterministic given the RNG).
pub fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

/// Sampled pattern set (docs/math.md#patterns-sampled): `count` Gaussian directions `g ~ N(0, I₃)`, distinct non-empty
/// patterns kept, each with its sample as generator.
pub fn sample_gaussian(x: &[[f64; 2]], count: usize, seed: u64) -> Result<PatternSet> {
    check_points(x)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = PatternSet::new(x.len());
    for _ in 0..count {
        let g = [normal(&mut rng), normal(&mut rng), normal(&mut rng)];
        push_sample(x, g, &mut out);
    }
    Ok(out)
}

/// Sampled pattern set from lines through the data (docs/math.md#patterns-sampled): `w` uniform on the circle and
/// `b = −wᵀx_r + spread·N(0,1)` for a random data point `x_r`. Finds thin regions far more often
/// than Gaussian directions when the data are not centred.
pub fn sample_lines(x: &[[f64; 2]], count: usize, spread: f64, seed: u64) -> Result<PatternSet> {
    check_points(x)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = PatternSet::new(x.len());
    for _ in 0..count {
        let t = rng.random::<f64>() * TAU;
        let r = rng.random_range(0..x.len());
        let (c, s) = (t.cos(), t.sin());
        let b = -(c * x[r][0] + s * x[r][1]) + spread * normal(&mut rng);
        push_sample(x, [c, s, b], &mut out);
    }
    Ok(out)
}
