//! The one integration-test binary. Every test starts its own emulator on port 0 with a fresh store.

mod helpers; // spawn_emulator() and other shared test plumbing.

mod admin_api; // issue 12: the emulator's admin and account endpoints (status, roles, delete, restore password).
mod any_schema; // issue 11 item 7: --identity and --schema, every column type round-trips, demo users on any schema.
mod client; // backendless::Client calls and error mapping against the emulator.
mod client_admin; // issue 12: the client's account and admin calls, and the CloudCode-key client.
mod conformance; // the official Backendless JS SDK against the emulator (node).
mod desktop; // issue 13: --version, no-display line, second launch, About, a log without secrets.
mod emulator_api; // every endpoint of the emulator over real HTTP.
mod emulator_cli; // `profile-editor serve`: flags, stdout line, SIGTERM, kill -9 durability.
mod emulator_errors; // every error code and hostile input.
mod export_paging; // issue 14: the Users export seeks by `created` page after page, every row once.
mod fidelity; // issue 11: sessions per user, tokenless logout, anonymous reads, register, record shape, keys.
mod hardening_auth; // issue 9: no kept bodies, atomic lockout, bounded hashing, secrets at rest, integrity.
mod hardening_client; // the client against hostile servers and stale answers (issue 9, issue 14).
mod hardening_server; // issue 9: long queries, slow clients, value and schema limits, error shapes.
mod login_requests; // issue 14: after a login the schema and the roles are asked for at once.
mod real_shapes; // issue 11 items 8-10: recorded real-server answers read through the client.
mod ui_a11y; // issue 14 item (a): every screen and dialog of the real app names every control.
mod ui_account; // issue 12: sign up, forgot password, change password through the whole app.
mod ui_admin_edit; // issue 12: an admin edits another user's record in the typed grid (diff-only save, conflict, draft).
mod ui_any_app; // issue 11 items 8-9: an every-type schema with a username identity, through the app.
mod ui_app; // the whole app: connections, login, remember me, logout (egui_kittest).
mod ui_drafts; // issue 14: the draft is read off the UI thread when the editor opens.
mod ui_editor; // the property grid: edit, review, save, inline errors (egui_kittest).
mod ui_history; // issue 12: the change journal, the History window, Revert this change, no secrets kept.
mod ui_layout; // issue 10: login and editor fit every window; dialogs, failed-save banner, toolbar, grid order
mod ui_record_read; // issue 12/14: a refused re-read of ONE record says this user's record may no longer be read.
mod ui_safety; // conflicts, drafts, re-login, undo, import/export
mod ui_support; // kittest plumbing shared by the ui_* tests
mod ui_users; // the admin Users browser
mod ui_users_admin; // issue 12: the admin's actions in the Users view (status, roles, delete, create, bulk)
mod ui_users_layout; // issue 10: the Users view's layout (inspector open) at sizes and densities
mod ui_world; // issue 10: scripts, accessible visuals, numbers, null typing, pasted URLs, deleted account
