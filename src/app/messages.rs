//! The messages between the UI thread and the background worker: `WorkerCommand` (UI → worker),
//! `WorkerEvent` (worker → UI), the `RequestId` every command carries, and `EventTx`, which wakes the UI
//! after every event. Plain data: no I/O here.

use crate::app::settings::{Connection, RememberedSession};
use crate::backendless::client::{Password, UserToken};
use crate::backendless::error::ApiError;
use crate::model::diff::Changeset;
use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;
use crate::model::schema::Schema;

/// Names one command; its answer carries the same id, so an answer to an older command can be told apart
/// and ignored. Handed out in increasing order by `AppState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// A logged-in user, as far as the app needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The connection the session belongs to.
    pub connection: Connection,
    /// The user-token (its `Debug` hides the value).
    pub user_token: UserToken,
    /// The user's objectId, parsed where it entered (the login reply or the remembered-session file).
    pub object_id: ObjectId,
    /// The identity the user logged in with, shown in the top bar.
    pub identity: String,
}

/// What the editor opens on: the Users schema and the user's record.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Typed property descriptors of `Users`.
    pub schema: Schema,
    /// The user's record.
    pub record: UserRecord,
    /// The user's roles (`users/userroles`), asked for at the same time as the schema; they decide whether the
    /// Users view is offered, and an error here only means it is not.
    pub roles: Result<Vec<String>, ApiError>,
}

/// Why a command that needed a connection did not reach the server, or what the server said.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The server (or the network) answered with an error.
    Api(ApiError),
    /// The connection settings cannot be used (a malformed URL, a missing key, the local server failed).
    Connection(String),
}

impl Failure {
    /// Whether the failure is about the connection settings (shown at the connection picker): 2002, a 404
    /// (nothing answers the API at the address) or unusable settings.
    pub fn is_about_connection(&self) -> bool {
        match self {
            Self::Api(error) => error.is_about_connection(),
            Self::Connection(_) => true,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api(error) => error.fmt(f),
            Self::Connection(message) => f.write_str(message),
        }
    }
}

/// UI → worker. Each variant carries the `RequestId` its answer will repeat.
pub enum WorkerCommand {
    /// Start the embedded emulator (Local demo) if it is not running.
    StartLocalDemo {
        /// Answered by `LocalDemoStarted` / `LocalDemoFailed`.
        id: RequestId,
    },
    /// Log in, then load the schema and the user's record; with `remember`, keep the token on disk.
    Login {
        /// Answered by `LoggedIn` / `LoginFailed`.
        id: RequestId,
        /// Where to log in.
        connection: Connection,
        /// Identity as typed, trimmed.
        identity: String,
        /// The password (never logged, never stored).
        password: Password,
        /// "Remember me".
        remember: bool,
    },
    /// Check a remembered token with `isvalidusertoken` and, if valid, reopen its session.
    Resume {
        /// Answered by `LoggedIn` / `ResumeFailed`.
        id: RequestId,
        /// Where the token belongs.
        connection: Connection,
        /// The remembered session.
        remembered: RememberedSession,
    },
    /// Re-read `object_id`; if its `updated` is still `base_updated`, send only the changed properties.
    Save {
        /// Answered by `Saved` / `SaveConflict` / `SaveFailed`.
        id: RequestId,
        /// Whose token to use.
        session: Session,
        /// The record to update.
        object_id: ObjectId,
        /// `updated` of the record the edits were made against (epoch ms).
        base_updated: Option<i64>,
        /// The diff.
        changes: Changeset,
    },
    /// Load the schema and the record again.
    Reload {
        /// Answered by `Reloaded` / `ReloadFailed`.
        id: RequestId,
        /// Whose token to use.
        session: Session,
    },
    /// Log out on the server and forget any remembered token.
    Logout {
        /// Answered by `LoggedOut`.
        id: RequestId,
        /// The session to end.
        session: Session,
    },
    /// Something the user's account flows need (sign up, forgot password, change password).
    Account {
        /// Answered by `Account`.
        id: RequestId,
        /// Where to send it.
        connection: Connection,
        /// The connection's CloudCode key, if one is set (for `verifypassowrd`). Secret: never logged.
        cloudcode_key: Option<String>,
        /// What to do.
        request: AccountRequest,
    },
    /// Something the admin's Users browser needs (roles, count, a page, an export, the save dialog).
    Users {
        /// Answered by `Users`.
        id: RequestId,
        /// Whose token to use.
        session: Session,
        /// The connection's CloudCode key, if one is set (status and role changes need it).
        cloudcode_key: Option<crate::app::users::CloudCodeKey>,
        /// What to do.
        request: crate::app::users::UsersRequest,
    },
}

impl WorkerCommand {
    /// The request id of this command.
    pub fn id(&self) -> RequestId {
        match self {
            Self::StartLocalDemo { id }
            | Self::Login { id, .. }
            | Self::Resume { id, .. }
            | Self::Save { id, .. }
            | Self::Reload { id, .. }
            | Self::Logout { id, .. }
            | Self::Account { id, .. }
            | Self::Users { id, .. } => *id,
        }
    }

    /// The variant's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::StartLocalDemo { .. } => "StartLocalDemo",
            Self::Login { .. } => "Login",
            Self::Resume { .. } => "Resume",
            Self::Save { .. } => "Save",
            Self::Reload { .. } => "Reload",
            Self::Logout { .. } => "Logout",
            Self::Account { .. } => "Account",
            Self::Users { .. } => "Users",
        }
    }
}

/// Only the variant and the id: payloads hold passwords and tokens.
impl std::fmt::Debug for WorkerCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", self.name(), self.id().0)
    }
}

/// Worker → UI. Each variant repeats the id of the command it answers.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerEvent {
    /// The embedded emulator is serving at `origin` (`http://127.0.0.1:PORT`).
    LocalDemoStarted {
        /// The `StartLocalDemo` answered.
        id: RequestId,
        /// Where it serves.
        origin: String,
    },
    /// The embedded emulator could not start (e.g. an unusable data dir).
    LocalDemoFailed {
        /// The `StartLocalDemo` answered.
        id: RequestId,
        /// Why, in plain words.
        message: String,
    },
    /// A login or a resumed session succeeded and the profile is loaded.
    LoggedIn {
        /// The `Login` or `Resume` answered.
        id: RequestId,
        /// The new session.
        session: Session,
        /// Schema and record.
        profile: Profile,
    },
    /// The login failed; nothing changed.
    LoginFailed {
        /// The `Login` answered.
        id: RequestId,
        /// Why.
        failure: Failure,
    },
    /// The remembered session cannot be reopened; it has been forgotten unless `failure` is a network problem.
    ResumeFailed {
        /// The `Resume` answered.
        id: RequestId,
        /// The remembered identity, to fill the login form.
        identity: String,
        /// `None` when the server said the token is no longer valid.
        failure: Option<Failure>,
    },
    /// The changes were saved; `record` is the server's full updated record.
    Saved {
        /// The `Save` answered.
        id: RequestId,
        /// The new baseline.
        record: UserRecord,
    },
    /// The record changed on the server since the edits' base; nothing was written. `theirs` is the record
    /// as the server has it now, for the three-way merge.
    SaveConflict {
        /// The `Save` answered.
        id: RequestId,
        /// The re-read record.
        theirs: UserRecord,
    },
    /// The save failed; nothing was changed on the server.
    SaveFailed {
        /// The `Save` answered.
        id: RequestId,
        /// Why.
        error: ApiError,
    },
    /// The profile was loaded again.
    Reloaded {
        /// The `Reload` answered.
        id: RequestId,
        /// Schema and record.
        profile: Profile,
    },
    /// Loading the profile again failed.
    ReloadFailed {
        /// The `Reload` answered.
        id: RequestId,
        /// Why.
        error: ApiError,
    },
    /// The session was ended and the remembered token forgotten. `failure` says if the server could not be told.
    LoggedOut {
        /// The `Logout` answered.
        id: RequestId,
        /// Set when the server's logout call failed (the token is forgotten locally anyway).
        failure: Option<Failure>,
    },
    /// The answer to an `Account` command (a sign-up that succeeded answers `LoggedIn` instead).
    Account {
        /// The `Account` command answered.
        id: RequestId,
        /// What came back.
        answer: AccountAnswer,
    },
    /// The answer to a `Users` command.
    Users {
        /// The `Users` command answered.
        id: RequestId,
        /// What came back.
        answer: crate::app::users::UsersAnswer,
    },
}

/// What the account flows ask of the worker. Its `Debug` names the variant only: payloads hold passwords.
pub enum AccountRequest {
    /// Describe `Users` without a session (`users/userclassprops`), for the sign-up form.
    SignUpForm,
    /// `POST users/register` with `fields` and `password`, then log in as the new user (answered `LoggedIn`).
    SignUp {
        /// The identity and the other properties typed, as JSON values (no password).
        fields: serde_json::Map<String, serde_json::Value>,
        /// The identity typed, for the login after the sign-up.
        identity: String,
        /// The new password (never logged, never stored; zeroed when dropped).
        password: Password,
        /// Keep the new session for the next start (the login form's "Remember me").
        remember: bool,
    },
    /// `GET users/restorepassword/{identity}`.
    RestorePassword {
        /// The identity as typed, trimmed.
        identity: String,
    },
    /// Check `current` (with the CloudCode key through `verifypassowrd`, else by logging in again), then send
    /// `new` with `PUT users/{objectId}`.
    ChangePassword {
        /// Whose password.
        session: Session,
        /// The password now.
        current: Password,
        /// The password to set.
        new: Password,
    },
}

impl AccountRequest {
    /// The variant's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SignUpForm => "SignUpForm",
            Self::SignUp { .. } => "SignUp",
            Self::RestorePassword { .. } => "RestorePassword",
            Self::ChangePassword { .. } => "ChangePassword",
        }
    }
}

impl std::fmt::Debug for AccountRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the worker answers to an [`AccountRequest`].
#[derive(Debug, Clone, PartialEq)]
pub enum AccountAnswer {
    /// The `Users` schema for the sign-up form (or why it could not be read), and whether the server takes
    /// sign-ups (asked with an empty `users/register`, which creates nothing: 3009 means it does not).
    SignUpForm {
        /// The described schema.
        schema: Result<Schema, Failure>,
        /// `false` when the server answered that registration is disabled.
        registration_open: bool,
    },
    /// The sign-up failed; no account was created.
    SignUpFailed(Failure),
    /// The account was created, but the login that followed failed (the user logs in by hand).
    SignedUpLoginFailed {
        /// The new account's identity, to fill the login form.
        identity: String,
        /// Why the login failed.
        failure: Failure,
    },
    /// The server accepted the restore-password request.
    RestoreSent {
        /// The identity asked for.
        identity: String,
        /// Where the Local demo's outbox can be read (`http://127.0.0.1:PORT/_emulator/outbox`), if it is
        /// the app's own emulator; `None` for a real server (the mail went out).
        outbox: Option<String>,
    },
    /// The restore-password request failed.
    RestoreFailed(Failure),
    /// The password was changed. `session` is the new session when the current password was checked by
    /// logging in again (the old token then no longer works).
    PasswordChanged {
        /// The session to carry on with, if it changed.
        session: Option<Session>,
    },
    /// The password was not changed.
    PasswordChangeFailed {
        /// Why.
        failure: PasswordChangeFailure,
        /// The session to carry on with, if checking the current password opened a new one.
        session: Option<Session>,
    },
}

/// Why a password change did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum PasswordChangeFailure {
    /// The current password is not right.
    WrongCurrent,
    /// The server (or the connection) refused.
    Failed(Failure),
}

/// The worker's sending end of the event channel: every send also asks egui to repaint, so the UI
/// thread wakes up, drains the events and shows the answer, even though an idle window does not repaint.
#[derive(Clone)]
pub struct EventTx {
    sender: std::sync::mpsc::Sender<WorkerEvent>,
    ctx: egui::Context,
}

impl EventTx {
    /// Sends `event` and requests a repaint. Returns `false` when the UI is gone (the worker should stop).
    pub fn send(&self, event: WorkerEvent) -> bool {
        let delivered = self.sender.send(event).is_ok();
        self.ctx.request_repaint();
        delivered
    }
}

/// The event channel from the worker to the UI. Unbounded: the worker must never wait on a busy UI.
pub fn event_channel(ctx: egui::Context) -> (EventTx, std::sync::mpsc::Receiver<WorkerEvent>) {
    let (sender, receiver) = std::sync::mpsc::channel();
    (EventTx { sender, ctx }, receiver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_debug_shows_neither_password_nor_token() {
        let login = WorkerCommand::Login {
            id: RequestId(7),
            connection: Connection::LocalDemo,
            identity: "alice@example.com".to_owned(),
            password: Password::new("hunter2".to_owned()),
            remember: true,
        };
        assert_eq!(format!("{login:?}"), "Login(7)");
        let logout = WorkerCommand::Logout {
            id: RequestId(8),
            session: Session {
                connection: Connection::LocalDemo,
                user_token: UserToken::new("SECRET-TOKEN".to_owned()),
                object_id: "U1".parse().unwrap(),
                identity: "alice@example.com".to_owned(),
            },
        };
        assert!(!format!("{logout:?}").contains("SECRET-TOKEN"));
        let session = Session {
            connection: Connection::LocalDemo,
            user_token: UserToken::new("SECRET-TOKEN".to_owned()),
            object_id: "U1".parse().unwrap(),
            identity: "alice@example.com".to_owned(),
        };
        for request in [
            AccountRequest::ChangePassword {
                session,
                current: Password::new("hunter2".to_owned()),
                new: Password::new("hunter3".to_owned()),
            },
            AccountRequest::SignUp {
                fields: serde_json::Map::new(),
                identity: "a@b.c".to_owned(),
                password: Password::new("hunter2".to_owned()),
                remember: false,
            },
        ] {
            assert!(!format!("{request:?}").contains("hunter"));
            let command = WorkerCommand::Account {
                id: RequestId(9),
                connection: Connection::LocalDemo,
                cloudcode_key: Some("CC-SECRET".to_owned()),
                request,
            };
            let shown = format!("{command:?}");
            assert_eq!(shown, "Account(9)");
        }
        let event = WorkerEvent::LoggedOut {
            id: RequestId(8),
            failure: None,
        };
        assert!(!format!("{event:?}").contains("SECRET-TOKEN"));
    }

    #[test]
    fn every_event_sent_wakes_the_ui() {
        let ctx = egui::Context::default();
        let (events, receiver) = event_channel(ctx.clone());
        // Run frames until egui is idle, so nothing is pending until the worker sends.
        for _ in 0..5 {
            let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
            output.textures_delta.clear();
            if !ctx.has_requested_repaint() {
                break;
            }
        }
        assert!(!ctx.has_requested_repaint());
        assert!(events.send(WorkerEvent::LoggedOut {
            id: RequestId(1),
            failure: None
        }));
        assert!(ctx.has_requested_repaint());
        assert!(matches!(
            receiver.try_recv(),
            Ok(WorkerEvent::LoggedOut { .. })
        ));
        drop(receiver);
        assert!(!events.send(WorkerEvent::LoggedOut {
            id: RequestId(2),
            failure: None
        }));
    }
}
