//! `/device`: the verification page of the device authorization grant (RFC 8628 §3.3). A
//! signed-in person types the code their device shows (or follows `verification_uri_complete`,
//! which prefills it), sees the app and scopes on a consent page, and accepts or denies.
//!
//! Wrong codes are counted per address and per session (`device_throttle.rs`) and recorded in
//! the audit log; past the limit the page answers 429 until the window ends.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use keygate_core::model::User;
use keygate_core::oauth::device_verification::{
    self, claim_user_code, decide_user_code, PendingDevice, VerificationError,
};

use super::nav;
use crate::csrf;
use crate::device_throttle::Entrant;
use crate::error::PageError;
use crate::forms::FormFields;
use crate::headers::sensitive;
use crate::origin::ClientAddr;
use crate::pages::{
    render, DeviceConsentPage, DeviceDonePage, DevicePage, ErrorSummary, ScopeLabel,
};
use crate::session::{cookie_value, SignedIn, SESSION_COOKIE};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/device", get(device_form).post(enter_code))
        .route("/device/decide", post(decide))
}

/// The entry form, prefilled from `verification_uri_complete`. The code is not looked up until
/// the person submits it: a link alone never shows (or claims) a request.
async fn device_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    // `?user_code=` of `verification_uri_complete`.
    let typed = FormFields::parse(query.unwrap_or_default().as_bytes()).text("user_code");
    entry_page(&state, &headers, &user, typed, ErrorSummary::default())
}

fn entry_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    user_code: String,
    summary: ErrorSummary,
) -> Response {
    let status = if summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let (nav, cookies) = nav(state, headers, Some(user));
    let page = DevicePage {
        nav,
        user_code,
        summary,
    };
    (status, sensitive(), AppendHeaders(cookies), render(&page)).into_response()
}

/// What the throttle knows the person by.
fn entrant(headers: &HeaderMap, addr: ClientAddr) -> Entrant {
    Entrant::new(addr.0, cookie_value(headers, SESSION_COOKIE).as_deref())
}

/// Runs `step` on the typed code unless this address or session is over its limit of wrong
/// codes; a wrong code counts, is recorded and shows the form again with the error.
async fn guarded<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    addr: ClientAddr,
    user: &User,
    typed: &str,
    step: F,
) -> Result<Result<PendingDevice, Response>, PageError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<PendingDevice, VerificationError>>,
{
    let who = entrant(headers, addr);
    let kg = state.acting_user(user.id, addr);
    if let Err(retry_after) = state.device_throttle.check(&who) {
        tracing::info!(user.id = %user.id, retry_after, "user code entry refused: too many wrong codes");
        device_verification::record_rejected_user_code(&kg, true).await;
        return Err(PageError::TooManyRequests { retry_after });
    }
    match step().await {
        Ok(pending) => Ok(Ok(pending)),
        Err(VerificationError::Store(e)) => Err(e.into()),
        Err(e) => {
            if matches!(e, VerificationError::NotFound) {
                state.device_throttle.fail(&who);
                device_verification::record_rejected_user_code(&kg, false).await;
            }
            let summary = ErrorSummary::one("user_code", e.to_string());
            Ok(Err(entry_page(
                state,
                headers,
                user,
                typed.to_owned(),
                summary,
            )))
        }
    }
}

/// `POST /device`: looks the code up, claims it for this user, and shows the consent page.
async fn enter_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, fields.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let typed = fields.text("user_code");
    let kg = state.acting_user(user.id, addr);
    let found = guarded(&state, &headers, addr, &user, &typed, || {
        claim_user_code(&kg, &user, &typed)
    })
    .await?;
    let pending = match found {
        Ok(p) => p,
        Err(page) => return Ok(page),
    };
    let (nav, cookies) = nav(&state, &headers, Some(&user));
    let page = DeviceConsentPage {
        nav,
        scopes: ScopeLabel::list(&pending.scopes),
        user_code: pending.user_code,
        user_email: user.email.clone(),
        app: std::sync::Arc::unwrap_or_clone(pending.app),
    };
    Ok((sensitive(), AppendHeaders(cookies), render(&page)).into_response())
}

/// `POST /device/decide`: Accept or Deny.
async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, fields.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let approve = match fields.get("decision") {
        Some("accept") => true,
        Some("deny") => false,
        _ => return Err(PageError::BadRequest("Choose Accept or Deny.".into())),
    };
    let typed = fields.text("user_code");
    let kg = state.acting_user(user.id, addr);
    let decided = guarded(&state, &headers, addr, &user, &typed, || {
        decide_user_code(&kg, &user, &typed, approve)
    })
    .await?;
    let pending = match decided {
        Ok(p) => p,
        Err(page) => return Ok(page),
    };
    let (title, message) = if approve {
        (
            "Device connected",
            format!(
                "{} now has the access you approved. You can close this page and return to your device.",
                pending.app.name
            ),
        )
    } else {
        (
            "Request denied",
            format!(
                "{} was not given access. You can close this page.",
                pending.app.name
            ),
        )
    };
    let (nav, cookies) = nav(&state, &headers, Some(&user));
    let page = DeviceDonePage {
        nav,
        title,
        message,
    };
    Ok((sensitive(), AppendHeaders(cookies), render(&page)).into_response())
}
