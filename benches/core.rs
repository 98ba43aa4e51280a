//! Benchmarks of the convex ReLU engine: pattern enumeration, one ADMM iteration against the ~18·n·P flop
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! estimate of docs/math.md#woodbury, and wall time to a certified 1e-6 relative gap.
//! Fixed seeds and sizes are in every benchmark id. Run with `cargo bench --bench core`.

use std::hint::black_box;
use std::ops::ControlFlow;
use std::time::Duration;

use convex_nn_explorer::convex::ReluProblem;
use convex_nn_explorer::data::{LabelMode, Preset, PresetParams, generate, read_csv};
use convex_nn_explorer::geometry::patterns::enumerate_sweep;
use convex_nn_explorer::geometry::{PatternMode, enumerate_exact, enumerate_oracle};
use convex_nn_explorer::model::Loss;
use convex_nn_explorer::solve::{
    Admm, AdmmSettings, Optimizer, SgdSettings, SolveSettings, Status, solve_relu, train_seeds,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng, rngs::StdRng};

fn random_points(n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)])
        .collect()
}

fn spiral(n: usize) -> (Vec<[f64; 2]>, Vec<f64>) {
    let p = PresetParams {
        n,
        ..Preset::Spiral.default_params()
    };
    let ds = generate(Preset::Spiral, &p).unwrap_or_else(|e| panic!("spiral preset: {e}"));
    (ds.x, ds.y)
}

fn enumeration(c: &mut Criterion) {
    let mut g = c.benchmark_group("enumerate_exact");
    for n in [50usize, 100, 200] {
        let x = random_points(n, 1);
        assert_eq!(
            enumerate_exact(&x).map(|s| s.len()).ok(),
            Some(n * n - n + 2)
        );
        g.bench_with_input(BenchmarkId::new("sweep_B3/uniform_seed1", n), &x, |b, x| {
            b.iter(|| enumerate_exact(black_box(x)))
        });
    }
    // At scale: the sweep itself, without the general-position fallback (a tie would send it
    // to the O(n³ log n) oracle).
    g.sample_size(10);
    for n in [1000usize, 2000] {
        let x = random_points(n, 1);
        assert_eq!(
            enumerate_sweep(&x).map(|s| s.len()),
            Some(n * n - n + 2),
            "n = {n}: the sweep fell back"
        );
        g.bench_with_input(BenchmarkId::new("sweep_B3/uniform_seed1", n), &x, |b, x| {
            b.iter(|| enumerate_sweep(black_box(x)))
        });
    }
    let x = random_points(50, 1);
    g.bench_with_input(
        BenchmarkId::new("oracle_B2/uniform_seed1", 50),
        &x,
        |b, x| b.iter(|| enumerate_oracle(black_box(x))),
    );
    g.finish();
}

fn admm_iteration(c: &mut Criterion) {
    let mut g = c.benchmark_group("admm_iteration");
    g.measurement_time(Duration::from_secs(8));
    for n in [50usize, 100] {
        let (x, y) = spiral(n);
        let pr = ReluProblem::new(x, y, Loss::Squared, 0.1, PatternMode::Exact)
            .unwrap_or_else(|e| panic!("{e}"));
        let p = pr.p();
        // Throughput in "elements" = the ~18·n·P flop estimate of docs/math.md#woodbury, so criterion reports
        // the achieved flop rate.
        g.throughput(Throughput::Elements((18 * n * p) as u64));
        let settings = AdmmSettings {
            check_every: usize::MAX, // bounds only at iteration 1: time the pure iteration
            balance_every: 0,
            ..AdmmSettings::default()
        };
        let mut admm = Admm::new(pr, settings).unwrap_or_else(|e| panic!("{e}"));
        admm.step();
        g.bench_function(BenchmarkId::new(format!("spiral_n{n}_P{p}"), n), |b| {
            b.iter(|| black_box(admm.step()))
        });
    }
    g.finish();
}

/// What one step of the explorer costs on the problem where a user saw it being slow (xor,
/// n = 80, exact patterns): the stepper's ADMM iteration with the certified bounds the app
/// checks at every step, and the snapshot the panels draw (network, certificates, fields).
fn live_iteration(c: &mut Criterion) {
    use convex_nn_explorer::formulation::{self, ProblemInput, ViewSpec};
    let mut g = c.benchmark_group("live_iteration");
    g.sample_size(20);
    let p = PresetParams {
        n: 80,
        ..Preset::Xor.default_params()
    };
    let ds = generate(Preset::Xor, &p).unwrap_or_else(|e| panic!("xor preset: {e}"));
    let input = ProblemInput::new(ds.x.clone(), ds.y.clone(), Loss::Squared, 0.1);
    let relu = formulation::by_id("relu").unwrap_or_else(|| panic!("relu formulation"));
    let view = ViewSpec {
        extent: [-2.0, 2.0, -2.0, 2.0],
        t_max: 3.0,
        test_x: Vec::new(),
        test_y: Vec::new(),
    };
    let mut stepper = relu.build(&input).unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..20 {
        stepper.step();
    }
    let regions = input.exact().map_or(0, |e| e.len());
    // The ADMM iteration alone and with the certified bounds of every step (an exact
    // certificate of the recovered network and of ADMM's own dual point, over all regions).
    for (name, check_every) in [("admm_pure", usize::MAX), ("admm_checked", 1)] {
        let pr = ReluProblem::new(
            ds.x.clone(),
            ds.y.clone(),
            Loss::Squared,
            0.1,
            PatternMode::Exact,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let settings = AdmmSettings {
            check_every,
            balance_every: 0,
            ..AdmmSettings::default()
        };
        let mut admm = Admm::new(pr, settings).unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..20 {
            admm.step();
        }
        g.bench_function(format!("{name}/xor_n80_P{regions}"), |b| {
            b.iter(|| black_box(admm.step()))
        });
    }
    g.bench_function(format!("snapshot/xor_n80_P{regions}"), |b| {
        b.iter(|| black_box(stepper.snapshot(1, &view)))
    });
    // What the window does at maximum speed: 100 steps of the stepper (ADMM with the app's
    // certification schedule) and a snapshot every 5 (the default); divide by 100.
    g.sample_size(10);
    g.bench_function(
        format!("100_steps_snapshot_every_5/xor_n80_P{regions}"),
        |b| {
            b.iter_batched(
                || relu.build(&input).unwrap_or_else(|e| panic!("{e}")),
                |mut s| {
                    for i in 1..=100 {
                        s.step();
                        if i % 5 == 0 {
                            black_box(s.snapshot(i, &view));
                        }
                    }
                    s
                },
                criterion::BatchSize::LargeInput,
            )
        },
    );
    g.finish();
}

fn certified_solve(c: &mut Criterion) {
    let mut g = c.benchmark_group("certified_gap_1e-6");
    g.sample_size(10);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference/datasets/spiral_30_101.csv"
    );
    let ds =
        read_csv(std::path::Path::new(path), LabelMode::Auto).unwrap_or_else(|e| panic!("{e}"));
    let (x60, y60) = spiral(60);
    let cases = [
        (
            "spiral_30_101/squared_beta0.1",
            ds.x.clone(),
            ds.y.clone(),
            Loss::Squared,
            0.1,
        ),
        (
            "spiral_30_101/squared_beta0.01",
            ds.x.clone(),
            ds.y.clone(),
            Loss::Squared,
            0.01,
        ),
        (
            "spiral_30_101/logistic_beta0.1",
            ds.x.clone(),
            ds.y.clone(),
            Loss::Logistic,
            0.1,
        ),
        (
            "spiral_n60_noise0.05_seed1/squared_beta0.1",
            x60.clone(),
            y60.clone(),
            Loss::Squared,
            0.1,
        ),
        (
            "spiral_n60_noise0.05_seed1/squared_beta0.01",
            x60,
            y60,
            Loss::Squared,
            0.01,
        ),
    ];
    for (name, x, y, loss, beta) in cases {
        // Setup (pattern enumeration) is part of the measured time: it is what a user waits for.
        let run = || {
            let pr = ReluProblem::new(x.clone(), y.clone(), loss, beta, PatternMode::Exact)
                .unwrap_or_else(|e| panic!("{e}"));
            let sol = solve_relu(pr, &SolveSettings::default(), |_| ControlFlow::Continue(()))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(sol.status, Status::Converged, "{name}");
            assert!(sol.bounds.rel_gap() <= 1e-6);
            sol
        };
        let sol = run();
        eprintln!(
            "{name}: P = {}, {} ADMM iterations + {} polish rounds, rel gap {:.2e}",
            sol.blocks.len() / 2,
            sol.admm_iterations,
            sol.polish_rounds,
            sol.bounds.rel_gap()
        );
        g.bench_function(name, |b| b.iter(|| black_box(run())));
    }
    g.finish();
}

/// The gated ReLU program over exact gates (one per region) to a certified 1e-6 gap: R-FISTA
/// and the exact finish, enumeration included.
fn gated_solve(c: &mut Criterion) {
    use convex_nn_explorer::convex::gated::GatedProblem;
    use convex_nn_explorer::solve::gated::{GatedSettings, solve_gated};
    let mut g = c.benchmark_group("gated_certified_gap_1e-6");
    g.sample_size(10);
    let (x, y) = spiral(60);
    for beta in [0.1, 0.01] {
        let name = format!("spiral_n60_noise0.05_seed1/squared_beta{beta}");
        let run = || {
            let exact = enumerate_exact(&x).unwrap_or_else(|e| panic!("{e}"));
            let pr = GatedProblem::new(&x, y.clone(), Loss::Squared, beta, &exact, true)
                .unwrap_or_else(|e| panic!("{e}"));
            let sol = solve_gated(pr, &GatedSettings::default(), |_| ControlFlow::Continue(()))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(sol.status, Status::Converged, "{name}");
            assert!(sol.bounds.rel_gap() <= 1e-6);
            sol
        };
        let sol = run();
        eprintln!(
            "{name}: {} gates, {} R-FISTA iterations + {} exact rounds, rel gap {:.2e}",
            sol.u.len(),
            sol.iterations,
            sol.polish_rounds,
            sol.bounds.rel_gap()
        );
        g.bench_function(name.clone(), |b| b.iter(|| black_box(run())));
    }
    g.finish();
}

/// ADMM and the augmented Lagrangian on the same problem, in one run: to a certified 1e-6 gap
/// (each followed by the same exact polish), and first-order only to a certified 1e-2 gap.
fn admm_vs_al(c: &mut Criterion) {
    use convex_nn_explorer::solve::driver::Method;
    let mut g = c.benchmark_group("admm_vs_al");
    g.sample_size(10);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference/datasets/spiral_30_101.csv"
    );
    let ds =
        read_csv(std::path::Path::new(path), LabelMode::Auto).unwrap_or_else(|e| panic!("{e}"));
    let exact = std::sync::Arc::new(enumerate_exact(&ds.x).unwrap_or_else(|e| panic!("{e}")));
    for method in [Method::Admm, Method::Al] {
        for (what, polish, tol) in [
            ("certified_1e-6", true, 1e-6),
            ("first_order_1e-2", false, 1e-2),
        ] {
            let settings = SolveSettings {
                method,
                polish,
                tol,
                max_iter: 100_000,
                ..SolveSettings::default()
            };
            let run = || {
                let pr = ReluProblem::with_exact(
                    ds.x.clone(),
                    ds.y.clone(),
                    Loss::Squared,
                    0.1,
                    PatternMode::Exact,
                    exact.clone(),
                )
                .unwrap_or_else(|e| panic!("{e}"));
                let sol = solve_relu(pr, &settings, |_| ControlFlow::Continue(()))
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(sol.status, Status::Converged);
                sol
            };
            let sol = run();
            let name = format!("spiral_30_101_beta0.1/{}/{what}", method.name());
            eprintln!(
                "{name}: {} first-order iterations + {} polish rounds, rel gap {:.2e}",
                sol.admm_iterations,
                sol.polish_rounds,
                sol.bounds.rel_gap()
            );
            g.bench_function(name, |b| b.iter(|| black_box(run())));
        }
    }
    g.finish();
}

/// The robust program (RC), hinge loss, to a certified 1e-6 gap (usable-pattern enumeration
/// included).
fn robust_solve(c: &mut Criterion) {
    use convex_nn_explorer::convex::robust::RobustProblem;
    use convex_nn_explorer::solve::robust::{RobustSettings, solve_robust};
    let mut g = c.benchmark_group("robust_certified_gap_1e-6");
    g.sample_size(10);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference/datasets/spiral_30_101.csv"
    );
    let ds =
        read_csv(std::path::Path::new(path), LabelMode::Auto).unwrap_or_else(|e| panic!("{e}"));
    for (eps, beta) in [(0.05, 0.1), (0.05, 0.01)] {
        let name = format!("spiral_30_101/hinge_eps{eps}_beta{beta}");
        let run = || {
            let pr = RobustProblem::new(&ds.x, ds.y.clone(), Loss::Hinge, beta, eps)
                .unwrap_or_else(|e| panic!("{e}"));
            let sol = solve_robust(
                pr,
                &RobustSettings::default(),
                |_| ControlFlow::Continue(()),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(sol.status, Status::Converged, "{name}");
            sol
        };
        let sol = run();
        eprintln!(
            "{name}: {} rounds, rel gap {:.2e}",
            sol.rounds,
            sol.bounds.rel_gap()
        );
        g.bench_function(name.clone(), |b| b.iter(|| black_box(run())));
    }
    g.finish();
}

/// The hard-margin program to a certified 1e-6 gap (enumeration included).
fn max_margin_solve(c: &mut Criterion) {
    use convex_nn_explorer::solve::maxmargin::{MaxMarginSettings, solve_max_margin};
    let mut g = c.benchmark_group("max_margin_certified_gap_1e-6");
    g.sample_size(10);
    let (x, y) = spiral(60);
    let name = "spiral_n60_noise0.05_seed1";
    let run = || {
        let pr = ReluProblem::new(x.clone(), y.clone(), Loss::Hinge, 1.0, PatternMode::Exact)
            .unwrap_or_else(|e| panic!("{e}"));
        let sol = solve_max_margin(pr, &MaxMarginSettings::default(), |_| {
            ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sol.status, Status::Converged, "{name}");
        sol
    };
    let sol = run();
    eprintln!(
        "{name}: {} rounds, rel gap {:.2e}",
        sol.rounds,
        sol.bounds.rel_gap()
    );
    g.bench_function(name, |b| b.iter(|| black_box(run())));
    g.finish();
}

/// The exact path-regularized program on spiral_8 (58 first-layer regions, 255 second-layer
/// patterns: about 58 000 groups in the full program) to a certified 1e-6 gap.
fn path3_solve(c: &mut Criterion) {
    use convex_nn_explorer::solve::path3::{Path3Settings, solve_path3};
    let mut g = c.benchmark_group("path3_exact_certified_gap_1e-6");
    g.sample_size(10);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference/datasets/spiral_8.csv"
    );
    let ds = convex_nn_explorer::data::read_csv(
        std::path::Path::new(path),
        convex_nn_explorer::data::LabelMode::Auto,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let name = "spiral_8_beta0.1";
    let run = || {
        let pr = ReluProblem::new(
            ds.x.clone(),
            ds.y.clone(),
            Loss::Squared,
            0.1,
            PatternMode::Exact,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let sol = solve_path3(pr, &Path3Settings::default(), |_| ControlFlow::Continue(()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sol.status, Status::Converged, "{name}");
        sol
    };
    let sol = run();
    eprintln!(
        "{name}: {} rounds, {} groups, rel gap {:.2e}",
        sol.rounds,
        sol.groups,
        sol.bounds.rel_gap()
    );
    g.bench_function(name, |b| b.iter(|| black_box(run())));
    g.finish();
}

fn sgd_training(c: &mut Criterion) {
    let mut g = c.benchmark_group("sgd");
    g.sample_size(10);
    let (x, y) = spiral(100);
    let settings = SgdSettings {
        width: 50,
        epochs: 5000,
        lr: 0.002,
        optimizer: Optimizer::Gd,
        ..SgdSettings::default()
    };
    let seeds: Vec<u64> = (0..10).collect();
    let threads = std::thread::available_parallelism().map_or(1, |c| c.get());
    g.bench_function(
        format!("10_seeds_x_5000_gd_epochs/spiral_n100_m50/{threads}_threads"),
        |b| {
            b.iter(|| {
                train_seeds(&x, &y, Loss::Squared, 0.1, &settings, &seeds, threads, 0)
                    .unwrap_or_else(|e| panic!("{e}"))
            })
        },
    );
    g.finish();
}

/// The working-set solver (no region listed) to a certified 1e-6 gap on the spiral preset
/// (noise 0.1, β = 0.1): cold, and warm after moving one point (each iteration moves point 7
/// back or forth by (0.02, −0.01) and re-certifies). Larger sizes run once each with
/// `WS_BENCH_LARGE=400,1000` (the time is printed; criterion would repeat them ten times).
fn working_set_solve(c: &mut Criterion) {
    use convex_nn_explorer::solve::working_set::{WorkingSetSettings, WorkingSetSolver};
    let data = |n: usize| {
        let p = PresetParams {
            n,
            noise: 0.1,
            seed: 1,
        };
        let ds = generate(Preset::Spiral, &p).unwrap_or_else(|e| panic!("{e}"));
        (ds.x, ds.y)
    };
    let cold = |x: &[[f64; 2]], y: &[f64]| {
        let mut ws = WorkingSetSolver::new(
            x.to_vec(),
            y.to_vec(),
            Loss::Squared,
            0.1,
            WorkingSetSettings::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        while ws.step().is_some() {}
        assert_eq!(ws.status(), Status::Converged);
        assert!(ws.bounds().rel_gap() <= 1e-6);
        ws
    };
    if let Ok(sizes) = std::env::var("WS_BENCH_LARGE") {
        for n in sizes.split(',').filter_map(|t| t.parse::<usize>().ok()) {
            let (x, y) = data(n);
            let t = std::time::Instant::now();
            let ws = cold(&x, &y);
            eprintln!(
                "working_set spiral n = {n}: {:.2} s, {} rounds, {} blocks at the end, rel gap {:.1e}",
                t.elapsed().as_secs_f64(),
                ws.rounds(),
                ws.blocks().len(),
                ws.bounds().rel_gap()
            );
        }
    }
    let mut g = c.benchmark_group("working_set_certified_gap_1e-6");
    g.sample_size(10);
    for n in [60usize, 200] {
        let (x, y) = data(n);
        let ws = cold(&x, &y);
        eprintln!(
            "spiral n = {n}: {} rounds, {} blocks at the end",
            ws.rounds(),
            ws.blocks().len()
        );
        g.bench_function(format!("cold/spiral_n{n}_noise0.1_beta0.1"), |b| {
            b.iter(|| black_box(cold(&x, &y)))
        });
        let mut ws = ws;
        let mut moved = x.clone();
        let mut sign = 1.0;
        g.bench_function(
            format!("warm_move_one_point/spiral_n{n}_noise0.1_beta0.1"),
            |b| {
                b.iter(|| {
                    moved[7][0] += sign * 0.02;
                    moved[7][1] -= sign * 0.01;
                    sign = -sign;
                    ws.set_data(moved.clone(), y.clone())
                        .unwrap_or_else(|e| panic!("{e}"));
                    while ws.step().is_some() {}
                    assert_eq!(ws.status(), Status::Converged);
                    black_box(ws.bounds())
                })
            },
        );
    }
    g.finish();
}

criterion_group!(
    benches,
    working_set_solve,
    enumeration,
    admm_iteration,
    live_iteration,
    certified_solve,
    gated_solve,
    admm_vs_al,
    robust_solve,
    max_margin_solve,
    path3_solve,
    sgd_training
);
criterion_main!(benches);
