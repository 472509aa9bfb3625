//! Issue 12, History: every change the app makes to a record is kept in the local journal
//! (`history.jsonl` in the data dir), shown in the History window (More ▸ History), and "Revert this change"
//! on one's own save prepares the inverse as pending edits that go through the normal review and save.
//! Through the whole app (kittest, real worker, emulator on port 0 behind the recording proxy).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use profile_editor::app::{App, MORE_MENU};
use profile_editor::history::{Change, Entry, PASSWORD_CHANGED, parse};
use profile_editor::ui::account::{
    CHANGE_PASSWORD_BUTTON, CONFIRM_PASSWORD_LABEL, CURRENT_PASSWORD_LABEL, NEW_PASSWORD_LABEL,
    PASSWORD_CHANGED as PASSWORD_CHANGED_MESSAGE, SET_PASSWORD_BUTTON,
};
use profile_editor::ui::history::{HISTORY_TITLE, REVERT_BUTTON};
use serde_json::json;

use crate::helpers::{ADMIN, ALICE, BOB, spawn_emulator};
use crate::ui_support::{
    app, custom_args, log_in, settings_with_cloudcode_key, step_until, text_input, wait_for_editor,
    wait_for_text,
};

/// The journal's entries as the file holds them now.
fn journal(dir: &std::path::Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("data/history.jsonl")).unwrap_or_default();
    let parsed = parse(&text);
    assert_eq!(parsed.damaged, 0, "{text}");
    parsed.entries
}

/// Replaces the text of the grid field `name` (as assistive technology does).
fn set_field(harness: &mut Harness<'static, App>, name: &str, text: &str) {
    text_input(harness, name)
        .unwrap_or_else(|| panic!("no text input {name:?}"))
        .set_text_value_accesskit(text);
    harness.step();
    harness.step();
}

/// Opens the review with "Review & save…", confirms it and waits until nothing is pending.
fn review_and_save(harness: &mut Harness<'static, App>) {
    harness.get_by_label("Review & save…").click();
    step_until(harness, "the review", |h| {
        h.query_by_label("Confirm save").is_some()
    });
    harness.get_by_label("Confirm save").click();
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
    assert_eq!(entries[0].change, Change::StatusChanged { enabled: false });
    open_history(&mut harness);
    step_until(&mut harness, "the entry in the History window", |h| {
        h.query_all_by_label("disabled").count() == 1
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
