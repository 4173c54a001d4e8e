//! 2017-07-05 GetTURNServerList (seed 004 §3.9): the TURN servers agents relay media
//! through, from `[[plugins.workbench.turn.servers]]`, as `TurnServerListConfig`: a JSON array
//! string of `{region, name, domain, cidr}` ([`crate::turn::server_list`]); `[]` when none is
//! configured.
//!
//! Errors: none of its own.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::get_turn_server_list::{Request, Response};
use crate::turn;

/// Serves GetTURNServerList.
pub async fn handle(ctx: &Ctx<'_>, _req: Request) -> ApiResult<Response> {
    Ok(Response {
        turn_server_list_config: turn::server_list(&ctx.state().settings.turn.servers),
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::Value;

    use crate::testutil::Harness;

    #[tokio::test]
    async fn lists_the_configured_servers() {
        let h = Harness::with_turn("s").await;
        let v = h.call("GetTURNServerList", &[]).await.unwrap();
        let list: Value =
            ccgate_plugin_sdk::serde_json::from_str(v["TurnServerListConfig"].as_str().unwrap())
                .unwrap();
        assert_eq!(list[0]["domain"], "127.0.0.1:3478");
        assert_eq!(list[0]["region"], "local");
    }
}
