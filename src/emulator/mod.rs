//! The embedded Backendless-compatible server: `profile-editor serve` and the Local demo connection.
//!
//! `RunningEmulator::start` opens the store, binds, and serves CONTRACT.md §3 on the caller's tokio runtime
//! until `shutdown` (or drop). `serve_main` is the headless `serve` command. Test hooks live on `EmulatorAdmin`,
//! compiled only with the `test-hooks` cargo feature (the tests turn it on; the shipped binary has none).

mod auth;
mod demo;
mod error;
mod geometry;
pub mod outbox;
mod read_pool;
mod routes;
mod schema;
mod server;
mod store;
mod where_clause;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use demo::GENERATED_USER_PASSWORD;
pub use error::EmulatorError;
pub use store::DB_FILE_NAME;

use routes::AppState;
use store::{Store, StoreSettings};

/// How long `shutdown` waits for in-flight requests.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Where the emulator keeps its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// Nothing is written to disk; everything is gone when the emulator stops.
    Memory,
    /// A SQLite database (`emulator.sqlite3`, WAL mode) in this directory, created if missing.
    Dir(PathBuf),
}

/// Everything `RunningEmulator::start` needs; mirrors the `serve` flags of CONTRACT.md §2.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The only application id accepted in the key-in-path URL form.
    pub app_id: String,
    /// The only REST API key accepted in the key-in-path URL form (a client key).
    pub api_key: String,
    /// The CloudCode (server) key, accepted in the same URL position; some operations are refused to client
    /// keys (CONTRACT §3 "Sessions, keys and registration").
    pub cloudcode_key: String,
    /// What a second login of the same user does.
    pub logins: crate::cli::Logins,
    /// Whether `users/register` is open (off: 403).
    pub registration: bool,
    /// Memory or a data directory.
    pub storage: Storage,
    /// Create the demo schema and users if the database is empty.
    pub demo: bool,
    /// With `demo`, also create this many generated users.
    pub demo_users: u32,
    /// Backendless "dynamic schema definition".
    pub dynamic_schema: bool,
    /// Lock an account after this many consecutive failed logins (0 = never).
    pub failed_logins_lock: u32,
    /// How long a locked account stays locked.
    pub lockout_secs: u64,
    /// Sliding inactivity timeout of a user-token (0 = never).
    pub session_timeout_secs: u64,
    /// Time allowed for a request's line and headers, counted from when the server starts waiting for them (the
    /// connection opening, or the previous answer sent), so it is also how long a keep-alive connection may sit
    /// idle. Past it the connection is closed.
    pub header_timeout: std::time::Duration,
    /// Time allowed for a request body to arrive in full; past it the answer is 408 and the connection closes.
    pub body_timeout: std::time::Duration,
    /// How long writing an answer may make no progress (a client that stopped reading) before the connection
    /// is closed.
    pub write_timeout: std::time::Duration,
    /// Most connections served at once; further ones wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// How long one find / count / get may run before it is interrupted (answered 1017).
    pub query_timeout: std::time::Duration,
    /// The identity column: `users/login` matches its `login` against it, register requires it, and it is
    /// unique (case-insensitive). Default `email`.
    pub identity: String,
    /// The Users schema to start from: the JSON array `users/userclassprops` returns (`type` as a name or an
    /// integer index; see `schema::columns_from_userclassprops`). `None`: the built-in (demo) schema.
    pub schema: Option<serde_json::Value>,
    /// Custom roles to create at start (besides `Admin`, which always exists, and `--demo`'s), so
    /// `users/assignRole` has roles to assign.
    pub roles: Vec<String>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            app_id: crate::cli::DEMO_APP_ID.to_owned(),
            api_key: crate::cli::DEMO_API_KEY.to_owned(),
            cloudcode_key: crate::cli::DEMO_CLOUDCODE_KEY.to_owned(),
            logins: crate::cli::Logins::Replace,
            registration: true,
            storage: Storage::Memory,
            demo: false,
            demo_users: 0,
            dynamic_schema: true,
            failed_logins_lock: 0,
            lockout_secs: 900,
            session_timeout_secs: 3600,
            header_timeout: server::HEADER_TIMEOUT,
            body_timeout: server::BODY_TIMEOUT,
            write_timeout: server::WRITE_TIMEOUT,
            max_connections: server::MAX_CONNECTIONS,
            query_timeout: server::QUERY_TIMEOUT,
            identity: schema::IDENTITY.to_owned(),
            schema: None,
            roles: Vec::new(),
        }
    }
}

impl EmulatorConfig {
    /// The configuration the `serve` flags describe.
    pub fn from_serve_args(args: &crate::cli::ServeArgs) -> anyhow::Result<Self> {
        let storage = if args.memory {
            Storage::Memory
        } else {
            match &args.data {
                Some(dir) => Storage::Dir(dir.clone()),
                None => Storage::Dir(
                    Self::default_data_dir()
                        .context("cannot find the user's data directory; pass --data DIR")?,
                ),
            }
        };
        anyhow::ensure!(!args.app_id.trim().is_empty(), "--app-id must not be empty");
        anyhow::ensure!(
            !args.api_key.trim().is_empty(),
            "--api-key must not be empty"
        );
        anyhow::ensure!(
            !args.cloudcode_key.trim().is_empty(),
            "--cloudcode-key must not be empty"
        );
        anyhow::ensure!(
            !args.cloudcode_key.eq_ignore_ascii_case(&args.api_key),
            "--cloudcode-key must differ from --api-key"
        );
        let schema = match &args.schema {
            Some(path) => Some(read_schema_file(path)?),
            None => None,
        };
        // Without --identity, a schema file's own `identity: true` column is the identity.
        let identity = match (&args.identity, &schema) {
            (Some(identity), _) => identity.clone(),
            (None, Some(schema)) => schema::marked_identity(schema)
                .unwrap_or(schema::IDENTITY)
                .to_owned(),
            (None, None) => schema::IDENTITY.to_owned(),
        };
        if let (Some(schema), Some(path)) = (&schema, &args.schema) {
            schema::columns_from_userclassprops(schema, &identity)
                .map_err(|why| anyhow::anyhow!("--schema {}: {why}", path.display()))?;
        }
        Ok(Self {
            identity,
            schema,
            app_id: args.app_id.clone(),
            api_key: args.api_key.clone(),
            cloudcode_key: args.cloudcode_key.clone(),
            logins: args.logins,
            registration: args.registration.is_on(),
            storage,
            demo: args.demo,
            demo_users: args.demo_users,
            dynamic_schema: args.dynamic_schema.is_on(),
            failed_logins_lock: args.failed_logins_lock,
            lockout_secs: args.lockout_secs,
            session_timeout_secs: args.session_timeout_secs,
            ..Self::default()
        })
    }

    /// `<OS data dir of the app>/emulator`, e.g. `~/.local/share/profile-editor/emulator` on Linux.
    pub fn default_data_dir() -> Option<PathBuf> {
        crate::cli::project_dirs().map(|dirs| dirs.data_dir().join("emulator"))
    }
}

/// Reads a `--schema FILE`: a JSON array as `users/userclassprops` returns it. Errors are one line.
fn read_schema_file(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    /// A Users schema is a few kilobytes; anything past this is not one.
    const MAX_SCHEMA_FILE_BYTES: u64 = 4 * 1024 * 1024;
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("--schema {shown}: cannot read the file: {e}"))?
        .len();
    anyhow::ensure!(
        size <= MAX_SCHEMA_FILE_BYTES,
        "--schema {shown}: the file is {size} bytes; a schema is at most {MAX_SCHEMA_FILE_BYTES}"
    );
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("--schema {shown}: cannot read the file: {e}"))?;
    serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("--schema {shown}: not valid JSON: {e}"))
}

/// The address the outbox's links use: the bound one, or loopback when bound to all interfaces (`0.0.0.0`,
/// `::`), since the `/_emulator` pages answer loopback clients only.
fn link_address(local_addr: SocketAddr) -> SocketAddr {
    let ip = match local_addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    SocketAddr::new(ip, local_addr.port())
}

/// A serving emulator. Dropping it stops the server (in-flight requests finish); `shutdown` also waits.
pub struct RunningEmulator {
    local_addr: SocketAddr,
    state: Arc<AppState>,
    shutdown_tx: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl RunningEmulator {
    /// Opens the store (creating demo data if asked), binds `listen` and starts serving on the current tokio
    /// runtime (any multi-thread runtime works). Errors: unusable data dir, address in use.
    pub async fn start(config: EmulatorConfig, listen: SocketAddr) -> anyhow::Result<Self> {
        let initial_columns = match &config.schema {
            Some(schema) => Some(
                schema::columns_from_userclassprops(schema, &config.identity)
                    .map_err(|why| anyhow::anyhow!("unusable Users schema: {why}"))?,
            ),
            None => None,
        };
        anyhow::ensure!(
            schema::is_valid_column_name(&config.identity),
            "the identity {:?} is not a valid property name",
            config.identity
        );
        let settings = StoreSettings {
            identity: config.identity.clone(),
            initial_columns,
            dynamic_schema: config.dynamic_schema.into(),
            failed_logins_lock: config.failed_logins_lock,
            lockout_ms: i64::try_from(config.lockout_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            session_timeout_ms: i64::try_from(config.session_timeout_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
            query_timeout: config.query_timeout,
            logins: config.logins,
            registration: config.registration,
        };
        let storage = config.storage.clone();
        let (demo, demo_users) = (config.demo, config.demo_users);
        // The demo's roles also reach demo stores made before they existed.
        let mut roles = config.roles.clone();
        if config.demo {
            roles.extend(store::DEMO_ROLES.iter().map(|r| (*r).to_owned()));
        }
        let store = tokio::task::spawn_blocking(move || -> anyhow::Result<Store> {
            let dir = match &storage {
                Storage::Memory => None,
                Storage::Dir(dir) => Some(dir.as_path()),
            };
            let store = Store::open(dir, settings).map_err(|e| match dir {
                Some(dir) => e.context(format!("unusable data dir {}", dir.display())),
                None => e,
            })?;
            for role in &roles {
                store
                    .create_role(role)
                    .with_context(|| format!("cannot create the role {role:?}"))?;
            }
            if demo && store.is_empty()? {
                let started = std::time::Instant::now();
                store
                    .create_demo(demo_users)
                    .context("cannot create the demo data")?;
                tracing::info!(
                    "created the demo data ({demo_users} generated users) in {:?}",
                    started.elapsed()
                );
            }
            Ok(store)
        })
        .await
        .context("the store setup task failed")??;

        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let local_addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let state = Arc::new(AppState {
            store: Arc::new(store),
            app_id: config.app_id,
            api_key: config.api_key,
            cloudcode_key: config.cloudcode_key,
            body_timeout: config.body_timeout,
            origin: format!("http://{}", link_address(local_addr)),
            outbox: std::sync::Mutex::new(outbox::Outbox::default()),
        });
        let app = routes::router(state.clone());
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let limits = server::ConnectionLimits {
            header_timeout: config.header_timeout,
            write_timeout: config.write_timeout,
            max_connections: config.max_connections,
        };
        let server = tokio::spawn(server::serve(listener, app, limits, shutdown_rx));
        tracing::info!("emulator serving on http://{local_addr}");
        Ok(Self {
            local_addr,
            state,
            shutdown_tx: Some(shutdown_tx),
            server: Some(server),
        })
    }

    /// The bound address (the real port when started on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://HOST:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// `http://HOST:PORT/{app-id}/{api-key}`: the key-in-path base URL clients use.
    pub fn base_url(&self) -> String {
        format!(
            "{}/{}/{}",
            self.origin(),
            self.state.app_id,
            self.state.api_key
        )
    }

    /// Test hooks on the running emulator's data (`test-hooks` feature only).
    #[cfg(feature = "test-hooks")]
    pub fn admin(&self) -> EmulatorAdmin {
        EmulatorAdmin {
            store: self.state.store.clone(),
        }
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server to end (at most
    /// [`SHUTDOWN_GRACE`]; a client that never finishes its request does not keep the process alive).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            tx.send(()).ok();
        }
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
                .await
                .is_err()
        {
            tracing::warn!("requests still open after {SHUTDOWN_GRACE:?}; closing them");
            server.abort();
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            tx.send(()).ok();
        }
    }
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

/// Test hooks on a running emulator (`test-hooks` feature only). Cloneable; every call is short and synchronous.
#[cfg(feature = "test-hooks")]
#[derive(Clone)]
pub struct EmulatorAdmin {
    store: Arc<Store>,
}

#[cfg(feature = "test-hooks")]
impl EmulatorAdmin {
    /// Sets `userStatus` to `"DISABLED"` or `"ENABLED"`; disabling also ends the user's sessions.
    pub fn set_user_status(&self, identity: &str, status: &str) -> anyhow::Result<()> {
        self.store.set_user_status(identity, status)
    }

    /// Deletes a user record (its tokens keep working, so updates meet 3030). `Ok(false)` if it did not exist.
    pub fn delete_user(&self, object_id: &str) -> anyhow::Result<bool> {
        self.store.delete_user(object_id)
    }

    /// Ends every session of the user with this identity (its tokens then meet 3064).
    pub fn revoke_tokens(&self, identity: &str) -> anyhow::Result<()> {
        self.store.revoke_tokens(identity)
    }

    /// Creates a custom role (besides `Admin`), e.g. `create_role("Editor")`.
    pub fn create_role(&self, name: &str) -> anyhow::Result<()> {
        self.store.create_role(name)
    }

    /// Turns dynamic schema definition on or off.
    pub fn set_dynamic_schema(&self, on: bool) {
        self.store
            .settings
            .dynamic_schema
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The objectId of the user with this identity (case-insensitive), if any.
    pub fn object_id_of(&self, identity: &str) -> Option<String> {
        self.store.object_id_of(identity).ok().flatten()
    }

    /// Adds a Users column, e.g. `add_column("nickname", "STRING", true)`.
    pub fn add_column(
        &self,
        name: &str,
        backendless_type: &str,
        required: bool,
    ) -> anyhow::Result<()> {
        self.store.add_column(name, backendless_type, required)
    }
}

#[cfg(feature = "test-hooks")]
impl std::fmt::Debug for EmulatorAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorAdmin").finish_non_exhaustive()
    }
}

/// `profile-editor serve`: runs the emulator until SIGTERM / Ctrl-C, then finishes in-flight requests.
pub fn serve_main(args: crate::cli::ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init()
        .ok();
    let config = EmulatorConfig::from_serve_args(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("emulator")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let emulator = RunningEmulator::start(config, args.listen).await?;
        // The handlers are in place before the line is printed: a script that stops the server as soon as it
        // reads the line must get a clean stop, not the default action of SIGTERM.
        let stop = StopSignals::listen()?;
        print_listening_line(emulator.local_addr())?;
        stop.wait().await?;
        tracing::info!("stopping: finishing in-flight requests");
        emulator.shutdown().await;
        Ok(())
    })
}

/// The one line on stdout scripts wait for (CONTRACT §2).
#[allow(clippy::print_stdout)]
fn print_listening_line(addr: SocketAddr) -> anyhow::Result<()> {
    use std::io::Write as _;
    println!("listening on http://{addr}");
    std::io::stdout().flush().context("cannot write to stdout")
}

/// SIGTERM and Ctrl-C (SIGINT), listened for from `listen` on.
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                term: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
                interrupt: signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(mut self) -> anyhow::Result<()> {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        Ok(())
    }
}
