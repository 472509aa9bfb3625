//! The conflict window: every property changed both here and on the server, side by side (original,
//! theirs, mine), with one choice per property. Nothing is applied until every row is decided.

use egui::RichText;

use crate::edit_session::{EditSession, display_value};
use crate::model::merge::{Choice, Merge};

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
    egui::Modal::new(egui::Id::unique("editor-conflict")).show(ctx, |ui| {
        ui.set_max_width(820.0);
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
            .max_height(360.0)
            .show(ui, |ui| {
                egui::Grid::new("editor-conflict-grid")
                    .num_columns(5)
                    .striped(true)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        ui.strong("Property");
                        ui.strong("Original");
                        ui.strong("Theirs (server now)");
                        ui.strong("Mine");
                        ui.strong("Keep");
                        ui.end_row();
                        for (conflict, choice) in
                            state.merge.conflicts.iter().zip(state.choices.iter_mut())
                        {
                            let kind = session.kind_of(&conflict.name);
                            let show = |raw: Option<&serde_json::Value>| {
                                raw.map_or_else(
                                    || "(absent)".to_owned(),
                                    |raw| display_value(&kind, raw),
                                )
                            };
                            ui.label(&conflict.name);
                            ui.label(RichText::new(show(conflict.original.as_ref())).weak());
                            ui.label(show(conflict.theirs.as_ref()));
                            ui.label(show(Some(&conflict.mine)));
                            ui.horizontal(|ui| {
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
                            ui.end_row();
                        }
                    });
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
