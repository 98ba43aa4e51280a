//! The window: side panel sections, the time bar and the linked plots, one file each. Shared
//! drawing helpers (colour maps, cached textures, level sets) live in [`paint`].

mod boundary;
mod certificate;
pub mod compare;
mod controls;
pub mod formula;
mod gated;
pub mod losses;
mod margin;
pub mod neurons;
mod objective;
pub mod paint;
mod path3;
pub mod poly;
mod regions;
mod robust;
pub mod scenario;
mod timebar;

use std::path::Path;

use eframe::egui;
use egui::{Color32, Key};

use super::session::{SgdChoice, SolverSettings};
use super::{App, NeuronRef, PlotId, ShotTarget};
use crate::data::Dataset;
use crate::formulation::{ModelKind, Snapshot};

pub use controls::side_panel;
pub use timebar::time_bar;

/// UI-only state that is not part of the session.
pub struct PanelState {
    /// Objective plot: keep the y range on the interesting part (the optimum and the current
    /// values) instead of the first iterations' large objectives.
    pub zoom_objective: bool,
    /// Cached textures.
    pub textures: paint::TexCache,
    /// Which network the neuron table shows.
    pub neuron_source: neurons::Source,
    /// Text describing the region under the pointer.
    pub region_hover: Option<String>,
    /// Certificate plot: value under the pointer.
    pub cert_hover: Option<String>,
    /// Time bar: text field for jumping to an iteration.
    pub show_help: bool,
    /// Polynomial model: output and decomposition step shown.
    pub poly: poly::PolyPanelState,
    /// Which extent each plane/line-space plot was last fitted to, and pending Fit requests.
    pub fit: FitState,
    /// The objective plot's (x in seconds, log gap) of the last frame: a change re-ranges it.
    pub objective_axes: Option<(bool, bool)>,
    /// Which dual point the certificate plot shows.
    pub dual_choice: crate::formulation::DualChoice,
    /// The sampled-gates window.
    pub scenario: scenario::ScenarioState,
    /// Whether the data are orthogonal separable, with the data's fingerprint.
    pub orthogonal: Option<(u64, bool)>,
    /// Notes for a learner about the data ([`crate::data::Dataset::learner_notes`]), with the
    /// data's fingerprint.
    pub data_notes: Option<(u64, Vec<String>)>,
    /// The max-margin model's gradient-flow panel.
    pub margin: margin::MarginPanelState,
    /// The two-layer / three-layer comparison window.
    pub compare: compare::CompareState,
    /// The neuron whose own output the boundary plot shows instead of the network's (a click
    /// on its row in the neuron table): which network, and the neuron's index in it.
    pub focus_neuron: Option<(neurons::Source, usize)>,
    /// The term of the program the pointer is over in this frame (the plots highlight it).
    pub formula_term: Option<formula::Term>,
    /// … and in the last frame (lights the term itself).
    pub formula_lit: Option<formula::Term>,
    /// What the hovered term highlights in the plots this frame.
    pub formula_highlight: formula::Highlight,
}

/// Fit-to-data of the plots that show the data plane or line space.
#[derive(Debug, Default)]
pub struct FitState {
    /// The extent each plot was last fitted to.
    fitted: std::collections::HashMap<&'static str, [f64; 4]>,
    /// Plots whose Fit button was pressed.
    requested: std::collections::HashSet<PlotId>,
    /// The bounds `[x0, x1, y0, y1]` each plot showed in the last frame.
    pub shown: std::collections::HashMap<PlotId, [f64; 4]>,
    /// The screen rectangle of each plot's data area in the last frame.
    pub frames: std::collections::HashMap<PlotId, egui::Rect>,
}

impl FitState {
    /// Inside a plot: fits it to `extent` when its Fit button was pressed, on its first frame,
    /// and when the extent changed (new data, another view) in a way that matters: part of
    /// `must_show` (the data's bounding box) left the view, or the view became far larger than
    /// the data. Otherwise the user's pan and zoom stay, and drawing a point inside the view
    /// never makes it jump.
    pub fn keep(
        &mut self,
        pui: &mut egui_plot::PlotUi,
        id: PlotId,
        key: &'static str,
        extent: [f64; 4],
        must_show: [f64; 4],
    ) {
        let b = pui.plot_bounds();
        let shown = [b.min()[0], b.max()[0], b.min()[1], b.max()[1]];
        let requested = self.requested.remove(&id);
        let fit = match self.fitted.get(key) {
            None => true,
            Some(e) if *e != extent => {
                let inside = shown[0] <= must_show[0]
                    && must_show[1] <= shown[1]
                    && shown[2] <= must_show[2]
                    && must_show[3] <= shown[3];
                let too_big = (shown[1] - shown[0]) > 1.6 * (extent[1] - extent[0])
                    && (shown[3] - shown[2]) > 1.6 * (extent[3] - extent[2]);
                !inside || too_big
            }
            Some(_) => false,
        };
        if fit || requested {
            pui.set_plot_bounds(egui_plot::PlotBounds::from_min_max(
                [extent[0], extent[2]],
                [extent[1], extent[3]],
            ));
        }
        self.fitted.insert(key, extent);
    }

    /// After a plot: records the bounds it showed.
    pub fn record(&mut self, id: PlotId, transform: &egui_plot::PlotTransform) {
        let b = transform.bounds();
        self.shown
            .insert(id, [b.min()[0], b.max()[0], b.min()[1], b.max()[1]]);
        self.frames.insert(id, *transform.frame());
    }

    /// Asks for `id` to be fitted to its data in the next frame.
    pub fn request(&mut self, id: PlotId) {
        self.requested.insert(id);
    }
}

impl Default for PanelState {
    fn default() -> Self {
        Self {
            zoom_objective: true,
            textures: Default::default(),
            neuron_source: Default::default(),
            region_hover: None,
            cert_hover: None,
            show_help: false,
            poly: Default::default(),
            fit: Default::default(),
            objective_axes: None,
            dual_choice: Default::default(),
            scenario: Default::default(),
            orthogonal: None,
            data_notes: None,
            margin: Default::default(),
            compare: Default::default(),
            focus_neuron: None,
            formula_term: None,
            formula_lit: None,
            formula_highlight: Default::default(),
        }
    }
}

/// The data's bounding box `[x0, x1, y0, y1]` (what a plane plot must keep in view).
pub fn data_box(ds: &Dataset) -> [f64; 4] {
    if ds.is_empty() { [0.0; 4] } else { ds.bounds() }
}

/// The data-plane extent shown by every plane plot: the data's bounding box with a margin,
/// square-ish, never degenerate.
pub fn data_extent(ds: &Dataset) -> [f64; 4] {
    if ds.is_empty() {
        return [-2.0, 2.0, -2.0, 2.0];
    }
    let b = ds.bounds(); // [x0, x1, y0, y1]
    let (cx, cy) = ((b[0] + b[1]) / 2.0, (b[2] + b[3]) / 2.0);
    let half = ((b[1] - b[0]).max(b[3] - b[2]) / 2.0).max(0.5) * 1.25;
    [cx - half, cx + half, cy - half, cy + half]
}

/// Line-space range `t ∈ [−t_max, t_max]`: every line meeting the data box.
pub fn t_max(ds: &Dataset) -> f64 {
    let e = data_extent(ds);
    let r = [e[0], e[1]]
        .iter()
        .flat_map(|&x| [e[2], e[3]].map(move |y| x.hypot(y)))
        .fold(0.0, f64::max);
    r.max(1.0)
}

/// A plot's drawing function.
/// A plot or panel body.
pub type PlotFn = fn(&mut App, &mut egui::Ui);

/// Dark or light visuals.
pub fn apply_theme(ctx: &egui::Context, dark: bool) {
    let want = if dark {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    };
    if ctx.theme() != want {
        ctx.set_theme(want);
    }
}

/// Space = play/pause, → = step, ← = step back, Home = reset, Ctrl+Z / Ctrl+Shift+Z = undo /
/// redo (only when no text field has the keyboard); Ctrl +/−/0 zoom everything (always).
pub fn keyboard(app: &mut App, ctx: &egui::Context) {
    let zoom = ctx.input_mut(|i| {
        let cmd = egui::Modifiers::COMMAND;
        if i.consume_key(cmd, Key::Num0) {
            Some(0.0)
        } else if i.consume_key(cmd, Key::Plus) || i.consume_key(cmd, Key::Equals) {
            Some(0.1)
        } else if i.consume_key(cmd, Key::Minus) {
            Some(-0.1)
        } else {
            None
        }
    });
    if let Some(dz) = zoom {
        app.zoom_by(dz);
    }
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    let (space, right, left, home, undo, redo) = ctx.input_mut(|i| {
        let undo = i.consume_key(egui::Modifiers::COMMAND, Key::Z);
        let redo = i.consume_key(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, Key::Z)
            || i.consume_key(egui::Modifiers::COMMAND, Key::Y);
        (
            i.key_pressed(Key::Space),
            i.key_pressed(Key::ArrowRight),
            i.key_pressed(Key::ArrowLeft),
            i.key_pressed(Key::Home),
            undo,
            redo,
        )
    });
    if space {
        app.toggle_play();
    }
    if right {
        app.step_forward();
    }
    if left {
        app.step_back();
    }
    if home {
        app.reset();
    }
    if redo {
        app.redo();
    } else if undo {
        app.undo();
    }
}

/// The plots: messages on top, then three plane plots in a row, then the objective and the
/// neuron table.
pub fn central(app: &mut App, ui: &mut egui::Ui) {
    egui::CentralPanel::default_margins().show(ui, |ui| {
        messages(app, ui);
        run_state(app, ui);
        let area = ui.available_rect_before_wrap();
        let gap = 8.0;
        let top_h = ((area.height() - gap) * 0.55).max(180.0);
        let w3 = (area.width() - 2.0 * gap) / 3.0;
        let row2 = area.min.y + top_h + gap;
        let w_obj = (area.width() - gap) * 0.6;
        let r = |x: f32, y: f32, w: f32, h: f32| {
            egui::Rect::from_min_size(egui::pos2(x, y), egui::vec2(w.max(50.0), h.max(50.0)))
        };
        let x0 = area.min.x;
        let model = model_panels(app.model_kind());
        app.plot_rects.clear();
        let cells: [(PlotId, egui::Rect, PlotFn); 5] = [
            (
                PlotId::Boundary,
                r(x0, area.min.y, w3, top_h),
                boundary::show,
            ),
            (
                PlotId::Regions,
                r(x0 + w3 + gap, area.min.y, w3, top_h),
                model.regions,
            ),
            (
                PlotId::Certificate,
                r(x0 + 2.0 * (w3 + gap), area.min.y, w3, top_h),
                certificate::show,
            ),
            (
                PlotId::Objective,
                r(x0, row2, w_obj, area.max.y - row2),
                objective::show,
            ),
            (
                PlotId::Neurons,
                r(
                    x0 + w_obj + gap,
                    row2,
                    area.width() - w_obj - gap,
                    area.max.y - row2,
                ),
                model.neurons,
            ),
        ];
        for (id, rect, body) in cells {
            let rect = match app.maximized {
                Some(m) if m == id => area,
                Some(_) => continue,
                None => rect,
            };
            ui.scope_builder(
                egui::UiBuilder::new()
                    .max_rect(rect)
                    .layout(egui::Layout::top_down(egui::Align::Min))
                    .id_salt(id.slug()),
                |ui| {
                    ui.set_clip_rect(rect.intersect(ui.clip_rect()));
                    body(app, ui);
                },
            );
            app.plot_rects.insert(id, rect);
        }
        ui.allocate_rect(area, egui::Sense::hover());
    });
}

/// The panels that depend on the kind of model: what the regions and neuron slots show, the
/// model's own options, and what it adds to the shared plots. The one place that matches on the
/// kind; a model that draws something new keeps that code in its own file (`gated.rs`,
/// `robust.rs`, `poly.rs`) and names it here.
pub struct ModelPanels {
    /// The second plot of the top row.
    pub regions: PlotFn,
    /// The table beside the objective plot.
    pub neurons: PlotFn,
    /// Extra options in the Formulation section.
    pub options: fn(&mut SolverSettings, &mut egui::Ui),
    /// Whether the ρ field applies (an ADMM penalty).
    pub uses_rho: fn(&SolverSettings) -> bool,
    /// Extra options in the SGD section.
    pub sgd_options: fn(&mut SgdChoice, &mut egui::Ui),
    /// A legend row above the boundary plot for what the model adds to it.
    pub boundary_legend: fn(&Snapshot, Color32, &mut egui::Ui),
    /// Items the model adds inside the boundary plot (given the training points, in the
    /// solver's order, and the outline colour).
    pub boundary_items: fn(&Snapshot, &[[f64; 2]], Color32, &mut egui_plot::PlotUi<'_>),
    /// Level sets the model paints over the boundary plot.
    pub boundary_paint: fn(&Snapshot, &egui::Ui, &egui_plot::PlotTransform),
    /// The lines the regions plot draws instead of the network's neurons (a gated model's gates).
    pub plane_lines: fn(&Snapshot) -> Option<regions::PlaneLines>,
    /// Extra items in the certificate plot's value row.
    pub certificate_row: fn(&mut App, &Snapshot, &mut egui::Ui),
    /// What the shown dual point's `c/β` means, when the generic wording would not fit (a gated
    /// model over sampled gates; the max-margin model's multipliers).
    pub certifying_text: fn(&Snapshot, f64) -> Option<String>,
    /// A caption above the neuron table (convex iterate).
    pub neurons_caption: fn(&App, &Snapshot, &mut egui::Ui),
    /// The names in the objective plot's legend.
    pub legend: fn(&App) -> objective::LegendNames,
    /// How the SGD seeds' table reads.
    pub sgd_table: controls::SgdTable,
}

/// Hooks that add nothing: what a model without extras uses.
const PLAIN: ModelPanels = ModelPanels {
    regions: regions::show,
    neurons: neurons::show,
    options: |_, _| {},
    uses_rho: |_| false,
    sgd_options: |_, _| {},
    boundary_legend: |_, _, _| {},
    boundary_items: |_, _, _, _| {},
    boundary_paint: |_, _, _| {},
    plane_lines: |_| None,
    certificate_row: |_, _, _| {},
    certifying_text: |_, _| None,
    neurons_caption: |_, _, _| {},
    legend: |_| objective::LegendNames::CONVEX,
    sgd_table: controls::SgdTable::Certified,
};

/// The panels of a kind of model.
pub fn model_panels(kind: ModelKind) -> ModelPanels {
    match kind {
        ModelKind::Relu => ModelPanels {
            options: controls::relu_options,
            uses_rho: |s| s.method == crate::solve::driver::Method::Admm,
            ..PLAIN
        },
        ModelKind::Gated => ModelPanels {
            boundary_legend: gated::boundary_legend,
            boundary_paint: gated::boundary_paint,
            plane_lines: gated::plane_lines,
            certificate_row: gated::certificate_row,
            certifying_text: gated::certifying_text,
            neurons_caption: gated::neurons_caption,
            legend: gated::legend,
            ..PLAIN
        },
        ModelKind::Robust => ModelPanels {
            options: robust::options,
            sgd_options: robust::sgd_options,
            boundary_legend: robust::boundary_legend,
            boundary_items: robust::boundary_items,
            boundary_paint: robust::boundary_paint,
            legend: robust::legend,
            sgd_table: controls::SgdTable::Robust,
            ..PLAIN
        },
        ModelKind::MaxMargin => ModelPanels {
            neurons: margin::show,
            sgd_options: margin::sgd_options,
            certificate_row: margin::certificate_row,
            certifying_text: |_, c| {
                Some(format!(
                    "c(λ∘y) = {c:.6} for the margin multipliers λ (map scaled to ≤ 1)"
                ))
            },
            legend: |_| objective::LegendNames {
                upper: "convex: path norm at margin 1 (upper bound)",
                sgd: "β = 0 GD (path norm / smallest margin):",
                ..objective::LegendNames::CONVEX
            },
            ..PLAIN
        },
        ModelKind::Path3 => ModelPanels {
            regions: path3::regions,
            neurons: path3::neurons,
            certifying_text: |s, c| {
                let (eta, e) = &s.path3()?.block;
                let on = e.iter().filter(|b| **b).count();
                if on == 0 {
                    // Only the exact program has a block that sets a bound.
                    return Some(
                        "restricted program: no certificate (the dual constraint ranges over \
                         all 2ⁿ − 1 second-layer patterns)"
                            .into(),
                    );
                }
                Some(format!(
                    "block η = {eta:+}, E on for {on} of {} points: c/β = {c:.6} (map scaled to ≤ 1)",
                    e.len()
                ))
            },
            legend: |_| objective::LegendNames {
                upper: "convex: path-regularized objective of a real network (upper bound)",
                sgd: "3-layer Adam, smooth form (exact objective):",
                ..objective::LegendNames::CONVEX
            },
            ..PLAIN
        },
        ModelKind::Poly => ModelPanels {
            regions: poly::show,
            neurons: poly::neurons,
            options: poly::options,
            uses_rho: |_| true,
            ..PLAIN
        },
    }
}

/// One plot on its own (image snapshots of each plot, tests).
pub fn show_plot(app: &mut App, ui: &mut egui::Ui, id: PlotId) {
    install_fonts(ui.ctx());
    apply_theme(ui.ctx(), app.session.view.dark);
    let model = model_panels(app.model_kind());
    let body: PlotFn = match id {
        PlotId::Boundary => boundary::show,
        PlotId::Regions => model.regions,
        PlotId::Certificate => certificate::show,
        PlotId::Objective => objective::show,
        PlotId::Neurons => model.neurons,
    };
    body(app, ui);
}

/// Adds DejaVu Sans (bundled, see assets/fonts) as a fallback so the math in the texts
/// (ᵀ, ₊, ‖, ∈, ⪰ …) renders the same on every machine.
/// Once per context.
pub fn install_fonts(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    let id = egui::Id::unique("convex-nn-explorer-fonts");
    if ctx.data(|d| d.get_temp::<bool>(id)).is_some() {
        return;
    }
    ctx.data_mut(|d| d.insert_temp(id, true));
    let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily {
            family,
            priority: FontPriority::Lowest,
        })
        .collect();
    ctx.add_font(FontInsert::new(
        "DejaVuSans",
        egui::FontData::from_static(include_bytes!("../../../assets/fonts/DejaVuSans.ttf")),
        families,
    ));
}

/// A plot's title row: title, hover help and its PNG export button.
pub fn title_row(app: &mut App, ui: &mut egui::Ui, id: PlotId, title: &str, help: &str) {
    title_row_with(app, ui, id, title, help, false);
}

/// [`title_row`] with a Fit button, for the plots that keep the data in view ([`FitState`]).
pub fn fit_title_row(app: &mut App, ui: &mut egui::Ui, id: PlotId, title: &str, help: &str) {
    title_row_with(app, ui, id, title, help, true);
}

fn title_row_with(
    app: &mut App,
    ui: &mut egui::Ui,
    id: PlotId,
    title: &str,
    help: &str,
    fits: bool,
) {
    let text = egui::WidgetText::from(egui::RichText::new(title).strong());
    let title_w = text
        .clone()
        .into_galley(
            ui,
            Some(egui::TextWrapMode::Extend),
            f32::INFINITY,
            egui::TextStyle::Body,
        )
        .size()
        .x;
    // The buttons (Fit, Max, PNG) take about 45 points each; where they would cover the title
    // (a narrow window), one "⋯" menu holds them instead.
    let buttons_w = if fits { 135.0 } else { 90.0 };
    let compact = title_w + buttons_w + 12.0 > ui.available_width();
    ui.horizontal(|ui| {
        let t = ui
            .add(
                egui::Label::new(text)
                    .selectable(false)
                    .truncate()
                    .sense(egui::Sense::click()),
            )
            .on_hover_text(format!(
                "{help}\n\nDouble-click the title: this plot alone, large"
            ));
        if t.double_clicked() {
            app.toggle_maximized(id);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if compact {
                ui.menu_button("⋯", |ui| plot_actions(app, ui, id, fits))
                    .response
                    .on_hover_text("Fit, show alone, save as PNG");
            } else {
                plot_actions(app, ui, id, fits);
            }
        });
    });
}

/// A plot's buttons: save as PNG, show alone (or all again), fit the data.
fn plot_actions(app: &mut App, ui: &mut egui::Ui, id: PlotId, fits: bool) {
    if ui
        .small_button("PNG")
        .on_hover_text("Save this plot as a PNG image")
        .clicked()
    {
        app.dialog_request = Some(super::DialogKind::Png(ShotTarget::Plot(id)));
        ui.close();
    }
    let (label, tip) = if app.maximized == Some(id) {
        (
            "All",
            "Show all the plots again (or double-click the title)",
        )
    } else {
        (
            "Max",
            "Show this plot alone over the plot area, e.g. on a projector (or double-click the \
             title)",
        )
    };
    if ui.small_button(label).on_hover_text(tip).clicked() {
        app.toggle_maximized(id);
        ui.close();
    }
    if fits
        && ui
            .small_button("Fit")
            .on_hover_text(
                "Show all the data again (the plot also fits itself whenever the data change; \
                 scroll pans, Ctrl+scroll zooms)",
            )
            .clicked()
    {
        app.panel_state.fit.request(id);
        ui.close();
    }
}

/// A large problem waiting for the go-ahead (with its cost and the proposed alternative), or a
/// problem being built (elapsed time and Cancel).
fn run_state(app: &mut App, ui: &mut egui::Ui) {
    if let Some(w) = app.size_gate.clone() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                egui::RichText::new("A large problem: nothing runs until you choose").strong(),
            );
            ui.label(&w.text);
            ui.horizontal(|ui| {
                if w.propose_sampled && ui.button("Use sampled patterns (P = 2000)").clicked() {
                    app.use_sampled_instead();
                }
                if ui.button("Start anyway").clicked() {
                    app.confirm_size();
                }
            });
        });
    } else if let Some(t0) = app.build_started {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!(
                "building the problem (activation patterns, the program) … {:.0} s",
                t0.elapsed().as_secs_f64()
            ));
            if ui.button("Cancel").clicked() {
                app.cancel_build();
            }
        });
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(250));
    }
}

fn messages(app: &mut App, ui: &mut egui::Ui) {
    let mut dismiss = None;
    for (k, m) in app.messages.iter().enumerate() {
        let color = if m.error {
            Color32::from_rgb(220, 60, 60)
        } else {
            ui.visuals().weak_text_color()
        };
        ui.horizontal(|ui| {
            if ui.small_button("✕").on_hover_text("Dismiss").clicked() {
                dismiss = Some(k);
            }
            ui.colored_label(color, &m.text);
        });
    }
    if let Some(k) = dismiss {
        app.messages.remove(k);
    }
}

/// Whether `r` is the hovered neuron.
pub fn is_hovered(app: &App, r: NeuronRef) -> bool {
    app.hovered == Some(r)
}

/// Sets the neuron hovered in this frame (read by every plot in the next frame).
pub fn hover(app: &mut App, r: NeuronRef) {
    app.hover_next = Some(r);
}

/// Writes the screenshot (or the crop of `rect`, in points) as PNG.
pub fn save_png(
    img: &egui::ColorImage,
    rect: Option<egui::Rect>,
    pixels_per_point: f32,
    path: &Path,
) -> Result<(), String> {
    let [w, h] = img.size;
    let (x0, y0, x1, y1) = match rect {
        Some(r) => {
            let s = pixels_per_point;
            let c = |v: f32, m: usize| ((v * s).round().max(0.0) as usize).min(m);
            (c(r.min.x, w), c(r.min.y, h), c(r.max.x, w), c(r.max.y, h))
        }
        None => (0, 0, w, h),
    };
    if x1 <= x0 || y1 <= y0 {
        return Err("the plot is not visible".into());
    }
    let mut buf = image::RgbaImage::new((x1 - x0) as u32, (y1 - y0) as u32);
    for y in y0..y1 {
        for x in x0..x1 {
            let c = img.pixels[y * w + x];
            buf.put_pixel(
                (x - x0) as u32,
                (y - y0) as u32,
                image::Rgba([c.r(), c.g(), c.b(), 255]),
            );
        }
    }
    buf.save(path).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_export_crops_the_plot_in_pixels() {
        let mut img = egui::ColorImage::filled([40, 30], Color32::BLACK);
        img.pixels[12 * 40 + 20] = Color32::from_rgb(255, 0, 0);
        let path = std::env::temp_dir().join(format!("cne-crop-{}.png", std::process::id()));
        // 2 pixels per point: the rect (5, 5)–(15, 10) in points is (10, 10)–(30, 20) in pixels.
        let rect = egui::Rect::from_min_max(egui::pos2(5.0, 5.0), egui::pos2(15.0, 10.0));
        save_png(&img, Some(rect), 2.0, &path).unwrap();
        let back = image::open(&path).unwrap().to_rgba8();
        assert_eq!(back.dimensions(), (20, 10));
        assert_eq!(back.get_pixel(10, 2).0, [255, 0, 0, 255]);
        assert!(
            save_png(
                &img,
                Some(egui::Rect::from_min_max(
                    egui::pos2(50.0, 50.0),
                    egui::pos2(60.0, 60.0)
                )),
                1.0,
                &path
            )
            .is_err()
        );
        save_png(&img, None, 1.0, &path).unwrap();
        assert_eq!(
            image::open(&path).unwrap().to_rgba8().dimensions(),
            (40, 30)
        );
    }

    #[test]
    fn extents_are_never_degenerate() {
        let one = Dataset {
            x: vec![[3.0, 3.0]],
            y: vec![1.0],
            kind: crate::data::TargetKind::Binary,
        };
        let e = data_extent(&one);
        assert!(e[1] > e[0] && e[3] > e[2]);
        assert!(e[0] < 3.0 && e[1] > 3.0);
        assert!(t_max(&one) >= 1.0);
    }
}
