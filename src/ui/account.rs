//! The user's own account flows: *Create an account* (sign up, a form typed from the schema), *Forgot
//! password?* (the restore mail) and *Change password* (the current one first). Views only: they own their
//! text buffers, draw, and return an [`AccountAction`]; the app sends it to the worker and hands the answer
//! back with [`AccountViews::answer`]. Password buffers are zeroed as soon as they are handed over.

use std::collections::BTreeMap;

use zeroize::Zeroize as _;

use crate::app::messages::{AccountAnswer, Failure, PasswordChangeFailure, RequestId};
use crate::backendless::client::Password;
use crate::backendless::error::ApiError;
use crate::model::diff::Changeset;
use crate::model::registration::{self, FieldProblem};
use crate::model::schema::{PASSWORD, PropertyType, Schema};
use crate::ui::login::error_ui;

/// The label of the sign-up form's password field.
pub const SIGN_UP_PASSWORD_LABEL: &str = "Password";
/// The label of the sign-up form's repeated password field.
pub const SIGN_UP_CONFIRM_LABEL: &str = "Repeat the password";
/// The label of the new password's field (change password; the editor has its own "New password").
pub const NEW_PASSWORD_LABEL: &str = "Your new password";
/// The label of the repeated new password's field (change password).
pub const CONFIRM_PASSWORD_LABEL: &str = "Repeat the new password";
/// The label of the current password's field (change password).
pub const CURRENT_PASSWORD_LABEL: &str = "Current password";
/// The top bar's button that opens the change-password dialog.
pub const CHANGE_PASSWORD_BUTTON: &str = "Change password…";
/// The change-password dialog's button that sends.
pub const SET_PASSWORD_BUTTON: &str = "Set new password";
/// Said when the password was changed.
pub const PASSWORD_CHANGED: &str = "Your password was changed. Use the new one from now on.";
/// Said at the current password when it is not right.
pub const WRONG_CURRENT: &str = "This is not your current password.";
/// Said when the server does not take new sign-ups.
pub const REGISTRATION_CLOSED: &str = "This application does not take new sign-ups: registration is turned off on the server. Ask the application's administrator for an account.";

/// Which card the login screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginMode {
    /// The login form.
    #[default]
    Login,
    /// The sign-up form.
    SignUp,
    /// The forgot-password form.
    Forgot,
}

/// What the user asked for in an account view.
pub enum AccountAction {
    /// Describe `Users` (and find out whether sign-up is open) for the sign-up form.
    LoadSignUpForm,
    /// Register with these values, then log in.
    SignUp {
        /// The identity and the required properties, typed.
        fields: serde_json::Map<String, serde_json::Value>,
        /// The identity as typed, trimmed.
        identity: String,
        /// The new password.
        password: Password,
    },
    /// Send the restore-password mail of `identity`.
    RestorePassword {
        /// The identity as typed, trimmed.
        identity: String,
    },
    /// Check `current`, then set `new`.
    ChangePassword {
        /// The password now.
        current: Password,
        /// The password to set.
        new: Password,
    },
}

/// Which view waits for the answer to an [`AccountAction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountFlow {
    /// The sign-up form (its description, then the registration).
    SignUp,
    /// The forgot-password form.
    Forgot,
    /// The change-password dialog.
    ChangePassword,
}

impl AccountAction {
    /// The view that waits for the answer.
    pub fn flow(&self) -> AccountFlow {
        match self {
            Self::LoadSignUpForm | Self::SignUp { .. } => AccountFlow::SignUp,
            Self::RestorePassword { .. } => AccountFlow::Forgot,
            Self::ChangePassword { .. } => AccountFlow::ChangePassword,
        }
    }
}

impl std::fmt::Debug for AccountAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::LoadSignUpForm => "LoadSignUpForm",
            Self::SignUp { .. } => "SignUp",
            Self::RestorePassword { .. } => "RestorePassword",
            Self::ChangePassword { .. } => "ChangePassword",
        })
    }
}

/// One typed field of the sign-up form.
#[derive(Debug)]
struct SignUpField {
    name: String,
    ty: PropertyType,
    text: String,
}

/// The sign-up form's buffers and what the server said.
#[derive(Default)]
struct SignUpForm {
    /// The schema, once described.
    schema: Option<Schema>,
    /// The identity first, then every required property without a default, in schema order.
    fields: Vec<SignUpField>,
    password: String,
    confirm: String,
    /// Problems at fields (by property name, `password` for the password).
    errors: BTreeMap<String, String>,
    /// Under the form: a problem that concerns no one field.
    error: Option<String>,
    /// Set when the server refuses sign-ups: the form is shown disabled with this.
    closed: bool,
    /// The request in flight (describe or register).
    pending: Option<RequestId>,
}

impl SignUpForm {
    fn set_schema(&mut self, schema: Schema) {
        let mut old: BTreeMap<String, String> = self
            .fields
            .drain(..)
            .map(|field| (field.name, field.text))
            .collect();
        self.fields = registration::fields(&schema)
            .into_iter()
            .map(|(name, ty)| SignUpField {
                text: old.remove(&name).unwrap_or_default(),
                name,
                ty,
            })
            .collect();
        self.schema = Some(schema);
    }

    /// Checks every field; the action when all are fine (the password buffers are then zeroed).
    fn submit(&mut self) -> Option<AccountAction> {
        self.errors.clear();
        self.error = None;
        let mut fields = serde_json::Map::new();
        for field in &self.fields {
            match registration::parse(&field.ty, &field.text) {
                Ok(value) => {
                    fields.insert(field.name.clone(), value);
                }
                Err(FieldProblem::Empty) => {
                    self.errors
                        .insert(field.name.clone(), format!("Enter your {}.", field.name));
                }
                Err(FieldProblem::Invalid(message)) => {
                    self.errors.insert(field.name.clone(), message);
                }
            }
        }
        if self.password.is_empty() {
            self.errors
                .insert(PASSWORD.to_owned(), "Choose a password.".to_owned());
        } else if self.password != self.confirm {
            self.errors.insert(
                SIGN_UP_CONFIRM_LABEL.to_owned(),
                "The two passwords do not match.".to_owned(),
            );
        }
        if !self.errors.is_empty() {
            return None;
        }
        let identity = self
            .fields
            .first()
            .map(|field| field.text.trim().to_owned())
            .unwrap_or_default();
        let password = Password::new(std::mem::take(&mut self.password));
        self.confirm.zeroize();
        Some(AccountAction::SignUp {
            fields,
            identity,
            password,
        })
    }

    /// The server refused the sign-up: at its field, or under the form.
    fn refused(&mut self, failure: &Failure) {
        let Failure::Api(error) = failure else {
            self.error = Some(failure.to_string());
            return;
        };
        if error.is_registration_closed() {
            self.closed = true;
            return;
        }
        let text = error.to_string();
        let fields = self
            .schema
            .as_ref()
            .map(|schema| error.fields(schema, &Changeset::default()))
            .unwrap_or_default();
        let at = fields
            .into_iter()
            .find(|name| name == PASSWORD || self.fields.iter().any(|f| &f.name == name));
        match at {
            Some(name) => {
                self.errors.insert(name, text);
            }
            None => self.error = Some(text),
        }
    }
}

/// The forgot-password form.
#[derive(Default)]
struct ForgotForm {
    identity: String,
    /// At the identity field: why the server refused.
    error: Option<String>,
    /// Under the form: what happened, and where the Local demo keeps its mails.
    sent: Option<(String, Option<String>)>,
    pending: Option<RequestId>,
}

/// The change-password dialog's buffers.
#[derive(Default)]
struct ChangePasswordDialog {
    current: String,
    new: String,
    confirm: String,
    errors: BTreeMap<&'static str, String>,
    error: Option<String>,
    done: bool,
    pending: Option<RequestId>,
    /// Whether the keyboard focus has been put into the current password (once, when the dialog opens).
    focused: bool,
}

impl Drop for ChangePasswordDialog {
    fn drop(&mut self) {
        self.current.zeroize();
        self.new.zeroize();
        self.confirm.zeroize();
    }
}

impl ChangePasswordDialog {
    fn submit(&mut self) -> Option<AccountAction> {
        self.errors.clear();
        self.error = None;
        if self.current.is_empty() {
            self.errors.insert(
                CURRENT_PASSWORD_LABEL,
                "Enter your current password.".into(),
            );
        }
        if self.new.is_empty() {
            self.errors
                .insert(NEW_PASSWORD_LABEL, "Choose a new password.".into());
        } else if self.new != self.confirm {
            self.errors.insert(
                CONFIRM_PASSWORD_LABEL,
                "The two passwords do not match.".into(),
            );
        }
        if !self.errors.is_empty() {
            return None;
        }
        let current = Password::new(std::mem::take(&mut self.current));
        let new = Password::new(std::mem::take(&mut self.new));
        self.confirm.zeroize();
        Some(AccountAction::ChangePassword { current, new })
    }
}

/// The account views of the app: the login screen's cards and the change-password dialog.
#[derive(Default)]
pub struct AccountViews {
    mode: LoginMode,
    sign_up: SignUpForm,
    forgot: ForgotForm,
    change: Option<ChangePasswordDialog>,
    /// The connection (by its key) whose server refused sign-ups: its login form offers none.
    closed_for: Option<String>,
    /// Under the login form: the account was created but the login after it failed.
    note: Option<String>,
}

impl std::fmt::Debug for AccountViews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountViews")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl AccountViews {
    /// Which card the login screen shows.
    pub fn mode(&self) -> LoginMode {
        self.mode
    }

    /// Back to the login form (a login succeeded, the connection changed).
    pub fn show_login(&mut self) {
        self.mode = LoginMode::Login;
    }

    /// Whether the change-password dialog is open.
    pub fn is_changing_password(&self) -> bool {
        self.change.is_some()
    }

    /// Opens the change-password dialog.
    pub fn open_change_password(&mut self) {
        if self.change.is_none() {
            self.change = Some(ChangePasswordDialog::default());
        }
    }

    /// A session began or ended: the change-password dialog closes (what was typed is zeroed) and the
    /// login screen will show the login form.
    pub fn reset_for_session(&mut self) {
        self.change = None;
        self.mode = LoginMode::Login;
        self.note = None;
    }

    /// An action of `flow` went to the worker as request `id`: its answer is awaited.
    pub fn started(&mut self, id: RequestId, flow: AccountFlow) {
        match flow {
            AccountFlow::SignUp => self.sign_up.pending = Some(id),
            AccountFlow::Forgot => self.forgot.pending = Some(id),
            AccountFlow::ChangePassword => {
                if let Some(change) = &mut self.change {
                    change.pending = Some(id);
                }
            }
        }
    }

    /// The worker's answer to request `id` on `connection_key`; an answer nobody waits for is dropped.
    pub fn answer(&mut self, id: RequestId, answer: AccountAnswer, connection_key: &str) {
        match answer {
            AccountAnswer::SignUpForm {
                schema,
                registration_open,
            } if self.sign_up.pending == Some(id) => {
                self.sign_up.pending = None;
                self.sign_up.closed = !registration_open;
                match schema {
                    Ok(schema) => self.sign_up.set_schema(schema),
                    Err(failure) => self.sign_up.error = Some(failure.to_string()),
                }
                if !registration_open {
                    self.closed_for = Some(connection_key.to_owned());
                }
            }
            AccountAnswer::SignUpFailed(failure) if self.sign_up.pending == Some(id) => {
                self.sign_up.pending = None;
                self.sign_up.refused(&failure);
                if self.sign_up.closed {
                    self.closed_for = Some(connection_key.to_owned());
                }
            }
            AccountAnswer::SignedUpLoginFailed { failure, .. }
                if self.sign_up.pending == Some(id) =>
            {
                self.sign_up = SignUpForm::default();
                self.mode = LoginMode::Login;
                self.note = Some(format!(
                    "Your account was created, but logging in failed: {failure}"
                ));
            }
            AccountAnswer::RestoreSent { identity, outbox } if self.forgot.pending == Some(id) => {
                self.forgot.pending = None;
                self.forgot.error = None;
                self.forgot.sent = Some((identity, outbox));
            }
            AccountAnswer::RestoreFailed(failure) if self.forgot.pending == Some(id) => {
                self.forgot.pending = None;
                self.forgot.sent = None;
                self.forgot.error = Some(failure.to_string());
            }
            AccountAnswer::PasswordChanged { .. } => {
                if let Some(change) = self.change.as_mut().filter(|c| c.pending == Some(id)) {
                    change.pending = None;
                    change.done = true;
                }
            }
            AccountAnswer::PasswordChangeFailed { failure, .. } => {
                if let Some(change) = self.change.as_mut().filter(|c| c.pending == Some(id)) {
                    change.pending = None;
                    match failure {
                        PasswordChangeFailure::WrongCurrent => {
                            change
                                .errors
                                .insert(CURRENT_PASSWORD_LABEL, WRONG_CURRENT.to_owned());
                        }
                        PasswordChangeFailure::Failed(Failure::Api(
                            error @ ApiError::PasswordCheckNeedsCloudCodeKey { .. },
                        )) => change.error = Some(error.to_string()),
                        PasswordChangeFailure::Failed(Failure::Api(
                            error @ (ApiError::UpdateFailed { .. }
                            | ApiError::RequiredPropertyEmpty { .. }),
                        )) => {
                            change.errors.insert(NEW_PASSWORD_LABEL, error.to_string());
                        }
                        PasswordChangeFailure::Failed(failure) => {
                            change.error = Some(failure.to_string());
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The links under the login form: "Forgot password?" and, unless this connection's server refused
    /// sign-ups, "Create an account". Opening a card returns the request it needs first, if any.
    pub fn login_links_ui(
        &mut self,
        ui: &mut egui::Ui,
        enabled: bool,
        connection_key: &str,
    ) -> Option<AccountAction> {
        let mut action = None;
        if let Some(note) = &self.note {
            error_ui(ui, note);
        }
        ui.add_space(6.0);
        ui.horizontal_wrapped(|ui| {
            ui.add_enabled_ui(enabled, |ui| {
                if ui
                    .link("Forgot password?")
                    .on_hover_text("Get a mail with a link to set a new password")
                    .clicked()
                {
                    self.mode = LoginMode::Forgot;
                    self.note = None;
                    self.forgot.error = None;
                    self.forgot.sent = None;
                }
                let closed = self.closed_for.as_deref() == Some(connection_key);
                if !closed {
                    ui.separator();
                    if ui
                        .link("Create an account")
                        .on_hover_text("Sign up for a new account on this server")
                        .clicked()
                    {
                        self.mode = LoginMode::SignUp;
                        self.note = None;
                        self.sign_up.error = None;
                        self.sign_up.errors.clear();
                        action = Some(AccountAction::LoadSignUpForm);
                    }
                }
            });
        });
        action
    }

    /// The sign-up card; `busy` while a login is in flight.
    pub fn sign_up_ui(&mut self, ui: &mut egui::Ui, busy: bool) -> Option<AccountAction> {
        let form = &mut self.sign_up;
        let mut action = None;
        ui.heading("Create an account");
        if form.closed {
            error_ui(ui, REGISTRATION_CLOSED);
        } else {
            ui.weak("Your identity, a password and what this application requires.");
        }
        ui.add_space(6.0);
        let waiting = form.pending.is_some() || busy;
        if form.schema.is_none() && form.pending.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading what this application asks for…");
            });
        }
        let enabled = !waiting && !form.closed && form.schema.is_some();
        let mut submit = false;
        ui.add_enabled_ui(enabled, |ui| {
            egui::Grid::new("sign_up_form")
                .num_columns(2)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    for field in &mut form.fields {
                        let label = ui.label(&field.name);
                        ui.vertical(|ui| {
                            let hint = type_hint(&field.ty);
                            let response = ui
                                .add(
                                    egui::TextEdit::singleline(&mut field.text)
                                        .hint_text(hint)
                                        .desired_width(260.0),
                                )
                                .labelled_by(label.id);
                            if response.changed() {
                                form.errors.remove(&field.name);
                            }
                            submit |= entered(ui, &response);
                            if let Some(error) = form.errors.get(&field.name) {
                                error_ui(ui, error);
                            }
                        });
                        ui.end_row();
                    }
                    let label = ui.label(SIGN_UP_PASSWORD_LABEL);
                    ui.vertical(|ui| {
                        let response = ui
                            .add(
                                egui::TextEdit::singleline(&mut form.password)
                                    .password(true)
                                    .desired_width(260.0),
                            )
                            .labelled_by(label.id);
                        if response.changed() {
                            form.errors.remove(PASSWORD);
                        }
                        submit |= entered(ui, &response);
                        if let Some(error) = form.errors.get(PASSWORD) {
                            error_ui(ui, error);
                        }
                    });
                    ui.end_row();
                    let label = ui.label(SIGN_UP_CONFIRM_LABEL);
                    ui.vertical(|ui| {
                        let response = ui
                            .add(
                                egui::TextEdit::singleline(&mut form.confirm)
                                    .password(true)
                                    .desired_width(260.0),
                            )
                            .labelled_by(label.id);
                        if response.changed() {
                            form.errors.remove(SIGN_UP_CONFIRM_LABEL);
                        }
                        submit |= entered(ui, &response);
                        if let Some(error) = form.errors.get(SIGN_UP_CONFIRM_LABEL) {
                            error_ui(ui, error);
                        }
                    });
                    ui.end_row();
                });
        });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            submit |= ui
                .add_enabled(
                    enabled,
                    egui::Button::new("Create account").min_size([110.0, 0.0].into()),
                )
                .clicked();
            if ui.button("Back to log in").clicked() {
                self.mode = LoginMode::Login;
            }
            if waiting && form.schema.is_some() {
                ui.spinner();
                ui.label("Creating your account…");
            }
        });
        if let Some(error) = &form.error {
            ui.add_space(4.0);
            error_ui(ui, error);
        }
        if submit && enabled {
            action = form.submit();
        }
        action
    }

    /// The forgot-password card. `typed_identity` fills an empty identity field (what the login form holds).
    pub fn forgot_ui(
        &mut self,
        ui: &mut egui::Ui,
        identity_label: &str,
        typed_identity: &str,
    ) -> Option<AccountAction> {
        let form = &mut self.forgot;
        if form.identity.is_empty() && !typed_identity.is_empty() && form.sent.is_none() {
            form.identity = typed_identity.to_owned();
        }
        let mut submit = false;
        ui.heading("Forgot your password?");
        ui.weak("The server mails the account a link to set a new password.");
        ui.add_space(6.0);
        let busy = form.pending.is_some();
        egui::Grid::new("forgot_form")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                let label = ui.label(identity_label);
                ui.vertical(|ui| {
                    let response = ui
                        .add_enabled(
                            !busy,
                            egui::TextEdit::singleline(&mut form.identity).desired_width(260.0),
                        )
                        .labelled_by(label.id);
                    if response.changed() {
                        form.error = None;
                    }
                    submit |= entered(ui, &response);
                    if let Some(error) = &form.error {
                        error_ui(ui, error);
                    }
                });
                ui.end_row();
            });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            submit |= ui
                .add_enabled(!busy, egui::Button::new("Send reset mail"))
                .clicked();
            if ui.button("Back to log in").clicked() {
                self.mode = LoginMode::Login;
            }
            if busy {
                ui.spinner();
            }
        });
        if let Some((identity, outbox)) = &form.sent {
            ui.add_space(6.0);
            ui.add(
                egui::Label::new(format!(
                    "A mail with a link to set a new password was sent to the account {identity}. \
                     Follow the link, then log in with the new password."
                ))
                .wrap(),
            );
            if let Some(outbox) = outbox {
                ui.add(
                    egui::Label::new(
                        "The local demo server sends no real mail: it keeps the mails it would have sent, \
                         and the link works from there. Read them at:",
                    )
                    .wrap(),
                );
                ui.hyperlink(outbox);
            }
        }
        let identity = form.identity.trim().to_owned();
        if submit && !busy {
            if identity.is_empty() {
                form.error = Some(format!("Enter your {identity_label}."));
                return None;
            }
            form.error = None;
            form.sent = None;
            return Some(AccountAction::RestorePassword { identity });
        }
        None
    }

    /// The change-password dialog, when open (a modal over the editor).
    pub fn change_password_ui(&mut self, ctx: &egui::Context) -> Option<AccountAction> {
        let change = self.change.as_mut()?;
        let mut action = None;
        let mut close = false;
        let modal = egui::Modal::new(egui::Id::unique("change_password")).show(ctx, |ui| {
            ui.set_max_width(440.0);
            ui.heading("Change your password");
            if change.done {
                ui.label(PASSWORD_CHANGED);
                ui.add_space(8.0);
                close = ui.button("Close").clicked();
                return;
            }
            ui.weak("Your current password is checked before the new one is set.");
            ui.add_space(6.0);
            let busy = change.pending.is_some();
            let mut submit = false;
            ui.add_enabled_ui(!busy, |ui| {
                egui::Grid::new("change_password_form")
                    .num_columns(2)
                    .spacing([12.0, 8.0])
                    .show(ui, |ui| {
                        for (label_text, buffer) in [
                            (CURRENT_PASSWORD_LABEL, &mut change.current),
                            (NEW_PASSWORD_LABEL, &mut change.new),
                            (CONFIRM_PASSWORD_LABEL, &mut change.confirm),
                        ] {
                            let label = ui.label(label_text);
                            ui.vertical(|ui| {
                                let response = ui
                                    .add(
                                        egui::TextEdit::singleline(buffer)
                                            .password(true)
                                            .desired_width(220.0),
                                    )
                                    .labelled_by(label.id);
                                if response.changed() {
                                    change.errors.remove(label_text);
                                }
                                // Ready to type the current password as soon as the dialog opens.
                                if label_text == CURRENT_PASSWORD_LABEL && !change.focused {
                                    change.focused = true;
                                    response.request_focus();
                                }
                                submit |= entered(ui, &response);
                                if let Some(error) = change.errors.get(label_text) {
                                    error_ui(ui, error);
                                }
                            });
                            ui.end_row();
                        }
                    });
            });
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                submit |= ui
                    .add_enabled(!busy, egui::Button::new(SET_PASSWORD_BUTTON))
                    .clicked();
                close = ui.button("Cancel").clicked();
                if busy {
                    ui.spinner();
                    ui.label("Checking…");
                }
            });
            if let Some(error) = &change.error {
                ui.add_space(4.0);
                error_ui(ui, error);
            }
            if submit && !busy {
                action = change.submit();
            }
        });
        if modal.should_close() && change.pending.is_none() {
            close = true;
        }
        if close {
            self.change = None;
        }
        action
    }
}

/// Enter pressed in this text field.
fn entered(ui: &egui::Ui, response: &egui::Response) -> bool {
    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}

/// What a field of this type takes, as a hint inside it.
fn type_hint(ty: &PropertyType) -> String {
    match ty {
        PropertyType::Int => "a whole number".to_owned(),
        PropertyType::Double => "a number, e.g. 1.5".to_owned(),
        PropertyType::Boolean => "true or false".to_owned(),
        PropertyType::DateTime => "e.g. 2026-12-01 16:18".to_owned(),
        PropertyType::Json => "JSON, e.g. {\"a\": 1}".to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backendless::wire::Fault;

    fn schema() -> Schema {
        crate::model::test_fixtures::registration_schema()
    }

    #[test]
    fn the_sign_up_form_is_typed_and_checked_before_anything_is_sent() {
        let mut form = SignUpForm::default();
        form.set_schema(schema());
        let names: Vec<_> = form.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["email", "age"]);
        form.fields[0].text = " dora@example.com ".into();
        form.fields[1].text = "4x".into();
        form.password = "pw-1".into();
        form.confirm = "pw-2".into();
        assert!(form.submit().is_none());
        assert!(form.errors.contains_key("age"));
        assert!(form.errors.contains_key(SIGN_UP_CONFIRM_LABEL));
        form.fields[1].text = "41".into();
        form.confirm = "pw-1".into();
        let Some(AccountAction::SignUp {
            fields,
            identity,
            password,
        }) = form.submit()
        else {
            panic!("the form is complete");
        };
        assert_eq!(identity, "dora@example.com");
        assert_eq!(fields["age"], 41);
        assert_eq!(fields["email"], "dora@example.com");
        assert_eq!(password.expose(), "pw-1");
        assert!(form.password.is_empty() && form.confirm.is_empty());
    }

    #[test]
    fn server_refusals_land_at_their_field() {
        let mut form = SignUpForm::default();
        form.set_schema(schema());
        form.refused(&Failure::Api(ApiError::from_fault(
            409,
            Fault::new(3033, "User already exists"),
        )));
        assert!(form.errors["email"].contains("already exists"));
        form.refused(&Failure::Api(ApiError::from_fault(
            400,
            Fault::new(3011, "password missing"),
        )));
        assert!(form.errors.contains_key(PASSWORD));
        form.refused(&Failure::Api(ApiError::from_fault(
            403,
            Fault::new(3009, "User registration is denied"),
        )));
        assert!(form.closed);
    }

    #[test]
    fn action_debug_shows_no_password() {
        let action = AccountAction::ChangePassword {
            current: Password::new("hunter2".into()),
            new: Password::new("hunter3".into()),
        };
        assert_eq!(format!("{action:?}"), "ChangePassword");
    }
}
