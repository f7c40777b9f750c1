//! Who is asking and from where: the peer address of a request, and the use-case context acting
//! for a user, so the audit log records both.

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use keygate_core::audit::Origin;
use keygate_core::ids::UserId;
use keygate_core::model::Actor;
use keygate_core::Keygate;

use crate::state::AppState;

/// The client address of the request: the connection's peer, or behind a trusted proxy the
/// address it forwarded (see `forwarded.rs`); `None` only when the router was served without
/// connection info. Never fails.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(crate::forwarded::of_request(&parts.extensions)))
    }
}

impl AppState {
    /// The use-case context acting for `actor` from `addr`.
    pub fn acting(&self, actor: Actor, addr: ClientAddr) -> Keygate {
        self.kg.acting_as(Origin::new(actor, addr.0))
    }

    /// The use-case context acting for the signed-in `user` from `addr`.
    pub fn acting_user(&self, user: UserId, addr: ClientAddr) -> Keygate {
        self.acting(Actor::User(user), addr)
    }
}
