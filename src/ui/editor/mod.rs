//! The property-grid editor of the logged-in user: banner, toolbar, password change, add-property form,
//! the typed grid and the review before saving; undo/redo, the conflict window, the restore-draft banner
//! and JSON import/export. Draws an `EditSession` and returns `EditorAction`s; it never sends anything
//! itself.

mod add_property;
pub mod conflict;
mod field;
pub mod files;
mod grid;
mod review;
pub mod unsaved;

pub use field::CHANGE_PASSWORD_IN_EDITOR;

use egui::{Key, KeyboardShortcut, Modifiers, RichText};

use crate::backendless::error::ApiError;
use crate::model::diff::Changeset;
use crate::model::ids::ObjectId;
use crate::model::merge::merge;
use crate::model::record::UserRecord;
use crate::model::schema::Schema;
use crate::profile::draft::Draft;
use crate::profile::session::{EditSession, ErrorPlacement, SaveState};
use conflict::{ConflictOrigin, ConflictOutcome, ConflictState};
use files::{FileMode, FilesView};

/// Ctrl+S (Cmd+S on macOS): opens the review.
const SAVE_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);

/// Ctrl+Z: undo the last edit step.
const UNDO_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);

/// Ctrl+Shift+Z: redo.
const REDO_SHORTCUT: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);

/// Ctrl+Y: redo, as on Windows.
const REDO_SHORTCUT_Y: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);

/// The filter box's width in the toolbar.
const FILTER_WIDTH: f32 = 140.0;

/// The change count's slot in the toolbar, wide enough for "999 changes".
const CHANGE_COUNT_WIDTH: f32 = 90.0;

/// At most this many "Go to" links in the failed-save banner (the rest are counted).
const FIELD_ERROR_LINKS: usize = 8;

/// What the user asked the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorAction {
    /// Sent when the user confirms the review (or presses Retry): send `changes` for `object_id`.
    Save {
        /// The record being saved.
        object_id: ObjectId,
        /// Only the changed properties (and the password, if changed).
        changes: Changeset,
    },
    /// Sent when the user asks to reload the record from the server.
    Reload,
    /// Asks the app to log out. The view itself has no button for it (the app's top bar has "Log out");
    /// kept so the app has one action type for everything the editor screen can ask.
    Logout,
    /// Asks the app for the checked password change (current password first): the editor of one's own
    /// profile has no unchecked new-password fields (see [`PasswordChange`]).
    ChangePassword,
}

/// How the editor offers a password change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// One's own profile: a button that asks the app for the checked change (the current password is
    /// verified before the new one is sent); no new-password fields in the grid.
    Checked,
    /// An admin editing another user's record: the new password typed twice, sent with the other edits.
    Direct,
}

/// The editor view: one `EditSession` plus the purely visual state around it.
pub struct EditorView {
    /// Buffers, validation, save state and placed errors.
    session: EditSession,
    /// Who is being edited, shown in the toolbar (e.g. the email).
    identity_label: String,
    /// Filter box text; rows whose name does not contain it (case-insensitively) are hidden.
    filter: String,
    /// The add-property form buffers.
    add_form: add_property::AddPropertyForm,
    /// The changes being reviewed while the review window is open.
    review: Option<Changeset>,
    /// A short note next to the Save button ("Nothing to change", "Fix 2 fields first"); cleared on edit.
    notice: Option<String>,
    /// Properties changed here and on the server, waiting for the user's choices.
    conflict: Option<ConflictState>,
    /// The import/export window.
    files: FilesView,
    /// A draft from an earlier run, offered for restoring until the user restores or discards it.
    draft_offer: Option<Draft>,
    /// Counts restore/discard decisions, so the app notices one even when no buffer changed.
    draft_decisions: u64,
    /// The last save found the account deleted (3030): the banner offers the export of the edits.
    account_gone: bool,
    /// The read-only section's state and where to scroll next.
    grid: grid::GridState,
    /// What became of the offered draft ("Draft restored."): shown where the offer was, until dismissed, so
    /// nothing moves under the pointer after Restore or Discard.
    draft_outcome: Option<String>,
    /// The last save was refused at some fields: the banner names them until the user dismisses it or saves.
    field_errors_banner: bool,
    /// Frames the review has been shown; Enter confirms only from the second (the Enter or click that
    /// opened it must not also confirm it).
    review_frames: u32,
    /// How a password change is offered.
    password_change: PasswordChange,
}

impl EditorView {
    /// Opens the editor on `record`, typed by `schema`; `identity_label` names the user in the toolbar.
    pub fn new(schema: Schema, record: UserRecord, identity_label: String) -> Self {
        Self {
            session: EditSession::new(schema, record),
            identity_label,
            filter: String::new(),
            add_form: add_property::AddPropertyForm::default(),
            review: None,
            notice: None,
            conflict: None,
            files: FilesView::default(),
            draft_offer: None,
            draft_decisions: 0,
            account_gone: false,
            grid: grid::GridState::default(),
            draft_outcome: None,
            field_errors_banner: false,
            review_frames: 0,
            password_change: PasswordChange::Checked,
        }
    }

    /// The editor of another user's record (an admin's): the password can be set directly, typed twice.
    #[must_use]
    pub fn with_direct_password_change(mut self) -> Self {
        self.password_change = PasswordChange::Direct;
        self
    }

    /// Draws the editor; returns what the user asked for this frame, if anything.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<EditorAction> {
        let mut action = None;
        let modal_open = self.review.is_some() || self.conflict.is_some();
        if !modal_open {
            if ui.input_mut(|input| input.consume_shortcut(&SAVE_SHORTCUT)) {
                self.open_review();
            }
            // Redo first: Ctrl+Shift+Z also matches the Ctrl+Z shortcut (shift is not required absent).
            if ui.input_mut(|input| {
                input.consume_shortcut(&REDO_SHORTCUT) || input.consume_shortcut(&REDO_SHORTCUT_Y)
            }) {
                self.redo();
            } else if ui.input_mut(|input| input.consume_shortcut(&UNDO_SHORTCUT)) {
                self.undo();
            }
        }
        // The toolbar first and always in the same place: banners come and go below it.
        self.toolbar_ui(ui, &mut action);
        ui.separator();
        self.draft_banner_ui(ui);
        self.draft_outcome_ui(ui);
        self.banner_ui(ui, &mut action);
        self.field_errors_banner_ui(ui);
        let mut edited = match self.password_change {
            PasswordChange::Direct => field::password_ui(ui, &mut self.session),
            PasswordChange::Checked => {
                if field::checked_password_ui(ui, &self.session) {
                    action = Some(EditorAction::ChangePassword);
                }
                false
            }
        };
        edited |= self.add_form.ui(ui, &mut self.session);
        ui.separator();
        edited |= grid::grid_ui(ui, &mut self.session, &self.filter, &mut self.grid);
        if edited {
            self.notice = None;
        }
        if let Some(changes) = self.review.take() {
            let keys = self.review_frames > 0;
            self.review_frames += 1;
            match review::review_ui(ui.ctx(), &self.session, &changes, keys) {
                review::ReviewOutcome::Open => self.review = Some(changes),
                review::ReviewOutcome::Cancel => {}
                review::ReviewOutcome::Confirm => action = Some(self.start_save(changes)),
            }
        }
        if let Some(mut state) = self.conflict.take() {
            match conflict::conflict_ui(ui.ctx(), &self.session, &mut state) {
                ConflictOutcome::Open => self.conflict = Some(state),
                ConflictOutcome::Cancel => {
                    self.notice = Some("Not saved: the conflict is still open.".to_owned());
                }
                ConflictOutcome::Apply => {
                    let take_theirs = state.take_theirs();
                    self.session.rebase(state.merge.theirs, &take_theirs);
                    match state.origin {
                        ConflictOrigin::Save => action = self.resave(),
                        ConflictOrigin::Draft => {
                            self.notice = Some("Draft restored.".to_owned());
                        }
                    }
                }
            }
        }
        self.files.ui(ui.ctx(), &mut self.session);
        action
    }

    /// Undoes the last edit step (Ctrl+Z).
    pub fn undo(&mut self) {
        if self.session.undo() {
            self.notice = None;
        }
    }

    /// Redoes the last undone step (Ctrl+Shift+Z).
    pub fn redo(&mut self) {
        if self.session.redo() {
            self.notice = None;
        }
    }

    /// The worker re-read the record before writing and found it changed since it was loaded (`theirs`):
    /// nothing was written. Changes the server made to other properties are merged in; when both sides
    /// changed the same property, the conflict window asks. With nothing to ask, the merged changes are
    /// sent again at once (the returned action).
    pub fn save_conflicted(&mut self, theirs: UserRecord) -> Option<EditorAction> {
        self.session.end_save();
        let merged = merge(
            self.session.original(),
            &theirs,
            &self.session.parsed_changes(),
            self.session.schema(),
        );
        if merged.is_clean() {
            self.session.rebase(theirs, &[]);
            return self.resave();
        }
        self.conflict = Some(ConflictState::new(merged, ConflictOrigin::Save));
        None
    }

    /// The open conflict, if any; read by the app and by tests.
    pub fn conflict(&self) -> Option<&ConflictState> {
        self.conflict.as_ref()
    }

    /// Offers `draft` (pending edits of an earlier run) in a banner above the grid. A draft of another
    /// record, or an empty one, is not offered.
    pub fn offer_draft(&mut self, draft: Draft) {
        if draft.object_id == *self.session.original().object_id() && !draft.edits.is_empty() {
            self.draft_offer = Some(draft);
        }
    }

    /// The draft on offer, until the user restores or discards it.
    pub fn draft_offer(&self) -> Option<&Draft> {
        self.draft_offer.as_ref()
    }

    /// Changes whenever the draft on disk should be brought up to date (an edit, an undo, a save, a
    /// restore or a discard).
    pub fn draft_marker(&self) -> u64 {
        self.session.revision() + self.draft_decisions
    }

    /// Puts the offered draft's edits into the editor. A draft made against an older version of the
    /// record goes through the conflict window for every property the server changed too.
    pub fn restore_draft(&mut self) {
        let Some(draft) = self.draft_offer.take() else {
            return;
        };
        self.draft_decisions += 1;
        let skipped = self.session.restore_edits(&draft.edits);
        self.notice = Some(if skipped.is_empty() {
            "Draft restored.".to_owned()
        } else {
            format!("Draft restored, except: {}", skipped.join(", "))
        });
        if draft.base_updated == self.session.original().updated_ms() {
            return;
        }
        // The record the draft was made against: today's, with the old values of the edited properties.
        let mut base = self.session.original().clone();
        for edit in draft.edits.iter().filter(|edit| edit.new_kind.is_none()) {
            base.set(
                &edit.name,
                edit.base.clone().unwrap_or(serde_json::Value::Null),
            );
        }
        let merged = merge(
            &base,
            self.session.original(),
            &self.session.parsed_changes(),
            self.session.schema(),
        );
        if !merged.is_clean() {
            self.conflict = Some(ConflictState::new(merged, ConflictOrigin::Draft));
        }
    }

    /// Drops the offered draft (the app deletes the file when it sees the marker move).
    pub fn discard_draft(&mut self) {
        if self.draft_offer.take().is_some() {
            self.draft_decisions += 1;
        }
    }

    /// Sets `values` as pending edits, as ONE undo step, as an import does (History's "Revert this
    /// change"), and shows `notice` when any was applied; returns the names applied.
    pub fn apply_values(
        &mut self,
        values: &[(String, serde_json::Value)],
        notice: impl FnOnce(&[String]) -> String,
    ) -> Vec<String> {
        let applied = self.session.import_values(values);
        if !applied.is_empty() {
            self.notice = Some(notice(&applied));
        }
        applied
    }

    /// Opens the import/export window.
    pub fn open_files(&mut self, mode: FileMode) {
        self.files.open(mode);
    }

    /// The import/export window writes and reads its files through `disk` (off the UI thread).
    pub fn set_disk(&mut self, disk: &crate::app::disk::DiskHandle) {
        self.files.set_disk(disk);
    }

    /// Imports `path` as the window's Import does (for tests without a harness).
    #[cfg(test)]
    pub fn import_file_for_test(&mut self, path: &std::path::Path) {
        self.files.open(FileMode::Import);
        self.files.path = path.display().to_string();
        self.files.run(&mut self.session);
    }

    /// The import/export window; read by tests (`test-hooks` feature only).
    #[cfg(feature = "test-hooks")]
    pub fn files(&self) -> &FilesView {
        &self.files
    }

    /// Sends what is pending after a merge, if anything.
    fn resave(&mut self) -> Option<EditorAction> {
        match self.session.changeset() {
            Ok(changes) if changes.is_empty() => {
                self.notice = Some("Nothing left to save: the server already has it.".to_owned());
                None
            }
            Ok(changes) => Some(self.start_save(changes)),
            Err(problems) => {
                let names: Vec<&str> = problems.iter().map(|(name, _)| name.as_str()).collect();
                self.notice = Some(format!("Fix before saving: {}", names.join(", ")));
                None
            }
        }
    }

    /// Whether the review or the conflict window is open, or a save is in flight.
    pub fn is_busy(&self) -> bool {
        self.review.is_some() || self.conflict.is_some() || self.session.is_saving()
    }

    /// Opens the review as Ctrl+S does (for the app's "Save" answer to the unsaved-changes question).
    pub fn request_save(&mut self) {
        self.open_review();
    }

    /// The banner offering a draft of an earlier run.
    fn draft_banner_ui(&mut self, ui: &mut egui::Ui) {
        let Some(draft) = &self.draft_offer else {
            return;
        };
        let names: Vec<&str> = draft.edits.iter().map(|edit| edit.name.as_str()).collect();
        let when = crate::model::value::format_datetime_local(draft.saved_at_ms);
        let mut restore = false;
        let mut discard = false;
        egui::Frame::new()
            .fill(ui.visuals().selection.bg_fill.gamma_multiply(0.25))
            .stroke(egui::Stroke::new(1.0, ui.visuals().selection.bg_fill))
            .inner_margin(6.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("Unsaved changes found:").strong());
                    ui.label(format!("{} (from {when}).", names.join(", ")));
                    restore = ui.button("Restore changes").clicked();
                    discard = ui.button("Discard draft").clicked();
                });
            });
        if restore {
            self.restore_draft();
            // Said here, where the offer was, rather than also in the toolbar.
            self.draft_outcome = Some(
                self.notice
                    .take()
                    .unwrap_or_else(|| "Draft restored.".to_owned()),
            );
        } else if discard {
            self.discard_draft();
            self.draft_outcome = Some("Draft discarded.".to_owned());
        }
    }

    /// Where the draft offer was: what became of it, until dismissed (so nothing moves after the click).
    fn draft_outcome_ui(&mut self, ui: &mut egui::Ui) {
        let Some(outcome) = &self.draft_outcome else {
            return;
        };
        let mut dismiss = false;
        egui::Frame::new()
            .fill(ui.visuals().selection.bg_fill.gamma_multiply(0.25))
            .stroke(egui::Stroke::new(1.0, ui.visuals().selection.bg_fill))
            .inner_margin(6.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(outcome).strong());
                    dismiss = ui.button("OK").clicked();
                });
            });
        if dismiss {
            self.draft_outcome = None;
        }
    }

    /// The fields the last save was refused at, or that do not parse, in the order the editor shows them
    /// (the password above the grid first, then schema order, then added properties).
    fn fields_needing_attention(&self) -> Vec<String> {
        let session = &self.session;
        let mut names: Vec<String> = Vec::new();
        let mut push = |name: &str| {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        };
        if session
            .server_error(crate::profile::session::PASSWORD_FIELD)
            .is_some()
        {
            push(crate::profile::session::PASSWORD_FIELD);
        }
        for property in session.schema().properties() {
            let name = property.name.as_str();
            let local = session
                .field(name)
                .is_some_and(|field| field.problem().is_some());
            if name != crate::profile::session::PASSWORD_FIELD
                && (local || session.server_error(name).is_some())
            {
                push(name);
            }
        }
        for added in session.new_properties() {
            if added.problem().is_some() || session.server_error(&added.name).is_some() {
                push(&added.name);
            }
        }
        names
    }

    /// Brings `name` into view in the next frame (clearing a filter that hides it).
    fn jump_to(&mut self, name: Option<&str>) {
        let Some(name) = name else {
            return;
        };
        if name == crate::profile::session::PASSWORD_FIELD {
            return; // above the grid, always in view
        }
        if !name
            .to_lowercase()
            .contains(&self.filter.trim().to_lowercase())
        {
            self.filter.clear();
        }
        let read_only =
            self.session.schema().get(name).is_some() && !self.session.is_editable(name);
        if read_only {
            self.grid.read_only_collapsed = false;
        }
        self.grid.scroll_to = Some(name.to_owned());
    }

    /// After a save refused at fields: "Not saved: 2 fields need attention", a button per field that
    /// scrolls to it, and Dismiss. Stays (saying the fields are fixed) until dismissed or saved, so it does
    /// not vanish under the pointer.
    fn field_errors_banner_ui(&mut self, ui: &mut egui::Ui) {
        if !self.field_errors_banner {
            return;
        }
        let names = self.fields_needing_attention();
        let mut jump = None;
        let mut dismiss = false;
        crate::ui::theme::error_banner_frame(ui.visuals()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    RichText::new("Not saved:").strong(),
                );
                ui.label(match names.len() {
                    0 => "the fields are fixed; review and save again.".to_owned(),
                    1 => "1 field needs attention:".to_owned(),
                    n => format!("{n} fields need attention:"),
                });
                for name in names.iter().take(FIELD_ERROR_LINKS) {
                    if ui
                        .link(name)
                        .on_hover_text(format!("Scroll to {name}"))
                        .accessible_name(format!("Go to {name}"))
                        .clicked()
                    {
                        jump = Some(name.clone());
                    }
                }
                if names.len() > FIELD_ERROR_LINKS {
                    ui.label(format!("and {} more", names.len() - FIELD_ERROR_LINKS));
                }
                dismiss = ui.button("Dismiss").clicked();
            });
        });
        if let Some(name) = jump {
            self.jump_to(Some(&name));
        }
        if dismiss {
            self.field_errors_banner = false;
        }
    }

    /// Draws the grid inactive (under the re-login prompt): everything shows, nothing reacts, no shortcut
    /// is taken.
    pub fn inactive_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_enabled_ui(false, |ui| {
            ui.strong(&self.identity_label);
            ui.separator();
            grid::grid_ui(ui, &mut self.session, &self.filter, &mut self.grid);
        });
    }

    /// The app handed the save to the worker as `request`.
    pub fn save_started(&mut self, request: u64) {
        self.session.save_started(request);
    }

    /// The server saved; `record` is the new baseline.
    pub fn save_succeeded(&mut self, record: UserRecord) {
        self.account_gone = false;
        self.field_errors_banner = false;
        self.session.apply_saved(record);
        self.notice = Some("Saved.".to_owned());
    }

    /// The save failed; the error is shown at its fields or in the banner. Edits are kept.
    pub fn save_failed(&mut self, error: &ApiError) {
        let sent = match self.session.save_state() {
            SaveState::Saving { changes, .. } => changes.clone(),
            SaveState::Idle => self.session.retry_changes().cloned().unwrap_or_default(),
        };
        let placement = self.session.apply_save_error(error, &sent);
        // Nothing is retried: the edits stay, and the banner offers to export them.
        self.account_gone = matches!(error, ApiError::UserNotFound { .. });
        // Errors at fields get a banner naming them, and the first one is scrolled into view.
        self.field_errors_banner = matches!(placement, ErrorPlacement::Fields(_));
        if self.field_errors_banner {
            let first = self.fields_needing_attention().into_iter().next();
            self.jump_to(first.as_deref());
        }
    }

    /// The app says the session is back after it ended (the same user logged in again): nothing about its
    /// end shows any more. Whether a session ended is the app's (`AppState`'s) decision, not the editor's.
    pub fn session_resumed(&mut self) {
        self.session.session_resumed();
    }

    /// Whether closing the editor would lose edits.
    pub fn has_pending_edits(&self) -> bool {
        self.session.has_pending_edits()
    }

    /// The edit session (buffers, errors, save state); read by the app and by tests.
    pub fn session(&self) -> &EditSession {
        &self.session
    }

    /// The save to re-send after the user logged in again (the session ended during a save).
    pub fn retry_action(&mut self) -> Option<EditorAction> {
        let changes = self.session.retry_changes()?.clone();
        Some(self.start_save(changes))
    }

    // --------------------------------------------------------------------------------------------

    /// Opens the review, or says why it cannot open.
    fn open_review(&mut self) {
        if self.session.is_saving() || self.review.is_some() {
            return;
        }
        match self.session.changeset() {
            Ok(changes) if changes.is_empty() => self.notice = Some("Nothing to save.".to_owned()),
            Ok(changes) => {
                self.notice = None;
                self.review = Some(changes);
                self.review_frames = 0;
            }
            Err(problems) => {
                let names: Vec<&str> = problems.iter().map(|(name, _)| name.as_str()).collect();
                self.notice = Some(format!("Fix before saving: {}", names.join(", ")));
                self.jump_to(names.first().copied());
            }
        }
    }

    /// Marks `changes` as in flight and builds the action that sends them.
    fn start_save(&mut self, changes: Changeset) -> EditorAction {
        let object_id = self.session.original().object_id().clone();
        self.session.begin_save(changes.clone());
        self.notice = None;
        EditorAction::Save { object_id, changes }
    }

    /// The banner above the grid (3029, 3030, 3024 without a field, network failures, ended sessions).
    fn banner_ui(&mut self, ui: &mut egui::Ui, action: &mut Option<EditorAction>) {
        let Some(banner) = self.session.banner().cloned() else {
            return;
        };
        let saving = self.session.is_saving();
        crate::ui::theme::error_banner_frame(ui.visuals()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    RichText::new("Not saved:").strong(),
                );
                ui.label(&banner.message);
                if self.account_gone && ui.button("Export my changes…").clicked() {
                    self.files.open(FileMode::ExportWithChanges);
                }
                if banner.retryable
                    && ui
                        .add_enabled(!saving, egui::Button::new("Retry"))
                        .clicked()
                {
                    *action = self.retry_action();
                }
                if ui.button("Dismiss").clicked() {
                    self.session.dismiss_banner();
                }
            });
        });
    }

    /// Who is edited, the filter, the change count and the buttons, in two rows that never wrap, so no
    /// control moves between frames: the first has who is edited and the status ("Saving…", notices,
    /// truncated when long) on the left and the file actions on the right; the second the filter, the
    /// change count (in a slot of fixed width) and the edit actions.
    fn toolbar_ui(&mut self, ui: &mut egui::Ui, action: &mut Option<EditorAction>) {
        let saving = self.session.is_saving();
        egui::containers::Sides::new()
            .shrink_left()
            .truncate()
            .show(
                ui,
                |ui| {
                    ui.strong(&self.identity_label);
                    if saving {
                        ui.spinner();
                        ui.label("Saving…");
                    }
                    if let Some(notice) = &self.notice {
                        ui.weak(notice).on_hover_text(notice);
                    }
                },
                |ui| {
                    // Right to left.
                    if ui.button("Import JSON…").clicked() {
                        self.files.open(FileMode::Import);
                    }
                    if ui.button("Export JSON…").clicked() {
                        self.files.open(FileMode::Export);
                    }
                    if ui
                        .add_enabled(!saving, egui::Button::new("Reload"))
                        .clicked()
                    {
                        *action = Some(EditorAction::Reload);
                    }
                },
            );
        ui.horizontal(|ui| {
            let filter_label = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("property name")
                    .desired_width(FILTER_WIDTH),
            )
            .labelled_by(filter_label.id);
            ui.separator();
            let count = self.session.dirty_count();
            let count_text = match count {
                0 => "No changes".to_owned(),
                1 => "1 change".to_owned(),
                n => format!("{n} changes"),
            };
            // A fixed slot: "No changes" → "12 changes" must not push the buttons.
            ui.add_sized(
                [CHANGE_COUNT_WIDTH, ui.spacing().interact_size.y],
                egui::Label::new(count_text).truncate(),
            );
            if ui
                .add_enabled(count > 0, egui::Button::new("Revert all"))
                .clicked()
            {
                self.session.revert_all();
                self.notice = None;
            }
            if ui
                .add_enabled(self.session.can_undo(), egui::Button::new("Undo"))
                .on_hover_text(ui.ctx().format_shortcut(&UNDO_SHORTCUT))
                .clicked()
            {
                self.undo();
            }
            if ui
                .add_enabled(self.session.can_redo(), egui::Button::new("Redo"))
                .on_hover_text(ui.ctx().format_shortcut(&REDO_SHORTCUT))
                .clicked()
            {
                self.redo();
            }
            let save = ui
                .add_enabled(!saving && count > 0, egui::Button::new("Review & save…"))
                .on_hover_text(format!(
                    "Review the changes, then send them ({})",
                    ui.ctx().format_shortcut(&SAVE_SHORTCUT)
                ));
            if save.clicked() {
                self.open_review();
            }
        });
    }
}
