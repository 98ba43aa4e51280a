//! The robust convex ReLU program (RC) under ℓ∞ perturbations of radius ε (docs/math.md#robust):
//! every training point may move inside the box `‖δ‖∞ ≤ ε` (the bias column never moves). A
//! block may only use a pattern whose line can stay clear of every box — the *usable* patterns —
//! and then the network's output on a box is linear, so the worst-case loss has a closed form.
//!
//! Usable patterns and their robust cones come from one arrangement: the `4n` box corners. The
//! robust cone of pattern `D_i`, `{u : e_ij x̃_jᵀu ≥ ε‖(u₁, u₂)‖₁ ∀j}`, is exactly the set where
//! every corner of box `j` is on side `e_ij`, i.e. a region of the corners' arrangement whose
//! pattern is constant on each box. So enumerating the corners' regions lists every usable
//! pattern with a generator strictly inside its robust cone, and the corners' facet sweep gives
//! each robust cone's irredundant rows.
//!
//! Certified bounds: upper = the (RC) objective of a point; lower = the dual objective of a dual
//! point `(v, w)` scaled into feasibility, where feasibility is `‖Π_K(±h_k)‖ ≤ β` for every usable
//! pattern `k` with `h_k = Σ_j d_kj (v_j x̃_j − (w_j, 0))` and `Π_K` the projection onto the robust
//! cone — computed exactly from the cone's facets and extreme rays.

use std::sync::Arc;

use crate::certify::{Bounds, CERTIFICATE_SAFETY};
use crate::error::{Error, Result};
use crate::geometry::{Bitset, PatternSet, enumerate_exact, facets};
use crate::model::Loss;
use crate::model::loss::{entropy, softplus};
use crate::vec3::{cross3, dot3, norm3};

/// Largest ε accepted (the data are used as given; boxes this large cover any sensible plot).
pub const MAX_EPSILON: f64 = 1e6;

/// The robust cone of one usable pattern.
#[derive(Debug, Clone)]
pub struct RobustCone {
    /// Inward unit normals of its irredundant rows (`e x̃_c` of a box corner `c`).
    pub normals: Vec<[f64; 3]>,
    /// Unit extreme rays.
    pub rays: Vec<[f64; 3]>,
    /// Corner rows `(corner index, e)` of the irredundant facets (for the exact solver).
    pub rows: Vec<(usize, f64)>,
}

impl RobustCone {
    /// `max_{u ∈ K, ‖u‖ ≤ 1} hᵀu` (`= ‖Π_K(h)‖`, 0 if `h` is in the polar cone). The maximiser is
    /// `h` itself, its projection onto a facet plane, or an extreme ray; candidates are accepted
    /// with a small tolerance, which can only overestimate (the safe side for a certificate).
    pub fn support(&self, h: &[f64; 3]) -> f64 {
        let nh = norm3(h);
        if nh == 0.0 {
            return 0.0;
        }
        let tol = 1e-10;
        let inside = |u: &[f64; 3]| {
            let nu = norm3(u);
            self.normals.iter().all(|a| dot3(a, u) >= -tol * nu)
        };
        if inside(h) {
            return nh;
        }
        let mut best: f64 = 0.0;
        for a in &self.normals {
            let s = dot3(a, h);
            if s < 0.0 {
                let p = [h[0] - s * a[0], h[1] - s * a[1], h[2] - s * a[2]];
                let np = norm3(&p);
                if np > 0.0 && inside(&p) {
                    best = best.max(dot3(h, &p) / np);
                }
            }
        }
        for r in &self.rays {
            best = best.max(dot3(h, r));
        }
        best
    }
}

/// One instance of (RC).
#[derive(Debug, Clone)]
pub struct RobustProblem {
    /// Inputs.
    pub x: Vec<[f64; 2]>,
    /// Augmented inputs.
    pub xt: Vec<[f64; 3]>,
    /// Targets.
    pub y: Vec<f64>,
    /// Loss (its worst case over each box).
    pub loss: Loss,
    /// β.
    pub beta: f64,
    /// Box radius ε (ℓ∞).
    pub eps: f64,
    /// The usable patterns (empty pattern left out) with generators strictly inside their
    /// robust cones.
    pub usable: Arc<PatternSet>,
    /// Their robust cones, in the same order.
    pub cones: Vec<RobustCone>,
    /// The box corners `x_j + ε(±1, ±1)`, four per point (index `4j + c`).
    pub corners: Vec<[f64; 2]>,
    /// Regions of the plain arrangement (the empty one included), for the count of unusable
    /// patterns.
    pub all_patterns: usize,
    /// `d[k·n + j]` of the usable patterns.
    pub d: Vec<u8>,
}

impl RobustProblem {
    /// Builds (RC): enumerates the corners' arrangement, keeps its regions that are constant on
    /// every box (the usable patterns), and their facets.
    pub fn new(x: &[[f64; 2]], y: Vec<f64>, loss: Loss, beta: f64, eps: f64) -> Result<Self> {
        if x.is_empty() {
            return Err(Error::InvalidData("the dataset has no points".into()));
        }
        if x.len() != y.len() {
            return Err(Error::InvalidData(format!(
                "{} points but {} targets",
                x.len(),
                y.len()
            )));
        }
        if y.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidData("non-finite target".into()));
        }
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "beta = {beta}: must be a positive finite number"
            )));
        }
        if !(eps.is_finite() && (0.0..=MAX_EPSILON).contains(&eps)) {
            return Err(Error::InvalidSetting(format!(
                "epsilon = {eps}: must be a number from 0 to {MAX_EPSILON}"
            )));
        }
        loss.check_targets(&y)?;
        let n = x.len();
        let corners: Vec<[f64; 2]> = x
            .iter()
            .flat_map(|p| {
                [
                    [p[0] - eps, p[1] - eps],
                    [p[0] + eps, p[1] - eps],
                    [p[0] - eps, p[1] + eps],
                    [p[0] + eps, p[1] + eps],
                ]
            })
            .collect();
        let corner_regions = enumerate_exact(&corners)?;
        // Regions constant on every box, i.e. usable patterns (the empty one left out).
        let mut consistent = PatternSet::new(4 * n);
        let mut usable = PatternSet::new(n);
        for (k, bits) in corner_regions.patterns().iter().enumerate() {
            let ok = (0..n).all(|j| (1..4).all(|c| bits.get(4 * j + c) == bits.get(4 * j)));
            if !ok || bits.is_zero() {
                continue;
            }
            let g = corner_regions.generator(k);
            consistent.insert(bits.clone(), g);
            usable.insert(Bitset::from_bools((0..n).map(|j| bits.get(4 * j))), g);
        }
        if usable.is_empty() {
            return Err(Error::InvalidSetting(format!(
                "epsilon = {eps}: no pattern is usable — every line through the data crosses a \
                 box, so only the all-off network is left; use a smaller epsilon"
            )));
        }
        let rows = facets(&corners, &consistent);
        let cones = consistent
            .patterns()
            .iter()
            .zip(&rows)
            .map(|(bits, rows)| cone(&corners, bits, rows))
            .collect();
        let mut d = Vec::with_capacity(usable.len() * n);
        for pat in usable.patterns() {
            d.extend((0..n).map(|j| u8::from(pat.get(j))));
        }
        Ok(Self {
            xt: x.iter().map(|p| [p[0], p[1], 1.0]).collect(),
            x: x.to_vec(),
            y,
            loss,
            beta,
            eps,
            usable: Arc::new(usable),
            cones,
            corners,
            all_patterns: enumerate_exact(x)?.len(),
            d,
        })
    }

    /// Number of points.
    pub fn n(&self) -> usize {
        self.x.len()
    }

    /// Number of usable patterns `P` (blocks: `2P`, `v` then `w`).
    pub fn p(&self) -> usize {
        self.usable.len()
    }

    /// Predictions `ŷ_j` and slopes `a_j = ∂ŷ_j/∂x_j` (constant on each box for a feasible point).
    pub fn predict(&self, blocks: &[[f64; 3]]) -> (Vec<f64>, Vec<[f64; 2]>) {
        let (n, p) = (self.n(), self.p());
        let mut yhat = vec![0.0; n];
        let mut a = vec![[0.0; 2]; n];
        for (k, b) in blocks.iter().enumerate() {
            if *b == [0.0; 3] {
                continue;
            }
            let s = if k < p { 1.0 } else { -1.0 };
            let i = k % p;
            for j in 0..n {
                if self.d[i * n + j] != 0 {
                    yhat[j] += s * dot3(&self.xt[j], b);
                    a[j][0] += s * b[0];
                    a[j][1] += s * b[1];
                }
            }
        }
        (yhat, a)
    }

    /// The worst-case loss of one point with prediction `z` and slope `a` over its box.
    pub fn robust_loss(&self, z: f64, a: &[f64; 2], y: f64) -> f64 {
        let spread = self.eps * (a[0].abs() + a[1].abs());
        match self.loss {
            Loss::Hinge => (1.0 - y * z + spread).max(0.0),
            Loss::Logistic => softplus(-y * z + spread),
            Loss::Squared => {
                let r = (z - y).abs() + spread;
                0.5 * r * r
            }
        }
    }

    /// (RC) objective: worst-case training loss plus `β Σ‖u_k‖`.
    pub fn objective(&self, blocks: &[[f64; 3]]) -> f64 {
        let (yhat, a) = self.predict(blocks);
        let loss: f64 = (0..self.n())
            .map(|j| self.robust_loss(yhat[j], &a[j], self.y[j]))
            .sum();
        loss + self.beta * blocks.iter().map(norm3).sum::<f64>()
    }

    /// The dual candidate `(v, w)` from a point's predictions (a subgradient of the robust loss).
    pub fn dual_point(&self, blocks: &[[f64; 3]]) -> (Vec<f64>, Vec<[f64; 2]>) {
        let (yhat, a) = self.predict(blocks);
        let n = self.n();
        let mut v = vec![0.0; n];
        let mut w = vec![[0.0; 2]; n];
        for j in 0..n {
            let (z, y) = (yhat[j], self.y[j]);
            let sgn = |t: f64| {
                if t > 0.0 {
                    1.0
                } else if t < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            };
            let xi = [sgn(a[j][0]), sgn(a[j][1])];
            let spread = self.eps * (a[j][0].abs() + a[j][1].abs());
            // m: the weight of the a-term (λ for margin losses, ν for the squared loss).
            let (vj, m) = match self.loss {
                Loss::Hinge => {
                    let lam = if 1.0 - y * z + spread > 0.0 { 1.0 } else { 0.0 };
                    (lam * y, lam)
                }
                Loss::Logistic => {
                    let lam = crate::model::loss::sigmoid(-y * z + spread);
                    (lam * y, lam)
                }
                Loss::Squared => {
                    let nu = (z - y).abs() + spread;
                    (-nu * sgn(z - y), nu)
                }
            };
            v[j] = vj;
            w[j] = [self.eps * m * xi[0], self.eps * m * xi[1]];
        }
        (v, w)
    }

    /// Projects a dual candidate onto the dual domain: margin losses `λ_j = y_j v_j ∈ [0, 1]`
    /// with `‖w_j‖∞ ≤ ελ_j`; squared loss `‖w_j‖∞ ≤ εν_j` with `ν_j = max(|v_j|, ‖w_j‖∞/ε)`
    /// (nothing to clip). Returns the dual objective.
    fn clamp_and_value(&self, v: &mut [f64], w: &mut [[f64; 2]]) -> f64 {
        let mut value = 0.0;
        for j in 0..self.n() {
            let y = self.y[j];
            match self.loss {
                Loss::Hinge | Loss::Logistic => {
                    let lam = (y * v[j]).clamp(0.0, 1.0);
                    v[j] = lam * y;
                    let cap = self.eps * lam;
                    w[j] = [w[j][0].clamp(-cap, cap), w[j][1].clamp(-cap, cap)];
                    value += if self.loss == Loss::Hinge {
                        lam
                    } else {
                        entropy(lam)
                    };
                }
                Loss::Squared => {
                    let winf = w[j][0].abs().max(w[j][1].abs());
                    let nu = if self.eps > 0.0 {
                        v[j].abs().max(winf / self.eps)
                    } else {
                        w[j] = [0.0; 2];
                        v[j].abs()
                    };
                    value += v[j] * y - 0.5 * nu * nu;
                }
            }
        }
        value
    }

    /// `max_k max(‖Π_K(h_k)‖, ‖Π_K(−h_k)‖)` over the usable patterns and, per pattern, that value.
    pub fn constraint_values(&self, v: &[f64], w: &[[f64; 2]]) -> Vec<f64> {
        let n = self.n();
        (0..self.p())
            .map(|k| {
                let mut h = [0.0; 3];
                for j in 0..n {
                    if self.d[k * n + j] != 0 {
                        h[0] += v[j] * self.xt[j][0] - w[j][0];
                        h[1] += v[j] * self.xt[j][1] - w[j][1];
                        h[2] += v[j];
                    }
                }
                let c = &self.cones[k];
                c.support(&h).max(c.support(&[-h[0], -h[1], -h[2]]))
            })
            .collect()
    }

    /// The dual candidate `(v, w)` clamped to the dual domain and scaled into feasibility; its
    /// dual objective is a lower bound on the (RC) optimum. Returns `(lower, c/β before
    /// scaling, per-pattern constraint values before scaling)`.
    pub fn lower_bound(&self, mut v: Vec<f64>, mut w: Vec<[f64; 2]>) -> (f64, f64, Vec<f64>) {
        self.clamp_and_value(&mut v, &mut w);
        let values = self.constraint_values(&v, &w);
        let c = values.iter().copied().fold(0.0, f64::max);
        let c_safe = c * (1.0 + CERTIFICATE_SAFETY) + f64::MIN_POSITIVE;
        let scale = if c_safe > self.beta {
            self.beta / c_safe
        } else {
            1.0
        };
        v.iter_mut().for_each(|a| *a *= scale);
        w.iter_mut().for_each(|a| {
            a[0] *= scale;
            a[1] *= scale;
        });
        // Scaling keeps the point in the domain; re-clamping is a no-op up to rounding.
        let lower = self.clamp_and_value(&mut v, &mut w);
        (lower, c / self.beta, values)
    }

    /// Certified bounds of a point: its objective and the lower bound from its own dual
    /// candidate.
    pub fn certify(&self, blocks: &[[f64; 3]]) -> Bounds {
        let (v, w) = self.dual_point(blocks);
        let (lower, c, _) = self.lower_bound(v, w);
        Bounds {
            upper: self.objective(blocks),
            lower,
            certificate: c,
        }
    }

    /// The network of `blocks`, one neuron per non-zero block (`u = b/√‖b‖`, `α = ±√‖b‖`;
    /// nothing merged or dropped, so its predictions are exactly those of the blocks).
    pub fn network(&self, blocks: &[[f64; 3]]) -> crate::model::ReluNetwork {
        let p = self.p();
        crate::model::ReluNetwork {
            neurons: blocks
                .iter()
                .enumerate()
                .filter(|(_, b)| **b != [0.0; 3])
                .map(|(k, b)| {
                    let r = norm3(b).sqrt();
                    crate::model::Neuron {
                        u: [b[0] / r, b[1] / r, b[2] / r],
                        alpha: if k < p { r } else { -r },
                    }
                })
                .collect(),
        }
    }

    /// `blocks` moved into their robust cones: each block `u` gets the smallest multiple `t` of
    /// its pattern's generator `g` (strictly inside the robust cone) that makes every robust row
    /// `e x̃_jᵀu − ε‖(u₁,u₂)‖₁ ≥ 0` hold, since the row of `u + tg` is at least
    /// `row(u) + t·row(g)`. Interior-point points violate the rows by ~1e-10; this makes them
    /// exactly feasible, so their closed-form objective is the network's true worst case.
    pub fn repair(&self, blocks: &[[f64; 3]]) -> Vec<[f64; 3]> {
        let (n, p) = (self.n(), self.p());
        let row = |u: &[f64; 3], i: usize, j: usize| {
            let e = if self.d[i * n + j] != 0 { 1.0 } else { -1.0 };
            e * dot3(&self.xt[j], u) - self.eps * (u[0].abs() + u[1].abs())
        };
        blocks
            .iter()
            .enumerate()
            .map(|(k, b)| {
                if *b == [0.0; 3] {
                    return *b;
                }
                let i = k % p;
                let g = self.usable.generator(i);
                let mut t: f64 = 0.0;
                for j in 0..n {
                    let r = row(b, i, j);
                    if r < 0.0 {
                        t = t.max(-r / row(&g, i, j));
                    }
                }
                if t == 0.0 {
                    return *b;
                }
                let t = t * (1.0 + 1e-9);
                [b[0] + t * g[0], b[1] + t * g[1], b[2] + t * g[2]]
            })
            .collect()
    }

    /// The largest violation of the robust cones by a point: `max_k,j (ε‖(u₁,u₂)‖₁ − e x̃_jᵀu)₊`
    /// (0 for a feasible point).
    pub fn cone_violation(&self, blocks: &[[f64; 3]]) -> f64 {
        let (n, p) = (self.n(), self.p());
        let mut worst: f64 = 0.0;
        for (k, b) in blocks.iter().enumerate() {
            if *b == [0.0; 3] {
                continue;
            }
            let i = k % p;
            let spread = self.eps * (b[0].abs() + b[1].abs());
            for j in 0..n {
                let e = if self.d[i * n + j] != 0 { 1.0 } else { -1.0 };
                worst = worst.max(spread - e * dot3(&self.xt[j], b));
            }
        }
        worst
    }
}

/// The robust cone of a consistent corner pattern from its facet rows.
fn cone(corners: &[[f64; 2]], bits: &Bitset, rows: &[usize]) -> RobustCone {
    let rows: Vec<(usize, f64)> = rows
        .iter()
        .map(|&c| (c, if bits.get(c) { 1.0 } else { -1.0 }))
        .collect();
    let normals: Vec<[f64; 3]> = rows
        .iter()
        .map(|&(c, e)| {
            let xt = [corners[c][0], corners[c][1], 1.0];
            let nx = norm3(&xt);
            [e * xt[0] / nx, e * xt[1] / nx, e * xt[2] / nx]
        })
        .collect();
    let mut rays: Vec<[f64; 3]> = Vec::new();
    for a in 0..normals.len() {
        for b in a + 1..normals.len() {
            let r = cross3(&normals[a], &normals[b]);
            let nr = norm3(&r);
            if nr < 1e-14 {
                continue;
            }
            for s in [1.0, -1.0] {
                let u = [s * r[0] / nr, s * r[1] / nr, s * r[2] / nr];
                if normals.iter().all(|n| dot3(n, &u) >= -1e-10)
                    && !rays.iter().any(|q| dot3(q, &u) > 1.0 - 1e-12)
                {
                    rays.push(u);
                }
            }
        }
    }
    RobustCone {
        normals,
        rays,
        rows,
    }
}
