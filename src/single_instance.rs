//! One desktop app per data folder: owns the instance lock (`instance.lock`, an OS file lock that ends with
//! the process, so a crash leaves nothing stale) and the owner-only local socket (`instance.sock`, Unix) over
//! which a second launch asks the running app to bring its window forward. No egui: the running app hands
//! [`InstanceGuard::on_raise`] what raising means. Only the desktop app takes the lock, never `serve`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The lock file in the data folder; held (locked) for as long as the desktop app runs.
pub const LOCK_FILE_NAME: &str = "instance.lock";
/// The socket in the data folder through which a second launch reaches the running app.
pub const SOCKET_FILE_NAME: &str = "instance.sock";
/// What a second launch sends.
pub const RAISE_REQUEST: &[u8] = b"raise\n";
/// The running app's answer once it has asked its window to come forward.
pub const RAISED_ANSWER: &[u8] = b"raised\n";
/// The running app's answer while its window does not exist yet.
pub const STARTING_ANSWER: &[u8] = b"starting\n";
/// How long a second launch waits for the running app's answer.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest answer read (the answers above are shorter).
const MAX_ANSWER_BYTES: u64 = 64;

/// What raising the window means; set by the app once its window exists.
type Raiser = Arc<Mutex<Option<Box<dyn Fn() + Send>>>>;

/// What [`acquire`] found.
pub enum Launch {
    /// No other app uses the folder: this one does, while the guard lives.
    First(InstanceGuard),
    /// Another app already runs on the folder; how it answered.
    AlreadyRunning(Raise),
}

/// How the running app answered a second launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raise {
    /// It asked its window to come forward.
    Raised,
    /// It is still opening its window.
    Starting,
    /// It could not be reached (why, in words).
    Unreachable(String),
}

impl Raise {
    /// The one line a second launch prints, and whether that launch did what was asked (exit 0).
    pub fn message(&self) -> (String, bool) {
        match self {
            Self::Raised => (
                "Profile Editor is already running; its window was brought forward.".to_owned(),
                true,
            ),
            Self::Starting => (
                "Profile Editor is already running and still opening its window.".to_owned(),
                true,
            ),
            Self::Unreachable(why) => (
                format!(
                    "Profile Editor is already running (its window could not be brought forward: {why}); \
                     switch to it, or close it before starting another."
                ),
                false,
            ),
        }
    }
}

/// Held by the app that owns the folder: the locked file, the socket and the thread answering on it.
/// Dropping it releases the lock, stops the thread and removes the socket.
pub struct InstanceGuard {
    _lock: File,
    socket_path: Option<PathBuf>,
    raiser: Raiser,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for InstanceGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceGuard")
            .field("socket_path", &self.socket_path)
            .finish_non_exhaustive()
    }
}

impl InstanceGuard {
    /// What to do when a second launch asks for the window (called on the socket's thread).
    pub fn on_raise(&self, raise: impl Fn() + Send + 'static) {
        *lock(&self.raiser) = Some(Box::new(raise));
    }

    /// Where the socket is, when it could be made.
    pub fn socket_path(&self) -> Option<&Path> {
        self.socket_path.as_deref()
    }
}

impl Drop for InstanceGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(path) = &self.socket_path {
            // Wakes the accepting thread so it sees `stop`, then removes the socket.
            #[cfg(unix)]
            drop(std::os::unix::net::UnixStream::connect(path));
            fs::remove_file(path).ok();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes the folder for this process, or, when another process has it, asks that one to raise its window.
/// `dir` is created owner-only when missing. An error means the lock could not be tried at all (the caller
/// may go on without it).
pub fn acquire(dir: &Path) -> io::Result<Launch> {
    if !dir.exists() {
        fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
    }
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(dir.join(LOCK_FILE_NAME))?;
    match file.try_lock() {
        Ok(()) => Ok(Launch::First(serve(file, dir))),
        Err(fs::TryLockError::WouldBlock) => Ok(Launch::AlreadyRunning(ask_to_raise(dir))),
        Err(fs::TryLockError::Error(error)) => Err(error),
    }
}

/// The first app: listens on the socket (a stale one from a crash is replaced; the lock says it is stale).
fn serve(lock_file: File, dir: &Path) -> InstanceGuard {
    let raiser: Raiser = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let socket_path = listen(dir, raiser.clone(), stop.clone())
        .inspect_err(|error| {
            tracing::warn!(
                "a second launch will not be able to bring this window forward: {error} ({})",
                dir.join(SOCKET_FILE_NAME).display()
            );
        })
        .ok();
    InstanceGuard {
        _lock: lock_file,
        socket_path,
        raiser,
        stop,
    }
}

#[cfg(unix)]
fn listen(dir: &Path, raiser: Raiser, stop: Arc<AtomicBool>) -> io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::net::UnixListener;

    let path = dir.join(SOCKET_FILE_NAME);
    fs::remove_file(&path).or_else(|error| {
        if error.kind() == io::ErrorKind::NotFound {
            Ok(())
        } else {
            Err(error)
        }
    })?;
    let listener = UnixListener::bind(&path)?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("single-instance".to_owned())
        .spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                stream.set_read_timeout(Some(ANSWER_TIMEOUT)).ok();
                let mut request = Vec::new();
                let read = (&mut stream)
                    .take(RAISE_REQUEST.len() as u64)
                    .read_to_end(&mut request);
                if read.is_err() || request != RAISE_REQUEST {
                    continue;
                }
                let answer = match &*lock(&raiser) {
                    Some(raise) => {
                        raise();
                        RAISED_ANSWER
                    }
                    None => STARTING_ANSWER,
                };
                tracing::info!("a second launch asked for this window");
                stream.write_all(answer).ok();
            }
        })?;
    Ok(path)
}

#[cfg(not(unix))]
fn listen(_dir: &Path, _raiser: Raiser, _stop: Arc<AtomicBool>) -> io::Result<PathBuf> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no local socket on this platform",
    ))
}

/// A second launch: sends [`RAISE_REQUEST`] and reads the answer.
#[cfg(unix)]
fn ask_to_raise(dir: &Path) -> Raise {
    use std::os::unix::net::UnixStream;

    let attempt = || -> io::Result<Vec<u8>> {
        let mut stream = UnixStream::connect(dir.join(SOCKET_FILE_NAME))?;
        stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
        stream.set_write_timeout(Some(ANSWER_TIMEOUT))?;
        stream.write_all(RAISE_REQUEST)?;
        let mut answer = Vec::new();
        stream.take(MAX_ANSWER_BYTES).read_to_end(&mut answer)?;
        Ok(answer)
    };
    match attempt() {
        Ok(answer) if answer == RAISED_ANSWER => Raise::Raised,
        Ok(answer) if answer == STARTING_ANSWER => Raise::Starting,
        Ok(_) => Raise::Unreachable("it gave no answer".to_owned()),
        Err(error) => Raise::Unreachable(error.to_string()),
    }
}

#[cfg(not(unix))]
fn ask_to_raise(_dir: &Path) -> Raise {
    Raise::Unreachable("no local socket on this platform".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn first(dir: &Path) -> InstanceGuard {
        match acquire(dir).unwrap() {
            Launch::First(guard) => guard,
            Launch::AlreadyRunning(raise) => panic!("expected the first instance, got {raise:?}"),
        }
    }

    fn second(dir: &Path) -> Raise {
        match acquire(dir).unwrap() {
            Launch::First(_) => panic!("a second instance took the lock"),
            Launch::AlreadyRunning(raise) => raise,
        }
    }

    #[test]
    fn a_second_launch_raises_the_first_window() {
        let dir = tempfile::tempdir().unwrap();
        let guard = first(dir.path());
        // Before the window exists, the first app says it is starting.
        assert_eq!(second(dir.path()), Raise::Starting);
        let raised = Arc::new(AtomicUsize::new(0));
        let counter = raised.clone();
        guard.on_raise(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(second(dir.path()), Raise::Raised);
        assert_eq!(second(dir.path()), Raise::Raised);
        assert_eq!(raised.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_folder_is_free_again_once_the_first_app_ends() {
        let dir = tempfile::tempdir().unwrap();
        let guard = first(dir.path());
        let socket = guard.socket_path().unwrap().to_owned();
        drop(guard);
        assert!(!socket.exists(), "the socket is removed");
        drop(first(dir.path()));
    }

    #[test]
    fn a_stale_socket_from_a_crash_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SOCKET_FILE_NAME), b"stale").unwrap();
        let guard = first(dir.path());
        guard.on_raise(|| {});
        assert_eq!(second(dir.path()), Raise::Raised);
    }

    #[test]
    fn without_its_socket_the_running_app_is_still_reported() {
        let dir = tempfile::tempdir().unwrap();
        let guard = first(dir.path());
        fs::remove_file(guard.socket_path().unwrap()).unwrap();
        let raise = second(dir.path());
        assert!(matches!(raise, Raise::Unreachable(_)), "{raise:?}");
        let (line, ok) = raise.message();
        assert!(line.contains("already running") && !ok, "{line}");
        assert!(!line.contains('\n'));
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_and_the_socket_are_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("data");
        let guard = first(&folder);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&folder.join(LOCK_FILE_NAME)), 0o600);
        assert_eq!(mode(guard.socket_path().unwrap()), 0o600);
    }
}
