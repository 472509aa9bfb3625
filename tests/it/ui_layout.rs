//! Issue 10 (items 4, 6, 10 and the acceptance for login and editor): the login screen and the editor fit
//! every window (800×600 and 1920×1080, 1 and 2 pixels per point), a long value under review stays inside
//! its dialog (Enter confirms, Esc cancels), a save refused at fields says so at the top and scrolls there,
//! the toolbar keeps its controls in place in two rows, the Type column is never cut, and the read-only
//! properties come after the editable ones, collapsible. Asserts AccessKit rectangles, never pixels. At the
//! end, the layout check itself (`ui_support::assert_layout_where`) on small views drawn to pass or fail it.

use std::path::Path;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::state::Screen;
use profile_editor::app::{App, AppOptions};
use profile_editor::backendless::error::ApiError;
use profile_editor::emulator::EmulatorConfig;
use profile_editor::model::schema::Schema;
use profile_editor::profile::draft::Draft;
use profile_editor::ui::connection::CLOUDCODE_KEY_LABEL;
use profile_editor::ui::editor::{EditorAction, EditorView};

use crate::helpers::{ALICE, TestEmulator};
use crate::ui_support::{
    EditorHost, Rig, assert_layout_where, custom_args, emulator, is_control, log_in, set_text,
    step_until, text_input, wait_for_editor, wait_for_text,
};

const SIZES: [([f32; 2], f32); 4] = [
    ([800.0, 600.0], 1.0),
    ([800.0, 600.0], 2.0),
    ([1920.0, 1080.0], 1.0),
    ([1920.0, 1080.0], 2.0),
];

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

/// Every control (input, button, check box, link…) has a name for assistive technology.
pub(crate) fn assert_every_control_named<S>(harness: &Harness<'_, S>, what: &str) {
    for node in harness
        .root()
        .children_recursive()
        .filter(|n| is_control(n))
    {
        let label = node.accesskit_node().label().unwrap_or_default();
        assert!(
            !label.trim().is_empty(),
            "{what}: a {:?} at {:?} has no name",
            node.accesskit_node().role(),
            node.rect()
        );
    }
}

#[test]
fn the_login_screen_fits_every_window() {
    let (_runtime, emulator) = emulator(EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    });
    for (size, ppp) in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), &emulator, size, ppp);
        step_until(&mut harness, "the login form", |h| {
            h.state().state().screen() == Screen::Login
        });
        harness.run_steps(3);
        let what = format!("login at {size:?}, {ppp} px/pt");
        assert_layout_where(&harness, size, &what, 4, |_| true);
        assert_every_control_named(&harness, &what);
    }
}

/// Item 2 (this session): the Custom connection's notes (the CloudCode key's help, the domain-form note)
/// wrap within the login card, which is centred in the window: no text runs past the card's right edge.
#[test]
fn the_custom_connection_notes_wrap_within_the_form() {
    let (_runtime, emulator) = emulator(EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    });
    for (size, ppp) in [
        ([960.0, 700.0], 1.0),
        ([800.0, 600.0], 1.0),
        ([800.0, 600.0], 2.0),
        ([1920.0, 1080.0], 1.0),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), &emulator, size, ppp);
        step_until(&mut harness, "the login form", |h| {
            h.state().state().screen() == Screen::Login
        });
        harness.run_steps(3);
        let what = format!("Custom connection at {size:?}, {ppp} px/pt");
        assert!(
            harness.query_by_label(CLOUDCODE_KEY_LABEL).is_some(),
            "{what}: the Custom connection is shown"
        );
        // The card is centred: its content spans from the first connection choice to as far from the
        // window's right edge.
        let left = harness.get_by_label("Local demo").rect().left();
        let right = size[0] - left;
        let mut notes = 0;
        for node in harness.root().children_recursive().filter(|n| {
            let node = n.accesskit_node();
            !node.is_hidden() && node.role() == Role::Label && node.bounding_box().is_some()
        }) {
            let rect = node.rect();
            let text = text_of_label(&node);
            if text.is_empty() {
                continue;
            }
            notes += usize::from(
                text.starts_with("Only for administrative") || text.starts_with("Leave the keys"),
            );
            assert!(
                rect.left() >= 0.0 && rect.right() <= right + 1.0,
                "{what}: {text:?} at {rect:?} runs past the card's right edge at {right}"
            );
        }
        assert_eq!(notes, 2, "{what}: both notes are shown");
        assert_layout_where(&harness, size, &what, 4, |_| true);
    }
}

/// A label's text (AccessKit keeps it as the node's value).
fn text_of_label(node: &egui_kittest::Node<'_>) -> String {
    let node = node.accesskit_node();
    node.label()
        .or(node.value())
        .unwrap_or_default()
        .to_string()
}

/// Whether the node straddles the window's bottom edge (a row the grid's scroll area cuts).
fn cut_at_bottom(node: &egui_kittest::Node<'_>, size: [f32; 2]) -> bool {
    node.accesskit_node().bounding_box().is_some() && {
        let rect = node.rect();
        rect.top() < size[1] && rect.bottom() > size[1]
    }
}

/// Whether a node lies in the dialog holding the control labelled `inside`: the farthest ancestor of that
/// control that does not also hold the control labelled `outside` (a control of the view under it).
fn in_dialog<S>(
    harness: &Harness<'_, S>,
    inside: &str,
    outside: &str,
) -> impl Fn(&egui_kittest::Node<'_>) -> bool + use<S> {
    let beneath: Vec<_> =
        std::iter::successors(harness.get_by_label(outside).parent(), |n| n.parent())
            .map(|n| n.accesskit_node().id())
            .collect();
    let dialog = std::iter::successors(Some(harness.get_by_label(inside)), |n| n.parent())
        .map(|n| n.accesskit_node().id())
        .take_while(|id| !beneath.contains(id))
        .last()
        .expect("the dialog");
    move |node| {
        std::iter::successors(Some(*node), |n| n.parent())
            .any(|n| n.accesskit_node().id() == dialog)
    }
}

/// A value of a few thousand characters, with one "word" longer than any window is wide.
fn long_value() -> String {
    let mut value = "x".repeat(600);
    for i in 0..300 {
        value.push_str(&format!(" lane{i}"));
    }
    value
}

#[test]
fn the_editor_and_the_review_of_a_long_value_fit_every_window() {
    let (_runtime, emulator) = emulator(EmulatorConfig {
        demo: true,
        ..EmulatorConfig::default()
    });
    for (size, ppp) in SIZES {
        // A different value each time: the previous round saved its own.
        let long = format!("{} {size:?} {ppp}", long_value());
        let dir = tempfile::tempdir().unwrap();
        let mut harness = app(dir.path(), &emulator, size, ppp);
        log_in(&mut harness, ALICE, false);
        wait_for_editor(&mut harness, ALICE.0);
        set_text(&mut harness, "address", &long);
        harness.run_steps(3);
        let what = format!("editor at {size:?}, {ppp} px/pt");
        // The grid's last row may be cut by the bottom of its scroll area, as any scrolled list is.
        assert_layout_where(&harness, size, &what, 9, |n| !cut_at_bottom(n, size));
        assert_every_control_named(&harness, &what);

        // Esc cancels the review.
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
        wait_for_text(&mut harness, "Review changes");
        harness.run_steps(3);
        // The dialog has settled: its buttons stay where they are from frame to frame.
        let confirm = harness.get_by_label("Confirm save").rect();
        harness.run_steps(4);
        assert_eq!(
            harness.get_by_label("Confirm save").rect(),
            confirm,
            "the review's buttons move"
        );
        let dialog = in_dialog(&harness, "Confirm save", "Filter");
        let what = format!("review at {size:?}, {ppp} px/pt");
        assert_layout_where(&harness, size, &what, 2, dialog);
        assert_every_control_named(&harness, &what);
        harness.key_press(egui::Key::Escape);
        harness.run_steps(3);
        assert!(
            harness.query_by_label("Review changes").is_none(),
            "{what}: Esc closes the review"
        );
        assert!(harness.state().editor().unwrap().has_pending_edits());

        // Enter confirms it.
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
        wait_for_text(&mut harness, "Review changes");
        harness.run_steps(2);
        assert!(
            harness.query_by_label("Review changes").is_some(),
            "{what}: the review stays open until answered"
        );
        harness.key_press(egui::Key::Enter);
        step_until(&mut harness, "the save", |h| {
            !h.state().editor().unwrap().has_pending_edits()
        });
        let saved = harness
            .state()
            .editor()
            .unwrap()
            .session()
            .original()
            .get("address")
            .cloned();
        assert_eq!(
            saved,
            Some(serde_json::Value::String(long.clone())),
            "{what}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// The editor view alone in a window of a given size; saves are only recorded.

struct Host {
    view: EditorView,
    saves: Vec<EditorAction>,
}

impl EditorHost for Host {
    fn view(&self) -> &EditorView {
        &self.view
    }

    fn view_mut(&mut self) -> &mut EditorView {
        &mut self.view
    }

    fn perform(&mut self, action: EditorAction) {
        if matches!(action, EditorAction::Save { .. }) {
            self.view.save_started(self.saves.len() as u64 + 1);
        }
        self.saves.push(action);
    }
}

fn editor_in(view: EditorView, size: [f32; 2]) -> Harness<'static, Host> {
    let mut harness = Harness::builder().with_size(size).build_ui_state(
        |ui, host: &mut Host| {
            if let Some(action) = host.view_mut().ui(ui) {
                host.perform(action);
            }
        },
        Host {
            view,
            saves: Vec::new(),
        },
    );
    harness.run();
    harness
}

fn alice_view(rig: &Rig) -> EditorView {
    let (record, token) = rig.login(ALICE);
    EditorView::new(rig.schema(&token), record, ALICE.0.to_owned())
}

fn rect_of<S>(harness: &Harness<'_, S>, label: &str) -> egui::Rect {
    harness.get_by_label(label).rect()
}

/// The grid's "Value" header (the add-property form above it has a "Value" too).
fn value_header<S>(harness: &Harness<'_, S>) -> egui::Rect {
    harness
        .query_all_by_label("Value")
        .map(|n| n.rect())
        .max_by(|a, b| a.top().total_cmp(&b.top()))
        .expect("the Value header")
}

/// Item 6: a save refused at two fields far below the visible rows says so at the top, scrolls to the
/// first, and jumps to each.
#[test]
fn a_save_refused_at_fields_says_so_at_the_top_and_scrolls_there() {
    let rig = Rig::new();
    let (record, token) = rig.login(ALICE);
    // Thirty more properties ("extra00"…, sorted before them) push `name` and `phoneNumber`, both made
    // required, below the rows an 800×600 window shows.
    let mut descriptors = rig.descriptors(&token);
    let template = descriptors
        .iter()
        .find(|d| d.name == "phoneNumber")
        .unwrap()
        .clone();
    for i in 0..30 {
        let mut extra = template.clone();
        extra.name = format!("extra{i:02}");
        descriptors.push(extra);
    }
    for d in &mut descriptors {
        if d.name == "name" || d.name == "phoneNumber" {
            d.required = true;
        }
    }
    let view = EditorView::new(
        Schema::from_descriptors(descriptors),
        record,
        ALICE.0.to_owned(),
    );
    let mut harness = editor_in(view, [800.0, 600.0]);
    for name in ["name", "phoneNumber"] {
        set_text(&mut harness, "Filter", name);
        set_text(&mut harness, name, "");
    }
    set_text(&mut harness, "Filter", "");
    assert!(
        text_input(&harness, "phoneNumber").is_none(),
        "phoneNumber starts out of view"
    );
    assert!(
        text_input(&harness, "name").is_none(),
        "name starts out of view"
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    harness.get_by_label("Confirm save").click();
    harness.run_steps(2); // the spinner of the save in flight keeps repainting
    assert_eq!(harness.state().saves.len(), 1);
    harness
        .state_mut()
        .view
        .save_failed(&ApiError::RequiredPropertyEmpty {
            status: 400,
            message: "A required property cannot be empty".to_owned(),
        });
    harness.run();
    assert!(harness.query_by_label("2 fields need attention:").is_some());
    // The first in the grid's order (name, before phoneNumber) is scrolled into view.
    let first = text_input(&harness, "name").expect("scrolled to name");
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(800.0, 600.0));
    assert!(window.contains_rect(first.rect()));
    harness.get_by_label("Go to phoneNumber").click();
    harness.run();
    let second = text_input(&harness, "phoneNumber").expect("jumped to phoneNumber");
    assert!(window.contains_rect(second.rect()));
    assert_layout_where(
        &harness,
        [800.0, 600.0],
        "failed save at 800×600",
        9,
        |n| !cut_at_bottom(n, [800.0, 600.0]),
    );
    // Fixing the fields keeps the banner in place (saying so) until dismissed.
    harness.get_by_label("Go to name").click();
    harness.run();
    set_text(&mut harness, "name", "Alice");
    harness.run();
    assert!(harness.query_by_label("1 field needs attention:").is_some());
    harness.get_by_label("Dismiss").click();
    harness.run();
    assert!(harness.query_by_label_contains("need").is_none());
}

/// Item 10: at the default 960 px the toolbar is two full rows (no orphan row), and its controls stay
/// where they are when the change count, the notices or the draft banner change.
#[test]
fn the_toolbar_keeps_its_controls_in_place_at_960() {
    let rig = Rig::new();
    let toolbar = [
        "Filter",
        "Revert all",
        "Undo",
        "Redo",
        "Review & save…",
        "Reload",
        "Export JSON…",
        "Import JSON…",
    ];
    let draft = {
        let mut harness = editor_in(alice_view(&rig), [960.0, 700.0]);
        set_text(&mut harness, "name", "Drafted Name");
        let view = &harness.state().view;
        let original = view.session().original();
        Draft::new(
            "local-demo",
            ALICE.0,
            original.object_id(),
            original.updated_ms(),
            view.session().pending_edits(),
        )
    };
    let mut harness = editor_in(alice_view(&rig), [960.0, 700.0]);
    let before: Vec<egui::Rect> = toolbar.iter().map(|l| rect_of(&harness, l)).collect();
    let mut rows: Vec<f32> = before.iter().map(|r| r.center().y.round()).collect();
    rows.dedup();
    rows.sort_by(f32::total_cmp);
    rows.dedup();
    assert!(
        rows.len() <= 2,
        "the toolbar takes {} rows: {rows:?}",
        rows.len()
    );
    assert_layout_where(&harness, [960.0, 700.0], "editor at 960", 9, |n| {
        !cut_at_bottom(n, [960.0, 700.0])
    });

    // A change, a notice, a draft offer and its restore move nothing in the toolbar.
    set_text(&mut harness, "age", "41");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    harness.key_press(egui::Key::Escape);
    harness.run();
    harness.state_mut().view.offer_draft(draft);
    harness.run();
    let restore = rect_of(&harness, "Restore changes");
    harness.get_by_label("Restore changes").click();
    harness.run();
    let after: Vec<egui::Rect> = toolbar.iter().map(|l| rect_of(&harness, l)).collect();
    assert_eq!(before, after, "the toolbar moved");
    // What lies under the pointer after Restore is the acknowledgement's OK, never another control.
    let under: Vec<String> = harness
        .root()
        .children_recursive()
        .filter(|n| is_control(n) && n.rect().contains(restore.center()))
        .map(|n| n.accesskit_node().label().unwrap_or_default())
        .collect();
    assert!(
        under.iter().all(|l| l == "OK"),
        "under the pointer: {under:?}"
    );
    assert!(harness.query_by_label("Draft restored.").is_some());
    harness.get_by_label("OK").click();
    harness.run();
    assert!(harness.query_by_label("Draft restored.").is_none());
}

/// Item 10: the Type column shows the whole "STRING · identity" and "STRING · required" tags, at 1920, 960
/// and 800 px. The column clips its cells and truncates their text with "…" (the label's rectangle then
/// fits the cell whatever the column's width), so the check measures the tag's whole text with the
/// window's own fonts: it must fit between the Type header's left edge and the Value column.
#[test]
fn the_type_column_is_never_cut() {
    let rig = Rig::new();
    for size in [[1920.0, 1080.0], [960.0, 700.0], [800.0, 600.0]] {
        let harness = editor_in(alice_view(&rig), size);
        let value_header = value_header(&harness);
        let type_header = harness
            .query_all_by_label("Type")
            .find(|n| n.accesskit_node().role() == Role::Label)
            .expect("the Type header")
            .rect();
        let style = harness.ctx.global_style();
        let cell_right = value_header.left() - style.spacing.item_spacing.x;
        let font = egui::TextStyle::Body.resolve(&style);
        for tag in ["STRING · identity", "STRING · required"] {
            let node = harness
                .query_all_by_label_contains(tag)
                .find(|n| n.accesskit_node().role() == Role::Label)
                .unwrap_or_else(|| panic!("no {tag:?} at {size:?}"));
            let rect = node.rect();
            let width = harness.ctx.fonts_mut(|fonts| {
                fonts
                    .layout_no_wrap(tag.to_owned(), font.clone(), egui::Color32::WHITE)
                    .size()
                    .x
            });
            assert!(
                rect.left() >= type_header.left() - 0.5
                    && rect.left() + width <= cell_right + 0.5
                    && rect.width() >= width - 0.5,
                "{tag:?} ({width} wide) shown at {rect:?} does not fit its cell, {:.1}..{cell_right:.1} \
                 ({size:?})",
                type_header.left()
            );
        }
    }
}

/// Item 10: editable properties first, the read-only ones after them under a heading that folds them.
#[test]
fn read_only_properties_come_last_and_fold() {
    let rig = Rig::new();
    let mut harness = editor_in(alice_view(&rig), [1280.0, 1100.0]);
    let last_input = harness
        .root()
        .children_recursive()
        .filter(|n| {
            matches!(
                n.accesskit_node().role(),
                Role::TextInput | Role::MultilineTextInput
            ) && n.accesskit_node().label().as_deref() != Some("Filter")
                && n.rect().top() > value_header(&harness).top()
        })
        .map(|n| n.rect().bottom())
        .fold(0.0, f32::max);
    let heading = rect_of(&harness, "Hide the read-only properties");
    assert!(
        heading.top() >= last_input,
        "the heading comes after every editable field"
    );
    for name in ["objectId", "created"] {
        assert!(
            rect_of(&harness, name).top() > heading.top(),
            "{name} is under the heading"
        );
    }
    harness
        .get_by_label("Hide the read-only properties")
        .click();
    harness.run();
    assert!(harness.query_by_label("objectId").is_none());
    assert!(text_input(&harness, "email").is_some());
    harness
        .get_by_label("Show the read-only properties")
        .click();
    harness.run();
    assert!(harness.query_by_label("objectId").is_some());
}

// ------------------------------------------------------------------------------------------------
// The layout check itself (`ui_support::assert_layout_where`), on small views drawn to pass or fail it.

const CHECK_WINDOW: [f32; 2] = [400.0, 300.0];

fn drawn(draw: impl FnMut(&mut egui::Ui) + 'static) -> Harness<'static> {
    let mut harness = Harness::builder().with_size(CHECK_WINDOW).build_ui(draw);
    harness.run();
    harness
}

/// What the check says of `harness`: `Err` with its message when it fails.
fn layout_check(harness: &Harness<'_>) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_layout_where(harness, CHECK_WINDOW, "drawn", 2, |_| true);
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

/// Whether the AccessKit rectangle of some label overlaps that of the button `button` (what the check
/// must look past when the label does not show there).
fn some_label_rect_overlaps(harness: &Harness<'_>, button: &str) -> bool {
    let button = harness.get_by_label(button).rect();
    harness.root().children_recursive().any(|n| {
        n.accesskit_node().role() == Role::Label && crate::ui_support::overlaps(n.rect(), button)
    })
}

/// Forty rows in a scroll area 60 points high, scrolled to the middle, between two buttons.
fn scrolled_rows(ui: &mut egui::Ui) {
    let _ = ui.button("Above");
    egui::ScrollArea::vertical()
        .max_height(60.0)
        .vertical_scroll_offset(200.0)
        .show(ui, |ui| {
            for i in 0..40 {
                ui.label(format!("Row {i} of the scrolled list"));
            }
        });
    let _ = ui.button("Below");
}

#[test]
fn the_layout_check_fails_on_text_put_over_a_button() {
    let harness = drawn(|ui| {
        let save = ui.button("Save").rect;
        let _ = ui.button("Cancel");
        ui.put(
            save.translate(egui::vec2(12.0, 0.0)),
            egui::Label::new("Text drawn over the button"),
        );
    });
    let failure = layout_check(&harness).expect_err("the check passes text over a button");
    assert!(
        failure.contains("\"Text drawn over the button\"") && failure.contains("Button \"Save\""),
        "{failure}"
    );
}

#[test]
fn the_layout_check_passes_text_scrolled_out_of_view_under_the_buttons() {
    let harness = drawn(scrolled_rows);
    // The rows scrolled away keep their AccessKit rectangles over both buttons…
    assert!(some_label_rect_overlaps(&harness, "Above"));
    assert!(some_label_rect_overlaps(&harness, "Below"));
    // …but none of them shows there.
    layout_check(&harness).unwrap();
}

#[test]
fn the_layout_check_fails_on_a_button_over_rows_that_show() {
    let harness = drawn(|ui| {
        scrolled_rows(ui);
        // A button over the scroll area's viewport, where rows show.
        let viewport = ui.min_rect();
        ui.put(
            egui::Rect::from_center_size(
                egui::pos2(viewport.left() + 40.0, 60.0),
                egui::vec2(60.0, 20.0),
            ),
            egui::Button::new("Over the rows"),
        );
    });
    let failure = layout_check(&harness).expect_err("the check passes a button over rows");
    assert!(
        failure.contains("runs over Button \"Over the rows\""),
        "{failure}"
    );
}
