//! The admin's Users browser (`ui::users::UsersView`) driven with egui_kittest against a real in-process
//! emulator, and the export job (`users_admin::export`) run directly: sorting, quick search, invalid `where`
//! clauses, paging with a bounded cache, and exports (exact content, cancel, failure).
//! The host runs the app's own wiring: every request the view sends goes through the worker's
//! `app::users::run` with the real `Client`, and its answer back through `UsersView::answer`.

use std::path::Path;
use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use profile_editor::app::users::{self, CloudCodeKey};
use profile_editor::backendless::client::{Client, Password, UserToken};
use profile_editor::cli::DEMO_CLOUDCODE_KEY;
use profile_editor::emulator::EmulatorConfig;
use profile_editor::ui::users::UsersView;
use profile_editor::users_admin::requests::{UsersAnswer, UsersOutcome, UsersRequest};
use profile_editor::users_admin::{
    self, ExportControl, ExportError, ExportFormat, PAGE_SIZE, RowState, UsersQuery,
};
use serde_json::json;

use crate::helpers::{ADMIN, ALICE};
use crate::ui_support::Rig;

// ------------------------------------------------------------------------------------------------
// Plumbing.

impl Rig {
    /// The demo data plus `generated` generated users.
    fn with_generated_users(generated: u32) -> Self {
        Self::with(EmulatorConfig {
            demo: true,
            demo_users: generated,
            ..EmulatorConfig::default()
        })
    }

    fn token(&self, user: (&str, &str)) -> UserToken {
        self.login(user).1
    }

    /// Registers a user named `name` with identity `email`.
    fn register(&self, email: &str, name: &str, age: i64) {
        let props = json!({"email": email, "name": name, "age": age});
        self.runtime
            .block_on(self.client().register(
                props.as_object().unwrap().clone(),
                &Password::new("tricky-pass-1".to_owned()),
            ))
            .unwrap();
    }
}

/// The harness state: the view plus the app's wiring for it. Every request the view sends is run by the
/// worker's own function (`app::users::run`) with the real `Client`, and its answer goes back through the
/// view's one entry point (`UsersView::answer`), as in the app; the host maps nothing itself. Only the
/// desktop's save dialog is played: it closes without a path, as where no dialog can be shown.
struct UsersState {
    view: UsersView,
    client: Client,
    token: UserToken,
    /// The app's data dir (nothing is deleted here, so nothing is written to it).
    data_dir: tempfile::TempDir,
    handle: tokio::runtime::Handle,
    /// Frames in a row without an action; the view is settled after two.
    idle_frames: u32,
    /// Requests made, for assertions on paging.
    page_requests: Vec<usize>,
    /// The last column choice the view asked the app to remember.
    remembered_columns: Option<Vec<String>>,
    /// Times the view asked to read the schema again.
    schema_reads: u32,
}

impl UsersState {
    fn new(rig: &Rig, user: (&str, &str), columns: &[&str]) -> Self {
        let token = rig.token(user);
        let schema = rig.schema(&token);
        let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        let mut view = UsersView::new(schema, &columns);
        view.set_no_dialog_reason(Some("No file dialog in tests."));
        Self {
            view,
            client: rig.client(),
            token,
            data_dir: tempfile::tempdir().unwrap(),
            handle: rig.runtime.handle().clone(),
            idle_frames: 0,
            page_requests: Vec::new(),
            remembered_columns: None,
            schema_reads: 0,
        }
    }

    fn handle(&mut self, outcome: UsersOutcome) {
        let request = match outcome {
            UsersOutcome::Columns(columns) => {
                self.remembered_columns = Some(columns);
                return;
            }
            UsersOutcome::Send(request) => request,
        };
        match &request {
            UsersRequest::Page { page, .. } => self.page_requests.push(*page),
            UsersRequest::Schema { .. } => self.schema_reads += 1,
            _ => {}
        }
        let answer = match request {
            // The desktop's part: no dialog here, so it gives no path.
            UsersRequest::PickExportPath { ticket, .. } => {
                UsersAnswer::ExportPath { ticket, path: None }
            }
            request => {
                // The Local demo's connection: the app sends its emulator's CloudCode key.
                let key = CloudCodeKey::new(DEMO_CLOUDCODE_KEY);
                let context = users::UsersContext {
                    user_token: &self.token,
                    cloudcode_key: key.as_ref(),
                    data_dir: self.data_dir.path(),
                };
                self.handle
                    .block_on(users::run(request, Some(&self.client), context))
            }
        };
        self.view.answer(answer);
    }
}

fn harness(state: UsersState) -> Harness<'static, UsersState> {
    let mut harness = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(
            |ui, state: &mut UsersState| match state.view.ui(ui) {
                Some(outcome) => {
                    state.idle_frames = 0;
                    state.handle(outcome);
                }
                None => state.idle_frames += 1,
            },
            state,
        );
    settle(&mut harness);
    harness
}

/// Steps until the view has asked for nothing for three frames in a row.
fn settle(harness: &mut Harness<'_, UsersState>) {
    harness.state_mut().idle_frames = 0;
    for _ in 0..200 {
        harness.step();
        if harness.state().idle_frames >= 3 {
            // Clicks show their effect a frame later (the inspector is laid out before the table).
            harness.run_steps(2);
            return;
        }
    }
    panic!("the Users view kept asking for more after 200 frames");
}

/// The objectIds-free view of row `index`: its `name`.
fn name_at(harness: &Harness<'_, UsersState>, index: usize) -> String {
    match harness.state().view.cache().row(index) {
        RowState::Loaded(record) => record.get("name").unwrap().as_str().unwrap().to_owned(),
        other => panic!("row {index} is {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------------
// The table.

#[test]
fn the_admin_role_is_what_opens_the_users_view() {
    let rig = Rig::with_generated_users(0);
    let roles = |user| {
        rig.runtime
            .block_on(rig.client().user_roles(&rig.token(user)))
            .unwrap()
    };
    assert!(users_admin::is_admin(&roles(ADMIN)));
    assert!(!users_admin::is_admin(&roles(ALICE)));
    // And the emulator refuses a regular user anyway: find and count see only her own record.
    let mut harness = harness(UsersState::new(&rig, ALICE, &["email", "name"]));
    settle(&mut harness);
    assert_eq!(harness.state().view.cache().total(), Some(1));
    assert_eq!(name_at(&harness, 0), "Alice Liddell");
    assert!(harness.query_by_label("Bob Builder").is_none());
}

#[test]
fn the_first_page_and_the_total_appear_after_opening() {
    let rig = Rig::with_generated_users(250);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    settle(&mut harness);
    let view = &harness.state().view;
    assert_eq!(view.cache().total(), Some(253));
    harness.get_by_label("253 users");
    harness.get_by_label("Alice Liddell");
    harness.get_by_label("bob@example.com");
    // The first page and the one ahead, never the whole table.
    assert_eq!(harness.state().page_requests, [0, 1]);
}

#[test]
fn clicking_a_header_sorts_on_the_server_and_clicking_again_reverses() {
    let rig = Rig::with_generated_users(0);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    harness.get_by_label("name").click();
    settle(&mut harness);
    assert_eq!(
        harness.state().view.query().sort_by(),
        ["name asc", "objectId asc"]
    );
    let names: Vec<String> = (0..3).map(|i| name_at(&harness, i)).collect();
    assert_eq!(names, ["Ada Admin", "Alice Liddell", "Bob Builder"]);
    harness.get_by_label("name ^").click();
    settle(&mut harness);
    let names: Vec<String> = (0..3).map(|i| name_at(&harness, i)).collect();
    assert_eq!(names, ["Bob Builder", "Alice Liddell", "Ada Admin"]);
    harness.get_by_label("name v");
}

#[test]
fn quick_search_matches_identity_or_name_and_survives_quotes() {
    let rig = Rig::with_generated_users(0);
    rig.register("obrien@example.com", "Conan O'Brien", 50);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    let search = harness.get_by_label("Search");
    search.click();
    harness.run_steps(2);
    harness.get_by_label("Search").type_text("o'b");
    settle(&mut harness);
    let view = &harness.state().view;
    assert_eq!(view.query().quick, "o'b");
    assert_eq!(view.error(), None);
    assert_eq!(view.where_error(), None);
    assert_eq!(view.cache().total(), Some(1));
    assert_eq!(name_at(&harness, 0), "Conan O'Brien");
    // Identity matches too: "bob@" is in Bob's email only.
    harness.get_by_label("Search").click();
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Search").type_text("bob@");
    settle(&mut harness);
    assert_eq!(harness.state().view.query().quick, "bob@");
    assert_eq!(harness.state().view.cache().total(), Some(1));
    assert_eq!(name_at(&harness, 0), "Bob Builder");
}

#[test]
fn an_invalid_where_clause_shows_its_error_under_the_field_and_keeps_the_filter() {
    let rig = Rig::with_generated_users(0);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    harness.get_by_label("Where").click();
    harness.run_steps(2);
    harness.get_by_label("Where").type_text("age >");
    harness.get_by_label("Apply filter").click();
    settle(&mut harness);
    let error = harness
        .state()
        .view
        .where_error()
        .expect("an inline error")
        .to_owned();
    assert!(error.contains("1017"), "{error}");
    // In plain words (issue 10 item 11), not the SQL parser's.
    assert!(error.contains("ends too soon"), "{error}");
    assert!(
        !error.contains("sql parser") && !error.contains("EOF"),
        "{error}"
    );
    harness.get_by_label(error.as_str());
    assert_eq!(harness.state().view.error(), None, "not a banner");
    // The footer does not wait for a count that a failed query never brings.
    harness.get_by_label("No count: the query failed");
    assert_eq!(harness.state().view.query().advanced, "age >");

    // An unknown column is 1006, also under the field.
    harness.get_by_label("Where").click();
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Where").type_text("shoeSize = 3");
    harness.get_by_label("Apply filter").click();
    settle(&mut harness);
    let error = harness
        .state()
        .view
        .where_error()
        .expect("an inline error")
        .to_owned();
    assert!(error.contains("1006"), "{error}");

    // A valid clause clears it and filters.
    harness.get_by_label("Where").click();
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Where").type_text("age = 30");
    harness.get_by_label("Apply filter").click();
    settle(&mut harness);
    assert_eq!(harness.state().view.where_error(), None);
    assert_eq!(harness.state().view.cache().total(), Some(1));
    assert_eq!(name_at(&harness, 0), "Alice Liddell");
}

#[test]
fn scrolling_to_the_end_loads_only_nearby_pages_and_the_cache_stays_bounded() {
    let rig = Rig::with_generated_users(3000);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    for row in (0..3003).step_by(250).chain([3002]) {
        harness.state_mut().view.scroll_to_row(row);
        settle(&mut harness);
        let cache = harness.state().view.cache();
        assert!(
            cache.cached_pages() <= 16,
            "row {row}: {}",
            cache.cached_pages()
        );
        let (first, last) = harness.state().view.visible_rows().unwrap();
        assert!(
            first <= row && row <= last + 1,
            "row {row} in {first}..={last}"
        );
        assert!(matches!(cache.row(first), RowState::Loaded(_)));
    }
    assert_eq!(name_at(&harness, 3002), "User 03000");
    // Far fewer requests than pages in the table would be if everything were fetched twice.
    let requests = harness.state().page_requests.len();
    assert!(requests <= 31 + 2, "{requests} page requests");
}

#[test]
fn a_failure_shows_in_the_view_and_keeps_the_filter_the_rows_and_the_scroll_position() {
    let rig = Rig::with_generated_users(3000);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    harness.get_by_label("Search").click();
    harness.run_steps(2);
    harness.get_by_label("Search").type_text("user0");
    settle(&mut harness);
    assert_eq!(harness.state().view.cache().total(), Some(3000));
    harness.state_mut().view.scroll_to_row(1500);
    settle(&mut harness);
    let before = harness.state().view.visible_rows().unwrap();
    // The session ends on the server (logged out elsewhere); scrolling on needs pages that now fail.
    let token = harness.state().token.clone();
    rig.runtime.block_on(rig.client().logout(&token)).unwrap();
    harness.state_mut().view.scroll_to_row(2600);
    settle(&mut harness);
    let view = &harness.state().view;
    let error = view.error().expect("a banner").to_owned();
    assert!(error.contains("session has ended"), "{error}");
    harness.get_by_label(error.as_str());
    harness.get_by_label("Retry");
    assert_eq!(view.query().quick, "user0", "the filter stays");
    let (first, _) = view.visible_rows().unwrap();
    assert!(
        first > before.0,
        "the scroll position stays where the user went"
    );
    assert!(matches!(view.cache().row(first), RowState::Failed));
    // What was loaded before is still there.
    assert!(matches!(view.cache().row(before.0), RowState::Loaded(_)));
}

#[test]
fn the_column_chooser_adds_a_column_and_asks_to_remember_it() {
    let rig = Rig::with_generated_users(0);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    harness.get_by_label("Columns").click();
    harness.run_steps(2);
    harness.get_by_label("age").click();
    settle(&mut harness);
    // The chooser stays open while choosing (issue 10 item 11): a second column in the same visit.
    harness.get_by_label("updated").click();
    settle(&mut harness);
    // In the chooser's order: identity first, then by name, then the system columns.
    let expected: Vec<String> = ["email", "age", "name", "updated"]
        .map(String::from)
        .to_vec();
    assert_eq!(harness.state().view.columns(), expected.as_slice());
    assert_eq!(harness.state().remembered_columns.as_ref(), Some(&expected));
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    // The new column is a header and shows Alice's age.
    harness.get_by_label("age");
    harness.get_by_label("30");
}

#[test]
fn a_selected_row_opens_the_read_only_inspector() {
    let rig = Rig::with_generated_users(0);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    harness.get_by_label("Alice Liddell").click();
    settle(&mut harness);
    let selected = harness.state().view.selected().expect("a selection");
    assert_eq!(selected.get("email"), Some(&json!("alice@example.com")));
    harness.get_by_label("Copy as JSON");
    harness.get_by_label("preferences");
    harness.get_by_label("12 Rabbit Hole Lane");
    // Read-only: no text inputs besides the search, where (and no export path field).
    assert!(harness.query_by_label("Save").is_none());
    harness.get_by_label("Close").click();
    settle(&mut harness);
    assert!(harness.state().view.selected().is_none());
}

// Issue 10 item 8: the table's keys.
#[test]
fn the_keyboard_moves_the_selection_pages_and_opens_and_closes_the_inspector() {
    let rig = Rig::with_generated_users(250);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    let key = |harness: &mut Harness<'_, UsersState>, key| {
        harness.key_press(key);
        settle(harness);
    };
    key(&mut harness, egui::Key::ArrowDown);
    assert_eq!(harness.state().view.selected_row(), Some(0));
    key(&mut harness, egui::Key::ArrowDown);
    assert_eq!(harness.state().view.selected_row(), Some(1));
    key(&mut harness, egui::Key::ArrowUp);
    assert_eq!(harness.state().view.selected_row(), Some(0));
    assert!(harness.state().view.selected().is_none(), "not open yet");
    key(&mut harness, egui::Key::Enter);
    assert_eq!(name_at(&harness, 0), "Alice Liddell");
    let shown = |h: &Harness<'_, UsersState>| {
        h.state()
            .view
            .selected()
            .map(|r| r.get("name").unwrap().as_str().unwrap().to_owned())
    };
    assert_eq!(shown(&harness).as_deref(), Some("Alice Liddell"));
    harness.get_by_label("Copy as JSON");
    // The open inspector follows the selection.
    key(&mut harness, egui::Key::ArrowDown);
    assert_eq!(shown(&harness), Some(name_at(&harness, 1)));
    // PageDown / PageUp move by the rows in view (partly shown ones too, so it varies by a row), and
    // keep the selection in view.
    let page = |h: &Harness<'_, UsersState>| {
        let (first, last) = h.state().view.visible_rows().unwrap();
        last - first
    };
    let mut row = 1;
    for _ in 0..2 {
        let step = page(&harness);
        assert!(step >= 10, "{step}");
        key(&mut harness, egui::Key::PageDown);
        row += step;
        assert_eq!(harness.state().view.selected_row(), Some(row));
        let (first, last) = harness.state().view.visible_rows().unwrap();
        assert!(first <= row && row <= last, "{row} in {first}..={last}");
    }
    let step = page(&harness);
    key(&mut harness, egui::Key::PageUp);
    assert_eq!(harness.state().view.selected_row(), Some(row - step));
    // End goes to the last row, fetching its page; Home back to the first.
    key(&mut harness, egui::Key::End);
    assert_eq!(harness.state().view.selected_row(), Some(252));
    let (_, last) = harness.state().view.visible_rows().unwrap();
    assert!(last >= 251, "the end is in view: {last}");
    assert!(matches!(
        harness.state().view.cache().row(252),
        RowState::Loaded(_)
    ));
    assert_eq!(shown(&harness), Some(name_at(&harness, 252)));
    key(&mut harness, egui::Key::Home);
    assert_eq!(harness.state().view.selected_row(), Some(0));
    assert_eq!(harness.state().view.visible_rows().unwrap().0, 0);
    // Esc closes the inspector.
    key(&mut harness, egui::Key::Escape);
    assert!(harness.state().view.selected().is_none());
    assert!(harness.query_by_label("Copy as JSON").is_none());
    // Keys typed into a text field stay there.
    harness.get_by_label("Search").click();
    harness.run_steps(2);
    key(&mut harness, egui::Key::End);
    assert_eq!(harness.state().view.selected_row(), Some(0));
}

// Issue 10 item 8: a wheel notch scrolled about 3.5 rows on one machine, 1.7 on another; it is 3 rows.
#[test]
fn a_wheel_notch_over_the_table_scrolls_three_rows() {
    let rig = Rig::with_generated_users(250);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    assert_eq!(harness.state().view.visible_rows().unwrap().0, 0);
    // A point inside the table, below its header.
    let inside = harness.get_by_label("email").rect().center() + egui::vec2(0.0, 200.0);
    let notch = |harness: &mut Harness<'_, UsersState>, lines: f32| {
        harness.event(egui::Event::PointerMoved(inside));
        harness.step();
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, lines),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        // Let the smooth scrolling finish.
        harness.run_steps(60);
        settle(harness);
    };
    // The first row in view is the one whose top is at or above the viewport's top: a scroll of exactly
    // three rows puts row 3 first.
    notch(&mut harness, -1.0);
    assert_eq!(harness.state().view.visible_rows().unwrap().0, 3);
    notch(&mut harness, -1.0);
    assert_eq!(harness.state().view.visible_rows().unwrap().0, 6);
    notch(&mut harness, 1.0);
    assert_eq!(harness.state().view.visible_rows().unwrap().0, 3);
}

// Issue 10 item 11: the schema is read again when rows show a property it does not describe.
#[test]
fn a_property_added_meanwhile_makes_the_view_read_the_schema_again_once() {
    let rig = Rig::with_generated_users(0);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    assert_eq!(harness.state().schema_reads, 0);
    assert!(
        !harness
            .state()
            .view
            .available_columns()
            .iter()
            .any(|c| c == "shoeSize")
    );
    // Someone registers with a new property (dynamic schema adds the column).
    let props = json!({"email": "new@example.com", "name": "New Comer", "shoeSize": 44});
    rig.runtime
        .block_on(rig.client().register(
            props.as_object().unwrap().clone(),
            &Password::new("tricky-pass-1".to_owned()),
        ))
        .unwrap();
    harness.get_by_label("Refresh").click();
    settle(&mut harness);
    assert_eq!(harness.state().schema_reads, 1);
    assert!(
        harness
            .state()
            .view
            .available_columns()
            .iter()
            .any(|c| c == "shoeSize")
    );
    harness.get_by_label("Columns").click();
    harness.run_steps(2);
    harness.get_by_label("shoeSize").click();
    settle(&mut harness);
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    harness.get_by_label("44");
    // Once: the next pages with the same property do not ask again.
    harness.get_by_label("Refresh").click();
    settle(&mut harness);
    assert_eq!(harness.state().schema_reads, 1);
}

// Issue 10 item 11: Refresh (and F5) loads the count and the rows again, keeping filter and place.
#[test]
fn refresh_reloads_the_count_and_the_rows_and_keeps_the_filter_and_the_scroll_position() {
    let rig = Rig::with_generated_users(3000);
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    harness.get_by_label("Search").click();
    harness.run_steps(2);
    harness.get_by_label("Search").type_text("user0");
    settle(&mut harness);
    harness.state_mut().view.scroll_to_row(1500);
    settle(&mut harness);
    let before = harness.state().view.visible_rows().unwrap();
    let generation = harness.state().view.cache().generation();
    rig.register("user0-new@example.com", "User New", 40);
    harness.get_by_label("Refresh").click();
    settle(&mut harness);
    let view = &harness.state().view;
    assert_ne!(view.cache().generation(), generation);
    assert_eq!(view.cache().total(), Some(3001));
    assert_eq!(view.query().quick, "user0");
    assert_eq!(view.visible_rows().unwrap().0, before.0, "the place stays");
    assert!(matches!(view.cache().row(before.0), RowState::Loaded(_)));
    // F5 does the same.
    let generation = harness.state().view.cache().generation();
    harness.key_press(egui::Key::F5);
    settle(&mut harness);
    assert_ne!(harness.state().view.cache().generation(), generation);
    assert_eq!(harness.state().view.visible_rows().unwrap().0, before.0);
}

// ------------------------------------------------------------------------------------------------
// Export.

/// A minimal RFC 4180 reader for checking the files (quoted fields, doubled quotes, CRLF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the file ends with CRLF"
    );
    rows
}

/// The tricky users: commas, quotes, newlines.
fn register_tricky(rig: &Rig) {
    rig.register("t1@example.com", "Tricky, \"Quoted\" One", 41);
    rig.register("t2@example.com", "Tricky\nMulti\r\nLine", 42);
    rig.register("t3@example.com", "O'Tricky", 43);
}

fn tricky_query() -> UsersQuery {
    let mut query = UsersQuery {
        quick: "tricky".into(),
        ..UsersQuery::new("email")
    };
    query.toggle_sort("email");
    query
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn exporting_a_filtered_set_to_csv_writes_exactly_those_records() {
    let rig = Rig::with_generated_users(150);
    register_tricky(&rig);
    let token = rig.token(ADMIN);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    let columns: Vec<String> = ["email", "name", "age"].map(String::from).to_vec();
    let control = ExportControl::default();
    let summary = rig
        .runtime
        .block_on(users_admin::export(
            &rig.client(),
            &token,
            &tricky_query(),
            &columns,
            ExportFormat::Csv,
            &path,
            &control,
        ))
        .unwrap();
    assert_eq!(summary.records, 3);
    assert_eq!(control.progress(), (3, Some(3)));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        parse_csv(&text),
        [
            vec!["email", "name", "age"],
            vec!["t1@example.com", "Tricky, \"Quoted\" One", "41"],
            vec!["t2@example.com", "Tricky\nMulti\r\nLine", "42"],
            vec!["t3@example.com", "O'Tricky", "43"],
        ]
    );
    assert!(
        text.starts_with("email,name,age\r\nt1@example.com,\"Tricky, \"\"Quoted\"\" One\",41\r\n")
    );
    assert_eq!(
        files_in(dir.path()),
        ["users.csv"],
        "no temporary file left"
    );
}

// Issue 10 item 11: CSV dates are ISO 8601 in UTC (the schema says which columns are dates); JSON keeps
// Backendless's epoch milliseconds.
#[test]
fn csv_exports_write_dates_in_iso_8601_utc_and_json_keeps_epoch_milliseconds() {
    let rig = Rig::new();
    let token = rig.token(ADMIN);
    let dir = tempfile::tempdir().unwrap();
    let columns: Vec<String> = ["email", "created", "age"].map(String::from).to_vec();
    let query = UsersQuery {
        advanced: "email = 'alice@example.com'".into(),
        ..UsersQuery::new("email")
    };
    let run = |format, name: &str| {
        let path = dir.path().join(name);
        rig.runtime
            .block_on(users_admin::export(
                &rig.client(),
                &token,
                &query,
                &columns,
                format,
                &path,
                &ExportControl::default(),
            ))
            .unwrap();
        std::fs::read_to_string(&path).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run(ExportFormat::Json, "u.json")).unwrap();
    let created = json[0]["created"]
        .as_i64()
        .expect("epoch milliseconds in JSON");
    let csv = parse_csv(&run(ExportFormat::Csv, "u.csv"));
    let expected = users_admin::export::iso_utc(created).unwrap();
    assert!(
        expected.ends_with('Z') && expected.contains('T'),
        "{expected}"
    );
    assert_eq!(csv[1], ["alice@example.com", expected.as_str(), "30"]);
}

#[test]
fn exporting_to_json_writes_an_array_of_the_records_across_pages() {
    let rig = Rig::with_generated_users(250);
    register_tricky(&rig);
    let token = rig.token(ADMIN);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.json");
    let columns: Vec<String> = ["email", "name"].map(String::from).to_vec();
    // Every user whose email starts with "user0": the 250 generated ones, three pages.
    let query = UsersQuery {
        advanced: "email LIKE 'user0%'".into(),
        ..UsersQuery::new("email")
    };
    let summary = rig
        .runtime
        .block_on(users_admin::export(
            &rig.client(),
            &token,
            &query,
            &columns,
            ExportFormat::Json,
            &path,
            &ExportControl::default(),
        ))
        .unwrap();
    assert_eq!(summary.records, 250);
    let parsed: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(parsed.len(), 250);
    assert_eq!(
        parsed[0],
        json!({"email": "user00001@example.com", "name": "User 00001"})
    );
    assert_eq!(parsed[249]["email"], "user00250@example.com");

    // The tricky set too, exactly.
    let path = dir.path().join("tricky.json");
    rig.runtime
        .block_on(users_admin::export(
            &rig.client(),
            &token,
            &tricky_query(),
            &columns,
            ExportFormat::Json,
            &path,
            &ExportControl::default(),
        ))
        .unwrap();
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        parsed,
        json!([
            {"email": "t1@example.com", "name": "Tricky, \"Quoted\" One"},
            {"email": "t2@example.com", "name": "Tricky\nMulti\r\nLine"},
            {"email": "t3@example.com", "name": "O'Tricky"},
        ])
    );
}

#[test]
fn a_cancelled_export_leaves_no_file() {
    let rig = Rig::with_generated_users(3000);
    let token = rig.token(ADMIN);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    let columns: Vec<String> = ["email", "name"].map(String::from).to_vec();

    // Cancelled before it starts.
    let control = ExportControl::default();
    control.cancel();
    let result = rig.runtime.block_on(users_admin::export(
        &rig.client(),
        &token,
        &UsersQuery::new("email"),
        &columns,
        ExportFormat::Csv,
        &path,
        &control,
    ));
    assert_eq!(result, Err(ExportError::Cancelled));
    assert!(files_in(dir.path()).is_empty());

    // Cancelled half way: the proxy holds the request for the second page, so the first page is written to
    // the temporary file and the second is in flight when Cancel is pressed. (The export walks by `created`:
    // the second page starts at the first page's last instant and skips the one row of it already written.)
    let second_page = rig.emulator.proxy.hold_next("offset=1");
    let control = Arc::new(ExportControl::default());
    let job = {
        let (client, control, path, columns) = (
            rig.client(),
            Arc::clone(&control),
            path.clone(),
            columns.clone(),
        );
        rig.runtime.spawn(async move {
            users_admin::export(
                &client,
                &token,
                &UsersQuery::new("email"),
                &columns,
                ExportFormat::Csv,
                &path,
                &control,
            )
            .await
        })
    };
    second_page.wait_until_arrived(std::time::Duration::from_secs(60));
    assert_eq!(
        control.progress().0,
        u64::from(PAGE_SIZE),
        "the first page is in"
    );
    control.cancel();
    // The held request never answers before the export gives up on it: Cancel does not wait for the server.
    let result = rig
        .runtime
        .block_on(async { tokio::time::timeout(std::time::Duration::from_secs(60), job).await })
        .expect("the export stops while its request is still held")
        .unwrap();
    second_page.release();
    assert_eq!(result, Err(ExportError::Cancelled));
    assert_eq!(
        control.progress().0,
        u64::from(PAGE_SIZE),
        "nothing after the cancel was written"
    );
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

#[test]
fn a_failed_export_leaves_no_file_and_an_existing_file_untouched() {
    let rig = Rig::with_generated_users(0);
    let token = rig.token(ADMIN);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    std::fs::write(&path, "old content").unwrap();
    let query = UsersQuery {
        advanced: "age >".into(),
        ..UsersQuery::new("email")
    };
    let result = rig.runtime.block_on(users_admin::export(
        &rig.client(),
        &token,
        &query,
        &["email".to_owned()],
        ExportFormat::Csv,
        &path,
        &ExportControl::default(),
    ));
    match result {
        Err(ExportError::Api(error)) => assert_eq!(error.code(), Some(1017)),
        other => panic!("{other:?}"),
    }
    assert_eq!(files_in(dir.path()), ["users.csv"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old content");
}

#[test]
fn without_a_native_dialog_the_view_says_so_and_exports_to_a_typed_path() {
    let rig = Rig::with_generated_users(0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("from-view.csv");
    let mut harness = harness(UsersState::new(&rig, ADMIN, &["email", "name"]));
    harness.get_by_label("Export…").click();
    settle(&mut harness);
    harness.get_by_label("No file dialog in tests.");
    harness.get_by_label("Save to").click();
    harness.run_steps(2);
    harness
        .get_by_label("Save to")
        .type_text(path.to_str().unwrap());
    harness.run_steps(1);
    harness.get_by_label("Export to this file").click();
    settle(&mut harness);
    assert!(!harness.state().view.is_exporting());
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(parse_csv(&text).len(), 4, "header and three users: {text}");
    harness.get_by_label_contains("Exported 3 records");
}

// ------------------------------------------------------------------------------------------------
// The whole app: who sees the view, and a session that ends under it.

mod app {
    use std::path::Path;
    use std::time::Duration;

    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use profile_editor::app::App;
    use profile_editor::app::state::Screen;
    use profile_editor::emulator::EmulatorConfig;

    use crate::helpers::{ADMIN, ALICE, TestEmulator};
    use crate::ui_support::{app_sized, custom_args, emulator, step_until, wait_for_text};

    /// The app in a 1200×800 window, connected to `emulator`.
    fn app(dir: &Path, emulator: &TestEmulator) -> Harness<'static, App> {
        app_sized(dir, custom_args(emulator), [1200.0, 800.0])
    }

    /// Unlike `ui_support::type_into`: clicks (not accesskit focus) and lets two frames pass, so the
    /// field owns the keyboard before the text arrives even when the machine is busy.
    fn type_into(harness: &mut Harness<'static, App>, label: &str, text: &str) {
        harness.get_by_label(label).click();
        harness.run_steps(2);
        harness.get_by_label(label).type_text(text);
        harness.step();
    }

    fn log_in(harness: &mut Harness<'static, App>, (identity, password): (&str, &str)) {
        step_until(harness, "the login form", |h| {
            h.state().state().screen() == Screen::Login
        });
        let typed = harness.get_by_label("Identity").value().unwrap_or_default();
        if typed != identity {
            harness.get_by_label("Identity").click();
            harness.run_steps(2);
            harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
            harness.get_by_label("Identity").type_text(identity);
            harness.step();
        }
        type_into(harness, "Password", password);
        harness.get_by_label("Log in").click();
        harness.step();
        step_until(harness, "the editor", |h| {
            h.state().state().screen() == Screen::Editor
        });
        wait_for_text(harness, &format!("Logged in as {identity}"));
    }

    /// How many `users/userroles` answers the recording proxy has handed to the app so far.
    fn roles_answers(emulator: &TestEmulator) -> usize {
        emulator
            .proxy
            .answered_paths()
            .iter()
            .filter(|path| {
                path.split('?')
                    .next()
                    .unwrap_or_default()
                    .ends_with("/users/userroles")
            })
            .count()
    }

    /// After a regular user's login: waits until the proxy has handed the app the answer to its roles
    /// request (the `answers_before + 1`th), then steps the frames that take it in, checking at each one that
    /// no "Users" switch appears. The wait is for the answer itself, however long the server takes.
    fn assert_no_users_switch_after_the_roles_answer(
        harness: &mut Harness<'static, App>,
        emulator: &TestEmulator,
        answers_before: usize,
    ) {
        step_until(harness, "the roles answer", |h| {
            assert!(
                h.query_by_label("Users").is_none(),
                "a regular user sees Users"
            );
            roles_answers(emulator) > answers_before
        });
        // From the proxy to the app: loopback, the worker and one channel; frames enough to take it in.
        for _ in 0..ROLES_ANSWER_FRAMES {
            harness.step();
            assert!(
                harness.query_by_label("Users").is_none(),
                "a regular user sees Users"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Frames (20 ms apart) stepped after the roles answer left the proxy.
    const ROLES_ANSWER_FRAMES: usize = 10;

    /// Logs the admin in, switches to the Users view and waits for `count` (e.g. "3 users").
    fn open_users_as_admin(harness: &mut Harness<'static, App>, count: &str) {
        log_in(harness, ADMIN);
        step_until(harness, "the Users switch", |h| {
            h.query_by_label("Users").is_some()
        });
        harness.get_by_label("Users").click();
        wait_for_text(harness, count);
    }

    #[test]
    fn an_admin_sees_the_users_view_and_a_regular_user_does_not() {
        let (_runtime, emulator) = emulator(EmulatorConfig {
            demo: true,
            demo_users: 250,
            ..EmulatorConfig::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), &emulator);
        open_users_as_admin(&mut harness, "253 users");
        wait_for_text(&mut harness, "Alice Liddell");
        assert!(harness.state().users().is_showing_users());
        harness.get_by_label("Your profile").click();
        step_until(&mut harness, "the profile again", |h| {
            h.query_by_label("253 users").is_none()
        });

        harness.get_by_label("Log out").click();
        let answers_before = roles_answers(&emulator);
        log_in(&mut harness, ALICE);
        assert_no_users_switch_after_the_roles_answer(&mut harness, &emulator, answers_before);
        assert!(!harness.state().users().is_admin());
        assert!(harness.state().users().view().is_none());
    }

    /// Opens the Users view as the admin, filters it to one row ("ali"), then lets the server forget the
    /// session and clicks the "name" header: the sort's requests find the session ended.
    fn end_the_session_in_a_filtered_users_view(
        harness: &mut Harness<'static, App>,
        emulator: &TestEmulator,
    ) {
        open_users_as_admin(harness, "3 users");
        type_into(harness, "Search", "ali");
        // Wait until the filtered count and page have both arrived, so no request is in flight.
        step_until(harness, "the filtered page", |h| {
            h.state().users().view().is_some_and(|v| {
                v.cache().total() == Some(1)
                    && v.cache().cached_rows() == 1
                    && !v.cache().is_loading()
            })
        });
        // The server forgets the session (as a timeout or a logout elsewhere would); the next query —
        // a sort — fails with a session end.
        emulator.emulator.admin().revoke_tokens(ADMIN.0).unwrap();
        harness.get_by_label("name").click();
        step_until(harness, "the session end", |h| {
            h.state().state().screen() == Screen::Login
        });
    }

    #[test]
    fn a_session_that_ends_in_the_users_view_asks_to_log_in_again_and_keeps_the_filter() {
        let (_runtime, emulator) = emulator(EmulatorConfig {
            demo: true,
            ..EmulatorConfig::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), &emulator);
        end_the_session_in_a_filtered_users_view(&mut harness, &emulator);
        // The editor's re-login prompt opens over the Users view, which stays in view with its filter,
        // its sort and the row it had loaded; the full login screen does not come back.
        wait_for_text(&mut harness, "Log in again");
        wait_for_text(&mut harness, "Your session has ended");
        assert!(harness.state().state().relogin_pending());
        assert!(harness.state().users().is_showing_users());
        assert_eq!(
            harness.get_by_label("Search").value().as_deref(),
            Some("ali")
        );
        harness.get_by_label("name ^");
        let generation = harness.state().users().view().unwrap().cache().generation();
        assert!(
            harness
                .query_by_label("Log in to edit your Backendless user profile.")
                .is_none(),
            "the login screen came back instead of the prompt"
        );
        log_in(&mut harness, ADMIN);
        // Same admin again: the Users view is back with its filter and sort, and loads what failed.
        assert!(harness.state().users().is_showing_users());
        let view = harness.state().users().view().unwrap();
        assert_eq!(view.query().quick, "ali");
        assert_eq!(view.query().sort_by()[0], "name asc");
        assert_eq!(
            view.cache().generation(),
            generation,
            "the same view, not a new one"
        );
        wait_for_text(&mut harness, "1 user");
        wait_for_text(&mut harness, "Alice Liddell");
        step_until(&mut harness, "the reloaded page", |h| {
            h.state()
                .users()
                .view()
                .is_some_and(|v| v.error().is_none() && v.cache().cached_rows() == 1)
        });
        assert!(harness.query_by_label("Log in again").is_none());
    }

    #[test]
    fn another_user_logging_in_after_a_users_view_session_end_gets_a_clean_start() {
        let (_runtime, emulator) = emulator(EmulatorConfig {
            demo: true,
            ..EmulatorConfig::default()
        });
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), &emulator);
        end_the_session_in_a_filtered_users_view(&mut harness, &emulator);
        wait_for_text(&mut harness, "Log in again");
        // Alice (no Admin role) logs in over the prompt: no Users view, nothing of the admin's filter.
        let answers_before = roles_answers(&emulator);
        log_in(&mut harness, ALICE);
        assert!(!harness.state().state().relogin_pending());
        assert_no_users_switch_after_the_roles_answer(&mut harness, &emulator, answers_before);
        assert!(!harness.state().users().is_showing_users());
        assert!(harness.state().users().view().is_none());
        assert!(harness.query_by_label("Search").is_none());
        assert_eq!(
            harness
                .state()
                .editor()
                .unwrap()
                .session()
                .original()
                .object_id(),
            &harness.state().state().session().unwrap().object_id
        );
    }

    #[test]
    fn the_column_choice_is_remembered_between_runs() {
        let (_runtime, emulator) = emulator(EmulatorConfig {
            demo: true,
            ..EmulatorConfig::default()
        });
        let dir = tempfile::tempdir().unwrap();
        {
            let mut harness = app(dir.path(), &emulator);
            open_users_as_admin(&mut harness, "3 users");
            harness.get_by_label("Columns").click();
            harness.run_steps(2);
            harness.get_by_label("age").click();
            step_until(&mut harness, "the choice in the settings", |h| {
                h.state()
                    .settings()
                    .users_columns
                    .iter()
                    .any(|c| c == "age")
            });
        }
        let mut harness = app(dir.path(), &emulator);
        open_users_as_admin(&mut harness, "3 users");
        let columns = harness.state().users().view().unwrap().columns().to_vec();
        assert!(columns.iter().any(|c| c == "age"), "{columns:?}");
        harness.get_by_label("age");
    }
}

// Issue 11 item 8: relations show as the related object ids, which open the related record.

/// The all-types schema with its demo users (Bob's `referredBy` points at Alice), Bob open in the
/// inspector as the admin sees him; returns Alice's objectId too.
fn bob_in_the_inspector() -> (Rig, Harness<'static, UsersState>, String) {
    let schema = serde_json::from_str(include_str!("../fixtures/users_schema_all_types.json"))
        .expect("fixture");
    let rig = Rig::with(EmulatorConfig {
        schema: Some(schema),
        identity: "username".into(),
        demo: true,
        ..EmulatorConfig::default()
    });
    let mut harness = harness(UsersState::new(
        &rig,
        ("admin", "admin-pass-1"),
        &["username"],
    ));
    harness.get_by_label("bob").click();
    settle(&mut harness);
    let bob = harness.state().view.selected().expect("bob shown");
    assert_eq!(bob.get("username"), Some(&json!("bob")));
    let alice_id = bob.get("referredBy").expect("bob's referrer")["objectId"]
        .as_str()
        .expect("a relation")
        .to_owned();
    (rig, harness, alice_id)
}

#[test]
fn a_relation_in_the_inspector_opens_the_related_record_and_back_returns() {
    let (_rig, mut harness, alice_id) = bob_in_the_inspector();
    let bob_id = harness
        .state()
        .view
        .selected()
        .unwrap()
        .object_id()
        .to_owned();
    assert!(harness.query_by_label("Back").is_none());
    // The admin's actions are pinned under the record: the link may be below them, out of view.
    harness
        .get_by_label(&format!("Open {alice_id}"))
        .scroll_to_me();
    settle(&mut harness);
    harness.get_by_label(&format!("Open {alice_id}")).click();
    settle(&mut harness);
    let shown = harness.state().view.selected().expect("a record shown");
    assert_eq!(shown.object_id(), alice_id);
    assert_eq!(shown.get("username"), Some(&json!("alice")));
    // The table's cell and the inspector's value.
    assert_eq!(harness.query_all_by_label("alice").count(), 2);
    harness.get_by_label("Back").click();
    settle(&mut harness);
    assert_eq!(
        harness.state().view.selected().unwrap().object_id(),
        &bob_id
    );
    assert!(harness.query_by_label("Back").is_none());
}

#[test]
fn a_related_record_that_is_gone_says_so_in_the_inspector() {
    let (rig, mut harness, alice_id) = bob_in_the_inspector();
    let bob_id = harness
        .state()
        .view
        .selected()
        .unwrap()
        .object_id()
        .to_owned();
    assert!(
        rig.emulator
            .emulator
            .admin()
            .delete_user(&alice_id)
            .unwrap()
    );
    // The admin's actions are pinned under the record: the link may be below them, out of view.
    harness
        .get_by_label(&format!("Open {alice_id}"))
        .scroll_to_me();
    settle(&mut harness);
    harness.get_by_label(&format!("Open {alice_id}")).click();
    settle(&mut harness);
    harness.get_by_label(&format!(
        "The related record {alice_id} does not exist (it may have been deleted)."
    ));
    // Bob stays shown.
    assert_eq!(
        harness.state().view.selected().unwrap().object_id(),
        &bob_id
    );
}
