//! The window for everyone (issue 10), with egui_kittest against a real in-process emulator: names in the
//! world's scripts (kittest panics on any character drawn as a box), the accessible visuals, numbers kept
//! as typed, typing into a null field, a pasted key-in-path URL, a 404 at login, and a save whose account
//! was deleted meanwhile.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::App;
use profile_editor::backendless::client::Password;
use profile_editor::backendless::error::NO_API_HERE;
use profile_editor::cli::{ConnectionArgs, DEMO_API_KEY, DEMO_APP_ID};
use profile_editor::ui::connection::SPLIT_NOTICE;
use profile_editor::ui::editor::{EditorAction, EditorView};
use profile_editor::ui::fonts::SCRIPT_SAMPLES;
use serde_json::json;

use crate::helpers::{ADMIN, ALICE};
use crate::ui_support::{
    EditorHost, Rig, app, custom_args, editor_harness, log_in, set_text, step_until, text_input,
    text_of, type_into, wait_for_editor, wait_for_text,
};

// ------------------------------------------------------------------------------------------------
// Plumbing.

/// The editor view alone; actions are only recorded (nothing here saves).
struct EditorOnly {
    view: EditorView,
    actions: Vec<EditorAction>,
}

impl EditorHost for EditorOnly {
    fn view(&self) -> &EditorView {
        &self.view
    }

    fn view_mut(&mut self) -> &mut EditorView {
        &mut self.view
    }

    fn perform(&mut self, action: EditorAction) {
        self.actions.push(action);
    }
}

/// The editor of `user`, logged in on `rig`, with fonts as the app installs them.
fn editor_of(rig: &Rig, user: (&str, &str)) -> Harness<'static, EditorOnly> {
    let (record, token) = rig.login(user);
    let view = EditorView::new(rig.schema(&token), record, user.0.to_owned());
    let harness = editor_harness(EditorOnly {
        view,
        actions: Vec::new(),
    });
    profile_editor::ui::fonts::install(&harness.ctx);
    harness
}

/// Every sample of [`SCRIPT_SAMPLES`] in one line.
fn all_scripts() -> String {
    SCRIPT_SAMPLES
        .iter()
        .map(|(_, text)| *text)
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Registers `email` with `name` and the password `world-pass-1`.
fn register(rig: &Rig, email: &str, name: &str) {
    let props = json!({"email": email, "name": name, "bio": name});
    rig.runtime
        .block_on(rig.client().register(
            props.as_object().unwrap().clone(),
            &Password::new("world-pass-1".to_owned()),
        ))
        .unwrap();
}

/// Types `text` one character at a time into the focused input labelled `label`, as a person would.
fn type_keys<S>(harness: &mut Harness<'_, S>, label: &str, text: &str) {
    text_input(harness, label)
        .unwrap_or_else(|| panic!("no input {label:?}"))
        .focus();
    harness.run();
    for c in text.chars() {
        text_input(harness, label)
            .unwrap_or_else(|| panic!("no input {label:?}"))
            .type_text(&c.to_string());
        harness.run();
    }
}

// ------------------------------------------------------------------------------------------------
// 1. Scripts: kittest's missing-glyph policy panics on a box, so drawing the text is the assertion.

/// A user whose name holds Chinese, Japanese, Korean, Arabic, Hebrew, Devanagari, Thai and emoji sees it
/// in the editor grid and in the review dialog; the admin sees it in the Users table.
#[test]
fn names_in_every_script_show_without_boxes() {
    let rig = Rig::new();
    let name = all_scripts();
    register(&rig, "world@example.com", &name);
    for (i, (_, sample)) in SCRIPT_SAMPLES.iter().enumerate() {
        register(&rig, &format!("script{i}@example.com"), sample);
    }
    let dir = tempfile::tempdir().unwrap();

    let mut harness = app(dir.path(), custom_args(&rig.emulator));
    log_in(&mut harness, ("world@example.com", "world-pass-1"), false);
    wait_for_editor(&mut harness, "world@example.com");
    assert_eq!(
        text_input(&harness, "name").unwrap().value(),
        Some(name.clone())
    );
    // Drawn with the bundled fonts alone (the harness has no system font provider), as on a machine
    // with no fonts beyond egui's: one font per script.
    let mut discovered: Vec<String> = harness.ctx.fonts(|fonts| {
        fonts
            .discovered_fonts()
            .iter()
            .map(|font| font.name.clone())
            .collect()
    });
    discovered.sort();
    discovered.dedup();
    assert_eq!(
        discovered,
        [
            "bundled:DroidSansFallbackFull.ttf",
            "bundled:NanumSquareR.ttf",
            "bundled:NotoEmoji-Regular.ttf",
            "bundled:NotoSansArabic-Regular.ttf",
            "bundled:NotoSansDevanagari-Regular.ttf",
            "bundled:NotoSansHebrew-Regular.ttf",
            "bundled:NotoSansThai-Regular.ttf",
        ]
    );
    // The review dialog shows old and new.
    set_text(&mut harness, "name", &format!("{name} ✓"));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    assert!(harness.query_by_label("Review changes").is_some());
    assert!(
        harness
            .query_all_by_label_contains("王小明")
            .next()
            .is_some()
    );
    drop(harness);

    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&rig.emulator));
    log_in(&mut harness, ADMIN, false);
    wait_for_editor(&mut harness, ADMIN.0);
    // The switch shows once the roles have arrived.
    step_until(&mut harness, "the Users switch", |h| {
        h.query_by_label("Users").is_some()
    });
    harness.get_by_label("Users").click();
    for (_, sample) in SCRIPT_SAMPLES {
        let first_word = sample.split(' ').next().unwrap();
        wait_for_text(&mut harness, first_word);
    }
}

/// The app installs its accessible visuals for both themes.
#[test]
fn the_app_installs_the_accessible_visuals() {
    let dir = tempfile::tempdir().unwrap();
    let args = ConnectionArgs {
        server: Some("http://127.0.0.1:9".to_owned()),
        app_id: None,
        api_key: None,
    };
    let mut harness = app(dir.path(), args);
    harness.run_steps(2);
    // (kittest turns the cursor blink off, so the visuals are compared in the parts the app sets.)
    for (theme, expected) in [
        (
            egui::Theme::Light,
            profile_editor::ui::theme::light_visuals(),
        ),
        (egui::Theme::Dark, profile_editor::ui::theme::dark_visuals()),
    ] {
        let installed = harness.ctx.style_of(theme).visuals.clone();
        assert_eq!(installed.widgets, expected.widgets, "{theme:?}");
        assert_eq!(installed.weak_text_color, expected.weak_text_color);
        assert_eq!(installed.error_fg_color, expected.error_fg_color);
        assert_eq!(installed.warn_fg_color, expected.warn_fg_color);
        assert_eq!(installed.hyperlink_color, expected.hyperlink_color);
        assert!(
            installed.widgets.inactive.bg_stroke.width >= 1.0,
            "{theme:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// 5. Numbers are never changed silently.

/// "1,5" typed key by key into a DOUBLE stays "1,5" and is refused at the field with what to type;
/// letters typed into an INT stay too, with the reason; neither can be saved.
#[test]
fn numbers_stay_as_typed_and_are_refused_with_a_reason() {
    let rig = Rig::new();
    let mut harness = editor_of(&rig, ALICE);
    set_text(&mut harness, "score", "");
    type_keys(&mut harness, "score", "1,5");
    assert_eq!(text_of(&harness, "score"), "1,5");
    assert!(
        harness
            .query_by_label_contains("“1,5” is not a number; use a dot for decimals (1.5)")
            .is_some()
    );

    set_text(&mut harness, "age", "");
    type_keys(&mut harness, "age", "12a");
    assert_eq!(text_of(&harness, "age"), "12a");
    assert!(
        harness
            .query_by_label_contains("“12a” is not a whole number")
            .is_some()
    );

    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    assert!(harness.query_by_label("Review changes").is_none());
    assert!(
        harness
            .query_by_label_contains("Fix before saving")
            .is_some()
    );
    assert!(harness.state().actions.is_empty(), "nothing is sent");

    // A dot is taken as typed.
    set_text(&mut harness, "score", "");
    type_keys(&mut harness, "score", "1.5");
    assert_eq!(text_of(&harness, "score"), "1.5");
    assert!(harness.query_by_label_contains("is not a number").is_none());
}

// ------------------------------------------------------------------------------------------------
// 9. Typing into a null field clears null.

#[test]
fn typing_into_a_null_field_replaces_null() {
    let rig = Rig::new();
    let mut harness = editor_of(&rig, ALICE);
    for (name, typed) in [("phoneNumber", "555-0199"), ("age", "41")] {
        harness.get_by_label(&format!("{name} is null")).click();
        harness.run();
        assert!(harness.state().view.session().field(name).unwrap().is_null);
        let input = text_input(&harness, name).expect("a null field still takes typing");
        assert_eq!(input.value().as_deref(), Some(""));
        type_keys(&mut harness, name, typed);
        let field = harness.state().view.session().field(name).unwrap();
        assert!(!field.is_null, "{name}: typing cleared null");
        assert_eq!(field.text, typed, "{name}");
    }
    // One undo takes the typing back to null.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run();
    assert!(harness.state().view.session().field("age").unwrap().is_null);
    assert!(
        !harness
            .state()
            .view
            .session()
            .field("phoneNumber")
            .unwrap()
            .is_null
    );
    // A null boolean takes a click on true or false.
    harness.get_by_label("newsletter is null").click();
    harness.run();
    harness.get_by_label("newsletter false").click();
    harness.run();
    let field = harness.state().view.session().field("newsletter").unwrap();
    assert!(!field.is_null);
    assert_eq!(field.text, "false");
}

// ------------------------------------------------------------------------------------------------
// 7. The key-in-path URL pasted into Server URL, and a 404 at login.

/// Labels of every node, for "the key is shown nowhere".
fn labels<S>(harness: &Harness<'_, S>) -> Vec<String> {
    harness
        .query_all_by(|_| true)
        .filter_map(|node| node.accesskit_node().label())
        .collect()
}

#[test]
fn a_pasted_key_in_path_url_is_split_into_its_fields() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    // The Custom connection, with nothing in the key fields.
    let args = ConnectionArgs {
        server: Some("https://example.invalid".to_owned()),
        app_id: None,
        api_key: None,
    };
    let mut harness = app(dir.path(), args);
    step_until(&mut harness, "the Server URL field", |h| {
        text_input(h, "Server URL").is_some()
    });
    let pasted = format!("{}/{DEMO_APP_ID}/{DEMO_API_KEY}", rig.emulator.origin());
    set_text(&mut harness, "Server URL", &pasted);
    harness.run();
    let value = |h: &Harness<'static, App>, label: &str| {
        text_input(h, label)
            .and_then(|n| n.value())
            .unwrap_or_default()
    };
    assert_eq!(value(&harness, "Server URL"), rig.emulator.origin());
    assert_eq!(value(&harness, "Application ID"), DEMO_APP_ID);
    assert_eq!(value(&harness, "REST API key"), DEMO_API_KEY);
    assert!(harness.query_by_label(SPLIT_NOTICE).is_some());
    assert!(
        !labels(&harness).iter().any(|l| l.contains(DEMO_API_KEY)),
        "the key is in its field only"
    );
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
}

/// The same address given whole as `--server` (or left in an older settings file) is split when shown,
/// and the top bar never shows the key.
#[test]
fn a_key_in_path_url_from_the_command_line_is_split_too() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let args = ConnectionArgs {
        server: Some(format!(
            "{}/{DEMO_APP_ID}/{DEMO_API_KEY}",
            rig.emulator.origin()
        )),
        app_id: None,
        api_key: None,
    };
    let mut harness = app(dir.path(), args);
    step_until(&mut harness, "the split", |h| {
        text_input(h, "REST API key").and_then(|n| n.value()) == Some(DEMO_API_KEY.to_owned())
    });
    assert_eq!(
        harness.state().settings().custom.server,
        rig.emulator.origin()
    );
    assert_eq!(harness.state().settings().custom.keys.app_id, DEMO_APP_ID);
    assert!(!labels(&harness).iter().any(|l| l.contains(DEMO_API_KEY)));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    assert!(!labels(&harness).iter().any(|l| l.contains(DEMO_API_KEY)));
}

/// A server that answers 404 to the login path: the message says what to check and shows no key.
#[test]
fn a_404_at_login_says_what_to_check_and_hides_the_key() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    // The ids typed into the URL as well as into their fields: the login path is not the API's.
    let args = ConnectionArgs {
        server: Some(format!(
            "{}/{DEMO_APP_ID}/{DEMO_API_KEY}",
            rig.emulator.origin()
        )),
        app_id: Some("OTHER-APP-ID".to_owned()),
        api_key: Some("OTHER-SECRET-KEY".to_owned()),
    };
    let mut harness = app(dir.path(), args);
    step_until(&mut harness, "the login form", |h| {
        h.query_by_label("Identity").is_some()
    });
    type_into(&mut harness, "Identity", ALICE.0);
    type_into(&mut harness, "Password", ALICE.1);
    harness.get_by_label("Log in").click();
    step_until(&mut harness, "the login error", |h| {
        h.state().state().login_error().is_some()
    });
    harness.run();
    assert_eq!(harness.state().state().login_error(), Some(NO_API_HERE));
    assert!(
        harness
            .query_all_by_label_contains("No Backendless API answers")
            .next()
            .is_some()
    );
    for secret in [DEMO_API_KEY, "OTHER-SECRET-KEY"] {
        assert!(
            !labels(&harness).iter().any(|l| l.contains(secret)),
            "{secret} is shown"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// 13. One's own account deleted meanwhile.

#[test]
fn saving_after_the_account_was_deleted_says_so_keeps_the_edits_and_does_not_retry() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), custom_args(&rig.emulator));
    log_in(&mut harness, ALICE, false);
    wait_for_editor(&mut harness, ALICE.0);
    let object_id = harness
        .state()
        .editor()
        .unwrap()
        .session()
        .original()
        .object_id()
        .to_owned();
    assert!(
        rig.emulator
            .emulator
            .admin()
            .delete_user(&object_id)
            .unwrap()
    );

    set_text(&mut harness, "name", "Ghost");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run();
    harness.get_by_label("Confirm save").click();
    wait_for_text(&mut harness, "Your account no longer exists");
    assert!(
        harness
            .query_by_label_contains("No record with that id")
            .is_none()
    );
    // The edits stay, and the banner offers to export them.
    assert_eq!(
        text_input(&harness, "name").unwrap().value().as_deref(),
        Some("Ghost")
    );
    assert!(harness.state().editor().unwrap().has_pending_edits());
    harness.get_by_label("Export my changes…").click();
    harness.run();
    assert!(harness.state().editor().unwrap().files().is_open());
    let exported = dir.path().join("mine.json");
    set_text(&mut harness, "File path", &exported.display().to_string());
    harness.get_by_label("Export").click();
    // Written by the app's disk worker (a spinner meanwhile): step until it is done.
    step_until(&mut harness, "the export", |h| {
        matches!(
            h.state().editor().unwrap().files().result(),
            Some(profile_editor::ui::editor::files::FileResult::Exported(_))
        )
    });
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&exported).unwrap()).unwrap();
    assert_eq!(
        written["name"],
        json!("Ghost"),
        "the export holds the edits"
    );
    assert_eq!(written["email"], json!(ALICE.0));
    // Nothing is retried: one re-read, no write, however long the app runs.
    for _ in 0..20 {
        harness.step();
    }
    let requests = rig.emulator.proxy.requests();
    let reads = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains(object_id.as_str()))
        .count();
    let writes = requests.iter().filter(|r| r.method == "PUT").count();
    assert_eq!((reads, writes), (1, 0), "{requests:?}");
}
