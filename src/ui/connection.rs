//! The connection picker on the login screen: Local demo, Backendless Cloud (US/EU) or Custom, the keys
//! each needs (and the optional CloudCode key, masked), the local server's status and connection errors
//! (2002, bad URL, unreachable). Edits the settings in place and returns a `ConnectionAction`; never
//! connects by itself.

use crate::app::settings::{AppKeys, CLOUD_EU_URL, CLOUD_US_URL, ConnectionKind, Settings};

/// What the user did in the picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionAction {
    /// Sent when another connection kind was picked.
    Selected(ConnectionKind),
    /// Sent when a URL or key was edited.
    Edited,
}

/// What the picker shows besides the settings; read from the app state each frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectionStatus<'a> {
    /// The local demo server is starting.
    pub starting: bool,
    /// Origin of the running local demo server, e.g. `http://127.0.0.1:40123`.
    pub local_origin: Option<&'a str>,
    /// Why the connection cannot be used, in plain words (e.g. 2002: wrong app id or API key).
    pub error: Option<&'a str>,
}

/// Draws the picker for `settings`; `enabled` is false while a login is in flight.
pub fn connection_ui(
    ui: &mut egui::Ui,
    settings: &mut Settings,
    status: ConnectionStatus<'_>,
    enabled: bool,
) -> Option<ConnectionAction> {
    let mut action = None;
    ui.add_enabled_ui(enabled, |ui| {
        ui.horizontal_wrapped(|ui| {
            for kind in ConnectionKind::ALL {
                if ui
                    .radio(settings.connection == kind, kind.label())
                    .clicked()
                    && settings.connection != kind
                {
                    settings.connection = kind;
                    action = Some(ConnectionAction::Selected(kind));
                }
            }
        });
        ui.add_space(4.0);
        let edited = match settings.connection {
            ConnectionKind::LocalDemo => {
                local_demo_ui(ui, status);
                false
            }
            ConnectionKind::CloudUs => cloud_ui(ui, CLOUD_US_URL, &mut settings.cloud_us),
            ConnectionKind::CloudEu => cloud_ui(ui, CLOUD_EU_URL, &mut settings.cloud_eu),
            ConnectionKind::Custom => custom_ui(ui, settings),
        };
        if edited && action.is_none() {
            action = Some(ConnectionAction::Edited);
        }
    });
    if let Some(error) = status.error {
        crate::ui::login::error_ui(ui, error);
    }
    action
}

/// Status of the embedded server.
fn local_demo_ui(ui: &mut egui::Ui, status: ConnectionStatus<'_>) {
    ui.horizontal_wrapped(|ui| {
        if status.starting {
            ui.spinner();
            ui.label("Starting the local demo server…");
        } else if let Some(origin) = status.local_origin {
            ui.weak(format!(
                "Built-in demo server at {origin}; data is kept on this computer."
            ));
        } else if status.error.is_none() {
            ui.weak("Built-in demo server; starts when selected.");
        }
    });
}

/// App id and API key for a Backendless Cloud region. Returns whether a field changed.
fn cloud_ui(ui: &mut egui::Ui, url: &str, keys: &mut AppKeys) -> bool {
    ui.weak(url);
    egui::Grid::new("connection_keys")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| keys_ui(ui, keys))
        .inner
}

/// What the picker said about the last Server URL it split (kept in egui's memory for the view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SplitNotice {
    /// A pasted `https://host/APP-ID/API-KEY` was split into the three fields.
    Split,
    /// The URL ends with an id and a key, but the key fields already hold other values.
    Conflicting,
}

/// The note shown after a key-in-path URL was pasted into the Server URL field (never the key itself).
pub const SPLIT_NOTICE: &str =
    "That address held the application id and API key: they were moved to their fields below.";

/// The note shown when the Server URL ends with ids that differ from the key fields.
pub const CONFLICT_NOTICE: &str = "The Server URL ends with an application id and API key that differ from the fields below: keep only the server address in it.";

/// Server URL plus optional keys. Returns whether a field changed.
fn custom_ui(ui: &mut egui::Ui, settings: &mut Settings) -> bool {
    let notice_id = egui::Id::unique("connection-custom-split-notice");
    egui::Grid::new("connection_custom")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Server URL");
            let before = settings.custom.server.chars().count();
            let server = ui
                .add(
                    egui::TextEdit::singleline(&mut settings.custom.server)
                        .hint_text("https://api.backendless.com or https://xyz.backendless.app")
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
            ui.end_row();
            // A paste (more than one character at once), or whenever the field is not being typed in
            // (an address from the command line or an older settings file too): not while typing, where
            // a half-typed key would be split off too early.
            let pasted = server.changed() && settings.custom.server.chars().count() > before + 1;
            let mut split = false;
            if pasted || !server.has_focus() {
                let notice = split_server_url(&mut settings.custom);
                split = notice == Some(SplitNotice::Split);
                if notice.is_some() || server.changed() {
                    ui.data_mut(|data| data.insert_temp(notice_id, notice));
                }
            }
            let notice: Option<SplitNotice> = ui.data(|data| data.get_temp(notice_id)).flatten();
            if let Some(notice) = notice {
                ui.label("");
                match notice {
                    SplitNotice::Split => note_ui(ui, egui::RichText::new(SPLIT_NOTICE)),
                    SplitNotice::Conflicting => {
                        let color = ui.visuals().warn_fg_color;
                        note_ui(ui, egui::RichText::new(CONFLICT_NOTICE).color(color));
                    }
                }
                ui.end_row();
            }
            let keys = keys_ui(ui, &mut settings.custom.keys);
            ui.label("");
            note_ui(
                ui,
                egui::RichText::new(
                    "Leave the keys empty for an app domain (https://xyz.backendless.app).",
                )
                .weak(),
            );
            ui.end_row();
            server.changed() || keys || split
        })
        .inner
}

/// A note in the grid's second column, wrapped to the width the form leaves it (a grid's labels do not
/// wrap by themselves: a long note would run out of the form and the window).
fn note_ui(ui: &mut egui::Ui, text: egui::RichText) {
    ui.add(egui::Label::new(text).wrap());
}

/// Moves the application id and API key out of a key-in-path Server URL into their fields when those are
/// empty (or already hold the same). Says what it did.
fn split_server_url(custom: &mut crate::app::settings::CustomServer) -> Option<SplitNotice> {
    let split = crate::backendless::endpoint::split_key_in_path(&custom.server)?;
    let keys = &mut custom.keys;
    let fits = |field: &str, value: &str| field.trim().is_empty() || field.trim() == value;
    if !fits(&keys.app_id, &split.app_id) || !fits(&keys.api_key, &split.api_key) {
        return Some(SplitNotice::Conflicting);
    }
    custom.server = split.server;
    keys.app_id = split.app_id;
    keys.api_key = split.api_key;
    Some(SplitNotice::Split)
}

/// The two key fields, as two grid rows. Returns whether one changed.
fn keys_ui(ui: &mut egui::Ui, keys: &mut AppKeys) -> bool {
    let label = ui.label("Application ID");
    let app_id = ui
        .add(egui::TextEdit::singleline(&mut keys.app_id).desired_width(320.0))
        .labelled_by(label.id);
    ui.end_row();
    let label = ui.label("REST API key");
    let api_key = ui
        .add(egui::TextEdit::singleline(&mut keys.api_key).desired_width(320.0))
        .labelled_by(label.id);
    ui.end_row();
    let cloudcode_key = cloudcode_key_ui(ui, &mut keys.cloudcode_key);
    app_id.changed() || api_key.changed() || cloudcode_key
}

/// The label of the optional CloudCode key field.
pub const CLOUDCODE_KEY_LABEL: &str = "CloudCode key";

/// The optional CloudCode key, masked (never shown in full), as a grid row plus its note. Returns whether
/// it changed.
fn cloudcode_key_ui(ui: &mut egui::Ui, key: &mut String) -> bool {
    let label = ui.label(CLOUDCODE_KEY_LABEL);
    let changed = ui
        .add(
            egui::TextEdit::singleline(key)
                .password(true)
                .hint_text("optional")
                .desired_width(320.0),
        )
        .labelled_by(label.id)
        .changed();
    ui.end_row();
    ui.label("");
    note_ui(
        ui,
        egui::RichText::new(
            "Only for administrative operations that Backendless allows from server code (user status, \
             roles). Kept in the owner-only keys file.",
        )
        .weak(),
    );
    ui.end_row();
    changed
}
