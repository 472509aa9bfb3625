//! The About window's part of the app: whether it is open, what it shows (gathered from the app's folders,
//! connection and frame), and carrying out its actions: opening a folder in the file manager (a process
//! started and waited for off the UI thread) and copying the redacted diagnostics. The log's tail is read
//! by the disk worker when the window opens; "Copy diagnostics" copies once it is there.

use std::path::{Path, PathBuf};

use super::App;
use crate::ui::about::{AboutAction, AboutInfo, Folder, about_ui, diagnostics_text};

/// The About window's state while it is open.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AboutWindow {
    /// Whether the diagnostics were copied since the window opened.
    copied: bool,
    /// "Copy diagnostics" was pressed before the log's tail was read: it is copied when it is.
    copy_when_read: bool,
    /// The log's tail, as the disk worker read it when the window opened.
    log_tail: LogTail,
}

/// The log's tail for the diagnostics.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
enum LogTail {
    /// No log file is written (logging is off): nothing to read.
    #[default]
    NoLog,
    /// The disk worker is reading it.
    Reading,
    /// Its last bytes, and whether they start inside the file (the first line is then cut).
    Read { text: String, starts_mid_file: bool },
    /// Why it could not be read.
    Failed(String),
}

/// The program that opens a folder in the desktop's file manager.
#[cfg(target_os = "macos")]
const OPENER: &str = "open";
#[cfg(target_os = "windows")]
const OPENER: &str = "explorer";
#[cfg(not(any(target_os = "macos", target_os = "windows")))]
const OPENER: &str = "xdg-open";

/// Opens `path` with the desktop's opener, on a thread of its own that waits for it (no zombie, no stall).
pub fn open_folder(path: &Path) {
    let path = path.to_owned();
    let spawned = std::thread::Builder::new()
        .name("open-folder".to_owned())
        .spawn(move || {
            match std::process::Command::new(OPENER)
                .arg(&path)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
            {
                Ok(status) if status.success() => {}
                Ok(status) => {
                    tracing::warn!("{OPENER} {} ended with {status}", path.display());
                }
                Err(error) => tracing::warn!("cannot run {OPENER}: {error}"),
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot start a thread to open a folder: {error}");
    }
}

/// "linux x86_64, X11" / "…, Wayland" / "…, no display".
fn platform() -> String {
    let display = super::launch::DisplayEnv::from_env();
    let window_system = if display.wayland.is_some() {
        "Wayland"
    } else if display.x11.is_some() {
        "X11"
    } else {
        "no display"
    };
    format!(
        "{} {}, {window_system}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

impl App {
    /// Opens the About window and has the disk worker read the log's tail for the diagnostics.
    pub(super) fn open_about(&mut self) {
        let mut window = AboutWindow::default();
        if let Some(dir) = crate::logging::log_dir() {
            window.log_tail = LogTail::Reading;
            self.disk.handle().read_tail(
                super::disk::Purpose::Diagnostics,
                crate::logging::RotatingFile::path_of(dir, 0),
                crate::logging::DIAGNOSTIC_TAIL_BYTES,
            );
        }
        self.about = Some(window);
    }

    /// The log's tail was read (if the window is still open).
    pub(super) fn log_tail_read(&mut self, read: std::io::Result<super::disk::DiskDone>) {
        let Some(window) = &mut self.about else {
            return;
        };
        window.log_tail = match read {
            Ok(super::disk::DiskDone::Read {
                bytes,
                starts_mid_file,
            }) => LogTail::Read {
                text: String::from_utf8_lossy(&bytes).into_owned(),
                starts_mid_file,
            },
            Ok(_) => LogTail::NoLog,
            Err(error) => LogTail::Failed(error.to_string()),
        };
    }

    /// What the About window shows now.
    pub fn about_info(&self, has_gl: bool) -> AboutInfo {
        AboutInfo {
            version: crate::cli::VERSION.to_owned(),
            platform: platform(),
            renderer: if has_gl {
                "OpenGL (glow)".to_owned()
            } else {
                "no OpenGL context (headless)".to_owned()
            },
            connection: super::connection_label(&self.settings, self.state.local_server()),
            folders: vec![
                Folder {
                    label: "Settings",
                    path: Some(self.settings_dir.clone()),
                },
                Folder {
                    label: "Data",
                    path: Some(self.data_dir.clone()),
                },
                Folder {
                    label: "Local demo store",
                    path: Some(self.data_dir.join("emulator")),
                },
                Folder {
                    label: "Logs",
                    path: crate::logging::log_dir().map(Path::to_owned),
                },
            ],
        }
    }

    /// The keys the settings hold, to be taken out of diagnostics wherever they appear.
    fn known_secrets(&self) -> Vec<String> {
        let settings = &self.settings;
        [
            &settings.cloud_us.api_key,
            &settings.cloud_us.cloudcode_key,
            &settings.cloud_eu.api_key,
            &settings.cloud_eu.cloudcode_key,
            &settings.custom.keys.api_key,
            &settings.custom.keys.cloudcode_key,
        ]
        .into_iter()
        .filter(|key| !key.is_empty())
        .cloned()
        .collect()
    }

    /// The diagnostics report with the log's tail as read when the window opened; `None` while it is
    /// being read.
    fn diagnostics_from_tail(&self, tail: &LogTail, has_gl: bool) -> Option<String> {
        let known = self.known_secrets();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let lines = match tail {
            LogTail::Reading => return None,
            LogTail::NoLog => Vec::new(),
            LogTail::Failed(error) => vec![format!("(the log file could not be read: {error})")],
            LogTail::Read {
                text,
                starts_mid_file,
            } => crate::logging::last_lines(
                text,
                crate::logging::DIAGNOSTIC_LOG_LINES,
                *starts_mid_file,
            )
            .into_iter()
            .map(|line| crate::logging::redact(line, &known))
            .collect(),
        };
        Some(diagnostics_text(&self.about_info(has_gl), &lines, &known))
    }

    /// Draws the About window when it is open and does what it asks.
    pub(super) fn about_window_ui(&mut self, ctx: &egui::Context, has_gl: bool) {
        let Some(window) = &self.about else { return };
        let info = self.about_info(has_gl);
        let mut copy = window.copy_when_read;
        match about_ui(ctx, &info, window.copied) {
            Some(AboutAction::Open(path)) => open_folder(&path),
            Some(AboutAction::CopyDiagnostics) => copy = true,
            Some(AboutAction::Close) => {
                self.about = None;
                return;
            }
            None => {}
        }
        if !copy {
            return;
        }
        let text = self
            .about
            .as_ref()
            .and_then(|window| self.diagnostics_from_tail(&window.log_tail, has_gl));
        let Some(window) = &mut self.about else {
            return;
        };
        match text {
            Some(text) => {
                ctx.copy_text(text);
                window.copied = true;
                window.copy_when_read = false;
            }
            None => window.copy_when_read = true,
        }
    }

    /// Whether the About window is open; read by tests.
    pub fn about_is_open(&self) -> bool {
        self.about.is_some()
    }

    /// The app's data folder.
    pub fn data_dir(&self) -> &PathBuf {
        &self.data_dir
    }
}
