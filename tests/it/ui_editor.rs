//! The property grid driven through the real app (egui_kittest, the real worker, an emulator on port 0 behind
//! the recording proxy): log in through the form, edit in the app's editor, and save as the app saves (the
//! worker's re-read, then the write), asserting at the proxy what was sent; every update error at its place.
//! Errors a live emulator cannot produce on cue (a refused key, no session, no network) come from a server
//! put in its place behind a [`Switch`] the app stays connected to.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::App;
use profile_editor::app::state::Screen;
use profile_editor::model::schema::Schema;
use profile_editor::profile::session::ErrorPlacement;
use profile_editor::ui::editor::EditorView;
use serde_json::json;

use crate::helpers::{ADMIN, ALICE, BOB};
use crate::ui_support::{
    ANSWER_TIMEOUT, Rig, Switch, click, editor_app, editor_app_at, field_text, log_in, open_review,
    own_editor, save_with_review, set_field, settle, step_until, switched_args, text_input,
    wait_for_editor,
};

// ------------------------------------------------------------------------------------------------
// Plumbing

/// The last update body the emulator received.
fn last_body(rig: &Rig) -> serde_json::Value {
    rig.update_bodies()
        .last()
        .cloned()
        .expect("an update was sent")
}

/// The admin's app with the record of the Users row `row` open in the record editor (Users → the row →
/// Edit record), where the password is set directly.
fn record_editor_app(rig: &Rig, dir: &std::path::Path, row: &str) -> Harness<'static, App> {
    let mut harness = editor_app(rig, dir, ADMIN);
    step_until(&mut harness, "the Users switch", |h| {
        h.query_by_label("Users").is_some()
    });
    click(&mut harness, "Users");
    step_until(&mut harness, "the row", |h| h.query_by_label(row).is_some());
    click(&mut harness, row);
    step_until(&mut harness, "the inspector", |h| {
        h.query_by_label("Edit record").is_some()
    });
    click(&mut harness, "Edit record");
    step_until(&mut harness, "the record editor", |h| {
        h.state().record_editor().is_some() && h.query_by_label("Review & save…").is_some()
    });
    settle(&mut harness);
    harness
}

/// The record editor's view.
fn record_view<'h>(harness: &'h Harness<'static, App>) -> &'h EditorView {
    harness
        .state()
        .record_editor()
        .expect("the record editor is open")
        .editor()
}

/// Steps until the record editor's save has been answered.
fn wait_for_record_save(harness: &mut Harness<'static, App>) {
    step_until(harness, "the record's save to start", |h| {
        record_view(h).session().is_saving()
    });
    step_until(harness, "the record's save answer", |h| {
        !record_view(h).session().is_saving()
    });
    settle(harness);
}

/// A server that answers every request with the Backendless error `code` and HTTP `status`, on `rig`'s
/// runtime; returns its origin.
fn error_server(rig: &Rig, status: u16, code: i64, message: &'static str) -> String {
    let listener = rig
        .runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let answer = move || async move {
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            axum::Json(json!({"code": code, "message": message, "errorData": {}})),
        )
    };
    let router = axum::Router::new().fallback(answer);
    rig.runtime.spawn(async move {
        axum::serve(listener, router).await.ok();
    });
    origin
}

/// Alice's app connected through a [`Switch`] to `rig`'s emulator (through the recording proxy).
fn switched_alice(rig: &Rig, dir: &std::path::Path) -> (Switch, Harness<'static, App>) {
    let switch = Switch::start(&rig.runtime, &rig.emulator.origin());
    let harness = editor_app_at(dir, switched_args(&switch), ALICE);
    (switch, harness)
}

// ------------------------------------------------------------------------------------------------
// Editing and saving

/// Editing two fields, reviewing and confirming sends exactly those two keys; the grid is then clean.
#[test]
fn editing_and_saving_sends_only_the_changed_keys() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    set_field(&mut harness, "name", "Alice Pleasance Liddell");
    set_field(&mut harness, "age", "31");
    assert!(own_editor(&harness).has_pending_edits());
    assert!(harness.query_by_label("2 changes").is_some());

    save_with_review(&mut harness);

    assert_eq!(rig.update_bodies().len(), 1);
    assert_eq!(
        last_body(&rig),
        json!({"age": 31, "name": "Alice Pleasance Liddell"})
    );
    let session = own_editor(&harness).session();
    assert!(
        !session.has_pending_edits(),
        "the saved record is the new baseline"
    );
    assert_eq!(session.original().get("age"), Some(&json!(31)));
    assert!(
        harness.query_by_label("Review changes").is_none(),
        "the review closes on confirm"
    );
}

/// The review lists old → new; the password reads "(changed)" and its text appears nowhere (the admin's
/// record editor, where a password is set directly).
#[test]
fn review_shows_old_and_new_and_never_the_password() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = record_editor_app(&rig, dir.path(), "Alice Liddell");
    set_field(&mut harness, "phoneNumber", "555-0199");
    set_field(&mut harness, "New password", "brand-new-pass-7");
    set_field(&mut harness, "Confirm new password", "brand-new-pass-7");
    click(&mut harness, "Review & save…");
    assert!(
        harness.query_by_label("555-0100").is_some(),
        "old value shown"
    );
    assert!(
        harness.query_by_label("555-0199").is_some(),
        "new value shown"
    );
    assert!(harness.query_by_label("(changed)").is_some());
    assert!(
        harness
            .query_by_label_contains("brand-new-pass-7")
            .is_none()
    );
    assert!(
        harness
            .query_all_by_value("brand-new-pass-7")
            .next()
            .is_none(),
        "password fields are masked"
    );

    harness.get_by_label("Confirm save").click();
    wait_for_record_save(&mut harness);
    assert_eq!(
        last_body(&rig),
        json!({"password": "brand-new-pass-7", "phoneNumber": "555-0199"})
    );
    let session = record_view(&harness).session();
    assert!(
        session.password().new.is_empty() && session.password().confirm.is_empty(),
        "not kept after save"
    );
    // The new password works.
    rig.login((ALICE.0, "brand-new-pass-7"));
}

/// Mismatched passwords keep the review closed and say why.
#[test]
fn mismatched_passwords_block_the_review() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = record_editor_app(&rig, dir.path(), "Alice Liddell");
    set_field(&mut harness, "New password", "one-pass-1");
    set_field(&mut harness, "Confirm new password", "two-pass-2");
    assert!(
        harness
            .query_by_label("The two passwords do not match.")
            .is_some()
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    settle(&mut harness);
    assert!(harness.query_by_label("Review changes").is_none());
    assert!(
        harness
            .query_by_label_contains("Fix before saving: password")
            .is_some()
    );
    assert!(rig.update_bodies().is_empty());
}

/// Letters typed into a number field stay as typed and are refused at the field (issue 10 item 5: never
/// drop a keystroke silently); digits are taken.
#[test]
fn number_fields_refuse_non_numbers() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    let type_at_end = |harness: &mut Harness<'static, App>, text: &str| {
        text_input(harness, "age").unwrap().click();
        settle(harness);
        // Where a click puts the cursor depends on the layout; End puts it after the text.
        harness.key_press(egui::Key::End);
        settle(harness);
        text_input(harness, "age").unwrap().type_text(text);
        settle(harness);
    };
    type_at_end(&mut harness, "x");
    assert_eq!(field_text(&harness, "age"), "30x", "the letter is kept");
    assert!(
        harness
            .query_by_label_contains("is not a whole number")
            .is_some()
    );
    set_field(&mut harness, "age", "30");
    type_at_end(&mut harness, "1");
    assert_eq!(field_text(&harness, "age"), "301", "a digit is accepted");
    // A number in the wrong shape is kept but blocks saving, with the reason at the field.
    set_field(&mut harness, "score", "1.2.3");
    assert!(harness.query_by_label_contains("is not a number").is_some());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    settle(&mut harness);
    assert!(harness.query_by_label("Review changes").is_none());
    assert!(rig.update_bodies().is_empty());
}

/// The null toggle sends null; an emptied text sends ""; both are visibly different in the grid.
#[test]
fn null_and_empty_are_sent_differently() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    click(&mut harness, "phoneNumber is null");
    set_field(&mut harness, "address", "");
    assert_eq!(
        text_input(&harness, "phoneNumber")
            .unwrap()
            .value()
            .as_deref(),
        Some(""),
        "null empties the input (typing into it clears null)"
    );
    assert!(
        own_editor(&harness)
            .session()
            .field("phoneNumber")
            .unwrap()
            .is_null
    );
    save_with_review(&mut harness);
    assert_eq!(last_body(&rig), json!({"address": "", "phoneNumber": null}));
    let original = own_editor(&harness).session().original().clone();
    assert_eq!(original.get("phoneNumber"), Some(&serde_json::Value::Null));
    assert_eq!(original.get("address"), Some(&json!("")));
}

/// Tri-state boolean, local date-time and JSON with live validity all save as their types.
#[test]
fn boolean_datetime_and_json_save_typed() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    click(&mut harness, "newsletter false");
    set_field(&mut harness, "birthday", "2001-02-03 04:05:06 UTC");
    assert!(
        harness
            .query_by_label_contains("UTC 2001-02-03 04:05:06 UTC")
            .is_some(),
        "UTC is shown"
    );
    set_field(&mut harness, "preferences", "{\"theme\": ");
    assert!(harness.query_by_label_contains("not valid JSON").is_some());
    set_field(&mut harness, "preferences", "{\"theme\": \"light\"}");
    assert!(harness.query_by_label("Valid JSON").is_some());
    save_with_review(&mut harness);
    assert_eq!(
        last_body(&rig),
        json!({"birthday": 981_173_106_000_i64, "newsletter": false, "preferences": {"theme": "light"}})
    );
}

/// Revert one and revert all from the grid; the filter hides rows by name.
#[test]
fn revert_and_filter() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    set_field(&mut harness, "name", "Changed");
    set_field(&mut harness, "age", "40");
    click(&mut harness, "Revert name");
    assert_eq!(field_text(&harness, "name"), "Alice Liddell");
    assert!(own_editor(&harness).session().is_dirty("age"));
    click(&mut harness, "Revert all");
    assert!(!own_editor(&harness).has_pending_edits());

    set_field(&mut harness, "Filter", "PHONE");
    assert!(text_input(&harness, "phoneNumber").is_some());
    assert!(text_input(&harness, "age").is_none());
    assert!(harness.query_by_label("objectId").is_none());
}

/// System fields are readable but have no input.
#[test]
fn system_fields_are_read_only() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let harness = editor_app(&rig, dir.path(), ALICE);
    let object_id = own_editor(&harness)
        .session()
        .original()
        .object_id()
        .to_owned();
    assert!(harness.query_by_label("objectId").is_some());
    assert!(
        harness.query_all_by_label(&object_id).next().is_some(),
        "the objectId value is shown"
    );
    assert!(text_input(&harness, "objectId").is_none());
    assert!(text_input(&harness, "created").is_none());
    assert!(text_input(&harness, "email").is_some());
}

/// A new property is added with a validated name and saved with its type.
#[test]
fn adding_a_property_saves_it_with_its_type() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    set_field(&mut harness, "Name", "Email");
    assert!(
        harness
            .query_by_label("A property with this name already exists.")
            .is_some()
    );
    assert!(
        harness
            .get_by_label("Add property")
            .accesskit_node()
            .is_disabled()
    );
    set_field(&mut harness, "Name", "level");
    click(&mut harness, "New property type INT");
    set_field(&mut harness, "Value", "7");
    click(&mut harness, "Add property");
    assert_eq!(own_editor(&harness).session().new_properties().len(), 1);
    save_with_review(&mut harness);
    assert_eq!(last_body(&rig), json!({"level": 7}));
    let session = own_editor(&harness).session();
    assert!(
        session.is_editable("level"),
        "the saved property becomes an ordinary row"
    );
    assert!(!session.has_pending_edits());
}

/// While a save is in flight (the write held at the proxy): a spinner, Save disabled, and fields still
/// editable; editing mid-save sends no second save, and the later edit stays pending.
#[test]
fn saving_shows_progress_and_keeps_fields_editable() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    let alice_id = own_editor(&harness)
        .session()
        .original()
        .object_id()
        .to_owned();
    let held = rig.emulator.proxy.hold_next(&format!("/users/{alice_id}"));
    set_field(&mut harness, "name", "In flight");
    open_review(&mut harness);
    harness.get_by_label("Confirm save").click();
    step_until(&mut harness, "the save to start", |h| {
        own_editor(h).session().is_saving()
    });
    held.wait_until_arrived(ANSWER_TIMEOUT);
    // The spinner animates, so step instead of waiting for the UI to settle.
    harness.run_steps(3);
    assert!(own_editor(&harness).session().is_saving());
    assert!(harness.query_by_label("Saving…").is_some());
    assert!(
        harness
            .get_by_label("Review & save…")
            .accesskit_node()
            .is_disabled()
    );
    text_input(&harness, "age")
        .unwrap()
        .set_text_value_accesskit("44");
    harness.run_steps(2);
    harness.check_accessibility();
    assert_eq!(field_text(&harness, "age"), "44");

    held.release();
    step_until(&mut harness, "the save's answer", |h| {
        !own_editor(h).session().is_saving()
    });
    assert_eq!(
        rig.update_bodies(),
        [json!({"name": "In flight"})],
        "one save, not another"
    );
    let session = own_editor(&harness).session();
    assert!(!session.is_dirty("name") && session.is_dirty("age"));
}

// ------------------------------------------------------------------------------------------------
// Update errors, each at its place; edits survive every one.

/// 3018: another user's email, shown at the email field; editing the field clears the error.
#[test]
fn identity_taken_3018_shows_at_the_email_field() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    set_field(&mut harness, "email", BOB.0);
    save_with_review(&mut harness);
    let session = own_editor(&harness).session();
    assert!(session.server_error("email").is_some());
    assert_eq!(session.server_error_fields(), ["email"]);
    assert!(session.banner().is_none());
    assert!(
        harness
            .query_by_label_contains("already used by another account")
            .is_some()
    );
    assert_eq!(field_text(&harness, "email"), BOB.0, "the edit survives");
    set_field(&mut harness, "email", "alice.l@example.com");
    assert!(
        own_editor(&harness)
            .session()
            .server_error("email")
            .is_none()
    );
    assert!(
        harness
            .query_by_label_contains("already used by another account")
            .is_none()
    );
}

/// 3045: the emptied required name is marked at the name field.
#[test]
fn required_empty_3045_shows_at_the_name_field() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    set_field(&mut harness, "name", "");
    set_field(&mut harness, "age", "33");
    save_with_review(&mut harness);
    assert_eq!(last_body(&rig), json!({"age": 33, "name": ""}));
    let session = own_editor(&harness).session();
    assert_eq!(session.server_error_fields(), ["name"]);
    assert!(
        harness
            .query_by_label_contains("A required property cannot be empty")
            .is_some()
    );
    assert_eq!(field_text(&harness, "age"), "33");
    assert!(session.is_dirty("name") && session.is_dirty("age"));
}

/// 3031: with dynamic schema off, the new property carries the error.
#[test]
fn dynamic_schema_off_3031_shows_at_the_new_property() {
    let rig = Rig::new();
    rig.emulator.emulator.admin().set_dynamic_schema(false);
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    set_field(&mut harness, "Name", "nickname");
    set_field(&mut harness, "Value", "Al");
    click(&mut harness, "Add property");
    save_with_review(&mut harness);
    let session = own_editor(&harness).session();
    assert_eq!(session.server_error_fields(), ["nickname"]);
    assert_eq!(
        session.new_properties().len(),
        1,
        "the new property is kept"
    );
    assert!(
        harness
            .query_by_label_contains("does not accept new properties")
            .is_some()
    );
}

/// 3024 naming a property: a JSON value nested deeper than the server takes, at that field.
#[test]
fn type_error_3024_shows_at_the_field() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
    set_field(&mut harness, "preferences", &deep);
    save_with_review(&mut harness);
    assert_eq!(
        last_body(&rig),
        json!({"preferences": serde_json::from_str::<serde_json::Value>(&deep).unwrap()})
    );
    let session = own_editor(&harness).session();
    assert_eq!(session.server_error_fields(), ["preferences"]);
    assert!(session.banner().is_none());
    assert_eq!(field_text(&harness, "preferences"), deep);
}

/// 3029 (not your record) from the server during a save: a banner, not retryable.
#[test]
fn not_your_record_3029_is_a_banner() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let (switch, mut harness) = switched_alice(&rig, dir.path());
    let refusing = error_server(&rig, 400, 3029, "Cannot modify a user that is not yours.");
    switch.set_target(Some(&refusing));
    set_field(&mut harness, "name", "Bobby");
    save_with_review(&mut harness);
    let session = own_editor(&harness).session();
    let banner = session.banner().expect("a banner");
    assert!(!banner.retryable);
    assert!(session.server_error_fields().is_empty());
    assert!(
        harness
            .query_by_label_contains("only your own record")
            .is_some()
    );
    assert!(harness.query_by_label("Retry").is_none());
    assert_eq!(field_text(&harness, "name"), "Bobby");
}

/// 3030: the admin deleted the user meanwhile: a banner.
#[test]
fn deleted_user_3030_is_a_banner() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    let object_id = own_editor(&harness)
        .session()
        .original()
        .object_id()
        .to_owned();
    assert!(
        rig.emulator
            .emulator
            .admin()
            .delete_user(&object_id)
            .unwrap()
    );
    set_field(&mut harness, "name", "Ghost");
    save_with_review(&mut harness);
    assert!(own_editor(&harness).session().banner().is_some());
    assert!(
        harness
            .query_by_label_contains("no longer exists")
            .is_some()
    );
    assert_eq!(field_text(&harness, "name"), "Ghost");
}

/// 3064: the token was revoked: the session ends, the edits stay, and the same save goes through after
/// the user logs in again in the prompt over the editor.
#[test]
fn revoked_token_3064_ends_the_session_and_keeps_the_edits() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    rig.emulator
        .emulator
        .admin()
        .revoke_tokens(ALICE.0)
        .unwrap();
    set_field(&mut harness, "name", "Still mine");
    save_with_review(&mut harness);
    let session = own_editor(&harness).session();
    assert!(session.session_ended());
    assert!(session.retry_changes().is_some());
    assert_eq!(field_text(&harness, "name"), "Still mine");
    assert!(
        harness
            .query_by_label_contains("Your session has ended")
            .is_some()
    );
    assert_eq!(harness.state().state().screen(), Screen::Login);

    // The user logs in again in the prompt; the app retries the save once.
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    step_until(&mut harness, "the retried save", |h| {
        !own_editor(h).has_pending_edits()
    });
    assert_eq!(last_body(&rig), json!({"name": "Still mine"}));
}

/// 3028 (not logged in) from the server is session-ending too.
#[test]
fn missing_token_3028_is_session_ending() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let (switch, mut harness) = switched_alice(&rig, dir.path());
    let refusing = error_server(&rig, 401, 3028, "User is not logged in.");
    switch.set_target(Some(&refusing));
    set_field(&mut harness, "name", "Anon");
    save_with_review(&mut harness);
    assert!(own_editor(&harness).session().session_ended());
    assert_eq!(field_text(&harness, "name"), "Anon");
}

/// 2002: a refused API key is a banner (the connection is wrong, not a field).
#[test]
fn wrong_api_key_2002_is_a_banner() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let (switch, mut harness) = switched_alice(&rig, dir.path());
    let refusing = error_server(&rig, 401, 2002, "Invalid application info.");
    switch.set_target(Some(&refusing));
    set_field(&mut harness, "name", "Keyless");
    save_with_review(&mut harness);
    let session = own_editor(&harness).session();
    assert!(session.banner().is_some());
    assert!(!session.session_ended());
    assert!(
        harness
            .query_all_by_label_contains("API key is wrong")
            .next()
            .is_some()
    );
    assert_eq!(field_text(&harness, "name"), "Keyless");
}

/// A network failure shows a banner with Retry; Retry re-sends the same changes.
#[test]
fn network_failure_offers_retry_of_the_same_save() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let (switch, mut harness) = switched_alice(&rig, dir.path());
    switch.set_target(None);
    set_field(&mut harness, "name", "Offline edit");
    save_with_review(&mut harness);
    let session = own_editor(&harness).session();
    assert!(session.banner().is_some_and(|banner| banner.retryable));
    assert!(
        harness
            .query_by_label_contains("Cannot reach the server")
            .is_some()
    );
    assert_eq!(field_text(&harness, "name"), "Offline edit");
    assert!(rig.update_bodies().is_empty());

    // Typing more does not change what Retry sends: the same save.
    set_field(&mut harness, "age", "50");
    switch.set_target(Some(&rig.emulator.origin()));
    harness.get_by_label("Retry").click();
    crate::ui_support::wait_for_save(&mut harness);
    assert_eq!(last_body(&rig), json!({"name": "Offline edit"}));
    let session = own_editor(&harness).session();
    assert!(session.banner().is_none());
    assert!(
        !session.is_dirty("name") && session.is_dirty("age"),
        "the later edit is still pending"
    );
}

/// The session-ending classification is on the view's session, the same the app reads (no harness: the
/// client's error fed to the view).
#[test]
fn session_ending_classification_is_exposed() {
    let rig = Rig::new();
    let (record, token) = rig.login(ALICE);
    let schema = Schema::from_descriptors(rig.descriptors(&token));
    let mut view = EditorView::new(schema, record, ALICE.0.into());
    let mut session = view.session().clone();
    session.set_text("name", "X");
    let changes = session.changeset().unwrap();
    rig.emulator
        .emulator
        .admin()
        .revoke_tokens(ALICE.0)
        .unwrap();
    let error = rig
        .runtime
        .block_on(rig.client().update_user(
            Some(&token),
            view.session().original().object_id(),
            &changes,
        ))
        .unwrap_err();
    assert!(error.is_session_ending());
    assert_eq!(
        session.apply_save_error(&error, &changes),
        ErrorPlacement::SessionEnded
    );
    view.save_failed(&error);
    assert!(view.session().session_ended());
}
