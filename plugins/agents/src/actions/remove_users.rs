//! 2017-07-05 RemoveUsers (seed 004 §9.2 移除客服): removes users from the instance.
//!
//! Request ([`crate::api::remove_users::Request`]): `UserId.N` (required, the users' UUIDs).
//! Response: the envelope only.
//!
//! Every id must name a user of the instance, else nothing is removed. In one transaction the
//! users, their roles, skill-group memberships and current agent state rows are deleted; the
//! append-only state log keeps their history. Naming a user twice removes it once.
//!
//! Errors: parameter errors of the spec; 404 `NotExists.UserId` naming the first unknown id.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::storage::begin_write;

use crate::api::Ctx;
use crate::api::errors;
use crate::api::remove_users::{Request, Response};
use crate::storage::users;
use crate::user_writes;

/// Serves RemoveUsers.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut ids = req.user_id;
    ids.dedup();
    let txn = begin_write(&ctx.db).await?;
    let found = users::by_ids(&txn, ctx.instance(), &ids).await?;
    if let Some(unknown) = ids.iter().find(|id| !found.contains_key(*id)) {
        return Err(errors::not_exists_user_id(unknown));
    }
    let ids: Vec<String> = found.into_keys().collect();
    user_writes::delete_users(&txn, &ids).await?;
    txn.commit().await?;
    Ok(Response::default())
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::sea_orm::{ActiveModelTrait, Set};

    use crate::storage::agent_state;
    use crate::testutil::{Harness, INSTANCE};

    #[tokio::test]
    async fn removes_users_with_roles_memberships_and_state() {
        let h = Harness::with_roles().await;
        let g = h.add_group("support").await;
        let a = h
            .create_user("a", &[("SkillGroupId.1", &g), ("SkillLevel.1", "3")])
            .await;
        let b = h
            .create_user("b", &[("SkillGroupId.1", &g), ("SkillLevel.1", "3")])
            .await;
        let keep = h.create_user("keep", &[]).await;
        agent_state::ActiveModel {
            user_id: Set(a.clone()),
            instance_id: Set(INSTANCE.into()),
            state: Set("READY".into()),
            break_code: Set(String::new()),
            device_id: Set(String::new()),
            signed_skill_group_ids: Set("[]".into()),
            job_id: Set(String::new()),
            outbound_scenario: Set(false),
            state_since_ms: Set(0),
            heartbeat_ms: Set(0),
            seq: Set(1),
        }
        .insert(&h.env.db)
        .await
        .unwrap();
        let v = h
            .call(
                "RemoveUsers",
                &[("UserId.1", &a), ("UserId.2", &b), ("UserId.3", &a)],
            )
            .await
            .unwrap();
        assert_eq!(v, ccgate_plugin_sdk::serde_json::json!({}));
        assert_eq!(h.rows("agents_users").await, 1);
        assert_eq!(h.rows("agents_user_roles").await, 1);
        assert_eq!(h.rows("agents_skill_levels").await, 0);
        assert_eq!(h.rows("agents_agent_states").await, 0);
        assert_eq!(h.get_user(&keep).await["Detail"]["LoginName"], "keep");
        let e = h.call("GetUser", &[("UserId", &a)]).await.unwrap_err();
        assert_eq!(e.code, "NotExists.UserId");
    }

    #[tokio::test]
    async fn an_unknown_id_removes_nothing() {
        let h = Harness::with_roles().await;
        let a = h.create_user("a", &[]).await;
        let e = h
            .call("RemoveUsers", &[("UserId.1", &a), ("UserId.2", "nobody")])
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (404, "NotExists.UserId"));
        assert!(e.message.contains("nobody"), "{}", e.message);
        assert_eq!(h.rows("agents_users").await, 1);
        let e = h.call("RemoveUsers", &[]).await.unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "MissingParameter"));
        // A user of another instance is unknown here.
        let e = h
            .env
            .call(
                Harness::spec("2017-07-05", "RemoveUsers"),
                crate::testutil::OTHER_INSTANCE,
                &[("UserId.1", &a)],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, "NotExists.UserId");
        assert_eq!(h.rows("agents_users").await, 1);
    }
}
