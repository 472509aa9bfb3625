//! Bulk actions on the Users table's selection: disable, enable, assign a role, export. One request per
//! selected user, one after another, with progress and Cancel shared with the view ([`BulkControl`]), and
//! a summary of what was done and of what failed and why ([`BulkOutcome::summary`]). The job
//! ([`run_bulk`]) takes the per-user call as a closure: the app wires it to the client. No egui.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::manage::{AdminOp, RoleChange, refusal_text};
use crate::backendless::error::ApiError;
use crate::model::ids::ObjectId;

/// Failures listed one by one in the summary; the rest are counted.
pub const MAX_LISTED_FAILURES: usize = 20;

/// One selected user: what a request needs and what the summary names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkTarget {
    /// The user's objectId.
    pub object_id: ObjectId,
    /// The user's identity (for `users/assignRole` and the summary).
    pub identity: String,
}

/// What to do to every selected user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkOperation {
    /// Disable (`PUT users/{id}/status` `DISABLED`).
    Disable,
    /// Enable.
    Enable,
    /// Assign this role.
    AssignRole(String),
    /// Write the selected users, read again from the server, to a file.
    Export,
}

impl BulkOperation {
    /// The past tense shown in the summary ("Disabled 3 of 4 users").
    pub fn done_verb(&self) -> String {
        match self {
            Self::Disable => "Disabled".to_owned(),
            Self::Enable => "Enabled".to_owned(),
            Self::AssignRole(role) => format!("Assigned the role \"{role}\" to"),
            Self::Export => "Exported".to_owned(),
        }
    }

    /// The progressive shown on the progress bar ("Disabling 2 of 4").
    pub fn doing_verb(&self) -> &'static str {
        match self {
            Self::Disable => "Disabling",
            Self::Enable => "Enabling",
            Self::AssignRole(_) => "Assigning the role to",
            Self::Export => "Exporting",
        }
    }

    /// The single-user operation, for the refusal text.
    pub fn admin_op(&self) -> AdminOp {
        match self {
            Self::Disable => AdminOp::SetStatus(false),
            Self::Enable => AdminOp::SetStatus(true),
            Self::AssignRole(role) => AdminOp::Role(RoleChange::Assign, role.clone()),
            Self::Export => AdminOp::ReadRoles,
        }
    }
}

/// Shared between the job and the view: progress and the Cancel switch.
#[derive(Debug, Default)]
pub struct BulkControl {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
}

impl BulkControl {
    /// A control for `total` users.
    pub fn new(total: usize) -> Self {
        Self {
            total: AtomicU64::new(total as u64),
            ..Self::default()
        }
    }

    /// Cancel: the user being worked on is finished, the rest are not touched.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether Cancel was pressed.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// (users handled, users selected).
    pub fn progress(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// The fraction handled.
    pub fn fraction(&self) -> f32 {
        match self.progress() {
            (_, 0) => 1.0,
            (done, total) => (done as f64 / total as f64).min(1.0) as f32,
        }
    }
}

/// How a bulk action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOutcome {
    /// What was done.
    pub operation: BulkOperation,
    /// The users it succeeded for.
    pub succeeded: Vec<BulkTarget>,
    /// Who it failed for (the user's identity, or "row N" for a row that was never loaded) and why, in
    /// plain words.
    pub failed: Vec<(String, String)>,
    /// Users not attempted because Cancel was pressed.
    pub not_attempted: usize,
    /// Set for an export: where the file is (`None` when it could not be written; the reason is in
    /// `file_error`).
    pub file: Option<std::path::PathBuf>,
    /// Why the export file could not be written.
    pub file_error: Option<String>,
}

impl BulkOutcome {
    /// The outcome before anything ran.
    pub fn new(operation: BulkOperation) -> Self {
        Self {
            operation,
            succeeded: Vec::new(),
            failed: Vec::new(),
            not_attempted: 0,
            file: None,
            file_error: None,
        }
    }

    /// Whether every selected user was handled without a failure.
    pub fn is_complete_success(&self) -> bool {
        self.failed.is_empty() && self.not_attempted == 0 && self.file_error.is_none()
    }

    /// The summary: what was done to how many, where the file is, then each failure with its reason
    /// (the first [`MAX_LISTED_FAILURES`]), and how many were left alone after Cancel.
    pub fn summary(&self) -> String {
        let total = self.succeeded.len() + self.failed.len() + self.not_attempted;
        let users = if total == 1 { "user" } else { "users" };
        let mut text = format!(
            "{} {} of {total} selected {users}",
            self.operation.done_verb(),
            self.succeeded.len()
        );
        if let Some(path) = &self.file {
            text.push_str(&format!(" to {}", path.display()));
        }
        text.push('.');
        if let Some(error) = &self.file_error {
            text.push_str(&format!(" No file was written: {error}"));
        }
        if self.not_attempted > 0 {
            text.push_str(&format!(
                " Cancelled: {} not attempted.",
                self.not_attempted
            ));
        }
        if !self.failed.is_empty() {
            text.push_str(&format!(" {} failed:", self.failed.len()));
            for (who, reason) in self.failed.iter().take(MAX_LISTED_FAILURES) {
                text.push_str(&format!("\n• {who}: {reason}"));
            }
            let more = self.failed.len().saturating_sub(MAX_LISTED_FAILURES);
            if more > 0 {
                text.push_str(&format!("\n… and {more} more."));
            }
        }
        text
    }
}

/// Runs `call` for every target in order, stopping before the next one once Cancel is pressed; a
/// failure is recorded in plain words and the job goes on with the next user.
pub async fn run_bulk<F, Fut>(
    operation: BulkOperation,
    targets: Vec<BulkTarget>,
    control: &BulkControl,
    mut call: F,
) -> BulkOutcome
where
    F: FnMut(&BulkTarget) -> Fut,
    Fut: Future<Output = Result<(), ApiError>>,
{
    let op = operation.admin_op();
    let mut outcome = BulkOutcome::new(operation);
    let total = targets.len();
    for (i, target) in targets.into_iter().enumerate() {
        if control.is_cancelled() {
            outcome.not_attempted = total - i;
            break;
        }
        match call(&target).await {
            Ok(()) => outcome.succeeded.push(target),
            Err(error) => {
                let reason = refusal_text(&op, &error);
                outcome.failed.push((target.identity, reason));
            }
        }
        control.done.fetch_add(1, Ordering::Relaxed);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(i: usize) -> BulkTarget {
        BulkTarget {
            object_id: format!("ID{i}").parse().unwrap(),
            identity: format!("user{i}@example.com"),
        }
    }

    fn gone() -> ApiError {
        ApiError::from_fault(
            400,
            crate::backendless::wire::Fault::new(
                crate::backendless::codes::USER_NOT_FOUND,
                "no such user",
            ),
        )
    }

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_failure_is_listed_with_its_reason_and_the_rest_carry_on() {
        let control = BulkControl::new(3);
        let outcome = block_on(run_bulk(
            BulkOperation::Disable,
            (0..3).map(target).collect(),
            &control,
            |t: &BulkTarget| {
                let fails = t.object_id == "ID1";
                async move { if fails { Err(gone()) } else { Ok(()) } }
            },
        ));
        assert_eq!(control.progress(), (3, 3));
        assert_eq!(outcome.succeeded, [target(0), target(2)]);
        assert!(!outcome.is_complete_success());
        assert_eq!(
            outcome.summary(),
            "Disabled 2 of 3 selected users. 1 failed:\n• user1@example.com: This user no longer \
             exists (deleted meanwhile?)."
        );
    }

    #[test]
    fn cancel_leaves_the_rest_alone_and_says_how_many() {
        let control = BulkControl::new(5);
        let outcome = block_on(run_bulk(
            BulkOperation::AssignRole("Editors".into()),
            (0..5).map(target).collect(),
            &control,
            |t: &BulkTarget| {
                if t.object_id == "ID1" {
                    control.cancel();
                }
                async { Ok(()) }
            },
        ));
        assert_eq!(outcome.succeeded.len(), 2);
        assert_eq!(outcome.not_attempted, 3);
        assert_eq!(control.progress(), (2, 5));
        assert_eq!(
            outcome.summary(),
            "Assigned the role \"Editors\" to 2 of 5 selected users. Cancelled: 3 not attempted."
        );
    }

    #[test]
    fn a_long_list_of_failures_is_cut_short() {
        let control = BulkControl::new(MAX_LISTED_FAILURES + 5);
        let outcome = block_on(run_bulk(
            BulkOperation::Enable,
            (0..MAX_LISTED_FAILURES + 5).map(target).collect(),
            &control,
            |_: &BulkTarget| async { Err(ApiError::Timeout) },
        ));
        let summary = outcome.summary();
        assert_eq!(summary.matches('•').count(), MAX_LISTED_FAILURES);
        assert!(summary.ends_with("… and 5 more."), "{summary}");
        assert_eq!(control.fraction(), 1.0);
    }
}
