//! The bearer check at the top of every API handler: a signed token, a scope, and (for
//! organization resources) the organization's policy and membership.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use keygate_core::bearer::{check_bearer, BearerError};
use keygate_core::credentials::AccessClaims;
use keygate_core::directory::{self, OrgAccess, ProjectAccess};
use keygate_core::model::User;

use super::error::ApiError;
use crate::state::AppState;

/// The raw bearer credential of a request and how a refusal should be answered.
pub(crate) struct BearerToken {
    token: Option<String>,
    suppress_redirect: bool,
    /// The `api-version` the request asked for (query or `Accept` header), checked and echoed
    /// in the response's content type.
    pub api_version: Option<String>,
}

impl FromRequestParts<AppState> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| rest.trim().to_owned())
            })
            .filter(|t| !t.is_empty());
        let suppress_header = parts
            .headers
            .get("x-tfs-fedauthredirect")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("suppress"));
        let suppress_method =
            matches!(parts.method, Method::PATCH | Method::HEAD | Method::OPTIONS);
        let api_version = super::version::requested(&parts.uri, &parts.headers)?;
        Ok(Self {
            token,
            suppress_redirect: suppress_header || suppress_method,
            api_version,
        })
    }
}

impl BearerToken {
    fn unusable(&self) -> ApiError {
        ApiError::SignInRequired {
            suppress_redirect: self.suppress_redirect,
        }
    }

    /// Checks the token for `scope`, with no storage round trip.
    pub(crate) fn require(
        &self,
        state: &AppState,
        scope: &str,
        org: Option<&str>,
    ) -> Result<AccessClaims, ApiError> {
        let token = self.token.as_deref().ok_or_else(|| self.unusable())?;
        check_bearer(&state.kg, token, scope, org).map_err(|e| match e {
            BearerError::Unusable => self.unusable(),
            BearerError::Unauthorized(user) => ApiError::Unauthorized(user),
        })
    }

    /// Checks the token and returns its (still existing) user.
    pub(crate) async fn require_user(
        &self,
        state: &AppState,
        scope: &str,
    ) -> Result<User, ApiError> {
        let claims = self.require(state, scope, None)?;
        Ok(directory::token_user(&state.kg, claims.nameid).await?)
    }

    /// Checks the token for an organization's resource: policy, scope and membership. An
    /// unknown organization answers like one the user may not see.
    pub(crate) async fn require_org(
        &self,
        state: &AppState,
        scope: &str,
        org_name: &str,
    ) -> Result<OrgAccess, ApiError> {
        let claims = self.require(state, scope, Some(org_name))?;
        Ok(directory::member_org(&state.kg, claims.nameid, org_name).await?)
    }

    /// As [`Self::require_org`], and the named project of that organization.
    pub(crate) async fn require_project(
        &self,
        state: &AppState,
        scope: &str,
        org_name: &str,
        project_name: &str,
    ) -> Result<ProjectAccess, ApiError> {
        let claims = self.require(state, scope, Some(org_name))?;
        Ok(directory::member_project(&state.kg, claims.nameid, org_name, project_name).await?)
    }
}
