//! 2017-07-05 GetTURNCredentials (seed 004 §3.8): a username and password for the TURN
//! servers of GetTURNServerList, in coturn's REST-API scheme ([`crate::turn`]), valid
//! `[plugins.workbench.turn] ttl_secs` from now.
//!
//! Request: `UserName`: the user's RamId (UserId and login name accepted), or `0` for the
//! caller (its RamId; a caller that is no user, such as an AccessKey, its own name). The
//! credential's user part is the RamId. Non-administrators get credentials only for
//! themselves (a skill-group leader also for its members).
//!
//! Errors: 503 `TurnNotConfigured` without a shared secret; 404 `NotExists.UserId`; 403
//! `NoPermission`; 400 `InvalidParameter` when the agents plugin is not enabled.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::get_turn_credentials::{Request, Response};
use crate::{people, turn};

/// Serves GetTURNCredentials.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let settings = &ctx.state().settings.turn;
    if settings.secret.is_empty() {
        return Err(errors::turn_not_configured());
    }
    let name = req.user_name.trim();
    let user = if name == "0" {
        match people::me(ctx, "UserName").await? {
            Some(u) => u.ram_id,
            // A caller that is no user of the instance (an AccessKey, an account's token).
            None => ctx.principal.display_name().to_string(),
        }
    } else {
        let u = people::find(ctx, "UserName", name)
            .await?
            .ok_or_else(|| errors::not_exists_user_id(name))?;
        if !people::may_act_for(ctx, &u) {
            return Err(errors::no_permission(format!(
                "get TURN credentials for {}",
                u.login_name
            )));
        }
        u.ram_id
    };
    let expires_at = ctx.now_ms().div_euclid(1000) + settings.ttl_secs as i64;
    let c = turn::credentials(&settings.secret, &user, expires_at);
    Ok(Response {
        username: c.username,
        password: c.password,
    })
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;

    use crate::testutil::Harness;
    use crate::turn;

    #[tokio::test]
    async fn credentials_for_the_caller_in_coturns_scheme() {
        let h = Harness::with_turn("s3cr3t").await;
        let alice = h.user("alice", "agent", &[]).await;
        let now = h.now_secs();
        let v = h
            .call_as(
                &alice,
                Role::Agent,
                "GetTURNCredentials",
                &[("UserName", "0")],
            )
            .await
            .unwrap();
        let username = v["Username"].as_str().unwrap();
        let (expiry, user) = username.split_once(':').unwrap();
        assert_eq!(user, alice.ram_id);
        let expiry: i64 = expiry.parse().unwrap();
        assert!(
            (now + 86_400..=now + 86_401).contains(&expiry),
            "{expiry} vs {now}"
        );
        assert_eq!(v["Password"], turn::password("s3cr3t", username));
        let bob = h.user("bob", "agent", &[]).await;
        let e = h
            .call_as(
                &alice,
                Role::Agent,
                "GetTURNCredentials",
                &[("UserName", &bob.ram_id)],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (403, "NoPermission"));
        let v = h
            .call("GetTURNCredentials", &[("UserName", &bob.ram_id)])
            .await
            .unwrap();
        assert!(v["Username"].as_str().unwrap().ends_with(&bob.ram_id));
        let e = h
            .call("GetTURNCredentials", &[("UserName", "9999999999999999")])
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.UserId");
    }

    #[tokio::test]
    async fn without_a_secret_turn_is_not_configured() {
        let h = Harness::new().await;
        let e = h
            .call("GetTURNCredentials", &[("UserName", "0")])
            .await
            .unwrap_err();
        assert_eq!((e.status, &*e.code), (503, "TurnNotConfigured"));
    }
}
