//! The History window's wiring: opened from the top bar's "More" menu, it reads the journal
//! (`app::history`, a bounded file) when it opens, exports it where the user says, and turns "Revert this
//! change" into pending edits of the own editor, which then go through the normal review, re-read and
//! conflict check when saved.

use crate::app::App;
use crate::ui::history::{HistoryAction, HistoryWindow};

/// The export's default file name in the data dir.
pub const EXPORT_FILE: &str = "history-export.json";

impl App {
    /// Opens the History window on the journal as it is now.
    pub(super) fn open_history(&mut self) {
        let journal = super::history::load(&self.data_dir)
            .map_err(|error| format!("The history cannot be read: {error}"));
        let own = self
            .state
            .session()
            .map(|session| session.object_id.clone())
            .unwrap_or_default();
        self.history = Some(HistoryWindow::new(
            journal,
            self.data_dir.join(EXPORT_FILE),
            own,
        ));
    }

    /// Draws the History window when it is open and does what it asks.
    pub(super) fn history_window_ui(&mut self, ctx: &egui::Context) {
        let Some(window) = &mut self.history else {
            return;
        };
        let message = match window.ui(ctx) {
            None => return,
            Some(HistoryAction::Close) => {
                self.history = None;
                return;
            }
            Some(HistoryAction::Export(path)) => {
                if path.as_os_str().is_empty() {
                    "Type where to write the history first.".to_owned()
                } else {
                    match super::history::export(&self.data_dir, &path) {
                        Ok(count) => format!("{count} changes written to {}.", path.display()),
                        Err(error) => format!("Could not write {}: {error}", path.display()),
                    }
                }
            }
            Some(HistoryAction::Revert(entry)) => self.revert(&entry),
        };
        if let Some(window) = &mut self.history
            && !message.is_empty()
        {
            window.message = Some(message);
        }
    }

    /// Puts the inverse of `entry` (a save of the own record) into the own editor as pending edits and
    /// closes the window (the editor says what is pending); otherwise says why not, for the window.
    fn revert(&mut self, entry: &crate::history::Entry) -> String {
        let own = self
            .state
            .session()
            .map(|session| session.object_id.clone());
        if own.as_deref() != Some(entry.object_id.as_str()) {
            return crate::ui::history::REVERT_ELSEWHERE.to_owned();
        }
        if self.record_editor.is_some() {
            return "Close the record you are editing first, then revert.".to_owned();
        }
        let Some(values) = crate::history::inverse(entry) else {
            return "This change cannot be reverted.".to_owned();
        };
        let Some(editor) = &mut self.editor else {
            return "Your profile is not open.".to_owned();
        };
        let values: Vec<(String, serde_json::Value)> = values.into_iter().collect();
        let applied = editor.apply_values(&values, |applied| {
            format!(
                "Reverting {}: review and save to put the old values back.",
                applied.join(", ")
            )
        });
        if applied.is_empty() {
            return "Nothing to revert: those properties can no longer be edited.".to_owned();
        }
        // The editor shows what is pending; the window would cover it.
        self.users.show_profile();
        self.history = None;
        String::new()
    }

    /// The History window, when open; read by tests.
    pub fn history_window(&self) -> Option<&HistoryWindow> {
        self.history.as_ref()
    }
}
