//! ID tokens (OpenID Connect Core §2, §3.1.3.6, §12.2): minted beside the tokens of a code
//! exchange or refresh whose scopes include `openid`, signed with the RS256 ID-token key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{claims, OPENID_SCOPE};
use crate::clock::UnixTime;
use crate::context::Keygate;
use crate::oauth::token::IssuedTokens;
use crate::oauth::TokenError;

/// The claims of an ID token Keygate issues.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IdTokenClaims {
    /// The discovery document's `issuer`, byte for byte.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The `client_id` as the client sent it.
    pub aud: String,
    /// Expiry.
    pub exp: UnixTime,
    /// Issue time.
    pub iat: UnixTime,
    /// When the user signed in.
    pub auth_time: UnixTime,
    /// The authorization request's `nonce` (first ID token only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Left half of the access token's SHA-256, base64url (§3.1.3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// The browser session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The profile and email claims the scopes release.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `at_hash` for an RS256-signed ID token: the left 128 bits of SHA-256 of the access token.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The ID token to return with `tokens`, when they were granted with `openid`; `issuer` is the
/// discovery document's `issuer`.
pub async fn mint_id_token(
    kg: &Keygate,
    issuer: &str,
    tokens: &IssuedTokens,
) -> Result<Option<String>, TokenError> {
    let Some(oidc) = tokens.oidc.as_ref() else {
        return Ok(None);
    };
    if !tokens.scopes.contains(OPENID_SCOPE) {
        return Ok(None);
    }
    let user = kg
        .data()
        .user(tokens.user_id)
        .await?
        .ok_or(TokenError::GrantInvalid)?;
    let app = kg
        .data()
        .app(tokens.app_id)
        .await?
        .ok_or(TokenError::ClientFailedValidation)?;
    let now = kg.clock.now();
    let mut extra = claims::user_claims(&app, &user, &tokens.scopes, &[]);
    let sub = match extra.remove("sub") {
        Some(Value::String(s)) => s,
        _ => claims::subject(&app, &user),
    };
    let id_token = IdTokenClaims {
        iss: issuer.to_owned(),
        sub,
        aud: oidc.cid.clone(),
        exp: now + kg.lifetimes.access_token,
        iat: now,
        auth_time: oidc.auth_time,
        nonce: oidc.nonce.clone(),
        at_hash: Some(at_hash(&tokens.access_token)),
        sid: oidc.sid.clone(),
        extra,
    };
    Ok(Some(kg.credentials.sign_id_token(&id_token)?))
}

/// The claims of an ID token this server issued (`iss` equal to `issuer`, signed by a key still
/// published), whatever its age: an `id_token_hint` or a logout's hint may have expired
/// (OpenID Connect Core §3.1.2.1, RP-Initiated Logout §2). `None` for anything else.
pub fn verify_id_token_hint(kg: &Keygate, issuer: &str, token: &str) -> Option<IdTokenClaims> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let keys = kg.credentials.keys();
    let (algorithm, key) = keys.verifying_key(header.kid.as_deref()?)?;
    if *algorithm != header.alg {
        return None;
    }
    let mut validation = jsonwebtoken::Validation::new(*algorithm);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[issuer]);
    let claims = jsonwebtoken::decode::<IdTokenClaims>(token, key, &validation)
        .ok()?
        .claims;
    // Access tokens and the other credentials carry no `auth_time` and a host-name `iss`; the
    // issuer check above already refuses them, and an ID token always names its audience.
    (!claims.aud.is_empty()).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_sha256_base64url() {
        // OpenID Connect Core §A.3's example access token and at_hash (RS256).
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
