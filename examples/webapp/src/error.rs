//! Everything that can go wrong in a page, and its one mapping to a readable error page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keygate_client::{Error as ClientError, ErrorCode};

use crate::pages::{render, ErrorPage};

/// What went wrong while serving a page.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// The user pressed Deny on the consent page.
    #[error("access denied")]
    AccessDenied {
        /// The server's `error_description`, if any.
        description: Option<String>,
    },
    /// The callback's `state` is unknown to this browser's session, or was already used.
    #[error("the callback's state is unknown or already used")]
    StateMismatch,
    /// A page that needs tokens, but this browser has none.
    #[error("not signed in")]
    NotSignedIn,
    /// A form without this session's CSRF token.
    #[error("the form did not come from this app")]
    Csrf,
    /// No such page.
    #[error("not found")]
    NotFound,
    /// A page asked for with the wrong method (a bookmarked form target, say).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The authorization server or the API refused or failed.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl AppError {
    /// Reads a client error, singling out Deny and a state mismatch.
    pub(crate) fn from_client(e: ClientError) -> Self {
        match e {
            ClientError::OAuth(o) if o.code == ErrorCode::AccessDenied => AppError::AccessDenied {
                description: o.description,
            },
            ClientError::StateMismatch => AppError::StateMismatch,
            other => AppError::Client(other),
        }
    }

    /// The server's own words, shown under the message.
    fn detail(&self) -> Option<String> {
        match self {
            AppError::AccessDenied { description } => description.clone(),
            _ => None,
        }
    }

    fn page(&self) -> (StatusCode, &'static str, String) {
        match self {
            AppError::AccessDenied { .. } => (
                StatusCode::FORBIDDEN,
                "Access denied",
                "You chose not to let this app use your account, so it has no access to it. \
                 Press Authorize again if that was a mistake."
                    .into(),
            ),
            AppError::StateMismatch => (
                StatusCode::BAD_REQUEST,
                "This sign-in cannot be completed",
                "The answer from the authorization server does not belong to a sign-in started \
                 in this browser, or it was already used. Start again from the home page."
                    .into(),
            ),
            AppError::NotSignedIn => (
                StatusCode::UNAUTHORIZED,
                "Not signed in",
                "Authorize this app first: it has no token for this browser yet.".into(),
            ),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "The form has expired",
                "The form did not come from this page. Go back, reload it, and try again.".into(),
            ),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is no such page.".into(),
            ),
            AppError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "This page cannot be opened that way",
                "It is the target of a button. Go back to the page with the button and press it."
                    .into(),
            ),
            AppError::Client(e) => client_page(e),
        }
    }
}

fn client_page(e: &ClientError) -> (StatusCode, &'static str, String) {
    match e {
        ClientError::OAuth(o) => (
            StatusCode::BAD_GATEWAY,
            "The authorization server refused",
            format!(
                "{} (error {}, {}).",
                o.description
                    .as_deref()
                    .unwrap_or("No description was given"),
                o.error,
                o.code
            ),
        ),
        e if e.needs_authorization() => (
            StatusCode::UNAUTHORIZED,
            "Authorize again",
            format!("The token is no longer accepted: {e}"),
        ),
        ClientError::Transport(_) => (
            StatusCode::BAD_GATEWAY,
            "The server could not be reached",
            format!("{e}"),
        ),
        other => (
            StatusCode::BAD_GATEWAY,
            "Something went wrong",
            other.to_string(),
        ),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message) = self.page();
        let detail = self.detail();
        if status.is_server_error() {
            tracing::warn!(error = %self, "a page failed");
        } else {
            tracing::info!(error = %self, "a page was refused");
        }
        (
            status,
            render(&ErrorPage {
                title,
                message: &message,
                detail: detail.as_deref(),
            }),
        )
            .into_response()
    }
}
