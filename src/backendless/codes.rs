//! The single table of Backendless error codes this program knows, as named constants.
//!
//! Shared by the client (whose one table in `error.rs` maps codes to `ApiError` variants) and the emulator
//! (which emits them).
//! Numbers and meanings follow the Backendless error-code table; see `shared/reference/backendless-api.md`.

/// Entity with the given id not found.
pub const ENTITY_NOT_FOUND: i64 = 1000;
/// Invalid offset for paging.
pub const INVALID_OFFSET: i64 = 1004;
/// Invalid page size (not a number, or below 1).
pub const INVALID_PAGE_SIZE: i64 = 1005;
/// The query references properties the table does not have (`props`, `sortBy`, `where`).
pub const UNKNOWN_PROPERTY_IN_QUERY: i64 = 1006;
/// No permission to find (read) objects.
pub const NO_PERMISSION_TO_FIND: i64 = 1013;
/// Invalid `where` clause.
pub const INVALID_WHERE: i64 = 1017;
/// Wrong application id or API key, or the app version is disabled.
pub const BAD_APP_KEYS: i64 = 2002;
/// The role named in an assign or unassign does not exist.
pub const ROLE_NOT_FOUND: i64 = 2005;
/// A built-in role (`AuthenticatedUser`, `NotAuthenticatedUser`, `RestUser`, …) cannot be assigned.
pub const BUILT_IN_ROLE_ASSIGN: i64 = 2007;
/// A built-in role cannot be unassigned.
pub const BUILT_IN_ROLE_UNASSIGN: i64 = 2008;
/// Role assignment or unassignment is allowed only from server code (the CloudCode key).
pub const ROLE_CHANGE_NEEDS_SERVER_KEY: i64 = 2011;
/// Login is disabled for this user account.
pub const LOGIN_DISABLED: i64 = 3000;
/// Multiple logins are disabled and the account already has a session.
pub const SECOND_LOGIN_BLOCKED: i64 = 3002;
/// Invalid login or password.
pub const INVALID_CREDENTIALS: i64 = 3003;
/// Login or password is empty.
pub const EMPTY_CREDENTIALS: i64 = 3006;
/// User registration is disabled.
pub const REGISTRATION_DISABLED: i64 = 3009;
/// Registration names a property that is not a column while dynamic schema is off.
pub const REGISTRATION_UNKNOWN_PROPERTY: i64 = 3010;
/// Registration without a password.
pub const REGISTRATION_MISSING_PASSWORD: i64 = 3011;
/// Registration without a required property.
pub const REGISTRATION_MISSING_PROPERTY: i64 = 3012;
/// Registration without the identity property.
pub const REGISTRATION_MISSING_IDENTITY: i64 = 3013;
/// Update sets the identity to a value another user has.
pub const IDENTITY_TAKEN: i64 = 3018;
/// Restore password: no user has that identity.
pub const UNKNOWN_IDENTITY: i64 = 3020;
/// General registration error; the message gives the details.
pub const REGISTRATION_FAILED: i64 = 3021;
/// General error while updating a user; the message gives the details.
pub const UPDATE_FAILED: i64 = 3024;
/// Update without a logged-in user (`user-token` missing).
pub const NOT_LOGGED_IN: i64 = 3028;
/// A user tried to update another user's record without being an admin.
pub const NOT_YOUR_RECORD: i64 = 3029;
/// The user to update does not exist.
pub const USER_NOT_FOUND: i64 = 3030;
/// Update names a property that is not a column while dynamic schema is off.
pub const DYNAMIC_PROPERTIES_DISABLED: i64 = 3031;
/// Registration with an identity another user already has.
pub const REGISTRATION_IDENTITY_TAKEN: i64 = 3033;
/// The account is locked after too many failed logins.
pub const ACCOUNT_LOCKED: i64 = 3036;
/// Registration with a malformed email address.
pub const INVALID_EMAIL: i64 = 3040;
/// Too many concurrent logins for the account.
pub const TOO_MANY_SESSIONS: i64 = 3044;
/// Update sets a required property to null or empty.
pub const REQUIRED_PROPERTY_EMPTY: i64 = 3045;
/// The session timed out.
pub const SESSION_TIMEOUT: i64 = 3048;
/// The `user-token` is unknown, logged out or timed out.
pub const NOT_EXISTING_USER_TOKEN: i64 = 3064;
/// The operation (e.g. changing a user's status) is allowed only from server code (the CloudCode key).
pub const ONLY_FOR_BL_LOGIC: i64 = 3054;
/// The user account is disabled.
pub const ACCOUNT_DISABLED: i64 = 3090;
/// Password verification is allowed only from server code (the CloudCode key).
pub const PASSWORD_CHECK_NEEDS_SERVER_KEY: i64 = 3122;
/// The session timed out (newer code).
pub const SESSION_TIMEOUT_2: i64 = 3091;
/// The server cannot send mail (its email settings are not configured), e.g. for restore password.
pub const MAIL_NOT_CONFIGURED: i64 = 5050;
/// The request body could not be parsed.
pub const UNPARSABLE_REQUEST: i64 = 8002;

/// Codes after which the user-token no longer works: the user must log in again.
pub const SESSION_ENDING: [i64; 4] = [
    NOT_LOGGED_IN,
    SESSION_TIMEOUT,
    NOT_EXISTING_USER_TOKEN,
    SESSION_TIMEOUT_2,
];

/// Codes with which Backendless refuses an operation it allows only from server code: the app's CloudCode
/// key (instead of a client key) makes it work.
pub const NEEDS_CLOUDCODE_KEY: [i64; 3] = [
    ONLY_FOR_BL_LOGIC,
    ROLE_CHANGE_NEEDS_SERVER_KEY,
    PASSWORD_CHECK_NEEDS_SERVER_KEY,
];

/// Whether `code` means the operation needs the CloudCode key.
pub fn needs_cloudcode_key(code: i64) -> bool {
    NEEDS_CLOUDCODE_KEY.contains(&code)
}

/// Whether `code` means the session is gone and the user must log in again.
pub fn is_session_ending(code: i64) -> bool {
    SESSION_ENDING.contains(&code)
}
