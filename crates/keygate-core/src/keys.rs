//! Signing keys: generated once, kept in the store (so every node signs with the same key and
//! publishes the same JWKS), parsed once at load.

use std::collections::HashMap;

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use crate::clock::UnixTime;
use crate::model::SigningKeyRecord;

/// Why a key could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The crypto library refused to generate a key.
    #[error("could not generate a signing key")]
    Generate,
    /// A stored key could not be parsed.
    #[error("stored signing key {kid} is unusable: {reason}")]
    Unusable {
        /// Which key.
        kid: String,
        /// Why.
        reason: String,
    },
    /// No active key is stored.
    #[error("no active signing key")]
    NoActiveKey,
}

/// Makes a fresh ES256 (P-256) key, ready to store as the active key.
pub fn generate_es256(now: UnixTime) -> Result<SigningKeyRecord, KeyError> {
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let doc = EcdsaKeyPair::generate_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &aws_lc_rs::rand::SystemRandom::new(),
    )
    .map_err(|_| KeyError::Generate)?;
    let private_der = doc.as_ref().to_vec();
    let kid = jwk_for(&EncodingKey::from_ec_der(&private_der), Algorithm::ES256)
        .map(|jwk| jwk.thumbprint(ThumbprintHash::SHA256))
        .map_err(|_| KeyError::Generate)?;
    Ok(SigningKeyRecord {
        kid,
        algorithm: "ES256".into(),
        private_der,
        state: "active".into(),
        created_at: now,
        retired_at: None,
    })
}

fn jwk_for(key: &EncodingKey, alg: Algorithm) -> jsonwebtoken::errors::Result<Jwk> {
    Jwk::from_encoding_key(key, alg)
}

/// The active signing key, parsed.
pub struct ActiveKey {
    /// Key id put in every JWT header.
    pub kid: String,
    /// Algorithm.
    pub algorithm: Algorithm,
    /// The private key.
    pub encoding: EncodingKey,
}

/// Every published key, parsed once: the one that signs and all that still verify.
pub struct KeyRing {
    active: ActiveKey,
    verifying: HashMap<String, (Algorithm, DecodingKey)>,
    jwks: JwkSet,
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
    /// Parses stored keys; exactly one must be active.
    pub fn load(records: &[SigningKeyRecord]) -> Result<Self, KeyError> {
        let mut active = None;
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        for rec in records {
            let unusable = |reason: String| KeyError::Unusable {
                kid: rec.kid.clone(),
                reason,
            };
            let algorithm = match rec.algorithm.as_str() {
                "ES256" => Algorithm::ES256,
                other => return Err(unusable(format!("unsupported algorithm {other}"))),
            };
            let encoding = EncodingKey::from_ec_der(&rec.private_der);
            let mut jwk = jwk_for(&encoding, algorithm).map_err(|e| unusable(e.to_string()))?;
            jwk.common.key_id = Some(rec.kid.clone());
            jwk.common.public_key_use = Some(PublicKeyUse::Signature);
            let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| unusable(e.to_string()))?;
            verifying.insert(rec.kid.clone(), (algorithm, decoding));
            jwks.push(jwk);
            if rec.state == "active" {
                active = Some(ActiveKey {
                    kid: rec.kid.clone(),
                    algorithm,
                    encoding,
                });
            }
        }
        Ok(Self {
            active: active.ok_or(KeyError::NoActiveKey)?,
            verifying,
            jwks: JwkSet { keys: jwks },
        })
    }

    /// The key that signs new credentials.
    pub fn active(&self) -> &ActiveKey {
        &self.active
    }

    /// A published key by `kid`.
    pub fn verifying_key(&self, kid: &str) -> Option<&(Algorithm, DecodingKey)> {
        self.verifying.get(kid)
    }

    /// The public keys as a JWK Set (RFC 7517).
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
