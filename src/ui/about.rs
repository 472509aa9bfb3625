//! The About window: the version and the commit it was built from, the platform and renderer, the connection,
//! the folders the app uses (settings, data, the Local demo's store, logs) each with an "Open" button, and
//! "Copy diagnostics". Draws and returns what the user asked for; [`diagnostics_text`] builds the report
//! (pure, redacted).

use std::path::PathBuf;

use crate::logging::redact;

/// A folder the app uses, as the About window lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// "Settings", "Data", "Local demo store", "Logs".
    pub label: &'static str,
    /// Where it is; `None` when the app does not use one (the log without a log file).
    pub path: Option<PathBuf>,
}

/// What the About window shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AboutInfo {
    /// `0.1.0 (commit 1f41eb0ddca8)`.
    pub version: String,
    /// The OS and architecture, and the window system (`linux x86_64, X11`).
    pub platform: String,
    /// How the window is drawn (`OpenGL (glow)`).
    pub renderer: String,
    /// The connection as the top bar names it (never a key).
    pub connection: String,
    /// The folders the app uses.
    pub folders: Vec<Folder>,
}

/// The About window's width in points.
const MODAL_WIDTH: f32 = 560.0;

/// What the user asked for in the About window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AboutAction {
    /// Open this folder in the file manager.
    Open(PathBuf),
    /// Copy the diagnostics report to the clipboard.
    CopyDiagnostics,
    /// Close the window.
    Close,
}

/// The button label that opens folder `label` (each one distinct, for assistive technology and tests).
pub fn open_label(label: &str) -> String {
    format!("Open the {} folder", label.to_lowercase())
}

/// Draws the About window over the app. `copied` shows that the diagnostics were copied.
pub fn about_ui(ctx: &egui::Context, info: &AboutInfo, copied: bool) -> Option<AboutAction> {
    let mut action = None;
    let modal = egui::Modal::new(egui::Id::unique("about")).show(ctx, |ui| {
        ui.set_width(MODAL_WIDTH);
        ui.heading(format!("About {}", super::theme::APP_NAME));
        ui.label(format!("Version {}", info.version));
        ui.add_space(6.0);
        egui::Grid::new("about_facts")
            .num_columns(2)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                for (name, value) in [
                    ("Connection", &info.connection),
                    ("Platform", &info.platform),
                    ("Renderer", &info.renderer),
                ] {
                    ui.strong(name);
                    ui.label(value);
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        ui.strong("Folders");
        for folder in &info.folders {
            ui.horizontal(|ui| {
                ui.label(folder.label);
                if let Some(path) = &folder.path
                    && ui.button(open_label(folder.label)).clicked()
                {
                    action = Some(AboutAction::Open(path.clone()));
                }
            });
            ui.indent(folder.label, |ui| match &folder.path {
                Some(path) => {
                    let shown = egui::RichText::new(path.display().to_string())
                        .monospace();
                    ui.add(egui::Label::new(shown).wrap());
                }
                None => {
                    ui.weak("not written to a file (stderr only)");
                }
            });
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            if ui
                .button("Copy diagnostics")
                .on_hover_text(
                    "Version, platform, renderer, connection and the last log lines, with passwords, \
                     tokens and keys taken out: for a bug report",
                )
                .clicked()
            {
                action = Some(AboutAction::CopyDiagnostics);
            }
            if copied {
                ui.label("Copied to the clipboard.");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Close").clicked() {
                    action = Some(AboutAction::Close);
                }
            });
        });
    });
    if action.is_none() && modal.should_close() {
        action = Some(AboutAction::Close);
    }
    action
}

/// The diagnostics report: version, platform, renderer, connection, folders and the last log lines, with
/// every `known` secret (the connections' keys) and anything shaped like a password, token or key redacted.
pub fn diagnostics_text(info: &AboutInfo, log_lines: &[String], known: &[&str]) -> String {
    let mut text = format!(
        "{} {}\nPlatform: {}\nRenderer: {}\nConnection: {}\n",
        super::theme::APP_NAME,
        info.version,
        info.platform,
        info.renderer,
        info.connection
    );
    for folder in &info.folders {
        let path = folder
            .path
            .as_ref()
            .map_or_else(|| "-".to_owned(), |path| path.display().to_string());
        text.push_str(&format!("{}: {path}\n", folder.label));
    }
    if log_lines.is_empty() {
        text.push_str("Log: (no lines)\n");
    } else {
        text.push_str(&format!("Last {} log lines:\n", log_lines.len()));
        for line in log_lines {
            text.push_str(line);
            text.push('\n');
        }
    }
    redact(&text, known)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> AboutInfo {
        AboutInfo {
            version: "0.1.0 (commit abcdef123456)".to_owned(),
            platform: "linux x86_64, X11".to_owned(),
            renderer: "OpenGL (glow)".to_owned(),
            connection: "Custom: https://example.test".to_owned(),
            folders: vec![
                Folder {
                    label: "Settings",
                    path: Some(PathBuf::from("/home/u/.config/profileeditor")),
                },
                Folder {
                    label: "Logs",
                    path: None,
                },
            ],
        }
    }

    #[test]
    fn diagnostics_name_version_platform_renderer_connection_and_log_lines() {
        let lines = vec!["INFO Login screen shown 80 ms after launch".to_owned()];
        let text = diagnostics_text(&info(), &lines, &[]);
        for expected in [
            "Profile Editor 0.1.0 (commit abcdef123456)",
            "Platform: linux x86_64, X11",
            "Renderer: OpenGL (glow)",
            "Connection: Custom: https://example.test",
            "Settings: /home/u/.config/profileeditor",
            "Logs: -",
            "Last 1 log lines:\nINFO Login screen shown 80 ms after launch",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
    }

    #[test]
    fn diagnostics_never_hold_a_key_a_token_or_a_password() {
        let lines = vec![
            "WARN login failed for password=hunter22".to_owned(),
            "DEBUG GET https://api.test/D3A0C0DE-0000-4000-8000-000000000001/D3A0C0DE-0000-4000-8000-000000000002/users"
                .to_owned(),
            "DEBUG sent user-token: 0A1B2C3D-0A1B-4C2D-8E3F-0A1B2C3D4E5F".to_owned(),
            "INFO the key MY-CLOUDCODE-KEY was used".to_owned(),
        ];
        let text = diagnostics_text(&info(), &lines, &["MY-CLOUDCODE-KEY"]);
        for secret in [
            "hunter22",
            "D3A0C0DE-0000-4000-8000-000000000002",
            "0A1B2C3D-0A1B-4C2D-8E3F-0A1B2C3D4E5F",
            "MY-CLOUDCODE-KEY",
        ] {
            assert!(!text.contains(secret), "{secret} in\n{text}");
        }
        assert!(text.contains("https://api.test/<redacted>/<redacted>/users"));
    }

    #[test]
    fn each_open_button_has_its_own_label() {
        assert_eq!(
            open_label("Local demo store"),
            "Open the local demo store folder"
        );
        assert_ne!(open_label("Settings"), open_label("Data"));
    }
}
