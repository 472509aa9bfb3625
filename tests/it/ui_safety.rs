//! Never losing an edit (issue 5), driven through the real app (egui_kittest, the real worker, an emulator on
//! port 0 behind the recording proxy): concurrent changes merged or offered as a choice (the worker's re-read
//! before the write), drafts restored by a new app instance (also against a moved record), undo/redo, and
//! JSON import/export through the app's disk worker.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::App;
use profile_editor::profile::draft;
use profile_editor::ui::editor::files::FileResult;
use serde_json::json;

use crate::helpers::{ADMIN, ALICE};
use crate::ui_support::{
    Rig, click, editor_app, field_text, own_editor, save_with_review, set_field, settle,
    step_until, wait_for_save, wait_for_text,
};

// ------------------------------------------------------------------------------------------------
// Plumbing

impl Rig {
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

/// Ctrl+S, "Confirm save", and steps until nothing is pending or the conflict window asks.
fn save(harness: &mut Harness<'static, App>) {
    save_with_review(harness);
    step_until(harness, "the save, or the conflict window", |h| {
        !own_editor(h).has_pending_edits()
            || h.query_by_label("Changed on the server too").is_some()
    });
}

fn pending(harness: &Harness<'static, App>) -> Vec<String> {
    let changes = own_editor(harness).session().changeset().unwrap();
    changes.keys().map(str::to_owned).collect()
}

/// Alice's app in `dir` with pending edits `fields`, kept until their draft is on disk; then dropped
/// without saving, as a crash would.
fn leave_a_draft(rig: &Rig, dir: &std::path::Path, fields: &[(&str, &str)]) {
    let mut harness = editor_app(rig, dir, ALICE);
    for (name, text) in fields {
        set_field(&mut harness, name, text);
    }
    let key = harness
        .state()
        .state()
        .session()
        .expect("logged in")
        .connection
        .key();
    let data = dir.join("data");
    step_until(&mut harness, "the draft on disk", |_| {
        draft::load(&data, &key, ALICE.0).is_some_and(|d| d.edits.len() == fields.len())
    });
    let text = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().is_file())
        .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
        .collect::<String>();
    assert!(!text.contains(ALICE.1), "no password in the data dir");
}

/// Alice logs in to a new app instance in `dir` and restores the draft it offers.
fn restore_the_draft(rig: &Rig, dir: &std::path::Path) -> Harness<'static, App> {
    let mut harness = editor_app(rig, dir, ALICE);
    wait_for_text(&mut harness, "Unsaved changes found:");
    click(&mut harness, "Restore changes");
    harness
}

// ------------------------------------------------------------------------------------------------
// Conflicts

/// Another session changed `age` after the editor loaded; saving `name` merges their age in (nothing of
/// theirs is overwritten), sends only `name`, and both values end up on the server.
#[test]
fn a_concurrent_change_to_another_property_is_merged_and_kept() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    rig.change_alice_elsewhere(json!({"age": 77}));
    set_field(&mut harness, "name", "Alice Mine");
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
    assert!(!own_editor(&harness).session().has_pending_edits());
    assert_eq!(
        field_text(&harness, "age"),
        "77",
        "the grid shows their value"
    );
}

/// Both sides changed `name`: the conflict window shows original, theirs and mine; nothing is sent until
/// the user chooses; choosing "mine" stores mine, and the other (clean) change goes along.
#[test]
fn the_same_property_changed_on_both_sides_is_offered_and_mine_is_stored() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    rig.change_alice_elsewhere(json!({"name": "Alicia Theirs"}));
    set_field(&mut harness, "name", "Alice Mine");
    set_field(&mut harness, "phoneNumber", "555-7777");
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

    click(&mut harness, "name: keep mine");
    harness.get_by_label("Apply choices and save").click();
    wait_for_save(&mut harness);

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
    assert!(!own_editor(&harness).session().has_pending_edits());
}

/// Choosing "theirs" keeps the server's value: it is not sent, the grid shows it, the rest is saved.
#[test]
fn choosing_theirs_keeps_the_server_value_and_saves_the_rest() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    rig.change_alice_elsewhere(json!({"name": "Alicia Theirs"}));
    set_field(&mut harness, "name", "Alice Mine");
    set_field(&mut harness, "address", "1 New Street");
    save(&mut harness);
    click(&mut harness, "name: keep theirs");
    harness.get_by_label("Apply choices and save").click();
    wait_for_save(&mut harness);

    let server = rig.alice_on_server();
    assert_eq!(server["name"], json!("Alicia Theirs"));
    assert_eq!(server["address"], json!("1 New Street"));
    assert_eq!(
        rig.update_bodies().last(),
        Some(&json!({"address": "1 New Street"}))
    );
    assert_eq!(field_text(&harness, "name"), "Alicia Theirs");
}

// ------------------------------------------------------------------------------------------------
// Drafts

/// Pending edits the app wrote as a draft are offered by a new app instance and restored exactly; no
/// password is in the data dir.
#[test]
fn a_draft_is_offered_in_a_new_editor_and_restored() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    leave_a_draft(
        &rig,
        dir.path(),
        &[("name", "Drafted Name"), ("preferences", "{\"theme\": ")],
    );
    let harness = restore_the_draft(&rig, dir.path());
    assert_eq!(field_text(&harness, "name"), "Drafted Name");
    assert_eq!(
        field_text(&harness, "preferences"),
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
    let dir = tempfile::tempdir().unwrap();
    leave_a_draft(
        &rig,
        dir.path(),
        &[("name", "Drafted Name"), ("address", "Draft Lane")],
    );
    rig.change_alice_elsewhere(json!({"name": "Server Name"}));
    let mut harness = restore_the_draft(&rig, dir.path());
    assert!(
        harness
            .query_by_label("Changed on the server too")
            .is_some()
    );
    click(&mut harness, "name: keep theirs");
    click(&mut harness, "Apply choices");
    assert_eq!(field_text(&harness, "name"), "Server Name");
    assert_eq!(field_text(&harness, "address"), "Draft Lane");
    assert_eq!(pending(&harness), ["address"]);
}

// ------------------------------------------------------------------------------------------------
// Undo and redo

/// Ctrl+Z undoes across fields (a run of typing in one field is one step), Ctrl+Shift+Z redoes, and the
/// toolbar buttons do the same; a save ends the history.
#[test]
fn undo_and_redo_across_fields_with_shortcuts_and_buttons() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    set_field(&mut harness, "name", "A");
    set_field(&mut harness, "name", "Ab");
    set_field(&mut harness, "age", "40");
    set_field(&mut harness, "address", "Undo Lane");

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(pending(&harness), ["age", "name"]);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(pending(&harness), ["name"]);
    assert_eq!(field_text(&harness, "name"), "Ab");
    click(&mut harness, "Undo");
    assert!(pending(&harness).is_empty());
    assert_eq!(field_text(&harness, "name"), "Alice Liddell");

    let redo = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
    harness.key_press_modifiers(redo, egui::Key::Z);
    settle(&mut harness);
    assert_eq!(field_text(&harness, "name"), "Ab");
    click(&mut harness, "Redo");
    assert_eq!(pending(&harness), ["age", "name"]);
    // A new edit after undo drops what could be redone.
    set_field(&mut harness, "phoneNumber", "1");
    assert!(!own_editor(&harness).session().can_redo());

    save(&mut harness);
    assert_eq!(
        rig.update_bodies().last(),
        Some(&json!({"age": 40, "name": "Ab", "phoneNumber": "1"}))
    );
    assert!(
        !own_editor(&harness).session().can_undo(),
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
    let mut harness = editor_app(&rig, dir.path(), ALICE);
    click(&mut harness, "Import JSON…");
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        // No desktop session bus here (CI): the window says so plainly; the path field is the way.
        assert!(
            harness
                .query_by_label_contains("No native file dialog is available on this system")
                .is_some()
        );
    }
    set_field(&mut harness, "File path", &file.display().to_string());
    click(&mut harness, "Import");
    wait_for_text(&mut harness, "Applied as pending edits: name, newsletter");
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
    assert_eq!(field_text(&harness, "age"), "30");

    // Undo takes the whole import back in one step; redo brings it again.
    click(&mut harness, "Close window");
    click(&mut harness, "Undo");
    assert!(pending(&harness).is_empty());
    click(&mut harness, "Redo");
    assert_eq!(pending(&harness), ["name", "newsletter"]);
    save(&mut harness);
    assert_eq!(
        rig.update_bodies().last(),
        Some(&json!({"name": "Imported Alice", "newsletter": false}))
    );

    // Export the saved profile.
    let out = dir.path().join("out.json");
    click(&mut harness, "Export JSON…");
    set_field(&mut harness, "File path", &out.display().to_string());
    click(&mut harness, "Export");
    step_until(&mut harness, "the export", |h| {
        matches!(
            own_editor(h).files().result(),
            Some(FileResult::Exported(_))
        )
    });
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
    use crate::ui_support::{
        ANSWER_TIMEOUT, app, connection_key, custom_args, leave_a_draft, log_in, pending_name,
        request_window_close, retype, step_until, wait_for_editor, wait_for_text,
    };

    /// Typing writes a draft (debounced) without saving; the app is dropped as a crash would; another
    /// user on a new instance sees nothing of it; Alice on a new instance gets the banner, restores, and
    /// the saved draft is gone once she saves.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_draft_written_while_typing_is_restored_by_a_new_app_instance() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // The app ran once and was dropped without saving, as a crash would.
        let key = leave_a_draft(dir.path(), custom_args(&emulator), ALICE, "Alice Drafted");
        let on_disk = draft::load(&data, &key, ALICE.0).unwrap();
        assert_eq!(on_disk.edits.len(), 1);
        assert_eq!(on_disk.edits[0].text, "Alice Drafted");

        {
            let mut harness = app(dir.path(), custom_args(&emulator));
            log_in(&mut harness, BOB, false);
            wait_for_editor(&mut harness, BOB.0);
            // Bob's draft read has been answered and handed to the editor before looking.
            assert!(harness.state().disk().wait_idle(ANSWER_TIMEOUT));
            harness.step();
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
        // Written by the disk worker when Alice's editor closed.
        step_until(&mut harness, "Alice's draft on disk", |_| {
            draft::load(&data, &key, ALICE.0).is_some()
        });
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
        request_window_close(&mut harness);
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
        // Removed by the disk worker.
        step_until(&mut harness, "the draft to go", |_| {
            draft::load(&data, &key, ALICE.0).is_none()
        });
    }

    // Issue 14: no disk I/O on the UI thread. Drafts, settings and the profile export go to the app's
    // disk worker; the UI never waits on it, and closing the app lets its queued writes land.

    /// Logs Alice in to a new app in `dir` and returns it with her draft's connection key, once the
    /// editor's draft read has been answered: a test that holds the disk next must not hold that read too
    /// (while it is out, typing is not written as a draft).
    fn alice_app(
        dir: &std::path::Path,
        emulator: &crate::helpers::TestEmulator,
    ) -> (Harness<'static, App>, String) {
        let mut harness = app(dir, custom_args(emulator));
        log_in(&mut harness, ALICE, false);
        wait_for_editor(&mut harness, ALICE.0);
        assert!(harness.state().disk().wait_idle(ANSWER_TIMEOUT));
        harness.step();
        harness.step();
        let key = connection_key(&harness);
        (harness, key)
    }

    /// The app is closed (dropped) right after typing, before the draft's debounce ran out: the edit is
    /// still written, and the next app instance offers it.
    #[tokio::test(flavor = "multi_thread")]
    async fn closing_the_app_right_after_typing_still_writes_the_draft() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (mut harness, key) = alice_app(dir.path(), &emulator);
        retype(&mut harness, "name", "Alice Last Words");
        assert!(
            draft::load(&data, &key, ALICE.0).is_none(),
            "typed just now: the debounce has not written it yet"
        );
        drop(harness);
        let kept = draft::load(&data, &key, ALICE.0).expect("the draft was flushed on exit");
        assert_eq!(kept.edits[0].text, "Alice Last Words");

        let (mut harness, _) = alice_app(dir.path(), &emulator);
        wait_for_text(&mut harness, "Unsaved changes found:");
    }

    /// Closing while the disk is stuck waits a bounded time ([`EXIT_FLUSH_WAIT`]) instead of hanging; the
    /// queued draft is still written once the disk is back.
    ///
    /// [`EXIT_FLUSH_WAIT`]: profile_editor::app::disk::EXIT_FLUSH_WAIT
    #[tokio::test(flavor = "multi_thread")]
    async fn closing_with_a_stuck_disk_does_not_hang_and_the_draft_lands_later() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (mut harness, key) = alice_app(dir.path(), &emulator);
        let disk = harness.state().disk().clone();
        disk.hold();
        retype(&mut harness, "name", "Alice Stuck");
        drop(harness);
        assert!(
            draft::load(&data, &key, ALICE.0).is_none(),
            "the app closed without waiting for the stuck disk forever"
        );
        disk.release();
        assert!(disk.wait_idle(std::time::Duration::from_secs(30)));
        let kept = draft::load(&data, &key, ALICE.0).expect("written once the disk was back");
        assert_eq!(kept.edits[0].text, "Alice Stuck");
    }

    /// A slow disk (the worker held before it writes) does not stop the UI: frames go on, typing goes on,
    /// and once the disk is back the draft holds the newest text (the older queued write never lands after
    /// it).
    #[tokio::test(flavor = "multi_thread")]
    async fn the_ui_goes_on_while_the_disk_is_slow_and_the_newest_draft_wins() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (mut harness, key) = alice_app(dir.path(), &emulator);
        let path = draft::draft_path(&data, &key, ALICE.0);
        harness.state().disk().hold();
        retype(&mut harness, "name", "Alice Slow");
        step_until(&mut harness, "the draft write queued", |h| {
            h.state().disk().upcoming(&path).is_some()
        });
        retype(&mut harness, "name", "Alice Slower");
        for _ in 0..10 {
            harness.step();
        }
        assert_eq!(pending_name(&harness), Some(json!("Alice Slower")));
        assert!(
            draft::load(&data, &key, ALICE.0).is_none(),
            "nothing reached the held disk"
        );
        harness.state().disk().release();
        step_until(&mut harness, "the newest draft on disk", |h| {
            h.state().disk().pending() == 0
                && draft::load(&data, &key, ALICE.0)
                    .is_some_and(|d| d.edits[0].text == "Alice Slower")
        });
    }

    /// A draft that cannot be written is logged and shown at the bottom of the window (not only in the
    /// log); the notice can be dismissed.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_draft_that_cannot_be_written_is_shown() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (mut harness, key) = alice_app(dir.path(), &emulator);
        harness
            .state()
            .disk()
            .fail_writes_to(draft::draft_path(&data, &key, ALICE.0));
        retype(&mut harness, "name", "Alice Unwritable");
        wait_for_text(
            &mut harness,
            "Your unsaved changes could not be kept on disk",
        );
        assert!(draft::load(&data, &key, ALICE.0).is_none());
        harness
            .get_by_label(profile_editor::app::disk::DISMISS_NOTICE)
            .click();
        step_until(&mut harness, "the notice to go", |h| {
            h.query_all_by_label_contains("could not be kept on disk")
                .next()
                .is_none()
        });
    }

    /// Settings that cannot be written are logged and shown too.
    #[tokio::test(flavor = "multi_thread")]
    async fn settings_that_cannot_be_written_are_shown() {
        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), custom_args(&emulator));
        step_until(&mut harness, "the login form", |h| {
            h.state().state().screen() == Screen::Login
        });
        let settings = dir.path().join("config/settings.json");
        harness.state().disk().fail_writes_to(settings.clone());
        harness.get_by_label("Dark").click();
        wait_for_text(&mut harness, "Your settings could not be saved");
        let on_disk = std::fs::read_to_string(&settings).unwrap_or_default();
        assert!(!on_disk.to_lowercase().contains("dark"), "{on_disk}");
    }

    /// The profile export is written whole or not at all: a write that fails half way (temporary file
    /// complete, not yet renamed) leaves the file at the target as it was, says so in the export window,
    /// and leaves no temporary file; another target is written.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_export_leaves_the_old_file_untouched() {
        use crate::ui_support::{click, own_editor, set_field};
        use profile_editor::ui::editor::files::FileResult;

        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let (mut harness, _) = alice_app(dir.path(), &emulator);
        let out = dir.path().join("profile.json");
        std::fs::write(&out, "the old export").unwrap();
        harness.state().disk().fail_writes_to(out.clone());

        click(&mut harness, "Export JSON…");
        set_field(&mut harness, "File path", &out.display().to_string());
        click(&mut harness, "Export");
        step_until(&mut harness, "the export's answer", |h| {
            own_editor(h).files().result().is_some()
        });
        let Some(FileResult::Failed(message)) = own_editor(&harness).files().result() else {
            panic!("{:?}", own_editor(&harness).files().result())
        };
        assert!(message.starts_with("Could not write the file"), "{message}");
        wait_for_text(&mut harness, "Could not write the file");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "the old export");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name())
            .collect();
        assert!(
            !names
                .iter()
                .any(|name| name.to_string_lossy().ends_with(".tmp")),
            "{names:?}"
        );

        let other = dir.path().join("other.json");
        set_field(&mut harness, "File path", &other.display().to_string());
        click(&mut harness, "Export");
        step_until(&mut harness, "the second export", |h| {
            matches!(
                own_editor(h).files().result(),
                Some(FileResult::Exported(_))
            )
        });
        let exported: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&other).unwrap()).unwrap();
        assert_eq!(exported["email"], json!(ALICE.0));
    }

    /// An import is read by the disk worker: while the disk is slow the window says it is reading and
    /// nothing is applied; the values arrive as pending edits once it is read.
    #[tokio::test(flavor = "multi_thread")]
    async fn an_import_is_read_off_the_ui_thread() {
        use crate::ui_support::{click, own_editor, set_field};

        let emulator = spawn_emulator().await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("in.json");
        std::fs::write(&file, r#"{"name": "Alice Imported"}"#).unwrap();
        let (mut harness, _) = alice_app(dir.path(), &emulator);
        harness.state().disk().hold();
        click(&mut harness, "Import JSON…");
        set_field(&mut harness, "File path", &file.display().to_string());
        click(&mut harness, "Import");
        assert!(own_editor(&harness).files().is_waiting());
        assert!(harness.query_by_label("Reading the file…").is_some());
        assert_eq!(pending_name(&harness), None);
        harness.state().disk().release();
        step_until(&mut harness, "the imported value", |h| {
            pending_name(h) == Some(json!("Alice Imported"))
        });
    }
}
