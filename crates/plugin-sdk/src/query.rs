//! The JSON leg of typed cross-plugin queries. Query arguments and results cross the plugin
//! boundary as JSON (`Plugin::query`, [`crate::Services`]); the code `cargo xtask codegen`
//! writes for a provider (`api::queries::dispatch`) and for a consumer (`api::clients`) calls
//! these three functions, so the conversions and their error handling live in one place.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::Context;
use crate::error::{ApiError, ApiResult};

/// Provider side: the typed arguments of query `query`.
///
/// Errors: 500 `InternalError` (logged) when `args` does not have the declared shape: a
/// caller bug, not a client's.
pub fn decode_args<T: DeserializeOwned>(query: &str, args: Value) -> ApiResult<T> {
    serde_json::from_value(args).map_err(|e| {
        tracing::error!(query, error = %e, "query arguments of the wrong shape");
        ApiError::internal()
    })
}

/// Provider side: a typed result as the JSON that crosses the boundary.
///
/// Errors: 500 `InternalError` (logged) when it does not serialize (a programming error).
pub fn encode_output<T: Serialize>(query: &str, output: T) -> ApiResult<Value> {
    serde_json::to_value(output).map_err(|e| {
        tracing::error!(query, error = %e, "query result did not serialize");
        ApiError::internal()
    })
}

/// Consumer side: runs query `query` of plugin `plugin` with `args` through `ctx.services`
/// and reads the answer as `O`. `Ok(None)` when that plugin is not enabled.
///
/// Errors: the query's own; 500 `InternalError` (logged) when the answer does not have the
/// declared shape.
pub async fn call<A: Serialize, O: DeserializeOwned>(
    ctx: &Context,
    plugin: &str,
    query: &str,
    args: &A,
) -> ApiResult<Option<O>> {
    let args = serde_json::to_value(args).map_err(|_| ApiError::internal())?;
    let Some(answer) = ctx.services.query(ctx, plugin, query, args).await? else {
        return Ok(None);
    };
    serde_json::from_value(answer).map(Some).map_err(|e| {
        tracing::error!(plugin, query, error = %e, "query answer of the wrong shape");
        ApiError::internal()
    })
}
