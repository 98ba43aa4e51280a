//! What a solver's state looks like to the outside: problem facts fixed for one run
//! ([`ProblemInfo`]), the state at one iteration ([`Snapshot`]) and the gradient-trained
//! networks at one epoch ([`SgdSnapshot`]). Plain data, typed per model: the parts every
//! model has (bounds, metrics, the output over the plane) are fields of [`Snapshot`], the rest
//! is one [`ModelSnapshot`] variant per kind of network.

use std::sync::Arc;

use nalgebra::Matrix4;

use super::ModelNetwork;
use crate::certify::{Bounds, NeuronKkt};
use crate::decompose::poly::Step;
use crate::geometry::grid::Grid;
use crate::model::{Loss, PolyNetwork, ReluNetwork};

/// Side of the decision-boundary field.
pub const FIELD: usize = 80;
/// Line-space field size (θ × t).
pub const LINE_FIELD: [usize; 2] = [120, 72];
/// Most neurons drawn per network.
pub const MAX_SHOWN: usize = 60;

/// The kinds of model a formulation trains: which snapshot variant it produces and so which
/// panels draw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Two-layer ReLU networks `f(x) = Σₖ αₖ (uₖᵀx̃)₊` over activation patterns.
    Relu,
    /// Polynomial-activation networks with a lifted (SDP) convex form.
    Poly,
    /// Gated ReLU models (fixed gates, a linear part each) and the ReLU networks of their cone
    /// decomposition: drawn by the ReLU panels, with the gates and both boundaries.
    Gated,
    /// Robust ReLU networks (ℓ∞ boxes): the ReLU panels, with the boxes and worst cases.
    Robust,
    /// Max-margin ReLU networks (no loss, no β): the ReLU panels, the map of `λ∘y`.
    MaxMargin,
    /// Parallel three-layer ReLU networks with a path regularizer: their own regions and
    /// neurons panels, the certificate of the block that sets the bound.
    Path3,
}

impl ModelKind {
    /// Title and explanation of the certificate map for this kind of model.
    pub fn certificate_caption(self) -> (&'static str, &'static str) {
        match self {
            ModelKind::Relu => (
                "Dual certificate h(θ, t)/β",
                "For the residual v = −∇ℓ(ŷ) of the network at the cursor, h(u) = vᵀ(X̃u)₊ over \
                 unit directions u (each point is an oriented line). The network is globally \
                 optimal iff every neuron sits where h/β = sign(α) and |h|/β ≤ 1 everywhere; the \
                 exact maximum c(v)/β (★) certifies the lower bound.",
            ),
            ModelKind::Gated => (
                "Gated dual ‖X̃ᵀD(g)v‖/β",
                "For a dual point v, the value ‖X̃ᵀD(g)v‖/β of the gate g of each line (θ, t): \
                 constant on each region, since it depends on the gate's pattern D(g) only. The \
                 gated program is solved iff it is ≤ 1 on every gate of its set and 1 on every \
                 active gate; the maximum over the set (★) certifies the lower bound. With \
                 sampled gates, regions above 1 outside the set are what the sample misses.",
            ),
            ModelKind::Robust => (
                "Robust dual ‖Π_K(±h)‖/β",
                "For the dual point (v, w) of the network at the cursor, each usable pattern's \
                 constraint max over its robust cone K (the directions whose line misses every \
                 box) of ±hᵀu, h = Σⱼ dⱼ(vⱼx̃ⱼ − (wⱼ, 0)): constant on each region, 0 on unusable \
                 ones (no block there). ≤ 1 everywhere certifies the lower bound (★: maximum).",
            ),
            ModelKind::MaxMargin => (
                "Dual (λ∘y)ᵀ(X̃u)₊",
                "For the margin multipliers λ ≥ 0 behind the certified lower bound, h(u) = \
                 (λ∘y)ᵀ(X̃u)₊ over unit directions u, scaled so that |h| ≤ 1: the dual constraint \
                 of the max-margin program. Its maxima (★, the 'extreme points') are where the \
                 max-margin network's neurons sit, with h = sign(α).",
            ),
            ModelKind::Path3 => (
                "Block dual gᵀ(X̃u)₊",
                "The three-layer program's dual has one constraint per second-layer block (sign \
                 η, pattern E of the points a sub-network is on for): for some μ ≥ 0, the map of \
                 g = ηEλ + (2E − I)μ, with λ = y − ŷ, stays within ±β over all first-layer \
                 directions u. Shown: the block that sets the certified lower bound (the largest \
                 map over all 2ⁿ − 1 patterns and both signs), scaled; its sub-network's neurons ◆ \
                 sit where the map is ±1 at the optimum.",
            ),
            ModelKind::Poly => (
                "Dual certificate vᵀσ(X̃u)/β",
                "For the residual v = −∇ℓ(ŷ) of the network at the cursor, g(u) = vᵀσ(X̃u) over \
                 unit vectors u = (cos θ, sin θ, −t)/√(1 + t²) (the sphere). The network is \
                 globally optimal iff every neuron sits where g/β = sign(α) and |g|/β ≤ 1 \
                 everywhere; the exact maximum c(v)/β (★) is a trust-region problem solved \
                 exactly. Several classes: the output chosen in the decomposition panel.",
            ),
        }
    }
}

/// A neuron drawn on the certificate map.
#[derive(Debug, Clone, Copy)]
pub struct Marker {
    /// Its direction.
    pub u: [f64; 3],
    /// Its output weight (the sign picks the colour).
    pub alpha: f64,
    /// Its index in the ReLU network (hoverable), if it has one.
    pub neuron: Option<usize>,
}

/// The certificate map of one output at one iterate, as the certificate panel draws it.
#[derive(Debug, Clone)]
pub struct CertificateView<'a> {
    /// The output shown (0 for a scalar output).
    pub output: usize,
    /// Which dual point is shown.
    pub choice: DualChoice,
    /// The map over line space, divided by β.
    pub grid: &'a Grid,
    /// `c(v)/β` of the point before scaling.
    pub c_over_beta: f64,
    /// The exact maximiser.
    pub argmax: [f64; 3],
    /// Exact directions where the map is within 10⁻³ of 1 (see [`DualView::near_max`]).
    pub near_max: &'a [[f64; 3]],
    /// The iterate's neurons.
    pub markers: Vec<Marker>,
}

/// What the plots need about the data, fixed for one run.
#[derive(Debug, Clone)]
pub struct ViewSpec {
    /// Data-plane extent `[x0, x1, y0, y1]` of the fields.
    pub extent: [f64; 4],
    /// Line space `t ∈ [−t_max, t_max]`.
    pub t_max: f64,
    /// Test points.
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

fn sign_accuracy(yhat: &[f64], y: &[f64]) -> f64 {
    if y.iter().all(|&v| v == 1.0 || v == -1.0) {
        yhat.iter().zip(y).filter(|(f, t)| **f * **t > 0.0).count() as f64 / y.len() as f64
    } else {
        f64::NAN
    }
}

/// Metrics of `net` on `(x, y)` (`None` when there are no points).
pub fn metrics(
    net: &ReluNetwork,
    x: &[[f64; 2]],
    y: &[f64],
    loss: impl Into<crate::model::TrainingLoss>,
) -> Option<Metrics> {
    if x.is_empty() {
        return None;
    }
    let yhat = net.predict(x);
    Some(Metrics {
        loss: loss.into().total(&yhat, y),
        accuracy: sign_accuracy(&yhat, y),
    })
}

/// Metrics of polynomial networks (one per output): the summed loss on the targets
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
        return Some(Metrics {
            loss: loss.total(yhat, y),
            accuracy: sign_accuracy(yhat, y),
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

/// What the ReLU panels show per neuron: its KKT residuals (docs/math.md#kkt) and the number of
/// training points it is on for.
pub fn neuron_facts(
    net: &ReluNetwork,
    x: &[[f64; 2]],
    y: &[f64],
    loss: Loss,
    beta: f64,
) -> (Vec<NeuronKkt>, Vec<usize>) {
    let kkt = crate::certify::kkt_report(x, y, loss, beta, net);
    let sizes = net
        .neurons
        .iter()
        .map(|nr| x.iter().filter(|&&p| nr.pre(p) > 0.0).count())
        .collect();
    (kkt, sizes)
}

/// The `k` largest neurons of `net` worth drawing.
pub fn significant_top(net: &ReluNetwork, k: usize) -> Vec<usize> {
    let mut v = significant(net);
    v.truncate(k);
    v
}

/// The neurons of `net` worth drawing: ‖u‖·|α| ≥ 10⁻³ of the largest, largest first, at most
/// [`MAX_SHOWN`] (early iterates carry hundreds of negligible blocks).
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

/// Problem facts sent once per run.
#[derive(Debug, Clone)]
pub struct ProblemInfo {
    /// Training points.
    pub n: usize,
    /// What is specific to the model.
    pub detail: ProblemDetail,
}

/// Problem facts specific to a kind of model.
#[derive(Debug, Clone)]
pub enum ProblemDetail {
    /// A program over activation patterns.
    Relu {
        /// Patterns used by the solver.
        p: usize,
        /// Exact region count (the full arrangement, the empty region included).
        exact: usize,
        /// Whether the solver uses every region.
        is_exact: bool,
        /// Line-space region fingerprints (θ × t cells).
        line_regions: Vec<u64>,
        /// Whether each line-space cell's pattern is one the solver uses.
        line_chosen: Vec<bool>,
        /// What `p` counts ("patterns", "gates", "usable patterns").
        what: &'static str,
        /// The program's size in one line (variables and constraints).
        sizes: String,
    },
    /// The lifted SDP: one `(Z₊, Z₋)` pair per output.
    Poly {
        /// Number of outputs.
        outputs: usize,
    },
    /// The path-regularized three-layer program.
    Path3 {
        /// Regions of the arrangement (first-layer patterns, the empty one included).
        regions: usize,
        /// Second-layer blocks priced every round: `2(2ⁿ − 1)`, or the candidates of the
        /// restricted program.
        blocks: usize,
        /// Whether this is the exact program (certified) or the restricted one.
        exact: bool,
        /// Groups in the working set.
        groups: usize,
    },
}

/// The state of the convex solver at one iteration: everything the panels draw.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Iteration.
    pub iter: usize,
    /// β at this iteration.
    pub beta: f64,
    /// Certified bounds of the iterate's network.
    pub bounds: Bounds,
    /// Training metrics.
    pub train: Option<Metrics>,
    /// Test metrics.
    pub test: Option<Metrics>,
    /// Output over the data plane (the predicted class when there are several outputs).
    pub output: Grid,
    /// Number of outputs (classes); 1 for a scalar output.
    pub classes: usize,
    /// What is specific to the model.
    pub model: ModelSnapshot,
}

/// The model-specific part of a [`Snapshot`].
#[derive(Debug, Clone)]
pub enum ModelSnapshot {
    /// A ReLU network over activation patterns.
    Relu(Box<ReluSnapshot>),
    /// Polynomial networks from the lifted matrices.
    Poly(Arc<PolySnapshot>),
    /// A parallel three-layer network.
    Path3(Box<Path3Snapshot>),
}

/// What the three-layer panels draw at one iterate.
#[derive(Debug, Clone)]
pub struct Path3Snapshot {
    /// The network of the iterate (pruned).
    pub network: crate::model::path3::Path3Network,
    /// The certificate map of the block whose dual constraint sets the lower bound
    /// (`g = ηEλ + (2E − I)μ`, scaled), divided by β.
    pub certificate: DualView,
    /// That block's output sign `η` and second-layer pattern `E`.
    pub block: (f64, Vec<bool>),
    /// The neurons of the iterate's sub-network of that block (sign and pattern), if it has
    /// one: at the optimum they sit where the map is `±1`.
    pub block_neurons: Vec<Marker>,
}

/// What the ReLU panels draw at one iterate.
#[derive(Debug, Clone)]
pub struct ReluSnapshot {
    /// The network of the iterate.
    pub network: ReluNetwork,
    /// Neurons worth drawing (see [`significant`]).
    pub shown: Vec<usize>,
    /// Per-neuron KKT residuals.
    pub kkt: Vec<NeuronKkt>,
    /// Number of training points each neuron is active on.
    pub pattern_sizes: Vec<usize>,
    /// The certificate of this network's own residual `r = −∇ℓ(ŷ)`: optimal iff it is ≤ 1
    /// everywhere and 1 at every neuron.
    pub residual: DualView,
    /// The dual point behind the certified lower bound (scaled into feasibility, so its map is
    /// ≤ 1 everywhere), when the solver has one. Near the optimum it differs from the residual
    /// of the shown network (e.g. the polish's multipliers).
    pub certifying: Option<DualView>,
    /// For a gated model: the gates and the gated model beside its decomposed ReLU network
    /// (then `network` is that decomposed network, and the dual views are the gated maps).
    pub gated: Option<Box<GatedView>>,
    /// For a robust model: the boxes and the exact worst case of `network`.
    pub robust: Option<Box<RobustView>>,
    /// With the working-set solver: what its round did.
    pub working_set: Option<WorkingSetView>,
}

/// What a round of the working-set solver did (docs/math.md#working-set).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingSetView {
    /// The round.
    pub round: usize,
    /// Regions in the working set after it.
    pub regions: usize,
    /// Regions that joined in it.
    pub added: usize,
    /// Where its pricing found them: a direction `u` in each (where a new neuron would help)
    /// with its output sign.
    pub entered: Vec<([f64; 3], f64)>,
}

/// What is particular to a robust model at one iterate.
#[derive(Debug, Clone)]
pub struct RobustView {
    /// Box radius ε.
    pub eps: f64,
    /// The worst perturbation of every training point for the network shown.
    pub worst: Vec<[f64; 2]>,
    /// Its exact worst-case training loss.
    pub robust_loss: f64,
    /// Fraction of training points classified correctly on their whole box.
    pub robust_accuracy: f64,
    /// Usable patterns.
    pub usable: usize,
    /// All regions of the arrangement.
    pub patterns: usize,
    /// Output of the plain (ε = 0) optimum over the plane, for its boundary beside the robust one.
    pub plain_output: Option<Grid>,
}

/// What is particular to a gated model at one iterate.
#[derive(Debug, Clone)]
pub struct GatedView {
    /// Active gates `(gᵢ, uᵢ)`: the gate and the linear part used where it is on, largest
    /// `‖uᵢ‖` first.
    pub gates: Vec<([f64; 3], [f64; 3])>,
    /// Output of the decomposed ReLU network over the plane (the snapshot's `output` is the
    /// gated model's).
    pub relu_output: Grid,
    /// The decomposed network's certified bounds on the *ReLU* program: its objective and the
    /// lower bound from its own residual.
    pub relu_bounds: Bounds,
    /// Test metrics of the decomposed network (they differ from the gated model's off the
    /// training points).
    pub relu_test: Option<Metrics>,
    /// How the blocks were split.
    pub split: crate::convex::gated::Split,
    /// Sampled gates: the fraction of the sphere whose gates the certifying dual point
    /// violates, and the scenario bound for the number of gates sampled.
    pub violation: Option<(f64, f64)>,
}

/// One dual point `v` as the certificate panel draws it.
#[derive(Debug, Clone)]
pub struct DualView {
    /// The point (scaled into feasibility for the certifying point, as is for a residual).
    pub v: Vec<f64>,
    /// `c(v)/β` before any scaling: ≤ 1 means dual feasible as is.
    pub c_over_beta: f64,
    /// The exact maximiser of `|h_v|`.
    pub argmax: [f64; 3],
    /// `h_v(θ, t)/β` over line space.
    pub grid: Grid,
    /// Exact directions where `|h_v|/β ≥ 1 − 10⁻³` (from the sweep's best candidates): where the
    /// dual constraint is tight. At an optimum the neurons sit on them.
    pub near_max: Vec<[f64; 3]>,
}

/// Which dual point the certificate panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DualChoice {
    /// The point behind the certified lower bound (default).
    #[default]
    Certifying,
    /// The shown network's own residual.
    Residual,
}

/// What the polynomial panels draw at one iterate.
#[derive(Debug, Clone)]
pub struct PolySnapshot {
    /// Neurons of the iterate's Neural Decomposition, one network per output.
    pub networks: Vec<PolyNetwork>,
    /// Balanced lifted matrices `[Z₊, Z₋]` per output.
    pub lifted: Vec<[Matrix4<f64>; 2]>,
    /// Their eigenvalues, descending.
    pub eig: Vec<[[f64; 4]; 2]>,
    /// Decomposition steps per output and sign.
    pub steps: Vec<[Vec<Step>; 2]>,
    /// `vᵀσ(X̃u)/β` over line space per output.
    pub certificates: Vec<Grid>,
    /// `c(v)/β` per output.
    pub cert: Vec<f64>,
    /// Exact maximiser per output.
    pub cert_u: Vec<[f64; 3]>,
}

impl Snapshot {
    /// The ReLU part, for a ReLU model.
    pub fn relu(&self) -> Option<&ReluSnapshot> {
        match &self.model {
            ModelSnapshot::Relu(r) => Some(r),
            _ => None,
        }
    }
    /// The polynomial part, for a polynomial model.
    pub fn poly(&self) -> Option<&Arc<PolySnapshot>> {
        match &self.model {
            ModelSnapshot::Poly(p) => Some(p),
            _ => None,
        }
    }
    /// The three-layer part, for the path-regularized model.
    pub fn path3(&self) -> Option<&Path3Snapshot> {
        match &self.model {
            ModelSnapshot::Path3(p) => Some(p),
            _ => None,
        }
    }

    /// The certificate map of `output` (clamped to the outputs there are) for the dual point
    /// `choice` (the residual where the model has no separate certifying point).
    pub fn certificate(&self, output: usize, choice: DualChoice) -> CertificateView<'_> {
        match &self.model {
            ModelSnapshot::Relu(r) => {
                let (choice, d) = match (&r.certifying, choice) {
                    (Some(c), DualChoice::Certifying) => (DualChoice::Certifying, c),
                    _ => (DualChoice::Residual, &r.residual),
                };
                CertificateView {
                    output: 0,
                    choice,
                    grid: &d.grid,
                    c_over_beta: d.c_over_beta,
                    argmax: d.argmax,
                    near_max: &d.near_max,
                    markers: r
                        .shown
                        .iter()
                        .map(|&i| Marker {
                            u: r.network.neurons[i].u,
                            alpha: r.network.neurons[i].alpha,
                            neuron: Some(i),
                        })
                        .collect(),
                }
            }
            ModelSnapshot::Poly(p) => {
                let o = output.min(p.certificates.len().saturating_sub(1));
                CertificateView {
                    output: o,
                    choice: DualChoice::Residual,
                    grid: &p.certificates[o],
                    c_over_beta: p.cert[o],
                    argmax: p.cert_u[o],
                    near_max: &[],
                    markers: p.networks[o]
                        .neurons
                        .iter()
                        .map(|n| Marker {
                            u: n.u,
                            alpha: n.alpha,
                            neuron: None,
                        })
                        .collect(),
                }
            }
            ModelSnapshot::Path3(p) => CertificateView {
                output: 0,
                choice: DualChoice::Certifying,
                grid: &p.certificate.grid,
                c_over_beta: p.certificate.c_over_beta,
                argmax: p.certificate.argmax,
                near_max: &p.certificate.near_max,
                markers: p.block_neurons.clone(),
            },
        }
    }
}

/// Scalars of the gradient-trained seeds after one epoch.
#[derive(Debug, Clone)]
pub struct SgdPoint {
    /// Epoch.
    pub epoch: usize,
    /// Cumulative training seconds per seed.
    pub seconds: Vec<f64>,
    /// Objective per seed.
    pub objectives: Vec<f64>,
}

/// The networks of every seed at one epoch, with certified bounds.
#[derive(Debug, Clone)]
pub struct SgdSnapshot {
    /// Epoch.
    pub epoch: usize,
    /// One network per seed.
    pub networks: Vec<ModelNetwork>,
    /// Certified bounds per seed (its objective and the lower bound from its own residual).
    pub bounds: Vec<Bounds>,
    /// Training metrics per seed (on the clean training points).
    pub train: Vec<Option<Metrics>>,
    /// Test metrics per seed.
    pub test: Vec<Option<Metrics>>,
    /// A per-seed score some models add to the seeds' table, with its name: the robust model's
    /// robust accuracy, the max-margin model's certificate ratio.
    pub score: Option<SeedScore>,
    /// Max-margin model: per seed, its dual estimate scaled to certificate maximum 1, with the
    /// exact maximiser and the near-maximal directions (empty for the other models).
    pub dual_estimates: Vec<DualEstimate>,
}

/// A gradient-descent network's dual estimate (docs/math.md#max-margin) as the certificate
/// panel draws it.
#[derive(Debug, Clone)]
pub struct DualEstimate {
    /// `v = λ∘y` scaled so that `max_u |h_v(u)| = 1`.
    pub v: Vec<f64>,
    /// The certificate ratio: the maximum over the largest value at the network's neurons.
    pub ratio: f64,
    /// The exact maximiser.
    pub argmax: [f64; 3],
    /// Exact directions where `|h_v| ≥ 1 − 10⁻³`.
    pub near_max: Vec<[f64; 3]>,
}

/// A per-seed number a model adds to the seeds' table.
#[derive(Debug, Clone)]
pub struct SeedScore {
    /// Column head.
    pub name: &'static str,
    /// One value per seed.
    pub values: Vec<f64>,
    /// Shown as a percentage (a fraction in `[0, 1]`).
    pub percent: bool,
}

impl SgdSnapshot {
    /// The ReLU networks of the seeds (none when the seeds train another kind of network).
    pub fn relu_networks(&self) -> Vec<&ReluNetwork> {
        self.networks
            .iter()
            .filter_map(ModelNetwork::relu)
            .collect()
    }
}
