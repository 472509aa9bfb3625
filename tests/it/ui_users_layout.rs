//! Issue 10 (item 2 and the acceptance): the Users view laid out in the whole app at small and large windows
//! and pixel densities, with the record inspector open. Asserts widget rectangles from AccessKit (never
//! pixels): no control overlaps another or lies outside the window, no text runs over a control, and the
//! inspector's Close takes its own click (it used to re-sort the table). The keyboard is in `ui_users`.
//! A record with very long unbreakable values keeps the inspector to its bounded width: the values wrap or
//! scroll inside it and the table keeps its area.

use std::path::Path;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::state::Screen as AppScreen;
use profile_editor::app::users::{Ticket, UsersAnswer, UsersOutcome, UsersRequest, UsersScreen};
use profile_editor::app::{App, AppOptions};
use profile_editor::backendless::wire::PropertyDescriptor;
use profile_editor::emulator::EmulatorConfig;
use profile_editor::model::diff::diff;
use profile_editor::model::schema::Schema;
use profile_editor::ui::users::{INSPECTOR_MAX_FRACTION, UsersView};
use profile_editor::users_admin::ExportSummary;

use crate::helpers::{ADMIN, ALICE, TestEmulator};
use crate::ui_layout::assert_every_control_named;
use crate::ui_support::{
    Rig, assert_no_overlaps, custom_args, describe, emulator, step_until, wait_for_text,
};

fn app(dir: &Path, emulator: &TestEmulator, size: [f32; 2], ppp: f32) -> Harness<'static, App> {
    let options = AppOptions {
        connection: custom_args(emulator),
        settings_dir: dir.join("config"),
        data_dir: dir.join("data"),
    };
    Harness::builder()
        .with_max_steps(crate::ui_support::APP_MAX_STEPS)
        .with_size(size)
        .with_pixels_per_point(ppp)
        .build_eframe(|cc| App::new(cc, options).expect("the app starts"))
}

fn type_into(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(2);
    harness.get_by_label(label).type_text(text);
    harness.step();
}

/// Logs the admin in and opens the Users view with `columns` chosen (remembered in the settings first).
fn open_users(harness: &mut Harness<'static, App>) {
    step_until(harness, "the login form", |h| {
        h.state().state().screen() == AppScreen::Login
    });
    let typed = harness.get_by_label("Identity").value().unwrap_or_default();
    if typed != ADMIN.0 {
        type_into(harness, "Identity", ADMIN.0);
    }
    type_into(harness, "Password", ADMIN.1);
    harness.get_by_label("Log in").click();
    harness.step();
    step_until(harness, "the Users switch", |h| {
        h.query_by_label("Users").is_some()
    });
    harness.get_by_label("Users").click();
    wait_for_text(harness, "users");
}

fn layout_case(size: [f32; 2], ppp: f32, columns: &[&str]) {
    let (_runtime, emulator) = emulator(EmulatorConfig {
        demo: true,
        demo_users: 150,
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), &emulator, size, ppp);
    open_users(&mut harness);
    wait_for_text(&mut harness, "Alice Liddell");
    // Choose the columns (the chooser stays open while choosing; Esc closes it).
    harness.get_by_label("Columns").click();
    harness.run_steps(2);
    for column in columns {
        harness.get_by_label(column).click();
        harness.run_steps(2);
    }
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    let chosen = harness.state().users().view().unwrap().columns().to_vec();
    for column in columns {
        assert!(
            chosen.iter().any(|c| c == column),
            "{column} not chosen: {chosen:?}"
        );
    }
    let what = format!("{size:?} at {ppp} px/pt");
    assert_no_overlaps(&harness, size, &format!("{what}, inspector closed"));
    harness.get_by_label("Alice Liddell").click();
    wait_for_text(&mut harness, "Copy as JSON");
    harness.run_steps(3);
    assert_no_overlaps(&harness, size, &format!("{what}, inspector open"));
    assert_every_control_named(&harness, &format!("{what}, inspector open"));
    // The inspector's buttons take their own clicks: Close closes it and does not sort the table.
    let sort_before = harness.state().users().view().unwrap().query().sort.clone();
    harness.get_by_label("Close").click();
    harness.run_steps(3);
    let view = harness.state().users().view().unwrap();
    assert!(view.selected().is_none(), "{what}: Close did not close");
    assert_eq!(view.query().sort, sort_before, "{what}: Close sorted");
}

#[test]
fn with_the_inspector_open_nothing_overlaps_at_800x600() {
    layout_case([800.0, 600.0], 1.0, &["age", "lastLogin"]);
}

#[test]
fn with_the_inspector_open_nothing_overlaps_at_800x600_at_2x() {
    layout_case([800.0, 600.0], 2.0, &["age"]);
}

#[test]
fn with_the_inspector_open_nothing_overlaps_at_960_with_four_columns() {
    layout_case([960.0, 700.0], 1.0, &["age", "lastLogin"]);
}

#[test]
fn with_the_inspector_open_nothing_overlaps_at_1920x1080() {
    layout_case([1920.0, 1080.0], 1.0, &["age", "lastLogin", "updated"]);
}

#[test]
fn with_the_inspector_open_nothing_overlaps_at_1920x1080_at_2x() {
    layout_case([1920.0, 1080.0], 2.0, &["age", "lastLogin"]);
}

// ------------------------------------------------------------------------------------------------
// Very long values in the inspector.

/// Gives Alice a 2,000-character address without a space and a big JSON `preferences` (a 1,500-character
/// string without a space and a list of 300 numbers).
fn give_alice_long_values(rig: &Rig) {
    let (alice, token) = rig.login(ALICE);
    let schema = rig.schema(&token);
    let mut edited = alice.clone();
    edited.set("address", serde_json::Value::String("A".repeat(2_000)));
    let numbers: Vec<u32> = (0..300).collect();
    edited.set(
        "preferences",
        serde_json::json!({"blob": "j".repeat(1_500), "numbers": numbers}),
    );
    let changes = diff(&alice, &edited, &schema);
    rig.runtime
        .block_on(
            rig.client()
                .update_user(Some(&token), alice.object_id(), &changes),
        )
        .unwrap();
    rig.runtime.block_on(rig.client().logout(&token)).unwrap();
}

/// The table's header button of `column`.
fn header<'h>(harness: &'h Harness<'static, App>, column: &'h str) -> egui_kittest::Node<'h> {
    harness
        .get_all_by_label(column)
        .find(|n| n.accesskit_node().role() == Role::Button)
        .unwrap_or_else(|| panic!("no {column} header"))
}

/// Whether a node lies in the inspector: under the farthest ancestor of its "Copy as JSON" that does not
/// also hold the table's "email" header.
fn in_inspector(
    harness: &Harness<'static, App>,
) -> impl Fn(&egui_kittest::Node<'_>) -> bool + use<> {
    let beneath: Vec<_> = std::iter::successors(header(harness, "email").parent(), |n| n.parent())
        .map(|n| n.accesskit_node().id())
        .collect();
    let root = std::iter::successors(Some(harness.get_by_label("Copy as JSON")), |n| n.parent())
        .map(|n| n.accesskit_node().id())
        .take_while(|id| !beneath.contains(id))
        .last()
        .expect("the inspector");
    move |node| {
        std::iter::successors(Some(*node), |n| n.parent()).any(|n| n.accesskit_node().id() == root)
    }
}

/// With Alice's long values in the inspector: every text and control of the inspector lies inside the
/// window and inside the inspector's bounded width, the table's headers keep their place left of it, and
/// nothing overlaps.
#[test]
fn long_values_stay_inside_the_inspector_at_every_size() {
    let rig = Rig::new();
    give_alice_long_values(&rig);
    for (size, ppp) in [
        ([1920.0, 1080.0], 1.0),
        ([1920.0, 1080.0], 2.0),
        ([800.0, 600.0], 1.0),
        ([800.0, 600.0], 2.0),
    ] {
        let what = format!("{size:?} at {ppp} px/pt, long values");
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), &rig.emulator, size, ppp);
        open_users(&mut harness);
        wait_for_text(&mut harness, "Alice Liddell");
        harness.get_by_label("Alice Liddell").click();
        wait_for_text(&mut harness, "Copy as JSON");
        harness.run_steps(3);
        assert_no_overlaps(&harness, size, &what);
        assert_every_control_named(&harness, &what);
        let in_inspector = in_inspector(&harness);
        let nodes: Vec<_> = harness
            .root()
            .children_recursive()
            .filter(|n| {
                let node = n.accesskit_node();
                in_inspector(n) && !node.is_hidden() && node.bounding_box().is_some()
            })
            .filter(|n| {
                let r = n.rect();
                r.width() > 0.0 && r.height() > 0.0
            })
            .collect();
        // The inspector's left edge: where its leftmost text or control starts.
        let left = nodes
            .iter()
            .map(|n| n.rect().left())
            .fold(f32::INFINITY, f32::min);
        let max_width = size[0] * INSPECTOR_MAX_FRACTION;
        assert!(
            size[0] - left <= max_width + 16.0,
            "{what}: the inspector starts at x = {left}, wider than {max_width}"
        );
        let mut saw_long = false;
        for node in &nodes {
            let rect = node.rect();
            assert!(
                rect.left() >= left - 0.5 && rect.right() <= size[0] + 0.5,
                "{what}: {} at {rect:?} runs out of the inspector ({left}..{})",
                describe(node),
                size[0]
            );
            // A label's text is its AccessKit value.
            let label = node.accesskit_node().value().unwrap_or_default();
            saw_long |= node.accesskit_node().role() == Role::Label && label.contains("AAAAAAAAAA");
        }
        assert!(saw_long, "{what}: the long address is not shown");
        // The table keeps its area: its headers lie left of the inspector, with room for their text.
        for column in ["email", "name"] {
            let rect = header(&harness, column).rect();
            assert!(
                rect.right() <= left && rect.width() >= 20.0,
                "{what}: the {column} header at {rect:?} (inspector from x = {left})"
            );
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The "Save to" row: only after the native dialog gave no path, gone once the export starts or is
// cancelled. The app's own Users screen (`ui::users::UsersScreen`) in a harness; the test plays the
// worker, answering the dialog with no path, as `rfd` does without a desktop portal.

struct Screen {
    screen: UsersScreen,
    /// Dialogs asked for and exports started (with their tickets), not yet answered.
    dialogs: Vec<Ticket>,
    exports: Vec<std::path::PathBuf>,
    export_tickets: Vec<Ticket>,
}

fn users_screen() -> Harness<'static, Screen> {
    let mut harness = Harness::builder()
        .with_size([1000.0, 700.0])
        .build_ui_state(
            |ui, state: &mut Screen| {
                let columns = ["email".to_owned(), "name".to_owned()];
                match state.screen.ui(ui, &columns) {
                    Some(UsersOutcome::Send(UsersRequest::PickExportPath { ticket, .. })) => {
                        state.dialogs.push(ticket);
                    }
                    Some(UsersOutcome::Send(UsersRequest::Export { ticket, path, .. })) => {
                        state.exports.push(path);
                        state.export_tickets.push(ticket);
                    }
                    _ => {}
                }
            },
            Screen {
                screen: UsersScreen::new(Schema::default()),
                dialogs: Vec::new(),
                exports: Vec::new(),
                export_tickets: Vec::new(),
            },
        );
    harness.run();
    harness
}

/// Whether the "Save to" row (its field and its note) shows.
fn path_row_shown(harness: &Harness<'static, Screen>) -> bool {
    harness.query_by_label("Save to").is_some()
}

/// Clicks "Export…" and answers the dialog with no path.
fn export_without_a_dialog(harness: &mut Harness<'static, Screen>) {
    harness.get_by_label("Export…").click();
    harness.run();
    assert_eq!(
        harness.state().dialogs.len(),
        1,
        "the native dialog is asked for"
    );
    let ticket = harness.state_mut().dialogs.remove(0);
    harness
        .state_mut()
        .screen
        .answer(UsersAnswer::ExportPath { ticket, path: None });
    harness.run();
}

#[test]
fn the_save_to_row_shows_only_after_the_dialog_gave_no_path() {
    let mut harness = users_screen();
    assert!(!path_row_shown(&harness), "the row shows before any export");
    export_without_a_dialog(&mut harness);
    assert!(
        path_row_shown(&harness),
        "no row after the dialog gave nothing"
    );
    // Cancelled: the row goes away; the next export asks the dialog again.
    harness.get_by_label("Cancel").click();
    harness.run();
    assert!(!path_row_shown(&harness), "the row stays after Cancel");
    export_without_a_dialog(&mut harness);
    assert!(path_row_shown(&harness));
    // Started from the row: the row goes away, and stays away once the export has ended.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    harness.get_by_label("Save to").click();
    harness.run();
    harness
        .get_by_label("Save to")
        .type_text(path.to_str().unwrap());
    harness.run();
    harness.get_by_label("Export to this file").click();
    harness.run();
    assert_eq!(harness.state().exports, std::slice::from_ref(&path));
    assert!(!path_row_shown(&harness), "the row stays while exporting");
    let ticket = harness.state().export_tickets[0];
    harness.state_mut().screen.answer(UsersAnswer::Exported {
        ticket,
        result: Ok(ExportSummary { records: 0, path }),
    });
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Exported 0 records")
            .is_some()
    );
    assert!(
        !path_row_shown(&harness),
        "the row is back after the export"
    );
}

/// The quick search's placeholder names the app's identity property (here `username`), not `email`.
#[test]
fn the_quick_search_names_the_identity_property() {
    let descriptor = |name: &str, identity: bool| {
        serde_json::from_value::<PropertyDescriptor>(serde_json::json!({
            "name": name, "type": "STRING", "required": identity, "identity": identity,
        }))
        .unwrap()
    };
    for (identity, other) in [("username", "email"), ("email", "username")] {
        let schema = Schema::from_descriptors(vec![
            descriptor(identity, true),
            descriptor(other, false),
            descriptor("name", false),
        ]);
        let mut harness = Harness::builder()
            .with_size([1000.0, 700.0])
            .build_ui_state(
                |ui, view: &mut UsersView| {
                    let _ = view.ui(ui);
                },
                UsersView::new(schema, &[identity.to_owned(), "name".to_owned()]),
            );
        harness.run();
        let search = harness
            .get_all_by_label("Search")
            .find(|n| n.accesskit_node().role() == Role::TextInput)
            .expect("the quick search");
        assert_eq!(
            search.accesskit_node().placeholder(),
            Some(format!("{identity} or name contains…").as_str()),
        );
    }
}
