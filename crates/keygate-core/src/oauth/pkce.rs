//! Proof Key for Code Exchange (RFC 7636), S256 only.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::secrets::constant_time_eq;

/// Whether a `code_challenge` is well formed (RFC 7636 §4.2: 43-128 unreserved characters).
pub fn is_valid_challenge(challenge: &str) -> bool {
    is_valid_verifier(challenge)
}

/// Whether a `code_verifier` is well formed (RFC 7636 §4.1).
pub fn is_valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge of a verifier.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.6: the verifier hashes to the stored challenge.
pub fn verifies(verifier: &str, challenge: &str) -> bool {
    is_valid_verifier(verifier) && constant_time_eq(&s256(verifier), challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_appendix_b_example_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256(verifier), challenge);
        assert!(verifies(verifier, challenge));
        assert!(!verifies("x", challenge));
    }
}
