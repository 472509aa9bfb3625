//! The copy of a user record written before the admin deletes it: a JSON file in the app's data dir
//! (`deleted-users/`), written atomically (temporary file, fsync, rename) and owner-only (0600 in a
//! 0700 folder). Blocking file I/O: the worker runs it off the UI thread.

use std::io;
use std::path::{Path, PathBuf};

use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;

/// The folder, inside the app's data dir, that holds the copies of deleted users.
pub const DELETED_USERS_DIR: &str = "deleted-users";

/// Where the copy of the user `object_id` deleted at `at_ms` (epoch milliseconds) goes. Characters of the
/// id that do not belong in a file name become `_`.
pub fn backup_path(data_dir: &Path, object_id: &ObjectId, at_ms: i64) -> PathBuf {
    let safe: String = object_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    data_dir
        .join(DELETED_USERS_DIR)
        .join(format!("{safe}-{at_ms}.json"))
}

/// Writes `record` as pretty JSON to [`backup_path`] (now), atomically and owner-only; returns the path.
pub fn write_backup(data_dir: &Path, record: &UserRecord) -> io::Result<PathBuf> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let path = backup_path(data_dir, record.object_id(), now);
    let bytes = serde_json::to_vec_pretty(record.as_map()).map_err(io::Error::other)?;
    crate::private_file::write(&path, &bytes)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn the_copy_is_the_whole_record_owner_only_with_no_temporary_file_left() {
        let dir = tempfile::tempdir().unwrap();
        let record = UserRecord::from_json(
            serde_json::json!({"objectId": "AB/../C D", "email": "carol@example.com", "age": 41})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
        let path = write_backup(dir.path(), &record).unwrap();
        assert_eq!(path.parent().unwrap(), dir.path().join(DELETED_USERS_DIR));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("AB____C_D-") && name.ends_with(".json"),
            "{name}"
        );
        let saved: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(saved["email"], "carol@example.com");
        assert_eq!(saved["age"], 41);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        let entries = fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(entries, 1, "no temporary file is left beside it");
    }
}
