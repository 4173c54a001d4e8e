//! The account's user directory (the stand-in for RAM sub-users) that AssignUsers imports
//! principals from. The host answers it (`Services::directory_lookup`).

use ccgate_plugin_sdk::{ApiResult, Context};

/// A principal of the directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirectoryUser {
    /// RamId: 16 decimal digits.
    pub ram_id: String,
    /// Login name, unique within the account.
    pub login_name: String,
    /// Display name.
    pub display_name: String,
    /// E-mail address, if given.
    pub email: Option<String>,
    /// Phone number, if given.
    pub phone: Option<String>,
}

/// The principals of the caller's account with `ram_ids`, in that order; unknown ids are left
/// out. Asks the host's query `@host` / `directory_lookup` (args `{"ram_ids": [...]}`, result
/// `{"users": [...]}`); no answer (no host directory) reads as an empty directory.
///
/// Errors: the host's (storage).
pub async fn lookup(ctx: &Context, ram_ids: &[String]) -> ApiResult<Vec<DirectoryUser>> {
    #[derive(serde::Serialize)]
    struct Args<'a> {
        ram_ids: &'a [String],
    }
    #[derive(serde::Deserialize)]
    struct Found {
        users: Vec<DirectoryUser>,
    }
    Ok(ccgate_plugin_sdk::query::call::<_, Found>(
        ctx,
        "@host",
        "directory_lookup",
        &Args { ram_ids },
    )
    .await?
    .map(|f| f.users)
    .unwrap_or_default())
}
