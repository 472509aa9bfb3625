//! Owner-only files written atomically: the one way the app writes what it keeps on disk (settings, keys,
//! the remembered session, drafts, the copies of deleted users) and the profile and History exports (they
//! hold personal data too: owner-only like the rest; see `app::disk` for who calls it). A file is written through an owner-only
//! (0600) temporary file beside it, synced, renamed over the target, and the folder synced after the
//! rename, so a crash leaves the old content or the new one, never half of one, and nobody else can read
//! it, not even for a moment. Folders are created owner-only (0700).

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents, owner-only (0700) on Unix.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes `bytes` to `path`, replacing it atomically (see the module doc). The folder is created if missing;
/// a failed write removes its temporary file and leaves `path` as it was.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_checked(path, bytes, || Ok(()))
}

/// [`write`], with `before_rename` run once the temporary file holds every byte and is synced, just
/// before it replaces `path`: an error there fails the write like any other (the disk worker's tests use
/// it to fail a write half way).
pub(crate) fn write_checked(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("the file has no parent directory"))?;
    create_dir(dir)?;
    let tmp = temporary_path(path);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        // A temporary file left by a crash keeps its old mode: make sure it is owner-only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        before_rename()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        fs::remove_file(&tmp).ok();
    }
    result?;
    // The rename itself must reach the disk too.
    #[cfg(unix)]
    if let Ok(folder) = fs::File::open(dir) {
        folder.sync_all().ok();
    }
    Ok(())
}

/// `path` with `.tmp` appended to its file name (`settings.json` → `settings.json.tmp`).
fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_is_complete_owner_only_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/folder/settings.json");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert!(!temporary_path(&path).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_leftover_temporary_file_readable_by_others_is_made_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let tmp = temporary_path(&path);
        fs::write(&tmp, b"old").unwrap();
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a non-empty folder: the rename fails.
        let path = dir.path().join("target");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), b"x").unwrap();
        assert!(write(&path, b"new").is_err());
        assert!(path.is_dir());
        assert!(!temporary_path(&path).exists());
    }
}
