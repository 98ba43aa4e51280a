//! The cheap u-update of ADMM (docs/math.md#woodbury): solve `(I_{2P} ⊗ B + FᵀF) u = r` with
//! `B = I₃ + XᵀX` by the Woodbury identity, never forming `F`, `G` or any `2dP × 2dP` matrix.
//!
//! `S = I_n + F A⁻¹ Fᵀ = I_n + 2 (H ∘ C)`, `H = X B⁻¹ Xᵀ`, `C = Dmat Dmatᵀ` (co-activation counts),
//! factored once. Each solve costs `≈ 2nPd + 3Pd² + n²` flops.

use nalgebra::{Cholesky, DMatrix, DVector, Dyn, Matrix3, Vector3};

use crate::error::{Error, Result};
use crate::geometry::PatternSet;

/// Precomputed factors of the u-system.
#[derive(Debug, Clone)]
pub struct Woodbury {
    n: usize,
    p: usize,
    binv: Matrix3<f64>,
    s_chol: Cholesky<f64, Dyn>,
    t: DVector<f64>,
    z: Vec<[f64; 3]>,
}

/// `0/1` pattern matrix stored pattern-major (`d[i*n + j]`) as bytes: branch-free inner loops
/// with an eighth of the memory traffic of `f64`.
pub fn dense_patterns(patterns: &PatternSet) -> Vec<u8> {
    let n = patterns.n();
    let mut d = vec![0u8; patterns.len() * n];
    for i in 0..patterns.len() {
        let pat = patterns.pattern(i);
        for j in 0..n {
            if pat.get(j) {
                d[i * n + j] = 1;
            }
        }
    }
    d
}

impl Woodbury {
    /// Factors `B` and `S` for augmented data `xt` and patterns `patterns`.
    pub fn new(xt: &[[f64; 3]], patterns: &PatternSet) -> Result<Self> {
        let n = xt.len();
        let p = patterns.len();
        let mut b = Matrix3::identity();
        for r in xt {
            let v = Vector3::new(r[0], r[1], r[2]);
            b += v * v.transpose();
        }
        let binv = b
            .try_inverse()
            .ok_or_else(|| Error::Numerical("I + XᵀX is singular".into()))?;
        // C_jl = number of patterns active on both j and l: popcounts of per-point columns.
        let words = p.div_ceil(64);
        let mut cols = vec![0u64; n * words];
        for i in 0..p {
            let pat = patterns.pattern(i);
            for j in 0..n {
                if pat.get(j) {
                    cols[j * words + i / 64] |= 1u64 << (i % 64);
                }
            }
        }
        let mut s = DMatrix::<f64>::identity(n, n);
        for j in 0..n {
            let xj = Vector3::new(xt[j][0], xt[j][1], xt[j][2]);
            let bx = binv * xj;
            for l in 0..=j {
                let cjl: u32 = (0..words)
                    .map(|w| (cols[j * words + w] & cols[l * words + w]).count_ones())
                    .sum();
                if cjl == 0 {
                    continue;
                }
                let h = xt[l][0] * bx[0] + xt[l][1] * bx[1] + xt[l][2] * bx[2];
                let val = 2.0 * h * cjl as f64;
                s[(j, l)] += val;
                if l != j {
                    s[(l, j)] += val;
                }
            }
        }
        let s_chol = Cholesky::new(s).ok_or_else(|| {
            Error::Numerical("Woodbury Schur complement not positive definite".into())
        })?;
        Ok(Self {
            n,
            p,
            binv,
            s_chol,
            t: DVector::zeros(n),
            z: vec![[0.0; 3]; 2 * p],
        })
    }

    #[inline]
    fn binv_mul(&self, r: &[f64; 3]) -> [f64; 3] {
        let m = &self.binv;
        [
            m[(0, 0)] * r[0] + m[(0, 1)] * r[1] + m[(0, 2)] * r[2],
            m[(1, 0)] * r[0] + m[(1, 1)] * r[1] + m[(1, 2)] * r[2],
            m[(2, 0)] * r[0] + m[(2, 1)] * r[1] + m[(2, 2)] * r[2],
        ]
    }

    /// Solves `(I_{2P} ⊗ B + FᵀF) u = r` (steps 1–5 of docs/math.md#woodbury). `d` is [`dense_patterns`].
    pub fn solve(&mut self, xt: &[[f64; 3]], d: &[u8], r: &[[f64; 3]], u: &mut [[f64; 3]]) {
        let (n, p) = (self.n, self.p);
        // 1. z_k = B⁻¹ r_k
        for k in 0..2 * p {
            self.z[k] = self.binv_mul(&r[k]);
        }
        // 2. q = F z
        self.t.fill(0.0);
        for i in 0..p {
            let (a, b) = (self.z[i], self.z[p + i]);
            let dz = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
            let di = &d[i * n..(i + 1) * n];
            for j in 0..n {
                self.t[j] +=
                    f64::from(di[j]) * (xt[j][0] * dz[0] + xt[j][1] * dz[1] + xt[j][2] * dz[2]);
            }
        }
        // 3. t = S⁻¹ q
        self.s_chol.solve_mut(&mut self.t);
        // 4–5. h_i = Xᵀ(d_i ∘ t); u = z ∓ B⁻¹ h_i
        for i in 0..p {
            let di = &d[i * n..(i + 1) * n];
            let mut h = [0.0; 3];
            for j in 0..n {
                let w = f64::from(di[j]) * self.t[j];
                h[0] += w * xt[j][0];
                h[1] += w * xt[j][1];
                h[2] += w * xt[j][2];
            }
            let bh = self.binv_mul(&h);
            let (a, b) = (self.z[i], self.z[p + i]);
            u[i] = [a[0] - bh[0], a[1] - bh[1], a[2] - bh[2]];
            u[p + i] = [b[0] + bh[0], b[1] + bh[1], b[2] + bh[2]];
        }
    }
}
