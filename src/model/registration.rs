//! What a registration (`POST users/register`) asks for, read from the schema, and the typed value of each
//! field parsed from what was typed. Pure. One rule for both forms that register a user: the sign-up form on
//! the login screen (`ui::account`) and the admin's "New user" form (`ui::users::create`).

use crate::model::schema::{PASSWORD, PropertyType, Schema, is_system};
use crate::model::value::parse_edit;

/// The property a schema without an identity column registers by (Backendless's default).
const DEFAULT_IDENTITY: &str = "email";

/// The fields a registration asks for, as (name, type): the identity first, then every required property
/// that has no default (the server fills those) and can be typed, in schema order. The password is asked
/// for separately.
pub fn fields(schema: &Schema) -> Vec<(String, PropertyType)> {
    let identity = schema.identity();
    let identity_name = identity.map_or(DEFAULT_IDENTITY, |p| p.name.as_str());
    let mut fields = vec![(
        identity_name.to_owned(),
        identity.map_or(PropertyType::String, |p| p.ty.clone()),
    )];
    fields.extend(
        schema
            .properties()
            .iter()
            .filter(|property| {
                property.required
                    && property.default_value.is_null()
                    && property.name != PASSWORD
                    && property.name != identity_name
                    && !is_system(&property.name)
                    && property.is_editable()
            })
            .map(|property| (property.name.to_string(), property.ty.clone())),
    );
    fields
}

/// Why a registration field's text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// Nothing (or only spaces) was typed; every registration field is required.
    Empty,
    /// Not a value of the field's type; the message says what is expected.
    Invalid(String),
}

/// The JSON value to register for `text` typed in a field of type `ty`. Text values lose their surrounding
/// spaces (an identity typed " dora@example.com " is meant without them); other types parse as typed edits.
pub fn parse(ty: &PropertyType, text: &str) -> Result<serde_json::Value, FieldProblem> {
    if text.trim().is_empty() {
        return Err(FieldProblem::Empty);
    }
    let text = if *ty == PropertyType::String {
        text.trim()
    } else {
        text
    };
    parse_edit(ty, text)
        .map(|value| value.to_json())
        .map_err(|error| FieldProblem::Invalid(error.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backendless::wire::PropertyDescriptor;

    fn schema(identity: &str) -> Schema {
        let d = |name: &str, ty: &str, required: bool, default: serde_json::Value| {
            serde_json::from_value::<PropertyDescriptor>(serde_json::json!({
                "name": name, "type": ty, "required": required, "identity": name == identity,
                "defaultValue": default,
            }))
            .unwrap()
        };
        Schema::from_descriptors(vec![
            d("email", "STRING", false, serde_json::Value::Null),
            d("username", "STRING", true, serde_json::Value::Null),
            d("age", "INT", true, serde_json::Value::Null),
            d("plan", "STRING", true, serde_json::json!("free")),
            d("nickname", "STRING", false, serde_json::Value::Null),
            d("created", "DATETIME", true, serde_json::Value::Null),
        ])
    }

    #[test]
    fn the_identity_comes_first_then_the_required_properties_without_a_default() {
        let names = |s: &Schema| fields(s).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(&schema("username")), ["username", "age"]);
        assert_eq!(names(&schema("email")), ["email", "age", "username"]);
    }

    #[test]
    fn values_parse_as_their_type_and_text_loses_its_surrounding_spaces() {
        assert_eq!(
            parse(&PropertyType::String, " dora@example.com "),
            Ok(serde_json::json!("dora@example.com"))
        );
        assert_eq!(parse(&PropertyType::Int, "41"), Ok(serde_json::json!(41)));
        assert_eq!(parse(&PropertyType::Int, "  "), Err(FieldProblem::Empty));
        assert!(matches!(
            parse(&PropertyType::Int, "4x"),
            Err(FieldProblem::Invalid(message)) if !message.is_empty()
        ));
    }
}
