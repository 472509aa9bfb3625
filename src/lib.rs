//! Profile Editor: edit your own Backendless user profile; inspect user records as an admin.
//!
//! Module map:
//! - [`backendless`]: the async REST client, wire shapes, error codes and the one error enum.
//! - [`users_admin`]: the admin's Users browser without drawing: query, page cache, CSV/JSON export.
//! - [`model`]: the typed user record, schema, edit parsing and diff. Pure: no egui, no I/O.
//! - [`profile`]: the editing core for one record: session (buffers, validation, undo, changeset), checked
//!   save, drafts on disk, JSON import/export.
//! - [`history`]: the change journal's entries (who changed which record, old → new), bounded; the inverse
//!   of a save. Pure.
//! - [`emulator`]: the embedded Backendless-compatible server (`profile-editor serve`).
//! - [`cli`]: command-line flags.
//! - [`private_file`]: owner-only files written atomically (settings, session, drafts, backups).
//! - [`logging`]: the rotating, redacted log file and the subscriber; redaction for diagnostics.
//! - [`single_instance`]: one desktop app per data folder; a second launch raises the first window.
//! - [`app`]: the eframe app, its state machine, the background worker and settings.
//! - [`ui`]: the views, which draw and return actions.

pub mod app;
pub mod backendless;
pub mod cli;
pub mod emulator;
pub mod history;
pub mod logging;
pub mod model;
pub mod private_file;
pub mod profile;
pub mod single_instance;
pub mod ui;
pub mod users_admin;
