//! The conflict window: every property changed both here and on the server, side by side (original,
//! theirs, mine), with one choice per property. Nothing is applied until every row is decided. Fits the
//! window: values wrap and the list scrolls inside.

use egui::RichText;

use crate::model::merge::{Choice, Merge};
use crate::profile::session::{EditSession, display_value};

use super::review::{DIALOG_MARGIN, dialog_width};

/// The conflict window's widest, in points (narrower when the window is).
const DIALOG_MAX_WIDTH: f32 = 820.0;

/// Height kept for the heading, the explanation and the buttons when sizing the scrolled list.
/// The scrolled list's height when the window has room.
const LIST_MAX_HEIGHT: f32 = 360.0;

const DIALOG_CHROME_HEIGHT: f32 = 200.0;

/// Where the conflict came from; decides what happens once it is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictOrigin {
    /// A save found the record changed on the server; resolving sends the resolved changes.
    Save,
    /// A restored draft was made against an older record; resolving only fills the editor.
    Draft,
}

/// An open conflict: the merge and the user's choices so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictState {
    /// The three-way merge.
    pub merge: Merge,
    /// One entry per conflict, in the merge's order; `None` until the user picks.
    pub choices: Vec<Option<Choice>>,
    /// What resolving leads to.
    pub origin: ConflictOrigin,
}

impl ConflictState {
    /// A conflict with nothing chosen yet.
    pub fn new(merge: Merge, origin: ConflictOrigin) -> Self {
        let choices = vec![None; merge.conflicts.len()];
        Self {
            merge,
            choices,
            origin,
        }
    }

    /// The names resolved to the server's value.
    pub fn take_theirs(&self) -> Vec<String> {
        self.merge
            .conflicts
            .iter()
            .zip(&self.choices)
            .filter(|(_, choice)| **choice == Some(Choice::Theirs))
            .map(|(conflict, _)| conflict.name.clone())
            .collect()
    }

    /// Whether every conflict has a choice.
    pub fn is_decided(&self) -> bool {
        self.choices.iter().all(Option::is_some)
    }
}

/// What the user did with the conflict window this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictOutcome {
    /// Still deciding.
    Open,
    /// Every row decided and applied.
    Apply,
    /// Back to editing without sending anything (only for a save conflict).
    Cancel,
}

/// Draws the conflict window over the editor.
pub fn conflict_ui(
    ctx: &egui::Context,
    session: &EditSession,
    state: &mut ConflictState,
) -> ConflictOutcome {
    let mut outcome = ConflictOutcome::Open;
    let screen = ctx.content_rect();
    let width = dialog_width(screen, DIALOG_MAX_WIDTH);
    // A fixed height (the window permitting): the dialog's size, and so its buttons' place, never
    // depends on how its text wraps from one frame to the next.
    let list_height =
        (screen.height() - 2.0 * DIALOG_MARGIN - DIALOG_CHROME_HEIGHT).clamp(60.0, LIST_MAX_HEIGHT);
    egui::Modal::new(egui::Id::unique("editor-conflict")).show(ctx, |ui| {
        ui.set_width(width);
        ui.heading("Changed on the server too");
        ui.label(match state.origin {
            ConflictOrigin::Save => {
                "Someone else saved this profile after you opened it. Their changes to other properties \
                 are kept. For each property below, both of you made a different change: choose which \
                 value to keep. Nothing is sent until you apply."
            }
            ConflictOrigin::Draft => {
                "Your restored changes were made against an older version of this profile. For each \
                 property below, the server's value changed too: choose which value to keep."
            }
        });
        if !state.merge.theirs_only.is_empty() {
            ui.weak(format!(
                "Taken from the server: {}",
                state.merge.theirs_only.join(", ")
            ));
        }
        ui.add_space(6.0);
        egui::ScrollArea::vertical()
            .min_scrolled_height(list_height)
            .max_height(list_height)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (index, (conflict, choice)) in state
                    .merge
                    .conflicts
                    .iter()
                    .zip(state.choices.iter_mut())
                    .enumerate()
                {
                    if index > 0 {
                        ui.separator();
                    }
                    let kind = session.kind_of(&conflict.name);
                    let show = |raw: Option<&serde_json::Value>| {
                        raw.map_or_else(|| "(absent)".to_owned(), |raw| display_value(&kind, raw))
                    };
                    ui.label(RichText::new(&conflict.name).strong());
                    // Long values wrap inside the dialog.
                    for (what, value) in [
                        ("Original:", RichText::new(show(conflict.original.as_ref())).weak()),
                        ("Theirs (server now):", RichText::new(show(conflict.theirs.as_ref()))),
                        ("Mine:", RichText::new(show(Some(&conflict.mine)))),
                    ] {
                        super::review::value_ui(ui, what, value);
                    }
                    ui.horizontal(|ui| {
                        ui.label("Keep");
                        if ui
                            .radio(*choice == Some(Choice::Theirs), "theirs")
                            .accessible_name(format!("{}: keep theirs", conflict.name))
                            .clicked()
                        {
                            *choice = Some(Choice::Theirs);
                        }
                        if ui
                            .radio(*choice == Some(Choice::Mine), "mine")
                            .accessible_name(format!("{}: keep mine", conflict.name))
                            .clicked()
                        {
                            *choice = Some(Choice::Mine);
                        }
                    });
                }
            });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let label = match state.origin {
                ConflictOrigin::Save => "Apply choices and save",
                ConflictOrigin::Draft => "Apply choices",
            };
            let decided = state.is_decided();
            if ui
                .add_enabled(decided, egui::Button::new(label))
                .on_disabled_hover_text("Choose a value for every property first")
                .clicked()
            {
                outcome = ConflictOutcome::Apply;
            }
            if state.origin == ConflictOrigin::Save && ui.button("Back to editing").clicked() {
                outcome = ConflictOutcome::Cancel;
            }
        });
    });
    outcome
}
