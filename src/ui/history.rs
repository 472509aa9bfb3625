//! The History window: the change journal (`crate::history`) as a scrollable table, newest first (when,
//! who, which record, what changed old → new), an export of the journal as JSON to a path the user types,
//! and "Revert this change" on a save of the logged-in user's own record. Draws and returns what the user
//! asked for; the app reads and writes the files.

use std::path::PathBuf;

use crate::history::{Entry, Parsed};

/// The menu item (in the top bar's "More") and the window's title.
pub const HISTORY_TITLE: &str = "History";
/// The button that writes the journal to the path field.
pub const EXPORT_BUTTON: &str = "Export…";
/// The button on an own save that prepares its inverse as pending edits.
pub const REVERT_BUTTON: &str = "Revert this change";
/// What a save of another user's record says instead of a Revert button.
pub const REVERT_ELSEWHERE: &str = "Open that record from Users to revert it.";
/// The export path field's accessible label.
pub const EXPORT_PATH_LABEL: &str = "Export to";

/// What the user asked for in the History window.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryAction {
    /// Put this entry's inverse into the own editor as pending edits.
    Revert(Entry),
    /// Write the journal to this path.
    Export(PathBuf),
    /// Close the window.
    Close,
}

/// The History window's state, while it is open.
pub struct HistoryWindow {
    /// The journal as read when the window opened (or why it could not be read).
    journal: Result<Parsed, String>,
    /// The export path as typed.
    pub export_path: String,
    /// The outcome of the last export or revert.
    pub message: Option<String>,
    /// The logged-in user's objectId: only their own saves can be reverted here.
    own_object_id: String,
}

impl HistoryWindow {
    /// A window over `journal`, exporting to `export_path` unless the user types another.
    pub fn new(
        journal: Result<Parsed, String>,
        export_path: PathBuf,
        own_object_id: String,
    ) -> Self {
        Self {
            journal,
            export_path: export_path.display().to_string(),
            message: None,
            own_object_id,
        }
    }

    /// The entries shown (oldest first, as in the file); read by tests.
    pub fn entries(&self) -> &[Entry] {
        self.journal.as_ref().map_or(&[], |parsed| &parsed.entries)
    }

    /// Draws the window; returns what the user asked for this frame.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<HistoryAction> {
        let mut action = None;
        let mut open = true;
        egui::Window::new(HISTORY_TITLE)
            .open(&mut open)
            .default_size([720.0, 420.0])
            .collapsible(false)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let label = ui.label(EXPORT_PATH_LABEL);
                    ui.add(
                        egui::TextEdit::singleline(&mut self.export_path).desired_width(360.0),
                    )
                    .labelled_by(label.id);
                    if ui
                        .button(EXPORT_BUTTON)
                        .on_hover_text("Write the whole history as a JSON file (owner-only)")
                        .clicked()
                    {
                        action = Some(HistoryAction::Export(PathBuf::from(
                            self.export_path.trim(),
                        )));
                    }
                });
                if let Some(message) = &self.message {
                    ui.label(message);
                }
                ui.separator();
                let parsed = match &self.journal {
                    Ok(parsed) => parsed,
                    Err(error) => {
                        ui.colored_label(ui.visuals().error_fg_color, error);
                        return;
                    }
                };
                if parsed.damaged > 0 {
                    ui.label(format!(
                        "{} damaged line(s) of the history file could not be read and are not shown.",
                        parsed.damaged
                    ));
                }
                if parsed.entries.is_empty() {
                    ui.label("No changes recorded yet.");
                    return;
                }
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        egui::Grid::new("history_table")
                            .striped(true)
                            .num_columns(4)
                            .show(ui, |ui| {
                                ui.strong("When");
                                ui.strong("Who");
                                ui.strong("Record");
                                ui.strong("What changed");
                                ui.end_row();
                                for entry in parsed.entries.iter().rev() {
                                    ui.label(when(entry.at_ms));
                                    ui.label(&entry.actor);
                                    let record = if entry.record.is_empty() {
                                        entry.object_id.clone()
                                    } else {
                                        entry.record.clone()
                                    };
                                    ui.label(record).on_hover_text(&entry.object_id);
                                    ui.vertical(|ui| {
                                        ui.set_max_width(360.0);
                                        for line in entry.describe() {
                                            ui.add(egui::Label::new(line).wrap());
                                        }
                                        if crate::history::inverse(entry).is_some() {
                                            if entry.object_id == self.own_object_id {
                                                if ui.button(REVERT_BUTTON).clicked() {
                                                    action =
                                                        Some(HistoryAction::Revert(entry.clone()));
                                                }
                                            } else {
                                                ui.weak(REVERT_ELSEWHERE);
                                            }
                                        }
                                    });
                                    ui.end_row();
                                }
                            });
                    });
            });
        if !open {
            action = Some(HistoryAction::Close);
        }
        action
    }
}

/// Epoch ms as local date and time.
fn when(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|at| {
            at.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| at_ms.to_string())
}
