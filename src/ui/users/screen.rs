//! The Users browser as the app holds it for a session: whether the user is an admin (from their roles),
//! the "Users" / "Your profile" switch, and the [`UsersView`], built when first shown and kept for the
//! session. Draws and returns [`UsersOutcome`]s; answers go straight to [`UsersView::answer`]. Sends
//! nothing itself: the app hands the requests to the worker (`app::users::run`).

use crate::backendless::error::ApiError;
use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;
use crate::model::schema::Schema;
use crate::users_admin::requests::{UsersAnswer, UsersOutcome, UsersRequest};

use super::UsersView;

/// Why no native save dialog can be shown here, if that is known up front (Linux without a desktop
/// session).
pub fn dialog_unavailable_reason() -> Option<&'static str> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
        && std::env::var_os("XDG_RUNTIME_DIR").is_none()
    {
        Some(
            "No native file dialog is available here (no desktop session bus). Type the path to save to.",
        )
    } else {
        None
    }
}

/// The Users browser of one session: whether the user is an admin, which view is shown, the view.
#[derive(Default)]
pub struct UsersScreen {
    /// Whether the logged-in user holds `Admin` (from `users/userroles`); false until the answer comes.
    is_admin: bool,
    /// Whether the admin is looking at the Users view (otherwise their own profile).
    showing_users: bool,
    /// The schema of the profile, to type the records (the view reads it again itself when it changed).
    schema: Option<Schema>,
    /// The browser; built when first shown, kept for the session (its filter and scroll position with it).
    view: Option<UsersView>,
    /// The logged-in admin's objectId: their own account is not disabled or deleted from the browser.
    own_object_id: Option<ObjectId>,
}

impl UsersScreen {
    /// A fresh screen for a new session over `schema`; nobody is an admin until the roles say so.
    pub fn new(schema: Schema) -> Self {
        Self {
            schema: Some(schema),
            ..Self::default()
        }
    }

    /// The logged-in user's objectId (their own account is protected from disable and delete).
    pub fn set_own_object_id(&mut self, object_id: ObjectId) {
        if let Some(view) = &mut self.view {
            view.set_own_object_id(object_id.clone());
        }
        self.own_object_id = Some(object_id);
    }

    /// The user's roles arrived (read with the schema at login): the Users view is offered to admins. A
    /// failure keeps what was known.
    pub fn roles_loaded(&mut self, roles: Result<Vec<String>, ApiError>) {
        match roles {
            Ok(roles) => self.is_admin = crate::users_admin::is_admin(&roles),
            Err(error) => tracing::warn!("cannot read the user's roles: {error}"),
        }
    }

    /// Whether the Users view is offered.
    pub fn is_admin(&self) -> bool {
        self.is_admin
    }

    /// Whether the Users view is shown now.
    pub fn is_showing_users(&self) -> bool {
        self.is_admin && self.showing_users
    }

    /// The record to open in the record editor, once it was read again (see `app::record_editor`).
    pub fn take_edit_request(&mut self) -> Option<UserRecord> {
        self.view.as_mut()?.take_edit_request()
    }

    /// Reads `copy` again before it is edited (the record editor's Reload); the answer comes back through
    /// [`UsersScreen::answer`] like any other. `None` before the browser was built.
    pub fn read_then_edit(&mut self, copy: UserRecord) -> Option<UsersRequest> {
        Some(self.view.as_mut()?.read_then_edit(copy))
    }

    /// Reads the count and the rows again, keeping filter and place (after a record was edited).
    pub fn refresh(&mut self) {
        if let Some(view) = &mut self.view {
            view.refresh();
        }
    }

    /// The browser, once built; read by tests.
    pub fn view(&self) -> Option<&UsersView> {
        self.view.as_ref()
    }

    /// Hands an answer to the browser (which drops it unless it awaits its ticket).
    pub fn answer(&mut self, answer: UsersAnswer) {
        if let Some(view) = &mut self.view {
            view.answer(answer);
        }
    }

    /// The same user logged in again after the session ended: load what failed meanwhile.
    pub fn resumed(&mut self) {
        if let Some(view) = &mut self.view {
            view.retry();
        }
    }

    /// Shows the Users view (History's "Revert this change" of another user's record, open in the
    /// record editor there).
    pub fn show_users(&mut self) {
        self.showing_users = true;
    }

    /// Shows the own profile instead of the Users view (History's "Revert this change").
    pub fn show_profile(&mut self) {
        self.showing_users = false;
    }

    /// Draws the browser inactive, as it was (under the re-login prompt); nothing is asked for.
    pub fn inactive_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(view) = &mut self.view {
            view.inactive_ui(ui);
        }
    }

    /// "Your profile" / "Users" switch, drawn only for admins.
    pub fn switch_ui(&mut self, ui: &mut egui::Ui) {
        if !self.is_admin {
            return;
        }
        ui.selectable_value(&mut self.showing_users, true, "Users");
        ui.selectable_value(&mut self.showing_users, false, "Your profile");
        ui.separator();
    }

    /// Draws the browser (building it with the remembered `columns` the first time); returns the request to
    /// send, or the new column choice to remember.
    pub fn ui(&mut self, ui: &mut egui::Ui, columns: &[String]) -> Option<UsersOutcome> {
        let own = self.own_object_id.clone();
        let schema = &self.schema;
        let view = self.view.get_or_insert_with(|| {
            let mut view = UsersView::new(schema.clone().unwrap_or_default(), columns);
            if let Some(own) = own {
                view.set_own_object_id(own);
            }
            // The native dialog is always tried first: the path field shows only once it gave no path.
            view.set_no_dialog_reason(dialog_unavailable_reason());
            view
        });
        view.ui(ui)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_role_offers_the_users_view() {
        let mut screen = UsersScreen::new(Schema::default());
        assert!(!screen.is_admin());
        screen.roles_loaded(Ok(vec!["AuthenticatedUser".into(), "RestUser".into()]));
        assert!(!screen.is_admin());
        screen.showing_users = true;
        assert!(!screen.is_showing_users(), "a regular user never sees it");
        screen.roles_loaded(Ok(vec!["AuthenticatedUser".into(), "Admin".into()]));
        assert!(screen.is_admin() && screen.is_showing_users());
        // A failed roles request keeps what was known.
        screen.roles_loaded(Err(ApiError::Timeout));
        assert!(screen.is_admin());
    }
}
