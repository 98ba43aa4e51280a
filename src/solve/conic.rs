//! Shared pieces of the restricted programs handed to the interior-point solver (the polish of
//! (C), the gated finish, the robust rounds): a row builder in Clarabel's form `Ax + s = b`,
//! the norm cones `‖u_b‖ ≤ t_b`, the logistic loss's exponential cones, and the solve itself.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};

use crate::error::{Error, Result};

/// Rows of `A` (triplets) and `b`.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    i: Vec<usize>,
    j: Vec<usize>,
    v: Vec<f64>,
    b: Vec<f64>,
}

impl Rows {
    /// A new row with right-hand side `rhs`; returns its index.
    pub(crate) fn row(&mut self, rhs: f64) -> usize {
        self.b.push(rhs);
        self.b.len() - 1
    }

    /// `A[r, c] = val` (zeros skipped).
    pub(crate) fn put(&mut self, r: usize, c: usize, val: f64) {
        if val != 0.0 {
            self.i.push(r);
            self.j.push(c);
            self.v.push(val);
        }
    }

    /// `‖u_b‖ ≤ t_b` for `k` blocks `u_b = x[3b..3b+3]`, `t_b = x[off_t + b]`.
    pub(crate) fn norm_cones(
        &mut self,
        cones: &mut Vec<SupportedConeT<f64>>,
        k: usize,
        off_t: usize,
    ) {
        for bi in 0..k {
            let r = self.row(0.0);
            self.put(r, off_t + bi, -1.0);
            for c in 0..3 {
                let r = self.row(0.0);
                self.put(r, 3 * bi + c, -1.0);
            }
            cones.push(SupportedConeT::SecondOrderConeT(4));
        }
    }

    /// The logistic loss `τ_j ≥ log(1 + exp(−m_j))` of the margins `m_j`: with `a_j + b_j ≤ 1`
    /// (a nonnegative row the caller adds), `(−m_j − τ_j, 1, a_j)` and `(−τ_j, 1, b_j)` in the
    /// exponential cone. `margin(j)` lists the columns and coefficients of `m_j`;
    /// `τ_j, a_j, b_j = x[off_e + 3j ..]`.
    pub(crate) fn logistic_cones(
        &mut self,
        cones: &mut Vec<SupportedConeT<f64>>,
        n: usize,
        off_e: usize,
        margin: impl Fn(usize) -> Vec<(usize, f64)>,
    ) {
        for j in 0..n {
            let (tau, ea, eb) = (off_e + 3 * j, off_e + 3 * j + 1, off_e + 3 * j + 2);
            let r = self.row(0.0);
            for (c, coef) in margin(j) {
                self.put(r, c, coef);
            }
            self.put(r, tau, 1.0);
            self.row(1.0);
            let r = self.row(0.0);
            self.put(r, ea, -1.0);
            cones.push(SupportedConeT::ExponentialConeT());
            let r = self.row(0.0);
            self.put(r, tau, 1.0);
            self.row(1.0);
            let r = self.row(0.0);
            self.put(r, eb, -1.0);
            cones.push(SupportedConeT::ExponentialConeT());
        }
    }
}

/// A solved program: primal `x`, the multipliers `z` of the rows, the iterations.
pub(crate) struct Conic {
    pub x: Vec<f64>,
    pub z: Vec<f64>,
    pub iterations: u32,
}

/// Solves `min ½xᵀPx + qᵀx` s.t. `Ax + s = b`, `s ∈ cones` to 1e-10 (`P` diagonal, given as
/// `(index, value)` pairs). `what` names the program in errors.
pub(crate) fn interior_point(
    diag: &[(usize, f64)],
    q: &[f64],
    a: Rows,
    cones: &[SupportedConeT<f64>],
    what: &str,
) -> Result<Conic> {
    interior_point_to(diag, q, a, cones, what, 1e-10)
}

/// [`interior_point`] to the tolerance `tol` (gap and feasibility): a looser one suffices while
/// a solver's certified gap is still large (its bounds are certified whatever the accuracy).
/// Constraint-matrix size from which the KKT systems are factorized by the supernodal LDLᵀ
/// of `faer` instead of the simplicial QDLDL. The restricted programs of the working set are
/// dense in their prediction rows (a block touches about half the points), so their factors
/// fill in: the supernodal method's dense kernels halve a round at n = 1000, while below about
/// 10⁵ nonzeros (n ≈ 200) its overhead makes it slower. One thread: a second one gained
/// nothing at n = 1000 and cost 20 % at n = 400 (docs/math.md#working-set).
const SUPERNODAL_FROM_NNZ: usize = 100_000;

pub(crate) fn interior_point_to(
    diag: &[(usize, f64)],
    q: &[f64],
    a: Rows,
    cones: &[SupportedConeT<f64>],
    what: &str,
    tol: f64,
) -> Result<Conic> {
    let nvar = q.len();
    let pmat = CscMatrix::new_from_triplets(
        nvar,
        nvar,
        diag.iter().map(|d| d.0).collect(),
        diag.iter().map(|d| d.0).collect(),
        diag.iter().map(|d| d.1).collect(),
    );
    let rows = a.b.len();
    let amat = CscMatrix::new_from_triplets(rows, nvar, a.i, a.j, a.v);
    let settings = DefaultSettings::<f64> {
        verbose: false,
        max_iter: 200,
        tol_gap_abs: tol,
        tol_gap_rel: tol,
        tol_feas: tol,
        tol_ktratio: 10.0 * tol,
        direct_solve_method: if amat.nnz() >= SUPERNODAL_FROM_NNZ {
            "faer".into()
        } else {
            "qdldl".into()
        },
        max_threads: 1,
        ..DefaultSettings::default()
    };
    let mut solver = DefaultSolver::new(&pmat, q, &amat, &a.b, cones, settings)
        .map_err(|e| Error::Numerical(format!("{what} setup failed: {e}")))?;
    solver.solve();
    let sol = &solver.solution;
    if !matches!(
        sol.status,
        SolverStatus::Solved | SolverStatus::AlmostSolved | SolverStatus::MaxIterations
    ) {
        return Err(Error::Numerical(format!(
            "{what} ended with {:?}",
            sol.status
        )));
    }
    if sol.x.iter().any(|v| !v.is_finite()) {
        return Err(Error::Numerical(format!(
            "{what} returned non-finite values"
        )));
    }
    Ok(Conic {
        x: sol.x.clone(),
        z: sol.z.clone(),
        iterations: sol.iterations,
    })
}
