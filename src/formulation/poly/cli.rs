//! `solve --model poly`: the polynomial-activation SDP (`docs/math.md#poly-sdp`) with certified
//! bounds, Neural Decomposition and, with `--multiclass`, one output per class
//! (`docs/math.md#poly-vector-outputs`); `sgd --model poly`: gradient-trained polynomial networks
//! certified against it.

use std::ops::ControlFlow;

use nalgebra::Matrix4;
use serde::Serialize;

use crate::convex::PolyProblem;
use crate::convex::poly::{one_vs_rest, sorted_eigenvalues};
use crate::data::{LabelMode, TargetKind};
use crate::error::{Error, Result};
use crate::formulation::Args;
use crate::formulation::report::to_json;
use crate::model::{Loss, PolyActivation, PolyNetwork};
use crate::solve::nuclear::NuclearSolver;
use crate::solve::{PolySettings, Status, solve_poly};

#[derive(Serialize)]
struct PolyNeuronJson {
    u: [f64; 3],
    alpha: f64,
    /// Output (class) the neuron belongs to.
    output: usize,
}

#[derive(Serialize)]
struct LiftedJson {
    output: usize,
    z_plus: [[f64; 4]; 4],
    z_minus: [[f64; 4]; 4],
    eig_plus: [f64; 4],
    eig_minus: [f64; 4],
}

#[derive(Serialize)]
struct PolySolveJson {
    model: &'static str,
    poly: [f64; 3],
    regularizer: &'static str,
    loss: &'static str,
    beta: f64,
    n: usize,
    outputs: usize,
    status: &'static str,
    iterations: usize,
    seconds: f64,
    objective: f64,
    convex_objective: f64,
    lower_bound: f64,
    rel_gap: f64,
    certificate: f64,
    neurons: Vec<PolyNeuronJson>,
    lifted: Vec<LiftedJson>,
}

fn rows(m: &Matrix4<f64>) -> [[f64; 4]; 4] {
    std::array::from_fn(|i| std::array::from_fn(|j| m[(i, j)]))
}

/// The settings of `solve --model poly`.
struct Request {
    act: PolyActivation,
    loss: Loss,
    beta: f64,
    nuclear: bool,
    settings: PolySettings,
}

/// What either solver returns.
struct Solved {
    networks: Vec<PolyNetwork>,
    bounds: crate::certify::Bounds,
    status: Status,
    iterations: usize,
    seconds: f64,
    lifted: Vec<(Matrix4<f64>, Matrix4<f64>)>,
    convex_objective: f64,
}

/// `solve --model poly`: parse → solve (SDP-ADMM, or FISTA on the nuclear-norm form) → report.
pub(super) fn solve(args: &Args) -> Result<String> {
    let req = parse_solve(args)?;
    let mode = if args.has("--multiclass") {
        LabelMode::MultiClass
    } else {
        LabelMode::Auto
    };
    let ds = args.dataset(mode)?;
    let targets = match ds.kind {
        TargetKind::MultiClass(c) => one_vs_rest(&ds.y, c),
        _ => vec![ds.y.clone()],
    };
    let solved = if req.nuclear {
        solve_nuclear(&ds.x, &targets, &req)?
    } else {
        solve_sdp(&ds.x, &targets, &req)?
    };
    let report = solve_json(&ds.x, &targets, &req, &solved);
    if args.has("--json") {
        return to_json(&report);
    }
    Ok(solve_text(&report, &req, solved.status))
}

fn parse_solve(args: &Args) -> Result<Request> {
    let act = PolyActivation::parse(args.get("--poly").unwrap_or("relu"))?;
    let loss = Loss::parse(args.get("--loss").unwrap_or("squared"))?;
    let beta = args.beta()?;
    let nuclear = match args.get("--regularizer").unwrap_or("l1") {
        "l1" => false,
        "nuclear" => {
            if act != PolyActivation::SQUARE {
                return Err(Error::InvalidSetting(
                    "--regularizer nuclear needs --poly square (σ(t) = t²): only then is the \
                     ℓ1 penalty a nuclear norm"
                        .into(),
                ));
            }
            true
        }
        "weight-decay" => {
            return Err(Error::InvalidSetting(
                "--regularizer weight-decay has no exact convex form (training with it is \
                 NP-hard); use `sgd --model poly --regularizer weight-decay`"
                    .into(),
            ));
        }
        other => {
            return Err(Error::InvalidSetting(format!(
                "--regularizer {other:?}: expected l1 or nuclear"
            )));
        }
    };
    let settings = PolySettings {
        max_iter: args.parsed("--max-iter", 20_000usize, "a positive integer")?,
        tol: args.parsed("--tol", 1e-6, "a positive number")?,
        rho: args.parsed("--rho", 1.0, "a positive number")?,
        polish: !args.has("--no-polish"),
        ..PolySettings::default()
    };
    settings.validate()?;
    Ok(Request {
        act,
        loss,
        beta,
        nuclear,
        settings,
    })
}

/// FISTA on the nuclear-norm form, one output at a time (tolerance split over the outputs).
fn solve_nuclear(x: &[[f64; 2]], targets: &[Vec<f64>], req: &Request) -> Result<Solved> {
    let t0 = std::time::Instant::now();
    let mut networks = Vec::new();
    let mut total = crate::certify::Bounds {
        upper: 0.0,
        lower: 0.0,
        certificate: f64::NEG_INFINITY,
    };
    let mut status = Status::Converged;
    let mut iterations = 0;
    for y in targets {
        let s = NuclearSolver::new(
            x.to_vec(),
            y.clone(),
            req.loss,
            req.beta,
            req.settings.tol / targets.len() as f64,
            req.settings.max_iter,
        )?;
        let (b, net, st, it) = s.run();
        total.upper += b.upper;
        total.lower += b.lower;
        total.certificate = total.certificate.max(b.certificate);
        if st != Status::Converged {
            status = st;
        }
        iterations = iterations.max(it);
        networks.push(net);
    }
    Ok(Solved {
        networks,
        convex_objective: total.upper,
        bounds: total,
        status,
        iterations,
        seconds: t0.elapsed().as_secs_f64(),
        lifted: Vec::new(),
    })
}

/// The SDP-ADMM with polish, all outputs at once.
fn solve_sdp(x: &[[f64; 2]], targets: &[Vec<f64>], req: &Request) -> Result<Solved> {
    let problems = targets
        .iter()
        .map(|y| PolyProblem::new(x.to_vec(), y.clone(), req.loss, req.beta, req.act))
        .collect::<Result<Vec<_>>>()?;
    let sol = solve_poly(problems.clone(), &req.settings, |_| {
        ControlFlow::Continue(())
    })?;
    let convex_objective = problems
        .iter()
        .zip(&sol.lifted)
        .map(|(p, (zp, zm))| p.sdp_objective(zp, zm))
        .sum();
    Ok(Solved {
        networks: sol.networks,
        bounds: sol.bounds,
        status: sol.status,
        iterations: sol.iterations,
        seconds: sol.seconds,
        lifted: sol.lifted,
        convex_objective,
    })
}

fn solve_json(x: &[[f64; 2]], targets: &[Vec<f64>], req: &Request, s: &Solved) -> PolySolveJson {
    let (loss, beta, act) = (req.loss, req.beta, req.act);
    // `objective` is recomputed from the reported neurons on the data as given.
    let objective: f64 = s
        .networks
        .iter()
        .zip(targets)
        .map(|(net, y): (&PolyNetwork, _)| loss.total(&net.predict(x), y) + net.l1_penalty(beta))
        .sum();
    PolySolveJson {
        model: "poly",
        poly: [act.a, act.b, act.c],
        regularizer: if req.nuclear { "nuclear" } else { "l1" },
        loss: loss.name(),
        beta,
        n: x.len(),
        outputs: targets.len(),
        status: s.status.name(),
        iterations: s.iterations,
        seconds: s.seconds,
        objective,
        convex_objective: s.convex_objective,
        lower_bound: s.bounds.lower,
        rel_gap: s.bounds.rel_gap(),
        certificate: s.bounds.certificate,
        neurons: s
            .networks
            .iter()
            .enumerate()
            .flat_map(|(c, net)| {
                net.neurons.iter().map(move |nr| PolyNeuronJson {
                    u: nr.u,
                    alpha: nr.alpha,
                    output: c,
                })
            })
            .collect(),
        lifted: s
            .lifted
            .iter()
            .enumerate()
            .map(|(c, (zp, zm))| LiftedJson {
                output: c,
                z_plus: rows(zp),
                z_minus: rows(zm),
                eig_plus: sorted_eigenvalues(zp),
                eig_minus: sorted_eigenvalues(zm),
            })
            .collect(),
    }
}

fn solve_text(report: &PolySolveJson, req: &Request, status: Status) -> String {
    let act = req.act;
    let outputs = report.outputs;
    let mut text = format!(
        "polynomial-activation SDP, σ(t) = {}·t² + {}·t + {}, {} regularizer, {} loss, \
         beta = {}, n = {}, {} output(s)\n\
         status: {}{}\n\
         objective (network): {:.10}\n\
         lower bound:         {:.10}\n\
         certified rel. gap:  {:.3e}   certificate c(v)/beta = {:.8}\n\
         iterations: {} in {:.3} s",
        act.a,
        act.b,
        act.c,
        report.regularizer,
        report.loss,
        report.beta,
        report.n,
        outputs,
        report.status,
        if status == Status::Converged {
            " (certified)"
        } else {
            ""
        },
        report.objective,
        report.lower_bound,
        report.rel_gap,
        report.certificate,
        report.iterations,
        report.seconds,
    );
    for l in &report.lifted {
        text.push_str(&format!(
            "\nlifted matrices, output {}: eig(Z+) = {:.3e} {:.3e} {:.3e} {:.3e}; \
             eig(Z-) = {:.3e} {:.3e} {:.3e} {:.3e}",
            l.output,
            l.eig_plus[0],
            l.eig_plus[1],
            l.eig_plus[2],
            l.eig_plus[3],
            l.eig_minus[0],
            l.eig_minus[1],
            l.eig_minus[2],
            l.eig_minus[3]
        ));
    }
    text.push_str(&format!("\nneurons ({}):", report.neurons.len()));
    for nr in &report.neurons {
        text.push_str(&format!(
            "\n  u = ({:+.6}, {:+.6}, {:+.6})  alpha = {:+.6}{}",
            nr.u[0],
            nr.u[1],
            nr.u[2],
            nr.alpha,
            if outputs > 1 {
                format!("  (output {})", nr.output)
            } else {
                String::new()
            }
        ));
    }
    text
}

#[derive(Serialize)]
struct PolySgdRunJson {
    seed: u64,
    objective: f64,
    /// Certified lower bound from the run's own residual (`null` when the network has no
    /// unit-norm form: weight decay with b or c ≠ 0).
    lower_bound: Option<f64>,
    rel_gap: Option<f64>,
    certificate: Option<f64>,
    /// Objective of the ℓ1 model (the SDP's) of the network rescaled to unit-norm neurons:
    /// equal to `objective` for `--regularizer l1`.
    l1_objective: Option<f64>,
    accuracy: f64,
    history: Vec<f64>,
    neurons: Vec<PolyNeuronJson>,
}

#[derive(Serialize)]
struct PolySgdJson {
    model: &'static str,
    poly: [f64; 3],
    regularizer: &'static str,
    loss: &'static str,
    beta: f64,
    n: usize,
    width: usize,
    optimizer: &'static str,
    epochs: usize,
    lr: f64,
    runs: Vec<PolySgdRunJson>,
    best: f64,
    optimum_lower_bound: f64,
    optimum_upper_bound: f64,
    seconds: f64,
}

/// `sgd --model poly`: seeds of the non-convex polynomial network, each certified against the
/// SDP (docs/math.md#poly-certificate), with the SDP's certified optimum for comparison.
pub(super) fn sgd(args: &Args) -> Result<String> {
    use crate::certify::poly::certify_poly;
    use crate::solve::SgdSettings;
    use crate::solve::poly_sgd::{PolyRegularizer, PolyTrainer};
    let act = PolyActivation::parse(args.get("--poly").unwrap_or("relu"))?;
    let loss = Loss::parse(args.get("--loss").unwrap_or("squared"))?;
    let beta = args.beta()?;
    let reg = match args.get("--regularizer").unwrap_or("l1") {
        "l1" => PolyRegularizer::UnitL1,
        "weight-decay" => PolyRegularizer::WeightDecay,
        other => {
            return Err(Error::InvalidSetting(format!(
                "--regularizer {other:?}: expected l1 or weight-decay"
            )));
        }
    };
    let (settings, seeds, every) = args.sgd_settings()?;
    let ds = args.dataset(LabelMode::Auto)?;
    let t0 = std::time::Instant::now();
    // (seed, trainer, objective history, final accuracy)
    type Trained = (u64, PolyTrainer, Vec<f64>, f64);
    let results: Vec<Result<Trained>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..seeds)
            .map(|seed| {
                let (x, y) = (ds.x.clone(), ds.y.clone());
                scope.spawn(move || {
                    let mut t = PolyTrainer::new(
                        x,
                        y,
                        loss,
                        beta,
                        act,
                        reg,
                        SgdSettings { seed, ..settings },
                    )?;
                    let mut history = Vec::new();
                    let mut accuracy = f64::NAN;
                    t.run(|r| {
                        if r.epoch % every == 0 {
                            history.push(r.objective);
                        }
                        accuracy = r.accuracy;
                        ControlFlow::Continue(())
                    });
                    Ok((seed, t, history, accuracy))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Numerical("a training thread failed".into())))
            })
            .collect()
    });
    let mut runs = Vec::new();
    for r in results {
        let (seed, t, history, accuracy) = r?;
        let b = t
            .unit_network()
            .map(|net| certify_poly(&ds.x, &ds.y, loss, beta, &net));
        runs.push(PolySgdRunJson {
            seed,
            objective: t.objective(),
            lower_bound: b.map(|b| b.lower),
            rel_gap: b.map(|b| b.rel_gap()),
            certificate: b.map(|b| b.certificate),
            l1_objective: b.map(|b| b.upper),
            accuracy,
            history,
            neurons: t
                .network()
                .neurons
                .iter()
                .map(|n| PolyNeuronJson {
                    u: n.u,
                    alpha: n.alpha,
                    output: 0,
                })
                .collect(),
        });
    }
    let best = runs
        .iter()
        .map(|r| r.objective)
        .fold(f64::INFINITY, f64::min);
    let mut optimum_lower_bound = runs
        .iter()
        .filter_map(|r| r.lower_bound)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut optimum_upper_bound = f64::NAN;
    if !args.has("--no-optimum") {
        let pr = PolyProblem::new(ds.x.clone(), ds.y.clone(), loss, beta, act)?;
        let sol = solve_poly(vec![pr], &PolySettings::default(), |_| {
            ControlFlow::Continue(())
        })?;
        optimum_lower_bound = optimum_lower_bound.max(sol.bounds.lower);
        optimum_upper_bound = sol.bounds.upper;
    }
    let report = PolySgdJson {
        model: "poly",
        poly: [act.a, act.b, act.c],
        regularizer: match reg {
            PolyRegularizer::UnitL1 => "l1",
            PolyRegularizer::WeightDecay => "weight-decay",
        },
        loss: loss.name(),
        beta,
        n: ds.len(),
        width: settings.width,
        optimizer: settings.optimizer.name(),
        epochs: settings.epochs,
        lr: settings.lr,
        runs,
        best,
        optimum_lower_bound,
        optimum_upper_bound,
        seconds: t0.elapsed().as_secs_f64(),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    let mut text = format!(
        "{seeds} seeds, polynomial network σ(t) = {}·t² + {}·t + {}, width {}, {} regularizer, \
         {} for {} epochs (lr {}), {} loss, beta = {beta}, n = {}\n\
         certified optimum of the SDP (ℓ1 model) in [{:.10}, {:.10}]\n\
         seed  objective        ℓ1 objective     c(v)/beta   own lower bound  accuracy",
        act.a,
        act.b,
        act.c,
        settings.width,
        report.regularizer,
        report.optimizer,
        settings.epochs,
        settings.lr,
        report.loss,
        report.n,
        optimum_lower_bound,
        optimum_upper_bound,
    );
    for r in &report.runs {
        text.push_str(&format!(
            "\n{:>4}  {:<15.10}  {:<15}  {:<10}  {:<15}  {:.3}",
            r.seed,
            r.objective,
            r.l1_objective.map_or("—".into(), |c| format!("{c:.10}")),
            r.certificate.map_or("—".into(), |c| format!("{c:.6}")),
            r.lower_bound
                .map_or("uncertified".into(), |l| format!("{l:.10}")),
            r.accuracy
        ));
    }
    if reg == PolyRegularizer::WeightDecay {
        text.push_str(
            "\nnote: weight decay has no exact convex form (training with it is NP-hard); its \
             objective is not the SDP's. With σ = a t² each network is rescaled to unit-norm \
             neurons and certified against the ℓ1 SDP; otherwise it is uncertified.",
        );
    }
    Ok(text)
}
