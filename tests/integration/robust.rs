//! The robust program (RC) and exact worst-case evaluation (docs/math.md#robust): the worst
//! case against dense sampling of every box, the (RC) loss as the true worst-case loss of its
//! own network, ε = 0 as the plain program, and bad input. (Reference optima: `reference.rs`.)

use std::ops::ControlFlow;

use crate::common::{gaussian, load_reference, random_labels, random_points, reference_json};
use convex_nn_explorer::convex::ReluProblem;
use convex_nn_explorer::convex::robust::RobustProblem;
use convex_nn_explorer::geometry::PatternMode;
use convex_nn_explorer::model::worst_case::worst_case;
use convex_nn_explorer::model::{Loss, Neuron, ReluNetwork};
use convex_nn_explorer::solve::robust::{RobustSettings, solve_robust};
use convex_nn_explorer::solve::{SolveSettings, Status, solve_relu};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn solve(pr: &RobustProblem) -> convex_nn_explorer::solve::robust::RobustSolution {
    solve_robust(pr.clone(), &RobustSettings::default(), |_| {
        ControlFlow::Continue(())
    })
    .unwrap()
}

/// Random networks, random boxes: the exact worst case is never below the maximum over a
/// 101 × 101 grid of each box (10 201 points), exceeds it by no more than the network's
/// Lipschitz constant times the grid's half-diagonal, and its reported perturbation lies in the
/// box and attains the reported loss.
#[test]
fn exact_worst_case_beats_dense_sampling() {
    for seed in 0..6u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let net = ReluNetwork {
            neurons: (0..6 + seed as usize)
                .map(|_| Neuron {
                    u: [
                        gaussian(&mut rng),
                        gaussian(&mut rng),
                        0.3 * gaussian(&mut rng),
                    ],
                    alpha: gaussian(&mut rng),
                })
                .collect(),
        };
        let x = random_points(8, seed);
        let y = random_labels(8, seed);
        let eps = 0.05 + 0.1 * seed as f64;
        let lip: f64 = net
            .neurons
            .iter()
            .map(|n| n.alpha.abs() * n.u[0].hypot(n.u[1]))
            .sum();
        for loss in [Loss::Hinge, Loss::Logistic, Loss::Squared] {
            let wc = worst_case(&net, &x, &y, loss, eps);
            for (j, (p, t)) in x.iter().zip(&y).enumerate() {
                let w = wc.points[j];
                assert!(
                    w.delta[0].abs() <= eps * (1.0 + 1e-12)
                        && w.delta[1].abs() <= eps * (1.0 + 1e-12)
                );
                let at = loss.value(net.eval([p[0] + w.delta[0], p[1] + w.delta[1]]), *t);
                assert!((at - w.loss).abs() <= 1e-12 * (1.0 + at.abs()));
                let g = 100;
                let mut sampled = f64::NEG_INFINITY;
                let mut min_margin = f64::INFINITY;
                for a in 0..=g {
                    for b in 0..=g {
                        let q = [
                            p[0] - eps + 2.0 * eps * a as f64 / g as f64,
                            p[1] - eps + 2.0 * eps * b as f64 / g as f64,
                        ];
                        let f = net.eval(q);
                        sampled = sampled.max(loss.value(f, *t));
                        min_margin = min_margin.min(f * t);
                    }
                }
                assert!(
                    w.loss >= sampled - 1e-12 * (1.0 + sampled.abs()),
                    "seed {seed} {loss:?} point {j}: exact {} below sampled {sampled}",
                    w.loss
                );
                // Within the grid's resolution: |Δf| ≤ Lip·h·√2/2 and the loss is 1-Lipschitz
                // (hinge, logistic) or locally Lipschitz with the output's size (squared).
                let h = 2.0 * eps / g as f64;
                let df = lip * h;
                let dl = match loss {
                    Loss::Squared => df * ((sampled * 2.0).sqrt() + df),
                    _ => df,
                };
                assert!(
                    w.loss <= sampled + dl + 1e-12,
                    "seed {seed} {loss:?} point {j}"
                );
                if min_margin <= 0.0 {
                    assert!(
                        !w.robust,
                        "seed {seed} point {j}: a sampled misclassification"
                    );
                }
            }
        }
    }
}

/// The (RC) optimum's own network: its exact worst-case training loss equals the (RC) loss
/// term (no neuron switches inside any box), on every robust reference entry.
#[test]
fn the_robust_loss_is_the_true_worst_case_of_its_network() {
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        for key in case.as_object().unwrap().keys() {
            let Some(rest) = key.strip_prefix("robust_hinge_eps") else {
                continue;
            };
            let (eps, beta) = rest.split_once("_beta").unwrap();
            let (eps, beta): (f64, f64) = (eps.parse().unwrap(), beta.parse().unwrap());
            let pr = RobustProblem::new(&ds.x, ds.y.clone(), Loss::Hinge, beta, eps).unwrap();
            let sol = solve(&pr);
            let net = pr.network(&sol.blocks);
            let penalty: f64 = beta
                * sol
                    .blocks
                    .iter()
                    .map(|b| b.iter().map(|v| v * v).sum::<f64>().sqrt())
                    .sum::<f64>();
            let rc_loss = sol.bounds.upper - penalty;
            let wc = worst_case(&net, &ds.x, &ds.y, Loss::Hinge, eps);
            assert!(
                (wc.loss - rc_loss).abs() <= 1e-8 * rc_loss.abs().max(1.0),
                "{name} {key}: exact worst case {} vs (RC) loss {rc_loss}",
                wc.loss
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 8);
}

/// ε = 0: every pattern is usable and (RC) is the plain convex ReLU program — the squared and
/// logistic reference optima, and the hinge optimum of the plain solver.
#[test]
fn epsilon_zero_is_the_plain_program() {
    let refs = reference_json();
    let case = &refs["cases"]["spiral_30_101"];
    let ds = load_reference(case["file"].as_str().unwrap());
    for (loss, key) in [
        (Loss::Squared, Some("relu_squared_beta0.1")),
        (Loss::Logistic, Some("relu_logistic_beta0.1")),
        (Loss::Hinge, None),
    ] {
        let pr = RobustProblem::new(&ds.x, ds.y.clone(), loss, 0.1, 0.0).unwrap();
        assert_eq!(
            pr.p() + 1,
            pr.all_patterns,
            "{loss:?}: every non-empty pattern usable"
        );
        let sol = solve(&pr);
        assert_eq!(sol.status, Status::Converged, "{loss:?}");
        let plain = match key {
            Some(k) => case[k].as_f64().unwrap(),
            None => {
                let p = ReluProblem::new(ds.x.clone(), ds.y.clone(), loss, 0.1, PatternMode::Exact)
                    .unwrap();
                solve_relu(p, &SolveSettings::default(), |_| ControlFlow::Continue(()))
                    .unwrap()
                    .bounds
                    .upper
            }
        };
        let tol = if loss == Loss::Logistic { 1e-5 } else { 1e-6 };
        assert!(
            (sol.bounds.upper - plain).abs() <= tol * plain,
            "{loss:?}: {} vs {plain}",
            sol.bounds.upper
        );
    }
}

/// Squared and logistic robust losses: certified, and never below the ε = 0 optimum (a box
/// can only hurt).
#[test]
fn squared_and_logistic_robust_programs_are_certified() {
    let ds = load_reference("datasets/xor_32_202.csv");
    for loss in [Loss::Squared, Loss::Logistic] {
        let base = solve(&RobustProblem::new(&ds.x, ds.y.clone(), loss, 0.1, 0.0).unwrap());
        let pr = RobustProblem::new(&ds.x, ds.y.clone(), loss, 0.1, 0.05).unwrap();
        let sol = solve(&pr);
        assert_eq!(sol.status, Status::Converged, "{loss:?}: {:?}", sol.bounds);
        assert!(sol.bounds.rel_gap() <= 1e-6);
        assert!(sol.bounds.upper >= base.bounds.lower * (1.0 - 1e-9));
        let net = pr.network(&sol.blocks);
        let wc = worst_case(&net, &ds.x, &ds.y, loss, 0.05);
        let penalty: f64 = 0.1
            * sol
                .blocks
                .iter()
                .map(|b| b.iter().map(|v| v * v).sum::<f64>().sqrt())
                .sum::<f64>();
        assert!((wc.loss - (sol.bounds.upper - penalty)).abs() <= 1e-7 * sol.bounds.upper);
    }
}

/// ε < 0, NaN, ∞ and an ε so large that no line misses every box: one clear message each.
#[test]
fn bad_epsilon_is_refused_with_a_message() {
    let x = random_points(10, 3);
    let y = random_labels(10, 3);
    for eps in [-0.1, f64::NAN, f64::INFINITY] {
        let e = RobustProblem::new(&x, y.clone(), Loss::Hinge, 0.1, eps).unwrap_err();
        assert!(e.to_string().contains("epsilon"), "{e}");
    }
    // Boxes of radius 0.6 around points in [−1, 1]² overlap in a chain: only the constant
    // all-on pattern survives, or nothing.
    match RobustProblem::new(&x, y.clone(), Loss::Hinge, 0.1, 5.0) {
        Ok(pr) => assert_eq!(pr.p(), 1, "only the all-on pattern"),
        Err(e) => assert!(e.to_string().contains("no pattern is usable"), "{e}"),
    }
}

/// FGSM and PGD attacks of a trained network stay in their boxes and never beat the exact worst
/// case (a theorem: the exact worst case is the maximum over the box); bad attack settings are
/// refused.
#[test]
fn attacks_stay_in_the_box_and_below_the_exact_worst_case() {
    use convex_nn_explorer::solve::sgd::{Adversarial, SgdSettings, SgdTrainer};
    let ds = load_reference("datasets/xor_32_202.csv");
    let eps = 0.05;
    for adv in [
        Adversarial::Fgsm { eps },
        Adversarial::Pgd { eps, steps: 10 },
    ] {
        let mut tr = SgdTrainer::new(
            ds.x.clone(),
            ds.y.clone(),
            Loss::Hinge,
            0.1,
            SgdSettings {
                width: 12,
                epochs: 300,
                optimizer: convex_nn_explorer::solve::Optimizer::Adam,
                batch_size: 1000,
                adversarial: adv,
                seed: 3,
                ..SgdSettings::default()
            },
        )
        .unwrap();
        tr.run(|_| ControlFlow::Continue(()));
        let net = tr.network();
        let wc = worst_case(&net, &ds.x, &ds.y, Loss::Hinge, eps);
        for (j, (p, y)) in ds.x.iter().zip(&ds.y).enumerate() {
            let q = tr.attack(*p, *y);
            assert!(
                (q[0] - p[0]).abs() <= eps * (1.0 + 1e-12)
                    && (q[1] - p[1]).abs() <= eps * (1.0 + 1e-12)
            );
            let l = Loss::Hinge.value(net.eval(q), *y);
            assert!(
                l <= wc.points[j].loss + 1e-12,
                "{adv:?} point {j}: attack {l} above exact"
            );
        }
    }
    for (kind, eps, steps) in [
        ("pgd", -0.1, 10),
        ("pgd", 0.1, 0),
        ("fgsm", f64::NAN, 1),
        ("bim", 0.1, 1),
    ] {
        assert!(
            Adversarial::parse(kind, eps, steps).is_err(),
            "{kind} {eps} {steps}"
        );
    }
}
