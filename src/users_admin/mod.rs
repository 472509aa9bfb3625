//! The admin's Users browser, minus drawing: the query (quick search, `where`, sort), the bounded page
//! cache, the CSV/JSON export job, and what an admin does to users (status, roles, delete, create, bulk).
//! Pure except [`export::export`] and [`admin_ops`], which talk to the server and write files; the view is `ui::users`, the worker runs the requests.
//!
//! - [`query`]: `UsersQuery` → `where` clause and `sortBy`.
//! - [`cache`]: `PageCache`, a bounded LRU of pages of the current query, keyed by page index.
//! - [`export`]: RFC 4180 CSV and JSON writers, and the export to a temporary file renamed when complete.
//! - [`selection`]: the table's multi-row selection (Shift/Ctrl-click, Shift+arrows, Space).
//! - [`manage`]: status values, role changes, the typed delete confirmation, refusals in plain words.
//! - [`bulk`]: a bulk action over the selection, with progress, Cancel and a summary of the failures.
//! - [`backup`]: the owner-only JSON copy of a user written before it is deleted (blocking I/O).
//! - [`admin_ops`]: runs those requests against the server (worker side, like [`export::export`]).
//! - [`requests`]: the browser's one request enum and one answer enum, and the tickets that drop stale
//!   answers.

pub mod admin_ops;
pub mod backup;
pub mod bulk;
pub mod cache;
pub mod export;
pub mod manage;
pub mod query;
pub mod requests;
pub mod selection;

pub use cache::{PageCache, RowState};
pub use export::{ExportControl, ExportError, ExportFormat, ExportSummary, export};
pub use query::{
    MAX_ROLE_FILTER_USERS, PAGE_SIZE, RoleFilter, Sort, UsersQuery, quick_search_where,
    quote_literal,
};

/// The role that may browse every user record.
pub const ADMIN_ROLE: &str = "Admin";

/// Whether `roles` (from `users/userroles`) include [`ADMIN_ROLE`].
pub fn is_admin(roles: &[String]) -> bool {
    roles.iter().any(|role| role == ADMIN_ROLE)
}
