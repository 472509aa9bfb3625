//! The add-property form: name (validated live: shape and no clash), type and value; "Add property" puts
//! the property in the grid as a pending change.

use crate::model::schema::PropertyType;
use crate::profile::session::{EditSession, FieldProblem, NEW_PROPERTY_TYPES};

use super::field;

/// The form's buffers.
#[derive(Debug, Clone)]
pub struct AddPropertyForm {
    /// The name being typed.
    pub name: String,
    /// The chosen type.
    pub kind: PropertyType,
    /// The value being typed.
    pub text: String,
    /// Why the last "Add property" was refused (e.g. a bad value); cleared on edit.
    pub problem: Option<FieldProblem>,
}

impl Default for AddPropertyForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: PropertyType::String,
            text: String::new(),
            problem: None,
        }
    }
}

impl AddPropertyForm {
    /// Draws the form; returns whether a property was added.
    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut EditSession) -> bool {
        let mut added = false;
        ui.horizontal_wrapped(|ui| {
            ui.strong("New property");
            let name_label = ui.label("Name");
            let response = ui.add(
                egui::TextEdit::singleline(&mut self.name)
                    .id_salt("editor-new-name")
                    .hint_text("e.g. nickname")
                    .desired_width(130.0),
            );
            if response.labelled_by(name_label.id).changed() {
                self.problem = None;
            }
            for kind in NEW_PROPERTY_TYPES {
                let response = ui
                    .selectable_value(&mut self.kind, kind.clone(), kind.name())
                    .accessible_name(format!("New property type {}", kind.name()));
                if response.changed() {
                    self.problem = None;
                }
            }
            let value_label = ui.label("Value");
            let response = ui.add(
                egui::TextEdit::singleline(&mut self.text)
                    .id_salt("editor-new-value")
                    .hint_text("value")
                    .desired_width(150.0),
            );
            if response.labelled_by(value_label.id).changed() {
                self.problem = None;
            }
            let name_check = if self.name.trim().is_empty() {
                None
            } else {
                session.check_new_name(self.name.trim()).err()
            };
            let can_add = !self.name.trim().is_empty() && name_check.is_none();
            if ui
                .add_enabled(can_add, egui::Button::new("Add property"))
                .clicked()
            {
                added = self.submit(session);
            }
            field::problem_ui(
                ui,
                None,
                name_check.as_ref().or(self.problem.as_ref()),
                false,
            );
        });
        added
    }

    /// Adds the property if its name is acceptable; keeps the form if not.
    fn submit(&mut self, session: &mut EditSession) -> bool {
        match session.add_property(&self.name, self.kind.clone(), &self.text) {
            Ok(()) => {
                *self = Self {
                    kind: self.kind.clone(),
                    ..Self::default()
                };
                true
            }
            Err(problem) => {
                self.problem = Some(problem);
                false
            }
        }
    }
}
