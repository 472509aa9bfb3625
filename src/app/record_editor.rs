//! An admin editing another user's record from the Users view: the same `EditorView` (and so the same
//! `EditSession`, review, conflict window, inline errors and undo) as one's own profile, opened on the
//! record chosen in the inspector, with its own draft (keyed by the admin, the connection and the record's
//! objectId, so it never mixes with the admin's own) and its own save in flight. Draws a "Back to users" bar
//! above the editor and asks before leaving with unsaved edits; the app sends the saves.

use std::path::PathBuf;

use crate::app::drafts::DraftKeeper;
use crate::app::leave::{Answer, SaveFirst, Step};
use crate::app::messages::{RequestId, WorkerEvent};
use crate::model::diff::Changeset;
use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;
use crate::model::schema::Schema;
use crate::profile::draft;
use crate::ui::editor::unsaved::{UnsavedChoice, unsaved_changes_ui};
use crate::ui::editor::{EditorAction, EditorView};

/// What the app does after the record editor's frame.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordOutcome {
    /// Send `changes` for `object_id` (re-read first; only if its `updated` is still `base_updated`).
    Save {
        /// The edited record.
        object_id: ObjectId,
        /// `updated` of the record the edits were made against.
        base_updated: Option<i64>,
        /// Only the changed properties.
        changes: Changeset,
    },
    /// The admin went back to the Users table (the draft is up to date or discarded).
    Closed,
    /// Read the record again and open it afresh (nothing is pending, or the edits were discarded).
    Reload,
}

/// What the unsaved-changes question was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaving {
    /// "Back to users".
    Back,
    /// "Reload".
    Reload,
}

/// One other user's record open for editing.
pub struct RecordEditor {
    /// The typed grid and everything around it.
    editor: EditorView,
    /// The record's objectId.
    object_id: ObjectId,
    /// The record's own draft.
    drafts: DraftKeeper,
    /// The save in flight, so its answer comes here and not to the own-profile editor.
    save: Option<RequestId>,
    /// "Back to users" or "Reload" was pressed with unsaved edits: the question, and what waits for the save
    /// the admin chose in it (the same pure logic as the app's own unsaved-changes question).
    leaving: SaveFirst<Leaving>,
}

impl RecordEditor {
    /// Opens `record` (typed by `schema`) for `admin` on `connection_key`, with drafts under `data_dir`
    /// written through `disk`; offers this record's draft of an earlier run, if there is one, once the disk
    /// worker has read it (the editor is usable at once).
    pub fn open(
        schema: Schema,
        record: UserRecord,
        data_dir: PathBuf,
        disk: &crate::app::disk::DiskHandle,
        connection_key: &str,
        admin: &str,
    ) -> Self {
        let object_id = record.object_id().clone();
        let who = schema
            .identity()
            .and_then(|property| record.get(&property.name))
            .and_then(|value| value.as_str())
            .map_or_else(|| object_id.to_string(), str::to_owned);
        let mut editor =
            EditorView::new(schema, record, format!("Editing {who}")).with_direct_password_change();
        editor.set_disk(disk);
        let mut drafts = DraftKeeper::new(data_dir, disk.clone());
        drafts.opened(
            &mut editor,
            connection_key,
            &draft::record_owner(admin, &object_id),
        );
        Self {
            editor,
            object_id,
            drafts,
            save: None,
            leaving: SaveFirst::default(),
        }
    }

    /// The edited record's objectId.
    pub fn object_id(&self) -> &ObjectId {
        &self.object_id
    }

    /// The editor view; read by the app and by tests.
    pub fn editor(&self) -> &EditorView {
        &self.editor
    }

    /// Sets `values` as pending edits in one undo step (History's "Revert this change" of an admin's save)
    /// and shows `notice` when any was applied; returns the names applied.
    pub fn apply_revert(
        &mut self,
        values: &[(String, serde_json::Value)],
        notice: impl FnOnce(&[String]) -> String,
    ) -> Vec<String> {
        self.editor.apply_values(values, notice)
    }

    /// Draws the bar and the editor; returns what the app should do.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<RecordOutcome> {
        let mut outcome = None;
        ui.horizontal(|ui| {
            let saving = self.editor.session().is_saving();
            if ui
                .add_enabled(!saving, egui::Button::new("⬅ Back to users"))
                .clicked()
            {
                if self.editor.has_pending_edits() {
                    self.leaving.ask(Leaving::Back);
                } else {
                    outcome = Some(self.close());
                }
            }
            ui.weak(format!("Another user's record ({})", self.object_id));
        });
        ui.separator();
        match self.editor.ui(ui) {
            Some(EditorAction::Save { object_id, changes }) => {
                outcome = Some(self.save_outcome(object_id, changes));
            }
            Some(EditorAction::Reload) if self.editor.has_pending_edits() => {
                self.leaving.ask(Leaving::Reload);
            }
            Some(EditorAction::Reload) => outcome = Some(RecordOutcome::Reload),
            // The editor has no logout of its own; the app's top bar has it.
            Some(EditorAction::Logout | EditorAction::ChangePassword) | None => {}
        }
        if let Some(leaving) = self.leaving.asking() {
            let count = self.editor.session().dirty_count();
            let doing = match leaving {
                Leaving::Back => "go back to the users",
                Leaving::Reload => "reload the record",
            };
            let answer =
                unsaved_changes_ui(ui.ctx(), doing, count, true).map(|choice| match choice {
                    UnsavedChoice::Save => Answer::Save,
                    UnsavedChoice::Discard => Answer::Discard,
                    UnsavedChoice::Cancel => Answer::Cancel,
                });
            match answer.map(|answer| self.leaving.answer(answer)) {
                Some(Step::ReviewSave) => self.editor.request_save(),
                Some(Step::Go(leaving)) => {
                    self.drafts.discard();
                    outcome = Some(match leaving {
                        Leaving::Back => RecordOutcome::Closed,
                        Leaving::Reload => RecordOutcome::Reload,
                    });
                }
                Some(Step::Stay) | None => {}
            }
        }
        // A "Save first" whose review was cancelled is forgotten.
        if self.leaving.waits_for_save() && !self.editor.is_busy() && self.save.is_none() {
            self.leaving.forget_save();
        }
        self.drafts.tick(&self.editor, ui.ctx());
        outcome
    }

    /// The app handed the save to the worker as `id`.
    pub fn save_sent(&mut self, id: RequestId) {
        self.save = Some(id);
        self.editor.save_started(id.0);
    }

    /// Whether `event` answers this editor's save (and so goes to [`RecordEditor::answer`], not to the
    /// own-profile editor).
    pub fn awaits(&self, event: &WorkerEvent) -> bool {
        match event {
            WorkerEvent::Saved { id, .. }
            | WorkerEvent::SaveConflict { id, .. }
            | WorkerEvent::SaveFailed { id, .. } => self.save == Some(*id),
            _ => false,
        }
    }

    /// Takes the worker's answer to this editor's save (see [`RecordEditor::awaits`]); anything else is
    /// ignored. A conflict without overlapping properties is merged and sent again at once (the returned
    /// outcome).
    pub fn answer(&mut self, event: WorkerEvent) -> Option<RecordOutcome> {
        if !self.awaits(&event) {
            return None;
        }
        self.save = None;
        match event {
            WorkerEvent::Saved { record, .. } => {
                self.editor.save_succeeded(record);
                self.drafts.flush(&self.editor);
                // After "Save" for a reload, the saved record is the server's own: nothing to read again.
                match self.leaving.saved(self.editor.has_pending_edits()) {
                    Some(Leaving::Back) => Some(self.close()),
                    Some(Leaving::Reload) | None => None,
                }
            }
            WorkerEvent::SaveConflict { theirs, .. } => {
                match self.editor.save_conflicted(theirs)? {
                    EditorAction::Save { object_id, changes } => {
                        Some(self.save_outcome(object_id, changes))
                    }
                    _ => None,
                }
            }
            WorkerEvent::SaveFailed { error, .. } => {
                self.leaving.forget_save();
                self.editor.save_failed(&error);
                None
            }
            _ => None,
        }
    }

    /// The app says the session is back (the admin logged in again): the editor drops its "session ended"
    /// banner; the refused edit stays pending for the admin to save again.
    pub fn session_resumed(&mut self) {
        self.editor.session_resumed();
    }

    /// Draws the editor inactive (under the re-login prompt): everything shows, nothing reacts.
    pub fn inactive_ui(&mut self, ui: &mut egui::Ui) {
        self.editor.inactive_ui(ui);
    }

    /// The disk worker answered the draft read `ticket`: offered here if it is this editor's (see
    /// [`DraftKeeper::read_answered`]); returns whether it was.
    pub fn draft_read(
        &mut self,
        ticket: u64,
        result: std::io::Result<crate::app::disk::DiskDone>,
    ) -> bool {
        self.drafts.read_answered(&mut self.editor, ticket, result)
    }

    /// Brings the draft up to date now (the window is closing).
    pub fn flush_draft(&mut self) {
        self.drafts.flush(&self.editor);
    }

    /// The editor closes (logout, another session): its draft is written one last time.
    pub fn closing(&mut self) {
        self.drafts.closing(&self.editor);
    }

    fn close(&mut self) -> RecordOutcome {
        self.drafts.closing(&self.editor);
        RecordOutcome::Closed
    }

    fn save_outcome(&self, object_id: ObjectId, changes: Changeset) -> RecordOutcome {
        RecordOutcome::Save {
            object_id,
            base_updated: self.editor.session().original().updated_ms(),
            changes,
        }
    }
}
