//! One user record exactly as the server sent it, with typed access through the schema.
//!
//! Pure: no I/O. The raw JSON map is kept as received (minus `user-token`), so values the program does not
//! understand, big integers, float texts and key order all survive untouched.

use super::schema::{PropertyType, Schema};
use super::value::{EditError, Value, parse_edit};

/// The session key some responses carry inside the record; it never belongs to the record itself.
const USER_TOKEN_KEY: &str = "user-token";

/// Why a JSON object is not a user record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Sent when the object has no non-empty string `objectId`.
    #[error("the record has no objectId")]
    MissingObjectId,
}

/// A `Users` record: the raw JSON object as received, minus `user-token`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserRecord {
    /// The properties in the order the server sent them.
    map: serde_json::Map<String, serde_json::Value>,
}

impl UserRecord {
    /// Wraps a record received from the server; drops `user-token`; fails without an `objectId`.
    pub fn from_json(
        mut map: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, RecordError> {
        match map.get("objectId") {
            Some(serde_json::Value::String(id)) if !id.is_empty() => {}
            _ => return Err(RecordError::MissingObjectId),
        }
        // `shift_remove` keeps the order of the other keys.
        map.shift_remove(USER_TOKEN_KEY);
        Ok(Self { map })
    }

    /// The record's `objectId`.
    pub fn object_id(&self) -> &str {
        self.map
            .get("objectId")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
    }

    /// The raw value of `name`, if the record has that key.
    pub fn get(&self, name: &str) -> Option<&serde_json::Value> {
        self.map.get(name)
    }

    /// Sets `name` to `v`, keeping its position (a new key goes last). `user-token` is never stored.
    pub fn set(&mut self, name: &str, v: serde_json::Value) {
        if name == USER_TOKEN_KEY {
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
            r#"{"objectId":""}"#,
            r#"{"objectId":7}"#,
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
