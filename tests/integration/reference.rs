//! Reproduces the independent interior-point optima of `tests/data/reference` (copied from
//! the project's independent reference set: CVXPY + Clarabel at 1e-9, conventions of docs/math.md#conventions).

use crate::common;

use common::{load_reference, reference_json};
use convex_nn_explorer::certify::SweepGeometry;
use convex_nn_explorer::convex::ReluProblem;
use convex_nn_explorer::geometry::{PatternMode, enumerate_exact, enumerate_oracle};
use convex_nn_explorer::model::Loss;
use convex_nn_explorer::solve::driver::Method;
use convex_nn_explorer::solve::{SolveSettings, Status, solve_relu};

#[test]
fn pattern_counts_match_public_patterns() {
    let counts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::data_dir().join("public_patterns.json")).unwrap(),
    )
    .unwrap();
    let refs = reference_json();
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        // The count published with the datasets, or the reference set's own.
        let expected = counts[name].as_u64().or(case["patterns"].as_u64()).unwrap() as usize;
        assert_eq!(
            enumerate_exact(&ds.x).unwrap().len(),
            expected,
            "{name} fast sweep"
        );
        assert_eq!(
            enumerate_oracle(&ds.x).unwrap().len(),
            expected,
            "{name} oracle"
        );
        assert_eq!(
            SweepGeometry::new(&ds.x).region_count(),
            expected,
            "{name} counted by the certificate sweep"
        );
    }
}

#[test]
fn relu_reference_optima_are_reproduced_and_certified() {
    check_relu_references(Method::Admm);
}

/// The augmented Lagrangian driver (R-FISTA inside, then the same exact polish) reaches the same
/// optima, certified the same way.
#[test]
fn augmented_lagrangian_reaches_the_relu_reference_optima() {
    check_relu_references(Method::Al);
}

/// The working-set method (exact rounds from the start, no first-order phase) reaches them too.
#[test]
fn working_set_reaches_the_relu_reference_optima() {
    check_relu_references(Method::WorkingSet);
}

fn check_relu_references(method: Method) {
    let settings = SolveSettings {
        method,
        ..SolveSettings::default()
    };
    for r in common::relu_references() {
        let (name, key, ds, loss, beta) = (&r.name, &r.key, &r.ds, r.loss, r.beta);
        let (reference, scale) = (r.value, r.value.abs().max(1.0));
        let problem =
            ReluProblem::new(ds.x.clone(), ds.y.clone(), loss, beta, PatternMode::Exact).unwrap();
        let sol = solve_relu(problem, &settings, |_| std::ops::ControlFlow::Continue(())).unwrap();
        assert_eq!(sol.status, Status::Converged, "{method:?} {name} {key}");
        // The reported objective is that of a real network, recomputed independently here.
        let obj = sol.network.objective(&ds.x, &ds.y, loss, beta);
        assert!((obj - sol.bounds.upper).abs() <= 1e-12 * scale);
        assert!(
            (obj - reference).abs() <= r.tol * scale,
            "{method:?} {name} {key}: objective {obj} vs reference {reference}"
        );
        // The references are accurate to about 2e-8 relative; a certified interval may be
        // tighter than they are.
        assert!(
            sol.bounds.lower <= reference + 3e-8 * scale,
            "{name} {key}: lower bound {} above reference {reference}",
            sol.bounds.lower
        );
        assert!(sol.bounds.rel_gap() <= 1e-6);
    }
}

/// The gated ReLU program (exact gates: one per non-empty region) reproduces the independent
/// optima `gated_squared_beta*` to 1e-6 with certified lower bounds never above them, and is a
/// relaxation: never above the convex ReLU optimum of the same data and β.
#[test]
fn gated_reference_optima_are_reproduced_and_certified() {
    use convex_nn_explorer::convex::gated::GatedProblem;
    use convex_nn_explorer::solve::gated::{GatedSettings, solve_gated};
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        let exact = enumerate_exact(&ds.x).unwrap();
        for (key, value) in case.as_object().unwrap() {
            let Some(rest) = key.strip_prefix("gated_squared_beta") else {
                continue;
            };
            let beta: f64 = rest.parse().unwrap();
            let reference = value.as_f64().unwrap();
            let scale = reference.abs().max(1.0);
            let pr =
                GatedProblem::new(&ds.x, ds.y.clone(), Loss::Squared, beta, &exact, true).unwrap();
            let sol = solve_gated(pr.clone(), &GatedSettings::default(), |_| {
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
            let b = sol.bounds;
            assert_eq!(sol.status, Status::Converged, "{name} {key}: {b:?}");
            assert!(
                (b.upper - reference).abs() <= 1e-6 * scale,
                "{name} {key}: {} vs {reference}",
                b.upper
            );
            assert!(b.lower <= reference + 3e-8 * scale, "{name} {key}");
            // The objective is that of the reported blocks, recomputed.
            let obj = pr.objective(&sol.u);
            assert!((obj - b.upper).abs() <= 1e-12 * scale);
            // A relaxation of the convex ReLU program.
            let relu = case[format!("relu_squared_beta{rest}")].as_f64().unwrap();
            assert!(b.lower <= relu * (1.0 + 1e-9), "{name} {key}");
            checked += 1;
        }
    }
    assert_eq!(checked, 6, "all gated entries of reference.json");
}

/// The robust program (RC), hinge loss, reproduces the independent optima
/// `robust_hinge_eps*_beta*` to 1e-6 with certified lower bounds never above them, and ε = 0 is
/// the plain hinge program.
#[test]
fn robust_reference_optima_are_reproduced_and_certified() {
    use convex_nn_explorer::convex::robust::RobustProblem;
    use convex_nn_explorer::solve::robust::{RobustSettings, solve_robust};
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        for (key, value) in case.as_object().unwrap() {
            let Some(rest) = key.strip_prefix("robust_hinge_eps") else {
                continue;
            };
            let (eps, beta) = rest.split_once("_beta").unwrap();
            let (eps, beta): (f64, f64) = (eps.parse().unwrap(), beta.parse().unwrap());
            let reference = value.as_f64().unwrap();
            let scale = reference.abs().max(1.0);
            let pr = RobustProblem::new(&ds.x, ds.y.clone(), Loss::Hinge, beta, eps).unwrap();
            // Exact rounds from the start, and after 150 augmented-Lagrangian iterations (the
            // app's animation): both certified to the same optimum.
            for first_order_iters in [0, 150] {
                let settings = RobustSettings {
                    first_order_iters,
                    ..RobustSettings::default()
                };
                let sol = solve_robust(pr.clone(), &settings, |_| {
                    std::ops::ControlFlow::Continue(())
                })
                .unwrap();
                let b = sol.bounds;
                assert_eq!(sol.status, Status::Converged, "{name} {key}: {b:?}");
                assert!(
                    (b.upper - reference).abs() <= 1e-6 * scale,
                    "{name} {key}: {} vs {reference}",
                    b.upper
                );
                assert!(b.lower <= reference + 3e-8 * scale, "{name} {key}");
                assert!((pr.objective(&sol.blocks) - b.upper).abs() <= 1e-12 * scale);
                assert!(pr.cone_violation(&sol.blocks) <= 1e-8);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 8, "all robust entries of reference.json");
}

/// The hard-margin convex program reproduces the independent optima `maxmargin_relu` to 1e-6
/// with certified lower bounds never above them; its network, rescaled to margin 1, has the
/// reported path norm.
#[test]
fn max_margin_reference_optima_are_reproduced_and_certified() {
    use convex_nn_explorer::solve::maxmargin::{
        MaxMarginSettings, normalized_path_norm, solve_max_margin,
    };
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let Some(reference) = case["maxmargin_relu"].as_f64() else {
            continue;
        };
        let ds = load_reference(case["file"].as_str().unwrap());
        let pr = ReluProblem::new(
            ds.x.clone(),
            ds.y.clone(),
            Loss::Hinge,
            1.0,
            PatternMode::Exact,
        )
        .unwrap();
        let sol = solve_max_margin(pr, &MaxMarginSettings::default(), |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        let b = sol.bounds;
        assert_eq!(sol.status, Status::Converged, "{name}: {b:?}");
        assert!(
            (b.upper - reference).abs() <= 1e-6 * reference,
            "{name}: {} vs {reference}",
            b.upper
        );
        assert!(b.lower <= reference * (1.0 + 3e-8), "{name}");
        let p = normalized_path_norm(&sol.network, &ds.x, &ds.y);
        assert!((p - b.upper).abs() <= 1e-12 * p);
        checked += 1;
    }
    assert_eq!(checked, 2, "all maxmargin entries of reference.json");
}
