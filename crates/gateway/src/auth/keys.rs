//! AccessKey, instance and Huawei VDN lookups, cached in memory for `cache_ttl_secs`.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::crypto::MasterKey;
use crate::store::entities::{access_key, instance, revoked_token};

/// Longest AccessKeyId and instance id (`core_access_keys.id`, `core_instances.id`): a longer
/// client-supplied id cannot exist and is answered `None` without a query.
pub const MAX_ID_CHARS: usize = 64;

fn too_long(id: &str) -> bool {
    id.len() > MAX_ID_CHARS && id.chars().count() > MAX_ID_CHARS
}

fn cache<V: Clone + Send + Sync + 'static>(ttl: Duration) -> moka::sync::Cache<String, V> {
    moka::sync::Cache::builder()
        .time_to_live(ttl)
        .max_capacity(100_000)
        .build()
}

/// An AccessKey as verification needs it.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// Owning account.
    pub account_id: String,
    /// The plaintext AccessKeySecret (only ever in memory).
    pub secret: String,
    /// False when disabled.
    pub active: bool,
    /// Bearer tokens issued under the key before this (UTC epoch seconds) are revoked.
    pub tokens_not_before: i64,
}

/// Cached lookups of AccessKeys and instance ownership.
pub struct KeyStore {
    db: DatabaseConnection,
    master: MasterKey,
    keys: moka::sync::Cache<String, Arc<KeyRecord>>,
    instances: moka::sync::Cache<String, Arc<str>>,
    /// `(account, VDN id)` → instance id, `None` cached too.
    vdns: moka::sync::Cache<(Arc<str>, i32), Option<Arc<str>>>,
    /// Token id → revoked?
    revoked: moka::sync::Cache<String, bool>,
}

impl KeyStore {
    /// A store over `db`, caching for `ttl`.
    pub fn new(db: DatabaseConnection, master: MasterKey, ttl: Duration) -> Self {
        Self {
            db,
            master,
            keys: cache(ttl),
            instances: cache(ttl),
            vdns: moka::sync::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(100_000)
                .build(),
            revoked: cache(ttl),
        }
    }

    /// The key `id`, or `None` when it does not exist (or is longer than [`MAX_ID_CHARS`]).
    ///
    /// Errors: storage failures, or a secret that cannot be unsealed with the master key.
    pub async fn access_key(&self, id: &str) -> Result<Option<Arc<KeyRecord>>, DbErr> {
        if too_long(id) {
            return Ok(None);
        }
        if let Some(k) = self.keys.get(id) {
            return Ok(Some(k));
        }
        let Some(row) = access_key::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let secret = self
            .master
            .open(&row.secret_sealed)
            .map_err(|e| DbErr::Custom(format!("AccessKey {id}: {e}")))?;
        let rec = Arc::new(KeyRecord {
            account_id: row.account_id,
            secret,
            active: row.status == access_key::ACTIVE,
            tokens_not_before: row.tokens_not_before,
        });
        self.keys.insert(id.to_string(), rec.clone());
        Ok(Some(rec))
    }

    /// The account owning instance `id`, or `None` when there is no such instance (or `id` is
    /// longer than [`MAX_ID_CHARS`]).
    pub async fn instance_account(&self, id: &str) -> Result<Option<Arc<str>>, DbErr> {
        if too_long(id) {
            return Ok(None);
        }
        if let Some(a) = self.instances.get(id) {
            return Ok(Some(a));
        }
        let Some(row) = instance::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let acc: Arc<str> = row.account_id.into();
        self.instances.insert(id.to_string(), acc.clone());
        Ok(Some(acc))
    }

    /// The instance of account `account_id` whose Huawei VDN id is `vdn`
    /// (`core_instances.vdn_id`), or `None`. Cached like instances, misses included.
    pub async fn vdn_instance(
        &self,
        account_id: &str,
        vdn: i32,
    ) -> Result<Option<Arc<str>>, DbErr> {
        let key = (Arc::<str>::from(account_id), vdn);
        if let Some(hit) = self.vdns.get(&key) {
            return Ok(hit);
        }
        let id: Option<String> = instance::Entity::find()
            .select_only()
            .column(instance::Column::Id)
            .filter(instance::Column::AccountId.eq(account_id))
            .filter(instance::Column::VdnId.eq(vdn))
            .into_tuple()
            .one(&self.db)
            .await?;
        let id: Option<Arc<str>> = id.map(Into::into);
        self.vdns.insert(key, id.clone());
        Ok(id)
    }

    /// Whether the token with id `jti` was revoked (`ccgate token revoke`); cached like keys,
    /// so a revocation reaches running gateways within the cache lifetime.
    pub async fn token_revoked(&self, jti: &str) -> Result<bool, DbErr> {
        if jti.is_empty() {
            return Ok(false);
        }
        if let Some(r) = self.revoked.get(jti) {
            return Ok(r);
        }
        let revoked = revoked_token::Entity::find_by_id(jti.to_string())
            .one(&self.db)
            .await?
            .is_some();
        self.revoked.insert(jti.to_string(), revoked);
        Ok(revoked)
    }

    /// Forgets cached entries (after admin changes in this process).
    pub fn invalidate_all(&self) {
        self.keys.invalidate_all();
        self.instances.invalidate_all();
        self.vdns.invalidate_all();
        self.revoked.invalidate_all();
    }
}
