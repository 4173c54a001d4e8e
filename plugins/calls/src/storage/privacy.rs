//! Reads and writes of privacy numbers, Encrypt tokens and the plugin's own secret
//! (`calls_privacy_link`, `calls_number_mask`, `calls_secret`).

use ccgate_plugin_sdk::sea_orm::sea_query::OnConflict;
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, TransactionTrait,
};

use super::{cdr, number_mask, privacy_link, records, secret};
use crate::numcrypt::{self, KeyBytes};

/// The stored master key of Encrypt tokens, generated (32 random bytes) and stored on first
/// use. Two processes racing on the first use agree: the first insert wins, both read it.
///
/// Errors: storage; a stored value that is not a 32-byte base64 key (`DbErr::Custom`).
pub async fn master_key<C: ConnectionTrait>(db: &C, now_ms: i64) -> Result<KeyBytes, DbErr> {
    let name = secret::NUMBER_KEY.to_string();
    if let Some(row) = secret::Entity::find_by_id(name.clone()).one(db).await? {
        return parse(&row);
    }
    let fresh = secret::Model {
        name: name.clone(),
        value: numcrypt::encode_master(&numcrypt::random_master()),
        created_ms: now_ms,
    };
    secret::Entity::insert(fresh.into_active_model())
        .on_conflict(
            OnConflict::column(secret::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec_without_returning(db)
        .await?;
    let row = secret::Entity::find_by_id(name)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("calls_secret number_key".into()))?;
    parse(&row)
}

fn parse(row: &secret::Model) -> Result<KeyBytes, DbErr> {
    numcrypt::parse_master(&row.value)
        .map_err(|e| DbErr::Custom(format!("calls_secret {}: the stored key {e}", row.name)))
}

/// Inserts a new call `record` (`LIVE`) and, when some number was given as an Encrypt token,
/// its `mask`, in one transaction.
///
/// Errors: storage (a duplicate contact id is a unique violation).
pub async fn insert_call(
    db: &DatabaseConnection,
    record: cdr::Model,
    mask: Option<number_mask::Model>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    records::insert(&txn, record).await?;
    if let Some(mask) = mask {
        number_mask::Entity::insert(mask.into_active_model())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await
}

/// The Encrypt tokens call `contact_id` was dialled with, if any.
///
/// Errors: storage.
pub async fn mask_of<C: ConnectionTrait>(
    db: &C,
    contact_id: &str,
) -> Result<Option<number_mask::Model>, DbErr> {
    number_mask::Entity::find_by_id(contact_id.to_string())
        .one(db)
        .await
}

/// Writes `link`, replacing the call's previous link.
///
/// Errors: storage.
pub async fn link<C: ConnectionTrait>(db: &C, link: privacy_link::Model) -> Result<(), DbErr> {
    use privacy_link::Column as L;
    privacy_link::Entity::insert(link.into_active_model())
        .on_conflict(
            OnConflict::column(L::CallId)
                .update_columns([L::InstanceId, L::ContactId, L::TelX, L::LinkedMs])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The virtual number of the call most recently linked to `contact_id` (index
/// `idx_calls_privacy_link_contact`), if any.
///
/// Errors: storage.
pub async fn linked_privacy_number<C: ConnectionTrait>(
    db: &C,
    contact_id: &str,
) -> Result<Option<String>, DbErr> {
    Ok(privacy_link::Entity::find()
        .filter(privacy_link::Column::ContactId.eq(contact_id))
        .order_by_desc(privacy_link::Column::LinkedMs)
        .order_by_desc(privacy_link::Column::CallId)
        .one(db)
        .await?
        .map(|l| l.tel_x))
}
