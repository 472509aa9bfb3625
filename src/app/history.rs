//! The change journal on disk: `history.jsonl` in the app's data dir (owner-only, 0600), appended by the
//! worker after each change the server confirmed (`record_save`, `record_password_change`, `record_users`),
//! bounded to [`crate::history::MAX_ENTRIES`] entries; read back (`load`, or `parse_read` of the disk
//! worker's read) and encoded for export (`export_json`) for the History panel. What an entry holds is
//! `crate::history`.

use std::collections::BTreeMap;
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

/// How many objectIds one read of the old statuses before a bulk status change names (one page).
pub const STATUS_READ_BATCH: usize = 100;

/// Appends are made one at a time (worker tasks run concurrently).
static APPEND: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The journal's path in `data_dir`.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(HISTORY_FILE)
}

/// Reads the journal; a missing file is an empty journal, damaged lines are skipped and counted.
pub fn load(data_dir: &Path) -> io::Result<Parsed> {
    parse_read(fs::read(path(data_dir)))
}

/// The journal from the result of reading its file (by [`load`] or the disk worker): a missing file is an
/// empty journal, damaged lines (or bytes that are not UTF-8) are skipped and counted.
pub fn parse_read(read: io::Result<Vec<u8>>) -> io::Result<Parsed> {
    match read {
        Ok(bytes) => Ok(history::parse(&String::from_utf8_lossy(&bytes))),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Parsed::default()),
        Err(error) => Err(error),
    }
}

/// The journal's entries as the export writes them: one pretty JSON array.
pub fn export_json(parsed: &Parsed) -> io::Result<Vec<u8>> {
    serde_json::to_vec_pretty(&parsed.entries).map_err(io::Error::other)
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

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// An entry by the session's user about `object_id`.
fn entry(session: &Session, object_id: &str, record: String, change: Change) -> Entry {
    Entry {
        at_ms: now_ms(),
        actor: session.identity.clone(),
        actor_id: session.object_id.to_string(),
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
    let change = history::saved(&UserRecord::only_id(session.object_id.clone()), &body);
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
    /// objectId → `userStatus` of the users a status change (one or bulk) is about, read just before
    /// the change ([`UsersPrelude::read_before`]): the entries' old status.
    old_status: BTreeMap<String, String>,
}

impl UsersPrelude {
    /// What must be read from the server before `request` changes it: the `userStatus` of the users a
    /// status change is about (one read, or one page per [`STATUS_READ_BATCH`] users of a bulk change). A
    /// failed read leaves the old status unknown; the change itself goes on.
    pub async fn read_before(
        &mut self,
        request: &UsersRequest,
        client: &crate::backendless::client::Client,
        token: &crate::backendless::client::UserToken,
    ) {
        let UsersRequest::Admin { request, .. } = request else {
            return;
        };
        match request {
            AdminRequest::SetStatus { object_id, .. } => {
                if let Ok(record) = client.get_user(Some(token), object_id).await
                    && let Some(status) = history::user_status(&record)
                {
                    self.old_status
                        .insert(object_id.to_string(), status.to_owned());
                }
            }
            AdminRequest::Bulk {
                operation: BulkOperation::Disable | BulkOperation::Enable,
                targets,
                ..
            } => {
                for batch in targets.chunks(STATUS_READ_BATCH) {
                    let query = status_query(batch.iter().map(|target| target.object_id.as_str()));
                    let Ok(records) = client.find_users(Some(token), &query).await else {
                        continue;
                    };
                    for record in &records {
                        if let Some(status) = history::user_status(record) {
                            self.old_status
                                .insert(record.object_id().to_string(), status.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The old status of `object_id`, if it was read.
    fn old_status(&self, object_id: &str) -> Option<&str> {
        self.old_status.get(object_id).map(String::as_str)
    }
}

/// The page of `objectId` and `userStatus` of the users `object_ids` (at most [`STATUS_READ_BATCH`]).
fn status_query<'a>(
    object_ids: impl Iterator<Item = &'a str>,
) -> crate::backendless::client::FindQuery {
    let listed: Vec<String> = object_ids
        .map(crate::users_admin::query::quote_literal)
        .collect();
    crate::backendless::client::FindQuery {
        where_clause: Some(format!("objectId IN ({})", listed.join(", "))),
        props: vec!["objectId".to_owned(), history::USER_STATUS.to_owned()],
        page_size: u32::try_from(STATUS_READ_BATCH).unwrap_or(100),
        ..Default::default()
    }
}

/// Takes what [`record_users`] will need from `request`.
pub fn users_prelude(request: &UsersRequest) -> UsersPrelude {
    match request {
        UsersRequest::Admin {
            request: AdminRequest::ChangeRole { identity, .. },
            ..
        } => UsersPrelude {
            identity: Some(identity.clone()),
            ..UsersPrelude::default()
        },
        UsersRequest::Admin {
            request: AdminRequest::Create { properties, .. },
            ..
        } => UsersPrelude {
            created: Some(properties.clone()),
            ..UsersPrelude::default()
        },
        _ => UsersPrelude::default(),
    }
}

/// The entries of an admin answer: one per record the server confirmed a change to.
pub fn users_entries(session: &Session, prelude: UsersPrelude, answer: &UsersAnswer) -> Vec<Entry> {
    let UsersAnswer::Admin { answer, .. } = answer else {
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
            history::status_changed(prelude.old_status(object_id), *enabled),
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
            let change = |object_id: &str| match &outcome.operation {
                BulkOperation::Disable => Some(history::status_changed(
                    prelude.old_status(object_id),
                    false,
                )),
                BulkOperation::Enable => {
                    Some(history::status_changed(prelude.old_status(object_id), true))
                }
                BulkOperation::AssignRole(role) => {
                    Some(Change::RoleAssigned { role: role.clone() })
                }
                BulkOperation::Export => None,
            };
            outcome
                .succeeded
                .iter()
                .filter_map(|target| {
                    let change = change(target.object_id.as_str())?;
                    Some(entry(
                        session,
                        &target.object_id,
                        target.identity.clone(),
                        change,
                    ))
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
            object_id: "A1".parse().unwrap(),
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
            Change::StatusChanged {
                enabled: false,
                old_status: None,
            },
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
            Change::StatusChanged {
                enabled: true,
                old_status: None,
            },
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
