//! The change journal's content: one [`Entry`] per change the app made to a user record (a save of one's
//! own or another user's record, a status or role change, a delete, a create), its JSON Lines encoding,
//! the bound on its length ([`MAX_ENTRIES`]) and the inverse of a save ("Revert this change"). Pure: no
//! egui, no I/O; the file is appended by the worker (`app::history`).
//!
//! It lives at the top of `src/`, not in `profile`, because most of what it records are admin actions on
//! other users (status, roles, delete, create), which are not part of the editing core.
//!
//! A password is never recorded: a save that set one records the property with [`PASSWORD_CHANGED`] as its
//! new value and `null` as its old one, and its inverse leaves the password out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::record::UserRecord;
use crate::model::schema::{PASSWORD, is_system};

/// How many entries the journal keeps: appending past it drops the oldest.
pub const MAX_ENTRIES: usize = 10_000;

/// What a changed password is recorded as, in place of the password.
pub const PASSWORD_CHANGED: &str = "(changed)";

/// One property of a save: its value before and after (JSON as the server has it; `null` when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyChange {
    /// The value before the save.
    pub old: serde_json::Value,
    /// The value the save set.
    pub new: serde_json::Value,
}

/// What was done to the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Change {
    /// `PUT users/{objectId}`: each changed property, old → new.
    Saved {
        /// Property → old and new value.
        changes: BTreeMap<String, PropertyChange>,
    },
    /// `PUT users/{objectId}/status`: `userStatus` old → new.
    StatusChanged {
        /// The new status: `true`: ENABLED; `false`: DISABLED.
        enabled: bool,
        /// `userStatus` as read just before the change (`ENABLED`, `DISABLED`, `EMAIL_CONFIRMATION_PENDING`,
        /// …); `None` when it could not be read, and in lines written before it was recorded (which still
        /// load).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_status: Option<String>,
    },
    /// `users/assignRole`.
    RoleAssigned {
        /// The role.
        role: String,
    },
    /// `users/unassignRole`.
    RoleUnassigned {
        /// The role.
        role: String,
    },
    /// `DELETE data/Users/{objectId}`.
    Deleted {
        /// Where the copy of the record was written before the delete.
        backup: Option<String>,
    },
    /// `users/register` by an admin: the properties the new record was created with (no password).
    Created {
        /// Property → value.
        properties: BTreeMap<String, serde_json::Value>,
    },
}

/// One change to one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When the server confirmed it (epoch milliseconds).
    pub at_ms: i64,
    /// Who did it: the logged-in identity.
    pub actor: String,
    /// The logged-in user's objectId.
    pub actor_id: String,
    /// The connection's stable name (`Connection::key`; holds no secret).
    pub connection: String,
    /// The record changed.
    pub object_id: String,
    /// The record's identity when known (empty otherwise).
    pub record: String,
    /// What was done.
    #[serde(flatten)]
    pub change: Change,
}

impl Entry {
    /// Whether this is a save of the record of the user who made it (the one the own editor can revert).
    pub fn is_own_save(&self) -> bool {
        matches!(self.change, Change::Saved { .. }) && self.object_id == self.actor_id
    }

    /// One line per change, for the History panel: `name: old → new`, or what was done.
    pub fn describe(&self) -> Vec<String> {
        match &self.change {
            Change::Saved { changes } => changes
                .iter()
                .map(|(name, change)| {
                    format!("{name}: {} → {}", shown(&change.old), shown(&change.new))
                })
                .collect(),
            Change::StatusChanged {
                enabled,
                old_status: Some(old),
            } => vec![format!("{USER_STATUS}: {old} → {}", status_value(*enabled))],
            Change::StatusChanged {
                enabled: true,
                old_status: None,
            } => vec!["enabled".to_owned()],
            Change::StatusChanged {
                enabled: false,
                old_status: None,
            } => vec!["disabled".to_owned()],
            Change::RoleAssigned { role } => vec![format!("role {role} assigned")],
            Change::RoleUnassigned { role } => vec![format!("role {role} taken away")],
            Change::Deleted { backup: Some(path) } => vec![format!("deleted (copy in {path})")],
            Change::Deleted { backup: None } => vec!["deleted".to_owned()],
            Change::Created { properties } => std::iter::once("created".to_owned())
                .chain(
                    properties
                        .iter()
                        .map(|(name, value)| format!("{name}: {}", shown(value))),
                )
                .collect(),
        }
    }
}

/// The status column.
pub const USER_STATUS: &str = "userStatus";

/// The `userStatus` a status change sets.
fn status_value(enabled: bool) -> &'static str {
    if enabled { "ENABLED" } else { "DISABLED" }
}

/// The `userStatus` of `record`, if it has one.
pub fn user_status(record: &UserRecord) -> Option<&str> {
    record.get(USER_STATUS).and_then(serde_json::Value::as_str)
}

/// The [`Change::StatusChanged`] to `enabled` of a record whose `userStatus` was `old` (as read just
/// before the change; `None` when it could not be read).
pub fn status_changed(old: Option<&str>, enabled: bool) -> Change {
    Change::StatusChanged {
        enabled,
        old_status: old.map(str::to_owned),
    }
}

/// A JSON value as shown in the panel: strings without quotes, `null` as `null`.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The [`Change::Saved`] of `changes` (the update body sent) made against `base` (the record as re-read
/// just before the write). The password's value is never kept.
pub fn saved(base: &UserRecord, changes: &serde_json::Map<String, serde_json::Value>) -> Change {
    let changes = changes
        .iter()
        .filter(|(name, _)| !is_system(name))
        .map(|(name, new)| {
            let change = if name == PASSWORD {
                PropertyChange {
                    old: serde_json::Value::Null,
                    new: serde_json::Value::String(PASSWORD_CHANGED.to_owned()),
                }
            } else {
                PropertyChange {
                    old: base.get(name).cloned().unwrap_or(serde_json::Value::Null),
                    new: new.clone(),
                }
            };
            (name.clone(), change)
        })
        .collect();
    Change::Saved { changes }
}

/// The [`Change::Created`] of the properties a new user was registered with (never the password).
pub fn created(properties: &serde_json::Map<String, serde_json::Value>) -> Change {
    Change::Created {
        properties: properties
            .iter()
            .filter(|(name, _)| name.as_str() != PASSWORD && !is_system(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    }
}

/// The edits that undo a save: each property back to its old value. `None` for anything but a save, and
/// for a save that changed nothing but the password (which cannot be put back).
pub fn inverse(entry: &Entry) -> Option<BTreeMap<String, serde_json::Value>> {
    let Change::Saved { changes } = &entry.change else {
        return None;
    };
    let edits: BTreeMap<String, serde_json::Value> = changes
        .iter()
        .filter(|(name, _)| name.as_str() != PASSWORD)
        .map(|(name, change)| (name.clone(), change.old.clone()))
        .collect();
    (!edits.is_empty()).then_some(edits)
}

/// One line of the journal (no newline).
pub fn encode(entry: &Entry) -> String {
    // An entry is plain data: serializing it cannot fail.
    serde_json::to_string(entry).unwrap_or_default()
}

/// The journal read back: its entries, oldest first, and how many lines could not be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    /// The entries read.
    pub entries: Vec<Entry>,
    /// Lines that were not an entry (a torn last write, a damaged file): skipped.
    pub damaged: usize,
}

/// Reads JSON Lines text; a line that is not an entry is skipped and counted; blank lines are ignored.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        match serde_json::from_str::<Entry>(line) {
            Ok(entry) => parsed.entries.push(entry),
            Err(_) => parsed.damaged += 1,
        }
    }
    parsed
}

/// The last `MAX_ENTRIES` entries of `entries`, as JSON Lines text (each line ending in a newline).
pub fn trimmed(entries: &[Entry]) -> String {
    let keep = &entries[entries.len().saturating_sub(MAX_ENTRIES)..];
    let mut text = String::new();
    for entry in keep {
        text.push_str(&encode(entry));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(fields: serde_json::Value) -> UserRecord {
        let serde_json::Value::Object(map) = fields else {
            unreachable!()
        };
        UserRecord::from_json(map).unwrap()
    }

    fn make(change: Change) -> Entry {
        Entry {
            at_ms: 1_700_000_000_000,
            actor: "alice@example.com".into(),
            actor_id: "A1".into(),
            connection: "local-demo".into(),
            object_id: "A1".into(),
            record: "alice@example.com".into(),
            change,
        }
    }

    fn body(fields: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        fields.as_object().unwrap().clone()
    }

    #[test]
    fn a_save_records_old_and_new_and_never_the_password() {
        let base = record(json!({"objectId": "A1", "name": "Alice", "age": 30}));
        let change = saved(
            &base,
            &body(json!({"name": "Alicia", "city": "Oslo", "password": "hunter2-secret"})),
        );
        let Change::Saved { changes } = &change else {
            panic!("{change:?}")
        };
        assert_eq!(changes["name"].old, json!("Alice"));
        assert_eq!(changes["name"].new, json!("Alicia"));
        assert_eq!(changes["city"].old, json!(null));
        assert_eq!(changes["password"].new, json!(PASSWORD_CHANGED));
        let line = encode(&make(change));
        assert!(!line.contains("hunter2"), "{line}");
        let created = encode(&make(created(&body(
            json!({"email": "n@x.y", "password": "hunter2-secret"}),
        ))));
        assert!(!created.contains("hunter2"), "{created}");
        assert!(!created.contains("password"), "{created}");
    }

    #[test]
    fn the_inverse_of_a_save_puts_the_old_values_back() {
        let base = record(json!({"objectId": "A1", "name": "Alice", "city": null}));
        let entry = make(saved(
            &base,
            &body(json!({"name": "Alicia", "city": "Oslo", "password": "x"})),
        ));
        let inverse = inverse(&entry).unwrap();
        assert_eq!(
            inverse,
            BTreeMap::from([
                ("city".to_owned(), json!(null)),
                ("name".to_owned(), json!("Alice")),
            ])
        );
        let only_password = make(saved(&base, &body(json!({"password": "x"}))));
        assert_eq!(super::inverse(&only_password), None);
        assert_eq!(
            super::inverse(&make(Change::StatusChanged {
                enabled: false,
                old_status: None
            })),
            None
        );
    }

    #[test]
    fn every_kind_round_trips_through_a_line() {
        for change in [
            saved(&record(json!({"objectId": "A1"})), &body(json!({"a": 1}))),
            Change::StatusChanged {
                enabled: true,
                old_status: None,
            },
            status_changed(Some("DISABLED"), true),
            Change::RoleAssigned { role: "Ops".into() },
            Change::RoleUnassigned { role: "Ops".into() },
            Change::Deleted {
                backup: Some("/d/x.json".into()),
            },
            created(&body(json!({"email": "n@x.y"}))),
        ] {
            let entry = make(change);
            let line = encode(&entry);
            assert!(!line.contains('\n'));
            assert_eq!(parse(&line).entries, vec![entry]);
        }
    }

    #[test]
    fn a_status_change_records_the_old_status_and_shows_old_to_new() {
        let before = record(json!({"objectId": "B2", "userStatus": "EMAIL_CONFIRMATION_PENDING"}));
        let entry = make(status_changed(user_status(&before), false));
        let line = encode(&entry);
        assert!(
            line.contains(r#""old_status":"EMAIL_CONFIRMATION_PENDING""#),
            "{line}"
        );
        let read = parse(&line).entries;
        assert_eq!(read, vec![entry]);
        assert_eq!(
            read[0].describe(),
            vec!["userStatus: EMAIL_CONFIRMATION_PENDING → DISABLED".to_owned()]
        );
        // Not read (the record had no status, or the read failed): only the new status.
        let unknown = make(status_changed(None, true));
        assert!(!encode(&unknown).contains("old_status"));
        assert_eq!(unknown.describe(), vec!["enabled".to_owned()]);
    }

    /// A line written before the old status was recorded (exactly as that version wrote it) still loads.
    #[test]
    fn an_older_status_line_without_the_old_status_still_loads() {
        let old_line = r#"{"at_ms":1700000000000,"actor":"admin@example.com","actor_id":"A1","connection":"local-demo","object_id":"B2","record":"bob@example.com","kind":"StatusChanged","enabled":false}"#;
        let parsed = parse(&format!("{old_line}\n"));
        assert_eq!(parsed.damaged, 0);
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(
            parsed.entries[0].change,
            Change::StatusChanged {
                enabled: false,
                old_status: None
            }
        );
        assert_eq!(parsed.entries[0].describe(), vec!["disabled".to_owned()]);
    }

    #[test]
    fn a_damaged_line_is_skipped_and_counted() {
        let good = encode(&make(Change::StatusChanged {
            enabled: true,
            old_status: None,
        }));
        let text = format!("{good}\n{{\"at_ms\": 1, \"kind\n\nnot json\n{good}\n");
        let parsed = parse(&text);
        assert_eq!(parsed.entries.len(), 2);
        assert_eq!(parsed.damaged, 2);
    }

    #[test]
    fn the_journal_keeps_the_last_max_entries() {
        let entries: Vec<Entry> = (0..MAX_ENTRIES + 5)
            .map(|n| Entry {
                at_ms: n as i64,
                ..make(Change::StatusChanged {
                    enabled: true,
                    old_status: None,
                })
            })
            .collect();
        let parsed = parse(&trimmed(&entries));
        assert_eq!(parsed.entries.len(), MAX_ENTRIES);
        assert_eq!(parsed.entries[0].at_ms, 5);
        assert_eq!(
            parsed.entries.last().unwrap().at_ms,
            (MAX_ENTRIES + 4) as i64
        );
    }

    #[test]
    fn describe_shows_old_to_new() {
        let base = record(json!({"objectId": "A1", "name": "Alice"}));
        let entry = make(saved(&base, &body(json!({"name": "Alicia"}))));
        assert_eq!(entry.describe(), vec!["name: Alice → Alicia".to_owned()]);
        assert!(entry.is_own_save());
    }
}
