//! The store's admin and account operations (issue 12): which roles exist and who holds them (assign,
//! unassign, a user's roles, users by role), deleting a user with its sessions and roles, and the password
//! reset's lookups. Access is decided here from the URL's key kind and the `user-token`, before anything is
//! read or written, so a refused operation changes nothing.

use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::Value;

use super::{Caller, FindQuery, Inner, Store, now_ms};
use crate::backendless::codes;
use crate::emulator::error::{EmuResult, EmulatorError};
use crate::emulator::schema::{PASSWORD, quote_ident};
use crate::emulator::where_clause::SqlFragment;

/// The custom role that may read, update and delete every user (CONTRACT §3). It always exists.
pub const ADMIN_ROLE: &str = "Admin";
/// Custom roles `--demo` creates besides `Admin`, so role assignment can be tried on the Local demo.
pub const DEMO_ROLES: [&str; 2] = ["Editor", "Support"];
/// Longest role name [`Store::create_role`] accepts.
pub const MAX_ROLE_NAME_CHARS: usize = 100;
/// Backendless's built-in roles (security roles of the request, not assignable): assigning one answers 2007,
/// unassigning 2008 (backendless-api.md §7).
pub const SYSTEM_ROLES: [&str; 14] = [
    "NotAuthenticatedUser",
    "AuthenticatedUser",
    "SocialUser",
    "FacebookUser",
    "GooglePlusUser",
    "TwitterUser",
    "ASUser",
    "AndroidUser",
    "DotNetUser",
    "IOSUser",
    "JSUser",
    "RestUser",
    "ServerCodeUser",
    "GuestUser",
];

/// The roles that exist: `Admin`, and every role already assigned (stores made before this table).
const ROLES_SQL: &str = "
CREATE TABLE IF NOT EXISTS _role_names (name TEXT PRIMARY KEY NOT NULL);
INSERT OR IGNORE INTO _role_names (name) VALUES ('Admin');
INSERT OR IGNORE INTO _role_names (name) SELECT DISTINCT role FROM _roles;
";

/// Creates the role table (called when the store opens).
pub(super) fn setup_roles(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(ROLES_SQL)
}

/// Whether `name` is one of Backendless's built-in roles (letter case ignored).
pub fn is_system_role(name: &str) -> bool {
    SYSTEM_ROLES.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// How a request is authorised: the URL's key kind and the `user-token` it carried.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    /// The URL carried the CloudCode key (server code: may act on every user).
    pub server_key: bool,
    /// The `user-token` header, if any.
    pub user_token: Option<&'a str>,
}

/// Who a request acts as, once its token is checked.
enum Actor {
    /// The CloudCode key.
    Server,
    /// A logged-in user (maybe an admin).
    User(Caller),
    /// A client key without a token.
    Nobody,
}

impl Actor {
    /// May act on `object_id`'s record: server code, the user, or an admin.
    fn may_manage(&self, object_id: &str) -> bool {
        match self {
            Self::Server => true,
            Self::User(caller) => caller.is_admin || caller.object_id == object_id,
            Self::Nobody => false,
        }
    }
}

impl Inner {
    /// Checks the token (a token that is sent must be valid, even with the CloudCode key).
    fn actor(&mut self, access: Access<'_>, store: &Store) -> EmuResult<Actor> {
        match (access.server_key, access.user_token) {
            (true, None) => Ok(Actor::Server),
            (true, token) => {
                self.authenticate(token, &store.settings)?;
                Ok(Actor::Server)
            }
            (false, None) => Ok(Actor::Nobody),
            (false, token) => Ok(Actor::User(self.authenticate(token, &store.settings)?)),
        }
    }

    fn role_exists(&self, name: &str) -> rusqlite::Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM _role_names WHERE name = ?1")?
            .query_row(params![name], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Copies the user's roles into its live sessions, so a role change counts from the next request.
    fn refresh_session_roles(&mut self, object_id: &str) -> rusqlite::Result<()> {
        let roles = self.roles_of(object_id)?;
        for session in self
            .sessions
            .values_mut()
            .filter(|s| s.object_id == object_id)
        {
            session.roles.clone_from(&roles);
        }
        Ok(())
    }
}

fn role_not_found(name: &str) -> EmulatorError {
    EmulatorError::not_found(codes::ROLE_NOT_FOUND, format!("Role not found: {name}"))
}

impl Store {
    /// Creates a custom role (test / ops hook, and `--demo`). Refuses built-in names, empty and over-long ones.
    pub fn create_role(&self, name: &str) -> anyhow::Result<()> {
        let name = name.trim();
        anyhow::ensure!(!name.is_empty(), "a role name must not be empty");
        anyhow::ensure!(
            name.chars().count() <= MAX_ROLE_NAME_CHARS,
            "a role name has at most {MAX_ROLE_NAME_CHARS} characters"
        );
        anyhow::ensure!(
            !is_system_role(name),
            "{name:?} is a built-in Backendless role"
        );
        self.lock().conn.execute(
            "INSERT OR IGNORE INTO _role_names (name) VALUES (?1)",
            params![name],
        )?;
        Ok(())
    }

    /// `users/assignRole` / `users/unassignRole` (the caller checked the CloudCode key): 2007 / 2008 for a
    /// built-in role, 2005 for a role that does not exist, 3020 when no user has `identity`. Idempotent.
    pub fn change_role(&self, identity: &str, role: &str, assign: bool) -> EmuResult<()> {
        if is_system_role(role) {
            return Err(if assign {
                EmulatorError::bad_request(
                    codes::BUILT_IN_ROLE_ASSIGN,
                    format!("Cannot assign the built-in role {role}"),
                )
            } else {
                EmulatorError::bad_request(
                    codes::BUILT_IN_ROLE_UNASSIGN,
                    format!("Cannot unassign the built-in role {role}"),
                )
            });
        }
        let mut inner = self.lock();
        if !inner.role_exists(role)? {
            return Err(role_not_found(role));
        }
        let object_id = inner.identity_owner(identity)?.ok_or_else(|| {
            EmulatorError::not_found(
                codes::UNKNOWN_IDENTITY,
                format!("User with identity {identity:?} not found"),
            )
        })?;
        let sql = if assign {
            "INSERT OR IGNORE INTO _roles (object_id, role) VALUES (?1, ?2)"
        } else {
            "DELETE FROM _roles WHERE object_id = ?1 AND role = ?2"
        };
        inner.conn.execute(sql, params![object_id, role])?;
        inner.refresh_session_roles(&object_id)?;
        Ok(())
    }

    /// `GET users/userroles/{objectId}`: the custom roles assigned to that user, sorted. CloudCode key: any
    /// user; client key: 3028 / 3064, then 1013 unless it is the caller or the caller is an admin (checked
    /// before existence); 3030 for an unknown id.
    pub fn roles_of_user(&self, access: Access<'_>, object_id: &str) -> EmuResult<Vec<String>> {
        let mut inner = self.lock();
        let actor = inner.actor(access, self)?;
        if matches!(actor, Actor::Nobody) {
            return Err(EmulatorError::not_logged_in());
        }
        if !actor.may_manage(object_id) {
            return Err(EmulatorError::no_permission_to_find());
        }
        if !inner.user_exists(object_id)? {
            return Err(EmulatorError::not_found(
                codes::USER_NOT_FOUND,
                format!("User with id {object_id} not found"),
            ));
        }
        Ok(inner.roles_of(object_id)?)
    }

    /// `GET users/role/{roleName}`: a page of the users holding `role`, as `find` answers them (with `roles`
    /// per record when `load_roles`). CloudCode key or an admin: every such user; another user: only its own
    /// record; no token: nothing. 2005 for a role that does not exist; built-in roles are not stored per user,
    /// so they match nobody.
    pub fn find_by_role(
        &self,
        access: Access<'_>,
        role: &str,
        query: &FindQuery,
        load_roles: bool,
    ) -> EmuResult<Vec<Value>> {
        let caller = {
            let mut inner = self.lock();
            let actor = inner.actor(access, self)?;
            if is_system_role(role) {
                return Ok(Vec::new());
            }
            if !inner.role_exists(role)? {
                return Err(role_not_found(role));
            }
            match actor {
                Actor::Server => Caller {
                    object_id: String::new(),
                    is_admin: true,
                    roles: Vec::new(),
                },
                Actor::User(caller) => caller,
                Actor::Nobody => return Ok(Vec::new()),
            }
        };
        let holders = SqlFragment {
            sql: format!(
                "{} IN (SELECT object_id FROM _roles WHERE role = ?)",
                quote_ident("objectId")
            ),
            params: vec![rusqlite::types::Value::Text(role.to_owned())],
        };
        let mut rows = self.find_rows(&caller, query, Some(&holders))?;
        if load_roles {
            let inner = self.lock();
            for row in &mut rows {
                let Value::Object(map) = row else { continue };
                let Some(Value::String(object_id)) = map.get("objectId") else {
                    continue;
                };
                let roles = inner.roles_of(object_id)?;
                map.insert("roles".to_owned(), Value::from(roles));
            }
        }
        Ok(rows)
    }

    /// `DELETE data/Users/{objectId}`: CloudCode key, the user itself, or an admin (3028 / 3064, then 3029
    /// before existence, so nobody can probe which ids exist); 1000 for an unknown id. Removes the record, its
    /// sessions and its roles in one transaction and answers the deletion time (epoch ms).
    pub fn delete_user_as(&self, access: Access<'_>, object_id: &str) -> EmuResult<i64> {
        let mut inner = self.lock();
        let actor = inner.actor(access, self)?;
        if matches!(actor, Actor::Nobody) {
            return Err(EmulatorError::not_logged_in());
        }
        if !actor.may_manage(object_id) {
            return Err(EmulatorError::forbidden(
                codes::NOT_YOUR_RECORD,
                "User accounts can be deleted only by an admin or by the user himself",
            ));
        }
        let now = now_ms();
        let tx = inner.conn.transaction()?;
        let deleted = tx.execute(
            "DELETE FROM Users WHERE \"objectId\" = ?1",
            params![object_id],
        )?;
        if deleted == 0 {
            return Err(EmulatorError::not_found(
                codes::ENTITY_NOT_FOUND,
                format!("Entity with ID {object_id} not found"),
            ));
        }
        tx.execute(
            "DELETE FROM _sessions WHERE object_id = ?1",
            params![object_id],
        )?;
        tx.execute(
            "DELETE FROM _roles WHERE object_id = ?1",
            params![object_id],
        )?;
        tx.commit()?;
        inner.sessions.retain(|_, s| s.object_id != object_id);
        Ok(now)
    }

    /// `users/restorepassword/{identity}`: the user's objectId and stored identity (the mail's recipient);
    /// 3020 when no user has it (letter case ignored, as at login).
    pub fn restore_target(&self, identity: &str) -> EmuResult<(String, String)> {
        let inner = self.lock();
        let unknown = || {
            EmulatorError::not_found(
                codes::UNKNOWN_IDENTITY,
                format!("User with identity {identity:?} not found"),
            )
        };
        let object_id = inner.identity_owner(identity)?.ok_or_else(unknown)?;
        let sql = format!(
            "SELECT {} FROM Users WHERE \"objectId\" = ?1",
            quote_ident(inner.schema.identity())
        );
        let stored: Option<String> = inner
            .conn
            .query_row(&sql, params![object_id], |row| row.get(0))
            .optional()?
            .flatten();
        Ok((
            object_id,
            stored.unwrap_or_else(|| identity.trim().to_owned()),
        ))
    }

    /// Sets a new password (already hashed) from a redeemed reset token and ends the user's sessions; 3030
    /// when the user is gone.
    pub fn reset_password(&self, object_id: &str, password_hash: &str) -> EmuResult<()> {
        let mut inner = self.lock();
        let changed = inner.conn.execute(
            &format!(
                "UPDATE Users SET {} = ?1, \"updated\" = ?2 WHERE \"objectId\" = ?3",
                quote_ident(PASSWORD)
            ),
            params![password_hash, now_ms(), object_id],
        )?;
        if changed == 0 {
            return Err(EmulatorError::not_found(
                codes::USER_NOT_FOUND,
                "The user of this reset link no longer exists",
            ));
        }
        inner.revoke(object_id)?;
        Ok(())
    }
}
