//! The typed user record, its schema, parsing of edits and the diff. Pure: no egui, no I/O.
//!
//! - [`schema`]: property types, access (system read-only, `password` write-only) and identity.
//! - [`value`]: typed values, editor text and parsing of edits.
//! - [`geometry`]: geometry values as WKT text, validated.
//! - [`ids`]: parsed objectIds and property names.
//! - [`record`]: a user record kept exactly as received.
//! - [`diff`]: the changed, editable properties as an update body.
//! - [`merge`]: the three-way merge of a save that raced another writer.
//! - [`registration`]: the fields a registration asks for and their typed values.

pub mod diff;
pub mod geometry;
pub mod ids;
pub mod merge;
pub mod record;
pub mod registration;
pub mod schema;
#[cfg(test)]
pub(crate) mod test_fixtures;
pub mod value;

pub use diff::{Changeset, diff};
pub use ids::{IdError, ObjectId, PropertyName};
pub use record::{RecordError, UserRecord};
pub use schema::{Access, Property, PropertyType, SYSTEM_PROPERTIES, Schema};
pub use value::{EditError, Value, format_datetime_local, format_datetime_utc, parse_edit};
