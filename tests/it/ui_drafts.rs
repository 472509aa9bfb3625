//! Issue 14: the draft of unsaved changes is read by the disk worker when the editor opens, never on the
//! UI thread: the editor opens and takes typing while the read is held (a slow disk), and the draft is
//! offered once it is read, without touching what was typed meanwhile.

use egui_kittest::kittest::Queryable as _;
use profile_editor::profile::draft;
use serde_json::json;

use crate::helpers::{ALICE, spawn_emulator};
use crate::ui_support::{
    app, custom_args, leave_a_draft, log_in, pending_name, retype, wait_for_editor, wait_for_text,
};

/// Alice left a draft in an earlier run. With the disk held from launch, she logs in: the editor opens
/// and takes her typing while the draft's read waits; nothing is written over the draft meanwhile; once
/// the disk is back the draft is offered, and what she typed is still there.
#[tokio::test(flavor = "multi_thread")]
async fn the_editor_opens_and_takes_typing_while_its_draft_is_read() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = leave_a_draft(dir.path(), custom_args(&emulator), ALICE, "Alice Drafted");

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
