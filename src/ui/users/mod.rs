//! The admin's Users browser: quick search, advanced `where` (its errors inline), a column chooser, a
//! server-paged table with virtual scrolling (`egui_extras`), a read-only record inspector and CSV/JSON
//! export with progress and Cancel. Draws `admin::PageCache` and returns `UsersAction`s; it never sends
//! anything itself: the app runs the requests and feeds the answers back.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::admin::{
    ExportControl, ExportError, ExportFormat, ExportSummary, PageCache, RowState, UsersQuery,
};
use crate::backendless::client::FindQuery;
use crate::backendless::error::ApiError;
use crate::model::record::UserRecord;
use crate::model::schema::{Access, Schema};
use crate::model::value::{Value, format_datetime_local, format_datetime_utc};

/// Height of one table row.
const ROW_HEIGHT: f32 = 20.0;
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
    /// Run the export to `path` (the app spawns `admin::export`); answer with [`UsersView::export_finished`].
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
    /// The selected record (a copy, so it stays while its page is evicted).
    selected: Option<UserRecord>,
    /// Scroll the table to the top next frame (after the query changed).
    scroll_to_top: bool,
    /// Scroll the table to this row next frame (one-shot).
    scroll_to_row: Option<usize>,
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
            chosen = [identity.as_str(), "name", "created"]
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
        };
        view.cache.reset();
        view
    }

    // --------------------------------------------------------------------------------------------
    // Read by the app and tests.

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
        self.scroll_to_row = Some(row);
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

    /// Page `page` of `generation` arrived.
    pub fn page_loaded(&mut self, generation: u64, page: usize, rows: Vec<UserRecord>) {
        if self.cache.insert(generation, page, rows) {
            self.error = None;
        }
    }

    /// A count (`page` = `None`) or page request of `generation` failed. 1017 and 1006 go under the `where`
    /// box, anything else to the banner; the filter, the rows already loaded and the scroll position stay.
    pub fn load_failed(&mut self, generation: u64, page: Option<usize>, error: &ApiError) {
        if generation != self.cache.generation() {
            return;
        }
        match page {
            Some(page) => self.cache.fail(generation, page),
            None => self.count_wanted = false,
        }
        let message = error.to_string();
        match error {
            ApiError::InvalidWhere { .. } | ApiError::UnknownProperty { .. } => {
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

    /// The native dialog picked `path`: start the export.
    pub fn export_path_chosen(&mut self, path: PathBuf) {
        self.start_export(path);
    }

    /// There is no native save dialog here (`reason` says why): offer the path field instead of the button.
    pub fn dialog_unavailable(&mut self, reason: impl Into<String>) {
        self.dialog_available = false;
        self.dialog_note = Some(reason.into());
    }

    /// The native dialog closed without a path (cancelled, or it could not be shown): keep the button and
    /// offer the path field too, saying why.
    pub fn dialog_closed_without_path(&mut self) {
        self.dialog_note = Some(
            "No file was chosen. If no save dialog appeared, none is available here: type the path to save to."
                .to_owned(),
        );
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
        ui.separator();
        if self.selected.is_some() {
            egui::Panel::right("users_inspector")
                .resizable(true)
                .default_size(340.0)
                .min_size(220.0)
                .show(ui, |ui| self.inspector_ui(ui));
        }
        self.footer_ui(ui);
        self.table_ui(ui);
    }

    fn filter_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Search");
            let quick = ui
                .add(
                    egui::TextEdit::singleline(&mut self.quick_text)
                        .hint_text("email or name contains…")
                        .desired_width(220.0),
                )
                .labelled_by(label.id);
            if quick.changed() {
                self.query.quick.clone_from(&self.quick_text);
                self.query_changed();
            }
            ui.separator();
            self.columns_ui(ui);
        });
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
        ui.menu_button("Columns", |ui| {
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
        if let Some(row) = self.scroll_to_row.take() {
            table = table.scroll_to_row(row, Some(egui::Align::TOP));
        }
        let column_count = self.columns.len();
        for i in 0..column_count {
            let column = if i + 1 == column_count {
                Column::remainder().at_least(80.0).clip(true)
            } else {
                Column::initial(180.0).at_least(60.0).clip(true)
            };
            table = table.column(column);
        }
        let selected_id = self.selected.as_ref().map(|r| r.object_id().to_owned());
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
            .body(|body| {
                body.rows(ROW_HEIGHT, total, |mut row| {
                    let index = row.index();
                    visible = Some(match visible {
                        None => (index, index),
                        Some((first, last)) => (first.min(index), last.max(index)),
                    });
                    match cache.row(index) {
                        RowState::Loaded(record) => {
                            row.set_selected(selected_id.as_deref() == Some(record.object_id()));
                            for column in columns {
                                row.col(|ui| {
                                    let text = cell_text(record, column, schema);
                                    ui.add(egui::Label::new(text).truncate().selectable(false));
                                });
                            }
                            if row.response().clicked() {
                                clicked_row = Some(record.clone());
                            }
                        }
                        state => {
                            let text = if state == RowState::Loading {
                                "Loading…"
                            } else {
                                "Not loaded (see the error above)"
                            };
                            for i in 0..columns.len() {
                                row.col(|ui| {
                                    if i == 0 {
                                        ui.weak(text);
                                    }
                                });
                            }
                        }
                    }
                });
            });
        self.visible_rows = visible;
        if let Some(column) = header_clicked {
            self.query.toggle_sort(&column);
            self.query_changed();
        }
        if let Some(record) = clicked_row {
            self.selected = Some(record);
            // The inspector panel is laid out before the table: show it on the next frame.
            ui.ctx().request_repaint();
        }
    }

    fn inspector_ui(&mut self, ui: &mut egui::Ui) {
        let Some(record) = &self.selected else { return };
        let mut close = false;
        ui.horizontal(|ui| {
            ui.heading("Record");
            if ui.button("Copy as JSON").clicked() {
                let text = serde_json::to_string_pretty(record.as_map()).unwrap_or_default();
                ui.ctx().copy_text(text);
            }
            if ui.button("Close").clicked() {
                close = true;
            }
        });
        ui.weak("Read-only: admins inspect records here, they do not edit them.");
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("users_inspector_scroll")
            .show(ui, |ui| {
                egui::Grid::new("users_inspector_grid")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for name in record.names() {
                            let raw = record.get(name).unwrap_or(&serde_json::Value::Null);
                            let ty = self.schema.type_of(name, raw);
                            ui.label(RichText::new(name).strong())
                                .on_hover_text(ty.name().to_owned());
                            let value = Value::from_json(&ty, raw);
                            match &value {
                                Value::Null => {
                                    ui.label(RichText::new("null").weak().italics());
                                }
                                Value::DateTime(ms) => {
                                    ui.label(format_datetime_local(*ms))
                                        .on_hover_text(format_datetime_utc(*ms));
                                }
                                Value::Json(v) | Value::Opaque(v) => {
                                    let text = serde_json::to_string_pretty(v).unwrap_or_default();
                                    ui.label(RichText::new(text).monospace());
                                }
                                other => {
                                    ui.label(other.edit_text());
                                }
                            }
                            ui.end_row();
                        }
                    });
            });
        if close {
            self.selected = None;
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
        assert_eq!(view.columns(), ["created"]);
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
}
