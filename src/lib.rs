//! Profile Editor: edit your own Backendless user profile; inspect user records as an admin.
//!
//! Module map:
//! - [`backendless`]: the async REST client, wire shapes, error codes and the one error enum.
//! - [`admin`]: the admin's Users browser without drawing: query, page cache, CSV/JSON export.
//! - [`model`]: the typed user record, schema, edit parsing and diff. Pure: no egui, no I/O.
//! - [`edit_session`]: the state of one profile edit (buffers, validation, changeset, error placement). Pure.
//! - [`checked_save`]: the save that re-reads first and reports a conflict instead of overwriting.
//! - [`draft`]: pending edits kept on disk (atomically, never a password) until saved or discarded.
//! - [`import`]: profile import (validated like typed edits) and export as JSON. Pure.
//! - [`emulator`]: the embedded Backendless-compatible server (`profile-editor serve`).
//! - [`cli`]: command-line flags.
//! - [`app`]: the eframe app, its state machine, the background worker and settings.
//! - [`ui`]: the views, which draw and return actions.

pub mod admin;
pub mod app;
pub mod backendless;
pub mod checked_save;
pub mod cli;
pub mod draft;
pub mod edit_session;
pub mod emulator;
pub mod import;
pub mod model;
pub mod ui;
