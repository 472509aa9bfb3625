//! The connection picker on the login screen: Local demo, Backendless Cloud (US/EU) or Custom, the keys
//! each needs, the local server's status and connection errors (2002, bad URL, unreachable). Edits the
//! settings in place and returns a `ConnectionAction`; never connects by itself.

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

/// Server URL plus optional keys. Returns whether a field changed.
fn custom_ui(ui: &mut egui::Ui, settings: &mut Settings) -> bool {
    egui::Grid::new("connection_custom")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Server URL");
            let server = ui
                .add(
                    egui::TextEdit::singleline(&mut settings.custom.server)
                        .hint_text("https://api.backendless.com or https://xyz.backendless.app")
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
            ui.end_row();
            let keys = keys_ui(ui, &mut settings.custom.keys);
            ui.label("");
            ui.weak("Leave the keys empty for an app domain (https://xyz.backendless.app).");
            ui.end_row();
            server.changed() || keys
        })
        .inner
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
    app_id.changed() || api_key.changed()
}
