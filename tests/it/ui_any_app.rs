//! Issue 11 items 8–9 through the whole app (egui_kittest, accessibility check on): an emulator started
//! with the every-type fixture schema (`tests/fixtures/users_schema_all_types.json`, identity `username`)
//! is driven through the login form and the editor: every editable type is edited and saved, geometry as
//! WKT with validation, the relation, AUTO_INCREMENT and unknown values shown read-only and carried through
//! unchanged, nothing lost; the login form then names the identity `username`.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use profile_editor::app::App;
use profile_editor::app::state::Screen;
use profile_editor::emulator::EmulatorConfig;
use profile_editor::model::value::same_json;
use profile_editor::ui::connection::CLOUDCODE_KEY_LABEL;
use serde_json::{Value, json};

use crate::ui_support::{Rig, app_sized, custom_args, step_until, text_input, type_into};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/users_schema_all_types.json"
);

fn any_app() -> Rig {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("fixture")).unwrap();
    Rig::with(EmulatorConfig {
        identity: "username".to_owned(),
        schema: Some(schema),
        ..EmulatorConfig::default()
    })
}

/// Registers `body` on the rig's emulator; returns the record.
fn register(rig: &Rig, body: Value) -> Value {
    let (status, record) = rig
        .runtime
        .block_on(rig.emulator.post(None, "users/register", &body));
    assert_eq!(status, 200, "{record}");
    record
}

/// The record of `object_id` as the server keeps it.
fn server_record(rig: &Rig, token: &str, object_id: &str) -> Value {
    let (status, record) = rig.runtime.block_on(
        rig.emulator
            .get(Some(token), &format!("data/Users/{object_id}")),
    );
    assert_eq!(status, 200, "{record}");
    record
}

/// Replaces the text of the input labelled `label` (as assistive technology does) and lets the app settle.
fn set_field(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    text_input(harness, label)
        .unwrap_or_else(|| panic!("no text input {label:?}"))
        .set_text_value_accesskit(text);
    for _ in 0..3 {
        harness.step();
    }
}

/// The text in the input labelled `label`.
fn field_value(harness: &Harness<'static, App>, label: &str) -> String {
    text_input(harness, label)
        .unwrap_or_else(|| panic!("no text input {label:?}"))
        .value()
        .unwrap_or_default()
}

fn problem_shown(harness: &Harness<'static, App>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

#[test]
fn every_type_of_any_app_is_edited_saved_and_round_tripped() {
    let rig = any_app();
    let dave = register(&rig, json!({"username": "dave", "password": "dave-pass-1"}));
    let dave_id = dave["objectId"].as_str().unwrap().to_owned();
    let carol = register(
        &rig,
        json!({
            "username": "carol", "password": "carol-pass-1", "email": "carol@example.org",
            "bio": "first", "loyaltyPoints": 5, "rating": 1.5, "verified": true,
            "memberSince": 1_700_000_000_000_i64, "settings": {"theme": "dark"},
            "homeLocation": {"type": "Point", "coordinates": [-9.1393, 38.7223]},
            "commuteRoute": "LINESTRING (1.0 2.0, 3.0 4.0)",
            "deliveryArea": {"type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 4], [0, 0]]]},
            "referredBy": dave_id,
        }),
    );
    let carol_id = carol["objectId"].as_str().unwrap().to_owned();
    let member_number = carol["memberNumber"].clone();
    assert!(member_number.is_number(), "{carol}");

    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_sized(dir.path(), custom_args(&rig.emulator), [1400.0, 1500.0]);
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    // Before any login the app cannot know the identity property.
    assert!(harness.query_by_label("Identity").is_some());
    type_into(&mut harness, "Identity", "carol");
    type_into(&mut harness, "Password", "carol-pass-1");
    harness.get_by_label("Log in").click();
    step_until(&mut harness, "the editor", |h| {
        h.state().state().screen() == Screen::Editor && h.state().editor().is_some()
    });
    assert_eq!(
        field_value(&harness, "homeLocation"),
        "POINT (-9.1393 38.7223)"
    );
    assert_eq!(
        field_value(&harness, "commuteRoute"),
        "LINESTRING (1.0 2.0, 3.0 4.0)"
    );
    assert_eq!(field_value(&harness, "loyaltyPoints"), "5");

    // Read-only: the relation as the related id, AUTO_INCREMENT as its number; geometry as WKT.
    assert!(
        harness.query_by_label(&dave_id).is_some(),
        "the relation shows dave's id"
    );
    assert!(text_input(&harness, "referredBy").is_none());
    assert!(text_input(&harness, "memberNumber").is_none());
    assert!(text_input(&harness, "commuteRoute").is_some());

    // A bad WKT is refused at its field, with the reason, and blocks nothing else.
    set_field(&mut harness, "homeLocation", "POINT (200 1)");
    assert!(problem_shown(&harness, "Longitude 200"), "range checked");
    set_field(
        &mut harness,
        "deliveryArea",
        "POLYGON ((0 0, 1 0, 1 1, 0 1))",
    );
    assert!(problem_shown(&harness, "must end where it starts"));

    // Edit every editable type.
    set_field(&mut harness, "bio", "Line one\nLine two — ünïcödé ✓");
    set_field(&mut harness, "loyaltyPoints", "1234");
    set_field(&mut harness, "rating", "4.75");
    harness.get_by_label("verified false").click();
    harness.step();
    set_field(&mut harness, "memberSince", "2001-02-03 04:05:06 UTC");
    set_field(
        &mut harness,
        "settings",
        r#"{"theme": "light", "langs": ["en", "pt"]}"#,
    );
    set_field(&mut harness, "email", "carol@example.net");
    set_field(&mut harness, "homeLocation", "POINT (2.35 48.85)");
    set_field(&mut harness, "commuteRoute", "LINESTRING (1 2, 3 4, 5 6)");
    set_field(
        &mut harness,
        "deliveryArea",
        "POLYGON ((0 0, 10 0, 10 10, 0 0), (1 1, 2 1, 2 2, 1 1))",
    );

    // Save through the review.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.step();
    harness.step();
    assert!(harness.query_by_label("Review changes").is_some());
    // The dialog grows to its content over a few frames: click once it has settled.
    let mut last = egui::Rect::NOTHING;
    for _ in 0..100 {
        let rect = harness.get_by_label("Confirm save").rect();
        if rect == last {
            break;
        }
        last = rect;
        harness.step();
    }
    harness.get_by_label("Confirm save").click();
    step_until(&mut harness, "the save", |h| {
        h.state()
            .editor()
            .is_some_and(|e| !e.session().is_saving() && !e.session().has_pending_edits())
    });

    // Exactly what was typed, and only that, was sent.
    let sent = rig.update_bodies().last().cloned().expect("an update");
    let mut keys: Vec<&str> = sent
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "bio",
            "commuteRoute",
            "deliveryArea",
            "email",
            "homeLocation",
            "loyaltyPoints",
            "memberSince",
            "rating",
            "settings",
            "verified"
        ]
    );

    // The server's record: every type round-tripped, the rest untouched.
    let (_, token) = rig.login(("carol", "carol-pass-1"));
    let stored = server_record(&rig, token.expose(), &carol_id);
    let same = |a: &Value, b: Value| assert!(same_json(a, &b), "{a} is not {b}");
    assert_eq!(stored["username"], "carol");
    assert_eq!(stored["email"], "carol@example.net");
    assert_eq!(stored["bio"], "Line one\nLine two — ünïcödé ✓");
    assert_eq!(stored["loyaltyPoints"], 1234);
    same(&stored["rating"], json!(4.75));
    assert_eq!(stored["verified"], false);
    assert_eq!(stored["memberSince"], 981_173_106_000_i64);
    assert_eq!(
        stored["settings"],
        json!({"theme": "light", "langs": ["en", "pt"]})
    );
    assert_eq!(stored["homeLocation"]["type"], "Point");
    same(&stored["homeLocation"]["coordinates"], json!([2.35, 48.85]));
    same(
        &stored["commuteRoute"]["coordinates"],
        json!([[1, 2], [3, 4], [5, 6]]),
    );
    same(
        &stored["deliveryArea"]["coordinates"],
        json!([
            [[0, 0], [10, 0], [10, 10], [0, 0]],
            [[1, 1], [2, 1], [2, 2], [1, 1]]
        ]),
    );
    assert_eq!(stored["referredBy"]["objectId"], dave_id.as_str());
    assert_eq!(stored["memberNumber"], member_number);

    // The editor shows what the server answered, as WKT again.
    assert_eq!(field_value(&harness, "homeLocation"), "POINT (2.35 48.85)");

    // Log out: the login form now names the app's identity property.
    harness.get_by_label("Log out").click();
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    for _ in 0..3 {
        harness.step();
    }
    assert!(
        harness.query_by_label("username").is_some(),
        "the identity field is labelled by its property name"
    );
    assert!(harness.query_by_label("Identity").is_none());
    assert_eq!(
        harness
            .state()
            .settings()
            .identity_names
            .values()
            .collect::<Vec<_>>(),
        ["username"]
    );
}

/// Item 10: the connection form takes an optional CloudCode key in a masked field; it is kept in the
/// owner-only keys file, not in the settings, and never appears in the accessible tree.
#[test]
fn the_cloudcode_key_is_masked_and_kept_with_the_api_key() {
    let rig = any_app();
    register(&rig, json!({"username": "erin", "password": "erin-pass-1"}));
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app_sized(dir.path(), custom_args(&rig.emulator), [1400.0, 1000.0]);
    step_until(&mut harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    let secret = "CC-SECRET-7D1F";
    let masked = harness.query_by(|node| {
        node.role() == egui::accesskit::Role::PasswordInput
            && node.label().as_deref() == Some(CLOUDCODE_KEY_LABEL)
    });
    assert!(masked.is_some(), "a masked CloudCode key field");
    type_into(&mut harness, CLOUDCODE_KEY_LABEL, secret);
    assert!(
        harness.query_all_by_value(secret).next().is_none()
            && harness.query_all_by_label_contains(secret).next().is_none(),
        "the key is never shown"
    );
    type_into(&mut harness, "Identity", "erin");
    type_into(&mut harness, "Password", "erin-pass-1");
    harness.get_by_label("Log in").click();
    step_until(&mut harness, "the editor", |h| {
        h.state().state().screen() == Screen::Editor
    });
    let config = dir.path().join("config");
    let keys = std::fs::read_to_string(config.join("keys.json")).unwrap();
    assert!(keys.contains(secret), "{keys}");
    let settings = std::fs::read_to_string(config.join("settings.json")).unwrap();
    assert!(!settings.contains(secret), "{settings}");
    assert!(
        !format!("{:?}", harness.state().settings()).contains(secret),
        "Debug never shows it"
    );
}
