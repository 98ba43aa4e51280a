//! The convex ReLU program (C) of docs/math.md#relu-convex and its maps to and from networks.
//!
//! Variables are `2P` blocks of `R³`: block `k < P` is `v_k` (positive output weight) and block
//! `P + i` is `w_i` (negative output weight), both constrained to the cone `K_i` of pattern `i`.
//! Predictions on the data: `ŷ = Σ_i D_i X (v_i − w_i)`.

use std::sync::Arc;

use crate::certify::{Bounds, Certificate, certify_network};
use crate::error::{Error, Result};
use crate::geometry::{PatternMode, PatternSet, enumerate_exact, pattern_of};
use crate::model::{Loss, ReluNetwork};
use crate::vec3::norm3;

/// The `2P` blocks of a point of (C): `[v_1..v_P, w_1..w_P]`.
pub type BlockVec = Vec<[f64; 3]>;

/// One instance of (C): data, loss, `β` and the pattern sets.
#[derive(Debug, Clone)]
pub struct ReluProblem {
    /// Inputs `x_j ∈ R²` (augmented internally with 1, docs/math.md#conventions).
    pub x: Vec<[f64; 2]>,
    /// Targets (`±1` for logistic/hinge).
    pub y: Vec<f64>,
    /// Loss (sum over samples).
    pub loss: Loss,
    /// Regularisation strength `β > 0`.
    pub beta: f64,
    /// Patterns the program is written over (all-zero pattern removed).
    pub patterns: Arc<PatternSet>,
    /// All regions of the arrangement: the certificate ranges over these (docs/math.md#certificate).
    pub exact: Arc<PatternSet>,
    /// Whether `patterns` is the exact set.
    pub is_exact: bool,
}

impl ReluProblem {
    /// Builds the problem; enumerates the exact regions (always, for the certificate) and the
    /// training patterns for `mode`.
    pub fn new(
        x: Vec<[f64; 2]>,
        y: Vec<f64>,
        loss: Loss,
        beta: f64,
        mode: PatternMode,
    ) -> Result<Self> {
        let exact = Arc::new(enumerate_exact(&x)?);
        Self::with_exact(x, y, loss, beta, mode, exact)
    }

    /// Like [`ReluProblem::new`] with a precomputed exact pattern set of `x`.
    pub fn with_exact(
        x: Vec<[f64; 2]>,
        y: Vec<f64>,
        loss: Loss,
        beta: f64,
        mode: PatternMode,
        exact: Arc<PatternSet>,
    ) -> Result<Self> {
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
        if exact.n() != x.len() {
            return Err(Error::InvalidData(
                "pattern set does not match the data".into(),
            ));
        }
        loss.check_targets(&y)?;
        let (patterns, is_exact) = match mode {
            PatternMode::Exact => (Arc::new(exact.without_empty()), true),
            PatternMode::Sampled { .. } => (Arc::new(mode.build(&x)?), false),
        };
        if patterns.is_empty() {
            return Err(Error::InvalidData(
                "no non-empty activation pattern (sample more patterns)".into(),
            ));
        }
        Ok(Self {
            x,
            y,
            loss,
            beta,
            patterns,
            exact,
            is_exact,
        })
    }

    /// Number of points `n`.
    pub fn n(&self) -> usize {
        self.x.len()
    }

    /// Number of training patterns `P`.
    pub fn p(&self) -> usize {
        self.patterns.len()
    }

    /// Predictions `Σ_i D_i X (v_i − w_i)` of a block vector on the data.
    pub fn predictions(&self, blocks: &[[f64; 3]]) -> Vec<f64> {
        let p = self.p();
        let mut yhat = vec![0.0; self.n()];
        for i in 0..p {
            let d = [
                blocks[i][0] - blocks[p + i][0],
                blocks[i][1] - blocks[p + i][1],
                blocks[i][2] - blocks[p + i][2],
            ];
            if d == [0.0; 3] {
                continue;
            }
            let pat = self.patterns.pattern(i);
            for (j, xj) in self.x.iter().enumerate() {
                if pat.get(j) {
                    yhat[j] += xj[0] * d[0] + xj[1] * d[1] + d[2];
                }
            }
        }
        yhat
    }

    /// Objective of (C) at a block vector (feasibility is not checked; see [`Self::max_violation`]).
    pub fn convex_objective(&self, blocks: &[[f64; 3]]) -> f64 {
        let pen: f64 = blocks.iter().map(norm3).sum();
        self.loss.total(&self.predictions(blocks), &self.y) + self.beta * pen
    }

    /// Largest cone violation `max_{k,j} (−e_kj x̃_jᵀ u_k)₊` over all blocks.
    pub fn max_violation(&self, blocks: &[[f64; 3]]) -> f64 {
        let p = self.p();
        let mut worst: f64 = 0.0;
        for (k, b) in blocks.iter().enumerate() {
            if *b == [0.0; 3] {
                continue;
            }
            let pat = self.patterns.pattern(k % p);
            for (j, xj) in self.x.iter().enumerate() {
                let t = xj[0] * b[0] + xj[1] * b[1] + b[2];
                let e = if pat.get(j) { t } else { -t };
                worst = worst.max(-e);
            }
        }
        worst
    }

    /// Neuron recovery of docs/math.md#neuron-recovery with merging of parallel same-sign neurons.
    pub fn recover(&self, blocks: &[[f64; 3]]) -> ReluNetwork {
        let p = self.p();
        let signed: Vec<(f64, [f64; 3])> = blocks
            .iter()
            .enumerate()
            .map(|(k, b)| (if k < p { 1.0 } else { -1.0 }, *b))
            .collect();
        crate::decompose::relu::recover_neurons(&signed)
    }

    /// Converse map of docs/math.md#converse-map: any network → a feasible point of (C) with no larger objective.
    /// Fails when a neuron's pattern is not among the training patterns (sampled sets only).
    pub fn from_network(&self, net: &ReluNetwork) -> Result<BlockVec> {
        let p = self.p();
        let mut blocks = vec![[0.0; 3]; 2 * p];
        for nr in &net.neurons {
            let pat = pattern_of(&self.x, &nr.u);
            if pat.is_zero() || nr.alpha == 0.0 {
                continue; // contributes nothing on the data
            }
            let i = self.patterns.find(&pat).ok_or_else(|| {
                Error::InvalidData(
                    "a neuron's activation pattern is not in the sampled pattern set".into(),
                )
            })?;
            let k = if nr.alpha > 0.0 { i } else { p + i };
            let a = nr.alpha.abs();
            for c in 0..3 {
                blocks[k][c] += a * nr.u[c];
            }
        }
        Ok(blocks)
    }

    /// Certified bounds of a first-order iterate `blocks` (ADMM's, the augmented Lagrangian's):
    /// upper = the objective of the network recovered from them; lower = the better of the
    /// scaled dual points from that network's predictions and from `hint` (any dual candidate).
    /// Also returns the objective of (C) at `blocks`, the scaled dual point behind the lower
    /// bound, and the network's own bounds with its certificate's maximiser.
    pub fn certify_iterate(
        &self,
        blocks: &[[f64; 3]],
        hint: Vec<f64>,
    ) -> (Bounds, f64, Vec<f64>, (Bounds, [f64; 3])) {
        let net = self.recover(blocks);
        let (own_b, own) = crate::certify::certify_network_dual(
            &self.x,
            &self.y,
            &self.exact,
            self.loss,
            self.beta,
            &net,
        );
        let hint = crate::certify::feasible_dual(
            &self.x,
            &self.y,
            &self.exact,
            self.loss,
            self.beta,
            hint,
            0,
        );
        let own_bounds = (own_b, own.certificate.u);
        let best = if hint.lower > own.lower { hint } else { own };
        let b = Bounds {
            upper: own_b.upper,
            lower: best.lower,
            certificate: best.c_over_beta,
        };
        (b, self.convex_objective(blocks), best.v, own_bounds)
    }

    /// Certified bounds (docs/math.md#certified-gap) of any network against the optimum of the *exact* program.
    pub fn certify(&self, net: &ReluNetwork) -> (Bounds, Certificate) {
        certify_network(&self.x, &self.y, &self.exact, self.loss, self.beta, net)
    }

    /// Returns a copy with a new `β` (patterns are reused).
    pub fn with_beta(&self, beta: f64) -> Result<Self> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "beta = {beta}: must be a positive finite number"
            )));
        }
        let mut out = self.clone();
        out.beta = beta;
        Ok(out)
    }
}
