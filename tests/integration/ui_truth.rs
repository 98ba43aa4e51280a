//! The window must never mislead: each test here pins a picture a learner once read wrongly
//! (points off the plot, one name for two numbers, a hidden legend, a stuck log view, counters
//! that disagree, a caption that counted test points, …).

use convex_nn_explorer::app::{App, PlotId};
use convex_nn_explorer::data::{Preset, PresetParams};
use egui_kittest::kittest::Queryable;

use crate::ui::{app, harness, session, wait};

/// Whether every point of the dataset lies inside the bounds plot `id` showed last frame.
fn all_points_visible(a: &App, id: PlotId) -> Result<(), String> {
    let b = a
        .panel_state
        .fit
        .shown
        .get(&id)
        .ok_or_else(|| format!("{id:?} recorded no bounds"))?;
    let outside: Vec<[f64; 2]> = a
        .session
        .data
        .dataset
        .x
        .iter()
        .copied()
        .filter(|p| !(b[0] <= p[0] && p[0] <= b[1] && b[2] <= p[1] && p[1] <= b[3]))
        .collect();
    if outside.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{id:?} shows {b:?}; {} of {} points outside, e.g. {:?}",
            outside.len(),
            a.session.data.dataset.len(),
            outside[0]
        ))
    }
}

/// A new dataset with a larger extent (xor with noise 1.0), and then standardizing it, both
/// re-fit the plane plots: every point stays inside the boundary and regions plots.
#[test]
fn plane_plots_fit_every_new_dataset() {
    let mut h = harness(app(session(Preset::Spiral, 30, false)));
    h.run_steps(3);
    for id in [PlotId::Boundary, PlotId::Regions] {
        all_points_visible(h.state(), id).unwrap();
    }
    h.state_mut().session.data.preset = Preset::Xor;
    h.state_mut().session.data.params = PresetParams {
        n: 30,
        noise: 1.0,
        seed: 1,
    };
    h.state_mut().generate_preset();
    h.run_steps(3);
    for id in [PlotId::Boundary, PlotId::Regions] {
        all_points_visible(h.state(), id).unwrap();
    }
    h.get_by_label("Standardize").click();
    h.run_steps(3);
    for id in [PlotId::Boundary, PlotId::Regions] {
        all_points_visible(h.state(), id).unwrap();
    }
    // The Fit buttons exist (one per plane/line-space plot).
    assert_eq!(h.query_all_by_label("Fit").count(), 3);
}

/// The arrangement caption counts the training points the program is built from, not the
/// held-out test points.
#[test]
fn arrangement_caption_counts_training_points() {
    let mut s = session(Preset::Xor, 40, false);
    s.data.test_fraction = 0.25;
    s.view.line_space = true;
    let mut h = harness(app(s));
    wait(&mut h, "the problem", |a| a.problem.is_some());
    let train = h.state().split().0.len();
    assert_eq!(train, 30);
    h.get_by_label_contains("30 training points: at most n² − n + 2 = 872 regions");
}
