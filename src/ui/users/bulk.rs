//! The bulk bar over the Users table: with rows selected (Ctrl/Shift-click, Shift+arrows, Space) it
//! offers Disable, Enable, Assign role and Export for the selection; while one runs, its progress and
//! Cancel; afterwards the summary of what was done and what failed and why. Draws and queues
//! `UsersRequest::Admin` (an `AdminRequest::Bulk`); the worker runs it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::users_admin::RowState;
use crate::users_admin::bulk::{BulkControl, BulkOperation, BulkOutcome, BulkTarget};
use crate::users_admin::export::date_columns;
use crate::users_admin::manage::{AdminRequest, BulkExport};
use crate::users_admin::selection::MAX_SELECTED_ROWS;

use super::UsersView;
use super::actions::RunningBulk;
use crate::users_admin::requests::{Awaited, UsersRequest};

impl UsersView {
    /// The rows selected for bulk actions, in table order (tests read it).
    pub fn selected_rows(&self) -> Vec<usize> {
        self.admin.selection.rows().collect()
    }

    /// Whether a bulk action is running.
    pub fn is_bulk_running(&self) -> bool {
        self.admin.bulk.is_some()
    }

    /// The summary of the last bulk action.
    pub fn bulk_summary(&self) -> Option<&str> {
        self.admin.bulk_summary.as_ref().map(|(_, s)| s.as_str())
    }

    /// The bulk bar: actions for the selection, or the running one's progress, then the last summary.
    pub(super) fn bulk_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(running) = &self.admin.bulk {
            let (done, total) = running.control.progress();
            let doing = running.doing;
            let control = Arc::clone(&running.control);
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(control.fraction())
                        .desired_width(260.0)
                        .text(format!("{doing} {done} of {total} users")),
                );
                if ui
                    .add_enabled(
                        !control.is_cancelled(),
                        egui::Button::new("Cancel bulk action"),
                    )
                    .on_hover_text("Stop after the user being worked on; the rest are left alone")
                    .clicked()
                {
                    control.cancel();
                }
            });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        } else if self.admin.selection.is_multi() {
            let count = self.admin.selection.len();
            let mut start = None;
            ui.horizontal_wrapped(|ui| {
                ui.strong(if count == 1 {
                    "1 selected".to_owned()
                } else {
                    format!("{count} selected")
                });
                if ui.button("Disable selected").clicked() {
                    start = Some(BulkOperation::Disable);
                }
                if ui.button("Enable selected").clicked() {
                    start = Some(BulkOperation::Enable);
                }
                let label = ui.label("Role for selected");
                ui.add(
                    egui::TextEdit::singleline(&mut self.admin.bulk_role_text)
                        .hint_text("role name")
                        .desired_width(110.0),
                )
                .labelled_by(label.id);
                let role = self.admin.bulk_role_text.trim().to_owned();
                if ui
                    .add_enabled(
                        !role.is_empty(),
                        egui::Button::new("Assign role to selected"),
                    )
                    .clicked()
                {
                    start = Some(BulkOperation::AssignRole(role));
                }
                if ui.button("Export selected…").clicked() {
                    start = Some(BulkOperation::Export);
                }
                if ui.button("Clear selection").clicked() {
                    self.admin.selection.clear();
                }
            });
            if self.admin.selection.was_capped() {
                ui.weak(format!(
                    "At most {MAX_SELECTED_ROWS} rows can be selected at once."
                ));
            }
            match start {
                Some(BulkOperation::Export) => self.ask_bulk_export_path(),
                Some(operation) => self.start_bulk(operation, None),
                None => {}
            }
        }
        if let Some((ok, summary)) = self.admin.bulk_summary.clone() {
            ui.horizontal_wrapped(|ui| {
                let color = if ok {
                    ui.visuals().text_color()
                } else {
                    ui.visuals().error_fg_color
                };
                ui.colored_label(color, summary);
                if ui.small_button("Dismiss summary").clicked() {
                    self.admin.bulk_summary = None;
                }
            });
        }
    }

    /// "Export selected…": ask for a path as the whole-filter export does; the path chosen then
    /// exports the selection ([`UsersView::take_bulk_export_path`]).
    fn ask_bulk_export_path(&mut self) {
        self.admin.bulk_export_pending = true;
        self.export_message = None;
        if self.dialog_available {
            let format = self.export_format;
            self.send(Awaited::ExportPath, |ticket| UsersRequest::PickExportPath {
                ticket,
                format,
                file_name: format!("selected-users.{}", format.extension()),
            });
        } else {
            self.admin.bulk_summary = Some((
                true,
                "Type the path to save the selected users to below, then \"Export to this file\"."
                    .to_owned(),
            ));
        }
    }

    /// A path was chosen (dialog or path field): if the selection's export asked for it, start that and
    /// return `None`; otherwise hand the path back for the whole-filter export.
    pub(super) fn take_bulk_export_path(&mut self, path: PathBuf) -> Option<PathBuf> {
        if !std::mem::take(&mut self.admin.bulk_export_pending) {
            return Some(path);
        }
        let export = BulkExport {
            path,
            format: self.export_format,
            dates: date_columns(&self.schema, &self.columns),
            columns: self.columns.clone(),
        };
        self.start_bulk(BulkOperation::Export, Some(export));
        None
    }

    /// Sends `operation` for the selected rows that are loaded; the others are skipped and named.
    fn start_bulk(&mut self, operation: BulkOperation, export: Option<BulkExport>) {
        if self.admin.bulk.is_some() {
            return;
        }
        let mut targets = Vec::new();
        let mut skipped_rows = Vec::new();
        let mut own = None;
        for row in self.admin.selection.rows() {
            match self.cache.row(row) {
                RowState::Loaded(record) => {
                    let target = BulkTarget {
                        object_id: record.object_id().clone(),
                        identity: self.identity_of(record),
                    };
                    if operation == BulkOperation::Disable
                        && self.admin.own_object_id.as_ref() == Some(record.object_id())
                    {
                        own = Some(target);
                    } else {
                        targets.push(target);
                    }
                }
                _ => skipped_rows.push(row),
            }
        }
        let control = Arc::new(BulkControl::new(targets.len()));
        self.admin.bulk_summary = None;
        self.admin.bulk = Some(RunningBulk {
            doing: operation.doing_verb(),
            control: Arc::clone(&control),
            skipped_rows,
            own,
        });
        let request = AdminRequest::Bulk {
            operation,
            targets,
            control,
            export,
        };
        self.outbox
            .push_back(super::admin_request(&mut self.tickets, request));
    }

    /// A bulk action ended: its summary shows (skipped rows named); the table shows the new state.
    pub(super) fn bulk_finished(&mut self, mut outcome: BulkOutcome) {
        let Some(running) = self.admin.bulk.take() else {
            return;
        };
        if let Some(own) = running.own {
            outcome
                .failed
                .push((own.identity, super::actions::OWN_ACCOUNT_NOTE.to_owned()));
        }
        for row in running.skipped_rows {
            outcome.failed.push((
                format!("row {}", row + 1),
                "its page was not loaded; scroll to it and try again.".to_owned(),
            ));
        }
        self.admin.bulk_summary = Some((outcome.is_complete_success(), outcome.summary()));
        if outcome.operation != BulkOperation::Export {
            self.refresh();
        }
    }
}
