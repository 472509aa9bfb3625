//! `ApiError`: the one error type of the client. Every known Backendless code becomes a named variant.
//!
//! One table (the `fault_table!` invocation below) lists the named variants with their codes and field placement; the enum,
//! [`ApiError::from_fault`] (the only place that turns codes into variants), [`ApiError::code`] (its inverse),
//! the server message and [`ApiError::fields`] all come from it. Every variant made from a server answer
//! keeps its HTTP status ([`ApiError::http_status`]). Display is a sentence a user can act on; the server's
//! message is kept for logs and banners. Does no I/O.

use super::codes;
use super::wire::Fault;
use crate::model::Changeset;
use crate::model::schema::{PASSWORD, Schema, is_system};

/// The plain message for an operation the server allows only with the app's CloudCode key.
pub const CLOUDCODE_KEY_NEEDED: &str =
    "This needs the app's CloudCode key: add it to the connection (Connection → CloudCode key)";

/// Builds [`ApiError`] from the one table of named Backendless codes. A row reads
///
/// ```text
/// Variant { field: Type, … } = [CODE | CODE …] => Placement,
/// ```
///
/// with the codes named as in `codes.rs`. Every row's variant also gets `status: u16`, the HTTP status the
/// server answered. A field's type says what it holds ([`FaultPart`]): `i64` the code (a row with several
/// codes needs it to keep which one), `String` the server's message, `Option<String>` the property the
/// message quotes. The placement tells [`ApiError::fields`] which inputs to outline. The variants after `;`
/// are not Backendless codes and are copied into the enum as written. Adding a code is adding a row (and its
/// const in `codes.rs`); a code in two rows is an unreachable pattern (an error under `-D warnings`), and the
/// table test walks every row.
macro_rules! fault_table {
    (
        $(#[$enum_attr:meta])*
        pub enum $Enum:ident {
            $(
                $(#[$($row_attr:tt)*])*
                $Variant:ident { $($field:ident: $ty:ty),* $(,)? }
                    = [$first:ident $(| $more:ident)*] => $placement:ident,
            )*
            ;
            $($others:tt)*
        }
    ) => {
        $(#[$enum_attr])*
        pub enum $Enum {
            $(
                $(#[$($row_attr)*])*
                $Variant {
                    /// The HTTP status the server answered with this code.
                    status: u16,
                    $($field: $ty),*
                },
            )*
            $($others)*
        }

        /// Every row of the table: the variant's name and the codes it stands for.
        #[cfg(test)]
        const TABLE: &[(&str, &[i64])] = &[$((stringify!($Variant), &[codes::$first $(, codes::$more)*])),*];

        impl $Enum {
            /// The variant of the table row that has `code`, or `None` for a code no row names.
            fn from_table(status: u16, code: i64, message: &str) -> Option<Self> {
                Some(match code {
                    $(
                        codes::$first $(| codes::$more)* => Self::$Variant {
                            status,
                            $($field: <$ty as FaultPart>::from_fault(code, message)),*
                        },
                    )*
                    _ => return None,
                })
            }

            /// What a table variant holds; `None` for the variants after the table.
            fn row(&self) -> Option<Row<'_>> {
                match self {
                    $(
                        Self::$Variant { status, $($field),* } => {
                            let row = Row {
                                code: codes::$first,
                                status: *status,
                                message: None,
                                property: None,
                                placement: Placement::$placement,
                            };
                            $(let row = FaultPart::show($field, row);)*
                            Some(row)
                        }
                    )*
                    _ => None,
                }
            }

            /// The server's message of a table variant, to scrub it; `None` where the row keeps none.
            fn row_message_mut(&mut self) -> Option<&mut String> {
                match self {
                    $(
                        Self::$Variant { $($field,)* .. } => {
                            None$(.or(FaultPart::message_mut($field)))*
                        }
                    )*
                    _ => None,
                }
            }
        }
    };
}

fault_table! {
    /// Everything that can go wrong talking to a Backendless server.
    #[derive(Debug, Clone, PartialEq, thiserror::Error)]
    pub enum ApiError {
        /// Backendless 2002: wrong application id or API key, or the app is disabled.
        #[error("The application id or API key is wrong, or the application is disabled. Check the connection settings.")]
        BadAppKeys { message: String } = [BAD_APP_KEYS] => Banner,
        /// Backendless 3003: wrong login or password (the server does not say which).
        #[error("Wrong email or password.")]
        InvalidCredentials {} = [INVALID_CREDENTIALS] => Banner,
        /// Backendless 3006: login or password empty.
        #[error("Enter both your email and your password.")]
        EmptyCredentials {} = [EMPTY_CREDENTIALS] => Banner,
        /// Backendless 3036: too many failed logins.
        #[error("This account is locked after too many failed logins. Wait a while, then try again.")]
        AccountLocked { message: String } = [ACCOUNT_LOCKED] => Banner,
        /// Backendless 3090: the account is disabled.
        #[error("This account is disabled. Ask the application's administrator to enable it.")]
        AccountDisabled { message: String } = [ACCOUNT_DISABLED] => Banner,
        /// Backendless 3000: login is disabled for this account.
        #[error("Logging in is disabled for this account. Ask the application's administrator.")]
        LoginDisabled { message: String } = [LOGIN_DISABLED] => Banner,
        /// Backendless 3002 / 3044: the account already has the allowed number of sessions.
        #[error("This account is already logged in elsewhere. Log out there, then try again.")]
        TooManySessions { code: i64, message: String } = [SECOND_LOGIN_BLOCKED | TOO_MANY_SESSIONS] => Banner,
        /// Backendless 3028: no `user-token` where one is needed.
        #[error("You are not logged in. Log in again to continue.")]
        NotLoggedIn {} = [NOT_LOGGED_IN] => Banner,
        /// Backendless 3048, 3064, 3091: the user-token is unknown, logged out or timed out.
        #[error("Your session has ended. Log in again to continue; your changes are kept.")]
        SessionExpired { code: i64, message: String }
            = [SESSION_TIMEOUT | NOT_EXISTING_USER_TOKEN | SESSION_TIMEOUT_2] => Banner,
        /// Backendless 3029: a non-admin tried to change someone else's record.
        #[error("You can change only your own record unless you are an administrator.")]
        NotYourRecord { message: String } = [NOT_YOUR_RECORD] => Banner,
        /// Backendless 3030: the user to update does not exist (the editor only updates one's own record: the
        /// account was deleted).
        #[error("Your account no longer exists on the server, so nothing can be saved to it. Your changes are kept here: export them to keep a copy.")]
        UserNotFound { message: String } = [USER_NOT_FOUND] => Banner,
        /// Backendless 3031: new properties sent while dynamic schema is off.
        #[error("The server does not accept new properties. Remove them, or add the columns in the Backendless console.")]
        DynamicPropertiesDisabled { message: String } = [DYNAMIC_PROPERTIES_DISABLED] => UnknownSent,
        /// Backendless 3045: a required property was set to null or empty.
        #[error("A required property cannot be empty. Fill it in or revert it.")]
        RequiredPropertyEmpty { message: String } = [REQUIRED_PROPERTY_EMPTY] => EmptiedRequired,
        /// Backendless 3018: the identity is already used by another user.
        #[error("That email is already used by another account.")]
        IdentityTaken { message: String } = [IDENTITY_TAKEN] => Identity,
        /// Backendless 3024: any other update failure; the message names the property when it can.
        #[error("The server refused the change: {message}")]
        UpdateFailed { message: String, property: Option<String> } = [UPDATE_FAILED] => NamedProperty,
        /// Backendless 3009: registration is disabled.
        #[error("Registration of new users is disabled for this application.")]
        RegistrationDisabled { message: String } = [REGISTRATION_DISABLED] => Banner,
        /// Backendless 3010: registration names a property that is not a column while dynamic schema is off.
        #[error("The server does not accept new properties at registration: {message}")]
        RegistrationUnknownProperty { message: String } = [REGISTRATION_UNKNOWN_PROPERTY] => UnknownSent,
        /// Backendless 3011: registration without a password.
        #[error("Enter a password.")]
        MissingPassword { message: String } = [REGISTRATION_MISSING_PASSWORD] => Password,
        /// Backendless 3012: registration without a required property.
        #[error("A required property is missing: {message}")]
        MissingRequiredProperty { message: String, property: Option<String> }
            = [REGISTRATION_MISSING_PROPERTY] => NamedProperty,
        /// Backendless 3013: registration without the identity.
        #[error("Enter an email address.")]
        MissingIdentity { message: String } = [REGISTRATION_MISSING_IDENTITY] => Identity,
        /// Backendless 3021: any other registration failure; the message names the property when it can.
        #[error("Registration failed: {message}")]
        RegistrationFailed { message: String, property: Option<String> } = [REGISTRATION_FAILED] => NamedProperty,
        /// Backendless 3033: registration with an identity that already exists.
        #[error("An account with that email already exists. Log in instead.")]
        AlreadyRegistered { message: String } = [REGISTRATION_IDENTITY_TAKEN] => Identity,
        /// Backendless 3040: a malformed email address.
        #[error("That is not a valid email address.")]
        InvalidEmail { message: String } = [INVALID_EMAIL] => Identity,
        /// Backendless 3020: restore password for an identity no account has.
        #[error("No account is registered under that name. Check what you typed.")]
        UnknownIdentity { message: String } = [UNKNOWN_IDENTITY] => Identity,
        /// Backendless 5050: the server cannot send mail (its email settings are not configured).
        #[error("The server cannot send mail (the application's email settings are not configured), so no mail was sent. Ask the application's administrator.")]
        MailNotConfigured { message: String } = [MAIL_NOT_CONFIGURED] => Banner,
        /// Backendless 3054: enabling or disabling a user needs the app's CloudCode key.
        #[error("Enabling or disabling a user is allowed only with the app's CloudCode key. Add it to the connection (Connection → CloudCode key).")]
        StatusChangeNeedsCloudCodeKey { message: String } = [ONLY_FOR_BL_LOGIC] => Banner,
        /// Backendless 2011: assigning or unassigning a role needs the app's CloudCode key.
        #[error("Changing a user's roles is allowed only with the app's CloudCode key. Add it to the connection (Connection → CloudCode key).")]
        RoleChangeNeedsCloudCodeKey { message: String } = [ROLE_CHANGE_NEEDS_SERVER_KEY] => Banner,
        /// Backendless 3122: checking a password (`users/verifypassowrd`) needs the app's CloudCode key.
        #[error("Checking a password on the server is allowed only with the app's CloudCode key. Add it to the connection (Connection → CloudCode key).")]
        PasswordCheckNeedsCloudCodeKey { message: String } = [PASSWORD_CHECK_NEEDS_SERVER_KEY] => Banner,
        /// Backendless 2005: the role does not exist.
        #[error("There is no role with that name. Create it in the Backendless console first, or check the spelling.")]
        RoleNotFound { message: String } = [ROLE_NOT_FOUND] => Banner,
        /// Backendless 2007 / 2008: a built-in role is assigned or unassigned.
        #[error("Built-in roles (such as AuthenticatedUser or RestUser) are given by the server and cannot be assigned or removed. Choose a role of your own.")]
        BuiltInRole { code: i64, message: String } = [BUILT_IN_ROLE_ASSIGN | BUILT_IN_ROLE_UNASSIGN] => Banner,
        /// Backendless 1017: the where clause is not valid.
        #[error("The filter is not valid: {message}")]
        InvalidWhere { message: String } = [INVALID_WHERE] => Banner,
        /// Backendless 1006: `props`, `sortBy` or `where` names a property that does not exist.
        #[error("The query names a property that does not exist: {message}")]
        UnknownProperty { message: String } = [UNKNOWN_PROPERTY_IN_QUERY] => Banner,
        /// Backendless 1005: invalid page size.
        #[error("The page size is not valid: {message}")]
        InvalidPageSize { message: String } = [INVALID_PAGE_SIZE] => Banner,
        /// Backendless 1004: invalid paging offset.
        #[error("The page offset is not valid: {message}")]
        InvalidOffset { message: String } = [INVALID_OFFSET] => Banner,
        /// Backendless 1013: no permission to read these records.
        #[error("You do not have permission to read these records.")]
        NoPermission { message: String } = [NO_PERMISSION_TO_FIND] => Banner,
        /// Backendless 1000: no record with that id.
        #[error("No record with that id exists. Reload to see the current records.")]
        EntityNotFound { message: String } = [ENTITY_NOT_FOUND] => Banner,
        /// Backendless 8002: the server could not parse the request.
        #[error("The server could not read the request: {message}")]
        MalformedRequest { message: String } = [UNPARSABLE_REQUEST] => Banner,
        ;
        /// Any other Backendless error, kept with its code, message and HTTP status.
        #[error("The server refused the request (Backendless error {code}): {message}")]
        Other {
            code: i64,
            message: String,
            status: u16,
        },
        /// Made from 1013 ([`ApiError::NoPermission`]) by the re-read of ONE user's record before it is
        /// edited or saved (`profile::checked_save::one_record_read`): the logged-in user may no longer read
        /// that record. The server's text (about a table) is dropped; it is logged where it is made.
        #[error(
            "You may no longer read this user's record (Backendless error 1013): the account you are logged in with has lost the permission, for example its Admin role was removed. Ask an administrator, then log in again."
        )]
        RecordNotReadable { status: u16 },
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
        /// Sent, before anything is sent, when a value that goes into the request path (an identity, a role
        /// name) is empty, `.` or `..`, holds a control character or is too long: it cannot be sent as itself.
        #[error(
            "This value cannot be sent to the server: it is empty, '.' or '..', too long, or holds a control character."
        )]
        UnsendablePathSegment,
    }
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

/// Which inputs [`ApiError::fields`] outlines for a table row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// None: the error is shown as a banner.
    Banner,
    /// The identity property (`email` unless the schema names another).
    Identity,
    /// The password.
    Password,
    /// Every required property the request left null or empty; else those the message names.
    EmptiedRequired,
    /// Every sent property the schema does not have; else those the message names.
    UnknownSent,
    /// The property the message quotes; else those it names.
    NamedProperty,
}

/// What a table variant holds, read through the one match the table builds (`ApiError::row`).
#[derive(Debug, Clone, Copy)]
struct Row<'a> {
    /// The Backendless code: the row's code, or the one kept in its `code` field.
    code: i64,
    /// The HTTP status the server answered.
    status: u16,
    /// The server's message, where the row keeps it.
    message: Option<&'a str>,
    /// The property the message quotes, where the row looks for one.
    property: Option<&'a str>,
    /// Which inputs the error concerns.
    placement: Placement,
}

/// A field of a table row, filled from the fault and read back according to its type.
trait FaultPart {
    /// The field's value for a fault with `code` and `message`.
    fn from_fault(code: i64, message: &str) -> Self;
    /// `row` with this field in it.
    fn show<'a>(&'a self, row: Row<'a>) -> Row<'a>;
    /// The server's message, if this field is it.
    fn message_mut(&mut self) -> Option<&mut String> {
        None
    }
}

/// `i64`: the code, for rows that stand for several.
impl FaultPart for i64 {
    fn from_fault(code: i64, _message: &str) -> Self {
        code
    }
    fn show<'a>(&'a self, row: Row<'a>) -> Row<'a> {
        Row { code: *self, ..row }
    }
}

/// `String`: the server's message.
impl FaultPart for String {
    fn from_fault(_code: i64, message: &str) -> Self {
        message.to_owned()
    }
    fn show<'a>(&'a self, row: Row<'a>) -> Row<'a> {
        Row {
            message: Some(self),
            ..row
        }
    }
    fn message_mut(&mut self) -> Option<&mut String> {
        Some(self)
    }
}

/// `Option<String>`: the first property the message quotes.
impl FaultPart for Option<String> {
    fn from_fault(_code: i64, message: &str) -> Self {
        quoted_names(message).into_iter().next()
    }
    fn show<'a>(&'a self, row: Row<'a>) -> Row<'a> {
        Row {
            property: self.as_deref(),
            ..row
        }
    }
}

impl ApiError {
    /// Maps a Backendless error body to its variant: the only code → variant place. The variant keeps
    /// `status`.
    pub fn from_fault(status: u16, fault: Fault) -> Self {
        let Fault { code, message, .. } = fault;
        match Self::from_table(status, code, &message) {
            Some(named) => named,
            None if status == 404 => Self::NoApiAtAddress,
            None => Self::Other {
                code,
                message,
                status,
            },
        }
    }

    /// The Backendless code of this error; `None` for transport and decoding failures.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Other { code, .. } => Some(*code),
            Self::RecordNotReadable { .. } => Some(codes::NO_PERMISSION_TO_FIND),
            _ => self.row().map(|row| row.code),
        }
    }

    /// The HTTP status the server answered with; `None` where no answer (or no status) came.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Other { status, .. }
            | Self::HttpStatus { status, .. }
            | Self::Redirected { status, .. }
            | Self::RecordNotReadable { status } => Some(*status),
            // Made only from a 404 (see `from_fault` and the client).
            Self::NoApiAtAddress => Some(404),
            _ => self.row().map(|row| row.status),
        }
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
            Self::Other { message, .. } => Some(message),
            _ => self.row().and_then(|row| row.message),
        }
    }

    /// The fields this error concerns, sorted; empty means "show it as a banner".
    ///
    /// 3018/3033/3040/3013/3020: the identity property. 3045: every required property `sent` left null or
    /// empty. 3031/3010: every sent property the schema does not have. 3024/3012/3021: the property the
    /// message names. 3011: `password`.
    pub fn fields(&self, schema: &Schema, sent: &Changeset) -> Vec<String> {
        let Some(row) = self.row() else {
            return Vec::new();
        };
        let message = row.message.unwrap_or_default();
        let mut fields = match row.placement {
            Placement::Banner => Vec::new(),
            Placement::Identity => vec![
                schema
                    .identity()
                    .map_or_else(|| "email".to_owned(), |p| p.name.to_string()),
            ],
            Placement::Password => vec![PASSWORD.to_owned()],
            Placement::EmptiedRequired => {
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
            Placement::UnknownSent => {
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
            Placement::NamedProperty => match row.property {
                Some(p) => vec![p.to_owned()],
                None => named_in(message, schema, sent),
            },
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
            Self::Other { message, .. } => Some(message),
            _ => self.row_message_mut(),
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

    /// HTTP statuses the table test answers with, in turn: the usual ones and some no row would expect.
    const STATUSES: [u16; 8] = [400, 401, 403, 404, 409, 418, 500, 503];

    // Issue 14: one table drives every code's variant, code, status, message and fields.
    #[test]
    fn every_table_row_round_trips_its_code_and_keeps_the_status() {
        let mut answered = 0;
        for (row, (variant, row_codes)) in TABLE.iter().enumerate() {
            assert!(!row_codes.is_empty(), "{variant} has no code");
            for (i, &code) in row_codes.iter().enumerate() {
                let status = STATUSES[(row + i) % STATUSES.len()];
                let error = ApiError::from_fault(status, Fault::new(code, "m"));
                let shown = format!("{error:?}");
                assert!(
                    shown.starts_with(&format!("{variant} {{")),
                    "{code} became {shown}, not {variant}"
                );
                assert_eq!(error.code(), Some(code), "{shown}");
                assert_eq!(error.http_status(), Some(status), "{shown}");
                let sentence = error.to_string();
                assert!(
                    sentence.ends_with('.') || sentence.ends_with(": m"),
                    "{code}: {sentence}"
                );
                // The server's message, where the row keeps one, is the one sent and is scrubbed.
                if let Some(message) = error.server_message() {
                    assert_eq!(message, "m", "{shown}");
                    let scrubbed = error.clone().redacted("m");
                    assert_eq!(scrubbed.server_message(), Some("…redacted"), "{shown}");
                    assert_eq!(scrubbed.http_status(), Some(status), "{shown}");
                }
                answered += 1;
            }
        }
        // The groups `codes.rs` keeps are all named.
        let named = |code: i64| TABLE.iter().any(|(_, row_codes)| row_codes.contains(&code));
        assert!(codes::SESSION_ENDING.into_iter().all(named));
        assert!(codes::NEEDS_CLOUDCODE_KEY.into_iter().all(named));
        assert!(answered > TABLE.len(), "rows with several codes are walked");
    }

    // Issue 14: a named variant kept no status, so an unusual one was lost.
    #[test]
    fn a_named_variant_keeps_an_unusual_status() {
        let expired = ApiError::from_fault(400, Fault::new(3064, "Not existing user token"));
        assert_eq!(
            expired,
            ApiError::SessionExpired {
                status: 400,
                code: 3064,
                message: "Not existing user token".into()
            }
        );
        assert_eq!(expired.http_status(), Some(400));
        assert!(expired.is_session_ending());

        let wrong = ApiError::from_fault(403, Fault::new(3003, "Invalid login or password"));
        assert_eq!(wrong, ApiError::InvalidCredentials { status: 403 });
        assert_eq!(wrong.http_status(), Some(403));
        assert_eq!(wrong.server_message(), None);

        // Errors without an answer have no status; the others keep theirs.
        assert_eq!(ApiError::Timeout.http_status(), None);
        assert_eq!(ApiError::Decode { detail: "x".into() }.http_status(), None);
        let page = ApiError::HttpStatus {
            status: 502,
            snippet: "<html>".into(),
        };
        assert_eq!(page.http_status(), Some(502));
        let unknown = ApiError::from_fault(404, Fault::new(4242, "No operation"));
        assert_eq!(unknown.http_status(), Some(404));
        assert_eq!(
            ApiError::from_fault(418, Fault::new(4242, "teapot")).http_status(),
            Some(418)
        );
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
                status: 400,
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
