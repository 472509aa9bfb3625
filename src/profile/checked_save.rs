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
    save_checked_keeping_base(client, token, object_id, base_updated, changes)
        .await
        .map(|(outcome, _)| outcome)
}

/// [`save_checked`], also answering the record as re-read before the write: the "old" values of the
/// change journal (`crate::history`).
pub async fn save_checked_keeping_base(
    client: &Client,
    token: Option<&UserToken>,
    object_id: &str,
    base_updated: Option<i64>,
    changes: &Changeset,
) -> Result<(SaveOutcome, UserRecord), ApiError> {
    let current = client
        .get_user(token, object_id)
        .await
        .map_err(own_record_gone)?;
    if current.updated_ms() != base_updated {
        return Ok((SaveOutcome::Conflict(current.clone()), current));
    }
    client
        .update_user(token, object_id, changes)
        .await
        .map(|saved| (SaveOutcome::Saved(saved), current))
}

/// The re-read of one's own record answers 1000 ("no entity with that id") when the account was deleted
/// meanwhile; what the user needs is 3030's meaning: the account no longer exists. The server's text (an
/// entity id) is dropped.
pub(crate) fn own_record_gone(error: ApiError) -> ApiError {
    match error {
        ApiError::EntityNotFound { .. } => ApiError::UserNotFound {
            message: String::new(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_own_record_is_a_deleted_account() {
        let gone = own_record_gone(ApiError::EntityNotFound {
            message: "Entity with ID X not found".into(),
        });
        assert_eq!(gone.code(), Some(crate::backendless::codes::USER_NOT_FOUND));
        assert!(!gone.is_retryable());
        assert_eq!(own_record_gone(ApiError::Timeout), ApiError::Timeout);
    }
}
