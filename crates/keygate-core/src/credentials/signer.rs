//! The active signing key, parsed once.
//!
//! `jsonwebtoken::encode` builds a fresh signer from the key's DER bytes on every call; for ES256
//! that re-parses the PKCS#8 document and re-derives the public point (a scalar multiplication as
//! costly as the signature itself), which halves the rate at which tokens can be minted. This
//! signer parses the key once per key ring and produces the same compact JWS.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// Why a signature could not be made.
#[derive(Debug, thiserror::Error)]
pub(super) enum SignError {
    /// The stored key does not parse for its algorithm.
    #[error("the signing key is unusable for {0:?}")]
    Key(Algorithm),
    /// The algorithm is not one Keygate signs with.
    #[error("unsupported signing algorithm {0:?}")]
    Algorithm(Algorithm),
    /// The header or claims did not serialize.
    #[error("claims did not serialize")]
    Json(#[from] serde_json::Error),
    /// The crypto library refused to sign.
    #[error("the crypto library refused to sign")]
    Crypto,
}

enum Key {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

/// A parsed private key and the `kid` it signs as.
pub(crate) struct CachedSigner {
    kid: String,
    algorithm: Algorithm,
    key: Key,
    rng: SystemRandom,
}

impl CachedSigner {
    /// Parses `encoding` (the DER that `jsonwebtoken` keeps: PKCS#8 for EC and Ed25519, PKCS#1
    /// for RSA) once.
    pub(crate) fn new(
        kid: &str,
        algorithm: Algorithm,
        encoding: &EncodingKey,
    ) -> Result<Self, SignError> {
        let der = encoding.inner();
        let key = match algorithm {
            Algorithm::ES256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map(Key::Es256)
                .map_err(|_| SignError::Key(algorithm))?,
            Algorithm::EdDSA => Ed25519KeyPair::from_pkcs8(der)
                .map(Key::EdDsa)
                .map_err(|_| SignError::Key(algorithm))?,
            Algorithm::RS256 => RsaKeyPair::from_der(der)
                .map(Key::Rs256)
                .map_err(|_| SignError::Key(algorithm))?,
            other => return Err(SignError::Algorithm(other)),
        };
        Ok(Self {
            kid: kid.to_owned(),
            algorithm,
            key,
            rng: SystemRandom::new(),
        })
    }

    /// The key id this signer signs as.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this signer signs with.
    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.key {
            Key::Es256(pair) => pair
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SignError::Crypto),
            Key::EdDsa(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            Key::Rs256(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
                    .map_err(|_| SignError::Crypto)?;
                Ok(signature)
            }
        }
    }

    /// A compact JWS of `claims` under `header` (RFC 7515 §7.1), as `jsonwebtoken::encode`
    /// would produce it.
    pub(crate) fn encode<T: Serialize>(
        &self,
        header: &Header,
        claims: &T,
    ) -> Result<String, SignError> {
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
        let signature = self.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;
    use crate::keys::{generate, SigningAlgorithm};

    #[test]
    fn every_algorithm_signs_tokens_that_jsonwebtoken_verifies() {
        for alg in SigningAlgorithm::ALL {
            let rec = generate(alg, "active", 0).unwrap();
            let ring = crate::keys::KeyRing::load(&[rec]).unwrap();
            let active = ring.active();
            let signer =
                CachedSigner::new(&active.kid, active.algorithm, &active.encoding).unwrap();
            let mut header = Header::new(active.algorithm);
            header.kid = Some(active.kid.clone());
            let claims = serde_json::json!({"sub": "x", "n": 1});
            let token = signer.encode(&header, &claims).unwrap();
            let (_, key): &(Algorithm, DecodingKey) = ring.verifying_key(&active.kid).unwrap();
            let mut validation = Validation::new(active.algorithm);
            validation.required_spec_claims.clear();
            validation.validate_exp = false;
            let decoded =
                jsonwebtoken::decode::<serde_json::Value>(&token, key, &validation).unwrap();
            assert_eq!(decoded.claims, claims);
            assert_eq!(decoded.header.kid.as_deref(), Some(active.kid.as_str()));
        }
    }
}
