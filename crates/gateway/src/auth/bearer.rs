//! Bearer tokens: JWTs (HS256) that ccgate issues and verifies.
//!
//! Alibaba dialect: sent as `x-acs-bearer-token` or `BearerToken` with
//! `SignatureType=BEARERTOKEN` (`shared/reference/alibaba-sdk-wire.md`, family B). Huawei
//! cc-management: `Authorization: Bearer <AccessToken>` from `tokenByAkSk` (seed 001,
//! `huawei-aicc.md` §2). The audience keeps the two apart.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};

use crate::crypto::MasterKey;
use crate::store::entities::signing_key;

/// Audience of tokens for the Alibaba RPC dialect.
pub const AUD_ALIYUN: &str = "ccgate:aliyun";
/// Audience of tokens issued by Huawei `tokenByAkSk`.
pub const AUD_HUAWEI: &str = "ccgate:huawei";

/// The claims of a ccgate token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Issuer, always `ccgate`.
    pub iss: String,
    /// Subject: the login name (or AccessKeyId / app key) the token was issued to.
    pub sub: String,
    /// The account the token acts for.
    pub acc: String,
    /// Audience: [`AUD_ALIYUN`] or [`AUD_HUAWEI`].
    pub aud: String,
    /// Issued at, UTC epoch seconds.
    pub iat: i64,
    /// Expires at, UTC epoch seconds.
    pub exp: i64,
    /// Token id (32 hex digits), for revoking this one token (`ccgate token revoke`). Empty
    /// in tokens of older ccgate builds.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jti: String,
    /// The AccessKey the token was issued under (`ccgate token issue --access-key-id`, Huawei
    /// `tokenByAkSk`'s app key): the token dies when that key is disabled or its tokens are
    /// revoked. `None` for tokens issued for a whole account (`--account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ak: Option<String>,
    /// The role the token's subject acts with (`admin`, `skill-group-leader`, `agent`; see
    /// [`ccgate_plugin_sdk::Role`]). Absent in tokens issued for an account or an AccessKey and
    /// in tokens of older builds: those act as administrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `true` when the subject is a user's login name (`ccgate token issue --subject`): the
    /// gateway resolves it in the request's instance (`auth::access`). Absent (`false`) in
    /// account and AccessKey tokens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub usr: bool,
}

impl Claims {
    /// Whether the token acts for a user of an instance: issued for a named subject
    /// ([`Claims::usr`]) or with a role claim.
    pub fn is_user(&self) -> bool {
        self.usr || self.role.is_some()
    }

    /// What a handler's context knows of the token ([`ccgate_plugin_sdk::TokenGrant`]).
    pub fn grant(&self) -> ccgate_plugin_sdk::TokenGrant {
        ccgate_plugin_sdk::TokenGrant {
            token_id: self.jti.clone(),
            issued_at: self.iat,
            expires_at: self.exp,
            access_key_id: self.ak.clone(),
            role: self.role.clone(),
            user: self.usr,
        }
    }

    /// The role the token acts with; an unknown role name acts as an agent (least privilege).
    pub fn role(&self) -> ccgate_plugin_sdk::Role {
        match self.role.as_deref() {
            None => ccgate_plugin_sdk::Role::Admin,
            Some(name) => {
                ccgate_plugin_sdk::Role::parse(name).unwrap_or(ccgate_plugin_sdk::Role::Agent)
            }
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Past `exp`.
    #[error("the bearer token has expired")]
    Expired,
    /// Not a token of this gateway (bad signature, audience, format).
    #[error("the bearer token is malformed or was not issued by this gateway")]
    Invalid,
}

/// Issues and verifies tokens with the gateway's signing key.
#[derive(Clone)]
pub struct TokenService {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl TokenService {
    /// Loads the newest signing key, creating one (sealed with `master`) on first start.
    pub async fn load_or_create(
        db: &DatabaseConnection,
        master: &MasterKey,
    ) -> Result<Self, DbErr> {
        let newest = signing_key::Entity::find()
            .order_by_desc(signing_key::Column::CreatedAt)
            .one(db)
            .await?;
        let (kid, secret_b64) = match newest {
            Some(k) => {
                let secret = master
                    .open(&k.secret_sealed)
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
                (k.id, secret)
            }
            None => {
                let mut bytes = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut bytes);
                let secret = B64.encode(bytes);
                let kid = format!("k-{}", uuid::Uuid::new_v4().simple());
                signing_key::ActiveModel {
                    id: Set(kid.clone()),
                    secret_sealed: Set(master.seal(&secret)),
                    created_at: Set(ccgate_plugin_sdk::time::now_ms()),
                }
                .insert(db)
                .await?;
                (kid, secret)
            }
        };
        let raw = B64
            .decode(secret_b64)
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        Ok(Self::from_secret(kid, &raw))
    }

    /// A service over a raw HMAC key (tests, benchmarks).
    pub fn from_secret(kid: String, secret: &[u8]) -> Self {
        Self {
            kid,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Issues a token for `subject` of `account` valid for `ttl_secs` seconds, bound to
    /// AccessKey `access_key` when given (see [`Claims::ak`]), with a fresh `jti`.
    pub fn issue(
        &self,
        subject: &str,
        account: &str,
        audience: &str,
        ttl_secs: u64,
        access_key: Option<&str>,
    ) -> (String, Claims) {
        self.issue_as(subject, account, audience, ttl_secs, access_key, None)
    }

    /// As [`TokenService::issue`], for a user acting with `role` (`None`: an administrator,
    /// the role claim left out).
    pub fn issue_as(
        &self,
        subject: &str,
        account: &str,
        audience: &str,
        ttl_secs: u64,
        access_key: Option<&str>,
        role: Option<ccgate_plugin_sdk::Role>,
    ) -> (String, Claims) {
        self.issue_claims(
            subject, account, audience, ttl_secs, access_key, role, false,
        )
    }

    /// As [`TokenService::issue_as`], for the user of login name `subject` ([`Claims::usr`]):
    /// the gateway resolves the user in the request's instance through the agents plugin.
    pub fn issue_for_user(
        &self,
        subject: &str,
        account: &str,
        audience: &str,
        ttl_secs: u64,
        access_key: Option<&str>,
        role: Option<ccgate_plugin_sdk::Role>,
    ) -> (String, Claims) {
        self.issue_claims(subject, account, audience, ttl_secs, access_key, role, true)
    }

    #[allow(clippy::too_many_arguments)]
    fn issue_claims(
        &self,
        subject: &str,
        account: &str,
        audience: &str,
        ttl_secs: u64,
        access_key: Option<&str>,
        role: Option<ccgate_plugin_sdk::Role>,
        usr: bool,
    ) -> (String, Claims) {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: "ccgate".into(),
            sub: subject.into(),
            acc: account.into(),
            aud: audience.into(),
            iat: now,
            exp: now + ttl_secs as i64,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            ak: access_key.map(str::to_string),
            role: role.map(|r| r.as_str().to_string()),
            usr,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .expect("HS256 encoding cannot fail");
        (token, claims)
    }

    /// The claims of a token this gateway signed, expired or not, for any audience (to revoke
    /// it). Errors: [`TokenError::Invalid`] when it is not such a token.
    pub fn inspect(&self, token: &str) -> Result<Claims, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.validate_aud = false;
        v.set_issuer(&["ccgate"]);
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .map(|d| d.claims)
            .map_err(|_| TokenError::Invalid)
    }

    /// Verifies `token` for `audience`.
    ///
    /// Errors: [`TokenError::Expired`] past `exp` (no leeway), [`TokenError::Invalid`] otherwise.
    pub fn verify(&self, token: &str, audience: &str) -> Result<Claims, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[audience]);
        v.set_issuer(&["ccgate"]);
        v.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_audience_and_key() {
        let svc = TokenService::from_secret("k1".into(), b"0123456789abcdef0123456789abcdef");
        let (tok, claims) = svc.issue("agent@ccc-test", "acc-1", AUD_ALIYUN, 60, Some("LTAI1"));
        assert_eq!(svc.verify(&tok, AUD_ALIYUN).unwrap(), claims);
        assert_eq!(claims.ak.as_deref(), Some("LTAI1"));
        assert_eq!(claims.jti.len(), 32);
        assert_eq!(svc.inspect(&tok).unwrap(), claims);
        assert_eq!(
            svc.verify(&tok, AUD_HUAWEI).unwrap_err(),
            TokenError::Invalid
        );
        let other = TokenService::from_secret("k2".into(), b"another-key-another-key-another!");
        assert_eq!(
            other.verify(&tok, AUD_ALIYUN).unwrap_err(),
            TokenError::Invalid
        );
        assert_eq!(
            svc.verify("not.a.jwt", AUD_ALIYUN).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn expired_tokens_say_so() {
        let svc = TokenService::from_secret("k1".into(), b"0123456789abcdef0123456789abcdef");
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: "ccgate".into(),
            sub: "s".into(),
            acc: "a".into(),
            aud: AUD_ALIYUN.into(),
            iat: now - 100,
            exp: now - 10,
            jti: "j".into(),
            ak: None,
            role: None,
            usr: false,
        };
        let tok =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &svc.encoding).unwrap();
        assert_eq!(
            svc.verify(&tok, AUD_ALIYUN).unwrap_err(),
            TokenError::Expired
        );
        // An expired token can still be inspected (and revoked).
        assert_eq!(svc.inspect(&tok).unwrap().jti, "j");
    }
}
