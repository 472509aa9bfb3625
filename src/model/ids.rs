//! Parsed identifiers: a record's [`ObjectId`] and a column's [`PropertyName`], each checked once where it
//! enters the program (a server reply, a file, a typed name) and trusted afterwards. Pure: no I/O.
//!
//! Both read as `&str` (`Deref`, `AsRef`, `Borrow`, `Display`, comparisons with `str` and `String`) so that
//! code which only reads them needs no change; serde reads them through the same parse, so a bad value in
//! JSON is a deserialization error rather than a value that slips past the check.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// The most characters an objectId may have. Backendless ids are 36-character UUIDs; the bound leaves room
/// for other servers' ids while keeping a hostile value out of URLs, file names and the screen.
pub const MAX_OBJECT_ID_CHARS: usize = 256;

/// The most characters a property (column) name may have, as Backendless allows and the emulator enforces.
pub const MAX_PROPERTY_NAME_CHARS: usize = 64;

/// Why a text is not an [`ObjectId`] or a [`PropertyName`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Sent for an empty text.
    #[error("the {what} is empty")]
    Empty {
        /// `"objectId"` or `"property name"`.
        what: &'static str,
    },
    /// Sent for a text longer than the named maximum.
    #[error("the {what} is longer than {max_chars} characters")]
    TooLong {
        /// `"objectId"` or `"property name"`.
        what: &'static str,
        /// [`MAX_OBJECT_ID_CHARS`] or [`MAX_PROPERTY_NAME_CHARS`].
        max_chars: usize,
    },
    /// Sent for an objectId with a control character, or that is `.` or `..` (it could not be one URL path
    /// segment).
    #[error("the objectId holds a control character or is '.' or '..'")]
    UnsafeObjectId,
    /// Sent for a property name that breaks the Backendless column-name rule (see [`is_backendless_name`]).
    #[error(
        "the property name must start with a letter or '_', hold only letters, digits and '_', and not start with '___'"
    )]
    InvalidPropertyName,
}

/// Whether `name` follows the Backendless column-name rule: an ASCII letter or `_`, then ASCII letters,
/// digits and `_`; at most [`MAX_PROPERTY_NAME_CHARS`]; not starting with `___` (reserved for `___class`).
/// The one rule for both sides: the client's [`PropertyName`] and the emulator's column check.
pub fn is_backendless_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= MAX_PROPERTY_NAME_CHARS
        && !name.starts_with("___")
}

/// The `objectId` of a record: non-empty, at most [`MAX_OBJECT_ID_CHARS`], no control characters, not `.`
/// or `..`. Any other character (`/`, `?`, `#`, `%`) is allowed: request paths percent-encode it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ObjectId(String);

impl ObjectId {
    /// Checks `text` and keeps it as an objectId.
    pub fn parse(text: impl Into<String>) -> Result<Self, IdError> {
        let text = text.into();
        if text.is_empty() {
            return Err(IdError::Empty { what: "objectId" });
        }
        if text.chars().count() > MAX_OBJECT_ID_CHARS {
            return Err(IdError::TooLong {
                what: "objectId",
                max_chars: MAX_OBJECT_ID_CHARS,
            });
        }
        if matches!(text.as_str(), "." | "..") || text.chars().any(char::is_control) {
            return Err(IdError::UnsafeObjectId);
        }
        Ok(Self(text))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A property (column) name that follows the Backendless column-name rule ([`is_backendless_name`]).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PropertyName(String);

impl PropertyName {
    /// Checks `text` and keeps it as a property name.
    pub fn parse(text: impl Into<String>) -> Result<Self, IdError> {
        let text = text.into();
        if text.is_empty() {
            return Err(IdError::Empty {
                what: "property name",
            });
        }
        if text.len() > MAX_PROPERTY_NAME_CHARS {
            return Err(IdError::TooLong {
                what: "property name",
                max_chars: MAX_PROPERTY_NAME_CHARS,
            });
        }
        if !is_backendless_name(&text) {
            return Err(IdError::InvalidPropertyName);
        }
        Ok(Self(text))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The read-as-text impls both newtypes share.
macro_rules! text_newtype {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<String> for &$name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<&$name> for String {
            fn eq(&self, other: &&$name) -> bool {
                *self == other.0
            }
        }
    };
}

text_newtype!(ObjectId);
text_newtype!(PropertyName);

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn object_ids_are_accepted_unless_empty_long_or_unsafe() {
        for good in [
            "F00DCAFE-0000-4000-8000-0000DEADBEEF",
            "A",
            "a/b?c#d%e",
            "../up",
            "a..b",
            "é",
            &"x".repeat(MAX_OBJECT_ID_CHARS),
        ] {
            assert_eq!(ObjectId::parse(good).unwrap(), good, "{good:?}");
        }
        let cases = [
            ("", IdError::Empty { what: "objectId" }),
            (
                &*"x".repeat(MAX_OBJECT_ID_CHARS + 1),
                IdError::TooLong {
                    what: "objectId",
                    max_chars: MAX_OBJECT_ID_CHARS,
                },
            ),
            ("A\nB", IdError::UnsafeObjectId),
            ("A\tB", IdError::UnsafeObjectId),
            ("A\u{0}", IdError::UnsafeObjectId),
            ("\u{7f}", IdError::UnsafeObjectId),
            (".", IdError::UnsafeObjectId),
            ("..", IdError::UnsafeObjectId),
        ];
        for (bad, why) in cases {
            assert_eq!(ObjectId::parse(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn property_names_follow_the_backendless_column_rule() {
        for good in [
            "age",
            "_x",
            "phoneNumber",
            "a1_b2",
            "objectId",
            "oid",
            "rowid",
        ] {
            assert_eq!(PropertyName::parse(good).unwrap(), good, "{good:?}");
        }
        let long = "x".repeat(MAX_PROPERTY_NAME_CHARS + 1);
        for bad in [
            "1abc",
            "a b",
            "a\"b",
            "a;drop",
            "a-b",
            "user-token",
            "___class",
            "é",
            "a\n",
        ] {
            assert_eq!(
                PropertyName::parse(bad),
                Err(IdError::InvalidPropertyName),
                "{bad:?}"
            );
        }
        assert!(matches!(
            PropertyName::parse(long),
            Err(IdError::TooLong { .. })
        ));
        assert!(matches!(
            PropertyName::parse(""),
            Err(IdError::Empty { .. })
        ));
        assert!(PropertyName::parse("x".repeat(MAX_PROPERTY_NAME_CHARS)).is_ok());
    }

    #[test]
    fn serde_reads_through_the_parse_and_writes_plain_text() {
        let id: ObjectId = serde_json::from_str(r#""A-1""#).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""A-1""#);
        for bad in [r#""""#, r#""A\nB""#, r#"".."#, "7"] {
            assert!(
                serde_json::from_str::<ObjectId>(bad).is_err(),
                "{bad} must not read as an objectId"
            );
        }
        let name: PropertyName = serde_json::from_str(r#""phoneNumber""#).unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), r#""phoneNumber""#);
        for bad in [r#""""#, r#""a b""#, r#""___class""#, "null"] {
            assert!(
                serde_json::from_str::<PropertyName>(bad).is_err(),
                "{bad} must not read as a property name"
            );
        }
    }

    #[test]
    fn they_read_as_text_and_key_maps_looked_up_by_str() {
        let id = ObjectId::parse("A1").unwrap();
        let owned = String::from("A1");
        let borrowed: &ObjectId = &id;
        assert!(id == "A1", "ObjectId == &str");
        assert!("A1" == id, "&str == ObjectId");
        assert!(id == owned, "ObjectId == String");
        assert!(owned == id, "String == ObjectId");
        assert!(borrowed == owned, "&ObjectId == String");
        assert!(owned == borrowed, "String == &ObjectId");
        assert_eq!(&*id, "A1");
        assert_eq!(id.to_string(), "A1");
        assert_eq!(format!("{id:?}"), r#""A1""#);
        let map: HashMap<PropertyName, u8> =
            HashMap::from([(PropertyName::parse("age").unwrap(), 3)]);
        assert_eq!(map.get("age"), Some(&3));
    }
}
