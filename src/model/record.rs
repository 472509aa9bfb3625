//! One user record exactly as the server sent it, with typed access through the schema.
//!
//! Pure: no I/O. The raw JSON map is kept as received (minus `user-token`), so values the program does not
//! understand, big integers, float texts and key order all survive untouched.

use super::ids::{IdError, ObjectId};
use super::schema::{PropertyType, Schema};
use super::value::{EditError, Value, parse_edit};

/// The session key some responses carry inside the record; it never belongs to the record itself.
const USER_TOKEN_KEY: &str = "user-token";

/// The key of the record's id, parsed once into [`UserRecord::object_id`].
const OBJECT_ID_KEY: &str = "objectId";

/// Why a JSON object is not a user record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Sent when the object has no string `objectId`.
    #[error("the record has no objectId")]
    MissingObjectId,
    /// Sent when the `objectId` is a string that is not a usable id (empty, too long, control characters).
    #[error("the record's objectId is not usable: {0}")]
    InvalidObjectId(IdError),
}

/// A `Users` record: the raw JSON object as received, minus `user-token`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// The properties in the order the server sent them.
    map: serde_json::Map<String, serde_json::Value>,
    /// `map["objectId"]`, parsed when the record was built; it never changes afterwards.
    object_id: ObjectId,
}

impl UserRecord {
    /// Wraps a record received from the server; drops `user-token`; fails without a usable `objectId`
    /// (see [`ObjectId::parse`]).
    pub fn from_json(
        mut map: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, RecordError> {
        let object_id = match map.get(OBJECT_ID_KEY) {
            Some(serde_json::Value::String(id)) => {
                ObjectId::parse(id.as_str()).map_err(RecordError::InvalidObjectId)?
            }
            _ => return Err(RecordError::MissingObjectId),
        };
        // `shift_remove` keeps the order of the other keys.
        map.shift_remove(USER_TOKEN_KEY);
        Ok(Self { map, object_id })
    }

    /// A record holding only `object_id`: the base of a change that reads no old values (a password change).
    pub fn only_id(object_id: ObjectId) -> Self {
        let mut map = serde_json::Map::new();
        map.insert(
            OBJECT_ID_KEY.to_owned(),
            serde_json::Value::String(object_id.to_string()),
        );
        Self { map, object_id }
    }

    /// The record's `objectId`, parsed when the record was built.
    pub fn object_id(&self) -> &ObjectId {
        &self.object_id
    }

    /// The raw value of `name`, if the record has that key.
    pub fn get(&self, name: &str) -> Option<&serde_json::Value> {
        self.map.get(name)
    }

    /// Sets `name` to `v`, keeping its position (a new key goes last). `user-token` is never stored, and
    /// `objectId` never changes: it is the record's identity, parsed when the record was built.
    pub fn set(&mut self, name: &str, v: serde_json::Value) {
        if name == USER_TOKEN_KEY || name == OBJECT_ID_KEY {
            return;
        }
        match self.map.get_mut(name) {
            Some(slot) => *slot = v,
            None => {
                self.map.insert(name.to_owned(), v);
            }
        }
    }

    /// Parses editor `text` as type `ty` and stores it under `name`; on a parse error nothing changes, so
    /// unparsed text never reaches the record (nor, through the diff, the server).
    pub fn apply_edit(
        &mut self,
        name: &str,
        ty: &PropertyType,
        text: &str,
    ) -> Result<(), EditError> {
        let value = parse_edit(ty, text)?;
        self.set(name, value.to_json());
        Ok(())
    }

    /// The value of `name` typed by the schema; [`Value::Null`] when absent.
    pub fn typed(&self, name: &str, schema: &Schema) -> Value {
        match self.map.get(name) {
            Some(v) => Value::from_json(&schema.type_of(name, v), v),
            None => Value::Null,
        }
    }

    /// `updated` as epoch ms (null for a never-updated record).
    pub fn updated_ms(&self) -> Option<i64> {
        self.map.get("updated").and_then(serde_json::Value::as_i64)
    }

    /// Every key, in the order the server sent them.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// The raw JSON object.
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.map.clone()
    }

    /// The raw JSON object, borrowed.
    pub fn as_map(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> UserRecord {
        UserRecord::from_json(serde_json::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn record_round_trips_byte_for_byte() {
        let text = r#"{"objectId":"A1","zeta":1,"big":123456789012345678901234567890,"f":1.10,"j":{"b":[1,{"c":2.0}],"a":null},"rel":{"___class":"Address","objectId":"B"},"alpha":"x"}"#;
        let r = record(text);
        assert_eq!(serde_json::to_string(&r.to_json()).unwrap(), text);
    }

    #[test]
    fn user_token_is_dropped_and_order_kept() {
        let r = record(r#"{"b":1,"user-token":"secret","objectId":"A1","a":2}"#);
        assert_eq!(r.names().collect::<Vec<_>>(), ["b", "objectId", "a"]);
        assert_eq!(r.object_id(), "A1");
        let mut r = r;
        r.set("user-token", serde_json::json!("again"));
        assert!(r.get("user-token").is_none());
    }

    #[test]
    fn record_without_object_id_is_refused() {
        for text in [
            r#"{"email":"a@b"}"#,
            r#"{"objectId":7}"#,
            r#"{"objectId":null}"#,
        ] {
            let map = serde_json::from_str(text).unwrap();
            assert_eq!(
                UserRecord::from_json(map),
                Err(RecordError::MissingObjectId),
                "{text}"
            );
        }
    }

    #[test]
    fn record_with_an_unusable_object_id_is_refused() {
        for text in [
            r#"{"objectId":""}"#,
            r#"{"objectId":"A\nB"}"#,
            r#"{"objectId":".."}"#,
        ] {
            let map = serde_json::from_str(text).unwrap();
            assert!(
                matches!(
                    UserRecord::from_json(map),
                    Err(RecordError::InvalidObjectId(_))
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn the_object_id_is_parsed_once_and_never_changes() {
        let mut r = record(r#"{"objectId":"A/1?x#y","name":"a"}"#);
        assert_eq!(r.object_id(), "A/1?x#y");
        r.set("objectId", serde_json::json!("B2"));
        assert_eq!(r.object_id(), "A/1?x#y");
        assert_eq!(r.get("objectId"), Some(&serde_json::json!("A/1?x#y")));
    }

    #[test]
    fn set_keeps_position_and_appends_new_keys() {
        let mut r = record(r#"{"objectId":"A1","name":"a","age":3}"#);
        r.set("name", serde_json::json!(null));
        r.set("color", serde_json::json!("red"));
        assert_eq!(
            serde_json::to_string(&r.to_json()).unwrap(),
            r#"{"objectId":"A1","name":null,"age":3,"color":"red"}"#
        );
    }

    #[test]
    fn apply_edit_stores_only_parsed_values() {
        let mut r = record(r#"{"objectId":"A1","age":3}"#);
        let error = r.apply_edit("age", &PropertyType::Int, "12a").unwrap_err();
        assert_eq!(error.message, "“12a” is not a whole number.");
        assert_eq!(r.get("age"), Some(&serde_json::json!(3)));
        r.apply_edit("age", &PropertyType::Int, " 12 ").unwrap();
        assert_eq!(r.get("age"), Some(&serde_json::json!(12)));
    }

    #[test]
    fn typed_and_updated_read_through_the_schema() {
        let r =
            record(r#"{"objectId":"A1","updated":1700000000000,"created":1600000000000,"age":3}"#);
        let schema = Schema::default();
        assert_eq!(r.updated_ms(), Some(1_700_000_000_000));
        assert_eq!(
            r.typed("created", &schema),
            Value::DateTime(1_600_000_000_000)
        );
        assert_eq!(r.typed("age", &schema), Value::Int(3.into()));
        assert_eq!(r.typed("missing", &schema), Value::Null);
    }
}
