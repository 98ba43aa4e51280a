//! The gated ReLU program (docs/math.md#gated-relu): fixed gates `gᵢ` (one strictly inside every
//! non-empty region of the arrangement, or sampled), a linear part `uᵢ` each,
//!
//! `min ℓ(Σᵢ DᵢX̃uᵢ, y) + β Σᵢ ‖uᵢ‖`, `Dᵢ = diag(1[X̃gᵢ > 0])`, no constraints (a group lasso),
//!
//! its certified bounds (the dual constraint is `‖X̃ᵀDᵢv‖ ≤ β` for every gate of the set), and
//! the cone decomposition of a solution back to a ReLU network
//! (docs/math.md#cone-decomposition), which agrees with the gated model on the training points.

use std::sync::Arc;

use crate::certify::{Bounds, CERTIFICATE_SAFETY};
use crate::error::{Error, Result};
use crate::geometry::PatternSet;
use crate::model::{Loss, ReluNetwork};
use crate::vec3::{dot3, norm3};

/// A dual point of the gated program scaled into feasibility ([`GatedProblem::feasible_dual`]).
#[derive(Debug, Clone)]
pub struct GatedDual {
    /// The scaled point: `maxᵢ ‖X̃ᵀDᵢv‖ ≤ β`.
    pub v: Vec<f64>,
    /// Its dual objective: a lower bound on the gated optimum.
    pub lower: f64,
    /// `maxᵢ ‖X̃ᵀDᵢv‖/β` before scaling.
    pub c_over_beta: f64,
    /// `‖X̃ᵀDᵢv‖` of every gate, before scaling.
    pub norms: Vec<f64>,
    /// The most violated gates `(‖X̃ᵀDᵢv‖, i)` before scaling, largest first.
    pub top: Vec<(f64, usize)>,
}

/// A gated ReLU program over a fixed set of gates.
#[derive(Debug, Clone)]
pub struct GatedProblem {
    /// Inputs.
    pub x: Vec<[f64; 2]>,
    /// Augmented inputs `x̃ⱼ = (x₁, x₂, 1)`.
    pub xt: Vec<[f64; 3]>,
    /// Targets.
    pub y: Vec<f64>,
    /// Loss.
    pub loss: Loss,
    /// Regularization strength β.
    pub beta: f64,
    /// The gates (each strictly inside its region).
    pub gates: Vec<[f64; 3]>,
    /// The gates' patterns and generators, in gate order (the empty pattern left out).
    pub gate_set: Arc<PatternSet>,
    /// Whether the gates are the exact set (one per region of the arrangement).
    pub exact: bool,
    /// `d[i·n + j] = 1[x̃ⱼᵀgᵢ > 0]`.
    pub d: Vec<u8>,
}

impl GatedProblem {
    /// The program with one gate per non-empty pattern of `patterns` (their generators);
    /// `exact` says whether `patterns` is the full arrangement.
    pub fn new(
        x: &[[f64; 2]],
        y: Vec<f64>,
        loss: Loss,
        beta: f64,
        patterns: &PatternSet,
        exact: bool,
    ) -> Result<Self> {
        if x.is_empty() {
            return Err(Error::InvalidData("the dataset has no points".into()));
        }
        if x.len() != y.len() || patterns.n() != x.len() {
            return Err(Error::InvalidData(format!(
                "{} points, {} targets, gates for {} points",
                x.len(),
                y.len(),
                patterns.n()
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
        loss.check_targets(&y)?;
        let xt: Vec<[f64; 3]> = x.iter().map(|p| [p[0], p[1], 1.0]).collect();
        let n = xt.len();
        let gate_set = patterns.without_empty();
        if gate_set.is_empty() {
            return Err(Error::InvalidSetting(
                "no usable gate: every gate is off on every training point (sample more gates)"
                    .into(),
            ));
        }
        let gates = gate_set.generators().to_vec();
        let mut d = Vec::with_capacity(gates.len() * n);
        for pat in gate_set.patterns() {
            d.extend((0..n).map(|j| u8::from(pat.get(j))));
        }
        Ok(Self {
            x: x.to_vec(),
            xt,
            y,
            loss,
            beta,
            gates,
            gate_set: Arc::new(gate_set),
            exact,
            d,
        })
    }

    /// Number of training points.
    pub fn n(&self) -> usize {
        self.xt.len()
    }

    /// Number of gates.
    pub fn p(&self) -> usize {
        self.gates.len()
    }

    /// Predictions `Σᵢ DᵢX̃uᵢ` on the training points.
    pub fn predict(&self, u: &[[f64; 3]]) -> Vec<f64> {
        let n = self.n();
        let mut yhat = vec![0.0; n];
        for (i, ui) in u.iter().enumerate() {
            if *ui == [0.0; 3] {
                continue;
            }
            let di = &self.d[i * n..(i + 1) * n];
            for j in 0..n {
                if di[j] != 0 {
                    yhat[j] += dot3(&self.xt[j], ui);
                }
            }
        }
        yhat
    }

    /// `X̃ᵀDᵢv` for every gate.
    pub fn correlations(&self, v: &[f64]) -> Vec<[f64; 3]> {
        let n = self.n();
        (0..self.p())
            .map(|i| {
                let di = &self.d[i * n..(i + 1) * n];
                let mut g = [0.0; 3];
                for j in 0..n {
                    if di[j] != 0 {
                        let w = v[j];
                        g[0] += w * self.xt[j][0];
                        g[1] += w * self.xt[j][1];
                        g[2] += w * self.xt[j][2];
                    }
                }
                g
            })
            .collect()
    }

    /// `ℓ(ŷ) + β Σ‖uᵢ‖`.
    pub fn objective(&self, u: &[[f64; 3]]) -> f64 {
        let yhat = self.predict(u);
        self.loss.total(&yhat, &self.y) + self.beta * u.iter().map(norm3).sum::<f64>()
    }

    /// The dual point `v` (any vector; projected onto the loss's domain) scaled into the gated
    /// dual's feasible set `maxᵢ ‖X̃ᵀDᵢv‖ ≤ β` (with a safety margin), its dual objective (a
    /// lower bound on the optimum) and the `top_k` most violated gates before scaling.
    pub fn feasible_dual(&self, mut v: Vec<f64>, top_k: usize) -> GatedDual {
        self.loss.clamp_dual(&mut v, &self.y);
        let norms: Vec<f64> = self.correlations(&v).iter().map(norm3).collect();
        let c = norms.iter().copied().fold(0.0, f64::max);
        let c_safe = c * (1.0 + CERTIFICATE_SAFETY) + f64::MIN_POSITIVE;
        let scale = if c_safe > self.beta {
            self.beta / c_safe
        } else {
            1.0
        };
        let mut top: Vec<(f64, usize)> = Vec::new();
        if top_k > 0 {
            top = norms
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > self.beta)
                .map(|(i, c)| (*c, i))
                .collect();
            top.sort_by(|a, b| b.0.total_cmp(&a.0));
            top.truncate(top_k);
        }
        v.iter_mut().for_each(|vj| *vj *= scale);
        GatedDual {
            lower: self.loss.dual_objective(&v, &self.y),
            v,
            c_over_beta: c / self.beta,
            norms,
            top,
        }
    }

    /// Certified bounds of `u`: upper = its objective; lower = the dual objective of its
    /// residual `−∇ℓ(ŷ)` scaled into feasibility. Also returns that scaled dual point.
    pub fn certify(&self, u: &[[f64; 3]], top_k: usize) -> (Bounds, GatedDual) {
        let yhat = self.predict(u);
        let upper = self.loss.total(&yhat, &self.y) + self.beta * u.iter().map(norm3).sum::<f64>();
        let d = self.feasible_dual(self.loss.dual_point(&yhat, &self.y), top_k);
        let b = Bounds {
            upper,
            lower: d.lower,
            certificate: d.c_over_beta,
        };
        (b, d)
    }

    /// The fraction of the sphere of gate directions whose gate would violate the dual
    /// constraint at `v`: `Σ area(R)/4π` over the regions `R` of the arrangement (`exact`, with
    /// their `areas` from [`crate::geometry::areas::region_areas`]) where `‖X̃ᵀD_R v‖ > β`. A
    /// Gaussian gate is uniform on the sphere, so this is the probability that a fresh random
    /// gate would improve the program (docs/math.md#sampled-convex-programs).
    pub fn violation_fraction(&self, v: &[f64], exact: &PatternSet, areas: &[f64]) -> f64 {
        let n = self.n();
        let mut violated = 0.0;
        for (pat, area) in exact.patterns().iter().zip(areas) {
            let mut c = [0.0; 3];
            for j in 0..n {
                if pat.get(j) {
                    for k in 0..3 {
                        c[k] += v[j] * self.xt[j][k];
                    }
                }
            }
            if norm3(&c) > self.beta * (1.0 + 1e-9) {
                violated += area;
            }
        }
        violated / crate::geometry::areas::SPHERE
    }

    /// Cone decomposition (closed form): for each block, `t = max(0, maxⱼ −aⱼᵀuᵢ / aⱼᵀgᵢ)` with
    /// `aⱼ = eᵢⱼx̃ⱼ`, `vᵢ = uᵢ + t gᵢ`, `wᵢ = t gᵢ`, both in the cone of the gate's pattern, so
    /// `DᵢX̃(vᵢ − wᵢ) = (X̃vᵢ)₊ − (X̃wᵢ)₊` on the training points. Returns the signed blocks
    /// `(+1, vᵢ)`, `(−1, wᵢ)`.
    pub fn cone_decomposition(&self, u: &[[f64; 3]]) -> Vec<(f64, [f64; 3])> {
        self.split_blocks(u, Split::Closed)
    }

    /// The minimum-norm split of block `i`: `min ‖v‖ + ‖w‖` s.t. `v − w = uᵢ`, both in the
    /// cone of gate `i`'s pattern — the split that makes the ReLU network's weight decay
    /// smallest (an SOCP in 6 variables, solved by the interior-point solver). Falls back to the
    /// closed form if the solver fails or returns a point outside the cones.
    pub fn min_norm_split(&self, i: usize, ui: &[f64; 3]) -> ([f64; 3], [f64; 3]) {
        let closed = self.closed_split(i, ui);
        let Ok((v, w)) = self.socp_split(i, ui) else {
            return closed;
        };
        // Accept only a split that is exact on the data and inside the cones; a hair of
        // `w`'s gate direction restores strictness lost to the solver's tolerance.
        let n = self.n();
        let g = self.gates[i];
        let mut t: f64 = 0.0;
        for j in 0..n {
            let e = if self.d[i * n + j] != 0 { 1.0 } else { -1.0 };
            let ag = e * dot3(&self.xt[j], &g);
            t = t
                .max(-e * dot3(&self.xt[j], &v) / ag)
                .max(-e * dot3(&self.xt[j], &w) / ag);
        }
        let t = t * (1.0 + 1e-12);
        let v = [v[0] + t * g[0], v[1] + t * g[1], v[2] + t * g[2]];
        let w = [v[0] - ui[0], v[1] - ui[1], v[2] - ui[2]];
        if norm3(&v) + norm3(&w) <= norm3(&closed.0) + norm3(&closed.1) {
            (v, w)
        } else {
            closed
        }
    }

    /// The closed-form split of block `i` (see [`GatedProblem::cone_decomposition`]).
    fn closed_split(&self, i: usize, ui: &[f64; 3]) -> ([f64; 3], [f64; 3]) {
        let n = self.n();
        let g = self.gates[i];
        let mut t: f64 = 0.0;
        for j in 0..n {
            let e = if self.d[i * n + j] != 0 { 1.0 } else { -1.0 };
            let ag = e * dot3(&self.xt[j], &g);
            let au = e * dot3(&self.xt[j], ui);
            t = t.max(-au / ag);
        }
        let t = t * (1.0 + 1e-12);
        (
            [ui[0] + t * g[0], ui[1] + t * g[1], ui[2] + t * g[2]],
            [t * g[0], t * g[1], t * g[2]],
        )
    }

    fn socp_split(&self, i: usize, ui: &[f64; 3]) -> Result<([f64; 3], [f64; 3])> {
        use clarabel::algebra::CscMatrix;
        use clarabel::solver::SupportedConeT::{NonnegativeConeT, SecondOrderConeT};
        use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SolverStatus};
        let n = self.n();
        // Variables: v (0..3), s_v (3), s_w (4); w = v − uᵢ.
        let (mut ai, mut aj, mut av, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut row = 0;
        // e_j x̃_jᵀv ≥ 0 and e_j x̃_jᵀ(v − uᵢ) ≥ 0, as −e x̃ᵀv + s = 0 …
        for j in 0..n {
            let e = if self.d[i * n + j] != 0 { 1.0 } else { -1.0 };
            for shift in [0.0, e * dot3(&self.xt[j], ui)] {
                for k in 0..3 {
                    ai.push(row);
                    aj.push(k);
                    av.push(-e * self.xt[j][k]);
                }
                b.push(-shift);
                row += 1;
            }
        }
        let nonneg = row;
        // (s_v, v) ∈ SOC, (s_w, v − uᵢ) ∈ SOC.
        ai.push(row);
        aj.push(3);
        av.push(-1.0);
        b.push(0.0);
        row += 1;
        for k in 0..3 {
            ai.push(row);
            aj.push(k);
            av.push(-1.0);
            b.push(0.0);
            row += 1;
        }
        ai.push(row);
        aj.push(4);
        av.push(-1.0);
        b.push(0.0);
        row += 1;
        for k in 0..3 {
            ai.push(row);
            aj.push(k);
            av.push(-1.0);
            b.push(-ui[k]);
            row += 1;
        }
        let a = CscMatrix::new_from_triplets(row, 5, ai, aj, av);
        let p = CscMatrix::<f64>::zeros((5, 5));
        let q = [0.0, 0.0, 0.0, 1.0, 1.0];
        let cones = [
            NonnegativeConeT(nonneg),
            SecondOrderConeT(4),
            SecondOrderConeT(4),
        ];
        let settings = DefaultSettings::<f64> {
            verbose: false,
            max_iter: 100,
            ..DefaultSettings::default()
        };
        let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings)
            .map_err(|e| Error::Numerical(format!("split setup failed: {e}")))?;
        solver.solve();
        let x = &solver.solution.x;
        if !matches!(
            solver.solution.status,
            SolverStatus::Solved | SolverStatus::AlmostSolved
        ) || x.iter().any(|v| !v.is_finite())
        {
            return Err(Error::Numerical("split solver failed".into()));
        }
        let v = [x[0], x[1], x[2]];
        Ok((v, [v[0] - ui[0], v[1] - ui[1], v[2] - ui[2]]))
    }

    /// The signed blocks of the decomposition with `split`.
    pub fn split_blocks(&self, u: &[[f64; 3]], split: Split) -> Vec<(f64, [f64; 3])> {
        let mut out = Vec::new();
        for (i, ui) in u.iter().enumerate() {
            if *ui == [0.0; 3] {
                continue;
            }
            let (v, w) = match split {
                Split::Closed => self.closed_split(i, ui),
                Split::MinNorm => self.min_norm_split(i, ui),
            };
            out.push((1.0, v));
            if w != [0.0; 3] {
                out.push((-1.0, w));
            }
        }
        out
    }

    /// The ReLU network of the cone decomposition with `split` (neurons `u = v/√‖v‖`,
    /// `α = ±√‖v‖`): equal to the gated model on the training points.
    /// One neuron per non-zero block: no merging or dropping of small blocks, which would
    /// change the predictions.
    pub fn relu_network(&self, u: &[[f64; 3]], split: Split) -> ReluNetwork {
        let neurons = self
            .split_blocks(u, split)
            .into_iter()
            .filter(|(_, b)| *b != [0.0; 3])
            .map(|(s, b)| {
                let r = norm3(&b).sqrt();
                crate::model::Neuron {
                    u: [b[0] / r, b[1] / r, b[2] / r],
                    alpha: s * r,
                }
            })
            .collect();
        ReluNetwork { neurons }
    }

    /// The gated model `f(x) = Σᵢ 1[x̃ᵀgᵢ > 0] x̃ᵀuᵢ` at one point.
    pub fn eval(&self, u: &[[f64; 3]], p: [f64; 2]) -> f64 {
        let xt = [p[0], p[1], 1.0];
        u.iter()
            .zip(&self.gates)
            .filter(|(ui, g)| **ui != [0.0; 3] && dot3(&xt, g) > 0.0)
            .map(|(ui, _)| dot3(&xt, ui))
            .sum()
    }
}

/// How a gated block is split into two ReLU blocks `vᵢ − wᵢ` (docs/math.md#cone-decomposition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Split {
    /// `wᵢ` along the gate: the smallest `t ≥ 0` with `uᵢ + t gᵢ` in the cone (cheap).
    Closed,
    /// The split with the smallest `‖vᵢ‖ + ‖wᵢ‖` (an SOCP per block).
    #[default]
    MinNorm,
}
