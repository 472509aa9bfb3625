//! The change journal on disk: `history.jsonl` in the app's data dir (owner-only, 0600), appended by the
//! worker after each change the server confirmed (`record_save`, `record_password_change`, `record_users`),
//! bounded to [`crate::history::MAX_ENTRIES`] entries; read back (`load`) and exported (`export`) for the
//! History panel. What an entry holds is `crate::history`.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::app::messages::Session;
use crate::app::users::{UsersAnswer, UsersRequest};
use crate::history::{self, Change, Entry, MAX_ENTRIES, Parsed};
use crate::model::diff::Changeset;
use crate::model::record::UserRecord;
use crate::users_admin::bulk::BulkOperation;
use crate::users_admin::manage::{AdminAnswer, AdminRequest, RoleChange};

/// The journal's file name inside the data dir.
pub const HISTORY_FILE: &str = "history.jsonl";

/// Appends are made one at a time (worker tasks run concurrently).
static APPEND: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The journal's path in `data_dir`.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(HISTORY_FILE)
}

/// Reads the journal; a missing file is an empty journal, damaged lines are skipped and counted.
pub fn load(data_dir: &Path) -> io::Result<Parsed> {
    match fs::read_to_string(path(data_dir)) {
        Ok(text) => Ok(history::parse(&text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Parsed::default()),
        Err(error) => Err(error),
    }
}

/// Appends `entries`. When the journal would pass [`MAX_ENTRIES`], it is rewritten (atomically) with the
/// last `MAX_ENTRIES` entries. A failure is logged: the change itself was made.
pub fn append(data_dir: &Path, entries: &[Entry]) {
    if entries.is_empty() {
        return;
    }
    if let Err(error) = try_append(data_dir, entries) {
        tracing::error!("cannot write the change history: {error:#}");
    }
}

fn try_append(data_dir: &Path, entries: &[Entry]) -> io::Result<()> {
    let _guard = APPEND
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let file = path(data_dir);
    let existing = load(data_dir)?;
    if existing.entries.len() + entries.len() > MAX_ENTRIES || existing.damaged > 0 {
        let mut all = existing.entries;
        all.extend_from_slice(entries);
        return crate::private_file::write(&file, history::trimmed(&all).as_bytes());
    }
    crate::private_file::create_dir(data_dir)?;
    let mut options = fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut out = options.open(&file)?;
    let mut text = String::new();
    for entry in entries {
        text.push_str(&history::encode(entry));
        text.push('\n');
    }
    out.write_all(text.as_bytes())?;
    out.sync_all()
}

/// Writes the journal to `to` as one pretty JSON array (owner-only).
pub fn export(data_dir: &Path, to: &Path) -> io::Result<usize> {
    let parsed = load(data_dir)?;
    let json = serde_json::to_vec_pretty(&parsed.entries).map_err(io::Error::other)?;
    crate::private_file::write(to, &json)?;
    Ok(parsed.entries.len())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// An entry by the session's user about `object_id`.
fn entry(session: &Session, object_id: &str, record: String, change: Change) -> Entry {
    Entry {
        at_ms: now_ms(),
        actor: session.identity.clone(),
        actor_id: session.object_id.clone(),
        connection: session.connection.key(),
        object_id: object_id.to_owned(),
        record,
        change,
    }
}

/// A label for a record whose identity property the worker does not know: the session's identity for
/// one's own record, else the first of the usual identity properties the record holds.
fn label(session: &Session, object_id: &str, record: Option<&UserRecord>) -> String {
    if object_id == session.object_id {
        return session.identity.clone();
    }
    record
        .and_then(|record| {
            ["email", "username", "name", "login"]
                .iter()
                .find_map(|key| record.get(key).and_then(serde_json::Value::as_str))
        })
        .unwrap_or_default()
        .to_owned()
}

/// Records a save (own record or another's): `base` is the record as re-read just before the write.
pub fn record_save(
    data_dir: &Path,
    session: &Session,
    object_id: &str,
    base: &UserRecord,
    changes: &Changeset,
) {
    let change = history::saved(base, &changes.to_body());
    let record = label(session, object_id, Some(base));
    append(data_dir, &[entry(session, object_id, record, change)]);
}

/// Records a password change of the session's own record (the value is never kept).
pub fn record_password_change(data_dir: &Path, session: &Session) {
    let mut body = serde_json::Map::new();
    body.insert(
        crate::model::schema::PASSWORD.to_owned(),
        serde_json::Value::Null,
    );
    let change = history::saved(&UserRecord::default(), &body);
    append(
        data_dir,
        &[entry(
            session,
            &session.object_id,
            session.identity.clone(),
            change,
        )],
    );
}

/// What the answer to an admin request does not repeat, taken from the request before it runs.
#[derive(Debug, Default)]
pub struct UsersPrelude {
    /// The identity named by a role change.
    identity: Option<String>,
    /// The properties a create sent (without the password).
    created: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Takes what [`record_users`] will need from `request`.
pub fn users_prelude(request: &UsersRequest) -> UsersPrelude {
    match request {
        UsersRequest::Admin {
            request: AdminRequest::ChangeRole { identity, .. },
            ..
        } => UsersPrelude {
            identity: Some(identity.clone()),
            created: None,
        },
        UsersRequest::Admin {
            request: AdminRequest::Create { properties, .. },
            ..
        } => UsersPrelude {
            identity: None,
            created: Some(properties.clone()),
        },
        _ => UsersPrelude::default(),
    }
}

/// The entries of an admin answer: one per record the server confirmed a change to.
pub fn users_entries(session: &Session, prelude: UsersPrelude, answer: &UsersAnswer) -> Vec<Entry> {
    let UsersAnswer::Admin(answer) = answer else {
        return Vec::new();
    };
    match answer {
        AdminAnswer::StatusSet {
            object_id,
            enabled,
            result: Ok(record),
        } => vec![entry(
            session,
            object_id,
            label(session, object_id, record.as_ref()),
            Change::StatusChanged { enabled: *enabled },
        )],
        AdminAnswer::RoleChanged {
            object_id,
            role,
            change,
            result: Ok(()),
        } => {
            let role = role.clone();
            let change = match change {
                RoleChange::Assign => Change::RoleAssigned { role },
                RoleChange::Unassign => Change::RoleUnassigned { role },
            };
            let record = prelude
                .identity
                .unwrap_or_else(|| label(session, object_id, None));
            vec![entry(session, object_id, record, change)]
        }
        AdminAnswer::Deleted {
            object_id,
            result: Ok(backup),
        } => vec![entry(
            session,
            object_id,
            label(session, object_id, None),
            Change::Deleted {
                backup: Some(backup.display().to_string()),
            },
        )],
        AdminAnswer::Created { result: Ok(record) } => {
            let properties = prelude.created.unwrap_or_default();
            vec![entry(
                session,
                record.object_id(),
                label(session, record.object_id(), Some(record)),
                history::created(&properties),
            )]
        }
        AdminAnswer::Bulk(outcome) => {
            let change = match &outcome.operation {
                BulkOperation::Disable => Change::StatusChanged { enabled: false },
                BulkOperation::Enable => Change::StatusChanged { enabled: true },
                BulkOperation::AssignRole(role) => Change::RoleAssigned { role: role.clone() },
                BulkOperation::Export => return Vec::new(),
            };
            outcome
                .succeeded
                .iter()
                .map(|target| {
                    entry(
                        session,
                        &target.object_id,
                        target.identity.clone(),
                        change.clone(),
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Records what an admin answer changed.
pub fn record_users(
    data_dir: &Path,
    session: &Session,
    prelude: UsersPrelude,
    answer: &UsersAnswer,
) {
    append(data_dir, &users_entries(session, prelude, answer));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::settings::Connection;
    use crate::backendless::client::UserToken;

    fn session() -> Session {
        Session {
            connection: Connection::LocalDemo,
            user_token: UserToken::new("SECRET-TOKEN".to_owned()),
            object_id: "A1".to_owned(),
            identity: "admin@example.com".to_owned(),
        }
    }

    #[test]
    fn the_file_is_owner_only_appended_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let one = entry(
            &session(),
            "B2",
            "bob".into(),
            Change::StatusChanged { enabled: false },
        );
        append(dir.path(), &[one.clone(), one.clone()]);
        assert_eq!(
            load(dir.path()).unwrap().entries,
            vec![one.clone(), one.clone()]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(path(dir.path())).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let many = vec![one.clone(); MAX_ENTRIES];
        append(dir.path(), &many);
        let parsed = load(dir.path()).unwrap();
        assert_eq!(parsed.entries.len(), MAX_ENTRIES);
        let text = fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.contains("SECRET-TOKEN"));
    }

    #[test]
    fn a_damaged_line_is_dropped_at_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let one = entry(
            &session(),
            "B2",
            "bob".into(),
            Change::StatusChanged { enabled: true },
        );
        fs::write(
            path(dir.path()),
            format!("{}\n{{torn", history::encode(&one)),
        )
        .unwrap();
        assert_eq!(load(dir.path()).unwrap().damaged, 1);
        append(dir.path(), std::slice::from_ref(&one));
        let parsed = load(dir.path()).unwrap();
        assert_eq!((parsed.entries.len(), parsed.damaged), (2, 0));
    }
}
