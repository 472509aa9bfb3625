//! The save that never overwrites silently: re-read the record, and write only if its `updated` is still
//! the one the edits were made against; otherwise hand the fresh record back for the three-way merge
//! (`model::merge`). The I/O half of conflict detection; used by the app's worker.
//!
//! What remains: Backendless has no conditional update (no If-Match, no `updated` precondition on
//! `PUT users/{id}`), so a write by someone else that lands between the re-read and the write is not
//! seen. The window is one round trip (the GET answer to the PUT arriving), kept that small by sending
//! the PUT right after the GET on the same client, with nothing else in between.

use crate::backendless::client::{Client, UserToken};
use crate::backendless::error::ApiError;
use crate::model::diff::Changeset;
use crate::model::record::UserRecord;

/// What a checked save did.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveOutcome {
    /// The record had not moved; the changes were written. The server's full updated record.
    Saved(UserRecord),
    /// The record moved since `base_updated`; nothing was written. The record as the server has it now.
    Conflict(UserRecord),
}

/// Re-reads `object_id`; writes `changes` if its `updated` still equals `base_updated`.
pub async fn save_checked(
    client: &Client,
    token: Option<&UserToken>,
    object_id: &str,
    base_updated: Option<i64>,
    changes: &Changeset,
) -> Result<SaveOutcome, ApiError> {
    let current = client.get_user(token, object_id).await?;
    if current.updated_ms() != base_updated {
        return Ok(SaveOutcome::Conflict(current));
    }
    client
        .update_user(token, object_id, changes)
        .await
        .map(SaveOutcome::Saved)
}
