//! The admin's actions on one user, drawn in the inspector under the record's header: status (enable /
//! disable), roles (list, assign, take away), delete after typing the identity; plus the role filter
//! next to the quick search. Each control shows its own outcome beside it in plain words. Draws and
//! queues `UsersRequest::Admin` requests; the answers come back through [`UsersView::admin_answer`].

use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;
use crate::users_admin::bulk::BulkControl;
use crate::users_admin::manage::{
    AdminAnswer, AdminOp, AdminRequest, RoleChange, TypedConfirmation, failure_text, is_disabled,
};
use crate::users_admin::selection::Selection;
use crate::users_admin::{MAX_ROLE_FILTER_USERS, RoleFilter};

use super::UsersView;

/// A bulk action in progress.
#[derive(Debug)]
pub(super) struct RunningBulk {
    /// What it does ("Disabling").
    pub(super) doing: &'static str,
    /// Progress and Cancel.
    pub(super) control: std::sync::Arc<BulkControl>,
    /// Selected rows that were not loaded (their page was evicted): skipped, and named in the summary.
    pub(super) skipped_rows: Vec<usize>,
    /// The admin's own account, left out of a bulk disable (named in the summary).
    pub(super) own: Option<crate::users_admin::bulk::BulkTarget>,
}

/// What the admin parts of the view hold between frames.
#[derive(Debug, Default)]
pub(super) struct AdminState {
    /// The user whose roles / status / delete controls the inspector shows (reset when it changes).
    pub(super) shown: Option<ObjectId>,
    /// Their roles: `None` while asked for, `Err` with why not.
    pub(super) roles: Option<Result<Vec<String>, String>>,
    /// The role name typed to assign.
    pub(super) role_text: String,
    /// A role change on its way.
    pub(super) role_busy: bool,
    /// The outcome of the last role change, beside the roles control: (ok, text).
    pub(super) role_message: Option<(bool, String)>,
    /// A status change on its way.
    pub(super) status_busy: bool,
    /// The outcome of the last status change, beside the status control.
    pub(super) status_message: Option<(bool, String)>,
    /// The delete confirmation, while open.
    pub(super) delete_confirm: Option<TypedConfirmation>,
    /// A delete on its way.
    pub(super) delete_busy: bool,
    /// Why the last delete did not happen, beside the delete control.
    pub(super) delete_error: Option<String>,
    /// A message for the whole view (a user was deleted and where its copy is): (ok, text).
    pub(super) notice: Option<(bool, String)>,
    /// The role filter box.
    pub(super) role_filter_text: String,
    /// The role whose users are being asked for.
    pub(super) role_filter_busy: Option<String>,
    /// Why the role filter could not be applied, beside it.
    pub(super) role_filter_error: Option<String>,
    /// The rows selected for bulk actions.
    pub(super) selection: Selection,
    /// The bulk action running now.
    pub(super) bulk: Option<RunningBulk>,
    /// The role typed for a bulk assign.
    pub(super) bulk_role_text: String,
    /// The summary of the last bulk action: (all went well, text).
    pub(super) bulk_summary: Option<(bool, String)>,
    /// "Export selection" asked for a path: the next path chosen exports the selection.
    pub(super) bulk_export_pending: bool,
    /// The "New user" form, while open.
    pub(super) create: Option<super::create::CreateForm>,
    /// The logged-in admin's objectId: not disabled or deleted from here (it would lock them out).
    pub(super) own_object_id: Option<ObjectId>,
}

/// Why the admin's own account is left alone.
pub const OWN_ACCOUNT_NOTE: &str =
    "this is your own account: disabling or deleting it here would lock you out.";

impl UsersView {
    /// The logged-in admin's objectId: their own account cannot be disabled or deleted from this view.
    pub fn set_own_object_id(&mut self, object_id: ObjectId) {
        self.admin.own_object_id = Some(object_id);
    }

    /// The answer to an admin request: each outcome goes beside the control it came from; a deleted
    /// user leaves the table, and a status change shows in its row.
    pub fn admin_answer(&mut self, answer: AdminAnswer) {
        let admin = &mut self.admin;
        match answer {
            AdminAnswer::StatusSet {
                object_id,
                enabled,
                result,
            } => {
                admin.status_busy = false;
                let shown = admin.shown.as_ref() == Some(&object_id);
                match result {
                    Ok(record) => {
                        if shown {
                            admin.status_message = Some((
                                true,
                                if enabled {
                                    "Enabled: this user can log in again.".to_owned()
                                } else {
                                    "Disabled: this user cannot log in (3090) until enabled."
                                        .to_owned()
                                },
                            ));
                        }
                        if let (Some(record), Some(selected)) = (record, &mut self.selected)
                            && *selected.object_id() == object_id
                        {
                            *selected = record;
                        }
                        self.refresh();
                    }
                    Err(failure) => {
                        if shown {
                            admin.status_message =
                                Some((false, failure_text(&AdminOp::SetStatus(enabled), &failure)));
                        }
                    }
                }
            }
            AdminAnswer::Roles { object_id, result } => {
                if admin.shown.as_ref() == Some(&object_id) {
                    admin.roles =
                        Some(result.map_err(|failure| failure_text(&AdminOp::ReadRoles, &failure)));
                }
            }
            AdminAnswer::RoleChanged {
                object_id,
                role,
                change,
                result,
            } => {
                admin.role_busy = false;
                if admin.shown.as_ref() != Some(&object_id) {
                    return;
                }
                match result {
                    Ok(()) => {
                        admin.role_message = Some((
                            true,
                            match change {
                                RoleChange::Assign => format!("Assigned the role \"{role}\"."),
                                RoleChange::Unassign => format!("Took away the role \"{role}\"."),
                            },
                        ));
                        if change == RoleChange::Assign {
                            admin.role_text.clear();
                        }
                        admin.roles = None;
                        self.outbox.push_back(super::admin_request(
                            &mut self.tickets,
                            AdminRequest::ReadRoles { object_id },
                        ));
                    }
                    Err(failure) => {
                        admin.role_message =
                            Some((false, failure_text(&AdminOp::Role(change, role), &failure)));
                    }
                }
            }
            AdminAnswer::RoleMembers { role, result } => {
                if admin.role_filter_busy.as_deref() != Some(role.as_str()) {
                    return;
                }
                admin.role_filter_busy = None;
                match result {
                    Ok(members) => {
                        admin.role_filter_error = None;
                        self.query.role = Some(RoleFilter { role, members });
                        self.query_changed();
                    }
                    Err(failure) => {
                        admin.role_filter_error =
                            Some(failure_text(&AdminOp::RoleMembers(role), &failure));
                    }
                }
            }
            AdminAnswer::Deleted { object_id, result } => {
                admin.delete_busy = false;
                match result {
                    Ok(path) => {
                        let who = self
                            .selected
                            .as_ref()
                            .filter(|r| *r.object_id() == object_id)
                            .map_or_else(|| object_id.to_string(), |r| self.identity_of(r));
                        self.admin.notice = Some((
                            true,
                            format!(
                                "Deleted {who}. A copy of the record was saved to {}",
                                path.display()
                            ),
                        ));
                        self.admin.delete_confirm = None;
                        self.admin.delete_error = None;
                        if self
                            .selected
                            .as_ref()
                            .is_some_and(|r| *r.object_id() == object_id)
                        {
                            self.close_inspector();
                        }
                        if let Some(row) = self.selected_row {
                            self.admin.selection.remove_row(row);
                        }
                        self.selected_row = None;
                        self.refresh();
                    }
                    Err(failure) => {
                        admin.delete_error = Some(format!(
                            "Not deleted: {}",
                            failure_text(&AdminOp::Delete, &failure)
                        ));
                    }
                }
            }
            AdminAnswer::Created { result } => self.created(result),
            AdminAnswer::Bulk(outcome) => self.bulk_finished(outcome),
        }
    }

    /// The user's identity value (the schema's identity column), or its objectId.
    pub(super) fn identity_of(&self, record: &UserRecord) -> String {
        let column = self.schema.identity().map_or("email", |p| p.name.as_str());
        record
            .get(column)
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| record.object_id().to_string(), str::to_owned)
    }

    /// The admin's controls, in a panel at the bottom of the inspector (the record scrolls above).
    pub(super) fn admin_inspector_panel(&mut self, ui: &mut egui::Ui) {
        if self.selected.is_none() {
            return;
        }
        egui::Panel::bottom("users_admin_actions").show(ui, |ui| {
            ui.add_space(4.0);
            ui.strong("Manage this user");
            self.admin_inspector_ui(ui);
            ui.add_space(4.0);
        });
    }

    /// The admin's controls for the user in the inspector: status, roles, delete.
    fn admin_inspector_ui(&mut self, ui: &mut egui::Ui) {
        let Some(record) = self.selected.clone() else {
            return;
        };
        let object_id = record.object_id().clone();
        if self.admin.shown.as_ref() != Some(&object_id) {
            let admin = &mut self.admin;
            admin.shown = Some(object_id.clone());
            admin.roles = None;
            admin.role_message = None;
            admin.status_message = None;
            admin.delete_confirm = None;
            admin.delete_error = None;
            self.outbox.push_back(super::admin_request(
                &mut self.tickets,
                AdminRequest::ReadRoles {
                    object_id: object_id.clone(),
                },
            ));
        }
        let identity = self.identity_of(&record);
        let own = self.admin.own_object_id.as_ref() == Some(&object_id);
        let error_color = ui.visuals().error_fg_color;
        let text_color = ui.visuals().text_color();
        let color = |ok: bool| if ok { text_color } else { error_color };
        let admin = &mut self.admin;
        let mut requests = Vec::new();

        // Status.
        ui.horizontal_wrapped(|ui| {
            let disabled = is_disabled(&record);
            let status = record
                .get("userStatus")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("unknown");
            ui.label(format!("Status: {status}"));
            let (text, hint) = if disabled {
                ("Enable user", "Let this user log in again")
            } else {
                (
                    "Disable user",
                    "Keep this user from logging in (their sessions end)",
                )
            };
            let hint = if own && !disabled {
                "This is your own account: disabling it would lock you out"
            } else {
                hint
            };
            if ui
                .add_enabled(
                    !admin.status_busy && (!own || disabled),
                    egui::Button::new(text),
                )
                .on_disabled_hover_text(hint)
                .on_hover_text(hint)
                .clicked()
            {
                admin.status_busy = true;
                admin.status_message = None;
                requests.push(AdminRequest::SetStatus {
                    object_id: object_id.clone(),
                    enabled: disabled,
                });
            }
            if admin.status_busy {
                ui.spinner();
            }
        });
        if let Some((ok, message)) = &admin.status_message {
            ui.colored_label(color(*ok), message);
        }

        // Roles.
        ui.horizontal_wrapped(|ui| match &admin.roles {
            None => {
                ui.label("Roles: loading…");
            }
            Some(Err(error)) => {
                ui.colored_label(error_color, format!("Roles: {error}"));
            }
            Some(Ok(roles)) if roles.is_empty() => {
                ui.label("Roles: none");
            }
            Some(Ok(roles)) => {
                ui.label("Roles:");
                for role in roles.clone() {
                    ui.label(&role);
                    if ui
                        .add_enabled(
                            !admin.role_busy,
                            egui::Button::new(format!("Remove {role}")).small(),
                        )
                        .on_hover_text(format!("Take the role \"{role}\" away from this user"))
                        .clicked()
                    {
                        admin.role_busy = true;
                        admin.role_message = None;
                        requests.push(AdminRequest::ChangeRole {
                            object_id: object_id.clone(),
                            identity: identity.clone(),
                            role,
                            change: RoleChange::Unassign,
                        });
                    }
                }
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label("Role to assign");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut admin.role_text)
                        .hint_text("role name")
                        .desired_width(140.0),
                )
                .labelled_by(label.id);
            let role = admin.role_text.trim().to_owned();
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let clicked = ui
                .add_enabled(
                    !role.is_empty() && !admin.role_busy,
                    egui::Button::new("Assign role"),
                )
                .clicked();
            if clicked || (entered && !role.is_empty() && !admin.role_busy) {
                admin.role_busy = true;
                admin.role_message = None;
                requests.push(AdminRequest::ChangeRole {
                    object_id: object_id.clone(),
                    identity: identity.clone(),
                    role,
                    change: RoleChange::Assign,
                });
            }
            if admin.role_busy {
                ui.spinner();
            }
        });
        if let Some((ok, message)) = &admin.role_message {
            ui.colored_label(color(*ok), message);
        }

        // Delete.
        match admin.delete_confirm.take() {
            None => {
                if ui
                    .add_enabled(!own, egui::Button::new("Delete user…"))
                    .on_hover_text("Delete this user for good (after you type its identity)")
                    .on_disabled_hover_text(
                        "This is your own account: deleting it would lock you out",
                    )
                    .clicked()
                {
                    admin.delete_confirm = Some(TypedConfirmation::new(identity.clone()));
                    admin.delete_error = None;
                }
            }
            Some(mut confirm) => {
                let mut cancel = false;
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.add(
                        egui::Label::new(format!(
                            "Type {} to delete this user for good. A copy of the record is saved \
                             to the app's data folder first.",
                            confirm.expected()
                        ))
                        .wrap(),
                    );
                    let label = ui.label("Identity to delete");
                    ui.add(
                        egui::TextEdit::singleline(&mut confirm.typed)
                            .desired_width(ui.available_width().min(260.0)),
                    )
                    .labelled_by(label.id);
                    ui.horizontal(|ui| {
                        let ready = confirm.is_confirmed() && !admin.delete_busy;
                        if ui
                            .add_enabled(ready, egui::Button::new("Delete permanently"))
                            .clicked()
                        {
                            admin.delete_busy = true;
                            admin.delete_error = None;
                            requests.push(AdminRequest::Delete {
                                object_id: object_id.clone(),
                            });
                        }
                        if ui
                            .add_enabled(!admin.delete_busy, egui::Button::new("Cancel delete"))
                            .clicked()
                        {
                            cancel = true;
                        }
                        if admin.delete_busy {
                            ui.spinner();
                        }
                    });
                });
                if cancel {
                    admin.delete_error = None;
                } else {
                    admin.delete_confirm = Some(confirm);
                }
            }
        }
        if let Some(error) = &admin.delete_error {
            ui.colored_label(error_color, error);
        }
        if !requests.is_empty() {
            ui.ctx().request_repaint();
        }
        for request in requests {
            let outcome = super::admin_request(&mut self.tickets, request);
            self.outbox.push_back(outcome);
        }
    }

    /// The role filter beside the quick search: a role name, applied with Enter or "Filter by role";
    /// while applied, its name with "Clear".
    pub(super) fn role_filter_ui(&mut self, ui: &mut egui::Ui) {
        let admin = &mut self.admin;
        let mut clear = false;
        if let Some(filter) = &self.query.role {
            ui.label(format!("Role: {}", filter.role));
            clear = ui
                .button("Clear role filter")
                .on_hover_text("Show users of every role")
                .clicked();
        } else {
            let label = ui.label("Role");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut admin.role_filter_text)
                        .hint_text("any role")
                        .desired_width(110.0),
                )
                .labelled_by(label.id)
                .on_hover_text(format!(
                    "Show only the users of a role (at most {MAX_ROLE_FILTER_USERS} users)"
                ));
            let role = admin.role_filter_text.trim().to_owned();
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let busy = admin.role_filter_busy.is_some();
            if (ui
                .add_enabled(
                    !role.is_empty() && !busy,
                    egui::Button::new("Filter by role"),
                )
                .clicked()
                || entered)
                && !role.is_empty()
                && !busy
            {
                admin.role_filter_busy = Some(role.clone());
                admin.role_filter_error = None;
                self.outbox.push_back(super::admin_request(
                    &mut self.tickets,
                    AdminRequest::RoleMembers { role },
                ));
            }
            if busy {
                ui.spinner();
            }
        }
        if clear {
            self.query.role = None;
            self.query_changed();
        }
    }

    /// The role filter's error, under the filter row.
    pub(super) fn role_filter_error_ui(&self, ui: &mut egui::Ui) {
        if let Some(error) = &self.admin.role_filter_error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    }

    /// The view-wide notice (a user was deleted, and where its copy is), with Dismiss.
    pub(super) fn notice_ui(&mut self, ui: &mut egui::Ui) {
        let Some((ok, text)) = self.admin.notice.clone() else {
            return;
        };
        ui.horizontal_wrapped(|ui| {
            let color = if ok {
                ui.visuals().text_color()
            } else {
                ui.visuals().error_fg_color
            };
            ui.colored_label(color, text);
            if ui.small_button("Dismiss").clicked() {
                self.admin.notice = None;
            }
        });
    }
}
