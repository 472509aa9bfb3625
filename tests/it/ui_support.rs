//! Kittest plumbing shared by the ui_* tests: an emulator on its own runtime (`Rig`), the whole app in a
//! harness and the steps that drive it (each screen a step waits for gets the accessibility check), the
//! app's own-profile editor as the ui_editor and ui_safety tests drive it, a `Switch` to take the network
//! away or put another server in its place, and the editor view alone in a harness for pure drawing
//! (layout, fonts), with text set by accesskit.

use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use profile_editor::app::messages::{WorkerEvent, event_channel};
use profile_editor::app::settings::{Connection, ConnectionKind, Settings};
use profile_editor::app::state::Screen;
use profile_editor::app::worker::{WorkerDirs, WorkerHandle};
use profile_editor::app::{App, AppOptions};
use profile_editor::backendless::client::{Client, Password, UserToken};
use profile_editor::backendless::endpoint::Endpoint;
use profile_editor::backendless::wire::PropertyDescriptor;
use profile_editor::cli::{ConnectionArgs, DEMO_API_KEY, DEMO_APP_ID, DEMO_CLOUDCODE_KEY};
use profile_editor::emulator::EmulatorConfig;
use profile_editor::model::record::UserRecord;
use profile_editor::model::schema::Schema;
use profile_editor::profile::draft;
use profile_editor::ui::editor::{EditorAction, EditorView};

use crate::helpers::{ADMIN, TestEmulator, spawn_emulator_with};

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

/// Steps the app until `done` holds, then checks that every control on the screen it reached has a name
/// (`Harness::check_accessibility`, which kittest runs only in `run`, never in `step`); fails the test
/// with `what` after [`ANSWER_TIMEOUT`].
pub(crate) fn step_until(
    harness: &mut Harness<'static, App>,
    what: &str,
    done: impl Fn(&Harness<'static, App>) -> bool,
) {
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        harness.step();
        if done(harness) {
            harness.check_accessibility();
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
// The real app's own-profile editor: what the ui_editor and ui_safety tests drive.

/// The app connected to `rig`'s emulator (through the recording proxy), logged in as `user`, its editor open.
pub(crate) fn editor_app(rig: &Rig, dir: &Path, user: (&str, &str)) -> Harness<'static, App> {
    editor_app_at(dir, custom_args(&rig.emulator), user)
}

/// The app with the Custom connection `connection`, logged in as `user`, its editor open.
pub(crate) fn editor_app_at(
    dir: &Path,
    connection: ConnectionArgs,
    user: (&str, &str),
) -> Harness<'static, App> {
    let mut harness = app_sized(dir, connection, [1280.0, 1100.0]);
    log_in(&mut harness, user, false);
    wait_for_editor(&mut harness, user.0);
    // The grid's first frame is a sizing pass: let it settle.
    settle(&mut harness);
    harness
}

/// A few frames, so that what a click or a typed text changed is drawn (and laid out) before it is read;
/// then every control on screen must have a name.
pub(crate) fn settle(harness: &mut Harness<'static, App>) {
    for _ in 0..3 {
        harness.step();
    }
    harness.check_accessibility();
}

/// The open own-profile editor.
pub(crate) fn own_editor<'h>(harness: &'h Harness<'static, App>) -> &'h EditorView {
    harness.state().editor().expect("the editor is open")
}

/// The text of the own-profile editor's editable field `name`.
pub(crate) fn field_text(harness: &Harness<'static, App>, name: &str) -> String {
    own_editor(harness)
        .session()
        .field(name)
        .expect("editable field")
        .text
        .clone()
}

/// Replaces the whole text of the input labelled `label` (as assistive technology does) and lets it land.
pub(crate) fn set_field(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    text_input(harness, label)
        .unwrap_or_else(|| panic!("no text input {label:?}"))
        .set_text_value_accesskit(text);
    settle(harness);
}

/// Clicks the control labelled `label` and lets the click land.
pub(crate) fn click(harness: &mut Harness<'static, App>, label: &str) {
    harness.get_by_label(label).click();
    settle(harness);
}

/// Ctrl+S, then waits for the review (which must open).
pub(crate) fn open_review(harness: &mut Harness<'static, App>) {
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    step_until(harness, "the review", |h| {
        h.query_by_label("Review changes").is_some() && h.query_by_label("Confirm save").is_some()
    });
}

/// Ctrl+S, "Confirm save", then steps until the save the app sent through its worker has been answered.
pub(crate) fn save_with_review(harness: &mut Harness<'static, App>) {
    open_review(harness);
    harness.get_by_label("Confirm save").click();
    wait_for_save(harness);
}

/// Steps until the own-profile editor has started a save and its answer has come back (succeeded, failed,
/// or a conflict to resolve).
pub(crate) fn wait_for_save(harness: &mut Harness<'static, App>) {
    step_until(harness, "the save to start", |h| {
        own_editor(h).session().is_saving()
    });
    step_until(harness, "the save's answer", |h| {
        !own_editor(h).session().is_saving()
    });
    settle(harness);
}

/// Clicks "Review & save…" (own editor or record editor), waits for the review and clicks "Confirm save";
/// the caller waits for what the save leads to.
pub(crate) fn review_and_confirm(harness: &mut Harness<'static, App>) {
    harness.get_by_label("Review & save…").click();
    step_until(harness, "the review", |h| {
        h.query_by_label("Confirm save").is_some()
    });
    harness.get_by_label("Confirm save").click();
    harness.step();
}

/// Replaces the text of the editor field `label` by typing (select all, then type), as a user does.
pub(crate) fn retype(harness: &mut Harness<'static, App>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness.get_by_label(label).type_text(text);
    harness.step();
}

/// The pending value of `name` in the own-profile editor (none without an editor or a pending edit).
pub(crate) fn pending_name(harness: &Harness<'static, App>) -> Option<serde_json::Value> {
    let changes = harness.state().editor()?.session().changeset().ok()?;
    changes.get("name").cloned()
}

/// The connection key of the logged-in session (what drafts are stored under).
pub(crate) fn connection_key(harness: &Harness<'static, App>) -> String {
    harness
        .state()
        .state()
        .session()
        .expect("logged in")
        .connection
        .key()
}

/// Runs the app in `dir` once: `user` logs in, retypes their name as `name` and the app is dropped without
/// saving (as a crash would: nothing else runs) once the draft is on disk. Returns the connection key the
/// draft is stored under.
pub(crate) fn leave_a_draft(
    dir: &Path,
    connection: ConnectionArgs,
    user: (&str, &str),
    name: &str,
) -> String {
    let mut harness = app(dir, connection);
    log_in(&mut harness, user, false);
    wait_for_editor(&mut harness, user.0);
    retype(&mut harness, "name", name);
    let key = connection_key(&harness);
    let data = dir.join("data");
    step_until(&mut harness, "the draft on disk", |_| {
        draft::load(&data, &key, user.0).is_some()
    });
    key
}

/// Asks to close the app's window (as the window manager's close button does) and runs one frame.
pub(crate) fn request_window_close(harness: &mut Harness<'static, App>) {
    harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    harness.step();
}

// ------------------------------------------------------------------------------------------------
// The admin's record editor.

/// Whether the admin's record editor is open with edits not saved yet.
pub(crate) fn record_edits_pending(harness: &Harness<'static, App>) -> bool {
    harness
        .state()
        .record_editor()
        .is_some_and(|editor| editor.editor().has_pending_edits())
}

/// Steps until the record editor is open with nothing pending: its save (`what`) has landed.
pub(crate) fn wait_for_record_saved(harness: &mut Harness<'static, App>, what: &str) {
    step_until(harness, what, |h| {
        h.state()
            .record_editor()
            .is_some_and(|editor| !editor.editor().has_pending_edits())
    });
}

/// With the admin logged in: waits for their own editor, switches to Users, selects Bob's row, opens it
/// with "Edit record" and waits until Bob's record shows in the record editor.
pub(crate) fn open_bobs_record(harness: &mut Harness<'static, App>) {
    wait_for_editor(harness, ADMIN.0);
    step_until(harness, "the Users switch", |h| {
        h.query_by_label("Users").is_some()
    });
    harness.get_by_label("Users").click();
    step_until(harness, "Bob's row", |h| {
        h.query_by_label("Bob Builder").is_some()
    });
    harness.get_by_label("Bob Builder").click();
    step_until(harness, "the inspector", |h| {
        h.query_by_label("Edit record").is_some()
    });
    harness.get_by_label("Edit record").click();
    step_until(harness, "Bob's record in the editor", |h| {
        h.state().record_editor().is_some() && h.query_by_label("Editing bob@example.com").is_some()
    });
}

// ------------------------------------------------------------------------------------------------
// The app's worker alone, with the test playing the app's part.

/// The app's worker with its settings in `dir/config` and its data in `dir/data` (as [`app`] has them), and
/// the receiver of its events.
pub(crate) fn spawn_worker(dir: &Path) -> (WorkerHandle, std::sync::mpsc::Receiver<WorkerEvent>) {
    let (events_tx, events) = event_channel(egui::Context::default());
    let dirs = WorkerDirs {
        settings_dir: dir.join("config"),
        data_dir: dir.join("data"),
    };
    let worker = WorkerHandle::spawn(dirs, events_tx).unwrap();
    (worker, events)
}

/// The connection to the demo application on the server at `origin`, as the worker is given it.
pub(crate) fn demo_connection(origin: String) -> Connection {
    Connection::Remote {
        server: origin,
        app_id: Some(DEMO_APP_ID.to_owned()),
        api_key: Some(DEMO_API_KEY.to_owned()),
    }
}

/// A TCP forwarder on 127.0.0.1 in front of a server, whose target can be changed or taken away while the
/// app stays connected to its one address: the network going away (every connection cut, new ones closed at
/// once) and coming back, or another server answering in its place.
pub(crate) struct Switch {
    origin: String,
    target: tokio::sync::watch::Sender<Option<std::net::SocketAddr>>,
    task: tokio::task::JoinHandle<()>,
}

impl Switch {
    /// Starts on `runtime`, forwarding to `origin` (`http://127.0.0.1:PORT`).
    pub(crate) fn start(runtime: &tokio::runtime::Runtime, origin: &str) -> Self {
        let (target, watch) = tokio::sync::watch::channel(Some(socket_addr(origin)));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("the switch binds");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let task = runtime.spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut watch = watch.clone();
                let Some(to) = *watch.borrow_and_update() else {
                    continue; // Dropped: closed at once.
                };
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        // Any change of target cuts the connections made to the old one.
                        _ = watch.changed() => {}
                    }
                });
            }
        });
        Self {
            origin,
            target,
            task,
        }
    }

    /// `http://127.0.0.1:PORT` of the switch.
    pub(crate) fn origin(&self) -> String {
        self.origin.clone()
    }

    /// Forwards to `origin` from now on (`None`: the network is gone).
    pub(crate) fn set_target(&self, origin: Option<&str>) {
        self.target.send_replace(origin.map(socket_addr));
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn socket_addr(origin: &str) -> std::net::SocketAddr {
    origin
        .trim_start_matches("http://")
        .parse()
        .expect("an http://IP:PORT origin")
}

/// The Custom connection through `switch` to the demo application.
pub(crate) fn switched_args(switch: &Switch) -> ConnectionArgs {
    ConnectionArgs {
        server: Some(switch.origin()),
        app_id: Some(DEMO_APP_ID.to_owned()),
        api_key: Some(DEMO_API_KEY.to_owned()),
    }
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

/// What the screen shows of `node`, in points: its AccessKit rectangle cut by every clip egui drew it under
/// (a scroll area's viewport, a panel, a table cell, a window) and by `window`; `Rect::NOTHING` when none
/// of it shows.
///
/// AccessKit cannot say: egui 0.37 gives every node its whole widget rectangle (a label scrolled out of
/// its scroll area keeps its place past the area's edge, over whatever lies there) and sets neither
/// `clips_children` nor a `ScrollView` role (a scroll area is a plain `GenericContainer`). egui's own record
/// of the last frame's widgets can: each widget's `interact_rect` is its rectangle cut by the clip of the
/// `Ui` that placed it, which is what that `Ui`'s painter clips its text to. A label wrapped over several
/// rows records only its last row there, so for a node whose recorded rectangle is not its AccessKit one
/// the clip is read from the `Ui` that placed it (whose record is its own rectangle, which holds the
/// label's, cut by the same clip). Panics when egui has no record to decide from.
pub(crate) fn visible_rect<S>(
    harness: &Harness<'_, S>,
    records: &WidgetRecords,
    node: &egui_kittest::Node<'_>,
    window: egui::Rect,
) -> egui::Rect {
    shown(
        node.rect(),
        clip_of(harness, records, node).intersect(window),
    )
}

/// What of `rect` shows through `clip` (`Rect::NOTHING` for nothing).
fn shown(rect: egui::Rect, clip: egui::Rect) -> egui::Rect {
    let shown = rect.intersect(clip);
    if shown.width() > 0.0 && shown.height() > 0.0 {
        shown
    } else {
        egui::Rect::NOTHING
    }
}

/// The clip egui drew `node` under, as [`visible_rect`] finds it (cut to the rectangle of the `Ui` that
/// placed the node, which holds the node's).
fn clip_of<S>(
    harness: &Harness<'_, S>,
    records: &WidgetRecords,
    node: &egui_kittest::Node<'_>,
) -> egui::Rect {
    let rect = node.rect();
    let own = records.0.get(&node.accesskit_node().locate().0.0).copied();
    let placed_by = own
        .and_then(|w| records.0.get(&w.parent_id.value()).copied())
        .filter(|ui| Some(ui.id) != own.map(|w| w.id));
    // (rectangle, what its clip leaves of it), in the window's coordinates.
    let global = |w: egui::WidgetRect| match harness.ctx.layer_transform_to_global(w.layer_id) {
        Some(to_global) => (to_global * w.rect, to_global * w.interact_rect),
        None => (w.rect, w.interact_rect),
    };
    let same = |a: egui::Rect, b: egui::Rect| {
        a.expand(0.5).contains_rect(b) && b.expand(0.5).contains_rect(a)
    };
    let own = own.unwrap_or_else(|| {
        panic!(
            "egui keeps no record of {} at {rect:?}: what of it shows cannot be told",
            describe(node)
        )
    });
    let (own_rect, own_shown) = global(own);
    if same(own_rect, rect) {
        own_shown
    } else {
        placed_by
            .map(global)
            .filter(|(ui_rect, _)| ui_rect.expand(0.5).contains_rect(rect))
            .unwrap_or_else(|| {
                panic!(
                    "{} at {rect:?} is recorded at {own_rect:?} and its Ui does not hold it: what of it \
                     shows cannot be told",
                    describe(node)
                )
            })
            .1
    }
}

/// What shows of each row of the text of `label` (egui gives a label's rows to AccessKit as its `TextRun`
/// children; a label without them counts as one row, its rectangle): a label wrapped from the middle of a
/// row has a bounding rectangle over the controls before it on that row, where no text of it is.
fn label_rows_shown<S>(
    harness: &Harness<'_, S>,
    records: &WidgetRecords,
    label: &egui_kittest::Node<'_>,
    window: egui::Rect,
) -> Vec<egui::Rect> {
    let clip = clip_of(harness, records, label).intersect(window);
    let runs: Vec<egui::Rect> = label
        .children_recursive()
        .filter(|n| n.accesskit_node().role() == Role::TextRun)
        .filter(|n| n.accesskit_node().bounding_box().is_some())
        .map(|n| n.rect())
        .collect();
    let rows = if runs.is_empty() {
        vec![label.rect()]
    } else {
        runs
    };
    rows.into_iter()
        .map(|row| shown(row, clip))
        .filter(|row| *row != egui::Rect::NOTHING)
        .collect()
}

/// egui's record of the widgets of the harness's last frame (its `WidgetRect`s), by AccessKit id.
pub(crate) struct WidgetRecords(std::collections::HashMap<u64, egui::WidgetRect>);

impl WidgetRecords {
    pub(crate) fn of<S>(harness: &Harness<'_, S>) -> Self {
        Self(
            harness
                .ctx
                .viewport_for(egui::ViewportId::ROOT, |viewport| {
                    viewport
                        .prev_pass
                        .widgets
                        .layers()
                        .flat_map(|(_, widgets)| widgets.iter())
                        .map(|w| (w.id.value(), *w))
                        .collect()
                }),
        )
    }
}

/// The text a label shows (egui 0.37 gives a label's text to AccessKit as its value, not as its name).
fn label_text(node: &egui_kittest::Node<'_>) -> String {
    let node = node.accesskit_node();
    node.label()
        .or_else(|| node.value())
        .unwrap_or_default()
        .to_string()
}

/// Every control lies wholly inside the window and overlaps no other control where both show; no text (a
/// label) runs over a control it does not belong to where both show. A label belongs to a control that
/// holds it, that it holds or that it names (AccessKit's `labelled_by`, as egui's combo box row names its
/// box). Fails too when no text shows at all, so that it never passes for want of anything to check.
///
/// "Where it shows" is [`visible_rect`]: text scrolled out of its scroll area, or cut by a table cell or a
/// panel, is not on screen and counts only for the part that is. The window test takes each control's
/// whole rectangle (a control pushed past an edge is clipped there, so what shows of it would hide the
/// fault); a row a scroll area cuts at the window's edge is left out by the caller's `in_scope`. Layers are
/// not told apart: a popup's control over the view's text counts as an overlap, so scope a dialog's check
/// to the dialog. The check's own tests are `ui_layout::the_layout_check_*`.
pub(crate) fn assert_no_overlaps<S>(harness: &Harness<'_, S>, size: [f32; 2], what: &str) {
    assert_layout_where(harness, size, what, 9, |_| true);
}

/// As [`assert_no_overlaps`], among the nodes `in_scope` keeps (say, one dialog's), of which at least
/// `min_controls` are controls and at least one is a label that shows.
pub(crate) fn assert_layout_where<S>(
    harness: &Harness<'_, S>,
    size: [f32; 2],
    what: &str,
    min_controls: usize,
    in_scope: impl Fn(&egui_kittest::Node<'_>) -> bool,
) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size.into());
    let records = WidgetRecords::of(harness);
    let nodes: Vec<_> = harness
        .root()
        .children_recursive()
        .filter(|n| in_scope(n))
        .collect();
    // (name, whole rectangle, what shows of it, the nodes of the control and of its own labels)
    let controls: Vec<(String, egui::Rect, egui::Rect, Vec<_>)> = nodes
        .iter()
        .filter(|n| is_control(n))
        .map(|n| {
            let rect = n.rect();
            let node = n.accesskit_node();
            let own = std::iter::once(node.id())
                .chain(node.labelled_by().map(|l| l.id()))
                .collect();
            (
                describe(n),
                rect,
                visible_rect(harness, &records, n, window),
                own,
            )
        })
        .filter(|(_, rect, _, _)| rect.width() > 0.0 && rect.height() > 0.0)
        .collect();
    assert!(
        controls.len() >= min_controls,
        "{what}: too few controls: {controls:?}"
    );
    for (name, rect, _, _) in &controls {
        assert!(
            window.expand(0.5).contains_rect(*rect),
            "{what}: {name} at {rect:?} lies outside the window {window:?}"
        );
    }
    for (i, (a, _, ra, _)) in controls.iter().enumerate() {
        for (b, _, rb, _) in &controls[i + 1..] {
            assert!(
                !overlaps(*ra, *rb),
                "{what}: {a} shown at {ra:?} overlaps {b} shown at {rb:?}"
            );
        }
    }
    let mut labels_shown = 0;
    for label in nodes.iter().filter(|n| {
        // A label without text is a container of egui's (the combo box's and its label's row).
        !n.accesskit_node().is_hidden()
            && n.accesskit_node().role() == Role::Label
            && !label_text(n).is_empty()
    }) {
        let rows = label_rows_shown(harness, &records, label, window);
        if rows.is_empty() {
            continue;
        }
        labels_shown += 1;
        // The label belongs to a control that holds it (a button's text), that it holds (egui's row of a
        // combo box and its label, which names the box), or that it names.
        let kin: Vec<_> = std::iter::successors(Some(*label), |n| n.parent())
            .chain(label.children_recursive())
            .map(|n| n.accesskit_node().id())
            .collect();
        for (name, _, control, own) in &controls {
            if own.iter().any(|id| kin.contains(id)) {
                continue;
            }
            for row in &rows {
                assert!(
                    !overlaps(*row, *control),
                    "{what}: text {:?} shown at {row:?} runs over {name} shown at {control:?}",
                    label_text(label)
                );
            }
        }
    }
    assert!(
        labels_shown > 0,
        "{what}: no text shows: nothing was checked"
    );
}
