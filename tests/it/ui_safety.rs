//! Never losing an edit (issue 5), driven with egui_kittest against a real in-process emulator: concurrent
//! changes merged or offered as a choice, drafts restored (also against a moved record), undo/redo, and
//! JSON import/export. The test plays the app's part for the editor view: a Save goes through
//! `profile::checked_save::save_checked` (re-read, then write), and a conflict is handed back with
//! `save_conflicted`, exactly as the app's worker and `App` do.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::backendless::client::{Client, UserToken};
use profile_editor::profile::checked_save::{SaveOutcome, save_checked};
use profile_editor::profile::draft::{self, Draft};
use profile_editor::ui::editor::files::FileResult;
use profile_editor::ui::editor::{EditorAction, EditorView};
use serde_json::json;

use crate::helpers::{ADMIN, ALICE};
use crate::ui_support::{EditorHost, Rig, editor_harness as harness, set_text, text_of};

// ------------------------------------------------------------------------------------------------
// Plumbing

impl Rig {
    /// Alice's editor, logged in.
    fn alice_editor(&self) -> EditorState {
        let (record, token) = self.login(ALICE);
        let view = EditorView::new(self.schema(&token), record, ALICE.0.to_owned());
        EditorState {
            view,
            client: self.client(),
            token,
            handle: self.runtime.handle().clone(),
            saves: 0,
        }
    }

    /// A second session (the admin) changes Alice's record on the server.
    fn change_alice_elsewhere(&self, body: serde_json::Value) {
        let emulator = &self.emulator;
        self.runtime.block_on(async {
            // Without logging Alice in: that would end the editor's session (one session per user).
            let (token, _) = emulator.login_token(ADMIN).await;
            let alice_id = emulator.emulator.admin().object_id_of(ALICE.0).unwrap();
            let (status, reply) = emulator.update(Some(&token), &alice_id, &body).await;
            assert_eq!(status, 200, "{reply}");
        });
    }

    /// Alice's record as the server has it now.
    fn alice_on_server(&self) -> serde_json::Value {
        let emulator = &self.emulator;
        self.runtime.block_on(async {
            // Read as the admin: logging Alice in would end the editor's session (one session per user).
            let (token, _) = emulator.login_token(ADMIN).await;
            let alice_id = emulator.emulator.admin().object_id_of(ALICE.0).unwrap();
            let (status, body) = emulator
                .get(Some(&token), &format!("data/Users/{alice_id}"))
                .await;
            assert_eq!(status, 200);
            body
        })
    }
}

/// The harness state: the view plus what the app holds to perform its saves.
struct EditorState {
    view: EditorView,
    client: Client,
    token: UserToken,
    handle: tokio::runtime::Handle,
    saves: u64,
}

impl EditorState {
    /// Performs a save as the app's worker does: re-read, then write only if the record did not move.
    fn handle(&mut self, action: EditorAction) {
        let EditorAction::Save { object_id, changes } = action else {
            return;
        };
        self.saves += 1;
        self.view.save_started(self.saves);
        let base_updated = self.view.session().original().updated_ms();
        let outcome = self.handle.block_on(save_checked(
            &self.client,
            Some(&self.token),
            &object_id,
            base_updated,
            &changes,
        ));
        match outcome {
            Ok(SaveOutcome::Saved(record)) => self.view.save_succeeded(record),
            Ok(SaveOutcome::Conflict(theirs)) => {
                if let Some(again) = self.view.save_conflicted(theirs) {
                    self.handle(again);
                }
            }
            Err(error) => self.view.save_failed(&error),
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

/// Ctrl+S, then "Confirm save".
fn save(harness: &mut Harness<'_, EditorState>) {
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    harness.get_by_label("Confirm save").click();
    harness.run();
}

fn pending(harness: &Harness<'_, EditorState>) -> Vec<String> {
    let changes = harness.state().view.session().changeset().unwrap();
    changes.keys().map(str::to_owned).collect()
}

// ------------------------------------------------------------------------------------------------
// Conflicts

/// Another session changed `age` after the editor loaded; saving `name` merges their age in (nothing of
/// theirs is overwritten), sends only `name`, and both values end up on the server.
#[test]
fn a_concurrent_change_to_another_property_is_merged_and_kept() {
    let rig = Rig::new();
    let mut harness = harness(rig.alice_editor());
    rig.change_alice_elsewhere(json!({"age": 77}));
    set_text(&mut harness, "name", "Alice Mine");
    save(&mut harness);

    assert!(
        harness
            .query_by_label("Changed on the server too")
            .is_none(),
        "nothing to ask"
    );
    let server = rig.alice_on_server();
    assert_eq!(server["name"], json!("Alice Mine"));
    assert_eq!(server["age"], json!(77), "their change is kept");
    assert_eq!(
        rig.update_bodies().last(),
        Some(&json!({"name": "Alice Mine"}))
    );
    let session = harness.state().view.session();
    assert!(!session.has_pending_edits());
    assert_eq!(text_of(&harness, "age"), "77", "the grid shows their value");
}

/// Both sides changed `name`: the conflict window shows original, theirs and mine; nothing is sent until
/// the user chooses; choosing "mine" stores mine, and the other (clean) change goes along.
#[test]
fn the_same_property_changed_on_both_sides_is_offered_and_mine_is_stored() {
    let rig = Rig::new();
    let mut harness = harness(rig.alice_editor());
    rig.change_alice_elsewhere(json!({"name": "Alicia Theirs"}));
    set_text(&mut harness, "name", "Alice Mine");
    set_text(&mut harness, "phoneNumber", "555-7777");
    let sent_before = rig.update_bodies().len();
    save(&mut harness);

    assert!(
        harness
            .query_by_label("Changed on the server too")
            .is_some()
    );
    for shown in ["Alice Liddell", "Alicia Theirs", "Alice Mine"] {
        assert!(
            harness.query_all_by_label(shown).next().is_some(),
            "{shown:?} is not shown side by side"
        );
    }
    assert_eq!(rig.update_bodies().len(), sent_before, "nothing sent yet");
    assert_eq!(rig.alice_on_server()["name"], json!("Alicia Theirs"));
    assert!(
        harness
            .get_by_label("Apply choices and save")
            .accesskit_node()
            .is_disabled(),
        "applying needs a choice for every property"
    );

    harness.get_by_label("name: keep mine").click();
    harness.run();
    harness.get_by_label("Apply choices and save").click();
    harness.run();

    let server = rig.alice_on_server();
    assert_eq!(server["name"], json!("Alice Mine"));
    assert_eq!(server["phoneNumber"], json!("555-7777"));
    assert_eq!(
        rig.update_bodies().last(),
        Some(&json!({"name": "Alice Mine", "phoneNumber": "555-7777"}))
    );
    assert!(
        harness
            .query_by_label("Changed on the server too")
            .is_none()
    );
    assert!(!harness.state().view.session().has_pending_edits());
}

/// Choosing "theirs" keeps the server's value: it is not sent, the grid shows it, the rest is saved.
#[test]
fn choosing_theirs_keeps_the_server_value_and_saves_the_rest() {
    let rig = Rig::new();
    let mut harness = harness(rig.alice_editor());
    rig.change_alice_elsewhere(json!({"name": "Alicia Theirs"}));
    set_text(&mut harness, "name", "Alice Mine");
    set_text(&mut harness, "address", "1 New Street");
    save(&mut harness);
    harness.get_by_label("name: keep theirs").click();
    harness.run();
    harness.get_by_label("Apply choices and save").click();
    harness.run();

    let server = rig.alice_on_server();
    assert_eq!(server["name"], json!("Alicia Theirs"));
    assert_eq!(server["address"], json!("1 New Street"));
    assert_eq!(
        rig.update_bodies().last(),
        Some(&json!({"address": "1 New Street"}))
    );
    assert_eq!(text_of(&harness, "name"), "Alicia Theirs");
}

// ------------------------------------------------------------------------------------------------
// Drafts

/// Pending edits written as a draft are offered in a new editor and restored exactly; no password is in
/// the file.
#[test]
fn a_draft_is_offered_in_a_new_editor_and_restored() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    {
        let mut harness = harness(rig.alice_editor());
        set_text(&mut harness, "name", "Drafted Name");
        set_text(&mut harness, "preferences", "{\"theme\": ");
        let view = &harness.state().view;
        let original = view.session().original();
        let draft = Draft::new(
            "local-demo",
            ALICE.0,
            original.object_id(),
            original.updated_ms(),
            view.session().pending_edits(),
        );
        draft::save(dir.path(), &draft).unwrap();
    }
    let mut harness = harness(rig.alice_editor());
    let found = draft::load(dir.path(), "local-demo", ALICE.0).expect("the draft is on disk");
    harness.state_mut().view.offer_draft(found);
    harness.run();
    assert!(harness.query_by_label("Unsaved changes found:").is_some());
    harness.get_by_label("Restore changes").click();
    harness.run();
    assert_eq!(text_of(&harness, "name"), "Drafted Name");
    assert_eq!(
        text_of(&harness, "preferences"),
        "{\"theme\": ",
        "even an edit that does not parse yet"
    );
    assert!(harness.query_by_label("Unsaved changes found:").is_none());
    assert!(
        harness
            .query_by_label("Changed on the server too")
            .is_none()
    );
}

/// A draft made against an older record goes through the conflict window for a property the server
/// changed too; the choice decides what the editor holds.
#[test]
fn a_draft_with_an_outdated_base_goes_through_the_conflict_window() {
    let rig = Rig::new();
    let stale = {
        let mut harness = harness(rig.alice_editor());
        set_text(&mut harness, "name", "Drafted Name");
        set_text(&mut harness, "address", "Draft Lane");
        let view = &harness.state().view;
        let original = view.session().original();
        Draft::new(
            "local-demo",
            ALICE.0,
            original.object_id(),
            original.updated_ms(),
            view.session().pending_edits(),
        )
    };
    rig.change_alice_elsewhere(json!({"name": "Server Name"}));
    let mut harness = harness(rig.alice_editor());
    harness.state_mut().view.offer_draft(stale);
    harness.run();
    harness.get_by_label("Restore changes").click();
    harness.run();
    assert!(
        harness
            .query_by_label("Changed on the server too")
            .is_some()
    );
    harness.get_by_label("name: keep theirs").click();
    harness.run();
    harness.get_by_label("Apply choices").click();
    harness.run();
    assert_eq!(text_of(&harness, "name"), "Server Name");
    assert_eq!(text_of(&harness, "address"), "Draft Lane");
    assert_eq!(pending(&harness), ["address"]);
}

// ------------------------------------------------------------------------------------------------
// Undo and redo

/// Ctrl+Z undoes across fields (a run of typing in one field is one step), Ctrl+Shift+Z redoes, and the
/// toolbar buttons do the same; a save ends the history.
#[test]
fn undo_and_redo_across_fields_with_shortcuts_and_buttons() {
    let rig = Rig::new();
    let mut harness = harness(rig.alice_editor());
    set_text(&mut harness, "name", "A");
    set_text(&mut harness, "name", "Ab");
    set_text(&mut harness, "age", "40");
    set_text(&mut harness, "address", "Undo Lane");

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run();
    assert_eq!(pending(&harness), ["age", "name"]);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run();
    assert_eq!(pending(&harness), ["name"]);
    assert_eq!(text_of(&harness, "name"), "Ab");
    harness.get_by_label("Undo").click();
    harness.run();
    assert!(pending(&harness).is_empty());
    assert_eq!(text_of(&harness, "name"), "Alice Liddell");

    let redo = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
    harness.key_press_modifiers(redo, egui::Key::Z);
    harness.run();
    assert_eq!(text_of(&harness, "name"), "Ab");
    harness.get_by_label("Redo").click();
    harness.run();
    assert_eq!(pending(&harness), ["age", "name"]);
    // A new edit after undo drops what could be redone.
    set_text(&mut harness, "phoneNumber", "1");
    assert!(!harness.state().view.session().can_redo());

    save(&mut harness);
    assert_eq!(
        rig.update_bodies().last(),
        Some(&json!({"age": 40, "name": "Ab", "phoneNumber": "1"}))
    );
    assert!(
        !harness.state().view.session().can_undo(),
        "undo stops at the save"
    );
}

// ------------------------------------------------------------------------------------------------
// Import and export

/// Import applies good keys as pending edits and lists unknown, read-only and badly typed keys without
/// applying them; saving then sends exactly the good keys. Export writes the record.
#[test]
fn import_applies_good_keys_and_lists_the_rest_and_export_writes_the_profile() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.json");
    std::fs::write(
        &file,
        r#"{"name": "Imported Alice", "newsletter": false, "shoeSize": 38, "objectId": "NOPE",
            "created": 1, "age": "forty", "password": "never-imported"}"#,
    )
    .unwrap();
    let mut harness = harness(rig.alice_editor());
    harness.get_by_label("Import JSON…").click();
    harness.run();
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        // No desktop session bus here (CI): the window says so plainly; the path field is the way.
        assert!(
            harness
                .query_by_label_contains("No native file dialog is available on this system")
                .is_some()
        );
    }
    set_text(&mut harness, "File path", &file.display().to_string());
    harness.get_by_label("Import").click();
    harness.run();

    assert!(
        harness
            .query_by_label("Applied as pending edits: name, newsletter")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("Not applied, unknown properties: shoeSize")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("Not applied, read-only properties: objectId, created, password")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Not applied, wrong type: age (expected a whole number")
            .is_some()
    );
    assert_eq!(pending(&harness), ["name", "newsletter"]);
    assert_eq!(text_of(&harness, "age"), "30");

    // Undo takes the whole import back in one step; redo brings it again.
    harness.state_mut().view.undo();
    harness.run();
    assert!(pending(&harness).is_empty());
    harness.state_mut().view.redo();
    harness.run();
    save(&mut harness);
    assert_eq!(
        rig.update_bodies().last(),
        Some(&json!({"name": "Imported Alice", "newsletter": false}))
    );

    // Export the saved profile.
    let out = dir.path().join("out.json");
    harness
        .state_mut()
        .view
        .open_files(profile_editor::ui::editor::files::FileMode::Export);
    harness.run();
    set_text(&mut harness, "File path", &out.display().to_string());
    harness.get_by_label("Export").click();
    harness.run();
    assert!(matches!(
        harness.state().view.files().result(),
        Some(FileResult::Exported(_))
    ));
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(exported["name"], json!("Imported Alice"));
    assert_eq!(exported["email"], json!(ALICE.0));
    assert!(exported.get("password").is_none());
}

// ------------------------------------------------------------------------------------------------
// The whole app: drafts across instances, session expiry, logout and close with pending edits

mod app {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use profile_editor::app::App;
    use profile_editor::app::state::Screen;
    use profile_editor::profile::draft;
    use serde_json::json;

    use crate::helpers::{ALICE, BOB, spawn_emulator};
    use crate::ui_support::{app, custom_args, log_in, step_until, wait_for_editor, wait_for_text};

    /// Replaces the text of the editor field `label` by typing, as a user does.
    fn retype(harness: &mut Harness<'static, App>, label: &str, text: &str) {
        harness.get_by_label(label).focus();
        harness.step();
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.step();
        harness.get_by_label(label).type_text(text);
        harness.step();
    }

    /// The connection key of the logged-in session.
    fn connection_key(harness: &Harness<'static, App>) -> String {
        harness
            .state()
            .state()
            .session()
            .expect("logged in")
            .connection
            .key()
    }

    fn pending_name(harness: &Harness<'static, App>) -> Option<serde_json::Value> {
        let changes = harness.state().editor()?.session().changeset().ok()?;
        changes.get("name").cloned()
    }

    /// Typing writes a draft (debounced) without saving; the app is dropped as a crash would; another
    /// user on a new instance sees nothing of it; Alice on a new instance gets the banner, restores, and
    /// the saved draft is gone once she saves.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_draft_written_while_typing_is_restored_by_a_new_app_instance() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let key = {
            let mut harness = app(dir.path(), custom_args(&emulator));
            log_in(&mut harness, ALICE, false);
            wait_for_editor(&mut harness, ALICE.0);
            retype(&mut harness, "name", "Alice Drafted");
            let key = connection_key(&harness);
            step_until(&mut harness, "the draft on disk", |_| {
                draft::load(&data, &key, ALICE.0).is_some()
            });
            key
            // Dropped without saving: like a crash, nothing else runs.
        };
        let on_disk = draft::load(&data, &key, ALICE.0).unwrap();
        assert_eq!(on_disk.edits.len(), 1);
        assert_eq!(on_disk.edits[0].text, "Alice Drafted");

        {
            let mut harness = app(dir.path(), custom_args(&emulator));
            log_in(&mut harness, BOB, false);
            wait_for_editor(&mut harness, BOB.0);
            harness.step();
            assert!(harness.query_by_label("Unsaved changes found:").is_none());
            assert!(!harness.state().editor().unwrap().has_pending_edits());
        }

        let mut harness = app(dir.path(), custom_args(&emulator));
        log_in(&mut harness, ALICE, false);
        wait_for_editor(&mut harness, ALICE.0);
        wait_for_text(&mut harness, "Unsaved changes found:");
        harness.get_by_label("Restore changes").click();
        harness.step();
        assert_eq!(pending_name(&harness), Some(json!("Alice Drafted")));

        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
        harness.step();
        harness.step();
        harness.get_by_label("Confirm save").click();
        step_until(&mut harness, "the save", |h| {
            !h.state().editor().unwrap().has_pending_edits()
        });
        assert_eq!(
            emulator.recorded_update_bodies().last(),
            Some(&json!({"name": "Alice Drafted"}))
        );
        step_until(&mut harness, "the draft to go", |_| {
            draft::load(&data, &key, ALICE.0).is_none()
        });
    }

    /// A session that ends mid-save keeps the edit (in memory and in the draft); a different user who
    /// logs in next gets a clean editor, and Alice's edit is still in her draft.
    #[tokio::test(flavor = "multi_thread")]
    async fn after_an_ended_session_another_user_gets_a_clean_editor_and_the_edit_stays_in_the_draft()
     {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut harness = app(dir.path(), custom_args(&emulator));
        log_in(&mut harness, ALICE, false);
        wait_for_editor(&mut harness, ALICE.0);
        let key = connection_key(&harness);
        retype(&mut harness, "name", "Alice Expired");
        emulator.emulator.admin().revoke_tokens(ALICE.0).unwrap();
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
        harness.step();
        harness.step();
        harness.get_by_label("Confirm save").click();
        step_until(&mut harness, "the login form", |h| {
            h.state().state().screen() == Screen::Login
        });
        assert_eq!(pending_name(&harness), Some(json!("Alice Expired")));

        // The login prompt opens over the kept editor.
        wait_for_text(&mut harness, "Log in again");
        assert!(harness.query_by_label("Identity").is_some());
        // Bob logs in on the same window: he must not see Alice's edit.
        harness
            .get_by_label("Identity")
            .set_text_value_accesskit(BOB.0);
        harness.step();
        log_in(&mut harness, BOB, false);
        wait_for_editor(&mut harness, BOB.0);
        assert!(!harness.state().editor().unwrap().has_pending_edits());
        assert!(harness.query_all_by_value("Alice Expired").next().is_none());
        let kept = draft::load(&data, &key, ALICE.0).expect("Alice's edit is kept in her draft");
        assert_eq!(kept.edits[0].text, "Alice Expired");
    }

    /// A session that ends mid-save (3064) opens the login prompt over the editor, which stays in view
    /// with the edit; after the same user logs in again the save is retried once and lands.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_session_expiry_mid_save_keeps_the_edit_and_the_retried_save_lands() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), custom_args(&emulator));
        log_in(&mut harness, ALICE, false);
        wait_for_editor(&mut harness, ALICE.0);
        retype(&mut harness, "name", "Alice Relogged");
        emulator.emulator.admin().revoke_tokens(ALICE.0).unwrap();
        let sent_before = emulator.recorded_update_bodies().len();
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
        harness.step();
        harness.step();
        harness.get_by_label("Confirm save").click();
        wait_for_text(&mut harness, "Log in again");
        wait_for_text(&mut harness, "Your session has ended");
        assert!(
            harness
                .query_all_by_value("Alice Relogged")
                .next()
                .is_some(),
            "the editor and its edit stay in view under the prompt"
        );
        assert_eq!(emulator.recorded_update_bodies().len(), sent_before);

        log_in(&mut harness, ALICE, false);
        wait_for_editor(&mut harness, ALICE.0);
        step_until(&mut harness, "the retried save", |h| {
            !h.state().editor().unwrap().has_pending_edits()
        });
        let bodies = emulator.recorded_update_bodies();
        assert_eq!(bodies.len(), sent_before + 1, "retried exactly once");
        assert_eq!(bodies.last(), Some(&json!({"name": "Alice Relogged"})));
    }

    /// "Log out" with pending edits asks; Cancel stays, Save saves first and then logs out.
    #[tokio::test(flavor = "multi_thread")]
    async fn logging_out_with_pending_edits_asks_save_discard_or_cancel() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), custom_args(&emulator));
        log_in(&mut harness, ALICE, false);
        wait_for_editor(&mut harness, ALICE.0);
        retype(&mut harness, "name", "Alice Before Logout");

        harness.get_by_label("Log out").click();
        harness.step();
        wait_for_text(&mut harness, "You have 1 unsaved change.");
        harness.get_by_label("Cancel").click();
        harness.step();
        assert_eq!(harness.state().state().screen(), Screen::Editor);
        assert_eq!(pending_name(&harness), Some(json!("Alice Before Logout")));

        harness.get_by_label("Log out").click();
        harness.step();
        harness.get_by_label("Save").click();
        wait_for_text(&mut harness, "Confirm save");
        harness.get_by_label("Confirm save").click();
        step_until(&mut harness, "the save, then the logout", |h| {
            h.state().state().screen() == Screen::Login
        });
        assert_eq!(
            emulator.recorded_update_bodies().last(),
            Some(&json!({"name": "Alice Before Logout"}))
        );
    }

    /// Closing the window with pending edits is cancelled and asks; "Discard changes" closes and
    /// deletes the draft.
    #[tokio::test(flavor = "multi_thread")]
    async fn closing_the_window_with_pending_edits_asks_first() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut harness = app(dir.path(), custom_args(&emulator));
        log_in(&mut harness, ALICE, false);
        wait_for_editor(&mut harness, ALICE.0);
        let key = connection_key(&harness);
        retype(&mut harness, "name", "Alice Closing");
        step_until(&mut harness, "the draft on disk", |_| {
            draft::load(&data, &key, ALICE.0).is_some()
        });

        let root = egui::ViewportId::ROOT;
        harness
            .input_mut()
            .viewports
            .entry(root)
            .or_default()
            .events
            .push(egui::ViewportEvent::Close);
        harness.step();
        let commands = &harness.output().viewport_output[&root].commands;
        assert!(
            commands.contains(&egui::ViewportCommand::CancelClose),
            "{commands:?}"
        );
        wait_for_text(&mut harness, "Save it before you close the window?");
        harness.get_by_label("Discard changes").click();
        harness.step();
        let commands = &harness.output().viewport_output[&root].commands;
        assert!(
            commands.contains(&egui::ViewportCommand::Close),
            "{commands:?}"
        );
        assert!(draft::load(&data, &key, ALICE.0).is_none());
    }
}
