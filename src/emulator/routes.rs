//! HTTP side of the emulator: URL forms, body limits, JSON parsing, query parameters, and one handler per
//! operation of CONTRACT.md §3. Handlers validate input and call `Store` on a blocking thread; they never touch
//! SQL and never hold the store lock across an `.await`.

use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

mod admin;

use super::auth;
use super::error::{EmuResult, EmulatorError};
use super::schema::{Column, PASSWORD, Schema};
use super::store::{FindQuery, Store};
use super::where_clause::{select_props, translate_sort_by, translate_where};
use crate::backendless::codes;

/// Largest request body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// An over-limit body is read (and dropped) up to this size before answering 413, so the client has finished
/// sending and sees the answer instead of a reset connection.
const DRAIN_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Default and largest page size (Backendless paging rules).
const DEFAULT_PAGE_SIZE: i64 = 10;
const MAX_PAGE_SIZE: i64 = 100;

/// Everything a handler needs.
pub struct AppState {
    /// The database.
    pub store: Arc<Store>,
    /// The only application id accepted in the key-in-path form.
    pub app_id: String,
    /// The only REST API key accepted in the key-in-path form.
    pub api_key: String,
    /// The CloudCode (server) key, accepted in the same URL position as `api_key`.
    pub cloudcode_key: String,
    /// Time allowed for a whole request body to arrive (then 408).
    pub body_timeout: std::time::Duration,
    /// `http://HOST:PORT` of the server, for the links in the outbox's mails and the log line about them.
    pub origin: String,
    /// The mails the emulator would have sent, and their reset tokens.
    pub outbox: std::sync::Mutex<super::outbox::Outbox>,
}

/// The router: one fallback that dispatches on method and path, so every unknown route answers JSON too.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

async fn dispatch(State(state): State<Arc<AppState>>, request: Request) -> Response {
    handle(state, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Which of the app's keys the URL carried: it decides what the request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// The REST API key (`--api-key`), or the `/api/...` form, which carries no key.
    Client,
    /// The CloudCode (server) key (`--cloudcode-key`).
    CloudCode,
}

/// The parts of a request the handlers use.
struct Incoming {
    method: Method,
    /// The key kind of the URL.
    key: KeyKind,
    /// Path segments after the app id / key (or after `/api`), percent-decoded.
    rest: Vec<String>,
    query: Vec<(String, String)>,
    user_token: Option<String>,
    body: Bytes,
}

async fn handle(state: Arc<AppState>, request: Request) -> EmuResult<Response> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_decode(s).ok_or_else(|| EmulatorError::no_route(parts.method.as_str(), &path))
        })
        .collect::<EmuResult<_>>()?;
    if segments.first().is_some_and(|s| s == "_emulator") {
        return emulator_page(&state, parts, body, &segments[1..]).await;
    }
    let (rest, key) = route_prefix(&state, &segments)
        .ok_or_else(|| EmulatorError::no_route(parts.method.as_str(), &path))??;
    let body = tokio::time::timeout(state.body_timeout, read_body(&parts.headers, body))
        .await
        .map_err(|_| EmulatorError::body_timeout(state.body_timeout))??;
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let user_token = parts
        .headers
        .get("user-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let incoming = Incoming {
        method: parts.method.clone(),
        key,
        rest: rest.to_vec(),
        query,
        user_token,
        body,
    };
    let segs: Vec<&str> = incoming.rest.iter().map(String::as_str).collect();
    let is_users_table = |name: &str| name.eq_ignore_ascii_case("Users");
    match (&incoming.method, segs.as_slice()) {
        (&Method::GET, ["info"]) => Ok(app_info()),
        (&Method::POST, ["users", "login"]) => login(&state, &incoming).await,
        (&Method::GET, ["users", "logout"]) => logout(&state, &incoming).await,
        (&Method::GET, ["users", "isvalidusertoken", user_token]) => {
            let user_token = (*user_token).to_owned();
            let valid =
                blocking(&state, move |store| Ok(store.is_valid_token(&user_token))).await?;
            Ok(json_response(json!(valid)))
        }
        (&Method::POST, ["users", "register"]) => register(&state, &incoming).await,
        (&Method::GET, ["users", "userclassprops"]) => describe(&state, &incoming, true).await,
        (&Method::GET, ["users", "userroles"]) => {
            let user_token = incoming.user_token.clone();
            let roles = blocking(&state, move |store| {
                let caller = store.authenticate_optional(user_token.as_deref())?;
                Ok(store.roles(caller.as_ref()))
            })
            .await?;
            Ok(json_response(json!(roles)))
        }
        (&Method::PUT, ["users", object_id]) => update_user(&state, &incoming, object_id).await,
        (&Method::PUT, ["users", object_id, "status"]) => {
            set_status(&state, &incoming, object_id).await
        }
        (&Method::GET, ["users", "userroles", object_id]) => {
            admin::user_roles(&state, &incoming, object_id).await
        }
        (&Method::POST, ["users", operation @ ("assignRole" | "unassignRole")]) => {
            admin::change_role(&state, &incoming, *operation == "assignRole").await
        }
        (&Method::GET, ["users", "role", role]) => {
            admin::find_by_role(&state, &incoming, role).await
        }
        (&Method::GET, ["users", "restorepassword", identity]) => {
            admin::restore_password(&state, &incoming, identity).await
        }
        (&Method::POST, ["users", "verifypassowrd"]) => verify_password(&state, &incoming).await,
        (&Method::GET, ["data", table]) if is_users_table(table) => {
            find(&state, &incoming, false).await
        }
        (&Method::POST, ["data", table, "find"]) if is_users_table(table) => {
            find(&state, &incoming, true).await
        }
        (&Method::GET, ["data", table, "count"]) if is_users_table(table) => {
            count(&state, &incoming, false).await
        }
        (&Method::POST, ["data", table, "count"]) if is_users_table(table) => {
            count(&state, &incoming, true).await
        }
        (&Method::GET, ["data", table, "properties"]) if is_users_table(table) => {
            describe(&state, &incoming, false).await
        }
        (&Method::GET, ["data", table, object_id]) if is_users_table(table) => {
            get_user(&state, &incoming, object_id).await
        }
        (&Method::DELETE, ["data", table, object_id]) if is_users_table(table) => {
            admin::delete_user(&state, &incoming, object_id).await
        }
        _ => Err(EmulatorError::no_route(incoming.method.as_str(), &path)),
    }
}

/// `/_emulator/...` (no app id or key): the emulator's own local-only pages (`routes::admin`).
async fn emulator_page(
    state: &AppState,
    parts: axum::http::request::Parts,
    body: Body,
    rest: &[String],
) -> EmuResult<Response> {
    let peer = parts
        .extensions
        .get::<super::server::PeerAddr>()
        .map(|peer| peer.0);
    let body = tokio::time::timeout(state.body_timeout, read_body(&parts.headers, body))
        .await
        .map_err(|_| EmulatorError::body_timeout(state.body_timeout))??;
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    admin::local_endpoint(
        state,
        &parts.method,
        &rest,
        &query,
        &parts.headers,
        &body,
        peer,
    )
    .await
}

/// Strips `/{app-id}/{api-key}` or `/api` and tells which key the URL carried. `None`: not an emulator path
/// (404). `Some(Err)`: wrong keys (2002).
fn route_prefix<'a>(
    state: &AppState,
    segments: &'a [String],
) -> Option<EmuResult<(&'a [String], KeyKind)>> {
    let is_service = |s: &String| matches!(s.as_str(), "users" | "data" | "info");
    match segments {
        [first, rest @ ..] if first == "api" && rest.first().is_some_and(is_service) => {
            Some(Ok((rest, KeyKind::Client)))
        }
        [app_id, api_key, rest @ ..] if rest.first().is_some_and(is_service) => {
            if !app_id.eq_ignore_ascii_case(&state.app_id) {
                Some(Err(EmulatorError::bad_app_keys()))
            } else if api_key.eq_ignore_ascii_case(&state.api_key) {
                Some(Ok((rest, KeyKind::Client)))
            } else if api_key.eq_ignore_ascii_case(&state.cloudcode_key) {
                Some(Ok((rest, KeyKind::CloudCode)))
            } else {
                Some(Err(EmulatorError::bad_app_keys()))
            }
        }
        _ => None,
    }
}

/// `PUT users/{objectId}/status` `{"userStatus": "ENABLED" | "DISABLED"}`: CloudCode key only (3054 otherwise).
/// 8002 for a body that is not a JSON object, 3024 for any other `userStatus`, 3030 for an unknown id. Disabling
/// ends the user's sessions (their tokens then meet 3064; the real server's behaviour for them is not documented).
/// Answers the updated record.
async fn set_status(state: &AppState, incoming: &Incoming, object_id: &str) -> EmuResult<Response> {
    if incoming.key != KeyKind::CloudCode {
        return Err(EmulatorError::bad_request(
            codes::ONLY_FOR_BL_LOGIC,
            "Operation allowed only for BL logic.",
        ));
    }
    let body = parse_json_object(&incoming.body)?;
    let status = match body.get("userStatus").and_then(Value::as_str) {
        Some(status @ ("ENABLED" | "DISABLED")) => status.to_owned(),
        _ => {
            return Err(EmulatorError::bad_request(
                codes::UPDATE_FAILED,
                "userStatus must be \"ENABLED\" or \"DISABLED\"",
            ));
        }
    };
    let object_id = object_id.to_owned();
    let user_token = incoming.user_token.clone();
    let user = blocking(state, move |store| {
        // A token that is sent must be valid, even with the CloudCode key.
        store.authenticate_optional(user_token.as_deref())?;
        store.set_user_status_by_id(&object_id, &status)
    })
    .await?;
    Ok(json_response(user))
}

/// `POST users/verifypassowrd` `{"password"}` (spelled so by Backendless): 3122 with a client key. With the
/// CloudCode key it checks the password of the `user-token`'s user and answers `{"valid": bool}`.
async fn verify_password(state: &AppState, incoming: &Incoming) -> EmuResult<Response> {
    if incoming.key != KeyKind::CloudCode {
        return Err(EmulatorError::bad_request(
            codes::PASSWORD_CHECK_NEEDS_SERVER_KEY,
            "Password verification allowed only from CloudCode",
        ));
    }
    let body = parse_json_object(&incoming.body)?;
    let password = match body.get(PASSWORD) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(EmulatorError::bad_request(
                codes::EMPTY_CREDENTIALS,
                "Password is empty",
            ));
        }
    };
    let user_token = incoming.user_token.clone();
    let hash = blocking(state, move |store| {
        store.password_hash_of_caller(user_token.as_deref())
    })
    .await?;
    let valid = auth::verify_password_bounded(password, hash)
        .await
        .map_err(EmulatorError::internal)?;
    Ok(json_response(json!({ "valid": valid })))
}

/// Reads the body, answering 413 (with a Backendless body) past [`MAX_BODY_BYTES`]. The caller bounds its time
/// (`AppState::body_timeout`); a body left unread makes hyper close the connection after the answer.
async fn read_body(headers: &HeaderMap, mut body: Body) -> EmuResult<Bytes> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN_BODY_BYTES as u64) {
        return Err(EmulatorError::body_too_large(MAX_BODY_BYTES));
    }
    let mut collected: Vec<u8> = Vec::new();
    let mut total = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        let Some(frame) = frame else { break };
        let frame =
            frame.map_err(|e| EmulatorError::unparsable(format!("body could not be read: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len();
        if total > DRAIN_BODY_BYTES {
            break;
        }
        if total <= MAX_BODY_BYTES {
            collected.extend_from_slice(&data);
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(EmulatorError::body_too_large(MAX_BODY_BYTES));
    }
    Ok(Bytes::from(collected))
}

/// Runs store work on a blocking thread.
async fn blocking<T, F>(state: &AppState, work: F) -> EmuResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> EmuResult<T> + Send + 'static,
{
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || work(&store))
        .await
        .map_err(EmulatorError::internal)?
}

fn json_response(value: Value) -> Response {
    (StatusCode::OK, axum::Json(value)).into_response()
}

/// Parses a JSON body: 8002 when it is not JSON. An empty body counts as `{}`.
fn parse_json(body: &Bytes) -> EmuResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(EmulatorError::unparsable)
}

fn parse_json_object(body: &Bytes) -> EmuResult<Map<String, Value>> {
    match parse_json(body)? {
        Value::Object(map) => Ok(map),
        _ => Err(EmulatorError::unparsable("the body must be a JSON object")),
    }
}

fn app_info() -> Response {
    // The official JS SDK fetches this from initApp and reads `loggers` (a list of {name, level}).
    json_response(json!({
        "name": "Profile Editor emulator",
        "loggers": [],
    }))
}

async fn login(state: &AppState, incoming: &Incoming) -> EmuResult<Response> {
    let body = parse_json_object(&incoming.body)?;
    let identity = match body.get("login") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let password = match body.get(PASSWORD) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    if identity.is_empty() || password.is_empty() {
        return Err(EmulatorError::bad_request(
            codes::EMPTY_CREDENTIALS,
            "Login or password is empty",
        ));
    }
    // The attempt is booked (or refused with 3036) before any hashing; dropping it gives the slot back.
    let attempt = blocking(state, move |store| store.login_begin(&identity)).await?;
    let hash = attempt.password_hash();
    let password_ok = auth::verify_password_bounded(password, hash)
        .await
        .map_err(EmulatorError::internal)?;
    let user = blocking(state, move |store| store.login_finish(attempt, password_ok)).await?;
    Ok(json_response(user))
}

async fn logout(state: &AppState, incoming: &Incoming) -> EmuResult<Response> {
    let user_token = incoming.user_token.clone();
    blocking(state, move |store| store.logout(user_token.as_deref())).await?;
    // Backendless answers logout with an empty body.
    Ok(StatusCode::OK.into_response())
}

async fn register(state: &AppState, incoming: &Incoming) -> EmuResult<Response> {
    if !state.store.settings.registration {
        return Err(EmulatorError::new(
            StatusCode::FORBIDDEN,
            codes::REGISTRATION_DISABLED,
            "User registration is denied for this version of application",
        ));
    }
    let body = parse_json_object(&incoming.body)?;
    let password = match body.get(PASSWORD) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(EmulatorError::bad_request(
                codes::REGISTRATION_FAILED,
                format!(
                    "Unable to register user due to error: property '{PASSWORD}' must be a string"
                ),
            ));
        }
    };
    if password.is_empty() {
        return Err(EmulatorError::bad_request(
            codes::REGISTRATION_MISSING_PASSWORD,
            "Unable to register user: the password is missing",
        ));
    }
    let hash = auth::hash_password_bounded(password)
        .await
        .map_err(EmulatorError::internal)?;
    let user = blocking(state, move |store| store.register(&body, &hash)).await?;
    Ok(json_response(user))
}

async fn update_user(
    state: &AppState,
    incoming: &Incoming,
    object_id: &str,
) -> EmuResult<Response> {
    let body = parse_json(&incoming.body)?;
    let user_token = incoming.user_token.clone();
    // A new password is hashed before the store lock is taken, and only for an accepted token, so anonymous
    // requests cannot make the server burn CPU.
    let new_password = body
        .get(PASSWORD)
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    let hash = match new_password {
        Some(password) => {
            let check_token = user_token.clone();
            blocking(state, move |store| {
                store.authenticate(check_token.as_deref())
            })
            .await?;
            Some(
                auth::hash_password_bounded(password)
                    .await
                    .map_err(EmulatorError::internal)?,
            )
        }
        None => None,
    };
    let object_id = object_id.to_owned();
    let user = blocking(state, move |store| {
        store.update_user(user_token.as_deref(), &object_id, &body, hash.as_deref())
    })
    .await?;
    Ok(json_response(user))
}

async fn describe(
    state: &AppState,
    incoming: &Incoming,
    with_identity: bool,
) -> EmuResult<Response> {
    let user_token = incoming.user_token.clone();
    let schema = blocking(state, move |store| {
        // No login needed, but a token that is sent must be valid (as on Backendless).
        store.authenticate_optional(user_token.as_deref())?;
        Ok(store.schema())
    })
    .await?;
    let descriptors: Vec<Value> = schema
        .columns
        .iter()
        .map(|column| {
            let mut value =
                serde_json::to_value(column.descriptor(with_identity)).unwrap_or(Value::Null);
            if !with_identity && let Value::Object(map) = &mut value {
                map.insert("expression".to_owned(), Value::Null);
            }
            value
        })
        .collect();
    Ok(json_response(Value::Array(descriptors)))
}

/// Query parameters of find / count / get, from the URL or a POST body.
#[derive(Debug, Default)]
struct QueryParams {
    page_size: Option<Value>,
    offset: Option<Value>,
    where_clause: Option<String>,
    sort_by: Vec<String>,
    props: Vec<String>,
    exclude_props: Vec<String>,
}

impl QueryParams {
    fn from_url(pairs: &[(String, String)]) -> Self {
        let mut params = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "pageSize" => params.page_size = Some(Value::String(value.clone())),
                "offset" => params.offset = Some(Value::String(value.clone())),
                "where" => params.where_clause = Some(value.clone()),
                "sortBy" => params.sort_by.extend(split_list(value)),
                "props" | "property" => params.props.extend(split_list(value)),
                "excludeProps" => params.exclude_props.extend(split_list(value)),
                _ => {}
            }
        }
        params
    }

    fn from_body(body: &Map<String, Value>) -> EmuResult<Self> {
        let where_clause = match body.get("where").or_else(|| body.get("whereClause")) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(EmulatorError::invalid_where("'where' must be a string")),
        };
        Ok(Self {
            page_size: body.get("pageSize").filter(|v| !v.is_null()).cloned(),
            offset: body.get("offset").filter(|v| !v.is_null()).cloned(),
            where_clause,
            sort_by: json_list(body.get("sortBy"))?,
            props: [
                json_list(body.get("props"))?,
                json_list(body.get("property"))?,
            ]
            .concat(),
            exclude_props: json_list(body.get("excludeProps"))?,
        })
    }

    fn where_fragment(
        &self,
        schema: &Schema,
    ) -> EmuResult<Option<super::where_clause::SqlFragment>> {
        match self.where_clause.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(clause) => translate_where(clause, schema).map(Some),
        }
    }

    fn columns(&self, schema: &Schema) -> EmuResult<Vec<Column>> {
        let mut columns = select_props(&self.props, schema)?;
        for name in self
            .exclude_props
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let column = schema
                .queryable(name)
                .ok_or_else(|| EmulatorError::unknown_property(name))?;
            if column.name != "objectId" {
                columns.retain(|c| c.name != column.name);
            }
        }
        Ok(columns)
    }

    fn find_query(&self, schema: &Schema) -> EmuResult<FindQuery> {
        let page_size = match &self.page_size {
            None => DEFAULT_PAGE_SIZE,
            Some(value) => int_param(value)
                .ok_or_else(invalid_page_size)?
                .clamp(1, MAX_PAGE_SIZE),
        };
        let offset = match &self.offset {
            None => 0,
            Some(value) => int_param(value).filter(|o| *o >= 0).ok_or_else(|| {
                EmulatorError::bad_request(
                    codes::INVALID_OFFSET,
                    "Invalid offset: it must be a whole number, 0 or more",
                )
            })?,
        };
        Ok(FindQuery {
            where_sql: self.where_fragment(schema)?,
            order_by: translate_sort_by(&self.sort_by, schema)?,
            columns: self.columns(schema)?,
            page_size,
            offset,
        })
    }
}

fn invalid_page_size() -> EmulatorError {
    EmulatorError::bad_request(
        codes::INVALID_PAGE_SIZE,
        "Invalid page size: it must be a whole number",
    )
}

/// A whole number from a string or JSON number; huge values saturate (they are clamped or page past the end).
fn int_param(value: &Value) -> Option<i64> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    if let Ok(i) = text.parse::<i64>() {
        return Some(i);
    }
    // Digits only but out of range: saturate.
    let (negative, digits) = text
        .strip_prefix('-')
        .map_or((false, text.as_str()), |d| (true, d));
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return Some(if negative { i64::MIN } else { i64::MAX });
    }
    None
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A list parameter in a POST body: a comma-separated string or an array of strings.
fn json_list(value: Option<&Value>) -> EmuResult<Vec<String>> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(split_list(s)),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.trim().to_owned()),
                other => Err(EmulatorError::unknown_property(&other.to_string())),
            })
            .collect(),
        Some(other) => Err(EmulatorError::unknown_property(&other.to_string())),
    }
}

async fn find(state: &AppState, incoming: &Incoming, from_body: bool) -> EmuResult<Response> {
    let params = if from_body {
        QueryParams::from_body(&parse_json_object(&incoming.body)?)?
    } else {
        QueryParams::from_url(&incoming.query)
    };
    let user_token = incoming.user_token.clone();
    let schema = state.store.schema();
    let query = params.find_query(&schema)?;
    let rows = blocking(state, move |store| {
        store.find(user_token.as_deref(), &query)
    })
    .await?;
    Ok(json_response(Value::Array(rows)))
}

async fn count(state: &AppState, incoming: &Incoming, from_body: bool) -> EmuResult<Response> {
    let params = if from_body {
        QueryParams::from_body(&parse_json_object(&incoming.body)?)?
    } else {
        QueryParams::from_url(&incoming.query)
    };
    let user_token = incoming.user_token.clone();
    let schema = state.store.schema();
    let where_sql = params.where_fragment(&schema)?;
    let total = blocking(state, move |store| {
        store.count(user_token.as_deref(), where_sql.as_ref())
    })
    .await?;
    Ok(json_response(json!(total)))
}

async fn get_user(state: &AppState, incoming: &Incoming, object_id: &str) -> EmuResult<Response> {
    let params = QueryParams::from_url(&incoming.query);
    let schema = state.store.schema();
    let columns = params.columns(&schema)?;
    let user_token = incoming.user_token.clone();
    let object_id = object_id.to_owned();
    let user = blocking(state, move |store| {
        store.get_user(user_token.as_deref(), &object_id, &columns)
    })
    .await?;
    Ok(json_response(user))
}

/// Decodes `%XX` escapes; `None` for a malformed escape or non-UTF-8 result.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_decode_and_bad_ones_are_rejected() {
        assert_eq!(percent_decode("a%40b.c").as_deref(), Some("a@b.c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }

    #[test]
    fn paging_numbers_saturate_instead_of_failing() {
        assert_eq!(int_param(&json!("99999999999999999999999")), Some(i64::MAX));
        assert_eq!(int_param(&json!(-5)), Some(-5));
        assert_eq!(int_param(&json!("ten")), None);
        assert_eq!(int_param(&json!(1.5)), None);
    }
}
