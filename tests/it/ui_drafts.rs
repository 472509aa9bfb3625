//! Issue 14: the draft of unsaved changes is read by the disk worker when the editor opens, never on the
//! UI thread: the editor opens and takes typing while the read is held (a slow disk), and the draft is
//! offered once it is read, without touching what was typed meanwhile.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use profile_editor::app::App;
use profile_editor::profile::draft;
use serde_json::json;

use crate::helpers::{ALICE, spawn_emulator};
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

/// The pending value of `name` in the own editor.
fn pending_name(harness: &Harness<'static, App>) -> Option<serde_json::Value> {
    let changes = harness.state().editor()?.session().changeset().ok()?;
    changes.get("name").cloned()
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

/// Alice left a draft in an earlier run. With the disk held from launch, she logs in: the editor opens
/// and takes her typing while the draft's read waits; nothing is written over the draft meanwhile; once
/// the disk is back the draft is offered, and what she typed is still there.
#[tokio::test(flavor = "multi_thread")]
async fn the_editor_opens_and_takes_typing_while_its_draft_is_read() {
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
    };

    let mut harness = app(dir.path(), custom_args(&emulator));
    let disk = harness.state().disk().clone();
    disk.hold();
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    assert!(
        harness.query_by_label("Unsaved changes found:").is_none(),
        "the draft is not read on the UI thread"
    );
    retype(&mut harness, "name", "Alice Typing");
    for _ in 0..10 {
        harness.step();
    }
    assert_eq!(pending_name(&harness), Some(json!("Alice Typing")));
    assert!(harness.query_by_label("Unsaved changes found:").is_none());

    disk.release();
    wait_for_text(&mut harness, "Unsaved changes found:");
    let offered = harness.state().editor().unwrap().draft_offer().unwrap();
    assert_eq!(offered.edits[0].text, "Alice Drafted");
    assert_eq!(pending_name(&harness), Some(json!("Alice Typing")));
    // Nothing was written over the offered draft while it was read or since.
    for _ in 0..10 {
        harness.step();
    }
    assert!(disk.wait_idle(std::time::Duration::from_secs(30)));
    assert_eq!(
        draft::load(&data, &key, ALICE.0).unwrap().edits[0].text,
        "Alice Drafted"
    );
}
