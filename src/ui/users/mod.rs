//! The admin's Users browser: quick search, advanced `where` (its errors inline), a column chooser, a
//! server-paged table with virtual scrolling (`egui_extras`), a read-only record inspector (a relation shows
//! its related object ids as links that open the related record, with Back) and CSV/JSON
//! export with progress and Cancel. Draws `users_admin::PageCache` and returns `UsersOutcome`s (the requests
//! of `users_admin::requests`, each with a ticket); it never sends anything itself: the app runs the
//! requests and hands every answer to [`UsersView::answer`], which applies it only if its ticket is awaited.
//!
//! Layout: the inspector is a resizable right panel laid out before the table, so the table only gets
//! what is left; the table is clipped to that area and its columns are laid out afresh when they no
//! longer fit. Keys (no text field focused, no popup open): arrows, PageUp/PageDown, Home/End move the
//! selection and keep it in view; Enter opens the inspector, Esc closes it; F5 refreshes.
//!
//! The inspector's drawing lives in `inspector.rs` (moved there this session, unchanged, so that its
//! layout and the admin actions can be worked on side by side).

mod actions;
mod bulk;
mod create;
mod inspector;
mod screen;

pub use inspector::INSPECTOR_MAX_FRACTION;
pub use screen::{UsersScreen, dialog_unavailable_reason};

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::backendless::client::FindRow;
use crate::backendless::error::ApiError;
use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;
use crate::model::schema::{Access, Schema, is_system};
use crate::model::value::{Value, format_datetime_local};
use crate::users_admin::requests::{
    Awaited, Ticket, Tickets, UsersAnswer, UsersOutcome, UsersRequest,
};
use crate::users_admin::{
    ExportControl, ExportError, ExportFormat, ExportSummary, PageCache, RowState, UsersQuery,
};

/// Height of one table row.
const ROW_HEIGHT: f32 = 20.0;
/// The most characters of a related record's unusable id that its error message quotes.
const RELATED_ID_SHOWN_CHARS: usize = 40;
/// Rows one wheel notch (one "line" of the mouse wheel) scrolls the table, on every platform.
pub const WHEEL_NOTCH_ROWS: f32 = 3.0;
/// The narrowest a table column gets (its text is cut short, with "…", beyond that).
const MIN_COLUMN_WIDTH: f32 = 60.0;
/// System columns offered by the column chooser even when the schema does not describe them.
const SYSTEM_COLUMNS: &[&str] = &[
    "objectId",
    "created",
    "updated",
    "ownerId",
    "lastLogin",
    "userStatus",
];

/// An export in progress.
#[derive(Debug)]
struct RunningExport {
    /// Where it writes.
    path: PathBuf,
    /// Progress and the cancel switch.
    control: Arc<ExportControl>,
}

/// The Users browser view.
pub struct UsersView {
    /// The described Users schema (types for display, the identity column, the columns offered).
    schema: Schema,
    /// Every column the chooser offers, in display order.
    available_columns: Vec<String>,
    /// The chosen columns, in `available_columns` order.
    columns: Vec<String>,
    /// The query the cache holds pages of.
    query: UsersQuery,
    /// The quick-search box (applied as typed).
    quick_text: String,
    /// The advanced `where` box (applied with Enter or "Apply filter").
    where_text: String,
    /// A 1017 / 1006 answer, shown under the `where` box; cleared when the query changes.
    where_error: Option<String>,
    /// Any other failure (network, 1013, session end), shown as a banner with Retry; the table stays.
    error: Option<String>,
    /// Pages of the current query.
    cache: PageCache,
    /// Whether the count of the current query must be asked for (again).
    count_wanted: bool,
    /// The record in the inspector (a copy, so it stays while its page is evicted); `None`: closed.
    selected: Option<UserRecord>,
    /// The selected row (highlighted; the arrows move it, Enter opens it in the inspector).
    selected_row: Option<usize>,
    /// Records the inspector showed before a relation was opened from it ("Back" returns to the last).
    inspector_history: Vec<UserRecord>,
    /// The requests sent and not yet answered, by ticket: an answer is applied only if awaited here.
    tickets: Tickets,
    /// Why the last related record could not be opened, in plain words (shown in the inspector).
    inspector_error: Option<String>,
    /// Scroll the table to the top next frame (after the query changed).
    scroll_to_top: bool,
    /// Scroll the table to this row next frame (one-shot), aligned so (`None`: as little as it takes).
    scroll_to_row: Option<(usize, Option<egui::Align>)>,
    /// Export format chosen.
    export_format: ExportFormat,
    /// Whether a native save dialog can be shown; without one, a path field is offered.
    dialog_available: bool,
    /// Why the path field is offered (no native dialog, or it closed without a path), shown above it; the
    /// path field shows while this is set.
    dialog_note: Option<String>,
    /// Why no native dialog can be shown, when the app knows it up front (said when the dialog gave no path).
    no_dialog_reason: Option<String>,
    /// The path field used without a native dialog.
    export_path: String,
    /// The export running now.
    export: Option<RunningExport>,
    /// The outcome of the last export, shown beside the button.
    export_message: Option<(bool, String)>,
    /// Requests (and column choices) produced and not yet returned (one is returned per frame).
    outbox: VecDeque<UsersOutcome>,
    /// Rows laid out in the last frame (first, last), for tests and read-ahead.
    visible_rows: Option<(usize, usize)>,
    /// The width the table's columns took in the last frame (with the spacing between them).
    table_width: Option<f32>,
    /// Property names seen in rows but not in the schema that already made the view ask for the schema
    /// again: each asks once, so a property the server does not describe does not ask on every page.
    schema_asked_for: std::collections::BTreeSet<String>,
    /// The admin's actions: status, roles, delete, create, the role filter, the selection and bulk.
    admin: actions::AdminState,
    /// The record to edit, read again after "Edit record" was clicked (the inspector's copy if that
    /// failed), until the app takes it (ADMIN-EDIT).
    edit_request: Option<UserRecord>,
}

impl UsersView {
    /// A browser over `schema`, showing `columns` (the remembered choice; empty for the default).
    pub fn new(schema: Schema, columns: &[String]) -> Self {
        let available_columns = available_columns(&schema);
        let identity = schema
            .identity()
            .map_or_else(|| "email".to_owned(), |p| p.name.to_string());
        let mut chosen: Vec<String> = available_columns
            .iter()
            .filter(|c| columns.contains(c))
            .cloned()
            .collect();
        if chosen.is_empty() {
            chosen = [identity.as_str(), "name", "created", "userStatus"]
                .iter()
                .filter(|c| available_columns.iter().any(|a| a == *c))
                .map(|c| (*c).to_owned())
                .collect();
        }
        if chosen.is_empty() {
            chosen.push("objectId".to_owned());
        }
        let mut view = Self {
            schema,
            available_columns,
            columns: chosen,
            query: UsersQuery::new(identity),
            quick_text: String::new(),
            where_text: String::new(),
            where_error: None,
            error: None,
            cache: PageCache::default(),
            count_wanted: true,
            selected: None,
            selected_row: None,
            inspector_history: Vec::new(),
            tickets: Tickets::default(),
            inspector_error: None,
            scroll_to_top: false,
            scroll_to_row: None,
            export_format: ExportFormat::Csv,
            dialog_available: true,
            dialog_note: None,
            no_dialog_reason: None,
            export_path: String::new(),
            export: None,
            export_message: None,
            outbox: VecDeque::new(),
            visible_rows: None,
            table_width: None,
            schema_asked_for: std::collections::BTreeSet::new(),
            admin: actions::AdminState::default(),
            edit_request: None,
        };
        view.cache.reset();
        view
    }

    // --------------------------------------------------------------------------------------------
    // Read by the app and tests.

    /// The record the admin asked to edit ("Edit record" in the inspector), once it was read again; the
    /// app opens it in the typed editor (`app::record_editor`).
    pub fn take_edit_request(&mut self) -> Option<UserRecord> {
        self.edit_request.take()
    }

    /// The chosen columns, in order (the app persists them).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Every column the chooser offers.
    pub fn available_columns(&self) -> &[String] {
        &self.available_columns
    }

    /// The query as applied.
    pub fn query(&self) -> &UsersQuery {
        &self.query
    }

    /// The page cache.
    pub fn cache(&self) -> &PageCache {
        &self.cache
    }

    /// The error shown under the `where` box.
    pub fn where_error(&self) -> Option<&str> {
        self.where_error.as_deref()
    }

    /// The banner error.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The selected record.
    pub fn selected(&self) -> Option<&UserRecord> {
        self.selected.as_ref()
    }

    /// Rows laid out in the last frame.
    pub fn visible_rows(&self) -> Option<(usize, usize)> {
        self.visible_rows
    }

    /// Scrolls the table so that `row` is visible on the next frame (tests, benchmarks, "go to row").
    pub fn scroll_to_row(&mut self, row: usize) {
        self.scroll_to_row = Some((row, Some(egui::Align::TOP)));
    }

    /// Opens the related record `id` (a value of a relation column, as the server sent it) in the inspector.
    /// This is where that id enters as an objectId: one that is none is refused here, in plain words in the
    /// inspector, and nothing is sent.
    fn open_related(&mut self, id: &str) {
        match ObjectId::parse(id) {
            Ok(object_id) => {
                self.inspector_error = None;
                self.send(
                    Awaited::Related {
                        object_id: object_id.clone(),
                    },
                    |ticket| UsersRequest::Record { ticket, object_id },
                );
            }
            Err(error) => {
                let shown: String = id.chars().take(RELATED_ID_SHOWN_CHARS).collect();
                let cut = if shown.len() < id.len() { "…" } else { "" };
                self.inspector_error = Some(format!(
                    "Cannot open the related record {shown:?}{cut}: {error}."
                ));
            }
        }
    }

    /// The related record `object_id` arrived (or not): the inspector shows it, "Back" returns to the
    /// record it was opened from; a failure shows in the inspector in plain words.
    fn related_loaded(&mut self, object_id: &ObjectId, result: Result<UserRecord, ApiError>) {
        match result {
            Ok(record) => {
                if let Some(previous) = self.selected.replace(record) {
                    self.inspector_history.push(previous);
                }
                // The inspector no longer shows the table's selected row: do not follow it.
                self.selected_row = None;
                self.inspector_error = None;
            }
            Err(error) => {
                self.inspector_error = Some(related_error_text(object_id, &error));
            }
        }
    }

    /// The selected row (the arrows move it).
    pub fn selected_row(&self) -> Option<usize> {
        self.selected_row
    }

    /// Loads the count and the pages of the same query again (Refresh, F5); the filter, the sort, the
    /// selection and the scroll position stay.
    pub fn refresh(&mut self) {
        self.cache.refresh();
        self.tickets.query_changed();
        self.count_wanted = true;
        self.where_error = None;
        self.error = None;
    }

    /// Whether an export is running.
    pub fn is_exporting(&self) -> bool {
        self.export.is_some()
    }

    // --------------------------------------------------------------------------------------------
    // Answers from the app.

    /// An answer from the app. It is applied only if its ticket is awaited; anything else (the count or a
    /// page of a query since changed or asked for again, a related record for an inspector since closed,
    /// an answer applied already) is dropped here, in this one check.
    pub fn answer(&mut self, answer: UsersAnswer) {
        let Some(awaited) = self.tickets.accept(answer.ticket()) else {
            tracing::debug!("a Users answer no longer awaited was dropped");
            return;
        };
        match (awaited, answer) {
            (Awaited::Schema, UsersAnswer::Schema { result, .. }) => match result {
                Ok(descriptors) => self.schema_loaded(Schema::from_descriptors(descriptors)),
                // The table keeps the schema it has; the new property shows untyped meanwhile.
                Err(error) => tracing::warn!("cannot read the Users schema again: {error}"),
            },
            (Awaited::Count, UsersAnswer::Count { result, .. }) => match result {
                Ok(total) => self.count_loaded(total),
                Err(error) => self.load_failed(None, &error),
            },
            (Awaited::Page { page }, UsersAnswer::Page { result, .. }) => match result {
                Ok(rows) => self.page_rows_loaded(page, rows),
                Err(error) => self.load_failed(Some(page), &error),
            },
            (Awaited::Related { object_id }, UsersAnswer::Record { result, .. }) => {
                self.related_loaded(&object_id, result);
            }
            (Awaited::Edit { copy }, UsersAnswer::Record { result, .. }) => {
                self.edit_request = Some(match result {
                    Ok(record) => record,
                    Err(error) => {
                        tracing::warn!("cannot read the record again before editing: {error}");
                        *copy
                    }
                });
            }
            (Awaited::ExportPath, UsersAnswer::ExportPath { path, .. }) => match path {
                Some(path) => self.start_export(path),
                None => self.dialog_closed_without_path(),
            },
            (Awaited::Export, UsersAnswer::Exported { result, .. }) => self.export_finished(result),
            (Awaited::Admin, UsersAnswer::Admin { answer, .. }) => self.admin_answer(answer),
            // Never with the tickets the view issues; the record a read was for is not logged.
            _ => tracing::warn!("a Users answer does not fit its request; dropped"),
        }
    }

    /// Reads `copy` again before it is edited ("Edit record", or the record editor's Reload): the
    /// answer makes it the edit request; the copy itself is edited if the read fails.
    pub fn read_then_edit(&mut self, copy: UserRecord) -> UsersRequest {
        let object_id = copy.object_id().clone();
        let ticket = self.tickets.issue(Awaited::Edit {
            copy: Box::new(copy),
        });
        UsersRequest::Record { ticket, object_id }
    }

    /// Queues a request for `awaited`, built with its ticket.
    fn send(&mut self, awaited: Awaited, request: impl FnOnce(Ticket) -> UsersRequest) {
        let ticket = self.tickets.issue(awaited);
        self.outbox.push_back(UsersOutcome::Send(request(ticket)));
    }

    /// The related record being opened from the inspector, if one is on its way.
    fn opening(&self) -> Option<&str> {
        self.tickets.awaited().find_map(|awaited| match awaited {
            Awaited::Related { object_id } => Some(object_id.as_str()),
            _ => None,
        })
    }

    /// Closes the inspector: the related record on its way is no longer awaited.
    fn close_inspector(&mut self) {
        self.selected = None;
        self.inspector_history.clear();
        self.inspector_error = None;
        self.tickets.inspector_closed();
    }

    /// The count of the current query arrived.
    fn count_loaded(&mut self, total: u64) {
        self.cache.set_total(total);
        self.error = None;
    }

    /// Page `page` of the current query arrived; a row that could not be read shows its own error in its
    /// row.
    fn page_rows_loaded(&mut self, page: usize, rows: Vec<FindRow>) {
        let unknown: Vec<String> = rows
            .iter()
            .flatten()
            .flat_map(UserRecord::names)
            .filter(|name| {
                self.schema.get(name).is_none()
                    && !is_system(name)
                    && !self.schema_asked_for.contains(*name)
            })
            .map(str::to_owned)
            .collect();
        self.cache.insert(page, rows);
        self.error = None;
        if !unknown.is_empty() {
            // The schema changed since it was read (a property was added): read it again.
            self.schema_asked_for.extend(unknown);
            self.send(Awaited::Schema, |ticket| UsersRequest::Schema { ticket });
        }
    }

    /// The schema was read again: its columns are offered; chosen columns it no longer has are dropped.
    fn schema_loaded(&mut self, schema: Schema) {
        self.available_columns = available_columns(&schema);
        self.schema = schema;
        let before = self.columns.len();
        self.columns
            .retain(|c| self.available_columns.iter().any(|a| a == c));
        if self.columns.is_empty() {
            self.columns.push("objectId".to_owned());
        }
        if self.columns.len() != before {
            self.outbox
                .push_back(UsersOutcome::Columns(self.columns.clone()));
        }
    }

    /// A count (`page` = `None`) or page request of the current query failed. 1017 and 1006 go under the
    /// `where` box, anything else to the banner; the filter, the rows already loaded and the scroll position
    /// stay.
    fn load_failed(&mut self, page: Option<usize>, error: &ApiError) {
        let message = error.to_string();
        match page {
            Some(page) => self.cache.fail(page, message.clone()),
            None => self.count_wanted = false,
        }
        match error {
            ApiError::InvalidWhere {
                message: detail, ..
            } => {
                // What is wrong and where, in plain words rather than the SQL parser's.
                let code = error.code().map(|c| format!(" ({c})")).unwrap_or_default();
                let plain = crate::users_admin::query::plain_where_error(detail);
                self.where_error = Some(format!("{plain}{code}"));
            }
            ApiError::UnknownProperty { .. } => {
                let code = error.code().map(|c| format!(" ({c})")).unwrap_or_default();
                self.where_error = Some(format!("{message}{code}"));
            }
            _ => self.error = Some(message),
        }
    }

    /// Loads again what failed (Retry, or the same admin logged in again after the session ended); the
    /// filter and the scroll position stay.
    pub fn retry(&mut self) {
        self.error = None;
        self.cache.retry();
        if self.cache.total().is_none() {
            self.count_wanted = true;
        }
    }

    /// Why no native save dialog can be shown here, when known up front: said when the dialog gave no path.
    pub fn set_no_dialog_reason(&mut self, reason: Option<&str>) {
        self.no_dialog_reason = reason.map(str::to_owned);
    }

    /// There is no native save dialog here (`reason` says why): offer the path field instead of the button.
    pub fn dialog_unavailable(&mut self, reason: impl Into<String>) {
        self.dialog_available = false;
        self.dialog_note = Some(reason.into());
    }

    /// The native dialog closed without a path (cancelled, or it could not be shown: `rfd` answers no
    /// path when there is no desktop portal): keep the button and offer the path field until the export
    /// starts or the field is cancelled, saying why (the reason, when the app knows there is no dialog).
    fn dialog_closed_without_path(&mut self) {
        self.dialog_note = Some(self.no_dialog_reason.clone().unwrap_or_else(|| {
            "No file was chosen. If no save dialog appeared, none is available here: type the path to save to."
                .to_owned()
        }));
    }

    /// The export ended.
    fn export_finished(&mut self, result: Result<ExportSummary, ExportError>) {
        self.export = None;
        self.export_message = Some(match result {
            Ok(summary) => (
                true,
                format!(
                    "Exported {} records to {}",
                    summary.records,
                    summary.path.display()
                ),
            ),
            Err(error) => (false, error.to_string()),
        });
    }

    // --------------------------------------------------------------------------------------------
    // Drawing.

    /// Draws the browser; returns one action per frame (more follow on the next frames).
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<UsersOutcome> {
        self.keyboard(ui);
        self.draw(ui);
        self.queue_loads();
        let action = self.outbox.pop_front();
        if !self.outbox.is_empty() {
            ui.ctx().request_repaint();
        }
        action
    }

    /// Draws the browser inactive (under the re-login prompt): the filter, the sort, the rows loaded and
    /// the scroll position show as they were; nothing reacts and nothing is asked for (actions already
    /// queued wait for the next [`UsersView::ui`]).
    pub fn inactive_ui(&mut self, ui: &mut egui::Ui) {
        ui.disable();
        self.draw(ui);
    }

    fn draw(&mut self, ui: &mut egui::Ui) {
        self.filter_ui(ui);
        self.export_ui(ui);
        if let Some(error) = self.error.clone() {
            self.banner_ui(ui, &error);
        }
        self.notice_ui(ui);
        self.bulk_ui(ui);
        self.create_ui(ui);
        ui.separator();
        self.follow_selection();
        if self.selected.is_some() {
            self.inspector_panel(ui);
        }
        self.footer_ui(ui);
        self.table_ui(ui);
    }

    fn filter_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Search");
            // What the quick search matches: the app's identity property (the schema's) and `name`.
            let identity = match self.query.identity_column.as_str() {
                "" => "email",
                identity => identity,
            };
            let hint = format!("{identity} or name contains…");
            let quick = ui
                .add(
                    egui::TextEdit::singleline(&mut self.quick_text)
                        .hint_text(hint)
                        .desired_width(220.0),
                )
                .labelled_by(label.id);
            if quick.changed() {
                self.query.quick.clone_from(&self.quick_text);
                self.query_changed();
            }
            self.role_filter_ui(ui);
            ui.separator();
            self.columns_ui(ui);
            if ui
                .button("Refresh")
                .on_hover_text("Load the count and the rows again (F5)")
                .clicked()
            {
                self.refresh();
            }
            if ui
                .button("New user…")
                .on_hover_text("Create a user (users/register)")
                .clicked()
            {
                self.open_create_form();
            }
        });
        self.role_filter_error_ui(ui);
        ui.weak("In the search box, % matches any text and _ any one character.");
        ui.horizontal(|ui| {
            let label = ui.label("Where");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.where_text)
                        .hint_text("e.g. age > 30 AND newsletter = true")
                        .desired_width(ui.available_width() - 110.0),
                )
                .labelled_by(label.id);
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Apply filter").clicked() || entered {
                self.query.advanced = self.where_text.trim().to_owned();
                self.query_changed();
            }
        });
        if let Some(error) = &self.where_error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    }

    fn columns_ui(&mut self, ui: &mut egui::Ui) {
        let mut changed = false;
        // Stays open while columns are toggled; a click outside (or Esc) closes it.
        let config = egui::containers::menu::MenuConfig::new()
            .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
        egui::containers::menu::MenuButton::new("Columns")
            .config(config)
            .ui(ui, |ui| {
                // A long schema scrolls inside the popup instead of running off the window.
                let max_height = (ui.ctx().content_rect().height() - 160.0).max(120.0);
                egui::ScrollArea::vertical()
                    .id_salt("users_columns_scroll")
                    .max_height(max_height)
                    .min_scrolled_height(max_height)
                    .show(ui, |ui| {
                        for column in &self.available_columns {
                            let mut shown = self.columns.contains(column);
                            if ui.checkbox(&mut shown, column.as_str()).changed() {
                                if shown {
                                    self.columns.push(column.clone());
                                } else if self.columns.len() > 1 {
                                    self.columns.retain(|c| c != column);
                                }
                                changed = true;
                            }
                        }
                    });
            });
        if changed {
            let order = &self.available_columns;
            self.columns
                .sort_by_key(|c| order.iter().position(|a| a == c).unwrap_or(usize::MAX));
            self.outbox
                .push_back(UsersOutcome::Columns(self.columns.clone()));
        }
    }

    fn export_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(running) = &self.export {
                let (done, total) = running.control.progress();
                let text = match total {
                    Some(total) => format!("Exporting {done} of {total} records"),
                    None => "Counting records…".to_owned(),
                };
                ui.add(
                    egui::ProgressBar::new(running.control.fraction())
                        .desired_width(260.0)
                        .text(text),
                );
                if ui.button("Cancel export").clicked() {
                    running.control.cancel();
                }
                ui.label(running.path.display().to_string());
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(100));
                return;
            }
            egui::ComboBox::from_label("Format")
                .selected_text(self.export_format.label())
                .show_ui(ui, |ui| {
                    for format in [ExportFormat::Csv, ExportFormat::Json] {
                        ui.selectable_value(&mut self.export_format, format, format.label());
                    }
                });
            if self.dialog_available && ui.button("Export…").clicked() {
                self.export_message = None;
                self.admin.bulk_export_pending = false;
                let format = self.export_format;
                self.send(Awaited::ExportPath, |ticket| UsersRequest::PickExportPath {
                    ticket,
                    format,
                    file_name: format!("users.{}", format.extension()),
                });
            }
            if let Some((ok, message)) = &self.export_message {
                let color = if *ok {
                    ui.visuals().text_color()
                } else {
                    ui.visuals().error_fg_color
                };
                ui.colored_label(color, message);
            }
        });
        if self.dialog_note.is_some() && self.export.is_none() {
            if let Some(note) = &self.dialog_note {
                ui.weak(note);
            }
            ui.horizontal(|ui| {
                let label = ui.label("Save to");
                ui.add(
                    egui::TextEdit::singleline(&mut self.export_path)
                        .hint_text("/path/to/users.csv")
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
                let path = self.export_path.trim().to_owned();
                if ui
                    .add_enabled(!path.is_empty(), egui::Button::new("Export to this file"))
                    .clicked()
                {
                    self.start_export(PathBuf::from(path));
                }
                if ui.button("Cancel").clicked() {
                    self.dialog_note = None;
                    self.admin.bulk_export_pending = false;
                }
            });
        }
    }

    fn banner_ui(&mut self, ui: &mut egui::Ui, error: &str) {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(ui.visuals().error_fg_color, error);
                if ui.button("Retry").clicked() {
                    self.retry();
                }
            });
        });
    }

    fn footer_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("users_footer").show(ui, |ui| {
            ui.horizontal(|ui| {
                match self.cache.total() {
                    Some(1) => ui.label("1 user"),
                    Some(total) => ui.label(format!("{total} users")),
                    // A failed query is not being counted: say so instead of a count that never comes.
                    None if self.where_error.is_some() || self.error.is_some() => {
                        ui.label("No count: the query failed")
                    }
                    None => ui.label("Counting users…"),
                };
                if let Some((first, last)) = self.visible_rows {
                    ui.weak(format!("rows {}-{}", first + 1, last + 1));
                }
                if self.cache.is_loading() {
                    ui.weak("loading…");
                }
            });
        });
    }

    fn table_ui(&mut self, ui: &mut egui::Ui) {
        let total = self
            .cache
            .total()
            .map_or(0, |t| usize::try_from(t).unwrap_or(usize::MAX));
        let mut header_clicked = None;
        let mut clicked_row = None;
        let mut visible: Option<(usize, usize)> = None;
        let available_height = ui.available_height();
        let available_width = ui.available_width();
        // The table never paints or takes clicks outside its own area (the inspector beside it, the
        // footer under it), even while its columns are wider than that area.
        let clip = ui.clip_rect().intersect(ui.available_rect_before_wrap());
        ui.set_clip_rect(clip);
        let column_count = self.columns.len();
        let spacing = ui.spacing().item_spacing.x;
        let fit_width = fit_column_width(available_width, column_count, spacing);
        // Shift / Ctrl (Cmd) held with a click extend the selection instead of opening the row.
        let modifiers = ui.input(|i| i.modifiers);
        let mut table = TableBuilder::new(ui)
            .id_salt("users_table")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .auto_shrink(false)
            .min_scrolled_height(0.0)
            .max_scroll_height(available_height);
        if std::mem::take(&mut self.scroll_to_top) {
            table = table.vertical_scroll_offset(0.0);
        }
        if let Some((row, align)) = self.scroll_to_row.take() {
            table = table.scroll_to_row(row, align);
        }
        // The columns no longer fit (the inspector opened, the window got narrower): lay them out
        // afresh to fit, rather than run under the inspector.
        if self
            .table_width
            .is_some_and(|width| width > available_width + 1.0)
        {
            table.reset();
        }
        for i in 0..column_count {
            let column = if i + 1 == column_count {
                Column::remainder().at_least(MIN_COLUMN_WIDTH).clip(true)
            } else {
                Column::initial(fit_width)
                    .at_least(MIN_COLUMN_WIDTH)
                    .clip(true)
            };
            table = table.column(column);
        }
        let mut widths = Vec::new();
        let selected_row = self.selected_row;
        let selection = &self.admin.selection;
        let columns = &self.columns;
        let sort = self.query.sort.as_ref();
        let cache = &self.cache;
        let schema = &self.schema;
        table
            .header(ROW_HEIGHT + 4.0, |mut header| {
                for column in columns {
                    header.col(|ui| {
                        let marker = match sort {
                            Some(s) if &s.column == column && s.descending => " v",
                            Some(s) if &s.column == column => " ^",
                            _ => "",
                        };
                        let text = RichText::new(format!("{column}{marker}")).strong();
                        if ui
                            .add(egui::Button::new(text).frame(false))
                            .on_hover_text("Sort by this column (click again to reverse)")
                            .clicked()
                        {
                            header_clicked = Some(column.clone());
                        }
                    });
                }
            })
            .body(|mut body| {
                widths = body.widths().to_vec();
                wheel_in_rows(body.ui_mut(), clip);
                body.rows(ROW_HEIGHT, total, |mut row| {
                    let index = row.index();
                    visible = Some(match visible {
                        None => (index, index),
                        Some((first, last)) => (first.min(index), last.max(index)),
                    });
                    match cache.row(index) {
                        RowState::Loaded(record) => {
                            row.set_selected(
                                selected_row == Some(index) || selection.contains(index),
                            );
                            for column in columns {
                                row.col(|ui| {
                                    let text = cell_text(record, column, schema);
                                    ui.add(egui::Label::new(text).truncate().selectable(false));
                                });
                            }
                            if row.response().clicked() {
                                clicked_row = Some((index, record.clone()));
                            }
                        }
                        RowState::Unreadable(unreadable) => {
                            // The row's own error, in the row: the rest of its page is fine.
                            let text = unreadable.to_string();
                            for i in 0..columns.len() {
                                row.col(|ui| {
                                    if i == 0 {
                                        let color = ui.visuals().error_fg_color;
                                        ui.add(
                                            egui::Label::new(
                                                RichText::new(text.as_str()).color(color),
                                            )
                                            .truncate(),
                                        )
                                        .on_hover_text(text.as_str());
                                    }
                                });
                            }
                        }
                        RowState::Loading => {
                            for i in 0..columns.len() {
                                row.col(|ui| {
                                    if i == 0 {
                                        ui.weak("Loading…");
                                    }
                                });
                            }
                        }
                        RowState::Failed => {
                            // Says why in the row itself: a banner may be gone by now (another page or
                            // the count succeeded since).
                            let text = match cache.row_error(index) {
                                Some(reason) => format!("Not loaded: {reason}"),
                                None => "Not loaded".to_owned(),
                            };
                            for i in 0..columns.len() {
                                row.col(|ui| {
                                    if i == 0 {
                                        ui.add(egui::Label::new(text.as_str()).truncate())
                                            .on_hover_text(text.as_str());
                                    }
                                });
                            }
                        }
                    }
                });
            });
        self.visible_rows = visible;
        self.table_width =
            Some(widths.iter().sum::<f32>() + spacing * widths.len().saturating_sub(1) as f32);
        if let Some(column) = header_clicked {
            self.query.toggle_sort(&column);
            self.query_changed();
        }
        if let Some((index, record)) = clicked_row {
            let extend = crate::users_admin::selection::Extend {
                range: modifiers.shift,
                toggle: modifiers.command,
            };
            self.admin.selection.click(index, extend);
            self.selected_row = Some(index);
            if extend.range || extend.toggle {
                // Building a selection for a bulk action: the inspector stays as it is.
                ui.ctx().request_repaint();
                return;
            }
            // The inspector shows another record: a related one on its way is not wanted any more.
            self.close_inspector();
            self.selected = Some(record);
            // The inspector panel is laid out before the table: show it on the next frame.
            ui.ctx().request_repaint();
        }
    }

    /// The table's keys, when no text field has the keyboard and no popup is open: the arrows move the
    /// selection a row, PageUp/PageDown a page of visible rows, Home/End to the first/last row (its page is
    /// fetched like any other), keeping it in view; Enter opens the inspector, Esc closes it; F5 refreshes.
    fn keyboard(&mut self, ui: &egui::Ui) {
        use egui::{Key, Modifiers};
        let ctx = ui.ctx();
        if ctx.egui_wants_keyboard_input() || egui::Popup::is_any_open(ctx) {
            return;
        }
        let total = self
            .cache
            .total()
            .map_or(0, |t| usize::try_from(t).unwrap_or(usize::MAX));
        let page = self
            .visible_rows
            .map_or(1, |(first, last)| last.saturating_sub(first).max(1));
        let pressed = |key| ui.input_mut(|i| i.consume_key(Modifiers::NONE, key));
        if pressed(Key::F5) {
            self.refresh();
        }
        if pressed(Key::Escape) {
            self.close_inspector();
        }
        if pressed(Key::Enter)
            && let Some(RowState::Loaded(record)) = self.selected_row.map(|r| self.cache.row(r))
        {
            self.selected = Some(record.clone());
        }
        if total == 0 {
            return;
        }
        let current = self.selected_row;
        let last = total - 1;
        // Space adds the current row to the selection (or takes it out); Shift+arrows select a range.
        if pressed(Key::Space)
            && let Some(row) = current
        {
            self.admin.selection.toggle(row);
        }
        let shifted = |key| ui.input_mut(|i| i.consume_key(Modifiers::SHIFT, key));
        let mut extend = false;
        // Shift first: a plain key's shortcut also matches it with Shift held.
        let target = if shifted(Key::ArrowDown) {
            extend = true;
            Some(current.map_or(0, |r| (r + 1).min(last)))
        } else if shifted(Key::ArrowUp) {
            extend = true;
            Some(current.map_or(0, |r| r.saturating_sub(1)))
        } else if pressed(Key::ArrowDown) {
            Some(current.map_or(0, |r| (r + 1).min(last)))
        } else if pressed(Key::ArrowUp) {
            Some(current.map_or(0, |r| r.saturating_sub(1)))
        } else if pressed(Key::PageDown) {
            Some(current.map_or(0, |r| (r + page).min(last)))
        } else if pressed(Key::PageUp) {
            Some(current.map_or(0, |r| r.saturating_sub(page)))
        } else if pressed(Key::Home) {
            Some(0)
        } else if pressed(Key::End) {
            Some(last)
        } else {
            None
        };
        if let Some(row) = target {
            if extend && self.admin.selection.is_empty() {
                // The range starts at the row the cursor was on.
                if let Some(from) = current {
                    self.admin.selection.moved_to(from, false);
                }
            }
            self.admin.selection.moved_to(row, extend);
            self.selected_row = Some(row);
            self.scroll_to_row = Some((row, None));
        }
    }

    /// With the inspector open, it shows the selected row as its page has it: another record once the
    /// selection moved, or the same record as read again (a Refresh, or back from editing it) — never an
    /// older copy beside a table that shows the new values.
    fn follow_selection(&mut self) {
        let (Some(shown), Some(row)) = (&self.selected, self.selected_row) else {
            return;
        };
        if let RowState::Loaded(record) = self.cache.row(row)
            && record != shown
        {
            self.selected = Some(record.clone());
        }
    }

    // --------------------------------------------------------------------------------------------
    // Helpers.

    /// The filter or sort changed: new generation, count again, back to the top; errors of the old query go.
    fn query_changed(&mut self) {
        self.cache.reset();
        self.tickets.query_changed();
        self.count_wanted = true;
        self.where_error = None;
        self.error = None;
        self.scroll_to_top = true;
        self.visible_rows = None;
        self.selected_row = None;
        self.admin.selection.clear();
    }

    /// Queues the count (if wanted) and the pages the visible rows need, plus one ahead.
    fn queue_loads(&mut self) {
        if std::mem::take(&mut self.count_wanted) {
            let where_clause = self.query.where_clause();
            self.send(Awaited::Count, |ticket| UsersRequest::Count {
                ticket,
                where_clause,
            });
        }
        if self.error.is_some() || self.where_error.is_some() {
            // A failing query is not asked again every frame; Retry or a new query resumes loading.
            return;
        }
        // Before the count arrives no rows are laid out: ask for the first page (and the next) right away.
        let (first, last) = self.visible_rows.unwrap_or((0, 0));
        for page in self.cache.request_pages(first, last) {
            let query = self.query.find_query(page);
            self.send(Awaited::Page { page }, |ticket| UsersRequest::Page {
                ticket,
                page,
                query,
            });
        }
    }

    fn start_export(&mut self, path: PathBuf) {
        // The path is chosen: the "Save to" row has done its work.
        self.dialog_note = None;
        // "Export selected…" asked for this path: the selection is exported instead.
        let Some(path) = self.take_bulk_export_path(path) else {
            return;
        };
        if self.export.is_some() {
            return;
        }
        let control = Arc::new(ExportControl::default());
        self.export_message = None;
        self.export = Some(RunningExport {
            path: path.clone(),
            control: Arc::clone(&control),
        });
        let (format, query, columns) =
            (self.export_format, self.query.clone(), self.columns.clone());
        self.send(Awaited::Export, |ticket| UsersRequest::Export {
            ticket,
            path,
            format,
            query,
            columns,
            control,
        });
    }
}

/// An admin request with its ticket, to queue (a free function: the caller may hold other fields).
fn admin_request(
    tickets: &mut Tickets,
    request: crate::users_admin::manage::AdminRequest,
) -> UsersOutcome {
    UsersOutcome::Send(UsersRequest::Admin {
        ticket: tickets.issue(Awaited::Admin),
        request,
    })
}

/// Why a related record could not be opened, in plain words.
fn related_error_text(object_id: &ObjectId, error: &ApiError) -> String {
    match error.code() {
        Some(1000) => {
            format!("The related record {object_id} does not exist (it may have been deleted).")
        }
        _ => format!("Could not open the related record {object_id}: {error}"),
    }
}

/// The columns offered: every readable described property (identity first), then the system columns.
fn available_columns(schema: &Schema) -> Vec<String> {
    let mut columns: Vec<String> = schema
        .properties()
        .iter()
        .filter(|p| p.access != Access::WriteOnly)
        .map(|p| p.name.to_string())
        .collect();
    for system in SYSTEM_COLUMNS {
        if !columns.iter().any(|c| c == system) {
            columns.push((*system).to_owned());
        }
    }
    columns
}

/// Makes a wheel notch over the table (`area`) scroll [`WHEEL_NOTCH_ROWS`] rows, on every platform. egui
/// scrolls a notch ("line") by its `line_scroll_speed` (40 pt: 1.7 rows of 23 pt here, or 3.5 where a
/// notch is two lines). `ui` is the table body's, inside its scroll area: the wheel is taken from egui
/// and applied here, lines as whole rows; touchpads (point deltas) and pages scroll as they are. A wheel
/// with a modifier (zoom, sideways) is left to egui.
fn wheel_in_rows(ui: &egui::Ui, area: egui::Rect) {
    if !ui
        .ctx()
        .pointer_hover_pos()
        .is_some_and(|p| area.contains(p))
    {
        return;
    }
    let pitch = ROW_HEIGHT + ui.spacing().item_spacing.y;
    let page = area.height();
    let mut delta = 0.0;
    let mut any = false;
    for (unit, y, modifiers) in ui.input(|i| {
        i.raw
            .events
            .iter()
            .filter_map(|event| match event {
                egui::Event::MouseWheel {
                    unit,
                    delta,
                    modifiers,
                    ..
                } => Some((*unit, delta.y, *modifiers)),
                _ => None,
            })
            .collect::<Vec<_>>()
    }) {
        if !modifiers.is_none() {
            return;
        }
        any = true;
        delta += match unit {
            egui::MouseWheelUnit::Line => y * WHEEL_NOTCH_ROWS * pitch,
            egui::MouseWheelUnit::Point => y,
            egui::MouseWheelUnit::Page => y * page,
        };
    }
    // egui spreads a notch over the next frames: while the pointer is over the table, none of it is left
    // for the scroll area, which scrolls by what is applied here instead.
    ui.ctx().input_mut(|i| i.smooth_scroll_delta.y = 0.0);
    if any && delta != 0.0 {
        ui.scroll_with_delta_animation(
            egui::vec2(0.0, delta),
            egui::style::ScrollAnimation::none(),
        );
    }
}

/// The starting width of each of `count` columns so that together (with `spacing` between them) they fill
/// `available` exactly, but none narrower than [`MIN_COLUMN_WIDTH`].
fn fit_column_width(available: f32, count: usize, spacing: f32) -> f32 {
    let count = count.max(1) as f32;
    ((available - spacing * (count - 1.0)) / count).max(MIN_COLUMN_WIDTH)
}

/// One line of text for a table cell: dates in local time, JSON compact, null empty.
pub fn cell_text(record: &UserRecord, column: &str, schema: &Schema) -> String {
    let Some(raw) = record.get(column) else {
        return String::new();
    };
    let ty = schema.type_of(column, raw);
    match Value::from_json(&ty, raw) {
        Value::Null => String::new(),
        Value::DateTime(ms) => format_datetime_local(ms),
        Value::Text(text) => match text.find(['\n', '\r']) {
            Some(end) => format!("{}…", &text[..end]),
            None => text,
        },
        other => other.edit_text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: serde_json::Value) -> UserRecord {
        UserRecord::from_json(value.as_object().unwrap().clone()).unwrap()
    }

    #[test]
    fn cells_are_one_line_and_typed() {
        let schema = Schema::default();
        let r = record(serde_json::json!({
            "objectId": "A", "name": "two\nlines", "created": 0, "age": null, "prefs": {"a": 1}
        }));
        assert_eq!(cell_text(&r, "name", &schema), "two…");
        assert_eq!(cell_text(&r, "created", &schema), format_datetime_local(0));
        assert_eq!(cell_text(&r, "age", &schema), "");
        assert_eq!(cell_text(&r, "missing", &schema), "");
        assert_eq!(cell_text(&r, "prefs", &schema), r#"{"a":1}"#);
    }

    #[test]
    fn remembered_columns_are_kept_and_unknown_ones_dropped() {
        let view = UsersView::new(Schema::default(), &["updated".into(), "nope".into()]);
        assert_eq!(view.columns(), ["updated"]);
        let view = UsersView::new(Schema::default(), &[]);
        // The status shows by default: admins disable and enable users from this view.
        assert_eq!(view.columns(), ["created", "userStatus"]);
    }

    /// The view in a harness, with the requests it sent (the app's part is played by each test).
    struct Host {
        view: UsersView,
        sent: Vec<UsersRequest>,
    }

    fn harness(view: UsersView) -> egui_kittest::Harness<'static, Host> {
        egui_kittest::Harness::new_ui_state(
            |ui, host: &mut Host| {
                if let Some(UsersOutcome::Send(request)) = host.view.ui(ui) {
                    host.sent.push(request);
                }
            },
            Host {
                view,
                sent: Vec::new(),
            },
        )
    }

    /// The requests the view queued, taken out as the app takes them.
    fn sent(view: &mut UsersView) -> Vec<UsersRequest> {
        view.outbox
            .drain(..)
            .filter_map(|outcome| match outcome {
                UsersOutcome::Send(request) => Some(request),
                UsersOutcome::Columns(_) => None,
            })
            .collect()
    }

    /// The ticket of the (last) count request in `sent`.
    fn count_ticket(sent: &[UsersRequest]) -> Ticket {
        sent.iter()
            .rev()
            .find_map(|request| match request {
                UsersRequest::Count { ticket, .. } => Some(*ticket),
                _ => None,
            })
            .expect("a count was asked for")
    }

    /// The ticket of the (last) request for page `page` in `sent`.
    fn page_ticket(sent: &[UsersRequest], page: usize) -> Ticket {
        sent.iter()
            .rev()
            .find_map(|request| match request {
                UsersRequest::Page {
                    ticket, page: p, ..
                } if *p == page => Some(*ticket),
                _ => None,
            })
            .expect("the page was asked for")
    }

    fn count(ticket: Ticket, total: u64) -> UsersAnswer {
        UsersAnswer::Count {
            ticket,
            result: Ok(total),
        }
    }

    fn page(ticket: Ticket, page: usize, ids: &[&str]) -> UsersAnswer {
        UsersAnswer::Page {
            ticket,
            page,
            result: Ok(ids
                .iter()
                .map(|id| Ok(record(serde_json::json!({ "objectId": id }))))
                .collect()),
        }
    }

    fn object_id_at(view: &UsersView, row: usize) -> Option<String> {
        match view.cache().row(row) {
            RowState::Loaded(record) => Some(record.object_id().as_str().to_owned()),
            _ => None,
        }
    }

    #[test]
    fn rows_whose_page_is_on_its_way_show_a_loading_row_until_it_arrives() {
        use egui_kittest::kittest::Queryable as _;
        let view = UsersView::new(Schema::default(), &["objectId".into()]);
        // The requests are left unanswered: their pages stay on their way.
        let mut harness = harness(view);
        harness.run_steps(2);
        harness.get_by_label("Counting users…");
        let ticket = count_ticket(&harness.state().sent);
        harness.state_mut().view.answer(count(ticket, 250));
        harness.run_steps(3);
        harness.get_by_label("250 users");
        assert!(harness.query_all_by_label("Loading…").count() >= 10);
        let ids: Vec<String> = (0..100).map(|i| format!("ID{i:03}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let ticket = page_ticket(&harness.state().sent, 0);
        harness.state_mut().view.answer(page(ticket, 0, &ids));
        harness.run_steps(2);
        harness.get_by_label("ID000");
        assert_eq!(harness.query_all_by_label("Loading…").count(), 0);
    }

    // Issue 9 item 7: rows of a failed page said "see the error above" after the banner had gone.
    #[test]
    fn rows_of_a_failed_page_say_why_even_after_the_banner_is_gone() {
        use egui_kittest::kittest::Queryable as _;
        let mut view = UsersView::new(Schema::default(), &["objectId".into()]);
        view.queue_loads();
        let requests = sent(&mut view);
        view.answer(UsersAnswer::Page {
            ticket: page_ticket(&requests, 0),
            page: 0,
            result: Err(ApiError::Timeout),
        });
        // The count succeeds afterwards and clears the banner.
        view.answer(count(count_ticket(&requests), 3));
        assert_eq!(view.error(), None);
        let mut harness = harness(view);
        harness.run_steps(2);
        let expected = format!("Not loaded: {}", ApiError::Timeout);
        assert_eq!(harness.query_all_by_label(&expected).count(), 3);
    }

    // Issue 14: one stale-answer scheme. The count and a page of a query since changed are dropped;
    // those of the current query are applied.
    #[test]
    fn answers_to_a_superseded_query_are_dropped_and_the_current_ones_applied() {
        let mut view = UsersView::new(Schema::default(), &["objectId".into()]);
        view.queue_loads();
        let old = sent(&mut view);
        view.query.quick = "carol".into();
        view.query_changed();
        view.queue_loads();
        let new = sent(&mut view);
        view.answer(count(count_ticket(&old), 250));
        view.answer(page(page_ticket(&old, 0), 0, &["OLD"]));
        assert_eq!(view.cache().total(), None, "the old query's count");
        assert_eq!(object_id_at(&view, 0), None, "the old query's page");
        view.answer(count(count_ticket(&new), 1));
        view.answer(page(page_ticket(&new, 0), 0, &["CAROL"]));
        assert_eq!(view.cache().total(), Some(1));
        assert_eq!(object_id_at(&view, 0).as_deref(), Some("CAROL"));
        // An answer is applied once: the same page again changes nothing.
        view.answer(page(page_ticket(&new, 0), 0, &["AGAIN"]));
        assert_eq!(object_id_at(&view, 0).as_deref(), Some("CAROL"));
    }

    // Issue 14: a page asked for again (Refresh) ignores the answer to the earlier request.
    #[test]
    fn a_page_asked_for_again_ignores_the_earlier_answer() {
        let mut view = UsersView::new(Schema::default(), &["objectId".into()]);
        view.queue_loads();
        let first = sent(&mut view);
        view.answer(count(count_ticket(&first), 2));
        view.refresh();
        view.queue_loads();
        let again = sent(&mut view);
        assert_ne!(page_ticket(&first, 0), page_ticket(&again, 0));
        view.answer(page(page_ticket(&first, 0), 0, &["STALE", "STALE2"]));
        assert_eq!(object_id_at(&view, 0), None, "the earlier request's rows");
        view.answer(page(page_ticket(&again, 0), 0, &["FRESH", "FRESH2"]));
        assert_eq!(object_id_at(&view, 0).as_deref(), Some("FRESH"));
    }

    // The inspector showed a copy of the selected record after it was read again (a Refresh, or back from
    // the record editor): the table had the new values, the inspector the old ones.
    #[test]
    fn the_inspector_shows_the_selected_record_as_read_again() {
        let mut view = UsersView::new(Schema::default(), &["objectId".into()]);
        view.queue_loads();
        let first = sent(&mut view);
        let bob =
            |phone: &str| record(serde_json::json!({ "objectId": "B", "phoneNumber": phone }));
        view.answer(count(count_ticket(&first), 1));
        view.answer(UsersAnswer::Page {
            ticket: page_ticket(&first, 0),
            page: 0,
            result: Ok(vec![Ok(bob("555-0101"))]),
        });
        view.selected = Some(bob("555-0101"));
        view.selected_row = Some(0);
        view.refresh();
        view.queue_loads();
        let again = sent(&mut view);
        view.answer(UsersAnswer::Page {
            ticket: page_ticket(&again, 0),
            page: 0,
            result: Ok(vec![Ok(bob("555-0199"))]),
        });
        view.follow_selection();
        assert_eq!(
            view.selected.as_ref().and_then(|r| r.get("phoneNumber")),
            Some(&serde_json::json!("555-0199"))
        );
    }

    /// Opens the related record `object_id` from the inspector; the request's ticket.
    fn open_related(view: &mut UsersView, object_id: &str) -> Ticket {
        view.open_related(object_id);
        sent(view).last().expect("a request").ticket()
    }

    fn record_answer(ticket: Ticket, object_id: &str) -> UsersAnswer {
        UsersAnswer::Record {
            ticket,
            object_id: object_id.parse().unwrap(),
            result: Ok(record(serde_json::json!({ "objectId": object_id }))),
        }
    }

    // Issue 14: a related record that arrives after its inspector was closed does not reopen it.
    #[test]
    fn a_related_record_for_a_closed_inspector_is_dropped_and_an_awaited_one_shown() {
        let mut view = UsersView::new(Schema::default(), &["objectId".into()]);
        view.selected = Some(record(serde_json::json!({ "objectId": "A" })));
        let ticket = open_related(&mut view, "B");
        assert_eq!(view.opening(), Some("B"));
        view.close_inspector();
        assert_eq!(view.opening(), None);
        view.answer(record_answer(ticket, "B"));
        assert!(
            view.selected().is_none(),
            "the closed inspector stays closed"
        );
        view.selected = Some(record(serde_json::json!({ "objectId": "A" })));
        let ticket = open_related(&mut view, "C");
        view.answer(record_answer(ticket, "C"));
        assert_eq!(
            view.selected().map(|r| r.object_id().as_str()),
            Some("C"),
            "the awaited related record is shown"
        );
        assert_eq!(view.inspector_history.len(), 1, "Back returns to A");
    }

    // Issue 14: a relation value is where a related record's id enters: one that is no objectId is refused
    // in the inspector, in plain words (quoted short, escaped), and nothing is sent; a good one is opened.
    #[test]
    fn a_related_id_that_is_no_object_id_is_refused_in_the_inspector_and_not_sent() {
        let mut view = UsersView::new(Schema::default(), &["objectId".into()]);
        view.selected = Some(record(serde_json::json!({ "objectId": "A" })));
        sent(&mut view);
        let long = "x".repeat(crate::model::ids::MAX_OBJECT_ID_CHARS + 1);
        for (bad, why) in [
            ("", "the objectId is empty"),
            ("A\nB", "control character"),
            ("..", "'.' or '..'"),
            (long.as_str(), "longer than"),
        ] {
            view.open_related(bad);
            assert!(sent(&mut view).is_empty(), "{bad:?} was sent");
            assert_eq!(view.opening(), None, "{bad:?}");
            let error = view.inspector_error.clone().expect("a message");
            assert!(
                error.starts_with("Cannot open the related record") && error.contains(why),
                "{error}"
            );
            assert!(!error.contains('\n'), "{error}");
            assert!(error.chars().count() < 200, "{error}");
        }
        let ticket = open_related(&mut view, "B");
        assert_eq!(
            view.inspector_error, None,
            "the good one clears the message"
        );
        view.answer(record_answer(ticket, "B"));
        assert_eq!(view.selected().map(|r| r.object_id().as_str()), Some("B"));
    }

    // Issue 14: the read before "Edit record" is one of the view's requests (it was the app's own
    // `record_opening` before): the record read is handed over, or the copy when the read failed; an
    // older read is superseded by a newer one.
    #[test]
    fn edit_record_hands_over_the_record_read_again_or_the_copy() {
        let mut view = UsersView::new(Schema::default(), &["objectId".into()]);
        let copy = record(serde_json::json!({ "objectId": "A", "name": "old" }));
        let first = view.read_then_edit(copy.clone()).ticket();
        let second = view.read_then_edit(copy.clone()).ticket();
        view.answer(record_answer(first, "A"));
        assert!(view.take_edit_request().is_none(), "superseded");
        view.answer(UsersAnswer::Record {
            ticket: second,
            object_id: "A".parse().unwrap(),
            result: Err(ApiError::Timeout),
        });
        assert_eq!(view.take_edit_request(), Some(copy.clone()));
        let third = view.read_then_edit(copy).ticket();
        let fresh = record(serde_json::json!({ "objectId": "A", "name": "new" }));
        view.answer(UsersAnswer::Record {
            ticket: third,
            object_id: "A".parse().unwrap(),
            result: Ok(fresh.clone()),
        });
        assert_eq!(view.take_edit_request(), Some(fresh));
        assert_eq!(view.take_edit_request(), None, "handed over once");
    }
}
