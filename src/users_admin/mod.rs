//! The admin's Users browser, minus drawing: the query (quick search, `where`, sort), the bounded page
//! cache, and the CSV/JSON export job. Pure except [`export::export`], which talks to the server and writes
//! the file; the view is `ui::users`, the worker runs the requests.
//!
//! - [`query`]: `UsersQuery` → `where` clause and `sortBy`.
//! - [`cache`]: `PageCache`, a bounded LRU of pages keyed by query generation and page index.
//! - [`export`]: RFC 4180 CSV and JSON writers, and the export to a temporary file renamed when complete.

pub mod cache;
pub mod export;
pub mod query;

pub use cache::{PageCache, RowState};
pub use export::{ExportControl, ExportError, ExportFormat, ExportSummary, export};
pub use query::{PAGE_SIZE, Sort, UsersQuery, quick_search_where, quote_literal};

/// The role that may browse every user record.
pub const ADMIN_ROLE: &str = "Admin";

/// Whether `roles` (from `users/userroles`) include [`ADMIN_ROLE`].
pub fn is_admin(roles: &[String]) -> bool {
    roles.iter().any(|role| role == ADMIN_ROLE)
}
