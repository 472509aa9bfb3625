//! `ApiError`: the one error type of the client. Every known Backendless code becomes a named variant.
//!
//! [`ApiError::from_fault`] is the only place that turns codes into variants and [`ApiError::code`] its
//! inverse. Display is a sentence a user can act on; the server's message is kept for logs and banners.

use super::codes;
use super::wire::Fault;
use crate::model::Changeset;
use crate::model::schema::{PASSWORD, Schema, is_system};

/// The plain message for an operation the server allows only with the app's CloudCode key.
pub const CLOUDCODE_KEY_NEEDED: &str =
    "This needs the app's CloudCode key: add it to the connection (Connection → CloudCode key)";

/// Everything that can go wrong talking to a Backendless server.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// Backendless 2002: wrong application id or API key, or the app is disabled.
    #[error(
        "The application id or API key is wrong, or the application is disabled. Check the connection settings."
    )]
    BadAppKeys { message: String },
    /// Backendless 3003: wrong login or password (the server does not say which).
    #[error("Wrong email or password.")]
    InvalidCredentials,
    /// Backendless 3006: login or password empty.
    #[error("Enter both your email and your password.")]
    EmptyCredentials,
    /// Backendless 3036: too many failed logins.
    #[error("This account is locked after too many failed logins. Wait a while, then try again.")]
    AccountLocked { message: String },
    /// Backendless 3090: the account is disabled.
    #[error("This account is disabled. Ask the application's administrator to enable it.")]
    AccountDisabled { message: String },
    /// Backendless 3000: login is disabled for this account.
    #[error("Logging in is disabled for this account. Ask the application's administrator.")]
    LoginDisabled { message: String },
    /// Backendless 3002 / 3044: the account already has the allowed number of sessions.
    #[error("This account is already logged in elsewhere. Log out there, then try again.")]
    TooManySessions { code: i64, message: String },
    /// Backendless 3028: no `user-token` where one is needed.
    #[error("You are not logged in. Log in again to continue.")]
    NotLoggedIn,
    /// Backendless 3048, 3064, 3091: the user-token is unknown, logged out or timed out.
    #[error("Your session has ended. Log in again to continue; your changes are kept.")]
    SessionExpired { code: i64, message: String },
    /// Backendless 3029: a non-admin tried to change someone else's record.
    #[error("You can change only your own record unless you are an administrator.")]
    NotYourRecord { message: String },
    /// Backendless 3030: the user to update does not exist (the editor only updates one's own record: the
    /// account was deleted).
    #[error(
        "Your account no longer exists on the server, so nothing can be saved to it. Your changes are kept here: export them to keep a copy."
    )]
    UserNotFound { message: String },
    /// Backendless 3031: new properties sent while dynamic schema is off.
    #[error(
        "The server does not accept new properties. Remove them, or add the columns in the Backendless console."
    )]
    DynamicPropertiesDisabled { message: String },
    /// Backendless 3045: a required property was set to null or empty.
    #[error("A required property cannot be empty. Fill it in or revert it.")]
    RequiredPropertyEmpty { message: String },
    /// Backendless 3018: the identity is already used by another user.
    #[error("That email is already used by another account.")]
    IdentityTaken { message: String },
    /// Backendless 3024: any other update failure; the message names the property when it can.
    #[error("The server refused the change: {message}")]
    UpdateFailed {
        message: String,
        property: Option<String>,
    },
    /// Backendless 3009: registration is disabled.
    #[error("Registration of new users is disabled for this application.")]
    RegistrationDisabled { message: String },
    /// Backendless 3010: registration names a property that is not a column while dynamic schema is off.
    #[error("The server does not accept new properties at registration: {message}")]
    RegistrationUnknownProperty { message: String },
    /// Backendless 3011: registration without a password.
    #[error("Enter a password.")]
    MissingPassword { message: String },
    /// Backendless 3012: registration without a required property.
    #[error("A required property is missing: {message}")]
    MissingRequiredProperty {
        message: String,
        property: Option<String>,
    },
    /// Backendless 3013: registration without the identity.
    #[error("Enter an email address.")]
    MissingIdentity { message: String },
    /// Backendless 3021: any other registration failure; the message names the property when it can.
    #[error("Registration failed: {message}")]
    RegistrationFailed {
        message: String,
        property: Option<String>,
    },
    /// Backendless 3033: registration with an identity that already exists.
    #[error("An account with that email already exists. Log in instead.")]
    AlreadyRegistered { message: String },
    /// Backendless 3040: a malformed email address.
    #[error("That is not a valid email address.")]
    InvalidEmail { message: String },
    /// Backendless 3020: restore password for an identity no account has.
    #[error("No account is registered under that name. Check what you typed.")]
    UnknownIdentity { message: String },
    /// Backendless 5050: the server cannot send mail (its email settings are not configured).
    #[error(
        "The server cannot send mail (the application's email settings are not configured), so no mail was sent. Ask the application's administrator."
    )]
    MailNotConfigured { message: String },
    /// Backendless 3054: enabling or disabling a user needs the app's CloudCode key.
    #[error(
        "Enabling or disabling a user is allowed only with the app's CloudCode key. Add it to the connection (Connection → CloudCode key)."
    )]
    StatusChangeNeedsCloudCodeKey { message: String },
    /// Backendless 2011: assigning or unassigning a role needs the app's CloudCode key.
    #[error(
        "Changing a user's roles is allowed only with the app's CloudCode key. Add it to the connection (Connection → CloudCode key)."
    )]
    RoleChangeNeedsCloudCodeKey { message: String },
    /// Backendless 3122: checking a password (`users/verifypassowrd`) needs the app's CloudCode key.
    #[error(
        "Checking a password on the server is allowed only with the app's CloudCode key. Add it to the connection (Connection → CloudCode key)."
    )]
    PasswordCheckNeedsCloudCodeKey { message: String },
    /// Backendless 2005: the role does not exist.
    #[error(
        "There is no role with that name. Create it in the Backendless console first, or check the spelling."
    )]
    RoleNotFound { message: String },
    /// Backendless 2007 / 2008: a built-in role is assigned or unassigned.
    #[error(
        "Built-in roles (such as AuthenticatedUser or RestUser) are given by the server and cannot be assigned or removed. Choose a role of your own."
    )]
    BuiltInRole { code: i64, message: String },
    /// Backendless 1017: the where clause is not valid.
    #[error("The filter is not valid: {message}")]
    InvalidWhere { message: String },
    /// Backendless 1006: `props`, `sortBy` or `where` names a property that does not exist.
    #[error("The query names a property that does not exist: {message}")]
    UnknownProperty { message: String },
    /// Backendless 1005: invalid page size.
    #[error("The page size is not valid: {message}")]
    InvalidPageSize { message: String },
    /// Backendless 1004: invalid paging offset.
    #[error("The page offset is not valid: {message}")]
    InvalidOffset { message: String },
    /// Backendless 1013: no permission to read these records.
    #[error("You do not have permission to read these records.")]
    NoPermission { message: String },
    /// Backendless 1000: no record with that id.
    #[error("No record with that id exists. Reload to see the current records.")]
    EntityNotFound { message: String },
    /// Backendless 8002: the server could not parse the request.
    #[error("The server could not read the request: {message}")]
    MalformedRequest { message: String },
    /// Any other Backendless error, kept with its code, message and HTTP status.
    #[error("The server refused the request (Backendless error {code}): {message}")]
    Other {
        code: i64,
        message: String,
        status: u16,
    },
    /// Sent when no connection could be made (DNS, refused, TLS).
    #[error("Cannot reach the server. Check your network connection and the server address.")]
    Unreachable { detail: String },
    /// Sent when the connection or the whole request took too long.
    #[error("The server did not answer in time. Try again.")]
    Timeout,
    /// Sent for an error status whose body is not a Backendless error (a proxy page, a wrong address).
    /// The body's start is kept for the debug log only, scrubbed of secrets; it is never shown.
    #[error("{}", http_status_message(*status))]
    HttpStatus { status: u16, snippet: String },
    /// Sent for HTTP 404 with an error code this program does not know: nothing answers the Backendless
    /// API at this address (a wrong server URL, or one with the application id and API key inside it).
    /// The server's text is dropped: it echoes the requested path, which may hold the API key.
    #[error("{}", NO_API_HERE)]
    NoApiAtAddress,
    /// Sent for a success response of an unexpected shape.
    #[error(
        "The server's answer could not be understood. Check that the address is a Backendless server."
    )]
    Decode { detail: String },
    /// Sent for a 3xx answer: Backendless does not redirect its API, and following one would carry the
    /// password, the user-token and the API key to wherever it points. `location` is only its origin.
    #[error(
        "The server answered with a redirect to {location} (HTTP {status}); Backendless does not redirect its API, so the app did not follow it. Check the server address."
    )]
    Redirected { status: u16, location: String },
    /// Sent when an answer is larger than the client reads (`client::MAX_RESPONSE_BYTES`); the rest is not read.
    #[error(
        "The server sent more than {} MiB; the app stopped reading. Check the server address.",
        limit_bytes / (1024 * 1024)
    )]
    TooLarge { limit_bytes: u64 },
}

/// What a 404 from the server means to the user: the address is wrong. Names no URL (it may hold the key).
pub const NO_API_HERE: &str = "No Backendless API answers at this server address (HTTP 404). Check the Server URL: it holds only the server (such as https://api.backendless.com) or an app domain (https://xyz.backendless.app); the application id and REST API key go in their own fields.";

/// The sentence for an error status without a Backendless error body.
fn http_status_message(status: u16) -> String {
    if status == 404 {
        NO_API_HERE.to_owned()
    } else {
        format!(
            "The server answered HTTP {status} without a Backendless error. Check the server address."
        )
    }
}

/// The pattern of every variant that carries the server's own `message`, binding it to `$message`
/// (one list for [`ApiError::server_message`] and `message_mut`).
macro_rules! with_message {
    ($message:ident) => {
        ApiError::BadAppKeys { message: $message }
            | ApiError::AccountLocked { message: $message }
            | ApiError::AccountDisabled { message: $message }
            | ApiError::LoginDisabled { message: $message }
            | ApiError::TooManySessions {
                message: $message,
                ..
            }
            | ApiError::SessionExpired {
                message: $message,
                ..
            }
            | ApiError::NotYourRecord { message: $message }
            | ApiError::UserNotFound { message: $message }
            | ApiError::DynamicPropertiesDisabled { message: $message }
            | ApiError::RequiredPropertyEmpty { message: $message }
            | ApiError::IdentityTaken { message: $message }
            | ApiError::UpdateFailed {
                message: $message,
                ..
            }
            | ApiError::RegistrationDisabled { message: $message }
            | ApiError::RegistrationUnknownProperty { message: $message }
            | ApiError::MissingPassword { message: $message }
            | ApiError::MissingRequiredProperty {
                message: $message,
                ..
            }
            | ApiError::MissingIdentity { message: $message }
            | ApiError::RegistrationFailed {
                message: $message,
                ..
            }
            | ApiError::AlreadyRegistered { message: $message }
            | ApiError::InvalidEmail { message: $message }
            | ApiError::UnknownIdentity { message: $message }
            | ApiError::MailNotConfigured { message: $message }
            | ApiError::StatusChangeNeedsCloudCodeKey { message: $message }
            | ApiError::RoleChangeNeedsCloudCodeKey { message: $message }
            | ApiError::PasswordCheckNeedsCloudCodeKey { message: $message }
            | ApiError::RoleNotFound { message: $message }
            | ApiError::BuiltInRole {
                message: $message,
                ..
            }
            | ApiError::InvalidWhere { message: $message }
            | ApiError::UnknownProperty { message: $message }
            | ApiError::InvalidOffset { message: $message }
            | ApiError::InvalidPageSize { message: $message }
            | ApiError::NoPermission { message: $message }
            | ApiError::EntityNotFound { message: $message }
            | ApiError::MalformedRequest { message: $message }
            | ApiError::Other {
                message: $message,
                ..
            }
    };
}

impl ApiError {
    /// Maps a Backendless error body to its variant: the only code → variant place.
    pub fn from_fault(status: u16, fault: Fault) -> Self {
        let Fault { code, message, .. } = fault;
        match code {
            codes::BAD_APP_KEYS => Self::BadAppKeys { message },
            codes::INVALID_CREDENTIALS => Self::InvalidCredentials,
            codes::EMPTY_CREDENTIALS => Self::EmptyCredentials,
            codes::ACCOUNT_LOCKED => Self::AccountLocked { message },
            codes::ACCOUNT_DISABLED => Self::AccountDisabled { message },
            codes::LOGIN_DISABLED => Self::LoginDisabled { message },
            codes::SECOND_LOGIN_BLOCKED | codes::TOO_MANY_SESSIONS => {
                Self::TooManySessions { code, message }
            }
            codes::NOT_LOGGED_IN => Self::NotLoggedIn,
            codes::SESSION_TIMEOUT | codes::NOT_EXISTING_USER_TOKEN | codes::SESSION_TIMEOUT_2 => {
                Self::SessionExpired { code, message }
            }
            codes::NOT_YOUR_RECORD => Self::NotYourRecord { message },
            codes::USER_NOT_FOUND => Self::UserNotFound { message },
            codes::DYNAMIC_PROPERTIES_DISABLED => Self::DynamicPropertiesDisabled { message },
            codes::REQUIRED_PROPERTY_EMPTY => Self::RequiredPropertyEmpty { message },
            codes::IDENTITY_TAKEN => Self::IdentityTaken { message },
            codes::UPDATE_FAILED => {
                let property = quoted_names(&message).into_iter().next();
                Self::UpdateFailed { message, property }
            }
            codes::REGISTRATION_DISABLED => Self::RegistrationDisabled { message },
            codes::REGISTRATION_UNKNOWN_PROPERTY => Self::RegistrationUnknownProperty { message },
            codes::REGISTRATION_MISSING_PASSWORD => Self::MissingPassword { message },
            codes::REGISTRATION_MISSING_PROPERTY => {
                let property = quoted_names(&message).into_iter().next();
                Self::MissingRequiredProperty { message, property }
            }
            codes::REGISTRATION_MISSING_IDENTITY => Self::MissingIdentity { message },
            codes::REGISTRATION_FAILED => {
                let property = quoted_names(&message).into_iter().next();
                Self::RegistrationFailed { message, property }
            }
            codes::REGISTRATION_IDENTITY_TAKEN => Self::AlreadyRegistered { message },
            codes::INVALID_EMAIL => Self::InvalidEmail { message },
            codes::UNKNOWN_IDENTITY => Self::UnknownIdentity { message },
            codes::MAIL_NOT_CONFIGURED => Self::MailNotConfigured { message },
            codes::ONLY_FOR_BL_LOGIC => Self::StatusChangeNeedsCloudCodeKey { message },
            codes::ROLE_CHANGE_NEEDS_SERVER_KEY => Self::RoleChangeNeedsCloudCodeKey { message },
            codes::PASSWORD_CHECK_NEEDS_SERVER_KEY => {
                Self::PasswordCheckNeedsCloudCodeKey { message }
            }
            codes::ROLE_NOT_FOUND => Self::RoleNotFound { message },
            codes::BUILT_IN_ROLE_ASSIGN | codes::BUILT_IN_ROLE_UNASSIGN => {
                Self::BuiltInRole { code, message }
            }
            codes::INVALID_WHERE => Self::InvalidWhere { message },
            codes::UNKNOWN_PROPERTY_IN_QUERY => Self::UnknownProperty { message },
            codes::INVALID_OFFSET => Self::InvalidOffset { message },
            codes::INVALID_PAGE_SIZE => Self::InvalidPageSize { message },
            codes::NO_PERMISSION_TO_FIND => Self::NoPermission { message },
            codes::ENTITY_NOT_FOUND => Self::EntityNotFound { message },
            codes::UNPARSABLE_REQUEST => Self::MalformedRequest { message },
            _ if status == 404 => Self::NoApiAtAddress,
            _ => Self::Other {
                code,
                message,
                status,
            },
        }
    }

    /// The Backendless code of this error; `None` for transport and decoding failures.
    pub fn code(&self) -> Option<i64> {
        Some(match self {
            Self::BadAppKeys { .. } => codes::BAD_APP_KEYS,
            Self::InvalidCredentials => codes::INVALID_CREDENTIALS,
            Self::EmptyCredentials => codes::EMPTY_CREDENTIALS,
            Self::AccountLocked { .. } => codes::ACCOUNT_LOCKED,
            Self::AccountDisabled { .. } => codes::ACCOUNT_DISABLED,
            Self::LoginDisabled { .. } => codes::LOGIN_DISABLED,
            Self::TooManySessions { code, .. }
            | Self::SessionExpired { code, .. }
            | Self::BuiltInRole { code, .. }
            | Self::Other { code, .. } => *code,
            Self::NotLoggedIn => codes::NOT_LOGGED_IN,
            Self::NotYourRecord { .. } => codes::NOT_YOUR_RECORD,
            Self::UserNotFound { .. } => codes::USER_NOT_FOUND,
            Self::DynamicPropertiesDisabled { .. } => codes::DYNAMIC_PROPERTIES_DISABLED,
            Self::RequiredPropertyEmpty { .. } => codes::REQUIRED_PROPERTY_EMPTY,
            Self::IdentityTaken { .. } => codes::IDENTITY_TAKEN,
            Self::UpdateFailed { .. } => codes::UPDATE_FAILED,
            Self::RegistrationDisabled { .. } => codes::REGISTRATION_DISABLED,
            Self::RegistrationUnknownProperty { .. } => codes::REGISTRATION_UNKNOWN_PROPERTY,
            Self::MissingPassword { .. } => codes::REGISTRATION_MISSING_PASSWORD,
            Self::MissingRequiredProperty { .. } => codes::REGISTRATION_MISSING_PROPERTY,
            Self::MissingIdentity { .. } => codes::REGISTRATION_MISSING_IDENTITY,
            Self::RegistrationFailed { .. } => codes::REGISTRATION_FAILED,
            Self::AlreadyRegistered { .. } => codes::REGISTRATION_IDENTITY_TAKEN,
            Self::InvalidEmail { .. } => codes::INVALID_EMAIL,
            Self::UnknownIdentity { .. } => codes::UNKNOWN_IDENTITY,
            Self::MailNotConfigured { .. } => codes::MAIL_NOT_CONFIGURED,
            Self::StatusChangeNeedsCloudCodeKey { .. } => codes::ONLY_FOR_BL_LOGIC,
            Self::RoleChangeNeedsCloudCodeKey { .. } => codes::ROLE_CHANGE_NEEDS_SERVER_KEY,
            Self::PasswordCheckNeedsCloudCodeKey { .. } => codes::PASSWORD_CHECK_NEEDS_SERVER_KEY,
            Self::RoleNotFound { .. } => codes::ROLE_NOT_FOUND,
            Self::InvalidWhere { .. } => codes::INVALID_WHERE,
            Self::UnknownProperty { .. } => codes::UNKNOWN_PROPERTY_IN_QUERY,
            Self::InvalidOffset { .. } => codes::INVALID_OFFSET,
            Self::InvalidPageSize { .. } => codes::INVALID_PAGE_SIZE,
            Self::NoPermission { .. } => codes::NO_PERMISSION_TO_FIND,
            Self::EntityNotFound { .. } => codes::ENTITY_NOT_FOUND,
            Self::MalformedRequest { .. } => codes::UNPARSABLE_REQUEST,
            Self::Unreachable { .. }
            | Self::Timeout
            | Self::HttpStatus { .. }
            | Self::NoApiAtAddress
            | Self::Decode { .. }
            | Self::Redirected { .. }
            | Self::TooLarge { .. } => return None,
        })
    }

    /// What to do when the server allows the operation only with the app's CloudCode key (3054, 2011,
    /// 3122): [`CLOUDCODE_KEY_NEEDED`]; `None` for every other error.
    pub fn cloudcode_key_hint(&self) -> Option<&'static str> {
        self.code()
            .is_some_and(codes::needs_cloudcode_key)
            .then_some(CLOUDCODE_KEY_NEEDED)
    }

    /// Whether the server refuses sign-ups: 3009, or HTTP 403 from `users/register` with another or no code
    /// (Backendless answers "User registration is denied for this version of application" with 403).
    pub fn is_registration_closed(&self) -> bool {
        matches!(
            self,
            Self::RegistrationDisabled { .. }
                | Self::Other { status: 403, .. }
                | Self::HttpStatus { status: 403, .. }
        )
    }

    /// Whether the user-token no longer works (3028, 3048, 3064, 3091): log in again, keep the edits, retry.
    pub fn is_session_ending(&self) -> bool {
        self.code().is_some_and(codes::is_session_ending)
    }

    /// Whether the connection settings are wrong (2002, or nothing answers the API at the address): shown
    /// at the connection picker as well.
    pub fn is_about_connection(&self) -> bool {
        matches!(self, Self::BadAppKeys { .. } | Self::NoApiAtAddress)
            || matches!(self, Self::HttpStatus { status: 404, .. })
    }

    /// Whether trying the same request again may succeed: network failures, timeouts and server faults.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Timeout => true,
            Self::HttpStatus { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            Self::Other { status, code, .. } => *status >= 500 || *code == 999,
            _ => false,
        }
    }

    /// The server's own message, for a banner or the log; `None` where the server said nothing.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            with_message!(message) => Some(message),
            Self::InvalidCredentials
            | Self::EmptyCredentials
            | Self::NotLoggedIn
            | Self::Unreachable { .. }
            | Self::Timeout
            | Self::HttpStatus { .. }
            | Self::NoApiAtAddress
            | Self::Decode { .. }
            | Self::Redirected { .. }
            | Self::TooLarge { .. } => None,
        }
    }

    /// The fields this error concerns, sorted; empty means "show it as a banner".
    ///
    /// 3018/3033/3040/3013: the identity property. 3045: every required property `sent` left null or empty.
    /// 3031/3010: every sent property the schema does not have. 3024/3012: the property the message names.
    /// 3011: `password`.
    pub fn fields(&self, schema: &Schema, sent: &Changeset) -> Vec<String> {
        let identity = || {
            vec![
                schema
                    .identity()
                    .map_or_else(|| "email".to_owned(), |p| p.name.clone()),
            ]
        };
        let mut fields = match self {
            Self::IdentityTaken { .. }
            | Self::AlreadyRegistered { .. }
            | Self::InvalidEmail { .. }
            | Self::MissingIdentity { .. }
            | Self::UnknownIdentity { .. } => identity(),
            Self::MissingPassword { .. } => vec![PASSWORD.to_owned()],
            Self::RequiredPropertyEmpty { message } => {
                let emptied: Vec<String> = sent
                    .keys()
                    .filter(|k| *k == PASSWORD || schema.get(k).is_some_and(|p| p.required))
                    .filter(|k| sent.get(k).is_some_and(is_empty))
                    .map(str::to_owned)
                    .collect();
                if emptied.is_empty() {
                    named_in(message, schema, sent)
                } else {
                    emptied
                }
            }
            Self::DynamicPropertiesDisabled { message }
            | Self::RegistrationUnknownProperty { message } => {
                let unknown: Vec<String> = sent
                    .keys()
                    .filter(|k| *k != PASSWORD && !is_system(k) && schema.get(k).is_none())
                    .map(str::to_owned)
                    .collect();
                if unknown.is_empty() {
                    named_in(message, schema, sent)
                } else {
                    unknown
                }
            }
            Self::UpdateFailed { message, property }
            | Self::RegistrationFailed { message, property }
            | Self::MissingRequiredProperty { message, property } => match property {
                Some(p) => vec![p.clone()],
                None => named_in(message, schema, sent),
            },
            _ => Vec::new(),
        };
        fields.sort();
        fields.dedup();
        fields
    }

    /// This error with every occurrence of `secret` in its texts replaced, so that a server message that
    /// echoes a user-token (3064 does) never reaches a log or the screen.
    pub(crate) fn redacted(mut self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let scrub = |s: &mut String| {
            if s.contains(secret) {
                *s = s.replace(secret, "…redacted");
            }
        };
        match &mut self {
            Self::Unreachable { detail } | Self::Decode { detail } => scrub(detail),
            Self::HttpStatus { snippet, .. } => scrub(snippet),
            _ => {}
        }
        if let Some(message) = self.message_mut() {
            scrub(message);
        }
        self
    }

    fn message_mut(&mut self) -> Option<&mut String> {
        match self {
            with_message!(message) => Some(message),
            _ => None,
        }
    }
}

fn is_empty(v: &serde_json::Value) -> bool {
    v.is_null() || v.as_str().is_some_and(str::is_empty)
}

/// Names in single or double quotes in a server message, in order: `property 'age' must be ...` → `age`.
fn quoted_names(message: &str) -> Vec<String> {
    let mut names = Vec::new();
    for quote in ['\'', '"'] {
        let parts: Vec<&str> = message.split(quote).collect();
        // Odd parts are inside quotes; a last odd part has no closing quote and is not.
        for (i, inside) in parts.iter().enumerate() {
            let is_name = i % 2 == 1
                && i + 1 < parts.len()
                && !inside.is_empty()
                && inside.len() <= 64
                && inside
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            if is_name {
                names.push((*inside).to_owned());
            }
        }
    }
    names
}

/// Properties (sent or described) that a server message names, quoted or as whole words.
fn named_in(message: &str, schema: &Schema, sent: &Changeset) -> Vec<String> {
    let known = |name: &str| sent.get(name).is_some() || schema.get(name).is_some();
    let mut names: Vec<String> = quoted_names(message)
        .into_iter()
        .filter(|n| known(n))
        .collect();
    if names.is_empty() {
        let words: Vec<&str> = message
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        names = sent
            .keys()
            .filter(|k| words.contains(k))
            .map(str::to_owned)
            .collect();
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backendless::wire::PropertyDescriptor;
    use crate::model::{UserRecord, diff};
    use serde_json::json;

    const MAPPED: &[i64] = &[
        codes::ENTITY_NOT_FOUND,
        codes::INVALID_OFFSET,
        codes::INVALID_PAGE_SIZE,
        codes::REGISTRATION_FAILED,
        codes::UNKNOWN_PROPERTY_IN_QUERY,
        codes::NO_PERMISSION_TO_FIND,
        codes::INVALID_WHERE,
        codes::BAD_APP_KEYS,
        codes::LOGIN_DISABLED,
        codes::SECOND_LOGIN_BLOCKED,
        codes::INVALID_CREDENTIALS,
        codes::EMPTY_CREDENTIALS,
        codes::REGISTRATION_DISABLED,
        codes::REGISTRATION_UNKNOWN_PROPERTY,
        codes::REGISTRATION_MISSING_PASSWORD,
        codes::REGISTRATION_MISSING_PROPERTY,
        codes::REGISTRATION_MISSING_IDENTITY,
        codes::IDENTITY_TAKEN,
        codes::UPDATE_FAILED,
        codes::NOT_LOGGED_IN,
        codes::NOT_YOUR_RECORD,
        codes::USER_NOT_FOUND,
        codes::DYNAMIC_PROPERTIES_DISABLED,
        codes::REGISTRATION_IDENTITY_TAKEN,
        codes::ACCOUNT_LOCKED,
        codes::INVALID_EMAIL,
        codes::TOO_MANY_SESSIONS,
        codes::REQUIRED_PROPERTY_EMPTY,
        codes::SESSION_TIMEOUT,
        codes::NOT_EXISTING_USER_TOKEN,
        codes::ACCOUNT_DISABLED,
        codes::SESSION_TIMEOUT_2,
        codes::UNPARSABLE_REQUEST,
        codes::UNKNOWN_IDENTITY,
        codes::MAIL_NOT_CONFIGURED,
        codes::ONLY_FOR_BL_LOGIC,
        codes::ROLE_CHANGE_NEEDS_SERVER_KEY,
        codes::PASSWORD_CHECK_NEEDS_SERVER_KEY,
        codes::ROLE_NOT_FOUND,
        codes::BUILT_IN_ROLE_ASSIGN,
        codes::BUILT_IN_ROLE_UNASSIGN,
    ];

    #[test]
    fn every_mapped_code_is_named_and_round_trips() {
        for &code in MAPPED {
            let error = ApiError::from_fault(400, Fault::new(code, "m"));
            assert!(
                !matches!(error, ApiError::Other { .. }),
                "{code} is not mapped"
            );
            assert_eq!(error.code(), Some(code), "{error:?}");
            let sentence = error.to_string();
            assert!(
                sentence.ends_with('.') || sentence.ends_with(": m"),
                "{code}: {sentence}"
            );
        }
    }

    #[test]
    fn unknown_code_keeps_number_message_and_status() {
        let error = ApiError::from_fault(418, Fault::new(4242, "teapot"));
        assert_eq!(
            error,
            ApiError::Other {
                code: 4242,
                message: "teapot".into(),
                status: 418
            }
        );
        assert_eq!(error.code(), Some(4242));
        assert_eq!(error.server_message(), Some("teapot"));
        assert!(error.to_string().contains("4242") && error.to_string().contains("teapot"));
    }

    #[test]
    fn session_ending_codes_are_recognised() {
        for code in [3028, 3048, 3064, 3091] {
            assert!(
                ApiError::from_fault(401, Fault::new(code, "x")).is_session_ending(),
                "{code}"
            );
        }
        for code in [3003, 3029, 3090, 2002] {
            assert!(
                !ApiError::from_fault(400, Fault::new(code, "x")).is_session_ending(),
                "{code}"
            );
        }
    }

    #[test]
    fn retryable_means_network_timeout_or_server_fault() {
        assert!(ApiError::Timeout.is_retryable());
        assert!(
            ApiError::Unreachable {
                detail: "refused".into()
            }
            .is_retryable()
        );
        assert!(
            ApiError::HttpStatus {
                status: 502,
                snippet: "<html>".into()
            }
            .is_retryable()
        );
        assert!(ApiError::from_fault(500, Fault::new(9999, "boom")).is_retryable());
        assert!(!ApiError::from_fault(400, Fault::new(3024, "bad")).is_retryable());
        assert!(!ApiError::Decode { detail: "x".into() }.is_retryable());
    }

    fn schema() -> Schema {
        let d = |name: &str, ty: &str, required: bool, identity: bool| PropertyDescriptor {
            name: name.into(),
            required,
            data_type: ty.into(),
            default_value: json!(null),
            identity: Some(identity),
            related_table: None,
            custom_regex: None,
            auto_load: None,
            is_primary_key: None,
        };
        Schema::from_descriptors(vec![
            d("email", "STRING", true, true),
            d("name", "STRING", true, false),
            d("age", "INT", false, false),
            d("phoneNumber", "STRING", false, false),
        ])
    }

    fn sent(changes: serde_json::Value) -> Changeset {
        let original =
            UserRecord::from_json(serde_json::from_value(json!({"objectId": "A"})).unwrap())
                .unwrap();
        let mut edited = original.clone();
        for (k, v) in changes.as_object().unwrap() {
            edited.set(k, v.clone());
        }
        diff(&original, &edited, &schema())
    }

    #[test]
    fn fields_point_at_the_properties_concerned() {
        let schema = schema();
        let taken = ApiError::from_fault(409, Fault::new(3018, "taken"));
        assert_eq!(
            taken.fields(&schema, &sent(json!({"email": "b@x.io"}))),
            ["email"]
        );

        let emptied = ApiError::from_fault(400, Fault::new(3045, "required properties are empty"));
        let body = sent(json!({"name": "", "email": "e@x.io", "age": null, "phoneNumber": ""}));
        assert_eq!(emptied.fields(&schema, &body), ["name"]);

        let dynamic =
            ApiError::from_fault(400, Fault::new(3031, "Dynamic properties are disabled"));
        let body = sent(json!({"color": "red", "age": 3, "size": 2}));
        assert_eq!(dynamic.fields(&schema, &body), ["color", "size"]);

        let typed = ApiError::from_fault(
            400,
            Fault::new(
                3024,
                "Unable to update: property 'age' must be a whole number",
            ),
        );
        assert_eq!(
            typed,
            ApiError::UpdateFailed {
                message: typed.server_message().unwrap().into(),
                property: Some("age".into())
            }
        );
        assert_eq!(typed.fields(&schema, &sent(json!({"age": "x"}))), ["age"]);

        let unquoted = ApiError::from_fault(
            400,
            Fault::new(3024, "Invalid date format for property age"),
        );
        assert_eq!(
            unquoted.fields(&schema, &sent(json!({"age": "x"}))),
            ["age"]
        );

        let banner = ApiError::from_fault(403, Fault::new(3029, "not yours"));
        assert!(banner.fields(&schema, &sent(json!({"age": 1}))).is_empty());
    }

    #[test]
    fn a_404_says_what_to_check_and_never_echoes_the_path() {
        // What a server says for a path it does not serve: the path holds the key when the whole
        // key-in-path URL was typed as the server address.
        let key = "D3A0C0DE-0000-4000-8000-000000000002";
        let echoed = format!("No operation POST \"/APP/{key}/api/users/login\" in this server");
        let error = ApiError::from_fault(404, Fault::new(404, &echoed));
        assert_eq!(error, ApiError::NoApiAtAddress);
        let shown = error.to_string();
        assert_eq!(shown, NO_API_HERE);
        assert!(
            shown.contains("Server URL") && shown.contains("own fields"),
            "{shown}"
        );
        assert!(!shown.contains(key) && error.server_message().is_none());
        assert!(error.is_about_connection() && !error.is_retryable());

        // The same for a 404 page that is not a Backendless error at all.
        let page = ApiError::HttpStatus {
            status: 404,
            snippet: format!("<html>Cannot POST /APP/{key}/api/users/login</html>"),
        };
        assert_eq!(page.to_string(), NO_API_HERE);
        assert!(page.is_about_connection());
        // Other statuses keep their plain sentence; known codes keep their meaning under a 404.
        let bad_gateway = ApiError::HttpStatus {
            status: 502,
            snippet: "x".into(),
        };
        assert!(bad_gateway.to_string().contains("HTTP 502"));
        assert!(matches!(
            ApiError::from_fault(404, Fault::new(1000, "no such entity")),
            ApiError::EntityNotFound { .. }
        ));
    }

    #[test]
    fn echoed_tokens_are_redacted() {
        let error = ApiError::from_fault(
            401,
            Fault::new(3064, "Not existing user token - ABC123. Relogin user"),
        );
        let error = error.redacted("ABC123");
        assert_eq!(
            error.server_message(),
            Some("Not existing user token - …redacted. Relogin user")
        );
    }

    #[test]
    fn operations_for_server_code_ask_for_the_cloudcode_key() {
        for (code, message) in [
            (3054, "Operation allowed only for BL logic."),
            (2011, "Role assignment allowed only from server code"),
            (3122, "Password verification allowed only from CloudCode"),
        ] {
            let error = ApiError::from_fault(400, Fault::new(code, message));
            assert_eq!(
                error.cloudcode_key_hint(),
                Some(CLOUDCODE_KEY_NEEDED),
                "{code}"
            );
        }
        for code in [3003, 3064, 2002, 3029] {
            let error = ApiError::from_fault(400, Fault::new(code, "x"));
            assert_eq!(error.cloudcode_key_hint(), None, "{code}");
        }
        assert_eq!(ApiError::Timeout.cloudcode_key_hint(), None);
    }

    #[test]
    fn registration_closed_is_3009_or_a_403() {
        assert!(ApiError::from_fault(403, Fault::new(3009, "denied")).is_registration_closed());
        assert!(
            ApiError::from_fault(403, Fault::new(4242, "User registration is denied"))
                .is_registration_closed()
        );
        let page = ApiError::HttpStatus {
            status: 403,
            snippet: "Forbidden".into(),
        };
        assert!(page.is_registration_closed());
        assert!(
            !ApiError::from_fault(400, Fault::new(3011, "no password")).is_registration_closed()
        );
    }

    #[test]
    fn account_and_admin_codes_say_what_to_do() {
        for (code, what) in [
            (3054, "Enabling or disabling"),
            (2011, "roles"),
            (3122, "password"),
        ] {
            let shown = ApiError::from_fault(400, Fault::new(code, "x")).to_string();
            assert!(
                shown.contains(what) && shown.contains("Connection → CloudCode key"),
                "{code}: {shown}"
            );
        }
        let unknown = ApiError::from_fault(400, Fault::new(3020, "User not found"));
        assert_eq!(unknown.fields(&schema(), &Changeset::default()), ["email"]);
        for code in [2007, 2008] {
            let error = ApiError::from_fault(400, Fault::new(code, "built-in"));
            assert!(matches!(error, ApiError::BuiltInRole { .. }), "{code}");
            assert_eq!(error.code(), Some(code));
        }
        assert!(
            ApiError::from_fault(400, Fault::new(2005, "Role not found"))
                .to_string()
                .contains("no role with that name")
        );
    }
}
