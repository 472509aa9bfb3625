//! The property grid: one row per property (editable, read-only or being added), filtered by name,
//! laid out with `egui_extras::TableBuilder` so only visible rows are built (500 properties stay cheap).

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::edit_session::{EditSession, display_value, is_editable_property};
use crate::model::schema::PropertyType;

use super::field::{self, MULTILINE_ROWS};

/// One row of the grid, pointing into the session.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Row {
    /// An editable property of the schema.
    Editable(String),
    /// A system, relation, geometry or unknown-typed property: shown, not editable.
    ReadOnly(String),
    /// A property the user is adding (index into `EditSession::new_properties`).
    Added(usize),
}

/// Draws the grid; returns whether the user edited anything.
pub fn grid_ui(ui: &mut egui::Ui, session: &mut EditSession, filter: &str) -> bool {
    let rows = visible_rows(session, filter);
    if rows.is_empty() {
        ui.weak(format!("No property name contains {filter:?}."));
        return false;
    }
    let line_height = ui
        .spacing()
        .interact_size
        .y
        .max(ui.text_style_height(&egui::TextStyle::Body));
    let small_line = ui.text_style_height(&egui::TextStyle::Body) + 2.0;
    let heights: Vec<f32> = rows
        .iter()
        .map(|row| row_height(session, row, line_height, small_line))
        .collect();
    let mut edited = false;
    TableBuilder::new(ui)
        .id_salt("editor-grid")
        .striped(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Min))
        .column(Column::exact(14.0))
        .column(
            Column::initial(170.0)
                .at_least(80.0)
                .resizable(true)
                .clip(true),
        )
        .column(Column::initial(130.0).at_least(60.0).clip(true))
        .column(Column::remainder().at_least(200.0).clip(true))
        .column(Column::exact(70.0))
        .auto_shrink([false, false])
        .header(20.0, |mut header| {
            header.col(|_| {});
            header.col(|ui| {
                ui.strong("Property");
            });
            header.col(|ui| {
                ui.strong("Type");
            });
            header.col(|ui| {
                ui.strong("Value");
            });
            header.col(|_| {});
        })
        .body(|body| {
            body.heterogeneous_rows(heights.into_iter(), |mut table_row| {
                let row = &rows[table_row.index()];
                edited |= row_ui(&mut table_row, session, row);
            });
        });
    edited
}

/// The rows whose name contains `filter` (case-insensitively), in schema order, then added properties.
fn visible_rows(session: &EditSession, filter: &str) -> Vec<Row> {
    let needle = filter.trim().to_lowercase();
    let matches = |name: &str| needle.is_empty() || name.to_lowercase().contains(&needle);
    let mut rows: Vec<Row> = session
        .schema()
        .properties()
        .iter()
        .filter(|property| {
            property.name != crate::edit_session::PASSWORD_FIELD && matches(&property.name)
        })
        .map(|property| {
            if is_editable_property(property) {
                Row::Editable(property.name.clone())
            } else {
                Row::ReadOnly(property.name.clone())
            }
        })
        .collect();
    // Properties the record carries that the schema does not describe: readable, not editable.
    let mut extra: Vec<&str> = session
        .original()
        .names()
        .filter(|name| {
            session.schema().get(name).is_none() && !is_hidden_key(name) && matches(name)
        })
        .collect();
    extra.sort_unstable();
    rows.extend(extra.into_iter().map(|name| Row::ReadOnly(name.to_owned())));
    rows.extend(
        session
            .new_properties()
            .iter()
            .enumerate()
            .filter(|(_, added)| matches(&added.name))
            .map(|(index, _)| Row::Added(index)),
    );
    rows
}

/// Keys of the wire format that are not properties.
fn is_hidden_key(name: &str) -> bool {
    matches!(name, "___class" | "user-token" | "password")
}

/// The height of `row`: one line, or several for multi-line editors, plus a line for an error.
fn row_height(session: &EditSession, row: &Row, line_height: f32, small_line: f32) -> f32 {
    let (kind, is_null, has_problem) = match row {
        Row::Editable(name) => {
            let field = session.field(name);
            (
                session.kind_of(name),
                field.is_some_and(|field| field.is_null),
                field.is_some_and(|field| field.problem.is_some())
                    || session.server_error(name).is_some(),
            )
        }
        Row::ReadOnly(_) => return line_height + 4.0,
        Row::Added(index) => {
            let Some(added) = session.new_properties().get(*index) else {
                return line_height;
            };
            (
                added.kind.clone(),
                added.is_null,
                added.problem.is_some() || session.server_error(&added.name).is_some(),
            )
        }
    };
    let mut height = if field::is_multiline(&kind) && !is_null {
        small_line * MULTILINE_ROWS as f32 + 10.0
    } else {
        line_height + 4.0
    };
    // One more line under the editor: the problem, or "Valid JSON".
    if has_problem || (kind == PropertyType::Json && !is_null) {
        height += small_line;
    }
    height
}

/// Draws one row; returns whether the user edited it.
fn row_ui(
    table_row: &mut egui_extras::TableRow<'_, '_>,
    session: &mut EditSession,
    row: &Row,
) -> bool {
    match row {
        Row::Editable(name) => editable_row_ui(table_row, session, name),
        Row::ReadOnly(name) => {
            read_only_row_ui(table_row, session, name);
            false
        }
        Row::Added(index) => added_row_ui(table_row, session, *index),
    }
}

/// The colour that marks a changed row.
fn changed_color(ui: &egui::Ui) -> Color32 {
    crate::ui::theme::changed_color(ui.visuals())
}

/// The changed-marker column.
fn marker_ui(table_row: &mut egui_extras::TableRow<'_, '_>, dirty: bool, has_error: bool) {
    table_row.col(|ui| {
        if has_error {
            ui.colored_label(ui.visuals().error_fg_color, "!")
                .on_hover_text("This field has an error");
        } else if dirty {
            ui.colored_label(changed_color(ui), "•")
                .on_hover_text("Changed, not saved yet");
        }
    });
}

/// The name label; returns its id so the inputs can be labelled by it.
fn name_ui(table_row: &mut egui_extras::TableRow<'_, '_>, name: &str, dirty: bool) -> egui::Id {
    let mut label_id = egui::Id::NULL;
    table_row.col(|ui| {
        let text = if dirty {
            RichText::new(name).color(changed_color(ui)).strong()
        } else {
            RichText::new(name)
        };
        label_id = ui.label(text).id;
    });
    label_id
}

fn editable_row_ui(
    table_row: &mut egui_extras::TableRow<'_, '_>,
    session: &mut EditSession,
    name: &str,
) -> bool {
    let Some(field) = session.field(name).cloned() else {
        return false;
    };
    let Some(property) = session.schema().get(name).cloned() else {
        return false;
    };
    let dirty = session.is_dirty(name);
    let server_error = session.server_error(name).map(str::to_owned);
    marker_ui(table_row, dirty, server_error.is_some());
    let label_id = name_ui(table_row, name, dirty);
    table_row.col(|ui| {
        let mut tags = property.ty.name().to_owned();
        if property.identity {
            tags.push_str(" · identity");
        }
        if property.required {
            tags.push_str(" · required");
        }
        ui.weak(tags);
    });
    let nullable = session.is_nullable(name);
    let mut change = field::EditorChange::default();
    table_row.col(|ui| {
        ui.vertical(|ui| {
            change = field::value_editor_ui(
                ui,
                &property.ty,
                name,
                label_id,
                &field.text,
                field.is_null,
                nullable,
                true,
            );
            field::problem_ui(ui, server_error.as_deref(), field.problem.as_ref(), true);
        });
    });
    let mut reverted = false;
    table_row.col(|ui| {
        if dirty
            && ui
                .button("Revert")
                .accessible_name(format!("Revert {name}"))
                .clicked()
        {
            reverted = true;
        }
    });
    let edited = change.any();
    match (change.is_null, change.text) {
        // Typed into a null field: one edit, one undo step.
        (Some(false), Some(text)) => session.type_into_null(name, text),
        (is_null, text) => {
            if let Some(is_null) = is_null {
                session.set_null(name, is_null);
            }
            if let Some(text) = text {
                session.set_text(name, text);
            }
        }
    }
    if reverted {
        session.revert(name);
    }
    edited || reverted
}

fn read_only_row_ui(
    table_row: &mut egui_extras::TableRow<'_, '_>,
    session: &EditSession,
    name: &str,
) {
    marker_ui(table_row, false, false);
    name_ui(table_row, name, false);
    let schema_property = session.schema().get(name);
    let kind = session.kind_of(name);
    table_row.col(|ui| {
        let kind_name = schema_property.map_or_else(
            || "unknown".to_owned(),
            |property| property.ty.name().to_owned(),
        );
        ui.weak(format!("{kind_name} · read-only"));
    });
    table_row.col(|ui| {
        let text = match session.original().get(name) {
            None | Some(serde_json::Value::Null) => RichText::new("null").italics().weak(),
            Some(value) => RichText::new(display_value(&kind, value)),
        };
        let full = text.text().to_owned();
        ui.add(egui::Label::new(text).truncate().selectable(true))
            .on_hover_text(full);
    });
    table_row.col(|_| {});
}

fn added_row_ui(
    table_row: &mut egui_extras::TableRow<'_, '_>,
    session: &mut EditSession,
    index: usize,
) -> bool {
    let Some(added) = session.new_properties().get(index).cloned() else {
        return false;
    };
    let server_error = session.server_error(&added.name).map(str::to_owned);
    marker_ui(table_row, true, server_error.is_some());
    let label_id = name_ui(table_row, &added.name, true);
    table_row.col(|ui| {
        ui.weak(format!("{} · new", added.kind.name()));
    });
    let mut change = field::EditorChange::default();
    table_row.col(|ui| {
        ui.vertical(|ui| {
            change = field::value_editor_ui(
                ui,
                &added.kind,
                &added.name,
                label_id,
                &added.text,
                added.is_null,
                true,
                true,
            );
            field::problem_ui(ui, server_error.as_deref(), added.problem.as_ref(), true);
        });
    });
    let mut removed = false;
    table_row.col(|ui| {
        if ui
            .button("Remove")
            .accessible_name(format!("Remove {}", added.name))
            .clicked()
        {
            removed = true;
        }
    });
    let edited = change.any();
    if let Some(is_null) = change.is_null {
        session.set_new_null(index, is_null);
    }
    if let Some(text) = change.text {
        session.set_new_text(index, text);
    }
    if removed {
        session.revert(&added.name);
    }
    edited || removed
}
