//! The app's log: owns the size-rotating log file in the app's state folder, the installation of the
//! `tracing` subscriber (stderr and that file, `info` unless `RUST_LOG` says otherwise), and redaction: every
//! line written to the file, and every diagnostics report, has passwords, user-tokens and keys taken out.
//!
//! [`redact`] and [`last_lines`] are pure; [`RotatingFile`] and [`init`] do file I/O.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The name of the current log file; older ones get `.1`, `.2`, … appended (`.1` the newest).
pub const LOG_FILE_NAME: &str = "profile-editor.log";
/// The log file is rolled over before a line would take it past this size.
pub const MAX_LOG_FILE_BYTES: u64 = 5 * 1024 * 1024;
/// How many rolled-over files are kept besides the current one (the oldest goes first).
pub const KEPT_OLD_LOG_FILES: u32 = 3;
/// The level when `RUST_LOG` is unset or unreadable.
pub const DEFAULT_LOG_FILTER: &str = "info";
/// How many of the last log lines "Copy diagnostics" includes.
pub const DIAGNOSTIC_LOG_LINES: usize = 40;
/// How much of the end of the log file is read for the diagnostics.
pub const DIAGNOSTIC_TAIL_BYTES: u64 = 64 * 1024;
/// What a secret is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Names whose value is a secret wherever they appear as `name=value`, `name: value` or `"name":"value"`
/// (compared without case; `_` and `-` are the same).
const SECRET_NAMES: &[&str] = &[
    "password",
    "user-token",
    "usertoken",
    "token",
    "api-key",
    "apikey",
    "rest-api-key",
    "cloudcode-key",
    "secret",
    "secret-key",
];

// ------------------------------------------------------------------------------------------------
// Redaction (pure).

/// `text` with secrets taken out: every `known` secret (at least 4 characters), every value of a
/// secret-named field (`password`, `user-token`, `api_key`, `apiKey`, … in `=`, `:` and JSON forms), and
/// every id shaped like `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (Backendless user-tokens, API keys and
/// application ids have that shape; so do object ids, which a bug report can do without).
pub fn redact(text: &str, known: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in known
        .iter()
        .map(|s| s.trim())
        .filter(|s| s.chars().count() >= 4)
    {
        if text.contains(secret) {
            text = text.replace(secret, REDACTED);
        }
    }
    let text = redact_ids(&text);
    redact_named_values(&text)
}

/// Whether `byte` can be part of a word (so an id inside a longer word is not one).
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Replaces every UUID-shaped run (8-4-4-4-12 hex digits, any case) that stands alone.
fn redact_ids(text: &str) -> String {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    const LEN: usize = 36;
    let bytes = text.as_bytes();
    let matches_at = |start: usize| -> bool {
        if start + LEN > bytes.len() {
            return false;
        }
        let mut at = start;
        for (index, run) in SHAPE.iter().enumerate() {
            if !bytes[at..at + run].iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            at += run;
            if index < SHAPE.len() - 1 {
                if bytes[at] != b'-' {
                    return false;
                }
                at += 1;
            }
        }
        let before_ok = start == 0 || !is_word_byte(bytes[start - 1]);
        let after_ok = at == bytes.len() || !is_word_byte(bytes[at]);
        before_ok && after_ok
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if matches_at(at) {
            out.push_str(&text[copied..at]);
            out.push_str(REDACTED);
            at += LEN;
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// `name` lower-cased with `_` as `-`, for comparing with [`SECRET_NAMES`].
fn normalized(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// Whether a field called `name` holds a secret: one of [`SECRET_NAMES`], or a name ending in one of them
/// after a `-` (`x-user-token`, `new_password`, `cloudcode_key`).
fn is_secret_name(name: &str) -> bool {
    let name = normalized(name);
    SECRET_NAMES.iter().any(|secret| {
        name == *secret
            || name
                .strip_suffix(secret)
                .is_some_and(|head| head.ends_with('-'))
    })
}

/// Replaces the value after every secret-named field: `name=value`, `name: value`, `"name": "value"`,
/// `name="value"`. The value ends at a quote (when quoted), else at whitespace, `,`, `;`, `&`, `}` or `)`.
fn redact_named_values(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_name_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !is_name_byte(bytes[at]) || (at > 0 && is_name_byte(bytes[at - 1])) {
            at += 1;
            continue;
        }
        let name_start = at;
        let mut name_end = at;
        while name_end < bytes.len() && is_name_byte(bytes[name_end]) {
            name_end += 1;
        }
        if !is_secret_name(&text[name_start..name_end]) {
            at = name_end;
            continue;
        }
        // After the name: an optional closing quote, spaces, the separator, spaces, an optional quote.
        let mut cursor = name_end;
        if cursor < bytes.len() && (bytes[cursor] == b'"' || bytes[cursor] == b'\'') {
            cursor += 1;
        }
        while cursor < bytes.len() && bytes[cursor] == b' ' {
            cursor += 1;
        }
        if cursor >= bytes.len() || !(bytes[cursor] == b'=' || bytes[cursor] == b':') {
            at = name_end;
            continue;
        }
        cursor += 1;
        while cursor < bytes.len() && bytes[cursor] == b' ' {
            cursor += 1;
        }
        let quote = (cursor < bytes.len() && (bytes[cursor] == b'"' || bytes[cursor] == b'\''))
            .then(|| bytes[cursor]);
        if quote.is_some() {
            cursor += 1;
        }
        let value_start = cursor;
        let mut value_end = cursor;
        while value_end < bytes.len() {
            let b = bytes[value_end];
            let ends = match quote {
                Some(q) => b == q,
                None => b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'&' | b'}' | b')'),
            };
            if ends {
                break;
            }
            // A backslash-escaped quote stays inside a quoted value.
            value_end += if quote.is_some() && b == b'\\' { 2 } else { 1 };
        }
        let value_end = value_end.min(bytes.len());
        let value = &text[value_start..value_end];
        if !value.is_empty() && value != REDACTED && !value.starts_with("<redacted") {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
        }
        at = value_end.max(name_end);
    }
    out.push_str(&text[copied..]);
    out
}

/// The last `count` complete lines of `tail` (the end of a log file, which may start mid-line).
pub fn last_lines(tail: &str, count: usize, starts_mid_line: bool) -> Vec<&str> {
    let mut lines: Vec<&str> = tail.lines().collect();
    if starts_mid_line && !lines.is_empty() {
        lines.remove(0);
    }
    let skip = lines.len().saturating_sub(count);
    lines.split_off(skip)
}

// ------------------------------------------------------------------------------------------------
// The size-rotating file.

/// `profile-editor.log` in a folder, rolled over to `.log.1` (and `.1` to `.2`, …, keeping
/// [`KEPT_OLD_LOG_FILES`]) before a write would take it past its size limit. Owner-only (0600, in a 0700
/// folder). Each `write` is one whole log event (the `fmt` layer writes an event at once), so files are
/// rolled between lines, never inside one.
#[derive(Debug)]
pub struct RotatingFile {
    dir: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: Option<File>,
    len: u64,
}

impl RotatingFile {
    /// Opens (appends to) `dir/profile-editor.log`, creating `dir` owner-only.
    pub fn open(dir: &Path, max_bytes: u64, keep: u32) -> io::Result<Self> {
        create_private_dir(dir)?;
        let mut rotating = Self {
            dir: dir.to_owned(),
            max_bytes,
            keep,
            file: None,
            len: 0,
        };
        rotating.reopen()?;
        Ok(rotating)
    }

    /// The path of file number `index` (0 = the current one).
    pub fn path_of(dir: &Path, index: u32) -> PathBuf {
        match index {
            0 => dir.join(LOG_FILE_NAME),
            n => dir.join(format!("{LOG_FILE_NAME}.{n}")),
        }
    }

    fn reopen(&mut self) -> io::Result<()> {
        let path = Self::path_of(&self.dir, 0);
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path)?;
        self.len = file.metadata()?.len();
        self.file = Some(file);
        Ok(())
    }

    /// Shifts `.log.(n-1)` to `.log.n` (dropping the oldest), the current file to `.log.1`, and starts anew.
    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        if self.keep == 0 {
            fs::remove_file(Self::path_of(&self.dir, 0)).or_else(ignore_not_found)?;
        } else {
            fs::remove_file(Self::path_of(&self.dir, self.keep)).or_else(ignore_not_found)?;
            for index in (0..self.keep).rev() {
                let from = Self::path_of(&self.dir, index);
                if from.exists() {
                    fs::rename(&from, Self::path_of(&self.dir, index + 1))?;
                }
            }
        }
        self.reopen()
    }
}

fn ignore_not_found(error: io::Error) -> io::Result<()> {
    if error.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(error)
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.len > 0 && self.len + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                self.reopen()?;
                self.file
                    .as_mut()
                    .ok_or_else(|| io::Error::other("log file not open"))?
            }
        };
        let written = file.write(buf)?;
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

/// Creates `dir` (and its parents) and makes it owner-only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// A [`RotatingFile`] shared by every thread that logs; each event is redacted before it is written.
#[derive(Debug, Clone)]
pub struct LogFile(Arc<Mutex<RotatingFile>>);

impl LogFile {
    /// Wraps `file`.
    pub fn new(file: RotatingFile) -> Self {
        Self(Arc::new(Mutex::new(file)))
    }
}

/// One event's writer (see [`LogFile`]).
#[derive(Debug)]
pub struct LogFileWriter(Arc<Mutex<RotatingFile>>);

impl Write for LogFileWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let line = redact(&String::from_utf8_lossy(buf), &[]);
        let mut file = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(line.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogFile {
    type Writer = LogFileWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LogFileWriter(self.0.clone())
    }
}

/// stderr, each event redacted like the file's (for `RUST_LOG=debug` runs pasted into a bug report).
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactedStderr;

/// One event's writer to stderr (see [`RedactedStderr`]).
#[derive(Debug)]
pub struct RedactedStderrWriter;

impl Write for RedactedStderrWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let line = redact(&String::from_utf8_lossy(buf), &[]);
        io::stderr().lock().write_all(line.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactedStderr {
    type Writer = RedactedStderrWriter;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedStderrWriter
    }
}

// ------------------------------------------------------------------------------------------------
// Installation.

/// The folder of the log file, once [`init`] has opened it (unset in tests that never call it).
static LOG_DIR: OnceLock<PathBuf> = OnceLock::new();

/// The folder the log file is written to, when there is one.
pub fn log_dir() -> Option<&'static Path> {
    LOG_DIR.get().map(PathBuf::as_path)
}

/// The app's log folder: the OS state dir (`$XDG_STATE_HOME/profileeditor` on Linux), else `logs` in the
/// data dir.
pub fn default_log_dir() -> Option<PathBuf> {
    let dirs = crate::cli::project_dirs()?;
    Some(
        dirs.state_dir()
            .map_or_else(|| dirs.data_dir().join("logs"), Path::to_owned),
    )
}

/// The level on stderr when `RUST_LOG` is unset: the terminal shows only what went wrong; not winit's chatter
/// about the display (XSETTINGS, screen size) nor eframe's own "Exiting because of error" (the app prints
/// that error as one line with what to do about it). The log file has them all.
pub const DEFAULT_STDERR_FILTER: &str = "warn,eframe::native::run=off,winit=error";

/// The filter: `RUST_LOG` when it is set and readable, else `default`.
fn env_filter(default: &str) -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default))
}

/// Installs the process's subscriber: `dir/profile-editor.log` (rotated, redacted) at
/// [`DEFAULT_LOG_FILTER`] when `dir` is given and can be opened, and stderr (redacted) at
/// [`DEFAULT_STDERR_FILTER`];
/// `RUST_LOG` sets both. Returns the folder logged to. A second call changes nothing.
pub fn init(dir: Option<&Path>) -> Option<PathBuf> {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let mut problem = None;
    let file = dir.and_then(|dir| {
        RotatingFile::open(dir, MAX_LOG_FILE_BYTES, KEPT_OLD_LOG_FILES)
            .inspect_err(|error| problem = Some(format!("{error} ({})", dir.display())))
            .ok()
            .map(|file| (dir.to_owned(), LogFile::new(file)))
    });
    let file_layer = file.as_ref().map(|(_, writer)| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(writer.clone())
            .with_filter(env_filter(DEFAULT_LOG_FILTER))
    });
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(RedactedStderr)
        .with_filter(env_filter(DEFAULT_STDERR_FILTER));
    let installed = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init()
        .is_ok();
    if let Some(problem) = problem {
        tracing::warn!("the log is not written to a file: {problem}");
    }
    let (dir, _) = file?;
    if installed {
        LOG_DIR.get_or_init(|| dir.clone());
        Some(dir)
    } else {
        None
    }
}

/// The last [`DIAGNOSTIC_LOG_LINES`] lines of the log file in `dir`, redacted with `known` secrets too.
/// Reads at most [`DIAGNOSTIC_TAIL_BYTES`].
pub fn read_last_lines(dir: &Path, known: &[&str]) -> io::Result<Vec<String>> {
    let mut file = File::open(RotatingFile::path_of(dir, 0))?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(DIAGNOSTIC_TAIL_BYTES);
    file.seek(io::SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(DIAGNOSTIC_TAIL_BYTES).read_to_end(&mut bytes)?;
    let tail = String::from_utf8_lossy(&bytes);
    Ok(last_lines(&tail, DIAGNOSTIC_LOG_LINES, start > 0)
        .into_iter()
        .map(|line| redact(line, known))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "4F0C1E2A-9B3D-4C5E-8F6A-7B8C9D0E1F2A";

    #[test]
    fn ids_shaped_like_tokens_and_keys_are_redacted() {
        let line = format!(
            "GET https://api.backendless.com/{TOKEN}/{}/users/login",
            TOKEN.to_lowercase()
        );
        let redacted = redact(&line, &[]);
        assert_eq!(
            redacted,
            "GET https://api.backendless.com/<redacted>/<redacted>/users/login"
        );
        // Inside a longer word it is not an id.
        let word = format!("x{TOKEN}");
        assert_eq!(redact(&word, &[]), word);
        // Almost the shape: left alone.
        assert_eq!(
            redact("4F0C1E2A-9B3D-4C5E-8F6A", &[]),
            "4F0C1E2A-9B3D-4C5E-8F6A"
        );
    }

    #[test]
    fn secret_named_values_are_redacted_in_every_form() {
        let cases = [
            ("password=hunter22 next", "password=<redacted> next"),
            (
                r#"{"password":"hunter 22","login":"a"}"#,
                r#"{"password":"<redacted>","login":"a"}"#,
            ),
            ("user-token: abc123", "user-token: <redacted>"),
            ("apiKey=K1&x=2", "apiKey=<redacted>&x=2"),
            ("api_key = \"K 2\"", "api_key = \"<redacted>\""),
            (
                "cloudcode_key: CC-KEY-CUSTOM,",
                "cloudcode_key: <redacted>,",
            ),
            ("new_password='p a s s'", "new_password='<redacted>'"),
            (r#""userToken": "T""#, r#""userToken": "<redacted>""#),
            (
                r#"{"password":"a\"b","x":1}"#,
                r#"{"password":"<redacted>","x":1}"#,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input, &[]), expected, "{input}");
        }
        // Names that merely contain a secret word, or no separator: unchanged.
        for unchanged in [
            "passwords match",
            "tokenizer=x",
            "the password field",
            "Password(…redacted)",
        ] {
            assert_eq!(redact(unchanged, &[]), unchanged);
        }
    }

    #[test]
    fn known_secrets_are_redacted_wherever_they_appear() {
        let text = "connected with MY-SECRET-KEY to host; MY-SECRET-KEY again";
        assert_eq!(
            redact(text, &["MY-SECRET-KEY", "", "ab"]),
            "connected with <redacted> to host; <redacted> again"
        );
    }

    #[test]
    fn redaction_keeps_other_text_and_unicode() {
        let text = "Über ✓ Login screen shown 120 ms after launch";
        assert_eq!(redact(text, &[]), text);
    }

    #[test]
    fn last_lines_drop_a_partial_first_line() {
        let tail = "tial line\none\ntwo\nthree\n";
        assert_eq!(last_lines(tail, 2, true), ["two", "three"]);
        assert_eq!(last_lines(tail, 10, true), ["one", "two", "three"]);
        assert_eq!(
            last_lines(tail, 10, false),
            ["tial line", "one", "two", "three"]
        );
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_default()
    }

    #[test]
    fn the_file_rolls_over_at_its_size_limit_and_keeps_n_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = RotatingFile::open(dir.path(), 10, 2).unwrap();
        for line in [
            "aaaa\n", "bbbb\n", "cccc\n", "dddd\n", "eeee\n", "ffff\n", "gggg\n",
        ] {
            file.write_all(line.as_bytes()).unwrap();
        }
        let path = |n| RotatingFile::path_of(dir.path(), n);
        assert_eq!(read(&path(0)), "gggg\n");
        assert_eq!(read(&path(1)), "eeee\nffff\n");
        assert_eq!(read(&path(2)), "cccc\ndddd\n");
        assert!(!path(3).exists(), "only 2 old files are kept");
        for n in 0..=2 {
            assert!(fs::metadata(path(n)).unwrap().len() <= 10);
        }
    }

    #[test]
    fn a_reopened_file_counts_what_it_already_holds() {
        let dir = tempfile::tempdir().unwrap();
        RotatingFile::open(dir.path(), 10, 1)
            .unwrap()
            .write_all(b"12345678\n")
            .unwrap();
        let mut again = RotatingFile::open(dir.path(), 10, 1).unwrap();
        again.write_all(b"abc\n").unwrap();
        assert_eq!(read(&RotatingFile::path_of(dir.path(), 0)), "abc\n");
        assert_eq!(read(&RotatingFile::path_of(dir.path(), 1)), "12345678\n");
    }

    #[cfg(unix)]
    #[test]
    fn the_log_folder_and_file_are_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("state/logs");
        RotatingFile::open(&logs, MAX_LOG_FILE_BYTES, 1).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&logs), 0o700);
        assert_eq!(mode(&RotatingFile::path_of(&logs, 0)), 0o600);
    }

    #[test]
    fn the_shared_writer_redacts_each_event() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogFile::new(RotatingFile::open(dir.path(), MAX_LOG_FILE_BYTES, 1).unwrap());
        let mut writer = tracing_subscriber::fmt::MakeWriter::make_writer(&log);
        writer
            .write_all(format!("login password=hunter22 token {TOKEN}\n").as_bytes())
            .unwrap();
        let text = read(&RotatingFile::path_of(dir.path(), 0));
        assert_eq!(text, "login password=<redacted> token <redacted>\n");
    }

    #[test]
    fn diagnostics_read_the_last_lines_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = RotatingFile::open(dir.path(), MAX_LOG_FILE_BYTES, 1).unwrap();
        for n in 0..(DIAGNOSTIC_LOG_LINES + 5) {
            writeln!(file, "line {n} key SECRET-KEY-123").unwrap();
        }
        let lines = read_last_lines(dir.path(), &["SECRET-KEY-123"]).unwrap();
        assert_eq!(lines.len(), DIAGNOSTIC_LOG_LINES);
        assert_eq!(lines[0], "line 5 key <redacted>");
        assert!(lines.iter().all(|l| !l.contains("SECRET")));
    }
}
