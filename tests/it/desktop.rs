//! Issue 13, the app as a desktop program: `--version` with the commit, one stderr line when no window can
//! open, a second launch raising the running app instead of starting a second Local demo server, the About
//! window (version, folders, redacted diagnostics), and a log file that holds no password, token or key
//! over a whole scripted session.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use egui_kittest::kittest::Queryable as _;
use profile_editor::app::state::Screen;
use profile_editor::app::{ABOUT_BUTTON, MORE_MENU};
use profile_editor::cli::{DEMO_API_KEY, DEMO_CLOUDCODE_KEY};
use profile_editor::single_instance::{self, Launch};
use profile_editor::ui::about::open_label;

use crate::helpers::ALICE;
use crate::ui_support::{
    Rig, app, custom_args, log_in, step_until, wait_for_editor, wait_for_text,
};

const BIN: &str = env!("CARGO_BIN_EXE_profile-editor");

/// The folder name `directories` gives the app under each XDG base folder on Linux.
const XDG_APP_FOLDER: &str = "profileeditor";

/// The desktop app's command with every folder inside `home` and no display, no `RUST_LOG`.
fn app_command(home: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env_remove("RUST_LOG");
    command
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// `--version`: the package version and the commit the binary was built from.
#[test]
fn version_names_the_version_and_the_commit() {
    let output = Command::new(BIN).arg("--version").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map_or_else(
            || "unknown".to_owned(),
            |output| String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        );
    assert_eq!(
        text.trim(),
        format!(
            "profile-editor {} (commit {commit})",
            env!("CARGO_PKG_VERSION")
        )
    );
}

/// With no display the app says so in one line on stderr and exits 1 (no panic, no silent exit), and the
/// log file in its state folder (owner-only) has the start and the reason.
#[test]
fn without_a_display_the_app_says_so_in_one_line() {
    let home = tempfile::tempdir().unwrap();
    let output = app_command(home.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with("profile-editor: no graphical display")
            && lines[0].contains("DISPLAY")
            && lines[0].contains("WAYLAND_DISPLAY"),
        "{}",
        lines[0]
    );
    let log = home
        .path()
        .join("state")
        .join(XDG_APP_FOLDER)
        .join(profile_editor::logging::LOG_FILE_NAME);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(&format!(
            "Profile Editor {} starting",
            profile_editor::cli::VERSION
        )),
        "{text}"
    );
    assert!(text.contains("the window did not open"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

/// The running app's data folder, as the binary started by [`app_command`] finds it.
fn data_folder(home: &Path) -> PathBuf {
    home.join("data").join(XDG_APP_FOLDER)
}

/// A second launch while the app runs on the same data folder asks it to raise its window, says so in one
/// line and exits 0, without starting a Local demo server (no store is created).
#[test]
fn a_second_launch_raises_the_running_app() {
    let home = tempfile::tempdir().unwrap();
    let Launch::First(running) = single_instance::acquire(&data_folder(home.path())).unwrap()
    else {
        panic!("the folder is taken");
    };
    let raised = Arc::new(AtomicUsize::new(0));
    let counter = raised.clone();
    running.on_raise(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });

    let output = app_command(home.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", stderr_lines(&output));
    assert_eq!(
        stderr_lines(&output),
        ["profile-editor: Profile Editor is already running; its window was brought forward."]
    );
    assert_eq!(raised.load(Ordering::SeqCst), 1);
    assert!(!data_folder(home.path()).join("emulator").exists());

    // Once the first app has ended, a launch goes on to open its window (here: fails for want of a display).
    drop(running);
    let output = app_command(home.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_lines(&output)[0].contains("no graphical display"));
}

/// When the running app cannot be reached, the second launch says plainly that it is already running.
#[test]
fn a_second_launch_that_cannot_reach_the_app_says_it_runs() {
    let home = tempfile::tempdir().unwrap();
    let Launch::First(running) = single_instance::acquire(&data_folder(home.path())).unwrap()
    else {
        panic!("the folder is taken");
    };
    std::fs::remove_file(running.socket_path().unwrap()).unwrap();
    let output = app_command(home.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with("profile-editor: Profile Editor is already running"),
        "{}",
        lines[0]
    );
    drop(running);
}

/// The text the app last put on the clipboard.
fn copied_text(
    harness: &egui_kittest::Harness<'static, profile_editor::app::App>,
) -> Option<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

/// About (top bar): the version and commit, the connection, the four folders each with its Open button,
/// and Copy diagnostics copying a report without the API key; Close closes it.
#[test]
fn about_shows_version_folders_and_copies_redacted_diagnostics() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&rig.emulator));
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    harness.get_by_label(MORE_MENU).click();
    harness.run();
    harness.get_by_label(ABOUT_BUTTON).click();
    harness.run();
    assert!(harness.state().about_is_open());
    wait_for_text(
        &mut harness,
        &format!("Version {}", profile_editor::cli::VERSION),
    );
    for label in ["Settings", "Data", "Local demo store"] {
        assert!(
            harness.query_by_label(&open_label(label)).is_some(),
            "{label}"
        );
    }
    let settings_dir = dir.path().join("config").display().to_string();
    assert!(harness.query_by_label(&settings_dir).is_some());
    // In the top bar and in About.
    assert_eq!(harness.query_all_by_label_contains("Custom: ").count(), 2);

    harness.get_by_label("Copy diagnostics").click();
    harness.step();
    let copied = copied_text(&harness).expect("the diagnostics are copied");
    harness.run();
    assert!(harness.query_by_label("Copied to the clipboard.").is_some());
    for expected in [
        format!("Profile Editor {}", profile_editor::cli::VERSION),
        "Platform: ".to_owned(),
        "Renderer: ".to_owned(),
        "Connection: Custom: ".to_owned(),
        format!("Settings: {settings_dir}"),
    ] {
        assert!(copied.contains(&expected), "{expected:?} not in\n{copied}");
    }
    assert!(!copied.contains(DEMO_API_KEY), "{copied}");

    harness.get_by_label("Close").click();
    harness.run();
    assert!(!harness.state().about_is_open());
}

/// Where [`scripted_session_child`] logs, when it is the child process of [`the_log_never_holds_a_secret`].
const LOG_SESSION_DIR: &str = "PROFILE_EDITOR_TEST_LOG_SESSION_DIR";

/// The app's real log (installed by `logging::init`, global, so in a process of its own: this test binary
/// again, running only [`scripted_session_child`]) over a whole session at debug level: login with a
/// password and Remember me, an edit saved, About and Copy diagnostics, logout. The log file must hold
/// none of the password, the user-token, the API key or the CloudCode key, yet show the session happened.
#[test]
fn the_log_never_holds_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "desktop::scripted_session_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LOG_SESSION_DIR, dir.path())
        .env("RUST_LOG", "debug,profile_editor=trace")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the scripted session failed:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let token = std::fs::read_to_string(dir.path().join("token.txt")).unwrap();
    if let Some(keep) = std::env::var_os("PROFILE_EDITOR_TEST_KEEP_LOG") {
        std::fs::copy(
            dir.path()
                .join("logs")
                .join(profile_editor::logging::LOG_FILE_NAME),
            keep,
        )
        .unwrap();
    }
    assert!(token.len() >= 16, "{token}");
    let logs = dir.path().join("logs");
    let log = std::fs::read_to_string(logs.join(profile_editor::logging::LOG_FILE_NAME)).unwrap();
    // The session is in the log (the client's calls, the emulator's start), ...
    assert!(log.contains("backendless call succeeded"), "{log}");
    assert!(log.lines().count() > 20, "{log}");
    // ... its secrets are not, in any file of the folder.
    for entry in std::fs::read_dir(&logs).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (what, secret) in [
            ("password", ALICE.1),
            ("user-token", token.as_str()),
            ("API key", DEMO_API_KEY),
            ("CloudCode key", DEMO_CLOUDCODE_KEY),
        ] {
            assert!(!text.contains(secret), "the log holds the {what}");
        }
    }
}

/// The session [`the_log_never_holds_a_secret`] runs in a child process; does nothing on its own.
#[test]
fn scripted_session_child() {
    let Some(dir) = std::env::var_os(LOG_SESSION_DIR).map(PathBuf::from) else {
        return;
    };
    assert_eq!(
        profile_editor::logging::init(Some(&dir.join("logs"))),
        Some(dir.join("logs"))
    );
    let rig = Rig::new();
    let home = dir.join("home");
    let mut harness = app(&home, custom_args(&rig.emulator));
    log_in(&mut harness, ALICE, true);
    wait_for_editor(&mut harness, ALICE.0);
    let token = harness
        .state()
        .state()
        .session()
        .unwrap()
        .user_token
        .expose()
        .to_owned();
    std::fs::write(dir.join("token.txt"), &token).unwrap();

    harness.get_by_label("name").focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label("name").type_text("Alice Logged");
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.step();
    harness.step();
    harness.get_by_label("Confirm save").click();
    step_until(&mut harness, "the save", |h| {
        !h.state().editor().unwrap().has_pending_edits()
    });

    harness.get_by_label(MORE_MENU).click();
    harness.run();
    harness.get_by_label(ABOUT_BUTTON).click();
    harness.run();
    harness.get_by_label("Copy diagnostics").click();
    // The log's tail is read by the disk worker (issue 14): copied once it is there.
    step_until(&mut harness, "the diagnostics copied", |h| {
        copied_text(h).is_some()
    });
    let copied = copied_text(&harness).expect("the diagnostics are copied");
    assert!(copied.contains("Last "), "{copied}");
    for secret in [ALICE.1, token.as_str(), DEMO_API_KEY] {
        assert!(!copied.contains(secret), "the diagnostics hold a secret");
    }
    harness.get_by_label("Close").click();
    harness.run();

    harness.get_by_label("Log out").click();
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    let session_file = home.join("config/session.json");
    step_until(&mut harness, "the token file to go", |_| {
        !session_file.exists()
    });
}
