//! Lenient form and query parsing: real clients send `+` for spaces, duplicate or empty fields,
//! and odd content types, and a bad body must never produce axum's default text error.

use std::collections::HashMap;

use axum::http::{header, HeaderMap};

/// Parsed `application/x-www-form-urlencoded` pairs; the first value of a repeated key wins.
#[derive(Debug, Default, Clone)]
pub struct FormFields(HashMap<String, String>);

impl FormFields {
    /// Parses a body or query string.
    pub fn parse(bytes: &[u8]) -> Self {
        let mut map = HashMap::new();
        for (k, v) in form_urlencoded::parse(bytes) {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Self(map)
    }

    /// A field's value, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
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
    fn plus_is_a_space_and_the_first_duplicate_wins() {
        let f = FormFields::parse(b"scope=vso.work+vso.code&a=1&a=2&empty=");
        assert_eq!(f.get("scope"), Some("vso.work vso.code"));
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.get("empty"), Some(""));
        assert_eq!(f.get("missing"), None);
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
