//! Polynomial activation (SDP) (`docs/math.md#poly-sdp`): the SDP-ADMM of
//! `docs/math.md#poly-admm` stepped live (or FISTA on the nuclear-norm form for σ(t) = t²), the
//! Neural Decomposition of every shown iterate, the certificate over the sphere of neuron
//! directions (`docs/math.md#poly-certificate`), vector outputs (one `(Z₊, Z₋)` pair per class),
//! gradient-trained polynomial networks certified against the SDP, and the `solve`/`sgd`
//! reports (its `cli` module).

mod cli;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use nalgebra::Matrix4;

use super::snapshot::{
    FIELD, LINE_FIELD, ModelKind, ModelSnapshot, PolySnapshot, ProblemDetail, ProblemInfo,
    SgdSnapshot, Snapshot, ViewSpec, poly_metrics,
};
use super::{
    Args, CliFlags, Formulation, ModelNetwork, Optimum, ProblemInput, SgdJob, SgdRun, Stepper,
    until_stopped,
};
use crate::certify::Bounds;
use crate::certify::poly::{certify_poly, certify_poly_detail};
use crate::convex::PolyProblem;
use crate::convex::poly::{one_vs_rest, sorted_eigenvalues};
use crate::error::Result;
use crate::geometry::grid::{Grid, line_direction};
use crate::model::{PolyActivation, PolyNetwork};
use crate::solve::nuclear::NuclearSolver;
use crate::solve::poly_sgd::PolyTrainer;
use crate::solve::{Iterate, PolyDriver, PolySettings, SgdSettings, Status, solve_poly};

/// Polynomial activation (SDP).
pub struct PolySdp;

/// The targets of each output: the labels, or one-vs-rest ±1 per class.
fn targets(input: &ProblemInput) -> Vec<Vec<f64>> {
    if input.classes > 1 {
        one_vs_rest(&input.y, input.classes)
    } else {
        vec![input.y.clone()]
    }
}

fn problems(input: &ProblemInput) -> Result<Vec<PolyProblem>> {
    targets(input)
        .into_iter()
        .map(|y| {
            PolyProblem::new(
                input.x.clone(),
                y,
                input.loss,
                input.beta,
                input.poly.activation,
            )
        })
        .collect()
}

fn settings(input: &ProblemInput) -> PolySettings {
    PolySettings {
        tol: input.tol,
        rho: input.rho,
        max_iter: 1_000_000,
        ..PolySettings::default()
    }
}

impl Formulation for PolySdp {
    fn id(&self) -> &'static str {
        "poly"
    }
    fn name(&self) -> &'static str {
        "Polynomial activation (SDP)"
    }
    fn summary(&self) -> &'static str {
        "σ(t) = a t² + b t + c, f(x) = Σₖ αₖ σ(x̃ᵀuₖ) with unit-norm uₖ and ℓ1 output weights:\n\
         min ℓ(f(X), y) + β Σₖ |αₖ|  s.t. ‖uₖ‖ = 1.\n\
         Since σ(x̃ᵀu) = ⟨M(x̃), [u;1][u;1]ᵀ⟩ with M(x̃) = [a x̃x̃ᵀ, (b/2)x̃; (b/2)x̃ᵀ, c], training \
         is exactly the SDP over Z± = [Z₁ Z₂; Z₂ᵀ Z₄] ⪰ 0 with tr Z₁ = Z₄:\n\
         min ℓ(⟨M(x̃ⱼ), Z₊ − Z₋⟩, y) + β (Z₄₊ + Z₄₋).\n\
         ADMM needs only 4×4 eigendecompositions and one 22×22 factorisation. Neural \
         Decomposition splits each Z into balanced rank-one pieces y = (t, s): neuron u = t/s, \
         α = ±s² (at most 8 neurons). The lower bound scales the residual so that \
         max_{‖u‖=1} |vᵀσ(X̃u)| ≤ β, a trust-region problem solved exactly.\n\
         Weight decay ½β Σ(‖u‖² + α²) has no exact convex form (training with it is NP-hard); \
         it is offered for the SGD runs only, certified against this SDP when σ = a t².\n\
         Several classes: one (Z₊, Z₋) pair per class on ±1 one-vs-rest targets."
    }
    fn kind(&self) -> ModelKind {
        ModelKind::Poly
    }
    fn uses_patterns(&self) -> bool {
        false
    }
    fn multiclass(&self) -> bool {
        true
    }
    fn build(&self, input: &ProblemInput) -> Result<Box<dyn Stepper>> {
        if input.poly.nuclear {
            if input.poly.activation != PolyActivation::SQUARE {
                return Err(crate::Error::InvalidSetting(
                    "the nuclear-norm form needs σ(t) = t² (a = 1, b = c = 0)".into(),
                ));
            }
            let problems = problems(input)?;
            let solvers = problems
                .iter()
                .map(|p| {
                    NuclearSolver::new(
                        p.x.clone(),
                        p.y.clone(),
                        p.loss,
                        p.beta,
                        input.tol / problems.len() as f64,
                        1_000_000,
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            return Ok(Box::new(NuclearStepper {
                solvers,
                problems,
                labels: input.y.clone(),
                classes: input.classes,
                iter: 0,
            }));
        }
        let driver = PolyDriver::new(problems(input)?, &settings(input))?;
        Ok(Box::new(PolyStepper {
            driver,
            labels: input.y.clone(),
            classes: input.classes,
        }))
    }
    fn optimum(&self, input: &ProblemInput, stop: &AtomicBool) -> Result<Optimum> {
        let s = PolySettings {
            max_iter: 200_000,
            ..settings(input)
        };
        let sol = solve_poly(problems(input)?, &s, until_stopped(stop))?;
        Ok(Optimum {
            bounds: sol.bounds,
            status: sol.status,
            seconds: sol.seconds,
            network: ModelNetwork::Poly(sol.networks),
            relaxes: None,
            certified: true,
        })
    }
    fn sgd(&self, input: &ProblemInput, job: &SgdJob) -> Result<Box<dyn SgdRun>> {
        let targets = targets(input);
        let trainers = (1..=job.seeds as u64)
            .map(|seed| {
                let s = job.settings(seed);
                targets
                    .iter()
                    .enumerate()
                    .map(|(c, y)| {
                        PolyTrainer::new(
                            input.x.clone(),
                            y.clone(),
                            input.loss,
                            input.beta,
                            input.poly.activation,
                            input.poly.regularizer,
                            SgdSettings {
                                seed: seed + 7919 * c as u64,
                                ..s
                            },
                        )
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(PolySeeds {
            trainers,
            targets,
            input: input.clone(),
        }))
    }
    fn solve_flags(&self) -> CliFlags {
        CliFlags {
            values: &["--poly", "--regularizer"],
            switches: &["--multiclass", "--no-polish"],
        }
    }
    fn solve_cli(&self, args: &Args) -> Result<String> {
        cli::solve(args)
    }
    fn sgd_flags(&self) -> CliFlags {
        CliFlags {
            values: &["--poly", "--regularizer"],
            switches: &[],
        }
    }
    fn sgd_cli(&self, args: &Args) -> Result<String> {
        cli::sgd(args)
    }
}

/// Seeds of the polynomial network; per seed one trainer per output (the multi-class problem
/// decouples into one scalar problem per class).
struct PolySeeds {
    trainers: Vec<Vec<PolyTrainer>>,
    targets: Vec<Vec<f64>>,
    input: ProblemInput,
}

impl PolySeeds {
    /// Certified against the ℓ1 SDP when the learned function has a unit-norm form (always for
    /// unit-norm + ℓ1; for weight decay only with σ = a t²); bounds of the outputs add up.
    fn bounds(&self, outputs: &[PolyTrainer]) -> Bounds {
        let i = &self.input;
        let mut total = Bounds {
            upper: 0.0,
            lower: 0.0,
            certificate: f64::NEG_INFINITY,
        };
        for (t, y) in outputs.iter().zip(&self.targets) {
            total.upper += t.objective();
            match t.unit_network() {
                Some(net) => {
                    let b = certify_poly(&i.x, y, i.loss, i.beta, &net);
                    total.lower += b.lower;
                    total.certificate = total.certificate.max(b.certificate);
                }
                None => {
                    total.lower = f64::NEG_INFINITY;
                    total.certificate = f64::NAN;
                }
            }
        }
        total
    }
}

impl SgdRun for PolySeeds {
    fn seeds(&self) -> usize {
        self.trainers.len()
    }
    fn step(&mut self) -> Vec<(f64, f64)> {
        self.trainers
            .iter_mut()
            .map(|outputs| {
                outputs.iter_mut().fold((0.0, 0.0), |(s, o), t| {
                    let r = t.step();
                    (s + r.seconds, o + r.objective)
                })
            })
            .collect()
    }
    fn snapshot(&self, epoch: usize, view: &ViewSpec) -> SgdSnapshot {
        let networks: Vec<Vec<PolyNetwork>> = self
            .trainers
            .iter()
            .map(|outputs| outputs.iter().map(PolyTrainer::network).collect())
            .collect();
        SgdSnapshot {
            dual_estimates: Vec::new(),
            epoch,
            bounds: self.trainers.iter().map(|o| self.bounds(o)).collect(),
            train: networks
                .iter()
                .map(|nets| poly_metrics(nets, &self.input.x, &self.input.y, self.input.loss))
                .collect(),
            test: networks
                .iter()
                .map(|nets| poly_metrics(nets, &view.test_x, &view.test_y, self.input.loss))
                .collect(),
            networks: networks.into_iter().map(ModelNetwork::Poly).collect(),
            score: None,
        }
    }
}

struct PolyStepper {
    driver: PolyDriver,
    labels: Vec<f64>,
    classes: usize,
}

/// `vᵀσ(X̃û)/β` over line space, `û = line_direction(θ, t)` (the sphere of neuron directions
/// minus its poles), so the certificate panel shows where `|·| = 1` is reached.
fn certificate_field(pr: &PolyProblem, v: &[f64], t_max: f64) -> Grid {
    let [nx, ny] = LINE_FIELD;
    let extent = [0.0, std::f64::consts::TAU, -t_max, t_max];
    Grid::sample(nx, ny, extent, |th, t| {
        let u = line_direction(th, t);
        let s: f64 =
            pr.x.iter()
                .zip(v)
                .map(|(p, vj)| vj * pr.activation.eval(u[0] * p[0] + u[1] * p[1] + u[2]))
                .sum();
        s / pr.beta
    })
}

/// Problem facts of the polynomial model.
fn poly_info(n: usize, classes: usize) -> ProblemInfo {
    ProblemInfo {
        n,
        detail: ProblemDetail::Poly {
            outputs: classes.max(1),
        },
    }
}

impl Stepper for PolyStepper {
    fn step(&mut self) -> Option<Iterate> {
        self.driver.step()
    }
    fn status(&self) -> Status {
        self.driver.status()
    }
    fn is_done(&self) -> bool {
        self.driver.is_done()
    }
    fn info(&self, _view: &ViewSpec) -> ProblemInfo {
        poly_info(self.labels.len(), self.classes)
    }
    fn snapshot(&self, iter: usize, view: &ViewSpec) -> Snapshot {
        poly_snapshot(
            &self.driver.problems(),
            self.driver.shown_iterates(),
            &self.labels,
            self.classes,
            iter,
            view,
        )
    }
    fn set_beta(&mut self, beta: f64) -> Result<()> {
        self.driver.set_beta(beta)
    }
    fn rho(&self) -> f64 {
        self.driver.rho()
    }
}

/// The nuclear-norm form for σ(t) = t² (docs/math.md#poly-square): FISTA on W per output; shown through the
/// equivalent lifted pair so the same panels (decomposition, certificate) apply.
struct NuclearStepper {
    solvers: Vec<NuclearSolver>,
    problems: Vec<PolyProblem>,
    labels: Vec<f64>,
    classes: usize,
    iter: usize,
}

impl NuclearStepper {
    fn bounds(&self) -> Bounds {
        let mut b = Bounds {
            upper: 0.0,
            lower: 0.0,
            certificate: f64::NEG_INFINITY,
        };
        for s in &self.solvers {
            let o = s.bounds();
            b.upper += o.upper;
            b.lower += o.lower;
            b.certificate = b.certificate.max(o.certificate);
        }
        b
    }
}

impl Stepper for NuclearStepper {
    fn step(&mut self) -> Option<Iterate> {
        if self.is_done() {
            return None;
        }
        let t0 = std::time::Instant::now();
        self.iter += 1;
        let mut last = None;
        let mut objective = 0.0;
        for s in &mut self.solvers {
            if let Some(it) = s.step() {
                objective += it.convex_objective;
                last = Some(it);
            }
        }
        let mut it = last?;
        let b = self.bounds();
        it.iter = self.iter;
        it.upper = b.upper;
        it.lower = b.lower;
        it.rel_gap = b.rel_gap();
        it.certificate = b.certificate;
        it.convex_objective = objective;
        it.checked_at = self.iter - self.iter % 10;
        it.seconds = t0.elapsed().as_secs_f64();
        it.status = self.status();
        it.active_blocks = self.solvers.iter().map(|s| s.network().neurons.len()).sum();
        Some(it)
    }
    fn status(&self) -> Status {
        let st: Vec<Status> = self.solvers.iter().map(NuclearSolver::status).collect();
        if st.iter().all(|s| *s == Status::Converged) {
            Status::Converged
        } else {
            st.into_iter()
                .find(|s| !matches!(s, Status::Converged | Status::Running))
                .unwrap_or(Status::Running)
        }
    }
    fn is_done(&self) -> bool {
        self.status() != Status::Running
            && self.solvers.iter().all(|s| s.status() != Status::Running)
    }
    fn info(&self, _view: &ViewSpec) -> ProblemInfo {
        poly_info(self.labels.len(), self.classes)
    }
    fn snapshot(&self, iter: usize, view: &ViewSpec) -> Snapshot {
        let problems: Vec<&PolyProblem> = self.problems.iter().collect();
        let pairs = self.solvers.iter().map(NuclearSolver::lifted).collect();
        poly_snapshot(&problems, pairs, &self.labels, self.classes, iter, view)
    }
    fn set_beta(&mut self, beta: f64) -> Result<()> {
        for (s, p) in self.solvers.iter_mut().zip(&mut self.problems) {
            s.set_beta(beta)?;
            *p = p.with_beta(beta)?;
        }
        Ok(())
    }
    fn rho(&self) -> f64 {
        f64::NAN
    }
}

/// The activation presets offered in the controls.
pub const PRESETS: [(&str, PolyActivation); 3] = [
    ("ReLU-like (0.09, 0.5, 0.47)", PolyActivation::RELU_LIKE),
    (
        "swish-like (0.1025, 0.5, 0.2397)",
        PolyActivation::SWISH_LIKE,
    ),
    ("square (1, 0, 0)", PolyActivation::SQUARE),
];

/// The snapshot of PSD pairs (one per output): balanced, decomposed, certified.
fn poly_snapshot(
    problems: &[&PolyProblem],
    pairs: Vec<(Matrix4<f64>, Matrix4<f64>)>,
    labels: &[f64],
    classes: usize,
    iter: usize,
    view: &ViewSpec,
) -> Snapshot {
    let mut networks = Vec::new();
    let mut lifted = Vec::new();
    let mut eig = Vec::new();
    let mut steps = Vec::new();
    let mut bounds = Bounds {
        upper: 0.0,
        lower: 0.0,
        certificate: f64::NEG_INFINITY,
    };
    let (mut certificates, mut cert, mut cert_us) = (Vec::new(), Vec::new(), Vec::new());
    for (pr, (zp, zm)) in problems.iter().zip(pairs) {
        let (net, pair, out_steps) = pr.decompose_steps(&zp, &zm).unwrap_or_else(|_| {
            let empty = PolyNetwork {
                activation: pr.activation,
                neurons: Vec::new(),
            };
            (empty, [Matrix4::zeros(); 2], [Vec::new(), Vec::new()])
        });
        let (b, u, v) = certify_poly_detail(&pr.x, &pr.y, pr.loss, pr.beta, &net);
        bounds.upper += b.upper;
        bounds.lower += b.lower;
        bounds.certificate = bounds.certificate.max(b.certificate);
        certificates.push(certificate_field(pr, &v, view.t_max));
        cert.push(b.certificate);
        cert_us.push(u);
        steps.push(out_steps);
        eig.push(pair.map(|z| sorted_eigenvalues(&z)));
        lifted.push(pair);
        networks.push(net);
    }
    let pr0 = problems[0];
    let output = if classes > 1 {
        // The predicted class (argmax over outputs).
        Grid::sample(FIELD, FIELD, view.extent, |x, y| {
            let scores: Vec<f64> = networks.iter().map(|n| n.eval([x, y])).collect();
            (0..scores.len())
                .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
                .unwrap_or(0) as f64
        })
    } else {
        Grid::sample(FIELD, FIELD, view.extent, |x, y| networks[0].eval([x, y]))
    };
    Snapshot {
        iter,
        beta: pr0.beta,
        bounds,
        train: poly_metrics(&networks, &pr0.x, labels, pr0.loss),
        test: poly_metrics(&networks, &view.test_x, &view.test_y, pr0.loss),
        output,
        classes: classes.max(1),
        model: ModelSnapshot::Poly(Arc::new(PolySnapshot {
            networks,
            lifted,
            eig,
            steps,
            certificates,
            cert,
            cert_u: cert_us,
        })),
    }
}
