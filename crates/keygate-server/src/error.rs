//! Page errors and their one mapping to responses. Internal causes are logged once, never shown.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use keygate_core::apps::AppError;
use keygate_core::directory::OwnedOrgError;
use keygate_core::StoreError;

use crate::pages::{render, ErrorPage, Nav};
use crate::session::{cookie_value, session_user, SESSION_COOKIE};
use crate::state::AppState;

/// What can go wrong while serving an HTML page.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// Not signed in: go to sign-in and come back.
    #[error("sign-in required")]
    SignInRequired {
        /// Path to return to.
        return_url: String,
    },
    /// The form's CSRF token is missing or forged.
    #[error("the form has expired or did not come from this site")]
    Csrf,
    /// Not yours.
    #[error("you do not have access to this page")]
    Forbidden,
    /// No such thing.
    #[error("not found")]
    NotFound,
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Too many attempts.
    #[error("too many attempts")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after: i64,
    },
    /// The database is unreachable.
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// A fault on our side.
    #[error("internal error")]
    Internal,
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "database unavailable");
                PageError::Unavailable
            }
            other => {
                tracing::error!(error = %other, "store failure while serving a page");
                PageError::Internal
            }
        }
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound | AppError::CertificateNotFound => PageError::NotFound,
            AppError::NoSecret => {
                PageError::BadRequest("Public applications have no client secret.".into())
            }
            AppError::Store(s) => s.into(),
            other => {
                tracing::error!(error = %other, "app operation failed");
                PageError::Internal
            }
        }
    }
}

impl From<OwnedOrgError> for PageError {
    fn from(e: OwnedOrgError) -> Self {
        match e {
            OwnedOrgError::NotFound => PageError::NotFound,
            OwnedOrgError::NotOwner => PageError::Forbidden,
            OwnedOrgError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            PageError::SignInRequired { return_url } => {
                let target = format!(
                    "/_signin?{}",
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("returnUrl", return_url)
                        .finish()
                );
                return Redirect::to(&target).into_response();
            }
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form has expired or did not come from this site. Go back, reload the page and try again.".to_owned(),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "No access",
                "You do not have access to this page.".to_owned(),
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing at this address.".to_owned(),
            ),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m.clone()),
            PageError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Too many attempts. Try again later.".to_owned(),
            ),
            PageError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "The service is temporarily unavailable. Try again in a moment.".to_owned(),
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side. Try again later.".to_owned(),
            ),
        };
        let mut response = error_page(status, title, message);
        if let PageError::TooManyRequests { retry_after } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// An error page's words, kept on its response so [`with_visitors_header`] can render the page
/// again with the visitor's own header.
#[derive(Debug, Clone)]
struct ErrorPageWords {
    title: &'static str,
    message: String,
}

/// An error page with `status`. It is rendered with the signed-out header; a signed-in
/// visitor gets theirs from [`with_visitors_header`].
pub(crate) fn error_page(status: StatusCode, title: &'static str, message: String) -> Response {
    let mut response = (
        status,
        render(&ErrorPage {
            nav: Nav::default(),
            title,
            message: &message,
        }),
    )
        .into_response();
    response
        .extensions_mut()
        .insert(ErrorPageWords { title, message });
    response
}

/// Middleware over every route: an error page answering a request that carries a live session
/// is rendered again with that user's header (their name, their links, Sign out), so an error
/// never tells a signed-in person to sign in. Errors come from extractors and handlers that
/// know nothing of the visitor; the session is looked up only for those rare answers.
pub(crate) async fn with_visitors_header(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = cookie_value(request.headers(), SESSION_COOKIE)
        .is_some()
        .then(|| request.headers().clone());
    let response = next.run(request).await;
    let (Some(headers), Some(words)) = (headers, response.extensions().get::<ErrorPageWords>())
    else {
        return response;
    };
    let words = words.clone();
    let Ok(Some(user)) = session_user(&state, &headers).await else {
        return response;
    };
    let (nav, _) = crate::routes::nav(&state, &headers, Some(&user));
    let page = render(&ErrorPage {
        nav,
        title: words.title,
        message: &words.message,
    });
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page.0))
}
