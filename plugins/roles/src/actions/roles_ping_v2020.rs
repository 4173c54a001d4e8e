//! 2020-07-01 RolesPing, the example action of the scaffold
//! (`plugins/roles/api/RolesPing.2020-07-01.toml`): answers the instance it was called on and a
//! message.
//!
//! Request ([`crate::api::roles_ping_v2020::Request`]): `InstanceId` (required; the gateway has checked
//! that it is an instance of the caller's account), `Message` (optional, at most 64 characters).
//! Response ([`crate::api::roles_ping_v2020::Response`]): `Data {InstanceId, Message}`.
//! Errors: the parameter errors of the generated parser (`Parameter.Null`, `Parameter.Empty`,
//! `Parameter.Maximum`); 404 `NotExists.InstanceId` comes from the gateway.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::roles_ping_v2020::{Data, Request, Response};

/// Serves RolesPing: `Data.Message` is the request's `Message`, or the `default_message`
/// setting when it is absent or empty.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let message = req
        .message
        .unwrap_or_else(|| ctx.state().settings.default_message.clone());
    Ok(Response {
        data: Data {
            instance_id: ctx.instance().to_string(),
            message,
        },
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ccgate_plugin_sdk::ApiResult;
    use ccgate_plugin_sdk::serde_json::{Value, json};
    use ccgate_plugin_sdk::testing::TestEnv;

    use crate::api::roles_ping_v2020::SPEC;
    use crate::{RolesPlugin, Settings};

    /// Calls RolesPing on instance `ccc-test` through the real dispatch (parser, handler, reply
    /// check), as the gateway would. Add fakes of the plugins this one queries to the
    /// environment with `ccgate_plugin_sdk::testing::FakePlugin`.
    async fn call(plugin: RolesPlugin, pairs: &[(&str, &str)]) -> ApiResult<Value> {
        let env = TestEnv::new(vec![Arc::new(plugin)]).await;
        env.call(SPEC, "ccc-test", pairs).await
    }

    #[tokio::test]
    async fn echoes_the_message_and_the_instance() {
        let reply = call(RolesPlugin::default(), &[("Message", "hello")])
            .await
            .unwrap();
        assert_eq!(
            reply,
            json!({"Data": {"InstanceId": "ccc-test", "Message": "hello"}})
        );
    }

    #[tokio::test]
    async fn answers_the_default_message_of_the_settings_without_one() {
        let reply = call(RolesPlugin::default(), &[]).await.unwrap();
        assert_eq!(reply["Data"]["Message"], "pong");
        let plugin = RolesPlugin::with_settings(Settings {
            default_message: "configured".into(),
        });
        let reply = call(plugin, &[("Message", "")]).await.unwrap();
        assert_eq!(reply["Data"]["Message"], "configured");
    }

    #[tokio::test]
    async fn refuses_a_message_over_64_characters() {
        let long = "x".repeat(65);
        let e = call(RolesPlugin::default(), &[("Message", &long)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        let exact = "x".repeat(64);
        let reply = call(RolesPlugin::default(), &[("Message", &exact)])
            .await
            .unwrap();
        assert_eq!(reply["Data"]["Message"], exact.as_str());
    }
}
