//! The views: each draws its part of the window and returns what the user asked for.
//!
//! - [`about`]: the About window (version, folders, Copy diagnostics).
//! - [`login`]: the login form and the demo accounts.
//! - [`account`]: sign up, forgot password and change password (the user's own account).
//! - [`connection`]: the connection picker on the login screen.
//! - [`dialogs`]: the unsaved-changes question and the re-login prompt (what `AppState` asks).
//! - [`editor`]: the property grid of the logged-in user (edit, review, save, inline errors).
//! - [`history`]: the History window (the change journal, Export, Revert this change).
//! - [`users`]: the admin's Users browser (paged table, search, inspector, export).
//! - [`theme`]: icon, logo, the light/dark switch and the colours of both themes.
//! - [`fonts`]: the fallback fonts for the world's scripts, loaded when text needs them.

pub mod about;
pub mod account;
pub mod connection;
pub mod dialogs;
pub mod editor;
pub mod fonts;
pub mod history;
pub mod login;
pub mod theme;
pub mod users;
