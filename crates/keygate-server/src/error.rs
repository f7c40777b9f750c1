//! Page errors and their one mapping to responses. Internal causes are logged once, never shown.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use keygate_core::apps::AppError;
use keygate_core::directory::OwnedOrgError;
use keygate_core::StoreError;

use crate::pages::{render, ErrorPage};

/// What can go wrong while serving an HTML page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
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
            AppError::NotFound => PageError::NotFound,
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
        let mut response = (
            status,
            render(&ErrorPage {
                nav: Default::default(),
                title,
                message: &message,
            }),
        )
            .into_response();
        if let PageError::TooManyRequests { retry_after } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
