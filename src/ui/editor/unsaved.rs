//! The question asked before pending edits would be dropped (closing the window, logging out): save,
//! discard or cancel. Draws the dialog; the app decides what each answer does.

/// The user's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsavedChoice {
    /// Save the changes first (the app goes on once the save succeeds).
    Save,
    /// Drop the changes and go on.
    Discard,
    /// Stay in the editor; nothing happens.
    Cancel,
}

/// Draws the dialog for `doing` ("close the window", "log out") with `count` pending changes; returns the
/// answer in the frame it is given. Escape or a click outside is Cancel. "Save" is offered only when
/// `can_save` (not while the session has ended: nothing could take the save).
pub fn unsaved_changes_ui(
    ctx: &egui::Context,
    doing: &str,
    count: usize,
    can_save: bool,
) -> Option<UnsavedChoice> {
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("unsaved-changes")).show(ctx, |ui| {
        ui.set_max_width(super::review::dialog_width(ctx.content_rect(), 420.0));
        ui.heading("Unsaved changes");
        ui.label(match (count, can_save) {
            (1, true) => format!("You have 1 unsaved change. Save it before you {doing}?"),
            (n, true) => format!("You have {n} unsaved changes. Save them before you {doing}?"),
            (1, false) => format!(
                "You have 1 unsaved change, and your session has ended. Discard it and {doing}?"
            ),
            (n, false) => format!(
                "You have {n} unsaved changes, and your session has ended. Discard them and {doing}?"
            ),
        });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if can_save && ui.button("Save").clicked() {
                answer = Some(UnsavedChoice::Save);
            }
            if ui.button("Discard changes").clicked() {
                answer = Some(UnsavedChoice::Discard);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(UnsavedChoice::Cancel);
            }
        });
    });
    if answer.is_none() && modal.should_close() {
        answer = Some(UnsavedChoice::Cancel);
    }
    answer
}
