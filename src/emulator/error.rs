//! `EmulatorError`: a Backendless fault plus its HTTP status, rendered as `{code, message, errorData}`.
//!
//! Every failure the emulator answers goes through this type, so clients always see the Backendless shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::backendless::codes;
use crate::backendless::wire::Fault;

/// One Backendless error answer: the code and message clients key on, and the HTTP status that carries it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Backendless {} ({}): {}", fault.code, status, fault.message)]
pub struct EmulatorError {
    /// HTTP status: 4xx for client errors, 5xx only for real server faults.
    pub status: StatusCode,
    /// The body sent to the client.
    pub fault: Fault,
}

impl EmulatorError {
    /// A fault with an explicit status.
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            fault: Fault::new(code, message),
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: i64, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 with `code`: the caller is not (or no longer) authenticated.
    pub fn unauthorized(code: i64, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 403 with `code`: the caller may not do this.
    pub fn forbidden(code: i64, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404 with `code`: the object does not exist.
    pub fn not_found(code: i64, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409 with `code`: the value clashes with another record's.
    pub fn conflict(code: i64, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// Backendless 2002: the application id or API key in the URL is not the emulator's.
    pub fn bad_app_keys() -> Self {
        Self::bad_request(
            codes::BAD_APP_KEYS,
            "Invalid application info: the application id or API key is wrong, or the application version is disabled",
        )
    }

    /// Backendless 3028: the call needs a logged-in user and no `user-token` header came.
    pub fn not_logged_in() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            codes::NOT_LOGGED_IN,
            "User must be logged in to perform this operation",
        )
    }

    /// Backendless 3064: the `user-token` is unknown, logged out or timed out. The message is Backendless's own
    /// (CONTRACT §3), which names the token sent; the emulator never logs error messages and the client redacts
    /// tokens in the messages it shows.
    pub fn not_existing_token(user_token: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            codes::NOT_EXISTING_USER_TOKEN,
            format!(
                "Not existing user token - {user_token}. Relogin user to update your user token"
            ),
        )
    }

    /// Backendless 8002: the body is not valid JSON (or not the JSON shape the operation takes).
    pub fn unparsable(detail: impl std::fmt::Display) -> Self {
        Self::bad_request(
            codes::UNPARSABLE_REQUEST,
            format!("Could not parse request: {detail}"),
        )
    }

    /// Backendless 3024 naming `property`: a value the column cannot hold.
    pub fn update_failed(message: impl Into<String>) -> Self {
        Self::bad_request(
            codes::UPDATE_FAILED,
            format!(
                "Unable to update user account due to error: {}",
                message.into()
            ),
        )
    }

    /// Backendless 1013: the caller may not read what it asked for.
    pub fn no_permission_to_find() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            codes::NO_PERMISSION_TO_FIND,
            "User has no permissions to find objects in table 'Users'",
        )
    }

    /// Backendless 1006: a query names a property the table does not have.
    pub fn unknown_property(name: &str) -> Self {
        Self::bad_request(
            codes::UNKNOWN_PROPERTY_IN_QUERY,
            format!("Unable to retrieve data. Query contains following unknown property: {name:?}"),
        )
    }

    /// Backendless 1017: the `where` clause could not be used.
    pub fn invalid_where(detail: impl std::fmt::Display) -> Self {
        Self::bad_request(
            codes::INVALID_WHERE,
            format!("Invalid where clause: {detail}"),
        )
    }

    /// HTTP 413 with a Backendless body: the request body is over the limit.
    pub fn body_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::UNPARSABLE_REQUEST,
            format!("Request body is larger than the limit of {limit_bytes} bytes"),
        )
    }

    /// Backendless 1017 (HTTP 400): a find / count / get ran past the read deadline and was stopped. The code is
    /// the where-clause one because narrowing the clause is what helps (the Users view shows it under the box).
    pub fn query_timeout(deadline: std::time::Duration) -> Self {
        Self::bad_request(
            codes::INVALID_WHERE,
            format!(
                "The query took longer than {} and was stopped; narrow the where clause",
                human_duration(deadline)
            ),
        )
    }

    /// HTTP 408 with a Backendless body (8002): the request body did not arrive within the body timeout.
    pub fn body_timeout(timeout: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            codes::UNPARSABLE_REQUEST,
            format!(
                "The request body did not arrive within {}",
                human_duration(timeout)
            ),
        )
    }

    /// The Backendless body for an answer HTTP itself gives before any operation runs (a request line or header
    /// that does not parse, an over-long URI, headers over the size limit): the status, 8002, and why.
    pub fn protocol(status: StatusCode) -> Self {
        let why = match status {
            StatusCode::URI_TOO_LONG => "the URI is longer than the server accepts",
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
                "the request headers are larger than the server accepts"
            }
            StatusCode::BAD_REQUEST => {
                "the request line or a header (e.g. Content-Length) is malformed"
            }
            _ => "the request is not valid HTTP/1.1",
        };
        Self::new(
            status,
            codes::UNPARSABLE_REQUEST,
            format!("Could not parse request: {why}"),
        )
    }

    /// HTTP 404: no operation at this path.
    pub fn no_route(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            404,
            format!("No operation {method} {path:?} in this server"),
        )
    }

    /// HTTP 500: a fault of the emulator itself (storage failure, task panic).
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            format!("Internal server error: {detail}"),
        )
    }

    /// The Backendless code.
    pub fn code(&self) -> i64 {
        self.fault.code
    }
}

impl From<rusqlite::Error> for EmulatorError {
    fn from(error: rusqlite::Error) -> Self {
        tracing::error!("storage error: {error:#}");
        Self::internal("storage error")
    }
}

impl IntoResponse for EmulatorError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.fault)).into_response()
    }
}

/// `2 s`, `1.5 s`, `250 ms`: a limit as the error messages state it.
fn human_duration(duration: std::time::Duration) -> String {
    let ms = duration.as_millis();
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else if ms >= 1000 {
        format!("{:.1} s", duration.as_secs_f64())
    } else {
        format!("{ms} ms")
    }
}

/// Result of an emulator operation.
pub type EmuResult<T> = Result<T, EmulatorError>;
