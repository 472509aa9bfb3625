//! The Users browser's query: quick search, advanced `where`, sort column and direction, and how they
//! become a Backendless `where` clause and `sortBy` list. Pure: no I/O.

use crate::backendless::client::FindQuery;
use crate::model::ids::ObjectId;

/// Rows per page, the Backendless maximum.
pub const PAGE_SIZE: u32 = 100;
/// The most users a role filter can show: the table filters by role with `objectId IN (…)` of the
/// role's users (Backendless has no role in `where`), and a longer list would make the `where` clause
/// too long for a URL. A role with more users is refused with a message saying so.
pub const MAX_ROLE_FILTER_USERS: usize = 200;

/// The table shows only the users holding a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFilter {
    /// The role.
    pub role: String,
    /// The objectIds of its users (from `users/role/{role}`), at most [`MAX_ROLE_FILTER_USERS`].
    pub members: Vec<ObjectId>,
}

/// One sort: a column and its direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    /// The column sorted on.
    pub column: String,
    /// Largest first.
    pub descending: bool,
}

/// What the admin is looking at: filter and sort. Any change makes the cached pages stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsersQuery {
    /// Quick search: the identity or the name contains this text (blank: no quick filter).
    pub quick: String,
    /// An advanced Backendless `where` clause, as typed (blank: none).
    pub advanced: String,
    /// The sort, if the admin clicked a column header.
    pub sort: Option<Sort>,
    /// The identity column searched by the quick search (`email` on the demo schema).
    pub identity_column: String,
    /// Only the users of this role.
    pub role: Option<RoleFilter>,
}

impl UsersQuery {
    /// An empty query searching `identity_column` and `name`.
    pub fn new(identity_column: impl Into<String>) -> Self {
        Self {
            identity_column: identity_column.into(),
            ..Self::default()
        }
    }

    /// The `where` clause sent: the quick search and the advanced clause, each parenthesised, joined by AND.
    pub fn where_clause(&self) -> Option<String> {
        let quick = quick_search_where(&self.quick, &self.identity_column);
        let advanced = Some(self.advanced.trim())
            .filter(|w| !w.is_empty())
            .map(str::to_owned);
        let role = self.role.as_ref().map(|filter| role_where(&filter.members));
        let parts: Vec<String> = [role, quick, advanced].into_iter().flatten().collect();
        match parts.len() {
            0 => None,
            1 => parts.into_iter().next(),
            _ => Some(
                parts
                    .iter()
                    .map(|p| format!("({p})"))
                    .collect::<Vec<_>>()
                    .join(" AND "),
            ),
        }
    }

    /// The `sortBy` list: the chosen column, then `objectId` so that equal values page deterministically
    /// (not after `objectId` or the identity: both are unique, and a tie-break would keep the server from
    /// walking the identity's index).
    pub fn sort_by(&self) -> Vec<String> {
        match &self.sort {
            None => Vec::new(),
            Some(sort) => {
                let direction = if sort.descending { "desc" } else { "asc" };
                let mut items = vec![format!("{} {direction}", sort.column)];
                if sort.column != "objectId" && sort.column != self.identity_column {
                    items.push("objectId asc".to_owned());
                }
                items
            }
        }
    }

    /// A header click on `column`: ascending first, then descending, then ascending again.
    pub fn toggle_sort(&mut self, column: &str) {
        self.sort = match self.sort.take() {
            Some(sort) if sort.column == column => Some(Sort {
                descending: !sort.descending,
                ..sort
            }),
            _ => Some(Sort {
                column: column.to_owned(),
                descending: false,
            }),
        };
    }

    /// The request for page `page` (of [`PAGE_SIZE`] rows), whole records.
    pub fn find_query(&self, page: usize) -> FindQuery {
        FindQuery {
            where_clause: self.where_clause(),
            sort_by: self.sort_by(),
            props: Vec::new(),
            page_size: PAGE_SIZE,
            offset: page as u64 * u64::from(PAGE_SIZE),
        }
    }
}

/// `objectId IN ('a', 'b')` for the users of a role; a role without users matches nobody.
pub fn role_where(members: &[ObjectId]) -> String {
    if members.is_empty() {
        return "objectId IN ('')".to_owned();
    }
    let ids: Vec<String> = members.iter().map(|id| quote_literal(id)).collect();
    format!("objectId IN ({})", ids.join(", "))
}

/// A SQL string literal: single quotes around, each single quote doubled.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `email LIKE '%x%' OR name LIKE '%x%'` for quick-search text `x` (trimmed); `None` when blank.
///
/// The text is quoted with [`quote_literal`], so quotes cannot end the literal. The Backendless `where`
/// dialect has no `ESCAPE` clause, so a `%` or `_` typed into the quick search keeps its LIKE meaning (any
/// text / any one character); the label under the box says so. Matching is case-insensitive on Backendless
/// (MySQL collation) and on the emulator (SQLite LIKE).
pub fn quick_search_where(text: &str, identity_column: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let pattern = quote_literal(&format!("%{text}%"));
    let identity = if identity_column.is_empty() {
        "email"
    } else {
        identity_column
    };
    Some(format!("{identity} LIKE {pattern} OR name LIKE {pattern}"))
}

/// A server's 1017 message about a `where` clause, in plain words: what is wrong and where (its column),
/// instead of the SQL parser's vocabulary. The emulator answers with `sqlparser`'s messages
/// (`Invalid where clause: sql parser error: Expected: an expression, found: EOF`,
/// `… found: ) at Line: 1, Column: 9`, `Unterminated string literal at Line: 1, Column: 8`); Backendless
/// Cloud answers with similar text. Anything not recognised is returned as it came (minus the prefixes),
/// after "The filter is not valid:".
pub fn plain_where_error(message: &str) -> String {
    let mut text = message.trim();
    for prefix in ["Invalid where clause:", "sql parser error:"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.trim_start();
        }
    }
    let (body, place) = split_location(text);
    if let Some(rest) = body.strip_prefix("Expected: ") {
        let (expected, found) = match rest.split_once(", found: ") {
            Some((expected, found)) => (expected, Some(found)),
            None => (rest, None),
        };
        let expected = match expected {
            "end of statement" => "the end of the filter, or AND / OR before another condition",
            "an expression" | "an expression:" => "a value or a column name",
            "identifier" => "a column name",
            other => other,
        };
        return match found {
            Some("EOF") | None => {
                format!("The filter ends too soon: expected {expected} at the end.")
            }
            Some(found) => format!(
                "Expected {expected}{}, but found '{found}'.",
                place.map(|p| format!(" {p}")).unwrap_or_default()
            ),
        };
    }
    if body.starts_with("Unterminated string literal") {
        return format!(
            "A quoted text{} is not closed: add the missing '.",
            place.map(|p| format!(" starting {p}")).unwrap_or_default()
        );
    }
    if let Some(token) = body
        .strip_prefix("unexpected ")
        .and_then(|rest| rest.strip_suffix(" after the condition"))
    {
        return format!(
            "Unexpected '{token}' after a complete condition: join conditions with AND or OR."
        );
    }
    match place {
        Some(place) => format!("The filter is not valid: {body} ({place})."),
        None => format!("The filter is not valid: {body}"),
    }
}

/// Splits sqlparser's ` at Line: L, Column: C` off `text`: the rest, and the place in plain words
/// (`at column C` on the first line, `at line L, column C` after it).
fn split_location(text: &str) -> (&str, Option<String>) {
    let Some(at) = text.rfind(" at Line: ") else {
        return (text, None);
    };
    let numbers = &text[at + " at Line: ".len()..];
    let Some((line, column)) = numbers.split_once(", Column: ") else {
        return (text, None);
    };
    match (line.trim().parse::<u64>(), column.trim().parse::<u64>()) {
        (Ok(1), Ok(column)) => (&text[..at], Some(format!("at column {column}"))),
        (Ok(line), Ok(column)) => (
            &text[..at],
            Some(format!("at line {line}, column {column}")),
        ),
        _ => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_errors_say_what_is_wrong_and_where_in_plain_words() {
        assert_eq!(
            plain_where_error(
                "Invalid where clause: sql parser error: Expected: an expression, found: EOF"
            ),
            "The filter ends too soon: expected a value or a column name at the end."
        );
        assert_eq!(
            plain_where_error(
                "Invalid where clause: sql parser error: Expected: an expression, found: ) at Line: 1, Column: 9"
            ),
            "Expected a value or a column name at column 9, but found ')'."
        );
        assert_eq!(
            plain_where_error(
                "Invalid where clause: sql parser error: Unterminated string literal at Line: 1, Column: 8"
            ),
            "A quoted text starting at column 8 is not closed: add the missing '."
        );
        assert_eq!(
            plain_where_error("Invalid where clause: unexpected foo after the condition"),
            "Unexpected 'foo' after a complete condition: join conditions with AND or OR."
        );
        assert_eq!(
            plain_where_error("sql parser error: Expected: ), found: x at Line: 2, Column: 3"),
            "Expected ) at line 2, column 3, but found 'x'."
        );
        // What it does not know stays as it came, without the parser's prefixes.
        assert_eq!(
            plain_where_error("Invalid where clause: longer than 8192 bytes"),
            "The filter is not valid: longer than 8192 bytes"
        );
        assert!(
            !plain_where_error("sql parser error: recursion limit exceeded").contains("sql parser")
        );
    }

    #[test]
    fn a_role_filter_is_an_in_list_joined_with_the_rest() {
        let mut q = UsersQuery {
            quick: "ann".into(),
            ..UsersQuery::new("email")
        };
        q.role = Some(RoleFilter {
            role: "Editors".into(),
            members: vec!["A1".parse().unwrap(), "B'2".parse().unwrap()],
        });
        assert_eq!(
            q.where_clause().unwrap(),
            "(objectId IN ('A1', 'B''2')) AND (email LIKE '%ann%' OR name LIKE '%ann%')"
        );
        q.quick.clear();
        q.role.as_mut().unwrap().members.clear();
        assert_eq!(q.where_clause().unwrap(), "objectId IN ('')");
    }

    #[test]
    fn blank_query_has_no_where_and_no_sort() {
        let q = UsersQuery::new("email");
        assert_eq!(q.where_clause(), None);
        assert!(q.sort_by().is_empty());
        let q = UsersQuery {
            quick: "   ".into(),
            advanced: " \t".into(),
            ..UsersQuery::new("email")
        };
        assert_eq!(q.where_clause(), None);
    }

    #[test]
    fn quick_search_quotes_single_quotes() {
        assert_eq!(
            quick_search_where(" O'Brien ", "email").unwrap(),
            "email LIKE '%O''Brien%' OR name LIKE '%O''Brien%'"
        );
        // An attempt to close the literal stays inside it.
        assert_eq!(
            quick_search_where("x' OR '1'='1", "email").unwrap(),
            "email LIKE '%x'' OR ''1''=''1%' OR name LIKE '%x'' OR ''1''=''1%'"
        );
    }

    #[test]
    fn quick_and_advanced_are_parenthesised_and_joined() {
        let q = UsersQuery {
            quick: "ali".into(),
            advanced: "age > 20 OR age IS NULL".into(),
            ..UsersQuery::new("email")
        };
        assert_eq!(
            q.where_clause().unwrap(),
            "(email LIKE '%ali%' OR name LIKE '%ali%') AND (age > 20 OR age IS NULL)"
        );
    }

    #[test]
    fn header_clicks_toggle_the_direction() {
        let mut q = UsersQuery::new("email");
        q.toggle_sort("name");
        assert_eq!(q.sort_by(), ["name asc", "objectId asc"]);
        q.toggle_sort("name");
        assert_eq!(q.sort_by(), ["name desc", "objectId asc"]);
        q.toggle_sort("name");
        assert_eq!(q.sort_by(), ["name asc", "objectId asc"]);
        q.toggle_sort("objectId");
        assert_eq!(q.sort_by(), ["objectId asc"]);
        q.toggle_sort("email");
        assert_eq!(q.sort_by(), ["email asc"]);
    }

    #[test]
    fn page_queries_use_the_maximum_page_size_and_offsets() {
        let q = UsersQuery::new("email");
        let page = q.find_query(3);
        assert_eq!((page.page_size, page.offset), (100, 300));
        assert!(page.props.is_empty());
    }
}
