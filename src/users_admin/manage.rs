//! What an admin does to one user, minus drawing and I/O: the status values, the role change, the
//! typed confirmation before a delete, and every refusal in plain words, placed where the admin acted.
//! Pure: no egui, no I/O.

use crate::backendless::codes;
use crate::backendless::error::ApiError;
use crate::model::ids::ObjectId;
use crate::model::record::UserRecord;

/// `userStatus` of an account that may log in.
pub const STATUS_ENABLED: &str = "ENABLED";
/// `userStatus` of an account that may not log in (its login answers 3090).
pub const STATUS_DISABLED: &str = "DISABLED";

/// The status to send to enable (`true`) or disable a user.
pub fn status_value(enabled: bool) -> &'static str {
    if enabled {
        STATUS_ENABLED
    } else {
        STATUS_DISABLED
    }
}

/// Whether a record's `userStatus` says it is disabled (any other value, or none, may log in or is
/// pending something other than the admin's decision).
pub fn is_disabled(record: &UserRecord) -> bool {
    record
        .get("userStatus")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(STATUS_DISABLED))
}

/// Assigning or taking away a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    /// `users/assignRole`.
    Assign,
    /// `users/unassignRole`.
    Unassign,
}

/// What was being done when the server refused, for the plain-words message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminOp {
    /// Enable (`true`) or disable a user.
    SetStatus(bool),
    /// Assign or unassign this role.
    Role(RoleChange, String),
    /// Read a user's roles.
    ReadRoles,
    /// List the users of a role (the table's role filter).
    RoleMembers(String),
    /// Delete a user.
    Delete,
    /// Create a user.
    Create,
}

/// Why the server refused `op`, in plain words: what to set for a missing CloudCode key, which role
/// does not exist, why a built-in role cannot be changed, a user deleted meanwhile; otherwise the
/// error's own sentence.
pub fn refusal_text(op: &AdminOp, error: &ApiError) -> String {
    if error.cloudcode_key_hint().is_some() {
        return format!(
            "{} is allowed only with the app's CloudCode key; the server refused this connection's key ({error_code}). {WHERE_TO_SET_THE_KEY}.",
            needs_key_subject(op),
            error_code = error.code().unwrap_or_default()
        );
    }
    match (op, error.code()) {
        (AdminOp::Role(_, role) | AdminOp::RoleMembers(role), Some(codes::ROLE_NOT_FOUND)) => {
            format!("There is no role named \"{role}\" in this app.")
        }
        (AdminOp::Role(_, role), Some(codes::BUILT_IN_ROLE_ASSIGN)) => format!(
            "\"{role}\" is a built-in role: Backendless gives it to users itself, it cannot be assigned."
        ),
        (AdminOp::Role(_, role), Some(codes::BUILT_IN_ROLE_UNASSIGN)) => format!(
            "\"{role}\" is a built-in role: Backendless gives it to users itself, it cannot be taken away."
        ),
        (
            AdminOp::SetStatus(_) | AdminOp::Role(..) | AdminOp::ReadRoles | AdminOp::Delete,
            Some(codes::USER_NOT_FOUND | codes::ENTITY_NOT_FOUND),
        ) => "This user no longer exists (deleted meanwhile?).".to_owned(),
        (_, Some(codes::NOT_YOUR_RECORD | codes::NO_PERMISSION_TO_FIND)) => {
            format!("The server refused: your account may not change other users ({error})")
        }
        _ => error.to_string(),
    }
}

/// The delete confirmation: the admin types the user's identity; the Delete button works only once
/// what is typed is exactly it (surrounding spaces aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedConfirmation {
    expected: String,
    /// What the admin typed so far.
    pub typed: String,
}

impl TypedConfirmation {
    /// A confirmation that expects `identity`.
    pub fn new(identity: impl Into<String>) -> Self {
        Self {
            expected: identity.into(),
            typed: String::new(),
        }
    }

    /// What must be typed.
    pub fn expected(&self) -> &str {
        &self.expected
    }

    /// Whether what is typed confirms. An empty identity can never be confirmed.
    pub fn is_confirmed(&self) -> bool {
        !self.expected.is_empty() && self.typed.trim() == self.expected
    }
}

/// Something the admin asked to be done to users (the view asks, the worker does it).
#[derive(Debug, Clone)]
pub enum AdminRequest {
    /// Enable or disable one user (CloudCode key).
    SetStatus {
        /// The user.
        object_id: ObjectId,
        /// `true`: ENABLED; `false`: DISABLED.
        enabled: bool,
    },
    /// `users/userroles/{objectId}`.
    ReadRoles {
        /// The user.
        object_id: ObjectId,
    },
    /// Assign or unassign `role` (CloudCode key).
    ChangeRole {
        /// The user (the answer names it).
        object_id: ObjectId,
        /// The user's identity: what `users/assignRole` names the user by.
        identity: String,
        /// The role.
        role: String,
        /// Assign or unassign.
        change: RoleChange,
    },
    /// The objectIds of the users holding `role` (the table's role filter), at most
    /// [`super::query::MAX_ROLE_FILTER_USERS`] + 1 of them.
    RoleMembers {
        /// The role.
        role: String,
    },
    /// Re-read the user, write it to a JSON file in the data dir, then `DELETE data/Users/{objectId}`.
    Delete {
        /// The user.
        object_id: ObjectId,
    },
    /// `users/register`.
    Create {
        /// The properties typed (identity, required ones and any other filled in).
        properties: serde_json::Map<String, serde_json::Value>,
        /// The new user's password.
        password: crate::backendless::client::Password,
    },
    /// A bulk action over the selection.
    Bulk {
        /// What to do.
        operation: super::bulk::BulkOperation,
        /// The selected users.
        targets: Vec<super::bulk::BulkTarget>,
        /// Progress and Cancel, shared with the view.
        control: std::sync::Arc<super::bulk::BulkControl>,
        /// For [`super::bulk::BulkOperation::Export`]: the file, its format, its columns and which of
        /// them are dates.
        export: Option<BulkExport>,
    },
}

/// Where and how a bulk export writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkExport {
    /// The file to write.
    pub path: std::path::PathBuf,
    /// CSV or JSON.
    pub format: super::export::ExportFormat,
    /// The columns, in order.
    pub columns: Vec<String>,
    /// Which columns are DATETIME.
    pub dates: Vec<bool>,
}

impl AdminRequest {
    /// The operation, for its plain-words failure.
    pub fn op(&self) -> AdminOp {
        match self {
            Self::SetStatus { enabled, .. } => AdminOp::SetStatus(*enabled),
            Self::ReadRoles { .. } => AdminOp::ReadRoles,
            Self::ChangeRole { role, change, .. } => AdminOp::Role(*change, role.clone()),
            Self::RoleMembers { role } => AdminOp::RoleMembers(role.clone()),
            Self::Delete { .. } => AdminOp::Delete,
            Self::Create { .. } => AdminOp::Create,
            Self::Bulk { operation, .. } => operation.admin_op(),
        }
    }
}

/// The answer to an [`AdminRequest`].
#[derive(Debug, Clone, PartialEq)]
pub enum AdminAnswer {
    /// The status change ended; with the updated record when the server sent it.
    StatusSet {
        /// The user.
        object_id: ObjectId,
        /// As asked.
        enabled: bool,
        /// The updated record (if sent) or why not.
        result: Result<Option<UserRecord>, AdminFailure>,
    },
    /// The user's roles.
    Roles {
        /// The user.
        object_id: ObjectId,
        /// The role names or why not.
        result: Result<Vec<String>, AdminFailure>,
    },
    /// The role change ended.
    RoleChanged {
        /// The user.
        object_id: ObjectId,
        /// The role.
        role: String,
        /// Assign or unassign.
        change: RoleChange,
        /// Done or why not.
        result: Result<(), AdminFailure>,
    },
    /// The users of a role.
    RoleMembers {
        /// The role.
        role: String,
        /// Their objectIds or why not.
        result: Result<Vec<ObjectId>, AdminFailure>,
    },
    /// The delete ended: where the copy was written, or why nothing was deleted.
    Deleted {
        /// The user.
        object_id: ObjectId,
        /// The copy's path or why not.
        result: Result<std::path::PathBuf, AdminFailure>,
    },
    /// The new user, or why not (with the properties sent, for the errors at their fields).
    Created {
        /// The new record or why not.
        result: Result<UserRecord, AdminFailure>,
    },
    /// A bulk action ended.
    Bulk(super::bulk::BulkOutcome),
}

impl AdminAnswer {
    /// The server's error inside, if any.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::StatusSet { result: Err(f), .. }
            | Self::Roles { result: Err(f), .. }
            | Self::RoleChanged { result: Err(f), .. }
            | Self::RoleMembers { result: Err(f), .. }
            | Self::Deleted { result: Err(f), .. }
            | Self::Created { result: Err(f) } => f.api_error(),
            _ => None,
        }
    }

    /// The answer for `request` when it could not be run at all.
    pub fn failed(request: &AdminRequest, failure: AdminFailure) -> Self {
        match request {
            AdminRequest::SetStatus { object_id, enabled } => Self::StatusSet {
                object_id: object_id.clone(),
                enabled: *enabled,
                result: Err(failure),
            },
            AdminRequest::ReadRoles { object_id } => Self::Roles {
                object_id: object_id.clone(),
                result: Err(failure),
            },
            AdminRequest::ChangeRole {
                object_id,
                role,
                change,
                ..
            } => Self::RoleChanged {
                object_id: object_id.clone(),
                role: role.clone(),
                change: *change,
                result: Err(failure),
            },
            AdminRequest::RoleMembers { role } => Self::RoleMembers {
                role: role.clone(),
                result: Err(failure),
            },
            AdminRequest::Delete { object_id } => Self::Deleted {
                object_id: object_id.clone(),
                result: Err(failure),
            },
            AdminRequest::Create { .. } => Self::Created {
                result: Err(failure),
            },
            AdminRequest::Bulk {
                operation, targets, ..
            } => {
                let mut outcome = super::bulk::BulkOutcome::new(operation.clone());
                let reason = failure_text(&operation.admin_op(), &failure);
                outcome.failed = targets
                    .iter()
                    .map(|t| (t.identity.clone(), reason.clone()))
                    .collect();
                Self::Bulk(outcome)
            }
        }
    }
}

/// Why an admin operation did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminFailure {
    /// The server refused or could not be reached.
    Api(ApiError),
    /// The operation needs the app's CloudCode key and none is set for this connection (nothing was sent).
    NoCloudCodeKey,
    /// The CloudCode key cannot be used with this connection (an app-domain address); the reason.
    KeyUnusable(String),
    /// Refused here, before or after the server: a file that could not be written (the copy before a
    /// delete, a bulk export) or a limit; the reason in plain words.
    Local(String),
}

impl AdminFailure {
    /// The server's error, if that is what it is (the app checks it for a session end).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }
}

impl From<ApiError> for AdminFailure {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

/// Where the CloudCode key is set, said the same way everywhere.
pub const WHERE_TO_SET_THE_KEY: &str = "Log out, enter it in the connection's CloudCode key field (on the login screen), and log in again";

/// Why `op` failed, in plain words (see [`refusal_text`]).
pub fn failure_text(op: &AdminOp, failure: &AdminFailure) -> String {
    match failure {
        AdminFailure::Api(error) => refusal_text(op, error),
        AdminFailure::NoCloudCodeKey => format!(
            "{} needs the app's CloudCode key, and none is set for this connection. {WHERE_TO_SET_THE_KEY}.",
            needs_key_subject(op)
        ),
        AdminFailure::KeyUnusable(reason) => format!(
            "{} needs the app's CloudCode key, which cannot be used here: {reason}",
            needs_key_subject(op)
        ),
        AdminFailure::Local(reason) => reason.clone(),
    }
}

fn needs_key_subject(op: &AdminOp) -> &'static str {
    match op {
        AdminOp::SetStatus(true) => "Enabling a user",
        AdminOp::SetStatus(false) => "Disabling a user",
        AdminOp::Role(RoleChange::Assign, _) => "Assigning a role",
        AdminOp::Role(RoleChange::Unassign, _) => "Taking away a role",
        _ => "This",
    }
}

/// Whether `op` is one Backendless allows only with the CloudCode key (status and role changes).
pub fn needs_cloudcode_key(op: &AdminOp) -> bool {
    matches!(op, AdminOp::SetStatus(_) | AdminOp::Role(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(code: i64) -> ApiError {
        ApiError::from_fault(
            400,
            crate::backendless::wire::Fault::new(code, format!("server message {code}")),
        )
    }

    #[test]
    fn the_delete_button_needs_the_exact_identity() {
        let mut confirm = TypedConfirmation::new("carol@example.com");
        assert!(!confirm.is_confirmed());
        confirm.typed = "carol@example".into();
        assert!(!confirm.is_confirmed());
        confirm.typed = "Carol@example.com".into();
        assert!(!confirm.is_confirmed(), "case matters: type it as it is");
        confirm.typed = " carol@example.com ".into();
        assert!(confirm.is_confirmed());
        let mut nobody = TypedConfirmation::new("");
        nobody.typed = "  ".into();
        assert!(!nobody.is_confirmed());
    }

    #[test]
    fn refusals_say_what_to_do_in_plain_words() {
        let no_key = refusal_text(&AdminOp::SetStatus(false), &fault(codes::ONLY_FOR_BL_LOGIC));
        assert!(
            no_key.starts_with("Disabling a user is allowed only with the app's CloudCode key")
        );
        assert!(no_key.contains("CloudCode key"), "{no_key}");
        let assign = AdminOp::Role(RoleChange::Assign, "Editors".into());
        assert!(
            refusal_text(&assign, &fault(codes::ROLE_CHANGE_NEEDS_SERVER_KEY))
                .starts_with("Assigning a role is allowed only with the app's CloudCode key")
        );
        assert_eq!(
            refusal_text(&assign, &fault(codes::ROLE_NOT_FOUND)),
            "There is no role named \"Editors\" in this app."
        );
        let builtin = AdminOp::Role(RoleChange::Assign, "RestUser".into());
        assert!(
            refusal_text(&builtin, &fault(codes::BUILT_IN_ROLE_ASSIGN))
                .contains("cannot be assigned")
        );
        let builtin = AdminOp::Role(RoleChange::Unassign, "RestUser".into());
        assert!(
            refusal_text(&builtin, &fault(codes::BUILT_IN_ROLE_UNASSIGN))
                .contains("cannot be taken away")
        );
        assert_eq!(
            refusal_text(&AdminOp::Delete, &fault(codes::ENTITY_NOT_FOUND)),
            "This user no longer exists (deleted meanwhile?)."
        );
        assert_eq!(
            refusal_text(&AdminOp::Create, &ApiError::Timeout),
            ApiError::Timeout.to_string()
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(status_value(true), "ENABLED");
        assert_eq!(status_value(false), "DISABLED");
        let record = |status: serde_json::Value| {
            crate::model::record::UserRecord::from_json(
                serde_json::json!({"objectId": "A", "userStatus": status})
                    .as_object()
                    .unwrap()
                    .clone(),
            )
            .unwrap()
        };
        assert!(is_disabled(&record("DISABLED".into())));
        assert!(!is_disabled(&record("ENABLED".into())));
        assert!(!is_disabled(&record(serde_json::Value::Null)));
    }
}
