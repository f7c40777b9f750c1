//! Minting and reading the signed credentials of protocol §5: client secrets, codes, access and
//! refresh tokens.
//!
//! Every credential is a JWT signed with the active key. Client secrets, codes and refresh tokens
//! also carry 256 random bits (claim `rnd`), are looked up by SHA-256 hash and never verified from
//! their signature alone; access tokens are verified from their signature and claims, with no
//! storage round trip.

mod signer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::ids::{AccessId, AppId, AuthorizationId, SecretId, UserId};
use crate::keys::KeyRing;
use crate::scopes::{ScopeSet, AUTHORIZATION_GRANT_SCOPE};
use crate::secrets::{random_token, TokenHash};
use signer::{CachedSigner, SignError};

/// Why a credential could not be minted.
#[derive(Debug, thiserror::Error)]
#[error("could not sign a credential")]
pub struct MintError(#[source] SignError);

/// A freshly minted opaque credential: the string for the client and the hash for the store.
#[derive(Clone)]
pub struct Minted {
    /// The credential, shown to the client once.
    pub value: String,
    /// Its SHA-256 hash.
    pub hash: TokenHash,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct SecretClaims<'a> {
    cid: String,
    csi: String,
    nameid: String,
    iss: &'a str,
    aud: &'a str,
    nbf: UnixTime,
    exp: UnixTime,
    rnd: String,
}

#[derive(Serialize)]
struct CodeClaims<'a> {
    aui: String,
    nameid: String,
    scp: String,
    iss: &'a str,
    aud: &'a str,
    nbf: UnixTime,
    exp: UnixTime,
    rnd: String,
    /// Only on codes and refresh tokens of an OpenID Connect sign-in (never the Azure flavour).
    #[serde(skip_serializing_if = "Option::is_none")]
    oidc: Option<&'a OidcContext>,
}

#[derive(Serialize)]
struct RefreshClaims<'a> {
    nameid: String,
    aci: String,
    scp: String,
    iss: &'a str,
    aud: &'a str,
    nbf: UnixTime,
    exp: UnixTime,
    rnd: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    oidc: Option<&'a OidcContext>,
}

/// What an OpenID Connect sign-in carries from the authorization request to the ID tokens of
/// the token endpoint, inside the signed code and then the refresh token. Both are found by
/// their hash before this is read, so their claims are the ones minted here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcContext {
    /// `client_id` as the client sent it (the ID token's `aud`, compared byte for byte).
    pub cid: String,
    /// `nonce` of the authorization request, echoed in the first ID token only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user signed in (`auth_time`).
    pub auth_time: UnixTime,
    /// The browser session (`sid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

#[derive(Deserialize)]
struct OidcCarrier {
    oidc: Option<OidcContext>,
}

/// The claims of an access token (protocol §5).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user.
    pub nameid: UserId,
    /// Scopes, sorted, lower case, space separated.
    pub scp: String,
    /// The authorization.
    pub aui: AuthorizationId,
    /// The app.
    pub appid: AppId,
    /// Issuer host name.
    pub iss: String,
    /// Audience: the issuer host name too.
    pub aud: String,
    /// Not before (issue time).
    pub nbf: UnixTime,
    /// Expiry.
    pub exp: UnixTime,
}

/// What a presented bearer token claims, read in one pass (so its signature is verified once):
/// the access-token claims, and `aci`, which betrays a refresh token.
#[derive(Deserialize)]
struct Presented {
    aci: Option<serde::de::IgnoredAny>,
    scp: Option<String>,
    nameid: Option<UserId>,
    aui: Option<AuthorizationId>,
    appid: Option<AppId>,
    iss: Option<String>,
    aud: Option<String>,
    nbf: Option<UnixTime>,
    exp: Option<UnixTime>,
}

impl Presented {
    /// The access-token claims, or why this is not an access token.
    fn access_claims(self) -> Result<AccessClaims, BearerRejection> {
        let is_code = self
            .scp
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|x| x == AUTHORIZATION_GRANT_SCOPE));
        if self.aci.is_some() || is_code {
            return Err(BearerRejection::NotAnAccessToken);
        }
        let missing = BearerRejection::Invalid;
        Ok(AccessClaims {
            nameid: self.nameid.ok_or(missing)?,
            scp: self.scp.ok_or(missing)?,
            aui: self.aui.ok_or(missing)?,
            appid: self.appid.ok_or(missing)?,
            iss: self.iss.ok_or(missing)?,
            aud: self.aud.ok_or(missing)?,
            nbf: self.nbf.ok_or(missing)?,
            exp: self.exp.ok_or(missing)?,
        })
    }
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BearerRejection {
    /// Not a JWT, bad signature, unknown key, wrong issuer or missing claims.
    #[error("the token is malformed or its signature does not verify")]
    Invalid,
    /// A refresh token or authorization code presented as an access token.
    #[error("the token is not an access token")]
    NotAnAccessToken,
    /// Past its `exp` (or before its `nbf`).
    #[error("the token has expired")]
    Expired,
}

/// Access tokens whose signature and claims already verified, kept so that a client calling the
/// API with the same token for its hour pays for one ES256 verification (~50 us), not one per
/// call. Bounded: about 300 bytes an entry.
const VERIFIED_CACHE_ENTRIES: usize = 10_000;

/// Mints and reads credentials with the server's keys.
pub struct Credentials {
    issuer: String,
    /// The `iss` of the Entra-shaped access tokens this server also mints (`https://sts.windows.net/{tid}/`).
    entra_issuer: Option<String>,
    keys: RwLock<Arc<KeyRing>>,
    /// Claims of tokens that verified under the current key ring, by token hash. Expiry is still
    /// judged on every use, and revocation is the caller's snapshot check.
    verified: quick_cache::sync::Cache<TokenHash, (u64, AccessClaims)>,
    /// Bumped by every key ring change; a cached verification counts only under its ring.
    ring_generation: AtomicU64,
    /// The active key parsed for signing, made at the first signature after each key change.
    signer: RwLock<Option<Arc<CachedSigner>>>,
    /// The ID-token key parsed for signing, likewise.
    id_signer: RwLock<Option<Arc<CachedSigner>>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// `issuer` is the public host name, used as both `iss` and `aud`.
    pub fn new(issuer: String, keys: KeyRing) -> Self {
        Self {
            issuer,
            entra_issuer: None,
            keys: RwLock::new(Arc::new(keys)),
            signer: RwLock::new(None),
            id_signer: RwLock::new(None),
            verified: quick_cache::sync::Cache::new(VERIFIED_CACHE_ENTRIES),
            ring_generation: AtomicU64::new(0),
        }
    }

    /// These credentials, also accepting the Entra-shaped access tokens of `v1_issuer` (whose
    /// audience is the Azure DevOps resource) as bearer tokens.
    pub fn accepting_entra(mut self, v1_issuer: String) -> Self {
        self.entra_issuer = Some(v1_issuer);
        self
    }

    /// The issuer host name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The current key ring.
    pub fn keys(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Swaps in a reloaded key ring (after rotation by any node); only the change-feed catch-up
    /// and key upkeep do this, so every cache of the node changes in one place.
    pub(crate) fn replace_keys(&self, keys: KeyRing) {
        let mut guard = match self.keys.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(keys);
        self.ring_generation.fetch_add(1, Ordering::AcqRel);
        drop(guard);
        *self.signer.write().unwrap_or_else(|p| p.into_inner()) = None;
        *self.id_signer.write().unwrap_or_else(|p| p.into_inner()) = None;
        // A key that left the ring must stop verifying the tokens it signed.
        self.verified.clear();
    }

    /// The signer of the active key, parsed once per key.
    fn signer(&self, keys: &KeyRing) -> Result<Arc<CachedSigner>, MintError> {
        let active = keys.active();
        let cached = self
            .signer
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|s| s.kid() == active.kid && s.algorithm() == active.algorithm)
            .cloned();
        if let Some(signer) = cached {
            return Ok(signer);
        }
        let fresh = Arc::new(
            CachedSigner::new(&active.kid, active.algorithm, &active.encoding)
                .map_err(MintError)?,
        );
        *self.signer.write().unwrap_or_else(|p| p.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }

    fn sign<T: Serialize>(&self, claims: &T) -> Result<String, MintError> {
        let keys = self.keys();
        let active = keys.active();
        let mut header = Header::new(active.algorithm);
        header.typ = Some("JWT".into());
        header.kid = Some(active.kid.clone());
        self.signer(&keys)?
            .encode(&header, claims)
            .map_err(MintError)
    }

    /// Signs access-token claims of another shape (Entra's) with the active access-token key.
    pub(crate) fn sign_access_claims<T: Serialize>(&self, claims: &T) -> Result<String, MintError> {
        self.sign(claims)
    }

    /// Signs OpenID Connect ID token claims with the ID-token key (RS256).
    pub(crate) fn sign_id_token<T: Serialize>(&self, claims: &T) -> Result<String, MintError> {
        let keys = self.keys();
        let key = keys.id_token_key().ok_or(MintError(SignError::Crypto))?;
        let mut header = Header::new(key.algorithm);
        header.typ = Some("JWT".into());
        header.kid = Some(key.kid.clone());
        let cached = self
            .id_signer
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|s| s.kid() == key.kid)
            .cloned();
        let signer = match cached {
            Some(signer) => signer,
            None => {
                let fresh = Arc::new(
                    CachedSigner::new(&key.kid, key.algorithm, &key.encoding).map_err(MintError)?,
                );
                *self.id_signer.write().unwrap_or_else(|p| p.into_inner()) = Some(fresh.clone());
                fresh
            }
        };
        signer.encode(&header, claims).map_err(MintError)
    }

    /// The OpenID Connect context a code or refresh token carries, read from its payload. Only
    /// for a credential already found by its hash (so it is one minted here).
    pub(crate) fn oidc_context(credential: &str) -> Option<OidcContext> {
        let payload = credential.split('.').nth(1)?;
        let bytes =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .ok()?;
        serde_json::from_slice::<OidcCarrier>(&bytes).ok()?.oidc
    }

    fn minted(value: String) -> Minted {
        let hash = TokenHash::of(&value);
        Minted { value, hash }
    }

    /// A client secret for `app`, version `secret`.
    pub fn mint_client_secret(
        &self,
        app: AppId,
        secret: SecretId,
        owner: UserId,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<Minted, MintError> {
        self.sign(&SecretClaims {
            cid: app.to_string(),
            csi: secret.to_string(),
            nameid: owner.to_string(),
            iss: &self.issuer,
            aud: &self.issuer,
            nbf: now,
            exp: expires_at,
            rnd: random_token(),
        })
        .map(Self::minted)
    }

    /// An authorization code, carrying `oidc` for an OpenID Connect sign-in.
    pub fn mint_code(
        &self,
        authorization: AuthorizationId,
        user: UserId,
        scopes: &ScopeSet,
        now: UnixTime,
        expires_at: UnixTime,
        oidc: Option<&OidcContext>,
    ) -> Result<Minted, MintError> {
        self.sign(&CodeClaims {
            aui: authorization.to_string(),
            nameid: user.to_string(),
            scp: format!("{scopes} {AUTHORIZATION_GRANT_SCOPE}"),
            iss: &self.issuer,
            aud: &self.issuer,
            nbf: now,
            exp: expires_at,
            rnd: random_token(),
            oidc,
        })
        .map(Self::minted)
    }

    /// A refresh token, carrying `oidc` for an OpenID Connect sign-in.
    pub fn mint_refresh_token(
        &self,
        access: AccessId,
        user: UserId,
        scopes: &ScopeSet,
        now: UnixTime,
        expires_at: UnixTime,
        oidc: Option<&OidcContext>,
    ) -> Result<Minted, MintError> {
        self.sign(&RefreshClaims {
            nameid: user.to_string(),
            aci: access.to_string(),
            scp: scopes.to_string(),
            iss: &self.issuer,
            aud: &self.issuer,
            nbf: now,
            exp: expires_at,
            rnd: random_token(),
            oidc,
        })
        .map(Self::minted)
    }

    /// An access token.
    pub fn mint_access_token(
        &self,
        user: UserId,
        app: AppId,
        authorization: AuthorizationId,
        scopes: &ScopeSet,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<String, MintError> {
        self.sign(&AccessClaims {
            nameid: user,
            scp: scopes.to_string(),
            aui: authorization,
            appid: app,
            iss: self.issuer.clone(),
            aud: self.issuer.clone(),
            nbf: now,
            exp: expires_at,
        })
    }

    /// Verifies an access token's signature, issuer, kind and lifetime at `now`. A token that
    /// verified before under the same key ring is not verified again; its lifetime is.
    pub fn verify_access_token(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<AccessClaims, BearerRejection> {
        let hash = TokenHash::of(token);
        let generation = self.ring_generation.load(Ordering::Acquire);
        let claims = match self.verified.get(&hash) {
            Some((g, claims)) if g == generation => claims,
            _ => {
                let claims = self.verify_signature(token)?;
                self.verified.insert(hash, (generation, claims.clone()));
                claims
            }
        };
        if now >= claims.exp || now < claims.nbf {
            return Err(BearerRejection::Expired);
        }
        Ok(claims)
    }

    /// Checks an access token's signature, issuer, audience and kind (not its lifetime).
    fn verify_signature(&self, token: &str) -> Result<AccessClaims, BearerRejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| BearerRejection::Invalid)?;
        let kid = header.kid.ok_or(BearerRejection::Invalid)?;
        let keys = self.keys();
        let (algorithm, key) = keys.verifying_key(&kid).ok_or(BearerRejection::Invalid)?;
        let mut validation = Validation::new(*algorithm);
        // Time is judged by the caller against the injected clock, not the library's wall clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        match &self.entra_issuer {
            Some(entra) => {
                validation.set_issuer(&[&self.issuer, entra]);
                validation
                    .set_audience(&[self.issuer.as_str(), crate::entra::AZURE_DEVOPS_RESOURCE]);
            }
            None => {
                validation.set_issuer(&[&self.issuer]);
                validation.set_audience(&[&self.issuer]);
            }
        }
        let claims = jsonwebtoken::decode::<Presented>(token, key, &validation)
            .map_err(|_| BearerRejection::Invalid)?
            .claims
            .access_claims()?;
        Ok(claims)
    }
}

/// Whether a string has the shape of a JWT (three base64url parts, a JSON header).
pub fn looks_like_jwt(value: &str) -> bool {
    value.split('.').count() == 3 && jsonwebtoken::decode_header(value).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate_es256, KeyRing};

    fn credentials() -> Credentials {
        let ring = KeyRing::load(&[generate_es256(0).unwrap()]).unwrap();
        Credentials::new("keygate.test".into(), ring)
    }

    #[test]
    fn an_access_token_verifies_until_it_expires() {
        let c = credentials();
        let scopes = ScopeSet::parse("vso.work vso.code").unwrap();
        let (user, app, aui) = (
            UserId::new_random(),
            AppId::new_random(),
            AuthorizationId::new_random(),
        );
        let t = c
            .mint_access_token(user, app, aui, &scopes, 100, 200)
            .unwrap();
        let claims = c.verify_access_token(&t, 150).unwrap();
        assert_eq!(claims.nameid, user);
        assert_eq!(claims.scp, "vso.code vso.work");
        assert_eq!(
            c.verify_access_token(&t, 200),
            Err(BearerRejection::Expired)
        );
    }

    #[test]
    fn a_cached_token_still_expires_and_stops_verifying_when_its_key_leaves_the_ring() {
        let c = credentials();
        let scopes = ScopeSet::parse("vso.profile").unwrap();
        let t = c
            .mint_access_token(
                UserId::new_random(),
                AppId::new_random(),
                AuthorizationId::new_random(),
                &scopes,
                100,
                200,
            )
            .unwrap();
        assert!(c.verify_access_token(&t, 150).is_ok());
        assert!(
            c.verify_access_token(&t, 150).is_ok(),
            "served from the cache"
        );
        assert_eq!(
            c.verify_access_token(&t, 200),
            Err(BearerRejection::Expired)
        );
        assert_eq!(c.verify_access_token(&t, 99), Err(BearerRejection::Expired));
        c.replace_keys(KeyRing::load(&[generate_es256(0).unwrap()]).unwrap());
        assert_eq!(
            c.verify_access_token(&t, 150),
            Err(BearerRejection::Invalid)
        );
    }

    #[test]
    fn refresh_tokens_and_codes_are_not_access_tokens() {
        let c = credentials();
        let scopes = ScopeSet::parse("vso.work").unwrap();
        let r = c
            .mint_refresh_token(
                AccessId::new_random(),
                UserId::new_random(),
                &scopes,
                0,
                500,
                None,
            )
            .unwrap();
        assert_eq!(
            c.verify_access_token(&r.value, 10),
            Err(BearerRejection::NotAnAccessToken)
        );
        let code = c
            .mint_code(
                AuthorizationId::new_random(),
                UserId::new_random(),
                &scopes,
                0,
                500,
                None,
            )
            .unwrap();
        assert_eq!(
            c.verify_access_token(&code.value, 10),
            Err(BearerRejection::NotAnAccessToken)
        );
    }

    #[test]
    fn a_token_from_another_key_or_garbage_is_invalid() {
        let a = credentials();
        let b = credentials();
        let scopes = ScopeSet::parse("vso.work").unwrap();
        let t = a
            .mint_access_token(
                UserId::new_random(),
                AppId::new_random(),
                AuthorizationId::new_random(),
                &scopes,
                0,
                500,
            )
            .unwrap();
        assert_eq!(b.verify_access_token(&t, 1), Err(BearerRejection::Invalid));
        assert_eq!(
            a.verify_access_token("not.a.jwt", 1),
            Err(BearerRejection::Invalid)
        );
        assert!(!looks_like_jwt("plainsecret"));
        assert!(looks_like_jwt(&t));
    }
}
