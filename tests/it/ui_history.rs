//! Issue 12, History: every change the app makes to a record is kept in the local journal
//! (`history.jsonl` in the data dir), shown in the History window (More ▸ History), and "Revert this change"
//! on one's own save prepares the inverse as pending edits that go through the normal review and save; on
//! an admin's save of another user's record, it opens that record (read again) in the record editor with
//! the inverse pending. Through the whole app (kittest, real worker, emulator on port 0 behind the
//! recording proxy).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use profile_editor::app::{App, MORE_MENU};
use profile_editor::history::{Change, Entry, PASSWORD_CHANGED, parse};
use profile_editor::ui::account::{
    CHANGE_PASSWORD_BUTTON, CONFIRM_PASSWORD_LABEL, CURRENT_PASSWORD_LABEL, NEW_PASSWORD_LABEL,
    PASSWORD_CHANGED as PASSWORD_CHANGED_MESSAGE, SET_PASSWORD_BUTTON,
};
use profile_editor::ui::history::{HISTORY_TITLE, LOADING, REVERT_BUTTON, REVERT_NOT_ADMIN};
use serde_json::json;

use crate::helpers::{ADMIN, ALICE, BOB, spawn_emulator};
use crate::ui_support::{
    app, custom_args, log_in, open_bobs_record, record_edits_pending, review_and_confirm,
    set_field, settings_with_cloudcode_key, step_until, wait_for_editor, wait_for_record_saved,
    wait_for_text,
};

/// The journal's entries as the file holds them now.
fn journal(dir: &std::path::Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("data/history.jsonl")).unwrap_or_default();
    let parsed = parse(&text);
    assert_eq!(parsed.damaged, 0, "{text}");
    parsed.entries
}

/// Opens the review with "Review & save…", confirms it and waits until nothing is pending.
fn review_and_save(harness: &mut Harness<'static, App>) {
    review_and_confirm(harness);
    step_until(harness, "the save", |h| {
        !h.state().editor().unwrap().has_pending_edits()
    });
}

/// Opens the top bar's "More" menu and waits until it shows `item`.
fn open_more_menu(harness: &mut Harness<'static, App>, item: &str) {
    harness.get_by_label(MORE_MENU).click();
    step_until(harness, &format!("{item:?} in the More menu"), |h| {
        h.query_all_by_label(item).count() == 1
    });
}

fn open_history(harness: &mut Harness<'static, App>) {
    open_more_menu(harness, HISTORY_TITLE);
    harness.get_by_label(HISTORY_TITLE).click();
    step_until(harness, "the History window", |h| {
        h.state().history_window().is_some()
    });
}

/// Alice saves a new name: the journal holds who, which record and name old → new; the History window shows
/// it; "Revert this change" puts the old name back as a pending edit (nothing sent yet), and the normal
/// review and save then restore it on the server, which is journaled too.
#[tokio::test(flavor = "multi_thread")]
async fn an_own_save_shows_in_history_and_revert_restores_the_old_value_through_the_review() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    let alice_id = harness.state().state().session().unwrap().object_id.clone();
    let old = harness
        .state()
        .editor()
        .unwrap()
        .session()
        .original()
        .get("name")
        .cloned();
    let old = old.expect("Alice has a name");
    assert_ne!(old, json!("Alice Cooper"));

    set_field(&mut harness, "name", "Alice Cooper");
    review_and_save(&mut harness);
    step_until(&mut harness, "the journal entry", |_| {
        !journal(dir.path()).is_empty()
    });
    let entries = journal(dir.path());
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].actor, ALICE.0);
    assert_eq!(entries[0].object_id, alice_id);
    let Change::Saved { changes } = &entries[0].change else {
        panic!("{entries:?}")
    };
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        (&changes["name"].old, &changes["name"].new),
        (&old, &json!("Alice Cooper"))
    );

    open_history(&mut harness);
    let old_text = old.as_str().unwrap().to_owned();
    wait_for_text(&mut harness, &format!("name: {old_text} → Alice Cooper"));
    let puts_before = emulator.recorded_update_bodies().len();
    harness.get_by_label(REVERT_BUTTON).click();
    step_until(&mut harness, "the inverse as a pending edit", |h| {
        h.state().editor().unwrap().has_pending_edits()
    });
    let field = harness
        .state()
        .editor()
        .unwrap()
        .session()
        .field("name")
        .unwrap()
        .text
        .clone();
    assert_eq!(field, old_text);
    assert!(harness.state().history_window().is_none());
    assert_eq!(
        emulator.recorded_update_bodies().len(),
        puts_before,
        "a revert sends nothing by itself"
    );

    review_and_save(&mut harness);
    assert_eq!(
        emulator.recorded_update_bodies().last(),
        Some(&json!({"name": old}))
    );
    step_until(&mut harness, "the revert's journal entry", |_| {
        journal(dir.path()).len() == 2
    });
    let Change::Saved { changes } = &journal(dir.path())[1].change else {
        panic!("not a save")
    };
    assert_eq!(
        (&changes["name"].old, &changes["name"].new),
        (&json!("Alice Cooper"), &old)
    );
    assert_eq!(emulator.record_as(ALICE).await["name"], old);
}

/// The admin disables Bob from the Users view: the journal records it (who, Bob's record, disabled) and the
/// History window shows it. The admin then changes their own password: the journal records that the
/// password changed, and holds neither password nor the session's token.
#[tokio::test(flavor = "multi_thread")]
async fn an_admin_action_and_a_password_change_are_journaled_without_any_secret() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    settings_with_cloudcode_key(dir.path(), &emulator);
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ADMIN, false);
    wait_for_editor(&mut harness, ADMIN.0);
    let bob_id = emulator.emulator.admin().object_id_of(BOB.0).unwrap();

    step_until(&mut harness, "the Users switch", |h| {
        h.query_by_label("Users").is_some()
    });
    harness.get_by_label("Users").click();
    step_until(&mut harness, "Bob's row", |h| {
        h.query_by_label("Bob Builder").is_some()
    });
    harness.get_by_label("Bob Builder").click();
    step_until(&mut harness, "the inspector", |h| {
        h.query_by_label("Disable user").is_some()
    });
    harness.get_by_label("Disable user").click();
    step_until(&mut harness, "the journal entry", |_| {
        !journal(dir.path()).is_empty()
    });
    let entries = journal(dir.path());
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].actor, ADMIN.0);
    assert_eq!(entries[0].object_id, bob_id);
    assert_eq!(
        entries[0].change,
        Change::StatusChanged {
            enabled: false,
            old_status: Some("ENABLED".to_owned())
        }
    );
    open_history(&mut harness);
    step_until(&mut harness, "the entry in the History window", |h| {
        h.query_all_by_label("userStatus: ENABLED → DISABLED")
            .count()
            == 1
            && h.state()
                .history_window()
                .is_some_and(|w| w.entries().len() == 1)
    });
    // Not a save: nothing to revert.
    assert!(harness.query_by_label(REVERT_BUTTON).is_none());

    open_more_menu(&mut harness, CHANGE_PASSWORD_BUTTON);
    harness.get_by_label(CHANGE_PASSWORD_BUTTON).click();
    step_until(&mut harness, "the change-password dialog", |h| {
        h.query_by_label(CURRENT_PASSWORD_LABEL).is_some()
    });
    for (label, text) in [
        (CURRENT_PASSWORD_LABEL, ADMIN.1),
        (NEW_PASSWORD_LABEL, "admin-pass-2"),
        (CONFIRM_PASSWORD_LABEL, "admin-pass-2"),
    ] {
        harness.get_by_label(label).focus();
        harness.step();
        harness.get_by_label(label).type_text(text);
        harness.step();
    }
    harness.get_by_label(SET_PASSWORD_BUTTON).click();
    wait_for_text(&mut harness, PASSWORD_CHANGED_MESSAGE);
    step_until(&mut harness, "the password change's entry", |_| {
        journal(dir.path()).len() == 2
    });
    let Change::Saved { changes } = &journal(dir.path())[1].change else {
        panic!("not a save")
    };
    assert_eq!(changes["password"].new, json!(PASSWORD_CHANGED));
    let text = std::fs::read_to_string(dir.path().join("data/history.jsonl")).unwrap();
    let token = harness
        .state()
        .state()
        .session()
        .unwrap()
        .user_token
        .expose()
        .to_owned();
    for secret in [ADMIN.1, "admin-pass-2", token.as_str()] {
        assert!(!text.contains(secret), "the journal holds a secret: {text}");
    }
}

/// Issue 14: the History window opens at once, "Loading…" while the disk worker reads the journal (held
/// here: a slow disk; frames go on), and fills when the read answers.
#[tokio::test(flavor = "multi_thread")]
async fn the_history_window_opens_loading_and_fills_when_the_journal_is_read() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    set_field(&mut harness, "name", "Alice Loaded");
    review_and_save(&mut harness);
    step_until(&mut harness, "the journal entry", |_| {
        journal(dir.path()).len() == 1
    });

    harness.state().disk().hold();
    open_history(&mut harness);
    for _ in 0..5 {
        harness.step();
    }
    let window = harness.state().history_window().unwrap();
    assert!(window.is_loading());
    assert!(window.entries().is_empty());
    assert!(harness.query_by_label(LOADING).is_some());

    harness.state().disk().release();
    step_until(&mut harness, "the entry in the window", |h| {
        h.state()
            .history_window()
            .is_some_and(|w| !w.is_loading() && w.entries().len() == 1)
    });
    wait_for_text(&mut harness, "→ Alice Loaded");
    assert!(harness.query_by_label(LOADING).is_none());
}

/// The History window's message, once it says something.
fn history_message(harness: &mut Harness<'static, App>) -> String {
    step_until(harness, "the History window's message", |h| {
        h.state()
            .history_window()
            .is_some_and(|w| w.message.as_deref().is_some_and(|m| !m.ends_with('…')))
    });
    harness
        .state()
        .history_window()
        .and_then(|w| w.message.clone())
        .unwrap_or_default()
}

/// The admin opens Bob's record from Users, sets `name` to `name` and saves; then goes back to the table.
fn admin_saves_bobs_name(harness: &mut Harness<'static, App>, name: &str) {
    open_bobs_record(harness);
    set_field(harness, "name", name);
    review_and_confirm(harness);
    wait_for_record_saved(harness, "the save");
    harness.get_by_label("⬅ Back to users").click();
    step_until(harness, "the Users table", |h| {
        h.state().record_editor().is_none()
    });
}

/// An admin's save of Bob's record is reverted from the History window: Bob's record opens (read again) in
/// the record editor with the old name pending (nothing sent yet); the normal review and save send exactly
/// one PUT to Bob's record with only that property, and the server has the old name back.
#[tokio::test(flavor = "multi_thread")]
async fn an_admins_save_of_another_record_is_reverted_in_the_record_editor_through_the_review() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ADMIN, false);
    wait_for_editor(&mut harness, ADMIN.0);
    let bob_id = emulator.emulator.admin().object_id_of(BOB.0).unwrap();
    let admin_id = harness
        .state()
        .state()
        .session()
        .unwrap()
        .object_id
        .to_string();

    admin_saves_bobs_name(&mut harness, "Robert Builder");
    step_until(&mut harness, "the journal entry", |_| {
        journal(dir.path()).len() == 1
    });
    let entry = &journal(dir.path())[0];
    assert_eq!((&entry.object_id, &entry.actor_id), (&bob_id, &admin_id));
    assert_eq!(
        emulator.recorded_update_bodies(),
        vec![json!({"name": "Robert Builder"})]
    );

    open_history(&mut harness);
    wait_for_text(&mut harness, "name: Bob Builder → Robert Builder");
    harness.get_by_label(REVERT_BUTTON).click();
    step_until(
        &mut harness,
        "Bob's record with the revert pending",
        record_edits_pending,
    );
    let editor = harness.state().record_editor().unwrap();
    assert_eq!(editor.object_id(), bob_id);
    // Read again: the base is the record as saved, and the old value is the pending edit.
    assert_eq!(
        editor.editor().session().original().get("name"),
        Some(&json!("Robert Builder"))
    );
    assert_eq!(
        editor.editor().session().field("name").unwrap().text,
        "Bob Builder"
    );
    assert_eq!(editor.editor().session().dirty_count(), 1);
    assert!(harness.state().history_window().is_none());
    assert!(
        !harness.state().editor().unwrap().has_pending_edits(),
        "not the admin's own"
    );
    assert_eq!(
        emulator.recorded_update_bodies().len(),
        1,
        "a revert sends nothing by itself"
    );

    harness.get_by_label("Review & save…").click();
    step_until(&mut harness, "the review", |h| {
        h.query_by_label("Confirm save").is_some()
    });
    wait_for_text(&mut harness, "Bob Builder");
    harness.get_by_label("Confirm save").click();
    wait_for_record_saved(&mut harness, "the revert's save");
    let puts = emulator.proxy.requests_with_method("PUT");
    assert_eq!(puts.len(), 2, "{puts:?}");
    assert!(
        puts[1].path.ends_with(&format!("/users/{bob_id}")),
        "{puts:?}"
    );
    assert_eq!(
        emulator.recorded_update_bodies(),
        vec![
            json!({"name": "Robert Builder"}),
            json!({"name": "Bob Builder"})
        ]
    );
    assert_eq!(emulator.record_as(BOB).await["name"], "Bob Builder");
    step_until(&mut harness, "the revert's journal entry", |_| {
        journal(dir.path()).len() == 2
    });
    let Change::Saved { changes } = &journal(dir.path())[1].change else {
        panic!("not a save")
    };
    assert_eq!(
        (&changes["name"].old, &changes["name"].new),
        (&json!("Robert Builder"), &json!("Bob Builder"))
    );
}

/// The record was deleted since the admin's save: the History window says so and nothing opens or is sent.
#[tokio::test(flavor = "multi_thread")]
async fn reverting_a_save_of_a_deleted_record_says_so_and_sends_nothing() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ADMIN, false);
    wait_for_editor(&mut harness, ADMIN.0);
    let bob_id = emulator.emulator.admin().object_id_of(BOB.0).unwrap();
    admin_saves_bobs_name(&mut harness, "Robert Builder");
    step_until(&mut harness, "the journal entry", |_| {
        journal(dir.path()).len() == 1
    });
    assert!(emulator.emulator.admin().delete_user(&bob_id).unwrap());

    open_history(&mut harness);
    wait_for_text(&mut harness, "name: Bob Builder → Robert Builder");
    harness.get_by_label(REVERT_BUTTON).click();
    let message = history_message(&mut harness);
    assert!(message.contains("no longer exists (deleted)"), "{message}");
    assert!(message.contains("bob@example.com"), "{message}");
    wait_for_text(&mut harness, &message);
    assert!(harness.state().record_editor().is_none());
    assert_eq!(emulator.recorded_update_bodies().len(), 1, "nothing sent");
}

/// A journal holding a save of Bob's record that Alice made when she was an admin: Alice is no admin now,
/// so "Revert this change" says so, and nothing at all is sent (not even the read).
#[tokio::test(flavor = "multi_thread")]
async fn a_user_who_is_no_admin_any_more_is_told_so_and_nothing_is_sent() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    let session = harness.state().state().session().unwrap().clone();
    let bob_id = emulator.emulator.admin().object_id_of(BOB.0).unwrap();
    let entry = Entry {
        at_ms: 1_700_000_000_000,
        actor: ALICE.0.to_owned(),
        actor_id: session.object_id.to_string(),
        connection: session.connection.key(),
        object_id: bob_id.clone(),
        record: BOB.0.to_owned(),
        change: Change::Saved {
            changes: [(
                "name".to_owned(),
                profile_editor::history::PropertyChange {
                    old: json!("Bob Builder"),
                    new: json!("Robert Builder"),
                },
            )]
            .into(),
        },
    };
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("data/history.jsonl"),
        format!("{}\n", profile_editor::history::encode(&entry)),
    )
    .unwrap();
    let requests_before = emulator.proxy.requests().len();

    open_history(&mut harness);
    wait_for_text(&mut harness, "name: Bob Builder → Robert Builder");
    harness.get_by_label(REVERT_BUTTON).click();
    assert_eq!(history_message(&mut harness), REVERT_NOT_ADMIN);
    wait_for_text(&mut harness, REVERT_NOT_ADMIN);
    let requests = emulator.proxy.requests();
    assert!(
        requests[requests_before..]
            .iter()
            .all(|r| !r.path.contains(&bob_id)),
        "{requests:?}"
    );
    assert!(harness.state().record_editor().is_none());
    assert!(!harness.state().editor().unwrap().has_pending_edits());
}

/// Selects Bob's row, then Alice's with Ctrl (the inspector the first click opens is closed).
fn select_alice_and_bob(harness: &mut Harness<'static, App>) {
    step_until(harness, "Alice's and Bob's rows", |h| {
        h.query_by_label("Bob Builder").is_some() && h.query_by_label("Alice Liddell").is_some()
    });
    harness.get_by_label("Bob Builder").click();
    harness.step();
    harness.key_press(egui::Key::Escape);
    harness.step();
    harness
        .get_by_label("Alice Liddell")
        .click_modifiers(egui::Modifiers::COMMAND);
    step_until(harness, "two selected", |h| {
        h.query_by_label("2 selected").is_some()
    });
}

/// A bulk disable, then a bulk enable, of Alice and Bob: each entry records the status read just before
/// the change (old → new), one read per page of users, and the History window shows it.
#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_status_change_records_each_users_old_status() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    settings_with_cloudcode_key(dir.path(), &emulator);
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ADMIN, false);
    wait_for_editor(&mut harness, ADMIN.0);
    step_until(&mut harness, "the Users switch", |h| {
        h.query_by_label("Users").is_some()
    });
    harness.get_by_label("Users").click();
    step_until(&mut harness, "Bob's row", |h| {
        h.query_by_label("Bob Builder").is_some() && h.query_by_label("Alice Liddell").is_some()
    });
    select_alice_and_bob(&mut harness);
    harness.get_by_label("Disable selected").click();
    step_until(&mut harness, "the disable's entries", |_| {
        journal(dir.path()).len() == 2
    });
    select_alice_and_bob(&mut harness);
    harness.get_by_label("Enable selected").click();
    step_until(&mut harness, "the enable's entries", |_| {
        journal(dir.path()).len() == 4
    });
    let changes: Vec<Change> = journal(dir.path())
        .into_iter()
        .map(|entry| entry.change)
        .collect();
    let status = |enabled: bool, old: &str| Change::StatusChanged {
        enabled,
        old_status: Some(old.to_owned()),
    };
    assert_eq!(
        changes,
        vec![
            status(false, "ENABLED"),
            status(false, "ENABLED"),
            status(true, "DISABLED"),
            status(true, "DISABLED"),
        ]
    );
    open_history(&mut harness);
    step_until(&mut harness, "old → new in the window", |h| {
        h.query_all_by_label("userStatus: ENABLED → DISABLED")
            .count()
            == 2
            && h.query_all_by_label("userStatus: DISABLED → ENABLED")
                .count()
                == 2
    });
}
