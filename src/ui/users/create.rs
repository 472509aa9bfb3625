//! "New user" from the Users view's toolbar: a form typed from the schema (the identity, the password and
//! every required property, each parsed as its type), sent as `users/register`. A value that is not of
//! its type is refused at its field before anything is sent; the server's refusals go to the field they
//! concern (3033 / 3040 / 3013 the identity, 3011 the password, 3012 / 3021 the property named), others
//! under the form. What was typed stays.

use crate::backendless::client::Password;
use crate::backendless::error::ApiError;
use crate::model::record::UserRecord;
use crate::model::registration::{self, FieldProblem};
use crate::model::schema::{PASSWORD, PropertyType, Schema};
use crate::users_admin::manage::{AdminFailure, AdminOp, AdminRequest, failure_text};

use super::UsersView;

/// The label of the password field.
pub const PASSWORD_LABEL: &str = "Password";

/// One field of the form.
#[derive(Debug)]
struct CreateField {
    name: String,
    ty: PropertyType,
    text: String,
    error: Option<String>,
}

/// The "New user" form.
#[derive(Debug)]
pub(super) struct CreateForm {
    /// The identity first, then the required properties, in schema order.
    fields: Vec<CreateField>,
    password: String,
    password_error: Option<String>,
    /// Under the form: a refusal that concerns no one field.
    error: Option<String>,
    busy: bool,
}

impl CreateForm {
    /// The fields `schema` asks for at registration: the identity and every required property.
    pub(super) fn new(schema: &Schema) -> Self {
        let fields = registration::fields(schema)
            .into_iter()
            .map(|(name, ty)| CreateField {
                name,
                ty,
                text: String::new(),
                error: None,
            })
            .collect();
        Self {
            fields,
            password: String::new(),
            password_error: None,
            error: None,
            busy: false,
        }
    }

    /// Checks every field; the request when all are fine.
    fn request(&mut self) -> Option<AdminRequest> {
        let mut properties = serde_json::Map::new();
        let mut ok = true;
        for field in &mut self.fields {
            field.error = None;
            match registration::parse(&field.ty, &field.text) {
                Ok(value) => {
                    properties.insert(field.name.clone(), value);
                }
                Err(FieldProblem::Empty) => {
                    field.error = Some(format!("{} is required.", field.name));
                    ok = false;
                }
                Err(FieldProblem::Invalid(message)) => {
                    field.error = Some(message);
                    ok = false;
                }
            }
        }
        self.password_error = None;
        if self.password.is_empty() {
            self.password_error = Some("Enter a password for the new user.".to_owned());
            ok = false;
        }
        ok.then(|| AdminRequest::Create {
            properties,
            password: Password::new(self.password.clone()),
        })
    }

    /// The server refused: the error goes to its field, or under the form.
    fn refused(&mut self, failure: &AdminFailure) {
        let text = failure_text(&AdminOp::Create, failure);
        let field = match failure.api_error() {
            Some(
                ApiError::AlreadyRegistered { .. }
                | ApiError::IdentityTaken { .. }
                | ApiError::InvalidEmail { .. }
                | ApiError::MissingIdentity { .. },
            ) => self.fields.first().map(|f| f.name.clone()),
            Some(ApiError::MissingPassword { .. }) => Some(PASSWORD.to_owned()),
            Some(
                ApiError::MissingRequiredProperty { property, .. }
                | ApiError::RegistrationFailed { property, .. },
            ) => property.clone(),
            _ => None,
        };
        match field {
            Some(name) if name == PASSWORD => self.password_error = Some(text),
            Some(name) => match self.fields.iter_mut().find(|f| f.name == name) {
                Some(field) => field.error = Some(text),
                None => self.error = Some(text),
            },
            None => self.error = Some(text),
        }
    }
}

impl UsersView {
    /// Opens the "New user" form.
    pub fn open_create_form(&mut self) {
        if self.admin.create.is_none() {
            self.admin.create = Some(CreateForm::new(&self.schema));
        }
    }

    /// Whether the "New user" form is open.
    pub fn is_create_form_open(&self) -> bool {
        self.admin.create.is_some()
    }

    /// The register answer: the form closes and the table shows the new user, or the refusal shows at
    /// its field.
    pub(super) fn created(&mut self, result: Result<UserRecord, AdminFailure>) {
        match result {
            Ok(record) => {
                let who = self.identity_of(&record);
                self.admin.create = None;
                self.admin.notice = Some((true, format!("Created the user {who}.")));
                self.refresh();
            }
            Err(failure) => {
                if let Some(form) = &mut self.admin.create {
                    form.busy = false;
                    form.refused(&failure);
                }
            }
        }
    }

    /// The form, as a modal over the view.
    pub(super) fn create_ui(&mut self, ui: &mut egui::Ui) {
        let Some(form) = &mut self.admin.create else {
            return;
        };
        let mut close = false;
        let mut send = None;
        egui::Modal::new(egui::Id::unique("users_create_user")).show(ui.ctx(), |ui| {
            ui.set_max_width(420.0);
            ui.heading("New user");
            ui.weak("The identity, a password and every property the app requires.");
            let error_color = ui.visuals().error_fg_color;
            egui::Grid::new("users_create_grid")
                .num_columns(2)
                .show(ui, |ui| {
                    for field in &mut form.fields {
                        let label = ui
                            .label(&field.name)
                            .on_hover_text(field.ty.name().to_owned());
                        ui.vertical(|ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut field.text).desired_width(240.0),
                            )
                            .labelled_by(label.id);
                            if let Some(error) = &field.error {
                                ui.colored_label(error_color, error);
                            }
                        });
                        ui.end_row();
                    }
                    let label = ui.label(PASSWORD_LABEL);
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut form.password)
                                .password(true)
                                .desired_width(240.0),
                        )
                        .labelled_by(label.id);
                        if let Some(error) = &form.password_error {
                            ui.colored_label(error_color, error);
                        }
                    });
                    ui.end_row();
                });
            if let Some(error) = &form.error {
                ui.colored_label(error_color, error);
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!form.busy, egui::Button::new("Create user"))
                    .clicked()
                {
                    form.error = None;
                    if let Some(request) = form.request() {
                        form.busy = true;
                        send = Some(request);
                    }
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
                if form.busy {
                    ui.spinner();
                }
            });
        });
        if close {
            self.admin.create = None;
        }
        if let Some(request) = send {
            self.outbox
                .push_back(super::admin_request(&mut self.tickets, request));
            ui.ctx().request_repaint();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        crate::model::test_fixtures::registration_schema()
    }

    #[test]
    fn the_form_asks_for_the_identity_and_the_required_properties_typed() {
        let mut form = CreateForm::new(&schema());
        let names: Vec<_> = form.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["email", "age"]);
        form.fields[0].text = "dora@example.com".into();
        form.fields[1].text = "4x".into();
        assert!(
            form.request().is_none(),
            "a non-number is refused at its field"
        );
        assert!(form.fields[1].error.is_some());
        assert!(form.password_error.is_some());
        form.fields[1].text = "41".into();
        form.password = "pw-1".into();
        let Some(AdminRequest::Create {
            properties,
            password,
        }) = form.request()
        else {
            panic!("the form is complete");
        };
        assert_eq!(properties["age"], 41);
        assert_eq!(properties["email"], "dora@example.com");
        assert_eq!(password.expose(), "pw-1");
    }
}
