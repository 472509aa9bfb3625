//! The login form: identity, password, "Remember me", the inline error under the form and, for the Local
//! demo, the demo accounts. Owns only its text buffers; it draws and returns a `LoginAction`.

/// A demo account of the Local demo (CONTRACT.md §2), shown on the login screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoAccount {
    /// Login identity (email).
    pub identity: &'static str,
    /// Password.
    pub password: &'static str,
    /// What is special about the account.
    pub note: &'static str,
}

/// The demo accounts the emulator creates with `--demo`.
pub const DEMO_ACCOUNTS: [DemoAccount; 3] = [
    DemoAccount {
        identity: "alice@example.com",
        password: "alice-pass-1",
        note: "every property type filled in",
    },
    DemoAccount {
        identity: "bob@example.com",
        password: "bob-pass-1",
        note: "a sparse record",
    },
    DemoAccount {
        identity: "admin@example.com",
        password: "admin-pass-1",
        note: "holds the Admin role",
    },
];

/// What the user asked for on the login form.
#[derive(Clone, PartialEq, Eq)]
pub enum LoginAction {
    /// Sent when the user clicks "Log in" or presses Enter in the form.
    Submit {
        /// The identity as typed (trimmed by the app).
        identity: String,
        /// The password as typed. Secret: never logged.
        password: String,
        /// Keep the session for the next start.
        remember: bool,
    },
}

impl std::fmt::Debug for LoginAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Submit {
                identity, remember, ..
            } => f
                .debug_struct("Submit")
                .field("identity", identity)
                .field("password", &"<redacted>")
                .field("remember", remember)
                .finish(),
        }
    }
}

/// What the login form shows besides its buffers; read from the app state each frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoginStatus<'a> {
    /// A login request is in flight: the button is disabled and a spinner shows.
    pub busy: bool,
    /// The connection cannot be used yet (the local server is starting, or it failed).
    pub connection_ready: bool,
    /// Why the last attempt failed, in plain words; shown under the form.
    pub error: Option<&'a str>,
    /// A neutral note above the form, e.g. why the user was sent back to log in.
    pub notice: Option<&'a str>,
    /// Show the demo accounts (Local demo connection).
    pub show_demo_accounts: bool,
    /// The app's identity property when it is known for this connection (learnt after a login): a
    /// non-email identity (`username`) labels the identity field.
    pub identity_name: Option<&'a str>,
}

/// The label of the identity field: "Identity" for an email identity or an unknown one, else the identity
/// property's own name.
pub fn identity_label(identity_name: Option<&str>) -> &str {
    match identity_name.map(str::trim) {
        None | Some("") | Some("email") => "Identity",
        Some(name) => name,
    }
}

/// The login form's buffers.
#[derive(Default)]
pub struct LoginView {
    /// The identity as typed; kept across failed attempts, logouts and ended sessions.
    pub identity: String,
    /// The password as typed; kept across failed attempts, cleared after a successful login.
    password: String,
    /// "Remember me".
    pub remember: bool,
    /// Whether the keyboard focus has been put into the form (once, when it first shows).
    focused: bool,
}

impl std::fmt::Debug for LoginView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginView")
            .field("identity", &self.identity)
            .field("remember", &self.remember)
            .finish()
    }
}

impl LoginView {
    /// Puts the keyboard focus into the form again the next time it is drawn (the login screen came back).
    pub fn refocus(&mut self) {
        self.focused = false;
    }

    /// Forgets the typed password, after it has been used successfully.
    pub fn clear_password(&mut self) {
        self.password.clear();
    }

    /// Draws the form; returns the action the user took this frame, if any.
    pub fn ui(&mut self, ui: &mut egui::Ui, status: LoginStatus<'_>) -> Option<LoginAction> {
        let mut submit = false;
        if let Some(notice) = status.notice {
            notice_ui(ui, notice);
            ui.add_space(6.0);
        }
        egui::Grid::new("login_form")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                let label = identity_label(status.identity_name);
                let hint = if label == "Identity" {
                    "email, e.g. alice@example.com".to_owned()
                } else {
                    format!("your {label}")
                };
                let identity_label = ui.label(label);
                let identity = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.identity)
                            .hint_text(hint)
                            .desired_width(260.0),
                    )
                    .labelled_by(identity_label.id);
                let identity_entered =
                    identity.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.end_row();

                let password_label = ui.label("Password");
                let password = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.password)
                            .password(true)
                            .desired_width(260.0),
                    )
                    .labelled_by(password_label.id);
                submit |= password.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.end_row();

                // Enter in the identity field moves on to an empty password, or submits.
                if identity_entered {
                    if self.password.is_empty() {
                        password.request_focus();
                    } else {
                        submit = true;
                    }
                }

                // Ready to type: the identity, or the password when the identity is already known.
                if !self.focused {
                    self.focused = true;
                    if self.identity.is_empty() {
                        identity.request_focus();
                    } else {
                        password.request_focus();
                    }
                }

                ui.label("");
                ui.checkbox(&mut self.remember, "Remember me")
                    .on_hover_text(
                        "Keep the session on this computer (the password is never stored)",
                    );
                ui.end_row();
            });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let enabled = !status.busy && status.connection_ready;
            submit |= ui
                .add_enabled(
                    enabled,
                    egui::Button::new("Log in").min_size([90.0, 0.0].into()),
                )
                .clicked();
            if status.busy {
                ui.spinner();
                ui.label("Logging in…");
            }
        });
        if let Some(error) = status.error {
            ui.add_space(4.0);
            error_ui(ui, error);
        }
        if status.show_demo_accounts {
            ui.add_space(12.0);
            self.demo_accounts_ui(ui);
        }
        let can_submit = !status.busy && status.connection_ready;
        (submit && can_submit).then(|| LoginAction::Submit {
            identity: self.identity.clone(),
            password: self.password.clone(),
            remember: self.remember,
        })
    }

    /// The demo accounts; clicking one fills the form.
    fn demo_accounts_ui(&mut self, ui: &mut egui::Ui) {
        ui.label(egui::RichText::new("Demo accounts").strong());
        ui.weak("Click an account to fill in the form.");
        egui::Grid::new("demo_accounts")
            .num_columns(3)
            .spacing([12.0, 4.0])
            .striped(true)
            .show(ui, |ui| {
                for account in DEMO_ACCOUNTS {
                    if ui
                        .link(account.identity)
                        .on_hover_text("Fill in this account")
                        .clicked()
                    {
                        self.identity = account.identity.to_owned();
                        self.password = account.password.to_owned();
                    }
                    ui.monospace(account.password);
                    ui.weak(account.note);
                    ui.end_row();
                }
            });
    }
}

/// A red line, for an error in plain words. (No warning sign: egui's default fonts have no U+26A0.)
pub fn error_ui(ui: &mut egui::Ui, message: &str) {
    let color = ui.visuals().error_fg_color;
    ui.add(egui::Label::new(egui::RichText::new(message).color(color)).wrap());
}

/// A framed neutral note.
fn notice_ui(ui: &mut egui::Ui, message: &str) {
    egui::Frame::new()
        .fill(ui.visuals().warn_fg_color.gamma_multiply(0.12))
        .stroke(egui::Stroke::new(1.0, ui.visuals().warn_fg_color))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.add(egui::Label::new(message).wrap());
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;

    struct Form {
        view: LoginView,
        last: Option<LoginAction>,
        demo: bool,
    }

    fn harness(demo: bool) -> Harness<'static, Form> {
        Harness::new_ui_state(
            |ui, form: &mut Form| {
                let status = LoginStatus {
                    connection_ready: true,
                    show_demo_accounts: form.demo,
                    ..Default::default()
                };
                if let Some(action) = form.view.ui(ui, status) {
                    form.last = Some(action);
                }
            },
            Form {
                view: LoginView::default(),
                last: None,
                demo,
            },
        )
    }

    #[test]
    fn clicking_a_demo_account_fills_the_form_and_log_in_submits_it() {
        let mut harness = harness(true);
        harness.get_by_label("bob@example.com").click();
        harness.run();
        harness.get_by_label("Log in").click();
        harness.run();
        assert_eq!(
            harness.state().last,
            Some(LoginAction::Submit {
                identity: "bob@example.com".to_owned(),
                password: "bob-pass-1".to_owned(),
                remember: false
            })
        );
    }

    #[test]
    fn enter_moves_from_identity_to_password_then_submits() {
        let mut harness = harness(false);
        harness.get_by_label("Identity").focus();
        harness.run();
        harness
            .get_by_label("Identity")
            .type_text("alice@example.com");
        harness.key_press(egui::Key::Enter);
        harness.run();
        assert_eq!(harness.state().last, None);
        assert!(harness.get_by_label("Password").is_focused());
        harness.get_by_label("Password").type_text("pw");
        harness.key_press(egui::Key::Enter);
        harness.run();
        assert_eq!(
            harness.state().last,
            Some(LoginAction::Submit {
                identity: "alice@example.com".to_owned(),
                password: "pw".to_owned(),
                remember: false
            })
        );
    }

    #[test]
    fn demo_accounts_are_hidden_for_other_connections() {
        let harness = harness(false);
        assert!(harness.query_by_label("alice@example.com").is_none());
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let action = LoginAction::Submit {
            identity: "a".to_owned(),
            password: "hunter2".to_owned(),
            remember: true,
        };
        assert!(!format!("{action:?}").contains("hunter2"));
    }
}
