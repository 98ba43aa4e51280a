//! The convex ReLU program (`docs/math.md#relu-convex`), exact or over sampled patterns: the
//! steppable certified driver (ADMM iterations, then exact polish rounds,
//! `docs/math.md#admm`, `#polish`), the certified optimum, SGD of the same two-layer network
//! certified against it (`docs/math.md#certified-gap`), and the `solve`/`sgd` reports.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::report::{NeuronJson, neurons_json, neurons_text, to_json};
use super::snapshot::{
    DualView, FIELD, LINE_FIELD, ModelKind, ModelSnapshot, ProblemDetail, ProblemInfo,
    ReluSnapshot, SgdSnapshot, Snapshot, ViewSpec, WorkingSetView, metrics, neuron_facts,
    significant,
};
use super::{
    Args, CliFlags, Formulation, ModelNetwork, Optimum, ProblemInput, SgdJob, SgdRun, SizeWarning,
    Stepper,
};
use crate::certify::{Bounds, certify_network, kkt_report};
use crate::convex::ReluProblem;
use crate::data::LabelMode;
use crate::error::{Error, Result};
use crate::geometry::PatternMode;
use crate::geometry::grid::{certificate_grid, line_space_regions, output_grid};
use crate::model::{Loss, ReluNetwork};
use crate::solve::driver::{Driver, Method};
use crate::solve::working_set::{WorkingSetSettings, WorkingSetSolver};
use crate::solve::{
    AdmmSettings, EpochReport, Iterate, SgdTrainer, SolveSettings, Status, solve_relu, train_seeds,
};

/// Convex ReLU (exact or sampled patterns).
pub struct ConvexRelu;

fn problem(input: &ProblemInput, mode: PatternMode) -> Result<ReluProblem> {
    ReluProblem::with_exact(
        input.x.clone(),
        input.y.clone(),
        input.loss,
        input.beta,
        mode,
        input.exact()?,
    )
}

impl Formulation for ConvexRelu {
    fn id(&self) -> &'static str {
        "relu"
    }
    fn name(&self) -> &'static str {
        "Convex ReLU (exact)"
    }
    fn summary(&self) -> &'static str {
        "Two-layer ReLU net f(x) = Σₖ αₖ (uₖᵀx̃)₊, x̃ = (x, 1), trained with weight decay\n\
         min ℓ(f(X), y) + β/2 Σₖ (‖uₖ‖² + αₖ²)\n\
         is exactly the convex program over the activation patterns Dᵢ = diag(1[Xuᵢ > 0]):\n\
         min ℓ(Σᵢ DᵢX̃(vᵢ − wᵢ), y) + β Σᵢ (‖vᵢ‖ + ‖wᵢ‖)\n\
         s.t. (2Dᵢ − I)X̃vᵢ ≥ 0, (2Dᵢ − I)X̃wᵢ ≥ 0.\n\
         Each non-zero block is one neuron: u = v/√‖v‖, α = ±√‖v‖. ADMM splits the cone \
         constraints off; its u-update is a Woodbury solve with an n×n matrix. The lower bound \
         is the dual objective at a scaled residual, certified over all regions."
    }
    fn kind(&self) -> ModelKind {
        ModelKind::Relu
    }
    fn size_warning(&self, input: &ProblemInput) -> Option<SizeWarning> {
        size_warning(input.x.len(), input.patterns)
    }
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        // ADMM is what one watches; after 150 iterations (or once its certified gap is below
        // 10⁻³) exact polish rounds with column generation finish the job, one step each.
        // Watching wants certified bounds at every step, but a check (two exact certificates
        // over all regions) costs about three ADMM iterations: on all but tiny problems the
        // bounds are certified every 5th step, the default snapshot spacing, so a snapshot
        // reuses the check; a live iteration then stays within ~2× of a bare one (benchmark
        // `live_iteration`).
        let tiny = input.x.len() * input.x.len() * input.x.len() <= 40_000;
        let settings = SolveSettings {
            method: input.method,
            admm: AdmmSettings {
                rho: input.rho,
                check_every: if tiny { 1 } else { 5 },
                ..AdmmSettings::default()
            },
            tol: input.tol,
            max_iter: 1_000_000,
            polish_after: 150,
            ..SolveSettings::default()
        };
        let driver = Driver::new(problem(input, input.patterns)?, &settings)?;
        Ok(Box::new(DriverStepper(driver, Default::default())))
    }
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum> {
        // The optimum of the *exact* program: the global optimum of the network, whatever
        // patterns the stepped solver uses. The working-set solver lists no region, and warm-
        // starts from the previous optimum's working set after an edit (a dragged point).
        let t = std::time::Instant::now();
        let settings = WorkingSetSettings {
            tol: input.tol,
            ..WorkingSetSettings::default()
        };
        let warm = input.warm.take().filter(|ws| ws.loss() == input.loss);
        let mut ws = match warm {
            Some(mut ws) => {
                ws.set_tol(input.tol)?;
                ws.set_data(input.x.clone(), input.y.clone())?;
                ws.set_beta(input.beta)?;
                ws
            }
            None => Box::new(WorkingSetSolver::new(
                input.x.clone(),
                input.y.clone(),
                input.loss,
                input.beta,
                settings,
            )?),
        };
        let stopped = || stop.load(std::sync::atomic::Ordering::Relaxed);
        while !stopped() && ws.step().is_some() {}
        let status = if ws.is_done() {
            ws.status()
        } else {
            Status::Stopped
        };
        // The optimum is the reference line the run is read against: a few more tight rounds
        // make its interval much narrower than the run's tolerance (it would otherwise look
        // wider than the run's own bounds near their end). The bounds only improve.
        if status == Status::Converged && ws.bounds().rel_gap() > OPTIMUM_GAP {
            ws.set_tol(OPTIMUM_GAP)?;
            for _ in 0..3 {
                if stopped() || ws.step().is_none() {
                    break;
                }
            }
        }
        let (bounds, network) = (ws.bounds(), ws.network().clone());
        input.warm.put(ws);
        // Carathéodory-pruned: same predictions and objective, linearly independent neurons, so
        // its width is the m* the SGD width choice "0" refers to.
        Ok(Optimum {
            bounds,
            status,
            seconds: t.elapsed().as_secs_f64(),
            network: ModelNetwork::Relu(crate::decompose::relu::prune(&network, &input.x)),
            relaxes: None,
            certified: true,
        })
    }
    fn sgd(&self, input: &ProblemInput, job: &SgdJob) -> Result<Box<dyn SgdRun>> {
        let exact = input.exact()?;
        let trainers = (1..=job.seeds as u64)
            .map(|seed| {
                SgdTrainer::new(
                    input.x.clone(),
                    input.y.clone(),
                    input.loss,
                    input.beta,
                    job.settings(seed),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(ReluSeeds {
            trainers,
            input: input.clone(),
            exact,
        }))
    }
    fn solve_flags(&self) -> CliFlags {
        CliFlags {
            values: &["--patterns", "--solver"],
            switches: &["--no-polish", "--prune"],
        }
    }
    fn solve_cli(&self, args: &Args) -> Result<String> {
        solve_report(args)
    }
    fn sgd_flags(&self) -> CliFlags {
        CliFlags {
            values: &["--adversarial", "--epsilon", "--pgd-steps"],
            switches: &[],
        }
    }
    fn sgd_cli(&self, args: &Args) -> Result<String> {
        sgd_report(args)
    }
}

/// The command line's default learning rate times the number of points (`--lr` = 0.3/n).
pub const DEFAULT_LR_TIMES_N: f64 = 0.3;

/// Above this many training points the app asks before building the program.
pub const CONFIRM_ABOVE: usize = 250;

/// Rough cost of the exact program for `n` points in general position: regions
/// `n² − n + 2`, ADMM's memory (slack and dual arrays of `2nP` numbers, plus ~20 %) and the
/// time to a certified 1e-6 gap, extrapolated from measurements on a 2-core machine
/// (n = 100: 3.6 s, 200: 33 s, 400: 257 s, roughly n^3.1).
pub fn exact_cost(n: usize) -> (usize, f64, f64) {
    let p = n * n - n + 2;
    let bytes = 1.2 * 2.0 * n as f64 * p as f64 * 8.0;
    let seconds = 3.6 * (n as f64 / 100.0).powf(3.1);
    (p, bytes, seconds)
}

fn human_bytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else {
        format!("{:.0} MB", b / 1e6)
    }
}

fn human_seconds(s: f64) -> String {
    if s >= 3600.0 {
        format!("{:.1} hours", s / 3600.0)
    } else if s >= 120.0 {
        format!("{:.0} minutes", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

/// The warning for `n` training points (see [`CONFIRM_ABOVE`]).
pub fn size_warning(n: usize, patterns: PatternMode) -> Option<SizeWarning> {
    if n <= CONFIRM_ABOVE {
        return None;
    }
    let (p, bytes, seconds) = exact_cost(n);
    Some(match patterns {
        PatternMode::Exact => SizeWarning {
            text: format!(
                "{n} training points: the exact program has {p} regions (variable blocks). ADMM \
                 needs about {} of memory and the certified optimum roughly {} on a 2-core \
                 machine. Sampled patterns keep the solver small (its gap to the exact optimum \
                 is still certified over all regions).",
                human_bytes(bytes),
                human_seconds(seconds)
            ),
            propose_sampled: true,
        },
        PatternMode::Sampled { count, .. } => SizeWarning {
            text: format!(
                "{n} training points, {count} sampled patterns: every certified bound ranges \
                 over all {p} regions, and the certified optimum p* solves the exact program \
                 (about {} of memory, roughly {}).",
                human_bytes(bytes),
                human_seconds(seconds)
            ),
            propose_sampled: false,
        },
    })
}

/// The driver and the last certifying dual point's view (it changes only when the lower bound
/// improves; its exact certificate is the costly part of a snapshot).
struct DriverStepper(Driver, std::sync::Mutex<Option<DualView>>);

impl Stepper for DriverStepper {
    fn step(&mut self) -> Option<Iterate> {
        self.0.step()
    }
    fn status(&self) -> Status {
        self.0.status()
    }
    fn is_done(&self) -> bool {
        self.0.is_done()
    }
    fn info(&self, view: &ViewSpec) -> ProblemInfo {
        relu_info(self.0.problem(), view)
    }
    fn snapshot(&self, iter: usize, view: &ViewSpec) -> Snapshot {
        let pr = self.0.problem();
        let dual = self.0.certifying_dual();
        let certifying = (!dual.is_empty()).then(|| {
            let mut cache = self.1.lock().unwrap_or_else(|e| e.into_inner());
            match cache.as_ref() {
                Some(d) if d.v == dual => d.clone(),
                _ => {
                    let d = dual_view(pr, dual.to_vec(), self.0.bounds().certificate, view);
                    *cache = Some(d.clone());
                    d
                }
            }
        });
        let network = self.0.network();
        let mut snap = relu_snapshot(pr, network, self.0.network_check(), certifying, iter, view);
        if let (Some(ws), ModelSnapshot::Relu(r)) = (self.0.working_set(), &mut snap.model) {
            r.working_set = Some(WorkingSetView {
                round: ws.rounds(),
                regions: ws.blocks().len(),
                added: ws.added_last(),
                entered: ws.entered().to_vec(),
            });
        }
        snap
    }
    fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.0.set_beta(beta)
    }
    fn rho(&self) -> f64 {
        self.0.rho()
    }
}

/// Problem facts of a program over activation patterns.
pub fn relu_info(pr: &ReluProblem, view: &ViewSpec) -> ProblemInfo {
    let [nx, ny] = LINE_FIELD;
    let (line_regions, line_chosen) = line_space_regions(&pr.x, &pr.patterns, nx, ny, view.t_max);
    ProblemInfo {
        n: pr.n(),
        detail: ProblemDetail::Relu {
            p: pr.p(),
            exact: pr.exact.len(),
            is_exact: pr.is_exact,
            line_regions,
            line_chosen,
            what: "patterns",
            sizes: format!(
                "variables: 2P blocks of 3 = {} · constraints 2Pn = {}",
                6 * pr.p(),
                2 * pr.p() * pr.n()
            ),
        },
    }
}

/// The snapshot of a ReLU network on its convex program. `checked` are the network's certified
/// bounds and certificate maximiser when the solver has just computed them; `certifying` is the
/// view of the dual point behind the solver's best lower bound, if it has one.
pub fn relu_snapshot(
    pr: &ReluProblem,
    network: ReluNetwork,
    checked: Option<(Bounds, [f64; 3])>,
    certifying: Option<DualView>,
    iter: usize,
    view: &ViewSpec,
) -> Snapshot {
    let (bounds, argmax) = checked.unwrap_or_else(|| {
        let (b, c) = pr.certify(&network);
        (b, c.u)
    });
    let yhat = network.predict(&pr.x);
    let r = pr.loss.dual_point(&yhat, &pr.y);
    let (kkt, pattern_sizes) = neuron_facts(&network, &pr.x, &pr.y, pr.loss, pr.beta);
    let residual = DualView {
        grid: line_field(pr, &r, view),
        near_max: Vec::new(),
        c_over_beta: bounds.certificate,
        argmax,
        v: r,
    };
    Snapshot {
        iter,
        beta: pr.beta,
        bounds,
        output: output_grid(&network, FIELD, FIELD, view.extent),
        train: metrics(&network, &pr.x, &pr.y, pr.loss),
        test: metrics(&network, &view.test_x, &view.test_y, pr.loss),
        classes: 1,
        model: ModelSnapshot::Relu(Box::new(ReluSnapshot {
            shown: significant(&network),
            network,
            kkt,
            pattern_sizes,
            residual,
            certifying,
            gated: None,
            robust: None,
            working_set: None,
        })),
    }
}

fn line_field(pr: &ReluProblem, v: &[f64], view: &ViewSpec) -> crate::geometry::grid::Grid {
    let [nx, ny] = LINE_FIELD;
    certificate_grid(&pr.x, v, pr.beta, nx, ny, view.t_max)
}

/// The certifying (already scaled, feasible) dual point `v` with `c/β` before scaling: its map,
/// and the exact directions where `|h_v|/β ≥ 1 − 10⁻³` (the sweep's best candidates).
pub(crate) fn dual_view(
    pr: &ReluProblem,
    v: Vec<f64>,
    c_over_beta: f64,
    view: &ViewSpec,
) -> DualView {
    let cert = crate::certify::certificate(&pr.x, &pr.exact, &v, 64);
    let mut near_max: Vec<[f64; 3]> = Vec::new();
    for c in &cert.top {
        if c.value >= (1.0 - 1e-3) * pr.beta
            && !near_max
                .iter()
                .any(|u| crate::vec3::dot3(u, &c.u) > 1.0 - 1e-9)
        {
            near_max.push(c.u);
        }
    }
    DualView {
        grid: line_field(pr, &v, view),
        near_max,
        c_over_beta,
        argmax: cert.u,
        v,
    }
}

/// SGD seeds of the two-layer ReLU network, each certified against the exact program.
struct ReluSeeds {
    trainers: Vec<SgdTrainer>,
    input: ProblemInput,
    exact: Arc<crate::geometry::PatternSet>,
}

impl SgdRun for ReluSeeds {
    fn seeds(&self) -> usize {
        self.trainers.len()
    }
    fn step(&mut self) -> Vec<(f64, f64)> {
        self.trainers
            .iter_mut()
            .map(|t| {
                let r = t.step();
                (r.seconds, r.objective)
            })
            .collect()
    }
    fn snapshot(&self, epoch: usize, view: &ViewSpec) -> SgdSnapshot {
        let i = &self.input;
        let networks: Vec<ReluNetwork> = self.trainers.iter().map(|t| t.network()).collect();
        let bounds = networks
            .iter()
            .map(|n| certify_network(&i.x, &i.y, &self.exact, i.loss, i.beta, n).0)
            .collect();
        let test = networks
            .iter()
            .map(|n| metrics(n, &view.test_x, &view.test_y, i.loss))
            .collect();
        let train = networks
            .iter()
            .map(|n| metrics(n, &i.x, &i.y, i.loss))
            .collect();
        SgdSnapshot {
            dual_estimates: Vec::new(),
            epoch,
            networks: networks.into_iter().map(ModelNetwork::Relu).collect(),
            bounds,
            train,
            test,
            score: None,
        }
    }
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
    /// The first-order method (`admm` or `al`).
    solver: &'static str,
    iterations: usize,
    /// First-order iterations (ADMM's or the augmented Lagrangian's).
    first_order_iterations: usize,
    /// ADMM iterations (0 with `--solver al`).
    admm_iterations: usize,
    polish_rounds: usize,
    /// The solver's time (after reading the data and enumerating the patterns).
    seconds: f64,
    /// The whole command: reading, enumeration, solve, report.
    total_seconds: f64,
    objective: f64,
    convex_objective: f64,
    lower_bound: f64,
    /// `(objective − lower_bound) / max(1, |objective|)`: the stop rule.
    rel_gap: f64,
    /// `objective − lower_bound`: when the objective is below 1 the stop rule is this absolute
    /// gap, which can be large relative to a tiny objective.
    gap: f64,
    certificate: f64,
    /// Neurons of the solver's network before Carathéodory pruning (`--prune`).
    width_before_pruning: usize,
    /// Data the solvers handle poorly (near-duplicate points, coordinates far from order 1).
    warnings: Vec<String>,
    neurons: Vec<NeuronJson>,
}

/// `solve --model relu`: parse → solve → report.
fn solve_report(args: &Args) -> Result<String> {
    let t_start = std::time::Instant::now();
    let loss = Loss::parse(args.get("--loss").unwrap_or("squared"))?;
    let beta = args.beta()?;
    let mode = PatternMode::parse(args.get("--patterns").unwrap_or("exact"))?;
    // Over the exact regions the working-set solver is the default: it never lists the
    // regions. ADMM stays the default for sampled patterns and for `--no-polish`.
    let default_solver = if mode == PatternMode::Exact && !args.has("--no-polish") {
        "working-set"
    } else {
        "admm"
    };
    let mut settings = SolveSettings {
        method: Method::parse(args.get("--solver").unwrap_or(default_solver))?,
        max_iter: args.parsed("--max-iter", 10_000usize, "a positive integer")?,
        tol: args.parsed("--tol", 1e-6, "a positive number")?,
        polish: !args.has("--no-polish"),
        ..SolveSettings::default()
    };
    settings.admm.rho = args.parsed("--rho", settings.admm.rho, "a positive number")?;
    settings.validate()?;
    let ds = args.dataset(LabelMode::Auto)?;
    if settings.method == Method::WorkingSet && mode == PatternMode::Exact {
        if args.has("--no-polish") {
            return Err(Error::InvalidSetting(
                "--no-polish: the working-set solver is made of exact rounds; use --solver admm"
                    .into(),
            ));
        }
        let max_rounds = args.parsed("--max-iter", 200usize, "a positive integer")?;
        return working_set_report(args, &ds, loss, beta, settings.tol, max_rounds, t_start);
    }
    let problem = ReluProblem::new(ds.x.clone(), ds.y.clone(), loss, beta, mode)?;
    let (n, count, training) = (problem.n(), problem.exact.len(), problem.p());
    let mut sol = solve_relu(problem, &settings, |_| ControlFlow::Continue(()))?;
    let width_before_pruning = sol.network.neurons.len();
    if args.has("--prune") {
        sol.network = crate::decompose::relu::prune(&sol.network, &ds.x);
    }
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
        solver: settings.method.name(),
        iterations: sol.admm_iterations + sol.polish_rounds,
        first_order_iterations: sol.admm_iterations,
        admm_iterations: if settings.method == Method::Admm {
            sol.admm_iterations
        } else {
            0
        },
        polish_rounds: sol.polish_rounds,
        seconds: sol.seconds,
        total_seconds: t_start.elapsed().as_secs_f64(),
        objective,
        convex_objective: sol.convex_objective,
        lower_bound: sol.bounds.lower,
        rel_gap: sol.bounds.rel_gap(),
        gap: sol.bounds.gap(),
        certificate: sol.bounds.certificate,
        width_before_pruning,
        warnings: ds.conditioning_warnings(),
        neurons: neurons_json(&sol.network),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    Ok(solve_text(&report, sol.status, mode))
}

/// The certified relative gap the app's optimum line is refined to once it meets the run's
/// tolerance (at most three more rounds).
const OPTIMUM_GAP: f64 = 1e-9;

/// `solve --solver working-set` over the exact regions: the working-set solver on the data,
/// no region listed (docs/math.md#working-set).
#[allow(clippy::too_many_arguments)]
fn working_set_report(
    args: &Args,
    ds: &crate::data::Dataset,
    loss: Loss,
    beta: f64,
    tol: f64,
    max_rounds: usize,
    t_start: std::time::Instant,
) -> Result<String> {
    let t = std::time::Instant::now();
    let mut ws = WorkingSetSolver::new(
        ds.x.clone(),
        ds.y.clone(),
        loss,
        beta,
        WorkingSetSettings {
            tol,
            max_rounds,
            ..WorkingSetSettings::default()
        },
    )?;
    while ws.step().is_some() {}
    let seconds = t.elapsed().as_secs_f64();
    let bounds = ws.bounds();
    let status = ws.status();
    let mut network = ws.network().clone();
    let width_before_pruning = network.neurons.len();
    if args.has("--prune") {
        network = crate::decompose::relu::prune(&network, &ds.x);
    }
    let report = SolveJson {
        model: "relu",
        loss: loss.name(),
        beta,
        n: ds.x.len(),
        patterns: region_count(&ds.x, &ws),
        pattern_mode: "exact".into(),
        training_patterns: ws.blocks().len(),
        status: status.name(),
        solver: Method::WorkingSet.name(),
        iterations: ws.rounds(),
        first_order_iterations: 0,
        admm_iterations: 0,
        polish_rounds: ws.rounds(),
        seconds,
        total_seconds: t_start.elapsed().as_secs_f64(),
        objective: network.objective(&ds.x, &ds.y, loss, beta),
        convex_objective: ws.convex_objective(),
        lower_bound: bounds.lower,
        rel_gap: bounds.rel_gap(),
        gap: bounds.gap(),
        certificate: bounds.certificate,
        width_before_pruning,
        warnings: ds.conditioning_warnings(),
        neurons: neurons_json(&network),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    Ok(solve_text(&report, status, PatternMode::Exact))
}

/// Up to this many points `solve` reports the region count of the exact enumeration (cheap
/// there: 4 ms at 200 points); beyond, the certificate sweep counts them without listing them.
const ENUMERATED_COUNT_MAX_N: usize = 500;

/// The number of regions: enumerated for small data (exact also where near-coincident lines
/// defeat rounding), counted by the working set's sweep beyond.
fn region_count(x: &[[f64; 2]], ws: &WorkingSetSolver) -> usize {
    if x.len() <= ENUMERATED_COUNT_MAX_N
        && let Ok(set) = crate::geometry::enumerate_exact(x)
    {
        return set.len();
    }
    ws.region_count()
}

fn solve_text(r: &SolveJson, status: Status, mode: PatternMode) -> String {
    let mut text = format!(
        "convex ReLU, {} loss, beta = {}, n = {}, {} regions ({})\n\
         status: {}{}\n\
         objective (network): {:.10}\n\
         lower bound:         {:.10}\n\
         certified rel. gap:  {:.3e}{}   certificate c(v)/beta = {:.8}\n\
         iterations: {} in {:.3} s",
        r.loss,
        r.beta,
        r.n,
        r.patterns,
        if r.solver == "working-set" {
            "exact, none listed by the solver".to_string()
        } else {
            format!(
                "{} training patterns, {}",
                r.training_patterns, r.pattern_mode
            )
        },
        r.status,
        if status == Status::Converged {
            " (certified)"
        } else {
            ""
        },
        r.objective,
        r.lower_bound,
        r.rel_gap,
        if r.objective.abs() < 1.0 {
            format!(
                " (objective below 1: the stop rule is the absolute gap {:.3e}, {:.1e} of the \
                 objective)",
                r.gap,
                r.gap / r.objective.abs().max(f64::MIN_POSITIVE)
            )
        } else {
            String::new()
        },
        r.certificate,
        match r.solver {
            "working-set" => format!(
                "{} exact rounds on a working set ({} regions at the end)",
                r.polish_rounds, r.training_patterns
            ),
            fo => format!(
                "{} {} + {} polish rounds",
                r.first_order_iterations,
                if fo == "al" {
                    "augmented Lagrangian"
                } else {
                    "ADMM"
                },
                r.polish_rounds
            ),
        },
        r.seconds,
    );
    if matches!(mode, PatternMode::Sampled { .. }) && status != Status::Converged {
        text.push_str(
            "\nnote: the program was restricted to the sampled patterns; the lower bound is \
             certified over all regions, so the gap shows what the missing patterns cost",
        );
    }
    for w in &r.warnings {
        text.push_str(&format!("\nwarning: {w}"));
    }
    if r.width_before_pruning != r.neurons.len() {
        text.push_str(&format!(
            "\npruned (Carathéodory): {} → {} neurons, same predictions, same objective",
            r.width_before_pruning,
            r.neurons.len()
        ));
    }
    text.push_str(&neurons_text(&r.neurons));
    text
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
    /// The objective of the seed's initial network.
    initial_objective: f64,
    /// Training made the objective grow above its initial value: the step is too large.
    diverged: bool,
    /// With `--epsilon`: the exact worst-case training loss over the ε-boxes.
    #[serde(skip_serializing_if = "Option::is_none")]
    robust_loss_exact: Option<f64>,
    /// With `--epsilon`: the fraction of points classified correctly on their whole box.
    #[serde(skip_serializing_if = "Option::is_none")]
    robust_accuracy: Option<f64>,
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
    /// Adversarial training: `none`, `fgsm` or `pgd`.
    adversarial: &'static str,
    /// The box radius of `--epsilon` (absent without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    eps: Option<f64>,
    epochs: usize,
    lr: f64,
    runs: Vec<SgdRunJson>,
    best: f64,
    optimum_lower_bound: f64,
    /// Objective of the convex solver's network (absent with `--no-optimum`).
    #[serde(skip_serializing_if = "Option::is_none")]
    optimum_upper_bound: Option<f64>,
    seconds: f64,
}

/// `sgd --model relu`: train the seeds in parallel → certify each against the exact program →
/// add the convex optimum → report.
fn sgd_report(args: &Args) -> Result<String> {
    // β = 0 with a classification loss is unregularized gradient flow: the max-margin model's
    // runs (docs/math.md#max-margin), which also take the exponential loss.
    let unregularized = args.get("--beta").and_then(|b| b.parse::<f64>().ok()) == Some(0.0);
    let flow_loss = matches!(args.get("--loss"), Some("logistic" | "exponential"));
    if unregularized && flow_loss {
        if args.get("--adversarial").is_some() {
            return Err(crate::error::Error::InvalidSetting(
                "--adversarial: the unregularized (β = 0) runs train on the data as given".into(),
            ));
        }
        return super::max_margin::sgd_report(args);
    }
    if args.get("--loss") == Some("exponential") {
        return Err(crate::error::Error::InvalidSetting(
            "--loss exponential: only for unregularized runs (--beta 0), which head for the \
             max-margin network (or use --model max-margin)"
                .into(),
        ));
    }
    let loss = Loss::parse(args.get("--loss").unwrap_or("squared"))?;
    let beta = args.beta()?;
    let (mut settings, seeds, every) = args.sgd_settings()?;
    let ds = args.dataset(LabelMode::Auto)?;
    // The loss is a sum over the points, so its gradient grows with n: without --lr the step is
    // 0.3/n (0.01 at n = 30), stable as the data grow.
    if args.get("--lr").is_none() {
        settings.lr = DEFAULT_LR_TIMES_N / ds.len() as f64;
        if args.get("--lr-final").is_none() {
            settings.lr_final = settings.lr;
        }
    }
    let eps: Option<f64> = match args.get("--epsilon") {
        Some(_) => {
            let e = args.required_f64("--epsilon", "a number ≥ 0")?;
            crate::solve::sgd::Adversarial::Fgsm { eps: e }.validate()?;
            Some(e)
        }
        None => None,
    };
    let t0 = std::time::Instant::now();
    let seed_list: Vec<u64> = (0..seeds).collect();
    let threads = std::thread::available_parallelism().map_or(1, |c| c.get());
    let runs = train_seeds(
        &ds.x, &ds.y, loss, beta, &settings, &seed_list, threads, every,
    )?;
    // A run whose numbers overflowed is an error with its seed, not a null in the report.
    for (seed, (net, _)) in seed_list.iter().zip(&runs) {
        let obj = net.objective(&ds.x, &ds.y, loss, beta);
        if !obj.is_finite() {
            return Err(crate::error::Error::Numerical(format!(
                "seed {seed} diverged (its objective overflowed): lower --lr (now {:e}) or \
                 --init-scale (now {:e}); the loss is a sum over the {} points, so a stable \
                 step shrinks as n grows",
                settings.lr,
                settings.init_scale,
                ds.len()
            )));
        }
    }
    // Certify every final network against the optimum of the exact convex program.
    let exact = Arc::new(crate::geometry::enumerate_exact(&ds.x)?);
    let mut json_runs = Vec::new();
    for (seed, (net, mut history)) in seed_list.iter().zip(runs) {
        // Directions per epoch stay in the library; the JSON has the final neurons instead.
        history.iter_mut().for_each(|h| h.directions.clear());
        let (b, cert) = certify_network(&ds.x, &ds.y, &exact, loss, beta, &net);
        let kkt = kkt_report(&ds.x, &ds.y, loss, beta, &net);
        let wc = eps.map(|e| crate::model::worst_case::worst_case(&net, &ds.x, &ds.y, loss, e));
        let initial = SgdTrainer::new(
            ds.x.clone(),
            ds.y.clone(),
            loss,
            beta,
            crate::solve::SgdSettings {
                seed: *seed,
                ..settings
            },
        )?
        .network()
        .objective(&ds.x, &ds.y, loss, beta);
        json_runs.push(SgdRunJson {
            initial_objective: initial,
            diverged: b.upper > initial,
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
            robust_loss_exact: wc.as_ref().map(|w| w.loss),
            robust_accuracy: wc.as_ref().map(|w| w.accuracy),
            history,
            neurons: neurons_json(&net),
        });
    }
    let best = json_runs
        .iter()
        .map(|r| r.objective)
        .fold(f64::INFINITY, f64::min);
    // The best certified lower bound: every run's own certificate and the convex solver's.
    let mut optimum = Bounds {
        upper: f64::NAN,
        lower: json_runs
            .iter()
            .map(|r| r.lower_bound)
            .fold(f64::NEG_INFINITY, f64::max),
        certificate: f64::NAN,
    };
    if !args.has("--no-optimum") {
        let problem = ReluProblem::with_exact(
            ds.x.clone(),
            ds.y.clone(),
            loss,
            beta,
            PatternMode::Exact,
            exact,
        )?;
        let sol = solve_relu(problem, &SolveSettings::default(), |_| {
            ControlFlow::Continue(())
        })?;
        optimum.lower = optimum.lower.max(sol.bounds.lower);
        optimum.upper = sol.bounds.upper;
    }
    let report = SgdJson {
        loss: loss.name(),
        beta,
        n: ds.len(),
        width: settings.width,
        optimizer: settings.optimizer.name(),
        adversarial: settings.adversarial.name(),
        eps,
        epochs: settings.epochs,
        lr: settings.lr,
        runs: json_runs,
        best,
        optimum_lower_bound: optimum.lower,
        optimum_upper_bound: optimum.upper.is_finite().then_some(optimum.upper),
        seconds: t0.elapsed().as_secs_f64(),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    Ok(sgd_text(&report, seeds))
}

fn sgd_text(r: &SgdJson, seeds: u64) -> String {
    let mut text = format!(
        "{} seeds, width {}, {} for {} epochs (lr {}), {} loss, beta = {}, n = {}\n\
         certified lower bound on the optimum: {:.10} ({})\n\
         seed  objective        gap to optimum  c(v)/beta   accuracy",
        seeds,
        r.width,
        r.optimizer,
        r.epochs,
        r.lr,
        r.loss,
        r.beta,
        r.n,
        r.optimum_lower_bound,
        r.optimum_upper_bound.map_or_else(
            || "convex solver not run: --no-optimum".to_string(),
            |u| format!("convex solver's network: {u:.10}")
        )
    );
    for run in &r.runs {
        text.push_str(&format!(
            "\n{:>4}  {:<15.10}  {:<14.3e}  {:<10.6}  {:.3}{}",
            run.seed,
            run.objective,
            (run.objective - r.optimum_lower_bound) / run.objective.abs().max(1.0),
            run.certificate,
            run.accuracy,
            if run.diverged {
                format!(
                    "  DIVERGED: the objective grew from {:.4} (lower --lr)",
                    run.initial_objective
                )
            } else {
                String::new()
            }
        ));
    }
    if let Some(e) = r.eps {
        text.push_str(&format!(
            "\nexact worst case over the boxes of radius {e} ({} training):\n\
             seed  robust loss      robust accuracy",
            r.adversarial
        ));
        for run in &r.runs {
            text.push_str(&format!(
                "\n{:>4}  {:<15.10}  {:.3}",
                run.seed,
                run.robust_loss_exact.unwrap_or(f64::NAN),
                run.robust_accuracy.unwrap_or(f64::NAN)
            ));
        }
    }
    text
}
