//! The property grid (`ui::editor::EditorView`) driven with egui_kittest against a real in-process emulator:
//! edit, review and save (asserting at the emulator what was sent), and every update error at its place.
//! The test plays the app's part: an `EditorAction::Save` is sent with the real `Client::update_user`, and
//! the answer is fed back through `save_succeeded` / `save_failed`.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::backendless::client::{Client, UserToken};
use profile_editor::backendless::endpoint::Endpoint;
use profile_editor::cli::{DEMO_API_KEY, DEMO_APP_ID};
use profile_editor::model::schema::Schema;
use profile_editor::profile::session::ErrorPlacement;
use profile_editor::ui::editor::{EditorAction, EditorView};
use serde_json::json;

use crate::helpers::{ALICE, BOB};
use crate::ui_support::{
    EditorHost, Rig, editor_harness as harness, set_text, text_input, text_of,
};

// ------------------------------------------------------------------------------------------------
// Plumbing: an emulator on its own runtime, and a harness state that performs the saves.

impl Rig {
    /// The editor state for `user`, logged in, with the described schema.
    fn editor_for(&self, user: (&str, &str)) -> EditorState {
        let (record, token) = self.login(user);
        EditorState::new(
            self,
            EditorView::new(self.schema(&token), record, user.0.to_owned()),
            token,
        )
    }

    /// The editor of `user`'s record as an admin's record editor shows it: the password set directly.
    fn direct_password_editor_for(&self, user: (&str, &str)) -> EditorState {
        let (record, token) = self.login(user);
        EditorState::new(
            self,
            EditorView::new(self.schema(&token), record, user.0.to_owned())
                .with_direct_password_change(),
            token,
        )
    }
}

/// What the harness holds: the view plus what the app would hold to perform its actions.
struct EditorState {
    view: EditorView,
    client: Client,
    token: Option<UserToken>,
    handle: tokio::runtime::Handle,
    /// Actions other than Save, in order.
    actions: Vec<EditorAction>,
    /// Saves sent so far; also the request id counter.
    saves: u64,
    /// When false, a Save is only recorded (to look at the in-flight state).
    perform_saves: bool,
}

impl EditorState {
    fn new(rig: &Rig, view: EditorView, token: UserToken) -> Self {
        Self {
            view,
            client: rig.client(),
            token: Some(token),
            handle: rig.runtime.handle().clone(),
            actions: Vec::new(),
            saves: 0,
            perform_saves: true,
        }
    }

    fn handle(&mut self, action: EditorAction) {
        match action {
            EditorAction::Save { object_id, changes } => {
                self.saves += 1;
                self.view.save_started(self.saves);
                if !self.perform_saves {
                    return;
                }
                let result = self.handle.block_on(self.client.update_user(
                    self.token.as_ref(),
                    &object_id,
                    &changes,
                ));
                match result {
                    Ok(record) => self.view.save_succeeded(record),
                    Err(error) => self.view.save_failed(&error),
                }
            }
            other => self.actions.push(other),
        }
    }
}

impl EditorHost for EditorState {
    fn view(&self) -> &EditorView {
        &self.view
    }

    fn view_mut(&mut self) -> &mut EditorView {
        &mut self.view
    }

    fn perform(&mut self, action: EditorAction) {
        self.handle(action);
    }
}

/// Opens the review with Ctrl+S and confirms it.
fn save_with_review(harness: &mut Harness<'_, EditorState>) {
    open_review_and_confirm(harness);
    harness.run();
}

/// Opens the review with Ctrl+S and clicks "Confirm save" (the next frame sends it).
fn open_review_and_confirm(harness: &mut Harness<'_, EditorState>) {
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    assert!(
        harness.query_by_label("Review changes").is_some(),
        "Ctrl+S opens the review"
    );
    harness.get_by_label("Confirm save").click();
}

/// The last update body the emulator received.
fn last_body(rig: &Rig) -> serde_json::Value {
    rig.update_bodies()
        .last()
        .cloned()
        .expect("an update was sent")
}

// ------------------------------------------------------------------------------------------------
// Editing and saving

/// Editing two fields, reviewing and confirming sends exactly those two keys; the grid is then clean.
#[test]
fn editing_and_saving_sends_only_the_changed_keys() {
    let rig = Rig::new();
    let mut harness = harness(rig.editor_for(ALICE));
    set_text(&mut harness, "name", "Alice Pleasance Liddell");
    set_text(&mut harness, "age", "31");
    assert!(harness.state().view.has_pending_edits());
    assert!(harness.query_by_label("2 changes").is_some());

    save_with_review(&mut harness);

    assert_eq!(rig.update_bodies().len(), 1);
    assert_eq!(
        last_body(&rig),
        json!({"age": 31, "name": "Alice Pleasance Liddell"})
    );
    let session = harness.state().view.session();
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

/// The review lists old → new; the password reads "(changed)" and its text appears nowhere.
#[test]
fn review_shows_old_and_new_and_never_the_password() {
    let rig = Rig::new();
    let mut harness = harness(rig.direct_password_editor_for(ALICE));
    set_text(&mut harness, "phoneNumber", "555-0199");
    set_text(&mut harness, "New password", "brand-new-pass-7");
    set_text(&mut harness, "Confirm new password", "brand-new-pass-7");
    harness.get_by_label("Review & save…").click();
    harness.run();
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
    harness.run();
    assert_eq!(
        last_body(&rig),
        json!({"password": "brand-new-pass-7", "phoneNumber": "555-0199"})
    );
    let session = harness.state().view.session();
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
    let mut harness = harness(rig.direct_password_editor_for(ALICE));
    set_text(&mut harness, "New password", "one-pass-1");
    set_text(&mut harness, "Confirm new password", "two-pass-2");
    assert!(
        harness
            .query_by_label("The two passwords do not match.")
            .is_some()
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
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
    let mut harness = harness(rig.editor_for(ALICE));
    text_input(&harness, "age").unwrap().click();
    harness.run();
    // Where a click puts the cursor depends on the layout; End puts it after the text.
    harness.key_press(egui::Key::End);
    harness.run();
    text_input(&harness, "age").unwrap().type_text("x");
    harness.run();
    assert_eq!(text_of(&harness, "age"), "30x", "the letter is kept");
    assert!(
        harness
            .query_by_label_contains("is not a whole number")
            .is_some()
    );
    set_text(&mut harness, "age", "30");
    text_input(&harness, "age").unwrap().click();
    harness.run();
    harness.key_press(egui::Key::End);
    harness.run();
    text_input(&harness, "age").unwrap().type_text("1");
    harness.run();
    assert_eq!(text_of(&harness, "age"), "301", "a digit is accepted");
    // A number in the wrong shape is kept but blocks saving, with the reason at the field.
    set_text(&mut harness, "score", "1.2.3");
    assert!(harness.query_by_label_contains("is not a number").is_some());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    assert!(harness.query_by_label("Review changes").is_none());
    assert!(rig.update_bodies().is_empty());
}

/// The null toggle sends null; an emptied text sends ""; both are visibly different in the grid.
#[test]
fn null_and_empty_are_sent_differently() {
    let rig = Rig::new();
    let mut harness = harness(rig.editor_for(ALICE));
    harness.get_by_label("phoneNumber is null").click();
    harness.run();
    set_text(&mut harness, "address", "");
    assert_eq!(
        text_input(&harness, "phoneNumber")
            .unwrap()
            .value()
            .as_deref(),
        Some(""),
        "null empties the input (typing into it clears null)"
    );
    assert!(
        harness
            .state()
            .view
            .session()
            .field("phoneNumber")
            .unwrap()
            .is_null
    );
    save_with_review(&mut harness);
    assert_eq!(last_body(&rig), json!({"address": "", "phoneNumber": null}));
    let original = harness.state().view.session().original().clone();
    assert_eq!(original.get("phoneNumber"), Some(&serde_json::Value::Null));
    assert_eq!(original.get("address"), Some(&json!("")));
}

/// Tri-state boolean, local date-time and JSON with live validity all save as their types.
#[test]
fn boolean_datetime_and_json_save_typed() {
    let rig = Rig::new();
    let mut harness = harness(rig.editor_for(ALICE));
    harness.get_by_label("newsletter false").click();
    harness.run();
    set_text(&mut harness, "birthday", "2001-02-03 04:05:06 UTC");
    assert!(
        harness
            .query_by_label_contains("UTC 2001-02-03 04:05:06 UTC")
            .is_some(),
        "UTC is shown"
    );
    set_text(&mut harness, "preferences", "{\"theme\": ");
    assert!(harness.query_by_label_contains("not valid JSON").is_some());
    set_text(&mut harness, "preferences", "{\"theme\": \"light\"}");
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
    let mut harness = harness(rig.editor_for(ALICE));
    set_text(&mut harness, "name", "Changed");
    set_text(&mut harness, "age", "40");
    harness.get_by_label("Revert name").click();
    harness.run();
    assert_eq!(text_of(&harness, "name"), "Alice Liddell");
    assert!(harness.state().view.session().is_dirty("age"));
    harness.get_by_label("Revert all").click();
    harness.run();
    assert!(!harness.state().view.has_pending_edits());

    set_text(&mut harness, "Filter", "PHONE");
    assert!(text_input(&harness, "phoneNumber").is_some());
    assert!(text_input(&harness, "age").is_none());
    assert!(harness.query_by_label("objectId").is_none());
}

/// System fields are readable but have no input.
#[test]
fn system_fields_are_read_only() {
    let rig = Rig::new();
    let harness = harness(rig.editor_for(ALICE));
    let object_id = harness
        .state()
        .view
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
    let mut harness = harness(rig.editor_for(ALICE));
    set_text(&mut harness, "Name", "Email");
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
    set_text(&mut harness, "Name", "level");
    harness.get_by_label("New property type INT").click();
    harness.run();
    set_text(&mut harness, "Value", "7");
    harness.get_by_label("Add property").click();
    harness.run();
    assert_eq!(harness.state().view.session().new_properties().len(), 1);
    save_with_review(&mut harness);
    assert_eq!(last_body(&rig), json!({"level": 7}));
    let session = harness.state().view.session();
    assert!(
        session.is_editable("level"),
        "the saved property becomes an ordinary row"
    );
    assert!(!session.has_pending_edits());
}

/// While a save is in flight: a spinner, Save disabled, and fields still editable.
#[test]
fn saving_shows_progress_and_keeps_fields_editable() {
    let rig = Rig::new();
    let mut state = rig.editor_for(ALICE);
    state.perform_saves = false;
    let mut harness = harness(state);
    set_text(&mut harness, "name", "In flight");
    open_review_and_confirm(&mut harness);
    // The spinner animates, so step instead of waiting for the UI to settle.
    harness.run_steps(3);
    assert!(harness.state().view.session().is_saving());
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
    assert_eq!(text_of(&harness, "age"), "44");
    // This host records Saves without sending them (`perform_saves` is false), so the proxy cannot see
    // anything here; what the view emitted is counted instead: editing mid-save starts no second save.
    assert_eq!(harness.state().saves, 1, "one Save action, not another");
}

// ------------------------------------------------------------------------------------------------
// Update errors, each at its place; edits survive every one.

/// 3018: another user's email, shown at the email field; editing the field clears the error.
#[test]
fn identity_taken_3018_shows_at_the_email_field() {
    let rig = Rig::new();
    let mut harness = harness(rig.editor_for(ALICE));
    set_text(&mut harness, "email", BOB.0);
    save_with_review(&mut harness);
    let session = harness.state().view.session();
    assert!(session.server_error("email").is_some());
    assert_eq!(session.server_error_fields(), ["email"]);
    assert!(session.banner().is_none());
    assert!(
        harness
            .query_by_label_contains("already used by another account")
            .is_some()
    );
    assert_eq!(text_of(&harness, "email"), BOB.0, "the edit survives");
    set_text(&mut harness, "email", "alice.l@example.com");
    assert!(
        harness
            .state()
            .view
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
    let mut harness = harness(rig.editor_for(ALICE));
    set_text(&mut harness, "name", "");
    set_text(&mut harness, "age", "33");
    save_with_review(&mut harness);
    assert_eq!(last_body(&rig), json!({"age": 33, "name": ""}));
    let session = harness.state().view.session();
    assert_eq!(session.server_error_fields(), ["name"]);
    assert!(
        harness
            .query_by_label_contains("A required property cannot be empty")
            .is_some()
    );
    assert_eq!(text_of(&harness, "age"), "33");
    assert!(session.is_dirty("name") && session.is_dirty("age"));
}

/// 3031: with dynamic schema off, the new property carries the error.
#[test]
fn dynamic_schema_off_3031_shows_at_the_new_property() {
    let rig = Rig::new();
    rig.emulator.emulator.admin().set_dynamic_schema(false);
    let mut harness = harness(rig.editor_for(ALICE));
    set_text(&mut harness, "Name", "nickname");
    set_text(&mut harness, "Value", "Al");
    harness.get_by_label("Add property").click();
    harness.run();
    save_with_review(&mut harness);
    let session = harness.state().view.session();
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

/// 3024 naming a property: a string sent into an INT column (through a deliberately mismatched schema).
#[test]
fn type_error_3024_shows_at_the_field() {
    let rig = Rig::new();
    let (record, token) = rig.login(ALICE);
    let descriptors = rig
        .descriptors(&token)
        .into_iter()
        .map(|mut d| {
            if d.name == "age" {
                d.data_type = "STRING".into();
            }
            d
        })
        .collect();
    let view = EditorView::new(
        Schema::from_descriptors(descriptors),
        record,
        ALICE.0.into(),
    );
    let mut harness = harness(EditorState::new(&rig, view, token));
    set_text(&mut harness, "age", "thirty");
    save_with_review(&mut harness);
    assert_eq!(last_body(&rig), json!({"age": "thirty"}));
    let session = harness.state().view.session();
    assert_eq!(session.server_error_fields(), ["age"]);
    assert!(session.banner().is_none());
    assert_eq!(text_of(&harness, "age"), "thirty");
}

/// 3029: alice's token saving bob's record: a banner, not retryable.
#[test]
fn not_your_record_3029_is_a_banner() {
    let rig = Rig::new();
    let (_, alice_token) = rig.login(ALICE);
    let (bob_record, bob_token) = rig.login(BOB);
    let schema = Schema::from_descriptors(rig.descriptors(&bob_token));
    let view = EditorView::new(schema, bob_record, BOB.0.into());
    let mut harness = harness(EditorState::new(&rig, view, alice_token));
    set_text(&mut harness, "name", "Bobby");
    save_with_review(&mut harness);
    let session = harness.state().view.session();
    let banner = session.banner().expect("a banner");
    assert!(!banner.retryable);
    assert!(session.server_error_fields().is_empty());
    assert!(
        harness
            .query_by_label_contains("only your own record")
            .is_some()
    );
    assert!(harness.query_by_label("Retry").is_none());
    assert_eq!(text_of(&harness, "name"), "Bobby");
}

/// 3030: the admin deleted the user meanwhile: a banner.
#[test]
fn deleted_user_3030_is_a_banner() {
    let rig = Rig::new();
    let mut harness = harness(rig.editor_for(ALICE));
    let object_id = harness
        .state()
        .view
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
    set_text(&mut harness, "name", "Ghost");
    save_with_review(&mut harness);
    assert!(harness.state().view.session().banner().is_some());
    assert!(
        harness
            .query_by_label_contains("no longer exists")
            .is_some()
    );
    assert_eq!(text_of(&harness, "name"), "Ghost");
}

/// 3064: the token was revoked: the session reports a session-ending error, keeps the edits, and the
/// same save goes through after a new login.
#[test]
fn revoked_token_3064_ends_the_session_and_keeps_the_edits() {
    let rig = Rig::new();
    let mut harness = harness(rig.editor_for(ALICE));
    rig.emulator
        .emulator
        .admin()
        .revoke_tokens(ALICE.0)
        .unwrap();
    set_text(&mut harness, "name", "Still mine");
    save_with_review(&mut harness);
    let session = harness.state().view.session();
    assert!(session.session_ended());
    assert!(session.retry_changes().is_some());
    assert_eq!(text_of(&harness, "name"), "Still mine");
    assert!(
        harness
            .query_by_label_contains("Your session has ended")
            .is_some()
    );

    // The app logs in again and retries.
    let (_, token) = rig.login(ALICE);
    let state = harness.state_mut();
    state.token = Some(token);
    let retry = state.view.retry_action().expect("a save to retry");
    state.handle(retry);
    harness.run();
    assert_eq!(last_body(&rig), json!({"name": "Still mine"}));
    assert!(!harness.state().view.has_pending_edits());
}

/// 3028: no token at all is session-ending too.
#[test]
fn missing_token_3028_is_session_ending() {
    let rig = Rig::new();
    let mut state = rig.editor_for(ALICE);
    state.token = None;
    let mut harness = harness(state);
    set_text(&mut harness, "name", "Anon");
    save_with_review(&mut harness);
    assert!(harness.state().view.session().session_ended());
    assert_eq!(text_of(&harness, "name"), "Anon");
}

/// 2002: a wrong API key is a banner (the connection is wrong, not a field).
#[test]
fn wrong_api_key_2002_is_a_banner() {
    let rig = Rig::new();
    let mut state = rig.editor_for(ALICE);
    state.client = rig.client_with_key("WRONG-KEY");
    let mut harness = harness(state);
    set_text(&mut harness, "name", "Keyless");
    save_with_review(&mut harness);
    let session = harness.state().view.session();
    assert!(session.banner().is_some());
    assert!(!session.session_ended());
    assert!(
        harness
            .query_by_label_contains("API key is wrong")
            .is_some()
    );
    assert_eq!(text_of(&harness, "name"), "Keyless");
}

/// A network failure shows a banner with Retry; Retry re-sends the same changes.
#[test]
fn network_failure_offers_retry_of_the_same_save() {
    let rig = Rig::new();
    let mut state = rig.editor_for(ALICE);
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = Endpoint::parse(
        &format!("http://127.0.0.1:{closed_port}"),
        Some(DEMO_APP_ID),
        Some(DEMO_API_KEY),
    );
    state.client = Client::new(endpoint.unwrap());
    let mut harness = harness(state);
    set_text(&mut harness, "name", "Offline edit");
    save_with_review(&mut harness);
    let session = harness.state().view.session();
    assert!(session.banner().is_some_and(|banner| banner.retryable));
    assert!(
        harness
            .query_by_label_contains("Cannot reach the server")
            .is_some()
    );
    assert_eq!(text_of(&harness, "name"), "Offline edit");

    // Typing more does not change what Retry sends: the same save.
    set_text(&mut harness, "age", "50");
    harness.state_mut().client = rig.client();
    harness.get_by_label("Retry").click();
    harness.run();
    assert_eq!(last_body(&rig), json!({"name": "Offline edit"}));
    let session = harness.state().view.session();
    assert!(session.banner().is_none());
    assert!(
        !session.is_dirty("name") && session.is_dirty("age"),
        "the later edit is still pending"
    );
}

/// The session-ending classification is on the view's session, the same the app reads.
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
