//! Solver threads (architecture.md "Solver ↔ UI"). The convex solver, the SGD seeds and the
//! certified-optimum solve each run on a named thread. The UI sends [`Cmd`]s; threads send
//! [`Event`]s tagged with the run generation (stale runs are ignored) and ask for a repaint.
//! Heavy per-snapshot work (certificates, fields over the plane and line space) happens here so
//! a frame never waits for it. No egui types: a repaint is a plain callback.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::formulations::{Formulation, ProblemInput};
use crate::certify::{Bounds, NeuronKkt, certify_network, kkt_report};
use crate::geometry::grid::{Grid, certificate_grid, line_space_regions, output_grid};
use nalgebra::Matrix4;

use crate::certify::poly::certify_poly;
use crate::convex::ReluProblem;
use crate::decompose::poly::Step;
use crate::model::{Loss, PolyNetwork, ReluNetwork};
use crate::solve::poly_sgd::PolyTrainer;
use crate::solve::{Iterate, Optimizer, SgdSettings, SgdTrainer, Status};

/// Side of the decision-boundary field.
pub const FIELD: usize = 80;
/// Line-space field size (θ × t).
pub const LINE_FIELD: [usize; 2] = [120, 72];

/// Most neurons drawn per network.
pub const MAX_SHOWN: usize = 60;

/// The `k` largest neurons of `net` worth drawing (SGD seeds in the plane plots: a dozen per
/// seed keeps ten seeds readable and cheap to paint).
pub fn significant_top(net: &ReluNetwork, k: usize) -> Vec<usize> {
    let mut v = significant(net);
    v.truncate(k);
    v
}

/// The neurons of `net` worth drawing (see [`Snapshot::shown`]).
pub fn significant(net: &ReluNetwork) -> Vec<usize> {
    let w: Vec<f64> = net
        .neurons
        .iter()
        .map(|n| n.norm_u() * n.alpha.abs())
        .collect();
    let max = w.iter().copied().fold(0.0, f64::max);
    let mut idx: Vec<usize> = (0..w.len())
        .filter(|&i| max > 0.0 && w[i] >= 1e-3 * max)
        .collect();
    idx.sort_by(|&a, &b| w[b].total_cmp(&w[a]));
    idx.truncate(MAX_SHOWN);
    idx
}

/// A callback that wakes the UI.
pub type Repaint = Arc<dyn Fn() + Send + Sync>;

/// Commands to a stepping thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmd {
    /// Do this many more iterations, then report [`Event::Idle`].
    Advance(usize),
    /// Iterate until paused, converged or finished.
    Run,
    /// Stop iterating (keeps the state).
    Pause,
    /// Change β keeping the iterate (regularisation path).
    SetBeta(f64),
}

/// What the plots need about the data and the problem, fixed for one run.
#[derive(Debug, Clone)]
pub struct ViewSpec {
    /// Data-plane extent `[x0, x1, y0, y1]` of the fields.
    pub extent: [f64; 4],
    /// Line space `t ∈ [−t_max, t_max]`.
    pub t_max: f64,
    /// Test points and targets (for test loss/accuracy).
    pub test_x: Vec<[f64; 2]>,
    /// Test targets.
    pub test_y: Vec<f64>,
}

/// Loss and accuracy of a network on some points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Summed loss.
    pub loss: f64,
    /// Fraction correctly classified (NaN for regression).
    pub accuracy: f64,
}

/// Metrics of `net` on `(x, y)` (`None` when there are no points).
pub fn metrics(net: &ReluNetwork, x: &[[f64; 2]], y: &[f64], loss: Loss) -> Option<Metrics> {
    if x.is_empty() {
        return None;
    }
    let yhat = net.predict(x);
    let classification = y.iter().all(|&v| v == 1.0 || v == -1.0);
    let accuracy = if classification {
        yhat.iter().zip(y).filter(|(f, t)| **f * **t > 0.0).count() as f64 / y.len() as f64
    } else {
        f64::NAN
    };
    Some(Metrics {
        loss: loss.total(&yhat, y),
        accuracy,
    })
}

/// Training metrics of polynomial networks (one per output): the summed loss on the targets
/// (one-vs-rest ±1 for several outputs) and the accuracy (sign, or argmax over outputs).
pub fn poly_metrics(
    nets: &[PolyNetwork],
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
) -> Option<Metrics> {
    if x.is_empty() || nets.is_empty() {
        return None;
    }
    let preds: Vec<Vec<f64>> = nets.iter().map(|n| n.predict(x)).collect();
    if nets.len() == 1 {
        let yhat = &preds[0];
        let accuracy = if y.iter().all(|&v| v == 1.0 || v == -1.0) {
            yhat.iter().zip(y).filter(|(f, t)| **f * **t > 0.0).count() as f64 / y.len() as f64
        } else {
            f64::NAN
        };
        return Some(Metrics {
            loss: loss.total(yhat, y),
            accuracy,
        });
    }
    let targets = crate::convex::poly::one_vs_rest(y, nets.len());
    let total = preds
        .iter()
        .zip(&targets)
        .map(|(p, t)| loss.total(p, t))
        .sum();
    let correct = (0..x.len())
        .filter(|&j| {
            let best = (0..nets.len())
                .max_by(|&a, &b| preds[a][j].total_cmp(&preds[b][j]))
                .unwrap_or(0);
            best == y[j].round() as usize
        })
        .count();
    Some(Metrics {
        loss: total,
        accuracy: correct as f64 / x.len() as f64,
    })
}

/// Problem facts sent once per run.
#[derive(Debug, Clone)]
pub struct ProblemInfo {
    /// Training points.
    pub n: usize,
    /// Patterns used by the solver.
    pub p: usize,
    /// Exact region count (|patterns| of the full arrangement incl. empty).
    pub exact: usize,
    /// Whether the solver uses every region.
    pub is_exact: bool,
    /// Line-space region fingerprints (θ × t cells).
    pub line_regions: Vec<u64>,
    /// Whether each line-space cell's pattern is one the solver uses.
    pub line_chosen: Vec<bool>,
    /// Polynomial SDP: number of outputs (one `(Z₊, Z₋)` pair each); `None` for ReLU models.
    pub poly_outputs: Option<usize>,
}

/// The state of the convex solver at one iteration: everything the panels draw.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Iteration.
    pub iter: usize,
    /// β at this iteration.
    pub beta: f64,
    /// The network of the iterate.
    pub network: ReluNetwork,
    /// Certified bounds of that network.
    pub bounds: Bounds,
    /// The exact maximiser `u*` of the certificate and `c(v)/β`.
    pub cert_u: [f64; 3],
    /// Residual-based dual point `v` (drawn as `h(θ, t)/β`).
    pub dual: Vec<f64>,
    /// Neurons worth drawing: ‖u‖·|α| ≥ 10⁻³ of the largest, largest first, at most
    /// [`MAX_SHOWN`] (early iterates carry hundreds of negligible blocks).
    pub shown: Vec<usize>,
    /// Per-neuron KKT residuals (§G.4).
    pub kkt: Vec<NeuronKkt>,
    /// Number of training points each neuron is active on.
    pub pattern_sizes: Vec<usize>,
    /// Training metrics.
    pub train: Option<Metrics>,
    /// Test metrics.
    pub test: Option<Metrics>,
    /// Output over the data plane.
    pub output: Grid,
    /// `h(θ, t)/β` over line space.
    pub certificate: Grid,
    /// Polynomial model: networks per output, lifted matrices and decomposition steps.
    pub poly: Option<Arc<PolyDetail>>,
}

/// What the polynomial panels draw at one iterate.
#[derive(Debug, Clone)]
pub struct PolyDetail {
    /// Neurons of the iterate's Neural Decomposition, one network per output.
    pub networks: Vec<PolyNetwork>,
    /// Balanced lifted matrices `[Z₊, Z₋]` per output.
    pub lifted: Vec<[Matrix4<f64>; 2]>,
    /// Their eigenvalues, descending.
    pub eig: Vec<[[f64; 4]; 2]>,
    /// Decomposition steps per output and sign.
    pub steps: Vec<[Vec<Step>; 2]>,
    /// Number of classes (1 = scalar output).
    pub classes: usize,
    /// `vᵀσ(X̃u)/β` over line space per output.
    pub certificates: Vec<Grid>,
    /// `c(v)/β` per output.
    pub cert: Vec<f64>,
    /// Exact maximiser per output.
    pub cert_u: Vec<[f64; 3]>,
}

/// SGD scalars after one epoch (all seeds).
#[derive(Debug, Clone)]
pub struct SgdPoint {
    /// Epoch.
    pub epoch: usize,
    /// Cumulative training seconds per seed.
    pub seconds: Vec<f64>,
    /// Objective per seed.
    pub objectives: Vec<f64>,
}

/// SGD networks of every seed at one epoch, with certified bounds.
#[derive(Debug, Clone)]
pub struct SgdSnapshot {
    /// Epoch.
    pub epoch: usize,
    /// One network per seed.
    pub networks: Vec<ReluNetwork>,
    /// Certified bounds per seed (its objective and the lower bound from its own residual).
    pub bounds: Vec<Bounds>,
    /// Test metrics per seed.
    pub test: Vec<Option<Metrics>>,
}

/// The certified optimum of the exact program.
#[derive(Debug, Clone)]
pub struct Optimum {
    /// Certified bounds (the optimum lies between them).
    pub bounds: Bounds,
    /// Final status.
    pub status: Status,
    /// Wall time.
    pub seconds: f64,
    /// Number of neurons of the optimal network.
    pub neurons: usize,
    /// The optimal ReLU network (empty for other models).
    pub network: ReluNetwork,
    /// The optimal polynomial networks, one per output (polynomial model).
    pub poly: Option<Vec<PolyNetwork>>,
}

/// Events from the threads.
#[derive(Debug, Clone)]
pub enum Event {
    /// The convex problem is built.
    Problem(Arc<ProblemInfo>),
    /// Iterations done (batched).
    Iterates(Vec<Iterate>),
    /// A convex-solver snapshot.
    Snapshot(Arc<Snapshot>),
    /// β changed at this iteration.
    BetaChanged {
        /// Iteration.
        iter: usize,
        /// New β.
        beta: f64,
    },
    /// The convex solver reached a final status (converged, diverged).
    Finished(Status),
    /// A stepping thread finished its batch of iterations.
    Idle(Role),
    /// SGD started with this width.
    SgdStarted {
        /// Hidden width.
        width: usize,
    },
    /// SGD epochs (batched).
    Sgd(Vec<SgdPoint>),
    /// An SGD snapshot.
    SgdSnapshot(Arc<SgdSnapshot>),
    /// SGD did its last epoch.
    SgdDone,
    /// The certified optimum (or why it failed).
    Optimum(Result<Arc<Optimum>, String>),
    /// A thread failed; the message is shown in the window.
    Error(Role, String),
}

/// Which thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Convex solver.
    Convex = 0,
    /// SGD seeds.
    Sgd = 1,
    /// Certified optimum.
    Optimum = 2,
}

/// Where threads send events.
#[derive(Clone)]
pub struct Sink {
    generation: u64,
    tx: Sender<(u64, Event)>,
    repaint: Repaint,
}

impl Sink {
    /// A sink for run `generation`.
    pub fn new(generation: u64, tx: Sender<(u64, Event)>, repaint: Repaint) -> Self {
        Self {
            generation,
            tx,
            repaint,
        }
    }
    fn send(&self, e: Event) {
        // The receiver is gone only when the app is closing.
        let _ = self.tx.send((self.generation, e));
        (self.repaint)();
    }
}

/// A running thread with its command channel and stop flag. Dropping it stops and joins it.
pub struct Worker {
    tx: Sender<Cmd>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    fn spawn(
        name: &str,
        body: impl FnOnce(Receiver<Cmd>, Arc<AtomicBool>) + Send + 'static,
    ) -> Self {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // Best effort: a failure only means the UI competes with the solvers.
                let _ = thread_priority::set_current_thread_priority(
                    thread_priority::ThreadPriority::Min,
                );
                body(rx, s2)
            })
            .ok();
        Self { tx, stop, handle }
    }

    /// Sends a command (ignored if the thread has ended).
    pub fn send(&self, c: Cmd) {
        let _ = self.tx.send(c);
    }

    /// Asks the thread to end.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Batches iterates and flushes them at most every 30 ms.
struct Batch<T> {
    items: Vec<T>,
    last: Instant,
}

impl<T> Batch<T> {
    fn new() -> Self {
        Self {
            items: Vec::new(),
            last: Instant::now(),
        }
    }
    fn push(&mut self, t: T) {
        self.items.push(t);
    }
    fn due(&self) -> bool {
        !self.items.is_empty() && self.last.elapsed() > Duration::from_millis(30)
    }
    fn take(&mut self) -> Vec<T> {
        self.last = Instant::now();
        std::mem::take(&mut self.items)
    }
}

/// Shared "how to step" logic: budget of iterations or free run, paused otherwise.
struct Pace {
    budget: usize,
    run: bool,
}

impl Pace {
    fn active(&self) -> bool {
        self.run || self.budget > 0
    }
    /// Applies a command; returns a β change to act on.
    fn apply(&mut self, c: Cmd) -> Option<f64> {
        match c {
            Cmd::Advance(k) => self.budget += k,
            Cmd::Run => self.run = true,
            Cmd::Pause => {
                self.run = false;
                self.budget = 0;
            }
            Cmd::SetBeta(b) => return Some(b),
        }
        None
    }
    /// Waits for commands when idle; `Err(())` when the app is gone or the stop flag is set.
    fn poll(
        &mut self,
        rx: &Receiver<Cmd>,
        stop: &AtomicBool,
        mut on_beta: impl FnMut(f64),
    ) -> Result<(), ()> {
        loop {
            if stop.load(Ordering::Relaxed) {
                return Err(());
            }
            if self.active() {
                while let Ok(c) = rx.try_recv() {
                    if let Some(b) = self.apply(c) {
                        on_beta(b);
                    }
                }
                return Ok(());
            }
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(c) => {
                    if let Some(b) = self.apply(c) {
                        on_beta(b);
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(()),
            }
        }
    }
}

/// Starts the convex solver thread.
pub fn spawn_convex(
    f: &'static dyn Formulation,
    input: ProblemInput,
    view: ViewSpec,
    snapshot_every: usize,
    sink: Sink,
) -> Worker {
    Worker::spawn("convex-solver", move |rx, stop| {
        convex_thread(f, input, view, snapshot_every, sink, rx, &stop)
    })
}

fn convex_thread(
    f: &'static dyn Formulation,
    input: ProblemInput,
    view: ViewSpec,
    snapshot_every: usize,
    sink: Sink,
    rx: Receiver<Cmd>,
    stop: &AtomicBool,
) {
    let mut stepper = match f.build(&input) {
        Ok(s) => s,
        Err(e) => return sink.send(Event::Error(Role::Convex, e.to_string())),
    };
    sink.send(Event::Problem(Arc::new(stepper.info(&view))));
    let snap = |stepper: &dyn super::formulations::Stepper, iter: usize| {
        Event::Snapshot(Arc::new(stepper.snapshot(iter, &view)))
    };
    sink.send(snap(stepper.as_ref(), 0));
    let mut pace = Pace {
        budget: 0,
        run: false,
    };
    let mut batch = Batch::new();
    let mut iter = 0;
    let mut finished = false;
    loop {
        let mut new_beta = None;
        if pace.poll(&rx, stop, |b| new_beta = Some(b)).is_err() {
            return;
        }
        if let Some(b) = new_beta {
            match stepper.set_beta(b) {
                Ok(()) => {
                    finished = false;
                    sink.send(Event::Iterates(batch.take()));
                    sink.send(Event::BetaChanged { iter, beta: b });
                    sink.send(snap(stepper.as_ref(), iter));
                }
                Err(e) => sink.send(Event::Error(Role::Convex, e.to_string())),
            }
            continue;
        }
        if !pace.active() {
            continue;
        }
        if finished && pace.run {
            // Free running stops at the certified optimum; explicit steps still go on.
            pace.run = false;
            sink.send(Event::Idle(Role::Convex));
            continue;
        }
        let Some(it) = stepper.step() else {
            // Already finished (explicit steps after the end do nothing).
            finished = true;
            pace.run = false;
            pace.budget = 0;
            sink.send(Event::Finished(stepper.status()));
            sink.send(Event::Idle(Role::Convex));
            continue;
        };
        iter = it.iter;
        pace.budget = pace.budget.saturating_sub(1);
        batch.push(it);
        let done = stepper.is_done();
        let polish = it.phase == crate::solve::Phase::Polish;
        if it.iter.is_multiple_of(snapshot_every) || done || polish || !pace.active() {
            sink.send(Event::Iterates(batch.take()));
            sink.send(snap(stepper.as_ref(), it.iter));
        } else if batch.due() {
            sink.send(Event::Iterates(batch.take()));
        }
        if done && !finished {
            finished = true;
            pace.run = false;
            pace.budget = 0;
            sink.send(Event::Finished(stepper.status()));
        }
        if !pace.active() {
            sink.send(Event::Idle(Role::Convex));
        }
    }
}

/// Problem facts of the convex ReLU program.
pub fn relu_info(pr: &ReluProblem, view: &ViewSpec) -> ProblemInfo {
    let [nx, ny] = LINE_FIELD;
    let (line_regions, line_chosen) = line_space_regions(&pr.x, &pr.patterns, nx, ny, view.t_max);
    ProblemInfo {
        n: pr.n(),
        p: pr.p(),
        exact: pr.exact.len(),
        is_exact: pr.is_exact,
        line_regions,
        line_chosen,
        poly_outputs: None,
    }
}

/// The snapshot of a ReLU network on its convex program.
pub fn relu_snapshot(
    pr: &ReluProblem,
    network: ReluNetwork,
    iter: usize,
    view: &ViewSpec,
) -> Snapshot {
    let (bounds, cert) = pr.certify(&network);
    let yhat = network.predict(&pr.x);
    let dual = pr.loss.dual_point(&yhat, &pr.y);
    let kkt = kkt_report(&pr.x, &pr.y, pr.loss, pr.beta, &network);
    let pattern_sizes = network
        .neurons
        .iter()
        .map(|nr| pr.x.iter().filter(|&&p| nr.pre(p) > 0.0).count())
        .collect();
    let [nx, ny] = LINE_FIELD;
    Snapshot {
        iter,
        beta: pr.beta,
        output: output_grid(&network, FIELD, FIELD, view.extent),
        certificate: certificate_grid(&pr.x, &dual, pr.beta, nx, ny, view.t_max),
        train: metrics(&network, &pr.x, &pr.y, pr.loss),
        test: metrics(&network, &view.test_x, &view.test_y, pr.loss),
        shown: significant(&network),
        network,
        bounds,
        cert_u: cert.u,
        dual,
        kkt,
        pattern_sizes,
        poly: None,
    }
}

/// Settings of the SGD thread.
#[derive(Debug, Clone)]
pub struct SgdJob {
    /// Hidden width.
    pub width: usize,
    /// Seeds 1..=seeds.
    pub seeds: usize,
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Learning rate.
    pub lr: f64,
    /// Epochs.
    pub epochs: usize,
    /// Snapshot (networks + certified bounds) every this many epochs.
    pub snapshot_every: usize,
    /// Train polynomial networks (the polynomial formulation) instead of ReLU networks.
    pub poly: bool,
}

/// The seeds being trained.
enum Seeds {
    Relu(Vec<SgdTrainer>),
    /// Per seed, one trainer per output (the multi-class problem decouples, §F.7).
    Poly(Vec<Vec<PolyTrainer>>, Vec<Vec<f64>>),
}

impl Seeds {
    fn len(&self) -> usize {
        match self {
            Seeds::Relu(t) => t.len(),
            Seeds::Poly(t, _) => t.len(),
        }
    }

    /// One epoch of every seed: (seconds, objective) per seed.
    fn step(&mut self) -> Vec<(f64, f64)> {
        match self {
            Seeds::Relu(t) => t
                .iter_mut()
                .map(|t| {
                    let r = t.step();
                    (r.seconds, r.objective)
                })
                .collect(),
            Seeds::Poly(t, _) => t
                .iter_mut()
                .map(|outputs| {
                    outputs.iter_mut().fold((0.0, 0.0), |(s, o), t| {
                        let r = t.step();
                        (s + r.seconds, o + r.objective)
                    })
                })
                .collect(),
        }
    }
}

/// Starts the SGD thread (all seeds in lockstep, one epoch per step).
pub fn spawn_sgd(
    input: ProblemInput,
    job: SgdJob,
    test: (Vec<[f64; 2]>, Vec<f64>),
    sink: Sink,
) -> Worker {
    Worker::spawn("sgd-seeds", move |rx, stop| {
        sgd_thread(input, job, test, sink, rx, &stop)
    })
}

fn sgd_thread(
    input: ProblemInput,
    job: SgdJob,
    test: (Vec<[f64; 2]>, Vec<f64>),
    sink: Sink,
    rx: Receiver<Cmd>,
    stop: &AtomicBool,
) {
    let exact = if job.poly {
        None
    } else {
        match input.exact() {
            Ok(e) => Some(e),
            Err(e) => return sink.send(Event::Error(Role::Sgd, e.to_string())),
        }
    };
    let mut settings = Vec::with_capacity(job.seeds);
    for seed in 1..=job.seeds as u64 {
        settings.push(SgdSettings {
            width: job.width.max(1),
            lr: job.lr,
            lr_final: job.lr,
            epochs: job.epochs,
            optimizer: job.optimizer,
            seed,
            ..SgdSettings::default()
        });
    }
    let built = if job.poly {
        let targets = if input.classes > 1 {
            crate::convex::poly::one_vs_rest(&input.y, input.classes)
        } else {
            vec![input.y.clone()]
        };
        settings
            .into_iter()
            .map(|s| {
                targets
                    .iter()
                    .enumerate()
                    .map(|(c, y)| {
                        PolyTrainer::new(
                            input.x.clone(),
                            y.clone(),
                            input.loss,
                            input.beta,
                            input.poly,
                            input.poly_reg,
                            SgdSettings {
                                seed: s.seed + 7919 * c as u64,
                                ..s
                            },
                        )
                    })
                    .collect::<crate::error::Result<Vec<_>>>()
            })
            .collect::<crate::error::Result<Vec<_>>>()
            .map(|t| Seeds::Poly(t, targets))
    } else {
        settings
            .into_iter()
            .map(|s| SgdTrainer::new(input.x.clone(), input.y.clone(), input.loss, input.beta, s))
            .collect::<crate::error::Result<Vec<_>>>()
            .map(Seeds::Relu)
    };
    let mut trainers = match built {
        Ok(t) => t,
        Err(e) => return sink.send(Event::Error(Role::Sgd, e.to_string())),
    };
    sink.send(Event::SgdStarted {
        width: job.width.max(1),
    });
    let snapshot = |seeds: &Seeds, epoch: usize| {
        let (networks, bounds, test) = match seeds {
            Seeds::Relu(trainers) => {
                let networks: Vec<ReluNetwork> = trainers.iter().map(|t| t.network()).collect();
                let bounds = networks
                    .iter()
                    .map(|n| {
                        exact.as_ref().map_or(Bounds::unknown(), |e| {
                            certify_network(&input.x, &input.y, e, input.loss, input.beta, n).0
                        })
                    })
                    .collect();
                let test = networks
                    .iter()
                    .map(|n| metrics(n, &test.0, &test.1, input.loss))
                    .collect();
                (networks, bounds, test)
            }
            Seeds::Poly(trainers, targets) => {
                // Certified against the ℓ1 SDP when the learned function has a unit-norm form
                // (always for unit-norm + ℓ1; for weight decay only with σ = a t²); bounds of
                // the outputs add up.
                let bounds = trainers
                    .iter()
                    .map(|outputs| {
                        let mut total = Bounds {
                            upper: 0.0,
                            lower: 0.0,
                            certificate: f64::NEG_INFINITY,
                        };
                        for (t, y) in outputs.iter().zip(targets) {
                            total.upper += t.objective();
                            match t.unit_network() {
                                Some(net) => {
                                    let b = certify_poly(&input.x, y, input.loss, input.beta, &net);
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
                    })
                    .collect();
                let test = trainers
                    .iter()
                    .map(|outputs| {
                        let nets: Vec<PolyNetwork> =
                            outputs.iter().map(PolyTrainer::network).collect();
                        poly_metrics(&nets, &test.0, &test.1, input.loss)
                    })
                    .collect();
                (Vec::new(), bounds, test)
            }
        };
        Event::SgdSnapshot(Arc::new(SgdSnapshot {
            epoch,
            networks,
            bounds,
            test,
        }))
    };
    sink.send(snapshot(&trainers, 0));
    let mut seconds = vec![0.0; trainers.len()];
    let mut pace = Pace {
        budget: 0,
        run: false,
    };
    let mut batch = Batch::new();
    let mut epoch = 0;
    loop {
        if pace.poll(&rx, stop, |_| {}).is_err() {
            return;
        }
        if !pace.active() {
            continue;
        }
        if epoch >= job.epochs {
            pace.run = false;
            pace.budget = 0;
            sink.send(Event::Sgd(batch.take()));
            sink.send(Event::SgdDone);
            sink.send(Event::Idle(Role::Sgd));
            continue;
        }
        let mut objectives = Vec::with_capacity(trainers.len());
        for ((sec, obj), s) in trainers.step().into_iter().zip(&mut seconds) {
            *s += sec;
            objectives.push(obj);
        }
        epoch += 1;
        pace.budget = pace.budget.saturating_sub(1);
        batch.push(SgdPoint {
            epoch,
            seconds: seconds.clone(),
            objectives,
        });
        if epoch.is_multiple_of(job.snapshot_every) || epoch == job.epochs || !pace.active() {
            sink.send(Event::Sgd(batch.take()));
            sink.send(snapshot(&trainers, epoch));
        } else if batch.due() {
            sink.send(Event::Sgd(batch.take()));
        }
        if !pace.active() {
            sink.send(Event::Idle(Role::Sgd));
        }
    }
}

/// Starts the certified-optimum solve.
pub fn spawn_optimum(f: &'static dyn Formulation, input: ProblemInput, sink: Sink) -> Worker {
    Worker::spawn("optimum", move |_rx, stop| {
        let r = f
            .optimum(&input, &stop)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        if !stop.load(Ordering::Relaxed) {
            sink.send(Event::Optimum(r));
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn types_crossing_threads_are_send() {
        assert_send::<Event>();
        assert_send::<Cmd>();
        assert_send::<ProblemInput>();
        assert_send::<Sink>();
    }
}
