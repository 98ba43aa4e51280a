//! The gated ReLU program: a relaxation of the convex ReLU program on every reference dataset
//! and loss, the cone decomposition's exactness on the training points, its cones, and bad
//! input. (Its reference optima are in `reference.rs`.)

use std::ops::ControlFlow;

use crate::common::{gaussian, load_reference, random_labels, random_points, reference_json};
use convex_nn_explorer::convex::gated::{GatedProblem, Split};
use convex_nn_explorer::geometry::{PatternMode, PatternSet, enumerate_exact};
use convex_nn_explorer::model::Loss;
use convex_nn_explorer::solve::Status;
use convex_nn_explorer::solve::gated::{GatedSettings, solve_gated};
use convex_nn_explorer::vec3::{dot3, norm3};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn solve(pr: &GatedProblem) -> convex_nn_explorer::solve::gated::GatedSolution {
    solve_gated(pr.clone(), &GatedSettings::default(), |_| {
        ControlFlow::Continue(())
    })
    .unwrap()
}

/// `p*(gated) ≤ p*(ReLU)` for every ReLU reference optimum (every dataset, loss and β): the
/// gated program drops the cone constraints. Each gated solve is certified to 1e-6.
#[test]
fn the_gated_optimum_never_exceeds_the_relu_optimum() {
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        let exact = enumerate_exact(&ds.x).unwrap();
        for (key, value) in case.as_object().unwrap() {
            let Some(rest) = key.strip_prefix("relu_") else {
                continue;
            };
            let Some((loss, beta)) = rest.split_once("_beta") else {
                continue;
            };
            let loss = Loss::parse(loss).unwrap();
            let beta: f64 = beta.parse().unwrap();
            let relu = value.as_f64().unwrap();
            let pr = GatedProblem::new(&ds.x, ds.y.clone(), loss, beta, &exact, true).unwrap();
            let sol = solve(&pr);
            let b = sol.bounds;
            assert_eq!(sol.status, Status::Converged, "{name} {key}: {b:?}");
            assert!(b.rel_gap() <= 1e-6, "{name} {key}");
            assert!(
                b.upper <= relu * (1.0 + 1e-8),
                "{name} {key}: gated {} above ReLU {relu}",
                b.upper
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 14, "all ReLU entries of reference.json");
}

/// Random gated points on random data: the decomposed ReLU network (both splits) predicts the
/// gated values on the training points to 1e-10, every block lies in its gate's cone, and the
/// minimum-norm split is never larger than the closed form.
#[test]
fn cone_decomposition_is_exact_on_the_training_points() {
    for seed in 0..12u64 {
        let n = 6 + (seed as usize % 5) * 4;
        let x = random_points(n, seed);
        let y = random_labels(n, seed);
        let exact = enumerate_exact(&x).unwrap();
        let pr = GatedProblem::new(&x, y, Loss::Squared, 0.1, &exact, true).unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let u: Vec<[f64; 3]> = (0..pr.p())
            .map(|i| {
                if i % 3 == 0 {
                    [gaussian(&mut rng), gaussian(&mut rng), gaussian(&mut rng)]
                } else {
                    [0.0; 3]
                }
            })
            .collect();
        let gated = pr.predict(&u);
        let scale = gated.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for split in [Split::Closed, Split::MinNorm] {
            let net = pr.relu_network(&u, split);
            for (j, (a, b)) in net.predict(&x).iter().zip(&gated).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-10 * scale,
                    "seed {seed} {split:?} point {j}: ReLU {a} vs gated {b}"
                );
            }
            // Blocks pair up (v, −w) per active gate, in gate order.
            let blocks = pr.split_blocks(&u, split);
            let mut k = 0;
            for (i, ui) in u.iter().enumerate() {
                if *ui == [0.0; 3] {
                    continue;
                }
                let (sv, v) = blocks[k];
                assert_eq!(sv, 1.0);
                k += 1;
                let w = if k < blocks.len() && blocks[k].0 < 0.0 {
                    k += 1;
                    blocks[k - 1].1
                } else {
                    [0.0; 3]
                };
                // In the cone up to rounding: e·x̃ᵀv ≥ −1e-13·‖x̃‖‖v‖.
                for j in 0..n {
                    let xt = [x[j][0], x[j][1], 1.0];
                    let e = if pr.d[i * n + j] != 0 { 1.0 } else { -1.0 };
                    for (name, b) in [("v", v), ("w", w)] {
                        let val = e * dot3(&xt, &b);
                        assert!(
                            val >= -1e-13 * norm3(&xt) * norm3(&b),
                            "seed {seed} {split:?}: {name} of gate {i} at point {j}: {val:e}"
                        );
                    }
                }
                let d = [v[0] - w[0], v[1] - w[1], v[2] - w[2]];
                let err = norm3(&[d[0] - ui[0], d[1] - ui[1], d[2] - ui[2]]);
                assert!(
                    err <= 1e-14 * (norm3(&v) + norm3(&w) + norm3(ui)),
                    "{err:e}"
                );
            }
        }
        let total = |s| -> f64 { pr.split_blocks(&u, s).iter().map(|b| norm3(&b.1)).sum() };
        assert!(total(Split::MinNorm) <= total(Split::Closed) * (1.0 + 1e-9));
    }
}

/// Sampled gates: the bounds are those of the program over the sampled gates, which lies
/// between the exact-gate optimum and — being a restriction — above it.
#[test]
fn sampled_gates_restrict_the_exact_gated_program() {
    let ds = load_reference("datasets/spiral_30_101.csv");
    let exact = enumerate_exact(&ds.x).unwrap();
    let full = GatedProblem::new(&ds.x, ds.y.clone(), Loss::Squared, 0.1, &exact, true).unwrap();
    let p_exact = solve(&full).bounds;
    let gates = PatternMode::Sampled { count: 40, seed: 3 }
        .build(&ds.x)
        .unwrap();
    let pr = GatedProblem::new(&ds.x, ds.y.clone(), Loss::Squared, 0.1, &gates, false).unwrap();
    let b = solve(&pr).bounds;
    assert!(b.rel_gap() <= 1e-6);
    assert!(
        b.lower >= p_exact.lower * (1.0 - 1e-9),
        "{b:?} vs {p_exact:?}"
    );
}

/// β ≤ 0, a gate set whose only pattern is empty, and mismatched sizes are clear errors.
#[test]
fn bad_input_is_refused_with_a_message() {
    let x = vec![[0.0, 0.0], [1.0, 1.0]];
    let y = vec![1.0, -1.0];
    let exact = enumerate_exact(&x).unwrap();
    for beta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = GatedProblem::new(&x, y.clone(), Loss::Squared, beta, &exact, true).unwrap_err();
        assert!(e.to_string().contains("beta"), "{e}");
    }
    let mut only_empty = PatternSet::new(2);
    only_empty.insert(
        convex_nn_explorer::geometry::Bitset::zeros(2),
        [0.0, 0.0, -1.0],
    );
    let e = GatedProblem::new(&x, y.clone(), Loss::Squared, 0.1, &only_empty, false).unwrap_err();
    assert!(e.to_string().contains("no usable gate"), "{e}");
    let e = GatedProblem::new(&x, vec![1.0], Loss::Squared, 0.1, &exact, true).unwrap_err();
    assert!(e.to_string().contains("targets"), "{e}");
}

/// The scenario sweep on 12 points: nested samples give certified objectives that decrease with
/// `P` and never go below the exact-gate optimum; the violation fraction is a probability, 0
/// once every region has a gate, and below the scenario bound; the scenario bound is vacuous for `P ≤ n` and shrinks after.
#[test]
fn scenario_sweep_closes_on_the_exact_gate_optimum() {
    use convex_nn_explorer::solve::scenario::scenario_sweep;
    use std::sync::Arc;
    let x = random_points(12, 21);
    let y = random_labels(12, 21);
    let exact = Arc::new(enumerate_exact(&x).unwrap());
    let counts = [4, 12, 50, 200, 2000, 20000];
    let (opt, points) = scenario_sweep(&x, &y, Loss::Squared, 0.05, &exact, &counts, 1, |_, _| {
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(points.len(), counts.len());
    for w in points.windows(2) {
        assert!(w[1].objective <= w[0].objective * (1.0 + 2e-6), "{w:?}");
        assert!(w[1].distinct >= w[0].distinct);
    }
    for p in &points {
        assert!(p.gap_to_exact >= -1e-6, "{p:?}");
        assert!(p.objective >= opt.lower * (1.0 - 1e-9));
        assert!((0.0..=1.0).contains(&p.violation_fraction));
        // The scenario bound holds with 99 % confidence; these fixed seeds are within it.
        assert!(p.violation_fraction <= p.scenario_bound, "{p:?}");
        if p.distinct == exact.len() - 1 {
            assert_eq!(p.violation_fraction, 0.0, "{p:?}");
            assert!(p.gap_to_exact <= 2e-6, "{p:?}");
        }
    }
    assert_eq!(points[0].scenario_bound, 1.0);
    assert_eq!(points[1].scenario_bound, 1.0);
    assert!(points[5].scenario_bound < points[4].scenario_bound);
    assert!(points[5].scenario_bound < 0.01);
    // 20 000 gates miss only regions the optimum does not need (126 of 133 are sampled here).
    assert!(points[5].gap_to_exact <= 1e-6 && points[5].violation_fraction == 0.0);
    // The few-gate program misses a visible part of the sphere.
    assert!(points[0].violation_fraction > 0.0, "{:?}", points[0]);
}
