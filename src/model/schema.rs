//! The described schema of the `Users` table: property types, access and identity.
//!
//! Built from `users/userclassprops` descriptors. Pure: no I/O. Decides which properties the grid may edit
//! and which type a raw JSON value is read as.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::ids::PropertyName;
use crate::backendless::wire::PropertyDescriptor;

/// Properties the server owns: shown read-only, never sent in an update.
///
/// `password` is not here: it is write-only. `blUserLocale` is not here either: it is an ordinary STRING.
pub const SYSTEM_PROPERTIES: &[&str] = &crate::backendless::wire::SYSTEM_KEYS;

/// The name of the write-only password property.
pub const PASSWORD: &str = "password";

/// Whether `name` is one of [`SYSTEM_PROPERTIES`].
pub fn is_system(name: &str) -> bool {
    // A match compiles to a length switch: cheaper than scanning the list for every property.
    matches!(
        name,
        "objectId"
            | "created"
            | "updated"
            | "ownerId"
            | "___class"
            | "user-token"
            | "lastLogin"
            | "userStatus"
            | "socialAccount"
            | "accountType"
            | "oAuthIdentities"
    )
}

/// A Backendless column type, as named in property descriptors.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropertyType {
    /// `STRING`: text up to 500 characters.
    String,
    /// `TEXT`: long text.
    Text,
    /// `INT`: a whole number.
    Int,
    /// `DOUBLE` (also `DECIMAL`): a number.
    Double,
    /// `BOOLEAN`.
    Boolean,
    /// `DATETIME`: epoch milliseconds on the wire.
    DateTime,
    /// `JSON`: any JSON value.
    Json,
    /// `POINT`, `LINESTRING`, `POLYGON` or `GEOMETRY` (the name is kept); GeoJSON on the wire, WKT in the
    /// editor (see [`crate::model::geometry`]).
    Geometry(String),
    /// `RELATION` / `DATA_REF` (one) or `RELATION_LIST` / `COLLECTION` (many).
    Relation {
        /// Whether the relation holds many objects.
        list: bool,
    },
    /// `STRING_ID`: the objectId column.
    StringId,
    /// `AUTO_INCREMENT`: a server-generated number.
    AutoIncrement,
    /// `FILE_REF`: a file URL or path, edited as text.
    FileRef,
    /// Any other type name, kept as received.
    Unknown(String),
}

impl PropertyType {
    /// Reads a Backendless type name (case-insensitive); unknown names are kept in [`PropertyType::Unknown`].
    pub fn from_backendless(name: &str) -> Self {
        match name.trim().to_ascii_uppercase().as_str() {
            "STRING" | "EXTENDED_STRING" => Self::String,
            "TEXT" => Self::Text,
            "INT" | "INTEGER" => Self::Int,
            "DOUBLE" | "DECIMAL" => Self::Double,
            "BOOLEAN" => Self::Boolean,
            "DATETIME" => Self::DateTime,
            "JSON" => Self::Json,
            upper @ ("POINT" | "LINESTRING" | "POLYGON" | "GEOMETRY") => {
                Self::Geometry(upper.to_owned())
            }
            "RELATION" | "DATA_REF" => Self::Relation { list: false },
            "RELATION_LIST" | "COLLECTION" => Self::Relation { list: true },
            "STRING_ID" => Self::StringId,
            "AUTO_INCREMENT" => Self::AutoIncrement,
            "FILE_REF" => Self::FileRef,
            _ => Self::Unknown(name.to_owned()),
        }
    }

    /// The Backendless name of this type, e.g. `"STRING"`.
    pub fn name(&self) -> &str {
        match self {
            Self::String => "STRING",
            Self::Text => "TEXT",
            Self::Int => "INT",
            Self::Double => "DOUBLE",
            Self::Boolean => "BOOLEAN",
            Self::DateTime => "DATETIME",
            Self::Json => "JSON",
            Self::Geometry(name) | Self::Unknown(name) => name,
            Self::Relation { list: false } => "RELATION",
            Self::Relation { list: true } => "RELATION_LIST",
            Self::StringId => "STRING_ID",
            Self::AutoIncrement => "AUTO_INCREMENT",
            Self::FileRef => "FILE_REF",
        }
    }

    /// The type Backendless's dynamic schema gives a new column from its first value: string STRING, whole
    /// number INT, other number DOUBLE, boolean BOOLEAN, object or array JSON. A null says nothing; it is
    /// read as STRING.
    pub fn infer(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null | serde_json::Value::String(_) => Self::String,
            serde_json::Value::Number(n) if is_whole_number(n) => Self::Int,
            serde_json::Value::Number(_) => Self::Double,
            serde_json::Value::Bool(_) => Self::Boolean,
            serde_json::Value::Object(_) | serde_json::Value::Array(_) => Self::Json,
        }
    }

    /// Whether the program can edit values of this type (the rest are shown read-only and carried unchanged).
    pub fn is_editable(&self) -> bool {
        matches!(
            self,
            Self::String
                | Self::Text
                | Self::Int
                | Self::Double
                | Self::Boolean
                | Self::DateTime
                | Self::Json
                | Self::FileRef
                | Self::Geometry(_)
        )
    }
}

/// Whether a JSON number is written as a whole number (no fraction, no exponent), at any size.
pub(crate) fn is_whole_number(n: &serde_json::Number) -> bool {
    let text = n.as_str();
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Who may read and write a property through this program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// An ordinary property.
    ReadWrite,
    /// Owned by the server (system properties, STRING_ID, AUTO_INCREMENT): shown, never sent.
    ReadOnly,
    /// `password`: never shown, only sent when changed.
    WriteOnly,
}

/// The most characters of a refused property name that reach the log.
const LOGGED_NAME_CHARS: usize = 80;

/// One described property of the `Users` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Column name, parsed ([`PropertyName`]).
    pub name: PropertyName,
    /// Column type.
    pub ty: PropertyType,
    /// Must not be null or empty (3045 on update otherwise).
    pub required: bool,
    /// The identity (login) column; at most one.
    pub identity: bool,
    /// Who may read or write it.
    pub access: Access,
    /// Default value used by the server at registration.
    pub default_value: serde_json::Value,
    /// Target table of a relation column.
    pub related_table: Option<String>,
}

impl Property {
    /// A property the user adds on the client (dynamic schema): not required, not identity, read-write.
    pub fn dynamic(name: PropertyName, ty: PropertyType) -> Self {
        Self {
            name,
            ty,
            required: false,
            identity: false,
            access: Access::ReadWrite,
            default_value: serde_json::Value::Null,
            related_table: None,
        }
    }

    /// Whether the property grid may edit it and the diff may send it (password excluded: it has its own editor).
    pub fn is_editable(&self) -> bool {
        self.access == Access::ReadWrite && self.ty.is_editable()
    }

    /// The property a descriptor describes; `None`, with a warning in the log, when its name breaks the
    /// Backendless column-name rule (no such column can be read or written by name).
    fn from_descriptor(d: PropertyDescriptor) -> Option<Self> {
        let name = match PropertyName::parse(d.name.as_str()) {
            Ok(name) => name,
            Err(error) => {
                let shown: String = d.name.chars().take(LOGGED_NAME_CHARS).collect();
                tracing::warn!(
                    "the server described a property {shown:?} that is left out: {error}"
                );
                return None;
            }
        };
        let ty = PropertyType::from_backendless(&d.data_type);
        let access = if d.name == PASSWORD {
            Access::WriteOnly
        } else if is_system(&d.name)
            || matches!(ty, PropertyType::StringId | PropertyType::AutoIncrement)
        {
            Access::ReadOnly
        } else {
            Access::ReadWrite
        };
        Some(Self {
            identity: d.identity.unwrap_or(false),
            required: d.required,
            ty,
            access,
            default_value: d.default_value,
            related_table: d.related_table,
            name,
        })
    }
}

/// FNV-1a: the diff looks a name up for every property of every frame, and SipHash's DoS resistance buys
/// nothing for a few hundred column names.
#[derive(Clone, Copy)]
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The described `Users` schema: identity first, then the rest by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// Sorted: identity first, then by name (case-insensitive).
    properties: Vec<Property>,
    /// Name → index into `properties`, so lookups stay O(1) for wide tables (looked up by `&str`).
    index: HashMap<PropertyName, usize, BuildHasherDefault<Fnv1a>>,
}

impl Schema {
    /// Builds the schema from `users/userclassprops`. A `password` property is added (write-only) when the
    /// server does not list one, because every Users table has it. A descriptor whose name breaks the
    /// Backendless column-name rule is left out (and logged); the other properties still load.
    pub fn from_descriptors(d: Vec<PropertyDescriptor>) -> Self {
        let mut properties: Vec<Property> = Vec::with_capacity(d.len() + 1);
        for descriptor in d {
            let Some(property) = Property::from_descriptor(descriptor) else {
                continue;
            };
            // A duplicate name keeps the last descriptor, like a map would.
            properties.retain(|p| p.name != property.name);
            properties.push(property);
        }
        if !properties.iter().any(|p| p.name == PASSWORD)
            && let Ok(password) = PropertyName::parse(PASSWORD)
        {
            properties.push(Property {
                access: Access::WriteOnly,
                ..Property::dynamic(password, PropertyType::String)
            });
        }
        Self::from_properties(properties)
    }

    fn from_properties(mut properties: Vec<Property>) -> Self {
        properties.sort_by(|a, b| {
            b.identity
                .cmp(&a.identity)
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                .then_with(|| a.name.cmp(&b.name))
        });
        let index = properties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        Self { properties, index }
    }

    /// Every property: identity first, then the rest by name.
    pub fn properties(&self) -> &[Property] {
        &self.properties
    }

    /// The property called `name`.
    pub fn get(&self, name: &str) -> Option<&Property> {
        self.index.get(name).map(|&i| &self.properties[i])
    }

    /// The identity (login) property, if the server marked one.
    pub fn identity(&self) -> Option<&Property> {
        self.properties.iter().find(|p| p.identity)
    }

    /// A copy with `p` added, or replacing the property of the same name (for user-added dynamic properties).
    pub fn with_property(&self, p: Property) -> Self {
        let mut properties = self.properties.clone();
        properties.retain(|q| q.name != p.name);
        properties.push(p);
        Self::from_properties(properties)
    }

    /// The type a value of `name` is read as: the described type, else the known type of a system property,
    /// else the type dynamic schema would infer from the value itself.
    pub fn type_of(&self, name: &str, value: &serde_json::Value) -> PropertyType {
        if let Some(p) = self.get(name) {
            return p.ty.clone();
        }
        match name {
            "created" | "updated" | "lastLogin" => PropertyType::DateTime,
            "objectId" => PropertyType::StringId,
            "ownerId" | "___class" | "userStatus" | "blUserLocale" => PropertyType::String,
            _ => PropertyType::infer(value),
        }
    }

    /// Whether the diff may send `name` with a value read as `value`: not a system property, not read-only,
    /// of an editable type. Names the schema does not know are new dynamic properties and are editable.
    pub fn is_editable(&self, name: &str, value: &serde_json::Value) -> bool {
        if is_system(name) {
            return false;
        }
        match self.get(name) {
            Some(p) if p.name == PASSWORD => true,
            Some(p) => p.is_editable(),
            None => name != PASSWORD || value.is_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_fixtures::descriptor;
    use serde_json::json;

    #[test]
    fn is_system_matches_the_list() {
        for name in SYSTEM_PROPERTIES {
            assert!(is_system(name), "{name}");
        }
        for name in ["password", "blUserLocale", "email", "objectid", ""] {
            assert!(!is_system(name), "{name}");
        }
    }

    #[test]
    fn every_backendless_type_name_round_trips() {
        for name in [
            "STRING",
            "TEXT",
            "INT",
            "DOUBLE",
            "BOOLEAN",
            "DATETIME",
            "JSON",
            "POINT",
            "LINESTRING",
            "POLYGON",
            "GEOMETRY",
            "RELATION",
            "RELATION_LIST",
            "STRING_ID",
            "AUTO_INCREMENT",
            "FILE_REF",
            "SOMETHING_NEW",
        ] {
            assert_eq!(PropertyType::from_backendless(name).name(), name, "{name}");
        }
        assert_eq!(PropertyType::from_backendless("int"), PropertyType::Int);
        assert_eq!(
            PropertyType::from_backendless("GEO_REF"),
            PropertyType::Unknown("GEO_REF".into())
        );
    }

    #[test]
    fn inference_follows_dynamic_schema_rules() {
        assert_eq!(PropertyType::infer(&json!("x")), PropertyType::String);
        assert_eq!(PropertyType::infer(&json!(3)), PropertyType::Int);
        assert_eq!(PropertyType::infer(&json!(-3)), PropertyType::Int);
        let big: serde_json::Value =
            serde_json::from_str("123456789012345678901234567890").unwrap();
        assert_eq!(PropertyType::infer(&big), PropertyType::Int);
        assert_eq!(PropertyType::infer(&json!(3.5)), PropertyType::Double);
        let exp: serde_json::Value = serde_json::from_str("1e3").unwrap();
        assert_eq!(PropertyType::infer(&exp), PropertyType::Double);
        assert_eq!(PropertyType::infer(&json!(true)), PropertyType::Boolean);
        assert_eq!(PropertyType::infer(&json!({"a": 1})), PropertyType::Json);
        assert_eq!(PropertyType::infer(&json!([1])), PropertyType::Json);
    }

    #[test]
    fn schema_lists_identity_first_then_by_name_and_adds_password() {
        let schema = Schema::from_descriptors(vec![
            descriptor("name", "STRING", true, false),
            descriptor("age", "INT", false, false),
            descriptor("email", "STRING", true, true),
            descriptor("objectId", "STRING_ID", false, false),
            descriptor("Zeta", "STRING", false, false),
        ]);
        let names: Vec<&str> = schema
            .properties()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["email", "age", "name", "objectId", "password", "Zeta"]
        );
        assert_eq!(schema.identity().map(|p| p.name.as_str()), Some("email"));
        assert_eq!(
            schema.get("objectId").map(|p| p.access),
            Some(Access::ReadOnly)
        );
        assert_eq!(
            schema.get("password").map(|p| p.access),
            Some(Access::WriteOnly)
        );
        assert_eq!(schema.get("age").map(|p| p.access), Some(Access::ReadWrite));
    }

    #[test]
    fn with_property_adds_and_keeps_order() {
        let schema = Schema::from_descriptors(vec![descriptor("email", "STRING", true, true)]);
        let color = PropertyName::parse("color").unwrap();
        let schema = schema.with_property(Property::dynamic(color, PropertyType::String));
        let names: Vec<&str> = schema
            .properties()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["email", "color", "password"]);
        assert!(schema.get("color").is_some_and(Property::is_editable));
    }

    #[test]
    fn a_descriptor_with_an_invalid_name_is_left_out_and_the_rest_load() {
        let schema = Schema::from_descriptors(vec![
            descriptor("email", "STRING", true, true),
            descriptor("bad name", "STRING", false, false),
            descriptor("", "INT", false, false),
            descriptor("___class", "STRING", false, false),
            descriptor(&"x".repeat(65), "STRING", false, false),
            descriptor("age", "INT", false, false),
        ]);
        let names: Vec<&str> = schema.properties().iter().map(|p| &*p.name).collect();
        assert_eq!(names, ["email", "age", "password"]);
        assert!(schema.get("bad name").is_none());
    }

    #[test]
    fn system_keys_and_opaque_types_are_not_editable() {
        let schema = Schema::from_descriptors(vec![
            descriptor("created", "DATETIME", false, false),
            descriptor("home", "POINT", false, false),
            descriptor("friends", "RELATION_LIST", false, false),
            descriptor("memberNumber", "AUTO_INCREMENT", false, false),
            descriptor("mystery", "GEO_REF", false, false),
            descriptor("blUserLocale", "STRING", false, false),
        ]);
        assert!(!schema.is_editable("created", &json!(1)));
        assert!(!schema.is_editable("___class", &json!("Users")));
        assert!(
            schema.is_editable("home", &json!(null)),
            "geometry is edited as WKT"
        );
        assert!(!schema.is_editable("friends", &json!([])));
        assert!(!schema.is_editable("memberNumber", &json!(7)));
        assert!(!schema.is_editable("mystery", &json!({"x": 1})));
        assert!(schema.is_editable("blUserLocale", &json!("en")));
        assert!(schema.is_editable("brandNew", &json!(1)));
        assert_eq!(schema.type_of("updated", &json!(5)), PropertyType::DateTime);
    }
}
