//! `GET`/`POST /oauth2/logout`, the `end_session_endpoint` (OpenID Connect RP-Initiated Logout
//! 1.0): ends the browser session and returns to a post-logout URI registered on the app. An
//! `id_token_hint` naming the signed-in user signs them out at once; otherwise they are asked,
//! with a CSRF-protected form, so a link from elsewhere cannot sign anyone out.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use keygate_core::accounts;
use keygate_core::oidc::logout::{plan_logout, LogoutError, LogoutRequest};

use crate::csrf;
use crate::error::{error_page, PageError};
use crate::forms::FormFields;
use crate::headers::sensitive;
use crate::pages::{render, ConfirmPage};
use crate::routes::nav;
use crate::session::{clear_cookie, cookie_value, session_user, SESSION_COOKIE};
use crate::state::AppState;

/// Where logout is served.
pub(crate) const LOGOUT_PATH: &str = "/oauth2/logout";

/// The logout parameters: the query, and on POST the form body (which wins).
fn request(query: &FormFields, body: &FormFields) -> LogoutRequest {
    let get = |k: &str| body.get(k).or(query.get(k)).map(str::to_owned);
    LogoutRequest {
        id_token_hint: get("id_token_hint"),
        client_id: get("client_id"),
        post_logout_redirect_uri: get("post_logout_redirect_uri"),
        state: get("state"),
    }
}

/// RP-initiated logout, by GET or POST.
pub(crate) async fn end_session(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query_text = query.unwrap_or_default();
    let query = FormFields::parse(query_text.as_bytes());
    let body = if method == Method::POST {
        FormFields::parse(&body)
    } else {
        FormFields::default()
    };
    let plan = match plan_logout(&state.kg, &state.base(), &request(&query, &body)).await {
        Ok(plan) => plan,
        Err(LogoutError::Store(e)) => return PageError::from(e).into_response(),
        Err(e) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "This sign-out request is not valid",
                e.to_string(),
            )
        }
    };
    let user = match session_user(&state, &headers).await {
        Ok(user) => user,
        Err(e) => return PageError::from(e).into_response(),
    };
    let confirmed = method == Method::POST && csrf::verify(&state, &headers, body.get("csrf"));
    if let Some(user) = &user {
        if !plan.names(user) && !confirmed {
            // Ask first: the request does not prove it comes for this user.
            let (nav, cookies) = nav(&state, &headers, Some(user));
            let page = ConfirmPage {
                nav,
                title: "Sign out of Keygate?".into(),
                message: "An application asks to sign you out of Keygate in this browser.".into(),
                action: format!("{LOGOUT_PATH}?{query_text}"),
                confirm_label: "Sign out",
                cancel_url: "/".into(),
            };
            return (sensitive(), AppendHeaders(cookies), render(&page)).into_response();
        }
        if let Some(session) = cookie_value(&headers, SESSION_COOKIE) {
            if let Err(e) = accounts::end_session(&state.kg, &session).await {
                return PageError::from(e).into_response();
            }
        }
        tracing::info!(user.id = %user.id, "signed out by the application");
    }
    let to = plan.redirect.unwrap_or_else(|| "/".to_owned());
    (
        StatusCode::SEE_OTHER,
        sensitive(),
        [
            (header::LOCATION, to),
            (header::SET_COOKIE, clear_cookie(&state, SESSION_COOKIE)),
        ],
    )
        .into_response()
}
