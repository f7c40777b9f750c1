//! `POST /oauth2/introspect` (RFC 7662): whether a token is active, for an authenticated
//! confidential client.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use keygate_core::oauth::introspect::{introspect, ActiveKind, Introspection};
use keygate_core::oauth::revoke::TokenHint;
use keygate_core::oauth::TokenError;
use serde::Serialize;

use super::standard_oauth::{authenticate, error};
use crate::forms::{is_form, FormFields};
use crate::headers::sensitive;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/oauth2/introspect", post(introspect_token))
}

/// RFC 7662 §2.2; everything but `active` is left out for an inactive token.
#[derive(Serialize)]
struct IntrospectionResponse {
    active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    facts: Option<Facts>,
}

#[derive(Serialize)]
struct Facts {
    scope: String,
    client_id: String,
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    iss: String,
    aud: String,
}

async fn introspect_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return error(TokenError::TokenMissing);
    }
    let form = FormFields::parse(&body);
    if form.repeated().is_some() {
        return error(TokenError::ParameterRepeated);
    }
    let answer = async {
        let client = authenticate(&state, &headers, &form).await?;
        let hint = TokenHint::parse(form.get("token_type_hint"));
        introspect(&state.kg, &client, form.get("token"), hint).await
    }
    .await;
    let issuer = state.kg.credentials.issuer().to_owned();
    let body = match answer {
        Err(e) => {
            tracing::info!(error = e.rfc_code(), "introspection refused");
            return error(e);
        }
        Ok(Introspection::Inactive) => IntrospectionResponse {
            active: false,
            facts: None,
        },
        Ok(Introspection::Active(t)) => IntrospectionResponse {
            active: true,
            facts: Some(Facts {
                scope: t.scopes.to_string(),
                client_id: t.client_id.to_upper(),
                sub: t.subject.to_string(),
                token_type: (t.kind == ActiveKind::Access).then_some("Bearer"),
                exp: t.expires_at,
                iat: t.issued_at,
                iss: issuer.clone(),
                aud: issuer,
            }),
        },
    };
    (StatusCode::OK, sensitive(), Json(body)).into_response()
}
