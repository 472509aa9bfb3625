//! Drafts: the pending edits of one user on one connection, kept in the data dir so that a crash or a
//! `kill -9` loses nothing. Written atomically (temp file, fsync, rename, fsync of the folder), owner-only.
//! A draft holds property edits and the values they were made against; never a password or a user-token.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::ids::ObjectId;
use crate::profile::session::PendingEdit;

/// The folder of the data dir that holds the drafts.
const DRAFTS_DIR: &str = "drafts";

/// The format version written; a draft of another version is ignored.
const VERSION: u32 = 1;

/// The pending edits of one user, as saved on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The connection's key (`Connection::key`, which holds no secret).
    pub connection_key: String,
    /// The identity the user logged in with.
    pub identity: String,
    /// The objectId of the edited record (parsed as the file is read: a draft with an unusable one is not
    /// loaded).
    pub object_id: ObjectId,
    /// `updated` of the record the edits were made against (epoch ms; `None` for a never-updated record).
    pub base_updated: Option<i64>,
    /// When the draft was written (epoch ms), shown in the restore banner.
    pub saved_at_ms: i64,
    /// The pending edits, sorted by name. Never the password.
    pub edits: Vec<PendingEdit>,
}

impl Draft {
    /// A draft of `edits`, stamped now. Any edit named `password` is dropped, whoever built `edits`.
    pub fn new(
        connection_key: &str,
        identity: &str,
        object_id: &ObjectId,
        base_updated: Option<i64>,
        edits: Vec<PendingEdit>,
    ) -> Self {
        Self {
            version: VERSION,
            connection_key: connection_key.to_owned(),
            identity: identity.to_owned(),
            object_id: object_id.clone(),
            base_updated,
            saved_at_ms: chrono::Utc::now().timestamp_millis(),
            edits: edits
                .into_iter()
                .filter(|edit| edit.name != crate::model::schema::PASSWORD)
                .collect(),
        }
    }
}

/// The owner key of the draft of another user's record `object_id` edited by `identity` (an admin), for
/// [`draft_path`], [`load`] and [`delete`] in place of an identity: it holds a line break, which no
/// identity does, so the admin's draft of a record never meets their own profile's draft.
pub fn record_owner(identity: &str, object_id: &ObjectId) -> String {
    format!("{}\nrecord {object_id}", identity.trim())
}

/// Where the draft of `identity` on `connection_key` lives under `data_dir`. The file name is a hash of
/// both (identities compare case-insensitively), so it is safe on every file system.
pub fn draft_path(data_dir: &Path, connection_key: &str, identity: &str) -> PathBuf {
    let key = format!("{connection_key}\n{}", identity.trim().to_lowercase());
    data_dir
        .join(DRAFTS_DIR)
        .join(format!("{:016x}.json", fnv1a(key.as_bytes())))
}

/// FNV-1a, 64 bit: stable across builds and platforms (std's hasher is not).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Writes `draft` to its path under `data_dir`, atomically: a crash leaves the old draft or the new one,
/// never half of one.
pub fn save(data_dir: &Path, draft: &Draft) -> io::Result<PathBuf> {
    let path = draft_path(data_dir, &draft.connection_key, &draft.identity);
    let bytes = serde_json::to_vec_pretty(draft).map_err(io::Error::other)?;
    crate::private_file::write(&path, &bytes)?;
    Ok(path)
}

/// The draft of `identity` on `connection_key`, if there is a readable one of this format that belongs to
/// them. A broken file is treated as no draft (and left in place for the curious).
pub fn load(data_dir: &Path, connection_key: &str, identity: &str) -> Option<Draft> {
    let path = draft_path(data_dir, connection_key, identity);
    let bytes = fs::read(&path).ok()?;
    from_bytes(&bytes, &path, connection_key, identity)
}

/// The draft in `bytes` (the content of `path`), if it is of this format and belongs to `identity` on
/// `connection_key`; see [`load`].
pub fn from_bytes(
    bytes: &[u8],
    path: &Path,
    connection_key: &str,
    identity: &str,
) -> Option<Draft> {
    let draft: Draft = match serde_json::from_slice(bytes) {
        Ok(draft) => draft,
        Err(error) => {
            tracing::warn!(
                "ignoring an unreadable draft: {error} in {}",
                path.display()
            );
            return None;
        }
    };
    let belongs = draft.version == VERSION
        && draft.connection_key == connection_key
        && draft.identity.trim().to_lowercase() == identity.trim().to_lowercase();
    belongs.then_some(draft)
}

/// Removes the draft of `identity` on `connection_key`; a missing draft is fine.
pub fn delete(data_dir: &Path, connection_key: &str, identity: &str) -> io::Result<()> {
    match fs::remove_file(draft_path(data_dir, connection_key, identity)) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(text: &str) -> ObjectId {
        text.parse().unwrap()
    }

    fn edits() -> Vec<PendingEdit> {
        vec![
            PendingEdit {
                name: "age".into(),
                text: "thirty".into(),
                is_null: false,
                new_kind: None,
                base: Some(json!(30)),
            },
            PendingEdit {
                name: "password".into(),
                text: "secret-pass-9".into(),
                is_null: false,
                new_kind: None,
                base: None,
            },
        ]
    }

    #[test]
    fn a_saved_draft_loads_back_without_any_password() {
        let dir = tempfile::tempdir().unwrap();
        let draft = Draft::new(
            "local-demo",
            "alice@example.com",
            &id("A1"),
            Some(5),
            edits(),
        );
        let path = save(dir.path(), &draft).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret-pass-9"), "{text}");
        let loaded = load(dir.path(), "local-demo", "Alice@Example.com").unwrap();
        assert_eq!(loaded, draft);
        assert_eq!(loaded.edits.len(), 1);
        assert!(!path.with_extension("json.tmp").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn drafts_are_per_connection_and_user() {
        let dir = tempfile::tempdir().unwrap();
        save(
            dir.path(),
            &Draft::new("local-demo", "alice@example.com", &id("A1"), None, edits()),
        )
        .unwrap();
        assert!(load(dir.path(), "local-demo", "bob@example.com").is_none());
        assert!(load(dir.path(), "https://x#APP", "alice@example.com").is_none());
        assert!(load(dir.path(), "local-demo", "alice@example.com").is_some());
    }

    #[test]
    fn an_admins_draft_of_a_record_is_kept_apart_from_their_own_and_from_other_records() {
        let dir = tempfile::tempdir().unwrap();
        let admin = "admin@example.com";
        let of_bob = record_owner(admin, &id("B1"));
        save(
            dir.path(),
            &Draft::new("local-demo", admin, &id("A9"), None, edits()),
        )
        .unwrap();
        save(
            dir.path(),
            &Draft::new("local-demo", &of_bob, &id("B1"), None, edits()),
        )
        .unwrap();
        assert_ne!(
            draft_path(dir.path(), "local-demo", admin),
            draft_path(dir.path(), "local-demo", &of_bob)
        );
        assert_eq!(
            load(dir.path(), "local-demo", admin).unwrap().object_id,
            "A9"
        );
        assert_eq!(
            load(dir.path(), "local-demo", &of_bob).unwrap().object_id,
            "B1"
        );
        let of_carol = record_owner(admin, &id("C1"));
        assert!(load(dir.path(), "local-demo", &of_carol).is_none());
    }

    #[test]
    fn a_second_save_replaces_the_first_and_delete_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut draft = Draft::new("local-demo", "alice@example.com", &id("A1"), None, edits());
        save(dir.path(), &draft).unwrap();
        draft.edits[0].text = "31".into();
        save(dir.path(), &draft).unwrap();
        let loaded = load(dir.path(), "local-demo", "alice@example.com").unwrap();
        assert_eq!(loaded.edits[0].text, "31");
        delete(dir.path(), "local-demo", "alice@example.com").unwrap();
        assert!(load(dir.path(), "local-demo", "alice@example.com").is_none());
        delete(dir.path(), "local-demo", "alice@example.com").unwrap();
    }

    #[test]
    fn a_broken_file_is_no_draft() {
        let dir = tempfile::tempdir().unwrap();
        let path = draft_path(dir.path(), "local-demo", "alice@example.com");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"{ half a dra").unwrap();
        assert!(load(dir.path(), "local-demo", "alice@example.com").is_none());
    }
}
