//! REST API errors and their one mapping to the hosted service's response shapes (protocol §7).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use keygate_api_types::ErrorEnvelope;
use keygate_core::directory::AccessError;
use keygate_core::ids::UserId;
use keygate_core::work_items::WorkItemError;
use keygate_core::StoreError;

const UNAUTHORIZED_TYPE: &str = "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server";

/// What can go wrong behind a bearer-protected endpoint.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// No usable token (missing, expired, malformed, wrong kind, too weak a scope).
    #[error("a usable access token is required")]
    SignInRequired {
        /// 401 JSON instead of the 203 sign-in page (`X-TFS-FedAuthRedirect: Suppress`, or
        /// PATCH/HEAD/OPTIONS).
        suppress_redirect: bool,
    },
    /// A valid token that may not open this resource (revoked, organization policy, not a
    /// member): TF400813.
    #[error("TF400813 for user {0}")]
    Unauthorized(UserId),
    /// No such resource.
    #[error("{message}")]
    NotFound {
        /// The message.
        message: String,
        /// The hosted service's `typeKey`.
        type_key: &'static str,
    },
    /// The request body or parameters are unusable.
    #[error("{0}")]
    BadRequest(String),
    /// A malformed `api-version` (the hosted service's `VssInvalidApiVersionException`).
    #[error("invalid api-version {0}")]
    InvalidApiVersion(String),
    /// An `api-version` outside the served range (`VssVersionOutOfRangeException`).
    #[error("api-version {0} is out of range")]
    VersionOutOfRange(String),
    /// The request conflicts with the resource's current state.
    #[error("{0}")]
    Conflict(String),
    /// The database is unreachable.
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// A fault on our side.
    #[error("internal error")]
    Internal,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            other => {
                tracing::error!(error = %other, "store failure behind the REST API");
                ApiError::Internal
            }
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Refused(user) => ApiError::Unauthorized(user),
            AccessError::NoSuchProject(name) => ApiError::NotFound {
                message: format!(
                    "TF200016: The following project does not exist: {name}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server."
                ),
                type_key: "ProjectDoesNotExistException",
            },
            AccessError::Store(e) => e.into(),
        }
    }
}

impl From<WorkItemError> for ApiError {
    fn from(e: WorkItemError) -> Self {
        match e {
            WorkItemError::TitleRequired => ApiError::BadRequest("TF401320: Rule Error for field Title. Error code: Required, HasValues, LimitedToValues, AllowsOldValue, InvalidEmpty.".into()),
            WorkItemError::UnknownCreator(user) => ApiError::Unauthorized(user),
            e @ (WorkItemError::UnknownType(_)
            | WorkItemError::Patch(_)
            | WorkItemError::Wiql(_)) => ApiError::BadRequest(e.to_string()),
            e @ WorkItemError::NotFound(_) => ApiError::NotFound {
                message: e.to_string(),
                type_key: "WorkItemUnauthorizedAccessException",
            },
            e @ WorkItemError::Changed => ApiError::Conflict(e.to_string()),
            WorkItemError::Store(e) => e.into(),
        }
    }
}

fn envelope(message: &str, type_name: &str, type_key: &str) -> ErrorEnvelope {
    ErrorEnvelope::new(message, type_name, type_key)
}

/// The exact TF400813 body of protocol §7.
pub(super) fn tf400813(user: &UserId) -> ErrorEnvelope {
    envelope(
        &format!("TF400813: The user '{user}' is not authorized to access this resource."),
        UNAUTHORIZED_TYPE,
        "UnauthorizedRequestException",
    )
}

const SIGN_IN_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title><link rel=\"stylesheet\" href=\"/_static/keygate.css\"></head><body><main class=\"narrow\"><div class=\"card\"><h1>Sign in</h1><p>This resource needs you to sign in. An app calling it needs a valid access token.</p><p><a class=\"button\" href=\"/_signin\">Sign in</a></p></div></main></body></html>";

fn with_bearer_challenge(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::SignInRequired { suppress_redirect: false } => {
                // The hosted service answers 203 with its sign-in page; clients detect this.
                (StatusCode::NON_AUTHORITATIVE_INFORMATION, Html(SIGN_IN_PAGE)).into_response()
            }
            ApiError::SignInRequired { suppress_redirect: true } => with_bearer_challenge(
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(envelope(
                        "TF400813: Resource not available for anonymous access. Client authentication required.",
                        UNAUTHORIZED_TYPE,
                        "UnauthorizedRequestException",
                    )),
                )
                    .into_response(),
            ),
            ApiError::Unauthorized(user) => with_bearer_challenge(
                (StatusCode::UNAUTHORIZED, axum::Json(tf400813(&user))).into_response(),
            ),
            ApiError::NotFound { message, type_key } => (
                StatusCode::NOT_FOUND,
                axum::Json(envelope(
                    &message,
                    &format!("Microsoft.TeamFoundation.Core.WebApi.{type_key}, Microsoft.TeamFoundation.Core.WebApi"),
                    type_key,
                )),
            )
                .into_response(),
            ApiError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                axum::Json(envelope(
                    &message,
                    "System.ArgumentException, mscorlib",
                    "ArgumentException",
                )),
            )
                .into_response(),
            ApiError::InvalidApiVersion(version) => (
                StatusCode::BAD_REQUEST,
                axum::Json(envelope(
                    &format!("The api-version '{version}' is not valid. Specify it as {{Major}}.{{Minor}}, optionally followed by -preview or -preview.{{ResourceVersion}}, for example 7.1 or 7.2-preview.1."),
                    "Microsoft.VisualStudio.Services.WebApi.VssInvalidApiVersionException, Microsoft.VisualStudio.Services.WebApi",
                    "VssInvalidApiVersionException",
                )),
            )
                .into_response(),
            ApiError::VersionOutOfRange(version) => (
                StatusCode::BAD_REQUEST,
                axum::Json(envelope(
                    &format!("The requested REST API version of {version} is out of range for this server. The latest REST API version this server supports is {}.{}.", super::version::MAX_VERSION.0, super::version::MAX_VERSION.1),
                    "Microsoft.VisualStudio.Services.WebApi.VssVersionOutOfRangeException, Microsoft.VisualStudio.Services.WebApi",
                    "VssVersionOutOfRangeException",
                )),
            )
                .into_response(),
            ApiError::Conflict(message) => (
                StatusCode::CONFLICT,
                axum::Json(envelope(
                    &message,
                    "System.InvalidOperationException, mscorlib",
                    "InvalidOperationException",
                )),
            )
                .into_response(),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(envelope(
                    "The service is temporarily unavailable.",
                    "Microsoft.TeamFoundation.Framework.Server.ServiceUnavailableException",
                    "ServiceUnavailableException",
                )),
            )
                .into_response(),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(envelope(
                    "An internal error occurred.",
                    "System.Exception, mscorlib",
                    "Exception",
                )),
            )
                .into_response(),
        }
    }
}
