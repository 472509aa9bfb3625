//! The About window's part of the app: whether it is open, what it shows (gathered from the app's folders,
//! connection and frame), and carrying out its actions: opening a folder in the file manager (a process
//! started and waited for off the UI thread) and copying the redacted diagnostics.

use std::path::{Path, PathBuf};

use super::App;
use crate::ui::about::{AboutAction, AboutInfo, Folder, about_ui, diagnostics_text};

/// The About window's state while it is open.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AboutWindow {
    /// Whether "Copy diagnostics" was pressed since the window opened.
    copied: bool,
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
    /// Opens the About window.
    pub(super) fn open_about(&mut self) {
        self.about = Some(AboutWindow::default());
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

    /// The diagnostics report as "Copy diagnostics" copies it.
    pub fn diagnostics(&self, has_gl: bool) -> String {
        let known = self.known_secrets();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let lines = crate::logging::log_dir()
            .map(|dir| {
                crate::logging::read_last_lines(dir, &known).unwrap_or_else(|error| {
                    vec![format!("(the log file could not be read: {error})")]
                })
            })
            .unwrap_or_default();
        diagnostics_text(&self.about_info(has_gl), &lines, &known)
    }

    /// Draws the About window when it is open and does what it asks.
    pub(super) fn about_window_ui(&mut self, ctx: &egui::Context, has_gl: bool) {
        let Some(window) = &self.about else { return };
        let info = self.about_info(has_gl);
        match about_ui(ctx, &info, window.copied) {
            Some(AboutAction::Open(path)) => open_folder(&path),
            Some(AboutAction::CopyDiagnostics) => {
                ctx.copy_text(self.diagnostics(has_gl));
                if let Some(window) = &mut self.about {
                    window.copied = true;
                }
            }
            Some(AboutAction::Close) => self.about = None,
            None => {}
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
