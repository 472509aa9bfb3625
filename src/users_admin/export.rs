//! Export of the Users browser's current filter and sort to CSV (RFC 4180) or JSON: the writers, and the
//! async job that pages through the server into a temporary file and renames it into place only when
//! complete. A cancelled or failed export removes its temporary file, so no half file is ever left under
//! the chosen name. The file is owner-only (0600) and a CSV text cell that a spreadsheet would run as a
//! formula is written with a leading `'`. Takes a path: picking it (the native dialog) is the app's business.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;

use super::query::{PAGE_SIZE, UsersQuery};
use crate::backendless::client::{Client, FindQuery, FindRow, UnreadableRow, UserToken};
use crate::backendless::error::ApiError;
use crate::model::record::UserRecord;
use crate::model::schema::{PropertyType, Schema};

/// How often a running request checks whether the export was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(25);
/// The first characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a
/// formula or a command (OWASP "CSV injection"); such a text cell gets a leading `'`.
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// RFC 4180: CRLF line ends, a header of the chosen columns, fields with `"`, `,` or line breaks quoted.
    #[default]
    Csv,
    /// A JSON array of records, each an object of the chosen columns in their order.
    Json,
}

impl ExportFormat {
    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Json => "JSON",
        }
    }
}

/// Shared between the export job and the view: progress to draw and a cancel switch.
#[derive(Debug)]
pub struct ExportControl {
    /// Records written so far.
    done: AtomicU64,
    /// Records to write (from `count`); `u64::MAX` until known.
    total: AtomicU64,
    /// Set by Cancel; the job stops at its next check and removes its temporary file.
    cancelled: AtomicBool,
}

impl Default for ExportControl {
    fn default() -> Self {
        Self {
            done: AtomicU64::new(0),
            total: AtomicU64::new(u64::MAX),
            cancelled: AtomicBool::new(false),
        }
    }
}

impl ExportControl {
    /// Asks the job to stop.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether Cancel was pressed.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// (records written, records expected once counted).
    pub fn progress(&self) -> (u64, Option<u64>) {
        let total = self.total.load(Ordering::Relaxed);
        (
            self.done.load(Ordering::Relaxed),
            (total != u64::MAX).then_some(total),
        )
    }

    /// The fraction done, 0.0 while the total is unknown.
    pub fn fraction(&self) -> f32 {
        match self.progress() {
            (done, Some(total)) if total > 0 => (done as f64 / total as f64).min(1.0) as f32,
            (_, Some(_)) => 1.0,
            _ => 0.0,
        }
    }
}

/// Why an export did not complete. In every case the chosen path is untouched.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    /// Sent when Cancel was pressed.
    #[error("The export was cancelled; no file was written.")]
    Cancelled,
    /// Sent when the server refused a page or the count, or could not be reached.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// Sent when a record of the server's answer could not be read; the file is not written rather than
    /// written without it.
    #[error("{row} (record {number} of the export); no file was written.")]
    Unreadable {
        /// Its position in the export, from 1.
        number: u64,
        /// Which record and why.
        row: UnreadableRow,
    },
    /// Sent when the file could not be written or renamed.
    #[error("Cannot write the file: {message} ({})", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the OS said.
        message: String,
    },
}

/// A successful export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// Records written.
    pub records: u64,
    /// Where the file is.
    pub path: PathBuf,
}

// ------------------------------------------------------------------------------------------------
// Writers.

/// The text of a value in a CSV cell: strings as they are (but [`formula_safe`]), null or missing empty,
/// other JSON as JSON text (numbers exact, booleans `true`/`false`); [`csv_record`] writes dates as ISO 8601.
pub fn cell_text(value: Option<&serde_json::Value>) -> Cow<'_, str> {
    match value {
        None | Some(serde_json::Value::Null) => Cow::Borrowed(""),
        Some(serde_json::Value::String(s)) => formula_safe(s),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

/// `text` with a leading `'` when it starts with one of [`FORMULA_TRIGGERS`], so that a spreadsheet shows
/// it as text instead of running it (`=HYPERLINK(…)`, `@SUM(…)`, `+cmd|…`). Numbers are not text cells and
/// are never changed.
pub fn formula_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One RFC 4180 field: quoted (inner quotes doubled) when it holds a quote, a comma or a line break.
pub fn csv_field(text: &str) -> Cow<'_, str> {
    if text.contains(['"', ',', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

/// One CSV record line, CRLF-terminated.
pub fn csv_line<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut line = fields
        .into_iter()
        .map(csv_field)
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The CSV line of `record` for `columns`; a column whose flag in `dates` is set holds DATETIME epoch
/// milliseconds, written as ISO 8601 in UTC ([`iso_utc`]).
pub fn csv_record(record: &UserRecord, columns: &[String], dates: &[bool]) -> String {
    let cells: Vec<Cow<'_, str>> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let value = record.get(column);
            let ms = value.and_then(serde_json::Value::as_i64);
            match ms.filter(|_| dates.get(i).copied().unwrap_or(false)) {
                Some(ms) => iso_utc(ms).map_or_else(|| cell_text(value), Cow::Owned),
                None => cell_text(value),
            }
        })
        .collect();
    csv_line(cells.iter().map(AsRef::as_ref))
}

/// Epoch milliseconds as ISO 8601 in UTC: `2026-12-01T16:18:00Z`, with milliseconds when there are some
/// (`2026-12-01T16:18:00.250Z`); `None` outside the dates chrono can represent.
pub fn iso_utc(ms: i64) -> Option<String> {
    let utc = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)?;
    let format = if ms.rem_euclid(1000) == 0 {
        "%Y-%m-%dT%H:%M:%SZ"
    } else {
        "%Y-%m-%dT%H:%M:%S%.3fZ"
    };
    Some(utc.format(format).to_string())
}

/// For each of `columns`, whether it is a DATETIME in `schema` (the system dates are, described or not).
pub fn date_columns(schema: &Schema, columns: &[String]) -> Vec<bool> {
    columns
        .iter()
        .map(|c| schema.type_of(c, &serde_json::Value::Null) == PropertyType::DateTime)
        .collect()
}

/// `record` restricted to `columns`, in their order (a missing property is null).
pub fn json_record(
    record: &UserRecord,
    columns: &[String],
) -> serde_json::Map<String, serde_json::Value> {
    columns
        .iter()
        .map(|column| {
            (
                column.clone(),
                record
                    .get(column)
                    .cloned()
                    .unwrap_or(serde_json::Value::Null),
            )
        })
        .collect()
}

/// Streams records into the bytes of one file format.
struct Writer {
    format: ExportFormat,
    columns: Vec<String>,
    /// Which columns are DATETIME (ISO 8601 in CSV; JSON keeps Backendless's epoch milliseconds).
    dates: Vec<bool>,
    /// Records written so far (JSON needs it for the separators).
    written: u64,
}

impl Writer {
    fn header(&self) -> String {
        match self.format {
            ExportFormat::Csv => {
                let names: Vec<Cow<'_, str>> =
                    self.columns.iter().map(|c| formula_safe(c)).collect();
                csv_line(names.iter().map(AsRef::as_ref))
            }
            ExportFormat::Json => "[".to_owned(),
        }
    }

    fn record(&mut self, record: &UserRecord) -> String {
        let text = match self.format {
            ExportFormat::Csv => csv_record(record, &self.columns, &self.dates),
            ExportFormat::Json => {
                let object = serde_json::Value::Object(json_record(record, &self.columns));
                let separator = if self.written == 0 { "\n" } else { ",\n" };
                format!("{separator}{object}")
            }
        };
        self.written += 1;
        text
    }

    fn footer(&self) -> String {
        match self.format {
            ExportFormat::Csv => String::new(),
            ExportFormat::Json if self.written == 0 => "]\n".to_owned(),
            ExportFormat::Json => "\n]\n".to_owned(),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The job.

/// How the export walks through the matching records, page by page.
///
/// By offset, page `n` costs the server a walk past the `n × 100` rows before it, so a whole export costs it
/// quadratic time (measured on the emulator, 100,000 users: 1.6 ms for the first page, 12.7 ms for the
/// last; 1,001 pages took 11.3 s). When the admin chose no order (Backendless leaves the order unspecified
/// then, so the export may pick one), the export walks in creation order instead and each page asks for
/// the rows from the last `created` it wrote on (`created >= last`, skipping the rows of that instant it
/// already wrote): a seek on the `created` index, the same cost for every page. A record added or removed
/// meanwhile cannot shift a row into the next page twice or out of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Paging {
    /// `sortBy created, objectId` from `created >= last`, skipping `written_at_last` rows.
    FromCreated {
        /// The `created` of the last row written; `None` before the first page.
        last: Option<i64>,
        /// How many rows with that `created` were written (they come first in the next page).
        written_at_last: u64,
    },
    /// By offset, in the query's own sort (or, once a row without a `created` was met, in the creation
    /// order begun).
    Offset {
        /// The `sortBy` list sent.
        sort_by: Vec<String>,
        /// Rows written so far.
        offset: u64,
    },
}

/// The system column the export walks in when no order was chosen: set by the server, indexed.
const CREATED: &str = "created";
/// The creation order, `objectId` breaking ties.
fn creation_order() -> Vec<String> {
    vec![format!("{CREATED} asc"), "objectId asc".to_owned()]
}

impl Paging {
    /// The cheapest walk that keeps `query`'s order.
    fn for_query(query: &UsersQuery) -> Self {
        match query.sort {
            None => Self::FromCreated {
                last: None,
                written_at_last: 0,
            },
            Some(_) => Self::Offset {
                sort_by: query.sort_by(),
                offset: 0,
            },
        }
    }

    /// The request for the next page.
    fn next_page(&self, query: &UsersQuery) -> FindQuery {
        let mut find = query.find_query(0);
        match self {
            Self::Offset { sort_by, offset } => {
                find.sort_by.clone_from(sort_by);
                find.offset = *offset;
            }
            Self::FromCreated {
                last,
                written_at_last,
            } => {
                find.sort_by = creation_order();
                if let Some(last) = last {
                    let seek = format!("{CREATED} >= {last}");
                    find.where_clause = Some(match find.where_clause {
                        Some(filter) => format!("({filter}) AND {seek}"),
                        None => seek,
                    });
                    find.offset = *written_at_last;
                }
            }
        }
        find
    }

    /// Moves past `rows`, the page just written (every row of it readable); `written` counts every row
    /// written so far, these included.
    fn advance(&mut self, rows: &[FindRow], written: u64) {
        match self {
            Self::Offset { offset, .. } => *offset = written,
            Self::FromCreated {
                last,
                written_at_last,
            } => {
                let created: Vec<Option<i64>> = rows
                    .iter()
                    .map(|row| row.as_ref().ok().and_then(|r| r.get(CREATED)?.as_i64()))
                    .collect();
                let Some(&Some(newest)) = created.last() else {
                    // A row without a `created` (null sorts first): no seek can start from it.
                    *self = Self::Offset {
                        sort_by: creation_order(),
                        offset: written,
                    };
                    return;
                };
                let at_newest = created
                    .iter()
                    .rev()
                    .take_while(|c| **c == Some(newest))
                    .count() as u64;
                if *last == Some(newest) {
                    // The whole page had the same `created` as the one before.
                    *written_at_last += at_newest;
                } else {
                    *last = Some(newest);
                    *written_at_last = at_newest;
                }
            }
        }
    }
}

/// `dir/name.tmp-XXXXXXXX` beside `path` (same directory, so the rename is atomic).
pub fn temp_path(path: &Path) -> PathBuf {
    let suffix = getrandom::u32().unwrap_or_else(|_| std::process::id());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".to_owned());
    path.with_file_name(format!("{name}.tmp-{suffix:08x}"))
}

/// Exports every record matching `query`, sorted as it says, with `columns`, to `path` in `format`.
///
/// Pages of [`PAGE_SIZE`] (see [`Paging`]) are fetched one after another and appended to a temporary file beside `path`;
/// when all are written the file is flushed, synced and renamed to `path`. On cancel or any error the
/// temporary file is removed and `path` is left as it was.
pub async fn export(
    client: &Client,
    user_token: &UserToken,
    query: &UsersQuery,
    columns: &[String],
    format: ExportFormat,
    path: &Path,
    control: &ExportControl,
) -> Result<ExportSummary, ExportError> {
    let temp = temp_path(path);
    let result = write_all(client, user_token, query, columns, format, &temp, control).await;
    let result = match result {
        Ok(records) => tokio::fs::rename(&temp, path)
            .await
            .map(|()| records)
            .map_err(|e| io_error(path, &e)),
        Err(error) => Err(error),
    };
    match result {
        Ok(records) => {
            sync_dir(path).await;
            Ok(ExportSummary {
                records,
                path: path.to_owned(),
            })
        }
        Err(error) => {
            // The file may not exist (a failure before it was created): nothing to remove then.
            tokio::fs::remove_file(&temp).await.ok();
            Err(error)
        }
    }
}

async fn write_all(
    client: &Client,
    user_token: &UserToken,
    query: &UsersQuery,
    columns: &[String],
    format: ExportFormat,
    temp: &Path,
    control: &ExportControl,
) -> Result<u64, ExportError> {
    let where_clause = query.where_clause();
    let total = cancellable(
        control,
        client.count_users(Some(user_token), where_clause.as_deref()),
    )
    .await??;
    control.total.store(total, Ordering::Relaxed);
    // CSV writes dates as ISO 8601: which columns are dates is the server's schema's say. A schema that
    // cannot be read does not stop the export: the system dates (`created`, `updated`, `lastLogin`) are
    // known without it.
    let dates = match format {
        ExportFormat::Csv => {
            let described =
                cancellable(control, client.describe_user_class(Some(user_token))).await?;
            let schema = described.map_or_else(|_| Schema::default(), Schema::from_descriptors);
            date_columns(&schema, columns)
        }
        ExportFormat::Json => Vec::new(),
    };
    // A new file (the name is random), owner-only: it holds other people's records.
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let file = options.open(temp).await.map_err(|e| io_error(temp, &e))?;
    let mut out = tokio::io::BufWriter::new(file);
    let mut writer = Writer {
        format,
        columns: columns.to_vec(),
        dates,
        written: 0,
    };
    let write = |e: std::io::Error| io_error(temp, &e);
    out.write_all(writer.header().as_bytes())
        .await
        .map_err(write)?;
    let mut paging = Paging::for_query(query);
    loop {
        if control.is_cancelled() {
            return Err(ExportError::Cancelled);
        }
        let rows = cancellable(
            control,
            client.find_user_rows(Some(user_token), &paging.next_page(query)),
        )
        .await??;
        let mut chunk = String::new();
        for row in &rows {
            match row {
                Ok(record) => chunk.push_str(&writer.record(record)),
                Err(row) => {
                    return Err(ExportError::Unreadable {
                        number: writer.written + 1,
                        row: row.clone(),
                    });
                }
            }
        }
        out.write_all(chunk.as_bytes()).await.map_err(write)?;
        control.done.fetch_add(rows.len() as u64, Ordering::Relaxed);
        if rows.len() < PAGE_SIZE as usize {
            break;
        }
        paging.advance(&rows, writer.written);
    }
    if control.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    out.write_all(writer.footer().as_bytes())
        .await
        .map_err(write)?;
    out.flush().await.map_err(write)?;
    let file = out.into_inner();
    file.sync_all().await.map_err(write)?;
    Ok(writer.written)
}

/// Runs `call` unless Cancel is pressed first.
async fn cancellable<T>(
    control: &ExportControl,
    call: impl Future<Output = Result<T, ApiError>>,
) -> Result<Result<T, ApiError>, ExportError> {
    tokio::select! {
        result = call => Ok(result),
        () = async {
            while !control.is_cancelled() {
                tokio::time::sleep(CANCEL_POLL).await;
            }
        } => Err(ExportError::Cancelled),
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> ExportError {
    ExportError::Io {
        path: path.to_owned(),
        message: error.to_string(),
    }
}

/// Makes the rename durable (Unix: fsync the directory). Best effort: the file itself is already synced.
async fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(dir) = tokio::fs::File::open(dir).await {
            dir.sync_all().await.ok();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: serde_json::Value) -> UserRecord {
        UserRecord::from_json(value.as_object().unwrap().clone()).unwrap()
    }

    // Issue 10 item 11: CSV dates are ISO 8601 in UTC; JSON keeps the epoch milliseconds.
    #[test]
    fn csv_dates_are_iso_8601_in_utc_and_json_keeps_epoch_milliseconds() {
        assert_eq!(iso_utc(1_796_141_880_000).unwrap(), "2026-12-01T16:18:00Z");
        assert_eq!(
            iso_utc(1_796_141_880_250).unwrap(),
            "2026-12-01T16:18:00.250Z"
        );
        assert_eq!(iso_utc(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        let columns: Vec<String> = ["name", "created", "birthday", "age"]
            .map(String::from)
            .to_vec();
        let schema = Schema::from_descriptors(
            serde_json::from_value(serde_json::json!([
                {"name": "birthday", "type": "DATETIME", "required": false},
                {"name": "age", "type": "INT", "required": false}
            ]))
            .unwrap(),
        );
        let dates = date_columns(&schema, &columns);
        assert_eq!(dates, [false, true, true, false]);
        let r = record(serde_json::json!({
            "objectId": "A", "name": "Ann", "created": 1_796_141_880_000_i64,
            "birthday": 1_796_141_880_250_i64, "age": 1_796_141_880_000_i64
        }));
        assert_eq!(
            csv_record(&r, &columns, &dates),
            "Ann,2026-12-01T16:18:00Z,2026-12-01T16:18:00.250Z,1796141880000\r\n"
        );
        let json = json_record(&r, &columns);
        assert_eq!(json["created"], serde_json::json!(1_796_141_880_000_i64));
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\r"), "\"cr\r\"");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn csv_records_follow_the_columns_and_end_with_crlf() {
        let r = record(serde_json::json!({
            "objectId": "A1", "name": "O'Hara, \"Scarlett\"\nTara", "age": 30,
            "newsletter": true, "preferences": {"a": [1, 2]}, "address": null
        }));
        let columns: Vec<String> = [
            "name",
            "age",
            "newsletter",
            "preferences",
            "address",
            "missing",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            csv_record(&r, &columns, &[]),
            "\"O'Hara, \"\"Scarlett\"\"\nTara\",30,true,\"{\"\"a\"\":[1,2]}\",,\r\n"
        );
        assert_eq!(
            csv_line(columns.iter().map(String::as_str)),
            "name,age,newsletter,preferences,address,missing\r\n"
        );
    }

    #[test]
    fn json_export_is_an_array_of_records_with_the_columns() {
        let columns: Vec<String> = ["email", "age"].map(String::from).to_vec();
        let mut writer = Writer {
            format: ExportFormat::Json,
            columns: columns.clone(),
            dates: Vec::new(),
            written: 0,
        };
        let mut text = writer.header();
        text.push_str(&writer.record(&record(
            serde_json::json!({"objectId": "A", "email": "a@x", "age": 1}),
        )));
        text.push_str(&writer.record(&record(
            serde_json::json!({"objectId": "B", "email": "b,\"x\""}),
        )));
        text.push_str(&writer.footer());
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!([{"email": "a@x", "age": 1}, {"email": "b,\"x\"", "age": null}])
        );
        let empty = Writer {
            format: ExportFormat::Json,
            columns,
            dates: Vec::new(),
            written: 0,
        };
        let text = format!("{}{}", empty.header(), empty.footer());
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            serde_json::json!([])
        );
    }

    #[test]
    fn temp_file_sits_beside_the_target() {
        let temp = temp_path(Path::new("/tmp/out/users.csv"));
        assert_eq!(temp.parent(), Some(Path::new("/tmp/out")));
        let name = temp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("users.csv.tmp-"), "{name}");
    }

    #[test]
    fn progress_is_unknown_until_counted() {
        let control = ExportControl::default();
        assert_eq!(control.progress(), (0, None));
        assert!(control.fraction().abs() < f32::EPSILON);
        control.total.store(200, Ordering::Relaxed);
        control.done.store(50, Ordering::Relaxed);
        assert!((control.fraction() - 0.25).abs() < 1e-6);
        control.cancel();
        assert!(control.is_cancelled());
    }

    // Issue 9 item 15: exported cells must never run as spreadsheet formulas.
    #[test]
    fn text_cells_that_a_spreadsheet_would_run_get_a_leading_quote() {
        let r = record(serde_json::json!({
            "objectId": "A",
            "link": "=HYPERLINK(\"http://evil.example\",\"click\")",
            "plus": "+cmd|' /C calc'!A0",
            "minus": "-2+3",
            "at": "@SUM(1,2)",
            "tab": "\t=1",
            "cr": "\r=1",
            "fine": "a=b",
            "age": -5,
        }));
        let columns: Vec<String> = ["link", "plus", "minus", "at", "tab", "cr", "fine", "age"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            csv_record(&r, &columns, &[]),
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",'+cmd|' /C calc'!A0,'-2+3,\"'@SUM(1,2)\",'\t=1,\"'\r=1\",a=b,-5\r\n"
        );
        assert_eq!(formula_safe("plain"), "plain");
        assert_eq!(formula_safe(""), "");
        let writer = Writer {
            format: ExportFormat::Csv,
            columns: vec!["=bad".into(), "name".into()],
            dates: Vec::new(),
            written: 0,
        };
        assert_eq!(writer.header(), "'=bad,name\r\n");
    }

    /// A page of rows created at these instants (`None`: a row without `created`).
    fn page(created: &[Option<i64>]) -> Vec<FindRow> {
        created
            .iter()
            .enumerate()
            .map(|(i, created)| {
                Ok(record(
                    serde_json::json!({"objectId": format!("ID{i}"), "created": created}),
                ))
            })
            .collect()
    }

    #[test]
    fn an_unsorted_export_seeks_by_created_and_skips_what_it_wrote_at_the_same_instant() {
        let query = UsersQuery::new("email");
        let mut paging = Paging::for_query(&query);
        let first = paging.next_page(&query);
        assert_eq!(first.sort_by, ["created asc", "objectId asc"]);
        assert_eq!((first.where_clause, first.offset), (None, 0));
        paging.advance(&page(&[Some(1), Some(2), Some(3), Some(3)]), 4);
        let next = paging.next_page(&query);
        assert_eq!(next.where_clause.as_deref(), Some("created >= 3"));
        assert_eq!(next.offset, 2, "the two rows of instant 3 already written");
        assert_eq!(next.sort_by, ["created asc", "objectId asc"]);
        // A whole page of the same instant: the skip grows.
        paging.advance(&page(&[Some(3), Some(3), Some(3)]), 7);
        assert_eq!(paging.next_page(&query).offset, 5);
        paging.advance(&page(&[Some(3), Some(4), Some(5)]), 10);
        let next = paging.next_page(&query);
        assert_eq!(next.where_clause.as_deref(), Some("created >= 5"));
        assert_eq!(next.offset, 1);
        // The admin's filter stays, the seek joins it.
        let filtered = UsersQuery {
            advanced: "age > 30".to_owned(),
            ..UsersQuery::new("email")
        };
        assert_eq!(
            paging.next_page(&filtered).where_clause.as_deref(),
            Some("(age > 30) AND created >= 5")
        );
    }

    #[test]
    fn a_row_without_created_continues_the_creation_order_by_offset() {
        let query = UsersQuery::new("email");
        let mut paging = Paging::for_query(&query);
        paging.advance(&page(&[None, None]), 2);
        let next = paging.next_page(&query);
        assert_eq!(next.sort_by, ["created asc", "objectId asc"]);
        assert_eq!((next.where_clause, next.offset), (None, 2));
    }

    #[test]
    fn a_chosen_sort_is_kept_and_paged_by_offset() {
        let mut query = UsersQuery::new("email");
        query.toggle_sort("name");
        let mut paging = Paging::for_query(&query);
        assert_eq!(paging.next_page(&query).sort_by, query.sort_by());
        paging.advance(&page(&[Some(9), Some(1)]), 100);
        let next = paging.next_page(&query);
        assert_eq!((next.where_clause, next.offset), (None, 100));
        assert_eq!(next.sort_by, query.sort_by());
    }
}
