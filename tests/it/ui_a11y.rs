//! Issue 14 item (a): every screen of the real app names every control it shows. The whole app (real worker,
//! emulator on port 0) is driven to each screen and dialog (starting, the connection picker with each of
//! its forms, login, sign-up, forgot password, the editor with the top bar and its More menu, review,
//! import, a save conflict, re-login, the unsaved-changes questions, the admin's Users view with the
//! inspector, the record editor, About, History and Change password) and `Harness::check_accessibility`
//! runs on each: kittest runs it only in `run`, which the whole-app tests cannot use while the worker
//! answers, so it is called here (and in `ui_support::step_until`, for every screen any test waits for).

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::state::Screen;
use profile_editor::app::{ABOUT_BUTTON, App, MORE_MENU};
use profile_editor::cli::ConnectionArgs;
use profile_editor::ui::account::CHANGE_PASSWORD_BUTTON;
use profile_editor::ui::history::HISTORY_TITLE;

use crate::helpers::{ADMIN, ALICE};
use crate::ui_support::{
    Rig, app, custom_args, log_in, request_window_close, set_field, step_until, wait_for_editor,
    wait_for_text,
};

/// Steps until `shown` holds, lets the screen settle for a few frames (a grid's first frame is a sizing
/// pass), and checks that every control on it has a name.
fn check_screen(
    harness: &mut Harness<'static, App>,
    what: &str,
    shown: impl Fn(&Harness<'static, App>) -> bool,
) {
    step_until(harness, what, &shown);
    for _ in 0..3 {
        harness.step();
    }
    assert!(shown(harness), "{what} went away while settling");
    harness.check_accessibility();
}

/// Whether a control labelled `label` is shown.
fn has(harness: &Harness<'static, App>, label: &str) -> bool {
    harness.query_by_label(label).is_some()
}

/// Clicks the control labelled `label` and lets the click land.
fn click(harness: &mut Harness<'static, App>, label: &str) {
    harness.get_by_label(label).click();
    harness.step();
}

/// Opens the top bar's More menu and checks it.
fn open_more_menu(harness: &mut Harness<'static, App>, item: &str) {
    click(harness, MORE_MENU);
    check_screen(harness, &format!("the More menu with {item:?}"), |h| {
        h.query_all_by_label(item).count() == 1
    });
}

/// The Local demo's starting screen, the connection picker with each connection's form, the login form,
/// the sign-up form and the forgot-password form.
#[test]
fn the_starting_screen_the_connection_picker_and_the_login_forms_name_every_control() {
    let dir = tempfile::tempdir().unwrap();
    // The Local demo: the app starts its own emulator on a free port, in `dir`.
    let mut harness = app(dir.path(), ConnectionArgs::default());
    assert_eq!(harness.state().state().screen(), Screen::Starting);
    harness.check_accessibility();
    check_screen(&mut harness, "the Local demo's login form", |h| {
        h.state().state().screen() == Screen::Login
            && h.query_all_by_label_contains("Built-in demo server at http://127.0.0.1:")
                .next()
                .is_some()
    });

    click(&mut harness, "Backendless Cloud (US)");
    check_screen(&mut harness, "the Cloud (US) form", |h| {
        has(h, "Application ID") && has(h, "REST API key")
    });
    click(&mut harness, "Backendless Cloud (EU)");
    check_screen(&mut harness, "the Cloud (EU) form", |h| {
        has(h, "Application ID") && has(h, "REST API key")
    });
    click(&mut harness, "Custom");
    check_screen(&mut harness, "the Custom form", |h| {
        has(h, "Server URL") && has(h, "Application ID")
    });
    click(&mut harness, "Local demo");
    check_screen(&mut harness, "the Local demo form again", |h| {
        h.query_by_label("alice@example.com").is_some() && has(h, "Log in")
    });

    click(&mut harness, "Create an account");
    check_screen(&mut harness, "the sign-up form", |h| {
        h.query_by_label("Create account")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    click(&mut harness, "Back to log in");
    check_screen(&mut harness, "the login form after sign-up", |h| {
        has(h, "Log in")
    });

    click(&mut harness, "Forgot password?");
    check_screen(&mut harness, "the forgot-password form", |h| {
        has(h, "Send reset mail")
    });
    click(&mut harness, "Back to log in");
    check_screen(&mut harness, "the login form after forgot password", |h| {
        has(h, "Log in")
    });
}

/// The editor with the top bar and its More menu, About, History, Change password, the review, the
/// unsaved-changes questions (Log out, Reload, Close window) and the re-login prompt.
#[test]
fn the_editor_its_dialogs_and_the_relogin_prompt_name_every_control() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&rig.emulator));
    check_screen(&mut harness, "the Custom connection's login form", |h| {
        h.state().state().screen() == Screen::Login && has(h, "Log in")
    });
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    check_screen(&mut harness, "the editor and the top bar", |h| {
        has(h, "Review & save…") && has(h, "Log out") && has(h, MORE_MENU)
    });

    open_more_menu(&mut harness, ABOUT_BUTTON);
    click(&mut harness, ABOUT_BUTTON);
    check_screen(&mut harness, "About", |h| {
        h.state().about_is_open() && has(h, "Copy diagnostics")
    });
    click(&mut harness, "Close");
    step_until(&mut harness, "About to close", |h| {
        !h.state().about_is_open()
    });

    open_more_menu(&mut harness, HISTORY_TITLE);
    click(&mut harness, HISTORY_TITLE);
    check_screen(&mut harness, "History", |h| {
        h.state().history_window().is_some()
    });
    click(&mut harness, "Close window");
    step_until(&mut harness, "History to close", |h| {
        h.state().history_window().is_none()
    });

    open_more_menu(&mut harness, CHANGE_PASSWORD_BUTTON);
    click(&mut harness, CHANGE_PASSWORD_BUTTON);
    check_screen(&mut harness, "the change-password dialog", |h| {
        h.query_by_label(profile_editor::ui::account::CURRENT_PASSWORD_LABEL)
            .is_some()
    });
    click(&mut harness, "Cancel");
    step_until(&mut harness, "the change-password dialog to close", |h| {
        h.query_by_label(profile_editor::ui::account::CURRENT_PASSWORD_LABEL)
            .is_none()
    });

    set_field(&mut harness, "name", "Alice Accessible");
    click(&mut harness, "Review & save…");
    check_screen(&mut harness, "the review", |h| {
        has(h, "Review changes") && has(h, "Confirm save")
    });
    click(&mut harness, "Cancel");
    step_until(&mut harness, "the review to close", |h| {
        !has(h, "Confirm save")
    });

    click(&mut harness, "Import JSON…");
    check_screen(&mut harness, "the import window", |h| {
        has(h, "File path") && has(h, "Import")
    });
    click(&mut harness, "Close window");
    step_until(&mut harness, "the import window to close", |h| {
        !has(h, "File path")
    });

    click(&mut harness, "Log out");
    check_screen(
        &mut harness,
        "the unsaved-changes question before logging out",
        |h| has(h, "Discard changes") && has(h, "Save"),
    );
    click(&mut harness, "Cancel");
    step_until(&mut harness, "the question to close", |h| {
        !has(h, "Discard changes")
    });

    click(&mut harness, "Reload");
    check_screen(&mut harness, "the question before reloading", |h| {
        has(h, "Discard and reload") && has(h, "Keep editing")
    });
    click(&mut harness, "Keep editing");
    step_until(&mut harness, "the question to close", |h| {
        !has(h, "Keep editing")
    });

    request_window_close(&mut harness);
    check_screen(
        &mut harness,
        "the unsaved-changes question before closing",
        |h| {
            h.query_all_by_label_contains("before you close the window")
                .next()
                .is_some()
                && has(h, "Discard changes")
        },
    );
    click(&mut harness, "Cancel");
    step_until(&mut harness, "the question to close", |h| {
        !has(h, "Discard changes")
    });

    // The admin changes Alice's name meanwhile: her save opens the conflict window.
    rig.runtime.block_on(async {
        let (token, _) = rig.emulator.login_token(ADMIN).await;
        let alice_id = rig.emulator.emulator.admin().object_id_of(ALICE.0).unwrap();
        let body = serde_json::json!({"name": "Alicia Theirs"});
        let (status, reply) = rig.emulator.update(Some(&token), &alice_id, &body).await;
        assert_eq!(status, 200, "{reply}");
    });
    click(&mut harness, "Review & save…");
    step_until(&mut harness, "the review", |h| has(h, "Confirm save"));
    click(&mut harness, "Confirm save");
    check_screen(&mut harness, "the conflict window", |h| {
        has(h, "Changed on the server too") && has(h, "Back to editing")
    });
    click(&mut harness, "Back to editing");
    step_until(&mut harness, "the conflict window to close", |h| {
        !has(h, "Back to editing")
    });

    // Alice logs in elsewhere (one session per user): the app's session ends, found by the next save.
    rig.login(ALICE);
    click(&mut harness, "Review & save…");
    step_until(&mut harness, "the review", |h| has(h, "Confirm save"));
    click(&mut harness, "Confirm save");
    check_screen(&mut harness, "the re-login prompt over the editor", |h| {
        h.state().state().screen() == Screen::Login
            && h.query_all_by_label_contains("Log in again")
                .next()
                .is_some()
            && has(h, "Discard changes and leave")
    });
    wait_for_text(&mut harness, "Your session has ended");
}

/// The admin's Users view, with the inspector open, and the record editor.
#[test]
fn the_users_view_the_inspector_and_the_record_editor_name_every_control() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&rig.emulator));
    log_in(&mut harness, ADMIN, false);
    wait_for_editor(&mut harness, ADMIN.0);
    step_until(&mut harness, "the Users switch", |h| has(h, "Users"));
    click(&mut harness, "Users");
    check_screen(&mut harness, "the Users table", |h| has(h, "Bob Builder"));
    click(&mut harness, "Bob Builder");
    check_screen(&mut harness, "the inspector", |h| has(h, "Edit record"));
    click(&mut harness, "Edit record");
    check_screen(&mut harness, "the record editor", |h| {
        h.state().record_editor().is_some() && has(h, "Editing bob@example.com")
    });
}
