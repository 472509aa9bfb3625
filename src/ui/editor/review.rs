//! The review window: every change as old → new (the password only as "(changed)"), then Save or Cancel.
//! It fits the window at any size: long values wrap, and the list scrolls inside while the buttons stay in
//! view. Enter confirms, Escape cancels.

use egui::{Key, Modifiers, RichText};

use crate::model::diff::Changeset;
use crate::profile::session::EditSession;

/// The review's widest, in points (narrower when the window is).
pub(crate) const DIALOG_MAX_WIDTH: f32 = 640.0;

/// What the dialog keeps free around itself and below its list (heading, buttons, margins), in points.
pub(crate) const DIALOG_MARGIN: f32 = 48.0;

/// Height kept for the heading, the count line and the buttons when sizing the scrolled list.
/// The scrolled list's height when the window has room.
const LIST_MAX_HEIGHT: f32 = 360.0;

const DIALOG_CHROME_HEIGHT: f32 = 140.0;

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

/// The width a dialog may take in a window whose content is `screen`.
pub(crate) fn dialog_width(screen: egui::Rect, max: f32) -> f32 {
    (screen.width() - 2.0 * DIALOG_MARGIN).clamp(120.0, max)
}

/// One "Old:"/"New:" value: the caption over the value, which wraps (breaking long words) at the width.
pub(crate) fn value_ui(ui: &mut egui::Ui, caption: &str, value: RichText) {
    ui.weak(caption);
    ui.indent(caption, |ui| {
        ui.add(egui::Label::new(value).wrap());
    });
}

/// Draws the review of `changes` as a modal window. `keys`: whether Enter may confirm this frame (not in
/// the frame the review opened, whose Enter or click opened it).
pub fn review_ui(
    ctx: &egui::Context,
    session: &EditSession,
    changes: &Changeset,
    keys: bool,
) -> ReviewOutcome {
    let rows = session.review_rows(changes);
    let mut outcome = ReviewOutcome::Open;
    let screen = ctx.content_rect();
    let width = dialog_width(screen, DIALOG_MAX_WIDTH);
    // A fixed height (the window permitting): the dialog's size, and so its buttons' place, never
    // depends on how its text wraps from one frame to the next.
    let list_height =
        (screen.height() - 2.0 * DIALOG_MARGIN - DIALOG_CHROME_HEIGHT).clamp(60.0, LIST_MAX_HEIGHT);
    let modal = egui::Modal::new(egui::Id::unique("editor-review")).show(ctx, |ui| {
        ui.set_width(width);
        ui.heading("Review changes");
        ui.label(match rows.len() {
            1 => "1 property will be sent:".to_owned(),
            n => format!("{n} properties will be sent:"),
        });
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .min_scrolled_height(list_height)
            .max_height(list_height)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (index, row) in rows.iter().enumerate() {
                    if index > 0 {
                        ui.separator();
                    }
                    ui.label(RichText::new(&row.name).strong());
                    // One column, each value wrapping at the dialog's width: the same layout every frame.
                    value_ui(ui, "Old:", RichText::new(&row.old).weak());
                    value_ui(ui, "New:", RichText::new(&row.new).strong());
                }
            });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Confirm save").on_hover_text("Enter").clicked() {
                outcome = ReviewOutcome::Confirm;
            }
            if ui.button("Cancel").on_hover_text("Esc").clicked() {
                outcome = ReviewOutcome::Cancel;
            }
        });
    });
    if outcome == ReviewOutcome::Open
        && keys
        && ctx.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Enter))
    {
        outcome = ReviewOutcome::Confirm;
    }
    if outcome == ReviewOutcome::Open && modal.should_close() {
        outcome = ReviewOutcome::Cancel;
    }
    outcome
}
