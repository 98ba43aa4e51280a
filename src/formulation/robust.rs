//! Robust ReLU under ℓ∞ perturbations (`docs/math.md#robust`): the robust convex program (RC)
//! over the usable patterns, solved by exact rounds with column generation and certified by its
//! own dual (`docs/math.md#robust-dual`); every network shown is also evaluated by the exact
//! worst case over the boxes (`docs/math.md#robust-evaluation`). The comparison networks are
//! the plain gradient-trained ReLU networks of [`super::relu`], evaluated the same way.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::relu::{ConvexRelu, size_warning};
use super::report::{NeuronJson, neurons_json, neurons_text, to_json};
use super::snapshot::{
    DualView, FIELD, LINE_FIELD, ModelKind, ModelSnapshot, ProblemDetail, ProblemInfo,
    ReluSnapshot, RobustView, SeedScore, SgdSnapshot, Snapshot, ViewSpec, metrics, neuron_facts,
    significant,
};
use super::{
    Args, CliFlags, Formulation, ModelNetwork, Optimum, ProblemInput, SgdJob, SgdRun, SizeWarning,
    Stepper, until_stopped,
};
use crate::certify::Bounds;
use crate::convex::robust::RobustProblem;
use crate::data::LabelMode;
use crate::error::Result;
use crate::geometry::grid::{Grid, line_direction, line_space_regions, output_grid};
use crate::geometry::pattern_of;
use crate::model::worst_case::worst_case;
use crate::model::{Loss, ReluNetwork};
use crate::solve::robust::{RobustDriver, RobustSettings, solve_robust};
use crate::solve::{Iterate, SgdSettings, SgdTrainer, Status};

/// Robust ReLU (ℓ∞ boxes of radius ε).
pub struct RobustRelu;

/// (RC) of `input`.
pub fn problem(input: &ProblemInput) -> Result<RobustProblem> {
    RobustProblem::new(
        &input.x,
        input.y.clone(),
        input.loss,
        input.beta,
        input.epsilon,
    )
}

fn settings(input: &ProblemInput) -> RobustSettings {
    RobustSettings {
        tol: input.tol,
        ..RobustSettings::default()
    }
}

impl Formulation for RobustRelu {
    fn id(&self) -> &'static str {
        "robust-relu"
    }
    fn name(&self) -> &'static str {
        "Robust ReLU (ℓ∞ adversarial)"
    }
    fn summary(&self) -> &'static str {
        "Every training point may move inside the box ‖δ‖∞ ≤ ε (the bias input stays 1). A \
         pattern Dᵢ is usable only if its line can miss every box; then no neuron switches inside \
         a box, the output there is linear, ŷⱼ + δᵀaⱼ, and the worst case has a closed form:\n\
         min Σⱼ ℓ(worst over the box) + β Σᵢ (‖vᵢ‖ + ‖wᵢ‖)\n\
         s.t. eᵢⱼ x̃ⱼᵀvᵢ ≥ ε‖(vᵢ)₁,₂‖₁ (same for wᵢ), e.g. hinge: max(0, 1 − yⱼŷⱼ + ε‖aⱼ‖₁).\n\
         Exact rounds (interior point on a working set of usable patterns, priced by the robust \
         dual) solve it; the lower bound is that dual, scaled into feasibility. Every network \
         shown is also scored by its exact worst case over the boxes."
    }
    fn kind(&self) -> ModelKind {
        ModelKind::Robust
    }
    fn size_warning(&self, input: &ProblemInput) -> Option<SizeWarning> {
        size_warning(input.x.len(), crate::geometry::PatternMode::Exact)
    }
    fn uses_patterns(&self) -> bool {
        false
    }
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        // 150 augmented-Lagrangian iterations (what one watches), then the exact rounds.
        let s = RobustSettings {
            first_order_iters: 150,
            ..settings(input)
        };
        let driver = RobustDriver::new(problem(input)?, &s)?;
        // The plain optimum (ε = 0), for its boundary beside the robust one.
        let plain = ConvexRelu
            .optimum(input, &AtomicBool::new(false))
            .ok()
            .and_then(|o| o.network.relu().cloned());
        Ok(Box::new(RobustStepper(driver, plain)))
    }
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum> {
        let pr = problem(input)?;
        let sol = solve_robust(pr.clone(), &settings(input), until_stopped(stop))?;
        Ok(Optimum {
            bounds: sol.bounds,
            status: sol.status,
            seconds: sol.seconds,
            network: ModelNetwork::Relu(pr.network(&sol.blocks)),
            relaxes: None,
            certified: true,
        })
    }
    fn sgd(&self, input: &ProblemInput, job: &SgdJob) -> Result<Box<dyn SgdRun>> {
        // Plain training of the same network, scored by its exact worst case over the boxes.
        let trainers = (1..=job.seeds as u64)
            .map(|seed| {
                SgdTrainer::new(
                    input.x.clone(),
                    input.y.clone(),
                    input.loss,
                    input.beta,
                    SgdSettings {
                        adversarial: job.adversarial,
                        ..job.settings(seed)
                    },
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(RobustSeeds {
            trainers,
            input: input.clone(),
        }))
    }
    fn solve_flags(&self) -> CliFlags {
        CliFlags {
            values: &["--epsilon"],
            switches: &[],
        }
    }
    fn solve_cli(&self, args: &Args) -> Result<String> {
        solve_report(args)
    }
    fn sgd_flags(&self) -> CliFlags {
        ConvexRelu.sgd_flags()
    }
    fn sgd_cli(&self, args: &Args) -> Result<String> {
        ConvexRelu.sgd_cli(args)
    }
}

/// Gradient-trained ReLU networks scored by their exact robust objective (worst-case loss over
/// the boxes + weight decay). It has no certified lower bound against (RC): (RC) is optimal only
/// among pattern-stable networks, and another network may have a lower worst case.
struct RobustSeeds {
    trainers: Vec<SgdTrainer>,
    input: ProblemInput,
}

impl RobustSeeds {
    fn objective(&self, net: &ReluNetwork) -> f64 {
        let i = &self.input;
        worst_case(net, &i.x, &i.y, i.loss, i.epsilon).loss + net.weight_decay(i.beta)
    }

    fn worst(&self, net: &ReluNetwork) -> crate::model::worst_case::WorstCase {
        let i = &self.input;
        worst_case(net, &i.x, &i.y, i.loss, i.epsilon)
    }
}

impl SgdRun for RobustSeeds {
    fn seeds(&self) -> usize {
        self.trainers.len()
    }
    fn step(&mut self) -> Vec<(f64, f64)> {
        let secs: Vec<f64> = self.trainers.iter_mut().map(|t| t.step().seconds).collect();
        self.trainers
            .iter()
            .zip(secs)
            .map(|(t, s)| (s, self.objective(&t.network())))
            .collect()
    }
    fn snapshot(&self, epoch: usize, view: &ViewSpec) -> SgdSnapshot {
        let networks: Vec<ReluNetwork> = self.trainers.iter().map(|t| t.network()).collect();
        let worst: Vec<_> = networks.iter().map(|n| self.worst(n)).collect();
        let bounds = networks
            .iter()
            .zip(&worst)
            .map(|(n, w)| Bounds {
                upper: w.loss + n.weight_decay(self.input.beta),
                lower: f64::NAN,
                certificate: f64::NAN,
            })
            .collect();
        let test = networks
            .iter()
            .map(|n| metrics(n, &view.test_x, &view.test_y, self.input.loss))
            .collect();
        let train = networks
            .iter()
            .map(|n| metrics(n, &self.input.x, &self.input.y, self.input.loss))
            .collect();
        SgdSnapshot {
            dual_estimates: Vec::new(),
            epoch,
            networks: networks.into_iter().map(ModelNetwork::Relu).collect(),
            bounds,
            train,
            test,
            score: Some(SeedScore {
                name: "robust acc.",
                values: worst.iter().map(|w| w.accuracy).collect(),
                percent: true,
            }),
        }
    }
}

/// The driver and the plain (ε = 0) optimum's network.
struct RobustStepper(RobustDriver, Option<ReluNetwork>);

impl Stepper for RobustStepper {
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
        robust_info(self.0.problem(), view)
    }
    fn snapshot(&self, iter: usize, view: &ViewSpec) -> Snapshot {
        let pr = self.0.problem();
        let mut snap = robust_snapshot(pr, self.0.current(), iter, view);
        if let (ModelSnapshot::Relu(r), Some(plain)) = (&mut snap.model, &self.1)
            && let Some(rv) = r.robust.as_mut()
        {
            rv.plain_output = Some(output_grid(plain, FIELD, FIELD, view.extent));
        }
        // The dual point behind the certified lower bound (the exact rounds' multipliers).
        if let (ModelSnapshot::Relu(r), Some((v, w))) = (&mut snap.model, self.0.certifying_dual())
        {
            let mut d = dual_view(pr, v.clone(), w.clone(), view);
            // Shown scaled into feasibility, like every certifying point.
            let s = if d.c_over_beta > 1.0 {
                1.0 / d.c_over_beta
            } else {
                1.0
            };
            d.grid.values.iter_mut().for_each(|g| *g *= s);
            r.certifying = Some(d);
        }
        snap
    }
    fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.0.set_beta(beta)
    }
    fn rho(&self) -> f64 {
        f64::NAN
    }
}

/// Problem facts: usable patterns as the solver's set in line space (the others greyed).
pub fn robust_info(pr: &RobustProblem, view: &ViewSpec) -> ProblemInfo {
    let [nx, ny] = LINE_FIELD;
    let (line_regions, line_chosen) = line_space_regions(&pr.x, &pr.usable, nx, ny, view.t_max);
    ProblemInfo {
        n: pr.n(),
        detail: ProblemDetail::Relu {
            p: pr.p(),
            exact: pr.all_patterns,
            is_exact: true,
            line_regions,
            line_chosen,
            what: "usable patterns",
            sizes: format!(
                "variables: 2P blocks of 3 = {} · robust cones: the facets of the 4n box corners",
                6 * pr.p()
            ),
        },
    }
}

/// The robust dual constraint over line space: in each cell, `max(‖Π_K(h)‖, ‖Π_K(−h)‖)/β` of the
/// cell's pattern if it is usable (its robust cone `K`), 0 if not (no block, no constraint).
fn robust_certificate_grid(pr: &RobustProblem, values: &[f64], view: &ViewSpec) -> Grid {
    let [nx, ny] = LINE_FIELD;
    let extent = [0.0, std::f64::consts::TAU, -view.t_max, view.t_max];
    Grid::sample(nx, ny, extent, |theta, t| {
        let pat = pattern_of(&pr.x, &line_direction(theta, t));
        pr.usable.find(&pat).map_or(0.0, |k| values[k] / pr.beta)
    })
}

fn dual_view(pr: &RobustProblem, v: Vec<f64>, w: Vec<[f64; 2]>, view: &ViewSpec) -> DualView {
    let (_, c, values) = pr.lower_bound(v.clone(), w);
    let (kmax, _) =
        values.iter().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |a, (k, &c)| if c > a.1 { (k, c) } else { a },
        );
    let unit = |g: [f64; 3]| {
        let n = crate::vec3::norm3(&g);
        [g[0] / n, g[1] / n, g[2] / n]
    };
    DualView {
        grid: robust_certificate_grid(pr, &values, view),
        near_max: values
            .iter()
            .enumerate()
            .filter(|(_, c)| **c >= (1.0 - 1e-3) * pr.beta)
            .take(64)
            .map(|(k, _)| unit(pr.usable.generator(k)))
            .collect(),
        c_over_beta: c,
        argmax: unit(pr.usable.generator(kmax)),
        v,
    }
}

/// The snapshot of the (RC) point `blocks`: its network, certified bounds, the robust dual map
/// of its own dual point, and its exact worst case over the boxes.
pub fn robust_snapshot(
    pr: &RobustProblem,
    blocks: &[[f64; 3]],
    iter: usize,
    view: &ViewSpec,
) -> Snapshot {
    let bounds = pr.certify(blocks);
    let network = pr.network(blocks);
    let (v, w) = pr.dual_point(blocks);
    let residual = dual_view(pr, v, w, view);
    let (kkt, pattern_sizes) = neuron_facts(&network, &pr.x, &pr.y, pr.loss, pr.beta);
    let wc = worst_case(&network, &pr.x, &pr.y, pr.loss, pr.eps);
    let robust = RobustView {
        eps: pr.eps,
        worst: wc.points.iter().map(|p| p.delta).collect(),
        robust_loss: wc.loss,
        robust_accuracy: wc.accuracy,
        usable: pr.p(),
        patterns: pr.all_patterns,
        plain_output: None,
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
            certifying: None,
            gated: None,
            robust: Some(Box::new(robust)),
            working_set: None,
        })),
    }
}

#[derive(Serialize)]
struct SolveJson {
    model: &'static str,
    loss: &'static str,
    beta: f64,
    eps: f64,
    n: usize,
    patterns: usize,
    usable_patterns: usize,
    status: &'static str,
    iterations: usize,
    polish_rounds: usize,
    /// The solver's time (after reading the data and enumerating the patterns).
    seconds: f64,
    /// The whole command: reading, enumeration, solve, report.
    total_seconds: f64,
    /// (RC) objective: worst-case training loss + β Σ‖u‖, recomputed from the neurons.
    objective: f64,
    lower_bound: f64,
    rel_gap: f64,
    certificate: f64,
    /// Exact worst-case training loss of the reported network (equals the loss term of
    /// `objective`).
    robust_loss_exact: f64,
    /// Fraction of training points classified correctly on their whole box.
    robust_accuracy: f64,
    /// Plain (unperturbed) training accuracy.
    accuracy: f64,
    neurons: Vec<NeuronJson>,
}

/// `solve --model robust-relu --epsilon E`.
fn solve_report(args: &Args) -> Result<String> {
    let t_start = std::time::Instant::now();
    let loss = Loss::parse(args.get("--loss").unwrap_or("hinge"))?;
    let beta = args.beta()?;
    let eps: f64 = args.parsed("--epsilon", 0.05, "a number ≥ 0")?;
    let tol: f64 = args.parsed("--tol", 1e-6, "a positive number")?;
    let max_rounds: usize = args.parsed("--max-iter", 60usize, "a positive integer")?;
    let ds = args.dataset(LabelMode::Auto)?;
    let pr = RobustProblem::new(&ds.x, ds.y.clone(), loss, beta, eps)?;
    let settings = RobustSettings {
        tol,
        max_rounds,
        ..RobustSettings::default()
    };
    let sol = solve_robust(pr.clone(), &settings, |_| ControlFlow::Continue(()))?;
    let net = pr.network(&sol.blocks);
    let wc = worst_case(&net, &ds.x, &ds.y, loss, eps);
    let objective = wc.loss + net.weight_decay(beta);
    let plain = metrics(&net, &ds.x, &ds.y, loss).map_or(f64::NAN, |m| m.accuracy);
    let report = SolveJson {
        model: "robust-relu",
        loss: loss.name(),
        beta,
        eps,
        n: pr.n(),
        patterns: pr.all_patterns,
        usable_patterns: pr.p(),
        status: sol.status.name(),
        iterations: sol.rounds,
        polish_rounds: sol.rounds,
        seconds: sol.seconds,
        total_seconds: t_start.elapsed().as_secs_f64(),
        objective,
        lower_bound: sol.bounds.lower,
        rel_gap: (objective - sol.bounds.lower) / objective.abs().max(1.0),
        certificate: sol.bounds.certificate,
        robust_loss_exact: wc.loss,
        robust_accuracy: wc.accuracy,
        accuracy: plain,
        neurons: neurons_json(&net),
    };
    if args.has("--json") {
        return to_json(&report);
    }
    Ok(solve_text(&report, sol.status))
}

fn solve_text(r: &SolveJson, status: Status) -> String {
    let mut text = format!(
        "robust ReLU, {} loss, epsilon = {}, beta = {}, n = {}: {} of {} patterns usable\n\
         status: {}{}\n\
         objective (worst-case loss + penalty): {:.10}\n\
         lower bound:                           {:.10}\n\
         certified rel. gap: {:.3e}   robust dual c/beta = {:.8}\n\
         exact worst-case training loss: {:.10}; robust accuracy {:.3} (plain {:.3})\n\
         {} exact rounds in {:.3} s",
        r.loss,
        r.eps,
        r.beta,
        r.n,
        r.usable_patterns,
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
        r.robust_loss_exact,
        r.robust_accuracy,
        r.accuracy,
        r.polish_rounds,
        r.seconds,
    );
    text.push_str(&neurons_text(&r.neurons));
    text
}
