//! The side panel: collapsible Dataset, Formulation, Solver, SGD and Export sections. Widgets
//! bind straight to the session's fields; any change schedules a (debounced) restart.

use crate::solve::driver::Method;
use eframe::egui;
use egui::{Color32, RichText};

use crate::app::{App, DialogKind, Restart, ShotTarget};
use crate::data::{Preset, TargetKind};
use crate::formulation::{self, ModelKind, ProblemDetail};
use crate::geometry::PatternMode;
use crate::model::Loss;
use crate::solve::{Optimizer, Status};

/// How the SGD seeds' table reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SgdTable {
    /// Objective, certified gap to the optimum, test accuracy.
    Certified,
    /// Exact robust objective, its signed difference to p* of (RC), robust accuracy.
    Robust,
}

/// The convex ReLU model's own option: the first-order method before the exact polish.
pub fn relu_options(s: &mut crate::app::session::SolverSettings, ui: &mut egui::Ui) {
    let label = |m: Method| match m {
        Method::Admm => "ADMM",
        Method::Al => "Augmented Lagrangian",
        Method::WorkingSet => "Working set (no first-order phase)",
    };
    egui::ComboBox::from_label("method")
        .selected_text(label(s.method))
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut s.method, Method::Admm, label(Method::Admm))
                .on_hover_text("ADMM with the Woodbury u-update; ρ is its penalty");
            ui.selectable_value(&mut s.method, Method::Al, label(Method::Al))
                .on_hover_text(
                    "Augmented Lagrangian with R-FISTA inside (the method of scnn): penalty δ \
                     on the cone constraints, multipliers updated when the inner problem is \
                     solved; the same certificate and the same exact polish",
                );
            ui.selectable_value(
                &mut s.method,
                Method::WorkingSet,
                label(Method::WorkingSet),
            )
            .on_hover_text(
                "No first-order phase: exact rounds on a working set of regions from the start, \
                 priced by the exact certificate; memory grows with the working set, not with the \
                 number of regions",
            );
        });
}

pub fn side_panel(app: &mut App, ui: &mut egui::Ui) {
    egui::Panel::left("side_panel")
        .resizable(true)
        .default_size(300.0)
        .min_size(240.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.heading("convex-nn-explorer");
                });
                ui.horizontal(|ui| {
                    let mut dark = app.session.view.dark;
                    ui.selectable_value(&mut dark, true, "Dark");
                    ui.selectable_value(&mut dark, false, "Light");
                    if dark != app.session.view.dark {
                        app.session.view.dark = dark;
                        app.session_changed = true;
                    }
                    ui.separator();
                    if ui
                        .small_button("−")
                        .on_hover_text("Smaller text and plots (Ctrl −)")
                        .clicked()
                    {
                        app.zoom_by(-0.1);
                    }
                    let pct = format!("{:.0} %", 100.0 * app.session.view.zoom);
                    if ui
                        .small_button(pct)
                        .on_hover_text("Size of everything on screen; click for 100 % (Ctrl 0)")
                        .clicked()
                    {
                        app.zoom_by(0.0);
                    }
                    if ui
                        .small_button("+")
                        .on_hover_text("Larger text and plots, e.g. for a projector (Ctrl +)")
                        .clicked()
                    {
                        app.zoom_by(0.1);
                    }
                });
                ui.separator();
                egui::CollapsingHeader::new("Dataset")
                    .default_open(true)
                    .show(ui, |ui| dataset(app, ui));
                egui::CollapsingHeader::new("Formulation")
                    .default_open(true)
                    .show(ui, |ui| formulation(app, ui));
                egui::CollapsingHeader::new("Solver")
                    .default_open(true)
                    .show(ui, |ui| solver(app, ui));
                egui::CollapsingHeader::new("SGD")
                    .default_open(false)
                    .show(ui, |ui| sgd(app, ui));
                egui::CollapsingHeader::new("Export")
                    .default_open(false)
                    .show(ui, |ui| export(app, ui));
            });
        });
}

fn dataset(app: &mut App, ui: &mut egui::Ui) {
    let d = app.session.data.clone();
    let mut preset = d.preset;
    egui::ComboBox::from_label("Preset")
        .selected_text(preset.name())
        .show_ui(ui, |ui| {
            for p in Preset::ALL {
                ui.selectable_value(&mut preset, p, p.name())
                    .on_hover_text(p.description());
            }
        });
    preset_thumbnails(app, ui, &mut preset);
    let mut params = d.params;
    if preset != d.preset {
        params = preset.default_params();
    }
    ui.add(egui::Slider::new(&mut params.n, 1..=400).text("n points"));
    ui.add(
        egui::Slider::new(&mut params.noise, 0.0..=1.0)
            .text("noise")
            .step_by(0.01),
    );
    ui.horizontal(|ui| {
        ui.add(
            egui::DragValue::new(&mut params.seed)
                .range(0..=u64::MAX)
                .prefix("seed "),
        );
        if ui
            .button("Regenerate")
            .on_hover_text("Generate the preset again (replaces the points; undoable)")
            .clicked()
        {
            app.generate_preset();
        }
    });
    if preset != d.preset || params != d.params {
        app.session.data.preset = preset;
        app.session.data.params = params;
        app.generate_preset();
    }
    let ds = &app.session.data.dataset;
    let (train, test) = app.split();
    // Orthogonal separable data (docs/math.md#max-margin): gradient flow provably reaches the
    // global max-margin network.
    let orthogonal = {
        // O(n²): computed when the data change, not every frame.
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for (p, y) in ds.x.iter().zip(&ds.y) {
            (p[0].to_bits(), p[1].to_bits(), y.to_bits()).hash(&mut h);
        }
        let key = h.finish();
        if app
            .panel_state
            .data_notes
            .as_ref()
            .is_none_or(|(k, _)| *k != key)
        {
            app.panel_state.data_notes = Some((key, ds.learner_notes()));
        }
        match app.panel_state.orthogonal {
            Some((k, v)) if k == key => v,
            _ => {
                let v = ds.len() <= 2000 && ds.orthogonal_separable() == Some(true);
                app.panel_state.orthogonal = Some((key, v));
                v
            }
        }
    };
    let kind = match ds.kind {
        TargetKind::Binary if orthogonal => "binary ±1 · orthogonal separable".to_string(),
        TargetKind::Binary => "binary ±1".to_string(),
        TargetKind::Regression => "regression".to_string(),
        TargetKind::MultiClass(c) => format!("{c} classes"),
    };
    ui.label(format!(
        "{} points ({} train, {} test) · {kind}",
        ds.len(),
        train.len(),
        test.len()
    ));
    if let Some((_, notes)) = &app.panel_state.data_notes {
        for n in notes {
            note(ui, n);
        }
    }
    if ds.kind == TargetKind::Regression {
        let mut v = app.session.data.click_value;
        ui.add(egui::Slider::new(&mut v, -2.0..=2.0).text("target of a click"));
        app.session.data.click_value = v;
    }
    ui.label(
        RichText::new("Draw on the boundary plot: left click +1 · right/Shift click −1 · drag moves · Ctrl+click deletes")
            .small()
            .weak(),
    );
    let (can_undo, can_redo) = app.can_undo_redo();
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(can_undo, egui::Button::new("Undo"))
            .clicked()
        {
            app.undo();
        }
        if ui
            .add_enabled(can_redo, egui::Button::new("Redo"))
            .clicked()
        {
            app.redo();
        }
        if ui
            .button("Clear")
            .on_hover_text("Remove every point (undoable)")
            .clicked()
        {
            let mut ds = app.session.data.dataset.clone();
            ds.x.clear();
            ds.y.clear();
            app.set_dataset(ds);
        }
        if ui
            .button("Standardize")
            .on_hover_text(
                "Shift and scale each coordinate to mean 0, standard deviation 1 (undoable)",
            )
            .clicked()
        {
            if app.session.data.dataset.is_empty() {
                app.error("Nothing to standardize: the dataset is empty.");
            } else {
                let (s, _) = app.session.data.dataset.standardized();
                app.set_dataset(s);
            }
        }
        if ui
            .button("To regression")
            .on_hover_text("Keep the points, treat the labels as real targets")
            .clicked()
            && app.session.data.dataset.kind != TargetKind::Regression
        {
            let mut ds = app.session.data.dataset.clone();
            ds.kind = TargetKind::Regression;
            app.set_dataset(ds);
        }
        if !matches!(app.session.data.dataset.kind, TargetKind::MultiClass(_))
            && ui
                .button("To classes")
                .on_hover_text(
                    "Treat integer targets 0..C−1 as classes (the polynomial SDP fits one output \
                     per class)",
                )
                .clicked()
        {
            app.to_classes();
        }
    });
    ui.horizontal(|ui| {
        if ui.button("Load CSV…").clicked() {
            app.dialog_request = Some(DialogKind::OpenCsv);
        }
        if ui.button("Save CSV…").clicked() {
            app.dialog_request = Some(DialogKind::SaveCsv);
        }
    });
    let mut frac = app.session.data.test_fraction;
    let mut seed = app.session.data.split_seed;
    ui.add(
        egui::Slider::new(&mut frac, 0.0..=0.9)
            .text("test fraction")
            .step_by(0.05),
    )
    .on_hover_text("Held-out points are drawn hollow and not trained on");
    ui.add(egui::DragValue::new(&mut seed).prefix("split seed "));
    if frac != app.session.data.test_fraction || seed != app.session.data.split_seed {
        app.session.data.test_fraction = frac;
        app.session.data.split_seed = seed;
        app.changed(Restart::All);
    }
    // Train / test metrics at the cursor.
    if let Some(s) = app.history.snapshot_at(app.shown_iter()) {
        let fmt = |m: Option<crate::formulation::Metrics>| match m {
            Some(m) if m.accuracy.is_finite() => {
                format!("loss {:.4}, accuracy {:.1}%", m.loss, 100.0 * m.accuracy)
            }
            Some(m) => format!("loss {:.4}", m.loss),
            None => "–".into(),
        };
        ui.label(RichText::new(format!("train: {}", fmt(s.train))).small());
        ui.label(RichText::new(format!("test: {}", fmt(s.test))).small());
        if let Some(n) = fit_note(app, s) {
            note(ui, &n);
        }
    }
}

/// A learner note beside the data.
fn note(ui: &mut egui::Ui, text: &str) {
    ui.label(
        RichText::new(format!("Note: {text}"))
            .small()
            .color(ui.visuals().warn_fg_color),
    );
}

/// Side of a preset thumbnail, in pixels.
const THUMB: usize = 40;

/// A row of thumbnails of the presets (their points at the default size, coloured by target):
/// a click picks one, as the list above does.
fn preset_thumbnails(app: &mut App, ui: &mut egui::Ui, preset: &mut Preset) {
    let dark = app.session.view.dark;
    let key = super::paint::key(&[dark as u64, THUMB as u64, Preset::ALL.len() as u64]);
    let tex = app
        .panel_state
        .textures
        .get(ui.ctx(), "preset_thumbs", key, || thumbnail_atlas(dark));
    let k = Preset::ALL.len() as f32;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing = egui::vec2(3.0, 3.0);
        ui.spacing_mut().button_padding = egui::vec2(1.0, 1.0);
        for (i, p) in Preset::ALL.into_iter().enumerate() {
            let uv = egui::Rect::from_min_max(
                egui::pos2(i as f32 / k, 0.0),
                egui::pos2((i as f32 + 1.0) / k, 1.0),
            );
            let img = egui::Image::new((tex, egui::vec2(THUMB as f32, THUMB as f32))).uv(uv);
            let r = ui
                .add(egui::Button::image(img).selected(p == *preset))
                .on_hover_text(format!("{}: {}", p.name(), p.description()));
            r.widget_info(|| {
                egui::WidgetInfo::selected(
                    egui::Role::Button,
                    true,
                    p == *preset,
                    format!("{} preset", p.name()),
                )
            });
            if r.clicked() {
                *preset = p;
            }
        }
    });
}

/// One image with a `THUMB`-pixel tile per preset: its points at the default parameters.
fn thumbnail_atlas(dark: bool) -> egui::ColorImage {
    let n = Preset::ALL.len();
    let bg = if dark {
        Color32::from_gray(28)
    } else {
        Color32::from_gray(246)
    };
    let mut img = egui::ColorImage::filled([THUMB * n, THUMB], bg);
    for (i, p) in Preset::ALL.into_iter().enumerate() {
        let params = crate::data::PresetParams {
            n: 120,
            ..p.default_params()
        };
        let Ok(ds) = crate::data::generate(p, &params) else {
            continue;
        };
        let e = super::data_extent(&ds);
        let ymax = ds.y.iter().fold(0.0f64, |m, y| m.max(y.abs()));
        let side = (THUMB - 4) as f64;
        for (q, &y) in ds.x.iter().zip(&ds.y) {
            let c = super::boundary::target_color(ds.kind, y, ymax, dark);
            let px = 2.0 + side * (q[0] - e[0]) / (e[1] - e[0]);
            let py = 2.0 + side * (e[3] - q[1]) / (e[3] - e[2]);
            // A 2×2 dot.
            for dy in 0..2 {
                for dx in 0..2 {
                    let (cx, cy) = (px as usize + dx, py as usize + dy);
                    if cx < THUMB && cy < THUMB {
                        img.pixels[cy * THUMB * n + i * THUMB + cx] = c;
                    }
                }
            }
        }
    }
    img
}

/// Below this training accuracy a certified optimum gets a note saying why it does not fit.
const POOR_FIT: f64 = 0.9;

/// Why the certified global optimum classifies few training points, when it does: the shown
/// iterate is the last of a converged run (its network is optimal to the tolerance), the data are
/// classes, and its training accuracy is below [`POOR_FIT`]. A learner otherwise reads a poor
/// fit as a solver that failed, when it is the model (or β) that cannot do better.
fn fit_note(app: &App, s: &crate::formulation::Snapshot) -> Option<String> {
    let acc = s.train?.accuracy;
    let last = app.history.snapshots.last()?.iter;
    if app.convex_status != Some(Status::Converged)
        || s.iter != last
        || acc.is_nan()
        || acc >= POOR_FIT
    {
        return None;
    }
    let pct = 100.0 * acc;
    match app.model_kind() {
        ModelKind::Poly => Some(format!(
            "the certified global optimum classifies only {pct:.0} % of the training points. \
             That is the model, not the solver: with a degree-2 activation every output is a \
             quadratic function of x, whatever the width, so the class boundaries are conics \
             (a ReLU network is not so limited); a large β flattens the outputs further."
        )),
        ModelKind::Relu | ModelKind::Gated => Some(format!(
            "the certified global optimum classifies only {pct:.0} % of the training points. \
             That is β, not the solver: at β = {:.3e} the weight decay outweighs fitting the \
             rest (some network of at most n + 1 neurons fits any n points with distinct \
             positions). Lower β to fit more.",
            s.beta
        )),
        _ => None,
    }
}

fn formulation(app: &mut App, ui: &mut egui::Ui) {
    let s = app.session.solver.clone();
    let mut model = s.model.clone();
    let current = formulation::by_id(&model);
    let planned = formulation::planned(&model);
    egui::ComboBox::from_label("Model")
        .selected_text(current.map_or_else(|| planned.map_or("?", |p| p.name), |f| f.name()))
        .show_ui(ui, |ui| {
            for f in formulation::all() {
                ui.selectable_value(&mut model, f.id().to_string(), f.name());
            }
            // Planned formulations are listed, greyed out, with what they will solve.
            for p in formulation::PLANNED {
                ui.add_enabled(
                    false,
                    egui::Button::selectable(false, format!("{} (planned)", p.name)),
                )
                .on_disabled_hover_text(format!("{}\n\n{}", p.summary, p.reason));
            }
        });
    if let Some(f) = formulation::by_id(&model) {
        if f.kind() == ModelKind::Relu && model == s.model {
            // The program itself, with its terms linked to the plots; the prose folded below
            // (it writes the same program out once more).
            egui::Frame::group(ui.style()).show(ui, |ui| {
                super::formula::show(app, ui);
            });
            egui::CollapsingHeader::new(RichText::new("About this program").small())
                .default_open(false)
                .show(ui, |ui| ui.label(RichText::new(f.summary()).small()));
        } else {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.label(RichText::new(f.summary()).small());
            });
        }
    } else if let Some(p) = planned {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(RichText::new(p.summary).small());
            ui.colored_label(
                Color32::from_rgb(220, 140, 60),
                format!("Not in this build: {}", p.reason),
            );
        });
    }
    let mut loss = s.loss;
    let mut log_beta = s.log_beta;
    // The loss and β apply unless the model has neither (the max-margin program).
    if formulation::by_id(&model).is_none_or(|f| f.uses_loss_and_beta()) {
        egui::ComboBox::from_label("Loss")
            .selected_text(loss.name())
            .show_ui(ui, |ui| {
                for l in Loss::ALL {
                    ui.selectable_value(&mut loss, l, l.name());
                }
            });
        ui.add(
            egui::Slider::new(&mut log_beta, -4.0..=1.0)
                .text("log₁₀ β")
                .step_by(0.05),
        )
        .on_hover_text(
            "Weight decay β. Changing it warm-starts the solver (a regularisation path).",
        );
        ui.label(RichText::new(format!("β = {:.4e}", 10f64.powf(log_beta))).small());
    }
    let chosen = formulation::by_id(&model);
    let uses_patterns = chosen.is_none_or(|f| f.uses_patterns());
    let mut exact = matches!(s.patterns, PatternMode::Exact);
    let (mut count, mut pseed) = match s.patterns {
        PatternMode::Sampled { count, seed } => (count, seed),
        PatternMode::Exact => (2000, 0),
    };
    if uses_patterns {
        ui.horizontal(|ui| {
            ui.label("Patterns:");
            ui.radio_value(&mut exact, true, "exact");
            ui.radio_value(&mut exact, false, "sampled");
        });
    }
    if !exact && uses_patterns {
        ui.horizontal(|ui| {
            ui.add(
                egui::DragValue::new(&mut count)
                    .range(1..=100_000)
                    .prefix("P "),
            );
            ui.add(egui::DragValue::new(&mut pseed).prefix("seed "));
        });
    }
    let patterns = if exact {
        PatternMode::Exact
    } else {
        PatternMode::Sampled { count, seed: pseed }
    };
    let mut rho = s.rho;
    let mut tol = s.tol;
    // ρ is ADMM's (the convex ReLU program with ADMM, the polynomial SDP-ADMM).
    let uses_rho = chosen.is_some_and(|f| (super::model_panels(f.kind()).uses_rho)(&s));
    ui.horizontal(|ui| {
        if uses_rho {
            ui.add(
                egui::DragValue::new(&mut rho)
                    .range(1e-4..=1e4)
                    .speed(0.05)
                    .prefix("ρ "),
            )
            .on_hover_text("Initial ADMM penalty (rebalanced automatically)");
        }
        ui.add(
            egui::DragValue::new(&mut tol)
                .range(1e-12..=1e-1)
                .speed(1e-7)
                .custom_formatter(|v, _| format!("{v:.0e}"))
                .prefix("tol "),
        )
        .on_hover_text("Certified relative gap at which the solver stops");
    });
    let mut new = crate::app::session::SolverSettings {
        model,
        loss,
        log_beta,
        patterns,
        rho,
        tol,
        ..s.clone()
    };
    // The chosen model's own options (e.g. the polynomial activation).
    if let Some(f) = chosen {
        (super::model_panels(f.kind()).options)(&mut new, ui);
    }
    if new != s {
        let only_beta = crate::app::session::SolverSettings {
            log_beta: s.log_beta,
            ..new.clone()
        } == s;
        app.session.solver = new;
        app.changed(if only_beta {
            Restart::Beta
        } else {
            Restart::All
        });
    }
}

fn solver(app: &mut App, ui: &mut egui::Ui) {
    let detail = app.problem.as_ref().map(|p| (p.n, &p.detail));
    if let Some((n, ProblemDetail::Poly { outputs: c })) = detail {
        ui.label(format!(
            "n = {n} · SDP: {c} output(s), each Z₊, Z₋ ∈ S⁴ (2 × 10 variables)"
        ));
        ui.label(
            RichText::new(
                "ADMM: one 22×22 KKT factorisation, two 4×4 eigendecompositions per \
                 iteration; polish: Newton on the face of the iterate",
            )
            .small(),
        );
    } else if let Some((
        n,
        ProblemDetail::Relu {
            p,
            exact,
            is_exact,
            what,
            sizes,
            ..
        },
    )) = detail
    {
        ui.label(format!(
            "n = {n} · {what} P = {p}{} · exact regions {exact}",
            if *is_exact { "" } else { " (sampled)" },
        ));
        ui.label(RichText::new(sizes).small());
    } else if let Some((
        n,
        ProblemDetail::Path3 {
            regions,
            blocks,
            exact,
            groups,
        },
    )) = detail
    {
        ui.label(format!(
            "n = {n} · first-layer regions {regions} · {} second-layer blocks {blocks}",
            if *exact { "all" } else { "candidate" }
        ));
        ui.label(
            RichText::new(if *exact {
                format!(
                    "exact rounds: a working set of (η, E, σ, i) groups ({groups} at the start); \
                     every block priced by the exact sweep"
                )
            } else {
                format!(
                    "restricted program (more than 10 points): candidate blocks from the \
                     two-layer optimum, Adam runs and random sub-networks; {groups} groups at the \
                     start; not certified"
                )
            })
            .small(),
        );
    } else if app.restart_pending() {
        ui.label("restarting…");
    } else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("building the problem…");
        });
    }
    let mut every = app.session.solver.snapshot_every;
    ui.add(egui::Slider::new(&mut every, 1..=100).text("snapshot every"))
        .on_hover_text("Keep the network and certificate every k iterations for scrubbing");
    if every != app.session.solver.snapshot_every {
        app.session.solver.snapshot_every = every;
        app.changed(Restart::All);
    }
    if let Some(it) = app.history.iterates.last() {
        egui::Grid::new("solver_stats")
            .num_columns(2)
            .show(ui, |ui| {
                let row = |ui: &mut egui::Ui, k: &str, v: String| {
                    ui.label(k);
                    ui.monospace(v);
                    ui.end_row();
                };
                row(ui, "iteration", it.iter.to_string());
                row(ui, "upper bound", format!("{:.8}", it.upper));
                if it.lower.is_finite() {
                    row(ui, "lower bound", format!("{:.8}", it.lower));
                    row(ui, "rel. gap", format!("{:.2e}", it.rel_gap));
                } else {
                    row(ui, "lower bound", "– (not certified)".into());
                }
                row(ui, "primal res.", format!("{:.2e}", it.primal_residual));
                row(ui, "dual res.", format!("{:.2e}", it.dual_residual));
                row(ui, "active blocks", it.active_blocks.to_string());
            });
    }
    if let Some(s) = app.convex_status {
        ui.label(format!("solver: {}", s.name()));
    }
}

fn sgd(app: &mut App, ui: &mut egui::Ui) {
    let c = app.session.sgd.clone();
    let mut n = c.clone();
    ui.checkbox(&mut n.enabled, "Run SGD beside the convex solver");
    ui.horizontal(|ui| {
        ui.add(
            egui::DragValue::new(&mut n.width)
                .range(0..=500)
                .prefix("width "),
        )
        .on_hover_text("0 = the certified optimum's neuron count");
        ui.add(
            egui::DragValue::new(&mut n.seeds)
                .range(1..=64)
                .prefix("seeds "),
        );
    });
    egui::ComboBox::from_label("Optimizer")
        .selected_text(n.optimizer.name())
        .show_ui(ui, |ui| {
            for o in [Optimizer::Gd, Optimizer::Sgd, Optimizer::Adam] {
                ui.selectable_value(&mut n.optimizer, o, o.name());
            }
        });
    (super::model_panels(app.model_kind()).sgd_options)(&mut n, ui);
    let mut log_lr = n.lr.log10();
    ui.add(
        egui::Slider::new(&mut log_lr, -4.0..=0.0)
            .text("log₁₀ lr")
            .step_by(0.1),
    );
    n.lr = 10f64.powf(log_lr);
    ui.add(
        egui::DragValue::new(&mut n.epochs)
            .range(1..=1_000_000)
            .prefix("epochs "),
    );
    if (n.lr - c.lr).abs() < 1e-15 * c.lr {
        n.lr = c.lr;
    }
    if n != c {
        app.session.sgd = n;
        app.changed(Restart::Sgd);
    }
    if let Some(w) = app.sgd_width {
        ui.label(RichText::new(format!("running width {w}")).small());
    } else if app.session.sgd.enabled && app.session.sgd.width == 0 {
        ui.label(RichText::new("waits for the certified optimum to choose its width").small());
    }
    if let Some(s) = app.history.sgd_snapshot_at(app.shown_iter()) {
        // Robust model: the seeds' exact robust objectives, compared with the (RC) optimum —
        // signed, since a network that is not pattern-stable can have a lower worst case. A
        // model's own per-seed score replaces the test accuracy.
        let robust = super::model_panels(app.model_kind()).sgd_table == SgdTable::Robust;
        let last = s.score.as_ref().map_or("test acc.", |sc| sc.name);
        egui::Grid::new("sgd_table").striped(true).show(ui, |ui| {
            let heads = if robust {
                ["seed", "robust obj.", "− p*(RC)", last]
            } else {
                ["seed", "objective", "rel. gap", last]
            };
            for h in heads {
                ui.strong(h);
            }
            ui.end_row();
            let p_lo = app.certified_optimum().map(|o| o.bounds.lower);
            let p_up = app.certified_optimum().map(|o| o.bounds.upper);
            for (k, b) in s.bounds.iter().enumerate() {
                ui.colored_label(super::paint::seed_color(k), format!("{}", k + 1));
                ui.monospace(format!("{:.5}", b.upper));
                if robust {
                    ui.monospace(p_up.map_or("–".into(), |p| format!("{:+.1e}", b.upper - p)));
                } else {
                    // The certified gap to the optimum (the best lower bound known), relative like
                    // the solver's: (objective − lower)/max(1, |objective|).
                    let lo = p_lo.map_or(b.lower, |l| l.max(b.lower));
                    ui.monospace(format!(
                        "{:.1e}",
                        ((b.upper - lo) / b.upper.abs().max(1.0)).max(0.0)
                    ));
                }
                match &s.score {
                    Some(sc) => {
                        let x = sc.values.get(k).copied().unwrap_or(f64::NAN);
                        ui.monospace(if !x.is_finite() {
                            "–".into()
                        } else if sc.percent {
                            format!("{:.0}%", 100.0 * x)
                        } else {
                            format!("{x:.4}")
                        });
                    }
                    None => {
                        let acc = s.test.get(k).copied().flatten().map(|m| m.accuracy);
                        ui.monospace(match acc {
                            Some(a) if a.is_finite() => format!("{:.0}%", 100.0 * a),
                            _ => "–".into(),
                        });
                    }
                }
                ui.end_row();
            }
        });
    }
}

fn export(app: &mut App, ui: &mut egui::Ui) {
    ui.horizontal_wrapped(|ui| {
        if ui.button("Save session…").clicked() {
            app.dialog_request = Some(DialogKind::SaveSession);
        }
        if ui.button("Open session…").clicked() {
            app.dialog_request = Some(DialogKind::OpenSession);
        }
    });
    ui.horizontal_wrapped(|ui| {
        if ui.button("History CSV…").clicked() {
            app.dialog_request = Some(DialogKind::HistoryCsv);
        }
        if ui.button("History JSON…").clicked() {
            app.dialog_request = Some(DialogKind::HistoryJson);
        }
        if ui.button("Window PNG…").clicked() {
            app.dialog_request = Some(DialogKind::Png(ShotTarget::Window));
        }
    });
    let mut builtin = app.session.view.builtin_file_chooser;
    ui.checkbox(&mut builtin, "In-window file chooser")
        .on_hover_text(
            "Use the file chooser drawn in this window instead of the desktop's (used \
             automatically where the desktop offers none)",
        );
    if builtin != app.session.view.builtin_file_chooser {
        app.session.view.builtin_file_chooser = builtin;
        app.session_changed = true;
    }
    ui.label(
        RichText::new(
            "Each plot has its own PNG button. The session autosaves and is restored on start.",
        )
        .small()
        .weak(),
    );
}
