//! The Users schema: column types, system columns, descriptors, and JSON ⇄ SQLite value conversion.
//!
//! Pure: no SQL is run here. `store` keeps a `Schema` in step with the real table.
//!
//! Wire formats of the non-scalar types (CONTRACT §3, `backendless-api.md` §5.4):
//! - `POINT` / `LINESTRING` / `POLYGON` (and `GEOMETRY`, any of the three): accepted as GeoJSON
//!   (`{"type":"Point","coordinates":[lon,lat]}`; `___class` and `srsId` may ride along, as in a record read
//!   back) or as WKT (`POINT (lon lat)`); stored as canonical GeoJSON text; answered as Backendless does, GeoJSON
//!   plus `"srsId": 4326` and `"___class": "com.backendless.persistence.Point"` (`LineString`, `Polygon`). Only
//!   WGS84 (`srsId` 4326) is kept. `null` clears the value.
//! - `RELATION` (one) / `RELATION_LIST` and `COLLECTION` (many): set with an objectId string, an object carrying
//!   `objectId` (a record, or a reference read back), or for many an array of those; stored as the objectId(s);
//!   answered as references `{"___class": relatedTable, "objectId": id}` (one object, or an array). The
//!   emulator serves only `Users`, so it does not check that the related object exists.
//! - `AUTO_INCREMENT`: a whole number; register fills it with one more than the largest stored value.
//! - `FILE_REF`: the file's URL or path, a string.
//!
//! A `type` given as an integer index (some servers and the Swift SDK's `ObjectProperty` decoder) follows the
//! Backendless SDK `DataTypeEnum` order, see [`TYPE_BY_INDEX`].

use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

use super::geometry;
use crate::backendless::wire::PropertyDescriptor;
use crate::model::ids::is_backendless_name;

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
    /// Backendless `POINT`, stored as GeoJSON text.
    Point,
    /// Backendless `LINESTRING`, stored as GeoJSON text.
    LineString,
    /// Backendless `POLYGON`, stored as GeoJSON text.
    Polygon,
    /// Backendless `GEOMETRY`: any of point, line string, polygon; stored as GeoJSON text.
    Geometry,
    /// Backendless `RELATION` (one related object), stored as its objectId.
    Relation,
    /// Backendless `RELATION_LIST` (many related objects), stored as a JSON array of objectIds.
    RelationList,
    /// Backendless `AUTO_INCREMENT`: a server-generated whole number.
    AutoIncrement,
    /// Backendless `FILE_REF`: a file URL or path.
    FileRef,
}

/// Backendless type names by integer index, in the order of the SDKs' `DataTypeEnum` (Swift SDK
/// `Sources/SwiftSDK/Property/DataTypeEnum.swift`, whose `ObjectProperty` decodes an integer `type` as
/// `DataTypeEnum.allCases[index]`; the Android SDK's `DateTypeEnum` has the same order). Index 0 is `UNKNOWN`.
/// One table for the emulator and the client.
pub use crate::backendless::wire::DATA_TYPE_INDEX as TYPE_BY_INDEX;

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
            Self::Point => "POINT",
            Self::LineString => "LINESTRING",
            Self::Polygon => "POLYGON",
            Self::Geometry => "GEOMETRY",
            Self::Relation => "RELATION",
            Self::RelationList => "RELATION_LIST",
            Self::AutoIncrement => "AUTO_INCREMENT",
            Self::FileRef => "FILE_REF",
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
            Self::Point,
            Self::LineString,
            Self::Polygon,
            Self::Geometry,
            Self::Relation,
            Self::RelationList,
            Self::AutoIncrement,
            Self::FileRef,
        ];
        // Other names servers use for the same types.
        if name.eq_ignore_ascii_case("COLLECTION") {
            return Some(Self::RelationList);
        }
        if name.eq_ignore_ascii_case("DATA_REF") {
            return Some(Self::Relation);
        }
        all.into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// Whether values are geometry (GeoJSON on the wire).
    pub fn is_geometry(self) -> bool {
        matches!(
            self,
            Self::Point | Self::LineString | Self::Polygon | Self::Geometry
        )
    }

    /// Whether values are references to related objects.
    pub fn is_relation(self) -> bool {
        matches!(self, Self::Relation | Self::RelationList)
    }

    /// The SQLite column type declared for it.
    pub fn sql_decl(self) -> &'static str {
        match self {
            Self::StringId
            | Self::String
            | Self::Text
            | Self::Json
            | Self::FileRef
            | Self::Point
            | Self::LineString
            | Self::Polygon
            | Self::Geometry
            | Self::Relation
            | Self::RelationList => "TEXT",
            Self::Int | Self::Boolean | Self::DateTime | Self::AutoIncrement => "INTEGER",
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
    /// The table a relation column points to (`relatedTable`).
    pub related_table: Option<String>,
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
            related_table: None,
        }
    }

    fn system(name: &str, column_type: ColumnType) -> Self {
        Self {
            name: name.to_owned(),
            column_type,
            required: false,
            identity: false,
            system: true,
            related_table: None,
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
            related_table: self.related_table.clone(),
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

    /// The name of the identity column (`email` unless the store was made with another).
    pub fn identity(&self) -> &str {
        self.columns
            .iter()
            .find(|c| c.identity)
            .map_or(IDENTITY, |c| c.name.as_str())
    }
}

/// Most properties a `--schema` file may describe (the store's 500-column limit less room for the system
/// columns).
pub const MAX_SCHEMA_PROPERTIES: usize = 450;

/// The column types an identity column may have.
fn identity_type_ok(column_type: ColumnType) -> bool {
    matches!(column_type, ColumnType::String | ColumnType::Text)
}

/// The Users columns for a `users/userclassprops` array (`serve --schema FILE`), with `identity` as the
/// identity column: the system columns and `password` as the emulator defines them (whatever the file says of
/// them), then the file's other properties in file order. `type` is a type name or an integer index
/// ([`TYPE_BY_INDEX`]). Errors are one line naming the property: not an array, a descriptor without a valid
/// name, a duplicate name (ignoring case), an unknown type, the identity column missing or not a string.
pub fn columns_from_userclassprops(schema: &Value, identity: &str) -> Result<Vec<Column>, String> {
    let descriptors = schema
        .as_array()
        .ok_or("the schema must be a JSON array of property descriptors (what users/userclassprops returns)")?;
    if descriptors.len() > MAX_SCHEMA_PROPERTIES {
        return Err(format!(
            "the schema describes {} properties; at most {MAX_SCHEMA_PROPERTIES} are allowed",
            descriptors.len()
        ));
    }
    let base: Vec<Column> = base_columns()
        .into_iter()
        .filter(|c| c.system || c.name == PASSWORD || c.name == "blUserLocale")
        .collect();
    let mut columns = base.clone();
    let mut seen: Vec<String> = Vec::new();
    for (i, descriptor) in descriptors.iter().enumerate() {
        let name = descriptor
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("property #{} has no \"name\" string", i + 1))?;
        if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "property '{name}' is listed twice (names ignore letter case)"
            ));
        }
        seen.push(name.to_owned());
        if base.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        if !is_valid_column_name(name) {
            return Err(format!(
                "property '{name}' has an invalid name (letters, digits and '_', starting with a letter, at most 64)"
            ));
        }
        let column_type = descriptor_type(descriptor.get("type"))
            .map_err(|why| format!("property '{name}': {why}"))?;
        let related_table = descriptor
            .get("relatedTable")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if column_type.is_relation() && related_table.is_none() {
            return Err(format!(
                "property '{name}' is a {} without a \"relatedTable\"",
                column_type.name()
            ));
        }
        let required = descriptor
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut column = Column::user(name, column_type, required);
        column.related_table = related_table.filter(|_| column_type.is_relation());
        column.identity = name == identity;
        columns.push(column);
    }
    let column = columns.iter().find(|c| c.identity).ok_or_else(|| {
        format!("the schema has no property '{identity}' for the identity column")
    })?;
    if !identity_type_ok(column.column_type) {
        return Err(format!(
            "the identity property '{identity}' is {}; it must be STRING or TEXT",
            column.column_type.name()
        ));
    }
    Ok(columns)
}

/// The property a schema marks `identity: true`, if exactly one.
pub fn marked_identity(schema: &Value) -> Option<&str> {
    let marked: Vec<&str> = schema
        .as_array()?
        .iter()
        .filter(|d| d.get("identity").and_then(Value::as_bool) == Some(true))
        .filter_map(|d| d.get("name").and_then(Value::as_str))
        .collect();
    match marked.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// A descriptor's `type`: a name, or an integer index in [`TYPE_BY_INDEX`].
fn descriptor_type(value: Option<&Value>) -> Result<ColumnType, String> {
    let name = match value {
        Some(Value::String(name)) => name.as_str(),
        Some(Value::Number(n)) => {
            let index = n
                .as_u64()
                .ok_or_else(|| format!("type index {n} is not a whole number"))?;
            usize::try_from(index)
                .ok()
                .and_then(|i| TYPE_BY_INDEX.get(i))
                .copied()
                .ok_or_else(|| {
                    format!(
                        "unknown type index {index} (0 to {} in the SDKs' DataTypeEnum order)",
                        TYPE_BY_INDEX.len() - 1
                    )
                })?
        }
        _ => return Err("no \"type\" (a type name or an integer index)".to_owned()),
    };
    ColumnType::parse(name)
        .filter(|t| *t != ColumnType::StringId)
        .ok_or_else(|| format!("unknown or unsupported type {name:?}"))
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

/// Whether `name` may become a column: the Backendless column-name rule the client's `PropertyName` also
/// parses with ([`is_backendless_name`]: a letter or `_`, then letters, digits, `_`; at most 64 characters;
/// not `___`-prefixed), and not a row-id alias. This is also what makes it safe to quote into DDL.
pub fn is_valid_column_name(name: &str) -> bool {
    is_backendless_name(name) && !is_rowid_alias(name)
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
        ColumnType::FileRef => match value {
            Value::String(s) if s.chars().count() <= MAX_VALUE_CHARS => {
                Ok(SqlValue::Text(s.clone()))
            }
            Value::String(s) => Err(too_long(name, s.chars().count())),
            _ => Err(wrong("a file URL or path (a string)")),
        },
        ColumnType::AutoIncrement => match value.as_i64() {
            Some(i) => Ok(SqlValue::Integer(i)),
            None => Err(wrong("a whole number")),
        },
        ColumnType::Point | ColumnType::LineString | ColumnType::Polygon | ColumnType::Geometry => {
            geometry::parse(column.column_type, value)
                .map(|g| SqlValue::Text(g.to_string()))
                .map_err(|why| format!("Invalid geometry for property '{name}': {why}"))
        }
        ColumnType::Relation => match relation_id(value) {
            Some(id) => Ok(SqlValue::Text(id.to_owned())),
            None => Err(wrong(
                "a related object (an objectId, or an object with an objectId)",
            )),
        },
        ColumnType::RelationList => {
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                single => vec![single],
            };
            if items.len() > MAX_RELATED_OBJECTS {
                return Err(format!(
                    "Value for property '{name}' names {} related objects; at most {MAX_RELATED_OBJECTS} are allowed",
                    items.len()
                ));
            }
            let ids: Option<Vec<&str>> = items.into_iter().map(relation_id).collect();
            match ids {
                Some(ids) => Ok(SqlValue::Text(Value::from(ids).to_string())),
                None => Err(wrong(
                    "related objects (objectIds, or objects with an objectId, in an array)",
                )),
            }
        }
    }
}

/// Most related objects one `RELATION_LIST` value may hold.
pub const MAX_RELATED_OBJECTS: usize = 1_000;

/// The objectId a relation value names: the string itself, or the `objectId` of an object.
fn relation_id(value: &Value) -> Option<&str> {
    let id = match value {
        Value::String(id) => id.as_str(),
        Value::Object(map) => map.get("objectId")?.as_str()?,
        _ => return None,
    };
    (!id.trim().is_empty() && id.len() <= 100).then_some(id)
}

/// A reference to a related object as records carry it.
fn relation_ref(column: &Column, id: Value) -> Value {
    let mut map = Map::new();
    map.insert(
        "___class".to_owned(),
        Value::String(
            column
                .related_table
                .clone()
                .unwrap_or_else(|| USERS_TABLE.to_owned()),
        ),
    );
    map.insert("objectId".to_owned(), id);
    Value::Object(map)
}

/// Converts a stored value back to JSON for the column's type.
pub fn sql_to_json(column: &Column, value: SqlValue) -> Value {
    match (column.column_type, value) {
        (_, SqlValue::Null) => Value::Null,
        (ColumnType::Boolean, SqlValue::Integer(i)) => Value::Bool(i != 0),
        (ColumnType::Json, SqlValue::Text(text)) => {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        (t, SqlValue::Text(text)) if t.is_geometry() => match serde_json::from_str(&text) {
            Ok(stored) => geometry::to_wire(stored),
            Err(_) => Value::String(text),
        },
        (ColumnType::Relation, SqlValue::Text(id)) => relation_ref(column, Value::String(id)),
        (ColumnType::RelationList, SqlValue::Text(text)) => match serde_json::from_str(&text) {
            Ok(Value::Array(ids)) => {
                Value::Array(ids.into_iter().map(|id| relation_ref(column, id)).collect())
            }
            _ => Value::String(text),
        },
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
pub fn record_json<'a>(values: impl IntoIterator<Item = (&'a Column, SqlValue)>) -> Value {
    let mut record = Map::new();
    record.insert("___class".to_owned(), Value::String(USERS_TABLE.to_owned()));
    for (column, value) in values {
        record.insert(column.name.clone(), sql_to_json(column, value));
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
    fn a_userclassprops_array_becomes_columns() {
        let schema = json!([
            {"name": "objectId", "type": "STRING_ID"},
            {"name": "password", "type": "STRING", "required": true},
            {"name": "username", "type": "STRING", "identity": true, "required": true},
            {"name": "level", "type": 1},
            {"name": "bio", "type": 10},
            {"name": "friends", "type": 7, "relatedTable": "Users"},
            {"name": "home", "type": "point"},
            {"name": "boss", "type": "DATA_REF", "relatedTable": "Users"},
        ]);
        let columns = columns_from_userclassprops(&schema, "username").unwrap();
        let find = |name: &str| columns.iter().find(|c| c.name == name).unwrap();
        assert!(find("username").identity && find("username").required);
        assert_eq!(find("level").column_type, ColumnType::Int);
        assert_eq!(find("bio").column_type, ColumnType::Text);
        assert_eq!(find("friends").column_type, ColumnType::RelationList);
        assert_eq!(find("friends").related_table.as_deref(), Some("Users"));
        assert_eq!(find("home").column_type, ColumnType::Point);
        assert_eq!(find("boss").column_type, ColumnType::Relation);
        // The system columns are the emulator's own, listed once.
        assert!(find("objectId").system && find("created").system);
        assert_eq!(columns.iter().filter(|c| c.name == "objectId").count(), 1);
        assert_eq!(marked_identity(&schema), Some("username"));
        let schema_of = Schema { columns };
        assert_eq!(schema_of.identity(), "username");
    }

    #[test]
    fn type_indexes_follow_the_sdk_data_type_enum() {
        for (index, name) in [
            (1, "INT"),
            (2, "STRING"),
            (3, "BOOLEAN"),
            (4, "DATETIME"),
            (5, "DOUBLE"),
            (6, "RELATION"),
            (8, "RELATION_LIST"),
            (10, "TEXT"),
        ] {
            assert_eq!(
                descriptor_type(Some(&json!(index))).unwrap().name(),
                name,
                "index {index}"
            );
        }
        // UNKNOWN, STRING_ID (only objectId) and past the end are refused.
        for index in [0, 9, 11, -1] {
            assert!(
                descriptor_type(Some(&json!(index))).is_err(),
                "index {index}"
            );
        }
        assert!(descriptor_type(Some(&json!(1.5))).is_err());
    }

    #[test]
    fn bad_schemas_are_refused_in_one_line_naming_the_property() {
        let identity = json!({"name": "username", "type": "STRING"});
        for (schema, expected) in [
            (json!({"name": "x"}), "array"),
            (json!([identity, {"type": "STRING"}]), "#2"),
            (
                json!([identity, {"name": "a b", "type": "STRING"}]),
                "'a b'",
            ),
            (
                json!([identity, {"name": "nick", "type": "STRING"}, {"name": "NICK", "type": "INT"}]),
                "'NICK'",
            ),
            (
                json!([identity, {"name": "avatar", "type": "HOLOGRAM"}]),
                "HOLOGRAM",
            ),
            (json!([identity, {"name": "avatar"}]), "'avatar'"),
            (
                json!([identity, {"name": "boss", "type": "RELATION"}]),
                "relatedTable",
            ),
            (json!([{"name": "email", "type": "STRING"}]), "'username'"),
            (
                json!([{"name": "username", "type": "INT"}]),
                "STRING or TEXT",
            ),
        ] {
            let error = columns_from_userclassprops(&schema, "username").unwrap_err();
            assert!(error.contains(expected), "{schema}: {error}");
            assert!(!error.contains('\n'), "{error}");
        }
        let too_many: Vec<Value> = (0..=MAX_SCHEMA_PROPERTIES)
            .map(|i| json!({"name": format!("p{i}"), "type": "STRING"}))
            .collect();
        let error = columns_from_userclassprops(&Value::from(too_many), "p0").unwrap_err();
        assert!(error.contains("450"), "{error}");
    }

    #[test]
    fn relations_store_ids_and_answer_references() {
        let mut boss = Column::user("boss", ColumnType::Relation, false);
        boss.related_table = Some("Employees".to_owned());
        let stored =
            json_to_sql(&boss, &json!({"___class": "Employees", "objectId": "E1"})).unwrap();
        assert_eq!(stored, SqlValue::Text("E1".into()));
        assert_eq!(
            sql_to_json(&boss, stored),
            json!({"___class": "Employees", "objectId": "E1"})
        );
        let mut team = Column::user("team", ColumnType::RelationList, false);
        team.related_table = Some("Users".to_owned());
        let stored = json_to_sql(&team, &json!(["A", {"objectId": "B"}])).unwrap();
        assert_eq!(
            sql_to_json(&team, stored),
            json!([{"___class": "Users", "objectId": "A"}, {"___class": "Users", "objectId": "B"}])
        );
        assert!(json_to_sql(&team, &json!(["A", 3])).is_err());
        assert!(json_to_sql(&boss, &json!({"name": "no id"})).is_err());
        let many = vec![json!("A"); MAX_RELATED_OBJECTS + 1];
        let error = json_to_sql(&team, &Value::from(many)).unwrap_err();
        assert!(
            error.contains("'team'") && error.contains("1000"),
            "{error}"
        );
    }

    #[test]
    fn json_round_trips_through_storage() {
        let prefs = Column::user("preferences", ColumnType::Json, false);
        let value = json!({"theme": "dark", "langs": ["en", "fr"]});
        let stored = json_to_sql(&prefs, &value).unwrap();
        assert_eq!(sql_to_json(&prefs, stored), value);
    }
}
