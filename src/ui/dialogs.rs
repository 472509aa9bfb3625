//! The app's modal questions about leaving: the unsaved-changes question before logging out, reloading or
//! closing the window, and the re-login prompt over the view a session ended in. They draw what
//! `AppState` decided to ask and return the answer; the app feeds it back to `AppState`.

use crate::app::leave::{Answer, Intent, Question};
use crate::ui::editor::unsaved::{UnsavedChoice, unsaved_changes_ui};

/// The heading of the re-login prompt.
pub const RELOGIN_TITLE: &str = "Log in again";

/// Draws `question` about `count` pending changes; returns the answer in the frame it is given. Escape or a
/// click outside is Cancel.
pub fn leave_question_ui(ctx: &egui::Context, question: Question, count: usize) -> Option<Answer> {
    let doing = match question.intent {
        Intent::Close => "close the window",
        Intent::Logout => "log out",
        Intent::Reload => return discard_and_reload_ui(ctx),
    };
    unsaved_changes_ui(ctx, doing, count, question.can_save).map(|choice| match choice {
        UnsavedChoice::Save => Answer::Save,
        UnsavedChoice::Discard => Answer::Discard,
        UnsavedChoice::Cancel => Answer::Cancel,
    })
}

/// "Reload and discard them?": reloading replaces the edits, so there is nothing to save first.
fn discard_and_reload_ui(ctx: &egui::Context) -> Option<Answer> {
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("confirm_discard")).show(ctx, |ui| {
        ui.set_max_width(360.0);
        ui.label("You have unsaved changes. Reload and discard them?");
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Discard and reload").clicked() {
                answer = Some(Answer::Discard);
            }
            if ui.button("Keep editing").clicked() {
                answer = Some(Answer::Cancel);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(Answer::Cancel);
    }
    answer
}

/// The re-login prompt: `form` draws the login form inside it; below, "Leave" (which drops the pending
/// edits, when `pending_edits`, and says so). Returns whether "Leave" was clicked.
pub fn relogin_ui(
    ctx: &egui::Context,
    pending_edits: bool,
    form: impl FnOnce(&mut egui::Ui),
) -> bool {
    let (leave_label, leave_hint) = if pending_edits {
        (
            "Discard changes and leave",
            "Drop the unsaved changes and go to the login screen",
        )
    } else {
        ("Leave", "Go to the login screen")
    };
    let mut leave = false;
    egui::Modal::new(egui::Id::unique("relogin")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading(RELOGIN_TITLE);
        form(ui);
        ui.separator();
        leave = ui.button(leave_label).on_hover_text(leave_hint).clicked();
    });
    leave
}
