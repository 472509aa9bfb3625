//! The History window's wiring: opened from the top bar's "More" menu, it has the journal (`app::history`,
//! a bounded file) read by the disk worker when it opens (the window shows "Loading…" until then), exports
//! it where the user says (read, then written, by the disk worker), and turns "Revert this change" into
//! pending edits, which then go through the normal review, re-read and conflict check when saved: of the
//! own editor for a save of one's own record; for an admin's save of another user's record, of the record
//! editor, opened on the record as read again from the server (as Users ▸ "Edit record" does). When that
//! read says the record is gone or the user is no admin any more, the window says so and nothing is sent.

use std::io;
use std::path::{Path, PathBuf};

use crate::app::App;
use crate::app::disk::{DiskDone, Purpose};
use crate::app::users::{UsersAnswer, UsersRequest};
use crate::backendless::codes;
use crate::model::ids::ObjectId;
use crate::ui::history::{HistoryAction, HistoryWindow, REVERT_NOT_ADMIN, Reverter};
use crate::users_admin::requests::Ticket;

/// The export's default file name in the data dir.
pub const EXPORT_FILE: &str = "history-export.json";

/// An admin's revert of another user's record, waiting for the record to be read again.
#[derive(Debug, Clone)]
pub(super) struct RevertRead {
    /// The read's ticket: the app's own ([`Ticket::for_app`]), so the Users view never takes its answer.
    ticket: Ticket,
    /// Who asked, on which connection: an answer arriving after a logout or another login is dropped.
    asked_by: Reverter,
    /// The record's name as the journal has it, for the messages.
    record: String,
    /// The entry's old values: the pending edits once the record is open.
    values: Vec<(String, serde_json::Value)>,
}

impl App {
    /// Opens the History window at once; the journal, as it is now, fills it when the disk worker has
    /// read it.
    pub(super) fn open_history(&mut self) {
        self.history = Some(HistoryWindow::loading(
            self.data_dir.join(EXPORT_FILE),
            self.reverter(),
        ));
        self.disk
            .handle()
            .read(Purpose::HistoryLoad, super::history::path(&self.data_dir));
    }

    /// The journal was read for the window (if it is still open).
    pub(super) fn history_read(&mut self, read: io::Result<DiskDone>) {
        let Some(window) = &mut self.history else {
            return;
        };
        let journal = super::history::parse_read(read.map(read_bytes))
            .map_err(|error| format!("The history cannot be read: {error}"));
        window.loaded(journal);
    }

    /// The journal was read to be exported to `to`: it is written there (owner-only, atomically).
    pub(super) fn history_export_read(&mut self, to: PathBuf, read: io::Result<DiskDone>) {
        let encoded = super::history::parse_read(read.map(read_bytes)).and_then(|parsed| {
            super::history::export_json(&parsed).map(|json| (parsed.entries.len(), json))
        });
        match encoded {
            Ok((count, json)) => {
                self.disk
                    .handle()
                    .write(Purpose::HistoryExport(count), to, json);
            }
            Err(error) => self.history_message(format!("Could not read the history: {error}")),
        }
    }

    /// The export of `count` changes to `to` was written (or not).
    pub(super) fn history_exported(
        &mut self,
        count: usize,
        to: &Path,
        written: io::Result<DiskDone>,
    ) {
        self.history_message(match written {
            Ok(_) => format!("{count} changes written to {}.", to.display()),
            Err(error) => format!("Could not write {}: {error}", to.display()),
        });
    }

    /// Shows `message` in the History window, if it is still open.
    fn history_message(&mut self, message: String) {
        if let Some(window) = &mut self.history {
            window.message = Some(message);
        }
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
                    // The journal as it is now (it may have grown since the window opened).
                    self.disk.handle().read(
                        Purpose::HistoryExportRead(path.clone()),
                        super::history::path(&self.data_dir),
                    );
                    format!("Writing {}…", path.display())
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

    /// Puts the inverse of `entry` into the editor of its record as pending edits: at once into the own
    /// editor for a save of one's own record (the window closes, the editor says what is pending); for an
    /// admin's save of another user's record, the record is read again first ([`App::revert_read`]
    /// goes on). Otherwise says why not, for the window.
    fn revert(&mut self, entry: &crate::history::Entry) -> String {
        let reverter = self.reverter();
        if !reverter.can_revert(entry) {
            return crate::ui::history::REVERT_ELSEWHERE.to_owned();
        }
        let Some(values) = crate::history::inverse(entry) else {
            return "This change cannot be reverted.".to_owned();
        };
        let values: Vec<(String, serde_json::Value)> = values.into_iter().collect();
        if entry.object_id != reverter.object_id {
            return self.revert_other(entry, values);
        }
        if self.record_editor.is_some() {
            return "Close the record you are editing first, then revert.".to_owned();
        }
        let Some(editor) = &mut self.editor else {
            return "Your profile is not open.".to_owned();
        };
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

    /// An admin's save of another user's record: the record is read again (its answer comes to
    /// [`App::revert_read`]); nothing is sent when the user is no admin.
    fn revert_other(
        &mut self,
        entry: &crate::history::Entry,
        values: Vec<(String, serde_json::Value)>,
    ) -> String {
        if !self.users.is_admin() {
            return REVERT_NOT_ADMIN.to_owned();
        }
        if self
            .record_editor
            .as_ref()
            .is_some_and(|editor| editor.editor().has_pending_edits())
        {
            return "Save or discard the record you are editing first, then revert.".to_owned();
        }
        let Ok(object_id) = entry.object_id.parse::<ObjectId>() else {
            return "This change names no valid record.".to_owned();
        };
        let record = if entry.record.is_empty() {
            entry.object_id.clone()
        } else {
            entry.record.clone()
        };
        let ticket = Ticket::for_app(self.state.next_request_id().0);
        self.revert_read = Some(RevertRead {
            ticket,
            asked_by: self.reverter(),
            record: record.clone(),
            values,
        });
        self.send_users_request(UsersRequest::Record { ticket, object_id });
        format!("Reading {record} again from the server…")
    }

    /// Takes the answer to the read before an admin's revert and returns anything else. The record read
    /// opens in the record editor (in the Users view) with the old values pending and the window closes;
    /// a record that is gone, or a refusal (no admin any more), is said in the window and nothing is sent.
    pub(super) fn revert_read(&mut self, answer: UsersAnswer) -> Option<UsersAnswer> {
        let ours = matches!(
            (&answer, &self.revert_read),
            (UsersAnswer::Record { ticket, .. }, Some(read)) if *ticket == read.ticket
        );
        if !ours {
            return Some(answer);
        }
        let (Some(read), UsersAnswer::Record { result, .. }) = (self.revert_read.take(), answer)
        else {
            return None;
        };
        if read.asked_by != self.reverter() {
            // The session that asked has ended: nothing opens for whoever is logged in now.
            return None;
        }
        let record = read.record;
        let message = match result {
            Ok(fresh) => {
                if self
                    .record_editor
                    .as_ref()
                    .is_some_and(|editor| editor.editor().has_pending_edits())
                {
                    "Save or discard the record you are editing first, then revert.".to_owned()
                } else {
                    self.open_record_editor(fresh);
                    let applied = self.record_editor.as_mut().map(|editor| {
                        editor.apply_revert(&read.values, |applied| {
                            format!(
                                "Reverting {}: review and save to put the old values back.",
                                applied.join(", ")
                            )
                        })
                    });
                    match applied {
                        None => "The record cannot be opened here.".to_owned(),
                        Some(applied) if applied.is_empty() => {
                            "Nothing to revert: those properties can no longer be edited."
                                .to_owned()
                        }
                        Some(_) => {
                            // The record editor shows what is pending; the window would cover it.
                            self.users.show_users();
                            self.history = None;
                            return None;
                        }
                    }
                }
            }
            Err(error) => match error.code() {
                Some(codes::ENTITY_NOT_FOUND | codes::USER_NOT_FOUND) => {
                    format!(
                        "{record} no longer exists (deleted): nothing to revert. Nothing was sent."
                    )
                }
                Some(codes::NO_PERMISSION_TO_FIND | codes::NOT_YOUR_RECORD) => {
                    REVERT_NOT_ADMIN.to_owned()
                }
                _ => format!("Could not read {record} again: {error} Nothing was sent."),
            },
        };
        self.history_message(message);
        None
    }

    /// The logged-in user and the connection (empty when logged out: nothing can be reverted then).
    fn reverter(&self) -> Reverter {
        self.state
            .session()
            .map(|session| Reverter {
                object_id: session.object_id.to_string(),
                connection: session.connection.key(),
            })
            .unwrap_or_default()
    }

    /// The History window, when open; read by tests.
    pub fn history_window(&self) -> Option<&HistoryWindow> {
        self.history.as_ref()
    }
}

/// The bytes of a read (a write or removal has none).
fn read_bytes(done: DiskDone) -> Vec<u8> {
    match done {
        DiskDone::Read { bytes, .. } => bytes,
        DiskDone::Written | DiskDone::Removed => Vec::new(),
    }
}
