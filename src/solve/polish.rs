//! Exact polish (docs/math.md#polish): solve (C) restricted to a few blocks — the ones ADMM found
//! active, plus the ones column generation adds — with the pure-Rust interior-point solver
//! Clarabel. The restricted problem is a small SOCP (squared, hinge) or exponential-cone program
//! (logistic):
//!
//! ```text
//! min  L(ŷ, y) + β Σ_b t_b   s.t.  ŷ = Σ_b s_b D_b X u_b,   e_b ∘ (X u_b) ≥ 0,   ‖u_b‖ ≤ t_b
//! ```
//!
//! Whatever it returns is only a candidate: the driver certifies it over all patterns.

use clarabel::solver::SupportedConeT;

use super::conic::{Rows, interior_point_to};

use crate::convex::relu::ReluProblem;
use crate::error::Result;
use crate::model::Loss;

/// A block of the restricted problem: training-pattern index and sign (+1: `v_i`, −1: `w_i`).
pub type BlockId = (usize, f64);

/// Result of one restricted solve.
#[derive(Debug, Clone)]
pub struct PolishResult {
    /// Block values, in the order of the requested blocks.
    pub values: Vec<[f64; 3]>,
    /// Multipliers of the prediction equalities: a dual candidate `v ≈ −∇L(ŷ)`.
    pub dual: Vec<f64>,
    /// Interior-point iterations.
    pub iterations: u32,
}

/// One block of a restricted program: `s · D X̃ u` with `D` the points listed in `on`, and the
/// cone rows `e_j x̃_jᵀu ≥ 0` listed in `cone` as `(j, e_j)` (none for a gated block).
#[derive(Debug, Clone)]
pub struct RestrictedBlock {
    /// Output sign `s` (+1 or −1).
    pub sign: f64,
    /// Points where the block is on (`d_j = 1`).
    pub on: Vec<usize>,
    /// Cone rows `(j, e_j)`.
    pub cone: Vec<(usize, f64)>,
}

/// Solves (C) restricted to `blocks` to interior-point accuracy.
/// `facets[i]` lists the irredundant constraints of pattern `i`'s cone
/// ([`crate::geometry::facets()`]); the restricted problem uses only those rows, which defines
/// exactly the same feasible set.
pub fn polish(
    problem: &ReluProblem,
    blocks: &[BlockId],
    facets: &[Vec<usize>],
) -> Result<PolishResult> {
    let n = problem.n();
    let restricted: Vec<RestrictedBlock> = blocks
        .iter()
        .map(|&(pi, sign)| {
            let pat = problem.patterns.pattern(pi);
            RestrictedBlock {
                sign,
                on: (0..n).filter(|&j| pat.get(j)).collect(),
                cone: facets[pi]
                    .iter()
                    .map(|&j| (j, if pat.get(j) { 1.0 } else { -1.0 }))
                    .collect(),
            }
        })
        .collect();
    polish_blocks(
        &problem.x,
        &problem.y,
        problem.loss,
        problem.beta,
        &restricted,
    )
}

/// The restricted program over arbitrary [`RestrictedBlock`]s: the ReLU program's (with cone
/// rows) or the gated program's (without).
pub fn polish_blocks(
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    blocks: &[RestrictedBlock],
) -> Result<PolishResult> {
    polish_blocks_to(x, y, loss, beta, blocks, 1e-10)
}

/// [`polish_blocks`] to the interior-point tolerance `tol`.
pub fn polish_blocks_to(
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    blocks: &[RestrictedBlock],
    tol: f64,
) -> Result<PolishResult> {
    let (n, k) = (x.len(), blocks.len());
    // Variable layout: u_b (3k) | t_b (k) | ŷ (n) | loss extras.
    let off_t = 3 * k;
    let off_y = 4 * k;
    let off_e = off_y + n;
    let n_extra = match loss {
        Loss::Squared => 0,
        Loss::Hinge => n,
        Loss::Logistic => 3 * n,
    };
    let nvar = off_e + n_extra;
    let mut a = Rows::default();
    let mut cones: Vec<SupportedConeT<f64>> = Vec::new();

    // ŷ_j − Σ_b s_b d_bj x̃_jᵀ u_b = 0 (rows 0..n)
    let first = 0;
    for j in 0..n {
        let r = a.row(0.0);
        a.put(r, off_y + j, 1.0);
    }
    for (bi, b) in blocks.iter().enumerate() {
        for &j in &b.on {
            let r = first + j;
            a.put(r, 3 * bi, -b.sign * x[j][0]);
            a.put(r, 3 * bi + 1, -b.sign * x[j][1]);
            a.put(r, 3 * bi + 2, -b.sign);
        }
    }
    cones.push(SupportedConeT::ZeroConeT(n));
    // Cone constraints e_bj x̃_jᵀ u_b ≥ 0, and loss rows in the nonnegative cone.
    let mut nonneg = 0;
    for (bi, b) in blocks.iter().enumerate() {
        for &(j, e) in &b.cone {
            let r = a.row(0.0);
            a.put(r, 3 * bi, -e * x[j][0]);
            a.put(r, 3 * bi + 1, -e * x[j][1]);
            a.put(r, 3 * bi + 2, -e);
            nonneg += 1;
        }
    }
    match loss {
        Loss::Squared => {}
        Loss::Hinge => {
            for j in 0..n {
                // ξ_j + y_j ŷ_j − 1 ≥ 0 and ξ_j ≥ 0
                let r = a.row(-1.0);
                a.put(r, off_e + j, -1.0);
                a.put(r, off_y + j, -y[j]);
                let r = a.row(0.0);
                a.put(r, off_e + j, -1.0);
                nonneg += 2;
            }
        }
        Loss::Logistic => {
            for j in 0..n {
                // a_j + b_j ≤ 1
                let r = a.row(1.0);
                a.put(r, off_e + 3 * j + 1, 1.0);
                a.put(r, off_e + 3 * j + 2, 1.0);
                nonneg += 1;
            }
        }
    }
    if nonneg > 0 {
        cones.push(SupportedConeT::NonnegativeConeT(nonneg));
    }
    a.norm_cones(&mut cones, k, off_t);
    if loss == Loss::Logistic {
        // margins y_j ŷ_j
        a.logistic_cones(&mut cones, n, off_e, |j| vec![(off_y + j, y[j])]);
    }

    let mut q = vec![0.0; nvar];
    for bi in 0..k {
        q[off_t + bi] = beta;
    }
    let mut diag = Vec::new();
    match loss {
        Loss::Squared => {
            for j in 0..n {
                diag.push((off_y + j, 1.0));
                q[off_y + j] = -y[j];
            }
        }
        Loss::Hinge => (0..n).for_each(|j| q[off_e + j] = 1.0),
        Loss::Logistic => (0..n).for_each(|j| q[off_e + 3 * j] = 1.0),
    }
    let sol = interior_point_to(&diag, &q, a, &cones, "polish", tol)?;
    let values = (0..k)
        .map(|bi| [sol.x[3 * bi], sol.x[3 * bi + 1], sol.x[3 * bi + 2]])
        .collect();
    Ok(PolishResult {
        values,
        dual: sol.z[..n].to_vec(),
        iterations: sol.iterations,
    })
}
