//! The async REST client for any Backendless server (Cloud, self-hosted, the emulator): one call per endpoint.
//!
//! One `reqwest::Client` (rustls, connect and request timeouts) is shared by every clone. It follows no
//! redirect and sends no `Referer`, and reads at most [`MAX_RESPONSE_BYTES`] of any answer. Every failure
//! is an [`ApiError`]; user-tokens, passwords and the API key never appear in its texts or in logs.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::endpoint::{BaseUrl, Endpoint, EndpointError, PathSegmentError};
use super::error::ApiError;
use super::wire::{self, Fault, PropertyDescriptor};
use crate::model::{Changeset, IdError, ObjectId, UserRecord};

/// Default time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time allowed for a whole request, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The header that carries the session.
const USER_TOKEN_HEADER: &str = "user-token";
/// How much of a non-JSON error body is kept.
const SNIPPET_CHARS: usize = 200;
/// The most the client reads of one answer, error bodies included. A page of 100 records with large values
/// stays far below it; a server sending more is answered with [`ApiError::TooLarge`] and the rest is not
/// read, so a hostile or broken server cannot make the app hold gigabytes.
pub const MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// The longest user-token accepted. Backendless tokens are 36-character UUIDs; the bound keeps a hostile
/// server's or file's token out of request headers, paths and the session file.
pub const MAX_USER_TOKEN_LEN: usize = 512;

/// A text that should have been an objectId but is not one (a caller parsing an id it holds as text): it
/// cannot go into a request path, so nothing is sent.
impl From<IdError> for ApiError {
    fn from(_: IdError) -> Self {
        ApiError::UnsendablePathSegment
    }
}

/// A session token from login, checked once where it enters the program ([`UserToken::parse`]): it can
/// always be sent as a header value and a path segment. Debug never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct UserToken(String);

/// Why a text cannot be a user-token. Never holds the text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UserTokenError {
    /// Sent for an empty token.
    #[error("the user-token is empty")]
    Empty,
    /// Sent for a token longer than [`MAX_USER_TOKEN_LEN`] bytes.
    #[error("the user-token is longer than {MAX_USER_TOKEN_LEN} characters")]
    TooLong,
    /// Sent for a token with anything but visible ASCII (spaces, control characters, non-ASCII), which a
    /// header cannot carry unchanged, or that is `.` / `..` (not one path segment).
    #[error("the user-token holds characters a request header cannot carry")]
    NotHeaderSafe,
}

impl UserToken {
    /// Checks a token from a login reply or the remember-me file: non-empty, at most
    /// [`MAX_USER_TOKEN_LEN`], visible ASCII only.
    pub fn parse(token: impl Into<String>) -> Result<Self, UserTokenError> {
        let token = token.into();
        if token.is_empty() {
            return Err(UserTokenError::Empty);
        }
        if token.len() > MAX_USER_TOKEN_LEN {
            return Err(UserTokenError::TooLong);
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) || matches!(token.as_str(), "." | "..") {
            return Err(UserTokenError::NotHeaderSafe);
        }
        Ok(Self(token))
    }

    /// A token the test knows to be valid; panics otherwise. Tests only.
    #[cfg(any(test, feature = "test-hooks"))]
    pub fn new(token: String) -> Self {
        Self::parse(token).unwrap_or_else(|error| panic!("a test token: {error}"))
    }

    /// The token itself, for the `user-token` header or the remember-me file.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserToken(…redacted)")
    }
}

/// A password on its way to the server. Debug never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password typed by the user.
    pub fn new(password: String) -> Self {
        Self(password)
    }

    /// The password itself, for a request body.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…redacted)")
    }
}

/// The bytes of a password are overwritten when it is dropped, so no copy lingers in freed memory.
impl Drop for Password {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// A successful login: the user's record and the session token.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginReply {
    /// The record as the server returned it, without `user-token`.
    pub user: UserRecord,
    /// The session token for later calls.
    pub token: UserToken,
}

/// One row of a `find` page that is not a readable user record (nested deeper than the parser allows, not
/// an object, no `objectId`). The other rows of the page load; the Users view shows this in the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRow {
    /// Its `objectId`, when at least that could be read and is one ([`ObjectId::parse`]).
    pub object_id: Option<ObjectId>,
    /// Why it could not be read, in the parser's words, cut to a short line.
    pub detail: String,
}

impl fmt::Display for UnreadableRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.object_id {
            Some(object_id) => write!(f, "Record {object_id:?} could not be read: {}", self.detail),
            None => write!(f, "This record could not be read: {}", self.detail),
        }
    }
}

impl std::error::Error for UnreadableRow {}

/// A row of a `find` page: the record, or why it could not be read.
pub type FindRow = Result<UserRecord, UnreadableRow>;

/// A page of `data/Users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindQuery {
    /// A Backendless `where` clause; `None` or blank for all visible users.
    pub where_clause: Option<String>,
    /// `sortBy` items: `name`, `name asc`, `name desc`.
    pub sort_by: Vec<String>,
    /// Properties to return; empty for all.
    pub props: Vec<String>,
    /// Page size (Backendless: 1..=100, default 10).
    pub page_size: u32,
    /// Rows to skip.
    pub offset: u64,
}

impl Default for FindQuery {
    fn default() -> Self {
        Self {
            where_clause: None,
            sort_by: Vec::new(),
            props: Vec::new(),
            page_size: 10,
            offset: 0,
        }
    }
}

/// A client for one Backendless application. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Client {
    /// The shared HTTP client (rustls, timeouts).
    http: reqwest::Client,
    /// Where the application lives.
    endpoint: Endpoint,
    /// `endpoint.base_url()`, parsed once; each request URL is a clone with its path appended.
    base: BaseUrl,
    /// The whole-request timeout, also set per request in case the builder could not apply it.
    request_timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with a 5 s connect timeout and a 20 s request timeout.
    pub fn new(endpoint: Endpoint) -> Self {
        Self::with_timeouts(endpoint, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// A client with the given timeouts (tests use short ones).
    pub fn with_timeouts(endpoint: Endpoint, connect: Duration, request: Duration) -> Self {
        let http = http_builder()
            .connect_timeout(connect)
            .timeout(request)
            .user_agent(concat!("profile-editor/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|error| {
                // Only a broken TLS setup fails here; the per-request timeout still applies. The fallback
                // keeps the safety settings: no redirects, no Referer.
                tracing::warn!("building the HTTP client failed, using defaults: {error:#}");
                http_builder()
                    .build()
                    .unwrap_or_else(|error| panic!("cannot build an HTTP client: {error:#}"))
            });
        let base = endpoint.base_url();
        Self {
            http,
            endpoint,
            base,
            request_timeout: request,
        }
    }

    /// Where this client talks to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The same application reached with its CloudCode key instead of the API key, sharing this client's
    /// connection pool: for the operations Backendless allows only from server code (status and role
    /// changes, `verifypassowrd`). The key is scrubbed from errors and never logged, as the API key is.
    /// Fails for a blank key or an app-domain address (which carries no key).
    pub fn with_cloudcode_key(&self, cloudcode_key: &str) -> Result<Self, EndpointError> {
        let endpoint = self.endpoint.with_api_key(cloudcode_key)?;
        let base = endpoint.base_url();
        Ok(Self {
            http: self.http.clone(),
            endpoint,
            base,
            request_timeout: self.request_timeout,
        })
    }

    /// `POST users/login`: the user's record and a session token.
    pub async fn login(&self, login: &str, password: &Password) -> Result<LoginReply, ApiError> {
        let body = serde_json::json!({"login": login, "password": password.expose()});
        let mut map: serde_json::Map<String, serde_json::Value> = self
            .call(
                Method::POST,
                &["users", "login"],
                None,
                &[],
                Some(body_bytes(&body)),
                "login",
            )
            .await?;
        let token = match map.get("user-token") {
            Some(serde_json::Value::String(token)) => {
                UserToken::parse(token.as_str()).map_err(|error| ApiError::Decode {
                    detail: format!("login: the reply's user-token is not usable: {error}"),
                })?
            }
            _ => {
                return Err(ApiError::Decode {
                    detail: "login: the reply has no user-token".into(),
                });
            }
        };
        map.shift_remove("user-token");
        let user = record(map, "login")?;
        Ok(LoginReply { user, token })
    }

    /// `GET users/logout`: ends the session. A session-ending error means it had already ended.
    pub async fn logout(&self, token: &UserToken) -> Result<(), ApiError> {
        self.call_raw(
            Method::GET,
            &["users", "logout"],
            Some(token),
            &[],
            None,
            "logout",
        )
        .await
        .map(drop)
    }

    /// `GET users/isvalidusertoken/{token}`: whether the token still works (sent without a session header).
    pub async fn is_valid_user_token(&self, token: &UserToken) -> Result<bool, ApiError> {
        let path = ["users", "isvalidusertoken", token.expose()];
        self.call(Method::GET, &path, None, &[], None, "isvalidusertoken")
            .await
            .map_err(|e| e.redacted(token.expose()))
    }

    /// `POST users/register`: creates a user (tests and setup). Does not log in.
    pub async fn register(
        &self,
        props: serde_json::Map<String, serde_json::Value>,
        password: &Password,
    ) -> Result<UserRecord, ApiError> {
        let mut body = props;
        body.insert(
            "password".into(),
            serde_json::Value::String(password.expose().to_owned()),
        );
        let body = body_bytes(&serde_json::Value::Object(body));
        self.call_record(
            Method::POST,
            &["users", "register"],
            None,
            Some(body),
            "register",
        )
        .await
    }

    /// `GET users/restorepassword/{identity}`: asks the server to mail the user a way to reset the password.
    /// The answer has no body. 3020 for an identity no account has, 5050 when the server cannot send mail.
    pub async fn restore_password(&self, identity: &str) -> Result<(), ApiError> {
        self.call_raw(
            Method::GET,
            &["users", "restorepassword", identity],
            None,
            &[],
            None,
            "restore password",
        )
        .await
        .map(drop)
    }

    /// `POST users/verifypassowrd` (spelled so by Backendless) `{"password"}`: whether `password` is the
    /// token's user's password. Backendless allows it only with the CloudCode key
    /// ([`Client::with_cloudcode_key`]); with another key it answers 3122.
    pub async fn verify_password(
        &self,
        token: &UserToken,
        password: &Password,
    ) -> Result<bool, ApiError> {
        #[derive(serde::Deserialize)]
        struct Valid {
            valid: bool,
        }
        let body = serde_json::json!({ "password": password.expose() });
        let reply: Valid = self
            .call(
                Method::POST,
                &["users", "verifypassowrd"],
                Some(token),
                &[],
                Some(body_bytes(&body)),
                "verify password",
            )
            .await?;
        Ok(reply.valid)
    }

    /// `PUT users/{objectId}/status` `{"userStatus": "ENABLED" | "DISABLED"}`. CloudCode key only (3054
    /// otherwise). The updated record when the server answers with one (the emulator does; Backendless's
    /// answer is not documented), else `None`.
    pub async fn set_user_status(
        &self,
        token: Option<&UserToken>,
        object_id: &ObjectId,
        enabled: bool,
    ) -> Result<Option<UserRecord>, ApiError> {
        let status = if enabled { "ENABLED" } else { "DISABLED" };
        let body = serde_json::json!({ "userStatus": status });
        let bytes = self
            .call_raw(
                Method::PUT,
                &["users", object_id, "status"],
                token,
                &[],
                Some(body_bytes(&body)),
                "set user status",
            )
            .await?;
        Ok(optional_record(&bytes))
    }

    /// `GET users/userroles/{objectId}`: the role names of any user (an admin's view of another user).
    pub async fn roles_of(
        &self,
        token: Option<&UserToken>,
        object_id: &ObjectId,
    ) -> Result<Vec<String>, ApiError> {
        self.call(
            Method::GET,
            &["users", "userroles", object_id],
            token,
            &[],
            None,
            "user roles of",
        )
        .await
    }

    /// `POST users/assignRole` `{"user": identity, "roleName": role}`. CloudCode key only (2011 otherwise);
    /// 2005 for a role that does not exist, 2007 for a built-in one.
    pub async fn assign_role(
        &self,
        token: Option<&UserToken>,
        identity: &str,
        role: &str,
    ) -> Result<(), ApiError> {
        self.change_role(token, "assignRole", identity, role, "assign role")
            .await
    }

    /// `POST users/unassignRole` `{"user": identity, "roleName": role}`. CloudCode key only (2011
    /// otherwise); 2005 for a role that does not exist, 2008 for a built-in one.
    pub async fn unassign_role(
        &self,
        token: Option<&UserToken>,
        identity: &str,
        role: &str,
    ) -> Result<(), ApiError> {
        self.change_role(token, "unassignRole", identity, role, "unassign role")
            .await
    }

    async fn change_role(
        &self,
        token: Option<&UserToken>,
        operation: &str,
        identity: &str,
        role: &str,
        name: &'static str,
    ) -> Result<(), ApiError> {
        let body = serde_json::json!({ "user": identity, "roleName": role });
        self.call_raw(
            Method::POST,
            &["users", operation],
            token,
            &[],
            Some(body_bytes(&body)),
            name,
        )
        .await
        .map(drop)
    }

    /// `GET users/role/{roleName}?pageSize&offset&where&sortBy&props`: one page of the users holding `role`,
    /// read row by row like [`Client::find_user_rows`].
    pub async fn users_with_role(
        &self,
        token: Option<&UserToken>,
        role: &str,
        page: &FindQuery,
    ) -> Result<Vec<FindRow>, ApiError> {
        let bytes = self
            .call_raw(
                Method::GET,
                &["users", "role", role],
                token,
                &find_query_pairs(page),
                None,
                "users with role",
            )
            .await?;
        find_rows(&bytes, "users with role")
    }

    /// `DELETE data/Users/{objectId}`: deletes a user; the answer's `deletionTime` (epoch ms).
    pub async fn delete_user(
        &self,
        token: Option<&UserToken>,
        object_id: &ObjectId,
    ) -> Result<i64, ApiError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Deleted {
            deletion_time: i64,
        }
        let reply: Deleted = self
            .call(
                Method::DELETE,
                &["data", "Users", object_id],
                token,
                &[],
                None,
                "delete user",
            )
            .await?;
        Ok(reply.deletion_time)
    }

    /// `PUT users/{objectId}` `{"password": new}`: changes the password (the caller checked the current one).
    /// Returns the updated record. The body is built and dropped here; the server echoes no password.
    pub async fn set_password(
        &self,
        token: &UserToken,
        object_id: &ObjectId,
        new_password: &Password,
    ) -> Result<UserRecord, ApiError> {
        let mut body = serde_json::json!({ "password": new_password.expose() }).to_string();
        let bytes = body.as_bytes().to_vec();
        zeroize::Zeroize::zeroize(&mut body);
        self.call_record(
            Method::PUT,
            &["users", object_id],
            Some(token),
            Some(bytes),
            "set password",
        )
        .await
    }

    /// `GET data/Users/{objectId}`.
    pub async fn get_user(
        &self,
        token: Option<&UserToken>,
        object_id: &ObjectId,
    ) -> Result<UserRecord, ApiError> {
        self.call_record(
            Method::GET,
            &["data", "Users", object_id],
            token,
            None,
            "get user",
        )
        .await
    }

    /// `PUT users/{objectId}` with only the changed properties; returns the full updated record.
    pub async fn update_user(
        &self,
        token: Option<&UserToken>,
        object_id: &ObjectId,
        changes: &Changeset,
    ) -> Result<UserRecord, ApiError> {
        let body = changes.to_body_bytes();
        self.call_record(
            Method::PUT,
            &["users", object_id],
            token,
            Some(body),
            "update user",
        )
        .await
    }

    /// `GET data/Users?where&sortBy&props&pageSize&offset`: one page of users; a row that cannot be read
    /// fails the whole page (see [`Client::find_user_rows`] for one that keeps the others).
    pub async fn find_users(
        &self,
        token: Option<&UserToken>,
        q: &FindQuery,
    ) -> Result<Vec<UserRecord>, ApiError> {
        let rows = self.find_user_rows(token, q).await?;
        rows.into_iter()
            .enumerate()
            .map(|(index, row)| {
                row.map_err(|row| ApiError::Decode {
                    detail: format!("find users: row {} of the page: {row}", index + 1),
                })
            })
            .collect()
    }

    /// `GET data/Users?where&sortBy&props&pageSize&offset`: one page of users, read row by row, so that one
    /// row the client cannot read (say, a value nested deeper than the parser allows) is that row's error
    /// and the other rows still load.
    pub async fn find_user_rows(
        &self,
        token: Option<&UserToken>,
        q: &FindQuery,
    ) -> Result<Vec<FindRow>, ApiError> {
        let bytes = self
            .call_raw(
                Method::GET,
                &["data", "Users"],
                token,
                &find_query_pairs(q),
                None,
                "find users",
            )
            .await?;
        find_rows(&bytes, "find users")
    }

    /// `GET data/Users/count?where`: how many users match (a bare integer; a numeric string is tolerated).
    pub async fn count_users(
        &self,
        token: Option<&UserToken>,
        where_clause: Option<&str>,
    ) -> Result<u64, ApiError> {
        let mut query = Vec::new();
        if let Some(where_clause) = where_clause.map(str::trim).filter(|w| !w.is_empty()) {
            query.push(("where", where_clause.to_owned()));
        }
        let count: serde_json::Value = self
            .call(
                Method::GET,
                &["data", "Users", "count"],
                token,
                &query,
                None,
                "count users",
            )
            .await?;
        match &count {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| ApiError::Decode {
            detail: format!(
                "count users: expected a count, got {}",
                snippet(&count.to_string())
            ),
        })
    }

    /// `GET users/userclassprops`: the described properties of `Users`, with the identity flag.
    pub async fn describe_user_class(
        &self,
        token: Option<&UserToken>,
    ) -> Result<Vec<PropertyDescriptor>, ApiError> {
        self.call(
            Method::GET,
            &["users", "userclassprops"],
            token,
            &[],
            None,
            "describe users",
        )
        .await
    }

    /// `GET users/userroles`: the role names of the token's user, e.g. `["AuthenticatedUser", "Admin"]`.
    pub async fn user_roles(&self, token: &UserToken) -> Result<Vec<String>, ApiError> {
        self.call(
            Method::GET,
            &["users", "userroles"],
            Some(token),
            &[],
            None,
            "user roles",
        )
        .await
    }

    /// Sends a request without a query and decodes a 2xx JSON body as one user record.
    async fn call_record(
        &self,
        method: Method,
        path: &[&str],
        token: Option<&UserToken>,
        body: Option<Vec<u8>>,
        operation: &'static str,
    ) -> Result<UserRecord, ApiError> {
        let map = self.call(method, path, token, &[], body, operation).await?;
        record(map, operation)
    }

    /// Sends a request and decodes a 2xx JSON body as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &[&str],
        token: Option<&UserToken>,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        operation: &'static str,
    ) -> Result<T, ApiError> {
        let bytes = self
            .call_raw(method, path, token, query, body, operation)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            // A login reply may hold a token: never quote it.
            let detail = if operation == "login" {
                format!("{operation}: {e}")
            } else {
                let start = snippet(&String::from_utf8_lossy(&bytes));
                format!("{operation}: {e}; the reply starts {start:?}")
            };
            ApiError::Decode { detail }
        })
    }

    /// Sends a request; a 2xx answer gives its body, anything else its [`ApiError`], with secrets scrubbed.
    async fn call_raw(
        &self,
        method: Method,
        path: &[&str],
        token: Option<&UserToken>,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        operation: &'static str,
    ) -> Result<Vec<u8>, ApiError> {
        let started = Instant::now();
        let result = self.send(method, path, token, query, body).await;
        let result = match &self.endpoint {
            Endpoint::KeyInPath { api_key, .. } => result.map_err(|e| e.redacted(api_key)),
            Endpoint::Domain { .. } => result,
        };
        let result = match token {
            Some(token) => result.map_err(|e| e.redacted(token.expose())),
            None => result,
        };
        let elapsed_ms = started.elapsed().as_millis();
        match &result {
            Ok(_) => tracing::debug!(operation, elapsed_ms, "backendless call succeeded"),
            Err(error) => {
                tracing::debug!(operation, elapsed_ms, code = ?error.code(), "backendless call failed: {error}")
            }
        }
        result
    }

    async fn send(
        &self,
        method: Method,
        path: &[&str],
        token: Option<&UserToken>,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, ApiError> {
        let mut url = self.base.join(path).map_err(|error| match error {
            PathSegmentError::NotABase => ApiError::Unreachable {
                detail: error.to_string(),
            },
            PathSegmentError::DotOrEmpty
            | PathSegmentError::ControlCharacter
            | PathSegmentError::TooLong => ApiError::UnsendablePathSegment,
        })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut request = self.http.request(method, url).timeout(self.request_timeout);
        if let Some(token) = token {
            request = request.header(USER_TOKEN_HEADER, token.expose());
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(ApiError::Redirected {
                status,
                location: redirect_origin(&response),
            });
        }
        let bytes = read_capped(response).await?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        match serde_json::from_slice::<Fault>(&bytes) {
            Ok(fault) => Err(ApiError::from_fault(status, fault)),
            Err(_) => Err(ApiError::HttpStatus {
                status,
                snippet: snippet(&String::from_utf8_lossy(&bytes)),
            }),
        }
    }
}

/// The builder every client starts from: no redirects (a 3xx is [`ApiError::Redirected`]) and no `Referer`,
/// so the password, the user-token and the API key in the URL never travel to another address.
fn http_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
}

/// The body of `response`, read chunk by chunk up to [`MAX_RESPONSE_BYTES`]; a larger answer (by its
/// `Content-Length`, or as it arrives) is [`ApiError::TooLarge`] and the connection is dropped unread.
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, ApiError> {
    let too_large = ApiError::TooLarge {
        limit_bytes: MAX_RESPONSE_BYTES,
    };
    let announced = response.content_length();
    if announced.is_some_and(|length| length > MAX_RESPONSE_BYTES) {
        return Err(too_large);
    }
    // The announced length is only a hint (already capped); the loop below enforces the limit.
    let mut body = Vec::with_capacity(announced.map_or(0, |n| usize::try_from(n).unwrap_or(0)));
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if (body.len() + chunk.len()) as u64 > MAX_RESPONSE_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Where a redirect points, as an origin only (`https://host:port`): its path and query may hold secrets.
fn redirect_origin(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .and_then(|location| response.url().join(location).ok())
        .map(|target| target.origin())
        .filter(url::Origin::is_tuple)
        .map_or_else(
            || "an address it did not name".to_owned(),
            |origin| origin.ascii_serialization(),
        )
}

/// The query of a page of users: `pageSize`, `offset`, and `where`, `sortBy`, `props` when set.
fn find_query_pairs(q: &FindQuery) -> Vec<(&'static str, String)> {
    let mut query = vec![
        ("pageSize", q.page_size.to_string()),
        ("offset", q.offset.to_string()),
    ];
    if let Some(where_clause) = q
        .where_clause
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        query.push(("where", where_clause.to_owned()));
    }
    if !q.sort_by.is_empty() {
        query.push(("sortBy", q.sort_by.join(",")));
    }
    if !q.props.is_empty() {
        query.push(("props", q.props.join(",")));
    }
    query
}

/// A JSON array of user records, row by row.
fn find_rows(bytes: &[u8], operation: &str) -> Result<Vec<FindRow>, ApiError> {
    let elements = wire::array_elements(bytes).map_err(|e| {
        let start = snippet(&String::from_utf8_lossy(bytes));
        ApiError::Decode {
            detail: format!("{operation}: {e}; the reply starts {start:?}"),
        }
    })?;
    Ok(elements.into_iter().map(find_row).collect())
}

/// A user record if `bytes` is one (an object with an `objectId`); `None` for an empty or other answer.
fn optional_record(bytes: &[u8]) -> Option<UserRecord> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes).ok()?;
    UserRecord::from_json(map).ok()
}

/// One element of a `find` page: a user record, or why not (with its `objectId` when that can be read).
fn find_row(raw: &[u8]) -> FindRow {
    // The parser's message may quote a value (`invalid type: string "…"`): keep it short.
    let unreadable = |detail: String| UnreadableRow {
        object_id: wire::top_level_string(raw, "objectId").and_then(|id| ObjectId::parse(id).ok()),
        detail: snippet(&detail),
    };
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(raw).map_err(|e| unreadable(e.to_string()))?;
    UserRecord::from_json(map).map_err(|e| unreadable(e.to_string()))
}

fn body_bytes(value: &serde_json::Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn record(
    map: serde_json::Map<String, serde_json::Value>,
    operation: &str,
) -> Result<UserRecord, ApiError> {
    UserRecord::from_json(map).map_err(|e| ApiError::Decode {
        detail: format!("{operation}: {e}"),
    })
}

/// The first [`SNIPPET_CHARS`] characters, on one line.
fn snippet(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(SNIPPET_CHARS) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// A transport failure, without the URL (it holds the API key) but with its root cause.
fn transport_error(error: reqwest::Error) -> ApiError {
    if error.is_timeout() {
        return ApiError::Timeout;
    }
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    if error.is_decode() || error.is_body() {
        return ApiError::Decode { detail };
    }
    ApiError::Unreachable { detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        assert_eq!(
            format!("{:?}", UserToken::new("tok-123".into())),
            "UserToken(…redacted)"
        );
        assert_eq!(
            format!("{:?}", Password::new("hunter2".into())),
            "Password(…redacted)"
        );
        let reply = LoginReply {
            user: UserRecord::from_json(serde_json::from_str(r#"{"objectId":"A"}"#).unwrap())
                .unwrap(),
            token: UserToken::new("tok-123".into()),
        };
        assert!(!format!("{reply:?}").contains("tok-123"));
        let endpoint = Endpoint::parse(
            "https://api.backendless.com",
            Some("APP"),
            Some("SECRET-KEY"),
        )
        .unwrap();
        assert!(!format!("{:?}", Client::new(endpoint)).contains("SECRET-KEY"));
    }

    #[test]
    fn user_tokens_that_a_header_cannot_carry_are_refused() {
        for good in ["F00DCAFE-0000-4000-8000-0000DEADBEEF", "T", "a.b~c_d"] {
            assert_eq!(UserToken::parse(good).unwrap().expose(), good, "{good:?}");
        }
        let long = "x".repeat(MAX_USER_TOKEN_LEN + 1);
        let cases = [
            ("", UserTokenError::Empty),
            (long.as_str(), UserTokenError::TooLong),
            ("a b", UserTokenError::NotHeaderSafe),
            (" T", UserTokenError::NotHeaderSafe),
            ("T\r\nX-Evil: 1", UserTokenError::NotHeaderSafe),
            ("T\t", UserTokenError::NotHeaderSafe),
            ("T\u{7f}", UserTokenError::NotHeaderSafe),
            ("jéton", UserTokenError::NotHeaderSafe),
            ("..", UserTokenError::NotHeaderSafe),
        ];
        for (bad, why) in cases {
            assert_eq!(UserToken::parse(bad), Err(why), "{bad:?}");
        }
        assert!(UserToken::parse("x".repeat(MAX_USER_TOKEN_LEN)).is_ok());
        // The error never quotes the token.
        assert!(!UserTokenError::NotHeaderSafe.to_string().contains("a b"));
    }

    #[test]
    fn snippet_is_short_and_on_one_line() {
        assert_eq!(
            snippet("<html>\n  <body>Bad   Gateway</body>\n</html>"),
            "<html> <body>Bad Gateway</body> </html>"
        );
        let long = "x".repeat(500);
        assert_eq!(snippet(&long).chars().count(), SNIPPET_CHARS + 1);
    }

    // Issue 14: a `find` row is where an unreadable row's objectId enters: one that is an objectId is kept
    // (parsed), one that is none is not kept, and the row says why in one line, never quoting it raw.
    #[test]
    fn an_unreadable_rows_object_id_is_kept_only_when_it_is_one() {
        let deep = format!(
            r#"{{"objectId":"C","x":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let row = find_row(deep.as_bytes()).unwrap_err();
        assert_eq!(row.object_id.as_deref(), Some("C"));
        assert!(
            row.to_string()
                .starts_with("Record \"C\" could not be read: "),
            "{row}"
        );
        let row = find_row(b"{\"objectId\":\"A\\nB\"}").unwrap_err();
        assert_eq!(row.object_id, None);
        let text = row.to_string();
        assert!(
            text.starts_with("This record could not be read: "),
            "{text}"
        );
        assert!(
            text.contains("control character") && !text.contains('\n'),
            "{text}"
        );
    }

    #[test]
    fn find_query_defaults_to_the_backendless_page() {
        let q = FindQuery::default();
        assert_eq!((q.page_size, q.offset), (10, 0));
    }
}
