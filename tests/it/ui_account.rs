//! issue 12, the user's account flows through the whole app (egui_kittest, real worker, emulator on port 0):
//! sign up from the login screen (typed form, errors at their field, hidden when the server takes no
//! sign-ups), "Forgot password?" (the mail, the Local demo's outbox, 3020 at the field) and "Change
//! password" (the current one checked first: with the CloudCode key through `verifypassowrd`, without it by
//! logging in again and carrying on with the new session).

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::settings::RememberedSession;
use profile_editor::app::state::Screen;
use profile_editor::app::{App, MORE_MENU};
use profile_editor::backendless::client::Password;
use profile_editor::cli::{ConnectionArgs, DEMO_API_KEY, DEMO_APP_ID, DEMO_CLOUDCODE_KEY};
use profile_editor::emulator::EmulatorConfig;
use profile_editor::ui::account::{
    CHANGE_PASSWORD_BUTTON, CONFIRM_PASSWORD_LABEL, CURRENT_PASSWORD_LABEL, NEW_PASSWORD_LABEL,
    PASSWORD_CHANGED, REGISTRATION_CLOSED, SET_PASSWORD_BUTTON, SIGN_UP_CONFIRM_LABEL,
    SIGN_UP_PASSWORD_LABEL, WRONG_CURRENT,
};
use profile_editor::ui::editor::CHANGE_PASSWORD_IN_EDITOR;

use crate::helpers::{ALICE, TestEmulator, spawn_emulator, spawn_emulator_with};
use crate::ui_support::{
    app, custom_args, log_in, settings_with_cloudcode_key, step_until, type_into, wait_for_editor,
    wait_for_text,
};

/// The requests the recording proxy saw with this method whose path (without the query) ends with `suffix`.
fn sent(emulator: &TestEmulator, method: &str, suffix: &str) -> Vec<(String, serde_json::Value)> {
    emulator
        .proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.split('?').next().unwrap().ends_with(suffix))
        .map(|r| {
            let body = serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
            (r.path, body)
        })
        .collect()
}

/// Waits for the login form, then opens the sign-up card and waits for its typed form.
fn open_sign_up(harness: &mut Harness<'static, App>) {
    step_until(harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    harness.get_by_label("Create an account").click();
    step_until(harness, "the sign-up form", |h| {
        h.query_by_label("Create account")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
            || h.query_all_by_label_contains("registration is turned off")
                .next()
                .is_some()
    });
}

fn fill_sign_up(harness: &mut Harness<'static, App>, email: &str, name: &str, password: &str) {
    type_into(harness, "email", email);
    if !name.is_empty() {
        type_into(harness, "name", name);
    }
    type_into(harness, SIGN_UP_PASSWORD_LABEL, password);
    type_into(harness, SIGN_UP_CONFIRM_LABEL, password);
    harness.get_by_label("Create account").click();
    harness.step();
}

/// The text of a node whose label contains `text`, once it shows.
fn shown(harness: &mut Harness<'static, App>, text: &str) -> String {
    wait_for_text(harness, text);
    harness
        .query_all_by_label_contains(text)
        .next()
        .and_then(|n| {
            n.accesskit_node()
                .label()
                .or_else(|| n.accesskit_node().value())
        })
        .unwrap_or_default()
}

/// A new user signs up from the login screen with the form the schema asks for (the identity, the required
/// `name`, a password twice) and lands in the editor of the new account, logged in.
#[tokio::test(flavor = "multi_thread")]
async fn sign_up_creates_the_account_and_logs_it_in() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    open_sign_up(&mut harness);
    fill_sign_up(
        &mut harness,
        "carol@example.com",
        "Carol Jones",
        "carol-pass-1",
    );
    wait_for_editor(&mut harness, "carol@example.com");
    assert!(harness.query_all_by_value("Carol Jones").next().is_some());
    let registered = sent(&emulator, "POST", "/users/register");
    let (_, body) = registered.last().unwrap();
    assert_eq!(body["email"], "carol@example.com");
    assert_eq!(body["name"], "Carol Jones");
    // The form asked the server only what the schema describes (no session), then registered once.
    assert!(!sent(&emulator, "GET", "/users/userclassprops").is_empty());
}

/// Errors show where they belong: a required property left empty at its field before anything is sent; a
/// taken identity (3033) at the identity field; what was typed stays.
#[tokio::test(flavor = "multi_thread")]
async fn sign_up_errors_show_at_their_field_and_keep_the_typing() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    open_sign_up(&mut harness);
    let before = sent(&emulator, "POST", "/users/register").len();
    fill_sign_up(&mut harness, ALICE.0, "", "x-pass-1");
    wait_for_text(&mut harness, "Enter your name.");
    assert_eq!(sent(&emulator, "POST", "/users/register").len(), before);

    type_into(&mut harness, "name", "Another Alice");
    type_into(&mut harness, SIGN_UP_PASSWORD_LABEL, "x-pass-1");
    type_into(&mut harness, SIGN_UP_CONFIRM_LABEL, "x-pass-1");
    harness.get_by_label("Create account").click();
    let error = shown(&mut harness, "already exists");
    assert_eq!(
        error,
        "An account with that email already exists. Log in instead."
    );
    // At the identity field: below it, above the next field.
    let at = harness.get_by_label(&error).rect();
    let email = harness.get_by_label("email").rect();
    let name = harness.get_by_label("name").rect();
    assert!(
        at.top() >= email.bottom() && at.bottom() <= name.top(),
        "the error at {at:?} is not between the email field {email:?} and the name field {name:?}"
    );
    assert_eq!(sent(&emulator, "POST", "/users/register").len(), before + 1);
    assert_eq!(harness.state().state().screen(), Screen::Login);
    assert_eq!(
        harness.get_by_label("email").value().as_deref(),
        Some(ALICE.0)
    );
    assert_eq!(
        harness.get_by_label("name").value().as_deref(),
        Some("Another Alice")
    );
}

/// With registration off the server answers 3009: the sign-up card says so plainly with the form disabled,
/// and the login form offers sign-up no more.
#[tokio::test(flavor = "multi_thread")]
async fn sign_up_is_not_offered_when_the_server_takes_none() {
    let emulator = spawn_emulator_with(EmulatorConfig {
        demo: true,
        registration: false,
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    open_sign_up(&mut harness);
    wait_for_text(&mut harness, REGISTRATION_CLOSED);
    assert!(
        harness
            .get_by_label("Create account")
            .accesskit_node()
            .is_disabled()
    );
    harness.get_by_label("Back to log in").click();
    step_until(&mut harness, "the login form", |h| {
        h.query_by_label("Log in").is_some()
    });
    assert!(harness.query_by_label("Create an account").is_none());
    assert!(harness.query_by_label("Forgot password?").is_some());
}

/// "Forgot password?" on the Local demo: the identity typed at the login form is taken over, the server
/// accepts it, and the app says in plain words that the mail went out and where the demo keeps it; the
/// outbox there holds the mail to Alice.
#[test]
fn forgot_password_on_the_local_demo_says_where_the_mail_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), ConnectionArgs::default());
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login && h.query_by_label("Log in").is_some()
    });
    type_into(&mut harness, "Identity", ALICE.0);
    open_forgot(&mut harness);
    assert_eq!(
        harness.get_by_label("Identity").value().as_deref(),
        Some(ALICE.0)
    );
    harness.get_by_label("Send reset mail").click();
    shown(
        &mut harness,
        "A mail with a link to set a new password was sent",
    );
    let outbox = shown(&mut harness, "/_emulator/outbox");
    assert!(outbox.starts_with("http://127.0.0.1:"), "{outbox}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mails: serde_json::Value =
        runtime.block_on(async { reqwest::get(&outbox).await.unwrap().json().await.unwrap() });
    assert_eq!(mails[0]["to"], ALICE.0, "{mails}");
}

/// 3020: an identity no account has is said at the field, and nothing is claimed to be sent.
#[tokio::test(flavor = "multi_thread")]
async fn forgot_password_for_an_unknown_identity_says_so_at_the_field() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    open_forgot(&mut harness);
    type_into(&mut harness, "Identity", "nobody@example.com");
    harness.get_by_label("Send reset mail").click();
    shown(&mut harness, "No account is registered under that name");
    assert!(
        harness
            .query_all_by_label_contains("was sent")
            .next()
            .is_none()
    );
    let asked = sent(
        &emulator,
        "GET",
        "/users/restorepassword/nobody@example.com",
    );
    assert_eq!(asked.len(), 1);
}

/// Opens the forgot-password card.
fn open_forgot(harness: &mut Harness<'static, App>) {
    harness.get_by_label("Forgot password?").click();
    step_until(harness, "the forgot-password form", |h| {
        h.query_by_label("Send reset mail").is_some()
    });
}

/// Opens the change-password dialog and types the three passwords, then sends.
fn change_password(harness: &mut Harness<'static, App>, current: &str, new: &str) {
    if harness.query_by_label(CURRENT_PASSWORD_LABEL).is_none() {
        harness.get_by_label(MORE_MENU).click();
        harness.run();
        harness.get_by_label(CHANGE_PASSWORD_BUTTON).click();
        step_until(harness, "the change-password dialog", |h| {
            h.query_by_label(CURRENT_PASSWORD_LABEL).is_some()
        });
    }
    for (label, text) in [
        (CURRENT_PASSWORD_LABEL, current),
        (NEW_PASSWORD_LABEL, new),
        (CONFIRM_PASSWORD_LABEL, new),
    ] {
        harness.get_by_label(label).focus();
        harness.step();
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.get_by_label(label).type_text(text);
        harness.step();
    }
    harness.get_by_label(SET_PASSWORD_BUTTON).click();
    harness.step();
}

/// Whether `password` logs Alice in now.
async fn alice_logs_in_with(emulator: &TestEmulator, password: &str) -> bool {
    let client = profile_editor::backendless::Client::new(
        profile_editor::backendless::Endpoint::parse(
            &emulator.emulator.origin(),
            Some(DEMO_APP_ID),
            Some(DEMO_API_KEY),
        )
        .unwrap(),
    );
    client
        .login(ALICE.0, &Password::new(password.to_owned()))
        .await
        .is_ok()
}

/// With the CloudCode key the current password is checked through `verifypassowrd` before the new one is
/// sent: a wrong one is said at its field and nothing changes; the right one changes the password.
#[tokio::test(flavor = "multi_thread")]
async fn change_password_with_the_cloudcode_key_checks_the_current_one_first() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    settings_with_cloudcode_key(dir.path(), &emulator);
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    let object_id = harness.state().state().session().unwrap().object_id.clone();
    let token = harness
        .state()
        .state()
        .session()
        .unwrap()
        .user_token
        .clone();

    change_password(&mut harness, "not-her-password", "alice-pass-2");
    shown(&mut harness, WRONG_CURRENT);
    let checks = sent(&emulator, "POST", "/users/verifypassowrd");
    assert_eq!(checks.len(), 1);
    assert!(checks[0].0.contains(DEMO_CLOUDCODE_KEY), "{}", checks[0].0);
    assert!(sent(&emulator, "PUT", &format!("/users/{object_id}")).is_empty());

    change_password(&mut harness, ALICE.1, "alice-pass-2");
    shown(&mut harness, PASSWORD_CHANGED);
    let updates = sent(&emulator, "PUT", &format!("/users/{object_id}"));
    assert_eq!(updates.len(), 1);
    assert_eq!(
        updates[0].1,
        serde_json::json!({"password": "alice-pass-2"})
    );
    // The session went on as it was (no second login was needed).
    assert_eq!(harness.state().state().session().unwrap().user_token, token);
    assert!(alice_logs_in_with(&emulator, "alice-pass-2").await);
    assert!(!alice_logs_in_with(&emulator, ALICE.1).await);
}

/// Without the CloudCode key the current password is checked by logging in with it: a wrong one is said
/// at its field and nothing changes; the right one opens a new session, which the app carries on with (the
/// remembered session too), and the new password is set with it.
#[tokio::test(flavor = "multi_thread")]
async fn change_password_without_the_key_logs_in_again_and_carries_on() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, true);
    wait_for_editor(&mut harness, ALICE.0);
    let session = harness.state().state().session().unwrap().clone();
    let logins = sent(&emulator, "POST", "/users/login").len();

    change_password(&mut harness, "not-her-password", "alice-pass-2");
    shown(&mut harness, WRONG_CURRENT);
    assert!(sent(&emulator, "PUT", &format!("/users/{}", session.object_id)).is_empty());
    assert_eq!(sent(&emulator, "POST", "/users/login").len(), logins + 1);

    change_password(&mut harness, ALICE.1, "alice-pass-2");
    shown(&mut harness, PASSWORD_CHANGED);
    let fresh = harness.state().state().session().unwrap().clone();
    assert_ne!(fresh.user_token, session.user_token);
    let remembered = RememberedSession::load(&dir.path().join("config")).unwrap();
    assert_eq!(remembered.user_token, fresh.user_token.expose());
    // The update went with the new session.
    let updates = sent(&emulator, "PUT", &format!("/users/{}", session.object_id));
    assert_eq!(updates.len(), 1);
    assert_eq!(
        updates[0].1,
        serde_json::json!({"password": "alice-pass-2"})
    );
    // The app carries on with a session the server knows (the old one ended with the second login).
    let (status, _) = emulator
        .get(
            Some(fresh.user_token.expose()),
            &format!("data/Users/{}", session.object_id),
        )
        .await;
    assert_eq!(status, 200);
    harness.get_by_label("Close").click();
    harness.step();
    assert_eq!(harness.state().state().screen(), Screen::Editor);
    assert!(alice_logs_in_with(&emulator, "alice-pass-2").await);
}

/// One's own profile offers only the checked change: the editor has no new-password fields (they would
/// set a password without the current one), and its button opens the dialog that asks for it first.
#[tokio::test(flavor = "multi_thread")]
async fn the_own_profile_offers_only_the_checked_password_change() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    assert!(harness.query_by_label("New password").is_none());
    assert!(harness.query_by_label(CURRENT_PASSWORD_LABEL).is_none());
    harness.get_by_label(CHANGE_PASSWORD_IN_EDITOR).click();
    step_until(&mut harness, "the change-password dialog", |h| {
        h.query_by_label(CURRENT_PASSWORD_LABEL).is_some()
    });
}
