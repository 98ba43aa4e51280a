//! Neural Decomposition (docs/math.md#neural-decomposition): a lifted matrix `Z ⪰ 0` in S⁴ with
//! `tr Z₁ = Z₄` is split into rank-one pieces `y yᵀ` with `yᵀGy = 0`, `G = diag(1, 1, 1, −1)`;
//! each piece `y = (t, s)` is one unit-norm neuron `u = t/s` with weight `±s²`. Every rank-one
//! split is recorded as a [`Step`] so the app can show them one by one.

use nalgebra::{Matrix4, SymmetricEigen, Vector4};

use crate::error::{Error, Result};
use crate::model::PolyNeuron;
use crate::vec3::normalize3;

/// `yᵀGy = ‖y₁..₃‖² − y₄²`.
pub fn g_value(y: &Vector4<f64>) -> f64 {
    y[0] * y[0] + y[1] * y[1] + y[2] * y[2] - y[3] * y[3]
}

fn g_inner(p: &Vector4<f64>, q: &Vector4<f64>) -> f64 {
    p[0] * q[0] + p[1] * q[1] + p[2] * q[2] - p[3] * q[3]
}

/// One step of the decomposition.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A piece already had `yᵀGy ≈ 0` and was output as is.
    Balanced {
        /// The piece.
        y: Vector4<f64>,
    },
    /// Two pieces with `G`-values of opposite signs were rotated into a balanced output and a
    /// remainder: `y yᵀ + p′p′ᵀ = p₁p₁ᵀ + p_jp_jᵀ`.
    Rotated {
        /// First piece.
        p1: Vector4<f64>,
        /// Partner piece.
        pj: Vector4<f64>,
        /// The mixing coefficient α of docs/math.md#neural-decomposition.
        alpha: f64,
        /// The balanced output.
        y: Vector4<f64>,
        /// The remainder put back.
        rest: Vector4<f64>,
    },
    /// The last piece (balanced because the total `G`-value is 0).
    Last {
        /// The piece.
        y: Vector4<f64>,
    },
}

impl Step {
    /// The piece this step outputs.
    pub fn output(&self) -> &Vector4<f64> {
        match self {
            Step::Balanced { y } | Step::Rotated { y, .. } | Step::Last { y } => y,
        }
    }
}

/// Makes `Z` satisfy `tr Z₁ = Z₄` exactly while staying PSD and keeping its rank (docs/math.md#neural-decomposition
/// hygiene, done by a congruence): `Z ← D Z D` with `D = diag(t, t, t, 1)`,
/// `t = √(Z₄ / tr Z₁)`. (The spec's "add a multiple of I to Z₁" also balances, but raises the
/// rank, and the extra tiny eigen-directions come out as near-duplicate neurons.) When
/// `tr Z₁ = 0` it falls back to adding `Z₄/3 · I` to `Z₁`.
pub fn make_balanced(z: &Matrix4<f64>) -> Matrix4<f64> {
    let mut z = (z + z.transpose()) * 0.5;
    let tr = z[(0, 0)] + z[(1, 1)] + z[(2, 2)];
    let z4 = z[(3, 3)];
    if tr > 0.0 && z4 >= 0.0 {
        let t = (z4 / tr).sqrt();
        for i in 0..3 {
            for j in 0..3 {
                z[(i, j)] *= t * t;
            }
            z[(i, 3)] *= t;
            z[(3, i)] *= t;
        }
    } else if z4 > 0.0 {
        for i in 0..3 {
            z[(i, i)] += z4 / 3.0;
        }
    }
    z
}

/// Splits `Z` (PSD, `⟨G, Z⟩ ≈ 0`) into balanced rank-one pieces, recording every step.
/// Eigenvalues below `tol·λ_max` are dropped.
pub fn decompose(z: &Matrix4<f64>, tol: f64) -> Result<Vec<Step>> {
    if z.iter().any(|v| !v.is_finite()) {
        return Err(Error::Numerical(
            "the lifted matrix has non-finite entries".into(),
        ));
    }
    let sym = (z + z.transpose()) * 0.5;
    let eig = SymmetricEigen::new(sym);
    let lmax = eig.eigenvalues.iter().copied().fold(0.0, f64::max);
    if lmax <= 0.0 {
        return Ok(Vec::new());
    }
    let mut pieces: Vec<Vector4<f64>> = (0..4)
        .filter(|&i| eig.eigenvalues[i] > tol * lmax)
        .map(|i| eig.eigenvectors.column(i) * eig.eigenvalues[i].sqrt())
        .collect();
    let scale = lmax;
    let mut steps = Vec::new();
    while pieces.len() > 1 {
        let p1 = pieces[0];
        let g11 = g_value(&p1);
        if g11.abs() <= tol * p1.norm_squared().max(tol * scale) {
            steps.push(Step::Balanced { y: p1 });
            pieces.remove(0);
            continue;
        }
        let Some(j) = (1..pieces.len()).find(|&j| g11 * g_value(&pieces[j]) < 0.0) else {
            // No partner of opposite sign: ⟨G, Z⟩ is not 0 (beyond tolerance).
            return Err(Error::Numerical(format!(
                "Neural Decomposition: ⟨G, Z⟩ = {:.3e} is not zero (balance Z first)",
                pieces.iter().map(g_value).sum::<f64>()
            )));
        };
        let pj = pieces[j];
        let (g1j, gjj) = (g_inner(&p1, &pj), g_value(&pj));
        let disc = (4.0 * g1j * g1j - 4.0 * g11 * gjj).max(0.0);
        let alpha = (-2.0 * g1j + disc.sqrt()) / (2.0 * gjj);
        let norm = (1.0 + alpha * alpha).sqrt();
        let y = (p1 + pj * alpha) / norm;
        let rest = (pj - p1 * alpha) / norm;
        steps.push(Step::Rotated {
            p1,
            pj,
            alpha,
            y,
            rest,
        });
        pieces.remove(j);
        pieces.remove(0);
        pieces.push(rest);
    }
    if let Some(y) = pieces.pop() {
        steps.push(Step::Last { y });
    }
    Ok(steps)
}

/// Neurons from balanced pieces of `Z₊` (`sign = +1`) or `Z₋` (`sign = −1`): `u = t/s`,
/// `α = sign·s²`; pieces with `s² ≤ tol·Z₄` are numerical noise and dropped.
pub fn neurons(steps: &[Step], sign: f64, z4: f64, tol: f64) -> Vec<PolyNeuron> {
    steps
        .iter()
        .map(Step::output)
        .filter(|y| y[3] * y[3] > tol * z4.abs().max(f64::MIN_POSITIVE))
        .map(|y| {
            let s = y[3];
            let t = [y[0] / s, y[1] / s, y[2] / s];
            PolyNeuron {
                // Exactly unit norm (the piece is balanced up to rounding).
                u: normalize3(t),
                alpha: sign * s * s,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PolyActivation, PolyNetwork};
    use crate::vec3::norm3;
    use rand::{RngExt, SeedableRng, rngs::StdRng};

    fn random_balanced(rng: &mut StdRng, rank: usize) -> Matrix4<f64> {
        let mut z = Matrix4::zeros();
        for _ in 0..rank {
            let v = Vector4::from_fn(|_, _| rng.random_range(-1.0..1.0));
            z += v * v.transpose();
        }
        make_balanced(&z)
    }

    #[test]
    fn decomposition_reconstructs_balanced_psd_matrices() {
        let mut rng = StdRng::seed_from_u64(7);
        for trial in 0..300 {
            let z = random_balanced(&mut rng, 1 + trial % 4);
            assert!(SymmetricEigen::new(z).eigenvalues.min() > -1e-12);
            let steps = decompose(&z, 1e-13).unwrap();
            let mut sum = Matrix4::zeros();
            for s in &steps {
                let y = s.output();
                sum += y * y.transpose();
                assert!(
                    g_value(y).abs() <= 1e-9 * y.norm_squared().max(1e-12),
                    "{trial}"
                );
            }
            let err = (sum - z).norm() / z.norm();
            assert!(err <= 1e-9, "trial {trial}: reconstruction error {err:e}");
            let ns = neurons(&steps, 1.0, z[(3, 3)], 1e-12);
            for n in &ns {
                assert!((norm3(&n.u) - 1.0).abs() < 1e-12);
            }
            let total: f64 = ns.iter().map(|n| n.alpha).sum();
            assert!(
                (total - z[(3, 3)]).abs() <= 1e-9 * z[(3, 3)].max(1.0),
                "Σα = {total}, Z4 = {}",
                z[(3, 3)]
            );
            // The decomposed network reproduces the lifted predictions ⟨M(x̃), Z⟩.
            for act in [
                PolyActivation::RELU_LIKE,
                PolyActivation::SQUARE,
                PolyActivation::SWISH_LIKE,
            ] {
                let net = PolyNetwork {
                    activation: act,
                    neurons: ns.clone(),
                };
                for _ in 0..5 {
                    let x = [rng.random_range(-2.0..2.0), rng.random_range(-2.0..2.0)];
                    let lifted = act.lift(x).component_mul(&z).sum();
                    assert!((net.eval(x) - lifted).abs() <= 1e-9 * lifted.abs().max(1.0));
                }
            }
        }
    }

    #[test]
    fn unbalanced_input_is_an_error_not_a_panic() {
        let z = Matrix4::from_diagonal(&Vector4::new(1.0, 1.0, 1.0, 0.1));
        assert!(decompose(&z, 1e-12).is_err());
        assert!(decompose(&Matrix4::from_element(f64::NAN), 1e-12).is_err());
        assert!(decompose(&Matrix4::zeros(), 1e-12).unwrap().is_empty());
    }

    #[test]
    fn lifting_identity_holds_for_unit_vectors() {
        let act = PolyActivation {
            a: 0.3,
            b: -0.7,
            c: 0.2,
        };
        let u = Vector4::new(0.48, -0.6, 0.64, 1.0); // ‖(0.48, −0.6, 0.64)‖ = 1
        let z = u * u.transpose();
        let x = [0.7, -1.3];
        let t = 0.48 * x[0] - 0.6 * x[1] + 0.64;
        assert!((act.lift(x).component_mul(&z).sum() - act.eval(t)).abs() < 1e-12);
    }
}
