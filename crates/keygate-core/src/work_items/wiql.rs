//! The subset of WIQL (the Work Item Query Language) Keygate answers: a flat query
//! `SELECT [f], ... FROM WorkItems [WHERE [f] op value [AND ...]] [ORDER BY [f] [ASC|DESC], ...]`
//! with `=`, `<>`, `>`, `<`, `>=`, `<=`, string and number literals and the `@project` and `@me`
//! macros. Anything else (OR, parentheses, IN, links queries) is refused, never guessed at.

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// Why a query is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WiqlError {
    /// The text is not WIQL this server understands.
    #[error("TF51005: The query references a construct that is not supported: {0}")]
    Unsupported(String),
    /// The text is not WIQL at all.
    #[error("TF51006: The query statement is invalid: {0}")]
    Syntax(String),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `=`
    Equal,
    /// `<>`
    NotEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
}

/// The right side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A string or number literal.
    Literal(Value),
    /// `@project`: the project the query runs in.
    Project,
    /// `@me`: the caller's display name.
    Me,
}

/// `[field] op operand`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field's reference name.
    pub field: String,
    /// How it compares.
    pub comparison: Comparison,
    /// What it is compared with.
    pub operand: Operand,
}

/// A parsed flat query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// The selected fields, as written.
    pub columns: Vec<String>,
    /// Conditions that must all hold.
    pub conditions: Vec<Condition>,
    /// Sort keys: field and whether ascending.
    pub order: Vec<(String, bool)>,
}

/// What `@project` and `@me` stand for when a query runs.
#[derive(Debug, Clone, Copy)]
pub struct Macros<'a> {
    /// `@project`.
    pub project: Option<&'a str>,
    /// `@me`.
    pub me: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Field(String),
    Word(String),
    Text(String),
    Number(f64),
    Macro(String),
    Symbol(&'static str),
}

fn tokens(text: &str) -> Result<Vec<Token>, WiqlError> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '[' => {
                chars.next();
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some((_, ']')) => break,
                        Some((_, ch)) => name.push(ch),
                        None => return Err(WiqlError::Syntax("an unclosed '['".into())),
                    }
                }
                out.push(Token::Field(name.trim().to_owned()));
            }
            '\'' | '"' => {
                let quote = c;
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, ch)) if ch == quote => {
                            if chars.peek().map(|&(_, n)| n) == Some(quote) {
                                chars.next();
                                s.push(quote);
                            } else {
                                break;
                            }
                        }
                        Some((_, ch)) => s.push(ch),
                        None => return Err(WiqlError::Syntax("an unclosed string".into())),
                    }
                }
                out.push(Token::Text(s));
            }
            ',' => {
                chars.next();
                out.push(Token::Symbol(","));
            }
            '=' => {
                chars.next();
                out.push(Token::Symbol("="));
            }
            '<' | '>' => {
                chars.next();
                let next = chars.peek().map(|&(_, n)| n);
                let symbol = match (c, next) {
                    ('<', Some('>')) => "<>",
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                if symbol.len() == 2 {
                    chars.next();
                }
                out.push(Token::Symbol(symbol));
            }
            '@' => {
                chars.next();
                let mut name = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch.is_ascii_alphanumeric() || ch == '_' {
                        name.push(ch);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Macro(name));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut s = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch.is_ascii_digit() || ch == '.' || (ch == '-' && s.is_empty()) {
                        s.push(ch);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let n = s
                    .parse::<f64>()
                    .map_err(|_| WiqlError::Syntax(format!("'{s}' is not a number")))?;
                out.push(Token::Number(n));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut s = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch.is_alphanumeric() || ch == '_' || ch == '.' {
                        s.push(ch);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(s));
            }
            other => {
                let _ = start;
                return Err(WiqlError::Unsupported(format!("the character '{other}'")));
            }
        }
        if out.len() > 1000 {
            return Err(WiqlError::Unsupported("a query this long".into()));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect_word(&mut self, word: &str) -> Result<(), WiqlError> {
        if self.is_word(word) {
            self.at += 1;
            Ok(())
        } else {
            Err(WiqlError::Syntax(format!("expected {word}")))
        }
    }

    fn field(&mut self) -> Result<String, WiqlError> {
        match self.next() {
            Some(Token::Field(f)) if !f.is_empty() => Ok(f),
            Some(Token::Word(w)) if w.contains('.') => Ok(w),
            _ => Err(WiqlError::Syntax("expected a [field]".into())),
        }
    }
}

/// Parses a WIQL text into a [`Query`].
pub fn parse(text: &str) -> Result<Query, WiqlError> {
    if text.len() > 32 * 1024 {
        return Err(WiqlError::Unsupported("a query this long".into()));
    }
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let mut query = Query::default();
    p.expect_word("SELECT")?;
    loop {
        query.columns.push(p.field()?);
        if p.peek() == Some(&Token::Symbol(",")) {
            p.at += 1;
        } else {
            break;
        }
    }
    p.expect_word("FROM")?;
    match p.next() {
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("WorkItems") => {}
        Some(Token::Word(w)) => {
            return Err(WiqlError::Unsupported(format!("FROM {w}")));
        }
        _ => return Err(WiqlError::Syntax("expected FROM WorkItems".into())),
    }
    if p.is_word("WHERE") {
        p.at += 1;
        loop {
            query.conditions.push(condition(&mut p)?);
            if p.is_word("AND") {
                p.at += 1;
            } else {
                break;
            }
        }
    }
    if p.is_word("ORDER") {
        p.at += 1;
        p.expect_word("BY")?;
        loop {
            let field = p.field()?;
            let ascending = if p.is_word("DESC") {
                p.at += 1;
                false
            } else {
                if p.is_word("ASC") {
                    p.at += 1;
                }
                true
            };
            query.order.push((field, ascending));
            if p.peek() == Some(&Token::Symbol(",")) {
                p.at += 1;
            } else {
                break;
            }
        }
    }
    match p.next() {
        None => Ok(query),
        Some(Token::Word(w)) => Err(WiqlError::Unsupported(w)),
        Some(other) => Err(WiqlError::Syntax(format!("unexpected {other:?}"))),
    }
}

fn condition(p: &mut Parser) -> Result<Condition, WiqlError> {
    let field = p.field()?;
    let comparison = match p.next() {
        Some(Token::Symbol("=")) => Comparison::Equal,
        Some(Token::Symbol("<>")) => Comparison::NotEqual,
        Some(Token::Symbol("<")) => Comparison::Less,
        Some(Token::Symbol("<=")) => Comparison::LessOrEqual,
        Some(Token::Symbol(">")) => Comparison::Greater,
        Some(Token::Symbol(">=")) => Comparison::GreaterOrEqual,
        Some(Token::Word(w)) => return Err(WiqlError::Unsupported(w)),
        _ => {
            return Err(WiqlError::Syntax(format!(
                "expected an operator after [{field}]"
            )))
        }
    };
    let operand = match p.next() {
        Some(Token::Text(s)) => Operand::Literal(Value::String(s)),
        Some(Token::Number(n)) => Operand::Literal(
            serde_json::Number::from_f64(n)
                .map(Value::Number)
                .ok_or_else(|| WiqlError::Syntax("a number out of range".into()))?,
        ),
        Some(Token::Macro(m)) if m.eq_ignore_ascii_case("project") => Operand::Project,
        Some(Token::Macro(m)) if m.eq_ignore_ascii_case("me") => Operand::Me,
        Some(Token::Macro(m)) => return Err(WiqlError::Unsupported(format!("@{m}"))),
        _ => return Err(WiqlError::Syntax(format!("expected a value for [{field}]"))),
    };
    Ok(Condition {
        field,
        comparison,
        operand,
    })
}

/// The value of `field` on an item: its stored fields, with `System.Id` from its number.
fn value_of<'a>(fields: &'a Map<String, Value>, id: &'a Value, field: &str) -> Option<&'a Value> {
    if field.eq_ignore_ascii_case("System.Id") {
        return Some(id);
    }
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(field))
        .map(|(_, v)| v)
}

/// Compares two field values as WIQL does: numbers as numbers, text ignoring case.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            let y: f64 = s.trim().parse().ok()?;
            let ordering = x.as_f64()?.partial_cmp(&y)?;
            Some(if matches!(a, Value::Number(_)) {
                ordering
            } else {
                ordering.reverse()
            })
        }
        (Value::String(x), Value::String(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl Query {
    /// Whether an item (number `id`, `fields`) meets every condition.
    pub fn matches(&self, id: i64, fields: &Map<String, Value>, macros: Macros<'_>) -> bool {
        let id = Value::from(id);
        self.conditions.iter().all(|c| {
            let expected = match &c.operand {
                Operand::Literal(v) => v.clone(),
                Operand::Project => match macros.project {
                    Some(p) => Value::String(p.to_owned()),
                    None => return false,
                },
                Operand::Me => Value::String(macros.me.to_owned()),
            };
            let actual = value_of(fields, &id, &c.field).unwrap_or(&Value::Null);
            let ordering = compare(actual, &expected);
            match c.comparison {
                Comparison::Equal => ordering == Some(Ordering::Equal),
                Comparison::NotEqual => ordering != Some(Ordering::Equal),
                Comparison::Less => ordering == Some(Ordering::Less),
                Comparison::LessOrEqual => {
                    matches!(ordering, Some(Ordering::Less | Ordering::Equal))
                }
                Comparison::Greater => ordering == Some(Ordering::Greater),
                Comparison::GreaterOrEqual => {
                    matches!(ordering, Some(Ordering::Greater | Ordering::Equal))
                }
            }
        })
    }

    /// Orders items by the query's sort keys, then by number.
    pub fn sort(&self, items: &mut [(i64, Map<String, Value>)]) {
        items.sort_by(|(a_id, a), (b_id, b)| {
            let (a_idv, b_idv) = (Value::from(*a_id), Value::from(*b_id));
            for (field, ascending) in &self.order {
                let x = value_of(a, &a_idv, field).unwrap_or(&Value::Null);
                let y = value_of(b, &b_idv, field).unwrap_or(&Value::Null);
                let ordering = compare(x, y).unwrap_or(Ordering::Equal);
                let ordering = if *ascending {
                    ordering
                } else {
                    ordering.reverse()
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            a_id.cmp(b_id)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    const MACROS: Macros<'static> = Macros {
        project: Some("Web"),
        me: "Ana",
    };

    #[test]
    fn the_sdk_subset_parses_and_filters() {
        let q = parse(
            "SELECT [System.Id], [System.Title] FROM WorkItems WHERE [System.TeamProject] = @project \
             AND [System.WorkItemType] = 'Task' AND [System.State] <> 'Closed' ORDER BY [System.Id] DESC",
        )
        .unwrap();
        assert_eq!(q.columns, vec!["System.Id", "System.Title"]);
        assert_eq!(q.conditions.len(), 3);
        assert_eq!(q.order, vec![("System.Id".to_owned(), false)]);
        let task = fields(
            json!({"System.TeamProject": "web", "System.WorkItemType": "Task", "System.State": "New"}),
        );
        let bug = fields(
            json!({"System.TeamProject": "Web", "System.WorkItemType": "Bug", "System.State": "New"}),
        );
        assert!(q.matches(1, &task, MACROS));
        assert!(!q.matches(2, &bug, MACROS));
    }

    #[test]
    fn numbers_compare_as_numbers_and_strings_escape_quotes() {
        let q = parse("select [System.Id] from workitems where [System.Id] >= 10 and [System.Title] = 'It''s'").unwrap();
        assert!(q.matches(12, &fields(json!({"System.Title": "it's"})), MACROS));
        assert!(!q.matches(9, &fields(json!({"System.Title": "It's"})), MACROS));
    }

    #[test]
    fn sorting_follows_the_order_by_then_the_id() {
        let q = parse("SELECT [System.Id] FROM WorkItems ORDER BY [System.Title] ASC").unwrap();
        let mut items = vec![
            (3, fields(json!({"System.Title": "b"}))),
            (1, fields(json!({"System.Title": "B"}))),
            (2, fields(json!({"System.Title": "a"}))),
        ];
        q.sort(&mut items);
        let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, vec![2, 1, 3]);
    }

    #[test]
    fn constructs_outside_the_subset_are_refused() {
        for text in [
            "SELECT [System.Id] FROM WorkItems WHERE [System.State] = 'New' OR [System.State] = 'Done'",
            "SELECT [System.Id] FROM WorkItemLinks",
            "SELECT [System.Id] FROM WorkItems WHERE ([System.Id] = 1)",
            "SELECT [System.Id] FROM WorkItems WHERE [System.Id] IN (1, 2)",
            "SELECT [System.Id] FROM WorkItems WHERE [System.AreaPath] UNDER 'x'",
            "SELECT [System.Id] FROM WorkItems WHERE [System.Id] = @today",
            "SELECT FROM WorkItems",
            "DELETE FROM WorkItems",
            "SELECT [System.Id FROM WorkItems",
            "SELECT [System.Id] FROM WorkItems WHERE [System.Title] = 'open",
            "",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,200}") {
                let _ = parse(&text);
            }

            #[test]
            fn generated_flat_queries_parse_and_keep_their_conditions(
                conditions in proptest::collection::vec(
                    ("[A-Z][a-z]{0,6}\\.[A-Z][a-z]{0,6}", prop_oneof![Just("="), Just("<>"), Just(">="), Just("<")], "[a-zA-Z ']{0,10}"),
                    0..5,
                ),
                descending in any::<bool>(),
            ) {
                let mut text = "SELECT [System.Id] FROM WorkItems".to_owned();
                for (i, (field, op, value)) in conditions.iter().enumerate() {
                    text.push_str(if i == 0 { " WHERE " } else { " AND " });
                    text.push_str(&format!("[{field}] {op} '{}'", value.replace('\'', "''")));
                }
                text.push_str(if descending { " ORDER BY [System.Id] DESC" } else { " ORDER BY [System.Id]" });
                let query = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
                prop_assert_eq!(query.conditions.len(), conditions.len());
                for (c, (field, _, value)) in query.conditions.iter().zip(&conditions) {
                    prop_assert_eq!(&c.field, field);
                    prop_assert_eq!(&c.operand, &Operand::Literal(Value::String(value.clone())));
                }
                prop_assert_eq!(query.order, vec![("System.Id".to_owned(), !descending)]);
            }
        }
    }
}
