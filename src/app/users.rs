//! The app's side of the admin's Users browser: the requests the worker runs for it (roles, count, pages,
//! export, the native save dialog) and their answers, plus the worker-side function that runs one. The view
//! (`ui::users`) decides what to ask; `App` wraps it in `WorkerCommand::Users`; answers come back as
//! `WorkerEvent::Users` and are handed to the view.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::backendless::client::{Client, FindQuery, FindRow, UserToken};
use crate::backendless::error::ApiError;
use crate::users_admin::manage::{AdminAnswer, AdminFailure, AdminRequest};
use crate::users_admin::{
    self, ExportControl, ExportError, ExportFormat, ExportSummary, UsersQuery,
};

/// One thing the Users browser needs from the server (or the desktop).
#[derive(Debug, Clone)]
pub enum UsersRequest {
    /// `users/userroles` of the logged-in user: whether to offer the browser at all.
    Roles,
    /// `users/userclassprops` again: a page showed a property the browser's schema does not describe.
    Schema,
    /// `data/Users/count` for one query generation.
    Count {
        /// The view's query generation.
        generation: u64,
        /// The query's `where` clause.
        where_clause: Option<String>,
    },
    /// One page of `data/Users`.
    Page {
        /// The view's query generation.
        generation: u64,
        /// The page index.
        page: usize,
        /// The request.
        query: FindQuery,
    },
    /// `data/Users/{objectId}`: a related record opened from the inspector.
    Record {
        /// The record's id.
        object_id: String,
    },
    /// The native save dialog (`rfd`), run off the UI thread.
    PickExportPath {
        /// For the file type filter.
        format: ExportFormat,
        /// Suggested file name.
        file_name: String,
    },
    /// Export the query to `path` (`users_admin::export`).
    Export {
        /// Where to write.
        path: PathBuf,
        /// CSV or JSON.
        format: ExportFormat,
        /// Filter and sort.
        query: UsersQuery,
        /// Chosen columns.
        columns: Vec<String>,
        /// Progress and Cancel, shared with the view.
        control: Arc<ExportControl>,
    },
    /// Something the admin does to users (status, roles, delete, create, bulk); see
    /// [`crate::users_admin::manage`].
    Admin {
        /// What to do.
        request: AdminRequest,
        /// The app's CloudCode key for this connection, if one is set (the app fills it in).
        cloudcode_key: Option<CloudCodeKey>,
        /// The app's data dir, where the copy of a deleted user goes (the worker fills it in).
        data_dir: Option<PathBuf>,
    },
}

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

/// The CloudCode key of the selected connection: the embedded emulator's own for the Local demo, the
/// one entered in the connection form otherwise (`None` when none is set).
pub fn cloudcode_key_for(settings: &crate::app::settings::Settings) -> Option<CloudCodeKey> {
    settings
        .cloudcode_key()
        .and_then(|key| CloudCodeKey::new(&key))
}

impl UsersRequest {
    /// Gives an admin request the connection's CloudCode key (the app calls this before sending).
    pub fn attach_cloudcode_key(&mut self, key: Option<CloudCodeKey>) {
        if let Self::Admin { cloudcode_key, .. } = self {
            *cloudcode_key = key;
        }
    }

    /// Gives an admin request the app's data dir (the worker calls this before running it).
    pub fn attach_data_dir(&mut self, dir: &Path) {
        if let Self::Admin { data_dir, .. } = self {
            *data_dir = Some(dir.to_owned());
        }
    }

    /// Whether the request needs a client (everything but the dialog).
    pub fn needs_server(&self) -> bool {
        !matches!(self, Self::PickExportPath { .. })
    }
}

/// The answer to a [`UsersRequest`].
#[derive(Debug, Clone, PartialEq)]
pub enum UsersAnswer {
    /// The user's role names.
    Roles(Result<Vec<String>, ApiError>),
    /// The Users schema, read again.
    Schema(Result<Vec<crate::backendless::wire::PropertyDescriptor>, ApiError>),
    /// The count of `generation`.
    Count {
        /// Repeated from the request.
        generation: u64,
        /// The count or why not.
        result: Result<u64, ApiError>,
    },
    /// Page `page` of `generation`.
    Page {
        /// Repeated from the request.
        generation: u64,
        /// Repeated from the request.
        page: usize,
        /// The rows (each a record or why that row could not be read), or why the page could not be had.
        result: Result<Vec<FindRow>, ApiError>,
    },
    /// The record asked for by [`UsersRequest::Record`].
    Record {
        /// Repeated from the request.
        object_id: String,
        /// The record or why not.
        result: Result<crate::model::record::UserRecord, ApiError>,
    },
    /// The dialog closed: the chosen path, or `None` when nothing was chosen (or no dialog could be shown).
    ExportPath(Option<PathBuf>),
    /// The export ended.
    Exported(Result<ExportSummary, ExportError>),
    /// An admin request ended.
    Admin(AdminAnswer),
}

impl UsersAnswer {
    /// The API error inside, if any (the app checks it for a session end).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Roles(Err(error))
            | Self::Schema(Err(error))
            | Self::Count {
                result: Err(error), ..
            }
            | Self::Page {
                result: Err(error), ..
            }
            | Self::Record {
                result: Err(error), ..
            }
            | Self::Exported(Err(ExportError::Api(error))) => Some(error),
            Self::Admin(answer) => answer.api_error(),
            _ => None,
        }
    }

    /// The answer when no client could be built for the connection.
    pub fn failed(request: &UsersRequest, error: ApiError) -> Self {
        match request {
            UsersRequest::Roles => Self::Roles(Err(error)),
            UsersRequest::Schema => Self::Schema(Err(error)),
            UsersRequest::Count { generation, .. } => Self::Count {
                generation: *generation,
                result: Err(error),
            },
            UsersRequest::Page {
                generation, page, ..
            } => Self::Page {
                generation: *generation,
                page: *page,
                result: Err(error),
            },
            UsersRequest::Record { object_id } => Self::Record {
                object_id: object_id.clone(),
                result: Err(error),
            },
            UsersRequest::PickExportPath { .. } => Self::ExportPath(None),
            UsersRequest::Export { .. } => Self::Exported(Err(ExportError::Api(error))),
            UsersRequest::Admin { request, .. } => {
                Self::Admin(AdminAnswer::failed(request, AdminFailure::Api(error)))
            }
        }
    }
}

/// Runs `request` (worker side).
pub async fn run(
    request: UsersRequest,
    client: Option<&Client>,
    user_token: &UserToken,
) -> UsersAnswer {
    let Some(client) = client else {
        return pick_path(request).await;
    };
    match request {
        UsersRequest::Roles => UsersAnswer::Roles(client.user_roles(user_token).await),
        UsersRequest::Schema => {
            UsersAnswer::Schema(client.describe_user_class(Some(user_token)).await)
        }
        UsersRequest::Count {
            generation,
            where_clause,
        } => UsersAnswer::Count {
            generation,
            result: client
                .count_users(Some(user_token), where_clause.as_deref())
                .await,
        },
        UsersRequest::Page {
            generation,
            page,
            query,
        } => UsersAnswer::Page {
            generation,
            page,
            result: client.find_user_rows(Some(user_token), &query).await,
        },
        UsersRequest::Record { object_id } => UsersAnswer::Record {
            result: client.get_user(Some(user_token), &object_id).await,
            object_id,
        },
        UsersRequest::Export {
            path,
            format,
            query,
            columns,
            control,
        } => UsersAnswer::Exported(
            users_admin::export(
                client, user_token, &query, &columns, format, &path, &control,
            )
            .await,
        ),
        request @ UsersRequest::PickExportPath { .. } => pick_path(request).await,
        UsersRequest::Admin {
            request,
            cloudcode_key,
            data_dir,
        } => {
            // Without a data dir (never in the app) the copies go to the working directory.
            let data_dir = data_dir.unwrap_or_default();
            UsersAnswer::Admin(
                crate::users_admin::admin_ops::run(
                    request,
                    client,
                    cloudcode_key.as_ref().map(CloudCodeKey::expose),
                    user_token,
                    &data_dir,
                )
                .await,
            )
        }
    }
}

async fn pick_path(request: UsersRequest) -> UsersAnswer {
    let UsersRequest::PickExportPath { format, file_name } = request else {
        return UsersAnswer::ExportPath(None);
    };
    let handle = rfd::AsyncFileDialog::new()
        .set_title("Export users")
        .set_file_name(file_name)
        .add_filter(format.label(), &[format.extension()])
        .save_file()
        .await;
    UsersAnswer::ExportPath(handle.map(|h| h.path().to_owned()))
}

/// Why no native save dialog can be shown here, if that is known up front (Linux without a desktop session).
pub fn dialog_unavailable_reason() -> Option<&'static str> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
        && std::env::var_os("XDG_RUNTIME_DIR").is_none()
    {
        Some(
            "No native file dialog is available here (no desktop session bus). Type the path to save to.",
        )
    } else {
        None
    }
}

/// The Users browser as the app holds it: whether the user is an admin, which view is shown, the view.
#[derive(Default)]
pub struct UsersScreen {
    /// Whether the logged-in user holds `Admin` (from `users/userroles`); false until the answer comes.
    is_admin: bool,
    /// Whether the admin is looking at the Users view (otherwise their own profile).
    showing_users: bool,
    /// The schema of the profile, to type the records.
    schema: Option<crate::model::schema::Schema>,
    /// The browser; built when first shown, kept for the session (its filter and scroll position with it).
    view: Option<crate::ui::users::UsersView>,
    /// The logged-in admin's objectId: their own account is not disabled or deleted from the browser.
    own_object_id: Option<String>,
}

impl UsersScreen {
    /// A fresh screen for a new session over `schema`; nobody is an admin until the roles say so.
    pub fn new(schema: crate::model::schema::Schema) -> Self {
        Self {
            schema: Some(schema),
            ..Self::default()
        }
    }

    /// The logged-in user's objectId (their own account is protected from disable and delete).
    pub fn set_own_object_id(&mut self, object_id: impl Into<String>) {
        let object_id = object_id.into();
        if let Some(view) = &mut self.view {
            view.set_own_object_id(object_id.clone());
        }
        self.own_object_id = Some(object_id);
    }

    /// Whether the Users view is offered.
    pub fn is_admin(&self) -> bool {
        self.is_admin
    }

    /// Whether the Users view is shown now.
    pub fn is_showing_users(&self) -> bool {
        self.is_admin && self.showing_users
    }

    /// The record the admin asked to edit from the inspector, once (see `app::record_editor`).
    pub fn take_edit_request(&mut self) -> Option<crate::model::record::UserRecord> {
        self.view.as_mut()?.take_edit_request()
    }

    /// Reads the count and the rows again, keeping filter and place (after a record was edited).
    pub fn refresh(&mut self) {
        if let Some(view) = &mut self.view {
            view.refresh();
        }
    }

    /// The browser, once built; read by tests.
    pub fn view(&self) -> Option<&crate::ui::users::UsersView> {
        self.view.as_ref()
    }

    /// Hands an answer to the browser.
    pub fn answer(&mut self, answer: UsersAnswer) {
        if let UsersAnswer::Roles(result) = &answer {
            match result {
                Ok(roles) => self.is_admin = users_admin::is_admin(roles),
                Err(error) => tracing::warn!("cannot read the user's roles: {error}"),
            }
            return;
        }
        let Some(view) = &mut self.view else { return };
        match answer {
            UsersAnswer::Roles(_) => {}
            UsersAnswer::Schema(Ok(descriptors)) => {
                let schema = crate::model::schema::Schema::from_descriptors(descriptors);
                self.schema = Some(schema.clone());
                view.schema_loaded(schema);
            }
            // The table keeps the schema it has; the new property shows untyped meanwhile.
            UsersAnswer::Schema(Err(error)) => {
                tracing::warn!("cannot read the Users schema again: {error}");
            }
            UsersAnswer::Count { generation, result } => match result {
                Ok(total) => view.count_loaded(generation, total),
                Err(error) => view.load_failed(generation, None, &error),
            },
            UsersAnswer::Page {
                generation,
                page,
                result,
            } => match result {
                Ok(rows) => view.page_rows_loaded(generation, page, rows),
                Err(error) => view.load_failed(generation, Some(page), &error),
            },
            UsersAnswer::Record { object_id, result } => view.related_loaded(&object_id, result),
            UsersAnswer::ExportPath(Some(path)) => view.export_path_chosen(path),
            UsersAnswer::ExportPath(None) => {
                view.dialog_closed_without_path(dialog_unavailable_reason());
            }
            UsersAnswer::Exported(result) => view.export_finished(result),
            UsersAnswer::Admin(answer) => view.admin_answer(answer),
        }
    }

    /// The same user logged in again after the session ended: load what failed meanwhile.
    pub fn resumed(&mut self) {
        if let Some(view) = &mut self.view {
            view.retry();
        }
    }

    /// Draws the browser inactive, as it was (under the re-login prompt); nothing is asked for.
    pub fn inactive_ui(&mut self, ui: &mut egui::Ui) {
        if let Some(view) = &mut self.view {
            view.inactive_ui(ui);
        }
    }

    /// Shows the own profile instead of the Users view (History's "Revert this change").
    pub fn show_profile(&mut self) {
        self.showing_users = false;
    }

    /// "Your profile" / "Users" switch, drawn only for admins.
    pub fn switch_ui(&mut self, ui: &mut egui::Ui) {
        if !self.is_admin {
            return;
        }
        ui.selectable_value(&mut self.showing_users, true, "Users");
        ui.selectable_value(&mut self.showing_users, false, "Your profile");
        ui.separator();
    }

    /// Draws the browser (building it with the remembered `columns` the first time); returns the request to
    /// send, or the new column choice to remember.
    pub fn ui(&mut self, ui: &mut egui::Ui, columns: &[String]) -> Option<UsersOutcome> {
        // The native dialog is always tried first: the path field shows only once it gave no path.
        let own = self.own_object_id.clone();
        let view = self.view.get_or_insert_with(|| {
            let mut view =
                crate::ui::users::UsersView::new(self.schema.clone().unwrap_or_default(), columns);
            if let Some(own) = own {
                view.set_own_object_id(own);
            }
            view
        });
        use crate::ui::users::UsersAction as A;
        Some(match view.ui(ui)? {
            A::ColumnsChanged(columns) => UsersOutcome::Columns(columns),
            A::ReloadSchema => UsersOutcome::Send(UsersRequest::Schema),
            A::Count {
                generation,
                where_clause,
            } => UsersOutcome::Send(UsersRequest::Count {
                generation,
                where_clause,
            }),
            A::LoadPage {
                generation,
                page,
                query,
            } => UsersOutcome::Send(UsersRequest::Page {
                generation,
                page,
                query,
            }),
            A::OpenRecord { object_id } => UsersOutcome::Send(UsersRequest::Record { object_id }),
            A::PickExportPath { format, file_name } => {
                UsersOutcome::Send(UsersRequest::PickExportPath { format, file_name })
            }
            A::Export {
                path,
                format,
                query,
                columns,
                control,
            } => UsersOutcome::Send(UsersRequest::Export {
                path,
                format,
                query,
                columns,
                control,
            }),
            // The app gives it the connection's CloudCode key on the way out.
            A::Admin(request) => UsersOutcome::Send(UsersRequest::Admin {
                request,
                cloudcode_key: None,
                data_dir: None,
            }),
        })
    }
}

/// What the app does after the browser's frame.
#[derive(Debug)]
pub enum UsersOutcome {
    /// Send this request to the worker.
    Send(UsersRequest),
    /// Remember this column choice in the settings.
    Columns(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_role_offers_the_users_view() {
        let mut screen = UsersScreen::new(crate::model::schema::Schema::default());
        assert!(!screen.is_admin());
        screen.answer(UsersAnswer::Roles(Ok(vec![
            "AuthenticatedUser".into(),
            "RestUser".into(),
        ])));
        assert!(!screen.is_admin());
        screen.showing_users = true;
        assert!(!screen.is_showing_users(), "a regular user never sees it");
        screen.answer(UsersAnswer::Roles(Ok(vec![
            "AuthenticatedUser".into(),
            "Admin".into(),
        ])));
        assert!(screen.is_admin() && screen.is_showing_users());
        // A failed roles request keeps what was known.
        screen.answer(UsersAnswer::Roles(Err(ApiError::Timeout)));
        assert!(screen.is_admin());
    }

    #[test]
    fn admin_requests_get_the_selected_connections_cloudcode_key_which_debug_hides() {
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
        let mut request = UsersRequest::Admin {
            request: AdminRequest::SetStatus {
                object_id: "U1".into(),
                enabled: false,
            },
            cloudcode_key: None,
            data_dir: None,
        };
        request.attach_cloudcode_key(Some(key));
        assert!(!format!("{request:?}").contains("CC-SECRET"));
        assert!(matches!(
            request,
            UsersRequest::Admin {
                cloudcode_key: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn failed_requests_answer_in_kind_and_expose_their_error() {
        let error = ApiError::SessionExpired {
            code: 3064,
            message: "Not existing user token".into(),
        };
        let page = UsersRequest::Page {
            generation: 4,
            page: 7,
            query: FindQuery::default(),
        };
        let answer = UsersAnswer::failed(&page, error.clone());
        assert!(matches!(
            answer,
            UsersAnswer::Page {
                generation: 4,
                page: 7,
                ..
            }
        ));
        assert_eq!(answer.api_error(), Some(&error));
        let dialog = UsersRequest::PickExportPath {
            format: ExportFormat::Csv,
            file_name: "users.csv".into(),
        };
        assert!(!dialog.needs_server());
        assert_eq!(UsersAnswer::failed(&dialog, error).api_error(), None);
    }
}
