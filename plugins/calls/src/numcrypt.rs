//! Encrypted customer numbers (Encrypt, 2017-07-05): pure functions, no I/O.
//!
//! - **Key**: one 32-byte master key per deployment (`[plugins.calls] number_key`, base64; when
//!   empty, a random key kept in `calls_secret`, see [`crate::storage::privacy::master_key`]).
//!   Each instance encrypts under its own key, HKDF-SHA256 (RFC 5869) of the master key with
//!   salt [`HKDF_SALT`] and info `instance:<InstanceId>` ([`instance_key`]): a token of one
//!   instance does not decrypt in another.
//! - **Token**: [`PREFIX`] followed by base64url without padding (RFC 4648 §5) of the 12-byte
//!   random nonce and the AES-256-GCM ciphertext with its 16-byte tag ([`encrypt`]). A number of
//!   32 digits gives 84 characters. Every call gives a new token (random nonce): tokens are
//!   not comparable, only decryptable.
//! - **Use**: the dialing actions pass each customer number through [`reveal`]-like checks
//!   (`crate::secret_numbers`); a value without the prefix is a plain number.
//!
//! Changing the master key makes every token issued before undecryptable (the dialing actions
//! then answer 400 `InvalidParameter`).

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use sha2::Sha256;

/// What starts every token.
pub const PREFIX: &str = "enc:";
/// HKDF salt (fixed; the master key is already uniformly random).
pub const HKDF_SALT: &[u8] = b"ccgate-calls/number-key/v1";
/// AES-GCM nonce length, bytes.
const NONCE_LEN: usize = 12;
/// The most numbers one Encrypt call takes.
pub const MAX_NUMBERS: usize = 100;
/// The longest number, digits (without the leading `+`).
pub const MAX_DIGITS: usize = 32;

/// A 32-byte key whose `Debug` does not show it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyBytes(pub [u8; 32]);

impl std::fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBytes(<redacted>)")
    }
}

/// Reads a master key: standard base64 (padding optional) of exactly 32 bytes.
///
/// Errors: what is wrong, without the value.
pub fn parse_master(b64: &str) -> Result<KeyBytes, String> {
    let raw = STANDARD
        .decode(b64.trim())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64.trim()))
        .map_err(|_| "is not base64".to_string())?;
    let bytes: [u8; 32] = raw
        .try_into()
        .map_err(|v: Vec<u8>| format!("is {} bytes, not 32", v.len()))?;
    Ok(KeyBytes(bytes))
}

/// A master key as stored: standard base64.
pub fn encode_master(key: &KeyBytes) -> String {
    STANDARD.encode(key.0)
}

/// A new random master key (the OS CSPRNG).
pub fn random_master() -> KeyBytes {
    KeyBytes(Aes256Gcm::generate_key(OsRng).into())
}

/// The key of `instance`: HKDF-SHA256(salt [`HKDF_SALT`], ikm `master`, info
/// `instance:<instance>`), 32 bytes.
pub fn instance_key(master: &KeyBytes, instance: &str) -> KeyBytes {
    let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), &master.0);
    let mut okm = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit (255 * 32), so expand cannot fail.
    hk.expand(format!("instance:{instance}").as_bytes(), &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    KeyBytes(okm)
}

/// The token of `number` under `key` (an [`instance_key`]).
pub fn encrypt(key: &KeyBytes, number: &str) -> String {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key.0));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    // Encryption only fails for plaintexts beyond 64 GiB.
    let ct = cipher
        .encrypt(&nonce, number.as_bytes())
        .expect("AES-GCM encrypts a short plaintext");
    let mut raw = Vec::with_capacity(NONCE_LEN + ct.len());
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&ct);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw))
}

/// Whether `value` is a token (starts with [`PREFIX`]).
pub fn is_token(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// The number inside `token`, or `None` when it is not a token of `key` (malformed, another
/// instance's, a changed master key, tampered).
pub fn decrypt(key: &KeyBytes, token: &str) -> Option<String> {
    let raw = URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX)?).ok()?;
    if raw.len() < NONCE_LEN + 16 {
        return None;
    }
    let (nonce, ct) = raw.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key.0));
    let plain = cipher.decrypt(Nonce::from_slice(nonce), ct).ok()?;
    String::from_utf8(plain).ok()
}

/// Whether `number` is a number Encrypt takes: 3 to [`MAX_DIGITS`] digits, optionally with a
/// leading `+`.
pub fn valid_number(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (3..=MAX_DIGITS).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Reads Encrypt's `PhoneNumbers`: a JSON array of strings (when it starts with `[`) or a
/// comma-separated list; items trimmed; 1 to [`MAX_NUMBERS`], each [`valid_number`].
///
/// Errors: what is wrong (naming the item's 1-based position, never echoing a whole list).
pub fn parse_numbers(raw: &str) -> Result<Vec<String>, String> {
    let raw = raw.trim();
    let items: Vec<String> = if raw.starts_with('[') {
        serde_json::from_str::<Vec<String>>(raw)
            .map_err(|_| "is neither a JSON array of strings nor a comma-separated list")?
    } else {
        raw.split(',').map(str::to_string).collect()
    };
    let items: Vec<String> = items.into_iter().map(|s| s.trim().to_string()).collect();
    if items.is_empty() || (items.len() == 1 && items[0].is_empty()) {
        return Err("names no number".into());
    }
    if items.len() > MAX_NUMBERS {
        return Err(format!(
            "has {} numbers, at most {MAX_NUMBERS}",
            items.len()
        ));
    }
    if let Some(i) = items.iter().position(|n| !valid_number(n)) {
        return Err(format!(
            "item {} is not a telephone number (3 to {MAX_DIGITS} digits, optionally with a leading +)",
            i + 1
        ));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: KeyBytes = KeyBytes([7; 32]);

    #[test]
    fn a_token_decrypts_under_its_instance_key_only() {
        let a = instance_key(&MASTER, "ccc-a");
        let b = instance_key(&MASTER, "ccc-b");
        assert_ne!(a, b);
        assert_eq!(a, instance_key(&MASTER, "ccc-a"));
        let t = encrypt(&a, "+8618801341452");
        assert!(is_token(&t));
        assert!(t.len() <= 84, "{t}");
        assert_eq!(decrypt(&a, &t).as_deref(), Some("+8618801341452"));
        assert_eq!(decrypt(&b, &t), None);
        // New nonce every time.
        assert_ne!(t, encrypt(&a, "+8618801341452"));
        let longest = encrypt(&a, &"9".repeat(32));
        assert_eq!(longest.len(), 84);
        // Tampering and garbage.
        let mut bad = t.clone().into_bytes();
        let last = bad.len() - 2;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(decrypt(&a, &String::from_utf8(bad).unwrap()), None);
        assert_eq!(decrypt(&a, "enc:"), None);
        assert_eq!(decrypt(&a, "enc:!!"), None);
        assert_eq!(decrypt(&a, "18801341452"), None);
    }

    #[test]
    fn master_keys_are_32_bytes_of_base64_and_never_printed() {
        let k = random_master();
        assert_eq!(parse_master(&encode_master(&k)), Ok(k));
        assert!(parse_master("AAAA").unwrap_err().contains("3 bytes"));
        assert_eq!(parse_master("***").unwrap_err(), "is not base64");
        assert_eq!(format!("{k:?}"), "KeyBytes(<redacted>)");
    }

    #[test]
    fn phone_numbers_are_a_json_array_or_a_comma_list() {
        assert_eq!(
            parse_numbers(r#"["18801341452", "+8617600668806"]"#).unwrap(),
            ["18801341452", "+8617600668806"]
        );
        assert_eq!(
            parse_numbers("18801341452, 17600668806").unwrap(),
            ["18801341452", "17600668806"]
        );
        assert!(parse_numbers("").is_err());
        assert!(parse_numbers("[]").is_err());
        assert!(parse_numbers("[1]").is_err());
        assert!(parse_numbers("188,abc").unwrap_err().contains("item 2"));
        assert!(parse_numbers(&"9".repeat(33)).is_err());
        let many = vec!["18801341452"; 101].join(",");
        assert!(parse_numbers(&many).unwrap_err().contains("101"));
    }
}
