//! 2017-07-05 RequestLoginInfo (seed 004 §3.5): what the softphone of an agent needs to start.
//!
//! The user is `UserId` (an SDK parameter the seed's table leaves out; UserId, RamId, login
//! name or `<login>@<instance>`) or else the one the Bearer token acts for. The gateway has
//! checked `UserId` against the caller (the spec's `[access]`): an agent gets only its own.
//! Response `LoginInfo`:
//! - `DisplayName`, `Extension`, `PhoneNumber`, `Roles.Role[]` (roles plugin): the user's;
//! - `UserName`: `<login>@<InstanceId>`; `TenantId`: the account; `Region`: settings;
//! - `AgentServerUrl`: `[plugins.workbench] agent_server_url`, else the HTTP API's address;
//!   `WebRtcUrl`: `webrtc_url`, else ccgate's SIP registrar (`[telephony]`), as `host:port`
//!   (host query `host.endpoints`); empty without either;
//! - `SignData` (valid `login_info_ttl_secs`) and `Signature` ([`crate::signing`]).
//!
//! Errors: 404 `NotExists.UserId`; 400 `InvalidParameter` when no user is named and the token
//! acts for none, or the agents plugin is not enabled; 403 `NoPermission` (gateway).

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::clients::roles as roles_client;
use crate::api::errors;
use crate::api::request_login_info::{
    LoginInfo, LoginInfoRoles, LoginInfoRolesRole, Request, Response,
};
use crate::people;
use crate::signing::{LoginKey, SignData};

/// Serves RequestLoginInfo.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let user = match req
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(r) => people::find(ctx, "UserId", r)
            .await?
            .ok_or_else(|| errors::not_exists_user_id(r))?,
        None => people::me(ctx, "UserId").await?.ok_or_else(|| {
            errors::invalid_parameter(
                "UserId",
                "the token acts for no user of the instance: name one",
            )
        })?,
    };
    if !people::may_act_for(ctx, &user) {
        // The gateway's [access] check refuses this first; kept for callers that bypass it.
        return Err(errors::no_permission(format!(
            "read the login information of {}",
            user.login_name
        )));
    }
    let settings = &ctx.state().settings;
    let roles_of_instance = roles_client::of_instance(
        ctx,
        &roles_client::of_instance::Args {
            instance_id: ctx.instance().to_string(),
        },
    )
    .await?
    .map(|o| o.roles)
    .unwrap_or_default();
    let role = user
        .roles
        .iter()
        .filter_map(|name| roles_of_instance.iter().find(|r| &r.name == name))
        .map(|r| LoginInfoRolesRole {
            instance_id: r.instance_id.clone(),
            role_description: r.role_description.clone(),
            role_id: r.role_id.clone(),
            role_name: r.role_name.clone(),
        })
        .collect();
    let endpoints = ccgate_plugin_sdk::host::endpoints(ctx).await?;
    let or = |configured: &str, found: Option<String>| {
        if configured.is_empty() {
            found.unwrap_or_default()
        } else {
            configured.to_string()
        }
    };
    let now = ctx.now_ms().div_euclid(1000);
    let data = SignData {
        tenant_id: ctx.account_id.clone(),
        service_id: user.ram_id.clone(),
        dn: user.extension.clone(),
        source: "aliyun",
        timestamp: now,
        expire_time: now + settings.login_info_ttl_secs as i64,
    }
    .to_json();
    let key = LoginKey::of_instance(ctx, ctx.instance()).await?;
    Ok(Response {
        login_info: LoginInfo {
            agent_server_url: or(&settings.agent_server_url, Some(endpoints.http)),
            web_rtc_url: or(&settings.webrtc_url, endpoints.sip_udp),
            display_name: user.display_name.clone(),
            extension: user.extension.clone(),
            phone_number: user.phone.clone(),
            region: settings.region.clone(),
            roles: LoginInfoRoles { role },
            signature: key.sign(&data),
            sign_data: data,
            tenant_id: ctx.account_id.clone(),
            user_name: format!("{}@{}", user.login_name, ctx.instance()),
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;
    use ccgate_plugin_sdk::serde_json::Value;

    use crate::testutil::{Harness, INSTANCE};

    #[tokio::test]
    async fn the_agents_own_login_info_signed_and_with_real_addresses() {
        let h = Harness::new().await;
        let alice = h.user("alice", "agent", &[]).await;
        let v = h
            .call_as(&alice, Role::Agent, "RequestLoginInfo", &[])
            .await
            .unwrap();
        let li = &v["LoginInfo"];
        assert_eq!(li["UserName"], format!("alice@{INSTANCE}"));
        assert_eq!(li["DisplayName"], "Name alice");
        assert_eq!(li["Extension"], alice.extension.as_str());
        assert_eq!(li["TenantId"], "acc-1");
        assert_eq!(li["Region"], "ccgate");
        assert_eq!(li["AgentServerUrl"], "127.0.0.1:8080");
        assert_eq!(li["WebRtcUrl"], "127.0.0.1:5060");
        assert_eq!(li["Roles"]["Role"][0]["RoleName"], "AGENT");
        let data: Value =
            ccgate_plugin_sdk::serde_json::from_str(li["SignData"].as_str().unwrap()).unwrap();
        assert_eq!(data["dn"], alice.extension.as_str());
        assert_eq!(
            data["expireTime"].as_i64().unwrap() - data["timestamp"].as_i64().unwrap(),
            1800
        );
        assert!(
            h.verifies(
                li["SignData"].as_str().unwrap(),
                li["Signature"].as_str().unwrap()
            )
            .await
        );
        // An agent naming another agent is refused; an administrator may.
        let bob = h.user("bob", "agent", &[]).await;
        let e = h
            .call_as(
                &alice,
                Role::Agent,
                "RequestLoginInfo",
                &[("UserId", &bob.user_id)],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (403, "NoPermission"));
        let v = h
            .call("RequestLoginInfo", &[("UserId", "bob")])
            .await
            .unwrap();
        assert_eq!(v["LoginInfo"]["Extension"], bob.extension.as_str());
        let e = h
            .call("RequestLoginInfo", &[("UserId", "nobody")])
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (404, "NotExists.UserId"));
        let e = h.call("RequestLoginInfo", &[]).await.unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
    }
}
