//! A primal-dual interior-point method for the restricted convex ReLU program with the squared
//! loss (docs/math.md#dense-interior-point), built for the working set's rounds:
//!
//! ```text
//! min ½‖Σ_b s_b D_b X̃ u_b − y‖² + β Σ_b t_b   s.t.  ‖u_b‖ ≤ t_b,   e_bj x̃_jᵀu_b ≥ 0 (facets)
//! ```
//!
//! Every block's variables `(t_b, u_b)` meet only their own cones, so after Nesterov–Todd scaling
//! the Newton matrix is `H + MᵀM` with `H` block diagonal (4 × 4 blocks) and `M` the `n × 3W`
//! prediction map. Woodbury's identity moves the solve to the `n × n` matrix
//! `S = I + M H⁻¹ Mᵀ = I + L Lᵀ` (`L = M C`, `C Cᵀ` the blocks' `H⁻¹`), formed by dense
//! matrix products and factorized by Cholesky — dense kernels where a general sparse solver
//! sees a half-dense KKT matrix. Mehrotra's predictor–corrector, iterative refinement of each
//! Newton solve. Like every restricted solve, its result is only a candidate: the working set
//! certifies it over all regions.

use nalgebra::{DMatrix, DVector, Matrix4, Vector3, Vector4};

use super::polish::{PolishResult, RestrictedBlock};
use crate::error::{Error, Result};

const MAX_ITER: usize = 80;
/// Fraction of the step to the cone boundary.
const STEP_FRACTION: f64 = 0.99;
/// Most conjugate-gradient steps per Newton solve: Woodbury's identity loses accuracy as the
/// scaling's eigenvalues spread (like 1/μ); preconditioned by it, a few steps restore it.
const MAX_REFINE: usize = 15;
/// Rows of `S` per dense product (the lower triangle is formed chunk by chunk).
const CHUNK: usize = 128;

/// One facet row `a_f = e x̃_j` of block `b`: `a_fᵀu_b ≥ 0`.
struct Facet {
    block: usize,
    a: Vector3<f64>,
}

/// Nesterov–Todd scaling of one second-order cone `(t, u)`: `W = η(2vvᵀ − J)` with
/// `W z = W⁻¹ s = λ`, `J = diag(1, −1, −1, −1)`.
#[derive(Clone, Copy)]
struct SocScaling {
    w: Matrix4<f64>,
    winv: Matrix4<f64>,
    lambda: Vector4<f64>,
}

fn jdot(a: &Vector4<f64>, b: &Vector4<f64>) -> f64 {
    a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3]
}

fn jmat() -> Matrix4<f64> {
    Matrix4::from_diagonal(&Vector4::new(1.0, -1.0, -1.0, -1.0))
}

impl SocScaling {
    fn new(s: &Vector4<f64>, z: &Vector4<f64>) -> Option<Self> {
        let (ss, zz) = (jdot(s, s), jdot(z, z));
        if !(ss > 0.0 && zz > 0.0 && s[0] > 0.0 && z[0] > 0.0) {
            return None;
        }
        let sb = s / ss.sqrt();
        let zb = z / zz.sqrt();
        let gamma = ((1.0 + zb.dot(&sb)) / 2.0).sqrt();
        let j = jmat();
        let wb = (sb + j * zb) / (2.0 * gamma);
        let eta = (ss / zz).sqrt().sqrt();
        // v = (w̄ + e)/√(2(w̄₀ + 1)), vᵀJv = 1.
        let mut v = wb;
        v[0] += 1.0;
        let v = v / (2.0 * (wb[0] + 1.0)).sqrt();
        let w = (v * v.transpose() * 2.0 - j) * eta;
        let jv = j * v;
        let winv = (jv * jv.transpose() * 2.0 - j) / eta;
        let lambda = w * z;
        Some(Self { w, winv, lambda })
    }
}

/// `x ∘ y` in the second-order cone's Jordan algebra.
fn soc_prod(x: &Vector4<f64>, y: &Vector4<f64>) -> Vector4<f64> {
    Vector4::new(
        x.dot(y),
        x[0] * y[1] + y[0] * x[1],
        x[0] * y[2] + y[0] * x[2],
        x[0] * y[3] + y[0] * x[3],
    )
}

/// `v` with `λ ∘ v = r`.
fn soc_div(l: &Vector4<f64>, r: &Vector4<f64>) -> Vector4<f64> {
    let l1 = Vector3::new(l[1], l[2], l[3]);
    let r1 = Vector3::new(r[1], r[2], r[3]);
    let v0 = (l[0] * r[0] - l1.dot(&r1)) / (l[0] * l[0] - l1.norm_squared());
    let v1 = (r1 - l1 * v0) / l[0];
    Vector4::new(v0, v1[0], v1[1], v1[2])
}

/// Largest `α ≤ cap` with `x + α d` in the second-order cone (`x` inside).
fn soc_step(x: &Vector4<f64>, d: &Vector4<f64>, cap: f64) -> f64 {
    // (x0 + αd0)² − ‖x1 + αd1‖² ≥ 0 and x0 + αd0 ≥ 0.
    let a = jdot(d, d);
    let b = jdot(x, d);
    let c = jdot(x, x).max(0.0);
    let mut alpha = cap;
    if d[0] < 0.0 {
        alpha = alpha.min(-x[0] / d[0]);
    }
    // Smallest positive root of aα² + 2bα + c.
    let root = if a.abs() < 1e-300 {
        if b < 0.0 {
            -c / (2.0 * b)
        } else {
            f64::INFINITY
        }
    } else {
        let disc = b * b - a * c;
        if disc < 0.0 {
            f64::INFINITY // never leaves (a > 0, always positive)
        } else {
            let sq = disc.sqrt();
            // Stable roots of aα² + 2bα + c.
            let q = -(b + b.signum() * sq);
            let (r1, r2) = (q / a, if q != 0.0 { c / q } else { f64::INFINITY });
            [r1, r2]
                .into_iter()
                .filter(|r| *r > 0.0)
                .fold(f64::INFINITY, f64::min)
        }
    };
    alpha.min(root)
}

/// The restricted program's data, its iterate and the factorization of one iteration.
struct Ip<'a> {
    x: &'a [[f64; 2]],
    y: &'a [f64],
    beta: f64,
    blocks: &'a [RestrictedBlock],
    facets: Vec<Facet>,
    /// Facet index range of each block.
    facet_range: Vec<(usize, usize)>,
    // iterate
    u: Vec<Vector3<f64>>,
    t: Vec<f64>,
    s_soc: Vec<Vector4<f64>>,
    z_soc: Vec<Vector4<f64>>,
    s_lp: Vec<f64>,
    z_lp: Vec<f64>,
    // scaling
    soc: Vec<SocScaling>,
    w_lp: Vec<f64>,
    lambda_lp: Vec<f64>,
    /// `H_b⁻¹` per block, `(t, u)` order.
    kinv: Vec<Matrix4<f64>>,
    /// `H_b` per block.
    h: Vec<Matrix4<f64>>,
    l: DMatrix<f64>,
}

/// The Cholesky factor of `S`.
type Chol = nalgebra::Cholesky<f64, nalgebra::Dyn>;

/// Dual residuals (u and t parts per block) and primal residuals (cone and facet rows).
type Residuals = (Vec<Vector3<f64>>, Vec<f64>, Vec<Vector4<f64>>, Vec<f64>);

/// Directions of one Newton solve.
struct Dir {
    du: Vec<Vector3<f64>>,
    dt: Vec<f64>,
    ds_soc: Vec<Vector4<f64>>,
    dz_soc: Vec<Vector4<f64>>,
    ds_lp: Vec<f64>,
    dz_lp: Vec<f64>,
}

impl<'a> Ip<'a> {
    fn new(x: &'a [[f64; 2]], y: &'a [f64], beta: f64, blocks: &'a [RestrictedBlock]) -> Self {
        let mut facets = Vec::new();
        let mut facet_range = Vec::with_capacity(blocks.len());
        for (bi, b) in blocks.iter().enumerate() {
            let start = facets.len();
            for &(j, e) in &b.cone {
                facets.push(Facet {
                    block: bi,
                    a: Vector3::new(e * x[j][0], e * x[j][1], e),
                });
            }
            facet_range.push((start, facets.len()));
        }
        let (w, m) = (blocks.len(), facets.len());
        // Start: every cone's identity, scaled to the problem's sizes (β is the SOC multiplier's
        // first component at every dual-feasible point).
        Self {
            x,
            y,
            beta,
            blocks,
            facets,
            facet_range,
            u: vec![Vector3::zeros(); w],
            t: vec![1.0; w],
            s_soc: vec![Vector4::new(1.0, 0.0, 0.0, 0.0); w],
            z_soc: vec![Vector4::new(beta, 0.0, 0.0, 0.0); w],
            s_lp: vec![1.0; m],
            z_lp: vec![beta; m],
            soc: Vec::new(),
            w_lp: vec![0.0; m],
            lambda_lp: vec![0.0; m],
            kinv: vec![Matrix4::zeros(); w],
            h: vec![Matrix4::zeros(); w],
            l: DMatrix::zeros(x.len(), 3 * w),
        }
    }

    fn xt(&self, j: usize) -> Vector3<f64> {
        Vector3::new(self.x[j][0], self.x[j][1], 1.0)
    }

    /// `M u = Σ_b s_b D_b X̃ u_b`.
    fn predict(&self, u: &[Vector3<f64>]) -> Vec<f64> {
        let mut out = vec![0.0; self.x.len()];
        for (b, ub) in self.blocks.iter().zip(u) {
            let v = *ub * b.sign;
            for &j in &b.on {
                out[j] += self.x[j][0] * v[0] + self.x[j][1] * v[1] + v[2];
            }
        }
        out
    }

    /// `M_bᵀ r` per block.
    fn correlate(&self, r: &[f64]) -> Vec<Vector3<f64>> {
        self.blocks
            .iter()
            .map(|b| {
                let mut g = Vector3::zeros();
                for &j in &b.on {
                    g += self.xt(j) * r[j];
                }
                g * b.sign
            })
            .collect()
    }

    fn objective(&self) -> f64 {
        let yhat = self.predict(&self.u);
        0.5 * yhat
            .iter()
            .zip(self.y)
            .map(|(p, y)| (p - y) * (p - y))
            .sum::<f64>()
            + self.beta * self.t.iter().sum::<f64>()
    }

    /// Dual residual `Px + q − Gᵀz` (u parts, t parts) and primal residual `Gx − s`.
    fn residuals(&self) -> Residuals {
        let yhat = self.predict(&self.u);
        let res: Vec<f64> = yhat.iter().zip(self.y).map(|(p, y)| p - y).collect();
        let mut rd_u = self.correlate(&res);
        let mut rd_t = vec![0.0; self.blocks.len()];
        for b in 0..self.blocks.len() {
            let z = &self.z_soc[b];
            rd_u[b] -= Vector3::new(z[1], z[2], z[3]);
            rd_t[b] = self.beta - z[0];
        }
        for (f, fc) in self.facets.iter().enumerate() {
            rd_u[fc.block] -= fc.a * self.z_lp[f];
        }
        let rp_soc = (0..self.blocks.len())
            .map(|b| {
                let u = self.u[b];
                Vector4::new(self.t[b], u[0], u[1], u[2]) - self.s_soc[b]
            })
            .collect();
        let rp_lp = self
            .facets
            .iter()
            .enumerate()
            .map(|(f, fc)| fc.a.dot(&self.u[fc.block]) - self.s_lp[f])
            .collect();
        (rd_u, rd_t, rp_soc, rp_lp)
    }

    /// Scalings, `H`, `H⁻¹`; returns the Cholesky factor of `S = I + L Lᵀ`.
    fn factor(&mut self) -> Option<Chol> {
        let wn = self.blocks.len();
        self.soc.clear();
        for b in 0..wn {
            self.soc
                .push(SocScaling::new(&self.s_soc[b], &self.z_soc[b])?);
        }
        for f in 0..self.facets.len() {
            let (s, z) = (self.s_lp[f], self.z_lp[f]);
            if !(s > 0.0 && z > 0.0) {
                return None;
            }
            self.w_lp[f] = (s / z).sqrt();
            self.lambda_lp[f] = (s * z).sqrt();
        }
        let n = self.x.len();
        for b in 0..wn {
            let (w, wi) = (self.soc[b].w, self.soc[b].winv);
            // H = W⁻² + Σ_f d_f ã_f ã_fᵀ (ã_f = (0, a_f)) and its inverse in the well-conditioned
            // form H⁻¹ = W (I + Σ_f d_f (Wã_f)(Wã_f)ᵀ)⁻¹ W = C₄C₄ᵀ, C₄ = W R⁻ᵀ with R the
            // Cholesky factor of the middle matrix (≥ I): no factorization of H itself, whose
            // condition grows like 1/μ².
            let mut h = wi * wi;
            let mut mid = Matrix4::<f64>::identity();
            let (f0, f1) = self.facet_range[b];
            for f in f0..f1 {
                let a = self.facets[f].a;
                let d = self.z_lp[f] / self.s_lp[f];
                let at = Vector4::new(0.0, a[0], a[1], a[2]);
                h += at * at.transpose() * d;
                let wa = w * at;
                mid += wa * wa.transpose() * d;
            }
            let r = mid.cholesky()?.l();
            let rinv = r.try_inverse()?;
            let c4 = w * rinv.transpose();
            self.h[b] = h;
            self.kinv[b] = c4 * c4.transpose();
            // K_uu = C₄ᵤC₄ᵤᵀ = R₃ᵀR₃ (QR of C₄ᵤᵀ): its factor C = R₃ᵀ without a Cholesky of the
            // possibly near-singular K_uu.
            let c4u: nalgebra::Matrix3x4<f64> = c4.fixed_rows::<3>(1).into_owned();
            let c = c4u.transpose().qr().r().transpose();
            // L[:, 3b..3b+3] = s_b D_b X̃ C_b (the sign squares away in L Lᵀ).
            for col in 0..3 {
                let mut lc = self.l.column_mut(3 * b + col);
                lc.fill(0.0);
                let cc = c.column(col);
                for &j in &self.blocks[b].on {
                    lc[j] = self.x[j][0] * cc[0] + self.x[j][1] * cc[1] + cc[2];
                }
            }
        }
        let mut s = DMatrix::<f64>::zeros(n, n);
        lower_product(s.as_mut_slice(), n, (0, 0), &self.l, 1.0, 0.0);
        for j in 0..n {
            s[(j, j)] += 1.0;
        }
        cholesky_blocked(s)
    }

    /// Solves `(H + MᵀM) Δ = r` for `Δ = (Δt_b, Δu_b)` blocks, with iterative refinement.
    fn solve_x(&self, chol: &Chol, r: &[Vector4<f64>]) -> Vec<Vector4<f64>> {
        // Conjugate gradients on (H + MᵀM) preconditioned by the Woodbury solve: as exact as the
        // solve while μ is large, and still convergent where rounding spoils the solve alone.
        let dot = |a: &[Vector4<f64>], b: &[Vector4<f64>]| -> f64 {
            a.iter().zip(b).map(|(a, b)| a.dot(b)).sum()
        };
        let amax = |a: &[Vector4<f64>]| a.iter().map(|v| v.amax()).fold(0.0, f64::max);
        let rr = amax(r);
        let mut x = self.solve_once(chol, r);
        let ax = self.apply(&x);
        let mut res: Vec<Vector4<f64>> = r.iter().zip(&ax).map(|(a, b)| a - b).collect();
        let mut best = (amax(&res), x.clone());
        let mut z = self.solve_once(chol, &res);
        let mut p = z.clone();
        let mut rz = dot(&res, &z);
        for _ in 0..MAX_REFINE {
            if best.0 <= 1e-14 * rr || rz.is_nan() || rz <= 0.0 {
                break;
            }
            let ap = self.apply(&p);
            let pap = dot(&p, &ap);
            if pap.is_nan() || pap <= 0.0 {
                break;
            }
            let alpha = rz / pap;
            for i in 0..x.len() {
                x[i] += p[i] * alpha;
                res[i] -= ap[i] * alpha;
            }
            let rn = amax(&res);
            if rn < best.0 {
                best = (rn, x.clone());
            }
            z = self.solve_once(chol, &res);
            let rz_new = dot(&res, &z);
            let beta = rz_new / rz;
            rz = rz_new;
            for i in 0..p.len() {
                p[i] = z[i] + p[i] * beta;
            }
        }
        best.1
    }

    fn solve_once(&self, chol: &Chol, r: &[Vector4<f64>]) -> Vec<Vector4<f64>> {
        let a: Vec<Vector4<f64>> = self.kinv.iter().zip(r).map(|(k, r)| k * r).collect();
        let au: Vec<Vector3<f64>> = a.iter().map(|v| Vector3::new(v[1], v[2], v[3])).collect();
        let b = DVector::from_vec(self.predict(&au));
        let w = chol.solve(&b);
        let g = self.correlate(w.as_slice());
        a.iter()
            .zip(&self.kinv)
            .zip(&g)
            .map(|((a, k), g)| a - k * Vector4::new(0.0, g[0], g[1], g[2]))
            .collect()
    }

    /// `(H + MᵀM) Δ`.
    fn apply(&self, dx: &[Vector4<f64>]) -> Vec<Vector4<f64>> {
        let du: Vec<Vector3<f64>> = dx.iter().map(|v| Vector3::new(v[1], v[2], v[3])).collect();
        let p = self.predict(&du);
        let g = self.correlate(&p);
        dx.iter()
            .zip(&self.h)
            .zip(&g)
            .map(|((d, h), g)| h * d + Vector4::new(0.0, g[0], g[1], g[2]))
            .collect()
    }

    /// The Newton direction for the scaled complementarity right-hand side: `ξ = λ⁻¹ ∘ r_c`
    /// given per cone.
    fn direction(
        &self,
        chol: &Chol,
        resid: &Residuals,
        xi_soc: &[Vector4<f64>],
        xi_lp: &[f64],
    ) -> Dir {
        let (rd_u, rd_t, rp_soc, rp_lp) = resid;
        let wn = self.blocks.len();
        // v = W⁻¹ξ − W⁻² r_p per cone; rhs = −r_d + Gᵀ v.
        let v_soc: Vec<Vector4<f64>> = (0..wn)
            .map(|b| {
                let wi = &self.soc[b].winv;
                wi * xi_soc[b] - wi * (wi * rp_soc[b])
            })
            .collect();
        let v_lp: Vec<f64> = (0..self.facets.len())
            .map(|f| {
                let w = self.w_lp[f];
                xi_lp[f] / w - rp_lp[f] / (w * w)
            })
            .collect();
        let mut rhs: Vec<Vector4<f64>> = (0..wn)
            .map(|b| Vector4::new(-rd_t[b], -rd_u[b][0], -rd_u[b][1], -rd_u[b][2]) + v_soc[b])
            .collect();
        for (f, fc) in self.facets.iter().enumerate() {
            let add = fc.a * v_lp[f];
            for r in 0..3 {
                rhs[fc.block][r + 1] += add[r];
            }
        }
        let dx = self.solve_x(chol, &rhs);
        let du: Vec<Vector3<f64>> = dx.iter().map(|v| Vector3::new(v[1], v[2], v[3])).collect();
        let dt: Vec<f64> = dx.iter().map(|v| v[0]).collect();
        // Δs = r_p + GΔx (the primal residual then falls exactly with the step) and
        // Δz = W⁻¹(ξ − W⁻¹Δs).
        let mut dz_soc = Vec::with_capacity(wn);
        let mut ds_soc = Vec::with_capacity(wn);
        for b in 0..wn {
            let sc = &self.soc[b];
            let ds = rp_soc[b] + dx[b];
            dz_soc.push(sc.winv * (xi_soc[b] - sc.winv * ds));
            ds_soc.push(ds);
        }
        let mut dz_lp = Vec::with_capacity(self.facets.len());
        let mut ds_lp = Vec::with_capacity(self.facets.len());
        for (f, fc) in self.facets.iter().enumerate() {
            let w = self.w_lp[f];
            let ds = rp_lp[f] + fc.a.dot(&du[fc.block]);
            dz_lp.push((xi_lp[f] - ds / w) / w);
            ds_lp.push(ds);
        }
        Dir {
            du,
            dt,
            ds_soc,
            dz_soc,
            ds_lp,
            dz_lp,
        }
    }

    fn max_step(&self, d: &Dir) -> f64 {
        let mut a: f64 = 1.0 / STEP_FRACTION;
        for b in 0..self.blocks.len() {
            a = soc_step(&self.s_soc[b], &d.ds_soc[b], a);
            a = soc_step(&self.z_soc[b], &d.dz_soc[b], a);
        }
        for f in 0..self.facets.len() {
            if d.ds_lp[f] < 0.0 {
                a = a.min(-self.s_lp[f] / d.ds_lp[f]);
            }
            if d.dz_lp[f] < 0.0 {
                a = a.min(-self.z_lp[f] / d.dz_lp[f]);
            }
        }
        a
    }

    fn gap_after(&self, d: &Dir, a: f64) -> f64 {
        let mut g = 0.0;
        for b in 0..self.blocks.len() {
            g += (self.s_soc[b] + d.ds_soc[b] * a).dot(&(self.z_soc[b] + d.dz_soc[b] * a));
        }
        for f in 0..self.facets.len() {
            g += (self.s_lp[f] + a * d.ds_lp[f]) * (self.z_lp[f] + a * d.dz_lp[f]);
        }
        g
    }

    fn gap(&self) -> f64 {
        let g: f64 = self
            .s_soc
            .iter()
            .zip(&self.z_soc)
            .map(|(s, z)| s.dot(z))
            .sum();
        g + self
            .s_lp
            .iter()
            .zip(&self.z_lp)
            .map(|(s, z)| s * z)
            .sum::<f64>()
    }
}

/// `C ← α A Aᵀ + β C` on the lower triangle of the `size × size` block `C` at `(row0, col0)`
/// of the column-major matrix `data` (leading dimension `ld`), `A` being `size × k`: dense
/// products column chunk by column chunk (each a contiguous slice of `data`), the transpose a
/// strided view; on two threads when the product is large (the chunks alternate in a snake so
/// the triangle's work splits evenly).
fn lower_product(
    data: &mut [f64],
    ld: usize,
    (row0, col0): (usize, usize),
    a: &DMatrix<f64>,
    alpha: f64,
    beta: f64,
) {
    let (size, k) = a.shape();
    if size == 0 {
        return;
    }
    let chunk_product = |j0: usize, cols: &mut [f64]| {
        let j1 = (j0 + CHUNK).min(size);
        let at = nalgebra::DMatrixView::from_slice_with_strides(
            &a.as_slice()[j0..],
            k,
            j1 - j0,
            size,
            1,
        );
        let rows = a.view((j0, 0), (size - j0, k));
        let mut c = nalgebra::DMatrixViewMut::from_slice_with_strides_mut(
            &mut cols[row0 + j0..],
            size - j0,
            j1 - j0,
            1,
            ld,
        );
        c.gemm(alpha, &rows, &at, beta);
    };
    let chunks: Vec<(usize, &mut [f64])> = data[col0 * ld..(col0 + size) * ld]
        .chunks_mut(CHUNK * ld)
        .enumerate()
        .map(|(i, c)| (i * CHUNK, c))
        .collect();
    if (size * size * k) < PARALLEL_FROM {
        for (j0, c) in chunks {
            chunk_product(j0, c);
        }
        return;
    }
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for (i, c) in chunks.into_iter().enumerate() {
        if i % 4 == 0 || i % 4 == 3 {
            mine.push(c);
        } else {
            theirs.push(c);
        }
    }
    std::thread::scope(|sc| {
        sc.spawn(|| {
            for (j0, c) in theirs {
                chunk_product(j0, c);
            }
        });
        for (j0, c) in mine {
            chunk_product(j0, c);
        }
    });
}

/// Size (`n² k` multiply-adds) from which [`lower_product`] runs on two threads.
const PARALLEL_FROM: usize = 20_000_000;

/// Columns per panel of [`cholesky_blocked`].
const PANEL: usize = 96;

/// Cholesky factorization of a symmetric positive definite matrix given by its lower triangle,
/// right-looking by panels: the trailing updates are dense products ([`lower_product`]), several
/// times faster than the column-by-column method at n ≈ 1000. `None` if not positive definite.
fn cholesky_blocked(mut m: DMatrix<f64>) -> Option<nalgebra::Cholesky<f64, nalgebra::Dyn>> {
    let n = m.nrows();
    let mut k = 0;
    while k < n {
        let b = PANEL.min(n - k);
        let l11 = m.view((k, k), (b, b)).clone_owned().cholesky()?.unpack();
        m.view_mut((k, k), (b, b)).copy_from(&l11);
        let rest = n - k - b;
        if rest > 0 {
            // X = A₂₁ L₁₁⁻ᵀ, i.e. L₁₁ Xᵀ = A₂₁ᵀ; then A₂₂ ← A₂₂ − X Xᵀ.
            let mut xt = m.view((k + b, k), (rest, b)).transpose();
            if !l11.solve_lower_triangular_mut(&mut xt) {
                return None;
            }
            let x = xt.transpose();
            m.view_mut((k + b, k), (rest, b)).copy_from(&x);
            lower_product(m.as_mut_slice(), n, (k + b, k + b), &x, -1.0, 1.0);
        }
        k += b;
    }
    Some(nalgebra::Cholesky::pack_dirty(m))
}

/// Relative accuracy accepted from an iterate where the method can go no further (rounding in
/// the Newton solves), or ten times the requested one if looser: a candidate the caller
/// certifies, whose accuracy it is told.
const STALL_ACCEPT: f64 = 1e-6;

/// Solves the restricted program (squared loss) to relative accuracy `tol` (duality gap and
/// residuals, relative to the objective, the iterate and the data); returns the solution and the
/// accuracy reached, which exceeds `tol` only where rounding stopped the method first (at most
/// 1e-6, or `10·tol`). An error where the method fails before that (the caller falls back to the general
/// solver).
pub(crate) fn solve(
    x: &[[f64; 2]],
    y: &[f64],
    beta: f64,
    blocks: &[RestrictedBlock],
    tol: f64,
) -> Result<(PolishResult, f64)> {
    let mut best: Option<(PolishResult, f64)> = None;
    // A loose request is met by a stalled iterate within ten times its tolerance.
    let accept = STALL_ACCEPT.max(10.0 * tol);
    let fail = |what: &str, best: Option<(PolishResult, f64)>| match best {
        Some(b) if b.1 <= accept => Ok(b),
        _ => Err(Error::Numerical(format!("dense interior point: {what}"))),
    };
    if blocks.is_empty() {
        return fail("no blocks", best);
    }
    let mut ip = Ip::new(x, y, beta, blocks);
    let nu = (blocks.len() + ip.facets.len()) as f64;
    let scale_d = 1.0 + beta + y.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let mut short_steps = 0;
    for it in 0..MAX_ITER {
        let resid = ip.residuals();
        let gap = ip.gap();
        let obj = ip.objective();
        let pres = resid
            .2
            .iter()
            .map(|v| v.amax())
            .chain(resid.3.iter().map(|v| v.abs()))
            .fold(0.0, f64::max);
        let xs = ip.t.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
        let dres = resid
            .0
            .iter()
            .map(|v| v.amax())
            .chain(resid.1.iter().map(|v| v.abs()))
            .fold(0.0, f64::max);
        let q = (gap / obj.abs().max(1.0))
            .max(pres / xs)
            .max(dres / scale_d);
        if !q.is_finite() {
            return fail("non-finite iterate", best);
        }
        if best.as_ref().is_none_or(|b| q < b.1) {
            let yhat = ip.predict(&ip.u);
            let r = PolishResult {
                values: ip.u.iter().map(|u| [u[0], u[1], u[2]]).collect(),
                dual: y.iter().zip(&yhat).map(|(y, p)| y - p).collect(),
                iterations: it as u32,
            };
            best = Some((r, q));
        }
        if q <= tol
            && let Some(b) = best.take()
        {
            return Ok(b);
        }
        // Rounding has taken over (the residuals grow again): the best iterate is the answer.
        if let Some(b) = &best
            && b.1 <= accept
            && q > 10.0 * b.1
        {
            return fail("rounding", best);
        }
        let Some(chol) = ip.factor() else {
            return fail("factorization failed", best);
        };
        let mu = gap / nu;
        // Predictor: ξ = −λ.
        let xi_soc: Vec<Vector4<f64>> = ip.soc.iter().map(|s| -s.lambda).collect();
        let xi_lp: Vec<f64> = ip.lambda_lp.iter().map(|l| -l).collect();
        let da = ip.direction(&chol, &resid, &xi_soc, &xi_lp);
        let aa = ip.max_step(&da).min(1.0);
        let sigma = (ip.gap_after(&da, aa) / gap).clamp(0.0, 1.0).powi(3);
        // Corrector: r_c = −λ∘λ + σμe − (W⁻¹Δs_a)∘(WΔz_a).
        let mut xi_soc = Vec::with_capacity(ip.blocks.len());
        for b in 0..ip.blocks.len() {
            let sc = &ip.soc[b];
            let l = sc.lambda;
            let corr = soc_prod(&(sc.winv * da.ds_soc[b]), &(sc.w * da.dz_soc[b]));
            let rc = -soc_prod(&l, &l) + Vector4::new(sigma * mu, 0.0, 0.0, 0.0) - corr;
            xi_soc.push(soc_div(&l, &rc));
        }
        let xi_lp: Vec<f64> = (0..ip.facets.len())
            .map(|f| {
                let (l, w) = (ip.lambda_lp[f], ip.w_lp[f]);
                let corr = (da.ds_lp[f] / w) * (da.dz_lp[f] * w);
                (-l * l + sigma * mu - corr) / l
            })
            .collect();
        let d = ip.direction(&chol, &resid, &xi_soc, &xi_lp);
        let a = (STEP_FRACTION * ip.max_step(&d)).min(1.0);
        if a.is_nan() || a < 1e-3 {
            short_steps += 1;
            if a.is_nan() || a <= 1e-12 || short_steps >= 3 {
                return fail("step length vanished", best);
            }
        }
        for b in 0..ip.blocks.len() {
            ip.u[b] += d.du[b] * a;
            ip.t[b] += d.dt[b] * a;
            ip.s_soc[b] += d.ds_soc[b] * a;
            ip.z_soc[b] += d.dz_soc[b] * a;
        }
        for f in 0..ip.facets.len() {
            ip.s_lp[f] += a * d.ds_lp[f];
            ip.z_lp[f] += a * d.dz_lp[f];
        }
    }
    fail("iteration limit", best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Loss;
    use crate::solve::polish::polish_blocks_to;

    /// The dense method and Clarabel on the same restricted program: equal optima, and the
    /// dense solution inside every block's cone.
    #[test]
    fn the_dense_interior_point_agrees_with_clarabel() {
        let n = 40;
        let x: Vec<[f64; 2]> = (0..n)
            .map(|j| {
                let t = j as f64 * 0.37;
                [t.cos() * (1.0 + 0.1 * j as f64), (1.7 * t).sin()]
            })
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|j| if (j * 7) % 5 < 2 { 1.0 } else { -1.0 })
            .collect();
        // 30 regions (and both signs), with the irredundant facets of their cones, as the
        // working set passes them; and the same with every row of every cone (the same feasible
        // set, but degenerate: the dense method may stop short and leave it to Clarabel).
        let mut set = crate::geometry::PatternSet::new(n);
        for k in 0..30 {
            let a = k as f64 * 0.61;
            let u = [a.cos(), a.sin(), 0.3 * (k as f64 * 1.3).sin()];
            set.insert(crate::geometry::pattern_of(&x, &u), u);
        }
        let facets = crate::geometry::facets(&x, &set);
        let block = |i: usize, sign: f64, all_rows: bool| {
            let pattern = set.pattern(i);
            let e = |j: usize| if pattern.get(j) { 1.0 } else { -1.0 };
            RestrictedBlock {
                sign,
                on: (0..n).filter(|&j| pattern.get(j)).collect(),
                cone: if all_rows {
                    (0..n).map(|j| (j, e(j))).collect()
                } else {
                    facets[i].iter().map(|&j| (j, e(j))).collect()
                },
            }
        };
        let with = |all_rows: bool| -> Vec<RestrictedBlock> {
            (0..set.len())
                .flat_map(|i| [block(i, 1.0, all_rows), block(i, -1.0, all_rows)])
                .collect()
        };
        let (blocks, all_rows) = (with(false), with(true));
        assert!(set.len() >= 20);
        for beta in [0.01, 0.1, 1.0] {
            let (dense, acc) = solve(&x, &y, beta, &blocks, 1e-9).expect("dense solve");
            assert!(acc <= 1e-6, "accuracy {acc}");

            let clarabel =
                polish_blocks_to(&x, &y, Loss::Squared, beta, &blocks, 1e-10).expect("clarabel");
            let objective = |v: &[[f64; 3]]| {
                let mut yhat = vec![0.0; n];
                for (b, u) in blocks.iter().zip(v) {
                    for &j in &b.on {
                        yhat[j] += b.sign * (x[j][0] * u[0] + x[j][1] * u[1] + u[2]);
                    }
                }
                let fit: f64 = yhat
                    .iter()
                    .zip(&y)
                    .map(|(p, t)| 0.5 * (p - t) * (p - t))
                    .sum();
                fit + beta
                    * v.iter()
                        .map(|u| Vector3::new(u[0], u[1], u[2]).norm())
                        .sum::<f64>()
            };
            let (a, b) = (objective(&dense.values), objective(&clarabel.values));
            assert!(
                (a - b).abs() <= 1e-6 * b.max(1.0),
                "β = {beta}: dense {a}, clarabel {b}"
            );
            // Same blocks, same feasible set: an answer must be the same optimum.
            if let Ok((d, acc)) = solve(&x, &y, beta, &all_rows, 1e-9) {
                assert!(acc <= 1e-6);
                let c = objective(&d.values);
                assert!(
                    (c - b).abs() <= 1e-6 * b.max(1.0),
                    "β = {beta}: all rows {c}, {b}"
                );
            }
            // Inside the cones up to the method's accuracy (the values are O(1)).
            for (blk, u) in blocks.iter().zip(&dense.values) {
                for &(j, e) in &blk.cone {
                    let side = e * (x[j][0] * u[0] + x[j][1] * u[1] + u[2]);
                    assert!(side >= -1e-7, "β = {beta}: cone row {j} {side}");
                }
            }
            // The returned dual is the residual y − ŷ of the returned values (what pricing reads).
            let mut yhat = vec![0.0; n];
            for (b, u) in blocks.iter().zip(&dense.values) {
                for &j in &b.on {
                    yhat[j] += b.sign * (x[j][0] * u[0] + x[j][1] * u[1] + u[2]);
                }
            }
            for j in 0..n {
                assert!((dense.dual[j] - (y[j] - yhat[j])).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn the_blocked_cholesky_factors() {
        // Sizes around the panel and chunk widths; L Lᵀ must give back the matrix.
        // The largest also runs the two-thread path.
        for n in [5, PANEL, PANEL + 1, 2 * CHUNK + 37, 700] {
            let a = DMatrix::from_fn(n, n + 3, |i, j| {
                ((i * 31 + j * 17) % 23) as f64 / 23.0 - 0.4
            });
            let m = &a * a.transpose() + DMatrix::identity(n, n);
            let l = cholesky_blocked(m.clone()).expect("positive definite").l();
            assert!(
                (&l * l.transpose() - &m).amax() < 1e-10 * m.amax(),
                "n = {n}"
            );
            let mut lower = DMatrix::zeros(n, n);
            lower_product(lower.as_mut_slice(), n, (0, 0), &a, 1.0, 0.0);
            let full = &a * a.transpose();
            for j in 0..n {
                for i in j..n {
                    assert!((lower[(i, j)] - full[(i, j)]).abs() < 1e-12 * n as f64);
                }
            }
        }
        let mut indefinite = DMatrix::<f64>::identity(3, 3);
        indefinite[(2, 2)] = -1.0;
        assert!(cholesky_blocked(indefinite).is_none());
    }

    #[test]
    fn the_cone_scaling_is_nesterov_todd() {
        let s = Vector4::new(2.0, 0.3, -1.1, 0.5);
        let z = Vector4::new(0.7, -0.2, 0.1, 0.4);
        let sc = SocScaling::new(&s, &z).expect("interior");
        assert!((sc.w * sc.winv - Matrix4::identity()).amax() < 1e-12);
        assert!((sc.w * z - sc.winv * s).amax() < 1e-12);
        assert!((sc.w - sc.w.transpose()).amax() < 1e-12);
        let r = Vector4::new(0.3, 0.1, 0.2, -0.4);
        assert!((soc_prod(&sc.lambda, &soc_div(&sc.lambda, &r)) - r).amax() < 1e-12);
    }
}
