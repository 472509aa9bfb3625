//! The worker's side of the admin's Users browser: runs one [`UsersRequest`] (count, pages, a record,
//! export, the native save dialog, admin operations) and answers it, and finds the connection's CloudCode
//! key. The requests and answers themselves are pure (`users_admin::requests`); the view that emits them
//! and takes the answers, and the screen around it, are `ui::users`. No drawing here.

use crate::backendless::client::{Client, UserToken};
pub use crate::ui::users::UsersScreen;
use crate::users_admin;
pub use crate::users_admin::requests::{Ticket, UsersAnswer, UsersOutcome, UsersRequest};

/// The app's CloudCode key. Secret: `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CloudCodeKey(String);

impl CloudCodeKey {
    /// Wraps `key`; `None` when it is blank (no key set).
    pub fn new(key: &str) -> Option<Self> {
        let key = key.trim();
        (!key.is_empty()).then(|| Self(key.to_owned()))
    }

    /// The key itself, for the request URL.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for CloudCodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CloudCodeKey(…redacted)")
    }
}

/// What every Users request runs with, besides the request: the session's token, the connection's
/// CloudCode key (status and role changes need it) and the app's data dir (where the copy of a deleted
/// user goes). The worker builds it from the command; tests build their own.
#[derive(Debug, Clone, Copy)]
pub struct UsersContext<'a> {
    /// The logged-in admin's token.
    pub user_token: &'a UserToken,
    /// The connection's CloudCode key, if one is set.
    pub cloudcode_key: Option<&'a CloudCodeKey>,
    /// The app's data dir.
    pub data_dir: &'a std::path::Path,
}

/// The CloudCode key of the selected connection: the embedded emulator's own for the Local demo, the
/// one entered in the connection form otherwise (`None` when none is set).
pub fn cloudcode_key_for(settings: &crate::app::settings::Settings) -> Option<CloudCodeKey> {
    settings
        .cloudcode_key()
        .and_then(|key| CloudCodeKey::new(&key))
}

/// Runs `request` (worker side) and answers it with its ticket. `client` is `None` only for the save
/// dialog, which needs no server. The app's worker and the tests both call this.
pub async fn run(
    request: UsersRequest,
    client: Option<&Client>,
    context: UsersContext<'_>,
) -> UsersAnswer {
    let user_token = context.user_token;
    let Some(client) = client else {
        return pick_path(request).await;
    };
    match request {
        UsersRequest::Schema { ticket } => UsersAnswer::Schema {
            ticket,
            result: client.describe_user_class(Some(user_token)).await,
        },
        UsersRequest::Count {
            ticket,
            where_clause,
        } => UsersAnswer::Count {
            ticket,
            result: client
                .count_users(Some(user_token), where_clause.as_deref())
                .await,
        },
        UsersRequest::Page {
            ticket,
            page,
            query,
        } => UsersAnswer::Page {
            ticket,
            page,
            result: client.find_user_rows(Some(user_token), &query).await,
        },
        UsersRequest::Record { ticket, object_id } => UsersAnswer::Record {
            ticket,
            result: client.get_user(Some(user_token), &object_id).await,
            object_id,
        },
        UsersRequest::Export {
            ticket,
            path,
            format,
            query,
            columns,
            control,
        } => UsersAnswer::Exported {
            ticket,
            result: users_admin::export(
                client, user_token, &query, &columns, format, &path, &control,
            )
            .await,
        },
        request @ UsersRequest::PickExportPath { .. } => pick_path(request).await,
        UsersRequest::Admin { ticket, request } => UsersAnswer::Admin {
            ticket,
            answer: crate::users_admin::admin_ops::run(
                request,
                client,
                context.cloudcode_key.map(CloudCodeKey::expose),
                user_token,
                context.data_dir,
            )
            .await,
        },
    }
}

/// Shows the native save dialog for a [`UsersRequest::PickExportPath`] (any other request without a
/// client, which the worker never sends here, answers as if no path was chosen).
async fn pick_path(request: UsersRequest) -> UsersAnswer {
    let ticket = request.ticket();
    let UsersRequest::PickExportPath {
        format, file_name, ..
    } = request
    else {
        return UsersAnswer::ExportPath { ticket, path: None };
    };
    let handle = rfd::AsyncFileDialog::new()
        .set_title("Export users")
        .set_file_name(file_name)
        .add_filter(format.label(), &[format.extension()])
        .save_file()
        .await;
    UsersAnswer::ExportPath {
        ticket,
        path: handle.map(|h| h.path().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selected_connections_cloudcode_key_is_used_and_debug_hides_it() {
        use crate::app::settings::{ConnectionKind, Settings};
        let mut settings = Settings::default();
        assert_eq!(
            cloudcode_key_for(&settings).map(|k| k.expose().to_owned()),
            Some(crate::cli::DEMO_CLOUDCODE_KEY.to_owned()),
            "the Local demo uses its own emulator's key"
        );
        settings.connection = ConnectionKind::Custom;
        assert_eq!(cloudcode_key_for(&settings), None);
        settings.custom.keys.cloudcode_key = "  CC-SECRET ".into();
        settings.cloud_us.cloudcode_key = "US-KEY".into();
        let key = cloudcode_key_for(&settings).unwrap();
        assert_eq!(key.expose(), "CC-SECRET");
        let token = UserToken::new("T".into());
        let context = UsersContext {
            user_token: &token,
            cloudcode_key: Some(&key),
            data_dir: std::path::Path::new("data"),
        };
        assert!(!format!("{context:?}").contains("CC-SECRET"));
    }
}
