//! The admin's Users browser: quick search, advanced `where` (its errors inline), a column chooser, a
//! server-paged table with virtual scrolling (`egui_extras`), a read-only record inspector (a relation shows
//! its related object ids as links that open the related record, with Back) and CSV/JSON
//! export with progress and Cancel. Draws `users_admin::PageCache` and returns `UsersAction`s; it never sends
//! anything itself: the app runs the requests and feeds the answers back.
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

pub use inspector::INSPECTOR_MAX_FRACTION;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::backendless::client::{FindQuery, FindRow};
use crate::backendless::error::ApiError;
use crate::model::record::UserRecord;
use crate::model::schema::{Access, Schema, is_system};
use crate::model::value::{Value, format_datetime_local};
use crate::users_admin::{
    ExportControl, ExportError, ExportFormat, ExportSummary, PageCache, RowState, UsersQuery,
};

/// Height of one table row.
const ROW_HEIGHT: f32 = 20.0;
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

/// What the view asks the app to do.
#[derive(Debug, Clone)]
pub enum UsersAction {
    /// Count the rows matching `where_clause`; answer with [`UsersView::count_loaded`] / [`UsersView::load_failed`].
    Count {
        /// The query generation; repeat it in the answer.
        generation: u64,
        /// The `where` clause of the query.
        where_clause: Option<String>,
    },
    /// Load one page; answer with [`UsersView::page_loaded`] / [`UsersView::load_failed`].
    LoadPage {
        /// The query generation; repeat it in the answer.
        generation: u64,
        /// The page index.
        page: usize,
        /// The request (where, sortBy, pageSize 100, offset).
        query: FindQuery,
    },
    /// Open the native save dialog; answer with [`UsersView::export_path_chosen`] (or
    /// [`UsersView::dialog_unavailable`] when there is no dialog).
    PickExportPath {
        /// The format picked, for the file type filter.
        format: ExportFormat,
        /// A suggested file name (`users.csv`).
        file_name: String,
    },
    /// Run the export to `path` (the app spawns `users_admin::export`); answer with [`UsersView::export_finished`].
    Export {
        /// Where to write.
        path: PathBuf,
        /// CSV or JSON.
        format: ExportFormat,
        /// The current filter and sort.
        query: UsersQuery,
        /// The chosen columns, in order.
        columns: Vec<String>,
        /// Progress and Cancel, shared with the view.
        control: Arc<ExportControl>,
    },
    /// The chosen columns changed; the app remembers them between runs.
    ColumnsChanged(Vec<String>),
    /// A page showed a property the schema does not describe: read the schema again; answer with
    /// [`UsersView::schema_loaded`].
    ReloadSchema,
    /// Fetch the record `object_id` (a relation's target, opened from the inspector); answer with
    /// [`UsersView::related_loaded`].
    OpenRecord {
        /// The related record's id.
        object_id: String,
    },
    /// Something the admin does to users (status, roles, role filter, delete, create, bulk); answer with
    /// [`UsersView::admin_answer`].
    Admin(crate::users_admin::manage::AdminRequest),
}

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
    /// Whether the count of the current generation must be asked for (again).
    count_wanted: bool,
    /// The record in the inspector (a copy, so it stays while its page is evicted); `None`: closed.
    selected: Option<UserRecord>,
    /// The selected row (highlighted; the arrows move it, Enter opens it in the inspector).
    selected_row: Option<usize>,
    /// Records the inspector showed before a relation was opened from it ("Back" returns to the last).
    inspector_history: Vec<UserRecord>,
    /// The related record asked for and not yet answered.
    opening: Option<String>,
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
    /// The path field used without a native dialog.
    export_path: String,
    /// The export running now.
    export: Option<RunningExport>,
    /// The outcome of the last export, shown beside the button.
    export_message: Option<(bool, String)>,
    /// Actions produced and not yet returned (one is returned per frame).
    outbox: VecDeque<UsersAction>,
    /// Rows laid out in the last frame (first, last), for tests and read-ahead.
    visible_rows: Option<(usize, usize)>,
    /// The width the table's columns took in the last frame (with the spacing between them).
    table_width: Option<f32>,
    /// Property names seen in rows but not in the schema that already made the view ask for the schema
    /// again: each asks once, so a property the server does not describe does not ask on every page.
    schema_asked_for: std::collections::BTreeSet<String>,
    /// The admin's actions: status, roles, delete, create, the role filter, the selection and bulk.
    admin: actions::AdminState,
    /// The inspector's record, after "Edit record" was clicked, until the app takes it (ADMIN-EDIT).
    edit_request: Option<UserRecord>,
}

impl UsersView {
    /// A browser over `schema`, showing `columns` (the remembered choice; empty for the default).
    pub fn new(schema: Schema, columns: &[String]) -> Self {
        let available_columns = available_columns(&schema);
        let identity = schema
            .identity()
            .map_or_else(|| "email".to_owned(), |p| p.name.clone());
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
            opening: None,
            inspector_error: None,
            scroll_to_top: false,
            scroll_to_row: None,
            export_format: ExportFormat::Csv,
            dialog_available: true,
            dialog_note: None,
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

    /// The record the admin asked to edit ("Edit record" in the inspector), once; the app opens it in
    /// the typed editor (`app::record_editor`).
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

    /// The related record `object_id` arrived (or not): the inspector shows it, "Back" returns to the
    /// record it was opened from; a failure shows in the inspector in plain words.
    pub fn related_loaded(&mut self, object_id: &str, result: Result<UserRecord, ApiError>) {
        if self.opening.as_deref() != Some(object_id) {
            return;
        }
        self.opening = None;
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

    /// The count of `generation` arrived.
    pub fn count_loaded(&mut self, generation: u64, total: u64) {
        if self.cache.set_total(generation, total) {
            self.error = None;
        }
    }

    /// Page `page` of `generation` arrived, every row readable.
    pub fn page_loaded(&mut self, generation: u64, page: usize, rows: Vec<UserRecord>) {
        self.page_rows_loaded(generation, page, rows.into_iter().map(Ok).collect());
    }

    /// Page `page` of `generation` arrived; a row that could not be read shows its own error in its row.
    pub fn page_rows_loaded(&mut self, generation: u64, page: usize, rows: Vec<FindRow>) {
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
        if self.cache.insert(generation, page, rows) {
            self.error = None;
            if !unknown.is_empty() {
                // The schema changed since it was read (a property was added): read it again.
                self.schema_asked_for.extend(unknown);
                self.outbox.push_back(UsersAction::ReloadSchema);
            }
        }
    }

    /// The schema was read again: its columns are offered; chosen columns it no longer has are dropped.
    pub fn schema_loaded(&mut self, schema: Schema) {
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
                .push_back(UsersAction::ColumnsChanged(self.columns.clone()));
        }
    }

    /// A count (`page` = `None`) or page request of `generation` failed. 1017 and 1006 go under the `where`
    /// box, anything else to the banner; the filter, the rows already loaded and the scroll position stay.
    pub fn load_failed(&mut self, generation: u64, page: Option<usize>, error: &ApiError) {
        if generation != self.cache.generation() {
            return;
        }
        let message = error.to_string();
        match page {
            Some(page) => self.cache.fail(generation, page, message.clone()),
            None => self.count_wanted = false,
        }
        match error {
            ApiError::InvalidWhere { message: detail } => {
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

    /// The native dialog picked `path`: start the export (of the selection, if that asked for it).
    pub fn export_path_chosen(&mut self, path: PathBuf) {
        self.start_export(path);
    }

    /// There is no native save dialog here (`reason` says why): offer the path field instead of the button.
    pub fn dialog_unavailable(&mut self, reason: impl Into<String>) {
        self.dialog_available = false;
        self.dialog_note = Some(reason.into());
    }

    /// The native dialog closed without a path (cancelled, or it could not be shown: `rfd` answers no
    /// path when there is no desktop portal): keep the button and offer the path field until the export
    /// starts or the field is cancelled, saying why (`reason`, when the app knows there is no dialog).
    pub fn dialog_closed_without_path(&mut self, reason: Option<&str>) {
        self.dialog_note = Some(reason.map_or_else(
            || {
                "No file was chosen. If no save dialog appeared, none is available here: type the path to save to."
                    .to_owned()
            },
            str::to_owned,
        ));
    }

    /// The export ended.
    pub fn export_finished(&mut self, result: Result<ExportSummary, ExportError>) {
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
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<UsersAction> {
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
                .push_back(UsersAction::ColumnsChanged(self.columns.clone()));
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
                self.outbox.push_back(UsersAction::PickExportPath {
                    format: self.export_format,
                    file_name: format!("users.{}", self.export_format.extension()),
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
            self.selected = Some(record);
            self.inspector_history.clear();
            self.inspector_error = None;
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
            self.selected = None;
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

    /// With the inspector open, it shows the selected row (once its page has arrived).
    fn follow_selection(&mut self) {
        let (Some(shown), Some(row)) = (&self.selected, self.selected_row) else {
            return;
        };
        if let RowState::Loaded(record) = self.cache.row(row)
            && record.object_id() != shown.object_id()
        {
            self.selected = Some(record.clone());
        }
    }

    // --------------------------------------------------------------------------------------------
    // Helpers.

    /// The filter or sort changed: new generation, count again, back to the top; errors of the old query go.
    fn query_changed(&mut self) {
        self.cache.reset();
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
        let generation = self.cache.generation();
        if std::mem::take(&mut self.count_wanted) {
            self.outbox.push_back(UsersAction::Count {
                generation,
                where_clause: self.query.where_clause(),
            });
        }
        if self.error.is_some() || self.where_error.is_some() {
            // A failing query is not asked again every frame; Retry or a new query resumes loading.
            return;
        }
        // Before the count arrives no rows are laid out: ask for the first page (and the next) right away.
        let (first, last) = self.visible_rows.unwrap_or((0, 0));
        for page in self.cache.request_pages(first, last) {
            self.outbox.push_back(UsersAction::LoadPage {
                generation,
                page,
                query: self.query.find_query(page),
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
        self.outbox.push_back(UsersAction::Export {
            path,
            format: self.export_format,
            query: self.query.clone(),
            columns: self.columns.clone(),
            control,
        });
    }
}

/// Why a related record could not be opened, in plain words.
fn related_error_text(object_id: &str, error: &ApiError) -> String {
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
        .map(|p| p.name.clone())
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

    #[test]
    fn rows_whose_page_is_on_its_way_show_a_loading_row_until_it_arrives() {
        use egui_kittest::kittest::Queryable as _;
        let view = UsersView::new(Schema::default(), &["objectId".into()]);
        let mut harness = egui_kittest::Harness::new_ui_state(
            |ui, view: &mut UsersView| {
                // The requests are left unanswered: their pages stay on their way.
                view.ui(ui);
            },
            view,
        );
        harness.run_steps(2);
        harness.get_by_label("Counting users…");
        let generation = harness.state().cache().generation();
        harness.state_mut().count_loaded(generation, 250);
        harness.run_steps(3);
        harness.get_by_label("250 users");
        assert!(harness.query_all_by_label("Loading…").count() >= 10);
        let rows = (0..100)
            .map(|i| record(serde_json::json!({ "objectId": format!("ID{i:03}") })))
            .collect();
        harness.state_mut().page_loaded(generation, 0, rows);
        harness.run_steps(2);
        harness.get_by_label("ID000");
        assert_eq!(harness.query_all_by_label("Loading…").count(), 0);
    }

    // Issue 9 item 7: rows of a failed page said "see the error above" after the banner had gone.
    #[test]
    fn rows_of_a_failed_page_say_why_even_after_the_banner_is_gone() {
        use egui_kittest::kittest::Queryable as _;
        let mut view = UsersView::new(Schema::default(), &["objectId".into()]);
        let generation = view.cache().generation();
        view.load_failed(generation, Some(0), &ApiError::Timeout);
        // The count succeeds afterwards and clears the banner.
        view.count_loaded(generation, 3);
        assert_eq!(view.error(), None);
        let mut harness = egui_kittest::Harness::new_ui_state(
            |ui, view: &mut UsersView| {
                view.ui(ui);
            },
            view,
        );
        harness.run_steps(2);
        let expected = format!("Not loaded: {}", ApiError::Timeout);
        assert_eq!(harness.query_all_by_label(&expected).count(), 3);
    }
}
