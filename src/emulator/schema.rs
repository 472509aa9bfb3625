//! The Users schema: column types, system columns, descriptors, and JSON ⇄ SQLite value conversion.
//!
//! Pure: no SQL is run here. `store` keeps a `Schema` in step with the real table.

use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

use crate::backendless::wire::PropertyDescriptor;

/// The only table the emulator serves.
pub const USERS_TABLE: &str = "Users";
/// The identity column.
pub const IDENTITY: &str = "email";
/// The password column: write-only, never returned, never queryable.
pub const PASSWORD: &str = "password";

/// Keys an update body may carry that are never written (official SDKs send whole objects back).
pub const IGNORED_UPDATE_KEYS: &[&str] = &crate::backendless::wire::SYSTEM_KEYS;

/// A Backendless column type the emulator stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Backendless `STRING_ID` (objectId).
    StringId,
    /// Backendless `STRING`.
    String,
    /// Backendless `TEXT`.
    Text,
    /// Backendless `INT`.
    Int,
    /// Backendless `DOUBLE`.
    Double,
    /// Backendless `BOOLEAN`, stored as 0/1.
    Boolean,
    /// Backendless `DATETIME`, stored as epoch milliseconds.
    DateTime,
    /// Backendless `JSON`, stored as JSON text.
    Json,
}

impl ColumnType {
    /// The Backendless type name.
    pub fn name(self) -> &'static str {
        match self {
            Self::StringId => "STRING_ID",
            Self::String => "STRING",
            Self::Text => "TEXT",
            Self::Int => "INT",
            Self::Double => "DOUBLE",
            Self::Boolean => "BOOLEAN",
            Self::DateTime => "DATETIME",
            Self::Json => "JSON",
        }
    }

    /// Parses a Backendless type name (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        let all = [
            Self::StringId,
            Self::String,
            Self::Text,
            Self::Int,
            Self::Double,
            Self::Boolean,
            Self::DateTime,
            Self::Json,
        ];
        all.into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// The SQLite column type declared for it.
    pub fn sql_decl(self) -> &'static str {
        match self {
            Self::StringId | Self::String | Self::Text | Self::Json => "TEXT",
            Self::Int | Self::Boolean | Self::DateTime => "INTEGER",
            Self::Double => "REAL",
        }
    }

    /// The type a dynamic-schema column gets from its first value (CONTRACT §3).
    pub fn infer(value: &Value) -> Self {
        match value {
            Value::Bool(_) => Self::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => Self::Int,
            Value::Number(_) => Self::Double,
            Value::Array(_) | Value::Object(_) => Self::Json,
            Value::String(_) | Value::Null => Self::String,
        }
    }
}

/// One column of the Users table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Property name, exactly as clients spell it.
    pub name: String,
    /// Backendless type.
    pub column_type: ColumnType,
    /// Must not be null or empty.
    pub required: bool,
    /// The identity column (exactly one: `email`).
    pub identity: bool,
    /// Maintained by the server (`objectId`, `created`, ...): never written from an update body.
    pub system: bool,
}

impl Column {
    /// A user-defined column.
    pub fn user(name: &str, column_type: ColumnType, required: bool) -> Self {
        Self {
            name: name.to_owned(),
            column_type,
            required,
            identity: false,
            system: false,
        }
    }

    fn system(name: &str, column_type: ColumnType) -> Self {
        Self {
            name: name.to_owned(),
            column_type,
            required: false,
            identity: false,
            system: true,
        }
    }

    /// The descriptor served by the describe endpoints; `with_identity` adds the `identity` flag.
    pub fn descriptor(&self, with_identity: bool) -> PropertyDescriptor {
        PropertyDescriptor {
            name: self.name.clone(),
            required: self.required,
            data_type: self.column_type.name().to_owned(),
            default_value: Value::Null,
            identity: with_identity.then_some(self.identity),
            related_table: None,
            custom_regex: None,
            auto_load: None,
            is_primary_key: Some(self.name == "objectId"),
        }
    }
}

/// The columns of a fresh Users table: system columns, then `email`, `password`, `name`.
pub fn base_columns() -> Vec<Column> {
    let mut email = Column::user(IDENTITY, ColumnType::String, true);
    email.identity = true;
    vec![
        Column::system("objectId", ColumnType::StringId),
        Column::system("created", ColumnType::DateTime),
        Column::system("updated", ColumnType::DateTime),
        Column::system("ownerId", ColumnType::String),
        Column::system("userStatus", ColumnType::String),
        Column::system("lastLogin", ColumnType::DateTime),
        Column::user("blUserLocale", ColumnType::String, false),
        email,
        Column::user(PASSWORD, ColumnType::String, true),
        Column::user("name", ColumnType::String, false),
        Column::system("socialAccount", ColumnType::String),
        Column::system("accountType", ColumnType::String),
        Column::system("oAuthIdentities", ColumnType::Json),
    ]
}

/// The value every record created by the emulator has in `socialAccount` and `accountType` (a user who
/// registered with identity and password, not through a social login).
pub const BACKENDLESS_ACCOUNT: &str = "BACKENDLESS";

/// `blUserLocale` of a user registered without one.
pub const DEFAULT_USER_LOCALE: &str = "en";

/// The Users schema as the emulator currently knows it (kept in step with the SQLite table).
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Columns in creation order, which is also the order records and descriptors list them.
    pub columns: Vec<Column>,
}

impl Schema {
    /// The column with exactly this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// A column whose name equals `name` ignoring ASCII case (SQLite column names are case-insensitive).
    pub fn column_ignoring_case(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// A column a query (`where`, `sortBy`, `props`) may name: everything but `password`.
    pub fn queryable(&self, name: &str) -> Option<&Column> {
        self.column(name)
            .or_else(|| self.column_ignoring_case(name))
            .filter(|c| c.name != PASSWORD)
    }

    /// The columns a record shows (all but `password`).
    pub fn readable(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.name != PASSWORD)
    }
}

/// Names SQLite resolves to a table's hidden row id (in any letter case). A column with one of these names would
/// shadow the row id, and with it the paging order of `find`, so no property may take them.
pub const ROWID_ALIASES: [&str; 3] = ["rowid", "oid", "_rowid_"];

/// Longest text a property may store, in characters: a `STRING` / `TEXT` value, or a `JSON` value as JSON text.
/// Bounds what one `LIKE` comparison costs (see `where_clause::MAX_LIKE_PATTERN_CHARS`).
pub const MAX_VALUE_CHARS: usize = 65_536;

/// Deepest nesting of arrays / objects in a `JSON` property value. A page of `find` wraps each value in two more
/// levels; this keeps the whole answer well inside the 128 levels common JSON parsers accept.
pub const MAX_VALUE_DEPTH: usize = 32;

/// Whether `name` is one of [`ROWID_ALIASES`], ignoring ASCII case.
pub fn is_rowid_alias(name: &str) -> bool {
    ROWID_ALIASES.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// Whether `name` may become a column: a letter or `_`, then letters, digits, `_`; at most 64 characters; not a
/// row-id alias. This is also what makes it safe to quote into DDL.
pub fn is_valid_column_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
        && !name.starts_with("___")
        && !is_rowid_alias(name)
}

/// How deeply arrays / objects nest in `value` (a scalar is 0, `[1]` is 1), without recursion.
pub fn json_depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        let depth = depth + 1;
        deepest = deepest.max(depth);
        stack.extend(children.map(|child| (child, depth)));
    }
    deepest
}

/// The 3024 / 3021 text for a value over [`MAX_VALUE_CHARS`].
fn too_long(name: &str, chars: usize) -> String {
    format!(
        "Value for property '{name}' is {chars} characters long; at most {MAX_VALUE_CHARS} are allowed"
    )
}

/// `"name"` for SQL. Only called with names that passed [`is_valid_column_name`] or came from the schema.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Converts a JSON value from a request into what the column stores; the error names the property.
pub fn json_to_sql(column: &Column, value: &Value) -> Result<SqlValue, String> {
    let name = &column.name;
    let wrong = |expected: &str| {
        format!(
            "Wrong value type for property '{name}': expected {expected}, got {}",
            kind(value)
        )
    };
    if value.is_null() {
        return Ok(SqlValue::Null);
    }
    match column.column_type {
        ColumnType::String | ColumnType::Text | ColumnType::StringId => match value {
            Value::String(s) => {
                let chars = s.chars().count();
                if chars > MAX_VALUE_CHARS {
                    return Err(too_long(name, chars));
                }
                Ok(SqlValue::Text(s.clone()))
            }
            _ => Err(wrong("a string")),
        },
        ColumnType::Int => match value {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(SqlValue::Integer(i))
                } else {
                    match n.as_f64() {
                        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                            Ok(SqlValue::Integer(f as i64))
                        }
                        _ => Err(format!(
                            "Value for property '{name}' is not a whole number in the INT range"
                        )),
                    }
                }
            }
            _ => Err(wrong("a whole number")),
        },
        ColumnType::Double => match value {
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.is_finite() => Ok(SqlValue::Real(f)),
                _ => Err(format!(
                    "Value for property '{name}' is out of the DOUBLE range"
                )),
            },
            _ => Err(wrong("a number")),
        },
        ColumnType::Boolean => match value {
            Value::Bool(b) => Ok(SqlValue::Integer(i64::from(*b))),
            _ => Err(wrong("true or false")),
        },
        ColumnType::DateTime => match value {
            Value::Number(n) => n.as_i64().map(SqlValue::Integer).ok_or_else(|| {
                format!("Invalid date value for property '{name}': expected epoch milliseconds")
            }),
            Value::String(s) => parse_date_ms(s)
                .map(SqlValue::Integer)
                .ok_or_else(|| format!("Invalid date format for property '{name}'")),
            _ => Err(wrong("a date (epoch milliseconds or ISO-8601 string)")),
        },
        ColumnType::Json => {
            let depth = json_depth(value);
            if depth > MAX_VALUE_DEPTH {
                return Err(format!(
                    "Value for property '{name}' is nested {depth} levels deep; at most {MAX_VALUE_DEPTH} are allowed"
                ));
            }
            let text = value.to_string();
            let chars = text.chars().count();
            if chars > MAX_VALUE_CHARS {
                return Err(too_long(name, chars));
            }
            Ok(SqlValue::Text(text))
        }
    }
}

/// Converts a stored value back to JSON for the column's type.
pub fn sql_to_json(column_type: ColumnType, value: SqlValue) -> Value {
    match (column_type, value) {
        (_, SqlValue::Null) => Value::Null,
        (ColumnType::Boolean, SqlValue::Integer(i)) => Value::Bool(i != 0),
        (ColumnType::Json, SqlValue::Text(text)) => {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        (_, SqlValue::Integer(i)) => Value::from(i),
        (_, SqlValue::Real(f)) => {
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        (_, SqlValue::Text(text)) => Value::String(text),
        (_, SqlValue::Blob(_)) => Value::Null,
    }
}

/// Parses the date strings the emulator accepts: RFC 3339 / ISO-8601 with or without an offset
/// (no offset means UTC), or a bare `YYYY-MM-DD`. Returns epoch milliseconds.
pub fn parse_date_ms(text: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc().timestamp_millis())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A record as JSON: `___class` first, then every readable column in schema order.
pub fn record_json(values: Vec<(ColumnType, String, SqlValue)>) -> Value {
    let mut record = Map::new();
    record.insert("___class".to_owned(), Value::String(USERS_TABLE.to_owned()));
    for (column_type, name, value) in values {
        record.insert(name, sql_to_json(column_type, value));
    }
    Value::Object(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn column_names_that_could_break_sql_are_rejected() {
        for bad in [
            "",
            "1abc",
            "a b",
            "a\"b",
            "a;drop",
            "___class",
            "é",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_column_name(bad), "{bad:?} should be rejected");
        }
        for alias in ["rowid", "ROWID", "Oid", "_rowid_", "_ROWID_"] {
            assert!(!is_valid_column_name(alias), "{alias:?} shadows the row id");
        }
        for good in ["age", "_x", "phoneNumber", "a1_b2", "rowids", "oidc"] {
            assert!(is_valid_column_name(good), "{good:?} should be accepted");
        }
    }

    #[test]
    fn wrong_type_message_names_the_property() {
        let age = Column::user("age", ColumnType::Int, false);
        let error = json_to_sql(&age, &json!("thirty")).unwrap_err();
        assert!(error.contains("property 'age'"), "{error}");
        assert_eq!(
            json_to_sql(&age, &json!(30)).unwrap(),
            SqlValue::Integer(30)
        );
        assert_eq!(
            json_to_sql(&age, &json!(30.0)).unwrap(),
            SqlValue::Integer(30)
        );
        assert!(json_to_sql(&age, &json!(30.5)).is_err());
    }

    #[test]
    fn dates_are_accepted_as_epoch_ms_or_iso_strings() {
        let birthday = Column::user("birthday", ColumnType::DateTime, false);
        assert_eq!(
            json_to_sql(&birthday, &json!(1000)).unwrap(),
            SqlValue::Integer(1000)
        );
        assert_eq!(
            json_to_sql(&birthday, &json!("1970-01-01T00:00:01.000Z")).unwrap(),
            SqlValue::Integer(1000)
        );
        assert_eq!(
            json_to_sql(&birthday, &json!("1970-01-02")).unwrap(),
            SqlValue::Integer(86_400_000)
        );
        assert!(json_to_sql(&birthday, &json!("yesterday")).is_err());
    }

    #[test]
    fn types_are_inferred_as_the_contract_says() {
        assert_eq!(ColumnType::infer(&json!("x")), ColumnType::String);
        assert_eq!(ColumnType::infer(&json!(3)), ColumnType::Int);
        assert_eq!(ColumnType::infer(&json!(3.5)), ColumnType::Double);
        assert_eq!(ColumnType::infer(&json!(true)), ColumnType::Boolean);
        assert_eq!(ColumnType::infer(&json!({"a": 1})), ColumnType::Json);
        assert_eq!(ColumnType::infer(&json!([1])), ColumnType::Json);
    }

    #[test]
    fn values_past_the_size_and_depth_limits_are_refused_naming_the_property() {
        let bio = Column::user("bio", ColumnType::Text, false);
        assert!(json_to_sql(&bio, &json!("é".repeat(MAX_VALUE_CHARS))).is_ok());
        let error = json_to_sql(&bio, &json!("x".repeat(MAX_VALUE_CHARS + 1))).unwrap_err();
        assert!(
            error.contains("'bio'") && error.contains("65536"),
            "{error}"
        );

        let prefs = Column::user("prefs", ColumnType::Json, false);
        let nested = |depth: usize| {
            let mut value = json!(1);
            for _ in 0..depth {
                value = json!([value]);
            }
            value
        };
        assert_eq!(json_depth(&nested(MAX_VALUE_DEPTH)), MAX_VALUE_DEPTH);
        assert_eq!(json_depth(&json!({"a": [1, {"b": 2}], "c": 3})), 3);
        assert!(json_to_sql(&prefs, &nested(MAX_VALUE_DEPTH)).is_ok());
        let error = json_to_sql(&prefs, &nested(MAX_VALUE_DEPTH + 1)).unwrap_err();
        assert!(error.contains("'prefs'") && error.contains("32"), "{error}");
        let error = json_to_sql(&prefs, &json!(["x".repeat(MAX_VALUE_CHARS)])).unwrap_err();
        assert!(error.contains("'prefs'"), "{error}");
    }

    #[test]
    fn json_round_trips_through_storage() {
        let prefs = Column::user("preferences", ColumnType::Json, false);
        let value = json!({"theme": "dark", "langs": ["en", "fr"]});
        let stored = json_to_sql(&prefs, &value).unwrap();
        assert_eq!(sql_to_json(ColumnType::Json, stored), value);
    }
}
