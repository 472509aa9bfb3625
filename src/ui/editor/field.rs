//! One typed value editor per property type (text, numbers, tri-state booleans, local date-times, JSON,
//! geometry as WKT), the explicit null toggle, and the write-only password change.

use egui::{Color32, Id, RichText};

use crate::model::schema::PropertyType;
use crate::model::value::{Value, format_datetime_utc, parse_edit};
use crate::profile::session::{EditSession, FieldProblem};

/// Rows of a multi-line editor (TEXT and JSON).
pub const MULTILINE_ROWS: usize = 3;

/// What the user changed in one editor this frame.
#[derive(Debug, Default)]
pub struct EditorChange {
    /// The new text, if it changed.
    pub text: Option<String>,
    /// The new null flag, if it changed.
    pub is_null: Option<bool>,
}

impl EditorChange {
    /// Whether anything changed.
    pub fn any(&self) -> bool {
        self.text.is_some() || self.is_null.is_some()
    }
}

/// Whether `kind` is edited in a multi-line box.
pub fn is_multiline(kind: &PropertyType) -> bool {
    matches!(kind, PropertyType::Text | PropertyType::Json)
}

/// Draws the editor of one value. `label_id` is the visible name label the inputs are tied to;
/// `name` is used for the accessible names of the extra controls.
#[allow(clippy::too_many_arguments)]
pub fn value_editor_ui(
    ui: &mut egui::Ui,
    kind: &PropertyType,
    name: &str,
    label_id: Id,
    text: &str,
    is_null: bool,
    nullable: bool,
    enabled: bool,
) -> EditorChange {
    let mut change = EditorChange::default();
    ui.horizontal(|ui| {
        ui.add_enabled_ui(enabled, |ui| {
            if nullable {
                let mut null = is_null;
                let response = ui
                    .checkbox(&mut null, "null")
                    .accessible_name(format!("{name} is null"))
                    .on_hover_text("Store no value at all (different from an empty text)");
                if response.changed() {
                    change.is_null = Some(null);
                }
            }
            if change.is_null == Some(true) {
                ui.label(RichText::new("null").italics().weak());
                return;
            }
            if is_null {
                // As in a spreadsheet: typing into a null field replaces null with what is typed.
                if let Some(typed) = null_editor_ui(ui, kind, name, label_id) {
                    change.is_null = Some(false);
                    change.text = Some(typed);
                }
                return;
            }
            let mut buffer = text.to_owned();
            match kind {
                PropertyType::Boolean => {
                    for choice in ["true", "false"] {
                        let selected = buffer == choice;
                        let response = ui
                            .selectable_label(selected, choice)
                            .accessible_name(format!("{name} {choice}"));
                        if response.clicked() && !selected {
                            change.text = Some(choice.to_owned());
                        }
                    }
                }
                PropertyType::Text | PropertyType::Json => {
                    let mut edit = egui::TextEdit::multiline(&mut buffer)
                        .id_salt(("editor-value", name))
                        .desired_rows(MULTILINE_ROWS)
                        .desired_width(f32::INFINITY);
                    if *kind == PropertyType::Json {
                        edit = edit.code_editor();
                    } else {
                        edit = edit.hint_text("empty text");
                    }
                    if ui.add(edit).labelled_by(label_id).changed() {
                        change.text = Some(buffer);
                    }
                }
                PropertyType::Int | PropertyType::Double => {
                    let edit = egui::TextEdit::singleline(&mut buffer)
                        .id_salt(("editor-value", name))
                        .hint_text("number")
                        .desired_width(160.0);
                    // Every keystroke is kept as typed: a text that is not a number is refused at the
                    // field with the reason (the field's problem line) and blocks saving; nothing is
                    // dropped or reinterpreted.
                    if ui.add(edit).labelled_by(label_id).changed() {
                        change.text = Some(buffer);
                    }
                }
                PropertyType::DateTime => {
                    let edit = egui::TextEdit::singleline(&mut buffer)
                        .id_salt(("editor-value", name))
                        .hint_text("YYYY-MM-DD HH:MM:SS (local)")
                        .desired_width(170.0);
                    if ui.add(edit).labelled_by(label_id).changed() {
                        change.text = Some(buffer.clone());
                    }
                    if let Ok(Value::DateTime(millis)) = parse_edit(kind, &buffer) {
                        ui.weak(format!("local · UTC {}", format_datetime_utc(millis)));
                    }
                }
                PropertyType::Geometry(column) => {
                    // WKT, one line; the parse error (shape, ranges, closed rings) is the field's problem line.
                    let edit = egui::TextEdit::singleline(&mut buffer)
                        .id_salt(("editor-value", name))
                        .hint_text(crate::model::geometry::example(column))
                        .desired_width(f32::INFINITY);
                    if ui.add(edit).labelled_by(label_id).changed() {
                        change.text = Some(buffer);
                    }
                }
                _ => {
                    let edit = egui::TextEdit::singleline(&mut buffer)
                        .id_salt(("editor-value", name))
                        .hint_text("empty text")
                        .desired_width(f32::INFINITY);
                    if ui.add(edit).labelled_by(label_id).changed() {
                        change.text = Some(buffer);
                    }
                }
            }
        });
    });
    // Live validity: "Valid JSON" here; the parse error itself is the field's problem line.
    if *kind == PropertyType::Json && !is_null && change.is_null != Some(true) {
        let shown = change.text.as_deref().unwrap_or(text);
        if serde_json::from_str::<serde_json::Value>(shown).is_ok() {
            ui.colored_label(ok_color(ui), "Valid JSON");
        }
    }
    change
}

/// The editor of a null value: an empty input showing "null" (true/false choices for a boolean). Returns
/// what the user typed or chose, which replaces the null.
fn null_editor_ui(
    ui: &mut egui::Ui,
    kind: &PropertyType,
    name: &str,
    label_id: Id,
) -> Option<String> {
    if *kind == PropertyType::Boolean {
        let mut chosen = None;
        for choice in ["true", "false"] {
            let response = ui
                .selectable_label(false, choice)
                .accessible_name(format!("{name} {choice}"));
            if response.clicked() {
                chosen = Some(choice.to_owned());
            }
        }
        return chosen;
    }
    let mut buffer = String::new();
    let width = if matches!(kind, PropertyType::Int | PropertyType::Double) {
        160.0
    } else {
        f32::INFINITY
    };
    // The same id as the value's own editor, so the focus stays in the field once null is gone.
    let hint = match kind {
        PropertyType::Geometry(column) => {
            format!("null (e.g. {})", crate::model::geometry::example(column))
        }
        _ => "null".to_owned(),
    };
    let edit = egui::TextEdit::singleline(&mut buffer)
        .id_salt(("editor-value", name))
        .hint_text(RichText::new(hint).italics())
        .desired_width(width);
    let changed = ui.add(edit).labelled_by(label_id).changed();
    (changed && !buffer.is_empty()).then_some(buffer)
}

/// Green for "valid".
fn ok_color(ui: &egui::Ui) -> Color32 {
    crate::ui::theme::ok_color(ui.visuals())
}

/// Shows the server's error at a field (red), else the local problem (amber). Returns whether it drew.
pub fn problem_ui(
    ui: &mut egui::Ui,
    server_error: Option<&str>,
    problem: Option<&FieldProblem>,
    single_line: bool,
) -> bool {
    let (color, message) = match (server_error, problem) {
        (Some(message), _) => (ui.visuals().error_fg_color, message.to_owned()),
        (None, Some(problem)) => (ui.visuals().warn_fg_color, problem.to_string()),
        (None, None) => return false,
    };
    let text = RichText::new(message.clone()).color(color);
    if single_line {
        // One line, so the grid's row heights hold; the whole message is in the tooltip.
        ui.add(egui::Label::new(text).truncate())
            .on_hover_text(message);
    } else {
        ui.label(text);
    }
    true
}

/// The label of the button that asks for the checked password change in one's own profile.
pub const CHANGE_PASSWORD_IN_EDITOR: &str = "Change your password…";

/// One's own password: no fields here, a button that asks the app for the checked change (the current
/// password first). Returns whether it was clicked.
pub fn checked_password_ui(ui: &mut egui::Ui, session: &EditSession) -> bool {
    ui.horizontal_wrapped(|ui| {
        ui.strong("Password");
        let clicked = ui
            .add_enabled(
                !session.is_saving(),
                egui::Button::new(CHANGE_PASSWORD_IN_EDITOR),
            )
            .on_hover_text("Your current password is asked for and checked first")
            .clicked();
        ui.weak("Asks for your current password first.");
        clicked
    })
    .inner
}

/// The password change: two masked fields that must match. Never shows the text. Returns whether edited.
pub fn password_ui(ui: &mut egui::Ui, session: &mut EditSession) -> bool {
    let mut edited = false;
    let enabled = !session.is_saving();
    ui.horizontal_wrapped(|ui| {
        ui.add_enabled_ui(enabled, |ui| {
            ui.strong("Change password");
            let mut new = session.password().new.clone();
            let new_label = ui.label("New password");
            let response = ui.add(
                egui::TextEdit::singleline(&mut new)
                    .password(true)
                    .id_salt("editor-password")
                    .desired_width(140.0),
            );
            if response.labelled_by(new_label.id).changed() {
                session.set_password(std::mem::take(&mut new));
                edited = true;
            }
            let mut confirm = session.password().confirm.clone();
            let confirm_label = ui.label("Confirm new password");
            let response = ui.add(
                egui::TextEdit::singleline(&mut confirm)
                    .password(true)
                    .id_salt("editor-password-confirm")
                    .desired_width(140.0),
            );
            if response.labelled_by(confirm_label.id).changed() {
                session.set_password_confirm(std::mem::take(&mut confirm));
                edited = true;
            }
            let password = session.password();
            if password.is_touched() {
                if password.problem().is_none() {
                    ui.colored_label(ok_color(ui), "Passwords match");
                }
                if ui
                    .button("Clear")
                    .on_hover_text("Keep the current password")
                    .clicked()
                {
                    session.revert(crate::profile::session::PASSWORD_FIELD);
                    edited = true;
                }
            }
        });
        let server = session.server_error(crate::profile::session::PASSWORD_FIELD);
        // The mismatch shows once the confirmation is being typed (saving is refused either way).
        let password = session.password();
        let mismatch = password.problem().filter(|_| !password.confirm.is_empty());
        problem_ui(ui, server, mismatch.as_ref(), false);
    });
    edited
}
