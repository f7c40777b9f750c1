//! The key ring every node holds: the key that signs for each purpose (access tokens and the
//! other credentials; OpenID Connect ID tokens), and every published key by `kid`.

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use super::{parse_record, KeyError, SigningAlgorithm};
use crate::clock::UnixTime;
use crate::model::{SigningKeyRecord, KEY_PURPOSE_ID_TOKEN};

/// The active signing key, parsed.
#[derive(Debug)]
pub struct ActiveKey {
    /// Key id put in every JWT header.
    pub kid: String,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// The private key.
    pub encoding: EncodingKey,
}

/// Every published key, parsed once: the ones that sign and all that still verify.
pub struct KeyRing {
    active: ActiveKey,
    active_algorithm: SigningAlgorithm,
    /// The key that signs ID tokens, when one is stored (every opened [`crate::Keygate`] has one).
    id_token: Option<ActiveKey>,
    verifying: HashMap<String, (Algorithm, DecodingKey)>,
    jwks: JwkSet,
    /// When the `next` key (if any) was published.
    next_published_at: Option<UnixTime>,
    /// The earliest retirement among retired keys still published.
    oldest_retirement: Option<UnixTime>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("KeyRing")
            .field("active_kid", &self.active.kid)
            .field("published", &self.verifying.len())
            .finish()
    }
}

impl KeyRing {
    /// Parses stored keys; exactly one access key must be active. Every stored key is published.
    pub fn load(records: &[SigningKeyRecord]) -> Result<Self, KeyError> {
        let mut active = None;
        let mut id_token = None;
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        let mut next_published_at = None;
        let mut oldest_retirement: Option<UnixTime> = None;
        for rec in records {
            let parsed = parse_record(rec)?;
            let decoding = DecodingKey::from_jwk(&parsed.jwk).map_err(|e| KeyError::Unusable {
                kid: rec.kid.clone(),
                reason: e.to_string(),
            })?;
            let algorithm = parsed.algorithm.jwt_algorithm();
            verifying.insert(rec.kid.clone(), (algorithm, decoding));
            jwks.push(parsed.jwk);
            match rec.state.as_str() {
                "active" if rec.purpose == KEY_PURPOSE_ID_TOKEN => {
                    id_token = Some(ActiveKey {
                        kid: rec.kid.clone(),
                        algorithm,
                        encoding: parsed.encoding,
                    })
                }
                "active" => {
                    active = Some((
                        ActiveKey {
                            kid: rec.kid.clone(),
                            algorithm,
                            encoding: parsed.encoding,
                        },
                        parsed.algorithm,
                    ))
                }
                "next" => {
                    next_published_at = Some(
                        next_published_at
                            .map_or(rec.created_at, |n: UnixTime| n.min(rec.created_at)),
                    )
                }
                _ => {
                    let retired = rec.retired_at.unwrap_or(rec.created_at);
                    oldest_retirement = Some(oldest_retirement.map_or(retired, |o| o.min(retired)));
                }
            }
        }
        let (active, active_algorithm) = active.ok_or(KeyError::NoActiveKey)?;
        Ok(Self {
            active,
            active_algorithm,
            id_token,
            verifying,
            jwks: JwkSet { keys: jwks },
            next_published_at,
            oldest_retirement,
        })
    }

    /// The key that signs new credentials.
    pub fn active(&self) -> &ActiveKey {
        &self.active
    }

    /// The key that signs ID tokens, if one is stored.
    pub fn id_token_key(&self) -> Option<&ActiveKey> {
        self.id_token.as_ref()
    }

    /// The algorithm of the key that signs.
    pub fn active_algorithm(&self) -> SigningAlgorithm {
        self.active_algorithm
    }

    /// A published key by `kid`.
    pub fn verifying_key(&self, kid: &str) -> Option<&(Algorithm, DecodingKey)> {
        self.verifying.get(kid)
    }

    /// The public keys as a JWK Set (RFC 7517).
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    /// Whether a `next` key has been published for at least `publish_ahead` seconds at `now`,
    /// so it may start signing.
    pub fn next_key_due(&self, now: UnixTime, publish_ahead: i64) -> bool {
        self.next_published_at
            .is_some_and(|at| now >= at.saturating_add(publish_ahead))
    }

    /// Whether some retired key retired at or before `cutoff` (so every token it signed has
    /// expired) and may be unpublished.
    pub fn retired_key_expired(&self, cutoff: UnixTime) -> bool {
        self.oldest_retirement.is_some_and(|at| at <= cutoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate, generate_es256};

    #[test]
    fn a_generated_key_loads_and_is_published_under_its_thumbprint() {
        let rec = generate_es256(0).unwrap();
        let ring = KeyRing::load(std::slice::from_ref(&rec)).unwrap();
        assert_eq!(ring.active().kid, rec.kid);
        assert!(ring.verifying_key(&rec.kid).is_some());
        assert_eq!(ring.jwks().keys.len(), 1);
    }

    #[test]
    fn a_ring_without_an_active_key_is_refused() {
        let mut rec = generate_es256(0).unwrap();
        rec.state = "retired".into();
        assert!(matches!(KeyRing::load(&[rec]), Err(KeyError::NoActiveKey)));
    }

    #[test]
    fn next_and_retired_keys_are_published_but_only_the_active_one_signs() {
        let active = generate(SigningAlgorithm::Rs256, "active", 100).unwrap();
        let next = generate(SigningAlgorithm::EdDsa, "next", 200).unwrap();
        let mut retired = generate_es256(0).unwrap();
        retired.state = "retired".into();
        retired.retired_at = Some(100);
        let ring = KeyRing::load(&[retired, active.clone(), next]).unwrap();
        assert_eq!(ring.active().kid, active.kid);
        assert_eq!(ring.active_algorithm(), SigningAlgorithm::Rs256);
        assert_eq!(ring.jwks().keys.len(), 3);
        assert!(!ring.next_key_due(799, 600));
        assert!(ring.next_key_due(800, 600));
        assert!(!ring.retired_key_expired(99));
        assert!(ring.retired_key_expired(100));
    }
}
