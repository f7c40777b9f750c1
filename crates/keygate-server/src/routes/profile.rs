//! The user's authorizations page (revoke one app, revoke all) and the organization policy page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use keygate_core::directory;
use keygate_core::ids::AppId;
use keygate_core::model::{AuditQuery, Org, User};
use keygate_core::{accounts, authorizations};

use super::nav;
use crate::csrf;
use crate::error::PageError;
use crate::forms::FormFields;
use crate::origin::ClientAddr;
use crate::pages::{
    date_time, render, AuthorizationRow, AuthorizationsPage, OrgPolicyPage, ScopeLabel,
};
use crate::session::SignedIn;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/profile/authorizations", get(list_authorizations))
        .route("/profile/authorizations/revoke", post(revoke_authorization))
        .route(
            "/profile/authorizations/revoke-all",
            post(revoke_all_authorizations),
        )
        .route(
            "/{org}/_settings/organizationPolicy",
            get(org_policy_form).post(set_org_policy),
        )
}

async fn authorizations_page(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let rows = authorizations::of_user(&state.kg, user.id)
        .await?
        .into_iter()
        .map(|a| AuthorizationRow {
            app_id: a.app_id.to_string(),
            app_name: a.app_name,
            company_name: a.company_name,
            scopes: ScopeLabel::list(&a.scopes),
            issued: date_time(a.issued_at),
            expires: date_time(a.expires_at),
        })
        .collect();
    let (nav, cookies) = nav(state, headers, Some(user));
    Ok((
        AppendHeaders(cookies),
        render(&AuthorizationsPage { nav, rows, notice }),
    )
        .into_response())
}

async fn list_authorizations(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
) -> Result<Response, PageError> {
    authorizations_page(&state, &headers, &user, None).await
}

async fn revoke_authorization(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let app: AppId = form
        .get("app_id")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| PageError::BadRequest("No application was named.".into()))?;
    let n = authorizations::revoke_user_authorizations(
        &state.acting_user(user.id, addr),
        user.id,
        Some(app),
    )
    .await?;
    tracing::info!(user.id = %user.id, app.id = %app, revoked = n, "authorization revoked by the user");
    authorizations_page(&state, &headers, &user, Some("Access revoked.".into())).await
}

async fn revoke_all_authorizations(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    if !csrf::verify(&state, &headers, FormFields::parse(&body).get("csrf")) {
        return Err(PageError::Csrf);
    }
    let n = authorizations::revoke_user_authorizations(
        &state.acting_user(user.id, addr),
        user.id,
        None,
    )
    .await?;
    tracing::info!(user.id = %user.id, revoked = n, "all authorizations revoked by the user");
    authorizations_page(
        &state,
        &headers,
        &user,
        Some("Access revoked for every application.".into()),
    )
    .await
}

/// The organization named by the path, if `user` owns it: someone else's is forbidden, a
/// missing one not found.
async fn owned_org(state: &AppState, user: &User, name: &str) -> Result<Org, PageError> {
    Ok(directory::owned_org(&state.kg, user.id, name).await?)
}

async fn org_policy_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(org): Path<String>,
) -> Result<Response, PageError> {
    let org = owned_org(&state, &user, &org).await?;
    let events = org_events(&state, &org).await?;
    let (nav, cookies) = nav(&state, &headers, Some(&user));
    Ok((
        AppendHeaders(cookies),
        render(&OrgPolicyPage {
            nav,
            org_name: org.name,
            allowed: org.third_party_oauth_allowed,
            notice: None,
            events,
        }),
    )
        .into_response())
}

async fn set_org_policy(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(user): SignedIn,
    Path(org): Path<String>,
    addr: ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, form.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let org = owned_org(&state, &user, &org).await?;
    let allowed = match form.get("third_party_oauth") {
        Some("allow") => true,
        Some("deny") => false,
        _ => return Err(PageError::BadRequest("Choose On or Off.".into())),
    };
    accounts::set_org_oauth_policy(&state.acting_user(user.id, addr), &org, allowed).await?;
    tracing::info!(org = %org.name, allowed, user.id = %user.id, "organization OAuth policy changed");
    let events = org_events(&state, &org).await?;
    let (nav, cookies) = nav(&state, &headers, Some(&user));
    Ok((
        AppendHeaders(cookies),
        render(&OrgPolicyPage {
            nav,
            org_name: org.name,
            allowed,
            notice: Some("Policy saved.".into()),
            events,
        }),
    )
        .into_response())
}

/// The organization's audit events, newest first, for its owner.
async fn org_events(state: &AppState, org: &Org) -> Result<Vec<crate::pages::AuditRow>, PageError> {
    Ok(crate::audit_view::rows(
        state,
        AuditQuery {
            org: Some(org.id),
            ..AuditQuery::default()
        },
    )
    .await?)
}
