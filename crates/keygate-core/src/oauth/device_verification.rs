//! The device authorization grant on the person's side (RFC 8628 §3.3): a signed-in user enters
//! the user code a device shows, sees which app asks for what, and accepts or denies.
//!
//! The first user to enter a code claims it: nobody else is shown that request afterwards, and
//! a code is gone once decided or expired. A code that matches nothing is recorded in the audit
//! log; the page throttles such attempts per address and per session.

use std::sync::Arc;

use crate::audit::{self, Entry};
use crate::context::Keygate;
use crate::ids::AuthorizationId;
use crate::model::{Actor, App, AuditKind, DeviceDecision, NewAuthorization, User};
use crate::oauth::user_code::UserCode;
use crate::scopes::ScopeSet;
use crate::store::StoreError;

/// Why a user code cannot be shown or decided on.
#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    /// Not eight letters of the user-code alphabet.
    #[error("Enter the code exactly as your device shows it: eight letters, like BCDF-GHJK.")]
    Malformed,
    /// Unknown, expired, already decided, or claimed by another user: one answer for all, so a
    /// guesser learns nothing.
    #[error("That code is not valid or has expired. Check the code on your device and try again, or start over on the device.")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A pending device request the signed-in user may decide on.
#[derive(Debug, Clone)]
pub struct PendingDevice {
    /// The app asking.
    pub app: Arc<App>,
    /// The scopes it asks for.
    pub scopes: ScopeSet,
    /// The user code, as shown (`XXXX-XXXX`).
    pub user_code: String,
}

/// Finds the pending request of a typed user code and claims it for `user`.
pub async fn claim_user_code(
    kg: &Keygate,
    user: &User,
    typed: &str,
) -> Result<PendingDevice, VerificationError> {
    let code = UserCode::parse(typed).ok_or(VerificationError::Malformed)?;
    let now = kg.clock.now();
    let Some(record) = kg
        .store()
        .claim_device_code(code.hash(), user.id, now)
        .await?
    else {
        return Err(VerificationError::NotFound);
    };
    let app = kg
        .data()
        .app(record.app_id)
        .await?
        .ok_or(VerificationError::NotFound)?;
    Ok(PendingDevice {
        app,
        scopes: record.scopes,
        user_code: code.display(),
    })
}

/// Accept (`approve`) or Deny: claims the code (if the user has not yet) and records the
/// decision. An approval creates the authorization the device's tokens will hang off.
pub async fn decide_user_code(
    kg: &Keygate,
    user: &User,
    typed: &str,
    approve: bool,
) -> Result<PendingDevice, VerificationError> {
    let pending = claim_user_code(kg, user, typed).await?;
    let code = UserCode::parse(typed).ok_or(VerificationError::Malformed)?;
    let now = kg.clock.now();
    let (decision, event) = if approve {
        let authorization = NewAuthorization {
            id: AuthorizationId::new_random(),
            user_id: user.id,
            app_id: pending.app.id,
            scopes: pending.scopes.clone(),
            created_at: now,
        };
        let event = audit::authorization_granted(kg, &authorization);
        (DeviceDecision::Approve(authorization), event)
    } else {
        let entry = Entry::new(
            AuditKind::DeviceCodeDenied,
            format!("app:{}", pending.app.id),
        )
        .app(pending.app.id)
        .by(Actor::User(user.id));
        (DeviceDecision::Deny, audit::event(kg, entry))
    };
    match kg
        .store()
        .decide_device_code(code.hash(), user.id, decision, now, event)
        .await
    {
        Ok(()) => {
            tracing::info!(app.id = %pending.app.id, user.id = %user.id, approve, "device request decided");
            Ok(pending)
        }
        Err(StoreError::NotFound(_)) => Err(VerificationError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Records in the audit log that a user code matching nothing was entered (`throttled`: and
/// that the entries were refused for coming too often).
pub async fn record_rejected_user_code(kg: &Keygate, throttled: bool) {
    let kind = if throttled {
        AuditKind::DeviceCodeThrottled
    } else {
        AuditKind::DeviceCodeRejected
    };
    audit::record(kg, Entry::new(kind, "device")).await;
}
