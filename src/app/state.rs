//! The app's state machine: which screen shows (starting, login, editor), the session, the requests in
//! flight and the messages the screens display. `begin_*` methods turn user intents into worker commands;
//! `apply` turns worker events into the next state. Pure: no egui, no I/O, no clock.
//!
//! Both return `Effect`s, which `App` carries out on the views (editor, login form) and the worker.
//!
//! It is the one place that decides whether the session ended and why, whether a re-login is pending and
//! for whom, what follows it (the same user resumes and the interrupted save is sent again; anyone else
//! starts afresh), and the unsaved-changes question (`leave`: which intent waits, "save first", "discard",
//! whether the window may close). `App`, the editors and the Users browser ask it and draw what it says.

use crate::app::leave::{Answer, Intent, Leave, Question, Step};
use crate::app::messages::{
    AccountAnswer, AccountRequest, Failure, Profile, RequestId, Session, WorkerCommand, WorkerEvent,
};
use crate::app::settings::{Connection, RememberedSession};
use crate::backendless::client::Password;
use crate::backendless::error::ApiError;
use crate::model::diff::Changeset;
use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;

/// The screen that fills the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The local server is starting or a remembered session is being checked.
    Starting,
    /// The login form.
    Login,
    /// The property grid of the logged-in user.
    Editor,
}

/// The embedded emulator behind the Local demo connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LocalServer {
    /// Not started (another connection is selected).
    #[default]
    Off,
    /// `StartLocalDemo` is in flight.
    Starting(RequestId),
    /// Serving at this origin.
    Running(String),
    /// It could not start; the message says why.
    Failed(String),
}

/// Something `App` must do after a transition. Effects come in the order they must be carried out.
#[derive(Debug)]
pub enum Effect {
    /// Hand this command to the worker.
    Send(WorkerCommand),
    /// Show the editor on this profile, replacing any earlier one.
    OpenEditor {
        /// Schema and record.
        profile: Profile,
        /// Who is edited (the identity).
        identity: String,
    },
    /// Drop the editor and its edits.
    CloseEditor,
    /// The same user logged in again after the session ended: the views stay as they were (editor, Users
    /// browser, whichever was shown), drop what they showed about the session's end (the editors' banner)
    /// and load again what failed meanwhile (the Users browser's count and pages). An interrupted save of
    /// the own editor comes as [`Effect::RetrySave`] right after.
    Resumed,
    /// The same user logged in again after the session ended during a save: keep the editor and send its
    /// pending save again (`EditorView::retry_action`).
    RetrySave,
    /// The editor's save went to the worker as this request.
    SaveStarted(RequestId),
    /// The save succeeded; the record is the new baseline.
    SaveSucceeded(UserRecord),
    /// The record moved on the server; nothing was written. The editor merges (and may send again).
    SaveConflict(UserRecord),
    /// The save failed; the editor places the error at its fields or in its banner.
    SaveFailed(ApiError),
    /// Hand this answer to the Users browser.
    Users(crate::app::users::UsersAnswer),
    /// Put this identity into the login form (the user's typing is otherwise left alone).
    FillIdentity(String),
    /// The password in the login form has been used successfully; forget it.
    ClearPassword,
    /// Hand this answer to the account views (sign up, forgot password, change password).
    Account(RequestId, AccountAnswer),
    /// The user answered "Save" to the unsaved-changes question: open the own editor's review (as Ctrl+S).
    ReviewSave,
    /// The user chose to drop the own editor's edits: its draft goes too.
    DiscardDraft,
    /// Bring the drafts of both editors (own, another user's record) up to date now: the window closes.
    FlushDrafts,
    /// Close the window (the user agreed).
    CloseWindow,
    /// Keep the window open: the close waits for the answer to the unsaved-changes question.
    CancelClose,
    /// The record editor's save (another user's record) went to the worker as this request.
    RecordSaveStarted(RequestId),
    /// Hand this answer (`Saved`, `SaveConflict` or `SaveFailed` of the record editor's save) to it.
    Record(WorkerEvent),
}

/// The one slot per kind of request; an answer whose id is not in its slot is stale and ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Pending {
    login: Option<RequestId>,
    resume: Option<RequestId>,
    save: Option<RequestId>,
    reload: Option<RequestId>,
    logout: Option<RequestId>,
    /// The record editor's save (an admin saving another user's record).
    record_save: Option<RequestId>,
}

/// The user whose session ended with the editor or the Users browser open; both views (the edits, the
/// browser's filter and rows) stay until they log in again, and what failed is then sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EndedSession {
    connection: Connection,
    object_id: ObjectId,
    retry_save: bool,
}

/// Everything the screens need to know besides their own buffers.
#[derive(Debug)]
pub struct AppState {
    /// The screen that fills the window.
    screen: Screen,
    /// The last request id handed out.
    last_id: u64,
    /// The embedded emulator's state.
    local_server: LocalServer,
    /// A remembered session waiting for the local server to come up before it is checked.
    resume_when_ready: Option<(Connection, RememberedSession)>,
    /// Requests in flight.
    pending: Pending,
    /// The logged-in user; `None` on the login screen.
    session: Option<Session>,
    /// Set when the session ended under the editor or the Users browser; cleared by the next login or by
    /// logout.
    ended: Option<EndedSession>,
    /// The last request id handed out before the current session began: a Users-browser answer to an
    /// older request was sent with an older token and cannot end this session.
    session_since: u64,
    /// Why the last login failed; shown under the form. Cleared by the next attempt.
    login_error: Option<String>,
    /// A note above the login form (session ended, logged out with a problem). Cleared by the next login.
    login_notice: Option<String>,
    /// A problem with the connection settings (2002, bad URL, local server failed); shown at the picker and
    /// in the top bar. Cleared when the connection changes or a login succeeds.
    connection_error: Option<String>,
    /// Why the last reload failed; shown above the editor. Cleared by the next reload or login.
    reload_error: Option<String>,
    /// The unsaved-changes question, "save then …" and whether the window may close.
    leave: Leave,
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

impl AppState {
    /// The state before anything happened: the starting screen.
    pub fn new() -> Self {
        Self {
            screen: Screen::Starting,
            last_id: 0,
            local_server: LocalServer::Off,
            resume_when_ready: None,
            pending: Pending::default(),
            session: None,
            ended: None,
            session_since: 0,
            login_error: None,
            login_notice: None,
            connection_error: None,
            reload_error: None,
            leave: Leave::default(),
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reading.

    /// The screen that fills the window.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The logged-in user.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The embedded emulator's state.
    pub fn local_server(&self) -> &LocalServer {
        &self.local_server
    }

    /// Whether a login (or the check of a remembered session) is in flight.
    pub fn is_logging_in(&self) -> bool {
        self.pending.login.is_some() || self.pending.resume.is_some()
    }

    /// Whether a reload is in flight.
    pub fn is_reloading(&self) -> bool {
        self.pending.reload.is_some()
    }

    /// Why the last login failed.
    pub fn login_error(&self) -> Option<&str> {
        self.login_error.as_deref()
    }

    /// A note above the login form.
    pub fn login_notice(&self) -> Option<&str> {
        self.login_notice.as_deref()
    }

    /// A problem with the connection settings.
    pub fn connection_error(&self) -> Option<&str> {
        self.connection_error.as_deref()
    }

    /// Whether the session ended while the editor or the Users browser was open: the app asks for a login
    /// over the kept view.
    pub fn relogin_pending(&self) -> bool {
        self.ended.is_some()
    }

    /// The user clicked "Leave" under the re-login prompt: the views kept for the ended session go, and
    /// with them the own editor's edits and their draft; the next login opens a fresh editor.
    pub fn leave_ended_session(&mut self) -> Vec<Effect> {
        if self.ended.take().is_none() {
            return Vec::new();
        }
        self.leave.question.forget_save();
        vec![Effect::DiscardDraft, Effect::CloseEditor]
    }

    /// Why the last reload failed.
    pub fn reload_error(&self) -> Option<&str> {
        self.reload_error.as_deref()
    }

    /// Whether `connection` can take a login now (the local server must be running for the Local demo).
    pub fn is_ready(&self, connection: &Connection) -> bool {
        match connection {
            Connection::LocalDemo => matches!(self.local_server, LocalServer::Running(_)),
            Connection::Remote { .. } => true,
        }
    }

    // ---------------------------------------------------------------------------------------------
    // User intents.

    /// At launch: start the local server if needed and check a remembered session of `connection`.
    pub fn begin_start(
        &mut self,
        connection: &Connection,
        remembered: Option<RememberedSession>,
    ) -> Vec<Effect> {
        let remembered = remembered.filter(|r| r.connection_key == connection.key());
        let mut effects = Vec::new();
        if let Some(remembered) = &remembered {
            effects.push(Effect::FillIdentity(remembered.identity.clone()));
        }
        match connection {
            Connection::LocalDemo => {
                self.screen = Screen::Starting;
                self.resume_when_ready = remembered.map(|r| (connection.clone(), r));
                effects.extend(self.start_local_server());
            }
            Connection::Remote { .. } => match remembered {
                Some(remembered) => {
                    self.screen = Screen::Starting;
                    effects.push(self.resume(connection.clone(), remembered));
                }
                None => self.screen = Screen::Login,
            },
        }
        effects
    }

    /// The user picked another connection on the login screen.
    pub fn begin_select_connection(&mut self, connection: &Connection) -> Vec<Effect> {
        self.connection_error = None;
        self.login_error = None;
        match connection {
            Connection::LocalDemo
                if matches!(self.local_server, LocalServer::Off | LocalServer::Failed(_)) =>
            {
                self.start_local_server()
            }
            _ => Vec::new(),
        }
    }

    /// The user edited a URL or key of the connection: the old connection error no longer applies.
    pub fn connection_edited(&mut self) {
        self.connection_error = None;
    }

    /// The user submitted the login form.
    pub fn begin_login(
        &mut self,
        connection: &Connection,
        identity: &str,
        password: Password,
        remember: bool,
    ) -> Vec<Effect> {
        if self.is_logging_in() || !self.is_ready(connection) {
            return Vec::new();
        }
        let id = self.next_id();
        self.pending.login = Some(id);
        self.login_error = None;
        vec![Effect::Send(WorkerCommand::Login {
            id,
            connection: connection.clone(),
            identity: identity.trim().to_owned(),
            password,
            remember,
        })]
    }

    /// An account flow asked for `request` (see [`AccountRequest`]); returns its id, to tell its answer apart.
    /// A sign-up counts as a login in flight (it ends in one). A password change is for the current session.
    pub fn begin_account(
        &mut self,
        connection: &Connection,
        cloudcode_key: Option<String>,
        request: AccountRequest,
    ) -> (RequestId, Vec<Effect>) {
        let id = self.next_id();
        if matches!(request, AccountRequest::SignUp { .. }) {
            if self.is_logging_in() || !self.is_ready(connection) {
                return (id, Vec::new());
            }
            self.pending.login = Some(id);
            self.login_error = None;
        }
        let command = WorkerCommand::Account {
            id,
            connection: connection.clone(),
            cloudcode_key,
            request,
        };
        (id, vec![Effect::Send(command)])
    }

    /// The session the app carries on with after the current password was checked by logging in again: the
    /// old token no longer works, so answers to requests sent with it cannot end this session.
    fn session_renewed(&mut self, fresh: Session) {
        let same = self
            .session
            .as_ref()
            .is_some_and(|s| s.object_id == fresh.object_id && s.connection == fresh.connection);
        if same {
            self.session = Some(fresh);
            self.session_since = self.last_id;
        }
    }

    /// The editor asked to save `changes` of `object_id`, made against the record whose `updated` was
    /// `base_updated` (the worker re-reads it first and reports a conflict instead of overwriting).
    pub fn begin_save(
        &mut self,
        object_id: ObjectId,
        base_updated: Option<i64>,
        changes: Changeset,
    ) -> Vec<Effect> {
        self.send_save(SaveOf::Own, object_id, base_updated, changes)
    }

    /// The editor asked to load the record again.
    pub fn begin_reload(&mut self) -> Vec<Effect> {
        let Some(session) = self.session.clone() else {
            return Vec::new();
        };
        let id = self.next_id();
        self.pending.reload = Some(id);
        self.reload_error = None;
        vec![Effect::Send(WorkerCommand::Reload { id, session })]
    }

    /// The user clicked "Log out": back to the login form at once, the server call runs in the background.
    /// With unsaved edits it is asked for through [`AppState::begin_leave`].
    pub fn begin_logout(&mut self) -> Vec<Effect> {
        let mut effects = vec![Effect::CloseEditor];
        self.ended = None;
        self.pending.save = None;
        self.pending.record_save = None;
        self.pending.reload = None;
        self.leave.question.clear();
        self.reload_error = None;
        self.login_notice = None;
        self.login_error = None;
        self.screen = Screen::Login;
        if let Some(session) = self.session.take() {
            let id = self.next_id();
            self.pending.logout = Some(id);
            effects.push(Effect::FillIdentity(session.identity.clone()));
            effects.push(Effect::Send(WorkerCommand::Logout { id, session }));
        }
        effects
    }

    // ---------------------------------------------------------------------------------------------
    // Worker answers.

    /// Moves to the state `event` leads to. Answers to requests that are no longer awaited are ignored.
    pub fn apply(&mut self, event: WorkerEvent) -> Vec<Effect> {
        if let WorkerEvent::Saved { id, .. }
        | WorkerEvent::SaveConflict { id, .. }
        | WorkerEvent::SaveFailed { id, .. } = &event
            && self.pending.record_save == Some(*id)
        {
            return self.record_save_answered(event);
        }
        match event {
            WorkerEvent::Users { id, answer } => {
                // The Users browser tells its answers apart by their tickets; a session that ended under
                // it takes the editor's path (the re-login prompt, nothing lost). A request sent before the
                // current session began carried an older token: its failure says nothing about this one,
                // and what it was for is loaded again with the new token.
                let mut effects = match answer.api_error() {
                    Some(error) if error.is_session_ending() && id.0 > self.session_since => {
                        let error = error.clone();
                        self.session_ended(&error, false)
                    }
                    Some(error) if error.is_session_ending() && self.session.is_some() => {
                        vec![Effect::Resumed]
                    }
                    _ => Vec::new(),
                };
                effects.insert(0, Effect::Users(answer));
                effects
            }
            WorkerEvent::Account { id, answer } => {
                let mut effects = Vec::new();
                match &answer {
                    AccountAnswer::SignUpFailed(_) | AccountAnswer::SignedUpLoginFailed { .. }
                        if self.pending.login == Some(id) =>
                    {
                        self.pending.login = None;
                        if let AccountAnswer::SignedUpLoginFailed { identity, .. } = &answer {
                            effects.push(Effect::FillIdentity(identity.clone()));
                        }
                    }
                    AccountAnswer::PasswordChanged {
                        session: Some(fresh),
                    }
                    | AccountAnswer::PasswordChangeFailed {
                        session: Some(fresh),
                        ..
                    } => self.session_renewed(fresh.clone()),
                    _ => {}
                }
                effects.insert(0, Effect::Account(id, answer));
                effects
            }
            WorkerEvent::LocalDemoStarted { id, origin } => {
                if self.local_server != LocalServer::Starting(id) {
                    return Vec::new();
                }
                self.local_server = LocalServer::Running(origin);
                match self.resume_when_ready.take() {
                    Some((connection, remembered)) => vec![self.resume(connection, remembered)],
                    None => {
                        self.leave_starting();
                        Vec::new()
                    }
                }
            }
            WorkerEvent::LocalDemoFailed { id, message } => {
                if self.local_server != LocalServer::Starting(id) {
                    return Vec::new();
                }
                self.connection_error =
                    Some(format!("The local demo server could not start: {message}"));
                self.local_server = LocalServer::Failed(message);
                self.resume_when_ready = None;
                self.leave_starting();
                Vec::new()
            }
            WorkerEvent::LoggedIn {
                id,
                session,
                profile,
            } => {
                if self.pending.login != Some(id) && self.pending.resume != Some(id) {
                    return Vec::new();
                }
                self.pending.login = None;
                self.pending.resume = None;
                self.logged_in(session, profile)
            }
            WorkerEvent::LoginFailed { id, failure } => {
                if self.pending.login != Some(id) {
                    return Vec::new();
                }
                self.pending.login = None;
                if failure.is_about_connection() {
                    self.connection_error = Some(failure.to_string());
                }
                self.login_error = Some(failure.to_string());
                Vec::new()
            }
            WorkerEvent::ResumeFailed {
                id,
                identity,
                failure,
            } => {
                if self.pending.resume != Some(id) {
                    return Vec::new();
                }
                self.pending.resume = None;
                self.screen = Screen::Login;
                self.login_notice = Some(match &failure {
                    None => "Your saved session has ended. Please log in again.".to_owned(),
                    Some(failure) => format!("Your saved session could not be restored: {failure}"),
                });
                if failure.as_ref().is_some_and(Failure::is_about_connection) {
                    self.connection_error = failure.as_ref().map(ToString::to_string);
                }
                vec![Effect::FillIdentity(identity)]
            }
            WorkerEvent::Saved { id, record } => {
                if self.pending.save != Some(id) {
                    return Vec::new();
                }
                self.pending.save = None;
                vec![Effect::SaveSucceeded(record)]
            }
            WorkerEvent::SaveConflict { id, theirs } => {
                if self.pending.save != Some(id) {
                    return Vec::new();
                }
                self.pending.save = None;
                vec![Effect::SaveConflict(theirs)]
            }
            WorkerEvent::SaveFailed { id, error } => {
                if self.pending.save != Some(id) {
                    return Vec::new();
                }
                self.pending.save = None;
                // "Save first, then log out / close" does not go on after a failed save.
                self.leave.question.forget_save();
                let mut effects = vec![Effect::SaveFailed(error.clone())];
                if error.is_session_ending() {
                    effects.extend(self.session_ended(&error, true));
                } else if error.code() == Some(crate::backendless::codes::BAD_APP_KEYS) {
                    self.connection_error = Some(error.to_string());
                }
                effects
            }
            WorkerEvent::Reloaded { id, profile } => {
                if self.pending.reload != Some(id) {
                    return Vec::new();
                }
                self.pending.reload = None;
                let identity = self
                    .session
                    .as_ref()
                    .map(|s| s.identity.clone())
                    .unwrap_or_default();
                vec![Effect::OpenEditor { profile, identity }]
            }
            WorkerEvent::ReloadFailed { id, error } => {
                if self.pending.reload != Some(id) {
                    return Vec::new();
                }
                self.pending.reload = None;
                if error.is_session_ending() {
                    return self.session_ended(&error, false);
                }
                if error.code() == Some(crate::backendless::codes::BAD_APP_KEYS) {
                    self.connection_error = Some(error.to_string());
                }
                // The record reloaded is one's own: "no such entity" means the account was deleted.
                let error = crate::profile::checked_save::own_record_gone(error);
                self.reload_error = Some(format!("Could not reload: {error}"));
                Vec::new()
            }
            WorkerEvent::LoggedOut { id, failure } => {
                if self.pending.logout != Some(id) {
                    return Vec::new();
                }
                self.pending.logout = None;
                // A token the server no longer knows is as good as logged out.
                let ended_anyway =
                    matches!(&failure, Some(Failure::Api(error)) if error.is_session_ending());
                if let Some(failure) = failure.filter(|_| !ended_anyway) {
                    self.login_notice = Some(format!(
                        "You are logged out on this computer, but the server could not be told: {failure}"
                    ));
                }
                Vec::new()
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    /// A fresh request id for a command the app builds itself (the Users browser's requests).
    pub fn next_request_id(&mut self) -> RequestId {
        self.next_id()
    }

    fn next_id(&mut self) -> RequestId {
        self.last_id += 1;
        RequestId(self.last_id)
    }

    fn start_local_server(&mut self) -> Vec<Effect> {
        let id = self.next_id();
        self.local_server = LocalServer::Starting(id);
        vec![Effect::Send(WorkerCommand::StartLocalDemo { id })]
    }

    fn resume(&mut self, connection: Connection, remembered: RememberedSession) -> Effect {
        let id = self.next_id();
        self.pending.resume = Some(id);
        Effect::Send(WorkerCommand::Resume {
            id,
            connection,
            remembered,
        })
    }

    /// Leaves the starting screen for the login form (nothing else left to wait for).
    fn leave_starting(&mut self) {
        if self.screen == Screen::Starting && self.pending.resume.is_none() {
            self.screen = Screen::Login;
        }
    }

    fn logged_in(&mut self, session: Session, profile: Profile) -> Vec<Effect> {
        self.screen = Screen::Editor;
        self.login_error = None;
        self.login_notice = None;
        self.connection_error = None;
        self.reload_error = None;
        let ended = self.ended.take();
        let same_user = ended.as_ref().is_some_and(|ended| {
            ended.object_id == session.object_id && ended.connection == session.connection
        });
        let identity = session.identity.clone();
        self.session = Some(session);
        self.session_since = self.last_id;
        let mut effects = vec![Effect::ClearPassword];
        match ended {
            Some(ended) if same_user => {
                effects.push(Effect::Resumed);
                if ended.retry_save {
                    effects.push(Effect::RetrySave);
                }
            }
            _ => {
                effects.push(Effect::CloseEditor);
                effects.push(Effect::OpenEditor { profile, identity });
            }
        }
        effects
    }

    /// The record editor (an admin editing another user's record) asked to save `changes` of `object_id`,
    /// made against `base_updated`: the same checked save as one's own, with the admin's token (the server
    /// allows it to the Admin role only: 3029 otherwise). Its answer goes back to the record editor
    /// ([`Effect::Record`]); a session-ending one ends the session here, as for the own editor.
    pub fn begin_record_save(
        &mut self,
        object_id: ObjectId,
        base_updated: Option<i64>,
        changes: Changeset,
    ) -> Vec<Effect> {
        self.send_save(SaveOf::Record, object_id, base_updated, changes)
    }

    /// Sends the checked save of one editor's `changes` with the session's token, awaiting its answer.
    fn send_save(
        &mut self,
        of: SaveOf,
        object_id: ObjectId,
        base_updated: Option<i64>,
        changes: Changeset,
    ) -> Vec<Effect> {
        let Some(session) = self.session.clone() else {
            return Vec::new();
        };
        let id = self.next_id();
        let started = match of {
            SaveOf::Own => {
                self.pending.save = Some(id);
                Effect::SaveStarted(id)
            }
            SaveOf::Record => {
                self.pending.record_save = Some(id);
                Effect::RecordSaveStarted(id)
            }
        };
        vec![
            started,
            Effect::Send(WorkerCommand::Save {
                id,
                session,
                object_id,
                base_updated,
                changes,
            }),
        ]
    }

    /// The answer to the record editor's save: it goes to the record editor; a session-ending failure opens
    /// the login form over the kept view (the edit stays; the admin saves it again after logging in).
    fn record_save_answered(&mut self, event: WorkerEvent) -> Vec<Effect> {
        self.pending.record_save = None;
        let ended = match &event {
            WorkerEvent::SaveFailed { error, .. } if error.is_session_ending() => {
                Some(error.clone())
            }
            _ => None,
        };
        let mut effects = vec![Effect::Record(event)];
        if let Some(error) = ended {
            effects.extend(self.session_ended(&error, false));
        }
        effects
    }

    // ---------------------------------------------------------------------------------------------
    // Leaving with unsaved edits (see `leave`).

    /// The question to show now, if any.
    pub fn leave_question(&self) -> Option<Question> {
        self.leave.question.asking().map(|intent| Question {
            intent,
            can_save: self.session.is_some(),
        })
    }

    /// The user asked to log out, reload or close the window; `pending_edits`: whether the own editor has
    /// edits that would be lost. Done at once when there are none, otherwise asked first.
    pub fn begin_leave(&mut self, intent: Intent, pending_edits: bool) -> Vec<Effect> {
        if pending_edits {
            self.leave.question.ask(intent);
            Vec::new()
        } else {
            self.leave_now(intent)
        }
    }

    /// The user answered the question: "Save" opens the review and waits for the save, "Discard" drops the
    /// edits and their draft and goes on, "Cancel" stays. "Save" is ignored where it is not offered.
    pub fn answer_leave(&mut self, answer: Answer) -> Vec<Effect> {
        let Some(question) = self.leave_question() else {
            return Vec::new();
        };
        if answer == Answer::Save && !question.can_save {
            return Vec::new();
        }
        match self.leave.question.answer(answer) {
            Step::ReviewSave => vec![Effect::ReviewSave],
            Step::Go(intent) => {
                let mut effects = vec![Effect::DiscardDraft];
                effects.extend(self.leave_now(intent));
                effects
            }
            Step::Stay => Vec::new(),
        }
    }

    /// The own editor took its successful save; `pending_edits`: whether edits are still pending (typed
    /// while it was in flight). A "save first" goes on only when nothing is left to lose.
    pub fn own_save_applied(&mut self, pending_edits: bool) -> Vec<Effect> {
        match self.leave.question.saved(pending_edits) {
            Some(intent) => self.leave_now(intent),
            None => Vec::new(),
        }
    }

    /// The own editor is idle (no review, conflict or save open): a "save first" whose review was cancelled
    /// (or never opened) is forgotten.
    pub fn own_editor_idle(&mut self) {
        self.leave.question.forget_save();
    }

    /// The window's close button was pressed; `pending_edits` as for [`AppState::begin_leave`]. Once the
    /// user agreed the window closes unasked. Otherwise the drafts are brought up to date, and with pending
    /// edits the close waits for the answer to the question.
    pub fn close_requested(&mut self, pending_edits: bool) -> Vec<Effect> {
        if self.leave.close_allowed {
            return Vec::new();
        }
        if pending_edits {
            self.leave.question.ask(Intent::Close);
            vec![Effect::FlushDrafts, Effect::CancelClose]
        } else {
            vec![Effect::FlushDrafts]
        }
    }

    /// Whether the user agreed to close the window.
    pub fn close_allowed(&self) -> bool {
        self.leave.close_allowed
    }

    /// Carries out `intent` (nothing is pending, or the user discarded or saved it).
    fn leave_now(&mut self, intent: Intent) -> Vec<Effect> {
        self.leave.question.clear();
        match intent {
            Intent::Logout => self.begin_logout(),
            Intent::Reload => self.begin_reload(),
            Intent::Close => {
                self.leave.close_allowed = true;
                vec![Effect::FlushDrafts, Effect::CloseWindow]
            }
        }
    }

    /// The server no longer accepts the token: the login form (over the kept view) with a clear message;
    /// the editor and its edits, and the Users browser, stay in memory for the same user. This is the one
    /// place that decides what a session's end does to the rest:
    /// - a save of either editor still in flight is answered here as failed (its own answer, sent with the
    ///   dead token, is no longer awaited), so neither editor is left "Saving…"; the own one is sent again
    ///   after the same user logs in again;
    /// - a question about logging out or reloading, and a "save first", are dropped: the session they were
    ///   about is gone (closing the window is still asked, without "Save").
    fn session_ended(&mut self, error: &ApiError, retry_save: bool) -> Vec<Effect> {
        let Some(session) = self.session.take() else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        let own_save_interrupted = self.pending.save.take().is_some();
        if own_save_interrupted {
            effects.push(Effect::SaveFailed(error.clone()));
        }
        if let Some(id) = self.pending.record_save.take() {
            effects.push(Effect::Record(WorkerEvent::SaveFailed {
                id,
                error: error.clone(),
            }));
        }
        let retry_save = retry_save || own_save_interrupted;
        self.leave.question.forget_save();
        self.leave
            .question
            .keep_question_if(|intent| intent == Intent::Close);
        self.pending.reload = None;
        self.screen = Screen::Login;
        self.login_error = None;
        let code = error
            .code()
            .map(|code| format!(" (Backendless {code})"))
            .unwrap_or_default();
        let mut notice = if retry_save {
            format!(
                "Your session has ended{code}, so your changes were not saved yet. Log in again to continue: \
                 they are kept and will be saved right after you log in."
            )
        } else {
            format!(
                "Your session has ended{code}. Log in again to continue: your unsaved changes are kept."
            )
        };
        if let Some(why) = session_end_reason(error) {
            notice.push(' ');
            notice.push_str(why);
        }
        self.login_notice = Some(notice);
        self.ended = Some(EndedSession {
            connection: session.connection.clone(),
            object_id: session.object_id.clone(),
            retry_save,
        });
        effects.push(Effect::FillIdentity(session.identity));
        effects
    }
}

/// Whose save [`AppState::send_save`] sends: the own profile's editor, or the admin's record editor.
#[derive(Debug, Clone, Copy)]
enum SaveOf {
    Own,
    Record,
}

/// Said under "your session has ended" when the server no longer knows the token (3064): on a real app a
/// login of the same account elsewhere ends the older session. The app itself never logs in again by itself.
pub const LOGGED_IN_ELSEWHERE: &str = "This may be because the same account logged in somewhere else: \
     by default Backendless keeps one session per account.";

/// Said when the session timed out (3048, 3091).
pub const SESSION_TIMED_OUT: &str = "It timed out after a while without activity.";

/// Why the session may have ended, from the code the server answered.
fn session_end_reason(error: &ApiError) -> Option<&'static str> {
    use crate::backendless::codes;
    match error.code()? {
        codes::NOT_EXISTING_USER_TOKEN => Some(LOGGED_IN_ELSEWHERE),
        codes::SESSION_TIMEOUT | codes::SESSION_TIMEOUT_2 => Some(SESSION_TIMED_OUT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::leave::{Answer, Intent, Question};
    use crate::backendless::client::UserToken;
    use crate::model::schema::Schema;

    fn remote() -> Connection {
        Connection::Remote {
            server: "http://127.0.0.1:9".to_owned(),
            app_id: Some("APP".to_owned()),
            api_key: Some("KEY".to_owned()),
        }
    }

    fn record(object_id: &str) -> UserRecord {
        crate::model::test_fixtures::record(
            serde_json::json!({ "objectId": object_id, "email": "alice@example.com" }),
        )
    }

    fn profile(object_id: &str) -> Profile {
        Profile {
            schema: Schema::default(),
            record: record(object_id),
            roles: Ok(Vec::new()),
        }
    }

    fn session(object_id: &str) -> Session {
        Session {
            connection: remote(),
            user_token: UserToken::new("token".to_owned()),
            object_id: object_id.parse().unwrap(),
            identity: "alice@example.com".to_owned(),
        }
    }

    fn remembered(connection: &Connection) -> RememberedSession {
        RememberedSession {
            connection_key: connection.key(),
            object_id: "U1".parse().unwrap(),
            identity: "alice@example.com".to_owned(),
            user_token: "token".to_owned(),
        }
    }

    fn session_expired() -> ApiError {
        ApiError::SessionExpired {
            status: 401,
            code: 3064,
            message: "Not existing user token".to_owned(),
        }
    }

    /// The id of the single command among `effects`.
    fn sent(effects: &[Effect]) -> RequestId {
        let ids: Vec<RequestId> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send(command) => Some(command.id()),
                _ => None,
            })
            .collect();
        assert_eq!(ids.len(), 1, "expected exactly one command in {effects:?}");
        ids[0]
    }

    fn has(effects: &[Effect], pred: impl Fn(&Effect) -> bool) -> bool {
        effects.iter().any(pred)
    }

    /// A password change that checked the current password by logging in again carries on with the new
    /// session: later commands use its token, and an older request's "session ended" does not end it.
    #[test]
    fn a_password_change_that_logged_in_again_carries_on_with_the_new_session() {
        let mut state = at_login();
        log_in(&mut state, "alice@example.com", session("U1"), "U1");
        let (old_request, _) = state.begin_account(&remote(), None, AccountRequest::SignUpForm);
        let Some(current) = state.session().cloned() else {
            panic!("logged in");
        };
        let (id, effects) = state.begin_account(
            &remote(),
            None,
            AccountRequest::ChangePassword {
                session: current,
                current: Password::new("old".to_owned()),
                new: Password::new("new".to_owned()),
            },
        );
        assert_eq!(sent(&effects), id);
        let fresh = Session {
            user_token: UserToken::new("fresh-token".to_owned()),
            ..session("U1")
        };
        let effects = state.apply(WorkerEvent::Account {
            id,
            answer: AccountAnswer::PasswordChanged {
                session: Some(fresh.clone()),
            },
        });
        assert!(has(
            &effects,
            |e| matches!(e, Effect::Account(i, _) if *i == id)
        ));
        assert_eq!(state.session(), Some(&fresh));
        // A request sent with the old token fails with 3064: the new session stays.
        state.apply(WorkerEvent::Users {
            id: old_request,
            answer: crate::app::users::UsersAnswer::failed(
                &crate::app::users::UsersRequest::Schema {
                    ticket: crate::app::users::Ticket::new(1),
                },
                session_expired(),
            ),
        });
        assert_eq!(state.screen(), Screen::Editor);
        assert_eq!(state.session(), Some(&fresh));
        // Another user's session is never taken over.
        let (id, _) = state.begin_account(&remote(), None, AccountRequest::SignUpForm);
        state.apply(WorkerEvent::Account {
            id,
            answer: AccountAnswer::PasswordChanged {
                session: Some(session("U2")),
            },
        });
        assert_eq!(state.session(), Some(&fresh));
    }

    /// A sign-up is a login in flight: a second one is refused meanwhile, and a failed one frees the form.
    #[test]
    fn a_sign_up_counts_as_a_login_in_flight() {
        let mut state = at_login();
        let sign_up = || AccountRequest::SignUp {
            fields: serde_json::Map::new(),
            identity: "carol@example.com".to_owned(),
            password: Password::new("pw".to_owned()),
            remember: false,
        };
        let (id, effects) = state.begin_account(&remote(), None, sign_up());
        assert_eq!(sent(&effects), id);
        assert!(state.is_logging_in());
        assert!(state.begin_account(&remote(), None, sign_up()).1.is_empty());
        let effects = state.apply(WorkerEvent::Account {
            id,
            answer: AccountAnswer::SignedUpLoginFailed {
                identity: "carol@example.com".to_owned(),
                failure: Failure::Connection("x".to_owned()),
            },
        });
        assert!(!state.is_logging_in());
        assert!(has(
            &effects,
            |e| matches!(e, Effect::FillIdentity(i) if i == "carol@example.com")
        ));
    }

    /// A state on the login screen of a remote connection.
    fn at_login() -> AppState {
        let mut state = AppState::new();
        let effects = state.begin_start(&remote(), None);
        assert!(effects.is_empty());
        state
    }

    /// Logs `identity` in (not remembered) and answers with `session` and the profile of `object_id`.
    fn log_in(
        state: &mut AppState,
        identity: &str,
        session: Session,
        object_id: &str,
    ) -> Vec<Effect> {
        let id =
            sent(&state.begin_login(&remote(), identity, Password::new("pw".to_owned()), false));
        state.apply(WorkerEvent::LoggedIn {
            id,
            session,
            profile: profile(object_id),
        })
    }

    /// Saves `U1` and answers that the session has ended.
    fn end_session_during_save(state: &mut AppState) -> Vec<Effect> {
        let id = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        state.apply(WorkerEvent::SaveFailed {
            id,
            error: session_expired(),
        })
    }

    /// Starts a save of another user's record (the record editor's) and returns its request id.
    fn begin_record_save(state: &mut AppState) -> RequestId {
        let effects = state.begin_record_save("U2".parse().unwrap(), Some(7), Changeset::default());
        let id = sent(&effects);
        assert!(matches!(effects[0], Effect::RecordSaveStarted(started) if started == id));
        id
    }

    #[test]
    fn a_record_save_that_finds_the_session_ended_opens_the_login_over_the_view() {
        let mut state = in_editor();
        let id = begin_record_save(&mut state);
        let effects = state.apply(WorkerEvent::SaveFailed {
            id,
            error: ApiError::Timeout,
        });
        assert!(matches!(
            effects[..],
            [Effect::Record(WorkerEvent::SaveFailed { .. })]
        ));
        assert_eq!(state.screen(), Screen::Editor);
        let id = begin_record_save(&mut state);
        let effects = state.apply(WorkerEvent::SaveFailed {
            id,
            error: session_expired(),
        });
        assert!(
            matches!(effects[0], Effect::Record(WorkerEvent::SaveFailed { .. })),
            "the record editor learns it first: {effects:?}"
        );
        assert!(has(&effects, |e| matches!(e, Effect::FillIdentity(_))));
        assert_eq!(state.screen(), Screen::Login);
        assert!(state.relogin_pending());
        // The record editor's edit is not sent again by itself; the admin saves it again.
        let effects = log_in(&mut state, "alice@example.com", session("U1"), "U1");
        assert!(has(&effects, |e| matches!(e, Effect::Resumed)));
        assert!(!has(&effects, |e| matches!(e, Effect::RetrySave)));
    }

    /// The record editor's answers go to it, never to the own editor (and after a logout to no one).
    #[test]
    fn a_record_save_answer_goes_to_the_record_editor_only() {
        let mut state = in_editor();
        let id = begin_record_save(&mut state);
        let effects = state.apply(WorkerEvent::Saved {
            id,
            record: record("U2"),
        });
        assert!(matches!(
            effects[..],
            [Effect::Record(WorkerEvent::Saved { .. })]
        ));
        // Answered once: a repeat is stale.
        let repeat = WorkerEvent::Saved {
            id,
            record: record("U2"),
        };
        assert!(state.apply(repeat).is_empty());
        let id = begin_record_save(&mut state);
        state.begin_logout();
        let late = WorkerEvent::SaveFailed {
            id,
            error: session_expired(),
        };
        assert!(state.apply(late).is_empty());
    }

    /// Regression (one decision for a session's end): the own save in flight when another request (the
    /// Users browser's) finds the session ended is not left "Saving…" forever: the editor is told it
    /// failed, and it is sent again once the same user logged in again.
    #[test]
    fn an_own_save_in_flight_when_another_request_ends_the_session_is_retried_after_login() {
        let mut state = in_editor();
        let save = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        let users = state.next_request_id();
        let effects = state.apply(users_page_failed(users.0));
        assert!(
            has(
                &effects,
                |e| matches!(e, Effect::SaveFailed(error) if error.is_session_ending())
            ),
            "the editor learns its save failed: {effects:?}"
        );
        assert!(state.login_notice().unwrap().contains("not saved yet"));
        // The save's own late answer is no longer awaited.
        let late = WorkerEvent::SaveFailed {
            id: save,
            error: session_expired(),
        };
        assert!(state.apply(late).is_empty());
        let effects = log_in(&mut state, "alice@example.com", session("U1"), "U1");
        assert!(has(&effects, |e| matches!(e, Effect::RetrySave)));
    }

    /// Regression: the same for the record editor's save in flight when the own save finds the session
    /// ended.
    #[test]
    fn a_record_save_in_flight_when_the_own_save_ends_the_session_is_told_it_failed() {
        let mut state = in_editor();
        let record_save = begin_record_save(&mut state);
        let effects = end_session_during_save(&mut state);
        assert!(
            has(&effects, |e| matches!(
                e,
                Effect::Record(WorkerEvent::SaveFailed { id, .. }) if *id == record_save
            )),
            "{effects:?}"
        );
        assert!(has(&effects, |e| matches!(e, Effect::SaveFailed(_))));
        let late = WorkerEvent::Saved {
            id: record_save,
            record: record("U2"),
        };
        assert!(state.apply(late).is_empty(), "its late answer is stale");
    }

    // Leaving with unsaved edits.

    fn is_logout(effects: &[Effect]) -> bool {
        has(effects, |e| matches!(e, Effect::CloseEditor))
            && has(effects, |e| {
                matches!(e, Effect::Send(WorkerCommand::Logout { .. }))
            })
    }

    fn is_reload(effects: &[Effect]) -> bool {
        has(effects, |e| {
            matches!(e, Effect::Send(WorkerCommand::Reload { .. }))
        })
    }

    #[test]
    fn leaving_without_pending_edits_happens_at_once() {
        let mut state = in_editor();
        assert!(is_reload(&state.begin_leave(Intent::Reload, false)));
        assert!(state.leave_question().is_none());
        assert!(!state.close_allowed());
        let effects = state.begin_leave(Intent::Close, false);
        assert!(matches!(
            effects[..],
            [Effect::FlushDrafts, Effect::CloseWindow]
        ));
        assert!(state.close_allowed());
        assert!(is_logout(&state.begin_leave(Intent::Logout, false)));
        assert_eq!(state.screen(), Screen::Login);
    }

    #[test]
    fn leaving_with_pending_edits_asks_and_cancel_stays() {
        for intent in [Intent::Logout, Intent::Reload, Intent::Close] {
            let mut state = in_editor();
            assert!(state.begin_leave(intent, true).is_empty());
            let asked = Question {
                intent,
                can_save: true,
            };
            assert_eq!(state.leave_question(), Some(asked));
            assert!(state.answer_leave(Answer::Cancel).is_empty());
            assert!(state.leave_question().is_none());
            assert_eq!(state.screen(), Screen::Editor);
            assert!(!state.close_allowed());
            // An answer without a question does nothing.
            assert!(state.answer_leave(Answer::Discard).is_empty());
        }
    }

    #[test]
    fn discard_drops_the_draft_then_leaves() {
        let mut state = in_editor();
        state.begin_leave(Intent::Reload, true);
        let effects = state.answer_leave(Answer::Discard);
        assert!(matches!(effects[0], Effect::DiscardDraft));
        assert!(is_reload(&effects));
        assert!(state.leave_question().is_none());

        state.begin_leave(Intent::Logout, true);
        let effects = state.answer_leave(Answer::Discard);
        assert!(matches!(effects[0], Effect::DiscardDraft));
        assert!(is_logout(&effects));

        let mut state = in_editor();
        state.begin_leave(Intent::Close, true);
        let effects = state.answer_leave(Answer::Discard);
        assert!(matches!(
            effects[..],
            [
                Effect::DiscardDraft,
                Effect::FlushDrafts,
                Effect::CloseWindow
            ]
        ));
        assert!(state.close_allowed());
    }

    #[test]
    fn save_first_leaves_once_the_save_succeeded_with_nothing_left() {
        let mut state = in_editor();
        state.begin_leave(Intent::Logout, true);
        assert!(matches!(
            state.answer_leave(Answer::Save)[..],
            [Effect::ReviewSave]
        ));
        assert!(state.leave_question().is_none());
        let id = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        let effects = state.apply(WorkerEvent::Saved {
            id,
            record: record("U1"),
        });
        assert!(matches!(effects[..], [Effect::SaveSucceeded(_)]));
        assert!(is_logout(&state.own_save_applied(false)));
        assert_eq!(state.screen(), Screen::Login);
    }

    #[test]
    fn save_first_does_not_leave_when_edits_remain_or_the_save_failed_or_the_review_closed() {
        // Typed while the save was in flight: those edits would be lost.
        let mut state = in_editor();
        state.begin_leave(Intent::Close, true);
        state.answer_leave(Answer::Save);
        assert!(state.own_save_applied(true).is_empty());
        assert!(
            state.own_save_applied(false).is_empty(),
            "forgotten once used"
        );
        assert!(!state.close_allowed());

        // The save was refused.
        state.begin_leave(Intent::Logout, true);
        state.answer_leave(Answer::Save);
        let id = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        state.apply(WorkerEvent::SaveFailed {
            id,
            error: ApiError::Timeout,
        });
        assert!(state.own_save_applied(false).is_empty());
        assert_eq!(state.screen(), Screen::Editor);

        // The review was cancelled: the editor is idle again.
        state.begin_leave(Intent::Logout, true);
        state.answer_leave(Answer::Save);
        state.own_editor_idle();
        assert!(state.own_save_applied(false).is_empty());
        assert_eq!(state.screen(), Screen::Editor);
    }

    #[test]
    fn closing_the_window_flushes_the_drafts_and_asks_only_with_pending_edits() {
        let mut state = in_editor();
        assert!(matches!(
            state.close_requested(false)[..],
            [Effect::FlushDrafts]
        ));
        assert!(state.leave_question().is_none());
        assert!(matches!(
            state.close_requested(true)[..],
            [Effect::FlushDrafts, Effect::CancelClose]
        ));
        assert_eq!(
            state.leave_question().map(|q| q.intent),
            Some(Intent::Close)
        );
        state.answer_leave(Answer::Discard);
        assert!(state.close_allowed());
        // Agreed: the close goes through without asking again.
        assert!(state.close_requested(true).is_empty());
        assert!(state.leave_question().is_none());
    }

    /// Regression (two layers disagreed): a "Log out?" question open when the session ended stayed over the
    /// re-login prompt, and its "Save" then logged the user out right after they had logged in again.
    #[test]
    fn a_session_end_drops_a_logout_or_reload_question_and_a_save_first() {
        for intent in [Intent::Logout, Intent::Reload] {
            let mut state = in_editor();
            state.begin_leave(intent, true);
            let id = state.next_request_id();
            state.apply(users_page_failed(id.0));
            assert!(state.relogin_pending());
            assert!(state.leave_question().is_none(), "{intent:?}");
            assert!(state.answer_leave(Answer::Save).is_empty());
        }
        let mut state = in_editor();
        state.begin_leave(Intent::Logout, true);
        state.answer_leave(Answer::Save);
        let id = state.next_request_id();
        state.apply(users_page_failed(id.0));
        log_in(&mut state, "alice@example.com", session("U1"), "U1");
        assert!(
            state.own_save_applied(false).is_empty(),
            "a save after the new login does not log out"
        );
        assert_eq!(state.screen(), Screen::Editor);
    }

    /// Closing the window while the session has ended still asks, but without "Save" (nothing could take
    /// it).
    #[test]
    fn closing_under_the_relogin_prompt_asks_without_save() {
        let mut state = in_editor();
        end_session_during_save(&mut state);
        state.close_requested(true);
        let asked = Question {
            intent: Intent::Close,
            can_save: false,
        };
        assert_eq!(state.leave_question(), Some(asked));
        assert!(state.answer_leave(Answer::Save).is_empty());
        assert!(state.leave_question().is_some(), "still asked");
        let effects = state.answer_leave(Answer::Discard);
        assert!(matches!(effects[0], Effect::DiscardDraft));
        assert!(has(&effects, |e| matches!(e, Effect::CloseWindow)));
        // A question open before the session ended keeps asking about the close, without "Save" now.
        let mut state = in_editor();
        state.close_requested(true);
        end_session_during_save(&mut state);
        assert_eq!(state.leave_question().map(|q| q.can_save), Some(false));
    }

    #[test]
    fn leaving_the_relogin_prompt_drops_the_kept_views_and_the_draft() {
        let mut state = in_editor();
        assert!(state.leave_ended_session().is_empty(), "nothing ended");
        end_session_during_save(&mut state);
        let effects = state.leave_ended_session();
        assert!(matches!(
            effects[..],
            [Effect::DiscardDraft, Effect::CloseEditor]
        ));
        assert!(!state.relogin_pending());
        assert_eq!(state.screen(), Screen::Login);
        // The same user now gets a fresh editor, and the save is not retried.
        let effects = log_in(&mut state, "alice@example.com", session("U1"), "U1");
        assert!(has(&effects, |e| matches!(e, Effect::OpenEditor { .. })));
        assert!(!has(&effects, |e| matches!(
            e,
            Effect::RetrySave | Effect::Resumed
        )));
    }

    /// A state in the editor as user `U1`.
    fn in_editor() -> AppState {
        let mut state = at_login();
        log_in(&mut state, "alice@example.com", session("U1"), "U1");
        assert_eq!(state.screen(), Screen::Editor);
        state
    }

    #[test]
    fn local_demo_starts_the_server_then_shows_login() {
        let mut state = AppState::new();
        let id = sent(&state.begin_start(&Connection::LocalDemo, None));
        assert_eq!(state.screen(), Screen::Starting);
        assert!(!state.is_ready(&Connection::LocalDemo));
        state.apply(WorkerEvent::LocalDemoStarted {
            id,
            origin: "http://127.0.0.1:1".to_owned(),
        });
        assert_eq!(state.screen(), Screen::Login);
        assert!(state.is_ready(&Connection::LocalDemo));
    }

    #[test]
    fn local_server_failure_shows_login_with_a_connection_error() {
        let mut state = AppState::new();
        let id = sent(&state.begin_start(&Connection::LocalDemo, None));
        state.apply(WorkerEvent::LocalDemoFailed {
            id,
            message: "disk full".to_owned(),
        });
        assert_eq!(state.screen(), Screen::Login);
        assert!(state.connection_error().unwrap().contains("disk full"));
        // Picking the Local demo again retries.
        assert!(matches!(
            state.begin_select_connection(&Connection::LocalDemo)[..],
            [Effect::Send(_)]
        ));
    }

    #[test]
    fn remote_connection_without_remembered_session_goes_straight_to_login() {
        assert_eq!(at_login().screen(), Screen::Login);
    }

    #[test]
    fn login_success_opens_the_editor_and_forgets_the_password() {
        let mut state = at_login();
        let id = sent(&state.begin_login(
            &remote(),
            " alice@example.com ",
            Password::new("pw".to_owned()),
            true,
        ));
        assert!(state.is_logging_in());
        let effects = state.apply(WorkerEvent::LoggedIn {
            id,
            session: session("U1"),
            profile: profile("U1"),
        });
        assert_eq!(state.screen(), Screen::Editor);
        assert!(!state.is_logging_in());
        assert!(has(&effects, |e| matches!(e, Effect::ClearPassword)));
        assert!(has(
            &effects,
            |e| matches!(e, Effect::OpenEditor { identity, .. } if identity == "alice@example.com")
        ));
    }

    #[test]
    fn login_command_carries_the_trimmed_identity() {
        let mut state = at_login();
        let effects = state.begin_login(
            &remote(),
            " bob@example.com\n",
            Password::new("pw".to_owned()),
            false,
        );
        let [
            Effect::Send(WorkerCommand::Login {
                identity, remember, ..
            }),
        ] = &effects[..]
        else {
            panic!("expected a login command, got {effects:?}")
        };
        assert_eq!(identity, "bob@example.com");
        assert!(!remember);
    }

    #[test]
    fn login_failure_stays_on_login_with_the_error_in_plain_words() {
        let mut state = at_login();
        let id = sent(&state.begin_login(&remote(), "a", Password::new("b".to_owned()), false));
        let effects = state.apply(WorkerEvent::LoginFailed {
            id,
            failure: Failure::Api(ApiError::InvalidCredentials { status: 401 }),
        });
        assert_eq!(state.screen(), Screen::Login);
        assert_eq!(state.login_error(), Some("Wrong email or password."));
        assert_eq!(state.connection_error(), None);
        // Nothing touches the form: the identity the user typed stays.
        assert!(effects.is_empty());
    }

    #[test]
    fn bad_app_keys_at_login_are_shown_at_the_connection_too() {
        let mut state = at_login();
        let id = sent(&state.begin_login(&remote(), "a", Password::new("b".to_owned()), false));
        let failure = Failure::Api(ApiError::BadAppKeys {
            status: 401,
            message: "Invalid API key".to_owned(),
        });
        state.apply(WorkerEvent::LoginFailed { id, failure });
        assert!(state.connection_error().is_some());
        assert_eq!(state.login_error(), state.connection_error());
        state.connection_edited();
        assert_eq!(state.connection_error(), None);
    }

    #[test]
    fn a_second_submit_while_logging_in_is_ignored() {
        let mut state = at_login();
        sent(&state.begin_login(&remote(), "a", Password::new("b".to_owned()), false));
        assert!(
            state
                .begin_login(&remote(), "a", Password::new("b".to_owned()), false)
                .is_empty()
        );
    }

    #[test]
    fn stale_login_answer_is_ignored() {
        let mut state = at_login();
        let first = sent(&state.begin_login(&remote(), "a", Password::new("b".to_owned()), false));
        state.apply(WorkerEvent::LoginFailed {
            id: first,
            failure: Failure::Api(ApiError::Timeout),
        });
        let second = sent(&state.begin_login(&remote(), "a", Password::new("c".to_owned()), false));
        assert_ne!(first, second);
        // A late duplicate answer to the first request changes nothing.
        let effects = state.apply(WorkerEvent::LoggedIn {
            id: first,
            session: session("U1"),
            profile: profile("U1"),
        });
        assert!(effects.is_empty());
        assert_eq!(state.screen(), Screen::Login);
        assert!(state.is_logging_in());
    }

    #[test]
    fn a_save_conflict_reaches_the_editor_with_the_base_sent_and_stale_ones_are_ignored() {
        let mut state = in_editor();
        let effects = state.begin_save("U1".parse().unwrap(), Some(5), Changeset::default());
        assert!(has(&effects, |e| matches!(
            e,
            Effect::Send(WorkerCommand::Save {
                base_updated: Some(5),
                ..
            })
        )));
        let first = sent(&effects);
        let second = sent(&state.begin_save("U1".parse().unwrap(), Some(5), Changeset::default()));
        assert!(
            state
                .apply(WorkerEvent::SaveConflict {
                    id: first,
                    theirs: record("U1")
                })
                .is_empty()
        );
        let effects = state.apply(WorkerEvent::SaveConflict {
            id: second,
            theirs: record("U1"),
        });
        assert!(has(&effects, |e| matches!(e, Effect::SaveConflict(_))));
        assert!(
            state
                .apply(WorkerEvent::SaveConflict {
                    id: second,
                    theirs: record("U1"),
                })
                .is_empty()
        );
    }

    #[test]
    fn stale_save_answer_is_ignored() {
        let mut state = in_editor();
        let first = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        let second = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        assert!(
            state
                .apply(WorkerEvent::Saved {
                    id: first,
                    record: record("U1")
                })
                .is_empty()
        );
        let effects = state.apply(WorkerEvent::Saved {
            id: second,
            record: record("U1"),
        });
        assert!(matches!(effects[..], [Effect::SaveSucceeded(_)]));
    }

    #[test]
    fn save_start_is_reported_to_the_editor_with_its_request_id() {
        let mut state = in_editor();
        let effects = state.begin_save("U1".parse().unwrap(), None, Changeset::default());
        let id = sent(&effects);
        assert!(matches!(effects[0], Effect::SaveStarted(started) if started == id));
    }

    #[test]
    fn field_errors_go_to_the_editor_and_keep_the_session() {
        let mut state = in_editor();
        let id = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        let error = ApiError::IdentityTaken {
            status: 400,
            message: "taken".to_owned(),
        };
        let effects = state.apply(WorkerEvent::SaveFailed {
            id,
            error: error.clone(),
        });
        assert!(matches!(&effects[..], [Effect::SaveFailed(e)] if *e == error));
        assert_eq!(state.screen(), Screen::Editor);
        assert!(state.session().is_some());
    }

    #[test]
    fn bad_app_keys_on_save_are_shown_at_the_connection() {
        let mut state = in_editor();
        let id = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        state.apply(WorkerEvent::SaveFailed {
            id,
            error: ApiError::BadAppKeys {
                status: 401,
                message: String::new(),
            },
        });
        assert!(state.connection_error().is_some());
        assert_eq!(state.screen(), Screen::Editor);
    }

    #[test]
    fn session_ending_save_returns_to_login_keeping_identity_and_edits() {
        let mut state = in_editor();
        let effects = end_session_during_save(&mut state);
        assert_eq!(state.screen(), Screen::Login);
        assert!(state.session().is_none());
        assert!(state.login_notice().unwrap().contains("session has ended"));
        assert!(has(&effects, |e| matches!(e, Effect::SaveFailed(_))));
        assert!(has(
            &effects,
            |e| matches!(e, Effect::FillIdentity(i) if i == "alice@example.com")
        ));
        // The editor is not closed: its edits survive.
        assert!(!has(&effects, |e| matches!(e, Effect::CloseEditor)));
    }

    #[test]
    fn a_session_ended_by_a_login_elsewhere_says_so_and_never_logs_in_by_itself() {
        let mut state = in_editor();
        let effects = end_session_during_save(&mut state);
        let notice = state.login_notice().unwrap();
        assert!(notice.contains(LOGGED_IN_ELSEWHERE), "{notice}");
        assert!(state.relogin_pending());
        let logs_in = |e: &Effect| matches!(e, Effect::Send(WorkerCommand::Login { .. }));
        assert!(!has(&effects, logs_in), "{effects:?}");
        // A timeout gives its own reason, not the login elsewhere.
        let mut state = in_editor();
        let id = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        let effects = state.apply(WorkerEvent::SaveFailed {
            id,
            error: ApiError::SessionExpired {
                status: 401,
                code: 3048,
                message: String::new(),
            },
        });
        let notice = state.login_notice().unwrap();
        assert!(notice.contains(SESSION_TIMED_OUT), "{notice}");
        assert!(!notice.contains(LOGGED_IN_ELSEWHERE), "{notice}");
        assert!(!has(&effects, logs_in));
    }

    #[test]
    fn each_session_ending_code_returns_to_login() {
        for error in [
            ApiError::NotLoggedIn { status: 401 },
            ApiError::SessionExpired {
                status: 401,
                code: 3048,
                message: String::new(),
            },
            ApiError::SessionExpired {
                status: 401,
                code: 3064,
                message: String::new(),
            },
            ApiError::SessionExpired {
                status: 401,
                code: 3091,
                message: String::new(),
            },
        ] {
            let mut state = in_editor();
            let id = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
            state.apply(WorkerEvent::SaveFailed {
                id,
                error: error.clone(),
            });
            assert_eq!(state.screen(), Screen::Login, "{error:?}");
        }
    }

    #[test]
    fn same_user_logging_in_again_keeps_the_editor_and_retries_the_save() {
        let mut state = in_editor();
        end_session_during_save(&mut state);
        let effects = log_in(&mut state, "alice@example.com", session("U1"), "U1");
        assert_eq!(state.screen(), Screen::Editor);
        assert!(has(&effects, |e| matches!(e, Effect::Resumed)));
        assert!(has(&effects, |e| matches!(e, Effect::RetrySave)));
        assert!(!has(&effects, |e| matches!(
            e,
            Effect::OpenEditor { .. } | Effect::CloseEditor
        )));
        assert_eq!(state.login_notice(), None);
    }

    #[test]
    fn another_user_logging_in_after_an_ended_session_gets_a_fresh_editor() {
        let mut state = in_editor();
        end_session_during_save(&mut state);
        let effects = log_in(&mut state, "bob@example.com", session("U2"), "U2");
        assert!(has(&effects, |e| matches!(e, Effect::CloseEditor)));
        assert!(has(&effects, |e| matches!(e, Effect::OpenEditor { .. })));
        assert!(!has(&effects, |e| matches!(
            e,
            Effect::RetrySave | Effect::Resumed
        )));
    }

    #[test]
    fn same_object_id_on_another_connection_is_another_user() {
        let mut state = in_editor();
        end_session_during_save(&mut state);
        let other = Session {
            connection: Connection::LocalDemo,
            ..session("U1")
        };
        let effects = log_in(&mut state, "alice@example.com", other, "U1");
        assert!(has(&effects, |e| matches!(e, Effect::OpenEditor { .. })));
        assert!(!has(&effects, |e| matches!(e, Effect::RetrySave)));
    }

    #[test]
    fn logout_returns_to_login_at_once_and_tells_the_worker() {
        let mut state = in_editor();
        let effects = state.begin_logout();
        assert_eq!(state.screen(), Screen::Login);
        assert!(state.session().is_none());
        assert!(has(&effects, |e| matches!(e, Effect::CloseEditor)));
        assert!(has(
            &effects,
            |e| matches!(e, Effect::FillIdentity(i) if i == "alice@example.com")
        ));
        let id = sent(&effects);
        assert!(
            state
                .apply(WorkerEvent::LoggedOut { id, failure: None })
                .is_empty()
        );
        assert_eq!(state.login_notice(), None);
    }

    #[test]
    fn logout_that_cannot_reach_the_server_says_so() {
        let mut state = in_editor();
        let id = sent(&state.begin_logout());
        let failure = Failure::Api(ApiError::Unreachable {
            detail: "refused".to_owned(),
        });
        state.apply(WorkerEvent::LoggedOut {
            id,
            failure: Some(failure),
        });
        assert!(state.login_notice().unwrap().contains("could not be told"));
    }

    #[test]
    fn a_save_answer_after_logout_is_ignored() {
        let mut state = in_editor();
        let id = sent(&state.begin_save("U1".parse().unwrap(), None, Changeset::default()));
        state.begin_logout();
        assert!(
            state
                .apply(WorkerEvent::SaveFailed {
                    id,
                    error: session_expired()
                })
                .is_empty()
        );
        assert_eq!(state.login_notice(), None);
    }

    #[test]
    fn remembered_session_is_checked_after_the_local_server_starts() {
        let mut state = AppState::new();
        let effects = state.begin_start(
            &Connection::LocalDemo,
            Some(remembered(&Connection::LocalDemo)),
        );
        assert!(has(&effects, |e| matches!(e, Effect::FillIdentity(_))));
        let start = sent(&effects);
        let effects = state.apply(WorkerEvent::LocalDemoStarted {
            id: start,
            origin: "o".to_owned(),
        });
        assert_eq!(state.screen(), Screen::Starting);
        let [Effect::Send(WorkerCommand::Resume { id, .. })] = &effects[..] else {
            panic!("expected a resume command, got {effects:?}")
        };
        state.apply(WorkerEvent::LoggedIn {
            id: *id,
            session: session("U1"),
            profile: profile("U1"),
        });
        assert_eq!(state.screen(), Screen::Editor);
    }

    #[test]
    fn remembered_session_of_another_connection_is_not_used() {
        let mut state = AppState::new();
        let effects = state.begin_start(&remote(), Some(remembered(&Connection::LocalDemo)));
        assert!(effects.is_empty());
        assert_eq!(state.screen(), Screen::Login);
    }

    #[test]
    fn invalid_remembered_token_shows_login_with_the_identity() {
        let mut state = AppState::new();
        let id = sent(&state.begin_start(&remote(), Some(remembered(&remote()))));
        assert_eq!(state.screen(), Screen::Starting);
        let effects = state.apply(WorkerEvent::ResumeFailed {
            id,
            identity: "alice@example.com".to_owned(),
            failure: None,
        });
        assert_eq!(state.screen(), Screen::Login);
        assert!(
            state
                .login_notice()
                .unwrap()
                .contains("saved session has ended")
        );
        assert!(has(
            &effects,
            |e| matches!(e, Effect::FillIdentity(i) if i == "alice@example.com")
        ));
    }

    #[test]
    fn reloading_a_deleted_account_says_the_account_is_gone() {
        let mut state = in_editor();
        let id = sent(&state.begin_reload());
        let effects = state.apply(WorkerEvent::ReloadFailed {
            id,
            error: ApiError::EntityNotFound {
                status: 404,
                message: "Entity with ID U1 not found".into(),
            },
        });
        assert!(effects.is_empty(), "nothing is retried");
        let shown = state.reload_error().unwrap();
        assert!(shown.contains("Your account no longer exists"), "{shown}");
        assert!(!shown.contains("Entity with ID"), "{shown}");
        assert_eq!(state.screen(), Screen::Editor);
    }

    #[test]
    fn reload_replaces_the_editor_and_its_failure_is_reported() {
        let mut state = in_editor();
        let id = sent(&state.begin_reload());
        assert!(state.is_reloading());
        let effects = state.apply(WorkerEvent::Reloaded {
            id,
            profile: profile("U1"),
        });
        assert!(matches!(effects[..], [Effect::OpenEditor { .. }]));
        let id = sent(&state.begin_reload());
        state.apply(WorkerEvent::ReloadFailed {
            id,
            error: ApiError::Timeout,
        });
        assert!(
            state
                .reload_error()
                .unwrap()
                .contains("did not answer in time")
        );
        assert_eq!(state.screen(), Screen::Editor);
    }

    #[test]
    fn a_users_browser_request_that_finds_the_session_ended_asks_to_log_in_again() {
        use crate::app::users::UsersAnswer;
        let mut state = in_editor();
        let effects = state.apply(WorkerEvent::Users {
            id: RequestId(99),
            answer: UsersAnswer::Count {
                ticket: crate::app::users::Ticket::new(1),
                result: Err(ApiError::InvalidWhere {
                    status: 400,
                    message: "bad".into(),
                }),
            },
        });
        assert!(matches!(effects[..], [Effect::Users(_)]));
        assert_eq!(state.screen(), Screen::Editor);
        let effects = state.apply(WorkerEvent::Users {
            id: RequestId(100),
            answer: UsersAnswer::Page {
                ticket: crate::app::users::Ticket::new(2),
                page: 3,
                result: Err(session_expired()),
            },
        });
        assert!(
            matches!(effects[0], Effect::Users(_)),
            "the view learns it too"
        );
        assert!(has(&effects, |e| matches!(e, Effect::FillIdentity(_))));
        assert_eq!(state.screen(), Screen::Login);
        assert!(state.login_notice().unwrap().contains("session has ended"));
        // The same prompt as for a save: the views are kept for the same user.
        assert!(state.relogin_pending());
        assert!(!has(&effects, |e| matches!(e, Effect::CloseEditor)));
    }

    /// A session-ending answer of the Users browser.
    fn users_page_failed(id: u64) -> WorkerEvent {
        WorkerEvent::Users {
            id: RequestId(id),
            answer: crate::app::users::UsersAnswer::Page {
                ticket: crate::app::users::Ticket::new(1),
                page: 0,
                result: Err(session_expired()),
            },
        }
    }

    #[test]
    fn the_same_admin_after_a_users_browser_session_end_keeps_the_views_and_reloads_what_failed() {
        let mut state = in_editor();
        let id = state.next_request_id();
        state.apply(users_page_failed(id.0));
        let effects = log_in(&mut state, "alice@example.com", session("U1"), "U1");
        assert_eq!(state.screen(), Screen::Editor);
        assert!(has(&effects, |e| matches!(e, Effect::Resumed)));
        assert!(!has(&effects, |e| matches!(
            e,
            Effect::RetrySave | Effect::OpenEditor { .. } | Effect::CloseEditor
        )));
        assert!(!state.relogin_pending());
    }

    #[test]
    fn another_user_after_a_users_browser_session_end_gets_a_fresh_start() {
        let mut state = in_editor();
        let id = state.next_request_id();
        state.apply(users_page_failed(id.0));
        let effects = log_in(&mut state, "bob@example.com", session("U2"), "U2");
        assert!(has(&effects, |e| matches!(e, Effect::CloseEditor)));
        assert!(has(&effects, |e| matches!(e, Effect::OpenEditor { .. })));
        assert!(!has(&effects, |e| matches!(e, Effect::Resumed)));
    }

    #[test]
    fn a_late_users_answer_sent_with_the_old_token_does_not_end_the_new_session() {
        let mut state = in_editor();
        let count = state.next_request_id();
        let page = state.next_request_id();
        state.apply(users_page_failed(count.0));
        log_in(&mut state, "alice@example.com", session("U1"), "U1");
        // The page request went out with the revoked token and answers only now.
        let effects = state.apply(users_page_failed(page.0));
        assert!(
            matches!(effects[..], [Effect::Users(_), Effect::Resumed]),
            "the view learns it, then loads it again: {effects:?}"
        );
        assert_eq!(state.screen(), Screen::Editor);
        assert!(!state.relogin_pending());
        // A request of the new session that finds it ended still asks to log in again.
        let fresh = state.next_request_id();
        state.apply(users_page_failed(fresh.0));
        assert_eq!(state.screen(), Screen::Login);
    }
}
