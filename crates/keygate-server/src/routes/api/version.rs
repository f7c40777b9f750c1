//! The `api-version` a REST call asks for: read from the query string or, as Microsoft's SDKs
//! send it, from the `Accept` header (`application/json;api-version=7.1-preview.3`), and checked
//! against the versions Keygate serves the way the hosted service checks it.

use axum::http::{header, HeaderMap, Uri};

use super::error::ApiError;

/// The newest REST API version Keygate serves (`maxVersion` of every resource location).
pub(crate) const MAX_VERSION: (u32, u32) = (7, 2);
/// The newest released (non-preview) version (`releasedVersion`).
pub(crate) const RELEASED_VERSION: &str = "7.1";
/// The oldest version served (`minVersion`): at most 7.0, or the Python SDK sends none.
pub(crate) const MIN_VERSION: &str = "1.0";

/// The `api-version` of a request, as given: the query string wins over the `Accept` header.
/// `Ok(None)` when neither names one (fine on a GET); an error when the value is malformed or
/// newer than [`MAX_VERSION`].
pub(crate) fn requested(uri: &Uri, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let from_query = uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
            .map(|(_, v)| v.into_owned())
    });
    let Some(version) = from_query.or_else(|| from_accept(headers)) else {
        return Ok(None);
    };
    check(&version)?;
    Ok(Some(version))
}

/// The `api-version` parameter of any media range in the `Accept` header.
fn from_accept(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .filter_map(|param| param.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("api-version"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}

/// `{major}.{minor}` with an optional `-preview` or `-preview.{n}`, within the served range.
fn check(version: &str) -> Result<(), ApiError> {
    let invalid = || ApiError::InvalidApiVersion(version.chars().take(64).collect());
    let (number, stage) = match version.split_once('-') {
        Some((number, stage)) => (number, Some(stage)),
        None => (version, None),
    };
    if let Some(stage) = stage {
        let rest = stage
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("preview"))
            .map(|_| &stage[7..])
            .ok_or_else(invalid)?;
        if !rest.is_empty() {
            let n = rest.strip_prefix('.').ok_or_else(invalid)?;
            if n.is_empty() || n.len() > 4 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
        }
    }
    let (major, minor) = number.split_once('.').ok_or_else(invalid)?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return Err(invalid());
    }
    let parsed: (u32, u32) = (
        major.parse().map_err(|_| invalid())?,
        minor.parse().map_err(|_| invalid())?,
    );
    if parsed > MAX_VERSION || parsed < (1, 0) {
        return Err(ApiError::VersionOutOfRange(number.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_accept(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        h
    }

    #[test]
    fn the_sdks_accept_header_names_the_version() {
        let uri: Uri = "/x".parse().unwrap();
        for v in [
            "7.1-preview.3",
            "7.0",
            "7.2-preview.1",
            "3.2-preview.3",
            "7.1-preview",
        ] {
            let h = with_accept(&format!("application/json;api-version={v}"));
            assert_eq!(requested(&uri, &h).unwrap().as_deref(), Some(v));
        }
    }

    #[test]
    fn the_query_string_wins_over_the_accept_header() {
        let uri: Uri = "/x?api-version=7.1".parse().unwrap();
        let h = with_accept("application/json; api-version=7.0");
        assert_eq!(requested(&uri, &h).unwrap().as_deref(), Some("7.1"));
    }

    #[test]
    fn no_version_is_fine() {
        let uri: Uri = "/x".parse().unwrap();
        assert_eq!(
            requested(&uri, &with_accept("application/json")).unwrap(),
            None
        );
    }

    #[test]
    fn malformed_versions_are_refused_as_invalid() {
        for v in [
            "abc",
            "7",
            "7.",
            ".1",
            "7.1-beta",
            "7.1-preview.",
            "7.1-preview.x",
            "7.1.2",
            "-7.1",
        ] {
            let uri: Uri = format!("/x?api-version={v}").parse().unwrap();
            assert!(
                matches!(
                    requested(&uri, &HeaderMap::new()),
                    Err(ApiError::InvalidApiVersion(_))
                ),
                "{v}"
            );
        }
    }

    #[test]
    fn versions_newer_than_served_are_out_of_range() {
        for v in ["7.3", "8.0", "8.0-preview.1", "0.9"] {
            let uri: Uri = format!("/x?api-version={v}").parse().unwrap();
            assert!(
                matches!(
                    requested(&uri, &HeaderMap::new()),
                    Err(ApiError::VersionOutOfRange(_))
                ),
                "{v}"
            );
        }
    }
}
