//! File dialogs: what each dialog asks for ([`DialogSpec`], shared by the native dialog and the
//! in-window one), and the in-window chooser ([`FileChooser`]). The native dialog (rfd) needs a
//! desktop file-chooser portal; where there is none it returns at once with nothing, which
//! looks exactly like "cancelled". The shell detects that (an answer faster than a person can
//! cancel) and falls back to the in-window chooser, with a message saying so; people can also
//! choose the in-window chooser always (Export section).

use std::path::{Path, PathBuf};
use std::time::Duration;

use eframe::egui;

use super::{DialogKind, ShotTarget};

/// A native dialog that answers "nothing chosen" faster than this was not shown at all.
pub const UNAVAILABLE_BELOW: Duration = Duration::from_millis(400);

/// What a file dialog asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct DialogSpec {
    /// Window title.
    pub title: &'static str,
    /// Name of the file type.
    pub filter_name: &'static str,
    /// Accepted extensions (lower case, without the dot).
    pub extensions: &'static [&'static str],
    /// Suggested file name (save dialogs).
    pub file_name: Option<String>,
    /// Save (else open).
    pub save: bool,
}

/// The dialog of `kind`; `preset` names the dataset in suggested file names.
pub fn spec(kind: DialogKind, preset: &str) -> DialogSpec {
    let (title, filter_name, extensions, file_name, save): (_, _, &'static [&'static str], _, _) =
        match kind {
            DialogKind::OpenCsv => ("Open a dataset (CSV)", "CSV", &["csv", "txt"], None, false),
            DialogKind::OpenSession => ("Open a session", "Session", &["json"], None, false),
            DialogKind::SaveCsv => (
                "Save the dataset (CSV)",
                "CSV",
                &["csv"],
                Some(format!("{preset}.csv")),
                true,
            ),
            DialogKind::SaveSession => (
                "Save the session",
                "Session",
                &["json"],
                Some("session.json".to_string()),
                true,
            ),
            DialogKind::HistoryCsv => (
                "Export the history (CSV)",
                "CSV",
                &["csv"],
                Some("history.csv".to_string()),
                true,
            ),
            DialogKind::HistoryJson => (
                "Export the history (JSON)",
                "JSON",
                &["json"],
                Some("history.json".to_string()),
                true,
            ),
            DialogKind::Png(t) => (
                "Save a PNG image",
                "PNG",
                &["png"],
                Some(match t {
                    ShotTarget::Window => "convex-nn-explorer.png".to_string(),
                    ShotTarget::Plot(p) => format!("{}.png", p.slug()),
                }),
                true,
            ),
        };
    DialogSpec {
        title,
        filter_name,
        extensions,
        file_name,
        save,
    }
}

/// Whether `path` has one of `extensions` (case-insensitive).
fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// The in-window file chooser for one dialog: a folder listing (folders first, then the files
/// of the dialog's type), a file-name field, Up, Open/Save and Cancel. Hand-written: the egui
/// file-dialog crates draw their icons with emoji glyphs that the bundled fonts lack.
pub struct FileChooser {
    /// Which dialog it answers.
    pub kind: DialogKind,
    spec: DialogSpec,
    dir: PathBuf,
    name: String,
    entries: Vec<(String, bool)>,
    error: Option<String>,
}

impl FileChooser {
    /// Opens a chooser for `kind` in `dir`.
    pub fn new(kind: DialogKind, preset: &str, dir: PathBuf) -> Self {
        let spec = spec(kind, preset);
        let mut c = Self {
            kind,
            name: spec.file_name.clone().unwrap_or_default(),
            spec,
            dir,
            entries: Vec::new(),
            error: None,
        };
        c.refresh();
        c
    }

    /// Re-reads the folder: sub-folders, then files of the dialog's type, each sorted by name.
    fn refresh(&mut self) {
        self.entries.clear();
        self.error = None;
        match std::fs::read_dir(&self.dir) {
            Ok(rd) => {
                for e in rd.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        continue;
                    }
                    let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                    if is_dir || has_extension(&e.path(), self.spec.extensions) {
                        self.entries.push((name, is_dir));
                    }
                }
                self.entries
                    .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            }
            Err(e) => self.error = Some(format!("{}: {e}", self.dir.display())),
        }
    }

    fn enter(&mut self, dir: PathBuf) {
        self.dir = dir;
        self.refresh();
    }

    /// The chosen path, if the name field holds an acceptable one.
    fn target(&self) -> Option<PathBuf> {
        let name = self.name.trim();
        if name.is_empty() {
            return None;
        }
        let p = self.dir.join(name);
        let ok = if self.spec.save {
            has_extension(&p, self.spec.extensions)
        } else {
            p.is_file()
        };
        ok.then_some(p)
    }

    /// Shows the chooser: `Some(Some(path))` once a file is chosen, `Some(None)` when it was
    /// cancelled or closed, `None` while it is open.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<Option<PathBuf>> {
        let mut open = true;
        let mut result = None;
        egui::Window::new(self.spec.title)
            .open(&mut open)
            .collapsible(false)
            .default_size([460.0, 360.0])
            .show(ctx, |ui| result = self.body(ui));
        if !open || ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            return Some(None);
        }
        result
    }

    fn body(&mut self, ui: &mut egui::Ui) -> Option<Option<PathBuf>> {
        ui.horizontal(|ui| {
            if ui.button("Up").on_hover_text("The parent folder").clicked()
                && let Some(p) = self.dir.parent().map(Path::to_path_buf)
            {
                self.enter(p);
            }
            ui.label(egui::RichText::new(self.dir.display().to_string()).monospace());
        });
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::from_rgb(220, 80, 60), e);
        }
        let mut go = None;
        egui::ScrollArea::vertical()
            .max_height(240.0)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (name, is_dir) in &self.entries {
                    let label = if *is_dir {
                        format!("{name}/")
                    } else {
                        name.clone()
                    };
                    let r = ui.selectable_label(!is_dir && *name == self.name, label);
                    if r.clicked() {
                        go = Some((name.clone(), *is_dir, false));
                    }
                    if r.double_clicked() {
                        go = Some((name.clone(), *is_dir, true));
                    }
                }
            });
        let mut confirm = false;
        if let Some((name, is_dir, double)) = go {
            if is_dir {
                self.enter(self.dir.join(name));
            } else {
                self.name = name;
                confirm = double;
            }
        }
        ui.horizontal(|ui| {
            ui.label(format!("{} file:", self.spec.filter_name));
            let r = ui.text_edit_singleline(&mut self.name);
            confirm |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        });
        let target = self.target();
        if self.spec.save && target.as_ref().is_some_and(|t| t.exists()) {
            ui.label(egui::RichText::new("Saving replaces the existing file.").small());
        }
        let mut result = None;
        ui.horizontal(|ui| {
            let verb = if self.spec.save { "Save" } else { "Open" };
            if ui
                .add_enabled(target.is_some(), egui::Button::new(verb))
                .clicked()
            {
                confirm = true;
            }
            if ui.button("Cancel").clicked() {
                result = Some(None);
            }
        });
        if confirm && let Some(t) = target {
            return Some(Some(t));
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::PlotId;

    #[test]
    fn every_dialog_has_a_title_and_its_extension() {
        for kind in [
            DialogKind::OpenCsv,
            DialogKind::SaveCsv,
            DialogKind::OpenSession,
            DialogKind::SaveSession,
            DialogKind::HistoryCsv,
            DialogKind::HistoryJson,
            DialogKind::Png(ShotTarget::Window),
            DialogKind::Png(ShotTarget::Plot(PlotId::Objective)),
        ] {
            let s = spec(kind, "xor");
            assert!(!s.title.is_empty() && !s.extensions.is_empty());
            if let Some(name) = &s.file_name {
                assert!(
                    s.save && has_extension(Path::new(name), s.extensions),
                    "{name}"
                );
            }
        }
        assert!(has_extension(Path::new("a/B.CSV"), &["csv"]));
        assert!(!has_extension(Path::new("a/b.json"), &["csv"]));
    }
}
