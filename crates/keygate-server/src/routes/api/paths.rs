//! Case-insensitive `/_apis/...` paths, as the hosted service matches them: Microsoft's SDKs build
//! paths from the location table's `area` and `resourceName` (`wit/workItems`,
//! `Profile/Profiles`, `Build/Builds`), so each fixed word after `_apis` is rewritten to the
//! spelling the router uses before routing. Names and ids (organizations, projects, `$Task`)
//! are left as sent.

use axum::extract::Request;
use axum::http::Uri;
use axum::Router;

/// The fixed path words of the REST API, as the routes spell them.
const WORDS: &[&str] = &[
    "_apis",
    "accounts",
    "build",
    "builds",
    "certificates",
    "connectionData",
    "delegatedauth",
    "git",
    "hooks",
    "me",
    "openapi.json",
    "profile",
    "profiles",
    "projects",
    "registration",
    "registrationsecret",
    "repositories",
    "resourceAreas",
    "subscriptions",
    "wiql",
    "wit",
    "workitems",
];

/// `router`, with every request's `/_apis/...` path put in the routes' spelling first.
pub(crate) fn case_insensitive(router: Router) -> Router {
    Router::new().fallback_service(tower::util::MapRequest::new(router, canonical_request))
}

fn canonical_request(mut request: Request) -> Request {
    if let Some(path) = canonical_path(request.uri().path()) {
        let rebuilt = match request.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(pq) = rebuilt.parse() {
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request
}

/// The path with the fixed words from the first `_apis` segment on in the routes' spelling;
/// `None` when nothing changes (most requests).
pub(crate) fn canonical_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let start = segments
        .iter()
        .position(|s| s.eq_ignore_ascii_case("_apis"))?;
    let mut changed = false;
    let rewritten: Vec<&str> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i < start {
                return *s;
            }
            match WORDS.iter().find(|w| w.eq_ignore_ascii_case(s)) {
                Some(w) if w != s => {
                    changed = true;
                    *w
                }
                _ => *s,
            }
        })
        .collect();
    changed.then(|| rewritten.join("/"))
}

#[cfg(test)]
mod tests {
    use super::canonical_path;

    #[test]
    fn the_sdks_spellings_reach_the_routes() {
        assert_eq!(
            canonical_path("/Org/Web/_apis/wit/workItems/5").as_deref(),
            Some("/Org/Web/_apis/wit/workitems/5")
        );
        assert_eq!(
            canonical_path("/_apis/Profile/Profiles/me").as_deref(),
            Some("/_apis/profile/profiles/me")
        );
        assert_eq!(
            canonical_path("/o/p/_APIS/Build/Builds").as_deref(),
            Some("/o/p/_apis/build/builds")
        );
        assert_eq!(
            canonical_path("/o/_apis/ResourceAreas").as_deref(),
            Some("/o/_apis/resourceAreas")
        );
    }

    #[test]
    fn names_before_apis_and_values_after_it_are_kept() {
        assert_eq!(
            canonical_path("/Wit/Builds/_apis/wit/workItems/$Task").as_deref(),
            Some("/Wit/Builds/_apis/wit/workitems/$Task")
        );
        assert_eq!(canonical_path("/o/p/_apis/wit/workitems/$Bug"), None);
        assert_eq!(canonical_path("/Profile/view"), None);
    }
}
