//! The review window: every change as old → new (the password only as "(changed)"), then Save or Cancel.

use egui::RichText;

use crate::edit_session::EditSession;
use crate::model::diff::Changeset;

/// What the user did with the review this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// Still looking.
    Open,
    /// Closed without saving (Cancel, Escape or a click outside).
    Cancel,
    /// Confirmed: send the changes.
    Confirm,
}

/// Draws the review of `changes` as a modal window.
pub fn review_ui(ctx: &egui::Context, session: &EditSession, changes: &Changeset) -> ReviewOutcome {
    let rows = session.review_rows(changes);
    let mut outcome = ReviewOutcome::Open;
    let modal = egui::Modal::new(egui::Id::unique("editor-review")).show(ctx, |ui| {
        ui.set_max_width(640.0);
        ui.heading("Review changes");
        ui.label(match rows.len() {
            1 => "1 property will be sent:".to_owned(),
            n => format!("{n} properties will be sent:"),
        });
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .max_height(360.0)
            .show(ui, |ui| {
                egui::Grid::new("editor-review-grid")
                    .num_columns(4)
                    .striped(true)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        ui.strong("Property");
                        ui.strong("Old");
                        ui.label("");
                        ui.strong("New");
                        ui.end_row();
                        for row in &rows {
                            ui.label(&row.name);
                            ui.label(RichText::new(&row.old).weak());
                            ui.label("»");
                            ui.label(RichText::new(&row.new).strong());
                            ui.end_row();
                        }
                    });
            });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Confirm save").clicked() {
                outcome = ReviewOutcome::Confirm;
            }
            if ui.button("Cancel").clicked() {
                outcome = ReviewOutcome::Cancel;
            }
        });
    });
    if outcome == ReviewOutcome::Open && modal.should_close() {
        outcome = ReviewOutcome::Cancel;
    }
    outcome
}
