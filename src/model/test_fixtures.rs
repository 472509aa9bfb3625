//! Fixtures shared by the unit tests (test builds only): property descriptors and records from JSON.

use crate::backendless::wire::PropertyDescriptor;
use crate::model::record::UserRecord;

/// A described property with no default, regex, relation or key flag.
pub(crate) fn descriptor(
    name: &str,
    ty: &str,
    required: bool,
    identity: bool,
) -> PropertyDescriptor {
    PropertyDescriptor {
        name: name.into(),
        required,
        data_type: ty.into(),
        default_value: serde_json::Value::Null,
        identity: Some(identity),
        related_table: None,
        custom_regex: None,
        auto_load: None,
        is_primary_key: None,
    }
}

/// A registration's schema: `email` (identity, required), `age` (INT, required) and `nickname` (optional).
pub(crate) fn registration_schema() -> crate::model::schema::Schema {
    crate::model::schema::Schema::from_descriptors(vec![
        descriptor("email", "STRING", true, true),
        descriptor("age", "INT", true, false),
        descriptor("nickname", "STRING", false, false),
    ])
}

/// The record whose JSON object is `value`; panics if `value` is not an object or not a record.
pub(crate) fn record(value: serde_json::Value) -> UserRecord {
    let serde_json::Value::Object(map) = value else {
        panic!("not an object")
    };
    UserRecord::from_json(map).unwrap()
}
