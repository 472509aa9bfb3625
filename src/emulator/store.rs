//! `Store`: the emulator's SQLite database (users, schema, sessions, roles, login state): writes behind one mutex,
//! find / count / get on a pool of read-only connections (`read_pool`) under a deadline.
//!
//! Every method is synchronous and short; callers run them on a blocking thread and never hold the lock across
//! an `.await`. No axum types here. Durability: WAL with `synchronous=NORMAL` means a committed transaction is in
//! the WAL file (handed to the OS) before the method returns, so it survives `kill -9` of the process; it is not
//! guaranteed to survive a power loss or an OS crash (that would need `synchronous=FULL`).

mod admin;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context as _;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension as _, params, params_from_iter};
use serde_json::{Map, Value};

use super::auth;
use super::demo::{self, DemoUser};
use super::error::{EmuResult, EmulatorError};
use super::read_pool::{Database, ReadPool};
use super::schema::{
    BACKENDLESS_ACCOUNT, Column, ColumnType, DEFAULT_USER_LOCALE, IDENTITY, IGNORED_UPDATE_KEYS,
    PASSWORD, ROWID_ALIASES, Schema, base_columns, is_rowid_alias, is_valid_column_name,
    json_to_sql, quote_ident, record_json,
};
use super::where_clause::SqlFragment;
use crate::backendless::codes;
use crate::cli::Logins;

pub use admin::{ADMIN_ROLE, Access, DEMO_ROLES};

/// The database file inside a `--data` directory.
pub const DB_FILE_NAME: &str = "emulator.sqlite3";
/// Most columns the Users table may have (SQLite's own limit is 2000).
const MAX_COLUMNS: usize = 500;
/// Most new properties (dynamic-schema columns) one register or update may add, so a single request, even an
/// unauthenticated `register`, cannot use up [`MAX_COLUMNS`].
pub const MAX_NEW_COLUMNS_PER_REQUEST: usize = 20;
/// How stale a session's persisted `last_used` may get before it is written again.
const SESSION_PERSIST_INTERVAL_MS: i64 = 60_000;
/// Most identities whose failed logins are remembered at once. Past it, entries that are neither locked nor in
/// the middle of a password check are forgotten first (so the map holds at most this many plus the locked ones).
pub const MAX_TRACKED_IDENTITIES: usize = 100_000;
/// Most problems `PRAGMA quick_check` lists in the start-up error.
const QUICK_CHECK_MAX_PROBLEMS: u32 = 3;

/// Behaviour flags of the emulator that the store enforces.
#[derive(Debug)]
pub struct StoreSettings {
    /// Backendless "dynamic schema definition": unknown properties become columns.
    pub dynamic_schema: AtomicBool,
    /// Lock an account after this many consecutive failed logins (0 = never).
    pub failed_logins_lock: u32,
    /// How long a locked account stays locked.
    pub lockout_ms: i64,
    /// Sliding inactivity timeout of a user-token (0 = never).
    pub session_timeout_ms: i64,
    /// How long one find / count / get may run before it is interrupted (answered 1017).
    pub query_timeout: std::time::Duration,
    /// What a second login of the same user does (`serve --logins`).
    pub logins: crate::cli::Logins,
    /// Whether `users/register` is open (`serve --registration`).
    pub registration: bool,
    /// The identity column a new store gets (`serve --identity`); an existing store keeps its own and refuses
    /// to open when asked for another.
    pub identity: String,
    /// The Users columns a new store starts with (`serve --schema`, from
    /// `schema::columns_from_userclassprops`); `None`: `schema::base_columns`. An existing store gets the
    /// columns it lacks.
    pub initial_columns: Option<Vec<Column>>,
}

/// Who is making a request, from a valid `user-token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's user (the record may have been deleted since).
    pub object_id: String,
    /// Holds the `Admin` role: may read and update every user.
    pub is_admin: bool,
    /// Custom roles of the user, e.g. `Admin`.
    pub roles: Vec<String>,
}

/// A parsed, schema-checked find/count query.
#[derive(Debug, Clone, Default)]
pub struct FindQuery {
    /// The translated `where` clause, if any.
    pub where_sql: Option<SqlFragment>,
    /// `ORDER BY` terms from `sortBy`.
    pub order_by: Vec<String>,
    /// Columns to return (from `props`).
    pub columns: Vec<Column>,
    /// Rows per page, already clamped to 1..=100.
    pub page_size: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// What login needs from the store before the (slow) password check, which runs outside the lock.
#[derive(Debug, Clone)]
struct LoginCandidate {
    /// The user's objectId.
    object_id: String,
    /// The stored Argon2id hash.
    password_hash: String,
}

/// Failed-login state of one identity (lower-cased; unknown identities are tracked the same way).
#[derive(Debug, Default, Clone, Copy)]
struct Attempts {
    /// Consecutive failed password checks.
    failed: u32,
    /// Password checks reserved and not finished yet.
    in_flight: u32,
    /// Locked while `now < locked_until_ms` (0: not locked).
    locked_until_ms: i64,
}

impl Attempts {
    fn is_locked(&self, now: i64) -> bool {
        self.locked_until_ms > now
    }
}

/// The lockout book: per identity, failures and reserved checks. Its own mutex, shared with every
/// [`LoginAttempt`] so an abandoned attempt gives its reservation back.
#[derive(Debug, Default)]
struct LoginAttempts {
    by_identity: HashMap<String, Attempts>,
}

impl LoginAttempts {
    /// Forgets idle, unlocked identities once the book is full.
    fn make_room(&mut self, now: i64) {
        if self.by_identity.len() >= MAX_TRACKED_IDENTITIES {
            self.by_identity
                .retain(|_, a| a.in_flight > 0 || a.is_locked(now));
        }
    }

    /// Gives back one reservation of `key`; drops the entry when nothing is left to remember.
    fn release(&mut self, key: &str) {
        if let Some(entry) = self.by_identity.get_mut(key) {
            entry.in_flight = entry.in_flight.saturating_sub(1);
            if entry.in_flight == 0 && entry.failed == 0 && entry.locked_until_ms == 0 {
                self.by_identity.remove(key);
            }
        }
    }
}

/// A login whose password check may run: the slot was reserved in the lockout book before any hashing, so
/// concurrent wrong passwords cannot all be checked. Dropping it unfinished gives the slot back.
#[derive(Debug)]
pub struct LoginAttempt {
    book: Arc<Mutex<LoginAttempts>>,
    /// The lower-cased identity; `None` when lockout is off (nothing reserved).
    key: Option<String>,
    candidate: Option<LoginCandidate>,
}

impl LoginAttempt {
    /// The hash to verify the password against: the user's, or a dummy for an unknown identity (so both take
    /// the same time).
    pub fn password_hash(&self) -> String {
        self.candidate.as_ref().map_or_else(
            || auth::dummy_hash().to_owned(),
            |c| c.password_hash.clone(),
        )
    }
}

impl Drop for LoginAttempt {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock_book(&self.book).release(&key);
        }
    }
}

fn lock_book(book: &Mutex<LoginAttempts>) -> MutexGuard<'_, LoginAttempts> {
    book.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Backendless 3036.
fn account_locked() -> EmulatorError {
    EmulatorError::bad_request(
        codes::ACCOUNT_LOCKED,
        "User account is locked out due to too many failed logins",
    )
}

/// A live session, keyed in `Inner::sessions` by the digest of its user-token ([`auth::token_digest`]).
#[derive(Debug)]
struct Session {
    object_id: String,
    roles: Vec<String>,
    last_used_ms: i64,
    persisted_last_used_ms: i64,
}

struct Inner {
    conn: Connection,
    schema: Arc<Schema>,
    /// Keyed by token digest; the tokens themselves are never kept.
    sessions: HashMap<String, Session>,
}

/// The emulator's storage. Cheap to share behind an `Arc`.
pub struct Store {
    inner: Mutex<Inner>,
    /// Read-only connections for find / count / get: they run outside `inner`'s lock, under a deadline.
    reads: ReadPool,
    login_attempts: Arc<Mutex<LoginAttempts>>,
    /// The flags the store enforces.
    pub settings: StoreSettings,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

const SETUP_SQL: &str = r#"
CREATE TABLE IF NOT EXISTS _columns (
    position INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    required INTEGER NOT NULL,
    is_identity INTEGER NOT NULL,
    is_system INTEGER NOT NULL,
    related_table TEXT
);
CREATE TABLE IF NOT EXISTS _sessions (
    token_digest TEXT PRIMARY KEY NOT NULL,
    object_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    last_used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS _sessions_by_user ON _sessions(object_id);
CREATE TABLE IF NOT EXISTS _roles (
    object_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (object_id, role)
);
CREATE TABLE IF NOT EXISTS _lockouts (
    identity TEXT PRIMARY KEY NOT NULL,
    locked_until INTEGER NOT NULL
);
DROP TABLE IF EXISTS _login_state;
"#;

impl Store {
    /// Opens (creating if needed) the database: in memory, or `DB_FILE_NAME` inside `dir`.
    pub fn open(dir: Option<&Path>, settings: StoreSettings) -> anyhow::Result<Self> {
        let database = dir.map_or_else(Database::new_memory, |dir| {
            Database::File(dir.join(DB_FILE_NAME))
        });
        let conn = match dir {
            None => database.open_memory_writer()?,
            Some(dir) => {
                owner_only::create_dir(dir)?;
                let path = dir.join(DB_FILE_NAME);
                owner_only::create_file(&path)?;
                let conn = Connection::open(&path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                let mode: String = conn
                    .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
                    .map_err(|e| open_error(&path, e))?;
                anyhow::ensure!(
                    mode.eq_ignore_ascii_case("wal"),
                    "cannot switch {} to WAL mode",
                    path.display()
                );
                check_integrity(&conn, &path)?;
                owner_only::tighten_db_files(&path)?;
                conn
            }
        };
        // WAL + NORMAL: a commit is durable against a process crash (kill -9), not against power loss.
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;")?;
        conn.set_prepared_statement_cache_capacity(128);
        conn.execute_batch(SETUP_SQL)
            .context("cannot create the emulator tables (is the data dir writable?)")?;
        migrate_plain_tokens(&conn).context("cannot migrate the stored sessions")?;
        admin::setup_roles(&conn).context("cannot create the roles table")?;
        if let Some(dir) = dir {
            // The first write created the -wal and -shm files (with the main file's mode); check them anyway.
            owner_only::tighten_db_files(&dir.join(DB_FILE_NAME))?;
        }
        let mut inner = Inner {
            conn,
            schema: Arc::new(Schema::default()),
            sessions: HashMap::new(),
        };
        inner.ensure_users_table(&settings)?;
        let store = Self {
            inner: Mutex::new(inner),
            reads: ReadPool::open(&database, settings.query_timeout)?,
            login_attempts: Arc::new(Mutex::new(LoginAttempts::default())),
            settings,
        };
        store.load_sessions()?;
        store.load_lockouts()?;
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves SQLite consistent (the transaction rolls back on drop), so the
        // poison flag carries no information worth failing every later request for.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current schema (a snapshot; columns are only ever added).
    pub fn schema(&self) -> Arc<Schema> {
        self.lock().schema.clone()
    }

    fn dynamic_schema(&self) -> bool {
        self.settings.dynamic_schema.load(Ordering::Relaxed)
    }

    fn load_sessions(&self) -> anyhow::Result<()> {
        let mut inner = self.lock();
        let now = now_ms();
        if self.settings.session_timeout_ms > 0 {
            inner.conn.execute(
                "DELETE FROM _sessions WHERE last_used < ?1",
                params![now - self.settings.session_timeout_ms],
            )?;
        }
        let rows: Vec<(String, String, i64)> = {
            let mut stmt = inner
                .conn
                .prepare("SELECT token_digest, object_id, last_used FROM _sessions")?;
            stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect::<Result<_, _>>()?
        };
        for (digest, object_id, last_used_ms) in rows {
            let roles = inner.roles_of(&object_id)?;
            inner.sessions.insert(
                digest,
                Session {
                    object_id,
                    roles,
                    last_used_ms,
                    persisted_last_used_ms: last_used_ms,
                },
            );
        }
        Ok(())
    }

    /// Loads the locks still running from an earlier run.
    fn load_lockouts(&self) -> anyhow::Result<()> {
        let inner = self.lock();
        let now = now_ms();
        inner.conn.execute(
            "DELETE FROM _lockouts WHERE locked_until <= ?1",
            params![now],
        )?;
        let rows: Vec<(String, i64)> = {
            let mut stmt = inner
                .conn
                .prepare("SELECT identity, locked_until FROM _lockouts")?;
            stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let mut book = lock_book(&self.login_attempts);
        for (identity, locked_until_ms) in rows {
            book.by_identity.insert(
                identity,
                Attempts {
                    failed: self.settings.failed_logins_lock,
                    in_flight: 0,
                    locked_until_ms,
                },
            );
        }
        Ok(())
    }

    /// Whether the Users table has no rows (so `--demo` may fill it).
    pub fn is_empty(&self) -> anyhow::Result<bool> {
        let inner = self.lock();
        let any: Option<i64> = inner
            .conn
            .query_row("SELECT 1 FROM Users LIMIT 1", [], |row| row.get(0))
            .optional()?;
        Ok(any.is_none())
    }

    /// Creates the demo schema, Alice / Bob / Admin and `generated` generated users, in one transaction.
    /// Hashing is done before the lock is taken; generated users share one hash.
    pub fn create_demo(&self, generated: u32) -> anyhow::Result<()> {
        // A `--schema` store keeps its columns; the demo users get plausible values for them.
        let custom = self.settings.initial_columns.is_some();
        let mut named = demo::named_users();
        let mut hashes = Vec::new();
        for user in &named {
            hashes.push(auth::hash_password(
                user.password.unwrap_or(demo::GENERATED_USER_PASSWORD),
            )?);
        }
        let shared_hash = if generated > 0 {
            Some(auth::hash_password(demo::GENERATED_USER_PASSWORD)?)
        } else {
            None
        };

        let mut inner = self.lock();
        let mut schema = (*inner.schema).clone();
        let tx = inner.conn.transaction()?;
        if !custom {
            tx.execute("UPDATE _columns SET required = 1 WHERE name = 'name'", [])?;
            if let Some(name) = schema.columns.iter_mut().find(|c| c.name == "name") {
                name.required = true;
            }
            for column in demo::demo_columns() {
                if schema.column_ignoring_case(&column.name).is_none() {
                    add_column_sql(&tx, &column)?;
                    schema.columns.push(column);
                }
            }
        }
        let columns: Vec<Column> = schema.columns.clone();
        let identity = schema.identity().to_owned();
        if custom {
            for (ordinal, user) in (1..).zip(named.iter_mut()) {
                demo::fill_plausible(user, &columns, ordinal);
            }
        }
        let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
        let placeholders = vec!["?"; columns.len()].join(", ");
        let sql = format!(
            "INSERT INTO Users ({}) VALUES ({placeholders})",
            names.join(", ")
        );
        {
            let mut insert = tx.prepare(&sql)?;
            let mut insert_user = |user: &DemoUser, hash: &str| -> anyhow::Result<()> {
                let values = demo_row(&columns, user, hash, &identity)?;
                insert.execute(params_from_iter(values))?;
                Ok(())
            };
            for (user, hash) in named.iter().zip(&hashes) {
                insert_user(user, hash)?;
            }
            if let Some(hash) = &shared_hash {
                for n in 1..=generated {
                    let mut user = demo::generated_user(n);
                    if custom {
                        demo::fill_plausible(&mut user, &columns, u64::from(n) + 3);
                    }
                    insert_user(&user, hash)?;
                }
            }
        }
        for user in &named {
            for role in &user.roles {
                tx.execute(
                    "INSERT OR IGNORE INTO _role_names (name) VALUES (?1)",
                    params![role],
                )?;
                tx.execute(
                    "INSERT OR IGNORE INTO _roles (object_id, role) VALUES (?1, ?2)",
                    params![user.object_id, role],
                )?;
            }
        }
        tx.commit()?;
        inner.schema = Arc::new(schema);
        Ok(())
    }

    /// Resolves a `user-token`: 3028 without one, 3064 when unknown, logged out or timed out.
    pub fn authenticate(&self, user_token: Option<&str>) -> EmuResult<Caller> {
        let mut inner = self.lock();
        inner.authenticate(user_token, &self.settings)
    }

    /// Like [`Store::authenticate`] but `Ok(None)` when no token was sent.
    pub fn authenticate_optional(&self, user_token: Option<&str>) -> EmuResult<Option<Caller>> {
        match user_token {
            None => Ok(None),
            Some(_) => self.authenticate(user_token).map(Some),
        }
    }

    /// `isvalidusertoken`: whether the token is currently accepted (refreshes its inactivity timer).
    pub fn is_valid_token(&self, user_token: &str) -> bool {
        self.authenticate(Some(user_token)).is_ok()
    }

    /// Logout: the token stops working. Without a token it succeeds and does nothing (the official SDK logs out
    /// tokenless right after register); an unknown token is still 3064.
    pub fn logout(&self, user_token: Option<&str>) -> EmuResult<()> {
        let mut inner = self.lock();
        if let Some(user_token) = user_token {
            inner.authenticate(Some(user_token), &self.settings)?;
            let digest = auth::token_digest(user_token);
            inner.sessions.remove(&digest);
            inner.conn.execute(
                "DELETE FROM _sessions WHERE token_digest = ?1",
                params![digest],
            )?;
        }
        Ok(())
    }

    /// Login, step 1, before any hashing: reserves a password check for `identity` in the lockout book
    /// (atomically: failures plus checks in flight never exceed `failed_logins_lock`) and finds the account.
    /// 3036 while the identity is locked or all its checks are taken. Unknown identities are booked the same
    /// way, so the lockout does not tell which accounts exist.
    pub fn login_begin(&self, identity: &str) -> EmuResult<LoginAttempt> {
        let limit = self.settings.failed_logins_lock;
        let key = (limit > 0).then(|| identity.trim().to_lowercase());
        if let Some(key) = &key {
            let now = now_ms();
            let mut book = lock_book(&self.login_attempts);
            if !book.by_identity.contains_key(key) {
                book.make_room(now);
            }
            let entry = book.by_identity.entry(key.clone()).or_default();
            if entry.locked_until_ms != 0 && !entry.is_locked(now) {
                // The lock has run out: start counting afresh.
                entry.failed = 0;
                entry.locked_until_ms = 0;
            }
            if entry.is_locked(now) || entry.failed.saturating_add(entry.in_flight) >= limit {
                return Err(account_locked());
            }
            entry.in_flight += 1;
        }
        // From here on the reservation is given back if anything fails (the attempt is dropped).
        let mut attempt = LoginAttempt {
            book: self.login_attempts.clone(),
            key,
            candidate: None,
        };
        let inner = self.lock();
        let sql = format!(
            "SELECT \"objectId\", \"password\" FROM Users WHERE {} = ?1 COLLATE NOCASE",
            quote_ident(inner.schema.identity())
        );
        let found: Option<(String, Option<String>)> = inner
            .conn
            .prepare_cached(&sql)?
            .query_row(params![identity], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        attempt.candidate = found.map(|(object_id, hash)| LoginCandidate {
            object_id,
            password_hash: hash.unwrap_or_default(),
        });
        Ok(attempt)
    }

    /// Books the outcome of a password check in the lockout book: a failure counts (and may start a lock; it
    /// never clears one); a success clears the count unless the identity got locked meanwhile (then 3036).
    fn settle_attempt(&self, mut attempt: LoginAttempt, password_ok: bool) -> EmuResult<()> {
        let Some(key) = attempt.key.take() else {
            return Ok(());
        };
        let now = now_ms();
        let limit = self.settings.failed_logins_lock;
        let new_lock = {
            let mut book = lock_book(&self.login_attempts);
            book.release(&key);
            let entry = book.by_identity.entry(key.clone()).or_default();
            if password_ok {
                if entry.is_locked(now) {
                    return Err(account_locked());
                }
                entry.failed = 0;
                if entry.in_flight == 0 {
                    book.by_identity.remove(&key);
                }
                None
            } else {
                entry.failed = entry.failed.saturating_add(1);
                if entry.failed >= limit && !entry.is_locked(now) {
                    entry.locked_until_ms = now.saturating_add(self.settings.lockout_ms);
                    Some(entry.locked_until_ms)
                } else {
                    None
                }
            }
        };
        if let Some(locked_until) = new_lock {
            // Kept across restarts; the count itself lives only in memory.
            self.lock().conn.execute(
                "INSERT INTO _lockouts (identity, locked_until) VALUES (?1, ?2)
                 ON CONFLICT(identity) DO UPDATE SET locked_until = excluded.locked_until",
                params![key, locked_until],
            )?;
        }
        Ok(())
    }

    /// Login, step 2: records the outcome of the password check. On success returns the user with a new
    /// `user-token`; otherwise 3003 (counting towards the lockout; also for an unknown identity), 3036 when the
    /// identity got locked meanwhile, or 3090 for a disabled account.
    pub fn login_finish(&self, attempt: LoginAttempt, password_ok: bool) -> EmuResult<Value> {
        let object_id = attempt.candidate.as_ref().map(|c| c.object_id.clone());
        let password_ok = password_ok && object_id.is_some();
        self.settle_attempt(attempt, password_ok)?;
        let Some(object_id) = object_id else {
            return Err(invalid_credentials());
        };
        if !password_ok {
            return Err(invalid_credentials());
        }
        let object_id = object_id.as_str();
        let mut inner = self.lock();
        let now = now_ms();
        let status: Option<Option<String>> = inner
            .conn
            .query_row(
                "SELECT \"userStatus\" FROM Users WHERE \"objectId\" = ?1",
                params![object_id],
                |row| row.get(0),
            )
            .optional()?;
        let Some(status) = status else {
            return Err(invalid_credentials());
        };
        if status.as_deref() == Some("DISABLED") {
            return Err(EmulatorError::bad_request(
                codes::ACCOUNT_DISABLED,
                "User account has been disabled",
            ));
        }
        // `serve --logins`: a live session of the same user is replaced, refuses this login, or counts.
        let alive = inner.live_sessions_of(object_id, &self.settings, now);
        let replace = match self.settings.logins {
            Logins::Replace => alive > 0,
            Logins::Refuse if alive > 0 => return Err(second_login_refused()),
            Logins::Max(limit) if alive >= limit as usize => return Err(too_many_sessions()),
            Logins::Refuse | Logins::Max(_) => false,
        };
        let user_token = auth::new_user_token().map_err(EmulatorError::internal)?;
        let digest = auth::token_digest(&user_token);
        let roles = inner.roles_of(object_id)?;
        let tx = inner.conn.transaction()?;
        if replace {
            tx.execute(
                "DELETE FROM _sessions WHERE object_id = ?1",
                params![object_id],
            )?;
        }
        tx.execute(
            "UPDATE Users SET \"lastLogin\" = ?1 WHERE \"objectId\" = ?2",
            params![now, object_id],
        )?;
        tx.execute(
            "INSERT INTO _sessions (token_digest, object_id, created, last_used) VALUES (?1, ?2, ?3, ?3)",
            params![digest, object_id, now],
        )?;
        tx.commit()?;
        if replace {
            inner.sessions.retain(|_, s| s.object_id != object_id);
        }
        let schema = inner.schema.clone();
        let columns: Vec<Column> = schema.readable().cloned().collect();
        let mut record = inner
            .read_record(&columns, object_id)?
            .ok_or_else(invalid_credentials)?;
        if let Value::Object(map) = &mut record {
            map.insert("user-token".to_owned(), Value::String(user_token));
        }
        inner.sessions.insert(
            digest,
            Session {
                object_id: object_id.to_owned(),
                roles,
                last_used_ms: now,
                persisted_last_used_ms: now,
            },
        );
        // Sessions that time out unused are otherwise only noticed when their token comes back.
        if inner.sessions.len().is_multiple_of(1024) {
            inner.purge_expired_sessions(&self.settings, now)?;
        }
        Ok(record)
    }

    /// Registers a user. `password_hash` is the hash of the body's `password` (validated by the caller). 3011
    /// without the identity, 3033 for an identity already taken; unknown properties become columns with dynamic
    /// schema on and are dropped with it off.
    pub fn register(&self, body: &Map<String, Value>, password_hash: &str) -> EmuResult<Value> {
        let dynamic = self.dynamic_schema();
        let mut inner = self.lock();
        let mut schema = (*inner.schema).clone();
        let identity_name = schema.identity().to_owned();
        let email_identity = identity_name.eq_ignore_ascii_case(IDENTITY);
        let email = match body.get(&identity_name) {
            None | Some(Value::Null) => return Err(registration_missing_identity(&identity_name)),
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(registration_missing_identity(&identity_name));
            }
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(_) if email_identity => return Err(invalid_email()),
            Some(_) => {
                return Err(registration_failed(format!(
                    "property '{identity_name}' must be a string"
                )));
            }
        };
        if email_identity && !looks_like_email(&email) {
            return Err(invalid_email());
        }
        if let Some(identity_column) = schema.column(&identity_name) {
            json_to_sql(identity_column, &Value::String(email.clone()))
                .map_err(registration_failed)?;
        }
        let mut values: Vec<(Column, SqlValue)> = Vec::new();
        let mut new_columns: Vec<Column> = Vec::new();
        for (key, value) in body {
            if IGNORED_UPDATE_KEYS.contains(&key.as_str())
                || key == PASSWORD
                || *key == identity_name
            {
                continue;
            }
            match schema.column(key) {
                Some(column) if column.system => {}
                Some(column) => {
                    let sql = json_to_sql(column, value).map_err(registration_failed)?;
                    values.push((column.clone(), sql));
                }
                // As the real server does: register drops unknown properties silently (update answers 3031).
                None if !dynamic => {}
                None => {
                    let column = new_column(&schema, &new_columns, key, value)
                        .map_err(registration_failed)?;
                    let sql = json_to_sql(&column, value).map_err(registration_failed)?;
                    values.push((column.clone(), sql));
                    new_columns.push(column);
                }
            }
        }
        for column in schema.columns.iter().filter(|c| c.required && !c.system) {
            if column.name == identity_name
                || column.name == PASSWORD
                || column.column_type == ColumnType::AutoIncrement
            {
                continue;
            }
            let present = values
                .iter()
                .any(|(c, v)| c.name == column.name && !is_empty_sql(v));
            if !present {
                return Err(EmulatorError::bad_request(
                    codes::REGISTRATION_MISSING_PROPERTY,
                    format!(
                        "Unable to register user: required property '{}' has no value",
                        column.name
                    ),
                ));
            }
        }
        if inner.identity_owner(&email)?.is_some() {
            return Err(EmulatorError::conflict(
                codes::REGISTRATION_IDENTITY_TAKEN,
                format!("User already exists with the identity {email:?}"),
            ));
        }
        let object_id = auth::random_id().map_err(EmulatorError::internal)?;
        let now = now_ms();
        let tx = inner.conn.transaction()?;
        for column in &new_columns {
            add_column_sql(&tx, column)?;
            schema.columns.push(column.clone());
        }
        let mut names = vec![
            quote_ident("objectId"),
            quote_ident("created"),
            quote_ident("ownerId"),
            quote_ident("userStatus"),
            quote_ident(&identity_name),
            quote_ident(PASSWORD),
        ];
        let mut params: Vec<SqlValue> = vec![
            SqlValue::Text(object_id.clone()),
            SqlValue::Integer(now),
            SqlValue::Text(object_id.clone()),
            SqlValue::Text("ENABLED".into()),
            SqlValue::Text(email),
            SqlValue::Text(password_hash.to_owned()),
        ];
        if !values.iter().any(|(c, _)| c.name == "blUserLocale")
            && schema.column("blUserLocale").is_some()
        {
            names.push(quote_ident("blUserLocale"));
            params.push(SqlValue::Text(DEFAULT_USER_LOCALE.into()));
        }
        for column in schema.columns.iter().filter(|c| c.system) {
            let initial = system_column_initial(&column.name);
            if initial != SqlValue::Null {
                names.push(quote_ident(&column.name));
                params.push(initial);
            }
        }
        // AUTO_INCREMENT columns the body left empty get one more than the largest value so far.
        for column in schema
            .columns
            .iter()
            .filter(|c| c.column_type == ColumnType::AutoIncrement)
        {
            if values
                .iter()
                .any(|(c, v)| c.name == column.name && *v != SqlValue::Null)
            {
                continue;
            }
            let next: i64 = tx.query_row(
                &format!(
                    "SELECT COALESCE(MAX({0}), 0) + 1 FROM Users",
                    quote_ident(&column.name)
                ),
                [],
                |row| row.get(0),
            )?;
            values.retain(|(c, _)| c.name != column.name);
            values.push((column.clone(), SqlValue::Integer(next)));
        }
        for (column, value) in values {
            names.push(quote_ident(&column.name));
            params.push(value);
        }
        let sql = format!(
            "INSERT INTO Users ({}) VALUES ({})",
            names.join(", "),
            vec!["?"; names.len()].join(", ")
        );
        tx.execute(&sql, params_from_iter(params))
            .map_err(|e| match unique_violation(&e) {
                true => EmulatorError::bad_request(
                    codes::REGISTRATION_IDENTITY_TAKEN,
                    "User already exists",
                ),
                false => e.into(),
            })?;
        tx.commit()?;
        inner.schema = Arc::new(schema);
        let columns: Vec<Column> = inner.schema.readable().cloned().collect();
        inner
            .read_record(&columns, &object_id)?
            .ok_or_else(|| EmulatorError::internal("registered user vanished"))
    }

    /// `PUT users/{objectId}`: the seed's checks in CONTRACT order (3028, 3064, 3029, 3030, 3031, 3045, 3018,
    /// 3024), then one atomic transaction. `password_hash` must be given when the body sets a password.
    pub fn update_user(
        &self,
        user_token: Option<&str>,
        object_id: &str,
        body: &Value,
        password_hash: Option<&str>,
    ) -> EmuResult<Value> {
        let dynamic = self.dynamic_schema();
        let mut inner = self.lock();
        let caller = inner.authenticate(user_token, &self.settings)?;
        if caller.object_id != object_id && !caller.is_admin {
            return Err(EmulatorError::forbidden(
                codes::NOT_YOUR_RECORD,
                "User accounts can be updated only by an admin or by the user himself",
            ));
        }
        if !inner.user_exists(object_id)? {
            return Err(EmulatorError::not_found(
                codes::USER_NOT_FOUND,
                format!("Unable to update user: user with id {object_id:?} cannot be located"),
            ));
        }
        let Value::Object(body) = body else {
            return Err(EmulatorError::update_failed(
                "the request body must be a JSON object",
            ));
        };
        let mut schema = (*inner.schema).clone();

        // Sort the body's keys into known columns, new properties and the password.
        let mut known: Vec<(&Column, &Value)> = Vec::new();
        let mut unknown: Vec<(&str, &Value)> = Vec::new();
        let mut password: Option<&Value> = None;
        for (key, value) in body {
            if IGNORED_UPDATE_KEYS.contains(&key.as_str()) {
                continue;
            }
            if key == PASSWORD {
                password = Some(value);
                continue;
            }
            match schema.column(key) {
                Some(column) if column.system => {}
                Some(column) => known.push((column, value)),
                None => unknown.push((key, value)),
            }
        }
        // 3031: dynamic schema off and the body names properties that are not columns.
        if !dynamic && !unknown.is_empty() {
            let names: Vec<String> = unknown.iter().map(|(k, _)| format!("'{k}'")).collect();
            return Err(EmulatorError::bad_request(
                codes::DYNAMIC_PROPERTIES_DISABLED,
                format!(
                    "Dynamic properties are disabled; not a column: {}",
                    names.join(", ")
                ),
            ));
        }
        // 3045: required properties set to null or "".
        let mut emptied: Vec<String> = known
            .iter()
            .filter(|(c, v)| c.required && is_empty_json(v))
            .map(|(c, _)| format!("'{}'", c.name))
            .collect();
        if password.is_some_and(is_empty_json) {
            emptied.push(format!("'{PASSWORD}'"));
        }
        if !emptied.is_empty() {
            return Err(EmulatorError::bad_request(
                codes::REQUIRED_PROPERTY_EMPTY,
                format!(
                    "Unable to update user: required properties are empty: {}",
                    emptied.join(", ")
                ),
            ));
        }
        // 3018: the identity is taken by someone else.
        let new_identity = known
            .iter()
            .find(|(c, _)| c.identity)
            .and_then(|(_, v)| v.as_str())
            .map(str::trim);
        if let Some(identity) = new_identity
            && inner
                .identity_owner(identity)?
                .is_some_and(|owner| owner != object_id)
        {
            return Err(EmulatorError::conflict(
                codes::IDENTITY_TAKEN,
                format!("User with identity {identity:?} already exists"),
            ));
        }
        // 3024: everything else: value types, property names, email shape, password type.
        let mut assignments: Vec<(String, SqlValue)> = Vec::new();
        for (column, value) in &known {
            let mut sql = json_to_sql(column, value).map_err(EmulatorError::update_failed)?;
            if column.identity {
                let SqlValue::Text(text) = &sql else {
                    return Err(EmulatorError::update_failed(format!(
                        "property '{}' must be a string",
                        column.name
                    )));
                };
                let trimmed = text.trim().to_owned();
                if trimmed.is_empty() {
                    return Err(EmulatorError::update_failed(format!(
                        "property '{}' must not be empty",
                        column.name
                    )));
                }
                if column.name.eq_ignore_ascii_case(IDENTITY) && !looks_like_email(&trimmed) {
                    return Err(EmulatorError::update_failed(format!(
                        "property '{}' is not a valid email address",
                        column.name
                    )));
                }
                sql = SqlValue::Text(trimmed);
            }
            assignments.push((column.name.clone(), sql));
        }
        let mut new_columns = Vec::new();
        for (key, value) in &unknown {
            let column = new_column(&schema, &new_columns, key, value)
                .map_err(EmulatorError::update_failed)?;
            let sql = json_to_sql(&column, value).map_err(EmulatorError::update_failed)?;
            assignments.push((column.name.clone(), sql));
            new_columns.push(column);
        }
        match (password, password_hash) {
            (None, _) => {}
            (Some(Value::String(_)), Some(hash)) => {
                assignments.push((PASSWORD.to_owned(), SqlValue::Text(hash.to_owned())))
            }
            (Some(Value::String(_)), None) => {
                return Err(EmulatorError::internal("password was not hashed"));
            }
            (Some(_), _) => {
                return Err(EmulatorError::update_failed(format!(
                    "property '{PASSWORD}' must be a string"
                )));
            }
        }
        assignments.push(("updated".to_owned(), SqlValue::Integer(now_ms())));

        let tx = inner.conn.transaction()?;
        for column in &new_columns {
            add_column_sql(&tx, column)?;
            schema.columns.push(column.clone());
        }
        let sets: Vec<String> = assignments
            .iter()
            .map(|(name, _)| format!("{} = ?", quote_ident(name)))
            .collect();
        let sql = format!(
            "UPDATE Users SET {} WHERE \"objectId\" = ?",
            sets.join(", ")
        );
        let mut params: Vec<SqlValue> = assignments.into_iter().map(|(_, v)| v).collect();
        params.push(SqlValue::Text(object_id.to_owned()));
        tx.prepare_cached(&sql)?
            .execute(params_from_iter(params))
            .map_err(|e| match unique_violation(&e) {
                true => EmulatorError::conflict(
                    codes::IDENTITY_TAKEN,
                    "User with this identity already exists",
                ),
                false => e.into(),
            })?;
        let columns: Vec<Column> = schema.readable().cloned().collect();
        let record = read_record_in(&tx, &columns, object_id)?;
        tx.commit()?;
        if !new_columns.is_empty() {
            inner.schema = Arc::new(schema);
        }
        record.ok_or_else(|| EmulatorError::internal("updated user vanished"))
    }

    /// `GET data/Users/{objectId}`: 1013 for a non-admin reading someone else, 1000 when missing.
    pub fn get_user(
        &self,
        user_token: Option<&str>,
        object_id: &str,
        columns: &[Column],
    ) -> EmuResult<Value> {
        let caller = self
            .authenticate(user_token)
            .map_err(not_logged_in_is_1013)?;
        if caller.object_id != object_id && !caller.is_admin {
            return Err(EmulatorError::no_permission_to_find());
        }
        let record = self
            .reads
            .read(|conn| read_record_in(conn, columns, object_id))?;
        record.ok_or_else(|| {
            EmulatorError::not_found(
                codes::ENTITY_NOT_FOUND,
                format!("Entity with ID {object_id} not found"),
            )
        })
    }

    /// Find: a page of records. Non-admins see only their own record, anonymous callers nothing. Runs on a reader, under the deadline.
    pub fn find(&self, user_token: Option<&str>, query: &FindQuery) -> EmuResult<Vec<Value>> {
        // An anonymous caller may see no Users record (a token that is sent must be valid).
        let Some(caller) = self.authenticate_optional(user_token)? else {
            return Ok(Vec::new());
        };
        self.find_rows(&caller, query, None)
    }

    /// A page of records `caller` may see that match the query and, if given, `extra` too.
    fn find_rows(
        &self,
        caller: &Caller,
        query: &FindQuery,
        extra: Option<&SqlFragment>,
    ) -> EmuResult<Vec<Value>> {
        let schema = self.schema();
        let (mut condition, mut params) = condition_sql(caller, query.where_sql.as_ref());
        if let Some(extra) = extra {
            condition = format!("({condition}) AND ({})", extra.sql);
            params.extend(extra.params.iter().cloned());
        }
        let names: Vec<String> = query.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let mut order = query.order_by.clone();
        // A total order keeps paging stable. Sorting on a unique column already gives one; adding `rowid`
        // behind it would only make SQLite's planner give up the index and sort the whole table.
        let unique = [quote_ident("objectId"), quote_ident(schema.identity())];
        if !order.iter().any(|term| {
            unique
                .iter()
                .any(|column| term.starts_with(column.as_str()))
        }) {
            // No property may be named like the row id any more, but a store made before that rule may have one.
            let row_id = ROWID_ALIASES
                .iter()
                .find(|alias| schema.column_ignoring_case(alias).is_none())
                .unwrap_or(&"rowid");
            order.push(format!("{row_id} ASC"));
        }
        let sql = format!(
            "SELECT {} FROM Users WHERE {condition} ORDER BY {} LIMIT ? OFFSET ?",
            names.join(", "),
            order.join(", ")
        );
        params.push(SqlValue::Integer(query.page_size));
        params.push(SqlValue::Integer(query.offset));
        self.reads.read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(params), |row| {
                row_to_record(row, &query.columns)
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })
    }

    /// Count: a bare number. Non-admins count only their own record, anonymous callers nothing. Runs on a reader, under the deadline.
    pub fn count(
        &self,
        user_token: Option<&str>,
        where_sql: Option<&SqlFragment>,
    ) -> EmuResult<i64> {
        // An anonymous caller may see no Users record (a token that is sent must be valid).
        let Some(caller) = self.authenticate_optional(user_token)? else {
            return Ok(0);
        };
        let (condition, params) = condition_sql(&caller, where_sql);
        let sql = format!("SELECT COUNT(*) FROM Users WHERE {condition}");
        self.reads.read(|conn| {
            conn.prepare_cached(&sql)?
                .query_row(params_from_iter(params), |row| row.get(0))
        })
    }

    /// Sets `userStatus` (`ENABLED` / `DISABLED`) of the user with this identity; disabling also ends its sessions.
    #[cfg(feature = "test-hooks")] // only `EmulatorAdmin` (tests) calls this
    pub fn set_user_status(&self, identity: &str, status: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            matches!(status, "ENABLED" | "DISABLED"),
            "unknown user status {status:?}"
        );
        let object_id = self
            .object_id_of(identity)?
            .with_context(|| format!("no user {identity:?}"))?;
        let mut inner = self.lock();
        inner.conn.execute(
            "UPDATE Users SET \"userStatus\" = ?1 WHERE \"objectId\" = ?2",
            params![status, object_id],
        )?;
        if status == "DISABLED" {
            inner.revoke(&object_id)?;
        }
        Ok(())
    }

    /// `PUT users/{objectId}/status` (CloudCode key): sets `userStatus` and answers the record; 3030 for an
    /// unknown id. Disabling ends the user's sessions.
    pub fn set_user_status_by_id(&self, object_id: &str, status: &str) -> EmuResult<Value> {
        let mut inner = self.lock();
        let changed = inner.conn.execute(
            "UPDATE Users SET \"userStatus\" = ?1 WHERE \"objectId\" = ?2",
            params![status, object_id],
        )?;
        if changed == 0 {
            return Err(EmulatorError::not_found(
                codes::USER_NOT_FOUND,
                format!("User with id {object_id} not found"),
            ));
        }
        if status == "DISABLED" {
            inner.revoke(object_id)?;
        }
        let columns: Vec<Column> = inner.schema.readable().cloned().collect();
        inner
            .read_record(&columns, object_id)?
            .ok_or_else(|| EmulatorError::internal("user vanished"))
    }

    /// The stored password hash of the `user-token`'s user (3028 / 3064 for a missing / bad token, 3030 when
    /// the record is gone). For `verifypassowrd`; the hash never leaves the server.
    pub fn password_hash_of_caller(&self, user_token: Option<&str>) -> EmuResult<String> {
        let mut inner = self.lock();
        let caller = inner.authenticate(user_token, &self.settings)?;
        let hash: Option<Option<String>> = inner
            .conn
            .query_row(
                "SELECT \"password\" FROM Users WHERE \"objectId\" = ?1",
                params![caller.object_id],
                |row| row.get(0),
            )
            .optional()?;
        hash.flatten().ok_or_else(|| {
            EmulatorError::not_found(codes::USER_NOT_FOUND, "The user record no longer exists")
        })
    }

    /// Deletes a user record. Its sessions stay, so its token now meets 3030 / 1000 (CONTRACT §3).
    #[cfg(feature = "test-hooks")] // only `EmulatorAdmin` (tests) calls this
    pub fn delete_user(&self, object_id: &str) -> anyhow::Result<bool> {
        let inner = self.lock();
        let deleted = inner.conn.execute(
            "DELETE FROM Users WHERE \"objectId\" = ?1",
            params![object_id],
        )?;
        Ok(deleted > 0)
    }

    /// Ends every session of the user with this identity.
    #[cfg(feature = "test-hooks")] // only `EmulatorAdmin` (tests) calls this
    pub fn revoke_tokens(&self, identity: &str) -> anyhow::Result<()> {
        let object_id = self
            .object_id_of(identity)?
            .with_context(|| format!("no user {identity:?}"))?;
        self.lock().revoke(&object_id)?;
        Ok(())
    }

    /// The objectId of the user with this identity (case-insensitive).
    #[cfg(feature = "test-hooks")] // only `EmulatorAdmin` (tests) calls this
    pub fn object_id_of(&self, identity: &str) -> anyhow::Result<Option<String>> {
        Ok(self.lock().identity_owner(identity)?)
    }

    /// Adds a column (test hook), e.g. `("nickname", "STRING", true)`.
    #[cfg(feature = "test-hooks")] // only `EmulatorAdmin` (tests) calls this
    pub fn add_column(
        &self,
        name: &str,
        backendless_type: &str,
        required: bool,
    ) -> anyhow::Result<()> {
        let column_type = ColumnType::parse(backendless_type)
            .filter(|t| *t != ColumnType::StringId)
            .with_context(|| format!("unknown column type {backendless_type:?}"))?;
        anyhow::ensure!(is_valid_column_name(name), "invalid column name {name:?}");
        let mut inner = self.lock();
        let mut schema = (*inner.schema).clone();
        anyhow::ensure!(
            schema.column_ignoring_case(name).is_none(),
            "column {name:?} already exists"
        );
        anyhow::ensure!(
            !column_type.is_relation(),
            "a relation column needs a related table; use --schema"
        );
        let column = Column::user(name, column_type, required);
        let tx = inner.conn.transaction()?;
        add_column_sql(&tx, &column)?;
        tx.commit()?;
        schema.columns.push(column);
        inner.schema = Arc::new(schema);
        Ok(())
    }

    /// Role names of a user for `users/userroles`.
    pub fn roles(&self, caller: Option<&Caller>) -> Vec<String> {
        match caller {
            None => vec!["NotAuthenticatedUser".to_owned(), "RestUser".to_owned()],
            Some(caller) => {
                let mut roles = vec!["AuthenticatedUser".to_owned(), "RestUser".to_owned()];
                roles.extend(caller.roles.iter().cloned());
                roles
            }
        }
    }
}

impl Inner {
    fn ensure_users_table(&mut self, settings: &StoreSettings) -> anyhow::Result<()> {
        // Stores made before relation columns existed get the `related_table` column.
        let has_related: bool = self
            .conn
            .prepare("SELECT 1 FROM pragma_table_info('_columns') WHERE name = 'related_table'")?
            .exists([])?;
        if !has_related {
            self.conn
                .execute_batch("ALTER TABLE _columns ADD COLUMN related_table TEXT")?;
        }
        type StoredColumn = (String, String, bool, bool, bool, Option<String>);
        let stored: Vec<StoredColumn> = {
            let mut stmt = self.conn.prepare(
                "SELECT name, type, required, is_identity, is_system, related_table FROM _columns ORDER BY position",
            )?;
            stmt.query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                ))
            })?
            .collect::<Result<_, _>>()?
        };
        if stored.is_empty() {
            let columns = match &settings.initial_columns {
                Some(columns) => columns.clone(),
                None => {
                    let mut columns = base_columns();
                    if settings.identity != IDENTITY {
                        for column in &mut columns {
                            column.identity = false;
                        }
                        match columns.iter_mut().find(|c| c.name == settings.identity) {
                            Some(column) if !column.system && column.name != PASSWORD => {
                                column.identity = true;
                            }
                            _ => {
                                let mut column =
                                    Column::user(&settings.identity, ColumnType::String, true);
                                anyhow::ensure!(
                                    is_valid_column_name(&settings.identity)
                                        && !columns.iter().any(|c| c
                                            .name
                                            .eq_ignore_ascii_case(&settings.identity)),
                                    "--identity {:?} cannot be a column name",
                                    settings.identity
                                );
                                column.identity = true;
                                columns.push(column);
                            }
                        }
                    }
                    columns
                }
            };
            anyhow::ensure!(
                columns.len() <= MAX_COLUMNS,
                "the schema has {} columns; at most {MAX_COLUMNS} are allowed",
                columns.len()
            );
            let identity = Schema {
                columns: columns.clone(),
            }
            .identity()
            .to_owned();
            let decls: Vec<String> = columns
                .iter()
                .map(|c| {
                    let key = if c.name == "objectId" {
                        " PRIMARY KEY NOT NULL"
                    } else {
                        ""
                    };
                    format!("{} {}{key}", quote_ident(&c.name), c.column_type.sql_decl())
                })
                .collect();
            let tx = self.conn.transaction()?;
            tx.execute_batch(&format!(
                "CREATE TABLE Users ({});
                 CREATE UNIQUE INDEX Users_identity ON Users({} COLLATE NOCASE);",
                decls.join(", "),
                quote_ident(&identity)
            ))?;
            for column in &columns {
                insert_column_row(&tx, column)?;
            }
            tx.commit()?;
            self.schema = Arc::new(Schema { columns });
        } else {
            let mut columns = Vec::new();
            for (name, type_name, required, identity, system, related_table) in stored {
                let column_type = ColumnType::parse(&type_name).with_context(|| {
                    format!("the database names an unknown column type {type_name:?}")
                })?;
                columns.push(Column {
                    name,
                    column_type,
                    required,
                    identity,
                    system,
                    related_table,
                });
            }
            let stored_identity = Schema {
                columns: columns.clone(),
            }
            .identity()
            .to_owned();
            anyhow::ensure!(
                stored_identity == settings.identity,
                "the store's identity column is {stored_identity:?}, not {:?}; pass --identity {stored_identity} or use another --data dir",
                settings.identity
            );
            // Columns a `--schema` file adds to an existing store.
            let wanted: Vec<Column> = settings
                .initial_columns
                .iter()
                .flatten()
                .filter(|w| !columns.iter().any(|c| c.name.eq_ignore_ascii_case(&w.name)))
                .cloned()
                .collect();
            if !wanted.is_empty() {
                let tx = self.conn.transaction()?;
                for column in wanted {
                    add_column_sql(&tx, &column)?;
                    columns.push(column);
                }
                tx.commit()?;
            }
            // Stores made before a system column existed get it, filled as new records would be.
            let missing: Vec<Column> = base_columns()
                .into_iter()
                .filter(|base| base.system)
                .filter(|base| {
                    !columns
                        .iter()
                        .any(|c| c.name.eq_ignore_ascii_case(&base.name))
                })
                .collect();
            if !missing.is_empty() {
                let tx = self.conn.transaction()?;
                for column in missing {
                    add_column_sql(&tx, &column)?;
                    let initial = system_column_initial(&column.name);
                    if initial != SqlValue::Null {
                        tx.execute(
                            &format!("UPDATE Users SET {} = ?1", quote_ident(&column.name)),
                            params![initial],
                        )?;
                    }
                    columns.push(column);
                }
                tx.commit()?;
            }
            self.schema = Arc::new(Schema { columns });
        }
        // The Users browser sorts by these most often (text sorts ignore case, hence the collation); without an index every page of a sort over
        // 100,000 users is a full scan. `IF NOT EXISTS` also upgrades databases made before this.
        self.conn
            .execute_batch("CREATE INDEX IF NOT EXISTS Users_created ON Users(created);")?;
        if self.schema.column("name").is_some() {
            self.conn.execute_batch(
                "CREATE INDEX IF NOT EXISTS Users_name ON Users(name COLLATE NOCASE);",
            )?;
        }
        Ok(())
    }

    fn authenticate(
        &mut self,
        user_token: Option<&str>,
        settings: &StoreSettings,
    ) -> EmuResult<Caller> {
        let user_token = user_token.ok_or_else(EmulatorError::not_logged_in)?;
        let digest = auth::token_digest(user_token);
        let now = now_ms();
        let Some(session) = self.sessions.get_mut(&digest) else {
            return Err(EmulatorError::not_existing_token(user_token));
        };
        if settings.session_timeout_ms > 0
            && now - session.last_used_ms > settings.session_timeout_ms
        {
            self.sessions.remove(&digest);
            self.conn.execute(
                "DELETE FROM _sessions WHERE token_digest = ?1",
                params![digest],
            )?;
            return Err(EmulatorError::not_existing_token(user_token));
        }
        session.last_used_ms = now;
        let caller = Caller {
            object_id: session.object_id.clone(),
            is_admin: session.roles.iter().any(|r| r == ADMIN_ROLE),
            roles: session.roles.clone(),
        };
        // The sliding timeout is tracked in memory; the database copy is refreshed at most once a minute so a
        // request does not cost a write. After a restart a session may therefore expire up to a minute early.
        if now - session.persisted_last_used_ms >= SESSION_PERSIST_INTERVAL_MS {
            session.persisted_last_used_ms = now;
            self.conn
                .prepare_cached("UPDATE _sessions SET last_used = ?1 WHERE token_digest = ?2")?
                .execute(params![now, digest])?;
        }
        Ok(caller)
    }

    fn purge_expired_sessions(
        &mut self,
        settings: &StoreSettings,
        now: i64,
    ) -> rusqlite::Result<()> {
        if settings.session_timeout_ms <= 0 {
            return Ok(());
        }
        let expired: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| now - s.last_used_ms > settings.session_timeout_ms)
            .map(|(digest, _)| digest.clone())
            .collect();
        let tx = self.conn.transaction()?;
        for digest in &expired {
            tx.execute(
                "DELETE FROM _sessions WHERE token_digest = ?1",
                params![digest],
            )?;
        }
        tx.commit()?;
        for digest in &expired {
            self.sessions.remove(digest);
        }
        Ok(())
    }

    /// How many sessions of this user are alive (not timed out) at `now`.
    fn live_sessions_of(&self, object_id: &str, settings: &StoreSettings, now: i64) -> usize {
        self.sessions
            .values()
            .filter(|s| s.object_id == object_id)
            .filter(|s| {
                settings.session_timeout_ms <= 0
                    || now - s.last_used_ms <= settings.session_timeout_ms
            })
            .count()
    }

    fn revoke(&mut self, object_id: &str) -> rusqlite::Result<()> {
        self.sessions.retain(|_, s| s.object_id != object_id);
        self.conn.execute(
            "DELETE FROM _sessions WHERE object_id = ?1",
            params![object_id],
        )?;
        Ok(())
    }

    fn roles_of(&self, object_id: &str) -> rusqlite::Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT role FROM _roles WHERE object_id = ?1 ORDER BY role")?;
        stmt.query_map(params![object_id], |row| row.get(0))?
            .collect()
    }

    fn user_exists(&self, object_id: &str) -> rusqlite::Result<bool> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM Users WHERE \"objectId\" = ?1")?;
        Ok(stmt
            .query_row(params![object_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn identity_owner(&self, identity: &str) -> rusqlite::Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT \"objectId\" FROM Users WHERE {} = ?1 COLLATE NOCASE",
            quote_ident(self.schema.identity())
        ))?;
        stmt.query_row(params![identity.trim()], |row| row.get(0))
            .optional()
    }

    fn read_record(&self, columns: &[Column], object_id: &str) -> rusqlite::Result<Option<Value>> {
        read_record_in(&self.conn, columns, object_id)
    }
}

/// The one-line start-up error for a damaged database file.
fn damaged(path: &Path, detail: &str) -> anyhow::Error {
    let detail = detail.split_whitespace().collect::<Vec<_>>().join(" ");
    anyhow::anyhow!(
        "the emulator's database {} is damaged ({detail}); move it aside or restore a backup",
        path.display()
    )
}

/// An error from the first statements on a database file: "damaged" for corruption, else "cannot use".
fn open_error(path: &Path, error: rusqlite::Error) -> anyhow::Error {
    let corrupt = matches!(
        &error,
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    );
    if corrupt {
        damaged(path, &error.to_string())
    } else {
        anyhow::Error::new(error).context(format!(
            "cannot use {} (is the directory writable?)",
            path.display()
        ))
    }
}

/// `PRAGMA quick_check` at start: a damaged store is refused before it serves a single request.
fn check_integrity(conn: &Connection, path: &Path) -> anyhow::Result<()> {
    let problems: Vec<String> = conn
        .prepare(&format!("PRAGMA quick_check({QUICK_CHECK_MAX_PROBLEMS})"))
        .and_then(|mut stmt| {
            stmt.query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(..) => {
                damaged(path, &format!("PRAGMA quick_check: {e}"))
            }
            _ => anyhow::Error::new(e),
        })?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(damaged(
        path,
        &format!("PRAGMA quick_check: {}", problems.join("; ")),
    ))
}

/// Stores made before token digests kept `_sessions.token` in plain text: replace each token by its digest
/// (sessions keep working), overwriting the freed pages, and empty the WAL that held the old pages.
fn migrate_plain_tokens(conn: &Connection) -> anyhow::Result<()> {
    let has_plain_column = conn
        .prepare("SELECT 1 FROM pragma_table_info('_sessions') WHERE name = 'token'")?
        .exists([])?;
    if !has_plain_column {
        return Ok(());
    }
    let rows: Vec<(String, String, i64, i64)> = {
        let mut stmt =
            conn.prepare("SELECT token, object_id, created, last_used FROM _sessions")?;
        stmt.query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<Result<_, _>>()?
    };
    conn.execute_batch("PRAGMA secure_delete = ON;")?;
    conn.execute_batch("BEGIN IMMEDIATE;")?;
    let migrate = || -> rusqlite::Result<()> {
        conn.execute_batch(
            "DROP TABLE _sessions;
             CREATE TABLE _sessions (
                 token_digest TEXT PRIMARY KEY NOT NULL,
                 object_id TEXT NOT NULL,
                 created INTEGER NOT NULL,
                 last_used INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS _sessions_by_user ON _sessions(object_id);",
        )?;
        let mut insert = conn.prepare(
            "INSERT OR IGNORE INTO _sessions (token_digest, object_id, created, last_used) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (user_token, object_id, created, last_used) in &rows {
            insert.execute(params![
                auth::token_digest(user_token),
                object_id,
                created,
                last_used
            ])?;
        }
        Ok(())
    };
    match migrate() {
        Ok(()) => conn.execute_batch("COMMIT;")?,
        Err(e) => {
            conn.execute_batch("ROLLBACK;").ok();
            return Err(e.into());
        }
    }
    // Copy everything into the main file and truncate the WAL, which still held the plain-text pages.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .optional()?;
    conn.execute_batch("PRAGMA secure_delete = OFF;")?;
    Ok(())
}

/// Owner-only (0700 / 0600) data dir and database files, so other local users cannot read password hashes.
mod owner_only {
    use std::path::Path;

    use anyhow::Context as _;

    /// Creates `dir` (and missing parents) 0700; tightens an existing one that others can enter.
    pub(super) fn create_dir(dir: &Path) -> anyhow::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create data dir {}", dir.display()))?;
            tighten(dir, 0o700)?;
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create data dir {}", dir.display()))?;
        Ok(())
    }

    /// Creates the database file 0600 before SQLite opens it (SQLite gives -wal and -shm the same mode).
    pub(super) fn create_file(path: &Path) -> anyhow::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(())
    }

    /// Sets the database file and its -wal / -shm companions (those that exist) to 0600 if they are more open.
    pub(super) fn tighten_db_files(path: &Path) -> anyhow::Result<()> {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            if file.exists() {
                tighten(file, 0o600)?;
            }
        }
        Ok(())
    }

    #[cfg(unix)]
    fn tighten(path: &Path, mode: u32) -> anyhow::Result<()> {
        use std::os::unix::fs::PermissionsExt as _;
        let current = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .permissions()
            .mode();
        if current & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("cannot make {} owner-only", path.display()))?;
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn tighten(_path: &Path, _mode: u32) -> anyhow::Result<()> {
        Ok(())
    }
}

fn read_record_in(
    conn: &Connection,
    columns: &[Column],
    object_id: &str,
) -> rusqlite::Result<Option<Value>> {
    let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let sql = format!(
        "SELECT {} FROM Users WHERE \"objectId\" = ?1",
        names.join(", ")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_row(params![object_id], |row| row_to_record(row, columns))
        .optional()
}

fn row_to_record(row: &rusqlite::Row<'_>, columns: &[Column]) -> rusqlite::Result<Value> {
    let mut values = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        values.push((column, row.get::<_, SqlValue>(i)?));
    }
    Ok(record_json(values))
}

/// The `WHERE` condition for find/count: the client's clause, narrowed to the caller's own record unless admin.
fn condition_sql(caller: &Caller, where_sql: Option<&SqlFragment>) -> (String, Vec<SqlValue>) {
    let mut parts = Vec::new();
    let mut params = Vec::new();
    if let Some(fragment) = where_sql {
        parts.push(fragment.sql.clone());
        params.extend(fragment.params.iter().cloned());
    }
    if !caller.is_admin {
        parts.push("\"objectId\" = ?".to_owned());
        params.push(SqlValue::Text(caller.object_id.clone()));
    }
    if parts.is_empty() {
        ("1".to_owned(), params)
    } else {
        (parts.join(" AND "), params)
    }
}

fn add_column_sql(conn: &Connection, column: &Column) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "ALTER TABLE Users ADD COLUMN {} {}",
        quote_ident(&column.name),
        column.column_type.sql_decl()
    ))?;
    insert_column_row(conn, column)
}

fn insert_column_row(conn: &Connection, column: &Column) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO _columns (name, type, required, is_identity, is_system, related_table) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![column.name, column.column_type.name(), column.required, column.identity, column.system, column.related_table],
    )?;
    Ok(())
}

/// A dynamic-schema column for a new property; the error (3024 text) names the property.
fn new_column(
    schema: &Schema,
    pending: &[Column],
    key: &str,
    value: &Value,
) -> Result<Column, String> {
    if is_rowid_alias(key) {
        return Err(format!(
            "property '{key}' cannot be added: SQLite reserves the names rowid, oid and _rowid_ (in any letter case)"
        ));
    }
    if !is_valid_column_name(key) {
        return Err(format!(
            "property '{key}' has an invalid name (letters, digits and '_', starting with a letter, at most 64)"
        ));
    }
    let existing = schema
        .column_ignoring_case(key)
        .or_else(|| pending.iter().find(|c| c.name.eq_ignore_ascii_case(key)));
    if let Some(existing) = existing {
        return Err(format!(
            "property '{key}' differs only in letter case from the property '{}'",
            existing.name
        ));
    }
    if pending.len() >= MAX_NEW_COLUMNS_PER_REQUEST {
        return Err(format!(
            "property '{key}' cannot be added: one request may add at most {MAX_NEW_COLUMNS_PER_REQUEST} new properties"
        ));
    }
    if schema.columns.len() + pending.len() >= MAX_COLUMNS {
        return Err(format!(
            "property '{key}' cannot be added: the table already has {MAX_COLUMNS} properties"
        ));
    }
    Ok(Column::user(key, ColumnType::infer(value), false))
}

fn demo_row(
    columns: &[Column],
    user: &DemoUser,
    hash: &str,
    identity: &str,
) -> anyhow::Result<Vec<SqlValue>> {
    let mut row = Vec::with_capacity(columns.len());
    for column in columns {
        let value = match column.name.as_str() {
            "objectId" | "ownerId" => SqlValue::Text(user.object_id.clone()),
            "created" => SqlValue::Integer(user.created_ms),
            "userStatus" => SqlValue::Text("ENABLED".into()),
            _ if column.identity => SqlValue::Text(demo::identity_value(user, identity)),
            PASSWORD => SqlValue::Text(hash.to_owned()),
            name if column.system => system_column_initial(name),
            name => match user.properties.get(name) {
                Some(value) => json_to_sql(column, value).map_err(anyhow::Error::msg)?,
                None if name == "blUserLocale" => SqlValue::Text(DEFAULT_USER_LOCALE.into()),
                None => SqlValue::Null,
            },
        };
        row.push(value);
    }
    Ok(row)
}

/// What a new record holds in a system column the register / demo code does not set itself: the account kind
/// in `socialAccount` and `accountType`, null elsewhere (`updated`, `lastLogin`, `oAuthIdentities`).
fn system_column_initial(name: &str) -> SqlValue {
    match name {
        "socialAccount" | "accountType" => SqlValue::Text(BACKENDLESS_ACCOUNT.into()),
        _ => SqlValue::Null,
    }
}

fn is_empty_json(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn is_empty_sql(value: &SqlValue) -> bool {
    match value {
        SqlValue::Null => true,
        SqlValue::Text(s) => s.is_empty(),
        _ => false,
    }
}

/// A deliberately loose email check: something@something.something, no spaces.
pub fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
}

fn unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _) if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

/// Backendless 3003, the same for an unknown identity and a wrong password.
pub(super) fn invalid_credentials() -> EmulatorError {
    EmulatorError::unauthorized(codes::INVALID_CREDENTIALS, "Invalid login or password")
}

/// Backendless 3002 (`serve --logins refuse`): the user already has a live session.
fn second_login_refused() -> EmulatorError {
    EmulatorError::bad_request(
        codes::SECOND_LOGIN_BLOCKED,
        "User cannot login because Multiple Logins disabled and there is a logged in user for the account",
    )
}

/// Backendless 3044 (`serve --logins N`): the user already has N live sessions.
fn too_many_sessions() -> EmulatorError {
    EmulatorError::bad_request(
        codes::TOO_MANY_SESSIONS,
        "Multiple login limit for the same user account has been reached",
    )
}

fn invalid_email() -> EmulatorError {
    EmulatorError::bad_request(
        codes::INVALID_EMAIL,
        "Unable to register user: the email address is in a wrong format",
    )
}

fn registration_missing_identity(identity: &str) -> EmulatorError {
    EmulatorError::bad_request(
        codes::REGISTRATION_MISSING_PASSWORD,
        format!("Unable to register user: the identity property '{identity}' has no value"),
    )
}

fn registration_failed(message: String) -> EmulatorError {
    EmulatorError::bad_request(
        codes::REGISTRATION_FAILED,
        format!("Unable to register user due to error: {message}"),
    )
}

/// Reads need a logged-in user: a missing token is 1013 there (a bad token stays 3064).
fn not_logged_in_is_1013(error: EmulatorError) -> EmulatorError {
    if error.code() == codes::NOT_LOGGED_IN {
        EmulatorError::no_permission_to_find()
    } else {
        error
    }
}

#[cfg(test)]
mod lockout_tests {
    use super::*;

    fn store(failed_logins_lock: u32) -> Store {
        Store::open(
            None,
            StoreSettings {
                dynamic_schema: true.into(),
                failed_logins_lock,
                lockout_ms: 60_000,
                session_timeout_ms: 0,
                query_timeout: std::time::Duration::from_secs(5),
                logins: crate::cli::Logins::Replace,
                registration: true,
                identity: IDENTITY.to_owned(),
                initial_columns: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn an_abandoned_attempt_gives_its_slot_back() {
        let store = store(1);
        let attempt = store.login_begin("x@example.com").unwrap();
        // The one slot is taken (identities ignore letter case).
        let busy = store.login_begin("X@Example.com").unwrap_err();
        assert_eq!(busy.code(), codes::ACCOUNT_LOCKED);
        // A request that goes away mid-check (its future dropped) gives the slot back.
        drop(attempt);
        let again = store.login_begin("x@example.com").unwrap();
        let failed = store.login_finish(again, false).unwrap_err();
        assert_eq!(failed.code(), codes::INVALID_CREDENTIALS);
        // A finished failure counts: now locked.
        let locked = store.login_begin("x@example.com").unwrap_err();
        assert_eq!(locked.code(), codes::ACCOUNT_LOCKED);
    }

    #[test]
    fn a_full_book_forgets_idle_unlocked_identities_only() {
        let now = 1_000;
        let mut book = LoginAttempts::default();
        for n in 0..MAX_TRACKED_IDENTITIES {
            let idle = Attempts {
                failed: 1,
                ..Attempts::default()
            };
            book.by_identity.insert(format!("idle{n}"), idle);
        }
        let locked = Attempts {
            failed: 3,
            in_flight: 0,
            locked_until_ms: now + 1,
        };
        let checking = Attempts {
            failed: 0,
            in_flight: 1,
            locked_until_ms: 0,
        };
        book.by_identity.insert("locked".into(), locked);
        book.by_identity.insert("checking".into(), checking);
        book.make_room(now);
        let mut kept: Vec<&str> = book.by_identity.keys().map(String::as_str).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["checking", "locked"]);
    }
}
