//! The property grid: one row per property (editable, read-only or being added), filtered by name,
//! laid out with `egui_extras::TableBuilder` so only visible rows are built (500 properties stay cheap).

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::model::schema::PropertyType;
use crate::profile::session::{EditSession, display_value, is_editable_property};

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
    /// The heading of the read-only properties (how many match the filter): shows or hides them.
    ReadOnlyHeading(usize),
}

/// What the grid keeps between frames, owned by the editor.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GridState {
    /// Whether the read-only (system) properties are folded under their heading.
    pub read_only_collapsed: bool,
    /// A property to bring into view in the next frame (then forgotten).
    pub scroll_to: Option<String>,
}

/// The narrowest and widest the Type column gets; between them it fits its widest tag.
const TYPE_COLUMN_WIDTH: std::ops::RangeInclusive<f32> = 60.0..=260.0;

/// Draws the grid; returns whether the user edited anything.
pub fn grid_ui(
    ui: &mut egui::Ui,
    session: &mut EditSession,
    filter: &str,
    state: &mut GridState,
) -> bool {
    let rows = visible_rows(session, filter, state.read_only_collapsed);
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
    let type_width = type_column_width(ui, session, &rows);
    let scroll_to = state.scroll_to.take().and_then(|name| {
        rows.iter()
            .position(|row| row_name(session, row) == Some(&name))
    });
    let mut edited = false;
    let mut toggle = false;
    let mut table = TableBuilder::new(ui);
    if let Some(index) = scroll_to {
        table = table.scroll_to_row(index, Some(egui::Align::TOP));
    }
    table
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
        .column(Column::exact(type_width).clip(true))
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
                if let Row::ReadOnlyHeading(count) = row {
                    toggle |= heading_row_ui(&mut table_row, *count, state.read_only_collapsed);
                } else {
                    edited |= row_ui(&mut table_row, session, row);
                }
            });
        });
    if toggle {
        state.read_only_collapsed = !state.read_only_collapsed;
    }
    edited
}

/// The property a row shows, if it shows one.
fn row_name<'s>(session: &'s EditSession, row: &'s Row) -> Option<&'s str> {
    match row {
        Row::Editable(name) | Row::ReadOnly(name) => Some(name),
        Row::Added(index) => session
            .new_properties()
            .get(*index)
            .map(|a| a.name.as_str()),
        Row::ReadOnlyHeading(_) => None,
    }
}

/// The text of the Type column for `row` ("STRING · identity · required", "DATETIME · read-only").
fn type_tag(session: &EditSession, row: &Row) -> String {
    match row {
        Row::Editable(name) => {
            let Some(property) = session.schema().get(name) else {
                return String::new();
            };
            let mut tags = property.ty.name().to_owned();
            if property.identity {
                tags.push_str(" · identity");
            }
            if property.required {
                tags.push_str(" · required");
            }
            tags
        }
        Row::ReadOnly(name) => {
            let kind_name = session.schema().get(name).map_or_else(
                || "unknown".to_owned(),
                |property| property.ty.name().to_owned(),
            );
            format!("{kind_name} · read-only")
        }
        Row::Added(index) => session
            .new_properties()
            .get(*index)
            .map(|added| format!("{} · new", added.kind.name()))
            .unwrap_or_default(),
        Row::ReadOnlyHeading(count) => match count {
            1 => "1 property".to_owned(),
            n => format!("{n} properties"),
        },
    }
}

/// The Type column fits its widest tag (so "STRING · identity · required" is never cut), within
/// [`TYPE_COLUMN_WIDTH`].
fn type_column_width(ui: &egui::Ui, session: &EditSession, rows: &[Row]) -> f32 {
    let tags: std::collections::BTreeSet<String> =
        rows.iter().map(|row| type_tag(session, row)).collect();
    let font = egui::TextStyle::Body.resolve(ui.style());
    let widest = tags
        .into_iter()
        .map(|tag| {
            ui.painter()
                .layout_no_wrap(tag, font.clone(), Color32::PLACEHOLDER)
                .size()
                .x
        })
        .fold(0.0, f32::max);
    // The cell's own margin on both sides.
    (widest + 2.0 * ui.spacing().item_spacing.x)
        .clamp(*TYPE_COLUMN_WIDTH.start(), *TYPE_COLUMN_WIDTH.end())
}

/// A multi-line editor shows its text's lines, between [`MULTILINE_ROWS`] and [`MULTILINE_MAX_ROWS`].
const MULTILINE_MAX_ROWS: usize = 12;

/// The lines of `text` (counting a final empty line, where the cursor goes after Enter).
fn text_lines(text: &str) -> usize {
    text.split('\n').count()
}

/// The height a multi-line editor of `lines` lines gets (the rest scrolls inside it).
fn multiline_height(lines: usize, small_line: f32) -> f32 {
    small_line * lines.clamp(MULTILINE_ROWS, MULTILINE_MAX_ROWS) as f32 + 10.0
}

/// A multi-line editor grows with its text (and with wrapping in a narrow window) past the height its row
/// was given, running over the next rows: it scrolls inside that height instead.
fn bounded_editor<R>(
    ui: &mut egui::Ui,
    multiline: bool,
    name: &str,
    text: &str,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    if !multiline {
        return add(ui);
    }
    let small_line = ui.text_style_height(&egui::TextStyle::Body) + 2.0;
    egui::ScrollArea::vertical()
        .id_salt(("editor-value-scroll", name))
        .max_height(multiline_height(text_lines(text), small_line) - 4.0)
        .auto_shrink([false, true])
        .show(ui, add)
        .inner
}

/// The heading row above the read-only properties; returns whether the user toggled it.
fn heading_row_ui(
    table_row: &mut egui_extras::TableRow<'_, '_>,
    count: usize,
    collapsed: bool,
) -> bool {
    let mut clicked = false;
    table_row.col(|_| {});
    table_row.col(|ui| {
        let text = if collapsed {
            "Show read-only"
        } else {
            "Hide read-only"
        };
        clicked = ui
            .button(RichText::new(text).strong())
            .on_hover_text("System, relation and geometry properties: shown, not editable")
            .accessible_name(if collapsed {
                "Show the read-only properties"
            } else {
                "Hide the read-only properties"
            })
            .clicked();
    });
    table_row.col(|ui| {
        ui.weak(match count {
            1 => "1 property".to_owned(),
            n => format!("{n} properties"),
        });
    });
    table_row.col(|_| {});
    table_row.col(|_| {});
    clicked
}

/// The rows whose name contains `filter` (case-insensitively): the editable properties in schema order,
/// then the added ones, then (under their heading, unless `read_only_collapsed`) the read-only ones.
fn visible_rows(session: &EditSession, filter: &str, read_only_collapsed: bool) -> Vec<Row> {
    let needle = filter.trim().to_lowercase();
    let matches = |name: &str| needle.is_empty() || name.to_lowercase().contains(&needle);
    let mut rows: Vec<Row> = session
        .schema()
        .properties()
        .iter()
        .filter(|property| {
            property.name != crate::profile::session::PASSWORD_FIELD && matches(&property.name)
        })
        .map(|property| {
            if is_editable_property(property) {
                Row::Editable(property.name.to_string())
            } else {
                Row::ReadOnly(property.name.to_string())
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
    // Editable first, then added, then read-only (stable within each group).
    let (read_only, mut ordered): (Vec<Row>, Vec<Row>) = rows
        .into_iter()
        .partition(|row| matches!(row, Row::ReadOnly(_)));
    ordered.extend(
        session
            .new_properties()
            .iter()
            .enumerate()
            .filter(|(_, added)| matches(&added.name))
            .map(|(index, _)| Row::Added(index)),
    );
    if !read_only.is_empty() {
        ordered.push(Row::ReadOnlyHeading(read_only.len()));
        if !read_only_collapsed {
            ordered.extend(read_only);
        }
    }
    ordered
}

/// Keys of the wire format that are not properties.
fn is_hidden_key(name: &str) -> bool {
    matches!(name, "___class" | "user-token" | "password")
}

/// The height of `row`: one line, or several for multi-line editors, plus a line for an error.
fn row_height(session: &EditSession, row: &Row, line_height: f32, small_line: f32) -> f32 {
    let (kind, is_null, has_problem, lines) = match row {
        Row::Editable(name) => {
            let field = session.field(name);
            (
                session.kind_of(name),
                field.is_some_and(|field| field.is_null),
                field.is_some_and(|field| field.problem().is_some())
                    || session.server_error(name).is_some(),
                field.map_or(1, |field| text_lines(&field.text)),
            )
        }
        Row::ReadOnly(_) | Row::ReadOnlyHeading(_) => return line_height + 4.0,
        Row::Added(index) => {
            let Some(added) = session.new_properties().get(*index) else {
                return line_height;
            };
            (
                added.kind.clone(),
                added.is_null,
                added.problem().is_some() || session.server_error(&added.name).is_some(),
                text_lines(&added.text),
            )
        }
    };
    let mut height = if field::is_multiline(&kind) && !is_null {
        multiline_height(lines, small_line)
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
        Row::ReadOnlyHeading(_) => false,
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
            change = bounded_editor(
                ui,
                field::is_multiline(&property.ty),
                name,
                &field.text,
                |ui| {
                    field::value_editor_ui(
                        ui,
                        &property.ty,
                        name,
                        label_id,
                        &field.text,
                        field.is_null,
                        nullable,
                        true,
                    )
                },
            );
            field::problem_ui(ui, server_error.as_deref(), field.problem(), true);
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
            change = bounded_editor(
                ui,
                field::is_multiline(&added.kind),
                &added.name,
                &added.text,
                |ui| {
                    field::value_editor_ui(
                        ui,
                        &added.kind,
                        &added.name,
                        label_id,
                        &added.text,
                        added.is_null,
                        true,
                        true,
                    )
                },
            );
            field::problem_ui(ui, server_error.as_deref(), added.problem(), true);
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
