//! Export of the profile as JSON and import of values from a JSON file as pending edits, with the report
//! of what was applied and what was refused. The path is typed or chosen in the native dialog (`rfd`, run
//! on its own thread so the UI never waits on it); where the system has no native dialog, the window says
//! so and the path field is the way. The file is written (atomically, owner-only) and read by the app's
//! disk worker (`app::disk`), whose answers this window drains; a bare view without one (view tests) does
//! the same write and read inline.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::app::disk::{DiskAnswer, DiskDone, DiskHandle, Purpose};

use egui::RichText;

use crate::profile::import::{ImportReport, export, import};
use crate::profile::session::EditSession;

/// Which way the file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// Write the profile to a file.
    Export,
    /// Write the profile with the unsaved changes that parse applied (when the server cannot take them,
    /// e.g. the account was deleted).
    ExportWithChanges,
    /// Read values from a file as pending edits.
    Import,
}

/// The outcome shown under the path field.
#[derive(Debug, Clone, PartialEq)]
pub enum FileResult {
    /// The profile was written to this path.
    Exported(PathBuf),
    /// An import ran: what was applied and what was refused.
    Imported(ImportReport),
    /// The file could not be read, written or used.
    Failed(String),
}

/// The import/export window's state.
pub struct FilesView {
    /// Set while the window is open.
    mode: Option<FileMode>,
    /// The path as typed (or as chosen in the dialog).
    pub path: String,
    /// The last outcome, until the window closes or runs again.
    result: Option<FileResult>,
    /// The native dialog's answer, while it is open on its thread.
    dialog: Option<Receiver<Option<PathBuf>>>,
    /// Why the native dialog cannot be used here, if it cannot.
    no_dialog: Option<String>,
    /// The disk worker (answering on the receiver), once the app gave one.
    disk: Option<(DiskHandle, Receiver<DiskAnswer>)>,
    /// The file being written or read by the disk worker; cleared by its answer.
    waiting: Option<PathBuf>,
}

impl Default for FilesView {
    fn default() -> Self {
        Self {
            mode: None,
            path: String::new(),
            result: None,
            dialog: None,
            no_dialog: native_dialog_problem(),
            disk: None,
            waiting: None,
        }
    }
}

/// Why no native file dialog can open on this system (`None`: one can). On Linux the dialog is the
/// desktop portal, reached over the D-Bus session bus; without one there is nothing to talk to.
fn native_dialog_problem() -> Option<String> {
    let has_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|bus| !bus.is_empty());
    (cfg!(target_os = "linux") && !has_bus).then(|| {
        "No native file dialog is available on this system (no desktop session bus). Type the \
         file's path instead."
            .to_owned()
    })
}

impl FilesView {
    /// Lets the window write and read its files through `disk` (off the UI thread).
    pub fn set_disk(&mut self, disk: &DiskHandle) {
        let (reply, answers) = std::sync::mpsc::channel();
        self.disk = Some((disk.replying_to(reply), answers));
    }

    /// Opens the window for `mode`.
    pub fn open(&mut self, mode: FileMode) {
        self.mode = Some(mode);
        self.result = None;
    }

    /// Whether a write or read is on its way.
    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// Whether the window is open.
    pub fn is_open(&self) -> bool {
        self.mode.is_some()
    }

    /// The last outcome.
    pub fn result(&self) -> Option<&FileResult> {
        self.result.as_ref()
    }

    /// Runs the export or import for the path in the field; on import, the accepted values become
    /// pending edits of `session` (one undo step).
    pub fn run(&mut self, session: &mut EditSession) {
        let Some(mode) = self.mode else { return };
        let path = PathBuf::from(self.path.trim());
        if path.as_os_str().is_empty() {
            self.result = Some(FileResult::Failed("Enter a file path first.".to_owned()));
            return;
        }
        if self.waiting.is_some() {
            return;
        }
        self.result = None;
        let (purpose, job) = match mode {
            FileMode::Export | FileMode::ExportWithChanges => {
                let bytes = export(&exported_record(session, mode)).into_bytes();
                (Purpose::ProfileExport, Some(bytes))
            }
            FileMode::Import => (Purpose::ProfileImport, None),
        };
        if let Some((disk, _)) = &self.disk {
            match job {
                Some(bytes) => disk.write(purpose, path.clone(), bytes),
                None => disk.read(purpose, path.clone()),
            }
            self.waiting = Some(path);
            return;
        }
        // No disk worker (a bare view): the same atomic write and read, inline.
        let result = match job {
            Some(bytes) => crate::private_file::write(&path, &bytes).map(|()| DiskDone::Written),
            None => std::fs::read(&path).map(|bytes| DiskDone::Read {
                bytes,
                starts_mid_file: false,
            }),
        };
        self.finish(path, result, session);
    }

    /// The disk worker's answer, if it is there.
    fn poll_disk(&mut self, session: &mut EditSession) {
        let Some(answer) = self
            .disk
            .as_ref()
            .and_then(|(_, answers)| answers.try_recv().ok())
        else {
            return;
        };
        if self.waiting.as_ref() != Some(&answer.path) {
            return;
        }
        self.waiting = None;
        self.finish(answer.path, answer.result, session);
    }

    /// The outcome of a write or read of `path`: exported, or the import applied to `session`.
    fn finish(
        &mut self,
        path: PathBuf,
        result: std::io::Result<DiskDone>,
        session: &mut EditSession,
    ) {
        self.result = Some(match result {
            Ok(DiskDone::Written) => FileResult::Exported(path),
            Ok(DiskDone::Read { bytes, .. }) => match String::from_utf8(bytes) {
                Err(_) => FileResult::Failed(format!(
                    "Could not read the file: it is not UTF-8 text ({})",
                    path.display()
                )),
                Ok(text) => match import(&text, session.schema()) {
                    Err(error) => FileResult::Failed(error.to_string()),
                    Ok(report) => {
                        session.import_values(&report.accepted);
                        FileResult::Imported(report)
                    }
                },
            },
            Ok(DiskDone::Removed) => return,
            Err(error) => {
                let doing = if self.mode == Some(FileMode::Import) {
                    "read"
                } else {
                    "write"
                };
                FileResult::Failed(format!(
                    "Could not {doing} the file: {error} ({})",
                    path.display()
                ))
            }
        });
    }

    /// Draws the window when open; `session` receives imported values.
    pub fn ui(&mut self, ctx: &egui::Context, session: &mut EditSession) {
        let Some(mode) = self.mode else { return };
        self.poll_dialog(session);
        self.poll_disk(session);
        let title = match mode {
            FileMode::Export => "Export profile as JSON",
            FileMode::ExportWithChanges => "Export profile with your changes as JSON",
            FileMode::Import => "Import values from JSON",
        };
        let mut open = true;
        let mut run = false;
        egui::Window::new(title)
            .id(egui::Id::unique("editor-files"))
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_width(520.0)
            .show(ctx, |ui| {
                ui.label(match mode {
                    FileMode::Export => "Writes every property of your profile (never the password).",
                    FileMode::ExportWithChanges => {
                        "Writes every property of your profile with your unsaved changes in it (never \
                         the password; a value that is not valid for its type keeps the saved one)."
                    }
                    FileMode::Import => {
                        "Values from the file become pending edits, checked like typed ones; nothing is \
                         sent until you save. Unknown, read-only and wrongly typed keys are listed and \
                         not applied."
                    }
                });
                ui.horizontal(|ui| {
                    let label = ui.label("File path");
                    let response = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.path)
                                .hint_text("/path/to/profile.json")
                                .desired_width(320.0),
                        )
                        .labelled_by(label.id);
                    if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        run = true;
                    }
                    let choosing = self.dialog.is_some();
                    if ui
                        .add_enabled(
                            self.no_dialog.is_none() && !choosing,
                            egui::Button::new("Choose file…"),
                        )
                        .clicked()
                    {
                        self.dialog = Some(open_dialog(mode, ctx.clone()));
                    }
                });
                if let Some(problem) = &self.no_dialog {
                    ui.colored_label(ui.visuals().warn_fg_color, problem);
                }
                if self.dialog.is_some() {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Waiting for the file dialog…");
                    });
                }
                let button = match mode {
                    FileMode::Export | FileMode::ExportWithChanges => "Export",
                    FileMode::Import => "Import",
                };
                let waiting = self.waiting.is_some();
                if ui
                    .add_enabled(!waiting, egui::Button::new(button))
                    .clicked()
                {
                    run = true;
                }
                if waiting {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(match mode {
                            FileMode::Import => "Reading the file…",
                            _ => "Writing the file…",
                        });
                    });
                }
                if let Some(result) = &self.result {
                    ui.separator();
                    result_ui(ui, result);
                }
            });
        if run {
            self.run(session);
        }
        if !open {
            self.mode = None;
            self.result = None;
            // A late answer is dropped (the window it was for is gone).
            self.waiting = None;
        }
    }

    /// Takes the dialog's answer when it is there; a chosen path runs at once.
    fn poll_dialog(&mut self, session: &mut EditSession) {
        let Some(receiver) = &self.dialog else { return };
        match receiver.try_recv() {
            Ok(Some(path)) => {
                self.dialog = None;
                self.path = path.display().to_string();
                self.run(session);
            }
            Ok(None) => {
                self.dialog = None;
                self.result = Some(FileResult::Failed(
                    "No file was chosen. If no dialog appeared, type the path instead.".to_owned(),
                ));
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.dialog = None;
                self.no_dialog = Some(
                    "The native file dialog failed to open. Type the file's path instead."
                        .to_owned(),
                );
            }
        }
    }
}

/// The record an export writes: as loaded, or with the pending changes that parse applied.
fn exported_record(session: &EditSession, mode: FileMode) -> crate::model::record::UserRecord {
    let mut record = session.original().clone();
    if mode == FileMode::ExportWithChanges {
        let changes = session.parsed_changes();
        for name in changes.keys() {
            if name == crate::profile::session::PASSWORD_FIELD {
                continue;
            }
            if let Some(value) = changes.get(name) {
                record.set(name, value.clone());
            }
        }
    }
    record
}

/// Opens the native dialog on its own thread; the answer arrives on the returned channel (and wakes the
/// UI).
fn open_dialog(mode: FileMode, ctx: egui::Context) -> Receiver<Option<PathBuf>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("file-dialog".to_owned())
        .spawn(move || {
            let dialog = rfd::FileDialog::new().add_filter("JSON", &["json"]);
            let path = match mode {
                FileMode::Export | FileMode::ExportWithChanges => {
                    dialog.set_file_name("profile.json").save_file()
                }
                FileMode::Import => dialog.pick_file(),
            };
            sender.send(path).ok();
            ctx.request_repaint();
        });
    if let Err(error) = spawned {
        tracing::error!("cannot start the file dialog thread: {error}");
    }
    receiver
}

/// The outcome, in words.
fn result_ui(ui: &mut egui::Ui, result: &FileResult) {
    let error = ui.visuals().error_fg_color;
    match result {
        FileResult::Exported(path) => {
            ui.label(format!("Exported to {}", path.display()));
        }
        FileResult::Failed(message) => {
            ui.colored_label(error, message);
        }
        FileResult::Imported(report) => {
            let names = |names: Vec<&str>| names.join(", ");
            if report.accepted.is_empty() {
                ui.label("Nothing was applied.");
            } else {
                ui.label(format!(
                    "Applied as pending edits: {}",
                    names(report.accepted.iter().map(|(n, _)| n.as_str()).collect())
                ));
            }
            if !report.unknown.is_empty() {
                ui.colored_label(
                    error,
                    format!(
                        "Not applied, unknown properties: {}",
                        names(report.unknown.iter().map(String::as_str).collect())
                    ),
                );
            }
            if !report.read_only.is_empty() {
                ui.colored_label(
                    error,
                    format!(
                        "Not applied, read-only properties: {}",
                        names(report.read_only.iter().map(String::as_str).collect())
                    ),
                );
            }
            for (name, reason) in &report.bad_type {
                ui.colored_label(
                    error,
                    RichText::new(format!("Not applied, wrong type: {name} ({reason})")),
                );
            }
        }
    }
}
