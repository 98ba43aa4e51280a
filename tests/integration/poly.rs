//! The polynomial-activation SDP (docs/math.md#poly-model, #poly-certificate) against the independent
//! interior-point optima of `tests/data/reference` (CVXPY + Clarabel at 1e-9).

use crate::common;

use std::ops::ControlFlow;

use common::{load_reference, reference_json};
use convex_nn_explorer::certify::poly::certificate;
use convex_nn_explorer::convex::PolyProblem;
use convex_nn_explorer::decompose::poly::{decompose, make_balanced, neurons};
use convex_nn_explorer::model::{Loss, PolyActivation};
use convex_nn_explorer::solve::{PolySettings, PolySolution, Status, solve_poly};

#[test]
fn poly_reference_optima_are_reproduced_and_certified() {
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        for (key, value) in case.as_object().unwrap() {
            let Some(rest) = key.strip_prefix("poly_") else {
                continue;
            };
            let act = if rest.starts_with("relu_approx_squared") {
                PolyActivation::RELU_LIKE
            } else {
                assert!(rest.starts_with("square_squared"), "unknown key {key}");
                PolyActivation::SQUARE
            };
            let beta: f64 = key.split("beta").nth(1).unwrap().parse().unwrap();
            let reference = value.as_f64().unwrap();
            let scale = reference.abs().max(1.0);
            let pr =
                PolyProblem::new(ds.x.clone(), ds.y.clone(), Loss::Squared, beta, act).unwrap();
            let sol = solve_poly(vec![pr.clone()], &PolySettings::default(), |_| {
                ControlFlow::Continue(())
            })
            .unwrap();
            eprintln!(
                "{name} {key}: ref {reference:.10} upper {:.10} lower {:.10} iters {} {:.1} ms neurons {}",
                sol.bounds.upper,
                sol.bounds.lower,
                sol.iterations,
                sol.seconds * 1e3,
                sol.networks[0].neurons.len()
            );
            assert_eq!(sol.status, Status::Converged, "{name} {key}");
            // The reported objective is that of a real network with unit-norm neurons,
            // recomputed here from its predictions.
            let net = &sol.networks[0];
            for n in &net.neurons {
                let norm = n.u.iter().map(|a| a * a).sum::<f64>().sqrt();
                assert!((norm - 1.0).abs() < 1e-12);
            }
            let yhat: Vec<f64> = ds.x.iter().map(|p| net.eval(*p)).collect();
            let obj = Loss::Squared.total(&yhat, &ds.y)
                + beta * net.neurons.iter().map(|n| n.alpha.abs()).sum::<f64>();
            assert!((obj - sol.bounds.upper).abs() <= 1e-12 * scale);
            assert!(
                (obj - reference).abs() <= 1e-5 * scale,
                "{name} {key}: objective {obj} vs reference {reference}"
            );
            assert!(
                sol.bounds.lower <= reference + 1e-9 * scale,
                "{name} {key}: lower bound {} above reference {reference}",
                sol.bounds.lower
            );
            assert!(sol.bounds.rel_gap() <= 1e-6);
            checked += 1;
        }
    }
    assert_eq!(checked, 12, "all poly entries of reference.json");
}

fn solved(file: &str, act: PolyActivation, beta: f64) -> (PolyProblem, PolySolution) {
    let ds = load_reference(file);
    let pr = PolyProblem::new(ds.x, ds.y, Loss::Squared, beta, act).unwrap();
    let sol = solve_poly(vec![pr.clone()], &PolySettings::default(), |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    (pr, sol)
}

const FILES: [&str; 3] = [
    "datasets/sine_30_505.csv",
    "datasets/spiral_30_101.csv",
    "datasets/xor_32_202.csv",
];

/// Neural Decomposition of solved SDPs: the pieces rebuild the balanced matrices, every neuron
/// has unit norm, `Σ|α| = Z₄₊ + Z₄₋`, and the network's objective is the SDP objective.
#[test]
fn decomposition_of_solved_problems_reproduces_the_sdp() {
    for file in FILES {
        for act in [PolyActivation::RELU_LIKE, PolyActivation::SQUARE] {
            let (pr, sol) = solved(file, act, 0.01);
            let (zp, zm) = sol.lifted[0];
            let mut total_abs = 0.0;
            for (z, sign) in [(zp, 1.0), (zm, -1.0)] {
                let zb = make_balanced(&z);
                let steps = decompose(&zb, 1e-12).unwrap();
                let mut rebuilt = nalgebra::Matrix4::zeros();
                for s in &steps {
                    let y = s.output();
                    rebuilt += y * y.transpose();
                    // Each piece is balanced: ‖t‖ = |s|.
                    let t = (y[0] * y[0] + y[1] * y[1] + y[2] * y[2]).sqrt();
                    assert!((t - y[3].abs()).abs() <= 1e-9 * y.norm());
                }
                let err = (rebuilt - zb).norm() / zb.norm().max(1e-300);
                assert!(err <= 1e-9, "{file}: reconstruction error {err:.2e}");
                let ns = neurons(&steps, sign, zb[(3, 3)], 1e-12);
                let sum: f64 = ns.iter().map(|n| n.alpha).sum();
                assert!((sum - sign * zb[(3, 3)]).abs() <= 1e-9 * zb[(3, 3)].max(1.0));
                total_abs += zb[(3, 3)];
            }
            let net = &sol.networks[0];
            let l1: f64 = net.neurons.iter().map(|n| n.alpha.abs()).sum();
            assert!((l1 - total_abs).abs() <= 1e-9 * total_abs.max(1.0));
            let sdp = pr.sdp_objective(&make_balanced(&zp), &make_balanced(&zm));
            let nc = pr.network_objective(net);
            assert!(
                (sdp - nc).abs() <= 1e-9 * sdp.max(1.0),
                "{file}: {sdp} vs {nc}"
            );
            assert!(
                net.neurons.len() <= 8,
                "at most rank(Z₊) + rank(Z₋) ≤ 8 neurons"
            );
        }
    }
}

/// Fibonacci sphere.
fn sphere(n: usize) -> Vec<[f64; 3]> {
    let ga = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    (0..n)
        .map(|i| {
            let z = 1.0 - 2.0 * (i as f64 + 0.5) / n as f64;
            let r = (1.0 - z * z).sqrt();
            let t = ga * i as f64;
            [r * t.cos(), r * t.sin(), z]
        })
        .collect()
}

/// `|vᵀσ(X̃u)|` evaluated directly on the data (not through the lifting).
fn direct(x: &[[f64; 2]], v: &[f64], act: PolyActivation, u: [f64; 3]) -> f64 {
    x.iter()
        .zip(v)
        .map(|(p, vj)| vj * act.eval(u[0] * p[0] + u[1] * p[1] + u[2]))
        .sum::<f64>()
        .abs()
}

/// The exact certificate against a dense sphere grid (200 000 points) refined by a fine local
/// grid (spacing 2e-5 rad) around the best grid point: never below any grid value, and within
/// 1e-6 of the refined maximum. Dual points: the optimal residuals and random vectors.
#[test]
fn certificate_is_exact_against_dense_and_fine_grids() {
    let grid = sphere(200_000);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(11);
    for (k, file) in FILES.iter().enumerate() {
        for act in [
            PolyActivation::RELU_LIKE,
            PolyActivation::SWISH_LIKE,
            PolyActivation::SQUARE,
        ] {
            let ds = load_reference(file);
            let v: Vec<f64> = if k == 0 {
                let (pr, sol) = solved(file, act, 0.1);
                let yhat = sol.networks[0].predict(&pr.x);
                pr.y.iter().zip(&yhat).map(|(a, b)| a - b).collect()
            } else {
                (0..ds.x.len())
                    .map(|_| rand::RngExt::random_range(&mut rng, -1.0..1.0))
                    .collect()
            };
            let (c, u, _) = certificate(&ds.x, &v, act);
            assert!((direct(&ds.x, &v, act, u) - c).abs() <= 1e-10 * c.max(1.0));
            let (mut best, mut arg) = (f64::NEG_INFINITY, [0.0; 3]);
            for g in &grid {
                let val = direct(&ds.x, &v, act, *g);
                assert!(
                    val <= c + 1e-10 * c.max(1.0),
                    "{file}: grid {val} above exact {c}"
                );
                if val > best {
                    (best, arg) = (val, *g);
                }
            }
            // Fine grid in the tangent plane of the best coarse point.
            let a = nalgebra::Vector3::from(arg);
            let t1 = a.cross(&nalgebra::Vector3::new(0.3, -0.5, 0.8)).normalize();
            let t2 = a.cross(&t1);
            let mut fine = best;
            for i in -300..=300 {
                for j in -300..=300 {
                    let w = (a + t1 * (i as f64 * 2e-5) + t2 * (j as f64 * 2e-5)).normalize();
                    let val = direct(&ds.x, &v, act, [w[0], w[1], w[2]]);
                    assert!(val <= c + 1e-10 * c.max(1.0));
                    fine = fine.max(val);
                }
            }
            assert!(
                c - fine <= 1e-6 * c.max(1.0),
                "{file}: exact {c} vs fine grid {fine} (coarse {best})"
            );
            eprintln!(
                "{file} {act:?}: exact {c:.12}, fine grid {fine:.12} (c − fine = {:.1e}), coarse {best:.12}",
                c - fine
            );
        }
    }
}

/// docs/math.md#poly-square: for σ(t) = t² the SDP is the nuclear-norm program; FISTA on it (an independent
/// algorithm) reaches the same reference optima with certified bounds, and its eigen-neurons
/// are an optimal network of the SDP.
#[test]
fn nuclear_norm_form_matches_the_square_references() {
    use convex_nn_explorer::solve::nuclear::NuclearSolver;
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        for (key, value) in case.as_object().unwrap() {
            let Some(b) = key.strip_prefix("poly_square_squared_beta") else {
                continue;
            };
            let beta: f64 = b.parse().unwrap();
            let reference = value.as_f64().unwrap();
            let s = NuclearSolver::new(
                ds.x.clone(),
                ds.y.clone(),
                Loss::Squared,
                beta,
                1e-7,
                200_000,
            )
            .unwrap();
            let (bounds, net, status, iters) = s.run();
            eprintln!(
                "{name} {key}: nuclear upper {:.10} lower {:.10} ref {reference:.10} in {iters} iterations",
                bounds.upper, bounds.lower
            );
            assert_eq!(status, Status::Converged);
            assert!(net.neurons.len() <= 3);
            assert!((bounds.upper - reference).abs() <= 1e-6 * reference.max(1.0));
            assert!(bounds.lower <= reference + 1e-9 * reference.max(1.0));
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

/// Gradient-trained polynomial networks (unit-norm + ℓ1, GD and Adam, several widths and seeds)
/// never end below the SDP optimum, and docs/math.md#poly-certificate certifies each: its own lower bound is below its
/// objective and below the optimum. Weight decay with σ = t²: the learned function rescaled to
/// unit-norm neurons is feasible for the ℓ1 problem and also never beats the SDP.
#[test]
fn trained_polynomial_networks_are_certified_against_the_sdp() {
    use convex_nn_explorer::certify::poly::certify_poly;
    use convex_nn_explorer::solve::poly_sgd::{PolyRegularizer, PolyTrainer};
    use convex_nn_explorer::solve::{Optimizer, SgdSettings};
    let beta = 0.1;
    for file in FILES {
        let ds = load_reference(file);
        for act in [PolyActivation::RELU_LIKE, PolyActivation::SQUARE] {
            let (_, sol) = solved(file, act, beta);
            let (opt_lo, opt_up) = (sol.bounds.lower, sol.bounds.upper);
            let mut best_gap = f64::INFINITY;
            for (width, optimizer) in [
                (2, Optimizer::Adam),
                (8, Optimizer::Adam),
                (8, Optimizer::Gd),
            ] {
                for seed in 0..2 {
                    for reg in [PolyRegularizer::UnitL1, PolyRegularizer::WeightDecay] {
                        let s = SgdSettings {
                            width,
                            lr: if optimizer == Optimizer::Gd {
                                2e-3
                            } else {
                                1e-2
                            },
                            lr_final: 1e-4,
                            epochs: 1500,
                            optimizer,
                            seed,
                            ..SgdSettings::default()
                        };
                        let mut tr = PolyTrainer::new(
                            ds.x.clone(),
                            ds.y.clone(),
                            Loss::Squared,
                            beta,
                            act,
                            reg,
                            s,
                        )
                        .unwrap();
                        tr.run(|_| ControlFlow::Continue(()));
                        let Some(net) = tr.unit_network() else {
                            assert!(act != PolyActivation::SQUARE);
                            continue;
                        };
                        let b = certify_poly(&ds.x, &ds.y, Loss::Squared, beta, &net);
                        if reg == PolyRegularizer::UnitL1 {
                            assert!((b.upper - tr.objective()).abs() <= 1e-9 * b.upper);
                        }
                        assert!(
                            b.upper >= opt_lo - 1e-9 * opt_lo,
                            "{file}: trained {} below optimum {opt_lo}",
                            b.upper
                        );
                        assert!(b.lower <= b.upper + 1e-12 && b.lower <= opt_up + 1e-9 * opt_up);
                        best_gap = best_gap.min(b.rel_gap());
                    }
                }
            }
            eprintln!(
                "{file} {act:?}: optimum {opt_up:.6}, best certified gap of a trained network {best_gap:.2e}"
            );
        }
    }
}

/// Logistic and hinge losses (no reference values): for σ = t² the SDP-ADMM and the
/// nuclear-norm FISTA are independent algorithms whose certified intervals must overlap; the
/// hinge runs end certified too.
#[test]
fn logistic_and_hinge_are_certified_and_agree_across_algorithms() {
    use convex_nn_explorer::solve::nuclear::NuclearSolver;
    for file in ["datasets/spiral_30_101.csv", "datasets/xor_32_202.csv"] {
        let ds = load_reference(file);
        for beta in [0.01, 0.1] {
            let pr = PolyProblem::new(
                ds.x.clone(),
                ds.y.clone(),
                Loss::Logistic,
                beta,
                PolyActivation::SQUARE,
            )
            .unwrap();
            let sdp = solve_poly(vec![pr], &PolySettings::default(), |_| {
                ControlFlow::Continue(())
            })
            .unwrap();
            let (nuc, _, status, _) = NuclearSolver::new(
                ds.x.clone(),
                ds.y.clone(),
                Loss::Logistic,
                beta,
                1e-6,
                200_000,
            )
            .unwrap()
            .run();
            assert_eq!(sdp.status, Status::Converged, "{file} {beta}");
            assert_eq!(status, Status::Converged, "{file} {beta}");
            let b = sdp.bounds;
            assert!(b.lower <= nuc.upper * (1.0 + 1e-12) && nuc.lower <= b.upper * (1.0 + 1e-12));
            eprintln!(
                "{file} logistic β={beta}: SDP [{:.9}, {:.9}], nuclear [{:.9}, {:.9}]",
                b.lower, b.upper, nuc.lower, nuc.upper
            );
            let pr = PolyProblem::new(
                ds.x.clone(),
                ds.y.clone(),
                Loss::Hinge,
                beta,
                PolyActivation::RELU_LIKE,
            )
            .unwrap();
            let settings = PolySettings {
                tol: 1e-5,
                ..PolySettings::default()
            };
            let sol =
                solve_poly(vec![pr.clone()], &settings, |_| ControlFlow::Continue(())).unwrap();
            assert_eq!(sol.status, Status::Converged, "{file} hinge {beta}");
            assert!((pr.network_objective(&sol.networks[0]) - sol.bounds.upper).abs() < 1e-9);
        }
    }
}
