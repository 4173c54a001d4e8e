//! AccessKey and instance lookups, cached in memory for `cache_ttl_secs`.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use crate::crypto::MasterKey;
use crate::store::entities::{access_key, instance};

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
}

/// Cached lookups of AccessKeys and instance ownership.
pub struct KeyStore {
    db: DatabaseConnection,
    master: MasterKey,
    keys: moka::sync::Cache<String, Arc<KeyRecord>>,
    instances: moka::sync::Cache<String, Arc<str>>,
}

impl KeyStore {
    /// A store over `db`, caching for `ttl`.
    pub fn new(db: DatabaseConnection, master: MasterKey, ttl: Duration) -> Self {
        Self {
            db,
            master,
            keys: cache(ttl),
            instances: cache(ttl),
        }
    }

    /// The key `id`, or `None` when it does not exist.
    ///
    /// Errors: storage failures, or a secret that cannot be unsealed with the master key.
    pub async fn access_key(&self, id: &str) -> Result<Option<Arc<KeyRecord>>, DbErr> {
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
        });
        self.keys.insert(id.to_string(), rec.clone());
        Ok(Some(rec))
    }

    /// The account owning instance `id`, or `None` when there is no such instance.
    pub async fn instance_account(&self, id: &str) -> Result<Option<Arc<str>>, DbErr> {
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

    /// Forgets cached entries (after admin changes in this process).
    pub fn invalidate_all(&self) {
        self.keys.invalidate_all();
        self.instances.invalidate_all();
    }
}
