//! The headless interface of docs/math.md#cli-contract, run as a real process.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_convex-nn-explorer"))
}

fn reference(file: &str) -> String {
    format!(
        "{}/tests/data/reference/datasets/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn solve_json_has_the_contract_fields_and_a_checkable_objective() {
    let data = reference("spiral_30_101.csv");
    let (code, out, err) = run(&["solve", "--data", &data, "--beta", "0.1", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "model",
        "loss",
        "beta",
        "n",
        "patterns",
        "status",
        "iterations",
        "seconds",
        "objective",
        "convex_objective",
        "lower_bound",
        "certificate",
        "neurons",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["model"], "relu");
    assert_eq!(v["loss"], "squared");
    assert_eq!(v["n"], 30);
    assert_eq!(v["patterns"], 872);
    assert_eq!(v["status"], "converged");
    // Recompute the objective from the neurons, independently of the library.
    let text = std::fs::read_to_string(&data).unwrap();
    let pts: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|s| s.parse().unwrap()).collect())
        .collect();
    let neurons = v["neurons"].as_array().unwrap();
    let mut obj = 0.0;
    for p in &pts {
        let f: f64 = neurons
            .iter()
            .map(|nr| {
                let u: Vec<f64> = nr["u"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_f64().unwrap())
                    .collect();
                nr["alpha"].as_f64().unwrap() * (u[0] * p[0] + u[1] * p[1] + u[2]).max(0.0)
            })
            .sum();
        obj += 0.5 * (f - p[2]).powi(2);
    }
    for nr in neurons {
        let u2: f64 = nr["u"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_f64().unwrap().powi(2))
            .sum();
        obj += 0.05 * (u2 + nr["alpha"].as_f64().unwrap().powi(2));
    }
    let reported = v["objective"].as_f64().unwrap();
    assert!(
        (obj - reported).abs() <= 1e-9 * reported,
        "{obj} vs {reported}"
    );
    // The reference optimum (tests/data/reference): 4.555398274271234
    assert!((reported - 4.555398274271234).abs() <= 1e-6 * reported);
    assert!(v["lower_bound"].as_f64().unwrap() <= 4.555398274271234 * (1.0 + 1e-9));
}

#[test]
fn patterns_json() {
    let (code, out, _) = run(&["patterns", "--data", &reference("xor_32_202.csv"), "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["n"], 32);
    assert_eq!(v["count"], 994);
    assert_eq!(v["generators"].as_array().unwrap().len(), 994);
}

#[test]
fn generate_then_solve_round_trip() {
    let dir = std::env::temp_dir().join(format!("cnx-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (code, csv, err) = run(&["generate", "--preset", "xor", "--n", "20", "--seed", "4"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(csv.lines().count(), 21);
    let path = dir.join("xor.csv");
    std::fs::write(&path, &csv).unwrap();
    let (code, out, err) = run(&[
        "solve",
        "--data",
        path.to_str().unwrap(),
        "--loss",
        "logistic",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "converged");
    assert_eq!(v["patterns"], 20 * 20 - 20 + 2);
    // same seed, same data
    assert_eq!(
        run(&["generate", "--preset", "xor", "--n", "20", "--seed", "4"]).1,
        csv
    );
}

#[test]
fn errors_are_one_line_and_nonzero() {
    let dir = std::env::temp_dir().join(format!("cnx-cli-err-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "x1,x2,y\n0.1,0.2,1\n0.3,abc,1\n").unwrap();
    let ragged = dir.join("ragged.csv");
    std::fs::write(&ragged, "0.1,0.2,1\n0.3,1\n").unwrap();
    let sine = reference("sine_30_505.csv");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["solve", "--data", bad.to_str().unwrap()], ":3:"),
        (vec!["solve", "--data", ragged.to_str().unwrap()], ":2:"),
        (
            vec!["solve", "--data", "/no/such/file.csv"],
            "/no/such/file.csv",
        ),
        (vec!["solve"], "--data"),
        (
            vec!["solve", "--data", bad.to_str().unwrap(), "--beta", "-1"],
            "beta",
        ),
        (
            vec!["solve", "--data", bad.to_str().unwrap(), "--loss", "l2"],
            "--loss",
        ),
        (
            vec![
                "solve",
                "--data",
                bad.to_str().unwrap(),
                "--patterns",
                "some",
            ],
            "--patterns",
        ),
        (vec!["solve", "--frobnicate"], "--frobnicate"),
        (vec!["generate", "--preset", "nope"], "--preset"),
        (vec!["generate", "--preset", "xor", "--n", "0"], "n"),
        (vec!["solve", "--data", &sine, "--loss", "hinge"], "±1"),
        (vec!["florp"], "florp"),
        (
            vec!["sgd", "--data", bad.to_str().unwrap(), "--width", "2"],
            ":3:",
        ),
    ];
    for (args, needle) in cases {
        let (code, out, err) = run(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn sgd_json_certifies_every_run() {
    let data = reference("xor_32_202.csv");
    let (code, out, err) = run(&[
        "sgd", "--data", &data, "--width", "3", "--seeds", "4", "--epochs", "300", "--lr", "0.02",
        "--loss", "logistic", "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    // the reference optimum of xor_32_202, logistic, β = 0.1 (tests/data/reference)
    let opt = 8.392461581232105;
    let lb = v["optimum_lower_bound"].as_f64().unwrap();
    assert!(lb <= opt * (1.0 + 1e-9) && lb >= opt * (1.0 - 1e-6), "{lb}");
    for (k, r) in runs.iter().enumerate() {
        assert_eq!(r["seed"], k as u64);
        let obj = r["objective"].as_f64().unwrap();
        assert!(obj >= opt * (1.0 - 1e-9));
        assert!(r["lower_bound"].as_f64().unwrap() <= obj);
        assert!(!r["history"].as_array().unwrap().is_empty());
        assert_eq!(r["neurons"].as_array().unwrap().len(), 3);
    }
    let best = v["best"].as_f64().unwrap();
    assert!(
        runs.iter()
            .any(|r| r["objective"].as_f64().unwrap() == best)
    );
    let (code, _, err) = run(&["sgd", "--data", &data]);
    assert_ne!(code, 0);
    assert!(err.contains("--width"), "{err}");
    let (code, _, err) = run(&[
        "sgd",
        "--data",
        &data,
        "--width",
        "2",
        "--optimizer",
        "rmsprop",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("--optimizer"), "{err}");
}

/// `solve --model poly` (docs/math.md#cli-contract): the contract fields, an objective recomputed here from the
/// reported neurons with σ(t) = a t² + b t + c, unit-norm neurons, a certified gap, and the
/// reference optimum of `tests/data/reference`.
#[test]
fn solve_poly_json_is_checkable_and_matches_the_reference() {
    let data = reference("xor_32_202.csv");
    let (code, out, err) = run(&[
        "solve",
        "--data",
        &data,
        "--model",
        "poly",
        "--poly",
        "0.09,0.5,0.47",
        "--beta",
        "0.1",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "model",
        "loss",
        "beta",
        "n",
        "status",
        "iterations",
        "seconds",
        "objective",
        "convex_objective",
        "lower_bound",
        "certificate",
        "neurons",
        "poly",
        "lifted",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["model"], "poly");
    assert_eq!(v["status"], "converged");
    let text = std::fs::read_to_string(&data).unwrap();
    let pts: Vec<[f64; 3]> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<f64> = l.split(',').filter_map(|s| s.trim().parse().ok()).collect();
            (f.len() == 3).then(|| [f[0], f[1], f[2]])
        })
        .collect();
    assert_eq!(pts.len(), 32);
    let sigma = |t: f64| 0.09 * t * t + 0.5 * t + 0.47;
    let neurons = v["neurons"].as_array().unwrap();
    let mut obj = 0.0;
    for p in &pts {
        let f: f64 = neurons
            .iter()
            .map(|n| {
                let u: Vec<f64> = n["u"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_f64().unwrap())
                    .collect();
                n["alpha"].as_f64().unwrap() * sigma(u[0] * p[0] + u[1] * p[1] + u[2])
            })
            .sum();
        obj += 0.5 * (f - p[2]).powi(2);
    }
    for n in neurons {
        let u: Vec<f64> = n["u"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_f64().unwrap())
            .collect();
        assert!(((u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt() - 1.0).abs() < 1e-9);
        obj += 0.1 * n["alpha"].as_f64().unwrap().abs();
    }
    let reported = v["objective"].as_f64().unwrap();
    assert!(
        (obj - reported).abs() < 1e-9 * reported,
        "{obj} vs {reported}"
    );
    // reference.json: xor_32_202 poly_relu_approx_squared_beta0.1.
    assert!((reported - 10.726986299493174).abs() < 1e-5 * reported);
    assert!(v["lower_bound"].as_f64().unwrap() <= 10.726986299493174 + 1e-8);
}

#[test]
fn solve_poly_multiclass_nuclear_and_errors() {
    let dir = std::env::temp_dir().join(format!("cnx-cli-poly-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("blobs3.csv");
    let (code, csv, err) = run(&["generate", "--preset", "blobs3", "--n", "45", "--seed", "4"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&file, csv).unwrap();
    let f = file.to_str().unwrap();
    let (code, out, err) = run(&[
        "solve",
        "--data",
        f,
        "--model",
        "poly",
        "--multiclass",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["outputs"], 3);
    assert_eq!(v["status"], "converged");
    assert_eq!(v["lifted"].as_array().unwrap().len(), 3);
    let outputs: std::collections::BTreeSet<u64> = v["neurons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["output"].as_u64().unwrap())
        .collect();
    assert_eq!(outputs.len(), 3, "neurons for every class");
    assert!(v["lower_bound"].as_f64().unwrap() <= v["objective"].as_f64().unwrap());

    let xor = reference("xor_32_202.csv");
    let (code, out, err) = run(&[
        "solve",
        "--data",
        &xor,
        "--model",
        "poly",
        "--poly",
        "square",
        "--regularizer",
        "nuclear",
        "--beta",
        "0.01",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // reference.json: xor_32_202 poly_square_squared_beta0.01.
    assert!((v["objective"].as_f64().unwrap() - 8.381348059959645).abs() < 1e-5 * 8.4);
    assert!(v["neurons"].as_array().unwrap().len() <= 3);

    for (args, needle) in [
        (vec!["--poly", "1,2"], "--poly"),
        (vec!["--poly", "nan,0,0"], "finite"),
        (vec!["--regularizer", "nuclear"], "square"),
        (vec!["--regularizer", "weight-decay"], "NP-hard"),
        (vec!["--regularizer", "l2"], "--regularizer"),
        (vec!["--loss", "hinge"], "±1"),
    ] {
        let mut all = vec!["solve", "--data", &xor, "--model", "poly"];
        all.extend(args.iter());
        let sine = reference("sine_30_505.csv");
        if needle == "±1" {
            all[2] = &sine;
        }
        let (code, out, err) = run(&all);
        assert_ne!(code, 0, "{all:?}");
        assert!(out.is_empty());
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{all:?}: {err}");
    }
}

/// `sgd --model poly`: every run is certified against the SDP and never beats its optimum; weight
/// decay with σ = t² is certified through the rescaled network, with b ≠ 0 it is uncertified.
#[test]
fn sgd_poly_runs_are_certified_against_the_sdp() {
    let data = reference("xor_32_202.csv");
    let base = [
        "sgd",
        "--model",
        "poly",
        "--data",
        &data,
        "--width",
        "4",
        "--seeds",
        "3",
        "--epochs",
        "800",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--json",
    ];
    for (extra, certified) in [
        (vec!["--poly", "relu"], true),
        (
            vec!["--poly", "square", "--regularizer", "weight-decay"],
            true,
        ),
        (
            vec!["--poly", "relu", "--regularizer", "weight-decay"],
            false,
        ),
    ] {
        let mut all: Vec<&str> = base.to_vec();
        all.extend(extra.iter());
        let (code, out, err) = run(&all);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let lo = v["optimum_lower_bound"].as_f64().unwrap();
        let up = v["optimum_upper_bound"].as_f64().unwrap();
        assert!(lo <= up && (up - lo) <= 1e-6 * up);
        let runs = v["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 3);
        for r in runs {
            assert_eq!(r["lower_bound"].is_f64(), certified, "{extra:?}");
            if certified {
                let l1 = r["l1_objective"].as_f64().unwrap();
                assert!(
                    l1 >= lo * (1.0 - 1e-9),
                    "{extra:?}: {l1} below the optimum {lo}"
                );
                assert!(r["lower_bound"].as_f64().unwrap() <= up * (1.0 + 1e-9));
            }
        }
    }
    let (code, _, err) = run(&["sgd", "--model", "path9", "--data", &data, "--width", "2"]);
    assert_ne!(code, 0);
    assert!(err.contains("--model"));
}

/// Every subcommand answers --help with the usage text and exit code 0.
#[test]
fn every_subcommand_answers_help() {
    for sub in ["solve", "sgd", "patterns", "generate"] {
        let (code, out, err) = run(&[sub, "--help"]);
        assert_eq!(code, 0, "{sub}: {err}");
        assert!(
            out.contains("USAGE:") && out.contains("convex-nn-explorer solve"),
            "{sub}"
        );
    }
}

/// Readable one-line errors for an empty --data and an absurd preset noise (no 300-digit
/// numbers).
#[test]
fn empty_data_path_and_huge_noise_are_named() {
    let (code, _, err) = run(&["solve", "--data", ""]);
    assert_ne!(code, 0);
    assert!(err.contains("--data is empty"), "{err}");
    let (code, _, err) = run(&["generate", "--preset", "xor", "--noise", "1e308"]);
    assert_ne!(code, 0);
    assert!(err.contains("noise") && err.len() < 200, "{err}");
}

/// `solve --model gated-relu`: the contract fields; the objective recomputed here from the
/// reported gates; the reference optimum; the decomposed ReLU network's objective recomputed
/// from its neurons and never below the ReLU optimum; bad input named.
#[test]
fn solve_gated_json_is_checkable() {
    let data = reference("sine_30_505.csv");
    let (code, out, err) = run(&[
        "solve",
        "--model",
        "gated-relu",
        "--data",
        &data,
        "--beta",
        "0.1",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["model"], "gated-relu");
    assert_eq!(v["status"], "converged");
    let ds = crate::common::load_reference("datasets/sine_30_505.csv");
    // Objective from the gates: Σ_j ½(Σ_i 1[x̃ⱼᵀgᵢ > 0] x̃ⱼᵀuᵢ − yⱼ)² + β Σ‖uᵢ‖.
    let gates: Vec<([f64; 3], [f64; 3])> = v["neurons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let a = |k: &str| -> [f64; 3] {
                let w = g[k].as_array().unwrap();
                [0, 1, 2].map(|i| w[i].as_f64().unwrap())
            };
            (a("gate"), a("u"))
        })
        .collect();
    let dot = |a: &[f64; 3], b: &[f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let mut obj = 0.0;
    for (p, y) in ds.x.iter().zip(&ds.y) {
        let xt = [p[0], p[1], 1.0];
        let f: f64 = gates
            .iter()
            .filter(|(g, _)| dot(&xt, g) > 0.0)
            .map(|(_, u)| dot(&xt, u))
            .sum();
        obj += 0.5 * (f - y) * (f - y);
    }
    obj += 0.1 * gates.iter().map(|(_, u)| dot(u, u).sqrt()).sum::<f64>();
    let reported = v["objective"].as_f64().unwrap();
    assert!(
        (obj - reported).abs() <= 1e-9 * reported,
        "{obj} vs {reported}"
    );
    let reference =
        crate::common::reference_json()["cases"]["sine_30_505"]["gated_squared_beta0.1"]
            .as_f64()
            .unwrap();
    assert!((reported - reference).abs() <= 1e-6 * reference);
    assert!(v["lower_bound"].as_f64().unwrap() <= reference * (1.0 + 2e-8));
    // The decomposed network: its objective from its neurons, at least the ReLU optimum.
    let rn = &v["relu_network"];
    let mut relu_obj = 0.0;
    for (p, y) in ds.x.iter().zip(&ds.y) {
        let xt = [p[0], p[1], 1.0];
        let f: f64 = rn["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|nr| {
                let u = nr["u"].as_array().unwrap();
                let u = [0, 1, 2].map(|i| u[i].as_f64().unwrap());
                nr["alpha"].as_f64().unwrap() * dot(&xt, &u).max(0.0)
            })
            .sum();
        relu_obj += 0.5 * (f - y) * (f - y);
    }
    relu_obj += 0.1
        * rn["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|nr| {
                let u = nr["u"].as_array().unwrap();
                let nu: f64 = (0..3).map(|i| u[i].as_f64().unwrap().powi(2)).sum();
                0.5 * (nu + nr["alpha"].as_f64().unwrap().powi(2))
            })
            .sum::<f64>();
    let relu_reported = rn["objective"].as_f64().unwrap();
    assert!((relu_obj - relu_reported).abs() <= 1e-8 * relu_reported);
    let relu_ref = crate::common::reference_json()["cases"]["sine_30_505"]["relu_squared_beta0.1"]
        .as_f64()
        .unwrap();
    assert!(relu_reported >= relu_ref * (1.0 - 1e-9));
    assert!(rn["max_prediction_difference"].as_f64().unwrap() <= 1e-10);
    for bad in [
        vec!["--patterns", "sampled:0"],
        vec!["--beta", "0"],
        vec!["--beta", "-1"],
    ] {
        let mut args = vec!["solve", "--model", "gated-relu", "--data", &data];
        args.extend(bad.iter());
        let (code, out, err) = run(&args);
        assert_ne!(code, 0, "{bad:?}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{bad:?}: {err}");
    }
}

/// `solve --solver al`: the augmented Lagrangian driver reaches the ReLU reference optimum, says
/// which solver ran, and `--solver` is refused for other models and for unknown names.
#[test]
fn solve_with_the_augmented_lagrangian() {
    let data = reference("xor_32_202.csv");
    let (code, out, err) = run(&[
        "solve", "--data", &data, "--beta", "0.1", "--solver", "al", "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["solver"], "al");
    assert_eq!(v["status"], "converged");
    assert_eq!(v["admm_iterations"], 0);
    assert!(v["first_order_iterations"].as_u64().unwrap() >= 1);
    let reference = crate::common::reference_json()["cases"]["xor_32_202"]["relu_squared_beta0.1"]
        .as_f64()
        .unwrap();
    let obj = v["objective"].as_f64().unwrap();
    assert!((obj - reference).abs() <= 1e-6 * reference);
    for args in [
        vec!["--solver", "newton"],
        vec!["--solver", "al", "--model", "gated-relu"],
    ] {
        let mut all = vec!["solve", "--data", &data];
        all.extend(args.iter());
        let (code, _, err) = run(&all);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains("--solver"), "{args:?}: {err}");
    }
}

/// `solve --model robust-relu`: the reference optimum, the exact worst-case loss of the printed
/// neurons equal to the objective's loss term, and bad ε named.
#[test]
fn solve_robust_json_is_checkable() {
    let data = reference("spiral_30_101.csv");
    let (code, out, err) = run(&[
        "solve",
        "--model",
        "robust-relu",
        "--data",
        &data,
        "--epsilon",
        "0.05",
        "--beta",
        "0.1",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["model"], "robust-relu");
    assert_eq!(v["status"], "converged");
    assert_eq!(v["eps"], 0.05);
    let reference =
        crate::common::reference_json()["cases"]["spiral_30_101"]["robust_hinge_eps0.05_beta0.1"]
            .as_f64()
            .unwrap();
    let obj = v["objective"].as_f64().unwrap();
    assert!(
        (obj - reference).abs() <= 1e-6 * reference,
        "{obj} vs {reference}"
    );
    assert!(v["lower_bound"].as_f64().unwrap() <= reference * (1.0 + 3e-8));
    let usable = v["usable_patterns"].as_u64().unwrap();
    assert!(usable >= 1 && usable < v["patterns"].as_u64().unwrap());
    // objective = exact worst-case loss + β Σ ‖u‖|α| of the printed neurons.
    let pen: f64 = v["neurons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let u = n["u"].as_array().unwrap();
            let nu: f64 = (0..3)
                .map(|i| u[i].as_f64().unwrap().powi(2))
                .sum::<f64>()
                .sqrt();
            nu * n["alpha"].as_f64().unwrap().abs()
        })
        .sum();
    let wc = v["robust_loss_exact"].as_f64().unwrap();
    assert!((wc + 0.1 * pen - obj).abs() <= 1e-9 * obj);
    let acc = v["robust_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc) && acc <= v["accuracy"].as_f64().unwrap());
    for eps in ["-0.1", "nan", "1e9"] {
        let (code, _, err) = run(&[
            "solve",
            "--model",
            "robust-relu",
            "--data",
            &data,
            "--epsilon",
            eps,
        ]);
        assert_ne!(code, 0, "{eps}");
        assert!(err.contains("epsilon"), "{eps}: {err}");
        assert_eq!(err.trim().lines().count(), 1);
    }
}

/// `sgd --adversarial pgd --epsilon E`: every run carries its exact worst-case loss and robust
/// accuracy; `--adversarial` without `--epsilon` is named.
#[test]
fn sgd_adversarial_runs_report_their_exact_worst_case() {
    let data = reference("xor_32_202.csv");
    let (code, out, err) = run(&[
        "sgd",
        "--data",
        &data,
        "--width",
        "8",
        "--seeds",
        "2",
        "--epochs",
        "200",
        "--loss",
        "hinge",
        "--adversarial",
        "pgd",
        "--epsilon",
        "0.05",
        "--no-optimum",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["adversarial"], "pgd");
    assert_eq!(v["eps"], 0.05);
    for r in v["runs"].as_array().unwrap() {
        let l = r["robust_loss_exact"].as_f64().unwrap();
        let plain = r["history"].as_array().unwrap().last().unwrap()["loss"]
            .as_f64()
            .unwrap();
        assert!(
            l >= plain - 1e-9,
            "the worst case is at least the clean loss"
        );
        assert!((0.0..=1.0).contains(&r["robust_accuracy"].as_f64().unwrap()));
    }
    let (code, _, err) = run(&[
        "sgd",
        "--data",
        &data,
        "--width",
        "2",
        "--adversarial",
        "pgd",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("--epsilon"), "{err}");
}

/// `solve --model max-margin`: the reference optimum, the printed network's normalized path
/// norm recomputed here, the margin as its inverse; a point with both labels is refused.
#[test]
fn solve_max_margin_json_is_checkable() {
    let data = reference("spiral_30_101.csv");
    let (code, out, err) = run(&["solve", "--model", "max-margin", "--data", &data, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "converged");
    let reference = crate::common::reference_json()["cases"]["spiral_30_101"]["maxmargin_relu"]
        .as_f64()
        .unwrap();
    let obj = v["objective"].as_f64().unwrap();
    assert!((obj - reference).abs() <= 1e-6 * reference);
    assert!((v["margin"].as_f64().unwrap() * obj - 1.0).abs() <= 1e-12);
    let ds = crate::common::load_reference("datasets/spiral_30_101.csv");
    let neurons: Vec<([f64; 3], f64)> = v["neurons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let u = n["u"].as_array().unwrap();
            (
                [0, 1, 2].map(|i| u[i].as_f64().unwrap()),
                n["alpha"].as_f64().unwrap(),
            )
        })
        .collect();
    let margin =
        ds.x.iter()
            .zip(&ds.y)
            .map(|(p, y)| {
                y * neurons
                    .iter()
                    .map(|(u, a)| a * (u[0] * p[0] + u[1] * p[1] + u[2]).max(0.0))
                    .sum::<f64>()
            })
            .fold(f64::INFINITY, f64::min);
    let path: f64 = neurons
        .iter()
        .map(|(u, a)| (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt() * a.abs())
        .sum();
    assert!(
        (path / margin - obj).abs() <= 1e-9 * obj,
        "{} vs {obj}",
        path / margin
    );
    let dir = std::env::temp_dir().join("cnx_both_labels.csv");
    std::fs::write(&dir, "0,0,1\n0,0,-1\n1,1,1\n").unwrap();
    let (code, _, err) = run(&[
        "solve",
        "--model",
        "max-margin",
        "--data",
        dir.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("both labels"), "{err}");
}

/// `solve --prune`: the same objective (1e-9) with fewer, at most n, neurons.
#[test]
fn solve_prune_keeps_the_objective_with_fewer_neurons() {
    let data = reference("xor_32_202.csv");
    let run_json = |extra: &[&str]| {
        let mut args = vec!["solve", "--data", &data, "--beta", "0.01", "--json"];
        args.extend(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let full = run_json(&[]);
    let pruned = run_json(&["--prune"]);
    let (a, b) = (
        full["objective"].as_f64().unwrap(),
        pruned["objective"].as_f64().unwrap(),
    );
    // Pruning never raises the objective, and nothing goes below the certified lower bound.
    assert!(b <= a * (1.0 + 1e-12), "{a} vs {b}");
    assert!(b >= full["lower_bound"].as_f64().unwrap() * (1.0 - 1e-12));
    assert!((a - b).abs() <= 1e-6 * a, "{a} vs {b}");
    let w = pruned["neurons"].as_array().unwrap().len();
    assert!(w <= 32 && w < full["neurons"].as_array().unwrap().len());
    assert_eq!(
        pruned["width_before_pruning"],
        full["neurons"].as_array().unwrap().len()
    );
}

/// `sgd --model max-margin`: normalized margins never above the certified best (a theorem), and
/// the certificate ratio of the dual estimate at least 1, on both losses; a loss without a
/// max-margin limit or a β > 0 is refused.
#[test]
fn sgd_max_margin_runs_never_beat_the_best_margin() {
    let data = reference("xor_6.csv");
    for (flag, value) in [
        ("--loss", "squared"),
        ("--loss", "hinge"),
        ("--beta", "0.1"),
    ] {
        let (code, _, err) = run(&[
            "sgd",
            "--model",
            "max-margin",
            "--data",
            &data,
            "--width",
            "4",
            flag,
            value,
        ]);
        assert_eq!(code, 2, "{flag} {value}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(flag), "{err}");
    }
    for loss in ["logistic", "exponential"] {
        let (code, out, err) = run(&[
            "sgd",
            "--model",
            "max-margin",
            "--data",
            &data,
            "--width",
            "4",
            "--seeds",
            "3",
            "--epochs",
            "20000",
            "--lr",
            "0.1",
            "--init-scale",
            "0.01",
            "--history-every",
            "5000",
            "--loss",
            loss,
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["loss"], loss);
        let lo = v["optimum_lower_bound"].as_f64().unwrap();
        for r in v["runs"].as_array().unwrap() {
            let m = r["normalized_margin"].as_f64().unwrap();
            assert!(
                m * lo <= 1.0 + 1e-9,
                "a margin above the certified best: {m}"
            );
            assert!(r["certificate_ratio"].as_f64().unwrap() >= 1.0 - 1e-9);
            // Pattern tracking: every 5000 epochs, the patterns used and those of the optimum.
            let h = r["history"].as_array().unwrap();
            assert_eq!(h.len(), 4);
            for p in h {
                assert!(p["patterns_in_optimum"].as_u64() <= p["patterns_used"].as_u64());
                assert!(
                    p["patterns_used"].as_u64().unwrap() <= 4,
                    "at most one per neuron"
                );
            }
        }
    }
}

/// Sizes beyond the limits (the library's `limits` module) are one-line errors, never an abort
/// or an endless run: a 10⁹-neuron network, 10¹¹ points, 10⁸ sampled patterns, 10⁶ seeds, and
/// an endless input stream.
#[test]
fn sizes_beyond_the_limits_are_refused() {
    let data = reference("xor_6.csv");
    let cases: Vec<Vec<&str>> = vec![
        vec!["sgd", "--data", &data, "--width", "1000000000"],
        vec!["sgd", "--data", &data, "--width", "2", "--seeds", "1000000"],
        vec![
            "sgd",
            "--data",
            &data,
            "--width",
            "2",
            "--epochs",
            "1000000000000",
        ],
        vec!["generate", "--preset", "xor", "--n", "100000000000"],
        vec!["solve", "--data", &data, "--patterns", "sampled:100000000"],
        vec!["solve", "--data", "/dev/zero"],
    ];
    for args in cases {
        let t0 = std::time::Instant::now();
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(t0.elapsed().as_secs() < 20, "{args:?} took too long");
    }
}

/// Numbers that would overflow are refused up front or reported as errors, never printed as
/// `null` after exit 0: targets near 1e308, coordinates near ±1.7e308, β = 5e-324, a learning
/// rate of 1e10, an initialization scale of 1e308, and a run that diverges within the limits.
#[test]
fn overflowing_numbers_are_errors_not_nulls() {
    let dir = std::env::temp_dir();
    let big_y = dir.join("cnx_big_targets.csv");
    std::fs::write(&big_y, "0,0,1e308\n1,0,-1e308\n0,1,1e308\n1,1,2\n").unwrap();
    let big_x = dir.join("cnx_big_coords.csv");
    std::fs::write(&big_x, "1.7e308,1.7e308,1\n-1.7e308,1e308,-1\n0,0,1\n").unwrap();
    let xor = reference("xor_6.csv");
    let spiral = reference("spiral_30_101.csv");
    let (by, bx) = (big_y.to_str().unwrap(), big_x.to_str().unwrap());
    let cases: Vec<Vec<&str>> = vec![
        vec!["solve", "--data", by, "--json"],
        vec!["patterns", "--data", bx, "--json"],
        vec!["solve", "--data", &xor, "--beta", "5e-324", "--json"],
        vec![
            "sgd", "--data", &xor, "--width", "2", "--lr", "1e10", "--json",
        ],
        vec![
            "sgd",
            "--data",
            &xor,
            "--width",
            "2",
            "--init-scale",
            "1e308",
            "--json",
        ],
        vec![
            "sgd",
            "--data",
            &spiral,
            "--width",
            "20",
            "--lr",
            "900",
            "--epochs",
            "50",
            "--no-optimum",
            "--json",
        ],
    ];
    for args in cases {
        let (code, out, err) = run(&args);
        assert_ne!(code, 0, "{args:?}: exit 0 with {out}");
        assert!(!out.contains("null"), "{args:?}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}

/// At a tiny objective (β = 1e-8) "converged" means the absolute gap is below the tolerance: the
/// JSON carries that absolute gap and the text says what fraction of the objective it is.
#[test]
fn tiny_objectives_report_the_absolute_gap() {
    let data = reference("xor_6.csv");
    let (code, out, err) = run(&["solve", "--data", &data, "--beta", "1e-8", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (obj, lo) = (
        v["objective"].as_f64().unwrap(),
        v["lower_bound"].as_f64().unwrap(),
    );
    assert!(obj < 1.0);
    assert!((v["gap"].as_f64().unwrap() - (obj - lo)).abs() <= 1e-15);
    let (_, text, _) = run(&["solve", "--data", &data, "--beta", "1e-8"]);
    assert!(text.contains("the stop rule is the absolute gap"), "{text}");
}

/// Near-duplicate points and badly scaled data are named in `solve`'s report with the remedy;
/// well-conditioned data get no warning.
#[test]
fn badly_conditioned_data_are_named() {
    let dir = std::env::temp_dir();
    let near = dir.join("cnx_near_twins.csv");
    std::fs::write(&near, "0,0,1\n1e-12,0,1\n1,1,-1\n0.5,-0.3,-1\n-0.2,0.8,1\n").unwrap();
    let (code, out, err) = run(&["solve", "--data", near.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1);
    assert!(w[0].as_str().unwrap().contains("points 1 and 2"), "{w:?}");
    let scaled = dir.join("cnx_badly_scaled.csv");
    std::fs::write(&scaled, "0,0,1\n1e5,2,1\n3,1e5,-1\n5,5,-1\n").unwrap();
    let (_, out, _) = run(&["solve", "--data", scaled.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["warnings"][0].as_str().unwrap().contains("standardize"));
    let (_, out, _) = run(&["solve", "--data", &reference("xor_6.csv"), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["warnings"].as_array().unwrap().is_empty());
}

/// `sgd --no-optimum` leaves the optimum's upper bound out instead of printing `null`; without
/// `--lr` the step is 0.3/n, stable at n = 400, where a fixed 0.01 makes a run's objective grow
/// (reported per run as diverged).
#[test]
fn sgd_defaults_are_stable_and_never_null() {
    let dir = std::env::temp_dir().join("cnx_spiral400.csv");
    let (code, csv, err) = run(&["generate", "--preset", "spiral", "--n", "400"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&dir, csv).unwrap();
    let path = dir.to_str().unwrap();
    let sgd = |extra: &[&str]| {
        let mut args = vec![
            "sgd",
            "--data",
            path,
            "--width",
            "10",
            "--epochs",
            "300",
            "--seeds",
            "2",
            "--no-optimum",
            "--json",
        ];
        args.extend(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        assert!(!out.contains("null"), "{out}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let v = sgd(&[]);
    assert!((v["lr"].as_f64().unwrap() - 0.3 / 400.0).abs() < 1e-15);
    let runs = |v: &serde_json::Value, diverged: bool| {
        v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["diverged"] == diverged)
            .count()
    };
    assert_eq!(runs(&v, true), 0, "the default step diverged");
    let v = sgd(&["--lr", "0.01"]);
    assert!(
        runs(&v, true) >= 1,
        "a fixed 0.01 at n = 400 is reported as diverged"
    );
}

/// `solve --model path3`: the reference optimum, certified, with an objective a reader can
/// recompute from the printed sub-networks, below the certified two-layer optimum; larger data
/// and other losses are refused with the limit named.
#[test]
fn solve_path3_reproduces_the_reference_and_refuses_large_data() {
    let data = reference("xor_6.csv");
    let (code, out, err) = run(&[
        "solve", "--model", "path3", "--data", &data, "--beta", "0.1", "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let expected = 0.5998306892743928;
    let obj = v["objective"].as_f64().unwrap();
    assert!((obj - expected).abs() <= 1e-6 * expected, "{obj}");
    assert_eq!(v["certified"], true);
    assert!(v["lower_bound"].as_f64().unwrap() <= expected * (1.0 + 2e-8));
    let two = v["two_layer_optimum"]["lower_bound"].as_f64().unwrap();
    assert!(
        two >= obj,
        "two-layer {two} below the three-layer optimum {obj}"
    );
    // The objective from the printed network.
    let ds = crate::common::load_reference("datasets/xor_6.csv");
    let own = path3_objective(&v, &ds, 0.1);
    assert!((own - obj).abs() <= 1e-9 * obj);
    for args in [
        vec![
            "solve",
            "--model",
            "path3",
            "--data",
            &reference("spiral_30_101.csv"),
            "--patterns",
            "exact",
        ],
        vec![
            "solve", "--model", "path3", "--data", &data, "--loss", "logistic",
        ],
        vec!["solve", "--model", "path3", "--data", &data, "--beta", "0"],
        vec!["solve", "--model", "path3", "--data", &data, "--beta", "-1"],
        vec![
            "solve",
            "--model",
            "path3",
            "--data",
            &data,
            "--patterns",
            "sampled:50",
        ],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let (_, _, err) = run(&[
        "solve",
        "--model",
        "path3",
        "--data",
        &reference("spiral_30_101.csv"),
        "--patterns",
        "exact",
    ]);
    assert!(err.contains("at most 10 points"), "{err}");
}

/// `sgd --model path3`: every run's exact objective is at least the certified lower bound.
#[test]
fn sgd_path3_runs_stay_above_the_certified_optimum() {
    let data = reference("xor_6.csv");
    let (code, out, err) = run(&[
        "sgd",
        "--model",
        "path3",
        "--data",
        &data,
        "--beta",
        "0.1",
        "--width",
        "6",
        "--inner",
        "4",
        "--seeds",
        "2",
        "--epochs",
        "1500",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let lo = v["optimum_lower_bound"].as_f64().unwrap();
    for r in v["runs"].as_array().unwrap() {
        let obj = r["objective"].as_f64().unwrap();
        assert!(obj >= lo * (1.0 - 1e-12), "{obj} < {lo}");
        assert!(r["rel_gap"].as_f64().unwrap() >= -1e-12);
    }
}

/// `solve --model path3` beyond the exact size: the restricted program (the default there) is
/// reported as not certified, with no lower bound, its objective is that of the printed network
/// and never above the certified two-layer optimum (its candidates include the two-layer
/// optimum's neurons).
#[test]
fn solve_path3_restricted_is_an_uncertified_upper_bound() {
    let data = reference("spiral_30_101.csv");
    let (code, out, err) = run(&[
        "solve",
        "--model",
        "path3",
        "--data",
        &data,
        "--beta",
        "0.1",
        "--patterns",
        "restricted:50",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["certified"], false);
    assert_eq!(v["pattern_mode"], "restricted:50");
    assert!(v.get("lower_bound").is_none() && v.get("rel_gap").is_none());
    let obj = v["objective"].as_f64().unwrap();
    let two = v["two_layer_optimum"]["upper_bound"].as_f64().unwrap();
    assert!(
        obj <= two * (1.0 + 1e-9),
        "{obj} above the two-layer optimum {two}"
    );
    let ds = crate::common::load_reference("datasets/spiral_30_101.csv");
    let own = path3_objective(&v, &ds, 0.1);
    assert!((own - obj).abs() <= 1e-9 * obj);
}

/// `sgd --beta 0 --loss logistic|exponential` (no model) is unregularized gradient flow: the
/// max-margin report; the exponential loss with β > 0 is refused.
#[test]
fn sgd_beta_zero_is_gradient_flow() {
    let data = reference("xor_6.csv");
    for loss in ["logistic", "exponential"] {
        let (code, out, err) = run(&[
            "sgd",
            "--data",
            &data,
            "--width",
            "4",
            "--beta",
            "0",
            "--loss",
            loss,
            "--epochs",
            "2000",
            "--lr",
            "0.1",
            "--init-scale",
            "0.01",
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["model"], "max-margin");
        assert_eq!(v["loss"], loss);
        assert!(v["runs"][0]["normalized_margin"].as_f64().is_some());
    }
    let (code, _, err) = run(&[
        "sgd",
        "--data",
        &data,
        "--width",
        "4",
        "--beta",
        "0.1",
        "--loss",
        "exponential",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--beta 0"), "{err}");
}

/// `½‖f(X) − y‖² + β Σ|a||s|‖u‖` of the `subnetworks` of a `solve --model path3` report,
/// computed from the JSON alone.
fn path3_objective(
    v: &serde_json::Value,
    ds: &convex_nn_explorer::data::Dataset,
    beta: f64,
) -> f64 {
    let num = |x: &serde_json::Value| x.as_f64().unwrap();
    let subnets = v["subnetworks"].as_array().unwrap();
    let neurons = |k: &serde_json::Value| -> Vec<([f64; 3], f64)> {
        k["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                let u = n["u"].as_array().unwrap();
                ([num(&u[0]), num(&u[1]), num(&u[2])], num(&n["s"]))
            })
            .collect()
    };
    let mut loss = 0.0;
    for (p, y) in ds.x.iter().zip(&ds.y) {
        let f: f64 = subnets
            .iter()
            .map(|k| {
                let z: f64 = neurons(k)
                    .iter()
                    .map(|(u, s)| s * (u[0] * p[0] + u[1] * p[1] + u[2]).max(0.0))
                    .sum();
                num(&k["a"]) * z.max(0.0)
            })
            .sum();
        loss += 0.5 * (f - y) * (f - y);
    }
    let cost: f64 = subnets
        .iter()
        .map(|k| {
            num(&k["a"]).abs()
                * neurons(k)
                    .iter()
                    .map(|(u, s)| s.abs() * (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).sqrt())
                    .sum::<f64>()
        })
        .sum();
    loss + beta * cost
}
