//! Benchmarks of the polynomial model: wall time of the polynomial-activation SDP to a certified 1e-6
//! relative gap on every `poly_*` reference entry (the interior-point solver behind
//! reference.json takes ~20–30 ms per entry through Python), one SDP-ADMM iteration, and the
//! exact certificate (two 3-D trust-region problems). Run with `cargo bench --bench poly`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::ops::ControlFlow;

use convex_nn_explorer::certify::poly::certificate;
use convex_nn_explorer::convex::PolyProblem;
use convex_nn_explorer::data::{LabelMode, read_csv};
use convex_nn_explorer::model::{Loss, PolyActivation};
use convex_nn_explorer::solve::sdp::SdpAdmm;
use convex_nn_explorer::solve::{PolySettings, Status, solve_poly};
use criterion::{Criterion, criterion_group, criterion_main};

fn dataset(name: &str) -> (Vec<[f64; 2]>, Vec<f64>) {
    let path = format!(
        "{}/tests/data/reference/datasets/{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let ds = read_csv(std::path::Path::new(&path), LabelMode::Auto).unwrap();
    (ds.x, ds.y)
}

fn certified_solve(c: &mut Criterion) {
    let mut g = c.benchmark_group("poly_certified_gap_1e-6");
    g.sample_size(20);
    for name in ["sine_30_505", "spiral_30_101", "xor_32_202"] {
        let (x, y) = dataset(name);
        for (act_name, act) in [
            ("relu_approx", PolyActivation::RELU_LIKE),
            ("square", PolyActivation::SQUARE),
        ] {
            for beta in [0.01, 0.1] {
                let id = format!("{name}/{act_name}_squared_beta{beta}");
                let run = || {
                    let pr =
                        PolyProblem::new(x.clone(), y.clone(), Loss::Squared, beta, act).unwrap();
                    let sol = solve_poly(vec![pr], &PolySettings::default(), |_| {
                        ControlFlow::Continue(())
                    })
                    .unwrap();
                    assert_eq!(sol.status, Status::Converged, "{id}");
                    sol
                };
                let sol = run();
                eprintln!(
                    "{id}: {} iterations, rel gap {:.2e}, {} neurons",
                    sol.iterations,
                    sol.bounds.rel_gap(),
                    sol.networks[0].neurons.len()
                );
                g.bench_function(&id, |b| b.iter(|| black_box(run())));
            }
        }
    }
    g.finish();
}

fn iteration_and_certificate(c: &mut Criterion) {
    let (x, y) = dataset("spiral_30_101");
    let pr = PolyProblem::new(x.clone(), y, Loss::Squared, 0.1, PolyActivation::RELU_LIKE).unwrap();
    let mut admm = SdpAdmm::new(pr, 1.0, true).unwrap();
    c.bench_function("sdp_admm_iteration/spiral_30_101", |b| {
        b.iter(|| admm.step())
    });
    let v: Vec<f64> = (0..x.len()).map(|j| ((j * 7) % 5) as f64 - 2.0).collect();
    c.bench_function("poly_certificate_trs/spiral_30_101", |b| {
        b.iter(|| black_box(certificate(&x, &v, PolyActivation::RELU_LIKE)))
    });
}

criterion_group!(benches, certified_solve, iteration_and_certificate);
criterion_main!(benches);
