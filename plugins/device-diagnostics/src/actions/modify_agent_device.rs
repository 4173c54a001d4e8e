//! 2017-07-05 ModifyAgentDevice (seed 004 §12.1,
//! `plugins/device-diagnostics/api/ModifyAgentDevice.2017-07-05.toml`): records whether the
//! sign-in of a device AddAgentDevice recorded succeeded.
//!
//! Request ([`crate::api::modify_agent_device::Request`]): `InstanceId`, `AgentDeviceId` (Long,
//! from AddAgentDevice), `IsLogin` (0 = sign-in failed, 1 = succeeded).
//! Response: the envelope only ([`crate::api::modify_agent_device::Response`]).
//! Sets the record's `IsLogin` and its update time (UTC epoch ms).
//!
//! Who may: an administrator any record of the instance; a skill-group leader or agent only a
//! record of their own (`ctx.caller_scope`'s user).
//!
//! Errors: the parameter errors of the generated parser (`MissingParameter`,
//! `Parameter.Empty`, `Parameter.Enumeration` for an `IsLogin` other than 0 or 1,
//! `InvalidParameter` for a non-number); 404 `NotExists.AgentDeviceId` for a record that is
//! not in the instance (never was, another instance's, or removed by retention); 403
//! `NoPermission` for another user's record; 404 `NotExists.InstanceId` comes from the
//! gateway.

use ccgate_plugin_sdk::{ApiResult, Role};

use crate::api::modify_agent_device::{Request, Response};
use crate::api::{Ctx, errors};
use crate::storage;

/// Serves ModifyAgentDevice: finds the record, checks it is the caller's, sets `IsLogin`.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let id = req.agent_device_id;
    let Some(record) = storage::find(&ctx.db, ctx.instance(), id).await? else {
        return Err(errors::not_exists_agent_device_id(id));
    };
    if ctx.role != Role::Admin {
        let own = ctx
            .caller_scope
            .as_ref()
            .is_some_and(|s| s.user_id == record.user_id);
        if !own {
            return Err(errors::no_permission(
                id,
                format!(
                    "a caller of role {} may modify only their own records",
                    ctx.role.as_str()
                ),
            ));
        }
    }
    // The generated parser admits 0 and 1 only.
    let is_login = i32::from(req.is_login == 1);
    if !storage::set_login(&ctx.db, id, is_login, ctx.now_ms()).await? {
        // Removed by the retention task in between.
        return Err(errors::not_exists_agent_device_id(id));
    }
    Ok(Response::default())
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::Role;

    use crate::testutil::{ALICE, BOB, BOSS, Harness, LEAD, NOW};

    #[tokio::test]
    async fn an_agent_records_the_sign_in_result_of_their_device() {
        let h = Harness::new().await;
        let id = h.add_default(ALICE).await.to_string();
        h.env.clock.set_ms(NOW + 5_000);
        h.modify_as(
            Role::Agent,
            ALICE,
            &[("AgentDeviceId", &id), ("IsLogin", "1")],
        )
        .await
        .unwrap();
        let list = h.list_as(Role::Agent, ALICE, &[]).await.unwrap();
        let d = &list["AgentDeviceList"]["AgentDevice"][0];
        assert_eq!(d["IsLogin"], 1);
        // LoginTime stays when the record was made.
        assert_eq!(d["LoginTime"], NOW);
        let row = &h.all_rows().await[0];
        assert_eq!((row.is_login, row.updated_at), (1, NOW + 5_000));
        // And back to 0.
        h.modify_as(
            Role::Agent,
            ALICE,
            &[("AgentDeviceId", &id), ("IsLogin", "0")],
        )
        .await
        .unwrap();
        assert_eq!(h.all_rows().await[0].is_login, 0);
    }

    #[tokio::test]
    async fn an_unknown_id_is_not_exists_agent_device_id() {
        let h = Harness::new().await;
        let e = h
            .modify_admin(&[("AgentDeviceId", "456"), ("IsLogin", "1")])
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.AgentDeviceId")
        );
        assert!(e.message.contains("456"), "{}", e.message);
    }

    #[tokio::test]
    async fn a_record_of_another_instance_is_not_exists_agent_device_id() {
        let h = Harness::new().await;
        let id = h.add_default(ALICE).await.to_string();
        let e = h
            .env
            .call(
                crate::api::modify_agent_device::SPEC,
                "ccc-other",
                &[("AgentDeviceId", &id), ("IsLogin", "1")],
            )
            .await
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (404, "NotExists.AgentDeviceId")
        );
        assert_eq!(h.all_rows().await[0].is_login, 0);
    }

    #[tokio::test]
    async fn modifying_another_agents_device_is_no_permission() {
        let h = Harness::new().await;
        let id = h.add_default(ALICE).await.to_string();
        for (role, login) in [(Role::Agent, BOB), (Role::SkillGroupLeader, LEAD)] {
            let e = h
                .modify_as(role, login, &[("AgentDeviceId", &id), ("IsLogin", "1")])
                .await
                .unwrap_err();
            assert_eq!(
                (e.status, e.code.as_ref()),
                (403, "NoPermission"),
                "{login}"
            );
        }
        assert_eq!(h.all_rows().await[0].is_login, 0);
        // An administrator (user token or AccessKey) may.
        h.modify_as(
            Role::Admin,
            BOSS,
            &[("AgentDeviceId", &id), ("IsLogin", "1")],
        )
        .await
        .unwrap();
        h.modify_admin(&[("AgentDeviceId", &id), ("IsLogin", "0")])
            .await
            .unwrap();
        assert_eq!(h.all_rows().await[0].is_login, 0);
    }

    #[tokio::test]
    async fn is_login_must_be_0_or_1() {
        let h = Harness::new().await;
        let id = h.add_default(ALICE).await.to_string();
        let e = h
            .modify_as(
                Role::Agent,
                ALICE,
                &[("AgentDeviceId", &id), ("IsLogin", "2")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "Parameter.Enumeration"));
        let e = h
            .modify_as(Role::Agent, ALICE, &[("AgentDeviceId", &id)])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        let e = h
            .modify_as(
                Role::Agent,
                ALICE,
                &[("AgentDeviceId", "x"), ("IsLogin", "1")],
            )
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "InvalidParameter"));
    }
}
