//! `GET /token` shows the token with a live countdown to its expiry; `POST /token/refresh`
//! trades the refresh token for new tokens.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use keygate_client::TokenSet;
use sha2::{Digest, Sha256};

use super::NO_STORE;
use crate::error::AppError;
use crate::pages::{render, TokenPage};
use crate::state::AppState;

/// `?refreshed=1` after a refresh.
#[derive(serde::Deserialize)]
pub(super) struct TokenQuery {
    refreshed: Option<String>,
}

/// The time left as the page and the countdown script both word it: "in 59:59", "in 1:00:00".
pub(super) fn countdown_text(left: Duration) -> String {
    let s = left.as_secs();
    if s == 0 {
        return "expired".into();
    }
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("in {h}:{m:02}:{s:02}")
    } else {
        format!("in {m}:{s:02}")
    }
}

fn utc_text(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .ok()
        .and_then(|d| {
            d.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// The first 12 hex digits of the token's SHA-256: enough to see it changed, useless to steal.
pub(super) fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn token_page(tokens: &TokenSet, refreshed: bool, refreshes: u32, csrf: String) -> TokenPage {
    let now = SystemTime::now();
    let expires_at = tokens.expires_at();
    TokenPage {
        token_type: tokens.token_type.clone(),
        access_preview: format!(
            "{}…",
            tokens.access_token.chars().take(16).collect::<String>()
        ),
        access_length: tokens.access_token.len(),
        fingerprint: fingerprint(&tokens.access_token),
        expires_at_ms: expires_at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
        countdown: countdown_text(tokens.remaining_at(now)),
        expires_at_text: utc_text(expires_at),
        has_refresh: tokens.refresh_token.is_some(),
        refreshed,
        refreshes,
        csrf,
    }
}

/// `GET /token`.
pub(super) async fn show_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let id = state
        .existing_session(&headers)
        .ok_or(AppError::NotSignedIn)?;
    let page = state
        .sessions
        .with(&id, |s| {
            s.tokens
                .as_ref()
                .map(|t| token_page(t, query.refreshed.is_some(), s.refreshes, s.csrf.clone()))
        })
        .flatten()
        .ok_or(AppError::NotSignedIn)?;
    Ok(([NO_STORE], render(&page)).into_response())
}

/// `POST /token/refresh` (form field `csrf`).
pub(super) async fn refresh_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = state
        .existing_session(&headers)
        .ok_or(AppError::NotSignedIn)?;
    let sent = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let (csrf, refresh) = state
        .sessions
        .with(&id, |s| {
            (
                s.csrf.clone(),
                s.tokens.as_ref().and_then(|t| t.refresh_token.clone()),
            )
        })
        .ok_or(AppError::NotSignedIn)?;
    if sent.is_empty() || sent != csrf {
        return Err(AppError::Csrf);
    }
    let refresh = refresh.ok_or(AppError::NotSignedIn)?;
    refresh_session(&state, &id, &refresh).await?;
    Ok(Redirect::to("/token?refreshed=1").into_response())
}

/// Refreshes the session's tokens; on a refusal the tokens are forgotten, since they are dead.
pub(super) async fn refresh_session(
    state: &AppState,
    id: &str,
    refresh_token: &str,
) -> Result<TokenSet, AppError> {
    match state.oauth.refresh(refresh_token).await {
        Ok(tokens) => {
            tracing::info!("refreshed the tokens");
            state.sessions.with(id, |s| {
                s.tokens = Some(tokens.clone());
                s.refreshes += 1;
            });
            Ok(tokens)
        }
        Err(e) => {
            if e.needs_authorization() {
                state.sessions.with(id, |s| s.tokens = None);
            }
            Err(AppError::from_client(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_countdown_is_worded_like_the_script_words_it() {
        assert_eq!(countdown_text(Duration::from_secs(3599)), "in 59:59");
        assert_eq!(countdown_text(Duration::from_secs(3600)), "in 1:00:00");
        assert_eq!(countdown_text(Duration::from_secs(61)), "in 1:01");
        assert_eq!(countdown_text(Duration::ZERO), "expired");
    }

    #[test]
    fn a_fingerprint_is_twelve_hex_digits_and_differs_between_tokens() {
        assert_eq!(fingerprint("a").len(), 12);
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }
}
