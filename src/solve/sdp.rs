//! The SDP-ADMM of docs/math.md#poly-admm for the polynomial-activation program, a face-restricted
//! Newton polish, and the certified driver (same `step()` / `run(callback)` shape and stop rule
//! as the ReLU driver).
//!
//! Every upper bound is the objective of a real network (the Neural Decomposition of the
//! iterate, docs/math.md#neural-decomposition), every lower bound the dual objective at a scaled dual point certified by the
//! exact trust-region maximum (docs/math.md#poly-certificate). The driver keeps the best of each.

use std::ops::ControlFlow;
use std::time::Instant;

use nalgebra::{DMatrix, DVector, Matrix4, SymmetricEigen};
use serde::{Deserialize, Serialize};

use super::progress::{Iterate, Phase, Status};
use crate::certify::Bounds;
use crate::certify::poly::lower_bound;
use crate::convex::poly::{C_G, E_4, PolyProblem, Svec, dot10, project_psd, smat, svec};
use crate::error::{Error, Result};
use crate::model::{Loss, PolyNetwork};

/// Settings of [`solve_poly`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolySettings {
    /// Initial ADMM penalty ρ.
    pub rho: f64,
    /// Residual balancing of ρ at iterations 10, 20, 40, 80, ….
    pub adapt_rho: bool,
    /// Certified relative-gap tolerance `(upper − lower)/max(1, |upper|)`.
    pub tol: f64,
    /// Maximum ADMM iterations.
    pub max_iter: usize,
    /// Bounds are computed every this many iterations.
    pub check_every: usize,
    /// Try the face-restricted Newton polish at checks once the gap is below `polish_gap`.
    pub polish: bool,
    /// See `polish`.
    pub polish_gap: f64,
}

impl Default for PolySettings {
    fn default() -> Self {
        Self {
            rho: 1.0,
            adapt_rho: true,
            tol: 1e-6,
            max_iter: 20_000,
            check_every: 10,
            polish: true,
            polish_gap: 1e-2,
        }
    }
}

impl PolySettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<()> {
        if !(self.rho.is_finite() && self.rho > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "rho = {}: must be > 0",
                self.rho
            )));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "tol = {}: must be > 0",
                self.tol
            )));
        }
        if self.max_iter == 0 || self.check_every == 0 {
            return Err(Error::InvalidSetting(
                "max_iter and check_every must be ≥ 1".into(),
            ));
        }
        Ok(())
    }
}

/// ADMM state for one output.
#[derive(Debug, Clone)]
pub struct SdpAdmm {
    problem: PolyProblem,
    kkt: nalgebra::LU<f64, nalgebra::Const<22>, nalgebra::Const<22>>,
    w: [f64; 20],
    z: [f64; 20],
    lam: [f64; 20],
    r: Vec<f64>,
    /// `r` of the previous iteration (dual residual), reused buffer.
    r_prev: Vec<f64>,
    mu: Vec<f64>,
    kw: Vec<f64>,
    rho: f64,
    adapt: bool,
    iter: usize,
    primal: f64,
    dual: f64,
}

fn kkt_matrix(lifted: &[Svec]) -> nalgebra::SMatrix<f64, 22, 22> {
    let mut g = [[0.0; 10]; 10];
    for a in lifted {
        for i in 0..10 {
            for j in 0..10 {
                g[i][j] += a[i] * a[j];
            }
        }
    }
    let mut m = nalgebra::SMatrix::<f64, 22, 22>::zeros();
    for i in 0..10 {
        for j in 0..10 {
            m[(i, j)] = g[i][j];
            m[(i + 10, j + 10)] = g[i][j];
            m[(i, j + 10)] = -g[i][j];
            m[(i + 10, j)] = -g[i][j];
        }
    }
    for i in 0..20 {
        m[(i, i)] += 1.0;
    }
    for i in 0..10 {
        m[(20, i)] = C_G[i];
        m[(i, 20)] = C_G[i];
        m[(21, i + 10)] = C_G[i];
        m[(i + 10, 21)] = C_G[i];
    }
    m
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

impl SdpAdmm {
    /// Sets up the iteration from zero and factors the 22×22 KKT matrix once.
    pub fn new(problem: PolyProblem, rho: f64, adapt: bool) -> Result<Self> {
        let kkt = kkt_matrix(&problem.lifted).lu();
        if !kkt.is_invertible() {
            return Err(Error::Numerical(
                "the SDP-ADMM KKT matrix is singular".into(),
            ));
        }
        let n = problem.n();
        Ok(Self {
            problem,
            kkt,
            w: [0.0; 20],
            z: [0.0; 20],
            lam: [0.0; 20],
            r: vec![0.0; n],
            r_prev: vec![0.0; n],
            mu: vec![0.0; n],
            kw: vec![0.0; n],
            rho,
            adapt,
            iter: 0,
            primal: f64::INFINITY,
            dual: f64::INFINITY,
        })
    }

    /// The problem.
    pub fn problem(&self) -> &PolyProblem {
        &self.problem
    }

    /// ρ in force.
    pub fn rho(&self) -> f64 {
        self.rho
    }

    /// Iterations run.
    pub fn iterations(&self) -> usize {
        self.iter
    }

    /// Relative primal and dual residuals of the last iteration.
    pub fn residuals(&self) -> (f64, f64) {
        (self.primal, self.dual)
    }

    /// The PSD iterates `(Z₊, Z₋)`.
    pub fn z(&self) -> (Matrix4<f64>, Matrix4<f64>) {
        (smat(&self.z[..10]), smat(&self.z[10..]))
    }

    /// Replaces β (warm start from the current iterate).
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.problem = self.problem.with_beta(beta)?;
        Ok(())
    }

    /// The dual point `v = −ρμ` (the multiplier of `r = K W`).
    pub fn dual_point(&self) -> Vec<f64> {
        self.mu.iter().map(|m| -self.rho * m).collect()
    }

    /// One iteration of docs/math.md#poly-admm.
    pub fn step(&mut self) {
        let pr = &self.problem;
        let br = pr.beta / self.rho;
        let mut atd = [0.0; 10];
        for ((a, r), m) in pr.lifted.iter().zip(&self.r).zip(&self.mu) {
            let d = r - m;
            for i in 0..10 {
                atd[i] += a[i] * d;
            }
        }
        let mut rhs = nalgebra::SVector::<f64, 22>::zeros();
        for i in 0..10 {
            rhs[i] = self.z[i] - self.lam[i] + atd[i] - br * E_4[i];
            rhs[i + 10] = self.z[i + 10] - self.lam[i + 10] - atd[i] - br * E_4[i];
        }
        // The matrix was checked invertible when it was factored.
        self.kkt.solve_mut(&mut rhs);
        self.w.copy_from_slice(&rhs.as_slice()[..20]);
        let mut diff = [0.0; 10];
        for i in 0..10 {
            diff[i] = self.w[i] - self.w[i + 10];
        }
        for (kw, a) in self.kw.iter_mut().zip(&pr.lifted) {
            *kw = dot10(a, &diff);
        }
        let z_old = self.z;
        for side in 0..2 {
            let mut t = [0.0; 10];
            for i in 0..10 {
                t[i] = self.w[10 * side + i] + self.lam[10 * side + i];
            }
            let p = svec(&project_psd(&smat(&t)));
            self.z[10 * side..10 * side + 10].copy_from_slice(&p);
        }
        std::mem::swap(&mut self.r, &mut self.r_prev);
        for (j, r) in self.r.iter_mut().enumerate() {
            *r = pr.loss.prox(self.kw[j] + self.mu[j], pr.y[j], self.rho);
        }
        for i in 0..20 {
            self.lam[i] += self.w[i] - self.z[i];
        }
        for j in 0..self.mu.len() {
            self.mu[j] += self.kw[j] - self.r[j];
        }
        self.iter += 1;

        // Residuals (Boyd et al. §3.3 with A = [I; K], B = −I).
        let mut pri2 = 0.0;
        for i in 0..20 {
            pri2 += (self.w[i] - self.z[i]).powi(2);
        }
        for j in 0..self.r.len() {
            pri2 += (self.kw[j] - self.r[j]).powi(2);
        }
        let mut dr = [0.0; 10];
        for ((a, r), ro) in pr.lifted.iter().zip(&self.r).zip(&self.r_prev) {
            let d = r - ro;
            for i in 0..10 {
                dr[i] += a[i] * d;
            }
        }
        let mut dual2 = 0.0;
        for i in 0..10 {
            dual2 += (self.z[i] - z_old[i] + dr[i]).powi(2);
            dual2 += (self.z[i + 10] - z_old[i + 10] - dr[i]).powi(2);
        }
        let scale_p = (norm(&self.w).powi(2) + norm(&self.kw).powi(2))
            .sqrt()
            .max((norm(&self.z).powi(2) + norm(&self.r).powi(2)).sqrt())
            .max(1e-12);
        let mut ktm = [0.0; 10];
        for (a, m) in pr.lifted.iter().zip(&self.mu) {
            for i in 0..10 {
                ktm[i] += a[i] * m;
            }
        }
        let mut sd2 = 0.0;
        for i in 0..10 {
            sd2 += (self.lam[i] + ktm[i]).powi(2) + (self.lam[i + 10] - ktm[i]).powi(2);
        }
        self.primal = pri2.sqrt() / scale_p;
        self.dual = dual2.sqrt() / sd2.sqrt().max(1e-12);
        // Residual balancing at iterations 10, 20, 40, 80, …: finitely many changes per
        // thousand iterations, so the fixed-ρ convergence guarantee takes over (frequent
        // changes made ADMM oscillate on logistic problems with large weights).
        if self.adapt && self.iter.is_multiple_of(10) && (self.iter / 10).is_power_of_two() {
            let f = if self.primal > 10.0 * self.dual {
                2.0
            } else if self.dual > 10.0 * self.primal {
                0.5
            } else {
                1.0
            };
            let new_rho = (self.rho * f).clamp(1e-6, 1e6);
            if new_rho != self.rho {
                let s = self.rho / new_rho;
                self.lam.iter_mut().for_each(|v| *v *= s);
                self.mu.iter_mut().for_each(|v| *v *= s);
                self.rho = new_rho;
            }
        }
    }

    /// Whether the iterate holds non-finite numbers.
    pub fn diverged(&self) -> bool {
        self.z.iter().chain(&self.r).any(|v| !v.is_finite())
    }
}

/// Eigenvalues of `Z₊` and `Z₋` and the cut-off `thr·λmax` below which directions are dropped.
fn face_eigs(
    zp: &Matrix4<f64>,
    zm: &Matrix4<f64>,
    thr: f64,
) -> ([SymmetricEigen<f64, nalgebra::U4>; 2], f64) {
    let eigs = [zp, zm].map(|z| SymmetricEigen::new((z + z.transpose()) * 0.5));
    let lmax = eigs
        .iter()
        .flat_map(|e| e.eigenvalues.iter().copied())
        .fold(0.0, f64::max);
    (eigs, thr * lmax)
}

/// Dimensions of the face `polish_on_face` would use at `thr`.
fn face_dims(zp: &Matrix4<f64>, zm: &Matrix4<f64>, thr: f64) -> [usize; 2] {
    let (eigs, cut) = face_eigs(zp, zm, thr);
    eigs.map(|e| e.eigenvalues.iter().filter(|&&l| l > cut).count())
}

/// A polished pair and, for the hinge loss, the dual point of the face LP.
pub type Polished = (Matrix4<f64>, Matrix4<f64>, Option<Vec<f64>>);

/// Face-restricted polish: keeps `Z± = U± S± U±ᵀ` on the eigenvector ranges of the iterate
/// (eigenvalues above `thr·λmax`) and solves the restricted problem in `S±` exactly: Newton's
/// method for the smooth losses (one step for the squared loss), a linear program (Clarabel)
/// for the hinge loss. Returns the pair when `S± ⪰ 0` (up to rounding). The caller certifies
/// whatever comes out.
pub fn polish_on_face(
    pr: &PolyProblem,
    zp: &Matrix4<f64>,
    zm: &Matrix4<f64>,
    thr: f64,
) -> Option<Polished> {
    let (eigs, cut) = face_eigs(zp, zm, thr);
    if cut <= 0.0 {
        return None;
    }
    // Basis of the face: E_k = U B_k Uᵀ (sign ±).
    let mut basis: Vec<(usize, Matrix4<f64>)> = Vec::new();
    // Per side: (first basis index, face dimension r).
    let mut faces = [(0usize, 0usize); 2];
    for (side, e) in eigs.iter().enumerate() {
        let cols: Vec<usize> = (0..4).filter(|&i| e.eigenvalues[i] > cut).collect();
        faces[side] = (basis.len(), cols.len());
        for (a, &i) in cols.iter().enumerate() {
            for &j in &cols[a..] {
                let (qi, qj) = (e.eigenvectors.column(i), e.eigenvectors.column(j));
                let m = if i == j {
                    qi * qi.transpose()
                } else {
                    (qi * qj.transpose() + qj * qi.transpose()) * std::f64::consts::FRAC_1_SQRT_2
                };
                basis.push((side, m));
            }
        }
    }
    let p = basis.len();
    let n = pr.n();
    let svs: Vec<Svec> = basis.iter().map(|(_, m)| svec(m)).collect();
    let sign = |side: usize| if side == 0 { 1.0 } else { -1.0 };
    let b = DMatrix::from_fn(n, p, |j, k| {
        sign(basis[k].0) * dot10(&pr.lifted[j], &svs[k])
    });
    let h = DVector::from_fn(p, |k, _| pr.beta * svs[k][3]);
    let c = DMatrix::from_fn(2, p, |s, k| {
        if basis[k].0 == s {
            dot10(&C_G, &svs[k])
        } else {
            0.0
        }
    });
    if pr.loss == Loss::Hinge {
        let (s, v) = hinge_lp(pr, &b, &h, &c, &faces)?;
        return psd_pair(&basis, &s).map(|(a, b)| (a, b, Some(v)));
    }
    // Start: the iterate's coordinates on the face.
    let mut s = DVector::from_fn(p, |k, _| {
        let z = if basis[k].0 == 0 { zp } else { zm };
        dot10(&svec(z), &svs[k])
    });
    let objective = |s: &DVector<f64>| {
        let yhat = &b * s;
        pr.loss.total(yhat.as_slice(), &pr.y) + h.dot(s)
    };
    for it in 0..40 {
        let yhat = &b * &s;
        let d1 = DVector::from_fn(n, |j, _| pr.loss.derivative(yhat[j], pr.y[j]));
        let d2 = DVector::from_fn(n, |j, _| second_derivative(pr.loss, yhat[j], pr.y[j]));
        let g = b.transpose() * d1 + &h;
        let mut bh = b.clone();
        for j in 0..n {
            let w = d2[j].sqrt();
            bh.row_mut(j).scale_mut(w);
        }
        let hess = bh.transpose() * bh;
        let mut kkt = DMatrix::zeros(p + 2, p + 2);
        kkt.view_mut((0, 0), (p, p)).copy_from(&hess);
        kkt.view_mut((p, 0), (2, p)).copy_from(&c);
        kkt.view_mut((0, p), (p, 2)).copy_from(&c.transpose());
        let cs = &c * &s;
        let mut rhs = DVector::zeros(p + 2);
        rhs.rows_mut(0, p).copy_from(&(-&g));
        rhs.rows_mut(p, 2).copy_from(&(-cs));
        let svd = kkt.svd(true, true);
        let eps = 1e-13 * svd.singular_values.max().max(1e-300);
        let step = svd.solve(&rhs, eps).ok()?;
        let ds = step.rows(0, p).into_owned();
        if it == 0 {
            // Infeasible start: the full step restores C s = 0.
            s += &ds;
        } else {
            let f0 = objective(&s);
            let slope = g.dot(&ds);
            if slope > -1e-15 * (1.0 + f0.abs()) {
                break;
            }
            let mut t = 1.0;
            while t > 1e-10 && objective(&(&s + &ds * t)) > f0 + 1e-4 * t * slope {
                t *= 0.5;
            }
            s += &ds * t;
        }
        if pr.loss == Loss::Squared && it >= 1 {
            break;
        }
    }
    psd_pair(&basis, &s).map(|(a, b)| (a, b, None))
}

/// `Z± = Σ_k s_k E_k` when both are PSD up to rounding (then projected exactly).
fn psd_pair(
    basis: &[(usize, Matrix4<f64>)],
    s: &DVector<f64>,
) -> Option<(Matrix4<f64>, Matrix4<f64>)> {
    let mut out = [Matrix4::zeros(), Matrix4::zeros()];
    for (k, (side, m)) in basis.iter().enumerate() {
        out[*side] += m * s[k];
    }
    // Accept only (numerically) PSD results.
    let scale = out.iter().map(|m| m.norm()).fold(0.0, f64::max).max(1e-300);
    for m in &out {
        let e = SymmetricEigen::new(*m).eigenvalues;
        if e.min() < -1e-9 * scale {
            return None;
        }
    }
    Some((project_psd(&out[0]), project_psd(&out[1])))
}

/// The hinge loss restricted to a face: `min 1ᵀξ + hᵀs` s.t. `ξ ≥ 0`, `ξ_j ≥ 1 − y_j (Bs)_j`,
/// `Cs = 0`, and `S± ⪰ 0` where the face has dimension ≤ 2 (`s ≥ 0`, or a second-order cone
/// for a 2×2 block), by Clarabel. Returns `s` and the dual point `v_j = y_j z_j` of the margin
/// rows.
fn hinge_lp(
    pr: &PolyProblem,
    b: &DMatrix<f64>,
    h: &DVector<f64>,
    c: &DMatrix<f64>,
    faces: &[(usize, usize); 2],
) -> Option<(DVector<f64>, Vec<f64>)> {
    use clarabel::algebra::CscMatrix;
    use clarabel::solver::{
        DefaultSettings, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
    };
    let (n, p) = (b.nrows(), b.ncols());
    let nvar = p + n;
    let (mut ai, mut aj, mut av, mut rhs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut row = 0;
    for r in 0..2 {
        for k in 0..p {
            if c[(r, k)] != 0.0 {
                ai.push(row);
                aj.push(k);
                av.push(c[(r, k)]);
            }
        }
        rhs.push(0.0);
        row += 1;
    }
    for j in 0..n {
        // −ξ_j − y_j (Bs)_j + slack = −1, slack ≥ 0.
        for k in 0..p {
            ai.push(row);
            aj.push(k);
            av.push(-pr.y[j] * b[(j, k)]);
        }
        ai.push(row);
        aj.push(p + j);
        av.push(-1.0);
        rhs.push(-1.0);
        row += 1;
    }
    for j in 0..n {
        ai.push(row);
        aj.push(p + j);
        av.push(-1.0);
        rhs.push(0.0);
        row += 1;
    }
    let mut cones = vec![
        SupportedConeT::ZeroConeT(2),
        SupportedConeT::NonnegativeConeT(2 * n),
    ];
    for &(k0, r) in faces {
        match r {
            1 => {
                ai.push(row);
                aj.push(k0);
                av.push(-1.0);
                rhs.push(0.0);
                row += 1;
                cones.push(SupportedConeT::NonnegativeConeT(1));
            }
            2 => {
                // S = [s0, s1/√2; s1/√2, s2] ⪰ 0 ⟺ (s0 + s2, s0 − s2, √2 s1) ∈ SOC.
                let entries: [&[(usize, f64)]; 3] = [
                    &[(k0, -1.0), (k0 + 2, -1.0)],
                    &[(k0, -1.0), (k0 + 2, 1.0)],
                    &[(k0 + 1, -std::f64::consts::SQRT_2)],
                ];
                for e in entries {
                    for &(k, v) in e {
                        ai.push(row);
                        aj.push(k);
                        av.push(v);
                    }
                    rhs.push(0.0);
                    row += 1;
                }
                cones.push(SupportedConeT::SecondOrderConeT(3));
            }
            _ => {}
        }
    }
    let mut q = vec![1.0; nvar];
    for k in 0..p {
        q[k] = h[k];
    }
    let pmat = CscMatrix::new_from_triplets(nvar, nvar, vec![], vec![], vec![]);
    let amat = CscMatrix::new_from_triplets(row, nvar, ai, aj, av);
    let settings = DefaultSettings::<f64> {
        verbose: false,
        max_iter: 100,
        tol_gap_abs: 1e-11,
        tol_gap_rel: 1e-11,
        tol_feas: 1e-11,
        ..DefaultSettings::default()
    };
    let mut solver = DefaultSolver::new(&pmat, &q, &amat, &rhs, &cones, settings).ok()?;
    solver.solve();
    let sol = &solver.solution;
    if !matches!(
        sol.status,
        SolverStatus::Solved | SolverStatus::AlmostSolved
    ) || sol.x.iter().any(|v| !v.is_finite())
    {
        return None;
    }
    let s = DVector::from_fn(p, |k, _| sol.x[k]);
    let v = (0..n).map(|j| pr.y[j] * sol.z[2 + j]).collect();
    Some((s, v))
}

/// `∂²ℓ/∂ŷ²` (0 for hinge).
fn second_derivative(loss: Loss, yhat: f64, y: f64) -> f64 {
    match loss {
        Loss::Squared => 1.0,
        Loss::Logistic => {
            let s = crate::model::loss::sigmoid(-y * yhat);
            s * (1.0 - s)
        }
        Loss::Hinge => 0.0,
    }
}

/// The best bounds and network of one output.
#[derive(Debug, Clone)]
struct OutputState {
    admm: SdpAdmm,
    upper: f64,
    lower: f64,
    certificate: f64,
    network: PolyNetwork,
    z: (Matrix4<f64>, Matrix4<f64>),
    done: bool,
}

impl OutputState {
    fn bounds(&self) -> Bounds {
        Bounds {
            upper: self.upper,
            lower: self.lower,
            certificate: self.certificate,
        }
    }

    /// Offers a PSD pair: decomposes it, certifies the network, keeps the best bounds.
    fn offer(
        &mut self,
        zp: &Matrix4<f64>,
        zm: &Matrix4<f64>,
        extra_dual: Option<Vec<f64>>,
    ) -> bool {
        let pr = self.admm.problem();
        let Ok(net) = pr.decompose(zp, zm) else {
            return false;
        };
        let yhat = net.predict(&pr.x);
        let upper = pr.loss.total(&yhat, &pr.y) + net.l1_penalty(pr.beta);
        let mut improved = false;
        let mut duals = vec![pr.loss.dual_point(&yhat, &pr.y)];
        duals.extend(extra_dual);
        for v in duals {
            let (lb, c) = lower_bound(&pr.x, &pr.y, pr.loss, pr.beta, pr.activation, v);
            if lb > self.lower {
                self.lower = lb;
                self.certificate = c;
                improved = true;
            }
        }
        if upper.is_finite() && upper < self.upper {
            self.upper = upper;
            self.network = net;
            self.z = (*zp, *zm);
            improved = true;
        }
        improved
    }
}

/// Outcome of [`solve_poly`].
#[derive(Debug, Clone)]
pub struct PolySolution {
    /// One network per output (its objective is that output's upper bound).
    pub networks: Vec<PolyNetwork>,
    /// The lifted matrices `(Z₊, Z₋)` of each output's best network.
    pub lifted: Vec<(Matrix4<f64>, Matrix4<f64>)>,
    /// Certified bounds summed over outputs.
    pub bounds: Bounds,
    /// Final status.
    pub status: Status,
    /// ADMM iterations (the largest over outputs).
    pub iterations: usize,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// The certified SDP driver, one step at a time, for one or several outputs.
pub struct PolyDriver {
    outputs: Vec<OutputState>,
    settings: PolySettings,
    status: Status,
    iter: usize,
    checked_at: usize,
    /// SDP objective at the PSD iterates, summed over outputs, at the last check.
    convex_objective: f64,
    t0: Instant,
}

impl PolyDriver {
    /// One problem per output (all with the same data, loss, β and activation).
    pub fn new(problems: Vec<PolyProblem>, settings: &PolySettings) -> Result<Self> {
        settings.validate()?;
        if problems.is_empty() {
            return Err(Error::InvalidData("no output to fit".into()));
        }
        let outputs = problems
            .into_iter()
            .map(|pr| {
                let activation = pr.activation;
                Ok(OutputState {
                    admm: SdpAdmm::new(pr, settings.rho, settings.adapt_rho)?,
                    upper: f64::INFINITY,
                    lower: f64::NEG_INFINITY,
                    certificate: f64::NAN,
                    network: PolyNetwork {
                        activation,
                        neurons: Vec::new(),
                    },
                    z: (Matrix4::zeros(), Matrix4::zeros()),
                    done: false,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            outputs,
            settings: *settings,
            status: Status::Running,
            iter: 0,
            checked_at: 0,
            convex_objective: f64::NAN,
            t0: Instant::now(),
        })
    }

    /// The problems, one per output.
    pub fn problems(&self) -> Vec<&PolyProblem> {
        self.outputs.iter().map(|o| o.admm.problem()).collect()
    }

    /// ρ of the first output.
    pub fn rho(&self) -> f64 {
        self.outputs[0].admm.rho()
    }

    /// Current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether the run has ended.
    pub fn is_done(&self) -> bool {
        self.status != Status::Running
    }

    /// Best certified bounds, summed over outputs (the program decouples, docs/math.md#poly-vector-outputs).
    pub fn bounds(&self) -> Bounds {
        let mut b = Bounds {
            upper: 0.0,
            lower: 0.0,
            certificate: f64::NEG_INFINITY,
        };
        for o in &self.outputs {
            b.upper += o.upper;
            b.lower += o.lower;
            b.certificate = b.certificate.max(o.certificate);
        }
        b
    }

    /// The best network of each output.
    pub fn networks(&self) -> Vec<PolyNetwork> {
        self.outputs.iter().map(|o| o.network.clone()).collect()
    }

    /// What to show for each output: the ADMM iterate while the output is still being solved,
    /// the best (possibly polished) pair once it is done.
    pub fn shown_iterates(&self) -> Vec<(Matrix4<f64>, Matrix4<f64>)> {
        self.outputs
            .iter()
            .map(|o| {
                if o.done || self.is_done() && o.upper.is_finite() {
                    o.z
                } else {
                    o.admm.z()
                }
            })
            .collect()
    }

    /// The lifted matrices of each output's best network.
    pub fn best_lifted(&self) -> Vec<(Matrix4<f64>, Matrix4<f64>)> {
        self.outputs.iter().map(|o| o.z).collect()
    }

    /// Ends the run (status `Stopped`).
    pub fn stop(&mut self) {
        if !self.is_done() {
            self.status = Status::Stopped;
        }
    }

    /// Changes β and continues from the current iterates; old bounds are dropped.
    pub fn set_beta(&mut self, beta: f64) -> Result<()> {
        for o in &mut self.outputs {
            o.admm.set_beta(beta)?;
            o.upper = f64::INFINITY;
            o.lower = f64::NEG_INFINITY;
            o.certificate = f64::NAN;
            o.done = false;
        }
        self.status = Status::Running;
        Ok(())
    }

    /// One ADMM iteration on every unfinished output (with bounds at checks); `None` once over.
    pub fn step(&mut self) -> Option<Iterate> {
        if self.is_done() {
            return None;
        }
        let t = Instant::now();
        self.iter += 1;
        let check = self.iter.is_multiple_of(self.settings.check_every) || self.iter == 1;
        let n_out = self.outputs.len() as f64;
        let s = self.settings;
        let mut phase = Phase::Admm;
        let (mut pri, mut dua) = (0.0f64, 0.0f64);
        for o in self.outputs.iter_mut().filter(|o| !o.done) {
            o.admm.step();
            if o.admm.diverged() {
                self.status = Status::Diverged;
                break;
            }
            let (p, d) = o.admm.residuals();
            pri = pri.max(p);
            dua = dua.max(d);
            if check {
                let (zp, zm) = o.admm.z();
                o.offer(&zp, &zm, Some(o.admm.dual_point()));
                if s.polish && o.bounds().rel_gap() <= s.polish_gap {
                    // Faces at three eigenvalue cut-offs; equal faces are solved once.
                    let mut tried = Vec::new();
                    for thr in [1e-3, 1e-5, 1e-7] {
                        let dims = face_dims(&zp, &zm, thr);
                        if tried.contains(&dims) {
                            continue;
                        }
                        tried.push(dims);
                        let pr = o.admm.problem();
                        if let Some((a, b, v)) = polish_on_face(pr, &zp, &zm, thr)
                            && o.offer(&a, &b, v)
                        {
                            phase = Phase::Polish;
                        }
                    }
                }
                if o.bounds().rel_gap() <= s.tol / n_out {
                    o.done = true;
                }
            }
        }
        if check {
            self.checked_at = self.iter;
            self.convex_objective = self
                .outputs
                .iter()
                .map(|o| {
                    let (zp, zm) = o.admm.z();
                    o.admm.problem().sdp_objective(&zp, &zm)
                })
                .sum();
        }
        let b = self.bounds();
        if self.status == Status::Running {
            if b.rel_gap() <= s.tol || self.outputs.iter().all(|o| o.done) {
                self.status = Status::Converged;
            } else if self.iter >= s.max_iter {
                self.status = Status::MaxIter;
            }
        }
        Some(Iterate {
            iter: self.iter,
            phase,
            upper: b.upper,
            lower: b.lower,
            rel_gap: b.rel_gap(),
            certificate: b.certificate,
            convex_objective: self.convex_objective,
            checked_at: self.checked_at,
            primal_residual: pri,
            dual_residual: dua,
            rho: self.rho(),
            seconds: t.elapsed().as_secs_f64(),
            active_blocks: self.outputs.iter().map(|o| o.network.neurons.len()).sum(),
            status: self.status,
        })
    }

    /// The result so far.
    pub fn finish(&self) -> PolySolution {
        PolySolution {
            networks: self.networks(),
            lifted: self.best_lifted(),
            bounds: self.bounds(),
            status: self.status,
            iterations: self.iter,
            seconds: self.t0.elapsed().as_secs_f64(),
        }
    }
}

/// Solves the SDP for every output to a certified relative gap. `on_iter` sees every iteration;
/// `ControlFlow::Break(())` stops the run (status `Stopped`).
pub fn solve_poly(
    problems: Vec<PolyProblem>,
    settings: &PolySettings,
    mut on_iter: impl FnMut(&Iterate) -> ControlFlow<()>,
) -> Result<PolySolution> {
    let mut driver = PolyDriver::new(problems, settings)?;
    while let Some(it) = driver.step() {
        if on_iter(&it).is_break() && !driver.is_done() {
            driver.stop();
        }
    }
    Ok(driver.finish())
}
