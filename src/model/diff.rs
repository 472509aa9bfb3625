//! The diff of an original and an edited record: exactly the changed, editable properties, as an update body.
//!
//! Pure and deterministic: keys are sorted; system properties never appear; `password` is redacted in Debug.

use std::collections::BTreeMap;
use std::fmt;

use super::record::UserRecord;
use super::schema::{PASSWORD, PropertyType, Schema, is_system};
use super::value::{parse_datetime, same_json};

/// The properties to send in `PUT users/{objectId}`, sorted by name.
#[derive(Clone, PartialEq, Default)]
pub struct Changeset {
    /// Name → new raw value (null clears the property).
    changes: BTreeMap<String, serde_json::Value>,
}

impl fmt::Debug for Changeset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in &self.changes {
            if key == PASSWORD {
                map.entry(key, &format_args!("…redacted"));
            } else {
                map.entry(key, &format_args!("{value}"));
            }
        }
        map.finish()
    }
}

/// The changed, editable properties of `edited` compared with `original`.
///
/// - A value edited back to its original (by meaning: `4.5` = `4.50`, a date as ms = the same date as text,
///   JSON objects regardless of key order) is not a change.
/// - A property cleared to null appears as null; a property absent from `original` and null in `edited` is
///   not a change.
/// - New (dynamic) properties appear; system and read-only properties and opaque types never do.
/// - `password` appears only when `edited` holds a non-empty string for it (see also [`Changeset::set_password`]).
/// - Keys missing from `edited` are left alone (there is no "delete property" in an update).
pub fn diff(original: &UserRecord, edited: &UserRecord, schema: &Schema) -> Changeset {
    let mut changes: Vec<(String, serde_json::Value)> = Vec::new();
    // One schema lookup per key: this runs on every frame of a 1,000-property grid. The edited record is
    // normally the original plus appended keys, so the original is walked in step and looked up only when
    // the keys disagree.
    let mut in_step = original.as_map().iter();
    for (name, new) in edited.as_map() {
        let old_in_step = match in_step.next() {
            Some((key, value)) if key == name => Some(value),
            _ => None,
        };
        if is_system(name) {
            continue;
        }
        if name == PASSWORD {
            if new.as_str().is_some_and(|p| !p.is_empty()) {
                changes.push((name.clone(), new.clone()));
            }
            continue;
        }
        let is_datetime = match schema.get(name) {
            Some(p) if !p.is_editable() => continue,
            Some(p) => p.ty == PropertyType::DateTime,
            // A new dynamic property; its type is inferred from the value, never DATETIME.
            None => false,
        };
        let old = old_in_step
            .or_else(|| original.get(name))
            .unwrap_or(&serde_json::Value::Null);
        if !same_raw(is_datetime, old, new) {
            changes.push((name.clone(), new.clone()));
        }
    }
    // Collecting sorts once and bulk-builds the map.
    Changeset {
        changes: changes.into_iter().collect(),
    }
}

/// Whether two raw values of a property of type `ty` mean the same.
#[cfg(test)]
fn same_value(ty: &PropertyType, old: &serde_json::Value, new: &serde_json::Value) -> bool {
    same_raw(*ty == PropertyType::DateTime, old, new)
}

/// Whether two raw values mean the same; DATETIME values compare as instants (ms or date text).
fn same_raw(is_datetime: bool, old: &serde_json::Value, new: &serde_json::Value) -> bool {
    if is_datetime {
        let ms = |v: &serde_json::Value| match v {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => parse_datetime(s),
            _ => None,
        };
        if let (Some(a), Some(b)) = (ms(old), ms(new)) {
            return a == b;
        }
    }
    same_json(old, new)
}

impl Changeset {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many properties changed.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// The changed property names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.changes.keys().map(String::as_str)
    }

    /// The new value of `k`, if it changed.
    pub fn get(&self, k: &str) -> Option<&serde_json::Value> {
        self.changes.get(k)
    }

    /// Adds a password change (the grid's confirmed password editor).
    pub fn set_password(&mut self, password: String) {
        self.changes
            .insert(PASSWORD.to_owned(), serde_json::Value::String(password));
    }

    /// Drops the change of `k` (revert one).
    pub fn remove(&mut self, k: &str) {
        self.changes.remove(k);
    }

    /// The update body: only the changed keys, sorted.
    pub fn to_body(&self) -> serde_json::Map<String, serde_json::Value> {
        self.changes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The update body as JSON bytes, exactly as sent.
    pub fn to_body_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * self.changes.len() + 2);
        // Serializing a map of strings to JSON values cannot fail.
        serde_json::to_writer(&mut out, &self.changes).ok();
        out
    }

    /// `original` with the changes applied, as the server would store it (`password` is never stored).
    pub fn apply_to(&self, original: &UserRecord) -> UserRecord {
        let mut record = original.clone();
        for (k, v) in &self.changes {
            if k != PASSWORD {
                record.set(k, v.clone());
            }
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::{Access, SYSTEM_PROPERTIES};
    use crate::model::test_fixtures::descriptor;
    use proptest::prelude::*;
    use serde_json::json;

    fn demo_schema() -> Schema {
        let mut d = vec![
            descriptor("email", "STRING", true, true),
            descriptor("name", "STRING", true, false),
            descriptor("phoneNumber", "STRING", false, false),
            descriptor("age", "INT", false, false),
            descriptor("birthday", "DATETIME", false, false),
            descriptor("newsletter", "BOOLEAN", false, false),
            descriptor("score", "DOUBLE", false, false),
            descriptor("preferences", "JSON", false, false),
            descriptor("home", "POINT", false, false),
            descriptor("referredBy", "RELATION", false, false),
            descriptor("memberNumber", "AUTO_INCREMENT", false, false),
            descriptor("blUserLocale", "STRING", false, false),
        ];
        for (name, ty) in [
            ("objectId", "STRING_ID"),
            ("created", "DATETIME"),
            ("updated", "DATETIME"),
            ("ownerId", "STRING"),
        ] {
            d.push(descriptor(name, ty, false, false));
        }
        Schema::from_descriptors(d)
    }

    fn alice() -> UserRecord {
        let text = r#"{"objectId":"A1","___class":"Users","created":1600000000000,"updated":null,"ownerId":null,
            "email":"alice@example.com","name":"Alice Liddell","phoneNumber":"555-0100","age":30,
            "birthday":831168000000,"newsletter":true,"score":4.50,"preferences":{"theme":"dark","langs":["en","fr"]},
            "home":{"type":"Point","coordinates":[1,2]},"referredBy":{"objectId":"B2","___class":"Users"},"memberNumber":7,"blUserLocale":"en","lastLogin":1700000000000,"userStatus":"ENABLED"}"#;
        UserRecord::from_json(serde_json::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn unchanged_record_gives_empty_changeset() {
        assert!(diff(&alice(), &alice(), &demo_schema()).is_empty());
    }

    #[test]
    fn one_edit_gives_one_key() {
        let mut edited = alice();
        edited.set("phoneNumber", json!("555-9999"));
        let changes = diff(&alice(), &edited, &demo_schema());
        assert_eq!(changes.keys().collect::<Vec<_>>(), ["phoneNumber"]);
        assert_eq!(changes.to_body_bytes(), br#"{"phoneNumber":"555-9999"}"#);
    }

    #[test]
    fn edited_back_to_original_is_not_a_change() {
        let mut edited = alice();
        edited.set("score", serde_json::from_str("4.5").unwrap());
        edited.set("birthday", json!("1996-05-04T00:00:00Z"));
        edited.set("preferences", json!({"langs":["en","fr"],"theme":"dark"}));
        assert!(diff(&alice(), &edited, &demo_schema()).is_empty());
    }

    #[test]
    fn cleared_text_becomes_null_and_empty_stays_empty() {
        let mut edited = alice();
        edited.set("phoneNumber", json!(null));
        edited.set("name", json!(""));
        let changes = diff(&alice(), &edited, &demo_schema());
        assert_eq!(changes.get("phoneNumber"), Some(&json!(null)));
        assert_eq!(changes.get("name"), Some(&json!("")));
    }

    #[test]
    fn system_and_read_only_keys_never_appear() {
        let mut edited = alice();
        for name in SYSTEM_PROPERTIES {
            edited.set(name, json!("tampered"));
        }
        edited.set("referredBy", json!(null));
        edited.set("memberNumber", json!(8));
        assert!(diff(&alice(), &edited, &demo_schema()).is_empty());
    }

    #[test]
    fn key_order_does_not_matter() {
        let record =
            |text: &str| UserRecord::from_json(serde_json::from_str(text).unwrap()).unwrap();
        let original = record(r#"{"objectId":"A1","name":"a","age":1,"phoneNumber":"p"}"#);
        let edited =
            record(r#"{"phoneNumber":"p","age":2,"objectId":"A1","name":"a","extra":true}"#);
        let changes = diff(&original, &edited, &demo_schema());
        assert_eq!(changes.to_body_bytes(), br#"{"age":2,"extra":true}"#);
    }

    #[test]
    fn new_dynamic_properties_appear() {
        let mut edited = alice();
        edited.set("favouriteColor", json!("green"));
        edited.set("stillNull", json!(null));
        let changes = diff(&alice(), &edited, &demo_schema());
        assert_eq!(changes.keys().collect::<Vec<_>>(), ["favouriteColor"]);
    }

    #[test]
    fn changeset_keys_are_sorted_and_password_is_redacted() {
        let mut edited = alice();
        edited.set("score", json!(5));
        edited.set("age", json!(31));
        let mut changes = diff(&alice(), &edited, &demo_schema());
        changes.set_password("hunter2-secret".into());
        assert_eq!(
            changes.keys().collect::<Vec<_>>(),
            ["age", "password", "score"]
        );
        let debug = format!("{changes:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("\"age\": 31"), "{debug}");
        assert_eq!(
            String::from_utf8(changes.to_body_bytes()).unwrap(),
            r#"{"age":31,"password":"hunter2-secret","score":5}"#
        );
        // The password is sent, never stored in the record.
        assert!(changes.apply_to(&alice()).get("password").is_none());
        changes.remove("password");
        assert_eq!(changes.len(), 2);
    }

    #[test]
    fn untouched_values_survive_byte_for_byte() {
        let text = r#"{"objectId":"A1","big":123456789012345678901234567890,"f":1.10,"j":{"z":1,"a":[2.50]},"rel":{"___class":"Address","objectId":"B"},"name":"a"}"#;
        let original = UserRecord::from_json(serde_json::from_str(text).unwrap()).unwrap();
        let schema = demo_schema().with_property(crate::model::schema::Property {
            access: Access::ReadWrite,
            ..crate::model::schema::Property::dynamic(
                "rel".parse().unwrap(),
                PropertyType::Relation { list: false },
            )
        });
        let mut edited = original.clone();
        edited.set("name", json!("b"));
        let changes = diff(&original, &edited, &schema);
        assert_eq!(changes.to_body_bytes(), br#"{"name":"b"}"#);
        let applied = changes.apply_to(&original);
        assert_eq!(
            serde_json::to_string(&applied.to_json()).unwrap(),
            text.replace(r#""name":"a""#, r#""name":"b""#)
        );
    }

    /// An edit of one editable property of Alice: either a new value of its type or null.
    fn edit() -> impl Strategy<Value = (String, serde_json::Value)> {
        let schema = demo_schema();
        let names: Vec<String> = schema
            .properties()
            .iter()
            .filter(|p| p.is_editable())
            .map(|p| p.name.to_string())
            .chain(["dynamicOne".to_owned()])
            .collect();
        proptest::sample::select(names).prop_flat_map(move |name| {
            let ty = schema
                .get(&name)
                .map_or(PropertyType::String, |p| p.ty.clone());
            let value = prop_oneof![
                1 => Just(serde_json::Value::Null),
                4 => crate::model::value::tests::wire_value(&ty),
            ];
            (Just(name), value)
        })
    }

    proptest! {
        #[test]
        fn applying_the_diff_gives_the_edited_record(edits in proptest::collection::vec(edit(), 0..8)) {
            let schema = demo_schema();
            let original = alice();
            let mut edited = original.clone();
            for (name, value) in &edits {
                edited.set(name, value.clone());
            }
            let changes = diff(&original, &edited, &schema);
            let applied = changes.apply_to(&original);
            for name in edited.names() {
                let want = edited.get(name).unwrap();
                let got = applied.get(name).unwrap_or(&serde_json::Value::Null);
                prop_assert!(same_value(&schema.type_of(name, want), got, want), "{name}: {got} != {want}");
            }
            // Exactly the changed keys, and only editable ones.
            for key in changes.keys() {
                prop_assert!(schema.is_editable(key, changes.get(key).unwrap()));
                let old = original.get(key).unwrap_or(&serde_json::Value::Null);
                prop_assert!(!same_value(&schema.type_of(key, old), old, changes.get(key).unwrap()));
            }
            // The diff of the applied record is empty, and diffing is idempotent.
            prop_assert!(diff(&applied, &edited, &schema).is_empty());
            prop_assert_eq!(&diff(&original, &applied, &schema), &changes);
            // The body is exactly the changeset, in sorted key order.
            let body: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(&changes.to_body_bytes()).unwrap();
            prop_assert_eq!(body.keys().collect::<Vec<_>>(), changes.keys().collect::<Vec<_>>());
            prop_assert_eq!(serde_json::to_vec(&body).unwrap(), changes.to_body_bytes());
        }

        #[test]
        fn unchanged_gives_an_empty_diff(edits in proptest::collection::vec(edit(), 0..8)) {
            let schema = demo_schema();
            let mut record = alice();
            for (name, value) in &edits {
                record.set(name, value.clone());
            }
            prop_assert!(diff(&record, &record.clone(), &schema).is_empty());
        }
    }
}
