//! Administration of accounts, instances and AccessKeys (used by the `ccgate` CLI and by
//! the first-start bootstrap).

use rand::Rng;
use rand::distributions::Alphanumeric;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::crypto::MasterKey;
use crate::registry::Registry;
use crate::store::entities::{access_key, account, directory_user, instance, revoked_token};

/// Errors of admin operations.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Storage failure.
    #[error("storage: {0}")]
    Db(#[from] DbErr),
    /// A value is not acceptable; the message says why.
    #[error("{0}")]
    Invalid(String),
}

/// A freshly created AccessKey pair. The secret is shown once and stored only sealed.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    /// `LTAI` + 20 alphanumerics.
    pub id: String,
    /// 30 alphanumerics.
    pub secret: String,
}

fn random_alnum(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// Creates an account named `name`; returns its id (`acc-<uuid>`).
pub async fn create_account(db: &DatabaseConnection, name: &str) -> Result<String, AdminError> {
    let id = format!("acc-{}", uuid::Uuid::new_v4());
    account::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.into()),
        created_at: Set(now()),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Creates instance `id` for `account_id` and lets every enabled plugin initialise it.
///
/// Errors: `Invalid` when the id is not 3-64 of `[A-Za-z0-9-_]`, already exists, or the
/// account does not exist.
pub async fn create_instance(
    db: &DatabaseConnection,
    registry: &Registry,
    account_id: &str,
    id: &str,
    name: &str,
) -> Result<(), AdminError> {
    let ok = (3..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(AdminError::Invalid(format!(
            "instance id {id:?} must be 3-64 letters, digits, '-' or '_'"
        )));
    }
    ensure_account(db, account_id).await?;
    if instance::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .is_some()
    {
        return Err(AdminError::Invalid(format!("instance {id} already exists")));
    }
    instance::ActiveModel {
        id: Set(id.into()),
        account_id: Set(account_id.into()),
        name: Set(name.into()),
        description: Set(String::new()),
        created_at: Set(now()),
        vdn_id: Set(None),
    }
    .insert(db)
    .await?;
    for plugin in registry.plugins() {
        plugin.on_instance_created(db, id).await?;
    }
    Ok(())
}

/// Checks that instance `id` exists.
///
/// Errors: `Invalid` when it does not; storage failures.
pub async fn require_instance(db: &DatabaseConnection, id: &str) -> Result<(), AdminError> {
    instance::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| AdminError::Invalid(format!("instance {id} does not exist")))
}

/// Sets (or with `None` clears) the Huawei VDN id of instance `id`: CC-iSales (C2) callers of
/// the instance's account name it by `vdnId` = `vdn` (`huawei-aicc.md` §5). Running gateways
/// see the change within `[security] cache_ttl_secs`.
///
/// Errors: `Invalid` when `vdn` is outside 1-9999, the instance does not exist, or another
/// instance of its account already has `vdn`.
pub async fn set_instance_vdn(
    db: &DatabaseConnection,
    id: &str,
    vdn: Option<i32>,
) -> Result<(), AdminError> {
    if let Some(v) = vdn
        && !(1..=9999).contains(&v)
    {
        return Err(AdminError::Invalid(format!(
            "VDN id {v} is outside 1-9999 (huawei-aicc.md §5)"
        )));
    }
    let row = instance::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| AdminError::Invalid(format!("instance {id} does not exist")))?;
    if let Some(v) = vdn
        && let Some(other) = instance::Entity::find()
            .filter(instance::Column::AccountId.eq(row.account_id.as_str()))
            .filter(instance::Column::VdnId.eq(v))
            .filter(instance::Column::Id.ne(id))
            .one(db)
            .await?
    {
        return Err(AdminError::Invalid(format!(
            "instance {} of the same account already has VDN id {v}",
            other.id
        )));
    }
    let mut active: instance::ActiveModel = row.into();
    active.vdn_id = Set(vdn);
    active.update(db).await?;
    Ok(())
}

/// Creates an AccessKey pair for `account_id`; the secret is stored sealed with `master`.
pub async fn create_access_key(
    db: &DatabaseConnection,
    master: &MasterKey,
    account_id: &str,
    description: &str,
) -> Result<NewAccessKey, AdminError> {
    ensure_account(db, account_id).await?;
    let key = NewAccessKey {
        id: format!("LTAI{}", random_alnum(20)),
        secret: random_alnum(30),
    };
    insert_access_key(db, master, account_id, &key.id, &key.secret, description).await?;
    Ok(key)
}

/// Stores an existing AccessKey pair for `account_id` (e.g. keys migrated from another CCC
/// deployment, or fixed test keys). The secret is sealed with `master`.
///
/// Errors: `Invalid` when the id or secret is empty, the id exists, or the account does not.
pub async fn import_access_key(
    db: &DatabaseConnection,
    master: &MasterKey,
    account_id: &str,
    id: &str,
    secret: &str,
) -> Result<(), AdminError> {
    if id.is_empty() || secret.is_empty() {
        return Err(AdminError::Invalid(
            "AccessKeyId and secret must not be empty".into(),
        ));
    }
    ensure_account(db, account_id).await?;
    if access_key::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .is_some()
    {
        return Err(AdminError::Invalid(format!(
            "AccessKey {id} already exists"
        )));
    }
    insert_access_key(db, master, account_id, id, secret, "imported").await
}

/// `Invalid` unless account `account_id` exists.
async fn ensure_account(db: &DatabaseConnection, account_id: &str) -> Result<(), AdminError> {
    match account::Entity::find_by_id(account_id.to_string())
        .one(db)
        .await?
    {
        Some(_) => Ok(()),
        None => Err(AdminError::Invalid(format!(
            "account {account_id} does not exist"
        ))),
    }
}

/// Stores a new `Active` key row with the secret sealed under `master`.
async fn insert_access_key(
    db: &DatabaseConnection,
    master: &MasterKey,
    account_id: &str,
    id: &str,
    secret: &str,
    description: &str,
) -> Result<(), AdminError> {
    access_key::ActiveModel {
        id: Set(id.into()),
        account_id: Set(account_id.into()),
        secret_sealed: Set(master.seal(secret)),
        status: Set(access_key::ACTIVE.into()),
        description: Set(description.into()),
        created_at: Set(now()),
        tokens_not_before: Set(0),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Sets an AccessKey `Active` or `Disabled`. Disabling also revokes every Bearer token issued
/// under the key (see [`revoke_key_tokens`]): re-enabling the key does not revive them.
///
/// Errors: `Invalid` when the key does not exist.
pub async fn set_access_key_active(
    db: &DatabaseConnection,
    id: &str,
    active: bool,
) -> Result<(), AdminError> {
    let row = existing_access_key(db, id).await?;
    let mut am: access_key::ActiveModel = row.into();
    am.status = Set(if active {
        access_key::ACTIVE
    } else {
        access_key::DISABLED
    }
    .into());
    if !active {
        am.tokens_not_before = Set(tokens_fence());
    }
    am.update(db).await?;
    Ok(())
}

/// AccessKey `id`; `Invalid` when it does not exist.
async fn existing_access_key(
    db: &DatabaseConnection,
    id: &str,
) -> Result<access_key::Model, AdminError> {
    access_key::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| AdminError::Invalid(format!("AccessKey {id} does not exist")))
}

/// The `tokens_not_before` that revokes every token issued up to now: the next whole second
/// (token `iat` claims are whole seconds, so a token issued in this second is revoked too).
fn tokens_fence() -> i64 {
    chrono::Utc::now().timestamp() + 1
}

/// Revokes every Bearer token issued under AccessKey `id` so far (Alibaba tokens issued with
/// `ccgate token issue --access-key-id`, Huawei `tokenByAkSk` tokens); the key stays usable
/// and new tokens work. Running gateways notice within `[security] cache_ttl_secs`.
///
/// Errors: `Invalid` when the key does not exist.
pub async fn revoke_key_tokens(db: &DatabaseConnection, id: &str) -> Result<(), AdminError> {
    let row = existing_access_key(db, id).await?;
    let mut am: access_key::ActiveModel = row.into();
    am.tokens_not_before = Set(tokens_fence());
    am.update(db).await?;
    Ok(())
}

/// Revokes one Bearer token by its `jti` until `expires_at` (UTC epoch seconds, its `exp`);
/// rows of tokens that expired anyway are deleted on the way. Revoking twice is not an error.
pub async fn revoke_token(
    db: &DatabaseConnection,
    jti: &str,
    expires_at: i64,
) -> Result<(), AdminError> {
    if jti.is_empty() {
        return Err(AdminError::Invalid(
            "the token has no id (jti): it was issued by an older ccgate; revoke its AccessKey's tokens instead".into(),
        ));
    }
    revoked_token::Entity::delete_many()
        .filter(revoked_token::Column::ExpiresAt.lt(chrono::Utc::now().timestamp()))
        .exec(db)
        .await?;
    if revoked_token::Entity::find_by_id(jti.to_string())
        .one(db)
        .await?
        .is_none()
    {
        revoked_token::ActiveModel {
            jti: Set(jti.to_string()),
            expires_at: Set(expires_at),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// What `ccgate user add` records.
#[derive(Debug, Clone, Default)]
pub struct NewDirectoryUser {
    /// Login name: 1-64 of `[A-Za-z0-9._-]`, unique within the account.
    pub login_name: String,
    /// Display name: 1-128 characters.
    pub display_name: String,
    /// E-mail address (at most 256 characters).
    pub email: Option<String>,
    /// Phone number (at most 64 characters).
    pub phone: Option<String>,
}

/// Adds a principal to `account_id`'s user directory (the stand-in for a RAM sub-user that
/// `AssignUsers` imports by RamId); returns its RamId, 16 random decimal digits (no leading
/// zero), unique over all accounts.
///
/// Errors: `Invalid` when the account does not exist, the login name is malformed or taken
/// in the account, or a field is too long.
pub async fn add_directory_user(
    db: &DatabaseConnection,
    account_id: &str,
    user: &NewDirectoryUser,
) -> Result<String, AdminError> {
    let login = &user.login_name;
    let login_ok = (1..=64).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !login_ok {
        return Err(AdminError::Invalid(format!(
            "login name {login:?} must be 1-64 letters, digits, '.', '_' or '-'"
        )));
    }
    let display_len = user.display_name.chars().count();
    if !(1..=128).contains(&display_len) {
        return Err(AdminError::Invalid(
            "the display name must be 1-128 characters".into(),
        ));
    }
    let email = user.email.clone().unwrap_or_default();
    let phone = user.phone.clone().unwrap_or_default();
    if email.chars().count() > 256 || phone.chars().count() > 64 {
        return Err(AdminError::Invalid(
            "the e-mail address is at most 256 characters, the phone number 64".into(),
        ));
    }
    ensure_account(db, account_id).await?;
    let taken = directory_user::Entity::find()
        .filter(directory_user::Column::AccountId.eq(account_id))
        .filter(directory_user::Column::LoginName.eq(login.as_str()))
        .one(db)
        .await?;
    if taken.is_some() {
        return Err(AdminError::Invalid(format!(
            "login name {login} is already in the directory of account {account_id}"
        )));
    }
    // 16 digits: 9e15 values, a collision is a retry.
    for _ in 0..5 {
        let ram_id = rand::thread_rng()
            .gen_range(1_000_000_000_000_000u64..10_000_000_000_000_000)
            .to_string();
        let row = directory_user::ActiveModel {
            ram_id: Set(ram_id.clone()),
            account_id: Set(account_id.into()),
            login_name: Set(login.clone()),
            display_name: Set(user.display_name.clone()),
            email: Set(email.clone()),
            phone: Set(phone.clone()),
            created_at: Set(now()),
        };
        match row.insert(db).await {
            Ok(_) => return Ok(ram_id),
            Err(e) if ccgate_plugin_sdk::storage::is_unique_violation(&e) => {
                // The login name raced in, or the RamId exists: tell which.
                let raced = directory_user::Entity::find()
                    .filter(directory_user::Column::AccountId.eq(account_id))
                    .filter(directory_user::Column::LoginName.eq(login.as_str()))
                    .one(db)
                    .await?;
                if raced.is_some() {
                    return Err(AdminError::Invalid(format!(
                        "login name {login} is already in the directory of account {account_id}"
                    )));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::Invalid("no free RamId found; try again".into()))
}

/// The directory of `account_id`, by login name.
pub async fn list_directory_users(
    db: &DatabaseConnection,
    account_id: &str,
) -> Result<Vec<directory_user::Model>, AdminError> {
    Ok(directory_user::Entity::find()
        .filter(directory_user::Column::AccountId.eq(account_id))
        .order_by_asc(directory_user::Column::LoginName)
        .all(db)
        .await?)
}

/// The principals of `account_id`'s directory whose RamIds are in `ram_ids`, in that order;
/// unknown ids (and other accounts') left out. Serves `Services::directory_lookup`.
pub async fn lookup_directory_users(
    db: &impl sea_orm::ConnectionTrait,
    account_id: &str,
    ram_ids: &[String],
) -> Result<Vec<ccgate_plugin_sdk::DirectoryUser>, DbErr> {
    if ram_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = directory_user::Entity::find()
        .filter(directory_user::Column::AccountId.eq(account_id))
        .filter(directory_user::Column::RamId.is_in(ram_ids.iter().cloned()))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for id in ram_ids {
        if let Some(r) = rows.iter().find(|r| r.ram_id == *id)
            && !out
                .iter()
                .any(|u: &ccgate_plugin_sdk::DirectoryUser| u.ram_id == *id)
        {
            out.push(r.to_sdk());
        }
    }
    Ok(out)
}

/// All accounts, oldest first.
pub async fn list_accounts(db: &DatabaseConnection) -> Result<Vec<account::Model>, AdminError> {
    Ok(account::Entity::find()
        .order_by_asc(account::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Instances, optionally of one account, by id.
pub async fn list_instances(
    db: &DatabaseConnection,
    account_id: Option<&str>,
) -> Result<Vec<instance::Model>, AdminError> {
    let mut q = instance::Entity::find().order_by_asc(instance::Column::Id);
    if let Some(a) = account_id {
        q = q.filter(instance::Column::AccountId.eq(a));
    }
    Ok(q.all(db).await?)
}

/// AccessKeys (without secrets), optionally of one account.
pub async fn list_access_keys(
    db: &DatabaseConnection,
    account_id: Option<&str>,
) -> Result<Vec<access_key::Model>, AdminError> {
    let mut q = access_key::Entity::find().order_by_asc(access_key::Column::CreatedAt);
    if let Some(a) = account_id {
        q = q.filter(access_key::Column::AccountId.eq(a));
    }
    Ok(q.all(db).await?)
}

/// The demo set-up created on an empty database.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The demo account.
    pub account_id: String,
    /// The demo instance (`ccc-test` by default).
    pub instance_id: String,
    /// The demo AccessKey pair.
    pub key: NewAccessKey,
}

/// When there is no account yet, creates account `demo`, instance `instance_id` (Huawei VDN
/// id 1, so CC-iSales callers reach it as `vdnId` 1) and one AccessKey, and returns them;
/// otherwise `None`.
pub async fn bootstrap_demo(
    db: &DatabaseConnection,
    registry: &Registry,
    master: &MasterKey,
    instance_id: &str,
) -> Result<Option<Demo>, AdminError> {
    if account::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let account_id = create_account(db, "demo").await?;
    create_instance(db, registry, &account_id, instance_id, "Demo instance").await?;
    set_instance_vdn(db, instance_id, Some(1)).await?;
    let key = create_access_key(db, master, &account_id, "demo key created on first start").await?;
    Ok(Some(Demo {
        account_id,
        instance_id: instance_id.into(),
        key,
    }))
}

fn now() -> i64 {
    ccgate_plugin_sdk::time::now_ms()
}
