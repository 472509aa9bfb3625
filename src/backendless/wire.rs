//! Serde shapes exactly as they travel on the wire, shared by the client and the emulator.

use serde::{Deserialize, Serialize};

/// Keys of a Users record that the server owns: never written by an update (official SDKs send whole objects
/// back, so the server ignores them), shown read-only by the editor.
pub const SYSTEM_KEYS: [&str; 8] = [
    "objectId",
    "created",
    "updated",
    "ownerId",
    "___class",
    "user-token",
    "lastLogin",
    "userStatus",
];

/// A Backendless error body: `{"code": <number>, "message": "<text>", "errorData": {}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// The Backendless error code, e.g. 3003.
    pub code: i64,
    /// The server's message.
    #[serde(default)]
    pub message: String,
    /// Extra data; Backendless sends an object, usually empty.
    #[serde(default = "empty_object")]
    pub error_data: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

impl Fault {
    /// A fault with an empty `errorData`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            error_data: empty_object(),
        }
    }
}

/// One property descriptor as returned by `users/userclassprops` and `data/Users/properties`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyDescriptor {
    /// Column name.
    pub name: String,
    /// Must be non-empty.
    #[serde(default)]
    pub required: bool,
    /// Backendless type name: `STRING`, `INT`, `DATETIME`, ...
    #[serde(rename = "type", default)]
    pub data_type: String,
    /// Default value used at registration.
    #[serde(default)]
    pub default_value: serde_json::Value,
    /// Whether this is the identity column (only `userclassprops` carries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<bool>,
    /// Target table of a relation column.
    #[serde(default)]
    pub related_table: Option<String>,
    /// Validator regex.
    #[serde(default)]
    pub custom_regex: Option<String>,
    /// Relation auto-load.
    #[serde(default)]
    pub auto_load: Option<bool>,
    /// Part of the primary key.
    #[serde(default)]
    pub is_primary_key: Option<bool>,
}
