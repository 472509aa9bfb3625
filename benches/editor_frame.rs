//! CPU time of one frame of the property grid (`EditorView::ui` plus tessellation), headless, for the demo
//! user and for a 500-property user (target: under 4 ms). Run with `cargo bench --bench editor_frame`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use profile_editor::model::{Schema, UserRecord};
use profile_editor::ui::editor::EditorView;
use serde_json::{Value, json};

#[path = "common/mod.rs"]
mod common;
use common::{descriptor, record};

/// Number of custom properties of the wide user.
const WIDE_PROPERTIES: usize = 500;

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

/// One whole frame: layout of the editor and tessellation of what it drew.
fn frame(ctx: &egui::Context, view: &mut EditorView) {
    common::frame(ctx, |ui| {
        black_box(view.ui(ui));
    });
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
}

criterion_group!(benches, editor_frame);
criterion_main!(benches);
