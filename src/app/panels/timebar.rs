//! The bottom time bar: reset, step back, play/pause, step, speed, the scrubber over the stored
//! history, the status line and the frame-time readout. One step advances the convex solver by
//! one iteration and every SGD seed by one epoch; once the solver has finished, steps go on for
//! SGD alone, so the status line names both counters.

use eframe::egui;
use egui::RichText;

use crate::app::App;

pub fn time_bar(app: &mut App, ui: &mut egui::Ui) {
    egui::Panel::bottom("time_bar")
        .resizable(false)
        .show(ui, |ui| {
            ui.add_space(2.0);
            let scrubber_fits = ui
                .horizontal(|ui| {
                let shown = !app.session.view.hide_controls;
                if ui
                    .selectable_label(shown, "Controls")
                    .on_hover_text("Show or hide the controls panel (more room for the plots)")
                    .clicked()
                {
                    app.session.view.hide_controls = shown;
                    app.session_changed = true;
                }
                let reset_tip = if app.run_finished() {
                    "Back to step 0, keeping the finished run (Home); a changed problem restarts"
                } else {
                    "Restart from iteration 0 (Home)"
                };
                if ui.button("Reset").on_hover_text(reset_tip).clicked() {
                    app.reset();
                }
                if ui.button("Back").on_hover_text("One iteration back in the history (←)").clicked() {
                    app.step_back();
                }
                let play = if app.playing { "Pause" } else { "Play" };
                let play_tip = if app.cursor.is_some() {
                    "Replay the stored steps from here at the chosen speed (space)"
                } else if app.run_finished() {
                    "The run is over: replay it from the start (space)"
                } else {
                    "Play / pause (space)"
                };
                if ui.button(play).on_hover_text(play_tip).clicked() {
                    app.toggle_play();
                }
                if ui
                    .add_enabled(app.history.latest() > 0, egui::Button::new("Replay"))
                    .on_hover_text("Replay the stored history from step 0 at the chosen speed")
                    .clicked()
                {
                    app.replay_from_start();
                }
                if ui.button("Step").on_hover_text("One iteration and one SGD epoch (→)").clicked() {
                    app.step_forward();
                }
                let mut max = app.session.view.speed == 0;
                let mut speed = app.session.view.speed.max(1);
                ui.add_enabled(
                    !max,
                    egui::Slider::new(&mut speed, 1..=200)
                        .logarithmic(true)
                        .text("it/frame"),
                );
                ui.checkbox(&mut max, "max");
                let new_speed = if max { 0 } else { speed };
                if new_speed != app.session.view.speed {
                    app.session.view.speed = new_speed;
                    app.session_changed = true;
                    if app.playing {
                        app.pause();
                        app.playing = true;
                    }
                }
                // The scrubber shares the row when there is room for it (else its own row).
                let fits = ui.available_width() >= 300.0;
                if fits {
                    scrubber(app, ui);
                }
                fits
            })
            .inner;
            if !scrubber_fits {
                ui.horizontal(|ui| scrubber(app, ui));
            }
            // One line that never wraps (a wrapping line made the bar jump and the buttons
            // move under the pointer); the whole text is in the tooltip.
            ui.horizontal(|ui| {
                let t = app.shown_iter();
                let frame = match app.frame_ms {
                    Some(f) => format!("frame {:.1} ms (max 1 s {:.1})", f, app.frame_ms_max),
                    None => format!("ui {:.1} ms (max 1 s {:.1})", app.ui_ms, app.frame_ms_max),
                };
                ui.label(RichText::new(frame).small().weak()).on_hover_text(
                    "CPU time of the previous frame (UI + tessellation), and the worst over the last second",
                );
                if app.cursor.is_some() && ui.small_button("Live").clicked() {
                    app.cursor = None;
                }
                let status = status_line(app, t);
                ui.add(egui::Label::new(RichText::new(&status).monospace()).truncate())
                    .on_hover_text(status);
            });
            ui.add_space(2.0);
        });
}

/// The scrubber over the stored history (dragging it pauses and shows that step).
fn scrubber(app: &mut App, ui: &mut egui::Ui) {
    let latest = app.history.latest();
    let mut t = app.shown_iter();
    // Room for the value box and the "step" label beside the slider.
    let w = (ui.available_width() - 120.0).max(80.0);
    ui.spacing_mut().slider_width = w;
    let r = ui
        .add(egui::Slider::new(&mut t, 0..=latest.max(1)).text("step"))
        .on_hover_text(
            "One step = one convex solver iteration and one SGD epoch; the status line shows \
             where each of them is at this step",
        );
    if r.changed() {
        app.pause();
        app.cursor = (t < latest).then_some(t);
    }
}

/// The status line at step `t`: the convex solver's iteration and bounds, SGD's epoch, and the
/// state, each counter named.
pub fn status_line(app: &App, t: usize) -> String {
    let mut s = format!("step {t}");
    if let Some(it) = app.history.iterate_at(t) {
        s += &format!(" · convex iter {}", it.iter);
        use crate::solve::Phase;
        // The penalty in force, named by the method that has one.
        let penalty = match it.phase {
            Phase::Polish => {
                let working_set = app.session.solver.model == "relu"
                    && app.session.solver.method == crate::solve::driver::Method::WorkingSet;
                s += if working_set {
                    " (working-set round)"
                } else {
                    " (exact polish)"
                };
                None
            }
            Phase::Fista => {
                s += " (R-FISTA)";
                None
            }
            Phase::AugLag => {
                s += " (augmented Lagrangian)";
                Some(("δ", it.rho))
            }
            Phase::Admm => Some(("ρ", it.rho)),
        };
        // Time per iteration averaged over the last 20 (checked iterations cost more).
        let k = app.history.iterates.partition_point(|i| i.iter <= t);
        let recent = &app.history.iterates[k.saturating_sub(20)..k];
        let ms = 1e3 * recent.iter().map(|i| i.seconds).sum::<f64>() / recent.len().max(1) as f64;
        s += &if it.lower.is_finite() {
            format!(
                " · upper {:.6} · lower {:.6} · gap {:.1e} · certifying dual c/β {:.3}",
                it.upper, it.lower, it.rel_gap, it.certificate,
            )
        } else {
            format!(" · upper {:.6} · not certified", it.upper)
        };
        if let Some((name, v)) = penalty.filter(|(_, v)| v.is_finite()) {
            s += &format!(" · {name} {v:.3}");
        }
        s += &format!(" · {ms:.2} ms/it");
    }
    if let Some(p) = app.history.sgd_at(t) {
        let best = p.objectives.iter().copied().fold(f64::INFINITY, f64::min);
        s += &format!(" · SGD epoch {} best {:.5}", p.epoch, best);
    }
    let state = if app.restart_pending() {
        "restarting".to_string()
    } else if app.replaying {
        "replaying".to_string()
    } else if app.playing {
        "playing".to_string()
    } else if let Some(st) = app.convex_status {
        st.name().to_string()
    } else if app.history.iterates.is_empty() {
        "ready".to_string()
    } else {
        "paused".to_string()
    };
    s + " · " + &state
}
