//! 2017-07-05 AddAgentDevice (seed 004 §12.2,
//! `plugins/device-diagnostics/api/AddAgentDevice.2017-07-05.toml`): records the device the
//! calling agent goes online with.
//!
//! Request ([`crate::api::add_agent_device::Request`]): `InstanceId`, `BrowserVersion` (at most
//! 256 characters), `ClientIp` (an IPv4 or IPv6 address, at most 64 characters), optional
//! `ClientPort` (1-65535) and `Remark` (at most 256 characters).
//! Response ([`crate::api::add_agent_device::Response`]): `AgentDeviceId` (Long), the new
//! record's id, which ModifyAgentDevice takes.
//!
//! Whose record: the caller's. It needs a user's Bearer token (`ctx.caller_scope`); the
//! agent's RamId comes from the agents plugin's query `caller`
//! ([`crate::api::clients::agents::caller()`]).
//! `LoginTime` is now (UTC epoch ms), `IsLogin` 0 until ModifyAgentDevice sets it.
//!
//! Errors: the parameter errors of the generated parser (`MissingParameter`, `Parameter.Empty`,
//! `Parameter.Maximum`); 400 `InvalidParameter` for a `ClientIp` that is no IP address, a
//! `ClientPort` outside 1-65535, a caller without a user scope (an AccessKey or account token),
//! and a deployment without the agents plugin; 404 `NotExists.InstanceId` comes from the
//! gateway.

use std::net::IpAddr;

use ccgate_plugin_sdk::ApiResult;

use crate::api::add_agent_device::{Request, Response};
use crate::api::clients::agents;
use crate::api::{Ctx, errors};
use crate::storage::{self, NewDevice};

/// Serves AddAgentDevice: validates the address, finds the caller's RamId, inserts the record.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    if req.client_ip.parse::<IpAddr>().is_err() {
        return Err(errors::invalid_parameter(
            "ClientIp",
            "it must be an IPv4 or IPv6 address",
        ));
    }
    let client_port = match req.client_port.as_deref() {
        None => String::new(),
        Some(p) => parse_port(p)
            .ok_or_else(|| {
                errors::invalid_parameter("ClientPort", "it must be a port number from 1 to 65535")
            })?
            .to_string(),
    };
    let Some(scope) = ctx.caller_scope.as_ref() else {
        return Err(errors::invalid_parameter_msg(
            "AddAgentDevice records the device of an agent and needs the agent's Bearer token; \
             an AccessKey or account token names no agent.",
        ));
    };
    let args = agents::caller::Args {
        instance_id: ctx.instance().to_string(),
        login_name: scope.login_name.clone(),
    };
    let Some(me) = agents::caller(ctx, &args).await? else {
        return Err(errors::invalid_parameter_msg(
            "AddAgentDevice needs the agents plugin, which knows the agent's RamId; it is not \
             enabled.",
        ));
    };
    if !me.found {
        return Err(errors::invalid_parameter_msg(format!(
            "The user {} does not exist in instance {}.",
            scope.login_name,
            ctx.instance()
        )));
    }
    let user_id = if me.user_id.is_empty() {
        scope.user_id.clone()
    } else {
        me.user_id
    };
    let id = storage::insert(
        &ctx.db,
        NewDevice {
            instance_id: ctx.instance().to_string(),
            user_id,
            ram_id: me.ram_id,
            browser_version: req.browser_version,
            client_ip: req.client_ip,
            client_port,
            remark: req.remark.unwrap_or_default(),
            login_time: ctx.now_ms(),
        },
    )
    .await?;
    Ok(Response {
        agent_device_id: id,
    })
}

/// A TCP/UDP port from its decimal digits (`8080`); `None` for anything else, and for 0.
pub fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse::<u16>().ok().filter(|n| *n != 0)
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;
    use ccgate_plugin_sdk::serde_json::json;

    use super::parse_port;
    use crate::testutil::{ALICE, Harness, INSTANCE};

    #[tokio::test]
    async fn an_agents_device_is_recorded_and_listed_with_the_given_fields() {
        let h = Harness::new().await;
        h.env.clock.set_ms(1_559_113_107_000);
        let added = h
            .add_as(
                ALICE,
                &[
                    ("BrowserVersion", "Chrome/74.0.3729.169"),
                    ("ClientIp", "30.52.180.90"),
                    ("ClientPort", "8080"),
                    ("Remark", "备注"),
                ],
            )
            .await
            .unwrap();
        let id = added["AgentDeviceId"].as_i64().unwrap();
        assert!(id > 0, "{added}");
        let list = h
            .list_as(Role::Agent, ALICE, &[("StartTime", "0")])
            .await
            .unwrap();
        assert_eq!(
            list,
            json!({"AgentDeviceList": {"AgentDevice": [{
                "BrowserVersion": "Chrome/74.0.3729.169",
                "ClientIp": "30.52.180.90",
                "ClientPort": "8080",
                "InstanceId": INSTANCE,
                "IsLogin": 0,
                "LoginTime": 1_559_113_107_000i64,
                "RamId": 1_059_803_544_828_509i64,
                "Remark": "备注",
            }]}})
        );
        // RamId is a JSON number, as the seed's example shows.
        assert!(list["AgentDeviceList"]["AgentDevice"][0]["RamId"].is_i64());
    }

    #[tokio::test]
    async fn optional_fields_are_listed_empty_and_ipv6_is_accepted() {
        let h = Harness::new().await;
        h.add_as(
            ALICE,
            &[("BrowserVersion", "Firefox/126"), ("ClientIp", "::1")],
        )
        .await
        .unwrap();
        let list = h.list_as(Role::Agent, ALICE, &[]).await.unwrap();
        let d = &list["AgentDeviceList"]["AgentDevice"][0];
        assert_eq!(
            (&d["ClientIp"], &d["ClientPort"], &d["Remark"]),
            (&json!("::1"), &json!(""), &json!(""))
        );
    }

    #[tokio::test]
    async fn ids_are_distinct_per_record() {
        let h = Harness::new().await;
        let a = h.add_default(ALICE).await;
        let b = h.add_default(ALICE).await;
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_bad_client_ip_is_invalid_parameter() {
        let h = Harness::new().await;
        for ip in [
            "localhost",
            "300.1.1.1",
            "1.2.3",
            "127.0.0.1:80",
            " 127.0.0.1",
        ] {
            let e = h
                .add_as(ALICE, &[("BrowserVersion", "Chrome"), ("ClientIp", ip)])
                .await
                .unwrap_err();
            assert_eq!(
                (e.status, e.code.as_ref()),
                (400, "InvalidParameter"),
                "{ip}"
            );
            assert!(e.message.contains("ClientIp"), "{}", e.message);
        }
        assert!(h.all_rows().await.is_empty());
    }

    #[tokio::test]
    async fn a_client_port_outside_1_to_65535_is_invalid_parameter() {
        let h = Harness::new().await;
        for port in ["0", "65536", "80a", "-1", "+80"] {
            let e = h
                .add_as(
                    ALICE,
                    &[
                        ("BrowserVersion", "Chrome"),
                        ("ClientIp", "10.0.0.1"),
                        ("ClientPort", port),
                    ],
                )
                .await
                .unwrap_err();
            assert_eq!(
                (e.status, e.code.as_ref()),
                (400, "InvalidParameter"),
                "{port}"
            );
            assert!(e.message.contains("ClientPort"), "{}", e.message);
        }
        assert_eq!(parse_port("65535"), Some(65535));
        assert_eq!(parse_port("1"), Some(1));
    }

    #[tokio::test]
    async fn missing_and_too_long_parameters_are_refused() {
        let h = Harness::new().await;
        let e = h
            .add_as(ALICE, &[("ClientIp", "10.0.0.1")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        let long = "x".repeat(257);
        let e = h
            .add_as(
                ALICE,
                &[("BrowserVersion", &long), ("ClientIp", "10.0.0.1")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
        let e = h
            .add_as(
                ALICE,
                &[
                    ("BrowserVersion", "Chrome"),
                    ("ClientIp", "10.0.0.1"),
                    ("Remark", &long),
                ],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Maximum"));
    }

    #[tokio::test]
    async fn an_access_key_caller_is_told_to_use_the_agents_token() {
        let h = Harness::new().await;
        let e = h
            .env
            .call(
                crate::api::add_agent_device::SPEC,
                INSTANCE,
                &[("BrowserVersion", "Chrome"), ("ClientIp", "10.0.0.1")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("Bearer token"), "{}", e.message);
        assert!(h.all_rows().await.is_empty());
    }

    #[tokio::test]
    async fn without_the_agents_plugin_nothing_is_recorded() {
        let h = Harness::without_agents().await;
        let e = h
            .add_as(
                ALICE,
                &[("BrowserVersion", "Chrome"), ("ClientIp", "10.0.0.1")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("agents plugin"), "{}", e.message);
        assert!(h.all_rows().await.is_empty());
    }

    #[tokio::test]
    async fn a_user_the_agents_plugin_does_not_know_is_refused() {
        let h = Harness::new().await;
        let e = h
            .add_as(
                "nobody",
                &[("BrowserVersion", "Chrome"), ("ClientIp", "10.0.0.1")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
        assert!(e.message.contains("nobody"), "{}", e.message);
    }
}
