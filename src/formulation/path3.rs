//! The path-regularized parallel three-layer ReLU network (`docs/math.md#path3`):
//! `f(x) = Σ_k a_k (Σ_j s_kj (x̃ᵀu_kj)₊)₊` with `R = Σ_k Σ_j |a_k||s_kj|‖u_kj‖` and the squared
//! loss. On small data (`n ≤ EXACT_MAX_N`) its exact convex program is solved by certified
//! column generation over all first-layer regions and all `2ⁿ − 1` second-layer patterns; the
//! comparison runs are the smooth form trained by Adam. The certified two-layer weight-decay
//! optimum is shown next to it (`P1* ≤` the two-layer optimum: a one-neuron sub-network is a
//! two-layer neuron with the same cost).

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::report::to_json;
use super::snapshot::{
    FIELD, Marker, ModelKind, ModelSnapshot, Path3Snapshot, ProblemDetail, ProblemInfo,
    SgdSnapshot, Snapshot, ViewSpec,
};
use super::{
    Args, CliFlags, Formulation, ModelNetwork, Optimum, ProblemInput, SgdJob, SgdRun, Stepper,
    until_stopped,
};
use crate::certify::Bounds;
use crate::convex::ReluProblem;
use crate::data::LabelMode;
use crate::error::{Error, Result};
use crate::geometry::PatternMode;
use crate::geometry::grid::function_grid;
use crate::model::Loss;
use crate::model::path3::{Path3Network, Path3Neuron};
use crate::solve::path3::{EXACT_MAX_N, Path3Driver, Path3Settings, solve_path3};
use crate::solve::path3_sgd::{DEFAULT_INNER, Path3Trainer, train_path3};
use crate::solve::{Iterate, SgdSettings, SolveSettings, Status, solve_relu};

/// The path-regularized three-layer model.
pub struct Path3;

/// The exact program's data: squared loss only.
fn problem(input: &ProblemInput) -> Result<ReluProblem> {
    if input.loss != Loss::Squared {
        return Err(Error::InvalidSetting(format!(
            "the path-regularized three-layer program is built for the squared loss, not {}",
            input.loss.name()
        )));
    }
    ReluProblem::with_exact(
        input.x.clone(),
        input.y.clone(),
        Loss::Squared,
        input.beta,
        PatternMode::Exact,
        input.exact()?,
    )
}

fn settings(tol: f64) -> Path3Settings {
    Path3Settings {
        tol,
        ..Path3Settings::default()
    }
}

/// The certified two-layer weight-decay optimum on the same data and β, with its network.
fn two_layer_network(input: &ProblemInput) -> Result<(Bounds, crate::model::ReluNetwork)> {
    let sol = two_layer_solution(input, &AtomicBool::new(false))?;
    Ok((sol.bounds, sol.network))
}

fn two_layer_solution(
    input: &ProblemInput,
    stop: &AtomicBool,
) -> Result<crate::solve::driver::Solution> {
    let pr = ReluProblem::with_exact(
        input.x.clone(),
        input.y.clone(),
        Loss::Squared,
        input.beta,
        PatternMode::Exact,
        input.exact()?,
    )?;
    let settings = SolveSettings {
        tol: input.tol,
        ..SolveSettings::default()
    };
    solve_relu(pr, &settings, until_stopped(stop))
}

/// Candidate second-layer blocks `(η, E)` for the restricted program (docs/math.md#path3): the
/// two-layer optimum's neurons (each is a one-neuron sub-network, so the restricted optimum is
/// never above the two-layer one), the sub-networks of three Adam runs of the smooth form, and
/// `random` random sub-networks (4 Gaussian neurons each).
pub fn candidate_blocks(
    x: &[[f64; 2]],
    y: &[f64],
    beta: f64,
    two_layer: &crate::model::ReluNetwork,
    random: usize,
) -> Result<Vec<(f64, Vec<bool>)>> {
    use rand::{RngExt, SeedableRng, rngs::StdRng};
    let on = |f: &dyn Fn([f64; 2]) -> f64| -> Vec<bool> { x.iter().map(|&p| f(p) > 0.0).collect() };
    let mut blocks: Vec<(f64, Vec<bool>)> = two_layer
        .neurons
        .iter()
        .filter(|n| n.alpha != 0.0)
        .map(|n| (n.alpha.signum(), on(&|p| n.pre(p))))
        .collect();
    let k = (2 * (x.len() + 1)).min(24);
    for seed in 0..3 {
        let run = train_path3(
            x,
            y,
            beta,
            8,
            SgdSettings {
                width: k,
                init_scale: 0.5,
                lr: 0.01,
                lr_final: 1e-4,
                epochs: 2000,
                optimizer: crate::solve::Optimizer::Adam,
                seed,
                ..SgdSettings::default()
            },
        )?;
        for sub in &run.network.subnets {
            blocks.push((sub.a.signum(), on(&|p| sub.pre(p))));
        }
    }
    let mut rng = StdRng::seed_from_u64(7);
    let normal = |rng: &mut StdRng| crate::geometry::patterns::normal(rng);
    for _ in 0..random {
        let neurons: Vec<Path3Neuron> = (0..4)
            .map(|_| Path3Neuron {
                u: [normal(&mut rng), normal(&mut rng), normal(&mut rng)],
                s: normal(&mut rng),
            })
            .collect();
        let eta = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let sub = crate::model::path3::SubNetwork { a: eta, neurons };
        blocks.push((eta, on(&|p| sub.pre(p))));
    }
    blocks.retain(|(_, e)| e.iter().any(|&b| b));
    Ok(blocks)
}

impl Formulation for Path3 {
    fn id(&self) -> &'static str {
        "path3"
    }
    fn name(&self) -> &'static str {
        "Path-regularized 3-layer"
    }
    fn summary(&self) -> &'static str {
        "Parallel three-layer ReLU network f(x) = Σₖ aₖ(Σⱼ sₖⱼ(x̃ᵀuₖⱼ)₊)₊ with the path \
         regularizer R = Σₖ Σⱼ |aₖ||sₖⱼ|‖uₖⱼ‖ and the squared loss: min ½‖f(X) − y‖² + βR. Its \
         convex equivalent has one group per (sign η, second-layer pattern E, sign σ, region i):\n\
         min ½‖Σ η E z[η,E] − y‖² + β Σ‖w‖,  z[η,E] = Σ σ DᵢX̃w,  w ∈ Kᵢ,  (2E − I)z[η,E] ≥ 0\n\
         over all 2ⁿ − 1 patterns E: solved by certified column generation up to 10 points; \
         beyond, over candidate patterns E only (the restricted program: a real network's \
         objective, not certified). Its optimum is at most the two-layer weight-decay optimum \
         (dashed)."
    }
    fn kind(&self) -> ModelKind {
        ModelKind::Path3
    }
    fn uses_patterns(&self) -> bool {
        false
    }
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        let pr = problem(input)?;
        // Exact within its size; beyond, the restricted program (not certified).
        let driver = if pr.n() <= EXACT_MAX_N {
            Path3Driver::new(pr, &settings(input.tol))?
        } else {
            let two = two_layer_solution(input, &AtomicBool::new(false))?;
            let blocks = candidate_blocks(&input.x, &input.y, input.beta, &two.network, 200)?;
            Path3Driver::restricted(pr, &settings(input.tol), &blocks)?
        };
        Ok(Box::new(Path3Stepper(driver)))
    }
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum> {
        let pr = problem(input)?;
        let two = two_layer_solution(input, stop)?;
        let sol = if pr.n() <= EXACT_MAX_N {
            solve_path3(pr, &settings(input.tol), until_stopped(stop))?
        } else {
            let blocks = candidate_blocks(&input.x, &input.y, input.beta, &two.network, 200)?;
            crate::solve::path3::solve_path3_restricted(
                pr,
                &settings(input.tol),
                &blocks,
                until_stopped(stop),
            )?
        };
        Ok(Optimum {
            certified: sol.exact,
            bounds: sol.bounds,
            status: sol.status,
            seconds: sol.seconds,
            network: ModelNetwork::Path3(sol.network),
            relaxes: Some(("two-layer weight decay optimum", two.bounds)),
        })
    }
    fn sgd(&self, input: &ProblemInput, job: &SgdJob) -> Result<Box<dyn SgdRun>> {
        problem(input)?;
        let trainers = (1..=job.seeds as u64)
            .map(|seed| {
                Path3Trainer::new(
                    input.x.clone(),
                    input.y.clone(),
                    input.beta,
                    DEFAULT_INNER,
                    SgdSettings {
                        init_scale: 0.5,
                        ..job.settings(seed)
                    },
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(Path3Seeds {
            trainers,
            input: input.clone(),
        }))
    }
    fn solve_flags(&self) -> CliFlags {
        CliFlags {
            values: &["--patterns"],
            switches: &[],
        }
    }
    fn solve_cli(&self, args: &Args) -> Result<String> {
        solve_report(args)
    }
    fn sgd_flags(&self) -> CliFlags {
        CliFlags {
            values: &["--inner"],
            switches: &[],
        }
    }
    fn sgd_cli(&self, args: &Args) -> Result<String> {
        sgd_report(args)
    }
}

struct Path3Stepper(Path3Driver);

impl Stepper for Path3Stepper {
    fn step(&mut self) -> Option<Iterate> {
        self.0.step()
    }
    fn status(&self) -> Status {
        self.0.status()
    }
    fn is_done(&self) -> bool {
        self.0.is_done()
    }
    fn info(&self, _view: &ViewSpec) -> ProblemInfo {
        let pr = self.0.problem();
        let n = pr.n();
        ProblemInfo {
            n,
            detail: ProblemDetail::Path3 {
                regions: pr.exact.len(),
                blocks: self.0.blocks(),
                exact: self.0.is_exact(),
                groups: self.0.groups(),
            },
        }
    }
    fn snapshot(&self, iter: usize, view: &ViewSpec) -> Snapshot {
        let pr = self.0.problem();
        let network = self.0.current().clone();
        let b = self.0.bounds();
        let (certificate, block) = match self.0.worst_block() {
            Some(w) => (
                super::relu::dual_view(pr, w.g.clone(), b.certificate, view),
                (w.eta, w.pattern.clone()),
            ),
            None => (
                super::relu::dual_view(pr, vec![0.0; pr.n()], 0.0, view),
                (1.0, vec![false; pr.n()]),
            ),
        };
        // The iterate's sub-network of that block (same sign, on for exactly E).
        let block_neurons = network
            .subnets
            .iter()
            .find(|k| {
                k.a.signum() == block.0
                    && pr
                        .x
                        .iter()
                        .zip(&block.1)
                        .all(|(&p, &on)| (k.pre(p) > 0.0) == on)
            })
            .map_or_else(Vec::new, |k| {
                k.neurons
                    .iter()
                    .map(|n: &Path3Neuron| Marker {
                        u: n.u,
                        alpha: n.s,
                        neuron: None,
                    })
                    .collect()
            });
        let own = network.objective(&pr.x, &pr.y, pr.beta);
        Snapshot {
            iter,
            beta: pr.beta,
            bounds: Bounds {
                upper: own,
                lower: b.lower,
                certificate: b.certificate,
            },
            output: function_grid(|p| network.eval(p), FIELD, FIELD, view.extent),
            train: metrics(&network, &pr.x, &pr.y),
            test: metrics(&network, &view.test_x, &view.test_y),
            classes: 1,
            model: ModelSnapshot::Path3(Box::new(Path3Snapshot {
                network,
                certificate,
                block,
                block_neurons,
            })),
        }
    }
    fn set_beta(&mut self, _beta: f64) -> Result<()> {
        Err(Error::InvalidSetting(
            "the path-regularized program restarts when β changes".into(),
        ))
    }
    fn rho(&self) -> f64 {
        f64::NAN
    }
}

/// Squared loss and sign accuracy of a three-layer network on some points.
fn metrics(net: &Path3Network, x: &[[f64; 2]], y: &[f64]) -> Option<super::snapshot::Metrics> {
    if x.is_empty() {
        return None;
    }
    let f = net.predict(x);
    let loss = f.iter().zip(y).map(|(a, b)| 0.5 * (a - b) * (a - b)).sum();
    let accuracy = if y.iter().all(|&v| v == 1.0 || v == -1.0) {
        f.iter().zip(y).filter(|(a, b)| **a * **b > 0.0).count() as f64 / y.len() as f64
    } else {
        f64::NAN
    };
    Some(super::snapshot::Metrics { loss, accuracy })
}

/// The smooth form trained by Adam/GD, seeds in lockstep, scored by the exact objective.
struct Path3Seeds {
    trainers: Vec<Path3Trainer>,
    input: ProblemInput,
}

impl SgdRun for Path3Seeds {
    fn seeds(&self) -> usize {
        self.trainers.len()
    }
    fn step(&mut self) -> Vec<(f64, f64)> {
        self.trainers
            .iter_mut()
            .map(|t| {
                let t0 = std::time::Instant::now();
                let obj = t.step();
                (t0.elapsed().as_secs_f64(), obj)
            })
            .collect()
    }
    fn snapshot(&self, epoch: usize, view: &ViewSpec) -> SgdSnapshot {
        let networks: Vec<Path3Network> = self.trainers.iter().map(|t| t.network()).collect();
        SgdSnapshot {
            epoch,
            bounds: networks
                .iter()
                .map(|n| Bounds {
                    upper: n.objective(&self.input.x, &self.input.y, self.input.beta),
                    lower: f64::NAN,
                    certificate: f64::NAN,
                })
                .collect(),
            train: networks
                .iter()
                .map(|n| metrics(n, &self.input.x, &self.input.y))
                .collect(),
            test: networks
                .iter()
                .map(|n| metrics(n, &view.test_x, &view.test_y))
                .collect(),
            score: None,
            dual_estimates: Vec::new(),
            networks: networks.into_iter().map(ModelNetwork::Path3).collect(),
        }
    }
}

/// One neuron in JSON.
#[derive(Serialize)]
struct NeuronJson {
    u: [f64; 3],
    s: f64,
}

/// One sub-network in JSON.
#[derive(Serialize)]
struct SubnetJson {
    a: f64,
    neurons: Vec<NeuronJson>,
}

fn subnets_json(net: &Path3Network) -> Vec<SubnetJson> {
    net.subnets
        .iter()
        .map(|k| SubnetJson {
            a: k.a,
            neurons: k
                .neurons
                .iter()
                .map(|n| NeuronJson { u: n.u, s: n.s })
                .collect(),
        })
        .collect()
}

#[derive(Serialize)]
struct BoundsJson {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Serialize)]
struct SolveJson {
    model: &'static str,
    loss: &'static str,
    beta: f64,
    n: usize,
    /// Regions of the arrangement (the empty one included).
    patterns: usize,
    /// `exact`, or `restricted:K` (K random candidate sub-networks).
    pattern_mode: String,
    /// Restricted program: the candidate second-layer blocks it priced.
    #[serde(skip_serializing_if = "Option::is_none")]
    candidate_blocks: Option<usize>,
    /// Exact program: the second-layer blocks priced every round, `2(2ⁿ − 1)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    second_layer_blocks: Option<usize>,
    status: &'static str,
    /// True when the gap is certified (the exact program, converged); a restricted program's
    /// objective is an upper bound that nothing certifies.
    certified: bool,
    iterations: usize,
    groups: usize,
    seconds: f64,
    total_seconds: f64,
    /// `½‖f(X) − y‖² + βR` of the reported network, recomputed from `subnetworks`.
    objective: f64,
    /// The exact program's certified lower bound (absent for a restricted program).
    #[serde(skip_serializing_if = "Option::is_none")]
    lower_bound: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rel_gap: Option<f64>,
    /// `B/β` of the block that sets the lower bound, before scaling.
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<f64>,
    /// The certified two-layer weight-decay optimum on the same data and β (at least `P1*`).
    two_layer_optimum: BoundsJson,
    subnetworks: Vec<SubnetJson>,
}

/// `solve --model path3`.
fn solve_report(args: &Args) -> Result<String> {
    let t_start = std::time::Instant::now();
    let beta = args.beta()?;
    let tol: f64 = args.parsed("--tol", 1e-6, "a positive number")?;
    let max_rounds: usize = args.parsed("--max-iter", 200usize, "a positive integer")?;
    if let Some(l) = args.get("--loss")
        && l != "squared"
    {
        return Err(Error::InvalidSetting(format!(
            "--loss {l}: the path-regularized program is built for the squared loss"
        )));
    }
    let ds = args.dataset(LabelMode::Auto)?;
    // Default: exact within its size, restricted beyond.
    let spec = args
        .get("--patterns")
        .unwrap_or(if ds.len() <= EXACT_MAX_N {
            "exact"
        } else {
            "restricted"
        });
    let random: Option<usize> = match spec.split_once(':') {
        None if spec == "exact" => None,
        None if spec == "restricted" => Some(200),
        Some(("restricted", k)) => Some(k.parse().ok().filter(|&k: &usize| k <= 100_000).ok_or_else(|| {
            Error::InvalidSetting(format!(
                "--patterns {spec:?}: expected restricted:K with K random candidate sub-networks \
                 (0 to 100000)"
            ))
        })?),
        _ => {
            return Err(Error::InvalidSetting(format!(
                "--patterns {spec:?}: the path-regularized model takes exact (at most \
                 {EXACT_MAX_N} points) or restricted[:K]"
            )));
        }
    };
    let pr = ReluProblem::new(
        ds.x.clone(),
        ds.y.clone(),
        Loss::Squared,
        beta,
        PatternMode::Exact,
    )?;
    let (n, patterns) = (pr.n(), pr.exact.len());
    let mut input = ProblemInput::new(ds.x.clone(), ds.y.clone(), Loss::Squared, beta);
    input.tol = tol;
    let settings = Path3Settings {
        tol,
        max_rounds,
        ..Path3Settings::default()
    };
    let (two, two_net) = two_layer_network(&input)?;
    let (sol, candidates) = match random {
        None => (
            solve_path3(pr, &settings, |_| ControlFlow::Continue(()))?,
            None,
        ),
        Some(k) => {
            let blocks = candidate_blocks(&ds.x, &ds.y, beta, &two_net, k)?;
            let count = blocks.len();
            let sol = crate::solve::path3::solve_path3_restricted(pr, &settings, &blocks, |_| {
                ControlFlow::Continue(())
            })?;
            (sol, Some(count))
        }
    };
    let objective = sol.network.objective(&ds.x, &ds.y, beta);
    let report = SolveJson {
        model: "path3",
        loss: "squared",
        beta,
        n,
        patterns,
        pattern_mode: random.map_or("exact".into(), |k| format!("restricted:{k}")),
        candidate_blocks: candidates,
        second_layer_blocks: random.is_none().then(|| 2 * ((1usize << n) - 1)),
        status: sol.status.name(),
        certified: sol.exact && sol.status == Status::Converged,
        iterations: sol.rounds,
        groups: sol.groups,
        seconds: sol.seconds,
        total_seconds: t_start.elapsed().as_secs_f64(),
        objective,
        lower_bound: sol.exact.then_some(sol.bounds.lower),
        rel_gap: sol
            .exact
            .then(|| (objective - sol.bounds.lower) / objective.abs().max(1.0)),
        certificate: sol.exact.then_some(sol.bounds.certificate),
        two_layer_optimum: BoundsJson {
            lower_bound: two.lower,
            upper_bound: two.upper,
        },
        subnetworks: subnets_json(&sol.network),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    let bounds_text = match (report.lower_bound, report.rel_gap) {
        (Some(lo), Some(gap)) => format!("lower bound: {lo:.10}\ncertified rel. gap: {gap:.3e}"),
        _ => format!(
            "not certified: the program restricted to {} candidate second-layer patterns \
             (an upper bound on the optimum)",
            report.candidate_blocks.unwrap_or(0)
        ),
    };
    let mut text = format!(
        "path-regularized three-layer program ({}), n = {n}, {patterns} regions\nstatus: {}{}\n\
         objective:   {:.10}\n{bounds_text}\ntwo-layer weight-decay optimum (certified): \
         [{:.10}, {:.10}] ({:+.1} % from this objective)\n{} rounds, {} groups, {:.3} s\n\
         sub-networks ({}, {} neurons):",
        report.pattern_mode,
        report.status,
        if report.certified { " (certified)" } else { "" },
        report.objective,
        two.lower,
        two.upper,
        100.0 * (two.lower / report.objective - 1.0),
        report.iterations,
        report.groups,
        report.seconds,
        report.subnetworks.len(),
        sol.network.neuron_count()
    );
    for (k, s) in report.subnetworks.iter().enumerate() {
        text.push_str(&format!("\n  {} a = {:+.6}", k + 1, s.a));
        for nr in &s.neurons {
            text.push_str(&format!(
                "\n      u = ({:+.6}, {:+.6}, {:+.6})  s = {:+.6}",
                nr.u[0], nr.u[1], nr.u[2], nr.s
            ));
        }
    }
    Ok(text)
}

#[derive(Serialize)]
struct RunJson {
    seed: u64,
    /// Best exact objective over the epochs.
    objective: f64,
    /// Exact objective at the last epoch.
    last: f64,
    /// `(objective − lower bound)/objective` against the exact program's certified bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    rel_gap: Option<f64>,
    diverged: bool,
    seconds: f64,
    subnetworks: Vec<SubnetJson>,
}

#[derive(Serialize)]
struct SgdJson {
    model: &'static str,
    n: usize,
    beta: f64,
    /// Sub-networks `K` and neurons per sub-network.
    width: usize,
    inner: usize,
    optimizer: &'static str,
    epochs: usize,
    lr: f64,
    runs: Vec<RunJson>,
    best: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    optimum_lower_bound: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    optimum_upper_bound: Option<f64>,
    seconds: f64,
}

/// `sgd --model path3`: the smooth form, seeds in parallel, each scored by its exact objective
/// and (within the exact size) its gap to the certified optimum.
fn sgd_report(args: &Args) -> Result<String> {
    let t0 = std::time::Instant::now();
    let (mut settings, seeds, _) = args.sgd_settings()?;
    if args.get("--init-scale").is_none() {
        settings.init_scale = 0.5;
    }
    if let Some(l) = args.get("--loss")
        && l != "squared"
    {
        return Err(Error::InvalidSetting(format!(
            "--loss {l}: the path-regularized network is trained on the squared loss"
        )));
    }
    let inner: usize = args.parsed("--inner", DEFAULT_INNER, "a positive integer")?;
    let beta = args.beta()?;
    let ds = args.dataset(LabelMode::Auto)?;
    let optimum = if args.has("--no-optimum") || ds.len() > EXACT_MAX_N {
        None
    } else {
        let pr = ReluProblem::new(
            ds.x.clone(),
            ds.y.clone(),
            Loss::Squared,
            beta,
            PatternMode::Exact,
        )?;
        Some(solve_path3(pr, &Path3Settings::default(), |_| ControlFlow::Continue(()))?.bounds)
    };
    let seed_list: Vec<u64> = (0..seeds).collect();
    let threads = std::thread::available_parallelism().map_or(1, |c| c.get());
    let chunk = (seeds as usize).div_ceil(threads).max(1);
    let mut runs: Vec<Option<Result<crate::solve::path3_sgd::Path3Run>>> =
        (0..seeds).map(|_| None).collect();
    std::thread::scope(|scope| {
        for (slot, seed_chunk) in runs.chunks_mut(chunk).zip(seed_list.chunks(chunk)) {
            let ds = &ds;
            scope.spawn(move || {
                for (o, &seed) in slot.iter_mut().zip(seed_chunk) {
                    *o = Some(train_path3(
                        &ds.x,
                        &ds.y,
                        beta,
                        inner,
                        SgdSettings { seed, ..settings },
                    ));
                }
            });
        }
    });
    let runs = runs
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::Numerical("a run did not finish".into()))))
        .collect::<Result<Vec<_>>>()?;
    if let Some(r) = runs.iter().find(|r| r.diverged) {
        return Err(Error::Numerical(format!(
            "seed {}: the objective overflowed (the step is too large: lower --lr)",
            r.seed
        )));
    }
    let best = runs.iter().map(|r| r.best).fold(f64::INFINITY, f64::min);
    let report = SgdJson {
        model: "path3",
        n: ds.len(),
        beta,
        width: settings.width.max(2),
        inner,
        optimizer: settings.optimizer.name(),
        epochs: settings.epochs,
        lr: settings.lr,
        runs: runs
            .iter()
            .map(|r| RunJson {
                seed: r.seed,
                objective: r.best,
                last: r.last,
                rel_gap: optimum.map(|b| (r.best - b.lower) / r.best.abs().max(1.0)),
                diverged: r.diverged,
                seconds: r.seconds,
                subnetworks: subnets_json(&r.network),
            })
            .collect(),
        best,
        optimum_lower_bound: optimum.map(|b| b.lower),
        optimum_upper_bound: optimum.map(|b| b.upper),
        seconds: t0.elapsed().as_secs_f64(),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    let mut text = format!(
        "path-regularized three-layer network, smooth form: {} sub-networks × {} neurons, {} \
         ({} epochs, lr {}), n = {}, β = {}",
        report.width, inner, report.optimizer, report.epochs, report.lr, report.n, beta
    );
    match optimum {
        Some(b) => text.push_str(&format!(
            "\ncertified optimum: [{:.10}, {:.10}]",
            b.lower, b.upper
        )),
        None => text.push_str("\n(no certified optimum: beyond the exact size, or --no-optimum)"),
    }
    text.push_str("\nseed  best objective    last objective    rel. gap");
    for r in &report.runs {
        text.push_str(&format!(
            "\n{:>4}  {:<17.10}  {:<16.10}  {}",
            r.seed,
            r.objective,
            r.last,
            r.rel_gap.map_or("–".into(), |g| format!("{g:.3e}"))
        ));
    }
    Ok(text)
}

/// One model of the path-regularization comparison (docs/math.md#path3): its network's output
/// over the plane, its own objective (each model has its own regularizer, so objectives compare
/// only within a model) and its training fit.
#[derive(Debug, Clone)]
pub struct ComparedModel {
    /// Which model.
    pub name: &'static str,
    /// How its network was found (certified optimum, best of seeds, restricted program …).
    pub how: String,
    /// Its objective on the data.
    pub objective: f64,
    /// A certified lower bound on its optimum, when there is one.
    pub lower_bound: Option<f64>,
    /// `½‖f(X) − y‖²`.
    pub loss: f64,
    /// Fraction of points with `sign f = y` (labels ±1).
    pub accuracy: f64,
    /// `f` over the plane.
    pub output: crate::geometry::grid::Grid,
}

/// The three models of the comparison, in order.
pub const COMPARED: [&str; 3] = [
    "two-layer, weight decay",
    "three-layer, weight decay",
    "three-layer, path regularization",
];

/// Fits the three models of the path-regularization comparison to `input` (squared loss, its
/// β): the certified two-layer weight-decay optimum, the best of four Adam runs of a fully
/// connected three-layer network with weight decay (20 + 20 neurons, 3000 epochs), and the
/// path-regularized three-layer optimum (exact and certified up to 10 points, the restricted
/// program beyond). `on_model` receives each as it is done; `stop` cancels between and inside
/// the solves.
pub fn compare_models(
    input: &ProblemInput,
    extent: [f64; 4],
    stop: &AtomicBool,
    mut on_model: impl FnMut(usize, ComparedModel),
) -> Result<()> {
    use std::sync::atomic::Ordering;
    let (x, y, beta) = (&input.x, &input.y, input.beta);
    let fit = |f: &dyn Fn([f64; 2]) -> f64| {
        let pred: Vec<f64> = x.iter().map(|&p| f(p)).collect();
        let loss = pred
            .iter()
            .zip(y)
            .map(|(a, b)| 0.5 * (a - b) * (a - b))
            .sum();
        let acc = pred.iter().zip(y).filter(|(a, b)| **a * **b > 0.0).count() as f64
            / y.len().max(1) as f64;
        (loss, acc, function_grid(f, FIELD, FIELD, extent))
    };
    let cancelled = || Error::InvalidSetting("cancelled".into());
    // 1. Two-layer weight decay, certified.
    let two = two_layer_solution(input, stop)?;
    if stop.load(Ordering::Relaxed) {
        return Err(cancelled());
    }
    let net2 = two.network.clone();
    let (loss, accuracy, output) = fit(&|p| net2.eval(p));
    on_model(
        0,
        ComparedModel {
            name: COMPARED[0],
            how: format!("certified optimum ({} neurons)", net2.neurons.len()),
            objective: two.bounds.upper,
            lower_bound: Some(two.bounds.lower),
            loss,
            accuracy,
            output,
        },
    );
    // 2. Three-layer weight decay: best of four Adam runs.
    let mut best: Option<(crate::solve::fc3::Fc3Network, f64)> = None;
    for seed in 1..=4 {
        if stop.load(Ordering::Relaxed) {
            return Err(cancelled());
        }
        let run = crate::solve::fc3::train_fc3(
            x,
            y,
            beta,
            20,
            20,
            SgdSettings {
                init_scale: 0.5,
                lr: 0.01,
                lr_final: 1e-4,
                epochs: 3000,
                optimizer: crate::solve::Optimizer::Adam,
                seed,
                ..SgdSettings::default()
            },
        )?;
        if best.as_ref().is_none_or(|b| run.1 < b.1) {
            best = Some(run);
        }
    }
    let Some((net3, obj3)) = best else {
        return Err(cancelled());
    };
    let (loss, accuracy, output) = fit(&|p| net3.eval(p));
    on_model(
        1,
        ComparedModel {
            name: COMPARED[1],
            how: "best of 4 Adam runs, 20 + 20 neurons (no certificate exists)".into(),
            objective: obj3,
            lower_bound: None,
            loss,
            accuracy,
            output,
        },
    );
    // 3. Path regularization: exact when small, restricted beyond.
    let pr = problem(input)?;
    let exact = pr.n() <= EXACT_MAX_N;
    let sol = if exact {
        solve_path3(pr, &settings(input.tol), until_stopped(stop))?
    } else {
        let blocks = candidate_blocks(x, y, beta, &two.network, 200)?;
        crate::solve::path3::solve_path3_restricted(
            pr,
            &settings(input.tol),
            &blocks,
            until_stopped(stop),
        )?
    };
    if stop.load(Ordering::Relaxed) {
        return Err(cancelled());
    }
    let net = sol.network.clone();
    let (loss, accuracy, output) = fit(&|p| net.eval(p));
    on_model(
        2,
        ComparedModel {
            name: COMPARED[2],
            how: if exact && sol.status == Status::Converged {
                format!(
                    "certified optimum ({} sub-networks, {} neurons)",
                    net.subnets.len(),
                    net.neuron_count()
                )
            } else {
                format!(
                    "restricted program, not certified ({} sub-networks, {} neurons)",
                    net.subnets.len(),
                    net.neuron_count()
                )
            },
            objective: net.objective(x, y, beta),
            lower_bound: (exact && sol.status == Status::Converged).then_some(sol.bounds.lower),
            loss,
            accuracy,
            output,
        },
    );
    Ok(())
}
