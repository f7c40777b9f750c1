//! Signing keys at rest: the private key's PKCS#8 DER is sealed with AES-256-GCM under a master
//! key given at start (`KEYGATE_MASTER_KEY_FILE`), so a copy of the database alone cannot sign.
//!
//! Sealed form: `KGSEAL1\0` || 12-byte random nonce || ciphertext || 16-byte tag, with the key's
//! `kid` as associated data (a sealed key moved onto another record does not open).
//!
//! The master key is installed once per process ([`install`]); keys are sealed where they are
//! made ([`crate::keys::generate`]) and opened where they are parsed, so every path that stores
//! or loads a key (first start, rotation, reload on another node) goes through here. Keys stored
//! before a master key was configured are sealed when Keygate next opens with one
//! ([`seal_clear_keys`]), and [`reseal_all`] moves every key under a new master key.

use std::borrow::Cow;
use std::sync::OnceLock;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;

use crate::model::{ResealedKey, SigningKeyRecord};
use crate::store::{Store, StoreError};

/// Marks a sealed `private_der`.
pub const SEALED_PREFIX: &[u8] = b"KGSEAL1\0";

/// Why a master key or a sealed key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtRestError {
    /// The master key is not 32 bytes (raw, or base64 of 32 bytes).
    #[error("the master key must be 32 random bytes, raw or base64-encoded")]
    BadMasterKey,
    /// A key is sealed but no master key was given.
    #[error("the signing keys are encrypted; start with the master key (KEYGATE_MASTER_KEY_FILE or KEYGATE_MASTER_KEY)")]
    MasterKeyMissing,
    /// The sealed key does not open with this master key (wrong key, or tampered data).
    #[error("the signing key does not decrypt with this master key")]
    WrongMasterKey,
    /// The crypto library failed.
    #[error("the signing key could not be encrypted")]
    Seal,
    /// A master key is already installed in this process.
    #[error("a master key is already installed")]
    AlreadyInstalled,
}

/// An AES-256-GCM key for sealing signing keys.
pub struct MasterKey(LessSafeKey);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A master key from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AtRestError> {
        if bytes.len() != 32 {
            return Err(AtRestError::BadMasterKey);
        }
        UnboundKey::new(&AES_256_GCM, bytes)
            .map(|k| Self(LessSafeKey::new(k)))
            .map_err(|_| AtRestError::BadMasterKey)
    }

    /// A new random master key with its base64 text (what a master key file holds).
    pub fn generate() -> Result<(Self, String), AtRestError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| AtRestError::Seal)?;
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        Ok((Self::from_bytes(&bytes)?, text))
    }

    /// A master key from a file's or variable's contents: 32 raw bytes, or 32 bytes in base64
    /// (standard or URL-safe, padded or not) with surrounding whitespace ignored.
    pub fn from_text_or_bytes(contents: &[u8]) -> Result<Self, AtRestError> {
        if contents.len() == 32 {
            return Self::from_bytes(contents);
        }
        let text = std::str::from_utf8(contents)
            .map_err(|_| AtRestError::BadMasterKey)?
            .trim();
        let engines = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        engines
            .iter()
            .find_map(|e| e.decode(text).ok().filter(|b| b.len() == 32))
            .ok_or(AtRestError::BadMasterKey)
            .and_then(|b| Self::from_bytes(&b))
    }

    /// Seals `der` for the key `kid`.
    pub fn seal(&self, kid: &str, der: &[u8]) -> Result<Vec<u8>, AtRestError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| AtRestError::Seal)?;
        let mut body = der.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut body,
            )
            .map_err(|_| AtRestError::Seal)?;
        let mut out = Vec::with_capacity(SEALED_PREFIX.len() + NONCE_LEN + body.len());
        out.extend_from_slice(SEALED_PREFIX);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Opens what [`MasterKey::seal`] made for `kid`.
    pub fn open(&self, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, AtRestError> {
        let rest = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(AtRestError::WrongMasterKey)?;
        if rest.len() < NONCE_LEN {
            return Err(AtRestError::WrongMasterKey);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| AtRestError::WrongMasterKey)?;
        let mut body = body.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut body)
            .map_err(|_| AtRestError::WrongMasterKey)?;
        Ok(plain.to_vec())
    }
}

/// Whether a stored `private_der` is sealed.
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

static MASTER: OnceLock<MasterKey> = OnceLock::new();

/// Installs the process's master key; from now on new keys are stored sealed.
pub fn install(key: MasterKey) -> Result<(), AtRestError> {
    MASTER.set(key).map_err(|_| AtRestError::AlreadyInstalled)
}

/// Whether a master key is installed.
pub fn is_installed() -> bool {
    MASTER.get().is_some()
}

/// The form in which a freshly made key is stored: sealed when a master key is installed.
pub(crate) fn for_storage(kid: &str, der: Vec<u8>) -> Result<Vec<u8>, AtRestError> {
    match MASTER.get() {
        Some(master) => master.seal(kid, &der),
        None => Ok(der),
    }
}

/// The DER of a stored key, opened when sealed.
pub(crate) fn from_storage<'a>(kid: &str, stored: &'a [u8]) -> Result<Cow<'a, [u8]>, AtRestError> {
    if !is_sealed(stored) {
        if is_installed() {
            tracing::warn!(kid, "signing key is stored unencrypted; `keygate keys rotate` replaces it with an encrypted one");
        }
        return Ok(Cow::Borrowed(stored));
    }
    let master = MASTER.get().ok_or(AtRestError::MasterKeyMissing)?;
    master.open(kid, stored).map(Cow::Owned)
}

/// Whether any stored signing key is sealed (so a master key must be given, not made up).
pub async fn holds_sealed_keys(store: &dyn Store) -> Result<bool, StoreError> {
    Ok(store
        .signing_keys()
        .await?
        .iter()
        .any(|k| is_sealed(&k.private_der)))
}

/// Seals, with the installed master key, every key in `records` that is stored in the clear (a
/// database made before a master key was configured); returns how many were sealed. Without a
/// master key it does nothing.
pub(crate) async fn seal_clear_keys(
    store: &dyn Store,
    records: &[SigningKeyRecord],
) -> Result<u64, SealError> {
    let Some(master) = MASTER.get() else {
        return Ok(0);
    };
    let mut resealed = Vec::new();
    for rec in records.iter().filter(|r| !is_sealed(&r.private_der)) {
        resealed.push(ResealedKey {
            kid: rec.kid.clone(),
            stored: rec.private_der.clone(),
            resealed: master.seal(&rec.kid, &rec.private_der)?,
        });
    }
    if resealed.is_empty() {
        return Ok(0);
    }
    match store.reseal_signing_keys(resealed).await {
        Ok(sealed) => {
            tracing::info!(keys = sealed, "sealed the signing keys stored in the clear");
            Ok(sealed)
        }
        // Another node starting at the same time sealed them first.
        Err(StoreError::Conflict(_)) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// Moves every stored signing key under `new` (opening each with the installed master key, or
/// reading it in the clear), in one transaction; returns how many keys were resealed. After it,
/// Keygate must be started with `new`.
pub async fn reseal_all(kg: &crate::Keygate, new: &MasterKey) -> Result<u64, SealError> {
    let records = kg.store().signing_keys().await?;
    let mut resealed = Vec::with_capacity(records.len());
    for rec in &records {
        let der = from_storage(&rec.kid, &rec.private_der)?;
        resealed.push(ResealedKey {
            kid: rec.kid.clone(),
            stored: rec.private_der.clone(),
            resealed: new.seal(&rec.kid, &der)?,
        });
    }
    match kg.store().reseal_signing_keys(resealed).await {
        Err(StoreError::Conflict(_)) => Err(SealError::Raced),
        other => Ok(other?),
    }
}

/// Why keys could not be sealed or resealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// A key could not be opened or sealed.
    #[error(transparent)]
    AtRest(#[from] AtRestError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key changed while it was being resealed (a rotation ran at the same time); nothing was
    /// changed.
    #[error("a signing key changed while it was being resealed; run the command again")]
    Raced,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_master_key_and_its_kid() {
        let der = b"pkcs8 der bytes".to_vec();
        let sealed = key(1).seal("kid-a", &der).unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.windows(der.len()).any(|w| w == der.as_slice()));
        assert_eq!(key(1).open("kid-a", &sealed).unwrap(), der);
        assert_eq!(
            key(2).open("kid-a", &sealed),
            Err(AtRestError::WrongMasterKey)
        );
        assert_eq!(
            key(1).open("kid-b", &sealed),
            Err(AtRestError::WrongMasterKey)
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            key(1).open("kid-a", &tampered),
            Err(AtRestError::WrongMasterKey)
        );
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let k = key(3);
        assert_ne!(k.seal("k", b"x").unwrap(), k.seal("k", b"x").unwrap());
    }

    #[test]
    fn master_keys_are_read_raw_or_as_base64_and_must_be_32_bytes() {
        assert!(MasterKey::from_text_or_bytes(&[7u8; 32]).is_ok());
        let b64 = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        assert!(MasterKey::from_text_or_bytes(format!("{b64}\n").as_bytes()).is_ok());
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([250u8; 32]);
        assert!(MasterKey::from_text_or_bytes(url.as_bytes()).is_ok());
        assert_eq!(
            MasterKey::from_text_or_bytes(b"too short").unwrap_err(),
            AtRestError::BadMasterKey
        );
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        assert!(MasterKey::from_text_or_bytes(short.as_bytes()).is_err());
    }

    #[test]
    fn unsealed_keys_pass_through_when_no_master_key_is_installed() {
        // This test process never installs a master key.
        assert!(!is_installed());
        assert_eq!(from_storage("k", b"plain").unwrap().as_ref(), b"plain");
        assert_eq!(for_storage("k", b"plain".to_vec()).unwrap(), b"plain");
        let sealed = key(4).seal("k", b"plain").unwrap();
        assert_eq!(
            from_storage("k", &sealed).unwrap_err(),
            AtRestError::MasterKeyMissing
        );
    }
}
