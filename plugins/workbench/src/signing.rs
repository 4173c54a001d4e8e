//! SignData and its signature (seed 004 §3.4 RefreshToken, §3.5 RequestLoginInfo).
//!
//! `SignData` is a JSON object string with the seed's keys, in this order: `tenantId` (the
//! account), `serviceId` (the agent's RamId), `dn` (the agent's extension), `source`
//! (`aliyun`), `timestamp` and `expireTime` (UTC epoch seconds). `Signature` is the standard
//! base64 of the Ed25519 signature (RFC 8032, 64 bytes) over the UTF-8 bytes of `SignData`
//! exactly as sent, with the instance's login key. Clients verify it with the public key the
//! gateway publishes at `GET /login-keys/{InstanceId}` (query `login_key`, [`LoginKey`]).
//!
//! Ed25519 rather than the RSA-1024 the seed's 172-character example suggests: 128-bit
//! security with 32-byte keys, deterministic signatures (no padding or nonce to get wrong),
//! and verification in every mainstream library (Python `cryptography`, WebCrypto, Go).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ccgate_plugin_sdk::sea_orm::{ActiveValue::Set, EntityTrait};
use ccgate_plugin_sdk::{ApiError, ApiResult, Context};
use ed25519_dalek::{Signer, SigningKey};
use rand::RngCore;
use serde::Serialize;
use sha2::Digest;

use crate::storage::login_key;

/// An instance's login key pair.
pub struct LoginKey {
    /// `wb-` and the first 16 hex digits of SHA-256 over the public key.
    pub key_id: String,
    /// The 32-byte public key, standard base64.
    pub public_key: String,
    signing: SigningKey,
}

impl std::fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginKey")
            .field("key_id", &self.key_id)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// The key id of a public key.
pub fn key_id(public: &[u8]) -> String {
    let digest = sha2::Sha256::digest(public);
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("wb-{hex}")
}

impl LoginKey {
    fn from_seed(seed: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let public = signing.verifying_key().to_bytes();
        Self {
            key_id: key_id(&public),
            public_key: B64.encode(public),
            signing,
        }
    }

    /// The signature of `data`: standard base64 of its 64-byte Ed25519 signature.
    pub fn sign(&self, data: &str) -> String {
        B64.encode(self.signing.sign(data.as_bytes()).to_bytes())
    }

    /// `instance`'s login key, made (and stored, the seed sealed by the host's master key) on
    /// first use. Two requests making it at once: the first insert wins, both use its key.
    ///
    /// Errors: storage failures; 500 `InternalError` when the stored key does not open.
    pub async fn of_instance(ctx: &Context, instance: &str) -> ApiResult<Self> {
        if let Some(row) = login_key::Entity::find_by_id(instance.to_string())
            .one(&ctx.db)
            .await?
        {
            return Self::open(ctx, &row).await;
        }
        let mut seed = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut seed);
        let key = Self::from_seed(seed);
        let sealed = ccgate_plugin_sdk::host::seal(ctx, &B64.encode(seed)).await?;
        let inserted = login_key::Entity::insert(login_key::ActiveModel {
            instance_id: Set(instance.to_string()),
            key_id: Set(key.key_id.clone()),
            public_key: Set(key.public_key.clone()),
            private_key_sealed: Set(sealed),
            created_at: Set(ctx.now_ms()),
        })
        .exec_without_returning(&ctx.db)
        .await;
        match inserted {
            Ok(_) => Ok(key),
            Err(e) if ccgate_plugin_sdk::storage::is_unique_violation(&e) => {
                let row = login_key::Entity::find_by_id(instance.to_string())
                    .one(&ctx.db)
                    .await?
                    .ok_or_else(ApiError::internal)?;
                Self::open(ctx, &row).await
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn open(ctx: &Context, row: &login_key::Model) -> ApiResult<Self> {
        let seed = ccgate_plugin_sdk::host::open(ctx, &row.private_key_sealed).await?;
        let seed: [u8; 32] = B64
            .decode(seed)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                tracing::error!(instance = %row.instance_id, "login key seed is not 32 bytes");
                ApiError::internal()
            })?;
        Ok(Self::from_seed(seed))
    }
}

/// The data a softphone presents to the agent server (seed 004 §3.4/§3.5 `SignData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignData {
    /// The account (tenant).
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    /// The agent's RamId.
    #[serde(rename = "serviceId")]
    pub service_id: String,
    /// The agent's extension (directory number).
    pub dn: String,
    /// Always `aliyun` (the seed's value; clients check it).
    pub source: &'static str,
    /// When it was signed, UTC epoch seconds.
    pub timestamp: i64,
    /// When it stops being valid, UTC epoch seconds.
    #[serde(rename = "expireTime")]
    pub expire_time: i64,
}

impl SignData {
    /// The JSON text that is signed and sent.
    pub fn to_json(&self) -> String {
        ccgate_plugin_sdk::serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    use super::*;

    #[test]
    fn signatures_verify_with_the_published_key_only_for_the_data_signed() {
        let key = LoginKey::from_seed([7u8; 32]);
        let data = SignData {
            tenant_id: "acc-1".into(),
            service_id: "1234567890123456".into(),
            dn: "8001".into(),
            source: "aliyun",
            timestamp: 1_531_452_126,
            expire_time: 1_531_453_926,
        }
        .to_json();
        assert_eq!(
            data,
            r#"{"tenantId":"acc-1","serviceId":"1234567890123456","dn":"8001","source":"aliyun","timestamp":1531452126,"expireTime":1531453926}"#
        );
        let sig = key.sign(&data);
        let public: [u8; 32] = B64.decode(&key.public_key).unwrap().try_into().unwrap();
        let verifier = VerifyingKey::from_bytes(&public).unwrap();
        let sig_bytes: [u8; 64] = B64.decode(&sig).unwrap().try_into().unwrap();
        let sig = Signature::from_bytes(&sig_bytes);
        verifier.verify(data.as_bytes(), &sig).unwrap();
        assert!(verifier.verify(b"{\"tenantId\":\"other\"}", &sig).is_err());
        assert!(key.key_id.starts_with("wb-") && key.key_id.len() == 19);
        assert_ne!(LoginKey::from_seed([8u8; 32]).public_key, key.public_key);
    }
}
