//! Issue 12, the admin side of the Users view, driven with egui_kittest against an emulator on port 0:
//! disable / enable (with the CloudCode key, and what is said without one), roles (show, assign,
//! unassign, refusals beside the control, the role filter), delete after typing the identity (with the
//! copy in the data dir), create from a typed form, and bulk actions over a selection (partial failure,
//! Cancel, export). The harness runs the app's own wiring: the requests `UsersScreen` returns go to the
//! worker's `users::run` (with the connection's CloudCode key, as the app's command carries it) on a
//! runtime, and every answer back through `UsersScreen::answer`; only the save dialog is played.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::users::{
    self, CloudCodeKey, UsersAnswer, UsersOutcome, UsersRequest, UsersScreen,
};
use profile_editor::backendless::client::{Client, Password, UserToken};
use profile_editor::backendless::error::ApiError;
use profile_editor::cli::{DEMO_API_KEY, DEMO_CLOUDCODE_KEY};
use profile_editor::emulator::EmulatorConfig;
use profile_editor::users_admin::RowState;

use crate::helpers::{ADMIN, ALICE, BOB};
use crate::ui_support::{ANSWER_TIMEOUT, Rig, text_input};

// ------------------------------------------------------------------------------------------------
// Plumbing.

/// The harness state: the app's Users screen plus what the app and its worker do with its requests.
struct Host {
    screen: UsersScreen,
    client: Client,
    token: UserToken,
    /// The key the app would attach (the connection's CloudCode key), if any.
    key: Option<CloudCodeKey>,
    /// The app's data dir (where the copies of deleted users go).
    data_dir: PathBuf,
    /// What the save dialog answers.
    export_path: PathBuf,
    handle: tokio::runtime::Handle,
    /// Answers of requests running on the runtime.
    answers: mpsc::Receiver<UsersAnswer>,
    answer_tx: mpsc::Sender<UsersAnswer>,
    /// Requests sent and not yet answered.
    pending: usize,
    /// Frames in a row with nothing asked and nothing pending.
    idle_frames: u32,
    /// Requests made, oldest first (their `Debug`, which never shows a key).
    sent: Vec<String>,
}

impl Host {
    fn new(rig: &Rig, key: Option<&str>, dir: &Path) -> Self {
        let (me, token) = rig.login(ADMIN);
        let schema = rig.schema(&token);
        let (answer_tx, answers) = mpsc::channel();
        // As the app does for the session's user.
        let mut screen = UsersScreen::new(schema);
        screen.set_own_object_id(me.object_id().clone());
        Self {
            screen,
            client: rig.client(),
            token,
            key: key.and_then(CloudCodeKey::new),
            data_dir: dir.join("data"),
            export_path: dir.join("selected.csv"),
            handle: rig.runtime.handle().clone(),
            answers,
            answer_tx,
            pending: 0,
            idle_frames: 0,
            sent: Vec::new(),
        }
    }

    fn send(&mut self, request: UsersRequest) {
        self.sent.push(format!("{request:?}"));
        if let UsersRequest::PickExportPath { ticket, .. } = request {
            // No native dialog in tests: it "chose" the export path.
            self.screen.answer(UsersAnswer::ExportPath {
                ticket,
                path: Some(self.export_path.clone()),
            });
            return;
        }
        // The worker's own function, with what the app's command carries (the connection's key) and
        // the worker's data dir.
        let client = self.client.clone();
        let token = self.token.clone();
        let key = self.key.clone();
        let data_dir = self.data_dir.clone();
        let tx = self.answer_tx.clone();
        self.pending += 1;
        self.handle.spawn(async move {
            let context = users::UsersContext {
                user_token: &token,
                cloudcode_key: key.as_ref(),
                data_dir: &data_dir,
            };
            let answer = users::run(request, Some(&client), context).await;
            tx.send(answer).ok();
        });
    }

    fn frame(&mut self, ui: &mut egui::Ui) {
        let mut busy = false;
        while let Ok(answer) = self.answers.try_recv() {
            self.pending -= 1;
            self.screen.answer(answer);
            busy = true;
        }
        match self.screen.ui(ui, &[]) {
            Some(UsersOutcome::Send(request)) => {
                self.send(request);
                busy = true;
            }
            Some(UsersOutcome::Columns(_)) => busy = true,
            None => {}
        }
        if busy || self.pending > 0 {
            self.idle_frames = 0;
            ui.ctx().request_repaint();
        } else {
            self.idle_frames += 1;
        }
    }

    fn view(&self) -> &profile_editor::ui::users::UsersView {
        self.screen.view().expect("the view is built")
    }
}

fn harness(host: Host) -> Harness<'static, Host> {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, host: &mut Host| host.frame(ui), host);
    settle(&mut harness);
    harness
}

/// Frames in a row with nothing asked or pending after which the view is taken as settled: a click on a
/// table row takes effect three frames after it is queued (pointer move, press, release).
const SETTLED_AFTER_IDLE_FRAMES: u32 = 6;

/// Steps until nothing has been asked or pending for [`SETTLED_AFTER_IDLE_FRAMES`] frames in a row.
fn settle(harness: &mut Harness<'_, Host>) {
    harness.state_mut().idle_frames = 0;
    let deadline = std::time::Instant::now() + ANSWER_TIMEOUT;
    loop {
        harness.step();
        if harness.state().idle_frames >= SETTLED_AFTER_IDLE_FRAMES {
            // Clicks show their effect a frame later (panels are laid out before the table).
            harness.run_steps(2);
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the Users view kept asking (or waiting) past the timeout"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Replaces the text of the input labelled `label` (as assistive technology does) and settles.
fn set_text(harness: &mut Harness<'_, Host>, label: &str, text: &str) {
    text_input(harness, label)
        .unwrap_or_else(|| panic!("no text input {label:?}"))
        .set_text_value_accesskit(text);
    settle(harness);
}

/// Shows only the users whose identity or name contains `text` (the quick search).
fn search(harness: &mut Harness<'_, Host>, text: &str) {
    set_text(harness, "Search", text);
    settle(harness);
}

/// Opens `identity`'s record in the inspector (a plain click on its row).
fn open(harness: &mut Harness<'_, Host>, identity: &str) {
    search(harness, identity);
    harness.get_by_label(identity).click();
    settle(harness);
    assert_eq!(
        harness
            .state()
            .view()
            .selected()
            .and_then(|r| r.get("email"))
            .and_then(|v| v.as_str()),
        Some(identity)
    );
}

fn click(harness: &mut Harness<'_, Host>, label: &str) {
    harness.get_by_label(label).click();
    settle(harness);
}

fn shows(harness: &Harness<'_, Host>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

fn login_error(rig: &Rig, user: (&str, &str)) -> Option<ApiError> {
    rig.runtime
        .block_on(
            rig.client()
                .login(user.0, &Password::new(user.1.to_owned())),
        )
        .err()
}

/// The requests of `method` whose path ends with `suffix`, as the proxy saw them (path with the key).
fn requests_to(rig: &Rig, method: &str, suffix: &str) -> Vec<String> {
    rig.emulator
        .proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.split('?').next().unwrap().ends_with(suffix))
        .map(|r| r.path)
        .collect()
}

/// The `userStatus` the server has for `identity` now, read with the harness's admin session (a second
/// login of the admin would end the harness's session).
fn status_of(h: &Harness<'_, Host>, rig: &Rig, identity: &str) -> String {
    let token = &h.state().token;
    let record = rig
        .runtime
        .block_on(
            rig.client()
                .get_user(Some(token), &parsed_id(rig, identity)),
        )
        .unwrap();
    record
        .get("userStatus")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// [`object_id`] as the client takes it.
fn parsed_id(rig: &Rig, identity: &str) -> profile_editor::model::ObjectId {
    profile_editor::model::ObjectId::parse(object_id(rig, identity)).expect("an objectId")
}

fn object_id(rig: &Rig, identity: &str) -> String {
    rig.emulator
        .emulator
        .admin()
        .object_id_of(identity)
        .expect("the user exists")
}

// ------------------------------------------------------------------------------------------------
// 1. Disable / enable.

#[test]
fn disabling_a_user_uses_the_cloudcode_key_shows_in_the_table_and_stops_their_login() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Host::new(&rig, Some(DEMO_CLOUDCODE_KEY), dir.path()));
    // userStatus is one of the table's columns.
    assert!(h.state().view().columns().iter().any(|c| c == "userStatus"));
    open(&mut h, ALICE.0);
    h.get_by_label("Status: ENABLED");
    click(&mut h, "Disable user");
    assert!(
        shows(&h, "Disabled: this user cannot log in"),
        "no outcome shown"
    );
    // The row shows the new status (the table was read again), and so does the inspector.
    h.get_by_label("Status: DISABLED");
    assert!(
        h.query_all_by_label("DISABLED").count() >= 1,
        "the table's userStatus cell"
    );
    assert!(matches!(
        login_error(&rig, ALICE),
        Some(ApiError::AccountDisabled { .. })
    ));
    // Sent with the CloudCode key, never the REST key.
    let id = object_id(&rig, ALICE.0);
    let sent = requests_to(&rig, "PUT", &format!("/users/{id}/status"));
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains(DEMO_CLOUDCODE_KEY) && !sent[0].contains(DEMO_API_KEY));
    assert!(
        h.state()
            .sent
            .iter()
            .all(|s| !s.contains(DEMO_CLOUDCODE_KEY)),
        "a request's Debug never shows the key"
    );

    click(&mut h, "Enable user");
    h.get_by_label("Status: ENABLED");
    assert!(
        login_error(&rig, ALICE).is_none(),
        "enabled again, she logs in"
    );
}

#[test]
fn without_a_cloudcode_key_the_inspector_says_it_needs_one_and_where_to_set_it() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Host::new(&rig, None, dir.path()));
    open(&mut h, BOB.0);
    click(&mut h, "Disable user");
    let message = "Disabling a user needs the app's CloudCode key, and none is set for this \
                   connection. Log out, enter it in the connection's CloudCode key field";
    assert!(shows(&h, message), "no plain message about the key");
    assert!(
        requests_to(&rig, "PUT", "/status").is_empty(),
        "nothing was sent"
    );
    assert!(login_error(&rig, BOB).is_none(), "Bob is still enabled");

    // A key the server does not take as the CloudCode key (here the REST key): its 3054, in plain words.
    let mut h = harness(Host::new(&rig, Some(DEMO_API_KEY), dir.path()));
    open(&mut h, BOB.0);
    click(&mut h, "Disable user");
    assert!(
        shows(
            &h,
            "Disabling a user is allowed only with the app's CloudCode key; the server refused this connection's key (3054)"
        ),
        "no plain message for 3054"
    );
    h.get_by_label("Status: ENABLED");
    assert!(login_error(&rig, BOB).is_none());
}

// ------------------------------------------------------------------------------------------------
// 2. Roles.

#[test]
fn roles_show_in_the_inspector_and_are_assigned_and_taken_away_with_refusals_beside_them() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Host::new(&rig, Some(DEMO_CLOUDCODE_KEY), dir.path()));
    open(&mut h, BOB.0);
    h.get_by_label("Roles: none");

    set_text(&mut h, "Role to assign", "Editor");
    click(&mut h, "Assign role");
    h.get_by_label("Assigned the role \"Editor\".");
    h.get_by_label("Remove Editor");
    // Read with the CloudCode key (no session needed: another login of the admin would end the harness's).
    let roles = |rig: &Rig| {
        rig.runtime
            .block_on(
                rig.client_with_key(DEMO_CLOUDCODE_KEY)
                    .roles_of(None, &parsed_id(rig, BOB.0)),
            )
            .unwrap()
    };
    assert_eq!(roles(&rig), ["Editor"]);
    let sent = requests_to(&rig, "POST", "/users/assignRole");
    assert!(
        sent.iter().all(|p| p.contains(DEMO_CLOUDCODE_KEY)),
        "{sent:?}"
    );

    // A role that does not exist (2005) and a built-in one (2007): said beside the control.
    set_text(&mut h, "Role to assign", "Nope");
    click(&mut h, "Assign role");
    h.get_by_label("There is no role named \"Nope\" in this app.");
    set_text(&mut h, "Role to assign", "AuthenticatedUser");
    click(&mut h, "Assign role");
    assert!(
        shows(&h, "\"AuthenticatedUser\" is a built-in role"),
        "2007 not explained"
    );

    click(&mut h, "Remove Editor");
    h.get_by_label("Took away the role \"Editor\".");
    assert!(h.query_by_label("Remove Editor").is_none());
    h.get_by_label("Roles: none");
    assert!(roles(&rig).is_empty());

    // Without the key: 2011's meaning, beside the control; nothing changes.
    let mut h = harness(Host::new(&rig, Some(DEMO_API_KEY), dir.path()));
    open(&mut h, BOB.0);
    set_text(&mut h, "Role to assign", "Editor");
    click(&mut h, "Assign role");
    assert!(
        shows(
            &h,
            "Assigning a role is allowed only with the app's CloudCode key"
        ),
        "2011 not explained"
    );
    assert!(roles(&rig).is_empty());
}

#[test]
fn the_role_filter_shows_only_the_users_of_that_role() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let cloudcode = rig.client_with_key(DEMO_CLOUDCODE_KEY);
    rig.runtime
        .block_on(cloudcode.assign_role(None, ALICE.0, "Support"))
        .unwrap();
    let mut h = harness(Host::new(&rig, Some(DEMO_CLOUDCODE_KEY), dir.path()));
    assert_eq!(h.state().view().cache().total(), Some(3));
    set_text(&mut h, "Role", "Support");
    click(&mut h, "Filter by role");
    assert_eq!(h.state().view().cache().total(), Some(1));
    h.get_by_label(ALICE.0);
    assert!(h.query_by_label(BOB.0).is_none());
    h.get_by_label("Role: Support");
    // It combines with the quick search.
    search(&mut h, "bob");
    assert_eq!(h.state().view().cache().total(), Some(0));
    search(&mut h, "");
    click(&mut h, "Clear role filter");
    assert_eq!(h.state().view().cache().total(), Some(3));

    set_text(&mut h, "Role", "Nobody");
    click(&mut h, "Filter by role");
    h.get_by_label("There is no role named \"Nobody\" in this app.");
    assert_eq!(
        h.state().view().cache().total(),
        Some(3),
        "the table stays as it was"
    );
}

// ------------------------------------------------------------------------------------------------
// 3. Delete.

#[test]
fn deleting_needs_the_identity_typed_and_first_keeps_a_copy_in_the_data_dir() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Host::new(&rig, Some(DEMO_CLOUDCODE_KEY), dir.path()));
    let bob_id = object_id(&rig, BOB.0);
    open(&mut h, BOB.0);
    click(&mut h, "Delete user…");
    let delete_enabled = |h: &Harness<'_, Host>| {
        !h.get_by_label("Delete permanently")
            .accesskit_node()
            .is_disabled()
    };
    assert!(!delete_enabled(&h));
    set_text(&mut h, "Identity to delete", "bob@example");
    assert!(!delete_enabled(&h), "a partial identity does not confirm");
    set_text(&mut h, "Identity to delete", BOB.0);
    assert!(delete_enabled(&h));
    click(&mut h, "Delete permanently");

    let copies: Vec<_> = std::fs::read_dir(dir.path().join("data").join("deleted-users"))
        .expect("the copy's folder")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = &copies[0];
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(copy).unwrap()).unwrap();
    assert_eq!(saved["email"], BOB.0);
    assert_eq!(saved["objectId"], bob_id.as_str());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The message says where the copy is; the row has left the table; Bob is gone on the server.
    h.get_by_label(&format!(
        "Deleted {}. A copy of the record was saved to {}",
        BOB.0,
        copy.display()
    ));
    assert!(
        h.state().view().selected().is_none(),
        "the inspector closed"
    );
    search(&mut h, "");
    assert_eq!(h.state().view().cache().total(), Some(2));
    assert!(h.query_by_label(BOB.0).is_none());
    assert!(matches!(
        login_error(&rig, BOB),
        Some(ApiError::InvalidCredentials { .. })
    ));
    assert_eq!(
        requests_to(&rig, "DELETE", &format!("/data/Users/{bob_id}")).len(),
        1
    );
}

// ------------------------------------------------------------------------------------------------
// 4. Create.

#[test]
fn a_new_user_comes_from_a_form_typed_from_the_schema_with_errors_at_the_field() {
    let rig = Rig::new();
    rig.emulator
        .emulator
        .admin()
        .add_column("shoeSize", "INT", true)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Host::new(&rig, Some(DEMO_CLOUDCODE_KEY), dir.path()));
    click(&mut h, "New user…");
    assert!(h.state().view().is_create_form_open());
    // The identity, the required properties (typed), the password.
    set_text(&mut h, "email", ALICE.0);
    set_text(&mut h, "shoeSize", "4x");
    set_text(&mut h, "Password", "new-pass-1");
    set_text(&mut h, "name", "Dora");
    click(&mut h, "Create user");
    assert!(
        shows(&h, "“4x” is not a whole number"),
        "refused at its field"
    );
    assert!(
        requests_to(&rig, "POST", "/users/register").is_empty(),
        "nothing sent"
    );
    set_text(&mut h, "shoeSize", "41");
    click(&mut h, "Create user");
    // 3033 from the server: at the identity field; what was typed stays.
    assert_eq!(requests_to(&rig, "POST", "/users/register").len(), 1);
    assert!(h.state().view().is_create_form_open());
    h.get_by_label("An account with that email already exists. Log in instead.");
    set_text(&mut h, "email", "dora@example.com");
    click(&mut h, "Create user");
    assert!(!h.state().view().is_create_form_open());
    h.get_by_label("Created the user dora@example.com.");
    h.get_by_label("dora@example.com");
    assert!(login_error(&rig, ("dora@example.com", "new-pass-1")).is_none());
}

// ------------------------------------------------------------------------------------------------
// 5. Bulk.

/// Clicks the table row of `identity` with `modifiers` held.
fn click_row(h: &mut Harness<'_, Host>, identity: &str, modifiers: egui::Modifiers) {
    h.get_by_label(identity).click_modifiers(modifiers);
    settle(h);
}

fn identity_at(h: &Harness<'_, Host>, row: usize) -> String {
    match h.state().view().cache().row(row) {
        RowState::Loaded(record) => record.get("email").unwrap().as_str().unwrap().to_owned(),
        other => panic!("row {row} is {other:?}"),
    }
}

/// A rig with `count` generated demo users (`user00001`…), the admin's Users view with the CloudCode key
/// searched down to them, and their identities in table order.
fn with_demo_users(count: u32) -> (Rig, tempfile::TempDir, Harness<'static, Host>, Vec<String>) {
    let rig = Rig::with(EmulatorConfig {
        demo: true,
        demo_users: count,
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Host::new(&rig, Some(DEMO_CLOUDCODE_KEY), dir.path()));
    search(&mut h, "user0000");
    let users = (0..count as usize).map(|r| identity_at(&h, r)).collect();
    (rig, dir, h, users)
}

#[test]
fn a_bulk_disable_with_one_user_deleted_meanwhile_says_which_failed_and_why() {
    let (rig, _dir, mut h, users) = with_demo_users(3);
    // Click the first, Shift-click the third: a range of three; Ctrl-click the second out and in again.
    click_row(&mut h, &users[0], egui::Modifiers::NONE);
    // Esc closes the inspector the click opened (with it open, it follows the rows clicked).
    h.key_press(egui::Key::Escape);
    settle(&mut h);
    click_row(&mut h, &users[2], egui::Modifiers::SHIFT);
    assert_eq!(h.state().view().selected_rows(), [0, 1, 2]);
    click_row(&mut h, &users[1], egui::Modifiers::COMMAND);
    assert_eq!(h.state().view().selected_rows(), [0, 2]);
    click_row(&mut h, &users[1], egui::Modifiers::COMMAND);
    h.get_by_label("3 selected");
    // Meanwhile someone deletes the second one.
    assert!(
        rig.emulator
            .emulator
            .admin()
            .delete_user(&object_id(&rig, &users[1]))
            .unwrap()
    );
    click(&mut h, "Disable selected");
    let summary = h
        .state()
        .view()
        .bulk_summary()
        .expect("a summary")
        .to_owned();
    assert_eq!(
        summary,
        format!(
            "Disabled 2 of 3 selected users. 1 failed:\n• {}: This user no longer exists (deleted meanwhile?).",
            users[1]
        )
    );
    h.get_by_label(&summary);
    for user in [&users[0], &users[2]] {
        assert_eq!(status_of(&h, &rig, user), "DISABLED", "{user}");
    }
    // The table shows their new status.
    assert_eq!(h.query_all_by_label("DISABLED").count(), 2);
}

#[test]
fn the_keyboard_selects_rows_and_cancel_stops_a_bulk_action_midway() {
    let (rig, _dir, mut h, users) = with_demo_users(4);
    click_row(&mut h, &users[0], egui::Modifiers::NONE);
    // Shift+Down twice: rows 0-2; a plain Down starts again at row 3; Space takes it out and puts it back.
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowDown);
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowDown);
    settle(&mut h);
    assert_eq!(h.state().view().selected_rows(), [0, 1, 2]);
    h.get_by_label("3 selected");
    h.key_press(egui::Key::ArrowDown);
    settle(&mut h);
    assert_eq!(h.state().view().selected_rows(), [3]);
    h.key_press(egui::Key::Space);
    settle(&mut h);
    assert!(h.state().view().selected_rows().is_empty());
    h.key_press(egui::Key::Space);
    settle(&mut h);
    assert_eq!(h.state().view().selected_rows(), [3]);
    // Shift+Up three times from row 3: all four.
    for _ in 0..3 {
        h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::ArrowUp);
    }
    settle(&mut h);
    assert_eq!(h.state().view().selected_rows(), [0, 1, 2, 3]);

    // Hold the second user's request, press Cancel while it is on its way: the first two are done,
    // the last two are left alone.
    let second = object_id(&rig, &users[1]);
    let held = rig
        .emulator
        .proxy
        .hold_next(&format!("/users/{second}/status"));
    h.get_by_label("Disable selected").click();
    h.step();
    held.wait_until_arrived(ANSWER_TIMEOUT);
    h.run_steps(2);
    assert!(h.state().view().is_bulk_running());
    assert!(shows(&h, "Disabling 1 of 4 users"), "progress shown");
    h.get_by_label("Cancel bulk action").click();
    h.run_steps(2);
    held.release();
    settle(&mut h);
    assert_eq!(
        h.state().view().bulk_summary(),
        Some("Disabled 2 of 4 selected users. Cancelled: 2 not attempted.")
    );
    for (i, user) in users.iter().enumerate() {
        let expected = if i < 2 { "DISABLED" } else { "ENABLED" };
        assert_eq!(status_of(&h, &rig, user), expected, "{user}");
    }
}

#[test]
fn the_selection_is_exported_read_again_from_the_server() {
    let (_rig, _dir, mut h, users) = with_demo_users(3);
    click_row(&mut h, &users[0], egui::Modifiers::COMMAND);
    click_row(&mut h, &users[2], egui::Modifiers::COMMAND);
    click(&mut h, "Export selected…");
    let path = h.state().export_path.clone();
    if text_input(&h, "Save to").is_some() {
        // No native dialog here (no desktop session): the path field, as a user would.
        set_text(&mut h, "Save to", &path.display().to_string());
        click(&mut h, "Export to this file");
    }
    assert_eq!(
        h.state().view().bulk_summary(),
        Some(format!("Exported 2 of 2 selected users to {}.", path.display()).as_str())
    );
    let saved = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = saved.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "a header and two records: {saved:?}");
    assert!(lines[0].starts_with("email,"), "{saved:?}");
    assert!(lines[1].starts_with(&format!("{},", users[0])), "{saved:?}");
    assert!(lines[2].starts_with(&format!("{},", users[2])), "{saved:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The whole-filter export is not what ran.
    assert!(!h.state().view().is_exporting());
}

#[test]
fn the_admin_cannot_disable_or_delete_their_own_account_alone_or_in_bulk() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(Host::new(&rig, Some(DEMO_CLOUDCODE_KEY), dir.path()));
    open(&mut h, ADMIN.0);
    let disabled =
        |h: &Harness<'_, Host>, label: &str| h.get_by_label(label).accesskit_node().is_disabled();
    assert!(disabled(&h, "Disable user"));
    assert!(disabled(&h, "Delete user…"));
    h.key_press(egui::Key::Escape);
    search(&mut h, "");
    // Bob and the admin selected: Bob is disabled, the admin is left alone and named in the summary.
    click_row(&mut h, BOB.0, egui::Modifiers::COMMAND);
    click_row(&mut h, ADMIN.0, egui::Modifiers::COMMAND);
    click(&mut h, "Disable selected");
    assert_eq!(
        h.state().view().bulk_summary(),
        Some(
            "Disabled 1 of 2 selected users. 1 failed:\n• admin@example.com: this is your own \
             account: disabling or deleting it here would lock you out."
        )
    );
    assert_eq!(status_of(&h, &rig, BOB.0), "DISABLED");
    assert_eq!(status_of(&h, &rig, ADMIN.0), "ENABLED");
}
