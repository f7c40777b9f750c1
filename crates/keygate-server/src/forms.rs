//! Form and query parsing: lenient where real clients are odd (`+` for spaces, empty fields,
//! content types with a charset), and never producing axum's default text error for a bad body.
//! A repeated field is remembered, so the OAuth endpoints can refuse it (RFC 6749 §3.1: request
//! parameters MUST NOT be included more than once).

use std::collections::HashMap;

use axum::http::{header, HeaderMap};

/// Parsed `application/x-www-form-urlencoded` pairs; the first value of a repeated key is kept,
/// and the keys that repeat are remembered ([`FormFields::repeated`]).
#[derive(Debug, Default, Clone)]
pub struct FormFields {
    fields: HashMap<String, String>,
    /// Keys sent more than once, in the order they first repeated.
    repeated: Vec<String>,
}

impl FormFields {
    /// Parses a body or query string.
    pub fn parse(bytes: &[u8]) -> Self {
        let mut fields = HashMap::new();
        let mut repeated: Vec<String> = Vec::new();
        for (k, v) in form_urlencoded::parse(bytes) {
            match fields.entry(k.into_owned()) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(v.into_owned());
                }
                std::collections::hash_map::Entry::Occupied(first) => {
                    if !repeated.contains(first.key()) {
                        repeated.push(first.key().clone());
                    }
                }
            }
        }
        Self { fields, repeated }
    }

    /// A field's value, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// Every field with its (first) value, sorted by name.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs: Vec<(&str, &str)> = self
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.sort_unstable();
        pairs
    }

    /// The first field that was sent more than once, if any.
    pub fn repeated(&self) -> Option<&str> {
        self.repeated.first().map(String::as_str)
    }

    /// The first of `keys` that was sent more than once, if any (other repeated fields are
    /// someone else's business).
    pub fn repeated_among(&self, keys: &[&str]) -> Option<&str> {
        self.repeated
            .iter()
            .map(String::as_str)
            .find(|k| keys.contains(k))
    }

    /// A field's value, or empty.
    pub fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_owned()
    }

    /// Every value of a repeated field (checkbox groups), in order.
    pub fn all(bytes: &[u8], key: &str) -> Vec<String> {
        form_urlencoded::parse(bytes)
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .collect()
    }
}

/// Whether the request body is declared as a URL-encoded form (a `; charset=` suffix is fine).
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_a_space_and_the_first_duplicate_wins_and_is_remembered() {
        let f = FormFields::parse(b"scope=vso.work+vso.code&a=1&a=2&empty=&empty=&b=");
        assert_eq!(f.get("scope"), Some("vso.work vso.code"));
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.get("empty"), Some(""));
        assert_eq!(f.get("missing"), None);
        assert_eq!(f.repeated(), Some("a"));
        assert_eq!(f.repeated_among(&["scope", "empty"]), Some("empty"));
        assert_eq!(f.repeated_among(&["scope"]), None);
        assert_eq!(FormFields::parse(b"a=1&b=1").repeated(), None);
    }

    #[test]
    fn form_content_types_are_recognized_with_a_charset() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "Application/X-WWW-Form-Urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        assert!(is_form(&h));
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(!is_form(&h));
    }
}
