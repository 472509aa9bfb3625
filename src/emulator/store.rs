//! `Store`: the emulator's SQLite database (users, schema, sessions, roles, login state) behind one mutex.
//!
//! Every method is synchronous and short; callers run them on a blocking thread and never hold the lock across
//! an `.await`. No axum types here. Durability: WAL with `synchronous=NORMAL` means a committed transaction is in
//! the WAL file (handed to the OS) before the method returns, so it survives `kill -9` of the process; it is not
//! guaranteed to survive a power loss or an OS crash (that would need `synchronous=FULL`).

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
use super::schema::{
    Column, ColumnType, IDENTITY, IGNORED_UPDATE_KEYS, PASSWORD, Schema, base_columns,
    is_valid_column_name, json_to_sql, quote_ident, record_json,
};
use super::where_clause::SqlFragment;
use crate::backendless::codes;

/// The database file inside a `--data` directory.
pub const DB_FILE_NAME: &str = "emulator.sqlite3";
/// Most columns the Users table may have (SQLite's own limit is 2000).
const MAX_COLUMNS: usize = 500;
/// How stale a session's persisted `last_used` may get before it is written again.
const SESSION_PERSIST_INTERVAL_MS: i64 = 60_000;

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
pub struct LoginCandidate {
    /// The user's objectId.
    pub object_id: String,
    /// The stored Argon2id hash.
    pub password_hash: String,
}

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
    sessions: HashMap<String, Session>,
}

/// The emulator's storage. Cheap to share behind an `Arc`.
pub struct Store {
    inner: Mutex<Inner>,
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
    is_system INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS _sessions (
    token TEXT PRIMARY KEY NOT NULL,
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
CREATE TABLE IF NOT EXISTS _login_state (
    object_id TEXT PRIMARY KEY NOT NULL,
    failed INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);
"#;

impl Store {
    /// Opens (creating if needed) the database: in memory, or `DB_FILE_NAME` inside `dir`.
    pub fn open(dir: Option<&Path>, settings: StoreSettings) -> anyhow::Result<Self> {
        let conn = match dir {
            None => Connection::open_in_memory().context("cannot open an in-memory database")?,
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create data dir {}", dir.display()))?;
                let path = dir.join(DB_FILE_NAME);
                let conn = Connection::open(&path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                let mode: String = conn
                    .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
                    .with_context(|| {
                        format!("cannot use {} (is the directory writable?)", path.display())
                    })?;
                anyhow::ensure!(
                    mode.eq_ignore_ascii_case("wal"),
                    "cannot switch {} to WAL mode",
                    path.display()
                );
                conn
            }
        };
        // WAL + NORMAL: a commit is durable against a process crash (kill -9), not against power loss.
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;")?;
        conn.set_prepared_statement_cache_capacity(128);
        conn.execute_batch(SETUP_SQL)
            .context("cannot create the emulator tables (is the data dir writable?)")?;
        let mut inner = Inner {
            conn,
            schema: Arc::new(Schema::default()),
            sessions: HashMap::new(),
        };
        inner.ensure_users_table()?;
        let store = Self {
            inner: Mutex::new(inner),
            settings,
        };
        store.load_sessions()?;
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
                .prepare("SELECT token, object_id, last_used FROM _sessions")?;
            stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect::<Result<_, _>>()?
        };
        for (user_token, object_id, last_used_ms) in rows {
            let roles = inner.roles_of(&object_id)?;
            inner.sessions.insert(
                user_token,
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
        let named = demo::named_users();
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
        let columns: Vec<Column> = schema.columns.clone();
        let names: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
        let placeholders = vec!["?"; columns.len()].join(", ");
        let sql = format!(
            "INSERT INTO Users ({}) VALUES ({placeholders})",
            names.join(", ")
        );
        {
            let mut insert = tx.prepare(&sql)?;
            let mut insert_user = |user: &DemoUser, hash: &str| -> anyhow::Result<()> {
                let values = demo_row(&columns, user, hash)?;
                insert.execute(params_from_iter(values))?;
                Ok(())
            };
            for (user, hash) in named.iter().zip(&hashes) {
                insert_user(user, hash)?;
            }
            if let Some(hash) = &shared_hash {
                for n in 1..=generated {
                    insert_user(&demo::generated_user(n), hash)?;
                }
            }
        }
        for user in &named {
            for role in &user.roles {
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

    /// Logout: the token stops working.
    pub fn logout(&self, user_token: Option<&str>) -> EmuResult<()> {
        let mut inner = self.lock();
        inner.authenticate(user_token, &self.settings)?;
        if let Some(user_token) = user_token {
            inner.sessions.remove(user_token);
            inner.conn.execute(
                "DELETE FROM _sessions WHERE token = ?1",
                params![user_token],
            )?;
        }
        Ok(())
    }

    /// Login, step 1: the account to check. 3003 for an unknown identity, 3036 while locked.
    /// `Ok(None)` means "unknown identity": the caller still verifies a dummy hash, then answers 3003.
    pub fn login_candidate(&self, identity: &str) -> EmuResult<Option<LoginCandidate>> {
        let inner = self.lock();
        let found: Option<(String, Option<String>)> = inner
            .conn
            .prepare_cached(
                "SELECT \"objectId\", \"password\" FROM Users WHERE \"email\" = ?1 COLLATE NOCASE",
            )?
            .query_row(params![identity], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let Some((object_id, hash)) = found else {
            return Ok(None);
        };
        let locked_until: Option<i64> = inner
            .conn
            .prepare_cached("SELECT locked_until FROM _login_state WHERE object_id = ?1")?
            .query_row(params![object_id], |row| row.get(0))
            .optional()?;
        if locked_until.is_some_and(|until| until > now_ms()) {
            return Err(EmulatorError::bad_request(
                codes::ACCOUNT_LOCKED,
                "User account is locked out due to too many failed logins",
            ));
        }
        Ok(Some(LoginCandidate {
            object_id,
            password_hash: hash.unwrap_or_default(),
        }))
    }

    /// Login, step 2: records the outcome of the password check. On success returns the user with a new
    /// `user-token`; otherwise 3003 (counting towards the lockout) or 3090 for a disabled account.
    pub fn login_finish(&self, object_id: &str, password_ok: bool) -> EmuResult<Value> {
        let mut inner = self.lock();
        let now = now_ms();
        if !password_ok {
            let lock_after = i64::from(self.settings.failed_logins_lock);
            let failed: i64 = inner
                .conn
                .prepare_cached("SELECT failed FROM _login_state WHERE object_id = ?1")?
                .query_row(params![object_id], |row| row.get(0))
                .optional()?
                .unwrap_or(0)
                + 1;
            let (failed, locked_until) = if lock_after > 0 && failed >= lock_after {
                (0, now + self.settings.lockout_ms)
            } else {
                (failed, 0)
            };
            inner.conn.execute(
                "INSERT INTO _login_state (object_id, failed, locked_until) VALUES (?1, ?2, ?3)
                 ON CONFLICT(object_id) DO UPDATE SET failed = excluded.failed, locked_until = excluded.locked_until",
                params![object_id, failed, locked_until],
            )?;
            return Err(invalid_credentials());
        }
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
        let user_token = auth::new_user_token().map_err(EmulatorError::internal)?;
        let roles = inner.roles_of(object_id)?;
        let tx = inner.conn.transaction()?;
        tx.execute(
            "DELETE FROM _login_state WHERE object_id = ?1",
            params![object_id],
        )?;
        tx.execute(
            "UPDATE Users SET \"lastLogin\" = ?1 WHERE \"objectId\" = ?2",
            params![now, object_id],
        )?;
        tx.execute(
            "INSERT INTO _sessions (token, object_id, created, last_used) VALUES (?1, ?2, ?3, ?3)",
            params![user_token, object_id, now],
        )?;
        tx.commit()?;
        let schema = inner.schema.clone();
        let columns: Vec<Column> = schema.readable().cloned().collect();
        let mut record = inner
            .read_record(&columns, object_id)?
            .ok_or_else(invalid_credentials)?;
        if let Value::Object(map) = &mut record {
            map.insert("user-token".to_owned(), Value::String(user_token.clone()));
        }
        inner.sessions.insert(
            user_token,
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

    /// Registers a user. `password_hash` is the hash of the body's `password` (validated by the caller).
    pub fn register(&self, body: &Map<String, Value>, password_hash: &str) -> EmuResult<Value> {
        let dynamic = self.dynamic_schema();
        let mut inner = self.lock();
        let mut schema = (*inner.schema).clone();
        let email = match body.get(IDENTITY) {
            None | Some(Value::Null) => return Err(registration_missing_identity()),
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(registration_missing_identity());
            }
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(_) => return Err(invalid_email()),
        };
        if !looks_like_email(&email) {
            return Err(invalid_email());
        }
        let mut values: Vec<(Column, SqlValue)> = Vec::new();
        let mut new_columns: Vec<Column> = Vec::new();
        for (key, value) in body {
            if IGNORED_UPDATE_KEYS.contains(&key.as_str()) || key == PASSWORD || key == IDENTITY {
                continue;
            }
            match schema.column(key) {
                Some(column) if column.system => {}
                Some(column) => {
                    let sql = json_to_sql(column, value).map_err(registration_failed)?;
                    values.push((column.clone(), sql));
                }
                None if !dynamic => {
                    return Err(EmulatorError::bad_request(
                        codes::REGISTRATION_UNKNOWN_PROPERTY,
                        format!(
                            "Unable to register user: property '{key}' is not defined and dynamic schema is disabled"
                        ),
                    ));
                }
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
            if column.name == IDENTITY || column.name == PASSWORD {
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
            quote_ident(IDENTITY),
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
                if !looks_like_email(&trimmed) {
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
        let mut inner = self.lock();
        let caller = inner
            .authenticate(user_token, &self.settings)
            .map_err(not_logged_in_is_1013)?;
        if caller.object_id != object_id && !caller.is_admin {
            return Err(EmulatorError::no_permission_to_find());
        }
        inner.read_record(columns, object_id)?.ok_or_else(|| {
            EmulatorError::not_found(
                codes::ENTITY_NOT_FOUND,
                format!("Entity with ID {object_id} not found"),
            )
        })
    }

    /// Find: a page of records. Non-admins see only their own record.
    pub fn find(&self, user_token: Option<&str>, query: &FindQuery) -> EmuResult<Vec<Value>> {
        let mut inner = self.lock();
        let caller = inner
            .authenticate(user_token, &self.settings)
            .map_err(not_logged_in_is_1013)?;
        let (condition, mut params) = condition_sql(&caller, query.where_sql.as_ref());
        let names: Vec<String> = query.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let mut order = query.order_by.clone();
        // A total order keeps paging stable. Sorting on a unique column already gives one; adding `rowid`
        // behind it would only make SQLite's planner give up the index and sort the whole table.
        let unique = [quote_ident("objectId"), quote_ident(IDENTITY)];
        if !order.iter().any(|term| {
            unique
                .iter()
                .any(|column| term.starts_with(column.as_str()))
        }) {
            order.push("rowid ASC".to_owned());
        }
        let sql = format!(
            "SELECT {} FROM Users WHERE {condition} ORDER BY {} LIMIT ? OFFSET ?",
            names.join(", "),
            order.join(", ")
        );
        params.push(SqlValue::Integer(query.page_size));
        params.push(SqlValue::Integer(query.offset));
        let mut stmt = inner.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(params), |row| {
            row_to_record(row, &query.columns)
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Count: a bare number. Non-admins count only their own record.
    pub fn count(
        &self,
        user_token: Option<&str>,
        where_sql: Option<&SqlFragment>,
    ) -> EmuResult<i64> {
        let mut inner = self.lock();
        let caller = inner
            .authenticate(user_token, &self.settings)
            .map_err(not_logged_in_is_1013)?;
        let (condition, params) = condition_sql(&caller, where_sql);
        let sql = format!("SELECT COUNT(*) FROM Users WHERE {condition}");
        let count = inner
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(params), |row| row.get(0))?;
        Ok(count)
    }

    /// Sets `userStatus` (`ENABLED` / `DISABLED`) of the user with this identity; disabling also ends its sessions.
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

    /// Deletes a user record. Its sessions stay, so its token now meets 3030 / 1000 (CONTRACT §3).
    pub fn delete_user(&self, object_id: &str) -> anyhow::Result<bool> {
        let inner = self.lock();
        let deleted = inner.conn.execute(
            "DELETE FROM Users WHERE \"objectId\" = ?1",
            params![object_id],
        )?;
        Ok(deleted > 0)
    }

    /// Ends every session of the user with this identity.
    pub fn revoke_tokens(&self, identity: &str) -> anyhow::Result<()> {
        let object_id = self
            .object_id_of(identity)?
            .with_context(|| format!("no user {identity:?}"))?;
        self.lock().revoke(&object_id)?;
        Ok(())
    }

    /// The objectId of the user with this identity (case-insensitive).
    pub fn object_id_of(&self, identity: &str) -> anyhow::Result<Option<String>> {
        Ok(self.lock().identity_owner(identity)?)
    }

    /// Adds a column (test/ops hook), e.g. `("nickname", "STRING", true)`.
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
    fn ensure_users_table(&mut self) -> anyhow::Result<()> {
        let stored: Vec<(String, String, bool, bool, bool)> = {
            let mut stmt =
                self.conn.prepare("SELECT name, type, required, is_identity, is_system FROM _columns ORDER BY position")?;
            stmt.query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })?
            .collect::<Result<_, _>>()?
        };
        if stored.is_empty() {
            let columns = base_columns();
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
                quote_ident(IDENTITY)
            ))?;
            for column in &columns {
                insert_column_row(&tx, column)?;
            }
            tx.commit()?;
            self.schema = Arc::new(Schema { columns });
        } else {
            let mut columns = Vec::new();
            for (name, type_name, required, identity, system) in stored {
                let column_type = ColumnType::parse(&type_name).with_context(|| {
                    format!("the database names an unknown column type {type_name:?}")
                })?;
                columns.push(Column {
                    name,
                    column_type,
                    required,
                    identity,
                    system,
                });
            }
            self.schema = Arc::new(Schema { columns });
        }
        // The Users browser sorts by these most often (text sorts ignore case, hence the collation); without an index every page of a sort over
        // 100,000 users is a full scan. `IF NOT EXISTS` also upgrades databases made before this.
        self.conn.execute_batch(
            "CREATE INDEX IF NOT EXISTS Users_name ON Users(name COLLATE NOCASE);
             CREATE INDEX IF NOT EXISTS Users_created ON Users(created);",
        )?;
        Ok(())
    }

    fn authenticate(
        &mut self,
        user_token: Option<&str>,
        settings: &StoreSettings,
    ) -> EmuResult<Caller> {
        let user_token = user_token.ok_or_else(EmulatorError::not_logged_in)?;
        let now = now_ms();
        let Some(session) = self.sessions.get_mut(user_token) else {
            return Err(EmulatorError::not_existing_token());
        };
        if settings.session_timeout_ms > 0
            && now - session.last_used_ms > settings.session_timeout_ms
        {
            self.sessions.remove(user_token);
            self.conn.execute(
                "DELETE FROM _sessions WHERE token = ?1",
                params![user_token],
            )?;
            return Err(EmulatorError::not_existing_token());
        }
        session.last_used_ms = now;
        let caller = Caller {
            object_id: session.object_id.clone(),
            is_admin: session.roles.iter().any(|r| r == "Admin"),
            roles: session.roles.clone(),
        };
        // The sliding timeout is tracked in memory; the database copy is refreshed at most once a minute so a
        // request does not cost a write. After a restart a session may therefore expire up to a minute early.
        if now - session.persisted_last_used_ms >= SESSION_PERSIST_INTERVAL_MS {
            session.persisted_last_used_ms = now;
            self.conn
                .prepare_cached("UPDATE _sessions SET last_used = ?1 WHERE token = ?2")?
                .execute(params![now, user_token])?;
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
            .map(|(user_token, _)| user_token.clone())
            .collect();
        let tx = self.conn.transaction()?;
        for user_token in &expired {
            tx.execute(
                "DELETE FROM _sessions WHERE token = ?1",
                params![user_token],
            )?;
        }
        tx.commit()?;
        for user_token in &expired {
            self.sessions.remove(user_token);
        }
        Ok(())
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
        let mut stmt = self
            .conn
            .prepare_cached("SELECT \"objectId\" FROM Users WHERE \"email\" = ?1 COLLATE NOCASE")?;
        stmt.query_row(params![identity.trim()], |row| row.get(0))
            .optional()
    }

    fn read_record(&self, columns: &[Column], object_id: &str) -> rusqlite::Result<Option<Value>> {
        read_record_in(&self.conn, columns, object_id)
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
        values.push((
            column.column_type,
            column.name.clone(),
            row.get::<_, SqlValue>(i)?,
        ));
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
        "INSERT INTO _columns (name, type, required, is_identity, is_system) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![column.name, column.column_type.name(), column.required, column.identity, column.system],
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
    if schema.columns.len() + pending.len() >= MAX_COLUMNS {
        return Err(format!(
            "property '{key}' cannot be added: the table already has {MAX_COLUMNS} properties"
        ));
    }
    Ok(Column::user(key, ColumnType::infer(value), false))
}

fn demo_row(columns: &[Column], user: &DemoUser, hash: &str) -> anyhow::Result<Vec<SqlValue>> {
    let mut row = Vec::with_capacity(columns.len());
    for column in columns {
        let value = match column.name.as_str() {
            "objectId" | "ownerId" => SqlValue::Text(user.object_id.clone()),
            "created" => SqlValue::Integer(user.created_ms),
            "userStatus" => SqlValue::Text("ENABLED".into()),
            IDENTITY => SqlValue::Text(user.email.clone()),
            PASSWORD => SqlValue::Text(hash.to_owned()),
            name => match user.properties.get(name) {
                Some(value) => json_to_sql(column, value).map_err(anyhow::Error::msg)?,
                None => SqlValue::Null,
            },
        };
        row.push(value);
    }
    Ok(row)
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

fn invalid_email() -> EmulatorError {
    EmulatorError::bad_request(
        codes::INVALID_EMAIL,
        "Unable to register user: the email address is in a wrong format",
    )
}

fn registration_missing_identity() -> EmulatorError {
    EmulatorError::bad_request(
        codes::REGISTRATION_MISSING_IDENTITY,
        format!("Unable to register user: the identity property '{IDENTITY}' has no value"),
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
