//! Starting the desktop app as a desktop program: owns the one stderr line that says why the window could not
//! open (no display, no OpenGL) and what to install or set, and what a second launch prints. Pure apart from
//! reading the display variables in [`DisplayEnv::from_env`].

/// The app id the window gives the window system (Wayland's app id, X11's `WM_CLASS`): the name of the
/// desktop entry (`packaging/<id>.desktop`, whose `StartupWMClass` says the same), of the icon and of the
/// AppStream metainfo, so that menus, task bars and window managers show the right name and icon.
pub const WINDOW_APP_ID: &str = "dev.profile_editor.ProfileEditor";

/// Which display variables are set (the window system the app would talk to).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisplayEnv {
    /// `DISPLAY` (X11), when set and not empty.
    pub x11: Option<String>,
    /// `WAYLAND_DISPLAY` (or `WAYLAND_SOCKET`), when set and not empty.
    pub wayland: Option<String>,
}

impl DisplayEnv {
    /// Reads `DISPLAY`, `WAYLAND_DISPLAY` and `WAYLAND_SOCKET`.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Self {
            x11: var("DISPLAY"),
            wayland: var("WAYLAND_DISPLAY").or_else(|| var("WAYLAND_SOCKET")),
        }
    }

    fn is_empty(&self) -> bool {
        self.x11.is_none() && self.wayland.is_none()
    }

    fn describe(&self) -> String {
        match (&self.wayland, &self.x11) {
            (Some(wayland), Some(x11)) => format!("Wayland {wayland:?} or X11 {x11:?}"),
            (Some(wayland), None) => format!("Wayland {wayland:?}"),
            (None, Some(x11)) => format!("X11 {x11:?}"),
            (None, None) => "none".to_owned(),
        }
    }
}

/// Why the window could not open, sorted by what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowFailure {
    /// No display to open a window on.
    NoDisplay,
    /// The window system could not be reached or refused the window (detail).
    Display(String),
    /// OpenGL could not start (detail).
    OpenGl(String),
    /// The app itself failed while starting (detail).
    App(String),
}

/// One line of `text`: its lines joined, the source location winit adds (` at /…/file.rs:NN:`) dropped.
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match (joined.find(" at /"), joined.find(".rs:")) {
        (Some(at), Some(rs)) if rs > at => {
            let rest = &joined[rs + 3..];
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':');
            format!("{}: {}", &joined[..at], rest.trim())
        }
        _ => joined,
    }
}

/// glutin's "no config" error without the config template it dumps: "no OpenGL configuration: <why>".
fn short_gl_detail(detail: &str) -> String {
    match detail.split_once("Found no glutin configs") {
        Some((_, rest)) => {
            let why = rest
                .rsplit_once("Error: ")
                .map_or("", |(_, why)| why.trim());
            if why.is_empty() {
                "no OpenGL configuration".to_owned()
            } else {
                format!("no OpenGL configuration: {why}")
            }
        }
        None => detail.to_owned(),
    }
}

impl WindowFailure {
    /// Sorts eframe's error given the display variables.
    pub fn classify(error: &eframe::Error, display: &DisplayEnv) -> Self {
        let detail = one_line(&error.to_string());
        match error {
            eframe::Error::AppCreation(_) => Self::App(detail),
            _ if display.is_empty() => Self::NoDisplay,
            eframe::Error::Winit(_) | eframe::Error::WinitEventLoop(_) => Self::Display(detail),
            _ => Self::OpenGl(short_gl_detail(&detail)),
        }
    }

    /// The one line printed on stderr (after `profile-editor: `), saying what to install or set.
    pub fn message(&self, display: &DisplayEnv) -> String {
        match self {
            Self::NoDisplay => {
                "no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set): start \
                 it from a desktop session, or run `profile-editor serve` for the server alone"
                    .to_owned()
            }
            Self::Display(detail) => format!(
                "cannot reach the display ({}): {detail}; check that DISPLAY or WAYLAND_DISPLAY names a \
                 running display server",
                display.describe()
            ),
            Self::OpenGl(detail) => format!(
                "could not start OpenGL ({detail}): install Mesa's OpenGL drivers (apt install \
                 libgl1-mesa-dri libegl1) or run with LIBGL_ALWAYS_SOFTWARE=1"
            ),
            Self::App(detail) => format!("cannot open the window: {detail}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESKTOP_ENTRY: &str =
        include_str!("../../packaging/dev.profile_editor.ProfileEditor.desktop");
    const METAINFO: &str =
        include_str!("../../packaging/dev.profile_editor.ProfileEditor.metainfo.xml");

    /// The value of `key=` in the desktop entry.
    fn entry(key: &str) -> &'static str {
        DESKTOP_ENTRY
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("no {key} in the desktop entry"))
    }

    #[test]
    fn the_desktop_entry_and_metainfo_match_the_window() {
        assert_eq!(entry("StartupWMClass"), WINDOW_APP_ID);
        assert_eq!(entry("Icon"), WINDOW_APP_ID);
        assert_eq!(entry("Name"), crate::ui::theme::APP_NAME);
        assert_eq!(entry("Exec"), env!("CARGO_PKG_NAME"));
        assert!(METAINFO.contains(&format!("<id>{WINDOW_APP_ID}</id>")));
        assert!(METAINFO.contains(&format!(
            r#"<launchable type="desktop-id">{WINDOW_APP_ID}.desktop</launchable>"#
        )));
        assert!(METAINFO.contains(&format!("<name>{}</name>", crate::ui::theme::APP_NAME)));
        assert!(METAINFO.contains(&format!(
            r#"<release version="{}""#,
            env!("CARGO_PKG_VERSION")
        )));
    }

    fn x11() -> DisplayEnv {
        DisplayEnv {
            x11: Some(":0".to_owned()),
            wayland: None,
        }
    }

    #[test]
    fn without_a_display_the_line_says_so_and_names_serve() {
        let error = eframe::Error::AppCreation("x".into());
        assert_eq!(
            WindowFailure::classify(&error, &DisplayEnv::default()),
            WindowFailure::App("app creation error: x".to_owned())
        );
        let line = WindowFailure::NoDisplay.message(&DisplayEnv::default());
        assert!(line.contains("DISPLAY") && line.contains("serve"), "{line}");
    }

    #[test]
    fn an_opengl_failure_says_what_to_install_or_set() {
        let line = WindowFailure::OpenGl("no GLX config".to_owned()).message(&x11());
        assert!(
            line.starts_with("could not start OpenGL (no GLX config)"),
            "{line}"
        );
        assert!(line.contains("libgl1-mesa-dri") && line.contains("LIBGL_ALWAYS_SOFTWARE=1"));
        assert!(!line.contains('\n'));
    }

    #[test]
    fn the_package_installs_the_entry_metainfo_and_icons_under_the_app_id() {
        let manifest = include_str!("../../Cargo.toml");
        let mut assets = vec![
            format!(r#"["packaging/{WINDOW_APP_ID}.desktop", "usr/share/applications/", "644"]"#),
            format!(r#"["packaging/{WINDOW_APP_ID}.metainfo.xml", "usr/share/metainfo/", "644"]"#),
            r#"["target/release/profile-editor", "usr/bin/", "755"]"#.to_owned(),
        ];
        for size in [16, 24, 32, 48, 64, 128, 256] {
            assets.push(format!(
                r#"["target/package/icons/{size}x{size}/{WINDOW_APP_ID}.png", "usr/share/icons/hicolor/{size}x{size}/apps/", "644"]"#
            ));
        }
        for asset in assets {
            assert!(manifest.contains(&asset), "Cargo.toml lacks {asset}");
        }
    }

    #[test]
    fn glutins_config_template_is_left_out() {
        let detail = "Found no glutin configs matching the template: ConfigTemplate { color_buffer_type: \
                      Rgb { r_size: 8 }, api: None }. Error: failed to create EGLDisplay without a reason";
        assert_eq!(
            short_gl_detail(detail),
            "no OpenGL configuration: failed to create EGLDisplay without a reason"
        );
        assert_eq!(short_gl_detail("context lost"), "context lost");
    }

    #[test]
    fn a_display_failure_names_the_display() {
        let line = WindowFailure::Display("Failed to open connection to X server".to_owned())
            .message(&x11());
        assert!(line.contains(r#"X11 ":0""#), "{line}");
    }

    #[test]
    fn winit_source_locations_are_dropped_from_the_detail() {
        let text = "winit EventLoopError: os error at /root/.cargo/registry/src/x/winit-0.30.13/src/\
                    platform_impl/linux/mod.rs:788: Failed to open\nconnection to X server";
        assert_eq!(
            one_line(text),
            "winit EventLoopError: os error: Failed to open connection to X server"
        );
        assert_eq!(one_line("plain\n error"), "plain error");
    }
}
