//! The certificate of the polynomial-activation SDP (docs/math.md#poly-certificate):
//! `c(v) = max_{‖u‖=1} |vᵀσ(X̃u)| = max(TRS(M(v)), TRS(−M(v)))` with `M(v) = Σ_j v_j M(x̃_j)`,
//! each a trust-region subproblem on the unit sphere of R³ solved exactly (secular equation,
//! hard case included). Scaling `v` by `min(1, β/c(v))` gives a certified lower bound for any
//! polynomial network (the SDP's or one trained by gradient descent).

use nalgebra::{Matrix3, Matrix4, SymmetricEigen, Vector3};

use super::Bounds;
use crate::model::{Loss, PolyActivation, PolyNetwork};

/// `max_{‖u‖=1} uᵀQu + 2qᵀu + s` and a maximiser.
pub fn trs_max(qm: &Matrix3<f64>, q: &Vector3<f64>, s: f64) -> (f64, Vector3<f64>) {
    let eig = SymmetricEigen::new((qm + qm.transpose()) * 0.5);
    let lam = eig.eigenvalues;
    let v = eig.eigenvectors;
    let k = (0..3)
        .max_by(|&a, &b| lam[a].total_cmp(&lam[b]))
        .unwrap_or(0);
    let lmax = lam[k];
    let qp = v.transpose() * q;
    let value = |u: &Vector3<f64>| (u.transpose() * qm * u)[(0, 0)] + 2.0 * q.dot(u) + s;
    let qn = q.norm();
    let scale = lam.iter().fold(qn, |m, l| m.max(l.abs())).max(1e-300);
    let mut cands: Vec<Vector3<f64>> = Vec::with_capacity(3);
    if qn == 0.0 {
        cands.push(v.column(k).into());
    } else {
        let phi = |g: f64| (0..3).map(|i| (qp[i] / (g - lam[i])).powi(2)).sum::<f64>();
        let lo0 = lmax + 1e-14 * scale;
        if phi(lo0) >= 1.0 {
            // Easy case: the root of φ(γ) = 1 in (λmax, λmax + ‖q‖].
            let (mut lo, mut hi) = (lo0, lmax + qn);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if phi(mid) > 1.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let g = 0.5 * (lo + hi);
            let mut u = Vector3::zeros();
            for i in 0..3 {
                u += v.column(i) * (qp[i] / (g - lam[i]));
            }
            if u.norm() > 0.0 {
                cands.push(u / u.norm());
            }
        }
        // Hard case (or a safety net): γ = λmax, free component along the top eigenspace.
        let mut w = Vector3::zeros();
        for i in 0..3 {
            if lmax - lam[i] > 1e-12 * scale {
                w += v.column(i) * (qp[i] / (lmax - lam[i]));
            }
        }
        let tau = (1.0 - w.norm_squared()).max(0.0).sqrt();
        for sgn in [1.0, -1.0] {
            let u = w + v.column(k) * (sgn * tau);
            if u.norm() > 0.0 {
                cands.push(u / u.norm());
            }
        }
    }
    cands
        .into_iter()
        .map(|u| (value(&u), u))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((f64::NEG_INFINITY, Vector3::zeros()))
}

/// `M(v) = Σ_j v_j M(x̃_j)`.
pub fn dual_matrix(x: &[[f64; 2]], v: &[f64], act: PolyActivation) -> Matrix4<f64> {
    x.iter()
        .zip(v)
        .fold(Matrix4::zeros(), |m, (p, vj)| m + act.lift(*p) * *vj)
}

/// `c(v)` and the maximising unit direction `u` with its sign.
pub fn certificate(x: &[[f64; 2]], v: &[f64], act: PolyActivation) -> (f64, [f64; 3], f64) {
    let m = dual_matrix(x, v, act);
    let mut best = (f64::NEG_INFINITY, [0.0; 3], 1.0);
    for sign in [1.0, -1.0] {
        let ms = m * sign;
        let qm = ms.fixed_view::<3, 3>(0, 0).into_owned();
        let q = ms.fixed_view::<3, 1>(0, 3).into_owned();
        let (val, u) = trs_max(&qm, &q, ms[(3, 3)]);
        if val > best.0 {
            best = (val, [u[0], u[1], u[2]], sign);
        }
    }
    best
}

/// Certified bounds of any polynomial network for `min L(ŷ) + β‖α‖₁` over unit-norm neurons:
/// upper = its objective, lower = the dual objective at its scaled residual. Returns the bounds
/// with `certificate = c(v)/β`.
pub fn certify_poly(x: &[[f64; 2]], y: &[f64], loss: Loss, beta: f64, net: &PolyNetwork) -> Bounds {
    certify_poly_detail(x, y, loss, beta, net).0
}

/// [`certify_poly`] with the exact maximiser `u` of the certificate and the (domain-clamped,
/// unscaled) dual point `v` it was computed at, for plotting.
pub fn certify_poly_detail(
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    net: &PolyNetwork,
) -> (Bounds, [f64; 3], Vec<f64>) {
    let yhat = net.predict(x);
    let upper = loss.total(&yhat, y) + net.l1_penalty(beta);
    let mut v = loss.dual_point(&yhat, y);
    loss.clamp_dual(&mut v, y);
    let (lower, c, u) = lower_bound_detail(x, y, loss, beta, net.activation, v.clone());
    let bounds = Bounds {
        upper,
        lower,
        certificate: c,
    };
    (bounds, u, v)
}

/// Lower bound from any candidate dual point `v`: `(D(v·min(1, β/c(v))), c(v)/β)`.
pub fn lower_bound(
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    act: PolyActivation,
    v: Vec<f64>,
) -> (f64, f64) {
    let (lb, c, _) = lower_bound_detail(x, y, loss, beta, act, v);
    (lb, c)
}

/// [`lower_bound`] with the maximiser `u` of `c(v)`.
fn lower_bound_detail(
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
    act: PolyActivation,
    mut v: Vec<f64>,
) -> (f64, f64, [f64; 3]) {
    loss.clamp_dual(&mut v, y);
    let (c, u, _) = certificate(x, &v, act);
    let c_safe = c.max(0.0) * (1.0 + super::CERTIFICATE_SAFETY) + f64::MIN_POSITIVE;
    let scale = if c_safe > beta { beta / c_safe } else { 1.0 };
    v.iter_mut().for_each(|a| *a *= scale);
    (loss.dual_objective(&v, y), c / beta, u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng, rngs::StdRng};

    /// Fibonacci sphere.
    fn sphere(n: usize) -> Vec<Vector3<f64>> {
        let ga = std::f64::consts::PI * (3.0 - 5f64.sqrt());
        (0..n)
            .map(|i| {
                let z = 1.0 - 2.0 * (i as f64 + 0.5) / n as f64;
                let r = (1.0 - z * z).sqrt();
                let t = ga * i as f64;
                Vector3::new(r * t.cos(), r * t.sin(), z)
            })
            .collect()
    }

    #[test]
    fn trs_is_exact_against_a_dense_sphere_grid() {
        let mut rng = StdRng::seed_from_u64(3);
        let grid = sphere(200_000);
        for trial in 0..40 {
            let a = Matrix3::from_fn(|_, _| rng.random_range(-1.0..1.0));
            let mut qm = a + a.transpose();
            let mut q = Vector3::from_fn(|_, _| rng.random_range(-1.0..1.0));
            if trial % 5 == 0 {
                // Hard case: q orthogonal to the top eigenvector, small.
                let e: SymmetricEigen<f64, nalgebra::U3> = SymmetricEigen::new(qm);
                let lam: Vector3<f64> = e.eigenvalues;
                let k = (0..3usize)
                    .max_by(|&i, &j| lam[i].total_cmp(&lam[j]))
                    .unwrap();
                let top: Vector3<f64> = e.eigenvectors.column(k).into();
                q = (q - top * top.dot(&q)) * 0.01;
            }
            if trial % 7 == 0 {
                qm = Matrix3::identity() * 0.3; // repeated eigenvalue
            }
            let (val, u) = trs_max(&qm, &q, 0.2);
            assert!((u.norm() - 1.0).abs() < 1e-12);
            let f = |w: &Vector3<f64>| (w.transpose() * qm * w)[(0, 0)] + 2.0 * q.dot(w) + 0.2;
            assert!((f(&u) - val).abs() < 1e-12);
            let gmax = grid.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
            assert!(
                val >= gmax - 1e-12,
                "trial {trial}: exact {val} below grid {gmax}"
            );
            assert!(
                val - gmax <= 1e-4,
                "trial {trial}: exact {val}, grid {gmax}"
            );
        }
    }
}
