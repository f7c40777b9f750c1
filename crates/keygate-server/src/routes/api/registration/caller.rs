//! Who may call the registration API: a user's OAuth access token carrying `vso.tokens` (acting
//! on that user's own apps), or an admin token from `keygate admin-token create` (any app).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use keygate_core::admin::{verify_admin_token, ADMIN_TOKEN_PREFIX};
use keygate_core::apps::Manager;
use keygate_core::bearer::check_bearer;
use keygate_core::ids::UserId;
use keygate_core::model::Actor;
use keygate_core::Keygate;

use crate::origin::ClientAddr;
use crate::routes::api::error::ApiError;
use crate::state::AppState;

/// The scope a user's token needs (delegatedAuth's `vso.tokens`).
pub(super) const REGISTRATION_SCOPE: &str = "vso.tokens";

/// An authenticated caller of the registration API.
#[derive(Debug, Clone)]
pub(super) enum Caller {
    /// A user, by their OAuth access token.
    User(UserId),
    /// An operator, by admin token id.
    Admin(String),
}

impl Caller {
    /// The audit log's actor.
    pub(super) fn actor(&self) -> Actor {
        match self {
            Caller::User(id) => Actor::User(*id),
            Caller::Admin(id) => Actor::AdminToken(id.clone()),
        }
    }

    /// Who the caller manages apps as: a user their own, an admin token every app.
    pub(super) fn manager(&self) -> Manager {
        match self {
            Caller::User(id) => Manager::Owner(*id),
            Caller::Admin(_) => Manager::Admin,
        }
    }
}

/// The caller and the use-case context acting for them.
pub(super) struct Authorized {
    /// Who.
    pub caller: Caller,
    /// The context acting for them, from their address.
    pub kg: Keygate,
}

/// 401 with `WWW-Authenticate: Bearer` and the JSON envelope: this API is for automation, so it
/// never answers with the sign-in page.
fn unauthenticated() -> ApiError {
    ApiError::SignInRequired {
        suppress_redirect: true,
    }
}

impl FromRequestParts<AppState> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(addr) = ClientAddr::from_request_parts(parts, state).await;
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
            .filter(|t| !t.is_empty())
            .ok_or_else(unauthenticated)?;
        let caller = if token.starts_with(ADMIN_TOKEN_PREFIX) {
            let admin = verify_admin_token(&state.kg, &token)
                .await?
                .ok_or_else(unauthenticated)?;
            Caller::Admin(admin.id)
        } else {
            let claims = check_bearer(&state.kg, &token, REGISTRATION_SCOPE, None)
                .map_err(|_| unauthenticated())?;
            Caller::User(claims.nameid)
        };
        let kg = state.acting(caller.actor(), addr);
        Ok(Self { caller, kg })
    }
}
