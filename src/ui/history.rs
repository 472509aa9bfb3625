//! The History window: the change journal (`crate::history`) as a scrollable table, newest first (when,
//! who, which record, what changed old → new), an export of the journal as JSON to a path the user types,
//! and "Revert this change" on a save the logged-in user made on this connection (of their own record, or,
//! as an admin, of another user's). Draws and returns what the user asked for; the app reads and writes
//! the files (off the UI thread: the window opens "Loading…" and fills when the journal is read) and
//! reads the record again before an admin's revert.

use std::path::PathBuf;

use crate::history::{Entry, Parsed};

/// The menu item (in the top bar's "More") and the window's title.
pub const HISTORY_TITLE: &str = "History";
/// The button that writes the journal to the path field.
pub const EXPORT_BUTTON: &str = "Export…";
/// The button on a save of the logged-in user that prepares its inverse as pending edits.
pub const REVERT_BUTTON: &str = "Revert this change";
/// What a save made by someone else, or on another connection, says instead of a Revert button.
pub const REVERT_ELSEWHERE: &str =
    "Made by another user or on another connection: it can be reverted only there.";
/// What a revert of another user's record says when the logged-in user is no admin (any more).
pub const REVERT_NOT_ADMIN: &str =
    "You are not an admin any more: another user's record cannot be reverted. Nothing was sent.";
/// The export path field's accessible label.
pub const EXPORT_PATH_LABEL: &str = "Export to";
/// What the window shows until the journal is read.
pub const LOADING: &str = "Loading…";

/// What the user asked for in the History window.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryAction {
    /// Put this entry's inverse as pending edits into the editor of its record (the own profile's, or
    /// the admin's record editor after the record was read again).
    Revert(Entry),
    /// Write the journal to this path.
    Export(PathBuf),
    /// Close the window.
    Close,
}

/// The History window's state, while it is open.
pub struct HistoryWindow {
    /// The journal as read when the window opened (or why it could not be read); `None` while it is read.
    journal: Option<Result<Parsed, String>>,
    /// The export path as typed.
    pub export_path: String,
    /// The outcome of the last export or revert.
    pub message: Option<String>,
    /// Whose saves can be reverted here: the logged-in user's, on this connection.
    reverter: Reverter,
}

/// The logged-in user and the connection: the saves they made there can be reverted from the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reverter {
    /// The logged-in user's objectId.
    pub object_id: String,
    /// The connection's stable name (`Connection::key`).
    pub connection: String,
}

impl Reverter {
    /// Whether `entry` is a save this user made on this connection that has an inverse (of their own
    /// record, or of another user's as an admin).
    pub fn can_revert(&self, entry: &Entry) -> bool {
        !self.object_id.is_empty()
            && entry.connection == self.connection
            && entry.actor_id == self.object_id
            && crate::history::inverse(entry).is_some()
    }
}

impl HistoryWindow {
    /// A window over `journal`, exporting to `export_path` unless the user types another.
    pub fn new(journal: Result<Parsed, String>, export_path: PathBuf, reverter: Reverter) -> Self {
        let mut window = Self::loading(export_path, reverter);
        window.loaded(journal);
        window
    }

    /// A window whose journal is still being read ([`LOADING`] until [`HistoryWindow::loaded`]).
    pub fn loading(export_path: PathBuf, reverter: Reverter) -> Self {
        Self {
            journal: None,
            export_path: export_path.display().to_string(),
            message: None,
            reverter,
        }
    }

    /// The journal, read (or why it could not be).
    pub fn loaded(&mut self, journal: Result<Parsed, String>) {
        self.journal = Some(journal);
    }

    /// Whether the journal is still being read.
    pub fn is_loading(&self) -> bool {
        self.journal.is_none()
    }

    /// The entries shown (oldest first, as in the file); read by tests.
    pub fn entries(&self) -> &[Entry] {
        match &self.journal {
            Some(Ok(parsed)) => &parsed.entries,
            _ => &[],
        }
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
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(LOADING);
                        });
                        return;
                    }
                    Some(Ok(parsed)) => parsed,
                    Some(Err(error)) => {
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
                                        if self.reverter.can_revert(entry) {
                                            if ui.button(REVERT_BUTTON).clicked() {
                                                action = Some(HistoryAction::Revert(entry.clone()));
                                            }
                                        } else if crate::history::inverse(entry).is_some() {
                                            ui.weak(REVERT_ELSEWHERE);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Change, PropertyChange};

    fn save(actor_id: &str, connection: &str, object_id: &str) -> Entry {
        Entry {
            at_ms: 1,
            actor: "admin@example.com".into(),
            actor_id: actor_id.into(),
            connection: connection.into(),
            object_id: object_id.into(),
            record: String::new(),
            change: Change::Saved {
                changes: [(
                    "name".to_owned(),
                    PropertyChange {
                        old: serde_json::json!("Bob"),
                        new: serde_json::json!("Robert"),
                    },
                )]
                .into(),
            },
        }
    }

    #[test]
    fn only_saves_the_user_made_on_this_connection_can_be_reverted() {
        let admin = Reverter {
            object_id: "A1".into(),
            connection: "local-demo".into(),
        };
        assert!(
            admin.can_revert(&save("A1", "local-demo", "A1")),
            "own record"
        );
        assert!(
            admin.can_revert(&save("A1", "local-demo", "B2")),
            "another's, as admin"
        );
        assert!(
            !admin.can_revert(&save("C3", "local-demo", "B2")),
            "someone else's save"
        );
        assert!(
            !admin.can_revert(&save("A1", "custom:x", "B2")),
            "another connection"
        );
        let status = Entry {
            change: Change::StatusChanged {
                enabled: false,
                old_status: Some("ENABLED".into()),
            },
            ..save("A1", "local-demo", "B2")
        };
        assert!(!admin.can_revert(&status), "not a save");
        assert!(
            !Reverter::default().can_revert(&save("", "", "B2")),
            "logged out"
        );
    }
}
