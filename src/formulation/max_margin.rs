//! The max-margin program (`docs/math.md#max-margin`): where unregularized gradient flow on a
//! two-layer ReLU network heads. Its convex form `min Σ(‖vᵢ‖ + ‖wᵢ‖)` s.t. margins ≥ 1 and the
//! cone constraints is solved by exact rounds and certified over all regions; its optimum `p*`
//! gives the best normalized margin `1/p*` any two-layer ReLU network of any width can reach.
//! The comparison runs are gradient descent on the logistic loss with β = 0 from a small
//! initialization, scored by their normalized path norm (path norm over smallest margin), which
//! the theory says cannot go below `p*`.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::relu::{dual_view, relu_info, size_warning};
use super::report::{NeuronJson, neurons_json, neurons_text, to_json};
use super::snapshot::{
    DualEstimate, FIELD, ModelKind, ModelSnapshot, ProblemInfo, ReluSnapshot, SeedScore,
    SgdSnapshot, Snapshot, ViewSpec, metrics, significant,
};
use super::{
    Args, CliFlags, Formulation, ModelNetwork, Optimum, ProblemInput, SgdJob, SgdRun, SizeWarning,
    Stepper, until_stopped,
};
use crate::certify::Bounds;
use crate::convex::ReluProblem;
use crate::data::LabelMode;
use crate::error::Result;
use crate::geometry::PatternMode;
use crate::geometry::grid::output_grid;
use crate::model::{Loss, ReluNetwork};
use crate::solve::maxmargin::{
    MarginLoss, MaxMarginDriver, MaxMarginSettings, gd_certificate, neuron_patterns,
    normalized_path_norm, patterns_in_optimum, solve_max_margin,
};
use crate::solve::{Iterate, SgdSettings, SgdTrainer, Status};

/// The max-margin program.
pub struct MaxMargin;

/// The program of `input` (the loss and β do not enter: labels ±1, margins ≥ 1).
fn problem(input: &ProblemInput) -> Result<ReluProblem> {
    ReluProblem::with_exact(
        input.x.clone(),
        input.y.clone(),
        Loss::Hinge,
        1.0,
        PatternMode::Exact,
        input.exact()?,
    )
}

fn settings(input: &ProblemInput) -> MaxMarginSettings {
    MaxMarginSettings {
        tol: input.tol,
        ..MaxMarginSettings::default()
    }
}

impl Formulation for MaxMargin {
    fn id(&self) -> &'static str {
        "max-margin"
    }
    fn name(&self) -> &'static str {
        "Max-margin (gradient flow)"
    }
    fn summary(&self) -> &'static str {
        "Without regularization, gradient descent on the logistic loss makes the network's \
         margin grow; its direction tends to a max-margin network. The best normalized margin \
         min_j y_j f(x_j) / Σₖ ‖uₖ‖|αₖ| over all widths is 1/p* of the convex program\n\
         min Σᵢ (‖vᵢ‖ + ‖wᵢ‖)  s.t.  y ∘ Σᵢ DᵢX̃(vᵢ − wᵢ) ≥ 1, cone constraints\n\
         (labels ±1; the loss and β settings do not apply). Its dual is max 1ᵀλ s.t. λ ≥ 0, \
         |(λ∘y)ᵀ(X̃u)₊| ≤ 1 on the unit sphere: the certificate map of λ∘y, whose maxima are \
         where gradient descent's neurons end up. The comparison runs are β = 0 GD (logistic \
         or exponential loss), scored by path norm / smallest margin (never below p*)."
    }
    fn kind(&self) -> ModelKind {
        ModelKind::MaxMargin
    }
    fn uses_patterns(&self) -> bool {
        false
    }
    fn uses_loss_and_beta(&self) -> bool {
        false
    }
    fn size_warning(&self, input: &ProblemInput) -> Option<SizeWarning> {
        size_warning(input.x.len(), PatternMode::Exact)
    }
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        Ok(Box::new(MarginStepper(MaxMarginDriver::new(
            problem(input)?,
            &settings(input),
        )?)))
    }
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum> {
        let sol = solve_max_margin(problem(input)?, &settings(input), until_stopped(stop))?;
        Ok(Optimum {
            bounds: sol.bounds,
            status: sol.status,
            seconds: sol.seconds,
            network: ModelNetwork::Relu(sol.network),
            relaxes: None,
            certified: true,
        })
    }
    fn sgd(&self, input: &ProblemInput, job: &SgdJob) -> Result<Box<dyn SgdRun>> {
        problem(input)?;
        let trainers = (1..=job.seeds as u64)
            .map(|seed| {
                SgdTrainer::new(
                    input.x.clone(),
                    input.y.clone(),
                    job.margin_loss.training_loss(),
                    0.0,
                    SgdSettings {
                        init_scale: 0.01,
                        ..job.settings(seed)
                    },
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(MarginSeeds {
            trainers,
            loss: job.margin_loss,
            input: input.clone(),
            exact: input.exact()?,
        }))
    }
    fn solve_cli(&self, args: &Args) -> Result<String> {
        solve_report(args)
    }
    fn sgd_flags(&self) -> CliFlags {
        CliFlags::default()
    }
    fn sgd_cli(&self, args: &Args) -> Result<String> {
        sgd_report(args)
    }
}

#[derive(Serialize)]
struct MarginRunJson {
    seed: u64,
    /// `min_j y_j f(x_j) / Σ_k ‖u_k‖|α_k|` (0 or negative while a point is misclassified).
    normalized_margin: f64,
    /// `normalized_margin · p*_upper`: at most 1 (certified: `p*_lower · margin ≤ 1`).
    ratio_to_optimum: f64,
    /// The certificate of the dual estimate `λ_j ∝ −y_jℓ'(f(x_j))` over its value at the
    /// network's neurons: 1 at a global max-margin network, above 1 when `best_direction`
    /// would raise the margin.
    certificate_ratio: f64,
    best_direction: [f64; 3],
    /// Every `--history-every` epochs: the normalized margin and the activation patterns the
    /// network's neurons use on the data, and how many of them the max-margin optimum uses.
    history: Vec<PatternPoint>,
    neurons: Vec<NeuronJson>,
}

#[derive(Serialize, Clone, Copy)]
struct PatternPoint {
    epoch: usize,
    normalized_margin: f64,
    /// Distinct non-empty activation patterns of the neurons on the training points.
    patterns_used: usize,
    /// How many of them are patterns of the max-margin optimum's neurons.
    patterns_in_optimum: usize,
}

#[derive(Serialize)]
struct MarginSgdJson {
    model: &'static str,
    n: usize,
    width: usize,
    optimizer: &'static str,
    /// `logistic` or `exponential`.
    loss: &'static str,
    epochs: usize,
    lr: f64,
    /// Whether the data are orthogonal separable (with the bias column).
    orthogonal_separable: bool,
    /// Certified bounds on p*; the best normalized margin is in `[1/upper, 1/lower]`.
    optimum_upper_bound: f64,
    optimum_lower_bound: f64,
    runs: Vec<MarginRunJson>,
    seconds: f64,
}

/// One β = 0 run with its pattern history.
fn margin_run(
    ds: &crate::data::Dataset,
    exact: &crate::geometry::PatternSet,
    optimum: &ReluNetwork,
    opt_upper: f64,
    settings: SgdSettings,
    loss: MarginLoss,
    every: usize,
) -> Result<MarginRunJson> {
    let seed = settings.seed;
    let mut tr = SgdTrainer::new(
        ds.x.clone(),
        ds.y.clone(),
        loss.training_loss(),
        0.0,
        settings,
    )?;
    let margin = |net: &ReluNetwork| {
        let p = normalized_path_norm(net, &ds.x, &ds.y);
        if p.is_finite() { 1.0 / p } else { 0.0 }
    };
    let point = |epoch: usize, net: &ReluNetwork| {
        let used = neuron_patterns(net, &ds.x);
        PatternPoint {
            epoch,
            normalized_margin: margin(net),
            patterns_used: used.len(),
            patterns_in_optimum: patterns_in_optimum(&used, optimum, &ds.x),
        }
    };
    let mut history = Vec::new();
    for epoch in 1..=settings.epochs {
        if !tr.step().objective.is_finite() {
            break;
        }
        if every > 0 && (epoch % every == 0 || epoch == settings.epochs) {
            history.push(point(epoch, &tr.network()));
        }
    }
    let net = tr.network();
    let c = gd_certificate(&net, &ds.x, &ds.y, exact, loss);
    let m = margin(&net);
    Ok(MarginRunJson {
        seed,
        normalized_margin: m,
        ratio_to_optimum: m * opt_upper,
        certificate_ratio: c.ratio,
        best_direction: c.argmax,
        history,
        neurons: neurons_json(&net),
    })
}

/// `sgd --model max-margin`: β = 0 gradient descent (logistic or exponential) from the given initialization,
/// each run's normalized margin against the certified best, and its dual estimate's certificate.
pub(crate) fn sgd_report(args: &Args) -> Result<String> {
    let (settings, seeds, every) = args.sgd_settings()?;
    let loss = MarginLoss::parse(args.get("--loss").unwrap_or("logistic"))?;
    if let Some(b) = args.get("--beta")
        && b.parse::<f64>() != Ok(0.0)
    {
        return Err(crate::error::Error::InvalidSetting(format!(
            "--beta {b}: the max-margin runs are unregularized (β = 0); drop --beta"
        )));
    }
    let ds = args.dataset(LabelMode::Auto)?;
    let t0 = std::time::Instant::now();
    let pr = ReluProblem::new(
        ds.x.clone(),
        ds.y.clone(),
        Loss::Hinge,
        1.0,
        PatternMode::Exact,
    )?;
    let exact = pr.exact.clone();
    let opt = solve_max_margin(pr, &MaxMarginSettings::default(), |_| {
        ControlFlow::Continue(())
    })?;
    let seed_list: Vec<u64> = (0..seeds).collect();
    // One thread per seed (at most the machine's cores at a time).
    let threads = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut runs: Vec<Option<Result<MarginRunJson>>> = (0..seeds).map(|_| None).collect();
    let chunk = (seeds as usize).div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (slot, seed_chunk) in runs.chunks_mut(chunk).zip(seed_list.chunks(chunk)) {
            let (ds, exact, optimum, opt_upper) = (&ds, &exact, &opt.network, opt.bounds.upper);
            scope.spawn(move || {
                for (o, &seed) in slot.iter_mut().zip(seed_chunk) {
                    *o = Some(margin_run(
                        ds,
                        exact,
                        optimum,
                        opt_upper,
                        SgdSettings { seed, ..settings },
                        loss,
                        every,
                    ));
                }
            });
        }
    });
    let runs = runs
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(crate::error::Error::Numerical(
                    "a run did not finish".into(),
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let report = MarginSgdJson {
        model: "max-margin",
        n: ds.len(),
        width: settings.width,
        optimizer: settings.optimizer.name(),
        loss: loss.name(),
        epochs: settings.epochs,
        lr: settings.lr,
        orthogonal_separable: ds.orthogonal_separable() == Some(true),
        optimum_upper_bound: opt.bounds.upper,
        optimum_lower_bound: opt.bounds.lower,
        runs,
        seconds: t0.elapsed().as_secs_f64(),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    let mut text = format!(
        "β = 0 {} {} ({} epochs, lr {}), width {}, n = {}{}\n\
         best normalized margin of any two-layer ReLU network: {:.8} (certified: p* ∈ [{:.8}, \
         {:.8}])\nseed  normalized margin  ratio to best  certificate ratio",
        report.loss,
        report.optimizer,
        report.epochs,
        report.lr,
        report.width,
        report.n,
        if report.orthogonal_separable {
            ", orthogonal separable data"
        } else {
            ""
        },
        1.0 / report.optimum_upper_bound,
        report.optimum_lower_bound,
        report.optimum_upper_bound
    );
    for r in &report.runs {
        text.push_str(&format!(
            "\n{:>4}  {:<17.8}  {:<13.6}  {:.6}",
            r.seed, r.normalized_margin, r.ratio_to_optimum, r.certificate_ratio
        ));
    }
    Ok(text)
}

struct MarginStepper(MaxMarginDriver);

impl Stepper for MarginStepper {
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
        let network = self.0.current().clone();
        let b = self.0.bounds();
        // The extreme-point view: the certificate map of λ∘y (scaled to maximum 1 where it
        // exceeds 1), whose maxima are where the max-margin neurons sit.
        let lambda = self.0.dual();
        let residual = if lambda.is_empty() {
            dual_view(pr, vec![0.0; pr.n()], 0.0, view)
        } else {
            let v: Vec<f64> = lambda.iter().zip(&pr.y).map(|(l, y)| l * y).collect();
            let c = b.certificate;
            let s = if c > 1.0 { 1.0 / c } else { 1.0 };
            let scaled: Vec<f64> = v.iter().map(|a| a * s).collect();
            dual_view(pr, scaled, c, view)
        };
        let path = normalized_path_norm(&network, &pr.x, &pr.y);
        Snapshot {
            iter,
            beta: 1.0,
            bounds: Bounds {
                upper: path,
                lower: b.lower,
                certificate: b.certificate,
            },
            output: output_grid(&network, FIELD, FIELD, view.extent),
            train: metrics(&network, &pr.x, &pr.y, Loss::Hinge),
            test: metrics(&network, &view.test_x, &view.test_y, Loss::Hinge),
            classes: 1,
            model: ModelSnapshot::Relu(Box::new(ReluSnapshot {
                shown: significant(&network),
                pattern_sizes: network
                    .neurons
                    .iter()
                    .map(|nr| pr.x.iter().filter(|&&p| nr.pre(p) > 0.0).count())
                    .collect(),
                network,
                // Stationarity on the regularized program does not apply here.
                kkt: Vec::new(),
                residual,
                certifying: None,
                gated: None,
                robust: None,
                working_set: None,
            })),
        }
    }
    fn set_beta(&mut self, _beta: f64) -> Result<()> {
        Ok(()) // β does not enter the max-margin program
    }
    fn rho(&self) -> f64 {
        f64::NAN
    }
}

/// β = 0 gradient descent (logistic or exponential) from a small initialization, scored by the normalized path
/// norm (≥ p*; ∞ while a point is misclassified).
struct MarginSeeds {
    trainers: Vec<SgdTrainer>,
    loss: MarginLoss,
    input: ProblemInput,
    exact: std::sync::Arc<crate::geometry::PatternSet>,
}

impl SgdRun for MarginSeeds {
    fn seeds(&self) -> usize {
        self.trainers.len()
    }
    fn step(&mut self) -> Vec<(f64, f64)> {
        let i = &self.input;
        self.trainers
            .iter_mut()
            .map(|t| {
                let s = t.step().seconds;
                (s, normalized_path_norm(&t.network(), &i.x, &i.y))
            })
            .collect()
    }
    fn snapshot(&self, epoch: usize, view: &ViewSpec) -> SgdSnapshot {
        let i = &self.input;
        let networks: Vec<ReluNetwork> = self.trainers.iter().map(|t| t.network()).collect();
        let certs: Vec<_> = networks
            .iter()
            .map(|n| gd_certificate(n, &i.x, &i.y, &self.exact, self.loss))
            .collect();
        SgdSnapshot {
            epoch,
            bounds: networks
                .iter()
                .map(|n| Bounds {
                    upper: normalized_path_norm(n, &i.x, &i.y),
                    lower: f64::NAN,
                    certificate: f64::NAN,
                })
                .collect(),
            train: networks
                .iter()
                .map(|n| metrics(n, &i.x, &i.y, self.loss.training_loss()))
                .collect(),
            test: networks
                .iter()
                .map(|n| metrics(n, &view.test_x, &view.test_y, self.loss.training_loss()))
                .collect(),
            // The dual estimate's certificate ratio: 1 at a global max-margin network.
            score: Some(SeedScore {
                name: "cert. ratio",
                values: certs.iter().map(|c| c.ratio).collect(),
                percent: false,
            }),
            dual_estimates: certs
                .into_iter()
                .map(|c| DualEstimate {
                    v: c.v,
                    ratio: c.ratio,
                    argmax: c.argmax,
                    near_max: c.near_max,
                })
                .collect(),
            networks: networks.into_iter().map(ModelNetwork::Relu).collect(),
        }
    }
}

#[derive(Serialize)]
struct SolveJson {
    model: &'static str,
    n: usize,
    patterns: usize,
    status: &'static str,
    iterations: usize,
    polish_rounds: usize,
    /// The solver's time (after reading the data and enumerating the patterns).
    seconds: f64,
    /// The whole command: reading, enumeration, solve, report.
    total_seconds: f64,
    /// p*: the path norm Σ‖u‖|α| of the reported network, whose smallest margin is 1.
    objective: f64,
    lower_bound: f64,
    rel_gap: f64,
    /// `c(λ∘y)` of the multipliers behind the lower bound (1 at the optimum).
    certificate: f64,
    /// The best normalized margin of any two-layer ReLU network: `1/p*`, certified to lie in
    /// `[1/objective, 1/lower_bound]`.
    margin: f64,
    neurons: Vec<NeuronJson>,
}

/// `solve --model max-margin`.
fn solve_report(args: &Args) -> Result<String> {
    let t_start = std::time::Instant::now();
    let tol: f64 = args.parsed("--tol", 1e-6, "a positive number")?;
    let max_rounds: usize = args.parsed("--max-iter", 80usize, "a positive integer")?;
    let ds = args.dataset(LabelMode::Auto)?;
    let pr = ReluProblem::new(
        ds.x.clone(),
        ds.y.clone(),
        Loss::Hinge,
        1.0,
        PatternMode::Exact,
    )?;
    let patterns = pr.exact.len();
    let settings = MaxMarginSettings {
        tol,
        max_rounds,
        ..MaxMarginSettings::default()
    };
    let sol = solve_max_margin(pr, &settings, |_| ControlFlow::Continue(()))?;
    let objective = normalized_path_norm(&sol.network, &ds.x, &ds.y);
    let report = SolveJson {
        model: "max-margin",
        n: ds.len(),
        patterns,
        status: sol.status.name(),
        iterations: sol.rounds,
        polish_rounds: sol.rounds,
        seconds: sol.seconds,
        total_seconds: t_start.elapsed().as_secs_f64(),
        objective,
        lower_bound: sol.bounds.lower,
        rel_gap: (objective - sol.bounds.lower) / objective.abs().max(1.0),
        certificate: sol.bounds.certificate,
        margin: 1.0 / objective,
        neurons: neurons_json(&sol.network),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    let text = format!(
        "max-margin program, n = {}, {} regions\nstatus: {}{}\n\
         p* (path norm at margin 1): {:.10}\nlower bound:                {:.10}\n\
         certified rel. gap: {:.3e}\nbest normalized margin of any two-layer ReLU network: {:.10}\n\
         {} rounds in {:.3} s\n{}{}",
        report.n,
        report.patterns,
        report.status,
        if sol.status == Status::Converged {
            " (certified)"
        } else {
            ""
        },
        report.objective,
        report.lower_bound,
        report.rel_gap,
        report.margin,
        report.polish_rounds,
        report.seconds,
        if ds.orthogonal_separable() == Some(true) {
            "the data are orthogonal separable: gradient flow from a small initialization \
             reaches this margin"
        } else {
            "the data are not orthogonal separable: gradient descent may stop below this margin"
        },
        neurons_text(&report.neurons)
    );
    Ok(text)
}
