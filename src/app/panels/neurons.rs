//! Plot 5, the neurons of a network at the cursor (convex solver, certified optimum or an SGD
//! seed): u, α, ‖u‖·|α|, how many points each is on for, its KKT residual |h(ū)/β − sign α|
//! (docs/math.md#kkt; 0 at an optimum) and a thumbnail of its output α(uᵀx̃)₊ over the plane. Hovering a row
//! highlights the neuron in every plot; clicking it shows the neuron's own output large in the
//! boundary plot (a second click, or the plot's button, goes back to the whole network).

use eframe::egui;
use egui::Color32;

use super::paint;
use super::{data_extent, hover, title_row};
use crate::app::{App, NeuronRef, PlotId};
use crate::certify::kkt_report;
use crate::formulation::snapshot::significant;
use crate::geometry::grid::Grid;
use crate::model::ReluNetwork;

const THUMB: usize = 22;
const ATLAS_COLS: usize = 10;

/// Which network the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The convex solver's iterate at the cursor.
    #[default]
    Convex,
    /// The certified optimum.
    Optimum,
    /// SGD seed k (0-based) at the cursor.
    Sgd(usize),
}

impl Source {
    /// Its name in the picker ("convex iterate", "certified optimum", "SGD seed k").
    pub fn name(self) -> String {
        match self {
            Source::Convex => "convex iterate".to_string(),
            Source::Optimum => "certified optimum".to_string(),
            Source::Sgd(k) => format!("SGD seed {}", k + 1),
        }
    }

    /// A number telling the sources apart in texture keys.
    pub fn key(self) -> u64 {
        match self {
            Source::Convex => 1,
            Source::Optimum => 2,
            Source::Sgd(k) => 3 + k as u64,
        }
    }
}

pub fn show(app: &mut App, ui: &mut egui::Ui) {
    title_row(
        app,
        ui,
        PlotId::Neurons,
        "Neurons",
        "Each neuron of the chosen network. At a global optimum of the weight-decay problem \
         every neuron is balanced (‖u‖ = |α|) and its KKT residual is 0.",
    );
    body(app, ui);
}

/// The network picker and the table, under a title the caller drew.
pub fn body(app: &mut App, ui: &mut egui::Ui) {
    let t = app.shown_iter();
    let src = source_picker(app, ui, t);
    let Some((net, iter_key)) = network(app, src, t) else {
        ui.label("nothing to show yet");
        return;
    };
    let (train, _) = app.split();
    let tr = app.session.data.dataset.subset(&train);
    let loss = app.session.solver.loss;
    let beta = app.history.beta_at(t).unwrap_or(app.session.solver.beta());
    // The weight-decay KKT residual: only for the models with a loss and β.
    let regularized = app.formulation().is_none_or(|f| f.uses_loss_and_beta());
    let kkt = if !regularized || tr.is_empty() || loss.check_targets(&tr.y).is_err() {
        Vec::new()
    } else {
        kkt_report(&tr.x, &tr.y, loss, beta, &net)
    };
    // What the model says about this table (a gated model: it lists the cone decomposition).
    if src == Source::Convex
        && let Some(s) = app.history.snapshot_at(t)
    {
        (super::model_panels(app.model_kind()).neurons_caption)(app, s, ui);
    }
    // Rows: the significant neurons, largest ‖u‖·|α| first (original numbering kept).
    let rows = significant(&net);
    if rows.len() < net.neurons.len() {
        ui.label(
            egui::RichText::new(format!(
                "{} of {} neurons shown (the others are below 10⁻³ of the largest, or beyond the first 60)",
                rows.len(),
                net.neurons.len()
            ))
            .small(),
        );
    }
    let atlas = thumbnails(app, ui, src, iter_key, &net, &rows);
    let rows = Rows {
        net: &net,
        rows: &rows,
        kkt: &kkt,
        on: rows.iter().map(|&i| on_count(&tr.x, &net, i)).collect(),
        atlas,
        src,
        hovered: app.hovered,
    };
    // A narrow panel (a laptop screen) scrolls the table sideways rather than cutting columns.
    let full: f32 = W.iter().sum::<f32>() + ui.spacing().item_spacing.x * W.len() as f32;
    if full > ui.available_width() {
        ui.label(egui::RichText::new("scroll sideways for α, ‖u‖·|α|, points on and KKT").small());
    }
    let (hovered, clicked) = egui::ScrollArea::horizontal()
        .auto_shrink([false, false])
        .show(ui, |ui| table(ui, &rows, app.panel_state.focus_neuron))
        .inner;
    if let Some(h) = hovered {
        hover(app, h);
    }
    if let Some(i) = clicked {
        let f = &mut app.panel_state.focus_neuron;
        *f = if *f == Some((src, i)) {
            None
        } else {
            Some((src, i))
        };
    }
}

/// The network picker; returns the chosen source.
fn source_picker(app: &mut App, ui: &mut egui::Ui, t: usize) -> Source {
    let seeds = app
        .history
        .sgd_snapshot_at(t)
        .map_or(0, |s| s.networks.len());
    let mut src = app.panel_state.neuron_source;
    let name = Source::name;
    egui::ComboBox::from_label("network")
        .selected_text(name(src))
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut src, Source::Convex, name(Source::Convex));
            ui.selectable_value(&mut src, Source::Optimum, name(Source::Optimum));
            for k in 0..seeds {
                ui.selectable_value(&mut src, Source::Sgd(k), name(Source::Sgd(k)));
            }
        });
    app.panel_state.neuron_source = src;
    src
}

/// The chosen network at iteration `t` and a key of its version (for the texture cache).
pub(super) fn network(app: &App, src: Source, t: usize) -> Option<(ReluNetwork, u64)> {
    match src {
        Source::Convex => {
            let s = app.history.snapshot_at(t)?;
            Some((s.relu()?.network.clone(), s.iter as u64))
        }
        Source::Optimum => Some((app.optimum.as_ref()?.network.relu()?.clone(), u64::MAX)),
        Source::Sgd(k) => {
            let s = app.history.sgd_snapshot_at(t)?;
            Some((
                s.networks.get(k)?.relu()?.clone(),
                s.epoch as u64 + (1 << 40),
            ))
        }
    }
}

/// Number of training points neuron `i` is on for.
fn on_count(x: &[[f64; 2]], net: &ReluNetwork, i: usize) -> usize {
    x.iter().filter(|p| net.neurons[i].pre(**p) > 0.0).count()
}

/// One texture with a thumbnail of each row's output α(uᵀx̃)₊ over the plane.
fn thumbnails(
    app: &mut App,
    ui: &egui::Ui,
    src: Source,
    iter_key: u64,
    net: &ReluNetwork,
    rows: &[usize],
) -> Option<egui::TextureId> {
    let m = rows.len();
    let dark = app.session.view.dark;
    let e = data_extent(&app.session.data.dataset);
    let key = paint::key(&[app.run_id(), src.key(), iter_key, dark as u64, 5]);
    (m > 0).then(|| {
        app.panel_state.textures.get(ui.ctx(), "thumbs", key, || {
            // A grid atlas (ATLAS_COLS per row) keeps every side far below texture limits.
            let rows_n = m.div_ceil(ATLAS_COLS);
            let width = THUMB * ATLAS_COLS;
            let mut img = egui::ColorImage::filled([width, THUMB * rows_n], Color32::BLACK);
            for (k, &i) in rows.iter().enumerate() {
                let nr = &net.neurons[i];
                let g = Grid::sample(THUMB, THUMB, e, |x, y| nr.output([x, y]));
                let s = g.max_abs().max(1e-12);
                for r in 0..THUMB {
                    for c in 0..THUMB {
                        let (ar, ac) = (k / ATLAS_COLS, k % ATLAS_COLS);
                        img.pixels[(ar * THUMB + THUMB - 1 - r) * width + ac * THUMB + c] =
                            paint::diverging(g.values[r * THUMB + c] / s, dark);
                    }
                }
            }
            img
        })
    })
}

/// What the table shows.
struct Rows<'a> {
    net: &'a ReluNetwork,
    rows: &'a [usize],
    kkt: &'a [crate::certify::NeuronKkt],
    /// Points each row's neuron is on for.
    on: Vec<usize>,
    atlas: Option<egui::TextureId>,
    src: Source,
    hovered: Option<NeuronRef>,
}

/// Fixed column widths.
const W: [f32; 9] = [36.0, 26.0, 58.0, 58.0, 62.0, 58.0, 62.0, 34.0, 56.0];

/// The header and a virtualised list (only visible rows are laid out); returns the hovered row
/// and the neuron whose row was clicked.
fn table(
    ui: &mut egui::Ui,
    t: &Rows,
    focus: Option<(Source, usize)>,
) -> (Option<NeuronRef>, Option<usize>) {
    let row_h = THUMB as f32 + 4.0;
    ui.horizontal(|ui| {
        for (h, w) in [
            "#",
            "",
            "u₁",
            "u₂",
            "u₃ (bias)",
            "α",
            "‖u‖·|α|",
            "on",
            "KKT",
        ]
        .into_iter()
        .zip(W)
        {
            ui.add_sized([w, 16.0], egui::Label::new(egui::RichText::new(h).strong()));
        }
    });
    let (mut new_hover, mut clicked) = (None, None);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show_rows(ui, row_h, t.rows.len(), |ui, range| {
            for row_no in range {
                let i = t.rows[row_no];
                let me = match t.src {
                    Source::Sgd(k) => NeuronRef::Sgd(k, i),
                    _ => NeuronRef::Convex(i),
                };
                let focused = focus == Some((t.src, i));
                let r = ui.horizontal(|ui| row(ui, t, row_no, t.hovered == Some(me)));
                let rect = r.response.rect;
                if focused {
                    ui.painter().rect_stroke(
                        rect,
                        2.0,
                        egui::Stroke::new(1.5, paint::highlight_text(ui.visuals().dark_mode)),
                        egui::StrokeKind::Inside,
                    );
                }
                let hint = if focused {
                    "Click: back to the whole network in the boundary plot"
                } else {
                    "Click: show this neuron's own output large in the boundary plot"
                };
                let resp = ui
                    .interact(
                        rect,
                        ui.make_persistent_id(("neuron_row", i)),
                        egui::Sense::click(),
                    )
                    .on_hover_text(hint);
                resp.widget_info(|| {
                    egui::WidgetInfo::labeled(
                        egui::Role::Button,
                        true,
                        format!("neuron {} row", i + 1),
                    )
                });
                if resp.clicked() {
                    clicked = Some(i);
                }
                if ui.rect_contains_pointer(rect) {
                    new_hover = Some(me);
                }
            }
        });
    (new_hover, clicked)
}

/// One row: number, thumbnail, u, α, ‖u‖·|α|, points on, KKT residual.
fn row(ui: &mut egui::Ui, t: &Rows, row_no: usize, hl: bool) {
    let row_h = THUMB as f32 + 4.0;
    let i = t.rows[row_no];
    let nr = &t.net.neurons[i];
    let hl_color = paint::highlight_text(ui.visuals().dark_mode);
    let txt = |s: String| {
        let r = egui::RichText::new(s).monospace();
        if hl { r.color(hl_color) } else { r }
    };
    ui.set_height(row_h);
    ui.add_sized([W[0], row_h], egui::Label::new(txt(format!("{}", i + 1))));
    if let Some(tex) = t.atlas {
        let rows_n = t.rows.len().div_ceil(ATLAS_COLS) as f32;
        let (ar, ac) = ((row_no / ATLAS_COLS) as f32, (row_no % ATLAS_COLS) as f32);
        let cols = ATLAS_COLS as f32;
        let uv = egui::Rect::from_min_max(
            egui::pos2(ac / cols, ar / rows_n),
            egui::pos2((ac + 1.0) / cols, (ar + 1.0) / rows_n),
        );
        ui.add_sized(
            [W[1], row_h],
            egui::Image::new((tex, egui::vec2(THUMB as f32, THUMB as f32))).uv(uv),
        );
    }
    let k = t
        .kkt
        .get(i)
        .map_or("–".to_string(), |k| format!("{:.1e}", k.residual));
    let cells = [
        format!("{:+.3}", nr.u[0]),
        format!("{:+.3}", nr.u[1]),
        format!("{:+.3}", nr.u[2]),
        format!("{:+.3}", nr.alpha),
        format!("{:.4}", nr.norm_u() * nr.alpha.abs()),
        format!("{}", t.on[row_no]),
        k,
    ];
    for (c, w) in cells.into_iter().zip(&W[2..]) {
        ui.add_sized([*w, row_h], egui::Label::new(txt(c)));
    }
}
