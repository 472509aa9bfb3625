//! CPU time of one frame of the property grid (`EditorView::ui` plus tessellation), headless: a clean frame
//! at the top for the demo user and for a 500-property user (target: under 4 ms), the 500-property user
//! scrolled to the bottom, and a frame while typing into a 10,000-character TEXT field (one keystroke per
//! frame, through egui events; target: under 8 ms). Run with `cargo bench --bench editor_frame`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use profile_editor::model::{Schema, UserRecord};
use profile_editor::ui::editor::EditorView;
use serde_json::{Value, json};

#[path = "common/mod.rs"]
mod common;
use common::{descriptor, record};

/// Number of custom properties of the wide user.
const WIDE_PROPERTIES: usize = 500;

/// Characters of the long value typed into.
const LONG_VALUE_CHARS: usize = 10_000;

/// Letters typed before an untimed frame deletes them again (typing cases).
const TYPING_RUN: usize = 100;

/// Name of the long TEXT property of the typing case.
const LONG_PROPERTY: &str = "biography";

/// Alice of the demo data (CONTRACT.md §2).
fn demo_user() -> (Schema, UserRecord) {
    let descriptors = common::demo_descriptors();
    let user = record(json!({
        "objectId": "A11CE000-0000-4000-8000-000000000001", "___class": "Users",
        "created": 1_700_000_000_000_i64, "updated": null, "ownerId": "A11CE000-0000-4000-8000-000000000001",
        "lastLogin": 1_700_000_100_000_i64, "userStatus": "ENABLED", "blUserLocale": "en",
        "email": "alice@example.com", "name": "Alice Liddell", "phoneNumber": "555-0100",
        "address": "12 Rabbit Hole Lane", "age": 30, "birthday": 831_168_000_000_i64, "newsletter": true,
        "score": 4.5, "preferences": {"theme": "dark", "langs": ["en", "fr"]}
    }));
    (Schema::from_descriptors(descriptors), user)
}

/// A user with 500 custom properties of every editable type.
fn wide_user() -> (Schema, UserRecord) {
    let mut descriptors = common::system_descriptors();
    let mut user = json!({
        "objectId": "W1DE0000-0000-4000-8000-000000000001", "___class": "Users",
        "created": 1_700_000_000_000_i64, "updated": null, "ownerId": "W1DE0000-0000-4000-8000-000000000001",
        "email": "wide@example.com", "name": "Wide User"
    });
    for i in 0..WIDE_PROPERTIES {
        let name = format!("prop{i:03}");
        let (ty, value) = match i % 7 {
            0 => ("STRING", json!(format!("value number {i}"))),
            1 => ("INT", json!(i * 1_000)),
            2 => ("DOUBLE", json!(i as f64 + 0.25)),
            3 => ("BOOLEAN", json!(i.is_multiple_of(2))),
            4 => (
                "DATETIME",
                json!(1_700_000_000_000_i64 + i as i64 * 86_400_000),
            ),
            5 => ("JSON", json!({"i": i, "tags": ["a", "b"]})),
            _ => (
                "TEXT",
                if i.is_multiple_of(2) {
                    Value::Null
                } else {
                    json!("a longer text\nover two lines")
                },
            ),
        };
        descriptors.push(descriptor(&name, ty, false, false));
        user[name] = value;
    }
    (Schema::from_descriptors(descriptors), record(user))
}

/// Alice with a `TEXT` property holding a 10,000-character text (prose with a line break now and then).
fn long_text_user(ty: &str) -> (Schema, UserRecord) {
    let (_, mut user) = demo_user();
    let mut descriptors = common::demo_descriptors();
    descriptors.push(descriptor(LONG_PROPERTY, ty, false, false));
    let sentence = "The quick brown fox jumps over the lazy dog, then naps in the sun. ";
    let mut text = String::new();
    let mut sentences = 0;
    while text.len() < LONG_VALUE_CHARS {
        text.push_str(sentence);
        sentences += 1;
        if sentences % 6 == 0 {
            text.push('\n');
        }
    }
    text.truncate(LONG_VALUE_CHARS);
    let value = if ty == "JSON" {
        // About 10,000 characters once pretty-printed in the editor.
        let items: Vec<Value> = (0..LONG_VALUE_CHARS / 60)
            .map(|i| json!({"id": i, "note": "naps in the sun", "ok": true}))
            .collect();
        json!(items)
    } else {
        json!(text)
    };
    user.set(LONG_PROPERTY, value);
    (Schema::from_descriptors(descriptors), user)
}

/// One whole frame: layout of the editor and tessellation of what it drew.
fn frame(ctx: &egui::Context, view: &mut EditorView) {
    common::frame(ctx, |ui| {
        black_box(view.ui(ui));
    });
}

/// One whole frame with `events` in its input; returns the AccessKit update, if enabled.
fn frame_with(
    ctx: &egui::Context,
    view: &mut EditorView,
    events: Vec<egui::Event>,
) -> Option<egui::accesskit::TreeUpdate> {
    let ((), output) = common::frame_with_events(ctx, events, |ui| {
        black_box(view.ui(ui));
    });
    output.accesskit_update
}

/// The AccessKit node of the (enabled) multi-line text input whose value has `chars` characters.
fn long_input_node(update: &egui::accesskit::TreeUpdate, chars: usize) -> egui::accesskit::NodeId {
    update
        .nodes
        .iter()
        .find(|(_, node)| {
            matches!(
                node.role(),
                egui::Role::MultilineTextInput | egui::Role::TextInput
            ) && node
                .value()
                .is_some_and(|value| value.chars().count() == chars)
        })
        .map(|(id, _)| *id)
        .expect("the long TEXT field is on screen")
}

/// Whether a label reading `text` is on screen.
fn shows_label(update: &egui::accesskit::TreeUpdate, text: &str) -> bool {
    update
        .nodes
        .iter()
        .any(|(_, node)| node.role() == egui::Role::Label && node.value() == Some(text))
}

/// The editor on the long-text user with the long field focused, as after a click into it. AccessKit
/// is on only to find and focus the field, and off again for the timed frames (as in the running app
/// without assistive technology).
fn focused_on_long_field(ctx: &egui::Context, ty: &str) -> (EditorView, usize) {
    let (schema, user) = long_text_user(ty);
    let mut view = EditorView::new(schema, user, "bench@example.com".to_owned());
    ctx.enable_accesskit();
    let update = frame_with(ctx, &mut view, Vec::new()).expect("AccessKit is on");
    let base = long_field_chars(&view);
    let target = long_input_node(&update, base);
    let focus = egui::Event::AccessKitActionRequest(egui::accesskit::ActionRequest {
        action: egui::accesskit::Action::Focus,
        target_tree: egui::accesskit::TreeId::ROOT,
        target_node: target,
        data: None,
    });
    frame_with(ctx, &mut view, vec![focus]);
    ctx.disable_accesskit();
    assert!(
        ctx.memory(|memory| memory.focused().is_some()),
        "the long field has the focus"
    );
    // Warm up, and check that keystrokes reach the field.
    frame_with(ctx, &mut view, vec![keystroke(true)]);
    frame_with(ctx, &mut view, vec![keystroke(true)]);
    assert_eq!(long_field_chars(&view), base + 2);
    frame_with(ctx, &mut view, vec![keystroke(false)]);
    for _ in 0..3 {
        frame(ctx, &mut view);
    }
    assert_eq!(
        long_field_chars(&view),
        base + 1,
        "a keystroke is one character"
    );
    (view, base)
}

/// A keystroke: the letter `y`, or Backspace.
fn keystroke(letter: bool) -> egui::Event {
    if letter {
        egui::Event::Text("y".to_owned())
    } else {
        egui::Event::Key {
            key: egui::Key::Backspace,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: egui::Modifiers::NONE,
        }
    }
}

/// Characters in the long field's buffer.
fn long_field_chars(view: &EditorView) -> usize {
    let field = view.session().field(LONG_PROPERTY).expect("editable");
    field.text.chars().count()
}

/// The 500-property editor scrolled (with the mouse wheel) to its last row.
fn scrolled_to_bottom(ctx: &egui::Context) -> EditorView {
    let (schema, user) = wide_user();
    let mut view = EditorView::new(schema, user, "bench@example.com".to_owned());
    frame(ctx, &mut view);
    let over_grid = egui::Event::PointerMoved(egui::pos2(640.0, 600.0));
    let wheel = egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, -1_000_000.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    };
    frame_with(ctx, &mut view, vec![over_grid, wheel]);
    // Let the smooth scrolling settle.
    for _ in 0..120 {
        frame(ctx, &mut view);
    }
    ctx.enable_accesskit();
    let update = frame_with(ctx, &mut view, Vec::new()).expect("AccessKit is on");
    ctx.disable_accesskit();
    let last = format!("prop{:03}", WIDE_PROPERTIES - 1);
    assert!(shows_label(&update, &last), "{last} is on screen");
    assert!(!shows_label(&update, "prop000"), "the top is scrolled away");
    for _ in 0..3 {
        frame(ctx, &mut view);
    }
    view
}

fn editor_frame(c: &mut Criterion) {
    for (label, (schema, user)) in [("demo_user", demo_user()), ("500_properties", wide_user())] {
        let ctx = egui::Context::default();
        let mut view = EditorView::new(schema, user, "bench@example.com".to_owned());
        // Warm up: fonts are loaded and text layouts cached, as in a running app.
        for _ in 0..3 {
            frame(&ctx, &mut view);
        }
        c.bench_function(&format!("editor_frame/{label}"), |b| {
            b.iter(|| frame(&ctx, &mut view))
        });
    }

    let ctx = egui::Context::default();
    let mut view = scrolled_to_bottom(&ctx);
    c.bench_function("editor_frame/500_properties_bottom", |b| {
        b.iter(|| frame(&ctx, &mut view))
    });

    // One timed keystroke per iteration: a letter typed at the cursor (the end). Every timed frame shows
    // a text no recent frame showed, so egui's galley cache (which keeps what the last frame used) cannot
    // answer it; a Backspace would bring back the text of two frames ago, which it still holds. Every
    // `TYPING_RUN` letters, an untimed frame takes them out again, so the value stays near 10,000
    // characters however many iterations run.
    for (label, ty) in [("text", "TEXT"), ("string", "STRING"), ("json", "JSON")] {
        let ctx = egui::Context::default();
        let (mut view, base) = focused_on_long_field(&ctx, ty);
        let mut typed = 0_usize;
        c.bench_function(&format!("editor_frame/typing_10k_{label}"), |b| {
            b.iter_custom(|iterations| {
                let mut timed = Duration::ZERO;
                for _ in 0..iterations {
                    if typed == TYPING_RUN {
                        frame_with(&ctx, &mut view, vec![keystroke(false); TYPING_RUN]);
                        typed = 0;
                    }
                    let letter = char::from(b'a' + (typed % 26) as u8);
                    let event = egui::Event::Text(letter.to_string());
                    let start = Instant::now();
                    black_box(frame_with(&ctx, &mut view, vec![event]));
                    timed += start.elapsed();
                    typed += 1;
                }
                timed
            })
        });
        let chars = long_field_chars(&view);
        assert_eq!(chars, base + 1 + typed, "every keystroke reached the field");
    }
}

criterion_group!(benches, editor_frame);
criterion_main!(benches);
