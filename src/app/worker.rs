//! The background worker: a tokio runtime on its own thread that turns `WorkerCommand`s into client calls
//! (and, for the Local demo, runs the embedded emulator) and answers with `WorkerEvent`s through `EventTx`.
//! Also keeps the remembered-session file in step with logins and logouts: an answer about an older session
//! never erases a newer one's token. Touches egui only via `EventTx`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::Mutex;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::app::messages::{
    AccountAnswer, AccountRequest, EventTx, Failure, PasswordChangeFailure, Profile, Session,
    WorkerCommand, WorkerEvent,
};
use crate::app::settings::{Connection, RememberedSession};
use crate::app::users;
use crate::backendless::client::{Client, Password, UserToken};
use crate::backendless::endpoint::Endpoint;
use crate::backendless::error::ApiError;
use crate::cli::{DEMO_API_KEY, DEMO_APP_ID};
use crate::emulator::{EmulatorConfig, RunningEmulator, Storage};
use crate::model::ObjectId;
use crate::model::schema::Schema;
use crate::profile::checked_save::{SaveOutcome, save_checked_keeping_base};

/// Where the worker keeps files.
#[derive(Debug, Clone)]
pub struct WorkerDirs {
    /// The settings dir; the remembered session lives here.
    pub settings_dir: PathBuf,
    /// The data dir; the Local demo's database lives in its `emulator` sub-folder.
    pub data_dir: PathBuf,
}

/// The UI's handle on the worker thread. Dropping it closes the command channel, which ends the worker
/// (in-flight requests are abandoned, the embedded emulator shuts down), and waits for the thread.
pub struct WorkerHandle {
    commands: Option<UnboundedSender<WorkerCommand>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WorkerHandle {
    /// Starts the worker thread with its own tokio runtime.
    pub fn spawn(dirs: WorkerDirs, events: EventTx) -> anyhow::Result<Self> {
        let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("worker-runtime")
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let thread = std::thread::Builder::new()
            .name("worker".to_owned())
            .spawn(move || runtime.block_on(run_worker(command_rx, events, dirs)))
            .context("cannot start the worker thread")?;
        Ok(Self {
            commands: Some(command_tx),
            thread: Some(thread),
        })
    }

    /// Hands `command` to the worker. Never blocks.
    pub fn send(&self, command: WorkerCommand) {
        tracing::debug!("command {command:?}");
        let sent = self
            .commands
            .as_ref()
            .is_some_and(|commands| commands.send(command).is_ok());
        if !sent {
            tracing::error!("the worker has stopped; a request was dropped");
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.commands = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the worker thread panicked");
        }
    }
}

/// What the command handlers share.
struct Shared {
    dirs: WorkerDirs,
    events: EventTx,
    /// The embedded emulator, once started; lives until the worker ends.
    emulator: Mutex<Option<RunningEmulator>>,
    /// The client of the last connection used, reused while the connection stays the same.
    client: std::sync::Mutex<Option<(Connection, Client)>>,
    /// Held while the remembered-session file is read, written or deleted, so that checking whose token it
    /// holds and deleting it happen as one step.
    session_file: std::sync::Mutex<()>,
}

/// The worker loop: every command runs as its own task, so a slow request never holds up the next one;
/// answers carry the command's id and the UI ignores stale ones.
async fn run_worker(
    mut commands: UnboundedReceiver<WorkerCommand>,
    events: EventTx,
    dirs: WorkerDirs,
) {
    let shared = Arc::new(Shared {
        dirs,
        events,
        emulator: Mutex::new(None),
        client: std::sync::Mutex::new(None),
        session_file: std::sync::Mutex::new(()),
    });
    let mut tasks = tokio::task::JoinSet::new();
    while let Some(command) = commands.recv().await {
        let shared = shared.clone();
        tasks.spawn(async move { handle(command, &shared).await });
        while let Some(finished) = tasks.try_join_next() {
            if let Err(error) = finished {
                tracing::error!("a worker task failed: {error}");
            }
        }
    }
    tasks.shutdown().await;
    let emulator = shared.emulator.lock().await.take();
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    tracing::debug!("worker stopped");
}

/// Runs one command and sends its answer.
async fn handle(command: WorkerCommand, shared: &Shared) {
    let event = match command {
        WorkerCommand::StartLocalDemo { id } => match start_local_demo(shared).await {
            Ok(origin) => WorkerEvent::LocalDemoStarted { id, origin },
            Err(error) => {
                tracing::error!("the local demo server could not start: {error:#}");
                WorkerEvent::LocalDemoFailed {
                    id,
                    message: format!("{error:#}"),
                }
            }
        },
        WorkerCommand::Login {
            id,
            connection,
            identity,
            password,
            remember,
        } => match login(shared, connection, identity, password, remember).await {
            Ok((session, profile)) => WorkerEvent::LoggedIn {
                id,
                session,
                profile,
            },
            Err(failure) => WorkerEvent::LoginFailed { id, failure },
        },
        WorkerCommand::Resume {
            id,
            connection,
            remembered,
        } => {
            let identity = remembered.identity.clone();
            match resume(shared, connection, remembered).await {
                Ok((session, profile)) => WorkerEvent::LoggedIn {
                    id,
                    session,
                    profile,
                },
                Err(failure) => WorkerEvent::ResumeFailed {
                    id,
                    identity,
                    failure,
                },
            }
        }
        WorkerCommand::Save {
            id,
            session,
            object_id,
            base_updated,
            changes,
        } => {
            let result = match client_for(shared, &session.connection).await {
                Ok(client) => {
                    save_checked_keeping_base(
                        &client,
                        Some(&session.user_token),
                        &object_id,
                        base_updated,
                        &changes,
                    )
                    .await
                }
                Err(failure) => Err(as_api_error(failure)),
            };
            match result {
                Ok((SaveOutcome::Saved(record), base)) => {
                    let dir = &shared.dirs.data_dir;
                    crate::app::history::record_save(dir, &session, &object_id, &base, &changes);
                    WorkerEvent::Saved { id, record }
                }
                Ok((SaveOutcome::Conflict(theirs), _)) => WorkerEvent::SaveConflict { id, theirs },
                Err(error) => {
                    forget_if_ended(shared, &session.user_token, &error);
                    WorkerEvent::SaveFailed { id, error }
                }
            }
        }
        WorkerCommand::Reload { id, session } => {
            let result = match client_for(shared, &session.connection).await {
                Ok(client) => load_profile(&client, &session.user_token, &session.object_id).await,
                Err(failure) => Err(as_api_error(failure)),
            };
            match result {
                Ok(profile) => WorkerEvent::Reloaded { id, profile },
                Err(error) => {
                    forget_if_ended(shared, &session.user_token, &error);
                    WorkerEvent::ReloadFailed { id, error }
                }
            }
        }
        WorkerCommand::Logout { id, session } => {
            forget_token(shared, &session.user_token);
            let failure = match client_for(shared, &session.connection).await {
                Ok(client) => client
                    .logout(&session.user_token)
                    .await
                    .err()
                    .map(Failure::Api),
                Err(failure) => Some(failure),
            };
            WorkerEvent::LoggedOut { id, failure }
        }
        WorkerCommand::Account {
            id,
            connection,
            cloudcode_key,
            request,
        } => account(shared, id, connection, cloudcode_key, request).await,
        WorkerCommand::Users {
            id,
            session,
            cloudcode_key,
            request,
        } => {
            let mut prelude = crate::app::history::users_prelude(&request);
            let context = users::UsersContext {
                user_token: &session.user_token,
                cloudcode_key: cloudcode_key.as_ref(),
                data_dir: &shared.dirs.data_dir,
            };
            let answer = if request.needs_server() {
                match client_for(shared, &session.connection).await {
                    Ok(client) => {
                        // The journal's "old" of a status change is read just before it.
                        prelude
                            .read_before(&request, &client, &session.user_token)
                            .await;
                        users::run(request, Some(&client), context).await
                    }
                    Err(failure) => users::UsersAnswer::failed(&request, as_api_error(failure)),
                }
            } else {
                users::run(request, None, context).await
            };
            if let Some(error) = answer.api_error() {
                forget_if_ended(shared, &session.user_token, error);
            }
            crate::app::history::record_users(&shared.dirs.data_dir, &session, prelude, &answer);
            WorkerEvent::Users { id, answer }
        }
    };
    shared.events.send(event);
}

/// Starts the embedded emulator with the demo data (once) and returns its origin.
async fn start_local_demo(shared: &Shared) -> anyhow::Result<String> {
    let mut emulator = shared.emulator.lock().await;
    if let Some(running) = emulator.as_ref() {
        return Ok(running.origin());
    }
    let config = EmulatorConfig {
        storage: Storage::Dir(shared.dirs.data_dir.join("emulator")),
        demo: true,
        ..EmulatorConfig::default()
    };
    let running =
        RunningEmulator::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let origin = running.origin();
    *emulator = Some(running);
    Ok(origin)
}

/// The client for `connection`, reusing the last one when the connection did not change.
async fn client_for(shared: &Shared, connection: &Connection) -> Result<Client, Failure> {
    if let Some((cached, client)) = shared
        .client
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        && cached == connection
    {
        return Ok(client.clone());
    }
    let endpoint = match connection {
        Connection::LocalDemo => {
            let origin = shared
                .emulator
                .lock()
                .await
                .as_ref()
                .map(RunningEmulator::origin)
                .ok_or_else(|| {
                    Failure::Connection("The local demo server is not running.".to_owned())
                })?;
            Endpoint::parse(&origin, Some(DEMO_APP_ID), Some(DEMO_API_KEY))
        }
        Connection::Remote {
            server,
            app_id,
            api_key,
        } => Endpoint::parse(server, app_id.as_deref(), api_key.as_deref()),
    }
    .map_err(|error| Failure::Connection(error.to_string()))?;
    let client = Client::new(endpoint);
    *shared
        .client
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) =
        Some((connection.clone(), client.clone()));
    Ok(client)
}

/// Logs in, loads the profile and remembers (or forgets) the token.
async fn login(
    shared: &Shared,
    connection: Connection,
    identity: String,
    password: Password,
    remember: bool,
) -> Result<(Session, Profile), Failure> {
    let client = client_for(shared, &connection).await?;
    let reply = client
        .login(&identity, &password)
        .await
        .map_err(Failure::Api)?;
    // The schema and the roles at once: the editor needs the first, the Users switch the second.
    let (described, roles) = tokio::join!(
        client.describe_user_class(Some(&reply.token)),
        client.user_roles(&reply.token)
    );
    let descriptors = match described {
        Ok(descriptors) => descriptors,
        Err(error) => {
            // The login is of no use without the schema; end the new session rather than leave it open.
            client.logout(&reply.token).await.ok();
            return Err(Failure::Api(error));
        }
    };
    let object_id = reply.user.object_id().clone();
    let user_token = reply.token;
    let profile = Profile {
        schema: Schema::from_descriptors(descriptors),
        record: reply.user,
        roles,
    };
    let session = Session {
        connection,
        user_token,
        object_id,
        identity,
    };
    if remember {
        remember_session(shared, &session);
    } else {
        forget_session(shared);
    }
    Ok((session, profile))
}

/// Checks a remembered token and reopens its session. `Err(None)`: the token is no longer valid.
async fn resume(
    shared: &Shared,
    connection: Connection,
    remembered: RememberedSession,
) -> Result<(Session, Profile), Option<Failure>> {
    // The file's token is checked before it is sent anywhere; an unusable one is forgotten. (Its objectId was
    // parsed as the file was read.)
    let Ok(user_token) = UserToken::parse(remembered.user_token.as_str()) else {
        tracing::warn!("the remembered session's user-token is not usable; it is forgotten");
        forget_session(shared);
        return Err(None);
    };
    let client = client_for(shared, &connection).await.map_err(Some)?;
    let valid = client
        .is_valid_user_token(&user_token)
        .await
        .map_err(|error| Some(Failure::Api(error)))?;
    if !valid {
        forget_token(shared, &user_token);
        return Err(None);
    }
    let profile = match load_profile(&client, &user_token, &remembered.object_id).await {
        Ok(profile) => profile,
        Err(error) if error.is_session_ending() => {
            forget_token(shared, &user_token);
            return Err(None);
        }
        Err(error) => return Err(Some(Failure::Api(error))),
    };
    let session = Session {
        connection,
        user_token,
        object_id: remembered.object_id,
        identity: remembered.identity,
    };
    Ok((session, profile))
}

/// Loads the Users schema, the user's record and roles, all at once.
async fn load_profile(
    client: &Client,
    user_token: &UserToken,
    object_id: &ObjectId,
) -> Result<Profile, ApiError> {
    let (described, record, roles) = tokio::join!(
        client.describe_user_class(Some(user_token)),
        client.get_user(Some(user_token), object_id),
        client.user_roles(user_token)
    );
    Ok(Profile {
        schema: Schema::from_descriptors(described?),
        record: record?,
        roles,
    })
}

/// Writes the remembered-session file (0600). A failure is logged: the login itself still succeeded.
fn remember_session(shared: &Shared, session: &Session) {
    let remembered = RememberedSession {
        connection_key: session.connection.key(),
        object_id: session.object_id.clone(),
        identity: session.identity.clone(),
        user_token: session.user_token.expose().to_owned(),
    };
    let _file = lock_session_file(shared);
    if let Err(error) = remembered.save(&shared.dirs.settings_dir) {
        tracing::error!("cannot remember the session: {error:#}");
    }
}

/// Deletes the remembered-session file, if any (a login without "Remember me").
fn forget_session(shared: &Shared) {
    let _file = lock_session_file(shared);
    if let Err(error) = RememberedSession::forget(&shared.dirs.settings_dir) {
        tracing::error!("cannot forget the remembered session: {error:#}");
    }
}

/// Deletes the remembered-session file only if it holds `user_token`. Requests run concurrently and
/// answers can be stale: a long export sent with an old token may fail after the user logged in again
/// and a new token was remembered, which must stay.
fn forget_token(shared: &Shared, user_token: &UserToken) {
    let _file = lock_session_file(shared);
    let dir = &shared.dirs.settings_dir;
    let holds_it = RememberedSession::load(dir)
        .is_some_and(|remembered| remembered.user_token == user_token.expose());
    if holds_it && let Err(error) = RememberedSession::forget(dir) {
        tracing::error!("cannot forget the remembered session: {error:#}");
    }
}

/// A token the server no longer accepts is useless on disk too; any other token there stays.
fn forget_if_ended(shared: &Shared, user_token: &UserToken, error: &ApiError) {
    if error.is_session_ending() {
        forget_token(shared, user_token);
    }
}

fn lock_session_file(shared: &Shared) -> std::sync::MutexGuard<'_, ()> {
    shared
        .session_file
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Save and reload report an `ApiError`; a connection that cannot be built (the local server stopped)
/// means the server cannot be reached.
fn as_api_error(failure: Failure) -> ApiError {
    match failure {
        Failure::Api(error) => error,
        Failure::Connection(detail) => ApiError::Unreachable { detail },
    }
}

/// Runs one account request (sign up, forgot password, change password).
async fn account(
    shared: &Shared,
    id: crate::app::messages::RequestId,
    connection: Connection,
    cloudcode_key: Option<String>,
    request: AccountRequest,
) -> WorkerEvent {
    let answer = match request {
        AccountRequest::SignUpForm => match client_for(shared, &connection).await {
            Ok(client) => {
                // An empty registration creates nothing: it is refused for the missing identity and
                // password, or with 3009 before that when the server takes no sign-ups at all.
                let empty = Password::new(String::new());
                let (described, probe) = tokio::join!(
                    client.describe_user_class(None),
                    client.register(serde_json::Map::new(), &empty)
                );
                AccountAnswer::SignUpForm {
                    schema: described
                        .map(Schema::from_descriptors)
                        .map_err(Failure::Api),
                    registration_open: !probe.as_ref().is_err_and(ApiError::is_registration_closed),
                }
            }
            Err(failure) => AccountAnswer::SignUpForm {
                schema: Err(failure),
                registration_open: true,
            },
        },
        AccountRequest::SignUp {
            fields,
            identity,
            password,
            remember,
        } => {
            let registered = match client_for(shared, &connection).await {
                Ok(client) => client
                    .register(fields, &password)
                    .await
                    .map_err(Failure::Api),
                Err(failure) => Err(failure),
            };
            match registered {
                Err(failure) => AccountAnswer::SignUpFailed(failure),
                Ok(_) => {
                    match login(shared, connection, identity.clone(), password, remember).await {
                        Ok((session, profile)) => {
                            return WorkerEvent::LoggedIn {
                                id,
                                session,
                                profile,
                            };
                        }
                        Err(failure) => AccountAnswer::SignedUpLoginFailed { identity, failure },
                    }
                }
            }
        }
        AccountRequest::RestorePassword { identity } => {
            let sent = match client_for(shared, &connection).await {
                Ok(client) => client
                    .restore_password(&identity)
                    .await
                    .map_err(Failure::Api),
                Err(failure) => Err(failure),
            };
            match sent {
                Ok(()) => {
                    let outbox = match connection {
                        Connection::LocalDemo => {
                            shared.emulator.lock().await.as_ref().map(|running| {
                                format!(
                                    "{}{}",
                                    running.origin(),
                                    crate::emulator::outbox::OUTBOX_PATH
                                )
                            })
                        }
                        Connection::Remote { .. } => None,
                    };
                    AccountAnswer::RestoreSent { identity, outbox }
                }
                Err(failure) => AccountAnswer::RestoreFailed(failure),
            }
        }
        AccountRequest::ChangePassword {
            session,
            current,
            new,
        } => change_password(shared, session, cloudcode_key, current, new).await,
    };
    WorkerEvent::Account { id, answer }
}

/// Checks `current` and sets `new`. With the CloudCode key the check is `verifypassowrd` with the session's
/// token; without it, a login with `current` (which opens a new session: the app carries on with it, and a
/// remembered session is replaced by it). The passwords are zeroed when dropped here.
async fn change_password(
    shared: &Shared,
    session: Session,
    cloudcode_key: Option<String>,
    current: Password,
    new: Password,
) -> AccountAnswer {
    let failed = |failure: Failure, session: Option<Session>| AccountAnswer::PasswordChangeFailed {
        failure: PasswordChangeFailure::Failed(failure),
        session,
    };
    let client = match client_for(shared, &session.connection).await {
        Ok(client) => client,
        Err(failure) => return failed(failure, None),
    };
    let cloudcode = cloudcode_key
        .as_deref()
        .and_then(|key| client.with_cloudcode_key(key).ok());
    let mut renewed = None;
    match cloudcode {
        Some(cloudcode) => match cloudcode
            .verify_password(&session.user_token, &current)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return AccountAnswer::PasswordChangeFailed {
                    failure: PasswordChangeFailure::WrongCurrent,
                    session: None,
                };
            }
            Err(error) => {
                forget_if_ended(shared, &session.user_token, &error);
                return failed(Failure::Api(error), None);
            }
        },
        None => match client.login(&session.identity, &current).await {
            Ok(reply) if *reply.user.object_id() == session.object_id => {
                let fresh = Session {
                    user_token: reply.token,
                    ..session.clone()
                };
                replace_remembered(shared, &session.user_token, &fresh);
                renewed = Some(fresh);
            }
            Ok(reply) => {
                // Another account answers to this identity now: leave it alone.
                client.logout(&reply.token).await.ok();
                return AccountAnswer::PasswordChangeFailed {
                    failure: PasswordChangeFailure::WrongCurrent,
                    session: None,
                };
            }
            Err(ApiError::InvalidCredentials { .. }) => {
                return AccountAnswer::PasswordChangeFailed {
                    failure: PasswordChangeFailure::WrongCurrent,
                    session: None,
                };
            }
            Err(error) => return failed(Failure::Api(error), None),
        },
    }
    drop(current);
    let token = renewed
        .as_ref()
        .map_or(&session.user_token, |fresh| &fresh.user_token);
    match client.set_password(token, &session.object_id, &new).await {
        Ok(_) => {
            crate::app::history::record_password_change(&shared.dirs.data_dir, &session);
            AccountAnswer::PasswordChanged { session: renewed }
        }
        Err(error) => {
            forget_if_ended(shared, token, &error);
            failed(Failure::Api(error), renewed)
        }
    }
}

/// The remembered-session file holds `old`: it now holds `fresh` instead (a login that checked the current
/// password replaced the session). Any other remembered token stays.
fn replace_remembered(shared: &Shared, old: &UserToken, fresh: &Session) {
    let _file = lock_session_file(shared);
    let dir = &shared.dirs.settings_dir;
    let holds_old = RememberedSession::load(dir)
        .is_some_and(|remembered| remembered.user_token == old.expose());
    if !holds_old {
        return;
    }
    let remembered = RememberedSession {
        connection_key: fresh.connection.key(),
        object_id: fresh.object_id.clone(),
        identity: fresh.identity.clone(),
        user_token: fresh.user_token.expose().to_owned(),
    };
    if let Err(error) = remembered.save(dir) {
        tracing::error!("cannot remember the new session: {error:#}");
    }
}
