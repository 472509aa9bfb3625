//! The one integration-test binary. Every test starts its own emulator on port 0 with a fresh store.

mod helpers; // spawn_emulator() and other shared test plumbing.

mod client; // backendless::Client calls and error mapping against the emulator.
mod conformance; // the official Backendless JS SDK against the emulator (node).
mod emulator_api; // every endpoint of the emulator over real HTTP.
mod emulator_cli; // `profile-editor serve`: flags, stdout line, SIGTERM, kill -9 durability.
mod emulator_errors; // every error code and hostile input.
mod ui_app; // the whole app: connections, login, remember me, logout (egui_kittest).
mod ui_editor; // the property grid: edit, review, save, inline errors (egui_kittest).
mod ui_safety; // conflicts, drafts, re-login, undo, import/export
mod ui_support; // kittest plumbing shared by the ui_* tests
mod ui_users; // the admin Users browser
