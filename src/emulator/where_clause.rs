//! Backendless query parameters (`where`, `sortBy`, `props`) turned into SQL with bound parameters.
//!
//! The `where` clause is parsed by `sqlparser` (MySQL dialect, as Backendless runs on MySQL) and rebuilt from
//! the syntax tree: column names are checked against the schema and quoted, every value becomes a `?`
//! parameter. Nothing a client sends is ever pasted into SQL. Pure: no I/O.

use rusqlite::types::Value as SqlValue;
use sqlparser::ast::{BinaryOperator, Expr, UnaryOperator, Value};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::error::{EmuResult, EmulatorError};
use super::schema::{Column, ColumnType, Schema, parse_date_ms, quote_ident};

/// Longest `where` clause accepted, in bytes.
pub const MAX_WHERE_BYTES: usize = 16 * 1024;
/// Most values one clause may bind (SQLite allows 32766; this keeps one query cheap).
pub const MAX_PARAMS: usize = 2_000;
/// Most characters the `LIKE` patterns of one clause may have together. With `schema::MAX_VALUE_CHARS` this bounds
/// what matching one record costs (SQLite cannot stop a single `LIKE` midway, only between steps).
pub const MAX_LIKE_PATTERN_CHARS: usize = 1_000;
/// Deepest nesting of parentheses / `NOT` the translator follows.
const MAX_DEPTH: usize = 64;

/// SQL text with `?` placeholders and the values to bind to them, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlFragment {
    /// SQL with `?` placeholders; column names come from the schema only.
    pub sql: String,
    /// Values for the placeholders, in order.
    pub params: Vec<SqlValue>,
}

/// Translates a Backendless `where` clause into a SQL boolean expression.
/// Errors: 1017 for anything that does not parse or is outside the supported subset, 1006 for unknown columns.
pub fn translate_where(clause: &str, schema: &Schema) -> EmuResult<SqlFragment> {
    if clause.len() > MAX_WHERE_BYTES {
        return Err(EmulatorError::invalid_where(format!(
            "longer than {MAX_WHERE_BYTES} bytes"
        )));
    }
    let dialect = MySqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(clause)
        .map_err(EmulatorError::invalid_where)?;
    let expr = parser.parse_expr().map_err(EmulatorError::invalid_where)?;
    let rest = parser.peek_token();
    if rest.token != Token::EOF {
        return Err(EmulatorError::invalid_where(format!(
            "unexpected {} after the condition",
            rest.token
        )));
    }
    let mut translator = Translator {
        schema,
        params: Vec::new(),
        like_chars: 0,
    };
    let sql = translator.predicate(&expr, 0)?;
    Ok(SqlFragment {
        sql,
        params: translator.params,
    })
}

/// `ORDER BY` terms for a Backendless `sortBy` list (`col`, `col asc`, `col desc`); 1006 for anything else.
pub fn translate_sort_by(items: &[String], schema: &Schema) -> EmuResult<Vec<String>> {
    let mut terms = Vec::new();
    let mut sorted = std::collections::HashSet::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let words: Vec<&str> = item.split_whitespace().collect();
        let direction = match words.as_slice() {
            [_] => "ASC",
            [_, dir] if dir.eq_ignore_ascii_case("asc") => "ASC",
            [_, dir] if dir.eq_ignore_ascii_case("desc") => "DESC",
            _ => return Err(EmulatorError::unknown_property(item)),
        };
        let column = schema
            .queryable(words[0])
            .ok_or_else(|| EmulatorError::unknown_property(words[0]))?;
        // Text sorts ignoring case, as on Backendless (MySQL's default collation); for the identity column this
        // also lets SQLite walk its case-insensitive unique index instead of sorting.
        // A column already sorted on decides nothing more (and this bounds the ORDER BY by the schema).
        if !sorted.insert(column.name.clone()) {
            continue;
        }
        let collate = match column.column_type {
            ColumnType::String | ColumnType::Text | ColumnType::StringId => " COLLATE NOCASE",
            _ => "",
        };
        terms.push(format!(
            "{}{collate} {direction}",
            quote_ident(&column.name)
        ));
    }
    Ok(terms)
}

/// The columns a `props` list selects (`*` = all readable ones). `objectId` is always included.
/// 1006 for a name that is not a column.
pub fn select_props(items: &[String], schema: &Schema) -> EmuResult<Vec<Column>> {
    let items: Vec<&str> = items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() || items.contains(&"*") {
        let unknown = items
            .iter()
            .find(|name| **name != "*" && schema.queryable(name).is_none());
        if let Some(name) = unknown {
            return Err(EmulatorError::unknown_property(name));
        }
        return Ok(schema.readable().cloned().collect());
    }
    let mut selected: Vec<Column> = Vec::new();
    for name in std::iter::once("objectId").chain(items) {
        let column = schema
            .queryable(name)
            .ok_or_else(|| EmulatorError::unknown_property(name))?;
        if !selected.iter().any(|c| c.name == column.name) {
            selected.push(column.clone());
        }
    }
    Ok(selected)
}

/// A literal from the clause.
#[derive(Debug, Clone)]
enum Literal {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

/// One side of a comparison.
#[derive(Debug, Clone)]
enum Operand<'s> {
    Column(&'s Column),
    Literal(Literal),
}

struct Translator<'s> {
    schema: &'s Schema,
    params: Vec<SqlValue>,
    /// Characters of the `LIKE` patterns so far.
    like_chars: usize,
}

impl<'s> Translator<'s> {
    /// A boolean condition.
    fn predicate(&mut self, expr: &Expr, depth: usize) -> EmuResult<String> {
        if depth > MAX_DEPTH {
            return Err(EmulatorError::invalid_where("nested too deeply"));
        }
        match expr {
            Expr::BinaryOp {
                op: op @ (BinaryOperator::And | BinaryOperator::Or),
                ..
            } => {
                // Chains like `a AND b AND c ...` are walked iteratively, so their length costs no stack.
                let mut parts = Vec::new();
                let mut stack = vec![expr];
                while let Some(e) = stack.pop() {
                    match e {
                        Expr::BinaryOp {
                            left,
                            op: inner,
                            right,
                        } if inner == op => {
                            stack.push(right);
                            stack.push(left);
                        }
                        other => parts.push(self.predicate(other, depth + 1)?),
                    }
                }
                let joiner = if *op == BinaryOperator::And {
                    " AND "
                } else {
                    " OR "
                };
                Ok(format!("({})", parts.join(joiner)))
            }
            Expr::BinaryOp { left, op, right } => {
                let sql_op = match op {
                    BinaryOperator::Eq => "=",
                    BinaryOperator::NotEq => "<>",
                    BinaryOperator::Lt => "<",
                    BinaryOperator::LtEq => "<=",
                    BinaryOperator::Gt => ">",
                    BinaryOperator::GtEq => ">=",
                    other => {
                        return Err(EmulatorError::invalid_where(format!(
                            "operator {other} is not supported"
                        )));
                    }
                };
                let left = self.operand(left, depth + 1)?;
                let right = self.operand(right, depth + 1)?;
                let hint_left = column_type(&right);
                let hint_right = column_type(&left);
                let l = self.render(left, hint_left)?;
                let r = self.render(right, hint_right)?;
                Ok(format!("({l} {sql_op} {r})"))
            }
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => Ok(format!("(NOT {})", self.predicate(expr, depth + 1)?)),
            Expr::Nested(inner) => self.predicate(inner, depth + 1),
            Expr::IsNull(inner) => Ok(format!(
                "({} IS NULL)",
                self.render_operand(inner, None, depth)?
            )),
            Expr::IsNotNull(inner) => Ok(format!(
                "({} IS NOT NULL)",
                self.render_operand(inner, None, depth)?
            )),
            Expr::IsTrue(inner) => Ok(format!(
                "({} = 1)",
                self.render_operand(inner, None, depth)?
            )),
            Expr::IsFalse(inner) => Ok(format!(
                "({} = 0)",
                self.render_operand(inner, None, depth)?
            )),
            Expr::Like {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            }
            | Expr::ILike {
                negated,
                any: false,
                expr,
                pattern,
                escape_char: None,
            } => {
                let subject = self.render_operand(expr, None, depth)?;
                let pattern = self.operand(pattern, depth + 1)?;
                let Operand::Literal(Literal::Text(text)) = &pattern else {
                    return Err(EmulatorError::invalid_where("LIKE needs a quoted pattern"));
                };
                self.like_chars += text.chars().count();
                if self.like_chars > MAX_LIKE_PATTERN_CHARS {
                    return Err(EmulatorError::invalid_where(format!(
                        "LIKE patterns may have at most {MAX_LIKE_PATTERN_CHARS} characters in all"
                    )));
                }
                let pattern = self.render(pattern, None)?;
                let not = if *negated { "NOT " } else { "" };
                Ok(format!("({subject} {not}LIKE {pattern})"))
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let subject = self.operand(expr, depth + 1)?;
                let hint = column_type(&subject);
                let subject = self.render(subject, None)?;
                if list.is_empty() {
                    return Err(EmulatorError::invalid_where("empty IN list"));
                }
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let item = self.operand(item, depth + 1)?;
                    if matches!(item, Operand::Column(_)) {
                        return Err(EmulatorError::invalid_where("IN lists take values only"));
                    }
                    items.push(self.render(item, hint)?);
                }
                let not = if *negated { "NOT " } else { "" };
                Ok(format!("({subject} {not}IN ({}))", items.join(", ")))
            }
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let subject = self.operand(expr, depth + 1)?;
                let hint = column_type(&subject);
                let subject = self.render(subject, None)?;
                let low = self.render_operand(low, hint, depth)?;
                let high = self.render_operand(high, hint, depth)?;
                let not = if *negated { "NOT " } else { "" };
                Ok(format!("({subject} {not}BETWEEN {low} AND {high})"))
            }
            // A bare BOOLEAN column (`newsletter`) or literal (`true`) is a condition by itself.
            Expr::Identifier(_) | Expr::Value(_) => {
                let operand = self.operand(expr, depth + 1)?;
                match &operand {
                    Operand::Column(c) if c.column_type == ColumnType::Boolean => {}
                    Operand::Literal(Literal::Bool(_)) => {}
                    _ => return Err(EmulatorError::invalid_where("expected a condition")),
                }
                Ok(format!("({} = 1)", self.render(operand, None)?))
            }
            other => Err(EmulatorError::invalid_where(format!(
                "unsupported expression {other}"
            ))),
        }
    }

    fn render_operand(
        &mut self,
        expr: &Expr,
        hint: Option<ColumnType>,
        depth: usize,
    ) -> EmuResult<String> {
        let operand = self.operand(expr, depth + 1)?;
        self.render(operand, hint)
    }

    /// A column or a literal.
    fn operand(&mut self, expr: &Expr, depth: usize) -> EmuResult<Operand<'s>> {
        if depth > MAX_DEPTH {
            return Err(EmulatorError::invalid_where("nested too deeply"));
        }
        match expr {
            Expr::Identifier(ident) => {
                let column = self
                    .schema
                    .queryable(&ident.value)
                    .ok_or_else(|| EmulatorError::unknown_property(&ident.value))?;
                Ok(Operand::Column(column))
            }
            Expr::CompoundIdentifier(parts) => {
                let name: Vec<&str> = parts.iter().map(|p| p.value.as_str()).collect();
                Err(EmulatorError::unknown_property(&name.join(".")))
            }
            Expr::Value(value) => literal(&value.value).map(Operand::Literal),
            Expr::UnaryOp {
                op: op @ (UnaryOperator::Minus | UnaryOperator::Plus),
                expr,
            } => {
                let negate = *op == UnaryOperator::Minus;
                match self.operand(expr, depth + 1)? {
                    Operand::Literal(Literal::Int(i)) if negate => {
                        Ok(Operand::Literal(Literal::Int(-i)))
                    }
                    Operand::Literal(Literal::Real(f)) if negate => {
                        Ok(Operand::Literal(Literal::Real(-f)))
                    }
                    lit @ Operand::Literal(Literal::Int(_) | Literal::Real(_)) => Ok(lit),
                    _ => Err(EmulatorError::invalid_where(
                        "a sign applies to numbers only",
                    )),
                }
            }
            Expr::Nested(inner) => self.operand(inner, depth + 1),
            other => Err(EmulatorError::invalid_where(format!(
                "unsupported value {other}"
            ))),
        }
    }

    /// SQL for an operand: a quoted schema column, or `?` with the value bound. `hint` is the type of the
    /// column on the other side, so `'2024-01-01'` compares as a date with a DATETIME column.
    fn render(&mut self, operand: Operand<'_>, hint: Option<ColumnType>) -> EmuResult<String> {
        let value = match operand {
            Operand::Column(column) => return Ok(quote_ident(&column.name)),
            Operand::Literal(Literal::Null) => return Ok("NULL".to_owned()),
            Operand::Literal(Literal::Int(i)) => SqlValue::Integer(i),
            Operand::Literal(Literal::Real(f)) => SqlValue::Real(f),
            Operand::Literal(Literal::Bool(b)) => SqlValue::Integer(i64::from(b)),
            Operand::Literal(Literal::Text(text)) => match hint {
                Some(ColumnType::DateTime) => {
                    SqlValue::Integer(parse_date_ms(&text).ok_or_else(|| {
                        EmulatorError::invalid_where(format!("invalid date {text:?}"))
                    })?)
                }
                Some(ColumnType::Boolean) if text.eq_ignore_ascii_case("true") => {
                    SqlValue::Integer(1)
                }
                Some(ColumnType::Boolean) if text.eq_ignore_ascii_case("false") => {
                    SqlValue::Integer(0)
                }
                _ => SqlValue::Text(text),
            },
        };
        if self.params.len() >= MAX_PARAMS {
            return Err(EmulatorError::invalid_where(format!(
                "more than {MAX_PARAMS} values"
            )));
        }
        self.params.push(value);
        Ok("?".to_owned())
    }
}

fn column_type(operand: &Operand<'_>) -> Option<ColumnType> {
    match operand {
        Operand::Column(column) => Some(column.column_type),
        Operand::Literal(_) => None,
    }
}

fn literal(value: &Value) -> EmuResult<Literal> {
    match value {
        Value::Number(text, _) => {
            if let Ok(i) = text.parse::<i64>() {
                Ok(Literal::Int(i))
            } else {
                match text.parse::<f64>() {
                    Ok(f) if f.is_finite() => Ok(Literal::Real(f)),
                    _ => Err(EmulatorError::invalid_where(format!("bad number {text}"))),
                }
            }
        }
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Ok(Literal::Text(s.clone())),
        Value::Boolean(b) => Ok(Literal::Bool(*b)),
        Value::Null => Ok(Literal::Null),
        other => Err(EmulatorError::invalid_where(format!(
            "unsupported literal {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backendless::codes;
    use crate::emulator::schema::base_columns;

    fn schema() -> Schema {
        let mut columns = base_columns();
        columns.push(Column::user("age", ColumnType::Int, false));
        columns.push(Column::user("birthday", ColumnType::DateTime, false));
        columns.push(Column::user("newsletter", ColumnType::Boolean, false));
        Schema { columns }
    }

    fn ok(clause: &str) -> SqlFragment {
        translate_where(clause, &schema()).unwrap_or_else(|e| panic!("{clause:?}: {e}"))
    }

    fn code(clause: &str) -> i64 {
        translate_where(clause, &schema()).expect_err(clause).code()
    }

    #[test]
    fn values_become_parameters_and_columns_are_quoted() {
        let f = ok("age > 21 AND name = 'O''Brien'");
        assert_eq!(f.sql, "((\"age\" > ?) AND (\"name\" = ?))");
        assert_eq!(
            f.params,
            vec![SqlValue::Integer(21), SqlValue::Text("O'Brien".into())]
        );
    }

    #[test]
    fn the_supported_subset_parses() {
        for clause in [
            "email LIKE '%@example.com'",
            "age IN (1, 2, 3)",
            "name IS NOT NULL AND NOT (age < 18 OR age > 65)",
            "birthday > '2000-01-01'",
            "birthday <= 946684800000",
            "newsletter = true",
            "newsletter",
            "age BETWEEN 18 AND 30",
            "age >= -1.5",
            "name = \"Alice Liddell\"",
        ] {
            ok(clause);
        }
    }

    #[test]
    fn injection_attempts_are_rejected_not_executed() {
        assert_eq!(code("age > 3; DROP TABLE Users"), codes::INVALID_WHERE);
        assert_eq!(code("1=1) OR (1=1"), codes::INVALID_WHERE);
        assert_eq!(
            code("name = (SELECT password FROM Users)"),
            codes::INVALID_WHERE
        );
        assert_eq!(code("age > "), codes::INVALID_WHERE);
        assert_eq!(code("sqlite_version() = 1"), codes::INVALID_WHERE);
        // A quote inside a value is data, not syntax.
        let f = ok("name = 'x'' OR ''1''=''1'");
        assert_eq!(f.params, vec![SqlValue::Text("x' OR '1'='1".into())]);
    }

    #[test]
    fn unknown_and_secret_columns_are_1006() {
        assert_eq!(code("nosuch = 1"), codes::UNKNOWN_PROPERTY_IN_QUERY);
        assert_eq!(code("password LIKE 'a%'"), codes::UNKNOWN_PROPERTY_IN_QUERY);
        assert_eq!(code("Users.email = 'x'"), codes::UNKNOWN_PROPERTY_IN_QUERY);
    }

    #[test]
    fn long_and_chains_cost_no_stack() {
        let clause = vec!["age>1"; 1500].join(" AND ");
        let fragment = translate_where(&clause, &schema()).expect("a long AND chain is valid");
        assert_eq!(fragment.params.len(), 1500);
        let clause = format!("age IN ({})", vec!["1"; MAX_PARAMS + 1].join(","));
        assert!(clause.len() < MAX_WHERE_BYTES);
        assert_eq!(
            translate_where(&clause, &schema())
                .map(|_| ())
                .unwrap_err()
                .code(),
            codes::INVALID_WHERE
        );
    }

    #[test]
    fn like_patterns_are_limited_in_total() {
        let pattern = "a".repeat(MAX_LIKE_PATTERN_CHARS);
        ok(&format!("name LIKE '{pattern}'"));
        let long = "a".repeat(MAX_LIKE_PATTERN_CHARS + 1);
        let error = translate_where(&format!("name LIKE '{long}'"), &schema()).unwrap_err();
        assert_eq!(error.code(), codes::INVALID_WHERE);
        assert!(error.fault.message.contains("1000"), "{error}");
        let half = "a".repeat(MAX_LIKE_PATTERN_CHARS / 2 + 1);
        assert_eq!(
            code(&format!("name LIKE '{half}' OR email LIKE '{half}'")),
            codes::INVALID_WHERE
        );
    }

    #[test]
    fn sort_by_accepts_directions_and_rejects_anything_else() {
        let s = schema();
        let terms = translate_sort_by(&["age desc".into(), "name".into()], &s).unwrap();
        assert_eq!(terms, vec!["\"age\" DESC", "\"name\" COLLATE NOCASE ASC"]);
        for bad in [
            "age; drop table Users",
            "nosuch",
            "age sideways",
            "password",
        ] {
            let err = translate_sort_by(&[bad.into()], &s).unwrap_err();
            assert_eq!(err.code(), codes::UNKNOWN_PROPERTY_IN_QUERY, "{bad}");
        }
    }

    #[test]
    fn props_select_known_columns_plus_object_id() {
        let s = schema();
        let cols = select_props(&["name".into(), "age".into()], &s).unwrap();
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["objectId", "name", "age"]);
        assert!(
            select_props(&["*".into()], &s)
                .unwrap()
                .iter()
                .all(|c| c.name != "password")
        );
        assert_eq!(
            select_props(&["password".into()], &s).unwrap_err().code(),
            codes::UNKNOWN_PROPERTY_IN_QUERY
        );
        assert_eq!(
            select_props(&["name FROM x".into()], &s)
                .unwrap_err()
                .code(),
            codes::UNKNOWN_PROPERTY_IN_QUERY
        );
    }
}
