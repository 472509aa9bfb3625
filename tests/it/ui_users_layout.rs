//! Issue 10 (item 2 and the acceptance): the Users view laid out in the whole app at small and large windows
//! and pixel densities, with the record inspector open. Asserts widget rectangles from AccessKit (never
//! pixels): no control overlaps another or lies outside the window, no text runs over a control, and the
//! inspector's Close takes its own click (it used to re-sort the table). The keyboard is in `ui_users`.

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use profile_editor::app::state::Screen;
use profile_editor::app::{App, AppOptions};
use profile_editor::emulator::EmulatorConfig;

use crate::helpers::{ADMIN, TestEmulator};
use crate::ui_support::{assert_no_overlaps, custom_args, emulator, step_until, wait_for_text};

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
