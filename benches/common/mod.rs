//! Setup shared by the benches (included with `#[path = "common/mod.rs"] mod common;`): property
//! descriptors and records from JSON. Not every bench uses every helper.
#![allow(dead_code)]

use profile_editor::backendless::wire::PropertyDescriptor;
use profile_editor::model::UserRecord;
use serde_json::Value;

/// A described property with no default, regex, relation or key flag.
pub fn descriptor(name: &str, ty: &str, required: bool, identity: bool) -> PropertyDescriptor {
    PropertyDescriptor {
        name: name.to_owned(),
        required,
        data_type: ty.to_owned(),
        default_value: Value::Null,
        identity: Some(identity),
        related_table: None,
        custom_regex: None,
        auto_load: None,
        is_primary_key: None,
    }
}

/// The system columns plus `email` (identity), `password` and `name` of the demo `Users` table.
pub fn system_descriptors() -> Vec<PropertyDescriptor> {
    vec![
        descriptor("objectId", "STRING_ID", false, false),
        descriptor("created", "DATETIME", false, false),
        descriptor("updated", "DATETIME", false, false),
        descriptor("ownerId", "STRING", false, false),
        descriptor("lastLogin", "DATETIME", false, false),
        descriptor("userStatus", "STRING", false, false),
        descriptor("blUserLocale", "STRING", false, false),
        descriptor("email", "STRING", true, true),
        descriptor("password", "STRING", true, false),
        descriptor("name", "STRING", true, false),
    ]
}

/// The demo schema of CONTRACT.md §2: the system columns and the demo properties.
pub fn demo_descriptors() -> Vec<PropertyDescriptor> {
    let mut descriptors = system_descriptors();
    descriptors.extend([
        descriptor("phoneNumber", "STRING", false, false),
        descriptor("address", "STRING", false, false),
        descriptor("age", "INT", false, false),
        descriptor("birthday", "DATETIME", false, false),
        descriptor("newsletter", "BOOLEAN", false, false),
        descriptor("score", "DOUBLE", false, false),
        descriptor("preferences", "JSON", false, false),
    ]);
    descriptors
}

/// The record whose JSON object is `value`.
pub fn record(value: Value) -> UserRecord {
    let Value::Object(map) = value else {
        panic!("a record is an object")
    };
    UserRecord::from_json(map).expect("record has an objectId")
}

/// One whole headless frame at 1280×900: layout of what `draw` puts in the central panel, then
/// tessellation of the shapes. Returns what `draw` returned.
pub fn frame<R>(ctx: &egui::Context, draw: impl FnMut(&mut egui::Ui) -> R) -> R {
    frame_with_events(ctx, Vec::new(), draw).0
}

/// [`frame`] with `events` (keys, text, pointer) in its input. Also returns the platform output
/// (the AccessKit tree when enabled).
pub fn frame_with_events<R>(
    ctx: &egui::Context,
    events: Vec<egui::Event>,
    mut draw: impl FnMut(&mut egui::Ui) -> R,
) -> (R, egui::PlatformOutput) {
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 900.0),
        )),
        events,
        ..Default::default()
    };
    let mut result = None;
    let mut output = ctx.run_ui(input, |ui| {
        egui::CentralPanel::default().show(ui, |ui| {
            result = Some(draw(ui));
        });
    });
    // No painter uploads the font atlas here; epaint asserts that texture updates are handled.
    output.textures_delta.clear();
    std::hint::black_box(ctx.tessellate(output.shapes, output.pixels_per_point));
    (
        result.expect("the central panel is always drawn"),
        output.platform_output,
    )
}
