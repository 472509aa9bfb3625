//! Issue 12 / 14: the admin's save of another user's record re-reads it first; when that re-read of ONE
//! record is refused with 1013 (the admin lost the Admin role meanwhile), the banner says plainly that
//! the logged-in user may no longer read this user's record, not 1013's sentence about reading records in
//! general.

use egui_kittest::kittest::Queryable as _;
use profile_editor::backendless::{Client, Endpoint};
use profile_editor::cli::{DEMO_API_KEY, DEMO_APP_ID, DEMO_CLOUDCODE_KEY};

use crate::helpers::{ADMIN, spawn_emulator};
use crate::ui_support::{
    app, custom_args, log_in, open_bobs_record, review_and_confirm, set_field, wait_for_text,
};

/// The admin opens Bob's record and edits it; meanwhile the Admin role is taken from them; the save's
/// re-read of Bob's record is refused (1013) and the banner says they may no longer read this record.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_reread_of_one_record_says_this_users_record_may_no_longer_be_read() {
    let emulator = spawn_emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&emulator));
    log_in(&mut harness, ADMIN, false);
    open_bobs_record(&mut harness);
    set_field(&mut harness, "name", "Bob Renamed");

    let endpoint =
        Endpoint::parse(&emulator.origin(), Some(DEMO_APP_ID), Some(DEMO_API_KEY)).unwrap();
    let cloudcode = Client::new(endpoint)
        .with_cloudcode_key(DEMO_CLOUDCODE_KEY)
        .unwrap();
    cloudcode
        .unassign_role(None, ADMIN.0, "Admin")
        .await
        .unwrap();

    review_and_confirm(&mut harness);
    wait_for_text(&mut harness, "You may no longer read this user's record");
    assert!(
        harness
            .query_all_by_label_contains("permission to read these records")
            .next()
            .is_none()
    );
    let editor = harness.state().record_editor().unwrap().editor();
    assert!(editor.has_pending_edits(), "the edit stays");
    assert!(
        emulator.recorded_update_bodies().is_empty(),
        "nothing was written"
    );
}
