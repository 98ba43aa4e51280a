//! The convex program written out with hoverable terms, linked to the plots both ways
//! (docs/math.md#relu-convex): hovering a term highlights what it stands for at the cursor's
//! iterate, and hovering a plot element lights up its term.
//!
//! - `Dᵢ`, the activation pattern of block `i`: the training points it switches on (ringed in
//!   the plane plots), its cell in line space and neuron `i`'s line in every plot;
//! - `vᵢ − wᵢ`, the block: neuron `i` in every plot;
//! - `β Σ ‖vᵢ‖ + ‖wᵢ‖`, the group norm: every neuron it charges, drawn with a width that grows
//!   with its share `‖u‖·|α|` of the norm;
//! - `(2Dᵢ − I)X̃vᵢ ≥ 0`, the cone constraint: the training points where it is tight (neuron
//!   `i`'s line passes through them: the facets the block presses against);
//! - `|vᵀ(X̃u)₊| ≤ β`, the dual constraint: its level set `h/β = ±1` and the directions where it
//!   is tight, ringed in the certificate plot (at an optimum every neuron sits on one).
//!
//! Block `i` is the neuron under the pointer (in any plot or the neuron table) or else the
//! largest one.

use eframe::egui;
use egui::RichText;

use super::paint;
use crate::app::{App, NeuronRef};
use crate::model::ReluNetwork;

/// A term of the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// `Dᵢ`: the activation pattern of block `i`.
    Pattern,
    /// `vᵢ − wᵢ`: block `i` (neuron `i`).
    Block,
    /// `β Σ ‖vᵢ‖ + ‖wᵢ‖`: the group norm.
    GroupNorm,
    /// `(2Dᵢ − I)X̃vᵢ ≥ 0`: the cone constraint of block `i`.
    Cone,
    /// `|vᵀ(X̃u)₊| ≤ β`: the dual constraint.
    DualConstraint,
}

/// What the plots highlight for a hovered term.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Highlight {
    /// The term.
    pub term: Option<Term>,
    /// Block (neuron) `i` the term refers to.
    pub block: Option<usize>,
    /// Data points to ring (indices into the dataset).
    pub points: Vec<usize>,
    /// Neurons to draw, with a line width each.
    pub neurons: Vec<(usize, f32)>,
    /// The certificate plot's level set `h/β = ±1` is highlighted.
    pub dual_level_set: bool,
    /// The region of pattern `Dᵢ` in line space (the fingerprint of its pattern on the training
    /// points): its cell is highlighted when the regions plot shows line space.
    pub cell: Option<u64>,
}

/// A cone constraint counts as tight where `|x̃ᵀu| ≤ TIGHT·‖u‖·‖x̃‖`.
const TIGHT: f64 = 1e-6;

/// The block the terms refer to: the hovered neuron of the solver's network, else the largest.
fn block(app: &App, net: &ReluNetwork) -> Option<usize> {
    if let Some(NeuronRef::Convex(i)) = app.hovered
        && i < net.neurons.len()
    {
        return Some(i);
    }
    (0..net.neurons.len())
        .filter(|&i| net.neurons[i].alpha != 0.0)
        .max_by(|&a, &b| weight(net, a).total_cmp(&weight(net, b)))
}

/// Neuron `i`'s share of the group norm, `‖u‖·|α|` (the block's norm after balancing).
fn weight(net: &ReluNetwork, i: usize) -> f64 {
    net.neurons[i].norm_u() * net.neurons[i].alpha.abs()
}

/// The highlight of `term` at the shown iterate (empty without a ReLU snapshot).
pub fn highlight(app: &App, term: Term) -> Highlight {
    let mut h = Highlight {
        term: Some(term),
        ..Highlight::default()
    };
    let Some(snap) = app.history.snapshot_at(app.shown_iter()) else {
        return h;
    };
    let Some(r) = snap.relu() else {
        return h;
    };
    let net = &r.network;
    let i = block(app, net);
    h.block = i;
    let (train, _) = app.split();
    let x = &app.session.data.dataset.x;
    match (term, i) {
        (Term::Pattern, Some(i)) => {
            let nr = &net.neurons[i];
            let xt: Vec<[f64; 2]> = train.iter().map(|&j| x[j]).collect();
            let d = crate::geometry::pattern_of(&xt, &nr.u);
            h.points = (0..train.len())
                .filter(|&k| d.get(k))
                .map(|k| train[k])
                .collect();
            h.neurons = vec![(i, 3.0)];
            h.cell = Some(crate::geometry::grid::fingerprint(&d));
        }
        (Term::Block, Some(i)) => h.neurons = vec![(i, 3.0)],
        (Term::Cone, Some(i)) => {
            let nr = &net.neurons[i];
            let nu = nr.norm_u();
            h.points = train
                .iter()
                .copied()
                .filter(|&j| {
                    let p = x[j];
                    let size = (p[0] * p[0] + p[1] * p[1] + 1.0).sqrt();
                    nr.pre(p).abs() <= TIGHT * nu * size
                })
                .collect();
            h.neurons = vec![(i, 3.0)];
        }
        (Term::GroupNorm, _) => {
            let wmax = (0..net.neurons.len())
                .map(|k| weight(net, k))
                .fold(0.0, f64::max);
            h.neurons = (0..net.neurons.len())
                .filter(|&k| weight(net, k) > 0.0)
                .map(|k| (k, 1.0 + 4.0 * (weight(net, k) / wmax) as f32))
                .collect();
        }
        (Term::DualConstraint, _) => h.dual_level_set = true,
        _ => {}
    }
    h
}

/// A piece of the written-out program: plain text, or a hoverable term with its explanation.
enum Piece {
    Text(&'static str),
    Term(&'static str, Term, &'static str),
}

/// The program, row by row.
const ROWS: [&[Piece]; 4] = [
    &[
        Piece::Text("min  ℓ( Σᵢ"),
        Piece::Term(
            "Dᵢ",
            Term::Pattern,
            "Dᵢ: the activation pattern of block i, a diagonal 0/1 matrix: the training points \
             neuron i is on for (ringed in the plane plots; its cell in line space)",
        ),
        Piece::Text("X̃"),
        Piece::Term(
            "(vᵢ − wᵢ)",
            Term::Block,
            "Block i: one neuron, u = v/√‖v‖, α = ±√‖v‖ (highlighted in every plot)",
        ),
        Piece::Text(", y )"),
    ],
    &[
        Piece::Text("        +"),
        Piece::Term(
            "β Σᵢ (‖vᵢ‖ + ‖wᵢ‖)",
            Term::GroupNorm,
            "The group norm: it charges every non-zero block its length, neuron by neuron \
             ‖u‖·|α| (line widths in the plane plots grow with it)",
        ),
    ],
    &[
        Piece::Text("s.t."),
        Piece::Term(
            "(2Dᵢ − I) X̃ vᵢ ≥ 0",
            Term::Cone,
            "The cone constraint of block i: neuron i keeps its pattern. Ringed: the points \
             where it is tight (the neuron's line passes through them)",
        ),
        Piece::Text("(and wᵢ)"),
    ],
    &[
        Piece::Text("dual:"),
        Piece::Term(
            "|vᵀ(X̃u)₊| ≤ β  for ‖u‖ ≤ 1",
            Term::DualConstraint,
            "The dual constraint for every direction u: the certificate plot's map stays within \
             ±1; ringed there, the directions where it is tight. At an optimum every neuron \
             sits on one of them",
        ),
    ],
];

/// The program with hoverable terms (ReLU models); records the hovered term, and what it
/// highlights, for the plots drawn after it in this frame.
pub fn show(app: &mut App, ui: &mut egui::Ui) {
    let lit = lit_terms(app);
    let dark = ui.visuals().dark_mode;
    ui.label(
        RichText::new(
            "Training f(x) = Σₖ αₖ (uₖᵀx̃)₊ with weight decay is exactly this convex program \
             (hover a term to see it in the plots):",
        )
        .small(),
    );
    let mut hovered = None;
    for row in ROWS {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 3.0;
            for piece in row {
                match *piece {
                    Piece::Text(t) => {
                        ui.label(t);
                    }
                    Piece::Term(text, term, help) => {
                        let mut t = RichText::new(text).strong();
                        if lit.contains(&term) {
                            t = t
                                .color(paint::highlight_text(dark))
                                .background_color(ui.visuals().faint_bg_color);
                        }
                        let r = ui
                            .add(egui::Label::new(t).sense(egui::Sense::hover()))
                            .on_hover_text(help);
                        if r.hovered() {
                            hovered = Some(term);
                        }
                    }
                }
            }
        });
    }
    let i = app
        .history
        .snapshot_at(app.shown_iter())
        .and_then(|s| s.relu())
        .and_then(|r| block(app, &r.network));
    if let Some(i) = i {
        ui.label(
            RichText::new(format!(
                "i = {}: the neuron under the pointer, else the largest",
                i + 1
            ))
            .small()
            .weak(),
        );
    }
    app.panel_state.formula_term = hovered;
    // Computed once here; every plot reads it this frame.
    app.panel_state.formula_highlight =
        hovered.map_or_else(Highlight::default, |t| highlight(app, t));
    // A term of block i highlights neuron i in every plot, as hovering the neuron does.
    if matches!(hovered, Some(Term::Pattern | Term::Block | Term::Cone))
        && let Some(i) = i
    {
        super::hover(app, NeuronRef::Convex(i));
    }
}

/// The terms lit by what the pointer is over: a term itself, a neuron (its block and pattern),
/// a region (its pattern), the certificate map (the dual constraint).
pub fn lit_terms(app: &App) -> Vec<Term> {
    let mut lit = Vec::new();
    if let Some(t) = app.panel_state.formula_lit {
        lit.push(t);
    }
    if matches!(app.hovered, Some(NeuronRef::Convex(_))) {
        lit.extend([Term::Block, Term::Pattern]);
    }
    if app.panel_state.region_hover.is_some() {
        lit.push(Term::Pattern);
    }
    if app.panel_state.cert_hover.is_some() {
        lit.push(Term::DualConstraint);
    }
    lit
}

/// What a hovered term stands for on a plot of the data plane: its points ringed, its neurons'
/// lines (of `net`, the network the plot shows).
pub(super) fn paint_on_plane(
    app: &App,
    ui: &egui::Ui,
    tr: &egui_plot::PlotTransform,
    net: Option<&ReluNetwork>,
    extent: [f64; 4],
) {
    let hl = current(app);
    let color = paint::highlight_text(app.session.view.dark);
    let x = &app.session.data.dataset.x;
    for &j in &hl.points {
        if let Some(p) = x.get(j) {
            let c = tr.position_from_point(&egui_plot::PlotPoint::new(p[0], p[1]));
            ui.painter()
                .circle_stroke(c, 8.5, egui::Stroke::new(2.0, color));
        }
    }
    let Some(net) = net else {
        return;
    };
    for &(i, w) in &hl.neurons {
        if let Some(seg) = net
            .neurons
            .get(i)
            .and_then(|nr| paint::clip_line(&nr.u, extent))
        {
            paint::paint_segments(ui, tr, &[seg], egui::Stroke::new(w, color));
        }
    }
}

/// What the plots highlight this frame (nothing unless a term is hovered).
pub fn current(app: &App) -> &Highlight {
    &app.panel_state.formula_highlight
}
