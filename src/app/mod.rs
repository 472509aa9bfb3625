//! The desktop app: `App` (eframe) routes between the starting, login and editor screens, drains worker
//! events into `AppState` in `logic`, draws in `ui`, and turns what the views return into worker commands.
//! It never awaits, never talks HTTP and never matches error codes itself (that is `state`).
//!
//! - [`state`]: the pure state machine; the one place that decides a session's end, the re-login and what
//!   follows it, and the unsaved-changes question (with [`leave`]).
//! - [`leave`]: the unsaved-changes question's state (logout, reload, close; "save first").
//! - [`messages`]: commands, events, request ids and the repainting event sender.
//! - [`worker`]: the tokio thread that does the I/O.
//! - [`settings`]: connections and the remembered session on disk.
//! - [`users`]: the worker's side of the admin's Users browser (runs its requests; the CloudCode key).
//! - [`drafts`]: the open editor's pending edits kept on disk, debounced.
//! - [`disk`]: the one disk worker; the UI thread never waits on a disk.
//! - [`history`]: the change journal on disk (`history.jsonl`), appended by the worker.
//! - [`record_editor`]: an admin editing another user's record (opened from the Users inspector).
//! - [`about`]: the About window's state, folders, diagnostics.
//! - [`launch`]: what the app prints when its window cannot open or it already runs.

pub mod about;
mod account;
pub mod disk;
pub mod drafts;
pub mod history;
mod history_window;
pub mod launch;
pub mod leave;
pub mod messages;
pub mod record_editor;
pub mod settings;
pub mod state;
pub mod users;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::backendless::client::Password;
use crate::cli::ConnectionArgs;
use crate::ui::connection::{ConnectionAction, ConnectionStatus, connection_ui};
use crate::ui::editor::{EditorAction, EditorView};
use crate::ui::login::{LoginAction, LoginStatus, LoginView};
use crate::ui::theme;
use messages::WorkerEvent;
use settings::{Connection, ConnectionKind, RememberedSession, Settings};
use state::{AppState, Effect, LocalServer, Screen};
use worker::{WorkerDirs, WorkerHandle};

/// The top bar's menu of rarely used actions (Change password…, About).
pub const MORE_MENU: &str = "More";
/// The About item in [`MORE_MENU`].
pub const ABOUT_BUTTON: &str = "About";

/// How to build an [`App`]: the connection flags and the directories it may write to. Tests pass temp dirs.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// `--server`, `--app-id`, `--api-key`: preselect a connection.
    pub connection: ConnectionArgs,
    /// Where `settings.json` and the remembered session live (the OS config dir in production).
    pub settings_dir: PathBuf,
    /// Where the Local demo keeps its database, in the `emulator` sub-folder (the OS data dir in production).
    pub data_dir: PathBuf,
}

impl AppOptions {
    /// The OS config and data dirs of the app (via `directories`), with `connection` preselected.
    pub fn from_os_dirs(connection: ConnectionArgs) -> anyhow::Result<Self> {
        let dirs = crate::cli::project_dirs().context("cannot find the user's home directory")?;
        Ok(Self {
            connection,
            settings_dir: dirs.config_dir().to_owned(),
            data_dir: dirs.data_dir().to_owned(),
        })
    }
}

/// The eframe app. Owns the state machine, the views and the worker handle.
pub struct App {
    /// Screens, session, requests in flight and messages.
    state: AppState,
    /// The connections and the theme; saved when they change.
    settings: Settings,
    /// Where `settings` is saved.
    settings_dir: PathBuf,
    /// Commands go here. Dropping it ends and joins the worker thread; it is declared before `events` so the
    /// worker can still deliver its last answers while it stops.
    worker: WorkerHandle,
    /// Events from the worker, drained in `logic`.
    events: std::sync::mpsc::Receiver<WorkerEvent>,
    /// The login form's buffers; kept for the whole run, so nothing typed is lost.
    login: LoginView,
    /// The editor of the logged-in user; kept while a session ended, until the same user logs in again.
    editor: Option<EditorView>,
    /// The logo shown in the top bar and on the login card.
    logo: egui::TextureHandle,
    /// Whether the first usable screen (login or editor) has been drawn; for the launch-time log line.
    shown_ready: bool,
    /// The screen drawn last frame, to notice when the login screen comes back.
    last_screen: Screen,
    /// The admin's Users browser and the Profile/Users switch; reset for every new session.
    users: users::UsersScreen,
    /// Writes the editor's pending edits to the data dir as a draft, debounced.
    drafts: drafts::DraftKeeper,
    /// Every file write, removal and read of the UI goes through it (`disk`); its answers are drained in
    /// `logic`.
    disk: disk::DiskWorker,
    /// A write that failed (settings, a draft): shown until dismissed or the same kind of write succeeds.
    disk_notice: Option<disk::DiskNotice>,
    /// To send viewport commands (closing the window) outside of a frame's `ui`.
    egui_ctx: egui::Context,
    /// Sign up, forgot password (login screen) and the change-password dialog (`ui::account`).
    account: crate::ui::account::AccountViews,
    /// Where the Local demo's store and the drafts live (shown in About).
    data_dir: PathBuf,
    /// The About window, while it is open.
    about: Option<about::AboutWindow>,
    /// The History window (the change journal), while it is open.
    history: Option<crate::ui::history::HistoryWindow>,
    /// Another user's record an admin opened for editing from the Users view (shown in its place).
    record_editor: Option<record_editor::RecordEditor>,
    /// History's revert of another user's record, waiting for the record to be read again.
    revert_read: Option<history_window::RevertRead>,
}

/// When `run` was called; the launch time is measured from here (unset in tests).
static LAUNCHED_AT: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

impl App {
    /// Builds the app, starts its worker and, for the Local demo, the embedded emulator.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> anyhow::Result<Self> {
        let ctx = cc.egui_ctx.clone();
        let mut settings = Settings::load(&options.settings_dir);
        settings.apply_args(&options.connection);
        theme::apply(&ctx, settings.theme);
        // After eframe's system fonts: the bundled per-script fallback fonts, each loaded only when text needs it.
        crate::ui::fonts::install(&ctx);
        let (events_tx, events) = messages::event_channel(ctx.clone());
        let worker = WorkerHandle::spawn(
            WorkerDirs {
                settings_dir: options.settings_dir.clone(),
                data_dir: options.data_dir.clone(),
            },
            events_tx,
        )?;
        let remembered = RememberedSession::load(&options.settings_dir);
        let disk = disk::DiskWorker::spawn(ctx.clone()).context("cannot start the disk worker")?;
        let mut app = Self {
            state: AppState::new(),
            settings,
            settings_dir: options.settings_dir,
            worker,
            events,
            login: LoginView::default(),
            editor: None,
            logo: theme::logo_texture(&ctx),
            shown_ready: false,
            last_screen: Screen::Starting,
            users: users::UsersScreen::default(),
            drafts: drafts::DraftKeeper::new(options.data_dir.clone(), disk.handle().clone()),
            disk,
            disk_notice: None,
            egui_ctx: ctx.clone(),
            account: crate::ui::account::AccountViews::default(),
            data_dir: options.data_dir.clone(),
            about: None,
            history: None,
            record_editor: None,
            revert_read: None,
        };
        let effects = app.state.begin_start(&app.settings.selected(), remembered);
        app.run_effects(effects);
        Ok(app)
    }

    /// The state machine; read by tests (`test-hooks` feature only).
    #[cfg(feature = "test-hooks")]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The editor, when one is open; read by tests (`test-hooks` feature only).
    #[cfg(feature = "test-hooks")]
    pub fn editor(&self) -> Option<&EditorView> {
        self.editor.as_ref()
    }

    /// The settings as they are now.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Carries out what a transition asked for.
    fn run_effects(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Send(command) => self.worker.send(command),
                Effect::OpenEditor { profile, identity } => {
                    self.close_record_editor();
                    self.remember_identity_name(&profile.schema);
                    self.users = users::UsersScreen::new(profile.schema.clone());
                    if let Some(session) = self.state.session() {
                        self.users.set_own_object_id(session.object_id.clone());
                    }
                    if let Some(old) = &self.editor {
                        self.drafts.closing(old);
                    }
                    let mut editor = EditorView::new(profile.schema, profile.record, identity);
                    editor.set_disk(self.disk.handle());
                    if let Some(session) = self.state.session() {
                        self.drafts.opened(
                            &mut editor,
                            &session.connection.key(),
                            &session.identity,
                        );
                    }
                    self.editor = Some(editor);
                    // The worker read the roles together with the schema.
                    self.users.roles_loaded(profile.roles);
                }
                Effect::CloseEditor => {
                    self.close_record_editor();
                    self.account.reset_for_session();
                    if let Some(old) = &self.editor {
                        self.drafts.closing(old);
                    }
                    self.editor = None;
                    self.users = users::UsersScreen::default();
                }
                Effect::Users(answer) => {
                    // The read before a History revert is the app's own; the rest is the browser's.
                    if let Some(answer) = self.revert_read(answer) {
                        self.users.answer(answer);
                    }
                }
                Effect::Resumed => {
                    self.users.resumed();
                    // The session is back: the editors drop what they showed about its end.
                    if let Some(editor) = &mut self.editor {
                        editor.session_resumed();
                    }
                    if let Some(editor) = &mut self.record_editor {
                        editor.session_resumed();
                    }
                }
                Effect::RetrySave => {
                    let action = self.editor.as_mut().and_then(EditorView::retry_action);
                    self.send_save(action);
                }
                Effect::SaveConflict(theirs) => {
                    let action = self
                        .editor
                        .as_mut()
                        .and_then(|editor| editor.save_conflicted(theirs));
                    self.send_save(action);
                }
                Effect::SaveStarted(id) => {
                    if let Some(editor) = &mut self.editor {
                        editor.save_started(id.0);
                    }
                }
                Effect::SaveSucceeded(record) => {
                    if let Some(editor) = &mut self.editor {
                        editor.save_succeeded(record);
                        // The draft goes at once: a save is not something to debounce.
                        self.drafts.flush(editor);
                    }
                    let effects = self.state.own_save_applied(self.has_pending_edits());
                    self.run_effects(effects);
                }
                Effect::SaveFailed(error) => {
                    if let Some(editor) = &mut self.editor {
                        editor.save_failed(&error);
                    }
                }
                Effect::FillIdentity(identity) => self.login.identity = identity,
                Effect::ClearPassword => self.login.clear_password(),
                Effect::Account(id, answer) => self.account_answer(id, answer),
                Effect::ReviewSave => {
                    if let Some(editor) = &mut self.editor {
                        editor.request_save();
                    }
                }
                Effect::DiscardDraft => self.drafts.discard(),
                Effect::FlushDrafts => {
                    if let Some(editor) = &mut self.record_editor {
                        editor.flush_draft();
                    }
                    if let Some(editor) = &self.editor {
                        self.drafts.flush(editor);
                    }
                }
                Effect::CloseWindow => self
                    .egui_ctx
                    .send_viewport_cmd(egui::ViewportCommand::Close),
                Effect::CancelClose => self
                    .egui_ctx
                    .send_viewport_cmd(egui::ViewportCommand::CancelClose),
                Effect::RecordSaveStarted(id) => {
                    if let Some(editor) = &mut self.record_editor {
                        editor.save_sent(id);
                    }
                }
                Effect::Record(event) => {
                    let outcome = self
                        .record_editor
                        .as_mut()
                        .and_then(|editor| editor.answer(event));
                    self.record_outcome(outcome);
                }
            }
        }
    }

    /// Whether the own editor has edits that leaving (logout, reload, close) would lose.
    fn has_pending_edits(&self) -> bool {
        self.editor
            .as_ref()
            .is_some_and(EditorView::has_pending_edits)
    }

    /// Hands the editor's save to the worker, with the `updated` its edits were made against.
    fn send_save(&mut self, action: Option<EditorAction>) {
        let Some(EditorAction::Save { object_id, changes }) = action else {
            return;
        };
        let base_updated = self
            .editor
            .as_ref()
            .and_then(|editor| editor.session().original().updated_ms());
        let effects = self.state.begin_save(object_id, base_updated, changes);
        self.run_effects(effects);
    }

    /// Hands a Users-browser request to the worker with the session's token.
    fn send_users_request(&mut self, request: users::UsersRequest) {
        let Some(session) = self.state.session().cloned() else {
            return;
        };
        let id = self.state.next_request_id();
        self.worker.send(messages::WorkerCommand::Users {
            id,
            session,
            cloudcode_key: users::cloudcode_key_for(&self.settings),
            request,
        });
    }

    /// Another user's record, open for editing in place of the Users browser.
    fn record_editor_ui(&mut self, ui: &mut egui::Ui) {
        let Some(editor) = &mut self.record_editor else {
            return;
        };
        let outcome = editor.ui(ui);
        self.record_outcome(outcome);
    }

    /// Carries out what the record editor asked for.
    fn record_outcome(&mut self, outcome: Option<record_editor::RecordOutcome>) {
        match outcome {
            Some(record_editor::RecordOutcome::Save {
                object_id,
                base_updated,
                changes,
            }) => {
                let effects = self
                    .state
                    .begin_record_save(object_id, base_updated, changes);
                self.run_effects(effects);
            }
            Some(record_editor::RecordOutcome::Reload) => {
                let copy = self
                    .record_editor
                    .as_ref()
                    .map(|editor| editor.editor().session().original().clone());
                if let Some(copy) = copy {
                    self.read_record_then_edit(copy);
                }
            }
            Some(record_editor::RecordOutcome::Closed) => {
                self.record_editor = None;
                // The table and the inspector show the record as saved.
                self.users.refresh();
            }
            None => {}
        }
    }

    /// Opens `record` (chosen in the Users inspector) in the typed editor, with its own draft.
    fn open_record_editor(&mut self, record: crate::model::record::UserRecord) {
        self.close_record_editor();
        let (Some(session), Some(own)) = (self.state.session(), &self.editor) else {
            return;
        };
        self.record_editor = Some(record_editor::RecordEditor::open(
            own.session().schema().clone(),
            record,
            self.data_dir.clone(),
            self.disk.handle(),
            &session.connection.key(),
            &session.identity,
        ));
    }

    /// Reads `record` again (the table's copy may be old: the editor's base must be the server's record of
    /// now), then opens it in the record editor; `record` itself is opened if the read fails.
    /// The read is one of the browser's requests: its answer comes back to the browser like any other,
    /// which hands the record over through `take_edit_request` (see `users_ui`).
    fn read_record_then_edit(&mut self, record: crate::model::record::UserRecord) {
        if let Some(request) = self.users.read_then_edit(record) {
            self.send_users_request(request);
        }
    }

    /// Closes the record editor, if open, keeping its draft.
    fn close_record_editor(&mut self) {
        if let Some(mut editor) = self.record_editor.take() {
            editor.closing();
        }
    }

    /// The record editor, when one is open; read by tests (`test-hooks` feature only).
    #[cfg(feature = "test-hooks")]
    pub fn record_editor(&self) -> Option<&record_editor::RecordEditor> {
        self.record_editor.as_ref()
    }

    /// The admin's Users browser, in place of the editor.
    fn users_ui(&mut self, ui: &mut egui::Ui) {
        // A record read again for editing ("Edit record", or the record editor's Reload) arrived.
        if let Some(record) = self.users.take_edit_request() {
            self.open_record_editor(record);
        }
        if self.record_editor.is_some() {
            self.record_editor_ui(ui);
            return;
        }
        match self.users.ui(ui, &self.settings.users_columns) {
            Some(users::UsersOutcome::Send(request)) => self.send_users_request(request),
            Some(users::UsersOutcome::Columns(columns)) => {
                self.settings.users_columns = columns;
                self.save_settings();
            }
            None => {}
        }
    }

    /// The Users browser, read by tests (`test-hooks` feature only).
    #[cfg(feature = "test-hooks")]
    pub fn users(&self) -> &users::UsersScreen {
        &self.users
    }

    /// Remembers the app's identity property for the session's connection (the login form's label next
    /// time); saved only when it changed.
    fn remember_identity_name(&mut self, schema: &crate::model::Schema) {
        let (Some(session), Some(identity)) = (self.state.session(), schema.identity()) else {
            return;
        };
        if self
            .settings
            .remember_identity_name(&session.connection, &identity.name)
        {
            self.save_settings();
        }
    }

    /// Hands the settings to the disk worker; a failed write is logged and shown when it answers.
    fn save_settings(&self) {
        match self.settings.files(&self.settings_dir) {
            Ok(files) => {
                for (path, bytes) in files {
                    self.disk
                        .handle()
                        .write(disk::Purpose::Settings, path, bytes);
                }
            }
            Err(error) => tracing::error!("cannot encode the settings: {error:#}"),
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Drawing.

    /// The bar at the top: logo, connection (and its error), then on the right the user, "Log out" and the
    /// theme switch. The left side gives way (truncates) when the window is narrow.
    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        let logo = self.logo.clone();
        let connection = connection_label(&self.settings, self.state.local_server());
        // The login screen shows connection errors at the picker; the editor has only this place.
        let connection_error = (self.state.screen() == Screen::Editor)
            .then(|| self.state.connection_error().map(str::to_owned))
            .flatten();
        let identity = self.state.session().map(|session| session.identity.clone());
        let mut theme_choice = None;
        let mut logout = false;
        let mut about = false;
        let mut history = false;
        egui::containers::Sides::new()
            .shrink_left()
            .truncate()
            .show(
                ui,
                |ui| {
                    // What does not fit is cut at the right side's edge, never drawn under its buttons
                    // (an admin's bar at 800 px leaves the connection label no room at all).
                    ui.shrink_clip_rect(ui.max_rect());
                    ui.add(egui::Image::new(&logo).fit_to_exact_size(egui::vec2(22.0, 22.0)));
                    ui.strong(theme::APP_NAME);
                    ui.separator();
                    ui.label(connection)
                        .on_hover_text("The server this app talks to");
                    if let Some(error) = connection_error {
                        let color = ui.visuals().error_fg_color;
                        ui.colored_label(color, &error).on_hover_text(&error);
                    }
                },
                |ui| {
                    // One menu for the rarely used actions keeps the bar within 800 px.
                    let logged_in = identity.is_some();
                    let mut change_password = false;
                    ui.menu_button(MORE_MENU, |ui| {
                        if logged_in {
                            change_password = ui
                                .button(crate::ui::account::CHANGE_PASSWORD_BUTTON)
                                .on_hover_text(
                                    "Set a new password (your current one is checked first)",
                                )
                                .clicked();
                        }
                        about = ui
                            .button(ABOUT_BUTTON)
                            .on_hover_text("Version, folders and diagnostics")
                            .clicked();
                        if logged_in {
                            history = ui
                                .button(crate::ui::history::HISTORY_TITLE)
                                .on_hover_text("Every change this app made to a record")
                                .clicked();
                        }
                    })
                    .response
                    .on_hover_text("Change password, About");
                    if change_password {
                        self.account.open_change_password();
                    }
                    ui.separator();
                    theme_choice = theme::theme_switch_ui(ui, self.settings.theme);
                    ui.separator();
                    if let Some(identity) = identity {
                        logout = ui.button("Log out").clicked();
                        ui.label(format!("Logged in as {identity}"));
                        ui.separator();
                        self.users.switch_ui(ui);
                    }
                },
            );
        if let Some(choice) = theme_choice {
            self.settings.theme = choice;
            theme::apply(ui.ctx(), choice);
            self.save_settings();
        }
        if logout {
            self.begin_leave(leave::Intent::Logout);
        }
        if about {
            self.open_about();
        }
        if history {
            self.open_history();
        }
    }

    /// While the local server starts or a remembered session is checked.
    fn starting_ui(&mut self, ui: &mut egui::Ui) {
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() / 3.0);
            ui.add(egui::Image::new(&self.logo).fit_to_exact_size(egui::vec2(72.0, 72.0)));
            ui.add_space(12.0);
            ui.spinner();
            let text = if matches!(self.state.local_server(), LocalServer::Starting(_)) {
                "Starting the local demo server…"
            } else {
                "Restoring your saved session…"
            };
            ui.label(text);
        });
    }

    /// The login card: connection picker, then the form.
    fn login_ui(&mut self, ui: &mut egui::Ui) {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(24.0);
                ui.add(egui::Image::new(&self.logo).fit_to_exact_size(egui::vec2(64.0, 64.0)));
                ui.heading(theme::APP_NAME);
                ui.weak("Log in to edit your Backendless user profile.");
                ui.add_space(12.0);
            });
            let width = ui.available_width().min(560.0);
            let margin = ((ui.available_width() - width) / 2.0).max(0.0);
            ui.horizontal(|ui| {
                ui.add_space(margin);
                ui.vertical(|ui| {
                    ui.set_width(width);
                    egui::Frame::group(ui.style())
                        .inner_margin(12.0)
                        .show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            ui.strong("Connection");
                            self.connection_section_ui(ui);
                        });
                    ui.add_space(10.0);
                    egui::Frame::group(ui.style())
                        .inner_margin(12.0)
                        .show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            self.account_card_ui(ui);
                        });
                });
            });
        });
    }

    fn connection_section_ui(&mut self, ui: &mut egui::Ui) {
        let local_origin = match self.state.local_server() {
            LocalServer::Running(origin) => Some(origin.clone()),
            _ => None,
        };
        let status = ConnectionStatus {
            starting: matches!(self.state.local_server(), LocalServer::Starting(_)),
            local_origin: local_origin.as_deref(),
            error: self.state.connection_error(),
        };
        let enabled = !self.state.is_logging_in();
        match connection_ui(ui, &mut self.settings, status, enabled) {
            Some(ConnectionAction::Selected(_)) => {
                self.save_settings();
                let effects = self
                    .state
                    .begin_select_connection(&self.settings.selected());
                self.run_effects(effects);
            }
            Some(ConnectionAction::Edited) => self.state.connection_edited(),
            None => {}
        }
    }

    fn login_form_ui(&mut self, ui: &mut egui::Ui) {
        let connection = self.settings.selected();
        let status = LoginStatus {
            busy: self.state.is_logging_in(),
            connection_ready: self.state.is_ready(&connection),
            error: self.state.login_error(),
            notice: self.state.login_notice(),
            show_demo_accounts: self.settings.connection == ConnectionKind::LocalDemo,
            identity_name: self.settings.identity_name(&connection),
        };
        if let Some(LoginAction::Submit {
            identity,
            password,
            remember,
        }) = self.login.ui(ui, status)
        {
            // The URL and keys typed so far are worth keeping once they are used.
            self.save_settings();
            let effects =
                self.state
                    .begin_login(&connection, &identity, Password::new(password), remember);
            self.run_effects(effects);
        }
    }

    fn editor_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(error) = self.state.reload_error() {
            crate::ui::login::error_ui(ui, error);
        }
        let Some(editor) = &mut self.editor else {
            return;
        };
        match editor.ui(ui) {
            Some(action @ EditorAction::Save { .. }) => self.send_save(Some(action)),
            Some(EditorAction::Reload) => self.begin_leave(leave::Intent::Reload),
            Some(EditorAction::Logout) => self.begin_leave(leave::Intent::Logout),
            Some(EditorAction::ChangePassword) => self.account.open_change_password(),
            None => {}
        }
    }

    /// The view of the session: the admin's Users browser or the editor. Inactive under the re-login
    /// prompt: it shows as it was (edits, filter, rows, scroll position), nothing reacts, nothing is sent.
    fn session_view_ui(&mut self, ui: &mut egui::Ui, active: bool) {
        match (self.users.is_showing_users(), active) {
            (true, true) => self.users_ui(ui),
            (true, false) => match &mut self.record_editor {
                Some(editor) => editor.inactive_ui(ui),
                None => self.users.inactive_ui(ui),
            },
            (false, true) => self.editor_ui(ui),
            (false, false) => {
                if let Some(editor) = &mut self.editor {
                    editor.inactive_ui(ui);
                }
            }
        }
    }

    /// The session ended with the editor or the Users browser open: that view stays (inactive) with its
    /// state, and the login form opens over it. The same user logging in gets it back, and what failed is
    /// sent again (the interrupted save once, the browser's failed count and pages); anyone else gets a
    /// clean start (the edits stay in the first user's draft). `AppState` decides all of it.
    fn relogin_ui(&mut self, ui: &mut egui::Ui) {
        self.session_view_ui(ui, false);
        let pending = self.has_pending_edits();
        let ctx = ui.ctx().clone();
        if crate::ui::dialogs::relogin_ui(&ctx, pending, |ui| self.login_form_ui(ui)) {
            let effects = self.state.leave_ended_session();
            self.run_effects(effects);
        }
    }

    /// Logs out, reloads or closes at once when no edits would be lost, otherwise asks first (`AppState`
    /// decides).
    fn begin_leave(&mut self, intent: leave::Intent) {
        let effects = self.state.begin_leave(intent, self.has_pending_edits());
        self.run_effects(effects);
    }

    /// The question `AppState` asks before edits would be dropped; the answer goes back to it.
    fn leave_question_ui(&mut self, ui: &mut egui::Ui) {
        let Some(question) = self.state.leave_question() else {
            return;
        };
        let count = self
            .editor
            .as_ref()
            .map_or(0, |editor| editor.session().dirty_count());
        if let Some(answer) = crate::ui::dialogs::leave_question_ui(ui.ctx(), question, count) {
            let effects = self.state.answer_leave(answer);
            self.run_effects(effects);
        }
    }
}

/// "Local demo (http://127.0.0.1:40123)", "Backendless Cloud (EU)", "Custom: https://…".
fn connection_label(settings: &Settings, local_server: &LocalServer) -> String {
    match (settings.selected(), local_server) {
        (Connection::LocalDemo, LocalServer::Running(origin)) => format!("Local demo ({origin})"),
        (Connection::LocalDemo, _) => ConnectionKind::LocalDemo.label().to_owned(),
        (Connection::Remote { server, .. }, _) if settings.connection == ConnectionKind::Custom => {
            format!(
                "Custom: {}",
                crate::backendless::endpoint::display_server(&server)
            )
        }
        (Connection::Remote { .. }, _) => settings.connection.label().to_owned(),
    }
}

/// The key under which eframe stores egui's memory in its window state file (`app.ron`).
const EGUI_MEMORY_KEY: &str = "egui";

impl eframe::App for App {
    /// egui's memory holds every text field's cursor state, the password field's included (which gives
    /// away the password's length): none of it is written to disk. Only the window's size and place are.
    fn persist_egui_memory(&self) -> bool {
        false
    }

    /// The last drafts are written and the queued writes land before the window goes (bounded wait).
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.flush_to_disk();
    }

    /// Removes egui's memory that an older version wrote to the window state file.
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if storage.get_string(EGUI_MEMORY_KEY).is_some() {
            storage.remove_string(EGUI_MEMORY_KEY);
        }
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.disk_answers();
        while let Ok(event) = self.events.try_recv() {
            let effects = self.state.apply(event);
            self.run_effects(effects);
        }
        if let Some(editor) = &self.editor {
            self.drafts.tick(editor, ctx);
            // A "Save first" that did not lead to a save (review cancelled) is forgotten.
            if !editor.is_busy() {
                self.state.own_editor_idle();
            }
        }
        if ctx.input(|input| input.viewport().close_requested()) {
            // Both editors' drafts are brought up to date; with pending edits `AppState` asks first.
            let effects = self.state.close_requested(self.has_pending_edits());
            self.run_effects(effects);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let screen = self.state.screen();
        if screen == Screen::Login && self.last_screen != Screen::Login {
            self.login.refocus();
        }
        self.last_screen = screen;
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        self.disk_notice_ui(ui);
        egui::CentralPanel::default().show(ui, |ui| match self.state.screen() {
            Screen::Starting => self.starting_ui(ui),
            // Over whichever view the session ended in (the editor or the Users browser).
            Screen::Login if self.state.relogin_pending() && self.editor.is_some() => {
                self.relogin_ui(ui);
            }
            Screen::Login => self.login_ui(ui),
            Screen::Editor => self.session_view_ui(ui, true),
        });
        self.leave_question_ui(ui);
        if self.state.screen() == Screen::Editor {
            self.change_password_window_ui(ui.ctx());
        }
        self.about_window_ui(ui.ctx(), frame.gl().is_some());
        if self.state.screen() == Screen::Editor {
            self.history_window_ui(ui.ctx());
        }
        if !self.shown_ready && self.state.screen() != Screen::Starting {
            self.shown_ready = true;
            if let Some(launched_at) = LAUNCHED_AT.get() {
                // scripts/measure.sh reads this line.
                tracing::info!(
                    "{:?} screen shown {} ms after launch",
                    self.state.screen(),
                    launched_at.elapsed().as_millis()
                );
            }
        }
    }
}

/// The name eframe gives its storage folder (the window state `app.ron`); the window system gets
/// [`launch::WINDOW_APP_ID`].
const APP_ID: &str = "profile-editor";

/// Runs the desktop app until its window closes. Logs to stderr and the log file; when another app already
/// runs on the same data folder, asks it to bring its window forward and returns instead of starting a
/// second Local demo server on the same store.
pub fn run(connection: ConnectionArgs) -> anyhow::Result<()> {
    LAUNCHED_AT.get_or_init(std::time::Instant::now);
    crate::logging::init(crate::logging::default_log_dir().as_deref());
    tracing::info!("Profile Editor {} starting", crate::cli::VERSION);
    let options = AppOptions::from_os_dirs(connection)?;
    let instance = match crate::single_instance::acquire(&options.data_dir) {
        Ok(crate::single_instance::Launch::First(guard)) => Some(guard),
        Ok(crate::single_instance::Launch::AlreadyRunning(raise)) => {
            let (line, done) = raise.message();
            if done {
                eprintln!("profile-editor: {line}");
                return Ok(());
            }
            anyhow::bail!("{line}");
        }
        Err(error) => {
            tracing::warn!(
                "cannot tell whether the app already runs: {error} ({})",
                options.data_dir.display()
            );
            None
        }
    };
    // eframe's window state file (`app.ron`), where eframe puts it, made owner-only before eframe writes
    // it; if that cannot be done, the window state is not kept at all.
    let window_state = eframe::storage_dir(APP_ID)
        .map(|dir| dir.join(settings::WINDOW_STATE_FILE))
        .filter(|path| {
            settings::prepare_private_file(path)
                .inspect_err(|error| {
                    tracing::warn!(
                        "the window size and place will not be kept: {error:#} ({})",
                        path.display()
                    );
                })
                .is_ok()
        });
    let native_options = eframe::NativeOptions {
        persist_window: window_state.is_some(),
        persistence_path: window_state,
        viewport: egui::ViewportBuilder::default()
            .with_title(theme::APP_NAME)
            .with_app_id(launch::WINDOW_APP_ID)
            .with_inner_size([960.0, 720.0])
            .with_min_inner_size([560.0, 420.0])
            .with_icon(Arc::new(theme::icon_data())),
        ..Default::default()
    };
    // Held (locked, answering) until the window has closed: the creator only borrows it.
    let instance = instance.as_ref();
    let result = eframe::run_native(
        APP_ID,
        native_options,
        Box::new(move |cc| {
            if let Some(instance) = instance {
                let ctx = cc.egui_ctx.clone();
                instance.on_raise(move || {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
                    ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
                    ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
                        egui::UserAttentionType::Informational,
                    ));
                    ctx.request_repaint();
                });
            }
            Ok(Box::new(App::new(cc, options)?))
        }),
    );
    result.map_err(|error| {
        let display = launch::DisplayEnv::from_env();
        let failure = launch::WindowFailure::classify(&error, &display);
        // In the log file; stderr gets the one line `main` prints.
        tracing::info!("the window did not open: {error}");
        anyhow::anyhow!("{}", failure.message(&display))
    })
}
