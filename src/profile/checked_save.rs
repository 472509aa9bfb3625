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
use crate::model::ObjectId;
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
    object_id: &ObjectId,
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
    object_id: &ObjectId,
    base_updated: Option<i64>,
    changes: &Changeset,
) -> Result<(SaveOutcome, UserRecord), ApiError> {
    let current = client
        .get_user(token, object_id)
        .await
        .map_err(|error| one_record_read(own_record_gone(error)))?;
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
        ApiError::EntityNotFound { status, .. } => ApiError::UserNotFound {
            status,
            message: String::new(),
        },
        other => other,
    }
}

/// The re-read of ONE record refused with 1013 ("no permission to find objects in table 'Users'"): the
/// logged-in user may no longer read this record (their Admin role was taken away, say), which
/// [`ApiError::RecordNotReadable`] says plainly; 1013's own sentence speaks of reading records in general.
/// Every other error is kept.
pub fn one_record_read(error: ApiError) -> ApiError {
    match error {
        ApiError::NoPermission { status, message } => {
            tracing::warn!("the record could not be read again: 1013 {message}");
            ApiError::RecordNotReadable { status }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_own_record_is_a_deleted_account() {
        let gone = own_record_gone(ApiError::EntityNotFound {
            status: 404,
            message: "Entity with ID X not found".into(),
        });
        assert_eq!(gone.code(), Some(crate::backendless::codes::USER_NOT_FOUND));
        assert!(!gone.is_retryable());
        assert_eq!(own_record_gone(ApiError::Timeout), ApiError::Timeout);
    }

    #[test]
    fn a_refused_read_of_one_record_says_this_users_record_may_no_longer_be_read() {
        let refused = ApiError::from_fault(
            400,
            crate::backendless::wire::Fault {
                code: crate::backendless::codes::NO_PERMISSION_TO_FIND,
                message: "User has no permissions to find objects in table 'Users'".into(),
                error_data: serde_json::json!({}),
            },
        );
        assert!(
            matches!(refused, ApiError::NoPermission { .. }),
            "{refused:?}"
        );
        let one = one_record_read(refused.clone());
        let text = one.to_string();
        assert!(text.contains("no longer read this user's record"), "{text}");
        assert!(text.contains("Admin role"), "{text}");
        assert!(!text.contains("these records"), "{text}");
        assert_eq!(one.server_message(), None, "the table's name is not shown");
        assert_eq!(
            one.code(),
            Some(crate::backendless::codes::NO_PERMISSION_TO_FIND)
        );
        assert_eq!(one.http_status(), Some(400));
        assert!(!one.is_retryable() && !one.is_session_ending());
        // A list read keeps 1013's own sentence.
        assert_eq!(
            refused.to_string(),
            "You do not have permission to read these records."
        );
        assert_eq!(one_record_read(ApiError::Timeout), ApiError::Timeout);
    }
}
