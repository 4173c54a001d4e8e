//! Secrets at rest: AES-256-GCM under a master key from config or a key file.
//!
//! Sealed values are `v1:` + base64(nonce(12) || ciphertext+tag). AccessKey secrets and
//! token-signing keys are stored only in this form.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// Errors of key loading and unsealing.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The configured key is not base64 of 32 bytes.
    #[error("master key must be base64 of 32 bytes: {0}")]
    BadKey(String),
    /// The key file could not be read or created.
    #[error("master key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A sealed value is malformed or was sealed under another key.
    #[error("sealed value cannot be opened (wrong master key or corrupt data)")]
    Unseal,
}

/// The master key.
#[derive(Clone)]
pub struct MasterKey {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// From base64 of 32 bytes.
    pub fn from_base64(b64: &str) -> Result<Self, CryptoError> {
        let bytes = B64
            .decode(b64.trim())
            .map_err(|e| CryptoError::BadKey(e.to_string()))?;
        if bytes.len() != 32 {
            return Err(CryptoError::BadKey(format!("{} bytes", bytes.len())));
        }
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    /// `configured` when non-empty, else the key in `file`, creating the file (mode 0600)
    /// with a fresh random key when it does not exist.
    pub fn load_or_create(configured: &str, file: &Path) -> Result<Self, CryptoError> {
        if !configured.trim().is_empty() {
            return Self::from_base64(configured);
        }
        let io = |source| CryptoError::KeyFile {
            path: file.display().to_string(),
            source,
        };
        match std::fs::read_to_string(file) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let key = Aes256Gcm::generate_key(OsRng);
                let text = B64.encode(key);
                write_private(file, &text).map_err(io)?;
                Self::from_base64(&text)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Encrypts `plaintext` with a random nonce.
    pub fn seal(&self, plaintext: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .expect("AES-GCM encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("v1:{}", B64.encode(out))
    }

    /// Decrypts a value produced by [`MasterKey::seal`].
    pub fn open(&self, sealed: &str) -> Result<String, CryptoError> {
        let raw = sealed.strip_prefix("v1:").ok_or(CryptoError::Unseal)?;
        let bytes = B64.decode(raw).map_err(|_| CryptoError::Unseal)?;
        if bytes.len() < 12 {
            return Err(CryptoError::Unseal);
        }
        let (nonce, ct) = bytes.split_at(12);
        let pt = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| CryptoError::Unseal)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Unseal)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_hides_the_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k");
        let key = MasterKey::load_or_create("", &file).unwrap();
        let sealed = key.seal("s3cret-value");
        assert!(!sealed.contains("s3cret"));
        assert_ne!(sealed, key.seal("s3cret-value"), "nonces differ");
        assert_eq!(key.open(&sealed).unwrap(), "s3cret-value");
        // The same file yields the same key.
        let again = MasterKey::load_or_create("", &file).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), "s3cret-value");
    }

    #[test]
    fn another_key_cannot_open() {
        let a = MasterKey::from_base64(&B64.encode([1u8; 32])).unwrap();
        let b = MasterKey::from_base64(&B64.encode([2u8; 32])).unwrap();
        assert!(b.open(&a.seal("x")).is_err());
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }
}
