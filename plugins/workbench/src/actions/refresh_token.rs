//! 2017-07-05 RefreshToken (seed 004 §3.4): keeps the workbench signed in.
//!
//! Answers a successor of the request's Bearer token (`Token.BearerToken`, a ccgate extension:
//! same user, AccessKey binding and role, the old token's lifetime from now; host query
//! `auth.refresh_token`) and a new signed session for it: `Token.SignData` whose `expireTime`
//! is the new token's expiry, and its `Token.Signature` ([`crate::signing`]). The old token
//! stays valid until it expires or is revoked (`ccgate token revoke`): requests already on
//! their way with it still succeed.
//!
//! Errors: 400 `InvalidParameter` without a Bearer token (the spec admits only Bearer tokens,
//! so only from a misconfigured host); storage failures.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::refresh_token::{Request, Response, Token};
use crate::people;
use crate::signing::{LoginKey, SignData};

/// Serves RefreshToken.
pub async fn handle(ctx: &Ctx<'_>, _req: Request) -> ApiResult<Response> {
    let fresh = ccgate_plugin_sdk::host::refresh_token(ctx).await?;
    // The user's RamId and extension; a token of an administrator's account (no user) signs
    // its subject and no extension.
    let (service_id, dn) = match people::me(ctx, "InstanceId").await? {
        Some(u) => (u.ram_id, u.extension),
        None => (ctx.principal.display_name().to_string(), String::new()),
    };
    let data = SignData {
        tenant_id: ctx.account_id.clone(),
        service_id,
        dn,
        source: "aliyun",
        timestamp: fresh.issued_at,
        expire_time: fresh.expires_at,
    }
    .to_json();
    let key = LoginKey::of_instance(ctx, ctx.instance()).await?;
    Ok(Response {
        token: Token {
            signature: key.sign(&data),
            sign_data: data,
            bearer_token: fresh.token,
        },
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;
    use ccgate_plugin_sdk::serde_json::Value;

    use crate::testutil::Harness;

    #[tokio::test]
    async fn a_fresh_token_and_a_session_signed_until_it_expires() {
        let h = Harness::new().await;
        let alice = h.user("alice", "agent", &[]).await;
        let v = h
            .call_with_token(&alice, Role::Agent, 1_000, 4_600, "RefreshToken", &[])
            .await
            .unwrap();
        let t = &v["Token"];
        assert!(
            t["BearerToken"]
                .as_str()
                .unwrap()
                .starts_with("test-token-")
        );
        let data: Value =
            ccgate_plugin_sdk::serde_json::from_str(t["SignData"].as_str().unwrap()).unwrap();
        assert_eq!(data["serviceId"], alice.ram_id.as_str());
        assert_eq!(data["dn"], alice.extension.as_str());
        assert_eq!(data["source"], "aliyun");
        let lifetime = data["expireTime"].as_i64().unwrap() - data["timestamp"].as_i64().unwrap();
        assert_eq!(lifetime, 3_600, "the old token's lifetime again");
        assert!(
            h.verifies(
                t["SignData"].as_str().unwrap(),
                t["Signature"].as_str().unwrap()
            )
            .await
        );
        // No token at all (an AccessKey caller reaching the handler): refused.
        let e = h.call("RefreshToken", &[]).await.unwrap_err();
        assert_eq!(e.code, "InvalidParameter");
    }
}
