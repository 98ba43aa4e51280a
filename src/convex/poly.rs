//! The polynomial-activation SDP of docs/math.md#poly-sdp, one output at a time (docs/math.md#poly-vector-outputs: vector
//! outputs decouple into one `(Z₊, Z₋)` pair per output).
//!
//! ```text
//! min_{Z₊, Z₋ ⪰ 0}  L(ŷ, y) + β (Z₄₊ + Z₄₋)   s.t.  tr Z₁± = Z₄±,   ŷ_j = ⟨M(x̃_j), Z₊ − Z₋⟩
//! ```
//!
//! Symmetric 4×4 matrices are handled as `svec` 10-vectors (diagonal first, then the
//! off-diagonals `(0,1),(0,2),(0,3),(1,2),(1,3),(2,3)` times √2), so `⟨A, B⟩ = svec A · svec B`.

use nalgebra::{Matrix4, SymmetricEigen};

use crate::certify::Bounds;
use crate::certify::poly::certify_poly;
use crate::decompose::poly::{Step, decompose, make_balanced, neurons};
use crate::error::{Error, Result};
use crate::model::{Loss, PolyActivation, PolyNetwork};

/// A symmetric 4×4 matrix as a 10-vector.
pub type Svec = [f64; 10];

const OFF: [(usize, usize); 6] = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];

/// `svec(A)`.
pub fn svec(m: &Matrix4<f64>) -> Svec {
    let mut s = [0.0; 10];
    for i in 0..4 {
        s[i] = m[(i, i)];
    }
    for (k, &(i, j)) in OFF.iter().enumerate() {
        s[4 + k] = std::f64::consts::SQRT_2 * 0.5 * (m[(i, j)] + m[(j, i)]);
    }
    s
}

/// The inverse of [`svec`].
pub fn smat(s: &[f64]) -> Matrix4<f64> {
    let mut m = Matrix4::zeros();
    for i in 0..4 {
        m[(i, i)] = s[i];
    }
    for (k, &(i, j)) in OFF.iter().enumerate() {
        let v = s[4 + k] / std::f64::consts::SQRT_2;
        m[(i, j)] = v;
        m[(j, i)] = v;
    }
    m
}

/// Projection onto the PSD cone (clip negative eigenvalues).
pub fn project_psd(m: &Matrix4<f64>) -> Matrix4<f64> {
    let eig = SymmetricEigen::new((m + m.transpose()) * 0.5);
    let mut out = Matrix4::zeros();
    for i in 0..4 {
        let l = eig.eigenvalues[i];
        if l > 0.0 {
            let q = eig.eigenvectors.column(i);
            out += q * q.transpose() * l;
        }
    }
    out
}

/// Eigenvalues of a symmetric 4×4 matrix, largest first.
pub fn sorted_eigenvalues(m: &Matrix4<f64>) -> [f64; 4] {
    let mut e: Vec<f64> = SymmetricEigen::new((m + m.transpose()) * 0.5)
        .eigenvalues
        .iter()
        .copied()
        .collect();
    e.sort_by(|a, b| b.total_cmp(a));
    [e[0], e[1], e[2], e[3]]
}

/// `svec(G)`, `G = diag(1, 1, 1, −1)`: `c_G · svec Z = tr Z₁ − Z₄`.
pub const C_G: Svec = [1.0, 1.0, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
/// `svec(E₄₄)`: `e₄ · svec Z = Z₄`.
pub const E_4: Svec = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];

/// A Neural Decomposition with its record: the network, the balanced `[Z₊, Z₋]` and the steps
/// of each.
pub type Decomposition = (PolyNetwork, [Matrix4<f64>; 2], [Vec<Step>; 2]);

/// One scalar-output instance of the SDP.
#[derive(Debug, Clone)]
pub struct PolyProblem {
    /// Inputs (augmented with 1 inside the lifting, docs/math.md#conventions).
    pub x: Vec<[f64; 2]>,
    /// Targets (`±1` for logistic/hinge).
    pub y: Vec<f64>,
    /// Loss (sum over samples).
    pub loss: Loss,
    /// Regularisation strength `β > 0` of `β Σ|α_k|`.
    pub beta: f64,
    /// The activation `σ(t) = a t² + b t + c`.
    pub activation: PolyActivation,
    /// Rows `svec(M(x̃_j))`.
    pub lifted: Vec<Svec>,
}

impl PolyProblem {
    /// Validates and lifts the data.
    pub fn new(
        x: Vec<[f64; 2]>,
        y: Vec<f64>,
        loss: Loss,
        beta: f64,
        activation: PolyActivation,
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
        if x.iter().flatten().chain(&y).any(|v| !v.is_finite()) {
            return Err(Error::InvalidData("non-finite coordinate or target".into()));
        }
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "beta = {beta}: must be a positive finite number"
            )));
        }
        activation.validate()?;
        loss.check_targets(&y)?;
        let lifted = x.iter().map(|p| svec(&activation.lift(*p))).collect();
        Ok(Self {
            x,
            y,
            loss,
            beta,
            activation,
            lifted,
        })
    }

    /// Number of points.
    pub fn n(&self) -> usize {
        self.x.len()
    }

    /// The same problem with another β.
    pub fn with_beta(&self, beta: f64) -> Result<Self> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(Error::InvalidSetting(format!(
                "beta = {beta}: must be a positive finite number"
            )));
        }
        Ok(Self {
            beta,
            ..self.clone()
        })
    }

    /// `ŷ_j = ⟨M(x̃_j), Z₊ − Z₋⟩`.
    pub fn predictions(&self, zp: &Matrix4<f64>, zm: &Matrix4<f64>) -> Vec<f64> {
        let d = svec(&(zp - zm));
        self.lifted.iter().map(|a| dot10(a, &d)).collect()
    }

    /// The SDP objective at `(Z₊, Z₋)` (constraints not checked).
    pub fn sdp_objective(&self, zp: &Matrix4<f64>, zm: &Matrix4<f64>) -> f64 {
        self.loss.total(&self.predictions(zp, zm), &self.y) + self.beta * (zp[(3, 3)] + zm[(3, 3)])
    }

    /// Neural Decomposition (docs/math.md#neural-decomposition) of a PSD pair: balances each matrix, splits it into rank-one
    /// pieces and returns the network (`α = +s²` from `Z₊`, `−s²` from `Z₋`).
    pub fn decompose(&self, zp: &Matrix4<f64>, zm: &Matrix4<f64>) -> Result<PolyNetwork> {
        Ok(self.decompose_steps(zp, zm)?.0)
    }

    /// [`PolyProblem::decompose`] with its record: the balanced pair `[Z₊, Z₋]` and the steps
    /// of each.
    pub fn decompose_steps(&self, zp: &Matrix4<f64>, zm: &Matrix4<f64>) -> Result<Decomposition> {
        const TOL: f64 = 1e-12;
        let pair = [zp, zm].map(|z| make_balanced(&project_psd(z)));
        let steps = [decompose(&pair[0], TOL)?, decompose(&pair[1], TOL)?];
        let mut all = neurons(&steps[0], 1.0, pair[0][(3, 3)], TOL);
        all.extend(neurons(&steps[1], -1.0, pair[1][(3, 3)], TOL));
        let net = PolyNetwork {
            activation: self.activation,
            neurons: all,
        };
        Ok((net, pair, steps))
    }

    /// Certified bounds of any polynomial network on this problem (docs/math.md#poly-certificate).
    pub fn certify(&self, net: &PolyNetwork) -> Bounds {
        certify_poly(&self.x, &self.y, self.loss, self.beta, net)
    }

    /// The objective of (NC-poly) for a network with unit-norm neurons.
    pub fn network_objective(&self, net: &PolyNetwork) -> f64 {
        self.loss.total(&net.predict(&self.x), &self.y) + net.l1_penalty(self.beta)
    }
}

/// `a · b` for 10-vectors.
#[inline]
pub fn dot10(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// One-vs-rest targets for vector outputs (docs/math.md#poly-vector-outputs): output `c` gets `+1` where the label is `c`
/// and `−1` elsewhere.
pub fn one_vs_rest(labels: &[f64], classes: usize) -> Vec<Vec<f64>> {
    (0..classes)
        .map(|c| {
            labels
                .iter()
                .map(|&l| if l.round() as usize == c { 1.0 } else { -1.0 })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng, rngs::StdRng};

    #[test]
    fn svec_is_an_isometry_and_smat_inverts_it() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..50 {
            let a = Matrix4::from_fn(|_, _| rng.random_range(-1.0..1.0));
            let b = Matrix4::from_fn(|_, _| rng.random_range(-1.0..1.0));
            let (a, b) = (a + a.transpose(), b + b.transpose());
            let inner: f64 = a.component_mul(&b).sum();
            assert!((dot10(&svec(&a), &svec(&b)) - inner).abs() < 1e-12);
            assert!((smat(&svec(&a)) - a).norm() < 1e-14);
            let p = project_psd(&a);
            let e = SymmetricEigen::new(p).eigenvalues;
            assert!(e.iter().all(|&l| l > -1e-12));
            // Moreau: A = Π₊(A) − Π₊(−A).
            assert!((p - project_psd(&(-a)) - a).norm() < 1e-12);
        }
        assert_eq!(dot10(&C_G, &svec(&Matrix4::identity())), 2.0);
    }

    #[test]
    fn lifted_predictions_equal_the_network_of_the_decomposition() {
        let x: Vec<[f64; 2]> = (0..12)
            .map(|i| [(i as f64 * 0.7).sin(), (i as f64 * 1.3).cos()])
            .collect();
        let y: Vec<f64> = (0..12).map(|i| (i % 3) as f64 - 1.0).collect();
        let pr = PolyProblem::new(x, y, Loss::Squared, 0.1, PolyActivation::RELU_LIKE).unwrap();
        let mut rng = StdRng::seed_from_u64(5);
        let mut z = || {
            let mut m = Matrix4::zeros();
            for _ in 0..3 {
                let v = nalgebra::Vector4::from_fn(|_, _| rng.random_range(-1.0..1.0));
                m += v * v.transpose();
            }
            make_balanced(&m)
        };
        let (zp, zm) = (z(), z());
        let net = pr.decompose(&zp, &zm).unwrap();
        let a = pr.predictions(&zp, &zm);
        let b = net.predict(&pr.x);
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-9 * (1.0 + p.abs()), "{p} vs {q}");
        }
        let obj = pr.sdp_objective(&zp, &zm);
        assert!((obj - pr.network_objective(&net)).abs() < 1e-9 * obj);
    }
}
