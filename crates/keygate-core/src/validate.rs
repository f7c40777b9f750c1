//! Input rules shared by the pages, the CLI and the API: emails, names, URLs.

use url::Url;

/// Normalizes and checks an email address: trimmed, lower-cased, one `@`, a dot in the domain.
pub fn email(raw: &str) -> Result<String, &'static str> {
    let e = raw.trim().to_ascii_lowercase();
    let Some((local, domain)) = e.split_once('@') else {
        return Err("must be an email address like name@example.com");
    };
    let ok = !local.is_empty()
        && e.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err("must be an email address like name@example.com")
    }
}

/// A required single-line text of at most `max` characters.
pub fn required_text(raw: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("is required".into());
    }
    optional_text(t, max)
}

/// An optional single-line text of at most `max` characters.
pub fn optional_text(raw: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

/// A name usable in URL paths (organizations, projects): letters, digits, `-`, `_`, `.`.
pub fn path_name(raw: &str) -> Result<String, &'static str> {
    let n = raw.trim();
    let ok = !n.is_empty()
        && n.len() <= 64
        && !n.starts_with(['.', '-', '_'])
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(n.to_owned())
    } else {
        Err("must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit")
    }
}

/// Whether a host is this machine, where plain http and https both count as local development.
pub fn is_loopback_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
}

/// An absolute web URL; `https` unless `allow_http`. Empty input is allowed when `optional`.
pub fn web_url(raw: &str, optional: bool, allow_http: bool) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return if optional {
            Ok(String::new())
        } else {
            Err("is required".into())
        };
    }
    if t.len() > 2048 {
        return Err("must be at most 2048 characters".into());
    }
    let url = Url::parse(t).map_err(|_| "must be an absolute URL".to_string())?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err("must start with https://".into()),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if url.fragment().is_some() {
        return Err("must not contain a #fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".into());
    }
    Ok(t.to_owned())
}

/// An authorization callback URL (protocol §2): https, or http only with the dev switch.
pub fn callback_url(raw: &str, allow_http: bool) -> Result<String, String> {
    web_url(raw, false, allow_http)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(email(" Ana@Example.COM ").unwrap(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@x.com", "a@b", "a b@c.com", "a@@b.com"] {
            assert!(email(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn callbacks_must_be_https_unless_allowed() {
        assert!(callback_url("https://localhost:5001/cb", false).is_ok());
        assert!(callback_url("http://localhost:5001/cb", false).is_err());
        assert!(callback_url("http://localhost:5001/cb", true).is_ok());
        assert!(callback_url("https://a.example/cb#x", false).is_err());
        assert!(callback_url("javascript:alert(1)", true).is_err());
        assert!(callback_url("", false).is_err());
    }

    #[test]
    fn path_names_refuse_slashes_and_spaces() {
        assert!(path_name("Fabrikam-Fiber").is_ok());
        assert!(path_name("a/b").is_err());
        assert!(path_name("a b").is_err());
        assert!(path_name("").is_err());
    }
}
