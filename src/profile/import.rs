//! Import and export of a profile as JSON. Export writes the record as pretty JSON; import reads a JSON
//! object and sorts its keys into values to apply as pending edits and keys refused with a reason
//! (unknown, read-only, wrong type). Pure: the file itself is read and written by the caller.

use crate::model::record::UserRecord;
use crate::model::schema::{PASSWORD, Schema, is_system};
use crate::model::value::Value;

/// What an import file holds, sorted out against the schema. Every list keeps the file's key order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportReport {
    /// Values to set as pending edits (validated like typed ones).
    pub accepted: Vec<(String, serde_json::Value)>,
    /// Keys that are not properties of `Users`: listed, not applied.
    pub unknown: Vec<String>,
    /// System, read-only or write-only keys (and the password): listed, not applied.
    pub read_only: Vec<String>,
    /// Keys whose value is not of the property's type, with the reason: listed, not applied.
    pub bad_type: Vec<(String, String)>,
}

impl ImportReport {
    /// Whether nothing in the file was refused.
    pub fn is_clean(&self) -> bool {
        self.unknown.is_empty() && self.read_only.is_empty() && self.bad_type.is_empty()
    }
}

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Sent when the text is not JSON.
    #[error("The file is not valid JSON: {0}")]
    NotJson(String),
    /// Sent when the JSON is not an object of property names to values.
    #[error("The file must hold one JSON object of property names and values.")]
    NotAnObject,
}

/// Reads `text` (a JSON object) and sorts each key against `schema`. Keys are matched exactly, as the
/// server matches column names.
pub fn import(text: &str, schema: &Schema) -> Result<ImportReport, ImportError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| ImportError::NotJson(error.to_string()))?;
    let serde_json::Value::Object(map) = value else {
        return Err(ImportError::NotAnObject);
    };
    let mut report = ImportReport::default();
    for (name, value) in map {
        if is_system(&name) || name == PASSWORD {
            report.read_only.push(name);
            continue;
        }
        let Some(property) = schema.get(&name) else {
            report.unknown.push(name);
            continue;
        };
        if !property.is_editable() {
            report.read_only.push(name);
            continue;
        }
        if matches!(Value::from_json(&property.ty, &value), Value::Opaque(_)) {
            let reason = format!(
                "expected {}, found {}",
                type_words(property.ty.name()),
                json_kind(&value)
            );
            report.bad_type.push((name, reason));
            continue;
        }
        report.accepted.push((name, value));
    }
    Ok(report)
}

/// The record as pretty JSON, exactly as the server sent it (it never holds a password or a token).
pub fn export(record: &UserRecord) -> String {
    serde_json::to_string_pretty(record.as_map()).unwrap_or_else(|_| "{}".to_owned())
}

/// "a whole number (INT)" and so on, for the refusal reasons.
fn type_words(type_name: &str) -> String {
    let words = match type_name {
        "STRING" | "TEXT" | "FILE_REF" => "text",
        "INT" => "a whole number",
        "DOUBLE" => "a number",
        "BOOLEAN" => "true or false",
        "DATETIME" => "a date (epoch ms or ISO-8601)",
        "POINT" | "LINESTRING" | "POLYGON" | "GEOMETRY" => "a geometry (GeoJSON or WKT)",
        _ => "a value",
    };
    format!("{words} ({type_name})")
}

/// What kind of JSON value `value` is, in words.
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_fixtures::descriptor;
    use serde_json::json;

    fn schema() -> Schema {
        let descriptor = |name: &str, ty: &str| descriptor(name, ty, false, name == "email");
        Schema::from_descriptors(vec![
            descriptor("objectId", "STRING_ID"),
            descriptor("updated", "DATETIME"),
            descriptor("email", "STRING"),
            descriptor("name", "STRING"),
            descriptor("age", "INT"),
            descriptor("birthday", "DATETIME"),
            descriptor("newsletter", "BOOLEAN"),
            descriptor("preferences", "JSON"),
            descriptor("home", "POINT"),
        ])
    }

    #[test]
    fn each_key_is_accepted_or_refused_with_a_reason() {
        let text = r#"{"name": "Imported", "age": 41, "birthday": "2000-01-02T00:00:00Z",
            "preferences": [1, 2], "newsletter": null, "shoeSize": 44, "objectId": "X", "updated": 5,
            "password": "pw", "home": {"type": "Point"}, "age2": 1, "email": 7}"#;
        let report = import(text, &schema()).unwrap();
        let accepted: Vec<&str> = report.accepted.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            accepted,
            ["name", "age", "birthday", "preferences", "newsletter"]
        );
        assert_eq!(report.unknown, ["shoeSize", "age2"]);
        assert_eq!(report.read_only, ["objectId", "updated", "password"]);
        assert_eq!(
            report.bad_type,
            vec![
                (
                    "home".to_owned(),
                    "expected a geometry (GeoJSON or WKT) (POINT), found an object".to_owned()
                ),
                (
                    "email".to_owned(),
                    "expected text (STRING), found a number".to_owned()
                )
            ]
        );
        assert!(!report.is_clean());
    }

    #[test]
    fn strings_for_numbers_are_refused() {
        let report = import(r#"{"age": "41", "newsletter": "yes"}"#, &schema()).unwrap();
        assert!(report.accepted.is_empty());
        assert_eq!(
            report.bad_type[0].1,
            "expected a whole number (INT), found a string"
        );
        assert_eq!(
            report.bad_type[1].1,
            "expected true or false (BOOLEAN), found a string"
        );
    }

    #[test]
    fn a_file_that_is_not_one_object_is_refused() {
        assert!(matches!(
            import("{", &schema()),
            Err(ImportError::NotJson(_))
        ));
        assert_eq!(import("[1]", &schema()), Err(ImportError::NotAnObject));
    }

    #[test]
    fn export_is_the_record_and_imports_back_cleanly_for_its_editable_keys() {
        let serde_json::Value::Object(map) =
            json!({"objectId": "A1", "name": "Alice", "age": 30, "updated": null})
        else {
            unreachable!()
        };
        let record = UserRecord::from_json(map).unwrap();
        let text = export(&record);
        assert!(text.contains("\n  \"name\": \"Alice\""), "{text}");
        let report = import(&text, &schema()).unwrap();
        assert_eq!(report.accepted.len(), 2);
        assert_eq!(report.read_only, ["objectId", "updated"]);
    }
}
