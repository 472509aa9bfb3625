//! The Users view's record inspector (drawing only): the read-only side panel that shows one record, its
//! relations as links (with Back), Copy as JSON and Close. Long values wrap anywhere or scroll inside the
//! panel, so the panel never grows over the table. Moved out of `mod.rs` so that the inspector layout
//! (WINDOW) and the admin actions (USERS-ADMIN) can be edited side by side.

use egui::RichText;

use super::UsersView;
use crate::model::value::{Value, format_datetime_local, format_datetime_utc, relation_ids};

/// The inspector is at most this fraction of the Users view's width (also when dragged wider, and whatever
/// it shows): the table keeps the rest.
pub const INSPECTOR_MAX_FRACTION: f32 = 0.6;

/// The inspector's width when first opened, and its least width.
const INSPECTOR_DEFAULT_WIDTH: f32 = 340.0;
const INSPECTOR_MIN_WIDTH: f32 = 220.0;
/// The property-name column takes at most this fraction of the inspector's width (longer names are cut
/// with "…" and shown whole on hover); the values get the rest and wrap in it.
const NAME_MAX_FRACTION: f32 = 0.4;

impl UsersView {
    /// The inspector as a resizable right panel of bounded width, laid out before the table (which gets
    /// what is left).
    pub(super) fn inspector_panel(&mut self, ui: &mut egui::Ui) {
        let max_width = (ui.available_width() * INSPECTOR_MAX_FRACTION).max(INSPECTOR_MIN_WIDTH);
        egui::Panel::right("users_inspector")
            .resizable(true)
            .default_size(INSPECTOR_DEFAULT_WIDTH)
            .min_size(INSPECTOR_MIN_WIDTH)
            .max_size(max_width)
            .show(ui, |ui| {
                // The admin's actions (USERS-ADMIN, `actions.rs`), pinned under the record.
                self.admin_inspector_panel(ui);
                self.inspector_ui(ui);
            });
    }

    fn inspector_ui(&mut self, ui: &mut egui::Ui) {
        let Some(record) = &self.selected else { return };
        let mut close = false;
        let mut back = false;
        let mut edit = false;
        let mut open: Option<String> = None;
        ui.horizontal_wrapped(|ui| {
            ui.heading("Record");
            if ui
                .button("Edit record")
                .on_hover_text("Edit this record in the typed editor")
                .clicked()
            {
                edit = true;
            }
            if ui.button("Copy as JSON").clicked() {
                let text = serde_json::to_string_pretty(record.as_map()).unwrap_or_default();
                ui.ctx().copy_text(text);
            }
            if ui.button("Close").clicked() {
                close = true;
            }
            if !self.inspector_history.is_empty() && ui.button("Back").clicked() {
                back = true;
            }
        });
        ui.add(
            egui::Label::new(
                RichText::new("Read-only here: Edit record opens it in the typed editor.").weak(),
            )
            .wrap(),
        );
        if let Some(id) = self.opening() {
            ui.add(egui::Label::new(format!("Opening {id}…")).wrap());
        }
        if let Some(error) = &self.inspector_error {
            let color = ui.visuals().error_fg_color;
            ui.add(egui::Label::new(RichText::new(error).color(color)).wrap());
        }
        ui.separator();
        // Vertical scrolling only: every value wraps (anywhere, when it has no space) at the panel's
        // width, so nothing is wider than the panel.
        egui::ScrollArea::vertical()
            .id_salt("users_inspector_scroll")
            .auto_shrink([false, true])
            .show(ui, |ui| {
                let name_width = ui.available_width() * NAME_MAX_FRACTION;
                egui::Grid::new("users_inspector_grid")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for name in record.names() {
                            let raw = record.get(name).unwrap_or(&serde_json::Value::Null);
                            let ty = self.schema.type_of(name, raw);
                            ui.scope(|ui| {
                                ui.set_max_width(name_width);
                                ui.add(egui::Label::new(RichText::new(name).strong()).truncate())
                                    .on_hover_text(format!("{name}: {}", ty.name()));
                            });
                            let value = Value::from_json(&ty, raw);
                            // The value column is the grid's last: it gets the rest of the width.
                            ui.vertical(|ui| match &value {
                                Value::Null => {
                                    ui.label(RichText::new("null").weak().italics());
                                }
                                Value::DateTime(ms) => {
                                    ui.add(egui::Label::new(format_datetime_local(*ms)).wrap())
                                        .on_hover_text(format_datetime_utc(*ms));
                                }
                                Value::Relation(v) => {
                                    for id in relation_ids(v).unwrap_or_default() {
                                        if ui
                                            .add(egui::Link::new(format!("Open {id}")))
                                            .on_hover_text("Show the related record here")
                                            .clicked()
                                        {
                                            open = Some(id);
                                        }
                                    }
                                }
                                Value::Json(v) | Value::Opaque(v) => {
                                    let text = serde_json::to_string_pretty(v).unwrap_or_default();
                                    ui.add(
                                        egui::Label::new(RichText::new(text).monospace()).wrap(),
                                    );
                                }
                                other => {
                                    ui.add(egui::Label::new(other.edit_text()).wrap());
                                }
                            });
                            ui.end_row();
                        }
                    });
            });
        if edit && let Some(record) = self.selected.clone() {
            // Read again first: the table's copy may be old (the editor's base must be the server's
            // record of now); the answer makes it the edit request.
            let request = self.read_then_edit(record);
            self.outbox.push_back(super::UsersOutcome::Send(request));
            ui.ctx().request_repaint();
        }
        if close {
            self.close_inspector();
        }
        if back && let Some(previous) = self.inspector_history.pop() {
            self.selected = Some(previous);
            self.inspector_error = None;
            // Back from where a related record was being opened: it is not wanted any more.
            self.tickets.inspector_closed();
        }
        if let Some(id) = open {
            self.open_related(&id);
            ui.ctx().request_repaint();
        }
    }
}
