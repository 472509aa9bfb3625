//! The whole app (egui_kittest) with its real worker against an in-process emulator: the Local demo, every
//! login failure shown inline, Remember me across two app instances, logout, and a session that ends
//! during a save.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use profile_editor::app::App;
use profile_editor::app::settings::ThemeChoice;
use profile_editor::app::state::Screen;
use profile_editor::cli::{ConnectionArgs, DEMO_API_KEY, DEMO_APP_ID};
use profile_editor::emulator::EmulatorConfig;

use crate::helpers::{ALICE, BOB, spawn_emulator, spawn_emulator_with};
use crate::ui_support::{
    ANSWER_TIMEOUT, app, custom_args, log_in, step_until, type_into, wait_for_editor, wait_for_text,
};

/// The login error under the form, once it appears.
fn wait_for_login_error(harness: &mut Harness<'static, App>) -> String {
    step_until(harness, "a login error", |h| {
        h.state().state().login_error().is_some()
    });
    let error = harness.state().state().login_error().unwrap().to_owned();
    assert!(
        harness.query_all_by_label(&error).next().is_some(),
        "the error {error:?} is not on screen"
    );
    assert_eq!(harness.state().state().screen(), Screen::Login);
    error
}

/// The identity field still holds what the user typed.
fn assert_identity_kept(harness: &Harness<'static, App>, identity: &str) {
    assert_eq!(
        harness.get_by_label("Identity").value().as_deref(),
        Some(identity)
    );
}

/// The Local demo starts the embedded emulator, lists the demo accounts, logs in with one of them, and
/// keeps its data and the remembered session for the next start.
#[test]
fn local_demo_starts_the_emulator_and_lists_the_demo_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), ConnectionArgs::default());
    assert_eq!(harness.state().state().screen(), Screen::Starting);
    wait_for_text(&mut harness, "Built-in demo server at http://127.0.0.1:");
    for identity in ["alice@example.com", "bob@example.com", "admin@example.com"] {
        assert!(
            harness.query_by_label(identity).is_some(),
            "{identity} is not listed"
        );
    }
    harness.get_by_label("bob@example.com").click();
    harness.step();
    harness.get_by_label("Remember me").click();
    harness.step();
    harness.get_by_label("Log in").click();
    wait_for_editor(&mut harness, "bob@example.com");
    // The demo data is kept in the app's data dir.
    assert!(dir.path().join("data/emulator").is_dir());
    drop(harness);

    // The next start finds the same data (and the remembered session) again.
    let mut second = app(dir.path(), ConnectionArgs::default());
    wait_for_editor(&mut second, "bob@example.com");
}

/// A good login opens the editor on the user's own record, and the idle editor does not keep repainting.
#[tokio::test(flavor = "multi_thread")]
async fn login_success_opens_the_editor() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    // Her record is in the grid.
    assert!(harness.query_all_by_value("Alice Liddell").next().is_some());
    // Without Remember me nothing is kept.
    assert!(!dir.path().join("config/session.json").exists());
    // Once the answer is in, the idle window stops asking for frames (no continuous repaint).
    assert!(harness.try_run().is_ok());
}

/// 3003: a wrong password is reported under the form and the identity stays.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_is_shown_inline_and_keeps_the_identity() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, (ALICE.0, "not-her-password"), false);
    assert_eq!(
        wait_for_login_error(&mut harness),
        "Wrong email or password."
    );
    assert_identity_kept(&harness, ALICE.0);
}

/// 3006: an empty password is reported under the form.
#[tokio::test(flavor = "multi_thread")]
async fn empty_password_is_shown_inline() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    type_into(&mut harness, "Identity", ALICE.0);
    harness.get_by_label("Log in").click();
    harness.step();
    assert_eq!(
        wait_for_login_error(&mut harness),
        "Enter both your email and your password."
    );
    assert_identity_kept(&harness, ALICE.0);
}

/// 3036: after too many failed logins the account is locked, and the app says so.
#[tokio::test(flavor = "multi_thread")]
async fn locked_account_is_shown_inline() {
    let emulator = spawn_emulator_with(EmulatorConfig {
        demo: true,
        failed_logins_lock: 1,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, (ALICE.0, "wrong"), false);
    assert_eq!(
        wait_for_login_error(&mut harness),
        "Wrong email or password."
    );
    // Now even the right password meets the lock.
    harness.get_by_label("Password").focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label("Password").type_text(ALICE.1);
    harness.step();
    harness.get_by_label("Log in").click();
    step_until(&mut harness, "the lock message", |h| {
        h.state()
            .state()
            .login_error()
            .is_some_and(|e| e.contains("locked"))
    });
    wait_for_text(
        &mut harness,
        "This account is locked after too many failed logins",
    );
    assert_identity_kept(&harness, ALICE.0);
}

/// 3090: a disabled account is reported under the form.
#[tokio::test(flavor = "multi_thread")]
async fn disabled_account_is_shown_inline() {
    let emulator = spawn_emulator().await;
    emulator
        .emulator
        .admin()
        .set_user_status(BOB.0, "DISABLED")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, BOB, false);
    assert!(wait_for_login_error(&mut harness).contains("This account is disabled"));
    assert_identity_kept(&harness, BOB.0);
}

/// 2002: a wrong API key in a Custom connection is shown under the form and at the connection settings.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_api_key_is_shown_at_the_connection() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let args = ConnectionArgs {
        api_key: Some("WRONG-KEY".to_owned()),
        ..custom_args(&emulator)
    };
    let mut harness = app(dir.path(), args);
    log_in(&mut harness, ALICE, false);
    let error = wait_for_login_error(&mut harness);
    assert!(
        error.contains("application id or API key is wrong"),
        "{error}"
    );
    assert_eq!(
        harness.state().state().connection_error(),
        Some(error.as_str())
    );
    // Once under the form and once at the connection picker.
    assert_eq!(
        harness
            .query_all_by_label_contains("application id or API key is wrong")
            .count(),
        2
    );
    assert_eq!(
        harness.get_by_label("REST API key").value().as_deref(),
        Some("WRONG-KEY")
    );
    assert_identity_kept(&harness, ALICE.0);
}

/// A server that is not there: a plain "cannot reach" message, the identity stays.
#[tokio::test(flavor = "multi_thread")]
async fn unreachable_server_is_shown_inline() {
    // A port that was just free and is now closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let args = ConnectionArgs {
        server: Some(format!("http://127.0.0.1:{port}")),
        app_id: Some(DEMO_APP_ID.to_owned()),
        api_key: Some(DEMO_API_KEY.to_owned()),
    };
    let mut harness = app(dir.path(), args);
    log_in(&mut harness, ALICE, false);
    assert!(wait_for_login_error(&mut harness).starts_with("Cannot reach the server"));
    assert_identity_kept(&harness, ALICE.0);
}

/// Remember me: a second app instance reopens the session without a login; the token file is owner-only
/// and the settings file holds no token.
#[tokio::test(flavor = "multi_thread")]
async fn remember_me_reopens_the_session_in_a_second_instance() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let mut first = app(dir.path(), custom_args(&emulator));
        log_in(&mut first, ALICE, true);
        wait_for_editor(&mut first, ALICE.0);
    }
    let session_file = dir.path().join("config/session.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&session_file)
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    let remembered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&session_file).unwrap()).unwrap();
    let token = remembered["user_token"].as_str().unwrap();
    let settings = std::fs::read_to_string(dir.path().join("config/settings.json")).unwrap();
    assert!(!settings.contains(token));
    assert!(!settings.contains(ALICE.1));
    // The API key lives in its own owner-only file.
    assert!(!settings.contains(DEMO_API_KEY));

    // No flags this time: the Custom connection comes from the settings file.
    let mut second = app(dir.path(), ConnectionArgs::default());
    wait_for_editor(&mut second, ALICE.0);
}

/// A remembered token the server no longer accepts leads to the login form, identity filled in.
#[tokio::test(flavor = "multi_thread")]
async fn expired_remembered_token_asks_to_log_in_again() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let mut first = app(dir.path(), custom_args(&emulator));
        log_in(&mut first, ALICE, true);
        wait_for_editor(&mut first, ALICE.0);
    }
    emulator.emulator.admin().revoke_tokens(ALICE.0).unwrap();
    let mut second = app(dir.path(), custom_args(&emulator));
    wait_for_text(&mut second, "Your saved session has ended");
    assert_eq!(second.state().state().screen(), Screen::Login);
    assert_identity_kept(&second, ALICE.0);
    assert!(!dir.path().join("config/session.json").exists());
}

/// Logout calls the server (the token stops working) and forgets the remembered token.
#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_the_session_and_forgets_the_token() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, true);
    wait_for_editor(&mut harness, ALICE.0);
    let session_file = dir.path().join("config/session.json");
    let remembered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&session_file).unwrap()).unwrap();
    let token = remembered["user_token"].as_str().unwrap().to_owned();

    harness.get_by_label("Log out").click();
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    assert!(harness.state().editor().is_none());
    assert_identity_kept(&harness, ALICE.0);
    // The worker forgets the token file in the background.
    step_until(&mut harness, "the token file to go", |_| {
        !session_file.exists()
    });
    // The server was told: the token no longer works.
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        let (status, valid) = emulator
            .get(None, &format!("users/isvalidusertoken/{token}"))
            .await;
        assert_eq!(status, 200);
        if valid == serde_json::Value::Bool(false) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the token still works after logout"
        );
        harness.step();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A session that ends during a save (3064) returns to the login form with a clear message, keeps the
/// identity and the edit, and sends the same diff again once the same user has logged in again.
#[tokio::test(flavor = "multi_thread")]
async fn ended_session_during_save_returns_to_login_and_saves_after_login() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);

    harness.get_by_label("name").focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label("name").type_text("Alice Cooper");
    harness.step();
    assert!(harness.state().editor().unwrap().has_pending_edits());

    emulator.emulator.admin().revoke_tokens(ALICE.0).unwrap();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.step();
    harness.step();
    harness.get_by_label("Confirm save").click();
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    wait_for_text(&mut harness, "Your session has ended");
    assert_identity_kept(&harness, ALICE.0);
    assert!(
        harness.state().editor().unwrap().has_pending_edits(),
        "the edit must survive"
    );

    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    step_until(&mut harness, "the retried save", |h| {
        !h.state().editor().unwrap().has_pending_edits()
    });
    let bodies = emulator.recorded_update_bodies();
    assert_eq!(
        bodies.last(),
        Some(&serde_json::json!({ "name": "Alice Cooper" }))
    );
}

/// The connection picker: switching from the Local demo to Custom and typing the server and keys is enough
/// to log in, and the connection (without any secret) is remembered in the settings file.
#[tokio::test(flavor = "multi_thread")]
async fn custom_connection_typed_in_the_picker_is_used_and_remembered() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), ConnectionArgs::default());
    wait_for_text(&mut harness, "Built-in demo server at");
    harness.get_by_label("Custom").click();
    harness.step();
    type_into(&mut harness, "Server URL", &emulator.emulator.origin());
    type_into(&mut harness, "Application ID", DEMO_APP_ID);
    type_into(&mut harness, "REST API key", DEMO_API_KEY);
    // The demo accounts belong to the Local demo only.
    assert!(harness.query_by_label("bob@example.com").is_none());
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    wait_for_text(
        &mut harness,
        &format!("Custom: {}", emulator.emulator.origin()),
    );
    let settings = std::fs::read_to_string(dir.path().join("config/settings.json")).unwrap();
    assert!(settings.contains("\"Custom\""), "{settings}");
    assert!(settings.contains(&emulator.emulator.origin()), "{settings}");
    assert!(!settings.contains(ALICE.1));
    // The API key lives in its own owner-only file.
    assert!(!settings.contains(DEMO_API_KEY));
}

/// The theme switch overrides the system theme at once and is remembered.
#[test]
fn theme_switch_applies_and_is_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let args = ConnectionArgs {
        server: Some("https://api.backendless.com".to_owned()),
        app_id: Some("APP".to_owned()),
        api_key: Some("KEY".to_owned()),
    };
    {
        let mut harness = app(dir.path(), args.clone());
        step_until(&mut harness, "the login form", |h| {
            h.state().state().screen() == Screen::Login
        });
        // --server with the US URL preselects Backendless Cloud (US): in the top bar and in the picker.
        assert_eq!(
            harness.query_all_by_label("Backendless Cloud (US)").count(),
            2
        );
        harness.get_by_label("Dark").click();
        harness.step();
        assert_eq!(harness.ctx.theme(), egui::Theme::Dark);
        // End on Light: with nothing saved, "System" falls back to Dark, so ending on Dark would prove nothing.
        harness.get_by_label("Light").click();
        harness.step();
        assert_eq!(harness.ctx.theme(), egui::Theme::Light);
    }
    // The next run reads the choice back. (Its effect on the context cannot be seen here: kittest sets its
    // own theme, Dark, after the app is built, which is also why ending on Dark proved nothing.)
    let harness = app(dir.path(), args);
    assert_eq!(
        harness.state().settings().theme,
        ThemeChoice::Light,
        "the saved choice, not the fallback"
    );
}

/// `--server URL` alone selects the domain form (`{server}/api/...`), which the emulator also serves.
#[tokio::test(flavor = "multi_thread")]
async fn domain_form_connection_logs_in() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let args = ConnectionArgs {
        server: Some(emulator.emulator.origin()),
        app_id: None,
        api_key: None,
    };
    let mut harness = app(dir.path(), args);
    assert_eq!(
        harness.get_by_label("Application ID").value().as_deref(),
        Some("")
    );
    log_in(&mut harness, BOB, false);
    wait_for_editor(&mut harness, BOB.0);
}

/// One decision for a session's end (issue 14): the own save is in flight (held at its re-read) when the
/// admin's Users browser finds the session ended. The save is not left "Saving…" for ever (its answer, sent
/// with the dead token, is no longer awaited): the editor learns it failed, and once the admin logged in
/// again it is sent again and lands.
#[tokio::test(flavor = "multi_thread")]
async fn an_own_save_in_flight_when_the_users_browser_ends_the_session_lands_after_login() {
    use crate::helpers::ADMIN;
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ADMIN, false);
    wait_for_editor(&mut harness, ADMIN.0);
    harness.get_by_label("name").focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label("name").type_text("Ada Interrupted");
    harness.step();
    let admin_id = emulator.emulator.admin().object_id_of(ADMIN.0).unwrap();
    let reread = emulator.proxy.hold_next(&format!("/data/Users/{admin_id}"));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.step();
    harness.step();
    harness.get_by_label("Confirm save").click();
    harness.step();
    reread.wait_until_arrived(ANSWER_TIMEOUT);
    assert!(harness.state().editor().unwrap().session().is_saving());

    emulator.emulator.admin().revoke_tokens(ADMIN.0).unwrap();
    harness.get_by_label("Users").click();
    step_until(
        &mut harness,
        "the Users browser's request ending the session",
        |h| h.state().state().relogin_pending(),
    );
    reread.release();
    wait_for_text(&mut harness, "not saved yet");
    let own = harness.state().editor().unwrap();
    assert!(!own.session().is_saving(), "not left saving");
    assert!(own.has_pending_edits());

    log_in(&mut harness, ADMIN, false);
    step_until(&mut harness, "the save sent again after the login", |h| {
        h.state()
            .editor()
            .is_some_and(|editor| !editor.has_pending_edits())
    });
    assert_eq!(
        emulator.recorded_update_bodies().last(),
        Some(&serde_json::json!({"name": "Ada Interrupted"}))
    );
}
