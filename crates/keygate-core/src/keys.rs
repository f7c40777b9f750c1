//! Signing keys: generated once, kept in the store (so every node signs with the same key and
//! publishes the same JWKS), parsed once at load. ES256 by default; RS256 and EdDSA on request.
//!
//! A key's life (design notes, "Keys"): `next` (published, not yet signing) -> `active` (signs)
//! -> `retired` (published until the access tokens it signed have expired) -> deleted.

pub mod at_rest;
mod ring;
pub mod rotation;

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{
    CommonParameters, EllipticCurve, Jwk, KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType,
    PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, EncodingKey};

use crate::clock::UnixTime;
use crate::model::{SigningKeyRecord, KEY_PURPOSE_ACCESS, KEY_PURPOSE_ID_TOKEN};

pub use ring::{ActiveKey, KeyRing};

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

/// The JWS algorithms Keygate signs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// ECDSA on P-256 with SHA-256: small keys and signatures (the default).
    #[default]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 on a 2048-bit key: what every JWT library verifies.
    Rs256,
    /// Ed25519.
    EdDsa,
}

impl SigningAlgorithm {
    /// Every algorithm, in the order the discovery document lists them.
    pub const ALL: [SigningAlgorithm; 3] = [Self::Es256, Self::Rs256, Self::EdDsa];

    /// The JWS `alg` name, as stored and published.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The `jsonwebtoken` algorithm.
    pub fn jwt_algorithm(&self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::Rs256 => Algorithm::RS256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An algorithm name this server does not sign with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported signing algorithm {0} (use ES256, RS256 or EdDSA)")]
pub struct UnknownAlgorithm(pub String);

impl FromStr for SigningAlgorithm {
    type Err = UnknownAlgorithm;

    /// Accepts the JWS names in any case (`es256`, `RS256`, `eddsa`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownAlgorithm(s.to_owned()))
    }
}

/// Makes a fresh access-token key of `algorithm` in state `state`, named by its JWK thumbprint
/// (RFC 7638).
pub fn generate(
    algorithm: SigningAlgorithm,
    state: &str,
    now: UnixTime,
) -> Result<SigningKeyRecord, KeyError> {
    generate_for(KEY_PURPOSE_ACCESS, algorithm, state, now)
}

/// Makes a fresh RS256 key for OpenID Connect ID tokens in state `state`.
pub fn generate_id_token_key(state: &str, now: UnixTime) -> Result<SigningKeyRecord, KeyError> {
    generate_for(KEY_PURPOSE_ID_TOKEN, ID_TOKEN_ALGORITHM, state, now)
}

/// The algorithm ID tokens are signed with: RS256, the one every OpenID client must verify
/// (OpenID Connect Core §15.1).
pub const ID_TOKEN_ALGORITHM: SigningAlgorithm = SigningAlgorithm::Rs256;

/// Makes a fresh key for `purpose` (see [`SigningKeyRecord::purpose`]).
fn generate_for(
    purpose: &str,
    algorithm: SigningAlgorithm,
    state: &str,
    now: UnixTime,
) -> Result<SigningKeyRecord, KeyError> {
    let private_der = generate_pkcs8(algorithm)?;
    let (_, jwk) = parse(algorithm, &private_der).map_err(|_| KeyError::Generate)?;
    let kid = jwk.thumbprint(ThumbprintHash::SHA256);
    // Sealed under the master key when one is installed (keys at rest).
    let private_der = at_rest::for_storage(&kid, private_der).map_err(|_| KeyError::Generate)?;
    Ok(SigningKeyRecord {
        kid,
        algorithm: algorithm.as_str().into(),
        private_der,
        state: state.into(),
        created_at: now,
        retired_at: None,
        purpose: purpose.into(),
    })
}

/// Makes a fresh ES256 (P-256) key, ready to store as the active key.
pub fn generate_es256(now: UnixTime) -> Result<SigningKeyRecord, KeyError> {
    generate(SigningAlgorithm::Es256, "active", now)
}

fn generate_pkcs8(algorithm: SigningAlgorithm) -> Result<Vec<u8>, KeyError> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    match algorithm {
        SigningAlgorithm::Es256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map(|doc| doc.as_ref().to_vec())
        }
        SigningAlgorithm::EdDsa => {
            Ed25519KeyPair::generate_pkcs8(&rng).map(|doc| doc.as_ref().to_vec())
        }
        SigningAlgorithm::Rs256 => {
            aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .and_then(|pair| AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(&pair))
                .map(|der| der.as_ref().to_vec())
        }
    }
    .map_err(|_| KeyError::Generate)
}

/// Parses a stored PKCS#8 key into its signing key and public JWK (without `kid`/`use`).
fn parse(algorithm: SigningAlgorithm, pkcs8: &[u8]) -> Result<(EncodingKey, Jwk), String> {
    match algorithm {
        SigningAlgorithm::Es256 => {
            let key = EncodingKey::from_ec_der(pkcs8);
            let jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).map_err(|e| e.to_string())?;
            Ok((key, jwk))
        }
        SigningAlgorithm::Rs256 => {
            // jsonwebtoken signs with a PKCS#1 RSAPrivateKey, which PKCS#8 wraps.
            let info = pkcs8::PrivateKeyInfo::try_from(pkcs8).map_err(|e| e.to_string())?;
            let key = EncodingKey::from_rsa_der(info.private_key);
            let jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).map_err(|e| e.to_string())?;
            Ok((key, jwk))
        }
        SigningAlgorithm::EdDsa => {
            // `Jwk::from_encoding_key` does not implement Ed25519, so the OKP key is built here
            // (RFC 8037 §2: `x` is the 32-byte public key).
            use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| e.to_string())?;
            let jwk = Jwk {
                common: CommonParameters {
                    key_algorithm: Some(KeyAlgorithm::EdDSA),
                    ..Default::default()
                },
                algorithm: jsonwebtoken::jwk::AlgorithmParameters::OctetKeyPair(
                    OctetKeyPairParameters {
                        key_type: OctetKeyPairType::OctetKeyPair,
                        curve: EllipticCurve::Ed25519,
                        x: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
                    },
                ),
            };
            Ok((EncodingKey::from_ed_der(pkcs8), jwk))
        }
    }
}

/// A stored key, parsed: what signs with it and what publishes it.
pub(crate) struct ParsedKey {
    pub(crate) algorithm: SigningAlgorithm,
    pub(crate) encoding: EncodingKey,
    pub(crate) jwk: Jwk,
}

/// Parses a stored key record, naming the JWK after the record's `kid`.
pub(crate) fn parse_record(rec: &SigningKeyRecord) -> Result<ParsedKey, KeyError> {
    let unusable = |reason: String| KeyError::Unusable {
        kid: rec.kid.clone(),
        reason,
    };
    let algorithm: SigningAlgorithm = rec
        .algorithm
        .parse()
        .map_err(|e: UnknownAlgorithm| unusable(e.to_string()))?;
    let der =
        at_rest::from_storage(&rec.kid, &rec.private_der).map_err(|e| unusable(e.to_string()))?;
    let (encoding, mut jwk) = parse(algorithm, &der).map_err(unusable)?;
    jwk.common.key_id = Some(rec.kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok(ParsedKey {
        algorithm,
        encoding,
        jwk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_parse_in_any_case_and_unknown_ones_are_refused() {
        assert_eq!("es256".parse(), Ok(SigningAlgorithm::Es256));
        assert_eq!("RS256".parse(), Ok(SigningAlgorithm::Rs256));
        assert_eq!("eddsa".parse(), Ok(SigningAlgorithm::EdDsa));
        assert!("HS256".parse::<SigningAlgorithm>().is_err());
    }

    #[test]
    fn every_algorithm_generates_a_key_named_by_its_thumbprint() {
        for alg in SigningAlgorithm::ALL {
            let rec = generate(alg, "next", 5).unwrap();
            assert_eq!(rec.algorithm, alg.as_str());
            assert_eq!(rec.state, "next");
            let parsed = parse_record(&rec).unwrap();
            assert_eq!(parsed.jwk.thumbprint(ThumbprintHash::SHA256), rec.kid);
            assert_eq!(parsed.algorithm, alg);
        }
    }
}
