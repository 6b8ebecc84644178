//! Sealing: authenticated encryption for data the database must hold but must not show.
//!
//! Two levels, as in envelope encryption: the server's **seal key** (`SURVEY_SEAL_KEY`, 32
//! random bytes, never stored in the database) wraps one random **data key** per survey window;
//! the data key seals that window's responses. Both use XChaCha20-Poly1305 (RFC 8439's AEAD
//! with the 24-byte extended nonce of draft-irtf-cfrg-xchacha), with a fresh random nonce for
//! every message — 192 random bits make a repeated nonce impossible in practice, whatever the
//! number of responses — and associated data that binds each ciphertext to its purpose and
//! window, so a sealed row moved to another window or a key moved to another window does not
//! open.
//!
//! Rotation: a new seal key becomes `SURVEY_SEAL_KEY` and the old one is listed in
//! `SURVEY_SEAL_KEY_PREVIOUS` until `securebase surveys rewrap` has wrapped every data key
//! again under the new one. Each wrapped key names the seal key that wrapped it by a short
//! fingerprint, which identifies the key without revealing it.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const WRAP_VERSION: &str = "v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("a seal key must be 32 bytes, given as base64 or 64 hexadecimal digits")]
    BadKey,
    #[error("the data key was wrapped by seal key {0}, which is not configured")]
    UnknownKey(String),
    #[error("a sealed value is malformed or was altered")]
    Corrupt,
}

/// A seal key: wraps data keys. Only its fingerprint is ever shown.
#[derive(Clone)]
pub struct SealKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({})", self.id)
    }
}

impl SealKey {
    /// Reads a key given as base64 (standard or URL-safe, padded or not) or as hex.
    pub fn parse(text: &str) -> Result<SealKey, SealError> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..KEY_LEN)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| SealError::BadKey)?
        } else {
            STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
                .map_err(|_| SealError::BadKey)?
        };
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<SealKey, SealError> {
        if bytes.len() != KEY_LEN {
            return Err(SealError::BadKey);
        }
        let digest = Sha256::new()
            .chain_update(b"securebase seal key fingerprint\0")
            .chain_update(bytes)
            .finalize();
        let id = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Ok(SealKey {
            id,
            cipher: XChaCha20Poly1305::new_from_slice(bytes).map_err(|_| SealError::BadKey)?,
        })
    }

    /// The key's fingerprint (12 hex digits), as printed in logs and stored with wrapped keys.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The configured seal keys: the current one wraps, any of them unwraps.
#[derive(Clone, Debug)]
pub struct SealKeys {
    current: SealKey,
    previous: Vec<SealKey>,
}

/// Public and fixed: sealing in demo mode and tests works, and protects nothing.
const DEMO_KEY_SEED: &[u8] = b"securebase demo seal key - not for production use";

impl SealKeys {
    pub fn new(current: SealKey, previous: Vec<SealKey>) -> SealKeys {
        SealKeys { current, previous }
    }

    /// The demo key (derived from a public constant): anyone can open what it seals.
    pub fn demo() -> SealKeys {
        let bytes = Sha256::digest(DEMO_KEY_SEED);
        SealKeys::new(SealKey::from_bytes(&bytes).expect("32 bytes"), Vec::new())
    }

    pub fn current(&self) -> &SealKey {
        &self.current
    }

    fn by_id(&self, id: &str) -> Option<&SealKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }

    /// A new random data key for `context` (a window id), wrapped under the current seal key,
    /// as stored: `v1.<seal key fingerprint>.<base64 nonce ‖ ciphertext>`.
    pub fn new_wrapped_data_key(&self, context: &str) -> String {
        let mut key = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let wrapped = self.wrap(&key, context);
        key.fill(0);
        wrapped
    }

    fn wrap(&self, key: &[u8], context: &str) -> String {
        let sealed = seal_with(&self.current.cipher, key, &wrap_aad(context));
        format!(
            "{WRAP_VERSION}.{}.{}",
            self.current.id,
            STANDARD.encode(sealed)
        )
    }

    /// The data key wrapped in `wrapped` for `context`.
    pub fn unwrap_data_key(&self, wrapped: &str, context: &str) -> Result<DataKey, SealError> {
        let key = self.unwrap_bytes(wrapped, context)?;
        let cipher = XChaCha20Poly1305::new_from_slice(&key).map_err(|_| SealError::Corrupt)?;
        Ok(DataKey { cipher })
    }

    fn unwrap_bytes(&self, wrapped: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let mut parts = wrapped.splitn(3, '.');
        let (Some(WRAP_VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Corrupt);
        };
        let seal_key = self
            .by_id(id)
            .ok_or_else(|| SealError::UnknownKey(id.to_owned()))?;
        let sealed = STANDARD.decode(body).map_err(|_| SealError::Corrupt)?;
        open_with(&seal_key.cipher, &sealed, &wrap_aad(context))
    }

    /// `wrapped` wrapped again under the current seal key, or None when it already is.
    pub fn rewrap(&self, wrapped: &str, context: &str) -> Result<Option<String>, SealError> {
        if wrapped.split('.').nth(1) == Some(self.current.id.as_str()) {
            return Ok(None);
        }
        let mut key = self.unwrap_bytes(wrapped, context)?;
        let rewrapped = self.wrap(&key, context);
        key.fill(0);
        Ok(Some(rewrapped))
    }
}

fn wrap_aad(context: &str) -> Vec<u8> {
    format!("securebase/data-key/v1/{context}").into_bytes()
}

/// A window's data key, unwrapped: seals and opens that window's responses.
pub struct DataKey {
    cipher: XChaCha20Poly1305,
}

impl DataKey {
    /// `plaintext` sealed for `aad`, as `base64(nonce ‖ ciphertext ‖ tag)`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> String {
        STANDARD.encode(seal_with(&self.cipher, plaintext, aad))
    }

    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| SealError::Corrupt)?;
        open_with(&self.cipher, &bytes, aad)
    }
}

fn seal_with(cipher: &XChaCha20Poly1305, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        // Encryption fails only for messages beyond 2^38 bytes.
        .expect("AEAD encryption of a small message");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    out
}

fn open_with(cipher: &XChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_LEN {
        return Err(SealError::Corrupt);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Corrupt)?;
    cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| SealError::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SealKey {
        SealKey::from_bytes(&[byte; KEY_LEN]).unwrap()
    }

    #[test]
    fn keys_parse_from_base64_and_hex_and_refuse_other_lengths() {
        let b64 = STANDARD.encode([7u8; 32]);
        let hex = "07".repeat(32);
        assert_eq!(SealKey::parse(&b64).unwrap().id(), key(7).id());
        assert_eq!(SealKey::parse(&hex).unwrap().id(), key(7).id());
        assert_eq!(
            SealKey::parse(&URL_SAFE_NO_PAD.encode([7u8; 32]))
                .unwrap()
                .id(),
            key(7).id()
        );
        assert_eq!(
            SealKey::parse(&STANDARD.encode([7u8; 16])).unwrap_err(),
            SealError::BadKey
        );
        assert_eq!(SealKey::parse("not a key").unwrap_err(), SealError::BadKey);
    }

    #[test]
    fn a_data_key_opens_only_its_own_window_under_a_configured_seal_key() {
        let keys = SealKeys::new(key(1), Vec::new());
        let wrapped = keys.new_wrapped_data_key("window-a");
        assert!(wrapped.starts_with(&format!("v1.{}.", key(1).id())));
        let data = keys.unwrap_data_key(&wrapped, "window-a").unwrap();
        let sealed = data.seal(b"answers", b"window-a");
        assert_eq!(data.open(&sealed, b"window-a").unwrap(), b"answers");
        // Bound to its window, both the key and the message.
        assert!(keys.unwrap_data_key(&wrapped, "window-b").is_err());
        assert_eq!(data.open(&sealed, b"window-b"), Err(SealError::Corrupt));
        // Another seal key cannot unwrap it.
        let other = SealKeys::new(key(2), Vec::new());
        assert_eq!(
            other.unwrap_data_key(&wrapped, "window-a").err(),
            Some(SealError::UnknownKey(key(1).id().to_owned()))
        );
        // A flipped bit is detected.
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        bytes[30] ^= 1;
        assert_eq!(
            data.open(&STANDARD.encode(bytes), b"window-a"),
            Err(SealError::Corrupt)
        );
    }

    #[test]
    fn the_same_message_seals_differently_every_time() {
        let keys = SealKeys::new(key(1), Vec::new());
        let data = keys
            .unwrap_data_key(&keys.new_wrapped_data_key("w"), "w")
            .unwrap();
        assert_ne!(data.seal(b"same", b"w"), data.seal(b"same", b"w"));
    }

    #[test]
    fn rotation_rewraps_under_the_new_key_and_keeps_the_data_key() {
        let old = SealKeys::new(key(1), Vec::new());
        let wrapped = old.new_wrapped_data_key("w");
        let sealed = old.unwrap_data_key(&wrapped, "w").unwrap().seal(b"x", b"w");
        let rotated = SealKeys::new(key(2), vec![key(1)]);
        let rewrapped = rotated.rewrap(&wrapped, "w").unwrap().expect("rewrapped");
        assert_eq!(rotated.rewrap(&rewrapped, "w").unwrap(), None);
        let only_new = SealKeys::new(key(2), Vec::new());
        let data = only_new.unwrap_data_key(&rewrapped, "w").unwrap();
        assert_eq!(data.open(&sealed, b"w").unwrap(), b"x");
    }
}
