//! The query the workbench offers (spec `plugins/workbench/api/queries/login_key.toml`).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::queries::login_key;
use crate::signing::LoginKey;

/// `login_key`: the public half of `instance_id`'s login key (made on first use).
///
/// Errors: storage failures.
pub async fn login_key(ctx: &Ctx<'_>, args: login_key::Args) -> ApiResult<login_key::Output> {
    let key = LoginKey::of_instance(ctx, &args.instance_id).await?;
    Ok(login_key::Output {
        key_id: key.key_id,
        algorithm: "Ed25519".into(),
        public_key: key.public_key,
    })
}
