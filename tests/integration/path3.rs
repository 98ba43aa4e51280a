//! The path-regularized parallel three-layer network (docs/math.md#path3): the exact program
//! reproduces the reference optima with certified bounds, and its networks are real networks.

use crate::common::{load_reference, reference_json};

use std::ops::ControlFlow;

use convex_nn_explorer::convex::ReluProblem;
use convex_nn_explorer::geometry::PatternMode;
use convex_nn_explorer::model::Loss;
use convex_nn_explorer::solve::Status;
use convex_nn_explorer::solve::path3::{Path3Settings, solve_path3};

/// All six `path3_squared_beta*` references: the certified interval contains the reference
/// (to its 2e-8 accuracy), is at most 1e-6 wide, and the upper end is the objective of the
/// returned network, evaluated by its own forward pass.
#[test]
fn exact_program_reproduces_the_reference_optima() {
    let refs = reference_json();
    let mut checked = 0;
    for (name, case) in refs["cases"].as_object().unwrap() {
        let ds = load_reference(case["file"].as_str().unwrap());
        for (key, value) in case.as_object().unwrap() {
            let Some(beta) = key.strip_prefix("path3_squared_beta") else {
                continue;
            };
            let beta: f64 = beta.parse().unwrap();
            let reference = value.as_f64().unwrap();
            let pr = ReluProblem::new(
                ds.x.clone(),
                ds.y.clone(),
                Loss::Squared,
                beta,
                PatternMode::Exact,
            )
            .unwrap();
            let sol =
                solve_path3(pr, &Path3Settings::default(), |_| ControlFlow::Continue(())).unwrap();
            let b = sol.bounds;
            eprintln!(
                "{name} β = {beta}: [{:.10}, {:.10}] vs {reference:.10}, {} rounds, {} groups, \
                 {} sub-networks / {} neurons, {:.2} s",
                b.lower,
                b.upper,
                sol.rounds,
                sol.groups,
                sol.network.subnets.len(),
                sol.network.neuron_count(),
                sol.seconds
            );
            assert_eq!(sol.status, Status::Converged, "{name} β = {beta}");
            assert!(b.rel_gap() <= 1e-6);
            assert!(b.lower <= reference * (1.0 + 2e-8), "{name} β = {beta}");
            assert!(b.upper >= reference * (1.0 - 2e-8), "{name} β = {beta}");
            let own = sol.network.objective(&ds.x, &ds.y, beta);
            assert!((own - b.upper).abs() <= 1e-12 * own, "{own} vs {}", b.upper);
            // Pruned: at most n sub-networks of at most n neurons each.
            let n = ds.len();
            assert!(sol.network.subnets.len() <= n);
            assert!(sol.network.subnets.iter().all(|k| k.neurons.len() <= n));
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

/// The smooth trainer's gradient equals central finite differences of its objective `J` away
/// from the kinks, and the exact path-regularized objective of an iterate is at most `J`.
#[test]
fn smooth_form_gradient_and_objective() {
    use convex_nn_explorer::solve::SgdSettings;
    use convex_nn_explorer::solve::path3_sgd::Path3Trainer;
    let x = crate::common::random_points(7, 3);
    let y: Vec<f64> = crate::common::random_points(7, 4)
        .iter()
        .map(|p| p[0])
        .collect();
    let settings = SgdSettings {
        width: 4,
        init_scale: 0.8,
        seed: 5,
        ..SgdSettings::default()
    };
    let mut tr = Path3Trainer::new(x.clone(), y.clone(), 0.3, 3, settings).unwrap();
    assert!(tr.objective() <= tr.smooth_objective() + 1e-12);
    let g = tr.full_gradient();
    let net = tr.network();
    let h = 1e-6;
    let j_of = |net: &convex_nn_explorer::model::path3::Path3Network| {
        let loss: f64 = net
            .predict(&x)
            .iter()
            .zip(&y)
            .map(|(f, t)| 0.5 * (f - t) * (f - t))
            .sum();
        let wd: f64 = net
            .subnets
            .iter()
            .flat_map(|k| &k.neurons)
            .map(|n| n.s * n.s + n.u.iter().map(|v| v * v).sum::<f64>())
            .sum();
        loss + 0.15 * wd
    };
    let mut i = 0;
    for (k, sub) in net.subnets.iter().enumerate() {
        for (m, _) in sub.neurons.iter().enumerate() {
            for c in 0..4 {
                let bump = |d: f64| {
                    let mut nn = net.clone();
                    let nr = &mut nn.subnets[k].neurons[m];
                    if c < 3 {
                        nr.u[c] += d;
                    } else {
                        nr.s += d;
                    }
                    j_of(&nn)
                };
                let fd = (bump(h) - bump(-h)) / (2.0 * h);
                assert!(
                    (fd - g[i][c]).abs() <= 1e-5 * (1.0 + fd.abs()),
                    "sub-network {k} neuron {m} coordinate {c}: {fd} vs {}",
                    g[i][c]
                );
            }
            i += 1;
        }
    }
}

/// Trained networks never go below the certified lower bound of the exact program, and the
/// best of a few Adam seeds comes close to it (xor_6 and spiral_8, β = 0.1).
#[test]
fn trained_networks_respect_the_certified_optimum() {
    use convex_nn_explorer::solve::path3_sgd::train_path3;
    use convex_nn_explorer::solve::{Optimizer, SgdSettings};
    let beta = 0.1;
    for (file, close) in [
        ("datasets/xor_6.csv", 1.05),
        ("datasets/spiral_8.csv", 1.15),
    ] {
        let ds = load_reference(file);
        let pr = ReluProblem::new(
            ds.x.clone(),
            ds.y.clone(),
            Loss::Squared,
            beta,
            PatternMode::Exact,
        )
        .unwrap();
        let sol =
            solve_path3(pr, &Path3Settings::default(), |_| ControlFlow::Continue(())).unwrap();
        let mut best = f64::INFINITY;
        for seed in 0..4 {
            let run = train_path3(
                &ds.x,
                &ds.y,
                beta,
                6,
                SgdSettings {
                    width: 8,
                    init_scale: 0.5,
                    lr: 0.01,
                    lr_final: 1e-4,
                    epochs: 4000,
                    optimizer: Optimizer::Adam,
                    seed,
                    ..SgdSettings::default()
                },
            )
            .unwrap();
            eprintln!(
                "{file} seed {seed}: best {:.8} vs lower bound {:.8}",
                run.best, sol.bounds.lower
            );
            assert!(
                run.best >= sol.bounds.lower * (1.0 - 1e-12),
                "{file} seed {seed}"
            );
            best = best.min(run.best);
        }
        assert!(
            best <= sol.bounds.upper * close,
            "{file}: best of 4 seeds {best}"
        );
    }
}

/// The restricted program on the spiral preset with n = 60 (β = 0.1), over the two-layer
/// optimum's neurons and the Adam runs' sub-networks only: a real network whose objective is
/// never above the certified two-layer optimum (the single-neuron sub-networks are candidates).
#[test]
fn restricted_program_never_exceeds_the_two_layer_optimum() {
    use convex_nn_explorer::data::{Preset, PresetParams, generate};
    use convex_nn_explorer::formulation::path3::candidate_blocks;
    use convex_nn_explorer::solve::path3::solve_path3_restricted;
    use convex_nn_explorer::solve::{SolveSettings, solve_relu};
    let ds = generate(
        Preset::Spiral,
        &PresetParams {
            n: 60,
            noise: 0.05,
            seed: 1,
        },
    )
    .unwrap();
    let beta = 0.1;
    let pr = || {
        ReluProblem::new(
            ds.x.clone(),
            ds.y.clone(),
            Loss::Squared,
            beta,
            PatternMode::Exact,
        )
        .unwrap()
    };
    let two = solve_relu(pr(), &SolveSettings::default(), |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(two.status, Status::Converged);
    let blocks = candidate_blocks(&ds.x, &ds.y, beta, &two.network, 0).unwrap();
    let sol = solve_path3_restricted(pr(), &Path3Settings::default(), &blocks, |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    let own = sol.network.objective(&ds.x, &ds.y, beta);
    eprintln!(
        "restricted {own:.8} vs two-layer [{:.8}, {:.8}] in {:.1} s",
        two.bounds.lower, two.bounds.upper, sol.seconds
    );
    assert!(!sol.exact);
    assert!((own - sol.bounds.upper).abs() <= 1e-12 * own);
    assert!(own <= two.bounds.upper + 1e-9 * two.bounds.upper);
}

/// The comparison of the spiral figure (docs/math.md#path3) on spiral_30_101 at β = 0.01: three
/// models, each a real network whose reported objective, loss and accuracy are its own; the
/// path-regularized network is never worse than the certified two-layer optimum (the restricted
/// program's candidates include its neurons).
#[test]
fn comparison_of_the_three_models() {
    use convex_nn_explorer::formulation::ProblemInput;
    use convex_nn_explorer::formulation::path3::{COMPARED, compare_models};
    let ds = load_reference("datasets/spiral_30_101.csv");
    let input = ProblemInput::new(ds.x.clone(), ds.y.clone(), Loss::Squared, 0.01);
    let mut got = Vec::new();
    let t0 = std::time::Instant::now();
    compare_models(
        &input,
        [-1.5, 1.5, -1.5, 1.5],
        &std::sync::atomic::AtomicBool::new(false),
        |i, m| got.push((i, m)),
    )
    .unwrap();
    eprintln!("comparison in {:.1} s", t0.elapsed().as_secs_f64());
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![0, 1, 2]);
    for (i, m) in &got {
        eprintln!(
            "{}: objective {:.6}, loss {:.6}, accuracy {:.3} — {}",
            m.name, m.objective, m.loss, m.accuracy, m.how
        );
        assert_eq!(m.name, COMPARED[*i]);
        assert!(m.loss <= m.objective && m.accuracy >= 0.0 && m.accuracy <= 1.0);
    }
    assert!(got[2].1.objective <= got[0].1.objective * (1.0 + 1e-9));
    assert!(got[0].1.lower_bound.is_some() && got[2].1.lower_bound.is_none());
}
