//! `GET /projects`: the user's organizations, their projects and each project's builds, read
//! through the REST API with the session's token (refreshed first if it is about to expire).

use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use keygate_client::api::Build;
use keygate_client::{ApiClient, TokenSet};

use super::token::refresh_session;
use super::NO_STORE;
use crate::error::AppError;
use crate::pages::{render, BuildRow, OrgView, ProjectView, ProjectsPage};
use crate::state::AppState;

/// Refresh when the access token has less than this left.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// `GET /projects`.
pub(super) async fn list_projects(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = state
        .existing_session(&headers)
        .ok_or(AppError::NotSignedIn)?;
    let tokens = current_tokens(&state, &id).await?;
    let api = state.oauth.api(&tokens.access_token);
    match read_page(&api).await {
        Ok(page) => Ok(([NO_STORE], render(&page)).into_response()),
        Err(e) => {
            if e.needs_authorization() {
                state.sessions.with(&id, |s| s.tokens = None);
            }
            Err(AppError::from_client(e))
        }
    }
}

/// The session's tokens, refreshed first when they are about to expire.
async fn current_tokens(state: &AppState, id: &str) -> Result<TokenSet, AppError> {
    let tokens = state
        .sessions
        .with(id, |s| s.tokens.clone())
        .flatten()
        .ok_or(AppError::NotSignedIn)?;
    if !tokens.is_expired_at(SystemTime::now(), REFRESH_MARGIN) {
        return Ok(tokens);
    }
    let refresh = tokens.refresh_token.ok_or(AppError::NotSignedIn)?;
    refresh_session(state, id, &refresh).await
}

async fn read_page(api: &ApiClient) -> Result<ProjectsPage, keygate_client::Error> {
    let me = api.profile().await?;
    let mut orgs = Vec::new();
    for account in api.accounts(&me.id).await? {
        let mut projects = Vec::new();
        for project in api.projects(&account.account_name).await? {
            let builds = api
                .builds(&account.account_name, &project.name)
                .await?
                .into_iter()
                .map(build_row)
                .collect();
            projects.push(ProjectView {
                name: project.name,
                description: project.description,
                builds,
            });
        }
        orgs.push(OrgView {
            name: account.account_name,
            projects,
        });
    }
    Ok(ProjectsPage {
        display_name: me.display_name,
        email: me.email_address,
        orgs,
    })
}

fn build_row(b: Build) -> BuildRow {
    BuildRow {
        number: b.build_number,
        definition: b.definition.map(|d| d.name).unwrap_or_default(),
        branch: b.source_branch,
        status: b.status,
        result: b.result.unwrap_or_else(|| "—".into()),
        requested_for: b.requested_for.map(|r| r.display_name).unwrap_or_default(),
    }
}
