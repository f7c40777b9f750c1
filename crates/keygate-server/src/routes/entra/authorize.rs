//! `GET`/`POST /{tenant}/oauth2/v2.0/authorize` and the v1 `/{tenant}/oauth2/authorize` (with
//! `resource`): checked and translated by `keygate_core::entra::authorize`, then handed to the
//! shared authorize flow (sign-in, consent, code) with a marker that keeps its redirected errors
//! in Entra's words.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use keygate_core::entra::authorize::{translate, EntraAuthorize, EntraAuthorizeError};
use keygate_core::entra::EntraErrorKind;

use super::error::page;
use crate::forms::FormFields;
use crate::origin::ClientAddr;
use crate::routes::authorize::{authorization_request, ENTRA_MARKER};
use crate::session::MaybeUser;
use crate::state::AppState;

/// Which Entra endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// v2.0: scopes name the resource.
    V2,
    /// v1: `resource` names it.
    V1,
}

/// Parameters passed on to the shared flow as they are.
const PASSED: [&str; 9] = [
    "client_id",
    "redirect_uri",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
    "login_hint",
];

/// `GET` on the v2.0 (`V1 = false`) or v1 authorize endpoint: the query is the request.
pub(super) async fn authorize_get<const V1: bool>(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    user: MaybeUser,
    addr: ClientAddr,
) -> Response {
    let fields = FormFields::parse(query.unwrap_or_default().as_bytes());
    entra_authorize(
        &state,
        &segment,
        &headers,
        &fields,
        user,
        addr,
        version(V1),
        true,
    )
    .await
}

/// `POST` on the v2.0 (`V1 = false`) or v1 authorize endpoint: the form body is the request.
pub(super) async fn authorize_post<const V1: bool>(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    user: MaybeUser,
    addr: ClientAddr,
    body: Bytes,
) -> Response {
    let fields = FormFields::parse(&body);
    entra_authorize(
        &state,
        &segment,
        &headers,
        &fields,
        user,
        addr,
        version(V1),
        false,
    )
    .await
}

fn version(v1: bool) -> Version {
    if v1 {
        Version::V1
    } else {
        Version::V2
    }
}

/// The query the shared flow gets: `response_type=code`, the translated `scope`, the passed
/// parameters and the Entra marker.
fn shared_query(fields: &FormFields, scope: &str) -> String {
    let mut shared = form_urlencoded::Serializer::new(String::new());
    shared.append_pair("response_type", "code");
    shared.append_pair("scope", scope);
    for name in PASSED {
        if let Some(value) = fields.get(name) {
            shared.append_pair(name, value);
        }
    }
    shared.append_pair(ENTRA_MARKER, "1");
    shared.finish()
}

#[allow(
    clippy::too_many_arguments,
    reason = "the extracted pieces of one request, passed on as they are"
)]
async fn entra_authorize(
    state: &AppState,
    segment: &str,
    headers: &HeaderMap,
    fields: &FormFields,
    user: MaybeUser,
    addr: ClientAddr,
    version: Version,
    by_get: bool,
) -> Response {
    if state.kg.tenant.resolve(segment).is_none() {
        return page(EntraErrorKind::TenantNotFound);
    }
    if fields
        .repeated_among(&["client_id", "redirect_uri"])
        .is_some()
    {
        return page(EntraErrorKind::MalformedRequest);
    }
    let request = EntraAuthorize {
        client_id: fields.get("client_id"),
        redirect_uri: fields.get("redirect_uri"),
        response_type: fields.get("response_type"),
        scope: fields.get("scope"),
        resource: match version {
            Version::V1 => Some(fields.get("resource").unwrap_or("")),
            Version::V2 => None,
        },
        state: fields.get("state"),
        form_post: fields.get("response_mode") == Some("form_post"),
    };
    if version == Version::V1 && fields.get("resource").is_none_or(str::is_empty) {
        return page(EntraErrorKind::MissingParameter("resource"));
    }
    let scope = match translate(&state.kg, request).await {
        Ok(scope) => scope,
        Err(EntraAuthorizeError::Page(kind)) => return page(kind),
        Err(EntraAuthorizeError::Redirect(e)) => {
            return crate::routes::oidc::deliver(e.response()).into_response()
        }
    };
    let query = shared_query(fields, &scope);
    let shared_fields = FormFields::parse(query.as_bytes());
    authorization_request(state, headers, &query, &shared_fields, user.0, addr, by_get).await
}
