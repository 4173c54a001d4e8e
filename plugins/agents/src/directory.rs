//! The account's user directory (the stand-in for RAM sub-users, `ccgate user add`) that
//! AssignUsers imports principals from, served by the host (`Context::directory_lookup`).

use ccgate_plugin_sdk::{ApiResult, Context, DirectoryUser};

/// The principals of the caller's account with `ram_ids`, in that order; unknown ids (and
/// another account's) are left out.
///
/// Errors: the host's (storage).
pub async fn lookup(ctx: &Context, ram_ids: &[String]) -> ApiResult<Vec<DirectoryUser>> {
    ctx.directory_lookup(ram_ids).await
}
