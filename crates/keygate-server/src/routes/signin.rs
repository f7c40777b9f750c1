//! Sign-in and sign-out pages (`/_signin`, `/_signout`).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use keygate_core::accounts::{self, SignIn};

use super::nav;
use crate::csrf;
use crate::error::PageError;
use crate::forms::FormFields;
use crate::pages::{render, ErrorSummary, HomePage, SignInPage};
use crate::session::{
    clear_cookie, cookie_value, set_cookie, MaybeUser, PRE_SESSION_COOKIE, SESSION_COOKIE,
};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/_signin", get(sign_in_form).post(sign_in))
        .route("/_signout", post(sign_out))
}

/// Only a same-origin path may be returned to; anything else falls back to `/`.
pub(crate) fn safe_return_url(raw: Option<&str>) -> String {
    match raw {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(user): MaybeUser,
) -> Response {
    let (nav, cookies) = nav(&state, &headers, user.as_ref());
    (cookies_map(cookies), render(&HomePage { nav })).into_response()
}

fn cookies_map(
    cookies: Vec<(header::HeaderName, String)>,
) -> axum::response::AppendHeaders<Vec<(header::HeaderName, String)>> {
    axum::response::AppendHeaders(cookies)
}

async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    MaybeUser(user): MaybeUser,
) -> Response {
    let q = FormFields::parse(query.unwrap_or_default().as_bytes());
    let return_url = safe_return_url(q.get("returnUrl"));
    let (nav, cookies) = nav(&state, &headers, user.as_ref());
    (
        cookies_map(cookies),
        render(&SignInPage {
            nav,
            return_url,
            // OpenID Connect `login_hint`, passed on by the authorization endpoint.
            email: q.get("login_hint").unwrap_or_default().to_owned(),
            summary: ErrorSummary::default(),
        }),
    )
        .into_response()
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    addr: crate::origin::ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let return_url = safe_return_url(form.get("returnUrl"));
    let email = form.text("email");
    let kg = state.acting(keygate_core::model::Actor::Anonymous, addr);
    let outcome = accounts::sign_in(&kg, &email, form.get("password").unwrap_or_default()).await?;
    match outcome {
        SignIn::SignedIn { session, user } => {
            tracing::info!(user.id = %user.id, "signed in");
            // A fresh session id on every sign-in: no session fixation.
            let mut response = Redirect::to(&return_url).into_response();
            let h = response.headers_mut();
            for cookie in [
                set_cookie(
                    &state,
                    SESSION_COOKIE,
                    &session,
                    Some(state.kg.lifetimes.session),
                ),
                clear_cookie(&state, PRE_SESSION_COOKIE),
            ] {
                if let Ok(v) = cookie.parse() {
                    h.append(header::SET_COOKIE, v);
                }
            }
            Ok(response)
        }
        SignIn::Refused => {
            tracing::info!("sign-in failed");
            state.metrics.sign_in_failed();
            let (nav, cookies) = nav(&state, &headers, None);
            Ok((
                StatusCode::OK,
                cookies_map(cookies),
                render(&SignInPage {
                    nav,
                    return_url,
                    email,
                    summary: ErrorSummary::one(
                        "email",
                        "The email address or password is incorrect.",
                    ),
                }),
            )
                .into_response())
        }
        SignIn::Throttled { retry_after } => Err(PageError::TooManyRequests { retry_after }),
    }
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    if let Some(value) = cookie_value(&headers, SESSION_COOKIE) {
        accounts::end_session(&state.kg, &value).await?;
    }
    let mut response = Redirect::to("/").into_response();
    if let Ok(v) = clear_cookie(&state, SESSION_COOKIE).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_return_url;

    #[test]
    fn only_same_origin_paths_are_returned_to() {
        assert_eq!(safe_return_url(Some("/app/register")), "/app/register");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "",
        ] {
            assert_eq!(safe_return_url(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_url(None), "/");
    }
}
