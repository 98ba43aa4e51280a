//! Reproduces the independent interior-point optima of `tests/data/reference` (copied from
//! the project's independent reference set: CVXPY + Clarabel at 1e-9, conventions of docs/math.md#conventions).

use crate::common;

use common::{load_reference, reference_json};
use convex_nn_explorer::convex::ReluProblem;
use convex_nn_explorer::geometry::{PatternMode, enumerate_exact, enumerate_oracle};
use convex_nn_explorer::model::Loss;
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
    }
}

#[test]
fn relu_reference_optima_are_reproduced_and_certified() {
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        for (key, value) in case.as_object().unwrap() {
            let Some(rest) = key.strip_prefix("relu_") else {
                continue;
            };
            let (loss, tol) = if rest.starts_with("logistic") {
                (Loss::Logistic, 1e-5)
            } else {
                assert!(rest.starts_with("squared"), "unknown key {key}");
                (Loss::Squared, 1e-6)
            };
            let beta: f64 = key.split("beta").nth(1).unwrap().parse().unwrap();
            let reference = value.as_f64().unwrap();
            let scale = reference.abs().max(1.0);
            let problem =
                ReluProblem::new(ds.x.clone(), ds.y.clone(), loss, beta, PatternMode::Exact)
                    .unwrap();
            let sol = solve_relu(problem, &SolveSettings::default(), |_| {
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
            assert_eq!(sol.status, Status::Converged, "{name} {key}");
            // The reported objective is that of a real network, recomputed independently here.
            let obj = sol.network.objective(&ds.x, &ds.y, loss, beta);
            assert!((obj - sol.bounds.upper).abs() <= 1e-12 * scale);
            assert!(
                (obj - reference).abs() <= tol * scale,
                "{name} {key}: objective {obj} vs reference {reference}"
            );
            // The references are accurate to about 2e-8 relative; a certified interval may be
            // tighter than they are.
            assert!(
                sol.bounds.lower <= reference + 3e-8 * scale,
                "{name} {key}: lower bound {} above reference {reference}",
                sol.bounds.lower
            );
            assert!(sol.bounds.rel_gap() <= 1e-6);
            checked += 1;
        }
    }
    // 2 losses × 2 β on each 30-point set, 3 β on xor_6 and spiral_8.
    assert_eq!(checked, 14, "all ReLU entries of reference.json");
}
