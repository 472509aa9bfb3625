//! Issue 10 (item 2 and the acceptance): the Users view laid out in the whole app at small and large windows
//! and pixel densities, with the record inspector open. Asserts widget rectangles from AccessKit (never
//! pixels): no control overlaps another or lies outside the window, no text runs over a control, and the
//! inspector's Close takes its own click (it used to re-sort the table). The keyboard is in `ui_users`.

use std::path::Path;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::state::Screen;
use profile_editor::app::{App, AppOptions};
use profile_editor::emulator::EmulatorConfig;

use crate::helpers::{ADMIN, TestEmulator};
use crate::ui_support::{custom_args, emulator, step_until, wait_for_text};

fn app(dir: &Path, emulator: &TestEmulator, size: [f32; 2], ppp: f32) -> Harness<'static, App> {
    let options = AppOptions {
        connection: custom_args(emulator),
        settings_dir: dir.join("config"),
        data_dir: dir.join("data"),
    };
    Harness::builder()
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
        h.state().state().screen() == Screen::Login
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

/// Whether the node is a control: something a user clicks or types into (a button, a text field, a check
/// box, a combo box, a table header button).
fn is_control(node: &egui_kittest::Node<'_>) -> bool {
    let node = node.accesskit_node();
    !node.is_hidden()
        && matches!(
            node.role(),
            Role::Button
                | Role::TextInput
                | Role::MultilineTextInput
                | Role::CheckBox
                | Role::RadioButton
                | Role::ComboBox
                | Role::Slider
                | Role::Link
                | Role::Tab
        )
}

fn describe(node: &egui_kittest::Node<'_>) -> String {
    let label = node.accesskit_node().label().unwrap_or_default();
    format!("{:?} {label:?}", node.accesskit_node().role())
}

fn overlaps(a: egui::Rect, b: egui::Rect) -> bool {
    let overlap = a.intersect(b);
    overlap.width() > 1.0 && overlap.height() > 1.0
}

/// Every control lies inside the window and overlaps no other control; no text (a label, clipped to the
/// window as the screen clips it) runs over a control it does not belong to.
fn assert_no_overlaps(harness: &Harness<'static, App>, size: [f32; 2], what: &str) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size.into());
    let nodes: Vec<_> = harness.root().children_recursive().collect();
    let controls: Vec<(String, egui::Rect, _)> = nodes
        .iter()
        .filter(|n| is_control(n))
        .map(|n| (describe(n), n.rect(), n.accesskit_node().id()))
        .filter(|(_, rect, _)| rect.width() > 0.0 && rect.height() > 0.0)
        .collect();
    assert!(controls.len() > 8, "{what}: too few controls: {controls:?}");
    for (name, rect, _) in &controls {
        assert!(
            window.expand(0.5).contains_rect(*rect),
            "{what}: {name} at {rect:?} lies outside the window {window:?}"
        );
    }
    for (i, (a, ra, _)) in controls.iter().enumerate() {
        for (b, rb, _) in &controls[i + 1..] {
            assert!(
                !overlaps(*ra, *rb),
                "{what}: {a} at {ra:?} overlaps {b} at {rb:?}"
            );
        }
    }
    for label in nodes.iter().filter(|n| {
        let node = n.accesskit_node();
        // A label without text is a container of egui's (the combo box's and its label's row).
        !node.is_hidden()
            && node.role() == Role::Label
            && !node.label().unwrap_or_default().is_empty()
    }) {
        let rect = label.rect().intersect(window);
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            continue;
        }
        let ancestors: Vec<_> = std::iter::successors(label.parent(), |n| n.parent())
            .map(|n| n.accesskit_node().id())
            .collect();
        for (name, control, id) in &controls {
            assert!(
                ancestors.contains(id) || !overlaps(rect, *control),
                "{what}: text {} at {rect:?} runs over {name} at {control:?}",
                describe(label)
            );
        }
    }
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
