//! The subcommands. Results go to `out` (JSON with `--json`, a readable summary otherwise).

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Args, USAGE};
use crate::certify::kkt_report;
use crate::convex::ReluProblem;
use crate::data::{Dataset, LabelMode, Preset, PresetParams, generate, read_csv, to_csv_string};
use crate::error::{Error, Result};
use crate::geometry::{PatternMode, enumerate_exact};
use crate::model::{Loss, Neuron};
use crate::solve::{
    EpochReport, Optimizer, SgdSettings, SolveSettings, Status, solve_relu, train_seeds,
};

pub(super) fn dispatch(args: &[String], out: &mut dyn Write) -> Result<()> {
    let Some(cmd) = args.first() else {
        return Err(Error::InvalidSetting(
            "no subcommand (try `convex-nn-explorer help`)".into(),
        ));
    };
    let rest = &args[1..];
    match cmd.as_str() {
        "solve" => solve(rest, out),
        "patterns" => patterns(rest, out),
        "generate" => generate_cmd(rest, out),
        "help" | "--help" | "-h" => write_out(out, USAGE),
        "sgd" => sgd(rest, out),
        other => Err(Error::InvalidSetting(format!(
            "unknown subcommand {other:?} (expected solve, patterns, generate or help)"
        ))),
    }
}

pub(super) fn write_out(out: &mut dyn Write, text: &str) -> Result<()> {
    writeln!(out, "{text}").map_err(|e| Error::Io {
        path: "<stdout>".into(),
        source: e,
    })
}

pub(super) fn json_out<T: Serialize>(out: &mut dyn Write, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Numerical(format!("JSON encoding failed: {e}")))?;
    write_out(out, &text)
}

fn load(args: &Args) -> Result<Dataset> {
    let ds = read_csv(Path::new(args.required("--data")?), LabelMode::Auto)?;
    Ok(if args.has("--standardize") {
        ds.standardized().0
    } else {
        ds
    })
}

#[derive(Serialize)]
struct NeuronJson {
    u: [f64; 3],
    alpha: f64,
}

#[derive(Serialize)]
struct SolveJson {
    model: &'static str,
    loss: &'static str,
    beta: f64,
    n: usize,
    patterns: usize,
    pattern_mode: String,
    training_patterns: usize,
    status: &'static str,
    iterations: usize,
    admm_iterations: usize,
    polish_rounds: usize,
    seconds: f64,
    objective: f64,
    convex_objective: f64,
    lower_bound: f64,
    rel_gap: f64,
    certificate: f64,
    neurons: Vec<NeuronJson>,
}

fn solve(rest: &[String], out: &mut dyn Write) -> Result<()> {
    if Args::peek(rest, "--model") == Some("poly") {
        return super::poly::solve(rest, out);
    }
    let args = Args::parse(
        rest,
        &[
            "--data",
            "--model",
            "--loss",
            "--beta",
            "--patterns",
            "--epsilon",
            "--poly",
            "--max-iter",
            "--tol",
            "--rho",
        ],
        &["--json", "--standardize", "--no-polish"],
    )?;
    let model = args.get("--model").unwrap_or("relu");
    match model {
        "relu" => {}
        "gated-relu" | "robust-relu" | "path3" => {
            return Err(Error::InvalidSetting(format!(
                "--model {model}: not available in this version yet (only `relu` and `poly`)"
            )));
        }
        other => {
            return Err(Error::InvalidSetting(format!(
                "--model {other:?}: expected relu, gated-relu, robust-relu, poly or path3"
            )));
        }
    }
    for flag in ["--epsilon", "--poly"] {
        if args.get(flag).is_some() {
            return Err(Error::InvalidSetting(format!(
                "{flag} does not apply to --model relu"
            )));
        }
    }
    let loss = Loss::parse(args.get("--loss").unwrap_or("squared"))?;
    let beta = args.beta()?;
    let mode = PatternMode::parse(args.get("--patterns").unwrap_or("exact"))?;
    let mut settings = SolveSettings {
        max_iter: args.parsed("--max-iter", 10_000usize, "a positive integer")?,
        tol: args.parsed("--tol", 1e-6, "a positive number")?,
        polish: !args.has("--no-polish"),
        ..SolveSettings::default()
    };
    settings.admm.rho = args.parsed("--rho", settings.admm.rho, "a positive number")?;
    settings.validate()?;
    let ds = load(&args)?;
    let problem = ReluProblem::new(ds.x.clone(), ds.y.clone(), loss, beta, mode)?;
    let (n, count, training) = (problem.n(), problem.exact.len(), problem.p());
    let sol = solve_relu(problem, &settings, |_| std::ops::ControlFlow::Continue(()))?;
    // `objective` is recomputed from the reported neurons on the data as given.
    let objective = sol.network.objective(&ds.x, &ds.y, loss, beta);
    let report = SolveJson {
        model: "relu",
        loss: loss.name(),
        beta,
        n,
        patterns: count,
        pattern_mode: match mode {
            PatternMode::Exact => "exact".into(),
            PatternMode::Sampled { count, seed } => format!("sampled:{count}:{seed}"),
        },
        training_patterns: training,
        status: sol.status.name(),
        iterations: sol.admm_iterations + sol.polish_rounds,
        admm_iterations: sol.admm_iterations,
        polish_rounds: sol.polish_rounds,
        seconds: sol.seconds,
        objective,
        convex_objective: sol.convex_objective,
        lower_bound: sol.bounds.lower,
        rel_gap: sol.bounds.rel_gap(),
        certificate: sol.bounds.certificate,
        neurons: sol
            .network
            .neurons
            .iter()
            .map(|&Neuron { u, alpha }| NeuronJson { u, alpha })
            .collect(),
    };
    if args.has("--json") {
        return json_out(out, &report);
    }
    let mut text = format!(
        "convex ReLU, {} loss, beta = {}, n = {}, {} regions ({} training patterns, {})\n\
         status: {}{}\n\
         objective (network): {:.10}\n\
         lower bound:         {:.10}\n\
         certified rel. gap:  {:.3e}   certificate c(v)/beta = {:.8}\n\
         iterations: {} ADMM + {} polish rounds in {:.3} s",
        report.loss,
        beta,
        n,
        count,
        training,
        report.pattern_mode,
        report.status,
        if sol.status == Status::Converged {
            " (certified)"
        } else {
            ""
        },
        report.objective,
        report.lower_bound,
        report.rel_gap,
        report.certificate,
        report.admm_iterations,
        report.polish_rounds,
        report.seconds,
    );
    if matches!(mode, PatternMode::Sampled { .. }) && sol.status != Status::Converged {
        text.push_str(
            "\nnote: the program was restricted to the sampled patterns; the lower bound is \
             certified over all regions, so the gap shows what the missing patterns cost",
        );
    }
    text.push_str(&format!("\nneurons ({}):", report.neurons.len()));
    for nr in &report.neurons {
        text.push_str(&format!(
            "\n  u = ({:+.6}, {:+.6}, {:+.6})  alpha = {:+.6}",
            nr.u[0], nr.u[1], nr.u[2], nr.alpha
        ));
    }
    write_out(out, &text)
}

#[derive(Serialize)]
struct PatternsJson {
    n: usize,
    count: usize,
    generators: Vec<[f64; 3]>,
}

fn patterns(rest: &[String], out: &mut dyn Write) -> Result<()> {
    let args = Args::parse(rest, &["--data"], &["--json", "--standardize"])?;
    let ds = load(&args)?;
    let set = enumerate_exact(&ds.x)?;
    let report = PatternsJson {
        n: ds.len(),
        count: set.len(),
        generators: set.generators().to_vec(),
    };
    if args.has("--json") {
        return json_out(out, &report);
    }
    let general = report.n * report.n - report.n + 2;
    write_out(
        out,
        &format!(
            "n = {}: {} activation patterns (regions of the arrangement, empty one included); \
             n² − n + 2 = {} for points in general position",
            report.n, report.count, general
        ),
    )
}

fn generate_cmd(rest: &[String], out: &mut dyn Write) -> Result<()> {
    let args = Args::parse(rest, &["--preset", "--n", "--noise", "--seed"], &[])?;
    let name = args.required("--preset")?;
    let preset = Preset::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
        Error::InvalidSetting(format!(
            "--preset {name:?}: expected one of {}",
            names.join(", ")
        ))
    })?;
    let d = preset.default_params();
    let params = PresetParams {
        n: args.parsed("--n", d.n, "a positive integer")?,
        noise: args.parsed("--noise", d.noise, "a non-negative number")?,
        seed: args.parsed("--seed", d.seed, "a non-negative integer")?,
    };
    let ds = generate(preset, &params)?;
    out.write_all(to_csv_string(&ds).as_bytes())
        .map_err(|e| Error::Io {
            path: "<stdout>".into(),
            source: e,
        })
}

#[derive(Serialize)]
struct SgdRunJson {
    seed: u64,
    objective: f64,
    lower_bound: f64,
    rel_gap: f64,
    certificate: f64,
    /// Direction (unit `u`) where the certificate is largest: a neuron there would help if > 1.
    best_direction: [f64; 3],
    best_direction_sign: f64,
    accuracy: f64,
    max_kkt_residual: f64,
    history: Vec<EpochReport>,
    neurons: Vec<NeuronJson>,
}

#[derive(Serialize)]
struct SgdJson {
    loss: &'static str,
    beta: f64,
    n: usize,
    width: usize,
    optimizer: &'static str,
    epochs: usize,
    lr: f64,
    runs: Vec<SgdRunJson>,
    best: f64,
    optimum_lower_bound: f64,
    /// Objective of the convex solver's network (`NaN` with `--no-optimum`).
    optimum_upper_bound: f64,
    seconds: f64,
}

/// The training flags shared by `sgd` and `sgd --model poly`: settings, seed count, history
/// spacing.
pub(super) fn sgd_settings(args: &Args) -> Result<(SgdSettings, u64, usize)> {
    args.required("--width")?;
    let d = SgdSettings::default();
    let lr = args.parsed("--lr", d.lr, "a positive number")?;
    let settings = SgdSettings {
        width: args.parsed("--width", 0usize, "a positive integer")?,
        lr,
        lr_final: args.parsed("--lr-final", lr, "a positive number")?,
        epochs: args.parsed("--epochs", d.epochs, "a non-negative integer")?,
        init_scale: args.parsed("--init-scale", d.init_scale, "a positive number")?,
        optimizer: Optimizer::parse(args.get("--optimizer").unwrap_or("gd"))?,
        batch_size: args.parsed("--batch-size", d.batch_size, "a positive integer")?,
        seed: 0,
    };
    settings.validate()?;
    let seeds: u64 = args.parsed("--seeds", 1u64, "a positive integer")?;
    if seeds == 0 {
        return Err(Error::InvalidSetting("--seeds must be ≥ 1".into()));
    }
    let every: usize = args.parsed(
        "--history-every",
        (settings.epochs / 100).max(1),
        "a positive integer",
    )?;
    Ok((settings, seeds, every))
}

/// Flags of `sgd` (both models).
pub(super) const SGD_FLAGS: [&str; 13] = [
    "--data",
    "--width",
    "--loss",
    "--beta",
    "--seeds",
    "--epochs",
    "--lr",
    "--lr-final",
    "--optimizer",
    "--batch-size",
    "--init-scale",
    "--history-every",
    "--model",
];

fn sgd(rest: &[String], out: &mut dyn Write) -> Result<()> {
    match Args::peek(rest, "--model") {
        None | Some("relu") => {}
        Some("poly") => return super::poly::sgd(rest, out),
        Some(other) => {
            return Err(Error::InvalidSetting(format!(
                "--model {other:?}: sgd trains relu or poly networks"
            )));
        }
    }
    let args = Args::parse(
        rest,
        &SGD_FLAGS,
        &["--json", "--standardize", "--no-optimum"],
    )?;
    let loss = Loss::parse(args.get("--loss").unwrap_or("squared"))?;
    let beta = args.beta()?;
    let (settings, seeds, every) = sgd_settings(&args)?;
    let ds = load(&args)?;
    let t0 = std::time::Instant::now();
    let seed_list: Vec<u64> = (0..seeds).collect();
    let threads = std::thread::available_parallelism().map_or(1, |c| c.get());
    let runs = train_seeds(
        &ds.x, &ds.y, loss, beta, &settings, &seed_list, threads, every,
    )?;
    // Certify every final network against the optimum of the exact convex program.
    let exact = crate::geometry::enumerate_exact(&ds.x)?;
    let mut json_runs = Vec::new();
    for (seed, (net, mut history)) in seed_list.iter().zip(runs) {
        // Directions per epoch stay in the library; the JSON has the final neurons instead.
        history.iter_mut().for_each(|h| h.directions.clear());
        let (b, cert) = crate::certify::certify_network(&ds.x, &ds.y, &exact, loss, beta, &net);
        let kkt = kkt_report(&ds.x, &ds.y, loss, beta, &net);
        json_runs.push(SgdRunJson {
            seed: *seed,
            objective: b.upper,
            lower_bound: b.lower,
            rel_gap: b.rel_gap(),
            certificate: b.certificate,
            best_direction: cert.u,
            best_direction_sign: cert.sign,
            accuracy: history.last().map_or(f64::NAN, |h| h.accuracy),
            max_kkt_residual: kkt
                .iter()
                .map(|k| k.residual)
                .filter(|r| r.is_finite())
                .fold(0.0, f64::max),
            history,
            neurons: net
                .neurons
                .iter()
                .map(|&Neuron { u, alpha }| NeuronJson { u, alpha })
                .collect(),
        });
    }
    let best = json_runs
        .iter()
        .map(|r| r.objective)
        .fold(f64::INFINITY, f64::min);
    // The best certified lower bound: every run's own certificate and the convex solver's.
    let mut optimum_lower_bound = json_runs
        .iter()
        .map(|r| r.lower_bound)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut optimum_upper_bound = f64::NAN;
    if !args.has("--no-optimum") {
        let problem = ReluProblem::with_exact(
            ds.x.clone(),
            ds.y.clone(),
            loss,
            beta,
            PatternMode::Exact,
            std::sync::Arc::new(exact),
        )?;
        let sol = solve_relu(problem, &SolveSettings::default(), |_| {
            std::ops::ControlFlow::Continue(())
        })?;
        optimum_lower_bound = optimum_lower_bound.max(sol.bounds.lower);
        optimum_upper_bound = sol.bounds.upper;
    }
    let report = SgdJson {
        loss: loss.name(),
        beta,
        n: ds.len(),
        width: settings.width,
        optimizer: settings.optimizer.name(),
        epochs: settings.epochs,
        lr: settings.lr,
        runs: json_runs,
        best,
        optimum_lower_bound,
        optimum_upper_bound,
        seconds: t0.elapsed().as_secs_f64(),
    };
    if args.has("--json") {
        return json_out(out, &report);
    }
    let mut text = format!(
        "{} seeds, width {}, {} for {} epochs (lr {}), {} loss, beta = {}, n = {}\n\
         certified lower bound on the optimum: {:.10} (convex solver's network: {:.10})\n\
         seed  objective        gap to optimum  c(v)/beta   accuracy",
        seeds,
        settings.width,
        report.optimizer,
        settings.epochs,
        settings.lr,
        report.loss,
        beta,
        report.n,
        optimum_lower_bound,
        optimum_upper_bound
    );
    for r in &report.runs {
        text.push_str(&format!(
            "\n{:>4}  {:<15.10}  {:<14.3e}  {:<10.6}  {:.3}",
            r.seed,
            r.objective,
            (r.objective - optimum_lower_bound) / r.objective.abs().max(1.0),
            r.certificate,
            r.accuracy
        ));
    }
    write_out(out, &text)
}
