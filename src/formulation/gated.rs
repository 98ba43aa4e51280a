//! The gated ReLU program (`docs/math.md#gated-relu`): fixed gates — one inside every region of
//! the arrangement, or sampled — and one linear part per gate, a group lasso without cone
//! constraints. Stepped by R-FISTA with an exact finish (`docs/math.md#rfista`), certified over
//! every gate of its set, and mapped back to a ReLU network by the cone decomposition
//! (`docs/math.md#cone-decomposition`), whose gap to the ReLU optimum is certified too. The
//! gradient-trained comparison networks are the ReLU networks of [`super::relu`]: the gated
//! program relaxes their training problem, so `p*(gated) ≤ p*(ReLU) ≤` any of them.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::relu::{ConvexRelu, size_warning};
use super::report::{NeuronJson, neurons_json, to_json};
use super::snapshot::{
    DualView, FIELD, GatedView, LINE_FIELD, ModelKind, ModelSnapshot, ProblemDetail, ProblemInfo,
    ReluSnapshot, Snapshot, ViewSpec, metrics, neuron_facts, significant,
};
use super::{
    Args, CliFlags, Formulation, ModelNetwork, Optimum, ProblemInput, SgdJob, SgdRun, SizeWarning,
    Stepper, until_stopped,
};
use crate::certify::certify_network;
use crate::convex::ReluProblem;
use crate::convex::gated::{GatedProblem, Split};
use crate::data::LabelMode;
use crate::error::Result;
use crate::geometry::areas::{region_areas, scenario_bound};
use crate::geometry::grid::{Grid, line_direction, line_space_regions};
use crate::geometry::{PatternMode, PatternSet};
use crate::model::{Loss, ReluNetwork};
use crate::solve::gated::{GatedDriver, GatedSettings, solve_gated};
use crate::solve::scenario::{SCENARIO_SLACK, ScenarioPoint, scenario_sweep};
use crate::solve::{Iterate, SolveSettings, Status, solve_relu};
use crate::vec3::{dot3, norm3};

/// Gated ReLU (exact or sampled gates).
pub struct GatedRelu;

/// The gated program of `input` with gates `mode`.
pub fn problem(input: &ProblemInput, mode: PatternMode) -> Result<GatedProblem> {
    let exact = input.exact()?;
    let (gates, is_exact) = match mode {
        PatternMode::Exact => (exact, true),
        PatternMode::Sampled { .. } => (std::sync::Arc::new(mode.build(&input.x)?), false),
    };
    GatedProblem::new(
        &input.x,
        input.y.clone(),
        input.loss,
        input.beta,
        &gates,
        is_exact,
    )
}

fn settings(input: &ProblemInput) -> GatedSettings {
    GatedSettings {
        tol: input.tol,
        ..GatedSettings::default()
    }
}

impl Formulation for GatedRelu {
    fn id(&self) -> &'static str {
        "gated-relu"
    }
    fn name(&self) -> &'static str {
        "Gated ReLU (unconstrained)"
    }
    fn summary(&self) -> &'static str {
        "Gated ReLU fixes each neuron's on/off switch: f(x) = Σᵢ 1[gᵢᵀx̃ > 0] · x̃ᵀuᵢ, with one \
         gate gᵢ inside every region of the arrangement (exact) or sampled gates. Training\n\
         min ℓ(Σᵢ DᵢX̃uᵢ, y) + β Σᵢ ‖uᵢ‖\n\
         has no cone constraints (a group lasso), so it relaxes the convex ReLU program: \
         p*(gated) ≤ p*(ReLU). R-FISTA (proximal gradient with momentum and restarts) steps it, \
         an exact solve on the active gates finishes it; the lower bound scales the residual \
         until ‖X̃ᵀDᵢv‖ ≤ β for every gate. Each block splits into two cone blocks, \
         uᵢ = vᵢ − wᵢ, giving a ReLU network equal to the gated one on the training points — \
         but not between them."
    }
    fn kind(&self) -> ModelKind {
        ModelKind::Gated
    }
    fn size_warning(&self, input: &ProblemInput) -> Option<SizeWarning> {
        size_warning(input.x.len(), input.patterns)
    }
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        let pr = problem(input, input.patterns)?;
        // The ReLU program of the same data, for the decomposed network's certified gap.
        let relu = ReluProblem::with_exact(
            input.x.clone(),
            input.y.clone(),
            input.loss,
            input.beta,
            PatternMode::Exact,
            input.exact()?,
        )?;
        // R-FISTA is what one watches: 150 iterations (or until its certified gap is below
        // 10⁻³), then the exact rounds, one step each.
        let s = GatedSettings {
            polish_after: 150,
            check_every: 5,
            max_iter: 1_000_000,
            ..settings(input)
        };
        // Sampled gates: region areas for the violation fraction, and the scenario bound.
        let scenario = match input.patterns {
            PatternMode::Sampled { count, .. } => Some(Scenario {
                areas: region_areas(&input.x, &relu.exact),
                bound: scenario_bound(count, pr.n(), SCENARIO_SLACK),
            }),
            PatternMode::Exact => None,
        };
        let driver = GatedDriver::new(pr, &s)?;
        Ok(Box::new(GatedStepper {
            driver,
            relu,
            cache: Default::default(),
            scenario,
        }))
    }
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum> {
        // The gated optimum over the exact gates, and the ReLU optimum it relaxes.
        let pr = problem(input, PatternMode::Exact)?;
        let sol = solve_gated(pr.clone(), &settings(input), until_stopped(stop))?;
        let relu = ConvexRelu.optimum(input, stop)?;
        let network = pr.relu_network(&sol.u, Split::MinNorm);
        Ok(Optimum {
            bounds: sol.bounds,
            status: sol.status,
            seconds: sol.seconds + relu.seconds,
            network: ModelNetwork::Relu(network),
            relaxes: Some(("ReLU optimum", relu.bounds)),
            certified: true,
        })
    }
    fn sgd(&self, input: &ProblemInput, job: &SgdJob) -> Result<Box<dyn SgdRun>> {
        ConvexRelu.sgd(input, job)
    }
    fn solve_flags(&self) -> CliFlags {
        CliFlags {
            values: &["--patterns", "--sweep"],
            switches: &["--no-polish"],
        }
    }
    fn solve_cli(&self, args: &Args) -> Result<String> {
        solve_report(args)
    }
    fn sgd_cli(&self, args: &Args) -> Result<String> {
        ConvexRelu.sgd_cli(args)
    }
}

/// The split a snapshot uses: the closed form while the solver runs (a snapshot every few
/// iterations; the minimum-norm split costs an SOCP per block), the minimum-norm split once the
/// run is over.
pub fn snapshot_split(done: bool) -> Split {
    if done { Split::MinNorm } else { Split::Closed }
}

struct GatedStepper {
    driver: GatedDriver,
    relu: ReluProblem,
    /// The certifying dual point's view (it changes only when the lower bound improves).
    cache: std::sync::Mutex<Option<DualView>>,
    scenario: Option<Scenario>,
}

/// What the violation fraction of sampled gates needs.
struct Scenario {
    /// Area of every region of the exact set on the sphere.
    areas: Vec<f64>,
    /// Scenario bound for the number of gates sampled.
    bound: f64,
}

impl Stepper for GatedStepper {
    fn step(&mut self) -> Option<Iterate> {
        self.driver.step()
    }
    fn status(&self) -> Status {
        self.driver.status()
    }
    fn is_done(&self) -> bool {
        self.driver.is_done()
    }
    fn info(&self, view: &ViewSpec) -> ProblemInfo {
        gated_info(self.driver.problem(), self.relu.exact.len(), view)
    }
    fn snapshot(&self, iter: usize, view: &ViewSpec) -> Snapshot {
        let pr = self.driver.problem();
        let dual = self.driver.certifying_dual();
        let certifying = (!dual.is_empty()).then(|| {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            match cache.as_ref() {
                Some(d) if d.v == dual => d.clone(),
                _ => {
                    let d = gated_dual_view(pr, dual.to_vec(), view);
                    *cache = Some(d.clone());
                    d
                }
            }
        });
        let violation = match (&self.scenario, &certifying) {
            (Some(sc), Some(d)) => Some((
                pr.violation_fraction(&d.v, &self.relu.exact, &sc.areas),
                sc.bound,
            )),
            _ => None,
        };
        let u = self.driver.current();
        let split = snapshot_split(self.driver.is_done());
        let mut snap = gated_snapshot(pr, &self.relu, u, split, certifying, iter, view);
        if let ModelSnapshot::Relu(r) = &mut snap.model
            && let Some(g) = r.gated.as_mut()
        {
            g.violation = violation;
        }
        snap
    }
    fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.relu.beta = beta;
        self.driver.set_beta(beta)
    }
    fn rho(&self) -> f64 {
        f64::NAN
    }
}

/// Problem facts: the gate set drawn in line space like a pattern set.
/// `regions`: the size of the full arrangement (the empty region included).
pub fn gated_info(pr: &GatedProblem, regions: usize, view: &ViewSpec) -> ProblemInfo {
    let [nx, ny] = LINE_FIELD;
    let (line_regions, line_chosen) = line_space_regions(&pr.x, &pr.gate_set, nx, ny, view.t_max);
    ProblemInfo {
        n: pr.n(),
        detail: ProblemDetail::Relu {
            p: pr.p(),
            exact: regions,
            is_exact: pr.exact,
            line_regions,
            line_chosen,
            what: "gates",
            sizes: format!("variables: P blocks of 3 = {} · no constraints", 3 * pr.p()),
        },
    }
}

/// `‖X̃ᵀD(g)v‖/β` over line space: the gated dual constraint of the gate `g` of every cell
/// (constant on each region).
pub fn gated_certificate_grid(pr: &GatedProblem, v: &[f64], view: &ViewSpec) -> Grid {
    let [nx, ny] = LINE_FIELD;
    let extent = [0.0, std::f64::consts::TAU, -view.t_max, view.t_max];
    let beta = pr.beta;
    Grid::sample(nx, ny, extent, |theta, t| {
        let g = line_direction(theta, t);
        let mut c = [0.0; 3];
        for (xj, vj) in pr.xt.iter().zip(v) {
            if dot3(xj, &g) > 0.0 {
                for k in 0..3 {
                    c[k] += vj * xj[k];
                }
            }
        }
        norm3(&c) / beta
    })
}

/// The view of a dual point `v` of the gated program: its map, `max ‖X̃ᵀDᵢv‖/β` over the gate
/// set, the gate attaining it and the gates within 10⁻³ of it.
pub fn gated_dual_view(pr: &GatedProblem, v: Vec<f64>, view: &ViewSpec) -> DualView {
    let d = pr.feasible_dual(v.clone(), 0);
    let (imax, cmax) =
        d.norms.iter().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |a, (i, &c)| if c > a.1 { (i, c) } else { a },
        );
    let unit = |g: [f64; 3]| {
        let n = norm3(&g);
        [g[0] / n, g[1] / n, g[2] / n]
    };
    let near_max = d
        .norms
        .iter()
        .enumerate()
        .filter(|(_, c)| **c >= (1.0 - 1e-3) * pr.beta)
        .take(64)
        .map(|(i, _)| unit(pr.gates[i]))
        .collect();
    DualView {
        grid: gated_certificate_grid(pr, &v, view),
        near_max,
        c_over_beta: cmax / pr.beta,
        argmax: unit(pr.gates[imax]),
        v,
    }
}

/// The snapshot of the gated point `u`: the gated model's output and certified bounds, the
/// decomposed ReLU network (neurons, KKT, its own certified gap to the ReLU optimum) and the
/// gated dual maps.
pub fn gated_snapshot(
    pr: &GatedProblem,
    relu: &ReluProblem,
    u: &[[f64; 3]],
    split: Split,
    certifying: Option<DualView>,
    iter: usize,
    view: &ViewSpec,
) -> Snapshot {
    let (bounds, _) = pr.certify(u, 0);
    let network = pr.relu_network(u, split);
    let yhat = pr.predict(u);
    let r = pr.loss.dual_point(&yhat, &pr.y);
    let residual = gated_dual_view(pr, r, view);
    let (kkt, pattern_sizes) = neuron_facts(&network, &pr.x, &pr.y, pr.loss, pr.beta);
    let (relu_bounds, _) = certify_network(
        &relu.x,
        &relu.y,
        &relu.exact,
        relu.loss,
        relu.beta,
        &network,
    );
    let mut gates: Vec<([f64; 3], [f64; 3])> = u
        .iter()
        .zip(&pr.gates)
        .filter(|(ui, _)| **ui != [0.0; 3])
        .map(|(ui, g)| (*g, *ui))
        .collect();
    gates.sort_by(|a, b| norm3(&b.1).total_cmp(&norm3(&a.1)));
    let output = Grid::sample(FIELD, FIELD, view.extent, |a, b| pr.eval(u, [a, b]));
    let relu_output = crate::geometry::grid::output_grid(&network, FIELD, FIELD, view.extent);
    let train = gated_metrics(pr, u, &pr.x, &pr.y);
    let test = gated_metrics(pr, u, &view.test_x, &view.test_y);
    Snapshot {
        iter,
        beta: pr.beta,
        bounds,
        output,
        train,
        test,
        classes: 1,
        model: ModelSnapshot::Relu(Box::new(ReluSnapshot {
            shown: significant(&network),
            gated: Some(Box::new(GatedView {
                gates,
                relu_output,
                relu_bounds,
                relu_test: metrics(&network, &view.test_x, &view.test_y, pr.loss),
                split,
                violation: None,
            })),
            robust: None,
            working_set: None,
            network,
            kkt,
            pattern_sizes,
            residual,
            certifying,
        })),
    }
}

fn gated_metrics(
    pr: &GatedProblem,
    u: &[[f64; 3]],
    x: &[[f64; 2]],
    y: &[f64],
) -> Option<super::Metrics> {
    if x.is_empty() {
        return None;
    }
    let yhat: Vec<f64> = x.iter().map(|&p| pr.eval(u, p)).collect();
    let accuracy = if y.iter().all(|&v| v == 1.0 || v == -1.0) {
        yhat.iter().zip(y).filter(|(f, t)| **f * **t > 0.0).count() as f64 / y.len() as f64
    } else {
        f64::NAN
    };
    Some(super::Metrics {
        loss: pr.loss.total(&yhat, y),
        accuracy,
    })
}

#[derive(Serialize)]
struct GateJson {
    /// The gate `g` (its line `gᵀx̃ = 0`, on where `gᵀx̃ > 0`).
    gate: [f64; 3],
    /// The linear part `u` used where the gate is on.
    u: [f64; 3],
}

#[derive(Serialize)]
struct ReluNetworkJson {
    /// How each block was split (`min-norm` or `closed-form`).
    split: &'static str,
    /// Its objective as a ReLU network: loss + β/2 Σ (‖uₖ‖² + αₖ²) at balanced weights.
    objective: f64,
    /// Certified lower bound on the ReLU optimum (from this network's residual).
    lower_bound: f64,
    /// Optimum of the convex ReLU program (certified to `relu_optimum_gap`).
    relu_optimum: f64,
    relu_optimum_lower_bound: f64,
    /// `(objective − relu_optimum_lower_bound)/max(1, |objective|)`: certified distance from
    /// the ReLU optimum.
    rel_gap: f64,
    /// Largest gap between the gated and the ReLU predictions on the training points.
    max_prediction_difference: f64,
    neurons: Vec<NeuronJson>,
}

#[derive(Serialize)]
struct SolveJson {
    model: &'static str,
    loss: &'static str,
    beta: f64,
    n: usize,
    patterns: usize,
    pattern_mode: String,
    gates: usize,
    status: &'static str,
    iterations: usize,
    fista_iterations: usize,
    polish_rounds: usize,
    /// The solver's time (after reading the data and enumerating the patterns).
    seconds: f64,
    /// The whole command: reading, enumeration, solve, report.
    total_seconds: f64,
    objective: f64,
    lower_bound: f64,
    rel_gap: f64,
    certificate: f64,
    neurons: Vec<GateJson>,
    relu_network: ReluNetworkJson,
    /// Sampled gates: the fraction of the sphere of directions whose gate the solution's dual
    /// point violates (absent for exact gates, where it is 0 by the certificate).
    #[serde(skip_serializing_if = "Option::is_none")]
    violation_fraction: Option<f64>,
    /// Sampled gates: the scenario bound on that fraction at 99 % confidence (1 = vacuous).
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario_bound: Option<f64>,
    /// `--sweep P1,P2,…`: the sampled program for each `P` (same seed, nested samples).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sweep: Vec<ScenarioPoint>,
}

/// `solve --model gated-relu`: parse → solve → decompose → certify against the ReLU optimum →
/// report.
fn solve_report(args: &Args) -> Result<String> {
    let t_start = std::time::Instant::now();
    let loss = Loss::parse(args.get("--loss").unwrap_or("squared"))?;
    let beta = args.beta()?;
    let mode = PatternMode::parse(args.get("--patterns").unwrap_or("exact"))?;
    let settings = GatedSettings {
        max_iter: args.parsed("--max-iter", 20_000usize, "a positive integer")?,
        tol: args.parsed("--tol", 1e-6, "a positive number")?,
        polish: !args.has("--no-polish"),
        ..GatedSettings::default()
    };
    settings.validate()?;
    let ds = args.dataset(LabelMode::Auto)?;
    let mut input = ProblemInput::new(ds.x.clone(), ds.y.clone(), loss, beta);
    input.tol = settings.tol;
    let pr = problem(&input, mode)?;
    let exact = input.exact()?;
    let sweep_counts = match args.get("--sweep") {
        Some(list) => parse_counts(list)?,
        None => Vec::new(),
    };
    let sol = solve_gated(pr.clone(), &settings, |_| ControlFlow::Continue(()))?;
    let network = pr.relu_network(&sol.u, Split::MinNorm);
    let relu_json = relu_json(&pr, &sol.u, &network, &exact, settings.tol)?;
    let (violation_fraction, bound) = match mode {
        PatternMode::Exact => (None, None),
        PatternMode::Sampled { count, .. } => {
            let areas = region_areas(&pr.x, &exact);
            (
                Some(pr.violation_fraction(&sol.dual, &exact, &areas)),
                Some(scenario_bound(count, pr.n(), SCENARIO_SLACK)),
            )
        }
    };
    let seed = match mode {
        PatternMode::Sampled { seed, .. } => seed,
        PatternMode::Exact => 1,
    };
    let sweep = if sweep_counts.is_empty() {
        Vec::new()
    } else {
        scenario_sweep(
            &pr.x,
            &pr.y,
            loss,
            beta,
            &exact,
            &sweep_counts,
            seed,
            |_, _| ControlFlow::Continue(()),
        )?
        .1
    };
    let report = SolveJson {
        model: "gated-relu",
        loss: loss.name(),
        beta,
        n: pr.n(),
        patterns: exact.len(),
        pattern_mode: match mode {
            PatternMode::Exact => "exact".into(),
            PatternMode::Sampled { count, seed } => format!("sampled:{count}:{seed}"),
        },
        gates: pr.p(),
        status: sol.status.name(),
        iterations: sol.iterations + sol.polish_rounds,
        fista_iterations: sol.iterations,
        polish_rounds: sol.polish_rounds,
        seconds: sol.seconds,
        total_seconds: t_start.elapsed().as_secs_f64(),
        objective: pr.objective(&sol.u),
        lower_bound: sol.bounds.lower,
        rel_gap: sol.bounds.rel_gap(),
        certificate: sol.bounds.certificate,
        neurons: sol
            .u
            .iter()
            .zip(&pr.gates)
            .filter(|(u, _)| **u != [0.0; 3])
            .map(|(u, g)| GateJson { gate: *g, u: *u })
            .collect(),
        relu_network: relu_json,
        violation_fraction,
        scenario_bound: bound,
        sweep,
    };
    if args.has("--json") {
        return to_json(&report);
    }
    Ok(solve_text(&report, sol.status))
}

/// Largest sample size of a sweep.
const MAX_SWEEP_GATES: usize = 1_000_000;

/// `--sweep 10,50,200`: 1 to 20 sample sizes in `1..=MAX_SWEEP_GATES`.
fn parse_counts(list: &str) -> Result<Vec<usize>> {
    let counts = list
        .split(',')
        .map(|t| match t.trim().parse::<usize>() {
            Ok(c) if (1..=MAX_SWEEP_GATES).contains(&c) => Ok(c),
            _ => Err(crate::error::Error::InvalidSetting(format!(
                "--sweep {list:?}: expected sample sizes from 1 to {MAX_SWEEP_GATES} separated \
                 by commas, e.g. 10,50,200"
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    if counts.is_empty() || counts.len() > 20 {
        return Err(crate::error::Error::InvalidSetting(format!(
            "--sweep {list:?}: between 1 and 20 sample sizes"
        )));
    }
    Ok(counts)
}

fn relu_json(
    pr: &GatedProblem,
    u: &[[f64; 3]],
    network: &ReluNetwork,
    exact: &std::sync::Arc<PatternSet>,
    tol: f64,
) -> Result<ReluNetworkJson> {
    let (b, _) = certify_network(&pr.x, &pr.y, exact, pr.loss, pr.beta, network);
    let relu = ReluProblem::with_exact(
        pr.x.clone(),
        pr.y.clone(),
        pr.loss,
        pr.beta,
        PatternMode::Exact,
        exact.clone(),
    )?;
    let opt = solve_relu(
        relu,
        &SolveSettings {
            tol,
            ..SolveSettings::default()
        },
        |_| ControlFlow::Continue(()),
    )?;
    let lower = b.lower.max(opt.bounds.lower);
    let gated = pr.predict(u);
    let diff = network
        .predict(&pr.x)
        .iter()
        .zip(&gated)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    Ok(ReluNetworkJson {
        split: "min-norm",
        objective: b.upper,
        lower_bound: b.lower,
        relu_optimum: opt.bounds.upper,
        relu_optimum_lower_bound: opt.bounds.lower,
        rel_gap: (b.upper - lower) / b.upper.abs().max(1.0),
        max_prediction_difference: diff,
        neurons: neurons_json(network),
    })
}

fn solve_text(r: &SolveJson, status: Status) -> String {
    let rn = &r.relu_network;
    let mut text = format!(
        "gated ReLU, {} loss, beta = {}, n = {}, {} gates ({}; {} regions)\n\
         status: {}{}\n\
         objective (gated):   {:.10}\n\
         lower bound:         {:.10}\n\
         certified rel. gap:  {:.3e}   max ||X^T D_i v||/beta = {:.8}\n\
         iterations: {} R-FISTA + {} exact rounds in {:.3} s\n\
         decomposed ReLU network ({} neurons, {} split): objective {:.10}\n\
         ReLU optimum: {:.10} (lower bound {:.10}); the decomposed network is at most {:.6} \
         ({:.1} % of its objective) above it (certified); its predictions on the training \
         points differ from the gated ones by at most {:.1e}",
        r.loss,
        r.beta,
        r.n,
        r.gates,
        r.pattern_mode,
        r.patterns,
        r.status,
        if status == Status::Converged {
            " (certified)"
        } else {
            ""
        },
        r.objective,
        r.lower_bound,
        r.rel_gap,
        r.certificate,
        r.fista_iterations,
        r.polish_rounds,
        r.seconds,
        rn.neurons.len(),
        rn.split,
        rn.objective,
        rn.relu_optimum,
        rn.relu_optimum_lower_bound,
        rn.objective - rn.relu_optimum_lower_bound.max(rn.lower_bound),
        100.0 * rn.rel_gap * rn.objective.abs().max(1.0) / rn.objective.abs().max(1e-300),
        rn.max_prediction_difference,
    );
    if let (Some(v), Some(b)) = (r.violation_fraction, r.scenario_bound) {
        text.push_str(&format!(
            "\nnote: with sampled gates the bounds are those of the program over these gates; \
             {:.4} % of the sphere of directions holds gates its dual point violates (scenario \
             bound at 99 % confidence: {})",
            100.0 * v,
            if b >= 1.0 {
                "vacuous, needs more gates than points".to_string()
            } else {
                format!("{:.4} %", 100.0 * b)
            }
        ));
    }
    if !r.sweep.is_empty() {
        text.push_str(
            "\nsweep (same seed, nested samples):\n      P  distinct  objective        \
             gap to exact  violated   scenario bound",
        );
        for p in &r.sweep {
            text.push_str(&format!(
                "\n{:>7}  {:>8}  {:<15.10}  {:<12.3e}  {:<9.5}  {:.5}",
                p.sampled,
                p.distinct,
                p.objective,
                p.gap_to_exact,
                p.violation_fraction,
                p.scenario_bound
            ));
        }
    }
    text.push_str(&format!("\ngates ({} active):", r.neurons.len()));
    for g in &r.neurons {
        text.push_str(&format!(
            "\n  gate = ({:+.6}, {:+.6}, {:+.6})  u = ({:+.4e}, {:+.4e}, {:+.4e})",
            g.gate[0], g.gate[1], g.gate[2], g.u[0], g.u[1], g.u[2]
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map's value in a cell equals `‖X̃ᵀDᵢv‖/β` of the gate whose region contains the
    /// cell's direction.
    #[test]
    fn gated_map_matches_the_gate_norms() {
        let x = vec![[0.0, 0.0], [1.0, 0.2], [-0.5, 1.0], [0.3, -0.8]];
        let y = vec![1.0, -1.0, 0.5, 2.0];
        let input = ProblemInput::new(x, y, Loss::Squared, 0.1);
        let pr = problem(&input, PatternMode::Exact).unwrap();
        let view = ViewSpec {
            extent: [-2.0, 2.0, -2.0, 2.0],
            t_max: 2.0,
            test_x: vec![],
            test_y: vec![],
        };
        let v = vec![0.3, -1.0, 0.7, 0.2];
        let grid = gated_certificate_grid(&pr, &v, &view);
        let d = pr.feasible_dual(v.clone(), 0);
        for (k, val) in grid.values.iter().enumerate() {
            let (c, r) = (k % grid.nx, k / grid.nx);
            let [th, t] = grid.center(c, r);
            let g = line_direction(th, t);
            let pat = crate::geometry::pattern_of(&pr.x, &g);
            match pr.gate_set.find(&pat) {
                Some(i) => assert!((val - d.norms[i] / pr.beta).abs() < 1e-12),
                None => assert!(*val == 0.0, "only the empty pattern is missing"),
            }
        }
    }
}
