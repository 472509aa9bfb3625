//! Kittest plumbing shared by the ui_* tests: an emulator on its own runtime (`Rig`), the whole app in a
//! harness and the steps that drive it, and the editor view in a harness with text set by accesskit.

use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::settings::{ConnectionKind, Settings};
use profile_editor::app::state::Screen;
use profile_editor::app::{App, AppOptions};
use profile_editor::backendless::client::{Client, Password, UserToken};
use profile_editor::backendless::endpoint::Endpoint;
use profile_editor::backendless::wire::PropertyDescriptor;
use profile_editor::cli::{ConnectionArgs, DEMO_API_KEY, DEMO_APP_ID, DEMO_CLOUDCODE_KEY};
use profile_editor::emulator::EmulatorConfig;
use profile_editor::model::record::UserRecord;
use profile_editor::model::schema::Schema;
use profile_editor::ui::editor::{EditorAction, EditorView};

use crate::helpers::{TestEmulator, spawn_emulator_with};

/// How long an answer from the worker may take (debug builds, two shared cores).
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

// ------------------------------------------------------------------------------------------------
// An emulator on its own runtime.

/// A two-thread runtime with an emulator started on it with `config`.
pub(crate) fn emulator(config: EmulatorConfig) -> (tokio::runtime::Runtime, TestEmulator) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime.block_on(spawn_emulator_with(config));
    (runtime, emulator)
}

/// A runtime with the emulator running on it, and the client calls the view tests make.
pub(crate) struct Rig {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) emulator: TestEmulator,
}

impl Rig {
    /// The demo data (as `spawn_emulator`).
    pub(crate) fn new() -> Self {
        Self::with(EmulatorConfig {
            demo: true,
            ..EmulatorConfig::default()
        })
    }

    pub(crate) fn with(config: EmulatorConfig) -> Self {
        let (runtime, emulator) = emulator(config);
        Self { runtime, emulator }
    }

    /// A client for the demo application (or a wrong API key).
    pub(crate) fn client_with_key(&self, api_key: &str) -> Client {
        let endpoint =
            Endpoint::parse(&self.emulator.origin(), Some(DEMO_APP_ID), Some(api_key)).unwrap();
        Client::new(endpoint)
    }

    pub(crate) fn client(&self) -> Client {
        self.client_with_key(DEMO_API_KEY)
    }

    /// Logs `user` in; returns the record and the token.
    pub(crate) fn login(&self, (identity, password): (&str, &str)) -> (UserRecord, UserToken) {
        let reply = self
            .runtime
            .block_on(
                self.client()
                    .login(identity, &Password::new(password.to_owned())),
            )
            .unwrap();
        (reply.user, reply.token)
    }

    /// The Users class as `token` sees it described.
    pub(crate) fn descriptors(&self, token: &UserToken) -> Vec<PropertyDescriptor> {
        self.runtime
            .block_on(self.client().describe_user_class(Some(token)))
            .unwrap()
    }

    /// The described Users schema, as `token` sees it.
    pub(crate) fn schema(&self, token: &UserToken) -> Schema {
        Schema::from_descriptors(self.descriptors(token))
    }

    /// The bodies of every `PUT users/{id}` sent through [`Rig::client`] (seen by the recording proxy).
    pub(crate) fn update_bodies(&self) -> Vec<serde_json::Value> {
        self.emulator.recorded_update_bodies()
    }
}

// ------------------------------------------------------------------------------------------------
// The whole app.

/// The Custom connection to `emulator` in key-in-path form, as `--server/--app-id/--api-key` give it (through
/// the recording proxy, so tests can see what the app sent).
pub(crate) fn custom_args(emulator: &TestEmulator) -> ConnectionArgs {
    ConnectionArgs {
        server: Some(emulator.origin()),
        app_id: Some(DEMO_APP_ID.to_owned()),
        api_key: Some(DEMO_API_KEY.to_owned()),
    }
}

/// Saves, under `dir`, the settings of a Custom connection to `emulator` with the demo CloudCode key set.
pub(crate) fn settings_with_cloudcode_key(dir: &Path, emulator: &TestEmulator) {
    let mut settings = Settings {
        connection: ConnectionKind::Custom,
        ..Settings::default()
    };
    settings.custom.server = emulator.origin();
    settings.custom.keys.app_id = DEMO_APP_ID.to_owned();
    settings.custom.keys.api_key = DEMO_API_KEY.to_owned();
    settings.custom.keys.cloudcode_key = DEMO_CLOUDCODE_KEY.to_owned();
    settings.save(&dir.join("config")).unwrap();
}

/// The app (1000×800) with its settings and data in `dir` (never the real config dir).
pub(crate) fn app(dir: &Path, connection: ConnectionArgs) -> Harness<'static, App> {
    app_sized(dir, connection, [1000.0, 800.0])
}

/// The app in a window of `size`, with its settings and data in `dir`.
pub(crate) fn app_sized(
    dir: &Path,
    connection: ConnectionArgs,
    size: [f32; 2],
) -> Harness<'static, App> {
    let options = AppOptions {
        connection,
        settings_dir: dir.join("config"),
        data_dir: dir.join("data"),
    };
    Harness::builder()
        .with_max_steps(APP_MAX_STEPS)
        .with_size(size)
        .build_eframe(|cc| App::new(cc, options).expect("the app starts"))
}

/// How many frames `Harness::run` may take to settle when it drives the whole app: the real worker answers
/// on its own thread, and an answer that lands mid-run (likelier on a loaded machine) asks for a few more
/// frames than kittest's default of 4.
pub(crate) const APP_MAX_STEPS: u64 = 16;

/// Steps the app until `done` holds; fails the test with `what` after [`ANSWER_TIMEOUT`].
pub(crate) fn step_until(
    harness: &mut Harness<'static, App>,
    what: &str,
    done: impl Fn(&Harness<'static, App>) -> bool,
) {
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; login error {:?}, identity {:?}",
            harness.state().state().login_error(),
            harness.query_by_label("Identity").and_then(|n| n.value())
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Steps until some visible text contains `text`.
pub(crate) fn wait_for_text(harness: &mut Harness<'static, App>, text: &str) {
    step_until(harness, &format!("{text:?} to appear"), |h| {
        h.query_all_by_label_contains(text).next().is_some()
    });
}

/// Types `text` into the text field labelled `label` (replacing nothing: the field is expected empty).
pub(crate) fn type_into(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.step();
    harness.get_by_label(label).type_text(text);
    harness.step();
}

/// Fills the login form and submits it.
pub(crate) fn log_in(
    harness: &mut Harness<'static, App>,
    (identity, password): (&str, &str),
    remember: bool,
) {
    step_until(harness, "the login form", |h| {
        h.state().state().screen() == Screen::Login
    });
    let typed = harness.get_by_label("Identity").value().unwrap_or_default();
    if typed != identity {
        type_into(harness, "Identity", identity);
    }
    type_into(harness, "Password", password);
    if remember {
        harness.get_by_label("Remember me").click();
        harness.step();
    }
    harness.get_by_label("Log in").click();
    harness.step();
}

/// Steps until the editor of `identity` shows.
pub(crate) fn wait_for_editor(harness: &mut Harness<'static, App>, identity: &str) {
    step_until(harness, "the editor", |h| {
        h.state().state().screen() == Screen::Editor
    });
    wait_for_text(harness, &format!("Logged in as {identity}"));
    assert!(harness.state().editor().is_some());
}

// ------------------------------------------------------------------------------------------------
// The editor view alone, with the test playing the app's part.

/// A harness state that holds an `EditorView` and performs its actions as the app would.
pub(crate) trait EditorHost: 'static {
    fn view(&self) -> &EditorView;
    fn view_mut(&mut self) -> &mut EditorView;
    fn perform(&mut self, action: EditorAction);
}

/// The editor view of `state` in a 1280×1100 harness, run until it settles.
pub(crate) fn editor_harness<S: EditorHost>(state: S) -> Harness<'static, S> {
    let mut harness = Harness::builder()
        .with_size([1280.0, 1100.0])
        .build_ui_state(
            |ui, state: &mut S| {
                if let Some(action) = state.view_mut().ui(ui) {
                    state.perform(action);
                }
            },
            state,
        );
    harness.run();
    harness
}

/// The text of the editable field `name`.
pub(crate) fn text_of<S: EditorHost>(harness: &Harness<'_, S>, name: &str) -> String {
    harness
        .state()
        .view()
        .session()
        .field(name)
        .expect("editable field")
        .text
        .clone()
}

/// Whether `role` is a text input of any kind (single-line, multi-line, password).
fn is_text_input(role: Role) -> bool {
    matches!(
        role,
        Role::TextInput | Role::MultilineTextInput | Role::PasswordInput
    )
}

/// The text input named `label`, if shown.
pub(crate) fn text_input<'h, S>(
    harness: &'h Harness<'_, S>,
    label: &str,
) -> Option<egui_kittest::Node<'h>> {
    let label = label.to_owned();
    harness.query_by(move |node| {
        is_text_input(node.role()) && node.label().as_deref() == Some(label.as_str())
    })
}

/// Replaces the whole text of the input labelled `label` (as assistive technology does).
pub(crate) fn set_text<S>(harness: &mut Harness<'_, S>, label: &str, text: &str) {
    text_input(harness, label)
        .unwrap_or_else(|| panic!("no text input {label:?}"))
        .set_text_value_accesskit(text);
    harness.run();
}

// ------------------------------------------------------------------------------------------------
// Layout checks on AccessKit rectangles (never pixels); shared by ui_users_layout and ui_layout.

/// Whether the node is a control: something a user clicks or types into (a button, a text field, a check
/// box, a combo box, a table header button).
pub(crate) fn is_control(node: &egui_kittest::Node<'_>) -> bool {
    let node = node.accesskit_node();
    !node.is_hidden()
        && matches!(
            node.role(),
            Role::Button
                | Role::TextInput
                | Role::MultilineTextInput
                | Role::PasswordInput
                | Role::CheckBox
                | Role::RadioButton
                | Role::ComboBox
                | Role::Slider
                | Role::Link
                | Role::Tab
        )
}

pub(crate) fn describe(node: &egui_kittest::Node<'_>) -> String {
    let label = node.accesskit_node().label().unwrap_or_default();
    format!("{:?} {label:?}", node.accesskit_node().role())
}

pub(crate) fn overlaps(a: egui::Rect, b: egui::Rect) -> bool {
    let overlap = a.intersect(b);
    overlap.width() > 1.0 && overlap.height() > 1.0
}

/// Every control lies inside the window and overlaps no other control; no text (a label, clipped to the
/// window as the screen clips it) runs over a control it does not belong to.
pub(crate) fn assert_no_overlaps<S>(harness: &Harness<'_, S>, size: [f32; 2], what: &str) {
    assert_layout_where(harness, size, what, 9, |_| true);
}

/// As [`assert_no_overlaps`], among the nodes `in_scope` keeps (say, one dialog's), of which at least
/// `min_controls` are controls.
pub(crate) fn assert_layout_where<S>(
    harness: &Harness<'_, S>,
    size: [f32; 2],
    what: &str,
    min_controls: usize,
    in_scope: impl Fn(&egui_kittest::Node<'_>) -> bool,
) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size.into());
    let nodes: Vec<_> = harness
        .root()
        .children_recursive()
        .filter(|n| in_scope(n))
        .collect();
    let controls: Vec<(String, egui::Rect, _)> = nodes
        .iter()
        .filter(|n| is_control(n))
        .map(|n| (describe(n), n.rect(), n.accesskit_node().id()))
        .filter(|(_, rect, _)| rect.width() > 0.0 && rect.height() > 0.0)
        .collect();
    assert!(
        controls.len() >= min_controls,
        "{what}: too few controls: {controls:?}"
    );
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
