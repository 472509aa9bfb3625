//! The app's side of the account flows (sign up, forgot password, change password): which login card shows,
//! the "Change password" dialog over the session, and turning the views' actions into worker commands
//! through `AppState`. The views are in `ui::account`; the I/O is the worker's.

use crate::app::App;
use crate::app::messages::{AccountAnswer, AccountRequest, RequestId};
use crate::ui::account::{AccountAction, LoginMode};
use crate::ui::login::identity_label;

impl App {
    /// The login card: the login form with its links, the sign-up form or the forgot-password form.
    pub(super) fn account_card_ui(&mut self, ui: &mut egui::Ui) {
        let connection = self.settings.selected();
        let action = match self.account.mode() {
            LoginMode::Login => {
                self.login_form_ui(ui);
                let enabled = !self.state.is_logging_in() && self.state.is_ready(&connection);
                self.account.login_links_ui(ui, enabled, &connection.key())
            }
            LoginMode::SignUp => {
                let busy = self.state.is_logging_in();
                self.account.sign_up_ui(ui, busy)
            }
            LoginMode::Forgot => {
                let label = identity_label(self.settings.identity_name(&connection)).to_owned();
                let typed = self.login.identity.trim().to_owned();
                self.account.forgot_ui(ui, &label, &typed)
            }
        };
        if let Some(action) = action {
            self.account_action(action);
        }
    }

    /// The "Change password" dialog, while open, over the session's view.
    pub(super) fn change_password_window_ui(&mut self, ctx: &egui::Context) {
        if let Some(action) = self.account.change_password_ui(ctx) {
            self.account_action(action);
        }
    }

    /// Sends what an account view asked for; the passwords move into the command (zeroed when dropped).
    fn account_action(&mut self, action: AccountAction) {
        let connection = self.settings.selected();
        let flow = action.flow();
        let mut cloudcode_key = None;
        let request = match action {
            AccountAction::LoadSignUpForm => AccountRequest::SignUpForm,
            AccountAction::RestorePassword { identity } => {
                AccountRequest::RestorePassword { identity }
            }
            AccountAction::SignUp {
                fields,
                identity,
                password,
            } => {
                // The URL and keys typed so far are worth keeping once they are used.
                self.save_settings();
                AccountRequest::SignUp {
                    fields,
                    identity,
                    password,
                    remember: self.login.remember,
                }
            }
            AccountAction::ChangePassword { current, new } => {
                let Some(session) = self.state.session().cloned() else {
                    return;
                };
                if session.connection == connection {
                    cloudcode_key = self.settings.cloudcode_key();
                }
                AccountRequest::ChangePassword {
                    session,
                    current,
                    new,
                }
            }
        };
        let (id, effects) = self
            .state
            .begin_account(&connection, cloudcode_key, request);
        if effects.is_empty() {
            return;
        }
        self.account.started(id, flow);
        self.run_effects(effects);
    }

    /// Hands a worker answer to the account views.
    pub(super) fn account_answer(&mut self, id: RequestId, answer: AccountAnswer) {
        let key = self.settings.selected().key();
        self.account.answer(id, answer, &key);
    }
}
